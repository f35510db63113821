/* eltwise.cl - element-wise binary and unary ops, Cast.
 *
 * Float tensors are ACT_T (float, or half with half storage: common.cl),
 * integer tensors `int` (int32) on the device.
 * Every float kernel ends with the fused activation epilogue
 * (act, alpha, beta; YOLO_ACT_NONE when unused).
 *
 * The 1-D kernels handle 16 consecutive elements per work-item with float16
 * loads/stores and a scalar tail: PoCL does not vectorise across work-items
 * for anything but the simplest kernels (see design/ENGINE.md). */

/* Binary op codes (must match ops/eltwise.c). */
#define ELTWISE_ADD 0
#define ELTWISE_SUB 1
#define ELTWISE_MUL 2
#define ELTWISE_DIV 3
#define ELTWISE_POW 4
#define ELTWISE_MOD 5           /* result has the sign of the divisor */
#define ELTWISE_FMOD 6          /* C fmod: sign of the dividend */
#define ELTWISE_MAX 7           /* NaN if a or b is (not fmax), b of two zeros */
#define ELTWISE_MIN 8
/* ORed into an integer op of uint32 operands (their bits in int): Div,
 * Mod, Max and Min unsigned (Add, Sub, Mul, Pow: the same bits) */
#define ELTWISE_UNSIGNED 32

/* Unary op codes: 0..15 are YOLO_ACT_* (applied with p0, p1 as alpha,
 * beta), the rest below (must match ops/eltwise.c). */
#define ELTWISE_U_EXP 16
#define ELTWISE_U_LOG 17
#define ELTWISE_U_NEG 18
#define ELTWISE_U_SQRT 19
#define ELTWISE_U_TANH 20
#define ELTWISE_U_ABS 21
#define ELTWISE_U_FLOOR 22
#define ELTWISE_U_CEIL 23
#define ELTWISE_U_RECIPROCAL 24
#define ELTWISE_U_ERF 25

/* Whether every lane of b is 2: Pow's x^2 (YOLOv5's anchor decode) as
 * a * a, exact where pow () is a few ulp and 15x slower. */
static inline int
eltwise_all2_float (float b)
{
  return b == 2.0f;
}

static inline int
eltwise_all2_float16 (float16 b)
{
  return all (b == (float16) (2.0f));
}

