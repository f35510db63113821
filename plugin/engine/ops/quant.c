/* ops/quant.c - onnxruntime's dynamic int8 quantisation
 * (onnxruntime.quantization.quantize_dynamic):
 *
 *  DynamicQuantizeLinear  x (float) -> y (uint8), y_scale (float scalar),
 *                         y_zero_point (uint8 scalar), computed per frame on
 *                         the device: min/max (two stages) then quantise.
 *                         With the internal attribute per_image = 1 (set by
 *                         yolo-rebatch.c on a batch-1 export run at batch
 *                         N): one scale and zero point per image, y_scale
 *                         and y_zero_point [N, 1, .., 1] (x's rank), each
 *                         image quantised as it is alone; ONNX broadcasting
 *                         then gives every consumer its image's value.
 *                         Internal extension (yolo-quant-fuse.c): inputs
 *                         1..k (k <= YOLO_DQL_MAX_PRODUCTS, not with
 *                         per_image) are float constants w_j and outputs
 *                         3..3+k-1 their products y_scale * w_j (w_j's
 *                         shape, one float multiply each: quantize_
 *                         dynamic's Mul(x_scale, w_scale) feeding a
 *                         ConvInteger's Mul, computed by the quantising
 *                         launch instead of one Mul launch each).
 *  ConvInteger            x (uint8/int8), w (uint8/int8 constant),
 *                         x_zero_point (scalar, or [N, 1, 1, 1]: one per
 *                         image), w_zero_point (constant scalar or [M]) ->
 *                         int32 [N, M, Ho, Wo] (2D), sum over taps of
 *                         (x - x_zp) * (w - w_zp) in exact int32; padding
 *                         contributes 0.
 *  ConvIntegerToFloat     what yolo-quant-fuse.c makes of ConvInteger ->
 *                         Cast(float) -> Mul(m) [-> Add(bias)]: inputs
 *                         x, w, x_zero_point, w_zero_point, m (float, one
 *                         value or one per output channel, or [N, 1, 1, 1]
 *                         / [N, M, 1, 1]: per image), bias (float
 *                         constant of M values, optional); output
 *                         act(float(acc) * m + bias) [+ residual], float32,
 *                         rounded like the separate ops (with a fused
 *                         static QDQ epilogue, qepi: yolo-qdq-int.c, as
 *                         a Conv's, yolo_qdq_epilogue_apply). Named after
 *                         onnxruntime's MatMulIntegerToFloat.
 *  MatMulInteger          A (uint8/int8, [..., M, K]), B (uint8/int8
 *                         constant [K, N]), a_zero_point (scalar),
 *                         b_zero_point (constant scalar or [N]) -> int32
 *                         [..., M, N], sum over k of (A - a_zp) * (B - b_zp)
 *                         in exact int32 (what quantize_dynamic makes of a
 *                         MatMul / Gemm with constant weights, e.g. the
 *                         classifier's linear layer).
 *  DynamicQuantizeDequantizeLinear
 *                         what yolo-quant-fuse.c makes of a
 *                         DynamicQuantizeLinear whose y feeds only
 *                         ConvIntegerToFloat nodes, when they become float
 *                         Convs (the float emulation): outputs as
 *                         DynamicQuantizeLinear's, but y is the fake-
 *                         quantised float(q - zp) * scale.
 *
 * Arithmetic (the C references below and ocl_kernels/quant.cl agree bit for
 * bit): DynamicQuantizeLinear as onnxruntime's CPU kernel
 * (GetQuantizationParameter + MlasQuantizeLinear): the range [min, max]
 * always includes 0; scale = (max - min) / 255 (IEEE division), 1 when
 * max == min; zero point = round_half_even(clamp(0 - min / scale, 0, 255));
 * y = clamp(round_half_even(x / scale) + zp, 0, 255).
 *
 * Integer tensors live in the float32 arena as int32 (the engine's
 * convention for every integer dtype), so no byte-addressed storage is
 * needed; the fusion pass keeps the int32 intermediate off the arena for
 * every ConvInteger it matches. The OpenCL kernels: backend-opencl/quant.c. */
