/* backend-opencl/conv-common.c - see conv-common.h. */
#include <string.h>
#include "conv-common.h"
#include "yolo-cl.h"

static const char *const conv_kernel_names[] = {
  "conv_1x1_c8", "conv_3x3s1_c8", "conv_3x3s2_c8", "conv_kxk_c8", "conv_dw",
  "conv_dw3x3s1", "conv_dw3x3s2", "conv_generic", "conv_gpu_c8",
  "conv_dw7x7s1", "conv_3x3s1_flat_c8",
};

gboolean
yolo_conv_cl_params (YoloGraph * g, YoloNode * n, ConvParams * p)
{
  YoloTensor *res;

  return yolo_conv_params (g, n, p, NULL)
      && yolo_conv_residual_ok (g, n, p, &res, NULL);
}

cl_mem
yolo_conv_cl_upload_bias (YoloRuntime * rt, const YoloTensor * t, int n,
    GError ** error)
{
  gsize len = (gsize) yolo_div_up (n, CONV_BLOCK16) * CONV_BLOCK16;
  float *v = g_new0 (float, len);
  cl_mem m;

  if (t != NULL)
    memcpy (v, t->data, (gsize) n * sizeof (float));
  m = yolo_rt_upload (rt, v, len * sizeof (float), error);
  g_free (v);
  return m;
}

cl_mem
yolo_conv_cl_bias (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, GError ** error)
{
  return yolo_conv_cl_upload_bias (rt, YOLO_IN (g, n, 2), p->M, error);
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

/* n's epilogue records on the device (CONV_QDQ_ARGS' qe) and *mask. A
 * SiLU after fq0 gets the table of conv_qdq_lut16 (qe[32..287], mask bit
 * 4), computed here once by conv_qdq_silu_table on the device. */
static cl_mem
qdq_records (YoloRuntime * rt, const YoloNode * n, cl_int * mask,
    GError ** error)
{
  const YoloQdqEpilogue *e = n->qepi;
  gboolean lut = n->act == YOLO_ACT_SILU && (e->mask & YOLO_QEPI_OUT);
  float buf[32 + 256] = { 0 };
  gsize gws[1] = { 1 };
  cl_kernel k;
  cl_mem m;
  cl_int err;

  memcpy (buf, e->fq, sizeof (e->fq));
  *mask = (cl_int) e->mask;
  /* codes out (the integer convs only): bit 5, the record in bits 6-7 */
  if (e->codes >= 0)
    *mask |= 32 | (e->codes << 6);
  if (!lut)
    return yolo_rt_upload (rt, buf, 32 * sizeof (float), error);
  m = yolo_rt_alloc (rt, sizeof (buf), error);
  k = m ? yolo_rt_kernel (rt, "conv_qdq_silu_table", error) : NULL;
  if (!k)
    return NULL;
  err = clEnqueueWriteBuffer (yolo_rt_queue (rt), m, CL_TRUE, 0,
      sizeof (buf), buf, 0, NULL, NULL);
  if (err == CL_SUCCESS)
    err = clSetKernelArg (k, 0, sizeof (cl_mem), &m);
  if (err == CL_SUCCESS)
    err = clSetKernelArg (k, 1, sizeof (cl_int), mask);
  if (err == CL_SUCCESS)
    err = clEnqueueNDRangeKernel (yolo_rt_queue (rt), k, 1, NULL, gws, NULL,
        0, NULL, NULL);
  if (err == CL_SUCCESS)
    err = clFinish (yolo_rt_queue (rt));
  clReleaseKernel (k);
  if (YOLO_CL_FAILED (err, error, "computing the QDQ SiLU table of %s",
          n->name))
    return NULL;
  *mask |= 16;
  return m;
}

void
yolo_conv_cl_args_window (YoloArgs * a, const YoloConvGeometry * p)
{
  yolo_args_int (a, p->kh);
  yolo_args_int (a, p->kw);
  yolo_args_int (a, p->sh);
  yolo_args_int (a, p->sw);
  yolo_args_int (a, p->pt);
  yolo_args_int (a, p->pl);
  yolo_args_int (a, p->dh);
  yolo_args_int (a, p->dw);
}

gboolean
yolo_conv_cl_args_qdq (YoloArgs * a, YoloRuntime * rt, const YoloNode * n,
    cl_mem dummy, GError ** error)
{
  cl_mem qmem = dummy;
  cl_int mask = 0;

  if (!yolo_rt_qdq_epilogue (rt))
    return !n->qepi || yolo_op_unsupported (error, n, "fused QDQ epilogue "
        "without CONV_QDQ kernels");
  if (n->qepi && !(qmem = qdq_records (rt, n, &mask, error)))
    return FALSE;
  yolo_args_mem (a, qmem);
  yolo_args_int (a, mask);
  return TRUE;
}

/* The QDQ epilogue of n as a pass of its own over yt (holding conv +
 * bias), for kernels without CONV_QDQ_ARGS (ocl_kernels/qdq.cl). */
static gboolean
qdq_epilogue_pass (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    YoloTensor * yt, YoloTensor * res, GError ** error)
{
  cl_kernel k = yolo_rt_kernel (rt, "qdq_conv_epilogue", error);
  gint64 count = yolo_tensor_numel (yt);
  cl_mem qmem;
  gsize gws[1];
  YoloArgs a;

  if (!k)
    return FALSE;
  qmem = yolo_rt_upload (rt, n->qepi->fq, sizeof (n->qepi->fq), error);
  if (!qmem)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, yt);
  yolo_args_tensor (&a, rt, g, res ? res : yt);
  yolo_args_int (&a, res != NULL);
  yolo_args_mem (&a, qmem);
  yolo_args_int (&a, (cl_int) n->qepi->mask);
  yolo_args_int (&a, n->act);
  yolo_args_int (&a, (cl_int) count);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = count;
  return yolo_rt_launch (rt, n, k, 1, gws, NULL, error);
}

