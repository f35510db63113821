/* backend-opencl/movement.c - Concat, Split, Slice, Transpose, Expand,
 * Tile and Pad on OpenCL (ocl_kernels/movement.cl): strided copies of
 * 32-bit elements (movement_copy_nd), batched 2-D transposes in 8x8 tiles
 * (movement_transpose_tile), Pad / Tile per output element (movement_pad).
 * Channel-axis Concat / Split parts the memory planner put in place
 * (yolo_rt_same_location) record no copy. */
#include "impls.h"
#include "ops/misc-util.h"
#include "ops/movement.h"
#include "yolo-half.h"

/* Drops size-1 dims and merges dims that are contiguous in both source and
 * destination. */
static void
box_collapse (MoveBox * b)
{
  MoveBox o = *b;
  o.ndim = 0;
  for (int i = 0; i < b->ndim; i++) {
    if (b->d[i] == 1)
      continue;
    if (o.ndim > 0) {
      int l = o.ndim - 1;
      if (o.ss[l] == b->ss[i] * b->d[i] && o.ds[l] == b->ds[i] * b->d[i]) {
        o.d[l] *= b->d[i];
        o.ss[l] = b->ss[i];
        o.ds[l] = b->ds[i];
        continue;
      }
    }
    o.d[o.ndim] = b->d[i];
    o.ss[o.ndim] = b->ss[i];
    o.ds[o.ndim] = b->ds[i];
    o.ndim++;
  }
  *b = o;
}

/* Kernel `base` of movement.cl for t's element width: 16-bit elements
 * (half storage) take the _u16 kernels. */
static cl_kernel
move_kernel (YoloRuntime * rt, const char *base, const YoloTensor * t,
    GError ** error)
{
  char name[64];

  g_snprintf (name, sizeof name, "%s%s", base,
      yolo_dtype_size (yolo_tensor_storage (t)) == 2 ? "_u16" : "");
  return yolo_rt_kernel (rt, name, error);
}

static gboolean
box_launch (YoloRuntime * rt, YoloGraph * g, YoloNode * n, YoloTensor * src,
    YoloTensor * dst, MoveBox * b, GError ** error)
{
  MoveBox c = *b;
  cl_kernel k;
  YoloArgs a;
  int nd, p = -1;

  if (misc_prod (b->d, 0, b->ndim) == 0)
    return TRUE;
  box_collapse (&c);
  nd = c.ndim;
  if (nd > MOVE_DIMS) {
    yolo_op_unsupported (error, n, "copy needs %d dims (max %d)", nd,
        MOVE_DIMS);
    return FALSE;
  }
  if (nd == 0) {
    c.d[0] = 1;
    c.ss[0] = c.ds[0] = 1;
    nd = c.ndim = 1;
  }
  /* Batched 2-D transpose: innermost dim contiguous in dst only, another
   * dim contiguous in src. */
  if (nd >= 2 && c.ds[nd - 1] == 1 && c.ss[nd - 1] != 1 && c.d[nd - 1] >= 4) {
    for (int i = 0; i < nd - 1; i++)
      if (c.ss[i] == 1 && c.d[i] >= 4)
        p = i;
  }
  if (p >= 0) {
    gint64 e[4] = { 1, 1, 1, 1 }, es[4] = { 0 }, ed[4] = { 0 };
    int j = 3;
    for (int i = nd - 2; i >= 0; i--) {
      if (i == p)
        continue;
      e[j] = c.d[i];
      es[j] = c.ss[i];
      ed[j] = c.ds[i];
      j--;
    }
    k = move_kernel (rt, "movement_transpose_tile", dst, error);
    if (!k)
      return FALSE;
    a = yolo_args (k);
    yolo_args_tensor (&a, rt, g, src);
    yolo_args_tensor (&a, rt, g, dst);
    yolo_args_int (&a, c.sbase);
    yolo_args_int (&a, c.dbase);
    yolo_args_int (&a, c.d[nd - 1]);
    yolo_args_int (&a, c.d[p]);
    yolo_args_int (&a, c.ss[nd - 1]);
    yolo_args_int (&a, c.ds[p]);
    for (int i = 0; i < 4; i++)
      yolo_args_int (&a, e[i]);
    for (int i = 0; i < 4; i++)
      yolo_args_int (&a, es[i]);
    for (int i = 0; i < 4; i++)
      yolo_args_int (&a, ed[i]);
    if (!yolo_args_ok (&a, n, error))
      return FALSE;
    gsize gws[3] = { yolo_div_up (c.d[nd - 1], 8), yolo_div_up (c.d[p], 8),
      e[0] * e[1] * e[2] * e[3]
    };
    gsize lws[3] = { 8, 8, 1 };
    return yolo_rt_launch (rt, n, k, 3, gws, lws, error);
  }

  /* Pad to 6 dims at the front. */
  gint64 d[MOVE_DIMS], ss[MOVE_DIMS], ds[MOVE_DIMS];
  for (int i = 0; i < MOVE_DIMS; i++) {
    int s = i - (MOVE_DIMS - nd);
    d[i] = s >= 0 ? c.d[s] : 1;
    ss[i] = s >= 0 ? c.ss[s] : 0;
    ds[i] = s >= 0 ? c.ds[s] : 0;
  }
  /* rows of fewer than MOVE_CHUNK elements: several per work-item */
  gint64 rw = d[5] < MOVE_CHUNK ? MIN (d[4], MOVE_CHUNK / d[5]) : 1;
  gint64 total = yolo_div_up (d[5], MOVE_CHUNK) * yolo_div_up (d[4], rw)
      * misc_prod (d, 0, 4);
  k = move_kernel (rt, "movement_copy_nd", dst, error);
  if (!k)
    return FALSE;
  a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, src);
  yolo_args_tensor (&a, rt, g, dst);
  yolo_args_int (&a, c.sbase);
  yolo_args_int (&a, c.dbase);
  yolo_args_int (&a, total);
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, d[i]);
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, ss[i]);
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, ds[i]);
  yolo_args_int (&a, rw);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gsize gws = total, lws = 64;
  return yolo_rt_launch (rt, n, k, 1, &gws, &lws, error);
}

