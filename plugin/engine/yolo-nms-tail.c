/* yolo-nms-tail.c - the NMS tail of nms=True exports replaced by host NMS
 * (see yolo-nms-tail.h for what is recognised and how it matches). */
#include "yolo-nms-tail.h"
#include "yolo-engine.h"

#include <math.h>
#include <string.h>

/* The ops an Ultralytics nms=True tail is made of (8.x exporters, opset
 * 11..20, with and without onnxslim). */
static const char *const tail_ops[] = {
  "Transpose", "Slice", "Split", "ReduceMax", "ArgMax", "Gather", "Greater",
  "NonZero", "GatherND", "Div", "Mul", "Add", "Sub", "Shape", "Unsqueeze",
  "Squeeze", "Reshape", "Concat", "Where", "Expand", "Cast", "Equal",
  "ConstantOfShape", "NonMaxSuppression", "Pad", "ScatterND", "Identity",
};

static gboolean
is_tail_op (const char *op)
{
  for (guint i = 0; i < G_N_ELEMENTS (tail_ops); i++)
    if (!strcmp (op, tail_ops[i]))
      return TRUE;
  return FALSE;
}

static const char NMS_FIX[] = "the model was exported with nms=True and its "
    "NMS tail is not the one the engine replaces: export it with nms=False "
    "(the detector does the NMS itself)";

static gboolean
not_recognised (GError ** error, const YoloNode * n, const char *why)
{
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
      "%s node \"%s\": %s; %s", n->op_type, n->name, why, NMS_FIX);
  return FALSE;
}

/* A constant with exactly one element, as float. */
static gboolean
scalar_const (YoloGraph * g, const YoloNode * n, int i, float *v)
{
  YoloTensor *t = YOLO_IN (g, n, i);
  gint64 numel;

  if (!t || !yolo_tensor_is_const (t) || !t->data
      || !yolo_dims_numel (t->ndim, t->dims, &numel) || numel != 1)
    return FALSE;
  *v = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[0] :
      (float) ((gint64 *) t->data)[0];
  return TRUE;
}

static YoloNode *
producer (YoloGraph * g, const YoloNode * n, int i)
{
  YoloTensor *t = YOLO_IN (g, n, i);

  if (!t || t->producer < 0 || yolo_tensor_is_const (t))
    return NULL;
  return YOLO_N (g, t->producer);
}

/* Mul with one scalar constant input: its value and the other input. */
static gboolean
mul_by_const (YoloGraph * g, YoloNode * n, float *m, int *other)
{
  if (!n || strcmp (n->op_type, "Mul") || n->n_inputs != 2)
    return FALSE;
  for (int i = 0; i < 2; i++)
    if (scalar_const (g, n, i, m) && !yolo_tensor_is_const (YOLO_IN (g, n,
                1 - i))) {
      *other = 1 - i;
      return TRUE;
    }
  return FALSE;
}

/* Mul (Div (x, S), M), possibly under a Slice: the normalised boxes. */
static gboolean
match_norm_boxes (YoloGraph * g, YoloNode * n, float *s, float *m)
{
  YoloNode *div;
  int other;

  if (n && !strcmp (n->op_type, "Slice"))
    n = producer (g, n, 0);
  if (!mul_by_const (g, n, m, &other))
    return FALSE;
  div = producer (g, n, other);
  return div && !strcmp (div->op_type, "Div") && div->n_inputs == 2
      && producer (g, div, 0) && scalar_const (g, div, 1, s)
      && isfinite (*s) && *s > 0;
}

/* The NMS boxes input: Unsqueeze (norm) (agnostic) or Unsqueeze (Add (norm,
 * Mul (class, M))) (class-aware). */
static gboolean
match_nms_boxes (YoloGraph * g, YoloNode * nms, YoloNmsTail * t,
    GError ** error)
{
  YoloNode *u = producer (g, nms, 0), *a;
  float m2;
  int other;

  if (!u || strcmp (u->op_type, "Unsqueeze"))
    return not_recognised (error, nms, "its boxes are not an Unsqueeze of "
        "the normalised candidate boxes");
  a = producer (g, u, 0);
  if (match_norm_boxes (g, a, &t->box_scale, &t->box_mult)) {
    t->agnostic = TRUE;
    return TRUE;
  }
  if (!a || strcmp (a->op_type, "Add") || a->n_inputs != 2)
    return not_recognised (error, nms, "its boxes are neither the "
        "normalised boxes nor those plus a class offset");
  for (int i = 0; i < 2; i++) {
    if (match_norm_boxes (g, producer (g, a, i), &t->box_scale, &t->box_mult)
        && mul_by_const (g, producer (g, a, 1 - i), &m2, &other)
        && m2 == t->box_mult) {
      t->agnostic = FALSE;
      return TRUE;
    }
  }
  return not_recognised (error, a, "not the class offset added to the "
      "normalised boxes (box / S * M + class * M)");
}

