/* test-ops-misc.c - shape, movement, reduce, matmul and index ops: the
 * OpenCL kernels against the C reference (each op's eval), plus a few
 * reference values confirmed once with onnxruntime. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

/* ---- graph building helpers ---- */

/* A random float graph input named name of the given dims. */
#define IN_F(g, name, ...) \
  yolo_test_input (g, name, YOLO_DTYPE_FLOAT, NDIMS (__VA_ARGS__), \
      DIMS (__VA_ARGS__), -2.0f, 2.0f)
#define CONST_I(g, name, ...) \
  yolo_test_const_ints (g, name, 1, DIMS (NDIMS (__VA_ARGS__)), \
      DIMS (__VA_ARGS__))

static void
attr_i (YoloNode * n, const char *name, gint64 v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_INT)->i = v;
}

static void
attr_f (YoloNode * n, const char *name, float v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_FLOAT)->f = v;
}

static void
attr_s (YoloNode * n, const char *name, const char *v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_STRING)->s = g_strdup (v);
}

static void
outputs (YoloGraph * g, const char *names)
{
  char **o = g_strsplit (names, ",", -1);
  for (int k = 0; o[k]; k++)
    yolo_test_output (g, o[k]);
  g_strfreev (o);
}

#define EXACT(g, label) yolo_test_check (g, label, 0.0f, 0.0f, FALSE)
#define CLOSE(g, label) yolo_test_check (g, label, 1e-5f, 1e-4f, FALSE)

/* Runs infer + eval on the host only (for reference values); returns the
 * graph (caller frees) or NULL with a test failure. */
static YoloGraph *
host_run (YoloGraph * g)
{
  GError *err = NULL;
  if (!yolo_graph_sort (g, &err))
    goto fail;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def = yolo_ops_lookup (n->op_type);
    g_assert_nonnull (def);
    if (!def->infer (g, n, &err) || !def->eval (g, n, &err))
      goto fail;
  }
  return g;
fail:
  g_test_message ("host run: %s", err->message);
  g_test_fail ();
  g_clear_error (&err);
  yolo_graph_free (g);
  return NULL;
}

static YoloTensor *
tensor (YoloGraph * g, const char *name)
{
  return YOLO_T (g, yolo_graph_find_tensor (g, name));
}

/* want: the expected values separated by spaces. */
static void
expect_floats (YoloGraph * g, const char *name, const char *want, float tol)
{
  YoloTensor *t = tensor (g, name);
  char **w = g_strsplit (want, " ", -1);
  int cnt = g_strv_length (w);
  g_assert_cmpint (yolo_tensor_numel (t), ==, cnt);
  for (int i = 0; i < cnt; i++) {
    float v = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[i] :
        (float) ((gint64 *) t->data)[i];
    float x = g_ascii_strtod (w[i], NULL);
    if (fabsf (v - x) > tol) {
      g_test_message ("%s[%d] = %g, want %g", name, i, v, x);
      g_test_fail ();
      break;
    }
  }
  g_strfreev (w);
}

/* ---- shape ops ---- */

static void
test_views (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* Reshape (0 = copy, -1 inferred) between two real ops. */
  g = yolo_test_graph (17);
  IN_F (g, "X", 1, 6, 5, 7);
  CONST_I (g, "shp", 0, 3, -1, 7);
  yolo_test_node (g, "Transpose", "X", "T");    /* [7,5,6,1] */
  CONST_I (g, "shp2", 0, -1, 3);
  yolo_test_node (g, "Reshape", "T,shp2", "R"); /* [7,10,3] */
  yolo_test_node (g, "Softmax", "R", "Y");
  outputs (g, "Y");
  CLOSE (g, "reshape");

  /* Flatten (negative axis), Squeeze (attr, opset 11), Unsqueeze. */
  g = yolo_test_graph (11);
  IN_F (g, "X", 1, 3, 1, 9);
  n = yolo_test_node (g, "Squeeze", "X", "S");  /* [3,9] */
  ATTR_INTS (n, "axes", 0, -2);
  n = yolo_test_node (g, "Unsqueeze", "S", "U");        /* [3,1,9,1] */
  ATTR_INTS (n, "axes", 1, -1);
  n = yolo_test_node (g, "Flatten", "U", "F");  /* [3,9] */
  attr_i (n, "axis", -2);
  n = yolo_test_node (g, "Softmax", "F", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  CLOSE (g, "squeeze/unsqueeze/flatten opset 11");

  /* Same with axes as inputs (opset 13), Identity. */
  g = yolo_test_graph (13);
  IN_F (g, "X", 2, 1, 5);
  CONST_I (g, "ax", 1);
  CONST_I (g, "ax2", 0, 3);
  yolo_test_node (g, "Squeeze", "X,ax", "S");
  yolo_test_node (g, "Unsqueeze", "S,ax2", "U");        /* [1,2,5,1] */
  yolo_test_node (g, "Identity", "U", "I");
  yolo_test_node (g, "Transpose", "I", "Y");
  outputs (g, "Y");
  EXACT (g, "squeeze/unsqueeze inputs");

  /* Squeeze without axes drops every 1. */
  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 4, 1, 3);
  yolo_test_node (g, "Squeeze", "X", "S");
  yolo_test_node (g, "Transpose", "S", "Y");
  outputs (g, "Y");
  EXACT (g, "squeeze all");
}

static void
test_shape_folding (void)
{
  /* Dynamic-shape idiom: Shape -> Gather -> Unsqueeze -> Concat -> Reshape,
   * all folded to constants before the device run. */
  YoloGraph *g = yolo_test_graph (13);
  YoloNode *n;
  IN_F (g, "X", 1, 8, 3, 5);
  yolo_test_node (g, "Shape", "X", "shape");
  CONST_I (g, "i1", 1);
  n = yolo_test_node (g, "Gather", "shape,i1", "c");    /* [8] */
  attr_i (n, "axis", 0);
  CONST_I (g, "m1", -1);
  n = yolo_test_node (g, "Concat", "c,m1", "newshape");
  attr_i (n, "axis", 0);
  yolo_test_node (g, "Reshape", "X,newshape", "R");     /* [8,15] */
  yolo_test_node (g, "Softmax", "R", "Y");
  outputs (g, "Y");
  CLOSE (g, "shape folding");

  /* Shape start/end, Size, ConstantOfShape, Range on the host. */
  g = yolo_test_graph (15);
  IN_F (g, "X", 2, 3, 4, 5);
  n = yolo_test_node (g, "Shape", "X", "s");
  attr_i (n, "start", 1);
  attr_i (n, "end", -1);
  yolo_test_node (g, "Size", "X", "sz");
  yolo_test_node (g, "ConstantOfShape", "s", "z");
  yolo_test_const_ints (g, "r0", 0, NULL, DIMS (10));
  yolo_test_const_ints (g, "r1", 0, NULL, DIMS (1));
  yolo_test_const_ints (g, "r2", 0, NULL, DIMS (-3));
  yolo_test_node (g, "Range", "r0,r1,r2", "rg");
  g = host_run (g);
  if (g) {
    expect_floats (g, "s", "3 4", 0);
    expect_floats (g, "sz", "120", 0);
    g_assert_cmpint (tensor (g, "z")->ndim, ==, 2);
    g_assert_cmpint (yolo_tensor_numel (tensor (g, "z")), ==, 12);
    expect_floats (g, "rg", "10 7 4", 0);
    yolo_graph_free (g);
  }
}

