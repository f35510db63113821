/* conv.cl - 2D convolution (ONNX Conv), fp32, NCHW, batch 1.
 *
 * Every kernel writes out = act(conv + bias) [+ residual] and addresses its
 * tensors as (buffer, element offset) so inputs and outputs may be views.
 *
 * CPU (PoCL) does not vectorise across work-items, so the hot kernels are
 * written with explicit float16 vectors along W (or along H*W for 1x1) and
 * keep 8 output channels per work-item in registers:
 *
 *  conv_1x1_c8     1x1 stride 1 no pad: 32 px x 8 ch
 *  conv_3x3s1_c8   3x3 stride 1 pad 1: 2 rows x 16 px x 8 ch
 *  conv_3x3s2_c8   3x3 stride 2 pad 1: 2 rows x 16 px x 8 ch
 *  conv_kxk_c8     any kernel/stride/pad/dilation: 1 row x 16 px x 8 ch
 *  conv_dw         one input channel per group (depthwise): 1 row x 1 ch
 *  conv_generic    anything else (any grouping): 1 output element
 *
 * The blocked (_c8) kernels take weights repacked as
 * [M/8][Cg][kh][kw][8] (zero padded output channels) and a bias padded to a
 * multiple of 8. Work-item grid: dim 0 = output channel block, dim 1 =
 * spatial block. Edge tiles are shifted left to end at the row end (W >= 16)
 * and only store the lanes that the previous tile did not; narrower rows
 * use masked gathers.
 */

#define CONV_IOTA16 \
  ((int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

/* Lanes p[start + step * i], zero where that index is outside [0, n). */
inline float16
conv_load16_masked (__global const float *p, int start, int step, int n)
{
  int16 idx = (int16) (start) + CONV_IOTA16 * step;
  int16 ok = (idx >= 0) & (idx < n);
  idx = clamp (idx, 0, n - 1);
  float16 v = (float16) (p[idx.s0], p[idx.s1], p[idx.s2], p[idx.s3],
      p[idx.s4], p[idx.s5], p[idx.s6], p[idx.s7],
      p[idx.s8], p[idx.s9], p[idx.sa], p[idx.sb],
      p[idx.sc], p[idx.sd], p[idx.se], p[idx.sf]);
  return select ((float16) (0.0f), v, ok);
}

/* Epilogue for lanes [l0, l1) of one 16-lane output segment at y[yo]. */
inline void
conv_store16 (float16 v, float bias, __global float *y, int yo,
    __global const float *r, int ro, int has_res, int act, float alpha,
    float beta, int l0, int l1)
{
  if (l0 >= l1)
    return;
  v = yolo_act_float16 (act, alpha, beta, v + bias);
  if (l0 == 0 && l1 == 16) {
    if (has_res)
      v += vload16 (0, r + ro);
    vstore16 (v, 0, y + yo);
  } else {
    float t[16];
    vstore16 (v, 0, t);
    for (int i = l0; i < l1; i++)
      y[yo + i] = has_res ? t[i] + r[ro + i] : t[i];
  }
}

/* 8 accumulators named p0..p7 (one per output channel). */
#define CONV_DECL8(p) \
  float16 p##0 = 0.0f, p##1 = 0.0f, p##2 = 0.0f, p##3 = 0.0f, \
      p##4 = 0.0f, p##5 = 0.0f, p##6 = 0.0f, p##7 = 0.0f

/* p_j += v * w[j] for the 8 channels. */
#define CONV_FMA8(p, v, w) do { \
    p##0 = fma ((v), (float16) ((w)[0]), p##0); \
    p##1 = fma ((v), (float16) ((w)[1]), p##1); \
    p##2 = fma ((v), (float16) ((w)[2]), p##2); \
    p##3 = fma ((v), (float16) ((w)[3]), p##3); \
    p##4 = fma ((v), (float16) ((w)[4]), p##4); \
    p##5 = fma ((v), (float16) ((w)[5]), p##5); \
    p##6 = fma ((v), (float16) ((w)[6]), p##6); \
    p##7 = fma ((v), (float16) ((w)[7]), p##7); \
  } while (0)

/* Three taps of one kernel row: w points at [kx][8] for that row. */
#define CONV_TAP3(p, w) do { \
    CONV_FMA8 (p, vl, (w)); \
    CONV_FMA8 (p, vc, (w) + 8); \
    CONV_FMA8 (p, vr, (w) + 16); \
  } while (0)

