/* yolo-dwsep-fuse.c - the depthwise-separable pass: a depthwise Conv
 *   D = Conv (X, W [Cd, 1, 3, 3], B, group C, stride 1, pad 1,
 *             dilation 1) with its fused activation, no residual
 * whose output D only a pointwise Conv reads
 *   Y = Conv (D, WP [M, Cd, 1, 1], BP, group 1, stride 1, no pad)
 *       with its fused activation and residual
 * (YOLOX's DWConv; the DWConv -> Conv pairs of the Ultralytics heads'
 * cv3) becomes one DepthwiseSeparableConv node (ops/dwsep.h) in the
 * pointwise Conv's place: one launch, D never written to memory. Only
 * when g->fuse_dwsep (the device runs the fused kernel: wide-vector CPU
 * devices, backend-opencl/conv-dwsep.c, whose supports accepts every
 * node made here), batch 1, no QDQ epilogue on either conv, D no graph
 * output, and at most DWSEP_MAX_C depthwise channels (the kernel's local
 * tile). Anything else is left as it is. */
#include "yolo-graph.h"
#include "ops/dwsep.h"

#include <string.h>

/* Depthwise channels at most (the kernel's __local tile of 32 pixels:
 * 64 KiB). */
#define DWSEP_MAX_C 512

static gboolean
pads_all (const ConvParams * p, int v)
{
  return p->pt == v && p->pl == v && p->pb == v && p->pr == v;
}

static gboolean
try_dwsep (YoloGraph * g, YoloNode * pw)
{
  ConvParams q, p;
  YoloTensor *d;
  YoloNode *dw;
  YoloAttr *attrs, *a;
  int n_attrs, in[5];

  if (pw->n_inputs < 2 || pw->n_outputs != 1 || pw->qepi
      || pw->inputs[0] < 0 || !yolo_conv_params (g, pw, &q, NULL)
      || q.N != 1 || !yolo_conv_geometry_is_pointwise (&q))
    return FALSE;
  d = YOLO_T (g, pw->inputs[0]);
  if (d->is_output || d->n_uses != 1 || pw->residual == pw->inputs[0])
    return FALSE;
  dw = yolo_graph_producer (g, pw->inputs[0]);
  if (!dw || dw->removed || strcmp (dw->op_type, "Conv") || dw->qepi
      || dw->n_outputs != 1 || dw->residual >= 0 || dw->n_inputs < 2
      || !yolo_conv_params (g, dw, &p, NULL) || p.N != 1 || p.Cg != 1
      || p.group != p.C || p.kh != 3 || p.kw != 3 || p.sh != 1 || p.sw != 1
      || p.dh != 1 || p.dw != 1 || !pads_all (&p, 1) || p.M > DWSEP_MAX_C)
    return FALSE;

  in[0] = dw->inputs[0];
  in[1] = dw->inputs[1];
  in[2] = dw->n_inputs > 2 ? dw->inputs[2] : -1;
  in[3] = pw->inputs[1];
  in[4] = pw->n_inputs > 2 ? pw->inputs[2] : -1;
  g_free (pw->op_type);
  pw->op_type = g_strdup (YOLO_DWSEP_OP);
  pw->inputs = g_renew (int, pw->inputs, 5);
  pw->n_inputs = 5;
  memcpy (pw->inputs, in, sizeof (in));
  /* the depthwise conv's attributes (its geometry) */
  attrs = pw->attrs;
  n_attrs = pw->n_attrs;
  pw->attrs = dw->attrs;
  pw->n_attrs = dw->n_attrs;
  dw->attrs = attrs;
  dw->n_attrs = n_attrs;
  yolo_node_add_attr (pw, "depthwise_activation", YOLO_ATTR_INT)->i = dw->act;
  a = yolo_node_add_attr (pw, "depthwise_alpha", YOLO_ATTR_FLOAT);
  a->f = dw->act_alpha;
  a = yolo_node_add_attr (pw, "depthwise_beta", YOLO_ATTR_FLOAT);
  a->f = dw->act_beta;
  dw->removed = TRUE;
  return TRUE;
}

void
yolo_graph_fuse_dwsep (YoloGraph * g)
{
  gboolean changed = FALSE;

  if (!g->fuse_dwsep)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Conv"))
      changed |= try_dwsep (g, n);
  }
  if (changed)
    yolo_graph_update_uses (g);
}
