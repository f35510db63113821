/* backend-opencl/registry.c - the OpenCL backend: its impl arrays in
 * preference order (see yolo-backend.h). For Conv: the local-memory tiled
 * GEMM (preferred on GPUs only), the depthwise float16 kernels (and the
 * fused DepthwiseSeparableConv), Winograd,
 * the other float16 kernels (wide-vector CPUs only), im2col + GEMM (by
 * measured choice only: tunable, after the direct kernels), then the scalar GPU
 * kernels, conv-generic last (it takes any conv). */
#include "impls.h"

static const YoloOpImpl *const *const opencl_impls[] = {
  yolo_impls_conv_tiled,
  yolo_impls_conv_cpu_dw,
  yolo_impls_conv_dwsep,
  yolo_impls_conv_wino,
  yolo_impls_conv_cpu,
  yolo_impls_conv_im2col,
  yolo_impls_conv_gpu,
  yolo_impls_matmul,
  yolo_impls_eltwise,
  yolo_impls_pool,
  yolo_impls_resize,
  yolo_impls_movement,
  yolo_impls_reduce,
  yolo_impls_index,
  yolo_impls_convtranspose,
  yolo_impls_logic,
  yolo_impls_norm,
  yolo_impls_math,
  yolo_impls_conv_int8,
  yolo_impls_quant,
  yolo_impls_qdq,
  yolo_impls_attention,
  yolo_impls_detect,
  yolo_impls_anchor,
  yolo_impls_detect_topk,
  NULL
};

const YoloBackend yolo_backend_opencl = { "opencl", opencl_impls };
