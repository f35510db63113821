/* backend-opencl/matmul.c - MatMul and Gemm on OpenCL. Every variant takes
 * the same arguments (operands through strides, see MMGeom):
 *  - matmul-tiled (ocl_kernels/gemm_tiled.cl matmul_tiled): 64x64 tiles of
 *    Y per work-group of 16x16, 4x4 per work-item, A and B tiles in local
 *    memory; it needs exactly that work-group. Preferred on devices with
 *    dedicated local memory (GPUs) when M and N are both at least
 *    MM_TILED_MIN (the attention products of YOLO11's C2PSA:
 *    [B,heads,N,d] x [B,heads,d,N]).
 *  - matmul-tiled-wg32 (matmul_tiled_wg32): 32x32 tiles, 8x4 work-items of
 *    8x4; the same, for devices that cannot run 16x16 work-groups.
 *  - matmul-tile (ocl_kernels/matmul.cl matmul_tile): 4x8 per work-item,
 *    no local memory; everywhere else.
 * A tiled variant the device cannot run (yolo_rt_fits_fixed) does not
 * support the node, and the next candidate runs. */
#include "impls.h"
#include "ops/misc-util.h"
#include "ops/matmul.h"

/* matmul_tiled*: smaller M or N waste most of a tile. */
#define MM_TILED_MIN 32

/* A kernel of a variant: its name, and for the tiled ones the required
 * local size and the output tile (N x M); lws[0] == 0 for matmul_tile. */
typedef struct
{
  const char *kernel;
  gsize lws[3];
  int tn, tm;
} MMKernel;

static const MMKernel mm_tiled = { "matmul_tiled", {16, 16, 1}, 64, 64 };
static const MMKernel mm_tiled_wg32 =
    { "matmul_tiled_wg32", {8, 4, 1}, 32, 32 };
static const MMKernel mm_tile = { "matmul_tile", {0, 0, 0}, 8, 4 };

static gboolean
mm_prepare_with (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const MMKernel * mk, GError ** error)
{
  MMGeom m;
  YoloTensor *y = YOLO_OUT (g, n, 0);
  YoloTensor *R = n->residual >= 0 ? YOLO_T (g, n->residual) : NULL;
  if (!yolo_matmul_geom (g, n, &m, error))
    return FALSE;
  gint64 nb = misc_prod (m.bd, 0, MM_BATCH);
  if (nb * m.M * m.N == 0)
    return TRUE;
  cl_kernel k = yolo_rt_kernel (rt, mk->kernel, error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 1));
  yolo_args_tensor (&a, rt, g, m.has_c ? YOLO_IN (g, n, 2) : YOLO_IN (g, n, 0));
  yolo_args_tensor (&a, rt, g, R ? R : y);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, m.M);
  yolo_args_int (&a, m.N);
  yolo_args_int (&a, m.K);
  yolo_args_int (&a, m.sam);
  yolo_args_int (&a, m.sak);
  yolo_args_int (&a, m.sbk);
  yolo_args_int (&a, m.sbn);
  yolo_args_int (&a, m.has_c);
  yolo_args_int (&a, m.scm);
  yolo_args_int (&a, m.scn);
  yolo_args_float (&a, m.alpha);
  yolo_args_float (&a, m.beta);
  yolo_args_int (&a, n->act);
  yolo_args_float (&a, n->act_alpha);
  yolo_args_float (&a, n->act_beta);
  yolo_args_int (&a, R != NULL);
  yolo_args_int (&a, nb);
  for (int i = 1; i < MM_BATCH; i++)
    yolo_args_int (&a, m.bd[i]);
  for (int i = 0; i < MM_BATCH; i++)
    yolo_args_int (&a, m.sa[i]);
  for (int i = 0; i < MM_BATCH; i++)
    yolo_args_int (&a, m.sb[i]);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  if (mk->lws[0]) {
    gsize gws[3] = { yolo_div_up (m.N, mk->tn) * mk->lws[0],
      yolo_div_up (m.M, mk->tm) * mk->lws[1], nb
    };
    return yolo_rt_launch_fixed (rt, n, k, 3, gws, mk->lws, error);
  }
  gsize gws[3] = { yolo_div_up (m.N, 8), yolo_div_up (m.M, 4), nb };
  gsize lws[3] = { 8, 8, 1 };
  return yolo_rt_launch (rt, n, k, 3, gws, lws, error);
}

/* The tiled variants: preferred on GPUs (dedicated local memory, no wide
 * vectors) for M and N >= MM_TILED_MIN. */
static gboolean
mm_tiled_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  const YoloDeviceInfo *dev = yolo_rt_device (rt);
  MMGeom m;

  return dev->local_mem_dedicated && !dev->wide_vectors
      && yolo_matmul_geom (g, n, &m, NULL) && m.M >= MM_TILED_MIN
      && m.N >= MM_TILED_MIN;
}

static gboolean
mm_fits (YoloRuntime * rt, YoloNode * n, const MMKernel * mk)
{
  cl_kernel k = yolo_rt_kernel (rt, mk->kernel, NULL);
  gboolean ok;

  if (!k)
    return FALSE;
  ok = yolo_rt_fits_fixed (rt, n, k, 3, mk->lws);
  clReleaseKernel (k);
  return ok;
}

static gboolean
mm_tiled_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return mm_fits (rt, n, &mm_tiled);
}

static gboolean
mm_tiled_wg32_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return mm_fits (rt, n, &mm_tiled_wg32);
}

static gboolean
mm_tiled_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return mm_prepare_with (rt, g, n, &mm_tiled, error);
}

static gboolean
mm_tiled_wg32_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return mm_prepare_with (rt, g, n, &mm_tiled_wg32, error);
}

static gboolean
mm_tile_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return mm_prepare_with (rt, g, n, &mm_tile, error);
}

static const char *const mm_types[] = { "MatMul", "Gemm", NULL };

static const YoloOpImpl impl_matmul_tiled = {
  mm_types, "matmul-tiled", "gemm_tiled", mm_tiled_preferred,
  mm_tiled_supports, mm_tiled_prepare, YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

static const YoloOpImpl impl_matmul_tiled_wg32 = {
  mm_types, "matmul-tiled-wg32", "gemm_tiled", mm_tiled_preferred,
  mm_tiled_wg32_supports, mm_tiled_wg32_prepare,
  YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

static const YoloOpImpl impl_matmul_tile = {
  mm_types, "matmul-tile", "matmul", NULL, NULL, mm_tile_prepare,
  YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_matmul[] = {
  &impl_matmul_tiled, &impl_matmul_tiled_wg32, &impl_matmul_tile, NULL
};
