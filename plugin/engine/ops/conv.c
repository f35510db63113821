/* ops/conv.c - ONNX Conv (2D, fp32, batch 1) with a fused epilogue
 * out = act(conv + bias) [+ residual].
 *
 * prepare() picks one kernel by device and shape. On CPUs whose compiler
 * wants explicit wide vectors (YoloDeviceInfo.wide_vectors: PoCL), from
 * ocl_kernels/conv_cpu.cl:
 *  - depthwise / one input channel per group  -> conv_dw
 *  - groups whose output channels split into blocks of 8 (incl. group 1):
 *      1x1 stride 1 no pad                     -> conv_1x1_c8
 *      3x3 stride 1 pad 1                      -> conv_3x3s1_c8, or for
 *        group 1 with >= 64 in/out channels Winograd F(4x4, 3x3):
 *        conv_wino4_in + conv_wino_gemm + conv_wino4_out (weights
 *        transformed here, two scratch buffers per conv)
 *      3x3 stride 2 pad 1                      -> conv_3x3s2_c8
 *      anything else                           -> conv_kxk_c8
 *  - other groupings                           -> conv_generic
 * Elsewhere (GPUs, rusticl/llvmpipe):
 *  - on devices with dedicated local memory (CL_DEVICE_LOCAL_MEM_TYPE
 *    CL_LOCAL: GPUs), group 1, 1x1 (any stride / pad) or 3x3 (stride 1 or
 *    2, dilation 1)
 *      -> conv_tiled (ocl_kernels/gemm_tiled.cl): implicit GEMM, 64 output
 *         channels x 64 pixels per work-group of 16x16, 4x4 outputs per
 *         work-item, tiles of weights and im2col columns in local memory;
 *         it needs exactly that work-group and 8 KiB of local memory. On a
 *         device (or kernel) that cannot run it (yolo_rt_fits_fixed) the
 *         next variant: conv_tiled_wg32 (32 x 32 tile, 8x4 work-items of
 *         8x4 outputs, 4 KiB), then conv_gpu_c8.
 *  - otherwise conv_gpu_c8 (ocl_kernels/conv_gpu.cl: 1 pixel x 8 channels
 *    per work-item), or conv_generic for groups not in blocks of 8.
 * The choice is by capability only (no timing: we have no GPU to tune
 * on). On rusticl/llvmpipe, whose "local" memory is ordinary memory
 * (CL_DEVICE_LOCAL_MEM_TYPE CL_GLOBAL) and which allows 32 work-items per
 * group for these kernels, the tiled path measured about 20% more CPU
 * time per yolov8n-320 frame than conv_gpu_c8 (same results), so there
 * it runs only when forced (the kernel tests force it on PoCL and
 * rusticl).
 * Only the unit a plan uses is compiled.
 * The blocked kernels read weights repacked as [M/8][Cg][kh][kw][8],
 * conv_tiled as [Kp][Mp] (K = Cg*kh*kw rounded up to 16, M to 64).
 */
#include <math.h>
#include "yolo-ops.h"
#include "yolo-engine.h"

#include <string.h>

#define CONV_BLOCK 8
/* conv_tiled* (gemm_tiled.cl): weights padded to TILED_MP output channels
 * (a multiple of every geometry's tile) and TILED_TK rows of K. */
#define TILED_MP 64
#define TILED_TK 16

/* The work-group geometries of conv_tiled, best first: kernel, its
 * required local size, its output tile (pixels x channels). */
typedef struct
{
  const char *kernel;
  gsize lws[2];
  int tn, tm;
} TiledGeom;

static const TiledGeom conv_tiled_geoms[] = {
  {"conv_tiled", {16, 16}, 64, 64},
  {"conv_tiled_wg32", {8, 4}, 32, 32},
};

#define WINO_MIN_C 64

typedef struct
{
  int C, H, W;                  /* input */
  int M, Ho, Wo;                /* output */
  int group, Cg, Mg;            /* input / output channels per group */
  int kh, kw, sh, sw, dh, dw;
  int pt, pl, pb, pr;           /* pads: top, left, bottom, right */
} ConvParams;

