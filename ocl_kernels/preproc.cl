/* preproc.cl - video frame -> model input tensor (yolo-preproc.c).
 *
 * One work-item per model input pixel (x, y). Pixels outside the resized
 * frame get the padding value; inside, the four source pixels are blended
 * with OpenCV's INTER_LINEAR fixed-point weights (11-bit coefficients from
 * the host tables; vertical pass as OpenCV's SIMD path: ((h >> 4) * b) >> 16,
 * + 2, >> 2), which makes the result bit-exact with cv2.resize for 8-bit
 * RGB input. Then value * scale goes to the three planes of the NCHW tensor
 * (R,G,B or B,G,R).
 *
 * YUV and grey formats (preproc_yuv) first turn each of the four source
 * pixels into the 8-bit RGB that GStreamer 1.22's videoconvert produces for
 * it (chroma upsampled and matrix applied with videoconvert's integer
 * arithmetic), then blend those like preproc_packed: the tensor equals
 * `videoconvert ! video/x-raw,format=RGB` followed by the RGB path.
 *
 * Same arithmetic as yolo_preproc_reference() in yolo-preproc.c.
 */

/* OpenCV's vertical blend of two horizontal sums (int, 8-bit result). */
#define PREPROC_VBLEND(h0, h1, b0, b1) \
  clamp ((((((h0) >> 4) * (b0)) >> 16) + ((((h1) >> 4) * (b1)) >> 16) + 2) >> 2, \
      0, 255)

static inline void
preproc_store (__global ACT_T *d, int plane, float3 f, int bgr)
{
  if (bgr) {
    STORE_ACT (d, 0, f.z);
    STORE_ACT (d, plane, f.y);
    STORE_ACT (d, 2 * plane, f.x);
  } else {
    STORE_ACT (d, 0, f.x);
    STORE_ACT (d, plane, f.y);
    STORE_ACT (d, 2 * plane, f.z);
  }
}

/* Packed RGB-like formats: bpp bytes per pixel, R/G/B at byte ri/gi/bi. */
__kernel void
preproc_packed (__global const uchar * src, int off, int stride, int bpp,
    int ri, int gi, int bi,
    __global const int4 * xtab, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global ACT_T *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr)
{
  int x = get_global_id (0);
  int y = get_global_id (1);
  if (x >= dst_w || y >= dst_h)
    return;

  int plane = dst_w * dst_h;
  __global ACT_T *d = dst + dst_off + y * dst_w + x;
  int cx = x - pad_x, cy = y - pad_y;
  if (cx < 0 || cy < 0 || cx >= new_w || cy >= new_h) {
    STORE_ACT (d, 0, pad);
    STORE_ACT (d, plane, pad);
    STORE_ACT (d, 2 * plane, pad);
    return;
  }

  int4 tx = xtab[cx];           /* x0, x1, a0, a1 */
  int4 ty = ytab[cy];           /* y0, y1, b0, b1 */
  __global const uchar *r0 = src + off + ty.x * stride;
  __global const uchar *r1 = src + off + ty.y * stride;
  int c0 = tx.x * bpp, c1 = tx.y * bpp;
  int3 p00 = (int3) (r0[c0 + ri], r0[c0 + gi], r0[c0 + bi]);
  int3 p01 = (int3) (r0[c1 + ri], r0[c1 + gi], r0[c1 + bi]);
  int3 p10 = (int3) (r1[c0 + ri], r1[c0 + gi], r1[c0 + bi]);
  int3 p11 = (int3) (r1[c1 + ri], r1[c1 + gi], r1[c1 + bi]);
  int3 h0 = p00 * tx.z + p01 * tx.w;
  int3 h1 = p10 * tx.z + p11 * tx.w;
  int3 v = PREPROC_VBLEND (h0, h1, ty.z, ty.w);
  preproc_store (d, plane, convert_float3 (v) * scale, bgr);
}

