/* test-eltwise.c - element-wise kernels against the C reference (eval), and
 * the reference against values computed with onnxruntime. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

#define N_(a) G_N_ELEMENTS (a)

static YoloNode *
add_node (YoloGraph * g, const char *op, int n_in, const char *const *ins)
{
  const char *outs[1] = { "Y" };
  int ni = yolo_graph_add_node (g, op, "node0", n_in, ins, 1, outs);
  YoloNode *n = YOLO_N (g, ni);
  n->residual = -1;
  return n;
}

static void
attr_int (YoloNode * n, const char *name, gint64 v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_INT)->i = v;
}

static void
attr_float (YoloNode * n, const char *name, float v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_FLOAT)->f = v;
}

/* Runs infer + eval of every node on the host; returns output Y. */
static YoloTensor *
host_run (YoloGraph * g)
{
  GError *err = NULL;

  g_assert_true (yolo_graph_sort (g, &err));
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def = yolo_ops_lookup (n->op_type);
    g_assert_nonnull (def);
    if (!def->infer (g, n, &err) || !def->eval (g, n, &err))
      g_error ("%s: %s", n->op_type, err->message);
  }
  return YOLO_T (g, yolo_graph_find_tensor (g, "Y"));
}

/* ---------------------------------------------------------------------- */

typedef struct
{
  int na;
  gint64 a[6];
  int nb;
  gint64 b[6];
} BShape;

static const BShape bshapes[] = {
  {4, {1, 3, 7, 13}, 4, {1, 3, 7, 13}}, /* same, 273 (not % 16) */
  {4, {1, 64, 20, 20}, 4, {1, 64, 20, 20}},     /* same, vector path */
  {4, {1, 5, 9, 11}, 4, {1, 5, 1, 1}},  /* per channel */
  {4, {1, 5, 1, 1}, 4, {1, 5, 9, 11}},  /* per channel, swapped */
  {4, {1, 6, 20, 20}, 0, {0}},  /* scalar (rank 0) */
  {1, {1}, 4, {1, 6, 5, 7}},    /* scalar first */
  {3, {1, 2, 8400}, 2, {1, 8400}},      /* repeated row */
  {3, {1, 3, 37}, 3, {1, 1, 37}},       /* [1,1,W] */
  {4, {1, 3, 5, 17}, 1, {17}},  /* [W] */
  {4, {1, 16, 1, 1}, 4, {1, 16, 1, 1}}, /* 1x1 spatial */
  {4, {1, 16, 1, 1}, 1, {1}},   /* 1x1 spatial, scalar */
  {4, {1, 1, 1, 1}, 4, {1, 1, 1, 1}},   /* single element */
  {3, {2, 3, 4}, 3, {2, 1, 4}}, /* general */
  {2, {3, 1}, 2, {1, 5}},       /* both broadcast */
  {4, {2, 1, 3, 5}, 3, {4, 1, 5}},      /* general */
  {6, {2, 1, 3, 1, 2, 3}, 6, {1, 2, 1, 4, 1, 3}},       /* 6-D alternating */
};

typedef struct
{
  const char *op;
  float alo, ahi, blo, bhi;
  int fmod;                     /* -1: no attribute */
  float atol, rtol;
} BOp;

static const BOp float_ops[] = {
  {"Add", -2, 2, -2, 2, -1, 1e-6f, 1e-6f},
  {"Sub", -2, 2, -2, 2, -1, 1e-6f, 1e-6f},
  {"Mul", -2, 2, -2, 2, -1, 1e-6f, 1e-6f},
  {"Div", -2, 2, 0.5f, 3, -1, 1e-6f, 1e-5f},
  {"Pow", 0.1f, 3, -2, 2, -1, 1e-5f, 1e-4f},
  {"Mod", -10, 10, 0.5f, 3, 1, 1e-5f, 1e-5f},
  {"Mod", -10, 10, -3, -0.5f, 0, 1e-5f, 1e-5f},
  {"Mod", -10, 10, 0.5f, 3, 0, 1e-5f, 1e-5f},
  {"Max", -2, 2, -2, 2, -1, 0, 0},
  {"Min", -2, 2, -2, 2, -1, 0, 0},
};

static const BOp int_ops[] = {
  {"Add", -50, 50, -50, 50, -1, 0, 0},
  {"Sub", -50, 50, -50, 50, -1, 0, 0},
  {"Mul", -50, 50, -50, 50, -1, 0, 0},
  {"Div", -50, 50, -7, 7, -1, 0, 0},
  {"Mod", -50, 50, -7, 7, 0, 0, 0},
  {"Mod", -50, 50, -7, 7, 1, 0, 0},
  {"Pow", -4, 4, 0, 5, -1, 0, 0},
  {"Max", -50, 50, -50, 50, -1, 0, 0},
  {"Min", -50, 50, -50, 50, -1, 0, 0},
};