static gboolean
conv_get_pair (const YoloNode * n, const char *name, int def, int *a, int *b,
    gboolean positive, GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, name, &cnt);

  *a = *b = def;
  if (v == NULL)
    return TRUE;
  if (cnt != 2) {
    yolo_op_error (error, n, "Conv attribute %s needs 2 values, got %d",
        name, cnt);
    return FALSE;
  }
  if ((positive && (v[0] < 1 || v[1] < 1)) || v[0] > 65536 || v[1] > 65536) {
    yolo_op_error (error, n, "Conv attribute %s has invalid values "
        "[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", name, v[0], v[1]);
    return FALSE;
  }
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

/* Output size and begin/end padding of one spatial dimension. */
static gboolean
conv_dim (const YoloNode * n, const char *auto_pad, int in, int k, int s,
    int d, int *pad0, int *pad1, int *out, GError ** error)
{
  gint64 ext = (gint64) d * (k - 1) + 1;
  gint64 o;

  if (strcmp (auto_pad, "NOTSET") == 0) {
    o = ((gint64) in + *pad0 + *pad1 - ext) / s + 1;
    if ((gint64) in + *pad0 + *pad1 < ext)
      o = 0;
  } else if (strcmp (auto_pad, "VALID") == 0) {
    *pad0 = *pad1 = 0;
    o = in < ext ? 0 : (in - ext) / s + 1;
  } else if (strcmp (auto_pad, "SAME_UPPER") == 0
      || strcmp (auto_pad, "SAME_LOWER") == 0) {
    gint64 total;
    o = (in + s - 1) / s;
    total = MAX (0, (o - 1) * s + ext - in);
    if (auto_pad[5] == 'U') {
      *pad0 = total / 2;
      *pad1 = total - total / 2;
    } else {
      *pad1 = total / 2;
      *pad0 = total - total / 2;
    }
  } else {
    yolo_op_error (error, n, "Conv: unknown auto_pad '%s'", auto_pad);
    return FALSE;
  }
  if (o < 1) {
    yolo_op_error (error, n, "Conv: kernel extent %" G_GINT64_FORMAT
        " larger than the padded input %d", ext, in + *pad0 + *pad1);
    return FALSE;
  }
  *out = (int) o;
  return TRUE;
}

