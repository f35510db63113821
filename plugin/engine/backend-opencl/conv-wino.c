/* backend-opencl/conv-wino.c - conv-wino4: Winograd F(4x4, 3x3) for
 * group-1 3x3 stride-1 pad-1 convolutions on wide-vector CPUs (PoCL),
 * from conv_cpu.cl: conv_wino4_in + conv_wino_gemm + conv_wino4_out
 * (weights transformed here, two shared scratch slots per conv). The
 * automatic choice takes it from WINO_MIN_C input and output channels
 * (where bench-conv measured it ahead of conv-cpu-3x3s1 on PoCL); with
 * tuning it competes with conv-cpu-3x3s1 there. */
#include <math.h>
#include <string.h>
#include "conv-common.h"

#define WINO_MIN_C 64

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

/* Weights [M][C][3][3] -> U = G g G^T as [36][M/8][C][8], zero padded. */
static float *
conv_wino4_weights (const float *w, const ConvParams * p, gsize * bytes)
{
  static const double G[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
  };
  int nb = yolo_div_up (p->M, CONV_BLOCK), C = p->C, m, c, i, j, k;
  gsize plane = (gsize) nb * C * CONV_BLOCK;
  float *u = g_new0 (float, 36 * plane);

  for (m = 0; m < p->M; m++) {
    for (c = 0; c < C; c++) {
      const float *g = w + ((gsize) m * C + c) * 9;
      double t[6][3];
      for (i = 0; i < 6; i++)
        for (j = 0; j < 3; j++)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (i = 0; i < 6; i++) {
        for (j = 0; j < 6; j++) {
          double acc = 0;
          for (k = 0; k < 3; k++)
            acc += t[i][k] * G[j][k];
          u[(i * 6 + j) * plane + ((gsize) (m / CONV_BLOCK) * C + c)
              * CONV_BLOCK + m % CONV_BLOCK] = (float) acc;
        }
      }
    }
  }
  *bytes = 36 * plane * sizeof (float);
  return u;
}

/* Winograd F(4x4, 3x3): input transform, 36 GEMMs, output transform with
 * the epilogue (see conv_cpu.cl), through two shared scratch slots. */
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
  int th, tw, Tp, nb, nxc;
  gsize ubytes, vbytes, obytes, gws[2];
  cl_mem umem;
  cl_kernel k;
  YoloArgs a;
  float *u;
  /* Element strides of the scratch planes: V[c][xi][t] and O[m][xi][t]
   * (YoloEngineOptions.wino_layout "xi": [xi][c][t], for comparison). */
  gboolean xi_major = !strcmp (yolo_rt_options (rt)->wino_layout, "xi");
  int Mp, vcs, vxs, ocs, oxs;

  if (!yolo_conv_params (g, n, p, error)
      || !yolo_conv_residual_ok (g, n, p, &res, error))
    return FALSE;
  th = yolo_div_up (p->H, 4);
  tw = yolo_div_up (p->W, 4);
  Tp = yolo_div_up ((gsize) th * tw, 32) * 32;
  nb = yolo_div_up (p->M, CONV_BLOCK);
  nxc = yolo_div_up (tw, 16);
  Mp = nb * CONV_BLOCK;
  vcs = xi_major ? Tp : 36 * Tp;
  vxs = xi_major ? p->C * Tp : Tp;
  ocs = xi_major ? Tp : 36 * Tp;
  oxs = xi_major ? Mp * Tp : Tp;
  if ((gint64) 36 * MAX (p->C, nb * CONV_BLOCK) * Tp > G_MAXINT / 2) {
    yolo_op_error (error, n, "Conv tensors are too large");
    return FALSE;
  }
  u = conv_wino4_weights (wt->data, p, &ubytes);
  umem = yolo_rt_upload (rt, u, ubytes, error);
  g_free (u);
  if (umem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, p, error);
  if (bmem == NULL)
    return FALSE;
  /* Scratch (shared by all convs, see yolo_args_scratch): slot 0 holds the
   * transformed input V, slot 1 the GEMM output O; 32 floats of slack: the
   * output transform reads up to 16 lanes past the last tile. */
  vbytes = ((gsize) 36 * p->C * Tp + 32) * sizeof (float);
  obytes = ((gsize) 36 * nb * CONV_BLOCK * Tp + 32) * sizeof (float);

  k = yolo_rt_kernel (rt, "conv_wino4_in", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_scratch (&a, rt, 0, vbytes);
  yolo_args_int (&a, p->C);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, th);
  yolo_args_int (&a, tw);
  yolo_args_int (&a, Tp);
  yolo_args_int (&a, vcs);
  yolo_args_int (&a, vxs);
  gws[0] = p->C;
  gws[1] = tw >= 16 ? (gsize) th *nxc : 1;
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 2, gws, lt, error))
    return FALSE;

  k = yolo_rt_kernel (rt, "conv_wino_gemm", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 0, vbytes);
  yolo_args_mem (&a, umem);
  yolo_args_scratch (&a, rt, 1, obytes);
  yolo_args_int (&a, p->C);
  yolo_args_int (&a, nb);
  yolo_args_int (&a, Tp);
  yolo_args_int (&a, 36);
  yolo_args_int (&a, vcs);
  yolo_args_int (&a, vxs);
  yolo_args_int (&a, ocs);
  yolo_args_int (&a, oxs);
  gws[0] = (gsize) 36 *nb;
  gws[1] = Tp / 32;
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 2, gws, l, error))
    return FALSE;

  k = yolo_rt_kernel (rt, "conv_wino4_out", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 1, obytes);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, th);
  yolo_args_int (&a, tw);
  yolo_args_int (&a, ocs);
  yolo_args_int (&a, oxs);
  gws[0] = p->M;
  gws[1] = (gsize) th *nxc;
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, lt, error);
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
