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
          v += LOAD_ACT (r, r_off + o);
        STORE_ACT (y, y_off + o, v);
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
    v += LOAD_ACT (r, r_off + yo);
  STORE_ACT (y, y_off + yo, v);
}

/* convtranspose_k_eq_s for CPUs that want wide vectors (PoCL): a
 * work-item takes 16 consecutive input pixels (flattened over H x W) x one
 * tap (dim 1) x 8 output channels (dim 2): float16 loads of the input, one
 * multiply-add of 16 lanes per weight, then the lanes scattered to their
 * output pixels (iy * kh + ky, ix * kw + kx). Same weights and bias
 * layout as convtranspose_k_eq_s. */
#define CT_ACC(j) a##j = fma (v, (float16) (wv.s##j), a##j)

__kernel void
convtranspose_k_eq_s_w16 (__global const float *x, int x_off,
    __global const float *w, CONV_EPILOGUE_ARGS, int M, int H, int W,
    int Ho, int Wo, int C, int Mp, int kh, int kw)
{
  int p0 = get_global_id (0) * 16;
  int t = get_global_id (1);
  int mb = get_global_id (2) * 8;
  int HW = H * W, kk = kh * kw;
  if (p0 >= HW || t >= kk || mb >= Mp)
    return;
  float16 a0 = (float16) (b[mb]), a1 = (float16) (b[mb + 1]);
  float16 a2 = (float16) (b[mb + 2]), a3 = (float16) (b[mb + 3]);
  float16 a4 = (float16) (b[mb + 4]), a5 = (float16) (b[mb + 5]);
  float16 a6 = (float16) (b[mb + 6]), a7 = (float16) (b[mb + 7]);
  __global const float *xp = x + x_off + p0;
  __global const float *wp = w + t * Mp + mb;
  int n = min (16, HW - p0);
  for (int c = 0; c < C; c++) {
    float16 v;
    if (n == 16) {
      v = vload16 (0, xp + (size_t) c * HW);
    } else {
      float tmp[16];
      for (int l = 0; l < 16; l++)
        tmp[l] = l < n ? xp[(size_t) c * HW + l] : 0.0f;
      v = vload16 (0, tmp);
    }
    float8 wv = vload8 (0, wp + (size_t) c * kk * Mp);
    CT_ACC (0);
    CT_ACC (1);
    CT_ACC (2);
    CT_ACC (3);
    CT_ACC (4);
    CT_ACC (5);
    CT_ACC (6);
    CT_ACC (7);
  }
  int ky = t / kw, kx = t % kw;
  float out[8][16];
  vstore16 (yolo_act_float16 (act, alpha, beta, a0), 0, out[0]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a1), 0, out[1]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a2), 0, out[2]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a3), 0, out[3]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a4), 0, out[4]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a5), 0, out[5]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a6), 0, out[6]);
  vstore16 (yolo_act_float16 (act, alpha, beta, a7), 0, out[7]);
  for (int l = 0; l < n; l++) {
    int p = p0 + l, iy = p / W, ix = p % W;
    int o = (iy * kh + ky) * Wo + ix * kw + kx;
    for (int j = 0; j < 8 && mb + j < M; j++) {
      int oj = (mb + j) * Ho * Wo + o;
      float v = out[j][l];
      if (has_res)
        v += LOAD_ACT (r, r_off + oj);
      STORE_ACT (y, y_off + oj, v);
    }
  }
}
