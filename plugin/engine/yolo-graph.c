/* yolo-graph.c - graph IR construction, attributes, topological sort, shape
 * inference with constant folding, use counts and pruning. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "yolo-engine.h"
#include "yolo-nms-tail.h"
#include "yolo-rebatch.h"

#include <math.h>
#include <string.h>

const char *
yolo_dtype_name (YoloDType t)
{
  switch (t) {
    case YOLO_DTYPE_FLOAT:
      return "float32";
    case YOLO_DTYPE_UINT8:
      return "uint8";
    case YOLO_DTYPE_INT8:
      return "int8";
    case YOLO_DTYPE_INT32:
      return "int32";
    case YOLO_DTYPE_INT64:
      return "int64";
    case YOLO_DTYPE_BOOL:
      return "bool";
    case YOLO_DTYPE_FLOAT16:
      return "float16";
    case YOLO_DTYPE_DOUBLE:
      return "double";
    default:
      return "undefined";
  }
}

float
yolo_act_apply (YoloAct act, float alpha, float beta, float x)
{
  switch (act) {
    case YOLO_ACT_SILU:
      return x / (1.0f + expf (-x));
    case YOLO_ACT_SIGMOID:
      return 1.0f / (1.0f + expf (-x));
    case YOLO_ACT_RELU:
      return x < 0.0f ? 0.0f : x;
    case YOLO_ACT_LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case YOLO_ACT_HARD_SIGMOID:
      return yolo_clipf (alpha * x + beta, 0.0f, 1.0f);
    case YOLO_ACT_HARD_SWISH:
      return x * fmaxf (0.0f, fminf (1.0f, x / 6.0f + 0.5f));
    case YOLO_ACT_CLIP:
      return yolo_clipf (x, alpha, beta);
    default:
      return x;
  }
}

static void
quant_free (YoloQuantParams * q)
{
  if (!q)
    return;
  g_free (q->scale);
  g_free (q->zero_point);
  g_free (q);
}

static void
tensor_free (gpointer p)
{
  YoloTensor *t = p;

  quant_free (t->quant);
  g_free (t->name);
  g_free (t->data);
  g_free (t->declared_shape);
  g_free (t);
}

static void
attr_clear (YoloAttr * a)
{
  g_free (a->name);
  g_free (a->s);
  g_free (a->floats);
  g_free (a->ints);
}

static void
node_free (gpointer p)
{
  YoloNode *n = p;

  g_free (n->name);
  g_free (n->op_type);
  g_free (n->inputs);
  g_free (n->outputs);
  for (int i = 0; i < n->n_attrs; i++)
    attr_clear (&n->attrs[i]);
  g_free (n->attrs);
  g_free (n->qepi);
  g_free (n);
}

YoloGraph *
yolo_graph_new (void)
{
  YoloGraph *g = g_new0 (YoloGraph, 1);

  g->tensors = g_ptr_array_new_with_free_func (tensor_free);
  g->nodes = g_ptr_array_new_with_free_func (node_free);
  g->tensor_by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      NULL);
  g->inputs = g_array_new (FALSE, FALSE, sizeof (int));
  g->outputs = g_array_new (FALSE, FALSE, sizeof (int));
  g->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return g;
}

void
yolo_graph_free (YoloGraph * g)
{
  if (!g)
    return;
  g_ptr_array_unref (g->nodes);
  g_ptr_array_unref (g->tensors);
  g_hash_table_unref (g->tensor_by_name);
  g_array_unref (g->inputs);
  g_array_unref (g->outputs);
  g_hash_table_unref (g->metadata);
  g_free (g->producer_name);
  yolo_nms_tail_free (g->nms_tail);
  g_free (g);
}

/* Names are stored escaped (yolo_escape_name) so that every message and
 * listing that quotes them stays on one line; lookups escape the same way. */
