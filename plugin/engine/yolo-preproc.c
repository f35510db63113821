/* yolo-preproc.c - frame -> model input tensor (host side of preproc.cl).
 *
 * The resize follows OpenCV's cv::resize INTER_LINEAR for 8-bit images:
 * half-pixel centres, 11-bit fixed-point weights computed here (in float,
 * from a double scale, exactly as resize.cpp does), horizontal pass in int,
 * vertical pass as OpenCV's SIMD code ((h >> 4) * b) >> 16 ... which we
 * checked bit-exact against cv2.resize. The tables go to the device; the
 * kernel does the per-pixel work. YUV / grey pixels are converted to RGB
 * before the blend with GStreamer 1.22 videoconvert's own integer
 * arithmetic (video-converter.c, video-chroma.c, video-orc.orc), checked
 * bit-exact against videoconvert by tests/check/preproc-videoconvert.c.
 * yolo_preproc_reference() runs the same arithmetic on the host for the
 * tests.
 */
#include "yolo-preproc.h"
#include "yolo-engine-private.h"
#include "yolo-cl-queue.h"

#include <math.h>
#include <string.h>

#define COEF_SCALE 2048         /* OpenCV INTER_RESIZE_COEF_SCALE */
/* Rows per work-item of the wide kernels: 1 to 32 measured alike within
 * the noise at 640x640; fewer work-groups help at 320x320, more rows per
 * work-item hurt the cache at 640 (bench-preproc). */
#define WIDE_ROWS 2

struct _YoloPreproc
{
  YoloEngine *e;
  /* the per-pixel kernels, or their 16-pixel vector variants (wide) */
  cl_kernel k_packed, k_yuv;
  gboolean wide;
  /* CPU devices read the frame where it is (a CL_MEM_USE_HOST_PTR buffer
   * per plane, no copy); others get it copied into src */
  gboolean host_ptr;
  cl_mem dst;
  gint64 dst_off;
  gint64 base_off;              /* image 0 of the input */
  int n_slots;                  /* the input's batch */
  int in_w, in_h;

  cl_mem src;
  gsize src_size;

  /* Cached tables for one (frame size, geometry): xtab (int4 per resized
   * column) or, for the wide kernels, xsoa (its structure of arrays by
   * input column); ytab (int4 per resized row). */
  cl_mem xtab, ytab;
  int tab_frame_w, tab_frame_h, tab_new_w, tab_new_h, tab_pad_x;
};

/* videoconvert's coefficient: 256 * 255 * k * (1 / (float) range), rounded
 * (video-converter.c: compute_matrix_to_RGB, prepare_matrix). */
static int
gst_coef (double k, int range)
{
  return (int) rint (256.0 * (255.0 * (k * (double) (1.0f / (float) range))));
}

void
yolo_yuv_matrix_init (YoloYuvMatrix * m, double kr, double kb,
    gboolean full_range)
{
  double kg = 1.0 - kr - kb;
  int ys = full_range ? 255 : 219, cs = full_range ? 255 : 224;

  m->y = gst_coef (1.0, ys);
  m->rv = gst_coef (2 * (1 - kr), cs);
  m->gu = gst_coef (-2 * kb * (1 - kb) / kg, cs);
  m->gv = gst_coef (-2 * kr * (1 - kr) / kg, cs);
  m->bu = gst_coef (2 * (1 - kb), cs);
}

/* Python's round(): half to even (the default FP rounding mode). */
static int
py_round (double v)
{
  return (int) nearbyint (v);
}

