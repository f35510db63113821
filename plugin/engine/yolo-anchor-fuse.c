/* yolo-anchor-fuse.c - the anchor pass: replaces the decode tail of a
 * YOLOv5 Detect head (anchor-based: na anchors per grid cell, rows of
 * no = 5+nc), from each level's detection conv output to the
 * [N, A, no] output, by one AnchorDecode node (ops/anchor.h):
 *
 *   X_l [N, na*no, H, W] --Reshape--> [N, na, no, H, W]
 *     --Transpose (0,1,3,4,2)--> [N, na, H, W, no] --Sigmoid--> s
 *   xy, wh, conf = Split (s, axis 4, [2, 2, no-4])     (YOLOv5 >= 6.1)
 *               or Slice (s, axis 4, 0:2, 2:4, 4:)      (YOLOv5 6.0)
 *   xy = Mul (Add (Mul (xy, 2) [+ or - c], grid), stride)
 *   wh = Mul (Pow (Mul (wh, 2), 2), anchor_grid)
 *   Reshape (Concat (xy, wh, conf, axis 4), [N, na*H*W, no])
 *   Concat over the levels (axis 1) --> [N, A, no]
 *
 * grid and anchor_grid are float constants that broadcast to
 * [1, na, H, W, 2] (their values are copied, whatever they are), stride,
 * c and the 2s single-element constants (the 2s must be 2). The node
 * reads each level's conv output where it is and writes the final tensor
 * in one launch. A level chain whose Reshape is not read by such a level
 * Concat (one level, or a Concat the pass does not take) becomes an
 * AnchorDecode of its own. Every intermediate must feed only the next
 * node of the pattern (and be no graph output), every shape must be the
 * one the pattern gives (no constant broadcasts a tensor larger); anything
 * else is left as it is. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/anchor.h"

#include <math.h>
#include <string.h>

#define ANCHOR_RM_MAX 16        /* nodes removed per level */

typedef struct
{
  int x;                        /* the conv output */
  gint64 N, na, no, H, W;
  float off, stride;
  YoloTensor *grid, *ag;
  YoloNode *rm[ANCHOR_RM_MAX];
  int n_rm;
} AnchorLevel;

static gboolean
float_const (const YoloTensor * t)
{
  return t && yolo_tensor_is_const (t) && t->dtype == YOLO_DTYPE_FLOAT
      && t->data && t->ndim <= 5;
}

/* A single-element float constant of rank <= 5 (it broadcasts nothing
 * larger); its value. */
static gboolean
scalar_const (const YoloTensor * t, float *v)
{
  if (!float_const (t) || yolo_tensor_numel (t) != 1)
    return FALSE;
  *v = ((const float *) t->data)[0];
  return TRUE;
}

/* A binary node with two inputs, one of them a float constant: that
 * constant and the other input (which must not be a constant). */
static gboolean
with_const (YoloGraph * g, const YoloNode * n, YoloTensor ** c, int *other)
{
  int ci;

  if (!n || n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0)
    return FALSE;
  ci = float_const (YOLO_IN (g, n, 1)) ? 1 : 0;
  *c = YOLO_IN (g, n, ci);
  *other = n->inputs[1 - ci];
  return float_const (*c) && !yolo_tensor_is_const (YOLO_T (g, *other));
}

/* Mul (t, 2) in either order: its other input, or -1. */
static int
times_two (YoloGraph * g, const YoloNode * m)
{
  YoloTensor *c;
  int o;
  float v;

  if (!with_const (g, m, &c, &o) || !scalar_const (c, &v) || v != 2.0f)
    return -1;
  return o;
}

/* A float constant broadcasting to [1, na, H, W, 2] (dims right-aligned,
 * each 1 or the full size). */
static gboolean
grid_const (const YoloTensor * t, const gint64 * d5)
{
  if (!float_const (t) || t->ndim < 1)
    return FALSE;
  for (int i = 0; i < t->ndim; i++) {
    gint64 full = d5[5 - t->ndim + i];
    if (t->dims[i] != 1 && (t->dims[i] != full || 5 - t->ndim + i == 0))
      return FALSE;
  }
  return TRUE;
}

