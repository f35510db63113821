/* yolo-head.c - YOLO head decoding, box mapping and NMS (see yolo-head.h). */
#include "yolo-head.h"
#include "yolo-engine.h"

#include <math.h>

/* Candidates beyond this many (best scores kept) are dropped before NMS,
 * like Ultralytics' max_nms. */
#define MAX_NMS_CANDIDATES 30000

static const int yolox_strides[] = { 8, 16, 32 };

static gint64
yolox_n_boxes (int input_w, int input_h)
{
  gint64 n = 0;
  for (guint i = 0; i < G_N_ELEMENTS (yolox_strides); i++)
    n += (gint64) (input_h / yolox_strides[i]) * (input_w / yolox_strides[i]);
  return n;
}

/* TRUE if n boxes is 1 or 3 (anchors) per grid cell of a w x h input over
 * the usual stride sets (P5 8/16/32, P6 8..64, P2 4..32). */
static gboolean
is_grid_count (gint64 n, int w, int h)
{
  static const int sets[][4] = { {8, 16, 32, 0}, {8, 16, 32, 64},
  {4, 8, 16, 32}
  };

  for (guint i = 0; i < G_N_ELEMENTS (sets); i++) {
    gint64 cells = 0;
    for (guint k = 0; k < 4 && sets[i][k]; k++)
      cells += (gint64) (h / sets[i][k]) * (w / sets[i][k]);
    if (cells > 0 && (n == cells || n == 3 * cells))
      return TRUE;
  }
  return FALSE;
}

gboolean
yolo_head_layout_init (YoloHeadLayout * layout, YoloFamily family, int ndim,
    const gint64 * dims, int input_w, int input_h, GError ** error)
{
  gint64 a, b;

  layout->family = family;
  layout->input_w = input_w;
  layout->input_h = input_h;
  layout->n_classes = -1;
  layout->n_boxes = 0;

  /* accept [a, b] and [1, a, b] */
  if (ndim == 3 && dims[0] == 1) {
    a = dims[1];
    b = dims[2];
  } else if (ndim == 2) {
    a = dims[0];
    b = dims[1];
  } else {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s head: expected an output of shape [1, A, B], got %d dims",
        yolo_family_name (family), ndim);
    return FALSE;
  }
  if (a <= 0 || b <= 0 || a > G_MAXINT32 || b > G_MAXINT32) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s head: bad output shape [1, %" G_GINT64_FORMAT ", %"
        G_GINT64_FORMAT "]", yolo_family_name (family), a, b);
    return FALSE;
  }

  switch (family) {
    case YOLO_FAMILY_ULTRALYTICS:
      if (a < 5) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "ultralytics head: output [1, %" G_GINT64_FORMAT ", %"
            G_GINT64_FORMAT "] needs at least 5 rows (4 box + classes)", a, b);
        return FALSE;
      }
      /* a [1, N, 5+nc] (YOLOv5/YOLOX) or [1, N, 6] (end2end) output read
       * as [1, 4+nc, N] decodes into garbage: refuse the transposed
       * layouts (N rows matching the input's grid, or 6 columns) */
      if (a > b && (b == 6 || is_grid_count (a, input_w, input_h))) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "ultralytics head: output [1, %" G_GINT64_FORMAT ", %"
            G_GINT64_FORMAT "] is a [1, boxes, values] layout, not "
            "Ultralytics' [1, 4+nc, boxes]; try model-family=auto, yolov5, "
            "yolox or end2end", a, b);
        return FALSE;
      }
      layout->n_classes = (int) (a - 4);
      layout->n_boxes = (int) b;
      return TRUE;
    case YOLO_FAMILY_END2END:
      if (b != 6) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "end2end head: output [1, %" G_GINT64_FORMAT ", %"
            G_GINT64_FORMAT "] must have 6 columns (x1,y1,x2,y2,score,class)",
            a, b);
        return FALSE;
      }
      layout->n_boxes = (int) a;
      return TRUE;
    case YOLO_FAMILY_YOLOV5:
    case YOLO_FAMILY_YOLOX:
      if (b < 6) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "%s head: output [1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
            "] needs at least 6 columns (4 box + objectness + classes)",
            yolo_family_name (family), a, b);
        return FALSE;
      }
      if (family == YOLO_FAMILY_YOLOX && a != yolox_n_boxes (input_w, input_h)) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "yolox head: %" G_GINT64_FORMAT " boxes, but a %dx%d input has %"
            G_GINT64_FORMAT " grid cells over strides 8/16/32", a, input_w,
            input_h, yolox_n_boxes (input_w, input_h));
        return FALSE;
      }
      /* the transposed Ultralytics layout [1, 4+nc, N] */
      if (family == YOLO_FAMILY_YOLOV5 && a < b
          && is_grid_count (b, input_w, input_h)) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "yolov5 head: output [1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
            "] is Ultralytics' [1, 4+nc, boxes] layout, not YOLOv5's "
            "[1, boxes, 5+nc]; try model-family=auto or ultralytics", a, b);
        return FALSE;
      }
      /* YOLOv5 has 3 anchors per grid cell; one box per cell over strides
       * 8/16/32 is YOLOX's raw grid output, whose boxes need decoding */
      if (family == YOLO_FAMILY_YOLOV5 && a == yolox_n_boxes (input_w, input_h)) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "yolov5 head: %" G_GINT64_FORMAT " boxes is one per grid cell of "
            "a %dx%d input (YOLOv5 has 3 anchors per cell): this looks like "
            "a YOLOX model, use model-family=yolox", a, input_w, input_h);
        return FALSE;
      }
      layout->n_classes = (int) (b - 5);
      layout->n_boxes = (int) a;
      return TRUE;
    default:
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "unknown model family: set model-family (ultralytics, end2end, "
          "yolov5 or yolox)");
      return FALSE;
  }
}

