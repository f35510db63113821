/* conv_cpu.cl - 2D convolution (ONNX Conv), fp32, NCHW, batch 1: the
 * variants for CPU compilers that want explicit wide vectors (PoCL; the
 * device reports a preferred float vector width >= 8). GPUs and other
 * devices use conv_gpu.cl. Built as its own program, only when a plan uses
 * one of its kernels.
 *
 * Every kernel writes out = act(conv + bias) [+ residual] and addresses its
 * tensors as (buffer, element offset) so inputs and outputs may be views.
 *
 * CPU (PoCL) does not vectorise across work-items, so the hot kernels are
 * written with explicit float16 vectors along W (or along H*W for 1x1) and
 * keep 8 output channels per work-item in registers:
 *
 *  conv_1x1_c8     1x1 stride 1 no pad: 32 px x 8 ch
 *  conv_1x1_pair_c8  two of them on one input in one launch
 *  conv_1x1_pair_up2_c8  the same, each started at its up2 (Z)
 *  conv_3x3s1_c8   3x3 stride 1 pad 1: 2 rows x 16 px x 8 ch
 *  conv_3x3s1_flat_c8  the same over the flattened H*W: 32 px x 8 ch
 *  conv_3x3s2_flat_c8  3x3 stride 2 over conv_s2d's phase planes, the same
 *  conv_gemm_t16   1x1 / after im2col, lanes over output channels:
 *                  16 ch x 16 px
 *  conv_3x3s2_c8   3x3 stride 2 pad 1: 2 rows x 16 px x 8 ch
 *  conv_3x3s2_t32  3x3 stride 2 pad 1, lanes over output channels:
 *                  32 ch x 8 px of a row, broadcast inputs
 *  conv_3x3s1_t32  the same at stride 1
 *  conv_3x3s2_stem, conv_6x6s2_stem  the first conv (at most 4 input
 *                  channels, 3x3 s2 pad 1 / 6x6 s2 pad 2): a whole output
 *                  row x 16 ch, 16 px at a time
 *  conv_kxk_c8     any kernel/stride/pad/dilation: 1 row x 16 px x 8 ch
 *  conv_dw         one input channel per group (depthwise): 1 row x 1 ch
 *  conv_dw3x3s1/s2 depthwise 3x3 pad 1: 4 rows x 16 px per work-item
 *  conv_dw7x7s1    depthwise 7x7 pad 3: 4 rows x 16 px per work-item
 *  conv_dwsep3x3s1 depthwise 3x3 pad 1 then 1x1, the depthwise tile in
 *                  local memory: 32 px x all channels per work-group
 *  conv_wino4_*    Winograd F(4x4, 3x3) for wide 3x3 stride 1 convs
 * (anything else: conv_generic of conv_gpu.cl)
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

/* Lanes p[start + step * i], zero where that index is outside [0, n)
 * (every read stays inside the row). The index is clamped with select:
 * Oclgrind 21.10 (the memory checker in Debian) miscomputes int16
 * clamp / min / max. */
static inline float16
conv_load16_masked (__global const ACT_T *p, int start, int step, int n)
{
  int16 idx = (int16) (start) + CONV_IOTA16 * step;
  int16 ok = (idx >= 0) & (idx < n);
  idx = select (idx, (int16) (0), idx < 0);
  idx = select (idx, (int16) (n - 1), idx >= n);
  float16 v = (float16) (LOAD_ACT (p, idx.s0), LOAD_ACT (p, idx.s1), LOAD_ACT (p, idx.s2), LOAD_ACT (p, idx.s3),
      LOAD_ACT (p, idx.s4), LOAD_ACT (p, idx.s5), LOAD_ACT (p, idx.s6), LOAD_ACT (p, idx.s7),
      LOAD_ACT (p, idx.s8), LOAD_ACT (p, idx.s9), LOAD_ACT (p, idx.sa), LOAD_ACT (p, idx.sb),
      LOAD_ACT (p, idx.sc), LOAD_ACT (p, idx.sd), LOAD_ACT (p, idx.se), LOAD_ACT (p, idx.sf));
  return select ((float16) (0.0f), v, ok);
}

/* Out of line helpers (noinline, here and below): paths the kernels take
 * only at row ends, on narrow rows or for rare activations. Each inlined
 * copy (up to 36 in one kernel) made the work-group function PoCL compiles
 * at a kernel's first launch larger, and the cold start is mostly that
 * compilation. Kept inline where moving them out cost run time (same-run
 * A/B, yolov8n-320 about 2% more CPU time per inference): the direct
 * kernels' masked loads (their index masks are computed once per channel
 * loop) and partial stores (conv_store16, CONV_STORE8). */
static __attribute__ ((noinline)) float16
conv_load16_masked_ool (__global const ACT_T *p, int start, int step, int n)
{
  return conv_load16_masked (p, start, step, n);
}

/* Activation of the epilogue; SiLU (the common case) inline. */
static inline float16
conv_act16 (float16 v, int act, float alpha, float beta)
{
  if (act == YOLO_ACT_SILU)
    return yolo_silu_fast16 (v);
  if (act == YOLO_ACT_NONE)
    return v;
  return yolo_act16_other (v, act, alpha, beta);
}

/* CONV_QDQ_ARGS, CONV_QFQ16, conv_qdq_lut16 and conv_qdq_act16 (the static
 * fake quantisations of a QDQ model's conv epilogue): common.cl, shared
 * with the integer convs. */
#ifdef CONV_QDQ
/* The table of conv_qdq_lut16 for the epilogue records qe (mask qmask
 * without bit 4): one work-item, 16 levels a = (qlo + k) * s at a time,
 * the float16 arithmetic of conv_qdq_act16 (and of the Sigmoid and Mul
 * kernels). */
__kernel void
conv_qdq_silu_table (__global float *qe, int qmask)
{
  float16 lane = (float16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
      15);
  for (int k = 0; k < 256; k += 16) {
    float16 a = fmin ((float16) qe[4] + (float) k + lane, (float16) qe[5]) *
        qe[0];
    float16 sg = (float16) 1.0f / ((float16) 1.0f + exp (-a));
    if (qmask & 2)
      sg = CONV_QFQ16 (sg, 1);
    a = a * sg;
    if (qmask & 4)
      a = CONV_QFQ16 (a, 2);
    vstore16 (a, 0, qe + 32 + k);
  }
}

/* The activation of the epilogue, or the QDQ one when qmask. */
#define CONV_ACT16(v, act, alpha, beta) (qmask ? \
    conv_qdq_act16 ((v), (act), qe, qmask) : conv_act16 ((v), (act), \
        (alpha), (beta)))
/* After the residual add. */
#define CONV_QDQ_RES16(v) ((qmask & 8) ? CONV_QFQ16 ((v), 3) : (v))
#define CONV_STORE16(...) conv_store16 (__VA_ARGS__, qe, qmask)
#define CONV_STORE16_ARGS , __global const float *qe, int qmask
#else
#define CONV_ACT16(v, act, alpha, beta) conv_act16 ((v), (act), (alpha), \
    (beta))
#define CONV_QDQ_RES16(v) (v)
#define CONV_STORE16(...) conv_store16 (__VA_ARGS__)
#define CONV_STORE16_ARGS
#endif

/* Stores lanes [l0, l1) of v (activation applied) at y[yo], adding the
 * residual r[ro] when has_res (then CONV_QDQ_RES16). */
