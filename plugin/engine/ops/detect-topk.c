/* ops/detect-topk.c - DetectTopK (see ops/detect-topk.h): the front end
 * (geometry, shape inference, C reference). */
#include "misc-util.h"
#include "detect-topk.h"

#include <stdlib.h>

/* detect_topk.cl's work-group size */
#define DT_WG 32

gboolean
yolo_detect_topk_size_ok (gint64 A, gint64 nc, gint64 k1, gint64 k2)
{
  gint64 it;

  if (A < 1 || nc < 1 || A > G_MAXINT32 / nc || k1 < 1 || k2 < 1
      || k1 > YOLO_DETECT_TOPK_MAX_K || k2 > YOLO_DETECT_TOPK_MAX_K)
    return FALSE;
  it = (A + DT_WG - 1) / DT_WG * (nc / 16 + nc % 16 + 7)
      + (k1 * nc + DT_WG - 1) / DT_WG * 8
      + (k1 + DT_WG - 1) / DT_WG * k1 + (k2 + DT_WG - 1) / DT_WG * k2 + 1024;
  return it < 60000;
}

gboolean
yolo_detect_topk_geom (YoloGraph * g, const YoloNode * n,
    YoloDetectTopKGeom * d, GError ** error)
{
  YoloTensor *b = n->n_inputs == 2 ? YOLO_IN (g, n, 0) : NULL;
  YoloTensor *s = n->n_inputs == 2 ? YOLO_IN (g, n, 1) : NULL;
  gint64 k1 = yolo_node_attr_int (n, "anchors_k", 0);
  gint64 k2 = yolo_node_attr_int (n, "max_det", 0);

  memset (d, 0, sizeof *d);
  if (!b || !s || n->n_outputs != 1 || b->dtype != YOLO_DTYPE_FLOAT
      || s->dtype != YOLO_DTYPE_FLOAT || b->ndim != 3 || s->ndim != 3
      || s->dims[0] < 1 || s->dims[1] < 1 || s->dims[2] < 1
      || !yolo_tensor_dims_are (b, 3, (const gint64[]) { s->dims[0],
            s->dims[1], 4
          })) {
    yolo_op_error (error, n, "needs boxes [N, A, 4] and scores [N, A, nc] "
        "(float, N, A, nc >= 1) and one output");
    return FALSE;
  }
  d->N = s->dims[0];
  d->A = s->dims[1];
  d->nc = s->dims[2];
  if (d->N > G_MAXINT32 / d->A / MAX (d->nc, 6)
      || d->A > G_MAXINT32 / d->nc) {
    yolo_op_error (error, n, "too many anchors");
    return FALSE;
  }
  if (k1 < 1 || k1 > MIN (d->A, YOLO_DETECT_TOPK_MAX_K) || k2 < 1
      || k2 > MIN (k1 * d->nc, YOLO_DETECT_TOPK_MAX_K)) {
    yolo_op_error (error, n, "needs anchors_k (1 to min (A, %d)) and "
        "max_det (1 to min (anchors_k * nc, %d))", YOLO_DETECT_TOPK_MAX_K,
        YOLO_DETECT_TOPK_MAX_K);
    return FALSE;
  }
  if (!yolo_detect_topk_size_ok (d->A, d->nc, k1, k2)) {
    yolo_op_error (error, n, "too many anchors or classes for one "
        "work-group's loops");
    return FALSE;
  }
  d->k1 = k1;
  d->k2 = k2;
  return TRUE;
}

static gboolean
topk_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloDetectTopKGeom d;

  if (!yolo_detect_topk_geom (g, n, &d, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 3,
      (const gint64[]) { d.N, d.k2, 6 });
  return TRUE;
}

typedef struct
{
  float v;
  gint64 i;
} Cand;

/* best first: larger value, then lower index */
static int
cand_cmp (const void *pa, const void *pb)
{
  const Cand *a = pa, *b = pb;

  if (a->v != b->v)
    return a->v > b->v ? -1 : 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

/* The reference: the exported graph's steps, one image at a time, each
 * TopK as a full sort. */
static gboolean
topk_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloDetectTopKGeom d;
  const float *boxes, *scores;
  float *y;
  Cand *c;

  if (!misc_have_data (g, n, error)
      || !yolo_detect_topk_geom (g, n, &d, error))
    return FALSE;
  boxes = YOLO_IN (g, n, 0)->data;
  scores = YOLO_IN (g, n, 1)->data;
  y = misc_alloc (YOLO_OUT (g, n, 0));
  c = g_new (Cand, MAX (d.A, d.k1 * d.nc));
  for (gint64 img = 0; img < d.N; img++) {
    const float *b = boxes + img * d.A * 4, *s = scores + img * d.A * d.nc;
    float *yi = y + img * d.k2 * 6;
    gint64 anc[YOLO_DETECT_TOPK_MAX_K];

    for (gint64 a = 0; a < d.A; a++) {
      float m = s[a * d.nc];
      for (gint64 k = 1; k < d.nc; k++)
        m = s[a * d.nc + k] > m ? s[a * d.nc + k] : m;
      c[a].v = m;
      c[a].i = a;
    }
    qsort (c, d.A, sizeof *c, cand_cmp);
    for (int i = 0; i < d.k1; i++)
      anc[i] = c[i].i;
    for (int i = 0; i < d.k1; i++)
      for (gint64 k = 0; k < d.nc; k++) {
        c[i * d.nc + k].v = s[anc[i] * d.nc + k];
        c[i * d.nc + k].i = i * d.nc + k;
      }
    qsort (c, d.k1 * d.nc, sizeof *c, cand_cmp);
    for (int j = 0; j < d.k2; j++) {
      gint64 a = anc[c[j].i / d.nc];
      for (int k = 0; k < 4; k++)
        yi[j * 6 + k] = b[a * 4 + k];
      yi[j * 6 + 4] = c[j].v;
      yi[j * 6 + 5] = (float) (c[j].i % d.nc);
    }
  }
  g_free (c);
  return TRUE;
}

static const YoloOpDef op_detect_topk = {
  YOLO_DETECT_TOPK_OP, 0, topk_infer, topk_eval
};

const YoloOpDef *const yolo_ops_detect_topk[] = { &op_detect_topk, NULL };
