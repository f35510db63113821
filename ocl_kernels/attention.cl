/* attention.cl - ScaledDotProductAttention (ops/attention.h): the fused
 * attention of YOLO11's C2PSA and YOLO12's area attention,
 *   O[b,c,i] = sum_j softmax_j (scale * sum_d Q[b,d,i] K[b,d,j]) V[b,c,j]
 * in one pass over the keys with an online softmax (flash-attention
 * style: a running maximum m and sum l per query; when the maximum grows,
 * the sum and the accumulators are rescaled by exp(m_old - m_new)), so the
 * NQ x NK score matrix never reaches memory; a block of keys that raises
 * no query's maximum skips the rescaling (its factor would be exactly 1,
 * so the result is the same bit for bit). b = b0 * B1 + b1 (areas,
 * heads); every operand by element strides (offset, s_b0, s_b1, s_d|c,
 * s_i|j), so the export's Transposes, Reshapes and Splits need no copy.
 * Exponentials are exp2 of scores pre-multiplied by scale * log2(e).
 * Fused residual (has_res): res, of the output's shape, is added to each
 * output element. */

/* attention_f16 (wide-vector CPUs): one work-item = 16 queries (the
 * float16 lanes, i contiguous in the YOLO layouts) x ATTN_CB = 32 output
 * channels of one b (the scores of a query block are computed once for
 * DV <= 32; a 64-channel kernel, scores once for DV <= 64, was 2% faster
 * on yolo11n-640 but took PoCL 6.4 s to compile); keys in blocks of
 * ATTN_KB = 16, whose scores take 16 registers (one 64-byte line of a K
 * row per channel d; against 8 keys, 12% less CPU time on yolo12n's
 * model.6 attention, for 0.3-1.3 s more PoCL compile time). Global size:
 * (ceil(NQ/16), ceil(DV/ATTN_CB), B0*B1). */
#define ATTN_CB 32              /* backend-opencl/attention.c */
/* The 16-key blocks, the skipped rescaling and the one-instruction
 * maximum on AVX-512 CPUs (PoCL), what the kernel is for; elsewhere 8-key
 * blocks rescaled every time with fmax: Mesa's rusticl (llvmpipe) ran
 * the attention kernel test 4x slower with the former (109 s against 27 s
 * with cold caches) */
#if defined(__AVX512F__)
#define ATTN_KB 16
#define ATTN_SKIP 1
#define ATTN_MAX16(a, b) attention_max16 (a, b)
#else
#define ATTN_KB 8
#define ATTN_SKIP 0
#define ATTN_MAX16(a, b) fmax (a, b)
#endif

/* 2^x, 0 for x = -inf. On AVX-512 CPUs (PoCL), where the library exp2 of
 * a float16 costs more than the whole block's multiply-adds: range
 * reduction and a degree-5 polynomial (relative error ~2e-7, as
 * conv_cpu.cl's SiLU); below 2^-126 it gives 0. */
static inline float16
attention_exp2_16 (float16 x)
{
#if defined(__AVX512F__)
  float16 t = fmax (x, -126.0f);
  float16 tm = t + 12582912.0f; /* 1.5 * 2^23: rounds to integer */
  float16 k = tm - 12582912.0f;
  float16 f = t - k;
  float16 p = fma (f, 1.3333558e-3f, 9.6181291e-3f);
  p = fma (p, f, 5.5504109e-2f);
  p = fma (p, f, 2.4022651e-1f);
  p = fma (p, f, 6.9314718e-1f);
  p = fma (p, f, 1.0f);
  float16 e = as_float16 (as_int16 (p) + ((as_int16 (tm) - 0x4B400000) << 23));
  return select (e, (float16) (0.0f), x < -126.0f);
#else
  return exp2 (x);
#endif
}

/* The larger of a and b, one vmaxps: b where b > a, else a (fmax's NaN
 * handling costs three more instructions a lane; scores are finite or
 * -inf). */
static inline float16
attention_max16 (float16 a, float16 b)
{
  return select (a, b, b > a);
}

static inline float16
attention_load16 (__global const float *p, int s, int i0, int n)
{
  if (s == 1 && i0 + 16 <= n)
    return vload16 (0, p + i0);
  float t[16];
  for (int l = 0; l < 16; l++)
    t[l] = p[min (i0 + l, n - 1) * s];
  return vload16 (0, t);
}

