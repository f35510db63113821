/* ops/index.c - Gather, GatherElements, TopK.
 *
 * TopK keeps a bounded heap per row segment and merges the segments'
 * sorted candidates (see topk_prepare and index.cl); results are sorted
 * best first, ties broken by the lower index like onnxruntime, whatever
 * `sorted` says. */
#include "misc-util.h"

#define INDEX_DIMS 6

static gboolean
need_io (YoloGraph * g, YoloNode * n, int n_in, GError ** error)
{
  for (int i = 0; i < n_in; i++)
    if (!YOLO_IN (g, n, i)) {
      yolo_op_error (error, n, "missing input %d", i);
      return FALSE;
    }
  if (n->n_outputs < 1) {
    yolo_op_error (error, n, "missing output");
    return FALSE;
  }
  return TRUE;
}

/* Integer indices; when constant, each must lie in [-len, len) (the device
 * kernels clamp, which would silently read another row). */
static gboolean
check_indices (YoloGraph * g, YoloNode * n, YoloTensor * idx, gint64 len,
    GError ** error)
{
  if (yolo_dtype_is_float (idx->dtype)) {
    yolo_op_error (error, n, "indices must be integers");
    return FALSE;
  }
  if (!yolo_tensor_is_const (idx))
    return TRUE;
  for (gint64 j = 0, cnt = yolo_tensor_numel (idx); j < cnt; j++) {
    gint64 k = ((const gint64 *) idx->data)[j];
    if (k < -len || k >= len) {
      yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range for "
          "axis of size %" G_GINT64_FORMAT, k, len);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- Gather ---- */

static gboolean
gather_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 dims[YOLO_MAX_DIMS];
  if (!need_io (g, n, 2, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  if (!check_indices (g, n, idx, x->dims[axis], error))
    return FALSE;
  int nd = x->ndim + idx->ndim - 1;
  if (nd > YOLO_MAX_DIMS) {
    yolo_op_unsupported (error, n, "output rank too large");
    return FALSE;
  }
  int k = 0;
  for (int i = 0; i < axis; i++)
    dims[k++] = x->dims[i];
  for (int i = 0; i < idx->ndim; i++)
    dims[k++] = idx->dims[i];
  for (int i = axis + 1; i < x->ndim; i++)
    dims[k++] = x->dims[i];
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, nd, dims);
  return TRUE;
}

static gboolean
gather_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (!misc_have_data (g, n, error))
    return FALSE;
  gint64 outer = misc_prod (x->dims, 0, axis), len = x->dims[axis];
  gint64 inner = misc_prod (x->dims, axis + 1, x->ndim);
  gint64 ni = yolo_tensor_numel (idx);
  gsize es = misc_esize (x);
  guint8 *d = misc_alloc (y);
  const guint8 *s = x->data;
  for (gint64 o = 0; o < outer; o++)
    for (gint64 j = 0; j < ni; j++) {
      gint64 k = ((gint64 *) idx->data)[j];
      if (k < 0)
        k += len;
      if (k < 0 || k >= len) {
        yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range",
            ((gint64 *) idx->data)[j]);
        return FALSE;
      }
      memcpy (d + (o * ni + j) * inner * es, s + (o * len + k) * inner * es,
          inner * es);
    }
  return TRUE;
}

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

/* ---- GatherElements ---- */

static gboolean
gather_el_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!need_io (g, n, 2, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (axis < 0 || idx->ndim != x->ndim) {
    yolo_op_error (error, n, "invalid axis or indices rank");
    return FALSE;
  }
  if (!check_indices (g, n, idx, x->dims[axis], error))
    return FALSE;
  for (int i = 0; i < x->ndim; i++)
    if (i != axis && idx->dims[i] > x->dims[i]) {
      yolo_op_error (error, n, "indices larger than data on dim %d", i);
      return FALSE;
    }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, idx->ndim, idx->dims);
  return TRUE;
}

static gboolean
gather_el_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *idx = YOLO_IN (g, n, 1);
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gint64 xs[YOLO_MAX_DIMS], c[YOLO_MAX_DIMS] = { 0 };
  if (!misc_have_data (g, n, error))
    return FALSE;
  misc_strides (x, xs);
  gint64 total = yolo_tensor_numel (y), len = x->dims[axis];
  gsize es = misc_esize (x);
  guint8 *d = misc_alloc (y);
  for (gint64 j = 0; j < total; j++) {
    gint64 k = ((gint64 *) idx->data)[j], off = 0;
    if (k < 0)
      k += len;
    if (k < 0 || k >= len) {
      yolo_op_error (error, n, "index %" G_GINT64_FORMAT " out of range",
          ((gint64 *) idx->data)[j]);
      return FALSE;
    }
    for (int i = 0; i < x->ndim; i++)
      off += (i == axis ? k : c[i]) * xs[i];
    memcpy (d + j * es, (guint8 *) x->data + off * es, es);
    for (int i = x->ndim - 1; i >= 0; i--) {
      if (++c[i] < idx->dims[i])
        break;
      c[i] = 0;
    }
  }
  return TRUE;
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

