/* test-quant.c - the int8 ops of ops/quant.c (DynamicQuantizeLinear,
 * ConvInteger, the fused ConvIntegerToFloat): the OpenCL kernels against
 * the C reference, bit for bit, on random shapes and on the rounding edge
 * cases (ties, saturation, zero points at the ends, all-zero input), plus
 * the reference's values checked against onnxruntime's. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>


/* ins / outs: comma-separated tensor names. */
/* A float graph input with the given values. */
static int
input_floats (YoloGraph * g, const char *name, gint64 n, const float *v)
{
  int idx = yolo_test_input (g, name, YOLO_DTYPE_FLOAT, 1, DIMS (n), 0, 0);
  memcpy (YOLO_T (g, idx)->data, v, n * sizeof (float));
  return idx;
}

/* op: DynamicQuantizeLinear, or DynamicQuantizeDequantizeLinear (its
 * float emulation: y = float(q - zp) * scale). */
static YoloGraph *
dql_graph_op (const char *op)
{
  YoloGraph *g = yolo_graph_new ();
  g->opset = 20;
  yolo_test_node (g, op, "x", "y,y_scale,y_zp");
  yolo_test_output (g, "y");
  yolo_test_output (g, "y_scale");
  yolo_test_output (g, "y_zp");
  return g;
}

static YoloGraph *
dql_graph (void)
{
  return dql_graph_op ("DynamicQuantizeLinear");
}

/* Runs the C reference of the DynamicQuantizeLinear graph g on the host. */
static void
dql_host (YoloGraph * g, float *scale, gint64 * zp, gint64 ** y)
{
  GError *err = NULL;
  YoloNode *n = YOLO_N (g, 0);

  g_assert_true (yolo_graph_infer (g, &err));
  g_assert_true (yolo_ops_lookup (n->op_type)->eval (g, n, &err));
  g_assert_no_error (err);
  *scale = ((float *) YOLO_OUT (g, n, 1)->data)[0];
  *zp = ((gint64 *) YOLO_OUT (g, n, 2)->data)[0];
  *y = YOLO_OUT (g, n, 0)->data;
}

/* Known values (onnxruntime 1.x CPU gives the same). */
static void
test_dql_values (void)
{
  static const struct
  {
    int n;
    float x[8];
    float scale;
    gint64 zp;
    gint64 y[8];
  } cases[] = {
    /* onnxruntime: [85, 170, 255], scale 3/255, zp 0 */
    {3, {1, 2, 3}, 3.0f / 255.0f, 0, {85, 170, 255}},
    {3, {-1, -2, -3}, 3.0f / 255.0f, 255, {170, 85, 0}},
    /* all zero: scale 1 (onnxruntime; the ONNX reference says 1/255), zp 0 */
    {4, {0, 0, 0, 0}, 1.0f, 0, {0, 0, 0, 0}},
    /* scale exactly 0.5: x / scale = 2.5 -> 2, 3.5 -> 4, 0.5 -> 0, 1.5 -> 2
     * (ties to even); the ends saturate at 0 and 255 */
    {6, {0, 127.5f, 1.25f, 1.75f, 0.25f, 0.75f}, 0.5f, 0, {0, 255, 2, 4, 0,
            2}},
    /* zero point tie: 0 - (-2.25 / 0.5) = 4.5 -> 4; x = -2.25 -> -4.5 -> -4
     * + 4 = 0; 125.25 -> 250.5 -> 250 + 4 = 254 */
    {4, {-2.25f, 125.25f, 0, 0.25f}, 0.5f, 4, {0, 254, 4, 4}},
    /* inf and NaN (onnxruntime 1.x): scale inf; the zero point of
     * 0 - (-inf / inf) = NaN is 255 (std::min / std::max keep the bound),
     * x / inf = 0, and NaN (inf / inf, or a NaN input) quantises to 0 */
    {3, {INFINITY, -INFINITY, 1}, INFINITY, 255, {0, 0, 255}},
    {3, {-INFINITY, 1, -1}, INFINITY, 255, {0, 255, 255}},
    {2, {INFINITY, 1}, INFINITY, 0, {0, 0}},
    {2, {NAN, 1}, 1.0f / 255.0f, 0, {0, 255}},
    /* max - min overflows to inf: zero point 0 - (-3e38 / inf) = 0 */
    {3, {3e38f, -3e38f, 1}, INFINITY, 0, {0, 0, 0}},
    /* all NaN (onnxruntime 1.32, x86 AVX): under 8 elements its scalar
     * loop skips them (scale 1, zp 0); 8 or more fill its vector lanes with
     * NaN (scale NaN, zp 255); the codes are 0 either way */
    {7, {NAN, NAN, NAN, NAN, NAN, NAN, NAN}, 1.0f, 0, {0}},
    {8, {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN}, NAN, 255, {0}},
    /* all equal: scale max / 255, codes 255 */
    {5, {2.5f, 2.5f, 2.5f, 2.5f, 2.5f}, 2.5f / 255.0f, 0, {255, 255, 255,
            255, 255}},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloGraph *g = dql_graph ();
    float scale;
    gint64 zp, *y;

    input_floats (g, "x", cases[c].n, cases[c].x);
    dql_host (g, &scale, &zp, &y);
    if (isnan (cases[c].scale))
      g_assert_true (isnan (scale));
    else
      g_assert_cmpfloat (scale, ==, cases[c].scale);
    g_assert_cmpint (zp, ==, cases[c].zp);
    for (int i = 0; i < cases[c].n; i++)
      g_assert_cmpint (y[i], ==, cases[c].y[i]);
    yolo_graph_free (g);

    /* the fake-quantised form: (y - zp) * scale */
    g = dql_graph_op ("DynamicQuantizeDequantizeLinear");
    input_floats (g, "x", cases[c].n, cases[c].x);
    g_assert_true (yolo_graph_infer (g, NULL));
    g_assert_true (yolo_ops_lookup (YOLO_N (g, 0)->op_type)->eval (g,
            YOLO_N (g, 0), NULL));
    for (int i = 0; i < cases[c].n; i++) {
      float got = ((float *) YOLO_OUT (g, YOLO_N (g, 0), 0)->data)[i];
      float want = (float) (cases[c].y[i] - cases[c].zp) * cases[c].scale;
      /* an infinite scale: 0 * inf is NaN on both sides */
      if (!(isnan (got) && isnan (want)))
        g_assert_cmpfloat (got, ==, want);
    }
    yolo_graph_free (g);

    /* and the device, bit for bit */
    g = dql_graph ();
    input_floats (g, "x", cases[c].n, cases[c].x);
    yolo_test_check (g, "DynamicQuantizeLinear values", 0, 0, FALSE);
    g = dql_graph_op ("DynamicQuantizeDequantizeLinear");
    input_floats (g, "x", cases[c].n, cases[c].x);
    yolo_test_check (g, "DynamicQuantizeDequantizeLinear values", 0, 0, FALSE);
  }
}

