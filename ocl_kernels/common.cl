/* common.cl - helpers shared by every kernel unit: it is prepended to each
 * other .cl file of this folder, and each such pair is built as a program
 * of its own (lazily, when a plan first uses one of its kernels). Other
 * files prefix their own helpers with their file name.
 *
 * Helper functions are `static inline`: a plain (C99) `inline` definition
 * emits no out-of-line copy, so clang-based GPU compilers (ROCm, Intel,
 * Arm; any of them with -cl-opt-disable) fail to link every call they
 * choose not to inline. */

#define YOLO_ACT_NONE 0
#define YOLO_ACT_SILU 1
#define YOLO_ACT_SIGMOID 2
#define YOLO_ACT_RELU 3
#define YOLO_ACT_LEAKY_RELU 4
#define YOLO_ACT_HARD_SIGMOID 5
#define YOLO_ACT_HARD_SWISH 6
#define YOLO_ACT_CLIP 7

/* min (max (x, lo), hi) as onnxruntime's Clip: NaN stays NaN (fmax, fmin
 * and clamp return the operand that is not NaN), a NaN bound is no bound,
 * -0.0 is kept when lo is 0. Also HardSigmoid's [0, 1]. */
static inline float
yolo_clip (float x, float lo, float hi)
{
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

#define YOLO_CLIP_VEC(T)                                                    \
static inline T                                                             \
yolo_clip_##T (T x, float lo, float hi)                                     \
{                                                                           \
  x = select (x, (T) lo, x < (T) lo);                                       \
  return select (x, (T) hi, x > (T) hi);                                    \
}
YOLO_CLIP_VEC (float4)
YOLO_CLIP_VEC (float8)
YOLO_CLIP_VEC (float16)

/* Same formulas as yolo_act_apply() in yolo-graph.c; NaN, inf and -0.0
 * give what onnxruntime's CPU kernels give (Relu (-0.0) is -0.0, Relu,
 * Clip and HardSigmoid of NaN are NaN, SiLU (-inf) is NaN as -inf *
 * Sigmoid (-inf) = -inf * 0). */
static inline float
yolo_act (int act, float alpha, float beta, float x)
{
  switch (act) {
    case YOLO_ACT_SILU:
      return x / (1.0f + exp (-x));
    case YOLO_ACT_SIGMOID:
      return 1.0f / (1.0f + exp (-x));
    case YOLO_ACT_RELU:
      return x < 0.0f ? 0.0f : x;
    case YOLO_ACT_LEAKY_RELU:
      return x >= 0.0f ? x : alpha * x;
    case YOLO_ACT_HARD_SIGMOID:
      return yolo_clip (alpha * x + beta, 0.0f, 1.0f);
    case YOLO_ACT_HARD_SWISH:
      return x * fmax (0.0f, fmin (1.0f, x / 6.0f + 0.5f));
    case YOLO_ACT_CLIP:
      return yolo_clip (x, alpha, beta);
    default:
      return x;
  }
}

#define YOLO_ACT_VEC(T)                                                     \
static inline T                                                             \
yolo_act_##T (int act, float alpha, float beta, T x)                        \
{                                                                           \
  switch (act) {                                                            \
    case YOLO_ACT_SILU:                                                     \
      return x / ((T) 1.0f + exp (-x));                                     \
    case YOLO_ACT_SIGMOID:                                                  \
      return (T) 1.0f / ((T) 1.0f + exp (-x));                              \
    case YOLO_ACT_RELU:                                                     \
      return select (x, (T) 0.0f, x < (T) 0.0f);                            \
    case YOLO_ACT_LEAKY_RELU:                                               \
      return select (x * alpha, x, x >= (T) 0.0f);                          \
    case YOLO_ACT_HARD_SIGMOID:                                             \
      return yolo_clip_##T (x * alpha + beta, 0.0f, 1.0f);                  \
    case YOLO_ACT_HARD_SWISH:                                               \
      return x * fmax ((T) 0.0f, fmin ((T) 1.0f, x / 6.0f + 0.5f));         \
    case YOLO_ACT_CLIP:                                                     \
      return yolo_clip_##T (x, alpha, beta);                                \
    default:                                                                \
      return x;                                                             \
  }                                                                         \
}
YOLO_ACT_VEC (float4)
YOLO_ACT_VEC (float8)
YOLO_ACT_VEC (float16)

#if defined(__AVX512F__)
/* 2^t for t in [-126, 126] (NaN stays NaN; above 126 the result is inf
 * or NaN, which yolo_silu_fast16 masks): t = k + f with k
 * rounded to nearest by vrndscaleps, 2^f (f in [-0.5, 0.5]) by the
 * degree-5 Taylor polynomial, scaled by 2^k with vscalefps. Relative
 * error 3.3e-6 at f = +-0.5 (float32 emulation; 2e-7 near f = 0). A
 * relative minimax fit (1.32647273e-3, 9.67151299e-3, 5.55073358e-2,
 * 2.40222424e-1, 6.93147004e-1: 1.7e-7, same instructions) moved
 * zoo/yolo12n's worst box against onnxruntime from 0.041 to 0.060 px
 * (parity atol 0.05) through the conv epilogues, so it is not used. */
static inline float16
yolo_exp2_avx512 (float16 t)
{
  float16 k = __builtin_ia32_rndscaleps_mask (t, 8, t, (ushort) 0xffff, 4);
  float16 f = t - k;
  float16 p = fma (f, 1.3333558e-3f, 9.6181291e-3f);
  p = fma (p, f, 5.5504109e-2f);
  p = fma (p, f, 2.4022651e-1f);
  p = fma (p, f, 6.9314718e-1f);
  p = fma (p, f, 1.0f);
  return __builtin_ia32_scalefps512_mask (p, k, (float16) (0.0f),
      (ushort) 0xffff, 4);
}

/* 1 / (1 + 2^t), t = -x log2(e) bounded below by -126: the refined
 * reciprocal estimate of yolo_silu_fast16 and yolo_sigmoid_fast16; 0
 * where t >= 126 (e inf or NaN there). */
static inline float16
yolo_sigmoid_avx512 (float16 t)
{
  float16 d = 1.0f + yolo_exp2_avx512 (t);
  float16 r = __builtin_ia32_rcp14ps512_mask (d, (float16) (0.0f),
      (ushort) 0xffff);
  r = r * (2.0f - d * r);
  return select (r, (float16) (0.0f), t >= 126.0f);
}
#endif

/* x * sigmoid(x) for the conv epilogues (conv_cpu.cl, conv_int8.cl). On
 * AVX-512 CPUs (PoCL) a short exp2 (yolo_exp2_avx512: range reduction +
 * degree-5 polynomial, relative error up to 3.3e-6) and a refined
 * reciprocal estimate replace exp() and the division, which dominate the
 * epilogue of convolutions with few input channels (depthwise, 1x1 with
 * 16-64 input channels). 2^k by vscalefps and k by vrndscaleps (not the
 * integer exponent arithmetic and the 1.5 * 2^23 rounding trick): 15
 * instructions per vector, not 20. t is bounded below by -126 (t = -inf,
 * x = +inf, would make f NaN); above 126 no bound is needed: e may be inf
 * or NaN there (inf * 0 in the refinement, or t = +inf), and the select
 * after it sets those lanes to 0 (an upper clamp at 126 gave the same
 * bits). */
static inline float16
yolo_silu_fast16 (float16 x)
{
#if defined(__AVX512F__)
  /* sigmoid 0 below -87 (t >= 126): SiLU (-inf) is NaN, -inf * 0, as
   * onnxruntime's Mul (x, Sigmoid (x)) and the exp () form below */
  return x * yolo_sigmoid_avx512 (max (x * -1.44269504f, -126.0f));
#else
  return x / (1.0f + exp (-x));
#endif
}

/* Sigmoid and exp for the decode tails (anchor.cl, detect.cl), with the
 * exp2 of yolo_silu_fast16 on AVX-512 and the exact forms elsewhere.
 * Relative error against double (float32 emulation): sigmoid 3.4e-6 for
 * |x| <= 5, 4.2e-6 up to |x| = 18, 2.3e-7 for 1 / (1 + exp (-x));
 * onnxruntime 1.32's Sigmoid (MLAS, rational) 1.4e-5 for |x| <= 5 and a
 * constant below -18; exp of x in [-10, 0] 3.5e-6 (onnxruntime's Softmax
 * 5e-7 on its larger outputs). NaN stays NaN, sigmoid (-inf) = 0 (and 0
 * below -87.3), sigmoid (+inf) = 1; the clamps are compares and selects
 * that let NaN through (one vmaxps / vminps each). yolo_exp_fast16 is
 * for x <= 0 (softmax terms x - max): exp of x below -87.3 is 2^-126
 * instead of a subnormal or 0. */
static inline float16
yolo_sigmoid_fast16 (float16 x)
{
#if defined(__AVX512F__)
  return yolo_sigmoid_avx512 (yolo_clip_float16 (x * -1.44269504f, -126.0f,
          126.0f));
#else
  return 1.0f / (1.0f + exp (-x));
#endif
}

static inline float16
yolo_exp_fast16 (float16 x)
{
#if defined(__AVX512F__)
  return yolo_exp2_avx512 (yolo_clip_float16 (x * 1.44269504f, -126.0f,
          126.0f));
#else
  return exp (x);
#endif
}

/* 16x16 transpose of the float16 rows v0 .. v15 in registers (about 64
 * two-source shuffles, vpermt2ps / vunpck*pd on AVX-512): afterwards
 * lane k of row c is what lane c of row k was. YOLO_T16_d swaps bit
 * d of the row index with bit d of the lane index between rows a and
 * b = a + d; the steps d = 1, 2, 4, 8 make the transpose. Used by the
 * decode tails (anchor.cl, detect.cl) to write rows contiguously. */
#define YOLO_T16_1(a, b) do { float16 a_ = (a), b_ = (b); \
  (a) = (float16) (a_.s0, b_.s0, a_.s2, b_.s2, a_.s4, b_.s4, a_.s6, b_.s6, \
      a_.s8, b_.s8, a_.sa, b_.sa, a_.sc, b_.sc, a_.se, b_.se); \
  (b) = (float16) (a_.s1, b_.s1, a_.s3, b_.s3, a_.s5, b_.s5, a_.s7, b_.s7, \
      a_.s9, b_.s9, a_.sb, b_.sb, a_.sd, b_.sd, a_.sf, b_.sf); \
  } while (0)
