/* yolo-topk-fuse.c - the top-k pass: YOLO26's end-to-end selection tail
 * (Ultralytics' Detect.postprocess, nms=False) as exported at batch 1:
 *   m   = ReduceMax (scores, axes [-1], keepdims 0)            [1, A]
 *   _, i1 = TopK (m, K1)                                       [1, K1]
 *   e   = Unsqueeze (i1, -1)                                   [1, K1, 1]
 *   S   = Flatten (GatherElements (scores, Tile (e, [1, 1, nc]), 1), 1)
 *   v2, i2 = TopK (S, K2)                                      [1, K2]
 *   a   = Tile (Gather (Flatten (e, 2), Div (i2, nc), 0), [1, 1, 4])
 *   Y   = Concat (GatherElements (boxes, a, 1), Unsqueeze (v2, -1),
 *                 Cast (Unsqueeze (Mod (i2, nc), -1), float), -1)
 * with boxes [1, A, 4] and scores [1, A, nc] (DetectDecode's split
 * outputs), both TopKs largest and sorted along the last axis, becomes
 * one DetectTopK node (ops/detect-topk.h) of (boxes, scores): one launch
 * instead of 18. At batch N (the engine's batch option) the same with
 * [N, ..] tensors and the Gather's indices as yolo-rebatch.c rewrites
 * them, Add (Mod (Div (..), K1), [0, K1, .., (N-1) K1]): each image picks
 * its own anchors, as the node does. Only when every intermediate tensor is read inside the
 * tail alone and none is a graph output; anything else (another batch,
 * another shape, a changed constant) is left as it is. */
#include "yolo-graph.h"
#include "ops/detect-topk.h"

#include <string.h>

#define TAIL_NODES 19

typedef struct
{
  YoloNode *n[TAIL_NODES];
  int count;
} Tail;

/* The producer of tensor t when it is a node of type op with no fused
 * epilogue; added to the tail. */
static YoloNode *
src (YoloGraph * g, Tail * tl, int t, const char *op)
{
  YoloNode *p = yolo_graph_producer (g, t);

  if (!p || strcmp (p->op_type, op) || p->act != YOLO_ACT_NONE
      || p->residual >= 0 || p->qepi || tl->count >= TAIL_NODES)
    return NULL;
  for (int i = 0; i < tl->count; i++)
    if (tl->n[i] == p)
      return p;
  tl->n[tl->count++] = p;
  return p;
}

/* Input i of n is a constant of cnt integers equal to v (an axis entry
 * of v below -100 means: any value naming axis -v - 100 of rank 3). */
static gboolean
ints_are (YoloGraph * g, const YoloNode * n, int i, int cnt, const gint64 * v)
{
  YoloTensor *t = YOLO_IN (g, n, i);

  if (!t || !yolo_tensor_is_const (t) || !t->data
      || t->dtype != YOLO_DTYPE_INT64 || yolo_tensor_numel (t) != cnt)
    return FALSE;
  for (int k = 0; k < cnt; k++) {
    gint64 x = ((const gint64 *) t->data)[k];
    if (v[k] < -100 ? yolo_axis (x, 3) != -v[k] - 100 : x != v[k])
      return FALSE;
  }
  return TRUE;
}

static gboolean
dims_are (YoloGraph * g, int t, int ndim, const gint64 * dims)
{
  return t >= 0 && yolo_tensor_dims_are (YOLO_T (g, t), ndim, dims);
}

/* Unsqueeze of t at its last axis (rank 2 -> 3): the node, else NULL. */
static YoloNode *
unsqueeze_last (YoloGraph * g, Tail * tl, int out)
{
  YoloNode *u = src (g, tl, out, "Unsqueeze");
  YoloTensor *x, *y;

  if (!u || u->n_inputs < 1)
    return NULL;
  x = YOLO_IN (g, u, 0);
  y = YOLO_OUT (g, u, 0);
  if (!x || x->ndim != 2 || y->ndim != 3 || y->dims[0] != x->dims[0]
      || y->dims[1] != x->dims[1] || y->dims[2] != 1)
    return NULL;
  return u;
}

/* A TopK along the last axis, largest, sorted, K constant. */
static gboolean
topk_ok (YoloGraph * g, const YoloNode * n, gint64 k)
{
  YoloTensor *x = YOLO_IN (g, n, 0);

  return n->n_inputs == 2 && n->n_outputs == 2 && x && x->ndim == 2
      && yolo_axis (yolo_node_attr_int (n, "axis", -1), 2) == 1
      && yolo_node_attr_int (n, "largest", 1) == 1
      && yolo_node_attr_int (n, "sorted", 1) == 1
      && ints_are (g, n, 1, 1, (const gint64[]) { k });
}

