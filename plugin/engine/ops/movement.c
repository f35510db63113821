/* ops/movement.c - Concat, Split, Slice, Transpose, Expand, Tile, Pad.
 *
 * Every op here is a strided copy of 32-bit elements described by a box of
 * dims with a source and a destination stride per dim (ops/movement.h),
 * Pad / Tile by a PadSpec. The host reference (eval) walks the same boxes
 * over host data (float or gint64); backend-opencl/movement.c runs them.
 *
 * Channel-axis Concat/Split are usually free: the memory planner places the
 * parts inside the whole, and the backend records no copy for a part already in
 * place (yolo_rt_same_location). */
#include "misc-util.h"
#include "movement.h"

static void
box_host_copy (const MoveBox * b, gsize esize, gconstpointer src, gpointer dst)
{
  gint64 c[YOLO_MAX_DIMS] = { 0 };
  gint64 total = misc_prod (b->d, 0, b->ndim);
  const guint8 *s = src;
  guint8 *d = dst;
  for (gint64 k = 0; k < total; k++) {
    gint64 so = b->sbase, dof = b->dbase;
    for (int i = 0; i < b->ndim; i++) {
      so += c[i] * b->ss[i];
      dof += c[i] * b->ds[i];
    }
    memcpy (d + dof * esize, s + so * esize, esize);
    for (int i = b->ndim - 1; i >= 0; i--) {
      if (++c[i] < b->d[i])
        break;
      c[i] = 0;
    }
  }
}

/* ---- Concat ---- */

/* Box copying input i into its place in the output. */
void
yolo_concat_box (YoloGraph * g, YoloNode * n, int axis, int i, gint64 at,
    MoveBox * b)
{
  YoloTensor *x = YOLO_IN (g, n, i), *y = YOLO_OUT (g, n, 0);
  gint64 ys[YOLO_MAX_DIMS];
  b->ndim = x->ndim;
  memcpy (b->d, x->dims, sizeof (b->d));
  misc_strides (x, b->ss);
  misc_strides (y, ys);
  memcpy (b->ds, ys, sizeof (b->ds));
  b->sbase = 0;
  b->dbase = at * ys[axis];
}

static gboolean
concat_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  if (!misc_need_io (g, n, error))
    return FALSE;
  YoloTensor *x0 = YOLO_IN (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x0->ndim);
  gint64 dims[YOLO_MAX_DIMS];
  if (axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  memcpy (dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    YoloTensor *x = YOLO_IN (g, n, i);
    if (!x || x->ndim != x0->ndim) {
      yolo_op_error (error, n, "input %d: rank mismatch", i);
      return FALSE;
    }
    for (int k = 0; k < x->ndim; k++)
      if (k != axis && x->dims[k] != x0->dims[k]) {
        yolo_op_error (error, n, "input %d: shape mismatch", i);
        return FALSE;
      }
    dims[axis] += x->dims[axis];
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x0->dtype, x0->ndim, dims);
  return TRUE;
}

static gboolean
concat_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *y = YOLO_OUT (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), y->ndim);
  gint64 at = 0;
  MoveBox b;
  if (!misc_have_data (g, n, error))
    return FALSE;
  gpointer d = misc_alloc (y);
  for (int i = 0; i < n->n_inputs; i++) {
    YoloTensor *x = YOLO_IN (g, n, i);
    yolo_concat_box (g, n, axis, i, at, &b);
    if (x->data)
      box_host_copy (&b, misc_esize (y), x->data, d);
    at += x->dims[axis];
  }
  return TRUE;
}

/* ---- Split ---- */

