/* backend-opencl/conv-cpu.c - the direct Conv kernels of conv_cpu.cl for
 * CPUs whose compiler wants explicit wide vectors
 * (YoloDeviceInfo.wide_vectors: PoCL): float16 register-blocked over 8
 * output channels (weights repacked as [M/8][Cg][kh][kw][8]).
 *  conv-cpu-dw3x3s1, conv-cpu-dw3x3s2   depthwise 3x3 pad 1, stride 1 / 2
 *  conv-cpu-dw7x7s1                     depthwise 7x7 pad 3 stride 1
 *                                       (YOLO12's positional conv)
 *  conv-cpu-dw                          depthwise (one input channel per
 *                                       group), any kernel
 *  conv-cpu-1x1                         1x1 stride 1 no pad
 *  conv-cpu-3x3s1, conv-cpu-3x3s2       3x3 pad 1 dilation 1
 *  conv-cpu-3x3s1-flat                  3x3 stride 1 pad 1 over the
 *                                       flattened H*W (narrow rows)
 *  conv-cpu-3x3s2-flat                  3x3 stride 2 pad 1, group 1, over
 *                                       the input's four phase planes
 *  conv-cpu-3x3s2-c16                   3x3 stride 2 pad 1, group 1,
 *                                       few input channels: 16 output
 *                                       channels per work-item
 *  conv-cpu-3x3s2-t32                   3x3 stride 2 pad 1, group 1:
 *                                       lanes over 32 output channels,
 *                                       8 broadcast pixels
 *  conv-cpu-3x3s1-t32                   the same at stride 1
 *  conv-cpu-3x3s2-stem, -6x6s2-stem     3x3 stride 2 pad 1 / 6x6 stride 2
 *                                       pad 2, group 1, at most 4 input
 *                                       channels (the first conv)
 *  conv-cpu-kxk                         anything else
 *  conv-cpu-1x1-pair                    ConvPair: two 1x1 convs of one
 *                                       input in one launch
 *  conv-cpu-multi                       ConvMulti: independent 1x1 or
 *                                       depthwise 3x3 s1 convs in one
 *                                       launch
 *  conv-cpu-1x1-up2                     ConvUpsampleAdd: a 1x1 conv whose
 *                                       sums start at the nearest-2x
 *                                       upsampling of Z
 * (all but the depthwise ones: groups whose output channels split into
 * blocks of 8, incl. group 1). They support only wide-vector devices:
 * other compilers take far too long to build the unit (rusticl/llvmpipe:
 * more than 15 minutes for YOLOv8n). */
#include "conv-common.h"

static gboolean
pads_all (const ConvParams * p, int v)
{
  return p->pt == v && p->pl == v && p->pb == v && p->pr == v;
}

/* The node's params on a wide-vector device, else FALSE. */
static gboolean
cpu_params (YoloRuntime * rt, YoloGraph * g, YoloNode * n, ConvParams * p)
{
  return yolo_rt_device (rt)->wide_vectors && yolo_conv_cl_params (g, n, p);
}

static gboolean
is_dw (const ConvParams * p)
{
  return p->Cg == 1 && p->group > 1;
}

static gboolean
is_blocked (const ConvParams * p)
{
  return !is_dw (p) && (p->group == 1 || p->Mg % CONV_BLOCK == 0);
}

static gboolean
is_3x3_pad1 (const ConvParams * p)
{
  return p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1
      && pads_all (p, 1);
}

static gboolean
dw3x3s1_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_dw (&p) && is_3x3_pad1 (&p)
      && p.sh == 1 && p.sw == 1;
}

static gboolean
dw3x3s2_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_dw (&p) && is_3x3_pad1 (&p)
      && p.sh == 2 && p.sw == 2;
}

static gboolean
dw7x7s1_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_dw (&p) && p.kh == 7 && p.kw == 7
      && p.dh == 1 && p.dw == 1 && pads_all (&p, 3) && p.sh == 1 && p.sw == 1;
}

static gboolean
dw_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_dw (&p);
}