void
yolo_letterbox_compute (int frame_w, int frame_h, int input_w, int input_h,
    YoloResizeMode mode, gboolean centered, YoloLetterbox * lb)
{
  memset (lb, 0, sizeof (*lb));
  lb->frame_w = frame_w;
  lb->frame_h = frame_h;
  lb->input_w = input_w;
  lb->input_h = input_h;

  if (mode == YOLO_RESIZE_STRETCH) {
    lb->new_w = input_w;
    lb->new_h = input_h;
    lb->scale_x = (double) input_w / frame_w;
    lb->scale_y = (double) input_h / frame_h;
    return;
  }

  double r = MIN ((double) input_h / frame_h, (double) input_w / frame_w);
  if (centered) {
    lb->new_w = py_round (frame_w * r);
    lb->new_h = py_round (frame_h * r);
    lb->pad_x = py_round ((input_w - lb->new_w) / 2.0 - 0.1);
    lb->pad_y = py_round ((input_h - lb->new_h) / 2.0 - 0.1);
  } else {
    lb->new_w = (int) (frame_w * r);
    lb->new_h = (int) (frame_h * r);
  }
  lb->new_w = CLAMP (lb->new_w, 1, input_w);
  lb->new_h = CLAMP (lb->new_h, 1, input_h);
  lb->scale_x = lb->scale_y = r;
}

/* OpenCV's coefficient table for one axis: per destination index
 * (i0, i1, w0, w1), source indices clamped into [0, src - 1]. */
static void
resize_table (int src, int dst, gint32 * tab)
{
  double scale = 1.0 / ((double) dst / src);

  for (int d = 0; d < dst; d++) {
    float f = (float) ((d + 0.5) * scale - 0.5);
    int s = (int) floorf (f);
    f -= s;
    int i0 = s, i1 = s + 1;
    float w0 = 1.0f - f, w1 = f;
    if (s < 0) {
      /* the horizontal pass resets the weight; the vertical one only clamps
       * rows, but both rows are then row 0 */
      i0 = i1 = 0;
    }
    if (i1 > src - 1)
      i1 = src - 1;
    if (i0 > src - 1)
      i0 = src - 1;
    tab[4 * d + 0] = i0;
    tab[4 * d + 1] = i1;
    tab[4 * d + 2] = (gint32) nearbyintf (w0 * COEF_SCALE);
    tab[4 * d + 3] = (gint32) nearbyintf (w1 * COEF_SCALE);
  }
}

/* The horizontal table differs at the borders: OpenCV sets the weight to
 * (1, 0) when the left tap is out of range or at the last column. */
static void
resize_table_x (int src, int dst, gint32 * tab)
{
  double scale = 1.0 / ((double) dst / src);

  for (int d = 0; d < dst; d++) {
    float f = (float) ((d + 0.5) * scale - 0.5);
    int s = (int) floorf (f);
    f -= s;
    if (s < 0) {
      f = 0;
      s = 0;
    }
    if (s >= src - 1) {
      f = 0;
      s = src - 1;
    }
    tab[4 * d + 0] = s;
    tab[4 * d + 1] = MIN (s + 1, src - 1);
    tab[4 * d + 2] = (gint32) nearbyintf ((1.0f - f) * COEF_SCALE);
    tab[4 * d + 3] = (gint32) nearbyintf (f * COEF_SCALE);
  }
}

int
yolo_pixel_format_n_planes (YoloPixelFormat f)
{
  switch (f) {
    case YOLO_PIXEL_I420:
    case YOLO_PIXEL_YV12:
      return 3;
    case YOLO_PIXEL_NV12:
    case YOLO_PIXEL_NV21:
      return 2;
    default:
      return 1;
  }
}

int
yolo_pixel_format_plane_row (YoloPixelFormat f, int w, int h, int i, int *rows)
{
  int cw = (w + 1) / 2;

  *rows = h;
  switch (f) {
    case YOLO_PIXEL_NV12:
    case YOLO_PIXEL_NV21:
    case YOLO_PIXEL_I420:
    case YOLO_PIXEL_YV12:
      if (i == 0)
        return w;
      *rows = (h + 1) / 2;
      return f == YOLO_PIXEL_NV12 || f == YOLO_PIXEL_NV21 ? 2 * cw : cw;
    case YOLO_PIXEL_YUY2:
    case YOLO_PIXEL_UYVY:
      return 4 * cw;
    case YOLO_PIXEL_GRAY8:
      return w;
    case YOLO_PIXEL_RGB:
    case YOLO_PIXEL_BGR:
      return 3 * w;
    default:
      return 4 * w;
  }
}