static inline void
conv_store16 (float16 v, __global ACT_T *y, int yo, __global const ACT_T *r,
    int ro, int has_res, int l0, int l1 CONV_STORE16_ARGS)
{
  if (l0 >= l1)
    return;
  if (l0 == 0 && l1 == 16) {
    if (has_res)
      v = CONV_QDQ_RES16 (v + LOAD_ACT16 (r, ro));
    STORE_ACT16 (y, yo, v);
  } else {
    float t[16];
#ifdef CONV_QDQ
    if (has_res && (qmask & 8)) {
      vstore16 (v, 0, t);
      for (int i = l0; i < l1; i++)
        t[i] += LOAD_ACT (r, ro + i);
      v = CONV_QFQ16 (vload16 (0, t), 3);
      has_res = 0;
    }
#endif
    vstore16 (v, 0, t);
    for (int i = l0; i < l1; i++)
      STORE_ACT (y, yo + i, has_res ? t[i] + LOAD_ACT (r, ro + i) : t[i]);
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

#define CONV_PICK8(p, j) ((j) == 0 ? p##0 : (j) == 1 ? p##1 : \
    (j) == 2 ? p##2 : (j) == 3 ? p##3 : (j) == 4 ? p##4 : (j) == 5 ? p##5 : \
    (j) == 6 ? p##6 : p##7)

/* STORE_ACT16 of a full 16-lane segment. With float activations on
 * clang (PoCL) one unaligned 64-byte vector store: vstore16 became three
 * stores (16 + 16 + 32 bytes, two of them lane extracts) in PoCL 3.1. */
#if defined(__clang__) && !defined(YOLO_ACT_HALF)
typedef float conv_float16_u __attribute__ ((ext_vector_type (16),
        aligned (4)));
#define CONV_STORE_FULL16(p, i, v) \
  (*(__global conv_float16_u *) ((p) + (i)) = (v))
#else
#define CONV_STORE_FULL16(p, i, v) STORE_ACT16 (p, i, v)
#endif

/* Epilogue of channel j of a full 16-lane segment: bias, activation,
 * residual, store (one vector at a time keeps register pressure low). */
#define CONV_EPI1(v, j) do { \
    float16 t_ = CONV_ACT16 ((v) + b[m0 + (j)], act, alpha, beta); \
    if (has_res) \
      t_ = CONV_QDQ_RES16 (t_ + LOAD_ACT16 (r_, (j) * ostride)); \
    CONV_STORE_FULL16 (y_, (j) * ostride, t_); \
  } while (0)

/* Writes lanes [l0, l1) of the 8 channel segments of accumulator set p
 * at element offset `off` inside each output channel. b is padded to a
 * multiple of 8 channels. */
#define CONV_STORE8(p, off, l0, l1) do { \
    int o_ = (off), l0_ = (l0), l1_ = (l1); \
    if (l0_ == 0 && l1_ == 16 && m0 + 8 <= M) { \
      __global ACT_T *y_ = y + y_off + m0 * ostride + o_; \
      __global const ACT_T *r_ = r + r_off + m0 * ostride + o_; \
      CONV_EPI1 (p##0, 0); \
      CONV_EPI1 (p##1, 1); \
      CONV_EPI1 (p##2, 2); \
      CONV_EPI1 (p##3, 3); \
      CONV_EPI1 (p##4, 4); \
      CONV_EPI1 (p##5, 5); \
      CONV_EPI1 (p##6, 6); \
      CONV_EPI1 (p##7, 7); \
    } else { \
      for (int j_ = 0; j_ < 8 && m0 + j_ < M; j_++) { \
        int co_ = (m0 + j_) * ostride + o_; \
        float16 t_ = CONV_ACT16 (CONV_PICK8 (p, j_) + b[m0 + j_], act, \
            alpha, beta); \
        CONV_STORE16 (t_, y, y_off + co_, r, r_off + co_, has_res, l0_, \
            l1_); \
      } \
    } \
  } while (0)

/* CONV_EPILOGUE_ARGS: common.cl */

#ifdef CONV_QDQ
#define CONV_PLAIN_EPI (!qmask)
#else
#define CONV_PLAIN_EPI 1
#endif

/* CONV_STORE8 with the common case first: a full segment of 8 channels,
 * SiLU, no residual, no QDQ epilogue, as 8 straight bias + SiLU + store
 * sequences without the per-channel tests of act, has_res and qmask
 * (conv_1x1_c8, whose epilogue weighs most with 16-64 input channels). */
#define CONV_SILU_STORE1(v, j) \
  CONV_STORE_FULL16 (y_, (j) * ostride, yolo_silu_fast16 ((v) + b[m0 + (j)]))
#define CONV_1X1_STORE8(p, off, l0, l1) do { \
    if ((l0) == 0 && (l1) == 16 && m0 + 8 <= M && act == YOLO_ACT_SILU \
        && !has_res && CONV_PLAIN_EPI) { \
      __global ACT_T *y_ = y + y_off + m0 * ostride + (off); \
      CONV_SILU_STORE1 (p##0, 0); \
      CONV_SILU_STORE1 (p##1, 1); \
      CONV_SILU_STORE1 (p##2, 2); \
      CONV_SILU_STORE1 (p##3, 3); \
      CONV_SILU_STORE1 (p##4, 4); \
      CONV_SILU_STORE1 (p##5, 5); \
      CONV_SILU_STORE1 (p##6, 6); \
      CONV_SILU_STORE1 (p##7, 7); \
    } else { \
      CONV_STORE8 (p, off, l0, l1); \
    } \
  } while (0)

#ifdef CONV_QDQ
#define CONV_QDQ_FWD , qe, qmask
#else
#define CONV_QDQ_FWD
#endif

/* The element offsets inside one [H/2][W/2] plane of the nearest-2x
 * upsampling's sources at flattened output pixels s .. s + 15 of an
 * H x W plane (W even; pixels past HW take pixel HW - 1's):
 * up(z)[y][x] = z[y / 2][x / 2]. */
static inline int16
conv_up2_idx16 (int s, int W, int HW)
{
  int16 p = min ((int16) (s) + CONV_IOTA16, (int16) (HW - 1));
  /* the row p / W by a float division and one correction either way, not
   * 32 integer divisions (their latency was a third of a 128-channel
   * work-item's multiply-adds) */
  int16 y = convert_int16 (floor (convert_float16 (p) / (float) W));
  int16 x = p - y * W;
  y = select (y, y - 1, x < 0);
  x = select (x, x + W, x < 0);
  y = select (y, y + 1, x >= W);
  x = select (x, x - W, x >= W);
  return (y >> 1) * (W >> 1) + (x >> 1);
}

static inline float16
conv_gather16 (__global const ACT_T *z, int16 idx)
{
  return (float16) (LOAD_ACT (z, idx.s0), LOAD_ACT (z, idx.s1),
      LOAD_ACT (z, idx.s2), LOAD_ACT (z, idx.s3), LOAD_ACT (z, idx.s4),
      LOAD_ACT (z, idx.s5), LOAD_ACT (z, idx.s6), LOAD_ACT (z, idx.s7),
      LOAD_ACT (z, idx.s8), LOAD_ACT (z, idx.s9), LOAD_ACT (z, idx.sa),
      LOAD_ACT (z, idx.sb), LOAD_ACT (z, idx.sc), LOAD_ACT (z, idx.sd),
      LOAD_ACT (z, idx.se), LOAD_ACT (z, idx.sf));
}

/* Lanes (v.s0, v.s0, v.s1, v.s1, .., v.s7, v.s7) (odd 0) or (v.s0, v.s1,
 * v.s1, .., v.s7, v.s7, e) (odd 1): nearest-2x of a row segment that
 * starts at an even / odd output column. */
static inline float16
conv_up2_dup16 (float8 v, float e, int odd)
{
#if defined(__clang__)
  float16 ev = __builtin_shufflevector (v, v, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4,
      5, 5, 6, 6, 7, 7);
  float16 od = __builtin_shufflevector (v, (float8) (e), 0, 1, 1, 2, 2, 3,
      3, 4, 4, 5, 5, 6, 6, 7, 7, 8);
#else
  float16 ev = (float16) (v.s0, v.s0, v.s1, v.s1, v.s2, v.s2, v.s3, v.s3,
      v.s4, v.s4, v.s5, v.s5, v.s6, v.s6, v.s7, v.s7);
  float16 od = (float16) (v.s0, v.s1, v.s1, v.s2, v.s2, v.s3, v.s3, v.s4,
      v.s4, v.s5, v.s5, v.s6, v.s6, v.s7, v.s7, e);
#endif
  return odd ? od : ev;
}

/* Channel j's 16 lanes of up(z) from plane zj: a row segment (fast) as
 * 8 (9) loaded values duplicated, else gathered lane by lane. */
#define CONV_UP2_LANES(zj) (f_ ? conv_up2_dup16 (LOAD_ACT8 ((zj), zb_), \
        o_ ? LOAD_ACT ((zj), zb_ + 8) : 0.0f, o_) : conv_gather16 ((zj), i_))

/* p0..p7 (channels m0 ..) start at up(z) at pixels s .. s + 15 of the
 * H x W output plane (channels past M stay 0: their weights are zero and
 * nothing stores them). Where the 16 pixels lie in one row (W >= 16 and
 * the segment does not wrap) each channel takes one 8-value load and a
 * permute; else the lanes' sources are gathered. */
#define CONV_UP2_INIT8(p, s) do { \
    int s_ = (s), y_ = s_ / W, x_ = s_ - y_ * W; \
    int f_ = x_ + 16 <= W && s_ + 16 <= HW, o_ = x_ & 1; \
    int zb_ = (y_ >> 1) * (W >> 1) + (x_ >> 1); \
    int16 i_ = f_ ? (int16) (0) : conv_up2_idx16 (s_, W, HW); \
    int zs_ = HW / 4; \
    __global const ACT_T *z_ = z + z_off + m0 * zs_; \
    p##0 = CONV_UP2_LANES (z_); \
    if (m0 + 1 < M) p##1 = CONV_UP2_LANES (z_ + zs_); \
    if (m0 + 2 < M) p##2 = CONV_UP2_LANES (z_ + 2 * zs_); \
    if (m0 + 3 < M) p##3 = CONV_UP2_LANES (z_ + 3 * zs_); \
    if (m0 + 4 < M) p##4 = CONV_UP2_LANES (z_ + 4 * zs_); \
    if (m0 + 5 < M) p##5 = CONV_UP2_LANES (z_ + 5 * zs_); \
    if (m0 + 6 < M) p##6 = CONV_UP2_LANES (z_ + 6 * zs_); \
    if (m0 + 7 < M) p##7 = CONV_UP2_LANES (z_ + 7 * zs_); \
  } while (0)

/* 1x1, stride 1, no padding: out[m][p] = sum_c w[m][c] x[c][p] over the
 * flattened H*W. Work-item (mb, pb) computes 32 pixels x 8 output channels
 * (the body of conv_1x1_c8, conv_1x1_pair_c8 and conv_1x1_up2_c8). With
 * has_z (a constant in each caller, so the other form is compiled out)
 * the accumulators start at the nearest-2x upsampling of z (z_off, the
 * full plane W wide): ConvUpsampleAdd's pre-activation addend. */
static inline __attribute__ ((always_inline)) void
conv_1x1_c8_item (__global const ACT_T *x, int x_off,
    __global const float *w, CONV_EPILOGUE_ARGS, int M, int HW, int Cg,
    int Mg, int mb, int pb, const int has_z, __global const ACT_T *z,
    int z_off, int W CONV_QDQ_ARGS)
{
  int m0 = mb * 8;
  int p0 = pb * 32;
  if (m0 >= M || p0 >= HW)
    return;
  int ostride = HW;
  __global const ACT_T *xp = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wp = w + mb * Cg * 8;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (HW >= 32) {
    /* A last tile of at most 16 new pixels computes one vector ending at
     * HW, not 32 pixels shifted back (10x10: 112 pixels computed for 100,
     * not 128). */
    int one = HW - p0 <= 16;
    int ps = one ? HW - 16 : min (p0, HW - 32);
    __global const ACT_T *xq = xp + ps;
    if (has_z) {
      CONV_UP2_INIT8 (a, ps);
      if (!one)
        CONV_UP2_INIT8 (c, ps + 16);
    }
    if (one) {
      for (int k = 0; k < Cg; k++) {
        float16 v0 = LOAD_ACT16 (xq, 0);
        CONV_FMA8 (a, v0, wp);
        xq += HW;
        wp += 8;
      }
    } else {
      for (int k = 0; k < Cg; k++) {
        float16 v0 = LOAD_ACT16 (xq, 0);
        float16 v1 = LOAD_ACT16 (xq, 16);
        CONV_FMA8 (a, v0, wp);
        CONV_FMA8 (c, v1, wp);
        xq += HW;
        wp += 8;
      }
    }
    /* one epilogue in a loop over the two halves (not unrolled: two
     * inlined copies make PoCL's first-launch compile slower) */
    int skip = p0 - ps;
    _Pragma ("unroll 1")
    for (int h = 0; h < (one ? 1 : 2); h++) {
      float16 e0 = h ? c0 : a0, e1 = h ? c1 : a1, e2 = h ? c2 : a2,
          e3 = h ? c3 : a3, e4 = h ? c4 : a4, e5 = h ? c5 : a5,
          e6 = h ? c6 : a6, e7 = h ? c7 : a7;
      CONV_1X1_STORE8 (e, ps + 16 * h, h ? max (skip - 16, 0) : min (skip,
              16), 16);
    }
  } else {
    if (has_z) {
      CONV_UP2_INIT8 (a, 0);
      CONV_UP2_INIT8 (c, 16);
    }
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

__kernel void
conv_1x1_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int HW, int Cg, int Mg CONV_QDQ_ARGS)
{
  conv_1x1_c8_item (x, x_off, w, b, y, y_off, r, r_off, has_res, act, alpha,
      beta, M, HW, Cg, Mg, get_global_id (0), get_global_id (1), 0, x, 0, 0
      CONV_QDQ_FWD);
}

/* ConvUpsampleAdd (ops/conv.h, yolo-upsample-fuse.c): a 1x1 conv group 1
 * of x [Cg][H][W] whose sums start at the nearest-2x upsampling of z
 * [M][H/2][W/2] (H, W even), then bias, activation, residual as
 * conv_1x1_c8: y = act (W x + b + up (z)) [+ r]. Global size
 * (ceil (M / 8), ceil (H W / 32)). */
__kernel void
conv_1x1_up2_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Cg, __global const ACT_T *z,
    int z_off CONV_QDQ_ARGS)
{
  conv_1x1_c8_item (x, x_off, w, b, y, y_off, r, r_off, has_res, act, alpha,
      beta, M, H * W, Cg, M, get_global_id (0), get_global_id (1), 1, z,
      z_off, W CONV_QDQ_FWD);
}

/* Two 1x1 convs (group 1, no residual) of the same input in one launch
 * (ConvPair, ops/conv.h): output-channel blocks 0 .. nb1 - 1
 * (nb1 = ceil (M1 / 8)) compute y1 = act1 (W1 x + b1) [M1][HW], the
 * others y2 = act2 (W2 x + b2) [M2][HW]. Weights
 * [nb1 + ceil (M2 / 8)][Cg][8] (the two blocked repacks one after the
 * other), bias b1 zero padded to nb1 * 8 channels, then b2 (padded to a
 * multiple of 8). Each block runs
 * conv_1x1_c8's work-item, so both outputs equal conv_1x1_c8's. With
 * has_z (the up2 form) half k's sums start at up2 (zk) [Mk][H/2][W/2],
 * as conv_1x1_up2_c8's. */
static inline __attribute__ ((always_inline)) void
conv_1x1_pair_item (__global const ACT_T *x, int x_off,
    __global const float *w, __global const float *b,
    __global ACT_T *y1, int y1_off, __global ACT_T *y2, int y2_off,
    int act1, float alpha1, float beta1, int act2, float alpha2,
    float beta2, int M1, int M2, int HW, int Cg, const int has_z,
    __global const ACT_T *z1, int z1_off, __global const ACT_T *z2,
    int z2_off, int W CONV_QDQ_ARGS)
{
  int mb = get_global_id (0);
  int nb1 = (M1 + 7) / 8;
  int two = mb >= nb1;
  int M = two ? M2 : M1;
  __global ACT_T *y = two ? y2 : y1;
  int y_off = two ? y2_off : y1_off;
  conv_1x1_c8_item (x, x_off, two ? w + nb1 * Cg * 8 : w,
      two ? b + nb1 * 8 : b, y, y_off, y, y_off, 0, two ? act2 : act1,
      two ? alpha2 : alpha1, two ? beta2 : beta1, M, HW, Cg, M,
      two ? mb - nb1 : mb, get_global_id (1), has_z, two ? z2 : z1,
      two ? z2_off : z1_off, W CONV_QDQ_FWD);
}

__kernel void
conv_1x1_pair_c8 (__global const ACT_T *x, int x_off,
    __global const float *w, __global const float *b,
    __global ACT_T *y1, int y1_off, __global ACT_T *y2, int y2_off,
    int act1, float alpha1, float beta1, int act2, float alpha2,
    float beta2, int M1, int M2, int HW, int Cg CONV_QDQ_ARGS)
{
  conv_1x1_pair_item (x, x_off, w, b, y1, y1_off, y2, y2_off, act1, alpha1,
      beta1, act2, alpha2, beta2, M1, M2, HW, Cg, 0, x, 0, x, 0, 0
      CONV_QDQ_FWD);
}

/* ConvPair's up2 form (ops/conv.h, yolo-upsample-fuse.c): global size
 * (nb1 + ceil (M2 / 8), ceil (H W / 32)), H and W even. */
__kernel void
conv_1x1_pair_up2_c8 (__global const ACT_T *x, int x_off,
    __global const float *w, __global const float *b,
    __global ACT_T *y1, int y1_off, __global ACT_T *y2, int y2_off,
    int act1, float alpha1, float beta1, int act2, float alpha2,
    float beta2, int M1, int M2, int H, int W, int Cg,
    __global const ACT_T *z1, int z1_off, __global const ACT_T *z2,
    int z2_off CONV_QDQ_ARGS)
{
  conv_1x1_pair_item (x, x_off, w, b, y1, y1_off, y2, y2_off, act1, alpha1,
      beta1, act2, alpha2, beta2, M1, M2, H * W, Cg, 1, z1, z1_off, z2,
      z2_off, W CONV_QDQ_FWD);
}

/* Lane shifts by one with a new end lane: (l, v.s0 .. v.se) and
 * (v.s1 .. v.sf, r). clang (PoCL, most GPU compilers) emits one permute. */
#if defined(__clang__)
#define CONV_SHR1(v, l) __builtin_shufflevector ((float16) (l), (v), \
    0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30)
#define CONV_SHL1(v, r) __builtin_shufflevector ((v), (float16) (r), \
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
#else
#define CONV_SHR1(v, l) \
  ((float16) ((l), (v).s0123, (v).s4567, (v).s89ab, (v).scde))
#define CONV_SHL1(v, r) \
  ((float16) ((v).s1234, (v).s5678, (v).s9abc, (v).sdef, (r)))
#endif

/* Row loaders: set vl, vc, vr (taps kx = 0, 1, 2) from input row `row`. */

/* stride 1, pad 1, interior segment: [xs - 1, xs + 17) inside the row. */
#define CONV_ROW_S1_MID(row) do { \
    __global const ACT_T *q_ = (row) + xs; \
    vl = LOAD_ACT16 (q_, -1); \
    vc = LOAD_ACT16 (q_, 0); \
    vr = LOAD_ACT16 (q_, 1); \
  } while (0)

/* stride 1, pad 1, [xs, xs + 16) inside the row, a neighbour may not be. */
#define CONV_ROW_S1_EDGE(row) do { \
    __global const ACT_T *q_ = (row) + xs; \
    vc = LOAD_ACT16 (q_, 0); \
    float l_ = xs > 0 ? LOAD_ACT (q_, -1) : 0.0f; \
    float r_ = xs + 16 < W ? LOAD_ACT (q_, 16) : 0.0f; \
    vl = CONV_SHR1 (vc, l_); \
    vr = CONV_SHL1 (vc, r_); \
  } while (0)

#define CONV_ROW_S1_SLOW(row) do { \
    vl = conv_load16_masked ((row), xs - 1, 1, W); \
    vc = conv_load16_masked ((row), xs, 1, W); \
    vr = conv_load16_masked ((row), xs + 1, 1, W); \
  } while (0)

/* stride 2, pad 1: input columns 2 * (xs + i) - 1 + kx, with
 * [2 xs, 2 xs + 32) inside the row. */
#define CONV_ROW_S2_FAST(row) do { \
    __global const ACT_T *q_ = (row) + 2 * xs; \
    float16 u_ = LOAD_ACT16 (q_, 0); \
    float16 v_ = LOAD_ACT16 (q_, 16); \
    vc = (float16) (u_.even, v_.even); \
    vr = (float16) (u_.odd, v_.odd); \
    float l_ = xs > 0 ? LOAD_ACT (q_, -1) : 0.0f; \
    vl = CONV_SHR1 (vr, l_); \
  } while (0)

#define CONV_ROW_S2_SLOW(row) do { \
    vl = conv_load16_masked ((row), 2 * xs - 1, 2, W); \
    vc = conv_load16_masked ((row), 2 * xs, 2, W); \
    vr = conv_load16_masked ((row), 2 * xs + 1, 2, W); \
  } while (0)

/* Rows narrower than a segment (W < 16, stride 1, xs = 0) where the 16
 * floats from the row start lie inside the input tensor: one vector load,
 * the lanes past the row end (the next row's, or whatever follows)
 * replaced by the zero padding (mask mc: lane < W), then shifted. */
#define CONV_ROW_S1_OVER(row) do { \
    vc = select ((float16) (0.0f), LOAD_ACT16 ((row), 0), mc); \
    vl = CONV_SHR1 (vc, 0.0f); \
    vr = CONV_SHL1 (vc, 0.0f); \
  } while (0)

/* Stride 2 where [2 xs, 2 xs + 32) passes the row end but lies inside the
 * input tensor: the fast loader's vector loads, then the columns past the
 * row end zeroed (masks mc, mr: column 2 (xs + i) (+ 1) < W). */
#define CONV_ROW_S2_OVER(row) do { \
    __global const ACT_T *q_ = (row) + 2 * xs; \
    float16 u_ = LOAD_ACT16 (q_, 0); \
    float16 v_ = LOAD_ACT16 (q_, 16); \
    vc = select ((float16) (0.0f), (float16) (u_.even, v_.even), mc); \
    vr = select ((float16) (0.0f), (float16) (u_.odd, v_.odd), mr); \
    float l_ = xs > 0 ? LOAD_ACT (q_, -1) : 0.0f; \
    vl = CONV_SHR1 (vr, l_); \
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

/* The accumulators a0..a7, c0..c7 to / from acc[16] (the out-of-line
 * channel loops below take them by pointer). */
#define CONV_ACC16_OUT(acc) do { \
    (acc)[0] = a0; (acc)[1] = a1; (acc)[2] = a2; (acc)[3] = a3; \
    (acc)[4] = a4; (acc)[5] = a5; (acc)[6] = a6; (acc)[7] = a7; \
    (acc)[8] = c0; (acc)[9] = c1; (acc)[10] = c2; (acc)[11] = c3; \
    (acc)[12] = c4; (acc)[13] = c5; (acc)[14] = c6; (acc)[15] = c7; \
  } while (0)
#define CONV_ACC16_IN(acc) do { \
    a0 = (acc)[0]; a1 = (acc)[1]; a2 = (acc)[2]; a3 = (acc)[3]; \
    a4 = (acc)[4]; a5 = (acc)[5]; a6 = (acc)[6]; a7 = (acc)[7]; \
    c0 = (acc)[8]; c1 = (acc)[9]; c2 = (acc)[10]; c3 = (acc)[11]; \
    c4 = (acc)[12]; c5 = (acc)[13]; c6 = (acc)[14]; c7 = (acc)[15]; \
  } while (0)

/* The epilogue of the two output rows (a: row y0 at element offset o, c:
 * the next row, o + rs, when has_c): one CONV_STORE8 in a loop (not
 * unrolled; two inlined copies of the epilogue made PoCL's first-launch
 * compile slower). */
#define CONV_STORE8_ROWS2(o, rs, has_c, l0, l1) do { \
    _Pragma ("unroll 1") \
    for (int h_ = 0; h_ < ((has_c) ? 2 : 1); h_++) { \
      float16 e0 = h_ ? c0 : a0, e1 = h_ ? c1 : a1, e2 = h_ ? c2 : a2, \
          e3 = h_ ? c3 : a3, e4 = h_ ? c4 : a4, e5 = h_ ? c5 : a5, \
          e6 = h_ ? c6 : a6, e7 = h_ ? c7 : a7; \
      CONV_STORE8 (e, (o) + h_ * (rs), (l0), (l1)); \
    } \
  } while (0)

/* conv_3x3s1_c8's channel loop for rows narrower than a segment (W < 16,
 * xs = 0; only the small maps of the 320 models have them), out of line:
 * `over` when every row's 16-float load stays inside the tensor
 * (CONV_ROW_S1_OVER), else masked gathers. acc: a0..a7, c0..c7. */
static __attribute__ ((noinline)) void
conv_3x3s1_narrow (__global const ACT_T *xk, __global const float *wk,
    int H, int W, int Cg, int y0, int over, float16 *acc)
{
  int HW = H * W, xs = 0;
  int16 mc = CONV_IOTA16 < W;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  CONV_ACC16_IN (acc);
  for (int k = 0; k < Cg; k++) {
    if (over)
      CONV_3X3S1_CHANNEL (CONV_ROW_S1_OVER);
    else
      CONV_3X3S1_CHANNEL (CONV_ROW_S1_SLOW);
    xk += HW;
    wk += 72;
  }
  CONV_ACC16_OUT (acc);
}

/* 3x3, stride 1, dilation 1, pads 1 (output H x W): a work-item computes
 * 2 rows x 16 pixels x 8 output channels. */
__kernel void
conv_3x3s1_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Cg, int Mg CONV_QDQ_ARGS)
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
  int xs = W >= 16 ? min (x0, W - 16) : x0;
  int HW = H * W;
  __global const ACT_T *xk = x + x_off + (m0 / Mg) * Cg * HW + y0 * W;
  __global const float *wk = w + mb * Cg * 72;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (W >= 16) {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S1_CHANNEL (CONV_ROW_S1_EDGE);
      xk += HW;
      wk += 72;
    }
  } else {
    /* W < 16: over when every row's 16-float load stays inside the
     * tensor */
    int over = (m0 / Mg) * Cg * HW + (Cg - 1) * HW + min (y0 + 2, H - 1) * W
        + 16 <= (M / Mg) * Cg * HW;
    float16 acc[16];
    CONV_ACC16_OUT (acc);
    conv_3x3s1_narrow (xk, wk, H, W, Cg, y0, over, acc);
    CONV_ACC16_IN (acc);
  }
  int l0 = x0 - xs, l1 = min (16, W - xs);
  CONV_STORE8_ROWS2 (y0 * W + xs, W, y0 + 1 < H, l0, l1);
}

/* ---- 3x3 stride 1 pad 1 over the flattened output (conv-cpu-3x3s1-flat)
 *
 * Output pixel p = oy W + ox reads x[p + (ky - 1) W + kx - 1] at tap
 * (ky, kx): along the flattened H*W plane the taps are fixed shifts, zero
 * where column ox + kx - 1 or row oy + ky - 1 falls outside. A work-item
 * computes 32 consecutive pixels (across row ends) x 8 output channels, so
 * rows of 10, 13 or 20 pixels leave no lanes idle (conv_3x3s1_c8 puts 16
 * pixels of one row in a vector). H * W >= 32; the last tile is shifted to
 * end at H * W and stores only the lanes the previous one did not.
 *
 * Column masks (per half h of the 32 pixels): kx = 0 needs ox > 0, kx = 2
 * needs ox < W - 1. Tiles away from the first and last row take unmasked
 * rows; the others also mask rows (ky = 0: p >= W; ky = 2: p < HW - W),
 * and in the tensor's first / last channel, where a vector load could
 * leave the tensor, gather lane by lane (zero outside the plane, which
 * with the column mask is exactly the padding). */
/* One input channel where a vector load could leave the tensor (its
 * first / last channel, tiles at the first / last rows): the taps gathered
 * lane by lane (zero outside the plane; with the masks exactly the
 * padding), out of line. acc = the accumulators a0..a7, c0..c7; m = the
 * masks la, lc, ra, rc, ta, tc, ba, bc. */
