/* ops/conv.c - ONNX Conv (2D, fp32, batch 1) with a fused epilogue
 * out = act(conv + bias) [+ residual]: attributes, shape inference and the
 * C reference. The device variants are in backend-opencl/conv-*.c. */
#include <math.h>
#include <string.h>

#include "conv.h"
#include "qdq.h"
#include "yolo-engine.h"

gboolean
yolo_conv_float_params (YoloGraph * g, YoloNode * n, gboolean transposed,
    YoloConvGeometry * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *w = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2);
  char buf[128];

  memset (p, 0, sizeof (*p));
  if (x == NULL || w == NULL || n->n_outputs < 1) {
    yolo_op_error (error, n, "needs inputs X and W and one output");
    return FALSE;
  }
  if (!yolo_tensor_is_const (w))
    return yolo_op_unsupported (error, n, "the weights W must be a constant");
  if (b != NULL && !yolo_tensor_is_const (b))
    return yolo_op_unsupported (error, n, "the bias B must be a constant");
  if (x->dtype != YOLO_DTYPE_FLOAT || w->dtype != YOLO_DTYPE_FLOAT
      || (b != NULL && b->dtype != YOLO_DTYPE_FLOAT))
    return yolo_op_unsupported (error, n, "only float32 tensors are supported");
  if (x->ndim != 4)
    return yolo_op_unsupported (error, n, "only 2D convolution (4D input) is "
        "supported");
  /* Conv, ConvTranspose: a batch N > 1 (yolo_engine batch option) is
   * lowered as N batch-1 convolutions at image offsets (yolo-lower.c); the
   * kernels see N = 1 */
  if (!yolo_conv_geometry_parse (n, x, w, transposed, p, error))
    return FALSE;
  if (b != NULL && (b->ndim != 1 || b->dims[0] != p->M)) {
    yolo_op_error (error, n, "bias %s: expected [%d]",
        yolo_shape_str (b, buf, sizeof (buf)), p->M);
    return FALSE;
  }
  return yolo_conv_geometry_output (n, p, error);
}

gboolean
yolo_conv_params (YoloGraph * g, YoloNode * n, ConvParams * p, GError ** error)
{
  return yolo_conv_float_params (g, n, FALSE, p, error);
}

static gboolean
conv_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  gint64 dims[4];

  if (!yolo_conv_params (g, n, &p, error))
    return FALSE;
  yolo_conv_geometry_out_dims (&p, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 4, dims);
  return TRUE;
}

static gboolean
conv_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *rt, *yt = YOLO_OUT (g, n, 0);
  const float *x, *w, *bias, *res;
  float *y;
  int m, oy, ox, c, ky, kx, img;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &rt, error))
    return FALSE;
  x = xt->data;
  w = wt->data;
  bias = bt ? bt->data : NULL;
  res = rt ? rt->data : NULL;
  if (x == NULL || w == NULL || (bt && bias == NULL) || (rt && res == NULL)) {
    yolo_op_error (error, n, "eval: input data is missing");
    return FALSE;
  }
  y = yolo_tensor_alloc_data (yt);

  for (img = 0; img < p.N; img++, x += (gsize) p.C * p.H * p.W,
      y += (gsize) p.M * p.Ho * p.Wo,
      res = res ? res + (gsize) p.M * p.Ho * p.Wo : NULL)
    for (m = 0; m < p.M; m++) {
      const float *xg = x + (gsize) (m / p.Mg) * p.Cg * p.H * p.W;
      const float *wm = w + (gsize) m * p.Cg * p.kh * p.kw;
      for (oy = 0; oy < p.Ho; oy++) {
        for (ox = 0; ox < p.Wo; ox++) {
          double acc = bias ? bias[m] : 0.0;
          gsize o = ((gsize) m * p.Ho + oy) * p.Wo + ox;
          float v;
          for (c = 0; c < p.Cg; c++) {
            for (ky = 0; ky < p.kh; ky++) {
              int iy = oy * p.sh - p.pt + ky * p.dh;
              if (iy < 0 || iy >= p.H)
                continue;
              for (kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pl + kx * p.dw;
                if (ix < 0 || ix >= p.W)
                  continue;
                acc += (double) xg[((gsize) c * p.H + iy) * p.W + ix]
                    * wm[(c * p.kh + ky) * p.kw + kx];
              }
            }
          }
          if (n->qepi) {
            y[o] = yolo_qdq_epilogue_apply (n->qepi, n->act, (float) acc,
                res ? &res[o] : NULL);
            continue;
          }
          v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, (float) acc);
          if (res)
            v += res[o];
          y[o] = v;
        }
      }
    }
  return TRUE;
}