static void
test_nonconst_param_error (void)
{
  /* A shape computed at run time is UNSUPPORTED, naming the node. */
  YoloGraph *g = yolo_test_graph (13);
  GError *err = NULL;
  IN_F (g, "X", 2, 6);
  yolo_test_input (g, "S", YOLO_DTYPE_INT64, 1, DIMS (2), 1, 3);
  yolo_test_node (g, "Reshape", "X,S", "Y");
  outputs (g, "Y");
  g_assert_true (yolo_graph_sort (g, &err));
  g_assert_false (yolo_graph_infer (g, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (err->message, "Reshape_"));
  g_clear_error (&err);
  yolo_graph_free (g);
}

/* ---- movement ---- */

static void
test_concat (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* Channel axis with produced inputs: the planner may place them in the
   * output (no copy). */
  g = yolo_test_graph (17);
  IN_F (g, "A", 1, 3, 5, 7);
  IN_F (g, "B", 1, 4, 5, 7);
  IN_F (g, "C", 1, 1, 5, 7);
  yolo_test_node (g, "Softmax", "A", "a");
  yolo_test_node (g, "Softmax", "B", "b");
  yolo_test_node (g, "Softmax", "C", "c");
  n = yolo_test_node (g, "Concat", "a,b,c", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  CLOSE (g, "concat channel (views)");

  /* Channel axis straight from graph inputs (copies). */
  g = yolo_test_graph (17);
  IN_F (g, "A", 1, 3, 5, 7);
  IN_F (g, "B", 1, 2, 5, 7);
  n = yolo_test_node (g, "Concat", "A,B", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  EXACT (g, "concat channel (copies)");

  /* Last axis (YOLO head: [1,4,6400] + [1,4,1600] + [1,4,400]). */
  g = yolo_test_graph (17);
  IN_F (g, "A", 1, 4, 161);
  IN_F (g, "B", 1, 4, 37);
  IN_F (g, "C", 1, 4, 9);
  yolo_test_node (g, "Softmax", "A", "a");
  n = yolo_test_node (g, "Concat", "a,B,C", "Y");
  attr_i (n, "axis", -1);
  outputs (g, "Y");
  CLOSE (g, "concat last axis");

  /* Middle axis of 5-D, batch > 1. */
  g = yolo_test_graph (17);
  IN_F (g, "A", 2, 3, 3, 5, 2);
  IN_F (g, "B", 2, 3, 3, 5, 81);
  n = yolo_test_node (g, "Concat", "A,B", "Y");
  attr_i (n, "axis", 4);
  outputs (g, "Y");
  EXACT (g, "concat 5-D");

  g = yolo_test_graph (17);
  IN_F (g, "A", 3, 2, 5);
  IN_F (g, "B", 3, 7, 5);
  n = yolo_test_node (g, "Concat", "A,B", "Y");
  attr_i (n, "axis", -2);
  outputs (g, "Y");
  EXACT (g, "concat axis -2");

  /* Integer tensors. */
  g = yolo_test_graph (17);
  yolo_test_input (g, "A", YOLO_DTYPE_INT64, 2, DIMS (2, 3), -100, 100);
  yolo_test_input (g, "B", YOLO_DTYPE_INT64, 2, DIMS (2, 5), -100, 100);
  n = yolo_test_node (g, "Concat", "A,B", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  EXACT (g, "concat int");
}

static void
test_split (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* Channel split feeding consumers (views), split as input (opset 13). */
  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 12, 5, 3);
  yolo_test_node (g, "Softmax", "X", "x");
  CONST_I (g, "sp", 5, 7);
  n = yolo_test_node (g, "Split", "x,sp", "a,b");
  attr_i (n, "axis", 1);
  yolo_test_node (g, "Softmax", "a", "Ya");
  yolo_test_node (g, "Softmax", "b", "Yb");
  outputs (g, "Ya,Yb");
  CLOSE (g, "split channel (views)");

  /* Channel split as graph outputs. */
  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 10, 4, 4);
  CONST_I (g, "sp", 3, 3, 4);
  n = yolo_test_node (g, "Split", "X,sp", "a,b,c");
  attr_i (n, "axis", 1);
  outputs (g, "a,b,c");
  EXACT (g, "split channel outputs");

  /* Last axis with 'split' attribute (opset 12): YOLOv5 [.., 2, 2, 81]. */
  g = yolo_test_graph (12);
  IN_F (g, "X", 1, 3, 4, 5, 85);
  n = yolo_test_node (g, "Split", "X", "a,b,c");
  attr_i (n, "axis", 4);
  ATTR_INTS (n, "split", 2, 2, 81);
  outputs (g, "a,b,c");
  EXACT (g, "split last axis (attr)");

  /* YOLO26: [1,8400,84] -> [4, 80] on -1 (smaller). */
  g = yolo_test_graph (17);
  IN_F (g, "X", 1, 333, 84);
  CONST_I (g, "sp", 4, 80);
  n = yolo_test_node (g, "Split", "X,sp", "a,b");
  attr_i (n, "axis", -1);
  outputs (g, "a,b");
  EXACT (g, "split -1");

  /* Equal split without sizes; num_outputs with a short last part. */
  g = yolo_test_graph (13);
  IN_F (g, "X", 2, 9, 3);
  n = yolo_test_node (g, "Split", "X", "a,b,c");
  attr_i (n, "axis", 1);
  outputs (g, "a,b,c");
  EXACT (g, "split equal");

  g = yolo_test_graph (18);
  IN_F (g, "X", 2, 3, 11);
  n = yolo_test_node (g, "Split", "X", "a,b,c");
  attr_i (n, "axis", 2);
  attr_i (n, "num_outputs", 3);
  outputs (g, "a,b,c");
  g = host_run (g);
  if (g) {
    g_assert_cmpint (tensor (g, "a")->dims[2], ==, 4);
    g_assert_cmpint (tensor (g, "c")->dims[2], ==, 3);
    yolo_graph_free (g);
  }
  g = yolo_test_graph (18);
  IN_F (g, "X", 2, 3, 11);
  n = yolo_test_node (g, "Split", "X", "a,b,c");
  attr_i (n, "axis", 2);
  attr_i (n, "num_outputs", 3);
  outputs (g, "a,b,c");
  EXACT (g, "split num_outputs");
}

static void
test_slice (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* YOLO head: [1,4,N] channels 0:2 and 2:4. */
  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 4, 101);
  CONST_I (g, "s0", 0);
  CONST_I (g, "e0", 2);
  CONST_I (g, "s1", 2);
  CONST_I (g, "e1", 4);
  CONST_I (g, "ax", 1);
  yolo_test_node (g, "Slice", "X,s0,e0,ax", "a");
  yolo_test_node (g, "Slice", "X,s1,e1,ax", "b");
  outputs (g, "a,b");
  EXACT (g, "slice channels");

  /* YOLOX focus: step 2 with INT64_MAX ends. */
  g = yolo_test_graph (11);
  IN_F (g, "X", 1, 3, 17, 12);
  CONST_I (g, "s", 1);
  CONST_I (g, "e", G_MAXINT64);
  CONST_I (g, "ax", 2);
  CONST_I (g, "ax3", 3);
  CONST_I (g, "st", 2);
  yolo_test_node (g, "Slice", "X,s,e,ax,st", "a");
  yolo_test_node (g, "Slice", "a,s,e,ax3,st", "Y");
  outputs (g, "Y");
  EXACT (g, "slice step 2");

  /* Step 2 on rows long enough for the vector path (YOLOX-nano's 416,
   * odd widths, both starts): the last chunk's tail stays scalar. */
  for (int w = 0; w < 3; w++) {
    for (int st = 0; st < 2; st++) {
      static const int widths[3] = { 416, 35, 50 };
      g = yolo_test_graph (11);
      IN_F (g, "X", 1, 3, 6, widths[w]);
      CONST_I (g, "s", st);
      CONST_I (g, "e", G_MAXINT64);
      CONST_I (g, "ax", 3);
      CONST_I (g, "st", 2);
      yolo_test_node (g, "Slice", "X,s,e,ax,st", "Y");
      outputs (g, "Y");
      EXACT (g, "slice step 2 along W");
    }
  }

  /* Negative steps, negative starts and clamping (checked vs ORT below). */
  g = yolo_test_graph (13);
  IN_F (g, "X", 6, 7, 9);
  CONST_I (g, "s", -1, 10, 2);
  CONST_I (g, "e", -G_MAXINT64, 0, -2);
  CONST_I (g, "ax", 0, -1, 1);
  CONST_I (g, "st", -2, -3, 1);
  yolo_test_node (g, "Slice", "X,s,e,ax,st", "Y");
  outputs (g, "Y");
  EXACT (g, "slice negative steps");

  /* Opset 9 attributes. */
  g = yolo_test_graph (9);
  IN_F (g, "X", 5, 6, 7);
  n = yolo_test_node (g, "Slice", "X", "Y");
  ATTR_INTS (n, "starts", 1, -5);
  ATTR_INTS (n, "ends", 4, 100);
  ATTR_INTS (n, "axes", 0, 2);
  outputs (g, "Y");
  EXACT (g, "slice attrs");

  /* Reference values from onnxruntime 4x5 arange. */
  g = yolo_test_graph (13);
  gint64 xd[2] = { 4, 5 };
  float xv[20];
  for (int i = 0; i < 20; i++)
    xv[i] = i;
  yolo_test_const_floats (g, "X", 2, xd, xv);
  CONST_I (g, "s", -1, 10);
  CONST_I (g, "e", -G_MAXINT64, 0);
  CONST_I (g, "ax", 0, 1);
  CONST_I (g, "st", -2, -3);
  yolo_test_node (g, "Slice", "X,s,e,ax,st", "Y");
  CONST_I (g, "s2", 3);
  CONST_I (g, "e2", -100);
  CONST_I (g, "ax2", -1);
  CONST_I (g, "st2", -1);
  yolo_test_node (g, "Slice", "X,s2,e2,ax2,st2", "Y2");
  g = host_run (g);
  if (g) {
    expect_floats (g, "Y", "19 16 9 6", 0);
    expect_floats (g, "Y2", "3 2 1 0 8 7 6 5 13 12 11 10 18 17 16 15", 0);
    yolo_graph_free (g);
  }
}

static void
transpose_case (const char *label, int ndim, const gint64 * dims,
    int np, const gint64 * perm)
{
  YoloGraph *g = yolo_test_graph (17);
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, ndim, dims, -2, 2);
  YoloNode *n = yolo_test_node (g, "Transpose", "X", "Y");
  if (perm)
    yolo_test_attr_ints (n, "perm", np, perm);
  outputs (g, "Y");
  EXACT (g, label);
}

