/* test-detect-topk.c - YOLO26's end-to-end selection tail in one node
 * (DetectTopK, issue 12):
 *  - kernel: DetectTopK nodes made by hand (1 to 80 classes, 37 to 8400
 *    anchors, k from 1 to the most, batches of 1 and 2), on random scores
 *    and on scores of a few values (ties everywhere, -0 beside +0,
 *    negatives), against the op's C reference, bit for bit;
 *  - invalid: attributes and inputs out of range give one error at load;
 *  - pass: the tail as Ultralytics exports it (ReduceMax, TopK, Tile,
 *    GatherElements, Flatten, TopK, Div, Mod, Gather, Tile, Cast, Concat),
 *    fused and run against the unfused reference bit for bit, ties
 *    included, and altered copies the pass must leave alone (still
 *    correct)
 *    (batch 1, and batch 2 with the Gather indices the engine's batch
 *    option makes);
 *  - the pass on the real export: one DetectTopK at batch 1 and 3. */
#include "yolo-test-util.h"
#include "ops/detect-topk.h"

#include <string.h>

/* boxes [N, A, 4] and scores [N, A, nc]: random in [0, 1), or (ties) in
 * eighths from -0.375 to 0.5 with -0 for 0 */
static void
inputs (YoloGraph * g, gint64 N, gint64 A, gint64 nc, gboolean ties)
{
  yolo_test_input (g, "boxes", YOLO_DTYPE_FLOAT, 3, DIMS (N, A, 4), -50.0f,
      700.0f);
  if (!ties) {
    yolo_test_input (g, "scores", YOLO_DTYPE_FLOAT, 3, DIMS (N, A, nc), 0.0f,
        1.0f);
    return;
  }
  yolo_test_input (g, "raw", YOLO_DTYPE_FLOAT, 3, DIMS (N, A, nc), -4.0f,
      3.99f);
  yolo_test_const (g, "eighth", YOLO_DTYPE_FLOAT, 0, NULL, -0.125f, -0.125f);
  yolo_test_node (g, "Floor", "raw", "fl");
  yolo_test_node (g, "Mul", "fl,eighth", "scores");
}

static void
kernel_case (gint64 N, gint64 A, gint64 nc, gint64 k1, gint64 k2, gboolean ties)
{
  YoloGraph *g = yolo_test_graph (20);
  YoloNode *n;
  char label[128];

  inputs (g, N, A, nc, ties);
  n = yolo_test_node (g, YOLO_DETECT_TOPK_OP, "boxes,scores", "y");
  yolo_test_attr_int (n, "anchors_k", k1);
  yolo_test_attr_int (n, "max_det", k2);
  yolo_test_output (g, "y");
  g_snprintf (label, sizeof label, "DetectTopK N %" G_GINT64_FORMAT " A %"
      G_GINT64_FORMAT " nc %" G_GINT64_FORMAT " k %" G_GINT64_FORMAT "/%"
      G_GINT64_FORMAT "%s", N, A, nc, k1, k2, ties ? " ties" : "");
  yolo_test_expect_kernel ("detect_topk", TRUE);
  yolo_test_check (g, label, 0.0f, 0.0f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
}

static void
test_kernel (void)
{
  for (int ties = 0; ties < 2; ties++) {
    kernel_case (1, 8400, 80, 300, 300, ties);
    kernel_case (2, 1000, 3, 100, 50, ties);
    kernel_case (1, 37, 1, 37, 37, ties);
    kernel_case (1, 500, 16, 1, 1, ties);
    kernel_case (1, 300, 5, 7, 35, ties);
    kernel_case (1, 2100, 20, 512, 512, ties);
    kernel_case (1, 20000, 100, 300, 300, ties);
  }
}

static void
invalid_case (gint64 A, gint64 nc, gint64 k1, gint64 k2, gint64 box_w,
    const char *what)
{
  YoloGraph *g = yolo_test_graph (20);
  YoloNode *n;

  yolo_test_input (g, "boxes", YOLO_DTYPE_FLOAT, 3, DIMS (1, A, box_w), 0, 1);
  yolo_test_input (g, "scores", YOLO_DTYPE_FLOAT, 3, DIMS (1, A, nc), 0, 1);
  n = yolo_test_node (g, YOLO_DETECT_TOPK_OP, "boxes,scores", "y");
  if (k1)
    yolo_test_attr_int (n, "anchors_k", k1);
  if (k2)
    yolo_test_attr_int (n, "max_det", k2);
  yolo_test_output (g, "y");
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, n->name,
      what);
}

