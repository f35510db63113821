/* yolo-task.c - pose, obb, segment and classify heads (see yolo-task.h). */
#include "yolo-task.h"
#include "yolo-engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* as yolo-head.c and Ultralytics' max_nms */
#define MAX_NMS_CANDIDATES 30000

static const char *const task_names[] = {
  [YOLO_TASK_UNKNOWN] = "unknown",
  [YOLO_TASK_DETECT] = "detect",
  [YOLO_TASK_SEGMENT] = "segment",
  [YOLO_TASK_POSE] = "pose",
  [YOLO_TASK_OBB] = "obb",
  [YOLO_TASK_CLASSIFY] = "classify",
};

const char *
yolo_task_name (YoloTask t)
{
  if ((int) t >= 0 && (int) t < (int) G_N_ELEMENTS (task_names))
    return task_names[t];
  return "unknown";
}

gboolean
yolo_task_from_name (const char *name, YoloTask * out)
{
  if (!name)
    return FALSE;
  for (guint i = 1; i < G_N_ELEMENTS (task_names); i++) {
    if (strcmp (name, task_names[i]) == 0) {
      if (out)
        *out = (YoloTask) i;
      return TRUE;
    }
  }
  return FALSE;
}

YoloTask
yolo_task_guess (const char *task_meta, int n_outputs, int ndim0, int ndim1)
{
  YoloTask t;

  if (task_meta && task_meta[0])
    return yolo_task_from_name (task_meta, &t) ? t : YOLO_TASK_UNKNOWN;
  if (n_outputs >= 1 && ndim0 == 2)
    return YOLO_TASK_CLASSIFY;
  if (n_outputs >= 2 && ndim1 == 4)
    return YOLO_TASK_SEGMENT;
  return YOLO_TASK_DETECT;
}

gboolean
yolo_parse_kpt_shape (const char *s, int *k, int *d)
{
  char *end;
  long a, b;

  if (!s)
    return FALSE;
  while (*s == ' ')
    s++;
  if (*s++ != '[')
    return FALSE;
  a = strtol (s, &end, 10);
  if (end == s)
    return FALSE;
  s = end;
  while (*s == ' ')
    s++;
  if (*s++ != ',')
    return FALSE;
  b = strtol (s, &end, 10);
  if (end == s)
    return FALSE;
  s = end;
  while (*s == ' ')
    s++;
  if (*s != ']' || a < 1 || a > 10000 || (b != 2 && b != 3))
    return FALSE;
  *k = (int) a;
  *d = (int) b;
  return TRUE;
}

gboolean
yolo_task_layout_init (YoloTaskLayout * l, YoloTask task, gboolean end2end,
    int n_keypoints, int keypoint_dims, int n_masks, int ndim,
    const gint64 * dims, GError ** error)
{
  gint64 a, b, extra = 0;
  const char *tn = yolo_task_name (task);

  memset (l, 0, sizeof (*l));
  l->task = task;
  l->end2end = end2end;
  l->n_classes = -1;

  switch (task) {
    case YOLO_TASK_POSE:
      if (n_keypoints < 1 || (keypoint_dims != 2 && keypoint_dims != 3)) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "pose head: bad keypoint shape [%d, %d] (kpt_shape metadata: "
            "[K, 2] or [K, 3])", n_keypoints, keypoint_dims);
        return FALSE;
      }
      l->n_keypoints = n_keypoints;
      l->keypoint_dims = keypoint_dims;
      extra = (gint64) n_keypoints *keypoint_dims;
      break;
    case YOLO_TASK_OBB:
      extra = 1;
      break;
    case YOLO_TASK_SEGMENT:
      if (n_masks < 1) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "segment head: needs a second output [1, M, MH, MW] of mask "
            "prototypes");
        return FALSE;
      }
      l->n_masks = n_masks;
      extra = n_masks;
      break;
    case YOLO_TASK_CLASSIFY:
      if (!(ndim == 2 && dims[0] == 1 && dims[1] >= 1 && dims[1] <= G_MAXINT32)) {
        g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
            "classify head: expected an output of shape [1, classes], got "
            "%d dims", ndim);
        return FALSE;
      }
      l->n_classes = l->n_boxes = (int) dims[1];
      return TRUE;
    default:
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "task %s has no task head here (detection uses yolo-head.h)", tn);
      return FALSE;
  }
  l->n_extra = (int) extra;

  if (!(ndim == 3 && dims[0] == 1)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s head: expected an output of shape [1, A, B], got %d dims", tn,
        ndim);
    return FALSE;
  }
  a = dims[1];
  b = dims[2];
  if (a <= 0 || b <= 0 || a > G_MAXINT32 || b > G_MAXINT32) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s head: bad output shape [1, %" G_GINT64_FORMAT ", %"
        G_GINT64_FORMAT "]", tn, a, b);
    return FALSE;
  }
  if (end2end) {
    if (b != 6 + extra) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "end-to-end %s head: output [1, %" G_GINT64_FORMAT ", %"
          G_GINT64_FORMAT "] must have 6 + %" G_GINT64_FORMAT " columns "
          "(box, score, class, %s)", tn, a, b, extra,
          task == YOLO_TASK_POSE ? "keypoints" : task == YOLO_TASK_OBB ?
          "angle" : "mask coefficients");
      return FALSE;
    }
    l->n_boxes = (int) a;
    return TRUE;
  }
  if (a < 5 + extra) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s head: output [1, %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
        "] needs 4 box rows, at least one class and %" G_GINT64_FORMAT
        " %s rows", tn, a, b, extra, task == YOLO_TASK_POSE ? "keypoint" :
        task == YOLO_TASK_OBB ? "angle" : "mask coefficient");
    return FALSE;
  }
  l->n_classes = (int) (a - 4 - extra);
  l->n_boxes = (int) b;
  return TRUE;
}