static __attribute__ ((noinline)) void
conv_f3_gather_channel (__global const ACT_T *xp, int ps, int W, int HW,
    __global const float *wk, const int16 *m, float16 *acc)
{
  /* loops not unrolled: 18 inlined copies of the 16-lane gather made this
   * rarely run function most of the kernel's first-launch compile */
  _Pragma ("unroll 1")
  for (int ky = 0; ky < 3; ky++) {
    int16 all = (int16) (-1);
    int16 rma = ky == 0 ? m[4] : ky == 2 ? m[6] : all;
    int16 rmc = ky == 0 ? m[5] : ky == 2 ? m[7] : all;
    _Pragma ("unroll 1")
    for (int kx = 0; kx < 3; kx++) {
      int o = ps + (ky - 1) * W + kx - 1;
      int16 ma = kx == 0 ? m[0] & rma : kx == 2 ? m[2] & rma : rma;
      int16 mc = kx == 0 ? m[1] & rmc : kx == 2 ? m[3] & rmc : rmc;
      float16 u = select ((float16) (0.0f), conv_load16_masked (xp, o, 1,
              HW), ma);
      float16 v = select ((float16) (0.0f), conv_load16_masked (xp, o + 16,
              1, HW), mc);
      __global const float *wr = wk + 24 * ky + 8 * kx;
      for (int j = 0; j < 8; j++) {
        acc[j] = fma (u, (float16) (wr[j]), acc[j]);
        acc[8 + j] = fma (v, (float16) (wr[j]), acc[8 + j]);
      }
    }
  }
}

/* One input channel over the kernel rows ky (the loop not unrolled: the
 * unrolled copies made PoCL's first-launch compile slow). Rows are masked
 * too (ta .. bc; all true in tiles away from the first and last row: one
 * copy of the loop for every tile, as a second, unmasked one made the
 * first-launch compile slower); ONE: a last tile of <= 16 new pixels, one
 * vector (a) only. */
#define CONV_F3_KY_LOOP(ONE) do { \
    _Pragma ("unroll 1") \
    for (int ky = 0; ky < 3; ky++) { \
      int16 rma = ky == 0 ? ta : ky == 2 ? ba : all; \
      int16 rmc = ky == 0 ? tc : ky == 2 ? bc : all; \
      __global const float *wr = wk + 24 * ky; \
      __global const ACT_T *xr = xk + (ky - 1) * W; \
      float16 u, v; \
      u = select ((float16) (0.0f), LOAD_ACT16 (xr, -1), la & rma); \
      CONV_FMA8 (a, u, wr); \
      if (!(ONE)) { \
        v = select ((float16) (0.0f), LOAD_ACT16 (xr, 15), lc & rmc); \
        CONV_FMA8 (c, v, wr); \
      } \
      u = select ((float16) (0.0f), LOAD_ACT16 (xr, 0), rma); \
      CONV_FMA8 (a, u, wr + 8); \
      if (!(ONE)) { \
        v = select ((float16) (0.0f), LOAD_ACT16 (xr, 16), rmc); \
        CONV_FMA8 (c, v, wr + 8); \
      } \
      u = select ((float16) (0.0f), LOAD_ACT16 (xr, 1), ra & rma); \
      CONV_FMA8 (a, u, wr + 16); \
      if (!(ONE)) { \
        v = select ((float16) (0.0f), LOAD_ACT16 (xr, 17), rc & rmc); \
        CONV_FMA8 (c, v, wr + 16); \
      } \
    } \
  } while (0)

/* The epilogue of the 32 pixels: one CONV_STORE8 in a loop over the two
 * halves (not unrolled; two inlined copies of the epilogue made PoCL's
 * first-launch compile slower). */
#define CONV_F3_STORE(NH) do { \
    int skip_ = p0 - ps; \
    _Pragma ("unroll 1") \
    for (int h_ = 0; h_ < (NH); h_++) { \
      float16 e0 = h_ ? c0 : a0, e1 = h_ ? c1 : a1, e2 = h_ ? c2 : a2, \
          e3 = h_ ? c3 : a3, e4 = h_ ? c4 : a4, e5 = h_ ? c5 : a5, \
          e6 = h_ ? c6 : a6, e7 = h_ ? c7 : a7; \
      CONV_STORE8 (e, ps + 16 * h_, h_ ? max (skip_ - 16, 0) \
          : min (skip_, 16), 16); \
    } \
  } while (0)

__kernel void
conv_3x3s1_flat_c8 (__global const ACT_T *x, int x_off,
    __global const float *w, CONV_EPILOGUE_ARGS, int M, int H, int W, int Cg,
    int Mg CONV_QDQ_ARGS)
{
  int mb = get_global_id (0);
  int pb = get_global_id (1);
  int HW = H * W;
  int m0 = mb * 8;
  int p0 = pb * 32;
  if (m0 >= M || p0 >= HW || HW < 32)
    return;
  int ostride = HW;
  /* A last tile of at most 16 new pixels computes only the first half,
   * ending at HW (10x10: 112 pixels computed for 100, not 128); it always
   * touches the last row (edge). */
  int one = HW - p0 <= 16;
  int ps = one ? HW - 16 : min (p0, HW - 32);
  int16 pa = (int16) (ps) + CONV_IOTA16, pc = pa + 16;
  int16 oxa = pa % W, oxc = pc % W;
  int16 la = oxa > 0, lc = oxc > 0, ra = oxa < W - 1, rc = oxc < W - 1;
  int g0 = (m0 / Mg) * Cg, C = (M / Mg) * Cg;
  __global const ACT_T *xk = x + x_off + g0 * HW + ps;
  __global const float *wk = w + mb * Cg * 72;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  /* channels whose vector loads could leave the tensor: gathered (out of
   * line); tiles touching the first / last row: rows masked too */
  int16 ta = pa >= W, tc = pc >= W, ba = pa < HW - W, bc = pc < HW - W;
  int16 all = (int16) (-1);
  int gk0 = g0 == 0 && ps < W + 1 ? 0 : -1;
  int gk1 = g0 + Cg == C && ps + 33 + W > HW ? Cg - 1 : -1;
  for (int k = 0; k < Cg; k++) {
    if (k == gk0 || k == gk1) {
      int16 m[8] = { la, lc, ra, rc, ta, tc, ba, bc };
      float16 acc[16] = { a0, a1, a2, a3, a4, a5, a6, a7,
        c0, c1, c2, c3, c4, c5, c6, c7
      };
      conv_f3_gather_channel (xk - ps, ps, W, HW, wk, m, acc);
      a0 = acc[0]; a1 = acc[1]; a2 = acc[2]; a3 = acc[3];
      a4 = acc[4]; a5 = acc[5]; a6 = acc[6]; a7 = acc[7];
      c0 = acc[8]; c1 = acc[9]; c2 = acc[10]; c3 = acc[11];
      c4 = acc[12]; c5 = acc[13]; c6 = acc[14]; c7 = acc[15];
      xk += HW;
      wk += 72;
      continue;
    }
    if (one)
      CONV_F3_KY_LOOP (1);
    else
      CONV_F3_KY_LOOP (0);
    xk += HW;
    wk += 72;
  }
  CONV_F3_STORE (2 - one);
}

/* ---- 3x3 stride 2 pad 1 as four phase planes (conv-cpu-3x3s2-flat) ----
 *
 * conv_s2d splits each input channel into its four phases
 * P[a][b][i][j] = x[2 i + a][2 j + b] (zero past the image), each Ho x Wo
 * (scratch [C][4][Ho Wo]). Output pixel p = oy Wo + ox at tap (ky, kx)
 * then reads phase (a, b) = ((ky + 1) & 1, (kx + 1) & 1) at p + dy Wo + dx,
 * dy = -1 for ky = 0 (else 0), dx = -1 for kx = 0: fixed shifts along the
 * flattened Ho*Wo plane, as in conv_3x3s1_flat_c8 (32 pixels x 8 output
 * channels per work-item, across row ends). dx = -1 is masked where
 * ox = 0, dy = -1 where oy = 0; every read stays inside the scratch (a
 * negative shift reads the previous phase plane, masked). */
__kernel void
conv_s2d (__global const ACT_T *x, int x_off, __global float *s, int C,
    int H, int W, int Ho, int Wo)
{
  int c = get_global_id (0);
  int i = get_global_id (1);
  if (c >= C || i >= Ho)
    return;
  int HWo = Ho * Wo;
  __global const ACT_T *xc = x + x_off + c * H * W;
  __global float *sc = s + c * 4 * HWo + i * Wo;
  /* not unrolled: a smaller work-group function (first-launch compile) */
  _Pragma ("unroll 1")
  for (int a = 0; a < 2; a++) {
    int iy = 2 * i + a;
    __global float *p0 = sc + (2 * a) * HWo, *p1 = p0 + HWo;
    if (iy >= H) {
      for (int j = 0; j < Wo; j++)
        p0[j] = p1[j] = 0.0f;
      continue;
    }
    __global const ACT_T *row = xc + iy * W;
    int j = 0;
    for (; 2 * j + 32 <= W && j + 16 <= Wo; j += 16) {
      float16 u = LOAD_ACT16 (row, 2 * j), v = LOAD_ACT16 (row, 2 * j + 16);
      vstore16 ((float16) (u.even, v.even), 0, p0 + j);
      vstore16 ((float16) (u.odd, v.odd), 0, p1 + j);
    }
    for (; j < Wo; j++) {
      p0[j] = LOAD_ACT (row, 2 * j);
      p1[j] = 2 * j + 1 < W ? LOAD_ACT (row, 2 * j + 1) : 0.0f;
    }
  }
}

/* One input channel over the kernel rows ky (not unrolled, as
 * CONV_F3_KY_LOOP); row ky = 0 masked by ta, tc (all true away from the
 * first output row). Row ky reads phase row a = (ky + 1) & 1 shifted by dy = -Wo
 * for ky = 0; column kx phase b = (kx + 1) & 1, dx = -1 for kx = 0. */
#define CONV_S2F_KY_LOOP do { \
    _Pragma ("unroll 1") \
    for (int ky = 0; ky < 3; ky++) { \
      int16 rma = ky == 0 ? ta : all; \
      int16 rmc = ky == 0 ? tc : all; \
      __global const float *sr = sk + (ky == 1 ? 0 : 2 * HWo) \
          + (ky == 0 ? -Wo : 0); \
      __global const float *wr = wk + 24 * ky; \
      float16 u, v; \
      u = select ((float16) (0.0f), vload16 (0, sr + HWo - 1), la & rma); \
      v = select ((float16) (0.0f), vload16 (0, sr + HWo + 15), lc & rmc); \
      CONV_FMA8 (a, u, wr); \
      CONV_FMA8 (c, v, wr); \
      u = vload16 (0, sr); \
      v = vload16 (0, sr + 16); \
      u = select ((float16) (0.0f), u, rma); \
      v = select ((float16) (0.0f), v, rmc); \
      CONV_FMA8 (a, u, wr + 8); \
      CONV_FMA8 (c, v, wr + 8); \
      u = vload16 (0, sr + HWo); \
      v = vload16 (0, sr + HWo + 16); \
      u = select ((float16) (0.0f), u, rma); \
      v = select ((float16) (0.0f), v, rmc); \
      CONV_FMA8 (a, u, wr + 16); \
      CONV_FMA8 (c, v, wr + 16); \
    } \
  } while (0)

/* The conv over the phase planes s ([Cg][4][Ho Wo], group 1); weights as
 * conv_3x3s1_c8's. Ho * Wo >= 32. */
__kernel void
conv_3x3s2_flat_c8 (__global const float *s, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int Ho, int Wo, int Cg CONV_QDQ_ARGS)
{
  int mb = get_global_id (0);
  int pb = get_global_id (1);
  int HWo = Ho * Wo;
  int m0 = mb * 8;
  int p0 = pb * 32;
  if (m0 >= M || p0 >= HWo || HWo < 32)
    return;
  int ostride = HWo;
  int ps = min (p0, HWo - 32);
  int16 pa = (int16) (ps) + CONV_IOTA16, pc = pa + 16;
  int16 la = pa % Wo > 0, lc = pc % Wo > 0;
  int16 ta = pa >= Wo, tc = pc >= Wo, all = (int16) (-1);
  __global const float *sk = s + ps;
  __global const float *wk = w + mb * Cg * 72;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  for (int k = 0; k < Cg; k++) {
    CONV_S2F_KY_LOOP;
    sk += 4 * HWo;
    wk += 72;
  }
  CONV_F3_STORE (2);
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

/* conv_3x3s2_c8's channel loop where the fast loader's 32 floats pass the
 * row end (narrow rows, the last segment of an odd-width row), out of
 * line: `over` when every row's 32-float load stays inside the tensor
 * (CONV_ROW_S2_OVER), else masked gathers. acc: a0..a7, c0..c7. */
static __attribute__ ((noinline)) void
conv_3x3s2_narrow (__global const ACT_T *xk, __global const float *wk,
    int H, int W, int Cg, int y0, int xs, int over, float16 *acc)
{
  int HW = H * W;
  int16 mc = 2 * (xs + CONV_IOTA16) < W;
  int16 mr = 2 * (xs + CONV_IOTA16) + 1 < W;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  CONV_ACC16_IN (acc);
  for (int k = 0; k < Cg; k++) {
    if (over)
      CONV_3X3S2_CHANNEL (CONV_ROW_S2_OVER);
    else
      CONV_3X3S2_CHANNEL (CONV_ROW_S2_SLOW);
    xk += HW;
    wk += 72;
  }
  CONV_ACC16_OUT (acc);
}

/* 3x3, stride 2, dilation 1, pads 1: output Ho x Wo; a work-item computes
 * 2 rows x 16 pixels x 8 output channels. */
__kernel void
conv_3x3s2_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg
    CONV_QDQ_ARGS)
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
  __global const ACT_T *xk = x + x_off + (m0 / Mg) * Cg * HW + 2 * y0 * W;
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
    /* over: every row's 32-float load stays inside the tensor */
    int over = (m0 / Mg) * Cg * HW + (Cg - 1) * HW + min (2 * y0 + 3, H - 1)
        * W + 2 * xs + 32 <= (M / Mg) * Cg * HW;
    float16 acc[16];
    CONV_ACC16_OUT (acc);
    conv_3x3s2_narrow (xk, wk, H, W, Cg, y0, xs, over, acc);
    CONV_ACC16_IN (acc);
  }
  int l0 = x0 - xs, l1 = min (16, Wo - xs);
  CONV_STORE8_ROWS2 (y0 * Wo + xs, Wo, y0 + 1 < Ho, l0, l1);
}

/* 16 lanes of input row `row` at columns start + sw * i (zero outside).
 * Elements [lo, hi) relative to row are inside the tensor (lo <= 0,
 * hi >= W): a stride 1 or 2 segment that passes the row's ends but not the
 * tensor's takes vector loads too, the lanes outside the row zeroed. */
static inline float16
conv_load_row (__global const ACT_T *row, int start, int sw, int W, int lo,
    int hi)
{
  if (sw == 1 && start >= 0 && start + 16 <= W)
    return LOAD_ACT16 (row, start);
  if (sw == 2 && start >= 0 && start + 32 <= W) {
    float16 u = LOAD_ACT16 (row, start);
    float16 v = LOAD_ACT16 (row, start + 16);
    return (float16) (u.even, v.even);
  }
  if ((sw == 1 || sw == 2) && start >= lo && start + 16 * sw <= hi) {
    int16 col = (int16) (start) + CONV_IOTA16 * sw;
    int16 in = (col >= 0) & (col < W);
    float16 v;
    if (sw == 1) {
      v = LOAD_ACT16 (row, start);
    } else {
      float16 u = LOAD_ACT16 (row, start);
      float16 u2 = LOAD_ACT16 (row, start + 16);
      v = (float16) (u.even, u2.even);
    }
    return select ((float16) (0.0f), v, in);
  }
  return conv_load16_masked (row, start, sw, W);
}

/* Any kernel size, stride, padding, dilation: 1 row x 16 px x 8 ch. */
__kernel void
conv_kxk_c8 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw
    CONV_QDQ_ARGS)
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
  /* the input tensor: n_x elements from x0p */
  __global const ACT_T *x0p = x + x_off;
  int n_x = (M / Mg) * Cg * HW;
  __global const ACT_T *xk = x + x_off + (m0 / Mg) * Cg * HW;
  __global const float *wk = w + mb * Cg * kk * 8;
  CONV_DECL8 (a);
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < kh; ky++) {
      int iy = oy * sh - ph + ky * dh;
      if (iy < 0 || iy >= H)
        continue;
      __global const ACT_T *row = xk + iy * W;
      __global const float *wr = wk + ky * kw * 8;
      int lo = -(int) (row - x0p), hi = n_x + lo;
      for (int kx = 0; kx < kw; kx++) {
        float16 v = conv_load_row (row, xs * sw - pw + kx * dw, sw, W, lo,
            hi);
        CONV_FMA8 (a, v, wr + kx * 8);
      }
    }
    xk += HW;
    wk += kk * 8;
  }
  CONV_STORE8 (a, oy * Wo + xs, x0 - xs, min (16, Wo - xs));
}

/* Depthwise 3x3 pad 1, stride S = 1 or 2 (conv_dw3x3s1, conv_dw3x3s2): a
 * work-item computes CONV_DW3_R output rows oy0 .. oy0 + R - 1 of one
 * channel, 16 pixels at a time. Each of the S (R - 1) + 3 input rows of a
 * segment (row S oy0 - 1 + t) is loaded once into the three taps vl, vc,
 * vr and fed to the output rows it touches (kernel row t - S q of output
 * row oy0 + q). Global size: (M, ceil(Ho / CONV_DW3_R)). */
#define CONV_DW3_R 8

/* acc[q] += the taps of kernel row ky of weights wv (vl, vc, vr). */
#define CONV_DW3_ACC(q, ky) do { \
    float16 s_ = acc[q]; \
    s_ = fma (vl, (float16) (wv[3 * (ky)]), s_); \
    s_ = fma (vc, (float16) (wv[3 * (ky) + 1]), s_); \
    s_ = fma (vr, (float16) (wv[3 * (ky) + 2]), s_); \
    acc[q] = s_; \
  } while (0)

