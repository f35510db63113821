/* test-resize.c - Resize / Upsample kernels against the C reference (eval),
 * and the reference against values computed with onnxruntime. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

#define N_(a) G_N_ELEMENTS (a)

typedef struct
{
  const char *op;               /* "Resize" (default) or "Upsample" */
  int opset;                    /* 0: latest */
  int ndim;
  gint64 dims[4];
  gboolean use_sizes;
  float scales[4];
  gint64 sizes[4];
  const char *mode, *ctm, *nearest_mode;        /* NULL: default */
  gboolean roi_input;           /* opset 11 style: empty roi constant */
  gboolean scales_attr;         /* Upsample-7: scales attribute */
} ResizeCase;

static void
set_str (YoloNode * n, const char *name, const char *v)
{
  if (v)
    yolo_node_add_attr (n, name, YOLO_ATTR_STRING)->s = g_strdup (v);
}

static YoloGraph *
resize_graph (const ResizeCase * c, int *xi)
{
  YoloGraph *g = yolo_graph_new ();
  const char *outs[1] = { "Y" };
  const char *ins[4] = { "X", NULL, NULL, NULL };
  const char *op = c->op ? c->op : "Resize";
  gint64 nd[1] = { c->ndim }, zero[1] = { 0 };
  float dummy[1] = { 0 };
  int n_in, ni;
  YoloNode *n;

  g->opset = c->opset;
  *xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, c->ndim, c->dims, -3, 3);
  if (c->scales_attr) {
    n_in = 1;
  } else if (!strcmp (op, "Upsample") || (c->opset && c->opset < 11)) {
    yolo_test_const_floats (g, "scales", 1, nd, c->scales);
    ins[1] = "scales";
    n_in = 2;
  } else {
    if (c->roi_input) {
      yolo_test_const_floats (g, "roi", 1, zero, dummy);
      ins[1] = "roi";
    }
    if (c->use_sizes) {
      yolo_test_const_ints (g, "sizes", 1, nd, c->sizes);
      ins[3] = "sizes";
      n_in = 4;
      if (c->roi_input) {
        yolo_test_const_floats (g, "noscales", 1, zero, dummy);
        ins[2] = "noscales";
      }
    } else {
      yolo_test_const_floats (g, "scales", 1, nd, c->scales);
      ins[2] = "scales";
      n_in = 3;
    }
  }
  ni = yolo_graph_add_node (g, op, "resize0", n_in, ins, 1, outs);
  n = YOLO_N (g, ni);
  n->residual = -1;
  if (c->scales_attr) {
    YoloAttr *a = yolo_node_add_attr (n, "scales", YOLO_ATTR_FLOATS);
    a->n = c->ndim;
    a->floats = g_memdup2 (c->scales, c->ndim * sizeof (float));
  }
  set_str (n, "mode", c->mode);
  set_str (n, "coordinate_transformation_mode", c->ctm);
  set_str (n, "nearest_mode", c->nearest_mode);
  yolo_test_output (g, "Y");
  return g;
}

static void
run_cases (const ResizeCase * cases, guint n)
{
  for (guint i = 0; i < n; i++) {
    const ResizeCase *c = &cases[i];
    int xi;
    char *label = g_strdup_printf ("%s #%u opset %d %s %s %s", c->op ?
        c->op : "Resize", i, c->opset, c->mode ? c->mode : "nearest",
        c->ctm ? c->ctm : "", c->nearest_mode ? c->nearest_mode : "");
    yolo_test_check (resize_graph (c, &xi), label, 1e-5f, 1e-5f, FALSE);
    g_free (label);
  }
}

#define X2 {1, 1, 2, 2}
#define ASYM_FLOOR "nearest", "asymmetric", "floor"

