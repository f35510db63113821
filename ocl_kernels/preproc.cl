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
preproc_store (__global float *d, int plane, float3 f, int bgr)
{
  if (bgr) {
    d[0] = f.z;
    d[plane] = f.y;
    d[2 * plane] = f.x;
  } else {
    d[0] = f.x;
    d[plane] = f.y;
    d[2 * plane] = f.z;
  }
}

/* Packed RGB-like formats: bpp bytes per pixel, R/G/B at byte ri/gi/bi. */
__kernel void
preproc_packed (__global const uchar * src, int off, int stride, int bpp,
    int ri, int gi, int bi,
    __global const int4 * xtab, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global float *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr)
{
  int x = get_global_id (0);
  int y = get_global_id (1);
  if (x >= dst_w || y >= dst_h)
    return;

  int plane = dst_w * dst_h;
  __global float *d = dst + dst_off + y * dst_w + x;
  int cx = x - pad_x, cy = y - pad_y;
  if (cx < 0 || cy < 0 || cx >= new_w || cy >= new_h) {
    d[0] = pad;
    d[plane] = pad;
    d[2 * plane] = pad;
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
preproc_yuv_tap (__global const uchar * src, int off_y, int st_y, int ystep,
    int off_u, int st_u, int off_v, int st_v, int cstep, int gray,
    int4 m, int gv, int x, int y, int3 cx, int3 cy)
{
  int yy = src[off_y + y * st_y + x * ystep];
  int u = 128, v = 128;

  if (!gray) {
    u = preproc_chroma (src + off_u, st_u, cstep, cx, cy);
    v = preproc_chroma (src + off_v, st_v, cstep, cx, cy);
  }
  return preproc_yuv_rgb (yy, u, v, m, gv);
}

/* YUV / grey frames of frame_w x frame_h: luma at off_y + y * st_y +
 * x * ystep; U samples at off_u + row * st_u + k * cstep, V likewise
 * (cstep: planar 1, semi-planar 2, packed 4:2:2 4). */
__kernel void
preproc_yuv (__global const uchar * src, int off_y, int st_y, int ystep,
    int off_u, int st_u, int off_v, int st_v, int cstep, int hmode, int vmode,
    int gray, int frame_w, int frame_h,
    int m_y, int m_rv, int m_bu, int m_gu, int gv,
    __global const int4 * xtab, __global const int4 * ytab,
    int pad_x, int pad_y, int new_w, int new_h,
    __global float *dst, int dst_off, int dst_w, int dst_h,
    float scale, float pad, int bgr)
{
  int x = get_global_id (0);
  int y = get_global_id (1);
  if (x >= dst_w || y >= dst_h)
    return;

  int plane = dst_w * dst_h;
  __global float *d = dst + dst_off + y * dst_w + x;
  int cx = x - pad_x, cy = y - pad_y;
  if (cx < 0 || cy < 0 || cx >= new_w || cy >= new_h) {
    d[0] = pad;
    d[plane] = pad;
    d[2 * plane] = pad;
    return;
  }

  int4 tx = xtab[cx];
  int4 ty = ytab[cy];
  int4 m = (int4) (m_y, m_rv, m_bu, m_gu);
  int3 cx0 = preproc_chroma_taps (tx.x, frame_w, hmode);
  int3 cx1 = preproc_chroma_taps (tx.y, frame_w, hmode);
  int3 cy0 = preproc_chroma_taps (ty.x, frame_h, vmode);
  int3 cy1 = preproc_chroma_taps (ty.y, frame_h, vmode);
#define PREPROC_TAP(px, py, tcx, tcy) preproc_yuv_tap (src, off_y, st_y, \
      ystep, off_u, st_u, off_v, st_v, cstep, gray, m, gv, px, py, tcx, tcy)
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