/* Nodes downstream of node `start` (sorted graph): TRUE in `in`. */
static void
downstream (YoloGraph * g, guint start, gboolean * in)
{
  memset (in, 0, g->nodes->len * sizeof (gboolean));
  in[start] = TRUE;
  for (guint i = start + 1; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    for (int j = 0; j < n->n_inputs && !in[i]; j++) {
      YoloTensor *x = YOLO_IN (g, n, j);
      if (x && x->producer >= 0 && in[x->producer])
        in[i] = TRUE;
    }
  }
}

/* The tail starts at a Transpose perm [0, 2, 1] of a run-time tensor used
 * by nothing else, and every node downstream of it reads only constants
 * and tensors of the tail; the graph's single output comes out of it. */
static gboolean
tail_closed (YoloGraph * g, guint start, const gboolean * in, int nms)
{
  YoloNode *tr = YOLO_N (g, start);
  YoloTensor *p = YOLO_IN (g, tr, 0);
  YoloTensor *out = YOLO_T (g, g_array_index (g->outputs, int, 0));
  const gint64 *perm;
  int np;

  perm = yolo_node_attr_ints (tr, "perm", &np);
  if (!perm || np != 3 || perm[0] != 0 || perm[1] != 2 || perm[2] != 1
      || !p || yolo_tensor_is_const (p) || p->is_input || p->n_uses != 1
      || p->is_output || !in[nms] || out->producer < 0 || !in[out->producer])
    return FALSE;
  for (guint i = start + 1; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || !in[i])
      continue;
    for (int j = 0; j < n->n_inputs; j++) {
      YoloTensor *x = YOLO_IN (g, n, j);
      if (x && !yolo_tensor_is_const (x) && (x->producer < 0
              || !in[x->producer]))
        return FALSE;
    }
  }
  return TRUE;
}

/* The single node of op type `op` in the tail, else NULL (none or more). */
static YoloNode *
only_one (YoloGraph * g, const gboolean * in, const char *op)
{
  YoloNode *found = NULL;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || !in[i] || strcmp (n->op_type, op))
      continue;
    if (found)
      return NULL;
    found = n;
  }
  return found;
}

