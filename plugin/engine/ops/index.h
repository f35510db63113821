/* ops/index.h - the Gather / GatherElements / TopK front end shared with
 * the backends. */
#ifndef YOLO_OPS_INDEX_H
#define YOLO_OPS_INDEX_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* The most dims Gather / GatherElements handle. */
#define INDEX_DIMS 6

/* TopK: the axis and K (constant input or attribute), checked. */
gboolean yolo_topk_geom (YoloGraph * g, YoloNode * n, int *axis, gint64 * k,
    GError ** error);

G_END_DECLS
#endif
