/* pool.cl - MaxPool / AveragePool / global pooling over NCHW planes.
 *
 * A "plane" is one (n, c) image of H x W; 1-D pooling uses H = 1. */

#define POOL_MAX 0
#define POOL_AVG 1              /* divisor: valid input positions */
#define POOL_AVG_INCL_PAD 2     /* divisor: positions inside the padded input */

/* Elements s..s+15 of the 32-element concatenation of a and b (constant
 * shuffles: a runtime shuffle mask would be scalarised). */
static inline float16
pool_shift16 (float16 a, float16 b, int s)
{
  switch (s) {
    case 0:
      return a;
    case 1:
      return shuffle2 (a, b, (uint16) (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16));
    case 2:
      return shuffle2 (a, b, (uint16) (2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17));
    case 3:
      return shuffle2 (a, b, (uint16) (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18));
    case 4:
      return shuffle2 (a, b, (uint16) (4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19));
    case 5:
      return shuffle2 (a, b, (uint16) (5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20));
    case 6:
      return shuffle2 (a, b, (uint16) (6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21));
    case 7:
      return shuffle2 (a, b, (uint16) (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22));
    case 8:
      return shuffle2 (a, b, (uint16) (8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23));
    case 9:
      return shuffle2 (a, b, (uint16) (9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24));
    case 10:
      return shuffle2 (a, b, (uint16) (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25));
    case 11:
      return shuffle2 (a, b, (uint16) (11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26));
    case 12:
      return shuffle2 (a, b, (uint16) (12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    case 13:
      return shuffle2 (a, b, (uint16) (13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28));
    case 14:
      return shuffle2 (a, b, (uint16) (14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
    case 15:
      return shuffle2 (a, b, (uint16) (15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30));
    default:
      return b;
  }
}

/* 16 pixels of a row from column start, with indices clamped into
 * [0, W - 1] (edge replication). `avail` elements from the row start lie
 * inside the tensor: rows narrower than 16 (SPPF at 10x10, YOLOX's SPP at
 * 13x13) take one vector load that reads on into the next row, the lanes
 * past the row end replaced by its last pixel. */
static inline float16
pool_row16 (__global const ACT_T *row, int start, int W, int avail)
{
  if (start >= 0 && start + 16 <= W)
    return LOAD_ACT16 (row, start);
  if (start >= W)
    return (float16) (LOAD_ACT (row, W - 1));
  if (start <= -16)
    return (float16) (LOAD_ACT (row, 0));
  if (start > 0 && W >= 16)     /* tail: shift the last 16 pixels left */
    return pool_shift16 (LOAD_ACT16 (row, W - 16),
        (float16) (LOAD_ACT (row, W - 1)), start - (W - 16));
  if (start >= 0 && start + 16 <= avail)
    return select (LOAD_ACT16 (row, start), (float16) (LOAD_ACT (row, W - 1)),
        (int16) (start) + (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
            13, 14, 15) >= W);
  float r[16];
  for (int i = 0; i < 16; i++)
    r[i] = LOAD_ACT (row, clamp (start + i, 0, W - 1));
  return vload16 (0, r);
}

/* Max pooling with stride 1, dilation 1, kw <= 17 and pads smaller than
 * the kernel (YOLO SPPF: 5x5, pad 2): 16 consecutive outputs of one row per
 * work-item. With such pads every window holds the nearest edge pixel, so
 * clamping indices into the image (edge replication) gives the same max as
 * -inf padding. The kh rows are reduced vertically into three float16 (the
 * aligned 16 columns before, at and after the outputs), then the kw
 * horizontal taps are constant shuffles of those.
 * gws: (ceil (OW / 16), OH, planes). */
__kernel void
pool_max_s1_w16 (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int H, int W, int OH, int OW, int kh, int kw,
    int ph, int pw)
{
  int ow0 = get_global_id (0) * 16;
  int oh = get_global_id (1);
  int p = get_global_id (2);
  if (ow0 >= OW || oh >= OH || p >= planes)
    return;

  __global const ACT_T *src = x + x_off + (size_t) p * H * W;
  float16 vp = (float16) (-INFINITY);
  float16 vc = (float16) (-INFINITY);
  float16 vn = (float16) (-INFINITY);
  int need_next = kw - 1 - pw > 0;

  for (int ky = 0; ky < kh; ky++) {
    int iy = clamp (oh - ph + ky, 0, H - 1);
    __global const ACT_T *row = src + iy * W;
    int avail = (planes - p) * H * W - iy * W;
    if (pw > 0)
      vp = fmax (vp, pool_row16 (row, ow0 - 16, W, avail));
    vc = fmax (vc, pool_row16 (row, ow0, W, avail));
    if (need_next)
      vn = fmax (vn, pool_row16 (row, ow0 + 16, W, avail));
  }
  float16 m = (float16) (-INFINITY);
  for (int kx = 0; kx < kw; kx++) {
    int sh = 16 - pw + kx;
    m = fmax (m, sh < 16 ? pool_shift16 (vp, vc, sh)
        : pool_shift16 (vc, vn, sh - 16));
  }

  __global ACT_T *dst = y + y_off + ((size_t) p * OH + oh) * OW + ow0;
  if (ow0 + 16 <= OW) {
    STORE_ACT16 (dst, 0, m);
  } else {
    float tmp[16];
    vstore16 (m, 0, tmp);
    for (int i = 0; i < OW - ow0; i++)
      STORE_ACT (dst, i, tmp[i]);
  }
}

/* Lanes s..s+15 of the 32 lanes (a, b), s = 1, 2, 4 or 8 (constant
 * shuffles). */
#define POOL_SH1(a, b) shuffle2 ((a), (b), (uint16) (1, 2, 3, 4, 5, 6, 7, 8, \
        9, 10, 11, 12, 13, 14, 15, 16))
#define POOL_SH2(a, b) shuffle2 ((a), (b), (uint16) (2, 3, 4, 5, 6, 7, 8, 9, \
        10, 11, 12, 13, 14, 15, 16, 17))