static const YoloOpDef conv_def = { "Conv", 0, conv_infer, conv_eval };

void
yolo_conv_pair_half (const YoloNode * n, int k, YoloNode * half)
{
  const YoloAttr *params = yolo_node_attr (n, YOLO_CONV_PAIR_ACT2_PARAMS);
  int per = yolo_conv_pair_is_up2 (n) ? 4 : 3;

  *half = *n;
  if (k == 1) {
    half->act = yolo_node_attr_int (n, YOLO_CONV_PAIR_ACT2, n->act);
    if (params && params->type == YOLO_ATTR_FLOATS && params->n == 2) {
      half->act_alpha = params->floats[0];
      half->act_beta = params->floats[1];
    }
  }
  half->op_type = (char *) (per == 4 ? YOLO_CONV_UP2_OP : "Conv");
  half->n_inputs = per;
  half->inputs = n->inputs + per * k;
  half->n_outputs = 1;
  half->outputs = n->outputs + k;
  half->n_attrs = 0;
  half->attrs = NULL;
  half->residual = -1;
  half->qepi = NULL;
}

gboolean
yolo_conv_pair_is_up2 (const YoloNode * n)
{
  return n->n_inputs == 8;
}

/* Both halves as Convs (1x1 stride 1: no attributes needed), or as
 * ConvUpsampleAdds. */
static gboolean
conv_pair_check (YoloNode * n, GError ** error)
{
  int per = n->n_inputs / 2;

  if ((n->n_inputs != 6 && n->n_inputs != 8) || n->n_outputs != 2
      || n->residual >= 0 || n->qepi || n->inputs[0] != n->inputs[per]) {
    yolo_op_error (error, n, "needs inputs [X, W1, B1, X, W2, B2] or "
        "[S, W1, B1, Z1, S, W2, B2, Z2], outputs [Y1, Y2] and no residual");
    return FALSE;
  }
  return TRUE;
}

static gboolean conv_up2_infer (YoloGraph * g, YoloNode * n, GError ** error);
static gboolean conv_up2_eval (YoloGraph * g, YoloNode * n, GError ** error);

static gboolean
conv_pair_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloNode h;

  if (!conv_pair_check (n, error))
    return FALSE;
  for (int k = 0; k < 2; k++) {
    yolo_conv_pair_half (n, k, &h);
    if (!(yolo_conv_pair_is_up2 (n) ? conv_up2_infer (g, &h, error) :
            conv_infer (g, &h, error)))
      return FALSE;
  }
  return TRUE;
}

static gboolean
conv_pair_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloNode h;

  if (!conv_pair_check (n, error))
    return FALSE;
  for (int k = 0; k < 2; k++) {
    yolo_conv_pair_half (n, k, &h);
    if (!(yolo_conv_pair_is_up2 (n) ? conv_up2_eval (g, &h, error) :
            conv_eval (g, &h, error)))
      return FALSE;
  }
  return TRUE;
}

static const YoloOpDef conv_pair_def = { YOLO_CONV_PAIR_OP, 0,
  conv_pair_infer, conv_pair_eval
};

/* *conv = node n's Conv of S (inputs n->inputs[0..2], its attributes,
 * no activation, residual or QDQ epilogue): a view into n, valid while n
 * is. */
