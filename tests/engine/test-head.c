/* test-head.c - YOLO head decoding (yolo-head.c) on synthetic tensors:
 * every family's layout, thresholds, NMS, class filter, max-detections,
 * box mapping and clipping, and a random comparison against a direct
 * transcription of reference_detect.py. No device needed. */
#include "yolo-head.h"
#include "yolo-engine.h"

#include <math.h>
#include <string.h>

static guint32 rng = 0x9e3779b9u;

static float
frand (float lo, float hi)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return lo + (hi - lo) * ((rng >> 8) / 16777216.0f);
}

/* identity mapping: input == frame */
static YoloLetterbox
identity_lb (int w, int h)
{
  YoloLetterbox lb;
  yolo_letterbox_compute (w, h, w, h, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
  return lb;
}

/* Ultralytics tensor [4+nc, n] with box i at (cx,cy,w,h) and scores. */
static void
ul_set (float *t, int nc, int n, int i, float cx, float cy, float w, float h,
    int cls, float score)
{
  t[0 * n + i] = cx;
  t[1 * n + i] = cy;
  t[2 * n + i] = w;
  t[3 * n + i] = h;
  for (int c = 0; c < nc; c++)
    t[(4 + c) * n + i] = c == cls ? score : 0.01f;
}

static void
assert_box (const YoloDetection * d, float x1, float y1, float x2, float y2)
{
  g_assert_cmpfloat_with_epsilon (d->x1, x1, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->y1, y1, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->x2, x2, 1e-3);
  g_assert_cmpfloat_with_epsilon (d->y2, y2, 1e-3);
}

static void
test_layout (void)
{
  YoloHeadLayout l;
  GError *err = NULL;
  gint64 ul[3] = { 1, 84, 8400 }, e2e[3] = { 1, 300, 6 }, v5[3] = { 1, 25200,
    85
  };
  gint64 yx[3] = { 1, 3549, 85 }, bad[3] = { 1, 3548, 85 }, tiny[3] = { 1, 4,
    10
  };

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3, ul,
          640, 640, &err));
  g_assert_cmpint (l.n_classes, ==, 80);
  g_assert_cmpint (l.n_boxes, ==, 8400);
  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_END2END, 3, e2e,
          640, 640, &err));
  g_assert_cmpint (l.n_boxes, ==, 300);
  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOV5, 3, v5,
          640, 640, &err));
  g_assert_cmpint (l.n_classes, ==, 80);
  g_assert_cmpint (l.n_boxes, ==, 25200);
  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOX, 3, yx,
          416, 416, &err));
  g_assert_cmpint (l.n_boxes, ==, 3549);
  g_assert_no_error (err);

  g_assert_false (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOX, 3, bad,
          416, 416, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
  g_clear_error (&err);
  g_assert_false (yolo_head_layout_init (&l, YOLO_FAMILY_END2END, 3, ul,
          640, 640, &err));
  g_clear_error (&err);
  g_assert_false (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3,
          tiny, 640, 640, &err));
  g_clear_error (&err);
  g_assert_false (yolo_head_layout_init (&l, YOLO_FAMILY_UNKNOWN, 3, ul,
          640, 640, &err));
  g_assert_nonnull (strstr (err->message, "model-family"));
  g_clear_error (&err);
  g_assert_false (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 4, ul,
          640, 640, &err));
  g_clear_error (&err);
}

