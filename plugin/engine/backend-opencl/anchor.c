/* backend-opencl/anchor.c - AnchorDecode (ops/anchor.h) on OpenCL: one
 * launch of ocl_kernels/anchor.cl, one work-item per 64 grid cells (16 on
 * GPUs) of one anchor of one level of one image, reading each level's conv output
 * where it is and writing the [N, A, 5+nc] output (no Transpose, Split,
 * Concat or intermediate tensor). */
#include "impls.h"
#include "ops/anchor.h"

/* anchor.cl: grid cells per work-item, a multiple of 16: on CPUs 64
 * (16 took 1.3x the CPU time), elsewhere 16 (work-items for a GPU's
 * lanes) */
#define ANCHOR_SPAN_CPU 64
#define ANCHOR_SPAN_GPU 16
/* the most YOLO_DECODE_SPAN may ask */
#define ANCHOR_SPAN_MAX 1024

static gboolean
anchor_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloAnchorGeom d;
  cl_kernel k;
  YoloArgs a;
  gsize gws[2];
  int span = yolo_cl_decode_span (rt, n, ANCHOR_SPAN_CPU, ANCHOR_SPAN_GPU,
      ANCHOR_SPAN_MAX, error);
  static const gsize lws_cpu[2] = { 1, 1 };

  if (span == 0 || !yolo_anchor_geom (g, n, &d, error))
    return FALSE;
  k = yolo_rt_kernel (rt, "anchor_decode", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  /* 4 levels; unused levels repeat level 0 */
  for (int l = 0; l < YOLO_ANCHOR_MAX_LEVELS; l++)
    yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, l < d.L ? l : 0));
  for (int i = 0; i < 3; i++)
    yolo_args_param (&a, rt, g, YOLO_IN (g, n, d.L + i));
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  for (int l = 0; l < YOLO_ANCHOR_MAX_LEVELS; l++)
    yolo_args_int (&a, l < d.L ? d.n[l] : 0);
  yolo_args_int (&a, d.na);
  yolo_args_int (&a, d.no);
  yolo_args_float (&a, d.xy_offset);
  yolo_args_int (&a, span);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = 0;
  for (int l = 0; l < d.L; l++)
    gws[0] += d.na * ((d.n[l] + span - 1) / span);
  gws[1] = d.N;
  /* PoCL: work-groups of one work-item. Left to the driver it takes
   * large groups (3150 work-items of 8 cells at 640x640) that it vectorises across
   * work-items into gathers and scatters, and one thread ran nearly all
   * of it (busy time = CPU time, 3 ms at 640). */
  return yolo_rt_launch (rt, n, k, 2, gws,
      yolo_rt_device (rt)->wide_vectors ? lws_cpu : NULL, error);
}

static const char *const anchor_types[] = { YOLO_ANCHOR_DECODE_OP, NULL };

static const YoloOpImpl impl_anchor = {
  anchor_types, "anchor-decode", "anchor", NULL, NULL, anchor_prepare,
  YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_anchor[] = { &impl_anchor, NULL };
