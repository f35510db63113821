/* yolo-nms-tail.h - Ultralytics nms=True exports: the graph's NMS tail
 * recognised and replaced by the engine's own equivalent NMS on the host.
 *
 * GStreamer-free, private to the engine. An `yolo export ... nms=True`
 * graph ends in a tail (Transpose, Slice, ReduceMax, ArgMax, Greater,
 * NonZero, GatherND, Div, Mul, Add, Where, Expand, NonMaxSuppression,
 * Gather, Concat, Pad, ScatterND, ...) whose shapes depend on the data,
 * which a statically planned engine cannot run. yolo_nms_tail_cut() finds
 * the tensor that feeds the tail, the pre-NMS head output P = [1, 4+nc, N]
 * (rows x1, y1, x2, y2 in input pixels -- the exporter switches the Detect
 * head to corner boxes -- then nc class scores), removes the tail's nodes,
 * and keeps P alive as a hidden output. yolo_nms_tail_run() then computes
 * the graph output [1, max_det, 6] (x1, y1, x2, y2, score, class; rows
 * after the last detection are zero) from P on the host, with the
 * thresholds the export baked into the graph:
 *
 *  1. score = max over the classes, class = first class with that score
 *     (ReduceMax / ArgMax); candidates are score > conf (the Greater
 *     constant) and, when the NonMaxSuppression node has one, score >
 *     score_threshold; NaN scores are no candidates;
 *  2. NMS boxes as the graph makes them, in float: box / S * M, plus
 *     class * M on all four coordinates unless the export was agnostic
 *     (S = the Div constant, max(imgsz); M = the Mul constant, 1/nc), so
 *     class-aware NMS is one NMS over offset boxes, as in the graph;
 *  3. ONNX NonMaxSuppression as onnxruntime computes it: candidates by
 *     decreasing score, equal scores by increasing anchor index; a
 *     candidate is dropped when its IoU (float, onnxruntime's formula:
 *     zero-area boxes never overlap) with an already kept box is
 *     > iou_threshold; at most max_output_boxes_per_class kept;
 *  4. the first max_det kept boxes, in that order, with their original
 *     (not offset) corners, score and class as float.
 *
 * Differences from running the PyTorch model: torchvision's nms may order
 * exactly equal scores differently (onnxruntime and this code: lower
 * anchor first). The recogniser is strict: a graph with a
 * NonMaxSuppression node whose tail does not have this form fails with a
 * one-line error naming the op and node and the export option (nms=False).
 */
#ifndef YOLO_NMS_TAIL_H
#define YOLO_NMS_TAIL_H

#include "yolo-graph.h"

G_BEGIN_DECLS

struct _YoloNmsTail
{
  int pre;                      /* tensor P [1, 4+nc, N] (hidden output) */
  int out;                      /* graph output [1, max_det, 6] */
  char *start;                  /* name of the tail's first node */
  int n_nodes;                  /* nodes replaced */
  float conf;                   /* keep score > conf */
  float iou;                    /* suppress IoU > iou */
  gboolean has_score_threshold;
  float score_threshold;
  gint64 max_per_class;         /* NonMaxSuppression's cap (<= 0: none kept) */
  int max_det;                  /* output rows */
  float box_scale;              /* S: NMS boxes are box / S * M */
  float box_mult;               /* M */
  gboolean agnostic;            /* no class offset */
  gint64 score_end;             /* end of the score columns' Slice */
};

/* Looks for a NonMaxSuppression node in the sorted graph g (before shape
 * inference). None: returns TRUE, nothing changed. One whose tail has the
 * form above: removes the tail, sets g->nms_tail, returns TRUE. Anything
 * else: FALSE with a YOLO_ENGINE_ERROR_UNSUPPORTED error. */
gboolean yolo_nms_tail_cut (YoloGraph * g, GError ** error);

/* After shape inference: checks P is [1, 4+nc, N] (nc >= 1). */
gboolean yolo_nms_tail_check (YoloGraph * g, GError ** error);

/* Computes the output ([max_det, 6] floats into out) from P's data
 * (4+nc rows of n floats). */
void yolo_nms_tail_run (const YoloNmsTail * t, const float *pre, int nc,
    int n, float *out);

/* One line for `yolo-engine info`, newly allocated. */
char *yolo_nms_tail_describe (const YoloNmsTail * t);

void yolo_nms_tail_free (YoloNmsTail * t);

G_END_DECLS
#endif /* YOLO_NMS_TAIL_H */