static gboolean
c1x1_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_blocked (&p) && p.kh == 1
      && p.kw == 1 && p.sh == 1 && p.sw == 1 && pads_all (&p, 0);
}

static gboolean
c3x3s1_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_blocked (&p) && is_3x3_pad1 (&p)
      && p.sh == 1 && p.sw == 1;
}

/* Rows narrower than FLAT_MAX_W pixels waste lanes of conv_3x3s1_c8's
 * 16-pixel row segments (10x10 and 20x20 use 10/16 and 20/32 of them);
 * the flattened kernel needs 32 pixels. Tunable: the measured faster of
 * the two (and of conv-wino4 and conv-im2col) runs. */
#define FLAT_MAX_W 40

static gboolean
c3x3s1_flat_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_blocked (&p) && is_3x3_pad1 (&p)
      && p.sh == 1 && p.sw == 1 && p.W <= FLAT_MAX_W
      && (gint64) p.H * p.W >= 32;
}

/* The phase planes (scratch) at most S2F_MAX_BYTES. Tunable. */
#define S2F_MAX_BYTES (16 << 20)

static gboolean
c3x3s2_flat_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && p.group == 1 && is_3x3_pad1 (&p)
      && p.sh == 2 && p.sw == 2 && (gint64) p.Ho * p.Wo >= 32
      && (gint64) p.C * 4 * p.Ho * p.Wo * (gint64) sizeof (float)
      <= S2F_MAX_BYTES;
}

/* conv_s2d (input -> scratch slot 0), then conv_3x3s2_flat_c8. */
static gboolean
c3x3s2_flat_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  ConvParams p;
  YoloTensor *res, *yt = YOLO_OUT (g, n, 0);
  static const gsize lws_s2d[2] = { 1, 4 };
  gsize sbytes, gws[2], lws_conv[2];
  cl_mem wmem, bmem;
  cl_kernel k;
  YoloArgs a;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &res, error))
    return FALSE;
  sbytes = (gsize) p.C * 4 * p.Ho * p.Wo * sizeof (float);
  k = yolo_rt_kernel (rt, "conv_s2d", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_scratch (&a, rt, 0, sbytes);
  yolo_args_int (&a, p.C);
  yolo_args_int (&a, p.H);
  yolo_args_int (&a, p.W);
  yolo_args_int (&a, p.Ho);
  yolo_args_int (&a, p.Wo);
  gws[0] = p.C;
  gws[1] = p.Ho;
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 2, gws, lws_s2d, error))
    return FALSE;

  wmem = yolo_conv_cl_upload_block (rt, YOLO_IN (g, n, 1)->data, &p,
      CONV_BLOCK, error);
  if (wmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, &p, error);
  if (bmem == NULL)
    return FALSE;
  k = yolo_rt_kernel (rt, "conv_3x3s2_flat_c8", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 0, sbytes);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, p.Ho);
  yolo_args_int (&a, p.Wo);
  yolo_args_int (&a, p.Cg);
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
    return FALSE;
  gws[0] = yolo_div_up (p.M, CONV_BLOCK);
  gws[1] = yolo_div_up ((gsize) p.Ho * p.Wo, 32);
  lws_conv[0] = 1;
  lws_conv[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units,
      gws[0], gws[1], 32, (gsize) p.Ho * p.Wo);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, lws_conv, error);
}

/* conv_3x3s2_c16 (1 row x 16 px x 16 output channels): group 1, M a
 * multiple of 16, at most C16_MAX_C input channels (with more, the 8-channel
 * kernels' loads are amortised anyway). Tunable. */
#define C16_MAX_C 32

static gboolean
c3x3s2_c16_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && p.group == 1 && is_3x3_pad1 (&p)
      && p.sh == 2 && p.sw == 2 && p.M % 16 == 0 && p.C <= C16_MAX_C;
}

/* What the kernels below share: node n's params into *p, its weights
 * uploaded in blocks of `block` output channels, its bias (into *bmem)
 * and `kernel` into *k, whose arguments *a then hold x, w, b and the
 * epilogue (CONV_EPILOGUE_ARGS). */