int
yolo_graph_find_tensor (YoloGraph * g, const char *name)
{
  char *esc = yolo_escape_name (name);
  gpointer v = g_hash_table_lookup (g->tensor_by_name, esc ? esc : name);

  g_free (esc);
  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

static char *
escaped_dup (const char *s)
{
  char *esc = yolo_escape_name (s);
  return esc ? esc : g_strdup (s);
}

int
yolo_graph_tensor (YoloGraph * g, const char *name)
{
  int idx = yolo_graph_find_tensor (g, name);
  YoloTensor *t;

  if (idx >= 0)
    return idx;
  t = g_new0 (YoloTensor, 1);
  t->name = escaped_dup (name);
  t->producer = -1;
  t->view_of = -1;
  t->mem_offset = -1;
  t->ndim = -1;                 /* unknown until inferred */
  idx = g->tensors->len;
  g_ptr_array_add (g->tensors, t);
  g_hash_table_insert (g->tensor_by_name, g_strdup (t->name),
      GINT_TO_POINTER (idx + 1));
  return idx;
}

int
yolo_graph_add_const (YoloGraph * g, const char *name, YoloDType dtype,
    int ndim, const gint64 * dims, gpointer data)
{
  int idx = yolo_graph_tensor (g, name);
  YoloTensor *t = YOLO_T (g, idx);

  yolo_tensor_set_shape (t, dtype, ndim, dims);
  g_free (t->data);
  t->data = data;
  return idx;
}

int
yolo_graph_add_node (YoloGraph * g, const char *op_type, const char *name,
    int n_inputs, const char *const *inputs, int n_outputs,
    const char *const *outputs)
{
  YoloNode *n = g_new0 (YoloNode, 1);
  int idx = g->nodes->len;

  n->op_type = escaped_dup (op_type);
  n->name = name && *name ? escaped_dup (name) :
      g_strdup_printf ("%s_%d", n->op_type, idx);
  n->n_inputs = n_inputs;
  n->inputs = g_new0 (int, MAX (n_inputs, 1));
  for (int i = 0; i < n_inputs; i++)
    n->inputs[i] = inputs[i] && *inputs[i] ?
        yolo_graph_tensor (g, inputs[i]) : -1;
  n->n_outputs = n_outputs;
  n->outputs = g_new0 (int, MAX (n_outputs, 1));
  for (int i = 0; i < n_outputs; i++) {
    n->outputs[i] = yolo_graph_tensor (g, outputs[i]);
    YOLO_T (g, n->outputs[i])->producer = idx;
  }
  n->residual = -1;
  g_ptr_array_add (g->nodes, n);
  return idx;
}

YoloAttr *
yolo_node_add_attr (YoloNode * n, const char *name, YoloAttrType type)
{
  YoloAttr *a;

  n->attrs = g_renew (YoloAttr, n->attrs, n->n_attrs + 1);
  a = &n->attrs[n->n_attrs++];
  memset (a, 0, sizeof (*a));
  a->name = g_strdup (name);
  a->type = type;
  a->tensor = -1;
  return a;
}

const YoloAttr *
yolo_node_attr (const YoloNode * n, const char *name)
{
  for (int i = 0; i < n->n_attrs; i++)
    if (!strcmp (n->attrs[i].name, name))
      return &n->attrs[i];
  return NULL;
}

gint64
yolo_node_attr_int (const YoloNode * n, const char *name, gint64 def)
{
  const YoloAttr *a = yolo_node_attr (n, name);

  if (!a)
    return def;
  if (a->type == YOLO_ATTR_FLOAT)
    return (gint64) a->f;
  return a->i;
}

float
yolo_node_attr_float (const YoloNode * n, const char *name, float def)
{
  const YoloAttr *a = yolo_node_attr (n, name);

  if (!a)
    return def;
  if (a->type == YOLO_ATTR_INT)
    return (float) a->i;
  return a->f;
}

const char *
yolo_node_attr_string (const YoloNode * n, const char *name, const char *def)
{
  const YoloAttr *a = yolo_node_attr (n, name);
  return a && a->type == YOLO_ATTR_STRING && a->s ? a->s : def;
}

const gint64 *
yolo_node_attr_ints (const YoloNode * n, const char *name, int *n_out)
{
  const YoloAttr *a = yolo_node_attr (n, name);

  if (!a || a->type != YOLO_ATTR_INTS) {
    *n_out = 0;
    return NULL;
  }
  *n_out = a->n;
  return a->ints;
}

void
yolo_node_set_ints (YoloNode * n, const char *name, int count, const gint64 * v)
{
  YoloAttr *a = (YoloAttr *) yolo_node_attr (n, name);
  /* copied first: v may be the attribute's own values */
  gint64 *ints = g_memdup2 (v, count * sizeof (gint64));

  if (a) {
    char *keep = a->name;

    a->name = NULL;
    attr_clear (a);
    memset (a, 0, sizeof (*a));
    a->name = keep;
    a->type = YOLO_ATTR_INTS;
    a->tensor = -1;
  } else {
    a = yolo_node_add_attr (n, name, YOLO_ATTR_INTS);
  }
  a->ints = ints;
  a->n = count;
}

gint64
yolo_tensor_numel (const YoloTensor * t)
{
  gint64 n = 1;

  if (t->ndim < 0)
    return 0;
  for (int i = 0; i < t->ndim; i++)
    n *= t->dims[i];
  return n;
}

gboolean
yolo_mul_checked (gint64 a, gint64 b, gint64 * out)
{
  if (a < 0 || b < 0)
    return FALSE;
  if (a != 0 && b > G_MAXINT64 / a)
    return FALSE;
  *out = a * b;
  return TRUE;
}

gboolean
yolo_add_checked (gint64 a, gint64 b, gint64 * out)
{
  if ((b > 0 && a > G_MAXINT64 - b) || (b < 0 && a < G_MININT64 - b))
    return FALSE;
  *out = a + b;
  return TRUE;
}

gboolean
yolo_dims_numel (int ndim, const gint64 * dims, gint64 * out)
{
  gint64 n = 1;

  if (ndim < 0 || ndim > YOLO_MAX_DIMS)
    return FALSE;
  for (int i = 0; i < ndim; i++)
    if (!yolo_mul_checked (n, dims[i], &n))
      return FALSE;
  *out = n;
  return TRUE;
}

gint64
yolo_tensor_host_bytes (const YoloTensor * t)
{
  gint64 n = 1, bytes;
  gboolean empty = FALSE;

  /* Zero-size dimensions count as 1 here, so that no partial product of the
   * other dimensions (strides, flattening) can overflow either. */
  if (t->ndim < 0 || t->ndim > YOLO_MAX_DIMS)
    return -1;
  for (int i = 0; i < t->ndim; i++) {
    if (t->dims[i] == 0)
      empty = TRUE;
    if (!yolo_mul_checked (n, MAX (t->dims[i], 1), &n) || t->dims[i] < 0)
      return -1;
  }
  if (!yolo_mul_checked (n, yolo_dtype_is_float (t->dtype) ? 4 : 8, &bytes)
      || bytes > YOLO_MAX_HOST_BYTES)
    return -1;
  return empty ? 0 : bytes;
}

YoloDType
yolo_tensor_storage (const YoloTensor * t)
{
  if (t->storage != YOLO_DTYPE_UNDEFINED)
    return t->storage;
  return yolo_dtype_is_float (t->dtype) ? YOLO_DTYPE_FLOAT : YOLO_DTYPE_INT32;
}

gint64
yolo_tensor_storage_bytes (const YoloTensor * t)
{
  gint64 n, bytes;

  if (t->ndim < 0 || t->ndim > YOLO_MAX_DIMS
      || !yolo_dims_numel (t->ndim, t->dims, &n)
      || !yolo_mul_checked (n, yolo_dtype_size (yolo_tensor_storage (t)),
          &bytes))
    return -1;
  return bytes;
}

static gboolean
zp_in_range (YoloDType zp_dtype, gint32 v)
{
  switch (zp_dtype) {
    case YOLO_DTYPE_INT8:
      return v >= -128 && v <= 127;
    case YOLO_DTYPE_UINT8:
      return v >= 0 && v <= 255;
    case YOLO_DTYPE_INT32:
      return TRUE;
    default:
      return FALSE;
  }
}

gboolean
yolo_tensor_set_quant (YoloTensor * t, gint64 axis, guint n,
    const float *scale, const gint32 * zero_point, YoloDType zp_dtype,
    GError ** error)
{
  YoloQuantParams *q;
  int ax = -1;

  if (axis != -1 || n != 1) {
    ax = t->ndim > 0 ? yolo_axis (axis, t->ndim) : -1;
    if (ax < 0 || (gint64) n != t->dims[ax]) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "tensor \"%s\": %u quantisation scales for axis %" G_GINT64_FORMAT
          " of a %d-D tensor", t->name, n, axis, t->ndim);
      return FALSE;
    }
  }
  if (n == 0 || !scale) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "tensor \"%s\": no quantisation scale", t->name);
    return FALSE;
  }
  for (guint i = 0; i < n; i++) {
    if (!isfinite (scale[i]) || !(scale[i] > 0.0f)) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "tensor \"%s\": quantisation scale %u is %g (must be finite and "
          "> 0)", t->name, i, scale[i]);
      return FALSE;
    }
    if (zero_point && !zp_in_range (zp_dtype, zero_point[i])) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "tensor \"%s\": zero point %u is %d, outside the range of %s",
          t->name, i, zero_point[i], yolo_dtype_name (zp_dtype));
      return FALSE;
    }
  }
  q = g_new0 (YoloQuantParams, 1);
  q->axis = ax;
  q->n = n;
  q->scale = g_memdup2 (scale, n * sizeof (float));
  q->zero_point = zero_point ? g_memdup2 (zero_point, n * sizeof (gint32)) :
      NULL;
  q->zp_dtype = zp_dtype;
  quant_free (t->quant);
  t->quant = q;
  return TRUE;
}