/* Every output of the tail's nodes is read inside the tail (its nodes
 * and the Concat cat) alone and is no graph output. */
static gboolean
closed (YoloGraph * g, const Tail * tl, const YoloNode * cat)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *r = YOLO_N (g, i);
    gboolean inside = r == cat;

    if (r->removed)
      continue;
    for (int k = 0; k < tl->count; k++)
      inside |= tl->n[k] == r;
    for (int k = 0; k < tl->count; k++)
      for (int o = 0; o < tl->n[k]->n_outputs; o++) {
        int t = tl->n[k]->outputs[o];
        if (t < 0)
          continue;
        if (YOLO_T (g, t)->is_output || r->residual == t)
          return FALSE;
        for (int j = 0; j < r->n_inputs && !inside; j++)
          if (r->inputs[j] == t)
            return FALSE;
      }
  }
  return TRUE;
}

static gboolean
try_tail (YoloGraph * g, YoloNode * cat)
{
  Tail tl = { {NULL}, 0 };
  YoloNode *gel1, *til1, *gat, *fl1, *div, *mod, *un1, *cast, *un2;
  YoloNode *tk2, *fl2, *gel2, *til2, *un0, *tk1, *rm, *add = NULL;
  YoloNode *rmod = NULL;
  YoloTensor *Y = YOLO_OUT (g, cat, 0), *B, *S;
  gint64 N, A, nc, k1, k2;
  int e, i2, *ins;

  if (cat->n_inputs != 3 || cat->n_outputs != 1 || Y->ndim != 3
      || Y->dims[0] < 1 || Y->dims[2] != 6 || Y->dtype != YOLO_DTYPE_FLOAT
      || yolo_axis (yolo_node_attr_int (cat, "axis", 0), 3) != 2)
    return FALSE;
  N = Y->dims[0];
  k2 = Y->dims[1];
  /* the boxes: GatherElements (B, Tile (Gather (Flatten (e), Div), [1, 1,
   * 4]), axis 1) */
  gel1 = src (g, &tl, cat->inputs[0], "GatherElements");
  if (!gel1 || gel1->n_inputs != 2
      || yolo_axis (yolo_node_attr_int (gel1, "axis", 0), 3) != 1)
    return FALSE;
  B = YOLO_IN (g, gel1, 0);
  if (!B || B->ndim != 3 || B->dims[0] != N || B->dims[2] != 4
      || B->dtype != YOLO_DTYPE_FLOAT || yolo_tensor_is_const (B))
    return FALSE;
  A = B->dims[1];
  til1 = src (g, &tl, gel1->inputs[1], "Tile");
  if (!til1 || til1->n_inputs != 2
      || !ints_are (g, til1, 1, 3, (const gint64[]) { 1, 1, 4 }))
    return FALSE;
  gat = src (g, &tl, til1->inputs[0], "Gather");
  if (!gat || gat->n_inputs != 2 || yolo_node_attr_int (gat, "axis", 0) != 0
      || !dims_are (g, gat->outputs[0], 3, (const gint64[]) { N, k2, 1 }))
    return FALSE;
  fl1 = src (g, &tl, gat->inputs[0], "Flatten");
  /* at batch N > 1 (yolo-rebatch.c): Add (Mod (Div, K1), [0, K1, ..]) */
  if (N > 1) {
    add = src (g, &tl, gat->inputs[1], "Add");
    rmod = add ? src (g, &tl, add->inputs[0], "Mod") : NULL;
    if (!rmod || add->n_inputs != 2 || rmod->n_inputs != 2
        || yolo_node_attr_int (rmod, "fmod", 0))
      return FALSE;
    div = src (g, &tl, rmod->inputs[0], "Div");
  } else {
    div = src (g, &tl, gat->inputs[1], "Div");
  }
  if (!fl1 || !div || fl1->n_inputs != 1 || div->n_inputs != 2)
    return FALSE;
  e = fl1->inputs[0];
  /* the scores: Unsqueeze (v2); the classes: Cast (Unsqueeze (Mod)) */
  un1 = unsqueeze_last (g, &tl, cat->inputs[1]);
  cast = src (g, &tl, cat->inputs[2], "Cast");
  if (!un1 || !cast || YOLO_OUT (g, cast, 0)->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  un2 = unsqueeze_last (g, &tl, cast->inputs[0]);
  mod = un2 ? src (g, &tl, un2->inputs[0], "Mod") : NULL;
  if (!mod || mod->n_inputs != 2 || yolo_node_attr_int (mod, "fmod", 0))
    return FALSE;
  /* the second TopK: values into the scores, indices into Div and Mod */
  tk2 = src (g, &tl, un1->inputs[0], "TopK");
  if (!tk2 || !topk_ok (g, tk2, k2) || tk2->outputs[0] != un1->inputs[0])
    return FALSE;
  i2 = tk2->outputs[1];
  if (YOLO_T (g, i2)->dtype != YOLO_DTYPE_INT64 || div->inputs[0] != i2
      || mod->inputs[0] != i2)
    return FALSE;
  fl2 = src (g, &tl, tk2->inputs[0], "Flatten");
  gel2 = fl2 ? src (g, &tl, fl2->inputs[0], "GatherElements") : NULL;
  if (!gel2 || gel2->n_inputs != 2
      || yolo_axis (yolo_node_attr_int (gel2, "axis", 0), 3) != 1)
    return FALSE;
  S = YOLO_IN (g, gel2, 0);
  if (!S || S->ndim != 3 || S->dims[0] != N || S->dims[1] != A
      || S->dtype != YOLO_DTYPE_FLOAT || yolo_tensor_is_const (S))
    return FALSE;
  nc = S->dims[2];
  if (!ints_are (g, div, 1, 1, (const gint64[]) { nc })
      || !ints_are (g, mod, 1, 1, (const gint64[]) { nc }))
    return FALSE;
  til2 = src (g, &tl, gel2->inputs[1], "Tile");
  if (!til2 || til2->n_inputs != 2 || til2->inputs[0] != e
      || !ints_are (g, til2, 1, 3, (const gint64[]) { 1, 1, nc }))
    return FALSE;
  /* e = Unsqueeze (TopK (ReduceMax (S, last axis), K1) indices) */
  un0 = unsqueeze_last (g, &tl, e);
  tk1 = un0 ? src (g, &tl, un0->inputs[0], "TopK") : NULL;
  if (!tk1 || tk1->outputs[1] != un0->inputs[0])
    return FALSE;
  k1 = YOLO_T (g, e)->dims[1];
  if (!topk_ok (g, tk1, k1)
      || !dims_are (g, fl1->outputs[0], 2, (const gint64[]) { N * k1, 1 })
      || !dims_are (g, fl2->outputs[0], 2, (const gint64[]) { N, k1 * nc }))
    return FALSE;
  rm = src (g, &tl, tk1->inputs[0], "ReduceMax");
  if (!rm || rm->inputs[0] != gel2->inputs[0]
      || yolo_node_attr_int (rm, "keepdims", 1) != 0
      || !dims_are (g, rm->outputs[0], 2, (const gint64[]) { N, A }))
    return FALSE;
  {
    int na = 0;
    const gint64 *ax = yolo_node_attr_ints (rm, "axes", &na);
    if (rm->n_inputs >= 2 ? !ints_are (g, rm, 1, 1, (const gint64[]) {
              -102
            }) : !ax || na != 1 || yolo_axis (ax[0], 3) != 2)
      return FALSE;
  }
  if (N > 1) {
    YoloTensor *o = YOLO_IN (g, add, 1);
    if (!ints_are (g, rmod, 1, 1, (const gint64[]) { k1 }) || !o
        || !yolo_tensor_is_const (o) || !o->data
        || o->dtype != YOLO_DTYPE_INT64 || yolo_tensor_numel (o) != N
        || o->ndim != 2 || o->dims[0] != N)
      return FALSE;
    for (gint64 b = 0; b < N; b++)
      if (((const gint64 *) o->data)[b] != b * k1)
        return FALSE;
  }
  if (tl.count != TAIL_NODES - (N > 1 ? 1 : 3) || k2 > k1 * nc || k1 > A
      || !yolo_detect_topk_size_ok (A, nc, k1, k2)
      || !closed (g, &tl, cat))
    return FALSE;

  /* rewrite the Concat in place (it follows every node of the tail) */
  ins = g_new (int, 2);
  ins[0] = gel1->inputs[0];
  ins[1] = gel2->inputs[0];
  g_free (cat->inputs);
  cat->inputs = ins;
  cat->n_inputs = 2;
  g_free (cat->op_type);
  cat->op_type = g_strdup (YOLO_DETECT_TOPK_OP);
  yolo_node_add_attr (cat, "anchors_k", YOLO_ATTR_INT)->i = k1;
  yolo_node_add_attr (cat, "max_det", YOLO_ATTR_INT)->i = k2;
  for (int i = 0; i < tl.count; i++)
    tl.n[i]->removed = TRUE;
  yolo_graph_update_uses (g);
  g_debug ("end-to-end tail fused into \"%s\": top %" G_GINT64_FORMAT
      " of %" G_GINT64_FORMAT " anchors, %" G_GINT64_FORMAT " detections, %d "
      "nodes removed", cat->name, k1, A, k2, tl.count);
  return TRUE;
}

void
yolo_graph_fuse_topk (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Concat"))
      try_tail (g, n);
  }
}