#include "ops/quant.h"
#include "ops/qdq.h"
#include "yolo-engine.h"

#include <math.h>
#include <string.h>


/* ---------------------------------------------------------------------- */
/* DynamicQuantizeLinear */

static gboolean
dql_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);

  int k = n->n_inputs - 1;

  if (!x || n->n_outputs < 1 || n->n_outputs > 3 + MAX (k, 0)
      || (k > 0 && n->n_outputs != 3 + k)) {
    yolo_op_error (error, n, "expects input x and 1 to 3 outputs (and one "
        "more output per scale input)");
    return FALSE;
  }
  if (k > YOLO_DQL_MAX_PRODUCTS || (k > 0
          && (strcmp (n->op_type, "DynamicQuantizeLinear")
              || yolo_node_attr_int (n, "per_image", 0))))
    return yolo_op_unsupported (error, n, "scale products: at most %d, only "
        "on a whole-tensor DynamicQuantizeLinear", YOLO_DQL_MAX_PRODUCTS);
  for (int j = 1; j <= k; j++) {
    YoloTensor *w = YOLO_IN (g, n, j);
    if (!w || w->dtype != YOLO_DTYPE_FLOAT || !yolo_tensor_is_const (w)
        || yolo_tensor_numel (w) > G_MAXINT32 / 2) {
      yolo_op_error (error, n, "scale input %d must be a float constant", j);
      return FALSE;
    }
    yolo_tensor_set_shape (YOLO_OUT (g, n, 2 + j), YOLO_DTYPE_FLOAT,
        w->ndim, w->dims);
  }
  if (x->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_error (error, n, "input x must be float32, got %s",
        yolo_dtype_name (x->dtype));
    return FALSE;
  }
  if (yolo_tensor_numel (x) > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  if (yolo_node_attr_int (n, "per_image", 0) && x->ndim < 1) {
    yolo_op_error (error, n, "per_image needs an input with a batch axis");
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0),
      strcmp (n->op_type, "DynamicQuantizeLinear") ? YOLO_DTYPE_FLOAT :
      YOLO_DTYPE_UINT8, x->ndim, x->dims);
  if (yolo_node_attr_int (n, "per_image", 0)) {
    gint64 dims[YOLO_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++)
      dims[i] = i ? 1 : x->dims[0];
    for (int k = 1; k < n->n_outputs; k++)
      yolo_tensor_set_shape (YOLO_OUT (g, n, k), k == 1 ? YOLO_DTYPE_FLOAT :
          YOLO_DTYPE_UINT8, x->ndim, dims);
    return TRUE;
  }
  if (n->n_outputs > 1)
    yolo_tensor_set_shape (YOLO_OUT (g, n, 1), YOLO_DTYPE_FLOAT, 0, NULL);
  if (n->n_outputs > 2)
    yolo_tensor_set_shape (YOLO_OUT (g, n, 2), YOLO_DTYPE_UINT8, 0, NULL);
  return TRUE;
}

gint64
yolo_dql_images (YoloGraph * g, YoloNode * n)
{
  YoloTensor *x = YOLO_IN (g, n, 0);

  return yolo_node_attr_int (n, "per_image", 0) && x && x->ndim >= 1
      && x->dims[0] > 1 ? x->dims[0] : 1;
}

/* The scale and zero point of onnxruntime's DynamicQuantizeLinear for a
 * tensor of `total` elements whose smallest / largest non-NaN elements are
 * mn / mx (NaN: every element is NaN). onnxruntime's x86 min/max (MLAS's
 * AVX kernel) skips NaN in its scalar loop, so fewer than 8 NaN give
 * scale 1 and zero point 0, while 8 or more fill all its vector lanes
 * with NaN: scale NaN, zero point 255 (std::min (255, NaN) is 255). */