/* videoconvert's 8-bit YUV -> RGB (video_orc_convert_I420_ARGB and
 * video_orc_convert_AYUV_ARGB): each (v - 128) is widened to 16 bits by
 * byte duplication (x * 257, + 256 when negative), multiplied by an 8.8
 * coefficient keeping the high 16 bits, summed, saturated to -128..127 and
 * offset by 128. m = (luma gain, V->R, U->B, U->G), gv = V->G. */
static inline int
preproc_splat (int v)
{
  v -= 128;
  return v * 256 + (v & 0xff);
}

static inline int3
preproc_yuv_rgb (int y, int u, int v, int4 m, int gv)
{
  int wy = (preproc_splat (y) * m.x) >> 16;
  int wu = preproc_splat (u), wv = preproc_splat (v);
  int3 c = (int3) (wy + ((wv * m.y) >> 16),
      wy + ((wu * m.w) >> 16) + ((wv * gv) >> 16),
      wy + ((wu * m.z) >> 16));
  return clamp (c, -128, 127) + 128;
}

/* Chroma upsampling as videoconvert does it (video-chroma.c), along one
 * axis of n luma samples: luma coordinate c reads chroma samples a and b
 * and blends them (wa * A + (4 - wa) * B + 2) >> 2. Modes: 0 not
 * subsampled (a = b = c); 1 nearest sample (its I420 fast path, and
 * vertically co-sited chroma, which it does not interpolate); 2
 * interstitial sites (jpeg / mpeg1: 3:1 and 1:3); 3 co-sited (mpeg2: even
 * positions copy, odd ones average: (2A + 2B + 2) >> 2 = (A + B + 1) >> 1).
 * Indices are clamped to the plane, so the first and the last position
 * copy their own sample, as videoconvert's edges do. Returns (a, b, wa). */
static inline int3
preproc_chroma_taps (int c, int n, int mode)
{
  if (mode == 0)
    return (int3) (c, c, 2);
  int k = c >> 1, odd = c & 1, last = (n - 1) >> 1;
  int a = (mode == 2 && !odd) ? k - 1 : k;
  int b = (mode >= 2 && odd) ? k + 1 : k;
  int wa = mode == 2 ? (odd ? 3 : 1) : 2;
  return (int3) (clamp (a, 0, last), clamp (b, 0, last), wa);
}

/* One chroma value: horizontal blend on rows ty.x and ty.y, then vertical
 * (videoconvert's order and rounding). */
static inline int
preproc_chroma (__global const uchar * p, int st, int step, int3 tx, int3 ty)
{
  __global const uchar *ra = p + ty.x * st, *rb = p + ty.y * st;
  int ha = (tx.z * ra[tx.x * step] + (4 - tx.z) * ra[tx.y * step] + 2) >> 2;
  int hb = (tx.z * rb[tx.x * step] + (4 - tx.z) * rb[tx.y * step] + 2) >> 2;
  return (ty.z * ha + (4 - ty.z) * hb + 2) >> 2;
}

/* The RGB videoconvert gives for frame pixel (x, y) whose chroma taps are
 * cx, cy (preproc_chroma_taps). gray: no chroma (U = V = 128). */
static inline int3
preproc_yuv_tap (__global const uchar * sy, int off_y, int st_y, int ystep,
    __global const uchar * su, int off_u, int st_u,
    __global const uchar * sv, int off_v, int st_v, int cstep, int gray,
    int4 m, int gv, int x, int y, int3 cx, int3 cy)
{
  int yy = sy[off_y + y * st_y + x * ystep];
  int u = 128, v = 128;

  if (!gray) {
    u = preproc_chroma (su + off_u, st_u, cstep, cx, cy);
    v = preproc_chroma (sv + off_v, st_v, cstep, cx, cy);
  }
  return preproc_yuv_rgb (yy, u, v, m, gv);
}

/* YUV / grey frames of frame_w x frame_h: luma at sy + off_y + y * st_y +
 * x * ystep; U samples at su + off_u + row * st_u + k * cstep, V likewise
 * (cstep: planar 1, semi-planar 2, packed 4:2:2 4). sy, su, sv may be the
 * same buffer. */