#define ELTWISE_BINOP(T)                                                    \
static inline T                                                             \
eltwise_binop_##T (int op, T a, T b)                                        \
{                                                                           \
  T r;                                                                      \
  switch (op) {                                                             \
    case ELTWISE_ADD:                                                       \
      return a + b;                                                         \
    case ELTWISE_SUB:                                                       \
      return a - b;                                                         \
    case ELTWISE_MUL:                                                       \
      return a * b;                                                         \
    case ELTWISE_DIV:                                                       \
      return a / b;                                                         \
    case ELTWISE_POW:                                                       \
      if (eltwise_all2_##T (b))                                             \
        return a * a;                                                       \
      return pow (a, b);                                                    \
    case ELTWISE_MOD:                                                       \
      r = fmod (a, b);                                                      \
      return select (r, r + b,                                              \
          (r != (T) 0.0f) && ((r < (T) 0.0f) != (b < (T) 0.0f)));           \
    case ELTWISE_FMOD:                                                      \
      return fmod (a, b);                                                   \
    case ELTWISE_MAX:                                                       \
      return select (b, a, (a > b) | isnan (a));                            \
    case ELTWISE_MIN:                                                       \
      return select (b, a, (a < b) | isnan (a));                            \
    default:                                                                \
      return a;                                                             \
  }                                                                         \
}
ELTWISE_BINOP (float)
ELTWISE_BINOP (float16)

#define ELTWISE_UNOP(T)                                                     \
static inline T                                                             \
eltwise_unop_##T (int op, float p0, float p1, T x)                          \
{                                                                           \
  switch (op) {                                                             \
    case ELTWISE_U_EXP:                                                     \
      return exp (x);                                                       \
    case ELTWISE_U_LOG:                                                     \
      return log (x);                                                       \
    case ELTWISE_U_NEG:                                                     \
      return -x;                                                            \
    case ELTWISE_U_SQRT:                                                    \
      return sqrt (x);                                                      \
    case ELTWISE_U_TANH:                                                    \
      return tanh (x);                                                      \
    case ELTWISE_U_ABS:                                                     \
      return fabs (x);                                                      \
    case ELTWISE_U_FLOOR:                                                   \
      return floor (x);                                                     \
    case ELTWISE_U_CEIL:                                                    \
      return ceil (x);                                                      \
    case ELTWISE_U_RECIPROCAL:                                              \
      return (T) 1.0f / x;                                                  \
    case ELTWISE_U_ERF:                                                     \
      return erf (x);                                                       \
    default:                                                                \
      return eltwise_act_##T (op, p0, p1, x);                               \
  }                                                                         \
}

static inline float
eltwise_act_float (int act, float alpha, float beta, float x)
{
  return yolo_act (act, alpha, beta, x);
}

static inline float16
eltwise_act_float16 (int act, float alpha, float beta, float16 x)
{
  return yolo_act_float16 (act, alpha, beta, x);
}

ELTWISE_UNOP (float)
ELTWISE_UNOP (float16)

/* y = act (a op b), a, b and y of the same shape (n elements). */
__kernel void
eltwise_binary_same (__global const ACT_T *a, int a_off,
    __global const ACT_T *b, int b_off, __global ACT_T *y, int y_off,
    int n, int op, int act, float alpha, float beta)
{
  int i = get_global_id (0) * 16;
  if (i + 16 <= n) {
    float16 va = LOAD_ACT16 (a, a_off + i);
    float16 vb = LOAD_ACT16 (b, b_off + i);
    float16 r = eltwise_binop_float16 (op, va, vb);
    STORE_ACT16 (y, y_off + i, yolo_act_float16 (act, alpha, beta, r));
  } else {
    for (; i < n; i++)
      STORE_ACT (y, y_off + i, yolo_act (act, alpha, beta,
              eltwise_binop_float (op, LOAD_ACT (a, a_off + i),
                  LOAD_ACT (b, b_off + i))));
  }
}

/* Output seen as [rows, inner]; the full operand `a` is contiguous in that
 * shape; the other operand `b` is indexed
 *   (row % b_rows) * b_row_stride + j * b_col_stride   (b_col_stride 0/1).
 * Covers x op scalar, [1,C,H,W] op [1,C,1,1], [1,2,N] op [1,N]...
 * swap: y = b op a instead of a op b. */
__kernel void
eltwise_binary_rows (__global const ACT_T *a, int a_off,
    __global const ACT_T *b, int b_off, __global ACT_T *y, int y_off,
    int inner, int rows, int b_rows, int b_row_stride, int b_col_stride,
    int swap, int op, int act, float alpha, float beta)
{
  int j = get_global_id (0) * 16;
  int row = get_global_id (1);
  if (row >= rows || j >= inner)
    return;
  int ai = a_off + row * inner;
  int bi = b_off + (row % b_rows) * b_row_stride;
  int yi = y_off + row * inner;
  if (j + 16 <= inner) {
    float16 va = LOAD_ACT16 (a, ai + j);
    float16 vb = b_col_stride ? LOAD_ACT16 (b, bi + j) : (float16) (LOAD_ACT (b, bi));
    float16 r = swap ? eltwise_binop_float16 (op, vb, va)
        : eltwise_binop_float16 (op, va, vb);
    STORE_ACT16 (y, yi + j, yolo_act_float16 (act, alpha, beta, r));
  } else {
    for (; j < inner; j++) {
      float va = LOAD_ACT (a, ai + j);
      float vb = LOAD_ACT (b, bi + j * b_col_stride);
      float r = swap ? eltwise_binop_float (op, vb, va)
          : eltwise_binop_float (op, va, vb);
      STORE_ACT (y, yi + j, yolo_act (act, alpha, beta, r));
    }
  }
}

/* General broadcasting over up to 6 (collapsed) dims d0..d5 (outermost
 * first, padded with 1s); per-dim element strides of a and b (0 where
 * broadcast). One element per work-item. */
#define ELTWISE_BCAST_ARGS                                                  \
    int n, int d0, int d1, int d2, int d3, int d4, int d5,                  \
    int sa0, int sa1, int sa2, int sa3, int sa4, int sa5,                   \
    int sb0, int sb1, int sb2, int sb3, int sb4, int sb5

#define ELTWISE_BCAST_INDEX                                                 \
  int i = get_global_id (0);                                                \
  if (i >= n)                                                               \
    return;                                                                 \
  int r = i, t, ia = 0, ib = 0;                                             \
  t = r % d5; r /= d5; ia += t * sa5; ib += t * sb5;                        \
  t = r % d4; r /= d4; ia += t * sa4; ib += t * sb4;                        \
  t = r % d3; r /= d3; ia += t * sa3; ib += t * sb3;                        \
  t = r % d2; r /= d2; ia += t * sa2; ib += t * sb2;                        \
  t = r % d1; r /= d1; ia += t * sa1; ib += t * sb1;                        \
  ia += r * sa0; ib += r * sb0;

__kernel void
eltwise_binary_bcast (__global const ACT_T *a, int a_off,
    __global const ACT_T *b, int b_off, __global ACT_T *y, int y_off,
    ELTWISE_BCAST_ARGS, int op, int act, float alpha, float beta)
{
  ELTWISE_BCAST_INDEX;
  STORE_ACT (y, y_off + i, yolo_act (act, alpha, beta,
          eltwise_binop_float (op, LOAD_ACT (a, a_off + ia),
              LOAD_ACT (b, b_off + ib))));
}

static inline int
eltwise_binop_int (int op, int a, int b)
{
  int q, r, p;
  if (op & ELTWISE_UNSIGNED) {
    op &= ~ELTWISE_UNSIGNED;
    switch (op) {
      case ELTWISE_DIV:
        return b == 0 ? 0 : (int) ((uint) a / (uint) b);
      case ELTWISE_MOD:
      case ELTWISE_FMOD:
        return b == 0 ? 0 : (int) ((uint) a % (uint) b);
      case ELTWISE_MAX:
        return (uint) a > (uint) b ? a : b;
      case ELTWISE_MIN:
        return (uint) a < (uint) b ? a : b;
      default:
        break;
    }
  }
  switch (op) {
    case ELTWISE_ADD:
      return a + b;
    case ELTWISE_SUB:
      return a - b;
    case ELTWISE_MUL:
      return a * b;
    case ELTWISE_DIV:
      /* truncates toward zero; never trap on / 0 or INT_MIN / -1 */
      if (b == 0)
        return 0;
      if (b == -1)
        return -a;
      return a / b;
    case ELTWISE_MOD:
    case ELTWISE_FMOD:
      if (b == 0 || b == -1)
        return 0;
      r = a % b;
      if (op == ELTWISE_MOD && r != 0 && ((r < 0) != (b < 0)))
        r += b;
      return r;
    case ELTWISE_POW:
      if (b < 0)
        return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
      p = 1;
      q = a;
      while (b > 0) {
        if (b & 1)
          p *= q;
        q *= q;
        b >>= 1;
      }
      return p;
    case ELTWISE_MAX:
      return max (a, b);
    case ELTWISE_MIN:
      return min (a, b);
    default:
      return a;
  }
}

__kernel void
eltwise_binary_bcast_int (__global const int *a, int a_off,
    __global const int *b, int b_off, __global int *y, int y_off,
    ELTWISE_BCAST_ARGS, int op)
{
  ELTWISE_BCAST_INDEX;
  y[y_off + i] = eltwise_binop_int (op, a[a_off + ia], b[b_off + ib]);
}

/* y = act (unop (x)) over n elements. */
__kernel void
eltwise_unary (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int n, int op, float p0, float p1, int act, float alpha,
    float beta)
{
  int i = get_global_id (0) * 16;
  if (i + 16 <= n) {
    float16 v = eltwise_unop_float16 (op, p0, p1, LOAD_ACT16 (x, x_off + i));
    STORE_ACT16 (y, y_off + i, yolo_act_float16 (act, alpha, beta, v));
  } else {
    for (; i < n; i++)
      STORE_ACT (y, y_off + i, yolo_act (act, alpha, beta,
              eltwise_unop_float (op, p0, p1, LOAD_ACT (x, x_off + i))));
  }
}

/* Integer unary: NEG, ABS, RELU, CLIP (p0..p1), else identity. */
__kernel void
eltwise_unary_int (__global const int *x, int x_off, __global int *y,
    int y_off, int n, int op, int p0, int p1)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int v = x[x_off + i];
  switch (op) {
    case ELTWISE_U_NEG:
      v = -v;
      break;
    case ELTWISE_U_ABS:
      v = abs (v);
      break;
    case YOLO_ACT_RELU:
      v = max (v, 0);
      break;
    case YOLO_ACT_CLIP:
      v = min (max (v, p0), p1);
      break;
    default:
      break;
  }
  y[y_off + i] = v;
}