static gboolean
conv_params (YoloGraph * g, YoloNode * n, ConvParams * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *w = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2);
  const char *auto_pad;
  const gint64 *ks;
  int nks = 0, i;
  gint64 group;
  const gint64 *pads;
  int npads = 0;
  char buf[128];

  memset (p, 0, sizeof (*p));
  if (x == NULL || w == NULL || n->n_outputs < 1) {
    yolo_op_error (error, n, "Conv needs inputs X and W and one output");
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
  if (x->dims[0] != 1) {
    yolo_op_error (error, n, "Conv input %s: batch must be 1",
        yolo_shape_str (x, buf, sizeof (buf)));
    return FALSE;
  }
  for (i = 1; i < 4; i++) {
    if (x->dims[i] < 1 || x->dims[i] > G_MAXINT / 4) {
      yolo_op_error (error, n, "Conv input has invalid shape %s",
          yolo_shape_str (x, buf, sizeof (buf)));
      return FALSE;
    }
  }
  if (w->ndim != 4 || w->dims[0] < 1 || w->dims[1] < 1 || w->dims[2] < 1
      || w->dims[3] < 1 || w->dims[2] > 1024 || w->dims[3] > 1024
      || w->dims[0] > G_MAXINT / 4 || w->dims[1] > G_MAXINT / 4) {
    yolo_op_error (error, n, "Conv weights have invalid shape %s "
        "(expected [M, C/group, kH, kW])",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  p->C = x->dims[1];
  p->H = x->dims[2];
  p->W = x->dims[3];
  p->M = w->dims[0];
  p->kh = w->dims[2];
  p->kw = w->dims[3];

  group = yolo_node_attr_int (n, "group", 1);
  if (group < 1 || group > p->C || p->C % group != 0 || p->M % group != 0) {
    yolo_op_error (error, n, "Conv group %" G_GINT64_FORMAT " does not "
        "divide input channels %d and output channels %d", group, p->C, p->M);
    return FALSE;
  }
  p->group = group;
  p->Cg = p->C / p->group;
  p->Mg = p->M / p->group;
  if (w->dims[1] != p->Cg) {
    yolo_op_error (error, n, "Conv weights %s: expected %d input channels "
        "per group (C=%d, group=%d)", yolo_shape_str (w, buf, sizeof (buf)),
        p->Cg, p->C, p->group);
    return FALSE;
  }
  if (b != NULL && (b->ndim != 1 || b->dims[0] != p->M)) {
    yolo_op_error (error, n, "Conv bias %s: expected [%d]",
        yolo_shape_str (b, buf, sizeof (buf)), p->M);
    return FALSE;
  }

  ks = yolo_node_attr_ints (n, "kernel_shape", &nks);
  if (ks != NULL && (nks != 2 || ks[0] != p->kh || ks[1] != p->kw)) {
    yolo_op_error (error, n, "Conv kernel_shape does not match weights %s",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  if (!conv_get_pair (n, "strides", 1, &p->sh, &p->sw, TRUE, error)
      || !conv_get_pair (n, "dilations", 1, &p->dh, &p->dw, TRUE, error))
    return FALSE;

  pads = yolo_node_attr_ints (n, "pads", &npads);
  if (pads != NULL) {
    if (npads != 4) {
      yolo_op_error (error, n, "Conv pads needs 4 values, got %d", npads);
      return FALSE;
    }
    for (i = 0; i < 4; i++) {
      if (pads[i] < 0 || pads[i] > 65536) {
        yolo_op_error (error, n, "Conv pads has invalid value %"
            G_GINT64_FORMAT, pads[i]);
        return FALSE;
      }
    }
    p->pt = pads[0];
    p->pl = pads[1];
    p->pb = pads[2];
    p->pr = pads[3];
  }
  auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  if (auto_pad == NULL || auto_pad[0] == '\0')
    auto_pad = "NOTSET";
  if (!conv_dim (n, auto_pad, p->H, p->kh, p->sh, p->dh, &p->pt, &p->pb,
          &p->Ho, error)
      || !conv_dim (n, auto_pad, p->W, p->kw, p->sw, p->dw, &p->pl, &p->pr,
          &p->Wo, error))
    return FALSE;
  if ((gint64) p->M * p->Ho * p->Wo > G_MAXINT / 2
      || (gint64) p->C * p->H * p->W > G_MAXINT / 2) {
    yolo_op_error (error, n, "Conv tensors are too large");
    return FALSE;
  }
  return TRUE;
}

static gboolean
conv_residual_ok (YoloGraph * g, YoloNode * n, const ConvParams * p,
    YoloTensor ** res, GError ** error)
{
  *res = NULL;
  if (n->residual < 0)
    return TRUE;
  *res = YOLO_T (g, n->residual);
  if (yolo_tensor_numel (*res) != (gint64) p->M * p->Ho * p->Wo
      || (*res)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_error (error, n, "Conv fused residual does not match the output "
        "[1,%d,%d,%d]", p->M, p->Ho, p->Wo);
    return FALSE;
  }
  return TRUE;
}

static gboolean
conv_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  gint64 dims[4];

  if (!conv_params (g, n, &p, error))
    return FALSE;
  dims[0] = 1;
  dims[1] = p.M;
  dims[2] = p.Ho;
  dims[3] = p.Wo;
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
  int m, oy, ox, c, ky, kx;

  if (!conv_params (g, n, &p, error) || !conv_residual_ok (g, n, &p, &rt,
          error))
    return FALSE;
  x = xt->data;
  w = wt->data;
  bias = bt ? bt->data : NULL;
  res = rt ? rt->data : NULL;
  if (x == NULL || w == NULL || (bt && bias == NULL) || (rt && res == NULL)) {
    yolo_op_error (error, n, "Conv eval: input data is missing");
    return FALSE;
  }
  y = yolo_tensor_alloc_data (yt);

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
        v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, (float) acc);
        if (res)
          v += res[o];
        y[o] = v;
      }
    }
  }
  return TRUE;
}

/* Weights [M][Cg][kh][kw] -> [M/8][Cg][kh][kw][8], zero padded. */
static float *
conv_repack_blocked (const float *w, const ConvParams * p, gsize * bytes)
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

typedef enum
{
  CONV_K_1X1,
  CONV_K_3X3S1,
  CONV_K_3X3S2,
  CONV_K_KXK,
  CONV_K_DW,
  CONV_K_DW3X3S1,
  CONV_K_DW3X3S2,
  CONV_K_GENERIC,
  CONV_K_GPU_C8,
  CONV_K_WINO4,
  CONV_K_TILED,
} ConvKernel;

