/* ops/resize.c - Resize (opset 10: X, scales; opset 11+: X, roi, scales,
 * sizes) and Upsample (opset 7: scales attribute; 9: scales input).
 *
 * Modes nearest and linear (bilinear), over the last two dims only (the
 * leading dims must keep their size); scales/sizes must be constant.
 * Coordinates follow onnxruntime (float arithmetic, clamping to the
 * input). The host computes the source row / column of every output row /
 * column once (resize_maps); the C reference and the kernels both use those
 * maps. Exactly x2 nearest upsampling (YOLO's neck) has its own
 * float8-in / float16-out kernel. */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "resize.h"

gboolean
yolo_resize_geom (YoloGraph * g, const YoloNode * n, ResizeGeom * rg,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *scales_t = NULL, *sizes_t = NULL;
  gboolean upsample = !strcmp (n->op_type, "Upsample");
  gboolean v10 = upsample || (g->opset > 0 && g->opset < 11);
  const char *mode, *ctm, *nm;
  float scales[YOLO_MAX_DIMS];
  const float *attr_scales = NULL;
  int n_attr_scales = 0;

  memset (rg, 0, sizeof *rg);
  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (!yolo_dtype_is_float (x->dtype))
    return yolo_op_unsupported (error, n, "non-float input");
  if (x->ndim < 2)
    return yolo_op_unsupported (error, n, "input of rank < 2");
  rg->ndim = x->ndim;

  mode = yolo_node_attr_string (n, "mode", "nearest");
  if (!strcmp (mode, "nearest"))
    rg->linear = FALSE;
  else if (!strcmp (mode, "linear") || !strcmp (mode, "bilinear"))
    rg->linear = TRUE;
  else
    return yolo_op_unsupported (error, n, "mode (only nearest and linear)");

  if (v10) {
    rg->ctm = RESIZE_CTM_ASYMMETRIC;
    rg->nearest = RESIZE_NEAREST_SIMPLE;
  } else {
    ctm = yolo_node_attr_string (n, "coordinate_transformation_mode",
        "half_pixel");
    if (!strcmp (ctm, "half_pixel"))
      rg->ctm = RESIZE_CTM_HALF_PIXEL;
    else if (!strcmp (ctm, "asymmetric"))
      rg->ctm = RESIZE_CTM_ASYMMETRIC;
    else if (!strcmp (ctm, "pytorch_half_pixel"))
      rg->ctm = RESIZE_CTM_PYTORCH_HALF_PIXEL;
    else if (!strcmp (ctm, "tf_half_pixel_for_nn"))
      rg->ctm = RESIZE_CTM_TF_HALF_PIXEL_FOR_NN;
    else if (!strcmp (ctm, "align_corners"))
      rg->ctm = RESIZE_CTM_ALIGN_CORNERS;
    else if (!strcmp (ctm, "half_pixel_symmetric"))
      rg->ctm = RESIZE_CTM_HALF_PIXEL_SYMMETRIC;
    else
      return yolo_op_unsupported (error, n, "coordinate_transformation_mode");

    nm = yolo_node_attr_string (n, "nearest_mode", "round_prefer_floor");
    if (!strcmp (nm, "round_prefer_floor"))
      rg->nearest = RESIZE_NEAREST_ROUND_PREFER_FLOOR;
    else if (!strcmp (nm, "round_prefer_ceil"))
      rg->nearest = RESIZE_NEAREST_ROUND_PREFER_CEIL;
    else if (!strcmp (nm, "floor"))
      rg->nearest = RESIZE_NEAREST_FLOOR;
    else if (!strcmp (nm, "ceil"))
      rg->nearest = RESIZE_NEAREST_CEIL;
    else
      return yolo_op_unsupported (error, n, "nearest_mode");

    if (yolo_node_attr_int (n, "antialias", 0) && rg->linear)
      return yolo_op_unsupported (error, n, "antialias");
    if (yolo_node_attr (n, "axes"))
      return yolo_op_unsupported (error, n, "axes attribute");
  }

  /* scales / sizes */
  if (upsample && n->n_inputs < 2) {
    const YoloAttr *a = yolo_node_attr (n, "scales");
    if (!a || a->type != YOLO_ATTR_FLOATS) {
      yolo_op_error (error, n, "missing scales");
      return FALSE;
    }
    attr_scales = a->floats;
    n_attr_scales = a->n;
  } else if (v10) {
    scales_t = YOLO_IN (g, n, 1);
  } else {
    scales_t = YOLO_IN (g, n, 2);
    sizes_t = YOLO_IN (g, n, 3);
    if (scales_t && yolo_tensor_numel (scales_t) == 0)
      scales_t = NULL;
  }
  if (scales_t) {
    if (!yolo_tensor_is_const (scales_t))
      return yolo_op_unsupported (error, n, "non-constant scales");
    if (!yolo_dtype_is_float (scales_t->dtype)) {
      yolo_op_error (error, n, "scales must be float");
      return FALSE;
    }
    attr_scales = scales_t->data;
    n_attr_scales = yolo_tensor_numel (scales_t);
  }
  if (attr_scales) {
    if (n_attr_scales != x->ndim) {
      yolo_op_error (error, n, "%d scales for a rank %d input",
          n_attr_scales, x->ndim);
      return FALSE;
    }
    for (int i = 0; i < x->ndim; i++) {
      if (!(attr_scales[i] > 0.0f)) {
        yolo_op_error (error, n, "scales must be positive");
        return FALSE;
      }
      scales[i] = attr_scales[i];
      /* bounded before the conversion (the size check follows in
       * yolo_graph_infer) */
      double od = floor ((double) x->dims[i] * scales[i]);
      if (!(od <= (double) G_MAXINT32)) {
        yolo_op_error (error, n, "scale %g makes dimension %d too large",
            scales[i], i);
        return FALSE;
      }
      rg->out_dims[i] = (gint64) floorf ((float) x->dims[i] * scales[i]);
    }
  } else if (sizes_t) {
    if (!yolo_tensor_is_const (sizes_t))
      return yolo_op_unsupported (error, n, "non-constant sizes");
    if (yolo_tensor_numel (sizes_t) != x->ndim) {
      yolo_op_error (error, n, "sizes must have one value per dim");
      return FALSE;
    }
    if (strcmp (yolo_node_attr_string (n, "keep_aspect_ratio_policy",
                "stretch"), "stretch") != 0)
      return yolo_op_unsupported (error, n, "keep_aspect_ratio_policy");
    for (int i = 0; i < x->ndim; i++) {
      rg->out_dims[i] = yolo_const_int (sizes_t, i);
      if (rg->out_dims[i] < 1) {
        yolo_op_error (error, n, "sizes must be positive");
        return FALSE;
      }
      scales[i] = x->dims[i] > 0 ?
          (float) rg->out_dims[i] / (float) x->dims[i] : 1.0f;
    }
  } else {
    yolo_op_error (error, n, "needs scales or sizes");
    return FALSE;
  }

  rg->planes = 1;
  for (int i = 0; i < x->ndim - 2; i++) {
    if (rg->out_dims[i] != x->dims[i])
      return yolo_op_unsupported (error, n, "resizing a non-spatial dim");
    rg->planes *= x->dims[i];
  }
  rg->H = x->dims[x->ndim - 2];
  rg->W = x->dims[x->ndim - 1];
  rg->OH = rg->out_dims[x->ndim - 2];
  rg->OW = rg->out_dims[x->ndim - 1];
  rg->scale_h = scales[x->ndim - 2];
  rg->scale_w = scales[x->ndim - 1];
  if (rg->OH < 1 || rg->OW < 1 || rg->H < 1 || rg->W < 1) {
    yolo_op_error (error, n, "empty input or output");
    return FALSE;
  }
  return TRUE;
}

