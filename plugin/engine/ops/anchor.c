/* ops/anchor.c - AnchorDecode (see ops/anchor.h): the front end
 * (geometry, shape inference, C reference). */
#include <math.h>

#include "misc-util.h"
#include "anchor.h"

gboolean
yolo_anchor_geom (YoloGraph * g, const YoloNode * n, YoloAnchorGeom * d,
    GError ** error)
{
  gint64 L = yolo_node_attr_int (n, "levels", 0);
  gint64 na = yolo_node_attr_int (n, "anchors", 0);
  gint64 nc = yolo_node_attr_int (n, "classes", 0);
  float off = yolo_node_attr_float (n, "xy_offset", 0.0f);

  memset (d, 0, sizeof *d);
  if (L < 1 || L > YOLO_ANCHOR_MAX_LEVELS || na < 1 || na > 4096 || nc < 1
      || nc > 1 << 20 || !isfinite (off)) {
    yolo_op_error (error, n, "needs levels (1 to %d), anchors (1 to 4096), "
        "classes (1 to 2^20) and a finite xy_offset", YOLO_ANCHOR_MAX_LEVELS);
    return FALSE;
  }
  if (n->n_inputs != L + 3 || n->n_outputs != 1) {
    yolo_op_error (error, n, "needs %d inputs (one conv output per level, "
        "grid, anchor_grid, strides) and 1 output", (int) (L + 3));
    return FALSE;
  }
  d->L = L;
  d->na = na;
  d->nc = nc;
  d->no = 5 + nc;
  d->xy_offset = off;
  for (int l = 0; l < L; l++) {
    YoloTensor *x = YOLO_IN (g, n, l);
    gint64 cells = 1;

    if (!x || x->dtype != YOLO_DTYPE_FLOAT || yolo_tensor_is_const (x)
        || x->ndim < 3 || x->dims[1] != na * d->no
        || (l > 0 && x->dims[0] != d->N) || x->dims[0] < 1) {
      yolo_op_error (error, n, "level %d: the input must be a float tensor "
          "[N, %" G_GINT64_FORMAT ", ...] with the N of level 0", l,
          na * d->no);
      return FALSE;
    }
    d->N = x->dims[0];
    for (int k = 2; k < x->ndim; k++)
      cells *= x->dims[k];
    if (cells < 1) {
      yolo_op_error (error, n, "level %d: no grid cells", l);
      return FALSE;
    }
    d->n[l] = cells;
    d->A += na * cells;
    /* every index the kernel forms, N * A * no, within int32 */
    if (d->A > G_MAXINT32 / d->no / d->N) {
      yolo_op_error (error, n, "too many anchors");
      return FALSE;
    }
  }
  return misc_const_floats (g, n, L, 2 * d->A, "grid", error)
      && misc_const_floats (g, n, L + 1, 2 * d->A, "anchor_grid", error)
      && misc_const_floats (g, n, L + 2, d->A, "strides", error);
}

static gboolean
anchor_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloAnchorGeom d;

  if (!yolo_anchor_geom (g, n, &d, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 3,
      (const gint64[]) { d.N, d.A, d.no });
  return TRUE;
}

/* The reference, in the exported graph's float operations. */
static gboolean
anchor_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloAnchorGeom d;
  const float *grid, *ag, *str;
  float *y;

  if (!misc_have_data (g, n, error) || !yolo_anchor_geom (g, n, &d, error))
    return FALSE;
  grid = YOLO_IN (g, n, d.L)->data;
  ag = YOLO_IN (g, n, d.L + 1)->data;
  str = YOLO_IN (g, n, d.L + 2)->data;
  y = misc_alloc (YOLO_OUT (g, n, 0));
  for (gint64 b = 0; b < d.N; b++) {
    gint64 a = 0;
    for (int l = 0; l < d.L; l++) {
      gint64 nl = d.n[l];
      const float *x = (const float *) YOLO_IN (g, n, l)->data
          + b * d.na * d.no * nl;
      for (int j = 0; j < d.na; j++)
        for (gint64 p = 0; p < nl; p++, a++) {
          float *row = y + (b * d.A + a) * d.no;
          for (int k = 0; k < d.no; k++) {
            float s = yolo_act_apply (YOLO_ACT_SIGMOID, 0.0f, 0.0f,
                x[((gint64) j * d.no + k) * nl + p]);
            if (k < 2) {
              float t = s * 2.0f + d.xy_offset;
              row[k] = (t + grid[k * d.A + a]) * str[a];
            } else if (k < 4) {
              float t = s * 2.0f;
              row[k] = t * t * ag[(k - 2) * d.A + a];
            } else {
              row[k] = s;
            }
          }
        }
    }
  }
  return TRUE;
}

static const YoloOpDef op_anchor = {
  YOLO_ANCHOR_DECODE_OP, 0, anchor_infer, anchor_eval
};

const YoloOpDef *const yolo_ops_anchor[] = { &op_anchor, NULL };
