/* test-conv-multi.c - ConvMulti (yolo-multi-fuse.c, conv-cpu-multi,
 * conv_cpu.cl conv_1x1_multi_c8 / conv_dw3x3s1_multi): independent 1x1
 * and depthwise 3x3 Convs at one height run as one launch on wide-vector
 * devices (PoCL).
 *  /conv-multi/kernel  branches of depthwise 3x3 then 1x1 (planes from
 *                      1x1 to 40x40, rows narrower than 16, channel
 *                      counts not multiples of 8, SiLU / Sigmoid / none)
 *                      against the C reference, and that both multi
 *                      kernels ran on PoCL and not elsewhere
 *  /conv-multi/exact   every output bit for bit the unfused graph's
 *                      (conv-cpu-1x1, conv-cpu-dw3x3s1) on PoCL
 *  /conv-multi/pass    what merges: not a 3x3 dense or strided conv, one
 *                      with a residual, one reading a graph input or
 *                      writing a graph output, nor convs at different
 *                      heights; a ConvPair joins as its two convs; sets
 *                      over 16 convs split
 *  /conv-multi/models  the sets of yolox-nano-416, yolo11n-320, yolov8n
 */
#include "yolo-test-util.h"
#include "ops/conv.h"
#include <string.h>

typedef enum
{
  A_NONE,
  A_SILU,
  A_SIGMOID,
} Act;

/* "out" = act (Conv (in, W, B)): kh x kh, depthwise (group C) or dense,
 * pads kh / 2. */
static void
add_conv (YoloGraph * g, const char *in, const char *out, int C, int M,
    int kh, gboolean dw, Act act)
{
  char *w = g_strdup_printf ("%s_w", out), *b = g_strdup_printf ("%s_b",
      out), *pre = g_strdup_printf ("%s_pre", out);
  char *sig = g_strdup_printf ("%s_sig", out), *ins, *mul;
  YoloNode *n;

  yolo_test_const (g, w, YOLO_DTYPE_FLOAT, 4, DIMS (M, dw ? 1 : C, kh, kh),
      -0.5f, 0.5f);
  yolo_test_const (g, b, YOLO_DTYPE_FLOAT, 1, DIMS (M), -1.0f, 1.0f);
  ins = g_strdup_printf ("%s,%s,%s", in, w, b);
  n = yolo_test_node (g, "Conv", ins, act == A_NONE ? out : pre);
  if (kh > 1)
    ATTR_INTS (n, "pads", kh / 2, kh / 2, kh / 2, kh / 2);
  if (dw)
    yolo_test_attr_int (n, "group", C);
  if (act == A_SIGMOID) {
    yolo_test_node (g, "Sigmoid", pre, out);
  } else if (act == A_SILU) {
    yolo_test_node (g, "Sigmoid", pre, sig);
    mul = g_strdup_printf ("%s,%s", pre, sig);
    yolo_test_node (g, "Mul", mul, out);
    g_free (mul);
  }
  g_free (ins);
  g_free (w);
  g_free (b);
  g_free (pre);
  g_free (sig);
}

/* Neg (in) as the graph output out (keeps a conv off the outputs). */
static void
add_neg_output (YoloGraph * g, const char *in, const char *out)
{
  yolo_test_node (g, "Neg", in, out);
  yolo_test_output (g, out);
}

typedef struct
{
  int C, H, W, M;
  Act a_dw, a_1x1;
} Branch;

/* Per branch k: input xk [1, C, H, W] -> Relu -> depthwise 3x3 -> 1x1 to
 * M channels -> Neg -> output yk (the Relu and Neg keep the convs off the
 * graph's inputs and outputs): the depthwise convs at one height, the 1x1s
 * at another. */
static YoloGraph *
branch_graph (const Branch * br, int nb)
{
  YoloGraph *g = yolo_graph_new ();

  for (int k = 0; k < nb; k++) {
    char *x = g_strdup_printf ("x%d", k), *r = g_strdup_printf ("r%d", k);
    char *d = g_strdup_printf ("d%d", k), *p = g_strdup_printf ("p%d", k);
    char *y = g_strdup_printf ("y%d", k);

    yolo_test_input (g, x, YOLO_DTYPE_FLOAT, 4, DIMS (1, br[k].C, br[k].H,
            br[k].W), -2.0f, 2.0f);
    yolo_test_node (g, "Relu", x, r);
    add_conv (g, r, d, br[k].C, br[k].C, 3, TRUE, br[k].a_dw);
    add_conv (g, d, p, br[k].C, br[k].M, 1, FALSE, br[k].a_1x1);
    add_neg_output (g, p, y);
    g_free (x);
    g_free (r);
    g_free (d);
    g_free (p);
    g_free (y);
  }
  return g;
}

