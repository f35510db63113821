/* test-graph.c - graph helpers of yolo-graph.c on small hand-built graphs
 * (host only). */
#include "yolo-test-util.h"

static const gint64 d4[1] = { 4 };

/* X -> Relu -> A, and the graph output Y made of whatever reads A. */
static YoloGraph *
graph_with_a (void)
{
  YoloGraph *g = yolo_graph_new ();

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 1, d4, -1, 1);
  yolo_test_node (g, "Relu", "X", "A");
  return g;
}

static int
tensor (YoloGraph * g, const char *name)
{
  int t = yolo_graph_find_tensor (g, name);

  g_assert_cmpint (t, >=, 0);
  return t;
}

static void
test_sole_reader_one (void)
{
  YoloGraph *g = graph_with_a ();
  YoloNode *add, *r;
  int slot = -1;
  guint index = 99;

  yolo_test_input (g, "Z", YOLO_DTYPE_FLOAT, 1, d4, -1, 1);
  /* the reader in slot 1, at node index 1 */
  add = yolo_test_node (g, "Add", "Z,A", "Y");
  yolo_test_output (g, "Y");
  r = yolo_graph_sole_reader (g, tensor (g, "A"), &slot, &index);
  g_assert_true (r == add);
  g_assert_cmpint (slot, ==, 1);
  g_assert_cmpuint (index, ==, 1);
  /* either out-parameter may be NULL */
  g_assert_true (yolo_graph_sole_reader (g, tensor (g, "A"), NULL,
          NULL) == add);
  /* X has one reader too: slot 0 of node 0 */
  r = yolo_graph_sole_reader (g, tensor (g, "X"), &slot, &index);
  g_assert_true (r == YOLO_N (g, 0));
  g_assert_cmpint (slot, ==, 0);
  g_assert_cmpuint (index, ==, 0);
  /* it counts the reads itself: a stale n_uses does not matter */
  YOLO_T (g, tensor (g, "A"))->n_uses = 7;
  g_assert_true (yolo_graph_sole_reader (g, tensor (g, "A"), NULL,
          NULL) == add);
  /* no tensor */
  g_assert_null (yolo_graph_sole_reader (g, -1, &slot, &index));
  yolo_graph_free (g);
}

static void
test_sole_reader_none (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* a graph output, even with one reader */
  g = graph_with_a ();
  yolo_test_node (g, "Sigmoid", "A", "Y");
  yolo_test_output (g, "Y");
  yolo_test_output (g, "A");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  /* read by no node (Y is an output too) */
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "Y"), NULL, NULL));
  yolo_graph_free (g);

  /* read twice by one node: Mul (A, A) */
  g = graph_with_a ();
  yolo_test_node (g, "Mul", "A,A", "Y");
  yolo_test_output (g, "Y");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  yolo_graph_free (g);

  /* read by two nodes */
  g = graph_with_a ();
  yolo_test_node (g, "Sigmoid", "A", "B");
  yolo_test_node (g, "Mul", "A,B", "Y");
  yolo_test_output (g, "Y");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  /* ... unless one of them is removed */
  YOLO_N (g, 2)->removed = TRUE;
  g_assert_true (yolo_graph_sole_reader (g, tensor (g, "A"), NULL,
          NULL) == YOLO_N (g, 1));
  yolo_graph_free (g);

  /* read only as a fused residual */
  g = graph_with_a ();
  yolo_test_input (g, "Z", YOLO_DTYPE_FLOAT, 1, d4, -1, 1);
  n = yolo_test_node (g, "Relu", "Z", "Y");
  yolo_test_output (g, "Y");
  n->residual = tensor (g, "A");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  /* as an input and a residual (either order of the nodes) */
  yolo_test_node (g, "Sigmoid", "A", "B");
  yolo_test_output (g, "B");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  n->residual = -1;
  g_assert_true (yolo_graph_sole_reader (g, tensor (g, "A"), NULL,
          NULL) == YOLO_N (g, 2));
  n = yolo_test_node (g, "Relu", "Z", "C");
  yolo_test_output (g, "C");
  n->residual = tensor (g, "A");
  g_assert_null (yolo_graph_sole_reader (g, tensor (g, "A"), NULL, NULL));
  yolo_graph_free (g);
}