#define YOLO_T16_2(a, b) do { float16 a_ = (a), b_ = (b); \
  (a) = (float16) (a_.s01, b_.s01, a_.s45, b_.s45, a_.s89, b_.s89, \
      a_.scd, b_.scd); \
  (b) = (float16) (a_.s23, b_.s23, a_.s67, b_.s67, a_.sab, b_.sab, \
      a_.sef, b_.sef); \
  } while (0)
#define YOLO_T16_4(a, b) do { float16 a_ = (a), b_ = (b); \
  (a) = (float16) (a_.s0123, b_.s0123, a_.s89ab, b_.s89ab); \
  (b) = (float16) (a_.s4567, b_.s4567, a_.scdef, b_.scdef); \
  } while (0)
#define YOLO_T16_8(a, b) do { float16 a_ = (a), b_ = (b); \
  (a) = (float16) (a_.lo, b_.lo); \
  (b) = (float16) (a_.hi, b_.hi); \
  } while (0)
#define YOLO_TRANSPOSE16(v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, \
    v12, v13, v14, v15) do { \
  YOLO_T16_1 (v0, v1); YOLO_T16_1 (v2, v3); YOLO_T16_1 (v4, v5); \
  YOLO_T16_1 (v6, v7); YOLO_T16_1 (v8, v9); YOLO_T16_1 (v10, v11); \
  YOLO_T16_1 (v12, v13); YOLO_T16_1 (v14, v15); \
  YOLO_T16_2 (v0, v2); YOLO_T16_2 (v1, v3); YOLO_T16_2 (v4, v6); \
  YOLO_T16_2 (v5, v7); YOLO_T16_2 (v8, v10); YOLO_T16_2 (v9, v11); \
  YOLO_T16_2 (v12, v14); YOLO_T16_2 (v13, v15); \
  YOLO_T16_4 (v0, v4); YOLO_T16_4 (v1, v5); YOLO_T16_4 (v2, v6); \
  YOLO_T16_4 (v3, v7); YOLO_T16_4 (v8, v12); YOLO_T16_4 (v9, v13); \
  YOLO_T16_4 (v10, v14); YOLO_T16_4 (v11, v15); \
  YOLO_T16_8 (v0, v8); YOLO_T16_8 (v1, v9); YOLO_T16_8 (v2, v10); \
  YOLO_T16_8 (v3, v11); YOLO_T16_8 (v4, v12); YOLO_T16_8 (v5, v13); \
  YOLO_T16_8 (v6, v14); YOLO_T16_8 (v7, v15); \
  } while (0)

