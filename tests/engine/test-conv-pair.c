/* test-conv-pair.c - ConvPair (yolo-pair-fuse.c, conv-cpu-1x1-pair,
 * conv_cpu.cl conv_1x1_pair_c8): two 1x1 Convs of one input run as one
 * launch on wide-vector devices (PoCL).
 *  /conv-pair/kernel   the pair against the C reference of the two Convs
 *                      (plane sizes below 32 and not a multiple of 16,
 *                      channel counts odd multiples of 8 and not
 *                      multiples of 8, SiLU / Sigmoid / none), that
 *                      conv_1x1_pair_c8 ran on PoCL and not elsewhere
 *  /conv-pair/exact    both outputs bit for bit conv-cpu-1x1's (PoCL)
 *  /conv-pair/pass     which convs pair: a 3x3, a strided 1x1, a 1x1 with
 *                      a residual and a grouped 1x1 of the same input stay
 *                      Convs
 *  /conv-pair/models   the pairs of yolox-nano-416 (8) and yolov5n-640 (8)
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

/* The output "name" of Conv (x, W, B) [M] followed by act. */
static void
add_conv (YoloGraph * g, const char *name, int C, int M, Act act)
{
  char *w = g_strdup_printf ("%s_w", name), *b = g_strdup_printf ("%s_b",
      name), *pre = g_strdup_printf ("%s_pre", name);
  char *sig = g_strdup_printf ("%s_sig", name), *ins, *mul;

  yolo_test_const (g, w, YOLO_DTYPE_FLOAT, 4, DIMS (M, C, 1, 1), -0.5f, 0.5f);
  yolo_test_const (g, b, YOLO_DTYPE_FLOAT, 1, DIMS (M), -1.0f, 1.0f);
  ins = g_strdup_printf ("x,%s,%s", w, b);
  yolo_test_node (g, "Conv", ins, act == A_NONE ? name : pre);
  if (act == A_SIGMOID) {
    yolo_test_node (g, "Sigmoid", pre, name);
  } else if (act == A_SILU) {
    yolo_test_node (g, "Sigmoid", pre, sig);
    mul = g_strdup_printf ("%s,%s", pre, sig);
    yolo_test_node (g, "Mul", mul, name);
    g_free (mul);
  }
  yolo_test_output (g, name);
  g_free (ins);
  g_free (w);
  g_free (b);
  g_free (pre);
  g_free (sig);
}

static YoloGraph *
pair_graph (int C, int H, int W, int M1, Act a1, int M2, Act a2)
{
  YoloGraph *g = yolo_graph_new ();

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, C, H, W), -2.0f, 2.0f);
  add_conv (g, "y1", C, M1, a1);
  add_conv (g, "y2", C, M2, a2);
  return g;
}

/* Whether the engine for a pair graph runs on a wide-vector device. */
static gboolean
wide_device (void)
{
  YoloEngineOptions off = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e;
  gboolean wide;

  e = yolo_engine_new_from_graph (pair_graph (8, 4, 4, 8, A_NONE, 8,
          A_NONE), &off, TRUE, &err);
  g_assert_no_error (err);
  wide = yolo_rt_device (e->rt)->wide_vectors;
  yolo_engine_free (e);
  return wide;
}

static void
test_kernel (void)
{
  static const struct
  {
    int C, H, W, M1, M2;
    Act a1, a2;
  } cases[] = {
    {16, 5, 5, 24, 40, A_SILU, A_SILU}, /* 25 px: one masked tile */
    {24, 13, 13, 40, 24, A_SILU, A_NONE},       /* 169: not 16k */
    {64, 13, 13, 4, 1, A_NONE, A_SIGMOID},      /* YOLOX's reg / obj */
    {8, 7, 9, 3, 17, A_NONE, A_NONE},   /* 63 px, partial blocks */
    {32, 20, 20, 16, 16, A_SILU, A_SILU},       /* 400 = 25 x 16 */
    {16, 6, 6, 8, 8, A_SIGMOID, A_SILU},        /* 36: a 4-pixel tail */
    {3, 1, 1, 8, 5, A_SILU, A_NONE},    /* one pixel */
  };
  gboolean wide;

  if (!yolo_test_have_device ())
    return;
  wide = wide_device ();
  yolo_test_expect_kernel ("conv_1x1_pair_c8", wide);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    char *label = g_strdup_printf ("C %d %dx%d M %d + %d", cases[i].C,
        cases[i].H, cases[i].W, cases[i].M1, cases[i].M2);
    yolo_test_seed (100 + i);
    yolo_test_check (pair_graph (cases[i].C, cases[i].H, cases[i].W,
            cases[i].M1, cases[i].a1, cases[i].M2, cases[i].a2), label, 1e-5f,
        1e-5f, TRUE);
    g_free (label);
  }
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Both outputs of the pair equal conv-cpu-1x1's (the conv_kernel option
 * turns the pass off) bit for bit. */