static gboolean
cut (YoloGraph * g, int nms_i, gboolean * in, GError ** error)
{
  YoloNode *nms = YOLO_N (g, nms_i), *gt;
  YoloTensor *out;
  YoloNmsTail *t;
  gint64 start = -1;
  float v;

  if (g->outputs->len != 1)
    return not_recognised (error, nms, "the graph has more than one output");
  for (guint i = 0; i < (guint) nms_i; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || strcmp (n->op_type, "Transpose"))
      continue;
    downstream (g, i, in);
    if (tail_closed (g, i, in, nms_i)) {
      start = i;
      break;
    }
  }
  if (start < 0)
    return not_recognised (error, nms, "no Transpose (perm [0, 2, 1]) of "
        "the head output starts a tail that reads nothing else");
  for (guint i = start; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && in[i] && !is_tail_op (n->op_type))
      return not_recognised (error, n, "this operator is not part of the "
          "NMS tail the engine replaces");
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !in[i] && !strcmp (n->op_type, "NonMaxSuppression"))
      return not_recognised (error, n, "a second NMS outside the tail");
  }
  out = YOLO_T (g, g_array_index (g->outputs, int, 0));
  if (out->ndim != 3 || out->dims[0] != 1 || out->dims[2] != 6
      || out->dims[1] < 1 || out->dims[1] > 100000)
    return not_recognised (error, YOLO_N (g, out->producer), "the graph "
        "output is not declared as [1, max_det, 6]");
  if (!only_one (g, in, "ReduceMax") || !only_one (g, in, "ArgMax"))
    return not_recognised (error, nms, "the tail does not take the best "
        "class with one ReduceMax and one ArgMax");

  t = g_new0 (YoloNmsTail, 1);
  gt = only_one (g, in, "Greater");
  if (!gt || !producer (g, gt, 0) || !scalar_const (g, gt, 1, &t->conf)) {
    yolo_nms_tail_free (t);
    return not_recognised (error, gt ? gt : nms, "no single Greater of the "
        "scores against a constant confidence threshold");
  }
  if (yolo_node_attr_int (nms, "center_point_box", 0) != 0) {
    yolo_nms_tail_free (t);
    return not_recognised (error, nms, "center_point_box is not 0");
  }
  t->max_per_class = 0;         /* ONNX default: none kept */
  if (YOLO_IN (g, nms, 2)) {
    if (!scalar_const (g, nms, 2, &v)) {
      yolo_nms_tail_free (t);
      return not_recognised (error, nms, "max_output_boxes_per_class is "
          "not a constant");
    }
    {
      YoloTensor *mt = YOLO_IN (g, nms, 2);
      /* a float constant from the file: NaN, negative or beyond gint64
       * (an undefined cast) */
      if (yolo_dtype_is_float (mt->dtype))
        t->max_per_class = !(v > 0.0f) ? 0 : v >= 0x1p62f ?
            G_GINT64_CONSTANT (1) << 62 : (gint64) v;
      else
        t->max_per_class = ((gint64 *) mt->data)[0];
    }
  }
  t->iou = 0.0f;
  if (YOLO_IN (g, nms, 3) && !scalar_const (g, nms, 3, &t->iou)) {
    yolo_nms_tail_free (t);
    return not_recognised (error, nms, "iou_threshold is not a constant");
  }
  if (YOLO_IN (g, nms, 4)) {
    if (!scalar_const (g, nms, 4, &t->score_threshold)) {
      yolo_nms_tail_free (t);
      return not_recognised (error, nms, "score_threshold is not a "
          "constant");
    }
    t->has_score_threshold = TRUE;
  }
  if (!match_nms_boxes (g, nms, t, error)) {
    yolo_nms_tail_free (t);
    return FALSE;
  }

  t->start = g_strdup (YOLO_N (g, start)->name);
  t->pre = YOLO_N (g, start)->inputs[0];
  t->out = g_array_index (g->outputs, int, 0);
  t->max_det = (int) out->dims[1];
  for (guint i = start; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && in[i]) {
      n->removed = TRUE;
      t->n_nodes++;
    }
  }
  /* read after the run: kept alive like an output (yolo-plan.c) */
  YOLO_T (g, t->pre)->is_output = TRUE;
  out->dtype = YOLO_DTYPE_FLOAT;
  g->nms_tail = t;
  yolo_graph_update_uses (g);
  return TRUE;
}

gboolean
yolo_nms_tail_cut (YoloGraph * g, GError ** error)
{
  int nms = -1;
  gboolean *in, ok;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "NonMaxSuppression")) {
      nms = (int) i;
      break;
    }
  }
  if (nms < 0)
    return TRUE;
  yolo_graph_update_uses (g);
  in = g_new0 (gboolean, g->nodes->len);
  ok = cut (g, nms, in, error);
  g_free (in);
  return ok;
}

gboolean
yolo_nms_tail_check (YoloGraph * g, GError ** error)
{
  YoloTensor *p;

  if (!g->nms_tail)
    return TRUE;
  p = YOLO_T (g, g->nms_tail->pre);
  if (p->ndim != 3 || p->dims[0] != 1 || p->dims[1] < 5
      || p->dims[2] < 1 || p->dims[1] > G_MAXINT32 || p->dims[2] > G_MAXINT32
      || p->dtype != YOLO_DTYPE_FLOAT) {
    char buf[128];
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "Transpose node \"%s\": the NMS tail's input \"%s\" is %s, not "
        "float [1, 4+nc, N]; %s", g->nms_tail->start, p->name,
        yolo_shape_str (p, buf, sizeof buf), NMS_FIX);
    return FALSE;
  }
  return TRUE;
}

typedef struct
{
  int index;
  int cls;
  float score;
} Cand;

static gint
cand_cmp (gconstpointer pa, gconstpointer pb)
{
  const Cand *a = pa, *b = pb;

  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return a->index < b->index ? -1 : a->index > b->index;
}

