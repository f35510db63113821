/* yolo-quant-fuse.c - the fusion pass of onnxruntime's dynamic int8
 * quantisation (quantize_dynamic):
 *
 *   ConvInteger(xq, w, x_zp, w_zp) -> Cast(to float) -> Mul(., m)
 *     [-> Add(., bias)]
 *   => ConvIntegerToFloat(xq, w, x_zp, w_zp, m, bias)   (ops/quant.c)
 *
 * m is the per-frame x_scale * w_scale (one value, or one per output
 * channel), bias a constant with one value per output channel (the Reshape
 * of the Conv bias, folded). The int32 intermediate never reaches the
 * arena, and the fused node then takes the activation / residual fusions
 * of yolo-fuse.c like a Conv. Only when every intermediate tensor has this
 * one consumer and is no graph output; anything else keeps its own ops.
 * DynamicQuantizeLinear stays a node of its own: one quantised activation
 * usually feeds several ConvIntegers. */
#include "yolo-graph.h"
#include "yolo-ops.h"

#include <string.h>

/* The single non-removed consumer of tensor t when t is used once and is
 * no graph output; else NULL. */
static YoloNode *
only_consumer (YoloGraph * g, int t, int *which_input, guint * index)
{
  YoloTensor *tt = YOLO_T (g, t);

  if (tt->is_output || tt->n_uses != 1)
    return NULL;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || n->residual == t)
      continue;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] == t) {
        *which_input = j;
        *index = i;
        return n;
      }
  }
  return NULL;
}

/* TRUE when t (numel 1, or M values along axis 1 of a 4D output) can be
 * broadcast onto the conv output y without changing y's shape. */
static gboolean
per_channel_operand (const YoloTensor * t, const YoloTensor * y)
{
  gint64 numel = yolo_tensor_numel (t);

  if (t->dtype != YOLO_DTYPE_FLOAT || t->ndim > 4 || y->ndim != 4)
    return FALSE;
  if (numel == 1)
    return TRUE;
  if (numel != y->dims[1])
    return FALSE;
  /* Right-aligned against [1, M, Ho, Wo]: M must sit on axis 1. */
  for (int i = 0; i < t->ndim; i++) {
    int axis = 4 - t->ndim + i;
    if (t->dims[i] != 1 && axis != 1)
      return FALSE;
  }
  return TRUE;
}

static gboolean
same_shape (const YoloTensor * a, const YoloTensor * b)
{
  if (a->ndim != b->ndim)
    return FALSE;
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return FALSE;
  return TRUE;
}

static gboolean
try_fuse (YoloGraph * g, guint ci)
{
  YoloNode *conv = YOLO_N (g, ci), *cast, *mul, *add, *last;
  YoloTensor *y = YOLO_OUT (g, conv, 0), *m;
  guint cast_i, mul_i, add_i, last_i;
  int j, m_idx, bias_idx = -1, *inputs;

  if (conv->n_outputs != 1 || conv->n_inputs < 2)
    return FALSE;
  cast = only_consumer (g, conv->outputs[0], &j, &cast_i);
  if (!cast || strcmp (cast->op_type, "Cast")
      || YOLO_OUT (g, cast, 0)->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  mul = only_consumer (g, cast->outputs[0], &j, &mul_i);
  if (!mul || strcmp (mul->op_type, "Mul") || mul->n_inputs != 2
      || mul->inputs[0] == mul->inputs[1])
    return FALSE;
  m_idx = mul->inputs[1 - j];
  m = YOLO_T (g, m_idx);
  if (!per_channel_operand (m, y) || !same_shape (YOLO_OUT (g, mul, 0), y))
    return FALSE;
  last = mul;
  last_i = mul_i;
  add = only_consumer (g, mul->outputs[0], &j, &add_i);
  if (add && !strcmp (add->op_type, "Add") && add->n_inputs == 2
      && add->inputs[0] != add->inputs[1]) {
    YoloTensor *b = YOLO_T (g, add->inputs[1 - j]);
    if (yolo_tensor_is_const (b) && yolo_tensor_numel (b) == y->dims[1]
        && per_channel_operand (b, y)
        && same_shape (YOLO_OUT (g, add, 0), y)) {
      bias_idx = add->inputs[1 - j];
      last = add;
      last_i = add_i;
    }
  }

  inputs = g_new (int, 6);
  for (int i = 0; i < 4; i++)
    inputs[i] = i < conv->n_inputs ? conv->inputs[i] : -1;
  inputs[4] = m_idx;
  inputs[5] = bias_idx;
  g_free (conv->inputs);
  conv->inputs = inputs;
  conv->n_inputs = 6;
  g_free (conv->op_type);
  conv->op_type = g_strdup ("ConvIntegerToFloat");
  conv->outputs[0] = last->outputs[0];
  cast->removed = TRUE;
  mul->removed = TRUE;
  last->removed = TRUE;
  /* The fused node runs where the chain's last node ran: m is computed
   * before that node, not necessarily before the ConvInteger. */
  g_ptr_array_index (g->nodes, ci) = last;
  g_ptr_array_index (g->nodes, last_i) = conv;
  yolo_graph_update_uses (g);
  return TRUE;
}

void
yolo_graph_fuse_quant (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "ConvInteger"))
      try_fuse (g, i);
  }
}