__kernel void
preproc_yuv (__global const uchar * sy, int off_y, int st_y, int ystep,
    __global const uchar * su, int off_u, int st_u,
    __global const uchar * sv, int off_v, int st_v, int cstep, int hmode,
    int vmode,
    int gray, int frame_w, int frame_h,
    int m_y, int m_rv, int m_bu, int m_gu, int gv,
    __global const int4 * xtab, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global ACT_T *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr)
{
  int x = get_global_id (0);
  int y = get_global_id (1);
  if (x >= dst_w || y >= dst_h)
    return;

  int plane = dst_w * dst_h;
  __global ACT_T *d = dst + dst_off + y * dst_w + x;
  int cx = x - pad_x, cy = y - pad_y;
  if (cx < 0 || cy < 0 || cx >= new_w || cy >= new_h) {
    STORE_ACT (d, 0, pad);
    STORE_ACT (d, plane, pad);
    STORE_ACT (d, 2 * plane, pad);
    return;
  }

  int4 tx = xtab[cx];
  int4 ty = ytab[cy];
  int4 m = (int4) (m_y, m_rv, m_bu, m_gu);
  int3 cx0 = preproc_chroma_taps (tx.x, frame_w, hmode);
  int3 cx1 = preproc_chroma_taps (tx.y, frame_w, hmode);
  int3 cy0 = preproc_chroma_taps (ty.x, frame_h, vmode);
  int3 cy1 = preproc_chroma_taps (ty.y, frame_h, vmode);
#define PREPROC_TAP(px, py, tcx, tcy) preproc_yuv_tap (sy, off_y, st_y, \
      ystep, su, off_u, st_u, sv, off_v, st_v, cstep, gray, m, gv, px, py, \
      tcx, tcy)
  int3 p00 = PREPROC_TAP (tx.x, ty.x, cx0, cy0);
  int3 p01 = PREPROC_TAP (tx.y, ty.x, cx1, cy0);
  int3 p10 = PREPROC_TAP (tx.x, ty.y, cx0, cy1);
  int3 p11 = PREPROC_TAP (tx.y, ty.y, cx1, cy1);
#undef PREPROC_TAP
  int3 h0 = p00 * tx.z + p01 * tx.w;
  int3 h1 = p10 * tx.z + p11 * tx.w;
  int3 v = PREPROC_VBLEND (h0, h1, ty.z, ty.w);
  preproc_store (d, plane, convert_float3 (v) * scale, bgr);
}

/* ---- wide variants (CPUs that want explicit vectors: PoCL) -------------
 *
 * The same arithmetic on int16 vectors: one work-item writes 16
 * neighbouring output pixels in each of `rows` rows (PoCL does not
 * vectorise across work-items, and many small work-groups cost; the column
 * taps are computed once for all rows). The column
 * taps come from xs, a structure-of-arrays copy of the horizontal table
 * indexed by output column: x0 at xs[x], x1 at xs[n + x], a0 at
 * xs[2 n + x], a1 at xs[3 n + x], n = dst_w rounded up to 16 (zeros outside
 * the resized frame, whose lanes get the padding). Source bytes are
 * gathered lane by lane; everything after is vector math, and each plane
 * gets one 16-float store. Chroma blends whose two taps are always the same
 * sample (nearest / not subsampled: (w A + (4 - w) A + 2) >> 2 = A) are
 * skipped. Work-item (i, j): columns 16 i.., rows `rows` j.. */

/* PoCL's compiler otherwise calls the per-tap helpers out of line, passing
 * a dozen int16 vectors through memory (a quarter of the YUV time). */
#if defined(__clang__)
#define PREPROC_INLINE __attribute__ ((always_inline))
#else
#define PREPROC_INLINE
#endif

#define PREPROC_IOTA16 \
  ((int16) (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15))

