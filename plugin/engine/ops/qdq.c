/* ops/qdq.c - static int8 quantisation (the QDQ format of onnxruntime's
 * quantize_static and of other exporters):
 *
 *  QuantizeLinear           x (float), y_scale (float constant), y_zero_point
 *                           (uint8 / int8 constant, optional: uint8 0) ->
 *                           y = saturate(round_half_even(x / y_scale) + zp)
 *                           (uint8 / int8, the zero point's type), per
 *                           tensor or per `axis` (1-D scale of dims[axis]).
 *  DequantizeLinear         x (uint8 / int8; int32 when constant, e.g. a
 *                           bias), x_scale, x_zero_point -> float
 *                           y = float(x - zp) * scale. On constants (the
 *                           weights) it folds at load into float weights.
 *  QuantizeDequantizeLinear what yolo-quant-fuse.c makes of a
 *                           QuantizeLinear -> DequantizeLinear pair with the
 *                           same parameters on an activation: the fake
 *                           quantisation y = float(q(x) - zp) * scale, float
 *                           in, float out, so activations stay float32.
 *
 * Arithmetic as onnxruntime's CPU kernels (MlasQuantizeLinear: IEEE
 * division, round half to even, saturation; DequantizeLinear: one float
 * product). Integer tensors live in the arena as int32 (the engine's
 * convention). The OpenCL kernels: backend-opencl/qdq.c, ocl_kernels/
 * quant.cl. */
#include "ops/qdq.h"
#include "yolo-engine.h"

#include <math.h>
#include <string.h>

void
yolo_qdq_params_clear (QdqParams * p)
{
  g_clear_pointer (&p->scale, g_free);
  g_clear_pointer (&p->zero_point, g_free);
}

