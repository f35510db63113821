/* index.cl - Gather, GatherElements, TopK.
 * Gather kernels move raw 32-bit elements (int), so they serve float and
 * integer data alike. Indices are int (device integers are int32). */

/* Gather: x is [outer, n, inner], idx has nidx elements, y is
 * [outer, nidx, inner]. Negative indices count from the end; out of range
 * ones are clamped (ONNX leaves them undefined). */
__kernel void
index_gather (__global const int *x, int x_off, __global const int *idx,
    int idx_off, __global int *y, int y_off, int total, int n, int nidx,
    int inner)
{
  int gid = get_global_id (0);
  if (gid >= total)
    return;
  int i = gid % inner;
  int t = gid / inner;
  int j = t % nidx;
  int o = t / nidx;
  int k = idx[idx_off + j];
  if (k < 0)
    k += n;
  k = clamp (k, 0, n - 1);
  y[y_off + gid] = x[x_off + (o * n + k) * inner + i];
}

/* GatherElements: y and idx have dims d0..d5 (contiguous); x has strides
 * s0..s5 and extent n along axis (0..5 in the padded 6-d numbering). */
__kernel void
index_gather_elements (__global const int *x, int x_off,
    __global const int *idx, int idx_off, __global int *y, int y_off,
    int total, int axis, int n,
    int d0, int d1, int d2, int d3, int d4, int d5,
    int s0, int s1, int s2, int s3, int s4, int s5)
{
  int gid = get_global_id (0);
  if (gid >= total)
    return;
  int c[6];
  int r = gid;
  c[5] = r % d5;
  r /= d5;
  c[4] = r % d4;
  r /= d4;
  c[3] = r % d3;
  r /= d3;
  c[2] = r % d2;
  r /= d2;
  c[1] = r % d1;
  c[0] = r / d1;
  int k = idx[idx_off + gid];
  if (k < 0)
    k += n;
  c[axis] = clamp (k, 0, n - 1);
  y[y_off + gid] = x[x_off + c[0] * s0 + c[1] * s1 + c[2] * s2 + c[3] * s3
      + c[4] * s4 + c[5] * s5];
}

/* TopK along an axis: x is [outer, n, inner]; values v and indices ix are
 * [outer, k, inner]. One work-item per (outer, inner) row keeps a bounded
 * heap of the k best elements (worst at the root) directly in the output
 * rows, then heap-sorts them: best first, ties by lower index (like
 * onnxruntime). O(n log k) worst case, O(n) typical. */
/* a better than b (a wins ties on the lower index) */
#define INDEX_TOPK_BETTER(largest, av, ai, bv, bi)                          \
  (((largest) ? (av) > (bv) : (av) < (bv)) || ((av) == (bv) && (ai) < (bi)))

#define INDEX_TOPK(NAME, T)                                                 \
__kernel void                                                               \
NAME (__global const T *x, int x_off, __global T *v, int v_off,             \
    __global int *ix, int ix_off, int rows, int n, int inner, int k,        \
    int largest)                                                            \
{                                                                           \
  int row = get_global_id (0);                                              \
  if (row >= rows || k <= 0)                                                \
    return;                                                                 \
  int o = row / inner;                                                      \
  int in = row % inner;                                                     \
  __global const T *p = x + x_off + o * n * inner + in;                     \
  __global T *hv = v + v_off + o * k * inner + in;                          \
  __global int *hi = ix + ix_off + o * k * inner + in;                      \
  int size = 0;                                                             \
  for (int j = 0; j < n; j++) {                                             \
    T val = p[j * inner];                                                   \
    int h;                                                                  \
    if (size < k) {                                                         \
      /* sift up: parents are worse than children */                        \
      h = size++;                                                           \
      while (h > 0) {                                                       \
        int par = (h - 1) >> 1;                                             \
        T pv = hv[par * inner];                                             \
        int pi = hi[par * inner];                                           \
        if (!INDEX_TOPK_BETTER (largest, pv, pi, val, j))                   \
          break;                                                            \
        hv[h * inner] = pv;                                                 \
        hi[h * inner] = pi;                                                 \
        h = par;                                                            \
      }                                                                     \
      hv[h * inner] = val;                                                  \
      hi[h * inner] = j;                                                    \
      continue;                                                             \
    }                                                                       \
    if (!INDEX_TOPK_BETTER (largest, val, j, hv[0], hi[0]))                 \
      continue;                                                             \
    h = 0;                                                                  \
    for (;;) {                                                              \
      int ch = 2 * h + 1;                                                   \
      if (ch >= k)                                                          \
        break;                                                              \
      T cv = hv[ch * inner];                                                \
      int ci = hi[ch * inner];                                              \
      if (ch + 1 < k) {                                                     \
        T cv2 = hv[(ch + 1) * inner];                                       \
        int ci2 = hi[(ch + 1) * inner];                                     \
        if (INDEX_TOPK_BETTER (largest, cv, ci, cv2, ci2)) {                \
          ch++;                                                             \
          cv = cv2;                                                         \
          ci = ci2;                                                         \
        }                                                                   \
      }                                                                     \
      if (!INDEX_TOPK_BETTER (largest, val, j, cv, ci))                     \
        break;                                                              \
      hv[h * inner] = cv;                                                   \
      hi[h * inner] = ci;                                                   \
      h = ch;                                                               \
    }                                                                       \
    hv[h * inner] = val;                                                    \
    hi[h * inner] = j;                                                      \
  }                                                                         \
  /* heap sort: move the worst to the end, repeatedly */                    \
  for (int e = k - 1; e > 0; e--) {                                         \
    T val = hv[e * inner];                                                  \
    int vi = hi[e * inner];                                                 \
    hv[e * inner] = hv[0];                                                  \
    hi[e * inner] = hi[0];                                                  \
    int h = 0;                                                              \
    for (;;) {                                                              \
      int ch = 2 * h + 1;                                                   \
      if (ch >= e)                                                          \
        break;                                                              \
      T cv = hv[ch * inner];                                                \
      int ci = hi[ch * inner];                                              \
      if (ch + 1 < e) {                                                     \
        T cv2 = hv[(ch + 1) * inner];                                       \
        int ci2 = hi[(ch + 1) * inner];                                     \
        if (INDEX_TOPK_BETTER (largest, cv, ci, cv2, ci2)) {                \
          ch++;                                                             \
          cv = cv2;                                                         \
          ci = ci2;                                                         \
        }                                                                   \
      }                                                                     \
      if (!INDEX_TOPK_BETTER (largest, val, vi, cv, ci))                    \
        break;                                                              \
      hv[h * inner] = cv;                                                   \
      hi[h * inner] = ci;                                                   \
      h = ch;                                                               \
    }                                                                       \
    hv[h * inner] = val;                                                    \
    hi[h * inner] = vi;                                                     \
  }                                                                         \
}

INDEX_TOPK (index_topk_f, float)
INDEX_TOPK (index_topk_i, int)
