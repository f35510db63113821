/* backend-opencl/pool.c - MaxPool, AveragePool, GlobalAveragePool,
 * GlobalMaxPool on OpenCL (ocl_kernels/pool.cl).
 *
 * The hot case is YOLO's SPPF MaxPool (5x5, stride 1, pad 2): it runs a
 * float16 kernel along W (pool_max_s1_w16), or on planes at most 16 x 16
 * (SPPF at 10x10, YOLOX's SPP at 13x13) one plane per work-item
 * (pool_max_s1_plane), or on rows at most 32 wide (SPPF at 20x20) one
 * plane per work-item too (pool_max_s1_plane32). Everything else uses one output per work-item
 * (pool_generic). */
#include "impls.h"
#include "ops/pool.h"

/* Fixed local sizes (PoCL compiles one work-group function per size). */
static const gsize pool_lws_global[1] = { 16 };
static const gsize pool_lws_s1[3] = { 1, 4, 8 };
static const gsize pool_lws_plane[1] = { 4 };

/* pool_max_s1_plane's limits: the plane's rows and the output rows fit one
 * float16 each (its reduced rows: a private float16[16]). */
#define POOL_PLANE_MAX 16
/* pool_max_s1_plane32's: rows and output rows fit two float16; at most 64
 * rows, so that one work-item per plane leaves work-items enough. */
#define POOL_PLANE32_W 32
#define POOL_PLANE32_H 64
static const gsize pool_lws_generic[3] = { 8, 4, 1 };

static gboolean
pool_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  cl_kernel k;
  YoloArgs args;
  gsize gws[3];
  PoolGeom pg;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (yolo_tensor_numel (x) > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");

  if (yolo_pool_is_global (n)) {
    gint64 hw = 1;
    for (int i = 2; i < x->ndim; i++)
      hw *= x->dims[i];
    k = yolo_rt_kernel (rt, "pool_global", error);
    if (!k)
      return FALSE;
    args = yolo_args (k);
    yolo_args_tensor (&args, rt, g, x);
    yolo_args_tensor (&args, rt, g, y);
    yolo_args_int (&args, (cl_int) (x->dims[0] * x->dims[1]));
    yolo_args_int (&args, (cl_int) hw);
    yolo_args_int (&args, !strcmp (n->op_type, "GlobalMaxPool"));
    if (!yolo_args_ok (&args, n, error))
      return FALSE;
    gws[0] = x->dims[0] * x->dims[1];
    return yolo_rt_launch (rt, n, k, 1, gws, pool_lws_global, error);
  }

  if (!yolo_pool_geom (g, n, &pg, error))
    return FALSE;
  if (pg.mode == POOL_MAX && pg.sh == 1 && pg.sw == 1 && pg.dh == 1
      && pg.dw == 1 && pg.kw <= 17 && pg.ph < pg.kh && pg.peh < pg.kh
      && pg.pw < pg.kw && pg.pew < pg.kw) {
    gboolean plane = pg.H <= POOL_PLANE_MAX && pg.W <= POOL_PLANE_MAX
        && pg.OW <= POOL_PLANE_MAX;
    gboolean plane32 = !plane && pg.H <= POOL_PLANE32_H
        && pg.W <= POOL_PLANE32_W && pg.OW <= POOL_PLANE32_W;
    k = yolo_rt_kernel (rt, plane ? "pool_max_s1_plane" : plane32 ?
        "pool_max_s1_plane32" : "pool_max_s1_w16", error);
    if (!k)
      return FALSE;
    args = yolo_args (k);
    yolo_args_tensor (&args, rt, g, x);
    yolo_args_tensor (&args, rt, g, y);
    yolo_args_int (&args, (cl_int) pg.planes);
    yolo_args_int (&args, (cl_int) pg.H);
    yolo_args_int (&args, (cl_int) pg.W);
    yolo_args_int (&args, (cl_int) pg.OH);
    yolo_args_int (&args, (cl_int) pg.OW);
    yolo_args_int (&args, (cl_int) pg.kh);
    yolo_args_int (&args, (cl_int) pg.kw);
    yolo_args_int (&args, (cl_int) pg.ph);
    yolo_args_int (&args, (cl_int) pg.pw);
    if (!yolo_args_ok (&args, n, error))
      return FALSE;
    if (plane || plane32) {
      gws[0] = pg.planes;
      return yolo_rt_launch (rt, n, k, 1, gws, pool_lws_plane, error);
    }
    gws[0] = yolo_div_up (pg.OW, 16);
    gws[1] = pg.OH;
    gws[2] = pg.planes;
    return yolo_rt_launch (rt, n, k, 3, gws, pool_lws_s1, error);
  }

  k = yolo_rt_kernel (rt, "pool_generic", error);
  if (!k)
    return FALSE;
  args = yolo_args (k);
  yolo_args_tensor (&args, rt, g, x);
  yolo_args_tensor (&args, rt, g, y);
  yolo_args_int (&args, (cl_int) pg.planes);
  yolo_args_int (&args, (cl_int) pg.H);
  yolo_args_int (&args, (cl_int) pg.W);
  yolo_args_int (&args, (cl_int) pg.OH);
  yolo_args_int (&args, (cl_int) pg.OW);
  yolo_args_int (&args, (cl_int) pg.kh);
  yolo_args_int (&args, (cl_int) pg.kw);
  yolo_args_int (&args, (cl_int) pg.sh);
  yolo_args_int (&args, (cl_int) pg.sw);
  yolo_args_int (&args, (cl_int) pg.ph);
  yolo_args_int (&args, (cl_int) pg.pw);
  yolo_args_int (&args, (cl_int) pg.peh);
  yolo_args_int (&args, (cl_int) pg.pew);
  yolo_args_int (&args, (cl_int) pg.dh);
  yolo_args_int (&args, (cl_int) pg.dw);
  yolo_args_int (&args, pg.mode);
  if (!yolo_args_ok (&args, n, error))
    return FALSE;
  gws[0] = pg.OW;
  gws[1] = pg.OH;
  gws[2] = pg.planes;
  return yolo_rt_launch (rt, n, k, 3, gws, pool_lws_generic, error);
}

static const char *const pool_types[] = { "MaxPool", "AveragePool",
  "GlobalAveragePool", "GlobalMaxPool", NULL
};

static const YoloOpImpl impl_pool = {
  pool_types, "pool", "pool", NULL, NULL, pool_prepare, YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_pool[] = { &impl_pool, NULL };
