/* yolo-flops.c - FLOPs of a node from its inferred shapes (see
 * yolo-flops.h for what each op counts). */
#include "yolo-flops.h"
#include "ops/conv.h"
#include "ops/dwsep.h"

#include <string.h>

static const char *const eltwise_ops[] = {
  "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sqrt",
  "Reciprocal", "Exp", "Log", "Neg", "Abs", "Floor", "Ceil", "Round", "Erf",
  "Sin", "Cos", "Tanh", "Sigmoid", "Relu", "LeakyRelu", "Elu", "HardSigmoid",
  "HardSwish", "Clip", "PRelu", "Sign", NULL
};

static const char *const reduce_ops[] = {
  "GlobalAveragePool", "GlobalMaxPool", "ReduceSum", "ReduceMean",
  "ReduceMax", "ReduceMin", "ReduceL2", "ReduceSumSquare", NULL
};

static gboolean
in_list (const char *op, const char *const *list)
{
  for (guint i = 0; list[i]; i++)
    if (strcmp (op, list[i]) == 0)
      return TRUE;
  return FALSE;
}

/* numel of t, or -1 when t is absent or its shape unknown or invalid */
static gint64
numel_known (const YoloTensor * t)
{
  gint64 n = 1;

  if (t == NULL || t->ndim < 0 || !yolo_dims_numel (t->ndim, t->dims, &n))
    return -1;
  return n;
}

/* For a ConvPair or ConvMulti (ops/conv.h): *sum = fn summed over its
 * Convs, TRUE; FALSE for other nodes. */
static gboolean
conv_parts_sum (YoloGraph * g, const YoloNode * n,
    double (*fn) (YoloGraph *, const YoloNode *), double *sum)
{
  *sum = 0;
  if (n->op_type && strcmp (n->op_type, YOLO_CONV_PAIR_OP) == 0) {
    YoloNode h;
    for (int k = 0; k < 2 && (n->n_inputs == 6 || n->n_inputs == 8)
        && n->n_outputs == 2; k++) {
      yolo_conv_pair_half (n, k, &h);
      *sum += fn (g, &h);
    }
    /* a ConvPair that computes ConvUpsampleAdds' Z (yolo-upsample-fuse.c)
     * counts as the model's 1x1s of the upsampled channels did */
    *sum *= yolo_node_attr_int (n, YOLO_CONV_UP2_FLOPS_SCALE, 1);
    return TRUE;
  }
  if (n->op_type && strcmp (n->op_type, YOLO_CONV_MULTI_OP) == 0) {
    YoloConvMultiMember m;
    for (int k = 0; k < yolo_conv_multi_count (n); k++) {
      yolo_conv_multi_member (g, n, k, &m);
      *sum += fn (g, &m.node);
    }
    return TRUE;
  }
  return FALSE;
}

double
yolo_node_macs (YoloGraph * g, const YoloNode * n)
{
  const char *op = n->op_type;
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *w = YOLO_IN (g, n, 1);
  YoloTensor *y = n->n_outputs > 0 ? YOLO_OUT (g, n, 0) : NULL;
  gint64 nx = numel_known (x), nw = numel_known (w), ny = numel_known (y);
  double parts;

  if (conv_parts_sum (g, n, yolo_node_macs, &parts))
    return parts;
  if (op && strcmp (op, "ScaledDotProductAttention") == 0) {
    /* dims B0, B1, D, DV, NQ, NK (ops/attention.h): Q K^T and P V */
    int nd = 0;
    const gint64 *d = yolo_node_attr_ints (n, "dims", &nd);
    return d && nd == 6 ? (double) d[0] * d[1] * d[4] * d[5] * (d[2] + d[3])
        : 0;
  }
  if (op == NULL || nx < 0 || nw < 0 || ny < 0 || x->ndim < 1 || w->ndim < 1)
    return 0;
  if (strcmp (op, "Conv") == 0 || strcmp (op, "ConvInteger") == 0
      || strcmp (op, "ConvIntegerToFloat") == 0
      || strcmp (op, YOLO_CONV_UP2_OP) == 0) {
    /* W [Cout, Cin/group, k...]: each output element is Cin/group*k MACs;
     * a ConvUpsampleAdd's low-resolution Conv counts as the model's 1x1 of
     * the upsampled channels did (YOLO_CONV_UP2_FLOPS_SCALE: 4), as
     * Winograd counts the direct algorithm's */
    if (w->dims[0] <= 0)
      return 0;
    return (double) (nw / w->dims[0]) * ny
        * yolo_node_attr_int (n, YOLO_CONV_UP2_FLOPS_SCALE, 1);
  }
  if (strcmp (op, YOLO_DWSEP_OP) == 0) {
    /* the depthwise W [Cd, 1, kh, kw] and the pointwise WP [M, Cd, 1, 1]
     * over the Ho x Wo output pixels (ops/dwsep.h) */
    YoloTensor *wp = YOLO_IN (g, n, 3);
    gint64 nwp = numel_known (wp);
    if (nwp <= 0 || wp->dims[0] <= 0)
      return 0;
    return (double) (nw + nwp) * (ny / wp->dims[0]);
  }
  if (strcmp (op, "ConvTranspose") == 0) {
    /* W [Cin, Cout/group, k...]: each input element scatters Cout/group*k */
    if (w->dims[0] <= 0)
      return 0;
    return (double) (nw / w->dims[0]) * nx;
  }
  if (strcmp (op, "MatMul") == 0 || strcmp (op, "MatMulInteger") == 0)
    return (double) x->dims[x->ndim - 1] * ny;
  if (strcmp (op, "Gemm") == 0 && x->ndim == 2) {
    gint64 k = yolo_node_attr_int (n, "transA", 0) ? x->dims[0] : x->dims[1];
    return ny * (double) k;
  }
  return 0;
}

