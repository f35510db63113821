/* ops/convtranspose.c - ONNX ConvTranspose (2D, fp32, batch 1) with the
 * fused epilogue of Conv: out = act(convtranspose + bias) [+ residual].
 *
 * Shapes: X [1, C, H, W], W [C, M/group, kH, kW], optional B [M];
 * Y [1, M, Ho, Wo] with, per spatial axis,
 *   Ho = sh * (H - 1) + output_padding + dh * (kH - 1) + 1 - pad_begin - pad_end
 * Attributes: strides, dilations, pads, output_padding, group, auto_pad
 * (NOTSET, VALID, SAME_UPPER, SAME_LOWER), output_shape, kernel_shape.
 * With output_shape (or SAME_*: output = min (input * stride, natural
 * size)) the total padding
 * is derived as the ONNX specification says: total = sh * (H - 1) +
 * output_padding + dh * (kH - 1) + 1 - Ho, split total / 2 at the begin
 * for SAME_UPPER and total - total / 2 at the begin otherwise (what
 * onnxruntime does too). A total below zero (an output_shape larger than
 * the natural size) is taken as onnxruntime takes it: up to stride - 1
 * extra rows / columns at the end, which no tap reaches (they hold the
 * bias; pad_end is then negative); more is an error.
 *
 * Every output pixel is a gather: y[m, oy, ox] = b[m] + sum over the
 * channels c of m's group and the taps (ky, kx) with
 *   oy + pad_top - ky * dh = iy * sh,  0 <= iy < H  (same for x)
 * of x[c, iy, ix] * w[c, m % Mg, ky, kx].
 *
 * Kernels (backend-opencl/convtranspose.c, ocl_kernels/convtranspose.cl):
 *  - convtranspose_k_eq_s: kernel == stride, dilation 1, no pads, no
 *    output_padding, group 1 (YOLOv6's and the segmentation protos' 2x2
 *    stride-2 upsampling): every output pixel gets exactly one tap, so a
 *    work-item reads one input pixel of every channel and writes its
 *    kH x kW output block for 8 output channels. Weights repacked as
 *    [C][kH*kW][Mp] (Mp = M rounded up to 8). On CPUs that want wide
 *    vectors (PoCL) convtranspose_k_eq_s_w16: 16 input pixels x one tap x
 *    8 output channels per work-item.
 *  - convtranspose_generic: anything else, one output pixel per work-item.
 */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "ops/convtranspose.h"

#define CT_MAX_K 1024
#define CT_MAX_ATTR 65536