gboolean
yolo_dims_fit (int ndim, const gint64 * dims)
{
  YoloTensor t = {.dtype = YOLO_DTYPE_INT64,.ndim = ndim };

  if (ndim < 0 || ndim > YOLO_MAX_DIMS)
    return FALSE;
  memcpy (t.dims, dims, ndim * sizeof (gint64));
  return yolo_tensor_host_bytes (&t) >= 0;
}

gboolean
yolo_tensor_check_size (const YoloTensor * t, const char *what, GError ** error)
{
  char shape[160];

  if (yolo_tensor_host_bytes (t) >= 0)
    return TRUE;
  for (int i = 0; i < t->ndim && i < YOLO_MAX_DIMS; i++)
    if (t->dims[i] < 0) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "%s has a negative dimension (%s)", what,
          yolo_shape_str (t, shape, sizeof shape));
      return FALSE;
    }
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
      "%s has shape %s, larger than the %d GiB a tensor may take", what,
      yolo_shape_str (t, shape, sizeof shape),
      (int) (YOLO_MAX_HOST_BYTES >> 30));
  return FALSE;
}

gboolean
yolo_graph_reserve (YoloGraph * g, gint64 bytes, const char *what,
    GError ** error)
{
  if (bytes >= 0 && bytes <= YOLO_MAX_HOST_BYTES - g->host_bytes) {
    g->host_bytes += bytes;
    return TRUE;
  }
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
      "%s: the model's constants would need more than %d GiB of memory",
      what, (int) (YOLO_MAX_HOST_BYTES >> 30));
  return FALSE;
}