/* Element (j, h, w, k) of such a constant. */
static float
grid_at (const YoloTensor * t, gint64 j, gint64 h, gint64 w, gint64 k)
{
  const gint64 idx[5] = { 0, j, h, w, k };
  gint64 off = 0;

  for (int i = 0; i < t->ndim; i++)
    off = off * t->dims[i] + (t->dims[i] == 1 ? 0 : idx[5 - t->ndim + i]);
  return ((const float *) t->data)[off];
}

/* An integer constant of one element: its value. */
static gboolean
int1 (const YoloTensor * t, gint64 * v)
{
  if (!t || !yolo_tensor_is_const (t) || yolo_dtype_is_float (t->dtype)
      || !t->data || yolo_tensor_numel (t) != 1)
    return FALSE;
  *v = yolo_const_int (t, 0);
  return TRUE;
}

/* Slice (s, [start, end) of the last axis of 5, step 1), input form
 * (opset >= 10), ends clamped as ONNX does. */
static gboolean
slice_is (YoloGraph * g, const YoloNode * n, int s, gint64 dim, gint64 start,
    gint64 end)
{
  gint64 st, en, ax, step = 1;

  if (!n || n->n_inputs < 4 || n->n_inputs > 5 || n->inputs[0] != s
      || !int1 (YOLO_IN (g, n, 1), &st) || !int1 (YOLO_IN (g, n, 2), &en)
      || !int1 (YOLO_IN (g, n, 3), &ax)
      || (YOLO_IN (g, n, 4) && !int1 (YOLO_IN (g, n, 4), &step)))
    return FALSE;
  if (step != 1 || yolo_axis (ax, 5) != 4)
    return FALSE;
  if (st < 0)
    st += dim;
  if (en < 0)
    en += dim;
  return st == start && MIN (en, dim) == end;
}

/* Split (s, axis 4) into [2, 2, no-4]; sizes from the input (opset >= 13)
 * or the attribute, else equal parts. */
static gboolean
split_is (YoloGraph * g, const YoloNode * n, gint64 no)
{
  const YoloTensor *t = YOLO_IN (g, n, 1);
  gint64 sz[3];
  const gint64 *v;
  int cnt = 0;

  if (n->n_outputs != 3 || n->n_inputs > 2
      || yolo_axis (yolo_node_attr_int (n, "axis", 0), 5) != 4)
    return FALSE;
  if (t) {
    if (!yolo_tensor_is_const (t) || yolo_dtype_is_float (t->dtype)
        || !t->data || yolo_tensor_numel (t) != 3)
      return FALSE;
    for (int i = 0; i < 3; i++)
      sz[i] = yolo_const_int (t, i);
  } else if ((v = yolo_node_attr_ints (n, "split", &cnt))) {
    if (cnt != 3)
      return FALSE;
    memcpy (sz, v, sizeof sz);
  } else {
    if (no % 3)
      return FALSE;
    sz[0] = sz[1] = sz[2] = no / 3;
  }
  return sz[0] == 2 && sz[1] == 2 && sz[2] == no - 4;
}

/* The level chain ending at Reshape r1 (not added to the removed nodes:
 * the caller removes or rewrites it). */
