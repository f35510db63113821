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
 * conv_int8_3x3s2_dot: cl_khr_integer_dot_product's dot_4x8packed_us_int
 * (common.cl); conv_int8_3x3s2: plain int32, any device. The arguments,
 * accumulator sets, epilogue and plain dot product are conv_int8.cl's
 * (common.cl). */

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

#define CONV_S2_ARGS CONV_INT8_ARGS, int H, int W, int OH, int OW

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
  CONV_INT8_DECL8 (a); \
  CONV_INT8_DECL8 (c); \
  int16 qa = 0, qc = 0; \
  int ones = 0x01010101; \
  for (int k = 0; k < C4; k++) { \
    __global const int *xk = x + x_off + 4 * k * HWi; \
    int nc = min (C - 4 * k, 4); \
    int zk = as_int ((uint) z * (nc == 4 ? 0x01010101u : 0x01010101u \
            & ((1u << (8 * nc)) - 1))); \
    for (int ky = 0; ky < 3; ky++, wp += 24) { \
      int16 ta0, ta1, ta2, tc0, tc1, tc2; \
      CONV_S2_TAPS (ta0, ta1, ta2, xk, 2 * ya + ky - 1, xa, nc, zk); \
      CONV_S2_TAPS (tc0, tc1, tc2, xk, 2 * yc + ky - 1, xc, nc, zk); \
      CONV_INT8_DOT8 (DOT, a, ta0, wp); \
      CONV_INT8_DOT8 (DOT, c, tc0, wp); \
      CONV_INT8_DOT8 (DOT, a, ta1, wp + 8); \
      CONV_INT8_DOT8 (DOT, c, tc1, wp + 8); \
      CONV_INT8_DOT8 (DOT, a, ta2, wp + 16); \
      CONV_INT8_DOT8 (DOT, c, tc2, wp + 16); \
      if (has_d) { \
        DOT (qa, ta0, ones); DOT (qc, tc0, ones); \
        DOT (qa, ta1, ones); DOT (qc, tc1, ones); \
        DOT (qa, ta2, ones); DOT (qc, tc2, ones); \
      } \
    } \
  } \
  CONV_INT8_STORE_AC (1, ya * OW + xa, la0, la1, 2 * it + 1 < ns, \
      yc * OW + xc, lc0, lc1);

__kernel void
conv_int8_3x3s2 (CONV_S2_ARGS CONV_QDQ_ARGS)
{
CONV_S2_BODY (CONV_INT8_DOT_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
/* acc += per lane sum of the 4 products u8 (v) x s8 (wq): vpdpbusd (no
 * saturation; the four 16-bit products and their sum are exact). */
#define CONV_S2_DOT_VNNI(acc, v, wq) do { \
    __asm__ ("vpdpbusd %2%{1to16%}, %1, %0" : "+v" (acc) : "v" (v), \
        "m" (wq)); \
  } while (0)

__kernel void
conv_int8_3x3s2_vnni (CONV_S2_ARGS CONV_QDQ_ARGS)
{
CONV_S2_BODY (CONV_S2_DOT_VNNI)}
#endif

#ifdef CONV_INT8_HAS_DOT_KHR
__kernel CONV_INT8_DOT_ATTR void
conv_int8_3x3s2_dot (CONV_S2_ARGS CONV_QDQ_ARGS)
{
CONV_S2_BODY (CONV_INT8_DOT_KHR)}
#endif
