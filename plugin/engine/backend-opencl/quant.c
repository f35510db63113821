/* backend-opencl/quant.c - the int8 ops of ops/quant.c on OpenCL
 * (ocl_kernels/quant.cl):
 *  dynamic-quantize-linear  DynamicQuantizeLinear: min / max in pieces
 *                           (quant_minmax_partial, strided for GPUs, or
 *                           quant_minmax_partial16, contiguous float16
 *                           chunks, on wide-vector CPUs), then scale and
 *                           zero point (one work-item), then quantise
 *                           (DynamicQuantizeDequantizeLinear: to the fake-
 *                           quantised float; on wide-vector CPUs the
 *                           quantising work-items find the scale and zero
 *                           point themselves, quant_dql_fake16, or
 *                           quant_dql_int16 for the integer codes); the
 *                           scale products of DynamicQuantizeLinear
 *                           (ops/quant.c) written by the launch that
 *                           stores the scale
 *  conv-integer-f16c8       ConvInteger / ConvIntegerToFloat on CPUs that
 *                           want explicit wide vectors (PoCL), groups in
 *                           blocks of 8 output channels, weights small
 *                           enough for exact float sums (qconv_float_exact;
 *                           every layer of the shared int8 YOLO models):
 *                           16 px x 8 ch per work-item, float FMAs
 *  conv-integer-dw16        the same for one input channel per group
 *                           (depthwise): 16 px of one channel per item
 *  conv-integer-c8          groups in blocks of 8 output channels: 1 px x
 *                           8 ch per work-item, int32 arithmetic
 *  conv-integer-generic     any grouping (depthwise): one output per item
 *  matmul-integer           MatMulInteger with constant B: one int32
 *                           output per work-item, exact
 * conv_kernel=gpu (the scalar kernels, as for Conv) selects
 * conv-integer-c8 / conv-integer-generic (yolo-lower.c). */
#include "impls.h"
#include "conv-common.h"
#include "quant-args.h"
#include "ops/quant.h"

#include <string.h>

#define QCONV_BLOCK 8
#define QUANT_MINMAX_PARTS 1024
/* min / max pieces of the fake-quantised form on wide-vector CPUs */
#define QUANT_MINMAX_PARTS_WIDE 64
/* quantising pieces of quant_dql_fake16: each reduces all the min / max
 * partials itself, so few large pieces (the device has a few cores) */
#define QUANT_FAKE_PARTS_WIDE 64

/* Splits n elements into at most max_parts contiguous chunks of a multiple
 * of 16 elements (at least 512 elements a chunk where n allows): the
 * chunk length, *parts the number of chunks. */
static int
dql_chunks (gint64 n, int max_parts, int *parts)
{
  int p = (int) CLAMP (n / 512, 1, max_parts);
  int chunk = (int) yolo_div_up (yolo_div_up (n, p), 16) * 16;

  *parts = (int) yolo_div_up (n, chunk);
  return chunk;
}

/* The scale products' arguments (QUANT_PRODUCT_ARGS, quant.cl): the
 * constants w_1..w_k (inputs 1..k) uploaded as one buffer, then per slot
 * the output j, its start in that buffer and its count (unused slots:
 * count 0, pointing at the scale output). A failure is kept in a, as the
 * yolo_args_* setters do: yolo_args_ok reports it and releases the
 * kernel. */