static void
test_exact (void)
{
  static const int shapes[][5] = {
    /* C, H, W, M1, M2 */
    {16, 5, 5, 24, 40}, {24, 13, 13, 4, 1}, {32, 20, 20, 16, 24},
  };
  YoloEngineOptions on = {.tune = "off" }, off = {.tune = "off",
    .conv_kernel = "conv-cpu-1x1"
  };
  GError *err = NULL;

  if (!yolo_test_have_device () || !wide_device ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++) {
    const int *s = shapes[i];
    YoloGraph *g1, *g2;
    YoloEngine *e1, *e2;
    YoloTensorInfo info;
    float *x, *a, *b;
    gint64 nx;
    char *k;

    yolo_test_seed (7 + i);
    g1 = pair_graph (s[0], s[1], s[2], s[3], A_SILU, s[4], A_SIGMOID);
    yolo_test_seed (7 + i);
    g2 = pair_graph (s[0], s[1], s[2], s[3], A_SILU, s[4], A_SIGMOID);
    nx = yolo_tensor_numel (YOLO_T (g1, g_array_index (g1->inputs, int, 0)));
    x = g_memdup2 (YOLO_T (g1, g_array_index (g1->inputs, int, 0))->data,
        nx * sizeof (float));
    e1 = yolo_engine_new_from_graph (g1, &on, FALSE, &err);
    g_assert_no_error (err);
    e2 = yolo_engine_new_from_graph (g2, &off, FALSE, &err);
    g_assert_no_error (err);
    k = yolo_runtime_kernel_names (e1->rt);
    g_assert_nonnull (strstr (k, "conv_1x1_pair_c8"));
    g_free (k);
    k = yolo_runtime_kernel_names (e2->rt);
    g_assert_null (strstr (k, "conv_1x1_pair_c8"));
    g_free (k);
    g_assert_true (yolo_engine_set_input_n (e1, 0, x, &err));
    g_assert_true (yolo_engine_set_input_n (e2, 0, x, &err));
    g_assert_true (yolo_engine_run (e1, &err) && yolo_engine_run (e2, &err));
    for (int o = 0; o < 2; o++) {
      yolo_engine_output_info (e1, o, &info);
      a = g_new (float, yolo_test_info_numel (&info));
      b = g_new (float, yolo_test_info_numel (&info));
      g_assert_true (yolo_engine_get_output (e1, o, a, &err)
          && yolo_engine_get_output (e2, o, b, &err));
      g_assert_cmpint (memcmp (a, b, sizeof (float) *
              yolo_test_info_numel (&info)), ==, 0);
      g_free (a);
      g_free (b);
    }
    g_assert_no_error (err);
    g_free (x);
    yolo_engine_free (e1);
    yolo_engine_free (e2);
  }
}

static void
count (YoloGraph * g, int *pairs, int *convs)
{
  *pairs = *convs = 0;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    *pairs += !strcmp (n->op_type, YOLO_CONV_PAIR_OP);
    *convs += !strcmp (n->op_type, "Conv");
    /* the convs of a ConvMulti (yolo-multi-fuse.c) */
    if (!strcmp (n->op_type, YOLO_CONV_MULTI_OP))
      *convs += yolo_conv_multi_count (n);
  }
}

/* The graph fused by an engine on the device: its ConvPair and Conv
 * nodes. */
static void
engine_count (YoloGraph * g, int *pairs, int *convs)
{
  YoloEngineOptions off = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e = yolo_engine_new_from_graph (g, &off, FALSE, &err);

  g_assert_no_error (err);
  count (e->graph, pairs, convs);
  yolo_engine_free (e);
}

