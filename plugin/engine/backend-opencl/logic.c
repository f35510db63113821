/* backend-opencl/logic.c - comparisons, And / Or / Xor, Not and Where on
 * OpenCL (ocl_kernels/logic.cl): one element per work-item over up to 6
 * collapsed broadcast dims; bool is int 0 / 1 on the device. */
#include <string.h>

#include "impls.h"
#include "ops/logic.h"

/* Binds n, d0..d5 and the strides of n_ops operands (padded to 3) in the
 * order of LOGIC_BCAST_ARGS. */
static gboolean
logic_bind_bcast (YoloArgs * a, const YoloNode * n, const LogicBcast * bc,
    int n_ops, gint64 total, GError ** error)
{
  int pad = LOGIC_MAX_DIMS - bc->nd;

  if (bc->nd > LOGIC_MAX_DIMS)
    return yolo_op_unsupported (error, n, "broadcast over more than 6 dims");
  yolo_args_int (a, (cl_int) total);
  for (int i = 0; i < LOGIC_MAX_DIMS; i++)
    yolo_args_int (a, i < pad ? 1 : (cl_int) bc->d[i - pad]);
  for (int o = 0; o < LOGIC_MAX_OPS; o++)
    for (int i = 0; i < LOGIC_MAX_DIMS; i++)
      yolo_args_int (a, i < pad || o >= n_ops ? 0 : (cl_int) bc->s[o][i - pad]);
  return TRUE;
}

static gboolean
logic_launch (YoloRuntime * rt, const YoloNode * n, cl_kernel k,
    YoloArgs * a, gint64 total, GError ** error)
{
  static const gsize lws[1] = { 64 };
  gsize gws[1] = { total };

  if (!yolo_args_ok (a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, gws, lws, error);
}

static gboolean
logic_prepare_check (const YoloNode * n, gint64 total, GError ** error)
{
  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (total > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  return TRUE;
}

static gboolean
logic_binary_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *ops[2] = { YOLO_IN (g, n, 0), YOLO_IN (g, n, 1) };
  YoloTensor *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  gboolean is_float = yolo_dtype_is_float (ops[0]->dtype);
  LogicBcast bc;
  cl_kernel k;
  YoloArgs a;

  if (!logic_prepare_check (n, total, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  yolo_logic_bcast_init (&bc, ops, 2, y);
  k = yolo_rt_kernel (rt, is_float ? "logic_compare_float" :
      "logic_binary_int", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, ops[0]);
  yolo_args_tensor (&a, rt, g, ops[1]);
  yolo_args_tensor (&a, rt, g, y);
  if (!logic_bind_bcast (&a, n, &bc, 2, total, error)) {
    clReleaseKernel (k);
    return FALSE;
  }
  yolo_args_int (&a, yolo_logic_code (n) | ((int) ops[0]->dtype == 12
          /* UINT32 */ ? LOGIC_UNSIGNED : 0));
  return logic_launch (rt, n, k, &a, total, error);
}

static gboolean
logic_not_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  cl_kernel k;
  YoloArgs a;

  if (!logic_prepare_check (n, total, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  k = yolo_rt_kernel (rt, "logic_not", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, (cl_int) total);
  return logic_launch (rt, n, k, &a, total, error);
}

static gboolean
logic_where_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *ops[3] = { YOLO_IN (g, n, 0), YOLO_IN (g, n, 1),
    YOLO_IN (g, n, 2)
  };
  YoloTensor *z = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (z);
  LogicBcast bc;
  cl_kernel k;
  YoloArgs a;

  if (!logic_prepare_check (n, total, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  yolo_logic_bcast_init (&bc, ops, 3, z);
  k = yolo_rt_kernel (rt, "logic_where", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  for (int i = 0; i < 3; i++)
    yolo_args_tensor (&a, rt, g, ops[i]);
  yolo_args_tensor (&a, rt, g, z);
  if (!logic_bind_bcast (&a, n, &bc, 3, total, error)) {
    clReleaseKernel (k);
    return FALSE;
  }
  return logic_launch (rt, n, k, &a, total, error);
}

static const char *const logic_binary_types[] = { "Greater", "Less", "Equal",
  "GreaterOrEqual", "LessOrEqual", "And", "Or", "Xor", NULL
};
static const char *const logic_not_types[] = { "Not", NULL };
static const char *const logic_where_types[] = { "Where", NULL };

static const YoloOpImpl impl_binary = {
  logic_binary_types, "logic-binary", "logic", NULL, NULL,
  logic_binary_prepare, 0
};

static const YoloOpImpl impl_not = {
  logic_not_types, "logic-not", "logic", NULL, NULL, logic_not_prepare, 0
};

static const YoloOpImpl impl_where = {
  logic_where_types, "logic-where", "logic", NULL, NULL, logic_where_prepare,
  0
};

const YoloOpImpl *const yolo_impls_logic[] = {
  &impl_binary, &impl_not, &impl_where, NULL
};
