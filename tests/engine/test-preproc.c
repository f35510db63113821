/* test-preproc.c - the pre-processing kernel (preproc.cl) against its plain
 * C reference (yolo_preproc_reference), for every pixel format, odd sizes,
 * padded strides, letterbox / stretch / top-left, RGB / BGR output; plus
 * the letterbox geometry of reference_detect.py and OpenCV's weights. */
#include "yolo-test-util.h"
#include "yolo-preproc.h"
#include "yolo-half.h"

#include <math.h>
#include <string.h>

static const char *format_names[] = {
  "RGB", "BGR", "RGBA", "BGRA", "RGBx", "BGRx", "NV12", "I420", "NV21",
  "YV12", "YUY2", "UYVY", "GRAY8"
};

/* An engine whose input 0 is [1,c,h,w] (a Relu, so the output equals the
 * non-negative input), created with options opt (NULL: defaults). */
/* test_kernel_half: engines with half storage */
static gboolean half_storage;

static YoloEngine *
make_engine_opt (int c, int w, int h, const YoloEngineOptions * opt)
{
  YoloEngineOptions half;

  YoloGraph *g = yolo_graph_new ();
  gint64 dims[4] = { 1, c, h, w };
  const char *in[] = { "x" }, *out[] = { "y" };
  GError *err = NULL;
  YoloEngine *e;

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, dims, 0.0f, 1.0f);
  yolo_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
  yolo_test_output (g, "y");
  if (half_storage) {
    half = opt ? *opt : (YoloEngineOptions) {
    0};
    half.storage = "half";
    opt = &half;
  }
  e = yolo_engine_new_from_graph (g, opt, TRUE, &err);
  g_assert_no_error (err);
  if (half_storage)
    g_assert_cmpint (yolo_rt_act_storage (e->rt), ==, YOLO_DTYPE_FLOAT16);
  return e;
}

static YoloEngine *
make_engine_c (int c, int w, int h)
{
  return make_engine_opt (c, w, h, NULL);
}

static YoloEngine *
make_engine (int w, int h)
{
  return make_engine_c (3, w, h);
}

typedef struct
{
  YoloImage img;
  guint8 *buf[3];
} TestImage;

/* A random image with random extra bytes at the end of each row; YUV ones
 * get a random matrix, range and chroma siting. */
static void
test_image_init (TestImage * t, YoloPixelFormat fmt, int w, int h)
{
  static const double kr_kb[][2] = {
    {0.299, 0.114}, {0.2126, 0.0722}, {0.2627, 0.0593}
  };
  int np = yolo_pixel_format_n_planes (fmt);
  int k = (int) yolo_test_rand (0.0f, 2.99f);

  memset (t, 0, sizeof (*t));
  t->img.format = fmt;
  t->img.width = w;
  t->img.height = h;
  for (int i = 0; i < np; i++) {
    int rows, row = yolo_pixel_format_plane_row (fmt, w, h, i, &rows);
    int stride = row + (int) yolo_test_rand (0.0f, 13.99f);
    gsize size = (gsize) stride * rows;
    t->buf[i] = g_malloc (size);
    for (gsize k = 0; k < size; k++)
      t->buf[i][k] = (guint8) yolo_test_rand (0.0f, 255.99f);
    t->img.planes[i] = t->buf[i];
    t->img.strides[i] = stride;
  }
  yolo_yuv_matrix_init (&t->img.yuv, kr_kb[k][0], kr_kb[k][1],
      yolo_test_rand (0.0f, 1.0f) < 0.5f);
  t->img.chroma_site = (YoloChromaSite) (int) yolo_test_rand (0.0f, 3.99f);
}

static void
test_image_clear (TestImage * t)
{
  for (int i = 0; i < 3; i++)
    g_free (t->buf[i]);
}