/* One block of ATTN_KB keys (kj, vj: K and V at the block's first key;
 * KJ(t), VJ(t): the offsets of key t): scores, the running maximum and
 * sum, then the accumulators, rescaled once per block. */
#define ATTN_BLOCK(KJ, VJ)                                                  \
  do {                                                                      \
    float16 s[ATTN_KB];                                                     \
    _Pragma ("unroll")                                                      \
    for (int t = 0; t < ATTN_KB; t++)                                       \
      s[t] = (float16) (0.0f);                                              \
    __global const float *kd = kj;                                          \
    for (int d = 0; d < D; d++, kd += ksd) {                                \
      float16 qv = attention_load16 (qb + d * qsd, qsi, i0, NQ);            \
      _Pragma ("unroll")                                                    \
      for (int t = 0; t < ATTN_KB; t++)                                     \
        s[t] = fma (qv, (float16) (kd[KJ]), s[t]);                          \
    }                                                                       \
    float16 mb = m;                                                         \
    _Pragma ("unroll")                                                      \
    for (int t = 0; t < ATTN_KB; t++) {                                     \
      s[t] = t < nk ? s[t] * scale_log2e : (float16) (-INFINITY);           \
      mb = ATTN_MAX16 (mb, s[t]);                                           \
    }                                                                       \
    float16 corr = (float16) (1.0f);                                        \
    if (!ATTN_SKIP || any (mb > m)) {                                       \
      corr = attention_exp2_16 (m - mb);                                    \
      m = mb;                                                               \
      l *= corr;                                                            \
      if (ATTN_SKIP) {                                                      \
        _Pragma ("unroll")                                                  \
        for (int c = 0; c < ATTN_CB; c++)                                   \
          acc[c] *= corr;                                                   \
      }                                                                     \
    }                                                                       \
    _Pragma ("unroll")                                                      \
    for (int t = 0; t < ATTN_KB; t++) {                                     \
      s[t] = attention_exp2_16 (s[t] - m);                                  \
      l += s[t];                                                            \
    }                                                                       \
    __global const float *vr = vj;                                          \
    _Pragma ("unroll")                                                      \
    for (int c = 0; c < ATTN_CB; c++) {                                     \
      float16 a = ATTN_SKIP ? acc[c] : acc[c] * corr;                       \
      _Pragma ("unroll")                                                    \
      for (int t = 0; t < ATTN_KB; t++)                                     \
        a = fma (s[t], (float16) (vr[VJ]), a);                              \
      acc[c] = a;                                                           \
      vr += c < cmax ? vsc : 0;                                             \
    }                                                                       \
  } while (0)

__kernel void
attention_f16_c32 (__global const float *q, int q_off,
    __global const float *k, int k_off,
    __global const float *v, int v_off,
    __global float *y, int y_off,
    __global const float *res, int res_off, int has_res,
    int D, int DV, int NQ, int NK, int B1, float scale_log2e,
    int qo, int qs0, int qs1, int qsd, int qsi,
    int ko, int ks0, int ks1, int ksd, int ksj,
    int vo, int vs0, int vs1, int vsc, int vsj,
    int yo, int ys0, int ys1, int ysc, int ysi)
{
  int i0 = get_global_id (0) * 16;
  int c0 = get_global_id (1) * ATTN_CB;
  int b = get_global_id (2);
  if (i0 >= NQ || c0 >= DV)
    return;
  int b0 = b / B1, b1 = b % B1;
  __global const float *qb = q + q_off + qo + b0 * qs0 + b1 * qs1;
  __global const float *kb = k + k_off + ko + b0 * ks0 + b1 * ks1;
  __global const float *vb = v + v_off + vo + b0 * vs0 + b1 * vs1;
  /* channels past DV repeat the last one (computed, never stored) */
  int cmax = DV - 1 - c0;
  float16 m = (float16) (-INFINITY), l = (float16) (0.0f);
  float16 acc[ATTN_CB];
  #pragma unroll
  for (int c = 0; c < ATTN_CB; c++)
    acc[c] = (float16) (0.0f);
  int unit = ksj == 1 && vsj == 1;

  for (int j0 = 0; j0 < NK; j0 += ATTN_KB) {
    int nk = min (ATTN_KB, NK - j0);
    __global const float *kj = kb + j0 * ksj;
    __global const float *vj = vb + c0 * vsc + j0 * vsj;
    if (unit && nk == ATTN_KB) {
      ATTN_BLOCK (t, t);
    } else {
      /* keys past NK (the last block): score -inf, weight 0 */
      ATTN_BLOCK (min (t, nk - 1) * ksj, min (t, nk - 1) * vsj);
    }
  }

  float16 r = (float16) (1.0f) / l;
  int ob = yo + b0 * ys0 + b1 * ys1;
  __global float *yb = y + y_off + ob;
  __global const float *rb = res + res_off + ob;
  int nq = min (16, NQ - i0);
  #pragma unroll
  for (int c = 0; c < ATTN_CB && c0 + c < DV; c++) {
    float16 o = acc[c] * r;
    int oc = (c0 + c) * ysc;
    if (ysi == 1 && nq == 16) {
      if (has_res)
        o += vload16 (0, rb + oc + i0);
      vstore16 (o, 0, yb + oc + i0);
    } else {
      float t[16];
      vstore16 (o, 0, t);
      for (int lane = 0; lane < nq; lane++) {
        int e = oc + (i0 + lane) * ysi;
        yb[e] = t[lane] + (has_res ? rb[e] : 0.0f);
      }
    }
  }
}