static gboolean
split_sizes (YoloGraph * g, YoloNode * n, gint64 * sizes, int *axis_out,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 sp[MISC_MAX_PARAMS];
  gboolean present;
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (axis < 0) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  if (n->n_outputs > MISC_MAX_PARAMS) {
    yolo_op_unsupported (error, n, "too many outputs");
    return FALSE;
  }
  int cnt = misc_int_param (g, n, 1, "split", sp, MISC_MAX_PARAMS, &present,
      error);
  if (cnt < 0)
    return FALSE;
  gint64 dim = x->dims[axis], sum = 0;
  if (present) {
    if (cnt != n->n_outputs) {
      yolo_op_error (error, n, "%d split sizes for %d outputs", cnt,
          n->n_outputs);
      return FALSE;
    }
    for (int i = 0; i < cnt; i++) {
      sizes[i] = sp[i];
      if (sp[i] < 0 || !yolo_add_checked (sum, sp[i], &sum)) {
        yolo_op_error (error, n, "invalid split size %" G_GINT64_FORMAT, sp[i]);
        return FALSE;
      }
    }
  } else {
    gint64 parts = yolo_node_attr_int (n, "num_outputs", n->n_outputs);
    gint64 chunk = parts > 0 ? (dim + parts - 1) / parts : 0;
    if (parts != n->n_outputs) {
      yolo_op_error (error, n, "num_outputs does not match the outputs");
      return FALSE;
    }
    for (int i = 0; i < n->n_outputs; i++) {
      sizes[i] = CLAMP (dim - sum, 0, chunk);
      sum += sizes[i];
    }
  }
  if (sum != dim) {
    yolo_op_error (error, n, "split sizes do not add up to %" G_GINT64_FORMAT,
        dim);
    return FALSE;
  }
  *axis_out = axis;
  return TRUE;
}

static gboolean
split_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 sizes[MISC_MAX_PARAMS], dims[YOLO_MAX_DIMS];
  int axis;
  if (!misc_need_io (g, n, error) || !split_sizes (g, n, sizes, &axis, error))
    return FALSE;
  YoloTensor *x = YOLO_IN (g, n, 0);
  memcpy (dims, x->dims, sizeof dims);
  for (int i = 0; i < n->n_outputs; i++) {
    dims[axis] = sizes[i];
    yolo_tensor_set_shape (YOLO_OUT (g, n, i), x->dtype, x->ndim, dims);
  }
  return TRUE;
}

void
yolo_split_box (YoloGraph * g, YoloNode * n, int axis, int j, gint64 at,
    MoveBox * b)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, j);
  gint64 xs[YOLO_MAX_DIMS];
  b->ndim = y->ndim;
  memcpy (b->d, y->dims, sizeof (b->d));
  misc_strides (x, xs);
  memcpy (b->ss, xs, sizeof (b->ss));
  misc_strides (y, b->ds);
  b->sbase = at * xs[axis];
  b->dbase = 0;
}

static gboolean
split_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  gint64 at = 0;
  MoveBox b;
  if (!misc_have_data (g, n, error))
    return FALSE;
  for (int j = 0; j < n->n_outputs; j++) {
    YoloTensor *y = YOLO_OUT (g, n, j);
    gpointer d = misc_alloc (y);
    yolo_split_box (g, n, axis, j, at, &b);
    if (yolo_tensor_numel (y) > 0)
      box_host_copy (&b, misc_esize (y), x->data, d);
    at += y->dims[axis];
  }
  return TRUE;
}

/* ---- Slice ---- */

