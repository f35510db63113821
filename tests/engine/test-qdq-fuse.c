/* test-qdq-fuse.c - the static QDQ pass (yolo-qdq-fuse.c):
 *  - Conv -> Q/DQ -> Sigmoid [-> Q/DQ] -> Mul -> [Q/DQ] [-> Add -> [Q/DQ]]
 *    folded into the conv epilogue: on every Conv variant (forced), the
 *    fused graph's outputs equal the unfused graph's on the device bit for
 *    bit, the fake-quantisation kernels no longer run, and both match the
 *    C reference (one quantum: the sigmoid's exp differs by an ulp now and
 *    then); ties, saturation at both ends, zero points at the ends of
 *    uint8 and int8, partial vectors;
 *  - fake quantisations that are exact no-ops (after MaxPool, nearest
 *    Resize, Concat, Split of tensors on the same grid) dropped, the others
 *    (another scale, a linear Resize) kept, the output equal to the C
 *    reference of the unfused graph exactly. */
#include "yolo-test-util.h"
#include "yolo-engine-private.h"

#include <math.h>
#include <string.h>


typedef struct
{
  const char *label;
  int C, H, W, M, k, stride, group;
  gboolean silu, fq_sig, fq_act, residual, fq_res;
  YoloDType qt;
  int zp_kind;                  /* 0 low end, 1 high end, 2 middle */
} QCase;

static int node_count;

/* A QuantizeLinear -> DequantizeLinear pair on tensor `in` (scale s, zero
 * point zp of type qt) writing `out`. */
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
zero_point (const QCase * c, int k)
{
  int lo = c->qt == YOLO_DTYPE_UINT8 ? 0 : -128;
  return c->zp_kind == 0 ? lo : c->zp_kind == 1 ? lo + 255 : lo + 100 + k;
}

/* x: multiples of 1/8, weights and bias of 1/16: the direct kernels' sums
 * are exact, so the first fake quantisation sees exact ties (scale 1/64). */
static YoloGraph *
qcase_graph (const QCase * c, guint seed)
{
  YoloGraph *g = yolo_graph_new ();
  int pad = c->k / 2, Cg = c->C / c->group;
  int Ho = (c->H + 2 * pad - c->k) / c->stride + 1;
  int Wo = (c->W + 2 * pad - c->k) / c->stride + 1;
  int xi, wi, bi;
  float *d;
  YoloNode *conv;
  const char *v;

  node_count = 0;
  yolo_test_seed (seed);
  g->opset = 21;
  xi = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->C, c->H,
          c->W), -2, 2);
  d = YOLO_T (g, xi)->data;
  for (gint64 i = 0; i < (gint64) c->C * c->H * c->W; i++)
    d[i] = roundf (d[i] * 8) / 8;
  wi = yolo_test_const (g, "w", YOLO_DTYPE_FLOAT, 4, DIMS (c->M, Cg, c->k,
          c->k), -0.5f, 0.5f);
  d = YOLO_T (g, wi)->data;
  for (gint64 i = 0; i < (gint64) c->M * Cg * c->k * c->k; i++)
    d[i] = roundf (d[i] * 16) / 16;
  bi = yolo_test_const (g, "b", YOLO_DTYPE_FLOAT, 1, DIMS (c->M), -1, 1);
  d = YOLO_T (g, bi)->data;
  for (int i = 0; i < c->M; i++)
    d[i] = roundf (d[i] * 16) / 16;
  conv = yolo_test_node (g, "Conv", "x,w,b", "y");
  yolo_test_attr_ints (conv, "kernel_shape", 2, DIMS (c->k, c->k));
  yolo_test_attr_ints (conv, "strides", 2, DIMS (c->stride, c->stride));
  yolo_test_attr_ints (conv, "pads", 4, DIMS (pad, pad, pad, pad));
  yolo_node_add_attr (conv, "group", YOLO_ATTR_INT)->i = c->group;
  /* scale 1/64: ties; 255 quanta of 1/64 do not cover the sums: both
   * ends saturate */
  qdq_pair (g, "y", "a", 1.0f / 64, zero_point (c, 0), c->qt);
  v = "a";
  if (c->silu) {
    yolo_test_node (g, "Sigmoid", "a", "sg");
    if (c->fq_sig)
      qdq_pair (g, "sg", "sgq", 1.0f / 255, 0, YOLO_DTYPE_UINT8);
    yolo_test_node (g, "Mul", c->fq_sig ? "a,sgq" : "sg,a", "m");
    v = "m";
  }
  if (c->fq_act) {
    qdq_pair (g, v, "mq", 0.0173f, zero_point (c, 3), c->qt);
    v = "mq";
  }
  if (c->residual) {
    char ins[64];
    yolo_test_input (g, "r", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->M, Ho, Wo), -3,
        3);
    qdq_pair (g, "r", "rq", 0.0291f, zero_point (c, 5), c->qt);
    g_snprintf (ins, sizeof (ins), c->stride == 1 ? "rq,%s" : "%s,rq", v);
    yolo_test_node (g, "Add", ins, "sum");
    v = "sum";
    if (c->fq_res) {
      qdq_pair (g, "sum", "out", 0.0377f, zero_point (c, 7), c->qt);
      v = "out";
    }
  }
  yolo_test_output (g, v);
  return g;
}