/* uint32 operands (a run-time Cast's), over the whole range: the device
 * keeps their bits in int32; sums wrap modulo 2^32 as in onnxruntime. */
static const BOp uint32_ops[] = {
  {"Add", 0, 4294967040.0f, 0, 4294967040.0f, -1, 0, 0},
  {"Sub", 0, 4294967040.0f, 0, 4294967040.0f, -1, 0, 0},
  {"Mul", 0, 100000, 0, 100000, -1, 0, 0},
  {"Div", 0, 4294967040.0f, 1, 4294967040.0f, -1, 0, 0},
  {"Mod", 0, 4294967040.0f, 1, 4294967040.0f, 0, 0, 0},
  {"Max", 0, 4294967040.0f, 0, 4294967040.0f, -1, 0, 0},
  {"Min", 0, 4294967040.0f, 0, 4294967040.0f, -1, 0, 0},
};

static YoloGraph *
binary_graph (const BOp * o, YoloDType dt, const BShape * s, gboolean b_const)
{
  YoloGraph *g = yolo_graph_new ();
  const char *ins[2] = { "A", "B" };
  YoloNode *n;

  yolo_test_input (g, "A", dt, s->na, s->a, o->alo, o->ahi);
  if (b_const)
    yolo_test_const (g, "B", dt, s->nb, s->b, o->blo, o->bhi);
  else
    yolo_test_input (g, "B", dt, s->nb, s->b, o->blo, o->bhi);
  n = add_node (g, o->op, 2, ins);
  if (o->fmod >= 0)
    attr_int (n, "fmod", o->fmod);
  yolo_test_output (g, "Y");
  return g;
}

static void
run_binary (const BOp * ops, guint n_ops, YoloDType dt)
{
  for (guint i = 0; i < n_ops; i++) {
    for (guint j = 0; j < N_(bshapes); j++) {
      for (int c = 0; c < 2; c++) {
        char *label = g_strdup_printf ("%s fmod=%d %s shape#%u%s",
            ops[i].op, ops[i].fmod, yolo_dtype_name (dt), j,
            c ? " const-B" : "");
        yolo_test_check (binary_graph (&ops[i], dt, &bshapes[j], c), label,
            ops[i].atol, ops[i].rtol, FALSE);
        g_free (label);
      }
    }
  }
}

static void
test_binary_float (void)
{
  run_binary (float_ops, N_(float_ops), YOLO_DTYPE_FLOAT);
}

static void
test_binary_int (void)
{
  run_binary (int_ops, N_(int_ops), YOLO_DTYPE_INT64);
}

static void
test_binary_uint32 (void)
{
  for (guint i = 0; i < N_(uint32_ops); i++) {
    for (guint j = 0; j < 3; j++) {
      const BOp *o = &uint32_ops[i];
      const BShape *s = &bshapes[j == 2 ? 12 : j];
      YoloGraph *g = yolo_graph_new ();
      YoloNode *n;
      char *label;

      /* float inputs Cast to uint32 (graph inputs are float) */
      yolo_test_input (g, "FA", YOLO_DTYPE_FLOAT, s->na, s->a, o->alo, o->ahi);
      yolo_test_input (g, "FB", YOLO_DTYPE_FLOAT, s->nb, s->b, o->blo, o->bhi);
      attr_int (yolo_test_node (g, "Cast", "FA", "A"), "to", 12);
      attr_int (yolo_test_node (g, "Cast", "FB", "B"), "to", 12);
      n = yolo_test_node (g, o->op, "A,B", "Y");
      n->residual = -1;
      if (o->fmod >= 0)
        attr_int (n, "fmod", o->fmod);
      yolo_test_output (g, "Y");
      label = g_strdup_printf ("%s uint32 shape#%u", uint32_ops[i].op, j);
      yolo_test_check (g, label, 0, 0, FALSE);
      g_free (label);
    }
  }
}

/* Fused activation epilogue on a binary op (and a unary one). */
static void
test_epilogue (void)
{
  static const YoloAct acts[] = { YOLO_ACT_SILU, YOLO_ACT_SIGMOID,
    YOLO_ACT_RELU, YOLO_ACT_LEAKY_RELU, YOLO_ACT_HARD_SIGMOID,
    YOLO_ACT_HARD_SWISH, YOLO_ACT_CLIP
  };
  for (guint i = 0; i < N_(acts); i++) {
    for (guint j = 0; j < 5; j++) {
      const BShape *s = &bshapes[j == 4 ? 12 : j];
      BOp o = { "Add", -3, 3, -3, 3, -1, 1e-5f, 1e-5f };
      YoloGraph *g = binary_graph (&o, YOLO_DTYPE_FLOAT, s, FALSE);
      YoloNode *n = YOLO_N (g, 0);
      char *label = g_strdup_printf ("Add act=%d shape#%u", acts[i], j);
      n->act = acts[i];
      n->act_alpha = acts[i] == YOLO_ACT_CLIP ? -0.5f : 0.2f;
      n->act_beta = acts[i] == YOLO_ACT_CLIP ? 0.7f : 0.5f;
      yolo_test_check (g, label, 1e-5f, 1e-5f, FALSE);
      g_free (label);
    }
  }
}

