/* movement.cl - data movement: strided N-d copy (Concat, Split, Slice,
 * Transpose, Expand), tiled 2-D transpose, pad/tile.
 *
 * All kernels move raw elements without touching the bits, so they serve
 * float and integer tensors alike: 32-bit ones (`int`: float, int32) with
 * the kernels named here, 16-bit ones (`ushort`: float16 with half
 * storage) with the same kernels suffixed _u16. Shapes are collapsed on
 * the host to at most 6 dims (d0 outermost, d5 innermost; unused leading
 * dims are 1). Strides are in elements and may be 0 (broadcast) or
 * negative (Slice with negative steps). */

/* Elements per work-item along the innermost dim (fewer, fatter
 * work-groups: PoCL pays a few microseconds per work-group). */
#define MOVEMENT_CHUNK 32

/* dst[dbase + sum c_k*ds_k] = src[sbase + sum c_k*ss_k] over the box d0..d5.
 * One work-item copies up to 32 consecutive elements along d5, in each of
 * rw consecutive d4 rows (rw > 1 for short rows: a Split of YOLOv5's
 * 85-wide rows into 2, 2 and 81 copied 2 elements per work-item); when
 * both inner strides are 1 (or the source's is 2) it uses 8-wide vector
 * loads/stores. Global size: ceil(d5/32)*ceil(d4/rw)*d3*d2*d1*d0 (1-D). */
#define MOVEMENT_COPY_ND(NAME, T, T8)                                        \
__kernel void                                                                \
NAME (__global const T *src, int src_off,                                    \
    __global T *dst, int dst_off, int sbase, int dbase, int total,           \
    int d0, int d1, int d2, int d3, int d4, int d5,                          \
    int ss0, int ss1, int ss2, int ss3, int ss4, int ss5,                    \
    int ds0, int ds1, int ds2, int ds3, int ds4, int ds5, int rw)            \
{                                                                            \
  int gid = get_global_id (0);                                               \
  if (gid >= total)                                                          \
    return;                                                                  \
  int nch = (d5 + MOVEMENT_CHUNK - 1) / MOVEMENT_CHUNK;                      \
  int n4 = (d4 + rw - 1) / rw;                                               \
  int ch = gid % nch;                                                        \
  int r = gid / nch;                                                         \
  int c4 = (r % n4) * rw;                                                    \
  r /= n4;                                                                   \
  int c3 = r % d3;                                                           \
  r /= d3;                                                                   \
  int c2 = r % d2;                                                           \
  r /= d2;                                                                   \
  int c1 = r % d1;                                                           \
  int c0 = r / d1;                                                           \
  int c5 = ch * MOVEMENT_CHUNK;                                              \
  int s = src_off + sbase + c0 * ss0 + c1 * ss1 + c2 * ss2 + c3 * ss3        \
      + c4 * ss4 + c5 * ss5;                                                 \
  int d = dst_off + dbase + c0 * ds0 + c1 * ds1 + c2 * ds2 + c3 * ds3        \
      + c4 * ds4 + c5 * ds5;                                                 \
  int cnt = min (MOVEMENT_CHUNK, d5 - c5);                                   \
  int rows = min (rw, d4 - c4);                                              \
  for (int row = 0; row < rows; row++, s += ss4, d += ds4) {                 \
    int i = 0;                                                               \
    if (ss5 == 1 && ds5 == 1) {                                              \
      for (; i + 8 <= cnt; i += 8)                                           \
        vstore8 (vload8 (0, src + s + i), 0, dst + d + i);                   \
    } else if (ss5 == 0 && ds5 == 1) {                                       \
      T8 v = (T8) (src[s]);                                                  \
      for (; i + 8 <= cnt; i += 8)                                           \
        vstore8 (v, 0, dst + d + i);                                         \
    } else if (ss5 == 2 && ds5 == 1) {                                       \
      /* every other element (Slice step 2: YOLOX's Focus): 16 loaded, the   \
       * even 8 stored; i + 8 < cnt keeps the 16th load (element            \
       * 2 i + 15) before element i + 8's, which the box holds */           \
      for (; i + 8 < cnt; i += 8)                                            \
        vstore8 (vload16 (0, src + s + 2 * i).even, 0, dst + d + i);         \
    }                                                                        \
    for (; i < cnt; i++)                                                     \
      dst[d + i * ds5] = src[s + i * ss5];                                   \
  }                                                                          \
}
MOVEMENT_COPY_ND (movement_copy_nd, int, int8)
MOVEMENT_COPY_ND (movement_copy_nd_u16, ushort, ushort8)

