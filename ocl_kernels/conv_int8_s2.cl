/* conv_int8_s2.cl - ConvInteger / ConvIntegerToFloat 3x3, stride 2, pad 1
 * (dilation 1, one group, any C) as integer dot products
 * (backend-opencl/conv-int8.c): the accumulation and epilogue contract of
 * conv_int8.cl's conv_int8_3x3s1 (exact int32 sums like onnxruntime's
 * ConvInteger, then float(acc) * mul [+ bias], activation, residual).
 *
 * x: the uint8 codes as int32 (NCHW, [C][H][W]), x_zp one int32. w:
 * [ceil(M/8)][ceil(C/4)][9][8] ints of four s8 weights (byte t: input
 * channel 4k + t; zero bytes for channels >= C and output channels >= M),
 *   W8[m][c][t] = (w[m][c][t] - w_zp[m]) - d[m];
 * then with q the codes (padding taps: q = zx) and Q their sum,
 *   sum (q - zx) (w - w_zp) = sum q W8 + d[m] Q - zx ws[m]
 * (wfix: ws[0..Mp) = sum over all taps of w - w_zp, then d[0..Mp)); wraps
 * in uint, exact since the true sum fits int32 (yolo_qconv_geom).
 *
 * Work-item: 8 output channels (dim 0) x two segments a, c of 16 output
 * pixels of one row (dim 1: segments 2i and 2i + 1 of the OH rows' ceil(OW
 * / 16) each; a last segment of a row shifted back to end at OW stores only
 * the pixels the previous one did not; OW < 16: lanes past OW dropped).
 * Per quad of input channels and kernel row, a segment's 32 input pixels
 * 2xs .. 2xs + 31 are packed (four codes per int) into two vectors: their
 * even lanes are tap kx = 1, the odd lanes kx = 2, and the odd lanes
 * shifted by one with pixel 2xs - 1 in front kx = 0. Pixels outside the
 * image read as the code zx (in the bytes of real channels; 0 in the
 * bytes of channels >= C, whose weights are 0).
 *
 * conv_int8_3x3s2_vnni: the dot products as AVX512-VNNI vpdpbusd (inline
 * assembly, PoCL CPU with avx512vnni only: yolo_rt_device ()->int8_dot);
 * conv_int8_3x3s2: plain int32, any device. Units share only common.cl,
 * so the epilogue helpers below repeat conv_int8.cl's (same arithmetic). */

/* 16 lanes: float(acc) * mul [+ bias], activation (to_float), or the
 * int32 bits (ConvInteger); fast_silu as conv_int8.cl's conv_int8_epi16. */
static inline float16
conv_s2_epi16 (int16 acc, int m, int to_float, float mul,
    __global const float *b, int has_bias, int act, float alpha, float beta,
    int fast_silu)
{
  if (!to_float)
    return as_float16 (acc);
  float16 v = convert_float16 (acc) * mul;
  if (has_bias)
    v = v + b[m];
  if (act == YOLO_ACT_SILU && fast_silu)
    return yolo_silu_fast16 (v);
  if (act == YOLO_ACT_NONE)
    return v;
  return yolo_act16_other (v, act, alpha, beta);
}

/* Lanes [l0, l1) of v [+ residual] at y + o. */
static inline void
conv_s2_store16 (float16 v, int o, int l0, int l1, __global float *y,
    __global const float *r, int has_res)
{
  if (l0 == 0 && l1 == 16) {
    if (has_res)
      v = v + vload16 (0, r + o);
    vstore16 (v, 0, y + o);
  } else {
    float t[16];
    vstore16 (v, 0, t);
    for (int i = l0; i < l1; i++)
      y[o + i] = has_res ? t[i] + r[o + i] : t[i];
  }
}

#define CONV_S2_DECL8(p) \
  int16 p##0 = 0, p##1 = 0, p##2 = 0, p##3 = 0, p##4 = 0, p##5 = 0, \
      p##6 = 0, p##7 = 0

#define CONV_S2_PICK8(p, j) ((j) == 0 ? p##0 : (j) == 1 ? p##1 : \
    (j) == 2 ? p##2 : (j) == 3 ? p##3 : (j) == 4 ? p##4 : (j) == 5 ? p##5 : \
    (j) == 6 ? p##6 : p##7)

/* The epilogue of channel j of accumulator v with code sums qs, lanes
 * [l0, l1) at output offset off (plane HW = OH * OW). */
#define CONV_S2_EPI1(v, qs, j, off, l0, l1) do { \
    int m_ = m0 + (j); \
    uint16 s_ = as_uint16 (v) + as_uint16 (qs) * (uint) wfix[Mp + m_] \
        - (uint) z * (uint) wfix[m_]; \
    conv_s2_store16 (conv_s2_epi16 (as_int16 (s_), m_, to_float, \
            mul[mul_off + (mul_per_channel ? m_ : 0)], b, has_bias, act, \
            alpha, beta, fast_silu), m_ * HW + (off), (l0), (l1), y + y_off, \
        r + r_off, has_res); \
  } while (0)

