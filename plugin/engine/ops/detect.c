/* ops/detect.c - DetectDecode (see ops/detect.h): the front end
 * (geometry, shape inference, C reference). */
#include <math.h>

#include "misc-util.h"
#include "detect.h"

/* t is [N, ..] with each of its N images holding rows x cols elements as
 * rows of cols: dims 1.. split into a leading part of product rows and a
 * trailing part of product cols. */
static gboolean
rows_of (const YoloTensor * t, gint64 N, gint64 rows, gint64 cols)
{
  gint64 tail = 1;

  if (!t || t->dtype != YOLO_DTYPE_FLOAT || t->ndim < 2 || t->dims[0] != N)
    return FALSE;
  for (int k = t->ndim; k >= 1; k--) {
    if (k < t->ndim)
      tail *= t->dims[k];
    if (tail == cols && yolo_tensor_numel (t) == N * rows * cols)
      return TRUE;
    if (tail > cols)
      return FALSE;
  }
  return FALSE;
}

gboolean
yolo_detect_geom (YoloGraph * g, const YoloNode * n, YoloDetectGeom * d,
    GError ** error)
{
  gint64 R = yolo_node_attr_int (n, "reg_max", 0);
  gint64 nc = yolo_node_attr_int (n, "classes", 0);
  gint64 L = yolo_node_attr_int (n, "levels", 0);
  gint64 split = yolo_node_attr_int (n, "split", 0);

  memset (d, 0, sizeof *d);
  if (L < 1 || L > YOLO_DETECT_MAX_LEVELS || R < 1 || R > 4096 || nc < 1
      || nc > G_MAXINT32 / 8) {
    yolo_op_error (error, n, "needs levels (1 to %d), reg_max (1 to 4096) "
        "and classes (>= 1)", YOLO_DETECT_MAX_LEVELS);
    return FALSE;
  }
  if (split < 0 || split > 1) {
    yolo_op_error (error, n, "split must be 0 or 1");
    return FALSE;
  }
  if (n->n_inputs != 2 * L + 2 + (R > 1) || n->n_outputs != 1 + split) {
    yolo_op_error (error, n, "needs %d inputs (box and class tensors per "
        "level, anchors, strides%s) and %d output%s",
        (int) (2 * L + 2 + (R > 1)), R > 1 ? ", DFL weights" : "",
        (int) (1 + split), split ? "s (boxes, scores)" : "");
    return FALSE;
  }
  d->L = L;
  d->R = R;
  d->nc = nc;
  d->xywh = yolo_node_attr_int (n, "xywh", 1) != 0;
  d->split = split;
  /* the batch: dim 0 of every level input */
  {
    YoloTensor *c0 = YOLO_IN (g, n, L);
    d->N = c0 && c0->ndim >= 2 ? c0->dims[0] : 0;
  }
  if (d->N < 1 || d->N > G_MAXINT32) {
    yolo_op_error (error, n, "the class input of level 0 must be [N, ...] "
        "with N >= 1 images");
    return FALSE;
  }
  for (int l = 0; l < L; l++) {
    YoloTensor *b = YOLO_IN (g, n, l), *c = YOLO_IN (g, n, L + l);
    gint64 nl = c ? yolo_tensor_numel (c) / (d->N * nc) : 0;

    if (nl < 1 || !rows_of (c, d->N, nc, nl) || !rows_of (b, d->N, 4 * R, nl)
        || yolo_tensor_is_const (b) || yolo_tensor_is_const (c)) {
      yolo_op_error (error, n, "level %d: the box and class inputs must be "
          "float tensors [%" G_GINT64_FORMAT ", ..] of %" G_GINT64_FORMAT
          " and %" G_GINT64_FORMAT " rows of the same length per image", l,
          d->N, 4 * R, nc);
      return FALSE;
    }
    d->n[l] = nl;
    d->A += nl;
    /* the kernel indexes every tensor with int */
    if (d->A > G_MAXINT32 / (4 + nc) / d->N || nl > G_MAXINT32 / (4 * R) / d->N) {
      yolo_op_error (error, n, "too many anchors");
      return FALSE;
    }
  }
  return misc_const_floats (g, n, 2 * L, 2 * d->A, "anchors", error)
      && misc_const_floats (g, n, 2 * L + 1, d->A, "strides", error)
      && (R == 1
      || misc_const_floats (g, n, 2 * L + 2, R, "DFL weights", error));
}

