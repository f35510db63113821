/* anchor.cl - AnchorDecode (plugin/engine/ops/anchor.h): the anchor-based
 * decode tail of a YOLOv5 Detect head: sigmoid, xy against the grid and
 * strides, wh against the anchor grid, written as rows of 5+nc into the
 * [N, A, 5+nc] output. One work-item per 8 consecutive grid cells of one
 * anchor of one level (global id 0) of one image (global id 1): it reads
 * 8 contiguous values of each of the 5+nc conv channels and writes 8
 * consecutive rows. A level's last chunk goes cell by cell. Up to 4
 * levels; a level of 0 cells is unused (its input repeats another's). */

/* the graph's separate multiplies and adds, rounded one by one */
#pragma OPENCL FP_CONTRACT OFF

#define ANCHOR_V 8

#define ANCHOR_STORE8(y, o, no, v) do { float8 w_ = (v); \
  STORE_ACT (y, (o), w_.s0); STORE_ACT (y, (o) + (no), w_.s1); \
  STORE_ACT (y, (o) + 2 * (no), w_.s2); STORE_ACT (y, (o) + 3 * (no), w_.s3); \
  STORE_ACT (y, (o) + 4 * (no), w_.s4); STORE_ACT (y, (o) + 5 * (no), w_.s5); \
  STORE_ACT (y, (o) + 6 * (no), w_.s6); STORE_ACT (y, (o) + 7 * (no), w_.s7); \
  } while (0)

/* cells p .. p+7 of rows x + k*nl, output rows a .. a+7 at y + a*no */
static void
anchor8 (__global const ACT_T *x, int xo, int nl, int p, int a, int A,
    __global const float *grid, __global const float *ag,
    __global const float *str, __global ACT_T *y, int yo, int no,
    float off)
{
  int o = yo + a * no;
  float8 st = vload8 (0, str + a);
  for (int k = 0; k < 2; k++) {
    float8 s = yolo_act_float8 (YOLO_ACT_SIGMOID, 0.0f, 0.0f,
        LOAD_ACT8 (x, xo + k * nl + p));
    float8 t = s * 2.0f + off;
    ANCHOR_STORE8 (y, o + k, no, (t + vload8 (0, grid + k * A + a)) * st);
  }
  for (int k = 2; k < 4; k++) {
    float8 s = yolo_act_float8 (YOLO_ACT_SIGMOID, 0.0f, 0.0f,
        LOAD_ACT8 (x, xo + k * nl + p));
    float8 t = s * 2.0f;
    ANCHOR_STORE8 (y, o + k, no, t * t * vload8 (0, ag + (k - 2) * A + a));
  }
  for (int k = 4; k < no; k++)
    ANCHOR_STORE8 (y, o + k, no, yolo_act_float8 (YOLO_ACT_SIGMOID, 0.0f,
            0.0f, LOAD_ACT8 (x, xo + k * nl + p)));
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
    int n0, int n1, int n2, int n3, int na, int no, float off)
{
  int q = get_global_id (0), b = get_global_id (1);
  int A = na * (n0 + n1 + n2 + n3);
  /* chunks of ANCHOR_V cells per anchor of each level */
  int q0 = na * ((n0 + ANCHOR_V - 1) / ANCHOR_V);
  int q1 = na * ((n1 + ANCHOR_V - 1) / ANCHOR_V);
  int q2 = na * ((n2 + ANCHOR_V - 1) / ANCHOR_V);
  int q3 = na * ((n3 + ANCHOR_V - 1) / ANCHOR_V);
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
  int cq = (nl + ANCHOR_V - 1) / ANCHOR_V;
  int j = q / cq, p = (q % cq) * ANCHOR_V;
  /* image b's rows of anchor j: channels j*no .. of level l */
  xo += (b * na + j) * no * nl;
  grid += grid_off;
  ag += ag_off;
  str += str_off;
  int yo = y_off + b * A * no;
  int a = start + j * nl + p;
  if (p + ANCHOR_V <= nl) {
    anchor8 (x, xo, nl, p, a, A, grid, ag, str, y, yo, no, off);
  } else {
    for (; p < nl; p++, a++)
      anchor1 (x, xo, nl, p, a, A, grid, ag, str, y, yo, no, off);
  }
}
