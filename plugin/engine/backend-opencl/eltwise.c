/* backend-opencl/eltwise.c - element-wise ops on OpenCL
 * (ocl_kernels/eltwise.cl).
 *
 * Float tensors run with float16-vectorised kernels (same shape, and
 * "rows" broadcasts: scalar / per-channel / repeated row); anything else
 * uses a general broadcasting kernel over up to 6 collapsed dims. Integer
 * tensors (int32 on the device) use the general kernel. Float kernels
 * apply the node's fused activation (n->act). */
#include <string.h>
#include "impls.h"
#include "yolo-half.h"
#include "ops/eltwise.h"

/* Fixed local sizes (PoCL compiles one work-group function per size). */
static const gsize elt_lws_1d[1] = { 64 };
static const gsize elt_lws_rows[2] = { 8, 4 };

/* When t's device type (float / int32) differs from want_float, uploads a
 * converted copy of the constant t into *mem (else leaves *mem NULL). */
static gboolean
elt_convert_const (YoloRuntime * rt, const YoloNode * n, YoloTensor * t,
    gboolean want_float, cl_mem * mem, GError ** error)
{
  gint64 cnt = yolo_tensor_numel (t);
  gpointer buf;

  *mem = NULL;
  if (yolo_dtype_is_float (t->dtype) == want_float)
    return TRUE;
  if (!yolo_tensor_is_const (t))
    return yolo_op_unsupported (error, n, "mixed float/integer inputs");
  if (want_float && yolo_rt_act_storage (rt) == YOLO_DTYPE_FLOAT16) {
    guint16 *h = g_new (guint16, MAX (cnt, 1));
    for (gint64 i = 0; i < cnt; i++)
      h[i] = yolo_float_to_half (elt_getf (t, i));
    *mem = yolo_rt_upload (rt, h, MAX (cnt, 1) * 2, error);
    g_free (h);
    return *mem != NULL;
  } else if (want_float) {
    float *f = g_new (float, MAX (cnt, 1));
    for (gint64 i = 0; i < cnt; i++)
      f[i] = elt_getf (t, i);
    buf = f;
  } else {
    gint32 *v = g_new (gint32, MAX (cnt, 1));
    for (gint64 i = 0; i < cnt; i++)
      v[i] = (gint32) CLAMP (elt_geti (t, i), G_MININT32, G_MAXINT32);
    buf = v;
  }
  *mem = yolo_rt_upload (rt, buf, MAX (cnt, 1) * 4, error);
  g_free (buf);
  return *mem != NULL;
}

static void
elt_bind (YoloArgs * a, YoloRuntime * rt, YoloGraph * g, YoloTensor * t,
    cl_mem conv)
{
  if (conv) {
    yolo_args_mem (a, conv);
    yolo_args_int (a, 0);
  } else {
    yolo_args_tensor (a, rt, g, t);
  }
}

static gboolean
elt_is_contiguous (const EltBcast * bc, const gint64 * s)
{
  if (s[bc->nd - 1] != 1)
    return FALSE;
  for (int k = bc->nd - 2; k >= 0; k--)
    if (s[k] != s[k + 1] * bc->d[k + 1])
      return FALSE;
  return TRUE;
}

/* Can `o` be read as (row % b_rows) * b_row_stride + j * col, with the
 * output seen as [rows, inner]? */
static gboolean
elt_is_rows (const EltBcast * bc, const gint64 * o)
{
  if (o[bc->nd - 1] != 0 && o[bc->nd - 1] != 1)
    return FALSE;
  for (int k = 0; k < bc->nd - 2; k++)
    if (o[k] != 0)
      return FALSE;
  return TRUE;
}

