/* reduce.cl - Softmax / LogSoftmax, ReduceMax/Min/Sum/Mean/..., ArgMax/Min.
 * float tensors only. */

#define REDUCE_MAX 0
#define REDUCE_MIN 1
#define REDUCE_SUM 2
#define REDUCE_MEAN 3
#define REDUCE_PROD 4
#define REDUCE_SUM_SQUARE 5
#define REDUCE_L1 6
#define REDUCE_L2 7
#define REDUCE_LOG_SUM_EXP 8

static inline float
reduce_init (int op)
{
  switch (op) {
    case REDUCE_MAX:
    case REDUCE_LOG_SUM_EXP:
      return -INFINITY;
    case REDUCE_MIN:
      return INFINITY;
    case REDUCE_PROD:
      return 1.0f;
    default:
      return 0.0f;
  }
}

static inline float
reduce_step (int op, float acc, float x)
{
  switch (op) {
    case REDUCE_MAX:
      return fmax (acc, x);
    case REDUCE_MIN:
      return fmin (acc, x);
    case REDUCE_PROD:
      return acc * x;
    case REDUCE_SUM_SQUARE:
    case REDUCE_L2:
      return acc + x * x;
    case REDUCE_L1:
      return acc + fabs (x);
    default:
      return acc + x;
  }
}

/* One output element per work-item. Output dims (kept, contiguous) are
 * k0..k3 with input strides ks0..ks3; the reduced dims r0..r3 have input
 * strides rs0..rs3 (r3 innermost). For LOG_SUM_EXP the caller passes the
 * max first: this kernel computes it in two passes. */
__kernel void
reduce_generic (__global const ACT_T *x, int x_off,
    __global ACT_T *y, int y_off, int total, int op, float scale,
    int k0, int k1, int k2, int k3, int ks0, int ks1, int ks2, int ks3,
    int r0, int r1, int r2, int r3, int rs0, int rs1, int rs2, int rs3)
{
  int gid = get_global_id (0);
  if (gid >= total)
    return;
  int r = gid;
  int c3 = r % k3;
  r /= k3;
  int c2 = r % k2;
  r /= k2;
  int c1 = r % k1;
  int c0 = r / k1;
  int base = x_off + c0 * ks0 + c1 * ks1 + c2 * ks2 + c3 * ks3;
  int pass_op = op == REDUCE_LOG_SUM_EXP ? REDUCE_MAX : op;
  float m = 0.0f;
  float acc;
  for (int pass = 0; pass < (op == REDUCE_LOG_SUM_EXP ? 2 : 1); pass++) {
    acc = reduce_init (pass_op);
    for (int a = 0; a < r0; a++)
      for (int b = 0; b < r1; b++)
        for (int c = 0; c < r2; c++) {
          int po = base + a * rs0 + b * rs1 + c * rs2;
          int i = 0;
          if (pass == 0 && rs3 == 1 && (pass_op == REDUCE_MAX
                  || pass_op == REDUCE_SUM || pass_op == REDUCE_MEAN)) {
            float8 v8 = (float8) (reduce_init (pass_op));
            for (; i + 8 <= r3; i += 8) {
              float8 v = LOAD_ACT8 (x, po + i);
              v8 = pass_op == REDUCE_MAX ? fmax (v8, v) : v8 + v;
            }
            float4 v4 = pass_op == REDUCE_MAX ? fmax (v8.lo, v8.hi) :
                v8.lo + v8.hi;
            float2 v2 = pass_op == REDUCE_MAX ? fmax (v4.lo, v4.hi) :
                v4.lo + v4.hi;
            acc = reduce_step (pass_op, acc, reduce_step (pass_op, v2.x,
                    v2.y));
          }
          for (; i < r3; i++) {
            float v = LOAD_ACT (x, po + i * rs3);
            if (pass == 1)
              v = exp (v - m);
            acc = reduce_step (pass_op, acc, v);
          }
        }
    if (op == REDUCE_LOG_SUM_EXP && pass == 0) {
      m = acc;
      pass_op = REDUCE_SUM;
      if (isinf (m)) {
        acc = m;
        break;
      }
    }
  }
  if (op == REDUCE_MEAN)
    acc *= scale;
  else if (op == REDUCE_L2)
    acc = sqrt (acc);
  else if (op == REDUCE_LOG_SUM_EXP && !isinf (m))
    acc = m + log (acc);
  STORE_ACT (y, y_off + gid, acc);
}

/* ArgMax / ArgMin along one axis: x is [outer, n, inner], y (int) is
 * [outer, inner]. Ties: first index unless select_last. */
__kernel void
reduce_arg (__global const ACT_T *x, int x_off, __global int *y, int y_off,
    int total, int n, int inner, int is_min, int select_last)
{
  int gid = get_global_id (0);
  if (gid >= total)
    return;
  int o = gid / inner;
  int i = gid % inner;
  int po = x_off + o * n * inner + i;
  float best = LOAD_ACT (x, po + 0);
  int bi = 0;
  for (int j = 1; j < n; j++) {
    float v = LOAD_ACT (x, po + j * inner);
    int better = is_min ? (v < best) : (v > best);
    if (better || (select_last && v == best)) {
      best = v;
      bi = j;
    }
  }
  y[y_off + gid] = bi;
}