static gboolean
check_image (const YoloImage * img, GError ** error)
{
  if (img->width <= 0 || img->height <= 0 || img->format < YOLO_PIXEL_RGB
      || img->format > YOLO_PIXEL_GRAY8) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "pre-processing: bad image (%dx%d, format %d)", img->width,
        img->height, img->format);
    return FALSE;
  }
  int n = yolo_pixel_format_n_planes (img->format);
  for (int i = 0; i < n; i++) {
    if (!img->planes[i] || img->strides[i] <= 0) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
          "pre-processing: missing plane %d or bad stride", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* Bytes of plane i to read: full strides except the last row. */
static gsize
plane_bytes (const YoloImage * img, int i)
{
  int rows, row = yolo_pixel_format_plane_row (img->format, img->width,
      img->height, i, &rows);

  return (gsize) img->strides[i] * (rows - 1) + row;
}

/* ---- host reference ---------------------------------------------------- */

static gboolean
is_yuv (YoloPixelFormat f)
{
  return f >= YOLO_PIXEL_NV12;
}

/* Byte positions of R, G, B and bytes per pixel of a packed format. */
static void
packed_layout (YoloPixelFormat f, int *bpp, int *ri, int *gi, int *bi)
{
  gboolean bgr = f == YOLO_PIXEL_BGR || f == YOLO_PIXEL_BGRA
      || f == YOLO_PIXEL_BGRX;
  *bpp = f == YOLO_PIXEL_RGB || f == YOLO_PIXEL_BGR ? 3 : 4;
  *ri = bgr ? 2 : 0;
  *gi = 1;
  *bi = bgr ? 0 : 2;
}

/* Where the samples of a YUV / grey image are: luma at plane y_plane +
 * y_off + row * stride + x * ystep; U, V at their plane + off + crow *
 * stride + k * cstep. hmode / vmode: the chroma upsampling of each axis,
 * as preproc.cl's preproc_chroma_taps. */
typedef struct
{
  int y_plane, y_off, ystep;
  int u_plane, u_off, v_plane, v_off, cstep;
  int hmode, vmode, gray;
} YuvLayout;

static void
yuv_layout (const YoloImage * img, YuvLayout * l)
{
  gboolean hcos = (img->chroma_site & YOLO_CHROMA_SITE_H_COSITED) != 0;
  gboolean vcos = (img->chroma_site & YOLO_CHROMA_SITE_V_COSITED) != 0;

  memset (l, 0, sizeof (*l));
  l->ystep = 1;
  l->cstep = 1;
  switch (img->format) {
    case YOLO_PIXEL_I420:
    case YOLO_PIXEL_YV12:
      /* videoconvert's I420 -> RGB fast path: nearest chroma */
      l->u_plane = img->format == YOLO_PIXEL_I420 ? 1 : 2;
      l->v_plane = img->format == YOLO_PIXEL_I420 ? 2 : 1;
      l->hmode = l->vmode = 1;
      break;
    case YOLO_PIXEL_NV12:
    case YOLO_PIXEL_NV21:
      l->u_plane = l->v_plane = 1;
      l->u_off = img->format == YOLO_PIXEL_NV12 ? 0 : 1;
      l->v_off = 1 - l->u_off;
      l->cstep = 2;
      l->hmode = hcos ? 3 : 2;
      l->vmode = vcos ? 1 : 2;
      break;
    case YOLO_PIXEL_YUY2:
    case YOLO_PIXEL_UYVY:
      l->y_off = img->format == YOLO_PIXEL_YUY2 ? 0 : 1;
      l->u_off = img->format == YOLO_PIXEL_YUY2 ? 1 : 0;
      l->v_off = l->u_off + 2;
      l->ystep = 2;
      l->cstep = 4;
      l->hmode = hcos ? 3 : 2;
      l->vmode = 0;
      break;
    default:                   /* GRAY8 */
      l->gray = 1;
      break;
  }
}

/* ---- host reference (same arithmetic as preproc.cl) -------------------- */

static int
ref_splat (int v)
{
  v -= 128;
  return v * 256 + (v & 0xff);
}

static void
ref_yuv_rgb (const YoloYuvMatrix * m, int y, int u, int v, int rgb[3])
{
  int wy = (ref_splat (y) * m->y) >> 16;
  int wu = ref_splat (u), wv = ref_splat (v);
  int c[3] = { wy + ((wv * m->rv) >> 16),
    wy + ((wu * m->gu) >> 16) + ((wv * m->gv) >> 16),
    wy + ((wu * m->bu) >> 16)
  };
  for (int i = 0; i < 3; i++)
    rgb[i] = CLAMP (c[i], -128, 127) + 128;
}

/* preproc.cl's preproc_chroma_taps: chroma indices a, b and weight wa
 * (of 4) of luma coordinate c on an axis of n samples. */
static void
ref_chroma_taps (int c, int n, int mode, int t[3])
{
  if (mode == 0) {
    t[0] = t[1] = c;
    t[2] = 2;
    return;
  }
  int k = c >> 1, odd = c & 1, last = (n - 1) >> 1;
  int a = (mode == 2 && !odd) ? k - 1 : k;
  int b = (mode >= 2 && odd) ? k + 1 : k;
  t[0] = CLAMP (a, 0, last);
  t[1] = CLAMP (b, 0, last);
  t[2] = mode == 2 ? (odd ? 3 : 1) : 2;
}

static int
ref_chroma (const guint8 * p, gsize st, int step, const int tx[3],
    const int ty[3])
{
  const guint8 *ra = p + ty[0] * st, *rb = p + ty[1] * st;
  int ha = (tx[2] * ra[tx[0] * step] + (4 - tx[2]) * ra[tx[1] * step] + 2)
      >> 2;
  int hb = (tx[2] * rb[tx[0] * step] + (4 - tx[2]) * rb[tx[1] * step] + 2)
      >> 2;
  return (ty[2] * ha + (4 - ty[2]) * hb + 2) >> 2;
}

/* The 8-bit R,G,B of pixel (x, y); for YUV / grey as videoconvert gives. */
static void
ref_fetch (const YoloImage * img, const YuvLayout * l, int x, int y, int p[3])
{
  if (is_yuv (img->format)) {
    int yy = img->planes[l->y_plane][(gsize) y * img->strides[l->y_plane]
        + l->y_off + x * l->ystep];
    int u = 128, v = 128;
    if (!l->gray) {
      int tx[3], ty[3];
      ref_chroma_taps (x, img->width, l->hmode, tx);
      ref_chroma_taps (y, img->height, l->vmode, ty);
      u = ref_chroma (img->planes[l->u_plane] + l->u_off,
          img->strides[l->u_plane], l->cstep, tx, ty);
      v = ref_chroma (img->planes[l->v_plane] + l->v_off,
          img->strides[l->v_plane], l->cstep, tx, ty);
    }
    ref_yuv_rgb (&img->yuv, yy, u, v, p);
  } else {
    int bpp, ri, gi, bi;
    packed_layout (img->format, &bpp, &ri, &gi, &bi);
    const guint8 *s = img->planes[0] + (gsize) y * img->strides[0] + x * bpp;
    p[0] = s[ri];
    p[1] = s[gi];
    p[2] = s[bi];
  }
}

gboolean
yolo_preproc_reference (const YoloImage * img,
    const YoloPreprocParams * params, int input_w, int input_h, float *dst,
    YoloLetterbox * lb_out, GError ** error)
{
  YoloLetterbox lb;
  YuvLayout l;

  if (!check_image (img, error))
    return FALSE;
  yuv_layout (img, &l);
  yolo_letterbox_compute (img->width, img->height, input_w, input_h,
      params->mode, params->centered, &lb);
  if (lb_out)
    *lb_out = lb;

  gint32 *xt = g_new (gint32, 4 * lb.new_w);
  gint32 *yt = g_new (gint32, 4 * lb.new_h);
  resize_table_x (img->width, lb.new_w, xt);
  resize_table (img->height, lb.new_h, yt);

  gsize plane = (gsize) input_w * input_h;
  float pad = params->pad_value * params->scale;
  for (int y = 0; y < input_h; y++) {
    for (int x = 0; x < input_w; x++) {
      float *d = dst + (gsize) y * input_w + x;
      int cx = x - lb.pad_x, cy = y - lb.pad_y;
      if (cx < 0 || cy < 0 || cx >= lb.new_w || cy >= lb.new_h) {
        d[0] = d[plane] = d[2 * plane] = pad;
        continue;
      }
      const gint32 *tx = xt + 4 * cx, *ty = yt + 4 * cy;
      int p00[3], p01[3], p10[3], p11[3], v[3];
      ref_fetch (img, &l, tx[0], ty[0], p00);
      ref_fetch (img, &l, tx[1], ty[0], p01);
      ref_fetch (img, &l, tx[0], ty[1], p10);
      ref_fetch (img, &l, tx[1], ty[1], p11);
      for (int c = 0; c < 3; c++) {
        int h0 = p00[c] * tx[2] + p01[c] * tx[3];
        int h1 = p10[c] * tx[2] + p11[c] * tx[3];
        int r = ((((h0 >> 4) * ty[2]) >> 16) + (((h1 >> 4) * ty[3]) >> 16)
            + 2) >> 2;
        v[c] = CLAMP (r, 0, 255);
      }
      for (int c = 0; c < 3; c++)
        d[c * plane] = (float) v[params->bgr ? 2 - c : c] * params->scale;
    }
  }
  g_free (xt);
  g_free (yt);
  return TRUE;
}

/* ---- device ------------------------------------------------------------ */

static gboolean
cl_fail (cl_int err, const char *what, GError ** error)
{
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
      "pre-processing: %s failed (OpenCL error %d)", what, err);
  return FALSE;
}