/* Output coordinate -> input coordinate (onnxruntime's formulas). */
static float
resize_coord (ResizeCtm ctm, float x, float scale, gint64 out_len,
    gint64 in_len)
{
  switch (ctm) {
    case RESIZE_CTM_ASYMMETRIC:
      return x / scale;
    case RESIZE_CTM_PYTORCH_HALF_PIXEL:
      return out_len > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case RESIZE_CTM_TF_HALF_PIXEL_FOR_NN:
      return (x + 0.5f) / scale;
    case RESIZE_CTM_ALIGN_CORNERS:
      return out_len == 1 ? 0.0f
          : x * (float) (in_len - 1) / (float) (out_len - 1);
    case RESIZE_CTM_HALF_PIXEL_SYMMETRIC:{
      float adj = (float) out_len / (scale * (float) in_len);
      float center = (float) in_len / 2.0f;
      float offset = center * (1.0f - adj);
      return offset + (x + 0.5f) / scale - 0.5f;
    }
    case RESIZE_CTM_HALF_PIXEL:
    default:
      return (x + 0.5f) / scale - 0.5f;
  }
}

static gint64
resize_round (ResizeNearest mode, float x, gboolean shrinking)
{
  switch (mode) {
    case RESIZE_NEAREST_ROUND_PREFER_FLOOR:
      if (x == (float) (gint64) x + 0.5f)
        return (gint64) x;
      return (gint64) roundf (x);
    case RESIZE_NEAREST_ROUND_PREFER_CEIL:
      return (gint64) roundf (x);
    case RESIZE_NEAREST_FLOOR:
      return (gint64) floorf (x);
    case RESIZE_NEAREST_CEIL:
      return (gint64) ceilf (x);
    case RESIZE_NEAREST_SIMPLE:
    default:
      return shrinking ? (gint64) ceilf (x) : (gint64) x;
  }
}