/* YOLO26's head: TopK indices (int64) / 80 and % 80. */
static void
test_int_scalar_const (void)
{
  static const char *ops[] = { "Div", "Mod" };
  for (guint i = 0; i < N_(ops); i++) {
    YoloGraph *g = yolo_graph_new ();
    gint64 d[2] = { 1, 300 }, sd[1] = { 1 }, v = 80;
    const char *ins[2] = { "A", "B" };
    yolo_test_input (g, "A", YOLO_DTYPE_INT64, 2, d, 0, 8400 * 80 - 1);
    yolo_test_const_ints (g, "B", 0, sd, &v);
    add_node (g, ops[i], 2, ins);
    yolo_test_output (g, "Y");
    yolo_test_check (g, ops[i], 0, 0, FALSE);
  }
}

/* Float base, integer exponent constant (yolov5: Pow (x, 2.0) is float;
 * others use an int64 exponent). */
static void
test_pow_mixed (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 d[4] = { 1, 3, 9, 10 }, sd[1] = { 1 }, e = 2;
  const char *ins[2] = { "A", "B" };
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 4, d, -3, 3);
  yolo_test_const_ints (g, "B", 1, sd, &e);
  add_node (g, "Pow", 2, ins);
  yolo_test_output (g, "Y");
  yolo_test_check (g, "Pow float^int", 1e-5f, 1e-5f, FALSE);

  /* Float exponent 2.0 (the kernels' a * a path: exact, negative bases
   * too), and a tensor exponent with lanes of 2 next to others (pow). */
  for (int k = 0; k < 2; k++) {
    gint64 bd[4] = { 1, 1, 9, 10 };
    float *bv;
    int ib;

    g = yolo_graph_new ();
    yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 4, d, k ? 0.1f : -3, 3);
    ib = yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, k ? 4 : 1, k ? bd : sd,
        2, 2);
    bv = YOLO_T (g, ib)->data;
    for (int i = 0; k && i < 90; i += 7)
      bv[i] = 0.5f + i / 30.0f;
    add_node (g, "Pow", 2, ins);
    yolo_test_output (g, "Y");
    yolo_test_check (g, k ? "Pow lanes of 2" : "Pow float^2.0", k ? 1e-5f : 0,
        k ? 1e-4f : 0, FALSE);
  }
}

/* Values computed with onnxruntime 1.x (Div / Mod on int64, Mod fmod=1 on
 * float). */
static void
test_binary_onnxruntime (void)
{
  static const gint64 a[7] = { 7, -7, 7, -7, 0, 5, -5 };
  static const gint64 b[7] = { 2, 2, -2, -2, 3, -3, 3 };
  static const gint64 div[7] = { 3, -3, -3, 3, 0, -1, -1 };
  static const gint64 mod0[7] = { 1, 1, -1, -1, 0, -1, 1 };
  static const gint64 mod1[7] = { 1, -1, 1, -1, 0, 2, -2 };
  static const float af[7] = { 7.5f, -7.5f, 7.5f, -7.5f, 0, 5, -5 };
  static const float fmod1[7] = { 1.5f, -1.5f, 1.5f, -1.5f, 0, 2, -2 };
  const gint64 *expect[3] = { div, mod0, mod1 };
  gint64 d[1] = { 7 };
  const char *ins[2] = { "A", "B" };

  for (int k = 0; k < 4; k++) {
    for (int dev = 0; dev < 2; dev++) {
      YoloGraph *g = yolo_graph_new ();
      YoloNode *n;
      int ia, ib;
      YoloTensor *y;

      if (k < 3) {
        ia = yolo_test_input (g, "A", YOLO_DTYPE_INT64, 1, d, 0, 0);
        ib = yolo_test_input (g, "B", YOLO_DTYPE_INT64, 1, d, 1, 1);
        memcpy (YOLO_T (g, ia)->data, a, sizeof a);
        memcpy (YOLO_T (g, ib)->data, b, sizeof b);
      } else {
        ia = yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 1, d, 0, 0);
        ib = yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 1, d, 1, 1);
        memcpy (YOLO_T (g, ia)->data, af, sizeof af);
        for (int i = 0; i < 7; i++)
          ((float *) YOLO_T (g, ib)->data)[i] = (float) b[i];
      }
      n = add_node (g, k == 0 ? "Div" : "Mod", 2, ins);
      if (k >= 1)
        attr_int (n, "fmod", k == 1 ? 0 : 1);
      yolo_test_output (g, "Y");
      if (dev) {
        yolo_test_check (g, "onnxruntime values", 0, 0, FALSE);
        continue;
      }
      y = host_run (g);
      for (int i = 0; i < 7; i++) {
        if (k < 3)
          g_assert_cmpint (((gint64 *) y->data)[i], ==, expect[k][i]);
        else
          g_assert_cmpfloat (((float *) y->data)[i], ==, fmod1[i]);
      }
      yolo_graph_free (g);
    }
  }
}

