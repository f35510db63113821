/* test-logic-norm.c - the kernels of ops/logic.c (comparisons, And, Or,
 * Xor, Not, Where), ops/math.c (Sin, Cos, Gelu; and eltwise's Erf at its
 * edges) and ops/norm.c (LayerNormalization) against their C reference
 * (eval) on random shapes with broadcasting, NaN, equal values and scalar
 * operands; and the one-line errors of bad shapes and types. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

typedef struct
{
  int na;
  gint64 a[6];
  int nb;
  gint64 b[6];
  int nc;
  gint64 c[6];
} Shape3;

static const Shape3 shapes[] = {
  {4, {1, 3, 7, 13}, 4, {1, 3, 7, 13}, 4, {1, 3, 7, 13}},
  {4, {1, 5, 9, 11}, 4, {1, 5, 1, 1}, 1, {11}},
  {4, {1, 6, 4, 5}, 0, {0}, 4, {1, 6, 4, 5}},   /* scalar B */
  {0, {0}, 3, {2, 3, 4}, 0, {0}},       /* scalar A and C */
  {3, {1, 2, 8400}, 2, {1, 8400}, 3, {1, 1, 1}},
  {2, {3, 1}, 2, {1, 5}, 1, {1}},       /* both broadcast */
  {4, {2, 1, 3, 5}, 3, {4, 1, 5}, 2, {3, 1}},
  {6, {2, 1, 3, 1, 2, 3}, 6, {1, 2, 1, 4, 1, 3}, 5, {2, 1, 4, 2, 1}},
  {1, {1}, 1, {1}, 1, {1}},
};

static YoloNode *
add_node (YoloGraph * g, const char *op, int n_in, const char *const *ins)
{
  const char *outs[1] = { "Y" };
  int ni = yolo_graph_add_node (g, op, "node0", n_in, ins, 1, outs);
  YoloNode *n = YOLO_N (g, ni);
  n->residual = -1;
  return n;
}

/* Float input with whole numbers in [-3, 3] (so that ties are frequent)
 * and every 7th value NaN. */
static void
input_ties_nan (YoloGraph * g, const char *name, int nd, const gint64 * d,
    gboolean as_const)
{
  int ti = as_const ? yolo_test_const (g, name, YOLO_DTYPE_FLOAT, nd, d, -3,
      3) : yolo_test_input (g, name, YOLO_DTYPE_FLOAT, nd, d, -3, 3);
  YoloTensor *t = YOLO_T (g, ti);
  float *v = t->data;

  for (gint64 i = 0; i < yolo_tensor_numel (t); i++)
    v[i] = i % 7 == 3 ? NAN : roundf (v[i]);
}

static void
test_compare (void)
{
  static const char *ops[] = { "Greater", "Less", "Equal", "GreaterOrEqual",
    "LessOrEqual"
  };
  const char *ins[2] = { "A", "B" };
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
      for (int kind = 0; kind < 4; kind++) {
        /* 0: float with ties and NaN, 1: int64, 2: float, B constant,
         * 3: uint32 (float inputs Cast to it) over its whole range, with
         * ties: compared unsigned */
        YoloGraph *g = yolo_graph_new ();
        char *label;
        if (kind == 3) {
          const char *cins[2] = { "FA", "FB" };
          const char *cout[2] = { "A", "B" };
          yolo_test_input (g, "FA", YOLO_DTYPE_FLOAT, shapes[s].na,
              shapes[s].a, 0, 4294967040.0f);
          yolo_test_input (g, "FB", YOLO_DTYPE_FLOAT, shapes[s].nb,
              shapes[s].b, 0, 4294967040.0f);
          ((float *) YOLO_T (g, yolo_graph_find_tensor (g, "FB"))->data)[0] =
              ((float *) YOLO_T (g, yolo_graph_find_tensor (g, "FA"))->data)[0];
          for (int k = 0; k < 2; k++) {
            int ni = yolo_graph_add_node (g, "Cast", cout[k], 1, &cins[k], 1,
                &cout[k]);
            yolo_node_add_attr (YOLO_N (g, ni), "to", YOLO_ATTR_INT)->i = 12;
            YOLO_N (g, ni)->residual = -1;
          }
        } else if (kind == 1) {
          yolo_test_input (g, "A", YOLO_DTYPE_INT64, shapes[s].na,
              shapes[s].a, -3, 3);
          yolo_test_input (g, "B", YOLO_DTYPE_INT64, shapes[s].nb,
              shapes[s].b, -3, 3);
        } else {
          input_ties_nan (g, "A", shapes[s].na, shapes[s].a, FALSE);
          input_ties_nan (g, "B", shapes[s].nb, shapes[s].b, kind == 2);
        }
        add_node (g, ops[o], 2, ins);
        yolo_test_output (g, "Y");
        label = g_strdup_printf ("%s shape#%u kind %d", ops[o], s, kind);
        yolo_test_check (g, label, 0, 0, FALSE);
        g_free (label);
      }
    }
  }
}

