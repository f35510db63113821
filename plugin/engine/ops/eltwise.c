/* ops/eltwise.c - element-wise ops: binary arithmetic with ONNX
 * multidirectional broadcasting (Add, Sub, Mul, Div, Pow, Mod, Max, Min),
 * unary activations and math (Sigmoid, Relu, LeakyRelu, HardSigmoid,
 * HardSwish, Clip, Exp, Log, Neg, Sqrt, Tanh, Abs, Floor, Ceil, Reciprocal,
 * Erf) and Cast: the front end (shape inference, the C reference on
 * float or int64 host data, with the node's fused epilogue). The OpenCL
 * variants are in backend-opencl/eltwise.c. */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "eltwise.h"
#include "yolo-half.h"

/* Applies the fused epilogue of n to a computed float value at index i. */
static inline float
elt_epilogue (YoloGraph * g, const YoloNode * n, gint64 i, float v)
{
  if (n->act != YOLO_ACT_NONE)
    v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, v);
  if (n->residual >= 0)
    v += elt_getf (YOLO_T (g, n->residual), i);
  return v;
}

static gint64 elt_cast_wrap (gint64 v, YoloDType to);

/* ---------------------------------------------------------------------- */
/* Binary ops */

static float
elt_binop_f (int op, float a, float b)
{
  float r;
  switch (op) {
    case ELT_ADD:
      return a + b;
    case ELT_SUB:
      return a - b;
    case ELT_MUL:
      return a * b;
    case ELT_DIV:
      return a / b;
    case ELT_POW:
      /* x^2 as x * x: exact, as the kernels and onnxruntime (powf can be
       * an ulp off) */
      return b == 2.0f ? a * a : powf (a, b);
    case ELT_MOD:
      r = fmodf (a, b);
      if (r != 0.0f && ((r < 0.0f) != (b < 0.0f)))
        r += b;
      return r;
    case ELT_FMOD:
      return fmodf (a, b);
    case ELT_MAX:
      /* NaN in either input gives NaN (onnxruntime; fmaxf / fminf
       * return the other input); of two zeros, b */
      return a > b || isnan (a) ? a : b;
    case ELT_MIN:
      return a < b || isnan (a) ? a : b;
    default:
      return a;
  }
}

static gint64
elt_binop_i (int op, gint64 a, gint64 b)
{
  gint64 r;
  guint64 p, q;
  switch (op) {
    case ELT_ADD:
      return (gint64) ((guint64) a + (guint64) b);
    case ELT_SUB:
      return (gint64) ((guint64) a - (guint64) b);
    case ELT_MUL:
      return (gint64) ((guint64) a * (guint64) b);
    case ELT_DIV:
      /* truncates toward zero (onnxruntime); never trap */
      if (b == 0)
        return 0;
      if (b == -1)
        return (gint64) (0 - (guint64) a);
      return a / b;
    case ELT_MOD:
    case ELT_FMOD:
      if (b == 0 || b == -1)
        return 0;
      r = a % b;
      if (op == ELT_MOD && r != 0 && ((r < 0) != (b < 0)))
        r += b;
      return r;
    case ELT_POW:
      if (b < 0)
        return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
      p = 1;
      q = (guint64) a;
      while (b > 0) {
        if (b & 1)
          p *= q;
        q *= q;
        b >>= 1;
      }
      return (gint64) p;
    case ELT_MAX:
      return MAX (a, b);
    case ELT_MIN:
      return MIN (a, b);
    default:
      return a;
  }
}

int
yolo_elt_binary_code (const YoloNode * n)
{
  const char *t = n->op_type;
  if (!strcmp (t, "Add"))
    return ELT_ADD;
  if (!strcmp (t, "Sub"))
    return ELT_SUB;
  if (!strcmp (t, "Mul"))
    return ELT_MUL;
  if (!strcmp (t, "Div"))
    return ELT_DIV;
  if (!strcmp (t, "Pow"))
    return ELT_POW;
  if (!strcmp (t, "Mod"))
    return yolo_node_attr_int (n, "fmod", 0) ? ELT_FMOD : ELT_MOD;
  if (!strcmp (t, "Max"))
    return ELT_MAX;
  if (!strcmp (t, "Min"))
    return ELT_MIN;
  return -1;
}

static void
elt_strides (const YoloTensor * t, int nd, gint64 * s)
{
  gint64 st = 1;
  for (int i = nd - 1; i >= 0; i--) {
    int j = i - (nd - t->ndim);
    if (j < 0 || t->dims[j] == 1) {
      s[i] = 0;
    } else {
      s[i] = st;
      st *= t->dims[j];
    }
  }
}