gboolean
yolo_qdq_params (YoloGraph * g, YoloNode * n, QdqParams * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *s = YOLO_IN (g, n, 1);
  YoloTensor *z = YOLO_IN (g, n, 2);
  gboolean quantize = !strcmp (n->op_type, "QuantizeLinear")
      || !strcmp (n->op_type, "QuantizeDequantizeLinear");
  gint64 axis_attr = yolo_node_attr_int (n, "axis", 1), numel;
  int axis;
  char buf[64];

  memset (p, 0, sizeof (*p));
  if (!x || !s || n->n_outputs != 1) {
    yolo_op_error (error, n, "needs inputs x and scale and one output");
    return FALSE;
  }
  if (yolo_node_attr_int (n, "block_size", 0) != 0)
    return yolo_op_unsupported (error, n, "blocked quantisation (block_size) "
        "is not supported");
  if (!yolo_tensor_is_const (s) || (z && !yolo_tensor_is_const (z)))
    return yolo_op_unsupported (error, n, "scale and zero point must be "
        "constants (pattern: %s with run-time parameters)", n->op_type);
  if (s->dtype != YOLO_DTYPE_FLOAT)
    return yolo_op_unsupported (error, n, "scale must be float32, got %s",
        yolo_dtype_name (s->dtype));
  if (quantize) {
    if (x->dtype != YOLO_DTYPE_FLOAT) {
      yolo_op_error (error, n, "x must be float32, got %s",
          yolo_dtype_name (x->dtype));
      return FALSE;
    }
    /* ONNX: the zero point's type, else output_dtype, else uint8 */
    p->qtype = z ? z->dtype : yolo_node_attr (n, "output_dtype") ?
        (YoloDType) CLAMP (yolo_node_attr_int (n, "output_dtype", 0), 0, 99) :
        YOLO_DTYPE_UINT8;
    if (z && yolo_node_attr (n, "output_dtype")
        && yolo_node_attr_int (n, "output_dtype", 0) != p->qtype) {
      yolo_op_error (error, n, "output_dtype %" G_GINT64_FORMAT " differs "
          "from the zero point's type (%s)", yolo_node_attr_int (n,
              "output_dtype", 0), yolo_dtype_name (p->qtype));
      return FALSE;
    }
  } else {
    p->qtype = x->dtype;
    if (z && z->dtype != x->dtype) {
      yolo_op_error (error, n, "x_zero_point (%s) must have x's type (%s)",
          yolo_dtype_name (z->dtype), yolo_dtype_name (x->dtype));
      return FALSE;
    }
  }
  if (p->qtype == YOLO_DTYPE_INT32 && quantize)
    return yolo_op_unsupported (error, n, "only uint8 and int8 quantisation "
        "is supported, got int16, uint16 or int32 (held as int32)");
  if (p->qtype != YOLO_DTYPE_UINT8 && p->qtype != YOLO_DTYPE_INT8
      && p->qtype != YOLO_DTYPE_INT32)
    return yolo_op_unsupported (error, n, "only uint8 and int8 quantisation "
        "is supported, got %s (ONNX type %d)", yolo_dtype_name (p->qtype),
        (int) p->qtype);
  p->lo = p->qtype == YOLO_DTYPE_UINT8 ? 0 : p->qtype == YOLO_DTYPE_INT8 ?
      -128 : G_MININT32;
  p->hi = p->qtype == YOLO_DTYPE_UINT8 ? 255 : p->qtype == YOLO_DTYPE_INT8 ?
      127 : G_MAXINT32;
  p->n = yolo_tensor_numel (x);
  if (p->n > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  numel = yolo_tensor_numel (s);
  /* ONNX: the zero point has the scale's shape (a [2,2] zero point with a
   * [4] scale was taken element by element) */
  if (z && (yolo_tensor_numel (z) != numel || (z->ndim != s->ndim
              && MAX (z->ndim, s->ndim) > 1)
          || (z->ndim == s->ndim && z->ndim > 0
              && memcmp (z->dims, s->dims, s->ndim * sizeof (gint64))))) {
    char zb[64];
    yolo_op_error (error, n, "zero point %s does not have the scale's shape "
        "%s", yolo_shape_str (z, zb, sizeof (zb)), yolo_shape_str (s, buf,
            sizeof (buf)));
    return FALSE;
  }
  p->channels = 1;
  p->inner = MAX (p->n, 1);
  if (s->ndim > 1 || (s->ndim == 1 && numel != 1) || (z && z->ndim > 1)) {
    axis = yolo_axis (axis_attr, x->ndim);
    if (axis < 0) {
      yolo_op_error (error, n, "axis %" G_GINT64_FORMAT " is out of range "
          "for x of rank %d", axis_attr, x->ndim);
      return FALSE;
    }
    if (s->ndim != 1 || numel != x->dims[axis]) {
      yolo_op_error (error, n, "per-axis scale %s does not match axis %"
          G_GINT64_FORMAT " of x", yolo_shape_str (s, buf, sizeof (buf)),
          axis_attr);
      return FALSE;
    }
    p->channels = (int) numel;
    p->inner = 1;
    for (int i = axis + 1; i < x->ndim; i++)
      p->inner *= x->dims[i];
  }
  p->scale = g_new (float, p->channels);
  p->zero_point = g_new0 (gint32, p->channels);
  for (int c = 0; c < p->channels; c++) {
    float v = ((const float *) s->data)[c];
    gint64 zp = z ? yolo_const_int (z, c) : 0;
    if (!(v > 0.0f) || !isfinite (v)) {
      yolo_qdq_params_clear (p);
      return yolo_op_unsupported (error, n, "scale %g: only finite scales "
          "> 0 are supported", v);
    }
    if (zp < p->lo || zp > p->hi) {
      yolo_qdq_params_clear (p);
      yolo_op_error (error, n, "zero point %" G_GINT64_FORMAT " out of range",
          zp);
      return FALSE;
    }
    p->scale[c] = v;
    p->zero_point[c] = (gint32) zp;
  }
  return TRUE;
}

gboolean
yolo_qdq_fq_node_pack (YoloGraph * g, YoloNode * f, float rec[8],
    YoloDType * qtype, int *span)
{
  QdqParams p;
  gboolean ok;

  if (!yolo_qdq_params (g, f, &p, NULL))
    return FALSE;
  memset (rec, 0, 8 * sizeof (float));
  ok = p.channels == 1 && yolo_qdq_fq_pack (p.scale[0], p.zero_point[0],
      p.lo, p.hi, rec);
  if (qtype)
    *qtype = p.qtype;
  if (span)
    *span = p.hi - p.lo;
  yolo_qdq_params_clear (&p);
  return ok;
}

gboolean
yolo_qdq_fq_pack (float s, int zp, int lo, int hi, float p[6])
{
  p[0] = s;
  p[1] = (float) (1.0 / (double) s);
  p[2] = (float) (lo - zp - 1) * s;
  p[3] = (float) (hi - zp + 1) * s;
  p[4] = (float) (lo - zp);
  p[5] = (float) (hi - zp);
  for (int i = 0; i < 4; i++)
    if (!isnormal (p[i]))
      return FALSE;
  return TRUE;
}

/* fq = { s, r, xlo, xhi, qlo, qhi }: the division form */
static float
fq_ref (const float *fq, float x)
{
  float q = nearbyintf (x / fq[0]);

  return fminf (fmaxf (q, fq[4]), fq[5]) * fq[0];
}

float
yolo_qdq_epilogue_apply (const YoloQdqEpilogue * e, YoloAct act, float v,
    const float *r)
{
  if (e->mask & YOLO_QEPI_OUT)
    v = fq_ref (e->fq[0], v);
  if (act == YOLO_ACT_SILU) {
    float sg = 1.0f / (1.0f + expf (-v));
    if (e->mask & YOLO_QEPI_SIG)
      sg = fq_ref (e->fq[1], sg);
    v = v * sg;
  } else {
    v = yolo_act_apply (act, 0.0f, 0.0f, v);
  }
  if (e->mask & YOLO_QEPI_ACT)
    v = fq_ref (e->fq[2], v);
  if (r) {
    v = v + *r;
    if (e->mask & YOLO_QEPI_RES)
      v = fq_ref (e->fq[3], v);
  }
  return v;
}

gint64
yolo_qdq_epilogue_code (const YoloQdqEpilogue * e, float v)
{
  const float *fq = e->fq[e->codes];

  return (gint64) nearbyintf (v / fq[0]) - (gint64) fq[4];
}

static gboolean
qdq_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  QdqParams p;
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloDType out;

  if (!yolo_qdq_params (g, n, &p, error))
    return FALSE;
  out = !strcmp (n->op_type, "QuantizeLinear") ? p.qtype : YOLO_DTYPE_FLOAT;
  yolo_qdq_params_clear (&p);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), out, x->ndim, x->dims);
  return TRUE;
}

