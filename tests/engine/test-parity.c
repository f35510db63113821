/* test-parity.c - yolo-parity.c (the python-free parity check that
 * `yolo-engine compare` and scripts/device-check.sh use) on synthetic
 * outputs: each family's tolerances, non-finite values, end2end row
 * matching with near-tie swaps, missing and extra rows. No device needed. */
#include "yolo-parity.h"

#include <math.h>
#include <string.h>

static int failures;

static void
expect (const char *what, YoloFamily fam, const gint64 * dims,
    const float *ref, const float *got, gboolean want_ok, double want_box,
    double want_score)
{
  YoloParity res;
  gboolean shape_ok = yolo_parity_compare (fam, 3, dims, ref, got, &res);

  if (!shape_ok || res.ok != want_ok
      || fabs (res.box_err - want_box) > 1e-4
      || fabs (res.score_err - want_score) > 1e-5) {
    g_printerr ("FAIL %s: shape ok %d, ok %d (want %d), box_err %g (want %g),"
        " score_err %g (want %g)\n%s", what, shape_ok, res.ok, want_ok,
        res.box_err, want_box, res.score_err, want_score, res.log->str);
    failures++;
  } else {
    g_print ("ok   %s\n", what);
  }
  yolo_parity_clear (&res);
}

static void
test_ultralytics (void)
{
  /* [1, 4+2, 3] */
  gint64 dims[3] = { 1, 6, 3 };
  float ref[18], got[18];
  int i;

  for (i = 0; i < 18; i++)
    ref[i] = got[i] = i < 12 ? 10.0f * i : 0.01f * i;
  expect ("ultralytics equal", YOLO_FAMILY_ULTRALYTICS, dims, ref, got, TRUE,
      0, 0);
  got[5] += 0.04f;              /* box row 1: inside 0.05 px */
  got[13] += 0.0005f;           /* score: inside 1e-3 */
  expect ("ultralytics inside tolerance", YOLO_FAMILY_ULTRALYTICS, dims, ref,
      got, TRUE, 0.04, 0.0005);
  got[5] += 0.02f;              /* now 0.06 px */
  expect ("ultralytics box over 0.05 px", YOLO_FAMILY_ULTRALYTICS, dims, ref,
      got, FALSE, 0.06, 0.0005);
  got[5] = ref[5];
  got[17] = NAN;
  {
    YoloParity res;
    yolo_parity_compare (YOLO_FAMILY_ULTRALYTICS, 3, dims, ref, got, &res);
    if (res.ok || res.n_bad != 1) {
      g_printerr ("FAIL ultralytics NaN score: ok %d n_bad %" G_GINT64_FORMAT
          "\n", res.ok, res.n_bad);
      failures++;
    } else {
      g_print ("ok   ultralytics NaN score fails\n");
    }
    yolo_parity_clear (&res);
  }
}

static void
test_rows (void)
{
  /* [1, 2, 5+2]: yolov5 boxes in px, yolox raw offsets with 2e-3 */
  gint64 dims[3] = { 1, 2, 7 };
  float ref[14], got[14];
  int i;

  for (i = 0; i < 14; i++)
    ref[i] = got[i] = (i % 7) < 4 ? 1.0f + i : 0.1f;
  got[7 + 2] += 0.003f;         /* row 1, w */
  expect ("yolov5 box 0.003 px", YOLO_FAMILY_YOLOV5, dims, ref, got, TRUE,
      0.003, 0);
  expect ("yolox raw 0.003 over 2e-3", YOLO_FAMILY_YOLOX, dims, ref, got,
      FALSE, 0.003, 0);
  got[7 + 2] = ref[7 + 2];
  got[4] += 0.002f;             /* objectness */
  expect ("yolov5 objectness over 1e-3", YOLO_FAMILY_YOLOV5, dims, ref, got,
      FALSE, 0, 0.002);
}

static void
e2e_row (float *t, int i, float x, float score, int cls)
{
  t[i * 6 + 0] = x;
  t[i * 6 + 1] = x + 1;
  t[i * 6 + 2] = x + 50;
  t[i * 6 + 3] = x + 60;
  t[i * 6 + 4] = score;
  t[i * 6 + 5] = (float) cls;
}

static void
test_end2end (void)
{
  gint64 dims[3] = { 1, 4, 6 };
  float ref[24], got[24];

  e2e_row (ref, 0, 10, 0.90f, 0);
  e2e_row (ref, 1, 100, 0.6000f, 5);
  e2e_row (ref, 2, 200, 0.5995f, 2);
  e2e_row (ref, 3, 300, 0.001f, 1);
  memcpy (got, ref, sizeof ref);
  expect ("end2end equal", YOLO_FAMILY_END2END, dims, ref, got, TRUE, 0, 0);

  /* near-tie rows 1 and 2 swapped, scores slightly off: still a match */
  e2e_row (got, 1, 200.01f, 0.5998f, 2);
  e2e_row (got, 2, 100, 0.5999f, 5);
  expect ("end2end near-tie swap", YOLO_FAMILY_END2END, dims, ref, got, TRUE,
      0.01, 0.0003);

  /* a confident row moved out of place without a tie */
  memcpy (got, ref, sizeof ref);
  e2e_row (got, 0, 100, 0.6000f, 5);
  e2e_row (got, 1, 10, 0.90f, 0);
  expect ("end2end confident rows out of order", YOLO_FAMILY_END2END, dims,
      ref, got, FALSE, 0, 0);

  /* a reference detection the engine lacks, and one it invents */
  memcpy (got, ref, sizeof ref);
  e2e_row (got, 2, 200, 0.5995f, 3);
  expect ("end2end wrong class", YOLO_FAMILY_END2END, dims, ref, got, FALSE,
      0, 0);
}

static void
test_bad_shape (void)
{
  gint64 dims[3] = { 1, 4, 7 };
  float z[28] = { 0 };
  YoloParity res;

  if (yolo_parity_compare (YOLO_FAMILY_END2END, 3, dims, z, z, &res)) {
    g_printerr ("FAIL end2end accepted a [1,4,7] output\n");
    failures++;
  } else {
    g_print ("ok   end2end rejects [1,4,7]: %s", res.log->str);
  }
  yolo_parity_clear (&res);
}

int
main (void)
{
  test_ultralytics ();
  test_rows ();
  test_end2end ();
  test_bad_shape ();
  if (failures)
    g_printerr ("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
