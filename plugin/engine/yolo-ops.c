/* yolo-ops.c - operator registry and helpers shared by op implementations. */
#include "yolo-ops.h"
#include "yolo-engine.h"

#include <string.h>

static const YoloOpDef *const *const families[] = {
  yolo_ops_conv, yolo_ops_eltwise, yolo_ops_pool, yolo_ops_resize,
  yolo_ops_shape, yolo_ops_movement, yolo_ops_reduce, yolo_ops_matmul,
  yolo_ops_index,
  yolo_ops_convtranspose, yolo_ops_logic, yolo_ops_norm, yolo_ops_math,
  yolo_ops_quant, yolo_ops_qdq, yolo_ops_attention,
  yolo_ops_detect, yolo_ops_anchor, yolo_ops_detect_topk,
  yolo_ops_dwsep,
};

const YoloOpDef *
yolo_ops_lookup (const char *op_type)
{
  for (guint f = 0; f < G_N_ELEMENTS (families); f++)
    for (const YoloOpDef * const *d = families[f]; *d; d++)
      if (!strcmp ((*d)->op_type, op_type))
        return *d;
  return NULL;
}

void
yolo_op_error (GError ** error, const YoloNode * n, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
      "%s node \"%s\": %s", n->op_type, n->name ? n->name : "", msg);
  g_free (msg);
}

gboolean
yolo_op_unsupported (GError ** error, const YoloNode * n, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
      "%s node \"%s\": %s", n->op_type, n->name ? n->name : "", msg);
  g_free (msg);
  return FALSE;
}

gboolean
yolo_op_require_const (YoloGraph * g, const YoloNode * n, int i,
    GError ** error)
{
  YoloTensor *t = YOLO_IN (g, n, i);

  if (!t) {
    yolo_op_error (error, n, "input %d is missing", i);
    return FALSE;
  }
  if (!yolo_tensor_is_const (t)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s node \"%s\": input %d (%s) must be a constant; computing it at "
        "run time is not supported", n->op_type, n->name ? n->name : "", i,
        t->name);
    return FALSE;
  }
  return TRUE;
}

gint64
yolo_const_int (const YoloTensor * t, gint64 k)
{
  if (yolo_dtype_is_float (t->dtype))
    return (gint64) ((const float *) t->data)[k];
  return ((const gint64 *) t->data)[k];
}

gpointer
yolo_tensor_alloc_data (YoloTensor * t)
{
  gint64 n = MAX (yolo_tensor_numel (t), 1);

  g_free (t->data);
  if (yolo_dtype_is_float (t->dtype))
    t->data = g_new0 (float, n);
  else
    t->data = g_new0 (gint64, n);
  return t->data;
}
