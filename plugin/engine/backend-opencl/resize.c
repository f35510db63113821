/* backend-opencl/resize.c - Resize and Upsample on OpenCL
 * (ocl_kernels/resize.cl): the source row / column maps of the front end
 * are uploaded; exactly x2 nearest upsampling (YOLO's neck) has its own
 * float8-in / float16-out kernel. */
#include "impls.h"
#include "ops/resize.h"

/* Fixed local sizes (PoCL compiles one work-group function per size). */
static const gsize resize_lws_2x[3] = { 1, 4, 8 };
static const gsize resize_lws[3] = { 8, 4, 1 };

static gboolean
resize_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  cl_mem hidx = NULL, widx = NULL, hlam = NULL, wlam = NULL;
  gboolean ok = FALSE;
  cl_kernel k;
  YoloArgs args;
  gsize gws[3];
  ResizeGeom rg;
  ResizeMaps m;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (!yolo_resize_geom (g, n, &rg, error))
    return FALSE;
  if (yolo_tensor_numel (x) > G_MAXINT32 || yolo_tensor_numel (y) > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  yolo_resize_maps_init (&rg, &m);

  if (yolo_resize_is_nearest2x (&rg, &m)) {
    k = yolo_rt_kernel (rt, "resize_nearest2x", error);
    if (!k)
      goto out;
    args = yolo_args (k);
    yolo_args_tensor (&args, rt, g, x);
    yolo_args_tensor (&args, rt, g, y);
    yolo_args_int (&args, (cl_int) rg.planes);
    yolo_args_int (&args, (cl_int) rg.H);
    yolo_args_int (&args, (cl_int) rg.W);
    if (!yolo_args_ok (&args, n, error))
      goto out;
    gws[0] = yolo_div_up (rg.W, 8);
    gws[1] = rg.H;
    gws[2] = rg.planes;
    ok = yolo_rt_launch (rt, n, k, 3, gws, resize_lws_2x, error);
    goto out;
  }

  {
    int per = rg.linear ? 2 : 1;
    hidx = yolo_rt_upload (rt, m.hidx, per * rg.OH * sizeof (gint32), error);
    if (!hidx)
      goto out;
    widx = yolo_rt_upload (rt, m.widx, per * rg.OW * sizeof (gint32), error);
    if (!widx)
      goto out;
    if (rg.linear) {
      hlam = yolo_rt_upload (rt, m.hlam, rg.OH * sizeof (float), error);
      if (!hlam)
        goto out;
      wlam = yolo_rt_upload (rt, m.wlam, rg.OW * sizeof (float), error);
      if (!wlam)
        goto out;
    }
  }
  k = yolo_rt_kernel (rt, rg.linear ? "resize_linear" : "resize_nearest",
      error);
  if (!k)
    goto out;
  args = yolo_args (k);
  yolo_args_tensor (&args, rt, g, x);
  yolo_args_tensor (&args, rt, g, y);
  yolo_args_mem (&args, hidx);
  if (rg.linear)
    yolo_args_mem (&args, hlam);
  yolo_args_mem (&args, widx);
  if (rg.linear)
    yolo_args_mem (&args, wlam);
  yolo_args_int (&args, (cl_int) rg.planes);
  yolo_args_int (&args, (cl_int) rg.H);
  yolo_args_int (&args, (cl_int) rg.W);
  yolo_args_int (&args, (cl_int) rg.OH);
  yolo_args_int (&args, (cl_int) rg.OW);
  if (!yolo_args_ok (&args, n, error))
    goto out;
  gws[0] = rg.OW;
  gws[1] = rg.OH;
  gws[2] = rg.planes;
  ok = yolo_rt_launch (rt, n, k, 3, gws, resize_lws, error);

out:
  yolo_resize_maps_clear (&m);
  return ok;
}

static const char *const resize_types[] = { "Resize", "Upsample", NULL };

static const YoloOpImpl impl_resize = {
  resize_types, "resize", "resize", NULL, NULL, resize_prepare, YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_resize[] = { &impl_resize, NULL };
