/* backend-opencl/conv-im2col.c - conv-im2col: a group-1 Conv as
 * conv_im2col (the input patches into scratch slot 1, [Cg kh kw][Ho Wo])
 * + conv_1x1_c8 over them (conv_cpu.cl), on wide-vector CPUs (PoCL).
 * The direct kernels put 16 pixels of one output row in a vector, so
 * outputs 10 or 13 pixels wide leave a third of the lanes idle; the GEMM
 * runs along the flattened output instead. For small outputs only (the
 * patches at most IM2COL_MAX_BYTES), never for 1x1 stride-1 convs
 * (already a GEMM), and only by measured choice: it is tunable and
 * listed after the direct kernels, so with tuning on it competes with
 * conv-cpu-3x3s1 / conv-cpu-3x3s2 / conv-wino4 per layer.
 * conv-im2col-t: the same patches through conv_gemm_t16 (lanes over
 * output channels), also tunable. */
#include "conv-common.h"

#define IM2COL_MAX_BYTES (4 << 20)
/* The patches go to scratch slot 1, the larger of conv-wino4's two (its
 * GEMM output and weights; slot 0 holds its input, within 2 MiB): on
 * yolov8n-640 the scratch then takes 5.4 MiB, not 6.7. */

static gboolean
im2col_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;

  if (!yolo_rt_device (rt)->wide_vectors || !yolo_conv_cl_params (g, n, &p)
      || p.group != 1 || (p.kh == 1 && p.kw == 1 && p.sh == 1 && p.sw == 1))
    return FALSE;
  return (gint64) p.C * p.kh * p.kw * p.Ho * p.Wo * (gint64) sizeof (float)
      <= IM2COL_MAX_BYTES;
}

/* conv_im2col, then conv_1x1_c8 (t16 FALSE) or conv_gemm_t16 over the
 * patches. */
static gboolean
im2col_prepare_gemm (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    gboolean t16, GError ** error)
{
  ConvParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *res, *yt = YOLO_OUT (g, n, 0);
  /* Fixed local sizes: PoCL compiles one work-group function per size. */
  static const gsize lws_col[1] = { 4 }, lws_gemm[2] = { 1, 4 };
  gsize cbytes, gws[2];
  int R, HWo, nb;
  cl_mem wmem, bmem;
  cl_kernel k;
  YoloArgs a;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &res, error))
    return FALSE;
  R = p.C * p.kh * p.kw;
  HWo = p.Ho * p.Wo;
  nb = yolo_div_up (p.M, CONV_BLOCK);
  cbytes = (gsize) R *HWo * sizeof (float);

  k = yolo_rt_kernel (rt, "conv_im2col", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_scratch (&a, rt, 1, cbytes);
  yolo_args_int (&a, R);
  yolo_args_int (&a, p.H);
  yolo_args_int (&a, p.W);
  yolo_args_int (&a, p.Ho);
  yolo_args_int (&a, p.Wo);
  yolo_conv_cl_args_window (&a, &p);
  gws[0] = yolo_div_up (R, lws_col[0]) * lws_col[0];
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 1, gws, lws_col, error))
    return FALSE;

  if (t16)
    return yolo_conv_cl_launch_gemm_t16 (rt, g, n, &p, cbytes, HWo, R, error);
  /* the blocked layout [M/8][C][kh][kw][8] is the GEMM's [M/8][R][8] */
  wmem = yolo_conv_cl_upload_block (rt, wt->data, &p, CONV_BLOCK, error);
  if (wmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, &p, error);
  if (bmem == NULL)
    return FALSE;
  k = yolo_rt_kernel (rt, "conv_1x1_c8", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 1, cbytes);
  yolo_args_int (&a, 0);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, HWo);
  yolo_args_int (&a, R);
  yolo_args_int (&a, p.M);
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
    return FALSE;
  gws[0] = nb;
  gws[1] = yolo_div_up ((gsize) HWo, 32);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, lws_gemm, error);
}

static gboolean
im2col_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return im2col_prepare_gemm (rt, g, n, FALSE, error);
}

static gboolean
im2col_t_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return im2col_prepare_gemm (rt, g, n, TRUE, error);
}

static const char *const conv_types[] = { "Conv", NULL };

static const YoloOpImpl impl_im2col = {
  conv_types, "conv-im2col", "conv_cpu", NULL, im2col_supports,
  im2col_prepare, YOLO_IMPL_TUNABLE
};

/* The same patches through conv_gemm_t16 (lanes over 16 output channels,
 * no lanes idle on 10x10 or 13x13 outputs). */
static const YoloOpImpl impl_im2col_t = {
  conv_types, "conv-im2col-t", "conv_cpu", NULL, im2col_supports,
  im2col_t_prepare, YOLO_IMPL_TUNABLE
};

const YoloOpImpl *const yolo_impls_conv_im2col[] = {
  &impl_im2col, &impl_im2col_t, NULL
};
