/* test-convtranspose.c - the ConvTranspose kernels against the C reference
 * (ops/convtranspose.c eval) on random shapes, the fused epilogue, a batch
 * of 3, and the errors of bad shapes and attributes. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

typedef struct
{
  const char *label;
  int C, H, W, M;               /* M: total output channels */
  int kh, kw, sh, sw;
  int pads[4];                  /* top, left, bottom, right */
  int dh, dw;
  int oph, opw;                 /* output_padding */
  int group;
  gboolean bias;
  const char *auto_pad;         /* NULL: NOTSET (with pads) */
  int out_shape_n;              /* 0, 2 or 4 values of output_shape */
  int out_h, out_w;
  const char *kernel;           /* expected kernel */
} CtCase;

/* the input's batch (the engine's batch option: one ConvTranspose per
 * image on the device) */
static int ct_batch = 1;

static YoloNode *
build_node (YoloGraph * g, const CtCase * c)
{
  gint64 xd[4] = { ct_batch, c->C, c->H, c->W };
  gint64 wd[4] = { c->C, c->M / c->group, c->kh, c->kw };
  gint64 bd[1] = { c->M };
  const char *ins[3] = { "X", "W", c->bias ? "B" : NULL };
  const char *outs[1] = { "Y" };
  int k[2] = { c->kh, c->kw }, s[2] = { c->sh, c->sw };
  int d[2] = { c->dh, c->dw }, op[2] = { c->oph, c->opw };
  float scale = 1.0f / sqrtf ((float) (c->C / c->group));
  YoloNode *n;
  int ni;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -2.0f * scale,
      2.0f * scale);
  if (c->bias)
    yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.5f, 0.5f);
  ni = yolo_graph_add_node (g, "ConvTranspose", "ct0", 3, ins, 1, outs);
  n = YOLO_N (g, ni);
  n->residual = -1;
  yolo_test_attr_int_array (n, "kernel_shape", 2, k);
  yolo_test_attr_int_array (n, "strides", 2, s);
  if (c->dh != 1 || c->dw != 1)
    yolo_test_attr_int_array (n, "dilations", 2, d);
  if (c->oph || c->opw)
    yolo_test_attr_int_array (n, "output_padding", 2, op);
  if (c->auto_pad)
    yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING)->s =
        g_strdup (c->auto_pad);
  else
    yolo_test_attr_int_array (n, "pads", 4, c->pads);
  if (c->out_shape_n) {
    int os[4] = { 1, c->M, c->out_h, c->out_w };
    yolo_test_attr_int_array (n, "output_shape", c->out_shape_n,
        os + 4 - c->out_shape_n);
  }
  if (c->group != 1)
    yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = c->group;
  return n;
}

static void
check_case (const CtCase * c, YoloAct act, gboolean residual)
{
  YoloGraph *g = yolo_graph_new ();
  YoloNode *n = build_node (g, c);
  char *label;

  if (residual) {
    /* residual of the output's shape: infer it first on a scratch graph */
    YoloGraph *h = yolo_graph_new ();
    GError *err = NULL;
    YoloTensor *y;
    build_node (h, c);
    yolo_test_output (h, "Y");
    g_assert_true (yolo_graph_sort (h, &err));
    g_assert_true (yolo_graph_infer (h, &err));
    y = YOLO_T (h, yolo_graph_find_tensor (h, "Y"));
    yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, y->ndim, y->dims, -1, 1);
    n = YOLO_N (g, 0);
    n->residual = yolo_graph_find_tensor (g, "R");
    yolo_graph_free (h);
  }
  n->act = act;
  n->act_alpha = 0.1f;
  yolo_test_output (g, "Y");
  label = g_strdup_printf ("%s act=%d res=%d", c->label, act, residual);
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_expect_kernel (c->kernel, TRUE);
  yolo_test_check (g, label, 1e-4f, 1e-4f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  g_free (label);
}

#define KS "convtranspose_k_eq_s_w16|convtranspose_k_eq_s"
#define GEN "convtranspose_generic"

static const CtCase k_eq_s_cases[] = {
  /* label, C,H,W,M, kh,kw,sh,sw, pads, dh,dw, oph,opw, group, bias,
   * auto_pad, out_shape_n, out_h, out_w, kernel */
  {"yolov6n-like 2x2s2", 64, 20, 20, 64, 2, 2, 2, 2, {0}, 1, 1, 0, 0, 1,
      TRUE, NULL, 0, 0, 0, KS},
  {"seg-proto-like 2x2s2", 32, 40, 40, 32, 2, 2, 2, 2, {0}, 1, 1, 0, 0, 1,
      TRUE, NULL, 0, 0, 0, KS},
  {"2x2s2 odd sizes, M % 8 != 0", 5, 7, 9, 13, 2, 2, 2, 2, {0}, 1, 1, 0, 0,
      1, FALSE, NULL, 0, 0, 0, KS},
  {"3x3s3 (9 taps)", 6, 5, 4, 10, 3, 3, 3, 3, {0}, 1, 1, 0, 0, 1, TRUE,
      NULL, 0, 0, 0, KS},
  {"4x4s4 (16 taps)", 3, 3, 5, 8, 4, 4, 4, 4, {0}, 1, 1, 0, 0, 1, TRUE,
      NULL, 0, 0, 0, KS},
  {"2x3 s2,3", 4, 6, 5, 9, 2, 3, 2, 3, {0}, 1, 1, 0, 0, 1, TRUE, NULL, 0,
      0, 0, KS},
  {"1x1s1", 7, 6, 6, 5, 1, 1, 1, 1, {0}, 1, 1, 0, 0, 1, TRUE, NULL, 0, 0, 0,
      KS},
  {"1x1 single pixel", 3, 1, 1, 2, 2, 2, 2, 2, {0}, 1, 1, 0, 0, 1, TRUE,
      NULL, 0, 0, 0, KS},
};