static void
count (YoloGraph * g, int *multis, int *members, int *pairs, int *convs)
{
  *multis = *members = *pairs = *convs = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    if (!strcmp (n->op_type, YOLO_CONV_MULTI_OP)) {
      (*multis)++;
      *members += yolo_conv_multi_count (n);
    }
    *pairs += !strcmp (n->op_type, YOLO_CONV_PAIR_OP);
    *convs += !strcmp (n->op_type, "Conv");
  }
}

/* The graph fused by an engine on the device: its ConvMulti nodes, their
 * convs, ConvPair and Conv nodes; whether the device has wide vectors. */
static gboolean
engine_count (YoloGraph * g, int *multis, int *members, int *pairs, int *convs)
{
  YoloEngineOptions off = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e = yolo_engine_new_from_graph (g, &off, FALSE, &err);
  gboolean wide;

  g_assert_no_error (err);
  count (e->graph, multis, members, pairs, convs);
  wide = yolo_rt_device (e->rt)->wide_vectors;
  yolo_engine_free (e);
  return wide;
}

static const Branch head[] = {
  /* YOLOX's head at three scales, two branches each (smaller planes) */
  {16, 20, 20, 16, A_SILU, A_SILU},
  {16, 20, 20, 16, A_SILU, A_SIGMOID},
  {32, 10, 10, 24, A_SILU, A_SILU},
  {32, 10, 10, 5, A_SILU, A_NONE},
  {64, 5, 5, 40, A_SILU, A_SILU},
  {64, 5, 5, 1, A_SILU, A_SIGMOID},
};

static const Branch odd[] = {
  {24, 13, 13, 40, A_SILU, A_NONE},     /* 169 px: not 16k */
  {8, 17, 3, 3, A_NONE, A_SIGMOID},     /* rows narrower than 16 */
  {8, 40, 40, 17, A_SIGMOID, A_SILU},   /* several row segments */
  {3, 1, 1, 8, A_NONE, A_NONE}, /* one pixel */
  {16, 9, 33, 12, A_SILU, A_SILU},      /* a 1-pixel last segment */
};