/* NaN against anything, NaN itself included, is false (Equal too). */
static void
test_compare_nan (void)
{
  static const char *ops[] = { "Greater", "Less", "Equal", "GreaterOrEqual",
    "LessOrEqual"
  };
  const char *ins[2] = { "A", "B" };
  gint64 d[1] = { 4 };
  float av[4] = { NAN, NAN, 1.0f, -INFINITY };
  float bv[4] = { NAN, 1.0f, NAN, -INFINITY };
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    YoloGraph *g = yolo_graph_new ();
    GError *err = NULL;
    YoloTensor *y;
    yolo_test_const_floats (g, "A", 1, d, av);
    yolo_test_const_floats (g, "B", 1, d, bv);
    add_node (g, ops[o], 2, ins);
    yolo_test_output (g, "Y");
    g_assert_true (yolo_graph_sort (g, &err));
    g_assert_true (yolo_graph_infer (g, &err));
    y = YOLO_T (g, yolo_graph_find_tensor (g, "Y"));
    if (!y->data)               /* the reference, as constant folding runs it */
      g_assert_true (yolo_ops_lookup (ops[o])->eval (g, YOLO_N (g, 0), &err));
    g_assert_cmpint (y->dtype, ==, YOLO_DTYPE_BOOL);
    g_assert_nonnull (y->data);
    for (int i = 0; i < 3; i++)
      g_assert_cmpint (((gint64 *) y->data)[i], ==, 0);
    /* -inf vs -inf: equal */
    g_assert_cmpint (((gint64 *) y->data)[3], ==, o >= 2 ? 1 : 0);
    yolo_graph_free (g);
    /* and the kernel, on run-time inputs */
    g = yolo_graph_new ();
    yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 1, d, 0, 1);
    yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 1, d, 0, 1);
    memcpy (YOLO_T (g, 0)->data, av, sizeof av);
    memcpy (YOLO_T (g, 1)->data, bv, sizeof bv);
    add_node (g, ops[o], 2, ins);
    yolo_test_output (g, "Y");
    yolo_test_check (g, ops[o], 0, 0, FALSE);
  }
}

static void
test_logical (void)
{
  static const char *ops[] = { "And", "Or", "Xor" };
  const char *ins[2] = { "A", "B" };
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
      YoloGraph *g = yolo_graph_new ();
      char *label = g_strdup_printf ("%s shape#%u", ops[o], s);
      yolo_test_input (g, "A", YOLO_DTYPE_BOOL, shapes[s].na, shapes[s].a,
          0, 1);
      if (s % 2)
        yolo_test_const (g, "B", YOLO_DTYPE_BOOL, shapes[s].nb, shapes[s].b,
            0, 1);
      else
        yolo_test_input (g, "B", YOLO_DTYPE_BOOL, shapes[s].nb, shapes[s].b,
            0, 1);
      add_node (g, ops[o], 2, ins);
      yolo_test_output (g, "Y");
      yolo_test_check (g, label, 0, 0, FALSE);
      g_free (label);
    }
  }
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
    YoloGraph *g = yolo_graph_new ();
    const char *nin[1] = { "A" };
    char *label = g_strdup_printf ("Not shape#%u", s);
    yolo_test_input (g, "A", YOLO_DTYPE_BOOL, shapes[s].na, shapes[s].a, 0, 1);
    add_node (g, "Not", 1, nin);
    yolo_test_output (g, "Y");
    yolo_test_check (g, label, 0, 0, FALSE);
    g_free (label);
  }
}

/* A comparison feeding Not and Where on the device, as the nms=True
 * graphs use them (Greater -> Where). */