static void
test_transpose (void)
{
  transpose_case ("transpose head", 3, DIMS (1, 84, 8400), 3, DIMS (0, 2, 1));
  transpose_case ("transpose head odd", 3, DIMS (1, 83, 1001), 3,
      DIMS (0, 2, 1));
  transpose_case ("transpose DFL", 4, DIMS (1, 4, 16, 8400), 4,
      DIMS (0, 2, 1, 3));
  transpose_case ("transpose DFL opset 12", 4, DIMS (1, 4, 16, 333), 4,
      DIMS (0, 3, 1, 2));
  transpose_case ("transpose DFL back", 4, DIMS (1, 333, 4, 16), 4,
      DIMS (0, 3, 2, 1));
  transpose_case ("transpose attn", 4, DIMS (1, 2, 32, 100), 4,
      DIMS (0, 1, 3, 2));
  transpose_case ("transpose v5", 5, DIMS (1, 3, 85, 20, 20), 5,
      DIMS (0, 1, 3, 4, 2));
  transpose_case ("transpose 6-D", 6, DIMS (2, 3, 1, 5, 4, 7), 6,
      DIMS (5, 0, 3, 1, 4, 2));
  transpose_case ("transpose default", 3, DIMS (3, 7, 5), 0, NULL);
  transpose_case ("transpose small", 2, DIMS (3, 2), 2, DIMS (1, 0));
  transpose_case ("transpose tiles", 3, DIMS (5, 19, 13), 3, DIMS (2, 0, 1));
  transpose_case ("transpose 1x1", 4, DIMS (1, 1, 1, 1), 4, DIMS (3, 2, 1, 0));

  /* Integer data keeps its bits. */
  YoloGraph *g = yolo_test_graph (17);
  yolo_test_input (g, "X", YOLO_DTYPE_INT64, 3, DIMS (3, 10, 9), -1000, 1000);
  YoloNode *n = yolo_test_node (g, "Transpose", "X", "Y");
  ATTR_INTS (n, "perm", 1, 2, 0);
  outputs (g, "Y");
  EXACT (g, "transpose int");
}

/* YOLOX's output tail, Transpose (Concat (X_j, axis 2), perm 0 2 1),
 * rewritten by yolo-concat-fuse.c as Concat (Transpose (X_j), axis 1):
 * the Transposes write straight into their slices of the output (no
 * copying launch for the Concat). Left as it is where the Concat's output
 * is read elsewhere too, or at batch 2. Exact either way. */
