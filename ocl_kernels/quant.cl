/* quant.cl - onnxruntime's dynamic int8 quantisation: DynamicQuantizeLinear
 * (per-frame min/max on the device) and ConvInteger, optionally with the
 * dequantising epilogue of the fused ConvIntegerToFloat node
 * (ConvInteger -> Cast -> Mul(scale) -> Add(bias) [-> act] [+ residual]).
 *
 * Integer tensors live in the float arena as int32 (the engine's
 * convention), so uint8 / int8 values are ints here. The accumulation is
 * exact int32; the dequantising epilogue rounds like onnxruntime's separate
 * Cast, Mul and Add (no contraction into fma). Same arithmetic as the C
 * references in plugin/engine/ops/quant.c. */

#pragma OPENCL FP_CONTRACT OFF

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
/* a / b correctly rounded (IEEE division, as onnxruntime's CPU code does).
 * OpenCL's float `/` may be off by 2.5 ulp; double division is correctly
 * rounded and rounding its result to float again is exact for division
 * (53 >= 2 * 24 + 2 bits). */
static inline float
quant_div (float a, float b)
{
  return (float) ((double) a / (double) b);
}

/* 1 / b correctly rounded. */
static inline float
quant_recip (float b)
{
  return (float) (1.0 / (double) b);
}
#else
/* Without fp64: the quotient refined with two exact-residual (fma)
 * corrections of a refined reciprocal (Markstein), correctly rounded for
 * the normal range. */
static inline float
quant_div (float a, float b)
{
  /* inf, NaN or a zero divisor: IEEE's exact special results (the
   * refinement would turn x / inf = 0 into NaN) */
  if (!isfinite (a) || !isfinite (b) || b == 0.0f)
    return a / b;
  float y = 1.0f / b;
  y = fma (fma (-b, y, 1.0f), y, y);
  float q = a * y;
  q = fma (fma (-q, b, a), y, q);
  return fma (fma (-q, b, a), y, q);
}

/* 1 / b refined once (Newton-Raphson with an exact fma residual). */
static inline float
quant_recip (float b)
{
  float y = 1.0f / b;
  return fma (fma (-b, y, 1.0f), y, y);
}
#endif

/* a / b for 16 lanes, y = quant_recip (b): the product refined twice with
 * exact fma residuals (Markstein), the correctly rounded quotient in the
 * normal range; a quotient in the subnormal range rounds to 0 in every
 * quantisation here either way. Much cheaper than 16 double divisions. */
static inline float16
quant_div16 (float16 a, float b, float y)
{
  /* inf, NaN or a zero divisor: IEEE's exact special results, as
   * quant_div (the refinement would turn x / inf into NaN) */
  if (!isfinite (b) || b == 0.0f || any (!isfinite (a)))
    return a / b;
  float16 q = a * y;
  q = fma (fma (-q, (float16) b, a), (float16) y, q);
  return fma (fma (-q, (float16) b, a), (float16) y, q);
}

/* Stage 1 of the min/max: work-item g of `parts` reduces elements
 * g, g + parts, g + 2 * parts, ... into part[2g] (min) and part[2g + 1]
 * (max). */
__kernel void
quant_minmax_partial (__global const float *x, int x_off, int n,
    __global float *part, int parts)
{
  int g = get_global_id (0);
  if (g >= parts)
    return;
  /* NaN until a number is seen (fmin / fmax skip NaN): a partial is NaN
   * only when all its elements are (quant_dql_reduce) */
  float mn = NAN, mx = NAN;
  for (int i = g; i < n; i += parts) {
    float v = x[x_off + i];
    mn = fmin (mn, v);
    mx = fmax (mx, v);
  }
  part[2 * g] = mn;
  part[2 * g + 1] = mx;
}