/* Bytes that need escaping: controls, DEL, backslash, and >= 0x80 when
 * the string is not valid UTF-8. */
static gboolean
needs_escape (guchar c, gboolean utf8)
{
  return c < 0x20 || c == 0x7f || c == '\\' || (!utf8 && c >= 0x80);
}

char *
yolo_escape_name (const char *s)
{
  gboolean utf8;
  GString *out;
  const char *p;

  if (!s)
    return NULL;
  utf8 = g_utf8_validate (s, -1, NULL);
  for (p = s; *p; p++)
    if (needs_escape ((guchar) * p, utf8))
      break;
  if (!*p)
    return NULL;
  out = g_string_new (NULL);
  for (p = s; *p; p++) {
    guchar c = (guchar) * p;
    if (!needs_escape (c, utf8))
      g_string_append_c (out, (char) c);
    else if (c == '\\')
      g_string_append (out, "\\\\");
    else if (c == '\n')
      g_string_append (out, "\\n");
    else if (c == '\r')
      g_string_append (out, "\\r");
    else if (c == '\t')
      g_string_append (out, "\\t");
    else
      g_string_append_printf (out, "\\x%02x", c);
  }
  return g_string_free (out, FALSE);
}

void
yolo_error_escape (GError * error)
{
  GString *out;

  if (!error || !error->message)
    return;
  for (const char *p = error->message; *p; p++)
    if ((guchar) * p < 0x20 || (guchar) * p == 0x7f)
      goto escape;
  return;
escape:
  out = g_string_new (NULL);
  for (const char *p = error->message; *p; p++) {
    guchar c = (guchar) * p;
    if (c < 0x20 || c == 0x7f)
      g_string_append_printf (out, "\\x%02x", c);
    else
      g_string_append_c (out, (char) c);
  }
  g_free (error->message);
  error->message = g_string_free (out, FALSE);
}

