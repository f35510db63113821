/* backend-opencl/conv-int8.c - ConvInteger / ConvIntegerToFloat 1x1
 * convolutions (stride 1, no padding, one group) as integer dot products
 * (ocl_kernels/conv_int8.cl):
 *  conv-int8-1x1  32 px x 8 output channels per work-item, exact int32
 *                 sums; the AVX512-VNNI kernel (vpdpbusd, 64 byte
 *                 products per instruction) where the device has it
 *                 (YoloDeviceInfo.int8_dot: PoCL on a CPU with
 *                 avx512vnni), the cl_khr_integer_dot_product kernel
 *                 (dot_4x8packed_us_int) where the device reports the
 *                 packed capability (int8_dot_khr: Intel's OpenCL
 *                 runtimes), the plain int32 kernel elsewhere (correct
 *                 on any device, preferred nowhere: slower than the
 *                 integer kernels of quant.c on GPUs).
 *  conv-int8-3x3s1  the same for 3x3, stride 1, pad 1 (C % 4 == 0, W >=
 *                 32): one row x 32 px x 8 output channels per work-item.
 *  conv-int8-3x3s2  3x3, stride 2, pad 1, any C, H, W
 *                 (ocl_kernels/conv_int8_s2.cl): 8 output channels x two
 *                 segments of 16 px of the output rows.
 *  conv-int8-3x3s1-flat  the 3x3 stride-1 convs on any plane: 32
 *                 consecutive pixels of the flattened H*W (across row
 *                 ends) x 8 output channels per work-item; taken where
 *                 the rows leave conv-int8-3x3s1's 32-pixel tiles part
 *                 empty (W < 32, W = 40: see flat_preferred).
 *  conv-int8-1x1-pk  1x1 with 32 px x every output channel per work-item,
 *                 the pixels' codes packed into quads once: for planes
 *                 whose channel stride is a multiple of 4 KiB (160x160),
 *                 where conv-int8-1x1's re-reads miss L1 (pk_preferred).
 * The weights are repacked at load as signed bytes, four input channels
 * per int, [ceil(M/8)][ceil(C/4)][kh * kw][8]: W8 = (w - w_zp) - d[m], d[m] = 0
 * when every w - w_zp of channel m fits in [-128, 127], else its minimum
 * + 128 (uint8 weights with a zero point inside their range; the width of
 * a channel's range is at most 255 for one weight type); the kernel then
 * adds d[m] times the sum of the codes (conv_int8.cl). */
#include "impls.h"
#include "conv-common.h"
#include "quant-args.h"
#include "ops/quant-dot.h"

#include <string.h>

#define INT8_BLOCK 8

/* On a device with integer dot products; elsewhere only for a static QDQ
 * conv with its fused epilogue (int8_compute "integer", yolo-qdq-int.c),
 * which no other ConvIntegerToFloat kernel takes (quant.c). */
static gboolean
int8_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return yolo_rt_device (rt)->int8_dot || n->qepi;
}

static gboolean
supports_1x1 (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return yolo_qdot_1x1 (g, n, &p) && p.N == 1 && yolo_qdot_supported (g, n);
}

/* conv_int8_1x1_pk's limits: a plane of 32 pixels or more, at most
 * CONV_INT8_PK_C4 (conv_int8.cl) channel quads */
static gboolean
pk_fits (const QConvGeom * p)
{
  return (gint64) p->H * p->W >= 32 && p->C <= 4 * 32;
}

static gboolean
supports_1x1_pk (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return supports_1x1 (rt, g, n) && yolo_qdot_1x1 (g, n, &p) && pk_fits (&p);
}

/* planes whose channel stride is a multiple of 4 KiB (see conv_int8.cl) */
static gboolean
pk_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return int8_preferred (rt, g, n) && yolo_qdot_1x1 (g, n, &p)
      && pk_fits (&p) && (gint64) p.H * p.W % 1024 == 0;
}

static gboolean
supports_3x3s1 (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return yolo_qdot_3x3s1 (g, n, &p) && p.N == 1 && p.W >= 32
      && yolo_qdot_supported (g, n);
}

static gboolean
supports_3x3s1_flat (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  /* the kernel's int offsets: C H W plus a row and a tile past it */
  return yolo_qdot_3x3s1 (g, n, &p) && p.N == 1
      && (gint64) p.C * p.H * p.W + p.W + 33 <= G_MAXINT
      && yolo_qdot_supported (g, n);
}

/* The rows kernel computes ceil(W / 32) * 32 pixels a row, the flat one
 * ceil(H W / 32) * 32 a plane, with 4 padding lane moves per 48 dot
 * products more (measured: 0.75x the rows kernel at 40x40, 1.03x at 80x80):
 * flat where the rows kernel would compute more than 1.25x the pixels. */
static gboolean
flat_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return int8_preferred (rt, g, n) && yolo_qdot_3x3s1 (g, n, &p)
      && (p.W < 32 || yolo_div_up (p.W, 32) * 32 * 4 > (gint64) p.W * 5);
}

