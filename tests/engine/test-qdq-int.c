/* test-qdq-int.c - static QDQ convs on the integer kernels
 * (yolo-qdq-int.c; the QDQ epilogue of conv_int8.cl / conv_int8_s2.cl;
 * quant_quantize_linear16):
 *  - /qdq-int/pass: FQ(x) -> Conv(DequantizeLinear(int8 codes)) -> the
 *    quantize_static SiLU chain becomes QuantizeLinear (uint8 codes, the
 *    FQ of x gone) + ConvIntegerToFloat with the QDQ epilogue; a second
 *    conv reading the first's output alone reads the codes the first
 *    writes (YoloQdqEpilogue.codes); weights that are not folded codes,
 *    or a 5x5 conv, stay float;
 *  - /qdq-int/exact: with power-of-two scales every sum is exact in both
 *    forms, so on each integer kernel (forced) the output equals the float
 *    emulation's (int8_compute float, conv-generic) bit for bit: int8 and
 *    uint8 activations and weights, zero points at both ends and inside,
 *    per-tensor and per-channel weight scales, residual, partial tiles;
 *  - /qdq-int/reference: any scales, against the C reference of the
 *    unfused graph: within two quanta of the last fake quantisation (the
 *    float sum of the reference and the exact integer one round apart,
 *    which can move the first fake quantisation by one level, and SiLU's
 *    exp by an ulp);
 *  The device tests run int8_compute "auto" where the device has integer
 *  dot products (PoCL on an AVX512-VNNI CPU: the VNNI kernels), else
 *  "integer" (the plain int32 kernels: rusticl, whose Mesa compiler builds
 *  them with the per-lane QDQ epilogue of YOLO_SOFT_FMA; Intel's CPU
 *  runtime).
 *  - /qdq-int/quantize: QuantizeLinear per tensor (quant_quantize_linear16
 *    on wide-vector devices) against the C reference exactly: ties, both
 *    saturations, zero points at the ends of uint8 and int8. */
#include "yolo-test-util.h"
#include "yolo-engine-private.h"

#include <math.h>
#include <string.h>

typedef struct
{
  const char *label;
  const char *variant;          /* conv_kernel */
  int C, H, W, M, k, stride;
  YoloDType xt, wt;             /* activation and weight types */
  int xzp_kind, wzp_kind;       /* 0 low end, 1 high end, 2 inside */
  gboolean per_channel, residual, pow2;
  gboolean second;              /* a 1x1 conv reading the chain's output:
                                 * the first writes its codes */
} ICase;

static int node_count;

static void
qdq_pair (YoloGraph * g, const char *in, const char *out, float s, int zp,
    YoloDType qt)
{
  char sn[64], zn[64], qn[64], ins[200];
  gint64 z = zp;
  int zi;

  node_count++;
  g_snprintf (sn, sizeof (sn), "s%d", node_count);
  g_snprintf (zn, sizeof (zn), "z%d", node_count);
  g_snprintf (qn, sizeof (qn), "q%d", node_count);
  yolo_test_const_floats (g, sn, 0, NULL, &s);
  zi = yolo_test_const_ints (g, zn, 0, NULL, &z);
  YOLO_T (g, zi)->dtype = qt;
  g_snprintf (ins, sizeof (ins), "%s,%s,%s", in, sn, zn);
  yolo_test_node (g, "QuantizeLinear", ins, qn);
  g_snprintf (ins, sizeof (ins), "%s,%s,%s", qn, sn, zn);
  yolo_test_node (g, "DequantizeLinear", ins, out);
}

static int
type_lo (YoloDType t)
{
  return t == YOLO_DTYPE_UINT8 ? 0 : -128;
}

static int
zp_of (YoloDType t, int kind, int k)
{
  return kind == 0 ? type_lo (t) : kind == 1 ? type_lo (t) + 255 :
      type_lo (t) + 100 + k;
}

/* x -> FQ -> Conv(DequantizeLinear(codes, ws, wzp), b) -> FQ0 -> Sigmoid
 * -> FQ1 -> Mul -> FQ2 [-> Add(FQ(r)) -> FQ3]. pow2: x in multiples of
 * 1/8 on the scale-1/8 grid, weight scales 2^-4..2^-6, bias in 1/16: the
 * sums are exact in float too. folded: the weights a DequantizeLinear of
 * codes (else float constants). */
