/* test-attention.c - the fused attention (issue 12):
 *  - kernel: ScaledDotProductAttention nodes made by hand (odd sizes,
 *    transposed and offset views) on each OpenCL variant against the op's
 *    C reference;
 *  - pass: the attention subgraphs of YOLO11 (C2PSA) and YOLO12 (area
 *    attention) as Ultralytics exports them, fused and run against the
 *    unfused reference, and perturbed copies the pass must leave alone
 *    (still correct);
 *  - the pass on the real yolo12n and yolo11n-640 files: 8 and 1 fused
 *    attentions. */
#include "yolo-test-util.h"
#include "ops/attention.h"

#include <math.h>
#include <string.h>

#define ATTN_KERNELS "attention_f16_c32|attention_tiled"

/* ---- kernel vs C reference ---- */

/* One node: B0 x B1 attentions of NQ queries, NK keys, D, DV channels.
 * layout 0: Q, K, V, O as [B0, B1, D|DV, N] (the YOLO layouts);
 * layout 1: as [B1, N, B0, D|DV] plus an offset of 3 elements (the
 * transposed, strided case). */
static void
kernel_case (const char *variant, gint64 B0, gint64 B1, gint64 D, gint64 DV,
    gint64 NQ, gint64 NK, int layout, float scale, gboolean res)
{
  YoloGraph *g = yolo_test_graph (18);
  YoloNode *n;
  char *label = g_strdup_printf ("%s B%" G_GINT64_FORMAT "x%" G_GINT64_FORMAT
      " D%" G_GINT64_FORMAT " DV%" G_GINT64_FORMAT " NQ%" G_GINT64_FORMAT
      " NK%" G_GINT64_FORMAT " layout %d%s", variant, B0, B1, D, DV, NQ, NK,
      layout, res ? " residual" : "");
  const char *names[3] = { "Q", "K", "V" };
  gint64 ch[4] = { D, D, DV, DV }, len[4] = { NQ, NK, NK, NQ };
  YoloEngineOptions opt = {.matmul_kernel = variant };

  gint64 views[4][5];

  for (int t = 0; t < 4; t++) {
    gint64 c = ch[t], m = len[t];
    if (layout == 0) {
      /* [B0, B1, c, m] */
      gint64 v[5] = { 0, B1 * c * m, c * m, m, 1 };
      memcpy (views[t], v, sizeof v);
    } else {
      /* [B1, m, B0, c], the inputs 3 elements in */
      gint64 v[5] = { t < 3 ? 3 : 0, c, m * B0 * c, 1, B0 * c };
      memcpy (views[t], v, sizeof v);
    }
    if (t == 3)
      break;
    if (layout == 0)
      yolo_test_input (g, names[t], YOLO_DTYPE_FLOAT, 4, DIMS (B0, B1, c, m),
          -2.0f, 2.0f);
    else
      yolo_test_input (g, names[t], YOLO_DTYPE_FLOAT, 1,
          DIMS (3 + B1 * m * B0 * c), -2.0f, 2.0f);
  }
  n = yolo_test_node (g, YOLO_ATTENTION_OP, "Q,K,V", "O");
  ATTR_INTS (n, "dims", B0, B1, D, DV, NQ, NK);
  yolo_node_add_attr (n, "scale", YOLO_ATTR_FLOAT)->f = scale;
  yolo_test_attr_ints (n, "q_view", 5, views[0]);
  yolo_test_attr_ints (n, "k_view", 5, views[1]);
  yolo_test_attr_ints (n, "v_view", 5, views[2]);
  yolo_test_attr_ints (n, "o_view", 5, views[3]);
  /* the output: every element written once */
  if (layout == 0)
    ATTR_INTS (n, "shape", B0, B1, DV, NQ);
  else
    ATTR_INTS (n, "shape", B1, NQ, B0, DV);
  /* a fused residual of the output's shape (the attention pass's Add) */
  if (res)
    n->residual = layout == 0 ?
        yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4, DIMS (B0, B1, DV, NQ),
        -1.0f, 1.0f) : yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4,
        DIMS (B1, NQ, B0, DV), -1.0f, 1.0f);
  yolo_test_output (g, "O");
  yolo_test_set_options (&opt);
  yolo_test_expect_kernel (!strcmp (variant, "attention-f16") ?
      "attention_f16_c32" : "attention_tiled", TRUE);
  yolo_test_check (g, label, 2e-5f, 1e-4f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_set_options (NULL);
  g_free (label);
}

