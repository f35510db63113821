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
 * 4:2:0 YUV is blended per Y, U, V plane (each luma tap with its nearest
 * chroma sample) and converted to RGB once per output pixel.
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

/* 4:2:0 YUV: Y plane at off0; U at off1, V at off2, chroma samples cstep
 * bytes apart (NV12: 2, off2 = off1 + 1; I420: 1). */
__kernel void
preproc_yuv420 (__global const uchar * src, int off0, int st0,
    int off1, int st1, int off2, int st2, int cstep,
    float y_offset, float y_scale, float c_scale,
    float rv, float gu, float gv, float bu,
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
  __global const uchar *y0 = src + off0 + ty.x * st0;
  __global const uchar *y1 = src + off0 + ty.y * st0;
  __global const uchar *u0 = src + off1 + (ty.x >> 1) * st1;
  __global const uchar *u1 = src + off1 + (ty.y >> 1) * st1;
  __global const uchar *v0 = src + off2 + (ty.x >> 1) * st2;
  __global const uchar *v1 = src + off2 + (ty.y >> 1) * st2;
  int k0 = (tx.x >> 1) * cstep, k1 = (tx.y >> 1) * cstep;

  /* (Y, U, V) of the four taps */
  int3 p00 = (int3) (y0[tx.x], u0[k0], v0[k0]);
  int3 p01 = (int3) (y0[tx.y], u0[k1], v0[k1]);
  int3 p10 = (int3) (y1[tx.x], u1[k0], v1[k0]);
  int3 p11 = (int3) (y1[tx.y], u1[k1], v1[k1]);
  int3 h0 = p00 * tx.z + p01 * tx.w;
  int3 h1 = p10 * tx.z + p11 * tx.w;
  int3 v = PREPROC_VBLEND (h0, h1, ty.z, ty.w);

  float yy = ((float) v.x - y_offset) * y_scale;
  float uu = ((float) v.y - 128.0f) * c_scale;
  float vv = ((float) v.z - 128.0f) * c_scale;
  float3 rgb = (float3) (yy + rv * vv, yy + gu * uu + gv * vv, yy + bu * uu);
  rgb = clamp (floor (rgb + 0.5f), 0.0f, 255.0f);
  preproc_store (d, plane, rgb * scale, bgr);
}