typedef struct
{
  float score;
  int cls;
  int src;                      /* box index in the output */
  double cx, cy, w, h, angle;   /* input pixels */
} Candidate;

static gint
cmp_cand (gconstpointer pa, gconstpointer pb)
{
  const Candidate *a = pa, *b = pb;
  return a->score > b->score ? -1 : a->score < b->score ? 1 : 0;
}

static inline gboolean
class_kept (const YoloHeadParams * p, int c)
{
  if (!p->class_mask)
    return TRUE;
  return c >= 0 && c < p->n_class_mask && p->class_mask[c];
}

static void
add_cand (GArray * c, float score, int cls, int src, double cx, double cy,
    double w, double h, double angle)
{
  Candidate k = { score, cls, src, cx, cy, w, h, angle };
  if (!isfinite (score) || !isfinite (cx) || !isfinite (cy) || !isfinite (w)
      || !isfinite (h) || !isfinite (angle))
    return;
  g_array_append_val (c, k);
}

static void
covariance (double w, double h, double r, double *a, double *b, double *c)
{
  double A = w * w / 12.0, B = h * h / 12.0, co = cos (r), si = sin (r);
  *a = A * co * co + B * si * si;
  *b = A * si * si + B * co * co;
  *c = (A - B) * co * si;
}

double
yolo_obb_probiou (double x1, double y1, double w1, double h1, double r1,
    double x2, double y2, double w2, double h2, double r2)
{
  const double eps = 1e-7;
  double a1, b1, c1, a2, b2, c2, den, t1, t2, t3, bd, hd;

  covariance (w1, h1, r1, &a1, &b1, &c1);
  covariance (w2, h2, r2, &a2, &b2, &c2);
  den = (a1 + a2) * (b1 + b2) - (c1 + c2) * (c1 + c2);
  t1 = ((a1 + a2) * (y1 - y2) * (y1 - y2) + (b1 + b2) * (x1 - x2) * (x1 -
          x2)) / (den + eps) * 0.25;
  t2 = ((c1 + c2) * (x2 - x1) * (y1 - y2)) / (den + eps) * 0.5;
  t3 = log (den / (4.0 * sqrt (MAX (a1 * b1 - c1 * c1, 0.0) *
              MAX (a2 * b2 - c2 * c2, 0.0)) + eps) + eps) * 0.5;
  bd = CLAMP (t1 + t2 + t3, eps, 100.0);
  hd = sqrt (1.0 - exp (-bd) + eps);
  return 1.0 - hd;
}

/* Fast-NMS (Ultralytics' TorchNMS.fast_nms, used for rotated boxes): a
 * box is dropped when any higher-scoring box of its class, kept or not,
 * has probiou >= thr with it. */
static void
obb_fast_nms (GArray * c, float thr, gboolean agnostic)
{
  Candidate *k = (Candidate *) c->data;
  guint n = c->len, n_keep = 0;
  guint8 *drop = g_new0 (guint8, n);

  for (guint j = 1; j < n; j++)
    for (guint i = 0; i < j && !drop[j]; i++)
      if ((agnostic || k[i].cls == k[j].cls)
          && yolo_obb_probiou (k[i].cx, k[i].cy, k[i].w, k[i].h, k[i].angle,
              k[j].cx, k[j].cy, k[j].w, k[j].h, k[j].angle) >= thr)
        drop[j] = 1;
  for (guint i = 0; i < n; i++)
    if (!drop[i])
      k[n_keep++] = k[i];
  g_free (drop);
  g_array_set_size (c, n_keep);
}

