/* backend-opencl/conv-wino.c - conv-wino4: Winograd F(4x4, 3x3) for
 * group-1 3x3 stride-1 pad-1 convolutions on wide-vector CPUs (PoCL),
 * from conv_cpu.cl: conv_wino4_wt (the weights' transform, per frame
 * from their 9 taps; on small inputs U is kept instead, wino4_keep_u),
 * then per band of tile rows conv_wino4_in +
 * conv_wino_gemm + conv_wino4_out, through two shared scratch slots. The
 * automatic choice takes it from WINO_MIN_C input and output channels
 * (where bench-conv measured it ahead of conv-cpu-3x3s1 on PoCL); with
 * tuning it competes with conv-cpu-3x3s1 there. */
#include <math.h>
#include <string.h>
#include "conv-common.h"

#define WINO_MIN_C 64

/* Inputs of at most this many pixels keep U (wino4_keep_u). */
#define WINO_KEEP_U_PIXELS (416 * 416)

/* Winograd F(4x4, 3x3) scales intermediate values by up to about 4e4
 * (the B and A transforms) where a direct convolution does not: with weights
 * near FLT_MAX it turns a finite result into inf - inf = NaN. Weights of any
 * real network are far below this bound; larger ones take the direct
 * kernel, which stays finite wherever onnxruntime does. */
#define WINO_MAX_ABS_WEIGHT 65504.0f

static gboolean
conv_wino_weights_safe (const YoloTensor * wt)
{
  const float *w = wt->data;
  gint64 cnt = yolo_tensor_numel (wt);

  for (gint64 i = 0; i < cnt; i++)
    if (!(fabsf (w[i]) <= WINO_MAX_ABS_WEIGHT))
      return FALSE;
  return TRUE;
}

/* Weights [M][C][3][3] -> [M/8][C][9][8] (the 9 taps of 8 output
 * channels, zero padded), conv_wino4_wt's input. */
static float *
conv_wino4_taps (const float *w, const ConvParams * p, gsize * bytes)
{
  int nb = yolo_div_up (p->M, CONV_BLOCK), C = p->C, m, c, k;
  float *g = g_new0 (float, (gsize) nb * C * 9 * CONV_BLOCK);

  for (m = 0; m < p->M; m++)
    for (c = 0; c < C; c++)
      for (k = 0; k < 9; k++)
        g[(((gsize) (m / CONV_BLOCK) * C + c) * 9 + k) * CONV_BLOCK
            + m % CONV_BLOCK] = w[((gsize) m * C + c) * 9 + k];
  *bytes = (gsize) nb *C * 9 * CONV_BLOCK * sizeof (float);
  return g;
}

/* Weights [M][C][3][3] -> U = G g G^T as [36][M/8][C][8] (zero padded
 * past M), in double, rounded once: what conv_wino4_wt computes on the
 * device, for the layers that keep U (wino4_keep_u). */
static float *
conv_wino4_u (const float *w, const ConvParams * p, gsize * bytes)
{
  static const double G[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
  };
  int nb = yolo_div_up (p->M, CONV_BLOCK), C = p->C;
  gsize plane = (gsize) nb * C * CONV_BLOCK;
  float *u = g_new0 (float, 36 * plane);

  for (int m = 0; m < p->M; m++) {
    for (int c = 0; c < C; c++) {
      const float *g = w + ((gsize) m * C + c) * 9;
      gsize at = ((gsize) (m / CONV_BLOCK) * C + c) * CONV_BLOCK
          + m % CONV_BLOCK;
      double t[6][3];

      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 3; j++)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++)
          u[(i * 6 + j) * plane + at] = (float) (t[i][0] * G[j][0]
              + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
  }
  *bytes = 36 * plane * sizeof (float);
  return u;
}

/* Whether the layer keeps U = G g G^T on the device, computed once at
 * load (36 floats per filter), instead of its 9 taps and a conv_wino4_wt
 * launch before each GEMM. The transform costs the same per frame at any
 * input size while the rest of the frame shrinks with the pixels: on
 * models whose input has at most WINO_KEEP_U_PIXELS pixels U is kept
 * (yolov8n-320: 16 fewer launches, 18 MiB more device memory); larger
 * inputs keep the taps (yolov8n-640's peak RSS, issue 12). YOLO_WINO_U =
 * load | frame forces one way (tests, A/B); another value but auto is an
 * error. */