static void
test_producer (void)
{
  YoloGraph *g = graph_with_a ();
  static const gint64 d1[1] = { 1 };
  YoloNode *add;

  yolo_test_const (g, "K", YOLO_DTYPE_FLOAT, 1, d1, 0, 1);
  add = yolo_test_node (g, "Add", "A,K", "Y");
  yolo_test_output (g, "Y");
  g_assert_true (yolo_graph_producer (g, tensor (g, "A")) == YOLO_N (g, 0));
  g_assert_true (yolo_graph_producer (g, tensor (g, "Y")) == add);
  /* a graph input, a constant and no tensor have none */
  g_assert_null (yolo_graph_producer (g, tensor (g, "X")));
  g_assert_null (yolo_graph_producer (g, tensor (g, "K")));
  g_assert_null (yolo_graph_producer (g, -1));
  /* nor has the output of a removed node */
  YOLO_N (g, 0)->removed = TRUE;
  g_assert_null (yolo_graph_producer (g, tensor (g, "A")));
  /* it reads the producer field as it is: one rewired to another node
   * counts, a cleared one does not */
  YOLO_T (g, tensor (g, "A"))->producer = 1;
  g_assert_true (yolo_graph_producer (g, tensor (g, "A")) == add);
  yolo_graph_update_uses (g);
  g_assert_null (yolo_graph_producer (g, tensor (g, "A")));
  yolo_graph_free (g);
}

/* yolo_graph_plain_producer: the producer when its type, epilogue and the
 * tensor's reads are as asked */
static void
test_plain_producer (void)
{
  YoloGraph *g = graph_with_a ();
  static const gint64 d1[1] = { 1 };
  YoloNode *add;
  int a, y;

  yolo_test_const (g, "K", YOLO_DTYPE_FLOAT, 1, d1, 0, 1);
  add = yolo_test_node (g, "Add", "A,K", "Y");
  yolo_test_node (g, "Sigmoid", "Y", "Z");
  yolo_test_output (g, "Z");
  yolo_graph_update_uses (g);
  a = tensor (g, "A");
  y = tensor (g, "Y");
  /* (as shape inference sets them) */
  YOLO_T (g, a)->dtype = YOLO_DTYPE_FLOAT;
  YOLO_T (g, y)->dtype = YOLO_DTYPE_FLOAT;
  g_assert_true (yolo_graph_plain_producer (g, y, "Add", 1) == add);
  /* another type, another read count, no producer */
  g_assert_null (yolo_graph_plain_producer (g, y, "Mul", 1));
  g_assert_null (yolo_graph_plain_producer (g, y, "Add", 2));
  g_assert_null (yolo_graph_plain_producer (g, tensor (g, "X"), "Add", 1));
  g_assert_null (yolo_graph_plain_producer (g, -1, "Add", 1));
  g_assert_nonnull (yolo_graph_plain_producer (g, a,
          YOLO_N (g, 0)->op_type, 1));
  /* a fused epilogue */
  add->act = YOLO_ACT_RELU;
  g_assert_null (yolo_graph_plain_producer (g, y, "Add", 1));
  add->act = YOLO_ACT_NONE;
  add->residual = a;
  g_assert_null (yolo_graph_plain_producer (g, y, "Add", 1));
  add->residual = -1;
  /* a graph output, a tensor not float */
  YOLO_T (g, y)->is_output = TRUE;
  g_assert_null (yolo_graph_plain_producer (g, y, "Add", 1));
  YOLO_T (g, y)->is_output = FALSE;
  YOLO_T (g, y)->dtype = YOLO_DTYPE_INT32;
  g_assert_null (yolo_graph_plain_producer (g, y, "Add", 1));
  yolo_graph_free (g);
}

