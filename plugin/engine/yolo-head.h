/* yolo-head.h - decoding of YOLO detection heads into boxes.
 *
 * GStreamer-free. Matches reference_detect.py: candidates with
 * score > conf_threshold, boxes mapped back to frame pixels (undoing the
 * letterbox or stretch) and clipped to the frame, then class-aware (or
 * agnostic) greedy NMS (suppress when IoU > iou_threshold), highest score
 * first, at most max_detections kept. End-to-end heads skip NMS.
 * Non-finite values never become detections: a NaN class score is no score
 * (never the best class), and a candidate whose best score is +inf or whose
 * box is NaN or infinite is dropped.
 *
 * Layouts (output 0, batch 1):
 *   ultralytics [1, 4+nc, N]  cx,cy,w,h (input pixels), nc class scores
 *   end2end     [1, N, 6]     x1,y1,x2,y2, score, class id
 *   yolov5      [1, N, 5+nc]  cx,cy,w,h, objectness, nc class scores
 *   yolox       [1, N, 5+nc]  raw grid offsets over strides 8/16/32
 */
#ifndef YOLO_HEAD_H
#define YOLO_HEAD_H

#include "yolo-family.h"
#include "yolo-preproc.h"

G_BEGIN_DECLS

typedef struct
{
  float x1, y1, x2, y2;         /* frame pixels */
  float score;
  int class_id;
} YoloDetection;

typedef struct
{
  YoloFamily family;
  int n_classes;                /* -1 for end2end (class ids from the data) */
  int n_boxes;                  /* N */
  int input_w, input_h;         /* model input, for YOLOX grids */
} YoloHeadLayout;

typedef struct
{
  float conf_threshold;         /* keep score > conf_threshold */
  float iou_threshold;          /* suppress IoU > iou_threshold */
  int max_detections;           /* <= 0: no limit */
  gboolean agnostic;            /* NMS across classes */
  /* Classes to keep (class c kept iff c < n_class_mask && class_mask[c]);
   * NULL keeps all. Applied to the best class, before NMS. */
  const guint8 *class_mask;
  int n_class_mask;
} YoloHeadParams;

#define YOLO_HEAD_PARAMS_DEFAULT { 0.25f, 0.7f, 300, FALSE, NULL, 0 }

/* Whether class c passes the class filter of p: always when p has no
 * class_mask; else c must be in [0, n_class_mask) with class_mask[c] set. */
gboolean yolo_head_class_kept (const YoloHeadParams * p, int c);

/* The best class of each of the n anchors of an Ultralytics-layout output
 * (data: float32 [4 + nc + extra rows, n], the class scores in rows 4 ..
 * 4 + nc - 1, nc >= 1): best[i] its score, cls[i] its class (the lower
 * class on equal scores). A NaN score never wins: an anchor whose scores
 * are all NaN gets -inf and class 0. best and cls hold n each. */
void yolo_head_best_class (const float *data, int n, int nc, float *best,
    int *cls);

/* Checks output shape dims[ndim] against family and fills layout. */
gboolean yolo_head_layout_init (YoloHeadLayout * layout, YoloFamily family,
    int ndim, const gint64 * dims, int input_w, int input_h, GError ** error);

/* Decodes data (the output tensor) into a new array of YoloDetection,
 * sorted by decreasing score. lb maps input to frame pixels. */
GArray *yolo_head_decode (const YoloHeadLayout * layout,
    const YoloHeadParams * params, const float *data, const YoloLetterbox * lb);

/* Greedy NMS on dets (sorted by decreasing score) in place. */
void yolo_head_nms (GArray * dets, float iou_threshold, gboolean agnostic);

/* IoU of two boxes (as reference_detect.py: + 1e-9 in the denominator). */
double yolo_box_iou (const YoloDetection * a, const YoloDetection * b);

G_END_DECLS
#endif /* YOLO_HEAD_H */