/* Runs the kernel, reads the input tensor back and compares. */
static void
check_one (YoloEngine * e, YoloPreproc * pp, int in_w, int in_h,
    YoloPixelFormat fmt, int w, int h, const YoloPreprocParams * params)
{
  TestImage t;
  GError *err = NULL;
  gsize n = (gsize) 3 * in_w * in_h;
  float *ref = g_new (float, n), *dev = g_new (float, n);
  YoloLetterbox lb_ref, lb_dev;
  cl_mem mem;
  gint64 off;
  int bad = 0, first = -1;
  /* integer arithmetic up to the final scale: exact */
  float tol = 1e-6f;

  test_image_init (&t, fmt, w, h);
  g_assert_true (yolo_preproc_reference (&t.img, params, in_w, in_h, ref,
          &lb_ref, &err));
  g_assert_no_error (err);
  g_assert_true (yolo_preproc_run (pp, &t.img, params, &lb_dev, &err));
  g_assert_no_error (err);
  g_assert_true (yolo_engine_input_mem (e, 0, &mem, &off, &err));
  if (half_storage) {
    /* the kernel stores half: the reference rounded (ties to even), one
     * half ulp where float rounding put them on either side of a tie */
    guint16 *h = g_new (guint16, n);
    g_assert_cmpint (clEnqueueReadBuffer (yolo_rt_queue (e->rt), mem,
            CL_TRUE, off * 2, n * 2, h, 0, NULL, NULL), ==, CL_SUCCESS);
    for (gsize i = 0; i < n; i++) {
      dev[i] = yolo_half_to_float (h[i]);
      ref[i] = yolo_half_round (ref[i]);
    }
    g_free (h);
    tol = 1e-6f + 1.0f / 1024;
  } else {
    g_assert_cmpint (clEnqueueReadBuffer (yolo_rt_queue (e->rt), mem,
            CL_TRUE, off * sizeof (float), n * sizeof (float), dev, 0, NULL,
            NULL), ==, CL_SUCCESS);
  }
  g_assert_cmpint (memcmp (&lb_ref, &lb_dev, sizeof (lb_ref)), ==, 0);

  for (gsize i = 0; i < n; i++) {
    if (!(fabsf (dev[i] - ref[i]) <= tol)) {
      if (first < 0)
        first = (int) i;
      bad++;
    }
  }
  if (bad) {
    g_test_message ("%s %dx%d -> %dx%d mode %d centred %d bgr %d: %d "
        "mismatches, first at %d: dev %g ref %g", format_names[fmt], w, h,
        in_w, in_h, params->mode, params->centered, params->bgr, bad, first,
        dev[first], ref[first]);
    g_test_fail ();
  }
  test_image_clear (&t);
  g_free (ref);
  g_free (dev);
}

static void
test_kernel (void)
{
  static const int inputs[][2] = { {64, 64}, {40, 24}, {17, 33} };
  static const int sizes[][2] = {
    {1, 1}, {2, 3}, {5, 4}, {31, 17}, {64, 64}, {128, 48}, {81, 108},
    {200, 7}, {33, 129}, {20, 12}
  };
  YoloPreprocParams ultra = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  YoloPreprocParams yolox = YOLO_PREPROC_PARAMS_YOLOX;
  YoloPreprocParams stretch = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  YoloPreprocParams bgr_stretch = YOLO_PREPROC_PARAMS_YOLOX;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  stretch.mode = YOLO_RESIZE_STRETCH;
  bgr_stretch.mode = YOLO_RESIZE_STRETCH;
  bgr_stretch.pad_value = 0;
  const YoloPreprocParams *params[] = { &ultra, &yolox, &stretch,
    &bgr_stretch
  };

  yolo_test_seed (7);
  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
    GError *err = NULL;
    YoloEngine *e = make_engine (inputs[i][0], inputs[i][1]);
    YoloPreproc *pp = yolo_preproc_new (e, &err);
    g_assert_no_error (err);
    for (int f = YOLO_PIXEL_RGB; f <= YOLO_PIXEL_GRAY8; f++) {
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
        const YoloPreprocParams *p = params[(f + s) % G_N_ELEMENTS (params)];
        check_one (e, pp, inputs[i][0], inputs[i][1], f, sizes[s][0],
            sizes[s][1], p);
      }
    }
    yolo_preproc_free (pp);
    yolo_engine_free (e);
  }
}

