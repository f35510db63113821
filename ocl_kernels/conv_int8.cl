/* conv_int8.cl - ConvInteger / ConvIntegerToFloat 1x1 (stride 1, no pad,
 * one group) as integer dot products (backend-opencl/conv-int8.c): exact
 * int32 sums like onnxruntime's ConvInteger, then ops/quant.c's epilogue
 * (float(acc) * mul [+ bias], activation, residual; SiLU as the float
 * convs compute it, yolo_silu_fast16 (common.cl)).
 *
 * x: the uint8 codes as int32 (one per element, NCHW, as every integer
 * tensor in the arena), x_zp one int32. w: s8 quads, one int per 4 input
 * channels: byte t of w[(mb * C4 + k) * 8 + j] is W8[m0 + j][4k + t], with
 *   W8[m][c] = (w[m][c] - w_zp[m]) - d[m]  in [-128, 127]
 * (d[m] = 0 when w - w_zp fits; zero bytes pad the channels past C and
 * the output channels past M). Then, with q the codes and Q = sum_c q,
 *   sum_c (q - zx) (w - w_zp) = sum_c q W8 + d[m] Q - zx ws[m]
 * with ws[m] = sum_c (w[m][c] - w_zp[m]); the arithmetic wraps in uint,
 * exact since the true sum fits int32 (yolo_qconv_geom's tap bound).
 *
 * conv_int8_1x1_vnni: the four-byte dot products as AVX512-VNNI
 * `vpdpbusd` (64 u8 x s8 products per instruction into 16 int32 lanes),
 * inline assembly because PoCL's LLVM 15 targets this CPU (Zen 4) as
 * skylake-avx512, which has no VNNI: the host runs it only on a PoCL CPU
 * device whose host CPU reports avx512vnni (yolo_rt_device ()->int8_dot).
 * conv_int8_1x1_dot: the same with cl_khr_integer_dot_product's
 * dot_4x8packed_us_int (common.cl; devices reporting the packed
 * capability, e.g. Intel's CPU runtime and GPUs; each kernel below has
 * its _dot form). Elsewhere conv_int8_1x1 computes the same sums in
 * plain int32.
 * Work-item: 32 px x 8 output channels (dim 0 = channel block, dim 1 =
 * pixel block); a last block of a plane with HW >= 32 is shifted back to
 * end at HW and stores only the pixels the previous block did not.
 * The arguments (CONV_INT8_ARGS), accumulator sets, epilogue
 * (CONV_INT8_STORE8) and plain dot product (CONV_INT8_DOT_C) are in
 * common.cl, shared with conv_int8_s2.cl. */

/* Lanes p[i], i in [0, 16), zero where p0 + i >= n (HW < 32 tiles). */
static inline int16
conv_int8_load16 (__global const int *p, int p0, int n)
{
  int t[16];
  for (int i = 0; i < 16; i++)
    t[i] = p0 + i < n ? p[p0 + i] : 0;
  return vload16 (0, t);
}

/* Channels [4k, 4k + 4) of 16 pixels as one int of 4 codes per lane (byte
 * t: channel 4k + t; channels >= C read as 0). */
static inline int16
conv_int8_quad16 (__global const int *xp, int k, int C, int HW, int p0,
    int n)
{
  int c = 4 * k;
  int16 v = 0;
  for (int t = 0; t < 4 && c + t < C; t++) {
    __global const int *pl = xp + (c + t) * HW;
    int16 q = p0 + 16 <= n ? vload16 (0, pl + p0) :
        conv_int8_load16 (pl, p0, n);
    v |= q << (8 * t);
  }
  return v;
}

/* Channels [4k, 4k + 4) of 16 pixels, all in range (the hot loop). */
#define CONV_INT8_QUAD16_FULL(xq, HW) \
  (vload16 (0, (xq)) | (vload16 (0, (xq) + (HW)) << 8) \
      | (vload16 (0, (xq) + 2 * (HW)) << 16) \
      | (vload16 (0, (xq) + 3 * (HW)) << 24))

