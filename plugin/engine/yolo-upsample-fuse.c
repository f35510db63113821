/* yolo-upsample-fuse.c - the FPN's upsample + concat + 1x1 conv with the
 * upsampled part's 1x1 at the low resolution. A feature pyramid's top-down
 * step (YOLOv8's and YOLO11's C2f / C3k2 cv1, YOLO26, YOLO12, YOLOv10)
 * reads
 *   U = Resize (X)                 nearest, exactly x2 in H and W
 *   T = Concat (U, S) or (S, U)    axis 1
 *   Y = Conv (T, W, B)             1x1, stride 1, unpadded, group 1
 * and nearest upsampling commutes with a 1x1 conv: W T = W_U U + W_S S
 * and W_U U = up2 (W_U X). So the Resize node becomes the Conv
 *   Z = Conv (X, W_U)              [1, M, H/2, W/2], no bias, no activation
 * (a quarter of that part's multiply-adds: for yolo26n-640 158 of 5505
 * MFLOP fewer, and no upsampled copy of X written and read), and Y's Conv
 * the ConvUpsampleAdd node (ops/conv.h)
 *   Y = act (Conv (S, W_S, B) + up2 (Z)) [+ residual]
 * whose kernel starts its sums at up2 (Z) (conv_1x1_up2_c8). The Concat
 * goes. yolo-flops.c still counts the model's FLOPs (Z's Conv at 4x).
 * Same launches as before (the Resize's is Z's), different rounding (Z's
 * sums are made apart): within the parity tolerances.
 *
 * A Concat that both CSP convs read (YOLOv5's C3 cv1 and cv2, YOLOX's CSP
 * conv1 and conv2: a ConvPair, yolo-pair-fuse.c, which runs first) the
 * same way: the Resize node becomes the ConvPair of X computing Z1 and
 * Z2 (both halves' W_U, one launch), the pair its up2 form (ops/conv.h:
 * two ConvUpsampleAdds of S, conv_1x1_pair_up2_c8). yolox-nano-416: the
 * 26x26 and 52x52 pairs, 44 MFLOP each, become 22 + 5.5.
 *
 * Only when g->fuse_up2 (the engine: a wide-vector device, batch 1, no
 * conv_kernel option; YOLO_FUSE_UP2=0 turns it off), for float tensors,
 * no QDQ epilogue, U and T read only there and no graph outputs, a
 * Concat of exactly those two inputs. The Resize node keeps its
 * attributes (no Conv reads them) and its output tensor, now Z's (Z1's)
 * shape. */
#include <string.h>

#include "yolo-graph.h"
#include "ops/conv.h"
#include "ops/resize.h"

/* U = the output of node rs: a nearest exactly-x2 Resize / Upsample of a
 * float [1, C, h, w] input, no epilogue. */
static gboolean
is_nearest2x (YoloGraph * g, YoloNode * rs)
{
  ResizeGeom rg;
  ResizeMaps m;
  YoloTensor *x;
  gboolean ok;

  if ((strcmp (rs->op_type, "Resize") && strcmp (rs->op_type, "Upsample"))
      || rs->n_outputs != 1 || rs->n_inputs < 1 || rs->inputs[0] < 0
      || rs->act != YOLO_ACT_NONE || rs->residual >= 0 || rs->qepi)
    return FALSE;
  x = YOLO_IN (g, rs, 0);
  if (x->dtype != YOLO_DTYPE_FLOAT || x->ndim != 4 || x->dims[0] != 1
      || !yolo_resize_geom (g, rs, &rg, NULL))
    return FALSE;
  if (rg.H != x->dims[2] || rg.W != x->dims[3])
    return FALSE;
  yolo_resize_maps_init (&rg, &m);
  ok = yolo_resize_is_nearest2x (&rg, &m);
  yolo_resize_maps_clear (&m);
  return ok;
}

/* Columns [off, off + n) of W [M, C, 1, 1] as a new constant
 * [M, n, 1, 1] named after the conv; -1 over the constant budget. */
static int
weight_slice (YoloGraph * g, YoloNode * conv, const float *w, int M, int C,
    int off, int n, const char *part)
{
  gint64 dims[4] = { M, n, 1, 1 };
  float *d;
  char *name;
  int t;

  name = g_strdup_printf ("%s:%s", conv->name, part);
  /* a model's own tensor of that name is left alone (no fusion) */
  if (yolo_graph_find_tensor (g, name) >= 0
      || !yolo_graph_reserve (g, (gint64) M * n * sizeof (float), conv->name,
          NULL)) {
    g_free (name);
    return -1;
  }
  d = g_new (float, (gsize) M * n);
  for (int m = 0; m < M; m++)
    memcpy (d + (gsize) m * n, w + (gsize) m * C + off, n * sizeof (float));
  t = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, 4, dims, d);
  g_free (name);
  return t;
}

/* The Concat cat of T = Concat (U, S) or (S, U) along channels, U the
 * output of a nearest-2x Resize that only cat reads: that Resize (*rs),
 * k (U's place in the Concat), X (the Resize's input) and S checked
 * against the 1x1 conv of T (p: C channels over H x W); NULL
 * otherwise. */
