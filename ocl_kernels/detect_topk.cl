/* detect_topk.cl - DetectTopK (ops/detect-topk.h): YOLO26's end-to-end
 * selection tail in one launch, one work-group of DT_WG work-items per
 * image (backend-opencl/detect-topk.c).
 *
 * Both TopKs are exact selections: a radix select over the values' order
 * keys (4 passes of 8 bits, a local histogram each) finds the k-th best
 * key T; the values above T and the lowest-indexed values equal to T (as
 * many as are missing) are gathered into a local list of k, which a rank
 * count sorts (each entry's place is the number of entries better than it:
 * larger, or equal at a lower index, like onnxruntime's TopK). Every
 * work-item works on one contiguous chunk of the candidates, so gathering
 * in work-item order keeps the equal values' index order.
 *
 * The second TopK first gathers the kept anchors' scores that reach the
 * worst kept anchor's maximum (a bound at least k1 of them reach; all
 * when k2 > k1) into
 * scratch, in index order: its passes then read those few (about k1 on
 * YOLO26) instead of all k1 * nc.
 *
 * Work-groups of 32: llvmpipe (rusticl) runs no more per kernel with
 * barriers. Its loop limiter stops a shader invocation's loops after 65535
 * iterations in all (see index.cl): a work-item takes about
 * A / DT_WG * (nc / 16 + nc % 16 + 6) + k1 * nc / DT_WG * 8 + 2 * k * k /
 * DT_WG, which ops/detect-topk.c keeps under 60000. */

#define DT_WG 32
/* YOLO_DETECT_TOPK_MAX_K (ops/detect-topk.h) */
#define DT_MAX_K 512

/* An order key: larger float, larger key; -0 as +0 (they compare equal). */
inline uint
dt_key (float v)
{
  uint u = as_uint (v == 0.0f ? 0.0f : v);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* The k best of the n candidates cv[j] (original index j, or ci[j] when
 * ci is not NULL; ascending along j) into lv / li (values, original
 * indices), unsorted: those better than the k-th best key T, then the
 * lowest-indexed ones equal to T. */
void
dt_select (__global const float *cv, __global const int *ci, int n, int k,
    __local uint * hist, __local int *cnt, __local uint * sh,
    __local float *lv, __local int *li)
{
  int lid = get_local_id (0);
  int j0 = (int) ((long) lid * n / DT_WG);
  int j1 = (int) ((long) (lid + 1) * n / DT_WG);
  uint prefix = 0, mask = 0;
  int want = k;

  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = lid; b < 256; b += DT_WG)
      hist[b] = 0;
    barrier (CLK_LOCAL_MEM_FENCE);
    for (int j = j0; j < j1; j++) {
      uint key = dt_key (cv[j]);
      if ((key & mask) == prefix)
        atomic_inc (&hist[(key >> shift) & 255u]);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    if (lid == 0) {
      int cum = 0, b = 255;
      for (; b > 0; b--) {
        if (cum + (int) hist[b] >= want)
          break;
        cum += (int) hist[b];
      }
      sh[0] = prefix | ((uint) b << shift);
      sh[1] = (uint) (want - cum);
    }
    barrier (CLK_LOCAL_MEM_FENCE);
    prefix = sh[0];
    want = (int) sh[1];
    mask |= 0xffu << shift;
  }
  /* prefix is T; want of the candidates equal to T are taken */
  int gt = 0, eq = 0;
  for (int j = j0; j < j1; j++) {
    uint key = dt_key (cv[j]);
    gt += key > prefix;
    eq += key == prefix;
  }
  cnt[lid] = gt;
  cnt[DT_WG + lid] = eq;
  barrier (CLK_LOCAL_MEM_FENCE);
  if (lid == 0) {
    int sg = 0, se = 0;
    for (int w = 0; w < DT_WG; w++) {
      int g = cnt[w], e = cnt[DT_WG + w];
      cnt[w] = sg;
      cnt[DT_WG + w] = se;
      sg += g;
      se += e;
    }
  }
  barrier (CLK_LOCAL_MEM_FENCE);
  int pg = cnt[lid], pe = cnt[DT_WG + lid], ngt = k - want;
  for (int j = j0; j < j1; j++) {
    float v = cv[j];
    uint key = dt_key (v);
    if (key > prefix) {
      lv[pg] = v;
      li[pg++] = ci ? ci[j] : j;
    } else if (key == prefix && pe < want) {
      lv[ngt + pe] = v;
      li[ngt + pe++] = ci ? ci[j] : j;
    }
  }
  barrier (CLK_LOCAL_MEM_FENCE);
}

/* Runs BODY for every j of this work-item's chunk [j0, j1) of the kept
 * anchors' scores, v = S[j] = s[anc[j / nc] * nc + j % nc] (the row and
 * class stepped along, no division per candidate). */
#define DT_EACH_S(BODY)                                                     \
  do {                                                                      \
    if (j0 < j1) {                                                          \
      int i_ = j0 / nc, c_ = j0 - i_ * nc;                                  \
      __global const float *row_ = s + (long) anc[i_] * nc;                 \
      for (int j = j0; j < j1; j++) {                                       \
        float v = row_[c_];                                                 \
        BODY;                                                               \
        if (++c_ == nc) {                                                   \
          c_ = 0;                                                           \
          if (++i_ < k1)                                                    \
            row_ = s + (long) anc[i_] * nc;                                 \
        }                                                                   \
      }                                                                     \
    }                                                                       \
  } while (0)