static void
test_nearest2x (void)
{
  static const ResizeCase cases[] = {
    {NULL, 0, 4, {1, 8, 20, 20}, FALSE, X2, {0}, ASYM_FLOOR},
    {NULL, 0, 4, {1, 3, 7, 13}, FALSE, X2, {0}, ASYM_FLOOR},
    {NULL, 0, 4, {1, 2, 1, 1}, FALSE, X2, {0}, ASYM_FLOOR},
    {NULL, 0, 4, {1, 4, 3, 17}, FALSE, X2, {0}, ASYM_FLOOR},
    {NULL, 0, 4, {1, 16, 40, 40}, FALSE, X2, {0}, ASYM_FLOOR},
    /* opset 11/12 form: roi + scales */
    {NULL, 12, 4, {1, 3, 5, 9}, FALSE, X2, {0}, ASYM_FLOOR, TRUE},
    /* sizes */
    {NULL, 0, 4, {1, 3, 5, 9}, TRUE, {0}, {1, 3, 10, 18}, ASYM_FLOOR},
    {NULL, 12, 4, {1, 3, 5, 9}, TRUE, {0}, {1, 3, 10, 18}, ASYM_FLOOR, TRUE},
    /* other modes that map to x/2 */
    {NULL, 0, 4, {1, 3, 6, 11}, FALSE, X2, {0}, "nearest", "half_pixel",
        "round_prefer_floor"},
    {NULL, 0, 4, {1, 3, 6, 11}, FALSE, X2, {0}, NULL, NULL, NULL},
    /* opset 10 / Upsample */
    {NULL, 10, 4, {1, 3, 6, 11}, FALSE, X2, {0}, "nearest"},
    {"Upsample", 9, 4, {1, 3, 6, 11}, FALSE, X2, {0}, "nearest"},
    {"Upsample", 7, 4, {1, 3, 6, 11}, FALSE, X2, {0}, "nearest", NULL, NULL,
        FALSE, TRUE},
  };
  run_cases (cases, N_(cases));
}

static void
test_nearest (void)
{
  static const char *ctms[] = { "half_pixel", "asymmetric",
    "pytorch_half_pixel", "tf_half_pixel_for_nn", "align_corners",
    "half_pixel_symmetric"
  };
  static const char *nms[] = { "round_prefer_floor", "round_prefer_ceil",
    "floor", "ceil"
  };
  static const gint64 sizes[][4] = { {1, 2, 8, 11}, {1, 2, 4, 5},
  {1, 2, 1, 23}, {1, 2, 15, 3}
  };
  for (guint i = 0; i < N_(ctms); i++) {
    for (guint j = 0; j < N_(nms); j++) {
      for (guint s = 0; s < N_(sizes); s++) {
        ResizeCase c = { NULL, 0, 4, {1, 2, 5, 7}, TRUE };
        memcpy (c.sizes, sizes[s], sizeof c.sizes);
        c.mode = "nearest";
        c.ctm = ctms[i];
        c.nearest_mode = nms[j];
        run_cases (&c, 1);
      }
    }
  }
  {
    static const ResizeCase cases[] = {
      /* integer x3, x1 (identity on H), scales < 1 */
      {NULL, 0, 4, {1, 3, 4, 5}, FALSE, {1, 1, 3, 3}, {0}, ASYM_FLOOR},
      {NULL, 0, 4, {1, 3, 4, 5}, FALSE, {1, 1, 1, 2}, {0}, ASYM_FLOOR},
      {NULL, 0, 4, {1, 3, 9, 13}, FALSE, {1, 1, 0.5f, 0.7f}, {0},
          "nearest", "half_pixel", "round_prefer_ceil"},
      /* 3-D input: the last dim only */
      {NULL, 0, 3, {1, 3, 13}, FALSE, {1, 1, 2}, {0}, ASYM_FLOOR},
      /* opset 10 / Upsample, shrinking (ceil) */
      {NULL, 10, 4, {1, 3, 9, 13}, FALSE, {1, 1, 0.6f, 0.7f}, {0},
          "nearest"},
      {NULL, 10, 4, {1, 3, 4, 5}, FALSE, {1, 1, 1.5f, 2.5f}, {0}, "nearest"},
    };
    run_cases (cases, N_(cases));
  }
}