static const CtCase generic_cases[] = {
  {"3x3s2 p1 op1", 6, 7, 5, 9, 3, 3, 2, 2, {1, 1, 1, 1}, 1, 1, 1, 1, 1,
      TRUE, NULL, 0, 0, 0, GEN},
  {"4x4s2 p1 (DCGAN)", 8, 6, 6, 4, 4, 4, 2, 2, {1, 1, 1, 1}, 1, 1, 0, 0, 1,
      TRUE, NULL, 0, 0, 0, GEN},
  {"3x3s1 p1", 5, 8, 9, 7, 3, 3, 1, 1, {1, 1, 1, 1}, 1, 1, 0, 0, 1, FALSE,
      NULL, 0, 0, 0, GEN},
  {"asymmetric pads", 4, 6, 7, 5, 3, 2, 2, 3, {0, 2, 1, 0}, 1, 1, 0, 2, 1,
      TRUE, NULL, 0, 0, 0, GEN},
  {"dilation 2", 3, 5, 5, 4, 3, 3, 2, 1, {1, 0, 0, 2}, 2, 3, 1, 0, 1, TRUE,
      NULL, 0, 0, 0, GEN},
  {"group 2", 8, 5, 6, 6, 3, 3, 2, 2, {1, 1, 0, 0}, 1, 1, 0, 0, 2, TRUE,
      NULL, 0, 0, 0, GEN},
  {"depthwise 2x2s2", 6, 5, 5, 6, 2, 2, 2, 2, {0}, 1, 1, 0, 0, 6, TRUE,
      NULL, 0, 0, 0, GEN},
  {"2x2s2 with pads", 4, 5, 5, 8, 2, 2, 2, 2, {1, 0, 0, 1}, 1, 1, 0, 0, 1,
      TRUE, NULL, 0, 0, 0, GEN},
  {"2x2s2 output_padding", 4, 5, 5, 8, 2, 2, 2, 2, {0}, 1, 1, 1, 1, 1,
      TRUE, NULL, 0, 0, 0, GEN},
  {"SAME_UPPER 3x3s2", 4, 5, 6, 3, 3, 3, 2, 2, {0}, 1, 1, 0, 0, 1, TRUE,
      "SAME_UPPER", 0, 0, 0, GEN},
  {"SAME_LOWER 3x3s2", 4, 5, 6, 3, 3, 3, 2, 2, {0}, 1, 1, 0, 0, 1, TRUE,
      "SAME_LOWER", 0, 0, 0, GEN},
  {"VALID 3x3s2", 4, 5, 6, 3, 3, 3, 2, 2, {0}, 1, 1, 0, 0, 1, TRUE,
      "VALID", 0, 0, 0, GEN},
  {"output_shape smaller", 4, 5, 6, 3, 3, 3, 2, 2, {0}, 1, 1, 0, 0, 1,
      TRUE, NULL, 2, 9, 10, GEN},
  {"output_shape 1 beyond natural (bias-only last row)", 4, 5, 6, 3, 3, 3,
      2, 2, {0}, 1, 1, 0, 0, 1, TRUE, NULL, 2, 12, 13, GEN},
  {"output_shape 4 values SAME_UPPER", 4, 5, 6, 3, 3, 3, 2, 2, {0}, 1, 1,
      0, 0, 1, TRUE, "SAME_UPPER", 4, 10, 11, GEN},
};

static void
test_k_eq_s (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (k_eq_s_cases); i++)
    check_case (&k_eq_s_cases[i], YOLO_ACT_NONE, FALSE);
}

static void
test_generic (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (generic_cases); i++)
    check_case (&generic_cases[i], YOLO_ACT_NONE, FALSE);
}

static void
test_epilogue (void)
{
  static const YoloAct acts[] = { YOLO_ACT_SILU, YOLO_ACT_RELU,
    YOLO_ACT_LEAKY_RELU, YOLO_ACT_SIGMOID
  };
  for (guint i = 0; i < G_N_ELEMENTS (acts); i++) {
    check_case (&k_eq_s_cases[2], acts[i], i % 2 == 0);
    check_case (&generic_cases[0], acts[i], i % 2 == 1);
  }
  check_case (&k_eq_s_cases[0], YOLO_ACT_SILU, TRUE);
}