static void
quant_params (float mn, float mx, gint64 total, float *scale, gint64 * zp)
{
  float z;

  if (isnan (mn)) {
    *scale = total >= 8 ? NAN : 1.0f;
    *zp = total >= 8 ? 255 : 0;
    return;
  }
  mn = fminf (mn, 0.0f);
  mx = fmaxf (mx, 0.0f);
  *scale = mx == mn ? 1.0f : (mx - mn) / 255.0f;
  z = 0.0f - mn / *scale;
  /* fminf / fmaxf, not CLAMP: a NaN z (an inf in the input: -inf / inf)
   * gives 255 as onnxruntime's std::min / std::max, not an undefined cast
   * of NaN */
  *zp = (gint64) nearbyintf (fmaxf (0.0f, fminf (255.0f, z)));
}

/* clamp(round_half_even(x / scale) + zp, 0, 255). */
static gint64
quant_u8 (float x, float scale, gint64 zp)
{
  float q = nearbyintf (x / scale);

  /* NaN (inf / inf) saturates to the low end, as MLAS's max_ps does */
  q = fminf (fmaxf (q, (float) -zp), (float) (255 - zp));
  return (gint64) q + zp;
}

static gboolean
dql_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 total = yolo_tensor_numel (x), images = yolo_dql_images (g, n);
  gint64 per = total / images;
  const float *xd = x->data;
  gboolean fake = strcmp (n->op_type, "DynamicQuantizeLinear") != 0;
  float *scales = NULL;
  gint64 *y, *zps = NULL;

  if (!xd && total > 0) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  y = yolo_tensor_alloc_data (YOLO_OUT (g, n, 0));
  if (n->n_outputs > 1)
    scales = yolo_tensor_alloc_data (YOLO_OUT (g, n, 1));
  if (n->n_outputs > 2)
    zps = yolo_tensor_alloc_data (YOLO_OUT (g, n, 2));
  /* per image (per_image) or the whole tensor: each part as alone */
  for (gint64 b = 0; b < images; b++) {
    const float *xb = xd + b * per;
    float mn = NAN, mx = NAN, scale;    /* fminf / fmaxf skip NaN */
    gint64 zp;

    for (gint64 i = 0; i < per; i++) {
      mn = fminf (mn, xb[i]);
      mx = fmaxf (mx, xb[i]);
    }
    quant_params (mn, mx, per, &scale, &zp);
    for (gint64 i = 0; i < per; i++) {
      gint64 q = quant_u8 (xb[i], scale, zp);
      if (fake)
        ((float *) y)[b * per + i] = (float) (q - zp) * scale;
      else
        y[b * per + i] = q;
    }
    if (scales)
      scales[b] = scale;
    if (zps)
      zps[b] = zp;
    /* the scale products (whole tensor only: images == 1) */
    for (int j = 1; j < n->n_inputs; j++) {
      YoloTensor *w = YOLO_IN (g, n, j);
      const float *wd = w->data;
      float *m = yolo_tensor_alloc_data (YOLO_OUT (g, n, 2 + j));
      if (!wd) {
        yolo_op_error (error, n, "scale input %d has no data", j);
        return FALSE;
      }
      for (gint64 i = 0; i < yolo_tensor_numel (w); i++)
        m[i] = scale * wd[i];
    }
  }
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* ConvInteger / ConvIntegerToFloat */


static gboolean
qconv_is_int8 (YoloDType t)
{
  return t == YOLO_DTYPE_UINT8 || t == YOLO_DTYPE_INT8;
}

gboolean
yolo_qconv_to_float (const YoloNode * n)
{
  return strcmp (n->op_type, "ConvIntegerToFloat") == 0;
}