static inline int16
preproc_gather16 (__global const uchar * p, int16 i)
{
  return convert_int16 ((uchar16) (p[i.s0], p[i.s1], p[i.s2], p[i.s3],
          p[i.s4], p[i.s5], p[i.s6], p[i.s7], p[i.s8], p[i.s9], p[i.sa],
          p[i.sb], p[i.sc], p[i.sd], p[i.se], p[i.sf]));
}

/* The three planes' n (<= 16) values at d, d + plane, d + 2 plane. */
static inline void
preproc_store16 (__global ACT_T *d, int plane, int n, float16 v0,
    float16 v1, float16 v2)
{
  if (n == 16) {
    STORE_ACT16 (d, 0, v0);
    STORE_ACT16 (d, plane, v1);
    STORE_ACT16 (d, 2 * plane, v2);
  } else {
    float a0[16], a1[16], a2[16];
    vstore16 (v0, 0, a0);
    vstore16 (v1, 0, a1);
    vstore16 (v2, 0, a2);
    for (int i = 0; i < n; i++) {
      STORE_ACT (d, i, a0[i]);
      STORE_ACT (d, plane + i, a1[i]);
      STORE_ACT (d, 2 * plane + i, a2[i]);
    }
  }
}

/* Blend (OpenCV's weights), scale, pad the lanes outside the frame (out),
 * store. */
static inline void
preproc_w16_finish (__global ACT_T *d, int plane, int n, int16 out,
    int16 a0, int16 a1, int4 ty, float scale, float pad, int bgr,
    int16 r00, int16 g00, int16 b00, int16 r01, int16 g01, int16 b01,
    int16 r10, int16 g10, int16 b10, int16 r11, int16 g11, int16 b11)
{
  int16 r = PREPROC_VBLEND (r00 * a0 + r01 * a1, r10 * a0 + r11 * a1,
      ty.z, ty.w);
  int16 g = PREPROC_VBLEND (g00 * a0 + g01 * a1, g10 * a0 + g11 * a1,
      ty.z, ty.w);
  int16 b = PREPROC_VBLEND (b00 * a0 + b01 * a1, b10 * a0 + b11 * a1,
      ty.z, ty.w);
  float16 fr = select (convert_float16 (r) * scale, (float16) (pad), out);
  float16 fg = select (convert_float16 (g) * scale, (float16) (pad), out);
  float16 fb = select (convert_float16 (b) * scale, (float16) (pad), out);
  if (bgr)
    preproc_store16 (d, plane, n, fb, fg, fr);
  else
    preproc_store16 (d, plane, n, fr, fg, fb);
}

/* The work-item's columns: xb (first), n (how many: 16 but at the row
 * end), out (lanes outside the resized frame), any (some lane inside). */
#define PREPROC_W16_COLUMNS \
  int xb = get_global_id (0) * 16; \
  int yb = get_global_id (1) * rows; \
  if (xb >= dst_w || yb >= dst_h) \
    return; \
  int n = min (16, dst_w - xb); \
  int plane = dst_w * dst_h; \
  int y_end = min (yb + rows, dst_h); \
  int16 col = (int16) (xb) + PREPROC_IOTA16; \
  int16 out = col < pad_x || col >= pad_x + new_w; \
  int any = xb + n > pad_x && xb < pad_x + new_w; \
  int xn = (dst_w + 15) & ~15

/* Row y of the work-item: d (its first output), or padding and continue. */
#define PREPROC_W16_ROW \
  __global ACT_T *d = dst + dst_off + y * dst_w + xb; \
  if (!any || y < pad_y || y >= pad_y + new_h) { \
    preproc_store16 (d, plane, n, (float16) (pad), (float16) (pad), \
        (float16) (pad)); \
    continue; \
  } \
  int4 ty = ytab[y - pad_y]