gboolean
yolo_slice_box (YoloGraph * g, YoloNode * n, MoveBox * b, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 starts[MISC_MAX_PARAMS], ends[MISC_MAX_PARAMS];
  gint64 axes[MISC_MAX_PARAMS], steps[MISC_MAX_PARAMS];
  gint64 st[YOLO_MAX_DIMS], xs[YOLO_MAX_DIMS];
  gboolean p1, p2, p3, p4, done[YOLO_MAX_DIMS] = { 0 };
  int ns = misc_int_param (g, n, 1, "starts", starts, MISC_MAX_PARAMS, &p1,
      error);
  if (ns < 0)
    return FALSE;
  int ne = misc_int_param (g, n, 2, "ends", ends, MISC_MAX_PARAMS, &p2,
      error);
  if (ne < 0)
    return FALSE;
  int na = misc_int_param (g, n, 3, "axes", axes, MISC_MAX_PARAMS, &p3,
      error);
  if (na < 0)
    return FALSE;
  int nt = misc_int_param (g, n, 4, NULL, steps, MISC_MAX_PARAMS, &p4,
      error);
  if (nt < 0)
    return FALSE;
  if (!p1 || !p2 || ns != ne || (p3 && na != ns) || (p4 && nt != ns)) {
    yolo_op_error (error, n, "invalid starts/ends/axes/steps");
    return FALSE;
  }
  misc_strides (x, xs);
  b->ndim = x->ndim;
  b->sbase = b->dbase = 0;
  for (int i = 0; i < x->ndim; i++) {
    b->d[i] = x->dims[i];
    st[i] = 1;
  }
  gint64 sidx[YOLO_MAX_DIMS] = { 0 };
  for (int k = 0; k < ns; k++) {
    int a = yolo_axis (p3 ? axes[k] : k, x->ndim);
    gint64 step = p4 ? steps[k] : 1;
    gint64 dim = x->dims[a >= 0 ? a : 0];
    if (a < 0 || done[a] || step == 0) {
      yolo_op_error (error, n, "invalid axis or step");
      return FALSE;
    }
    done[a] = TRUE;
    gint64 s = starts[k], e = ends[k];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    gint64 len;
    /* a step beyond the dimension takes one element at most: bounding it
     * keeps the arithmetic below (and the strides) from overflowing */
    if (step > MAX (dim, 1))
      step = MAX (dim, 1);
    else if (step < -MAX (dim, 1))
      step = -MAX (dim, 1);
    if (step > 0) {
      s = CLAMP (s, 0, dim);
      e = CLAMP (e, 0, dim);
      len = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = CLAMP (s, 0, dim - 1);
      e = CLAMP (e, -1, dim - 1);
      len = s > e ? (s - e - step - 1) / -step : 0;
    }
    b->d[a] = len;
    st[a] = step;
    sidx[a] = s;
  }
  for (int i = 0; i < x->ndim; i++) {
    b->ss[i] = xs[i] * st[i];
    b->sbase += sidx[i] * xs[i];
  }
  misc_dims_strides (x->ndim, b->d, b->ds);
  return TRUE;
}

static gboolean
slice_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  MoveBox b;
  if (!misc_need_io (g, n, error) || !yolo_slice_box (g, n, &b, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_IN (g, n, 0)->dtype,
      b.ndim, b.d);
  return TRUE;
}

/* Box ops (Slice, Transpose, Expand): box from the node, one copy. */

static gboolean
box_eval (YoloGraph * g, YoloNode * n, BoxFunc f, GError ** error)
{
  MoveBox b;
  YoloTensor *y = YOLO_OUT (g, n, 0);
  if (!misc_have_data (g, n, error) || !f (g, n, &b, error))
    return FALSE;
  gpointer d = misc_alloc (y);
  if (yolo_tensor_numel (y) > 0)
    box_host_copy (&b, misc_esize (y), YOLO_IN (g, n, 0)->data, d);
  return TRUE;
}

static gboolean
slice_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  return box_eval (g, n, yolo_slice_box, error);
}

/* ---- Transpose ---- */

gboolean
yolo_transpose_box (YoloGraph * g, YoloNode * n, MoveBox * b, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 xs[YOLO_MAX_DIMS];
  int np = 0;
  const gint64 *perm = yolo_node_attr_ints (n, "perm", &np);
  gboolean used[YOLO_MAX_DIMS] = { 0 };
  if (perm && np != x->ndim) {
    yolo_op_error (error, n, "perm has %d entries for rank %d", np, x->ndim);
    return FALSE;
  }
  misc_strides (x, xs);
  b->ndim = x->ndim;
  b->sbase = b->dbase = 0;
  for (int i = 0; i < x->ndim; i++) {
    int p = perm ? yolo_axis (perm[i], x->ndim) : x->ndim - 1 - i;
    if (p < 0 || used[p]) {
      yolo_op_error (error, n, "invalid perm");
      return FALSE;
    }
    used[p] = TRUE;
    b->d[i] = x->dims[p];
    b->ss[i] = xs[p];
  }
  misc_dims_strides (x->ndim, b->d, b->ds);
  return TRUE;
}

static gboolean
transpose_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  MoveBox b;
  if (!misc_need_io (g, n, error) || !yolo_transpose_box (g, n, &b, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_IN (g, n, 0)->dtype,
      b.ndim, b.d);
  return TRUE;
}

static gboolean
transpose_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  return box_eval (g, n, yolo_transpose_box, error);
}

/* ---- Expand ---- */