gboolean
yolo_qconv_per_image (const YoloTensor * t, gint64 batch, gint64 channels)
{
  return batch > 1 && t->ndim == 4 && t->dims[0] == batch
      && t->dims[1] == channels && t->dims[2] == 1 && t->dims[3] == 1;
}

gboolean
yolo_qconv_geom (YoloGraph * g, YoloNode * n, QConvGeom * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *w = YOLO_IN (g, n, 1);
  YoloTensor *xzp = YOLO_IN (g, n, 2), *wzp = YOLO_IN (g, n, 3);
  char buf[128];

  memset (p, 0, sizeof (*p));
  if (!x || !w || n->n_outputs != 1) {
    yolo_op_error (error, n, "needs inputs x and w and one output");
    return FALSE;
  }
  if (!qconv_is_int8 (x->dtype) || !qconv_is_int8 (w->dtype)) {
    yolo_op_error (error, n, "x and w must be uint8 or int8 (got %s, %s)",
        yolo_dtype_name (x->dtype), yolo_dtype_name (w->dtype));
    return FALSE;
  }
  if (!yolo_tensor_is_const (w))
    return yolo_op_unsupported (error, n, "the weights w must be a constant");
  if (x->ndim != 4 || x->dims[0] < 1) {
    return yolo_op_unsupported (error, n, "only 2D convolution is supported "
        "(x %s)", yolo_shape_str (x, buf, sizeof (buf)));
  }
  if (xzp && (xzp->dtype != x->dtype || (yolo_tensor_numel (xzp) != 1
              && !yolo_qconv_per_image (xzp, x->dims[0], 1)))) {
    yolo_op_error (error, n, "x_zero_point must be one %s value (or one per "
        "image, [%" G_GINT64_FORMAT ",1,1,1])", yolo_dtype_name (x->dtype),
        x->dims[0]);
    return FALSE;
  }
  if (!yolo_conv_geometry_parse (n, x, w, FALSE, p, error))
    return FALSE;
  if (wzp && (wzp->dtype != w->dtype || !yolo_tensor_is_const (wzp)
          || (yolo_tensor_numel (wzp) != 1
              && (wzp->ndim != 1 || wzp->dims[0] != p->M)))) {
    yolo_op_error (error, n, "w_zero_point must be a constant %s scalar or "
        "[%d]", yolo_dtype_name (w->dtype), p->M);
    return FALSE;
  }
  if (!yolo_conv_geometry_output (n, p, error))
    return FALSE;
  /* |x - x_zp| and |w - w_zp| are at most 255: the int32 sum cannot
   * overflow below 2^31 / 255^2 = 33025 taps. */
  if ((gint64) p->Cg * p->kh * p->kw > 33025)
    return yolo_op_unsupported (error, n, "more than 33025 taps per output "
        "could overflow the int32 accumulator");
  if (yolo_qconv_to_float (n)) {
    YoloTensor *m = YOLO_IN (g, n, 4), *b = YOLO_IN (g, n, 5), *r;
    if (!m || m->dtype != YOLO_DTYPE_FLOAT || (yolo_tensor_numel (m) != 1
            && yolo_tensor_numel (m) != p->M
            && !yolo_qconv_per_image (m, p->N, 1)
            && !yolo_qconv_per_image (m, p->N, p->M))) {
      yolo_op_error (error, n, "the scale input must be 1 or %d floats (or "
          "[%d,1,1,1] / [%d,%d,1,1] per image)", p->M, p->N, p->N, p->M);
      return FALSE;
    }
    if (b && (b->dtype != YOLO_DTYPE_FLOAT || !yolo_tensor_is_const (b)
            || yolo_tensor_numel (b) != p->M)) {
      yolo_op_error (error, n, "the bias must be %d constant floats", p->M);
      return FALSE;
    }
    if (!yolo_conv_residual_ok (g, n, p, &r, error))
      return FALSE;
  } else if (n->act != YOLO_ACT_NONE || n->residual >= 0) {
    return yolo_op_unsupported (error, n, "fused epilogue on an int32 "
        "output");
  }
  return TRUE;
}