static const QCase qcases[] = {
  {"1x1 silu all fqs uint8 zp0", 16, 9, 23, 16, 1, 1, 1, TRUE, TRUE, TRUE,
      FALSE, FALSE, YOLO_DTYPE_UINT8, 0},
  {"3x3s1 silu int8 zp127 res", 8, 13, 19, 16, 3, 1, 1, TRUE, TRUE, TRUE,
      TRUE, TRUE, YOLO_DTYPE_INT8, 1},
  {"3x3s2 silu uint8 zp255", 8, 17, 33, 8, 3, 2, 1, TRUE, TRUE, TRUE, FALSE,
      FALSE, YOLO_DTYPE_UINT8, 1},
  {"3x3s1 silu no fq after sigmoid", 16, 20, 20, 16, 3, 1, 1, TRUE, FALSE,
      TRUE, FALSE, FALSE, YOLO_DTYPE_INT8, 2},
  {"3x3s1 res no fq after add", 8, 11, 18, 8, 3, 1, 1, TRUE, TRUE, TRUE,
      TRUE, FALSE, YOLO_DTYPE_UINT8, 2},
  {"1x1 fq only", 8, 7, 40, 24, 1, 1, 1, FALSE, FALSE, FALSE, FALSE, FALSE,
      YOLO_DTYPE_UINT8, 2},
  {"dw 3x3s1 silu", 16, 12, 21, 16, 3, 1, 16, TRUE, TRUE, TRUE, FALSE,
      FALSE, YOLO_DTYPE_INT8, 0},
  {"5x5 silu res", 8, 10, 12, 8, 5, 1, 1, TRUE, TRUE, TRUE, TRUE, TRUE,
      YOLO_DTYPE_UINT8, 2},
  {"3x3s2 16 ch silu int8 res", 4, 18, 35, 16, 3, 2, 1, TRUE, TRUE, TRUE,
      TRUE, TRUE, YOLO_DTYPE_INT8, 1},
};

/* Runs g on the device (tune off, conv variant `variant`), fused or not;
 * the output (g_free) or NULL when the variant cannot run it. kernels:
 * the launched kernels' names (g_free). */
static float *
run_device (YoloGraph * g, const char *variant, gboolean fuse,
    char **kernels, YoloNode * conv_out)
{
  YoloEngineOptions opt = {.tune = "off",.conv_kernel = variant };
  GError *err = NULL;
  YoloEngine *e;
  YoloTensor *out;
  float *y;
  gint64 n;

  e = yolo_engine_new_from_graph (g, &opt, !fuse, &err);
  if (!e) {
    /* the variant does not support the shape */
    g_test_message ("%s: %s", variant, err->message);
    g_clear_error (&err);
    return NULL;
  }
  for (guint i = 0; i < e->graph->inputs->len; i++) {
    YoloTensor *t = YOLO_T (e->graph, g_array_index (e->graph->inputs, int,
            i));
    g_assert_true (yolo_engine_set_input_n (e, i, t->data, &err));
  }
  g_assert_true (yolo_engine_run (e, &err));
  out = YOLO_T (e->graph, g_array_index (e->graph->outputs, int, 0));
  n = yolo_tensor_numel (out);
  y = g_new (float, n);
  g_assert_true (yolo_engine_get_output (e, 0, y, &err));
  if (kernels)
    *kernels = yolo_runtime_kernel_names (e->rt);
  if (conv_out)
    for (guint i = 0; i < e->graph->nodes->len; i++) {
      YoloNode *c = YOLO_N (e->graph, i);
      if (!c->removed && !strcmp (c->op_type, "Conv")) {
        conv_out->act = c->act;
        conv_out->residual = c->residual;
        conv_out->qepi = c->qepi ? g_memdup2 (c->qepi, sizeof (*c->qepi)) :
            NULL;
      }
    }
  yolo_engine_free (e);
  return y;
}