static void
dql_args_products (YoloArgs * a, YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  int k = n->n_inputs - 1, start[YOLO_DQL_MAX_PRODUCTS];
  gint64 total = 0;
  float *ws;
  cl_mem wmem;
  GError **error = &a->gerr;

  if (a->gerr || a->err != CL_SUCCESS)
    return;

  if (k > YOLO_DQL_MAX_PRODUCTS || n->n_outputs != 3 + MAX (k, 0)) {
    yolo_op_unsupported (error, n, "scale products: at most %d",
        YOLO_DQL_MAX_PRODUCTS);
    return;
  }
  for (int j = 0; j < k; j++) {
    start[j] = (int) total;
    total += yolo_tensor_numel (YOLO_IN (g, n, 1 + j));
  }
  if (total > G_MAXINT32 / 2) {
    yolo_op_unsupported (error, n, "scale products: too many values");
    return;
  }
  ws = g_new0 (float, MAX (total, 1));
  for (int j = 0; j < k; j++) {
    YoloTensor *w = YOLO_IN (g, n, 1 + j);
    if (!w->data) {
      g_free (ws);
      yolo_op_error (error, n, "scale input %d has no data", 1 + j);
      return;
    }
    memcpy (ws + start[j], w->data, yolo_tensor_numel (w) * sizeof (float));
  }
  wmem = yolo_rt_upload (rt, ws, MAX (total, 1) * sizeof (float), error);
  g_free (ws);
  if (!wmem)
    return;
  yolo_args_mem (a, wmem);
  for (int j = 0; j < YOLO_DQL_MAX_PRODUCTS; j++) {
    yolo_args_tensor (a, rt, g, YOLO_OUT (g, n, j < k ? 3 + j : 1));
    yolo_args_int (a, j < k ? start[j] : 0);
    yolo_args_int (a, j < k ? (int) yolo_tensor_numel (YOLO_IN (g, n,
                1 + j)) : 0);
  }
}

static gboolean
dql_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *scale = n->n_outputs > 1 ? YOLO_OUT (g, n, 1) : NULL;
  YoloTensor *zp = n->n_outputs > 2 ? YOLO_OUT (g, n, 2) : NULL;
  gint64 total = yolo_tensor_numel (x);
  int parts = (int) CLAMP (total / 512, 1, QUANT_MINMAX_PARTS), chunk = 0;
  int aparts = 0, achunk = 0;
  static const gsize lws1[1] = { 1 };
  gboolean wide, fake;
  gsize gws[1];
  cl_kernel k;
  YoloArgs a;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (scale == NULL || zp == NULL)
    return yolo_op_unsupported (error, n, "the scale and zero point outputs "
        "must be used");
  if (total == 0)
    return yolo_op_unsupported (error, n, "empty input");
  fake = strcmp (n->op_type, "DynamicQuantizeLinear") != 0;
  if (fake && n->n_inputs > 1)
    return yolo_op_unsupported (error, n, "scale products only on "
        "DynamicQuantizeLinear");

  /* min / max in `parts` pieces: strided (coalesced on GPUs), or
   * contiguous chunks of float16 vectors where the compiler wants explicit
   * vectors (PoCL), one piece per core-sized work-group of 1. The fake-
   * quantised form there takes few pieces (QUANT_MINMAX_PARTS_WIDE): its
   * quantising work-items each reduce them all (quant_dql_fake16), which
   * saves the scale / zero point launch. */
  wide = yolo_rt_device (rt)->wide_vectors;
  if (wide)
    chunk = dql_chunks (total, QUANT_MINMAX_PARTS_WIDE, &parts);
  k = yolo_rt_kernel (rt, wide ? "quant_minmax_partial16" :
      "quant_minmax_partial", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_int (&a, (cl_int) total);
  yolo_args_scratch (&a, rt, 0, (gsize) parts * 2 * sizeof (float));
  yolo_args_int (&a, parts);
  if (wide)
    yolo_args_int (&a, chunk);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = parts;
  if (!yolo_rt_launch (rt, n, k, 1, gws, wide ? lws1 : NULL, error))
    return FALSE;

  if (wide) {
    achunk = dql_chunks (total, QUANT_FAKE_PARTS_WIDE, &aparts);
    k = yolo_rt_kernel (rt, fake ? "quant_dql_fake16" : "quant_dql_int16",
        error);
    if (!k)
      return FALSE;
    a = yolo_args (k);
    yolo_args_tensor (&a, rt, g, x);
    yolo_args_scratch (&a, rt, 0, (gsize) parts * 2 * sizeof (float));
    yolo_args_int (&a, parts);
    yolo_args_tensor (&a, rt, g, scale);
    yolo_args_tensor (&a, rt, g, zp);
    yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
    yolo_args_int (&a, (cl_int) total);
    yolo_args_int (&a, achunk);
    if (!fake)
      dql_args_products (&a, rt, g, n);
    if (!yolo_args_ok (&a, n, error))
      return FALSE;
    gws[0] = aparts;
    return yolo_rt_launch (rt, n, k, 1, gws, lws1, error);
  }

  k = yolo_rt_kernel (rt, "quant_dql_params", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 0, (gsize) parts * 2 * sizeof (float));
  yolo_args_int (&a, parts);
  yolo_args_tensor (&a, rt, g, scale);
  yolo_args_tensor (&a, rt, g, zp);
  yolo_args_int (&a, (cl_int) total);
  dql_args_products (&a, rt, g, n);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = 1;
  if (!yolo_rt_launch (rt, n, k, 1, gws, NULL, error))
    return FALSE;

  k = yolo_rt_kernel (rt, !fake ? "quant_dql_apply" : "quant_dql_apply_fake",
      error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, scale);
  yolo_args_tensor (&a, rt, g, zp);
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_int (&a, (cl_int) total);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = total;
  return yolo_rt_launch (rt, n, k, 1, gws, NULL, error);
}

