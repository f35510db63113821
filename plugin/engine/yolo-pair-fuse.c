/* yolo-pair-fuse.c - sibling 1x1 Convs of one input as one ConvPair node
 * (ops/conv.h), which conv-cpu-1x1-pair runs as one launch on wide-vector
 * devices (PoCL). YOLOv5's C3 and YOLOX's CSP blocks start with two 1x1
 * convs (cv1, cv2) of the block's input, YOLOX's head with reg_preds and
 * obj_preds of one feature map: on PoCL each launch costs ~20 us of a core
 * in hand-over, so a launch less is time on the small models.
 *
 * A pair: two Convs of the same input X, each 1x1 stride 1 no padding,
 * group 1, batch 1, float weights (and bias), no fused residual or QDQ
 * epilogue (each keeps its fused activation). The ConvPair replaces the earlier of
 * the two (inputs [X, W1, B1, X, W2, B2], outputs [Y1, Y2]: both keep
 * their tensors, so the consumers and the memory plan's placements are
 * unchanged); the later is removed (its output is now produced earlier,
 * which the topological order allows: X and the constants exist there).
 * Each conv pairs at most once. Only when g->conv_pair (the engine: a
 * wide-vector device, batch 1, no conv_kernel option). */
#include <string.h>

#include "yolo-graph.h"
#include "ops/conv.h"

/* n's ConvParams when it is a Conv that may pair, else FALSE. */
static gboolean
pairable (YoloGraph * g, YoloNode * n, ConvParams * p)
{
  YoloTensor *x;

  if (n->removed || strcmp (n->op_type, "Conv") || n->n_inputs < 2
      || n->n_inputs > 3 || n->n_outputs != 1 || n->residual >= 0 || n->qepi
      || n->inputs[0] < 0)
    return FALSE;
  x = YOLO_IN (g, n, 0);
  if (x->dtype != YOLO_DTYPE_FLOAT || !yolo_conv_params (g, n, p, NULL))
    return FALSE;
  return p->N == 1 && yolo_conv_geometry_is_pointwise (p) && p->dh == 1
      && p->dw == 1 && YOLO_OUT (g, n, 0)->dtype == YOLO_DTYPE_FLOAT;
}

/* a and the later b become one ConvPair at a's place (a's attributes
 * stay; b's activation as YOLO_CONV_PAIR_ACT2*). */
static void
make_pair (YoloNode * a, YoloNode * b)
{
  int *in = g_new (int, 6), *out = g_new (int, 2);
  YoloAttr *params;

  for (int k = 0; k < 3; k++) {
    in[k] = k < a->n_inputs ? a->inputs[k] : -1;
    in[3 + k] = k < b->n_inputs ? b->inputs[k] : -1;
  }
  out[0] = a->outputs[0];
  out[1] = b->outputs[0];
  g_free (a->inputs);
  g_free (a->outputs);
  a->inputs = in;
  a->n_inputs = 6;
  a->outputs = out;
  a->n_outputs = 2;
  g_free (a->op_type);
  a->op_type = g_strdup (YOLO_CONV_PAIR_OP);
  yolo_node_add_attr (a, YOLO_CONV_PAIR_ACT2, YOLO_ATTR_INT)->i = b->act;
  params = yolo_node_add_attr (a, YOLO_CONV_PAIR_ACT2_PARAMS, YOLO_ATTR_FLOATS);
  params->n = 2;
  params->floats = g_new (float, 2);
  params->floats[0] = b->act_alpha;
  params->floats[1] = b->act_beta;
  b->removed = TRUE;
}

void
yolo_graph_fuse_conv_pairs (YoloGraph * g)
{
  if (!g->conv_pair)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *a = YOLO_N (g, i);
    ConvParams pa, pb;

    if (!pairable (g, a, &pa))
      continue;
    for (guint j = i + 1; j < g->nodes->len; j++) {
      YoloNode *b = YOLO_N (g, j);

      if (b->removed || b->inputs == NULL || b->n_inputs < 1
          || b->inputs[0] != a->inputs[0] || !pairable (g, b, &pb)
          || pa.C != pb.C)
        continue;
      make_pair (a, b);
      break;
    }
  }
  yolo_graph_update_uses (g);
}