static void
test_transposed_concat (void)
{
  YoloGraph *g;
  YoloNode *n;

  for (int c = 0; c < 3; c++) {
    /* c 0: rewritten; 1: the Concat's output is a graph output too;
     * 2: batch 2 */
    gint64 b = c == 2 ? 2 : 1;

    g = yolo_test_graph (23);
    yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 3, DIMS (b, 85, 37), -3, 3);
    yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 3, DIMS (b, 85, 9), -3, 3);
    yolo_test_input (g, "C", YOLO_DTYPE_FLOAT, 3, DIMS (b, 85, 5), -3, 3);
    yolo_test_node (g, "Relu", "A", "a");
    yolo_test_node (g, "Relu", "B", "b");
    yolo_test_node (g, "Relu", "C", "c");
    n = yolo_test_node (g, "Concat", "a,b,c", "cat");
    attr_i (n, "axis", c == 1 ? -1 : 2);
    n = yolo_test_node (g, "Transpose", "cat", "Y");
    ATTR_INTS (n, "perm", 0, 2, 1);
    if (c == 1)
      outputs (g, "Y,cat");
    else
      outputs (g, "Y");
    yolo_test_expect_kernel ("movement_copy_nd", c != 0);
    yolo_test_check (g, c == 0 ? "transposed concat"
        : c == 1 ? "transposed concat, concat read twice"
        : "transposed concat, batch 2", 0.0f, 0.0f, TRUE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
}

static void
test_tile_expand_pad (void)
{
  YoloGraph *g;
  YoloNode *n;

  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 30, 1);
  CONST_I (g, "r", 1, 1, 80);
  yolo_test_node (g, "Tile", "X,r", "Y");
  outputs (g, "Y");
  EXACT (g, "tile yolo26");

  g = yolo_test_graph (13);
  yolo_test_input (g, "X", YOLO_DTYPE_INT64, 3, DIMS (2, 3, 5), -9, 9);
  CONST_I (g, "r", 3, 1, 2);
  yolo_test_node (g, "Tile", "X,r", "Y");
  outputs (g, "Y");
  EXACT (g, "tile int");

  g = yolo_test_graph (13);
  IN_F (g, "X", 3, 1, 5);
  CONST_I (g, "s", 2, 1, 4, 1);
  yolo_test_node (g, "Expand", "X,s", "Y");
  outputs (g, "Y");
  EXACT (g, "expand");

  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 7);
  CONST_I (g, "s", 3, 1);
  yolo_test_node (g, "Expand", "X,s", "Y");
  outputs (g, "Y");
  EXACT (g, "expand 2");

  const char *modes[] = { "constant", "reflect", "edge", "wrap" };
  for (int m = 0; m < 4; m++) {
    char *label = g_strdup_printf ("pad %s", modes[m]);
    g = yolo_test_graph (19);
    IN_F (g, "X", 1, 3, 5, 6);
    CONST_I (g, "p", 0, 1, 2, 3, 0, 0, 1, 2);
    yolo_test_const_floats (g, "v", 0, NULL, (float[]) { 1.5f });
    n = yolo_test_node (g, "Pad", "X,p,v", "Y");
    attr_s (n, "mode", modes[m]);
    outputs (g, "Y");
    EXACT (g, label);
    g_free (label);
  }

  /* Negative pads crop; opset 2-10 attributes. */
  g = yolo_test_graph (10);
  IN_F (g, "X", 4, 9);
  n = yolo_test_node (g, "Pad", "X", "Y");
  ATTR_INTS (n, "pads", -1, 2, 1, -3);
  attr_f (n, "value", -7.0f);
  outputs (g, "Y");
  EXACT (g, "pad negative (attrs)");

  /* Reflect / edge against onnxruntime. */
  for (int m = 1; m <= 2; m++) {
    gint64 xd[2] = { 2, 3 };
    float xv[6] = { 0, 1, 2, 3, 4, 5 };
    g = yolo_test_graph (13);
    yolo_test_const_floats (g, "X", 2, xd, xv);
    CONST_I (g, "p", 1, 2, 0, 2);
    n = yolo_test_node (g, "Pad", "X,p", "Y");
    attr_s (n, "mode", modes[m]);
    g = host_run (g);
    if (!g)
      continue;
    if (m == 1)
      expect_floats (g, "Y", "5 4 3 4 5 4 3 2 1 0 1 2 1 0 5 4 3 4 5 4 3", 0);
    else
      expect_floats (g, "Y", "0 0 0 1 2 2 2 0 0 0 1 2 2 2 3 3 3 4 5 5 5", 0);
    yolo_graph_free (g);
  }
}

/* ---- reduce ---- */

static void
softmax_case (const char *label, gint64 opset, const char *op, int axis,
    gboolean has_axis, int ndim, const gint64 * dims)
{
  YoloGraph *g = yolo_test_graph (opset);
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, ndim, dims, -6, 6);
  YoloNode *n = yolo_test_node (g, op, "X", "Y");
  if (has_axis)
    attr_i (n, "axis", axis);
  outputs (g, "Y");
  yolo_test_check (g, label, 1e-6f, 1e-4f, FALSE);
}

static void
test_softmax (void)
{
  softmax_case ("softmax DFL", 17, "Softmax", 1, TRUE, 4,
      DIMS (1, 16, 4, 8400));
  softmax_case ("softmax DFL odd", 17, "Softmax", 1, TRUE, 4,
      DIMS (1, 16, 4, 333));
  softmax_case ("softmax attn", 17, "Softmax", -1, TRUE, 4,
      DIMS (1, 2, 100, 100));
  softmax_case ("softmax default axis", 17, "Softmax", 0, FALSE, 3,
      DIMS (3, 5, 13));
  softmax_case ("softmax rows short", 17, "Softmax", 2, TRUE, 3,
      DIMS (3, 5, 3));
  softmax_case ("softmax axis 0", 17, "Softmax", 0, TRUE, 3, DIMS (7, 3, 5));
  softmax_case ("softmax opset 11", 11, "Softmax", 1, TRUE, 4,
      DIMS (2, 3, 5, 7));
  softmax_case ("softmax opset 11 default", 11, "Softmax", 0, FALSE, 3,
      DIMS (2, 3, 17));
  softmax_case ("softmax opset 12 DFL", 12, "Softmax", 3, TRUE, 4,
      DIMS (1, 333, 4, 16));
  softmax_case ("log softmax", 17, "LogSoftmax", 1, TRUE, 3, DIMS (2, 11, 9));
  softmax_case ("log softmax rows", 17, "LogSoftmax", -1, TRUE, 2,
      DIMS (5, 37));

  /* Opset 11 coerces to 2-D at the axis (values from onnxruntime). */
  for (int op = 11; op <= 13; op += 2) {
    gint64 xd[3] = { 2, 2, 3 };
    float xv[12];
    for (int i = 0; i < 12; i++)
      xv[i] = i * 0.25f;
    YoloGraph *g = yolo_test_graph (op);
    yolo_test_const_floats (g, "X", 3, xd, xv);
    YoloNode *n = yolo_test_node (g, "Softmax", "X", "Y");
    attr_i (n, "axis", 1);
    g = host_run (g);
    if (!g)
      continue;
    if (op == 11)
      expect_floats (g, "Y",
          "0.0815769 0.1047468 0.1344976 0.1726983 0.2217490 0.2847314 "
          "0.0815769 0.1047468 0.1344976 0.1726983 0.2217490 0.2847314", 1e-6f);
    else
      expect_floats (g, "Y",
          "0.3208213 0.3208213 0.3208213 0.6791787 0.6791787 0.6791787 "
          "0.3208213 0.3208213 0.3208213 0.6791787 0.6791787 0.6791787", 1e-6f);
    yolo_graph_free (g);
  }
}