/* The store of a flat tile of 32 pixels (accumulator sets a/qa for pixels
 * ps..ps+15, c/qc for ps+16..ps+31; a tile shifted back to end at HW stores
 * only the pixels from p0 on; a plane under 32 pixels starts at 0, p0 = ps
 * = 0, and stores its HW pixels): the 1x1 and the flat 3x3 kernels. */
#define CONV_INT8_STORE_FLAT32 do { \
    int skip_ = p0 - ps; \
    CONV_INT8_STORE_AC (1, ps, min (skip_, 16), min (HW, 16), HW > 16, \
        ps + 16, max (skip_ - 16, 0), min (HW - 16, 16)); \
  } while (0)

/* The tile geometry and loop of both kernels; DOT (acc, v, wq) adds the
 * four byte products of v (u8) and the int wq (s8) to each lane of acc. */
#define CONV_INT8_1X1_BODY(DOT) \
  int mb = get_global_id (0); \
  int pb = get_global_id (1); \
  int m0 = mb * 8; \
  int p0 = pb * 32; \
  int Mp = (M + 7) / 8 * 8, C4 = (C + 3) / 4; \
  if (m0 >= M || p0 >= HW) \
    return; \
  int z = xzp[xzp_off]; \
  __global const int *xp = x + x_off; \
  __global const int *wp = w + mb * C4 * 8; \
  CONV_INT8_DECL8 (a); \
  CONV_INT8_DECL8 (c); \
  int16 qa = 0, qc = 0; \
  /* HW >= 32: 32 pixels from ps (a last block shifted back); else the \
   * pixels [0, HW) zero padded */ \
  int ps = HW >= 32 ? min (p0, HW - 32) : 0, n = HW; \
  int kf = HW >= 32 ? C / 4 : 0, k = 0; \
  __global const int *xq = xp + ps; \
  for (; k < kf; k++) { \
    int16 v0 = CONV_INT8_QUAD16_FULL (xq, HW); \
    int16 v1 = CONV_INT8_QUAD16_FULL (xq + 16, HW); \
    DOT (a0, v0, wp[0]); DOT (c0, v1, wp[0]); \
    DOT (a1, v0, wp[1]); DOT (c1, v1, wp[1]); \
    DOT (a2, v0, wp[2]); DOT (c2, v1, wp[2]); \
    DOT (a3, v0, wp[3]); DOT (c3, v1, wp[3]); \
    DOT (a4, v0, wp[4]); DOT (c4, v1, wp[4]); \
    DOT (a5, v0, wp[5]); DOT (c5, v1, wp[5]); \
    DOT (a6, v0, wp[6]); DOT (c6, v1, wp[6]); \
    DOT (a7, v0, wp[7]); DOT (c7, v1, wp[7]); \
    if (has_d) { \
      DOT (qa, v0, 0x01010101); DOT (qc, v1, 0x01010101); \
    } \
    xq += 4 * HW; \
    wp += 8; \
  } \
  for (; k < C4; k++) { \
    int16 v0 = conv_int8_quad16 (xp, k, C, HW, ps, n); \
    int16 v1 = conv_int8_quad16 (xp, k, C, HW, ps + 16, n); \
    DOT (a0, v0, wp[0]); DOT (c0, v1, wp[0]); \
    DOT (a1, v0, wp[1]); DOT (c1, v1, wp[1]); \
    DOT (a2, v0, wp[2]); DOT (c2, v1, wp[2]); \
    DOT (a3, v0, wp[3]); DOT (c3, v1, wp[3]); \
    DOT (a4, v0, wp[4]); DOT (c4, v1, wp[4]); \
    DOT (a5, v0, wp[5]); DOT (c5, v1, wp[5]); \
    DOT (a6, v0, wp[6]); DOT (c6, v1, wp[6]); \
    DOT (a7, v0, wp[7]); DOT (c7, v1, wp[7]); \
    DOT (qa, v0, 0x01010101); DOT (qc, v1, 0x01010101); \
    wp += 8; \
  } \
  CONV_INT8_STORE_FLAT32;