static gboolean
supports_3x3s2 (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  return yolo_qdot_3x3s2 (g, n, &p) && p.N == 1 && yolo_qdot_supported (g, n);
}

typedef enum
{
  INT8_1X1,
  INT8_3X3S1,
  INT8_3X3S2,
  INT8_3X3S1_FLAT,
  INT8_1X1_PK,
} Int8Kind;

/* plain int32, AVX512-VNNI (int8_dot), cl_khr_integer_dot_product
 * (int8_dot_khr) */
static const char *const int8_kernels[5][3] = {
  {"conv_int8_1x1", "conv_int8_1x1_vnni", "conv_int8_1x1_dot"},
  {"conv_int8_3x3s1", "conv_int8_3x3s1_vnni", "conv_int8_3x3s1_dot"},
  {"conv_int8_3x3s2", "conv_int8_3x3s2_vnni", "conv_int8_3x3s2_dot"},
  {"conv_int8_3x3s1_flat", "conv_int8_3x3s1_flat_vnni",
      "conv_int8_3x3s1_flat_dot"},
  {"conv_int8_1x1_pk", "conv_int8_1x1_pk_vnni", "conv_int8_1x1_pk_dot"},
};

/* the form of int8_kernels a device runs */
static int
int8_form (YoloRuntime * rt)
{
  const YoloDeviceInfo *d = yolo_rt_device (rt);
  return d->int8_dot ? 1 : d->int8_dot_khr ? 2 : 0;
}

static const char *const int8_names[5] = {
  "conv-int8-1x1", "conv-int8-3x3s1", "conv-int8-3x3s2",
  "conv-int8-3x3s1-flat", "conv-int8-1x1-pk"
};

static const char *const int8_refusals[5] = {
  "conv-int8-1x1: only 1x1, stride 1, unpadded, one group, batch 1",
  "conv-int8-3x3s1: only 3x3, stride 1, pad 1, one group, batch 1, "
      "C % 4 == 0, W >= 32",
  "conv-int8-3x3s2: only 3x3, stride 2, pad 1, one group, batch 1",
  "conv-int8-3x3s1-flat: only 3x3, stride 1, pad 1, one group, batch 1, "
      "C % 4 == 0",
  "conv-int8-1x1-pk: only 1x1, stride 1, unpadded, one group, batch 1, "
      "H * W >= 32, C <= 128",
};

