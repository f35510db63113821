/* backend-opencl/index.c - Gather, GatherElements and TopK on OpenCL
 * (ocl_kernels/index.cl). */
#include "impls.h"
#include "ops/misc-util.h"
#include "ops/index.h"

/* The device TopK (index.cl) works on candidate lists, [outer, len, inner]
 * like the input: stage 1 (index_topk_*) cuts every row into nseg
 * segments of at most `seg` elements and keeps the best kc of each, sorted;
 * then each merge (index_topk_merge_*) turns groups of at most TOPK_FANIN
 * lists into one list of their best min (k, ...), until one list of k is
 * left (index_topk_merge_seq_* when that list is short: one work-item per
 * group picks the best head outlen times). Bounding seg, the fan-in and
 * the sequential merges' outlen * (group + 1) bounds the loop iterations
 * of every work-item, which llvmpipe needs (see index.cl). A row of at most
 * seg elements takes stage 1 alone, straight into the outputs; longer ones
 * pass their lists through scratch slots 0 and 1 (by turns). Every list holds
 * (value, original index) pairs and comparisons break ties on the index, so
 * the result is exact whatever the order of the work.
 *
 * When k is small next to the segments (YOLO26: k = 300 of 8400 or 24000),
 * a first run of stage 1 keeps only the best tm = k / nseg (rounded up) of
 * each segment, in scratch slot 2: the worst of their tm-th values is a
 * threshold that at least k elements reach, so the real stage 1 skips
 * every element below it instead of filling and sorting a heap of k per
 * segment (most of its time on PoCL otherwise). */
#define TOPK_SEG_SMALL_K 2048   /* segment length when k <= TOPK_SMALL_K */
#define TOPK_SEG_LARGE_K 1024
#define TOPK_SMALL_K 512
#define TOPK_FANIN 32           /* at most INDEX_TOPK_FANIN (index.cl) */
/* The most outlen * (group + 1) for index_topk_merge_seq_*. */
#define TOPK_SEQ_MERGE 16384

/* Where a kernel reads or writes a list: the TopK outputs (slot < 0), or
 * scratch slot `slot` holding `count` values followed by `count` indices. */
typedef struct
{
  int slot;
  gint64 count;
} TopKList;

static gboolean
gather_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gsize total = yolo_tensor_numel (y), lws = 64;
  if (total == 0)
    return TRUE;
  cl_kernel k = yolo_rt_kernel (rt, "index_gather", error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, idx);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, total);
  yolo_args_int (&a, x->dims[axis]);
  yolo_args_int (&a, yolo_tensor_numel (idx));
  yolo_args_int (&a, misc_prod (x->dims, axis + 1, x->ndim));
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, &total, &lws, error);
}

static gboolean
gather_el_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gint64 xs[YOLO_MAX_DIMS];
  gsize total = yolo_tensor_numel (y), lws = 64;
  if (total == 0)
    return TRUE;
  if (x->ndim > INDEX_DIMS) {
    yolo_op_unsupported (error, n, "rank %d (max %d)", x->ndim, INDEX_DIMS);
    return FALSE;
  }
  misc_strides (x, xs);
  int lead = INDEX_DIMS - x->ndim;
  cl_kernel k = yolo_rt_kernel (rt, "index_gather_elements", error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, idx);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, total);
  yolo_args_int (&a, axis + lead);
  yolo_args_int (&a, x->dims[axis]);
  for (int i = 0; i < INDEX_DIMS; i++)
    yolo_args_int (&a, i < lead ? 1 : idx->dims[i - lead]);
  for (int i = 0; i < INDEX_DIMS; i++)
    yolo_args_int (&a, i < lead ? 0 : xs[i - lead]);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  return yolo_rt_launch (rt, n, k, 1, &total, &lws, error);
}

static void
topk_args_list (YoloArgs * a, YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const TopKList * l, cl_mem * unused)
{
  for (int o = 0; o < 2; o++) {
    if (l->slot >= 0) {
      yolo_args_scratch (a, rt, l->slot, 2 * l->count * sizeof (cl_int));
      yolo_args_int (a, o * l->count);
    } else if (unused[o]) {
      yolo_args_mem (a, unused[o]);
      yolo_args_int (a, 0);
    } else {
      yolo_args_tensor (a, rt, g, YOLO_OUT (g, n, o));
    }
  }
}

/* Stage 1 into dst, lists of kc; with the threshold lists of tm (tm > 0)
 * in thr. */
static gboolean
topk_launch_stage1 (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const TopKList * dst, cl_mem * unused, const TopKList * thr, gint64 rows,
    gint64 len, gint64 inner, gint64 nseg, gint64 kc, gint64 tm,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gsize lws = 64, gws = rows * nseg;
  cl_kernel kr = yolo_rt_kernel (rt, yolo_dtype_is_float (x->dtype) ?
      "index_topk_f" : "index_topk_i", error);
  if (!kr)
    return FALSE;
  YoloArgs a = yolo_args (kr);
  yolo_args_tensor (&a, rt, g, x);
  topk_args_list (&a, rt, g, n, dst, unused);
  if (tm > 0) {
    yolo_args_scratch (&a, rt, thr->slot, 2 * thr->count * sizeof (cl_int));
    yolo_args_int (&a, 0);
  } else {
    yolo_args_tensor (&a, rt, g, x);    /* not read */
  }
  yolo_args_int (&a, rows);
  yolo_args_int (&a, len);
  yolo_args_int (&a, inner);
  yolo_args_int (&a, nseg);
  yolo_args_int (&a, kc);
  yolo_args_int (&a, tm);
  yolo_args_int (&a, yolo_node_attr_int (n, "largest", 1) != 0);
  return yolo_args_ok (&a, n, error)
      && yolo_rt_launch (rt, n, kr, 1, &gws, &lws, error);
}