/* M (0); M (1); ... M (15): the row-by-row loads and stores around
 * YOLO_TRANSPOSE16 (M is a macro of the row index). */
#define YOLO_EACH16(M) do { \
  M (0); M (1); M (2); M (3); M (4); M (5); M (6); M (7); \
  M (8); M (9); M (10); M (11); M (12); M (13); M (14); M (15); \
  } while (0)

/* The other activations, out of line: a kernel expands its epilogue up to
 * 18 times, and inlining yolo_act_float16 (two float16 exp) into each made
 * the work-group functions PoCL compiles at the first launch much larger
 * (cold start) for activations YOLO models rarely use. */
static __attribute__ ((noinline)) float16
yolo_act16_other (float16 v, int act, float alpha, float beta)
{
  return yolo_act_float16 (act, alpha, beta, v);
}

/* The epilogue arguments of every conv kernel (conv_cpu.cl, conv_gpu.cl):
 * bias b, output (y, y_off), optional residual (r, r_off, has_res) added
 * after the activation act(alpha, beta). */
#define CONV_EPILOGUE_ARGS \
  __global const float *b, __global ACT_T *y, int y_off, \
  __global const ACT_T *r, int r_off, int has_res, int act, float alpha, \
  float beta

/* Activation storage (yolo_rt_set_act_storage): float activations are
 * `__global ACT_T *` and go through these macros; arithmetic is float.
 * Built with -DYOLO_ACT_HALF=1 they are half in memory: vload_half /
 * vstore_half_rte (core OpenCL 1.2, no cl_khr_fp16), rounding to nearest,
 * ties to even, like yolo_float_to_half. i counts elements; the vector
 * forms LOAD_ACTn (p, i) / STORE_ACTn (p, i, v) read / write n elements
 * starting at element i (no alignment needed). Weights and other
 * parameters stay `const float *`. The 8- and 16-wide forms are made of
 * vload_half4 / vstore_half4_rte: PoCL 3.1's kernels crash (SIGSEGV) with
 * vload_half8 and vstore_half8_rte inside loops. */
#ifdef YOLO_ACT_HALF
#define ACT_T half
#define LOAD_ACT(p, i) vload_half ((i), (p))
#define STORE_ACT(p, i, v) vstore_half_rte ((v), (i), (p))
#define LOAD_ACT4(p, i) vload_half4 (0, (p) + (i))
#define STORE_ACT4(p, i, v) vstore_half4_rte ((v), 0, (p) + (i))
#define LOAD_ACT8(p, i) \
  ((float8) (vload_half4 (0, (p) + (i)), vload_half4 (0, (p) + (i) + 4)))
#define STORE_ACT8(p, i, v) do { float8 v8_ = (v); \
  vstore_half4_rte (v8_.lo, 0, (p) + (i)); \
  vstore_half4_rte (v8_.hi, 0, (p) + (i) + 4); } while (0)
#define LOAD_ACT16(p, i) ((float16) (LOAD_ACT8 (p, i), LOAD_ACT8 (p, (i) + 8)))
#define STORE_ACT16(p, i, v) do { float16 v16_ = (v); \
  STORE_ACT8 (p, i, v16_.lo); STORE_ACT8 (p, (i) + 8, v16_.hi); } while (0)