static gboolean
ct_pair (const YoloNode * n, const char *name, int def, int lo, int *a,
    int *b, GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, name, &cnt);

  *a = *b = def;
  if (v == NULL)
    return TRUE;
  if (cnt != 2) {
    yolo_op_error (error, n, "attribute %s needs 2 values, got %d", name, cnt);
    return FALSE;
  }
  if (v[0] < lo || v[1] < lo || v[0] > CT_MAX_ATTR || v[1] > CT_MAX_ATTR) {
    yolo_op_error (error, n, "attribute %s has invalid values [%"
        G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", name, v[0], v[1]);
    return FALSE;
  }
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

/* Output size and pads of one axis. out_req: output_shape value or -1. */
static gboolean
ct_axis (const YoloNode * n, const char *auto_pad, int in, int k, int s,
    int d, int op, gint64 out_req, int *p0, int *p1, int *out, GError ** error)
{
  gint64 full = (gint64) s * (in - 1) + op + (gint64) d * (k - 1) + 1;
  gint64 o;

  if (!strcmp (auto_pad, "SAME_UPPER") || !strcmp (auto_pad, "SAME_LOWER")) {
    /* input * stride, but never beyond the natural size (a kernel extent
     * smaller than the stride), as onnxruntime */
    if (out_req < 0)
      out_req = MIN ((gint64) in * s, full);
  } else if (!strcmp (auto_pad, "VALID")) {
    *p0 = *p1 = 0;
  } else if (strcmp (auto_pad, "NOTSET") != 0) {
    yolo_op_error (error, n, "unknown auto_pad '%s'", auto_pad);
    return FALSE;
  }
  if (out_req >= 0) {
    gint64 total = full - out_req;
    /* onnxruntime takes an output up to stride - 1 beyond the natural size
     * (no pads; the extra rows / columns at the end hold the bias) */
    if (total < 0 && -total < s) {
      *p0 = 0;
      *p1 = (int) total;
      *out = (int) out_req;
      return TRUE;
    }
    if (total < 0 || total > CT_MAX_ATTR) {
      yolo_op_error (error, n, "output size %" G_GINT64_FORMAT " does not "
          "fit the input: the natural output size is %" G_GINT64_FORMAT
          " (input %d, kernel %d, stride %d, output_padding %d)", out_req,
          full, in, k, s, op);
      return FALSE;
    }
    if (!strcmp (auto_pad, "SAME_UPPER")) {
      *p0 = (int) (total / 2);
      *p1 = (int) (total - *p0);
    } else {
      *p1 = (int) (total / 2);
      *p0 = (int) (total - *p1);
    }
  }
  o = full - *p0 - *p1;
  if (o < 1 || o > G_MAXINT / 4) {
    yolo_op_error (error, n, "output size %" G_GINT64_FORMAT " is invalid "
        "(input %d, kernel %d, stride %d, pads %d+%d)", o, in, k, s, *p0, *p1);
    return FALSE;
  }
  *out = (int) o;
  return TRUE;
}

gboolean
yolo_convtranspose_params (YoloGraph * g, YoloNode * n, ConvTransposeParams * p,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *w = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2);
  const gint64 *ks, *pads, *osh;
  int nks = 0, npads = 0, nosh = 0;
  gint64 group, oh_req = -1, ow_req = -1;
  const char *auto_pad;
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
    return yolo_op_unsupported (error, n, "only 2D (4D input) is supported");
  if (x->dims[0] != 1) {
    yolo_op_error (error, n, "input %s: batch must be 1",
        yolo_shape_str (x, buf, sizeof (buf)));
    return FALSE;
  }
  for (int i = 1; i < 4; i++)
    if (x->dims[i] < 1 || x->dims[i] > G_MAXINT / 4) {
      yolo_op_error (error, n, "input has invalid shape %s",
          yolo_shape_str (x, buf, sizeof (buf)));
      return FALSE;
    }
  if (w->ndim != 4 || w->dims[0] < 1 || w->dims[1] < 1 || w->dims[2] < 1
      || w->dims[3] < 1 || w->dims[2] > CT_MAX_K || w->dims[3] > CT_MAX_K
      || w->dims[0] > G_MAXINT / 4 || w->dims[1] > G_MAXINT / 4) {
    yolo_op_error (error, n, "weights have invalid shape %s "
        "(expected [C, M/group, kH, kW])",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  p->C = x->dims[1];
  p->H = x->dims[2];
  p->W = x->dims[3];
  p->kh = w->dims[2];
  p->kw = w->dims[3];
  group = yolo_node_attr_int (n, "group", 1);
  if (group < 1 || group > p->C || p->C % group != 0) {
    yolo_op_error (error, n, "group %" G_GINT64_FORMAT " does not divide "
        "the %d input channels", group, p->C);
    return FALSE;
  }
  if (w->dims[0] != p->C) {
    yolo_op_error (error, n, "weights %s: expected %d input channels "
        "(dimension 0)", yolo_shape_str (w, buf, sizeof (buf)), p->C);
    return FALSE;
  }
  if (w->dims[1] * group > G_MAXINT / 4) {
    yolo_op_error (error, n, "too many output channels");
    return FALSE;
  }
  p->group = group;
  p->Cg = p->C / p->group;
  p->Mg = w->dims[1];
  p->M = p->Mg * p->group;
  if (b != NULL && (b->ndim != 1 || b->dims[0] != p->M)) {
    yolo_op_error (error, n, "bias %s: expected [%d]",
        yolo_shape_str (b, buf, sizeof (buf)), p->M);
    return FALSE;
  }
  ks = yolo_node_attr_ints (n, "kernel_shape", &nks);
  if (ks != NULL && (nks != 2 || ks[0] != p->kh || ks[1] != p->kw)) {
    yolo_op_error (error, n, "kernel_shape does not match weights %s",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  if (!ct_pair (n, "strides", 1, 1, &p->sh, &p->sw, error)
      || !ct_pair (n, "dilations", 1, 1, &p->dh, &p->dw, error)
      || !ct_pair (n, "output_padding", 0, 0, &p->oph, &p->opw, error))
    return FALSE;
  if (p->oph >= MAX (p->sh, p->dh) || p->opw >= MAX (p->sw, p->dw)) {
    yolo_op_error (error, n, "output_padding [%d,%d] must be smaller than "
        "the stride or the dilation", p->oph, p->opw);
    return FALSE;
  }
  pads = yolo_node_attr_ints (n, "pads", &npads);
  if (pads != NULL) {
    if (npads != 4) {
      yolo_op_error (error, n, "pads needs 4 values, got %d", npads);
      return FALSE;
    }
    for (int i = 0; i < 4; i++)
      if (pads[i] < 0 || pads[i] > CT_MAX_ATTR) {
        yolo_op_error (error, n, "pads has invalid value %" G_GINT64_FORMAT,
            pads[i]);
        return FALSE;
      }
    p->pt = pads[0];
    p->pl = pads[1];
    p->pb = pads[2];
    p->pr = pads[3];
  }
  osh = yolo_node_attr_ints (n, "output_shape", &nosh);
  if (osh != NULL) {
    /* [Ho, Wo], or the whole [N, M, Ho, Wo] some exporters write */
    if (nosh != 2 && nosh != 4) {
      yolo_op_error (error, n, "output_shape needs 2 values, got %d", nosh);
      return FALSE;
    }
    oh_req = osh[nosh - 2];
    ow_req = osh[nosh - 1];
    if (oh_req < 1 || ow_req < 1 || oh_req > G_MAXINT / 4
        || ow_req > G_MAXINT / 4) {
      yolo_op_error (error, n, "output_shape has invalid values");
      return FALSE;
    }
  }
  auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  if (auto_pad == NULL || auto_pad[0] == '\0')
    auto_pad = "NOTSET";
  if (!ct_axis (n, auto_pad, p->H, p->kh, p->sh, p->dh, p->oph, oh_req,
          &p->pt, &p->pb, &p->Ho, error)
      || !ct_axis (n, auto_pad, p->W, p->kw, p->sw, p->dw, p->opw, ow_req,
          &p->pl, &p->pr, &p->Wo, error))
    return FALSE;
  if ((gint64) p->M * p->Ho * p->Wo > G_MAXINT / 2
      || (gint64) p->C * p->H * p->W > G_MAXINT / 2
      || (gint64) p->C * p->Mg * p->kh * p->kw > G_MAXINT / 2) {
    yolo_op_error (error, n, "tensors are too large");
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_convtranspose_residual_ok (YoloGraph * g, YoloNode * n,
    const ConvTransposeParams * p, YoloTensor ** res, GError ** error)
{
  *res = NULL;
  if (n->residual < 0)
    return TRUE;
  *res = YOLO_T (g, n->residual);
  if (yolo_tensor_numel (*res) != (gint64) p->M * p->Ho * p->Wo
      || (*res)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_error (error, n, "fused residual does not match the output "
        "[1,%d,%d,%d]", p->M, p->Ho, p->Wo);
    return FALSE;
  }
  return TRUE;
}

static gboolean
ct_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvTransposeParams p;
  gint64 dims[4];

  if (!yolo_convtranspose_params (g, n, &p, error))
    return FALSE;
  dims[0] = 1;
  dims[1] = p.M;
  dims[2] = p.Ho;
  dims[3] = p.Wo;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 4, dims);
  return TRUE;
}

/* The plain C reference (double accumulation). */
static gboolean
ct_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvTransposeParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *rt, *yt = YOLO_OUT (g, n, 0);
  const float *x, *w, *bias, *res;
  float *y;

  if (!yolo_convtranspose_params (g, n, &p, error)
      || !yolo_convtranspose_residual_ok (g, n, &p, &rt, error))
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
  for (int m = 0; m < p.M; m++) {
    int grp = m / p.Mg, mg = m % p.Mg;
    for (int oy = 0; oy < p.Ho; oy++) {
      for (int ox = 0; ox < p.Wo; ox++) {
        double acc = bias ? bias[m] : 0.0;
        gsize o = ((gsize) m * p.Ho + oy) * p.Wo + ox;
        float v;
        for (int ky = 0; ky < p.kh; ky++) {
          int ty = oy + p.pt - ky * p.dh, iy;
          if (ty < 0 || ty % p.sh != 0 || (iy = ty / p.sh) >= p.H)
            continue;
          for (int kx = 0; kx < p.kw; kx++) {
            int tx = ox + p.pl - kx * p.dw, ix;
            if (tx < 0 || tx % p.sw != 0 || (ix = tx / p.sw) >= p.W)
              continue;
            for (int cg = 0; cg < p.Cg; cg++) {
              int c = grp * p.Cg + cg;
              acc += (double) x[((gsize) c * p.H + iy) * p.W + ix]
                  * w[(((gsize) c * p.Mg + mg) * p.kh + ky) * p.kw + kx];
            }
          }
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

static const YoloOpDef convtranspose_def = {
  "ConvTranspose", 0, ct_infer, ct_eval
};

const YoloOpDef *const yolo_ops_convtranspose[] = { &convtranspose_def, NULL };

gboolean
yolo_convtranspose_is_k_eq_s (const ConvTransposeParams * p)
{
  return p->group == 1 && p->kh == p->sh && p->kw == p->sw && p->dh == 1
      && p->dw == 1 && p->pt == 0 && p->pl == 0 && p->pb == 0 && p->pr == 0
      && p->Ho == p->H * p->sh && p->Wo == p->W * p->sw;
}