static void
resize_axis_map (const ResizeGeom * rg, gint64 in, gint64 out, float scale,
    gint32 * idx, float *lam)
{
  for (gint64 o = 0; o < out; o++) {
    float c = resize_coord (rg->ctm, (float) o, scale, out, in);
    if (!rg->linear) {
      gint64 i = resize_round (rg->nearest, c, scale < 1.0f);
      idx[o] = (gint32) CLAMP (i, 0, in - 1);
    } else {
      gint64 i0, i1;
      c = MAX (0.0f, MIN (c, (float) (in - 1)));
      i0 = MIN ((gint64) c, in - 1);
      i1 = MIN (i0 + 1, in - 1);
      idx[2 * o] = (gint32) i0;
      idx[2 * o + 1] = (gint32) i1;
      lam[o] = i0 == i1 ? 0.0f : c - (float) i0;
    }
  }
}

void
yolo_resize_maps_init (const ResizeGeom * rg, ResizeMaps * m)
{
  int per = rg->linear ? 2 : 1;
  m->hidx = g_new (gint32, per * rg->OH);
  m->widx = g_new (gint32, per * rg->OW);
  m->hlam = rg->linear ? g_new (float, rg->OH) : NULL;
  m->wlam = rg->linear ? g_new (float, rg->OW) : NULL;
  resize_axis_map (rg, rg->H, rg->OH, rg->scale_h, m->hidx, m->hlam);
  resize_axis_map (rg, rg->W, rg->OW, rg->scale_w, m->widx, m->wlam);
}

void
yolo_resize_maps_clear (ResizeMaps * m)
{
  g_free (m->hidx);
  g_free (m->widx);
  g_free (m->hlam);
  g_free (m->wlam);
}

gboolean
yolo_resize_is_nearest2x (const ResizeGeom * rg, const ResizeMaps * m)
{
  if (rg->linear || rg->OH != 2 * rg->H || rg->OW != 2 * rg->W)
    return FALSE;
  for (gint64 i = 0; i < rg->OH; i++)
    if (m->hidx[i] != i / 2)
      return FALSE;
  for (gint64 i = 0; i < rg->OW; i++)
    if (m->widx[i] != i / 2)
      return FALSE;
  return TRUE;
}

static gboolean
resize_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ResizeGeom rg;

  if (!yolo_resize_geom (g, n, &rg, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, rg.ndim,
      rg.out_dims);
  return TRUE;
}

static gboolean
resize_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  const float *xd = x->data;
  ResizeGeom rg;
  ResizeMaps m;
  float *yd;

  if (!xd) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (!yolo_resize_geom (g, n, &rg, error))
    return FALSE;
  yolo_resize_maps_init (&rg, &m);
  yd = yolo_tensor_alloc_data (y);
  for (gint64 p = 0; p < rg.planes; p++) {
    const float *src = xd + p * rg.H * rg.W;
    float *dst = yd + p * rg.OH * rg.OW;
    for (gint64 oy = 0; oy < rg.OH; oy++) {
      for (gint64 ox = 0; ox < rg.OW; ox++) {
        float v;
        if (!rg.linear) {
          v = src[m.hidx[oy] * rg.W + m.widx[ox]];
        } else {
          gint64 y0 = m.hidx[2 * oy], y1 = m.hidx[2 * oy + 1];
          gint64 x0 = m.widx[2 * ox], x1 = m.widx[2 * ox + 1];
          float ly = m.hlam[oy], lx = m.wlam[ox];
          float top = src[y0 * rg.W + x0] * (1.0f - lx)
              + src[y0 * rg.W + x1] * lx;
          float bot = src[y1 * rg.W + x0] * (1.0f - lx)
              + src[y1 * rg.W + x1] * lx;
          v = top * (1.0f - ly) + bot * ly;
        }
        dst[oy * rg.OW + ox] = v;
      }
    }
  }
  yolo_resize_maps_clear (&m);
  return TRUE;
}

static const YoloOpDef op_resize = { "Resize", 0, resize_infer, resize_eval };

static const YoloOpDef op_upsample = { "Upsample", 0, resize_infer,
  resize_eval
};

const YoloOpDef *const yolo_ops_resize[] = { &op_resize, &op_upsample, NULL };