static const char *const conv_kernel_names[] = {
  "conv_1x1_c8", "conv_3x3s1_c8", "conv_3x3s2_c8", "conv_kxk_c8", "conv_dw",
  "conv_dw3x3s1", "conv_dw3x3s2", "conv_generic", "conv_gpu_c8",
  "conv_wino4_out", "conv_tiled",       /* or another conv_tiled_geoms */
};

/* Winograd F(4x4, 3x3) where it beats conv_3x3s1_c8 on PoCL (bench-conv
 * per YOLOv8n layer: clear wins from 64 channels; at 32 channels, 80x80 it
 * is a wash in the whole model and costs 3.8 MB of scratch per conv). */
static gboolean
conv_wino_wins (const ConvParams * p)
{
  return p->Cg >= WINO_MIN_C && p->M >= WINO_MIN_C;
}

/* The shapes conv_tiled takes by default on GPUs: group 1, 1x1, or 3x3
 * with stride 1 or 2 (YOLO's convs besides the depthwise ones). */
static gboolean
conv_tiled_shape (const ConvParams * p)
{
  if (p->group != 1)
    return FALSE;
  if (p->kh == 1 && p->kw == 1)
    return TRUE;
  return p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1
      && p->sh == p->sw && (p->sh == 1 || p->sh == 2);
}

/* GPUs (dedicated local memory): conv_tiled where it applies (allow_tiled:
 * FALSE once it did not fit the device); GPUs and scalar-per-work-item
 * compilers otherwise: many small
 * work-items (conv_gpu_c8 / conv_generic). Wide-vector CPUs (PoCL): the
 * float16 register-blocked kernels, Winograd for wide 3x3 s1 convs.
 * YoloEngineOptions.conv_kernel (default: YOLO_CONV_KERNEL) "gpu" forces
 * the scalar GPU choice without conv_tiled on any device (to test those
 * kernels on a CPU); "tiled" forces conv_tiled for every group-1 conv on
 * any device (any kernel size, stride, pad, dilation); "wino" uses
 * Winograd for every 3x3 s1 pad 1 group 1 conv, "direct" never. */
static ConvKernel
conv_choose (const ConvParams * p, const YoloDeviceInfo * dev,
    const char *force, gboolean allow_tiled)
{
  gboolean wide_vectors = dev->wide_vectors;
  gboolean pad0 = p->pt == 0 && p->pl == 0 && p->pb == 0 && p->pr == 0;
  gboolean pad1 = p->pt == 1 && p->pl == 1 && p->pb == 1 && p->pr == 1;
  gboolean force_gpu = g_strcmp0 (force, "gpu") == 0;

  if (allow_tiled && p->group == 1 && (g_strcmp0 (force, "tiled") == 0
          || (dev->local_mem_dedicated && !wide_vectors && !force_gpu
              && conv_tiled_shape (p))))
    return CONV_K_TILED;
  if (!wide_vectors || force_gpu) {
    if (p->group > 1 && p->Mg % CONV_BLOCK != 0)
      return CONV_K_GENERIC;
    return CONV_K_GPU_C8;
  }
  if (p->Cg == 1 && p->group > 1) {
    if (p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1 && pad1
        && p->sh == p->sw && (p->sh == 1 || p->sh == 2))
      return p->sh == 1 ? CONV_K_DW3X3S1 : CONV_K_DW3X3S2;
    return CONV_K_DW;
  }
  if (p->group > 1 && p->Mg % CONV_BLOCK != 0)
    return CONV_K_GENERIC;
  if (p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && pad0)
    return CONV_K_1X1;
  if (p->kh == 3 && p->kw == 3 && p->dh == 1 && p->dw == 1 && pad1) {
    if (p->sh == 1 && p->sw == 1) {
      if (p->group == 1 && g_strcmp0 (force, "direct") != 0
          && (g_strcmp0 (force, "wino") == 0 || conv_wino_wins (p)))
        return CONV_K_WINO4;
      return CONV_K_3X3S1;
    }
    if (p->sh == 2 && p->sw == 2)
      return CONV_K_3X3S2;
  }
  return CONV_K_KXK;
}

/* Winograd F(4x4, 3x3) scales intermediate values by up to about 4e4
 * (the B and A transforms) where a direct convolution does not: with weights
 * near FLT_MAX it turns a finite result into inf - inf = NaN. Weights of any
 * real network are far below this bound; larger ones take the direct
 * kernel, which stays finite wherever onnxruntime does. */
#define WINO_MAX_ABS_WEIGHT 65504.0f

