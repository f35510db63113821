/* ops/pool.h - the pooling front end shared with the backends. */
#ifndef YOLO_OPS_POOL_H
#define YOLO_OPS_POOL_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* pool.cl POOL_* */
enum
{
  POOL_MAX = 0,
  POOL_AVG = 1,
  POOL_AVG_INCL_PAD = 2,
};

/* The geometry of a pooling node (1-D inputs as H = 1). */
typedef struct
{
  int mode;                     /* POOL_* */
  gint64 planes;                /* N * C */
  gint64 H, W, OH, OW;
  gint64 kh, kw, sh, sw, ph, pw, peh, pew, dh, dw;
} PoolGeom;

/* TRUE for GlobalAveragePool / GlobalMaxPool. */
gboolean yolo_pool_is_global (const YoloNode * n);
/* Validates n's attributes against its input; INVALID_MODEL or
 * UNSUPPORTED error naming the node. */
gboolean yolo_pool_geom (YoloGraph * g, const YoloNode * n, PoolGeom * pg,
    GError ** error);

G_END_DECLS
#endif