static YoloNode *
match_concat (YoloGraph * g, YoloNode * cat, const ConvParams * p, int *k,
    YoloTensor ** x, YoloTensor ** s)
{
  YoloNode *rs = NULL;
  YoloTensor *u;
  gint64 axis;

  if (!cat || strcmp (cat->op_type, "Concat") || cat->n_inputs != 2
      || cat->n_outputs != 1 || cat->qepi || cat->act != YOLO_ACT_NONE
      || cat->residual >= 0 || cat->inputs[0] < 0 || cat->inputs[1] < 0
      || cat->inputs[0] == cat->inputs[1])
    return NULL;
  axis = yolo_node_attr_int (cat, "axis", 0);
  if (axis != 1 && axis != -3)
    return NULL;
  for (*k = 0; *k < 2; (*k)++) {
    rs = yolo_graph_producer (g, cat->inputs[*k]);
    if (rs && yolo_graph_sole_reader (g, cat->inputs[*k], NULL, NULL) == cat
        && is_nearest2x (g, rs))
      break;
  }
  if (*k == 2)
    return NULL;
  u = YOLO_T (g, cat->inputs[*k]);
  *s = YOLO_T (g, cat->inputs[1 - *k]);
  *x = YOLO_IN (g, rs, 0);
  if ((*s)->dtype != YOLO_DTYPE_FLOAT || (*s)->ndim != 4
      || (*s)->dims[0] != 1 || (*s)->dims[2] != p->H || (*s)->dims[3] != p->W
      || u->ndim != 4 || u->dims[1] != (*x)->dims[1] || u->dims[2] != p->H
      || u->dims[3] != p->W || (*x)->dims[1] + (*s)->dims[1] != p->C)
    return NULL;
  return rs;
}

/* The geometry p of 1x1 conv n (a Conv or a ConvPair's half) when it may
 * read a ConvUpsampleAdd's S: batch 1, an even H x W, float output. */
static gboolean
up2_geometry (YoloGraph * g, YoloNode * n, ConvParams * p)
{
  return yolo_conv_params (g, n, p, NULL) && p->N == 1
      && yolo_conv_geometry_is_pointwise (p) && p->H % 2 == 0
      && p->W % 2 == 0 && YOLO_OUT (g, n, 0)->dtype == YOLO_DTYPE_FLOAT;
}

/* W_U and W_S of conv (weights W [M, C, 1, 1]; a ConvPair's half: its
 * number in half, else "") into wu, ws: the Concat's channels U first
 * (k = 0) or S first; FALSE over the constant budget. */
static gboolean
split_weights (YoloGraph * g, YoloNode * conv, const ConvParams * p, int k,
    int cu, int cs, const char *half, int *wu, int *ws)
{
  const float *w = YOLO_IN (g, conv, 1)->data;
  char *part = g_strdup_printf ("up2_w_upsampled%s", half);

  *wu = weight_slice (g, conv, w, p->M, p->C, k == 0 ? 0 : cs, cu, part);
  g_free (part);
  if (*wu < 0)
    return FALSE;
  part = g_strdup_printf ("up2_w_skip%s", half);
  *ws = weight_slice (g, conv, w, p->M, p->C, k == 0 ? cu : 0, cs, part);
  g_free (part);
  return *ws >= 0;
}

/* Resize node rs becomes the low-resolution conv of its input (a Conv,
 * or with wu2 >= 0 a ConvPair whose second output is a new tensor):
 * inputs [X, WU] or [X, WU1, -, X, WU2, -], no bias or activation,
 * output U's tensor reshaped to [1, M1, h, w]; named after conv. *z2 the
 * pair's second output. */
static void
make_low (YoloGraph * g, YoloNode * rs, YoloNode * conv, int wu, int M1,
    int wu2, int M2, int *z2)
{
  YoloTensor *u = YOLO_OUT (g, rs, 0);
  gint64 zd[4] = { 1, M1, u->dims[2] / 2, u->dims[3] / 2 };
  int x = rs->inputs[0], *in;
  char *name;

  g_free (rs->inputs);
  g_free (rs->op_type);
  if (wu2 < 0) {
    in = g_new (int, 2);
    in[0] = x;
    in[1] = wu;
    rs->n_inputs = 2;
    rs->op_type = g_strdup ("Conv");
  } else {
    int *out = g_new (int, 2);

    in = g_new (int, 6);
    in[0] = in[3] = x;
    in[1] = wu;
    in[4] = wu2;
    in[2] = in[5] = -1;
    rs->n_inputs = 6;
    rs->op_type = g_strdup (YOLO_CONV_PAIR_OP);
    name = g_strdup_printf ("%s:low2", conv->name);
    *z2 = yolo_graph_tensor (g, name);
    g_free (name);
    out[0] = rs->outputs[0];
    out[1] = *z2;
    g_free (rs->outputs);
    rs->outputs = out;
    rs->n_outputs = 2;
    yolo_node_add_attr (rs, YOLO_CONV_PAIR_ACT2, YOLO_ATTR_INT)->i =
        YOLO_ACT_NONE;
    zd[1] = M2;
    yolo_tensor_set_shape (YOLO_T (g, *z2), YOLO_DTYPE_FLOAT, 4, zd);
    zd[1] = M1;
  }
  rs->inputs = in;
  rs->act = YOLO_ACT_NONE;
  name = g_strdup_printf ("%s:low", conv->name);
  g_free (rs->name);
  rs->name = name;
  yolo_node_add_attr (rs, YOLO_CONV_UP2_FLOPS_SCALE, YOLO_ATTR_INT)->i = 4;
  yolo_tensor_set_shape (u, YOLO_DTYPE_FLOAT, 4, zd);
}