static gboolean
qconv_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  QConvGeom p;
  gint64 dims[4];

  if (!yolo_qconv_geom (g, n, &p, error))
    return FALSE;
  yolo_conv_geometry_out_dims (&p, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), n->qepi && n->qepi->codes >= 0 ?
      YOLO_DTYPE_UINT8 : yolo_qconv_to_float (n) ? YOLO_DTYPE_FLOAT :
      YOLO_DTYPE_INT32, 4, dims);
  return TRUE;
}

gint32 *
yolo_qconv_weights (YoloGraph * g, YoloNode * n, const QConvGeom * p)
{
  YoloTensor *w = YOLO_IN (g, n, 1), *wzp = YOLO_IN (g, n, 3);
  gsize per = (gsize) p->Cg * p->kh * p->kw;
  gint32 *out = g_new (gint32, per * p->M);
  const gint64 *wd = w->data;

  for (int m = 0; m < p->M; m++) {
    gint64 z = wzp ? yolo_const_int (wzp, yolo_tensor_numel (wzp) > 1 ? m
        : 0) : 0;
    for (gsize i = 0; i < per; i++)
      out[m * per + i] = (gint32) (wd[m * per + i] - z);
  }
  return out;
}

static gboolean
qconv_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  QConvGeom p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *xzp = YOLO_IN (g, n, 2);
  YoloTensor *mt = NULL, *bt = NULL, *rt = NULL, *yt = YOLO_OUT (g, n, 0);
  const gint64 *x;
  gint32 *w;
  gpointer y;
  gsize per, xn, yn;
  gint64 mn = 0;
  gboolean to_float = yolo_qconv_to_float (n);

  if (!yolo_qconv_geom (g, n, &p, error))
    return FALSE;
  if (to_float) {
    mt = YOLO_IN (g, n, 4);
    bt = YOLO_IN (g, n, 5);
    rt = n->residual >= 0 ? YOLO_T (g, n->residual) : NULL;
    mn = yolo_tensor_numel (mt);
  }
  x = xt->data;
  if (!x || !YOLO_IN (g, n, 1)->data || (xzp && !xzp->data)
      || (mt && !mt->data) || (bt && !bt->data) || (rt && !rt->data)) {
    yolo_op_error (error, n, "input data is missing");
    return FALSE;
  }
  w = yolo_qconv_weights (g, n, &p);
  per = (gsize) p.Cg * p.kh * p.kw;
  xn = (gsize) p.C * p.H * p.W;
  yn = (gsize) p.M * p.Ho * p.Wo;
  y = yolo_tensor_alloc_data (yt);
  /* image by image: a per-image x_zero_point / scale takes its image's */
  for (int b = 0; b < p.N; b++) {
    gint64 z = xzp ? ((gint64 *) xzp->data)[yolo_tensor_numel (xzp) > 1 ?
        b : 0] : 0;
    /* m: one value, one per channel, or either per image */
    gint64 m_img = mt && (yolo_qconv_per_image (mt, p.N, 1)
        || yolo_qconv_per_image (mt, p.N, p.M)) ? mn / p.N : 0;
    const float *md = mt ? (const float *) mt->data + b * m_img : NULL;
    gboolean m_per_channel = (m_img ? m_img : mn) > 1;
    for (int m = 0; m < p.M; m++) {
      const gint64 *xg = x + b * xn + (gsize) (m / p.Mg) * p.Cg * p.H * p.W;
      const gint32 *wm = w + m * per;
      for (int oy = 0; oy < p.Ho; oy++)
        for (int ox = 0; ox < p.Wo; ox++) {
          gint32 acc = 0;
          gsize o = b * yn + ((gsize) m * p.Ho + oy) * p.Wo + ox;
          for (int c = 0; c < p.Cg; c++)
            for (int ky = 0; ky < p.kh; ky++) {
              int iy = oy * p.sh - p.pt + ky * p.dh;
              if (iy < 0 || iy >= p.H)
                continue;
              for (int kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pl + kx * p.dw;
                if (ix >= 0 && ix < p.W)
                  acc += (gint32) (xg[((gsize) c * p.H + iy) * p.W + ix] - z)
                      * wm[(c * p.kh + ky) * p.kw + kx];
              }
            }
          if (to_float) {
            float v = (float) acc;
            v = v * md[m_per_channel ? m : 0];
            if (bt)
              v = v + ((const float *) bt->data)[m];
            if (n->qepi) {
              /* the static QDQ epilogue (yolo-qdq-int.c) */
              v = yolo_qdq_epilogue_apply (n->qepi, n->act, v, rt ?
                  (const float *) rt->data + o : NULL);
              if (n->qepi->codes >= 0) {
                ((gint64 *) y)[o] = yolo_qdq_epilogue_code (n->qepi, v);
                continue;
              }
            } else {
              v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, v);
              if (rt)
                v = v + ((const float *) rt->data)[o];
            }
            ((float *) y)[o] = v;
          } else {
            ((gint64 *) y)[o] = acc;
          }
        }
    }
  }
  g_free (w);
  return TRUE;
}

