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
 * usually feeds several ConvIntegers.
 *
 * Then the float emulation (unless int8_compute is "integer"): where a
 * DynamicQuantizeLinear's y feeds only ConvIntegerToFloat nodes whose
 * scale m is Mul(its y_scale, w_scale) with w_scale a constant (one value
 * or one per output channel), as quantize_dynamic writes it,
 *
 *   DynamicQuantizeLinear -> y (uint8)      => DynamicQuantizeDequantize-
 *                                              Linear -> float(q - zp) * sx
 *   ConvIntegerToFloat(y, w, zp, w_zp, m, b) => Conv(y, (w - w_zp) * sw, b)
 *
 * sum((q - zp) * (w - w_zp)) * sx * sw + b computed as a float Conv of the
 * fake-quantised input with the dequantised weights: equal up to float
 * rounding of the products and the sum (the integer form is exact), and
 * it runs on every float conv kernel (Winograd, direct, depthwise)
 * instead of the integer kernels. Except (int8_compute "auto", g->int8_dot)
 * where every reader is a conv that the integer dot-product kernels take
 * (ops/quant-dot.h: 1x1, 3x3 stride 1 and 3x3 stride 2;
 * backend-opencl/conv-int8.c): exact and faster
 * than the float FMAs there, so those stay integer.
 *
 * Then the scale products: quantize_dynamic computes each ConvInteger's
 * m = Mul(x_scale, w_scale) (w_scale a constant) as a node of its own, one
 * launch of one to M values per conv. A DynamicQuantizeLinear that stays
 * integer takes up to YOLO_DQL_MAX_PRODUCTS of the Muls reading its
 * y_scale as extra inputs (w_scale) and outputs (the Mul's output, now
 * x_scale * w_scale written by the quantising launch; ops/quant.c): the
 * same float multiply, so the same values, and the Mul launches go.
 *
 * Static QDQ (quantize_static): a QuantizeLinear -> DequantizeLinear pair
 * with the same scale, zero point and axis on an activation becomes one
 * QuantizeDequantizeLinear (the fake quantisation, float in, float out;
 * ops/qdq.c); DequantizeLinear of constant weights and biases was folded
 * into float constants at load. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/qdq.h"
#include "ops/quant.h"
#include "ops/quant-dot.h"

#include <string.h>

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

/* per_channel_operand, or one value / M values per image of y's batch
 * ([N, 1, 1, 1] / [N, M, 1, 1]: the scale made from a per_image
 * DynamicQuantizeLinear's, ops/quant.h). */
