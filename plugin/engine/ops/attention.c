/* ops/attention.c - ScaledDotProductAttention (see ops/attention.h): the
 * front end (geometry, shape inference, C reference). */
#include <math.h>

#include "misc-util.h"
#include "attention.h"

/* Reads an INTS attribute of exactly n values into out. */
static gboolean
attn_ints (const YoloNode * n, const char *name, int count, gint64 * out,
    GError ** error)
{
  const YoloAttr *a = yolo_node_attr (n, name);

  if (!a || a->type != YOLO_ATTR_INTS || a->n != count) {
    yolo_op_error (error, n, "needs attribute %s (%d integers)", name, count);
    return FALSE;
  }
  memcpy (out, a->ints, sizeof (gint64) * count);
  return TRUE;
}

/* A view [offset, s0, s1, s2, s3] over dims e[4] lies inside t. */
static gboolean
attn_view_ok (const YoloNode * n, const char *what, const YoloTensor * t,
    const gint64 * v, const gint64 * e, GError ** error)
{
  gint64 last = v[0];

  if (!t || t->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_unsupported (error, n, "%s must be a float tensor", what);
    return FALSE;
  }
  for (int i = 0; i < 4; i++) {
    /* a dim of 0 stride would repeat elements: refused (it would also let
     * a small tensor claim any size) */
    if (v[i + 1] < 0 || v[i + 1] > G_MAXINT32 || (e[i] > 1 && v[i + 1] == 0)) {
      yolo_op_error (error, n, "%s: stride out of range", what);
      return FALSE;
    }
    last += (e[i] - 1) * v[i + 1];
  }
  if (v[0] < 0 || last >= yolo_tensor_numel (t) || last > G_MAXINT32) {
    yolo_op_error (error, n, "%s: view outside its tensor of %" G_GINT64_FORMAT
        " elements", what, yolo_tensor_numel (t));
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_attention_geom (YoloGraph * g, const YoloNode * n, YoloAttnGeom * a,
    GError ** error)
{
  gint64 d[6];

  memset (a, 0, sizeof *a);
  if (n->n_inputs != 3 || n->n_outputs != 1) {
    yolo_op_error (error, n, "needs 3 inputs (Q, K, V) and 1 output");
    return FALSE;
  }
  if (!attn_ints (n, "dims", 6, d, error)
      || !attn_ints (n, "q_view", 5, a->q, error)
      || !attn_ints (n, "k_view", 5, a->k, error)
      || !attn_ints (n, "v_view", 5, a->v, error)
      || !attn_ints (n, "o_view", 5, a->o, error))
    return FALSE;
  for (int i = 0; i < 6; i++)
    if (d[i] < 1 || d[i] > G_MAXINT32) {
      yolo_op_error (error, n, "dims out of range");
      return FALSE;
    }
  a->B0 = d[0];
  a->B1 = d[1];
  a->D = d[2];
  a->DV = d[3];
  a->NQ = d[4];
  a->NK = d[5];
  a->scale = yolo_node_attr_float (n, "scale", 1.0f);
  {
    gint64 eq[4] = { a->B0, a->B1, a->D, a->NQ };
    gint64 ek[4] = { a->B0, a->B1, a->D, a->NK };
    gint64 ev[4] = { a->B0, a->B1, a->DV, a->NK };
    gint64 eo[4] = { a->B0, a->B1, a->DV, a->NQ };
    return attn_view_ok (n, "Q", YOLO_IN (g, n, 0), a->q, eq, error)
        && attn_view_ok (n, "K", YOLO_IN (g, n, 1), a->k, ek, error)
        && attn_view_ok (n, "V", YOLO_IN (g, n, 2), a->v, ev, error)
        && attn_view_ok (n, "output", YOLO_OUT (g, n, 0), a->o, eo, error);
  }
}

static gboolean
attention_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  const YoloAttr *s = yolo_node_attr (n, "shape");
  YoloAttnGeom a;
  YoloTensor *y;
  gint64 numel = 1;

  if (n->n_outputs != 1 || !s || s->type != YOLO_ATTR_INTS || s->n < 1
      || s->n > YOLO_MAX_DIMS) {
    yolo_op_error (error, n, "needs attribute shape (1 to %d integers)",
        YOLO_MAX_DIMS);
    return FALSE;
  }
  for (int i = 0; i < s->n; i++) {
    if (s->ints[i] < 1 || s->ints[i] > G_MAXINT32) {
      yolo_op_error (error, n, "shape out of range");
      return FALSE;
    }
    numel *= s->ints[i];
    if (numel > G_MAXINT32) {
      yolo_op_error (error, n, "shape out of range");
      return FALSE;
    }
  }
  y = YOLO_OUT (g, n, 0);
  yolo_tensor_set_shape (y, YOLO_DTYPE_FLOAT, s->n, s->ints);
  if (!yolo_attention_geom (g, n, &a, error))
    return FALSE;
  if (a.B0 * a.B1 * a.DV * a.NQ != numel) {
    yolo_op_error (error, n, "shape has %" G_GINT64_FORMAT " elements, "
        "the attention gives %" G_GINT64_FORMAT, numel,
        a.B0 * a.B1 * a.DV * a.NQ);
    return FALSE;
  }
  return TRUE;
}

/* The reference: for each (b, i), the scores, their maximum, the
 * exponentials and their sum in double, then each output channel. */
static gboolean
attention_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloAttnGeom a;
  const float *q, *k, *v;
  float *o;
  YoloTensor *R = n->residual >= 0 ? YOLO_T (g, n->residual) : NULL;
  double *p;

  if (!misc_have_data (g, n, error) || !yolo_attention_geom (g, n, &a, error))
    return FALSE;
  q = YOLO_IN (g, n, 0)->data;
  k = YOLO_IN (g, n, 1)->data;
  v = YOLO_IN (g, n, 2)->data;
  if (R && (!R->data || yolo_tensor_numel (R) !=
          yolo_tensor_numel (YOLO_OUT (g, n, 0)))) {
    yolo_op_error (error, n, "residual has no host data or another size");
    return FALSE;
  }
  o = misc_alloc (YOLO_OUT (g, n, 0));
  p = g_new (double, a.NK);
  for (gint64 b0 = 0; b0 < a.B0; b0++)
    for (gint64 b1 = 0; b1 < a.B1; b1++) {
      const float *qb = q + a.q[0] + b0 * a.q[1] + b1 * a.q[2];
      const float *kb = k + a.k[0] + b0 * a.k[1] + b1 * a.k[2];
      const float *vb = v + a.v[0] + b0 * a.v[1] + b1 * a.v[2];
      float *ob = o + a.o[0] + b0 * a.o[1] + b1 * a.o[2];
      for (gint64 i = 0; i < a.NQ; i++) {
        double mx = -INFINITY, sum = 0.0;
        for (gint64 j = 0; j < a.NK; j++) {
          double s = 0.0;
          for (gint64 d = 0; d < a.D; d++)
            s += (double) qb[d * a.q[3] + i * a.q[4]] * kb[d * a.k[3]
                + j * a.k[4]];
          p[j] = s * a.scale;
          mx = MAX (mx, p[j]);
        }
        for (gint64 j = 0; j < a.NK; j++) {
          p[j] = exp (p[j] - mx);
          sum += p[j];
        }
        for (gint64 c = 0; c < a.DV; c++) {
          double acc = 0.0;
          for (gint64 j = 0; j < a.NK; j++)
            acc += p[j] * vb[c * a.v[3] + j * a.v[4]];
          gint64 e = (ob - o) + c * a.o[3] + i * a.o[4];
          o[e] = (float) (acc / sum) + (R ? ((float *) R->data)[e] : 0.0f);
        }
      }
    }
  g_free (p);
  return TRUE;
}

static const YoloOpDef op_attention = {
  YOLO_ATTENTION_OP, 0, attention_infer, attention_eval
};

const YoloOpDef *const yolo_ops_attention[] = { &op_attention, NULL };
