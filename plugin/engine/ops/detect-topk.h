/* ops/detect-topk.h - DetectTopK, the end-to-end (NMS-free) selection
 * tail of YOLO26's one-to-one Detect head in one node, made by the top-k
 * pass (yolo-topk-fuse.c) and shared with the backends.
 *
 * Inputs, N images (N >= 1):
 *   boxes   float [N, A, 4]   (DetectDecode's split outputs)
 *   scores  float [N, A, nc]
 * Attributes: anchors_k (INT, K1: 1 <= K1 <= A, at most
 * YOLO_DETECT_TOPK_MAX_K), max_det (INT, K2: 1 <= K2 <= K1 * nc, at most
 * YOLO_DETECT_TOPK_MAX_K).
 * Output float [N, K2, 6]; image by image, with "better" meaning a larger
 * value or an equal value at a lower index (onnxruntime's TopK order):
 *   m_a        = max_c scores[a, c]
 *   a_0..a_K1-1 = the K1 best anchors by m, best first
 *   S[i*nc+c]  = scores[a_i, c]              (i < K1)
 *   f_0..f_K2-1 = the K2 best flat indices of S, best first
 *   row j      = boxes[a_(f_j / nc), 0..3], S[f_j], (float) (f_j % nc)
 * which is what the exported ReduceMax, TopK, Unsqueeze, Tile,
 * GatherElements, Flatten, TopK, Div, Mod, Gather, Tile, Cast and Concat
 * compute at N = 1 (Ultralytics' Detect.postprocess). Errors (at load,
 * naming the node): attributes out of range, inputs of other shapes or
 * types, sizes over yolo_detect_topk_size_ok's bound. */
#ifndef YOLO_OPS_DETECT_TOPK_H
#define YOLO_OPS_DETECT_TOPK_H

#include "yolo-ops.h"

G_BEGIN_DECLS
#define YOLO_DETECT_TOPK_OP "DetectTopK"
/* the most anchors and detections kept (detect_topk.cl's local lists) */
#define YOLO_DETECT_TOPK_MAX_K 512
    typedef struct
{
  gint64 N, A, nc;
  int k1;                       /* anchors kept (anchors_k) */
  int k2;                       /* detections (max_det) */
} YoloDetectTopKGeom;

/* Whether A anchors of nc classes, keeping k1 anchors and k2 detections,
 * fit detect_topk.cl's bound on the loop iterations of one work-item
 * (under 60000: llvmpipe's loop limiter; k1 and k2 not checked here). */
gboolean yolo_detect_topk_size_ok (gint64 A, gint64 nc, gint64 k1,
    gint64 k2);

/* The geometry of a DetectTopK node, inputs and attributes checked;
 * error naming the node. */
gboolean yolo_detect_topk_geom (YoloGraph * g, const YoloNode * n,
    YoloDetectTopKGeom * d, GError ** error);

G_END_DECLS
#endif