/* preproc_packed, 16 x rows outputs per work-item (xs: see above). */
__kernel void
preproc_packed_w16 (__global const uchar * src, int off, int stride, int bpp,
    int ri, int gi, int bi,
    __global const int *xs, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global ACT_T *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr, int rows)
{
  PREPROC_W16_COLUMNS;
  int16 c0 = vload16 (0, xs + xb) * bpp;
  int16 c1 = vload16 (0, xs + xn + xb) * bpp;
  int16 a0 = vload16 (0, xs + 2 * xn + xb);
  int16 a1 = vload16 (0, xs + 3 * xn + xb);

  for (int y = yb; y < y_end; y++) {
    PREPROC_W16_ROW;
    __global const uchar *r0 = src + off + ty.x * stride;
    __global const uchar *r1 = src + off + ty.y * stride;
    preproc_w16_finish (d, plane, n, out, a0, a1, ty, scale, pad, bgr,
        preproc_gather16 (r0 + ri, c0), preproc_gather16 (r0 + gi, c0),
        preproc_gather16 (r0 + bi, c0),
        preproc_gather16 (r0 + ri, c1), preproc_gather16 (r0 + gi, c1),
        preproc_gather16 (r0 + bi, c1),
        preproc_gather16 (r1 + ri, c0), preproc_gather16 (r1 + gi, c0),
        preproc_gather16 (r1 + bi, c0),
        preproc_gather16 (r1 + ri, c1), preproc_gather16 (r1 + gi, c1),
        preproc_gather16 (r1 + bi, c1));
  }
}

/* preproc_chroma_taps on 16 luma columns: a, b (sample indices) and wa. */
static inline void
preproc_chroma_taps16 (int16 c, int n, int mode, int16 * a, int16 * b,
    int16 * wa)
{
  if (mode == 0) {
    *a = c;
    *b = c;
    *wa = (int16) (2);
    return;
  }
  int16 k = c >> 1, odd = (c & 1) != 0;
  int last = (n - 1) >> 1;
  int16 ka = mode == 2 ? select (k - 1, k, odd) : k;
  int16 kb = mode >= 2 ? select (k, k + 1, odd) : k;
  *a = clamp (ka, 0, last);
  *b = clamp (kb, 0, last);
  *wa = mode == 2 ? select ((int16) (1), (int16) (3), odd) : (int16) (2);
}

/* One chroma value for 16 pixels: byte offsets ca / cb (weight cw) in rows
 * ry.x / ry.y (weight ry.z; one source row per work-item row). hblend /
 * vblend: 0 when the two taps of that axis are always the same sample. */
static inline PREPROC_INLINE int16
preproc_chroma16 (__global const uchar * p, int st, int16 ca, int16 cb,
    int16 cw, int3 ry, int hblend, int vblend)
{
  __global const uchar *pa = p + ry.x * st;
  int16 ha = preproc_gather16 (pa, ca);
  if (hblend)
    ha = (cw * ha + (4 - cw) * preproc_gather16 (pa, cb) + 2) >> 2;
  if (!vblend)
    return ha;
  __global const uchar *pb = p + ry.y * st;
  int16 hb = preproc_gather16 (pb, ca);
  if (hblend)
    hb = (cw * hb + (4 - cw) * preproc_gather16 (pb, cb) + 2) >> 2;
  return (ry.z * ha + (4 - ry.z) * hb + 2) >> 2;
}

static inline int16
preproc_splat16 (int16 v)
{
  v -= 128;
  return v * 256 + (v & 0xff);
}

/* videoconvert's R, G, B of 16 pixels from their Y, U, V. */
static inline PREPROC_INLINE void
preproc_rgb16 (int16 yy, int16 u, int16 v, int4 m, int gv, int16 * r,
    int16 * g, int16 * b)
{
  int16 wy = (preproc_splat16 (yy) * m.x) >> 16;
  int16 wu = preproc_splat16 (u), wv = preproc_splat16 (v);
  *r = clamp (wy + ((wv * m.y) >> 16), -128, 127) + 128;
  *g = clamp (wy + ((wu * m.w) >> 16) + ((wv * gv) >> 16), -128, 127) + 128;
  *b = clamp (wy + ((wu * m.z) >> 16), -128, 127) + 128;
}