#define POOL_SH4(a, b) shuffle2 ((a), (b), (uint16) (4, 5, 6, 7, 8, 9, 10, \
        11, 12, 13, 14, 15, 16, 17, 18, 19))
#define POOL_SH8(a, b) shuffle2 ((a), (b), (uint16) (8, 9, 10, 11, 12, 13, \
        14, 15, 16, 17, 18, 19, 20, 21, 22, 23))

/* One doubling step of pool_window16: the windows of (lo, hi) grow from
 * len to 2 len lanes. */
#define POOL_DOUBLE(SH) do { \
    lo = fmax (lo, SH (lo, hi)); \
    hi = fmax (hi, SH (hi, ninf)); \
  } while (0)

/* Lane i of the result: the max of lanes [i, i + n) of the 32 lanes
 * (lo, hi), -inf past them; n in [1, 17]. Windows of 1, 2, 4, 8, 16 lanes
 * by doubling, then the overlap of two windows of the largest power of
 * two <= n (max is idempotent): 2 + log2 (n) shuffles per vector instead
 * of n. */
static inline float16
pool_window16 (float16 lo, float16 hi, int n)
{
  float16 ninf = (float16) (-INFINITY);
  int len = 1;
  if (n >= 2) {
    POOL_DOUBLE (POOL_SH1);
    len = 2;
  }
  if (n >= 4) {
    POOL_DOUBLE (POOL_SH2);
    len = 4;
  }
  if (n >= 8) {
    POOL_DOUBLE (POOL_SH4);
    len = 8;
  }
  if (n >= 16) {
    POOL_DOUBLE (POOL_SH8);
    len = 16;
  }
  return len < n ? fmax (lo, pool_shift16 (lo, hi, n - len)) : lo;
}