__kernel void
conv_int8_1x1 (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1_BODY (CONV_INT8_DOT_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
/* acc += per lane sum of the 4 products u8 (v) x s8 (wq): vpdpbusd (no
 * saturation; the four 16-bit products and their sum are exact). */
#define CONV_INT8_DOT_VNNI(acc, v, wq) do { \
    int16 w_ = (int16) (wq); \
    __asm__ ("vpdpbusd %2, %1, %0" : "+v" (acc) : "v" (v), "v" (w_)); \
  } while (0)

__kernel void
conv_int8_1x1_vnni (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1_BODY (CONV_INT8_DOT_VNNI)}
#endif

#ifdef CONV_INT8_HAS_DOT_KHR
__kernel CONV_INT8_DOT_ATTR void
conv_int8_1x1_dot (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1_BODY (CONV_INT8_DOT_KHR)}
#endif

/* conv_int8_1x1_pk: the same 1x1 sums, 32 pixels x every output channel
 * per work-item: its pixels' codes are packed into quads once (private,
 * contiguous), then every block of 8 output channels reads them from
 * there. On planes whose channel stride is a multiple of 4 KiB (160x160:
 * 100 KiB) the C rows of one pixel block fall into the same L1 sets, so
 * conv_int8_1x1's re-reads of them per channel block miss L1 (1.4-1.5x
 * the time of a 150x150 plane). HW >= 32, C <= 4 * CONV_INT8_PK_C4. */
#define CONV_INT8_PK_C4 32

#define CONV_INT8_1X1P_BODY(DOT) \
  int pb = get_global_id (1); \
  int p0 = pb * 32; \
  int Mp = (M + 7) / 8 * 8, C4 = (C + 3) / 4; \
  if (p0 >= HW || HW < 32 || C4 > CONV_INT8_PK_C4) \
    return; \
  int z = xzp[xzp_off]; \
  int ps = min (p0, HW - 32), skip = p0 - ps; \
  __global const int *xp = x + x_off; \
  int16 pk[2 * CONV_INT8_PK_C4]; \
  int16 qa = 0, qc = 0; \
  { \
    int k = 0; \
    __global const int *xq = xp + ps; \
    for (; k < C / 4; k++, xq += 4 * HW) { \
      pk[2 * k] = CONV_INT8_QUAD16_FULL (xq, HW); \
      pk[2 * k + 1] = CONV_INT8_QUAD16_FULL (xq + 16, HW); \
    } \
    for (; k < C4; k++) { \
      pk[2 * k] = conv_int8_quad16 (xp, k, C, HW, ps, HW); \
      pk[2 * k + 1] = conv_int8_quad16 (xp, k, C, HW, ps + 16, HW); \
    } \
    if (has_d) \
      for (k = 0; k < C4; k++) { \
        DOT (qa, pk[2 * k], 0x01010101); \
        DOT (qc, pk[2 * k + 1], 0x01010101); \
      } \
  } \
  for (int mb = 0; mb < Mp / 8; mb++) { \
    int m0 = mb * 8; \
    __global const int *wp = w + mb * C4 * 8; \
    CONV_INT8_DECL8 (a); \
    CONV_INT8_DECL8 (c); \
    for (int k = 0; k < C4; k++, wp += 8) { \
      int16 v0 = pk[2 * k], v1 = pk[2 * k + 1]; \
      DOT (a0, v0, wp[0]); DOT (c0, v1, wp[0]); \
      DOT (a1, v0, wp[1]); DOT (c1, v1, wp[1]); \
      DOT (a2, v0, wp[2]); DOT (c2, v1, wp[2]); \
      DOT (a3, v0, wp[3]); DOT (c3, v1, wp[3]); \
      DOT (a4, v0, wp[4]); DOT (c4, v1, wp[4]); \
      DOT (a5, v0, wp[5]); DOT (c5, v1, wp[5]); \
      DOT (a6, v0, wp[6]); DOT (c6, v1, wp[6]); \
      DOT (a7, v0, wp[7]); DOT (c7, v1, wp[7]); \
    } \
    CONV_INT8_STORE_AC (1, ps, min (skip, 16), 16, 1, ps + 16, \
        max (skip - 16, 0), 16); \
  }

__kernel void
conv_int8_1x1_pk (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1P_BODY (CONV_INT8_DOT_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
__kernel void
conv_int8_1x1_pk_vnni (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1P_BODY (CONV_INT8_DOT_VNNI)}
#endif

#ifdef CONV_INT8_HAS_DOT_KHR
__kernel CONV_INT8_DOT_ATTR void
conv_int8_1x1_pk_dot (CONV_INT8_ARGS CONV_QDQ_ARGS)
{
CONV_INT8_1X1P_BODY (CONV_INT8_DOT_KHR)}
#endif

/* 3x3, stride 1, pad 1, one group, C % 4 == 0, W >= 32: one output row x
 * 32 px x 8 output channels per work-item (dim 1 = row * ceil(W / 32) +
 * tile; a last tile shifted back to end at W stores only the new pixels).
 * Per quad of input channels and kernel row, the codes of the pixels xs - 1
 * .. xs + 32 are packed once (3 vectors, lanes shifted for the 3 taps);
 * padding (outside the image) is the code zx in every byte, so it adds
 * zx * W' like a real tap and the - zx * ws[m] correction stays over all
 * taps. w: [ceil(M/8)][C/4][9][8] quads. */
#define CONV_INT8_PACK(row, o, HW) \
  (vload16 (0, (row) + (o)) | (vload16 (0, (row) + (HW) + (o)) << 8) \
      | (vload16 (0, (row) + 2 * (HW) + (o)) << 16) \
      | (vload16 (0, (row) + 3 * (HW) + (o)) << 24))
/* (l, v.s0 .. v.se) and (v.s1 .. v.sf, r) */
#define CONV_INT8_SHR1(v, l) __builtin_shufflevector ((int16) (l), (v), 15, \
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)
#define CONV_INT8_SHL1(v, r) __builtin_shufflevector ((v), (int16) (r), 1, \
    2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
/* lanes 1..15 of a, then lane 14 of b */
#define CONV_INT8_TAP1C(a, b) __builtin_shufflevector ((a), (b), 1, 2, 3, 4, \
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 30)
/* lanes 1..15 of a, lane 0 of b */
#define CONV_INT8_TAP1A(a, b) __builtin_shufflevector ((a), (b), 1, 2, 3, 4, \
    5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)