/* Softmax over contiguous rows of length n: one row per work-item. */
/* The softmax kernels store exp (x - max) and scale it by 1 / sum in a
 * second pass; with half storage that pass recomputes exp instead of
 * reading the stored value back, so the result is rounded to half once. */
#ifdef YOLO_ACT_HALF
#define REDUCE_E8(i, m) exp (LOAD_ACT8 (x, po + (i)) - (m))
#define REDUCE_E(i, m) exp (LOAD_ACT (x, po + (i)) - (m))
#else
#define REDUCE_E8(i, m) LOAD_ACT8 (y, qo + (i))
#define REDUCE_E(i, m) LOAD_ACT (y, qo + (i))
#endif

__kernel void
reduce_softmax_rows (__global const ACT_T *x, int x_off,
    __global ACT_T *y, int y_off, int rows, int n, int log_softmax)
{
  int row = get_global_id (0);
  if (row >= rows)
    return;
  int po = x_off + row * n;
  int qo = y_off + row * n;
  int n8 = n & ~7;
  float8 m8 = (float8) (-INFINITY);
  for (int i = 0; i < n8; i += 8)
    m8 = fmax (m8, LOAD_ACT8 (x, po + i));
  float4 m4 = fmax (m8.lo, m8.hi);
  float2 m2 = fmax (m4.lo, m4.hi);
  float m = fmax (m2.x, m2.y);
  for (int i = n8; i < n; i++)
    m = fmax (m, LOAD_ACT (x, po + i));
  float8 s8 = (float8) (0.0f);
  for (int i = 0; i < n8; i += 8) {
    float8 e = exp (LOAD_ACT8 (x, po + i) - m);
    if (!log_softmax)
      STORE_ACT8 (y, qo + i, e);
    s8 += e;
  }
  float4 s4 = s8.lo + s8.hi;
  float2 s2 = s4.lo + s4.hi;
  float s = s2.x + s2.y;
  for (int i = n8; i < n; i++) {
    float e = exp (LOAD_ACT (x, po + i) - m);
    if (!log_softmax)
      STORE_ACT (y, qo + i, e);
    s += e;
  }
  if (log_softmax) {
    float ls = m + log (s);
    for (int i = 0; i < n8; i += 8)
      STORE_ACT8 (y, qo + i, LOAD_ACT8 (x, po + i) - ls);
    for (int i = n8; i < n; i++)
      STORE_ACT (y, qo + i, LOAD_ACT (x, po + i) - ls);
  } else {
    float r = 1.0f / s;
    for (int i = 0; i < n8; i += 8)
      STORE_ACT8 (y, qo + i, REDUCE_E8 (i, m) * r);
    for (int i = n8; i < n; i++)
      STORE_ACT (y, qo + i, REDUCE_E (i, m) * r);
  }
}

/* Softmax along a strided axis: x is [outer, n, inner] with inner > 1.
 * One work-item handles 8 consecutive inner positions of one outer index.
 * Global size: outer * ceil(inner/8). */
__kernel void
reduce_softmax_strided (__global const ACT_T *x, int x_off,
    __global ACT_T *y, int y_off, int total, int n, int inner,
    int log_softmax)
{
  int gid = get_global_id (0);
  if (gid >= total)
    return;
  int nch = (inner + 7) / 8;
  int o = gid / nch;
  int i0 = (gid % nch) * 8;
  int po = x_off + o * n * inner + i0;
  int qo = y_off + o * n * inner + i0;
  if (i0 + 8 <= inner) {
    float8 m = (float8) (-INFINITY);
    for (int j = 0; j < n; j++)
      m = fmax (m, LOAD_ACT8 (x, po + j * inner));
    float8 s = (float8) (0.0f);
    for (int j = 0; j < n; j++) {
      float8 e = exp (LOAD_ACT8 (x, po + j * inner) - m);
      if (!log_softmax)
        STORE_ACT8 (y, qo + j * inner, e);
      s += e;
    }
    if (log_softmax) {
      float8 ls = m + log (s);
      for (int j = 0; j < n; j++)
        STORE_ACT8 (y, qo + j * inner, LOAD_ACT8 (x, po + j * inner) - ls);
    } else {
      float8 r = (float8) (1.0f) / s;
      for (int j = 0; j < n; j++)
        STORE_ACT8 (y, qo + j * inner, REDUCE_E8 (j * inner, m) * r);
    }
  } else {
    int cnt = inner - i0;
    for (int k = 0; k < cnt; k++) {
      float m = -INFINITY;
      for (int j = 0; j < n; j++)
        m = fmax (m, LOAD_ACT (x, po + j * inner + k));
      float s = 0.0f;
      for (int j = 0; j < n; j++) {
        float e = exp (LOAD_ACT (x, po + j * inner + k) - m);
        if (!log_softmax)
          STORE_ACT (y, qo + j * inner + k, e);
        s += e;
      }
      if (log_softmax) {
        float ls = m + log (s);
        for (int j = 0; j < n; j++)
          STORE_ACT (y, qo + j * inner + k, LOAD_ACT (x, po + j * inner + k) - ls);
      } else {
        float r = 1.0f / s;
        for (int j = 0; j < n; j++)
          STORE_ACT (y, qo + j * inner + k,
              REDUCE_E (j * inner + k, m) * r);
      }
    }
  }
}