#else
#define ACT_T float
#define LOAD_ACT(p, i) ((p)[i])
#define STORE_ACT(p, i, v) ((p)[i] = (v))
#define LOAD_ACT4(p, i) vload4 (0, (p) + (i))
#define STORE_ACT4(p, i, v) vstore4 ((v), 0, (p) + (i))
#define LOAD_ACT8(p, i) vload8 (0, (p) + (i))
#define STORE_ACT8(p, i, v) vstore8 ((v), 0, (p) + (i))
#define LOAD_ACT16(p, i) vload16 (0, (p) + (i))
#define STORE_ACT16(p, i, v) vstore16 ((v), 0, (p) + (i))
#endif

/* Static fake quantisation (QuantizeLinear -> DequantizeLinear with
 * constant parameters, ops/qdq.c), division-free: y = clamp(round_half_
 * even(x / s), qlo, qhi) * s with qlo = lo - zp, qhi = hi - zp, x / s
 * correctly rounded. p = { s, r, xlo, xhi, qlo, qhi } (yolo_qdq_fq_pack):
 * r = 1 / s correctly rounded, xlo = (qlo - 1) * s, xhi = (qhi + 1) * s,
 * all finite and normal. Why it equals the division form:
 *  - x is first clamped to [xlo, xhi]: outside it x / s rounds beyond
 *    qlo - 1/2 or qhi + 1/2 and saturates, and so do xlo / s and xhi / s
 *    (within an ulp of qlo - 1 and qhi + 1); inf saturates the same way
 *    and NaN becomes xlo, hence qlo, as rint (NaN) clamped by fmax;
 *  - the quotient a * r refined twice with exact fma residuals
 *    (Markstein) is the correctly rounded a / s in the normal range (a
 *    subnormal quotient rounds to 0 either way);
 *  - |q| <= 257 < 2^22, so (q + 1.5 * 2^23) - 1.5 * 2^23 rounds it to an
 *    integer, ties to even (the current rounding mode), like rint.
 * The clamps are compares and selects, one vmaxps / vminps each on x86
 * where the NaN-aware fmin / fmax take three instructions: a NaN x fails
 * x > p0 and becomes p0 (as fmax (NaN, p0)); a and q are never NaN; a q
 * equal to a bound keeps its own value (+0 against a qlo of -0). */
#define YOLO_FQ_LEVEL(T)                                                    \
  T a_ = select ((T) p0, x, x > p0);                                        \
  a_ = select ((T) p1, a_, a_ < p1);                                        \
  T q_ = a_ * r;                                                            \
  q_ = fma (fma (-q_, (T) s, a_), (T) r, q_);                               \
  q_ = fma (fma (-q_, (T) s, a_), (T) r, q_);                               \
  q_ = (q_ + 12582912.0f) - 12582912.0f;                                    \
  q_ = select (q_, (T) qlo, q_ < qlo);                                      \
  q_ = select (q_, (T) qhi, q_ > qhi)
#define YOLO_FQ_BODY(T) YOLO_FQ_LEVEL (T); return q_ * s

static inline float
yolo_fq (float x, float s, float r, float p0, float p1, float qlo,
    float qhi)
{
  YOLO_FQ_BODY (float);
}

static inline float16
yolo_fq16 (float16 x, float s, float r, float p0, float p1, float qlo,
    float qhi)
{
  YOLO_FQ_BODY (float16);
}

/* The codes of QuantizeLinear per tensor (x float, y int), division-free
 * as yolo_fq16: the level q in [qlo, qhi] plus the zero point, written as
 * q - qlo + lo (lo: the type's low end, 0 or -128; exact in float). */
static inline int16
yolo_fq_code16 (float16 x, float s, float r, float p0, float p1, float qlo,
    float qhi, int lo)
{
  YOLO_FQ_LEVEL (float16);
  return convert_int16 (q_ - qlo) + lo;
}

static inline int
yolo_fq_code (float x, float s, float r, float p0, float p1, float qlo,
    float qhi, int lo)
{
  YOLO_FQ_LEVEL (float);
  return convert_int (q_ - qlo) + lo;
}

/* ---- The static fake quantisations of a QDQ model's conv epilogue (a node
 * with qepi, yolo-qdq-fuse.c), compiled only with -DCONV_QDQ=1 (the
 * runtime of a model that has one, yolo_rt_set_qdq_epilogue: fp32 models
 * build these kernels as before). CONV_QDQ_ARGS, at the end of the conv
 * kernels' arguments: qe holds 4 records of 8 floats
 * { s, r, xlo, xhi, qlo, qhi, -, - } (yolo_qdq_fq_pack); bit k of qmask
 * applies record k: 0 after the bias, 1 after SiLU's sigmoid, 2 after the
 * activation, 3 after the residual add; qmask 0: the plain epilogue. The
 * sigmoid and the product are those of the separate Sigmoid and Mul
 * kernels (eltwise.cl), so the values equal the unfused graph's. */
#ifdef CONV_QDQ
#define CONV_QDQ_ARGS , __global const float *qe, int qmask
#define CONV_QFQ16(v, k) yolo_fq16 ((v), qe[8 * (k)], qe[8 * (k) + 1], \
    qe[8 * (k) + 2], qe[8 * (k) + 3], qe[8 * (k) + 4], qe[8 * (k) + 5])

/* Bit 4 of qmask (with bits 0 and SiLU): fq0's 256 levels index the
 * table qe[32..287] = fq2 (a * fq1 (sigmoid (a))) of each level a
 * (conv_qdq_silu_table): the same values without the exp per element. */