/* Batched 2-D transpose in 8x8 tiles. Dim a is contiguous in dst (stride
 * 1), dim b is contiguous in src (stride 1); src stride of a is ssa, dst
 * stride of b is dsb. Up to 4 more batch dims e0..e3 with their strides.
 * Global size: (ceil(na/8), ceil(nb/8), e0*e1*e2*e3). */
#define MOVEMENT_TRANSPOSE_TILE(NAME, T, T8)                                 \
__kernel void                                                                \
NAME (__global const T *src, int src_off,                                    \
    __global T *dst, int dst_off, int sbase, int dbase,                      \
    int na, int nb, int ssa, int dsb,                                        \
    int e0, int e1, int e2, int e3,                                          \
    int es0, int es1, int es2, int es3, int ed0, int ed1, int ed2, int ed3)  \
{                                                                            \
  int ta = get_global_id (0) * 8;                                            \
  int tb = get_global_id (1) * 8;                                            \
  int e = get_global_id (2);                                                 \
  if (ta >= na || tb >= nb || e >= e0 * e1 * e2 * e3)                        \
    return;                                                                  \
  int c3 = e % e3;                                                           \
  e /= e3;                                                                   \
  int c2 = e % e2;                                                           \
  e /= e2;                                                                   \
  int c1 = e % e1;                                                           \
  int c0 = e / e1;                                                           \
  int s = src_off + sbase + c0 * es0 + c1 * es1 + c2 * es2 + c3 * es3        \
      + ta * ssa + tb;                                                       \
  int d = dst_off + dbase + c0 * ed0 + c1 * ed1 + c2 * ed2 + c3 * ed3        \
      + tb * dsb + ta;                                                       \
  if (ta + 8 <= na && tb + 8 <= nb) {                                        \
    T8 r0 = vload8 (0, src + s);                                             \
    T8 r1 = vload8 (0, src + s + ssa);                                       \
    T8 r2 = vload8 (0, src + s + 2 * ssa);                                   \
    T8 r3 = vload8 (0, src + s + 3 * ssa);                                   \
    T8 r4 = vload8 (0, src + s + 4 * ssa);                                   \
    T8 r5 = vload8 (0, src + s + 5 * ssa);                                   \
    T8 r6 = vload8 (0, src + s + 6 * ssa);                                   \
    T8 r7 = vload8 (0, src + s + 7 * ssa);                                   \
    vstore8 ((T8) (r0.s0, r1.s0, r2.s0, r3.s0, r4.s0, r5.s0, r6.s0,          \
            r7.s0), 0, dst + d);                                             \
    vstore8 ((T8) (r0.s1, r1.s1, r2.s1, r3.s1, r4.s1, r5.s1, r6.s1,          \
            r7.s1), 0, dst + d + dsb);                                       \
    vstore8 ((T8) (r0.s2, r1.s2, r2.s2, r3.s2, r4.s2, r5.s2, r6.s2,          \
            r7.s2), 0, dst + d + 2 * dsb);                                   \
    vstore8 ((T8) (r0.s3, r1.s3, r2.s3, r3.s3, r4.s3, r5.s3, r6.s3,          \
            r7.s3), 0, dst + d + 3 * dsb);                                   \
    vstore8 ((T8) (r0.s4, r1.s4, r2.s4, r3.s4, r4.s4, r5.s4, r6.s4,          \
            r7.s4), 0, dst + d + 4 * dsb);                                   \
    vstore8 ((T8) (r0.s5, r1.s5, r2.s5, r3.s5, r4.s5, r5.s5, r6.s5,          \
            r7.s5), 0, dst + d + 5 * dsb);                                   \
    vstore8 ((T8) (r0.s6, r1.s6, r2.s6, r3.s6, r4.s6, r5.s6, r6.s6,          \
            r7.s6), 0, dst + d + 6 * dsb);                                   \
    vstore8 ((T8) (r0.s7, r1.s7, r2.s7, r3.s7, r4.s7, r5.s7, r6.s7,          \
            r7.s7), 0, dst + d + 7 * dsb);                                   \
  } else {                                                                   \
    int ma = min (8, na - ta);                                               \
    int mb = min (8, nb - tb);                                               \
    for (int j = 0; j < mb; j++)                                             \
      for (int i = 0; i < ma; i++)                                           \
        dst[d + j * dsb + i] = src[s + i * ssa + j];                         \
  }                                                                          \
}
MOVEMENT_TRANSPOSE_TILE (movement_transpose_tile, int, int8)
MOVEMENT_TRANSPOSE_TILE (movement_transpose_tile_u16, ushort, ushort8)

