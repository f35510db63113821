/* ops/index.c - Gather, GatherElements, TopK.
 *
 * TopK keeps a bounded heap per row segment and merges the segments'
 * sorted candidates (see backend-opencl/index.c and index.cl); results are sorted
 * best first, ties broken by the lower index like onnxruntime, whatever
 * `sorted` says. */
#include "misc-util.h"
#include "index.h"

static gboolean
need_io (YoloGraph * g, YoloNode * n, int n_in, GError ** error)
{
  for (int i = 0; i < n_in; i++)
    if (!YOLO_IN (g, n, i)) {
      yolo_op_error (error, n, "missing input %d", i);
      return FALSE;
    }
  if (n->n_outputs < 1) {
    yolo_op_error (error, n, "missing output");
    return FALSE;
  }
  return TRUE;
}

/* Integer indices; when constant, each must lie in [-len, len) (the device
 * kernels clamp, which would silently read another row). */
static gboolean
check_indices (YoloGraph * g, YoloNode * n, YoloTensor * idx, gint64 len,
    GError ** error)
{
  if (yolo_dtype_is_float (idx->dtype)) {
    yolo_op_error (error, n, "indices must be integers");
    return FALSE;
  }
  if (!yolo_tensor_is_const (idx))
    return TRUE;
  for (gint64 j = 0, cnt = yolo_tensor_numel (idx); j < cnt; j++) {
    gint64 k = ((const gint64 *) idx->data)[j];
    if (k < -len || k >= len) {
      yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range for "
          "axis of size %" G_GINT64_FORMAT, k, len);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- Gather ---- */

static gboolean
gather_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 dims[YOLO_MAX_DIMS];
  if (!need_io (g, n, 2, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  if (!check_indices (g, n, idx, x->dims[axis], error))
    return FALSE;
  int nd = x->ndim + idx->ndim - 1;
  if (nd > YOLO_MAX_DIMS) {
    yolo_op_unsupported (error, n, "output rank too large");
    return FALSE;
  }
  int k = 0;
  for (int i = 0; i < axis; i++)
    dims[k++] = x->dims[i];
  for (int i = 0; i < idx->ndim; i++)
    dims[k++] = idx->dims[i];
  for (int i = axis + 1; i < x->ndim; i++)
    dims[k++] = x->dims[i];
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, nd, dims);
  return TRUE;
}

static gboolean
gather_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (!misc_have_data (g, n, error))
    return FALSE;
  gint64 outer = misc_prod (x->dims, 0, axis), len = x->dims[axis];
  gint64 inner = misc_prod (x->dims, axis + 1, x->ndim);
  gint64 ni = yolo_tensor_numel (idx);
  gsize es = misc_esize (x);
  guint8 *d = misc_alloc (y);
  const guint8 *s = x->data;
  for (gint64 o = 0; o < outer; o++)
    for (gint64 j = 0; j < ni; j++) {
      gint64 k = ((gint64 *) idx->data)[j];
      if (k < 0)
        k += len;
      if (k < 0 || k >= len) {
        yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range",
            ((gint64 *) idx->data)[j]);
        return FALSE;
      }
      memcpy (d + (o * ni + j) * inner * es, s + (o * len + k) * inner * es,
          inner * es);
    }
  return TRUE;
}

/* ---- GatherElements ---- */

static gboolean
gather_el_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!need_io (g, n, 2, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (axis < 0 || idx->ndim != x->ndim) {
    yolo_op_error (error, n, "invalid axis or indices rank");
    return FALSE;
  }
  if (!check_indices (g, n, idx, x->dims[axis], error))
    return FALSE;
  for (int i = 0; i < x->ndim; i++)
    if (i != axis && idx->dims[i] > x->dims[i]) {
      yolo_op_error (error, n, "indices larger than data on dim %d", i);
      return FALSE;
    }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, idx->ndim, idx->dims);
  return TRUE;
}

static gboolean
gather_el_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gint64 xs[YOLO_MAX_DIMS], c[YOLO_MAX_DIMS] = { 0 };
  if (!misc_have_data (g, n, error))
    return FALSE;
  misc_strides (x, xs);
  gint64 total = yolo_tensor_numel (y), len = x->dims[axis];
  gsize es = misc_esize (x);
  guint8 *d = misc_alloc (y);
  for (gint64 j = 0; j < total; j++) {
    gint64 k = ((gint64 *) idx->data)[j], off = 0;
    if (k < 0)
      k += len;
    if (k < 0 || k >= len) {
      yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range",
          ((gint64 *) idx->data)[j]);
      return FALSE;
    }
    for (int i = 0; i < x->ndim; i++)
      off += (i == axis ? k : c[i]) * xs[i];
    memcpy (d + j * es, (guint8 *) x->data + off * es, es);
    for (int i = x->ndim - 1; i >= 0; i--) {
      if (++c[i] < idx->dims[i])
        break;
      c[i] = 0;
    }
  }
  return TRUE;
}