static gboolean
scale_operand (const YoloTensor * t, const YoloTensor * y)
{
  return per_channel_operand (t, y) || (t->dtype == YOLO_DTYPE_FLOAT
      && y->ndim == 4 && (yolo_qconv_per_image (t, y->dims[0], 1)
          || yolo_qconv_per_image (t, y->dims[0], y->dims[1])));
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
  cast = yolo_graph_sole_reader (g, conv->outputs[0], &j, &cast_i);
  /* to float32 only: a Cast to float16 / bfloat16 (also FLOAT here) rounds */
  if (!cast || strcmp (cast->op_type, "Cast")
      || yolo_node_attr_int (cast, "to", 0) != YOLO_DTYPE_FLOAT)
    return FALSE;
  mul = yolo_graph_sole_reader (g, cast->outputs[0], &j, &mul_i);
  if (!mul || strcmp (mul->op_type, "Mul") || mul->n_inputs != 2
      || mul->inputs[0] == mul->inputs[1])
    return FALSE;
  m_idx = mul->inputs[1 - j];
  m = YOLO_T (g, m_idx);
  if (!scale_operand (m, y)
      || !yolo_tensor_same_shape (YOLO_OUT (g, mul, 0), y))
    return FALSE;
  last = mul;
  last_i = mul_i;
  add = yolo_graph_sole_reader (g, mul->outputs[0], &j, &add_i);
  if (add && !strcmp (add->op_type, "Add") && add->n_inputs == 2
      && add->inputs[0] != add->inputs[1]) {
    YoloTensor *b = YOLO_T (g, add->inputs[1 - j]);
    if (yolo_tensor_is_const (b) && yolo_tensor_numel (b) == y->dims[1]
        && per_channel_operand (b, y)
        && yolo_tensor_same_shape (YOLO_OUT (g, add, 0), y)) {
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

/* TRUE when QuantizeLinear q and DequantizeLinear d use the same type,
 * scales, zero points and axis. */
static gboolean
same_qparams (YoloGraph * g, YoloNode * q, YoloNode * d)
{
  QdqParams a, b;
  gboolean same;

  if (!yolo_qdq_params (g, q, &a, NULL))
    return FALSE;
  if (!yolo_qdq_params (g, d, &b, NULL)) {
    yolo_qdq_params_clear (&a);
    return FALSE;
  }
  same = a.qtype == b.qtype && a.channels == b.channels && a.inner == b.inner
      && !memcmp (a.scale, b.scale, a.channels * sizeof (float))
      && !memcmp (a.zero_point, b.zero_point, a.channels * sizeof (gint32));
  yolo_qdq_params_clear (&a);
  yolo_qdq_params_clear (&b);
  return same;
}

static void
fuse_qdq_pairs (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *d = YOLO_N (g, i), *q;
    YoloTensor *t;
    int *inputs;

    if (d->removed || strcmp (d->op_type, "DequantizeLinear"))
      continue;
    t = YOLO_IN (g, d, 0);
    if (t->producer < 0)
      continue;
    q = YOLO_N (g, t->producer);
    if (strcmp (q->op_type, "QuantizeLinear") || !same_qparams (g, q, d))
      continue;
    inputs = g_new (int, 3);
    for (int j = 0; j < 3; j++)
      inputs[j] = j < q->n_inputs ? q->inputs[j] : -1;
    g_free (d->inputs);
    d->inputs = inputs;
    d->n_inputs = 3;
    g_free (d->op_type);
    d->op_type = g_strdup ("QuantizeDequantizeLinear");
    /* without a zero point q's type is its output_dtype: keep it */
    if (yolo_node_attr (q, "output_dtype")
        && !yolo_node_attr (d, "output_dtype"))
      yolo_node_add_attr (d, "output_dtype", YOLO_ATTR_INT)->i =
          yolo_node_attr_int (q, "output_dtype", 0);
  }
  /* a QuantizeLinear all of whose DequantizeLinears were fused is dead:
   * drop it now, so it no longer counts as a reader of its input */
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *q = YOLO_N (g, i);
    if (!q->removed && !strcmp (q->op_type, "QuantizeLinear")
        && YOLO_OUT (g, q, 0)->n_uses == 0 && !YOLO_OUT (g, q, 0)->is_output)
      q->removed = TRUE;
  }
  yolo_graph_update_uses (g);
}

/* The constant w_scale when m is Mul(sx, w_scale) (either order), with
 * w_scale one value or M float values; else NULL. */
static YoloTensor *
weight_scale (YoloGraph * g, YoloTensor * m, int sx, int M)
{
  YoloNode *mul;
  YoloTensor *ws;
  gint64 cnt;

  if (m->producer < 0)
    return NULL;
  mul = YOLO_N (g, m->producer);
  if (strcmp (mul->op_type, "Mul") || mul->n_inputs != 2)
    return NULL;
  if (mul->inputs[0] == sx)
    ws = YOLO_IN (g, mul, 1);
  else if (mul->inputs[1] == sx)
    ws = YOLO_IN (g, mul, 0);
  else
    return NULL;
  cnt = yolo_tensor_numel (ws);
  if (!yolo_tensor_is_const (ws) || ws->dtype != YOLO_DTYPE_FLOAT
      || (cnt != 1 && cnt != M))
    return NULL;
  return ws;
}

/* ConvIntegerToFloat node c (checked by yolo_qconv_geom, its weights'
 * bytes reserved) as a float Conv with weights (w - w_zp) * w_scale. */
static void
conv_to_float (YoloGraph * g, YoloNode * c, YoloTensor * ws)
{
  QConvGeom p;
  YoloTensor *w = YOLO_IN (g, c, 1);
  gint32 *wi;
  float *wf;
  gsize per, total;
  char *name;
  int widx, bias = c->inputs[5], *inputs;

  yolo_qconv_geom (g, c, &p, NULL);
  per = (gsize) p.Cg * p.kh * p.kw;
  total = per * p.M;
  wi = yolo_qconv_weights (g, c, &p);
  wf = g_new (float, total);
  for (int m = 0; m < p.M; m++) {
    float s = ((const float *) ws->data)[yolo_tensor_numel (ws) > 1 ? m : 0];
    for (gsize i = 0; i < per; i++)
      wf[m * per + i] = (float) wi[m * per + i] * s;
  }
  g_free (wi);
  name = g_strdup_printf ("%s#dequantized", w->name);
  widx = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, 4, w->dims, wf);
  g_free (name);
  if (bias >= 0) {
    /* Conv wants the bias as [M] (the fused form takes any [.., M, ..]) */
    YoloTensor *b = YOLO_T (g, bias);
    gint64 dims[1] = { p.M };
    name = g_strdup_printf ("%s#bias", b->name);
    bias = yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, 1, dims,
        g_memdup2 (b->data, p.M * sizeof (float)));
    g_free (name);
  }
  inputs = g_new (int, 3);
  inputs[0] = c->inputs[0];
  inputs[1] = widx;
  inputs[2] = bias;
  g_free (c->inputs);
  c->inputs = inputs;
  c->n_inputs = bias >= 0 ? 3 : 2;
  g_free (c->op_type);
  c->op_type = g_strdup ("Conv");
}

/* The float emulation of one DynamicQuantizeLinear node d and the
 * ConvIntegerToFloat nodes reading its y (see the top of the file). */