/* Stage 1 on CPUs that want explicit wide vectors: work-item g reduces
 * the contiguous elements [g * chunk, (g + 1) * chunk) (chunk a multiple
 * of 16), 16 lanes at a time. The running minimum and maximum start at
 * +inf / -inf and take v where v < mn / v > mx: a NaN v compares false
 * and is skipped, as fmin / fmax skip it, in one vminps / vmaxps where
 * the NaN-aware fmin / fmax take three instructions on x86. A piece
 * without a number ends with mn > mx: its partials are NaN, as
 * quant_minmax_partial's. */
__kernel void
quant_minmax_partial16 (__global const float *x, int x_off, int n,
    __global float *part, int parts, int chunk)
{
  int g = get_global_id (0);
  if (g >= parts)
    return;
  int i0 = g * chunk, i1 = min (n, i0 + chunk);
  float16 mn16 = INFINITY, mx16 = -INFINITY;
  int i = i0;
  for (; i + 16 <= i1; i += 16) {
    float16 v = vload16 (0, x + x_off + i);
    mn16 = select (mn16, v, v < mn16);
    mx16 = select (mx16, v, v > mx16);
  }
  float mn = INFINITY, mx = -INFINITY;
  for (; i < i1; i++) {
    float v = x[x_off + i];
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  float8 a = fmin (mn16.lo, mn16.hi), b = fmax (mx16.lo, mx16.hi);
  float4 c = fmin (a.lo, a.hi), d = fmax (b.lo, b.hi);
  float2 e = fmin (c.lo, c.hi), f = fmax (d.lo, d.hi);
  mn = fmin (mn, fmin (e.x, e.y));
  mx = fmax (mx, fmax (f.x, f.y));
  part[2 * g] = mn > mx ? NAN : mn;
  part[2 * g + 1] = mn > mx ? NAN : mx;
}

/* Scale and zero point as onnxruntime's GetQuantizationParameter (uint8)
 * from `parts` min / max partials of the n elements: scale = (max - min) /
 * 255 over the elements and 0 (NaN elements skipped), or 1 when max ==
 * min (all zero); zero point = round_half_even(clamp(0 - min / scale, 0,
 * 255)). n >= 8 elements that are all NaN give scale NaN and zero point
 * 255 (onnxruntime's AVX min/max: all its vector lanes NaN), fewer give
 * scale 1 and zero point 0 (its scalar loop skips NaN). */
static inline float
quant_dql_reduce (__global const float *part, int parts, int n, int *zp)
{
  /* 8 partials (16 floats) at a time: the even lanes of mn16 reduce the
   * minima, the odd lanes of mx16 the maxima. fmin / fmax give the same
   * minimum and maximum in any order (they skip the partials of all-NaN
   * pieces; the sign of a zero changes neither the scale nor the zero
   * point). */
  float16 mn16 = NAN, mx16 = NAN;
  int g = 0;
  for (; g + 8 <= parts; g += 8) {
    float16 v = vload16 (0, part + 2 * g);
    mn16 = fmin (mn16, v);
    mx16 = fmax (mx16, v);
  }
  float8 a = mn16.even, b = mx16.odd;
  float4 c = fmin (a.lo, a.hi), d = fmax (b.lo, b.hi);
  float2 e = fmin (c.lo, c.hi), f = fmax (d.lo, d.hi);
  float mn = fmin (e.x, e.y), mx = fmax (f.x, f.y);
  for (; g < parts; g++) {
    mn = fmin (mn, part[2 * g]);
    mx = fmax (mx, part[2 * g + 1]);
  }
  if (isnan (mn)) {             /* every element NaN */
    *zp = n >= 8 ? 255 : 0;
    return n >= 8 ? NAN : 1.0f;
  }
  mn = fmin (mn, 0.0f);         /* the range always includes 0 */
  mx = fmax (mx, 0.0f);
  float s = mx == mn ? 1.0f : quant_div (mx - mn, 255.0f);
  float z = 0.0f - quant_div (mn, s);
  /* fmin / fmax, not clamp: a NaN z (an inf in the input makes min /
   * scale = -inf / inf) gives 255 as onnxruntime's std::min / std::max,
   * never an undefined (int) NaN */
  *zp = (int) rint (fmax (0.0f, fmin (255.0f, z)));
  return s;
}

/* The scale products of a DynamicQuantizeLinear (ops/quant.c, made by
 * yolo-quant-fuse.c): product j is m_j[i] = s * ws[ws_j + i] for i <
 * n_j (n_j 0: no product j; m_j then points at any buffer), one float
 * multiply each as the Mul it replaces. */
#define QUANT_PRODUCT_ARGS \
  __global const float *ws, \
  __global float *m0, int m0_off, int m0_ws, int m0_n, \
  __global float *m1, int m1_off, int m1_ws, int m1_n, \
  __global float *m2, int m2_off, int m2_ws, int m2_n, \
  __global float *m3, int m3_off, int m3_ws, int m3_n

static inline void
quant_product (float s, __global const float *ws, __global float *m,
    int n)
{
  for (int i = 0; i < n; i++)
    m[i] = s * ws[i];
}

#define QUANT_PRODUCTS(s) do { \
    quant_product ((s), ws + m0_ws, m0 + m0_off, m0_n); \
    quant_product ((s), ws + m1_ws, m1 + m1_off, m1_n); \
    quant_product ((s), ws + m2_ws, m2 + m2_off, m2_n); \
    quant_product ((s), ws + m3_ws, m3 + m3_off, m3_n); \
  } while (0)