/* Random tensors of many sizes (the min/max runs in up to 1024 parts) and
 * ranges: all positive, all negative, mixed, tiny, large; some values
 * quantised onto exact ties. */
static void
test_dql_random (void)
{
  static const gint64 sizes[] = { 1, 7, 513, 4096, 100003, 1 << 20 };
  static const float ranges[][2] = {
    {-1, 1}, {0.5f, 3}, {-40, -0.1f}, {-1e-3f, 2e-3f}, {-300, 7000},
  };

  for (guint s = 0; s < G_N_ELEMENTS (sizes) * 2; s++)
    for (guint r = 0; r < G_N_ELEMENTS (ranges); r++) {
      gboolean fake = s >= G_N_ELEMENTS (sizes);
      YoloGraph *g = dql_graph_op (fake ? "DynamicQuantizeDequantizeLinear" :
          "DynamicQuantizeLinear");
      char label[80];
      gint64 size = sizes[s % G_N_ELEMENTS (sizes)];
      int idx = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 2,
          DIMS (1, size), ranges[r][0], ranges[r][1]);
      float *x = YOLO_T (g, idx)->data;
      if (r == 0)               /* multiples of 1/512 with range 2: ties */
        for (gint64 i = 0; i < size; i += 3)
          x[i] = roundf (x[i] * 512.0f) / 512.0f;
      g_snprintf (label, sizeof (label), "%s n=%" G_GINT64_FORMAT
          " range %d", YOLO_N (g, 0)->op_type, size, r);
      yolo_test_check (g, label, 0, 0, FALSE);
    }
}

/* per_image (a batch-1 export run at batch N, yolo-rebatch.c): each image
 * quantised as alone, y_scale / y_zero_point [N, 1, ..]; the device
 * (every partial layout, both forms) against the C reference, and the
 * reference against the whole-tensor quantisation of each image alone. */
static void
test_dql_per_image (void)
{
  static const gint64 sizes[] = { 1, 7, 513, 4096, 100003 };
  static const int batches[] = { 2, 3 };

  for (guint f = 0; f < 2; f++)
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
      for (guint bi = 0; bi < G_N_ELEMENTS (batches); bi++) {
        const char *op = f ? "DynamicQuantizeDequantizeLinear" :
            "DynamicQuantizeLinear";
        int batch = batches[bi];
        gint64 size = sizes[s];
        YoloGraph *g = dql_graph_op (op);
        char label[96];
        int idx = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 3,
            DIMS (batch, 1, size), -1, 1);
        float *x = YOLO_T (g, idx)->data;
        YoloNode *n = YOLO_N (g, 0);
        YoloGraph *one;
        YoloTensor *t;

        /* image 0 in [-1, 1], image 1 all positive (zero point 0),
         * image 2 all negative and tiny */
        for (gint64 i = 0; i < size; i++) {
          x[size + i] = 40.0f * fabsf (x[size + i]) + 0.5f;
          if (batch > 2)
            x[2 * size + i] = -1e-3f * fabsf (x[2 * size + i]) - 1e-4f;
        }
        yolo_node_add_attr (n, "per_image", YOLO_ATTR_INT)->i = 1;
        g_assert_true (yolo_graph_infer (g, NULL));
        g_assert_cmpint (YOLO_OUT (g, n, 1)->ndim, ==, 3);
        g_assert_cmpint (YOLO_OUT (g, n, 1)->dims[0], ==, batch);
        g_assert_cmpint (yolo_tensor_numel (YOLO_OUT (g, n, 2)), ==, batch);
        g_assert_true (yolo_ops_lookup (op)->eval (g, n, NULL));
        for (int b = 0; b < batch; b++) {
          YoloNode *o;
          one = dql_graph_op (op);
          o = YOLO_N (one, 0);
          input_floats (one, "x", size, x + b * size);
          g_assert_true (yolo_graph_infer (one, NULL));
          g_assert_true (yolo_ops_lookup (op)->eval (one, o, NULL));
          g_assert_cmpfloat (((float *) YOLO_OUT (one, o, 1)->data)[0], ==,
              ((float *) YOLO_OUT (g, n, 1)->data)[b]);
          g_assert_cmpint (((gint64 *) YOLO_OUT (one, o, 2)->data)[0], ==,
              ((gint64 *) YOLO_OUT (g, n, 2)->data)[b]);
          g_assert_true (memcmp (YOLO_OUT (one, o, 0)->data,
                  (char *) YOLO_OUT (g, n, 0)->data + b * size * (f ? 4 : 8),
                  size * (f ? 4 : 8)) == 0);
          yolo_graph_free (one);
        }
        /* the device on a fresh graph of the same input (g holds the
         * reference's outputs now) */
        one = dql_graph_op (op);
        input_floats (one, "x", size * batch, x);
        t = YOLO_T (one, yolo_graph_find_tensor (one, "x"));
        t->ndim = 3;
        t->dims[0] = batch;
        t->dims[1] = 1;
        t->dims[2] = size;
        yolo_node_add_attr (YOLO_N (one, 0), "per_image", YOLO_ATTR_INT)->i = 1;
        yolo_graph_free (g);
        g_snprintf (label, sizeof (label), "%s per image, batch %d of %"
            G_GINT64_FORMAT, op, batch, size);
        yolo_test_check (one, label, 0, 0, FALSE);
      }
}

/* NaN inputs on the device against the C reference, in every partial
 * layout (strided, float16 chunks, the fused fake-quantising launch): all
 * NaN (scale NaN and zero point 255 from 8 elements on, else 1 and 0), and
 * NaN everywhere but a few numbers (skipped: the numbers set the range). */
static void
test_dql_nan (void)
{
  static const gint64 sizes[] = { 1, 7, 8, 9, 513, 100003, 1 << 20 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes) * 4; s++) {
    gboolean fake = s & 1, some = s & 2;
    gint64 size = sizes[s / 4];
    YoloGraph *g = dql_graph_op (fake ? "DynamicQuantizeDequantizeLinear" :
        "DynamicQuantizeLinear");
    int idx = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 2,
        DIMS (1, size), -1, 3);
    float *x = YOLO_T (g, idx)->data;
    char label[80];

    for (gint64 i = 0; i < size; i++)
      if (!some || i % 4099 != 17)
        x[i] = NAN;
    g_snprintf (label, sizeof (label), "%s n=%" G_GINT64_FORMAT " %s NaN",
        YOLO_N (g, 0)->op_type, size, some ? "mostly" : "all");
    yolo_test_check (g, label, 0, 0, FALSE);
  }
}

