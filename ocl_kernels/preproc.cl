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

/* Chroma of luma column x in chroma row r (plane p, samples step bytes
 * apart), upsampled horizontally as videoconvert does: hmode 0 nearest
 * sample (its I420 fast path), 1 interstitial sites (jpeg/mpeg1: 3:1 and
 * 1:3 taps), 2 co-sited (mpeg2: even columns copy, odd ones average).
 * The first and the last column copy their own sample. */
static inline int
preproc_hup (__global const uchar * p, int step, int x, int w, int hmode)
{
  int k = x >> 1;
  int a = p[k * step];

  if (hmode == 0)
    return a;
  if (hmode == 2)
    return ((x & 1) && x != w - 1) ? (a + p[(k + 1) * step] + 1) >> 1 : a;
  if (x == 0 || ((x & 1) && x == w - 1))
    return a;
  if (x & 1)
    return (3 * a + p[(k + 1) * step] + 2) >> 2;
  return (p[(k - 1) * step] + 3 * a + 2) >> 2;
}

/* Chroma at luma (x, y): vmode 0 no vertical subsampling (4:2:2), 1 nearest
 * row (I420 fast path, or vertically co-sited chroma, which videoconvert
 * does not interpolate), 2 interstitial rows (3:1 / 1:3, as hmode 1). */
static inline int
preproc_chroma (__global const uchar * p, int st, int step, int x, int y,
    int w, int h, int hmode, int vmode)
{
  if (vmode == 0)
    return preproc_hup (p + y * st, step, x, w, hmode);
  int k = y >> 1;
  int a = preproc_hup (p + k * st, step, x, w, hmode);
  if (vmode == 1 || y == 0 || ((y & 1) && y == h - 1))
    return a;
  if (y & 1)
    return (3 * a + preproc_hup (p + (k + 1) * st, step, x, w, hmode) + 2) >> 2;
  return (preproc_hup (p + (k - 1) * st, step, x, w, hmode) + 3 * a + 2) >> 2;
}

/* The RGB videoconvert gives for frame pixel (x, y). gray: no chroma
 * (U = V = 128). */
static inline int3
preproc_yuv_tap (__global const uchar * src, int off_y, int st_y, int ystep,
    int off_u, int st_u, int off_v, int st_v, int cstep, int hmode,
    int vmode, int gray, int w, int h, int4 m, int gv, int x, int y)
{
  int yy = src[off_y + y * st_y + x * ystep];
  int u = 128, v = 128;

  if (!gray) {
    u = preproc_chroma (src + off_u, st_u, cstep, x, y, w, h, hmode, vmode);
    v = preproc_chroma (src + off_v, st_v, cstep, x, y, w, h, hmode, vmode);
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
#define PREPROC_TAP(px, py) preproc_yuv_tap (src, off_y, st_y, ystep, off_u, \
      st_u, off_v, st_v, cstep, hmode, vmode, gray, frame_w, frame_h, m, gv, \
      px, py)
  int3 p00 = PREPROC_TAP (tx.x, ty.x);
  int3 p01 = PREPROC_TAP (tx.y, ty.x);
  int3 p10 = PREPROC_TAP (tx.x, ty.y);
  int3 p11 = PREPROC_TAP (tx.y, ty.y);
#undef PREPROC_TAP
  int3 h0 = p00 * tx.z + p01 * tx.w;
  int3 h1 = p10 * tx.z + p11 * tx.w;
  int3 v = PREPROC_VBLEND (h0, h1, ty.z, ty.w);
  preproc_store (d, plane, convert_float3 (v) * scale, bgr);
}