/* TRUE when every partial sum of every output channel stays below 2^24 in
 * magnitude (255 * sum |w - w_zp| over a channel's taps): float
 * accumulation is then exact in any order (quant.cl). */
static gboolean
qconv_float_exact (const gint32 * w, const QConvGeom * p)
{
  gsize per = (gsize) p->Cg * p->kh * p->kw;

  for (int m = 0; m < p->M; m++) {
    gint64 sum = 0;
    for (gsize i = 0; i < per; i++)
      sum += ABS (w[m * per + i]);
    if (sum * 255 >= (1 << 24))
      return FALSE;
  }
  return TRUE;
}

/* Weights [M][per] repacked as [M/8][per][8] (elements of `size` bytes). */
static gpointer
qconv_pack8 (gconstpointer w, const QConvGeom * p, gsize size)
{
  gsize per = (gsize) p->Cg * p->kh * p->kw;
  guint8 *out = g_malloc (per * p->M * size);
  const guint8 *in = w;

  for (int m = 0; m < p->M; m++)
    for (gsize i = 0; i < per; i++)
      memcpy (out + (((gsize) (m / QCONV_BLOCK) * per + i) * QCONV_BLOCK
              + m % QCONV_BLOCK) * size, in + (m * per + i) * size, size);
  return out;
}

typedef enum
{
  QCONV_F16C8,                  /* conv_integer_f16c8 */
  QCONV_C8,                     /* conv_integer_c8 */
  QCONV_GENERIC,                /* conv_integer_generic */
  QCONV_DW16,                   /* conv_integer_dw16 */
} QConvKernel;

static const char *const qconv_kernel_names[] = {
  "conv_integer_f16c8", "conv_integer_c8", "conv_integer_generic",
  "conv_integer_dw16",
};

gboolean
yolo_cl_qconv_args_x (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, GError ** error)
{
  static const gint32 zero = 0;
  YoloTensor *xzp = YOLO_IN (g, n, 2);
  cl_mem zmem;

  yolo_args_tensor (a, rt, g, YOLO_IN (g, n, 0));
  if (xzp) {
    yolo_args_tensor (a, rt, g, xzp);
    return TRUE;
  }
  /* x_zero_point omitted: 0 */
  zmem = yolo_rt_upload (rt, &zero, sizeof (zero), error);
  if (!zmem) {
    /* as yolo_args_ok on failure: the caller returns at once */
    if (a->k)
      clReleaseKernel (a->k);
    a->k = NULL;
    g_clear_error (&a->gerr);
    return FALSE;
  }
  yolo_args_mem (a, zmem);
  yolo_args_int (a, 0);
  return TRUE;
}

void
yolo_cl_qconv_args_epilogue (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, cl_mem bias, cl_mem spare)
{
  gboolean to_float = yolo_qconv_to_float (n);
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  YoloTensor *mt = to_float ? YOLO_IN (g, n, 4) : NULL;
  YoloTensor *res = to_float && n->residual >= 0 ?
      YOLO_T (g, n->residual) : NULL;

  yolo_args_tensor (a, rt, g, yt);
  yolo_args_int (a, to_float);
  /* Unused arguments of the int32 form point at the output. */
  yolo_args_tensor (a, rt, g, mt ? mt : yt);
  yolo_args_int (a, mt && yolo_tensor_numel (mt) > 1);
  yolo_args_mem (a, bias ? bias : spare);
  yolo_args_int (a, bias != NULL);
  yolo_args_tensor (a, rt, g, res ? res : yt);
  yolo_args_int (a, res != NULL);
  yolo_args_int (a, n->act);
  yolo_args_float (a, n->act_alpha);
  yolo_args_float (a, n->act_beta);
}