static void
test_linear (void)
{
  static const char *ctms[] = { "half_pixel", "asymmetric",
    "pytorch_half_pixel", "align_corners", "half_pixel_symmetric"
  };
  static const gint64 sizes[][4] = { {1, 2, 10, 14}, {1, 2, 8, 11},
  {1, 2, 3, 4}, {1, 2, 1, 9}, {1, 2, 17, 1}
  };
  for (guint i = 0; i < N_(ctms); i++) {
    for (guint s = 0; s < N_(sizes); s++) {
      ResizeCase c = { NULL, 0, 4, {1, 2, 5, 7}, TRUE };
      memcpy (c.sizes, sizes[s], sizeof c.sizes);
      c.mode = "linear";
      c.ctm = ctms[i];
      run_cases (&c, 1);
    }
  }
  {
    static const ResizeCase cases[] = {
      {NULL, 0, 4, {1, 4, 20, 20}, FALSE, X2, {0}, "linear", "half_pixel"},
      {NULL, 0, 4, {1, 3, 9, 13}, FALSE, {1, 1, 0.6f, 0.7f}, {0}, "linear",
          "half_pixel"},
      {NULL, 10, 4, {1, 3, 4, 5}, FALSE, {1, 1, 1.5f, 2.5f}, {0}, "linear"},
      {"Upsample", 9, 4, {1, 3, 4, 5}, FALSE, {1, 1, 2, 3}, {0}, "linear"},
    };
    run_cases (cases, N_(cases));
  }
}

/* Values computed with onnxruntime, X = 1..numel. */
typedef struct
{
  ResizeCase c;
  int oh, ow;
  int first, count;             /* compared output range */
  float y[16];
} OrtCase;

static void
test_onnxruntime (void)
{
  static const OrtCase cases[] = {
    {{NULL, 13, 4, {1, 1, 2, 3}, FALSE, X2, {0}, ASYM_FLOOR}, 4, 6, 6, 12,
        {1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 5}, "nearest",
            "half_pixel", "round_prefer_floor"}, 3, 5, 0, 15,
        {1, 1, 2, 3, 3, 1, 1, 2, 3, 3, 4, 4, 5, 6, 6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 4}, "nearest",
            "align_corners", "round_prefer_ceil"}, 3, 4, 0, 12,
        {1, 2, 2, 3, 4, 5, 5, 6, 4, 5, 5, 6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 5}, "nearest",
            "tf_half_pixel_for_nn", "ceil"}, 3, 5, 0, 10,
        {5, 5, 6, 6, 6, 5, 5, 6, 6, 6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 1, 5}, "nearest",
            "pytorch_half_pixel", "round_prefer_floor"}, 1, 5, 0, 5,
        {1, 1, 2, 3, 3}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 5}, "linear",
            "half_pixel"}, 3, 5, 0, 15,
        {1, 1.4f, 2, 2.6f, 3, 2.5f, 2.9f, 3.5f, 4.1f, 4.5f, 4, 4.4f, 5, 5.6f,
            6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 5}, "linear",
            "align_corners"}, 3, 5, 0, 15,
        {1, 1.5f, 2, 2.5f, 3, 2.5f, 3, 3.5f, 4, 4.5f, 4, 4.5f, 5, 5.5f, 6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 3, 5}, "linear",
            "asymmetric"}, 3, 5, 0, 15,
        {1, 1.6f, 2.2f, 2.8f, 3, 3, 3.6f, 4.2f, 4.8f, 5, 4, 4.6f, 5.2f, 5.8f,
            6}},
    {{NULL, 13, 4, {1, 1, 2, 3}, TRUE, {0}, {1, 1, 1, 5}, "linear",
            "pytorch_half_pixel"}, 1, 5, 0, 5, {1, 1.4f, 2, 2.6f, 3}},
    {{NULL, 13, 4, {1, 1, 2, 3}, FALSE, {1, 1, 0.6f, 0.7f}, {0}, "linear",
            "half_pixel"}, 1, 2, 0, 2, {2.2142859f, 3.642857f}},
    /* opset 10: asymmetric, truncate when growing, ceil when shrinking */
    {{NULL, 10, 4, {1, 1, 4, 5}, FALSE, {1, 1, 0.6f, 0.7f}, {0}, "nearest"},
        2, 3, 0, 6, {1, 3, 4, 11, 13, 14}},
    {{NULL, 10, 4, {1, 1, 4, 5}, FALSE, {1, 1, 1.5f, 2.5f}, {0}, "nearest"},
        6, 12, 24, 12, {6, 6, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10}},
    {{"Upsample", 9, 4, {1, 1, 4, 5}, FALSE, {1, 1, 1.5f, 2.5f}, {0},
            "linear"}, 6, 12, 12, 12,
        {4.3333335f, 4.7333336f, 5.133333f, 5.5333333f, 5.9333334f,
              6.3333335f, 6.7333336f, 7.133333f, 7.5333338f, 7.9333334f,
            8.333334f, 8.333334f}},
  };

  for (guint i = 0; i < N_(cases); i++) {
    for (int dev = 0; dev < 2; dev++) {
      const OrtCase *o = &cases[i];
      int xi;
      YoloGraph *g = resize_graph (&o->c, &xi);
      YoloTensor *x = YOLO_T (g, xi), *y;
      YoloNode *n = YOLO_N (g, 0);
      const YoloOpDef *def = yolo_ops_lookup (n->op_type);
      GError *err = NULL;

      for (gint64 k = 0; k < yolo_tensor_numel (x); k++)
        ((float *) x->data)[k] = k + 1;
      if (dev) {
        char *label = g_strdup_printf ("onnxruntime #%u", i);
        yolo_test_check (g, label, 1e-5f, 1e-5f, FALSE);
        g_free (label);
        continue;
      }
      if (!def->infer (g, n, &err) || !def->eval (g, n, &err))
        g_error ("case %u: %s", i, err->message);
      y = YOLO_OUT (g, n, 0);
      g_assert_cmpint (y->dims[2], ==, o->oh);
      g_assert_cmpint (y->dims[3], ==, o->ow);
      for (int k = 0; k < o->count; k++) {
        float v = ((float *) y->data)[o->first + k];
        if (fabsf (v - o->y[k]) > 1e-5f)
          g_error ("case %u: y[%d] = %.7g, onnxruntime %.7g", i,
              o->first + k, v, o->y[k]);
      }
      yolo_graph_free (g);
    }
  }
}