static void
emulate_dynamic (YoloGraph * g, YoloNode * d)
{
  YoloTensor *y = YOLO_OUT (g, d, 0), **ws;
  GPtrArray *convs;
  gboolean ok = !y->is_output && d->n_outputs == 3 && y->n_uses > 0;
  gboolean dot = g->int8_dot;

  convs = g_ptr_array_new ();
  ws = g_new0 (YoloTensor *, g->nodes->len);
  for (guint i = 0; ok && i < g->nodes->len; i++) {
    YoloNode *c = YOLO_N (g, i);
    QConvGeom p;
    if (c->removed)
      continue;
    for (int j = 0; j < c->n_inputs; j++) {
      if (c->inputs[j] != d->outputs[0])
        continue;
      if (strcmp (c->op_type, "ConvIntegerToFloat") || j != 0
          || c->inputs[2] != d->outputs[2] || c->residual >= 0
          || !yolo_qconv_geom (g, c, &p, NULL)
          || !(ws[convs->len] = weight_scale (g, YOLO_IN (g, c, 4),
                  d->outputs[1], p.M))) {
        ok = FALSE;
        break;
      }
      g_ptr_array_add (convs, c);
      dot = dot && yolo_qdot_supported (g, c);
    }
  }
  /* every reader taken by the integer dot-product kernels: stay integer */
  if (dot && convs->len > 0)
    ok = FALSE;
  /* all or nothing: the input is either uint8 or fake-quantised float */
  for (guint i = 0; ok && i < convs->len; i++) {
    QConvGeom p;
    YoloNode *c = g_ptr_array_index (convs, i);
    if (!yolo_qconv_geom (g, c, &p, NULL)
        || !yolo_graph_reserve (g, ((gint64) p.Cg * p.kh * p.kw + 1) * p.M
            * 4, "", NULL))
      ok = FALSE;
  }
  for (guint i = 0; ok && i < convs->len; i++)
    conv_to_float (g, g_ptr_array_index (convs, i), ws[i]);
  if (ok) {
    g_free (d->op_type);
    d->op_type = g_strdup ("DynamicQuantizeDequantizeLinear");
    yolo_tensor_set_shape (y, YOLO_DTYPE_FLOAT, y->ndim, y->dims);
  }
  g_free (ws);
  g_ptr_array_free (convs, TRUE);
}

/* The scale products of DynamicQuantizeLinear d (see the top of the
 * file): Muls of d's scalar y_scale and a float constant of the Mul
 * output's shape, whose output is read (not a graph output), no fused
 * epilogue. */
static void
fold_scale_products (YoloGraph * g, YoloNode * d)
{
  YoloTensor *sx;
  YoloNode *muls[YOLO_DQL_MAX_PRODUCTS];
  int k = 0, *ins, *outs;

  if (d->n_inputs != 1 || d->n_outputs != 3
      || yolo_node_attr_int (d, "per_image", 0))
    return;
  sx = YOLO_OUT (g, d, 1);
  if (sx->ndim != 0 || sx->dtype != YOLO_DTYPE_FLOAT)
    return;
  for (guint i = 0; i < g->nodes->len && k < YOLO_DQL_MAX_PRODUCTS; i++) {
    YoloNode *m = YOLO_N (g, i);
    YoloTensor *w, *o;
    if (m->removed || strcmp (m->op_type, "Mul") || m->n_inputs != 2
        || m->n_outputs != 1 || m->act != YOLO_ACT_NONE || m->residual >= 0
        || m->inputs[0] == m->inputs[1]
        || (m->inputs[0] != d->outputs[1] && m->inputs[1] != d->outputs[1]))
      continue;
    w = YOLO_IN (g, m, m->inputs[0] == d->outputs[1] ? 1 : 0);
    o = YOLO_OUT (g, m, 0);
    if (!yolo_tensor_is_const (w) || w->dtype != YOLO_DTYPE_FLOAT
        || o->dtype != YOLO_DTYPE_FLOAT || !yolo_tensor_same_shape (o, w)
        || o->is_output || o->n_uses == 0)
      continue;
    muls[k++] = m;
  }
  if (k == 0)
    return;
  ins = g_new (int, 1 + k);
  outs = g_new (int, 3 + k);
  ins[0] = d->inputs[0];
  memcpy (outs, d->outputs, 3 * sizeof (int));
  for (int j = 0; j < k; j++) {
    YoloNode *m = muls[j];
    ins[1 + j] = m->inputs[m->inputs[0] == d->outputs[1] ? 1 : 0];
    outs[3 + j] = m->outputs[0];
    m->removed = TRUE;
  }
  g_free (d->inputs);
  g_free (d->outputs);
  d->inputs = ins;
  d->outputs = outs;
  d->n_inputs = 1 + k;
  d->n_outputs = 3 + k;
  yolo_graph_update_uses (g);
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
  fuse_qdq_pairs (g);
  for (guint i = 0; !g->int8_integer && i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "DynamicQuantizeLinear"))
      emulate_dynamic (g, n);
  }
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "DynamicQuantizeLinear"))
      fold_scale_products (g, n);
  }
}
