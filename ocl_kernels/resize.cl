/* resize.cl - Resize / Upsample over the last two dims (H, W) of planes.
 *
 * The host computes the source index (nearest) or index pair + weight
 * (linear) of every output row and column exactly like the C reference,
 * so the kernels only gather. */

/* Nearest, exactly x2 in H and W (YOLO's upsample): one work-item reads 8
 * input pixels of a row and writes 16 pixels to each of the two output
 * rows. gws: (ceil (W / 8), H, planes). */
__kernel void
resize_nearest2x (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int planes, int H, int W)
{
  int ix0 = get_global_id (0) * 8;
  int iy = get_global_id (1);
  int p = get_global_id (2);
  if (ix0 >= W || iy >= H || p >= planes)
    return;
  int OW = 2 * W;
  __global const ACT_T *src = x + x_off + ((size_t) p * H + iy) * W;
  __global ACT_T *d0 = y + y_off + ((size_t) p * 2 * H + 2 * iy) * OW;
  __global ACT_T *d1 = d0 + OW;
  if (ix0 + 8 <= W) {
    float8 v = LOAD_ACT8 (src, ix0);
    float16 o = v.s0011223344556677;
    STORE_ACT16 (d0, 2 * ix0, o);
    STORE_ACT16 (d1, 2 * ix0, o);
  } else {
    for (int ix = ix0; ix < W; ix++) {
      float v = LOAD_ACT (src, ix);
      STORE_ACT (d0, 2 * ix, v);
      STORE_ACT (d0, 2 * ix + 1, v);
      STORE_ACT (d1, 2 * ix, v);
      STORE_ACT (d1, 2 * ix + 1, v);
    }
  }
}

/* Nearest, any mapping: hmap[OH], wmap[OW] hold source rows / columns.
 * gws: (OW, OH, planes). */
__kernel void
resize_nearest (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, __global const int *hmap, __global const int *wmap,
    int planes, int H, int W, int OH, int OW)
{
  int ox = get_global_id (0);
  int oy = get_global_id (1);
  int p = get_global_id (2);
  if (ox >= OW || oy >= OH || p >= planes)
    return;
  STORE_ACT (y, y_off + ((size_t) p * OH + oy) * OW + ox,
      LOAD_ACT (x, x_off + ((size_t) p * H + hmap[oy]) * W + wmap[ox]));
}

/* Bilinear: hidx[2*OH] / widx[2*OW] hold the two source rows / columns,
 * hlam[OH] / wlam[OW] the weight of the second one.
 * gws: (OW, OH, planes). */
__kernel void
resize_linear (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, __global const int *hidx, __global const float *hlam,
    __global const int *widx, __global const float *wlam, int planes,
    int H, int W, int OH, int OW)
{
  int ox = get_global_id (0);
  int oy = get_global_id (1);
  int p = get_global_id (2);
  if (ox >= OW || oy >= OH || p >= planes)
    return;
  __global const ACT_T *src = x + x_off + (size_t) p * H * W;
  int y0 = hidx[2 * oy], y1 = hidx[2 * oy + 1];
  int x0 = widx[2 * ox], x1 = widx[2 * ox + 1];
  float ly = hlam[oy], lx = wlam[ox];
  float top = LOAD_ACT (src, y0 * W + x0) * (1.0f - lx)
      + LOAD_ACT (src, y0 * W + x1) * lx;
  float bot = LOAD_ACT (src, y1 * W + x0) * (1.0f - lx)
      + LOAD_ACT (src, y1 * W + x1) * lx;
  STORE_ACT (y, y_off + ((size_t) p * OH + oy) * OW + ox,
      top * (1.0f - ly) + bot * ly);
}