gboolean
yolo_tensor_is_const (const YoloTensor * t)
{
  return (t->data != NULL || t->host_released) && !t->is_input;
}

gboolean
yolo_tensor_dims_are (const YoloTensor * t, int ndim, const gint64 * d)
{
  if (!t || t->ndim != ndim)
    return FALSE;
  for (int i = 0; i < ndim; i++)
    if (t->dims[i] != d[i])
      return FALSE;
  return TRUE;
}

gboolean
yolo_tensor_same_shape (const YoloTensor * a, const YoloTensor * b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return FALSE;
  return TRUE;
}

int
yolo_axis (gint64 axis, int ndim)
{
  if (axis < 0)
    axis += ndim;
  if (axis < 0 || axis >= ndim)
    return -1;
  return (int) axis;
}

const char *
yolo_shape_str (const YoloTensor * t, char *buf, gsize len)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < t->ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "", t->dims[i]);
  g_string_append (s, "]");
  g_strlcpy (buf, s->str, len);
  g_string_free (s, TRUE);
  return buf;
}

void
yolo_tensor_set_shape (YoloTensor * t, YoloDType dtype, int ndim,
    const gint64 * dims)
{
  t->dtype = dtype;
  t->ndim = ndim;
  for (int i = 0; i < ndim && i < YOLO_MAX_DIMS; i++)
    t->dims[i] = dims[i];
}

gboolean
yolo_broadcast_shape (int na, const gint64 * a, int nb, const gint64 * b,
    int *n_out, gint64 * out)
{
  int n = MAX (na, nb);

  if (n > YOLO_MAX_DIMS)
    return FALSE;
  for (int i = 0; i < n; i++) {
    gint64 da = i < n - na ? 1 : a[i - (n - na)];
    gint64 db = i < n - nb ? 1 : b[i - (n - nb)];
    if (da != db && da != 1 && db != 1)
      return FALSE;
    out[i] = da == 1 ? db : da;
  }
  *n_out = n;
  return TRUE;
}

void
yolo_graph_update_uses (YoloGraph * g)
{
  for (guint i = 0; i < g->tensors->len; i++) {
    YOLO_T (g, i)->n_uses = 0;
    YOLO_T (g, i)->producer = -1;
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] >= 0)
        YOLO_T (g, n->inputs[j])->n_uses++;
    if (n->residual >= 0)
      YOLO_T (g, n->residual)->n_uses++;
    for (int j = 0; j < n->n_outputs; j++)
      YOLO_T (g, n->outputs[j])->producer = i;
  }
}