static gboolean
qconv_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    QConvKernel kind, GError ** error)
{
  QConvGeom p;
  YoloTensor *bt = yolo_qconv_to_float (n) ? YOLO_IN (g, n, 5) : NULL;
  gsize per, gws[2];
  gint32 *w;
  gpointer upload;
  cl_mem wmem, bmem = NULL;
  cl_kernel k;
  YoloArgs a;

  if (n->qepi)
    return yolo_op_unsupported (error, n, "a fused QDQ epilogue runs on the "
        "conv-int8 kernels only");
  if (!yolo_qconv_geom (g, n, &p, error))
    return FALSE;
  per = (gsize) p.Cg * p.kh * p.kw;
  w = yolo_qconv_weights (g, n, &p);
  if (kind == QCONV_DW16) {
    float *wf = g_new (float, per * p.M);
    for (gsize i = 0; i < per * p.M; i++)
      wf[i] = (float) w[i];
    upload = wf;
  } else if (kind == QCONV_F16C8) {
    float *wf = g_new (float, per * p.M);
    for (gsize i = 0; i < per * p.M; i++)
      wf[i] = (float) w[i];
    upload = qconv_pack8 (wf, &p, sizeof (float));
    g_free (wf);
  } else if (kind == QCONV_C8) {
    upload = qconv_pack8 (w, &p, sizeof (gint32));
  } else {
    upload = g_memdup2 (w, per * p.M * sizeof (gint32));
  }
  g_free (w);
  wmem = yolo_rt_upload (rt, upload, per * p.M * 4, error);
  g_free (upload);
  if (!wmem)
    return FALSE;
  if (bt) {
    bmem = yolo_rt_upload (rt, bt->data, p.M * sizeof (float), error);
    if (!bmem)
      return FALSE;
  }
  k = yolo_rt_kernel (rt, qconv_kernel_names[kind], error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  if (!yolo_cl_qconv_args_x (&a, rt, g, n, error))
    return FALSE;
  yolo_args_mem (&a, wmem);
  yolo_cl_qconv_args_epilogue (&a, rt, g, n, bmem, wmem);
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, p.H);
  yolo_args_int (&a, p.W);
  yolo_args_int (&a, p.Ho);
  yolo_args_int (&a, p.Wo);
  yolo_args_int (&a, p.Cg);
  yolo_args_int (&a, p.Mg);
  yolo_conv_cl_args_window (&a, &p);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  if (kind == QCONV_F16C8 || kind == QCONV_DW16) {
    /* small work-groups, as conv.c's blocked kernels: PoCL then runs the
     * explicit vectors as written instead of vectorising across items */
    static const gsize lws[2] = { 1, 4 };
    gws[0] = kind == QCONV_DW16 ? p.M : p.M / QCONV_BLOCK;
    gws[1] = (gsize) yolo_div_up (p.Wo, 16) * p.Ho;
    return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
  }
  gws[0] = (gsize) p.Ho * p.Wo;
  gws[1] = kind == QCONV_C8 ? p.M / QCONV_BLOCK : p.M;
  return yolo_rt_launch (rt, n, k, 2, gws, NULL, error);
}

/* Front-end checks only (no error kept): a node the geometry refuses
 * fails later in prepare with the message. */
static gboolean
qconv_geom_ok (YoloGraph * g, YoloNode * n, QConvGeom * p)
{
  return !n->qepi && yolo_qconv_geom (g, n, p, NULL);
}

/* A fused static QDQ epilogue (yolo-qdq-int.c) runs on conv-int8 only. */
static gboolean
generic_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return !n->qepi;
}

static gboolean
f16c8_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return yolo_rt_device (rt)->wide_vectors;
}

