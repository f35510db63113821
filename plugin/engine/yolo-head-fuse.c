/* yolo-head-fuse.c - the head pass: replaces the tail of an Ultralytics
 * Detect head (YOLOv8, YOLO11, YOLOv10, YOLO26 exports), from the last
 * convs of each level to the [N, 4+nc, A] tensor, by one DetectDecode node
 * (ops/detect.h), at any batch N (the engine's batch option, yolo-rebatch.c,
 * runs before this pass; the anchors and strides stay [.., 2, A], [.., A]
 * constants shared by the images):
 *
 *   box_l [N, 4R, n_l] --Concat(axis 2)--> [N, 4R, A]
 *     R > 1: --Reshape--> [N, 4, R, A] --Transpose/Softmax over R
 *            (any order of Transposes, e.g. v8's perm 0,2,1,3 + Softmax
 *            axis 1, or YOLO11's 0,3,1,2 + axis 3 + 0,3,2,1)-->
 *            [N, R, 4, A] --Conv 1x1 (R -> 1, no bias)--> [N, 1, 4, A]
 *            --Reshape--> dist [N, 4, A]
 *     R = 1: the concat is dist (YOLO26)
 *   lt = Slice (dist, 0:2, axis 1), rb = Slice (dist, 2:4, axis 1)
 *   x1y1 = Sub (anchors, lt), x2y2 = Add (anchors, rb)
 *   xywh:  Concat (Div (Add (x1y1, x2y2), 2), Sub (x2y2, x1y1))
 *   or     Concat (x1y1, x2y2)                        (corners)
 *   boxes = Mul (that, strides)
 *   cls_l [N, nc, n_l] --Concat(axis 2)--> Sigmoid --> scores
 *   Concat (boxes, scores, axis 1) --> [N, 4+nc, A]
 *
 * The node reads each level's conv outputs where they are, so the anchor-
 * axis Concats cost nothing, and writes the final tensor in one launch.
 * When that tensor's only reader is Transpose (0, 2, 1) and the
 * transpose's only reader Split (last axis, 4 and nc) (YOLO26's
 * one-to-one tail), the node writes the Split's two outputs instead.
 * Every intermediate must feed only the next node of the pattern (and be
 * no graph output), every constant must have the exact shape and value
 * the pattern needs; anything else is left as it is. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/detect.h"

#include <string.h>

#define HEAD_CHAIN_MAX 6

/* A float constant whose dims are 1 but for the last ones, equal to
 * tail[0..nt). */
static gboolean
const_tail (const YoloTensor * t, int nt, const gint64 * tail)
{
  if (!t || !yolo_tensor_is_const (t) || t->dtype != YOLO_DTYPE_FLOAT
      || !t->data || t->ndim < nt)
    return FALSE;
  for (int i = 0; i < t->ndim; i++)
    if (t->dims[i] != (i < t->ndim - nt ? 1 : tail[i - (t->ndim - nt)]))
      return FALSE;
  return TRUE;
}

static int
concat_axis (const YoloNode * n, int ndim)
{
  return yolo_axis (yolo_node_attr_int (n, "axis", 0), ndim);
}

/* Slice (x, [s, e) on axis 1, step 1) of a [N, 4, A] tensor, e clamped. */
static gboolean
slice_is (YoloGraph * g, const YoloNode * n, int x, gint64 s, gint64 e)
{
  YoloTensor *ts, *te, *ta, *tp;
  gint64 ax, st, en;

  if (n->n_inputs < 3 || n->n_inputs > 5 || n->inputs[0] != x)
    return FALSE;
  ts = YOLO_IN (g, n, 1);
  te = YOLO_IN (g, n, 2);
  ta = YOLO_IN (g, n, 3);
  tp = YOLO_IN (g, n, 4);
  if (!ts || !te || !ta || !yolo_tensor_is_const (ts)
      || !yolo_tensor_is_const (te) || !yolo_tensor_is_const (ta)
      || yolo_dtype_is_float (ts->dtype) || yolo_dtype_is_float (te->dtype)
      || yolo_dtype_is_float (ta->dtype) || yolo_tensor_numel (ts) != 1
      || yolo_tensor_numel (te) != 1 || yolo_tensor_numel (ta) != 1
      || !ts->data || !te->data || !ta->data)
    return FALSE;
  if (tp && (!yolo_tensor_is_const (tp) || yolo_dtype_is_float (tp->dtype)
          || yolo_tensor_numel (tp) != 1 || !tp->data
          || yolo_const_int (tp, 0) != 1))
    return FALSE;
  ax = yolo_const_int (ta, 0);
  st = yolo_const_int (ts, 0);
  en = yolo_const_int (te, 0);
  if (ax != 1 && ax != -2)
    return FALSE;
  if (st < 0)
    st += 4;
  if (en < 0)
    en += 4;
  return st == s && (en == e || (e == 4 && en > 4));
}

