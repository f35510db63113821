/* test-task.c - the pose, obb, segment and classify heads (yolo-task.c) on
 * synthetic tensors: task names and guessing, kpt_shape, layouts and their
 * errors, keypoint mapping and clipping, end-to-end rows, probiou and the
 * rotated Fast-NMS, angle regularisation, top-k, and instance masks
 * against a direct transcription of Ultralytics' process_mask +
 * scale_masks on random shapes. No device needed. */
#include "yolo-task.h"
#include "yolo-engine.h"

#include <math.h>
#include <string.h>

static guint32 rng = 0x2545f491u;

static float
frand (float lo, float hi)
{
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return lo + (hi - lo) * ((rng >> 8) / 16777216.0f);
}

static int
irand (int lo, int hi)
{
  return lo + (int) frand (0.0f, (float) (hi - lo + 1) - 1e-3f);
}

static void
test_names (void)
{
  YoloTask t;
  int k = 0, d = 0;

  g_assert_true (yolo_task_from_name ("pose", &t));
  g_assert_cmpint (t, ==, YOLO_TASK_POSE);
  g_assert_cmpstr (yolo_task_name (YOLO_TASK_OBB), ==, "obb");
  g_assert_cmpstr (yolo_task_name (YOLO_TASK_CLASSIFY), ==, "classify");
  g_assert_false (yolo_task_from_name ("depth", &t));
  g_assert_false (yolo_task_from_name (NULL, &t));

  g_assert_cmpint (yolo_task_guess ("segment", 1, 3, 0), ==, YOLO_TASK_SEGMENT);
  g_assert_cmpint (yolo_task_guess ("depth", 1, 3, 0), ==, YOLO_TASK_UNKNOWN);
  g_assert_cmpint (yolo_task_guess (NULL, 1, 2, 0), ==, YOLO_TASK_CLASSIFY);
  g_assert_cmpint (yolo_task_guess (NULL, 2, 3, 4), ==, YOLO_TASK_SEGMENT);
  g_assert_cmpint (yolo_task_guess ("", 1, 3, 0), ==, YOLO_TASK_DETECT);

  g_assert_true (yolo_parse_kpt_shape ("[17, 3]", &k, &d));
  g_assert_cmpint (k, ==, 17);
  g_assert_cmpint (d, ==, 3);
  g_assert_true (yolo_parse_kpt_shape (" [5,2]", &k, &d));
  g_assert_cmpint (k, ==, 5);
  g_assert_cmpint (d, ==, 2);
  g_assert_false (yolo_parse_kpt_shape ("[17, 4]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[0, 3]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[17 3]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[17, 3]x", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[17, 3], [5, 2]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[17,\n3]\x1b[2J", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[-17, 3]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[1000000, 3]", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[99999999999999999999999, 3]", &k,
          &d));
  g_assert_false (yolo_parse_kpt_shape ("[17, 3", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("", &k, &d));
  g_assert_true (yolo_parse_kpt_shape ("[5, 2] ", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("17, 3", &k, &d));
  g_assert_false (yolo_parse_kpt_shape ("[17, 3", &k, &d));
  g_assert_false (yolo_parse_kpt_shape (NULL, &k, &d));
  g_assert_cmpint (k, ==, 5);
}

static void
test_layouts (void)
{
  YoloTaskLayout l;
  GError *err = NULL;
  gint64 pose[3] = { 1, 135, 8400 }, pose_e2e[3] = { 1, 300, 57 };
  gint64 obb[3] = { 1, 85, 8400 }, seg[3] = { 1, 116, 8400 };
  gint64 cls[2] = { 1, 1000 }, tiny[3] = { 1, 55, 8400 };

  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_POSE, FALSE, 17, 3, 0,
          3, pose, &err));
  g_assert_cmpint (l.n_classes, ==, 80);
  g_assert_cmpint (l.n_extra, ==, 51);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_POSE, TRUE, 17, 3, 0,
          3, pose_e2e, &err));
  g_assert_cmpint (l.n_boxes, ==, 300);
  g_assert_cmpint (l.n_classes, ==, -1);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, FALSE, 0, 0, 0,
          3, obb, &err));
  g_assert_cmpint (l.n_classes, ==, 80);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_SEGMENT, FALSE, 0, 0,
          32, 3, seg, &err));
  g_assert_cmpint (l.n_classes, ==, 80);
  g_assert_cmpint (l.n_masks, ==, 32);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_CLASSIFY, FALSE, 0, 0,
          0, 2, cls, &err));
  g_assert_cmpint (l.n_classes, ==, 1000);
  g_assert_no_error (err);

  /* errors: one line naming the task and what was expected */
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_POSE, FALSE, 17, 3,
          0, 3, tiny, &err));
  g_assert_nonnull (strstr (err->message, "pose"));
  g_assert_null (strchr (err->message, '\n'));
  g_clear_error (&err);
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_POSE, TRUE, 17, 2, 0,
          3, pose_e2e, &err));
  g_assert_nonnull (strstr (err->message, "columns"));
  g_clear_error (&err);
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_POSE, FALSE, 17, 4,
          0, 3, pose, &err));
  g_clear_error (&err);
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_SEGMENT, FALSE, 0, 0,
          0, 3, seg, &err));
  g_assert_nonnull (strstr (err->message, "prototype"));
  g_clear_error (&err);
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_CLASSIFY, FALSE, 0,
          0, 0, 3, obb, &err));
  g_clear_error (&err);
  g_assert_false (yolo_task_layout_init (&l, YOLO_TASK_DETECT, FALSE, 0, 0,
          0, 3, obb, &err));
  g_clear_error (&err);
}