double
yolo_node_flops (YoloGraph * g, const YoloNode * n)
{
  const char *op = n->op_type;
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *y = n->n_outputs > 0 ? YOLO_OUT (g, n, 0) : NULL;
  gint64 nx = numel_known (x), ny = numel_known (y);
  double f = 0;

  if (op == NULL || ny < 0)
    return 0;
  if (conv_parts_sum (g, n, yolo_node_flops, &f))
    return f;
  if (strcmp (op, "Conv") == 0 || strcmp (op, "ConvTranspose") == 0
      || strcmp (op, "MatMul") == 0 || strcmp (op, "Gemm") == 0
      || strcmp (op, "ConvInteger") == 0
      || strcmp (op, "ConvIntegerToFloat") == 0
      || strcmp (op, "MatMulInteger") == 0 || strcmp (op, YOLO_DWSEP_OP) == 0)
    f = 2.0 * yolo_node_macs (g, n);
  else if (strcmp (op, YOLO_CONV_UP2_OP) == 0)
    /* the 1x1 of S, plus the add of up2 (Z) per output */
    f = 2.0 * yolo_node_macs (g, n) + ny;
  else if (strcmp (op, "ScaledDotProductAttention") == 0) {
    /* the two products, plus the scale and the softmax (1 + 3 per score,
     * as the unfused Mul and Softmax count) */
    int nd = 0;
    const gint64 *d = yolo_node_attr_ints (n, "dims", &nd);
    f = 2.0 * yolo_node_macs (g, n)
        + (d && nd == 6 ? 4.0 * d[0] * d[1] * d[4] * d[5] : 0);
  } else if (in_list (op, eltwise_ops))
    f = (double) ny;
  else if (strcmp (op, "Softmax") == 0 || strcmp (op, "LogSoftmax") == 0)
    f = 3.0 * ny;
  else if (strcmp (op, "BatchNormalization") == 0)
    f = 2.0 * ny;
  else if (strcmp (op, "LayerNormalization") == 0
      || strcmp (op, "InstanceNormalization") == 0)
    f = 5.0 * ny;
  else if (strcmp (op, "MaxPool") == 0 || strcmp (op, "AveragePool") == 0) {
    int nk = 0;
    const gint64 *k = yolo_node_attr_ints (n, "kernel_shape", &nk);
    double win = 1;
    for (int i = 0; k && i < nk; i++)
      win *= k[i] > 0 ? (double) k[i] : 0.0;
    f = k ? win * ny : 0;
  } else if (in_list (op, reduce_ops))
    f = nx > 0 ? (double) nx : 0;

  /* fused epilogue (yolo-fuse.c): activation, then the residual add */
  if (n->act != YOLO_ACT_NONE)
    f += (double) ny;
  if (n->residual >= 0)
    f += (double) ny;
  return f;
}

double
yolo_graph_flops (YoloGraph * g)
{
  double f = 0;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed)
      f += yolo_node_flops (g, n);
  }
  return f;
}