static gboolean
int8_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    Int8Kind kind, GError ** error)
{
  gsize lws[2] = { 1, 4 };
  QConvGeom p;
  YoloTensor *bt = yolo_qconv_to_float (n) ? YOLO_IN (g, n, 5) : NULL;
  int Mp, C4, kk, has_d = 0;
  gint32 *w, *d, *fix;
  guint32 *packed;
  cl_mem wmem, fmem, bmem = NULL;
  gsize gws[2];
  cl_kernel k;
  YoloArgs a;

  if (!yolo_qconv_geom (g, n, &p, error))
    return FALSE;
  if (YOLO_IN (g, n, 0)->dtype != YOLO_DTYPE_UINT8)
    return yolo_op_unsupported (error, n, "%s: only uint8 x (the codes are "
        "packed as unsigned bytes)", int8_names[kind]);
  if (!(kind == INT8_1X1 || kind == INT8_1X1_PK ? yolo_qdot_1x1 (g, n, &p) :
          kind == INT8_3X3S2 ? yolo_qdot_3x3s2 (g, n, &p) :
          yolo_qdot_3x3s1 (g, n, &p))
      || p.N != 1 || (kind == INT8_3X3S1 && p.W < 32)
      || (kind == INT8_1X1_PK && !pk_fits (&p)))
    return yolo_op_unsupported (error, n, "%s", int8_refusals[kind]);
  Mp = (int) yolo_div_up (p.M, INT8_BLOCK) * INT8_BLOCK;
  C4 = (int) yolo_div_up (p.C, 4);
  kk = p.kh * p.kw;
  w = yolo_qconv_weights (g, n, &p);
  d = g_new0 (gint32, Mp);
  if (!yolo_qdot_offsets (w, &p, d)) {
    g_free (d);
    g_free (w);
    return yolo_op_unsupported (error, n, "%s: weights minus their zero "
        "point span more than 256 values in a channel", int8_names[kind]);
  }
  /* wfix: ws[Mp] (sum of w - w_zp), then d[Mp] */
  fix = g_new0 (gint32, 2 * (gsize) Mp);
  packed = g_new0 (guint32, (gsize) Mp / INT8_BLOCK * C4 * kk * INT8_BLOCK);
  for (int m = 0; m < p.M; m++) {
    gint64 ws = 0;
    for (int c = 0; c < p.C; c++)
      for (int t = 0; t < kk; t++) {
        gint32 v = w[((gsize) m * p.C + c) * kk + t];
        gsize at = (((gsize) (m / INT8_BLOCK) * C4 + c / 4) * kk + t)
            * INT8_BLOCK + m % INT8_BLOCK;
        ws += v;
        packed[at] |= (guint32) (guint8) (gint8) (v - d[m]) << (8 * (c % 4));
      }
    fix[m] = (gint32) ws;
    fix[Mp + m] = d[m];
    has_d |= d[m] != 0;
  }
  g_free (w);
  g_free (d);
  wmem = yolo_rt_upload (rt, packed, (gsize) Mp / INT8_BLOCK * C4 * kk
      * INT8_BLOCK * sizeof (guint32), error);
  g_free (packed);
  fmem = wmem ? yolo_rt_upload (rt, fix, 2 * (gsize) Mp * sizeof (gint32),
      error) : NULL;
  g_free (fix);
  if (!fmem)
    return FALSE;
  if (bt && !(bmem = yolo_rt_upload (rt, bt->data, p.M * sizeof (float),
              error)))
    return FALSE;
  k = yolo_rt_kernel (rt, int8_kernels[kind][int8_form (rt)], error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  if (!yolo_cl_qconv_args_x (&a, rt, g, n, error))
    return FALSE;
  yolo_args_mem (&a, wmem);
  yolo_args_mem (&a, fmem);
  yolo_cl_qconv_args_epilogue (&a, rt, g, n, bmem, fmem);
  yolo_args_int (&a, p.M);
  yolo_args_int (&a, p.Ho * p.Wo);
  yolo_args_int (&a, p.C);
  yolo_args_int (&a, has_d);
  /* int8_compute "integer": SiLU as the other integer kernels */
  yolo_args_int (&a, !g->int8_integer);
  if (kind != INT8_1X1 && kind != INT8_1X1_PK) {
    yolo_args_int (&a, p.H);
    yolo_args_int (&a, p.W);
  }
  if (kind == INT8_3X3S2) {
    yolo_args_int (&a, p.Ho);
    yolo_args_int (&a, p.Wo);
  }
  /* the static QDQ epilogue (qepi, yolo-qdq-int.c) with -DCONV_QDQ=1 */
  if (!yolo_conv_cl_args_qdq (&a, rt, n, fmem, error)) {
    yolo_args_ok (&a, n, NULL);
    return FALSE;
  }
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  /* small work-groups, as conv-cpu.c's blocked kernels; over the
   * flattened plane balanced between PoCL's threads */
  gws[0] = kind == INT8_1X1_PK ? 1 : (gsize) Mp / INT8_BLOCK;
  if (kind == INT8_3X3S2)       /* two row segments of 16 px */
    gws[1] = (gsize) yolo_div_up ((gint64) p.Ho * yolo_div_up (p.Wo, 16), 2);
  else if (kind == INT8_3X3S1)
    gws[1] = (gsize) p.H * yolo_div_up (p.W, 32);
  else
    gws[1] = (gsize) yolo_div_up ((gint64) p.H * p.W, 32);
  if (kind == INT8_3X3S1_FLAT || kind == INT8_1X1_PK)
    lws[1] = yolo_conv_cl_balanced_lws (yolo_rt_device (rt)->compute_units,
        gws[0], gws[1], 32, (gsize) p.H * p.W);
  return yolo_rt_launch (rt, n, k, 2, gws, lws, error);
}

static gboolean
prepare_1x1 (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return int8_prepare (rt, g, n, INT8_1X1, error);
}

static gboolean
prepare_3x3s1 (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return int8_prepare (rt, g, n, INT8_3X3S1, error);
}

static gboolean
prepare_3x3s1_flat (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return int8_prepare (rt, g, n, INT8_3X3S1_FLAT, error);
}

static gboolean
prepare_1x1_pk (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return int8_prepare (rt, g, n, INT8_1X1_PK, error);
}

static gboolean
prepare_3x3s2 (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return int8_prepare (rt, g, n, INT8_3X3S2, error);
}

static const char *const int8_types[] = { "ConvInteger",
  "ConvIntegerToFloat", NULL
};

static const YoloOpImpl impl_int8_1x1 = {
  int8_types, "conv-int8-1x1", "conv_int8", int8_preferred, supports_1x1,
  prepare_1x1, 0
};

static const YoloOpImpl impl_int8_3x3s1 = {
  int8_types, "conv-int8-3x3s1", "conv_int8", int8_preferred,
  supports_3x3s1, prepare_3x3s1, 0
};

static const YoloOpImpl impl_int8_3x3s2 = {
  int8_types, "conv-int8-3x3s2", "conv_int8_s2", int8_preferred,
  supports_3x3s2, prepare_3x3s2, 0
};

static const YoloOpImpl impl_int8_3x3s1_flat = {
  int8_types, "conv-int8-3x3s1-flat", "conv_int8", flat_preferred,
  supports_3x3s1_flat, prepare_3x3s1_flat, 0
};

static const YoloOpImpl impl_int8_1x1_pk = {
  int8_types, "conv-int8-1x1-pk", "conv_int8", pk_preferred, supports_1x1_pk,
  prepare_1x1_pk, 0
};

const YoloOpImpl *const yolo_impls_conv_int8[] = {
  &impl_int8_1x1_pk, &impl_int8_1x1, &impl_int8_3x3s1_flat, &impl_int8_3x3s1,
  &impl_int8_3x3s2, NULL
};