static gboolean
conv_args_head (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const char *kernel, int block, ConvParams * p, cl_kernel * k,
    YoloArgs * a, cl_mem * bmem, GError ** error)
{
  YoloTensor *res, *yt = YOLO_OUT (g, n, 0);
  cl_mem wmem;

  if (!yolo_conv_params (g, n, p, error)
      || !yolo_conv_residual_ok (g, n, p, &res, error))
    return FALSE;
  wmem = yolo_conv_cl_upload_block (rt, YOLO_IN (g, n, 1)->data, p, block,
      error);
  if (wmem == NULL)
    return FALSE;
  *bmem = yolo_conv_cl_bias (rt, g, n, p, error);
  if (*bmem == NULL)
    return FALSE;
  *k = yolo_rt_kernel (rt, kernel, error);
  if (*k == NULL)
    return FALSE;
  *a = yolo_args (*k);
  yolo_args_tensor (a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_mem (a, wmem);
  yolo_args_mem (a, *bmem);
  yolo_conv_cl_args_epilogue (a, rt, g, n, yt, res);
  return TRUE;
}

/* The kernels with output channels as the lanes (conv_3x3s2_c16,
 * conv_3x3s2_t32, conv_3x3s1_t32, the stems): conv_args_head, then M, H,
 * W, Ho, Wo, Cg and the QDQ arguments; kernel and params into *k, *p. */
static gboolean
lanes_args (YoloRuntime * rt, YoloGraph * g, YoloNode * n, const char *kernel,
    int block, ConvParams * p, cl_kernel * k, GError ** error)
{
  cl_mem bmem;
  YoloArgs a;

  if (!conv_args_head (rt, g, n, kernel, block, p, k, &a, &bmem, error))
    return FALSE;
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, p->Ho);
  yolo_args_int (&a, p->Wo);
  yolo_args_int (&a, p->Cg);
  return yolo_conv_cl_args_qdq (&a, rt, n, bmem, error)
      && yolo_args_ok (&a, n, error);
}

/* The 3x3 kernels with output channels as the lanes (conv_3x3s2_c16,
 * conv_3x3s2_t32, conv_3x3s1_t32): one work-item per `lanes` output
 * channels x `px` pixels of one output row; local sizes {1, 4} (c16) or
 * balanced over the device's workers (t32). */
static gboolean
lanes_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const char *kernel, int block, int lanes, int px, gboolean balanced,
    GError ** error)
{
  ConvParams p;
  gsize gws[2], lws[2] = { 1, 4 };
  cl_kernel k;

  if (!lanes_args (rt, g, n, kernel, block, &p, &k, error))
    return FALSE;
  gws[0] = yolo_div_up (p.M, lanes);
  gws[1] = yolo_div_up (p.Wo, px) * (gsize) p.Ho;
  if (balanced)
    lws[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units,
        gws[0], gws[1], px, gws[1] * px);
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

static gboolean
c3x3s2_c16_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return lanes_prepare (rt, g, n, "conv_3x3s2_c16", CONV_BLOCK, 16, 16,
      FALSE, error);
}

/* conv_3x3s2_t32 / conv_3x3s1_t32 (32 output channels as the lanes x 8
 * pixels of one output row, broadcast inputs): 3x3 pad 1 at that stride,
 * group 1, more than 16 output channels. Tunable (stride 1: against
 * conv-cpu-3x3s1, -3x3s1-flat, conv-wino4 and conv-im2col). */
static gboolean
t32_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n, int stride)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && p.group == 1 && is_3x3_pad1 (&p)
      && p.sh == stride && p.sw == stride && p.M > 16;
}

static gboolean
c3x3s2_t32_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return t32_supports (rt, g, n, 2);
}

static gboolean
c3x3s2_t32_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return lanes_prepare (rt, g, n, "conv_3x3s2_t32", 32, 32, 8, TRUE, error);
}