YoloPreproc *
yolo_preproc_new (YoloEngine * e, GError ** error)
{
  YoloTensorInfo info;

  if (!e || yolo_engine_n_inputs (e) < 1 || !yolo_engine_input_info (e, 0,
          &info)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "pre-processing: the model has no input");
    return NULL;
  }
  if (info.ndim == 4 && info.dims[0] >= 1 && info.dims[1] != 3
      && info.dims[1] > 0 && info.dims[2] > 0 && info.dims[3] > 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "model input '%s' has %" G_GINT64_FORMAT " channel%s ([1,%"
        G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]): "
        "only 3-channel (RGB or BGR) models are supported",
        info.name ? info.name : "?", info.dims[1], info.dims[1] == 1 ? "" :
        "s", info.dims[1], info.dims[2], info.dims[3]);
    return NULL;
  }
  if (info.ndim != 4 || info.dims[0] < 1 || info.dims[1] != 3
      || info.dims[2] <= 0 || info.dims[3] <= 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "model input '%s' is not an image tensor [1,3,H,W] (ndim %d)",
        info.name ? info.name : "?", info.ndim);
    return NULL;
  }

  YoloPreproc *p = g_new0 (YoloPreproc, 1);
  p->e = e;
  p->in_h = (int) info.dims[2];
  p->in_w = (int) info.dims[3];
  if (!yolo_engine_input_mem (e, 0, &p->dst, &p->dst_off, error))
    goto fail;
  p->base_off = p->dst_off;
  p->n_slots = (int) info.dims[0];
  if (p->dst_off + (gint64) 3 * p->in_w * p->in_h * p->n_slots > G_MAXINT32) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "pre-processing: input offset too large");
    goto fail;
  }
  /* YoloEngineOptions.preproc_kernel "scalar" / "wide" forces a variant
   * (tests, benchmarks) */
  const char *force = yolo_rt_options (e->rt)->preproc_kernel;
  p->wide = yolo_rt_device (e->rt)->wide_vectors;
  if (g_strcmp0 (force, "scalar") == 0)
    p->wide = FALSE;
  else if (g_strcmp0 (force, "wide") == 0)
    p->wide = TRUE;

  /* YoloEngineOptions.preproc_upload "copy" / "host" forces a frame
   * upload (tests) */
  const char *upload = yolo_rt_options (e->rt)->preproc_upload;
  p->host_ptr = yolo_rt_device (e->rt)->is_cpu;
  if (g_strcmp0 (upload, "copy") == 0)
    p->host_ptr = FALSE;
  else if (g_strcmp0 (upload, "host") == 0)
    p->host_ptr = TRUE;
  p->k_packed = yolo_rt_kernel (e->rt, p->wide ? "preproc_packed_w16" :
      "preproc_packed", error);
  if (!p->k_packed)
    goto fail;
  p->k_yuv = yolo_rt_kernel (e->rt, p->wide ? "preproc_yuv_w16" :
      "preproc_yuv", error);
  if (!p->k_yuv)
    goto fail;
  return p;