YoloNode *
yolo_graph_sole_reader (YoloGraph * g, int t, int *slot, guint * index)
{
  YoloNode *found = NULL;
  int reads = 0, found_slot = -1;
  guint found_index = 0;

  if (t < 0 || (guint) t >= g->tensors->len || YOLO_T (g, t)->is_output)
    return NULL;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    if (n->residual == t)
      return NULL;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] == t) {
        if (++reads > 1)
          return NULL;
        found = n;
        found_slot = j;
        found_index = i;
      }
  }
  if (!found)
    return NULL;
  if (slot)
    *slot = found_slot;
  if (index)
    *index = found_index;
  return found;
}

YoloNode *
yolo_graph_producer (YoloGraph * g, int t)
{
  int p = t >= 0 ? YOLO_T (g, t)->producer : -1;
  YoloNode *n;

  if (p < 0)
    return NULL;
  n = YOLO_N (g, p);
  return n->removed ? NULL : n;
}

YoloNode *
yolo_graph_plain_producer (YoloGraph * g, int t, const char *op_type, int uses)
{
  YoloNode *n = yolo_graph_producer (g, t);
  YoloTensor *tt;

  if (!n || strcmp (n->op_type, op_type) || n->n_outputs != 1 || n->act
      || n->residual >= 0 || n->qepi)
    return NULL;
  tt = YOLO_T (g, t);
  if (tt->is_output || tt->n_uses != uses || tt->dtype != YOLO_DTYPE_FLOAT)
    return NULL;
  return n;
}

/* Kahn's algorithm; nodes whose inputs can never be produced are an error. */
gboolean
yolo_graph_sort (YoloGraph * g, GError ** error)
{
  guint nn = g->nodes->len;
  GPtrArray *sorted = g_ptr_array_new_full (nn, NULL);
  gboolean *ready = g_new0 (gboolean, g->tensors->len);
  gboolean *done = g_new0 (gboolean, nn);
  gboolean progress = TRUE;
  guint n_done = 0;

  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    ready[i] = t->is_input || t->data != NULL;
  }
  while (progress && n_done < nn) {
    progress = FALSE;
    for (guint i = 0; i < nn; i++) {
      YoloNode *n = YOLO_N (g, i);
      gboolean ok = TRUE;

      if (done[i])
        continue;
      for (int j = 0; j < n->n_inputs && ok; j++)
        if (n->inputs[j] >= 0 && !ready[n->inputs[j]])
          ok = FALSE;
      if (!ok)
        continue;
      for (int j = 0; j < n->n_outputs; j++)
        ready[n->outputs[j]] = TRUE;
      done[i] = TRUE;
      g_ptr_array_add (sorted, n);
      n_done++;
      progress = TRUE;
    }
  }
  if (n_done < nn) {
    for (guint i = 0; i < nn; i++) {
      YoloNode *n = YOLO_N (g, i);
      if (done[i])
        continue;
      for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0 && !ready[n->inputs[j]]) {
          g_set_error (error, YOLO_ENGINE_ERROR,
              YOLO_ENGINE_ERROR_INVALID_MODEL,
              "%s node \"%s\": input \"%s\" is produced by no node, "
              "initializer or graph input (or the graph has a cycle)",
              n->op_type, n->name, YOLO_T (g, n->inputs[j])->name);
          goto fail;
        }
    }
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "the graph has a cycle");
    goto fail;
  }
  /* Swap in the sorted order (the new array takes over freeing nodes). */
  g_ptr_array_set_free_func (g->nodes, NULL);
  g_ptr_array_unref (g->nodes);
  g->nodes = sorted;
  g_ptr_array_set_free_func (g->nodes, node_free);
  sorted = NULL;
  g_free (ready);
  g_free (done);
  yolo_graph_update_uses (g);
  return TRUE;

fail:
  g_ptr_array_unref (sorted);
  g_free (ready);
  g_free (done);
  return FALSE;
}