static gboolean
topk_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 k;
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!yolo_topk_geom (g, n, &axis, &k, error))
    return FALSE;
  gint64 outer = misc_prod (x->dims, 0, axis), len = x->dims[axis];
  gint64 inner = misc_prod (x->dims, axis + 1, x->ndim);
  gint64 rows = outer * inner;
  gboolean fl = yolo_dtype_is_float (x->dtype);
  gsize lws = 64, gws;
  cl_mem unused[2] = { NULL, NULL };
  if (rows == 0 || k == 0)
    return TRUE;
  /* Segments of len / nseg elements, rounded down or up: all of at least
   * len / nseg, none over seg. */
  gint64 seg = k <= TOPK_SMALL_K ? TOPK_SEG_SMALL_K : TOPK_SEG_LARGE_K;
  gint64 nseg = yolo_div_up (len, seg);
  gint64 kc = MIN (k, yolo_div_up (len, nseg));
  gint64 tm = yolo_div_up (k, nseg);
  if (nseg == 1 || nseg > TOPK_FANIN || tm * 4 > kc || tm > len / nseg)
    tm = 0;
  if (2 * rows * nseg * kc > G_MAXINT32) {
    yolo_op_unsupported (error, n, "input too large");
    return FALSE;
  }
  /* The final kernel writes both outputs: give an unused (unplanned) one a
   * buffer of its own. */
  for (int o = 0; o < 2; o++) {
    YoloTensor *t = YOLO_OUT (g, n, o);
    if (t->n_uses == 0 && !t->is_output) {
      unused[o] = yolo_rt_alloc (rt, rows * k * sizeof (cl_int), error);
      if (!unused[o])
        return FALSE;
    }
  }

  TopKList thr = { 2, rows * nseg * tm };
  TopKList src, dst = { nseg > 1 ? 0 : -1, rows * nseg * kc };
  if (tm > 0 && !topk_launch_stage1 (rt, g, n, &thr, unused, NULL, rows,
          len, inner, nseg, tm, 0, error))
    return FALSE;
  if (!topk_launch_stage1 (rt, g, n, &dst, unused, &thr, rows, len, inner,
          nseg, kc, tm, error))
    return FALSE;

  for (gint64 nruns = nseg, runlen = kc; nruns > 1;) {
    gint64 ngroups = yolo_div_up (nruns, TOPK_FANIN);
    gint64 group = yolo_div_up (nruns, ngroups);
    gint64 outlen = MIN (k, group * runlen);
    src = dst;
    dst.slot = ngroups > 1 ? 1 - src.slot : -1;
    dst.count = rows * ngroups * outlen;
    /* Short outputs: a work-item per group. Else a work-item for every
     * entry of the groups, padding included. */
    gboolean seq = outlen * (group + 1) <= TOPK_SEQ_MERGE;
    gws = rows * ngroups * (seq ? 1 : group * runlen);
    if (gws > G_MAXINT32 || 2 * dst.count > G_MAXINT32) {
      yolo_op_unsupported (error, n, "input too large");
      return FALSE;
    }
    const char *name = seq ? (fl ? "index_topk_merge_seq_f" :
        "index_topk_merge_seq_i") : (fl ? "index_topk_merge_f" :
        "index_topk_merge_i");
    cl_kernel kr = yolo_rt_kernel (rt, name, error);
    if (!kr)
      return FALSE;
    YoloArgs a = yolo_args (kr);
    topk_args_list (&a, rt, g, n, &src, unused);
    topk_args_list (&a, rt, g, n, &dst, unused);
    yolo_args_int (&a, rows);
    yolo_args_int (&a, inner);
    yolo_args_int (&a, nruns);
    yolo_args_int (&a, runlen);
    yolo_args_int (&a, group);
    yolo_args_int (&a, ngroups);
    yolo_args_int (&a, outlen);
    yolo_args_int (&a, yolo_node_attr_int (n, "largest", 1) != 0);
    if (!yolo_args_ok (&a, n, error)
        || !yolo_rt_launch (rt, n, kr, 1, &gws, &lws, error))
      return FALSE;
    nruns = ngroups;
    runlen = outlen;
  }
  return TRUE;
}

static const char *const gather_types[] = { "Gather", NULL };
static const char *const gather_el_types[] = { "GatherElements", NULL };
static const char *const topk_types[] = { "TopK", NULL };

static const YoloOpImpl impl_gather = {
  gather_types, "gather", "index", NULL, NULL, gather_prepare, 0
};

static const YoloOpImpl impl_gather_el = {
  gather_el_types, "gather-elements", "index", NULL, NULL, gather_el_prepare, 0
};

static const YoloOpImpl impl_topk = {
  topk_types, "topk", "index", NULL, NULL, topk_prepare, 0
};

const YoloOpImpl *const yolo_impls_index[] = {
  &impl_gather, &impl_gather_el, &impl_topk, NULL
};