static void
test_kernel (void)
{
  const char *variants[] = { "attention-f16", "attention-tiled" };

  if (!yolo_test_have_device ())
    return;
  for (int v = 0; v < 2; v++) {
    const char *var = variants[v];
    kernel_case (var, 1, 1, 1, 1, 1, 1, 0, 1.0f, FALSE);
    kernel_case (var, 1, 1, 3, 2, 5, 7, 0, 0.7f, FALSE);
    kernel_case (var, 2, 3, 7, 5, 17, 9, 0, 0.37f, FALSE);
    kernel_case (var, 3, 2, 13, 20, 33, 41, 1, 0.25f, FALSE);
    kernel_case (var, 1, 2, 32, 64, 100, 100, 0, 0.1767767f, FALSE);
    kernel_case (var, 4, 2, 32, 32, 97, 103, 1, 0.1767767f, FALSE);
    kernel_case (var, 1, 1, 64, 64, 16, 8, 0, 0.125f, FALSE);
    kernel_case (var, 2, 3, 7, 5, 17, 9, 0, 0.37f, TRUE);
    kernel_case (var, 3, 2, 13, 20, 33, 41, 1, 0.25f, TRUE);
    /* large scores: the online softmax's rescaling */
    kernel_case (var, 1, 1, 8, 3, 40, 300, 0, 9.0f, FALSE);
  }
  /* sizes only attention-f16 takes (D, DV > 64) */
  kernel_case ("attention-f16", 1, 2, 65, 80, 19, 23, 0, 0.1f, FALSE);
  kernel_case ("attention-f16", 2, 1, 70, 17, 21, 5, 1, 0.1f, FALSE);
}

/* A node as a hostile file could give it: views outside their tensors,
 * a 0 stride claiming 2^31-1 keys from 4 floats, a bad shape: one error
 * at load naming the node, nothing allocated for the claimed size. */
