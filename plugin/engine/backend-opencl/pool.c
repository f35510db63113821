/* backend-opencl/pool.c - MaxPool, AveragePool, GlobalAveragePool,
 * GlobalMaxPool on OpenCL (ocl_kernels/pool.cl).
 *
 * The hot case is YOLO's SPPF MaxPool (5x5, stride 1, pad 2): it runs a
 * float16 kernel along W (pool_max_s1_w16), or on planes at most 16 x 16
 * (SPPF at 10x10, YOLOX's SPP at 13x13) one plane per work-item
 * (pool_max_s1_plane), or on rows at most 32 wide (SPPF at 20x20) one
 * plane per work-item too (pool_max_s1_plane32). Everything else uses one
 * output per work-item (pool_generic).
 *
 * SPP and SPPF: three such MaxPools that run one after the other, same
 * size (k x k, pads k / 2, stride 1) on planes of the two plane kernels'
 * sizes, either all of one input (SPP) or each of the one before (SPPF),
 * whose outputs the memory plan placed in one storage (the Concat after
 * them), run as one launch of pool_max_s1_spp from the first node; the
 * other two add none (spp_group). */
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

/* The storage root of tensor t (yolo-plan.c's views). */
static int
storage_root (YoloGraph * g, int t)
{
  while (YOLO_T (g, t)->view_of >= 0)
    t = YOLO_T (g, t)->view_of;
  return t;
}

/* TRUE when node n is a MaxPool that pool_max_s1_spp can run: stride 1,
 * dilation 1, a square odd kernel of at most 17 with pads k / 2 on every
 * side (same-size output), no epilogue, on 2-D planes of the plane
 * kernels' sizes; its geometry in pg. */
static gboolean
spp_member (YoloGraph * g, YoloNode * n, PoolGeom * pg)
{
  if (n->removed || strcmp (n->op_type, "MaxPool") || n->n_inputs < 1
      || n->inputs[0] < 0 || n->n_outputs < 1 || n->act != YOLO_ACT_NONE
      || n->residual >= 0 || n->qepi || (n->n_outputs > 1 && n->outputs[1] >= 0)
      || YOLO_IN (g, n, 0)->ndim != 4 || !yolo_pool_geom (g, n, pg, NULL))
    return FALSE;
  return pg->mode == POOL_MAX && pg->sh == 1 && pg->sw == 1 && pg->dh == 1
      && pg->dw == 1 && pg->kh == pg->kw && pg->kh % 2 == 1 && pg->kh <= 17
      && pg->ph == pg->kh / 2 && pg->pw == pg->ph && pg->peh == pg->ph
      && pg->pew == pg->ph && pg->OH == pg->H && pg->OW == pg->W
      && pg->H <= POOL_PLANE32_H && pg->W <= POOL_PLANE32_W;
}

/* Whether the non-removed node at h and the next two make an SPP group
 * (the file's comment); their indices in idx, chain TRUE for SPPF. */
static gboolean
spp_group_at (YoloGraph * g, guint h, guint idx[3], gboolean * chain)
{
  PoolGeom pg[3];
  YoloNode *p[3];
  int root;

  for (guint j = 0, i = h; j < 3; j++, i++) {
    while (j > 0 && i < g->nodes->len && YOLO_N (g, i)->removed)
      i++;
    if (i >= g->nodes->len || !spp_member (g, YOLO_N (g, i), &pg[j]))
      return FALSE;
    idx[j] = i;
    p[j] = YOLO_N (g, i);
    if (pg[j].planes != pg[0].planes || pg[j].H != pg[0].H
        || pg[j].W != pg[0].W)
      return FALSE;
  }
  *chain = p[1]->inputs[0] == p[0]->outputs[0]
      && p[2]->inputs[0] == p[1]->outputs[0];
  if (!*chain && (p[1]->inputs[0] != p[0]->inputs[0]
          || p[2]->inputs[0] != p[0]->inputs[0]))
    return FALSE;
  /* one storage for the three outputs (slices of the Concat after them):
   * it lives from the first node on, so writing the later two there early
   * overwrites nothing live */
  root = storage_root (g, p[0]->outputs[0]);
  return root == storage_root (g, p[1]->outputs[0])
      && root == storage_root (g, p[2]->outputs[0])
      && YOLO_T (g, root)->mem == YOLO_MEM_ARENA;
}

/* Whether node n belongs to an SPP group (groups taken in node order, a
 * node in one at most); the group's node indices in idx, its kind in
 * chain. */
static gboolean
spp_group (YoloGraph * g, YoloNode * n, guint idx[3], gboolean * chain)
{
  for (guint h = 0; h < g->nodes->len; h++) {
    if (YOLO_N (g, h)->removed || strcmp (YOLO_N (g, h)->op_type, "MaxPool"))
      continue;
    if (spp_group_at (g, h, idx, chain)) {
      if (YOLO_N (g, idx[0]) == n || YOLO_N (g, idx[1]) == n
          || YOLO_N (g, idx[2]) == n)
        return TRUE;
      h = idx[2];
    } else if (YOLO_N (g, h) == n) {
      return FALSE;
    }
  }
  return FALSE;
}

/* The SPP group's one launch, recorded for its first node. */
static gboolean
spp_prepare (YoloRuntime * rt, YoloGraph * g, const guint idx[3],
    gboolean chain, GError ** error)
{
  YoloNode *p[3] = { YOLO_N (g, idx[0]), YOLO_N (g, idx[1]),
    YOLO_N (g, idx[2])
  };
  PoolGeom pg[3];
  cl_kernel k;
  YoloArgs args;
  gsize gws[1];

  for (int j = 0; j < 3; j++)
    if (!yolo_pool_geom (g, p[j], &pg[j], error))
      return FALSE;
  k = yolo_rt_kernel (rt, "pool_max_s1_spp", error);
  if (!k)
    return FALSE;
  args = yolo_args (k);
  yolo_args_tensor (&args, rt, g, YOLO_IN (g, p[0], 0));
  for (int j = 0; j < 3; j++)
    yolo_args_tensor (&args, rt, g, YOLO_OUT (g, p[j], 0));
  yolo_args_int (&args, (cl_int) pg[0].planes);
  yolo_args_int (&args, (cl_int) pg[0].H);
  yolo_args_int (&args, (cl_int) pg[0].W);
  for (int j = 0; j < 3; j++)
    yolo_args_int (&args, (cl_int) pg[j].kh);
  yolo_args_int (&args, chain);
  yolo_args_int (&args, pg[0].H <= POOL_PLANE_MAX && pg[0].W <= POOL_PLANE_MAX);
  if (!yolo_args_ok (&args, p[0], error))
    return FALSE;
  gws[0] = pg[0].planes;
  if (!yolo_rt_launch (rt, p[0], k, 1, gws, pool_lws_plane, error))
    return FALSE;
  yolo_rt_launch_covers (rt, p[1]);
  yolo_rt_launch_covers (rt, p[2]);
  return TRUE;
}

static gboolean
pool_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  guint spp[3];
  gboolean chain;
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  cl_kernel k;
  YoloArgs args;
  gsize gws[3];
  PoolGeom pg;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (yolo_tensor_numel (x) > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  if (spp_group (g, n, spp, &chain))
    return YOLO_N (g, spp[0]) == n ? spp_prepare (rt, g, spp, chain, error)
        : TRUE;

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