static gboolean
level_chain (YoloGraph * g, YoloNode * r1, AnchorLevel * lv)
{
  YoloNode *cat, *m2, *a1, *m1, *m4, *pw, *m3, *sg, *tr, *r0, *o = NULL;
  YoloNode *sp = NULL, *sl[3] = { NULL, NULL, NULL };
  YoloTensor *y = YOLO_OUT (g, r1, 0), *t5, *x, *c;
  gint64 N, na, no, H, W, cells = 1;
  int xy, wh, conf, t;
  float two;

  memset (lv, 0, sizeof *lv);
  if (strcmp (r1->op_type, "Reshape") || r1->n_outputs != 1 || y->ndim != 3
      || r1->act || r1->residual >= 0 || r1->qepi)
    return FALSE;
  cat = yolo_graph_plain_producer (g, r1->inputs[0], "Concat", 1);
  if (!cat || cat->n_inputs != 3)
    return FALSE;
  t5 = YOLO_OUT (g, cat, 0);
  if (t5->ndim != 5 || yolo_axis (yolo_node_attr_int (cat, "axis", 0), 5) != 4)
    return FALSE;
  N = t5->dims[0];
  na = t5->dims[1];
  H = t5->dims[2];
  W = t5->dims[3];
  no = t5->dims[4];
  if (no < 6
      || !yolo_tensor_dims_are (y, 3, (const gint64[]) { N, na * H * W, no }))
    return FALSE;
  xy = cat->inputs[0];
  wh = cat->inputs[1];
  conf = cat->inputs[2];
  {
    const gint64 d2[5] = { N, na, H, W, 2 }, d5[5] = { N, na, H, W, no };
    const gint64 dc[5] = { N, na, H, W, no - 4 };

    /* xy: Mul (Add (Mul (xy, 2) [+- c], grid), stride) */
    m2 = yolo_graph_plain_producer (g, xy, "Mul", 1);
    if (!m2 || !with_const (g, m2, &c, &t) || !scalar_const (c, &lv->stride))
      return FALSE;
    a1 = yolo_graph_plain_producer (g, t, "Add", 1);
    if (!a1 || !yolo_tensor_dims_are (YOLO_T (g, t), 5, d2)
        || !with_const (g, a1, &lv->grid, &t) || !grid_const (lv->grid, d2))
      return FALSE;
    m1 = yolo_graph_plain_producer (g, t, "Mul", 1);
    if (!m1) {
      /* YOLOv5 6.0: (xy * 2 - 0.5 + grid); x - c is x + (-c) exactly */
      float v;
      if ((o = yolo_graph_plain_producer (g, t, "Sub", 1))) {
        if (o->n_inputs != 2 || o->inputs[0] < 0
            || !scalar_const (YOLO_IN (g, o, 1), &v)
            || yolo_tensor_is_const (YOLO_IN (g, o, 0)))
          return FALSE;
        lv->off = -v;
        t = o->inputs[0];
      } else if ((o = yolo_graph_plain_producer (g, t, "Add", 1))) {
        if (!with_const (g, o, &c, &t) || !scalar_const (c, &v))
          return FALSE;
        lv->off = v;
      } else {
        return FALSE;
      }
      if (!isfinite (lv->off) || !yolo_tensor_dims_are (YOLO_T (g, t), 5, d2)
          || !yolo_tensor_dims_are (YOLO_OUT (g, o, 0), 5, d2))
        return FALSE;
      m1 = yolo_graph_plain_producer (g, t, "Mul", 1);
    }
    if (!m1 || (xy = times_two (g, m1)) < 0
        || !yolo_tensor_dims_are (YOLO_OUT (g, m1, 0), 5, d2)
        || !yolo_tensor_dims_are (YOLO_OUT (g, m2, 0), 5, d2))
      return FALSE;
    /* wh: Mul (Pow (Mul (wh, 2), 2), anchor_grid) */
    m4 = yolo_graph_plain_producer (g, wh, "Mul", 1);
    if (!m4 || !yolo_tensor_dims_are (YOLO_OUT (g, m4, 0), 5, d2)
        || !with_const (g, m4, &lv->ag, &t) || !grid_const (lv->ag, d2))
      return FALSE;
    pw = yolo_graph_plain_producer (g, t, "Pow", 1);
    if (!pw || pw->n_inputs != 2 || pw->inputs[0] < 0
        || !scalar_const (YOLO_IN (g, pw, 1), &two) || two != 2.0f)
      return FALSE;
    t = pw->inputs[0];
    m3 = yolo_graph_plain_producer (g, t, "Mul", 1);
    if (!m3 || (wh = times_two (g, m3)) < 0
        || !yolo_tensor_dims_are (YOLO_T (g, t), 5, d2)
        || !yolo_tensor_dims_are (YOLO_T (g, pw->outputs[0]), 5, d2))
      return FALSE;
    /* xy, wh, conf: one Split of s, or three Slices */
    sp = yolo_graph_producer (g, xy);
    if (sp && !strcmp (sp->op_type, "Split")) {
      if (sp != yolo_graph_producer (g, wh)
          || sp != yolo_graph_producer (g, conf)
          || sp->outputs[0] != xy || sp->outputs[1] != wh
          || sp->outputs[2] != conf || !split_is (g, sp, no))
        return FALSE;
      for (int i = 0; i < 3; i++) {
        YoloTensor *p = YOLO_OUT (g, sp, i);
        if (p->is_output || p->n_uses != 1)
          return FALSE;
      }
      t = sp->inputs[0];
    } else {
      sp = NULL;
      sl[0] = yolo_graph_plain_producer (g, xy, "Slice", 1);
      sl[1] = yolo_graph_plain_producer (g, wh, "Slice", 1);
      sl[2] = yolo_graph_plain_producer (g, conf, "Slice", 1);
      if (!sl[0] || !sl[1] || !sl[2])
        return FALSE;
      t = sl[0]->inputs[0];
      if (!slice_is (g, sl[0], t, no, 0, 2) || !slice_is (g, sl[1], t, no, 2,
              4) || !slice_is (g, sl[2], t, no, 4, no))
        return FALSE;
    }
    if (!yolo_tensor_dims_are (YOLO_T (g, xy), 5, d2)
        || !yolo_tensor_dims_are (YOLO_T (g, wh), 5, d2)
        || !yolo_tensor_dims_are (YOLO_T (g, conf), 5, dc))
      return FALSE;
    sg = yolo_graph_plain_producer (g, t, "Sigmoid", sp ? 1 : 3);
    if (!sg || !yolo_tensor_dims_are (YOLO_T (g, t), 5, d5))
      return FALSE;
    tr = yolo_graph_plain_producer (g, sg->inputs[0], "Transpose", 1);
    if (!tr)
      return FALSE;
    {
      int cnt = 0;
      const gint64 *perm = yolo_node_attr_ints (tr, "perm", &cnt);
      if (!perm || cnt != 5 || perm[0] != 0 || perm[1] != 1 || perm[2] != 3
          || perm[3] != 4 || perm[4] != 2)
        return FALSE;
    }
    r0 = yolo_graph_plain_producer (g, tr->inputs[0], "Reshape", 1);
    if (!r0
        || !yolo_tensor_dims_are (YOLO_T (g, tr->inputs[0]), 5,
            (const gint64[]) { N,
              na, no, H, W
            }))
      return FALSE;
  }
  x = YOLO_IN (g, r0, 0);
  if (!x || yolo_tensor_is_const (x) || x->dtype != YOLO_DTYPE_FLOAT
      || x->ndim < 3 || x->dims[0] != N || x->dims[1] != na * no)
    return FALSE;
  for (int i = 2; i < x->ndim; i++)
    cells *= x->dims[i];
  if (cells != H * W)
    return FALSE;
  lv->x = r0->inputs[0];
  lv->N = N;
  lv->na = na;
  lv->no = no;
  lv->H = H;
  lv->W = W;
  {
    YoloNode *rm[] = { cat, m2, a1, o, m1, m4, pw, m3, sp, sl[0], sl[1],
      sl[2], sg, tr, r0
    };
    for (guint i = 0; i < G_N_ELEMENTS (rm); i++)
      if (rm[i])
        lv->rm[lv->n_rm++] = rm[i];
  }
  return TRUE;
}