/* The out of line tiles' (SLOW's) own weights wv and accumulators acc,
 * copied to out at the end. */
#define CONV_DW3_SLOW_PROLOGUE \
  float wv[9]; \
  for (int i_ = 0; i_ < 9; i_++) \
    wv[i_] = wk[i_]; \
  float16 acc[CONV_DW3_R]; \
  for (int q_ = 0; q_ < CONV_DW3_R; q_++) \
    acc[q_] = 0.0f
#define CONV_DW3_SLOW_EPILOGUE do { \
    for (int q_ = 0; q_ < CONV_DW3_R; q_++) \
      out[q_] = acc[q_]; \
  } while (0)

/* Input row t of a tile at stride S into the output rows it touches
 * (compile-time after unrolling). */
#define CONV_DW3_ROWS(t, S) do { \
    _Pragma ("unroll") \
    for (int q_ = 0; q_ < CONV_DW3_R; q_++) \
      if ((t) - (S) * q_ >= 0 && (t) - (S) * q_ < 3) \
        CONV_DW3_ACC (q_, (t) - (S) * q_); \
  } while (0)

/* The input rows of a tile at stride S, their taps made by LOAD (p) from
 * p, the row's pixel S xs: the fast path, every row unrolled. */
#define CONV_DW3_TILE(S, LOAD) do { \
    _Pragma ("unroll") \
    for (int t = 0; t < (S) * (CONV_DW3_R - 1) + 3; t++) { \
      int iy = (S) * oy0 - 1 + t; \
      if (iy >= 0 && iy < H) { \
        __global const ACT_T *p_ = xk + iy * W + (S) * xs; \
        float16 vl, vc, vr; \
        LOAD (p_); \
        CONV_DW3_ROWS (t, S); \
      } \
    } \
  } while (0)

/* The kernel: the tile at segment xs from CONV_DW3_TILE (S, LOAD) where
 * FAST holds, else from the out of line function SLOW (xk, c_off, n_x,
 * oy0, xs, H, W, wk, out) (the channel's 9 weights wk, the R rows' sums
 * into out); weights, bias, epilogue and store shared. The fast path's
 * accumulators and weights never have their address taken (SLOW gets its
 * own), so they stay in registers: passing them to SLOW put them on the
 * stack and every FMA group went through memory. The last segment of a
 * row (xs = Wo - 16 < x0) stores all 16 lanes without a residual: the
 * lanes before x0 are the previous segment's, the same values from the
 * same taps in the same order, so one vector store replaces the lane by
 * lane tail (with a residual, y may be r). */
#define CONV_DW3_KERNEL(name, S, FAST, LOAD, SLOW) \
static inline __attribute__ ((always_inline)) void \
name##_item (__global const ACT_T *x, int x_off, __global const float *w, \
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Mg, \
    int m, int oy0 CONV_QDQ_ARGS) \
{ \
  if (m >= M || oy0 >= Ho) \
    return; \
  int c_off = (m / Mg) * H * W; \
  int n_x = (M / Mg) * H * W; \
  __global const ACT_T *xk = x + x_off + c_off; \
  __global const float *wk = w + m * 9; \
  float wv[9]; \
  for (int i = 0; i < 9; i++) \
    wv[i] = wk[i]; \
  float bias = b[m]; \
  for (int x0 = 0; x0 < Wo; x0 += 16) { \
    int xs = Wo >= 16 ? min (x0, Wo - 16) : x0; \
    float16 acc[CONV_DW3_R]; \
    _Pragma ("unroll") \
    for (int q = 0; q < CONV_DW3_R; q++) \
      acc[q] = 0.0f; \
    if (FAST) { \
      CONV_DW3_TILE (S, LOAD); \
    } else { \
      float16 sacc_[CONV_DW3_R]; \
      SLOW (xk, c_off, n_x, oy0, xs, H, W, wk, sacc_); \
      _Pragma ("unroll") \
      for (int q = 0; q < CONV_DW3_R; q++) \
        acc[q] = sacc_[q]; \
    } \
    _Pragma ("unroll") \
    for (int q = 0; q < CONV_DW3_R; q++) { \
      int oy = oy0 + q; \
      if (oy < Ho) { \
        int yo = m * Ho * Wo + oy * Wo; \
        float16 o = CONV_ACT16 (acc[q] + bias, act, alpha, beta); \
        CONV_STORE16 (o, y, y_off + yo + xs, r, r_off + yo + xs, has_res, \
            has_res ? x0 - xs : 0, min (16, Wo - xs)); \
      } \
    } \
  } \
} \
__kernel void \
name (__global const ACT_T *x, int x_off, __global const float *w, \
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Mg \
    CONV_QDQ_ARGS) \
{ \
  name##_item (x, x_off, w, b, y, y_off, r, r_off, has_res, act, alpha, \
      beta, M, H, W, Ho, Wo, Mg, get_global_id (0), \
      get_global_id (1) * CONV_DW3_R CONV_QDQ_FWD); \
}

/* Stride 1: the row's 16 pixels from xs and its two neighbour columns,
 * shifted into the three taps. */
#define CONV_DW3S1_LOAD(p) do { \
    vc = LOAD_ACT16 (p, 0); \
    float l_ = xs > 0 ? LOAD_ACT (p, -1) : 0.0f; \
    float r_ = xs + 16 < W ? LOAD_ACT (p, 16) : 0.0f; \
    vl = CONV_SHR1 (vc, l_); \
    vr = CONV_SHL1 (vc, r_); \
  } while (0)

/* The tile of a row narrower than 16 (W = Wo < 16, one segment: xs = 0),
 * out of line: where the 16 floats from the row start lie inside the
 * input tensor (n_x elements from the row's channel start xk - c_off) one
 * vector load with the lanes past the row end zeroed, else gathered lane
 * by lane. */
static __attribute__ ((noinline)) void
conv_dw3s1_tile_narrow (__global const ACT_T *xk, int c_off, int n_x,
    int oy0, int xs, int H, int W, __global const float *wk, float16 *out)
{
  CONV_DW3_SLOW_PROLOGUE;
  int16 mc = CONV_IOTA16 < W;
  for (int t = 0; t < CONV_DW3_R + 2; t++) {
    int iy = oy0 - 1 + t;
    if (iy < 0 || iy >= H)
      continue;
    __global const ACT_T *row = xk + iy * W;
    float16 vl, vc, vr;
    if (c_off + iy * W + 16 <= n_x)
      vc = select ((float16) (0.0f), LOAD_ACT16 (row, 0), mc);
    else
      vc = conv_load16_masked (row, 0, 1, W);
    vl = CONV_SHR1 (vc, 0.0f);
    vr = CONV_SHL1 (vc, 0.0f);
    CONV_DW3_ROWS (t, 1);
  }
  CONV_DW3_SLOW_EPILOGUE;
}

CONV_DW3_KERNEL (conv_dw3x3s1, 1, W >= 16, CONV_DW3S1_LOAD,
    conv_dw3s1_tile_narrow)

/* ConvMulti (ops/conv.h, backend-opencl/conv-cpu.c): K independent convs
 * of one kind in one launch. jobs[K][CONV_MULTI_JOB] ints per conv:
 *   0 its first global id, 1 the ids per output channel block (1x1:
 *   ceil (HW / 32) pixel tiles; depthwise: ceil (H / CONV_DW3_R) row
 *   blocks), 2 x's element offset, 3 the weights' (float) offset in w,
 *   4 the bias' offset in b, 5 y's element offset, 6 the activation,
 *   7 and 8 its alpha and beta (float bits), 9 M, 10 HW (1x1) or H
 *   (depthwise), 11 C (1x1) or W (depthwise).
 * Global size: the last conv's first id plus its ids; each id runs the
 * single conv's work-item, so every output equals that kernel's. x and y
 * are the activation arena. */
#define CONV_MULTI_JOB 12

static inline __global const int *
conv_multi_job (__global const int *jobs, int njobs, int t)
{
  int j = 0;
  while (j + 1 < njobs && t >= jobs[(j + 1) * CONV_MULTI_JOB])
    j++;
  return jobs + j * CONV_MULTI_JOB;
}

/* 1x1 convs (group 1): conv_1x1_c8's work-item (output channel block
 * id / ids-per-block, pixel tile id % ids-per-block); weights each conv's
 * blocked repack, bias padded to a multiple of 16 channels. */
__kernel void
conv_1x1_multi_c8 (__global const ACT_T *x, __global const float *w,
    __global const float *b, __global ACT_T *y, __global const int *jobs,
    int njobs CONV_QDQ_ARGS)
{
  int t = get_global_id (0);
  __global const int *jb = conv_multi_job (jobs, njobs, t);
  int i = t - jb[0], per = jb[1];
  conv_1x1_c8_item (x, jb[2], w + jb[3], b + jb[4], y, jb[5], y, jb[5], 0,
      jb[6], as_float (jb[7]), as_float (jb[8]), jb[9], jb[10], jb[11],
      jb[9], i / per, i % per, 0, x, 0, 0 CONV_QDQ_FWD);
}

/* Depthwise 3x3 stride 1 pads 1 convs: conv_dw3x3s1's work-item (channel
 * id / ids-per-channel, row block id % ids-per-channel); weights
 * [M][1][3][3] as in the file. */
__kernel void
conv_dw3x3s1_multi (__global const ACT_T *x, __global const float *w,
    __global const float *b, __global ACT_T *y, __global const int *jobs,
    int njobs CONV_QDQ_ARGS)
{
  int t = get_global_id (0);
  __global const int *jb = conv_multi_job (jobs, njobs, t);
  int i = t - jb[0], per = jb[1], H = jb[10], W = jb[11];
  conv_dw3x3s1_item (x, jb[2], w + jb[3], b + jb[4], y, jb[5], y, jb[5], 0,
      jb[6], as_float (jb[7]), as_float (jb[8]), jb[9], H, W, H, W, 1,
      i / per, (i % per) * CONV_DW3_R CONV_QDQ_FWD);
}

/* Stride 2: 32 pixels from 2 xs split into the even (vc) and odd (vr)
 * columns; vl is vr shifted right by one, the column before 2 xs first. */
#define CONV_DW3S2_LOAD(p) do { \
    float16 u_ = LOAD_ACT16 (p, 0); \
    float16 v_ = LOAD_ACT16 (p, 16); \
    vc = (float16) (u_.even, v_.even); \
    vr = (float16) (u_.odd, v_.odd); \
    float l_ = xs > 0 ? LOAD_ACT (p, -1) : 0.0f; \
    vl = CONV_SHR1 (vr, l_); \
  } while (0)

/* The tile at segment xs where [2 xs, 2 xs + 32) passes the row end
 * (Wo < 16, or odd W), out of line: conv_load_row (vector loads while
 * inside the input tensor of n_x elements from the row's channel start
 * xk - c_off, else gathered). */
static __attribute__ ((noinline)) void
conv_dw3s2_tile_slow (__global const ACT_T *xk, int c_off, int n_x,
    int oy0, int xs, int H, int W, __global const float *wk, float16 *out)
{
  CONV_DW3_SLOW_PROLOGUE;
  int16 mc = 2 * (xs + CONV_IOTA16) < W;
  int16 mr = 2 * (xs + CONV_IOTA16) + 1 < W;
  for (int t = 0; t < 2 * CONV_DW3_R + 1; t++) {
    int iy = 2 * oy0 - 1 + t;
    if (iy < 0 || iy >= H)
      continue;
    __global const ACT_T *row = xk + iy * W;
    int lo = -(c_off + iy * W), hi = n_x + lo;
    float16 vl, vc, vr;
    if (2 * xs + 32 <= hi) {
      /* the fast loader's vector loads, the columns past the row end
       * zeroed */
      __global const ACT_T *q_ = row + 2 * xs;
      float16 u_ = LOAD_ACT16 (q_, 0);
      float16 v_ = LOAD_ACT16 (q_, 16);
      vc = select ((float16) (0.0f), (float16) (u_.even, v_.even), mc);
      vr = select ((float16) (0.0f), (float16) (u_.odd, v_.odd), mr);
      vl = CONV_SHR1 (vr, xs > 0 ? LOAD_ACT (q_, -1) : 0.0f);
    } else {
      vl = conv_load_row (row, 2 * xs - 1, 2, W, lo, hi);
      vc = conv_load_row (row, 2 * xs, 2, W, lo, hi);
      vr = conv_load_row (row, 2 * xs + 1, 2, W, lo, hi);
    }
    CONV_DW3_ROWS (t, 2);
  }
  CONV_DW3_SLOW_EPILOGUE;
}

CONV_DW3_KERNEL (conv_dw3x3s2, 2, Wo >= 16 && 2 * xs + 32 <= W,
    CONV_DW3S2_LOAD, conv_dw3s2_tile_slow)

/* ---- DepthwiseSeparableConv: depthwise 3x3 stride 1 pad 1, then 1x1
 * group 1 (conv-cpu-dwsep3x3s1) ----
 * A work-group computes 32 pixels of the flattened output (from p0 = 32
 * x its index in dimension 1) for every output channel, the depthwise
 * result never leaving local memory: its L work-items (dimension 0) first
 * make the depthwise tile t[Cd][32] (its activation applied, stored as
 * ACT_T), channels lid, lid + L, ..., then, after the barrier, work-item
 * j the 8 output channels of blocks j, j + L, ... from t, as conv_1x1_c8
 * does from memory (32 px x 8 ch in registers). The depthwise values are
 * conv_dw3x3s1's: per pixel the same FMAs in the same order (kernel rows,
 * then columns; a tap outside the input is a zero, which leaves a sum
 * that is never -0 unchanged, where conv_dw3x3s1 skips its row), the
 * same activation; the 1x1 sums are conv_1x1_c8's. So the output is bit
 * for bit that of the two launches. Weights: depthwise wd [Cd][9] (bias
 * bd [Cd]), pointwise blocked [M/8][Cd][8]; channel c of the depthwise
 * conv reads input channel c / Mg. Global size (L, ceil(H W / 32)), local
 * size (L, 1); the host takes L = 1 (one work-item a tile: with L =
 * ceil(M / 8) the kernel took more CPU time on PoCL, which runs a
 * group's items one after the other anyway). */

/* One depthwise channel at the 32 pixels from p0: a (p0 ..) and e
 * (p0 + 16 ..) accumulate kernel rows ky = 0, 1, 2, each the taps of
 * columns 0, 1, 2 (the neighbours: the centre vectors shifted by one
 * pixel, zero where the column mask ml / mr of the lane says the pixel
 * has none). LOADV (s) loads 16 lanes from plane element s, LOADS (s) one
 * (both zero outside the plane: an input row above or below it). */
#define CONV_DWS_CHANNEL(LOADV, LOADS) do { \
    _Pragma ("unroll") \
    for (int ky = 0; ky < 3; ky++) { \
      int s_ = p0 + (ky - 1) * W; \
      float16 va_ = LOADV (s_), ve_ = LOADV (s_ + 16); \
      float16 la_ = select ((float16) (0.0f), CONV_SHR1 (va_, LOADS (s_ - 1)), \
          ml_a); \
      float16 ra_ = select ((float16) (0.0f), CONV_SHL1 (va_, ve_.s0), mr_a); \
      float16 le_ = select ((float16) (0.0f), CONV_SHR1 (ve_, va_.sf), ml_e); \
      float16 re_ = select ((float16) (0.0f), CONV_SHL1 (ve_, \
              LOADS (s_ + 32)), mr_e); \
      a = fma (la_, (float16) (wk[3 * ky]), a); \
      a = fma (va_, (float16) (wk[3 * ky + 1]), a); \
      a = fma (ra_, (float16) (wk[3 * ky + 2]), a); \
      e = fma (le_, (float16) (wk[3 * ky]), e); \
      e = fma (ve_, (float16) (wk[3 * ky + 1]), e); \
      e = fma (re_, (float16) (wk[3 * ky + 2]), e); \
    } \
  } while (0)

#define CONV_DWS_LOADV_FAST(s) LOAD_ACT16 (xk, (s))
#define CONV_DWS_LOADS_FAST(s) LOAD_ACT (xk, (s))
#define CONV_DWS_LOADV_SLOW(s) ((s) >= 0 && (s) + 16 <= HW ? \
    LOAD_ACT16 (xk, (s)) : conv_load16_masked (xk, (s), 1, HW))
#define CONV_DWS_LOADS_SLOW(s) ((s) >= 0 && (s) < HW ? LOAD_ACT (xk, (s)) \
    : 0.0f)

/* The tiles whose rows above or below leave the plane (the first and
 * last rows), out of line; out[0] = a, out[1] = e. */
static __attribute__ ((noinline)) void
conv_dws_channel_slow (__global const ACT_T *xk, __global const float *wk,
    int p0, int W, int HW, int16 ml_a, int16 mr_a, int16 ml_e, int16 mr_e,
    float16 *out)
{
  float16 a = 0.0f, e = 0.0f;
  CONV_DWS_CHANNEL (CONV_DWS_LOADV_SLOW, CONV_DWS_LOADS_SLOW);
  out[0] = a;
  out[1] = e;
}

