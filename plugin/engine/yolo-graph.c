/* yolo-graph.c - graph IR construction, attributes, topological sort, shape
 * inference with constant folding, use counts and pruning. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "yolo-engine.h"

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
      return x > 0.0f ? x : 0.0f;
    case YOLO_ACT_LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case YOLO_ACT_HARD_SIGMOID:
      return fmaxf (0.0f, fminf (1.0f, alpha * x + beta));
    case YOLO_ACT_HARD_SWISH:
      return x * fmaxf (0.0f, fminf (1.0f, x / 6.0f + 0.5f));
    case YOLO_ACT_CLIP:
      return fminf (fmaxf (x, alpha), beta);
    default:
      return x;
  }
}

static void
tensor_free (gpointer p)
{
  YoloTensor *t = p;

  g_free (t->name);
  g_free (t->data);
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
  g_free (g);
}

int
yolo_graph_find_tensor (YoloGraph * g, const char *name)
{
  gpointer v = g_hash_table_lookup (g->tensor_by_name, name);
  return v ? GPOINTER_TO_INT (v) - 1 : -1;
}

int
yolo_graph_tensor (YoloGraph * g, const char *name)
{
  int idx = yolo_graph_find_tensor (g, name);
  YoloTensor *t;

  if (idx >= 0)
    return idx;
  t = g_new0 (YoloTensor, 1);
  t->name = g_strdup (name);
  t->producer = -1;
  t->view_of = -1;
  t->mem_offset = -1;
  t->ndim = -1;                 /* unknown until inferred */
  idx = g->tensors->len;
  g_ptr_array_add (g->tensors, t);
  g_hash_table_insert (g->tensor_by_name, g_strdup (name),
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

  n->op_type = g_strdup (op_type);
  n->name = name && *name ? g_strdup (name) :
      g_strdup_printf ("%s_%d", op_type, idx);
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
yolo_tensor_is_const (const YoloTensor * t)
{
  return t->data != NULL && !t->is_input;
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
          !strcmp (n->op_type, "ConvInteger")
          || !strcmp (n->op_type, "DynamicQuantizeLinear")
          || !strcmp (n->op_type, "QuantizeLinear")
          || !strcmp (n->op_type, "DequantizeLinear")
          || !strcmp (n->op_type, "MatMulInteger") ?
          ": quantized (int8) models are not supported yet; "
          "use the float32 export" : "");
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
      if (!def->eval (g, n, error))
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