static inline float16
conv_qdq_lut16 (float16 v, __global const float *qe)
{
  float16 a = fmin (fmax (v, qe[2]), qe[3]);
  float16 q = a * qe[1];
  q = fma (fma (-q, (float16) qe[0], a), (float16) qe[1], q);
  q = fma (fma (-q, (float16) qe[0], a), (float16) qe[1], q);
  q = (q + 12582912.0f) - 12582912.0f;
  int16 i = convert_int16 (fmin (fmax (q, qe[4]), qe[5]) - qe[4]) + 32;
  return (float16) (qe[i.s0], qe[i.s1], qe[i.s2], qe[i.s3], qe[i.s4],
      qe[i.s5], qe[i.s6], qe[i.s7], qe[i.s8], qe[i.s9], qe[i.sa], qe[i.sb],
      qe[i.sc], qe[i.sd], qe[i.se], qe[i.sf]);
}

static inline float16
conv_qdq_act16 (float16 v, int act, __global const float *qe, int qmask)
{
  if (qmask & 16)
    return conv_qdq_lut16 (v, qe);
  if (qmask & 1)
    v = CONV_QFQ16 (v, 0);
  if (act == YOLO_ACT_SILU) {
    float16 sg = (float16) 1.0f / ((float16) 1.0f + exp (-v));
    if (qmask & 2)
      sg = CONV_QFQ16 (sg, 1);
    v = v * sg;
  }
  if (qmask & 4)
    v = CONV_QFQ16 (v, 2);
  return v;
}

/* One lane of conv_qdq_act16, the same operations (the integer convs'
 * per-lane QDQ epilogue, conv_int8_qdq_lanes). */
#define CONV_QFQ1(v, k) yolo_fq ((v), qe[8 * (k)], qe[8 * (k) + 1], \
    qe[8 * (k) + 2], qe[8 * (k) + 3], qe[8 * (k) + 4], qe[8 * (k) + 5])

static inline float
conv_qdq_act1 (float v, int act, __global const float *qe, int qmask)
{
  if (qmask & 16)              /* the table from qe[32], by record 0's level */
    return qe[yolo_fq_code (v, qe[0], qe[1], qe[2], qe[3], qe[4], qe[5], 32)];
  if (qmask & 1)
    v = CONV_QFQ1 (v, 0);
  if (act == YOLO_ACT_SILU) {
    float sg = 1.0f / (1.0f + exp (-v));
    if (qmask & 2)
      sg = CONV_QFQ1 (sg, 1);
    v = v * sg;
  }
  if (qmask & 4)
    v = CONV_QFQ1 (v, 2);
  return v;
}
#else
#define CONV_QDQ_ARGS
#endif

/* ---- The integer dot-product convs' shared part (conv_int8.cl,
 * conv_int8_s2.cl; backend-opencl/conv-int8.c): their arguments, the
 * eight-channel accumulator sets, the exact-sum epilogue and the plain
 * int32 dot product. A kernel body using CONV_INT8_EPI1Q / STORE8 defines
 * m0 (its first output channel), Mp (M rounded up to 8) and z (the x
 * zero point) and takes CONV_INT8_ARGS (their names). */

/* Lanes [l0, l1) of r + o, the others 0 (a partial tile's residual). */
static inline float16
conv_int8_lanes16 (__global const float *r, int o, int l0, int l1)
{
  float t[16];
  for (int i = 0; i < 16; i++)
    t[i] = i >= l0 && i < l1 ? r[o + i] : 0.0f;
  return vload16 (0, t);
}

/* The static QDQ epilogue of the integer convs (a ConvIntegerToFloat
 * with qepi: the static QDQ files' convs, yolo-qdq-int.c): with
 * -DCONV_QDQ=1 their arguments end with qe and qmask (CONV_QDQ_ARGS, as
 * the float convs'), and a qmask applies the fake quantisations around
 * the activation and after the residual add exactly as conv_cpu.cl's
 * epilogue does (conv_qdq_act16, record 3 after the add). */
#ifdef CONV_QDQ
#define CONV_INT8_QDQ_PARAMS , __global const float *qe, int qmask
#define CONV_INT8_QM(q) , qe, (q)
#define CONV_INT8_QMASK qmask
#if defined(__x86_64__) && defined(__AVX512F__)
#define CONV_INT8_QDQ_UNROLL 1
#else
#define CONV_INT8_QDQ_UNROLL 0
#endif
#else
#define CONV_INT8_QDQ_UNROLL 0
#define CONV_INT8_QDQ_PARAMS
#define CONV_INT8_QM(q)
#define CONV_INT8_QMASK 0
#endif

#ifdef CONV_QDQ
/* Lanes t[i.s0] .. t[i.sf]: one vgatherdps on x86 with AVX-512 (PoCL's
 * CPU kernels; LLVM builds the vector form below from 16 scalar loads
 * and inserts, ~1/10 of the QDQ files' time in their SiLU epilogues). */
static inline float16
conv_int8_gather16 (__global const float *t, int16 i)
{
#if defined(__x86_64__) && defined(__AVX512F__)
  float16 r;
  __asm__ ("kxnorw %%k1, %%k1, %%k1\n\t"
      "vgatherdps (%1,%2,4), %0%{%%k1%}"
      : "=&v" (r) : "r" (t), "v" (i) : "k1", "memory");
  return r;
#else
  return (float16) (t[i.s0], t[i.s1], t[i.s2], t[i.s3], t[i.s4], t[i.s5],
      t[i.s6], t[i.s7], t[i.s8], t[i.s9], t[i.sa], t[i.sb], t[i.sc],
      t[i.sd], t[i.se], t[i.sf]);
#endif
}