static YoloGraph *
icase_graph (const ICase * c, guint seed, gboolean folded)
{
  YoloGraph *g = yolo_graph_new ();
  int pad = c->k / 2, M = c->M, per = c->C * c->k * c->k;
  int Ho = (c->H + 2 * pad - c->k) / c->stride + 1;
  int Wo = (c->W + 2 * pad - c->k) / c->stride + 1;
  int xi, ci, zi, bi, wlo = type_lo (c->wt);
  float *d, *ws = g_new (float, M);
  gint64 *codes, *wz = g_new (gint64, M);
  float xs = c->pow2 ? 0.125f : 0.0131f;
  YoloNode *conv;
  const char *v;

  node_count = 0;
  yolo_test_seed (seed);
  g->opset = 21;
  xi = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->C, c->H,
          c->W), -3, 3);
  d = YOLO_T (g, xi)->data;
  if (c->pow2)
    for (gint64 i = 0; i < (gint64) c->C * c->H * c->W; i++)
      d[i] = roundf (d[i] * 8) / 8;
  qdq_pair (g, "x", "xq", xs, zp_of (c->xt, c->xzp_kind, 1), c->xt);
  for (int m = 0; m < M; m++) {
    int k = c->per_channel ? m : 0;
    ws[m] = c->pow2 ? ldexpf (1.0f, -4 - k % 3) : 0.0037f * (1 + k % 5);
    wz[m] = zp_of (c->wt, c->wzp_kind, k % 7);
  }
  codes = g_new (gint64, (gsize) M * per);
  for (gsize i = 0; i < (gsize) M * per; i++)
    codes[i] = wlo + MIN ((int) yolo_test_rand (0, 256), 255);
  if (folded) {
    ci = yolo_test_const_ints (g, "wc", 4, DIMS (M, c->C, c->k, c->k), codes);
    YOLO_T (g, ci)->dtype = c->wt;
    yolo_test_const_floats (g, "ws", c->per_channel ? 1 : 0, DIMS (M), ws);
    zi = yolo_test_const_ints (g, "wz", c->per_channel ? 1 : 0, DIMS (M), wz);
    YOLO_T (g, zi)->dtype = c->wt;
    conv = yolo_test_node (g, "DequantizeLinear", "wc,ws,wz", "w");
    if (c->per_channel)
      yolo_node_add_attr (conv, "axis", YOLO_ATTR_INT)->i = 0;
  } else {
    int wi = yolo_test_const (g, "w", YOLO_DTYPE_FLOAT, 4, DIMS (M, c->C,
            c->k, c->k), 0, 0);
    d = YOLO_T (g, wi)->data;
    for (gsize i = 0; i < (gsize) M * per; i++)
      d[i] = (float) (codes[i] - wz[i / per]) * ws[i / per];
  }
  bi = yolo_test_const (g, "b", YOLO_DTYPE_FLOAT, 1, DIMS (M), -1, 1);
  d = YOLO_T (g, bi)->data;
  for (int i = 0; i < M; i++)
    d[i] = roundf (d[i] * 16) / 16;
  conv = yolo_test_node (g, "Conv", "xq,w,b", "y");
  yolo_test_attr_ints (conv, "kernel_shape", 2, DIMS (c->k, c->k));
  yolo_test_attr_ints (conv, "strides", 2, DIMS (c->stride, c->stride));
  yolo_test_attr_ints (conv, "pads", 4, DIMS (pad, pad, pad, pad));
  qdq_pair (g, "y", "a", c->pow2 ? 0.25f : 0.0517f, zp_of (c->xt, 2, 0), c->xt);
  yolo_test_node (g, "Sigmoid", "a", "sg");
  qdq_pair (g, "sg", "sgq", 1.0f / 255, 0, YOLO_DTYPE_UINT8);
  yolo_test_node (g, "Mul", "a,sgq", "m");
  qdq_pair (g, "m", "mq", c->pow2 ? 0.0625f : 0.0773f, zp_of (c->xt,
          c->xzp_kind, 3), c->xt);
  v = "mq";
  if (c->residual) {
    yolo_test_input (g, "r", YOLO_DTYPE_FLOAT, 4, DIMS (1, M, Ho, Wo), -3, 3);
    qdq_pair (g, "r", "rq", 0.0291f, zp_of (c->xt, 2, 5), c->xt);
    yolo_test_node (g, "Add", "mq,rq", "sum");
    qdq_pair (g, "sum", "out", c->pow2 ? 0.125f : 0.0877f, zp_of (c->xt, 2,
            7), c->xt);
    v = "out";
  }
  if (c->second) {
    /* 1x1, 8 outputs, per-tensor int8 codes in [-8, 8), scale 2^-3 */
    int n2 = 8 * M, wi2;
    gint64 *c2 = g_new (gint64, n2), z2 = 0;
    float s2 = 0.125f;
    char ins[64];
    for (int i = 0; i < n2; i++)
      c2[i] = MIN ((int) yolo_test_rand (-8, 8), 7);
    wi2 = yolo_test_const_ints (g, "wc2", 4, DIMS (8, M, 1, 1), c2);
    YOLO_T (g, wi2)->dtype = YOLO_DTYPE_INT8;
    yolo_test_const_floats (g, "ws2", 0, NULL, &s2);
    wi2 = yolo_test_const_ints (g, "wz2", 0, NULL, &z2);
    YOLO_T (g, wi2)->dtype = YOLO_DTYPE_INT8;
    yolo_test_node (g, "DequantizeLinear", "wc2,ws2,wz2", "w2");
    g_snprintf (ins, sizeof (ins), "%s,w2", v);
    conv = yolo_test_node (g, "Conv", ins, "y2");
    yolo_test_attr_ints (conv, "kernel_shape", 2, DIMS (1, 1));
    qdq_pair (g, "y2", "out2", c->pow2 ? 0.5f : 0.0913f, zp_of (c->xt, 2, 9),
        c->xt);
    v = "out2";
    g_free (c2);
  }
  yolo_test_output (g, v);
  g_free (codes);
  g_free (ws);
  g_free (wz);
  return g;
}