/* ---- TopK ---- */

static gboolean
topk_geom (YoloGraph * g, YoloNode * n, int *axis, gint64 * k, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *kt = YOLO_IN (g, n, 1);
  *axis = yolo_axis (yolo_node_attr_int (n, "axis", -1), x->ndim);
  if (*axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  if (kt) {
    if (!yolo_tensor_is_const (kt) || yolo_tensor_numel (kt) != 1) {
      yolo_op_unsupported (error, n, "K must be a constant scalar");
      return FALSE;
    }
    *k = yolo_const_int (kt, 0);
  } else {
    *k = yolo_node_attr_int (n, "k", -1);
  }
  if (*k < 0 || *k > x->dims[*axis]) {
    yolo_op_error (error, n, "K = %" G_GINT64_FORMAT " out of range", *k);
    return FALSE;
  }
  return TRUE;
}

static gboolean
topk_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 k, dims[YOLO_MAX_DIMS];
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!x || n->n_outputs < 2) {
    yolo_op_error (error, n, "needs an input and two outputs");
    return FALSE;
  }
  if (!topk_geom (g, n, &axis, &k, error))
    return FALSE;
  memcpy (dims, x->dims, sizeof dims);
  dims[axis] = k;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, x->ndim, dims);
  yolo_tensor_set_shape (YOLO_OUT (g, n, 1), YOLO_DTYPE_INT64, x->ndim, dims);
  return TRUE;
}

typedef struct
{
  const YoloTensor *x;
  gint64 base, inner;
  gboolean largest;
} TopKCtx;

static double
topk_val (const TopKCtx * c, gint64 j)
{
  gint64 at = c->base + j * c->inner;
  return yolo_dtype_is_float (c->x->dtype) ? ((float *) c->x->data)[at] :
      (double) ((gint64 *) c->x->data)[at];
}

static gint
topk_cmp (gconstpointer pa, gconstpointer pb, gpointer user)
{
  const TopKCtx *c = user;
  gint64 a = *(const gint64 *) pa, b = *(const gint64 *) pb;
  double va = topk_val (c, a), vb = topk_val (c, b);
  if (va != vb)
    return (va > vb) == c->largest ? -1 : 1;
  return a < b ? -1 : a > b;
}

static gboolean
topk_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 k;
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *v = YOLO_OUT (g, n, 0), *ix = YOLO_OUT (g, n, 1);
  if (!x->data) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (!topk_geom (g, n, &axis, &k, error))
    return FALSE;
  gint64 outer = misc_prod (x->dims, 0, axis), len = x->dims[axis];
  gint64 inner = misc_prod (x->dims, axis + 1, x->ndim);
  gboolean fl = yolo_dtype_is_float (x->dtype);
  gpointer vd = misc_alloc (v);
  gint64 *id = misc_alloc (ix);
  gint64 *order = g_new (gint64, MAX (len, 1));
  TopKCtx c = { x, 0, inner, yolo_node_attr_int (n, "largest", 1) != 0 };
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++) {
      c.base = o * len * inner + i;
      for (gint64 j = 0; j < len; j++)
        order[j] = j;
      g_qsort_with_data (order, len, sizeof (gint64), topk_cmp, &c);
      for (gint64 j = 0; j < k; j++) {
        gint64 out = (o * k + j) * inner + i, src = c.base + order[j] * inner;
        id[out] = order[j];
        if (fl)
          ((float *) vd)[out] = ((float *) x->data)[src];
        else
          ((gint64 *) vd)[out] = ((gint64 *) x->data)[src];
      }
    }
  g_free (order);
  return TRUE;
}

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
  if (!topk_geom (g, n, &axis, &k, error))
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

static const YoloOpDef op_gather =
    { "Gather", 0, gather_infer, gather_eval, gather_prepare };
static const YoloOpDef op_gather_el =
    { "GatherElements", 0, gather_el_infer, gather_el_eval,
  gather_el_prepare
};
static const YoloOpDef op_topk =
    { "TopK", 0, topk_infer, topk_eval, topk_prepare };

const YoloOpDef *const yolo_ops_index[] = {
  &op_gather, &op_gather_el, &op_topk, NULL
};