static gboolean
conv_wino_weights_safe (const YoloTensor * wt)
{
  const float *w = wt->data;
  gint64 cnt = yolo_tensor_numel (wt);

  for (gint64 i = 0; i < cnt; i++)
    if (!(fabsf (w[i]) <= WINO_MAX_ABS_WEIGHT))
      return FALSE;
  return TRUE;
}

/* Weights [M][C][3][3] -> U = G g G^T as [36][M/8][C][8], zero padded. */
static float *
conv_wino4_weights (const float *w, const ConvParams * p, gsize * bytes)
{
  static const double G[6][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
  };
  int nb = yolo_div_up (p->M, CONV_BLOCK), C = p->C, m, c, i, j, k;
  gsize plane = (gsize) nb * C * CONV_BLOCK;
  float *u = g_new0 (float, 36 * plane);

  for (m = 0; m < p->M; m++) {
    for (c = 0; c < C; c++) {
      const float *g = w + ((gsize) m * C + c) * 9;
      double t[6][3];
      for (i = 0; i < 6; i++)
        for (j = 0; j < 3; j++)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (i = 0; i < 6; i++) {
        for (j = 0; j < 6; j++) {
          double acc = 0;
          for (k = 0; k < 3; k++)
            acc += t[i][k] * G[j][k];
          u[(i * 6 + j) * plane + ((gsize) (m / CONV_BLOCK) * C + c)
              * CONV_BLOCK + m % CONV_BLOCK] = (float) acc;
        }
      }
    }
  }
  *bytes = 36 * plane * sizeof (float);
  return u;
}

/* Weights [M][K] (K = Cg*kh*kw) -> [Kp][Mp] for conv_tiled: K rounded up
 * to TILED_TK, M to TILED_MP, zero padded. */
static float *
conv_repack_tiled (const float *w, const ConvParams * p, int *Mp, gsize * bytes)
{
  gsize K = (gsize) p->Cg * p->kh * p->kw;
  gsize Kp = yolo_div_up (K, TILED_TK) * TILED_TK;
  float *out;

  *Mp = yolo_div_up (p->M, TILED_MP) * TILED_MP;
  out = g_new0 (float, Kp * *Mp);
  for (int m = 0; m < p->M; m++)
    for (gsize k = 0; k < K; k++)
      out[k * *Mp + m] = w[m * K + k];
  *bytes = Kp * *Mp * sizeof (float);
  return out;
}

/* The first conv_tiled geometry the device runs (its kernel in *k), or
 * NULL (*k NULL) when none fits; FALSE on errors. */
static gboolean
conv_tiled_pick (YoloRuntime * rt, YoloNode * n, const TiledGeom ** geom,
    cl_kernel * k, GError ** error)
{
  *geom = NULL;
  *k = NULL;
  for (guint i = 0; i < G_N_ELEMENTS (conv_tiled_geoms); i++) {
    *k = yolo_rt_kernel (rt, conv_tiled_geoms[i].kernel, error);
    if (*k == NULL)
      return FALSE;
    if (yolo_rt_fits_fixed (rt, n, *k, 2, conv_tiled_geoms[i].lws)) {
      *geom = &conv_tiled_geoms[i];
      return TRUE;
    }
    clReleaseKernel (*k);
    *k = NULL;
  }
  return TRUE;
}

/* conv_tiled* of geometry geom (k: its kernel, checked by
 * yolo_rt_fits_fixed). */
/* The arguments after the bias of every conv kernel, in the order of
 * CONV_EPILOGUE_ARGS (common.cl): output, residual (the output again when
 * there is none), has_res, activation and its two parameters. */
static void
conv_args_epilogue (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    const YoloNode * n, YoloTensor * yt, YoloTensor * res)
{
  yolo_args_tensor (a, rt, g, yt);
  yolo_args_tensor (a, rt, g, res ? res : yt);
  yolo_args_int (a, res != NULL);
  yolo_args_int (a, n->act);
  yolo_args_float (a, n->act_alpha);
  yolo_args_float (a, n->act_beta);
}