static void
test_where (void)
{
  const char *ins[3] = { "C", "X", "Z" };
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++) {
    for (int kind = 0; kind < 3; kind++) {
      /* 0: float branches, 1: int64 branches, 2: scalar constant X */
      YoloGraph *g = yolo_graph_new ();
      YoloDType dt = kind == 1 ? YOLO_DTYPE_INT64 : YOLO_DTYPE_FLOAT;
      gint64 none[1] = { 0 };
      char *label = g_strdup_printf ("Where shape#%u kind %d", s, kind);
      yolo_test_input (g, "C", YOLO_DTYPE_BOOL, shapes[s].na, shapes[s].a,
          0, 1);
      if (kind == 2)
        yolo_test_const (g, "X", dt, 0, none, -5, 5);
      else
        yolo_test_input (g, "X", dt, shapes[s].nb, shapes[s].b, -50, 50);
      yolo_test_input (g, "Z", dt, shapes[s].nc, shapes[s].c, -50, 50);
      add_node (g, "Where", 3, ins);
      yolo_test_output (g, "Y");
      yolo_test_check (g, label, 0, 0, FALSE);
      g_free (label);
    }
  }
  {
    /* Where (Greater (A, 0.5), A, -A) chained on the device */
    YoloGraph *g = yolo_graph_new ();
    gint64 d[3] = { 1, 7, 33 }, sd[1] = { 1 };
    float half = 0.5f;
    const char *gi[2] = { "A", "H" }, *go[1] = { "C" };
    const char *ni[1] = { "A" }, *no[1] = { "N" };
    const char *wi[3] = { "C", "A", "N" };
    yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 3, d, -1, 1);
    yolo_test_const_floats (g, "H", 0, sd, &half);
    int k = yolo_graph_add_node (g, "Greater", "gt", 2, gi, 1, go);
    YOLO_N (g, k)->residual = -1;
    k = yolo_graph_add_node (g, "Neg", "neg", 1, ni, 1, no);
    YOLO_N (g, k)->residual = -1;
    add_node (g, "Where", 3, wi);
    yolo_test_output (g, "Y");
    yolo_test_expect_kernel ("logic_compare_float", TRUE);
    yolo_test_expect_kernel ("logic_where", TRUE);
    yolo_test_check (g, "Greater -> Where", 0, 0, FALSE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
}

static void
test_math (void)
{
  static const struct
  {
    const char *op;
    const char *approximate;
    float lo, hi, atol;
  } ops[] = {
    {"Sin", NULL, -4, 4, 2e-6f}, {"Cos", NULL, -4, 4, 2e-6f},
    {"Sin", NULL, -200, 200, 2e-5f}, {"Cos", NULL, -200, 200, 2e-5f},
    {"Gelu", NULL, -6, 6, 1e-5f}, {"Gelu", "tanh", -6, 6, 1e-5f},
    {"Gelu", "none", -30, 30, 1e-5f},
    {"Erf", NULL, -12, 12, 1e-6f},      /* saturates to +-1 at large |x| */
  };
  gint64 dims[3][4] = { {1, 3, 7, 13}, {1, 85, 8400, 0}, {1, 1, 1, 1} };
  int nd[3] = { 4, 3, 4 };
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    for (int s = 0; s < 3; s++) {
      YoloGraph *g = yolo_graph_new ();
      const char *ins[1] = { "A" };
      char *label = g_strdup_printf ("%s %s [%g,%g] shape#%d", ops[o].op,
          ops[o].approximate ? ops[o].approximate : "", ops[o].lo,
          ops[o].hi, s);
      YoloNode *n;
      yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, nd[s], dims[s], ops[o].lo,
          ops[o].hi);
      n = add_node (g, ops[o].op, 1, ins);
      if (ops[o].approximate)
        yolo_node_add_attr (n, "approximate", YOLO_ATTR_STRING)->s =
            g_strdup (ops[o].approximate);
      yolo_test_output (g, "Y");
      yolo_test_check (g, label, ops[o].atol, 1e-5f, FALSE);
      g_free (label);
    }
  }
  {
    /* +-inf and NaN through Erf, Sin, Cos */
    static const char *edge_ops[] = { "Erf", "Sin", "Cos", "Gelu" };
    for (guint o = 0; o < G_N_ELEMENTS (edge_ops); o++) {
      YoloGraph *g = yolo_graph_new ();
      const char *ins[1] = { "A" };
      gint64 d[1] = { 5 };
      float v[5] = { INFINITY, -INFINITY, NAN, 1e30f, -0.0f };
      yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 1, d, 0, 1);
      if (o == 3) {             /* Gelu(+-inf) is inf / NaN: not comparable */
        v[0] = 1e30f;
        v[1] = -1e30f;
      }
      memcpy (YOLO_T (g, 0)->data, v, sizeof v);
      add_node (g, edge_ops[o], 1, ins);
      yolo_test_output (g, "Y");
      yolo_test_check (g, edge_ops[o], 1e-6f, 0, FALSE);
    }
  }
}

typedef struct
{
  int nx;
  gint64 x[4];
  int axis;
  int ns;
  gint64 s[4];
  gboolean bias;
} NormCase;

static const NormCase norm_cases[] = {
  {3, {1, 400, 256}, -1, 1, {256}, TRUE},       /* RT-DETR-like */
  {3, {2, 5, 7}, -1, 1, {7}, FALSE},
  {3, {2, 5, 7}, 1, 2, {5, 7}, TRUE},
  {3, {2, 5, 7}, 1, 2, {1, 7}, TRUE},   /* broadcast scale */
  {3, {2, 5, 7}, 0, 0, {0}, TRUE},      /* whole tensor, scalar scale */
  {4, {1, 3, 4, 33}, -2, 2, {4, 1}, TRUE},
  {2, {3, 1}, -1, 1, {1}, TRUE},        /* one element per row */
};