/* Stage 2, one work-item: scale and zero point (quant_dql_reduce), and
 * the scale products. */
__kernel void
quant_dql_params (__global const float *part, int parts,
    __global float *scale, int scale_off, __global int *zp, int zp_off,
    int n, QUANT_PRODUCT_ARGS)
{
  if (get_global_id (0) != 0)
    return;
  int z;
  float s = quant_dql_reduce (part, parts, n, &z);
  scale[scale_off] = s;
  zp[zp_off] = z;
  QUANT_PRODUCTS (s);
}

/* Stage 3: y = saturate(round_half_even(x / scale) + zp) to [0, 255]. */
__kernel void
quant_dql_apply (__global const float *x, int x_off,
    __global const float *scale, int scale_off, __global const int *zp,
    int zp_off, __global int *y, int y_off, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  float s = scale[scale_off];
  int z = zp[zp_off];
  float q = rint (quant_div (x[x_off + i], s));
  /* NaN (inf / inf) saturates to the low end, as MLAS's max_ps does */
  q = fmin (fmax (q, (float) -z), (float) (255 - z));
  y[y_off + i] = (int) q + z;
}

/* Stage 3 of DynamicQuantizeDequantizeLinear (the float emulation of
 * DynamicQuantizeLinear -> ConvInteger, yolo-quant-fuse.c): the fake-
 * quantised y = float(q - zp) * scale, q as quant_dql_apply's. */
__kernel void
quant_dql_apply_fake (__global const float *x, int x_off,
    __global const float *scale, int scale_off, __global const int *zp,
    int zp_off, __global float *y, int y_off, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  float s = scale[scale_off];
  int z = zp[zp_off];
  float q = rint (quant_div (x[x_off + i], s));
  /* NaN saturates to the low end, as quant_dql_apply */
  y[y_off + i] = fmin (fmax (q, (float) -z), (float) (255 - z)) * s;
}

/* Stages 2 and 3 of DynamicQuantizeDequantizeLinear in one launch, on
 * CPUs that want explicit wide vectors: every work-item reduces the
 * `parts` min / max partials itself (quant_dql_reduce, so the same scale
 * and zero point as quant_dql_params; work-item 0 stores them), then does
 * quant_dql_apply_fake for the contiguous elements [g * chunk, (g + 1) *
 * chunk) (chunk a multiple of 16), 16 lanes at a time. */
