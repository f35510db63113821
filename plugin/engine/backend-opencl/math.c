/* backend-opencl/math.c - Sin, Cos, Gelu on OpenCL (ocl_kernels/math.cl):
 * one element per work-item, then the fused activation. */
#include "impls.h"
#include "ops/math.h"

static gboolean
math_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  static const gsize lws[1] = { 64 };
  gsize gws[1];
  cl_kernel k;
  YoloArgs a;
  int code;

  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  if (!yolo_math_code (n, &code, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  if (total > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  k = yolo_rt_kernel (rt, "math_unary", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, (cl_int) total);
  yolo_args_int (&a, code);
  yolo_args_int (&a, n->act);
  yolo_args_float (&a, n->act_alpha);
  yolo_args_float (&a, n->act_beta);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = total;
  return yolo_rt_launch (rt, n, k, 1, gws, lws, error);
}

static const char *const math_types[] = { "Sin", "Cos", "Gelu", NULL };

static const YoloOpImpl impl_math = {
  math_types, "math-unary", "math", NULL, NULL, math_prepare, 0
};

const YoloOpImpl *const yolo_impls_math[] = { &impl_math, NULL };
