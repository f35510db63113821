/* backend-opencl/conv-dwsep.c - DepthwiseSeparableConv (ops/dwsep.h) on
 * wide-vector CPU devices (PoCL): conv_dwsep3x3s1 of conv_cpu.cl, one
 * launch for the depthwise 3x3 stride-1 pad-1 conv and the 1x1 that
 * reads it (the pass, yolo-dwsep-fuse.c, makes the node only on such
 * devices and only for what this supports).
 *  conv-cpu-dwsep3x3s1   32 output pixels x all output channels per
 *                        work-group, the depthwise tile (Cd x 32) in
 *                        local memory
 *  conv-cpu-dwsep3x3s1-split  the two launches of the unfused Convs
 *                        (conv-cpu-dw3x3s1, then conv-cpu-1x1), the
 *                        depthwise output in scratch slot 0
 * Both tunable: the tuner keeps the faster per node. The same values,
 * bit for bit, as conv-cpu-dw3x3s1 then conv-cpu-1x1. */
#include <string.h>

#include "conv-common.h"
#include "ops/dwsep.h"

/* conv_dwsep3x3s1's argument index of its __local tile t, and its local
 * size. */
#define DWSEP_LOCAL_ARG 22
static const gsize dwsep_lws[2] = { 1, 1 };

static gboolean
split_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p, q;
  YoloTensor *res;

  return yolo_rt_device (rt)->wide_vectors
      && yolo_dwsep_params (g, n, &p, &q, NULL, NULL, NULL, NULL)
      && yolo_conv_residual_ok (g, n, &q, &res, NULL) && !n->qepi
      && p.kh == 3 && p.kw == 3 && p.sh == 1 && p.sw == 1 && p.dh == 1
      && p.dw == 1 && p.pt == 1 && p.pl == 1 && p.pb == 1 && p.pr == 1;
}

/* The same, and the device runs the fused kernel's work-group with its
 * tile of Cd x 32 floats. */
static gboolean
dwsep3x3s1_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  cl_kernel k;
  gboolean ok;

  if (!split_supports (rt, g, n)
      || !yolo_conv_params (g, n, &p, NULL)
      || !(k = yolo_rt_kernel (rt, "conv_dwsep3x3s1", NULL)))
    return FALSE;
  ok = clSetKernelArg (k, DWSEP_LOCAL_ARG, (gsize) p.M * 32 * sizeof (float),
      NULL) == CL_SUCCESS && yolo_rt_fits_fixed (rt, n, k, 2, dwsep_lws);
  clReleaseKernel (k);
  return ok;
}

/* What both variants need: the two convs' parameters, the depthwise
 * activation, the residual, and the constants on the device (depthwise
 * weights wd and bias bd, pointwise weights wp in blocks of CONV_BLOCK
 * and bias bp). */
typedef struct
{
  ConvParams p, q;
  YoloAct dact;
  float alpha, beta;
  YoloTensor *res;
  cl_mem wd, bd, wp, bp;
} DwsepSetup;

static gboolean
dwsep_setup (YoloRuntime * rt, YoloGraph * g, YoloNode * n, DwsepSetup * d,
    GError ** error)
{
  if (!yolo_dwsep_params (g, n, &d->p, &d->q, &d->dact, &d->alpha, &d->beta,
          error) || !yolo_conv_residual_ok (g, n, &d->q, &d->res, error))
    return FALSE;
  d->wd = yolo_rt_upload (rt, YOLO_IN (g, n, 1)->data,
      (gsize) d->p.M * 9 * sizeof (float), error);
  return d->wd
      && (d->bd = yolo_conv_cl_upload_bias (rt, YOLO_IN (g, n, 2), d->p.M,
          error))
      && (d->wp = yolo_conv_cl_upload_block (rt, YOLO_IN (g, n, 3)->data,
          &d->q, CONV_BLOCK, error))
      && (d->bp = yolo_conv_cl_upload_bias (rt, YOLO_IN (g, n, 4), d->q.M,
          error));
}

static gboolean
dwsep3x3s1_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  DwsepSetup d;
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  gsize gws[2];
  cl_kernel k;
  YoloArgs a;

  if (!dwsep_setup (rt, g, n, &d, error))
    return FALSE;
  k = yolo_rt_kernel (rt, "conv_dwsep3x3s1", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_mem (&a, d.wd);
  yolo_args_mem (&a, d.bd);
  yolo_args_int (&a, d.dact);
  yolo_args_float (&a, d.alpha);
  yolo_args_float (&a, d.beta);
  yolo_args_mem (&a, d.wp);
  yolo_args_mem (&a, d.bp);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, d.res);
  yolo_args_int (&a, d.q.M);
  yolo_args_int (&a, d.p.H);
  yolo_args_int (&a, d.p.W);
  yolo_args_int (&a, d.p.M);
  yolo_args_int (&a, d.p.Mg);
  /* the depthwise tile (argument DWSEP_LOCAL_ARG): Cd x 32 activations
   * (float or half) */
  yolo_args_local (&a, (gsize) d.p.M * 32 * sizeof (float));
  if (!yolo_conv_cl_args_qdq (&a, rt, n, d.bp, error)
      || !yolo_args_ok (&a, n, error))
    return FALSE;
  /* one work-item a work-group (see conv_cpu.cl) */
  gws[0] = 1;
  gws[1] = yolo_div_up ((gsize) d.q.H * d.q.W, 32);
  return yolo_rt_launch_fixed (rt, n, k, 2, gws, dwsep_lws, error);
}