/* ---------------------------------------------------------------------- */

typedef struct
{
  const char *op;
  float lo, hi;
  gboolean int_too;
} UOp;

static const UOp unary_ops[] = {
  {"Sigmoid", -8, 8, FALSE},
  {"Relu", -2, 2, TRUE},
  {"LeakyRelu", -2, 2, FALSE},
  {"HardSigmoid", -4, 4, FALSE},
  {"HardSwish", -5, 5, FALSE},
  {"Clip", -2, 2, TRUE},
  {"Exp", -5, 5, FALSE},
  {"Log", 0.01f, 10, FALSE},
  {"Neg", -2, 2, TRUE},
  {"Sqrt", 0, 10, FALSE},
  {"Tanh", -4, 4, FALSE},
  {"Abs", -2, 2, TRUE},
  {"Floor", -5, 5, FALSE},
  {"Ceil", -5, 5, FALSE},
  {"Reciprocal", 0.5f, 4, FALSE},
  {"Erf", -3, 3, FALSE},
};

static const gint64 ushapes[][4] = {
  {1, 3, 7, 13}, {1, 64, 20, 20}, {1, 5, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 33},
};

static void
test_unary (void)
{
  for (guint i = 0; i < N_(unary_ops); i++) {
    const UOp *u = &unary_ops[i];
    for (int dt = 0; dt < (u->int_too ? 2 : 1); dt++) {
      for (guint j = 0; j < N_(ushapes); j++) {
        YoloGraph *g = yolo_graph_new ();
        const char *ins[1] = { "X" };
        YoloDType type = dt ? YOLO_DTYPE_INT64 : YOLO_DTYPE_FLOAT;
        float scale = dt ? 20.0f : 1.0f;
        YoloNode *n;
        char *label;

        yolo_test_input (g, "X", type, 4, ushapes[j], u->lo * scale,
            u->hi * scale);
        if (!strcmp (u->op, "Clip")) {
          /* opset >= 11: min / max inputs (one omitted in some cases) */
          const char *cins[3] = { "X", (j % 3 != 2) ? "lo" : NULL,
            (j % 3 != 1) ? "hi" : NULL
          };
          gint64 sd[1] = { 1 };
          if (dt) {
            gint64 lo = -7, hi = 13;
            yolo_test_const_ints (g, "lo", 0, sd, &lo);
            yolo_test_const_ints (g, "hi", 0, sd, &hi);
          } else {
            float lo = -0.5f, hi = 1.25f;
            yolo_test_const_floats (g, "lo", 0, sd, &lo);
            yolo_test_const_floats (g, "hi", 0, sd, &hi);
          }
          n = add_node (g, u->op, 3, cins);
        } else {
          n = add_node (g, u->op, 1, ins);
        }
        if (!strcmp (u->op, "LeakyRelu") && j % 2)
          attr_float (n, "alpha", 0.1f);
        if (!strcmp (u->op, "HardSigmoid") && j % 2) {
          attr_float (n, "alpha", 1.0f / 6.0f);
          attr_float (n, "beta", 0.4f);
        }
        yolo_test_output (g, "Y");
        label = g_strdup_printf ("%s %s shape#%u", u->op,
            yolo_dtype_name (type), j);
        yolo_test_check (g, label, 2e-6f, 1e-5f, FALSE);
        g_free (label);
      }
    }
  }
}

/* Clip before opset 11: min / max attributes. */
static void
test_clip_attrs (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 d[4] = { 1, 4, 5, 19 };
  const char *ins[1] = { "X" };
  YoloNode *n;
  YoloTensor *y;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, d, -10, 10);
  n = add_node (g, "Clip", 1, ins);
  attr_float (n, "min", 0.0f);
  attr_float (n, "max", 6.0f);
  yolo_test_output (g, "Y");
  yolo_test_check (g, "Clip attrs", 0, 0, FALSE);

  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, d, -10, 10);
  n = add_node (g, "Clip", 1, ins);
  attr_float (n, "min", 0.0f);
  attr_float (n, "max", 6.0f);
  yolo_test_output (g, "Y");
  y = host_run (g);
  for (gint64 i = 0; i < yolo_tensor_numel (y); i++) {
    float v = ((float *) y->data)[i];
    g_assert_true (v >= 0.0f && v <= 6.0f);
  }
  yolo_graph_free (g);
}