static void
test_errors (void)
{
  GError *err = NULL;
  YoloGraph *g = yolo_graph_new ();
  gint64 d[4] = { 1, 2, 4, 4 }, nd[1] = { 4 };
  const char *ins[3] = { "X", NULL, "S" };
  const char *outs[1] = { "Y" };
  YoloNode *n;
  int ni;

  /* run-time scales */
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, d, 0, 1);
  yolo_test_input (g, "S", YOLO_DTYPE_FLOAT, 1, nd, 1, 2);
  ni = yolo_graph_add_node (g, "Resize", "r", 3, ins, 1, outs);
  n = YOLO_N (g, ni);
  g_assert_false (yolo_ops_lookup ("Resize")->infer (g, n, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  yolo_graph_free (g);

  /* cubic */
  {
    float s[4] = { 1, 1, 2, 2 };
    g = yolo_graph_new ();
    yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, d, 0, 1);
    yolo_test_const_floats (g, "S", 1, nd, s);
    ni = yolo_graph_add_node (g, "Resize", "r", 3, ins, 1, outs);
    n = YOLO_N (g, ni);
    set_str (n, "mode", "cubic");
    g_assert_false (yolo_ops_lookup ("Resize")->infer (g, n, &err));
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
    g_clear_error (&err);
    yolo_graph_free (g);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (99);
  g_test_add_func ("/resize/nearest2x", test_nearest2x);
  g_test_add_func ("/resize/nearest", test_nearest);
  g_test_add_func ("/resize/linear", test_linear);
  g_test_add_func ("/resize/onnxruntime", test_onnxruntime);
  g_test_add_func ("/resize/errors", test_errors);
  yolo_test_add_half ("/resize/half/nearest2x", test_nearest2x);
  yolo_test_add_half ("/resize/half/nearest", test_nearest);
  yolo_test_add_half ("/resize/half/linear", test_linear);
  return g_test_run ();
}