/* The last fake quantisation's scale (not pow2). */
static float
last_quantum (const ICase * c)
{
  return c->second ? 0.0913f : c->residual ? 0.0877f : 0.0773f;
}

static const ICase icases[] = {
  {"1x1 uint8 x zp0, int8 w per channel", "conv-int8-1x1", 16, 9, 23, 16, 1,
      1, YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, 0, 2, TRUE, FALSE, TRUE},
  {"1x1 int8 x zp127, uint8 w zp255, res", "conv-int8-1x1", 12, 7, 10, 24, 1,
      1, YOLO_DTYPE_INT8, YOLO_DTYPE_UINT8, 1, 1, TRUE, TRUE, TRUE},
  {"1x1-pk int8 x, per tensor", "conv-int8-1x1-pk", 20, 16, 16, 16, 1, 1,
      YOLO_DTYPE_INT8, YOLO_DTYPE_INT8, 2, 2, FALSE, TRUE, TRUE},
  {"3x3s1 int8 x zp-128, res", "conv-int8-3x3s1", 8, 11, 37, 16, 3, 1,
      YOLO_DTYPE_INT8, YOLO_DTYPE_INT8, 0, 2, TRUE, TRUE, TRUE},
  {"3x3s1-flat uint8 x zp255", "conv-int8-3x3s1-flat", 16, 9, 13, 8, 3, 1,
      YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, 1, 0, TRUE, FALSE, TRUE},
  {"3x3s2 int8 x, uint8 w zp0, res", "conv-int8-3x3s2", 6, 17, 35, 16, 3, 2,
      YOLO_DTYPE_INT8, YOLO_DTYPE_UINT8, 2, 0, TRUE, TRUE, TRUE},
  {"3x3s2 uint8 x zp0, per tensor", "conv-int8-3x3s2", 8, 20, 20, 8, 3, 2,
      YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, 0, 2, FALSE, FALSE, TRUE},
  {"3x3s1 codes out int8, res", "conv-int8-3x3s1", 8, 6, 33, 16, 3, 1,
      YOLO_DTYPE_INT8, YOLO_DTYPE_INT8, 2, 2, TRUE, TRUE, TRUE, TRUE},
  {"3x3s2 codes out uint8", "conv-int8-3x3s2", 4, 15, 21, 8, 3, 2,
      YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, 2, 2, TRUE, FALSE, TRUE, TRUE},
  {"1x1 codes out uint8 zp255", "conv-int8-1x1", 8, 5, 37, 8, 1, 1,
      YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, 1, 2, TRUE, FALSE, TRUE, TRUE},
};

/* Runs g (tune off) with int8_compute `mode` and conv_kernel `variant`;
 * the output (g_free) and the launched kernels (g_free). */