gboolean
yolo_expand_box (YoloGraph * g, YoloNode * n, MoveBox * b, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 shape[MISC_MAX_PARAMS], xs[YOLO_MAX_DIMS];
  gboolean present;
  int ns = misc_int_param (g, n, 1, NULL, shape, MISC_MAX_PARAMS, &present,
      error);
  int nd;
  if (ns < 0)
    return FALSE;
  if (!present || ns > YOLO_MAX_DIMS
      || !yolo_broadcast_shape (x->ndim, x->dims, ns, shape, &nd, b->d)) {
    yolo_op_error (error, n, "cannot expand to the given shape");
    return FALSE;
  }
  if (!yolo_dims_fit (nd, b->d)) {
    yolo_op_error (error, n, "the expanded shape is too large");
    return FALSE;
  }
  misc_strides (x, xs);
  b->ndim = nd;
  b->sbase = b->dbase = 0;
  for (int i = 0; i < nd; i++) {
    int xi = i - (nd - x->ndim);
    b->ss[i] = xi >= 0 && x->dims[xi] != 1 ? xs[xi] : 0;
  }
  misc_dims_strides (nd, b->d, b->ds);
  return TRUE;
}

static gboolean
expand_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  MoveBox b;
  if (!misc_need_io (g, n, error) || !yolo_expand_box (g, n, &b, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_IN (g, n, 0)->dtype,
      b.ndim, b.d);
  return TRUE;
}

static gboolean
expand_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  return box_eval (g, n, yolo_expand_box, error);
}

/* ---- Pad and Tile (movement_pad) ---- */