static void
reduce_case (const char *label, gint64 opset, const char *op, int ndim,
    const gint64 * dims, int na, const gint64 * axes, gboolean axes_input,
    int keepdims, int noop)
{
  YoloGraph *g = yolo_test_graph (opset);
  YoloNode *n;
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, ndim, dims, -2, 2);
  if (axes_input && na >= 0) {
    yolo_test_const_ints (g, "ax", 1, DIMS (na), axes);
    n = yolo_test_node (g, op, "X,ax", "Y");
  } else {
    n = yolo_test_node (g, op, "X", "Y");
    if (na >= 0)
      yolo_test_attr_ints (n, "axes", na, axes);
  }
  if (keepdims >= 0)
    attr_i (n, "keepdims", keepdims);
  if (noop)
    attr_i (n, "noop_with_empty_axes", 1);
  outputs (g, "Y");
  yolo_test_check (g, label, 1e-5f, 1e-4f, FALSE);
}

static void
test_reduce (void)
{
  reduce_case ("reducemax yolo26", 18, "ReduceMax", 3, DIMS (1, 333, 80),
      1, DIMS (-1), TRUE, 0, 0);
  reduce_case ("reducemax attr", 13, "ReduceMax", 3, DIMS (2, 7, 19),
      1, DIMS (1), FALSE, 1, 0);
  reduce_case ("reducemin", 13, "ReduceMin", 4, DIMS (2, 3, 5, 7),
      2, DIMS (1, 3), FALSE, 1, 0);
  reduce_case ("reducesum input", 13, "ReduceSum", 4, DIMS (2, 3, 5, 7),
      2, DIMS (0, 2), TRUE, 0, 0);
  reduce_case ("reducesum all", 13, "ReduceSum", 3, DIMS (3, 4, 5),
      -1, NULL, TRUE, 1, 0);
  reduce_case ("reducesum noop", 13, "ReduceSum", 2, DIMS (3, 4),
      -1, NULL, TRUE, 1, 1);
  reduce_case ("reducemean", 13, "ReduceMean", 4, DIMS (1, 16, 9, 11),
      2, DIMS (2, 3), FALSE, 1, 0);
  reduce_case ("reducemean 18", 18, "ReduceMean", 3, DIMS (4, 33, 2),
      1, DIMS (-2), TRUE, 1, 0);
  reduce_case ("reduceprod", 13, "ReduceProd", 2, DIMS (5, 6),
      1, DIMS (1), FALSE, 1, 0);
  reduce_case ("reducel2", 13, "ReduceL2", 3, DIMS (3, 5, 7),
      1, DIMS (0), FALSE, 0, 0);
  reduce_case ("reducel1", 13, "ReduceL1", 3, DIMS (3, 5, 7),
      1, DIMS (2), FALSE, 0, 0);
  reduce_case ("reducesumsquare", 13, "ReduceSumSquare", 3, DIMS (3, 5, 7),
      1, DIMS (1), FALSE, 0, 0);
  reduce_case ("reducelogsumexp", 13, "ReduceLogSumExp", 3, DIMS (3, 5, 17),
      2, DIMS (0, 2), FALSE, 1, 0);
}

static void
test_argmax (void)
{
  for (int last = 0; last < 2; last++)
    for (int op = 0; op < 2; op++) {
      char *label = g_strdup_printf ("%s last%d", op ? "ArgMin" : "ArgMax",
          last);
      YoloGraph *g = yolo_test_graph (13);
      /* small integer values give ties */
      int xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 3, DIMS (3, 9, 7),
          -3, 3);
      float *xv = YOLO_T (g, xi)->data;
      for (int i = 0; i < 3 * 9 * 7; i++)
        xv[i] = floorf (xv[i]);
      YoloNode *n = yolo_test_node (g, op ? "ArgMin" : "ArgMax", "X", "Y");
      attr_i (n, "axis", -2);
      attr_i (n, "keepdims", last);
      attr_i (n, "select_last_index", last);
      outputs (g, "Y");
      EXACT (g, label);
      g_free (label);
    }
}

/* ---- matmul ---- */

static void
matmul_case (const char *label, int na, const gint64 * ad, int nb,
    const gint64 * bd)
{
  YoloGraph *g = yolo_test_graph (17);
  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, na, ad, -1, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, nb, bd, -1, 1);
  yolo_test_node (g, "MatMul", "A,B", "Y");
  outputs (g, "Y");
  yolo_test_check (g, label, 1e-4f, 1e-4f, FALSE);
}

/* MatMul with a fused activation and residual (as the fusion pass makes
 * them), batch dims, sizes not multiples of the tiles. */
static void
matmul_fused_case (const char *label, gint64 M, gint64 K, gint64 N)
{
  YoloGraph *g = yolo_test_graph (17);
  YoloNode *n;

  yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 4, DIMS (2, 3, M, K), -1, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 4, DIMS (2, 3, K, N), -1, 1);
  n = yolo_test_node (g, "MatMul", "A,B", "Y");
  n->act = YOLO_ACT_SILU;
  n->residual = yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4,
      DIMS (2, 3, M, N), -1, 1);
  outputs (g, "Y");
  yolo_test_check (g, label, 1e-4f, 1e-4f, FALSE);
}

