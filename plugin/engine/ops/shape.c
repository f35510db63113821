/* ops/shape.c - shape-only ops.
 *
 * Views (YOLO_OP_VIEW, no launch: output 0 shares input 0's storage):
 * Reshape, Flatten, Squeeze, Unsqueeze, Identity. Their eval copies.
 *
 * Host-only ops whose output is always constant: Shape, Size (only the
 * input's shape is needed), ConstantOfShape, Range (constant inputs). Their
 * infer also computes the data so the output is constant right away. */
#include <math.h>
#include "misc-util.h"

/* ---- views ---- */

static gboolean
view_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  if (!misc_have_data (g, n, error))
    return FALSE;
  gpointer d = misc_alloc (y);
  gint64 cnt = yolo_tensor_numel (y);
  if (cnt > 0)
    memcpy (d, x->data, cnt * misc_esize (y));
  return TRUE;
}

static gboolean
view_set (YoloGraph * g, YoloNode * n, int ndim, const gint64 * dims,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 cnt = misc_prod (dims, 0, ndim);
  if (cnt != yolo_tensor_numel (x)) {
    char buf[128];
    yolo_op_error (error, n, "cannot view %s as %" G_GINT64_FORMAT
        " elements", yolo_shape_str (x, buf, sizeof buf), cnt);
    return FALSE;
  }
  yolo_tensor_set_shape (y, x->dtype, ndim, dims);
  return TRUE;
}

static gboolean
reshape_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 shape[MISC_MAX_PARAMS], dims[YOLO_MAX_DIMS];
  gboolean present;
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  int cnt = misc_int_param (g, n, 1, "shape", shape, MISC_MAX_PARAMS,
      &present, error);
  if (cnt < 0)
    return FALSE;
  if (!present || cnt > YOLO_MAX_DIMS) {
    yolo_op_error (error, n, "missing or too long shape");
    return FALSE;
  }
  gboolean allowzero = yolo_node_attr_int (n, "allowzero", 0) != 0;
  int infer_at = -1;
  gint64 known = 1;
  for (int i = 0; i < cnt; i++) {
    gint64 s = shape[i];
    if (s == 0 && !allowzero) {
      if (i >= x->ndim) {
        yolo_op_error (error, n, "shape[%d] = 0 past the input rank", i);
        return FALSE;
      }
      s = x->dims[i];
    }
    if (s == -1) {
      if (infer_at >= 0) {
        yolo_op_error (error, n, "more than one -1 in shape");
        return FALSE;
      }
      infer_at = i;
      s = 1;
    } else if (s < 0) {
      yolo_op_error (error, n, "invalid shape value %" G_GINT64_FORMAT, s);
      return FALSE;
    }
    dims[i] = s;
    if (!yolo_mul_checked (known, s, &known)) {
      yolo_op_error (error, n, "the shape's element count overflows");
      return FALSE;
    }
  }
  if (infer_at >= 0) {
    gint64 total = yolo_tensor_numel (x);
    if (known == 0 || total % known != 0) {
      yolo_op_error (error, n, "cannot infer -1 in shape");
      return FALSE;
    }
    dims[infer_at] = total / known;
  }
  return view_set (g, n, cnt, dims, error);
}

static gboolean
flatten_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 axis = yolo_node_attr_int (n, "axis", 1);
  if (axis < 0)
    axis += x->ndim;
  if (axis < 0 || axis > x->ndim) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  gint64 dims[2] = { misc_prod (x->dims, 0, axis),
    misc_prod (x->dims, axis, x->ndim)
  };
  return view_set (g, n, 2, dims, error);
}

static gboolean
squeeze_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 axes[MISC_MAX_PARAMS], dims[YOLO_MAX_DIMS];
  gboolean present, drop[YOLO_MAX_DIMS] = { 0 };
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  int cnt = misc_int_param (g, n, 1, "axes", axes, MISC_MAX_PARAMS, &present,
      error);
  if (cnt < 0)
    return FALSE;
  if (!present) {
    for (int i = 0; i < x->ndim; i++)
      drop[i] = x->dims[i] == 1;
  }
  for (int k = 0; k < cnt; k++) {
    int a = yolo_axis (axes[k], x->ndim);
    if (a < 0 || x->dims[a] != 1) {
      yolo_op_error (error, n, "cannot squeeze axis %" G_GINT64_FORMAT,
          axes[k]);
      return FALSE;
    }
    drop[a] = TRUE;
  }
  int nd = 0;
  for (int i = 0; i < x->ndim; i++)
    if (!drop[i])
      dims[nd++] = x->dims[i];
  return view_set (g, n, nd, dims, error);
}