/* a 2-class, 2-keypoint pose head [1, 4+2+6, n] */
static void
test_pose (void)
{
  const int n = 4, nc = 2, K = 2, rows = 4 + nc + K * 3;
  float t[12 * 4] = { 0 };
  YoloTaskLayout l;
  YoloLetterbox lb;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloTaskResult *r;
  gint64 dims[3] = { 1, rows, n };
  const YoloTaskDetection *d;
  const float *v;

  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_POSE, FALSE, K, 3, 0,
          3, dims, NULL));
  /* 64x64 input, 128x64 frame: scale 0.5, pad_x 16 */
  yolo_letterbox_compute (64, 128, 64, 64, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
  g_assert_cmpint (lb.pad_x, ==, 16);
  /* box 0: class 1, score 0.9; box 1 overlaps it (suppressed); box 2 other
   * place, 0.5; box 3 below the threshold */
  float box[4][4] = { {32, 32, 20, 20}, {33, 32, 20, 20}, {20, 10, 8, 8},
  {40, 40, 4, 4}
  };
  float sc[4] = { 0.9f, 0.8f, 0.5f, 0.1f };
  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 4; k++)
      t[k * n + i] = box[i][k];
    t[(4 + 1) * n + i] = sc[i];
    t[(4 + 0) * n + i] = 0.05f;
    for (int k = 0; k < K; k++) {
      t[(6 + 3 * k) * n + i] = 24.0f + 10 * k + i;
      t[(7 + 3 * k) * n + i] = k ? 70.0f : 30.0f;       /* k=1 below the frame */
      t[(8 + 3 * k) * n + i] = 0.25f * (k + 1);
    }
  }
  r = yolo_task_decode (&l, &p, t, &lb);
  g_assert_cmpint (r->dets->len, ==, 2);
  g_assert_cmpint (r->n_values, ==, K * 3);
  d = &g_array_index (r->dets, YoloTaskDetection, 0);
  g_assert_cmpint (d->box.class_id, ==, 1);
  g_assert_cmpfloat_with_epsilon (d->box.score, 0.9f, 1e-6);
  g_assert_cmpfloat_with_epsilon (d->box.x1, (22 - 16) * 2.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->box.y2, 42 * 2.0f, 1e-4);
  v = (const float *) r->values->data + d->values_offset;
  g_assert_cmpfloat_with_epsilon (v[0], (24 - 16) * 2.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (v[1], 60.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (v[2], 0.25f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[3], (34 - 16) * 2.0f, 1e-4);
  /* y = 70 * 2 = 140 clipped to the frame's 128 */
  g_assert_cmpfloat_with_epsilon (v[4], 128.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (v[5], 0.5f, 1e-6);
  d = &g_array_index (r->dets, YoloTaskDetection, 1);
  v = (const float *) r->values->data + d->values_offset;
  g_assert_cmpfloat_with_epsilon (d->box.score, 0.5f, 1e-6);
  g_assert_cmpfloat_with_epsilon (v[0], (26 - 16) * 2.0f, 1e-4);
  yolo_task_result_free (r);

  /* class filter and limit */
  {
    guint8 mask[2] = { 1, 0 };
    p.class_mask = mask;
    p.n_class_mask = 2;
    r = yolo_task_decode (&l, &p, t, &lb);
    g_assert_cmpint (r->dets->len, ==, 0);
    yolo_task_result_free (r);
    p.class_mask = NULL;
    p.max_detections = 1;
    r = yolo_task_decode (&l, &p, t, &lb);
    g_assert_cmpint (r->dets->len, ==, 1);
    yolo_task_result_free (r);
  }
}

/* end-to-end pose rows [x1,y1,x2,y2,score,class, K*3]: no NMS */
static void
test_pose_end2end (void)
{
  float t[2][6 + 3] = {
    {10, 10, 30, 30, 0.9f, 3, 12, 14, 0.7f},
    {11, 10, 31, 30, 0.8f, 3, 13, 15, NAN},
  };
  YoloTaskLayout l;
  YoloLetterbox lb;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloTaskResult *r;
  gint64 dims[3] = { 1, 2, 9 };
  const float *v;

  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_POSE, TRUE, 1, 3, 0,
          3, dims, NULL));
  yolo_letterbox_compute (64, 64, 64, 64, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
  r = yolo_task_decode (&l, &p, &t[0][0], &lb);
  g_assert_cmpint (r->dets->len, ==, 2);        /* overlapping, both kept */
  v = (const float *) r->values->data;
  g_assert_cmpfloat_with_epsilon (v[0], 12.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (v[1], 14.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (v[2], 0.7f, 1e-6);
  g_assert_cmpint (g_array_index (r->dets, YoloTaskDetection, 1).box.class_id,
      ==, 3);
  yolo_task_result_free (r);

  /* class 2^31 (G_MAXINT32 as float rounds up to it: an undefined cast
   * that gave class -2^31), inf, NaN: rows dropped */
  t[0][5] = 2147483648.0f;
  t[1][5] = INFINITY;
  r = yolo_task_decode (&l, &p, &t[0][0], &lb);
  g_assert_cmpint (r->dets->len, ==, 0);
  yolo_task_result_free (r);
  t[1][5] = NAN;
  r = yolo_task_decode (&l, &p, &t[0][0], &lb);
  g_assert_cmpint (r->dets->len, ==, 0);
  yolo_task_result_free (r);
}

/* end-to-end obb rows (cx,cy,w,h,score,class,angle) and segment rows
 * (x1,y1,x2,y2,score,class, M coefficients): no NMS, values carried */
static void
test_end2end_obb_segment (void)
{
  float obb[2][7] = {
    {30, 30, 4, 10, 0.9f, 2, 0.25f},
    {31, 30, 4, 10, 0.8f, 2, 0.25f},
  };
  float seg[2][6 + 3] = {
    {10, 10, 30, 30, 0.9f, 1, 0.5f, -1.0f, 2.0f},
    {40, 40, 50, 50, 0.1f, 1, 0, 0, 0},
  };
  gint64 d_obb[3] = { 1, 2, 7 }, d_seg[3] = { 1, 2, 9 };
  YoloTaskLayout l;
  YoloLetterbox lb;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloTaskResult *r;
  const YoloTaskDetection *d;
  const float *v;

  yolo_letterbox_compute (64, 64, 64, 64, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, TRUE, 0, 0, 0, 3,
          d_obb, NULL));
  r = yolo_task_decode (&l, &p, &obb[0][0], &lb);
  g_assert_cmpint (r->dets->len, ==, 2);
  d = &g_array_index (r->dets, YoloTaskDetection, 0);
  g_assert_cmpint (d->box.class_id, ==, 2);
  g_assert_cmpfloat_with_epsilon (d->cx, 30.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (d->w, 10.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (d->h, 4.0f, 1e-5);
  g_assert_cmpfloat_with_epsilon (d->angle, 0.25f + G_PI / 2, 1e-5);
  yolo_task_result_free (r);

  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_SEGMENT, TRUE, 0, 0, 3,
          3, d_seg, NULL));
  r = yolo_task_decode (&l, &p, &seg[0][0], &lb);
  g_assert_cmpint (r->dets->len, ==, 1);
  g_assert_cmpint (r->n_values, ==, 3);
  d = &g_array_index (r->dets, YoloTaskDetection, 0);
  v = (const float *) r->values->data + d->values_offset;
  g_assert_cmpfloat (v[0], ==, 0.5f);
  g_assert_cmpfloat (v[1], ==, -1.0f);
  g_assert_cmpfloat (v[2], ==, 2.0f);
  g_assert_cmpfloat_with_epsilon (d->box.x2, 30.0f, 1e-5);
  yolo_task_result_free (r);
}

static void
test_probiou (void)
{
  double same = yolo_obb_probiou (10, 10, 8, 4, 0.3, 10, 10, 8, 4, 0.3);
  double far = yolo_obb_probiou (10, 10, 8, 4, 0.3, 200, 10, 8, 4, 0.3);
  double swapped = yolo_obb_probiou (10, 10, 8, 4, 0.3, 10, 10, 4, 8,
      0.3 + G_PI / 2);
  double flipped = yolo_obb_probiou (10, 10, 8, 4, 0.3, 10, 10, 8, 4,
      0.3 + G_PI);
  double ortho = yolo_obb_probiou (10, 10, 8, 2, 0, 10, 10, 8, 2, G_PI / 2);
  double shifted = yolo_obb_probiou (10, 10, 8, 4, 0, 11, 10, 8, 4, 0);

  /* 1 - sqrt(eps) for identical boxes */
  g_assert_cmpfloat (same, >, 0.999);
  g_assert_cmpfloat (far, <, 1e-3);
  g_assert_cmpfloat_with_epsilon (swapped, same, 1e-9);
  g_assert_cmpfloat_with_epsilon (flipped, same, 1e-9);
  g_assert_cmpfloat (ortho, <, shifted);
  g_assert_cmpfloat (shifted, <, same);
  g_assert_cmpfloat_with_epsilon (yolo_obb_probiou (11, 10, 8, 4, 0, 10, 10,
          8, 4, 0), shifted, 1e-12);
  /* a value worked out by hand: two axis-aligned 12x12 boxes 6 apart in x:
   * a = b = 12, c = 0; t1 = (24*0 + 24*36)/(24*24)*0.25 = 0.375, t3 = 0,
   * bd = 0.375, 1 - sqrt(1 - exp(-0.375)) */
  g_assert_cmpfloat_with_epsilon (yolo_obb_probiou (0, 0, 12, 12, 0, 6, 0,
          12, 12, 0), 1.0 - sqrt (1.0 - exp (-0.375)), 1e-6);
}

/* obb [1, 4+1+1, n]: Fast-NMS drops C although its suppressor B was
 * dropped too (greedy NMS would keep it); angles regularised */
static void
test_obb (void)
{
  const int n = 4;
  float t[6 * 4];
  float b[4][5] = {
    {20, 20, 10, 4, 0.1f},      /* A */
    {22, 20, 10, 4, 0.1f},      /* B: overlaps A */
    {24.2f, 20, 10, 4, 0.1f},   /* C: overlaps B, not A enough */
    {50, 50, 4, 10, -0.2f},     /* D: h > w: swapped, angle + pi/2 */
  };
  float sc[4] = { 0.9f, 0.8f, 0.7f, 0.6f };
  YoloTaskLayout l;
  YoloLetterbox lb;
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  YoloTaskResult *r;
  gint64 dims[3] = { 1, 6, n };
  const YoloTaskDetection *d;

  for (int i = 0; i < n; i++) {
    for (int k = 0; k < 4; k++)
      t[k * n + i] = b[i][k];
    t[4 * n + i] = sc[i];
    t[5 * n + i] = b[i][4];
  }
  g_assert_cmpfloat (yolo_obb_probiou (20, 20, 10, 4, 0.1, 22, 20, 10, 4,
          0.1), >=, 0.7);
  g_assert_cmpfloat (yolo_obb_probiou (22, 20, 10, 4, 0.1, 24.2, 20, 10, 4,
          0.1), >=, 0.7);
  g_assert_cmpfloat (yolo_obb_probiou (20, 20, 10, 4, 0.1, 24.2, 20, 10, 4,
          0.1), <, 0.7);
  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, FALSE, 0, 0, 0, 3,
          dims, NULL));
  /* 64x64 input on a 128x128 frame: everything x2 */
  yolo_letterbox_compute (128, 128, 64, 64, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
  r = yolo_task_decode (&l, &p, t, &lb);
  g_assert_cmpint (r->dets->len, ==, 2);
  d = &g_array_index (r->dets, YoloTaskDetection, 0);
  g_assert_cmpfloat_with_epsilon (d->box.score, 0.9f, 1e-6);
  g_assert_cmpfloat_with_epsilon (d->cx, 40.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->w, 20.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->h, 8.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->angle, 0.1f, 1e-6);
  /* axis-aligned bounding box of the rotated one */
  g_assert_cmpfloat_with_epsilon (d->box.x1, 40 - (10 * cos (0.1) +
          4 * sin (0.1)), 1e-3);
  g_assert_cmpfloat_with_epsilon (d->box.y2, 40 + (10 * sin (0.1) +
          4 * cos (0.1)), 1e-3);
  d = &g_array_index (r->dets, YoloTaskDetection, 1);
  g_assert_cmpfloat_with_epsilon (d->box.score, 0.6f, 1e-6);
  g_assert_cmpfloat_with_epsilon (d->w, 20.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->h, 8.0f, 1e-4);
  g_assert_cmpfloat_with_epsilon (d->angle, -0.2f + G_PI / 2, 1e-5);
  yolo_task_result_free (r);

  /* class-aware: B and C of another class survive A */
  t[4 * n + 1] = 0.0f;
  t[4 * n + 2] = 0.0f;
  {
    float t2[7 * 4];
    gint64 dims2[3] = { 1, 7, n };
    memcpy (t2, t, sizeof (float) * 4 * n);
    for (int i = 0; i < n; i++) {
      t2[4 * n + i] = i == 0 || i == 3 ? sc[i] : 0.0f;
      t2[5 * n + i] = i == 1 || i == 2 ? sc[i] : 0.0f;
      t2[6 * n + i] = b[i][4];
    }
    g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, FALSE, 0, 0, 0,
            3, dims2, NULL));
    r = yolo_task_decode (&l, &p, t2, &lb);
    /* A, D (class 0); B (class 1) drops C */
    g_assert_cmpint (r->dets->len, ==, 3);
    yolo_task_result_free (r);
    p.agnostic = TRUE;
    r = yolo_task_decode (&l, &p, t2, &lb);
    g_assert_cmpint (r->dets->len, ==, 2);
    yolo_task_result_free (r);
  }
}