static gboolean
elt_binary_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *a = YOLO_IN (g, n, 0), *b = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  gboolean is_float = yolo_dtype_is_float (y->dtype);
  int op = yolo_elt_binary_code (n) | ((int) y->dtype == 12     /* UINT32 */
      ? ELT_UNSIGNED : 0);
  gint64 total = yolo_tensor_numel (y);
  cl_mem ca = NULL, cb = NULL;
  EltBcast bc;
  cl_kernel k;
  YoloArgs args;
  gsize gws[2];

  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  if (!is_float && n->act != YOLO_ACT_NONE)
    return yolo_op_unsupported (error, n, "activation on integer tensor");
  if (total == 0)
    return TRUE;
  if (total > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  if (!elt_convert_const (rt, n, a, is_float, &ca, error)
      || !elt_convert_const (rt, n, b, is_float, &cb, error))
    return FALSE;

  yolo_elt_bcast_init (&bc, a, b, y);

  if (is_float) {
    gboolean a_full = elt_is_contiguous (&bc, bc.sa);
    gboolean b_full = elt_is_contiguous (&bc, bc.sb);

    if (a_full && b_full) {
      k = yolo_rt_kernel (rt, "eltwise_binary_same", error);
      if (!k)
        return FALSE;
      args = yolo_args (k);
      elt_bind (&args, rt, g, a, ca);
      elt_bind (&args, rt, g, b, cb);
      yolo_args_tensor (&args, rt, g, y);
      yolo_args_int (&args, (cl_int) total);
      yolo_args_int (&args, op);
      yolo_args_int (&args, n->act);
      yolo_args_float (&args, n->act_alpha);
      yolo_args_float (&args, n->act_beta);
      if (!yolo_args_ok (&args, n, error))
        return FALSE;
      gws[0] = yolo_div_up (total, 16);
      return yolo_rt_launch (rt, n, k, 1, gws, elt_lws_1d, error);
    }
    if ((a_full && elt_is_rows (&bc, bc.sb))
        || (b_full && elt_is_rows (&bc, bc.sa))) {
      gboolean swap = !(a_full && elt_is_rows (&bc, bc.sb));
      const gint64 *o = swap ? bc.sa : bc.sb;
      gint64 inner = bc.d[bc.nd - 1];
      gint64 rows = total / inner;
      gint64 b_row_stride = bc.nd >= 2 ? o[bc.nd - 2] : 0;
      gint64 b_rows = b_row_stride ? bc.d[bc.nd - 2] : 1;

      k = yolo_rt_kernel (rt, "eltwise_binary_rows", error);
      if (!k)
        return FALSE;
      args = yolo_args (k);
      if (swap) {
        elt_bind (&args, rt, g, b, cb);
        elt_bind (&args, rt, g, a, ca);
      } else {
        elt_bind (&args, rt, g, a, ca);
        elt_bind (&args, rt, g, b, cb);
      }
      yolo_args_tensor (&args, rt, g, y);
      yolo_args_int (&args, (cl_int) inner);
      yolo_args_int (&args, (cl_int) rows);
      yolo_args_int (&args, (cl_int) b_rows);
      yolo_args_int (&args, (cl_int) b_row_stride);
      yolo_args_int (&args, (cl_int) o[bc.nd - 1]);
      yolo_args_int (&args, swap);
      yolo_args_int (&args, op);
      yolo_args_int (&args, n->act);
      yolo_args_float (&args, n->act_alpha);
      yolo_args_float (&args, n->act_beta);
      if (!yolo_args_ok (&args, n, error))
        return FALSE;
      gws[0] = yolo_div_up (inner, 16);
      gws[1] = rows;
      return yolo_rt_launch (rt, n, k, 2, gws, elt_lws_rows, error);
    }
  }

  /* general broadcast */
  if (bc.nd > ELT_MAX_KERNEL_DIMS)
    return yolo_op_unsupported (error, n, "broadcast over more than 6 dims");
  k = yolo_rt_kernel (rt, is_float ? "eltwise_binary_bcast"
      : "eltwise_binary_bcast_int", error);
  if (!k)
    return FALSE;
  args = yolo_args (k);
  elt_bind (&args, rt, g, a, ca);
  elt_bind (&args, rt, g, b, cb);
  yolo_args_tensor (&args, rt, g, y);
  yolo_args_int (&args, (cl_int) total);
  {
    int pad = ELT_MAX_KERNEL_DIMS - bc.nd;
    for (int i = 0; i < ELT_MAX_KERNEL_DIMS; i++)
      yolo_args_int (&args, i < pad ? 1 : (cl_int) bc.d[i - pad]);
    for (int i = 0; i < ELT_MAX_KERNEL_DIMS; i++)
      yolo_args_int (&args, i < pad ? 0 : (cl_int) bc.sa[i - pad]);
    for (int i = 0; i < ELT_MAX_KERNEL_DIMS; i++)
      yolo_args_int (&args, i < pad ? 0 : (cl_int) bc.sb[i - pad]);
  }
  yolo_args_int (&args, op);
  if (is_float) {
    yolo_args_int (&args, n->act);
    yolo_args_float (&args, n->act_alpha);
    yolo_args_float (&args, n->act_beta);
  }
  if (!yolo_args_ok (&args, n, error))
    return FALSE;
  gws[0] = total;
  return yolo_rt_launch (rt, n, k, 1, gws, elt_lws_1d, error);
}