/* Chroma row r (U at pu, V at pv) blended horizontally for 16 pixels. */
static inline PREPROC_INLINE void
preproc_hblend16 (__global const uchar * pu, int st_u,
    __global const uchar * pv, int st_v, int r, int16 ca, int16 cb,
    int16 cw, int hblend, int16 * u, int16 * v)
{
  __global const uchar *ru = pu + r * st_u, *rv = pv + r * st_v;
  *u = preproc_gather16 (ru, ca);
  *v = preproc_gather16 (rv, ca);
  if (hblend) {
    *u = (cw * *u + (4 - cw) * preproc_gather16 (ru, cb) + 2) >> 2;
    *v = (cw * *v + (4 - cw) * preproc_gather16 (rv, cb) + 2) >> 2;
  }
}

/* Vertically interpolated chroma (NV12, NV21): the R, G, B of 16 pixels at
 * luma byte offsets xc (chroma: ca / cb, weight cw) on both luma rows ty.x
 * (chroma rows ry0) and ty.y (ry1), into *r0.. and *r1... The two luma rows
 * of a downscale often read the same chroma rows (rows 2k+1 and 2k+2 both
 * read k and k + 1): each distinct chroma row is blended horizontally once
 * (same result). ty.y >= ty.x, so ry1.y >= ry0.y and ry1.x >= ry0.x. */
static inline PREPROC_INLINE void
preproc_yuv_vpair16 (__global const uchar * py, int st_y,
    __global const uchar * pu, int st_u, __global const uchar * pv,
    int st_v, int hblend, int4 m, int gv, int4 ty, int3 ry0, int3 ry1,
    int16 xc, int16 ca, int16 cb, int16 cw, int16 * r0, int16 * g0,
    int16 * b0, int16 * r1, int16 * g1, int16 * b1)
{
  int16 ua, va, ub, vb, uc, vc, ud, vd;
  preproc_hblend16 (pu, st_u, pv, st_v, ry0.x, ca, cb, cw, hblend, &ua, &va);
  preproc_hblend16 (pu, st_u, pv, st_v, ry0.y, ca, cb, cw, hblend, &ub, &vb);
  if (ry1.x == ry0.x) {
    uc = ua;
    vc = va;
  } else if (ry1.x == ry0.y) {
    uc = ub;
    vc = vb;
  } else {
    preproc_hblend16 (pu, st_u, pv, st_v, ry1.x, ca, cb, cw, hblend, &uc,
        &vc);
  }
  if (ry1.y == ry0.y) {
    ud = ub;
    vd = vb;
  } else {
    preproc_hblend16 (pu, st_u, pv, st_v, ry1.y, ca, cb, cw, hblend, &ud,
        &vd);
  }
  preproc_rgb16 (preproc_gather16 (py + ty.x * st_y, xc),
      (ry0.z * ua + (4 - ry0.z) * ub + 2) >> 2,
      (ry0.z * va + (4 - ry0.z) * vb + 2) >> 2, m, gv, r0, g0, b0);
  preproc_rgb16 (preproc_gather16 (py + ty.y * st_y, xc),
      (ry1.z * uc + (4 - ry1.z) * ud + 2) >> 2,
      (ry1.z * vc + (4 - ry1.z) * vd + 2) >> 2, m, gv, r1, g1, b1);
}

/* The R, G, B videoconvert gives for 16 pixels of frame row y at luma
 * byte offsets xc (chroma: byte offsets ca / cb, weight cw; rows ry). */
static inline PREPROC_INLINE void
preproc_yuv_tap16 (__global const uchar * sy, int off_y, int st_y,
    __global const uchar * su, int off_u, int st_u,
    __global const uchar * sv, int off_v, int st_v, int gray,
    int hblend, int vblend, int4 m, int gv, int y, int16 xc, int16 ca,
    int16 cb, int16 cw, int3 ry, int16 * r, int16 * g, int16 * b)
{
  int16 yy = preproc_gather16 (sy + off_y + y * st_y, xc);
  if (gray) {
    /* U = V = 128: their terms are 0 */
    *r = *g = *b = clamp ((preproc_splat16 (yy) * m.x) >> 16, -128, 127)
        + 128;
    return;
  }
  preproc_rgb16 (yy, preproc_chroma16 (su + off_u, st_u, ca, cb, cw, ry,
          hblend, vblend), preproc_chroma16 (sv + off_v, st_v, ca, cb, cw, ry,
          hblend, vblend), m, gv, r, g, b);
}