__kernel void
quant_dql_fake16 (__global const float *x, int x_off,
    __global const float *part, int parts, __global float *scale,
    int scale_off, __global int *zp, int zp_off, __global float *y,
    int y_off, int n, int chunk)
{
  int g = get_global_id (0), zi;
  float s = quant_dql_reduce (part, parts, n, &zi), r = quant_recip (s);
  float z = (float) zi;
  if (g == 0) {
    scale[scale_off] = s;
    zp[zp_off] = zi;
  }
  int i = g * chunk, i1 = min (n, i + chunk);
  /* yolo_fq16 (common.cl) gives the same values without a division or
   * rint when its clamp bounds are finite and s normal (always, unless
   * the input holds values near +-FLT_MAX or its range is subnormal) */
  float qlo = -z, qhi = 255.0f - z;
  float p0 = (qlo - 1.0f) * s, p1 = (qhi + 1.0f) * s;
  if (isnormal (s) && isfinite (p0) && isfinite (p1)) {
    for (; i + 16 <= i1; i += 16)
      vstore16 (yolo_fq16 (vload16 (0, x + x_off + i), s, r, p0, p1, qlo,
              qhi), 0, y + y_off + i);
  } else {
    for (; i + 16 <= i1; i += 16) {
      float16 q = rint (quant_div16 (vload16 (0, x + x_off + i), s, r));
      vstore16 (fmin (fmax (q, qlo), qhi) * s, 0, y + y_off + i);
    }
  }
  for (; i < i1; i++) {
    float q = rint (quant_div (x[x_off + i], s));
    y[y_off + i] = fmin (fmax (q, qlo), qhi) * s;
  }
}

/* quant_dql_fake16 for DynamicQuantizeLinear (the integer codes q + zp,
 * as quant_dql_apply's; work-item 0 also writes the scale products,
 * quant_dql_params). Fast path: yolo_fq16's steps up to the rounding
 * (x clamped to [p0, p1], the quotient refined twice), then the integer
 * read from the float's bits: for |v| < 2^22, v + 1.5 * 2^23 rounds v to
 * an integer (ties to even, like rint) and its bits are 0x4B400000 plus
 * that integer; the clamp to [0, 255] after adding zp is yolo_fq16's
 * clamp to [-zp, 255 - zp] (|v| <= 257 after the clamp of x). The same
 * codes as rint of yolo_fq16's q * s times r, with 6 fewer vector
 * operations per 16 values. */
__kernel void
quant_dql_int16 (__global const float *x, int x_off,
    __global const float *part, int parts, __global float *scale,
    int scale_off, __global int *zp, int zp_off, __global int *y,
    int y_off, int n, int chunk, QUANT_PRODUCT_ARGS)
{
  int g = get_global_id (0), zi;
  float s = quant_dql_reduce (part, parts, n, &zi), r = quant_recip (s);
  float z = (float) zi;
  if (g == 0) {
    scale[scale_off] = s;
    zp[zp_off] = zi;
    QUANT_PRODUCTS (s);
  }
  int i = g * chunk, i1 = min (n, i + chunk);
  float qlo = -z, qhi = 255.0f - z;
  float p0 = (qlo - 1.0f) * s, p1 = (qhi + 1.0f) * s;
  if (isnormal (s) && isfinite (p0) && isfinite (p1)) {
    int16 bias = (int16) (0x4B400000 - zi);
    for (; i + 16 <= i1; i += 16) {
      float16 v = vload16 (0, x + x_off + i);
      v = select ((float16) p0, v, v > p0);
      v = select ((float16) p1, v, v < p1);
      float16 q = v * r;
      q = fma (fma (-q, (float16) s, v), (float16) r, q);
      q = fma (fma (-q, (float16) s, v), (float16) r, q);
      int16 c = as_int16 (q + 12582912.0f) - bias;
      vstore16 (min (max (c, 0), 255), 0, y + y_off + i);
    }
  } else {
    for (; i + 16 <= i1; i += 16) {
      float16 q = rint (quant_div16 (vload16 (0, x + x_off + i), s, r));
      vstore16 (convert_int16 (fmin (fmax (q, qlo), qhi)) + zi, 0,
          y + y_off + i);
    }
  }
  for (; i < i1; i++) {
    float q = rint (quant_div (x[x_off + i], s));
    y[y_off + i] = (int) fmin (fmax (q, qlo), qhi) + zi;
  }
}

