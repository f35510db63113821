/* ops/norm.h - the LayerNormalization front end (ops/norm.c) shared with
 * the backends. */
#ifndef YOLO_OPS_NORM_H
#define YOLO_OPS_NORM_H

#include "yolo-ops.h"

G_BEGIN_DECLS
/* X seen as [outer, inner] rows normalised over inner (from axis on). */
    typedef struct
{
  int axis;
  gint64 outer, inner;
  float eps;
} NormParams;

/* Validates node n (float X, Scale and B broadcastable to X's dims from
 * axis on, axis in range, epsilon >= 0) and fills *p; INVALID_MODEL error
 * naming the node. */
gboolean yolo_norm_params (YoloGraph * g, YoloNode * n, NormParams * p,
    GError ** error);
/* t (Scale or B, with host data) expanded to [inner] floats (g_free);
 * NULL t gives def everywhere. */
float *yolo_norm_expand (const YoloTensor * x, int axis, const YoloTensor * t,
    gint64 inner, float def);

G_END_DECLS
#endif