/* preproc_yuv, 16 x rows outputs per work-item (xs: see above). */
__kernel void
preproc_yuv_w16 (__global const uchar * sy, int off_y, int st_y, int ystep,
    __global const uchar * su, int off_u, int st_u,
    __global const uchar * sv, int off_v, int st_v, int cstep, int hmode,
    int vmode, int gray, int frame_w, int frame_h,
    int m_y, int m_rv, int m_bu, int m_gu, int gv,
    __global const int *xs, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global ACT_T *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr, int rows)
{
  PREPROC_W16_COLUMNS;
  int16 x0 = vload16 (0, xs + xb);
  int16 x1 = vload16 (0, xs + xn + xb);
  int16 a0 = vload16 (0, xs + 2 * xn + xb);
  int16 a1 = vload16 (0, xs + 3 * xn + xb);
  int4 m = (int4) (m_y, m_rv, m_bu, m_gu);
  int hblend = hmode >= 2, vblend = vmode >= 2;
  int16 ca0, cb0, cw0, ca1, cb1, cw1;
  preproc_chroma_taps16 (x0, frame_w, hmode, &ca0, &cb0, &cw0);
  preproc_chroma_taps16 (x1, frame_w, hmode, &ca1, &cb1, &cw1);
  ca0 *= cstep;
  cb0 *= cstep;
  ca1 *= cstep;
  cb1 *= cstep;
  x0 *= ystep;
  x1 *= ystep;

  for (int y = yb; y < y_end; y++) {
    PREPROC_W16_ROW;
    int3 ry0 = preproc_chroma_taps (ty.x, frame_h, vmode);
    int3 ry1 = preproc_chroma_taps (ty.y, frame_h, vmode);
    int16 r00, g00, b00, r01, g01, b01, r10, g10, b10, r11, g11, b11;
    if (vblend && !gray) {
      preproc_yuv_vpair16 (sy + off_y, st_y, su + off_u, st_u, sv + off_v,
          st_v, hblend, m, gv, ty, ry0, ry1, x0, ca0, cb0, cw0, &r00, &g00,
          &b00, &r10, &g10, &b10);
      preproc_yuv_vpair16 (sy + off_y, st_y, su + off_u, st_u, sv + off_v,
          st_v, hblend, m, gv, ty, ry0, ry1, x1, ca1, cb1, cw1, &r01, &g01,
          &b01, &r11, &g11, &b11);
      preproc_w16_finish (d, plane, n, out, a0, a1, ty, scale, pad, bgr,
          r00, g00, b00, r01, g01, b01, r10, g10, b10, r11, g11, b11);
      continue;
    }
#define PREPROC_TAP16(py, xc, ca, cb, cw, ry, r, g, b) \
    preproc_yuv_tap16 (sy, off_y, st_y, su, off_u, st_u, sv, off_v, st_v, \
        gray, hblend, vblend, m, gv, py, xc, ca, cb, cw, ry, r, g, b)
    PREPROC_TAP16 (ty.x, x0, ca0, cb0, cw0, ry0, &r00, &g00, &b00);
    PREPROC_TAP16 (ty.x, x1, ca1, cb1, cw1, ry0, &r01, &g01, &b01);
    PREPROC_TAP16 (ty.y, x0, ca0, cb0, cw0, ry1, &r10, &g10, &b10);
    PREPROC_TAP16 (ty.y, x1, ca1, cb1, cw1, ry1, &r11, &g11, &b11);
#undef PREPROC_TAP16
    preproc_w16_finish (d, plane, n, out, a0, a1, ty, scale, pad, bgr,
        r00, g00, b00, r01, g01, b01, r10, g10, b10, r11, g11, b11);
  }
}