static gboolean
elt_unary_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  const EltUnary *u = yolo_elt_unary_lookup (n);
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  double p0, p1;
  cl_kernel k;
  YoloArgs args;
  gsize gws[1];

  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  if (!yolo_elt_unary_params (g, n, u->code, &p0, &p1, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  if (total > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");

  if (yolo_dtype_is_float (y->dtype)) {
    k = yolo_rt_kernel (rt, "eltwise_unary", error);
    if (!k)
      return FALSE;
    args = yolo_args (k);
    yolo_args_tensor (&args, rt, g, x);
    yolo_args_tensor (&args, rt, g, y);
    yolo_args_int (&args, (cl_int) total);
    yolo_args_int (&args, u->code);
    yolo_args_float (&args, (float) p0);
    yolo_args_float (&args, (float) p1);
    yolo_args_int (&args, n->act);
    yolo_args_float (&args, n->act_alpha);
    yolo_args_float (&args, n->act_beta);
    gws[0] = yolo_div_up (total, 16);
  } else {
    if (n->act != YOLO_ACT_NONE)
      return yolo_op_unsupported (error, n, "activation on integer tensor");
    k = yolo_rt_kernel (rt, "eltwise_unary_int", error);
    if (!k)
      return FALSE;
    args = yolo_args (k);
    yolo_args_tensor (&args, rt, g, x);
    yolo_args_tensor (&args, rt, g, y);
    yolo_args_int (&args, (cl_int) total);
    yolo_args_int (&args, u->code);
    yolo_args_int (&args, u->code == YOLO_ACT_CLIP ?
        (cl_int) CLAMP (elt_clip_bound_i (p0, FALSE), G_MININT32,
            G_MAXINT32) : 0);
    yolo_args_int (&args,
        u->code == YOLO_ACT_CLIP ? (cl_int) CLAMP (elt_clip_bound_i (p1, TRUE),
            G_MININT32, G_MAXINT32) : 0);
    gws[0] = total;
  }
  if (!yolo_args_ok (&args, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, gws, elt_lws_1d, error);
}

/* The mode argument of eltwise_cast_f2i / _i2i (ocl_kernels/eltwise.cl):
 * 1 bool, 2..5 the narrow integer types (uint8, int8, uint16, int16) whose
 * higher bits ONNX discards, 6 uint32, 7 uint64, 0 the rest (int32 on the
 * device); of the source type for eltwise_cast_i2f / _i2h. */
static int
elt_cast_mode (YoloDType to)
{
  switch ((int) to) {
    case YOLO_DTYPE_BOOL:
      return 1;
    case YOLO_DTYPE_UINT8:
      return 2;
    case YOLO_DTYPE_INT8:
      return 3;
    case 4:                    /* UINT16 */
      return 4;
    case 5:                    /* INT16 */
      return 5;
    case 12:                   /* UINT32 */
      return 6;
    case 13:                   /* UINT64 */
      return 7;
    default:
      return 0;
  }
}

static gboolean
elt_cast_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  gboolean xf = yolo_dtype_is_float (x->dtype);
  gboolean yf = yolo_dtype_is_float (y->dtype);
  gboolean to_half = yolo_node_attr_int (n, "to", 0) == YOLO_DTYPE_FLOAT16;
  gboolean to_bf16 = yolo_node_attr_int (n, "to", 0) == 16;     /* BFLOAT16 */
  const char *name;
  cl_kernel k;
  YoloArgs args;
  gsize gws[1];

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (total == 0)
    return TRUE;
  if (total > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");

  if (to_bf16 && !xf)
    return yolo_op_unsupported (error, n, "Cast of an integer tensor to "
        "bfloat16 on the device");
  if (to_bf16)
    name = "eltwise_cast_f2bf";
  else if (to_half)
    name = xf ? "eltwise_cast_f2h" : "eltwise_cast_i2h";
  else if (xf && yf)
    name = "eltwise_unary";
  else if (xf)
    name = "eltwise_cast_f2i";
  else if (yf)
    name = "eltwise_cast_i2f";
  else
    name = "eltwise_cast_i2i";
  k = yolo_rt_kernel (rt, name, error);
  if (!k)
    return FALSE;
  args = yolo_args (k);
  yolo_args_tensor (&args, rt, g, x);
  yolo_args_tensor (&args, rt, g, y);
  yolo_args_int (&args, (cl_int) total);
  if (to_bf16 || (to_half && xf)) {
    /* n only */
  } else if (to_half || (yf && !xf)) {
    yolo_args_int (&args, elt_cast_mode (x->dtype));    /* i2h, i2f */
  } else if (xf && yf) {
    yolo_args_int (&args, YOLO_ACT_NONE);       /* identity */
    yolo_args_float (&args, 0.0f);
    yolo_args_float (&args, 0.0f);
    yolo_args_int (&args, YOLO_ACT_NONE);
    yolo_args_float (&args, 0.0f);
    yolo_args_float (&args, 0.0f);
  } else if (!yf) {
    yolo_args_int (&args, elt_cast_mode (y->dtype));
  }
  if (!yolo_args_ok (&args, n, error))
    return FALSE;
  gws[0] = (to_half || to_bf16 || (!xf
          && !yf)) ? (gsize) total : yolo_div_up (total, 16);
  return yolo_rt_launch (rt, n, k, 1, gws, elt_lws_1d, error);
}

static const char *const binary_types[] = {
  "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", NULL
};

static const char *const unary_types[] = {
  "Sigmoid", "Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Clip", "Exp",
  "Log", "Neg", "Sqrt", "Tanh", "Abs", "Floor", "Ceil", "Reciprocal", "Erf",
  NULL
};
static const char *const cast_types[] = { "Cast", NULL };

static const YoloOpImpl impl_binary = {
  binary_types, "eltwise-binary", "eltwise", NULL, NULL, elt_binary_prepare,
  YOLO_IMPL_HALF
};

static const YoloOpImpl impl_unary = {
  unary_types, "eltwise-unary", "eltwise", NULL, NULL, elt_unary_prepare,
  YOLO_IMPL_HALF
};

static const YoloOpImpl impl_cast = {
  cast_types, "cast", "eltwise", NULL, NULL, elt_cast_prepare, YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_eltwise[] = {
  &impl_binary, &impl_unary, &impl_cast, NULL
};