/* ---------------------------------------------------------------------- */
/* MatMulInteger */

gboolean
yolo_qmatmul_per_image (const YoloTensor * a, const YoloTensor * az)
{
  if (a->ndim < 2 || a->dims[0] < 2 || az->ndim != a->ndim
      || az->dims[0] != a->dims[0])
    return FALSE;
  for (int i = 1; i < az->ndim; i++)
    if (az->dims[i] != 1)
      return FALSE;
  return TRUE;
}

gboolean
yolo_qmatmul_geom (YoloGraph * g, YoloNode * n, QMatMulGeom * p,
    GError ** error)
{
  YoloTensor *a = YOLO_IN (g, n, 0), *b = YOLO_IN (g, n, 1);
  YoloTensor *az = YOLO_IN (g, n, 2), *bz = YOLO_IN (g, n, 3);
  char buf[64];

  memset (p, 0, sizeof (*p));
  if (!a || !b || n->n_outputs != 1) {
    yolo_op_error (error, n, "needs inputs A and B and one output");
    return FALSE;
  }
  if (!qconv_is_int8 (a->dtype) || !qconv_is_int8 (b->dtype)) {
    yolo_op_error (error, n, "A and B must be uint8 or int8 (got %s, %s)",
        yolo_dtype_name (a->dtype), yolo_dtype_name (b->dtype));
    return FALSE;
  }
  if (!yolo_tensor_is_const (b) || b->ndim != 2)
    return yolo_op_unsupported (error, n, "only a constant 2-D B is "
        "supported (pattern: MatMulInteger of two run-time tensors or "
        "batched weights)");
  if (a->ndim < 1 || a->dims[a->ndim - 1] != b->dims[0]) {
    yolo_op_error (error, n, "A %s and B %s do not multiply",
        yolo_shape_str (a, buf, 32), yolo_shape_str (b, buf + 32, 32));
    return FALSE;
  }
  if (az && (az->dtype != a->dtype || (yolo_tensor_numel (az) != 1
              && !yolo_qmatmul_per_image (a, az))))
    return yolo_op_unsupported (error, n, "a_zero_point must be one %s "
        "value, or one per image (per-row zero points are not supported)",
        yolo_dtype_name (a->dtype));
  p->K = b->dims[0];
  p->N = b->dims[1];
  if (bz && (bz->dtype != b->dtype || !yolo_tensor_is_const (bz)
          || (yolo_tensor_numel (bz) != 1 && (bz->ndim != 1
                  || bz->dims[0] != p->N)))) {
    yolo_op_error (error, n, "b_zero_point must be a constant %s scalar or "
        "[%d]", yolo_dtype_name (b->dtype), p->N);
    return FALSE;
  }
  if (p->K < 1 || p->N < 1 || p->K > 33025)
    return yolo_op_unsupported (error, n, "K = %d: 1 to 33025 (the int32 "
        "sum cannot overflow below that)", p->K);
  p->rows = yolo_tensor_numel (a) / p->K;
  if ((gint64) p->rows * p->N > G_MAXINT32 / 2)
    return yolo_op_unsupported (error, n, "tensors are too large");
  return TRUE;
}