static inline double
map_x (const YoloLetterbox * lb, double x)
{
  return (x - lb->pad_x) / lb->scale_x;
}

static inline double
map_y (const YoloLetterbox * lb, double y)
{
  return (y - lb->pad_y) / lb->scale_y;
}

static void
to_detection (const YoloTaskLayout * l, const Candidate * k,
    const YoloLetterbox * lb, YoloTaskDetection * d)
{
  double x1, y1, x2, y2;

  memset (d, 0, sizeof (*d));
  if (l->task == YOLO_TASK_OBB) {
    double w = k->w, h = k->h, a = k->angle, co, si, ex, ey;
    /* Ultralytics' regularize_rboxes: w >= h, angle in [0, pi) */
    if (w < h) {
      double t = w;
      w = h;
      h = t;
      a += G_PI / 2;
    }
    a = fmod (a, G_PI);
    if (a < 0)
      a += G_PI;
    co = cos (a);
    si = sin (a);
    d->cx = (float) map_x (lb, k->cx);
    d->cy = (float) map_y (lb, k->cy);
    /* each side scaled along its own direction (exact for the letterbox's
     * uniform scale; stretch only approximates a rotated box) */
    d->w = (float) (w * hypot (co / lb->scale_x, si / lb->scale_y));
    d->h = (float) (h * hypot (si / lb->scale_x, co / lb->scale_y));
    d->angle = (float) a;
    ex = fabs (d->w / 2.0 * co) + fabs (d->h / 2.0 * si);
    ey = fabs (d->w / 2.0 * si) + fabs (d->h / 2.0 * co);
    x1 = d->cx - ex;
    x2 = d->cx + ex;
    y1 = d->cy - ey;
    y2 = d->cy + ey;
  } else {
    x1 = map_x (lb, k->cx - k->w / 2);
    y1 = map_y (lb, k->cy - k->h / 2);
    x2 = map_x (lb, k->cx + k->w / 2);
    y2 = map_y (lb, k->cy + k->h / 2);
  }
  d->box.x1 = (float) CLAMP (x1, 0.0, (double) lb->frame_w);
  d->box.y1 = (float) CLAMP (y1, 0.0, (double) lb->frame_h);
  d->box.x2 = (float) CLAMP (x2, 0.0, (double) lb->frame_w);
  d->box.y2 = (float) CLAMP (y2, 0.0, (double) lb->frame_h);
  d->box.score = k->score;
  d->box.class_id = k->cls;
  if (l->task != YOLO_TASK_OBB) {
    d->cx = (d->box.x1 + d->box.x2) / 2;
    d->cy = (d->box.y1 + d->box.y2) / 2;
    d->w = d->box.x2 - d->box.x1;
    d->h = d->box.y2 - d->box.y1;
  }
}

/* value v (0..E-1) of box src */
static inline float
extra_value (const YoloTaskLayout * l, const float *data, int src, int v)
{
  if (l->end2end)
    return data[(gsize) src * (6 + l->n_extra) + 6 + v];
  return data[(gsize) (4 + l->n_classes + v) * l->n_boxes + src];
}

