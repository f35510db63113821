/* gemm_tiled.cl - register-blocked GEMMs tiled in local memory, for GPUs
 * (the way MNN's matmul_params_buf.cl, CLBlast's xgemm and OpenVINO's
 * gemm_tiled_opt do it):
 *  - conv_tiled*: implicit GEMM for group-1 convolutions,
 *      Y[M][Ho*Wo] = W[M][C*kh*kw] x im2col(X)[C*kh*kw][Ho*Wo],
 *    the im2col columns gathered on the fly into local memory, with the
 *    conv epilogue of the other conv kernels (CONV_EPILOGUE_ARGS);
 *  - matmul_tiled*: batched MatMul / Gemm with the arguments and epilogue
 *    of matmul_tile (matmul.cl).
 *
 * Each kernel needs its work-group size exactly (reqd_work_group_size; the
 * ops launch them with yolo_rt_launch_fixed after yolo_rt_fits_fixed) and
 * comes in two geometries, one body (gemm_tiled_conv / gemm_tiled_mm) with
 * compile-time constant parameters:
 *   name            work-group  outputs per item  Y tile    local memory
 *   *_tiled         16 x 16     4 rows x 4 cols   64 x 64   8 KiB
 *   *_tiled_wg32     8 x 4      8 rows x 4 cols   32 x 32   4 KiB
 * (rows: output channels or M, by local id 1; columns: pixels or N, by
 * local id 0). The second is for devices whose kernels allow only 32
 * work-items per group (Mesa 22's rusticl on llvmpipe reports
 * CL_KERNEL_WORK_GROUP_SIZE 32). Work-item (tx, ty) owns rows ty + WGY i
 * and columns tx + WGX j, so neighbouring work-items read neighbouring
 * local words and write neighbouring global words. K goes in steps of
 * GT_TK = 16: the work-group loads a 16 x TM tile of A and a 16 x TN tile
 * of B into local memory, barrier, 16 steps of RM x 4 FMAs from
 * registers, barrier. The load loops give each work-item a fixed column,
 * which needs WGX * WGY to be a multiple of TM, TN and GT_TK.
 *
 * Edges: rows / columns past M / N are computed from zeros and never
 * stored; K past the end loads zeros. */

#define GT_TK 16
#define GT_RMAX 8

/* Group-1 convolution as an implicit GEMM. Weights packed as [Kp][Mp]:
 * element (k, m) = W[m][k] for k = (c * kh + ky) * kw + kx, Kp = K rounded
 * up to GT_TK, Mp = M rounded up to a multiple of TM (64 serves both
 * geometries), zero padded. Global size
 * (ceil(Ho*Wo / TN) * WGX, ceil(M / TM) * WGY). */
#define GEMM_TILED_CONV_ARGS                                                \
  __global const ACT_T *x, int x_off, __global const float *w,              \
  CONV_EPILOGUE_ARGS, int M, int H, int W, int Ho, int Wo, int C, int Mp,   \
  int kh, int kw, int sh, int sw, int ph, int pw, int dh, int dw
#define GEMM_TILED_CONV_PASS                                                \
  x, x_off, w, b, y, y_off, r, r_off, has_res, act, alpha, beta, M, H, W,   \
  Ho, Wo, C, Mp, kh, kw, sh, sw, ph, pw, dh, dw

