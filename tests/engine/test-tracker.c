/* test-tracker.c - the tracker (yolo-tracker.c) without GStreamer: the
 * linear assignment against brute force on random small matrices (with
 * ties), the Kalman prediction on constant motion, and the id rules. No
 * device needed; runs in the sanitizer build too. */
#include "yolo-tracker.h"

#include <math.h>
#include <string.h>

/* ---- linear assignment vs brute force ---------------------------------- */

static gdouble
brute_perm (const gdouble * cost, guint n, guint row, gboolean * used)
{
  gdouble best = G_MAXDOUBLE;

  if (row == n)
    return 0.0;
  for (guint c = 0; c < n; c++) {
    gdouble v;

    if (used[c])
      continue;
    used[c] = TRUE;
    v = cost[row * n + c] + brute_perm (cost, n, row + 1, used);
    used[c] = FALSE;
    best = MIN (best, v);
  }
  return best;
}

/* the best sum(cost - thresh) over partial matchings of pairs with
 * cost < thresh, each row or column at most once */
static gdouble
brute_partial (const gdouble * cost, guint rows, guint cols, gdouble thresh,
    guint row, gboolean * used)
{
  gdouble best;

  if (row == rows)
    return 0.0;
  best = brute_partial (cost, rows, cols, thresh, row + 1, used);
  for (guint c = 0; c < cols; c++) {
    gdouble d = cost[row * cols + c];

    if (used[c] || !(d < thresh))
      continue;
    used[c] = TRUE;
    best = MIN (best, d - thresh + brute_partial (cost, rows, cols, thresh,
            row + 1, used));
    used[c] = FALSE;
  }
  return best;
}

static void
test_assignment_square (void)
{
  GRand *rand = g_rand_new_with_seed (1);

  for (guint iter = 0; iter < 400; iter++) {
    guint n = g_rand_int_range (rand, 1, 8);
    gdouble cost[64], got = 0.0, want, ret;
    gint assign[8];
    gboolean used[8] = { FALSE }, seen[8] = { FALSE };

    for (guint i = 0; i < n * n; i++)
      /* every other matrix with small integers: many ties */
      cost[i] = iter % 2 ? g_rand_double_range (rand, -5.0, 10.0)
          : g_rand_int_range (rand, 0, 4);
    ret = yolo_tracker_solve_assignment (cost, n, assign);
    for (guint r = 0; r < n; r++) {
      g_assert_cmpint (assign[r], >=, 0);
      g_assert_cmpint (assign[r], <, (gint) n);
      g_assert_false (seen[assign[r]]);
      seen[assign[r]] = TRUE;
      got += cost[r * n + assign[r]];
    }
    want = brute_perm (cost, n, 0, used);
    g_assert_cmpfloat_with_epsilon (got, want, 1e-9);
    g_assert_cmpfloat_with_epsilon (ret, want, 1e-9);
  }
  g_rand_free (rand);
}

static void
test_assignment_thresh (void)
{
  GRand *rand = g_rand_new_with_seed (2);

  for (guint iter = 0; iter < 600; iter++) {
    guint rows = g_rand_int_range (rand, 0, 7);
    guint cols = g_rand_int_range (rand, 0, 7);
    gdouble thresh = g_rand_double_range (rand, 0.1, 1.0);
    gdouble cost[36], got = 0.0, want;
    gint r2c[6], c2r[6];
    gboolean used[6] = { FALSE };
    guint m, count = 0;

    for (guint i = 0; i < rows * cols; i++)
      cost[i] = iter % 3 ? g_rand_double (rand)
          : g_rand_int_range (rand, 0, 5) / 4.0;
    m = yolo_tracker_linear_assignment (cost, rows, cols, thresh, r2c, c2r);
    for (guint r = 0; r < rows; r++) {
      if (r2c[r] < 0)
        continue;
      g_assert_cmpint (r2c[r], <, (gint) cols);
      g_assert_cmpint (c2r[r2c[r]], ==, (gint) r);
      g_assert_cmpfloat (cost[r * cols + r2c[r]], <, thresh);
      got += cost[r * cols + r2c[r]] - thresh;
      count++;
    }
    for (guint c = 0; c < cols; c++)
      g_assert_true (c2r[c] < 0 || r2c[c2r[c]] == (gint) c);
    g_assert_cmpuint (m, ==, count);
    want = brute_partial (cost, rows, cols, thresh, 0, used);
    g_assert_cmpfloat_with_epsilon (got, want, 1e-9);
  }
  g_rand_free (rand);
}

