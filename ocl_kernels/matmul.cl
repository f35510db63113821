/* matmul.cl - batched MatMul / Gemm.
 *
 * Y[b] = act (alpha * A[b] x B[b] + beta * C) + R   (row-major, contiguous Y)
 * A element (m, k) of batch b is at a_off + abase(b) + m*sam + k*sak, B
 * element (k, n) at b_off + bbase(b) + k*sbk + n*sbn, so transposed and
 * broadcast operands need no copy. Each work-item computes a 4x8 tile of Y
 * with float8 rows; B rows are loaded with vload8 when contiguous.
 * Global size: (ceil(N/8), ceil(M/4), batch). */

__kernel void
matmul_tile (__global const ACT_T *a, int a_off,
    __global const ACT_T *b, int b_off,
    __global const ACT_T *c, int c_off,
    __global const ACT_T *r, int r_off,
    __global ACT_T *y, int y_off,
    int M, int N, int K, int sam, int sak, int sbk, int sbn,
    int has_c, int scm, int scn, float alpha, float beta,
    int act, float act_alpha, float act_beta, int has_res,
    int nbatch, int bd1, int bd2, int bd3,
    int sa0, int sa1, int sa2, int sa3, int sb0, int sb1, int sb2, int sb3)
{
  int n0 = get_global_id (0) * 8;
  int m0 = get_global_id (1) * 4;
  int bi = get_global_id (2);
  if (n0 >= N || m0 >= M || bi >= nbatch)
    return;
  int t = bi;
  int i3 = t % bd3;
  t /= bd3;
  int i2 = t % bd2;
  t /= bd2;
  int i1 = t % bd1;
  int i0 = t / bd1;
  __global const ACT_T *pa = a + a_off + i0 * sa0 + i1 * sa1 + i2 * sa2
      + i3 * sa3;
  __global const ACT_T *pb = b + b_off + i0 * sb0 + i1 * sb1 + i2 * sb2
      + i3 * sb3;
  /* Rows past M are clamped (computed, never stored). */
  __global const ACT_T *a0 = pa + min (m0, M - 1) * sam;
  __global const ACT_T *a1 = pa + min (m0 + 1, M - 1) * sam;
  __global const ACT_T *a2 = pa + min (m0 + 2, M - 1) * sam;
  __global const ACT_T *a3 = pa + min (m0 + 3, M - 1) * sam;
  float8 acc0 = (float8) (0.0f), acc1 = (float8) (0.0f);
  float8 acc2 = (float8) (0.0f), acc3 = (float8) (0.0f);
  if (sbn == 1 && n0 + 8 <= N) {
    __global const ACT_T *pbn = pb + n0;
    for (int k = 0; k < K; k++) {
      float8 bv = LOAD_ACT8 (pbn, k * sbk);
      int ka = k * sak;
      acc0 += LOAD_ACT (a0, ka) * bv;
      acc1 += LOAD_ACT (a1, ka) * bv;
      acc2 += LOAD_ACT (a2, ka) * bv;
      acc3 += LOAD_ACT (a3, ka) * bv;
    }
  } else {
    int cn[8];
    for (int j = 0; j < 8; j++)
      cn[j] = min (n0 + j, N - 1) * sbn;
    for (int k = 0; k < K; k++) {
      __global const ACT_T *q = pb + k * sbk;
      float8 bv = (float8) (LOAD_ACT (q, cn[0]), LOAD_ACT (q, cn[1]), LOAD_ACT (q, cn[2]), LOAD_ACT (q, cn[3]),
          LOAD_ACT (q, cn[4]), LOAD_ACT (q, cn[5]), LOAD_ACT (q, cn[6]), LOAD_ACT (q, cn[7]));
      int ka = k * sak;
      acc0 += LOAD_ACT (a0, ka) * bv;
      acc1 += LOAD_ACT (a1, ka) * bv;
      acc2 += LOAD_ACT (a2, ka) * bv;
      acc3 += LOAD_ACT (a3, ka) * bv;
    }
  }
  float8 rows[4] = { acc0, acc1, acc2, acc3 };
  int yb = y_off + bi * M * N;
  for (int i = 0; i < 4; i++) {
    int m = m0 + i;
    if (m >= M)
      break;
    float8 v = rows[i] * alpha;
    if (has_c) {
      int cm = c_off + m * scm;
      if (scn == 1 && n0 + 8 <= N)
        v += beta * LOAD_ACT8 (c, cm + n0);
      else if (scn == 0)
        v += beta * LOAD_ACT (c, cm);
      else {
        float cv[8];
        for (int j = 0; j < 8; j++)
          cv[j] = LOAD_ACT (c, cm + min (n0 + j, N - 1) * scn);
        v += beta * vload8 (0, cv);
      }
    }
    v = yolo_act_float8 (act, act_alpha, act_beta, v);
    int o = yb + m * N + n0;
    if (n0 + 8 <= N) {
      if (has_res)
        v += LOAD_ACT8 (r, r_off - y_off + o);
      STORE_ACT8 (y, o, v);
    } else {
      float tmp[8];
      vstore8 (v, 0, tmp);
      for (int j = 0; j < N - n0; j++)
        STORE_ACT (y, o + j, tmp[j]
            + (has_res ? LOAD_ACT (r, r_off - y_off + o + j) : 0.0f));
    }
  }
}
