/* backend-opencl/detect.c - DetectDecode (ops/detect.h) on OpenCL: one
 * launch of ocl_kernels/detect.cl, one work-item per 256 anchors (16 on
 * GPUs) of a level and image (global size: chunks x N images), reading
 * each level's box and class conv outputs where they are and writing the
 * [N, 4+nc, A] output or (split) the boxes [N, A, 4] and scores [N, A, nc]
 * (no Concat, no intermediate tensors). */
#include "impls.h"
#include "ops/detect.h"

/* detect.cl: anchors per work-item, a multiple of 16 up to 16 *
 * DETECT_B: on CPUs 256 (yolo26n-640's DetectDecode 0.67, 0.51, 0.44 and
 * 0.37x the float8 kernel's CPU time at 16, 64, 128 and 256), elsewhere
 * 16 (work-items for a GPU's lanes) */
#define DETECT_SPAN_CPU 256
#define DETECT_SPAN_GPU 16
/* detect.cl's DETECT_B */
#define DETECT_MAX_BLOCKS 16

int
yolo_cl_decode_span (YoloRuntime * rt, const YoloNode * n, int cpu_span,
    int gpu_span, int max_span, GError ** error)
{
  const char *env = g_getenv ("YOLO_DECODE_SPAN");
  gchar *end = NULL;
  gint64 v;

  if (env == NULL || *env == '\0')
    return yolo_rt_device (rt)->is_cpu ? cpu_span : gpu_span;
  v = g_ascii_strtoll (env, &end, 10);
  if (*end == '\0' && v >= 16 && v <= max_span && v % 16 == 0)
    return (int) v;
  yolo_op_error (error, n, "YOLO_DECODE_SPAN is \"%s\": a multiple of 16 "
      "from 16 to %d", env, max_span);
  return 0;
}

static gboolean
detect_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloDetectGeom d;
  cl_kernel k;
  YoloArgs a;
  gsize gws[2];
  int span = yolo_cl_decode_span (rt, n, DETECT_SPAN_CPU, DETECT_SPAN_GPU,
      16 * DETECT_MAX_BLOCKS, error);
  static const gsize lws_cpu[2] = { 1, 1 };

  if (span == 0 || !yolo_detect_geom (g, n, &d, error))
    return FALSE;
  k = yolo_rt_kernel (rt, "detect_decode", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  /* box then class tensors of 4 levels; unused levels repeat level 0 */
  for (int part = 0; part < 2; part++)
    for (int l = 0; l < YOLO_DETECT_MAX_LEVELS; l++)
      yolo_args_tensor (&a, rt, g, YOLO_IN (g, n,
              part * d.L + (l < d.L ? l : 0)));
  yolo_args_param (&a, rt, g, YOLO_IN (g, n, 2 * d.L));
  yolo_args_param (&a, rt, g, YOLO_IN (g, n, 2 * d.L + 1));
  yolo_args_param (&a, rt, g, YOLO_IN (g, n, 2 * d.L + (d.R > 1 ? 2 : 1)));
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  for (int l = 0; l < YOLO_DETECT_MAX_LEVELS; l++)
    yolo_args_int (&a, l < d.L ? d.n[l] : 0);
  yolo_args_int (&a, d.R);
  yolo_args_int (&a, d.nc);
  yolo_args_int (&a, d.xywh);
  /* split: the scores [N, A, nc]; else unused (the output again) */
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, d.split ? 1 : 0));
  yolo_args_int (&a, d.split);
  yolo_args_int (&a, span);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = 0;
  for (int l = 0; l < d.L; l++)
    gws[0] += (d.n[l] + span - 1) / span;
  gws[1] = d.N;
  /* PoCL: work-groups of one work-item. Left to the driver it takes the
   * whole grid as one group (263 work-items of 8 anchors at 320x320, a prime), which
   * one of its threads runs alone. */
  return yolo_rt_launch (rt, n, k, 2, gws,
      yolo_rt_device (rt)->wide_vectors ? lws_cpu : NULL, error);
}

static const char *const detect_types[] = { YOLO_DETECT_DECODE_OP, NULL };

static const YoloOpImpl impl_detect = {
  detect_types, "detect-decode", "detect", NULL, NULL, detect_prepare,
  YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_detect[] = { &impl_detect, NULL };