/* QuantizeLinear / DequantizeLinear / QuantizeDequantizeLinear
 * (ops/qdq.c): element i uses scale and zero point c = (i / inner) %
 * channels (channels 1: per tensor); lo..hi the integer type's range.
 * Quantise: saturate(round_half_even(x / scale) + zp); dequantise:
 * float(q - zp) * scale. Integers are int32 in the arena. */
__kernel void
quant_quantize_linear (__global const float *x, int x_off,
    __global const float *scale, __global const int *zp, __global int *y,
    int y_off, int n, int inner, int channels, int lo, int hi)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int c = (i / inner) % channels;
  float q = rint (quant_div (x[x_off + i], scale[c])) + (float) zp[c];
  /* NaN saturates to the low end (fmax), as MLAS */
  y[y_off + i] = (int) fmin (fmax (q, (float) lo), (float) hi);
}

__kernel void
quant_dequantize_linear (__global const int *x, int x_off,
    __global const float *scale, __global const int *zp, __global float *y,
    int y_off, int n, int inner, int channels)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int c = (i / inner) % channels;
  y[y_off + i] = (float) (x[x_off + i] - zp[c]) * scale[c];
}

__kernel void
quant_fake_linear (__global const float *x, int x_off,
    __global const float *scale, __global const int *zp, __global float *y,
    int y_off, int n, int inner, int channels, int lo, int hi)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int c = (i / inner) % channels;
  float s = scale[c];
  int z = zp[c];
  float q = rint (quant_div (x[x_off + i], s));
  y[y_off + i] = fmin (fmax (q, (float) (lo - z)), (float) (hi - z)) * s;
}

/* The dequantising epilogue of ConvIntegerToFloat, or the raw int32 sum of
 * ConvInteger (to_float == 0: stored as its bits). */
static inline float
quant_epilogue (int acc, int to_float, float mul, __global const float *b,
    int has_bias, int m, __global const float *r, int r_off, int has_res,
    int o, int act, float alpha, float beta)
{
  if (!to_float)
    return as_float (acc);
  float v = (float) acc;
  v = v * mul;
  if (has_bias)
    v = v + b[m];
  v = yolo_act (act, alpha, beta, v);
  if (has_res)
    v = v + r[r_off + o];
  return v;
}

#define QCONV_ARGS_W(WT) \
  __global const int *x, int x_off, __global const int *xzp, int xzp_off, \
  __global const WT *w, __global float *y, int y_off, int to_float, \
  __global const float *mul, int mul_off, int mul_per_channel, \
  __global const float *b, int has_bias, __global const float *r, \
  int r_off, int has_res, int act, float alpha, float beta, int M, int H, \
  int W, int Ho, int Wo, int Cg, int Mg, int kh, int kw, int sh, int sw, \
  int ph, int pw, int dh, int dw

/* int32 weights (the exact integer kernels); the float16-vector kernels
 * take the same arguments with float weights (QCONV_ARGS_W (float)) */
#define QCONV_ARGS QCONV_ARGS_W (int)

/* Any grouping: one output element per work-item. w: the weights minus
 * their zero point, int32, ONNX layout [M][Cg][kh][kw]. */
__kernel void
conv_integer_generic (QCONV_ARGS)
{
  int p = get_global_id (0);
  int m = get_global_id (1);
  if (p >= Ho * Wo || m >= M)
    return;
  int oy = p / Wo, ox = p % Wo;
  int z = xzp[xzp_off];
  __global const int *xk = x + x_off + (m / Mg) * Cg * H * W;
  __global const int *wk = w + m * Cg * kh * kw;
  int acc = 0;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      for (int kx = 0; kx < kw; kx++) {
        int ix = ox * sw - pw + kx * dw;
        if (ix >= 0 && ix < W)
          acc += (xk[iy * W + ix] - z) * wk[ky * kw + kx];
      }
    }
    xk += H * W;
    wk += kh * kw;
  }
  int o = m * Ho * Wo + p;
  y[y_off + o] = quant_epilogue (acc, to_float,
      mul[mul_off + (mul_per_channel ? m : 0)], b, has_bias, m, r, r_off,
      has_res, o, act, alpha, beta);
}