fail:
  yolo_preproc_free (p);
  return NULL;
}

void
yolo_preproc_free (YoloPreproc * p)
{
  if (!p)
    return;
  if (p->k_packed)
    clReleaseKernel (p->k_packed);
  if (p->k_yuv)
    clReleaseKernel (p->k_yuv);
  if (p->src)
    clReleaseMemObject (p->src);
  if (p->xtab)
    clReleaseMemObject (p->xtab);
  if (p->ytab)
    clReleaseMemObject (p->ytab);
  g_free (p);
}

static gboolean
update_tables (YoloPreproc * p, const YoloLetterbox * lb, GError ** error)
{
  cl_context ctx = yolo_rt_context (p->e->rt);
  cl_command_queue q = yolo_rt_queue (p->e->rt);
  cl_int err;

  if (p->xtab && p->tab_frame_w == lb->frame_w && p->tab_frame_h ==
      lb->frame_h && p->tab_new_w == lb->new_w && p->tab_new_h == lb->new_h
      && p->tab_pad_x == lb->pad_x)
    return TRUE;

  if (p->xtab)
    clReleaseMemObject (p->xtab);
  if (p->ytab)
    clReleaseMemObject (p->ytab);
  p->xtab = p->ytab = NULL;

  gint32 *xt = g_new (gint32, 4 * lb->new_w);
  gint32 *yt = g_new (gint32, 4 * lb->new_h);
  gsize xt_bytes = 16 * (gsize) lb->new_w;
  resize_table_x (lb->frame_w, lb->new_w, xt);
  resize_table (lb->frame_h, lb->new_h, yt);
  if (p->wide) {
    /* by input column x: x0 [x], x1 [n + x], a0 [2n + x], a1 [3n + x]
     * (n = input width rounded up to 16; zeros outside the frame) */
    gsize n = (p->in_w + 15) & ~15;
    gint32 *soa = g_new0 (gint32, 4 * n);
    for (int cx = 0; cx < lb->new_w; cx++)
      for (int k = 0; k < 4; k++)
        soa[k * n + lb->pad_x + cx] = xt[4 * cx + k];
    g_free (xt);
    xt = soa;
    xt_bytes = 16 * n;
  }

  p->xtab = clCreateBuffer (ctx, CL_MEM_READ_ONLY, xt_bytes, NULL, &err);
  if (err == CL_SUCCESS)
    p->ytab = clCreateBuffer (ctx, CL_MEM_READ_ONLY, 16 * (gsize) lb->new_h,
        NULL, &err);
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer (q, p->xtab, CL_TRUE, 0, xt_bytes, xt, 0,
        NULL, NULL);
  if (err == CL_SUCCESS)
    err = clEnqueueWriteBuffer (q, p->ytab, CL_TRUE, 0,
        16 * (gsize) lb->new_h, yt, 0, NULL, NULL);
  g_free (xt);
  g_free (yt);
  if (err != CL_SUCCESS) {
    if (p->xtab)
      clReleaseMemObject (p->xtab);
    if (p->ytab)
      clReleaseMemObject (p->ytab);
    p->xtab = p->ytab = NULL;
    return cl_fail (err, "table upload", error);
  }
  p->tab_frame_w = lb->frame_w;
  p->tab_frame_h = lb->frame_h;
  p->tab_new_w = lb->new_w;
  p->tab_new_h = lb->new_h;
  p->tab_pad_x = lb->pad_x;
  return TRUE;
}