static gboolean
try_up2 (YoloGraph * g, YoloNode * conv)
{
  ConvParams p;
  YoloNode *cat, *rs;
  YoloTensor *s, *x;
  int k, wu, ws, *in;

  if (conv->removed || strcmp (conv->op_type, "Conv") || conv->qepi
      || conv->n_outputs != 1 || conv->n_inputs < 2 || conv->n_inputs > 3
      || conv->inputs[0] < 0 || conv->residual == conv->inputs[0]
      || !up2_geometry (g, conv, &p))
    return FALSE;
  if (yolo_graph_sole_reader (g, conv->inputs[0], NULL, NULL) != conv)
    return FALSE;
  cat = yolo_graph_producer (g, conv->inputs[0]);
  rs = match_concat (g, cat, &p, &k, &x, &s);
  if (!rs || !split_weights (g, conv, &p, k, (int) x->dims[1],
          (int) s->dims[1], "", &wu, &ws))
    return FALSE;

  /* the Resize node computes Z into U's tensor, now [1, M, h, w] */
  make_low (g, rs, conv, wu, p.M, -1, 0, NULL);
  in = g_new (int, 4);
  in[0] = cat->inputs[1 - k];
  in[1] = ws;
  in[2] = conv->n_inputs > 2 ? conv->inputs[2] : -1;
  in[3] = cat->inputs[k];
  g_free (conv->inputs);
  conv->inputs = in;
  conv->n_inputs = 4;
  g_free (conv->op_type);
  conv->op_type = g_strdup (YOLO_CONV_UP2_OP);
  cat->removed = TRUE;
  return TRUE;
}

/* The same for a ConvPair of T (its only reader): the Resize node the
 * ConvPair of X computing Z1 and Z2, the pair its up2 form. */
static gboolean
try_up2_pair (YoloGraph * g, YoloNode * pair)
{
  ConvParams p[2];
  YoloNode h[2], *cat, *rs;
  YoloTensor *s, *x, *t;
  int k, wu[2], ws[2], z2 = -1, *in;

  if (pair->removed || strcmp (pair->op_type, YOLO_CONV_PAIR_OP)
      || pair->n_inputs != 6 || pair->n_outputs != 2 || pair->qepi
      || pair->residual >= 0 || pair->inputs[0] < 0
      || pair->inputs[3] != pair->inputs[0])
    return FALSE;
  for (int i = 0; i < 2; i++) {
    yolo_conv_pair_half (pair, i, &h[i]);
    if (!up2_geometry (g, &h[i], &p[i]))
      return FALSE;
  }
  /* T read by the pair's two halves only */
  t = YOLO_T (g, pair->inputs[0]);
  if (t->is_output || t->n_uses != 2 || p[0].C != p[1].C
      || p[0].H != p[1].H || p[0].W != p[1].W)
    return FALSE;
  cat = yolo_graph_producer (g, pair->inputs[0]);
  rs = match_concat (g, cat, &p[0], &k, &x, &s);
  if (!rs)
    return FALSE;
  {
    /* Z2's name (make_low) must be new */
    char *name = g_strdup_printf ("%s:low2", pair->name);
    gboolean taken = yolo_graph_find_tensor (g, name) >= 0;

    g_free (name);
    if (taken)
      return FALSE;
  }
  for (int i = 0; i < 2; i++)
    if (!split_weights (g, &h[i], &p[i], k, (int) x->dims[1],
            (int) s->dims[1], i ? "2" : "1", &wu[i], &ws[i]))
      return FALSE;
  make_low (g, rs, pair, wu[0], p[0].M, wu[1], p[1].M, &z2);
  in = g_new (int, 8);
  for (int i = 0; i < 2; i++) {
    in[4 * i] = cat->inputs[1 - k];
    in[4 * i + 1] = ws[i];
    in[4 * i + 2] = pair->inputs[3 * i + 2];
    in[4 * i + 3] = i == 0 ? cat->inputs[k] : z2;
  }
  g_free (pair->inputs);
  pair->inputs = in;
  pair->n_inputs = 8;
  cat->removed = TRUE;
  return TRUE;
}

void
yolo_graph_fuse_upsample_conv (YoloGraph * g)
{
  if (!g->fuse_up2)
    return;
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++)
    if (try_up2 (g, YOLO_N (g, i)) || try_up2_pair (g, YOLO_N (g, i)))
      yolo_graph_update_uses (g);
  yolo_graph_update_uses (g);
}