static gboolean
c3x3s1_t32_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return t32_supports (rt, g, n, 1);
}

static gboolean
c3x3s1_t32_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return lanes_prepare (rt, g, n, "conv_3x3s1_t32", 32, 32, 8, TRUE, error);
}

static gboolean
c3x3s2_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_blocked (&p) && is_3x3_pad1 (&p)
      && p.sh == 2 && p.sw == 2;
}

/* conv_3x3s2_stem, conv_6x6s2_stem (one output row x 16 output channels
 * per work-item): group 1, M a multiple of 16, at most STEM_MAX_C input
 * channels (the frame: RGB, RGBA or grey). */
#define STEM_MAX_C 4

static gboolean
stem_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n, int k)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && p.group == 1 && p.C <= STEM_MAX_C
      && p.M % 16 == 0 && p.kh == k && p.kw == k && p.sh == 2 && p.sw == 2
      && p.dh == 1 && p.dw == 1 && pads_all (&p, (k - 1) / 2);
}

static gboolean
stem3_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return stem_supports (rt, g, n, 3);
}

static gboolean
stem6_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return stem_supports (rt, g, n, 6);
}

static gboolean
stem_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const char *kernel, GError ** error)
{
  ConvParams p;
  static const gsize lws[2] = { 1, 1 };
  gsize gws[2];
  cl_kernel k;

  if (!lanes_args (rt, g, n, kernel, 16, &p, &k, error))
    return FALSE;
  gws[0] = p.M / 16;
  gws[1] = p.Ho;
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

static gboolean
stem3_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return stem_prepare (rt, g, n, "conv_3x3s2_stem", error);
}

static gboolean
stem6_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return stem_prepare (rt, g, n, "conv_6x6s2_stem", error);
}

static gboolean
kxk_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return cpu_params (rt, g, n, &p) && is_blocked (&p);
}

#define CPU_PREPARE(fn, kind) \
  static gboolean \
  fn (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error) \
  { \
    return yolo_conv_cl_prepare_direct (rt, g, n, kind, error); \
  }
CPU_PREPARE (dw3x3s1_prepare, CONV_K_DW3X3S1);
CPU_PREPARE (dw3x3s2_prepare, CONV_K_DW3X3S2);
CPU_PREPARE (dw7x7s1_prepare, CONV_K_DW7X7S1);
CPU_PREPARE (dw_prepare, CONV_K_DW);
CPU_PREPARE (c1x1_prepare, CONV_K_1X1);
CPU_PREPARE (c3x3s1_prepare, CONV_K_3X3S1);
CPU_PREPARE (c3x3s2_prepare, CONV_K_3X3S2);
CPU_PREPARE (c3x3s1_flat_prepare, CONV_K_3X3S1_FLAT);
CPU_PREPARE (kxk_prepare, CONV_K_KXK);

static gboolean up2_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n);

/* ConvPair (ops/conv.h): both halves 1x1 convs conv-cpu-1x1 takes, group
 * 1, the same input; of the up2 form ConvUpsampleAdds conv-cpu-1x1-up2
 * takes, no QDQ epilogue. */
static gboolean
pair_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  gboolean up2 = yolo_conv_pair_is_up2 (n);
  YoloNode h[2];
  ConvParams p[2];

  if ((n->n_inputs != 6 && !up2) || n->n_outputs != 2 || n->residual >= 0
      || n->qepi)
    return FALSE;
  for (int k = 0; k < 2; k++) {
    yolo_conv_pair_half (n, k, &h[k]);
    if (up2 ? !up2_supports (rt, g, &h[k])
        || !yolo_conv_up2_params (g, &h[k], &p[k], NULL)
        : !c1x1_supports (rt, g, &h[k]) || !yolo_conv_cl_params (g, &h[k],
            &p[k]) || p[k].group != 1)
      return FALSE;
  }
  return p[0].C == p[1].C && p[0].H == p[1].H && p[0].W == p[1].W;
}