void
yolo_elt_bcast_init (EltBcast * bc, const YoloTensor * a, const YoloTensor * b,
    const YoloTensor * y)
{
  gint64 sa[YOLO_MAX_DIMS], sb[YOLO_MAX_DIMS];

  elt_strides (a, y->ndim, sa);
  elt_strides (b, y->ndim, sb);
  bc->nd = 0;
  for (int i = 0; i < y->ndim; i++) {
    gint64 d = y->dims[i];
    if (d == 1)
      continue;
    if (bc->nd > 0) {
      int k = bc->nd - 1;
      if (bc->sa[k] == sa[i] * d && bc->sb[k] == sb[i] * d) {
        bc->d[k] *= d;
        bc->sa[k] = sa[i];
        bc->sb[k] = sb[i];
        continue;
      }
    }
    bc->d[bc->nd] = d;
    bc->sa[bc->nd] = sa[i];
    bc->sb[bc->nd] = sb[i];
    bc->nd++;
  }
  if (bc->nd == 0) {
    bc->nd = 1;
    bc->d[0] = 1;
    bc->sa[0] = bc->sb[0] = 0;
  }
}

static gboolean
elt_binary_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *a = YOLO_IN (g, n, 0), *b = YOLO_IN (g, n, 1);
  gint64 dims[YOLO_MAX_DIMS];
  int nd;
  char sa[64], sb[64];

  if (n->n_inputs != 2 || !a || !b || n->n_outputs < 1) {
    if (n->n_inputs > 2 && (!strcmp (n->op_type, "Max")
            || !strcmp (n->op_type, "Min")))
      return yolo_op_unsupported (error, n, "more than 2 inputs");
    yolo_op_error (error, n, "expects 2 inputs and 1 output");
    return FALSE;
  }
  if (!yolo_broadcast_shape (a->ndim, a->dims, b->ndim, b->dims, &nd, dims)) {
    yolo_op_error (error, n, "cannot broadcast %s with %s",
        yolo_shape_str (a, sa, sizeof sa), yolo_shape_str (b, sb, sizeof sb));
    return FALSE;
  }
  if (strcmp (n->op_type, "Pow") != 0
      && yolo_dtype_is_float (a->dtype) != yolo_dtype_is_float (b->dtype)) {
    yolo_op_error (error, n, "input types differ (%s, %s)",
        yolo_dtype_name (a->dtype), yolo_dtype_name (b->dtype));
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0),
      yolo_dtype_is_float (a->dtype) ? YOLO_DTYPE_FLOAT : a->dtype, nd, dims);
  return TRUE;
}