static gint64
output_numel (const QCase * c)
{
  YoloGraph *g = qcase_graph (c, 1);
  YoloTensor *t;
  gint64 n;

  g_assert_true (yolo_graph_infer (g, NULL));
  t = YOLO_T (g, g_array_index (g->outputs, int, 0));
  n = yolo_tensor_numel (t);
  yolo_graph_free (g);
  return n;
}

static void
test_epilogue (void)
{
  /* each variant and the kernel that shows it ran */
  static const char *const variants[][2] = {
    {"conv-cpu-1x1", "conv_1x1_c8"}, {"conv-cpu-3x3s1", "conv_3x3s1_c8"},
    {"conv-cpu-3x3s2", "conv_3x3s2_c8"}, {"conv-wino4", "conv_wino4_out"},
    {"conv-im2col", "conv_im2col"}, {"conv-cpu-kxk", "conv_kxk_c8"},
    {"conv-cpu-dw3x3s1", "conv_dw3x3s1"}, {"conv-cpu-dw", "conv_dw"},
    {"conv-gpu-c8", "conv_gpu_c8"}, {"conv-generic", "conv_generic"},
    {"conv-cpu-3x3s1-flat", "conv_3x3s1_flat_c8"},
    {"conv-cpu-3x3s2-flat", "conv_3x3s2_flat_c8"},
    {"conv-im2col-t", "conv_gemm_t16"},
    {"conv-cpu-3x3s2-c16", "conv_3x3s2_c16"},
    {"conv-cpu-3x3s2-t32", "conv_3x3s2_t32"},
    {"conv-cpu-3x3s1-t32", "conv_3x3s1_t32"},
  };

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (guint k = 0; k < G_N_ELEMENTS (qcases); k++) {
    const QCase *c = &qcases[k];
    gint64 n = output_numel (c);
    guint ran = 0;
    char label[160];
    guint want = YOLO_QEPI_OUT | (c->fq_sig ? YOLO_QEPI_SIG : 0)
        | (c->fq_act ? YOLO_QEPI_ACT : 0) | (c->fq_res ? YOLO_QEPI_RES : 0);

    for (guint v = 0; v < G_N_ELEMENTS (variants); v++) {
      YoloNode conv = { 0 };
      char *kernels = NULL;
      float *fused = run_device (qcase_graph (c, k + 1), variants[v][0],
          TRUE, &kernels, &conv);
      float *plain;
      char **names;
      gboolean used;
      if (!fused)
        continue;
      names = g_strsplit (kernels, " ", -1);
      used = g_strv_contains ((const char *const *) names, variants[v][1]);
      g_strfreev (names);
      if (!used) {
        /* the variant does not take this shape (another one ran) */
        g_free (conv.qepi);
        g_free (kernels);
        g_free (fused);
        continue;
      }
      ran++;
      g_snprintf (label, sizeof (label), "%s on %s", c->label, variants[v][0]);
      /* the whole chain is the conv's epilogue */
      g_assert_nonnull (conv.qepi);
      g_assert_cmpuint (conv.qepi->mask, ==, want);
      g_assert_cmpint (conv.act, ==, c->silu ? YOLO_ACT_SILU : YOLO_ACT_NONE);
      g_assert_cmpint (conv.residual >= 0, ==, c->residual);
      /* no eltwise pass left; a fake quantisation only for r's own */
      if ((!c->residual && strstr (kernels, "quant_fake_linear"))
          || strstr (kernels, "eltwise")) {
        g_test_message ("%s: kernels %s", label, kernels);
        g_test_fail ();
      }
      plain = run_device (qcase_graph (c, k + 1), variants[v][0], FALSE,
          NULL, NULL);
      g_assert_nonnull (plain);
      for (gint64 i = 0; i < n; i++)
        if (memcmp (&fused[i], &plain[i], sizeof (float))) {
          g_test_message ("%s: fused %.9g, unfused %.9g at %" G_GINT64_FORMAT,
              label, fused[i], plain[i], i);
          g_test_fail ();
          break;
        }
      g_free (conv.qepi);
      g_free (kernels);
      g_free (fused);
      g_free (plain);
    }
    g_assert_cmpuint (ran, >, 0);
    /* the C reference: one quantum of the last fake quantisation (a
     * sigmoid an ulp apart may round to the next level) */
    g_snprintf (label, sizeof (label), "%s vs reference", c->label);
    yolo_test_check (qcase_graph (c, k + 1), label, c->fq_res ? 0.0378f :
        c->residual ? 0.03f : c->fq_act ? 0.0174f : 0.016f, 0, TRUE);
  }
}

/* x -> FQ(s) -> MaxPool 5x5 pad 2 -> FQ(s) -> Resize nearest x2 -> FQ(s)
 * -> Concat with FQ(s)(x2) -> FQ(s) -> Split -> FQ(s) each -> Concat -> out;
 * plus branches that must keep their FQ: a Concat with another scale and
 * (when linear) a linear Resize. */
