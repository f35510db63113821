/* anchor.cl - AnchorDecode (plugin/engine/ops/anchor.h): the anchor-based
 * decode tail of a YOLOv5 Detect head: sigmoid, xy against the grid and
 * strides, wh against the anchor grid, written as rows of 5+nc into the
 * [N, A, 5+nc] output. One work-item per span consecutive grid cells (a
 * multiple of 16: 64 on CPUs, 16 elsewhere) of one anchor of one level
 * (global id 0) of one image (global id 1), in blocks
 * of 16 cells x 16 channels: it reads 16 contiguous values of 16 of the
 * 5+nc conv channels, transposes the block in registers
 * (YOLO_TRANSPOSE16) and writes it as 16 row pieces of 16 contiguous
 * values; the last block of a row overlaps the one before when 16 does
 * not divide 5+nc, rows of fewer than 16 values are stored value by
 * value. Channel blocks are the outer loop: each pass reads 256 contiguous
 * bytes of 16 channels (the 16-cell work-item took 1.3x the CPU time,
 * software prefetch did not help). A level's last cells (fewer than 16)
 * go cell by cell. Up to 4 levels; a level of 0 cells is unused (its
 * input repeats another's). The sigmoid is yolo_sigmoid_fast16
 * (common.cl) on the 16-cell blocks, the exact form cell by cell. */

/* the graph's separate multiplies and adds, rounded one by one */
#pragma OPENCL FP_CONTRACT OFF

/* column k of 16 output rows a .. a+15 from their conv values x */
static inline float16
anchor_col16 (float16 x, int k, int a, int A, __global const float *grid,
    __global const float *ag, __global const float *str, float off)
{
  float16 s = yolo_sigmoid_fast16 (x);
  if (k >= 4)
    return s;
  float16 t = s * 2.0f;
  if (k < 2)
    return ((t + off) + vload16 (0, grid + k * A + a)) * vload16 (0, str + a);
  return t * t * vload16 (0, ag + (k - 2) * A + a);
}

/* cells p .. p+15 of rows x + k*nl (channels kb .. kb+15), output rows
 * a .. a+15 at y + yo + a*no, columns kb .. kb+15 */
static void
anchor16 (__global const ACT_T *x, int xo, int nl, int p, int a, int A,
    __global const float *grid, __global const float *ag,
    __global const float *str, __global ACT_T *y, int yo, int no,
    float off, int kb)
{
  float16 v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14,
      v15;
#define ANCHOR_LD(i) v##i = anchor_col16 (LOAD_ACT16 (x, xo + (kb + i) * nl \
        + p), kb + i, a, A, grid, ag, str, off)
  YOLO_EACH16 (ANCHOR_LD);
#undef ANCHOR_LD
  YOLO_TRANSPOSE16 (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12,
      v13, v14, v15);
  int o = yo + a * no + kb;
#define ANCHOR_ST(i) STORE_ACT16 (y, o + i * no, v##i)
  YOLO_EACH16 (ANCHOR_ST);
#undef ANCHOR_ST
}

/* rows of fewer than 16 values: the same 16 cells, stored value by value */
static void
anchor16s (__global const ACT_T *x, int xo, int nl, int p, int a, int A,
    __global const float *grid, __global const float *ag,
    __global const float *str, __global ACT_T *y, int yo, int no,
    float off)
{
  int o = yo + a * no;
  for (int k = 0; k < no; k++) {
    float t[16];
    vstore16 (anchor_col16 (LOAD_ACT16 (x, xo + k * nl + p), k, a, A, grid,
            ag, str, off), 0, t);
    for (int c = 0; c < 16; c++)
      STORE_ACT (y, o + c * no + k, t[c]);
  }
}

static void
anchor1 (__global const ACT_T *x, int xo, int nl, int p, int a, int A,
    __global const float *grid, __global const float *ag,
    __global const float *str, __global ACT_T *y, int yo, int no,
    float off)
{
  int o = yo + a * no;
  float st = str[a];
  for (int k = 0; k < no; k++) {
    float s = yolo_act (YOLO_ACT_SIGMOID, 0.0f, 0.0f,
        LOAD_ACT (x, xo + k * nl + p));
    float t = s * 2.0f;
    if (k < 2)
      s = ((t + off) + grid[k * A + a]) * st;
    else if (k < 4)
      s = t * t * ag[(k - 2) * A + a];
    STORE_ACT (y, o + k, s);
  }
}

__kernel void
anchor_decode (__global const ACT_T *x0, int x0_off,
    __global const ACT_T *x1, int x1_off,
    __global const ACT_T *x2, int x2_off,
    __global const ACT_T *x3, int x3_off,
    __global const float *grid, int grid_off,
    __global const float *ag, int ag_off,
    __global const float *str, int str_off,
    __global ACT_T *y, int y_off,
    int n0, int n1, int n2, int n3, int na, int no, float off, int span)
{
  int q = get_global_id (0), b = get_global_id (1);
  int A = na * (n0 + n1 + n2 + n3);
  /* chunks of span cells per anchor of each level */
  int q0 = na * ((n0 + span - 1) / span);
  int q1 = na * ((n1 + span - 1) / span);
  int q2 = na * ((n2 + span - 1) / span);
  int q3 = na * ((n3 + span - 1) / span);
  __global const ACT_T *x;
  int xo, nl, start;

  if (q < q0) {
    x = x0; xo = x0_off; nl = n0; start = 0;
  } else if ((q -= q0) < q1) {
    x = x1; xo = x1_off; nl = n1; start = na * n0;
  } else if ((q -= q1) < q2) {
    x = x2; xo = x2_off; nl = n2; start = na * (n0 + n1);
  } else if ((q -= q2) < q3) {
    x = x3; xo = x3_off; nl = n3; start = na * (n0 + n1 + n2);
  } else {
    return;
  }
  int cq = (nl + span - 1) / span;
  int j = q / cq, p = (q % cq) * span;
  /* image b's rows of anchor j: channels j*no .. of level l */
  xo += (b * na + j) * no * nl;
  grid += grid_off;
  ag += ag_off;
  str += str_off;
  int yo = y_off + b * A * no;
  int a = start + j * nl + p;
  /* whole blocks of 16 cells, then the level's last cells one by one */
  int nb = min (span, nl - p) / 16;
  if (no >= 16) {
    /* column blocks 0, 16, ..; the last one ends at column no - 1 */
    for (int kb = 0; kb < no; kb += 16)
      for (int i = 0; i < nb; i++)
        anchor16 (x, xo, nl, p + 16 * i, a + 16 * i, A, grid, ag, str, y,
            yo, no, off, min (kb, no - 16));
  } else {
    for (int i = 0; i < nb; i++)
      anchor16s (x, xo, nl, p + 16 * i, a + 16 * i, A, grid, ag, str, y,
          yo, no, off);
  }
  for (int e = min (p + span, nl), i = p + 16 * nb; i < e; i++)
    anchor1 (x, xo, nl, i, a + i - p, A, grid, ag, str, y, yo, no, off);
}