static gboolean
unsqueeze_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 axes[MISC_MAX_PARAMS], dims[YOLO_MAX_DIMS];
  gboolean present, ins[YOLO_MAX_DIMS] = { 0 };
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  int cnt = misc_int_param (g, n, 1, "axes", axes, MISC_MAX_PARAMS, &present,
      error);
  if (cnt < 0)
    return FALSE;
  int nd = x->ndim + cnt;
  if (!present || nd > YOLO_MAX_DIMS) {
    yolo_op_error (error, n, "missing axes or rank too large");
    return FALSE;
  }
  for (int k = 0; k < cnt; k++) {
    int a = yolo_axis (axes[k], nd);
    if (a < 0 || ins[a]) {
      yolo_op_error (error, n, "invalid axis %" G_GINT64_FORMAT, axes[k]);
      return FALSE;
    }
    ins[a] = TRUE;
  }
  for (int i = 0, j = 0; i < nd; i++)
    dims[i] = ins[i] ? 1 : x->dims[j++];
  return view_set (g, n, nd, dims, error);
}

static gboolean
identity_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  return view_set (g, n, x->ndim, x->dims, error);
}

/* ---- host-only ops ---- */

static gboolean
shape_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 start = yolo_node_attr_int (n, "start", 0);
  gint64 *d = misc_alloc (y);
  if (start < 0)
    start += x->ndim;
  start = CLAMP (start, 0, x->ndim);
  for (gint64 i = 0; i < y->dims[0]; i++)
    d[i] = x->dims[start + i];
  return TRUE;
}

static gboolean
shape_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 start = yolo_node_attr_int (n, "start", 0);
  gint64 end = yolo_node_attr_int (n, "end", x->ndim);
  if (start < 0)
    start += x->ndim;
  if (end < 0)
    end += x->ndim;
  start = CLAMP (start, 0, x->ndim);
  end = CLAMP (end, 0, x->ndim);
  gint64 len = MAX (end - start, 0);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_INT64, 1, &len);
  return shape_eval (g, n, error);
}

static gboolean
size_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 *d = misc_alloc (YOLO_OUT (g, n, 0));
  d[0] = yolo_tensor_numel (YOLO_IN (g, n, 0));
  return TRUE;
}

static gboolean
size_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!misc_need_io (g, n, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_INT64, 0, NULL);
  return size_eval (g, n, error);
}

static gboolean
cos_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *y = YOLO_OUT (g, n, 0);
  const YoloAttr *a = yolo_node_attr (n, "value");
  YoloTensor *v = a && a->type == YOLO_ATTR_TENSOR && a->tensor >= 0 ?
      YOLO_T (g, a->tensor) : NULL;
  gpointer d = misc_alloc (y);
  gint64 cnt = yolo_tensor_numel (y);
  if (!v || !v->data)
    return TRUE;                /* zeros */
  if (yolo_dtype_is_float (y->dtype)) {
    float val = ((float *) v->data)[0];
    for (gint64 i = 0; i < cnt; i++)
      ((float *) d)[i] = val;
  } else {
    gint64 val = ((gint64 *) v->data)[0];
    for (gint64 i = 0; i < cnt; i++)
      ((gint64 *) d)[i] = val;
  }
  return TRUE;
}