static YoloGraph *
noop_graph (YoloDType qt, int zp, gboolean linear)
{
  YoloGraph *g = yolo_graph_new ();
  YoloNode *n;
  const gint64 split[2] = { 3, 5 };

  node_count = 0;
  g->opset = 21;
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, 4, 9, 11), -3, 3);
  yolo_test_input (g, "x2", YOLO_DTYPE_FLOAT, 4, DIMS (1, 4, 18, 22), -3, 3);
  qdq_pair (g, "x", "a", 0.0137f, zp, qt);
  n = yolo_test_node (g, "MaxPool", "a", "mp");
  yolo_test_attr_ints (n, "kernel_shape", 2, DIMS (5, 5));
  yolo_test_attr_ints (n, "pads", 4, DIMS (2, 2, 2, 2));
  qdq_pair (g, "mp", "mpq", 0.0137f, zp, qt);
  yolo_test_const_floats (g, "sc", 1, DIMS (4), (const float[]) { 1, 1, 2, 2 });
  n = yolo_test_node (g, "Resize", "mpq,,sc", "rs");
  qdq_pair (g, "rs", "rsq", 0.0137f, zp, qt);
  qdq_pair (g, "x2", "x2q", 0.0137f, zp, qt);
  yolo_test_node (g, "Concat", "rsq,x2q", "cat");
  yolo_node_add_attr (YOLO_N (g, g->nodes->len - 1), "axis",
      YOLO_ATTR_INT)->i = 1;
  qdq_pair (g, "cat", "catq", 0.0137f, zp, qt);
  yolo_test_const_ints (g, "split", 1, DIMS (2), split);
  n = yolo_test_node (g, "Split", "catq,split", "p0,p1");
  yolo_node_add_attr (n, "axis", YOLO_ATTR_INT)->i = 1;
  qdq_pair (g, "p0", "p0q", 0.0137f, zp, qt);
  qdq_pair (g, "p1", "p1q", 0.0137f, zp, qt);
  yolo_test_node (g, "Concat", "p1q,p0q", "out");
  yolo_node_add_attr (YOLO_N (g, g->nodes->len - 1), "axis",
      YOLO_ATTR_INT)->i = 1;
  yolo_test_output (g, "out");
  /* kept: another scale in the Concat, a linear Resize */
  qdq_pair (g, "x2", "x2r", 0.0211f, zp, qt);
  yolo_test_node (g, "Concat", "rsq,x2r", "cat2");
  yolo_node_add_attr (YOLO_N (g, g->nodes->len - 1), "axis",
      YOLO_ATTR_INT)->i = 1;
  qdq_pair (g, "cat2", "out2", 0.0211f, zp, qt);
  yolo_test_output (g, "out2");
  if (!linear)
    return g;
  n = yolo_test_node (g, "Resize", "mpq,,sc", "rl");
  yolo_node_add_attr (n, "mode", YOLO_ATTR_STRING)->s = g_strdup ("linear");
  qdq_pair (g, "rl", "out3", 0.0137f, zp, qt);
  yolo_test_output (g, "out3");
  return g;
}

static void
test_noop (void)
{
  for (int k = 0; k < 3; k++) {
    YoloDType qt = k == 1 ? YOLO_DTYPE_INT8 : YOLO_DTYPE_UINT8;
    int zp = k == 0 ? 0 : k == 1 ? 127 : 255;
    GError *err = NULL;
    YoloGraph *g = noop_graph (qt, zp, TRUE);
    int fqs = 0;

    /* the pass itself: 5 of the 10 FQs are no-ops (after MaxPool, the
     * nearest Resize, the first Concat and both Split outputs) */
    g_assert_true (yolo_graph_sort (g, &err));
    g_assert_true (yolo_graph_infer (g, &err));
    yolo_graph_fuse (g);
    for (guint i = 0; i < g->nodes->len; i++) {
      YoloNode *n = YOLO_N (g, i);
      fqs += !n->removed && !strcmp (n->op_type, "QuantizeDequantizeLinear");
    }
    g_assert_cmpint (fqs, ==, 5);
    yolo_graph_free (g);
    /* the values: exactly the unfused graph's (without the linear Resize:
     * its device and C results may differ by an ulp) */
    yolo_test_check (noop_graph (qt, zp, FALSE), "no-op FQs", 0, 0, TRUE);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (20261206);
  g_test_add_func ("/qdq-fuse/epilogue", test_epilogue);
  g_test_add_func ("/qdq-fuse/no-op", test_noop);
  return g_test_run ();
}