/* The integer Casts' mode (backend-opencl/eltwise.c, elt_cast_mode): 0 keep
 * the int32 value, 6 uint32 and 7 uint64 keep the bits too (read back as
 * unsigned: eltwise_cast_i2f), 1 bool (!= 0), 2 uint8, 3 int8, 4 uint16,
 * 5 int16: the
 * higher bits discarded and the rest reinterpreted (two's complement), as
 * ONNX's Cast between fixed-point types (200 as int8 is -56). */
#define CAST_WRAP(v, mode) ((mode) == 2 ? (v) & 0xff : (mode) == 3 \
    ? ((v) << 24) >> 24 : (mode) == 4 ? (v) & 0xffff : (mode) == 5 \
    ? ((v) << 16) >> 16 : (v))

/* float -> int32 truncated toward zero as x86's cvttss2si, which
 * onnxruntime's CPU Cast compiles to (out of range: undefined in ONNX):
 * NaN and values outside [-2^31, 2^31) give INT_MIN. */
#define CAST_F2I(T, IT, v) select ((IT) (INT_MIN), convert_ ## IT ## _rtz \
    (select ((T) (0.0f), (v), (v) >= (T) (-2147483648.0f) \
        && (v) < (T) (2147483648.0f))), (v) >= (T) (-2147483648.0f) \
    && (v) < (T) (2147483648.0f))
