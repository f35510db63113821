/* preproc.cl - video frame -> model input tensor (yolo-preproc.c).
 *
 * One work-item per model input pixel (x, y). Pixels outside the resized
 * frame get the padding value; inside, the four source pixels are converted
 * to 8-bit RGB and blended with OpenCV's INTER_LINEAR fixed-point weights
 * (11-bit coefficients from the host tables, vertical pass as OpenCV's SIMD
 * path: ((h >> 4) * b) >> 16, + 2, >> 2), which makes the result bit-exact
 * with cv2.resize for 8-bit RGB input. Then value * scale is written to the
 * three planes of the NCHW tensor (R,G,B or B,G,R).
 *
 * Same arithmetic as yolo_preproc_reference() in yolo-preproc.c.
 */

#define PREPROC_RGB 0
#define PREPROC_BGR 1
#define PREPROC_RGBA 2
#define PREPROC_BGRA 3
#define PREPROC_RGBX 4
#define PREPROC_BGRX 5
#define PREPROC_NV12 6
#define PREPROC_I420 7

typedef struct
{
  float y_offset, y_scale, c_scale, rv, gu, gv, bu;
} preproc_yuv;

inline int
preproc_clamp8 (float v)
{
  return clamp ((int) floor (v + 0.5f), 0, 255);
}

inline int3
preproc_yuv_to_rgb (int y, int u, int v, const preproc_yuv * m)
{
  float yy = ((float) y - m->y_offset) * m->y_scale;
  float uu = ((float) u - 128.0f) * m->c_scale;
  float vv = ((float) v - 128.0f) * m->c_scale;
  int3 p;
  p.x = preproc_clamp8 (yy + m->rv * vv);
  p.y = preproc_clamp8 (yy + m->gu * uu + m->gv * vv);
  p.z = preproc_clamp8 (yy + m->bu * uu);
  return p;
}

/* RGB of source pixel (x, y). */
inline int3
preproc_fetch (__global const uchar * src, int fmt, int off0, int st0,
    int off1, int st1, int off2, int st2, int x, int y, const preproc_yuv * m)
{
  int3 p;
  switch (fmt) {
    case PREPROC_RGB:{
      __global const uchar *s = src + off0 + y * st0 + x * 3;
      p = (int3) (s[0], s[1], s[2]);
      break;
    }
    case PREPROC_BGR:{
      __global const uchar *s = src + off0 + y * st0 + x * 3;
      p = (int3) (s[2], s[1], s[0]);
      break;
    }
    case PREPROC_RGBA:
    case PREPROC_RGBX:{
      __global const uchar *s = src + off0 + y * st0 + x * 4;
      p = (int3) (s[0], s[1], s[2]);
      break;
    }
    case PREPROC_BGRA:
    case PREPROC_BGRX:{
      __global const uchar *s = src + off0 + y * st0 + x * 4;
      p = (int3) (s[2], s[1], s[0]);
      break;
    }
    case PREPROC_NV12:{
      int yv = src[off0 + y * st0 + x];
      __global const uchar *c = src + off1 + (y >> 1) * st1 + (x >> 1) * 2;
      p = preproc_yuv_to_rgb (yv, c[0], c[1], m);
      break;
    }
    default:{                  /* I420 */
      int yv = src[off0 + y * st0 + x];
      int u = src[off1 + (y >> 1) * st1 + (x >> 1)];
      int v = src[off2 + (y >> 1) * st2 + (x >> 1)];
      p = preproc_yuv_to_rgb (yv, u, v, m);
      break;
    }
  }
  return p;
}

__kernel void
preproc_letterbox (__global const uchar * src, int fmt,
    int off0, int st0, int off1, int st1, int off2, int st2,
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

  preproc_yuv m = { y_offset, y_scale, c_scale, rv, gu, gv, bu };
  int4 tx = xtab[cx];           /* x0, x1, a0, a1 */
  int4 ty = ytab[cy];           /* y0, y1, b0, b1 */
  int3 p00 = preproc_fetch (src, fmt, off0, st0, off1, st1, off2, st2,
      tx.x, ty.x, &m);
  int3 p01 = preproc_fetch (src, fmt, off0, st0, off1, st1, off2, st2,
      tx.y, ty.x, &m);
  int3 p10 = preproc_fetch (src, fmt, off0, st0, off1, st1, off2, st2,
      tx.x, ty.y, &m);
  int3 p11 = preproc_fetch (src, fmt, off0, st0, off1, st1, off2, st2,
      tx.y, ty.y, &m);
  int3 h0 = p00 * tx.z + p01 * tx.w;
  int3 h1 = p10 * tx.z + p11 * tx.w;
  int3 v = ((((h0 >> 4) * ty.z) >> 16) + (((h1 >> 4) * ty.w) >> 16) + 2) >> 2;
  v = clamp (v, 0, 255);

  float3 f = convert_float3 (v) * scale;
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