/* ---------------------------------------------------------------------- */

static void
test_cast (void)
{
  static const struct
  {
    YoloDType from, to;
    double range;               /* inputs uniform in [-range, range] */
  } casts[] = {
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_INT64, 3},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_INT32, 3},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_BOOL, 3},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_FLOAT, 3},
    {YOLO_DTYPE_INT64, YOLO_DTYPE_FLOAT, 3},
    {YOLO_DTYPE_INT64, YOLO_DTYPE_INT32, 3},
    {YOLO_DTYPE_INT64, YOLO_DTYPE_BOOL, 3},
    {YOLO_DTYPE_INT32, YOLO_DTYPE_INT64, 3},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_FLOAT16, 3},  /* rounds to half */
    {YOLO_DTYPE_INT64, YOLO_DTYPE_FLOAT16, 3},
    /* narrowing: the higher bits discarded (300 as uint8 is 44) */
    {YOLO_DTYPE_INT64, YOLO_DTYPE_UINT8, 70000},
    {YOLO_DTYPE_INT64, YOLO_DTYPE_INT8, 70000},
    {YOLO_DTYPE_INT32, 4 /* UINT16 */ , 70000},
    {YOLO_DTYPE_INT64, 5 /* INT16 */ , 70000},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_UINT8, 70000},
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_INT8, 70000},
    {YOLO_DTYPE_FLOAT, 16 /* BFLOAT16 */ , 1e30},       /* rounds to bf16 */
    /* negative values as unsigned: 2^32 - v, 2^64 - v (-1 as uint32 is
     * 4294967295) */
    {YOLO_DTYPE_INT64, 12 /* UINT32 */ , 70000},
    {YOLO_DTYPE_INT32, 12 /* UINT32 */ , 70000},
    {YOLO_DTYPE_INT64, 13 /* UINT64 */ , 70000},
    {YOLO_DTYPE_FLOAT, 12 /* UINT32 */ , 3e9},
    {YOLO_DTYPE_FLOAT, 13 /* UINT64 */ , 60000},
    /* out of int32's range (undefined in ONNX): onnxruntime's x86 result,
     * INT_MIN, then the higher bits discarded */
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_INT32, 1e10},
    {YOLO_DTYPE_FLOAT, 4 /* UINT16 */ , 1e10},
    {YOLO_DTYPE_FLOAT, 12 /* UINT32 */ , 1e10},
  };
  static const gint64 shapes[][3] = { {1, 7, 13}, {2, 3, 1}, {1, 1, 1},
  {1, 300, 17}
  };

  for (guint i = 0; i < N_(casts); i++) {
    for (guint j = 0; j < N_(shapes); j++) {
      YoloGraph *g = yolo_graph_new ();
      const char *ins[1] = { "X" };
      char *label;
      int xi = yolo_test_input (g, "X", casts[i].from, 3, shapes[j],
          -casts[i].range, casts[i].range);
      YoloTensor *x = YOLO_T (g, xi);
      /* some exact zeros and halves */
      if (yolo_dtype_is_float (x->dtype)) {
        ((float *) x->data)[0] = 0.0f;
        if (yolo_tensor_numel (x) > 2) {
          ((float *) x->data)[1] = -0.5f;
          ((float *) x->data)[2] = 2.5f;
        }
      }
      attr_int (add_node (g, "Cast", 1, ins), "to", casts[i].to);
      yolo_test_output (g, "Y");
      label = g_strdup_printf ("Cast %s->%s shape#%u",
          yolo_dtype_name (casts[i].from), yolo_dtype_name (casts[i].to), j);
      yolo_test_check (g, label, 0, 0, FALSE);
      g_free (label);
    }
  }
}

/* Cast float -> int truncates toward zero (onnxruntime: [2,-2,0,0]). */
static void
test_cast_onnxruntime (void)
{
  static const float v[4] = { 2.7f, -2.7f, 0.5f, -0.5f };
  static const gint64 expect[4] = { 2, -2, 0, 0 };
  for (int dev = 0; dev < 2; dev++) {
    YoloGraph *g = yolo_graph_new ();
    gint64 d[1] = { 4 };
    const char *ins[1] = { "X" };
    int xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 1, d, 0, 0);
    YoloTensor *y;
    memcpy (YOLO_T (g, xi)->data, v, sizeof v);
    attr_int (add_node (g, "Cast", 1, ins), "to", YOLO_DTYPE_INT64);
    yolo_test_output (g, "Y");
    if (dev) {
      yolo_test_check (g, "Cast onnxruntime", 0, 0, FALSE);
      continue;
    }
    y = host_run (g);
    g_assert_cmpint (y->dtype, ==, YOLO_DTYPE_INT64);
    for (int i = 0; i < 4; i++)
      g_assert_cmpint (((gint64 *) y->data)[i], ==, expect[i]);
    yolo_graph_free (g);
  }
}

