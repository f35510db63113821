/* ops/detect.h - DetectDecode, the tail of an Ultralytics Detect head
 * (YOLOv8, YOLO11, YOLOv10, YOLO26) in one node, made by the head pass
 * (yolo-head-fuse.c) and shared with the backends.
 *
 * Inputs, L levels (1 to YOLO_DETECT_MAX_LEVELS), N images (the batch,
 * dim 0 of every level input, N >= 1):
 *   box_0 .. box_{L-1}  float [N, .., 4*R, n_l] (dims 1.. any shape of
 *                        4*R*n_l elements, rows of n_l): the box branch's
 *                        last conv of each level, R = reg_max DFL bins per
 *                        side
 *   cls_0 .. cls_{L-1}  float [N, ..], nc*n_l elements per image, rows of
 *                        n_l: class logits
 *   anchors             float constant, 2*A elements: x row then y row
 *                        (grid cell centres, in grid units)
 *   strides             float constant, A elements (pixels per grid unit)
 *   dfl                 float constant, R elements (the DFL conv's
 *                        weights, 0..R-1 as exported); only when R > 1
 * with A = n_0 + .. + n_{L-1}, anchor a = start_l + p of level l; the
 * anchors, strides and DFL weights are shared by the N images.
 * Attributes: reg_max (INT, R >= 1), classes (INT, nc >= 1), xywh (INT:
 * 1 centre+size, 0 corners), levels (INT, L), split (INT, 0 or 1; 0 when
 * absent).
 * Output [N, 4+nc, A] float (split 0), or with split 1 two outputs, the
 * same values transposed to [N, A, 4+nc] and split along the last axis
 * (YOLO26's one-to-one tail: Transpose (0, 2, 1) + Split [4, nc]): boxes
 * [N, A, 4] and scores [N, A, nc]; image by image:
 *   d_k   = sum_i softmax_i (box_l[k*R+i, p]) * dfl[i]  (R > 1)
 *           box_l[k, p]                                  (R = 1)
 *   x1 = ax - d_0, y1 = ay - d_1, x2 = ax + d_2, y2 = ay + d_3
 *   rows 0..3 = ((x1+x2)/2, (y1+y2)/2, x2-x1, y2-y1) * stride  (xywh)
 *               (x1, y1, x2, y2) * stride                      (corners)
 *   row 4+c   = sigmoid (cls_l[c, p])
 * which is what the exported Reshape, Concat (anchor axis), Transpose,
 * Softmax, 1x1 Conv, Slice, Sub, Add, Div, Mul, Sigmoid and Concat nodes
 * compute, in the same order of float operations but the softmax's
 * division (folded into one division of the weighted sum). Each image's
 * output is computed as it is at N = 1 (the same operations on the same
 * values: bit for bit). Errors (at load, naming the node): attributes out
 * of range, inputs of other counts, shapes or batches, non-constant
 * anchors/strides/weights, more than G_MAXINT32 elements in a tensor. */
#ifndef YOLO_OPS_DETECT_H
#define YOLO_OPS_DETECT_H

#include "yolo-ops.h"

G_BEGIN_DECLS
#define YOLO_DETECT_DECODE_OP "DetectDecode"
#define YOLO_DETECT_MAX_LEVELS 4
    typedef struct
{
  int L, R, nc;
  gboolean xywh;
  gboolean split;               /* outputs [N, A, 4] and [N, A, nc] */
  gint64 N;                     /* images (the batch) */
  gint64 n[YOLO_DETECT_MAX_LEVELS];     /* anchors per level */
  gint64 A;
} YoloDetectGeom;

/* The geometry of a DetectDecode node, every input's size checked;
 * error naming the node. */
gboolean yolo_detect_geom (YoloGraph * g, const YoloNode * n,
    YoloDetectGeom * d, GError ** error);

G_END_DECLS
#endif
