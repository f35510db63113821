/* yolo-task.h - decoding of the Ultralytics task heads other than plain
 * detection: pose (boxes + keypoints), obb (rotated boxes), segment (boxes
 * + mask coefficients, and the instance masks from the prototypes) and
 * classify (top-k classes). GStreamer-free; detection itself stays in
 * yolo-head.h.
 *
 * Output 0 layouts (batch 1), with K keypoints of D values (pose), M mask
 * coefficients (segment):
 *   pose     [1, 4+nc+K*D, N]  cx,cy,w,h, nc scores, K*(x,y[,visibility])
 *   obb      [1, 4+nc+1, N]    cx,cy,w,h, nc scores, angle (radians)
 *   segment  [1, 4+nc+M, N]    cx,cy,w,h, nc scores, M coefficients;
 *            output 1 [1, M, MH, MW] prototypes
 *   end-to-end (NMS-free, YOLO26) [1, N, 6+E]: x1,y1,x2,y2 (obb: cx,cy,w,h),
 *            score, class id, then the E = K*D, 1 or M values above
 *   classify [1, nc] (probabilities, softmax in the graph)
 * Box, keypoint and angle values are in model input pixels / radians.
 */
#ifndef YOLO_TASK_H
#define YOLO_TASK_H

#include "yolo-head.h"

G_BEGIN_DECLS

typedef enum
{
  YOLO_TASK_UNKNOWN = 0,
  YOLO_TASK_DETECT,
  YOLO_TASK_SEGMENT,
  YOLO_TASK_POSE,
  YOLO_TASK_OBB,
  YOLO_TASK_CLASSIFY,
} YoloTask;

/* "detect", "segment", "pose", "obb", "classify" (Ultralytics' task
 * names), "unknown". */
const char *yolo_task_name (YoloTask t);
/* Parses an Ultralytics task name; FALSE if unknown. */
gboolean yolo_task_from_name (const char *name, YoloTask * out);

/* The task of a model: metadata `task` (task_meta, may be NULL) when
 * present, else from the outputs: a 2-D [1, nc] output 0 is classify, a
 * second 4-D output is segment, anything else detect (pose and obb cannot
 * be told from shapes alone). */
YoloTask yolo_task_guess (const char *task_meta, int n_outputs,
    int ndim0, int ndim1);

/* Parses the `kpt_shape` metadata ("[17, 3]") into K and D (D = 2 or 3).
 * FALSE (and *k, *d untouched) when absent or malformed. */
gboolean yolo_parse_kpt_shape (const char *literal, int *k, int *d);

typedef struct
{
  YoloTask task;
  gboolean end2end;             /* [1, N, 6+E] rows, no NMS */
  int n_classes;                /* -1 for end2end (ids from the data) */
  int n_boxes;                  /* N (classify: number of classes) */
  int n_extra;                  /* E: values per box after the classes */
  int n_keypoints, keypoint_dims;       /* pose: K, D */
  int n_masks;                  /* segment: M */
} YoloTaskLayout;

/* Checks output 0's shape dims[ndim] against task and fills l. Pose needs
 * n_keypoints/keypoint_dims (K >= 1, D 2 or 3), segment n_masks (M >= 1,
 * from output 1's dim 1); others ignore them. Errors (one line, in
 * YOLO_ENGINE_ERROR) name the task, the shape and what was expected. */
gboolean yolo_task_layout_init (YoloTaskLayout * l, YoloTask task,
    gboolean end2end, int n_keypoints, int keypoint_dims, int n_masks,
    int ndim, const gint64 * dims, GError ** error);

typedef struct
{
  /* axis-aligned box in frame pixels, clipped to the frame (obb: the
   * bounding box of the rotated box), score in the model's scale, class */
  YoloDetection box;
  /* obb: the rotated box in frame pixels (centre, sides, not clipped) and
   * its angle in radians, regularised as Ultralytics does (w >= h, angle in
   * [0, pi)); other tasks: the axis-aligned box's centre and size in frame
   * pixels, before clipping to the frame, angle 0 */
  float cx, cy, w, h, angle;
  /* first value of this detection in YoloTaskResult.values */
  guint values_offset;
} YoloTaskDetection;