/* Concat (axis 2) of L tensors [N, rows, n_l]; fills n[] (or checks it
 * when check). Returns L, or 0. */
static int
level_concat (YoloGraph * g, const YoloNode * c, gint64 N, gint64 rows,
    gint64 * n, gboolean check)
{
  YoloTensor *y = YOLO_OUT (g, c, 0);
  gint64 A = 0;

  if (y->ndim != 3 || concat_axis (c, 3) != 2 || c->n_inputs < 1
      || c->n_inputs > YOLO_DETECT_MAX_LEVELS)
    return 0;
  for (int l = 0; l < c->n_inputs; l++) {
    YoloTensor *t = YOLO_IN (g, c, l);
    if (!t || yolo_tensor_is_const (t) || t->dtype != YOLO_DTYPE_FLOAT
        || t->ndim != 3 || t->dims[0] != N || t->dims[1] != rows
        || t->dims[2] < 1 || (check && t->dims[2] != n[l]))
      return 0;
    n[l] = t->dims[2];
    A += n[l];
  }
  return A == y->dims[2] ? c->n_inputs : 0;
}

/* The 1x1 DFL conv [N, R, 4, A] -> [N, 1, 4, A]: weight [1, R, 1, 1], no
 * bias, group 1, no pads, strides and dilations 1. */
static gboolean
dfl_conv (YoloGraph * g, const YoloNode * cv, gint64 N, gint64 R, gint64 A)
{
  YoloTensor *w = YOLO_IN (g, cv, 1);
  const char *names[] = { "pads", "strides", "dilations" };
  const char *ap = yolo_node_attr_string (cv, "auto_pad", "NOTSET");

  if (cv->n_inputs < 2 || (cv->n_inputs > 2 && cv->inputs[2] >= 0)
      || !const_tail (w, 4, (const gint64[]) { 1, R, 1, 1 })
      || w->ndim != 4 || yolo_node_attr_int (cv, "group", 1) != 1
      || (strcmp (ap, "NOTSET") && strcmp (ap, "VALID"))
      || !yolo_tensor_dims_are (YOLO_IN (g, cv, 0), 4, (const gint64[]) { N, R,
            4, A
          })
      || !yolo_tensor_dims_are (YOLO_OUT (g, cv, 0), 4, (const gint64[]) { N, 1,
            4, A
          }))
    return FALSE;
  for (int k = 0; k < 3; k++) {
    int cnt = 0;
    const gint64 *v = yolo_node_attr_ints (cv, names[k], &cnt);
    for (int i = 0; v && i < cnt; i++)
      if (v[i] != (k == 0 ? 0 : 1))
        return FALSE;
  }
  return TRUE;
}

enum
{ LBL_B, LBL_K, LBL_R, LBL_A };

/* dist [N, 4, A] back through the DFL to the box tensor [N, 4R, A]; fills
 * the nodes to remove and returns the box tensor, or -1. */
