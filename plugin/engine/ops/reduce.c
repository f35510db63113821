/* ops/reduce.c - Softmax, LogSoftmax, Reduce{Max,Min,Sum,Mean,Prod,
 * SumSquare,L1,L2,LogSumExp}, ArgMax, ArgMin.
 *
 * Softmax: opset >= 13 normalises along one axis (default -1); older
 * opsets flatten the input to 2-D at `axis` (default 1) and normalise each
 * row. Both become an [outer, n, inner] problem. The device kernels work on
 * float tensors; eval also handles integer data for constant folding. */
#include <math.h>
#include "misc-util.h"
#include "reduce.h"

/* ---- Softmax / LogSoftmax ---- */

gboolean
yolo_softmax_geom (YoloGraph * g, YoloNode * n, gint64 * outer, gint64 * len,
    gint64 * inner, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gboolean old = g->opset > 0 && g->opset < 13;
  gint64 axis = yolo_node_attr_int (n, "axis", old ? 1 : -1);
  if (axis < 0)
    axis += x->ndim;
  if (axis < 0 || axis >= MAX (x->ndim, 1)) {
    yolo_op_error (error, n, "axis out of range");
    return FALSE;
  }
  *outer = misc_prod (x->dims, 0, axis);
  if (old) {
    *len = misc_prod (x->dims, axis, x->ndim);
    *inner = 1;
  } else {
    *len = x->ndim ? x->dims[axis] : 1;
    *inner = misc_prod (x->dims, axis + 1, x->ndim);
  }
  return TRUE;
}

static gboolean
same_shape_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "missing input or output");
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, x->ndim, x->dims);
  return TRUE;
}

static gboolean
softmax_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 o, l, i;
  if (!same_shape_infer (g, n, error))
    return FALSE;
  if (YOLO_IN (g, n, 0)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_unsupported (error, n, "only float input is supported");
    return FALSE;
  }
  return yolo_softmax_geom (g, n, &o, &l, &i, error);
}

static gboolean
softmax_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  gint64 outer, len, inner;
  gboolean is_log = !strcmp (n->op_type, "LogSoftmax");
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  if (!misc_have_data (g, n, error)
      || !yolo_softmax_geom (g, n, &outer, &len, &inner, error))
    return FALSE;
  const float *src = x->data;
  float *dst = misc_alloc (y);
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++) {
      const float *p = src + o * len * inner + i;
      float *q = dst + o * len * inner + i;
      float m = -INFINITY, s = 0.0f;
      for (gint64 j = 0; j < len; j++)
        m = fmaxf (m, p[j * inner]);
      for (gint64 j = 0; j < len; j++)
        s += expf (p[j * inner] - m);
      for (gint64 j = 0; j < len; j++)
        q[j * inner] = is_log ? p[j * inner] - m - logf (s) :
            expf (p[j * inner] - m) / s;
    }
  return TRUE;
}

/* ---- Reduce* ---- */


static const char *const reduce_names[] = {
  "ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceProd",
  "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSumExp", NULL
};

int
yolo_reduce_kind (const YoloNode * n)
{
  for (int i = 0; reduce_names[i]; i++)
    if (!strcmp (n->op_type, reduce_names[i]))
      return i;
  return R_SUM;
}

/* Which input dims are reduced. */
gboolean
yolo_reduce_axes (YoloGraph * g, YoloNode * n, gboolean * red, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 axes[MISC_MAX_PARAMS];
  gboolean present;
  int na = misc_int_param (g, n, 1, "axes", axes, MISC_MAX_PARAMS, &present,
      error);
  if (na < 0)
    return FALSE;
  gboolean noop = yolo_node_attr_int (n, "noop_with_empty_axes", 0) != 0;
  for (int i = 0; i < x->ndim; i++)
    red[i] = na == 0 && !noop;
  for (int k = 0; k < na; k++) {
    int a = yolo_axis (axes[k], x->ndim);
    if (a < 0) {
      yolo_op_error (error, n, "axis %" G_GINT64_FORMAT " out of range",
          axes[k]);
      return FALSE;
    }
    red[a] = TRUE;
  }
  return TRUE;
}

static gboolean
reduce_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean red[YOLO_MAX_DIMS];
  gint64 dims[YOLO_MAX_DIMS];
  int nd = 0;
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "missing input or output");
    return FALSE;
  }
  if (!yolo_reduce_axes (g, n, red, error))
    return FALSE;
  gboolean keep = yolo_node_attr_int (n, "keepdims", 1) != 0;
  for (int i = 0; i < x->ndim; i++) {
    if (!red[i])
      dims[nd++] = x->dims[i];
    else if (keep)
      dims[nd++] = 1;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), x->dtype, nd, dims);
  return TRUE;
}