static void
test_ultralytics (void)
{
  enum
  { NC = 3, N = 8 };
  float t[(4 + NC) * N];
  gint64 dims[3] = { 1, 4 + NC, N };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb = identity_lb (100, 100);
  GArray *d;

  for (int i = 0; i < N; i++)
    ul_set (t, NC, N, i, 50, 50, 10, 10, 0, 0.0f);
  ul_set (t, NC, N, 0, 20, 20, 10, 10, 1, 0.9f);
  ul_set (t, NC, N, 1, 21, 20, 10, 10, 1, 0.8f);        /* suppressed by 0 */
  ul_set (t, NC, N, 2, 21, 20, 10, 10, 2, 0.7f);        /* other class: kept */
  ul_set (t, NC, N, 3, 80, 80, 10, 10, 0, 0.25f);       /* == conf: dropped */
  ul_set (t, NC, N, 4, 80, 80, 10, 10, 0, 0.26f);
  ul_set (t, NC, N, 5, 98, 2, 10, 10, 2, 0.5f); /* clipped */

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3, dims,
          100, 100, NULL));
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 4);
  YoloDetection *r = (YoloDetection *) d->data;
  g_assert_cmpint (r[0].class_id, ==, 1);
  g_assert_cmpfloat (r[0].score, ==, 0.9f);
  assert_box (&r[0], 15, 15, 25, 25);
  g_assert_cmpint (r[1].class_id, ==, 2);
  g_assert_cmpfloat (r[1].score, ==, 0.7f);
  g_assert_cmpint (r[2].class_id, ==, 2);
  assert_box (&r[2], 93, 0, 100, 7);
  g_assert_cmpfloat (r[3].score, ==, 0.26f);
  g_array_unref (d);

  /* agnostic: the class-2 box overlapping box 0 goes too */
  p.agnostic = TRUE;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 3);
  g_array_unref (d);
  p.agnostic = FALSE;

  /* iou threshold 0.95 keeps the near-duplicate */
  p.iou_threshold = 0.95f;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 5);
  g_array_unref (d);
  p.iou_threshold = 0.7f;

  /* max detections keeps the best */
  p.max_detections = 2;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpfloat (g_array_index (d, YoloDetection, 1).score, ==, 0.7f);
  g_array_unref (d);
  p.max_detections = 300;

  /* class filter: class 0 only */
  guint8 mask[3] = { 1, 0, 0 };
  p.class_mask = mask;
  p.n_class_mask = 3;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 1);
  g_assert_cmpint (g_array_index (d, YoloDetection, 0).class_id, ==, 0);
  g_array_unref (d);
  p.class_mask = NULL;

  /* higher conf */
  p.conf_threshold = 0.75f;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 1);
  g_array_unref (d);
}

static void
test_letterbox_mapping (void)
{
  enum
  { NC = 1, N = 2 };
  float t[(4 + NC) * N];
  gint64 dims[3] = { 1, 4 + NC, N };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb;
  GArray *d;

  /* 810x1080 frame in a 640 input: scale 640/1080, pad x 80 */
  yolo_letterbox_compute (810, 1080, 640, 640, YOLO_RESIZE_LETTERBOX, TRUE,
      &lb);
  ul_set (t, NC, N, 0, 320, 320, 100, 200, 0, 0.9f);
  ul_set (t, NC, N, 1, 85, 630, 20, 40, 0, 0.8f);       /* into the padding */
  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3, dims,
          640, 640, NULL));
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 2);
  double r = 640.0 / 1080;
  assert_box (&g_array_index (d, YoloDetection, 0), (270 - 80) / r,
      220 / r, (370 - 80) / r, 420 / r);
  assert_box (&g_array_index (d, YoloDetection, 1), 0, 610 / r,
      (95 - 80) / r, 1080);
  g_array_unref (d);

  /* stretch: independent scales, no padding */
  yolo_letterbox_compute (1280, 720, 640, 640, YOLO_RESIZE_STRETCH, TRUE, &lb);
  d = yolo_head_decode (&l, &p, t, &lb);
  assert_box (&g_array_index (d, YoloDetection, 0), 270 * 2.0,
      220 * 720 / 640.0, 370 * 2.0, 420 * 720 / 640.0);
  g_array_unref (d);
}

