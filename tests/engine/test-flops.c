/* test-flops.c - yolo-flops.c: each op's FLOPs from known shapes, exactly
 * (yolo-flops.h lists the counting rules), the fused epilogue, the graph
 * sum skipping removed nodes, and model info's MAC-based figure. */
#include "yolo-test-util.h"
#include "yolo-flops.h"
#include "yolo-model-info.h"

#include <string.h>

static void
add_ints (YoloGraph * g, int ni, const char *name, int cnt, const gint64 * v)
{
  YoloAttr *a = yolo_node_add_attr (YOLO_N (g, ni), name, YOLO_ATTR_INTS);
  a->n = cnt;
  a->ints = g_memdup2 (v, cnt * sizeof (gint64));
}

static void
add_int (YoloGraph * g, int ni, const char *name, gint64 v)
{
  YoloAttr *a = yolo_node_add_attr (YOLO_N (g, ni), name, YOLO_ATTR_INT);
  a->i = v;
}

static int
node (YoloGraph * g, const char *op, const char *name, int n_in,
    const char *i0, const char *i1, const char *out)
{
  const char *ins[2] = { i0, i1 }, *outs[1] = { out };
  return yolo_graph_add_node (g, op, name, n_in, ins, 1, outs);
}

static double
flops_of (YoloGraph * g, const char *name)
{
  for (guint i = 0; i < g->nodes->len; i++)
    if (YOLO_N (g, i)->name && !strcmp (YOLO_N (g, i)->name, name))
      return yolo_node_flops (g, YOLO_N (g, i));
  g_assert_not_reached ();
  return -1;
}

static YoloNode *
node_named (YoloGraph * g, const char *name)
{
  for (guint i = 0; i < g->nodes->len; i++)
    if (YOLO_N (g, i)->name && !strcmp (YOLO_N (g, i)->name, name))
      return YOLO_N (g, i);
  return NULL;
}