gint32 *
yolo_qmatmul_weights (YoloGraph * g, YoloNode * n, const QMatMulGeom * p)
{
  YoloTensor *b = YOLO_IN (g, n, 1), *bz = YOLO_IN (g, n, 3);
  gint32 *out = g_new (gint32, (gsize) p->K * p->N);
  const gint64 *bd = b->data;

  for (int k = 0; k < p->K; k++)
    for (int c = 0; c < p->N; c++) {
      gint64 z = bz ? yolo_const_int (bz, yolo_tensor_numel (bz) > 1 ? c : 0)
          : 0;
      out[(gsize) k * p->N + c] = (gint32) (bd[(gsize) k * p->N + c] - z);
    }
  return out;
}

static gboolean
qmatmul_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  QMatMulGeom p;
  YoloTensor *a = YOLO_IN (g, n, 0);
  gint64 dims[YOLO_MAX_DIMS];

  if (!yolo_qmatmul_geom (g, n, &p, error))
    return FALSE;
  memcpy (dims, a->dims, sizeof (dims));
  dims[a->ndim - 1] = p.N;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_INT32, a->ndim, dims);
  return TRUE;
}

static gboolean
qmatmul_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  QMatMulGeom p;
  YoloTensor *a = YOLO_IN (g, n, 0), *az = YOLO_IN (g, n, 2);
  const gint64 *ad;
  gint64 *y;
  gint32 *w;
  gint64 z, imgs;

  if (!yolo_qmatmul_geom (g, n, &p, error))
    return FALSE;
  ad = a->data;
  if (!ad || (az && !az->data)) {
    yolo_op_error (error, n, "input data is missing");
    return FALSE;
  }
  /* one zero point, or one per image (a per_image DynamicQuantizeLinear's:
   * the rows of image b are rows b * per .. (b + 1) * per - 1) */
  imgs = az ? yolo_tensor_numel (az) : 1;
  w = yolo_qmatmul_weights (g, n, &p);
  y = yolo_tensor_alloc_data (YOLO_OUT (g, n, 0));
  for (int r = 0; r < p.rows; r++)
    for (int c = 0; c < p.N; c++) {
      gint32 acc = 0;
      z = az ? ((const gint64 *) az->data)[r / (p.rows / imgs)] : 0;
      for (int k = 0; k < p.K; k++)
        acc += (gint32) (ad[(gsize) r * p.K + k] - z) * w[(gsize) k * p.N + c];
      y[(gsize) r * p.N + c] = acc;
    }
  g_free (w);
  return TRUE;
}

static const YoloOpDef op_dql = { "DynamicQuantizeLinear", 0, dql_infer,
  dql_eval
};

static const YoloOpDef op_dqdql = { "DynamicQuantizeDequantizeLinear", 0,
  dql_infer, dql_eval
};

static const YoloOpDef op_conv_integer = { "ConvInteger", 0, qconv_infer,
  qconv_eval
};

static const YoloOpDef op_conv_integer_to_float = { "ConvIntegerToFloat", 0,
  qconv_infer, qconv_eval
};

static const YoloOpDef op_matmul_integer = { "MatMulInteger", 0,
  qmatmul_infer, qmatmul_eval
};

const YoloOpDef *const yolo_ops_quant[] = {
  &op_dql, &op_dqdql, &op_conv_integer, &op_conv_integer_to_float,
  &op_matmul_integer, NULL
};