static void
test_invalid (void)
{
  invalid_case (100, 80, 0, 10, 4, "no anchors_k");
  invalid_case (100, 80, 10, 0, 4, "no max_det");
  invalid_case (100, 80, 101, 10, 4, "anchors_k > A");
  invalid_case (100, 2, 10, 21, 4, "max_det > anchors_k * nc");
  invalid_case (5000, 80, 600, 300, 4, "anchors_k > max");
  invalid_case (5000, 80, 500, 513, 4, "max_det > max");
  invalid_case (200000, 80, 300, 300, 4, "too many anchors");
  invalid_case (100, 80, 10, 10, 5, "boxes of 5");
}

/* The exported tail; alterations the pass must leave alone */
enum
{
  T_PLAIN, T_TIES, T_LARGEST, T_MOD_NC, T_TILE, T_OUTPUT, T_KEEPDIMS_AXIS,
  T_BATCH, T_BATCH_OFFSETS, T_COUNT
};

/* T_BATCH: at batch 2 with the Gather's indices as yolo-rebatch.c
 * rewrites them (T_BATCH_OFFSETS: with offsets [0, k + 1]) */
static YoloGraph *
tail_graph (int v, gint64 A, gint64 nc, gint64 k)
{
  YoloGraph *g = yolo_test_graph (20);
  YoloNode *n;
  gint64 N = v == T_BATCH || v == T_BATCH_OFFSETS ? 2 : 1;

  /* ReduceMax's axes: an attribute before opset 18 */
  if (v == T_KEEPDIMS_AXIS)
    g->opset = 17;
  inputs (g, N, A, nc, v == T_TIES || N > 1);
  yolo_test_const_ints (g, "ax", 1, DIMS (1), DIMS (-1));
  yolo_test_const_ints (g, "k", 1, DIMS (1), DIMS (k));
  yolo_test_const_ints (g, "rep", 1, DIMS (3), DIMS (1, 1,
          v == T_TILE ? 1 : nc));
  yolo_test_const_ints (g, "rep4", 1, DIMS (3), DIMS (1, 1, 4));
  yolo_test_const_ints (g, "nc", 0, NULL, DIMS (nc));
  yolo_test_const_ints (g, "nc2", 0, NULL, DIMS (v == T_MOD_NC ? nc + 1 : nc));
  n = yolo_test_node (g, "ReduceMax", v == T_KEEPDIMS_AXIS ? "scores" :
      "scores,ax", "m");
  yolo_test_attr_int (n, "keepdims", 0);
  if (v == T_KEEPDIMS_AXIS)
    ATTR_INTS (n, "axes", 2);
  n = yolo_test_node (g, "TopK", "m,k", "v1,i1");
  yolo_test_attr_int (n, "axis", -1);
  yolo_test_attr_int (n, "largest", 1);
  yolo_test_attr_int (n, "sorted", 1);
  yolo_test_node (g, "Unsqueeze", "i1,ax", "e");
  yolo_test_attr_int (yolo_test_node (g, "Flatten", "e", "fe"), "axis", 2);
  yolo_test_node (g, "Tile", "e,rep", "te");
  yolo_test_attr_int (yolo_test_node (g, "GatherElements", "scores,te", "ge"),
      "axis", 1);
  yolo_test_attr_int (yolo_test_node (g, "Flatten", "ge", "S"), "axis", 1);
  n = yolo_test_node (g, "TopK", "S,k", "v2,i2");
  yolo_test_attr_int (n, "axis", -1);
  yolo_test_attr_int (n, "largest", v == T_LARGEST ? 0 : 1);
  yolo_test_attr_int (n, "sorted", 1);
  yolo_test_node (g, "Unsqueeze", "v2,ax", "sc");
  yolo_test_node (g, "Div", "i2,nc", "ai");
  yolo_test_attr_int (yolo_test_node (g, "Mod", "i2,nc2", "cl"), "fmod", 0);
  if (N > 1) {
    yolo_test_const_ints (g, "km", 0, NULL, DIMS (k));
    yolo_test_const_ints (g, "offs", 2, DIMS (2, 1), DIMS (0,
            v == T_BATCH ? k : k + 1));
    yolo_test_attr_int (yolo_test_node (g, "Mod", "ai,km", "aim"), "fmod", 0);
    yolo_test_node (g, "Add", "aim,offs", "aib");
    yolo_test_attr_int (yolo_test_node (g, "Gather", "fe,aib", "ga"), "axis",
        0);
  } else {
    yolo_test_attr_int (yolo_test_node (g, "Gather", "fe,ai", "ga"), "axis", 0);
  }
  yolo_test_node (g, "Unsqueeze", "cl,ax", "cl1");
  yolo_test_node (g, "Tile", "ga,rep4", "ta");
  yolo_test_attr_int (yolo_test_node (g, "Cast", "cl1", "clf"), "to",
      YOLO_DTYPE_FLOAT);
  yolo_test_attr_int (yolo_test_node (g, "GatherElements", "boxes,ta", "bx"),
      "axis", 1);
  yolo_test_attr_int (yolo_test_node (g, "Concat", "bx,sc,clf", "y"), "axis",
      -1);
  yolo_test_output (g, "y");
  if (v == T_OUTPUT)
    yolo_test_output (g, "v2");
  return g;
}