/* Rewrites F into an AnchorDecode of the L levels (whose nodes it
 * removes), with the grid, anchor grid and strides gathered in anchor
 * order. */
static gboolean
rewrite (YoloGraph * g, YoloNode * F, AnchorLevel * lv, int L)
{
  const char *what[3] = { "grid", "anchor_grid", "strides" };
  gint64 A = 0, a = 0, na = lv[0].na;
  float *v[3];
  int *ins, c[3];

  for (int l = 0; l < L; l++)
    A += na * lv[l].H * lv[l].W;
  if (!yolo_graph_reserve (g, A * 5 * (gint64) sizeof (float), F->name, NULL))
    return FALSE;
  v[0] = g_new (float, 2 * A);
  v[1] = g_new (float, 2 * A);
  v[2] = g_new (float, A);
  for (int l = 0; l < L; l++)
    for (gint64 j = 0; j < na; j++)
      for (gint64 h = 0; h < lv[l].H; h++)
        for (gint64 w = 0; w < lv[l].W; w++, a++) {
          for (int k = 0; k < 2; k++) {
            v[0][k * A + a] = grid_at (lv[l].grid, j, h, w, k);
            v[1][k * A + a] = grid_at (lv[l].ag, j, h, w, k);
          }
          v[2][a] = lv[l].stride;
        }
  for (int i = 0; i < 3; i++) {
    char *name = g_strdup_printf ("%s:%s", F->name, what[i]);
    c[i] = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, i < 2 ? 2 : 1,
        i < 2 ? (const gint64[]) { 2, A } : (const gint64[]) { A }, v[i]);
    g_free (name);
  }
  ins = g_new (int, L + 3);
  for (int l = 0; l < L; l++)
    ins[l] = lv[l].x;
  for (int i = 0; i < 3; i++)
    ins[L + i] = c[i];
  g_free (F->inputs);
  F->inputs = ins;
  F->n_inputs = L + 3;
  g_free (F->op_type);
  F->op_type = g_strdup (YOLO_ANCHOR_DECODE_OP);
  yolo_node_add_attr (F, "levels", YOLO_ATTR_INT)->i = L;
  yolo_node_add_attr (F, "anchors", YOLO_ATTR_INT)->i = na;
  yolo_node_add_attr (F, "classes", YOLO_ATTR_INT)->i = lv[0].no - 5;
  yolo_node_add_attr (F, "xy_offset", YOLO_ATTR_FLOAT)->f = lv[0].off;
  for (int l = 0; l < L; l++)
    for (int i = 0; i < lv[l].n_rm; i++)
      lv[l].rm[i]->removed = TRUE;
  yolo_graph_update_uses (g);
  g_debug ("YOLOv5 decode tail fused into \"%s\": %d levels, %" G_GINT64_FORMAT
      " anchors per cell, %d classes, xy offset %g", F->name, L, na,
      (int) lv[0].no - 5, lv[0].off);
  return TRUE;
}

