/* test-pool.c - pooling kernels against the C reference (eval), and the
 * reference against values computed with onnxruntime. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

#define N_(a) G_N_ELEMENTS (a)

typedef struct
{
  const char *op;
  int ns;                       /* spatial dims: 1 or 2 */
  int C, H, W;
  int k[2], s[2], d[2];
  int pads[4];                  /* 2-D: t, l, b, r; 1-D: begin, end */
  int ceil_mode;
  int include_pad;
  const char *auto_pad;
} PoolCase;

static YoloGraph *
pool_graph (const PoolCase * c, int *xi)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 d4[4] = { 1, c->C, c->H, c->W }, d3[3] = { 1, c->C, c->W };
  const char *ins[1] = { "X" };
  const char *outs[1] = { "Y" };
  YoloNode *n;
  int ns = c->ns, ni;

  *xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, ns + 2, ns == 2 ? d4 : d3,
      -4, 4);
  ni = yolo_graph_add_node (g, c->op, "pool0", 1, ins, 1, outs);
  n = YOLO_N (g, ni);
  n->residual = -1;
  if (!g_str_has_prefix (c->op, "Global")) {
    yolo_test_attr_int_array (n, "kernel_shape", ns, c->k);
    if (c->s[0])
      yolo_test_attr_int_array (n, "strides", ns, c->s);
    if (c->d[0])
      yolo_test_attr_int_array (n, "dilations", ns, c->d);
    if (c->auto_pad)
      yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING)->s =
          g_strdup (c->auto_pad);
    else
      yolo_test_attr_int_array (n, "pads", 2 * ns, c->pads);
    if (c->ceil_mode)
      yolo_node_add_attr (n, "ceil_mode", YOLO_ATTR_INT)->i = 1;
    if (c->include_pad)
      yolo_node_add_attr (n, "count_include_pad", YOLO_ATTR_INT)->i = 1;
  }
  yolo_test_output (g, "Y");
  return g;
}

static void
run_cases (const PoolCase * cases, guint n)
{
  for (guint i = 0; i < n; i++) {
    const PoolCase *c = &cases[i];
    int xi;
    char *label = g_strdup_printf ("%s #%u C%d %dx%d k%dx%d s%d,%d p%d,%d,%d,%d"
        " ceil%d incl%d %s", c->op, i, c->C, c->H, c->W, c->k[0], c->k[1],
        c->s[0], c->s[1], c->pads[0], c->pads[1], c->pads[2], c->pads[3],
        c->ceil_mode, c->include_pad, c->auto_pad ? c->auto_pad : "");
    yolo_test_check (pool_graph (c, &xi), label, 1e-6f, 1e-5f, FALSE);
    g_free (label);
  }
}