static void
test_pass (void)
{
  YoloGraph *g;
  YoloNode *n;
  int pairs, convs;
  gboolean wide;

  if (!yolo_test_have_device ())
    return;
  wide = wide_device ();
  /* x [16, 8, 8]: two pairable 1x1s, then a 3x3, a stride-2 1x1, a 1x1
   * with a residual (+ x) and a grouped 1x1, all reading x */
  g = pair_graph (16, 8, 8, 8, A_SILU, 24, A_SILU);
  yolo_test_const (g, "k3", YOLO_DTYPE_FLOAT, 4, DIMS (8, 16, 3, 3), -0.5f,
      0.5f);
  n = yolo_test_node (g, "Conv", "x,k3", "c3");
  ATTR_INTS (n, "pads", 1, 1, 1, 1);
  yolo_test_output (g, "c3");
  yolo_test_const (g, "k1", YOLO_DTYPE_FLOAT, 4, DIMS (8, 16, 1, 1), -0.5f,
      0.5f);
  n = yolo_test_node (g, "Conv", "x,k1", "s2");
  ATTR_INTS (n, "strides", 2, 2);
  yolo_test_output (g, "s2");
  yolo_test_const (g, "kr", YOLO_DTYPE_FLOAT, 4, DIMS (16, 16, 1, 1), -0.5f,
      0.5f);
  yolo_test_node (g, "Conv", "x,kr", "r0");
  yolo_test_node (g, "Add", "r0,x", "r");
  yolo_test_output (g, "r");
  yolo_test_const (g, "kg", YOLO_DTYPE_FLOAT, 4, DIMS (8, 8, 1, 1), -0.5f,
      0.5f);
  n = yolo_test_node (g, "Conv", "x,kg", "gr");
  yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = 2;
  yolo_test_output (g, "gr");
  engine_count (g, &pairs, &convs);
  g_assert_cmpint (pairs, ==, wide ? 1 : 0);
  g_assert_cmpint (convs, ==, wide ? 4 : 6);

  /* the same values as the unfused reference */
  g = pair_graph (16, 8, 8, 8, A_SILU, 24, A_SILU);
  yolo_test_const (g, "k1", YOLO_DTYPE_FLOAT, 4, DIMS (8, 16, 1, 1), -0.5f,
      0.5f);
  n = yolo_test_node (g, "Conv", "x,k1", "s2");
  ATTR_INTS (n, "strides", 2, 2);
  yolo_test_output (g, "s2");
  yolo_test_check (g, "pair + stride 2", 1e-5f, 1e-5f, TRUE);

  /* three 1x1s of one input: one pair, one Conv */
  g = pair_graph (16, 8, 8, 8, A_SILU, 24, A_NONE);
  add_conv (g, "y3", 16, 16, A_SILU);
  engine_count (g, &pairs, &convs);
  g_assert_cmpint (pairs, ==, wide ? 1 : 0);
  g_assert_cmpint (convs, ==, wide ? 1 : 3);
}

/* The model fused with g->conv_pair set (as the engine sets it on PoCL). */
static void
model_case (const char *rel, int want_pairs)
{
  int pairs, convs, pairs_off, convs_off;

  for (int on = 0; on < 2; on++) {
    YoloGraph *g = yolo_test_load_fused_conv_pair (rel, on);

    if (g == NULL)
      return;
    if (on)
      count (g, &pairs, &convs);
    else
      count (g, &pairs_off, &convs_off);
    yolo_graph_free (g);
  }
  g_test_message ("%s: %d ConvPair, %d Conv (without the pass: %d Conv)",
      rel, pairs, convs, convs_off);
  g_assert_cmpint (pairs_off, ==, 0);
  g_assert_cmpint (pairs, ==, want_pairs);
  g_assert_cmpint (convs + 2 * pairs, ==, convs_off);
}

static void
test_models (void)
{
  /* YOLOX: the 8 CSP blocks' conv1 / conv2 (the head's 3 reg / obj
   * pairs join a ConvMulti, test-conv-multi.c); YOLOv5: the 8 C3 blocks'
   * cv1 / cv2 */
  model_case ("yolox-nano-416.onnx", 8);
  model_case ("yolov5n-640.onnx", 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conv-pair/kernel", test_kernel);
  yolo_test_add_half ("/conv-pair/half/kernel", test_kernel);
  g_test_add_func ("/conv-pair/exact", test_exact);
  g_test_add_func ("/conv-pair/pass", test_pass);
  g_test_add_func ("/conv-pair/models", test_models);
  return g_test_run ();
}