static gboolean
f16c8_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  gint32 *w;
  gboolean ok;

  if (!qconv_geom_ok (g, n, &p) || p.Mg % QCONV_BLOCK != 0)
    return FALSE;
  w = yolo_qconv_weights (g, n, &p);
  ok = qconv_float_exact (w, &p);
  g_free (w);
  return ok;
}

static gboolean
dw16_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  gint32 *w;
  gboolean ok;

  if (!qconv_geom_ok (g, n, &p) || p.Cg != 1)
    return FALSE;
  w = yolo_qconv_weights (g, n, &p);
  ok = qconv_float_exact (w, &p);
  g_free (w);
  return ok;
}

static gboolean
dw16_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return qconv_prepare (rt, g, n, QCONV_DW16, error);
}

static gboolean
c8_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return qconv_geom_ok (g, n, &p) && p.Mg % QCONV_BLOCK == 0;
}

static gboolean
f16c8_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return qconv_prepare (rt, g, n, QCONV_F16C8, error);
}

static gboolean
c8_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return qconv_prepare (rt, g, n, QCONV_C8, error);
}

static gboolean
generic_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return qconv_prepare (rt, g, n, QCONV_GENERIC, error);
}

static gboolean
qmatmul_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  static const gint32 zero = 0;
  YoloTensor *az = YOLO_IN (g, n, 2);
  QMatMulGeom p;
  cl_mem wmem, zmem = NULL;
  gint32 *w;
  gsize gws[2];
  cl_kernel k;
  YoloArgs a;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue on an int32 "
        "output");
  if (!yolo_qmatmul_geom (g, n, &p, error))
    return FALSE;
  w = yolo_qmatmul_weights (g, n, &p);
  wmem = yolo_rt_upload (rt, w, (gsize) p.K * p.N * sizeof (gint32), error);
  g_free (w);
  if (!wmem)
    return FALSE;
  if (!az && !(zmem = yolo_rt_upload (rt, &zero, sizeof (zero), error)))
    return FALSE;
  if (p.rows == 0)
    return TRUE;
  k = yolo_rt_kernel (rt, "quant_matmul_integer", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  if (az) {
    yolo_args_tensor (&a, rt, g, az);
  } else {
    yolo_args_mem (&a, zmem);
    yolo_args_int (&a, 0);
  }
  yolo_args_mem (&a, wmem);
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_int (&a, p.rows);
  yolo_args_int (&a, p.K);
  yolo_args_int (&a, p.N);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = p.N;
  gws[1] = p.rows;
  return yolo_rt_launch (rt, n, k, 2, gws, NULL, error);
}

static const char *const qmatmul_types[] = { "MatMulInteger", NULL };

static const YoloOpImpl impl_qmatmul = {
  qmatmul_types, "matmul-integer", "quant", NULL, NULL, qmatmul_prepare, 0
};

static const char *const dql_types[] = { "DynamicQuantizeLinear",
  "DynamicQuantizeDequantizeLinear", NULL
};

static const char *const qconv_types[] = { "ConvInteger",
  "ConvIntegerToFloat", NULL
};

static const YoloOpImpl impl_dql = {
  dql_types, "dynamic-quantize-linear", "quant", NULL, NULL, dql_prepare, 0
};

static const YoloOpImpl impl_f16c8 = {
  qconv_types, "conv-integer-f16c8", "quant", f16c8_preferred,
  f16c8_supports, f16c8_prepare, 0
};

static const YoloOpImpl impl_dw16 = {
  qconv_types, "conv-integer-dw16", "quant", f16c8_preferred,
  dw16_supports, dw16_prepare, 0
};

static const YoloOpImpl impl_c8 = {
  qconv_types, "conv-integer-c8", "quant", NULL, c8_supports, c8_prepare, 0
};

static const YoloOpImpl impl_generic = {
  qconv_types, "conv-integer-generic", "quant", NULL, generic_supports,
  generic_prepare,
  0
};

const YoloOpImpl *const yolo_impls_quant[] = {
  &impl_dql, &impl_dw16, &impl_f16c8, &impl_c8, &impl_generic,
  &impl_qmatmul, NULL
};
