/* backend-opencl/qdq.c - the static-quantisation ops of ops/qdq.c on
 * OpenCL (ocl_kernels/quant.cl), one element per work-item:
 *  quantize-linear            QuantizeLinear (float -> int32 in the arena)
 *  dequantize-linear          DequantizeLinear of a uint8 / int8 activation
 *  quantize-dequantize-linear the fused pair (yolo-quant-fuse.c): float in,
 *                             fake-quantised float out
 * QuantizeLinear and the pair per tensor on wide-vector CPUs (PoCL): 16
 * lanes at a time over contiguous chunks, division-free (yolo_fq16,
 * yolo_fq_code16)
 * Scales and zero points (per tensor or per axis) are uploaded once. */
#include "impls.h"
#include "ops/qdq.h"

#include <string.h>

static gboolean
qdq_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean dq = !strcmp (n->op_type, "DequantizeLinear");
  cl_mem smem, zmem;
  gsize gws[1];
  QdqParams p;
  float fq[6];
  gboolean fast;
  int lo;
  cl_kernel k;
  YoloArgs a;

  if (n->act != YOLO_ACT_NONE || n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused epilogue");
  if (!yolo_qdq_params (g, n, &p, error))
    return FALSE;
  if (dq && p.qtype == YOLO_DTYPE_INT32) {
    yolo_qdq_params_clear (&p);
    return yolo_op_unsupported (error, n, "DequantizeLinear of a run-time "
        "int32 tensor is not supported");
  }
  /* per tensor on wide-vector CPUs: division-free (yolo_fq16) */
  fast = p.channels == 1 && !dq && yolo_rt_device (rt)->wide_vectors
      && yolo_qdq_fq_pack (p.scale[0], p.zero_point[0], p.lo, p.hi, fq);
  lo = p.lo;
  smem = yolo_rt_upload (rt, p.scale, p.channels * sizeof (float), error);
  zmem = smem ? yolo_rt_upload (rt, p.zero_point, p.channels *
      sizeof (gint32), error) : NULL;
  yolo_qdq_params_clear (&p);
  if (!zmem)
    return FALSE;
  if (p.n == 0)
    return TRUE;
  if (fast) {
    /* contiguous chunks of float16 vectors, one work-group of 1 per chunk
     * (as DynamicQuantizeLinear) */
    static const gsize lws1[1] = { 1 };
    int parts = (int) CLAMP (p.n / 4096, 1, 256);
    int chunk = (int) yolo_div_up (yolo_div_up (p.n, parts), 16) * 16;
    gboolean codes = !strcmp (n->op_type, "QuantizeLinear");
    k = yolo_rt_kernel (rt, codes ? "quant_quantize_linear16" :
        "quant_fake_linear16", error);
    if (!k)
      return FALSE;
    a = yolo_args (k);
    yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
    yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
    yolo_args_int (&a, (cl_int) p.n);
    yolo_args_int (&a, chunk);
    for (int i = 0; i < 6; i++)
      yolo_args_float (&a, fq[i]);
    if (codes)
      yolo_args_int (&a, lo);
    if (!yolo_args_ok (&a, n, error))
      return FALSE;
    gws[0] = yolo_div_up (p.n, chunk);
    return yolo_rt_launch (rt, n, k, 1, gws, lws1, error);
  }
  k = yolo_rt_kernel (rt, dq ? "quant_dequantize_linear" :
      !strcmp (n->op_type, "QuantizeLinear") ? "quant_quantize_linear" :
      "quant_fake_linear", error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, YOLO_IN (g, n, 0));
  yolo_args_mem (&a, smem);
  yolo_args_mem (&a, zmem);
  yolo_args_tensor (&a, rt, g, YOLO_OUT (g, n, 0));
  yolo_args_int (&a, (cl_int) p.n);
  yolo_args_int (&a, (cl_int) MIN (p.inner, G_MAXINT32));
  yolo_args_int (&a, p.channels);
  if (!dq) {
    yolo_args_int (&a, p.lo);
    yolo_args_int (&a, p.hi);
  }
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gws[0] = p.n;
  return yolo_rt_launch (rt, n, k, 1, gws, NULL, error);
}

static const char *const qdq_types[] = { "QuantizeLinear",
  "DequantizeLinear", "QuantizeDequantizeLinear", NULL
};

static const YoloOpImpl impl_qdq = {
  qdq_types, "quantize-linear", "quant", NULL, NULL, qdq_prepare, 0
};

const YoloOpImpl *const yolo_impls_qdq[] = { &impl_qdq, NULL };