static void
matmul_cases (void)
{
  matmul_case ("matmul attn qk", 4, DIMS (1, 2, 100, 32), 4,
      DIMS (1, 2, 32, 100));
  matmul_case ("matmul attn v", 4, DIMS (1, 2, 64, 100), 4,
      DIMS (1, 2, 100, 100));
  matmul_case ("matmul 400", 4, DIMS (1, 2, 400, 32), 4, DIMS (1, 2, 32, 400));
  matmul_case ("matmul odd", 2, DIMS (13, 7), 2, DIMS (7, 11));
  matmul_case ("matmul broadcast", 4, DIMS (2, 1, 5, 7), 3, DIMS (3, 7, 9));
  matmul_case ("matmul broadcast B", 3, DIMS (3, 6, 17), 2, DIMS (17, 19));
  matmul_case ("matmul 1-D A", 1, DIMS (9), 3, DIMS (2, 9, 10));
  matmul_case ("matmul 1-D B", 3, DIMS (2, 5, 9), 1, DIMS (9));
  matmul_case ("matmul 1-D both", 1, DIMS (33), 1, DIMS (33));
  matmul_case ("matmul 1x1", 2, DIMS (1, 1), 2, DIMS (1, 1));

  /* Gemm: transposes, alpha/beta, C broadcast. */
  for (int t = 0; t < 4; t++)
    for (int c = 0; c < 4; c++) {
      gint64 M = 11, K = 13, N = 17;
      char *label = g_strdup_printf ("gemm tA%d tB%d C%d", t & 1, t >> 1, c);
      YoloGraph *g = yolo_test_graph (13);
      gint64 ad[2] = { (t & 1) ? K : M, (t & 1) ? M : K };
      gint64 bd[2] = { (t >> 1) ? N : K, (t >> 1) ? K : N };
      yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, ad, -1, 1);
      yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 2, bd, -1, 1);
      if (c == 1)
        yolo_test_const (g, "C", YOLO_DTYPE_FLOAT, 1, DIMS (N), -1, 1);
      else if (c == 2)
        yolo_test_const (g, "C", YOLO_DTYPE_FLOAT, 2, DIMS (M, 1), -1, 1);
      else if (c == 3)
        yolo_test_input (g, "C", YOLO_DTYPE_FLOAT, 2, DIMS (M, N), -1, 1);
      YoloNode *n = yolo_test_node (g, "Gemm", c ? "A,B,C" : "A,B", "Y");
      attr_i (n, "transA", t & 1);
      attr_i (n, "transB", t >> 1);
      attr_f (n, "alpha", 0.75f);
      attr_f (n, "beta", c == 3 ? -1.5f : 1.0f);
      outputs (g, "Y");
      yolo_test_check (g, label, 1e-4f, 1e-4f, FALSE);
      g_free (label);
    }
  /* Several tiles in each dimension, K not a multiple of the K step. */
  for (int t = 0; t < 4; t++) {
    gint64 M = 130, K = 37, N = 71;
    char *label = g_strdup_printf ("gemm large tA%d tB%d", t & 1, t >> 1);
    YoloGraph *g = yolo_test_graph (13);
    gint64 ad[2] = { (t & 1) ? K : M, (t & 1) ? M : K };
    gint64 bd[2] = { (t >> 1) ? N : K, (t >> 1) ? K : N };
    yolo_test_input (g, "A", YOLO_DTYPE_FLOAT, 2, ad, -1, 1);
    yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 2, bd, -1, 1);
    yolo_test_const (g, "C", YOLO_DTYPE_FLOAT, 1, DIMS (N), -1, 1);
    YoloNode *n = yolo_test_node (g, "Gemm", "A,B,C", "Y");
    attr_i (n, "transA", t & 1);
    attr_i (n, "transB", t >> 1);
    attr_f (n, "alpha", 0.5f);
    outputs (g, "Y");
    yolo_test_check (g, label, 1e-4f, 1e-4f, FALSE);
    g_free (label);
  }
  matmul_case ("matmul 3 tiles", 3, DIMS (2, 150, 40), 3, DIMS (2, 40, 129));
  matmul_case ("matmul K 1", 2, DIMS (65, 1), 2, DIMS (1, 66));
  matmul_case ("matmul K 300", 2, DIMS (33, 300), 2, DIMS (300, 35));
  matmul_fused_case ("matmul act res", 70, 37, 130);
  matmul_fused_case ("matmul act res small", 5, 3, 9);
}

/* Every case by device choice; then with the tiled local-memory kernels
 * forced: matmul_tiled (16x16 work-items, 8 KiB) or, where the device
 * allows only 32 work-items per group, matmul_tiled_wg32 (8x4, 4 KiB);
 * then under emulated device limits that rule out one or both (then
 * matmul_tile runs); then with matmul_tile forced. */