/* Max pooling with stride 1 and dilation 1 of planes at most 16 x 16 whose
 * output rows are at most 16 wide (SPPF at 10x10, YOLOX's SPP at 13x13):
 * one plane per work-item. Each input row is loaded once (lanes past W set
 * to -inf), placed pw lanes to the right in 32 lanes (-inf on the left)
 * and reduced over windows of kw lanes (pool_window16); each output row is
 * then the max of the kh reduced rows inside the plane. That is the max
 * over the window's pixels inside the image: ONNX's -inf padding (pads
 * smaller than the kernel: no window is all padding). pool_max_s1_w16
 * reduced the kh rows of every output row again from memory, with kw
 * shuffles per vector, one work-item per output row.
 * src, dst: the plane's first elements; avail: the elements from src to
 * the end of its tensor (vector loads stay inside it). */
static inline void
pool_plane16 (__global const ACT_T *src, __global ACT_T *dst, int avail,
    int H, int W, int OH, int OW, int kh, int kw, int ph, int pw)
{
  float16 ninf = (float16) (-INFINITY);
  int16 past = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
      >= W;
  float16 hm[16];

  for (int iy = 0; iy < H; iy++) {
    __global const ACT_T *row = src + iy * W;
    float16 r;
    /* one vector load when 16 elements from the row start lie inside
     * the tensor (it reads on into the next rows), else element by
     * element */
    if (avail - iy * W >= 16) {
      r = LOAD_ACT16 (row, 0);
    } else {
      float t[16];
      for (int i = 0; i < 16; i++)
        t[i] = i < W ? LOAD_ACT (row, i) : 0.0f;
      r = vload16 (0, t);
    }
    r = select (r, ninf, past);
    hm[iy] = pool_window16 (pool_shift16 (ninf, r, 16 - pw),
        pool_shift16 (r, ninf, 16 - pw), kw);
  }
  for (int oh = 0; oh < OH; oh++) {
    int y0 = max (oh - ph, 0), y1 = min (oh - ph + kh, H);
    float16 m = hm[y0];
    for (int iy = y0 + 1; iy < y1; iy++)
      m = fmax (m, hm[iy]);
    if (oh * OW + 16 <= OH * OW) {
      /* lanes past OW land in the next rows of the plane, written after
       * this one */
      STORE_ACT16 (dst, oh * OW, m);
    } else {
      float t[16];
      vstore16 (m, 0, t);
      for (int i = 0; i < OW; i++)
        STORE_ACT (dst, oh * OW + i, t[i]);
    }
  }
}

/* pool_plane16 per work-item. gws: planes. */
__kernel void
pool_max_s1_plane (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int H, int W, int OH, int OW, int kh, int kw,
    int ph, int pw)
{
  int p = get_global_id (0);
  if (p >= planes)
    return;
  pool_plane16 (x + x_off + (size_t) p * H * W, y + y_off + (size_t) p * OH
      * OW, (planes - p) * H * W, H, W, OH, OW, kh, kw, ph, pw);
}

/* Max pooling with stride 1 and dilation 1 of rows at most 32 wide whose
 * output rows are at most 32 wide (SPPF at 20x20 in the 640 models), under
 * the same conditions as pool_max_s1_plane: one plane per work-item. Each
 * output row is the max of its kh input rows inside the plane (two float16
 * per row, lanes past W set to -inf), placed pw lanes to the right in 48
 * lanes (-inf on both sides) and reduced over windows of kw lanes
 * (pool_window16) twice: lanes 0-15 and 16-31 of the output row. The
 * 16-wide rows of pool_max_s1_w16 reloaded each input row three times per
 * 16 outputs, with kw shuffles each. src, dst, avail_plane as in
 * pool_plane16. */