static gboolean
check_outputs_inferred (YoloGraph * g, YoloNode * n, GError ** error)
{
  for (int j = 0; j < n->n_outputs; j++) {
    YoloTensor *t = YOLO_OUT (g, n, j);
    if (t->ndim < 0 || t->dtype == YOLO_DTYPE_UNDEFINED) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "%s node \"%s\": could not infer the shape of output \"%s\"",
          n->op_type, n->name, t->name);
      return FALSE;
    }
    for (int d = 0; d < t->ndim; d++)
      if (t->dims[d] < 0) {
        g_set_error (error, YOLO_ENGINE_ERROR,
            YOLO_ENGINE_ERROR_INVALID_MODEL,
            "%s node \"%s\": output \"%s\" has a negative dimension",
            n->op_type, n->name, t->name);
        return FALSE;
      }
    if (!yolo_tensor_check_size (t, "output", NULL)) {
      char *what = g_strdup_printf ("%s node \"%s\": output \"%s\"",
          n->op_type, n->name, t->name);
      yolo_tensor_check_size (t, what, error);
      g_free (what);
      return FALSE;
    }
  }
  return TRUE;
}

/* Accounts the host data a folded node is about to allocate. */
static gboolean
reserve_outputs (YoloGraph * g, YoloNode * n, GError ** error)
{
  for (int j = 0; j < n->n_outputs; j++) {
    YoloTensor *t = YOLO_OUT (g, n, j);
    char *what;
    gboolean ok;

    if (yolo_graph_reserve (g, yolo_tensor_host_bytes (t), "", NULL))
      continue;
    what = g_strdup_printf ("%s node \"%s\"", n->op_type, n->name);
    ok = yolo_graph_reserve (g, yolo_tensor_host_bytes (t), what, error);
    g_free (what);
    return ok;
  }
  return TRUE;
}

gboolean
yolo_graph_infer (YoloGraph * g, GError ** error)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def;
    gboolean all_const = TRUE;

    if (n->removed)
      continue;
    def = yolo_ops_lookup (n->op_type);
    if (!def) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "unsupported operator %s (node \"%s\")%s", n->op_type, n->name,
          g_str_has_prefix (n->op_type, "QLinear")
          || !strcmp (n->op_type, "QGemm") ?
          ": static int8 quantisation in the QOperator format (QLinearConv, "
          "QLinearMatMul...) is not supported; the QDQ format "
          "(quantize_static quant_format=QDQ), dynamic quantisation "
          "(quantize_dynamic) or the float32 export work" : "");
      return FALSE;
    }
    for (int j = 0; j < n->n_inputs; j++) {
      YoloTensor *t = YOLO_IN (g, n, j);
      if (!t)
        continue;
      if (t->ndim < 0) {
        g_set_error (error, YOLO_ENGINE_ERROR,
            YOLO_ENGINE_ERROR_INVALID_MODEL,
            "%s node \"%s\": input \"%s\" has no known shape", n->op_type,
            n->name, t->name);
        return FALSE;
      }
      if (!yolo_tensor_is_const (t))
        all_const = FALSE;
    }
    if (!def->infer (g, n, error))
      return FALSE;
    if (!check_outputs_inferred (g, n, error))
      return FALSE;
    /* Constant folding: all inputs constant (or the op only needs shapes,
     * e.g. Shape) -> evaluate on the host. */
    if ((all_const || !strcmp (n->op_type, "Shape")
            || !strcmp (n->op_type, "Size")) && def->eval && n->residual < 0) {
      gboolean out_is_graph_out = FALSE;
      for (int j = 0; j < n->n_outputs; j++)
        if (YOLO_OUT (g, n, j)->is_output)
          out_is_graph_out = TRUE;
      if (out_is_graph_out)
        continue;
      if (!reserve_outputs (g, n, error) || !def->eval (g, n, error))
        return FALSE;
      n->removed = TRUE;
    }
  }
  yolo_graph_update_uses (g);
  return TRUE;
}

void
yolo_graph_prune (YoloGraph * g)
{
  gboolean changed = TRUE;

  while (changed) {
    changed = FALSE;
    yolo_graph_update_uses (g);
    for (guint i = 0; i < g->nodes->len; i++) {
      YoloNode *n = YOLO_N (g, i);
      gboolean used = FALSE;

      if (n->removed)
        continue;
      for (int j = 0; j < n->n_outputs; j++) {
        YoloTensor *t = YOLO_OUT (g, n, j);
        if (t->n_uses > 0 || t->is_output)
          used = TRUE;
      }
      if (!used) {
        n->removed = TRUE;
        changed = TRUE;
      }
    }
  }
}