static void
test_layer_norm (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (norm_cases); i++) {
    for (int act = 0; act < 2; act++) {
      const NormCase *c = &norm_cases[i];
      YoloGraph *g = yolo_graph_new ();
      const char *ins[3] = { "X", "S", c->bias ? "B" : NULL };
      char *label = g_strdup_printf ("LayerNormalization case#%u act %d", i,
          act);
      YoloNode *n;
      yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, c->nx, c->x, -3, 5);
      yolo_test_const (g, "S", YOLO_DTYPE_FLOAT, c->ns, c->s, -2, 2);
      if (c->bias)
        yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, c->ns, c->s, -1, 1);
      n = add_node (g, "LayerNormalization", 3, ins);
      yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = c->axis;
      if (i == 1)
        yolo_node_add_attr (n, "epsilon", YOLO_ATTR_FLOAT)->f = 1e-3f;
      if (act) {
        n->act = YOLO_ACT_SILU;
      }
      yolo_test_output (g, "Y");
      yolo_test_expect_kernel ("layer_norm", TRUE);
      yolo_test_check (g, label, 2e-5f, 2e-5f, FALSE);
      yolo_test_expect_kernel (NULL, FALSE);
      g_free (label);
    }
  }
}

static void
expect_infer_error (YoloGraph * g, int code, const char *what)
{
  yolo_test_output (g, "Y");
  yolo_test_expect_infer_error (g, code, "node0", what);
}

static void
test_errors (void)
{
  gint64 a[2] = { 3, 4 }, b[2] = { 5, 4 }, s[1] = { 3 };
  const char *ins2[2] = { "A", "B" }, *ins3[3] = { "A", "B", "C" };
  const char *ins1[1] = { "A" };
  YoloGraph *g;
  YoloNode *n;

  g = yolo_graph_new ();        /* shapes that do not broadcast */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 2, b, 0, 1);
  add_node (g, "Greater", 2, ins2);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "broadcast");
  g = yolo_graph_new ();        /* float vs int */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_INT64, 2, a, 0, 1);
  add_node (g, "Equal", 2, ins2);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "types");
  g = yolo_graph_new ();        /* And on floats */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_BOOL, 2, a, 0, 1);
  add_node (g, "And", 2, ins2);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "And float");
  g = yolo_graph_new ();        /* Not on int */
  yolo_test_input (g, "A", YOLO_DTYPE_INT64, 2, a, 0, 1);
  add_node (g, "Not", 1, ins1);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Not int");
  g = yolo_graph_new ();        /* Where with a float condition */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "C", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  add_node (g, "Where", 3, ins3);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Where cond");
  g = yolo_graph_new ();        /* Where with mixed branches */
  yolo_test_input (g, "A", YOLO_DTYPE_BOOL, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "C", YOLO_DTYPE_INT64, 2, a, 0, 1);
  add_node (g, "Where", 3, ins3);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Where types");
  g = yolo_graph_new ();        /* Where that does not broadcast */
  yolo_test_input (g, "A", YOLO_DTYPE_BOOL, 2, a, 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_input (g, "C", YOLO_DTYPE_FLOAT, 2, b, 0, 1);
  add_node (g, "Where", 3, ins3);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Where shapes");
  g = yolo_graph_new ();        /* Sin on int */
  yolo_test_input (g, "A", YOLO_DTYPE_INT64, 2, a, 0, 1);
  add_node (g, "Sin", 1, ins1);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Sin int");
  g = yolo_graph_new ();        /* Gelu with an unknown approximation */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  n = add_node (g, "Gelu", 1, ins1);
  yolo_node_add_attr (n, "approximate", YOLO_ATTR_STRING)->s =
      g_strdup ("cubic");
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "Gelu");
  g = yolo_graph_new ();        /* LayerNorm scale of the wrong size */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, s, 0, 1);
  add_node (g, "LayerNormalization", 2, ins2);
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "LN scale");
  g = yolo_graph_new ();        /* LayerNorm axis out of range */
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, a, 0, 1);
  yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, a + 1, 0, 1);
  n = add_node (g, "LayerNormalization", 2, ins2);
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = 2;
  expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "LN axis");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (777);
  g_test_add_func ("/logic/compare", test_compare);
  g_test_add_func ("/logic/compare-nan", test_compare_nan);
  g_test_add_func ("/logic/logical", test_logical);
  g_test_add_func ("/logic/where", test_where);
  g_test_add_func ("/math/sin-cos-gelu-erf", test_math);
  g_test_add_func ("/norm/layer-norm", test_layer_norm);
  g_test_add_func ("/logic/errors", test_errors);
  return g_test_run ();
}