/* The loop over input channel quads and kernel rows; DO_A (a constant):
 * also the first 16 pixels (accumulators a), else only the last 16 (c:
 * the last tile of a row whose first half the previous tile stored). */
#define CONV_INT8_3X3S1_LOOP(DOT, DO_A) \
  for (int k = 0; k < C4; k++) { \
    __global const int *xk = x + x_off + 4 * k * HW; \
    for (int ky = 0; ky < 3; ky++, wp += 24) { \
      int iy = oy + ky - 1; \
      /* pa: pixels xs-1 .. xs+14, pb: xs+15 .. xs+30, pc: xs+17 .. \
       * xs+32 */ \
      int16 pa, pb, pc; \
      if (iy < 0 || iy >= H) { \
        pa = pb = pc = (int16) (zq); \
      } else { \
        __global const int *row = xk + iy * W + xs; \
        if (DO_A) \
          pa = left ? CONV_INT8_SHR1 (CONV_INT8_PACK (row, 0, HW), zq) : \
              CONV_INT8_PACK (row, -1, HW); \
        pb = CONV_INT8_PACK (row, 15, HW); \
        pc = right ? CONV_INT8_SHL1 (CONV_INT8_PACK (row, 16, HW), zq) : \
            CONV_INT8_PACK (row, 17, HW); \
      } \
      /* kx = 0: pa, pb; kx = 1: pa shifted (+ pb.s0), pb shifted (+ \
       * pc.se); kx = 2: pa shifted twice, pc */ \
      int16 tc1 = CONV_INT8_TAP1C (pb, pc); \
      if (DO_A) { \
        int16 ta1 = CONV_INT8_TAP1A (pa, pb); \
        int16 ta2 = CONV_INT8_TAP1A (ta1, CONV_INT8_TAP1A (pb, pb)); \
        CONV_INT8_DOT8 (DOT, a, pa, wp); \
        CONV_INT8_DOT8 (DOT, c, pb, wp); \
        CONV_INT8_DOT8 (DOT, a, ta1, wp + 8); \
        CONV_INT8_DOT8 (DOT, c, tc1, wp + 8); \
        CONV_INT8_DOT8 (DOT, a, ta2, wp + 16); \
        CONV_INT8_DOT8 (DOT, c, pc, wp + 16); \
        if (has_d) { \
          DOT (qa, pa, ones); DOT (qc, pb, ones); \
          DOT (qa, ta1, ones); DOT (qc, tc1, ones); \
          DOT (qa, ta2, ones); DOT (qc, pc, ones); \
        } \
      } else { \
        CONV_INT8_DOT8 (DOT, c, pb, wp); \
        CONV_INT8_DOT8 (DOT, c, tc1, wp + 8); \
        CONV_INT8_DOT8 (DOT, c, pc, wp + 16); \
        if (has_d) { \
          DOT (qc, pb, ones); DOT (qc, tc1, ones); DOT (qc, pc, ones); \
        } \
      } \
    } \
  }