static gboolean
concat_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), y->ndim);
  gint64 at = 0;
  MoveBox b;
  for (int i = 0; i < n->n_inputs; i++) {
    YoloTensor *x = YOLO_IN (g, n, i);
    yolo_concat_box (g, n, axis, i, at, &b);
    at += x->dims[axis];
    if (yolo_tensor_numel (x) == 0 || yolo_rt_same_location (g, x, y, b.dbase))
      continue;
    if (!box_launch (rt, g, n, x, y, &b, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
split_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gint64 at = 0;
  MoveBox b;
  for (int j = 0; j < n->n_outputs; j++) {
    YoloTensor *y = YOLO_OUT (g, n, j);
    yolo_split_box (g, n, axis, j, at, &b);
    at += y->dims[axis];
    /* Outputs nobody reads may not be planned at all. */
    if (yolo_tensor_numel (y) == 0 || (y->n_uses == 0 && !y->is_output)
        || yolo_rt_same_location (g, y, x, b.sbase))
      continue;
    if (!box_launch (rt, g, n, x, y, &b, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
box_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, BoxFunc f,
    GError ** error)
{
  MoveBox b;
  if (!f (g, n, &b, error))
    return FALSE;
  return box_launch (rt, g, n, YOLO_IN (g, n, 0), YOLO_OUT (g, n, 0), &b,
      error);
}

static gboolean
slice_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return box_prepare (rt, g, n, yolo_slice_box, error);
}

static gboolean
transpose_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  return box_prepare (rt, g, n, yolo_transpose_box, error);
}

static gboolean
expand_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return box_prepare (rt, g, n, yolo_expand_box, error);
}

static gboolean
pad_prepare_with (YoloRuntime * rt, YoloGraph * g, YoloNode * n, PadFunc f,
    GError ** error)
{
  PadSpec p;
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  if (!f (g, n, &p, error))
    return FALSE;
  if (total == 0)
    return TRUE;
  if (p.ndim > MOVE_DIMS) {
    yolo_op_unsupported (error, n, "rank %d (max %d)", p.ndim, MOVE_DIMS);
    return FALSE;
  }
  cl_int value;
  if (yolo_tensor_storage (y) == YOLO_DTYPE_FLOAT16) {
    value = yolo_float_to_half ((float) p.value);
  } else if (yolo_dtype_is_float (y->dtype)) {
    float fv = (float) p.value;
    memcpy (&value, &fv, sizeof value);
  } else {
    value = (cl_int) p.value;
  }
  cl_kernel k = move_kernel (rt, "movement_pad", y, error);
  if (!k)
    return FALSE;
  YoloArgs a = yolo_args (k);
  yolo_args_tensor (&a, rt, g, x);
  yolo_args_tensor (&a, rt, g, y);
  yolo_args_int (&a, total);
  yolo_args_int (&a, p.mode);
  yolo_args_int (&a, value);
  int lead = MOVE_DIMS - p.ndim;
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, i < lead ? 1 : p.out[i - lead]);
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, i < lead ? 1 : p.in[i - lead]);
  for (int i = 0; i < MOVE_DIMS; i++)
    yolo_args_int (&a, i < lead ? 0 : p.pb[i - lead]);
  if (!yolo_args_ok (&a, n, error))
    return FALSE;
  gsize gws = total, lws = 64;
  return yolo_rt_launch (rt, n, k, 1, &gws, &lws, error);
}

static gboolean
pad_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_prepare_with (rt, g, n, yolo_pad_spec, error);
}

static gboolean
tile_prepare (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_prepare_with (rt, g, n, yolo_tile_spec, error);
}

static const char *const concat_types[] = { "Concat", NULL };
static const char *const split_types[] = { "Split", NULL };
static const char *const slice_types[] = { "Slice", NULL };
static const char *const transpose_types[] = { "Transpose", NULL };
static const char *const expand_types[] = { "Expand", NULL };
static const char *const tile_types[] = { "Tile", NULL };
static const char *const pad_types[] = { "Pad", NULL };

#define MOVE_IMPL(var, types, name, prepare) \
  static const YoloOpImpl var = { types, name, "movement", NULL, NULL, prepare, YOLO_IMPL_HALF }
MOVE_IMPL (impl_concat, concat_types, "concat", concat_prepare);
MOVE_IMPL (impl_split, split_types, "split", split_prepare);
MOVE_IMPL (impl_slice, slice_types, "slice", slice_prepare);
MOVE_IMPL (impl_transpose, transpose_types, "transpose", transpose_prepare);
MOVE_IMPL (impl_expand, expand_types, "expand", expand_prepare);
MOVE_IMPL (impl_tile, tile_types, "tile", tile_prepare);
MOVE_IMPL (impl_pad, pad_types, "pad", pad_prepare);

const YoloOpImpl *const yolo_impls_movement[] = {
  &impl_concat, &impl_split, &impl_slice, &impl_transpose, &impl_expand,
  &impl_tile, &impl_pad, NULL
};
