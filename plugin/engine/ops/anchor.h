/* ops/anchor.h - AnchorDecode, the anchor-based decode tail of a YOLOv5
 * Detect head in one node, made by the anchor pass (yolo-anchor-fuse.c)
 * and shared with the backends.
 *
 * Inputs, L levels (1 to YOLO_ANCHOR_MAX_LEVELS):
 *   x_0 .. x_{L-1}  float [N, na*(5+nc), d2, ..] (rank >= 3; n_l = the
 *                    product of d2..): each level's detection conv output,
 *                    na anchors per grid cell, rows of 5+nc per anchor
 *                    (x, y, w, h, objectness, nc class logits)
 *   grid            float constant, 2*A elements: x row then y row (the
 *                    export's grid, in grid units)
 *   anchor_grid     float constant, 2*A elements: x row then y row (the
 *                    anchor sizes, in input pixels)
 *   strides         float constant, A elements (pixels per grid unit)
 * with A = na * (n_0 + .. + n_{L-1}); output row a = start_l + j*n_l + p
 * for anchor j of cell p of level l, start_l = na * (n_0 + .. + n_{l-1}).
 * Attributes: levels (INT, L), anchors (INT, na >= 1), classes (INT,
 * nc >= 1), xy_offset (FLOAT, finite: 0 for exports that fold the -0.5
 * into the grid, -0.5 for those that subtract it).
 * Output [N, A, 5+nc] float, for image b, s_k = sigmoid (x_l[b, j*(5+nc)+k,
 * p]):
 *   column 0, 1  ((s_k * 2 + xy_offset) + grid_k[a]) * strides[a]
 *   column 2, 3  ((s_k * 2) * (s_k * 2)) * anchor_grid_{k-2}[a]
 *   column k > 3 s_k
 * which is what the exported Reshape, Transpose, Sigmoid, Split (or
 * Slices), Mul, [Sub,] Add, Mul, Pow (x^2), Mul, Concat, Reshape and
 * level Concat nodes compute, in the same order of float operations. Each
 * image is computed alone: a batch gives bit for bit the batch-1 result of
 * each of its images. */
#ifndef YOLO_OPS_ANCHOR_H
#define YOLO_OPS_ANCHOR_H

#include "yolo-ops.h"

G_BEGIN_DECLS
#define YOLO_ANCHOR_DECODE_OP "AnchorDecode"
#define YOLO_ANCHOR_MAX_LEVELS 4
    typedef struct
{
  int L, na, nc, no;            /* no = 5 + nc */
  float xy_offset;
  gint64 N;                     /* images */
  gint64 n[YOLO_ANCHOR_MAX_LEVELS];     /* grid cells per level */
  gint64 A;                     /* rows per image: na * sum n */
} YoloAnchorGeom;

/* The geometry of an AnchorDecode node, every input's size checked (and
 * every index the kernel computes within int32); error naming the node. */
gboolean yolo_anchor_geom (YoloGraph * g, const YoloNode * n,
    YoloAnchorGeom * d, GError ** error);

G_END_DECLS
#endif