/* The table epilogue (qmask bit 4: fq0, SiLU, fq1, fq2 as one lookup,
 * conv_qdq_lut16) of the integer convs: fq0's level straight from the
 * exact sum, t = acc * (mul / s) + bias / s in one fma (mul / s and
 * bias / s by r = 1 / s), clamped to [qlo, qhi] and rounded to the
 * nearest level, ties to even. Equal to round((float(acc) * mul + bias)
 * / s) wherever the scales are powers of two (every step exact, the
 * /qdq-int/exact cases); otherwise both round the same real number with
 * an error of an ulp or two, so a level can move by one at a rounding
 * boundary, as the float sum of the unfused graph and the exact integer
 * sum already do (the /qdq-int/reference tolerance). */
static inline float16
conv_int8_qdq_lut16 (int16 acc, float mul, float bias,
    __global const float *qe)
{
  float16 t = fma (convert_float16 (acc), (float16) (mul * qe[1]),
      (float16) (bias * qe[1]));
  t = select ((float16) qe[4], t, t > qe[4]);
  t = select ((float16) qe[5], t, t < qe[5]);
  t = (t + 12582912.0f) - 12582912.0f;
  return conv_int8_gather16 (qe, convert_int16 (t - qe[4]) + 32);
}
#endif

/* 16 lanes: float(acc) * mul [+ bias], activation (to_float), or the
 * int32 bits (ConvInteger). fast_silu: yolo_silu_fast16 (above),
 * else the exp () form of the other integer kernels (int8_compute "integer": the
 * polynomial moves enough values across the next quantisation's rounding
 * boundaries to change yolo26n-int8's scores by 0.03, README); qmask:
 * the QDQ epilogue (conv_qdq_act16). */
static inline float16
conv_int8_epi16 (int16 acc, int m, int to_float, float mul,
    __global const float *b, int has_bias, int act, float alpha, float beta,
    int fast_silu CONV_INT8_QDQ_PARAMS)
{
  if (!to_float)
    return as_float16 (acc);
#ifdef CONV_QDQ
  if (qmask & 16)
    return conv_int8_qdq_lut16 (acc, mul, has_bias ? b[m] : 0.0f, qe);
#endif
  float16 v = convert_float16 (acc) * mul;
  if (has_bias)
    v = v + b[m];
#if defined(CONV_QDQ) && !defined(YOLO_SOFT_FMA)
  if (qmask)
    return conv_qdq_act16 (v, act, qe, qmask);
#endif
  if (act == YOLO_ACT_SILU && fast_silu)
    return yolo_silu_fast16 (v);
  if (act == YOLO_ACT_NONE)
    return v;
  return yolo_act16_other (v, act, alpha, beta);
}

/* Lanes [l0, l1) of v [+ residual, then qmask's record 3] at y + o; with
 * qmask bit 5 the codes of the result (int32 bits) instead. */
static inline void
conv_int8_store16 (float16 v, int o, int l0, int l1, __global float *y,
    __global const float *r, int has_res CONV_INT8_QDQ_PARAMS)
{
#if defined(CONV_QDQ) && !defined(YOLO_SOFT_FMA)
  if (has_res && (qmask & 8)) {
    float16 t_ = v + (l0 == 0 && l1 == 16 ? vload16 (0, r + o) :
        conv_int8_lanes16 (r, o, l0, l1));
    v = CONV_QFQ16 (t_, 3);
    has_res = 0;
  }
  /* the uint8 codes of v, on the grid of record (qmask >> 6) & 3: v = q s
   * rounded, so v r is q within 2^-15 and rounds to it (yolo-qdq-int.c;
   * |q| <= 257: the 1.5 * 2^23 sum rounds it, as YOLO_FQ_LEVEL) */
  if (qmask & 32) {
    int k_ = (qmask >> 6) & 3;
    float16 q_ = (v * qe[8 * k_ + 1] + 12582912.0f) - 12582912.0f;
    v = as_float16 (convert_int16 (q_ - qe[8 * k_ + 4]));
  }
#endif
  if (l0 == 0 && l1 == 16) {
    if (has_res)
      v = v + vload16 (0, r + o);
    vstore16 (v, 0, y + o);
  } else {
    float t[16];
    vstore16 (v, 0, t);
    for (int i = l0; i < l1; i++)
      y[o + i] = has_res ? t[i] + r[o + i] : t[i];
  }
}

#ifdef CONV_QDQ
/* conv_int8_epi16 + conv_int8_store16 with a QDQ epilogue (qmask, so
 * ConvIntegerToFloat: to_float), one lane at a time in a loop over
 * [l0, l1), the same operations: on a device without fused multiply-add
 * (YOLO_SOFT_FMA: Mesa's, whose libclc fma is a software routine with
 * branches, some 100 instructions), where the 16-lane form inlined the
 * 20 fma of conv_qdq_act16 + conv_int8_store16 16 times over and
 * building one kernel took Mesa's compiler past 19 GB (rusticl on
 * llvmpipe); one lane's code, in a loop no compiler unrolls, builds in
 * seconds. */
static inline void
conv_int8_qdq_lanes (int16 acc, int m, float mul, __global const float *b,
    int has_bias, int act, int o, int l0, int l1, __global float *y,
    __global const float *r, int has_res, __global const float *qe,
    int qmask)
{
  float16 v = convert_float16 (acc) * mul;
  float t[16];
  int k = (qmask >> 6) & 3;

  if (has_bias)
    v = v + b[m];
  vstore16 (v, 0, t);
  for (int i = l0; i < l1; i++) {
    float u = conv_qdq_act1 (t[i], act, qe, qmask);
    if (has_res && (qmask & 8))
      u = CONV_QFQ1 (u + r[o + i], 3);
    if (qmask & 32)
      u = as_float (convert_int_rte (u * qe[8 * k + 1]) - (int) qe[8 * k + 4]);
    if (has_res && !(qmask & 8))
      u = u + r[o + i];
    y[o + i] = u;
  }
}
#endif