/* Groups whose output channels split into blocks of 8: one output pixel x
 * 8 output channels per work-item; w (minus zero point, int32) repacked as
 * [M/8][Cg][kh][kw][8]. */
__kernel void
conv_integer_c8 (QCONV_ARGS)
{
  int p = get_global_id (0);
  int mb = get_global_id (1);
  int m0 = mb * 8;
  if (p >= Ho * Wo || m0 >= M)
    return;
  int oy = p / Wo, ox = p % Wo;
  int HW = H * W, kk = kh * kw;
  int z = xzp[xzp_off];
  __global const int *xk = x + x_off + (m0 / Mg) * Cg * HW;
  __global const int *wk = w + mb * Cg * kk * 8;
  int8 acc = 0;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      for (int kx = 0; kx < kw; kx++) {
        int ix = ox * sw - pw + kx * dw;
        if (ix >= 0 && ix < W)
          acc += (xk[iy * W + ix] - z) * vload8 (ky * kw + kx, wk);
      }
    }
    xk += HW;
    wk += kk * 8;
  }
  int a[8];
  vstore8 (acc, 0, a);
  for (int j = 0; j < 8; j++) {
    int m = m0 + j;
    int o = m * Ho * Wo + p;
    y[y_off + o] = quant_epilogue (a[j], to_float,
        mul[mul_off + (mul_per_channel ? m : 0)], b, has_bias, m, r, r_off,
        has_res, o, act, alpha, beta);
  }
}

/* ---- CPUs whose compiler wants explicit wide vectors (PoCL) ----
 *
 * The same sums in float arithmetic: (x - x_zp) and (w - w_zp) are integers
 * of at most 255 in magnitude, so every product and every partial sum is an
 * integer exactly representable in float as long as it stays below 2^24.
 * The host (ops/quant.c) takes this kernel only for layers where
 * 255 * max over m of sum |w[m] - w_zp| < 2^24, which bounds every partial
 * sum in any order: the result is the exact int32 sum, and the vector FMA
 * units do the work. */

