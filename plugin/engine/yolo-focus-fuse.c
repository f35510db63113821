/* yolo-focus-fuse.c - the Focus pass: YOLOX's (and YOLOv5 <= 5.0's) Focus
 * stem
 *   P(dh,dw) = Slice (Slice (X, axis 2, start dh, step 2),
 *                     axis 3, start dw, step 2)      dh, dw in {0, 1}
 *   Y = Conv (Concat (P(..), P(..), P(..), P(..), axis 1), W [M,4C,3,3],
 *             stride 1, pad 1, dilation 1, group 1)
 * where X is [N,C,H,W] with H and W even and the four patches are the four
 * (dh,dw) in any order, is rewritten as one Conv of X itself with a 6x6
 * kernel, stride 2, pad 2 (the same arithmetic, YOLOv5 6.0's stem):
 *   W6[m][c][2u+dh][2v+dw] = W[m][q*C+c][u][v]   q: the patch's place
 * Space-to-depth then costs nothing: no 8 Slice launches and no 4C-channel
 * intermediate. The Slices may come in either order (W first), or as one
 * Slice over both axes; their ends must reach the end of the axis. The
 * Slices and Concat are left to yolo_graph_prune when the Conv was their
 * only consumer. Anything else is left as it is. */
#include "yolo-graph.h"

#include <string.h>

/* The int64 constant t's element i, or def when t is absent. */
static gboolean
const_int (YoloGraph * g, int t, gint64 n, gint64 i, gint64 def, gint64 * v)
{
  YoloTensor *tt;

  if (t < 0) {
    *v = def;
    return TRUE;
  }
  tt = YOLO_T (g, t);
  if (!yolo_tensor_is_const (tt) || !tt->data || yolo_dtype_is_float (tt->dtype)
      || tt->ndim != 1 || tt->dims[0] != n)
    return FALSE;
  *v = ((gint64 *) tt->data)[i];
  return TRUE;
}

/* Walks back from t through at most two Slices (opset >= 10) that take
 * every second element of axes 2 and 3 of one 4-D float tensor; its index
 * and the offsets (dh, dw), or -1. */
static int
patch_source (YoloGraph * g, int t, int *dh, int *dw)
{
  int off[2] = { -1, -1 };

  for (int depth = 0; depth < 2; depth++) {
    YoloNode *s;
    YoloTensor *x;
    gint64 n;

    if (off[0] >= 0 && off[1] >= 0)
      break;
    s = yolo_graph_producer (g, t);
    if (!s || strcmp (s->op_type, "Slice") || s->n_inputs < 3)
      break;
    x = YOLO_IN (g, s, 0);
    if (!x || x->ndim != 4 || x->dtype != YOLO_DTYPE_FLOAT
        || !YOLO_IN (g, s, 1) || YOLO_IN (g, s, 1)->ndim != 1)
      return -1;
    n = YOLO_IN (g, s, 1)->dims[0];
    if (n < 1 || n > 2)
      return -1;
    for (gint64 i = 0; i < n; i++) {
      gint64 start, end, axis, step, dim;
      int a;
      if (!const_int (g, s->inputs[1], n, i, 0, &start)
          || !const_int (g, s->inputs[2], n, i, 0, &end)
          || !const_int (g, s->n_inputs > 3 ? s->inputs[3] : -1, n, i, i,
              &axis) || !const_int (g, s->n_inputs > 4 ? s->inputs[4] : -1,
              n, i, 1, &step))
        return -1;
      a = yolo_axis (axis, 4);
      if (a < 2 || off[a - 2] >= 0 || step != 2)
        return -1;
      dim = x->dims[a];
      if (dim < 2 || dim % 2)
        return -1;
      if (start < 0)
        start += dim;
      if ((start != 0 && start != 1) || end < dim)
        return -1;
      off[a - 2] = start;
    }
    t = s->inputs[0];
  }
  if (off[0] < 0 || off[1] < 0)
    return -1;
  *dh = off[0];
  *dw = off[1];
  return t;
}

