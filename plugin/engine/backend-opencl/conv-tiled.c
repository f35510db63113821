/* backend-opencl/conv-tiled.c - the local-memory tiled implicit GEMM
 * of gemm_tiled.cl for group-1 convolutions:
 *  conv-tiled       64 output channels x 64 pixels per work-group of 16x16,
 *                   4x4 outputs per work-item, tiles of weights and im2col
 *                   columns in local memory; it needs exactly that
 *                   work-group and 8 KiB of local memory;
 *  conv-tiled-wg32  32 x 32 tile, 8x4 work-items of 8x4 outputs, 4 KiB.
 * Weights are repacked as [Kp][Mp] (K = Cg*kh*kw rounded up to 16, M to
 * 64). Each supports only the devices (and kernels) that run its local
 * size (yolo_rt_fits_fixed): elsewhere the next variant is taken.
 * Preferred on devices with dedicated local memory (CL_DEVICE_LOCAL_MEM_TYPE
 * CL_LOCAL: GPUs) for 1x1 (any stride / pad) and 3x3 (stride 1 or 2,
 * dilation 1) convolutions. On rusticl/llvmpipe, whose "local" memory is
 * ordinary memory and which allows 32 work-items per group for these
 * kernels, the tiled path measured about 20% more CPU time per yolov8n-320
 * frame than conv-gpu-c8 (same results), so there it runs only when named
 * (the kernel tests name it on PoCL and rusticl). */
#include "conv-common.h"

/* conv_tiled* (gemm_tiled.cl): weights padded to TILED_MP output channels
 * (a multiple of every geometry's tile) and TILED_TK rows of K. */
#define TILED_MP 64
#define TILED_TK 16

/* A work-group geometry of conv_tiled: kernel, its required local size,
 * its output tile (pixels x channels). */
typedef struct
{
  const char *kernel;
  gsize lws[2];
  int tn, tm;
} TiledGeom;

static const TiledGeom geom_64 = { "conv_tiled", {16, 16}, 64, 64 };
static const TiledGeom geom_32 = { "conv_tiled_wg32", {8, 4}, 32, 32 };

/* Weights [M][K] (K = Cg*kh*kw) -> [Kp][Mp] for conv_tiled: K rounded up
 * to TILED_TK, M to TILED_MP, zero padded. */
static float *
conv_repack_tiled (const float *w, const ConvParams * p, int *Mp, gsize * bytes)
{
  gsize K = (gsize) p->Cg * p->kh * p->kw;
  gsize Kp = yolo_div_up (K, TILED_TK) * TILED_TK;
  float *out;

  *Mp = yolo_div_up (p->M, TILED_MP) * TILED_MP;
  out = g_new0 (float, Kp * *Mp);
  for (int m = 0; m < p->M; m++)
    for (gsize k = 0; k < K; k++)
      out[k * *Mp + m] = w[m * K + k];
  *bytes = Kp * *Mp * sizeof (float);
  return out;
}

static gboolean
tiled_prepare_with (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const TiledGeom * geom, GError ** error)
{
  ConvParams params, *p = &params;
  YoloTensor *res;
  cl_mem bmem;
  cl_kernel k;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  gsize wbytes, gws[2];
  cl_mem wmem;
  float *wpack;
  YoloArgs a;
  int Mp;

  if (!yolo_conv_params (g, n, p, error)
      || !yolo_conv_residual_ok (g, n, p, &res, error))
    return FALSE;
  wpack = conv_repack_tiled (wt->data, p, &Mp, &wbytes);
  wmem = yolo_rt_upload (rt, wpack, wbytes, error);
  g_free (wpack);
  if (wmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, p, error);
  if (bmem == NULL)
    return FALSE;
  k = yolo_rt_kernel (rt, geom->kernel, error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, p->Ho);
  yolo_args_int (&a, p->Wo);
  yolo_args_int (&a, p->Cg);
  yolo_args_int (&a, Mp);
  yolo_conv_cl_args_window (&a, p);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = yolo_div_up ((gsize) p->Ho * p->Wo, geom->tn) * geom->lws[0];
  gws[1] = yolo_div_up (p->M, geom->tm) * geom->lws[1];
  return yolo_rt_launch_fixed (rt, n, k, 2, gws, geom->lws, error);
}

static gboolean
tiled_fits (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const TiledGeom * geom)
{
  ConvParams p;
  cl_kernel k;
  gboolean ok;

  if (!yolo_conv_cl_params (g, n, &p) || p.group != 1)
    return FALSE;
  k = yolo_rt_kernel (rt, geom->kernel, NULL);
  if (k == NULL)
    return FALSE;
  ok = yolo_rt_fits_fixed (rt, n, k, 2, geom->lws);
  clReleaseKernel (k);
  return ok;
}

/* GPUs (dedicated local memory, no wide vectors): group 1, 1x1, or 3x3
 * with stride 1 or 2 (YOLO's convs besides the depthwise ones). */
static gboolean
tiled_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  const YoloDeviceInfo *dev = yolo_rt_device (rt);
  ConvParams p;

  if (!dev->local_mem_dedicated || dev->wide_vectors
      || !yolo_conv_cl_params (g, n, &p) || p.group != 1)
    return FALSE;
  if (p.kh == 1 && p.kw == 1)
    return TRUE;
  return p.kh == 3 && p.kw == 3 && p.dh == 1 && p.dw == 1
      && p.sh == p.sw && (p.sh == 1 || p.sh == 2);
}

static gboolean
tiled64_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  /* no fused QDQ epilogue (qepi) here: conv-gpu-c8 runs those */
  return !n->qepi && tiled_fits (rt, g, n, &geom_64);
}

static gboolean
tiled32_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return !n->qepi && tiled_fits (rt, g, n, &geom_32);
}

static gboolean
tiled64_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return tiled_prepare_with (rt, g, n, &geom_64, error);
}

static gboolean
tiled32_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return tiled_prepare_with (rt, g, n, &geom_32, error);
}

static const char *const conv_types[] = { "Conv", NULL };

static const YoloOpImpl impl_tiled = {
  conv_types, "conv-tiled", "gemm_tiled", tiled_preferred, tiled64_supports,
  tiled64_prepare, YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

static const YoloOpImpl impl_tiled_wg32 = {
  conv_types, "conv-tiled-wg32", "gemm_tiled", tiled_preferred,
  tiled32_supports, tiled32_prepare, YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_conv_tiled[] = {
  &impl_tiled, &impl_tiled_wg32, NULL
};