static void
test_matmul (void)
{
  static const struct
  {
    gint64 max_work_group_size, max_local_mem_size;
    const char *runs, *not_runs;
  } limits[] = {
    {64, 0, "matmul_tiled_wg32", "matmul_tiled"},
    /* matmul_tiled_wg32 declares 4 KiB; Mesa 22's rusticl reports 8. */
    {0, 8191, NULL, "matmul_tiled"},
    {31, 0, "matmul_tile", "matmul_tiled|matmul_tiled_wg32"},
    {0, 4095, "matmul_tile", "matmul_tiled|matmul_tiled_wg32"},
  };
  YoloEngineOptions opt = {.matmul_kernel = "tiled" };

  matmul_cases ();
  yolo_test_set_options (&opt);
  yolo_test_expect_kernel ("matmul_tiled|matmul_tiled_wg32", TRUE);
  yolo_test_expect_kernel ("matmul_tile", FALSE);
  matmul_cases ();
  yolo_test_expect_kernel (NULL, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (limits); i++) {
    opt.max_work_group_size = limits[i].max_work_group_size;
    opt.max_local_mem_size = limits[i].max_local_mem_size;
    yolo_test_set_options (&opt);
    if (limits[i].runs)
      yolo_test_expect_kernel (limits[i].runs, TRUE);
    yolo_test_expect_kernel (limits[i].not_runs, FALSE);
    matmul_cases ();
    yolo_test_expect_kernel (NULL, FALSE);
  }
  opt.matmul_kernel = "tile";
  opt.max_work_group_size = 0;
  opt.max_local_mem_size = 0;
  yolo_test_set_options (&opt);
  yolo_test_expect_kernel ("matmul_tile", TRUE);
  yolo_test_expect_kernel ("matmul_tiled|matmul_tiled_wg32", FALSE);
  matmul_cases ();
  yolo_test_set_options (NULL);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* ---- index ---- */

static void
test_gather (void)
{
  YoloGraph *g;
  YoloNode *n;

  /* YOLO26: Gather axis 0 of [300,1] int data with [1,300] indices. */
  g = yolo_test_graph (13);
  yolo_test_input (g, "X", YOLO_DTYPE_INT64, 2, DIMS (300, 1), 0, 8400);
  yolo_test_input (g, "I", YOLO_DTYPE_INT64, 2, DIMS (1, 300), -300, 299);
  n = yolo_test_node (g, "Gather", "X,I", "Y");
  attr_i (n, "axis", 0);
  outputs (g, "Y");
  EXACT (g, "gather yolo26");

  g = yolo_test_graph (13);
  IN_F (g, "X", 3, 7, 5);
  yolo_test_input (g, "I", YOLO_DTYPE_INT64, 2, DIMS (2, 4), -7, 6);
  n = yolo_test_node (g, "Gather", "X,I", "Y");
  attr_i (n, "axis", -2);
  outputs (g, "Y");
  EXACT (g, "gather axis -2");

  g = yolo_test_graph (13);
  IN_F (g, "X", 4, 6);
  yolo_test_const_ints (g, "I", 0, NULL, DIMS (-1));
  n = yolo_test_node (g, "Gather", "X,I", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  EXACT (g, "gather scalar index");

  g = yolo_test_graph (13);
  IN_F (g, "X", 1, 333, 80);
  yolo_test_input (g, "I", YOLO_DTYPE_INT64, 3, DIMS (1, 30, 80), -333, 332);
  n = yolo_test_node (g, "GatherElements", "X,I", "Y");
  attr_i (n, "axis", 1);
  outputs (g, "Y");
  EXACT (g, "gatherelements axis 1");

  g = yolo_test_graph (13);
  IN_F (g, "X", 3, 4, 9);
  yolo_test_input (g, "I", YOLO_DTYPE_INT64, 3, DIMS (2, 3, 5), -9, 8);
  n = yolo_test_node (g, "GatherElements", "X,I", "Y");
  attr_i (n, "axis", -1);
  outputs (g, "Y");
  EXACT (g, "gatherelements smaller indices");
}

static void
topk_case (const char *label, int ndim, const gint64 * dims, float lo,
    float hi, YoloDType dt, gint64 k, int axis, int largest)
{
  YoloGraph *g = yolo_test_graph (13);
  yolo_test_input (g, "X", dt, ndim, dims, lo, hi);
  yolo_test_const_ints (g, "K", 1, DIMS (1), &k);
  YoloNode *n = yolo_test_node (g, "TopK", "X,K", "V,I");
  attr_i (n, "axis", axis);
  attr_i (n, "largest", largest);
  outputs (g, "V,I");
  EXACT (g, label);
}

/* rows x n floats already in order: ascending when largest (and
 * descending otherwise), so every element beats the worst of a bounded heap
 * and sifts all the way: the most loop iterations per element (llvmpipe
 * stops a work-item's loops after 65535 iterations in all). */
static void
topk_sorted_case (const char *label, gint64 rows, gint64 n, gint64 k,
    int largest)
{
  YoloGraph *g = yolo_test_graph (13);
  int xi = yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, DIMS (rows, n), 0, 1);
  float *x = YOLO_T (g, xi)->data;
  for (gint64 i = 0; i < rows * n; i++)
    x[i] = largest ? i % n : n - i % n;
  yolo_test_const_ints (g, "K", 1, DIMS (1), &k);
  YoloNode *nd = yolo_test_node (g, "TopK", "X,K", "V,I");
  attr_i (nd, "axis", 1);
  attr_i (nd, "largest", largest);
  outputs (g, "V,I");
  EXACT (g, label);
}

static void
test_topk (void)
{
  topk_case ("topk 8400", 2, DIMS (1, 8400), 0, 1, YOLO_DTYPE_FLOAT, 300,
      -1, 1);
  topk_case ("topk 24000", 2, DIMS (1, 24000), 0, 1, YOLO_DTYPE_FLOAT, 300,
      1, 1);
  topk_case ("topk ties", 2, DIMS (3, 500), -5, 5, YOLO_DTYPE_INT64, 77, -1, 1);
  topk_case ("topk smallest ties", 2, DIMS (2, 301), -3, 3,
      YOLO_DTYPE_INT64, 40, -1, 0);
  topk_case ("topk float ties", 3, DIMS (2, 100, 3), 0, 0, YOLO_DTYPE_FLOAT,
      9, 1, 1);
  topk_case ("topk inner axis", 3, DIMS (2, 50, 7), -1, 1, YOLO_DTYPE_FLOAT,
      13, 1, 0);
  topk_case ("topk k=n", 2, DIMS (4, 33), -1, 1, YOLO_DTYPE_FLOAT, 33, -1, 1);
  topk_case ("topk k=1", 2, DIMS (4, 33), -1, 1, YOLO_DTYPE_FLOAT, 1, -1, 1);

  /* Rows longer than one segment (see ops/index.c): 49 segments, two
   * merges (the second group one list short); 25 and 15 segments thinned
   * by the threshold; ties across segments; k larger than a segment; k = n;
   * many rows at once. */
  topk_case ("topk 100000", 2, DIMS (1, 100000), -1, 1, YOLO_DTYPE_FLOAT,
      300, -1, 1);
  topk_case ("topk 2x50000 k=5", 2, DIMS (2, 50000), -1, 1,
      YOLO_DTYPE_FLOAT, 5, -1, 1);
  topk_case ("topk long inner axis", 3, DIMS (2, 30000, 3), -1, 1,
      YOLO_DTYPE_FLOAT, 50, 1, 0);
  topk_case ("topk long ties", 2, DIMS (2, 20000), -5, 5, YOLO_DTYPE_INT64,
      300, -1, 1);
  topk_case ("topk long smallest ties", 2, DIMS (2, 20000), -5, 5,
      YOLO_DTYPE_INT64, 300, -1, 0);
  topk_case ("topk long float ties", 2, DIMS (1, 9000), 0, 0,
      YOLO_DTYPE_FLOAT, 300, -1, 1);
  topk_case ("topk long k=5000", 2, DIMS (1, 30000), -1, 1, YOLO_DTYPE_FLOAT,
      5000, -1, 0);
  topk_case ("topk long k=20000", 2, DIMS (1, 70000), -1, 1,
      YOLO_DTYPE_FLOAT, 20000, -1, 1);
  topk_case ("topk long k=n", 2, DIMS (1, 5000), -50, 50, YOLO_DTYPE_INT64,
      5000, -1, 1);
  topk_case ("topk long rows", 2, DIMS (40, 3000), -1, 1, YOLO_DTYPE_FLOAT,
      10, -1, 1);
  topk_sorted_case ("topk ascending", 1, 40000, 300, 1);
  topk_sorted_case ("topk descending smallest", 2, 40000, 1000, 0);

  /* Around the limits of ops/index.c: one segment (2048, or 1024 when
   * k > 512) or two; 32 segments (one merge, threshold) or 33; 1026
   * segments (three merges, groups padded with missing lists). */
  static const gint64 bounds[][6] = {
    /* outer, n, inner, k, largest, integer */
    {1, 2048, 1, 300, 1, 0}, {1, 2049, 1, 300, 1, 0},
    {1, 2049, 1, 2049, 0, 0}, {1, 4097, 1, 1, 1, 0}, {1, 4097, 2, 513, 1, 0},
    {1, 1025, 1, 513, 1, 1}, {1, 1025, 1, 1025, 0, 1},
    {1, 65536, 1, 300, 1, 0}, {1, 65537, 1, 300, 0, 0},
    {1, 65537, 1, 2048, 1, 0}, {3, 9000, 2, 64, 1, 0},
    {1, 33000, 1, 32, 0, 1}, {1, 2100000, 1, 300, 1, 0},
  };
  for (guint c = 0; c < G_N_ELEMENTS (bounds); c++) {
    const gint64 *b = bounds[c];
    char *label = g_strdup_printf ("topk bounds %u: [%" G_GINT64_FORMAT
        ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "] k=%" G_GINT64_FORMAT, c,
        b[0], b[1], b[2], b[3]);
    topk_case (label, 3, b, b[5] ? -9 : -1, b[5] ? 9 : 1,
        b[5] ? YOLO_DTYPE_INT64 : YOLO_DTYPE_FLOAT, b[3], 1, b[4]);
    g_free (label);
  }

  /* Ties like onnxruntime: lower index first. */
  for (int largest = 0; largest < 2; largest++) {
    gint64 xd[2] = { 1, 8 }, kk = 5;
    float xv[8] = { 3, 1, 3, 2, 5, 5, 1, 3 };
    YoloGraph *g = yolo_test_graph (13);
    yolo_test_const_floats (g, "X", 2, xd, xv);
    yolo_test_const_ints (g, "K", 1, DIMS (1), &kk);
    YoloNode *n = yolo_test_node (g, "TopK", "X,K", "V,I");
    attr_i (n, "largest", largest);
    g = host_run (g);
    if (!g)
      continue;
    if (largest) {
      expect_floats (g, "V", "5 5 3 3 3", 0);
      expect_floats (g, "I", "4 5 0 2 7", 0);
    } else {
      expect_floats (g, "V", "1 1 2 3 3", 0);
      expect_floats (g, "I", "1 6 3 0 2", 0);
    }
    yolo_graph_free (g);
  }
}

static void
test_topk_speed (void)
{
  /* YOLO26's second TopK: k=300 over 24000 scores, once per frame. */
  YoloGraph *g = yolo_test_graph (13);
  GError *err = NULL;
  gint64 k = 300;
  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    yolo_graph_free (g);
    return;
  }
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, DIMS (1, 24000), 0, 1);
  yolo_test_const_ints (g, "K", 1, DIMS (1), &k);
  yolo_test_node (g, "TopK", "X,K", "V,I");
  outputs (g, "V,I");
  YoloEngine *e = yolo_engine_new_from_graph (g, NULL, FALSE, &err);
  g_assert_no_error (err);
  float *x = g_new (float, 24000);
  for (int i = 0; i < 24000; i++)
    x[i] = yolo_test_rand (0, 1);
  g_assert_true (yolo_engine_set_input_n (e, 0, x, &err));
  g_assert_true (yolo_engine_run (e, &err));    /* warm-up */
  gint64 t0 = g_get_monotonic_time ();
  for (int i = 0; i < 10; i++)
    g_assert_true (yolo_engine_run (e, &err));
  double ms = (g_get_monotonic_time () - t0) / 10.0 / 1000.0;
  g_test_message ("TopK k=300 of 24000: %.3f ms per run", ms);
  g_assert_cmpfloat (ms, <, 50.0);
  g_free (x);
  yolo_engine_free (e);
}