gboolean
yolo_preproc_run (YoloPreproc * p, const YoloImage * img,
    const YoloPreprocParams * params, YoloLetterbox * lb_out, GError ** error)
{
  cl_context ctx = yolo_rt_context (p->e->rt);
  cl_command_queue q = yolo_rt_queue (p->e->rt);
  YoloLetterbox lb;
  gsize offs[3] = { 0, 0, 0 }, sizes[3] = { 0, 0, 0 }, total = 0;
  cl_mem mem[3] = { NULL, NULL, NULL }, wrap[3] = { NULL, NULL, NULL };
  int np;
  cl_int err = CL_SUCCESS;
  gboolean ok = FALSE;

  if (!check_image (img, error))
    return FALSE;
  yolo_engine_release_outputs (p->e);
  if (!yolo_engine_unbind_input (p->e, error))
    return FALSE;
  yolo_letterbox_compute (img->width, img->height, p->in_w, p->in_h,
      params->mode, params->centered, &lb);
  if (lb_out)
    *lb_out = lb;
  if (!update_tables (p, &lb, error))
    return FALSE;

  np = yolo_pixel_format_n_planes (img->format);
  for (int i = 0; i < np; i++) {
    offs[i] = p->host_ptr ? 0 : total;
    sizes[i] = plane_bytes (img, i);
    total += (sizes[i] + 63) & ~(gsize) 63;
  }
  if (total > G_MAXINT32)
    return cl_fail (CL_INVALID_BUFFER_SIZE, "frame upload (too large)", error);
  if (p->host_ptr) {
    /* The kernel reads the caller's planes (valid until the engine's
     * blocking read, as for the asynchronous copy); the buffers go when
     * the kernel is done with them. */
    for (int i = 0; i < np; i++) {
      wrap[i] = clCreateBuffer (ctx, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR,
          sizes[i], (gpointer) (guintptr) img->planes[i], &err);
      if (err != CL_SUCCESS) {
        wrap[i] = NULL;
        cl_fail (err, "frame buffer (host memory)", error);
        goto done;
      }
      mem[i] = wrap[i];
    }
  } else if (!p->src || p->src_size < total) {
    if (p->src)
      clReleaseMemObject (p->src);
    p->src = clCreateBuffer (ctx, CL_MEM_READ_ONLY, total, NULL, &err);
    if (err != CL_SUCCESS) {
      p->src = NULL;
      p->src_size = 0;
      return cl_fail (err, "frame buffer allocation", error);
    }
    p->src_size = total;
  }
  if (!p->host_ptr) {
    /* Non-blocking: the engine's blocking output read later syncs. */
    for (int i = 0; i < np && err == CL_SUCCESS; i++) {
      mem[i] = p->src;
      err = clEnqueueWriteBuffer (q, p->src, CL_FALSE, offs[i], sizes[i],
          img->planes[i], 0, NULL, NULL);
    }
    if (err != CL_SUCCESS) {
      clFinish (q);
      return cl_fail (err, "frame upload", error);
    }
  }

  cl_kernel k = is_yuv (img->format) ? p->k_yuv : p->k_packed;
  YoloArgs a = yolo_args (k);
  if (is_yuv (img->format)) {
    const YoloYuvMatrix *m = &img->yuv;
    YuvLayout l;
    yuv_layout (img, &l);
    yolo_args_mem (&a, mem[l.y_plane]);
    yolo_args_int (&a, (cl_int) offs[l.y_plane] + l.y_off);
    yolo_args_int (&a, img->strides[l.y_plane]);
    yolo_args_int (&a, l.ystep);
    yolo_args_mem (&a, mem[l.u_plane]);
    yolo_args_int (&a, (cl_int) offs[l.u_plane] + l.u_off);
    yolo_args_int (&a, img->strides[l.u_plane]);
    yolo_args_mem (&a, mem[l.v_plane]);
    yolo_args_int (&a, (cl_int) offs[l.v_plane] + l.v_off);
    yolo_args_int (&a, img->strides[l.v_plane]);
    yolo_args_int (&a, l.cstep);
    yolo_args_int (&a, l.hmode);
    yolo_args_int (&a, l.vmode);
    yolo_args_int (&a, l.gray);
    yolo_args_int (&a, img->width);
    yolo_args_int (&a, img->height);
    yolo_args_int (&a, m->y);
    yolo_args_int (&a, m->rv);
    yolo_args_int (&a, m->bu);
    yolo_args_int (&a, m->gu);
    yolo_args_int (&a, m->gv);
  } else {
    int bpp, ri, gi, bi;
    packed_layout (img->format, &bpp, &ri, &gi, &bi);
    yolo_args_mem (&a, mem[0]);
    yolo_args_int (&a, (cl_int) offs[0]);
    yolo_args_int (&a, img->strides[0]);
    yolo_args_int (&a, bpp);
    yolo_args_int (&a, ri);
    yolo_args_int (&a, gi);
    yolo_args_int (&a, bi);
  }
  yolo_args_mem (&a, p->xtab);
  yolo_args_mem (&a, p->ytab);
  yolo_args_int (&a, lb.pad_x);
  yolo_args_int (&a, lb.pad_y);
  yolo_args_int (&a, lb.new_w);
  yolo_args_int (&a, lb.new_h);
  yolo_args_mem (&a, p->dst);
  yolo_args_int (&a, (cl_int) p->dst_off);
  yolo_args_int (&a, p->in_w);
  yolo_args_int (&a, p->in_h);
  yolo_args_float (&a, params->scale);
  yolo_args_float (&a, params->pad_value * params->scale);
  yolo_args_int (&a, params->bgr ? 1 : 0);
  if (p->wide)
    yolo_args_int (&a, WIDE_ROWS);
  if (a.err != CL_SUCCESS || a.gerr) {
    /* keep our kernel: yolo_args_ok would release it */
    if (a.gerr)
      g_propagate_error (error, a.gerr);
    else
      cl_fail (a.err, "kernel arguments", error);
    clFinish (q);
    goto done;
  }

  /* A fixed local size where the device and this kernel allow it (PoCL
   * builds one work-group function per local size), else the driver's.
   * The wide kernels: 16 x WIDE_ROWS outputs per work-item, one per
   * work-group (PoCL runs larger groups of these vector kernels slower). */
  gsize lws[2] = { 16, 4 };
  gsize gws[2] = { yolo_div_up (p->in_w, 16) * 16,
    yolo_div_up (p->in_h, 4) * 4
  };
  if (p->wide) {
    lws[0] = lws[1] = 1;
    gws[0] = yolo_div_up (p->in_w, 16);
    gws[1] = yolo_div_up (p->in_h, WIDE_ROWS);
  }
  const YoloDeviceInfo *dev = yolo_rt_device (p->e->rt);
  size_t kwgs = 0;
  gboolean fixed = dev->max_work_item_sizes[0] >= lws[0]
      && dev->max_work_item_sizes[1] >= lws[1]
      && dev->max_work_group_size >= lws[0] * lws[1];
  if (fixed && clGetKernelWorkGroupInfo (k, NULL,
          CL_KERNEL_WORK_GROUP_SIZE, sizeof (kwgs), &kwgs, NULL) == CL_SUCCESS
      && kwgs < lws[0] * lws[1])
    fixed = FALSE;
  err = yolo_cl_enqueue_kernel (q, k, 2, gws, fixed ? lws : NULL, NULL);
  if (err != CL_SUCCESS) {
    clFinish (q);
    cl_fail (err, "pre-processing kernel launch", error);
    goto done;
  }
  ok = TRUE;

done:
  for (int i = 0; i < np; i++)
    if (wrap[i])
      clReleaseMemObject (wrap[i]);
  return ok;
}

gboolean
yolo_preproc_set_slot (YoloPreproc * p, int slot, GError ** error)
{
  if (slot < 0 || slot >= p->n_slots) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "pre-processing: image %d of a batch of %d", slot, p->n_slots);
    return FALSE;
  }
  p->dst_off = p->base_off + (gint64) slot *3 * p->in_w * p->in_h;
  return TRUE;
}