static void
conv_up2_conv (const YoloNode * n, YoloNode * conv)
{
  *conv = *n;
  conv->op_type = (char *) "Conv";
  conv->n_inputs = MIN (n->n_inputs, 3);
  conv->act = YOLO_ACT_NONE;
  conv->act_alpha = conv->act_beta = 0.0f;
  conv->residual = -1;
  conv->qepi = NULL;
}

gboolean
yolo_conv_up2_params (YoloGraph * g, YoloNode * n, ConvParams * p,
    GError ** error)
{
  YoloNode c;
  YoloTensor *z;
  gint64 zd[4];
  char buf[128];

  if (n->n_inputs != 4 || n->n_outputs != 1 || n->qepi || n->inputs[3] < 0) {
    yolo_op_error (error, n, "needs inputs [S, W, B, Z], one output and no "
        "QDQ epilogue");
    return FALSE;
  }
  conv_up2_conv (n, &c);
  if (!yolo_conv_params (g, &c, p, error))
    return FALSE;
  if (p->N != 1 || !yolo_conv_geometry_is_pointwise (p) || p->H % 2 || p->W % 2)
    return yolo_op_unsupported (error, n, "only a 1x1 stride-1 unpadded "
        "group-1 conv of batch 1 over an even H x W");
  z = YOLO_IN (g, n, 3);
  zd[0] = 1;
  zd[1] = p->M;
  zd[2] = p->H / 2;
  zd[3] = p->W / 2;
  if (z->dtype != YOLO_DTYPE_FLOAT || !yolo_tensor_dims_are (z, 4, zd)) {
    yolo_op_error (error, n, "Z %s: expected float [1,%d,%d,%d]",
        yolo_shape_str (z, buf, sizeof (buf)), p->M, p->H / 2, p->W / 2);
    return FALSE;
  }
  return TRUE;
}

/* The output: that of n's Conv of S (conv_infer). */
static gboolean
conv_up2_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  YoloNode c;

  if (!yolo_conv_up2_params (g, n, &p, error))
    return FALSE;
  conv_up2_conv (n, &c);
  return conv_infer (g, &c, error);
}

/* The reference: the Conv of S without its epilogue (conv_eval), then
 * + up2 (Z), the activation and the residual per element. */
static gboolean
conv_up2_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  YoloTensor *rt;
  YoloNode c;
  const float *z, *res;
  float *y;

  if (!yolo_conv_up2_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &rt, error))
    return FALSE;
  conv_up2_conv (n, &c);
  if (!conv_eval (g, &c, error))
    return FALSE;
  z = YOLO_IN (g, n, 3)->data;
  res = rt ? rt->data : NULL;
  y = YOLO_OUT (g, n, 0)->data;
  if (z == NULL || (rt && res == NULL) || y == NULL) {
    yolo_op_error (error, n, "eval: input data is missing");
    return FALSE;
  }
  for (int m = 0; m < p.M; m++)
    for (int oy = 0; oy < p.Ho; oy++)
      for (int ox = 0; ox < p.Wo; ox++) {
        gsize o = ((gsize) m * p.Ho + oy) * p.Wo + ox;
        gsize zi = ((gsize) m * (p.Ho / 2) + oy / 2) * (p.Wo / 2) + ox / 2;
        float v = yolo_act_apply (n->act, n->act_alpha, n->act_beta,
            y[o] + z[zi]);
        y[o] = res ? v + res[o] : v;
      }
  return TRUE;
}

static const YoloOpDef conv_up2_def = { YOLO_CONV_UP2_OP, 0,
  conv_up2_infer, conv_up2_eval
};