static int
dfl_chain (YoloGraph * g, int dist, gint64 N, gint64 A, gint64 * R_out, int *w,
    YoloNode ** rm, int *n_rm)
{
  YoloNode *r1, *cv, *r0, *chain[HEAD_CHAIN_MAX];
  int nc = 0, t, lbl[4] = { LBL_B, LBL_K, LBL_R, LBL_A }, n_soft = 0;
  YoloTensor *x;
  gint64 R;

  r1 = yolo_graph_plain_producer (g, dist, "Reshape", 2);
  if (!r1)
    return -1;
  cv = yolo_graph_plain_producer (g, r1->inputs[0], "Conv", 1);
  if (!cv)
    return -1;
  x = YOLO_IN (g, cv, 0);
  if (!x || x->ndim != 4)
    return -1;
  R = x->dims[1];
  if (R < 2 || R > 4096 || !dfl_conv (g, cv, N, R, A))
    return -1;
  /* back through Transposes and one Softmax to a Reshape */
  t = cv->inputs[0];
  for (;;) {
    YoloNode *p = yolo_graph_producer (g, t);
    if (!p)
      return -1;
    if (!strcmp (p->op_type, "Reshape"))
      break;
    if (nc == HEAD_CHAIN_MAX
        || (!yolo_graph_plain_producer (g, t, "Transpose", 1)
            && !yolo_graph_plain_producer (g, t, "Softmax", 1)))
      return -1;
    chain[nc++] = p;
    t = p->inputs[0];
  }
  r0 = yolo_graph_plain_producer (g, t, "Reshape", 1);
  if (!r0
      || !yolo_tensor_dims_are (YOLO_T (g, t), 4, (const gint64[]) { N, 4, R,
            A
          }))
    return -1;
  /* the labels of each dim, forward from [N, 4, R, A] */
  for (int i = nc - 1; i >= 0; i--) {
    YoloNode *p = chain[i];
    YoloTensor *in = YOLO_IN (g, p, 0);
    if (!in || in->ndim != 4)
      return -1;
    if (!strcmp (p->op_type, "Transpose")) {
      int cnt = 0, nl[4];
      const gint64 *perm = yolo_node_attr_ints (p, "perm", &cnt);
      if (!perm || cnt != 4)
        return -1;
      for (int k = 0; k < 4; k++) {
        if (perm[k] < 0 || perm[k] > 3)
          return -1;
        nl[k] = lbl[perm[k]];
      }
      memcpy (lbl, nl, sizeof lbl);
    } else {
      int ax = yolo_axis (yolo_node_attr_int (p, "axis",
              g->opset >= 13 ? -1 : 1), 4);
      if (ax < 0 || lbl[ax] != LBL_R)
        return -1;
      /* before opset 13 Softmax is over all dims from axis on */
      for (int k = ax + 1; k < 4 && g->opset < 13; k++)
        if (in->dims[k] != 1)
          return -1;
      n_soft++;
    }
  }
  if (n_soft != 1 || lbl[0] != LBL_B || lbl[1] != LBL_R || lbl[2] != LBL_K
      || lbl[3] != LBL_A)
    return -1;
  if (!yolo_tensor_dims_are (YOLO_T (g, r0->inputs[0]), 3,
          (const gint64[]) { N, 4 * R, A }))
    return -1;
  rm[(*n_rm)++] = r1;
  rm[(*n_rm)++] = cv;
  for (int i = 0; i < nc; i++)
    rm[(*n_rm)++] = chain[i];
  rm[(*n_rm)++] = r0;
  *R_out = R;
  *w = cv->inputs[1];
  return r0->inputs[0];
}

/* The level tensors of box [N, 4R, A] (read by box_uses node inputs) and
 * cls [N, nc, A]: the inputs of their anchor-axis Concats, or (older
 * exports) of the per-level channel Concats (box_l, cls_l) whose
 * Reshapes are concatenated on the anchor axis and Split into box and
 * cls. Fills bl, cl, n and the nodes to remove; returns L, or 0. */