/* yolo_tensor_dims_are: rank and every dim, NULL is no */
static void
test_dims_are (void)
{
  YoloGraph *g = graph_with_a ();
  static const gint64 d3[3] = { 1, 4, 2 };
  const YoloTensor *t;
  gint64 d[YOLO_MAX_DIMS];

  yolo_test_const (g, "K", YOLO_DTYPE_FLOAT, 3, d3, 0, 1);
  t = YOLO_T (g, tensor (g, "K"));
  g_assert_cmpint (t->ndim, ==, 3);

  for (int i = 0; i < t->ndim; i++)
    d[i] = t->dims[i];
  g_assert_true (yolo_tensor_dims_are (t, t->ndim, d));
  g_assert_false (yolo_tensor_dims_are (t, t->ndim - 1, d));
  d[t->ndim - 1]++;
  g_assert_false (yolo_tensor_dims_are (t, t->ndim, d));
  g_assert_false (yolo_tensor_dims_are (NULL, 0, d));
  yolo_graph_free (g);
}

static void
test_set_ints (void)
{
  YoloGraph *g = graph_with_a ();
  YoloNode *n = YOLO_N (g, 0);
  static const gint64 v3[3] = { 3, -1, 7 }, v1[1] = { 5 };
  const gint64 *got;
  int cnt = -1;

  /* added when absent */
  yolo_node_set_ints (n, "pads", 3, v3);
  g_assert_cmpint (n->n_attrs, ==, 1);
  got = yolo_node_attr_ints (n, "pads", &cnt);
  g_assert_cmpint (cnt, ==, 3);
  g_assert_true (got != v3);
  g_assert_cmpint (got[0], ==, 3);
  g_assert_cmpint (got[1], ==, -1);
  g_assert_cmpint (got[2], ==, 7);
  /* replaced in place, another count */
  yolo_node_set_ints (n, "pads", 1, v1);
  g_assert_cmpint (n->n_attrs, ==, 1);
  got = yolo_node_attr_ints (n, "pads", &cnt);
  g_assert_cmpint (cnt, ==, 1);
  g_assert_cmpint (got[0], ==, 5);
  /* from its own values */
  yolo_node_set_ints (n, "pads", 1, got);
  got = yolo_node_attr_ints (n, "pads", &cnt);
  g_assert_cmpint (cnt, ==, 1);
  g_assert_cmpint (got[0], ==, 5);
  /* an attribute of another type becomes INTS (nothing of it kept) */
  yolo_node_add_attr (n, "mode", YOLO_ATTR_STRING)->s = g_strdup ("x");
  yolo_node_set_ints (n, "mode", 3, v3);
  g_assert_cmpint (n->n_attrs, ==, 2);
  g_assert_cmpstr (yolo_node_attr_string (n, "mode", "none"), ==, "none");
  got = yolo_node_attr_ints (n, "mode", &cnt);
  g_assert_cmpint (cnt, ==, 3);
  g_assert_cmpint (got[2], ==, 7);
  g_assert_null (yolo_node_attr (n, "mode")->s);
  /* the other attribute is untouched */
  got = yolo_node_attr_ints (n, "pads", &cnt);
  g_assert_cmpint (cnt, ==, 1);
  yolo_graph_free (g);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/graph/sole-reader/one", test_sole_reader_one);
  g_test_add_func ("/graph/sole-reader/none", test_sole_reader_none);
  g_test_add_func ("/graph/producer", test_producer);
  g_test_add_func ("/graph/plain-producer", test_plain_producer);
  g_test_add_func ("/graph/dims-are", test_dims_are);
  g_test_add_func ("/graph/set-ints", test_set_ints);
  return g_test_run ();
}