int
yolo_conv_multi_count (const YoloNode * n)
{
  int k = n->n_outputs, na = 0, np = 0;
  const gint64 *acts = yolo_node_attr_ints (n, YOLO_CONV_MULTI_ACTS, &na);
  const YoloAttr *params = yolo_node_attr (n, YOLO_CONV_MULTI_ACT_PARAMS);
  gint64 kind = yolo_node_attr_int (n, YOLO_CONV_MULTI_KIND, -1);

  if (params && params->type == YOLO_ATTR_FLOATS)
    np = params->n;
  if (k < 2 || k > YOLO_CONV_MULTI_MAX || n->n_inputs != 3 * k
      || acts == NULL || na != k || np != 2 * k || n->residual >= 0
      || n->qepi || (kind != YOLO_CONV_MULTI_1X1
          && kind != YOLO_CONV_MULTI_DW3X3S1))
    return 0;
  return k;
}

void
yolo_conv_multi_member (YoloGraph * g, const YoloNode * n, int k,
    YoloConvMultiMember * m)
{
  int na = 0;
  const gint64 *acts = yolo_node_attr_ints (n, YOLO_CONV_MULTI_ACTS, &na);
  const YoloAttr *params = yolo_node_attr (n, YOLO_CONV_MULTI_ACT_PARAMS);
  YoloNode *h = &m->node;
  YoloTensor *w;

  *h = *n;
  h->op_type = (char *) "Conv";
  h->act = acts && k < na ? (YoloAct) acts[k] : YOLO_ACT_NONE;
  h->act_alpha = params && 2 * k + 1 < params->n ? params->floats[2 * k] : 0;
  h->act_beta = params && 2 * k + 1 < params->n ? params->floats[2 * k + 1]
      : 0;
  h->n_inputs = 3;
  h->inputs = n->inputs + 3 * k;
  h->n_outputs = 1;
  h->outputs = n->outputs + k;
  h->n_attrs = 0;
  h->attrs = m->attrs;
  h->residual = -1;
  h->qepi = NULL;
  memset (m->attrs, 0, sizeof (m->attrs));
  if (yolo_node_attr_int (n, YOLO_CONV_MULTI_KIND, -1)
      == YOLO_CONV_MULTI_DW3X3S1) {
    w = YOLO_IN (g, h, 1);
    for (int i = 0; i < 4; i++)
      m->pads[i] = 1;
    m->attrs[0].name = (char *) "group";
    m->attrs[0].type = YOLO_ATTR_INT;
    m->attrs[0].i = w && w->ndim >= 1 ? w->dims[0] : 1;
    m->attrs[1].name = (char *) "pads";
    m->attrs[1].type = YOLO_ATTR_INTS;
    m->attrs[1].n = 4;
    m->attrs[1].ints = m->pads;
    h->n_attrs = 2;
  }
}

static gboolean
conv_multi_check (YoloNode * n, GError ** error)
{
  if (yolo_conv_multi_count (n) == 0) {
    yolo_op_error (error, n, "needs K = 2..%d Convs: inputs [X, W, B] x K, "
        "K outputs, kind, activations and their parameters, no residual",
        YOLO_CONV_MULTI_MAX);
    return FALSE;
  }
  return TRUE;
}

static gboolean
conv_multi_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloConvMultiMember m;

  if (!conv_multi_check (n, error))
    return FALSE;
  for (int k = 0; k < n->n_outputs; k++) {
    yolo_conv_multi_member (g, n, k, &m);
    if (!conv_infer (g, &m.node, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
conv_multi_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloConvMultiMember m;

  if (!conv_multi_check (n, error))
    return FALSE;
  for (int k = 0; k < n->n_outputs; k++) {
    yolo_conv_multi_member (g, n, k, &m);
    if (!conv_eval (g, &m.node, error))
      return FALSE;
  }
  return TRUE;
}

static const YoloOpDef conv_multi_def = { YOLO_CONV_MULTI_OP, 0,
  conv_multi_infer, conv_multi_eval
};

const YoloOpDef *const yolo_ops_conv[] = { &conv_def, &conv_pair_def,
  &conv_multi_def, &conv_up2_def, NULL
};