/* Stores the 8 channel segments of accumulator set p at row offset `off`
 * (element offset of the segment inside one output channel). */
#define CONV_STORE8(p, off, l0, l1) do { \
    int o_ = (off); \
    for (int j_ = 0; j_ < 8; j_++) { \
      if (m0 + j_ >= M) \
        break; \
      float16 v_ = j_ == 0 ? p##0 : j_ == 1 ? p##1 : j_ == 2 ? p##2 : \
          j_ == 3 ? p##3 : j_ == 4 ? p##4 : j_ == 5 ? p##5 : \
          j_ == 6 ? p##6 : p##7; \
      int co_ = (m0 + j_) * ostride + o_; \
      conv_store16 (v_, b[m0 + j_], y, y_off + co_, r, r_off + co_, \
          has_res, act, alpha, beta, (l0), (l1)); \
    } \
  } while (0)

#define CONV_EPILOGUE_ARGS \
  __global const float *b, __global float *y, int y_off, \
  __global const float *r, int r_off, int has_res, int act, float alpha, \
  float beta

/* 1x1, stride 1, no padding: out[m][p] = sum_c w[m][c] x[c][p] over the
 * flattened H*W. A work-item computes 32 pixels x 8 output channels. */
__kernel void
conv_1x1_c8 (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int HW, int Cg, int Mg)
{
  int mb = get_global_id (0);
  int pb = get_global_id (1);
  int m0 = mb * 8;
  int p0 = pb * 32;
  if (m0 >= M || p0 >= HW)
    return;
  int ostride = HW;
  __global const float *xp = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wp = w + mb * Cg * 8;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (HW >= 32) {
    int ps = min (p0, HW - 32);
    __global const float *xq = xp + ps;
    for (int k = 0; k < Cg; k++) {
      float16 v0 = vload16 (0, xq);
      float16 v1 = vload16 (0, xq + 16);
      CONV_FMA8 (a, v0, wp);
      CONV_FMA8 (c, v1, wp);
      xq += HW;
      wp += 8;
    }
    int skip = p0 - ps;
    CONV_STORE8 (a, ps, min (skip, 16), 16);
    CONV_STORE8 (c, ps + 16, max (skip - 16, 0), 16);
  } else {
    for (int k = 0; k < Cg; k++) {
      float16 v0 = conv_load16_masked (xp, 0, 1, HW);
      float16 v1 = conv_load16_masked (xp, 16, 1, HW);
      CONV_FMA8 (a, v0, wp);
      CONV_FMA8 (c, v1, wp);
      xp += HW;
      wp += 8;
    }
    CONV_STORE8 (a, 0, 0, min (HW, 16));
    CONV_STORE8 (c, 16, 0, HW - 16);
  }
}

/* Row loaders: set vl, vc, vr (taps kx = 0, 1, 2) from input row `row`. */

/* stride 1, pad 1, segment [xs, xs + 16) fully inside the row. */
#define CONV_ROW_S1_FAST(row) do { \
    __global const float *q_ = (row) + xs; \
    vc = vload16 (0, q_); \
    float l_ = xs > 0 ? q_[-1] : 0.0f; \
    float r_ = xs + 16 < W ? q_[16] : 0.0f; \
    vl = (float16) (l_, vc.s0123, vc.s4567, vc.s89ab, vc.scde); \
    vr = (float16) (vc.s1234, vc.s5678, vc.s9abc, vc.sdef, r_); \
  } while (0)

#define CONV_ROW_S1_SLOW(row) do { \
    vl = conv_load16_masked ((row), xs - 1, 1, W); \
    vc = conv_load16_masked ((row), xs, 1, W); \
    vr = conv_load16_masked ((row), xs + 1, 1, W); \
  } while (0)

/* stride 2, pad 1: input columns 2 * (xs + i) - 1 + kx, with
 * [2 xs, 2 xs + 32) inside the row. */
#define CONV_ROW_S2_FAST(row) do { \
    __global const float *q_ = (row) + 2 * xs; \
    float16 u_ = vload16 (0, q_); \
    float16 v_ = vload16 (0, q_ + 16); \
    vc = (float16) (u_.even, v_.even); \
    vr = (float16) (u_.odd, v_.odd); \
    float l_ = xs > 0 ? q_[-1] : 0.0f; \
    vl = (float16) (l_, vr.s0123, vr.s4567, vr.s89ab, vr.scde); \
  } while (0)

