/* ops/dwsep.c - DepthwiseSeparableConv (ops/dwsep.h): attributes, shape
 * inference and the C reference. The device variant is in
 * backend-opencl/conv-dwsep.c. */
#include <string.h>

#include "dwsep.h"
#include "yolo-engine.h"

gboolean
yolo_dwsep_params (YoloGraph * g, YoloNode * n, ConvParams * dw,
    ConvParams * pw, YoloAct * act, float *alpha, float *beta, GError ** error)
{
  YoloTensor *wp = YOLO_IN (g, n, 3), *bp = YOLO_IN (g, n, 4);
  gint64 a;

  if (n->n_inputs < 4 || wp == NULL) {
    yolo_op_error (error, n, "needs inputs X, W, B, WP [and BP]");
    return FALSE;
  }
  if (!yolo_conv_params (g, n, dw, error))
    return FALSE;
  if (dw->N != 1 || dw->Cg != 1 || dw->group != dw->C)
    return yolo_op_unsupported (error, n, "the first conv must be depthwise "
        "(group = input channels) of batch 1");
  if (!yolo_tensor_is_const (wp) || wp->dtype != YOLO_DTYPE_FLOAT
      || (bp && (!yolo_tensor_is_const (bp) || bp->dtype != YOLO_DTYPE_FLOAT)))
    return yolo_op_unsupported (error, n, "the pointwise weights WP and bias "
        "BP must be float32 constants");
  if (wp->ndim != 4 || wp->dims[1] != dw->M || wp->dims[2] != 1
      || wp->dims[3] != 1 || wp->dims[0] < 1 || wp->dims[0] > G_MAXINT / 4
      || (bp && (bp->ndim != 1 || bp->dims[0] != wp->dims[0]))) {
    yolo_op_error (error, n, "pointwise weights WP must be [M, %d, 1, 1] "
        "and BP [M]", dw->M);
    return FALSE;
  }
  a = yolo_node_attr_int (n, "depthwise_activation", YOLO_ACT_NONE);
  if (a < YOLO_ACT_NONE || a > YOLO_ACT_CLIP) {
    yolo_op_error (error, n, "depthwise_activation %" G_GINT64_FORMAT
        " is not an activation", a);
    return FALSE;
  }
  if (act)
    *act = (YoloAct) a;
  if (alpha)
    *alpha = yolo_node_attr_float (n, "depthwise_alpha", 0.0f);
  if (beta)
    *beta = yolo_node_attr_float (n, "depthwise_beta", 0.0f);
  if (pw) {
    *pw = *dw;
    pw->C = pw->Cg = dw->M;
    pw->H = dw->Ho;
    pw->W = dw->Wo;
    pw->M = pw->Mg = (int) wp->dims[0];
    pw->group = 1;
    pw->kh = pw->kw = pw->sh = pw->sw = pw->dh = pw->dw = 1;
    pw->pt = pw->pl = pw->pb = pw->pr = 0;
    if ((gint64) pw->M * pw->Ho * pw->Wo > G_MAXINT / 2)
      return yolo_op_unsupported (error, n, "output too large");
  }
  return TRUE;
}

static gboolean
dwsep_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams dw, pw;
  gint64 dims[4];

  if (!yolo_dwsep_params (g, n, &dw, &pw, NULL, NULL, NULL, error))
    return FALSE;
  yolo_conv_geometry_out_dims (&pw, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 4, dims);
  return TRUE;
}

/* The reference: the depthwise conv (double sums, as conv_eval) into a
 * temporary, then the 1x1. */
static gboolean
dwsep_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p, q;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *wpt = YOLO_IN (g, n, 3);
  YoloTensor *bpt = YOLO_IN (g, n, 4), *rt;
  const float *x, *w, *b, *wp, *bp, *res;
  float alpha, beta, *d, *y;
  gsize plane;
  YoloAct dact;

  if (!yolo_dwsep_params (g, n, &p, &q, &dact, &alpha, &beta, error)
      || !yolo_conv_residual_ok (g, n, &q, &rt, error))
    return FALSE;
  x = xt->data;
  w = wt->data;
  b = bt ? bt->data : NULL;
  wp = wpt->data;
  bp = bpt ? bpt->data : NULL;
  res = rt ? rt->data : NULL;
  if (!x || !w || (bt && !b) || !wp || (bpt && !bp) || (rt && !res)) {
    yolo_op_error (error, n, "eval: input data is missing");
    return FALSE;
  }
  plane = (gsize) p.Ho * p.Wo;
  d = g_new (float, (gsize) p.M * plane);
  for (int m = 0; m < p.M; m++)
    for (int oy = 0; oy < p.Ho; oy++)
      for (int ox = 0; ox < p.Wo; ox++) {
        const float *xc = x + (gsize) (m / p.Mg) * p.H * p.W;
        double acc = b ? b[m] : 0.0;
        for (int ky = 0; ky < p.kh; ky++) {
          int iy = oy * p.sh - p.pt + ky * p.dh;
          if (iy < 0 || iy >= p.H)
            continue;
          for (int kx = 0; kx < p.kw; kx++) {
            int ix = ox * p.sw - p.pl + kx * p.dw;
            if (ix >= 0 && ix < p.W)
              acc += (double) xc[(gsize) iy * p.W + ix]
                  * w[((gsize) m * p.kh + ky) * p.kw + kx];
          }
        }
        d[m * plane + (gsize) oy * p.Wo + ox] =
            yolo_act_apply (dact, alpha, beta, (float) acc);
      }
  y = yolo_tensor_alloc_data (YOLO_OUT (g, n, 0));
  for (int m = 0; m < q.M; m++)
    for (gsize i = 0; i < plane; i++) {
      double acc = bp ? bp[m] : 0.0;
      float v;
      for (int c = 0; c < q.C; c++)
        acc += (double) d[c * plane + i] * wp[(gsize) m * q.C + c];
      v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, (float) acc);
      y[m * plane + i] = res ? v + res[m * plane + i] : v;
    }
  g_free (d);
  return TRUE;
}

static const YoloOpDef dwsep_def = { YOLO_DWSEP_OP, 0, dwsep_infer,
  dwsep_eval
};

const YoloOpDef *const yolo_ops_dwsep[] = { &dwsep_def, NULL };
