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
 * [outer, k, inner]. The result is sorted best first, ties by lower index
 * (like onnxruntime). Candidate lists in between are [outer, len, inner]
 * too, each element a (value, original index) pair.
 *
 * No work-item loops over a whole row: Mesa's llvmpipe (rusticl) stops every
 * loop of a shader invocation once their iterations add up to 65535 (its
 * loop limiter), which would silently cut a long row short. ops/index.c
 * therefore splits rows into segments of at most 2048 elements:
 * index_topk_* keeps the best kc of each segment (k, or the segment's
 * length when shorter), sorted (a row that fits one segment is done then),
 * and index_topk_merge_* merges groups of at most 32 such sorted lists into
 * one, each work-item placing one candidate by binary searches in the other
 * lists of its group (index_topk_merge_seq_*: one work-item per group, for
 * short outputs). */

/* a better than b (a wins ties on the lower index) */
#define INDEX_TOPK_BETTER(largest, av, ai, bv, bi)                          \
  (((largest) ? (av) > (bv) : (av) < (bv)) || ((av) == (bv) && (ai) < (bi)))

/* The most lists one merge takes (TOPK_FANIN in ops/index.c). */
#define INDEX_TOPK_FANIN 32

/* Pads a list whose segment kept fewer than kc elements: worse than any
 * element (an element equal in value wins on its lower index). */
#define INDEX_TOPK_PAD_INDEX INT_MAX

/* Puts (val, vi) at the root of the heap hv / hi of its first n entries
 * (stride inner, worst at the root) and sifts it down: each step moves the
 * worse child up while it is worse than (val, vi). */
#define INDEX_TOPK_SIFT_DOWN(T, n, val, vi)                                 \
  do {                                                                      \
    int h_ = 0;                                                             \
    for (;;) {                                                              \
      int ch = 2 * h_ + 1;                                                  \
      if (ch >= (n))                                                        \
        break;                                                              \
      T cv = hv[ch * inner];                                                \
      int ci = hi[ch * inner];                                              \
      if (ch + 1 < (n)) {                                                   \
        T cv2 = hv[(ch + 1) * inner];                                       \
        int ci2 = hi[(ch + 1) * inner];                                     \
        if (INDEX_TOPK_BETTER (largest, cv, ci, cv2, ci2)) {                \
          ch++;                                                             \
          cv = cv2;                                                         \
          ci = ci2;                                                         \
        }                                                                   \
      }                                                                     \
      if (!INDEX_TOPK_BETTER (largest, (val), (vi), cv, ci))                \
        break;                                                              \
      hv[h_ * inner] = cv;                                                  \
      hi[h_ * inner] = ci;                                                  \
      h_ = ch;                                                              \
    }                                                                       \
    hv[h_ * inner] = (val);                                                 \
    hi[h_ * inner] = (vi);                                                  \
  } while (0)

/* One work-item per (row, segment): segment s of nseg is elements
 * [s * n / nseg, (s + 1) * n / nseg) of its row. A bounded heap of the kc
 * best (worst at the root) lives directly in the destination list (list s
 * of kc elements, stride inner), then is heap-sorted and padded to kc.
 * Worst case per work-item about seg * (log2 (kc) + 3) + kc * (log2 (kc)
 * + 2) loop iterations, seg the segment's length.
 *
 * tm > 0: tv holds, per segment of the row, its best tm sorted (an earlier
 * run of this kernel with kc = tm, every segment at least tm long). Each
 * segment then has tm elements at least as good as the worst of their
 * tm-th values, so when nseg * tm >= k the k best are too: elements worse
 * than that threshold are skipped, and most of the heap work with them. */