/* A batch of 3: lowered as 3 batch-1 launches on the images' views, the
 * reference image after image */
static void
test_batch (void)
{
  ct_batch = 3;
  check_case (&k_eq_s_cases[2], YOLO_ACT_SILU, TRUE);
  check_case (&generic_cases[0], YOLO_ACT_LEAKY_RELU, TRUE);
  check_case (&generic_cases[5], YOLO_ACT_NONE, FALSE);
  ct_batch = 1;
}

/* The fusion pass folds Sigmoid * Mul (SiLU) and a residual Add into
 * ConvTranspose as into Conv: the device runs one launch, the host graph
 * the three nodes. */
static void
test_fused_graph (void)
{
  YoloGraph *g = yolo_graph_new ();
  const char *sig_in[1] = { "Y" }, *sig_out[1] = { "S" };
  const char *mul_in[2] = { "Y", "S" }, *mul_out[1] = { "Z" };
  const char *add_in[2] = { "Z", "R" }, *add_out[1] = { "O" };
  gint64 rd[4] = { 1, 13, 14, 18 };

  build_node (g, &k_eq_s_cases[2]);
  yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4, rd, -1, 1);
  yolo_graph_add_node (g, "Sigmoid", "sig", 1, sig_in, 1, sig_out);
  yolo_graph_add_node (g, "Mul", "mul", 2, mul_in, 1, mul_out);
  yolo_graph_add_node (g, "Add", "add", 2, add_in, 1, add_out);
  for (guint i = 1; i < g->nodes->len; i++)
    YOLO_N (g, i)->residual = -1;
  yolo_test_output (g, "O");
  yolo_test_expect_kernel (KS, TRUE);
  yolo_test_expect_kernel ("eltwise_unary|eltwise_binary_same|"
      "eltwise_binary_rows|eltwise_binary_bcast", FALSE);
  yolo_test_check (g, "fused SiLU + residual", 1e-4f, 1e-4f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

static void
test_errors (void)
{
  CtCase c = k_eq_s_cases[2];
  YoloGraph *g;
  YoloNode *n;
  gint64 wbad[4] = { 4, 13, 2, 2 }, bbad[1] = { 7 }, xd[4] = { 1, 5, 7, 9 };
  const char *ins[3] = { "X", "W", "B" }, *outs[1] = { "Y" };
  int v[2] = { 3, 1 }, ks[2] = { 3, 3 }, ni;

  /* weights whose dimension 0 is not C */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wbad, -1, 1);
  yolo_graph_add_node (g, "ConvTranspose", "ct0", 2, ins, 1, outs);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "bad W");
  /* bias of the wrong size */
  g = yolo_graph_new ();
  c.bias = FALSE;
  build_node (g, &c);
  yolo_test_const (g, "B2", YOLO_DTYPE_FLOAT, 1, bbad, -1, 1);
  n = YOLO_N (g, 0);
  n->inputs = g_renew (int, n->inputs, 3);
  n->inputs[2] = yolo_graph_find_tensor (g, "B2");
  n->n_inputs = 3;
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "bad B");
  /* group that does not divide C */
  c = k_eq_s_cases[2];
  c.group = 2;
  c.M = 4;
  g = yolo_graph_new ();
  build_node (g, &c);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "bad group");
  /* output_padding >= stride */
  g = yolo_graph_new ();
  n = build_node (g, &k_eq_s_cases[2]);
  yolo_test_attr_int_array (n, "output_padding", 2, v);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "output_padding");
  /* kernel_shape that disagrees with W */
  g = yolo_graph_new ();
  n = build_node (g, &k_eq_s_cases[2]);
  n->attrs[0].ints[0] = 3;
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "kernel_shape");
  /* pads larger than the output */
  c = generic_cases[2];
  c.pads[0] = c.pads[2] = 9;
  g = yolo_graph_new ();
  build_node (g, &c);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "huge pads");
  /* output_shape larger than the natural size (onnxruntime refuses it) */
  c = generic_cases[0];
  c.out_shape_n = 2;
  c.out_h = c.H * c.sh + 4;
  c.out_w = c.W * c.sw;
  g = yolo_graph_new ();
  build_node (g, &c);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "output_shape");
  /* unknown auto_pad */
  c = generic_cases[2];
  c.auto_pad = "SIDEWAYS";
  g = yolo_graph_new ();
  build_node (g, &c);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "ct0",
      "auto_pad");
  /* 3-D input */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 3, xd + 1, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wbad, -1, 1);
  ni = yolo_graph_add_node (g, "ConvTranspose", "ct0", 2, ins, 1, outs);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, ks);
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_UNSUPPORTED, "ct0", "1-D");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (4321);
  g_test_add_func ("/convtranspose/k-eq-s", test_k_eq_s);
  g_test_add_func ("/convtranspose/generic", test_generic);
  g_test_add_func ("/convtranspose/epilogue", test_epilogue);
  g_test_add_func ("/convtranspose/fused-graph", test_fused_graph);
  g_test_add_func ("/convtranspose/batch", test_batch);
  g_test_add_func ("/convtranspose/errors", test_errors);
  return g_test_run ();
}
