/* test-rebatch.c - the batch rewrite (yolo-rebatch.c) on hand-built graphs
 * (host only): the leading K * B of a Reshape target shape of a tensor that
 * carries the batch becomes K * T (YOLO12's area attention folds its areas
 * into the batch axis: K = 4), shapes computed from Shape are left alone,
 * a Gather over the flattened batch gets its per-image offsets back, a
 * DynamicQuantizeLinear of a batch-1 export quantises per image at batch
 * T (a fixed batch's over the whole batch is refused), and graphs whose
 * batch cannot be rewritten are refused. */
#include "yolo-test-util.h"
#include "yolo-rebatch.h"

#include <string.h>

static const gint64 *
ints (YoloGraph * g, const char *name)
{
  int t = yolo_graph_find_tensor (g, name);

  g_assert_cmpint (t, >=, 0);
  g_assert_nonnull (YOLO_T (g, t)->data);
  return YOLO_T (g, t)->data;
}

static void
assert_dims (YoloGraph * g, const char *name, int ndim, const gint64 * d)
{
  YoloTensor *t = YOLO_T (g, yolo_graph_find_tensor (g, name));

  g_assert_cmpint (t->ndim, ==, ndim);
  for (int i = 0; i < ndim; i++)
    g_assert_cmpint (t->dims[i], ==, d[i]);
}

/* x [b,3,32,32] -> Reshape [4b, 768] (areas into the batch) -> Relu
 * -> Reshape [b, 3, -1] -> y */
static YoloGraph *
area_graph (gint64 b)
{
  YoloGraph *g = yolo_graph_new ();

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (b, 3, 32, 32), -1, 1);
  yolo_test_const_ints (g, "s1", 1, DIMS (2), DIMS (4 * b, 768));
  yolo_test_const_ints (g, "s2", 1, DIMS (3), DIMS (b, 3, -1));
  yolo_test_node (g, "Reshape", "x,s1", "a");
  yolo_test_node (g, "Relu", "a", "r");
  yolo_test_node (g, "Reshape", "r,s2", "y");
  yolo_test_output (g, "y");
  return g;
}

static void
test_area_to_batch (void)
{
  for (gint64 t = 2; t <= 3; t++) {
    YoloGraph *g = area_graph (1);
    GError *err = NULL;

    g->batch_to = t;
    g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_no_error (err);
    g_assert_cmpint (ints (g, "s1")[0], ==, 4 * t);
    g_assert_cmpint (ints (g, "s1")[1], ==, 768);
    g_assert_cmpint (ints (g, "s2")[0], ==, t);
    assert_dims (g, "a", 2, DIMS (4 * t, 768));
    assert_dims (g, "y", 3, DIMS (t, 3, 1024));
    g_assert_cmpint (g->batch_from, ==, 0);
    yolo_graph_free (g);
  }
}

static void
test_area_fixed_batch (void)
{
  YoloGraph *g = area_graph (2);
  GError *err = NULL;

  /* a batch=2 export run at batch 1 */
  g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_no_error (err);
  g_assert_cmpint (ints (g, "s1")[0], ==, 4);
  g_assert_cmpint (ints (g, "s2")[0], ==, 1);
  assert_dims (g, "y", 3, DIMS (1, 3, 1024));
  g_assert_cmpint (g->batch_from, ==, 2);
  yolo_graph_free (g);
  /* and at batch 3 */
  g = area_graph (2);
  g->batch_to = 3;
  g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_no_error (err);
  g_assert_cmpint (ints (g, "s1")[0], ==, 12);
  assert_dims (g, "y", 3, DIMS (3, 3, 1024));
  yolo_graph_free (g);
}

/* Shape (x) and what is computed from it is shape data, not image data:
 * a Reshape of it keeps its target shape */