__kernel void
conv_dwsep3x3s1 (__global const ACT_T *x, int x_off,
    __global const float *wd, __global const float *bd, int dact,
    float dalpha, float dbeta, __global const float *w, CONV_EPILOGUE_ARGS,
    int M, int H, int W, int Cd, int Mg, __local ACT_T *t CONV_QDQ_ARGS)
{
  int lid = get_local_id (0), nl = get_local_size (0);
  int HW = H * W, ostride = HW;
  int p0 = get_global_id (1) * 32;
  if (p0 >= HW)
    return;                     /* the whole work-group */
  int16 oxa = (p0 + CONV_IOTA16) % W, oxe = (p0 + 16 + CONV_IOTA16) % W;
  int16 ml_a = oxa > 0, mr_a = oxa < W - 1;
  int16 ml_e = oxe > 0, mr_e = oxe < W - 1;
  /* every load of the tile inside the plane */
  int fast = p0 - W - 1 >= 0 && p0 + W + 33 <= HW;
  for (int c = lid; c < Cd; c += nl) {
    __global const ACT_T *xk = x + x_off + (c / Mg) * HW;
    __global const float *wk = wd + c * 9;
    float16 a = 0.0f, e = 0.0f;
    if (fast) {
      CONV_DWS_CHANNEL (CONV_DWS_LOADV_FAST, CONV_DWS_LOADS_FAST);
    } else {
      float16 o_[2];
      conv_dws_channel_slow (xk, wk, p0, W, HW, ml_a, mr_a, ml_e, mr_e, o_);
      a = o_[0];
      e = o_[1];
    }
    float bias = bd[c];
    STORE_ACT16 (t, c * 32, conv_act16 (a + bias, dact, dalpha, dbeta));
    STORE_ACT16 (t, c * 32 + 16, conv_act16 (e + bias, dact, dalpha, dbeta));
  }
  barrier (CLK_LOCAL_MEM_FENCE);
  for (int mb = lid; mb * 8 < M; mb += nl) {
    int m0 = mb * 8;
    __global const float *wp = w + mb * Cd * 8;
    __local const ACT_T *tk = t;
    CONV_DECL8 (a);
    CONV_DECL8 (c);
    for (int k = 0; k < Cd; k++) {
      float16 v0 = LOAD_ACT16 (tk, 0);
      float16 v1 = LOAD_ACT16 (tk, 16);
      CONV_FMA8 (a, v0, wp);
      CONV_FMA8 (c, v1, wp);
      tk += 32;
      wp += 8;
    }
    CONV_STORE8 (a, p0, 0, min (16, HW - p0));
    CONV_STORE8 (c, p0 + 16, 0, min (16, HW - p0 - 16));
  }
}

/* One input channel per group (depthwise, channel multiplier Mg): a
 * work-item computes one output row of one channel, 16 pixels at a time.
 * Weights in ONNX layout [M][1][kh][kw]. */
__kernel void
conv_dw (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Mg,
    int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw
    CONV_QDQ_ARGS)
{
  int m = get_global_id (0);
  int oy = get_global_id (1);
  if (m >= M || oy >= Ho)
    return;
  __global const ACT_T *xk = x + x_off + (m / Mg) * H * W;
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
      __global const ACT_T *row = xk + iy * W;
      int lo = -((m / Mg) * H * W + iy * W), hi = (M / Mg) * H * W + lo;
      for (int kx = 0; kx < kw; kx++) {
        float16 v = conv_load_row (row, xs * sw - pw + kx * dw, sw, W, lo,
            hi);
        acc = fma (v, (float16) (wk[ky * kw + kx]), acc);
      }
    }
    acc = CONV_ACT16 (acc + bias, act, alpha, beta);
    CONV_STORE16 (acc, y, y_off + yo + xs, r, r_off + yo + xs, has_res,
        x0 - xs, min (16, Wo - xs));
  }
}

/* Depthwise 7x7 stride 1 pad 3 (YOLO12's positional conv): a work-item
 * computes CONV_DW7_R output rows of one channel, 16 pixels at a time.
 * Each of the R + 6 input rows it reads is loaded once per tile as a
 * 32-wide window (two float16, zero outside the row) and shifted into the
 * 7 taps' vectors (__builtin_shufflevector: valignd on AVX-512), which
 * feed every output row that tap row touches. Weights in ONNX layout
 * [M][1][7][7]. Global size: (M, ceil(Ho / CONV_DW7_R)). */
#define CONV_DW7_R 4
#define CONV_SHIFT16(a, b, k) \
  __builtin_shufflevector (a, b, k, k + 1, k + 2, k + 3, k + 4, k + 5, \
      k + 6, k + 7, k + 8, k + 9, k + 10, k + 11, k + 12, k + 13, k + 14, \
      k + 15)

__kernel void
conv_dw7x7s1 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Mg
    CONV_QDQ_ARGS)
{
  int m = get_global_id (0);
  int oy0 = get_global_id (1) * CONV_DW7_R;
  if (m >= M || oy0 >= Ho)
    return;
  __global const ACT_T *xk = x + x_off + (m / Mg) * H * W;
  __global const float *wk = w + m * 49;
  float bias = b[m];
  for (int x0 = 0; x0 < Wo; x0 += 16) {
    int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
    int16 col = (int16) (xs - 3) + CONV_IOTA16;
    int16 in_a = (col >= 0) & (col < W), in_c = (col + 16 >= 0) & (col + 16 < W);
    float16 acc[CONV_DW7_R];
    #pragma unroll
    for (int q = 0; q < CONV_DW7_R; q++)
      acc[q] = 0.0f;
    #pragma unroll
    for (int t = 0; t < CONV_DW7_R + 6; t++) {
      int iy = oy0 - 3 + t;
      if (iy < 0 || iy >= H)
        continue;
      __global const ACT_T *row = xk + iy * W;
      int lo = -((m / Mg) * H * W + iy * W), hi = (M / Mg) * H * W + lo;
      float16 a, c;
      if (xs - 3 >= lo && xs + 29 <= hi) {
        /* inside the tensor: vector loads, lanes outside the row zeroed */
        a = select ((float16) (0.0f), LOAD_ACT16 (row, xs - 3), in_a);
        c = select ((float16) (0.0f), LOAD_ACT16 (row, xs + 13), in_c);
      } else {
        a = conv_load_row (row, xs - 3, 1, W, lo, hi);
        c = conv_load_row (row, xs + 13, 1, W, lo, hi);
      }
      float16 v0 = a, v1 = CONV_SHIFT16 (a, c, 1);
      float16 v2 = CONV_SHIFT16 (a, c, 2), v3 = CONV_SHIFT16 (a, c, 3);
      float16 v4 = CONV_SHIFT16 (a, c, 4), v5 = CONV_SHIFT16 (a, c, 5);
      float16 v6 = CONV_SHIFT16 (a, c, 6);
      #pragma unroll
      for (int q = 0; q < CONV_DW7_R; q++) {
        int ky = t - q;         /* input row oy0 + q - 3 + ky */
        if (ky >= 0 && ky < 7) {
          __global const float *wr = wk + ky * 7;
          float16 s = acc[q];
          s = fma (v0, (float16) (wr[0]), s);
          s = fma (v1, (float16) (wr[1]), s);
          s = fma (v2, (float16) (wr[2]), s);
          s = fma (v3, (float16) (wr[3]), s);
          s = fma (v4, (float16) (wr[4]), s);
          s = fma (v5, (float16) (wr[5]), s);
          s = fma (v6, (float16) (wr[6]), s);
          acc[q] = s;
        }
      }
    }
    #pragma unroll
    for (int q = 0; q < CONV_DW7_R; q++) {
      int oy = oy0 + q;
      if (oy < Ho) {
        int yo = m * Ho * Wo + oy * Wo;
        float16 o = CONV_ACT16 (acc[q] + bias, act, alpha, beta);
        CONV_STORE16 (o, y, y_off + yo + xs, r, r_off + yo + xs, has_res,
            x0 - xs, min (16, Wo - xs));
      }
    }
  }
}

/* ---- im2col + GEMM (conv-im2col) for small outputs ----
 *
 * col[(c kh + ky) kw + kx][oy Wo + ox] = x[c][oy sh - ph + ky dh]
 * [ox sw - pw + kx dw] (zero in the padding): the conv is then conv_1x1_c8
 * over Cg kh kw "channels" and Ho Wo pixels, whose 32 pixels per
 * work-item run along the flattened output (rows of 10 or 20 pixels leave
 * no lanes idle) with the blocked weights as they are. A work-item fills
 * one row r of col. */
__kernel void
conv_im2col (__global const float *x, int x_off, __global float *col,
    int R, int H, int W, int Ho, int Wo, int kh, int kw, int sh, int sw,
    int ph, int pw, int dh, int dw)
{
  int r = get_global_id (0);
  if (r >= R)
    return;
  int kk = kh * kw;
  int c = r / kk, ky = (r % kk) / kw, kx = r % kw;
  __global const float *xc = x + x_off + c * H * W;
  __global float *o = col + r * Ho * Wo;
  for (int oy = 0; oy < Ho; oy++) {
    int iy = oy * sh - ph + ky * dh;
    if (iy < 0 || iy >= H) {
      for (int ox = 0; ox < Wo; ox++)
        o[ox] = 0.0f;
    } else {
      __global const float *row = xc + iy * W;
      for (int ox = 0; ox < Wo; ox++) {
        int ix = ox * sw - pw + kx * dw;
        o[ox] = ix >= 0 && ix < W ? row[ix] : 0.0f;
      }
    }
    o += Wo;
  }
}

/* ---- GEMM with lanes over output channels (conv-im2col-t)
 *
 * out[m][p] = act (sum_r w[m][r] x[r][p] + b[m]) [+ res] for r < R rows of
 * x (element stride HW between rows), p < HW: a 1x1 stride-1 conv
 * (x = the input, R = C) or the GEMM after conv_im2col (x = the patches,
 * R = C kh kw). A work-item computes 16 output channels (the vector
 * lanes) x 16 pixels: each step loads one weight vector and broadcasts 16
 * pixels, so small H*W (5x5, 10x10, 13x13) wastes no lanes, where
 * conv_1x1_c8's 32-pixel vectors use 25 of 32 or 100 of 128. Weights [M/16][R][16]
 * (zero padded channels), bias padded to a multiple of 16. The last tile
 * is shifted to end at HW (HW >= 16) and stores only the pixels the
 * previous one did not; the 16 x 16 results are stored channel by channel
 * (scalar stores, R times fewer than the multiply-adds). */
#define CONV_GT_DECL16 \
  float16 a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, \
      a6 = 0.0f, a7 = 0.0f, a8 = 0.0f, a9 = 0.0f, a10 = 0.0f, a11 = 0.0f, \
      a12 = 0.0f, a13 = 0.0f, a14 = 0.0f, a15 = 0.0f

/* a0..a15 = acc[0..15] (the out of line paths' results). */
#define CONV_GT_FROM_ACC(acc) do { \
    a0 = (acc)[0]; a1 = (acc)[1]; a2 = (acc)[2]; a3 = (acc)[3]; \
    a4 = (acc)[4]; a5 = (acc)[5]; a6 = (acc)[6]; a7 = (acc)[7]; \
    a8 = (acc)[8]; a9 = (acc)[9]; a10 = (acc)[10]; a11 = (acc)[11]; \
    a12 = (acc)[12]; a13 = (acc)[13]; a14 = (acc)[14]; a15 = (acc)[15]; \
  } while (0)

#define CONV_GT_STEP(i) \
  a##i = fma ((float16) (LOAD_ACT (xq, (i))), wv, a##i)

/* The residual of 16 channels (stride HW, channels past nm repeat the
 * last) at one pixel: a gather, out of line (16 scalar loads in each of
 * the 16 pixels' epilogues made PoCL's first-launch compile slow). */
static __attribute__ ((noinline)) float16
conv_gt_res16 (__global const ACT_T *r, int off, int HW, int nm)
{
  float t[16];
  for (int j = 0; j < 16; j++)
    t[j] = LOAD_ACT (r, off + min (j, nm - 1) * HW);
  return vload16 (0, t);
}

/* Fewer than 16 pixels (HW < 16; pixels past HW read pixel 0, never
 * stored): the 16 accumulators of conv_gemm_t16 to acc, out of line (a
 * second unrolled copy of the GEMM loop only for tiny planes). */
static __attribute__ ((noinline)) void
conv_gt_small (__global const ACT_T *xq, __global const float *wp, int R,
    int HW, float16 *acc)
{
  for (int i = 0; i < 16; i++)
    acc[i] = 0.0f;
  for (int k = 0; k < R; k++) {
    float16 wv = vload16 (0, wp);
    for (int i = 0; i < 16; i++)
      acc[i] = fma ((float16) (LOAD_ACT (xq, i < HW ? i : 0)), wv, acc[i]);
    xq += HW;
    wp += 16;
  }
}

/* Pixel i of the tile: bias, activation (CONV_ACT16), the residual of
 * the 16 channels (gathered; CONV_QDQ_RES16), then their stores. */
#define CONV_GT_STORE(av, i) do { \
    if ((i) >= skip && (i) < np) { \
      float16 t_ = CONV_ACT16 ((av) + bv, act, alpha, beta); \
      float t16_[16]; \
      if (has_res) \
        t_ = CONV_QDQ_RES16 (t_ + conv_gt_res16 (r, r_off + m0 * HW + ps \
                + (i), HW, nm)); \
      vstore16 (t_, 0, t16_); \
      for (int j_ = 0; j_ < nm; j_++) \
        STORE_ACT (y, y_off + (m0 + j_) * HW + ps + (i), t16_[j_]); \
    } \
  } while (0)

__kernel void
conv_gemm_t16 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int HW, int R CONV_QDQ_ARGS)
{
  int mb = get_global_id (0);
  int pb = get_global_id (1);
  int m0 = mb * 16;
  int p0 = pb * 16;
  if (m0 >= M || p0 >= HW)
    return;
  int ps = HW >= 16 ? min (p0, HW - 16) : 0;
  int skip = p0 - ps, np = min (16, HW), nm = min (16, M - m0);
  __global const ACT_T *xq = x + x_off + ps;
  __global const float *wp = w + mb * R * 16;
  CONV_GT_DECL16;
  if (HW >= 16) {
    for (int k = 0; k < R; k++) {
      float16 wv = vload16 (0, wp);
      CONV_GT_STEP (0);
      CONV_GT_STEP (1);
      CONV_GT_STEP (2);
      CONV_GT_STEP (3);
      CONV_GT_STEP (4);
      CONV_GT_STEP (5);
      CONV_GT_STEP (6);
      CONV_GT_STEP (7);
      CONV_GT_STEP (8);
      CONV_GT_STEP (9);
      CONV_GT_STEP (10);
      CONV_GT_STEP (11);
      CONV_GT_STEP (12);
      CONV_GT_STEP (13);
      CONV_GT_STEP (14);
      CONV_GT_STEP (15);
      xq += HW;
      wp += 16;
    }
  } else {
    float16 acc[16];
    conv_gt_small (xq, wp, R, HW, acc);
    CONV_GT_FROM_ACC (acc);
  }
  float16 bv = vload16 (0, b + m0);
  /* the 16 pixels' epilogues in a loop (not unrolled: 16 inlined copies
   * made PoCL's first-launch compile slow; they run once per tile) */
  float16 acc[16] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12,
    a13, a14, a15
  };
#pragma unroll 1
  for (int i = 0; i < 16; i++)
    CONV_GT_STORE (acc[i], i);
}

/* ---- Winograd F(4x4, 3x3): 3x3, stride 1, pad 1, dilation 1, group 1 ----
 *
 * Output tiles of 4x4 pixels (th x tw tiles, T = th * tw, row-major tile
 * index t = ty * tw + tx; Tp = T rounded up to 16). Three launches:
 *   conv_wino4_in    V[36][C][Tp]  = B^T d B of each 6x6 input patch
 *   conv_wino_gemm   O[36][Mp][Tp] = U[36] (Mp x C) . V[36] (C x Tp)
 *   conv_wino4_out   y = act (A^T O A + bias) [+ residual]
 * A layer may run in bands of tile rows (conv-wino.c): then th, T and Tp
 * are the band's, ty counts from the band's first tile row ty_base, and V
 * and O hold only the band.
 * U = G g G^T is laid out [36][M/8][C][8] (Mp = M rounded up to 8, zero
 * padded); conv_wino4_wt computes it before each GEMM into the scratch
 * after O from the 3x3 weights (kept 9 values per filter, not 36,
 * see conv-wino.c). Tiles are 16 per vector along tx; tiles
 * past T in a plane hold garbage that no output reads.
 */
#if defined(__clang__)
#define CONV_UNZIP_EVEN(a, b) __builtin_shufflevector ((a), (b), \
    0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)
#define CONV_UNZIP_ODD(a, b) __builtin_shufflevector ((a), (b), \
    1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)
#define CONV_ZIP_LO(a, b) __builtin_shufflevector ((a), (b), \
    0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)
#define CONV_ZIP_HI(a, b) __builtin_shufflevector ((a), (b), \
    8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)
#else
#define CONV_UNZIP_EVEN(a, b) ((float16) ((a).even, (b).even))
#define CONV_UNZIP_ODD(a, b) ((float16) ((a).odd, (b).odd))
#define CONV_ZIP_LO(a, b) ((float16) ((a).s0, (b).s0, (a).s1, (b).s1, \
    (a).s2, (b).s2, (a).s3, (b).s3, (a).s4, (b).s4, (a).s5, (b).s5, \
    (a).s6, (b).s6, (a).s7, (b).s7))
#define CONV_ZIP_HI(a, b) ((float16) ((a).s8, (b).s8, (a).s9, (b).s9, \
    (a).sa, (b).sa, (a).sb, (b).sb, (a).sc, (b).sc, (a).sd, (b).sd, \
    (a).se, (b).se, (a).sf, (b).sf))
#endif

/* (t0..t5) = B^T (d0..d5). */
#define CONV_WINO4_BT(d0, d1, d2, d3, d4, d5, t0, t1, t2, t3, t4, t5) do { \
    float16 a_ = (d4) - 4.0f * (d2), b_ = (d3) - 4.0f * (d1); \
    float16 c_ = (d4) - (d2), e_ = 2.0f * ((d3) - (d1)); \
    t0 = 4.0f * (d0) - 5.0f * (d2) + (d4); \
    t1 = a_ + b_; \
    t2 = a_ - b_; \
    t3 = c_ + e_; \
    t4 = c_ - e_; \
    t5 = 4.0f * (d1) - 5.0f * (d3) + (d5); \
  } while (0)