static gboolean
reduce_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean red[YOLO_MAX_DIMS];
  gint64 os[YOLO_MAX_DIMS], c[YOLO_MAX_DIMS] = { 0 };
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  int op = yolo_reduce_kind (n);
  if (!misc_have_data (g, n, error) || !yolo_reduce_axes (g, n, red, error))
    return FALSE;
  gint64 total = yolo_tensor_numel (x), ny = yolo_tensor_numel (y);
  gint64 s = 1, cnt = 1;
  /* output stride of each input dim (0 when reduced) */
  for (int i = x->ndim - 1; i >= 0; i--) {
    os[i] = red[i] ? 0 : s;
    if (!red[i])
      s *= x->dims[i];
    else
      cnt *= x->dims[i];
  }
  gboolean fl = yolo_dtype_is_float (x->dtype);
  double *acc = g_new (double, MAX (ny, 1));
  double *mx = g_new (double, MAX (ny, 1));
  for (gint64 k = 0; k < ny; k++) {
    acc[k] = op == R_MAX ? -INFINITY : op == R_MIN ? INFINITY :
        op == R_PROD ? 1.0 : 0.0;
    mx[k] = -INFINITY;
  }
  for (int pass = 0; pass < (op == R_LOG_SUM_EXP ? 2 : 1); pass++) {
    memset (c, 0, sizeof c);
    for (gint64 k = 0; k < total; k++) {
      gint64 o = 0;
      for (int i = 0; i < x->ndim; i++)
        o += c[i] * os[i];
      double v = fl ? ((float *) x->data)[k] : ((gint64 *) x->data)[k];
      switch (op) {
        case R_MAX:
          acc[o] = MAX (acc[o], v);
          break;
        case R_MIN:
          acc[o] = MIN (acc[o], v);
          break;
        case R_PROD:
          acc[o] *= v;
          break;
        case R_SUM_SQUARE:
        case R_L2:
          acc[o] += v * v;
          break;
        case R_L1:
          acc[o] += fabs (v);
          break;
        case R_LOG_SUM_EXP:
          if (pass == 0)
            mx[o] = MAX (mx[o], v);
          else if (!isinf (mx[o]))
            acc[o] += exp (v - mx[o]);
          break;
        default:
          acc[o] += v;
      }
      for (int i = x->ndim - 1; i >= 0; i--) {
        if (++c[i] < x->dims[i])
          break;
        c[i] = 0;
      }
    }
  }
  gpointer d = misc_alloc (y);
  for (gint64 k = 0; k < ny; k++) {
    double v = acc[k];
    if (op == R_MEAN)
      v = cnt ? v / cnt : NAN;
    else if (op == R_L2)
      v = sqrt (v);
    else if (op == R_LOG_SUM_EXP)
      v = isinf (mx[k]) ? mx[k] : mx[k] + log (v);
    if (fl)
      ((float *) d)[k] = (float) v;
    else
      ((gint64 *) d)[k] = (gint64) v;
  }
  g_free (acc);
  g_free (mx);
  return TRUE;
}

/* ---- ArgMax / ArgMin ---- */

gboolean
yolo_arg_geom (YoloGraph * g, YoloNode * n, int *axis, gint64 * outer,
    gint64 * len, gint64 * inner, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  *axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
  if (*axis < 0 || x->dims[*axis] == 0) {
    yolo_op_error (error, n, "invalid axis");
    return FALSE;
  }
  *outer = misc_prod (x->dims, 0, *axis);
  *len = x->dims[*axis];
  *inner = misc_prod (x->dims, *axis + 1, x->ndim);
  return TRUE;
}

static gboolean
arg_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 o, l, i, dims[YOLO_MAX_DIMS];
  YoloTensor *x = YOLO_IN (g, n, 0);
  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "missing input or output");
    return FALSE;
  }
  if (!yolo_arg_geom (g, n, &axis, &o, &l, &i, error))
    return FALSE;
  int nd = 0;
  gboolean keep = yolo_node_attr_int (n, "keepdims", 1) != 0;
  for (int k = 0; k < x->ndim; k++)
    if (k != axis || keep)
      dims[nd++] = k == axis ? 1 : x->dims[k];
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_INT64, nd, dims);
  return TRUE;
}

static gboolean
arg_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  int axis;
  gint64 outer, len, inner;
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gboolean is_min = !strcmp (n->op_type, "ArgMin");
  gboolean last = yolo_node_attr_int (n, "select_last_index", 0) != 0;
  gboolean fl = yolo_dtype_is_float (x->dtype);
  if (!misc_have_data (g, n, error)
      || !yolo_arg_geom (g, n, &axis, &outer, &len, &inner, error))
    return FALSE;
  gint64 *d = misc_alloc (y);
  for (gint64 o = 0; o < outer; o++)
    for (gint64 i = 0; i < inner; i++) {
      gint64 base = o * len * inner + i, bi = 0;
      double best = fl ? ((float *) x->data)[base] : ((gint64 *) x->data)[base];
      for (gint64 j = 1; j < len; j++) {
        gint64 at = base + j * inner;
        double v = fl ? ((float *) x->data)[at] : ((gint64 *) x->data)[at];
        if ((is_min ? v < best : v > best) || (last && v == best)) {
          best = v;
          bi = j;
        }
      }
      d[o * inner + i] = bi;
    }
  return TRUE;
}

static const YoloOpDef op_softmax =
    { "Softmax", 0, softmax_infer, softmax_eval };
static const YoloOpDef op_log_softmax =
    { "LogSoftmax", 0, softmax_infer, softmax_eval };
#define REDUCE_DEF(var, name) \
  static const YoloOpDef var = \
      { name, 0, reduce_infer, reduce_eval }
REDUCE_DEF (op_rmax, "ReduceMax");
REDUCE_DEF (op_rmin, "ReduceMin");
REDUCE_DEF (op_rsum, "ReduceSum");
REDUCE_DEF (op_rmean, "ReduceMean");
REDUCE_DEF (op_rprod, "ReduceProd");
REDUCE_DEF (op_rsumsq, "ReduceSumSquare");
REDUCE_DEF (op_rl1, "ReduceL1");
REDUCE_DEF (op_rl2, "ReduceL2");
REDUCE_DEF (op_rlse, "ReduceLogSumExp");
static const YoloOpDef op_argmax = { "ArgMax", 0, arg_infer, arg_eval };
static const YoloOpDef op_argmin = { "ArgMin", 0, arg_infer, arg_eval };

const YoloOpDef *const yolo_ops_reduce[] = {
  &op_softmax, &op_log_softmax, &op_rmax, &op_rmin, &op_rsum, &op_rmean,
  &op_rprod, &op_rsumsq, &op_rl1, &op_rl2, &op_rlse, &op_argmax, &op_argmin,
  NULL
};