#define INDEX_TOPK(NAME, T, WORST_LARGEST, WORST_SMALLEST)                  \
__kernel void                                                               \
NAME (__global const T *x, int x_off, __global T *v, int v_off,             \
    __global int *ix, int ix_off, __global const T *tv, int tv_off,         \
    int rows, int n, int inner, int nseg, int kc, int tm, int largest)      \
{                                                                           \
  int gid = get_global_id (0);                                              \
  if (gid >= rows * nseg || kc <= 0)                                        \
    return;                                                                 \
  int s = gid % nseg;                                                       \
  int row = gid / nseg;                                                     \
  int o = row / inner;                                                      \
  int in = row % inner;                                                     \
  int j0 = (int) ((long) s * n / nseg);                                     \
  int j1 = (int) ((long) (s + 1) * n / nseg);                               \
  __global const T *p = x + x_off + o * n * inner + in;                     \
  int base = (o * nseg + s) * kc * inner + in;                              \
  __global T *hv = v + v_off + base;                                        \
  __global int *hi = ix + ix_off + base;                                    \
  /* threshold: the worst of the segments' tm-th best values */             \
  T thr = largest ? WORST_LARGEST : WORST_SMALLEST;                         \
  if (tm > 0) {                                                             \
    __global const T *t = tv + tv_off + (o * nseg * tm + tm - 1) * inner    \
        + in;                                                               \
    thr = t[0];                                                             \
    for (int q = 1; q < nseg; q++) {                                        \
      T tq = t[q * tm * inner];                                             \
      thr = largest ? min (thr, tq) : max (thr, tq);                        \
    }                                                                       \
  }                                                                         \
  int size = 0;                                                             \
  for (int j = j0; j < j1; j++) {                                           \
    T val = p[j * inner];                                                   \
    if (largest ? val < thr : val > thr)                                    \
      continue;                                                             \
    if (size < kc) {                                                        \
      /* sift up: parents are worse than children */                        \
      int h = size++;                                                       \
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
    INDEX_TOPK_SIFT_DOWN (T, kc, val, j);                                   \
  }                                                                         \
  /* heap sort: move the worst to the end, repeatedly */                    \
  for (int e = size - 1; e > 0; e--) {                                      \
    T val = hv[e * inner];                                                  \
    int vi = hi[e * inner];                                                 \
    hv[e * inner] = hv[0];                                                  \
    hi[e * inner] = hi[0];                                                  \
    INDEX_TOPK_SIFT_DOWN (T, e, val, vi);                                   \
  }                                                                         \
  /* pad the list: a segment shorter than kc, or thinned by thr */          \
  for (int e = size; e < kc; e++) {                                         \
    hv[e * inner] = largest ? WORST_LARGEST : WORST_SMALLEST;               \
    hi[e * inner] = INDEX_TOPK_PAD_INDEX;                                   \
  }                                                                         \
}

INDEX_TOPK (index_topk_f, float, -INFINITY, INFINITY)
INDEX_TOPK (index_topk_i, int, INT_MIN, INT_MAX)

/* Merges sorted lists: the input holds nruns lists of runlen per row
 * ([outer, nruns * runlen, inner]), taken in groups of `group` consecutive
 * lists (the last group may have fewer; its missing lists count as all
 * padding). Each group gives one sorted list of its best outlen, in
 * [outer, ngroups * outlen, inner]. One work-item per (row, group, list,
 * entry): its entry's place in the merged list is its own index plus, for
 * every other list of the group, the number of entries that go before it:
 * those better, or equal and in an earlier list (so equal padding entries
 * get distinct places). The lists are sorted, so each count is a binary
 * search: at most group * (log2 (runlen) + 3) loop iterations. */
#define INDEX_TOPK_MERGE(NAME, T, WORST_LARGEST, WORST_SMALLEST)            \
__kernel void                                                               \
NAME (__global const T *cv, int cv_off, __global const int *ci, int ci_off, \
    __global T *v, int v_off, __global int *ix, int ix_off, int rows,       \
    int inner, int nruns, int runlen, int group, int ngroups, int outlen,   \
    int largest)                                                            \
{                                                                           \
  int gid = get_global_id (0);                                              \
  if (gid >= rows * ngroups * group * runlen)                               \
    return;                                                                 \
  int i = gid % runlen;                                                     \
  int t = gid / runlen;                                                     \
  int r = t % group;                                                        \
  t /= group;                                                               \
  int g = t % ngroups;                                                      \
  int row = t / ngroups;                                                    \
  int o = row / inner;                                                      \
  int in = row % inner;                                                     \
  int nr = min (group, nruns - g * group);                                  \
  int first = (o * nruns + g * group) * runlen * inner + in;                \
  __global const T *lv = cv + cv_off + first;                               \
  __global const int *li = ci + ci_off + first;                             \
  T val;                                                                    \
  int vi, pos;                                                              \
  if (r >= nr) {                                                            \
    /* padding after every real entry of the group */                       \
    val = largest ? WORST_LARGEST : WORST_SMALLEST;                         \
    vi = INDEX_TOPK_PAD_INDEX;                                              \
    pos = r * runlen + i;                                                   \
  } else {                                                                  \
    val = lv[(r * runlen + i) * inner];                                     \
    vi = li[(r * runlen + i) * inner];                                      \
    /* the last merge: at least outlen (= k) real entries come first */     \
    if (ngroups == 1 && vi == INDEX_TOPK_PAD_INDEX)                         \
      return;                                                               \
    pos = i;                                                                \
    for (int q = 0; q < nr && pos < outlen; q++) {                          \
      if (q == r)                                                           \
        continue;                                                           \
      if (q < r && vi == INDEX_TOPK_PAD_INDEX) {                            \
        /* every entry goes before padding in a later list */               \
        pos += runlen;                                                      \
        continue;                                                           \
      }                                                                     \
      int lo = 0, hi = runlen;                                              \
      while (lo < hi) {                                                     \
        int mid = (lo + hi) >> 1;                                           \
        int at = (q * runlen + mid) * inner;                                \
        T mv = lv[at];                                                      \
        int mi = li[at];                                                    \
        if (q < r ? !INDEX_TOPK_BETTER (largest, val, vi, mv, mi)           \
            : INDEX_TOPK_BETTER (largest, mv, mi, val, vi))                 \
          lo = mid + 1;                                                     \
        else                                                                \
          hi = mid;                                                         \
      }                                                                     \
      pos += lo;                                                            \
    }                                                                       \
  }                                                                         \
  if (pos >= outlen)                                                        \
    return;                                                                 \
  int out = ((o * ngroups + g) * outlen + pos) * inner + in;                \
  v[v_off + out] = val;                                                     \
  ix[ix_off + out] = vi;                                                    \
}

INDEX_TOPK_MERGE (index_topk_merge_f, float, -INFINITY, INFINITY)
INDEX_TOPK_MERGE (index_topk_merge_i, int, INT_MIN, INT_MAX)

/* The same merge with one work-item per (row, group), for short outputs
 * (ops/index.c: outlen * (group + 1) at most 16384): outlen times, takes
 * the best head of the group's lists (padding once they run out). Fewer
 * and cheaper steps than placing every entry when most are padding or
 * never make the output (k = 300 of YOLO26's rows). */
#define INDEX_TOPK_MERGE_SEQ(NAME, T, WORST_LARGEST, WORST_SMALLEST)        \
__kernel void                                                               \
NAME (__global const T *cv, int cv_off, __global const int *ci, int ci_off, \
    __global T *v, int v_off, __global int *ix, int ix_off, int rows,       \
    int inner, int nruns, int runlen, int group, int ngroups, int outlen,   \
    int largest)                                                            \
{                                                                           \
  int gid = get_global_id (0);                                              \
  if (gid >= rows * ngroups || group > INDEX_TOPK_FANIN)                    \
    return;                                                                 \
  int g = gid % ngroups;                                                    \
  int row = gid / ngroups;                                                  \
  int o = row / inner;                                                      \
  int in = row % inner;                                                     \
  int nr = min (group, nruns - g * group);                                  \
  int first = (o * nruns + g * group) * runlen * inner + in;                \
  __global const T *lv = cv + cv_off + first;                               \
  __global const int *li = ci + ci_off + first;                             \
  int out = (o * ngroups + g) * outlen * inner + in;                        \
  int cur[INDEX_TOPK_FANIN];                                                \
  for (int q = 0; q < nr; q++)                                              \
    cur[q] = 0;                                                             \
  for (int e = 0; e < outlen; e++) {                                        \
    int bq = -1;                                                            \
    T bv = largest ? WORST_LARGEST : WORST_SMALLEST;                        \
    int bi = INDEX_TOPK_PAD_INDEX;                                          \
    for (int q = 0; q < nr; q++) {                                          \
      if (cur[q] >= runlen)                                                 \
        continue;                                                           \
      int at = (q * runlen + cur[q]) * inner;                               \
      T mv = lv[at];                                                        \
      int mi = li[at];                                                      \
      if (bq < 0 || INDEX_TOPK_BETTER (largest, mv, mi, bv, bi)) {          \
        bq = q;                                                             \
        bv = mv;                                                            \
        bi = mi;                                                            \
      }                                                                     \
    }                                                                       \
    if (bq >= 0)                                                            \
      cur[bq]++;                                                            \
    v[v_off + out + e * inner] = bv;                                        \
    ix[ix_off + out + e * inner] = bi;                                      \
  }                                                                         \
}

INDEX_TOPK_MERGE_SEQ (index_topk_merge_seq_f, float, -INFINITY, INFINITY)
INDEX_TOPK_MERGE_SEQ (index_topk_merge_seq_i, int, INT_MIN, INT_MAX)
