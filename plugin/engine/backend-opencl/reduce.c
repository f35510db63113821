/* backend-opencl/reduce.c - Softmax, LogSoftmax, Reduce*, ArgMax, ArgMin
 * on OpenCL (ocl_kernels/reduce.cl), float tensors. */
#include <math.h>
#include "impls.h"
#include "ops/misc-util.h"
#include "ops/reduce.h"

static gboolean
softmax_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 outer, len, inner;
  gboolean is_log = !strcmp (n->op_type, "LogSoftmax");
  if (!yolo_softmax_geom (g, n, &outer, &len, &inner, error))
    return FALSE;
  if (outer * len * inner == 0)
    return TRUE;
  gboolean rows = inner == 1;
  cl_kernel k = yolo_rt_kernel (rt, rows ? "reduce_softmax_rows" :
      "reduce_softmax_strided", error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  gsize gws = rows ? (gsize) outer : outer * yolo_div_up (inner, 8);
  gsize lws = 64;
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_int (&a, gws);
  yolo_args_int (&a, len);
  if (!rows)
    yolo_args_int (&a, inner);
  yolo_args_int (&a, is_log);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, &gws, &lws, error);
}

/* Collapses the dims selected by sel (in order) into at most 4 dims merged
 * where contiguous in x; returns the count or -1 if more are needed. */
static int
collapse_dims (const YoloTensor * x, const gint64 * xs, const gboolean * red,
    gboolean want, gint64 * d, gint64 * st)
{
  int nd = 0;
  for (int i = 0; i < x->ndim; i++) {
    if (red[i] != want || x->dims[i] == 1)
      continue;
    if (nd > 0 && st[nd - 1] == xs[i] * x->dims[i]) {
      d[nd - 1] *= x->dims[i];
      st[nd - 1] = xs[i];
      continue;
    }
    if (nd == 4)
      return -1;
    d[nd] = x->dims[i];
    st[nd] = xs[i];
    nd++;
  }
  return nd;
}

static gboolean
reduce_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean red[YOLO_MAX_DIMS];
  gint64 xs[YOLO_MAX_DIMS], kd[4], ks[4], rd[4], rs[4];
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  if (x->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_unsupported (error, n, "only float input is supported on device");
    return FALSE;
  }
  if (!yolo_reduce_axes (g, n, red, error))
    return FALSE;
  gint64 total = yolo_tensor_numel (y);
  if (total == 0)
    return TRUE;
  misc_strides (x, xs);
  int nk = collapse_dims (x, xs, red, FALSE, kd, ks);
  int nr = collapse_dims (x, xs, red, TRUE, rd, rs);
  if (nk < 0 || nr < 0) {
    yolo_op_unsupported (error, n, "too many non-contiguous axes");
    return FALSE;
  }
  gint64 cnt = misc_prod (rd, 0, nr);
  cl_kernel k = yolo_rt_kernel (rt, "reduce_generic", error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, total);
  yolo_args_int (&a, yolo_reduce_kind (n));
  yolo_args_float (&a, cnt ? 1.0f / cnt : NAN);
  for (int i = 0; i < 4; i++)
    yolo_args_int (&a, i < 4 - nk ? 1 : kd[i - (4 - nk)]);
  for (int i = 0; i < 4; i++)
    yolo_args_int (&a, i < 4 - nk ? 0 : ks[i - (4 - nk)]);
  for (int i = 0; i < 4; i++)
    yolo_args_int (&a, i < 4 - nr ? 1 : rd[i - (4 - nr)]);
  for (int i = 0; i < 4; i++)
    yolo_args_int (&a, i < 4 - nr ? 0 : rs[i - (4 - nr)]);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gsize gws = total, lws = 64;
  return yolo_rt_launch (rt, n, k, 1, &gws, &lws, error);
}

static gboolean
arg_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 outer, len, inner;
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (x->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_unsupported (error, n, "only float input is supported on device");
    return FALSE;
  }
  if (!yolo_arg_geom (g, n, &axis, &outer, &len, &inner, error))
    return FALSE;
  gsize gws = outer * inner, lws = 64;
  if (gws == 0)
    return TRUE;
  cl_kernel k = yolo_rt_kernel (rt, "reduce_arg", error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_int (&a, gws);
  yolo_args_int (&a, len);
  yolo_args_int (&a, inner);
  yolo_args_int (&a, !strcmp (n->op_type, "ArgMin"));
  yolo_args_int (&a, yolo_node_attr_int (n, "select_last_index", 0) != 0);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, &gws, &lws, error);
}

static const char *const softmax_types[] = { "Softmax", "LogSoftmax", NULL };

static const char *const reduce_types[] = {
  "ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceProd",
  "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp", NULL
};
static const char *const arg_types[] = { "ArgMax", "ArgMin", NULL };

static const YoloOpImpl impl_softmax = {
  softmax_types, "softmax", "reduce", NULL, NULL, softmax_prepare,
  YOLO_IMPL_HALF
};

static const YoloOpImpl impl_reduce = {
  reduce_types, "reduce", "reduce", NULL, NULL, reduce_prepare, YOLO_IMPL_HALF
};

static const YoloOpImpl impl_arg = {
  arg_types, "argmax", "reduce", NULL, NULL, arg_prepare, YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_reduce[] = {
  &impl_softmax, &impl_reduce, &impl_arg, NULL
};