/* Cast float -> integers of NaN, inf and out-of-range values, and of
 * unsigned values back to float: onnxruntime 1.32's CPU results on x86-64
 * (cvttss2si: NaN and out of range are INT_MIN; uint32 from 2^31 on
 * through x - 2^31), on the host and the device. */
static void
test_cast_out_of_range (void)
{
  static const float v[8] = { NAN, INFINITY, -INFINITY, -2147483904.0f,
    2147483520.0f, 4294967040.0f, -0.9f, 1e20f
  };
  static const struct
  {
    YoloDType to;
    gint64 expect[8];
  } c[] = {
    {YOLO_DTYPE_INT8, {0, 0, 0, 0, -128, 0, 0, 0}},
    {YOLO_DTYPE_UINT8, {0, 0, 0, 0, 128, 0, 0, 0}},
    {5 /* INT16 */ , {0, 0, 0, 0, -128, 0, 0, 0}},
    {4 /* UINT16 */ , {0, 0, 0, 0, 65408, 0, 0, 0}},
    {YOLO_DTYPE_INT32, {G_MININT32, G_MININT32, G_MININT32, G_MININT32,
            2147483520, G_MININT32, 0, G_MININT32}},
    {12 /* UINT32 */ , {2147483648, 0, 2147483648, 2147483648, 2147483520,
            4294967040, 0, 0}},
  };

  for (guint k = 0; k < N_(c); k++)
    for (int dev = 0; dev < 2; dev++) {
      YoloGraph *g = yolo_graph_new ();
      gint64 d[1] = { 8 };
      const char *ins[1] = { "X" }, *ins2[1] = { "Y" }, *outs[1] = { "Z" };
      int xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 1, d, 0, 0);
      YoloTensor *y;
      int ni;
      memcpy (YOLO_T (g, xi)->data, v, sizeof v);
      attr_int (add_node (g, "Cast", 1, ins), "to", c[k].to);
      /* and back to float: the unsigned values read as unsigned */
      ni = yolo_graph_add_node (g, "Cast", "node1", 1, ins2, 1, outs);
      YOLO_N (g, ni)->residual = -1;
      attr_int (YOLO_N (g, ni), "to", YOLO_DTYPE_FLOAT);
      yolo_test_output (g, "Z");
      if (dev) {
        yolo_test_check (g, "Cast out of range", 0, 0, FALSE);
        continue;
      }
      y = host_run (g);
      for (int i = 0; i < 8; i++)
        g_assert_cmpint (((gint64 *) y->data)[i], ==, c[k].expect[i]);
      y = YOLO_T (g, yolo_graph_find_tensor (g, "Z"));
      for (int i = 0; i < 8; i++)
        g_assert_cmpfloat (((float *) y->data)[i], ==, (float) c[k].expect[i]);
      yolo_graph_free (g);
    }
}

/* Cast float32 -> float16 (kept in float32) rounds to nearest, ties to
 * even, as onnxruntime / numpy's astype(float16): the C reference against
 * the IEEE 754 values written out here (bit for bit, signed zeros too), the
 * device (eltwise_cast_f2h) against the reference; on random data of every
 * magnitude as well. */