/* The rotated Fast-NMS (with its far-pair shortcut) against the plain
 * definition on yolo_obb_probiou: random boxes in clusters (overlapping,
 * touching, far apart, thin, zero-sized), three classes, several
 * thresholds, agnostic or not; the same boxes kept in the same order. And
 * 30000 boxes of one class that do not overlap (Ultralytics' max_nms):
 * all kept, the time printed. */
static void
test_obb_fast_nms (void)
{
  const int n = 1500, nc = 3;
  gint64 dims[3] = { 1, 4 + nc + 1, n };
  YoloLetterbox lb = { 4000, 4000, 4000, 4000, 4000, 4000, 0, 0, 1.0, 1.0 };
  GRand *rng = g_rand_new_with_seed (7);
  float *d = g_new (float, (gsize) (4 + nc + 1) * n);
  YoloTaskLayout l;
  GError *err = NULL;

  g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, FALSE, 0, 0, 0,
          3, dims, &err));
  for (int round = 0; round < 6; round++) {
    YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
    int order[1500], m = 0, kept = 0;
    float spread = round < 3 ? 40.0f : 400.0f;
    YoloTaskResult *r;

    for (int i = 0; i < n; i++) {
      int cl = g_rand_int_range (rng, 0, 8);
      d[i] = 200 + 300 * (cl % 3) + g_rand_double_range (rng, -spread, spread);
      d[n + i] = 200 + 300 * (cl / 3) + g_rand_double_range (rng, -spread,
          spread);
      d[2 * n + i] = g_rand_int_range (rng, 0, 10) == 0 ? 0.0f :
          g_rand_double_range (rng, 1, 80);
      d[3 * n + i] = g_rand_int_range (rng, 0, 10) == 0 ? 0.5f :
          g_rand_double_range (rng, 1, 60);
      for (int c = 0; c < nc; c++)      /* distinct scores: one order */
        d[(4 + c) * n + i] = c == i % nc ? 0.3f + 0.6f * i / n : 0.0f;
      d[(4 + nc) * n + i] = g_rand_double_range (rng, -G_PI, G_PI);
    }
    p.iou_threshold = (float[]) { 0.7f, 0.3f, 0.95f }[round % 3];
    p.agnostic = round % 2;
    p.max_detections = 0;
    r = yolo_task_decode (&l, &p, d, &lb);
    /* the plain definition */
    for (int i = 0; i < n; i++)
      order[m++] = i;
    for (int a = 0; a < m; a++) /* by decreasing score */
      for (int b = a + 1; b < m; b++)
        if (d[(4 + order[b] % nc) * n + order[b]] >
            d[(4 + order[a] % nc) * n + order[a]]) {
          int t = order[a];
          order[a] = order[b];
          order[b] = t;
        }
    for (int j = 0; j < m; j++) {
      int bj = order[j], dropped = 0;
      for (int i = 0; i < j && !dropped; i++) {
        int bi = order[i];
        if ((p.agnostic || bi % nc == bj % nc)
            && yolo_obb_probiou (d[bi], d[n + bi], d[2 * n + bi],
                d[3 * n + bi], d[(4 + nc) * n + bi], d[bj], d[n + bj],
                d[2 * n + bj], d[3 * n + bj], d[(4 + nc) * n + bj])
            >= p.iou_threshold)
          dropped = 1;
      }
      if (dropped)
        continue;
      g_assert_cmpuint (kept, <, r->dets->len);
      g_assert_cmpfloat (g_array_index (r->dets, YoloTaskDetection,
              kept).cx, ==, d[bj]);
      g_assert_cmpfloat (g_array_index (r->dets, YoloTaskDetection,
              kept).cy, ==, d[n + bj]);
      kept++;
    }
    g_assert_cmpuint (kept, ==, r->dets->len);
    g_test_message ("obb fast-nms round %d: %d of %d kept", round, kept, n);
    yolo_task_result_free (r);
  }
  g_free (d);
  g_rand_free (rng);

  /* 30000 boxes of one class on a 10-pixel grid, 4x3 each: none overlap */
  {
    const int big = 30000;
    gint64 bdims[3] = { 1, 6, big };
    YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
    float *b = g_new (float, 6 * big);
    YoloTaskResult *r;
    gint64 t0;

    g_assert_true (yolo_task_layout_init (&l, YOLO_TASK_OBB, FALSE, 0, 0, 0,
            3, bdims, &err));
    for (int i = 0; i < big; i++) {
      b[i] = (i % 200) * 10.0f;
      b[big + i] = (i / 200) * 10.0f;
      b[2 * big + i] = 4;
      b[3 * big + i] = 3;
      b[4 * big + i] = 0.3f + 0.6f * (float) ((i * 7919) % big) / big;
      b[5 * big + i] = 0.3f;
    }
    p.max_detections = 0;
    t0 = g_get_monotonic_time ();
    r = yolo_task_decode (&l, &p, b, &lb);
    g_test_message ("obb fast-nms of %d boxes that do not overlap: %.3f s",
        big, (g_get_monotonic_time () - t0) / 1e6);
    g_assert_cmpuint (r->dets->len, ==, big);
    yolo_task_result_free (r);
    g_free (b);
  }
}