static void
test_kernel (void)
{
  int multis, members, pairs, convs;
  gboolean wide;
  /* half storage: the 1x1 sums up to 64 products of the depthwise conv's
   * half-rounded outputs, where the reference's rounding may fall on the
   * other side of a boundary (one half ulp of a value near 2, 2^-10, by a
   * weight up to 0.5) */
  float atol = yolo_test_half ()? 2e-3f : 1e-5f;

  if (!yolo_test_have_device ())
    return;
  wide = engine_count (branch_graph (head, 6), &multis, &members, &pairs,
      &convs);
  g_assert_cmpint (multis, ==, wide ? 2 : 0);
  g_assert_cmpint (members, ==, wide ? 12 : 0);
  yolo_test_expect_kernel ("conv_1x1_multi_c8", wide);
  yolo_test_expect_kernel ("conv_dw3x3s1_multi", wide);
  yolo_test_seed (200);
  yolo_test_check (branch_graph (head, 6), "head", atol, 1e-5f, TRUE);
  yolo_test_seed (201);
  yolo_test_check (branch_graph (odd, 5), "odd", atol, 1e-5f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Every output of the fused graph (ConvMulti) equals the unfused one's
 * (each conv its own conv-cpu-1x1 / conv-cpu-dw3x3s1 launch) bit for bit:
 * no activations, which the unfused graph computes in their own nodes. */
static void
test_exact (void)
{
  static const Branch plain[] = {
    {16, 20, 20, 16}, {32, 10, 10, 5}, {64, 5, 5, 40}, {8, 17, 3, 3},
    {24, 13, 13, 40},
  };
  YoloEngineOptions off = {.tune = "off" };
  GError *err = NULL;
  YoloGraph *g1, *g2;
  YoloEngine *e1, *e2;
  char *k;

  if (!yolo_test_have_device ())
    return;
  yolo_test_seed (9);
  g1 = branch_graph (plain, G_N_ELEMENTS (plain));
  yolo_test_seed (9);
  g2 = branch_graph (plain, G_N_ELEMENTS (plain));
  e1 = yolo_engine_new_from_graph (g1, &off, FALSE, &err);
  g_assert_no_error (err);
  e2 = yolo_engine_new_from_graph (g2, &off, TRUE, &err);
  g_assert_no_error (err);
  if (!yolo_rt_device (e1->rt)->wide_vectors) {
    yolo_engine_free (e1);
    yolo_engine_free (e2);
    return;
  }
  k = yolo_runtime_kernel_names (e1->rt);
  g_assert_nonnull (strstr (k, "conv_1x1_multi_c8"));
  g_assert_nonnull (strstr (k, "conv_dw3x3s1_multi"));
  g_free (k);
  k = yolo_runtime_kernel_names (e2->rt);
  g_assert_null (strstr (k, "_multi"));
  g_free (k);
  for (guint i = 0; i < G_N_ELEMENTS (plain); i++) {
    YoloTensor *x = YOLO_T (e1->graph, g_array_index (e1->graph->inputs,
            int, i));
    gint64 nx = yolo_tensor_numel (x);
    float *v = g_new (float, nx);

    for (gint64 j = 0; j < nx; j++)
      v[j] = yolo_test_rand (-2.0f, 2.0f);
    g_assert_true (yolo_engine_set_input_n (e1, i, v, &err));
    g_assert_true (yolo_engine_set_input_n (e2, i, v, &err));
    g_free (v);
  }
  g_assert_true (yolo_engine_run (e1, &err) && yolo_engine_run (e2, &err));
  for (guint o = 0; o < G_N_ELEMENTS (plain); o++) {
    YoloTensorInfo info;
    float *a, *b;
    gint64 n;

    yolo_engine_output_info (e1, o, &info);
    n = yolo_test_info_numel (&info);
    a = g_new (float, n);
    b = g_new (float, n);
    g_assert_true (yolo_engine_get_output (e1, o, a, &err)
        && yolo_engine_get_output (e2, o, b, &err));
    g_assert_cmpint (memcmp (a, b, sizeof (float) * n), ==, 0);
    g_free (a);
    g_free (b);
  }
  g_assert_no_error (err);
  yolo_engine_free (e1);
  yolo_engine_free (e2);
}

/* Two branches and a dense 3x3 of r0 at the 1x1s' height. */
static YoloGraph *
branches_3x3 (void)
{
  YoloGraph *g = branch_graph (head, 2);

  add_conv (g, "r0", "c3", 16, 8, 3, FALSE, A_SILU);
  add_neg_output (g, "c3", "o3");
  return g;
}

/* Two branches and two 1x1s of r0 (a ConvPair) at the 1x1s' height. */
static YoloGraph *
branches_pair (void)
{
  YoloGraph *g = branch_graph (head, 2);

  add_conv (g, "r0", "q1", 16, 8, 1, FALSE, A_SILU);
  add_conv (g, "r0", "q2", 16, 24, 1, FALSE, A_SIGMOID);
  add_neg_output (g, "q1", "o7");
  add_neg_output (g, "q2", "o8");
  return g;
}

static void
test_pass (void)
{
  YoloGraph *g;
  YoloNode *n;
  int multis, members, pairs, convs;
  gboolean wide;

  if (!yolo_test_have_device ())
    return;
  /* two branches, then beside them convs at the 1x1s' height that must
   * stay: a dense 3x3, a stride-2 depthwise, a 1x1 with a residual, a
   * 1x1 of a graph input, and one writing a graph output (height 0
   * anyway, with a second 1x1 writing another output) */
  g = branches_3x3 ();
  yolo_test_const (g, "ks", YOLO_DTYPE_FLOAT, 4, DIMS (16, 1, 3, 3), -0.5f,
      0.5f);
  n = yolo_test_node (g, "Conv", "r0,ks", "s2");
  ATTR_INTS (n, "pads", 1, 1, 1, 1);
  ATTR_INTS (n, "strides", 2, 2);
  yolo_test_attr_int (n, "group", 16);
  add_neg_output (g, "s2", "o4");
  yolo_test_const (g, "kr", YOLO_DTYPE_FLOAT, 4, DIMS (16, 16, 1, 1), -0.5f,
      0.5f);
  yolo_test_node (g, "Conv", "r1,kr", "rr0");
  yolo_test_node (g, "Add", "rr0,r1", "rr");
  add_neg_output (g, "rr", "o5");
  add_conv (g, "x0", "gi", 16, 8, 1, FALSE, A_NONE);
  add_neg_output (g, "gi", "o6");
  add_conv (g, "r0", "go1", 16, 8, 1, FALSE, A_NONE);
  yolo_test_output (g, "go1");
  add_conv (g, "r1", "go2", 16, 8, 1, FALSE, A_NONE);
  yolo_test_output (g, "go2");
  wide = engine_count (g, &multis, &members, &pairs, &convs);
  g_assert_cmpint (multis, ==, wide ? 2 : 0);
  g_assert_cmpint (members, ==, wide ? 4 : 0);
  /* 4 branch convs and 6 more; the go1 / go2 1x1s of different inputs
   * do not pair */
  g_assert_cmpint (convs, ==, wide ? 6 : 10);
  g_assert_cmpint (pairs, ==, 0);
  /* the same values as the C reference */
  yolo_test_check (branches_3x3 (), "branches + 3x3", 1e-5f, 1e-5f, TRUE);

  /* a ConvPair (two 1x1s of one input) at the 1x1s' height joins the set
   * as its two convs: 2 + 2 */
  wide = engine_count (branches_pair (), &multis, &members, &pairs, &convs);
  g_assert_cmpint (multis, ==, wide ? 2 : 0);
  g_assert_cmpint (members, ==, wide ? 6 : 0);
  g_assert_cmpint (pairs, ==, 0);
  yolo_test_check (branches_pair (), "branches + pair", 1e-5f, 1e-5f, TRUE);

  /* 18 branches: 16 + 2 convs at each height */
  {
    Branch many[18];

    for (int k = 0; k < 18; k++)
      many[k] = (Branch) {
      8, 4 + k % 3, 5, 8 + k % 2, A_SILU, A_NONE};
    wide = engine_count (branch_graph (many, 18), &multis, &members, &pairs,
        &convs);
    g_assert_cmpint (multis, ==, wide ? 4 : 0);
    g_assert_cmpint (members, ==, wide ? 36 : 0);
    yolo_test_check (branch_graph (many, 18), "18 branches", 1e-5f, 1e-5f,
        TRUE);
  }
}

/* Every node's inputs and fused residual exist before it runs. */
static void
assert_ordered (YoloGraph * g)
{
  gboolean *made = g_new0 (gboolean, g->tensors->len);

  for (guint i = 0; i < g->tensors->len; i++)
    made[i] = YOLO_T (g, i)->is_input || yolo_tensor_is_const (YOLO_T (g, i));
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);

    if (n->removed)
      continue;
    for (int j = -1; j < n->n_inputs; j++) {
      int t = j < 0 ? n->residual : n->inputs[j];
      if (t >= 0 && !made[t])
        g_error ("%s \"%s\" reads \"%s\" before it is made", n->op_type,
            n->name, YOLO_T (g, t)->name);
    }
    for (int j = 0; j < n->n_outputs; j++)
      made[n->outputs[j]] = TRUE;
  }
  g_free (made);
}