/* Infinities, NaN and signed zeros in tensors large enough for the wide
 * kernels (min / max pieces, 16 lanes at a time): whole pieces of +inf,
 * of -inf or of NaN next to numbers, one inf among numbers, only zeros of
 * both signs; on the device against the C reference, bit for bit. */
static void
test_dql_special (void)
{
  static const gint64 sizes[] = { 4099, 100003 };

  for (guint s = 0; s < G_N_ELEMENTS (sizes) * 2; s++)
    for (int pat = 0; pat < 5; pat++) {
      gboolean fake = s & 1;
      gint64 size = sizes[s / 2];
      YoloGraph *g = dql_graph_op (fake ? "DynamicQuantizeDequantizeLinear" :
          "DynamicQuantizeLinear");
      int idx = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 2,
          DIMS (1, size), -2, 3);
      float *x = YOLO_T (g, idx)->data;
      char label[80];

      for (gint64 i = 0; i < size; i++) {
        if (pat == 0 && i == size / 3)
          x[i] = INFINITY;
        else if (pat == 1 && i < size / 4)
          x[i] = INFINITY;
        else if (pat == 2 && i >= size - size / 4)
          x[i] = -INFINITY;
        else if (pat == 3 && i < size / 2)
          x[i] = NAN;
        else if (pat == 4)
          x[i] = i % 3 ? 0.0f : -0.0f;
      }
      g_snprintf (label, sizeof (label), "%s n=%" G_GINT64_FORMAT
          " pattern %d", YOLO_N (g, 0)->op_type, size, pat);
      yolo_test_check (g, label, 0, 0, FALSE);
    }
}

typedef struct
{
  gint64 C, H, W, M, kh, kw, group, stride, pad, dil;
  YoloDType wtype;
  gboolean per_channel;
  const char *auto_pad;         /* NULL: pads */
} QConvCase;

static const QConvCase qconv_cases[] = {
  /* C H W M kh kw group stride pad dil */
  {3, 17, 15, 16, 3, 3, 1, 2, 1, 1, YOLO_DTYPE_UINT8, FALSE},
  {16, 9, 11, 32, 3, 3, 1, 1, 1, 1, YOLO_DTYPE_INT8, FALSE},
  {24, 8, 8, 8, 1, 1, 1, 1, 0, 1, YOLO_DTYPE_INT8, TRUE},
  {16, 10, 7, 16, 3, 3, 16, 1, 1, 1, YOLO_DTYPE_INT8, FALSE},   /* depthwise */
  {24, 21, 37, 24, 5, 5, 24, 2, 2, 1, YOLO_DTYPE_UINT8, TRUE},  /* dw s2 */
  {8, 19, 40, 16, 3, 3, 8, 1, 1, 1, YOLO_DTYPE_INT8, FALSE},    /* dw x2 */
  {8, 13, 12, 16, 5, 5, 8, 2, 2, 1, YOLO_DTYPE_UINT8, FALSE},
  {6, 12, 12, 5, 3, 3, 1, 1, 2, 2, YOLO_DTYPE_UINT8, TRUE},     /* dilated */
  {12, 6, 9, 24, 3, 1, 2, 1, 1, 1, YOLO_DTYPE_INT8, TRUE},      /* grouped */
  /* auto_pad: odd totals (the extra pad at the end / at the begin) */
  {5, 9, 10, 8, 4, 3, 1, 2, 0, 1, YOLO_DTYPE_UINT8, FALSE, "SAME_UPPER"},
  {16, 11, 8, 16, 4, 4, 16, 2, 0, 1, YOLO_DTYPE_INT8, TRUE, "SAME_LOWER"},
  {8, 7, 9, 16, 3, 3, 1, 1, 0, 2, YOLO_DTYPE_INT8, FALSE, "SAME_LOWER"},
};

/* x (uint8 input), w (constant, its extreme values set), x_zp (uint8
 * input), w_zp (constant scalar or [M] at the ends of its range). */
static void
qconv_inputs_batch (YoloGraph * g, const QConvCase * c, int k, int batch)
{
  gboolean u8 = c->wtype == YOLO_DTYPE_UINT8;
  float lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
  gint64 *w, *wz, n;
  int wi, zi;

  yolo_test_input (g, "x", YOLO_DTYPE_UINT8, 4, DIMS (batch, c->C, c->H,
          c->W), 0, 255);
  /* x zero point at the ends (0, 255) and in between */
  yolo_test_input (g, "x_zp", YOLO_DTYPE_UINT8, 0, NULL, k % 3 == 0 ? 0 :
      k % 3 == 1 ? 255 : 0, k % 3 == 1 ? 255 : k % 3 == 0 ? 0 : 255);
  wi = yolo_test_const (g, "w", c->wtype, 4, DIMS (c->M, c->C / c->group,
          c->kh, c->kw), lo, hi);
  w = YOLO_T (g, wi)->data;
  n = yolo_tensor_numel (YOLO_T (g, wi));
  for (gint64 i = 0; i < n; i += 5)
    w[i] = (i / 5) % 2 ? (gint64) lo : (gint64) hi;
  if (c->per_channel)
    zi = yolo_test_const (g, "w_zp", c->wtype, 1, DIMS (c->M), lo, hi);
  else
    zi = yolo_test_const (g, "w_zp", c->wtype, 0, NULL, lo, hi);
  wz = YOLO_T (g, zi)->data;
  wz[0] = k % 2 ? (gint64) lo : (gint64) hi;
}

static void
qconv_inputs (YoloGraph * g, const QConvCase * c, int k)
{
  qconv_inputs_batch (g, c, k, 1);
}

static void
qconv_attrs (YoloNode * n, const QConvCase * c)
{
  yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = c->group;
  yolo_test_attr_ints (n, "kernel_shape", 2, DIMS (c->kh, c->kw));
  yolo_test_attr_ints (n, "strides", 2, DIMS (c->stride, c->stride));
  if (c->auto_pad)
    yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING)->s =
        g_strdup (c->auto_pad);
  else
    yolo_test_attr_ints (n, "pads", 4, DIMS (c->pad, c->pad, c->pad, c->pad));
  yolo_test_attr_ints (n, "dilations", 2, DIMS (c->dil, c->dil));
}

/* ConvInteger alone: int32 output, exact. forced_int: conv_kernel=gpu,
 * the int32 kernels even where the float-FMA one would run (PoCL). */