static float *
run_device (YoloGraph * g, const char *mode, const char *variant,
    char **kernels, gint64 * n)
{
  YoloEngineOptions opt = {.tune = "off",.conv_kernel = variant,
    .int8_compute = mode
  };
  GError *err = NULL;
  YoloEngine *e = yolo_engine_new_from_graph (g, &opt, FALSE, &err);
  float *y;

  g_assert_no_error (err);
  for (guint i = 0; i < e->graph->inputs->len; i++) {
    YoloTensor *t = YOLO_T (e->graph, g_array_index (e->graph->inputs, int,
            i));
    g_assert_true (yolo_engine_set_input_n (e, i, t->data, &err));
  }
  g_assert_true (yolo_engine_run (e, &err));
  *n = yolo_tensor_numel (YOLO_T (e->graph, g_array_index (e->graph->outputs,
              int, 0)));
  y = g_new (float, *n);
  g_assert_true (yolo_engine_get_output (e, 0, y, &err));
  *kernels = yolo_runtime_kernel_names (e->rt);
  yolo_engine_free (e);
  return y;
}

static gboolean
ran (const char *kernels, const char *name)
{
  char **v = g_strsplit (kernels, " ", -1);
  gboolean used = FALSE;

  for (int i = 0; v[i]; i++)
    used |= g_str_has_prefix (v[i], name);
  g_strfreev (v);
  return used;
}

/* Counts the live nodes of type op after the fusions (int8_compute
 * "auto" on a device with integer dot products). */
static int
count_after_fuse (const ICase * c, gboolean folded, const char *op,
    gboolean with_qepi)
{
  YoloGraph *g = icase_graph (c, 1, folded);
  GError *err = NULL;
  int cnt = 0;

  g->int8_dot = TRUE;
  g_assert_true (yolo_graph_sort (g, &err));
  g_assert_true (yolo_graph_infer (g, &err));
  yolo_graph_fuse (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    cnt += !n->removed && !strcmp (n->op_type, op) && (!with_qepi || n->qepi);
  }
  yolo_graph_free (g);
  return cnt;
}

/* How many convs write codes after the fusions. */
static int
count_codes (const ICase * c)
{
  YoloGraph *g = icase_graph (c, 1, TRUE);
  GError *err = NULL;
  int cnt = 0;

  g->int8_dot = TRUE;
  g_assert_true (yolo_graph_sort (g, &err));
  g_assert_true (yolo_graph_infer (g, &err));
  yolo_graph_fuse (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    cnt += !n->removed && n->qepi && n->qepi->codes >= 0;
  }
  yolo_graph_free (g);
  return cnt;
}

static void
test_pass (void)
{
  ICase c5 = icases[3];

  for (guint k = 0; k < G_N_ELEMENTS (icases); k++) {
    const ICase *c = &icases[k];
    /* every conv integer, with its QDQ epilogue; the second reads the
     * first's codes (no QuantizeLinear) */
    g_assert_cmpint (count_after_fuse (c, TRUE, "ConvIntegerToFloat", TRUE),
        ==, c->second ? 2 : 1);
    g_assert_cmpint (count_codes (c), ==, c->second ? 1 : 0);
    g_assert_cmpint (count_after_fuse (c, TRUE, "Conv", FALSE), ==, 0);
    /* x's codes (its FQ gone); r keeps its FQ */
    g_assert_cmpint (count_after_fuse (c, TRUE, "QuantizeLinear", FALSE), ==,
        1);
    g_assert_cmpint (count_after_fuse (c, TRUE, "QuantizeDequantizeLinear",
            FALSE), ==, c->residual ? 1 : 0);
    /* float weights (not codes): the float emulation */
    g_assert_cmpint (count_after_fuse (c, FALSE, "ConvIntegerToFloat",
            FALSE), ==, c->second ? 1 : 0);
  }
  /* 5x5: no integer kernel takes it */
  c5.k = 5;
  g_assert_cmpint (count_after_fuse (&c5, TRUE, "ConvIntegerToFloat", FALSE),
      ==, 0);
}

/* The int8_compute that lowers the QDQ convs on the test device
 * (yolo-qdq-int.c): "auto" where it has integer dot products, else
 * "integer". */
static const char *
integer_mode (void)
{
  static int dot = -1;

  if (dot < 0) {
    YoloRuntime *rt = yolo_runtime_new (NULL, NULL);
    dot = rt && yolo_rt_device (rt)->int8_dot;
    if (rt)
      yolo_runtime_free (rt);
  }
  return dot ? "auto" : "integer";
}