static gboolean
wino4_keep_u (YoloGraph * g, const YoloNode * n, gboolean * keep,
    GError ** error)
{
  const char *env = g_getenv ("YOLO_WINO_U");
  gint64 px = 0;

  if (env && *env && strcmp (env, "auto")) {
    *keep = !strcmp (env, "load");
    if (*keep || !strcmp (env, "frame"))
      return TRUE;
    yolo_op_error (error, n, "YOLO_WINO_U is \"%s\": auto, load or frame", env);
    return FALSE;
  }
  for (guint i = 0; i < g->inputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, i));

    if (t->ndim == 4)
      px = MAX (px, t->dims[2] * t->dims[3]);
  }
  *keep = px > 0 && px <= WINO_KEEP_U_PIXELS;
  return TRUE;
}

/* The transformed input V and GEMM output O of one band of tile rows take
 * at most about this much each (unless a single tile row takes more): a
 * layer whose V or O would be larger runs band after band through the
 * same scratch. On yolov8n-640 the head's 80x80 convs (V and O 4.6 MiB
 * each) run in 3 bands; the scratch shrinks from 10 to 5 MiB. */
#define WINO_BAND_BYTES (2 << 20)

/* Tile rows per band: th split into as few equal bands as keep V and O of
 * a band (36 x MAX (C, Mp) x Tp floats) within WINO_BAND_BYTES. */
static int
wino4_band_rows (int th, int tw, int C, int Mp)
{
  for (int nbands = 1;; nbands++) {
    int rows = yolo_div_up (th, nbands);
    gint64 tp = yolo_div_up ((gint64) rows * tw, 32) * 32;

    if (rows == 1 || (gint64) 36 * MAX (C, Mp) * tp * 4 <= WINO_BAND_BYTES)
      return rows;
  }
}

/* The tiles of a band's V and O planes: T rounded up to 16, the GEMM's
 * vector (conv_wino_gemm computes 32 tiles a work-item and a last vector
 * of 16 where the plane ends there): 112 for a 40x40 layer's 100 tiles,
 * not 128, and 16 for a 10x10 layer's 9, not 32, so many fewer
 * multiply-adds on padding. conv_wino4_in stores no lane past the plane;
 * conv_wino4_out reads up to 16 lanes past a row, into the next plane or
 * the slack, and stores none of them. */
static int
wino4_tiles_padded (gint64 T)
{
  return (int) (yolo_div_up (T, 16) * 16);
}

/* conv_wino4_wt: U of the layer from its 9 taps g into scratch slot 1
 * (ubytes in all) from float u_off on, before the GEMM of each frame. */