static void
test_carries (void)
{
  YoloGraph *g = yolo_graph_new ();
  GError *err = NULL;
  gboolean *c;

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, 3, 32, 32), -1, 1);
  yolo_test_const_ints (g, "s", 1, DIMS (2), DIMS (2, 2));
  yolo_test_const_ints (g, "s1", 1, DIMS (2), DIMS (1, -1));
  yolo_test_node (g, "Shape", "x", "sh");
  yolo_test_node (g, "Reshape", "sh,s", "sh2");
  yolo_test_node (g, "Relu", "x", "r");
  yolo_test_node (g, "Reshape", "r,s1", "y");
  yolo_test_output (g, "y");
  g_assert_true (yolo_graph_sort (g, &err));
  c = yolo_rebatch_carries (g, yolo_graph_find_tensor (g, "x"));
  g_assert_true (c[yolo_graph_find_tensor (g, "r")]);
  g_assert_true (c[yolo_graph_find_tensor (g, "y")]);
  g_assert_false (c[yolo_graph_find_tensor (g, "sh")]);
  g_assert_false (c[yolo_graph_find_tensor (g, "sh2")]);
  g_assert_false (c[yolo_graph_find_tensor (g, "s1")]);
  g_free (c);
  g->batch_to = 3;
  g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_no_error (err);
  g_assert_cmpint (ints (g, "s")[0], ==, 2);
  g_assert_cmpint (ints (g, "s1")[0], ==, 3);
  assert_dims (g, "sh2", 2, DIMS (2, 2));
  assert_dims (g, "y", 2, DIMS (3, 3072));
  yolo_graph_free (g);
}

static void expect_refused (YoloGraph * g, gint64 batch_to, const char *node,
    const char *why);

/* x -> Reshape [96, 32] (data [T*96, 32]); x -> Reshape [1, -1] -> TopK 5
 * -> Div 32 (indices [T, 5] in 0..95, the image's rows) -> Gather axis 0:
 * at batch T the indices get Mod 96 + [0, 96, 192..] (the offsets a batch-1
 * export folds to 0), and the result is each image's own rows */
static void
test_gather (void)
{
  YoloGraph *g = yolo_graph_new ();
  GError *err = NULL;
  YoloNode *gather = NULL, *mod = NULL, *add = NULL;
  const gint64 *offs;
  int gi = -1;

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, 3, 32, 32), -1, 1);
  yolo_test_const_ints (g, "s", 1, DIMS (2), DIMS (96, 32));
  yolo_test_const_ints (g, "f", 1, DIMS (2), DIMS (1, -1));
  yolo_test_const_ints (g, "k", 1, DIMS (1), DIMS (5));
  yolo_test_const_ints (g, "w", 0, NULL, DIMS (32));
  yolo_test_node (g, "Reshape", "x,s", "d");
  yolo_test_node (g, "Reshape", "x,f", "flat");
  yolo_test_node (g, "TopK", "flat,k", "v,i");
  yolo_test_node (g, "Div", "i,w", "rows");
  gather = yolo_test_node (g, "Gather", "d,rows", "y");
  yolo_node_add_attr (gather, "axis", YOLO_ATTR_INT)->i = 0;
  yolo_test_output (g, "y");
  g->batch_to = 3;
  g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_no_error (err);
  assert_dims (g, "d", 2, DIMS (288, 32));
  assert_dims (g, "y", 3, DIMS (3, 5, 32));
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!strcmp (n->op_type, "Mod"))
      mod = n;
    if (!strcmp (n->op_type, "Add"))
      add = n;
    if (n == gather)
      gi = i;
  }
  g_assert_nonnull (mod);
  g_assert_nonnull (add);
  g_assert_cmpint (YOLO_IN (g, mod, 0)->producer, >=, 0);
  g_assert_cmpstr (YOLO_IN (g, mod, 0)->name, ==, "rows");
  g_assert_cmpint (((gint64 *) YOLO_IN (g, mod, 1)->data)[0], ==, 96);
  g_assert_true (YOLO_IN (g, add, 0) == YOLO_OUT (g, mod, 0));
  offs = YOLO_IN (g, add, 1)->data;
  assert_dims (g, YOLO_IN (g, add, 1)->name, 2, DIMS (3, 1));
  g_assert_cmpint (offs[0], ==, 0);
  g_assert_cmpint (offs[1], ==, 96);
  g_assert_cmpint (offs[2], ==, 192);
  g_assert_true (YOLO_IN (g, gather, 1) == YOLO_OUT (g, add, 0));
  assert_dims (g, YOLO_OUT (g, add, 0)->name, 2, DIMS (3, 5));
  /* sorted: the Add runs before the Gather */
  g_assert_cmpint (YOLO_OUT (g, add, 0)->producer, <, gi);
  yolo_graph_free (g);
  /* a fixed batch 2 export run at 3: its offsets are not folded, refused */
  g = yolo_graph_new ();
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (2, 3, 32, 32), -1, 1);
  yolo_test_const_ints (g, "s", 1, DIMS (2), DIMS (192, 32));
  yolo_test_const_ints (g, "f", 1, DIMS (2), DIMS (2, -1));
  yolo_test_const_ints (g, "k", 1, DIMS (1), DIMS (5));
  yolo_test_const_ints (g, "w", 0, NULL, DIMS (32));
  yolo_test_node (g, "Reshape", "x,s", "d");
  yolo_test_node (g, "Reshape", "x,f", "flat");
  yolo_test_node (g, "TopK", "flat,k", "v,i");
  yolo_test_node (g, "Div", "i,w", "rows");
  gather = yolo_test_node (g, "Gather", "d,rows", "y");
  yolo_node_add_attr (gather, "axis", YOLO_ATTR_INT)->i = 0;
  yolo_test_output (g, "y");
  expect_refused (g, 3, "Gather_", "along the batch axis");
}