static gboolean
cos_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 dims[MISC_MAX_PARAMS];
  gboolean present;
  int cnt = misc_int_param (g, n, 0, NULL, dims, MISC_MAX_PARAMS, &present,
      error);
  if (cnt < 0)
    return FALSE;
  if (!present || cnt > YOLO_MAX_DIMS) {
    yolo_op_error (error, n, "missing or too long shape");
    return FALSE;
  }
  for (int i = 0; i < cnt; i++)
    if (dims[i] < 0) {
      yolo_op_error (error, n, "negative dimension");
      return FALSE;
    }
  const YoloAttr *a = yolo_node_attr (n, "value");
  YoloDType dt = YOLO_DTYPE_FLOAT;
  if (a && a->type == YOLO_ATTR_TENSOR && a->tensor >= 0)
    dt = YOLO_T (g, a->tensor)->dtype;
  /* evaluated by the folder, after the output size was checked */
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), dt, cnt, dims);
  return TRUE;
}

static gboolean
range_params (YoloGraph * g, YoloNode * n, double p[3], gint64 * len,
    GError ** error)
{
  for (int i = 0; i < 3; i++) {
    YoloTensor *t = YOLO_IN (g, n, i);
    if (!t || yolo_tensor_numel (t) != 1) {
      yolo_op_error (error, n, "input %d must be a scalar", i);
      return FALSE;
    }
    if (!yolo_tensor_is_const (t)) {
      yolo_op_unsupported (error, n, "input %d must be constant", i);
      return FALSE;
    }
    p[i] = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[0] :
        (double) ((gint64 *) t->data)[0];
  }
  if (p[2] == 0) {
    yolo_op_error (error, n, "delta is 0");
    return FALSE;
  }
  double cnt = MAX (ceil ((p[1] - p[0]) / p[2]), 0);
  /* bounds the length (YOLO_MAX_HOST_BYTES) and keeps every integer value
   * exact in a double */
  if (!(cnt <= (double) (YOLO_MAX_HOST_BYTES / 8))) {
    yolo_op_error (error, n, "the range has %g elements, too many", cnt);
    return FALSE;
  }
  if (!(fabs (p[0]) <= 9007199254740992.0 && fabs (p[1]) <= 9007199254740992.0
          && fabs (p[2]) <= 9007199254740992.0)) {
    yolo_op_error (error, n, "start, limit or delta out of range");
    return FALSE;
  }
  *len = (gint64) cnt;
  return TRUE;
}

static gboolean
range_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  double p[3];
  gint64 len;
  YoloTensor *y = YOLO_OUT (g, n, 0);
  if (!range_params (g, n, p, &len, error))
    return FALSE;
  gpointer d = misc_alloc (y);
  for (gint64 i = 0; i < len; i++) {
    if (yolo_dtype_is_float (y->dtype))
      ((float *) d)[i] = (float) (p[0] + i * p[2]);
    else
      ((gint64 *) d)[i] = (gint64) (p[0] + i * p[2]);
  }
  return TRUE;
}

static gboolean
range_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  double p[3];
  gint64 len;
  if (!range_params (g, n, p, &len, error))
    return FALSE;
  /* evaluated by the folder, after the output size was checked */
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_IN (g, n, 0)->dtype, 1, &len);
  return TRUE;
}

static const YoloOpDef op_reshape =
    { "Reshape", YOLO_OP_VIEW, reshape_infer, view_eval };
static const YoloOpDef op_flatten =
    { "Flatten", YOLO_OP_VIEW, flatten_infer, view_eval };
static const YoloOpDef op_squeeze =
    { "Squeeze", YOLO_OP_VIEW, squeeze_infer, view_eval };
static const YoloOpDef op_unsqueeze =
    { "Unsqueeze", YOLO_OP_VIEW, unsqueeze_infer, view_eval };
static const YoloOpDef op_identity =
    { "Identity", YOLO_OP_VIEW, identity_infer, view_eval };
static const YoloOpDef op_shape = { "Shape", 0, shape_infer, shape_eval };
static const YoloOpDef op_size = { "Size", 0, size_infer, size_eval };
static const YoloOpDef op_cos = { "ConstantOfShape", 0, cos_infer, cos_eval };
static const YoloOpDef op_range = { "Range", 0, range_infer, range_eval };

const YoloOpDef *const yolo_ops_shape[] = {
  &op_reshape, &op_flatten, &op_squeeze, &op_unsqueeze, &op_identity,
  &op_shape, &op_size, &op_cos, &op_range, NULL
};