/* Weights [M][Cg][kh][kw] -> [M/blk][Cg][kh][kw][blk], zero padded. */
float *
yolo_conv_cl_repack_block (const float *w, const ConvParams * p, int blk,
    gsize * bytes)
{
  int nb = yolo_div_up (p->M, blk), kk = p->kh * p->kw;
  gsize per = (gsize) p->Cg * kk;
  float *out = g_new0 (float, (gsize) nb * per * blk);
  int m;
  gsize i;

  for (m = 0; m < p->M; m++) {
    float *dst = out + (gsize) (m / blk) * per * blk + m % blk;
    const float *src = w + (gsize) m * per;
    for (i = 0; i < per; i++)
      dst[i * blk] = src[i];
  }
  *bytes = (gsize) nb *per * blk * sizeof (float);
  return out;
}

float *
yolo_conv_cl_repack_blocked (const float *w, const ConvParams * p,
    gsize * bytes)
{
  return yolo_conv_cl_repack_block (w, p, CONV_BLOCK, bytes);
}

cl_mem
yolo_conv_cl_upload_block (YoloRuntime * rt, const float *w,
    const ConvParams * p, int blk, GError ** error)
{
  gsize bytes;
  float *pack = yolo_conv_cl_repack_block (w, p, blk, &bytes);
  cl_mem mem = yolo_rt_upload (rt, pack, bytes, error);

  g_free (pack);
  return mem;
}

/* PoCL's pthread scheduler (get_wg_index_range in pthread_scheduler.c,
 * 3.1 to 2026's main): a free thread takes min (limit, ceil (remaining /
 * threads)) consecutive work-groups, limit POCL_MIN_WGS x threads when at
 * most POCL_MAX_WGS x threads^2 are left, else POCL_MAX_WGS x threads. */
#define POCL_MIN_WGS 32
#define POCL_MAX_WGS 256

/* The cost of work-item y of dimension 1: the elements it covers plus an
 * eighth of a span; an item past the end (the global size rounded up to
 * the local size) returns at once. */
static double
item_cost (gsize y, gsize span, gsize total)
{
  gsize first = y * span;
  return first < total ? span / 8.0 + MIN (span, total - first) : 0.5;
}