static void
expect_refused (YoloGraph * g, gint64 batch_to, const char *node,
    const char *why)
{
  GError *err = NULL;

  g->batch_to = batch_to;
  g_assert_false (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (err->message, node));
  g_assert_nonnull (strstr (err->message, why));
  g_assert_null (strchr (err->message, '\n'));
  if (g_test_verbose ())
    g_printerr ("%s\n", err->message);
  g_error_free (err);
  yolo_graph_free (g);
}

static void
test_refused (void)
{
  YoloGraph *g;

  /* a fixed batch 2 whose Reshape's leading 3 does not hold it */
  g = yolo_graph_new ();
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (2, 3, 32, 32), -1, 1);
  yolo_test_const_ints (g, "s", 1, DIMS (2), DIMS (3, -1));
  yolo_test_node (g, "Reshape", "x,s", "y");
  yolo_test_output (g, "y");
  expect_refused (g, 0, "Reshape_", "not a multiple of the batch");
  /* a Transpose moves the batch axis: at batch 2 ... */
  for (int t = 1; t <= 2; t++) {
    g = yolo_graph_new ();
    yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (t == 1 ? 2 : 1, 3,
            32, 32), -1, 1);
    ATTR_INTS (yolo_test_node (g, "Transpose", "x", "y"), "perm", 1, 0, 2, 3);
    yolo_test_output (g, "y");
    /* ... and a batch=2 export at batch 1 */
    expect_refused (g, t == 1 ? 0 : 2, "Transpose_",
        "does not have the batch as its first dimension");
  }
  /* at batch 2, a first dimension 2 does not divide (Flatten axis 0) */
  g = yolo_graph_new ();
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, 3, 32, 32), -1, 1);
  yolo_node_add_attr (yolo_test_node (g, "Flatten", "x", "f"), "axis",
      YOLO_ATTR_INT)->i = 0;
  yolo_test_node (g, "Relu", "f", "y");
  yolo_test_output (g, "y");
  expect_refused (g, 3, "Flatten_", "not have the batch as its first");
}

