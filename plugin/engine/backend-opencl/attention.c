/* backend-opencl/attention.c - ScaledDotProductAttention (ops/attention.h)
 * on OpenCL, two variants of ocl_kernels/attention.cl, both tunable:
 *  - attention-tiled (attention_tiled): work-groups of 32 queries staging
 *    32 keys of K and V in local memory; D and DV at most 64. Preferred on
 *    devices with dedicated local memory (GPUs).
 *  - attention-f16 (attention_f16_c32): 16 queries x 32 channels per
 *    work-item in float16 vectors, no local memory; any size. Preferred
 *    on wide-vector CPUs, the fallback everywhere. (A 64-channel kernel,
 *    which computes the scores once for DV = 64, was 2% faster on
 *    yolo11n-640 but took PoCL 6.4 s of CPU time to compile at its first
 *    launch against 2.5 s: a cold start of 15.2 s instead of 10.4 s.)
 * Where both run (tuning on), the faster is measured and kept. */
#include <math.h>

#include "impls.h"
#include "ops/attention.h"

#define ATTN_WG 32              /* attention.cl */
#define ATTN_MAXD 64
#define ATTN_CB 32              /* attention_f16_c32: channels per work-item */

static gboolean
attn_prepare_with (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    gboolean tiled, GError ** error)
{
  YoloAttnGeom a;
  cl_kernel k;
  YoloArgs args;
  const gint64 *views[4];
  YoloTensor *R = n->residual >= 0 ? YOLO_T (g, n->residual) : NULL;

  if (!yolo_attention_geom (g, n, &a, error))
    return FALSE;
  k = yolo_rt_kernel (rt, tiled ? "attention_tiled" : "attention_f16_c32",
      error);
  if (!k)
    return FALSE;
  args = yolo_args (k);
  for (int i = 0; i < 3; i++)
    yolo_args_tensor (&args, rt, g, YOLO_IN (g, n, i));
  yolo_args_tensor (&args, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_tensor (&args, rt, g, R ? R : YOLO_OUT (g, n, 0));
  yolo_args_int (&args, R != NULL);
  yolo_args_int (&args, a.D);
  yolo_args_int (&args, a.DV);
  yolo_args_int (&args, a.NQ);
  yolo_args_int (&args, a.NK);
  yolo_args_int (&args, a.B1);
  yolo_args_float (&args, a.scale * (float) M_LOG2E);
  views[0] = a.q;
  views[1] = a.k;
  views[2] = a.v;
  views[3] = a.o;
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 5; j++)
      yolo_args_int (&args, views[i][j]);
  if (!yolo_args_ok (&args, n, error))
    return FALSE;
  if (tiled) {
    gsize gws[2] = { yolo_div_up (a.NQ, ATTN_WG) * ATTN_WG, a.B0 * a.B1 };
    gsize lws[2] = { ATTN_WG, 1 };
    return yolo_rt_launch_fixed (rt, n, k, 2, gws, lws, error);
  } else {
    gsize gws[3] = { yolo_div_up (a.NQ, 16), yolo_div_up (a.DV, ATTN_CB),
      a.B0 * a.B1
    };
    gsize lws[3] = { 1, 1, 1 };
    return yolo_rt_launch (rt, n, k, 3, gws, lws, error);
  }
}

static gboolean
attn_tiled_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  const YoloDeviceInfo *dev = yolo_rt_device (rt);

  return dev->local_mem_dedicated && !dev->wide_vectors;
}

static gboolean
attn_tiled_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  YoloAttnGeom a;
  gsize lws[2] = { ATTN_WG, 1 };
  cl_kernel k;
  gboolean ok;

  if (!yolo_attention_geom (g, n, &a, NULL) || a.D > ATTN_MAXD
      || a.DV > ATTN_MAXD)
    return FALSE;
  k = yolo_rt_kernel (rt, "attention_tiled", NULL);
  if (!k)
    return FALSE;
  ok = yolo_rt_fits_fixed (rt, n, k, 2, lws);
  clReleaseKernel (k);
  return ok;
}

static gboolean
attn_tiled_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return attn_prepare_with (rt, g, n, TRUE, error);
}

static gboolean
attn_f16_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return attn_prepare_with (rt, g, n, FALSE, error);
}

static const char *const attn_types[] = { YOLO_ATTENTION_OP, NULL };

static const YoloOpImpl impl_attention_tiled = {
  attn_types, "attention-tiled", "attention", attn_tiled_preferred,
  attn_tiled_supports, attn_tiled_prepare, YOLO_IMPL_TUNABLE
};

static const YoloOpImpl impl_attention_f16 = {
  attn_types, "attention-f16", "attention", NULL, NULL, attn_f16_prepare,
  YOLO_IMPL_TUNABLE
};

const YoloOpImpl *const yolo_impls_attention[] = {
  &impl_attention_tiled, &impl_attention_f16, NULL
};