YoloTaskResult *
yolo_task_decode (const YoloTaskLayout * l, const YoloHeadParams * p,
    const float *data, const YoloLetterbox * lb)
{
  YoloTaskResult *r = g_new0 (YoloTaskResult, 1);
  GArray *cand = g_array_new (FALSE, FALSE, sizeof (Candidate));
  int n = l->n_boxes, nc = l->n_classes;
  float conf = p->conf_threshold;
  gboolean obb = l->task == YOLO_TASK_OBB;

  r->dets = g_array_new (FALSE, FALSE, sizeof (YoloTaskDetection));
  r->values = g_array_new (FALSE, FALSE, sizeof (float));
  r->n_values = l->task == YOLO_TASK_POSE ? l->n_keypoints * 3 :
      l->task == YOLO_TASK_SEGMENT ? l->n_masks : 0;
  g_return_val_if_fail (l->task != YOLO_TASK_CLASSIFY, r);

  if (l->end2end) {
    int cols = 6 + l->n_extra;
    for (int i = 0; i < n; i++) {
      const float *row = data + (gsize) cols * i;
      int c;
      if (!(row[4] > conf) || !(row[5] >= 0.0f) || row[5] > G_MAXINT32)
        continue;
      c = (int) row[5];
      if (!class_kept (p, c))
        continue;
      if (obb)
        add_cand (cand, row[4], c, i, row[0], row[1], row[2], row[3], row[6]);
      else
        add_cand (cand, row[4], c, i, ((double) row[0] + row[2]) / 2,
            ((double) row[1] + row[3]) / 2, (double) row[2] - row[0],
            (double) row[3] - row[1], 0.0);
    }
  } else {
    float *best = g_new (float, n);
    int *cls = g_new0 (int, n);
    const float *row = data + (gsize) 4 * n;
    for (int i = 0; i < n; i++)
      best[i] = isnan (row[i]) ? -INFINITY : row[i];
    for (int c = 1; c < nc; c++) {
      row = data + (gsize) (4 + c) * n;
      for (int i = 0; i < n; i++) {
        if (row[i] > best[i]) {
          best[i] = row[i];
          cls[i] = c;
        }
      }
    }
    for (int i = 0; i < n; i++) {
      if (!(best[i] > conf) || !class_kept (p, cls[i]))
        continue;
      add_cand (cand, best[i], cls[i], i, data[i], data[n + i],
          data[2 * n + i], data[3 * n + i],
          obb ? extra_value (l, data, i, 0) : 0.0);
    }
    g_free (best);
    g_free (cls);
  }

  g_array_sort (cand, cmp_cand);
  if (cand->len > MAX_NMS_CANDIDATES)
    g_array_set_size (cand, MAX_NMS_CANDIDATES);

  if (obb && !l->end2end)
    obb_fast_nms (cand, p->iou_threshold, p->agnostic);

  for (guint i = 0; i < cand->len; i++) {
    YoloTaskDetection d;
    to_detection (l, &g_array_index (cand, Candidate, i), lb, &d);
    d.values_offset = i;        /* candidate index until values are filled */
    g_array_append_val (r->dets, d);
  }
  if (!obb && !l->end2end) {
    /* greedy NMS on the frame boxes, as yolo_head_nms */
    YoloTaskDetection *d = (YoloTaskDetection *) r->dets->data;
    guint nd = r->dets->len, n_keep = 0;
    guint8 *dead = g_new0 (guint8, nd);
    for (guint i = 0; i < nd; i++) {
      if (dead[i])
        continue;
      d[n_keep++] = d[i];
      for (guint j = i + 1; j < nd; j++) {
        if (dead[j] || (!p->agnostic && d[j].box.class_id != d[i].box.class_id))
          continue;
        if (yolo_box_iou (&d[i].box, &d[j].box) > p->iou_threshold)
          dead[j] = 1;
      }
    }
    g_free (dead);
    g_array_set_size (r->dets, n_keep);
  }
  if (p->max_detections > 0 && r->dets->len > (guint) p->max_detections)
    g_array_set_size (r->dets, p->max_detections);

  /* the kept detections' keypoints / coefficients */
  if (r->n_values > 0)
    g_array_set_size (r->values, (gsize) r->n_values * r->dets->len);
  for (guint i = 0; i < r->dets->len; i++) {
    YoloTaskDetection *d = &g_array_index (r->dets, YoloTaskDetection, i);
    const Candidate *k = &g_array_index (cand, Candidate, d->values_offset);
    float *v = (float *) r->values->data + (gsize) r->n_values * i;
    d->values_offset = (guint) r->n_values * i;
    if (l->task == YOLO_TASK_POSE) {
      int D = l->keypoint_dims;
      for (int j = 0; j < l->n_keypoints; j++) {
        double x = map_x (lb, extra_value (l, data, k->src, j * D));
        double y = map_y (lb, extra_value (l, data, k->src, j * D + 1));
        /* Ultralytics clips keypoints to the frame (scale_coords) */
        v[3 * j] = isfinite (x) ? (float) CLAMP (x, 0.0, lb->frame_w) : 0.0f;
        v[3 * j + 1] = isfinite (y) ? (float) CLAMP (y, 0.0, lb->frame_h)
            : 0.0f;
        v[3 * j + 2] = D == 3 ? extra_value (l, data, k->src, j * D + 2) : 1.0f;
      }
    } else if (l->task == YOLO_TASK_SEGMENT) {
      for (int j = 0; j < l->n_masks; j++)
        v[j] = extra_value (l, data, k->src, j);
    }
  }
  g_array_unref (cand);
  return r;
}

void
yolo_task_result_free (YoloTaskResult * r)
{
  if (!r)
    return;
  g_array_unref (r->dets);
  g_array_unref (r->values);
  g_free (r);
}