/* A last tile shifted back by 16 or more (W % 32 in (0, 16], as W = 80)
 * computes only its last 16 pixels: 5/6 of the products at 80x80. */
#define CONV_INT8_3X3S1_BODY(DOT) \
  int mb = get_global_id (0); \
  int it = get_global_id (1); \
  int nt = (W + 31) / 32; \
  int m0 = mb * 8; \
  int Mp = (M + 7) / 8 * 8, C4 = C / 4; \
  if (m0 >= M || it >= nt * H) \
    return; \
  int oy = it / nt, x0 = (it % nt) * 32; \
  int xs = min (x0, W - 32), skip = x0 - xs; \
  int z = xzp[xzp_off]; \
  int zq = as_int ((uint) z * 0x01010101u), ones = 0x01010101; \
  int left = xs == 0, right = xs + 32 == W; \
  __global const int *wp = w + mb * C4 * 9 * 8; \
  CONV_INT8_DECL8 (a); \
  CONV_INT8_DECL8 (c); \
  int16 qa = 0, qc = 0; \
  if (skip < 16) { \
    CONV_INT8_3X3S1_LOOP (DOT, 1); \
  } else { \
    CONV_INT8_3X3S1_LOOP (DOT, 0); \
  } \
  { \
    int o = oy * W + xs; \
    CONV_INT8_STORE_AC (skip < 16, o, skip, 16, 1, o + 16, \
        max (skip - 16, 0), 16); \
  }

#define CONV_INT8_ARGS_3X3 CONV_INT8_ARGS, int H, int W

