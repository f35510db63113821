/* peak.cl - the device's fp32 multiply-add peak (yolo-peak.c,
 * `yolo-engine peak`): each work-item runs 8 independent chains
 * x = mad (x, a, b) of one float vector type for `iters` iterations, so the
 * FMA pipelines are never waiting on a result; one variant per vector
 * width, the device's preferred one is used (float16 on PoCL's CPU device,
 * float or float4 on GPUs and llvmpipe). 0 < a < 1 keeps x bounded and
 * normal. Each work-item writes the sum of its chains to out[gid] so
 * nothing can be optimised away. FLOPs per work-item: 2 * 8 * width * iters.
 */
#define FMA_PEAK(NAME, T)                                                     \
__kernel void NAME (__global T *out, int iters, float a, float b)             \
{                                                                             \
  int gid = get_global_id (0);                                                \
  T va = (T) (a), vb = (T) (b);                                               \
  T x0 = (T) (gid & 255) * 1e-3f, x1 = x0 + 0.125f, x2 = x0 + 0.25f,          \
      x3 = x0 + 0.375f, x4 = x0 + 0.5f, x5 = x0 + 0.625f, x6 = x0 + 0.75f,    \
      x7 = x0 + 0.875f;                                                       \
  for (int i = 0; i < iters; i++) {                                           \
    x0 = mad (x0, va, vb);                                                    \
    x1 = mad (x1, va, vb);                                                    \
    x2 = mad (x2, va, vb);                                                    \
    x3 = mad (x3, va, vb);                                                    \
    x4 = mad (x4, va, vb);                                                    \
    x5 = mad (x5, va, vb);                                                    \
    x6 = mad (x6, va, vb);                                                    \
    x7 = mad (x7, va, vb);                                                    \
  }                                                                           \
  out[gid] = ((x0 + x1) + (x2 + x3)) + ((x4 + x5) + (x6 + x7));               \
}

FMA_PEAK (fma_peak_1, float)
FMA_PEAK (fma_peak_2, float2)
FMA_PEAK (fma_peak_4, float4)
FMA_PEAK (fma_peak_8, float8)
FMA_PEAK (fma_peak_16, float16)