static void
test_maxpool (void)
{
  static const PoolCase cases[] = {
    /* SPPF: k5 s1 p2 */
    {"MaxPool", 2, 8, 20, 20, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 13, 7, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 4, 40, 40, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 2, 3, 53, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 5, 1, 1, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 16, 16, {5, 5}, {0}, {0}, {2, 2, 2, 2}},
    /* yolox SPP */
    {"MaxPool", 2, 3, 13, 13, {9, 9}, {1, 1}, {0}, {4, 4, 4, 4}},
    {"MaxPool", 2, 3, 13, 29, {13, 13}, {1, 1}, {0}, {6, 6, 6, 6}},
    /* rows under 16 (one vector load into the next row; the last row of
     * the last plane too): SPPF at 10x10, yolox-nano's SPP at 13x13 */
    {"MaxPool", 2, 8, 10, 10, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 5, 13, 13, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 13, 13, {13, 13}, {1, 1}, {0}, {6, 6, 6, 6}},
    {"MaxPool", 2, 2, 6, 15, {3, 3}, {1, 1}, {0}, {0, 0, 0, 0}},
    /* planes at most 16 x 16, outputs at most 16 wide: one plane per
     * work-item (pool_max_s1_plane); odd plane counts, asymmetric and
     * zero pads, kh != kw, 16 wide, one row, one column, the last
     * plane's rows read element by element */
    {"MaxPool", 2, 7, 16, 16, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 16, 16, {3, 3}, {1, 1}, {0}, {1, 1, 1, 1}},
    {"MaxPool", 2, 5, 11, 9, {3, 7}, {1, 1}, {0}, {0, 6, 2, 1}},
    {"MaxPool", 2, 3, 9, 14, {4, 2}, {1, 1}, {0}, {3, 0, 1, 1}},
    {"MaxPool", 2, 9, 1, 13, {1, 5}, {1, 1}, {0}, {0, 2, 0, 2}},
    {"MaxPool", 2, 2, 14, 1, {5, 1}, {1, 1}, {0}, {2, 0, 2, 0}},
    {"MaxPool", 2, 1, 3, 3, {3, 3}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 6, 16, 2, {16, 2}, {1, 1}, {0}, {15, 1, 0, 0}},
    /* 15 wide but 19 outputs per row: pool_max_s1_w16 */
    {"MaxPool", 2, 2, 5, 15, {5, 5}, {1, 1}, {0}, {4, 4, 4, 4}},
    /* rows 17 to 32 wide, outputs at most 32 wide, at most 64 rows: one
     * plane per work-item (pool_max_s1_plane32); SPPF at 20x20 (the first
     * case above too), 17 and 32 wide, odd plane counts, asymmetric and
     * zero pads, kh != kw, kw 17, one row, 64 rows, 32 outputs from 28
     * columns, the last plane's rows read element by element */
    {"MaxPool", 2, 2, 13, 17, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 5, 20, 20, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 32, 32, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 3, 5, 20, {3, 7}, {1, 1}, {0}, {0, 6, 2, 1}},
    {"MaxPool", 2, 7, 9, 27, {4, 2}, {1, 1}, {0}, {3, 0, 1, 1}},
    {"MaxPool", 2, 3, 7, 31, {3, 17}, {1, 1}, {0}, {1, 16, 1, 0}},
    {"MaxPool", 2, 4, 1, 25, {1, 5}, {1, 1}, {0}, {0, 2, 0, 2}},
    {"MaxPool", 2, 2, 64, 18, {3, 3}, {1, 1}, {0}, {1, 1, 1, 1}},
    {"MaxPool", 2, 3, 6, 28, {5, 5}, {1, 1}, {0}, {4, 4, 4, 4}},
    {"MaxPool", 2, 3, 20, 20, {3, 3}, {1, 1}, {0}, {0, 0, 0, 0}},
    /* 33 wide, 65 rows, 27 wide with 33 outputs: pool_max_s1_w16 */
    {"MaxPool", 2, 2, 13, 33, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 2, 65, 20, {5, 5}, {1, 1}, {0}, {2, 2, 2, 2}},
    {"MaxPool", 2, 2, 6, 27, {5, 7}, {1, 1}, {0}, {2, 6, 2, 6}},
    {"MaxPool", 1, 5, 1, 16, {5}, {1}, {0}, {2, 2}},
    /* s1, kw > 17: generic kernel */
    {"MaxPool", 2, 2, 9, 40, {3, 19}, {1, 1}, {0}, {1, 9, 1, 9}},
    /* s1 asymmetric pads, no pads */
    {"MaxPool", 2, 2, 9, 21, {3, 4}, {1, 1}, {0}, {0, 1, 2, 2}},
    {"MaxPool", 2, 2, 9, 21, {3, 3}, {1, 1}, {0}, {0, 0, 0, 0}},
    /* k2 s2 */
    {"MaxPool", 2, 4, 20, 20, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}},
    {"MaxPool", 2, 4, 21, 15, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}},
    {"MaxPool", 2, 4, 21, 15, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}, 1},
    {"MaxPool", 2, 3, 11, 9, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}},
    {"MaxPool", 2, 3, 10, 9, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1},
    {"MaxPool", 2, 3, 5, 5, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1},
    /* dilation */
    {"MaxPool", 2, 3, 12, 17, {3, 3}, {1, 2}, {2, 2}, {2, 2, 2, 2}},
    /* auto_pad */
    {"MaxPool", 2, 3, 11, 14, {3, 3}, {2, 2}, {0}, {0}, 0, 0, "SAME_UPPER"},
    {"MaxPool", 2, 3, 11, 14, {4, 4}, {2, 2}, {0}, {0}, 0, 0, "SAME_LOWER"},
    {"MaxPool", 2, 3, 11, 14, {3, 3}, {2, 2}, {0}, {0}, 0, 0, "VALID"},
    /* 1-D */
    {"MaxPool", 1, 3, 1, 37, {5}, {1}, {0}, {2, 2}},
    {"MaxPool", 1, 3, 1, 37, {2}, {2}, {0}, {0, 1}, 1},
  };
  run_cases (cases, N_(cases));
}

static void
test_avgpool (void)
{
  static const PoolCase cases[] = {
    {"AveragePool", 2, 4, 13, 19, {3, 3}, {1, 1}, {0}, {1, 1, 1, 1}},
    {"AveragePool", 2, 4, 13, 19, {3, 3}, {1, 1}, {0}, {1, 1, 1, 1}, 0, 1},
    {"AveragePool", 2, 4, 20, 20, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}},
    {"AveragePool", 2, 3, 5, 5, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 0},
    {"AveragePool", 2, 3, 5, 5, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 1},
    {"AveragePool", 2, 3, 7, 8, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 1},
    {"AveragePool", 2, 3, 7, 8, {3, 2}, {2, 1}, {0}, {0}, 0, 0, "SAME_UPPER"},
    {"AveragePool", 2, 2, 1, 1, {1, 1}, {1, 1}, {0}, {0, 0, 0, 0}},
    {"AveragePool", 1, 3, 1, 23, {4}, {3}, {0}, {1, 2}, 1, 1},
  };
  run_cases (cases, N_(cases));
}

