/* backend-opencl/detect-topk.c - DetectTopK (ops/detect-topk.h) on OpenCL:
 * one launch of ocl_kernels/detect_topk.cl, one work-group of
 * DETECT_TOPK_WG work-items per image, the anchor maxima in scratch slot
 * 0 (N * A floats), the second TopK's candidates in slots 1 and 2 (N * k1
 * * nc values and indices). Replaces YOLO26's 18 tail launches (ReduceMax, two
 * TopKs of 3 launches, Tile, GatherElements, Div, Mod, Gather, Tile, Cast,
 * GatherElements, Concat of 3). */
#include "impls.h"
#include "ops/detect-topk.h"

/* detect_topk.cl's DT_WG */
#define DETECT_TOPK_WG 32

static gboolean
detect_topk_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloDetectTopKGeom d;
  cl_kernel k;
  YoloArgs a;
  gsize gws, lws = DETECT_TOPK_WG;

  if (!yolo_detect_topk_geom (g, n, &d, error))
    return FALSE;
  k = yolo_rt_kernel (rt, "detect_topk", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 1));
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_scratch (&a, rt, 0, d.N * d.A * sizeof (cl_float));
  yolo_args_scratch (&a, rt, 1, d.N * d.k1 * d.nc * sizeof (cl_float));
  yolo_args_scratch (&a, rt, 2, d.N * d.k1 * d.nc * sizeof (cl_int));
  yolo_args_int (&a, d.A);
  yolo_args_int (&a, d.nc);
  yolo_args_int (&a, d.k1);
  yolo_args_int (&a, d.k2);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws = d.N * DETECT_TOPK_WG;
  return yolo_rt_launch_fixed (rt, n, k, 1, &gws, &lws, error);
}

/* The kernel needs work-groups of exactly DETECT_TOPK_WG and its local
 * lists (about 9 KiB). */
static gboolean
detect_topk_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  gsize lws = DETECT_TOPK_WG;
  YoloDetectTopKGeom d;
  cl_kernel k;
  gboolean ok;

  if (!yolo_detect_topk_geom (g, n, &d, NULL))
    return FALSE;
  k = yolo_rt_kernel (rt, "detect_topk", NULL);
  if (!k)
    return FALSE;
  ok = yolo_rt_fits_fixed (rt, n, k, 1, &lws);
  clReleaseKernel (k);
  return ok;
}

static const char *const detect_topk_types[] = { YOLO_DETECT_TOPK_OP, NULL };

static const YoloOpImpl impl_detect_topk = {
  detect_topk_types, "detect-topk", "detect_topk", NULL, detect_topk_supports,
  detect_topk_prepare, 0
};

const YoloOpImpl *const yolo_impls_detect_topk[] = { &impl_detect_topk,
  NULL
};