static gboolean
wino4_launch_wt (YoloRuntime * rt, YoloNode * n, const ConvParams * p,
    cl_mem g, gsize ubytes, int u_off, const gsize * lws, GError ** error)
{
  cl_kernel k = yolo_rt_kernel (rt, "conv_wino4_wt", error);
  gsize gws[2];
  YoloArgs a;

  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_mem (&a, g);
  yolo_args_scratch (&a, rt, 1, ubytes);
  yolo_args_int (&a, u_off);
  yolo_args_int (&a, p->C);
  yolo_args_int (&a, yolo_div_up (p->M, CONV_BLOCK));
  gws[0] = p->C;
  gws[1] = yolo_div_up (p->M, CONV_BLOCK);
  return yolo_args_ok (&a, n, error)
      && yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

/* Winograd F(4x4, 3x3): the weight transform, then per band of tile rows
 * the input transform, 36 GEMMs and the output transform with the epilogue
 * (see conv_cpu.cl), through two shared scratch slots. */
static gboolean
wino4_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams params, *p = &params;
  YoloTensor *res;
  cl_mem bmem;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  /* Fixed local sizes (PoCL compiles one work-group function per size):
   * 1x4 for the GEMM, 1x1 for the transforms, whose large unrolled bodies
   * then compile faster (0.45 s less CPU time cold) and run as fast (see
   * the README's cold start). */
  static const gsize lws[2] = { 1, 4 }, lws_tf[2] = { 1, 1 };
  const gsize *l = yolo_rt_device (rt)->wide_vectors ? lws : NULL;
  const gsize *lt = l ? lws_tf : NULL;
  int th, tw, Tp, nb, nxc, rows;
  gsize gbytes, ubytes, vbytes, obytes, gws[2];
  cl_mem gmem;
  cl_kernel k;
  YoloArgs a;
  float *g9;
  int u_off;
  gboolean keep_u;
  /* Element strides of the scratch planes: V[c][xi][t] and O[m][xi][t]
   * (YoloEngineOptions.wino_layout "xi": [xi][c][t], for comparison). */
  gboolean xi_major = !strcmp (yolo_rt_options (rt)->wino_layout, "xi");
  int Mp;

  if (!yolo_conv_params (g, n, p, error)
      || !yolo_conv_residual_ok (g, n, p, &res, error))
    return FALSE;
  th = yolo_div_up (p->H, 4);
  tw = yolo_div_up (p->W, 4);
  nb = yolo_div_up (p->M, CONV_BLOCK);
  nxc = yolo_div_up (tw, 16);
  Mp = nb * CONV_BLOCK;
  if ((gint64) 36 * MAX (p->C, Mp) * (yolo_div_up ((gint64) th * tw, 32) * 32)
      > G_MAXINT / 2 || (gint64) 36 * Mp * p->C > G_MAXINT / 2) {
    yolo_op_error (error, n, "Conv tensors are too large");
    return FALSE;
  }
  rows = wino4_band_rows (th, tw, p->C, Mp);
  Tp = wino4_tiles_padded (rows * tw);  /* of the largest band */
  /* The weights stay as their 9 taps and conv_wino4_wt transforms them
   * before each GEMM into scratch slot 1, after the GEMM output O (a
   * quarter of the device memory of the 36 transformed values, at one more
   * launch), or, on small inputs, U itself (wino4_keep_u). */
  if (!wino4_keep_u (g, n, &keep_u, error))
    return FALSE;
  g9 = keep_u ? conv_wino4_u (wt->data, p, &gbytes)
      : conv_wino4_taps (wt->data, p, &gbytes);
  gmem = yolo_rt_upload (rt, g9, gbytes, error);
  g_free (g9);
  if (gmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, p, error);
  if (bmem == NULL)
    return FALSE;
  /* Scratch (shared by all convs, see yolo_args_scratch): slot 0 holds the
   * transformed input V, slot 1 the GEMM output O; 32 floats of slack: the
   * output transform reads up to 16 lanes past the last tile. */
  vbytes = ((gsize) 36 * p->C * Tp + 32) * sizeof (float);
  obytes = ((gsize) 36 * Mp * Tp + 32) * sizeof (float);
  /* U = G g G^T, [36][nb][C][8], in slot 1 from float u_off on (aligned
   * to 32 floats) */
  u_off = yolo_div_up (obytes / sizeof (float), 32) * 32;
  ubytes = (u_off + (gsize) 36 * Mp * p->C) * sizeof (float);
  if (keep_u) {
    u_off = 0;
    ubytes = obytes;
  }

  if (!keep_u && !wino4_launch_wt (rt, n, p, gmem, ubytes, u_off, lt, error))
    return FALSE;

  for (int ty0 = 0; ty0 < th; ty0 += rows) {
    int bth = MIN (rows, th - ty0);     /* tile rows of this band */
    int bTp = wino4_tiles_padded (bth * tw);
    int vcs = xi_major ? bTp : 36 * bTp;
    int vxs = xi_major ? p->C * bTp : bTp;
    int ocs = xi_major ? bTp : 36 * bTp;
    int oxs = xi_major ? Mp * bTp : bTp;

    k = yolo_rt_kernel (rt, "conv_wino4_in", error);
    if (k == NULL)
      return FALSE;
    a = yolo_args (k);
    yolo_args_tensor (&a, rt, g, xt);
    yolo_args_scratch (&a, rt, 0, vbytes);
    yolo_args_int (&a, p->C);
    yolo_args_int (&a, p->H);
    yolo_args_int (&a, p->W);
    yolo_args_int (&a, bth);
    yolo_args_int (&a, tw);
    yolo_args_int (&a, bTp);
    yolo_args_int (&a, vcs);
    yolo_args_int (&a, vxs);
    yolo_args_int (&a, ty0);
    gws[0] = p->C;
    gws[1] = tw >= 16 ? (gsize) bth *nxc : 1;
    if (!yolo_args_ok (&a, n, error)
        || !yolo_rt_launch (rt, n, k, 2, gws, lt, error))
      return FALSE;

    k = yolo_rt_kernel (rt, "conv_wino_gemm", error);
    if (k == NULL)
      return FALSE;
    a = yolo_args (k);
    yolo_args_scratch (&a, rt, 0, vbytes);
    if (keep_u)
      yolo_args_mem (&a, gmem);
    else
      yolo_args_scratch (&a, rt, 1, ubytes);
    yolo_args_scratch (&a, rt, 1, ubytes);
    yolo_args_int (&a, p->C);
    yolo_args_int (&a, nb);
    yolo_args_int (&a, bTp);
    yolo_args_int (&a, 36);
    yolo_args_int (&a, vcs);
    yolo_args_int (&a, vxs);
    yolo_args_int (&a, ocs);
    yolo_args_int (&a, oxs);
    yolo_args_int (&a, u_off);
    gws[0] = (gsize) 36 *nb;
    gws[1] = yolo_div_up (bTp, 32);
    if (!yolo_args_ok (&a, n, error)
        || !yolo_rt_launch (rt, n, k, 2, gws, l, error))
      return FALSE;

    k = yolo_rt_kernel (rt, "conv_wino4_out", error);
    if (k == NULL)
      return FALSE;
    a = yolo_args (k);
    yolo_args_scratch (&a, rt, 1, ubytes);
    yolo_args_mem (&a, bmem);
    yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
    yolo_args_int (&a, p->M);
    yolo_args_int (&a, p->H);
    yolo_args_int (&a, p->W);
    yolo_args_int (&a, bth);
    yolo_args_int (&a, tw);
    yolo_args_int (&a, ocs);
    yolo_args_int (&a, oxs);
    yolo_args_int (&a, ty0);
    if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
      return FALSE;
    gws[0] = p->M;
    /* rows narrower than 16 tiles: vectors of 16 of the band's tiles */
    gws[1] = tw >= 16 ? (gsize) bth *nxc : (gsize) yolo_div_up (bth * tw, 16);
    if (!yolo_args_ok (&a, n, error)
        || !yolo_rt_launch (rt, n, k, 2, gws, lt, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
wino4_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;

  if (!yolo_rt_device (rt)->wide_vectors || !yolo_conv_cl_params (g, n, &p)
      || p.group != 1 || p.kh != 3 || p.kw != 3 || p.sh != 1 || p.sw != 1
      || p.dh != 1 || p.dw != 1 || p.pt != 1 || p.pl != 1 || p.pb != 1
      || p.pr != 1)
    return FALSE;
  if (!conv_wino_weights_safe (YOLO_IN (g, n, 1))) {
    g_debug ("%s: weights too large for Winograd", n->name);
    return FALSE;
  }
  return TRUE;
}

/* Where it beats conv-cpu-3x3s1 on PoCL (bench-conv per YOLOv8n layer:
 * clear wins from 64 channels; at 32 channels, 80x80 it is a wash in the
 * whole model and costs 3.8 MB of scratch per conv). */
static gboolean
wino4_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;

  return yolo_conv_cl_params (g, n, &p) && p.Cg >= WINO_MIN_C
      && p.M >= WINO_MIN_C;
}

static const char *const conv_types[] = { "Conv", NULL };

static const YoloOpImpl impl_wino4 = {
  conv_types, "conv-wino4", "conv_cpu", wino4_preferred, wino4_supports,
  wino4_prepare, YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_conv_wino[] = { &impl_wino4, NULL };