static inline void
gemm_tiled_conv (__local float *as, __local float *bs, const int WGX,
    const int WGY, const int RM, GEMM_TILED_CONV_ARGS)
{
  const int TN = 4 * WGX, TM = RM * WGY, NT = WGX * WGY;
  int tx = get_local_id (0), ty = get_local_id (1);
  int t = ty * WGX + tx;
  int P = Ho * Wo, kk = kh * kw, K = C * kk;
  int p0 = get_group_id (0) * TN, m0 = get_group_id (1) * TM;
  /* This work-item's loads: A column lca, rows lra + NT / TM * i; B column
   * lcb, rows lrb + NT / TN * i. */
  int lca = t % TM, lra = t / TM, lcb = t % TN, lrb = t / TN;
  int p = p0 + lcb;
  int oy = p / Wo, ox = p - oy * Wo;
  int iy0 = oy * sh - ph, ix0 = ox * sw - pw;
  int pin = p < P;
  /* 1x1, stride 1, no padding: column p of im2col is pixel p. */
  int direct = kk == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0;
  /* The K rows this work-item loads advance by NT / TN each time (within
   * a tile and from one tile to the next): (c, ky, kx) of row k is
   * advanced by that step instead of divided out per element. */
  const int kstep = NT / TN;
  int kc = lrb / kk, ky = (lrb - kc * kk) / kw, kx = lrb - kc * kk - ky * kw;
  __global const ACT_T *xb = x + x_off;
  __global const float *wb = w + m0 + lca;
  float4 acc[GT_RMAX];

  for (int i = 0; i < RM; i++)
    acc[i] = 0.0f;
  for (int k0 = 0; k0 < K; k0 += GT_TK) {
    for (int kr = lra; kr < GT_TK; kr += NT / TM)
      as[kr * TM + lca] = wb[(k0 + kr) * Mp];
    for (int kr = lrb; kr < GT_TK; kr += kstep) {
      int k = k0 + kr;
      float v = 0.0f;
      if (pin && k < K) {
        if (direct) {
          v = LOAD_ACT (xb, k * P + p);
        } else {
          int iy = iy0 + ky * dh, ix = ix0 + kx * dw;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W)
            v = LOAD_ACT (xb, (kc * H + iy) * W + ix);
        }
      }
      bs[kr * TN + lcb] = v;
      kx += kstep;
      while (kx >= kw) {
        kx -= kw;
        ky++;
      }
      while (ky >= kh) {
        ky -= kh;
        kc++;
      }
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < GT_TK; q++) {
      __local const float *ar = as + q * TM + ty;
      __local const float *br = bs + q * TN + tx;
      float4 bv = (float4) (br[0], br[WGX], br[2 * WGX], br[3 * WGX]);
      for (int i = 0; i < RM; i++)
        acc[i] = fma ((float4) (ar[WGY * i]), bv, acc[i]);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
  }

  for (int i = 0; i < RM; i++) {
    int m = m0 + ty + WGY * i;
    if (m >= M)
      break;
    float bm = b[m];
    float cv[4];
    vstore4 (acc[i], 0, cv);
    for (int j = 0; j < 4; j++) {
      int pp = p0 + tx + WGX * j;
      if (pp >= P)
        break;
      int o = m * P + pp;
      float v = yolo_act (act, alpha, beta, cv[j] + bm);
      if (has_res)
        v += LOAD_ACT (r, r_off + o);
      STORE_ACT (y, y_off + o, v);
    }
  }
}

__attribute__ ((reqd_work_group_size (16, 16, 1)))
__kernel void
conv_tiled (GEMM_TILED_CONV_ARGS)
{
  __local float as[GT_TK * 64];
  __local float bs[GT_TK * 64];
  gemm_tiled_conv (as, bs, 16, 16, 4, GEMM_TILED_CONV_PASS);
}

__attribute__ ((reqd_work_group_size (8, 4, 1)))
__kernel void
conv_tiled_wg32 (GEMM_TILED_CONV_ARGS)
{
  __local float as[GT_TK * 32];
  __local float bs[GT_TK * 32];
  gemm_tiled_conv (as, bs, 8, 4, 8, GEMM_TILED_CONV_PASS);
}

/* Loads a GT_TK x TI tile of a strided matrix into local memory as [k][i]
 * (i: the M or N index), zeros outside (n_i x K). Contiguous along K
 * (sk == 1): GT_TK work-items cover one row's 16 k; otherwise TI
 * work-items cover one k's TI i. */
static inline void
gemm_tiled_load (__local float *dst, __global const ACT_T *src,
    const int TI, const int NT, int t, int i0, int n_i, int k0, int K,
    int si, int sk)
{
  if (sk == 1) {
    int kr = t % GT_TK, k = k0 + kr;
    for (int ir = t / GT_TK; ir < TI; ir += NT / GT_TK) {
      int i = i0 + ir;
      dst[kr * TI + ir] = i < n_i && k < K ?
          LOAD_ACT (src, i * si + k) : 0.0f;
    }
  } else {
    int ir = t % TI, i = i0 + ir;
    for (int kr = t / TI; kr < GT_TK; kr += NT / TI) {
      int k = k0 + kr;
      dst[kr * TI + ir] = i < n_i && k < K ?
          LOAD_ACT (src, i * si + k * sk) : 0.0f;
    }
  }
}

