/* yolo-fuse.c - graph fusions done once at load:
 *  - Conv -> Sigmoid, Mul(x, sigmoid(x))  => Conv with SiLU epilogue
 *  - Conv -> Relu / LeakyRelu / Sigmoid / HardSigmoid / HardSwish / Clip
 *                                          => Conv with that epilogue
 *  - Conv[+act] -> Add(y, r)               => Conv with residual r
 *  - the same for ConvTranspose (same epilogue, ops/convtranspose.c)
 *  - the same for ConvIntegerToFloat, after the int8 pass
 *    (yolo-quant-fuse.c)
 *  - before them, the Focus stem as one 6x6 stride-2 Conv
 *    (yolo-focus-fuse.c)
 *  - after them, depthwise Conv -> 1x1 Conv => DepthwiseSeparableConv
 *    on devices that run it (yolo-dwsep-fuse.c)
 * Only when the intermediate tensors have no other consumer. */
#include "yolo-graph.h"
#include "yolo-ops.h"

#include <string.h>

/* Replaces conv's output by the output of node `by` and removes `by`. */
static void
absorb (YoloGraph * g, YoloNode * conv, YoloNode * by)
{
  conv->outputs[0] = by->outputs[0];
  by->removed = TRUE;
  yolo_graph_update_uses (g);
}

static gboolean
try_activation (YoloGraph * g, YoloNode * conv)
{
  int y = conv->outputs[0];
  YoloTensor *ty = YOLO_T (g, y);
  YoloNode *c;

  if (ty->is_output || conv->act != YOLO_ACT_NONE || conv->residual >= 0)
    return FALSE;

  /* SiLU: y used by exactly Sigmoid(y) and Mul(y, s). */
  if (ty->n_uses == 2) {
    YoloNode *sig = NULL, *mul = NULL;
    for (guint i = 0; i < g->nodes->len; i++) {
      YoloNode *n = YOLO_N (g, i);
      if (n->removed)
        continue;
      if (!strcmp (n->op_type, "Sigmoid") && n->inputs[0] == y)
        sig = n;
    }
    if (sig && !YOLO_OUT (g, sig, 0)->is_output
        && YOLO_OUT (g, sig, 0)->n_uses == 1) {
      mul = yolo_graph_sole_reader (g, sig->outputs[0], NULL, NULL);
      if (mul) {
        if (strcmp (mul->op_type, "Mul") || mul->n_inputs != 2
            || !((mul->inputs[0] == y && mul->inputs[1] == sig->outputs[0])
                || (mul->inputs[1] == y && mul->inputs[0] == sig->outputs[0])))
          mul = NULL;
      }
    }
    if (sig && mul) {
      sig->removed = TRUE;
      conv->act = YOLO_ACT_SILU;
      absorb (g, conv, mul);
      return TRUE;
    }
    return FALSE;
  }
  if (ty->n_uses != 1)
    return FALSE;
  c = yolo_graph_sole_reader (g, y, NULL, NULL);
  if (!c)
    return FALSE;
  if (!strcmp (c->op_type, "Relu")) {
    conv->act = YOLO_ACT_RELU;
  } else if (!strcmp (c->op_type, "Sigmoid")) {
    conv->act = YOLO_ACT_SIGMOID;
  } else if (!strcmp (c->op_type, "LeakyRelu")) {
    conv->act = YOLO_ACT_LEAKY_RELU;
    conv->act_alpha = yolo_node_attr_float (c, "alpha", 0.01f);
  } else if (!strcmp (c->op_type, "HardSigmoid")) {
    conv->act = YOLO_ACT_HARD_SIGMOID;
    conv->act_alpha = yolo_node_attr_float (c, "alpha", 0.2f);
    conv->act_beta = yolo_node_attr_float (c, "beta", 0.5f);
  } else if (!strcmp (c->op_type, "HardSwish")) {
    conv->act = YOLO_ACT_HARD_SWISH;
  } else if (!strcmp (c->op_type, "Clip")) {
    float lo = -G_MAXFLOAT, hi = G_MAXFLOAT;
    YoloTensor *tlo = YOLO_IN (g, c, 1), *thi = YOLO_IN (g, c, 2);
    if ((tlo && (!yolo_tensor_is_const (tlo)
                || !yolo_dtype_is_float (tlo->dtype)))
        || (thi && (!yolo_tensor_is_const (thi)
                || !yolo_dtype_is_float (thi->dtype))))
      return FALSE;
    if (c->n_inputs < 2) {
      lo = yolo_node_attr_float (c, "min", lo);
      hi = yolo_node_attr_float (c, "max", hi);
    }
    if (tlo)
      lo = ((float *) tlo->data)[0];
    if (thi)
      hi = ((float *) thi->data)[0];
    conv->act = YOLO_ACT_CLIP;
    conv->act_alpha = lo;
    conv->act_beta = hi;
  } else {
    return FALSE;
  }
  absorb (g, conv, c);
  return TRUE;
}

static gboolean
try_residual (YoloGraph * g, guint conv_idx)
{
  YoloNode *conv = YOLO_N (g, conv_idx);
  int y = conv->outputs[0];
  YoloTensor *ty = YOLO_T (g, y), *tr;
  int aj = 0, r;
  YoloNode *add;

  if (ty->is_output || ty->n_uses != 1 || conv->residual >= 0)
    return FALSE;
  add = yolo_graph_sole_reader (g, y, &aj, NULL);
  if (!add)
    return FALSE;
  if (strcmp (add->op_type, "Add") || add->n_inputs != 2
      || add->inputs[0] == add->inputs[1])
    return FALSE;
  r = add->inputs[1 - aj];
  tr = YOLO_T (g, r);
  if (!yolo_tensor_same_shape (tr, ty) || tr->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  /* The residual must exist before the conv runs. */
  if (!yolo_tensor_is_const (tr) && !tr->is_input
      && (tr->producer < 0 || tr->producer >= (int) conv_idx))
    return FALSE;
  conv->residual = r;
  absorb (g, conv, add);
  return TRUE;
}

void
yolo_graph_fuse (YoloGraph * g)
{
  yolo_graph_fuse_quant (g);
  yolo_graph_fuse_qdq (g);
  yolo_graph_fuse_attention (g);
  yolo_graph_fuse_focus (g);
  yolo_graph_fuse_head (g);
  yolo_graph_fuse_topk (g);
  yolo_graph_fuse_anchor (g);
  yolo_graph_fuse_transposed_concat (g);
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || n->n_outputs != 1 || n->qepi
        || (strcmp (n->op_type, "Conv")
            && strcmp (n->op_type, "ConvTranspose")
            && strcmp (n->op_type, "ConvIntegerToFloat")))
      continue;
    try_activation (g, n);
    try_residual (g, i);
  }
  yolo_graph_update_uses (g);
  /* pairs first: the upsample pass takes a ConvPair of the FPN's Concat */
  yolo_graph_fuse_conv_pairs (g);
  yolo_graph_fuse_upsample_conv (g);
  yolo_graph_fuse_conv_multi (g);
  yolo_graph_fuse_dwsep (g);
}
