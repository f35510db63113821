/* ops/logic.c - comparison and logical ops and Where, with ONNX
 * multidirectional (numpy) broadcasting:
 *   Greater, Less, Equal, GreaterOrEqual, LessOrEqual: A, B both float or
 *     both integer -> bool Y;
 *   And, Or, Xor: bool A, B -> bool Y;   Not: bool X -> bool Y;
 *   Where: bool C, X, Y (both float or both integer) -> Z of X's type.
 *
 * Bool tensors are stored like every integer tensor (yolo-graph.h): 0 / 1
 * as gint64 on the host (constant folding, eval) and as int (int32) on the
 * device; any non-zero int reads as true. Comparisons with a NaN operand
 * are false (Equal too), as in IEEE 754, C and OpenCL.
 *
 * Kernels (backend-opencl/logic.c, ocl_kernels/logic.cl): one element per work-item over up to 6
 * collapsed broadcast dims (logic_compare_float, logic_binary_int,
 * logic_not, logic_where; Where copies 32-bit words, so one kernel serves
 * float and integer branches). */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "ops/logic.h"


static const struct
{
  const char *op_type;
  int code;
} logic_binary_ops[] = {
  {"Greater", LOGIC_GT}, {"Less", LOGIC_LT}, {"Equal", LOGIC_EQ},
  {"GreaterOrEqual", LOGIC_GE}, {"LessOrEqual", LOGIC_LE},
  {"And", LOGIC_AND}, {"Or", LOGIC_OR}, {"Xor", LOGIC_XOR},
};

int
yolo_logic_code (const YoloNode * n)
{
  for (guint i = 0; i < G_N_ELEMENTS (logic_binary_ops); i++)
    if (!strcmp (logic_binary_ops[i].op_type, n->op_type))
      return logic_binary_ops[i].code;
  return -1;
}

void
yolo_logic_bcast_init (LogicBcast * bc, YoloTensor * const *ops, int n_ops,
    const YoloTensor * y)
{
  gint64 s[LOGIC_MAX_OPS][YOLO_MAX_DIMS];

  for (int o = 0; o < n_ops; o++) {
    gint64 st = 1;
    for (int i = y->ndim - 1; i >= 0; i--) {
      int j = i - (y->ndim - ops[o]->ndim);
      if (j < 0 || ops[o]->dims[j] == 1) {
        s[o][i] = 0;
      } else {
        s[o][i] = st;
        st *= ops[o]->dims[j];
      }
    }
  }
  bc->nd = 0;
  for (int i = 0; i < y->ndim; i++) {
    gint64 d = y->dims[i];
    gboolean merge = bc->nd > 0;
    if (d == 1)
      continue;
    for (int o = 0; o < n_ops && merge; o++)
      merge = bc->s[o][bc->nd - 1] == s[o][i] * d;
    if (merge) {
      bc->d[bc->nd - 1] *= d;
      for (int o = 0; o < n_ops; o++)
        bc->s[o][bc->nd - 1] = s[o][i];
      continue;
    }
    bc->d[bc->nd] = d;
    for (int o = 0; o < n_ops; o++)
      bc->s[o][bc->nd] = s[o][i];
    bc->nd++;
  }
  if (bc->nd == 0) {
    bc->nd = 1;
    bc->d[0] = 1;
    for (int o = 0; o < n_ops; o++)
      bc->s[o][0] = 0;
  }
}

/* Host loop over the broadcast: calls fn (i, offsets) for every output
 * element i. */
typedef void (*LogicFn) (gpointer data, gint64 i, const gint64 * off);

static void
logic_bcast_foreach (const LogicBcast * bc, int n_ops, gint64 total,
    LogicFn fn, gpointer data)
{
  gint64 idx[YOLO_MAX_DIMS] = { 0 }, off[LOGIC_MAX_OPS] = { 0 };

  for (gint64 i = 0; i < total; i++) {
    fn (data, i, off);
    for (int k = bc->nd - 1; k >= 0; k--) {
      for (int o = 0; o < n_ops; o++)
        off[o] += bc->s[o][k];
      if (++idx[k] < bc->d[k])
        break;
      for (int o = 0; o < n_ops; o++)
        off[o] -= bc->s[o][k] * bc->d[k];
      idx[k] = 0;
    }
  }
}

