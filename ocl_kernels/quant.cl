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
#else
/* Without fp64: the quotient refined with two exact-residual (fma)
 * corrections of a refined reciprocal (Markstein), correctly rounded for
 * the normal range. */
static inline float
quant_div (float a, float b)
{
  float y = 1.0f / b;
  y = fma (fma (-b, y, 1.0f), y, y);
  float q = a * y;
  q = fma (fma (-q, b, a), y, q);
  return fma (fma (-q, b, a), y, q);
}
#endif

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
  float mn = 0.0f, mx = 0.0f;   /* the range always includes 0 */
  for (int i = g; i < n; i += parts) {
    float v = x[x_off + i];
    mn = fmin (mn, v);
    mx = fmax (mx, v);
  }
  part[2 * g] = mn;
  part[2 * g + 1] = mx;
}

/* Stage 2, one work-item: scale and zero point as onnxruntime's
 * GetQuantizationParameter (uint8): scale = (max - min) / 255, or 1 when
 * max == min (all zero); zero point = round_half_even(clamp(0 - min /
 * scale, 0, 255)). */
__kernel void
quant_dql_params (__global const float *part, int parts,
    __global float *scale, int scale_off, __global int *zp, int zp_off)
{
  if (get_global_id (0) != 0)
    return;
  float mn = 0.0f, mx = 0.0f;
  for (int g = 0; g < parts; g++) {
    mn = fmin (mn, part[2 * g]);
    mx = fmax (mx, part[2 * g + 1]);
  }
  float s = mx == mn ? 1.0f : quant_div (mx - mn, 255.0f);
  float z = 0.0f - quant_div (mn, s);
  scale[scale_off] = s;
  zp[zp_off] = (int) rint (clamp (z, 0.0f, 255.0f));
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
  q = clamp (q, (float) -z, (float) (255 - z));
  y[y_off + i] = (int) q + z;
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

#define QCONV_ARGS \
  __global const int *x, int x_off, __global const int *xzp, int xzp_off, \
  __global const int *w, __global float *y, int y_off, int to_float, \
  __global const float *mul, int mul_off, int mul_per_channel, \
  __global const float *b, int has_bias, __global const float *r, \
  int r_off, int has_res, int act, float alpha, float beta, int M, int H, \
  int W, int Ho, int Wo, int Cg, int Mg, int kh, int kw, int sh, int sw, \
  int ph, int pw, int dh, int dw

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