/* The longest thread's cost: nb x groups work-groups of l items. */
static double
simulate_split (guint units, gsize nb, gsize items, gsize l, gsize span,
    gsize total)
{
  gsize groups = yolo_div_up (items, l), n = nb * groups, dealt = 0;
  gsize small = units * (gsize) POCL_MIN_WGS, big =
      units * (gsize) POCL_MAX_WGS;
  double busy[16] = { 0 }, *group_cost = g_new (double, groups), longest = 0;

  for (gsize y = 0; y < groups; y++) {
    group_cost[y] = span / 16.0;
    for (gsize i = 0; i < l; i++)
      group_cost[y] += item_cost (y * l + i, span, total);
  }
  while (dealt < n) {
    gsize rem = n - dealt, limit, take;
    guint t = 0;

    for (guint i = 1; i < units; i++)
      if (busy[i] < busy[t])
        t = i;
    limit = rem <= big * units ? small : big;
    take = MIN (limit, yolo_div_up (rem, units));
    for (gsize i = dealt; i < dealt + take; i++)
      busy[t] += group_cost[i / nb];
    dealt += take;
  }
  for (guint i = 0; i < units; i++)
    longest = MAX (longest, busy[i]);
  g_free (group_cost);
  return longest;
}

gsize
yolo_conv_cl_balanced_lws (guint units, gsize nb, gsize items, gsize span,
    gsize total)
{
  /* not {1, 2} as well: each local size of a kernel is one more
   * work-group function for PoCL to compile on a cold cache (about 1 s of
   * CPU each), and {1, 1} has most of its gain */
  static const gsize sizes[] = { 4, 1 };
  double best = -1;
  gsize lws = sizes[0];

  units = MIN (units, 16);
  nb = MAX (nb, 1);
  items = MAX (items, 1);
  /* one thread, or enough groups that the runs are short: keep 4 */
  if (units < 2 || nb * yolo_div_up (items, 4) > units * (gsize) POCL_MAX_WGS)
    return lws;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    double t = simulate_split (units, nb, items, sizes[i], span, total);
    if (best < 0 || t < best) {
      best = t;
      lws = sizes[i];
    }
  }
  return lws;
}

/* {1, yolo_conv_cl_balanced_lws} for rt's device. */
static void
balanced_lws (YoloRuntime * rt, gsize nb, gsize items, gsize span,
    gsize total, gsize lws[2])
{
  lws[0] = 1;
  lws[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units, nb,
      items, span, total);
}