#define CONV_S2_STORE8(p, qs, off, l0, l1) do { \
    if (m0 + 8 <= M) { \
      CONV_S2_EPI1 (p##0, qs, 0, off, l0, l1); \
      CONV_S2_EPI1 (p##1, qs, 1, off, l0, l1); \
      CONV_S2_EPI1 (p##2, qs, 2, off, l0, l1); \
      CONV_S2_EPI1 (p##3, qs, 3, off, l0, l1); \
      CONV_S2_EPI1 (p##4, qs, 4, off, l0, l1); \
      CONV_S2_EPI1 (p##5, qs, 5, off, l0, l1); \
      CONV_S2_EPI1 (p##6, qs, 6, off, l0, l1); \
      CONV_S2_EPI1 (p##7, qs, 7, off, l0, l1); \
    } else { \
      for (int j_ = 0; j_ < 8 && m0 + j_ < M; j_++) \
        CONV_S2_EPI1 (CONV_S2_PICK8 (p, j_), qs, j_, off, l0, l1); \
    } \
  } while (0)

/* Plain int32: the bytes of v (unsigned) times the bytes of wq (signed). */
#define CONV_S2_DOT_C(acc, v, wq) do { \
    int wq_ = (wq); \
    acc += ((v) & 255) * (int) (char) wq_ \
        + (((v) >> 8) & 255) * (int) (char) (wq_ >> 8) \
        + (((v) >> 16) & 255) * (int) (char) (wq_ >> 16) \
        + (((v) >> 24) & 255) * (int) (char) (wq_ >> 24); \
  } while (0)

#define CONV_S2_DOT8(DOT, p, v, wq) do { \
    DOT (p##0, v, (wq)[0]); DOT (p##1, v, (wq)[1]); \
    DOT (p##2, v, (wq)[2]); DOT (p##3, v, (wq)[3]); \
    DOT (p##4, v, (wq)[4]); DOT (p##5, v, (wq)[5]); \
    DOT (p##6, v, (wq)[6]); DOT (p##7, v, (wq)[7]); \
  } while (0)

/* Pixels p .. p + 15 of the four channel planes at row (stride HWi), all
 * inside the row, four codes per lane. */
#define CONV_S2_PACK4(row, p, HWi) \
  (vload16 (0, (row) + (p)) | (vload16 (0, (row) + (HWi) + (p)) << 8) \
      | (vload16 (0, (row) + 2 * (HWi) + (p)) << 16) \
      | (vload16 (0, (row) + 3 * (HWi) + (p)) << 24))

/* Pixels p .. p + 15 of nc < 4 channels, all inside the row. */
static inline int16
conv_s2_pack_few (__global const int *row, int p, int nc, int HWi)
{
  int16 v = vload16 (0, row + p);
  if (nc > 1)
    v |= vload16 (0, row + HWi + p) << 8;
  if (nc > 2)
    v |= vload16 (0, row + 2 * HWi + p) << 16;
  return v;
}

/* Pixels p .. p + 15 (p >= 0) of nc channels, zx past the row end W. */
static inline int16
conv_s2_pack_edge (__global const int *row, int p, int nc, int W, int HWi,
    int z)
{
  int t[16];
  for (int i = 0; i < 16; i++) {
    int v = 0;
    for (int c = 0; c < nc; c++)
      v |= (p + i < W ? row[c * HWi + p + i] : z) << (8 * c);
    t[i] = v;
  }
  return vload16 (0, t);
}

/* The three taps (kx = 0, 1, 2) of input row iy for the 16 output pixels
 * xs .. xs + 15: nc channels (1..4) from plane xk; zk = zx in the bytes
 * of the nc channels. */
#define CONV_S2_TAPS(t0, t1, t2, xk, iy, xs, nc, zk) do { \
    if ((iy) < 0 || (iy) >= H) { \
      t0 = t1 = t2 = (int16) (zk); \
    } else { \
      __global const int *row_ = (xk) + (iy) * W; \
      int p_ = 2 * (xs), l_; \
      int16 v0_, v1_; \
      if (p_ + 32 <= W && (nc) == 4) { \
        v0_ = CONV_S2_PACK4 (row_, p_, HWi); \
        v1_ = CONV_S2_PACK4 (row_, p_ + 16, HWi); \
      } else if (p_ + 32 <= W) { \
        v0_ = conv_s2_pack_few (row_, p_, (nc), HWi); \
        v1_ = conv_s2_pack_few (row_, p_ + 16, (nc), HWi); \
      } else { \
        v0_ = conv_s2_pack_edge (row_, p_, (nc), W, HWi, z); \
        v1_ = conv_s2_pack_edge (row_, p_ + 16, (nc), W, HWi, z); \
      } \
      if (p_ == 0) { \
        l_ = (zk); \
      } else { \
        l_ = 0; \
        for (int c_ = 0; c_ < (nc); c_++) \
          l_ |= row_[c_ * HWi + p_ - 1] << (8 * c_); \
      } \
      t1 = __builtin_shufflevector (v0_, v1_, 0, 2, 4, 6, 8, 10, 12, 14, \
          16, 18, 20, 22, 24, 26, 28, 30); \
      t2 = __builtin_shufflevector (v0_, v1_, 1, 3, 5, 7, 9, 11, 13, 15, \
          17, 19, 21, 23, 25, 27, 29, 31); \
      t0 = __builtin_shufflevector ((int16) (l_), t2, 0, 16, 17, 18, 19, \
          20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30); \
    } \
  } while (0)

/* Segment s (of OH * nt, nt = ceil(OW / 16) per row): output row oy,
 * pixels xs .. xs + 15 (the last of a row with OW > 16 shifted back to end
 * at OW), of which lanes [l0, l1) are its own. */
#define CONV_S2_SEG(s, oy, xs, l0, l1) do { \
    int x0_ = (s) % nt * 16; \
    oy = (s) / nt; \
    xs = OW > 16 ? min (x0_, OW - 16) : 0; \
    l0 = x0_ - xs; \
    l1 = min (OW - xs, 16); \
  } while (0)

#define CONV_S2_ARGS \
  __global const int *x, int x_off, __global const int *xzp, int xzp_off, \
  __global const int *w, __global const int *wfix, __global float *y, \
  int y_off, int to_float, __global const float *mul, int mul_off, \
  int mul_per_channel, __global const float *b, int has_bias, \
  __global const float *r, int r_off, int has_res, int act, float alpha, \
  float beta, int M, int HW, int C, int has_d, int fast_silu, int H, int W, \
  int OH, int OW

#define CONV_S2_BODY(DOT) \
  int mb = get_global_id (0); \
  int it = get_global_id (1); \
  int nt = (OW + 15) / 16, ns = OH * nt; \
  int m0 = mb * 8; \
  int Mp = (M + 7) / 8 * 8, C4 = (C + 3) / 4, HWi = H * W; \
  if (m0 >= M || 2 * it >= ns) \
    return; \
  int ya, yc, xa, xc, la0, lc0, la1, lc1; \
  CONV_S2_SEG (2 * it, ya, xa, la0, la1); \
  CONV_S2_SEG (2 * it + 1, yc, xc, lc0, lc1); \
  int z = xzp[xzp_off]; \
  __global const int *wp = w + mb * C4 * 9 * 8; \
  CONV_S2_DECL8 (a); \
  CONV_S2_DECL8 (c); \
  int16 qa = 0, qc = 0; \
  int ones = 0x01010101; \
  for (int k = 0; k < C4; k++) { \
    __global const int *xk = x + x_off + 4 * k * HWi; \
    int nc = min (C - 4 * k, 4); \
    int zk = z * (nc == 4 ? 0x01010101 : (int) (0x01010101u \
            & ((1u << (8 * nc)) - 1))); \
    for (int ky = 0; ky < 3; ky++, wp += 24) { \
      int16 ta0, ta1, ta2, tc0, tc1, tc2; \
      CONV_S2_TAPS (ta0, ta1, ta2, xk, 2 * ya + ky - 1, xa, nc, zk); \
      CONV_S2_TAPS (tc0, tc1, tc2, xk, 2 * yc + ky - 1, xc, nc, zk); \
      CONV_S2_DOT8 (DOT, a, ta0, wp); \
      CONV_S2_DOT8 (DOT, c, tc0, wp); \
      CONV_S2_DOT8 (DOT, a, ta1, wp + 8); \
      CONV_S2_DOT8 (DOT, c, tc1, wp + 8); \
      CONV_S2_DOT8 (DOT, a, ta2, wp + 16); \
      CONV_S2_DOT8 (DOT, c, tc2, wp + 16); \
      if (has_d) { \
        DOT (qa, ta0, ones); DOT (qc, tc0, ones); \
        DOT (qa, ta1, ones); DOT (qc, tc1, ones); \
        DOT (qa, ta2, ones); DOT (qc, tc2, ones); \
      } \
    } \
  } \
  CONV_S2_STORE8 (a, qa, ya * OW + xa, la0, la1); \
  if (2 * it + 1 < ns) \
    CONV_S2_STORE8 (c, qc, yc * OW + xc, lc0, lc1);

__kernel void
conv_int8_3x3s2 (CONV_S2_ARGS)
{
CONV_S2_BODY (CONV_S2_DOT_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
/* acc += per lane sum of the 4 products u8 (v) x s8 (wq): vpdpbusd (no
 * saturation; the four 16-bit products and their sum are exact). */
#define CONV_S2_DOT_VNNI(acc, v, wq) do { \
    __asm__ ("vpdpbusd %2%{1to16%}, %1, %0" : "+v" (acc) : "v" (v), \
        "m" (wq)); \
  } while (0)

__kernel void
conv_int8_3x3s2_vnni (CONV_S2_ARGS)
{
CONV_S2_BODY (CONV_S2_DOT_VNNI)}
#endif