/* The INTS attribute `name` is absent or all `v`. */
static gboolean
ints_are (const YoloNode * n, const char *name, int count, gint64 v)
{
  int k;
  const gint64 *a = yolo_node_attr_ints (n, name, &k);

  if (!a)
    return !yolo_node_attr (n, name);
  if (k != count)
    return FALSE;
  for (int i = 0; i < k; i++)
    if (a[i] != v)
      return FALSE;
  return TRUE;
}

static gboolean
try_focus (YoloGraph * g, YoloNode * conv)
{
  static const gint64 k6[2] = { 6, 6 }, s2[2] = { 2, 2 }, p2[4] = {
    2, 2, 2, 2
  };
  YoloTensor *tw = YOLO_IN (g, conv, 1);
  YoloNode *cat;
  int src = -1, q_of[2][2] = { {-1, -1}, {-1, -1} }, w6;
  gint64 M, C, dims[4];
  float *w, *v;
  char *name;
  const char *ap = yolo_node_attr_string (conv, "auto_pad", "NOTSET");

  if (conv->n_inputs < 2 || conv->n_outputs != 1 || !tw || conv->qepi
      || tw->dtype != YOLO_DTYPE_FLOAT || !yolo_tensor_is_const (tw)
      || !tw->data || tw->ndim != 4 || tw->dims[2] != 3 || tw->dims[3] != 3
      || tw->dims[1] % 4 || yolo_node_attr_int (conv, "group", 1) != 1
      || strcmp (ap, "NOTSET") || !ints_are (conv, "strides", 2, 1)
      || !ints_are (conv, "dilations", 2, 1)
      || !ints_are (conv, "pads", 4, 1) || !yolo_node_attr (conv, "pads")
      || !ints_are (conv, "kernel_shape", 2, 3))
    return FALSE;
  cat = yolo_graph_producer (g, conv->inputs[0]);
  if (!cat || strcmp (cat->op_type, "Concat") || cat->n_inputs != 4
      || yolo_axis (yolo_node_attr_int (cat, "axis", 0), 4) != 1)
    return FALSE;
  M = tw->dims[0];
  C = tw->dims[1] / 4;
  for (int q = 0; q < 4; q++) {
    int dh, dw, s;
    if (cat->inputs[q] < 0)
      return FALSE;
    s = patch_source (g, cat->inputs[q], &dh, &dw);
    if (s < 0 || (src >= 0 && s != src) || q_of[dh][dw] >= 0)
      return FALSE;
    src = s;
    q_of[dh][dw] = q;
  }
  if (YOLO_T (g, src)->dims[1] != C)
    return FALSE;

  if (!yolo_graph_reserve (g, yolo_tensor_host_bytes (tw), conv->name, NULL))
    return FALSE;
  w = tw->data;
  v = g_new (float, M * C * 36);
  for (gint64 m = 0; m < M; m++)
    for (gint64 c = 0; c < C; c++)
      for (int a = 0; a < 6; a++)
        for (int b = 0; b < 6; b++) {
          gint64 k = q_of[a % 2][b % 2] * C + c;
          v[((m * C + c) * 6 + a) * 6 + b] =
              w[((m * 4 * C + k) * 3 + a / 2) * 3 + b / 2];
        }
  dims[0] = M;
  dims[1] = C;
  dims[2] = dims[3] = 6;
  name = g_strdup_printf ("%s:focus6x6", tw->name);
  w6 = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, 4, dims, v);
  g_free (name);
  conv->inputs[0] = src;
  conv->inputs[1] = w6;
  yolo_node_set_ints (conv, "kernel_shape", 2, k6);
  yolo_node_set_ints (conv, "strides", 2, s2);
  yolo_node_set_ints (conv, "pads", 4, p2);
  return TRUE;
}

void
yolo_graph_fuse_focus (YoloGraph * g)
{
  gboolean changed = FALSE;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Conv"))
      changed |= try_focus (g, n);
  }
  if (changed)
    yolo_graph_update_uses (g);
}