/* float -> uint32 as onnxruntime (the compilers' x86 lowering): from 2^31
 * on, x - 2^31 converted and its top bit flipped; so NaN, -inf and values
 * below -2^31 give 2^31, +inf and 2^32 and above give 0 */
#define CAST_F2U(T, IT, v) select (CAST_F2I (T, IT, v), \
    CAST_F2I (T, IT, (v) - (T) (2147483648.0f)) ^ (IT) (INT_MIN), \
    (v) >= (T) (2147483648.0f))

/* Cast float -> int: truncation toward zero (CAST_F2I; CAST_F2U for
 * uint32, mode 6; uint64, mode 7, keeps int32's sign-extended bits), then
 * narrowed by CAST_WRAP, or != 0 for bool (mode 1). */
__kernel void
eltwise_cast_f2i (__global const ACT_T *x, int x_off, __global int *y,
    int y_off, int n, int mode)
{
  int i = get_global_id (0) * 16;
  if (i + 16 <= n) {
    float16 v = LOAD_ACT16 (x, x_off + i);
    /* select, not -(v != 0): Oclgrind 21.10 negates int16 masks wrongly */
    int16 r = mode == 1 ? select ((int16) (0), (int16) (1),
        v != (float16) 0.0f) : mode == 6 ? CAST_F2U (float16, int16, v) :
        CAST_F2I (float16, int16, v);
    vstore16 (CAST_WRAP (r, mode), 0, y + y_off + i);
  } else {
    for (; i < n; i++) {
      float v = LOAD_ACT (x, x_off + i);
      y[y_off + i] = mode == 1 ? (v != 0.0f) : mode == 6 ?
          CAST_F2U (float, int, v) : CAST_WRAP (CAST_F2I (float, int, v),
          mode);
    }
  }
}