static void
test_pass (void)
{
  static const char *names[T_COUNT] = { "plain", "ties", "smallest",
    "Mod by nc + 1", "Tile by 1", "v2 an output", "ReduceMax axes attribute",
    "batch 2", "batch 2, offsets 0, k + 1"
  };

  for (int v = 0; v < T_COUNT; v++) {
    gboolean fused = v == T_PLAIN || v == T_TIES || v == T_KEEPDIMS_AXIS
        || v == T_BATCH;
    char label[96];

    g_snprintf (label, sizeof label, "tail %s", names[v]);
    /* Tile by 1: GatherElements of a [1, k, 1] index */
    yolo_test_expect_kernel ("detect_topk", fused);
    yolo_test_check (tail_graph (v, 8400, 80, 300), label, 0.0f, 0.0f, TRUE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
  yolo_test_expect_kernel ("detect_topk", TRUE);
  yolo_test_check (tail_graph (T_TIES, 700, 3, 20), "tail A 700 nc 3 k 20",
      0.0f, 0.0f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* the real export at batch 1 and with the engine's batch option at 3 */
static void
model_case (int batch)
{
  YoloGraph *g = yolo_test_load_fused_batch ("yolo26n-640.onnx", batch);
  int n_topk = 0, n_tk = 0;

  if (!g)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    n_topk += !strcmp (n->op_type, YOLO_DETECT_TOPK_OP);
    n_tk += !strcmp (n->op_type, "TopK");
  }
  g_assert_cmpint (n_topk, ==, 1);
  g_assert_cmpint (n_tk, ==, 0);
  yolo_graph_free (g);
}

static void
test_model (void)
{
  model_case (1);
  model_case (3);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (2626);
  g_test_add_func ("/detect-topk/kernel", test_kernel);
  g_test_add_func ("/detect-topk/invalid", test_invalid);
  g_test_add_func ("/detect-topk/pass", test_pass);
  g_test_add_func ("/detect-topk/model", test_model);
  return g_test_run ();
}
