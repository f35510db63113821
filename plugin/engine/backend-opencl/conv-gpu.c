/* backend-opencl/conv-gpu.c - the scalar per-work-item Conv kernels of
 * conv_gpu.cl, for GPUs and compilers that vectorise across work-items
 * (rusticl/llvmpipe):
 *  conv-gpu-c8    1 pixel x 8 output channels per work-item (weights as
 *                 [M/8][Cg][kh][kw][8]); groups in blocks of 8 channels;
 *                 not preferred on wide-vector CPUs (PoCL), where the
 *                 float16 kernels of conv_cpu.cl are 5 to 40 times faster
 *                 (tuning trials on yolov8n-640)
 *  conv-generic   one output per work-item; any conv (the last resort). */
#include "conv-common.h"

static gboolean
gpu_c8_supports (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  return yolo_conv_cl_params (g, n, &p)
      && (p.group == 1 || p.Mg % CONV_BLOCK == 0);
}

static gboolean
gpu_c8_preferred (YoloRuntime * rt, YoloGraph * g, YoloNode * n)
{
  return !yolo_rt_device (rt)->wide_vectors;
}

static gboolean
gpu_c8_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return yolo_conv_cl_prepare_direct (rt, g, n, CONV_K_GPU_C8, error);
}

static gboolean
generic_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return yolo_conv_cl_prepare_direct (rt, g, n, CONV_K_GENERIC, error);
}

static const char *const conv_types[] = { "Conv", NULL };

static const YoloOpImpl impl_gpu_c8 = {
  conv_types, "conv-gpu-c8", "conv_gpu", gpu_c8_preferred, gpu_c8_supports,
  gpu_c8_prepare, YOLO_IMPL_TUNABLE | YOLO_IMPL_HALF
};

static const YoloOpImpl impl_generic = {
  conv_types, "conv-generic", "conv_gpu", NULL, NULL, generic_prepare,
  YOLO_IMPL_HALF
};

const YoloOpImpl *const yolo_impls_conv_gpu[] = {
  &impl_gpu_c8, &impl_generic, NULL
};