static void
conv_integer_cases (gboolean forced_int, int batch)
{
  YoloEngineOptions opt = { 0 };

  opt.conv_kernel = forced_int ? "gpu" : NULL;
  yolo_test_set_options (&opt);
  for (guint k = 0; k < G_N_ELEMENTS (qconv_cases); k++) {
    const QConvCase *c = &qconv_cases[k];
    YoloGraph *g = yolo_graph_new ();
    char label[64];

    g->opset = 20;
    qconv_inputs_batch (g, c, k, batch);
    qconv_attrs (yolo_test_node (g, "ConvInteger", "x,w,x_zp,w_zp", "y"), c);
    yolo_test_output (g, "y");
    g_snprintf (label, sizeof (label), "ConvInteger case %u%s batch %d", k,
        forced_int ? " (conv_kernel=gpu)" : "", batch);
    yolo_test_expect_kernel (c->C == c->group ? (forced_int ?
            "conv_integer_generic|conv_integer_c8" :
            "conv_integer_dw16|conv_integer_generic|conv_integer_c8") :
        c->M / c->group % 8 ? "conv_integer_generic" :
        forced_int ? "conv_integer_c8" :
        "conv_integer_f16c8|conv_integer_c8|conv_int8_1x1_vnni|"
        "conv_int8_3x3s2_vnni|conv_int8_1x1_pk_vnni|conv_int8_3x3s1_flat_vnni",
        TRUE);
    yolo_test_check (g, label, 0, 0, FALSE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
  yolo_test_set_options (NULL);
}

static void
test_conv_integer (void)
{
  conv_integer_cases (FALSE, 1);
  conv_integer_cases (TRUE, 1);
}

/* A batch of 3 with one x_zero_point for all (ONNX's ConvInteger of a
 * batch): lowered as 3 batch-1 launches on the images' views. */
static void
test_conv_integer_batch (void)
{
  conv_integer_cases (FALSE, 3);
  conv_integer_cases (TRUE, 2);
}

/* Weights too large for exact float sums (255 * 255 * 288 taps > 2^24):
 * the int32 kernel runs everywhere, and the sum is still exact. */
static void
test_conv_integer_large_sums (void)
{
  static const QConvCase big = { 32, 6, 6, 8, 3, 3, 1, 1, 0, 1,
    YOLO_DTYPE_UINT8, FALSE
  };
  YoloGraph *g = yolo_graph_new ();
  int wi;
  gint64 n;

  g->opset = 20;
  yolo_test_input (g, "x", YOLO_DTYPE_UINT8, 4, DIMS (1, 32, 6, 6), 250, 255);
  yolo_test_input (g, "x_zp", YOLO_DTYPE_UINT8, 0, NULL, 0, 0);
  wi = yolo_test_const (g, "w", YOLO_DTYPE_UINT8, 4, DIMS (8, 32, 3, 3), 250,
      255);
  n = yolo_tensor_numel (YOLO_T (g, wi));
  for (gint64 i = 0; i < n; i++)
    ((gint64 *) YOLO_T (g, wi)->data)[i] = 255;
  yolo_test_const (g, "w_zp", YOLO_DTYPE_UINT8, 0, NULL, 0, 0);
  qconv_attrs (yolo_test_node (g, "ConvInteger", "x,w,x_zp,w_zp", "y"), &big);
  yolo_test_output (g, "y");
  yolo_test_expect_kernel ("conv_integer_f16c8", FALSE);
  yolo_test_expect_kernel ("conv_integer_c8", TRUE);
  yolo_test_check (g, "ConvInteger sums above 2^24", 0, 0, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* The whole pattern quantize_dynamic writes, fused on the device:
 * DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul(x_scale * w_scale)
 * -> Add(bias) -> Sigmoid / Mul (SiLU) [-> Add residual]. */
static void
conv_integer_fused_batch (gboolean emulate, int batch)
{
  g_setenv ("YOLO_INT8_COMPUTE", emulate ? "float" : "integer", TRUE);
  for (guint k = 0; k < G_N_ELEMENTS (qconv_cases); k++) {
    const QConvCase *c = &qconv_cases[k];
    YoloGraph *g = yolo_graph_new ();
    gboolean res = c->stride == 1 && c->kh == c->kw && c->M == c->C
        && c->pad * 2 == c->dil * (c->kh - 1);
    char label[80];
    YoloNode *conv, *dq;
    gint64 per;
    int xi;

    g->opset = 20;
    qconv_inputs_batch (g, c, k, batch);
    /* the DynamicQuantizeLinear input replaces the uint8 "x" and "x_zp" */
    g_array_set_size (g->inputs, 0);
    xi = yolo_test_input (g, "xf", YOLO_DTYPE_FLOAT, 4, DIMS (batch, c->C,
            c->H, c->W), -3, 5);
    /* images of different ranges: image b in [-3, 5] / (b + 1), and
     * image 1 all positive (zero point 0) */
    per = (gint64) c->C * c->H * c->W;
    for (gint64 i = 0; i < per * batch; i++) {
      float *xf = YOLO_T (g, xi)->data;
      xf[i] = i / per == 1 ? fabsf (xf[i]) : xf[i] / (float) (i / per + 1);
    }
    YOLO_T (g, yolo_graph_find_tensor (g, "x"))->is_input = FALSE;
    YOLO_T (g, yolo_graph_find_tensor (g, "x_zp"))->is_input = FALSE;
    g_clear_pointer (&YOLO_T (g, yolo_graph_find_tensor (g, "x"))->data,
        g_free);
    g_clear_pointer (&YOLO_T (g, yolo_graph_find_tensor (g, "x_zp"))->data,
        g_free);
    /* batch > 1, per-channel w_zero_point: a per-channel w_scale too
     * ([1, M, 1, 1]: the scale m is then [N, M, 1, 1]) */
    if (batch > 1 && c->per_channel)
      yolo_test_const (g, "w_scale", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->M, 1,
              1), 1e-3f, 1e-2f);
    else
      yolo_test_const (g, "w_scale", YOLO_DTYPE_FLOAT, 0, NULL, 1e-3f, 1e-2f);
    yolo_test_const (g, "bias", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->M, 1, 1),
        -1, 1);
    dq = yolo_test_node (g, "DynamicQuantizeLinear", "xf", "x,x_scale,x_zp");
    /* at batch > 1: one scale and zero point per image (what
     * yolo-rebatch.c sets on a batch-1 export run at batch N) */
    if (batch > 1)
      yolo_node_add_attr (dq, "per_image", YOLO_ATTR_INT)->i = 1;
    yolo_test_node (g, "Mul", "x_scale,w_scale", "m");
    conv = yolo_test_node (g, "ConvInteger", "x,w,x_zp,w_zp", "acc");
    qconv_attrs (conv, c);
    yolo_node_add_attr (yolo_test_node (g, "Cast", "acc", "accf"), "to",
        YOLO_ATTR_INT)->i = YOLO_DTYPE_FLOAT;
    yolo_test_node (g, "Mul", "accf,m", "deq");
    yolo_test_node (g, "Add", "bias,deq", "pre");
    yolo_test_node (g, "Sigmoid", "pre", "sig");
    yolo_test_node (g, "Mul", "pre,sig", res ? "act" : "y");
    if (res)
      yolo_test_node (g, "Add", "act,xf", "y");
    yolo_test_output (g, "y");
    g_snprintf (label, sizeof (label), "%s case %u%s batch %d", emulate ?
        "float-emulated ConvInteger" : "ConvIntegerToFloat", k,
        res ? " + residual" : "", batch);
    /* fused: no Cast, no separate bias Add or SiLU */
    yolo_test_expect_kernel ("eltwise_cast_i2f", FALSE);
    yolo_test_expect_kernel ("eltwise_unary", FALSE);
    if (emulate) {
      /* a float Conv of the fake-quantised input: no integer conv */
      yolo_test_expect_kernel ("quant_dql_apply|quant_dql_int16", FALSE);
      yolo_test_expect_kernel ("conv_integer_generic", FALSE);
      yolo_test_expect_kernel ("conv_integer_c8", FALSE);
      yolo_test_expect_kernel ("conv_integer_f16c8", FALSE);
      yolo_test_expect_kernel ("conv_integer_dw16", FALSE);
    } else {
      yolo_test_expect_kernel ("quant_dql_apply|quant_dql_int16", TRUE);
      /* batch 1: x_scale * w_scale written by the quantising launch
       * (fold_scale_products), no Mul launch; per image: a Mul */
      if (batch == 1)
        yolo_test_expect_kernel ("eltwise_binary_same|eltwise_binary_bcast|"
            "eltwise_binary_rows", FALSE);
    }
    /* the integer part is exact (float emulation: float rounding of the
     * products and sums, relative 1e-6); SiLU's exp differs by an ulp or
     * so */
    yolo_test_check (g, label, 1e-5f, 1e-5f, TRUE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
  g_unsetenv ("YOLO_INT8_COMPUTE");
}

static void
conv_integer_fused (gboolean emulate)
{
  conv_integer_fused_batch (emulate, 1);
}

static void
test_conv_integer_fused (void)
{
  conv_integer_fused (FALSE);
}

/* The pattern at batch 3 with a per-image DynamicQuantizeLinear: its
 * [3, 1, 1, 1] scale and zero point reach each image's integer conv
 * (ConvIntegerToFloat per image, its x_zero_point and scale m views at
 * the image) or float-emulated conv (the fake quantiser per image), against
 * the C reference that quantises each image alone. */
static void
test_conv_integer_per_image (void)
{
  conv_integer_fused_batch (FALSE, 3);
  conv_integer_fused_batch (TRUE, 3);
}

/* The same pattern as float Convs of the fake-quantised input (the float
 * emulation of yolo-quant-fuse.c) against the integer C reference. */
static void
test_conv_integer_emulated (void)
{
  conv_integer_fused (TRUE);
}

/* The same graph unfused: Cast int32 -> float and the float ops run as
 * their own kernels on the int32 ConvInteger output. */
static void
test_conv_integer_unfused (void)
{
  const QConvCase *c = &qconv_cases[1];
  YoloGraph *g = yolo_graph_new ();

  g->opset = 20;
  qconv_inputs (g, c, 1);
  yolo_test_const (g, "s", YOLO_DTYPE_FLOAT, 0, NULL, 1e-4f, 1e-3f);
  qconv_attrs (yolo_test_node (g, "ConvInteger", "x,w,x_zp,w_zp", "acc"), c);
  yolo_node_add_attr (yolo_test_node (g, "Cast", "acc", "accf"), "to",
      YOLO_ATTR_INT)->i = YOLO_DTYPE_FLOAT;
  yolo_test_node (g, "Mul", "accf,s", "y");
  yolo_test_output (g, "y");
  yolo_test_output (g, "acc");  /* a graph output: the pass leaves it */
  yolo_test_expect_kernel ("eltwise_cast_i2f", TRUE);
  yolo_test_check (g, "ConvInteger -> Cast -> Mul unfused", 0, 0, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* ConvInteger -> Cast(to=FLOAT16) -> Mul: the int32 sums round to half
 * (inf above 65504), so the pass must not fold the Cast into a float
 * epilogue (it did: a float16 Cast is FLOAT in the graph too). */
static void
test_conv_integer_cast_half (void)
{
  const QConvCase *c = &qconv_cases[1];
  YoloGraph *g = yolo_graph_new ();

  g->opset = 20;
  qconv_inputs (g, c, 1);
  yolo_test_const (g, "s", YOLO_DTYPE_FLOAT, 0, NULL, 1e-4f, 1e-3f);
  qconv_attrs (yolo_test_node (g, "ConvInteger", "x,w,x_zp,w_zp", "acc"), c);
  yolo_node_add_attr (yolo_test_node (g, "Cast", "acc", "acch"), "to",
      YOLO_ATTR_INT)->i = YOLO_DTYPE_FLOAT16;
  yolo_test_node (g, "Mul", "acch,s", "y");
  yolo_test_output (g, "y");
  yolo_test_expect_kernel ("eltwise_cast_i2h", TRUE);
  yolo_test_check (g, "ConvInteger -> Cast(float16) -> Mul", 0, 0, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Optional inputs left out: x_zero_point and w_zero_point are 0. */
static void
test_conv_integer_no_zero_points (void)
{
  YoloGraph *g = yolo_graph_new ();
  YoloNode *n;

  g->opset = 20;
  yolo_test_input (g, "x", YOLO_DTYPE_UINT8, 4, DIMS (1, 8, 7, 9), 0, 255);
  yolo_test_const (g, "w", YOLO_DTYPE_INT8, 4, DIMS (16, 8, 3, 3), -128, 127);
  n = yolo_test_node (g, "ConvInteger", "x,w", "y");
  yolo_test_attr_ints (n, "pads", 4, DIMS (1, 1, 1, 1));
  yolo_test_output (g, "y");
  yolo_test_check (g, "ConvInteger without zero points", 0, 0, FALSE);
}

/* DynamicQuantizeLinear with scale products (inputs w_1..w_k, outputs
 * y_scale * w_j; what fold_scale_products makes of quantize_dynamic's
 * x_scale * w_scale Muls): the device against the C reference, bit for
 * bit, k = 1 to 4, scalar and per-channel w, the wide-vector and the
 * one-work-item scale launches (quant_dql_int16 / quant_dql_params) as
 * the device takes them; each product against x_scale * w_j. */
static YoloGraph *
dql_products_graph (gint64 size, int k)
{
  static const char *const ins[] = { "x,w1", "x,w1,w2", "x,w1,w2,w3",
    "x,w1,w2,w3,w4"
  };
  static const char *const outs[] = { "y,s,z,m1", "y,s,z,m1,m2",
    "y,s,z,m1,m2,m3", "y,s,z,m1,m2,m3,m4"
  };
  YoloGraph *g = yolo_graph_new ();
  char name[8];

  g->opset = 20;
  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 2, DIMS (1, size), -3, 5);
  yolo_test_const (g, "w1", YOLO_DTYPE_FLOAT, 0, NULL, 1e-3f, 1e-2f);
  yolo_test_const (g, "w2", YOLO_DTYPE_FLOAT, 1, DIMS (16), 1e-4f, 1e-1f);
  yolo_test_const (g, "w3", YOLO_DTYPE_FLOAT, 4, DIMS (1, 37, 1, 1), 1e-5f,
      3.0f);
  yolo_test_const (g, "w4", YOLO_DTYPE_FLOAT, 1, DIMS (1), 0.5f, 0.5f);
  yolo_test_node (g, "DynamicQuantizeLinear", ins[k - 1], outs[k - 1]);
  yolo_test_output (g, "y");
  yolo_test_output (g, "s");
  yolo_test_output (g, "z");
  for (int j = 1; j <= k; j++) {
    g_snprintf (name, sizeof (name), "m%d", j);
    yolo_test_output (g, name);
  }
  return g;
}

static void
test_dql_products (void)
{
  static const gint64 sizes[] = { 7, 4096, 100003 };

  for (guint si = 0; si < G_N_ELEMENTS (sizes); si++)
    for (int k = 1; k <= 4; k++) {
      YoloGraph *g = dql_products_graph (sizes[si], k);
      YoloNode *n = YOLO_N (g, 0);
      char label[80];
      float s;

      /* the reference: each product is the scale times w_j, w_j's shape */
      g_assert_true (yolo_graph_infer (g, NULL));
      g_assert_true (yolo_ops_lookup (n->op_type)->eval (g, n, NULL));
      s = ((float *) YOLO_OUT (g, n, 1)->data)[0];
      for (int j = 1; j <= k; j++) {
        YoloTensor *w = YOLO_IN (g, n, j), *m = YOLO_OUT (g, n, 2 + j);
        g_assert_true (yolo_tensor_same_shape (w, m));
        for (gint64 i = 0; i < yolo_tensor_numel (w); i++)
          g_assert_cmpfloat (((float *) m->data)[i], ==,
              s * ((float *) w->data)[i]);
      }
      yolo_graph_free (g);

      /* the device, bit for bit */
      g = dql_products_graph (sizes[si], k);
      g_snprintf (label, sizeof (label), "DynamicQuantizeLinear n=%"
          G_GINT64_FORMAT " with %d scale products", sizes[si], k);
      /* PoCL: quant_dql_int16; rusticl (llvmpipe): quant_dql_params */
      yolo_test_expect_kernel ("quant_dql_params|quant_dql_int16", TRUE);
      yolo_test_check (g, label, 0, 0, FALSE);
      yolo_test_expect_kernel (NULL, FALSE);
    }
}

/* Bad input: a clear error, no crash. */
/* MatMulInteger (constant B) against the C reference, bit for bit: A of
 * rank 1 to 3, uint8 / int8, values and zero points at the ends of the
 * range (the largest |products|), per-column b_zero_point. */
static void
test_matmul_integer (void)
{
  static const struct
  {
    int ndim;
    gint64 dims[3];
    gint64 N;
    YoloDType at, bt;
    gboolean per_col, no_zp, per_image;
  } cases[] = {
    {2, {1, 1280}, 1000, YOLO_DTYPE_UINT8, YOLO_DTYPE_UINT8, FALSE, FALSE},
    {3, {2, 37, 64}, 48, YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, TRUE, FALSE},
    {1, {33}, 7, YOLO_DTYPE_INT8, YOLO_DTYPE_INT8, FALSE, FALSE},
    {2, {5, 3000}, 3, YOLO_DTYPE_INT8, YOLO_DTYPE_UINT8, TRUE, FALSE},
    {2, {4, 16}, 9, YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, FALSE, TRUE},
    /* one a_zero_point per image (a per_image DynamicQuantizeLinear's at
     * the engine's batch: the classifier's linear layer), [3, 1] and
     * [2, 1, 1] with zero points 0, 255, 77 */
    {2, {3, 1280}, 100, YOLO_DTYPE_UINT8, YOLO_DTYPE_UINT8, FALSE, FALSE,
        TRUE},
    {3, {2, 5, 64}, 48, YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, TRUE, FALSE, TRUE},
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++) {
    YoloGraph *g = yolo_graph_new ();
    gint64 K = cases[k].dims[cases[k].ndim - 1], N = cases[k].N, nb;
    float alo = cases[k].at == YOLO_DTYPE_UINT8 ? 0 : -128;
    float blo = cases[k].bt == YOLO_DTYPE_UINT8 ? 0 : -128;
    gint64 *a, *b, na;
    char label[64];
    int ai, bi;

    g->opset = 20;
    ai = yolo_test_input (g, "a", cases[k].at, cases[k].ndim, cases[k].dims,
        alo, alo + 255);
    bi = yolo_test_const (g, "b", cases[k].bt, 2, DIMS (K, N), blo, blo + 255);
    a = YOLO_T (g, ai)->data;
    b = YOLO_T (g, bi)->data;
    na = yolo_tensor_numel (YOLO_T (g, ai));
    nb = K * N;
    /* long runs at the ends of the range: the largest sums */
    for (gint64 i = 0; i < na; i++)
      if (i % 3 == 0)
        a[i] = (gint64) (k % 2 ? alo : alo + 255);
    for (gint64 i = 0; i < nb; i++)
      if (i % 4 == 0)
        b[i] = (gint64) (k % 2 ? blo + 255 : blo);
    if (cases[k].no_zp) {
      yolo_test_node (g, "MatMulInteger", "a,b", "y");
    } else {
      int bz;
      gint64 zdims[3] = { cases[k].dims[0], 1, 1 };
      yolo_test_input (g, "a_zp", cases[k].at, cases[k].per_image ?
          cases[k].ndim : 0, zdims, alo, alo + 255);
      ((gint64 *) YOLO_T (g, yolo_graph_find_tensor (g, "a_zp"))->data)[0] =
          (gint64) (k % 2 ? alo + 255 : alo);
      for (gint64 i = 1; cases[k].per_image && i < zdims[0]; i++)
        ((gint64 *) YOLO_T (g, yolo_graph_find_tensor (g, "a_zp"))->data)[i]
            = i == 1 ? (gint64) (k % 2 ? alo : alo + 255) : 77;
      bz = cases[k].per_col ?
          yolo_test_const (g, "b_zp", cases[k].bt, 1, DIMS (N), blo,
          blo + 255) : yolo_test_const (g, "b_zp", cases[k].bt, 0, NULL, blo,
          blo + 255);
      ((gint64 *) YOLO_T (g, bz)->data)[0] = (gint64) (k % 2 ? blo : blo + 255);
      yolo_test_node (g, "MatMulInteger", "a,b,a_zp,b_zp", "y");
    }
    yolo_test_output (g, "y");
    g_snprintf (label, sizeof (label), "MatMulInteger case %u", k);
    yolo_test_expect_kernel ("quant_matmul_integer", TRUE);
    yolo_test_check (g, label, 0, 0, FALSE);
    yolo_test_expect_kernel (NULL, FALSE);
  }
}

/* ------------------------------------------------------------------ */
/* QuantizeLinear / DequantizeLinear / QuantizeDequantizeLinear (ops/qdq.c) */

/* A constant scale (and zero point of type qt) for a QDQ node: per tensor
 * (channels 0: scalars) or one per channel. */
static void
qdq_params (YoloGraph * g, int channels, YoloDType qt, const float *scale,
    const gint64 * zp)
{
  int s, z;

  if (channels == 0) {
    s = yolo_test_const_floats (g, "s", 0, NULL, scale);
    z = yolo_test_const_ints (g, "z", 0, NULL, zp);
  } else {
    s = yolo_test_const_floats (g, "s", 1, DIMS (channels), scale);
    z = yolo_test_const_ints (g, "z", 1, DIMS (channels), zp);
  }
  (void) s;
  YOLO_T (g, z)->dtype = qt;
}

/* Known values (onnxruntime's QuantizeLinear gives the same). */
static void
test_qdq_values (void)
{
  static const float x[6] = { 1.25f, 1.75f, -1, 200, 0.25f, -0.75f };
  static const gint64 want_u8[6] = { 2, 4, 0, 255, 0, 0 };      /* zp 0 */
  static const gint64 want_i8[6] = { 127, 127, 125, 127, 127, 125 };    /* zp 127 */
  static const float half = 0.5f;

  for (int k = 0; k < 2; k++) {
    YoloGraph *g = yolo_graph_new ();
    gint64 zp = k ? 127 : 0;
    const gint64 *want = k ? want_i8 : want_u8;
    GError *err = NULL;
    YoloNode *n;

    g->opset = 21;
    input_floats (g, "x", 6, x);
    qdq_params (g, 0, k ? YOLO_DTYPE_INT8 : YOLO_DTYPE_UINT8, &half, &zp);
    n = yolo_test_node (g, "QuantizeLinear", "x,s,z", "q");
    yolo_test_output (g, "q");
    g_assert_true (yolo_graph_infer (g, &err));
    g_assert_no_error (err);
    g_assert_true (yolo_ops_lookup (n->op_type)->eval (g, n, &err));
    for (int i = 0; i < 6; i++)
      g_assert_cmpint (((gint64 *) YOLO_OUT (g, n, 0)->data)[i], ==, want[i]);
    yolo_graph_free (g);
  }
}

typedef struct
{
  gint64 C, H, W;
  int axis;                     /* -1: per tensor */
  YoloDType qt;
  int zp_kind;                  /* 0 low end, 1 high end, 2 random */
  gboolean ties;                /* power-of-two scales, x on .5 steps */
} QdqCase;

static const QdqCase qdq_cases[] = {
  {3, 17, 15, -1, YOLO_DTYPE_UINT8, 0, TRUE},
  {3, 17, 15, -1, YOLO_DTYPE_UINT8, 1, TRUE},
  {8, 9, 11, -1, YOLO_DTYPE_INT8, 0, TRUE},
  {8, 9, 11, -1, YOLO_DTYPE_INT8, 1, FALSE},
  {16, 10, 7, 1, YOLO_DTYPE_INT8, 2, TRUE},
  {5, 6, 33, 1, YOLO_DTYPE_UINT8, 2, FALSE},
  {4, 6, 9, 3, YOLO_DTYPE_UINT8, 2, TRUE},      /* innermost axis */
  {64, 40, 40, -1, YOLO_DTYPE_UINT8, 2, FALSE},
};

/* mode 0: QuantizeLinear; 1: QuantizeLinear -> DequantizeLinear unfused;
 * 2: the same pair fused into QuantizeDequantizeLinear. */
static YoloGraph *
qdq_graph (const QdqCase * c, int mode, guint seed)
{
  YoloGraph *g = yolo_graph_new ();
  GRand *r = g_rand_new_with_seed (seed);
  int ch = c->axis < 0 ? 0 : (int) (c->axis == 1 ? c->C : c->axis == 3 ?
      c->W : c->H);
  int nch = MAX (ch, 1), lo = c->qt == YOLO_DTYPE_UINT8 ? 0 : -128;
  float *scale = g_new (float, nch);
  gint64 *zp = g_new (gint64, nch), n;
  float *x;
  int idx;
  YoloNode *q;

  g->opset = 21;
  for (int i = 0; i < nch; i++) {
    scale[i] = c->ties ? ldexpf (1.0f, g_rand_int_range (r, -6, 2)) :
        (float) g_rand_double_range (r, 1e-3, 0.1);
    zp[i] = c->zp_kind == 0 ? lo : c->zp_kind == 1 ? lo + 255 :
        g_rand_int_range (r, lo, lo + 256);
  }
  idx = yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, DIMS (1, c->C, c->H,
          c->W), -3, 3);
  x = YOLO_T (g, idx)->data;
  n = c->C * c->H * c->W;
  for (gint64 i = 0; i < n; i++) {
    gint64 chan = c->axis == 1 ? i / (c->H * c->W) : c->axis == 2 ?
        (i / c->W) % c->H : c->axis == 3 ? i % c->W : 0;
    float s = scale[chan];
    switch (g_rand_int_range (r, 0, 4)) {
      case 0:                  /* a tie: (k + 0.5) * scale, exact */
        if (c->ties)
          x[i] = ((float) g_rand_int_range (r, -300, 300) + 0.5f) * s;
        break;
      case 1:                  /* far out: saturates */
        x[i] = (g_rand_boolean (r) ? 1 : -1) * s * 1000.0f;
        break;
      default:
        x[i] *= s * 50.0f;
        break;
    }
  }
  /* non-finite activations: inf / -inf saturate, NaN goes to the low end
   * (in the first 16 lanes: the wide kernel's plain-division branch) */
  x[0] = INFINITY;
  x[1] = -INFINITY;
  x[2] = NAN;
  qdq_params (g, ch, c->qt, scale, zp);
  q = yolo_test_node (g, "QuantizeLinear", "x,s,z", mode ? "q" : "y");
  if (c->axis >= 0)
    yolo_node_add_attr (q, "axis", YOLO_ATTR_INT)->i = c->axis;
  if (mode) {
    YoloNode *d = yolo_test_node (g, "DequantizeLinear", "q,s,z", "y");
    if (c->axis >= 0)
      yolo_node_add_attr (d, "axis", YOLO_ATTR_INT)->i = c->axis;
  }
  yolo_test_output (g, "y");
  g_free (scale);
  g_free (zp);
  g_rand_free (r);
  return g;
}

/* The kernels against the C reference, bit for bit, on ties, saturation
 * at both ends, inf / -inf / NaN inputs, zero points at the ends of the
 * range, per tensor and per axis. */
static void
test_qdq_random (void)
{
  for (guint k = 0; k < G_N_ELEMENTS (qdq_cases); k++)
    for (int mode = 0; mode < 3; mode++) {
      char label[64];
      g_snprintf (label, sizeof (label), "QDQ case %u mode %d", k, mode);
      yolo_test_expect_kernel ("quant_fake_linear|quant_fake_linear16",
          mode == 2);
      yolo_test_expect_kernel ("quant_dequantize_linear", mode == 1);
      yolo_test_check (qdq_graph (&qdq_cases[k], mode, k), label, 0, 0,
          mode == 2);
      yolo_test_expect_kernel (NULL, FALSE);
    }
}

/* DequantizeLinear of a uint8 / int8 graph input (run as written). */
static void
test_dequantize_input (void)
{
  for (int k = 0; k < 2; k++) {
    YoloGraph *g = yolo_graph_new ();
    YoloDType qt = k ? YOLO_DTYPE_INT8 : YOLO_DTYPE_UINT8;
    float scale[3] = { 0.5f, 0.037f, 3.0f };
    gint64 zp[3] = { k ? -128 : 0, k ? 127 : 255, 7 };
    YoloNode *d;

    g->opset = 21;
    yolo_test_input (g, "q", qt, 4, DIMS (1, 3, 5, 6), k ? -128 : 0,
        k ? 127 : 255);
    qdq_params (g, 3, qt, scale, zp);
    d = yolo_test_node (g, "DequantizeLinear", "q,s,z", "y");
    yolo_node_add_attr (d, "axis", YOLO_ATTR_INT)->i = 1;
    yolo_test_output (g, "y");
    yolo_test_check (g, "DequantizeLinear of an int input", 0, 0, FALSE);
  }
}

static void
test_errors (void)
{
  GError *err = NULL;
  YoloGraph *g = yolo_graph_new ();

  g->opset = 20;
  yolo_test_input (g, "x", YOLO_DTYPE_UINT8, 4, DIMS (1, 4, 5, 5), 0, 255);
  yolo_test_input (g, "x_zp", YOLO_DTYPE_UINT8, 0, NULL, 0, 255);
  yolo_test_const (g, "w", YOLO_DTYPE_INT8, 4, DIMS (8, 3, 3, 3), -5, 5);
  yolo_test_node (g, "ConvInteger", "x,w,x_zp", "y");
  yolo_test_output (g, "y");
  g_assert_false (yolo_graph_infer (g, &err));
  g_assert_nonnull (strstr (err->message, "ConvInteger node"));
  g_assert_nonnull (strstr (err->message,
          "expected 4 input channels per group (C=4, group=1)"));
  g_clear_error (&err);
  yolo_graph_free (g);

  g = yolo_graph_new ();
  yolo_test_input (g, "x", YOLO_DTYPE_INT32, 1, DIMS (4), 0, 5);
  yolo_test_node (g, "DynamicQuantizeLinear", "x", "y,s,z");
  g_assert_false (yolo_graph_infer (g, &err));
  g_assert_nonnull (strstr (err->message, "input x must be float32"));
  g_clear_error (&err);
  yolo_graph_free (g);

  /* scale products: a run-time w, an output short, more than 4, on the
   * fake-quantising form, per image */
  {
    static const struct
    {
      const char *op, *ins, *outs, *msg;
      gboolean per_image;
    } bad[] = {
      {"DynamicQuantizeLinear", "x,xr", "y,s,z,m1",
          "scale input 1 must be a float constant"},
      {"DynamicQuantizeLinear", "x,w", "y,s,z", "one more output per scale"},
      {"DynamicQuantizeLinear", "x,w,w,w,w,w", "y,s,z,a,b,c,d,e",
          "scale products: at most 4"},
      {"DynamicQuantizeDequantizeLinear", "x,w", "y,s,z,m1",
          "scale products: at most 4"},
      {"DynamicQuantizeLinear", "x,w", "y,s,z,m1",
          "scale products: at most 4", TRUE},
    };
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
      YoloNode *n;
      g = yolo_graph_new ();
      g->opset = 20;
      yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 2, DIMS (2, 4), -1, 1);
      yolo_test_input (g, "xr", YOLO_DTYPE_FLOAT, 0, NULL, -1, 1);
      yolo_test_const (g, "w", YOLO_DTYPE_FLOAT, 1, DIMS (3), 1, 2);
      n = yolo_test_node (g, bad[i].op, bad[i].ins, bad[i].outs);
      if (bad[i].per_image)
        yolo_node_add_attr (n, "per_image", YOLO_ATTR_INT)->i = 1;
      yolo_test_output (g, "y");
      g_assert_false (yolo_graph_infer (g, &err));
      g_assert_nonnull (strstr (err->message, bad[i].msg));
      g_clear_error (&err);
      yolo_graph_free (g);
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (20261206);
  g_test_add_func ("/quant/dql-values", test_dql_values);
  g_test_add_func ("/quant/dql-nan", test_dql_nan);
  g_test_add_func ("/quant/dql-random", test_dql_random);
  g_test_add_func ("/quant/dql-special", test_dql_special);
  g_test_add_func ("/quant/dql-per-image", test_dql_per_image);
  g_test_add_func ("/quant/dql-products", test_dql_products);
  g_test_add_func ("/quant/conv-integer", test_conv_integer);
  g_test_add_func ("/quant/conv-integer-batch", test_conv_integer_batch);
  g_test_add_func ("/quant/conv-integer-per-image",
      test_conv_integer_per_image);
  g_test_add_func ("/quant/conv-integer-no-zero-points",
      test_conv_integer_no_zero_points);
  g_test_add_func ("/quant/conv-integer-large-sums",
      test_conv_integer_large_sums);
  g_test_add_func ("/quant/conv-integer-fused", test_conv_integer_fused);
  g_test_add_func ("/quant/conv-integer-emulated", test_conv_integer_emulated);
  g_test_add_func ("/quant/conv-integer-unfused", test_conv_integer_unfused);
  g_test_add_func ("/quant/conv-integer-cast-half",
      test_conv_integer_cast_half);
  g_test_add_func ("/quant/matmul-integer", test_matmul_integer);
  g_test_add_func ("/quant/qdq-values", test_qdq_values);
  g_test_add_func ("/quant/qdq-random", test_qdq_random);
  g_test_add_func ("/quant/dequantize-input", test_dequantize_input);
  g_test_add_func ("/quant/errors", test_errors);
  return g_test_run ();
}