static gboolean
detect_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloDetectGeom d;

  if (!yolo_detect_geom (g, n, &d, error))
    return FALSE;
  if (d.split) {
    yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 3,
        (const gint64[]) { d.N, d.A, 4 });
    yolo_tensor_set_shape (YOLO_OUT (g, n, 1), YOLO_DTYPE_FLOAT, 3,
        (const gint64[]) { d.N, d.A, d.nc });
  } else {
    yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 3,
        (const gint64[]) { d.N, 4 + d.nc, d.A });
  }
  return TRUE;
}

/* The reference for image img: box value k of anchor a at
 * yb[k * cs + a * as], score k at ys[k * cs + a * ss] (split 0: rows
 * [4+nc, A], cs = A, as = ss = 1, ys = yb + 4 A; split 1: [A, 4] and
 * [A, nc], cs = 1, as = 4, ss = nc). */
static void
decode_image (YoloGraph * g, const YoloNode * n, const YoloDetectGeom * d,
    gint64 img, const float *anc, const float *str, const float *w,
    float *e, float *yb, float *ys)
{
  gint64 A = d->A, a = 0;
  gint64 cs = d->split ? 1 : A, as = d->split ? 4 : 1;
  gint64 ss = d->split ? d->nc : 1;

  for (int l = 0; l < d->L; l++) {
    gint64 nl = d->n[l];
    const float *b = (const float *) YOLO_IN (g, n, l)->data +
        img * 4 * d->R * nl;
    const float *c = (const float *) YOLO_IN (g, n, d->L + l)->data +
        img * d->nc * nl;
    for (gint64 p = 0; p < nl; p++, a++) {
      float dist[4], x1, y1, x2, y2, s = str[a];
      for (int k = 0; k < 4; k++) {
        const float *v = b + (gint64) k * d->R * nl + p;
        if (d->R == 1) {
          dist[k] = v[0];
          continue;
        }
        float m = -INFINITY, sum = 0.0f, acc = 0.0f;
        for (int i = 0; i < d->R; i++)
          m = fmaxf (m, v[i * nl]);
        for (int i = 0; i < d->R; i++) {
          e[i] = expf (v[i * nl] - m);
          sum += e[i];
        }
        for (int i = 0; i < d->R; i++)
          acc += e[i] * w[i];
        dist[k] = acc / sum;
      }
      x1 = anc[a] - dist[0];
      y1 = anc[A + a] - dist[1];
      x2 = anc[a] + dist[2];
      y2 = anc[A + a] + dist[3];
      if (d->xywh) {
        yb[a * as] = (x1 + x2) / 2.0f * s;
        yb[cs + a * as] = (y1 + y2) / 2.0f * s;
        yb[2 * cs + a * as] = (x2 - x1) * s;
        yb[3 * cs + a * as] = (y2 - y1) * s;
      } else {
        yb[a * as] = x1 * s;
        yb[cs + a * as] = y1 * s;
        yb[2 * cs + a * as] = x2 * s;
        yb[3 * cs + a * as] = y2 * s;
      }
      for (int k = 0; k < d->nc; k++)
        ys[k * cs + a * ss] = 1.0f / (1.0f + expf (-c[k * nl + p]));
    }
  }
}

/* The reference, in the exported graph's float operations, image by
 * image. */
static gboolean
detect_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloDetectGeom d;
  const float *anc, *str, *w = NULL;
  float *y, *ys, *e;

  if (!misc_have_data (g, n, error) || !yolo_detect_geom (g, n, &d, error))
    return FALSE;
  anc = YOLO_IN (g, n, 2 * d.L)->data;
  str = YOLO_IN (g, n, 2 * d.L + 1)->data;
  if (d.R > 1)
    w = YOLO_IN (g, n, 2 * d.L + 2)->data;
  y = misc_alloc (YOLO_OUT (g, n, 0));
  ys = d.split ? misc_alloc (YOLO_OUT (g, n, 1)) : NULL;
  e = g_new (float, d.R);
  for (gint64 img = 0; img < d.N; img++) {
    if (d.split)
      decode_image (g, n, &d, img, anc, str, w, e, y + img * 4 * d.A,
          ys + img * d.nc * d.A);
    else
      decode_image (g, n, &d, img, anc, str, w, e, y + img * (4 + d.nc) * d.A,
          y + img * (4 + d.nc) * d.A + 4 * d.A);
  }
  g_free (e);
  return TRUE;
}

static const YoloOpDef op_detect = {
  YOLO_DETECT_DECODE_OP, 0, detect_infer, detect_eval
};

const YoloOpDef *const yolo_ops_detect[] = { &op_detect, NULL };