/* "[h, w]" from the imgsz metadata; FALSE unless both are in 1..65536. */
static gboolean
parse_imgsz (const char *s, int *h, int *w)
{
  gint64 v[2];
  char *end;

  if (!s || *s != '[')
    return FALSE;
  s++;
  for (int i = 0; i < 2; i++) {
    while (*s == ' ')
      s++;
    v[i] = g_ascii_strtoll (s, &end, 10);
    if (end == s || v[i] <= 0 || v[i] > 65536)
      return FALSE;
    s = end;
    while (*s == ' ')
      s++;
    if (*s != (i == 0 ? ',' : ']'))
      return FALSE;
    s++;
  }
  *h = (int) v[0];
  *w = (int) v[1];
  return TRUE;
}

/* Gives dynamic input dimensions a value: batch 1, H/W from the arguments or
 * the model's imgsz metadata. */
static gboolean
resolve_dynamic_inputs (YoloGraph * g, int input_h, int input_w,
    GError ** error)
{
  for (guint i = 0; i < g->inputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, i));
    int want[2] = { input_h, input_w };
    const char *imgsz = g_hash_table_lookup (g->metadata, "imgsz");

    if (want[0] <= 0 || want[1] <= 0) {
      want[0] = want[1] = 0;
      parse_imgsz (imgsz, &want[0], &want[1]);
    }
    for (int d = 0; d < t->ndim; d++) {
      if (t->dims[d] >= 0)
        continue;
      if (d == 0) {
        t->dims[d] = 1;
      } else if (t->ndim == 4 && d >= 2 && want[d - 2] > 0) {
        t->dims[d] = want[d - 2];
      } else {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
            "input \"%s\" has a dynamic size (dimension %d) that neither "
            "the options nor the imgsz metadata give: set the input size "
            "(e.g. 640x640: yolo-engine --size, yolodetect's input-size) or "
            "export the model with dynamic=False and a fixed imgsz",
            t->name, d);
        return FALSE;
      }
    }
  }
  return TRUE;
}

static gboolean
graph_prepare (YoloGraph * g, int input_h, int input_w, GError ** error);

gboolean
yolo_graph_prepare (YoloGraph * g, int input_h, int input_w, GError ** error)
{
  /* messages may quote model strings (attribute values): one line */
  if (graph_prepare (g, input_h, input_w, error))
    return TRUE;
  if (error)
    yolo_error_escape (*error);
  return FALSE;
}

static gboolean
graph_prepare (YoloGraph * g, int input_h, int input_w, GError ** error)
{
  YoloRebatch *rebatch = NULL;

  if (g->inputs->len == 0 || g->outputs->len == 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "the model has no %s", g->inputs->len == 0 ? "input" : "output");
    return FALSE;
  }
  if (!resolve_dynamic_inputs (g, input_h, input_w, error))
    return FALSE;
  for (guint i = 0; i < g->inputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, i));
    char *what;
    gboolean ok;

    if (yolo_tensor_check_size (t, "", NULL))
      continue;
    what = g_strdup_printf ("graph input \"%s\"", t->name);
    ok = yolo_tensor_check_size (t, what, error);
    g_free (what);
    return ok;
  }
  if (!yolo_graph_sort (g, error) || !yolo_rebatch (g, &rebatch, error))
    return FALSE;
  if (!yolo_nms_tail_cut (g, error) || !yolo_graph_infer (g, error)) {
    yolo_rebatch_fail (rebatch, error);
    return FALSE;
  }
  if (!yolo_rebatch_check (g, rebatch, error)
      || !yolo_nms_tail_check (g, error))
    return FALSE;
  for (guint i = 0; i < g->outputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    if (t->ndim < 0) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "graph output \"%s\" is produced by no node", t->name);
      return FALSE;
    }
  }
  return TRUE;
}