/* conv_1x1_pair_c8 (conv_1x1_pair_up2_c8): the two blocked weight sets
 * one after the other, the biases b1 (zero padded to nb1 = ceil (M1 / 8)
 * blocks) then b2 (padded to a multiple of CONV_BLOCK16). */
static gboolean
pair_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean up2 = yolo_conv_pair_is_up2 (n);
  YoloNode h[2];
  ConvParams p[2];
  float *wb[2], *w, *bias;
  gsize wbytes[2];
  int nb1, nb2;
  gsize gws[2], lws[2], HW;
  cl_mem wmem, bmem;
  cl_kernel k;
  YoloArgs a;

  for (int i = 0; i < 2; i++) {
    yolo_conv_pair_half (n, i, &h[i]);
    if (!(up2 ? yolo_conv_up2_params (g, &h[i], &p[i], error) :
            yolo_conv_params (g, &h[i], &p[i], error)))
      return FALSE;
  }
  for (int i = 0; i < 2; i++)
    wb[i] = yolo_conv_cl_repack_blocked (YOLO_IN (g, &h[i], 1)->data, &p[i],
        &wbytes[i]);
  w = g_malloc (wbytes[0] + wbytes[1]);
  memcpy (w, wb[0], wbytes[0]);
  memcpy ((char *) w + wbytes[0], wb[1], wbytes[1]);
  g_free (wb[0]);
  g_free (wb[1]);
  wmem = yolo_rt_upload (rt, w, wbytes[0] + wbytes[1], error);
  g_free (w);
  if (wmem == NULL)
    return FALSE;
  nb1 = yolo_div_up (p[0].M, CONV_BLOCK);
  nb2 = yolo_div_up (p[1].M, CONV_BLOCK16);
  bias = g_new0 (float, (gsize) nb1 * CONV_BLOCK + nb2 * CONV_BLOCK16);
  for (int i = 0; i < 2; i++)
    if (YOLO_IN (g, &h[i], 2) != NULL)
      memcpy (bias + i * nb1 * CONV_BLOCK, YOLO_IN (g, &h[i], 2)->data,
          p[i].M * sizeof (float));
  bmem = yolo_rt_upload (rt, bias, ((gsize) nb1 * CONV_BLOCK
          + nb2 * CONV_BLOCK16) * sizeof (float), error);
  g_free (bias);
  if (bmem == NULL)
    return FALSE;
  k = yolo_rt_kernel (rt, up2 ? "conv_1x1_pair_up2_c8" : "conv_1x1_pair_c8",
      error);
  if (k == NULL)
    return FALSE;
  HW = (gsize) p[0].H * p[0].W;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 1));
  for (int i = 0; i < 2; i++) {
    yolo_args_int (&a, h[i].act);
    yolo_args_float (&a, h[i].act_alpha);
    yolo_args_float (&a, h[i].act_beta);
  }
  yolo_args_int (&a, p[0].M);
  yolo_args_int (&a, p[1].M);
  if (up2) {
    yolo_args_int (&a, p[0].H);
    yolo_args_int (&a, p[0].W);
  } else {
    yolo_args_int (&a, HW);
  }
  yolo_args_int (&a, p[0].Cg);
  if (up2)
    for (int i = 0; i < 2; i++)
      yolo_args_tensor (&a, rt, g, YOLO_IN (g, &h[i], 3));
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
    return FALSE;
  gws[0] = nb1 + yolo_div_up (p[1].M, CONV_BLOCK);
  gws[1] = yolo_div_up (HW, 32);
  lws[0] = 1;
  lws[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units,
      gws[0], gws[1], 32, HW);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

/* ConvMulti (ops/conv.h): every member a conv conv-cpu-1x1 (group 1) or
 * conv-cpu-dw3x3s1 takes, as the node's kind says. */
