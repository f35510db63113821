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

/* The node producing tensor ti, when ti is no constant (or NULL). */
static YoloNode *
tensor_producer (YoloGraph * g, int ti)
{
  if (ti < 0 || yolo_tensor_is_const (YOLO_T (g, ti)))
    return NULL;
  return yolo_graph_producer (g, ti);
}

/* The node producing input i of n, when that input is no constant. */
static YoloNode *
in_producer (YoloGraph * g, const YoloNode * n, int i)
{
  return i < n->n_inputs ? tensor_producer (g, n->inputs[i]) : NULL;
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
    n = in_producer (g, n, 0);
  if (!mul_by_const (g, n, m, &other))
    return FALSE;
  div = in_producer (g, n, other);
  return div && !strcmp (div->op_type, "Div") && div->n_inputs == 2
      && in_producer (g, div, 0) && scalar_const (g, div, 1, s)
      && isfinite (*s) && *s > 0;
}

/* The NMS boxes input: Unsqueeze (norm) (agnostic) or Unsqueeze (Add (norm,
 * Mul (class, M))) (class-aware). */
static gboolean
match_nms_boxes (YoloGraph * g, YoloNode * nms, YoloNmsTail * t,
    GError ** error)
{
  YoloNode *u = in_producer (g, nms, 0), *a;
  float m2;
  int other;

  if (!u || strcmp (u->op_type, "Unsqueeze"))
    return not_recognised (error, nms, "its boxes are not an Unsqueeze of "
        "the normalised candidate boxes");
  a = in_producer (g, u, 0);
  if (match_norm_boxes (g, a, &t->box_scale, &t->box_mult)) {
    t->agnostic = TRUE;
    return TRUE;
  }
  if (!a || strcmp (a->op_type, "Add") || a->n_inputs != 2)
    return not_recognised (error, nms, "its boxes are neither the "
        "normalised boxes nor those plus a class offset");
  for (int i = 0; i < 2; i++) {
    if (match_norm_boxes (g, in_producer (g, a, i), &t->box_scale, &t->box_mult)
        && mul_by_const (g, in_producer (g, a, 1 - i), &m2, &other)
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
is_op (const YoloNode * n, const char *op)
{
  return n && !strcmp (n->op_type, op);
}

/* Input i of n as a constant integer list of 1 to max values (a scalar
 * counts as one): TRUE and the values in v, *cnt. */
static gboolean
const_ints (YoloGraph * g, const YoloNode * n, int i, gint64 * v, int max,
    int *cnt)
{
  YoloTensor *t = i < n->n_inputs ? YOLO_IN (g, n, i) : NULL;
  gint64 numel;

  if (!t || !yolo_tensor_is_const (t) || !t->data
      || yolo_dtype_is_float (t->dtype)
      || !yolo_dims_numel (t->ndim, t->dims, &numel) || numel < 1
      || numel > max)
    return FALSE;
  for (gint64 k = 0; k < numel; k++)
    v[k] = ((const gint64 *) t->data)[k];
  *cnt = (int) numel;
  return TRUE;
}

/* A Slice of tensor src along its last axis (2 or -1 of the [1, N, 4+nc]
 * transposed head output), step 1: its start and end. */
static gboolean
column_slice (YoloGraph * g, const YoloNode * n, int src, gint64 * lo,
    gint64 * hi)
{
  gint64 st, en, ax, sp = 1;
  int c;

  if (!is_op (n, "Slice") || n->n_inputs < 4 || n->inputs[0] != src
      || !const_ints (g, n, 1, &st, 1, &c) || !const_ints (g, n, 2, &en, 1,
          &c) || !const_ints (g, n, 3, &ax, 1, &c) || (ax != 2 && ax != -1)
      || (n->n_inputs > 4 && n->inputs[4] >= 0
          && (!const_ints (g, n, 4, &sp, 1, &c) || sp != 1)))
    return FALSE;
  *lo = st;
  *hi = en;
  return TRUE;
}

/* The rows a Gather / GatherND of the tail picks must be the candidates
 * (the transposed NonZero of the confidence Greater) or the box index
 * column (2) of the NonMaxSuppression output, possibly reshaped and cut
 * to the first rows. */
static gboolean
index_source_ok (YoloGraph * g, int ti, const YoloNode * nms,
    const YoloNode * gt)
{
  for (int steps = 0; steps < 32; steps++) {
    YoloNode *n = tensor_producer (g, ti);
    gint64 v[4];
    int c;

    if (!n)
      return FALSE;
    if (is_op (n, "Squeeze") || is_op (n, "Unsqueeze")
        || is_op (n, "Reshape") || is_op (n, "Cast")
        || is_op (n, "Identity")) {
      ti = n->inputs[0];
    } else if (is_op (n, "Slice")) {
      /* the first rows of the kept list: start 0, step 1 */
      if (!const_ints (g, n, 1, v, 1, &c) || v[0] != 0
          || (n->n_inputs > 4 && n->inputs[4] >= 0
              && (!const_ints (g, n, 4, v, 1, &c) || v[0] != 1)))
        return FALSE;
      ti = n->inputs[0];
    } else if (is_op (n, "Gather")) {
      return in_producer (g, n, 0) == nms && const_ints (g, n, 1, v, 1, &c)
          && (v[0] == 2 || v[0] == -1)
          && yolo_node_attr_int (n, "axis", 0) == 1;
    } else if (is_op (n, "Transpose")) {
      YoloNode *nz = in_producer (g, n, 0);
      return is_op (nz, "NonZero") && in_producer (g, nz, 0) == gt;
    } else {
      return FALSE;
    }
  }
  return FALSE;
}

/* Follows tensor ti up the tail's data path (the data input of Gather,
 * GatherND, Reshape, Unsqueeze, Squeeze, Identity, Expand, Pad, a Cast to
 * float, a row Slice; the updates of ScatterND), checking the rows every
 * Gather picks: the node where the path starts (a column Slice of the
 * head output, ReduceMax, ArgMax, the output Concat, ...), or NULL. */
static YoloNode *
data_source (YoloGraph * g, int ti, int head, const YoloNode * nms,
    const YoloNode * gt)
{
  for (int steps = 0; steps < 64; steps++) {
    YoloNode *n = tensor_producer (g, ti);

    if (!n)
      return NULL;
    if ((is_op (n, "Gather") || is_op (n, "GatherND")) && n->n_inputs == 2
        && !yolo_tensor_is_const (YOLO_IN (g, n, 1))
        && !index_source_ok (g, n->inputs[1], nms, gt))
      return NULL;
    if (is_op (n, "Cast") && yolo_node_attr_int (n, "to", 0) !=
        YOLO_DTYPE_FLOAT)
      return NULL;
    if (is_op (n, "Slice") && n->inputs[0] == head)
      return n;
    if (is_op (n, "Gather") || is_op (n, "GatherND") || is_op (n, "Reshape")
        || is_op (n, "Unsqueeze") || is_op (n, "Squeeze")
        || is_op (n, "Identity") || is_op (n, "Expand") || is_op (n, "Pad")
        || is_op (n, "Cast") || is_op (n, "Slice"))
      ti = n->inputs[0];
    else if (is_op (n, "ScatterND") && n->n_inputs == 3)
      ti = n->inputs[2];
    else
      return n;
  }
  return NULL;
}

/* What the engine computes in place of the tail, checked on the graph:
 * boxes are columns [0, 4) and scores [4, 4+nc) of the transposed head
 * output; one ReduceMax and one ArgMax over the last axis of the scores
 * give score and class; the confidence Greater reads the score, the NMS
 * the boxes and scores; the output rows are the Concat of box, score and
 * class (in that order) of the kept anchors in NMS order. A graph that
 * computes something else from the same operators (columns swapped,
 * other rows, another axis) is refused: the engine would silently
 * compute the standard tail instead. */
static gboolean
check_dataflow (YoloGraph * g, int start, YoloNode * nms, YoloNode * gt,
    YoloNmsTail * t, GError ** error)
{
  int head = YOLO_N (g, start)->outputs[0];
  YoloNode *rm = NULL, *am = NULL, *sl, *cat, *src[3];
  gint64 lo, hi, v[4];
  int c;

  for (guint i = start; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    if (is_op (n, "ReduceMax"))
      rm = n;
    else if (is_op (n, "ArgMax"))
      am = n;
  }
  if (!rm || !am || rm->inputs[0] != am->inputs[0]
      || !column_slice (g, (sl = in_producer (g, rm, 0)), head, &lo, &hi)
      || lo != 4 || hi < 5)
    return not_recognised (error, rm ? rm : nms, "the best class is not "
        "taken over columns 4.. (the class scores) of the head output");
  t->score_end = hi;
  if (yolo_node_attr_int (rm, "keepdims", 1) != 0
      || yolo_node_attr_int (am, "keepdims", 1) != 0
      || yolo_node_attr_int (am, "select_last_index", 0) != 0
      || (yolo_node_attr_int (am, "axis", 0) != -1
          && yolo_node_attr_int (am, "axis", 0) != 2))
    return not_recognised (error, am, "the best class is not the first "
        "maximum over the last axis");
  {
    int na = 0;
    const gint64 *ax = yolo_node_attr_ints (rm, "axes", &na);
    if (rm->n_inputs > 1 && rm->inputs[1] >= 0) {
      if (!const_ints (g, rm, 1, v, 1, &c))
        na = 0;
      else
        ax = v, na = 1;
    }
    if (na != 1 || (ax[0] != -1 && ax[0] != 2))
      return not_recognised (error, rm, "the best score is not the maximum "
          "over the last axis");
  }
  if (data_source (g, gt->inputs[0], head, nms, gt) != rm
      || data_source (g, nms->inputs[1], head, nms, gt) != rm)
    return not_recognised (error, gt, "the confidence threshold or the NMS "
        "does not read the best score");
  cat = data_source (g, t->out, head, nms, gt);
  if (!is_op (cat, "Concat") || cat->n_inputs != 3
      || (yolo_node_attr_int (cat, "axis", 0) != -1
          && yolo_node_attr_int (cat, "axis", 0) != 1))
    return not_recognised (error, cat ? cat : nms, "the output rows are not "
        "one Concat of box, score and class of the kept anchors");
  for (int i = 0; i < 3; i++)
    src[i] = data_source (g, cat->inputs[i], head, nms, gt);
  if (!column_slice (g, src[0], head, &lo, &hi) || lo != 0 || hi != 4
      || src[1] != rm || src[2] != am)
    return not_recognised (error, cat, "the output columns are not x1, y1, "
        "x2, y2, score, class of the kept anchors in NMS order");
  return TRUE;
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
  if (!gt || !in_producer (g, gt, 0) || !scalar_const (g, gt, 1, &t->conf)) {
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
  if (!(t->iou >= 0.0f && t->iou <= 1.0f)) {
    yolo_nms_tail_free (t);
    return not_recognised (error, nms, "iou_threshold is not in [0, 1] "
        "(onnxruntime refuses it too)");
  }
  t->out = g_array_index (g->outputs, int, 0);
  if (!match_nms_boxes (g, nms, t, error)
      || !check_dataflow (g, start, nms, gt, t, error)) {
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
  if (g->nms_tail->score_end < p->dims[1]) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "Transpose node \"%s\": the NMS tail takes the best class of "
        "columns 4..%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT ", not of all "
        "class scores; %s", g->nms_tail->start, g->nms_tail->score_end,
        p->dims[1], NMS_FIX);
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