/* onnxruntime's SuppressByIOU (center_point_box 0), in float. */
static gboolean
suppress (const float *b1, const float *b2, float iou_threshold)
{
  float x1_min = MIN (b1[1], b1[3]), x1_max = MAX (b1[1], b1[3]);
  float x2_min = MIN (b2[1], b2[3]), x2_max = MAX (b2[1], b2[3]);
  float y1_min = MIN (b1[0], b1[2]), y1_max = MAX (b1[0], b1[2]);
  float y2_min = MIN (b2[0], b2[2]), y2_max = MAX (b2[0], b2[2]);
  float ix_min = MAX (x1_min, x2_min), ix_max = MIN (x1_max, x2_max);
  float iy_min = MAX (y1_min, y2_min), iy_max = MIN (y1_max, y2_max);
  float inter, area1, area2, uni;

  if (ix_max <= ix_min || iy_max <= iy_min)
    return FALSE;
  inter = (ix_max - ix_min) * (iy_max - iy_min);
  if (inter <= 0.0f)
    return FALSE;
  area1 = (x1_max - x1_min) * (y1_max - y1_min);
  area2 = (x2_max - x2_min) * (y2_max - y2_min);
  uni = area1 + area2 - inter;
  if (area1 <= 0.0f || area2 <= 0.0f || uni <= 0.0f)
    return FALSE;
  return inter / uni > iou_threshold;
}

void
yolo_nms_tail_run (const YoloNmsTail * t, const float *pre, int nc, int n,
    float *out)
{
  GArray *cands = g_array_new (FALSE, FALSE, sizeof (Cand));
  float *nb;
  int *kept, n_kept = 0;

  memset (out, 0, (gsize) t->max_det * 6 * sizeof (float));
  for (int i = 0; i < n; i++) {
    Cand c = { i, 0, pre[(gsize) 4 * n + i] };
    for (int k = 1; k < nc; k++) {
      float v = pre[(gsize) (4 + k) * n + i];
      if (v > c.score || (isnan (c.score) && !isnan (v))) {
        c.score = v;
        c.cls = k;
      }
    }
    if (c.score > t->conf && (!t->has_score_threshold
            || c.score > t->score_threshold))
      g_array_append_val (cands, c);
  }
  g_array_sort (cands, cand_cmp);

  nb = g_new (float, (gsize) MAX (cands->len, 1) * 4);
  kept = g_new (int, MAX (cands->len, 1));
  for (guint j = 0; j < cands->len; j++) {
    const Cand *c = &g_array_index (cands, Cand, j);
    float off = t->agnostic ? 0.0f : (float) c->cls * t->box_mult;
    gboolean sel = TRUE;

    for (int k = 0; k < 4; k++) {
      float v = pre[(gsize) k * n + c->index] / t->box_scale * t->box_mult;
      nb[(gsize) j * 4 + k] = t->agnostic ? v : v + off;
    }
    /* kept boxes never change: the first max_det are the output, the
     * rest would only cost n_kept comparisons per candidate */
    if (n_kept >= t->max_per_class || n_kept >= t->max_det)
      break;
    for (int s = 0; s < n_kept && sel; s++)
      if (suppress (nb + (gsize) kept[s] * 4, nb + (gsize) j * 4, t->iou))
        sel = FALSE;
    if (sel)
      kept[n_kept++] = (int) j;
  }
  for (int s = 0; s < n_kept && s < t->max_det; s++) {
    const Cand *c = &g_array_index (cands, Cand, kept[s]);
    float *r = out + (gsize) s * 6;
    for (int k = 0; k < 4; k++)
      r[k] = pre[(gsize) k * n + c->index];
    r[4] = c->score;
    r[5] = (float) c->cls;
  }
  g_free (kept);
  g_free (nb);
  g_array_unref (cands);
}

char *
yolo_nms_tail_describe (const YoloNmsTail * t)
{
  return g_strdup_printf ("the graph's NMS tail (%d nodes from \"%s\") runs "
      "as the engine's NMS: score > %g%s, %s NMS IoU > %g, max_det %d",
      t->n_nodes, t->start, t->conf, t->has_score_threshold ? " (and the "
      "NMS score_threshold)" : "", t->agnostic ? "class-agnostic" :
      "class-aware", t->iou, t->max_det);
}

void
yolo_nms_tail_free (YoloNmsTail * t)
{
  if (!t)
    return;
  g_free (t->start);
  g_free (t);
}
