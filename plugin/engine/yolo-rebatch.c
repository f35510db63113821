/* yolo-rebatch.c - fixed batch B > 1 rewritten to batch 1 (see
 * yolo-rebatch.h). */
#include "yolo-rebatch.h"
#include "yolo-engine.h"
#include "yolo-ops.h"

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

/* The error refusing to run node's batch of b as a batch of `to` (the
 * export's fixed batch b > 1 at the default batch 1: export it with
 * batch=1); FALSE. */
static gboolean
refuse (GError ** error, gint64 b, gint64 to, const char *op,
    const char *node, const char *why)
{
  if (to != 1)
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s node \"%s\": %s, so the batch of %" G_GINT64_FORMAT " cannot be "
        "run as a batch of %" G_GINT64_FORMAT, op, node, why, b, to);
  else
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s node \"%s\": %s, so the fixed batch of %" G_GINT64_FORMAT
        " cannot be run as batch 1; the model was exported with batch=%"
        G_GINT64_FORMAT ": export it with batch=1", op, node, why, b, b);
  return FALSE;
}

gboolean *
yolo_rebatch_carries (YoloGraph * g, int input)
{
  gboolean *c = g_new0 (gboolean, MAX (g->tensors->len, 1));

  c[input] = TRUE;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    gboolean any = FALSE;

    if (n->removed || !strcmp (n->op_type, "Shape")
        || !strcmp (n->op_type, "Size"))
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && c[n->inputs[k]])
        any = TRUE;
    for (int k = 0; any && k < n->n_outputs; k++)
      if (n->outputs[k] >= 0)
        c[n->outputs[k]] = TRUE;
  }
  return c;
}

gboolean
yolo_rebatch (YoloGraph * g, YoloRebatch ** state, GError ** error)
{
  gint64 b = 0, to = MAX (g->batch_to, 1);
  YoloRebatch *s;
  gboolean *carries;
  GPtrArray *shapes;

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
  shapes = g_ptr_array_new ();
  for (guint i = 0; i < g->outputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    int nd = t->ndim;
    g_array_append_vals (s->out_dims, t->dims, 1);
    g_array_append_val (s->out_ndim, nd);
  }

  /* The Reshapes of tensors that carry the batch (yolo_rebatch_carries):
   * a constant target shape's leading element holds b times the per-image
   * count (b itself, or b * area when YOLO12's area attention folds its
   * areas into the batch axis); it becomes to times that count. Such a
   * shape must be read by batch-carrying Reshapes only. */
  carries = yolo_rebatch_carries (g, g_array_index (g->inputs, int, 0));
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    YoloTensor *shape = YOLO_IN (g, n, 1);
    const char *why = NULL;

    if (n->removed || strcmp (n->op_type, "Reshape") || !shape
        || !carries[n->inputs[0]] || !yolo_tensor_is_const (shape)
        || !shape->data || yolo_dtype_is_float (shape->dtype)
        || shape->ndim != 1
        || shape->dims[0] < 1 || ((gint64 *) shape->data)[0] <= 0)
      continue;
    if (((gint64 *) shape->data)[0] % b)
      why = "its constant target shape's first dimension is not a "
          "multiple of the batch";
    for (guint j = 0; !why && j < g->nodes->len; j++) {
      YoloNode *m = YOLO_N (g, j);
      if (m->removed)
        continue;
      for (int k = 0; k < m->n_inputs; k++)
        if (m->inputs[k] == n->inputs[1] && (k != 1
                || strcmp (m->op_type, "Reshape") || !carries[m->inputs[0]]))
          why = "it reads a Reshape target shape that holds the batch";
      if (why)
        n = m;
    }
    if (why) {
      gint64 to_ = s->to;
      g_free (carries);
      g_ptr_array_unref (shapes);
      state_free (s);
      return refuse (error, b, to_, n->op_type, n->name, why);
    }
    for (guint k = 0; k < s->reshapes->len; k++)
      if (YOLO_IN (g, YOLO_N (g, g_array_index (s->reshapes, int, k)),
              1) == shape)
        shape = NULL;           /* shared: rewritten once */
    g_array_append_val (s->reshapes, i);
    if (shape)
      g_ptr_array_add (shapes, shape);
  }
  /* onnxruntime's DynamicQuantizeLinear takes one scale and zero point
   * over the whole tensor. A batch-1 export run at batch `to` quantises
   * each image as alone (per_image, ops/quant.h: a batched stream's image
   * must not depend on the others); a fixed batch b > 1 quantises over
   * the b images, which a batch of another size cannot reproduce */
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || strcmp (n->op_type, "DynamicQuantizeLinear")
        || n->n_inputs < 1 || n->inputs[0] < 0 || !carries[n->inputs[0]])
      continue;
    if (b == 1) {
      yolo_node_add_attr (n, "per_image", YOLO_ATTR_INT)->i = 1;
      continue;
    }
    g_free (carries);
    g_ptr_array_unref (shapes);
    state_free (s);
    return refuse (error, b, to, n->op_type, n->name, "its scale and zero "
        "point are taken over the whole batch");
  }
  g_free (carries);
  for (guint i = 0; i < shapes->len; i++) {
    gint64 *d = ((YoloTensor *) g_ptr_array_index (shapes, i))->data;
    d[0] = d[0] / b * to;
  }
  g_ptr_array_unref (shapes);
  YOLO_T (g, g_array_index (g->inputs, int, 0))->dims[0] = to;
  if (to == 1)
    g->batch_from = b;
  *state = s;
  return TRUE;
}