/* (o0..o3) = A^T (m0..m5). */
#define CONV_WINO4_AT(m0, m1, m2, m3, m4, m5, o0, o1, o2, o3) do { \
    float16 a_ = (m1) + (m2), b_ = (m1) - (m2); \
    float16 c_ = (m3) + (m4), d_ = (m3) - (m4); \
    o0 = (m0) + a_ + c_; \
    o1 = b_ + 2.0f * d_; \
    o2 = a_ + 4.0f * c_; \
    o3 = b_ + 8.0f * d_ + (m5); \
  } while (0)

/* Input row r of the patch row 4 ty - 1 + r, columns x0 - 1 + 4 i + k
 * (k = 0..5, i = lane) -> e<r>0..e<r>5 = row . B. With `lim` elements
 * readable from xc on, rows whose 64 columns from x0 are readable take
 * vector loads (columns >= W masked to zero), others masked gathers. */
#define CONV_WINO4_IN_ROW(r) do { \
    float16 d0_, d1_, d2_, d3_, d4_, d5_; \
    int iy_ = 4 * (ty + ty_base) - 1 + (r); \
    if (iy_ < 0 || iy_ >= H) { \
      d0_ = d1_ = d2_ = d3_ = d4_ = d5_ = 0.0f; \
    } else if (iy_ * W + x0 + 64 <= lim) { \
      __global const ACT_T *q_ = xc + iy_ * W + x0; \
      float16 u0_ = LOAD_ACT16 (q_, 0), u1_ = LOAD_ACT16 (q_, 16); \
      float16 u2_ = LOAD_ACT16 (q_, 32), u3_ = LOAD_ACT16 (q_, 48); \
      if (x0 + 64 > W) { \
        int16 col_ = (int16) (x0 - W) + CONV_IOTA16; \
        u0_ = select ((float16) (0.0f), u0_, col_ < 0); \
        u1_ = select ((float16) (0.0f), u1_, col_ < -16); \
        u2_ = select ((float16) (0.0f), u2_, col_ < -32); \
        u3_ = select ((float16) (0.0f), u3_, col_ < -48); \
      } \
      float16 ev_ = CONV_UNZIP_EVEN (u0_, u1_); \
      float16 od_ = CONV_UNZIP_ODD (u0_, u1_); \
      float16 ev2_ = CONV_UNZIP_EVEN (u2_, u3_); \
      float16 od2_ = CONV_UNZIP_ODD (u2_, u3_); \
      d1_ = CONV_UNZIP_EVEN (ev_, ev2_); \
      d3_ = CONV_UNZIP_ODD (ev_, ev2_); \
      d2_ = CONV_UNZIP_EVEN (od_, od2_); \
      d4_ = CONV_UNZIP_ODD (od_, od2_); \
      float l_ = x0 > 0 ? LOAD_ACT (q_, -1) : 0.0f; \
      float r_ = x0 + 64 < W ? LOAD_ACT (q_, 64) : 0.0f; \
      d0_ = CONV_SHR1 (d4_, l_); \
      d5_ = CONV_SHL1 (d1_, r_); \
    } else { \
      __global const ACT_T *q_ = xc + iy_ * W; \
      d0_ = conv_load16_masked_ool (q_, x0 - 1, 4, W); \
      d1_ = conv_load16_masked_ool (q_, x0, 4, W); \
      d2_ = conv_load16_masked_ool (q_, x0 + 1, 4, W); \
      d3_ = conv_load16_masked_ool (q_, x0 + 2, 4, W); \
      d4_ = conv_load16_masked_ool (q_, x0 + 3, 4, W); \
      d5_ = conv_load16_masked_ool (q_, x0 + 4, 4, W); \
    } \
    CONV_WINO4_BT (d0_, d1_, d2_, d3_, d4_, d5_, e##r##0, e##r##1, e##r##2, \
        e##r##3, e##r##4, e##r##5); \
  } while (0)

/* Lanes [l0, l1) of v to vt[xi * CTp] (the partial case out of line). */
static __attribute__ ((noinline)) void
conv_wino_st_part (float16 v, __global float *p, int l0, int l1)
{
  float t[16];
  int i = l0;
  vstore16 (v, 0, t);
  for (; i + 4 <= l1; i += 4)
    vstore4 (vload4 (0, t + i), 0, p + i);
  for (; i < l1; i++)
    p[i] = t[i];
}

#define CONV_WINO_ST(v, xi) do { \
    __global float *p_ = vt + (xi) * vxs; \
    if (l0 == 0 && l1 == 16) \
      vstore16 ((v), 0, p_); \
    else \
      conv_wino_st_part ((v), p_, l0, l1); \
  } while (0)

/* Column k of the row-transformed patch -> B^T . col, stored to the 6
 * planes xi = i * 6 + k. */
#define CONV_WINO4_IN_COL(k) do { \
    float16 t0_, t1_, t2_, t3_, t4_, t5_; \
    CONV_WINO4_BT (e0##k, e1##k, e2##k, e3##k, e4##k, e5##k, \
        t0_, t1_, t2_, t3_, t4_, t5_); \
    CONV_WINO_ST (t0_, k); \
    CONV_WINO_ST (t1_, 6 + k); \
    CONV_WINO_ST (t2_, 12 + k); \
    CONV_WINO_ST (t3_, 18 + k); \
    CONV_WINO_ST (t4_, 24 + k); \
    CONV_WINO_ST (t5_, 30 + k); \
  } while (0)

/* 16 tiles (ty, txs .. txs + 15) of channel c: stores lanes [l0, l1) at
 * vt (tile index of lane 0 inside plane 0). */
#define CONV_WINO4_IN_TILES() do { \
    int x0 = 4 * txs; \
    float16 e00, e01, e02, e03, e04, e05, e10, e11, e12, e13, e14, e15; \
    float16 e20, e21, e22, e23, e24, e25, e30, e31, e32, e33, e34, e35; \
    float16 e40, e41, e42, e43, e44, e45, e50, e51, e52, e53, e54, e55; \
    CONV_WINO4_IN_ROW (0); \
    CONV_WINO4_IN_ROW (1); \
    CONV_WINO4_IN_ROW (2); \
    CONV_WINO4_IN_ROW (3); \
    CONV_WINO4_IN_ROW (4); \
    CONV_WINO4_IN_ROW (5); \
    CONV_WINO4_IN_COL (0); \
    CONV_WINO4_IN_COL (1); \
    CONV_WINO4_IN_COL (2); \
    CONV_WINO4_IN_COL (3); \
    CONV_WINO4_IN_COL (4); \
    CONV_WINO4_IN_COL (5); \
  } while (0)

/* Input transform. Grid: dim 0 = input channel; dim 1 = (tile row, block of
 * 16 tiles) when tw >= 16. Narrower rows: one work-item per channel walks
 * the tile rows in order, each 16-lane store overwriting the previous
 * row's spill-over lanes (no store reaches past the channel's plane). */
__kernel void
conv_wino4_in (__global const ACT_T *x, int x_off, __global float *v,
    int C, int H, int W, int th, int tw, int Tp, int vcs, int vxs,
    int ty_base)
{
  int c = get_global_id (0);
  int it = get_global_id (1);
  int nxc = (tw + 15) / 16;
  if (c >= C)
    return;
  int HW = H * W;
  __global const ACT_T *xc = x + x_off + c * HW;
  int lim = (C - c) * HW;
  int ty0, ty1, txs, l0;
  if (tw >= 16) {
    if (it >= th * nxc)
      return;
    int tx0 = (it % nxc) * 16;
    ty0 = it / nxc;
    ty1 = ty0 + 1;
    txs = min (tx0, tw - 16);
    l0 = tx0 - txs;
  } else {
    if (it != 0)
      return;
    ty0 = 0;
    ty1 = th;
    txs = 0;
    l0 = 0;
  }
  /* One expansion of the (large) tile code for both cases: PoCL compiles
   * it in half the time. */
  for (int ty = ty0; ty < ty1; ty++) {
    int l1 = tw >= 16 || ty * tw + 16 <= Tp ? 16 : (th - ty) * tw;
    __global float *vt = v + c * vcs + ty * tw + txs;
    CONV_WINO4_IN_TILES ();
  }
}

/* Batched GEMM: O[xi][m][t] = sum_c U[xi][m][c] V[xi][c][t]. A work-item
 * computes 32 tiles x 8 output channels of one xi (like conv_1x1_c8), or
 * 16 at the end of a plane of 16 (mod 32) tiles (Tp: T rounded up to 16).
 * Grid: dim 0 = xi * nb + channel block, dim 1 = block of 32 tiles. */
