/* backend-opencl/convtranspose.c - ConvTranspose on OpenCL
 * (ocl_kernels/convtranspose.cl), with Conv's fused epilogue:
 *  - convtranspose-k-eq-s: kernel == stride, dilation 1, no pads, no
 *    output_padding, group 1 (YOLOv6's and the segmentation protos' 2x2
 *    stride-2 upsampling): each work-item reads one input pixel of every
 *    channel and writes its kh x kw output block for 8 output channels;
 *    weights repacked as [C][kh*kw][Mp] (Mp = M rounded up to 8);
 *  - convtranspose-k-eq-s-w16: the same case on CPUs that want wide
 *    vectors (PoCL): 16 input pixels x one tap x 8 output channels per
 *    work-item, float16 loads and multiply-adds (preferred there);
 *  - convtranspose-generic: anything, one output pixel per work-item (a
 *    gather over the taps that reach it). */
#include <string.h>

#include "impls.h"
#include "conv-common.h"
#include "ops/convtranspose.h"

#define CT_BLOCK 8

/* kind: 0 generic, 1 k-eq-s, 2 k-eq-s-w16 */
static gboolean
ct_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, int kind,
    GError ** error)
{
  ConvTransposeParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *res, *yt = YOLO_OUT (g, n, 0);
  int Mp;
  float *bias, *wpack = NULL;
  cl_mem wmem, bmem;
  cl_kernel k;
  YoloArgs a;
  gboolean fast = kind != 0;
  gsize gws[3], wbytes;
  static const gsize lws_fast[2] = { 16, 1 };
  static const gsize lws_w16[3] = { 1, 1, 4 };

  if (!yolo_convtranspose_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &res, error))
    return FALSE;
  Mp = yolo_div_up (p.M, CT_BLOCK) * CT_BLOCK;

  if (fast) {
    const float *w = wt->data;
    int kk = p.kh * p.kw;
    wbytes = (gsize) p.C * kk * Mp * sizeof (float);
    wpack = g_malloc0 (wbytes);
    for (int c = 0; c < p.C; c++)
      for (int m = 0; m < p.M; m++)
        for (int t = 0; t < kk; t++)
          wpack[((gsize) c * kk + t) * Mp + m] =
              w[((gsize) c * p.M + m) * kk + t];
    wmem = yolo_rt_upload (rt, wpack, wbytes, error);
    g_free (wpack);
  } else {
    wbytes = (gsize) yolo_tensor_numel (wt) * sizeof (float);
    wmem = yolo_rt_upload (rt, wt->data, wbytes, error);
  }
  if (wmem == NULL)
    return FALSE;
  bias = g_new0 (float, Mp);
  if (bt != NULL)
    memcpy (bias, bt->data, p.M * sizeof (float));
  bmem = yolo_rt_upload (rt, bias, Mp * sizeof (float), error);
  g_free (bias);
  if (bmem == NULL)
    return FALSE;

  k = yolo_rt_kernel (rt, kind == 2 ? "convtranspose_k_eq_s_w16" : kind == 1
      ? "convtranspose_k_eq_s" : "convtranspose_generic", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  /* CONV_EPILOGUE_ARGS, as Conv's */
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, p.H);
  yolo_args_int (&a, p.W);
  yolo_args_int (&a, p.Ho);
  yolo_args_int (&a, p.Wo);
  if (fast) {
    yolo_args_int (&a, p.C);
    yolo_args_int (&a, Mp);
    yolo_args_int (&a, p.kh);
    yolo_args_int (&a, p.kw);
    gws[0] = (gsize) p.H * p.W;
    gws[1] = Mp / CT_BLOCK;
    if (kind == 2) {
      gws[0] = yolo_div_up ((gsize) p.H * p.W, 16);
      gws[1] = (gsize) p.kh * p.kw;
      gws[2] = Mp / CT_BLOCK;
    }
  } else {
    yolo_args_int (&a, p.Cg);
    yolo_args_int (&a, p.Mg);
    yolo_conv_cl_args_window (&a, &p);
    gws[0] = (gsize) p.Ho * p.Wo;
    gws[1] = p.M;
  }
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  if (kind == 2)
    return yolo_rt_launch (rt, n, k, 3, gws, lws_w16, error);
  return yolo_rt_launch (rt, n, k, 2, gws,
      yolo_rt_device (rt)->wide_vectors ? lws_fast : NULL, error);
}

static gboolean
ct_supports_k_eq_s (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvTransposeParams p;

  return yolo_convtranspose_params (g, n, &p, NULL)
      && yolo_convtranspose_is_k_eq_s (&p);
}

static gboolean
ct_preferred_w16 (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return yolo_rt_device (rt)->wide_vectors;
}

static gboolean
ct_prepare_k_eq_s_w16 (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return ct_prepare (rt, g, n, 2, error);
}

static gboolean
ct_prepare_k_eq_s (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return ct_prepare (rt, g, n, 1, error);
}

static gboolean
ct_prepare_generic (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return ct_prepare (rt, g, n, 0, error);
}

static const char *const ct_types[] = { "ConvTranspose", NULL };

static const YoloOpImpl impl_k_eq_s_w16 = {
  ct_types, "convtranspose-k-eq-s-w16", "convtranspose", ct_preferred_w16,
  ct_supports_k_eq_s, ct_prepare_k_eq_s_w16, 0
};

static const YoloOpImpl impl_k_eq_s = {
  ct_types, "convtranspose-k-eq-s", "convtranspose", NULL,
  ct_supports_k_eq_s, ct_prepare_k_eq_s, 0
};

static const YoloOpImpl impl_generic = {
  ct_types, "convtranspose-generic", "convtranspose", NULL, NULL,
  ct_prepare_generic, 0
};

const YoloOpImpl *const yolo_impls_convtranspose[] = {
  &impl_k_eq_s_w16, &impl_k_eq_s, &impl_generic, NULL
};