static void
test_top_k (void)
{
  float s[6] = { 0.1f, 0.4f, NAN, 0.4f, 0.05f, 0.3f };
  guint8 mask[6] = { 1, 0, 1, 1, 1, 1 };
  YoloHeadParams p = YOLO_HEAD_PARAMS_DEFAULT;
  GArray *a = yolo_classify_top_k (s, 6, 3, NULL);

  g_assert_cmpint (a->len, ==, 3);
  g_assert_cmpint (g_array_index (a, YoloClassScore, 0).class_id, ==, 1);
  g_assert_cmpint (g_array_index (a, YoloClassScore, 1).class_id, ==, 3);
  g_assert_cmpint (g_array_index (a, YoloClassScore, 2).class_id, ==, 5);
  g_array_unref (a);
  a = yolo_classify_top_k (s, 6, 0, NULL);
  g_assert_cmpint (a->len, ==, 5);      /* NaN skipped */
  g_array_unref (a);
  p.class_mask = mask;
  p.n_class_mask = 6;
  a = yolo_classify_top_k (s, 6, 2, &p);
  g_assert_cmpint (a->len, ==, 2);
  g_assert_cmpint (g_array_index (a, YoloClassScore, 0).class_id, ==, 3);
  g_assert_cmpint (g_array_index (a, YoloClassScore, 1).class_id, ==, 5);
  g_array_unref (a);
}