static void
test_end2end (void)
{
  float t[4 * 6] = {
    10, 10, 30, 30, 0.9f, 2,
    11, 10, 31, 30, 0.8f, 2,    /* overlapping, same class: no NMS */
    50, 50, 60, 60, 0.2f, 1,    /* below conf */
    50, 50, 120, 60, 0.6f, 7,   /* clipped at 100 */
  };
  gint64 dims[3] = { 1, 4, 6 };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb = identity_lb (100, 100);
  GArray *d;

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_END2END, 3, dims,
          100, 100, NULL));
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 3);
  assert_box (&g_array_index (d, YoloDetection, 0), 10, 10, 30, 30);
  assert_box (&g_array_index (d, YoloDetection, 1), 11, 10, 31, 30);
  g_assert_cmpint (g_array_index (d, YoloDetection, 2).class_id, ==, 7);
  assert_box (&g_array_index (d, YoloDetection, 2), 50, 50, 100, 60);
  g_array_unref (d);

  guint8 mask[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
  p.class_mask = mask;
  p.n_class_mask = 8;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 1);
  g_array_unref (d);

  /* class ids from a hostile model: 2^31 (as float: G_MAXINT32 rounds up
   * to it, an undefined cast that gave class -2^31), inf, NaN, -1: rows
   * dropped; 2^31 - 128 (the largest float below) kept */
  {
    float h[5 * 6] = {
      10, 10, 30, 30, 0.9f, 2147483648.0f,
      10, 10, 30, 30, 0.9f, INFINITY,
      10, 10, 30, 30, 0.9f, NAN,
      10, 10, 30, 30, 0.9f, -1.0f,
      10, 10, 30, 30, 0.9f, 2147483520.0f,
    };
    gint64 hd[3] = { 1, 5, 6 };
    YoloHeadParams q = YOLO_HEAD_PARAMS_DEFAULT;

    g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_END2END, 3, hd,
            100, 100, NULL));
    d = yolo_head_decode (&l, &q, h, &lb);
    g_assert_cmpuint (d->len, ==, 1);
    g_assert_cmpint (g_array_index (d, YoloDetection, 0).class_id, ==,
        2147483520);
    g_array_unref (d);
  }
}

static void
test_yolov5 (void)
{
  enum
  { NC = 2, N = 3 };
  float t[N * (5 + NC)] = {
    20, 20, 10, 10, 0.5f, 0.9f, 0.1f,   /* 0.45, class 0 */
    60, 60, 10, 10, 0.9f, 0.2f, 0.25f,  /* 0.225: dropped */
    80, 80, 10, 10, 1.0f, 0.3f, 0.6f,   /* 0.6, class 1 */
  };
  gint64 dims[3] = { 1, N, 5 + NC };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb = identity_lb (100, 100);
  GArray *d;

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOV5, 3, dims,
          100, 100, NULL));
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 2);
  g_assert_cmpint (g_array_index (d, YoloDetection, 0).class_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 0).score,
      0.6f, 1e-6);
  g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 1).score,
      0.45f, 1e-6);
  assert_box (&g_array_index (d, YoloDetection, 1), 15, 15, 25, 25);
  g_array_unref (d);
}

static void
test_yolox (void)
{
  /* 64x32 input: grids 8x4, 4x2, 2x1 = 32 + 8 + 2 = 42 cells */
  enum
  { NC = 2, N = 42 };
  float t[N * (5 + NC)];
  gint64 dims[3] = { 1, N, 5 + NC };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb;
  GArray *d;

  memset (t, 0, sizeof (t));
  /* stride 16 grid (4 wide), cell (gx=3, gy=1) = index 32 + 1*4 + 3 */
  float *r = t + (32 + 7) * (5 + NC);
  r[0] = 0.5f;
  r[1] = 0.25f;
  r[2] = logf (2.0f);
  r[3] = 0.0f;
  r[4] = 0.8f;
  r[6] = 0.9f;
  /* stride 32 grid, cell (1, 0) = index 41 */
  r = t + 41 * (5 + NC);
  r[0] = 0.0f;
  r[1] = 0.5f;
  r[4] = 1.0f;
  r[5] = 0.5f;

  /* top-left letterbox of a 128x64 frame: scale 0.5 */
  yolo_letterbox_compute (128, 64, 64, 32, YOLO_RESIZE_LETTERBOX, FALSE, &lb);
  g_assert_cmpint (lb.pad_x, ==, 0);
  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOX, 3, dims, 64,
          32, NULL));
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 2);
  YoloDetection *a = &g_array_index (d, YoloDetection, 0);
  g_assert_cmpint (a->class_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (a->score, 0.72f, 1e-6);
  /* cx = 3.5*16 = 56, cy = 1.25*16 = 20, w = 32, h = 16 -> frame x2 */
  assert_box (a, 80, 24, 128, 56);
  YoloDetection *b = &g_array_index (d, YoloDetection, 1);
  /* cx = 32, cy = 16, w = h = 32 */
  assert_box (b, 32, 0, 96, 64);
  g_array_unref (d);
}

