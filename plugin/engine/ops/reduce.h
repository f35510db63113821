/* ops/reduce.h - the Softmax / Reduce* / ArgMax front end shared with the
 * backends. */
#ifndef YOLO_OPS_REDUCE_H
#define YOLO_OPS_REDUCE_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* The Reduce* kinds, as reduce.cl numbers them. */
enum
{
  R_MAX, R_MIN, R_SUM, R_MEAN, R_PROD, R_SUM_SQUARE, R_L1, R_L2,
  R_LOG_SUM_EXP
};

/* Softmax / LogSoftmax as an [outer, len, inner] problem. */
gboolean yolo_softmax_geom (YoloGraph * g, YoloNode * n, gint64 * outer,
    gint64 * len, gint64 * inner, GError ** error);
/* The R_* kind of a Reduce* node. */
int yolo_reduce_kind (const YoloNode * n);
/* red[i] (one per input dim) = TRUE where dim i is reduced. */
gboolean yolo_reduce_axes (YoloGraph * g, YoloNode * n, gboolean * red,
    GError ** error);
/* ArgMax / ArgMin: the axis and the [outer, len, inner] problem. */
gboolean yolo_arg_geom (YoloGraph * g, YoloNode * n, int *axis,
    gint64 * outer, gint64 * len, gint64 * inner, GError ** error);

G_END_DECLS
#endif