/* ---- TopK ---- */

gboolean
yolo_topk_geom (YoloGraph * g, YoloNode * n, int *axis, gint64 * k,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *kt = YOLO_IN (g, n, 1);
  *axis = yolo_axis (yolo_node_attr_int (n, "axis", -1), x->ndim);
  if (*axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  if (kt) {
    if (!yolo_tensor_is_const (kt) || yolo_tensor_numel (kt) != 1) {
      yolo_op_unsupported (error, n, "K must be a constant scalar");
      return FALSE;
    }
    *k = yolo_const_int (kt, 0);
  } else {
    *k = yolo_node_attr_int (n, "k", -1);
  }
  if (*k < 0 || *k > x->dims[*axis]) {
    yolo_op_error (error, n, "K = %" G_GINT64_FORMAT " out of range", *k);
    return FALSE;
  }
  return TRUE;
}

static gboolean
topk_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 k, dims[YOLO_MAX_DIMS];
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!x || n->n_outputs < 2) {
    yolo_op_error (error, n, "needs an input and two outputs");
    return FALSE;
  }
  if (!yolo_topk_geom (g, n, &axis, &k, error))
    return FALSE;
  memcpy (dims, x->dims, sizeof dims);
  dims[axis] = k;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, x->ndim, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 1), YOLO_DTYPE_INT64, x->ndim, dims);
  return TRUE;
}

typedef struct
{
  const YoloTensor *x;
  gint64 base, inner;
  gboolean largest;
} TopKCtx;

static double
topk_val (const TopKCtx * c, gint64 j)
{
  gint64 at = c->base + j * c->inner;
  return yolo_dtype_is_float (c->x->dtype) ? ((float *) c->x->data)[at] :
      (double) ((gint64 *) c->x->data)[at];
}

static gint
topk_cmp (gconstpointer pa, gconstpointer pb, gpointer user)
{
  const TopKCtx *c = user;
  gint64 a = *(const gint64 *) pa, b = *(const gint64 *) pb;
  double va = topk_val (c, a), vb = topk_val (c, b);
  if (va != vb)
    return (va > vb) == c->largest ? -1 : 1;
  return a < b ? -1 : a > b;
}

static gboolean
topk_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 k;
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *v = YOLO_OUT (g, n, 0), *ix = YOLO_OUT (g, n, 1);
  if (!x->data) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (!yolo_topk_geom (g, n, &axis, &k, error))
    return FALSE;
  gint64 outer = misc_prod (x->dims, 0, axis), len = x->dims[axis];
  gint64 inner = misc_prod (x->dims, axis + 1, x->ndim);
  gboolean fl = yolo_dtype_is_float (x->dtype);
  gpointer vd = misc_alloc (v);
  gint64 *id = misc_alloc (ix);
  gint64 *order = g_new (gint64, MAX (len, 1));
  TopKCtx c = { x, 0, inner, yolo_node_attr_int (n, "largest", 1) != 0 };
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++) {
      c.base = o * len * inner + i;
      for (gint64 j = 0; j < len; j++)
        order[j] = j;
      g_qsort_with_data (order, len, sizeof (gint64), topk_cmp, &c);
      for (gint64 j = 0; j < k; j++) {
        gint64 out = (o * k + j) * inner + i, src = c.base + order[j] * inner;
        id[out] = order[j];
        if (fl)
          ((float *) vd)[out] = ((float *) x->data)[src];
        else
          ((gint64 *) vd)[out] = ((gint64 *) x->data)[src];
      }
    }
  g_free (order);
  return TRUE;
}

static const YoloOpDef op_gather = { "Gather", 0, gather_infer, gather_eval };
static const YoloOpDef op_gather_el =
    { "GatherElements", 0, gather_el_infer, gather_el_eval };
static const YoloOpDef op_topk = { "TopK", 0, topk_infer, topk_eval };

const YoloOpDef *const yolo_ops_index[] = {
  &op_gather, &op_gather_el, &op_topk, NULL
};