static int
find_levels (YoloGraph * g, int box, int box_uses, int cls, gint64 N,
    gint64 R, gint64 nc, int *bl, int *cl, gint64 * n, YoloNode ** rm,
    int *n_rm)
{
  YoloNode *bc = yolo_graph_plain_producer (g, box, "Concat", box_uses);
  YoloNode *cc = yolo_graph_plain_producer (g, cls, "Concat", 1), *sp, *ac;
  YoloTensor *tb = YOLO_T (g, box), *tc = YOLO_T (g, cls);
  int L;

  if (bc && cc) {
    L = level_concat (g, cc, N, nc, n, FALSE);
    if (!L || level_concat (g, bc, N, 4 * R, n, TRUE) != L)
      return 0;
    for (int l = 0; l < L; l++) {
      bl[l] = bc->inputs[l];
      cl[l] = cc->inputs[l];
    }
    rm[(*n_rm)++] = bc;
    rm[(*n_rm)++] = cc;
    return L;
  }
  sp = yolo_graph_producer (g, box);
  if (!sp || sp != yolo_graph_producer (g, cls)
      || strcmp (sp->op_type, "Split")
      || sp->n_outputs != 2 || sp->outputs[0] != box || sp->outputs[1] != cls
      || tb->is_output || tc->is_output || tb->n_uses != box_uses
      || tc->n_uses != 1 || tb->ndim != 3
      || yolo_axis (yolo_node_attr_int (sp, "axis", 0), 3) != 1)
    return 0;
  ac = yolo_graph_plain_producer (g, sp->inputs[0], "Concat", 1);
  if (!ac || !(L = level_concat (g, ac, N, 4 * R + nc, n, FALSE)))
    return 0;
  for (int l = 0; l < L; l++) {
    YoloNode *rs = yolo_graph_plain_producer (g, ac->inputs[l], "Reshape", 1);
    YoloNode *lc =
        rs ? yolo_graph_plain_producer (g, rs->inputs[0], "Concat", 1) : NULL;
    YoloTensor *b, *c;
    if (!lc || lc->n_inputs != 2 || YOLO_OUT (g, lc, 0)->ndim != 4
        || concat_axis (lc, 4) != 1)
      return 0;
    b = YOLO_IN (g, lc, 0);
    c = YOLO_IN (g, lc, 1);
    if (!b || !c || yolo_tensor_is_const (b) || yolo_tensor_is_const (c)
        || b->dtype != YOLO_DTYPE_FLOAT || c->dtype != YOLO_DTYPE_FLOAT
        || !yolo_tensor_dims_are (b, 4, (const gint64[]) { N, 4 * R, b->dims[2],
              b->dims[3]
            }) || !yolo_tensor_dims_are (c, 4, (const gint64[]) { N, nc,
              b->dims[2], b->dims[3]
            }) || b->dims[2] * b->dims[3] != n[l])
      return 0;
    bl[l] = lc->inputs[0];
    cl[l] = lc->inputs[1];
    rm[(*n_rm)++] = rs;
    rm[(*n_rm)++] = lc;
  }
  rm[(*n_rm)++] = sp;
  rm[(*n_rm)++] = ac;
  return L;
}

/* A plain node (no fused epilogue) of type op_type with one input and
 * n_out outputs that is the sole reader of tensor t, else NULL. */
static YoloNode *
plain_reader (YoloGraph * g, int t, const char *op_type, int n_out)
{
  int slot;
  YoloNode *r = yolo_graph_sole_reader (g, t, &slot, NULL);

  if (!r || slot != 0 || strcmp (r->op_type, op_type)
      || r->n_outputs != n_out || r->act != YOLO_ACT_NONE || r->residual >= 0
      || r->qepi)
    return NULL;
  return r;
}

/* YOLO26's one-to-one tail reads the [N, 4+nc, A] output only through
 * Transpose (perm 0, 2, 1) and Split (last axis, sizes 4 and nc): the
 * DetectDecode node F writes those two outputs itself (split 1), saving
 * a pass over the output for each of them. */