/* Gather (data [T*m, ..], indices [T, ..], axis 0) of an export at batch
 * 1, run at batch T: the exporter folded the per-image offsets b * m of the
 * indices into 0 (YOLO26's top-k tail gathers from the flattened batch),
 * so each image would gather from image 0. Rewrites the indices to
 * Mod (indices, m) + [0, m, 2m, ..] (Mod: negative indices wrap as Gather
 * wraps them), both nodes inferred here; the caller re-sorts the graph.
 * FALSE when the Gather is not of that form. */
static gboolean
rebatch_gather (YoloGraph * g, YoloNode * n, gint64 to, const gboolean * c,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  gint64 m, dims[YOLO_MAX_DIMS], *offs;
  char *names[5];
  const char *ins[2], *outs[1];
  int mi, ai, r;
  gboolean ok;

  if (!x || !idx || n->n_outputs != 1 || !c[n->inputs[1]]
      || yolo_tensor_is_const (idx) || yolo_dtype_is_float (idx->dtype)
      || idx->ndim < 1 || idx->dims[0] != to || x->ndim < 1
      || x->dims[0] % to || x->dims[0] / to < 1)
    return FALSE;
  m = x->dims[0] / to;
  r = idx->ndim;
  for (int i = 0; i < r; i++)
    dims[i] = i ? 1 : to;
  offs = g_new (gint64, to);
  for (gint64 b = 0; b < to; b++)
    offs[b] = b * m;
  names[0] = g_strdup_printf ("%s/rebatch_m", n->name);
  names[1] = g_strdup_printf ("%s/rebatch_offsets", n->name);
  names[2] = g_strdup_printf ("%s/rebatch_mod", n->name);
  names[3] = g_strdup_printf ("%s/rebatch_indices", n->name);
  names[4] = g_strdup_printf ("%s/rebatch_add", n->name);
  yolo_graph_add_const (g, names[0], idx->dtype, 0, dims,
      g_memdup2 (&m, sizeof m));
  yolo_graph_add_const (g, names[1], idx->dtype, r, dims, offs);
  idx = YOLO_IN (g, n, 1);      /* the tensor array may have moved */
  ins[0] = idx->name;
  ins[1] = names[0];
  outs[0] = names[2];
  mi = yolo_graph_add_node (g, "Mod", names[2], 2, ins, 1, outs);
  ins[0] = names[2];
  ins[1] = names[1];
  outs[0] = names[3];
  ai = yolo_graph_add_node (g, "Add", names[4], 2, ins, 1, outs);
  n->inputs[1] = yolo_graph_find_tensor (g, names[3]);
  ok = yolo_ops_lookup ("Mod")->infer (g, YOLO_N (g, mi), error)
      && yolo_ops_lookup ("Add")->infer (g, YOLO_N (g, ai), error);
  for (int i = 0; i < 5; i++)
    g_free (names[i]);
  return ok;
}

gboolean
yolo_rebatch_check (YoloGraph * g, YoloRebatch * s, GError ** error)
{
  gboolean ok = TRUE, resort = FALSE, *carries;

  if (!s)
    return TRUE;
  /* every tensor that carries the batch holds it as the outer factor of
   * its first dimension: no Transpose moves that axis, and at a batch T > 1
   * T divides it (images stay contiguous blocks) and no Gather, Concat or
   * Split works along it. */
  carries = yolo_rebatch_carries (g, g_array_index (g->inputs, int, 0));
  /* (rebatch_gather appends nodes and tensors: not visited) */
  for (guint i = 0, nodes = g->nodes->len; ok && i < nodes; i++) {
    YoloNode *n = YOLO_N (g, i);
    const char *why = NULL;
    gboolean any = FALSE;

    if (n->removed)
      continue;
    for (int k = 0; k < n->n_inputs; k++)
      if (n->inputs[k] >= 0 && carries[n->inputs[k]])
        any = TRUE;
    if (!any)
      continue;
    if (!strcmp (n->op_type, "Transpose")) {
      const YoloAttr *pa = yolo_node_attr (n, "perm");
      if (pa ? pa->type != YOLO_ATTR_INTS || pa->n < 1 || pa->ints[0] != 0
          : YOLO_IN (g, n, 0)->ndim > 1)
        why = "its output does not have the batch as its first dimension "
            "(the Transpose moves it)";
    }
    for (int k = 0; s->to > 1 && k < n->n_outputs; k++) {
      YoloTensor *y = YOLO_OUT (g, n, k);
      if (n->outputs[k] >= 0 && carries[n->outputs[k]]
          && (y->ndim < 1 || y->dims[0] % s->to))
        why = "its output does not have the batch as its first dimension";
    }
    /* a Gather along the batch axis of [T*m, ..] data takes one image's
     * indices (an export at batch 1 folds their per-image offsets
     * b * m to 0: YOLO26's top-k tail) into the whole batch; a Concat or
     * Split along it interleaves the images' blocks */
    if (s->to > 1 && YOLO_IN (g, n, 0) && carries[n->inputs[0]]
        && (!strcmp (n->op_type, "Gather") || !strcmp (n->op_type, "Concat")
            || !strcmp (n->op_type, "Split"))
        && yolo_axis (yolo_node_attr_int (n, "axis", 0),
            YOLO_IN (g, n, 0)->ndim) == 0) {
      GError *e = NULL;
      if (s->batch == 1 && !strcmp (n->op_type, "Gather")
          && rebatch_gather (g, n, s->to, carries, &e))
        resort = TRUE;
      else if (e) {
        g_propagate_error (error, e);
        ok = FALSE;
        break;
      } else
        why = "it works along the batch axis, which a batch-1 export does "
            "not keep apart per image";
    }
    if (why)
      ok = refuse (error, s->batch, s->to, n->op_type, n->name, why);
  }
  g_free (carries);
  if (ok && resort)
    ok = yolo_graph_sort (g, error);
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
      ok = refuse (error, s->batch, s->to, op, node, why);
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