static void
test_cast_float16 (void)
{
  const float one = 1.0f, u = ldexpf (1.0f, -24);       /* smallest subnormal */
  const float nan = NAN, inf = INFINITY;
  const struct
  {
    float x, expect;
  } c[] = {
    {one + ldexpf (1, -11), one},       /* tie: to the even 1.0 */
    {one + 3 * ldexpf (1, -11), one + ldexpf (1, -9)},  /* tie: up to even */
    {one + ldexpf (1, -11) + ldexpf (1, -20), one + ldexpf (1, -10)},
    {-(one + ldexpf (1, -11)), -one},
    {2049.0f, 2048.0f}, {2051.0f, 2052.0f},     /* ties at 2^11 */
    {0.1f, 0.0999755859375f},
    {65504.0f, 65504.0f}, {65519.99f, 65504.0f},
    {65520.0f, inf}, {-65520.0f, -inf}, {1e10f, inf}, {inf, inf},
    {-inf, -inf},
    {u, u}, {ldexpf (1, -25), 0.0f},    /* tie between 0 and u: 0 */
    {ldexpf (1.0001f, -25), u}, {3 * ldexpf (1, -25), 2 * u},   /* tie: 2u */
    {5 * ldexpf (1, -25), 2 * u},       /* tie between 2u and 3u: 2u */
    {-ldexpf (1, -26), -0.0f}, {1e-40f, 0.0f},  /* float subnormal */
    {ldexpf (1, -14) - ldexpf (1, -25), ldexpf (1, -14)},       /* to normal */
    {ldexpf (1023, -24), ldexpf (1023, -24)},   /* largest subnormal */
    {0.0f, 0.0f}, {-0.0f, -0.0f}, {nan, nan}, {-nan, -nan},
  };
  gint64 d[2] = { 1, N_(c) }, rd[2] = { 1, 4096 };
  const char *ins[1] = { "X" };
  YoloGraph *g = yolo_graph_new ();
  int xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, d, 0, 0);
  YoloTensor *y;

  for (guint i = 0; i < N_(c); i++)
    ((float *) YOLO_T (g, xi)->data)[i] = c[i].x;
  attr_int (add_node (g, "Cast", 1, ins), "to", YOLO_DTYPE_FLOAT16);
  yolo_test_output (g, "Y");
  y = host_run (g);
  g_assert_cmpint (y->dtype, ==, YOLO_DTYPE_FLOAT);
  for (guint i = 0; i < N_(c); i++) {
    float v = ((float *) y->data)[i];
    if (isnan (c[i].expect)) {
      g_assert_true (isnan (v));
      g_assert_cmpint (!!signbit (v), ==, !!signbit (c[i].expect));
    } else {
      if (memcmp (&v, &c[i].expect, 4) != 0)
        g_error ("Cast to float16 of %.9g: %.9g, expected %.9g", c[i].x, v,
            c[i].expect);
    }
  }
  yolo_graph_free (g);

  /* the device: the same values, then random ones of every magnitude */
  g = yolo_graph_new ();
  xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, d, 0, 0);
  for (guint i = 0; i < N_(c); i++)
    ((float *) YOLO_T (g, xi)->data)[i] = c[i].x;
  attr_int (add_node (g, "Cast", 1, ins), "to", YOLO_DTYPE_FLOAT16);
  yolo_test_output (g, "Y");
  yolo_test_expect_kernel ("eltwise_cast_f2h", TRUE);
  yolo_test_check (g, "Cast float16 edge cases", 0, 0, FALSE);

  g = yolo_graph_new ();
  xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, rd, -1, 1);
  for (gint64 i = 0; i < rd[1]; i++) {
    float *x = &((float *) YOLO_T (g, xi)->data)[i];
    *x = ldexpf (*x, (int) (i % 48) - 30);      /* 2^-30 .. 2^17 */
  }
  attr_int (add_node (g, "Cast", 1, ins), "to", YOLO_DTYPE_FLOAT16);
  yolo_test_output (g, "Y");
  yolo_test_check (g, "Cast float16 random", 0, 0, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Every 5th element (from phase) of the float tensor `name` set to NaN,
 * +-inf or -0.0 in turn. */
static void
sprinkle_nonfinite (YoloGraph * g, const char *name, int phase)
{
  static const float sp[6] = { NAN, INFINITY, -INFINITY, -0.0f, -NAN, 0.0f };
  YoloTensor *t = YOLO_T (g, yolo_graph_find_tensor (g, name));
  gint64 n = yolo_tensor_numel (t);

  for (gint64 k = phase; k < n; k += 5)
    ((float *) t->data)[k] = sp[(k / 5) % 6];
}

/* NaN and inf through the activations (standalone, and as the fused
 * epilogue of Add), Max and Min: the kernels give the reference's NaN
 * where fmax / fmin / clamp would give a number. */
static void
test_nonfinite (void)
{
  static const char *unary[] = { "Relu", "LeakyRelu", "HardSigmoid",
    "HardSwish", "Sigmoid", "Clip"
  };
  static const YoloAct acts[] = { YOLO_ACT_SILU, YOLO_ACT_SIGMOID,
    YOLO_ACT_RELU, YOLO_ACT_LEAKY_RELU, YOLO_ACT_HARD_SIGMOID,
    YOLO_ACT_HARD_SWISH, YOLO_ACT_CLIP
  };
  static const gint64 shapes[][4] = { {1, 3, 7, 13}, {1, 1, 1, 33} };
  const BShape *bs[4] = { &bshapes[0], &bshapes[1], &bshapes[12], &bshapes[4] };

  for (guint i = 0; i < N_(unary); i++) {
    for (guint j = 0; j < N_(shapes); j++) {
      YoloGraph *g = yolo_graph_new ();
      const char *ins[3] = { "X", "lo", "hi" };
      gint64 sd[1] = { 1 };
      float lo = -0.5f, hi = 1.25f;
      char *label = g_strdup_printf ("%s NaN/inf shape#%u", unary[i], j);

      yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, shapes[j], -3, 3);
      sprinkle_nonfinite (g, "X", j);
      yolo_test_const_floats (g, "lo", 0, sd, &lo);
      yolo_test_const_floats (g, "hi", 0, sd, &hi);
      add_node (g, unary[i], strcmp (unary[i], "Clip") ? 1 : 3, ins);
      yolo_test_output (g, "Y");
      yolo_test_check (g, label, 2e-6f, 1e-5f, FALSE);
      g_free (label);
    }
  }
  for (int op = 0; op < 2; op++) {
    for (guint j = 0; j < N_(bs); j++) {
      for (int c = 0; c < 2; c++) {
        BOp o = { op ? "Min" : "Max", -2, 2, -2, 2, -1, 0, 0 };
        YoloGraph *g = binary_graph (&o, YOLO_DTYPE_FLOAT, bs[j], c);
        char *label = g_strdup_printf ("%s NaN/inf shape#%u%s", o.op, j,
            c ? " const-B" : "");
        sprinkle_nonfinite (g, "A", 0);
        sprinkle_nonfinite (g, "B", 2);
        yolo_test_check (g, label, 0, 0, FALSE);
        g_free (label);
      }
    }
  }
  for (guint i = 0; i < N_(acts); i++) {
    BOp o = { "Add", -3, 3, -3, 3, -1, 1e-5f, 1e-5f };
    YoloGraph *g = binary_graph (&o, YOLO_DTYPE_FLOAT, &bshapes[0], FALSE);
    YoloNode *n = YOLO_N (g, 0);
    char *label = g_strdup_printf ("Add act=%d NaN/inf", acts[i]);
    sprinkle_nonfinite (g, "A", 1);
    n->act = acts[i];
    n->act_alpha = acts[i] == YOLO_ACT_CLIP ? -0.5f : 0.2f;
    n->act_beta = acts[i] == YOLO_ACT_CLIP ? 0.7f : 0.5f;
    yolo_test_check (g, label, 1e-5f, 1e-5f, FALSE);
    g_free (label);
  }
}