static gboolean
multi_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  YoloConvMultiMember m;
  ConvParams p;
  int K = yolo_conv_multi_count (n);
  gint64 kind = yolo_node_attr_int (n, YOLO_CONV_MULTI_KIND, -1);

  if (K == 0)
    return FALSE;
  for (int k = 0; k < K; k++) {
    yolo_conv_multi_member (g, n, k, &m);
    if (kind == YOLO_CONV_MULTI_1X1 ? !c1x1_supports (rt, g, &m.node)
        || !yolo_conv_cl_params (g, &m.node, &p) || p.group != 1
        : !dw3x3s1_supports (rt, g, &m.node))
      return FALSE;
  }
  return TRUE;
}

/* Ints per conv in conv_1x1_multi_c8's / conv_dw3x3s1_multi's table
 * (CONV_MULTI_JOB, conv_cpu.cl). */
#define MULTI_JOB 12

typedef struct
{
  int k;                        /* the member */
  int cost;                     /* work of one of its ids, relative */
} MultiOrder;

static gint
multi_order_cmp (gconstpointer a, gconstpointer b)
{
  const MultiOrder *x = a, *y = b;
  if (x->cost != y->cost)
    return x->cost < y->cost ? 1 : -1;
  return x->k - y->k;
}

/* One launch of conv_1x1_multi_c8 or conv_dw3x3s1_multi over the members'
 * ids, the costliest ids first (PoCL's threads take runs of consecutive
 * work-groups, the last runs the shortest: the cheap ones even out the
 * end). Weights: each member's blocked repack (1x1) or its [M][1][3][3]
 * (depthwise) one after the other; biases each padded to a multiple of
 * CONV_BLOCK16. */
static gboolean
multi_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  int K = yolo_conv_multi_count (n);
  gboolean dw = yolo_node_attr_int (n, YOLO_CONV_MULTI_KIND, -1)
      == YOLO_CONV_MULTI_DW3X3S1;
  YoloConvMultiMember m;
  ConvParams p[YOLO_CONV_MULTI_MAX];
  MultiOrder order[YOLO_CONV_MULTI_MAX];
  GByteArray *wts = g_byte_array_new ();
  GArray *bias = g_array_new (FALSE, TRUE, sizeof (float));
  gint32 jobs[YOLO_CONV_MULTI_MAX * MULTI_JOB];
  cl_mem arena = NULL, wmem = NULL, bmem = NULL, jmem = NULL;
  gint64 ids = 0;
  gsize gws[1], lws[1] = { 1 };
  cl_kernel kern;
  YoloArgs a;
  gboolean ok = FALSE;

  for (int k = 0; k < K; k++) {
    yolo_conv_multi_member (g, n, k, &m);
    if (!yolo_conv_params (g, &m.node, &p[k], error))
      goto done;
    order[k].k = k;
    order[k].cost = dw ? p[k].W : p[k].Cg;
  }
  qsort (order, K, sizeof (order[0]), multi_order_cmp);
  for (int o = 0; o < K; o++) {
    int k = order[o].k;
    gint32 *jb = jobs + o * MULTI_JOB;
    YoloTensor *xt, *yt, *bt;
    cl_mem xm = NULL, ym = NULL;
    gint64 xo = 0, yo = 0, per, nblk;
    float *wb;
    gsize wbytes;
    guint b0 = bias->len;

    yolo_conv_multi_member (g, n, k, &m);
    xt = YOLO_IN (g, &m.node, 0);
    yt = YOLO_OUT (g, &m.node, 0);
    bt = YOLO_IN (g, &m.node, 2);
    if (!yolo_rt_tensor_mem (rt, g, xt, &xm, &xo, error)
        || !yolo_rt_tensor_mem (rt, g, yt, &ym, &yo, error))
      goto done;
    if (arena == NULL)
      arena = xm;
    if (xm != arena || ym != arena) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s node \"%s\": its inputs and outputs are not all in the "
          "activation arena", n->op_type, n->name);
      goto done;
    }
    if (dw) {
      per = yolo_div_up (p[k].H, 8);    /* CONV_DW3_R rows an id */
      nblk = p[k].M;
      wbytes = (gsize) p[k].M * 9 * sizeof (float);
      wb = g_memdup2 (YOLO_IN (g, &m.node, 1)->data, wbytes);
    } else {
      per = yolo_div_up ((gint64) p[k].H * p[k].W, 32);
      nblk = yolo_div_up (p[k].M, CONV_BLOCK);
      wb = yolo_conv_cl_repack_blocked (YOLO_IN (g, &m.node, 1)->data, &p[k],
          &wbytes);
    }
    jb[0] = (gint32) ids;
    jb[1] = (gint32) per;
    jb[2] = (gint32) xo;
    jb[3] = (gint32) (wts->len / sizeof (float));
    jb[4] = (gint32) b0;
    jb[5] = (gint32) yo;
    jb[6] = m.node.act;
    memcpy (&jb[7], &m.node.act_alpha, sizeof (float));
    memcpy (&jb[8], &m.node.act_beta, sizeof (float));
    jb[9] = p[k].M;
    jb[10] = dw ? p[k].H : p[k].H * p[k].W;
    jb[11] = dw ? p[k].W : p[k].Cg;
    g_byte_array_append (wts, (const guint8 *) wb, wbytes);
    g_free (wb);
    g_array_set_size (bias, b0 + yolo_div_up (p[k].M, CONV_BLOCK16)
        * CONV_BLOCK16);
    if (bt != NULL)
      memcpy (&g_array_index (bias, float, b0), bt->data,
          p[k].M * sizeof (float));
    ids += per * nblk;
    if (ids > G_MAXINT32 || wts->len / sizeof (float) > G_MAXINT32) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s node \"%s\": too large for one launch", n->op_type, n->name);
      goto done;
    }
  }
  wmem = yolo_rt_upload (rt, wts->data, wts->len, error);
  bmem = wmem ? yolo_rt_upload (rt, bias->data, bias->len * sizeof (float),
      error) : NULL;
  jmem = bmem ? yolo_rt_upload (rt, jobs, K * MULTI_JOB * sizeof (gint32),
      error) : NULL;
  if (jmem == NULL)
    goto done;
  kern = yolo_rt_kernel (rt, dw ? "conv_dw3x3s1_multi" : "conv_1x1_multi_c8",
      error);
  if (kern == NULL)
    goto done;
  a = yolo_args (kern);
  yolo_args_mem (&a, arena);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_args_mem (&a, arena);
  yolo_args_mem (&a, jmem);
  yolo_args_int (&a, K);
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error)
      || !yolo_args_ok (&a, n, error))
    goto done;
  gws[0] = ids;
  ok = yolo_rt_launch (rt, n, kern, 1, gws, lws, error);
