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
  if (*s++ != ']' || a < 1 || a > 10000 || (b != 2 && b != 3))
    return FALSE;
  /* nothing after the list ("[17, 3]\n..." is not [17, 3]) */
  while (*s == ' ')
    s++;
  if (*s != '\0')
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

/* probiou from the boxes' covariances (a, b, c: covariance ()) */
static double
probiou_cov (double x1, double y1, double a1, double b1, double c1,
    double x2, double y2, double a2, double b2, double c2)
{
  const double eps = 1e-7;
  double den, t1, t2, t3, bd, hd;

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

double
yolo_obb_probiou (double x1, double y1, double w1, double h1, double r1,
    double x2, double y2, double w2, double h2, double r2)
{
  double a1, b1, c1, a2, b2, c2;

  covariance (w1, h1, r1, &a1, &b1, &c1);
  covariance (w2, h2, r2, &a2, &b2, &c2);
  return probiou_cov (x1, y1, a1, b1, c1, x2, y2, a2, b2, c2);
}

typedef struct
{
  double a, b, c;               /* covariance */
  double lmin, lmax;            /* bounds of its eigenvalues */
} BoxCov;

/* Fast-NMS (Ultralytics' TorchNMS.fast_nms, used for rotated boxes): a
 * box is dropped when any higher-scoring box of its class, kept or not,
 * has probiou >= thr with it.
 *
 * Still all pairs (as Ultralytics; at most MAX_NMS_CANDIDATES boxes), but
 * a pair far apart is settled without the transcendental functions: with
 * S = S1 + S2 (eigenvalues in [lmin, lmax]) and d the centres' offset,
 * t1 + t2 = d' adj(S) d / 4 (den + eps) >= |d|^2 lmin / 4 (lmin lmax +
 * eps), and t3 >= log(eps) / 2 (den >= 4 sqrt(det S1 det S2), Minkowski),
 * so when that bound exceeds the distance bd_max at which probiou falls
 * to thr, probiou < thr. The covariances are computed once per box. CPU
 * time for 5000 / 15000 / 30000 boxes of one class that do not overlap:
 * 0.71 / 6.1 / about 25 s before, 0.03 / 0.24 / 1.0 s now. */
static void
obb_fast_nms (GArray * c, float thr, gboolean agnostic)
{
  const double eps = 1e-7;
  Candidate *k = (Candidate *) c->data;
  guint n = c->len, n_keep = 0;
  guint8 *drop = g_new0 (guint8, n);
  BoxCov *cv = g_new (BoxCov, n);
  /* probiou >= thr <=> bd <= -log(1 + eps - (1 - thr)^2); NaN or thr <= 0
   * (every pair suppresses): no shortcut */
  double bd_max = thr > 0.0f && thr <= 1.0f ?
      -log (1.0 + eps - (1.0 - thr) * (1.0 - thr)) : INFINITY;
  double t_min = bd_max - 0.5 * log (eps) + 1.0;        /* + rounding margin */

  for (guint i = 0; i < n; i++) {
    double w2 = k[i].w * k[i].w / 12.0, h2 = k[i].h * k[i].h / 12.0;
    covariance (k[i].w, k[i].h, k[i].angle, &cv[i].a, &cv[i].b, &cv[i].c);
    cv[i].lmin = MIN (w2, h2);
    cv[i].lmax = w2 + h2;
  }
  for (guint j = 1; j < n; j++)
    for (guint i = 0; i < j && !drop[j]; i++) {
      double dx, dy, lmin, lmax;

      if (!agnostic && k[i].cls != k[j].cls)
        continue;
      dx = k[i].cx - k[j].cx;
      dy = k[i].cy - k[j].cy;
      lmin = cv[i].lmin + cv[j].lmin;
      lmax = cv[i].lmax + cv[j].lmax;
      if ((dx * dx + dy * dy) * lmin / (4.0 * (lmin * lmax + eps)) > t_min)
        continue;
      if (probiou_cov (k[i].cx, k[i].cy, cv[i].a, cv[i].b, cv[i].c,
              k[j].cx, k[j].cy, cv[j].a, cv[j].b, cv[j].c) >= thr)
        drop[j] = 1;
    }
  for (guint i = 0; i < n; i++)
    if (!drop[i])
      k[n_keep++] = k[i];
  g_free (cv);
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
    /* the box as the model gave it, unclipped (segment masks crop to it) */
    d->cx = (float) ((x1 + x2) / 2);
    d->cy = (float) ((y1 + y2) / 2);
    d->w = (float) (x2 - x1);
    d->h = (float) (y2 - y1);
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
      /* a class id that fits int (G_MAXINT32 as a float is 2^31) */
      if (!(row[4] > conf) || !(row[5] >= 0.0f && row[5] < 2147483648.0f))
        continue;
      c = (int) row[5];
      if (!yolo_head_class_kept (p, c))
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
    int *cls = g_new (int, n);

    yolo_head_best_class (data, n, nc, best, cls);
    for (int i = 0; i < n; i++) {
      if (!(best[i] > conf) || !yolo_head_class_kept (p, cls[i]))
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
    if (isnan (scores[c]) || (p && !yolo_head_class_kept (p, c)))
      continue;
    g_array_append_val (out, s);
  }
  g_array_sort (out, cmp_class_score);
  if (k > 0 && out->len > (guint) k)
    g_array_set_size (out, k);
  return out;
}

/* bilinear source coordinate (half-pixel centres, clamped: PyTorch's
 * interpolate without align_corners, OpenCV's INTER_LINEAR) of destination
 * index i for a src/dst scale; *i0, *i1 the taps, return the weight of i1 */
static inline double
bilinear_tap (int i, double scale, int n, int *i0, int *i1)
{
  double p = (i + 0.5) * scale - 0.5;
  int f;

  if (p < 0)
    p = 0;
  f = (int) floor (p);
  if (f > n - 1)
    f = n - 1;
  *i0 = f;
  *i1 = MIN (f + 1, n - 1);
  return p - f;
}

/* The letterboxed image inside the input (Ultralytics' scale_masks):
 * columns [*left, *left + *cw), rows [*top, *top + *ch); FALSE if empty. */
static gboolean
segment_cut (const YoloLetterbox * lb, int input_w, int input_h, int *left,
    int *top, int *cw, int *ch)
{
  double padx = (input_w - lb->frame_w * lb->scale_x) / 2;
  double pady = (input_h - lb->frame_h * lb->scale_y) / 2;

  *left = (int) floor (padx - 0.1 + 0.5);
  *top = (int) floor (pady - 0.1 + 0.5);
  *cw = input_w - (int) floor (padx + 0.1 + 0.5) - *left;
  *ch = input_h - (int) floor (pady + 0.1 + 0.5) - *top;
  return *cw >= 1 && *ch >= 1 && lb->frame_w >= 1 && lb->frame_h >= 1;
}

/* The binary mask of det at input pixels [u0, u1] x [v0, v1] (inside the
 * input): coeffs . protos cropped to the box at prototype resolution,
 * bilinear to the input, > 0. A new (u1-u0+1) x (v1-v0+1) array. */
static guint8 *
segment_input_binary (const YoloTaskLayout * l, const YoloTaskResult * r,
    const YoloTaskDetection * det, const float *protos, int mh, int mw,
    int input_w, int input_h, const YoloLetterbox * lb, int u0, int u1,
    int v0, int v1)
{
  const float *coef = (const float *) r->values->data + det->values_offset;
  int M = l->n_masks, uw = u1 - u0 + 1, vh = v1 - v0 + 1;
  int p0, p1, q0, q1, pw, t0, t1;
  double bx1, by1, bx2, by2;
  float *logit;
  guint8 *bin;

  /* the box in prototype cells (unclipped, as the model gave it) */
  bx1 = ((det->cx - det->w / 2) * lb->scale_x + lb->pad_x) * mw / input_w;
  bx2 = ((det->cx + det->w / 2) * lb->scale_x + lb->pad_x) * mw / input_w;
  by1 = ((det->cy - det->h / 2) * lb->scale_y + lb->pad_y) * mh / input_h;
  by2 = ((det->cy + det->h / 2) * lb->scale_y + lb->pad_y) * mh / input_h;
  /* prototype cells those input pixels sample from */
  bilinear_tap (u0, (double) mw / input_w, mw, &p0, &t1);
  bilinear_tap (u1, (double) mw / input_w, mw, &t0, &p1);
  bilinear_tap (v0, (double) mh / input_h, mh, &q0, &t1);
  bilinear_tap (v1, (double) mh / input_h, mh, &t0, &q1);
  pw = p1 - p0 + 1;

  /* coeffs . protos, cropped to the box at prototype resolution
   * (crop_mask: cell index in [x1, x2) x [y1, y2), 0 elsewhere) */
  logit = g_new0 (float, (gsize) pw * (q1 - q0 + 1));
  for (int y = q0; y <= q1; y++) {
    if (y < by1 || y >= by2)
      continue;
    for (int x = p0; x <= p1; x++) {
      float acc = 0.0f;
      if (x < bx1 || x >= bx2)
        continue;
      for (int m = 0; m < M; m++)
        acc += coef[m] * protos[((gsize) m * mh + y) * mw + x];
      logit[(gsize) (y - q0) * pw + x - p0] = acc;
    }
  }
  /* upsampled to the input, > 0 (sigmoid > 0.5) */
  bin = g_new0 (guint8, (gsize) uw * vh);
  for (int v = v0; v <= v1; v++) {
    int a0, a1;
    double wy = bilinear_tap (v, (double) mh / input_h, mh, &a0, &a1);
    const float *r0 = logit + (gsize) (a0 - q0) * pw;
    const float *r1 = logit + (gsize) (a1 - q0) * pw;
    for (int u = u0; u <= u1; u++) {
      int b0, b1;
      double wx = bilinear_tap (u, (double) mw / input_w, mw, &b0, &b1);
      double val = (1 - wy) * ((1 - wx) * r0[b0 - p0] + wx * r0[b1 - p0])
          + wy * ((1 - wx) * r1[b0 - p0] + wx * r1[b1 - p0]);
      bin[(gsize) (v - v0) * uw + u - u0] = val > 0.0;
    }
  }
  g_free (logit);
  return bin;
}

void
yolo_segment_mask (const YoloTaskLayout * l, const YoloTaskResult * r,
    const YoloTaskDetection * det, const float *protos, int mh, int mw,
    int input_w, int input_h, const YoloLetterbox * lb, int x0, int y0,
    int out_w, int out_h, guint8 * out)
{
  int left, top, cw, ch, u0, u1, v0, v1, uw, t0, t1;
  guint8 *bin;

  memset (out, 0, (gsize) MAX (out_w, 0) * MAX (out_h, 0));
  if (out_w <= 0 || out_h <= 0 || mh <= 0 || mw <= 0
      || !segment_cut (lb, input_w, input_h, &left, &top, &cw, &ch))
    return;

  /* input pixels the out pixels sample from */
  bilinear_tap (x0, (double) cw / lb->frame_w, cw, &u0, &t1);
  bilinear_tap (x0 + out_w - 1, (double) cw / lb->frame_w, cw, &t0, &u1);
  bilinear_tap (y0, (double) ch / lb->frame_h, ch, &v0, &t1);
  bilinear_tap (y0 + out_h - 1, (double) ch / lb->frame_h, ch, &t0, &v1);
  u0 += left;
  u1 += left;
  v0 += top;
  v1 += top;
  uw = u1 - u0 + 1;
  bin = segment_input_binary (l, r, det, protos, mh, mw, input_w, input_h,
      lb, u0, u1, v0, v1);
  /* letterbox cut off, resized to the frame, > 0.5 */
  for (int j = 0; j < out_h; j++) {
    int a0, a1;
    double wy = bilinear_tap (y0 + j, (double) ch / lb->frame_h, ch, &a0,
        &a1);
    const guint8 *r0 = bin + (gsize) (a0 + top - v0) * uw;
    const guint8 *r1 = bin + (gsize) (a1 + top - v0) * uw;
    for (int i = 0; i < out_w; i++) {
      int b0, b1;
      double wx = bilinear_tap (x0 + i, (double) cw / lb->frame_w, cw, &b0,
          &b1);
      int c0 = b0 + left - u0, c1 = b1 + left - u0;
      double val = (1 - wy) * ((1 - wx) * r0[c0] + wx * r0[c1])
          + wy * ((1 - wx) * r1[c0] + wx * r1[c1]);
      out[(gsize) j * out_w + i] = val > 0.5;
    }
  }
  g_free (bin);
}

void
yolo_segment_mask_input_size (const YoloLetterbox * lb, int input_w,
    int input_h, int w, int h, int *out_w, int *out_h)
{
  int left, top, cw, ch;

  *out_w = *out_h = 0;
  if (w <= 0 || h <= 0
      || !segment_cut (lb, input_w, input_h, &left, &top, &cw, &ch))
    return;
  *out_w = CLAMP ((int) floor ((double) w * cw / lb->frame_w + 0.5), 1, cw);
  *out_h = CLAMP ((int) floor ((double) h * ch / lb->frame_h + 0.5), 1, ch);
}

/* the input pixel (letterbox cut off: in [0, n)) whose area holds the
 * centre of cell i of n_cells over frame pixels [x0, x0 + w) */
static inline int
segment_cell_pixel (int i, int n_cells, int x0, int w, double scale, int n)
{
  int u = (int) floor ((x0 + (i + 0.5) * w / n_cells) * scale);

  return CLAMP (u, 0, n - 1);
}

void
yolo_segment_mask_input (const YoloTaskLayout * l, const YoloTaskResult * r,
    const YoloTaskDetection * det, const float *protos, int mh, int mw,
    int input_w, int input_h, const YoloLetterbox * lb, int x0, int y0,
    int w, int h, int out_w, int out_h, guint8 * out)
{
  int left, top, cw, ch, u0, u1, v0, v1, uw;
  double sx, sy;
  int *col;
  guint8 *bin;

  memset (out, 0, (gsize) MAX (out_w, 0) * MAX (out_h, 0));
  if (out_w <= 0 || out_h <= 0 || w <= 0 || h <= 0 || mh <= 0 || mw <= 0
      || !segment_cut (lb, input_w, input_h, &left, &top, &cw, &ch))
    return;
  sx = (double) cw / lb->frame_w;
  sy = (double) ch / lb->frame_h;
  u0 = left + segment_cell_pixel (0, out_w, x0, w, sx, cw);
  u1 = left + segment_cell_pixel (out_w - 1, out_w, x0, w, sx, cw);
  v0 = top + segment_cell_pixel (0, out_h, y0, h, sy, ch);
  v1 = top + segment_cell_pixel (out_h - 1, out_h, y0, h, sy, ch);
  uw = u1 - u0 + 1;
  bin = segment_input_binary (l, r, det, protos, mh, mw, input_w, input_h,
      lb, u0, u1, v0, v1);
  col = g_new (int, out_w);
  for (int i = 0; i < out_w; i++)
    col[i] = left + segment_cell_pixel (i, out_w, x0, w, sx, cw) - u0;
  for (int j = 0; j < out_h; j++) {
    const guint8 *row = bin + (gsize) (top + segment_cell_pixel (j, out_h,
            y0, h, sy, ch) - v0) * uw;
    for (int i = 0; i < out_w; i++)
      out[(gsize) j * out_w + i] = row[col[i]];
  }
  g_free (col);
  g_free (bin);
}