/* The model fused with g->conv_pair set (as the engine sets it on PoCL):
 * its ConvMulti nodes and their convs; the Convs and ConvPairs left. */
static void
model_case (const char *rel, int want_multis, int want_members)
{
  int multis, members, pairs, convs, n[4];

  for (int on = 0; on < 2; on++) {
    YoloGraph *g = yolo_test_load_fused_conv_pair (rel, on);

    if (g == NULL)
      return;
    if (on)
      count (g, &multis, &members, &pairs, &convs);
    else
      count (g, &n[0], &n[1], &n[2], &n[3]);
    assert_ordered (g);
    yolo_graph_free (g);
  }
  g_test_message ("%s: %d ConvMulti of %d convs, %d ConvPair, %d Conv "
      "(without the passes: %d Conv)", rel, multis, members, pairs, convs,
      n[3]);
  g_assert_cmpint (n[0], ==, 0);
  g_assert_cmpint (multis, ==, want_multis);
  g_assert_cmpint (members, ==, want_members);
  g_assert_cmpint (convs + members + 2 * pairs, ==, n[3] + 2 * n[2]);
}

static void
test_models (void)
{
  /* YOLOX: the head's 3 stems, 2 x (6 depthwise, 6 1x1) of its two
   * branches at three scales, its 3 cls preds with the 3 reg / obj
   * ConvPairs; Ultralytics: the heads' last 1x1s (cv2, cv3; 3 scales),
   * YOLO11's cv3 also its two depthwise + 1x1 steps */
  model_case ("yolox-nano-416.onnx", 6, 3 + 24 + 9);
  model_case ("yolo11n-320.onnx", 5, 18);
  model_case ("yolov8n-640.onnx", 1, 6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conv-multi/kernel", test_kernel);
  yolo_test_add_half ("/conv-multi/half/kernel", test_kernel);
  g_test_add_func ("/conv-multi/exact", test_exact);
  g_test_add_func ("/conv-multi/pass", test_pass);
  g_test_add_func ("/conv-multi/models", test_models);
  return g_test_run ();
}