typedef struct
{
  GArray *dets;                 /* YoloTaskDetection, decreasing score */
  /* floats per detection in values: pose K*3 (x, y in frame pixels clipped
   * to the frame, confidence; D = 2 models get confidence 1), segment M
   * (the raw mask coefficients), others 0 */
  int n_values;
  GArray *values;               /* float */
} YoloTaskResult;

/* Decodes output 0 (data, layout l) with p's thresholds, class filter and
 * limit: candidates with best score > conf_threshold, then NMS (IoU >
 * iou_threshold, greedy on the axis-aligned frame boxes as yolo-head.c does
 * for detection; obb: Ultralytics' Fast-NMS with probabilistic IoU >=
 * iou_threshold on the rotated boxes in input pixels); end-to-end heads
 * skip NMS. Non-finite scores/boxes never become detections. l must not be
 * YOLO_TASK_CLASSIFY. Free with yolo_task_result_free(). */
YoloTaskResult *yolo_task_decode (const YoloTaskLayout * l,
    const YoloHeadParams * p, const float *data, const YoloLetterbox * lb);
void yolo_task_result_free (YoloTaskResult * r);

/* Ultralytics' probabilistic IoU (metrics.py probiou: 1 - Hellinger
 * distance of the boxes' Gaussians, eps 1e-7) of two rotated boxes given
 * as centre, sides and angle (radians). In [0, 1]. */
double yolo_obb_probiou (double cx1, double cy1, double w1, double h1,
    double a1, double cx2, double cy2, double w2, double h2, double a2);

typedef struct
{
  int class_id;
  float score;
} YoloClassScore;

/* Top-k of a classifier's nc scores: a new array of YoloClassScore, by
 * decreasing score (ties: lower id first), at most k (k <= 0: all), NaN
 * scores skipped, p's class filter applied (p may be NULL; thresholds are
 * not applied: a classifier always names its best classes). */
GArray *yolo_classify_top_k (const float *scores, int nc, int k,
    const YoloHeadParams * p);

/* Instance mask of det (a segment detection of r) on the frame: writes
 * out_w x out_h bytes (1 = object, 0 = not) for the frame pixels
 * [x0, x0+out_w) x [y0, y0+out_h), row-major. As Ultralytics' process_mask
 * + scale_masks: coeffs . protos (protos: [M, mask_h, mask_w] floats for a
 * input_w x input_h model input) cropped to the box at prototype
 * resolution, bilinear up to the input, > 0 (sigmoid > 0.5), the letterbox
 * padding (lb) cut off, bilinear to the frame, > 0.5 (bilinear: half-pixel
 * centres, edges clamped). */
void yolo_segment_mask (const YoloTaskLayout * l, const YoloTaskResult * r,
    const YoloTaskDetection * det, const float *protos, int mask_h,
    int mask_w, int input_w, int input_h, const YoloLetterbox * lb, int x0,
    int y0, int out_w, int out_h, guint8 * out);

/* The size of det's mask at the network input's resolution (Ultralytics'
 * retina_masks=False) over the frame rectangle w x h: w and h scaled as
 * the letterbox scales the frame (rounded, at least 1, at most the
 * letterboxed image's size inside the input); 0 x 0 when lb is empty. */
void yolo_segment_mask_input_size (const YoloLetterbox * lb, int input_w,
    int input_h, int w, int h, int *out_w, int *out_h);

/* Instance mask of det at input resolution: as yolo_segment_mask up to
 * "bilinear up to the input, > 0, letterbox cut off"; out (out_w x out_h
 * bytes, row-major, 1 = object) covers the frame rectangle [x0, x0+w) x
 * [y0, y0+h) in out_w x out_h equal cells, each the value of the input
 * pixel holding the cell's centre (out_w x out_h from
 * yolo_segment_mask_input_size: that rectangle's input pixels; smaller: a
 * coarser grid over the same rectangle). */
void yolo_segment_mask_input (const YoloTaskLayout * l,
    const YoloTaskResult * r, const YoloTaskDetection * det,
    const float *protos, int mask_h, int mask_w, int input_w, int input_h,
    const YoloLetterbox * lb, int x0, int y0, int w, int h, int out_w,
    int out_h, guint8 * out);

G_END_DECLS
#endif /* YOLO_TASK_H */