static gboolean
logic_check_host (YoloGraph * g, const YoloNode * n, GError ** error)
{
  for (int i = 0; i < n->n_inputs; i++) {
    YoloTensor *t = YOLO_IN (g, n, i);
    if (t && !t->data && yolo_tensor_numel (t) > 0) {
      yolo_op_error (error, n, "input %d has no host data", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Comparisons, And, Or, Xor */

static gboolean
logic_binary_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *a = YOLO_IN (g, n, 0), *b = YOLO_IN (g, n, 1);
  int code = yolo_logic_code (n);
  gint64 dims[YOLO_MAX_DIMS];
  int nd;
  char sa[64], sb[64];

  if (n->n_inputs != 2 || !a || !b || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects 2 inputs and 1 output");
    return FALSE;
  }
  if (code >= LOGIC_AND) {
    if (a->dtype != YOLO_DTYPE_BOOL || b->dtype != YOLO_DTYPE_BOOL) {
      yolo_op_error (error, n, "inputs must be bool, got %s and %s",
          yolo_dtype_name (a->dtype), yolo_dtype_name (b->dtype));
      return FALSE;
    }
  } else if (yolo_dtype_is_float (a->dtype) != yolo_dtype_is_float (b->dtype)) {
    yolo_op_error (error, n, "input types differ (%s, %s)",
        yolo_dtype_name (a->dtype), yolo_dtype_name (b->dtype));
    return FALSE;
  }
  if (!yolo_broadcast_shape (a->ndim, a->dims, b->ndim, b->dims, &nd, dims)) {
    yolo_op_error (error, n, "cannot broadcast %s with %s",
        yolo_shape_str (a, sa, sizeof sa), yolo_shape_str (b, sb, sizeof sb));
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_BOOL, nd, dims);
  return TRUE;
}

static gint64
logic_cmp_f (int op, float a, float b)
{
  switch (op) {
    case LOGIC_GT:
      return a > b;
    case LOGIC_LT:
      return a < b;
    case LOGIC_EQ:
      return a == b;
    case LOGIC_GE:
      return a >= b;
    default:
      return a <= b;
  }
}

static gint64
logic_op_i (int op, gint64 a, gint64 b)
{
  switch (op) {
    case LOGIC_GT:
      return a > b;
    case LOGIC_LT:
      return a < b;
    case LOGIC_EQ:
      return a == b;
    case LOGIC_GE:
      return a >= b;
    case LOGIC_LE:
      return a <= b;
    case LOGIC_AND:
      return a && b;
    case LOGIC_OR:
      return a || b;
    default:
      return !a != !b;
  }
}

typedef struct
{
  int op;
  gboolean is_float;
  const YoloTensor *a, *b;
  gint64 *y;
} LogicBinaryCtx;

static void
logic_binary_one (gpointer data, gint64 i, const gint64 * off)
{
  LogicBinaryCtx *c = data;
  if (c->is_float)
    c->y[i] = logic_cmp_f (c->op, ((const float *) c->a->data)[off[0]],
        ((const float *) c->b->data)[off[1]]);
  else
    c->y[i] = logic_op_i (c->op, ((const gint64 *) c->a->data)[off[0]],
        ((const gint64 *) c->b->data)[off[1]]);
}

static gboolean
logic_binary_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *ops[2] = { YOLO_IN (g, n, 0), YOLO_IN (g, n, 1) };
  YoloTensor *y = YOLO_OUT (g, n, 0);
  LogicBinaryCtx c;
  LogicBcast bc;

  if (!logic_check_host (g, n, error))
    return FALSE;
  c.op = yolo_logic_code (n);
  c.is_float = yolo_dtype_is_float (ops[0]->dtype);
  c.a = ops[0];
  c.b = ops[1];
  c.y = yolo_tensor_alloc_data (y);
  yolo_logic_bcast_init (&bc, ops, 2, y);
  logic_bcast_foreach (&bc, 2, yolo_tensor_numel (y), logic_binary_one, &c);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Not */

static gboolean
logic_not_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);

  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (x->dtype != YOLO_DTYPE_BOOL) {
    yolo_op_error (error, n, "input must be bool, got %s",
        yolo_dtype_name (x->dtype));
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_BOOL, x->ndim, x->dims);
  return TRUE;
}

static gboolean
logic_not_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  gint64 *out;

  if (!logic_check_host (g, n, error))
    return FALSE;
  out = yolo_tensor_alloc_data (y);
  for (gint64 i = 0; i < total; i++)
    out[i] = ((const gint64 *) x->data)[i] == 0;
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* Where */

static gboolean
logic_where_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *c = YOLO_IN (g, n, 0), *x = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_IN (g, n, 2);
  gint64 d1[YOLO_MAX_DIMS], d2[YOLO_MAX_DIMS];
  int n1, n2;
  char s0[64], s1[64], s2[64];

  if (n->n_inputs != 3 || !c || !x || !y || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects 3 inputs (condition, X, Y) and 1 "
        "output");
    return FALSE;
  }
  if (c->dtype != YOLO_DTYPE_BOOL) {
    yolo_op_error (error, n, "condition must be bool, got %s",
        yolo_dtype_name (c->dtype));
    return FALSE;
  }
  if (yolo_dtype_is_float (x->dtype) != yolo_dtype_is_float (y->dtype)) {
    yolo_op_error (error, n, "X and Y types differ (%s, %s)",
        yolo_dtype_name (x->dtype), yolo_dtype_name (y->dtype));
    return FALSE;
  }
  if (!yolo_broadcast_shape (c->ndim, c->dims, x->ndim, x->dims, &n1, d1)
      || !yolo_broadcast_shape (n1, d1, y->ndim, y->dims, &n2, d2)) {
    yolo_op_error (error, n, "cannot broadcast %s, %s and %s",
        yolo_shape_str (c, s0, sizeof s0), yolo_shape_str (x, s1, sizeof s1),
        yolo_shape_str (y, s2, sizeof s2));
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0),
      yolo_dtype_is_float (x->dtype) ? YOLO_DTYPE_FLOAT : x->dtype, n2, d2);
  return TRUE;
}