gboolean
yolo_pad_spec (YoloGraph * g, YoloNode * n, PadSpec * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 pads[MISC_MAX_PARAMS], axes[MISC_MAX_PARAMS];
  gboolean present, has_axes;
  int np = misc_int_param (g, n, 1, "pads", pads, MISC_MAX_PARAMS, &present,
      error);
  if (np < 0)
    return FALSE;
  int na = misc_int_param (g, n, 3, NULL, axes, MISC_MAX_PARAMS, &has_axes,
      error);
  if (na < 0)
    return FALSE;
  if (!has_axes) {
    na = x->ndim;
    for (int i = 0; i < na; i++)
      axes[i] = i;
  }
  if (!present || np != 2 * na) {
    yolo_op_error (error, n, "invalid pads");
    return FALSE;
  }
  const char *mode = yolo_node_attr_string (n, "mode", "constant");
  if (!strcmp (mode, "constant"))
    p->mode = PAD_CONSTANT;
  else if (!strcmp (mode, "reflect"))
    p->mode = PAD_REFLECT;
  else if (!strcmp (mode, "edge"))
    p->mode = PAD_EDGE;
  else if (!strcmp (mode, "wrap"))
    p->mode = PAD_WRAP;
  else {
    yolo_op_unsupported (error, n, "pad mode '%s'", mode);
    return FALSE;
  }
  p->value = yolo_node_attr_float (n, "value", 0.0f);
  YoloTensor *v = YOLO_IN (g, n, 2);
  if (v && yolo_tensor_numel (v) > 0) {
    if (!yolo_tensor_is_const (v)) {
      yolo_op_unsupported (error, n, "constant_value must be constant");
      return FALSE;
    }
    p->value = yolo_dtype_is_float (v->dtype) ? ((float *) v->data)[0] :
        (double) ((gint64 *) v->data)[0];
  }
  p->ndim = x->ndim;
  for (int i = 0; i < x->ndim; i++) {
    p->in[i] = p->out[i] = x->dims[i];
    p->pb[i] = 0;
  }
  for (int k = 0; k < na; k++) {
    int a = yolo_axis (axes[k], x->ndim);
    if (a < 0) {
      yolo_op_error (error, n, "invalid axis");
      return FALSE;
    }
    p->pb[a] = pads[k];
    if (!yolo_add_checked (x->dims[a], pads[k], &p->out[a])
        || !yolo_add_checked (p->out[a], pads[k + na], &p->out[a])
        || p->out[a] < 0 || (p->mode != PAD_CONSTANT && x->dims[a] == 0
            && p->out[a] > 0)) {
      yolo_op_error (error, n, "invalid pads for axis %d", a);
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
yolo_tile_spec (YoloGraph * g, YoloNode * n, PadSpec * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 rep[MISC_MAX_PARAMS];
  gboolean present;
  int nr = misc_int_param (g, n, 1, NULL, rep, MISC_MAX_PARAMS, &present,
      error);
  if (nr < 0)
    return FALSE;
  if (!present || nr != x->ndim) {
    yolo_op_error (error, n, "repeats must have one value per dim");
    return FALSE;
  }
  p->ndim = x->ndim;
  p->mode = PAD_WRAP;
  p->value = 0;
  for (int i = 0; i < x->ndim; i++) {
    if (rep[i] < 0) {
      yolo_op_error (error, n, "negative repeat");
      return FALSE;
    }
    p->in[i] = x->dims[i];
    if (!yolo_mul_checked (x->dims[i], rep[i], &p->out[i])) {
      yolo_op_error (error, n, "the repeated size overflows");
      return FALSE;
    }
    p->pb[i] = 0;
  }
  return TRUE;
}

/* Same mapping as movement_pad_coord in movement.cl. */
static gint64
pad_coord (int mode, gint64 c, gint64 n, gint64 p)
{
  gint64 x = c - p;
  if (x >= 0 && x < n)
    return x;
  switch (mode) {
    case PAD_REFLECT:{
      if (n == 1)
        return 0;
      gint64 period = 2 * (n - 1);
      x %= period;
      if (x < 0)
        x += period;
      return x < n ? x : period - x;
    }
    case PAD_EDGE:
      return CLAMP (x, 0, n - 1);
    case PAD_WRAP:
      x %= n;
      return x < 0 ? x + n : x;
    default:
      return -1;
  }
}

static gboolean
pad_infer_with (YoloGraph * g, YoloNode * n, PadFunc f, GError ** error)
{
  PadSpec p;
  if (!misc_need_io (g, n, error) || !f (g, n, &p, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_IN (g, n, 0)->dtype,
      p.ndim, p.out);
  return TRUE;
}

static gboolean
pad_eval_with (YoloGraph * g, YoloNode * n, PadFunc f, GError ** error)
{
  PadSpec p;
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  if (!misc_have_data (g, n, error) || !f (g, n, &p, error))
    return FALSE;
  gpointer d = misc_alloc (y);
  gint64 total = yolo_tensor_numel (y), c[YOLO_MAX_DIMS] = { 0 };
  gboolean fl = yolo_dtype_is_float (y->dtype);
  for (gint64 k = 0; k < total; k++) {
    gint64 off = 0;
    gboolean in = TRUE;
    for (int i = 0; i < p.ndim; i++) {
      gint64 xc = pad_coord (p.mode, c[i], p.in[i], p.pb[i]);
      if (xc < 0)
        in = FALSE;
      off = off * p.in[i] + MAX (xc, 0);
    }
    if (fl)
      ((float *) d)[k] = in ? ((float *) x->data)[off] : (float) p.value;
    else
      ((gint64 *) d)[k] = in ? ((gint64 *) x->data)[off] : (gint64) p.value;
    for (int i = p.ndim - 1; i >= 0; i--) {
      if (++c[i] < p.out[i])
        break;
      c[i] = 0;
    }
  }
  return TRUE;
}

static gboolean
pad_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_infer_with (g, n, yolo_pad_spec, error);
}

static gboolean
pad_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_eval_with (g, n, yolo_pad_spec, error);
}

static gboolean
tile_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_infer_with (g, n, yolo_tile_spec, error);
}

static gboolean
tile_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  return pad_eval_with (g, n, yolo_tile_spec, error);
}

static const YoloOpDef op_concat = { "Concat", 0, concat_infer, concat_eval };
static const YoloOpDef op_split = { "Split", 0, split_infer, split_eval };
static const YoloOpDef op_slice = { "Slice", 0, slice_infer, slice_eval };
static const YoloOpDef op_transpose =
    { "Transpose", 0, transpose_infer, transpose_eval };
static const YoloOpDef op_expand = { "Expand", 0, expand_infer, expand_eval };
static const YoloOpDef op_tile = { "Tile", 0, tile_infer, tile_eval };
static const YoloOpDef op_pad = { "Pad", 0, pad_infer, pad_eval };

const YoloOpDef *const yolo_ops_movement[] = {
  &op_concat, &op_split, &op_slice, &op_transpose, &op_expand, &op_tile,
  &op_pad, NULL
};