__kernel void
conv_int8_3x3s1 (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3S1_BODY (CONV_INT8_DOT_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
/* As CONV_INT8_DOT_VNNI with the weight quad wq (an lvalue) taken by
 * vpdpbusd as a {1to16} memory broadcast operand instead of a register
 * broadcast per product: no vector register and no broadcast uop per
 * weight. Faster in the 3x3 stride-1 kernels (measured per node on
 * yolov8n / yolo11n / yolo26n-int8: rows 0.93-0.98, flat 0.87-0.94),
 * slower in the 1x1 ones (10.4 -> 11.3 ms on yolov8n), so only there. */
#define CONV_INT8_DOT_VNNI_M(acc, v, wq) do { \
    __asm__ ("vpdpbusd %2%{1to16%}, %1, %0" : "+v" (acc) : "v" (v), \
        "m" (wq)); \
  } while (0)

__kernel void
conv_int8_3x3s1_vnni (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3S1_BODY (CONV_INT8_DOT_VNNI_M)}
#endif

#ifdef CONV_INT8_HAS_DOT_KHR
__kernel CONV_INT8_DOT_ATTR void
conv_int8_3x3s1_dot (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3S1_BODY (CONV_INT8_DOT_KHR)}
#endif

/* 3x3, stride 1, pad 1, one group, C % 4 == 0, any plane (W < 32
 * included): over the flattened H*W plane, as conv_cpu.cl's
 * conv_3x3s1_flat_c8. Output pixel p = oy W + ox reads the input at p +
 * (ky - 1) W + kx - 1 for tap (ky, kx): along the flattened plane the taps
 * are fixed shifts, the padding code zx (every byte of zq) where column ox
 * + kx - 1 or row oy + ky - 1 falls outside. A work-item computes 32
 * consecutive pixels (across row ends, so rows of 20 or 10 pixels leave no
 * lanes idle) x 8 output channels; the last tile is shifted back to end at
 * H * W and stores only the new pixels; a plane of fewer than 32 pixels is
 * one tile that stores [0, H * W). Per quad of input channels and kernel
 * row the codes of pixels ps - 1 .. ps + 32 are packed once (3 vectors,
 * shifted for the 3 taps as in conv_int8_3x3s1); a quad whose vector
 * loads could leave the tensor (the first / last quads at the first /
 * last rows, every quad of a small plane) loads lane by lane within its
 * planes (lanes outside are padding or not stored). Same weights as
 * conv_int8_3x3s1: [ceil(M/8)][C/4][9][8] quads. */

/* Channels [c, c + 4) of plane offsets o .. o + 15 as packed codes, lanes
 * outside [0, HW) of each plane read as 0. */
static inline int16
conv_int8_pack_safe (__global const int *xc, int o, int HW)
{
  int16 v = 0;
  for (int t = 0; t < 4; t++) {
    int l[16];
    for (int i = 0; i < 16; i++)
      l[i] = o + i >= 0 && o + i < HW ? xc[t * HW + o + i] : 0;
    v |= vload16 (0, l) << (8 * t);
  }
  return v;
}

#if defined(__x86_64__) && defined(__AVX512F__)
/* Lanes of v selected by the 16-bit mask lanes (a mask register) set to
 * the padding code zq (a general register): one masked vpbroadcastd, so
 * neither the masks nor the padding take vector registers from the 16
 * accumulators. */
#define CONV_INT8_PAD_VNNI(v, lanes, i) \
  __asm__ ("vpbroadcastd %2, %0 %{%1%}" : "+v" (v) : "Yk" (lanes), "r" (zq))
#define CONV_INT8_PM_VNNI int zq = as_int ((uint) z * 0x01010101u)
#endif

#define CONV_INT8_IOTA16 \
  ((int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

/* The taps of one quad and kernel row from u0 (pixels o - 1 .. o + 14),
 * v0 (o + 15 .. o + 30), v2 (o + 17 .. o + 32): padding where the column
 * (la .. rc) or the row (rma, rmc: all ones away from the first and last
 * rows) falls outside; then the 48
 * dot products (weights wp) and the code sums. */
#define CONV_INT8_F3_TAPS(DOT, rma, rmc) do { \
    int16 u1 = CONV_INT8_TAP1A (u0, v0), v1 = CONV_INT8_TAP1C (v0, v2); \
    int16 u2 = CONV_INT8_TAP1A (u1, CONV_INT8_TAP1A (v0, v0)); \
    u0 = select (zv, u0, la & (rma)); \
    v0 = select (zv, v0, lc & (rmc)); \
    u1 = select (zv, u1, (rma)); \
    v1 = select (zv, v1, (rmc)); \
    u2 = select (zv, u2, ra & (rma)); \
    v2 = select (zv, v2, rc & (rmc)); \
    CONV_INT8_F3_DOTS (DOT); \
  } while (0)

/* The same without row masks, the column padding by PAD (v, lanes, i):
 * lanes (a 16-bit lane mask, bit i = lane i) of v set to the padding
 * code; i indexes the four masks (u0: lanes ox == 0 of the first 16
 * pixels, v0: of the second, u2 / v2: ox == W - 1). */
#define CONV_INT8_F3_TAPS_COLS(DOT, PAD) do { \
    /* ordered so that at most 4 taps are live next to the 16 \
     * accumulators and 8 weights */ \
    int16 u1 = CONV_INT8_TAP1A (u0, v0); \
    int16 u2 = CONV_INT8_TAP1A (u1, CONV_INT8_TAP1A (v0, v0)); \
    PAD (u0, pl0, 0); \
    CONV_INT8_DOT8 (DOT, a, u0, wp); \
    int16 v1 = CONV_INT8_TAP1C (v0, v2); \
    PAD (v0, pl1, 1); \
    CONV_INT8_DOT8 (DOT, c, v0, wp); \
    CONV_INT8_DOT8 (DOT, a, u1, wp + 8); \
    CONV_INT8_DOT8 (DOT, c, v1, wp + 8); \
    PAD (u2, pr0, 2); \
    PAD (v2, pr1, 3); \
    CONV_INT8_DOT8 (DOT, a, u2, wp + 16); \
    CONV_INT8_DOT8 (DOT, c, v2, wp + 16); \
    if (has_d) { \
      DOT (qa, u0, ones); DOT (qc, v0, ones); \
      DOT (qa, u1, ones); DOT (qc, v1, ones); \
      DOT (qa, u2, ones); DOT (qc, v2, ones); \
    } \
  } while (0)

/* Plain form: select with the lane masks as vectors (pm[i]). */
#define CONV_INT8_PAD_C(v, lanes, i) v = select (v, zv, pm[i])
#define CONV_INT8_PM_C int16 pm[4] = { ~la, ~lc, ~ra, ~rc }

#define CONV_INT8_F3_DOTS(DOT) do { \
    CONV_INT8_DOT8 (DOT, a, u0, wp); \
    CONV_INT8_DOT8 (DOT, c, v0, wp); \
    CONV_INT8_DOT8 (DOT, a, u1, wp + 8); \
    CONV_INT8_DOT8 (DOT, c, v1, wp + 8); \
    CONV_INT8_DOT8 (DOT, a, u2, wp + 16); \
    CONV_INT8_DOT8 (DOT, c, v2, wp + 16); \
    if (has_d) { \
      DOT (qa, u0, ones); DOT (qc, v0, ones); \
      DOT (qa, u1, ones); DOT (qc, v1, ones); \
      DOT (qa, u2, ones); DOT (qc, v2, ones); \
    } \
  } while (0)