gboolean
yolo_conv_cl_launch_gemm_t16 (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, gsize col_bytes, int HW, int R, GError ** error)
{
  YoloTensor *res, *yt = YOLO_OUT (g, n, 0);
  /* Local sizes {1, 4}, {1, 2} or {1, 1}: PoCL compiles one work-group
   * function per size. */
  gsize gws[2], lws[2];
  cl_mem wmem, bmem;
  cl_kernel k;
  YoloArgs a;

  if (!yolo_conv_residual_ok (g, n, p, &res, error))
    return FALSE;
  wmem = yolo_conv_cl_upload_block (rt, YOLO_IN (g, n, 1)->data, p,
      CONV_BLOCK16, error);
  if (wmem == NULL)
    return FALSE;
  bmem = yolo_conv_cl_bias (rt, g, n, p, error);
  if (bmem == NULL)
    return FALSE;
  k = yolo_rt_kernel (rt, "conv_gemm_t16", error);
  if (k == NULL)
    return FALSE;
  a = yolo_args (k);
  if (col_bytes > 0) {
    yolo_args_scratch (&a, rt, 1, col_bytes);
    yolo_args_int (&a, 0);
  } else {
    yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  }
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, bmem);
  yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  yolo_args_int (&a, p->M);
  yolo_args_int (&a, HW);
  yolo_args_int (&a, R);
  if (!yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
    return FALSE;
  gws[0] = yolo_div_up (p->M, CONV_BLOCK16);
  gws[1] = yolo_div_up ((gsize) HW, 16);
  balanced_lws (rt, gws[0], gws[1], 16, HW, lws);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
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
  gsize wbytes, gws[2];
  /* Fixed local sizes: PoCL compiles one work-group function per size
   * ({1, 2} and {1, 1} too where they share a small plane more evenly). */
  static const gsize lws_blocked[2] = { 1, 4 };
  static const gsize lws_generic[2] = { 16, 1 };
  const gsize *lws = lws_blocked;
  gsize lws_flat[2];
  gboolean post;
  int nb, rows;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &res, error))
    return FALSE;
  /* Weights (depthwise and generic: as they are; else blocked) and bias
   * (padded to a multiple of the channel block). */
  nb = yolo_div_up (p.M, CONV_BLOCK);
  if (kind == CONV_K_DW || kind == CONV_K_DW3X3S1
      || kind == CONV_K_DW3X3S2 || kind == CONV_K_DW7X7S1
      || kind == CONV_K_GENERIC) {
    wbytes = (gsize) yolo_tensor_numel (wt) * sizeof (float);
    wmem = yolo_rt_upload (rt, wt->data, wbytes, error);
  } else {
    wmem = yolo_conv_cl_upload_block (rt, wt->data, &p, CONV_BLOCK, error);
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
  /* conv_gpu.cl has no QDQ epilogue: conv + bias, then a pass */
  post = n->qepi && (kind == CONV_K_GENERIC || kind == CONV_K_GPU_C8);
  if (post) {
    yolo_args_tensor (&a, rt, g, yt);
    yolo_args_tensor (&a, rt, g, yt);
    yolo_args_int (&a, 0);
    yolo_args_int (&a, YOLO_ACT_NONE);
    yolo_args_float (&a, 0.0f);
    yolo_args_float (&a, 0.0f);
  } else {
    yolo_conv_cl_args_epilogue (&a, rt, g, n, yt, res);
  }
  yolo_args_int (&a, p.M);

  switch (kind) {
    case CONV_K_1X1:
      yolo_args_int (&a, p.H * p.W);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      gws[0] = nb;
      gws[1] = yolo_div_up ((gsize) p.H * p.W, 32);
      balanced_lws (rt, gws[0], gws[1], 32, (gsize) p.H * p.W, lws_flat);
      lws = lws_flat;
      break;
    case CONV_K_3X3S1:
    case CONV_K_3X3S1_FLAT:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Cg);
      yolo_args_int (&a, p.Mg);
      gws[0] = nb;
      gws[1] = kind == CONV_K_3X3S1_FLAT ? yolo_div_up ((gsize) p.H * p.W, 32)
          : yolo_div_up (p.W, 16) * yolo_div_up (p.H, 2);
      if (kind == CONV_K_3X3S1_FLAT) {
        balanced_lws (rt, gws[0], gws[1], 32, (gsize) p.H * p.W, lws_flat);
        lws = lws_flat;
      }
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
    case CONV_K_DW7X7S1:
      yolo_args_int (&a, p.H);
      yolo_args_int (&a, p.W);
      yolo_args_int (&a, p.Ho);
      yolo_args_int (&a, p.Wo);
      yolo_args_int (&a, p.Mg);
      gws[0] = p.M;
      /* conv_dw7x7s1: CONV_DW7_R (4), conv_dw3x3s1/s2: CONV_DW3_R (8)
       * output rows per work-item */
      rows = kind == CONV_K_DW ? 1 : kind == CONV_K_DW7X7S1 ? 4 : 8;
      gws[1] = yolo_div_up (p.Ho, rows);
      balanced_lws (rt, gws[0], gws[1], rows, p.Ho, lws_flat);
      lws = lws_flat;
      break;
  }
  if (kind == CONV_K_KXK || kind == CONV_K_GENERIC || kind == CONV_K_DW
      || kind == CONV_K_GPU_C8)
    yolo_conv_cl_args_window (&a, &p);
  if (kind != CONV_K_GENERIC && kind != CONV_K_GPU_C8
      && !yolo_conv_cl_args_qdq (&a, rt, n, bmem, error))
    return FALSE;
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  if (!yolo_rt_device (rt)->wide_vectors)
    lws = NULL;
  if (!yolo_rt_launch (rt, n, k, 2, gws, lws, error))
    return FALSE;
  return !post || qdq_epilogue_pass (rt, g, n, yt, res, error);
}