static gint
cmp_class_score (gconstpointer pa, gconstpointer pb)
{
  const YoloClassScore *a = pa, *b = pb;
  if (a->score != b->score)
    return a->score > b->score ? -1 : 1;
  return a->class_id - b->class_id;
}

GArray *
yolo_classify_top_k (const float *scores, int nc, int k,
    const YoloHeadParams * p)
{
  GArray *out = g_array_new (FALSE, FALSE, sizeof (YoloClassScore));

  for (int c = 0; c < nc; c++) {
    YoloClassScore s = { c, scores[c] };
    if (isnan (scores[c]) || (p && !class_kept (p, c)))
      continue;
    g_array_append_val (out, s);
  }
  g_array_sort (out, cmp_class_score);
  if (k > 0 && out->len > (guint) k)
    g_array_set_size (out, k);
  return out;
}

void
yolo_segment_mask (const YoloTaskLayout * l, const YoloTaskResult * r,
    const YoloTaskDetection * det, const float *protos, int mh, int mw,
    int input_w, int input_h, const YoloLetterbox * lb, int x0, int y0,
    int out_w, int out_h, guint8 * out)
{
  const float *coef = (const float *) r->values->data + det->values_offset;
  int M = l->n_masks;
  double sx = (double) mw / input_w, sy = (double) mh / input_h;
  int px0, px1, py0, py1, pw;
  float *logit;

  memset (out, 0, (gsize) out_w * out_h);
  if (out_w <= 0 || out_h <= 0)
    return;
  /* the prototype cells the box's pixels sample from (+1 for bilinear) */
  px0 = (int) floor ((det->box.x1 * lb->scale_x + lb->pad_x) * sx - 1.0);
  px1 = (int) ceil ((det->box.x2 * lb->scale_x + lb->pad_x) * sx + 1.0);
  py0 = (int) floor ((det->box.y1 * lb->scale_y + lb->pad_y) * sy - 1.0);
  py1 = (int) ceil ((det->box.y2 * lb->scale_y + lb->pad_y) * sy + 1.0);
  px0 = CLAMP (px0, 0, mw - 1);
  px1 = CLAMP (px1, 0, mw - 1);
  py0 = CLAMP (py0, 0, mh - 1);
  py1 = CLAMP (py1, 0, mh - 1);
  pw = px1 - px0 + 1;
  logit = g_new0 (float, (gsize) pw * (py1 - py0 + 1));
  for (int m = 0; m < M; m++) {
    const float *pl = protos + (gsize) m * mh * mw;
    for (int y = py0; y <= py1; y++)
      for (int x = px0; x <= px1; x++)
        logit[(gsize) (y - py0) * pw + x - px0] += coef[m] *
            pl[(gsize) y * mw + x];
  }
  for (int j = 0; j < out_h; j++) {
    double fy = y0 + j + 0.5;
    double v, py, wy;
    int iy, iy1;
    if (fy < det->box.y1 || fy >= det->box.y2)
      continue;
    /* frame pixel centre -> model input -> prototype cell (half-pixel
     * centres, as bilinear interpolation without align_corners) */
    py = (fy * lb->scale_y + lb->pad_y) * sy - 0.5;
    py = CLAMP (py, 0.0, mh - 1.0);
    iy = (int) floor (py);
    iy1 = MIN (iy + 1, mh - 1);
    wy = py - iy;
    iy = CLAMP (iy, py0, py1);
    iy1 = CLAMP (iy1, py0, py1);
    for (int i = 0; i < out_w; i++) {
      double fx = x0 + i + 0.5, px, wx;
      int ix, ix1;
      const float *r0, *r1;
      if (fx < det->box.x1 || fx >= det->box.x2)
        continue;
      px = (fx * lb->scale_x + lb->pad_x) * sx - 0.5;
      px = CLAMP (px, 0.0, mw - 1.0);
      ix = (int) floor (px);
      ix1 = MIN (ix + 1, mw - 1);
      wx = px - ix;
      ix = CLAMP (ix, px0, px1);
      ix1 = CLAMP (ix1, px0, px1);
      r0 = logit + (gsize) (iy - py0) * pw;
      r1 = logit + (gsize) (iy1 - py0) * pw;
      v = (1 - wy) * ((1 - wx) * r0[ix - px0] + wx * r0[ix1 - px0])
          + wy * ((1 - wx) * r1[ix - px0] + wx * r1[ix1 - px0]);
      /* sigmoid(v) > 0.5 */
      out[(gsize) j * out_w + i] = v > 0.0;
    }
  }
  g_free (logit);
}