/* ---- random comparison with reference_detect.py's algorithm ------------- */

typedef struct
{
  double b[4];
  float s;
  int c;
} RefDet;

static int
ref_cmp (const void *pa, const void *pb)
{
  const RefDet *a = pa, *b = pb;
  return a->s > b->s ? -1 : a->s < b->s ? 1 : 0;
}

/* argmax, s > conf, xyxy, (xyxy - pad) / r, clip, NMS with class offsets */
static int
ref_ultralytics (const float *t, int nc, int n, const YoloLetterbox * lb,
    float conf, float iou, RefDet * out)
{
  int k = 0;
  for (int i = 0; i < n; i++) {
    int c = 0;
    float s = t[4 * n + i];
    for (int j = 1; j < nc; j++)
      if (t[(4 + j) * n + i] > s) {
        s = t[(4 + j) * n + i];
        c = j;
      }
    if (!(s > conf))
      continue;
    double cx = t[i], cy = t[n + i], w = t[2 * n + i], h = t[3 * n + i];
    double xy[4] = { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2 };
    xy[0] = CLAMP ((xy[0] - lb->pad_x) / lb->scale_x, 0, lb->frame_w);
    xy[1] = CLAMP ((xy[1] - lb->pad_y) / lb->scale_y, 0, lb->frame_h);
    xy[2] = CLAMP ((xy[2] - lb->pad_x) / lb->scale_x, 0, lb->frame_w);
    xy[3] = CLAMP ((xy[3] - lb->pad_y) / lb->scale_y, 0, lb->frame_h);
    memcpy (out[k].b, xy, sizeof (xy));
    out[k].s = s;
    out[k].c = c;
    k++;
  }
  qsort (out, k, sizeof (RefDet), ref_cmp);
  gboolean *dead = g_new0 (gboolean, k);
  int m = 0;
  for (int i = 0; i < k; i++) {
    if (dead[i])
      continue;
    out[m++] = out[i];
    double oi = out[i].c * 10000.0;
    for (int j = i + 1; j < k; j++) {
      if (dead[j])
        continue;
      double oj = out[j].c * 10000.0;
      double xx1 = MAX (out[i].b[0] + oi, out[j].b[0] + oj);
      double yy1 = MAX (out[i].b[1] + oi, out[j].b[1] + oj);
      double xx2 = MIN (out[i].b[2] + oi, out[j].b[2] + oj);
      double yy2 = MIN (out[i].b[3] + oi, out[j].b[3] + oj);
      double inter = MAX (xx2 - xx1, 0) * MAX (yy2 - yy1, 0);
      double ai = (out[i].b[2] - out[i].b[0]) * (out[i].b[3] - out[i].b[1]);
      double aj = (out[j].b[2] - out[j].b[0]) * (out[j].b[3] - out[j].b[1]);
      if (inter / (ai + aj - inter + 1e-9) > iou)
        dead[j] = TRUE;
    }
  }
  g_free (dead);
  return m;
}