#define CONV_INT8_ARGS \
  __global const int *x, int x_off, __global const int *xzp, int xzp_off, \
  __global const int *w, __global const int *wfix, __global float *y, \
  int y_off, int to_float, __global const float *mul, int mul_off, \
  int mul_per_channel, __global const float *b, int has_bias, \
  __global const float *r, int r_off, int has_res, int act, float alpha, \
  float beta, int M, int HW, int C, int has_d, int fast_silu

#define CONV_INT8_DECL8(p) \
  int16 p##0 = 0, p##1 = 0, p##2 = 0, p##3 = 0, p##4 = 0, p##5 = 0, \
      p##6 = 0, p##7 = 0

#define CONV_INT8_PICK8(p, j) ((j) == 0 ? p##0 : (j) == 1 ? p##1 : \
    (j) == 2 ? p##2 : (j) == 3 ? p##3 : (j) == 4 ? p##4 : (j) == 5 ? p##5 : \
    (j) == 6 ? p##6 : p##7)

/* The epilogue of channel j: the exact sum of accumulator v (dot
 * products sum q W8) with pixel sums qs, lanes [l0, l1) at pixel offset
 * off. wfix: ws[0..Mp), then d[0..Mp). */
#define CONV_INT8_EPI1Q(v, qs, j, off, l0, l1, QM) do { \
    int m_ = m0 + (j); \
    uint16 s_ = as_uint16 (v) + as_uint16 (qs) * (uint) wfix[Mp + m_] \
        - (uint) z * (uint) wfix[m_]; \
    conv_int8_store16 (conv_int8_epi16 (as_int16 (s_), m_, to_float, \
            mul[mul_off + (mul_per_channel ? m_ : 0)], b, has_bias, act, \
            alpha, beta, fast_silu CONV_INT8_QM (QM)), m_ * HW + (off), \
        (l0), (l1), y + y_off, r + r_off, has_res CONV_INT8_QM (QM)); \
  } while (0)

/* CONV_INT8_EPI1Q with the QDQ epilogue (qmask); per lane
 * (conv_int8_qdq_lanes) on a device without fused multiply-add. */
#if defined(CONV_QDQ) && defined(YOLO_SOFT_FMA)
#define CONV_INT8_EPI1QDQ(v, qs, j, off, l0, l1) do { \
    int m_ = m0 + (j); \
    uint16 s_ = as_uint16 (v) + as_uint16 (qs) * (uint) wfix[Mp + m_] \
        - (uint) z * (uint) wfix[m_]; \
    conv_int8_qdq_lanes (as_int16 (s_), m_, \
        mul[mul_off + (mul_per_channel ? m_ : 0)], b, has_bias, act, \
        m_ * HW + (off), (l0), (l1), y + y_off, r + r_off, has_res, qe, \
        qmask); \
  } while (0)
#else
#define CONV_INT8_EPI1QDQ(v, qs, j, off, l0, l1) \
  CONV_INT8_EPI1Q (v, qs, j, off, l0, l1, CONV_INT8_QMASK)
#endif

/* The 8 channels of accumulator set p (qs its pixel sums) with epilogue
 * mask QM (0: no QDQ epilogue): unrolled, or one channel per loop step
 * past M. */
#define CONV_INT8_STORE8Q(p, qs, off, l0, l1, QM) do { \
    if (m0 + 8 <= M) { \
      CONV_INT8_EPI1Q (p##0, qs, 0, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##1, qs, 1, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##2, qs, 2, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##3, qs, 3, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##4, qs, 4, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##5, qs, 5, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##6, qs, 6, off, l0, l1, QM); \
      CONV_INT8_EPI1Q (p##7, qs, 7, off, l0, l1, QM); \
    } else { \
      for (int j_ = 0; j_ < 8 && m0 + j_ < M; j_++) \
        CONV_INT8_EPI1Q (CONV_INT8_PICK8 (p, j_), qs, j_, off, l0, l1, QM); \
    } \
  } while (0)
#define CONV_INT8_STORE8(p, qs, off, l0, l1) \
  CONV_INT8_STORE8Q (p, qs, off, l0, l1, 0)

/* The QDQ stores of both accumulator sets (see CONV_INT8_STORE_AC). PoCL's
 * x86 build (CONV_INT8_QDQ_UNROLL: the VNNI kernels that run the static
 * QDQ files) unrolls them per set: the single loop picks each accumulator
 * through a select chain, 3-5 % of those convs' time there. */
#if CONV_INT8_QDQ_UNROLL
#define CONV_INT8_STORE_QDQ(has_a, oa, la0, la1, has_c, oc, lc0, lc1) do { \
    if (has_a) \
      CONV_INT8_STORE8Q (a, qa, oa, la0, la1, CONV_INT8_QMASK); \
    if (has_c) \
      CONV_INT8_STORE8Q (c, qc, oc, lc0, lc1, CONV_INT8_QMASK); \
  } while (0)