/* Y[b] = act (alpha * A[b] x B[b] + beta * C) + R, arguments and strides as
 * matmul_tile (matmul.cl). Global size
 * (ceil(N / TN) * WGX, ceil(M / TM) * WGY, batch). */
#define GEMM_TILED_MM_ARGS                                                  \
  __global const ACT_T *a, int a_off, __global const ACT_T *b, int b_off,   \
  __global const ACT_T *c, int c_off, __global const ACT_T *r, int r_off,   \
  __global ACT_T *y, int y_off, int M, int N, int K, int sam, int sak,      \
  int sbk, int sbn, int has_c, int scm, int scn, float alpha, float beta,   \
  int act, float act_alpha, float act_beta, int has_res, int nbatch,        \
  int bd1, int bd2, int bd3, int sa0, int sa1, int sa2, int sa3, int sb0,   \
  int sb1, int sb2, int sb3
#define GEMM_TILED_MM_PASS                                                  \
  a, a_off, b, b_off, c, c_off, r, r_off, y, y_off, M, N, K, sam, sak, sbk, \
  sbn, has_c, scm, scn, alpha, beta, act, act_alpha, act_beta, has_res,     \
  nbatch, bd1, bd2, bd3, sa0, sa1, sa2, sa3, sb0, sb1, sb2, sb3

static inline void
gemm_tiled_mm (__local float *as, __local float *bs, const int WGX,
    const int WGY, const int RM, GEMM_TILED_MM_ARGS)
{
  const int TN = 4 * WGX, TM = RM * WGY, NT = WGX * WGY;
  int tx = get_local_id (0), ty = get_local_id (1);
  int t = ty * WGX + tx;
  int n0 = get_group_id (0) * TN, m0 = get_group_id (1) * TM;
  int bi = get_group_id (2);
  int u = bi;
  int i3 = u % bd3;
  u /= bd3;
  int i2 = u % bd2;
  u /= bd2;
  int i1 = u % bd1;
  int i0 = u / bd1;
  __global const ACT_T *pa = a + a_off + i0 * sa0 + i1 * sa1 + i2 * sa2
      + i3 * sa3;
  __global const ACT_T *pb = b + b_off + i0 * sb0 + i1 * sb1 + i2 * sb2
      + i3 * sb3;
  float4 acc[GT_RMAX];

  for (int i = 0; i < RM; i++)
    acc[i] = 0.0f;
  for (int k0 = 0; k0 < K; k0 += GT_TK) {
    gemm_tiled_load (as, pa, TM, NT, t, m0, M, k0, K, sam, sak);
    gemm_tiled_load (bs, pb, TN, NT, t, n0, N, k0, K, sbn, sbk);
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int q = 0; q < GT_TK; q++) {
      __local const float *ar = as + q * TM + ty;
      __local const float *br = bs + q * TN + tx;
      float4 bv = (float4) (br[0], br[WGX], br[2 * WGX], br[3 * WGX]);
      for (int i = 0; i < RM; i++)
        acc[i] = fma ((float4) (ar[WGY * i]), bv, acc[i]);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
  }

  for (int i = 0; i < RM; i++) {
    int m = m0 + ty + WGY * i;
    if (m >= M)
      break;
    float cv[4];
    vstore4 (acc[i], 0, cv);
    for (int j = 0; j < 4; j++) {
      int n = n0 + tx + WGX * j;
      if (n >= N)
        break;
      float v = alpha * cv[j];
      if (has_c)
        v += beta * LOAD_ACT (c, c_off + m * scm + n * scn);
      v = yolo_act (act, act_alpha, act_beta, v);
      int o = (bi * M + m) * N + n;
      if (has_res)
        v += LOAD_ACT (r, r_off + o);
      STORE_ACT (y, y_off + o, v);
    }
  }
}

__attribute__ ((reqd_work_group_size (16, 16, 1)))
__kernel void
matmul_tiled (GEMM_TILED_MM_ARGS)
{
  __local float as[GT_TK * 64];
  __local float bs[GT_TK * 64];
  gemm_tiled_mm (as, bs, 16, 16, 4, GEMM_TILED_MM_PASS);
}

__attribute__ ((reqd_work_group_size (8, 4, 1)))
__kernel void
matmul_tiled_wg32 (GEMM_TILED_MM_ARGS)
{
  __local float as[GT_TK * 32];
  __local float bs[GT_TK * 32];
  gemm_tiled_mm (as, bs, 8, 4, 8, GEMM_TILED_MM_PASS);
}
