/* detect.cl - DetectDecode (plugin/engine/ops/detect.h): the tail of an
 * Ultralytics Detect head: DFL softmax and expectation, distances to
 * boxes, strides, class sigmoids, written into the [N, 4+nc, A] output.
 * Global size (chunks, N): one work-item per span consecutive anchors (16
 * x 1 to DETECT_B; 256 on CPUs, 16 elsewhere) of one level of image
 * get_global_id (1), in blocks of 16 (float16: PoCL does not vectorise
 * exp across work-items that pick their level's pointers), a level's last
 * anchors (fewer than 16) one by one. Images are dense: image i of a
 * level's box tensor starts 4*R*n_l elements after image i-1, of its class
 * tensor nc*n_l, of the output (4+nc)*A; anchors, strides and DFL weights
 * are shared. Up to 4 levels; a level of 0 anchors is unused (its tensor
 * arguments repeat another's). split 1: the output transposed and split
 * into boxes [N, A, 4] (y) and scores [N, A, nc] (ys): the 16 anchors'
 * boxes interleaved by shuffles into 64 contiguous values, their scores
 * in blocks of 16 classes transposed in registers (YOLO_TRANSPOSE16) into
 * 16 row pieces (the last block overlaps the one before when 16 does not
 * divide nc; fewer than 16 classes are stored value by value). The
 * 16-anchor path uses yolo_exp_fast16 and yolo_sigmoid_fast16
 * (common.cl), the one-by-one path the exact forms. */

#define DETECT_B 16             /* most blocks of 16 anchors per work-item */

#define DETECT_LDF1(p, i) ((p)[i])
#define DETECT_ST1(p, i, st, v) STORE_ACT ((p), (i), (v))

/* The one-anchor body (it was also instantiated at float8): NAME computes
 * anchor a (level anchor p, rows of nl at b + bo and c + co) of one
 * image, in FT, loading activations with LDA, storing with STA and
 * loading the float constants with LDF. Box value k of anchor a goes to
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

DETECT_BODY (detect1, float, LOAD_ACT, DETECT_ST1, DETECT_LDF1)

/* One side's distance for 16 anchors: the DFL expectation over the R bins
 * at rows v, v + nl, .. (R = 1: the value itself). */
static inline float16
detect_dist16 (__global const ACT_T *b, int v, int nl, int R,
    __global const float *w)
{
  if (R == 1)
    return LOAD_ACT16 (b, v);
  float16 m = (float16) (-INFINITY), s = (float16) (0.0f);
  float16 acc = (float16) (0.0f);
  for (int i = 0; i < R; i++)
    m = fmax (m, LOAD_ACT16 (b, v + i * nl));
  for (int i = 0; i < R; i++) {
    float16 e = yolo_exp_fast16 (LOAD_ACT16 (b, v + i * nl) - m);
    s += e;
    acc += e * w[i];
  }
  return acc / s;
}

/* Anchors a .. a+16*nb-1 (level anchors p .. p+16*nb-1, nb <= DETECT_B
 * blocks of 16) of one image; arguments as detect1's. Each input row is
 * read for all nb blocks before the next row (up to 1 KiB contiguous):
 * yolo26n-640's DetectDecode took 0.67, 0.51, 0.44 and 0.37x the CPU time
 * of the float8 kernel with 1, 4, 8 and 16 blocks per work-item, with
 * the 144 to 228 rows a work-item touches read 64 bytes at a time. */