gboolean
yolo_head_class_kept (const YoloHeadParams * p, int c)
{
  if (!p->class_mask)
    return TRUE;
  return c >= 0 && c < p->n_class_mask && p->class_mask[c];
}

void
yolo_head_best_class (const float *data, int n, int nc, float *best, int *cls)
{
  const float *row = data + (gsize) 4 * n;

  for (int i = 0; i < n; i++) {
    best[i] = isnan (row[i]) ? -INFINITY : row[i];
    cls[i] = 0;
  }
  for (int c = 1; c < nc; c++) {
    row = data + (gsize) (4 + c) * n;
    for (int i = 0; i < n; i++) {
      if (row[i] > best[i]) {
        best[i] = row[i];
        cls[i] = c;
      }
    }
  }
}

/* Adds a candidate given in input pixels (centre + size). A candidate with
 * a non-finite score (+inf: -inf and NaN never pass the threshold) or a
 * non-finite box (NaN, inf, or an expf() that overflowed) is dropped: such
 * values mean a broken model or input, and would otherwise reach the metas
 * as a NaN confidence or a NaN/whole-frame box. */
static void
add_candidate (GArray * out, const YoloLetterbox * lb, double cx, double cy,
    double w, double h, float score, int cls)
{
  YoloDetection d;
  double x1, y1, x2, y2;

  if (!isfinite (score) || !isfinite (cx) || !isfinite (cy)
      || !isfinite (w) || !isfinite (h))
    return;
  x1 = (cx - w / 2 - lb->pad_x) / lb->scale_x;
  y1 = (cy - h / 2 - lb->pad_y) / lb->scale_y;
  x2 = (cx + w / 2 - lb->pad_x) / lb->scale_x;
  y2 = (cy + h / 2 - lb->pad_y) / lb->scale_y;

  d.x1 = (float) CLAMP (x1, 0.0, (double) lb->frame_w);
  d.y1 = (float) CLAMP (y1, 0.0, (double) lb->frame_h);
  d.x2 = (float) CLAMP (x2, 0.0, (double) lb->frame_w);
  d.y2 = (float) CLAMP (y2, 0.0, (double) lb->frame_h);
  d.score = score;
  d.class_id = cls;
  g_array_append_val (out, d);
}

static gint
cmp_score_desc (gconstpointer pa, gconstpointer pb)
{
  const YoloDetection *a = pa, *b = pb;
  return a->score > b->score ? -1 : a->score < b->score ? 1 : 0;
}

double
yolo_box_iou (const YoloDetection * a, const YoloDetection * b)
{
  double xx1 = MAX (a->x1, b->x1), yy1 = MAX (a->y1, b->y1);
  double xx2 = MIN (a->x2, b->x2), yy2 = MIN (a->y2, b->y2);
  double inter = MAX (xx2 - xx1, 0.0) * MAX (yy2 - yy1, 0.0);
  double area_a = ((double) a->x2 - a->x1) * ((double) a->y2 - a->y1);
  double area_b = ((double) b->x2 - b->x1) * ((double) b->y2 - b->y1);
  return inter / (area_a + area_b - inter + 1e-9);
}