done:
  g_byte_array_unref (wts);
  g_array_unref (bias);
  return ok;
}

/* ConvUpsampleAdd (ops/conv.h, yolo-upsample-fuse.c): conv_1x1_up2_c8,
 * conv_1x1_c8's work-item with its sums started at up2 (Z). */
static gboolean
up2_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;

  return yolo_rt_device (rt)->wide_vectors
      && yolo_conv_up2_params (g, n, &p, NULL);
}

/* conv_args_head, then M, H, W, Cg, Z and the QDQ arguments; conv_1x1_c8's
 * global and local sizes. */
static gboolean
up2_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  gsize gws[2], lws[2], HW;
  cl_mem bmem;
  cl_kernel k;
  YoloArgs a;

  if (!conv_args_head (rt, g, n, "conv_1x1_up2_c8", CONV_BLOCK, &p, &k, &a,
          &bmem, error))
    return FALSE;
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, p.H);
  yolo_args_int (&a, p.W);
  yolo_args_int (&a, p.Cg);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 3));
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error)
      || !yolo_args_ok (&a, n, error))
    return FALSE;
  HW = (gsize) p.H * p.W;
  gws[0] = yolo_div_up (p.M, CONV_BLOCK);
  gws[1] = yolo_div_up (HW, 32);
  lws[0] = 1;
  lws[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units,
      gws[0], gws[1], 32, HW);
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

