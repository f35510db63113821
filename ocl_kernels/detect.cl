/* detect.cl - DetectDecode (plugin/engine/ops/detect.h): the tail of an
 * Ultralytics Detect head: DFL softmax and expectation, distances to
 * boxes, strides, class sigmoids, written into the [N, 4+nc, A] output.
 * Global size (chunks, N): one work-item per 8 consecutive anchors of one
 * level of image get_global_id (1) (float8: PoCL does not vectorise exp
 * across work-items that pick their level's pointers), a level's last
 * chunk anchor by anchor. Images are dense: image i of a level's box
 * tensor starts 4*R*n_l elements after image i-1, of its class tensor
 * nc*n_l, of the output (4+nc)*A; anchors, strides and DFL weights are
 * shared. Up to 4 levels; a level of 0 anchors is unused (its tensor
 * arguments repeat another's). split 1: the output transposed and split
 * into boxes [N, A, 4] (y) and scores [N, A, nc] (ys). */

#define DETECT_V 8

#define DETECT_LDF8(p, i) vload8 (0, (p) + (i))
#define DETECT_LDF1(p, i) ((p)[i])

/* Stores of 8 consecutive anchors' values, lane j at element i + j st
 * (st = 1: one vector store; the split layout: st = 4 or nc), and of one
 * anchor's. */
#define DETECT_ST8(p, i, st, v) do { \
    if ((st) == 1) { \
      STORE_ACT8 ((p), (i), (v)); \
    } else { \
      float t_[8]; \
      vstore8 ((v), 0, t_); \
      for (int j_ = 0; j_ < 8; j_++) \
        STORE_ACT ((p), (i) + j_ * (st), t_[j_]); \
    } \
  } while (0)
#define DETECT_ST1(p, i, st, v) STORE_ACT ((p), (i), (v))

/* One body at two widths: NAME computes anchors a .. a+W-1 (level anchors
 * p .. p+W-1, rows of nl at b + bo and c + co) of one image, in FT (float8
 * or float), loading activations with LDA, storing with STA and loading
 * the float constants with LDF. Box value k of anchor a goes to
 * y[k cs + a as], score k to ys[k cs + a ss] (split 0: cs = A,
 * as = ss = 1, ys = y + 4 A; split 1: cs = 1, as = 4, ss = nc). */
#define DETECT_BODY(NAME, FT, LDA, STA, LDF) \
static void \
NAME (__global const ACT_T *b, int bo, __global const ACT_T *c, int co, \
    int nl, int p, int a, int A, __global const float *anc, \
    __global const float *str, __global const float *w, \
    __global ACT_T *y, int R, int nc, int xywh, __global ACT_T *ys, \
    int cs, int as, int ss) \
{ \
  FT d[4]; \
  for (int k = 0; k < 4; k++) { \
    int v = bo + k * R * nl + p; \
    if (R == 1) { \
      d[k] = LDA (b, v); \
      continue; \
    } \
    FT m = (FT) (-INFINITY), s = (FT) (0.0f); \
    FT acc = (FT) (0.0f); \
    for (int i = 0; i < R; i++) \
      m = fmax (m, LDA (b, v + i * nl)); \
    for (int i = 0; i < R; i++) { \
      FT e = exp (LDA (b, v + i * nl) - m); \
      s += e; \
      acc += e * w[i]; \
    } \
    d[k] = acc / s; \
  } \
  FT ax = LDF (anc, a), ay = LDF (anc, A + a); \
  FT st = LDF (str, a); \
  FT x1 = ax - d[0], y1 = ay - d[1], x2 = ax + d[2], y2 = ay + d[3]; \
  if (xywh) { \
    STA (y, a * as, as, (x1 + x2) / 2.0f * st); \
    STA (y, cs + a * as, as, (y1 + y2) / 2.0f * st); \
    STA (y, 2 * cs + a * as, as, (x2 - x1) * st); \
    STA (y, 3 * cs + a * as, as, (y2 - y1) * st); \
  } else { \
    STA (y, a * as, as, x1 * st); \
    STA (y, cs + a * as, as, y1 * st); \
    STA (y, 2 * cs + a * as, as, x2 * st); \
    STA (y, 3 * cs + a * as, as, y2 * st); \
  } \
  for (int k = 0; k < nc; k++) \
    STA (ys, k * cs + a * ss, ss, \
        1.0f / (1.0f + exp (-LDA (c, co + k * nl + p)))); \
}

DETECT_BODY (detect8, float8, LOAD_ACT8, DETECT_ST8, DETECT_LDF8)
DETECT_BODY (detect1, float, LOAD_ACT, DETECT_ST1, DETECT_LDF1)

__kernel void
detect_decode (__global const ACT_T *b0, int b0_off,
    __global const ACT_T *b1, int b1_off,
    __global const ACT_T *b2, int b2_off,
    __global const ACT_T *b3, int b3_off,
    __global const ACT_T *c0, int c0_off,
    __global const ACT_T *c1, int c1_off,
    __global const ACT_T *c2, int c2_off,
    __global const ACT_T *c3, int c3_off,
    __global const float *anc, int anc_off,
    __global const float *str, int str_off,
    __global const float *w, int w_off,
    __global ACT_T *y, int y_off,
    int n0, int n1, int n2, int n3, int R, int nc, int xywh,
    __global ACT_T *ys, int ys_off, int split)
{
  int q = get_global_id (0), img = get_global_id (1);
  int A = n0 + n1 + n2 + n3;
  /* chunks of DETECT_V anchors per level */
  int q0 = (n0 + DETECT_V - 1) / DETECT_V, q1 = (n1 + DETECT_V - 1) / DETECT_V;
  int q2 = (n2 + DETECT_V - 1) / DETECT_V, q3 = (n3 + DETECT_V - 1) / DETECT_V;
  __global const ACT_T *b, *c;
  int bo, co, nl, start;

  if (q < q0) {
    b = b0; c = c0; bo = b0_off; co = c0_off; nl = n0; start = 0;
  } else if ((q -= q0) < q1) {
    b = b1; c = c1; bo = b1_off; co = c1_off; nl = n1; start = n0;
  } else if ((q -= q1) < q2) {
    b = b2; c = c2; bo = b2_off; co = c2_off; nl = n2; start = n0 + n1;
  } else if ((q -= q2) < q3) {
    b = b3; c = c3; bo = b3_off; co = c3_off; nl = n3; start = n0 + n1 + n2;
  } else {
    return;
  }
  int p = q * DETECT_V;
  /* image img: its box and class rows, its output */
  bo += img * 4 * R * nl;
  co += img * nc * nl;
  anc += anc_off;
  str += str_off;
  w += w_off;
  /* split 0: ys is y, scores from row 4 of the image's [4+nc, A];
   * split 1: boxes [A, 4] in y, scores [A, nc] in ys */
  int cs = split ? 1 : A, as = split ? 4 : 1, ss = split ? nc : 1;
  if (split) {
    y += y_off + img * 4 * A;
    ys += ys_off + img * nc * A;
  } else {
    y += y_off + img * (4 + nc) * A;
    ys = y + 4 * A;
  }
  if (p + DETECT_V <= nl) {
    detect8 (b, bo, c, co, nl, p, start + p, A, anc, str, w, y, R, nc, xywh,
        ys, cs, as, ss);
  } else {
    for (; p < nl; p++)
      detect1 (b, bo, c, co, nl, p, start + p, A, anc, str, w, y, R, nc,
          xywh, ys, cs, as, ss);
  }
}
