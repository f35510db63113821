/* yolo-concat-fuse.c - the transposed-Concat pass: YOLOX's output tail
 *   Y = Transpose (Concat (X_0, ..., X_k-1, axis 2), perm [0, 2, 1])
 * with X_j [1, C, n_j] (the levels' [1, 85, H*W]) is rewritten as
 *   Y = Concat (Transpose (X_0), ..., Transpose (X_k-1), axis 1)
 * the same values: Y[0][a][c] is X_j[0][c][a - o_j] either way (o_j the
 * n of the inputs before j). Concat along axis 2 of [1, C, A] has an
 * outer size of C, so it copied every input into place (one launch per
 * input) before the Transpose read it all again; along axis 1 of
 * [1, A, C] its outer size is 1, so the memory plan makes each input a
 * slice of Y (yolo-plan.c) and the k Transposes write there: k launches
 * instead of k + 1 and one pass over the tensor less. Only when the
 * Concat's output is read by that Transpose alone and is no graph output;
 * anything else is left as it is. */
#include "yolo-graph.h"

#include <string.h>

static gboolean
is_perm_021 (const YoloNode * n)
{
  int np = 0;
  const gint64 *perm = yolo_node_attr_ints (n, "perm", &np);

  return perm && np == 3 && perm[0] == 0 && perm[1] == 2 && perm[2] == 1;
}

/* The node index of node n in g, or -1. */
static int
node_index (YoloGraph * g, const YoloNode * n)
{
  for (guint i = 0; i < g->nodes->len; i++)
    if (YOLO_N (g, i) == n)
      return i;
  return -1;
}

static gboolean
try_transposed_concat (YoloGraph * g, YoloNode * tr)
{
  static const gint64 perm[3] = { 0, 2, 1 };
  YoloTensor *c, *y;
  YoloNode *cat;
  int ci, pos;
  gint64 C, total = 0;

  if (tr->n_inputs != 1 || tr->n_outputs != 1 || tr->inputs[0] < 0
      || !is_perm_021 (tr))
    return FALSE;
  c = YOLO_T (g, tr->inputs[0]);
  y = YOLO_T (g, tr->outputs[0]);
  cat = yolo_graph_producer (g, tr->inputs[0]);
  if (!cat || strcmp (cat->op_type, "Concat") || cat->n_outputs != 1
      || cat->act || cat->residual >= 0 || c->is_output || c->n_uses != 1
      || c->ndim != 3 || c->dims[0] != 1 || c->dtype != YOLO_DTYPE_FLOAT
      || y->ndim != 3 || cat->n_inputs < 1
      || yolo_axis (yolo_node_attr_int (cat, "axis", 0), 3) != 2)
    return FALSE;
  C = c->dims[1];
  for (int j = 0; j < cat->n_inputs; j++) {
    YoloTensor *x = YOLO_IN (g, cat, j);

    if (!x || yolo_tensor_is_const (x) || x->ndim != 3 || x->dims[0] != 1
        || x->dims[1] != C || x->dims[2] < 1 || x->dtype != YOLO_DTYPE_FLOAT)
      return FALSE;
    total += x->dims[2];
  }
  if (total != c->dims[2] || y->dims[0] != 1 || y->dims[1] != total
      || y->dims[2] != C)
    return FALSE;
  ci = node_index (g, cat);
  if (ci < 0)
    return FALSE;
  for (int j = 0; j < cat->n_inputs; j++) {
    char *tname = g_strdup_printf ("%s:t%d", tr->name, j);
    gboolean taken = yolo_graph_find_tensor (g, tname) >= 0;

    g_free (tname);
    if (taken)
      return FALSE;
  }

  /* One Transpose per input, in front of the Concat (each input's
   * producer comes before the Concat already). */
  pos = ci;
  for (int j = 0; j < cat->n_inputs; j++) {
    YoloTensor *x = YOLO_IN (g, cat, j);
    char *tname = g_strdup_printf ("%s:t%d", tr->name, j);
    char *nname = g_strdup_printf ("%s:transpose%d", tr->name, j);
    const char *in = x->name;
    gint64 dims[3] = { 1, x->dims[2], C };
    int ni, t;
    YoloNode *nt;

    t = yolo_graph_tensor (g, tname);
    yolo_tensor_set_shape (YOLO_T (g, t), YOLO_DTYPE_FLOAT, 3, dims);
    ni = yolo_graph_add_node (g, "Transpose", nname, 1, &in, 1,
        (const char *const *) &tname);
    nt = g_ptr_array_steal_index (g->nodes, ni);
    g_ptr_array_insert (g->nodes, pos++, nt);
    nt->inputs[0] = cat->inputs[j];
    yolo_node_set_ints (nt, "perm", 3, perm);
    cat->inputs[j] = t;
    g_free (tname);
    g_free (nname);
  }
  for (int a = 0; a < cat->n_attrs; a++)
    if (!strcmp (cat->attrs[a].name, "axis"))
      cat->attrs[a].i = 1;
  cat->outputs[0] = tr->outputs[0];
  tr->removed = TRUE;
  return TRUE;
}

void
yolo_graph_fuse_transposed_concat (YoloGraph * g)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);

    if (!n->removed && !strcmp (n->op_type, "Transpose")
        && try_transposed_concat (g, n)) {
      changed = TRUE;
      yolo_graph_update_uses (g);
    }
  }
  if (changed)
    yolo_graph_update_uses (g);
}
