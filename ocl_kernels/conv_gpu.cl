/* conv_gpu.cl - 2D convolution (ONNX Conv), fp32, NCHW, batch 1: the
 * scalar variants for GPUs and for compilers that vectorise across
 * work-items (rusticl/llvmpipe, Intel, AMD, NVIDIA), and conv_generic, the
 * fallback for any grouping on every device. Built as its own program, only
 * when a plan uses one of its kernels. Same epilogue as conv_cpu.cl:
 * out = act(conv + bias) [+ residual].
 */

/* Fallback for any grouping: one output element per work-item.
 * Weights in ONNX layout [M][Cg][kh][kw]. */
__kernel void
conv_generic (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
  int p = get_global_id (0);
  int m = get_global_id (1);
  if (p >= Ho * Wo || m >= M)
    return;
  int oy = p / Wo, ox = p % Wo;
  __global const ACT_T *xk = x + x_off + (m / Mg) * Cg * H * W;
  __global const float *wk = w + m * Cg * kh * kw;
  float acc = 0.0f;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      for (int kx = 0; kx < kw; kx++) {
        int ix = ox * sw - pw + kx * dw;
        if (ix >= 0 && ix < W)
          acc = fma (LOAD_ACT (xk, iy * W + ix), wk[ky * kw + kx], acc);
      }
    }
    xk += H * W;
    wk += kh * kw;
  }
  int o = m * Ho * Wo + p;
  float v = yolo_act (act, alpha, beta, acc + b[m]);
  if (has_res)
    v += LOAD_ACT (r, r_off + o);
  STORE_ACT (y, y_off + o, v);
}

/* GPU variant of the blocked kernels (any kernel/stride/pad/dilation,
 * groups whose output channels split into blocks of 8): one output pixel x
 * 8 output channels per work-item, scalar input loads and one float8 load
 * of the [M/8][Cg][kh][kw][8] weights per tap (the same for every
 * work-item of a channel block, so it broadcasts). */
__kernel void
conv_gpu_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
  int p = get_global_id (0);
  int mb = get_global_id (1);
  int m0 = mb * 8;
  if (p >= Ho * Wo || m0 >= M)
    return;
  int oy = p / Wo, ox = p % Wo;
  int HW = H * W, kk = kh * kw;
  __global const ACT_T *xk = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wk = w + mb * Cg * kk * 8;
  float8 acc = 0.0f;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      for (int kx = 0; kx < kw; kx++) {
        int ix = ox * sw - pw + kx * dw;
        if (ix >= 0 && ix < W)
          acc = fma ((float8) (LOAD_ACT (xk, iy * W + ix)),
              vload8 (0, wk + (ky * kw + kx) * 8), acc);
      }
    }
    xk += HW;
    wk += kk * 8;
  }
  acc += vload8 (0, b + m0);
  float v[8];
  vstore8 (acc, 0, v);
  for (int j = 0; j < 8 && m0 + j < M; j++) {
    int o = (m0 + j) * Ho * Wo + p;
    float t = yolo_act (act, alpha, beta, v[j]);
    if (has_res)
      t += LOAD_ACT (r, r_off + o);
    STORE_ACT (y, y_off + o, t);
  }
}