static gboolean
conv_prepare_tiled (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, const TiledGeom * geom, cl_kernel k, cl_mem bmem,
    YoloTensor * res, GError ** error)
{
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  gsize wbytes, gws[2];
  cl_mem wmem;
  float *wpack;
  YoloArgs a;
  int Mp;

  wpack = conv_repack_tiled (wt->data, p, &Mp, &wbytes);
  wmem = yolo_rt_upload (rt, wpack, wbytes, error);
  g_free (wpack);
  if (wmem == NULL) {
    clReleaseKernel (k);
    return FALSE;
  }
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  conv_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, p->Ho);
  yolo_args_int (&a, p->Wo);
  yolo_args_int (&a, p->Cg);
  yolo_args_int (&a, Mp);
  yolo_args_int (&a, p->kh);
  yolo_args_int (&a, p->kw);
  yolo_args_int (&a, p->sh);
  yolo_args_int (&a, p->sw);
  yolo_args_int (&a, p->pt);
  yolo_args_int (&a, p->pl);
  yolo_args_int (&a, p->dh);
  yolo_args_int (&a, p->dw);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = yolo_div_up ((gsize) p->Ho * p->Wo, geom->tn) * geom->lws[0];
  gws[1] = yolo_div_up (p->M, geom->tm) * geom->lws[1];
  return yolo_rt_launch_fixed (rt, n, k, 2, gws, geom->lws, error);
}

/* Winograd F(4x4, 3x3): input transform, 36 GEMMs, output transform with
 * the epilogue (see conv_cpu.cl), through two shared scratch slots. */
static gboolean
conv_prepare_wino4 (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, cl_mem bmem, YoloTensor * res, GError ** error)
{
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *yt = YOLO_OUT (g, n, 0);
  static const gsize lws[2] = { 1, 4 };
  const gsize *l = yolo_rt_device (rt)->wide_vectors ? lws : NULL;
  int th = yolo_div_up (p->H, 4), tw = yolo_div_up (p->W, 4);
  int Tp = yolo_div_up ((gsize) th * tw, 32) * 32;
  int nb = yolo_div_up (p->M, CONV_BLOCK), nxc = yolo_div_up (tw, 16);
  gsize ubytes, vbytes, obytes, gws[2];
  cl_mem umem;
  cl_kernel k;
  YoloArgs a;
  float *u;
  /* Element strides of the scratch planes: V[c][xi][t] and O[m][xi][t]
   * (YoloEngineOptions.wino_layout "xi": [xi][c][t], for comparison). */
  gboolean xi_major = !strcmp (yolo_rt_options (rt)->wino_layout, "xi");
  int Mp = nb * CONV_BLOCK;
  int vcs = xi_major ? Tp : 36 * Tp, vxs = xi_major ? p->C * Tp : Tp;
  int ocs = xi_major ? Tp : 36 * Tp, oxs = xi_major ? Mp * Tp : Tp;

  if ((gint64) 36 * MAX (p->C, nb * CONV_BLOCK) * Tp > G_MAXINT / 2) {
    yolo_op_error (error, n, "Conv tensors are too large");
    return FALSE;
  }
  u = conv_wino4_weights (wt->data, p, &ubytes);
  umem = yolo_rt_upload (rt, u, ubytes, error);
  g_free (u);
  if (umem == NULL)
    return FALSE;
  /* Scratch (shared by all convs, see yolo_args_scratch): slot 0 holds the
   * transformed input V, slot 1 the GEMM output O; 32 floats of slack: the
   * output transform reads up to 16 lanes past the last tile. */
  vbytes = ((gsize) 36 * p->C * Tp + 32) * sizeof (float);
  obytes = ((gsize) 36 * nb * CONV_BLOCK * Tp + 32) * sizeof (float);

  k = yolo_rt_kernel (rt, "conv_wino4_in", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_scratch (&a, rt, 0, vbytes);
  yolo_args_int (&a, p->C);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, th);
  yolo_args_int (&a, tw);
  yolo_args_int (&a, Tp);
  yolo_args_int (&a, vcs);
  yolo_args_int (&a, vxs);
  gws[0] = p->C;
  gws[1] = tw >= 16 ? (gsize) th *nxc : 1;
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 2, gws, l, error))
    return FALSE;

  k = yolo_rt_kernel (rt, "conv_wino_gemm", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 0, vbytes);
  yolo_args_mem (&a, umem);
  yolo_args_scratch (&a, rt, 1, obytes);
  yolo_args_int (&a, p->C);
  yolo_args_int (&a, nb);
  yolo_args_int (&a, Tp);
  yolo_args_int (&a, 36);
  yolo_args_int (&a, vcs);
  yolo_args_int (&a, vxs);
  yolo_args_int (&a, ocs);
  yolo_args_int (&a, oxs);
  gws[0] = (gsize) 36 *nb;
  gws[1] = Tp / 32;
  if (!yolo_args_ok (&a, n, error)
      || !yolo_rt_launch (rt, n, k, 2, gws, l, error))
    return FALSE;

  k = yolo_rt_kernel (rt, "conv_wino4_out", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_scratch (&a, rt, 1, obytes);
  yolo_args_mem (&a, bmem);
  conv_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, p->H);
  yolo_args_int (&a, p->W);
  yolo_args_int (&a, th);
  yolo_args_int (&a, tw);
  yolo_args_int (&a, ocs);
  yolo_args_int (&a, oxs);
  gws[0] = p->M;
  gws[1] = (gsize) th *nxc;
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, l, error);
}