static void
test_random_vs_reference (void)
{
  enum
  { NC = 5, N = 400 };
  float *t = g_new (float, (4 + NC) * N);
  RefDet *ref = g_new (RefDet, N);
  gint64 dims[3] = { 1, 4 + NC, N };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb;

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3, dims,
          320, 320, NULL));
  for (int round = 0; round < 20; round++) {
    int fw = 100 + (int) frand (0, 900), fh = 100 + (int) frand (0, 900);
    yolo_letterbox_compute (fw, fh, 320, 320, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
    /* clustered boxes so that NMS has work to do */
    for (int i = 0; i < N; i++) {
      int cluster = (int) frand (0, 12);
      float cx = 30 + cluster * 23 % 260, cy = 40 + cluster * 41 % 240;
      t[i] = cx + frand (-8, 8);
      t[N + i] = cy + frand (-8, 8);
      t[2 * N + i] = frand (10, 90);
      t[3 * N + i] = frand (10, 90);
      for (int c = 0; c < NC; c++)
        t[(4 + c) * N + i] = frand (0, 1) * frand (0, 1);
    }
    p.conf_threshold = frand (0.05f, 0.5f);
    p.iou_threshold = frand (0.3f, 0.8f);
    int m = ref_ultralytics (t, NC, N, &lb, p.conf_threshold,
        p.iou_threshold, ref);
    GArray *d = yolo_head_decode (&l, &p, t, &lb);
    g_assert_cmpint (d->len, ==, MIN (m, 300));
    for (guint i = 0; i < d->len; i++) {
      YoloDetection *x = &g_array_index (d, YoloDetection, i);
      g_assert_cmpint (x->class_id, ==, ref[i].c);
      g_assert_cmpfloat (x->score, ==, ref[i].s);
      g_assert_cmpfloat_with_epsilon (x->x1, ref[i].b[0], 1e-3);
      g_assert_cmpfloat_with_epsilon (x->y1, ref[i].b[1], 1e-3);
      g_assert_cmpfloat_with_epsilon (x->x2, ref[i].b[2], 1e-3);
      g_assert_cmpfloat_with_epsilon (x->y2, ref[i].b[3], 1e-3);
    }
    g_array_unref (d);
  }
  g_free (t);
  g_free (ref);
}

static void
test_empty (void)
{
  enum
  { NC = 80, N = 100 };
  float *t = g_new0 (float, (4 + NC) * N);
  gint64 dims[3] = { 1, 4 + NC, N };
  YoloHeadLayout l;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb = identity_lb (64, 64);

  g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3, dims,
          64, 64, NULL));
  GArray *d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 0);
  g_array_unref (d);
  /* NaN scores never pass */
  for (int i = 0; i < (4 + NC) * N; i++)
    t[i] = NAN;
  d = yolo_head_decode (&l, &p, t, &lb);
  g_assert_cmpuint (d->len, ==, 0);
  g_array_unref (d);
  g_free (t);
}

/* every detection out of the head has a finite score in (conf, +inf) and a
 * finite box inside the frame */
static void
assert_all_finite (GArray * d, const YoloLetterbox * lb)
{
  for (guint i = 0; i < d->len; i++) {
    const YoloDetection *x = &g_array_index (d, YoloDetection, i);
    g_assert_true (isfinite (x->score));
    g_assert_true (isfinite (x->x1) && isfinite (x->y1));
    g_assert_true (isfinite (x->x2) && isfinite (x->y2));
    g_assert_cmpfloat (x->x1, >=, 0);
    g_assert_cmpfloat (x->x2, <=, lb->frame_w);
    g_assert_cmpfloat (x->y1, >=, 0);
    g_assert_cmpfloat (x->y2, <=, lb->frame_h);
  }
}

/* Non-finite values in the output tensor (a broken model or input) never
 * become detections: a candidate whose best score is +inf, or whose box is
 * NaN or infinite, is dropped; a NaN class score is no score (another class
 * can still win); the finite candidates around them are unaffected. */