/* attention_tiled (GPUs): a work-group of ATTN_WG work-items, one query
 * each with its D query values and DV accumulators in registers (D, DV <=
 * ATTN_MAXD); the group stages ATTN_TK keys of K and V at a time in local
 * memory. Global size: (ceil(NQ/ATTN_WG) * ATTN_WG, B0*B1), local
 * (ATTN_WG, 1). */
#define ATTN_WG 32
#define ATTN_TK 32
#define ATTN_MAXD 64

__kernel void
attention_tiled (__global const float *q, int q_off,
    __global const float *k, int k_off,
    __global const float *v, int v_off,
    __global float *y, int y_off,
    __global const float *res, int res_off, int has_res,
    int D, int DV, int NQ, int NK, int B1, float scale_log2e,
    int qo, int qs0, int qs1, int qsd, int qsi,
    int ko, int ks0, int ks1, int ksd, int ksj,
    int vo, int vs0, int vs1, int vsc, int vsj,
    int yo, int ys0, int ys1, int ysc, int ysi)
{
  __local float kt[ATTN_MAXD][ATTN_TK];
  __local float vt[ATTN_MAXD][ATTN_TK];
  int lid = get_local_id (0);
  int i = get_global_id (0);
  int b = get_global_id (1);
  int b0 = b / B1, b1 = b % B1;
  int iq = min (i, NQ - 1);     /* queries past NQ: computed, not stored */
  __global const float *qb = q + q_off + qo + b0 * qs0 + b1 * qs1;
  __global const float *kb = k + k_off + ko + b0 * ks0 + b1 * ks1;
  __global const float *vb = v + v_off + vo + b0 * vs0 + b1 * vs1;
  float qr[ATTN_MAXD], acc[ATTN_MAXD];
  for (int d = 0; d < ATTN_MAXD; d++) {
    qr[d] = d < D ? qb[d * qsd + iq * qsi] * scale_log2e : 0.0f;
    acc[d] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  int dmax = max (D, DV);

  for (int j0 = 0; j0 < NK; j0 += ATTN_TK) {
    int nk = min (ATTN_TK, NK - j0);
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < dmax * ATTN_TK; e += ATTN_WG) {
      int d = e / ATTN_TK, t = e % ATTN_TK;
      int j = min (j0 + t, NK - 1);
      if (d < D)
        kt[d][t] = kb[d * ksd + j * ksj];
      if (d < DV)
        vt[d][t] = vb[d * vsc + j * vsj];
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int t = 0; t < nk; t++) {
      float s = 0.0f;
      for (int d = 0; d < D; d++)
        s = fma (qr[d], kt[d][t], s);
      float mn = fmax (m, s);
      float corr = exp2 (m - mn);
      float p = exp2 (s - mn);
      m = mn;
      l = l * corr + p;
      for (int c = 0; c < DV; c++)
        acc[c] = fma (p, vt[c][t], acc[c] * corr);
    }
  }
  if (i < NQ) {
    float r = 1.0f / l;
    int ob = yo + b0 * ys0 + b1 * ys1 + i * ysi;
    __global float *yb = y + y_off + ob;
    __global const float *rb = res + res_off + ob;
    for (int c = 0; c < DV; c++)
      yb[c * ysc] = acc[c] * r + (has_res ? rb[c * ysc] : 0.0f);
  }
}
