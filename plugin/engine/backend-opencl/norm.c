/* backend-opencl/norm.c - LayerNormalization on OpenCL
 * (ocl_kernels/norm.cl): one row per work-item, Scale and B constants
 * expanded to [inner] at load. */
#include "impls.h"
#include "ops/norm.h"

static gboolean
norm_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *s = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2), *y = YOLO_OUT (g, n, 0);
  static const gsize lws[1] = { 16 };
  NormParams p;
  float *sc, *bi;
  cl_mem smem, bmem;
  gsize gws[1];
  cl_kernel k;
  YoloArgs a;

  if (!yolo_norm_params (g, n, &p, error))
    return FALSE;
  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  for (int i = 1; i < n->n_outputs && i < 3; i++) {
    YoloTensor *t = n->outputs[i] >= 0 ? YOLO_OUT (g, n, i) : NULL;
    if (t && (t->n_uses > 0 || t->is_output))
      return yolo_op_unsupported (error, n, "the Mean and InvStdDev outputs "
          "are not computed on the device");
  }
  if (!yolo_tensor_is_const (s) || (b && !yolo_tensor_is_const (b)))
    return yolo_op_unsupported (error, n, "Scale and B must be constants");
  if (p.outer * p.inner == 0)
    return TRUE;
  if (p.outer * p.inner > G_MAXINT32)
    return yolo_op_unsupported (error, n, "tensor too large");
  sc = yolo_norm_expand (x, p.axis, s, p.inner, 1.0f);
  bi = yolo_norm_expand (x, p.axis, b, p.inner, 0.0f);
  smem = yolo_rt_upload (rt, sc, p.inner * sizeof (float), error);
  bmem = smem ? yolo_rt_upload (rt, bi, p.inner * sizeof (float), error) : NULL;
  g_free (sc);
  g_free (bi);
  if (!bmem)
    return FALSE;
  k = yolo_rt_kernel (rt, "layer_norm", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_mem (&a, smem);
  yolo_args_mem (&a, bmem);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, (cl_int) p.outer);
  yolo_args_int (&a, (cl_int) p.inner);
  yolo_args_float (&a, p.eps);
  yolo_args_int (&a, n->act);
  yolo_args_float (&a, n->act_alpha);
  yolo_args_float (&a, n->act_beta);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = p.outer;
  return yolo_rt_launch (rt, n, k, 1, gws, lws, error);
}

static const char *const norm_types[] = { "LayerNormalization", NULL };

static const YoloOpImpl impl_layer_norm = {
  norm_types, "layer-norm", "norm", NULL, NULL, norm_prepare, 0
};

const YoloOpImpl *const yolo_impls_norm[] = { &impl_layer_norm, NULL };