static void
test_global (void)
{
  static const PoolCase cases[] = {
    {"GlobalAveragePool", 2, 16, 20, 20},
    {"GlobalAveragePool", 2, 5, 7, 13},
    {"GlobalAveragePool", 2, 3, 1, 1},
    {"GlobalAveragePool", 1, 3, 1, 37},
    {"GlobalMaxPool", 2, 16, 20, 20},
    {"GlobalMaxPool", 2, 5, 7, 13},
    {"GlobalMaxPool", 2, 3, 1, 1},
    {"GlobalMaxPool", 1, 3, 1, 37},
  };
  run_cases (cases, N_(cases));
}

/* SPP / SPPF: X -> Relu -> three MaxPools (each of the Relu's output,
 * or each of the one before), Concat (Relu, pools) -> Sigmoid; k[j]: the
 * pools' square kernels (pads k / 2). fused: whether the backend runs the
 * three as one launch (pool_max_s1_spp), checked with the kernels it
 * records. Relu and Sigmoid keep the Concat inside the arena. */
static void
spp_case (int C, int H, int W, gboolean chain, const int k[3], gboolean fused)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 d4[4] = { 1, C, H, W };
  const char *relu_in[1] = { "X" }, *relu_out[1] = { "R" };
  const char *cat_in[4] = { "R", "P0", "P1", "P2" }, *cat_out[1] = { "Q" };
  const char *sig_in[1] = { "Q" }, *sig_out[1] = { "Y" };
  char *label = g_strdup_printf ("%s C%d %dx%d k%d,%d,%d", chain ? "SPPF" :
      "SPP", C, H, W, k[0], k[1], k[2]);
  YoloNode *n;
  int ni;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, d4, -4, 4);
  ni = yolo_graph_add_node (g, "Relu", "relu", 1, relu_in, 1, relu_out);
  YOLO_N (g, ni)->residual = -1;
  for (int j = 0; j < 3; j++) {
    const char *in[1] = { chain && j > 0 ? cat_in[j] : "R" };
    const char *out[1] = { cat_in[j + 1] };
    int kk[2] = { k[j], k[j] }, pads[4] = { k[j] / 2, k[j] / 2, k[j] / 2,
      k[j] / 2
    }, ones[2] = { 1, 1 };
    char *name = g_strdup_printf ("pool%d", j);

    ni = yolo_graph_add_node (g, "MaxPool", name, 1, in, 1, out);
    n = YOLO_N (g, ni);
    n->residual = -1;
    yolo_test_attr_int_array (n, "kernel_shape", 2, kk);
    yolo_test_attr_int_array (n, "strides", 2, ones);
    yolo_test_attr_int_array (n, "pads", 4, pads);
    g_free (name);
  }
  ni = yolo_graph_add_node (g, "Concat", "cat", 4, cat_in, 1, cat_out);
  n = YOLO_N (g, ni);
  n->residual = -1;
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = 1;
  ni = yolo_graph_add_node (g, "Sigmoid", "sig", 1, sig_in, 1, sig_out);
  YOLO_N (g, ni)->residual = -1;
  yolo_test_output (g, "Y");
  yolo_test_expect_kernel ("pool_max_s1_spp", fused);
  if (fused)
    yolo_test_expect_kernel ("pool_max_s1_plane|pool_max_s1_plane32|"
        "pool_max_s1_w16|pool_generic", FALSE);
  yolo_test_check (g, label, 1e-6f, 1e-5f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  g_free (label);
}

static void
test_spp (void)
{
  static const int k5[3] = { 5, 5, 5 }, k5913[3] = { 5, 9, 13 };
  static const int k537[3] = { 5, 3, 7 }, k17[3] = { 17, 1, 3 };

  /* SPPF at 10x10 and 20x20 (one plane per work-item: 16 and 32 lanes),
   * YOLOX's SPP at 13x13, odd plane counts, the largest planes of each
   * kernel, one row, one column, mixed kernels */
  spp_case (8, 10, 10, TRUE, k5, TRUE);
  spp_case (5, 20, 20, TRUE, k5, TRUE);
  spp_case (7, 13, 13, FALSE, k5913, TRUE);
  spp_case (3, 20, 20, FALSE, k5913, TRUE);
  spp_case (3, 16, 16, TRUE, k5, TRUE);
  spp_case (3, 64, 32, TRUE, k5, TRUE);
  spp_case (9, 1, 13, TRUE, k537, TRUE);
  spp_case (2, 14, 1, FALSE, k537, TRUE);
  spp_case (3, 11, 27, TRUE, k17, TRUE);
  /* 33 wide, 65 rows: three launches of pool_max_s1_w16 */
  spp_case (2, 13, 33, TRUE, k5, FALSE);
  spp_case (2, 65, 20, FALSE, k5913, FALSE);
}