static void
test_exact (void)
{
  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (guint k = 0; k < G_N_ELEMENTS (icases); k++) {
    const ICase *c = &icases[k];
    char *ki = NULL, *kf = NULL;
    gint64 n, nf;
    float *yi = run_device (icase_graph (c, k + 1, TRUE), integer_mode (),
        c->variant, &ki, &n);
    float *yf = run_device (icase_graph (c, k + 1, TRUE), "float",
        "conv-generic", &kf, &nf);
    char *want = g_strdup_printf ("conv_int8_%s", c->variant +
        strlen ("conv-int8-"));

    for (char *p = want; *p; p++)
      if (*p == '-')
        *p = '_';
    g_assert_cmpint (n, ==, nf);
    if (!ran (ki, want) || !ran (ki, "quant_quantize_linear")
        || ran (kf, "conv_int8") || !ran (kf, "conv_generic")) {
      g_test_message ("%s: integer kernels %s; float %s", c->label, ki, kf);
      g_test_fail ();
    }
    for (gint64 i = 0; i < n; i++)
      if (memcmp (&yi[i], &yf[i], sizeof (float))) {
        g_test_message ("%s on %s: integer %.9g, float emulation %.9g at %"
            G_GINT64_FORMAT, c->label, c->variant, yi[i], yf[i], i);
        g_test_fail ();
        break;
      }
    g_free (want);
    g_free (ki);
    g_free (kf);
    g_free (yi);
    g_free (yf);
  }
}

static void
test_reference (void)
{
  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (guint k = 0; k < G_N_ELEMENTS (icases); k++) {
    ICase c = icases[k];
    YoloEngineOptions opt = {.conv_kernel = c.variant,
      .int8_compute = integer_mode ()
    };
    char label[160];

    c.pow2 = FALSE;
    yolo_test_set_options (&opt);
    yolo_test_expect_kernel (NULL, FALSE);
    yolo_test_expect_kernel ("conv_int8_1x1|conv_int8_1x1_vnni|"
        "conv_int8_1x1_pk|conv_int8_1x1_pk_vnni|conv_int8_3x3s1|"
        "conv_int8_3x3s1_vnni|conv_int8_3x3s1_flat|conv_int8_3x3s1_flat_vnni|"
        "conv_int8_3x3s2|conv_int8_3x3s2_vnni|conv_int8_1x1_dot|"
        "conv_int8_1x1_pk_dot|conv_int8_3x3s1_dot|conv_int8_3x3s1_flat_dot|"
        "conv_int8_3x3s2_dot", TRUE);
    g_snprintf (label, sizeof (label), "%s on %s vs reference", c.label,
        c.variant);
    yolo_test_check (icase_graph (&c, k + 11, TRUE), label,
        2 * last_quantum (&c) * 1.001f, 0, TRUE);
  }
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_set_options (NULL);
}

/* x: ties (odd multiples of s / 2), values past both saturations. */
static void
test_quantize (void)
{
  static const struct
  {
    YoloDType t;
    int zp;
  } kinds[] = {
    {YOLO_DTYPE_UINT8, 0}, {YOLO_DTYPE_UINT8, 255}, {YOLO_DTYPE_UINT8, 77},
    {YOLO_DTYPE_INT8, -128}, {YOLO_DTYPE_INT8, 127}, {YOLO_DTYPE_INT8, 3},
  };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++) {
    YoloGraph *g = yolo_graph_new ();
    float s = k % 2 ? 0.0173f : 0.25f;
    gint64 z = kinds[k].zp;
    int xi, zi;
    float *d;
    char label[64];

    g->opset = 21;
    yolo_test_seed (k + 1);
    xi = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, 3, 7, 29), -1,
        1);
    d = YOLO_T (g, xi)->data;
    for (int i = 0; i < 3 * 7 * 29; i++)
      d[i] = (float) (i % 2 ? (i / 2 % 700) - 350 : (i / 2 % 600) - 300)
          * 0.5f * s;
    yolo_test_const_floats (g, "s", 0, NULL, &s);
    zi = yolo_test_const_ints (g, "z", 0, NULL, &z);
    YOLO_T (g, zi)->dtype = kinds[k].t;
    yolo_test_node (g, "QuantizeLinear", "x,s,z", "y");
    yolo_test_output (g, "y");
    g_snprintf (label, sizeof (label), "QuantizeLinear %s zp %d",
        yolo_dtype_name (kinds[k].t), kinds[k].zp);
    yolo_test_check (g, label, 0, 0, TRUE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (20261207);
  g_test_add_func ("/qdq-int/pass", test_pass);
  g_test_add_func ("/qdq-int/exact", test_exact);
  g_test_add_func ("/qdq-int/reference", test_reference);
  g_test_add_func ("/qdq-int/quantize", test_quantize);
  return g_test_run ();
}