static void
test_known_shapes (void)
{
  YoloGraph *g = yolo_graph_new ();
  GError *err = NULL;
  gint64 xd[4] = { 1, 3, 16, 16 }, w1d[4] = { 8, 3, 3, 3 };
  gint64 w2d[4] = { 8, 2, 3, 3 }, ctd[4] = { 8, 2, 2, 2 };
  gint64 ad[3] = { 2, 5, 7 }, bd[2] = { 7, 3 };
  gint64 gad[2] = { 4, 6 }, gbd[2] = { 6, 5 };
  gint64 pads[4] = { 1, 1, 1, 1 }, k3[2] = { 3, 3 }, k2[2] = { 2, 2 };
  gint64 s2[2] = { 2, 2 };
  YoloModelInfo *info;
  double sum;
  int ni;

  yolo_test_seed (1);
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_input (g, "a", YOLO_DTYPE_FLOAT, 3, ad, -1, 1);
  yolo_test_input (g, "ga", YOLO_DTYPE_FLOAT, 2, gad, -1, 1);
  yolo_test_const (g, "w1", YOLO_DTYPE_FLOAT, 4, w1d, -1, 1);
  yolo_test_const (g, "w2", YOLO_DTYPE_FLOAT, 4, w2d, -1, 1);
  yolo_test_const (g, "wt", YOLO_DTYPE_FLOAT, 4, ctd, -1, 1);
  yolo_test_const (g, "b", YOLO_DTYPE_FLOAT, 2, bd, -1, 1);
  yolo_test_const (g, "gb", YOLO_DTYPE_FLOAT, 2, gbd, -1, 1);

  /* Conv 3x3 stride 2 pad 1: [1,3,16,16] -> [1,8,8,8]:
   * 2 * Cout*Ho*Wo * Cin*kh*kw = 2 * 8*8*8 * 3*3*3 */
  ni = node (g, "Conv", "conv", 2, "x", "w1", "y1");
  add_ints (g, ni, "pads", 4, pads);
  add_ints (g, ni, "strides", 2, s2);
  add_ints (g, ni, "kernel_shape", 2, k3);
  /* grouped Conv, group 4: [1,8,8,8] -> [1,8,8,8], Cin/group = 2 */
  ni = node (g, "Conv", "gconv", 2, "y1", "w2", "y2");
  add_ints (g, ni, "pads", 4, pads);
  add_ints (g, ni, "kernel_shape", 2, k3);
  add_int (g, ni, "group", 4);
  /* ConvTranspose 2x2 stride 2: [1,8,8,8] -> [1,2,16,16], per input
   * element Cout*kh*kw MACs */
  ni = node (g, "ConvTranspose", "convt", 2, "y2", "wt", "yt");
  add_ints (g, ni, "strides", 2, s2);
  add_ints (g, ni, "kernel_shape", 2, k2);
  node (g, "Add", "add", 2, "y1", "y2", "y3");
  node (g, "Sigmoid", "sig", 1, "y3", NULL, "y4");
  ni = node (g, "MaxPool", "pool", 1, "y4", NULL, "y5");
  add_ints (g, ni, "kernel_shape", 2, k2);
  add_ints (g, ni, "strides", 2, s2);
  node (g, "GlobalAveragePool", "gap", 1, "y4", NULL, "y6");
  node (g, "Flatten", "flat", 1, "y5", NULL, "y7");
  /* MatMul [2,5,7] x [7,3] -> [2,5,3] */
  node (g, "MatMul", "mm", 2, "a", "b", "m1");
  ni = node (g, "Softmax", "softmax", 1, "m1", NULL, "m2");
  add_int (g, ni, "axis", -1);
  /* Gemm [4,6] x [6,5] -> [4,5] */
  node (g, "Gemm", "gemm", 2, "ga", "gb", "g1");
  yolo_test_output (g, "yt");
  yolo_test_output (g, "y6");
  yolo_test_output (g, "y7");
  yolo_test_output (g, "m2");
  yolo_test_output (g, "g1");

  /* sort + infer (yolo_graph_prepare would refuse the batch-2 input a:
   * it checks graphs the way the detector runs them) */
  g_assert_true (yolo_graph_sort (g, &err) && yolo_graph_infer (g, &err));
  g_assert_no_error (err);

  g_assert_cmpfloat (flops_of (g, "conv"), ==, 2.0 * 8 * 8 * 8 * 3 * 3 * 3);
  g_assert_cmpfloat (flops_of (g, "gconv"), ==, 2.0 * 8 * 8 * 8 * 2 * 3 * 3);
  g_assert_cmpfloat (flops_of (g, "convt"), ==, 2.0 * 8 * 8 * 8 * 2 * 2 * 2);
  g_assert_cmpfloat (flops_of (g, "add"), ==, 512);
  g_assert_cmpfloat (flops_of (g, "sig"), ==, 512);
  g_assert_cmpfloat (flops_of (g, "pool"), ==, 8 * 4 * 4 * 4);
  g_assert_cmpfloat (flops_of (g, "gap"), ==, 512);
  g_assert_cmpfloat (flops_of (g, "flat"), ==, 0);
  g_assert_cmpfloat (flops_of (g, "mm"), ==, 2.0 * 2 * 5 * 3 * 7);
  g_assert_cmpfloat (flops_of (g, "softmax"), ==, 3.0 * 2 * 5 * 3);
  g_assert_cmpfloat (flops_of (g, "gemm"), ==, 2.0 * 4 * 5 * 6);
  g_assert_cmpfloat (yolo_node_macs (g, node_named (g, "conv")), ==,
      8 * 8 * 8 * 3 * 3 * 3);
  g_assert_cmpfloat (yolo_node_macs (g, node_named (g, "add")), ==, 0);

  sum = 27648 + 18432 + 8192 + 512 + 512 + 512 + 512 + 420 + 90 + 240;
  g_assert_cmpfloat (yolo_graph_flops (g), ==, sum);

  /* info's FLOPs: 2 * MACs of Conv, ConvTranspose, MatMul, Gemm */
  info = yolo_model_info_new (g);
  g_assert_cmpfloat (info->flops, ==, 27648 + 18432 + 8192 + 420 + 240);
  yolo_model_info_free (info);

  /* a fused epilogue counts 1 per output element each; removed nodes
   * are not in the graph's sum */
  node_named (g, "conv")->act = YOLO_ACT_SILU;
  node_named (g, "conv")->residual = node_named (g, "gconv")->outputs[0];
  g_assert_cmpfloat (flops_of (g, "conv"), ==, 27648 + 2 * 512);
  node_named (g, "add")->removed = TRUE;
  g_assert_cmpfloat (yolo_graph_flops (g), ==, sum + 2 * 512 - 512);
  yolo_graph_free (g);
}

/* Unknown shapes count nothing rather than garbage. */
static void
test_unknown_shapes (void)
{
  YoloGraph *g = yolo_graph_new ();
  int ni = node (g, "Conv", "conv", 2, "x", "w", "y");
  int x = yolo_graph_tensor (g, "x");
  gint64 d[4] = { 1, -1, 4, 4 };

  yolo_tensor_set_shape (YOLO_T (g, x), YOLO_DTYPE_FLOAT, 4, d);
  g_assert_cmpfloat (yolo_node_flops (g, YOLO_N (g, ni)), ==, 0);
  g_assert_cmpfloat (yolo_graph_flops (g), ==, 0);
  yolo_graph_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flops/known-shapes", test_known_shapes);
  g_test_add_func ("/flops/unknown-shapes", test_unknown_shapes);
  return g_test_run ();
}