typedef struct
{
  const YoloTensor *c, *x, *y;
  YoloTensor *z;
} LogicWhereCtx;

static void
logic_where_one (gpointer data, gint64 i, const gint64 * off)
{
  LogicWhereCtx *w = data;
  gboolean take_x = ((const gint64 *) w->c->data)[off[0]] != 0;
  const YoloTensor *s = take_x ? w->x : w->y;
  gint64 o = take_x ? off[1] : off[2];

  if (yolo_dtype_is_float (w->z->dtype))
    ((float *) w->z->data)[i] = ((const float *) s->data)[o];
  else
    ((gint64 *) w->z->data)[i] = ((const gint64 *) s->data)[o];
}

static gboolean
logic_where_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *ops[3] = { YOLO_IN (g, n, 0), YOLO_IN (g, n, 1),
    YOLO_IN (g, n, 2)
  };
  LogicWhereCtx w;
  LogicBcast bc;

  if (!logic_check_host (g, n, error))
    return FALSE;
  w.c = ops[0];
  w.x = ops[1];
  w.y = ops[2];
  w.z = YOLO_OUT (g, n, 0);
  yolo_tensor_alloc_data (w.z);
  yolo_logic_bcast_init (&bc, ops, 3, w.z);
  logic_bcast_foreach (&bc, 3, yolo_tensor_numel (w.z), logic_where_one, &w);
  return TRUE;
}

/* ---------------------------------------------------------------------- */

#define LOGIC_BINARY(var, name) \
  static const YoloOpDef var = { name, 0, logic_binary_infer, \
    logic_binary_eval }

LOGIC_BINARY (op_greater, "Greater");
LOGIC_BINARY (op_less, "Less");
LOGIC_BINARY (op_equal, "Equal");
LOGIC_BINARY (op_greater_equal, "GreaterOrEqual");
LOGIC_BINARY (op_less_equal, "LessOrEqual");
LOGIC_BINARY (op_and, "And");
LOGIC_BINARY (op_or, "Or");
LOGIC_BINARY (op_xor, "Xor");
static const YoloOpDef op_not = { "Not", 0, logic_not_infer, logic_not_eval };

static const YoloOpDef op_where = { "Where", 0, logic_where_infer,
  logic_where_eval
};

const YoloOpDef *const yolo_ops_logic[] = {
  &op_greater, &op_less, &op_equal, &op_greater_equal, &op_less_equal,
  &op_and, &op_or, &op_xor, &op_not, &op_where, NULL
};