/* Cast int -> float; mode (elt_cast_mode of the source type) 6: the int32
 * holds uint32 bits; 7: uint64 held sign-extended (negative: 2^64 + v,
 * which is 2^64 in float) */
__kernel void
eltwise_cast_i2f (__global const int *x, int x_off, __global ACT_T *y,
    int y_off, int n, int mode)
{
  int i = get_global_id (0) * 16;
  if (i + 16 <= n) {
    int16 v = vload16 (0, x + x_off + i);
    float16 f = mode == 6 ? convert_float16 (as_uint16 (v)) :
        convert_float16 (v);
    if (mode == 7)
      f = select (f, (float16) (18446744073709551616.0f), v < 0);
    STORE_ACT16 (y, y_off + i, f);
  } else {
    for (; i < n; i++) {
      int v = x[x_off + i];
      STORE_ACT (y, y_off + i, mode == 6 ? (float) (uint) v : mode == 7
          && v < 0 ? 18446744073709551616.0f : (float) v);
    }
  }
}

/* Cast to float16, the result kept in float32: round to the nearest half,
 * ties to even (vstore_half_rte, core OpenCL 1.2, whatever the device's
 * default rounding mode): 65520 and above give inf, below 2^-25 a signed
 * zero, in between half subnormals; NaN stays NaN. The half goes through a
 * private ushort (no half variables without cl_khr_fp16). */
__kernel void
eltwise_cast_f2h (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  ushort h;
  vstore_half_rte (LOAD_ACT (x, x_off + i), 0, (__private half *) &h);
  STORE_ACT (y, y_off + i, vload_half (0, (__private const half *) &h));
}

/* Cast float -> bfloat16, the result kept in float32: the top 16 bits of
 * the float, rounded to nearest, ties to even (yolo_bfloat16_round, as
 * onnxruntime); NaN stays a (quiet) NaN, FLT_MAX rounds to inf. */
__kernel void
eltwise_cast_f2bf (__global const ACT_T *x, int x_off, __global ACT_T *y,
    int y_off, int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  uint u = as_uint (LOAD_ACT (x, x_off + i));
  if ((u & 0x7fffffffu) > 0x7f800000u)
    u |= 0x00400000u;
  else
    u += 0x7fffu + ((u >> 16) & 1u);
  STORE_ACT (y, y_off + i, as_float (u & 0xffff0000u));
}

/* Cast int -> float16 (in float32): exact through float up to 2^24, and
 * every larger magnitude is inf in half anyway. */
__kernel void
eltwise_cast_i2h (__global const int *x, int x_off, __global ACT_T *y,
    int y_off, int n, int mode)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  ushort h;
  int v = x[x_off + i];
  /* mode as eltwise_cast_i2f's: uint32 / uint64 sources */
  float f = mode == 6 ? (float) (uint) v : mode == 7 && v < 0 ? INFINITY :
      (float) v;
  vstore_half_rte (f, 0, (__private half *) &h);
  STORE_ACT (y, y_off + i, vload_half (0, (__private const half *) &h));
}

__kernel void
eltwise_cast_i2i (__global const int *x, int x_off, __global int *y,
    int y_off, int n, int mode)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  int v = x[x_off + i];
  y[y_off + i] = mode == 1 ? (v != 0) : CAST_WRAP (v, mode);
}
