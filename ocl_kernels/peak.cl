/* peak.cl - the device's fp32 multiply-add peak (yolo-peak.c,
 * `yolo-engine peak`): each work-item runs PEAK_CHAINS (24) independent
 * chains x = mad (x, a, b) of one float vector type for `iters`
 * iterations, so the FMA pipelines are never waiting on a result; one
 * variant per vector width, the device's preferred one is used (float16
 * on PoCL's CPU device, float or float4 on GPUs and llvmpipe). 24, not 8:
 * on PoCL 3.1 on a Zen 4 host 8 float16 chains reach 182 GFLOP/s, 16
 * reach 209, 24 reach 234, the host's plain-C AVX-512 figure (231); a
 * peak that the hardware beats would make every "% of peak" too high.
 * 0 < a < 1 keeps x bounded and normal; chain c starts at
 * (gid & 255) * 1e-3 + c / 64. Each work-item writes the sum of its
 * chains (pairwise, as peak_reference in yolo-peak.c) to out[gid] so
 * nothing can be optimised away. FLOPs per work-item:
 * 2 * 24 * width * iters. */
#define PEAK_DECL4(T, x, c) \
  T x##0 = x0_ + (c) / 64.0f, x##1 = x0_ + ((c) + 1) / 64.0f, \
      x##2 = x0_ + ((c) + 2) / 64.0f, x##3 = x0_ + ((c) + 3) / 64.0f
#define PEAK_MAD4(x) do { \
    x##0 = mad (x##0, va, vb); \
    x##1 = mad (x##1, va, vb); \
    x##2 = mad (x##2, va, vb); \
    x##3 = mad (x##3, va, vb); \
  } while (0)
#define PEAK_SUM4(x) ((x##0 + x##1) + (x##2 + x##3))

#define FMA_PEAK(NAME, T)                                                     \
__kernel void NAME (__global T *out, int iters, float a, float b)             \
{                                                                             \
  int gid = get_global_id (0);                                                \
  T va = (T) (a), vb = (T) (b);                                               \
  T x0_ = (T) ((gid & 255) * 1e-3f);                                          \
  PEAK_DECL4 (T, p, 0);                                                       \
  PEAK_DECL4 (T, q, 4);                                                       \
  PEAK_DECL4 (T, r, 8);                                                       \
  PEAK_DECL4 (T, s, 12);                                                      \
  PEAK_DECL4 (T, t, 16);                                                      \
  PEAK_DECL4 (T, u, 20);                                                      \
  for (int i = 0; i < iters; i++) {                                           \
    PEAK_MAD4 (p);                                                            \
    PEAK_MAD4 (q);                                                            \
    PEAK_MAD4 (r);                                                            \
    PEAK_MAD4 (s);                                                            \
    PEAK_MAD4 (t);                                                            \
    PEAK_MAD4 (u);                                                            \
  }                                                                           \
  out[gid] = ((PEAK_SUM4 (p) + PEAK_SUM4 (q)) + (PEAK_SUM4 (r)                \
          + PEAK_SUM4 (s))) + (PEAK_SUM4 (t) + PEAK_SUM4 (u));                \
}

FMA_PEAK (fma_peak_1, float)
FMA_PEAK (fma_peak_2, float2)
FMA_PEAK (fma_peak_4, float4)
FMA_PEAK (fma_peak_8, float8)
FMA_PEAK (fma_peak_16, float16)
