/* ops/quant-dot.c - see quant-dot.h. */
#include "ops/quant-dot.h"

/* yolo_qconv_geom, and x holds uint8 codes: the kernels pack four codes
 * per int as unsigned bytes (vpdpbusd's u8 operand), so int8 activations
 * (legal ConvInteger) run on the other ConvInteger kernels. */
static gboolean
qdot_geom (YoloGraph * g, YoloNode * n, QConvGeom * p)
{
  return yolo_qconv_geom (g, n, p, NULL)
      && YOLO_IN (g, n, 0)->dtype == YOLO_DTYPE_UINT8;
}

gboolean
yolo_qdot_1x1 (YoloGraph * g, YoloNode * n, QConvGeom * p)
{
  return qdot_geom (g, n, p) && p->group == 1
      && p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1
      && p->pt == 0 && p->pl == 0 && p->pb == 0 && p->pr == 0
      && (gint64) p->H * p->W <= G_MAXINT / 4;
}

gboolean
yolo_qdot_3x3s1 (YoloGraph * g, YoloNode * n, QConvGeom * p)
{
  return qdot_geom (g, n, p) && p->group == 1
      && p->kh == 3 && p->kw == 3 && p->sh == 1 && p->sw == 1
      && p->dh == 1 && p->dw == 1 && p->pt == 1 && p->pl == 1
      && p->pb == 1 && p->pr == 1 && p->C % 4 == 0
      && (gint64) p->H * p->W <= G_MAXINT / 4;
}

gboolean
yolo_qdot_3x3s2 (YoloGraph * g, YoloNode * n, QConvGeom * p)
{
  return qdot_geom (g, n, p) && p->group == 1
      && p->kh == 3 && p->kw == 3 && p->sh == 2 && p->sw == 2
      && p->dh == 1 && p->dw == 1 && p->pt == 1 && p->pl == 1
      && p->pb == 1 && p->pr == 1 && p->Ho == (p->H - 1) / 2 + 1
      && p->Wo == (p->W - 1) / 2 + 1 && (gint64) p->H * p->W <= G_MAXINT / 4;
}

gboolean
yolo_qdot_offsets (const gint32 * w, const QConvGeom * p, gint32 * d)
{
  gsize per = (gsize) p->Cg * p->kh * p->kw;

  for (int m = 0; m < p->M; m++) {
    gint32 lo = G_MAXINT32, hi = G_MININT32;
    for (gsize i = 0; i < per; i++) {
      lo = MIN (lo, w[m * per + i]);
      hi = MAX (hi, w[m * per + i]);
    }
    if (per > 0 && (gint64) hi - lo > 255)
      return FALSE;
    d[m] = per == 0 || (lo >= -128 && hi <= 127) ? 0 : lo + 128;
  }
  return TRUE;
}

gboolean
yolo_qdot_supported (YoloGraph * g, YoloNode * n)
{
  QConvGeom p;
  gint32 *w, *d;
  gboolean ok;

  if (!yolo_qdot_1x1 (g, n, &p) && !yolo_qdot_3x3s1 (g, n, &p)
      && !yolo_qdot_3x3s2 (g, n, &p))
    return FALSE;
  w = yolo_qconv_weights (g, n, &p);
  d = g_new (gint32, MAX (p.M, 1));
  ok = yolo_qdot_offsets (w, &p, d);
  g_free (d);
  g_free (w);
  return ok;
}
