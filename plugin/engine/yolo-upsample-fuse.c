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
 * goes. yolo-flops.c still counts the model's FLOPs (Z's Conv at 4x). Same launches as before (the Resize's is Z's), different rounding
 * (Z's sums are made apart): within the parity tolerances.
 *
 * Only when g->fuse_up2 (the engine: a wide-vector device, batch 1, no
 * conv_kernel option; YOLO_FUSE_UP2=0 turns it off), for float tensors,
 * no QDQ epilogue, U and T read only there and no graph outputs, a
 * Concat of exactly those two inputs. A Concat both CSP convs read
 * (YOLOv5's C3, YOLOX's CSP: a ConvPair) is left as it is. The Resize
 * node keeps its attributes (no Conv reads them) and its output tensor,
 * now Z's shape. */
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

  if (!yolo_graph_reserve (g, (gint64) M * n * sizeof (float), conv->name,
          NULL))
    return -1;
  d = g_new (float, (gsize) M * n);
  for (int m = 0; m < M; m++)
    memcpy (d + (gsize) m * n, w + (gsize) m * C + off, n * sizeof (float));
  name = g_strdup_printf ("%s:%s", conv->name, part);
  t = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, 4, dims, d);
  g_free (name);
  return t;
}

static gboolean
try_up2 (YoloGraph * g, YoloNode * conv)
{
  ConvParams p;
  YoloNode *cat, *rs = NULL;
  YoloTensor *s, *u, *x;
  gint64 axis, zd[4];
  int k, wu, ws, *in;
  char *name;

  if (conv->removed || strcmp (conv->op_type, "Conv") || conv->qepi
      || conv->n_outputs != 1 || conv->n_inputs < 2 || conv->n_inputs > 3
      || conv->inputs[0] < 0 || conv->residual == conv->inputs[0]
      || !yolo_conv_params (g, conv, &p, NULL) || p.N != 1
      || !yolo_conv_geometry_is_pointwise (&p) || p.H % 2 || p.W % 2
      || YOLO_OUT (g, conv, 0)->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  if (yolo_graph_sole_reader (g, conv->inputs[0], NULL, NULL) != conv)
    return FALSE;
  cat = yolo_graph_producer (g, conv->inputs[0]);
  if (!cat || strcmp (cat->op_type, "Concat") || cat->n_inputs != 2
      || cat->n_outputs != 1 || cat->qepi || cat->act != YOLO_ACT_NONE
      || cat->residual >= 0 || cat->inputs[0] < 0 || cat->inputs[1] < 0
      || cat->inputs[0] == cat->inputs[1])
    return FALSE;
  axis = yolo_node_attr_int (cat, "axis", 0);
  if (axis != 1 && axis != -3)
    return FALSE;
  for (k = 0; k < 2; k++) {
    rs = yolo_graph_producer (g, cat->inputs[k]);
    if (rs && yolo_graph_sole_reader (g, cat->inputs[k], NULL, NULL) == cat
        && is_nearest2x (g, rs))
      break;
  }
  if (k == 2)
    return FALSE;
  u = YOLO_T (g, cat->inputs[k]);
  s = YOLO_T (g, cat->inputs[1 - k]);
  x = YOLO_IN (g, rs, 0);
  if (s->dtype != YOLO_DTYPE_FLOAT || s->ndim != 4 || s->dims[0] != 1
      || s->dims[2] != p.H || s->dims[3] != p.W || u->ndim != 4
      || u->dims[1] != x->dims[1] || u->dims[2] != p.H || u->dims[3] != p.W
      || x->dims[1] + s->dims[1] != p.C)
    return FALSE;
  /* W_U and W_S: the Concat's channels U first (k = 0) or S first */
  wu = weight_slice (g, conv, YOLO_IN (g, conv, 1)->data, p.M, p.C,
      k == 0 ? 0 : (int) s->dims[1], (int) x->dims[1], "up2_w_upsampled");
  if (wu < 0)
    return FALSE;
  ws = weight_slice (g, conv, YOLO_IN (g, conv, 1)->data, p.M, p.C,
      k == 0 ? (int) x->dims[1] : 0, (int) s->dims[1], "up2_w_skip");
  if (ws < 0)
    return FALSE;

  /* the Resize node computes Z into U's tensor, now [1, M, h, w] */
  in = g_new (int, 2);
  in[0] = rs->inputs[0];
  in[1] = wu;
  g_free (rs->inputs);
  rs->inputs = in;
  rs->n_inputs = 2;
  g_free (rs->op_type);
  rs->op_type = g_strdup ("Conv");
  name = g_strdup_printf ("%s:low", conv->name);
  g_free (rs->name);
  rs->name = name;
  yolo_node_add_attr (rs, YOLO_CONV_UP2_FLOPS_SCALE, YOLO_ATTR_INT)->i = 4;
  zd[0] = 1;
  zd[1] = p.M;
  zd[2] = p.H / 2;
  zd[3] = p.W / 2;
  yolo_tensor_set_shape (u, YOLO_DTYPE_FLOAT, 4, zd);

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

void
yolo_graph_fuse_upsample_conv (YoloGraph * g)
{
  if (!g->fuse_up2)
    return;
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++)
    if (try_up2 (g, YOLO_N (g, i)))
      yolo_graph_update_uses (g);
  yolo_graph_update_uses (g);
}