/* Both kernel variants on this device, whichever the engine would pick:
 * the per-pixel ones (GPUs) and the 16-pixel vector ones (PoCL), each with
 * the frame copied to the device (GPUs) and read in place (CPUs), with
 * input widths under, at and over 16, not multiples of 16 (partial last
 * block), and letterbox edges inside a 16-column block. */
static void
test_variants (void)
{
  static const int inputs[][2] = {
    {64, 64}, {40, 24}, {17, 33}, {70, 9}, {1, 5}, {16, 16}, {15, 40},
    {33, 2}
  };
  static const int sizes[][2] = {
    {1, 1}, {3, 2}, {31, 17}, {128, 48}, {81, 108}, {200, 7}, {7, 200},
    {33, 129}, {1920, 1080}
  };
  static const char *variants[] = { "scalar", "wide" };
  static const char *uploads[] = { "copy", "host" };
  YoloPreprocParams ultra = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  YoloPreprocParams yolox = YOLO_PREPROC_PARAMS_YOLOX;
  YoloPreprocParams stretch = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  const YoloPreprocParams *params[] = { &ultra, &yolox, &stretch };

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  stretch.mode = YOLO_RESIZE_STRETCH;
  yolo_test_seed (11);
  for (guint v = 0; v < 2 * G_N_ELEMENTS (variants); v++) {
    for (guint i = 0; i < G_N_ELEMENTS (inputs); i++) {
      YoloEngineOptions opt = {.preproc_kernel = variants[v % 2],
        .preproc_upload = uploads[v / 2]
      };
      GError *err = NULL;
      YoloEngine *e = make_engine_opt (3, inputs[i][0], inputs[i][1], &opt);
      YoloPreproc *pp = yolo_preproc_new (e, &err);
      g_assert_no_error (err);
      for (int f = YOLO_PIXEL_RGB; f <= YOLO_PIXEL_GRAY8; f++) {
        for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
          const YoloPreprocParams *p =
              params[(f + s + i) % G_N_ELEMENTS (params)];
          check_one (e, pp, inputs[i][0], inputs[i][1], f, sizes[s][0],
              sizes[s][1], p);
        }
      }
      yolo_preproc_free (pp);
      yolo_engine_free (e);
    }
  }
}

/* The same with half storage: the kernels write float16. */
static void
test_kernel_half (void)
{
  half_storage = TRUE;
  test_kernel ();
  half_storage = FALSE;
}

/* preproc -> enqueue -> get_output: the engine sees what preproc wrote. */
static void
test_engine_flow (void)
{
  YoloPreprocParams ultra = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  GError *err = NULL;
  TestImage t;
  int w = 48, h = 32;
  float *ref = g_new (float, 3 * w * h), *out = g_new (float, 3 * w * h);

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    g_free (ref);
    g_free (out);
    return;
  }
  YoloEngine *e = make_engine (w, h);
  YoloPreproc *pp = yolo_preproc_new (e, &err);
  g_assert_no_error (err);
  yolo_test_seed (3);
  for (int round = 0; round < 3; round++) {
    test_image_init (&t, YOLO_PIXEL_BGRX, 70 + 13 * round, 50 - 7 * round);
    g_assert_true (yolo_preproc_reference (&t.img, &ultra, w, h, ref, NULL,
            &err));
    g_assert_true (yolo_preproc_run (pp, &t.img, &ultra, NULL, &err));
    g_assert_no_error (err);
    g_assert_true (yolo_engine_enqueue (e, &err));
    g_assert_no_error (err);
    g_assert_true (yolo_engine_get_output (e, 0, out, &err));
    g_assert_no_error (err);
    for (int i = 0; i < 3 * w * h; i++)
      g_assert_cmpfloat_with_epsilon (out[i], ref[i], 1e-6);
    test_image_clear (&t);
  }
  yolo_preproc_free (pp);
  yolo_engine_free (e);
  g_free (ref);
  g_free (out);
}