/* Infer errors: incompatible broadcast, non-constant Clip bounds. */
static void
test_errors (void)
{
  GError *err = NULL;
  YoloGraph *g = yolo_graph_new ();
  gint64 da[2] = { 3, 4 }, db[2] = { 2, 4 }, sd[1] = { 1 };
  const char *ins[2] = { "A", "B" };
  const char *cins[3] = { "A", "lo", NULL };
  YoloNode *n;

  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, da, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 2, db, 0, 1);
  n = add_node (g, "Add", 2, ins);
  g_assert_false (yolo_ops_lookup ("Add")->infer (g, n, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL);
  g_clear_error (&err);
  yolo_graph_free (g);

  g = yolo_graph_new ();
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, da, 0, 1);
  yolo_test_input (g, "lo", YOLO_DTYPE_FLOAT, 0, sd, 0, 1);
  n = add_node (g, "Clip", 3, cins);
  g_assert_false (yolo_ops_lookup ("Clip")->infer (g, n, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  yolo_graph_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (4321);
  g_test_add_func ("/eltwise/binary-float", test_binary_float);
  g_test_add_func ("/eltwise/binary-int", test_binary_int);
  g_test_add_func ("/eltwise/binary-uint32", test_binary_uint32);
  g_test_add_func ("/eltwise/epilogue", test_epilogue);
  g_test_add_func ("/eltwise/int-scalar-const", test_int_scalar_const);
  g_test_add_func ("/eltwise/pow-mixed", test_pow_mixed);
  g_test_add_func ("/eltwise/onnxruntime", test_binary_onnxruntime);
  g_test_add_func ("/eltwise/unary", test_unary);
  g_test_add_func ("/eltwise/clip-attrs", test_clip_attrs);
  g_test_add_func ("/eltwise/cast", test_cast);
  g_test_add_func ("/eltwise/cast-onnxruntime", test_cast_onnxruntime);
  g_test_add_func ("/eltwise/cast-out-of-range", test_cast_out_of_range);
  g_test_add_func ("/eltwise/cast-float16", test_cast_float16);
  g_test_add_func ("/eltwise/errors", test_errors);
  g_test_add_func ("/eltwise/nonfinite", test_nonfinite);
  /* half storage (yolo_test_add_half) */
  yolo_test_add_half ("/eltwise/half/binary-float", test_binary_float);
  yolo_test_add_half ("/eltwise/half/epilogue", test_epilogue);
  yolo_test_add_half ("/eltwise/half/unary", test_unary);
  yolo_test_add_half ("/eltwise/half/nonfinite", test_nonfinite);
  yolo_test_add_half ("/eltwise/half/cast", test_cast);
  yolo_test_add_half ("/eltwise/half/cast-float16", test_cast_float16);
  return g_test_run ();
}