/* Concat (axis 1) of the levels' Reshapes into [N, A, no]. */
static gboolean
try_levels (YoloGraph * g, YoloNode * F)
{
  AnchorLevel lv[YOLO_ANCHOR_MAX_LEVELS];
  YoloTensor *y = YOLO_OUT (g, F, 0);
  gint64 A = 0;
  int L = F->n_inputs;

  if (F->n_outputs != 1 || L < 2 || L > YOLO_ANCHOR_MAX_LEVELS
      || y->ndim != 3 || y->dtype != YOLO_DTYPE_FLOAT
      || yolo_axis (yolo_node_attr_int (F, "axis", 0), 3) != 1)
    return FALSE;
  for (int l = 0; l < L; l++) {
    YoloNode *r1 = yolo_graph_plain_producer (g, F->inputs[l], "Reshape", 1);
    if (!r1 || !level_chain (g, r1, &lv[l]))
      return FALSE;
    if (lv[l].N != lv[0].N || lv[l].na != lv[0].na || lv[l].no != lv[0].no
        || lv[l].off != lv[0].off)
      return FALSE;
    lv[l].rm[lv[l].n_rm++] = r1;
    A += lv[l].na * lv[l].H * lv[l].W;
  }
  if (!yolo_tensor_dims_are (y, 3, (const gint64[]) { lv[0].N, A, lv[0].no }))
    return FALSE;
  return rewrite (g, F, lv, L);
}

void
yolo_graph_fuse_anchor (YoloGraph * g)
{
  AnchorLevel lv;

  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Concat"))
      try_levels (g, n);
  }
  /* level chains left: one AnchorDecode each */
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Reshape")
        && level_chain (g, n, &lv))
      rewrite (g, n, &lv, 1);
  }
}