/* saturate(round_half_even(x / scale) + zp) as MlasQuantizeLinear; NaN
 * saturates to the low end (fmaxf keeps the bound, as MLAS's max_ps). */
static gint32
quantize_one (float x, float scale, gint32 zp, int lo, int hi)
{
  float q = nearbyintf (x / scale) + (float) zp;

  return (gint32) fminf (fmaxf (q, (float) lo), (float) hi);
}

static gboolean
qdq_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  QdqParams p;
  YoloTensor *x = YOLO_IN (g, n, 0);
  gboolean q = !strcmp (n->op_type, "QuantizeLinear");
  gboolean dq = !strcmp (n->op_type, "DequantizeLinear");
  gpointer y;

  if (!yolo_qdq_params (g, n, &p, error))
    return FALSE;
  if (!x->data && p.n > 0) {
    yolo_qdq_params_clear (&p);
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  y = yolo_tensor_alloc_data (YOLO_OUT (g, n, 0));
  for (gint64 i = 0; i < p.n; i++) {
    int c = (int) ((i / p.inner) % p.channels);
    float s = p.scale[c];
    gint32 zp = p.zero_point[c];
    if (dq) {
      gint64 v = ((const gint64 *) x->data)[i];
      ((float *) y)[i] = (float) (v - zp) * s;
    } else {
      gint32 v = quantize_one (((const float *) x->data)[i], s, zp, p.lo,
          p.hi);
      if (q)
        ((gint64 *) y)[i] = v;
      else
        ((float *) y)[i] = (float) (v - zp) * s;
    }
  }
  yolo_qdq_params_clear (&p);
  return TRUE;
}

static const YoloOpDef op_quantize = { "QuantizeLinear", 0, qdq_infer,
  qdq_eval
};

static const YoloOpDef op_dequantize = { "DequantizeLinear", 0, qdq_infer,
  qdq_eval
};

static const YoloOpDef op_qdq = { "QuantizeDequantizeLinear", 0, qdq_infer,
  qdq_eval
};

const YoloOpDef *const yolo_ops_qdq[] = {
  &op_quantize, &op_dequantize, &op_qdq, NULL
};
