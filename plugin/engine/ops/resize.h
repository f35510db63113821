/* ops/resize.h - the Resize / Upsample front end shared with the
 * backends. */
#ifndef YOLO_OPS_RESIZE_H
#define YOLO_OPS_RESIZE_H

#include "yolo-ops.h"

G_BEGIN_DECLS

typedef enum
{
  RESIZE_CTM_HALF_PIXEL,
  RESIZE_CTM_ASYMMETRIC,
  RESIZE_CTM_PYTORCH_HALF_PIXEL,
  RESIZE_CTM_TF_HALF_PIXEL_FOR_NN,
  RESIZE_CTM_ALIGN_CORNERS,
  RESIZE_CTM_HALF_PIXEL_SYMMETRIC,
} ResizeCtm;

typedef enum
{
  RESIZE_NEAREST_ROUND_PREFER_FLOOR,
  RESIZE_NEAREST_ROUND_PREFER_CEIL,
  RESIZE_NEAREST_FLOOR,
  RESIZE_NEAREST_CEIL,
  RESIZE_NEAREST_SIMPLE,        /* opset < 11: truncate, ceil when shrinking */
} ResizeNearest;

typedef struct
{
  gboolean linear;
  ResizeCtm ctm;
  ResizeNearest nearest;
  int ndim;
  gint64 out_dims[YOLO_MAX_DIMS];
  gint64 planes, H, W, OH, OW;
  float scale_h, scale_w;
} ResizeGeom;

/* Source rows / columns of the output. Nearest: idx[o]. Linear: idx[2o],
 * idx[2o+1] and the weight lam[o] of the second. */
typedef struct
{
  gint32 *hidx, *widx;
  float *hlam, *wlam;
} ResizeMaps;

/* The geometry of a Resize / Upsample node; error naming the node. */
gboolean yolo_resize_geom (YoloGraph * g, const YoloNode * n, ResizeGeom * rg,
    GError ** error);
/* Computes the source rows / columns of every output row / column. */
void yolo_resize_maps_init (const ResizeGeom * rg, ResizeMaps * m);
void yolo_resize_maps_clear (ResizeMaps * m);
/* TRUE when rg and its maps m are exactly x2 nearest upsampling in H and
 * W: output row / column i reads i / 2 (YOLO's neck; its own kernel in
 * backend-opencl/resize.c, folded into the next 1x1 conv by
 * yolo-upsample-fuse.c). */
gboolean yolo_resize_is_nearest2x (const ResizeGeom * rg,
    const ResizeMaps * m);

G_END_DECLS
#endif