static void
detect16 (__global const ACT_T *b, int bo, __global const ACT_T *c, int co,
    int nl, int p, int a, int A, __global const float *anc,
    __global const float *str, __global const float *w,
    __global ACT_T *y, int R, int nc, int xywh, __global ACT_T *ys,
    int split, int nb)
{
  float16 d[4][DETECT_B];
  for (int k = 0; k < 4; k++)
    for (int j = 0; j < nb; j++)
      d[k][j] = detect_dist16 (b, bo + k * R * nl + p + 16 * j, nl, R, w);
  for (int j = 0; j < nb; j++) {
    int aj = a + 16 * j;
    float16 ax = vload16 (0, anc + aj), ay = vload16 (0, anc + A + aj);
    float16 st = vload16 (0, str + aj);
    float16 x1 = ax - d[0][j], y1 = ay - d[1][j];
    float16 x2 = ax + d[2][j], y2 = ay + d[3][j];
    float16 o0, o1, o2, o3;
    if (xywh) {
      o0 = (x1 + x2) / 2.0f * st;
      o1 = (y1 + y2) / 2.0f * st;
      o2 = (x2 - x1) * st;
      o3 = (y2 - y1) * st;
    } else {
      o0 = x1 * st;
      o1 = y1 * st;
      o2 = x2 * st;
      o3 = y2 * st;
    }
    if (!split) {
      STORE_ACT16 (y, aj, o0);
      STORE_ACT16 (y, A + aj, o1);
      STORE_ACT16 (y, 2 * A + aj, o2);
      STORE_ACT16 (y, 3 * A + aj, o3);
      continue;
    }
    /* boxes: (o0, o1) and (o2, o3) interleaved by anchor, then the pairs */
    float16 p0 = (float16) (o0.s0, o1.s0, o0.s1, o1.s1, o0.s2, o1.s2, o0.s3,
        o1.s3, o0.s4, o1.s4, o0.s5, o1.s5, o0.s6, o1.s6, o0.s7, o1.s7);
    float16 p1 = (float16) (o0.s8, o1.s8, o0.s9, o1.s9, o0.sa, o1.sa, o0.sb,
        o1.sb, o0.sc, o1.sc, o0.sd, o1.sd, o0.se, o1.se, o0.sf, o1.sf);
    float16 q0 = (float16) (o2.s0, o3.s0, o2.s1, o3.s1, o2.s2, o3.s2, o2.s3,
        o3.s3, o2.s4, o3.s4, o2.s5, o3.s5, o2.s6, o3.s6, o2.s7, o3.s7);
    float16 q1 = (float16) (o2.s8, o3.s8, o2.s9, o3.s9, o2.sa, o3.sa, o2.sb,
        o3.sb, o2.sc, o3.sc, o2.sd, o3.sd, o2.se, o3.se, o2.sf, o3.sf);
    STORE_ACT16 (y, 4 * aj, ((float16) (p0.s01, q0.s01, p0.s23, q0.s23,
                p0.s45, q0.s45, p0.s67, q0.s67)));
    STORE_ACT16 (y, 4 * aj + 16, ((float16) (p0.s89, q0.s89, p0.sab,
                q0.sab, p0.scd, q0.scd, p0.sef, q0.sef)));
    STORE_ACT16 (y, 4 * aj + 32, ((float16) (p1.s01, q1.s01, p1.s23,
                q1.s23, p1.s45, q1.s45, p1.s67, q1.s67)));
    STORE_ACT16 (y, 4 * aj + 48, ((float16) (p1.s89, q1.s89, p1.sab,
                q1.sab, p1.scd, q1.scd, p1.sef, q1.sef)));
  }
  if (!split) {
    for (int k = 0; k < nc; k++)
      for (int j = 0; j < nb; j++)
        STORE_ACT16 (ys, k * A + a + 16 * j,
            yolo_sigmoid_fast16 (LOAD_ACT16 (c, co + k * nl + p + 16 * j)));
    return;
  }
  if (nc < 16) {
    for (int k = 0; k < nc; k++)
      for (int j = 0; j < nb; j++) {
        float t[16];
        vstore16 (yolo_sigmoid_fast16 (LOAD_ACT16 (c,
                    co + k * nl + p + 16 * j)), 0, t);
        for (int i = 0; i < 16; i++)
          STORE_ACT (ys, (a + 16 * j + i) * nc + k, t[i]);
      }
    return;
  }
  /* scores: class blocks 0, 16, ..; the last one ends at class nc - 1 */
  for (int kb0 = 0; kb0 < nc; kb0 += 16)
    for (int j = 0; j < nb; j++) {
      int kb = min (kb0, nc - 16), pj = p + 16 * j;
      float16 v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13,
          v14, v15;
#define DETECT_LD(i) v##i = yolo_sigmoid_fast16 (LOAD_ACT16 (c, \
            co + (kb + i) * nl + pj))
      YOLO_EACH16 (DETECT_LD);
#undef DETECT_LD
      YOLO_TRANSPOSE16 (v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11,
          v12, v13, v14, v15);
      int o = (a + 16 * j) * nc + kb;
#define DETECT_ST(i) STORE_ACT16 (ys, o + i * nc, v##i)
      YOLO_EACH16 (DETECT_ST);
#undef DETECT_ST
    }
}

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
    __global ACT_T *ys, int ys_off, int split, int span)
{
  int q = get_global_id (0), img = get_global_id (1);
  int A = n0 + n1 + n2 + n3;
  /* chunks of span anchors per level */
  int q0 = (n0 + span - 1) / span, q1 = (n1 + span - 1) / span;
  int q2 = (n2 + span - 1) / span, q3 = (n3 + span - 1) / span;
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
  int p = q * span;
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
  /* whole blocks of 16 anchors, then the level's last anchors one by one */
  int nb = min (span, nl - p) / 16;
  if (nb > 0)
    detect16 (b, bo, c, co, nl, p, start + p, A, anc, str, w, y, R, nc, xywh,
        ys, split, nb);
  for (int e = min (p + span, nl), i = p + 16 * nb; i < e; i++)
    detect1 (b, bo, c, co, nl, i, start + i, A, anc, str, w, y, R, nc, xywh,
        ys, cs, as, ss);
}
