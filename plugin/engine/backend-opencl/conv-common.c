/* backend-opencl/conv-common.c - see conv-common.h. */
#include <string.h>
#include "conv-common.h"

static const char *const conv_kernel_names[] = {
  "conv_1x1_c8", "conv_3x3s1_c8", "conv_3x3s2_c8", "conv_kxk_c8", "conv_dw",
  "conv_dw3x3s1", "conv_dw3x3s2", "conv_generic", "conv_gpu_c8",
};

gboolean
yolo_conv_cl_params (YoloGraph * g, YoloNode * n, ConvParams * p)
{
  YoloTensor *res;

  return yolo_conv_params (g, n, p, NULL)
      && yolo_conv_residual_ok (g, n, p, &res, NULL);
}

cl_mem
yolo_conv_cl_bias (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, GError ** error)
{
  YoloTensor *bt = YOLO_IN (g, n, 2);
  int nb = yolo_div_up (p->M, CONV_BLOCK);
  float *bias = g_new0 (float, (gsize) nb * CONV_BLOCK);
  cl_mem bmem;

  if (bt != NULL)
    memcpy (bias, bt->data, p->M * sizeof (float));
  bmem = yolo_rt_upload (rt, bias, (gsize) nb * CONV_BLOCK * sizeof (float),
      error);
  g_free (bias);
  return bmem;
}

void
yolo_conv_cl_args_epilogue (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    const YoloNode * n, YoloTensor * yt, YoloTensor * res)
{
  yolo_args_tensor (a, rt, g, yt);
  yolo_args_tensor (a, rt, g, res ? res : yt);
  yolo_args_int (a, res != NULL);
  yolo_args_int (a, n->act);
  yolo_args_float (a, n->act_alpha);
  yolo_args_float (a, n->act_beta);
}

/* Weights [M][Cg][kh][kw] -> [M/8][Cg][kh][kw][8], zero padded. */
float *
yolo_conv_cl_repack_blocked (const float *w, const ConvParams * p,
    gsize * bytes)
{
  int nb = yolo_div_up (p->M, CONV_BLOCK), kk = p->kh * p->kw;
  gsize per = (gsize) p->Cg * kk;
  float *out = g_new0 (float, (gsize) nb * per * CONV_BLOCK);
  int m;
  gsize i;

  for (m = 0; m < p->M; m++) {
    float *dst = out + (gsize) (m / CONV_BLOCK) * per * CONV_BLOCK
        + m % CONV_BLOCK;
    const float *src = w + (gsize) m * per;
    for (i = 0; i < per; i++)
      dst[i * CONV_BLOCK] = src[i];
  }
  *bytes = (gsize) nb *per * CONV_BLOCK * sizeof (float);
  return out;
}

gboolean
yolo_conv_cl_prepare_direct (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    ConvKernel kind, GError ** error)
{
  ConvParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *res, *yt = YOLO_OUT (g, n, 0);
  cl_kernel k = NULL;
  cl_mem wmem, bmem;
  YoloArgs a;
  float *wpack = NULL;
  gsize wbytes, gws[2];
  /* Fixed local sizes: PoCL compiles one work-group function per size. */
  static const gsize lws_blocked[2] = { 1, 4 };
  static const gsize lws_generic[2] = { 16, 1 };
  const gsize *lws = lws_blocked;
  int nb;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &res, error))
    return FALSE;
  /* Weights (depthwise and generic: as they are; else blocked) and bias
   * (padded to a multiple of the channel block). */
  nb = yolo_div_up (p.M, CONV_BLOCK);
  if (kind == CONV_K_DW || kind == CONV_K_DW3X3S1
      || kind == CONV_K_DW3X3S2 || kind == CONV_K_GENERIC) {
    wbytes = (gsize) yolo_tensor_numel (wt) * sizeof (float);
    wmem = yolo_rt_upload (rt, wt->data, wbytes, error);
  } else {
    wpack = yolo_conv_cl_repack_blocked (wt->data, &p, &wbytes);
    wmem = yolo_rt_upload (rt, wpack, wbytes, error);
    g_free (wpack);
  }
  if (wmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, &p, error);
  if (bmem == NULL)
    return FALSE;

  k = yolo_rt_kernel (rt, conv_kernel_names[kind], error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p.M);

  switch (kind) {
    case CONV_K_1X1:
      yolo_args_int (&a, p.H * p.W);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      gws[0] = nb;
      gws[1] = yolo_div_up ((gsize) p.H * p.W, 32);
      break;
    case CONV_K_3X3S1:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      gws[0] = nb;
      gws[1] = yolo_div_up (p.W, 16) * yolo_div_up (p.H, 2);
      break;
    case CONV_K_3X3S2:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Ho);
      yolo_args_int (&a, p.Wo);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      gws[0] = nb;
      gws[1] = yolo_div_up (p.Wo, 16) * yolo_div_up (p.Ho, 2);
      break;
    case CONV_K_KXK:
    case CONV_K_GENERIC:
    case CONV_K_GPU_C8:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Ho);
      yolo_args_int (&a, p.Wo);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      if (kind == CONV_K_KXK) {
        gws[0] = nb;
        gws[1] = yolo_div_up (p.Wo, 16) * p.Ho;
      } else {
        gws[0] = (gsize) p.Ho * p.Wo;
        gws[1] = kind == CONV_K_GPU_C8 ? nb : p.M;
        lws = lws_generic;
      }
      break;
    case CONV_K_DW:
    case CONV_K_DW3X3S1:
    case CONV_K_DW3X3S2:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Ho);
      yolo_args_int (&a, p.Wo);
      yolo_args_int (&a, p.Mg);
      gws[0] = p.M;
      gws[1] = p.Ho;
      break;
  }
  if (kind == CONV_K_KXK || kind == CONV_K_GENERIC || kind == CONV_K_DW
      || kind == CONV_K_GPU_C8) {
    yolo_args_int (&a, p.kh);
    yolo_args_int (&a, p.kw);
    yolo_args_int (&a, p.sh);
    yolo_args_int (&a, p.sw);
    yolo_args_int (&a, p.pt);
    yolo_args_int (&a, p.pl);
    yolo_args_int (&a, p.dh);
    yolo_args_int (&a, p.dw);
  }
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  if (!yolo_rt_device (rt)->wide_vectors)
    lws = NULL;
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}