__kernel void
conv_wino_gemm (__global const float *v, __global const float *u,
    __global float *o, int C, int nb, int Tp, int nxi, int vcs, int vxs,
    int ocs, int oxs, int u_off)
{
  int g0 = get_global_id (0);
  int pb = get_global_id (1);
  int xi = g0 / nb;
  int mb = g0 - xi * nb;
  int p0 = pb * 32;
  if (xi >= nxi || p0 >= Tp)
    return;
  __global const float *xq = v + xi * vxs + p0;
  __global const float *wp = u + u_off + g0 * C * 8;
  __global float *op = o + xi * oxs + mb * 8 * ocs + p0;
  CONV_DECL8 (a);
  if (Tp - p0 < 32) {
    for (int k = 0; k < C; k++) {
      float16 v0 = vload16 (0, xq);
      CONV_FMA8 (a, v0, wp);
      xq += vcs;
      wp += 8;
    }
#define CONV_WINO_GST1(j) vstore16 (a##j, 0, op + (j) * ocs)
    CONV_WINO_GST1 (0);
    CONV_WINO_GST1 (1);
    CONV_WINO_GST1 (2);
    CONV_WINO_GST1 (3);
    CONV_WINO_GST1 (4);
    CONV_WINO_GST1 (5);
    CONV_WINO_GST1 (6);
    CONV_WINO_GST1 (7);
#undef CONV_WINO_GST1
    return;
  }
  CONV_DECL8 (c);
  for (int k = 0; k < C; k++) {
    float16 v0 = vload16 (0, xq);
    float16 v1 = vload16 (0, xq + 16);
    CONV_FMA8 (a, v0, wp);
    CONV_FMA8 (c, v1, wp);
    xq += vcs;
    wp += 8;
  }
#define CONV_WINO_GST(j) do { \
    vstore16 (a##j, 0, op + (j) * ocs); \
    vstore16 (c##j, 0, op + (j) * ocs + 16); \
  } while (0)
  CONV_WINO_GST (0);
  CONV_WINO_GST (1);
  CONV_WINO_GST (2);
  CONV_WINO_GST (3);
  CONV_WINO_GST (4);
  CONV_WINO_GST (5);
  CONV_WINO_GST (6);
  CONV_WINO_GST (7);
#undef CONV_WINO_GST
}

/* Row i of the 6x6 transformed tile -> s<i>0..s<i>3 = A^T . row. */
#define CONV_WINO4_OUT_ROW(i) do { \
    __global const float *q_ = op + (i) * 6 * PS; \
    float16 m0_ = vload16 (0, q_), m1_ = vload16 (0, q_ + PS); \
    float16 m2_ = vload16 (0, q_ + 2 * PS), m3_ = vload16 (0, q_ + 3 * PS); \
    float16 m4_ = vload16 (0, q_ + 4 * PS), m5_ = vload16 (0, q_ + 5 * PS); \
    CONV_WINO4_AT (m0_, m1_, m2_, m3_, m4_, m5_, s##i##0, s##i##1, s##i##2, \
        s##i##3); \
  } while (0)

/* Output row yy of the 16 tiles: y<yy>0..3 (one vector per column of the
 * tile) interleaved to 64 pixels, epilogue, store. */
#define CONV_WINO4_OUT_STORE(yy) do { \
    int oy_ = 4 * (ty + ty_base) + (yy); \
    if (oy_ < H) { \
      float16 z02l_ = CONV_ZIP_LO (y##yy##0, y##yy##2); \
      float16 z02h_ = CONV_ZIP_HI (y##yy##0, y##yy##2); \
      float16 z13l_ = CONV_ZIP_LO (y##yy##1, y##yy##3); \
      float16 z13h_ = CONV_ZIP_HI (y##yy##1, y##yy##3); \
      int yo_ = m * H * W + oy_ * W + 4 * txs; \
      int lx_ = 4 * (tx0 - txs), rx_ = W - 4 * txs; \
      CONV_STORE16 (CONV_ACT16 (CONV_ZIP_LO (z02l_, z13l_) + bias, act, \
              alpha, beta), y, y_off + yo_, r, r_off + yo_, has_res, \
          lx_, min (16, rx_)); \
      CONV_STORE16 (CONV_ACT16 (CONV_ZIP_HI (z02l_, z13l_) + bias, act, \
              alpha, beta), y, y_off + yo_ + 16, r, r_off + yo_ + 16, \
          has_res, max (lx_ - 16, 0), min (16, rx_ - 16)); \
      CONV_STORE16 (CONV_ACT16 (CONV_ZIP_LO (z02h_, z13h_) + bias, act, \
              alpha, beta), y, y_off + yo_ + 32, r, r_off + yo_ + 32, \
          has_res, max (lx_ - 32, 0), min (16, rx_ - 32)); \
      CONV_STORE16 (CONV_ACT16 (CONV_ZIP_HI (z02h_, z13h_) + bias, act, \
              alpha, beta), y, y_off + yo_ + 48, r, r_off + yo_ + 48, \
          has_res, max (lx_ - 48, 0), min (16, rx_ - 48)); \
    } \
  } while (0)

#define CONV_WINO4_OUT_COL(j) \
  CONV_WINO4_AT (s0##j, s1##j, s2##j, s3##j, s4##j, s5##j, \
      y0##j, y1##j, y2##j, y3##j)

/* Output row yy of the nl tiles from flattened tile t0 of a band whose
 * rows are narrower than 16 tiles: y<yy>0..3 interleaved to 64 pixels
 * (4 a tile, in tile order), epilogue, stored run by run (the tiles of one
 * tile row: lanes [l_, e_), pixels from 4 (tx_ - l_) of the output row;
 * the lanes of other runs and past W are not stored). */
#define CONV_WINO4_OUT_STORE_FLAT(yy) do { \
    float16 z02l_ = CONV_ZIP_LO (y##yy##0, y##yy##2); \
    float16 z02h_ = CONV_ZIP_HI (y##yy##0, y##yy##2); \
    float16 z13l_ = CONV_ZIP_LO (y##yy##1, y##yy##3); \
    float16 z13h_ = CONV_ZIP_HI (y##yy##1, y##yy##3); \
    float16 q0_ = CONV_ACT16 (CONV_ZIP_LO (z02l_, z13l_) + bias, act, \
        alpha, beta); \
    float16 q1_ = CONV_ACT16 (CONV_ZIP_HI (z02l_, z13l_) + bias, act, \
        alpha, beta); \
    float16 q2_ = CONV_ACT16 (CONV_ZIP_LO (z02h_, z13h_) + bias, act, \
        alpha, beta); \
    float16 q3_ = CONV_ACT16 (CONV_ZIP_HI (z02h_, z13h_) + bias, act, \
        alpha, beta); \
    for (int l_ = 0; l_ < nl;) { \
      int t_ = t0 + l_, ty_ = t_ / tw, tx_ = t_ - ty_ * tw; \
      int e_ = min (nl, l_ + tw - tx_); \
      int oy_ = 4 * (ty_ + ty_base) + (yy); \
      if (oy_ < H) { \
        int yo_ = m * H * W + oy_ * W + 4 * (tx_ - l_); \
        int lo_ = 4 * l_, hi_ = min (4 * e_, W - 4 * (tx_ - l_)); \
        CONV_STORE16 (q0_, y, y_off + yo_, r, r_off + yo_, has_res, \
            max (lo_, 0), min (16, hi_)); \
        CONV_STORE16 (q1_, y, y_off + yo_ + 16, r, r_off + yo_ + 16, \
            has_res, max (lo_ - 16, 0), min (16, hi_ - 16)); \
        CONV_STORE16 (q2_, y, y_off + yo_ + 32, r, r_off + yo_ + 32, \
            has_res, max (lo_ - 32, 0), min (16, hi_ - 32)); \
        CONV_STORE16 (q3_, y, y_off + yo_ + 48, r, r_off + yo_ + 48, \
            has_res, max (lo_ - 48, 0), min (16, hi_ - 48)); \
      } \
      l_ = e_; \
    } \
  } while (0)

/* Output transform + epilogue. Grid: dim 0 = output channel, dim 1 =
 * (tile row, block of 16 tiles), or, for rows narrower than 16 tiles,
 * block of 16 tiles of the band's flattened tiles (a vector spans rows:
 * 9 tiles of a 10x10 layer in one work-item, not one row of 3 in each of
 * three). Reads may run past T (into the padding of the plane or the next
 * plane: garbage lanes, never stored). */
__kernel void
conv_wino4_out (__global const float *o, CONV_EPILOGUE_ARGS, int M, int H,
    int W, int th, int tw, int ocs, int oxs, int ty_base CONV_QDQ_ARGS)
{
  int m = get_global_id (0);
  int it = get_global_id (1);
  int nxc = (tw + 15) / 16;
  int flat = tw < 16;
  if (m >= M || it >= (flat ? (th * tw + 15) / 16 : th * nxc))
    return;
  int ty = it / nxc;
  int tx0 = (it % nxc) * 16;
  int txs = tw >= 16 ? min (tx0, tw - 16) : tx0;
  int t0 = flat ? it * 16 : ty * tw + txs;
  int nl = min (16, th * tw - t0);
  int PS = oxs;
  __global const float *op = o + m * ocs + t0;
  float bias = b[m];
  float16 s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23;
  float16 s30, s31, s32, s33, s40, s41, s42, s43, s50, s51, s52, s53;
  float16 y00, y01, y02, y03, y10, y11, y12, y13;
  float16 y20, y21, y22, y23, y30, y31, y32, y33;
  CONV_WINO4_OUT_ROW (0);
  CONV_WINO4_OUT_ROW (1);
  CONV_WINO4_OUT_ROW (2);
  CONV_WINO4_OUT_ROW (3);
  CONV_WINO4_OUT_ROW (4);
  CONV_WINO4_OUT_ROW (5);
  CONV_WINO4_OUT_COL (0);
  CONV_WINO4_OUT_COL (1);
  CONV_WINO4_OUT_COL (2);
  CONV_WINO4_OUT_COL (3);
  if (flat) {
    CONV_WINO4_OUT_STORE_FLAT (0);
    CONV_WINO4_OUT_STORE_FLAT (1);
    CONV_WINO4_OUT_STORE_FLAT (2);
    CONV_WINO4_OUT_STORE_FLAT (3);
  } else {
    CONV_WINO4_OUT_STORE (0);
    CONV_WINO4_OUT_STORE (1);
    CONV_WINO4_OUT_STORE (2);
    CONV_WINO4_OUT_STORE (3);
  }
}

/* (t0..t5) = G (a, b, c): G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6;
 * 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]. */
#define CONV_WINO4_G(a, b, c, t0, t1, t2, t3, t4, t5) do { \
    float8 e_ = (a) * (1.0f / 24) + (c) * (1.0f / 6), f_ = (b) * (1.0f / 12); \
    t0 = (a) * 0.25f; \
    t1 = ((a) + (b) + (c)) * (-1.0f / 6); \
    t2 = ((a) - (b) + (c)) * (-1.0f / 6); \
    t3 = e_ + f_; \
    t4 = e_ - f_; \
    t5 = (c); \
  } while (0)

#define CONV_WINO4_WT_ROW(i) do { \
    float8 u0_, u1_, u2_, u3_, u4_, u5_; \
    CONV_WINO4_G (t##i##0, t##i##1, t##i##2, u0_, u1_, u2_, u3_, u4_, u5_); \
    vstore8 (u0_, 0, up + (6 * (i) + 0) * plane); \
    vstore8 (u1_, 0, up + (6 * (i) + 1) * plane); \
    vstore8 (u2_, 0, up + (6 * (i) + 2) * plane); \
    vstore8 (u3_, 0, up + (6 * (i) + 3) * plane); \
    vstore8 (u4_, 0, up + (6 * (i) + 4) * plane); \
    vstore8 (u5_, 0, up + (6 * (i) + 5) * plane); \
  } while (0)

/* U = G g G^T (the GEMM's weights) from g laid out [M/8][C][9][8] (the 9
 * taps of 8 output channels, zero padded past M): U [36][M/8][C][8] from
 * float u_off of u on.
 * Grid: dim 0 = input channel c, dim 1 = block of 8 output channels. */
__kernel void
conv_wino4_wt (__global const float *g, __global float *u, int u_off, int C,
    int nb)
{
  int c = get_global_id (0);
  int mb = get_global_id (1);
  if (c >= C || mb >= nb)
    return;
  size_t plane = (size_t) nb * C * 8;
  size_t f = (size_t) mb * C + c;
  __global const float *q = g + f * 72;
  __global float *up = u + u_off + f * 8;
  float8 t00, t01, t02, t10, t11, t12, t20, t21, t22;
  float8 t30, t31, t32, t40, t41, t42, t50, t51, t52;
  /* columns j: t[.][j] = G (g[j], g[3 + j], g[6 + j]) */
  CONV_WINO4_G (vload8 (0, q), vload8 (3, q), vload8 (6, q),
      t00, t10, t20, t30, t40, t50);
  CONV_WINO4_G (vload8 (1, q), vload8 (4, q), vload8 (7, q),
      t01, t11, t21, t31, t41, t51);
  CONV_WINO4_G (vload8 (2, q), vload8 (5, q), vload8 (8, q),
      t02, t12, t22, t32, t42, t52);
  /* rows i: U[i][.] = G (t[i][0], t[i][1], t[i][2]) */
  CONV_WINO4_WT_ROW (0);
  CONV_WINO4_WT_ROW (1);
  CONV_WINO4_WT_ROW (2);
  CONV_WINO4_WT_ROW (3);
  CONV_WINO4_WT_ROW (4);
  CONV_WINO4_WT_ROW (5);
}

/* ---- 3x3 stride 2 pad 1, few input channels (conv-cpu-3x3s2-c16) ----
 *
 * For the stride-2 layers with few input channels on large planes (the
 * 16 -> 32 320 -> 160 and 3 -> 16 640 -> 320 stems): a work-item computes
 * 1 output row x 16 pixels x 16 output channels (two blocks of 8, weights
 * as conv_3x3s2_c8's, wk2 = the next block), so each input row it loads
 * (2 vector loads + shuffles) feeds 16 channels, and the input is read by
 * M / 16 work-items, not M / 8. Group 1, M a multiple of 16. */
#define CONV_3X3S2_C16_CHANNEL(LOAD) do { \
    if (oy > 0) { \
      LOAD (xk - W); \
      CONV_TAP3 (a, wk); \
      CONV_TAP3 (c, wk2); \
    } \
    LOAD (xk); \
    CONV_TAP3 (a, wk + 24); \
    CONV_TAP3 (c, wk2 + 24); \
    if (2 * oy + 1 < H) { \
      LOAD (xk + W); \
      CONV_TAP3 (a, wk + 48); \
      CONV_TAP3 (c, wk2 + 48); \
    } \
  } while (0)

/* conv_3x3s2_c16's channel loop where the fast loader's 32 floats pass the
 * row end, out of line (as conv_3x3s2_narrow). acc: a0..a7, c0..c7. */
static __attribute__ ((noinline)) void
conv_3x3s2_c16_narrow (__global const ACT_T *xk, __global const float *wk,
    __global const float *wk2, int H, int W, int Cg, int oy, int xs, int over,
    float16 *acc)
{
  int HW = H * W;
  int16 mc = 2 * (xs + CONV_IOTA16) < W;
  int16 mr = 2 * (xs + CONV_IOTA16) + 1 < W;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  CONV_ACC16_IN (acc);
  for (int k = 0; k < Cg; k++) {
    if (over)
      CONV_3X3S2_C16_CHANNEL (CONV_ROW_S2_OVER);
    else
      CONV_3X3S2_C16_CHANNEL (CONV_ROW_S2_SLOW);
    xk += HW;
    wk += 72;
    wk2 += 72;
  }
  CONV_ACC16_OUT (acc);
}

/* Global size: (M / 16, ceil(Wo / 16) * Ho). */
__kernel void
conv_3x3s2_c16 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg
    CONV_QDQ_ARGS)
{
  int mb = get_global_id (0);
  int it = get_global_id (1);
  int nt = (Wo + 15) / 16;
  int m0 = mb * 16;
  if (m0 >= M || it >= nt * Ho)
    return;
  int ostride = Ho * Wo;
  int oy = it / nt;
  int x0 = (it % nt) * 16;
  int xs = Wo >= 16 ? min (x0, Wo - 16) : x0;
  int fast = Wo >= 16 && 2 * xs + 32 <= W;
  if (!fast)
    xs = x0;
  int HW = H * W;
  __global const ACT_T *xk = x + x_off + 2 * oy * W;
  __global const float *wk = w + 2 * mb * Cg * 72, *wk2 = wk + Cg * 72;
  float16 vl, vc, vr;
  CONV_DECL8 (a);
  CONV_DECL8 (c);
  if (fast) {
    for (int k = 0; k < Cg; k++) {
      CONV_3X3S2_C16_CHANNEL (CONV_ROW_S2_FAST);
      xk += HW;
      wk += 72;
      wk2 += 72;
    }
  } else {
    /* over: every row's 32-float load stays inside the tensor */
    int over = (Cg - 1) * HW + min (2 * oy + 1, H - 1) * W + 2 * xs + 32
        <= Cg * HW;
    float16 acc[16];
    CONV_ACC16_OUT (acc);
    conv_3x3s2_c16_narrow (xk, wk, wk2, H, W, Cg, oy, xs, over, acc);
    CONV_ACC16_IN (acc);
  }
  int l0 = x0 - xs, l1 = min (16, Wo - xs), mbase = m0;
  /* one CONV_STORE8 in a loop over the two channel blocks (not unrolled,
   * as CONV_STORE8_ROWS2) */
  _Pragma ("unroll 1")
  for (int h_ = 0; h_ < 2; h_++) {
    float16 e0 = h_ ? c0 : a0, e1 = h_ ? c1 : a1, e2 = h_ ? c2 : a2,
        e3 = h_ ? c3 : a3, e4 = h_ ? c4 : a4, e5 = h_ ? c5 : a5,
        e6 = h_ ? c6 : a6, e7 = h_ ? c7 : a7;
    m0 = mbase + 8 * h_;
    CONV_STORE8 (e, oy * Wo + xs, l0, l1);
  }
}

/* One round of the 16 x 16 transpose of a0..a15: row i paired with row
 * i + 8 gives rows 2 i (their first halves interleaved) and 2 i + 1 (the
 * second halves); four rounds transpose (one permute per row and round). */
#define CONV_T16_ROUND do { \
    float16 n0_ = CONV_ZIP_LO (a0, a8), n1_ = CONV_ZIP_HI (a0, a8), \
        n2_ = CONV_ZIP_LO (a1, a9), n3_ = CONV_ZIP_HI (a1, a9), \
        n4_ = CONV_ZIP_LO (a2, a10), n5_ = CONV_ZIP_HI (a2, a10), \
        n6_ = CONV_ZIP_LO (a3, a11), n7_ = CONV_ZIP_HI (a3, a11), \
        n8_ = CONV_ZIP_LO (a4, a12), n9_ = CONV_ZIP_HI (a4, a12), \
        n10_ = CONV_ZIP_LO (a5, a13), n11_ = CONV_ZIP_HI (a5, a13), \
        n12_ = CONV_ZIP_LO (a6, a14), n13_ = CONV_ZIP_HI (a6, a14), \
        n14_ = CONV_ZIP_LO (a7, a15), n15_ = CONV_ZIP_HI (a7, a15); \
    a0 = n0_; a1 = n1_; a2 = n2_; a3 = n3_; a4 = n4_; a5 = n5_; \
    a6 = n6_; a7 = n7_; a8 = n8_; a9 = n9_; a10 = n10_; a11 = n11_; \
    a12 = n12_; a13 = n13_; a14 = n14_; a15 = n15_; \
  } while (0)

/* ---- 3x3 stride 2 pad 1 with lanes over output channels
 * (conv-cpu-3x3s2-t32)
 *
 * A work-item computes 32 output channels (two vectors of 16 lanes) x 8
 * pixels of one output row: for each input channel and tap (ky, kx), two
 * weight vectors and 8 broadcast input values
 * x[2 oy - 1 + ky][2 (xs + i) - 1 + kx], i < 8, each feeding both channel
 * vectors. The stride costs nothing (no even / odd shuffles, no masks, no
 * phase-plane pass), as in conv_gemm_t16 after im2col but without the
 * patches. (16 channels x 16 pixels, one broadcast per multiply-add, ran
 * 1.1-1.2x slower.) Weights [M/32][Cg][3][3][32] (zero padded channels),
 * bias padded to a multiple of 16; group 1. a0..a7: channels m0 .. m0 + 15
 * at pixels 0..7, a8..a15: channels m0 + 16 .. m0 + 31; transposed in
 * registers (CONV_T16_ROUND, 64 permutes), row j holds channel m0 + j's 8
 * pixels in its low half and channel m0 + 16 + j's in its high half,
 * stored as vectors. The last tile of a row is shifted to end at the row
 * end (Wo >= 8) and stores only the pixels the previous one did not.
 * Interior tiles (2 xs + 16 <= W: every column read is inside the row
 * but the padding column -1 of the first tile, a scalar select) run
 * unmasked; rows narrower than 8 outputs and an odd row's last tile check
 * each value (out of line). */
#define CONV_S2T32_PX(i, j) do { \
    float16 u0_ = (float16) (LOAD_ACT (q, 2 * (i))); \
    float16 u1_ = (float16) (LOAD_ACT (q, 2 * (i) + 1)); \
    float16 u2_ = (float16) (LOAD_ACT (q, 2 * (i) + 2)); \
    a##i = fma (u0_, w0, a##i); \
    a##j = fma (u0_, v0, a##j); \
    a##i = fma (u1_, w1, a##i); \
    a##j = fma (u1_, v1, a##j); \
    a##i = fma (u2_, w2, a##i); \
    a##j = fma (u2_, v2, a##j); \
  } while (0)

/* acc (a0..a15 as above) where some value read is outside the row
 * (Wo < 8 or 2 xs + 16 > W): each value bounds-checked. */
static __attribute__ ((noinline)) void
conv_3x3s2_t32_edge (__global const ACT_T *xk, __global const float *wk,
    int H, int W, int Cg, int oy, int xs, int np, float16 *acc)
{
  for (int i = 0; i < 16; i++)
    acc[i] = 0.0f;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < 3; ky++) {
      int iy = 2 * oy - 1 + ky;
      if (iy < 0 || iy >= H)
        continue;
      __global const ACT_T *row = xk + iy * W;
      for (int kx = 0; kx < 3; kx++) {
        float16 wv = vload16 (2 * (3 * ky + kx), wk);
        float16 vv = vload16 (2 * (3 * ky + kx) + 1, wk);
        for (int i = 0; i < np; i++) {
          int col = 2 * (xs + i) - 1 + kx;
          float16 u = (float16) (col >= 0 && col < W ? LOAD_ACT (row, col) :
              0.0f);
          acc[i] = fma (u, wv, acc[i]);
          acc[8 + i] = fma (u, vv, acc[8 + i]);
        }
      }
    }
    xk += H * W;
    wk += 288;
  }
}

/* Row v of the transposed tile: bias, activation, residual, then lanes
 * [l0, l1) of the low half at y[yl + i] (when lo) and of the high half at
 * y[yh + i] (when hi); residual at r[rl + i], r[rh + i]. l1 <= 8. */
static void
conv_s2t32_store (float16 v, __global ACT_T *y, int yl, int yh,
    __global const ACT_T *r, int rl, int rh, int has_res, int lo, int hi,
    int l0, int l1 CONV_STORE16_ARGS)
{
  if (l0 == 0 && l1 == 8 && lo && hi) {
    if (has_res)
      v = CONV_QDQ_RES16 (v + (float16) (LOAD_ACT8 (r, rl), LOAD_ACT8 (r,
                  rh)));
    STORE_ACT8 (y, yl, v.lo);
    STORE_ACT8 (y, yh, v.hi);
    return;
  }
  float t[16];
  vstore16 (v, 0, t);
  if (has_res) {
    for (int i = l0; i < l1; i++) {
      if (lo)
        t[i] += LOAD_ACT (r, rl + i);
      if (hi)
        t[8 + i] += LOAD_ACT (r, rh + i);
    }
    vstore16 (CONV_QDQ_RES16 (vload16 (0, t)), 0, t);
  }
  for (int i = l0; i < l1; i++) {
    if (lo)
      STORE_ACT (y, yl + i, t[i]);
    if (hi)
      STORE_ACT (y, yh + i, t[8 + i]);
  }
}

#ifdef CONV_QDQ
#define CONV_S2T32_STORE(...) conv_s2t32_store (__VA_ARGS__, qe, qmask)
#else
#define CONV_S2T32_STORE(...) conv_s2t32_store (__VA_ARGS__)
#endif

/* The t32 kernels' tile: work-item (mb, it) computes output channels
 * m0 = 32 mb .. m0 + 31 at the 8 pixels of output row oy from column xs
 * (the last tile of a row shifted back to end there: the first skip
 * pixels are its neighbour's, np are inside the row); the accumulators
 * a0..a15 (CONV_GT_DECL16). A last tile with at most 4 new pixels
 * (four: rows of 20, 10, 12 at 320 input) computes only the 4 pixels
 * that end the row (a0..a3, a8..a11): 20 pixels computed for a row of
 * 20, not 24; 12 for 10, not 16. */
#define CONV_T32_TILE \
  int mb = get_global_id (0); \
  int it = get_global_id (1); \
  int nt = (Wo + 7) / 8; \
  int m0 = mb * 32; \
  if (m0 >= M || it >= nt * Ho) \
    return; \
  int oy = it / nt; \
  int x0 = (it % nt) * 8; \
  int four = Wo >= 8 && Wo - x0 <= 4; \
  int xs = four ? Wo - 4 : Wo >= 8 ? min (x0, Wo - 8) : 0; \
  int HW = Ho * Wo, ps = oy * Wo + xs; \
  int skip = x0 - xs, np = min (four ? 4 : 8, Wo - xs); \
  __global const ACT_T *xk = x + x_off; \
  __global const float *wk = w + mb * Cg * 288; \
  CONV_GT_DECL16

/* Their epilogue: a0..a15 transposed in registers (CONV_T16_ROUND x 4),
 * then the 16 rows' bias, activation, residual and stores in a loop (not
 * unrolled, as conv_gemm_t16). */
#define CONV_T32_EPILOGUE do { \
    CONV_T16_ROUND; \
    CONV_T16_ROUND; \
    CONV_T16_ROUND; \
    CONV_T16_ROUND; \
    float16 rows_[16] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, \
      a11, a12, a13, a14, a15 \
    }; \
    _Pragma ("unroll 1") \
    for (int j_ = 0; j_ < 16; j_++) { \
      int ml_ = m0 + j_, mh_ = m0 + 16 + j_; \
      int lo_ = ml_ < M, hi_ = mh_ < M; \
      float16 bv_ = (float16) ((float8) (lo_ ? b[ml_] : 0.0f), \
          (float8) (hi_ ? b[mh_] : 0.0f)); \
      float16 t_ = CONV_ACT16 (rows_[j_] + bv_, act, alpha, beta); \
      CONV_S2T32_STORE (t_, y, y_off + ml_ * HW + ps, \
          y_off + mh_ * HW + ps, r, r_off + ml_ * HW + ps, \
          r_off + mh_ * HW + ps, has_res, lo_, hi_, skip, np); \
    } \
  } while (0)

/* The t32 kernels' loop at stride S: for each input channel k and each
 * kernel row ky inside the image, q (column S xs - 1 of input row
 * S oy - 1 + ky) and the row's six weight vectors w0, v0 .. w2, v2 (taps
 * kx = 0, 1, 2 of channels m0 .., m0 + 16 ..), then the body (the tile's
 * pixels; 48 or 24 multiply-adds per step). */