static void
try_split (YoloGraph * g, YoloNode * F, gint64 N, gint64 A, gint64 nc)
{
  YoloNode *tr, *sp;
  const gint64 *perm;
  int cnt;

  yolo_graph_update_uses (g);
  tr = plain_reader (g, F->outputs[0], "Transpose", 1);
  if (!tr)
    return;
  perm = yolo_node_attr_ints (tr, "perm", &cnt);
  if (!perm || cnt != 3 || perm[0] != 0 || perm[1] != 2 || perm[2] != 1)
    return;
  sp = plain_reader (g, tr->outputs[0], "Split", 2);
  if (!sp || yolo_axis (yolo_node_attr_int (sp, "axis", 0), 3) != 2
      || !yolo_tensor_dims_are (YOLO_T (g, sp->outputs[0]), 3,
          (const gint64[]) { N, A, 4 })
      || !yolo_tensor_dims_are (YOLO_T (g, sp->outputs[1]), 3,
          (const gint64[]) { N, A, nc }))
    return;
  g_free (F->outputs);
  F->outputs = g_new (int, 2);
  F->outputs[0] = sp->outputs[0];
  F->outputs[1] = sp->outputs[1];
  F->n_outputs = 2;
  yolo_node_add_attr (F, "split", YOLO_ATTR_INT)->i = 1;
  tr->removed = TRUE;
  sp->removed = TRUE;
  yolo_graph_update_uses (g);
  g_debug ("\"%s\" writes the outputs of \"%s\" (Transpose) and \"%s\" "
      "(Split)", F->name, tr->name, sp->name);
}