static gboolean
elt_binary_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *a = YOLO_IN (g, n, 0), *b = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int op = yolo_elt_binary_code (n);
  gboolean is_float = yolo_dtype_is_float (y->dtype);
  gint64 total = yolo_tensor_numel (y);
  gint64 idx[YOLO_MAX_DIMS] = { 0 };
  gint64 ia = 0, ib = 0;
  EltBcast bc;
  gpointer out;

  if (!a->data || !b->data) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  yolo_elt_bcast_init (&bc, a, b, y);
  out = yolo_tensor_alloc_data (y);
  for (gint64 i = 0; i < total; i++) {
    if (is_float)
      ((float *) out)[i] = elt_epilogue (g, n, i,
          elt_binop_f (op, elt_getf (a, ia), elt_getf (b, ib)));
    else                        /* wrapped as the device's int32 / uint32 */
      ((gint64 *) out)[i] = elt_cast_wrap (elt_binop_i (op, elt_geti (a,
                  ia), elt_geti (b, ib)), y->dtype);
    for (int k = bc.nd - 1; k >= 0; k--) {
      ia += bc.sa[k];
      ib += bc.sb[k];
      if (++idx[k] < bc.d[k])
        break;
      ia -= bc.sa[k] * bc.d[k];
      ib -= bc.sb[k] * bc.d[k];
      idx[k] = 0;
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Unary ops */

static const EltUnary elt_unary_ops[] = {
  {"Sigmoid", YOLO_ACT_SIGMOID, FALSE},
  {"Relu", YOLO_ACT_RELU, TRUE},
  {"LeakyRelu", YOLO_ACT_LEAKY_RELU, FALSE},
  {"HardSigmoid", YOLO_ACT_HARD_SIGMOID, FALSE},
  {"HardSwish", YOLO_ACT_HARD_SWISH, FALSE},
  {"Clip", YOLO_ACT_CLIP, TRUE},
  {"Exp", ELT_U_EXP, FALSE},
  {"Log", ELT_U_LOG, FALSE},
  {"Neg", ELT_U_NEG, TRUE},
  {"Sqrt", ELT_U_SQRT, FALSE},
  {"Tanh", ELT_U_TANH, FALSE},
  {"Abs", ELT_U_ABS, TRUE},
  {"Floor", ELT_U_FLOOR, FALSE},
  {"Ceil", ELT_U_CEIL, FALSE},
  {"Reciprocal", ELT_U_RECIPROCAL, FALSE},
  {"Erf", ELT_U_ERF, FALSE},
};

const EltUnary *
yolo_elt_unary_lookup (const YoloNode * n)
{
  for (guint i = 0; i < G_N_ELEMENTS (elt_unary_ops); i++)
    if (!strcmp (elt_unary_ops[i].op_type, n->op_type))
      return &elt_unary_ops[i];
  return NULL;
}

/* Op parameters: alpha/beta for LeakyRelu / HardSigmoid, min/max for Clip
 * (inputs 1 and 2 from opset 11, attributes before; absent: the lowest and
 * highest finite floats, as onnxruntime, so Clip (inf) is 3.4e38). */
gboolean
yolo_elt_unary_params (YoloGraph * g, const YoloNode * n, int code, double *p0,
    double *p1, GError ** error)
{
  *p0 = 0.0;
  *p1 = 0.0;
  switch (code) {
    case YOLO_ACT_LEAKY_RELU:
      *p0 = yolo_node_attr_float (n, "alpha", 0.01f);
      break;
    case YOLO_ACT_HARD_SIGMOID:
      *p0 = yolo_node_attr_float (n, "alpha", 0.2f);
      *p1 = yolo_node_attr_float (n, "beta", 0.5f);
      break;
    case YOLO_ACT_CLIP:
      *p0 = yolo_node_attr_float (n, "min", -G_MAXFLOAT);
      *p1 = yolo_node_attr_float (n, "max", G_MAXFLOAT);
      for (int i = 1; i <= 2; i++) {
        YoloTensor *t = YOLO_IN (g, n, i);
        double v;
        if (!t)
          continue;
        if (!yolo_tensor_is_const (t))
          return yolo_op_unsupported (error, n, "non-constant min/max");
        if (yolo_tensor_numel (t) != 1) {
          yolo_op_error (error, n, "min/max must be scalars");
          return FALSE;
        }
        v = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[0]
            : (double) ((gint64 *) t->data)[0];
        if (i == 1)
          *p0 = v;
        else
          *p1 = v;
      }
      break;
    default:
      break;
  }
  return TRUE;
}

static gboolean
elt_unary_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  const EltUnary *u = yolo_elt_unary_lookup (n);
  YoloTensor *x = YOLO_IN (g, n, 0);
  double p0, p1;

  if (!u || !x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (!yolo_dtype_is_float (x->dtype) && !u->int_ok)
    return yolo_op_unsupported (error, n, "integer input");
  if (!yolo_elt_unary_params (g, n, u->code, &p0, &p1, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0),
      yolo_dtype_is_float (x->dtype) ? YOLO_DTYPE_FLOAT : x->dtype,
      x->ndim, x->dims);
  return TRUE;
}

static float
elt_unop_f (int op, float p0, float p1, float x)
{
  switch (op) {
    case ELT_U_EXP:
      return expf (x);
    case ELT_U_LOG:
      return logf (x);
    case ELT_U_NEG:
      return -x;
    case ELT_U_SQRT:
      return sqrtf (x);
    case ELT_U_TANH:
      return tanhf (x);
    case ELT_U_ABS:
      return fabsf (x);
    case ELT_U_FLOOR:
      return floorf (x);
    case ELT_U_CEIL:
      return ceilf (x);
    case ELT_U_RECIPROCAL:
      return 1.0f / x;
    case ELT_U_ERF:
      return erff (x);
    default:
      return yolo_act_apply ((YoloAct) op, p0, p1, x);
  }
}

static gint64
elt_unop_i (int op, gint64 p0, gint64 p1, gint64 x)
{
  switch (op) {
    case ELT_U_NEG:
      return (gint64) (0 - (guint64) x);
    case ELT_U_ABS:
      return x < 0 ? (gint64) (0 - (guint64) x) : x;
    case YOLO_ACT_RELU:
      return MAX (x, 0);
    case YOLO_ACT_CLIP:
      return MIN (MAX (x, p0), p1);
    default:
      return x;
  }
}

static gboolean
elt_unary_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  const EltUnary *u = yolo_elt_unary_lookup (n);
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  double p0, p1;
  gpointer out;

  if (!x->data) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (!yolo_elt_unary_params (g, n, u->code, &p0, &p1, error))
    return FALSE;
  out = yolo_tensor_alloc_data (y);
  if (yolo_dtype_is_float (y->dtype)) {
    const float *xd = x->data;
    for (gint64 i = 0; i < total; i++)
      ((float *) out)[i] = elt_epilogue (g, n, i,
          elt_unop_f (u->code, (float) p0, (float) p1, xd[i]));
  } else {
    const gint64 *xd = x->data;
    gint64 lo = u->code == YOLO_ACT_CLIP ? elt_clip_bound_i (p0, FALSE) : 0;
    gint64 hi = u->code == YOLO_ACT_CLIP ? elt_clip_bound_i (p1, TRUE) : 0;
    for (gint64 i = 0; i < total; i++)
      ((gint64 *) out)[i] = elt_unop_i (u->code, lo, hi, xd[i]);
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Cast */

static gboolean
elt_cast_target (const YoloNode * n, YoloDType * to, GError ** error)
{
  gint64 t = yolo_node_attr_int (n, "to", 0);
  switch (t) {
    case YOLO_DTYPE_FLOAT:
    case YOLO_DTYPE_FLOAT16:
    case YOLO_DTYPE_DOUBLE:
    case 16:                   /* BFLOAT16 */
      *to = YOLO_DTYPE_FLOAT;   /* every float is float32 here */
      return TRUE;
    case YOLO_DTYPE_UINT8:
    case YOLO_DTYPE_INT8:
    case 4:                    /* UINT16 */
    case 5:                    /* INT16 */
    case YOLO_DTYPE_INT32:
    case YOLO_DTYPE_INT64:
    case YOLO_DTYPE_BOOL:
    case 12:                   /* UINT32 */
    case 13:                   /* UINT64 */
      *to = (YoloDType) t;
      return TRUE;
    default:
      return yolo_op_unsupported (error, n, "unsupported target type to=%"
          G_GINT64_FORMAT " (the float, integer and bool types are "
          "supported; not string, complex, float8 or 4-bit types)", t);
  }
}

static gboolean
elt_cast_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloDType to = YOLO_DTYPE_UNDEFINED;

  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (!elt_cast_target (n, &to, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), to, x->ndim, x->dims);
  return TRUE;
}

/* v cast to the integer dtype to: ONNX's Cast between fixed-point types
 * discards the higher bits and reinterprets the rest (two's complement):
 * 300 as uint8 is 44, 200 as int8 -56, -1 as uint32 4294967295. uint64 and
 * int64 keep v (the host holds integers as int64). */
static gint64
elt_cast_wrap (gint64 v, YoloDType to)
{
  switch ((int) to) {
    case YOLO_DTYPE_UINT8:
      return (guint8) v;
    case YOLO_DTYPE_INT8:
      return (gint8) v;
    case 4:                    /* UINT16 */
      return (guint16) v;
    case 5:                    /* INT16 */
      return (gint16) v;
    case YOLO_DTYPE_INT32:
      return (gint32) v;
    case 12:                   /* UINT32 */
      return (guint32) v;
    default:
      return v;
  }
}

/* float -> integer type `to` as onnxruntime's CPU Cast on x86-64 (out of
 * range and NaN: undefined in ONNX): truncation toward zero through
 * cvttss2si, whose NaN / out-of-range result is the most negative value;
 * 32 bits or fewer through int32, then wrapped; uint32 / uint64 from 2^31
 * / 2^63 on as x - 2^31 / 2^63 with the top bit flipped (the compilers'
 * lowering): NaN is 2^31 / 2^63, +inf 0. */
static gint64
elt_cast_f2int (float x, YoloDType to)
{
  gint64 v;

  switch ((int) to) {
    case 12:                   /* UINT32 */
      if (x >= 2147483648.0f)
        return (guint32) (elt_cast_f2int (x - 2147483648.0f,
                YOLO_DTYPE_INT32) ^ G_MININT32);
      return (guint32) elt_cast_f2int (x, YOLO_DTYPE_INT32);
    case YOLO_DTYPE_INT64:
    case 13:                   /* UINT64, as int64 bits */
      if (to == 13 && x >= 9223372036854775808.0f)
        return elt_cast_f2int (x - 9223372036854775808.0f,
            YOLO_DTYPE_INT64) ^ G_MININT64;
      return x >= -9223372036854775808.0f && x < 9223372036854775808.0f ?
          (gint64) x : G_MININT64;
    default:
      v = x >= -2147483648.0f && x < 2147483648.0f ? (gint64) x : G_MININT32;
      return elt_cast_wrap (v, to);
  }
}

static gboolean
elt_cast_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  gboolean to_bool = y->dtype == YOLO_DTYPE_BOOL;
  gboolean to_half = yolo_node_attr_int (n, "to", 0) == YOLO_DTYPE_FLOAT16;
  gboolean to_bf16 = yolo_node_attr_int (n, "to", 0) == 16;     /* BFLOAT16 */
  /* uint64 held as int64 bits: read back unsigned */
  gboolean from_u64 = x->dtype == 13;
  gpointer out;

  if (!x->data) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  out = yolo_tensor_alloc_data (y);
  for (gint64 i = 0; i < total; i++) {
    if (to_half) {
      /* float16, kept in float32: round to nearest even (an integer goes
       * through float exactly up to 2^24; above 65520 it is inf anyway) */
      ((float *) out)[i] = yolo_half_round (yolo_dtype_is_float (x->dtype) ?
          ((float *) x->data)[i] : from_u64 ?
          (float) (guint64) ((gint64 *) x->data)[i] :
          (float) ((gint64 *) x->data)[i]);
    } else if (to_bf16) {
      ((float *) out)[i] = yolo_bfloat16_round (elt_getf (x, i));
    } else if (yolo_dtype_is_float (y->dtype)) {
      ((float *) out)[i] = from_u64 ?
          (float) (guint64) ((gint64 *) x->data)[i] : elt_getf (x, i);
    } else if (to_bool) {
      ((gint64 *) out)[i] = yolo_dtype_is_float (x->dtype)
          ? ((float *) x->data)[i] != 0.0f : ((gint64 *) x->data)[i] != 0;
    } else if (yolo_dtype_is_float (x->dtype)) {
      ((gint64 *) out)[i] = elt_cast_f2int (((float *) x->data)[i], y->dtype);
    } else {
      ((gint64 *) out)[i] = elt_cast_wrap (elt_geti (x, i), y->dtype);
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */

#define ELT_BINARY(var, name) \
  static const YoloOpDef var = { name, 0, elt_binary_infer, elt_binary_eval }
#define ELT_UNARY(var, name) \
  static const YoloOpDef var = { name, 0, elt_unary_infer, elt_unary_eval }

ELT_BINARY (op_add, "Add");
ELT_BINARY (op_sub, "Sub");
ELT_BINARY (op_mul, "Mul");
ELT_BINARY (op_div, "Div");
ELT_BINARY (op_pow, "Pow");
ELT_BINARY (op_mod, "Mod");
ELT_BINARY (op_max, "Max");
ELT_BINARY (op_min, "Min");
ELT_UNARY (op_sigmoid, "Sigmoid");
ELT_UNARY (op_relu, "Relu");
ELT_UNARY (op_leaky_relu, "LeakyRelu");
ELT_UNARY (op_hard_sigmoid, "HardSigmoid");
ELT_UNARY (op_hard_swish, "HardSwish");
ELT_UNARY (op_clip, "Clip");
ELT_UNARY (op_exp, "Exp");
ELT_UNARY (op_log, "Log");
ELT_UNARY (op_neg, "Neg");
ELT_UNARY (op_sqrt, "Sqrt");
ELT_UNARY (op_tanh, "Tanh");
ELT_UNARY (op_abs, "Abs");
ELT_UNARY (op_floor, "Floor");
ELT_UNARY (op_ceil, "Ceil");
ELT_UNARY (op_reciprocal, "Reciprocal");
ELT_UNARY (op_erf, "Erf");
static const YoloOpDef op_cast = { "Cast", 0, elt_cast_infer, elt_cast_eval };

const YoloOpDef *const yolo_ops_eltwise[] = {
  &op_add, &op_sub, &op_mul, &op_div, &op_pow, &op_mod, &op_max, &op_min,
  &op_sigmoid, &op_relu, &op_leaky_relu, &op_hard_sigmoid, &op_hard_swish,
  &op_clip, &op_exp, &op_log, &op_neg, &op_sqrt, &op_tanh, &op_abs,
  &op_floor, &op_ceil, &op_reciprocal, &op_erf, &op_cast,
  NULL
};
