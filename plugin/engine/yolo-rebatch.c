/* yolo-rebatch.c - fixed batch B > 1 rewritten to batch 1 (see
 * yolo-rebatch.h). */
#include "yolo-rebatch.h"
#include "yolo-engine.h"

#include <string.h>

struct _YoloRebatch
{
  gint64 batch;
  gint64 to;                    /* the batch run: 1, or g->batch_to */
  GArray *reshapes;             /* int node indices rewritten */
  GArray *out_dims;             /* gint64 [YOLO_MAX_DIMS] per output, declared */
  GArray *out_ndim;             /* int per output (-1: not declared) */
};

static void
state_free (YoloRebatch * s)
{
  g_array_unref (s->reshapes);
  g_array_unref (s->out_dims);
  g_array_unref (s->out_ndim);
  g_free (s);
}

static gboolean
refuse_to (GError ** error, gint64 b, gint64 to, const char *op,
    const char *node, const char *why)
{
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
      "%s node \"%s\": %s, so the batch of %" G_GINT64_FORMAT " cannot be "
      "run as a batch of %" G_GINT64_FORMAT, op, node, why, b, to);
  return FALSE;
}

static gboolean
refuse (GError ** error, gint64 b, const char *op, const char *node,
    const char *why)
{
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
      "%s node \"%s\": %s, so the fixed batch of %" G_GINT64_FORMAT
      " cannot be run as batch 1; the model was exported with batch=%"
      G_GINT64_FORMAT ": export it with batch=1", op, node, why, b, b);
  return FALSE;
}

gboolean
yolo_rebatch (YoloGraph * g, YoloRebatch ** state, GError ** error)
{
  gint64 b = 0, to = MAX (g->batch_to, 1);
  YoloRebatch *s;

  *state = NULL;
  for (guint i = 0; i < g->inputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, i));
    if (t->ndim >= 1 && (t->dims[0] > 1 || to > 1)) {
      /* only a single image input (N, 3, H, W with H and W at least 32,
       * the largest YOLO stride: the models the engine runs) is an
       * export's batch; other graphs (several inputs, other ranks, channel
       * counts or tiny sizes: operator tests) run as declared */
      if (g->inputs->len != 1 || t->ndim != 4 || t->dims[1] != 3
          || t->dims[2] < 32 || t->dims[3] < 32) {
        if (to == 1)
          return TRUE;
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "a batch of %" G_GINT64_FORMAT " needs a model with one image "
            "input [N, 3, H, W]", to);
        return FALSE;
      }
      b = t->dims[0];
    }
  }
  if (b < 1 || b == to)
    return TRUE;

  s = g_new0 (YoloRebatch, 1);
  s->batch = b;
  s->to = to;
  s->reshapes = g_array_new (FALSE, FALSE, sizeof (int));
  s->out_dims = g_array_new (FALSE, TRUE, sizeof (gint64) * YOLO_MAX_DIMS);
  s->out_ndim = g_array_new (FALSE, FALSE, sizeof (int));
  for (guint i = 0; i < g->outputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    int nd = t->ndim;
    g_array_append_vals (s->out_dims, t->dims, 1);
    g_array_append_val (s->out_ndim, nd);
  }

  /* Reshape target shapes with a leading B: only read as Reshape shapes */
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    YoloTensor *shape = YOLO_IN (g, n, 1);

    if (n->removed || strcmp (n->op_type, "Reshape") || !shape
        || !yolo_tensor_is_const (shape) || !shape->data
        || yolo_dtype_is_float (shape->dtype) || shape->ndim != 1
        || shape->dims[0] < 1 || ((gint64 *) shape->data)[0] != b)
      continue;
    for (guint j = 0; j < g->nodes->len; j++) {
      YoloNode *m = YOLO_N (g, j);
      if (m->removed)
        continue;
      for (int k = 0; k < m->n_inputs; k++)
        if (m->inputs[k] == n->inputs[1] && (k != 1
                || strcmp (m->op_type, "Reshape"))) {
          gint64 to_ = s->to;
          state_free (s);
          if (to_ != 1)
            return refuse_to (error, b, to_, m->op_type, m->name, "it reads "
                "a Reshape target shape that holds the batch");
          return refuse (error, b, m->op_type, m->name, "it reads a "
              "Reshape target shape that holds the batch");
        }
    }
    g_array_append_val (s->reshapes, i);
  }
  for (guint i = 0; i < s->reshapes->len; i++) {
    YoloNode *n = YOLO_N (g, g_array_index (s->reshapes, int, i));
    ((gint64 *) YOLO_IN (g, n, 1)->data)[0] = to;       /* shared: once */
  }
  YOLO_T (g, g_array_index (g->inputs, int, 0))->dims[0] = to;
  if (to == 1)
    g->batch_from = b;
  *state = s;
  return TRUE;
}

gboolean
yolo_rebatch_check (YoloGraph * g, YoloRebatch * s, GError ** error)
{
  gboolean ok = TRUE;

  if (!s)
    return TRUE;
  for (guint i = 0; ok && i < s->reshapes->len; i++) {
    YoloNode *n = YOLO_N (g, g_array_index (s->reshapes, int, i));
    YoloTensor *x = YOLO_IN (g, n, 0);
    if (x->ndim < 1 || x->dims[0] != s->to)
      ok = s->to == 1 ? refuse (error, s->batch, n->op_type, n->name,
          "its input does not have the batch as its first dimension") :
          refuse_to (error, s->batch, s->to, n->op_type, n->name,
          "its input does not have the batch as its first dimension");
  }
  for (guint i = 0; ok && i < g->outputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    int nd = g_array_index (s->out_ndim, int, i);
    const gint64 *d = (const gint64 *) (s->out_dims->data +
        (gsize) i * sizeof (gint64) * YOLO_MAX_DIMS);
    gboolean same = t->ndim >= 1 && t->dims[0] == s->to
        && (nd < 0 || (nd == t->ndim && d[0] == s->batch));

    for (int k = 1; same && nd >= 0 && k < nd; k++)
      same = d[k] == t->dims[k];
    if (!same) {
      char buf[128];
      const char *op = t->producer >= 0 ?
          YOLO_N (g, t->producer)->op_type : "graph output";
      const char *node = t->producer >= 0 ?
          YOLO_N (g, t->producer)->name : t->name;
      char *why = g_strdup_printf ("at batch %" G_GINT64_FORMAT " graph "
          "output \"%s\" is %s, not the declared shape with batch %"
          G_GINT64_FORMAT, s->to, t->name,
          yolo_shape_str (t, buf, sizeof buf), s->to);
      ok = s->to == 1 ? refuse (error, s->batch, op, node, why) :
          refuse_to (error, s->batch, s->to, op, node, why);
      g_free (why);
    }
  }
  state_free (s);
  return ok;
}

void
yolo_rebatch_fail (YoloRebatch * s, GError ** error)
{
  if (!s)
    return;
  if (error && *error && s->to != 1) {
    char *m = g_strdup_printf ("%s (with the file's batch of %"
        G_GINT64_FORMAT " rewritten to %" G_GINT64_FORMAT ")",
        (*error)->message, s->batch, s->to);
    g_free ((*error)->message);
    (*error)->message = m;
  } else if (error && *error) {
    char *m = g_strdup_printf ("%s (with the file's fixed batch of %"
        G_GINT64_FORMAT " rewritten to 1); the model was exported with "
        "batch=%" G_GINT64_FORMAT ": export it with batch=1",
        (*error)->message, s->batch, s->batch);
    g_free ((*error)->message);
    (*error)->message = m;
  }
  state_free (s);
}