/* ---- tracking ----------------------------------------------------------- */

static YoloTrackerDet
det_at (gdouble cx, gdouble cy, gdouble w, gdouble h, gdouble score)
{
  YoloTrackerDet d = { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2,
    score, 0, -1
  };
  return d;
}

/* Constant velocity (4, -2 px a frame, growing 0.5 px a frame in height):
 * after 40 measured frames the prediction of the next 3 frames (a frame
 * between inferences) lands within a pixel of the truth, the repeated box
 * 4 to 12 px off. */
static void
test_kalman_prediction (void)
{
  YoloTrackerParams p = YOLO_TRACKER_PARAMS_DEFAULT;
  YoloTracker *t = yolo_tracker_new (&p);
  YoloTrackerDet d;
  guint f;

  for (f = 0; f < 40; f++) {
    d = det_at (100 + 4.0 * f, 300 - 2.0 * f, 50, 100 + 0.5 * f, 0.9);
    yolo_tracker_update (t, &d, 1);
    g_assert_cmpint (d.track_id, ==, 1);
  }
  for (guint k = 1; k <= 3; k++) {
    YoloTrackerDet last = det_at (100 + 4.0 * (f - 1), 300 - 2.0 * (f - 1),
        50, 100 + 0.5 * (f - 1), 0.9);
    YoloTrackerDet truth = det_at (100 + 4.0 * (f - 1 + k),
        300 - 2.0 * (f - 1 + k), 50, 100 + 0.5 * (f - 1 + k), 0.9);

    d = last;
    yolo_tracker_predict (t, &d, 1);
    g_assert_cmpint (d.track_id, ==, 1);
    g_assert_cmpfloat (fabs ((d.x1 + d.x2) / 2 - (truth.x1 + truth.x2) / 2),
        <, 1.0);
    g_assert_cmpfloat (fabs ((d.y1 + d.y2) / 2 - (truth.y1 + truth.y2) / 2),
        <, 1.0);
    g_assert_cmpfloat (fabs ((d.y2 - d.y1) - (truth.y2 - truth.y1)), <, 1.0);
  }
  yolo_tracker_free (t);
}

/* Ids are given at confirmation: a detection seen on one frame only burns
 * no id (Ultralytics would give the next object id 3); after reset ids
 * start again at 1. */
static void
test_ids (void)
{
  YoloTrackerParams p = YOLO_TRACKER_PARAMS_DEFAULT;
  YoloTracker *t = yolo_tracker_new (&p);
  YoloTrackerDet d[2];

  g_assert_false (yolo_tracker_has_state (t));
  for (guint f = 0; f < 12; f++) {
    guint n = 1;

    d[0] = det_at (100 + 2.0 * f, 100, 40, 80, 0.9);
    if (f == 4 || f >= 8)
      d[n++] = det_at (400, 300 - 3.0 * (f == 4 ? 0 : f - 8), 60, 60, 0.8);
    yolo_tracker_update (t, d, n);
    g_assert_cmpint (d[0].track_id, ==, 1);
    if (f == 4 || f == 8)
      g_assert_cmpint (d[1].track_id, ==, 0);   /* unconfirmed */
    else if (f > 8)
      g_assert_cmpint (d[1].track_id, ==, 2);
  }
  g_assert_true (yolo_tracker_has_state (t));
  yolo_tracker_reset (t);
  g_assert_false (yolo_tracker_has_state (t));
  d[0] = det_at (300, 300, 50, 50, 0.9);
  yolo_tracker_update (t, d, 1);
  g_assert_cmpint (d[0].track_id, ==, 1);
  /* a new type forgets the tracks too */
  p.type = YOLO_TRACKER_IOU;
  yolo_tracker_set_params (t, &p);
  g_assert_false (yolo_tracker_has_state (t));
  yolo_tracker_free (t);
}