static void
test_non_finite (void)
{
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloLetterbox lb = identity_lb (100, 100);
  YoloHeadLayout l;
  GArray *d;

  {                             /* Ultralytics */
    enum
    { NC = 3, N = 9 };
    float t[(4 + NC) * N];
    gint64 dims[3] = { 1, 4 + NC, N };

    for (int i = 0; i < N; i++) /* far apart: no NMS between them */
      ul_set (t, NC, N, i, 5 + 10 * i, 50, 4, 4, 0, 0.0f);
    ul_set (t, NC, N, 0, 5, 50, 4, 4, 0, 0.9f); /* the good one */
    ul_set (t, NC, N, 1, 15, 50, 4, 4, 1, INFINITY);
    ul_set (t, NC, N, 2, 25, 50, 4, 4, 1, -INFINITY);
    ul_set (t, NC, N, 3, 35, 50, 4, 4, 1, NAN);
    ul_set (t, NC, N, 4, NAN, 50, 4, 4, 1, 0.8f);
    ul_set (t, NC, N, 5, 55, 50, INFINITY, 4, 1, 0.8f);
    ul_set (t, NC, N, 6, 65, -INFINITY, 4, 4, 1, 0.8f);
    ul_set (t, NC, N, 7, 75, 50, 4, 4, 2, 0.7f);
    t[4 * N + 7] = NAN;         /* NaN in class 0 (first row): class 2 wins */
    ul_set (t, NC, N, 8, 85, 50, 4, 4, 1, 0.6f);
    t[6 * N + 8] = NAN;         /* NaN in the last class row: class 1 wins */

    g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_ULTRALYTICS, 3,
            dims, 100, 100, NULL));
    d = yolo_head_decode (&l, &p, t, &lb);
    assert_all_finite (d, &lb);
    g_assert_cmpuint (d->len, ==, 3);
    g_assert_cmpfloat (g_array_index (d, YoloDetection, 0).score, ==, 0.9f);
    assert_box (&g_array_index (d, YoloDetection, 0), 3, 48, 7, 52);
    g_assert_cmpfloat (g_array_index (d, YoloDetection, 1).score, ==, 0.7f);
    g_assert_cmpint (g_array_index (d, YoloDetection, 1).class_id, ==, 2);
    g_assert_cmpfloat (g_array_index (d, YoloDetection, 2).score, ==, 0.6f);
    g_assert_cmpint (g_array_index (d, YoloDetection, 2).class_id, ==, 1);
    g_array_unref (d);
  }
  {                             /* end2end */
    float t[5 * 6] = {
      10, 10, 30, 30, 0.9f, 2,
      40, 10, 50, 30, INFINITY, 2,
      NAN, 10, 60, 30, 0.8f, 1,
      40, 40, INFINITY, 60, 0.8f, 1,
      40, 40, 60, 60, NAN, 1,
    };
    gint64 dims[3] = { 1, 5, 6 };

    g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_END2END, 3, dims,
            100, 100, NULL));
    d = yolo_head_decode (&l, &p, t, &lb);
    assert_all_finite (d, &lb);
    g_assert_cmpuint (d->len, ==, 1);
    assert_box (&g_array_index (d, YoloDetection, 0), 10, 10, 30, 30);
    g_array_unref (d);
  }
  {                             /* YOLOv5: objectness times class score */
    enum
    { NC = 2, N = 6 };
    float t[N * (5 + NC)] = {
      10, 10, 4, 4, 0.5f, 0.9f, 0.1f,   /* 0.45, class 0 */
      30, 10, 4, 4, INFINITY, 0.9f, 0.1f,       /* inf: dropped */
      50, 10, 4, 4, INFINITY, 0.0f, 0.0f,       /* inf * 0 = NaN: dropped */
      70, 10, 4, 4, NAN, 0.9f, 0.9f,    /* NaN objectness: dropped */
      90, 10, 4, 4, 1.0f, NAN, 0.6f,    /* NaN class 0: class 1, 0.6 */
      10, 60, NAN, 4, 1.0f, 0.9f, 0.1f, /* NaN box: dropped */
    };
    gint64 dims[3] = { 1, N, 5 + NC };

    g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOV5, 3, dims,
            100, 100, NULL));
    d = yolo_head_decode (&l, &p, t, &lb);
    assert_all_finite (d, &lb);
    g_assert_cmpuint (d->len, ==, 2);
    g_assert_cmpint (g_array_index (d, YoloDetection, 0).class_id, ==, 1);
    g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 0).score,
        0.6f, 1e-6);
    assert_box (&g_array_index (d, YoloDetection, 0), 88, 8, 92, 12);
    g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 1).score,
        0.45f, 1e-6);
    g_array_unref (d);
  }
  {                             /* YOLOX: exp() of the size can overflow */
    enum
    { NC = 1, N = 42 };         /* 64x32 input: 32 + 8 + 2 cells */
    float t[N * (5 + NC)];
    gint64 dims[3] = { 1, N, 5 + NC };
    YoloLetterbox lbx = identity_lb (64, 32);

    memset (t, 0, sizeof (t));
    t[0 * (5 + NC) + 4] = 1.0f; /* cell 0: an 8x8 box at (0, 0) */
    t[0 * (5 + NC) + 5] = 0.9f;
    t[5 * (5 + NC) + 2] = 100.0f;       /* cell 5: expf (100) = inf */
    t[5 * (5 + NC) + 4] = 1.0f;
    t[5 * (5 + NC) + 5] = 0.8f;
    t[7 * (5 + NC) + 3] = -INFINITY;    /* cell 7: expf (-inf) = 0: finite */
    t[7 * (5 + NC) + 4] = 1.0f;
    t[7 * (5 + NC) + 5] = 0.7f;
    t[9 * (5 + NC) + 0] = NAN;  /* cell 9: NaN offset */
    t[9 * (5 + NC) + 4] = 1.0f;
    t[9 * (5 + NC) + 5] = 0.6f;

    g_assert_true (yolo_head_layout_init (&l, YOLO_FAMILY_YOLOX, 3, dims, 64,
            32, NULL));
    d = yolo_head_decode (&l, &p, t, &lbx);
    assert_all_finite (d, &lbx);
    g_assert_cmpuint (d->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 0).score,
        0.9f, 1e-6);
    g_assert_cmpfloat_with_epsilon (g_array_index (d, YoloDetection, 1).score,
        0.7f, 1e-6);
    g_array_unref (d);
  }
}