/* Ultralytics' chain written out plainly: full-size intermediate images */
static double
ref_bilinear (const double *img, int w, int h, double x, double y)
{
  int x0, y0, x1, y1;
  double wx, wy;
  x = MAX (x, 0.0);
  y = MAX (y, 0.0);
  x0 = MIN ((int) floor (x), w - 1);
  y0 = MIN ((int) floor (y), h - 1);
  x1 = MIN (x0 + 1, w - 1);
  y1 = MIN (y0 + 1, h - 1);
  wx = x - x0;
  wy = y - y0;
  return (1 - wy) * ((1 - wx) * img[y0 * w + x0] + wx * img[y0 * w + x1])
      + wy * ((1 - wx) * img[y1 * w + x0] + wx * img[y1 * w + x1]);
}

static void
test_mask_random (void)
{
  guint n_px = 0, n_diff = 0;

  for (int it = 0; it < 40; it++) {
    int M = irand (1, 6), mh = irand (4, 24), mw = irand (4, 24);
    int s = irand (2, 6), iw = mw * s, ih = mh * s;
    int fw = irand (8, 200), fh = irand (8, 200);
    float *protos = g_new (float, M * mh * mw);
    double *lm = g_new0 (double, mh * mw), *up = g_new0 (double, ih * iw);
    YoloTaskLayout l = { 0 };
    YoloTaskResult *r = g_new0 (YoloTaskResult, 1);
    YoloTaskDetection d = { 0 };
    YoloLetterbox lb;
    float coef[6];
    double bx1, by1, bx2, by2, padx, pady;
    int left, top, right, bottom, x0, y0, ow, oh;
    guint8 *out;

    l.task = YOLO_TASK_SEGMENT;
    l.n_masks = M;
    for (int i = 0; i < M * mh * mw; i++)
      protos[i] = frand (-1, 1);
    for (int m = 0; m < M; m++)
      coef[m] = frand (-2, 2);
    r->values = g_array_new (FALSE, FALSE, sizeof (float));
    g_array_append_vals (r->values, coef, M);
    r->dets = g_array_new (FALSE, FALSE, sizeof (YoloTaskDetection));
    yolo_letterbox_compute (fw, fh, iw, ih, YOLO_RESIZE_LETTERBOX, TRUE, &lb);
    /* a box in frame pixels, partly outside the frame sometimes */
    d.cx = frand (0, fw);
    d.cy = frand (0, fh);
    d.w = frand (2, fw);
    d.h = frand (2, fh);
    d.box.x1 = CLAMP (d.cx - d.w / 2, 0, fw);
    d.box.x2 = CLAMP (d.cx + d.w / 2, 0, fw);
    d.box.y1 = CLAMP (d.cy - d.h / 2, 0, fh);
    d.box.y2 = CLAMP (d.cy + d.h / 2, 0, fh);

    /* reference: crop_mask at prototype resolution, upsample, > 0,
     * cut the padding, resize to the frame, > 0.5 */
    bx1 = ((d.cx - d.w / 2) * lb.scale_x + lb.pad_x) * mw / iw;
    bx2 = ((d.cx + d.w / 2) * lb.scale_x + lb.pad_x) * mw / iw;
    by1 = ((d.cy - d.h / 2) * lb.scale_y + lb.pad_y) * mh / ih;
    by2 = ((d.cy + d.h / 2) * lb.scale_y + lb.pad_y) * mh / ih;
    for (int y = 0; y < mh; y++)
      for (int x = 0; x < mw; x++) {
        double acc = 0;
        for (int m = 0; m < M; m++)
          acc += coef[m] * protos[(m * mh + y) * mw + x];
        lm[y * mw + x] = (x >= bx1 && x < bx2 && y >= by1 && y < by2) ?
            acc : 0.0;
      }
    for (int y = 0; y < ih; y++)
      for (int x = 0; x < iw; x++)
        up[y * iw + x] = ref_bilinear (lm, mw, mh,
            (x + 0.5) * mw / iw - 0.5, (y + 0.5) * mh / ih - 0.5) > 0.0;
    padx = (iw - fw * lb.scale_x) / 2;
    pady = (ih - fh * lb.scale_y) / 2;
    left = (int) floor (padx - 0.1 + 0.5);
    top = (int) floor (pady - 0.1 + 0.5);
    right = iw - (int) floor (padx + 0.1 + 0.5);
    bottom = ih - (int) floor (pady + 0.1 + 0.5);

    x0 = (int) d.box.x1;
    y0 = (int) d.box.y1;
    ow = MAX ((int) ceil (d.box.x2) - x0, 1);
    oh = MAX ((int) ceil (d.box.y2) - y0, 1);
    ow = MIN (ow, fw - x0);
    oh = MIN (oh, fh - y0);
    if (ow <= 0 || oh <= 0)
      goto next;
    out = g_new (guint8, ow * oh);
    yolo_segment_mask (&l, r, &d, protos, mh, mw, iw, ih, &lb, x0, y0, ow,
        oh, out);
    {
      int cw = right - left, ch = bottom - top;
      double *cut = g_new (double, cw * ch);
      for (int y = 0; y < ch; y++)
        for (int x = 0; x < cw; x++)
          cut[y * cw + x] = up[(y + top) * iw + x + left];
      for (int j = 0; j < oh; j++)
        for (int i = 0; i < ow; i++) {
          guint8 want = ref_bilinear (cut, cw, ch,
              (x0 + i + 0.5) * cw / fw - 0.5,
              (y0 + j + 0.5) * ch / fh - 0.5) > 0.5;
          n_px++;
          n_diff += want != out[j * ow + i];
        }
      g_free (cut);
    }
    g_free (out);
  next:
    g_free (protos);
    g_free (lm);
    g_free (up);
    g_array_unref (r->values);
    g_array_unref (r->dets);
    g_free (r);
  }
  /* float vs double sums flip a pixel where the logit is ~0 */
  g_test_message ("%u of %u mask pixels differ", n_diff, n_px);
  g_assert_cmpuint (n_px, >, 10000);
  g_assert_cmpuint (n_diff * 1000, <=, n_px);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/task/names", test_names);
  g_test_add_func ("/task/layouts", test_layouts);
  g_test_add_func ("/task/pose", test_pose);
  g_test_add_func ("/task/pose-end2end", test_pose_end2end);
  g_test_add_func ("/task/end2end-obb-segment", test_end2end_obb_segment);
  g_test_add_func ("/task/probiou", test_probiou);
  g_test_add_func ("/task/obb", test_obb);
  g_test_add_func ("/task/obb-fast-nms", test_obb_fast_nms);
  g_test_add_func ("/task/top-k", test_top_k);
  g_test_add_func ("/task/mask-random", test_mask_random);
  return g_test_run ();
}