#define CONV_T32_ROWS(S, ...) do { \
    int ky0_ = oy == 0 ? 1 : 0, ky1_ = min (3, H + 1 - (S) * oy); \
    for (int k = 0; k < Cg; k++) { \
      /* not unrolled (first-launch compile) */ \
      _Pragma ("unroll 1") \
      for (int ky = ky0_; ky < ky1_; ky++) { \
        __global const ACT_T *q = xk + ((S) * oy - 1 + ky) * W \
            + (S) * xs - 1; \
        __global const float *wr = wk + 96 * ky; \
        float16 w0 = vload16 (0, wr), v0 = vload16 (1, wr); \
        float16 w1 = vload16 (2, wr), v1 = vload16 (3, wr); \
        float16 w2 = vload16 (4, wr), v2 = vload16 (5, wr); \
        __VA_ARGS__; \
      } \
      xk += H * W; \
      wk += 288; \
    } \
  } while (0)

/* Global size: (ceil (M / 32), ceil (Wo / 8) * Ho). The bias is padded
 * to a multiple of 16 (not 32): lanes past M read none. */
__kernel void
conv_3x3s2_t32 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg
    CONV_QDQ_ARGS)
{
  CONV_T32_TILE;
  if (four && 2 * xs + 8 <= W) {
    CONV_T32_ROWS (2,
        CONV_S2T32_PX (0, 8);
        CONV_S2T32_PX (1, 9);
        CONV_S2T32_PX (2, 10);
        CONV_S2T32_PX (3, 11));
  } else if (!four && Wo >= 8 && 2 * xs + 16 <= W) {
    CONV_T32_ROWS (2,
        float16 l = (float16) (xs > 0 ? LOAD_ACT (q, 0) : 0.0f);
        float16 u1 = (float16) (LOAD_ACT (q, 1));
        float16 u2 = (float16) (LOAD_ACT (q, 2));
        a0 = fma (l, w0, a0);
        a8 = fma (l, v0, a8);
        a0 = fma (u1, w1, a0);
        a8 = fma (u1, v1, a8);
        a0 = fma (u2, w2, a0);
        a8 = fma (u2, v2, a8);
        CONV_S2T32_PX (1, 9);
        CONV_S2T32_PX (2, 10);
        CONV_S2T32_PX (3, 11);
        CONV_S2T32_PX (4, 12);
        CONV_S2T32_PX (5, 13);
        CONV_S2T32_PX (6, 14);
        CONV_S2T32_PX (7, 15));
  } else {
    float16 acc[16];
    conv_3x3s2_t32_edge (xk, wk, H, W, Cg, oy, xs, np, acc);
    CONV_GT_FROM_ACC (acc);
  }
  CONV_T32_EPILOGUE;
}

/* ---- 3x3 stride 1 pad 1 with lanes over output channels
 * (conv-cpu-3x3s1-t32)
 *
 * conv_3x3s2_t32's work-item at stride 1: 32 output channels (two
 * vectors of 16 lanes) x 8 pixels of one output row; for each input
 * channel and kernel row, six weight vectors and the broadcast input
 * values x[oy - 1 + ky][xs + i - 1 + kx], i < 8, kx < 3 (columns xs - 1 ..
 * xs + 8), each feeding both channel vectors: 48 multiply-adds for 6
 * vector loads and 24 broadcasts, where conv_3x3s1_c8 (16 pixels x 2
 * rows x 8 channels, pixels as the lanes) spends a permute or an
 * unaligned load per neighbour vector. Only the padding columns -1 and
 * W are checked (a scalar select each), so every tile of a row at least
 * 8 wide runs unmasked; narrower rows check each value (out of line).
 * Weights [M/32][Cg][3][3][32] (zero padded channels), bias padded to a
 * multiple of 16; group 1. Tile and epilogue as conv_3x3s2_t32's
 * (CONV_T32_TILE, CONV_T32_EPILOGUE). */
#define CONV_S1T32_PX(i, j, u2) do { \
    float16 u0_ = (float16) (LOAD_ACT (q, (i))); \
    float16 u1_ = (float16) (LOAD_ACT (q, (i) + 1)); \
    float16 u2_ = (u2); \
    a##i = fma (u0_, w0, a##i); \
    a##j = fma (u0_, v0, a##j); \
    a##i = fma (u1_, w1, a##i); \
    a##j = fma (u1_, v1, a##j); \
    a##i = fma (u2_, w2, a##i); \
    a##j = fma (u2_, v2, a##j); \
  } while (0)

/* acc (a0..a15 as conv_3x3s2_t32's) for rows narrower than 8 (W < 8):
 * each value bounds-checked. */
static __attribute__ ((noinline)) void
conv_3x3s1_t32_edge (__global const ACT_T *xk, __global const float *wk,
    int H, int W, int Cg, int oy, int np, float16 *acc)
{
  for (int i = 0; i < 16; i++)
    acc[i] = 0.0f;
  for (int k = 0; k < Cg; k++) {
    for (int ky = 0; ky < 3; ky++) {
      int iy = oy - 1 + ky;
      if (iy < 0 || iy >= H)
        continue;
      __global const ACT_T *row = xk + iy * W;
      for (int kx = 0; kx < 3; kx++) {
        float16 wv = vload16 (2 * (3 * ky + kx), wk);
        float16 vv = vload16 (2 * (3 * ky + kx) + 1, wk);
        for (int i = 0; i < np; i++) {
          int col = i - 1 + kx;
          float16 u = (float16) (col >= 0 && col < W ? LOAD_ACT (row, col) :
              0.0f);
          acc[i] = fma (u, wv, acc[i]);
          acc[8 + i] = fma (u, vv, acc[8 + i]);
        }
      }
    }
    xk += H * W;
    wk += 288;
  }
}

/* Global size: (ceil (M / 32), ceil (W / 8) * H). */
__kernel void
conv_3x3s1_t32 (__global const ACT_T *x, int x_off, __global const float *w,
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int Cg
    CONV_QDQ_ARGS)
{
  CONV_T32_TILE;
  if (four) {
    /* xs = W - 4 >= 4: column xs - 1 inside, xs + 4 the right padding */
    CONV_T32_ROWS (1,
        CONV_S1T32_PX (0, 8, (float16) (LOAD_ACT (q, 2)));
        CONV_S1T32_PX (1, 9, (float16) (LOAD_ACT (q, 3)));
        CONV_S1T32_PX (2, 10, (float16) (LOAD_ACT (q, 4)));
        CONV_S1T32_PX (3, 11, (float16) (0.0f)));
  } else if (W >= 8) {
    int has_l = xs > 0, has_r = xs + 8 < W;
    CONV_T32_ROWS (1,
        float16 l = (float16) (has_l ? LOAD_ACT (q, 0) : 0.0f);
        float16 u1 = (float16) (LOAD_ACT (q, 1));
        float16 u2 = (float16) (LOAD_ACT (q, 2));
        a0 = fma (l, w0, a0);
        a8 = fma (l, v0, a8);
        a0 = fma (u1, w1, a0);
        a8 = fma (u1, v1, a8);
        a0 = fma (u2, w2, a0);
        a8 = fma (u2, v2, a8);
        CONV_S1T32_PX (1, 9, (float16) (LOAD_ACT (q, 3)));
        CONV_S1T32_PX (2, 10, (float16) (LOAD_ACT (q, 4)));
        CONV_S1T32_PX (3, 11, (float16) (LOAD_ACT (q, 5)));
        CONV_S1T32_PX (4, 12, (float16) (LOAD_ACT (q, 6)));
        CONV_S1T32_PX (5, 13, (float16) (LOAD_ACT (q, 7)));
        CONV_S1T32_PX (6, 14, (float16) (LOAD_ACT (q, 8)));
        CONV_S1T32_PX (7, 15, (float16) (has_r ? LOAD_ACT (q, 9) : 0.0f)));
  } else {
    float16 acc[16];
    conv_3x3s1_t32_edge (xk, wk, H, W, Cg, oy, np, acc);
    CONV_GT_FROM_ACC (acc);
  }
  CONV_T32_EPILOGUE;
}

/* ---- Few input channels, stride 2: the stems (conv-cpu-3x3s2-stem,
 * conv-cpu-6x6s2-stem)
 *
 * The first conv of a YOLO model reads the pre-processed frame: C = 3
 * input channels into 16 output channels, 640x640 -> 320x320 (Ultralytics:
 * 3x3 stride 2 pad 1, 27 multiply-adds per output; YOLOv5: 6x6 stride 2
 * pad 2, 108). A work-item computes one output row of 16 output channels
 * (a0..a15: 16 pixels of channel m0 + j), 16 pixels at a time from left to
 * right, so each of the C x K input rows it reads is one long sequential
 * stream (conv_3x3s2_c16's work-groups of 4 tiles stalled on the input
 * loads). For each input row of a tile: two vector loads (32 floats from
 * column 2 xs), their even lanes e and odd lanes o, and shifts of those
 * by one lane (a neighbour value shifted in) give the K taps, each
 * feeding the 16 channels with broadcast weights:
 *   3x3 pad 1: columns 2 x - 1, 2 x, 2 x + 1 = o >> 1, e, o
 *   6x6 pad 2: columns 2 x - 2 .. 2 x + 3 = e >> 1, o >> 1, e, o, e << 1,
 *              o << 1
 * The sums run in conv_3x3s2_c16's and conv_kxk_c8's order (input
 * channel, kernel row, column; the bias added after them), so the results
 * are theirs to the bit. Weights [M/16][C][K][K][16], bias padded to 16;
 * M a multiple of 16, group 1. Tiles whose 32 floats pass the row end (odd or narrow rows)
 * take masked loads, out of line. The last tile of a row is shifted to
 * end at the row end (Wo >= 16) and stores only the pixels the previous
 * one did not. Global size: (M / 16, Ho), local size (1, 1). */
#define CONV_STEM_FMA16(v, w) do { \
    float16 v_ = (v); \
    __global const float *w_ = (w); \
    a0 = fma (v_, (float16) (w_[0]), a0); \
    a1 = fma (v_, (float16) (w_[1]), a1); \
    a2 = fma (v_, (float16) (w_[2]), a2); \
    a3 = fma (v_, (float16) (w_[3]), a3); \
    a4 = fma (v_, (float16) (w_[4]), a4); \
    a5 = fma (v_, (float16) (w_[5]), a5); \
    a6 = fma (v_, (float16) (w_[6]), a6); \
    a7 = fma (v_, (float16) (w_[7]), a7); \
    a8 = fma (v_, (float16) (w_[8]), a8); \
    a9 = fma (v_, (float16) (w_[9]), a9); \
    a10 = fma (v_, (float16) (w_[10]), a10); \
    a11 = fma (v_, (float16) (w_[11]), a11); \
    a12 = fma (v_, (float16) (w_[12]), a12); \
    a13 = fma (v_, (float16) (w_[13]), a13); \
    a14 = fma (v_, (float16) (w_[14]), a14); \
    a15 = fma (v_, (float16) (w_[15]), a15); \
  } while (0)

/* The K taps of input row `row` (its 32 floats from column 2 xs inside
 * the row) into a0..a15; wr: that kernel row's weights [K][16]. */
#define CONV_STEM_ROW3(row, wr) do { \
    __global const ACT_T *q_ = (row) + 2 * xs; \
    float16 u_ = LOAD_ACT16 (q_, 0), t_ = LOAD_ACT16 (q_, 16); \
    float16 e_ = CONV_UNZIP_EVEN (u_, t_), o_ = CONV_UNZIP_ODD (u_, t_); \
    CONV_STEM_FMA16 (CONV_SHR1 (o_, xs > 0 ? LOAD_ACT (q_, -1) : 0.0f), \
        (wr)); \
    CONV_STEM_FMA16 (e_, (wr) + 16); \
    CONV_STEM_FMA16 (o_, (wr) + 32); \
  } while (0)

#define CONV_STEM_ROW6(row, wr) do { \
    __global const ACT_T *q_ = (row) + 2 * xs; \
    float16 u_ = LOAD_ACT16 (q_, 0), t_ = LOAD_ACT16 (q_, 16); \
    float16 e_ = CONV_UNZIP_EVEN (u_, t_), o_ = CONV_UNZIP_ODD (u_, t_); \
    CONV_STEM_FMA16 (CONV_SHR1 (e_, xs > 0 ? LOAD_ACT (q_, -2) : 0.0f), \
        (wr)); \
    CONV_STEM_FMA16 (CONV_SHR1 (o_, xs > 0 ? LOAD_ACT (q_, -1) : 0.0f), \
        (wr) + 16); \
    CONV_STEM_FMA16 (e_, (wr) + 32); \
    CONV_STEM_FMA16 (o_, (wr) + 48); \
    CONV_STEM_FMA16 (CONV_SHL1 (e_, 2 * xs + 32 < W ? LOAD_ACT (q_, 32) : \
            0.0f), (wr) + 64); \
    CONV_STEM_FMA16 (CONV_SHL1 (o_, 2 * xs + 33 < W ? LOAD_ACT (q_, 33) : \
            0.0f), (wr) + 80); \
  } while (0)

/* The tile at xs where its 32 floats pass the row end (or Wo < 16):
 * acc[j] = channel m0 + j's 16 pixels, each value bounds-checked. x: the
 * input's channel 0, wk: the block's weights [C][K][K][16]. */
static __attribute__ ((noinline)) void
conv_stem_edge (__global const ACT_T *x, __global const float *wk, int H,
    int W, int C, int K, int P, int oy, int xs, float16 *acc)
{
  for (int j = 0; j < 16; j++)
    acc[j] = 0.0f;
  for (int k = 0; k < C; k++) {
    for (int ky = 0; ky < K; ky++) {
      int iy = 2 * oy - P + ky;
      if (iy < 0 || iy >= H)
        continue;
      __global const ACT_T *row = x + (k * H + iy) * W;
      for (int kx = 0; kx < K; kx++) {
        float16 v = conv_load16_masked (row, 2 * xs - P + kx, 2, W);
        __global const float *wt = wk + ((k * K + ky) * K + kx) * 16;
        for (int j = 0; j < 16; j++)
          acc[j] = fma (v, (float16) (wt[j]), acc[j]);
      }
    }
  }
}

/* Full tiles with SiLU and no residual (the stems): the 16 channels'
 * SiLU in straight-line code (independent chains the compiler
 * interleaves), then their stores. */
#define CONV_STEM_SILU(j) \
  CONV_STORE_FULL16 (y, y_off + (m0 + (j)) * ostride + po, \
      yolo_silu_fast16 (a##j + b[m0 + (j)]))

#define CONV_STEM_KERNEL(name, K, ROW) \
__kernel void \
name (__global const ACT_T *x, int x_off, __global const float *w, \
    CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int C \
    CONV_QDQ_ARGS) \
{ \
  int mb = get_global_id (0); \
  int oy = get_global_id (1); \
  int m0 = mb * 16; \
  if (m0 >= M || oy >= Ho) \
    return; \
  const int P = ((K) - 1) / 2; \
  int ostride = Ho * Wo, HW = H * W; \
  int ky0 = max (0, P - 2 * oy), ky1 = min ((K), H + P - 2 * oy); \
  __global const ACT_T *xc = x + x_off; \
  __global const float *wb = w + mb * C * (K) * (K) * 16; \
  int fast_epi = act == YOLO_ACT_SILU && !has_res && CONV_PLAIN_EPI; \
  for (int x0 = 0; x0 < Wo; x0 += 16) { \
    int xs = Wo >= 16 ? min (x0, Wo - 16) : 0; \
    int po = oy * Wo + xs, l0 = x0 - xs, l1 = min (16, Wo - xs); \
    CONV_GT_DECL16; \
    if (Wo >= 16 && 2 * xs + 32 <= W) { \
      /* input row 2 oy - P + ky0, the first inside the image */ \
      __global const ACT_T *xk = xc + (2 * oy - P + ky0) * W; \
      __global const float *wk = wb; \
      for (int k = 0; k < C; k++) { \
        _Pragma ("unroll 1") \
        for (int ky = ky0; ky < ky1; ky++) \
          ROW (xk + (ky - ky0) * W, wk + ky * (K) * 16); \
        xk += HW; \
        wk += (K) * (K) * 16; \
      } \
    } else { \
      float16 acc[16]; \
      conv_stem_edge (xc, wb, H, W, C, (K), P, oy, xs, acc); \
      CONV_GT_FROM_ACC (acc); \
    } \
    if (fast_epi && l0 == 0 && l1 == 16) { \
      CONV_STEM_SILU (0); \
      CONV_STEM_SILU (1); \
      CONV_STEM_SILU (2); \
      CONV_STEM_SILU (3); \
      CONV_STEM_SILU (4); \
      CONV_STEM_SILU (5); \
      CONV_STEM_SILU (6); \
      CONV_STEM_SILU (7); \
      CONV_STEM_SILU (8); \
      CONV_STEM_SILU (9); \
      CONV_STEM_SILU (10); \
      CONV_STEM_SILU (11); \
      CONV_STEM_SILU (12); \
      CONV_STEM_SILU (13); \
      CONV_STEM_SILU (14); \
      CONV_STEM_SILU (15); \
    } else { \
      /* bias, activation, residual, lanes [l0, l1): one channel at a \
       * time (not unrolled: other activations, edges) */ \
      float16 acc[16] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, \
        a11, a12, a13, a14, a15 \
      }; \
      _Pragma ("unroll 1") \
      for (int j = 0; j < 16; j++) { \
        int c_ = (m0 + j) * ostride + po; \
        CONV_STORE16 (CONV_ACT16 (acc[j] + b[m0 + j], act, alpha, beta), \
            y, y_off + c_, r, r_off + c_, has_res, l0, l1); \
      } \
    } \
  } \
}

CONV_STEM_KERNEL (conv_3x3s2_stem, 3, CONV_STEM_ROW3)
CONV_STEM_KERNEL (conv_6x6s2_stem, 6, CONV_STEM_ROW6)