static inline void
pool_plane32 (__global const ACT_T *src, __global ACT_T *dst,
    int avail_plane, int H, int W, int OH, int OW, int kh, int kw, int ph,
    int pw)
{
  float16 ninf = (float16) (-INFINITY);
  int16 lane = (int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  int16 past0 = lane >= W, past1 = lane + 16 >= W;

  for (int oh = 0; oh < OH; oh++) {
    int y0 = max (oh - ph, 0), y1 = min (oh - ph + kh, H);
    float16 m0 = ninf, m1 = ninf;
    for (int iy = y0; iy < y1; iy++) {
      __global const ACT_T *row = src + iy * W;
      float16 r0, r1;
      /* two vector loads when 32 elements from the row start lie inside
       * the tensor (they read on into the next rows), else element by
       * element */
      if (avail_plane - iy * W >= 32) {
        r0 = LOAD_ACT16 (row, 0);
        r1 = LOAD_ACT16 (row, 16);
      } else {
        float t[32];
        for (int i = 0; i < 32; i++)
          t[i] = i < W ? LOAD_ACT (row, i) : 0.0f;
        r0 = vload16 (0, t);
        r1 = vload16 (1, t);
      }
      m0 = fmax (m0, select (r0, ninf, past0));
      m1 = fmax (m1, select (r1, ninf, past1));
    }
    float16 s0 = pool_shift16 (ninf, m0, 16 - pw);
    float16 s1 = pool_shift16 (m0, m1, 16 - pw);
    float16 s2 = pool_shift16 (m1, ninf, 16 - pw);
    float16 o0 = pool_window16 (s0, s1, kw);
    float16 o1 = pool_window16 (s1, s2, kw);
    if (oh * OW + 32 <= OH * OW) {
      /* lanes past OW land in the next rows of the plane, written after
       * this one */
      STORE_ACT16 (dst, oh * OW, o0);
      STORE_ACT16 (dst, oh * OW + 16, o1);
    } else {
      float t[32];
      vstore16 (o0, 0, t);
      vstore16 (o1, 1, t);
      for (int i = 0; i < OW; i++)
        STORE_ACT (dst, oh * OW + i, t[i]);
    }
  }
}

/* pool_plane32 per work-item. gws: planes. */
__kernel void
pool_max_s1_plane32 (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int H, int W, int OH, int OW, int kh, int kw,
    int ph, int pw)
{
  int p = get_global_id (0);
  if (p >= planes)
    return;
  pool_plane32 (x + x_off + (size_t) p * H * W, y + y_off + (size_t) p * OH
      * OW, (planes - p) * H * W, H, W, OH, OW, kh, kw, ph, pw);
}

/* SPP and SPPF in one launch: three same-size max poolings (kernel kj x kj,
 * pads kj / 2, kj odd, stride 1) of planes at most 16 x 16 (plane16 set)
 * or at most 64 x 32 (else), one plane per work-item; output j pools x
 * (chain 0: YOLOX's and YOLOv5's SPP, 5 / 9 / 13 side by side) or output
 * j - 1 (chain 1: SPPF's three 5 x 5 in a row), which this work-item has
 * just written (a work-item reads its own writes; the vector loads that
 * run on into the next plane read lanes set to -inf). The same arithmetic
 * as three pool_max_s1_plane / plane32 launches, so the same bits: one
 * launch instead of three (each launch costs a hand-over between PoCL's
 * threads: docs/performance.md, "Idle cores between launches").
 * gws: planes. */
__kernel void
pool_max_s1_spp (__global const ACT_T *x, int x_off, __global ACT_T *y1,
    int y1_off, __global ACT_T *y2, int y2_off, __global ACT_T *y3,
    int y3_off, int planes, int H, int W, int k1, int k2, int k3, int chain,
    int plane16)
{
  int p = get_global_id (0);
  if (p >= planes)
    return;

  size_t o = (size_t) p * H * W;
  int avail = (planes - p) * H * W;
  __global const ACT_T *src = x + x_off + o;
  __global ACT_T *d1 = y1 + y1_off + o;
  __global ACT_T *d2 = y2 + y2_off + o;
  __global ACT_T *d3 = y3 + y3_off + o;
  if (plane16) {
    pool_plane16 (src, d1, avail, H, W, H, W, k1, k1, k1 / 2, k1 / 2);
    pool_plane16 (chain ? d1 : src, d2, avail, H, W, H, W, k2, k2, k2 / 2,
        k2 / 2);
    pool_plane16 (chain ? d2 : src, d3, avail, H, W, H, W, k3, k3, k3 / 2,
        k3 / 2);
  } else {
    pool_plane32 (src, d1, avail, H, W, H, W, k1, k1, k1 / 2, k1 / 2);
    pool_plane32 (chain ? d1 : src, d2, avail, H, W, H, W, k2, k2, k2 / 2,
        k2 / 2);
    pool_plane32 (chain ? d2 : src, d3, avail, H, W, H, W, k3, k3, k3 / 2,
        k3 / 2);
  }
}

/* Any 2-D max / average pooling: one output per work-item.
 * peh, pew: end pads (for the count_include_pad divisor).
 * gws: (OW, OH, planes). */
__kernel void
pool_generic (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int H, int W, int OH, int OW, int kh, int kw,
    int sh, int sw, int ph, int pw, int peh, int pew, int dh, int dw,
    int mode)
{
  int ow = get_global_id (0);
  int oh = get_global_id (1);
  int p = get_global_id (2);
  if (ow >= OW || oh >= OH || p >= planes)
    return;

  __global const ACT_T *src = x + x_off + (size_t) p * H * W;
  int hs = oh * sh - ph;
  int ws = ow * sw - pw;
  float m = -INFINITY;
  float s = 0.0f;
  int cnt = 0, cnt_pad = 0;

  for (int ky = 0; ky < kh; ky++) {
    int iy = hs + ky * dh;
    if (iy >= H + peh)
      break;
    for (int kx = 0; kx < kw; kx++) {
      int ix = ws + kx * dw;
      if (ix >= W + pew)
        break;
      cnt_pad++;
      if (iy < 0 || iy >= H || ix < 0 || ix >= W)
        continue;
      float v = LOAD_ACT (src, iy * W + ix);
      m = fmax (m, v);
      s += v;
      cnt++;
    }
  }

  float r;
  if (mode == POOL_MAX)
    r = m;
  else if (mode == POOL_AVG_INCL_PAD)
    r = cnt_pad > 0 ? s / (float) cnt_pad : 0.0f;
  else
    r = cnt > 0 ? s / (float) cnt : 0.0f;
  STORE_ACT (y, y_off + ((size_t) p * OH + oh) * OW + ow, r);
}

/* GlobalAveragePool / GlobalMaxPool: one plane of hw elements per
 * work-item, float16 accumulation. gws: (planes). */
__kernel void
pool_global (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int hw, int is_max)
{
  int p = get_global_id (0);
  if (p >= planes)
    return;
  __global const ACT_T *src = x + x_off + (size_t) p * hw;
  int i = 0;
  float r;
  if (is_max) {
    float16 m = (float16) (-INFINITY);
    for (; i + 16 <= hw; i += 16)
      m = fmax (m, LOAD_ACT16 (src, i));
    float8 m8 = fmax (m.lo, m.hi);
    float4 m4 = fmax (m8.lo, m8.hi);
    float2 m2 = fmax (m4.lo, m4.hi);
    r = fmax (m2.lo, m2.hi);
    for (; i < hw; i++)
      r = fmax (r, LOAD_ACT (src, i));
  } else {
    float16 s = (float16) (0.0f);
    for (; i + 16 <= hw; i += 16)
      s += LOAD_ACT16 (src, i);
    float8 s8 = s.lo + s.hi;
    float4 s4 = s8.lo + s8.hi;
    float2 s2 = s4.lo + s4.hi;
    r = s2.lo + s2.hi;
    for (; i < hw; i++)
      r += LOAD_ACT (src, i);
    r /= (float) hw;
  }
  STORE_ACT (y, y_off + p, r);
}
