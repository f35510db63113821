/* convtranspose.cl - ONNX ConvTranspose (ops/convtranspose.c), with the
 * epilogue of Conv (CONV_EPILOGUE_ARGS, common.cl): y = act(sum + b)
 * [+ r]. */

/* kernel == stride, dilation 1, no pads, group 1: output pixel
 * (iy * kh + ky, ix * kw + kx) gets the single tap (ky, kx) of input pixel
 * (iy, ix). Work-item: one input pixel (dim 0) x 8 output channels
 * (dim 1); it accumulates its kh x kw output block (kh * kw <= 16 here:
 * larger kernels loop over tap rows). Weights [C][kh*kw][Mp] (Mp: M
 * rounded up to 8, zero padded), bias [Mp]. */
__kernel void
convtranspose_k_eq_s (__global const float *x, int x_off,
    __global const float *w, CONV_EPILOGUE_ARGS, int M, int H, int W,
    int Ho, int Wo, int C, int Mp, int kh, int kw)
{
  int p = get_global_id (0);
  int mb = get_global_id (1) * 8;
  if (p >= H * W || mb >= Mp)
    return;
  int iy = p / W, ix = p % W;
  int kk = kh * kw;
  float8 bias = vload8 (0, b + mb);
  /* taps in chunks of 4 (2x2 upsampling: one chunk) */
  for (int t0 = 0; t0 < kk; t0 += 4) {
    int nt = min (4, kk - t0);
    float8 acc0 = bias, acc1 = bias, acc2 = bias, acc3 = bias;
    __global const float *xp = x + x_off + p;
    __global const float *wp = w + t0 * Mp + mb;
    for (int c = 0; c < C; c++) {
      float v = xp[(size_t) c * H * W];
      __global const float *wc = wp + (size_t) c * kk * Mp;
      acc0 += v * vload8 (0, wc);
      if (nt > 1)
        acc1 += v * vload8 (0, wc + Mp);
      if (nt > 2)
        acc2 += v * vload8 (0, wc + 2 * Mp);
      if (nt > 3)
        acc3 += v * vload8 (0, wc + 3 * Mp);
    }
    for (int t = 0; t < nt; t++) {
      float8 a = t == 0 ? acc0 : t == 1 ? acc1 : t == 2 ? acc2 : acc3;
      int ky = (t0 + t) / kw, kx = (t0 + t) % kw;
      int oy = iy * kh + ky, ox = ix * kw + kx;
      a = yolo_act_float8 (act, alpha, beta, a);
      float va[8];
      vstore8 (a, 0, va);
      for (int j = 0; j < 8 && mb + j < M; j++) {
        int o = ((mb + j) * Ho + oy) * Wo + ox;
        float v = va[j];
        if (has_res)
          v += r[r_off + o];
        y[y_off + o] = v;
      }
    }
  }
}

/* Any stride, dilation, pads, output_padding, group: one
 * output pixel (dim 0) of one output channel (dim 1) per work-item, a
 * gather over the taps that reach it. Weights as in ONNX:
 * [C][Mg][kh][kw]; bias [M] (zero padded). */
__kernel void
convtranspose_generic (__global const float *x, int x_off,
    __global const float *w, CONV_EPILOGUE_ARGS, int M, int H, int W,
    int Ho, int Wo, int Cg, int Mg, int kh, int kw, int sh, int sw, int pt,
    int pl, int dh, int dw)
{
  int o = get_global_id (0);
  int m = get_global_id (1);
  if (o >= Ho * Wo || m >= M)
    return;
  int oy = o / Wo, ox = o % Wo;
  int grp = m / Mg, mg = m % Mg;
  float acc = b[m];
  for (int ky = 0; ky < kh; ky++) {
    int ty = oy + pt - ky * dh;
    if (ty < 0 || ty % sh != 0 || ty / sh >= H)
      continue;
    int iy = ty / sh;
    for (int kx = 0; kx < kw; kx++) {
      int tx = ox + pl - kx * dw;
      if (tx < 0 || tx % sw != 0 || tx / sw >= W)
        continue;
      int ix = tx / sw;
      __global const float *xp = x + x_off + ((size_t) grp * Cg * H + iy) * W
          + ix;
      __global const float *wp = w + (((size_t) grp * Cg * Mg + mg) * kh
          + ky) * kw + kx;
      for (int c = 0; c < Cg; c++)
        acc += xp[(size_t) c * H * W] * wp[(size_t) c * Mg * kh * kw];
    }
  }
  float v = yolo_act (act, alpha, beta, acc);
  int yo = m * Ho * Wo + o;
  if (has_res)
    v += r[r_off + yo];
  y[y_off + yo] = v;
}