/* Boxes from upstream metas: NaN, inf, negative, inverted, 1e300 wide (the
 * Kalman state overflows); updates and predictions stay free of UB and
 * every box handed back with a track id is finite. */
static void
test_hostile_boxes (void)
{
  const gdouble big = 1e300, inf = INFINITY;
  YoloTrackerDet src[] = {
    {NAN, NAN, NAN, NAN, 0.9, 0, 0}, {-inf, -inf, inf, inf, 0.9, 0, 0},
    {-big, -big, big, big, 0.9, 0, 0}, {10, 10, 5, 5, 0.9, 0, 0},
    {-50, -60, -10, -20, 0.9, 0, 0}, {0, 0, big, 1e-300, 0.9, 0, 0},
    {1, 1, 2, 2, NAN, 0, 0}, {1, 1, 2, 2, inf, 0, 0},
    {100, 100, 140, 180, 0.9, G_MAXINT, 0}, {1e15, 1e15, 2e15, 2e15, 0.9,
        -1, 0},
  };

  for (int type = 0; type < 2; type++) {
    YoloTrackerParams p = YOLO_TRACKER_PARAMS_DEFAULT;
    YoloTracker *t;

    p.type = type ? YOLO_TRACKER_IOU : YOLO_TRACKER_BYTETRACK;
    p.frame_rate = type ? -30.0 : NAN;
    t = yolo_tracker_new (&p);
    for (guint f = 0; f < 12; f++) {
      YoloTrackerDet d[G_N_ELEMENTS (src)];

      memcpy (d, src, sizeof (src));
      for (guint i = 0; i < G_N_ELEMENTS (d); i++) {
        d[i].x1 += f;
        d[i].x2 += f;
      }
      if (f % 3 == 2)
        yolo_tracker_predict (t, d, G_N_ELEMENTS (d));
      else
        yolo_tracker_update (t, d, G_N_ELEMENTS (d));
      for (guint i = 0; i < G_N_ELEMENTS (d); i++) {
        if (d[i].track_id <= 0 || f % 3 != 2)
          continue;
        g_assert_true (isfinite (d[i].x1) && isfinite (d[i].y1)
            && isfinite (d[i].x2) && isfinite (d[i].y2));
      }
    }
    yolo_tracker_free (t);
  }
}

/* Many objects, random appearances and noise: ids stay unique within a
 * frame and consecutive overall, never more than one per detection. */
static void
test_random_scenes (void)
{
  GRand *rand = g_rand_new_with_seed (3);

  for (guint type = 0; type < 2; type++) {
    YoloTrackerParams p = YOLO_TRACKER_PARAMS_DEFAULT;
    YoloTracker *t;
    gint max_id = 0;

    p.type = type;
    t = yolo_tracker_new (&p);
    for (guint f = 0; f < 300; f++) {
      YoloTrackerDet d[20];
      guint n = g_rand_int_range (rand, 0, 20);
      gboolean seen[1000] = { FALSE };

      for (guint i = 0; i < n; i++)
        d[i] = det_at (g_rand_double_range (rand, 0, 640),
            g_rand_double_range (rand, 0, 480),
            g_rand_double_range (rand, 0, 100),
            g_rand_double_range (rand, 0, 100), g_rand_double (rand));
      if (f % 2)
        yolo_tracker_update (t, d, n);
      else
        yolo_tracker_predict (t, d, n);
      for (guint i = 0; i < n; i++) {
        if (d[i].track_id == 0)
          continue;
        g_assert_cmpint (d[i].track_id, <, 1000);
        g_assert_false (seen[d[i].track_id]);
        seen[d[i].track_id] = TRUE;
        g_assert_cmpint (d[i].track_id, <=, max_id + 20);
        max_id = MAX (max_id, d[i].track_id);
      }
    }
    yolo_tracker_free (t);
  }
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tracker/assignment-square", test_assignment_square);
  g_test_add_func ("/tracker/assignment-thresh", test_assignment_thresh);
  g_test_add_func ("/tracker/kalman-prediction", test_kalman_prediction);
  g_test_add_func ("/tracker/ids", test_ids);
  g_test_add_func ("/tracker/random-scenes", test_random_scenes);
  g_test_add_func ("/tracker/hostile-boxes", test_hostile_boxes);
  return g_test_run ();
}