/* x -> DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul (x_scale *
 * w_scale [1, 4, 1, 1]) -> y: a batch-1 export at batch T quantises each
 * image alone (per_image: x_scale / x_zp [T, 1, 1, 1], the scale m
 * [T, 4, 1, 1]); at batch 1 as ONNX says (one scale); a fixed batch 2,
 * whose quantisation spans both images, is refused run at 1 or 3 naming
 * the node, and runs as declared at 2 (one scale over the batch). */
static YoloGraph *
dql_graph (gint64 b)
{
  YoloGraph *g = yolo_graph_new ();
  YoloNode *c;

  g->opset = 20;
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (b, 3, 32, 32), -1, 1);
  yolo_test_const (g, "w", YOLO_DTYPE_INT8, 4, DIMS (4, 3, 3, 3), -128, 127);
  yolo_test_const (g, "w_zp", YOLO_DTYPE_INT8, 0, NULL, 0, 0);
  yolo_test_const (g, "w_scale", YOLO_DTYPE_FLOAT, 4, DIMS (1, 4, 1, 1),
      1e-3f, 1e-2f);
  yolo_test_node (g, "DynamicQuantizeLinear", "x", "q,x_scale,x_zp");
  yolo_test_node (g, "Mul", "x_scale,w_scale", "m");
  c = yolo_test_node (g, "ConvInteger", "q,w,x_zp,w_zp", "acc");
  yolo_test_attr_ints (c, "pads", 4, DIMS (1, 1, 1, 1));
  yolo_node_add_attr (yolo_test_node (g, "Cast", "acc", "accf"), "to",
      YOLO_ATTR_INT)->i = YOLO_DTYPE_FLOAT;
  yolo_test_node (g, "Mul", "accf,m", "y");
  yolo_test_output (g, "y");
  return g;
}

static void
test_dynamic_quantize (void)
{
  for (gint64 t = 1; t <= 3; t++) {
    YoloGraph *g = dql_graph (1);
    GError *err = NULL;

    g->batch_to = t;
    g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_no_error (err);
    g_assert_cmpint (yolo_node_attr_int (YOLO_N (g, 0), "per_image", 0), ==,
        t > 1);
    if (t > 1) {
      assert_dims (g, "x_scale", 4, DIMS (t, 1, 1, 1));
      assert_dims (g, "x_zp", 4, DIMS (t, 1, 1, 1));
      assert_dims (g, "m", 4, DIMS (t, 4, 1, 1));
    } else {
      assert_dims (g, "x_scale", 0, NULL);
      assert_dims (g, "m", 4, DIMS (1, 4, 1, 1));
    }
    assert_dims (g, "y", 4, DIMS (t, 4, 32, 32));
    yolo_graph_free (g);
  }
  /* a fixed batch 2 as declared: one scale over the batch (onnxruntime) */
  {
    YoloGraph *g = dql_graph (2);
    GError *err = NULL;

    g->batch_to = 2;
    g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_no_error (err);
    g_assert_cmpint (yolo_node_attr_int (YOLO_N (g, 0), "per_image", 0), ==, 0);
    assert_dims (g, "x_scale", 0, NULL);
    assert_dims (g, "y", 4, DIMS (2, 4, 32, 32));
    yolo_graph_free (g);
  }
  expect_refused (dql_graph (2), 0, "DynamicQuantizeLinear_",
      "whole batch, so the fixed batch of 2 cannot be run as batch 1; "
      "the model was exported with batch=2: export it with batch=1");
  expect_refused (dql_graph (2), 3, "DynamicQuantizeLinear_",
      "whole batch, so the batch of 2 cannot be run as a batch of 3");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rebatch/area/to-batch", test_area_to_batch);
  g_test_add_func ("/rebatch/area/fixed-batch", test_area_fixed_batch);
  g_test_add_func ("/rebatch/carries", test_carries);
  g_test_add_func ("/rebatch/refused", test_refused);
  g_test_add_func ("/rebatch/gather", test_gather);
  g_test_add_func ("/rebatch/dynamic-quantize", test_dynamic_quantize);
  return g_test_run ();
}