/* yolo_head_best_class and yolo_head_class_kept, the building blocks the
 * detect and task decoders share. */
static void
test_best_class (void)
{
  enum
  { N = 5, NC = 3 };
  /* 4 box rows, 3 class rows, 1 extra row (an angle) */
  float t[(4 + NC + 1) * N];
  float best[N];
  int cls[N];
  static const guint8 mask[2] = { 0, 1 };
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  static const float scores[NC][N] = {
    {0.1f, 0.5f, NAN, NAN, 0.2f},
    {0.3f, 0.5f, 0.4f, NAN, 0.2f},
    {0.2f, 0.7f, NAN, NAN, 0.2f},
  };

  for (int i = 0; i < (4 + NC + 1) * N; i++)
    t[i] = 99.0f;               /* boxes and the extra row never count */
  for (int c = 0; c < NC; c++)
    memcpy (t + (4 + c) * N, scores[c], sizeof (scores[c]));
  yolo_head_best_class (t, N, NC, best, cls);
  g_assert_cmpint (cls[0], ==, 1);
  g_assert_cmpfloat (best[0], ==, 0.3f);
  g_assert_cmpint (cls[1], ==, 2);
  g_assert_cmpfloat (best[1], ==, 0.7f);
  /* NaN in the first and the last class row: class 1 */
  g_assert_cmpint (cls[2], ==, 1);
  g_assert_cmpfloat (best[2], ==, 0.4f);
  /* all NaN: -inf, class 0 */
  g_assert_cmpint (cls[3], ==, 0);
  g_assert_true (isinf (best[3]) && best[3] < 0);
  /* equal scores: the lower class */
  g_assert_cmpint (cls[4], ==, 0);
  /* one class */
  yolo_head_best_class (t, N, 1, best, cls);
  g_assert_cmpint (cls[1], ==, 0);
  g_assert_cmpfloat (best[1], ==, 0.5f);

  g_assert_true (yolo_head_class_kept (&p, -1));
  g_assert_true (yolo_head_class_kept (&p, 1000));
  p.class_mask = mask;
  p.n_class_mask = 2;
  g_assert_false (yolo_head_class_kept (&p, 0));
  g_assert_true (yolo_head_class_kept (&p, 1));
  g_assert_false (yolo_head_class_kept (&p, 2));
  g_assert_false (yolo_head_class_kept (&p, -1));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/head/layout", test_layout);
  g_test_add_func ("/head/ultralytics", test_ultralytics);
  g_test_add_func ("/head/letterbox-mapping", test_letterbox_mapping);
  g_test_add_func ("/head/end2end", test_end2end);
  g_test_add_func ("/head/yolov5", test_yolov5);
  g_test_add_func ("/head/yolox", test_yolox);
  g_test_add_func ("/head/random-vs-reference", test_random_vs_reference);
  g_test_add_func ("/head/empty", test_empty);
  g_test_add_func ("/head/non-finite", test_non_finite);
  g_test_add_func ("/head/best-class", test_best_class);
  return g_test_run ();
}
