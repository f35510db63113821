/* ops/norm.c - LayerNormalization (opset 17).
 *
 * X of any rank r, axis a (default -1, negative counts from the end):
 * every row of X seen as [outer = prod dims[0..a), inner = prod
 * dims[a..r)] is normalised,
 *   Y = (X - mean) / sqrt(var + epsilon) * Scale + B
 * with the population variance; Scale and the optional B are broadcast
 * unidirectionally to dims[a..r) (numpy rules, right-aligned). Float32
 * only. stash_type (the precision of mean / variance) is accepted for any
 * value: the device computes them in float32 (two passes: mean, then the
 * squared deviations), the C reference in double. The optional outputs
 * Mean and InvStdDev ([dims[0..a), 1, ..., 1]) are computed by the
 * reference; a model that reads them at run time is refused.
 *
 * Kernel (backend-opencl/norm.c, ocl_kernels/norm.cl): layer_norm, one row per work-item; Scale
 * and B must be constants (expanded to [inner] at load), the fused
 * activation is applied. */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "ops/norm.h"

gboolean
yolo_norm_params (YoloGraph * g, YoloNode * n, NormParams * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *s = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2);
  gint64 axis = yolo_node_attr_int (n, "axis", -1);
  char sx[64], ss[64];

  if (!x || !s || n->n_outputs < 1) {
    yolo_op_error (error, n, "needs inputs X and Scale and an output");
    return FALSE;
  }
  if (!yolo_dtype_is_float (x->dtype) || !yolo_dtype_is_float (s->dtype)
      || (b && !yolo_dtype_is_float (b->dtype))) {
    yolo_op_error (error, n, "X, Scale and B must be float tensors");
    return FALSE;
  }
  if (x->ndim < 1) {
    yolo_op_error (error, n, "X must have at least one dimension");
    return FALSE;
  }
  p->axis = yolo_axis (axis, x->ndim);
  if (p->axis < 0) {
    yolo_op_error (error, n, "axis %" G_GINT64_FORMAT " is out of range for "
        "%s", axis, yolo_shape_str (x, sx, sizeof sx));
    return FALSE;
  }
  p->outer = 1;
  p->inner = 1;
  for (int i = 0; i < x->ndim; i++) {
    if (i < p->axis)
      p->outer *= x->dims[i];
    else
      p->inner *= x->dims[i];
  }
  for (int k = 1; k < 3; k++) {
    YoloTensor *t = YOLO_IN (g, n, k);
    int nr = x->ndim - p->axis;
    if (!t)
      continue;
    if (t->ndim > nr)
      goto bad;
    for (int i = 0; i < t->ndim; i++) {
      gint64 d = t->dims[t->ndim - 1 - i];
      if (d != 1 && d != x->dims[x->ndim - 1 - i])
        goto bad;
    }
    continue;
  bad:
    yolo_op_error (error, n, "%s %s does not broadcast to the normalised "
        "dims of X %s (axis %d)", k == 1 ? "Scale" : "B",
        yolo_shape_str (t, ss, sizeof ss), yolo_shape_str (x, sx, sizeof sx),
        p->axis);
    return FALSE;
  }
  p->eps = yolo_node_attr_float (n, "epsilon", 1e-5f);
  if (!(p->eps >= 0.0f) || isinf (p->eps)) {
    yolo_op_error (error, n, "epsilon %g is invalid", p->eps);
    return FALSE;
  }
  return TRUE;
}

static gboolean
norm_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  NormParams p;
  gint64 dims[YOLO_MAX_DIMS];

  if (!yolo_norm_params (g, n, &p, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, x->ndim,
      x->dims);
  for (int i = 0; i < x->ndim; i++)
    dims[i] = i < p.axis ? x->dims[i] : 1;
  for (int k = 1; k < n->n_outputs && k < 3; k++)
    if (n->outputs[k] >= 0)
      yolo_tensor_set_shape (YOLO_OUT (g, n, k), YOLO_DTYPE_FLOAT, x->ndim,
          dims);
  return TRUE;
}

float *
yolo_norm_expand (const YoloTensor * x, int axis, const YoloTensor * t,
    gint64 inner, float def)
{
  float *out = g_new (float, MAX (inner, 1));
  int nr = x->ndim - axis;
  gint64 st[YOLO_MAX_DIMS];
  gint64 s = 1;

  if (!t) {
    for (gint64 j = 0; j < inner; j++)
      out[j] = def;
    return out;
  }
  /* t's element stride along each of the nr normalised dims */
  for (int i = nr - 1; i >= 0; i--) {
    int ti = i - (nr - t->ndim);
    if (ti < 0 || t->dims[ti] == 1) {
      st[i] = 0;
    } else {
      st[i] = s;
      s *= t->dims[ti];
    }
  }
  for (gint64 j = 0; j < inner; j++) {
    gint64 r = j, off = 0;
    for (int i = nr - 1; i >= 0; i--) {
      gint64 d = x->dims[axis + i];
      off += (r % d) * st[i];
      r /= d;
    }
    out[j] = ((const float *) t->data)[off];
  }
  return out;
}

static gboolean
norm_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *s = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2), *y = YOLO_OUT (g, n, 0);
  YoloTensor *tm = n->n_outputs > 1 && n->outputs[1] >= 0 ?
      YOLO_OUT (g, n, 1) : NULL;
  YoloTensor *ti = n->n_outputs > 2 && n->outputs[2] >= 0 ?
      YOLO_OUT (g, n, 2) : NULL;
  NormParams p;
  float *sc, *bi, *out, *om = NULL, *oi = NULL;
  const float *xd = x->data;

  if (!yolo_norm_params (g, n, &p, error))
    return FALSE;
  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  if ((!xd && p.outer * p.inner > 0) || !s->data || (b && !b->data)) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  sc = yolo_norm_expand (x, p.axis, s, p.inner, 1.0f);
  bi = yolo_norm_expand (x, p.axis, b, p.inner, 0.0f);
  out = yolo_tensor_alloc_data (y);
  if (tm)
    om = yolo_tensor_alloc_data (tm);
  if (ti)
    oi = yolo_tensor_alloc_data (ti);
  for (gint64 r = 0; r < p.outer; r++) {
    const float *row = xd + r * p.inner;
    double mean = 0.0, var = 0.0, inv;
    for (gint64 j = 0; j < p.inner; j++)
      mean += row[j];
    mean /= (double) MAX (p.inner, 1);
    for (gint64 j = 0; j < p.inner; j++)
      var += (row[j] - mean) * (row[j] - mean);
    var /= (double) MAX (p.inner, 1);
    inv = 1.0 / sqrt (var + p.eps);
    for (gint64 j = 0; j < p.inner; j++)
      out[r * p.inner + j] = yolo_act_apply (n->act, n->act_alpha,
          n->act_beta, (float) ((row[j] - mean) * inv * sc[j] + bi[j]));
    if (om)
      om[r] = (float) mean;
    if (oi)
      oi[r] = (float) inv;
  }
  g_free (sc);
  g_free (bi);
  return TRUE;
}

static const YoloOpDef op_layer_norm = { "LayerNormalization", 0,
  norm_infer, norm_eval
};

const YoloOpDef *const yolo_ops_norm[] = { &op_layer_norm, NULL };