void
yolo_head_nms (GArray * dets, float iou_threshold, gboolean agnostic)
{
  guint n = dets->len, n_keep = 0;
  YoloDetection *d = (YoloDetection *) dets->data;
  guint8 *dead = g_new0 (guint8, n);

  for (guint i = 0; i < n; i++) {
    if (dead[i])
      continue;
    d[n_keep++] = d[i];
    for (guint j = i + 1; j < n; j++) {
      if (dead[j] || (!agnostic && d[j].class_id != d[i].class_id))
        continue;
      if (yolo_box_iou (&d[i], &d[j]) > iou_threshold)
        dead[j] = 1;
    }
  }
  g_free (dead);
  g_array_set_size (dets, n_keep);
}

GArray *
yolo_head_decode (const YoloHeadLayout * layout, const YoloHeadParams * p,
    const float *data, const YoloLetterbox * lb)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (YoloDetection));
  int n = layout->n_boxes, nc = layout->n_classes;
  float conf = p->conf_threshold;

  switch (layout->family) {
    case YOLO_FAMILY_ULTRALYTICS:{
      /* rows: 4 box rows then nc class rows, each N long; walk rows so
       * reads stay contiguous */
      float *best = g_new (float, n);
      int *cls = g_new (int, n);

      yolo_head_best_class (data, n, nc, best, cls);
      for (int i = 0; i < n; i++) {
        if (!(best[i] > conf) || !yolo_head_class_kept (p, cls[i]))
          continue;
        add_candidate (out, lb, data[i], data[n + i], data[2 * n + i],
            data[3 * n + i], best[i], cls[i]);
      }
      g_free (best);
      g_free (cls);
      break;
    }
    case YOLO_FAMILY_END2END:
      for (int i = 0; i < n; i++) {
        const float *r = data + (gsize) 6 * i;
        /* a class id that fits int (G_MAXINT32 as a float is 2^31) */
        if (!(r[4] > conf) || !(r[5] >= 0.0f && r[5] < 2147483648.0f))
          continue;
        int c = (int) r[5];
        if (!yolo_head_class_kept (p, c))
          continue;
        add_candidate (out, lb, ((double) r[0] + r[2]) / 2,
            ((double) r[1] + r[3]) / 2, (double) r[2] - r[0],
            (double) r[3] - r[1], r[4], c);
      }
      break;
    case YOLO_FAMILY_YOLOV5:
    case YOLO_FAMILY_YOLOX:{
      int stride_i = 0, cell = 0, gw = 0, cells = 0;
      gboolean yolox = layout->family == YOLO_FAMILY_YOLOX;
      if (yolox) {
        gw = layout->input_w / yolox_strides[0];
        cells = gw * (layout->input_h / yolox_strides[0]);
      }
      for (int i = 0; i < n; i++) {
        const float *r = data + (gsize) (5 + nc) * i;
        int s = 0, gx = 0, gy = 0;
        if (yolox) {
          while (cell >= cells && stride_i + 1 < (int) G_N_ELEMENTS
              (yolox_strides)) {
            stride_i++;
            cell = 0;
            gw = layout->input_w / yolox_strides[stride_i];
            cells = gw * (layout->input_h / yolox_strides[stride_i]);
          }
          s = yolox_strides[stride_i];
          gx = cell % gw;
          gy = cell / gw;
          cell++;
        }
        float obj = r[4];
        float bs = r[5] * obj;
        if (isnan (bs))         /* as for Ultralytics: NaN is no score */
          bs = -INFINITY;
        int bc = 0;
        for (int c = 1; c < nc; c++) {
          float v = r[5 + c] * obj;
          if (v > bs) {
            bs = v;
            bc = c;
          }
        }
        if (!(bs > conf) || !yolo_head_class_kept (p, bc))
          continue;
        if (yolox) {
          add_candidate (out, lb, (r[0] + (double) gx) * s,
              (r[1] + (double) gy) * s, (double) expf (r[2]) * s,
              (double) expf (r[3]) * s, bs, bc);
        } else {
          add_candidate (out, lb, r[0], r[1], r[2], r[3], bs, bc);
        }
      }
      break;
    }
    default:
      break;
  }

  g_array_sort (out, cmp_score_desc);
  if (out->len > MAX_NMS_CANDIDATES)
    g_array_set_size (out, MAX_NMS_CANDIDATES);
  if (layout->family != YOLO_FAMILY_END2END)
    yolo_head_nms (out, p->iou_threshold, p->agnostic);
  if (p->max_detections > 0 && out->len > (guint) p->max_detections)
    g_array_set_size (out, p->max_detections);
  return out;
}