static void
test_bad_input (void)
{
  YoloImage img = { 0 };
  YoloPreprocParams ultra = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  GError *err = NULL;
  float dst[3 * 4 * 4];

  img.format = YOLO_PIXEL_RGB;
  img.width = 4;
  img.height = 4;
  g_assert_false (yolo_preproc_reference (&img, &ultra, 4, 4, dst, NULL, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
  g_clear_error (&err);
}

/* Values from reference_detect.py's letterbox(). */
static void
test_geometry (void)
{
  static const struct
  {
    int w, h, s, centered, nw, nh, px, py;
  } cases[] = {
    {810, 1080, 640, 1, 480, 640, 80, 0},
    {1280, 720, 640, 1, 640, 360, 0, 140},
    {810, 1080, 416, 0, 312, 416, 0, 0},
    {1280, 720, 416, 0, 416, 234, 0, 0},
    {1280, 720, 320, 1, 320, 180, 0, 70},
    {810, 1080, 320, 1, 240, 320, 40, 0},
    {1, 1, 640, 1, 640, 640, 0, 0},
    {1000, 3, 640, 1, 640, 2, 0, 319},
  };
  YoloLetterbox lb;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    yolo_letterbox_compute (cases[i].w, cases[i].h, cases[i].s, cases[i].s,
        YOLO_RESIZE_LETTERBOX, cases[i].centered, &lb);
    g_assert_cmpint (lb.new_w, ==, cases[i].nw);
    g_assert_cmpint (lb.new_h, ==, cases[i].nh);
    g_assert_cmpint (lb.pad_x, ==, cases[i].px);
    g_assert_cmpint (lb.pad_y, ==, cases[i].py);
  }
  yolo_letterbox_compute (1280, 720, 640, 320, YOLO_RESIZE_STRETCH, TRUE, &lb);
  g_assert_cmpint (lb.new_w, ==, 640);
  g_assert_cmpint (lb.new_h, ==, 320);
  g_assert_cmpint (lb.pad_x, ==, 0);
  g_assert_cmpfloat_with_epsilon (lb.scale_x, 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (lb.scale_y, 320.0 / 720, 1e-12);
}

/* A 2x downscale is a 2x2 box average, exactly (as cv2.resize), and a
 * same-size letterbox is a copy. */
static void
test_reference_values (void)
{
  YoloPreprocParams p = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  guint8 px[4 * 4 * 3];
  YoloImage img = { 0 };
  float out[3 * 2 * 2], same[3 * 4 * 4];
  GError *err = NULL;

  p.scale = 1.0f;
  for (int i = 0; i < 48; i++)
    px[i] = (guint8) (i * 37 % 256);
  img.format = YOLO_PIXEL_RGB;
  img.width = 4;
  img.height = 4;
  img.planes[0] = px;
  img.strides[0] = 12;
  g_assert_true (yolo_preproc_reference (&img, &p, 2, 2, out, NULL, &err));
  for (int c = 0; c < 3; c++) {
    for (int y = 0; y < 2; y++) {
      for (int x = 0; x < 2; x++) {
        int s = px[(2 * y) * 12 + (2 * x) * 3 + c]
            + px[(2 * y) * 12 + (2 * x + 1) * 3 + c]
            + px[(2 * y + 1) * 12 + (2 * x) * 3 + c]
            + px[(2 * y + 1) * 12 + (2 * x + 1) * 3 + c];
        g_assert_cmpfloat (out[c * 4 + y * 2 + x], ==, (float) ((s + 2) >> 2));
      }
    }
  }
  g_assert_true (yolo_preproc_reference (&img, &p, 4, 4, same, NULL, &err));
  for (int c = 0; c < 3; c++)
    for (int i = 0; i < 16; i++)
      g_assert_cmpfloat (same[c * 16 + i], ==, (float) px[i * 3 + c]);
}

/* The coefficients GStreamer 1.22's videoconvert uses (its debug log of
 * the matrix, "[y 0 rv]" etc.), and known pixels. */
static void
test_yuv_matrix (void)
{
  static const struct
  {
    double kr, kb;
    gboolean full;
    int y, rv, gu, gv, bu;
  } cases[] = {
    {0.299, 0.114, TRUE, 256, 359, -88, -183, 454},
    {0.299, 0.114, FALSE, 298, 409, -100, -208, 516},
    {0.2126, 0.0722, FALSE, 298, 459, -55, -136, 541},
    {0.2126, 0.0722, TRUE, 256, 403, -48, -120, 475},
    {0.2627, 0.0593, FALSE, 298, 430, -48, -167, 548},
  };
  YoloPreprocParams p = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  YoloImage img = { 0 };
  guint8 px[1];
  float out[3];
  GError *err = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    YoloYuvMatrix m;
    yolo_yuv_matrix_init (&m, cases[i].kr, cases[i].kb, cases[i].full);
    g_assert_cmpint (m.y, ==, cases[i].y);
    g_assert_cmpint (m.rv, ==, cases[i].rv);
    g_assert_cmpint (m.gu, ==, cases[i].gu);
    g_assert_cmpint (m.gv, ==, cases[i].gv);
    g_assert_cmpint (m.bu, ==, cases[i].bu);
  }

  /* GRAY8: full range is the identity; limited range Y = 16 -> 0 and
   * Y = 235 -> 253 (videoconvert scales Y - 128) */
  p.scale = 1.0f;
  img.format = YOLO_PIXEL_GRAY8;
  img.width = img.height = 1;
  img.planes[0] = px;
  img.strides[0] = 1;
  for (int full = 0; full < 2; full++) {
    yolo_yuv_matrix_init (&img.yuv, 0.299, 0.114, full);
    for (int v = 0; v < 256; v++) {
      px[0] = (guint8) v;
      g_assert_true (yolo_preproc_reference (&img, &p, 1, 1, out, NULL, &err));
      g_assert_cmpfloat (out[0], ==, out[1]);
      g_assert_cmpfloat (out[0], ==, out[2]);
      if (full)
        g_assert_cmpfloat (out[0], ==, (float) v);
      else if (v == 16)
        g_assert_cmpfloat (out[0], ==, 0.0f);
      else if (v == 235)
        g_assert_cmpfloat (out[0], ==, 253.0f);
    }
  }
}

/* A 1-channel (or 4-channel) model is refused with a message naming the
 * channel count. */
static void
test_channels (void)
{
  GError *err = NULL;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (int c = 1; c <= 4; c += 3) {
    YoloEngine *e = make_engine_c (c, 32, 32);
    gchar *want = g_strdup_printf ("has %d channel", c);
    g_assert_null (yolo_preproc_new (e, &err));
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (err->message, want));
    g_assert_nonnull (strstr (err->message, "3-channel"));
    g_assert_null (strstr (err->message, "not an image tensor"));
    g_clear_error (&err);
    g_free (want);
    yolo_engine_free (e);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/preproc/geometry", test_geometry);
  g_test_add_func ("/preproc/reference-values", test_reference_values);
  g_test_add_func ("/preproc/bad-input", test_bad_input);
  g_test_add_func ("/preproc/yuv-matrix", test_yuv_matrix);
  g_test_add_func ("/preproc/channels", test_channels);
  g_test_add_func ("/preproc/kernel", test_kernel);
  g_test_add_func ("/preproc/kernel-half", test_kernel_half);
  g_test_add_func ("/preproc/variants", test_variants);
  g_test_add_func ("/preproc/engine-flow", test_engine_flow);
  return g_test_run ();
}