#define CONV_ROW_S2_SLOW(row) do { \
    vl = conv_load16_masked ((row), 2 * xs - 1, 2, W); \
    vc = conv_load16_masked ((row), 2 * xs, 2, W); \
    vr = conv_load16_masked ((row), 2 * xs + 1, 2, W); \
  } while (0)

/* One input channel of the 3x3 stride 1 kernel: input rows y0-1 .. y0+2
 * feed output rows y0 (acc a) and y0+1 (acc c). */
#define CONV_3X3S1_CHANNEL(LOAD) do { \
    if (y0 > 0) { \
      LOAD (xk - W); \
      CONV_TAP3 (a, wk); \
    } \
    LOAD (xk); \
    CONV_TAP3 (a, wk + 24); \
    CONV_TAP3 (c, wk); \
    if (y0 + 1 < H) { \
      LOAD (xk + W); \
      CONV_TAP3 (a, wk + 48); \
      CONV_TAP3 (c, wk + 24); \
    } \
    if (y0 + 2 < H) { \
      LOAD (xk + 2 * W); \
      CONV_TAP3 (c, wk + 48); \
    } \
  } while (0)

/* 3x3, stride 1, dilation 1, pads 1 (output H x W): a work-item computes
 * 2 rows x 16 pixels x 8 output channels. */
__kernel void
conv_3x3s1_c8 (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Cg, int Mg)
{
  int mb = get_global_id (0);
  int it = get_global_id (1);
  int nt = (W + 15) / 16;
  int m0 = mb * 8;
  if (m0 >= M || it >= nt * ((H + 1) / 2))
    return;
  int ostride = H * W;
  int y0 = (it / nt) * 2;
  int x0 = (it % nt) * 16;
  int fast = W >= 16;
  int xs = fast ? min (x0, W - 16) : x0;
  int HW = H * W;
  __global const float *xk = x + x_off + (m0 / Mg) * Cg * HW + y0 * W;
  __global const float *wk = w + mb * Cg * 72;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (fast) {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S1_CHANNEL (CONV_ROW_S1_FAST);
      xk += HW;
      wk += 72;
    }
  } else {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S1_CHANNEL (CONV_ROW_S1_SLOW);
      xk += HW;
      wk += 72;
    }
  }
  int l0 = x0 - xs, l1 = min (16, W - xs);
  CONV_STORE8 (a, y0 * W + xs, l0, l1);
  if (y0 + 1 < H)
    CONV_STORE8 (c, (y0 + 1) * W + xs, l0, l1);
}

/* One input channel of the 3x3 stride 2 kernel: input rows
 * 2 y0 - 1 .. 2 y0 + 3 feed output rows y0 (a) and y0 + 1 (c). xk points at
 * input row 2 y0. */
#define CONV_3X3S2_CHANNEL(LOAD) do { \
    if (y0 > 0) { \
      LOAD (xk - W); \
      CONV_TAP3 (a, wk); \
    } \
    LOAD (xk); \
    CONV_TAP3 (a, wk + 24); \
    if (2 * y0 + 1 < H) { \
      LOAD (xk + W); \
      CONV_TAP3 (a, wk + 48); \
      CONV_TAP3 (c, wk); \
    } \
    if (2 * y0 + 2 < H) { \
      LOAD (xk + 2 * W); \
      CONV_TAP3 (c, wk + 24); \
    } \
    if (2 * y0 + 3 < H) { \
      LOAD (xk + 3 * W); \
      CONV_TAP3 (c, wk + 48); \
    } \
  } while (0)

/* 3x3, stride 2, dilation 1, pads 1: output Ho x Wo; a work-item computes
 * 2 rows x 16 pixels x 8 output channels. */