/* Tiles away from the first and last row: vector loads and column masks
 * only (a loop of its own, so the 16 accumulators stay in registers);
 * the others also mask rows and gather the quads whose loads could leave
 * the tensor. */
#define CONV_INT8_3X3F_BODY(DOT, PAD, PMASKS) \
  int mb = get_global_id (0); \
  int pb = get_global_id (1); \
  int m0 = mb * 8, p0 = pb * 32; \
  int Mp = (M + 7) / 8 * 8, C4 = C / 4; \
  if (m0 >= M || p0 >= HW) \
    return; \
  int ps = HW >= 32 ? min (p0, HW - 32) : 0; \
  int z = xzp[xzp_off], ones = 0x01010101; \
  int16 zv = (int16) (as_int ((uint) z * 0x01010101u)); \
  int16 pa = (int16) (ps) + CONV_INT8_IOTA16, pc = pa + 16; \
  int16 oxa = pa % W, oxc = pc % W; \
  /* column masks (kx = 0: ox > 0, kx = 2: ox < W - 1) */ \
  int16 la = oxa > 0, lc = oxc > 0, ra = oxa < W - 1, rc = oxc < W - 1; \
  /* the padding lanes as bit masks (bit i: lane i) */ \
  ushort pl0 = 0, pl1 = 0, pr0 = 0, pr1 = 0; \
  for (int i_ = 0; i_ < 16; i_++) { \
    pl0 |= ((ps + i_) % W == 0) << i_; \
    pl1 |= ((ps + 16 + i_) % W == 0) << i_; \
    pr0 |= ((ps + i_) % W == W - 1) << i_; \
    pr1 |= ((ps + 16 + i_) % W == W - 1) << i_; \
  } \
  PMASKS; \
  __global const int *wp = w + mb * C4 * 9 * 8; \
  __global const int *xk = x + x_off + ps; \
  CONV_INT8_DECL8 (a); \
  CONV_INT8_DECL8 (c); \
  int16 qa = 0, qc = 0; \
  if (ps >= W && ps + 32 <= HW - W) { \
    for (int k = 0; k < C4; k++, xk += 4 * HW) { \
      for (int ky = 0; ky < 3; ky++, wp += 24) { \
        int o = (ky - 1) * W; \
        int16 u0 = CONV_INT8_PACK (xk, o - 1, HW); \
        int16 v0 = CONV_INT8_PACK (xk, o + 15, HW); \
        int16 v2 = CONV_INT8_PACK (xk, o + 17, HW); \
        CONV_INT8_F3_TAPS_COLS (DOT, PAD); \
      } \
    } \
  } else { \
    /* row masks (ky = 0: p >= W, ky = 2: p < HW - W) */ \
    int16 ta = pa >= W, tc = pc >= W, ba = pa < HW - W, bc = pc < HW - W; \
    int16 all = (int16) (-1); \
    xk -= ps; \
    for (int k = 0; k < C4; k++, xk += 4 * HW) { \
      /* the loads span [4k HW + ps - W - 1, (4k + 3) HW + ps + W + 33) */ \
      int safe = 4 * k * HW + ps - W - 1 < 0 \
          || (4 * k + 3) * HW + ps + W + 33 > C * HW; \
      for (int ky = 0; ky < 3; ky++, wp += 24) { \
        int o = ps + (ky - 1) * W; \
        int16 rma = ky == 0 ? ta : ky == 2 ? ba : all; \
        int16 rmc = ky == 0 ? tc : ky == 2 ? bc : all; \
        int16 u0, v0, v2; \
        if (safe) { \
          u0 = conv_int8_pack_safe (xk, o - 1, HW); \
          v0 = conv_int8_pack_safe (xk, o + 15, HW); \
          v2 = conv_int8_pack_safe (xk, o + 17, HW); \
        } else { \
          u0 = CONV_INT8_PACK (xk, o - 1, HW); \
          v0 = CONV_INT8_PACK (xk, o + 15, HW); \
          v2 = CONV_INT8_PACK (xk, o + 17, HW); \
        } \
        CONV_INT8_F3_TAPS (DOT, rma, rmc); \
      } \
    } \
  } \
  CONV_INT8_STORE_FLAT32;

__kernel void
conv_int8_3x3s1_flat (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3F_BODY (CONV_INT8_DOT_C, CONV_INT8_PAD_C, CONV_INT8_PM_C)}

#if defined(__x86_64__) && defined(__AVX512F__)
__kernel void
conv_int8_3x3s1_flat_vnni (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3F_BODY (CONV_INT8_DOT_VNNI_M, CONV_INT8_PAD_VNNI,
      CONV_INT8_PM_VNNI)}
#endif

#ifdef CONV_INT8_HAS_DOT_KHR
__kernel CONV_INT8_DOT_ATTR void
conv_int8_3x3s1_flat_dot (CONV_INT8_ARGS_3X3 CONV_QDQ_ARGS)
{
CONV_INT8_3X3F_BODY (CONV_INT8_DOT_KHR, CONV_INT8_PAD_C, CONV_INT8_PM_C)}
#endif