static gboolean
conv_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *res, *yt = YOLO_OUT (g, n, 0);
  ConvKernel kind;
  cl_kernel k = NULL;
  const TiledGeom *geom = NULL;
  cl_mem wmem, bmem;
  YoloArgs a;
  float *bias, *wpack = NULL;
  gsize wbytes, gws[2];
  /* Fixed local sizes: PoCL compiles one work-group function per size. */
  static const gsize lws_blocked[2] = { 1, 4 };
  static const gsize lws_generic[2] = { 16, 1 };
  const gsize *lws = lws_blocked;
  int nb;

  if (!conv_params (g, n, &p, error) || !conv_residual_ok (g, n, &p, &res,
          error))
    return FALSE;
  kind = conv_choose (&p, yolo_rt_device (rt),
      yolo_rt_options (rt)->conv_kernel, TRUE);
  if (kind == CONV_K_TILED) {
    if (!conv_tiled_pick (rt, n, &geom, &k, error))
      return FALSE;
    if (geom == NULL)
      kind = conv_choose (&p, yolo_rt_device (rt),
          yolo_rt_options (rt)->conv_kernel, FALSE);
  }
  if (kind == CONV_K_WINO4 && !conv_wino_weights_safe (wt)) {
    g_debug ("%s: weights too large for Winograd, using the direct kernel",
        n->name);
    kind = CONV_K_3X3S1;
  }

  /* Weights and bias (bias padded to a multiple of the channel block). */
  nb = yolo_div_up (p.M, CONV_BLOCK);
  if (kind == CONV_K_WINO4 || kind == CONV_K_TILED) {
    wmem = NULL;
  } else if (kind == CONV_K_DW || kind == CONV_K_DW3X3S1
      || kind == CONV_K_DW3X3S2 || kind == CONV_K_GENERIC) {
    wbytes = (gsize) yolo_tensor_numel (wt) * sizeof (float);
    wmem = yolo_rt_upload (rt, wt->data, wbytes, error);
  } else {
    wpack = conv_repack_blocked (wt->data, &p, &wbytes);
    wmem = yolo_rt_upload (rt, wpack, wbytes, error);
    g_free (wpack);
  }
  if (kind != CONV_K_WINO4 && kind != CONV_K_TILED && wmem == NULL)
    return FALSE;
  bias = g_new0 (float, (gsize) nb * CONV_BLOCK);
  if (bt != NULL)
    memcpy (bias, bt->data, p.M * sizeof (float));
  bmem = yolo_rt_upload (rt, bias, (gsize) nb * CONV_BLOCK * sizeof (float),
      error);
  g_free (bias);
  if (bmem == NULL) {
    if (kind == CONV_K_TILED)
      clReleaseKernel (k);
    return FALSE;
  }
  if (kind == CONV_K_WINO4)
    return conv_prepare_wino4 (rt, g, n, &p, bmem, res, error);
  if (kind == CONV_K_TILED)
    return conv_prepare_tiled (rt, g, n, &p, geom, k, bmem, res, error);

  k = yolo_rt_kernel (rt, conv_kernel_names[kind], error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, xt);
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  conv_args_epilogue (&a, rt, g, n, yt, res);
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
    case CONV_K_WINO4:         /* conv_prepare_wino4 */
    case CONV_K_TILED:         /* conv_prepare_tiled */
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

static const YoloOpDef conv_def = {
  "Conv", 0, conv_infer, conv_eval, conv_prepare
};

const YoloOpDef *const yolo_ops_conv[] = { &conv_def, NULL };