/* ---- YOLO26 post-processing chain ---- */

static void
test_yolo26_chain (void)
{
  /* scores [1,N,C] -> ReduceMax -> TopK -> Unsqueeze -> Tile ->
   * GatherElements -> Flatten -> TopK -> (Div, Mod) -> Gather. */
  const gint64 N = 840, C = 80, K = 30;
  gboolean divmod = yolo_ops_lookup ("Div") && yolo_ops_lookup ("Mod");
  YoloGraph *g = yolo_test_graph (20);
  YoloNode *n;
  yolo_test_input (g, "S", YOLO_DTYPE_FLOAT, 3, DIMS (1, N, C), 0, 1);
  yolo_test_input (g, "B", YOLO_DTYPE_FLOAT, 3, DIMS (1, N, 4), 0, 640);
  CONST_I (g, "m1", -1);
  n = yolo_test_node (g, "ReduceMax", "S,m1", "mx");
  attr_i (n, "keepdims", 0);
  yolo_test_const_ints (g, "k", 1, DIMS (1), &K);
  n = yolo_test_node (g, "TopK", "mx,k", "tv,ti");
  attr_i (n, "axis", -1);
  yolo_test_node (g, "Unsqueeze", "ti,m1", "tu");       /* [1,K,1] */
  CONST_I (g, "rep", 1, 1, C);
  yolo_test_node (g, "Tile", "tu,rep", "tt");
  n = yolo_test_node (g, "GatherElements", "S,tt", "ge");       /* [1,K,C] */
  attr_i (n, "axis", 1);
  n = yolo_test_node (g, "Flatten", "ge", "fl");        /* [1,K*C] */
  attr_i (n, "axis", 1);
  n = yolo_test_node (g, "TopK", "fl,k", "sv,si");
  attr_i (n, "axis", -1);
  CONST_I (g, "rep4", 1, 1, 4);
  yolo_test_node (g, "Tile", "tu,rep4", "t4");
  n = yolo_test_node (g, "GatherElements", "B,t4", "boxes");
  attr_i (n, "axis", 1);
  if (divmod) {
    yolo_test_const_ints (g, "c", 0, NULL, &C);
    yolo_test_node (g, "Div", "si,c", "q");
    n = yolo_test_node (g, "Mod", "si,c", "cls");
    attr_i (n, "fmod", 0);
    n = yolo_test_node (g, "Flatten", "tu", "tf");      /* [K,1] */
    attr_i (n, "axis", 2);
    n = yolo_test_node (g, "Gather", "tf,q", "anchor"); /* [1,K,1] */
    attr_i (n, "axis", 0);
    outputs (g, "sv,si,boxes,cls,anchor");
  } else {
    outputs (g, "sv,si,boxes");
  }
  yolo_test_check (g, "yolo26 chain", 0.0f, 0.0f, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (1234);
  g_test_add_func ("/ops-misc/shape/views", test_views);
  g_test_add_func ("/ops-misc/shape/folding", test_shape_folding);
  g_test_add_func ("/ops-misc/shape/nonconst-error", test_nonconst_param_error);
  g_test_add_func ("/ops-misc/movement/concat", test_concat);
  g_test_add_func ("/ops-misc/movement/split", test_split);
  g_test_add_func ("/ops-misc/movement/slice", test_slice);
  g_test_add_func ("/ops-misc/movement/transpose", test_transpose);
  g_test_add_func ("/ops-misc/movement/transposed-concat",
      test_transposed_concat);
  g_test_add_func ("/ops-misc/movement/tile-expand-pad", test_tile_expand_pad);
  g_test_add_func ("/ops-misc/reduce/softmax", test_softmax);
  g_test_add_func ("/ops-misc/reduce/reduce", test_reduce);
  g_test_add_func ("/ops-misc/reduce/argmax", test_argmax);
  g_test_add_func ("/ops-misc/matmul", test_matmul);
  g_test_add_func ("/ops-misc/index/gather", test_gather);
  g_test_add_func ("/ops-misc/index/topk", test_topk);
  g_test_add_func ("/ops-misc/index/topk-speed", test_topk_speed);
  g_test_add_func ("/ops-misc/yolo26-chain", test_yolo26_chain);
  /* half storage (yolo_test_add_half) */
  yolo_test_add_half ("/ops-misc/half/concat", test_concat);
  yolo_test_add_half ("/ops-misc/half/split", test_split);
  yolo_test_add_half ("/ops-misc/half/slice", test_slice);
  yolo_test_add_half ("/ops-misc/half/transpose", test_transpose);
  yolo_test_add_half ("/ops-misc/half/tile-expand-pad", test_tile_expand_pad);
  yolo_test_add_half ("/ops-misc/half/softmax", test_softmax);
  yolo_test_add_half ("/ops-misc/half/reduce", test_reduce);
  yolo_test_add_half ("/ops-misc/half/argmax", test_argmax);
  yolo_test_add_half ("/ops-misc/half/matmul", test_matmul);
  return g_test_run ();
}