#define QCONV_IOTA16 \
  ((int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

/* Lanes row[start + step * i] - z, 0 where the column is outside [0, n)
 * (the padding, whose quantised value is the zero point). */
static inline float16
quant_load16 (__global const int *row, int start, int step, int n, int z)
{
  if (step == 1 && start >= 0 && start + 16 <= n)
    return convert_float16 (vload16 (0, row + start) - z);
  if (step == 2 && start >= 0 && start + 32 <= n) {
    int16 u = vload16 (0, row + start), v = vload16 (0, row + start + 16);
    return convert_float16 ((int16) (u.even, v.even) - z);
  }
  int16 idx = (int16) (start) + QCONV_IOTA16 * step;
  int16 ok = (idx >= 0) & (idx < n);
  idx = select (idx, (int16) (0), idx < 0);
  idx = select (idx, (int16) (n - 1), idx >= n);
  int16 v = (int16) (row[idx.s0], row[idx.s1], row[idx.s2], row[idx.s3],
      row[idx.s4], row[idx.s5], row[idx.s6], row[idx.s7],
      row[idx.s8], row[idx.s9], row[idx.sa], row[idx.sb],
      row[idx.sc], row[idx.sd], row[idx.se], row[idx.sf]);
  return select ((float16) (0.0f), convert_float16 (v - z), ok);
}

#define QCONV_FMA8(v, wp) do { \
    a0 = fma ((v), (float16) ((wp)[0]), a0); \
    a1 = fma ((v), (float16) ((wp)[1]), a1); \
    a2 = fma ((v), (float16) ((wp)[2]), a2); \
    a3 = fma ((v), (float16) ((wp)[3]), a3); \
    a4 = fma ((v), (float16) ((wp)[4]), a4); \
    a5 = fma ((v), (float16) ((wp)[5]), a5); \
    a6 = fma ((v), (float16) ((wp)[6]), a6); \
    a7 = fma ((v), (float16) ((wp)[7]), a7); \
  } while (0)

/* Lanes [l0, l1) of channel m's 16 sums at output offset o. */
static inline void
quant_store16 (float16 acc, int m, int o, int l0, int l1, __global float *y,
    int y_off, int to_float, float mul, __global const float *b,
    int has_bias, __global const float *r, int r_off, int has_res, int act,
    float alpha, float beta)
{
  float16 v;
  if (to_float) {
    v = acc * mul;
    if (has_bias)
      v = v + b[m];
    /* exp-based SiLU: conv_cpu.cl's polynomial one (relative error 2e-7)
     * moves enough values across the next quantisation's rounding
     * boundaries to change yolo26n-int8's scores by 0.03 */
    v = yolo_act_float16 (act, alpha, beta, v);
  } else {
    v = as_float16 (convert_int16 (acc));
  }
  if (l0 == 0 && l1 == 16) {
    if (has_res)
      v = v + vload16 (0, r + r_off + o);
    vstore16 (v, 0, y + y_off + o);
  } else {
    float t[16];
    vstore16 (v, 0, t);
    for (int i = l0; i < l1; i++)
      y[y_off + o + i] = has_res ? t[i] + r[r_off + o + i] : t[i];
  }
}

/* Any kernel, stride, padding, dilation, groups in blocks of 8 output
 * channels: 1 row x 16 px x 8 ch per work-item. w: float weights minus
 * their zero point, [M/8][Cg][kh][kw][8]. Grid: dim 0 = channel block,
 * dim 1 = row tile. */
__kernel void
conv_integer_f16c8 (QCONV_ARGS_W (float))
{
  int mb = get_global_id (0);
  int it = get_global_id (1);
  int nt = (Wo + 15) / 16;
  int m0 = mb * 8;
  if (m0 >= M || it >= nt * Ho)
    return;
  int oy = it / nt;
  int x0 = (it % nt) * 16;
  int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
  int HW = H * W, kk = kh * kw;
  int z = xzp[xzp_off];
  __global const int *xk = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wk = w + mb * Cg * kk * 8;
  float16 a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f,
      a6 = 0.0f, a7 = 0.0f;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      __global const int *row = xk + iy * W;
      __global const float *wr = wk + ky * kw * 8;
      for (int kx = 0; kx < kw; kx++) {
        float16 v = quant_load16 (row, xs * sw - pw + kx * dw, sw, W, z);
        QCONV_FMA8 (v, wr + kx * 8);
      }
    }
    xk += HW;
    wk += kk * 8;
  }
  int l0 = x0 - xs, l1 = min (16, Wo - xs), o = oy * Wo + xs;
  int ostride = Ho * Wo;
#define QCONV_STORE(j, acc) \
  quant_store16 (acc, m0 + j, (m0 + j) * ostride + o, l0, l1, y, y_off, \
      to_float, mul[mul_off + (mul_per_channel ? m0 + j : 0)], b, \
      has_bias, r, r_off, has_res, act, alpha, beta)
  QCONV_STORE (0, a0);
  QCONV_STORE (1, a1);
  QCONV_STORE (2, a2);
  QCONV_STORE (3, a3);
  QCONV_STORE (4, a4);
  QCONV_STORE (5, a5);
  QCONV_STORE (6, a6);
  QCONV_STORE (7, a7);
#undef QCONV_STORE
}

/* One input channel per group (depthwise): one output channel x 1 row x
 * 16 px per work-item, exact float sums as conv_integer_f16c8 (the host
 * checks the same bound). w: float weights minus their zero point, ONNX
 * layout [M][1][kh][kw]. Grid: dim 0 = output channel, dim 1 = row tile. */
