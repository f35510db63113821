/* misc-util.h - small helpers shared by ops/shape.c, movement.c, reduce.c,
 * matmul.c and index.c (static inline, private to these files). */
#ifndef YOLO_OPS_MISC_UTIL_H
#define YOLO_OPS_MISC_UTIL_H

#include <string.h>
#include "yolo-engine.h"
#include "yolo-ops.h"

#define MISC_MAX_PARAMS 64

/* Bytes per host element of t (float* or gint64*). */
static inline gsize
misc_esize (const YoloTensor * t)
{
  return yolo_dtype_is_float (t->dtype) ? sizeof (float) : sizeof (gint64);
}

/* (Re)allocates the host data of an output. */
static inline gpointer
misc_alloc (YoloTensor * t)
{
  g_clear_pointer (&t->data, g_free);
  return yolo_tensor_alloc_data (t);
}

/* Fails unless every present input has host data (eval needs it). */
static inline gboolean
misc_have_data (YoloGraph * g, const YoloNode * n, GError ** error)
{
  for (int i = 0; i < n->n_inputs; i++) {
    YoloTensor *t = YOLO_IN (g, n, i);
    if (t && !t->data && yolo_tensor_numel (t) > 0) {
      yolo_op_error (error, n, "input %d has no host data", i);
      return FALSE;
    }
  }
  return TRUE;
}

/* An integer list parameter given as constant input `idx` (newer opsets) or
 * as INTS attribute `attr` (older opsets). Returns the count (0..max) with
 * *present set, or -1 with an UNSUPPORTED error when the input is not
 * constant. */
static inline int
misc_int_param (YoloGraph * g, const YoloNode * n, int idx, const char *attr,
    gint64 * out, int max, gboolean * present, GError ** error)
{
  YoloTensor *t = idx >= 0 ? YOLO_IN (g, n, idx) : NULL;
  *present = FALSE;
  if (t) {
    gint64 cnt = yolo_tensor_numel (t);
    if (!yolo_tensor_is_const (t) && cnt > 0) {
      yolo_op_unsupported (error, n, "input %d (%s) must be constant", idx,
          attr ? attr : "parameter");
      return -1;
    }
    if (cnt > max) {
      yolo_op_unsupported (error, n, "too many values in input %d", idx);
      return -1;
    }
    for (gint64 k = 0; k < cnt; k++)
      out[k] = yolo_const_int (t, k);
    *present = TRUE;
    return (int) cnt;
  }
  if (attr) {
    int cnt = 0;
    const gint64 *v = yolo_node_attr_ints (n, attr, &cnt);
    if (v) {
      if (cnt > max) {
        yolo_op_unsupported (error, n, "too many values in '%s'", attr);
        return -1;
      }
      memcpy (out, v, cnt * sizeof (gint64));
      *present = TRUE;
      return cnt;
    }
  }
  return 0;
}

/* Contiguous (row-major) element strides of t. */
static inline void
misc_dims_strides (int ndim, const gint64 * dims, gint64 * st)
{
  gint64 s = 1;
  for (int i = ndim - 1; i >= 0; i--) {
    st[i] = s;
    s *= dims[i];
  }
}

/* Contiguous (row-major) element strides of t. */
static inline void
misc_strides (const YoloTensor * t, gint64 * st)
{
  misc_dims_strides (t->ndim, t->dims, st);
}

/* Fails unless the node has input 0 and an output. */
static inline gboolean
misc_need_io (YoloGraph * g, const YoloNode * n, GError ** error)
{
  if (!YOLO_IN (g, n, 0) || n->n_outputs < 1) {
    yolo_op_error (error, n, "missing input or output");
    return FALSE;
  }
  return TRUE;
}

/* Products of a tensor's dims (and misc_dims_strides) cannot overflow: every
 * tensor an op sees passed yolo_tensor_check_size. Shapes built from a
 * model's parameters are checked first (yolo_mul_checked, yolo_dims_fit). */
static inline gint64
misc_prod (const gint64 * d, int from, int to)
{
  gint64 p = 1;
  for (int i = from; i < to; i++)
    p *= d[i];
  return p;
}

/* Whether input i of n is a float constant of numel elements; else FALSE
 * with "input i (what) must be a float constant of numel elements" (the
 * fused heads' anchors, strides and weights). */
static inline gboolean
misc_const_floats (YoloGraph * g, const YoloNode * n, int i, gint64 numel,
    const char *what, GError ** error)
{
  YoloTensor *t = YOLO_IN (g, n, i);

  if (!t || !yolo_tensor_is_const (t) || t->dtype != YOLO_DTYPE_FLOAT
      || yolo_tensor_numel (t) != numel) {
    yolo_op_error (error, n, "input %d (%s) must be a float constant of %"
        G_GINT64_FORMAT " elements", i, what, numel);
    return FALSE;
  }
  return TRUE;
}

#endif