/* onnxruntime on X = 1..25 (5x5): ceil_mode, count_include_pad. */
static void
test_onnxruntime (void)
{
  static const struct
  {
    PoolCase c;
    int oh, ow;
    float y[9];
  } cases[] = {
    {{"MaxPool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}, 1}, 3, 3,
        {7, 9, 10, 17, 19, 20, 22, 24, 25}},
    {{"AveragePool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0}, 1}, 3, 3,
        {4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25}},
    {{"MaxPool", 2, 1, 5, 5, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1}, 3, 3,
        {7, 9, 10, 17, 19, 20, 22, 24, 25}},
    {{"AveragePool", 2, 1, 5, 5, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1}, 3, 3,
        {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22}},
    {{"AveragePool", 2, 1, 5, 5, {3, 3}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 1}, 3,
        3, {1.7777778f, 3.6666667f, 3.1111112f, 7.6666665f, 13, 9.666667f,
            8.444445f, 13.666667f, 9.777778f}},
    /* the 4th window would start in the end pad: 3 outputs, not 4 */
    {{"MaxPool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1}, 3, 3,
        {1, 3, 5, 11, 13, 15, 21, 23, 25}},
    {{"AveragePool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1}, 3, 3,
        {1, 2.5f, 4.5f, 8.5f, 10, 12, 18.5f, 20, 22}},
    {{"AveragePool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {1, 1, 1, 1}, 1, 1}, 3,
        3, {0.25f, 1.25f, 2.25f, 4.25f, 10, 12, 9.25f, 20, 22}},
  };

  for (guint i = 0; i < N_(cases); i++) {
    for (int dev = 0; dev < 2; dev++) {
      int xi;
      YoloGraph *g = pool_graph (&cases[i].c, &xi);
      GError *err = NULL;
      YoloTensor *y;
      YoloNode *n = YOLO_N (g, 0);
      const YoloOpDef *def = yolo_ops_lookup (n->op_type);

      for (int k = 0; k < 25; k++)
        ((float *) YOLO_T (g, xi)->data)[k] = k + 1;
      if (dev) {
        char *label = g_strdup_printf ("onnxruntime #%u", i);
        yolo_test_check (g, label, 1e-6f, 1e-6f, FALSE);
        g_free (label);
        continue;
      }
      g_assert_true (def->infer (g, n, &err));
      g_assert_true (def->eval (g, n, &err));
      y = YOLO_OUT (g, n, 0);
      g_assert_cmpint (y->dims[2], ==, cases[i].oh);
      g_assert_cmpint (y->dims[3], ==, cases[i].ow);
      for (int k = 0; k < 9; k++)
        g_assert_cmpfloat_with_epsilon (((float *) y->data)[k],
            cases[i].y[k], 1e-5);
      yolo_graph_free (g);
    }
  }
}

static void
test_errors (void)
{
  static const PoolCase c =
      { "MaxPool", 2, 1, 5, 5, {2, 2}, {2, 2}, {0}, {0, 0, 0, 0} };
  const char *ins[1] = { "X" };
  const char *outs[2] = { "Y", "I" };
  int xi;
  YoloGraph *g = pool_graph (&c, &xi);
  GError *err = NULL;
  YoloNode *n;
  int ni;

  /* MaxPool with the Indices output */
  ni = yolo_graph_add_node (g, "MaxPool", "pool1", 1, ins, 2, outs);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, c.k);
  g_assert_false (yolo_ops_lookup ("MaxPool")->infer (g, n, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  yolo_graph_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (777);
  g_test_add_func ("/pool/maxpool", test_maxpool);
  g_test_add_func ("/pool/avgpool", test_avgpool);
  g_test_add_func ("/pool/global", test_global);
  g_test_add_func ("/pool/onnxruntime", test_onnxruntime);
  g_test_add_func ("/pool/errors", test_errors);
  g_test_add_func ("/pool/spp", test_spp);
  yolo_test_add_half ("/pool/half/maxpool", test_maxpool);
  yolo_test_add_half ("/pool/half/avgpool", test_avgpool);
  yolo_test_add_half ("/pool/half/global", test_global);
  yolo_test_add_half ("/pool/half/spp", test_spp);
  return g_test_run ();
}