/* The two launches of the unfused Convs, the depthwise output in scratch
 * slot 0: conv_dw3x3s1, then conv_1x1_c8 from it (the arguments and
 * local sizes of conv-cpu-dw3x3s1 and conv-cpu-1x1). */
static gboolean
dwsep3x3s1_split_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  DwsepSetup d;
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  guint units = yolo_rt_device (rt)->compute_units;
  gsize dbytes, gws[2], lws[2];
  cl_kernel k;
  YoloArgs a;

  if (!dwsep_setup (rt, g, n, &d, error))
    return FALSE;
  dbytes = (gsize) d.p.M * d.p.Ho * d.p.Wo * sizeof (float);

  k = yolo_rt_kernel (rt, "conv_dw3x3s1", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_mem (&a, d.wd);
  yolo_args_mem (&a, d.bd);
  yolo_args_scratch (&a, rt, 0, dbytes);
  yolo_args_int (&a, 0);
  yolo_args_scratch (&a, rt, 0, dbytes);
  yolo_args_int (&a, 0);
  yolo_args_int (&a, 0);
  yolo_args_int (&a, d.dact);
  yolo_args_float (&a, d.alpha);
  yolo_args_float (&a, d.beta);
  yolo_args_int (&a, d.p.M);
  yolo_args_int (&a, d.p.H);
  yolo_args_int (&a, d.p.W);
  yolo_args_int (&a, d.p.Ho);
  yolo_args_int (&a, d.p.Wo);
  yolo_args_int (&a, d.p.Mg);
  /* n has no QDQ epilogue: the dummy and mask 0 */
  if (!yolo_conv_cl_args_qdq (&a, rt, n, d.bd, error)
      || !yolo_args_ok (&a, n, error))
    return FALSE;
  /* CONV_DW3_R (8) output rows a work-item */
  gws[0] = d.p.M;
  gws[1] = yolo_div_up (d.p.Ho, 8);
  lws[0] = 1;
  lws[1] = yolo_conv_cl_balanced_lws (units, gws[0], gws[1], 8, d.p.Ho);
  if (!yolo_rt_launch (rt, n, k, 2, gws, lws, error))
    return FALSE;

  k = yolo_rt_kernel (rt, "conv_1x1_c8", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 0, dbytes);
  yolo_args_int (&a, 0);
  yolo_args_mem (&a, d.wp);
  yolo_args_mem (&a, d.bp);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, d.res);
  yolo_args_int (&a, d.q.M);
  yolo_args_int (&a, d.q.H * d.q.W);
  yolo_args_int (&a, d.q.Cg);
  yolo_args_int (&a, d.q.Mg);
  if (!yolo_conv_cl_args_qdq (&a, rt, n, d.bp, error)
      || !yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = yolo_div_up (d.q.M, CONV_BLOCK);
  gws[1] = yolo_div_up ((gsize) d.q.H * d.q.W, 32);
  lws[1] = yolo_conv_cl_balanced_lws (units, gws[0], gws[1], 32,
      (gsize) d.q.H * d.q.W);
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

static const char *const dwsep_types[] = { YOLO_DWSEP_OP, NULL };

static const YoloOpImpl impl_dwsep3x3s1 = { dwsep_types,
  "conv-cpu-dwsep3x3s1", "conv_cpu", NULL, dwsep3x3s1_supports,
  dwsep3x3s1_prepare, YOLO_IMPL_HALF | YOLO_IMPL_TUNABLE
};

static const YoloOpImpl impl_dwsep3x3s1_split = { dwsep_types,
  "conv-cpu-dwsep3x3s1-split", "conv_cpu", NULL, split_supports,
  dwsep3x3s1_split_prepare, YOLO_IMPL_HALF | YOLO_IMPL_TUNABLE
};

/* The fused kernel first (the choice without tuning), then the two
 * launches; the tuner keeps the faster per node. */
const YoloOpImpl *const yolo_impls_conv_dwsep[] = { &impl_dwsep3x3s1,
  &impl_dwsep3x3s1_split, NULL
};