__kernel void
conv_3x3s2_c8 (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg)
{
  int mb = get_global_id (0);
  int it = get_global_id (1);
  int nt = (Wo + 15) / 16;
  int m0 = mb * 8;
  if (m0 >= M || it >= nt * ((Ho + 1) / 2))
    return;
  int ostride = Ho * Wo;
  int y0 = (it / nt) * 2;
  int x0 = (it % nt) * 16;
  int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
  int fast = Wo >= 16 && 2 * xs + 32 <= W;
  if (!fast)
    xs = x0;
  int HW = H * W;
  __global const float *xk = x + x_off + (m0 / Mg) * Cg * HW + 2 * y0 * W;
  __global const float *wk = w + mb * Cg * 72;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (fast) {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S2_CHANNEL (CONV_ROW_S2_FAST);
      xk += HW;
      wk += 72;
    }
  } else {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S2_CHANNEL (CONV_ROW_S2_SLOW);
      xk += HW;
      wk += 72;
    }
  }
  int l0 = x0 - xs, l1 = min (16, Wo - xs);
  CONV_STORE8 (a, y0 * Wo + xs, l0, l1);
  if (y0 + 1 < Ho)
    CONV_STORE8 (c, (y0 + 1) * Wo + xs, l0, l1);
}

/* 16 lanes of input row `row` at columns start + sw * i (zero outside). */
inline float16
conv_load_row (__global const float *row, int start, int sw, int W)
{
  if (sw == 1 && start >= 0 && start + 16 <= W)
    return vload16 (0, row + start);
  if (sw == 2 && start >= 0 && start + 32 <= W) {
    float16 u = vload16 (0, row + start);
    float16 v = vload16 (0, row + start + 16);
    return (float16) (u.even, v.even);
  }
  return conv_load16_masked (row, start, sw, W);
}

/* Any kernel size, stride, padding, dilation: 1 row x 16 px x 8 ch. */
__kernel void
conv_kxk_c8 (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
  int mb = get_global_id (0);
  int it = get_global_id (1);
  int nt = (Wo + 15) / 16;
  int m0 = mb * 8;
  if (m0 >= M || it >= nt * Ho)
    return;
  int ostride = Ho * Wo;
  int oy = it / nt;
  int x0 = (it % nt) * 16;
  int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
  int HW = H * W;
  int kk = kh * kw;
  __global const float *xk = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wk = w + mb * Cg * kk * 8;
  CONV_DECL8 (a);
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      __global const float *row = xk + iy * W;
      __global const float *wr = wk + ky * kw * 8;
      for (int kx = 0; kx < kw; kx++) {
        float16 v = conv_load_row (row, xs * sw - pw + kx * dw, sw, W);
        CONV_FMA8 (a, v, wr + kx * 8);
      }
    }
    xk += HW;
    wk += kk * 8;
  }
  CONV_STORE8 (a, oy * Wo + xs, x0 - xs, min (16, Wo - xs));
}

/* One input channel per group (depthwise, channel multiplier Mg): a
 * work-item computes one output row of one channel, 16 pixels at a time.
 * Weights in ONNX layout [M][1][kh][kw]. */
__kernel void
conv_dw (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
  int m = get_global_id (0);
  int oy = get_global_id (1);
  if (m >= M || oy >= Ho)
    return;
  __global const float *xk = x + x_off + (m / Mg) * H * W;
  __global const float *wk = w + m * kh * kw;
  float bias = b[m];
  int yo = m * Ho * Wo + oy * Wo;
  for (int x0 = 0; x0 < Wo; x0 += 16) {
    int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
    float16 acc = 0.0f;
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      __global const float *row = xk + iy * W;
      for (int kx = 0; kx < kw; kx++) {
        float16 v = conv_load_row (row, xs * sw - pw + kx * dw, sw, W);
        acc = fma (v, (float16) (wk[ky * kw + kx]), acc);
      }
    }
    conv_store16 (acc, bias, y, y_off + yo + xs, r, r_off + yo + xs,
        has_res, act, alpha, beta, x0 - xs, min (16, Wo - xs));
  }
}

/* Fallback for any grouping: one output element per work-item.
 * Weights in ONNX layout [M][Cg][kh][kw]. */
__kernel void
conv_generic (__global const float *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw)
{
  int p = get_global_id (0);
  int m = get_global_id (1);
  if (p >= Ho * Wo || m >= M)
    return;
  int oy = p / Wo, ox = p % Wo;
  __global const float *xk = x + x_off + (m / Mg) * Cg * H * W;
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
          acc = fma (xk[iy * W + ix], wk[ky * kw + kx], acc);
      }
    }
    xk += H * W;
    wk += kh * kw;
  }
  int o = m * Ho * Wo + p;
  float v = yolo_act (act, alpha, beta, acc + b[m]);
  if (has_res)
    v += r[r_off + o];
  y[y_off + o] = v;
}