#define MOVEMENT_PAD_CONSTANT 0
#define MOVEMENT_PAD_REFLECT 1
#define MOVEMENT_PAD_EDGE 2
#define MOVEMENT_PAD_WRAP 3

/* Maps output coordinate c (input extent n, begin pad p) to an input
 * coordinate, or -1 for the constant value. */
static inline int
movement_pad_coord (int mode, int c, int n, int p)
{
  int x = c - p;
  if (x >= 0 && x < n)
    return x;
  switch (mode) {
    case MOVEMENT_PAD_REFLECT:
      if (n == 1)
        return 0;
      {
        int period = 2 * (n - 1);
        x = x % period;
        if (x < 0)
          x += period;
        return x < n ? x : period - x;
      }
    case MOVEMENT_PAD_EDGE:
      return clamp (x, 0, n - 1);
    case MOVEMENT_PAD_WRAP:
      x = x % n;
      return x < 0 ? x + n : x;
    default:
      return -1;
  }
}

/* Pad (constant/reflect/edge/wrap) and Tile (wrap with no begin pad),
 * one output element per work-item. Input is contiguous with dims i0..i5. */
#define MOVEMENT_PAD(NAME, T, T8)                                            \
__kernel void                                                                \
NAME (__global const T *src, int src_off,                                    \
    __global T *dst, int dst_off, int total, int mode, int value,            \
    int d0, int d1, int d2, int d3, int d4, int d5,                          \
    int i0, int i1, int i2, int i3, int i4, int i5,                          \
    int p0, int p1, int p2, int p3, int p4, int p5)                          \
{                                                                            \
  int gid = get_global_id (0);                                               \
  if (gid >= total)                                                          \
    return;                                                                  \
  int r = gid;                                                               \
  int c5 = r % d5;                                                           \
  r /= d5;                                                                   \
  int c4 = r % d4;                                                           \
  r /= d4;                                                                   \
  int c3 = r % d3;                                                           \
  r /= d3;                                                                   \
  int c2 = r % d2;                                                           \
  r /= d2;                                                                   \
  int c1 = r % d1;                                                           \
  int c0 = r / d1;                                                           \
  int x0 = movement_pad_coord (mode, c0, i0, p0);                            \
  int x1 = movement_pad_coord (mode, c1, i1, p1);                            \
  int x2 = movement_pad_coord (mode, c2, i2, p2);                            \
  int x3 = movement_pad_coord (mode, c3, i3, p3);                            \
  int x4 = movement_pad_coord (mode, c4, i4, p4);                            \
  int x5 = movement_pad_coord (mode, c5, i5, p5);                            \
  if ((x0 | x1 | x2 | x3 | x4 | x5) < 0) {                                   \
    dst[dst_off + gid] = (T) value;                                          \
    return;                                                                  \
  }                                                                          \
  int s = ((((x0 * i1 + x1) * i2 + x2) * i3 + x3) * i4 + x4) * i5 + x5;      \
  dst[dst_off + gid] = src[src_off + s];                                     \
}
MOVEMENT_PAD (movement_pad, int, int8)
MOVEMENT_PAD (movement_pad_u16, ushort, ushort8)