static const char *const conv_types[] = { "Conv", NULL };
static const char *const pair_types[] = { YOLO_CONV_PAIR_OP, NULL };
static const char *const multi_types[] = { YOLO_CONV_MULTI_OP, NULL };
static const char *const up2_types[] = { YOLO_CONV_UP2_OP, NULL };

#define CPU_IMPL(var, name, supports, prepare, flags) \
  static const YoloOpImpl var = { conv_types, name, "conv_cpu", NULL, \
    supports, prepare, (flags) | YOLO_IMPL_HALF }
CPU_IMPL (impl_dw3x3s1, "conv-cpu-dw3x3s1", dw3x3s1_supports,
    dw3x3s1_prepare, 0);
CPU_IMPL (impl_dw3x3s2, "conv-cpu-dw3x3s2", dw3x3s2_supports,
    dw3x3s2_prepare, 0);
CPU_IMPL (impl_dw7x7s1, "conv-cpu-dw7x7s1", dw7x7s1_supports,
    dw7x7s1_prepare, 0);
CPU_IMPL (impl_dw, "conv-cpu-dw", dw_supports, dw_prepare, 0);
CPU_IMPL (impl_1x1, "conv-cpu-1x1", c1x1_supports, c1x1_prepare, 0);
CPU_IMPL (impl_3x3s1, "conv-cpu-3x3s1", c3x3s1_supports, c3x3s1_prepare,
    YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s1_flat, "conv-cpu-3x3s1-flat", c3x3s1_flat_supports,
    c3x3s1_flat_prepare, YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s2_flat, "conv-cpu-3x3s2-flat", c3x3s2_flat_supports,
    c3x3s2_flat_prepare, YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s2, "conv-cpu-3x3s2", c3x3s2_supports, c3x3s2_prepare,
    YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s2_c16, "conv-cpu-3x3s2-c16", c3x3s2_c16_supports,
    c3x3s2_c16_prepare, YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s2_t32, "conv-cpu-3x3s2-t32", c3x3s2_t32_supports,
    c3x3s2_t32_prepare, YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s1_t32, "conv-cpu-3x3s1-t32", c3x3s1_t32_supports,
    c3x3s1_t32_prepare, YOLO_IMPL_TUNABLE);
CPU_IMPL (impl_3x3s2_stem, "conv-cpu-3x3s2-stem", stem3_supports,
    stem3_prepare, 0);
CPU_IMPL (impl_6x6s2_stem, "conv-cpu-6x6s2-stem", stem6_supports,
    stem6_prepare, 0);
CPU_IMPL (impl_kxk, "conv-cpu-kxk", kxk_supports, kxk_prepare, 0);
static const YoloOpImpl impl_1x1_pair = { pair_types, "conv-cpu-1x1-pair",
  "conv_cpu", NULL, pair_supports, pair_prepare, YOLO_IMPL_HALF
};

static const YoloOpImpl impl_multi = { multi_types, "conv-cpu-multi",
  "conv_cpu", NULL, multi_supports, multi_prepare, YOLO_IMPL_HALF
};

static const YoloOpImpl impl_1x1_up2 = { up2_types, "conv-cpu-1x1-up2",
  "conv_cpu", NULL, up2_supports, up2_prepare, YOLO_IMPL_HALF
};

/* Depthwise first, then the ones that take any other blocked conv (the
 * registry puts conv-wino4 before conv-cpu-1x1). */
const YoloOpImpl *const yolo_impls_conv_cpu_dw[] = {
  &impl_dw3x3s1, &impl_dw3x3s2, &impl_dw7x7s1, &impl_dw, NULL
};

const YoloOpImpl *const yolo_impls_conv_cpu[] = {
  &impl_3x3s2_stem, &impl_6x6s2_stem,
  &impl_1x1, &impl_3x3s1, &impl_3x3s1_flat, &impl_3x3s2,
  &impl_3x3s2_flat, &impl_3x3s2_c16, &impl_3x3s2_t32, &impl_3x3s1_t32,
  &impl_kxk,
  &impl_1x1_pair, &impl_multi, &impl_1x1_up2, NULL
};