static void
test_invalid (void)
{
  static const struct
  {
    const char *what;
    gint64 dims[6], kv[5], shape;
  } cases[] = {
    {"view past the end", {1, 1, 2, 2, 2, 2}, {3, 0, 0, 2, 1}, 4},
    {"0 stride", {1, 1, 2, 2, 2, G_MAXINT32}, {0, 0, 0, 2, 0}, 4},
    {"negative stride", {1, 1, 2, 2, 2, 2}, {0, 0, 0, 2, -1}, 4},
    {"shape of another size", {1, 1, 2, 2, 2, 2}, {0, 0, 0, 2, 1}, 5},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloGraph *g = yolo_test_graph (18);
    GError *err = NULL;
    YoloNode *n;

    yolo_test_input (g, "Q", YOLO_DTYPE_FLOAT, 1, DIMS (4), -1, 1);
    yolo_test_input (g, "K", YOLO_DTYPE_FLOAT, 1, DIMS (4), -1, 1);
    yolo_test_input (g, "V", YOLO_DTYPE_FLOAT, 1, DIMS (4), -1, 1);
    n = yolo_test_node (g, YOLO_ATTENTION_OP, "Q,K,V", "O");
    yolo_test_attr_ints (n, "dims", 6, cases[c].dims);
    ATTR_INTS (n, "q_view", 0, 0, 0, 2, 1);
    yolo_test_attr_ints (n, "k_view", 5, cases[c].kv);
    yolo_test_attr_ints (n, "v_view", 5, cases[c].kv);
    ATTR_INTS (n, "o_view", 0, 0, 0, 2, 1);
    yolo_test_attr_ints (n, "shape", 1, &cases[c].shape);
    yolo_test_output (g, "O");
    g_assert_false (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_nonnull (err);
    g_test_message ("%s: %s", cases[c].what, err->message);
    g_assert_nonnull (strstr (err->message, "Scaled"));
    g_clear_error (&err);
    yolo_graph_free (g);
  }
}

/* ---- the pass on Ultralytics' subgraphs ---- */

typedef enum
{
  PERTURB_NONE,
  PERTURB_AXIS,                 /* Softmax over another axis */
  PERTURB_P_OUTPUT,             /* the probabilities are a graph output too */
  PERTURB_HEAD_SCALE,           /* a per-head scale, not a scalar */
  PERTURB_PERM,                 /* the Transpose of P is not a swap */
} Perturb;

static int
const_f (YoloGraph * g, const char *name, int ndim, const gint64 * dims,
    float v)
{
  gint64 n = 1;
  float *d;
  int t;

  for (int i = 0; i < ndim; i++)
    n *= dims[i];
  d = g_new (float, n);
  for (gint64 i = 0; i < n; i++)
    d[i] = v * (1.0f + 0.1f * i);
  t = yolo_test_const_floats (g, name, ndim, dims, d);
  g_free (d);
  return t;
}

static int
const_shape (YoloGraph * g, const char *name, int ndim, const gint64 * v)
{
  return yolo_test_const_ints (g, name, 1, DIMS (ndim), v);
}

/* YOLO12's AAttn (ultralytics/nn/modules/block.py), as exported:
 * qkv [1, 3C, H, W] -> [1, 3C, N] -> [1, N, 3C] -> [A, N/A, h, 3hd]
 * -> [A, h, 3hd, N/A] -> Split (q, k, v), q * scale, q^T k, Softmax,
 * v (attn^T) -> [A, N/A, h, hd] -> [1, H, W, C] -> [1, C, H, W]; v also
 * feeds the positional conv's input ([1, C, H, W]: a second output). */
static YoloGraph *
aattn_graph (gint64 A, gint64 h, gint64 hd, gint64 H, gint64 W, Perturb pb)
{
  YoloGraph *g = yolo_test_graph (18);
  gint64 C = h * hd, N = H * W, Na = N / A;
  YoloNode *n;

  yolo_test_input (g, "qkv", YOLO_DTYPE_FLOAT, 4, DIMS (1, 3 * C, H, W),
      -1.5f, 1.5f);
  const_shape (g, "s1", 3, DIMS (1, 3 * C, N));
  yolo_test_node (g, "Reshape", "qkv,s1", "r1");
  n = yolo_test_node (g, "Transpose", "r1", "t1");
  ATTR_INTS (n, "perm", 0, 2, 1);
  const_shape (g, "s2", 4, DIMS (A, Na, h, 3 * hd));
  yolo_test_node (g, "Reshape", "t1,s2", "r2");
  n = yolo_test_node (g, "Transpose", "r2", "t2");
  ATTR_INTS (n, "perm", 0, 2, 3, 1);
  yolo_test_const_ints (g, "split", 1, DIMS (3), DIMS (hd, hd, hd));
  n = yolo_test_node (g, "Split", "t2,split", "q,k,v");
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = 2;
  if (pb == PERTURB_HEAD_SCALE)
    const_f (g, "scale", 4, DIMS (1, h, 1, 1), 0.17f);
  else
    const_f (g, "scale", 0, NULL, 1.0f / sqrtf ((float) hd));
  yolo_test_node (g, "Mul", "q,scale", "qs");
  n = yolo_test_node (g, "Transpose", "qs", "qt");
  ATTR_INTS (n, "perm", 0, 1, 3, 2);
  yolo_test_node (g, "MatMul", "qt,k", "s");
  n = yolo_test_node (g, "Softmax", "s", "p");
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = pb == PERTURB_AXIS ?
      2 : -1;
  n = yolo_test_node (g, "Transpose", "p", "pt");
  if (pb == PERTURB_PERM)
    ATTR_INTS (n, "perm", 1, 0, 3, 2);
  else
    ATTR_INTS (n, "perm", 0, 1, 3, 2);
  /* the positional branch (v as [1, C, H, W] through a Sigmoid, in
   * place of the depthwise conv), before the second MatMul as exported */
  n = yolo_test_node (g, "Transpose", "v", "vt");
  ATTR_INTS (n, "perm", 0, 3, 1, 2);
  const_shape (g, "s3", 4, DIMS (1, H, W, C));
  yolo_test_node (g, "Reshape", "vt,s3", "vr");
  n = yolo_test_node (g, "Transpose", "vr", "pe");
  ATTR_INTS (n, "perm", 0, 3, 1, 2);
  yolo_test_node (g, "Sigmoid", "pe", "pes");
  yolo_test_node (g, "MatMul", "v,pt", "o");
  n = yolo_test_node (g, "Transpose", "o", "ot");
  ATTR_INTS (n, "perm", 0, 3, 1, 2);
  yolo_test_node (g, "Reshape", "ot,s3", "or");
  n = yolo_test_node (g, "Transpose", "or", "y0");
  ATTR_INTS (n, "perm", 0, 3, 1, 2);
  yolo_test_node (g, "Add", "y0,pes", "y");
  yolo_test_output (g, "y");
  yolo_test_output (g, "pe");
  if (pb == PERTURB_P_OUTPUT)
    yolo_test_output (g, "p");
  return g;
}

/* YOLO11's C2PSA Attention: qkv [1, h*(2kd+hd), H, W] -> [1, h, 2kd+hd,
 * N] -> Split (q, k, v), q^T k, * scale, Softmax, v (attn^T) -> [1, C,
 * H, W]. */
static YoloGraph *
psa_graph (gint64 h, gint64 kd, gint64 hd, gint64 H, gint64 W, Perturb pb)
{
  YoloGraph *g = yolo_test_graph (18);
  gint64 N = H * W;
  YoloNode *n;

  yolo_test_input (g, "qkv", YOLO_DTYPE_FLOAT, 4,
      DIMS (1, h * (2 * kd + hd), H, W), -1.5f, 1.5f);
  const_shape (g, "s1", 4, DIMS (1, h, 2 * kd + hd, N));
  yolo_test_node (g, "Reshape", "qkv,s1", "r1");
  yolo_test_const_ints (g, "split", 1, DIMS (3), DIMS (kd, kd, hd));
  n = yolo_test_node (g, "Split", "r1,split", "q,k,v");
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = 2;
  n = yolo_test_node (g, "Transpose", "q", "qt");
  ATTR_INTS (n, "perm", 0, 1, 3, 2);
  yolo_test_node (g, "MatMul", "qt,k", "s");
  if (pb == PERTURB_HEAD_SCALE)
    const_f (g, "scale", 4, DIMS (1, h, 1, 1), 0.17f);
  else
    const_f (g, "scale", 0, NULL, 1.0f / sqrtf ((float) kd));
  yolo_test_node (g, "Mul", "s,scale", "ss");
  n = yolo_test_node (g, "Softmax", "ss", "p");
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = pb == PERTURB_AXIS ?
      2 : -1;
  n = yolo_test_node (g, "Transpose", "p", "pt");
  if (pb == PERTURB_PERM)
    ATTR_INTS (n, "perm", 1, 0, 3, 2);
  else
    ATTR_INTS (n, "perm", 0, 1, 3, 2);
  /* the positional branch (in place of its depthwise conv) */
  const_shape (g, "s2", 4, DIMS (1, h * hd, H, W));
  yolo_test_node (g, "Reshape", "v,s2", "vr");
  yolo_test_node (g, "Sigmoid", "vr", "pe");
  yolo_test_node (g, "MatMul", "v,pt", "o");
  yolo_test_node (g, "Reshape", "o,s2", "y0");
  yolo_test_node (g, "Add", "pe,y0", "y");
  yolo_test_output (g, "y");
  if (pb == PERTURB_P_OUTPUT)
    yolo_test_output (g, "p");
  return g;
}

static void
pass_case (const char *label, YoloGraph * g, gboolean fused,
    gboolean no_eltwise)
{
  yolo_test_expect_kernel (ATTN_KERNELS, fused);
  /* the Add goes into the attention's epilogue: no element-wise launch */
  if (no_eltwise)
    yolo_test_expect_kernel
        ("eltwise_binary_same|eltwise_binary_rows|eltwise_binary_bcast", FALSE);
  yolo_test_check (g, label, 2e-5f, 1e-4f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

static void
test_pass (void)
{
  static const char *const pnames[] = { "", " softmax axis 2",
    " P also an output", " per-head scale", " P transposed otherwise"
  };

  if (!yolo_test_have_device ())
    return;
  /* yolo12n's sizes (40x40, 4 areas, 2 heads of 32) and odd ones */
  pass_case ("aattn 40x40", aattn_graph (4, 2, 32, 40, 40, PERTURB_NONE), TRUE,
      TRUE);
  pass_case ("aattn odd", aattn_graph (3, 3, 5, 7, 9, PERTURB_NONE), TRUE,
      TRUE);
  pass_case ("aattn 1 area", aattn_graph (1, 1, 16, 5, 5, PERTURB_NONE), TRUE,
      TRUE);
  /* yolo11n's (20x20, 2 heads, key dim 32, head dim 64) and odd ones */
  pass_case ("psa 20x20", psa_graph (2, 32, 64, 20, 20, PERTURB_NONE), TRUE,
      TRUE);
  pass_case ("psa odd", psa_graph (3, 7, 11, 5, 3, PERTURB_NONE), TRUE, TRUE);
  for (int p = PERTURB_AXIS; p <= PERTURB_PERM; p++) {
    char *l1 = g_strdup_printf ("aattn%s", pnames[p]);
    char *l2 = g_strdup_printf ("psa%s", pnames[p]);
    gint64 h = p == PERTURB_PERM ? 1 : 2;       /* perm 1,0: dims swap */
    /* a per-head scale on q (before q^T k) is a Mul the fused node reads
     * the output of: still fused */
    pass_case (l1, aattn_graph (h, h, 8, 4, 6, p), p == PERTURB_HEAD_SCALE,
        FALSE);
    pass_case (l2, psa_graph (h, 8, 12, 4, 6, p), FALSE, FALSE);
    g_free (l1);
    g_free (l2);
  }
}

/* ---- the real exports ---- */

static void
model_case (const char *rel, int want_attn)
{
  YoloGraph *g = yolo_test_load_fused (rel);
  int n_attn = 0, n_softmax = 0, n_matmul = 0;

  if (!g)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    if (!strcmp (n->op_type, YOLO_ATTENTION_OP)) {
      n_attn++;
      /* the Add of the positional conv went into the epilogue */
      g_assert_cmpint (n->residual, >=, 0);
    }
    n_softmax += !strcmp (n->op_type, "Softmax");
    n_matmul += !strcmp (n->op_type, "MatMul");
  }
  g_test_message ("%s: %d fused attentions, %d Softmax, %d MatMul left", rel,
      n_attn, n_softmax, n_matmul);
  g_assert_cmpint (n_attn, ==, want_attn);
  g_assert_cmpint (n_matmul, ==, 0);
  g_assert_cmpint (n_softmax, ==, 0);   /* the head's DFL: DetectDecode */
  yolo_graph_free (g);
}

static void
test_models (void)
{
  model_case ("zoo/yolo12n.onnx", 8);
  model_case ("yolo11n-640.onnx", 1);
  model_case ("yolo11n-320.onnx", 1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (4321);
  g_test_add_func ("/attention/kernel", test_kernel);
  g_test_add_func ("/attention/invalid", test_invalid);
  g_test_add_func ("/attention/pass", test_pass);
  g_test_add_func ("/attention/models", test_models);
  return g_test_run ();
}