#else
#define CONV_INT8_STORE_QDQ(has_a, oa, la0, la1, has_c, oc, lc0, lc1) do { \
    int nm_ = min (M - m0, 8), na_ = (has_a) ? nm_ : 0; \
    int nu_ = na_ + ((has_c) ? nm_ : 0); \
    int oa_ = (oa), la0_ = (la0), la1_ = (la1); \
    int oc_ = (oc), lc0_ = (lc0), lc1_ = (lc1); \
    for (int u_ = 0; u_ < nu_; u_++) { \
      int h_ = u_ >= na_, j_ = h_ ? u_ - na_ : u_; \
      int16 v_ = h_ ? CONV_INT8_PICK8 (c, j_) : CONV_INT8_PICK8 (a, j_); \
      CONV_INT8_EPI1QDQ (v_, h_ ? qc : qa, j_, h_ ? oc_ : oa_, \
          h_ ? lc0_ : la0_, h_ ? lc1_ : la1_); \
    } \
  } while (0)
#endif

/* The stores of a kernel's two accumulator sets: a (pixel sums qa) when
 * has_a, lanes [la0, la1) at pixel offset oa, and c (qc) when has_c,
 * lanes [lc0, lc1) at oc. Without a QDQ epilogue CONV_INT8_STORE8 each;
 * with one (qmask), a single loop over the channels of both sets: the QDQ
 * epilogue appears once in the kernel. Mesa's compiler (SPIR-V -> NIR:
 * rusticl, Mesa's GPU drivers) inlines every call, and with the epilogue
 * once per CONV_INT8_STORE8 (4 to 8 loops a kernel) building one kernel
 * took over 19 GB on llvmpipe. The loop's trip count is only known at
 * run time, so that no compiler unrolls it back. */
#define CONV_INT8_STORE_AC(has_a, oa, la0, la1, has_c, oc, lc0, lc1) do { \
    if (!CONV_INT8_QMASK) { \
      if (has_a) \
        CONV_INT8_STORE8 (a, qa, oa, la0, la1); \
      if (has_c) \
        CONV_INT8_STORE8 (c, qc, oc, lc0, lc1); \
    } else { \
      CONV_INT8_STORE_QDQ (has_a, oa, la0, la1, has_c, oc, lc0, lc1); \
    } \
  } while (0)

/* Plain int32: the bytes of v (unsigned) times the bytes of wq (signed). */
#define CONV_INT8_DOT_C(acc, v, wq) do { \
    int wq_ = (wq); \
    acc += ((v) & 255) * (int) (char) wq_ \
        + (((v) >> 8) & 255) * (int) (char) (wq_ >> 8) \
        + (((v) >> 16) & 255) * (int) (char) (wq_ >> 16) \
        + (((v) >> 24) & 255) * (int) (char) (wq_ >> 24); \
  } while (0)

/* cl_khr_integer_dot_product (OpenCL C 3.0 feature
 * __opencl_c_integer_dot_product_input_4x8bit_packed: the host builds
 * with -cl-std=CL3.0 where the device reports it, as Intel's compiler
 * declares the built-ins in no 1.x mode): dot_4x8packed_us_int (u8 quad,
 * s8 quad) per lane, for the device's compiler to map to its instruction
 * (DP4A on Intel GPUs; what Intel's CPU runtime makes of it: README).
 * Not the _sat_ form: the sums wrap in int like CONV_INT8_DOT_C (exact,
 * conv_int8.cl). The _dot kernels exist only where this is defined; the
 * host takes them where the device reports the packed capability
 * (YoloDeviceInfo.int8_dot_khr) and int8_dot (VNNI) is not set. */
#if defined(__opencl_c_integer_dot_product_input_4x8bit_packed)
#define CONV_INT8_HAS_DOT_KHR 1
/* the kernels work on int16 lanes already: no vectorisation across
 * work-items on top (Intel's CPU compiler honours the hint; without it
 * its build of conv_int8.cl's _dot kernels ran for minutes) */
#define CONV_INT8_DOT_ATTR __attribute__ ((vec_type_hint (int16)))
static inline int16
conv_int8_dot16_khr (int16 v, int wq)
{
  uint16 u = as_uint16 (v);
  uint w = as_uint (wq);
  return (int16) (dot_4x8packed_us_int (u.s0, w),
      dot_4x8packed_us_int (u.s1, w), dot_4x8packed_us_int (u.s2, w),
      dot_4x8packed_us_int (u.s3, w), dot_4x8packed_us_int (u.s4, w),
      dot_4x8packed_us_int (u.s5, w), dot_4x8packed_us_int (u.s6, w),
      dot_4x8packed_us_int (u.s7, w), dot_4x8packed_us_int (u.s8, w),
      dot_4x8packed_us_int (u.s9, w), dot_4x8packed_us_int (u.sa, w),
      dot_4x8packed_us_int (u.sb, w), dot_4x8packed_us_int (u.sc, w),
      dot_4x8packed_us_int (u.sd, w), dot_4x8packed_us_int (u.se, w),
      dot_4x8packed_us_int (u.sf, w));
}

#define CONV_INT8_DOT_KHR(acc, v, wq) \
  acc = as_int16 (as_uint16 (acc) \
      + as_uint16 (conv_int8_dot16_khr ((v), (wq))))
#endif

/* The dot products of v with the 8 weight quads wq[0..7] into the
 * accumulator set p (p0..p7). */
#define CONV_INT8_DOT8(DOT, p, v, wq) do { \
    DOT (p##0, v, (wq)[0]); DOT (p##1, v, (wq)[1]); \
    DOT (p##2, v, (wq)[2]); DOT (p##3, v, (wq)[3]); \
    DOT (p##4, v, (wq)[4]); DOT (p##5, v, (wq)[5]); \
    DOT (p##6, v, (wq)[6]); DOT (p##7, v, (wq)[7]); \
  } while (0)