__kernel void
conv_integer_dw16 (QCONV_ARGS_W (float))
{
  int m = get_global_id (0);
  int it = get_global_id (1);
  int nt = (Wo + 15) / 16;
  if (m >= M || it >= nt * Ho)
    return;
  int oy = it / nt;
  int x0 = (it % nt) * 16;
  int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
  int z = xzp[xzp_off];
  __global const int *xk = x + x_off + (m / Mg) * H * W;
  __global const float *wk = w + m * kh * kw;
  float16 acc = 0.0f;
  for (int ky = 0; ky < kh; ky++) {
    int iy = oy * sh - ph + ky * dh;
    if (iy < 0 || iy >= H)
      continue;
    for (int kx = 0; kx < kw; kx++)
      acc = fma (quant_load16 (xk + iy * W, xs * sw - pw + kx * dw, sw, W, z),
          (float16) (wk[ky * kw + kx]), acc);
  }
  quant_store16 (acc, m, m * Ho * Wo + oy * Wo + xs, x0 - xs,
      min (16, Wo - xs), y, y_off, to_float,
      mul[mul_off + (mul_per_channel ? m : 0)], b, has_bias, r, r_off,
      has_res, act, alpha, beta);
}

/* quant_fake_linear per tensor on CPUs that want explicit wide vectors:
 * work-item g does the contiguous elements [g * chunk, (g + 1) * chunk)
 * (chunk a multiple of 16), 16 lanes at a time, division-free (yolo_fq16,
 * common.cl; s, r, xlo, xhi, qlo, qhi from yolo_qdq_fq_pack). */
__kernel void
quant_fake_linear16 (__global const float *x, int x_off, __global float *y,
    int y_off, int n, int chunk, float s, float r, float xlo, float xhi,
    float qlo, float qhi)
{
  int i = get_global_id (0) * chunk, i1 = min (n, i + chunk);
  for (; i + 16 <= i1; i += 16)
    vstore16 (yolo_fq16 (vload16 (0, x + x_off + i), s, r, xlo, xhi, qlo,
            qhi), 0, y + y_off + i);
  for (; i < i1; i++)
    y[y_off + i] = yolo_fq (x[x_off + i], s, r, xlo, xhi, qlo, qhi);
}

/* quant_quantize_linear per tensor on CPUs that want explicit wide
 * vectors, as quant_fake_linear16, writing the codes (yolo_fq_code16;
 * lo: 0 for uint8, -128 for int8): the static QDQ convs' QuantizeLinear
 * (yolo-qdq-int.c). */
__kernel void
quant_quantize_linear16 (__global const float *x, int x_off, __global int *y,
    int y_off, int n, int chunk, float s, float r, float xlo, float xhi,
    float qlo, float qhi, int lo)
{
  int i = get_global_id (0) * chunk, i1 = min (n, i + chunk);
  for (; i + 16 <= i1; i += 16)
    vstore16 (yolo_fq_code16 (vload16 (0, x + x_off + i), s, r, xlo, xhi, qlo,
            qhi, lo), 0, y + y_off + i);
  for (; i < i1; i++)
    y[y_off + i] = yolo_fq_code (x[x_off + i], s, r, xlo, xhi, qlo, qhi, lo);
}

/* MatMulInteger: y[r][c] = sum over k of (a[r][k] - a_zp) * w[k][c], exact
 * int32 (stored as its bits); w: B minus its zero point, int32 [K][N]. One
 * output per work-item. */
__kernel void
quant_matmul_integer (__global const int *a, int a_off,
    __global const int *azp, int azp_off, __global const int *w,
    __global int *y, int y_off, int rows, int K, int N)
{
  int c = get_global_id (0);
  int r = get_global_id (1);
  if (c >= N || r >= rows)
    return;
  int z = azp[azp_off];
  __global const int *ar = a + a_off + r * K;
  int acc = 0;
  for (int k = 0; k < K; k++)
    acc += (ar[k] - z) * w[k * N + c];
  y[y_off + r * N + c] = acc;
}
