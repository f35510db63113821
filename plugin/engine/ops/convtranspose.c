/* ops/convtranspose.c - ONNX ConvTranspose (2D, fp32) with the
 * fused epilogue of Conv: out = act(convtranspose + bias) [+ residual].
 *
 * Shapes: X [N, C, H, W], W [C, M/group, kH, kW], optional B [M];
 * Y [N, M, Ho, Wo] with, per spatial axis,
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
 * bias; pad_end is then negative); more is an error. (The attributes
 * are read, and this arithmetic done, by ops/conv-geometry.c, with
 * Conv's and ConvInteger's.)
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
 * They see batch 1: a batch N > 1 is lowered as N ConvTransposes on the
 * images' views (yolo-lower.c), as Conv is.
 */

#include "yolo-engine.h"
#include "ops/conv.h"
#include "ops/convtranspose.h"

gboolean
yolo_convtranspose_params (YoloGraph * g, YoloNode * n, ConvTransposeParams * p,
    GError ** error)
{
  return yolo_conv_float_params (g, n, TRUE, p, error);
}

static gboolean
ct_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvTransposeParams p;
  gint64 dims[4];

  if (!yolo_convtranspose_params (g, n, &p, error))
    return FALSE;
  yolo_conv_geometry_out_dims (&p, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 4, dims);
  return TRUE;
}

/* One image: x [C, H, W], y and res [M, Ho, Wo]. */
static void
ct_eval_image (const ConvTransposeParams * pp, const YoloNode * n,
    const float *x, const float *w, const float *bias, const float *res,
    float *y)
{
  const ConvTransposeParams p = *pp;

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
  /* image after image (the engine's batch option) */
  for (int b = 0; b < p.N; b++) {
    ct_eval_image (&p, n, x, w, bias, res, y);
    x += (gsize) p.C * p.H * p.W;
    y += (gsize) p.M * p.Ho * p.Wo;
    if (res)
      res += (gsize) p.M * p.Ho * p.Wo;
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