/* The values S[j] whose key reaches floor, in order of j, into cv / ci
 * (values, j); returns their count. */
int
dt_compact (__global const float *s, __local const int *anc, int nc, int k1,
    uint floor, __global float *cv, __global int *ci, __local int *cnt,
    __local uint * sh)
{
  int lid = get_local_id (0), n = k1 * nc;
  int j0 = (int) ((long) lid * n / DT_WG);
  int j1 = (int) ((long) (lid + 1) * n / DT_WG);
  int c = 0;

  DT_EACH_S (c += dt_key (v) >= floor);
  cnt[lid] = c;
  barrier (CLK_LOCAL_MEM_FENCE);
  if (lid == 0) {
    int sum = 0;
    for (int w = 0; w < DT_WG; w++) {
      int e = cnt[w];
      cnt[w] = sum;
      sum += e;
    }
    sh[0] = (uint) sum;
  }
  barrier (CLK_LOCAL_MEM_FENCE);
  int p = cnt[lid], total = (int) sh[0];
  DT_EACH_S ({
        if (dt_key (v) >= floor) {
          cv[p] = v;
          ci[p++] = j;
        }
      });
  barrier (CLK_GLOBAL_MEM_FENCE | CLK_LOCAL_MEM_FENCE);
  return total;
}

/* order[r] = the entry of lv / li that is r-th best. */
void
dt_rank (int k, __local const float *lv, __local const int *li,
    __local int *order)
{
  for (int p = get_local_id (0); p < k; p += DT_WG) {
    float v = lv[p];
    int i = li[p], r = 0;
    for (int q = 0; q < k; q++) {
      float w = lv[q];
      r += (w > v) || (w == v && li[q] < i);
    }
    order[r] = p;
  }
  barrier (CLK_LOCAL_MEM_FENCE);
}

/* boxes [N, A, 4], scores [N, A, nc], y [N, k2, 6]; m: scratch of N * A
 * floats (the anchor maxima); cv, ci: scratch of N * k1 * nc floats and
 * ints (the second TopK's candidates). Global size N * DT_WG, local
 * DT_WG. */
__attribute__ ((reqd_work_group_size (DT_WG, 1, 1)))
__kernel void
detect_topk (__global const float *boxes, int b_off,
    __global const float *scores, int s_off, __global float *y, int y_off,
    __global float *m, __global float *cv, __global int *ci, int A, int nc,
    int k1, int k2)
{
  __local uint hist[256];
  __local int cnt[2 * DT_WG];
  __local uint sh[2];
  __local float lv[DT_MAX_K];
  __local int li[DT_MAX_K];
  __local int order[DT_MAX_K];
  __local int anc[DT_MAX_K];
  int img = get_group_id (0), lid = get_local_id (0);
  __global const float *s = scores + s_off + (long) img * A * nc;
  __global const float *b = boxes + b_off + (long) img * A * 4;
  __global float *mi = m + (long) img * A;
  __global float *yi = y + y_off + (long) img * k2 * 6;
  __global float *cvi = cv + (long) img * k1 * nc;
  __global int *cii = ci + (long) img * k1 * nc;

  /* the anchor maxima of this work-item's chunk (dt_select's mode 0
   * reads the same chunk: no other work-item's writes) */
  int a0 = (int) ((long) lid * A / DT_WG);
  int a1 = (int) ((long) (lid + 1) * A / DT_WG);
  for (int a = a0; a < a1; a++) {
    __global const float *row = s + (long) a * nc;
    float mx = row[0];
    int c = 1;
    if (nc >= 16) {
      float16 acc = vload16 (0, row);
      for (c = 16; c + 16 <= nc; c += 16)
        acc = fmax (acc, vload16 (0, row + c));
      float8 a8 = fmax (acc.lo, acc.hi);
      float4 a4 = fmax (a8.lo, a8.hi);
      float2 a2 = fmax (a4.lo, a4.hi);
      mx = fmax (a2.lo, a2.hi);
    }
    /* the rest, fewer than 16 */
    for (; c < nc; c++)
      mx = row[c] > mx ? row[c] : mx;
    mi[a] = mx;
  }

  dt_select (mi, NULL, A, k1, hist, cnt, sh, lv, li);
  dt_rank (k1, lv, li, order);
  for (int p = lid; p < k1; p += DT_WG)
    anc[p] = li[order[p]];
  /* S holds every kept anchor's maximum: at least k1 of its values reach
   * the worst of them, and when k2 <= k1 the k2 best are among those */
  uint floor = k2 <= k1 ? dt_key (lv[order[k1 - 1]]) : 0u;
  barrier (CLK_LOCAL_MEM_FENCE);

  int nk = dt_compact (s, anc, nc, k1, floor, cvi, cii, cnt, sh);
  dt_select (cvi, cii, nk, k2, hist, cnt, sh, lv, li);
  dt_rank (k2, lv, li, order);
  for (int j = lid; j < k2; j += DT_WG) {
    int f = li[order[j]];
    int i = f / nc;
    int a = anc[i];
    __global float *o = yi + j * 6;
    o[0] = b[a * 4];
    o[1] = b[a * 4 + 1];
    o[2] = b[a * 4 + 2];
    o[3] = b[a * 4 + 3];
    o[4] = lv[order[j]];
    o[5] = (float) (f - i * nc);
  }
}