static gboolean
try_head (YoloGraph * g, YoloNode * F)
{
  YoloNode *rm[48], *sg, *mul, *dc, *sub, *add, *sla, *slb;
  YoloNode *div = NULL, *add2 = NULL, *sub1 = NULL;
  YoloTensor *Y = YOLO_OUT (g, F, 0), *str;
  int n_rm = 0, L, x1y1, x2y2, dist, boxes, box, w = -1, si, ai;
  int bl[YOLO_DETECT_MAX_LEVELS], cl[YOLO_DETECT_MAX_LEVELS];
  gint64 N, A, nc, R = 1, n[YOLO_DETECT_MAX_LEVELS];
  const gint64 anc_tail[2] = { 2, Y->dims[2] };
  gboolean xywh;
  int *ins;

  if (F->n_inputs != 2 || F->n_outputs != 1 || Y->ndim != 3
      || Y->dims[0] < 1 || Y->dims[1] < 5 || Y->dtype != YOLO_DTYPE_FLOAT
      || concat_axis (F, 3) != 1)
    return FALSE;
  N = Y->dims[0];
  A = Y->dims[2];
  nc = Y->dims[1] - 4;
  /* scores: Sigmoid (cls) */
  sg = yolo_graph_plain_producer (g, F->inputs[1], "Sigmoid", 1);
  if (!sg)
    return FALSE;
  /* boxes: Mul (.., strides) */
  mul = yolo_graph_plain_producer (g, F->inputs[0], "Mul", 1);
  if (!mul || mul->n_inputs != 2)
    return FALSE;
  si = const_tail (YOLO_IN (g, mul, 1), 1, &A) ? 1 : 0;
  str = YOLO_IN (g, mul, si);
  if (!const_tail (str, 1, &A) || str->ndim > 3)
    return FALSE;
  boxes = mul->inputs[1 - si];
  dc = yolo_graph_plain_producer (g, boxes, "Concat", 1);
  if (!dc || dc->n_inputs != 2 || concat_axis (dc, 3) != 1
      || !yolo_tensor_dims_are (YOLO_T (g, boxes), 3, (const gint64[]) { N, 4,
            A
          }))
    return FALSE;
  div = yolo_graph_plain_producer (g, dc->inputs[0], "Div", 1);
  xywh = div != NULL;
  if (xywh) {
    YoloTensor *two = YOLO_IN (g, div, 1);
    if (div->n_inputs != 2 || !const_tail (two, 0, NULL)
        || ((float *) two->data)[0] != 2.0f)
      return FALSE;
    add2 = yolo_graph_plain_producer (g, div->inputs[0], "Add", 1);
    sub1 = yolo_graph_plain_producer (g, dc->inputs[1], "Sub", 1);
    if (!add2 || !sub1 || add2->n_inputs != 2 || sub1->n_inputs != 2)
      return FALSE;
    x2y2 = sub1->inputs[0];
    x1y1 = sub1->inputs[1];
    if (x1y1 == x2y2 || !((add2->inputs[0] == x1y1 && add2->inputs[1] == x2y2)
            || (add2->inputs[0] == x2y2 && add2->inputs[1] == x1y1)))
      return FALSE;
  } else {
    x1y1 = dc->inputs[0];
    x2y2 = dc->inputs[1];
  }
  /* x1y1 = anchors - lt, x2y2 = anchors + rb (the same anchor values) */
  sub = yolo_graph_plain_producer (g, x1y1, "Sub", xywh ? 2 : 1);
  add = yolo_graph_plain_producer (g, x2y2, "Add", xywh ? 2 : 1);
  if (!sub || !add || sub->n_inputs != 2 || add->n_inputs != 2)
    return FALSE;
  ai = const_tail (YOLO_IN (g, add, 0), 2, anc_tail) ? 0 : 1;
  {
    YoloTensor *anc = YOLO_IN (g, sub, 0), *anc2 = YOLO_IN (g, add, ai);
    if (!const_tail (anc, 2, anc_tail) || !const_tail (anc2, 2, anc_tail)
        || (anc2 != anc && memcmp (anc->data, anc2->data,
                sizeof (float) * 2 * A)))
      return FALSE;
  }
  sla = yolo_graph_plain_producer (g, sub->inputs[1], "Slice", 1);
  slb = yolo_graph_plain_producer (g, add->inputs[1 - ai], "Slice", 1);
  if (!sla || !slb)
    return FALSE;
  dist = sla->inputs[0];
  if (!yolo_tensor_dims_are (YOLO_T (g, dist), 3, (const gint64[]) { N, 4, A })
      || !slice_is (g, sla, dist, 0, 2) || !slice_is (g, slb, dist, 2, 4))
    return FALSE;
  /* dist: the DFL of the box tensor, or (R = 1) the box tensor itself */
  box = dfl_chain (g, dist, N, A, &R, &w, rm, &n_rm);
  L = find_levels (g, box >= 0 ? box : dist, box >= 0 ? 1 : 2,
      sg->inputs[0], N, R, nc, bl, cl, n, rm, &n_rm);
  if (!L)
    return FALSE;

  /* rewrite F in place (it follows every level's convs) */
  ins = g_new (int, 2 * L + 2 + (R > 1));
  for (int l = 0; l < L; l++) {
    ins[l] = bl[l];
    ins[L + l] = cl[l];
  }
  ins[2 * L] = sub->inputs[0];
  ins[2 * L + 1] = mul->inputs[si];
  if (R > 1)
    ins[2 * L + 2] = w;
  g_free (F->inputs);
  F->inputs = ins;
  F->n_inputs = 2 * L + 2 + (R > 1);
  g_free (F->op_type);
  F->op_type = g_strdup (YOLO_DETECT_DECODE_OP);
  yolo_node_add_attr (F, "reg_max", YOLO_ATTR_INT)->i = R;
  yolo_node_add_attr (F, "classes", YOLO_ATTR_INT)->i = nc;
  yolo_node_add_attr (F, "xywh", YOLO_ATTR_INT)->i = xywh;
  yolo_node_add_attr (F, "levels", YOLO_ATTR_INT)->i = L;
  rm[n_rm++] = sg;
  rm[n_rm++] = mul;
  rm[n_rm++] = dc;
  rm[n_rm++] = sub;
  rm[n_rm++] = add;
  rm[n_rm++] = sla;
  rm[n_rm++] = slb;
  if (xywh) {
    rm[n_rm++] = div;
    rm[n_rm++] = add2;
    rm[n_rm++] = sub1;
  }
  for (int i = 0; i < n_rm; i++)
    rm[i]->removed = TRUE;
  yolo_graph_update_uses (g);
  g_debug ("Detect head's tail fused into \"%s\": %d levels, reg_max %"
      G_GINT64_FORMAT ", %" G_GINT64_FORMAT " classes, %s, %d nodes removed",
      F->name, L, R, nc, xywh ? "xywh" : "corners", n_rm);
  try_split (g, F, N, A, nc);
  return TRUE;
}

void
yolo_graph_fuse_head (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Concat"))
      try_head (g, n);
  }
}
