/* yolo-parity.c - output-0 comparison by the rules of test_parity.py. */
#include <math.h>
#include <string.h>

#include "yolo-parity.h"

typedef enum
{
  KIND_BOX,
  KIND_SCORE,
} Kind;

/* Compares the block [r0,r1) x [c0,c1) of two [rows, cols] matrices,
 * logs one line like test_parity.py's Report.section. */
static void
section (YoloParity * res, const char *name, Kind kind, const float *ref,
    const float *got, gint64 cols, gint64 r0, gint64 r1, gint64 c0,
    gint64 c1, double atol)
{
  gint64 r, c, n = 0, nbad = 0, wr = -1, wc = -1;
  double worst = -1, sum = 0;

  for (r = r0; r < r1; r++) {
    for (c = c0; c < c1; c++) {
      double a = ref[r * cols + c], b = got[r * cols + c];
      double e = isfinite (b) ? fabs (a - b) : INFINITY;
      n++;
      if (isfinite (e))
        sum += e;
      if (!(e <= atol))
        nbad++;
      if (e > worst) {
        worst = e;
        wr = r;
        wc = c;
      }
    }
  }
  if (n == 0) {
    g_string_append_printf (res->log, "  %-28s empty\n", name);
    return;
  }
  g_string_append_printf (res->log, "  %-28s max|err| %.3g at (%"
      G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") (ref %.6g, got %.6g), mean "
      "%.2g, atol %g: ", name, worst, wr, wc, (double) ref[wr * cols + wc],
      (double) got[wr * cols + wc], sum / n, atol);
  if (nbad)
    g_string_append_printf (res->log, "FAIL (%" G_GINT64_FORMAT " of %"
        G_GINT64_FORMAT " over %g)\n", nbad, n, atol);
  else
    g_string_append (res->log, "ok\n");
  res->n_bad += nbad;
  if (kind == KIND_BOX)
    res->box_err = MAX (res->box_err, worst);
  else
    res->score_err = MAX (res->score_err, worst);
}

static double
box_diff (const float *a, const float *b)
{
  double m = 0;
  int k;

  for (k = 0; k < 4; k++)
    m = MAX (m, fabs ((double) a[k] - b[k]));
  return m;
}

static void
row_str (GString * s, const char *who, gint64 i, const float *row)
{
  g_string_append_printf (s, "%s row %" G_GINT64_FORMAT " (class %.0f, score "
      "%.4f, box [%.2f, %.2f, %.2f, %.2f])", who, i, rint (row[5]), row[4],
      row[0], row[1], row[2], row[3]);
}

/* test_parity.py compare_end2end: rows are x1,y1,x2,y2,score,class sorted
 * by score; near-equal scores may swap. */
static void
compare_end2end (YoloParity * res, const float *ref, const float *got, gint64 k)
{
  double floor_s, min_ref = INFINITY;
  gboolean *used = g_new0 (gboolean, MAX (k, 1));
  gint64 i, j, n_want = 0, n_unmatched = 0, n_extra = 0, n_top = 0;

  for (i = 0; i < 6 * k; i++) {
    if (!isfinite (got[i])) {
      res->n_bad++;
      g_string_append_printf (res->log, "  end2end: non-finite value %g at "
          "row %" G_GINT64_FORMAT " of the engine output\n", got[i], i / 6);
      g_free (used);
      return;
    }
  }
  for (i = 0; i < k; i++)
    min_ref = MIN (min_ref, (double) ref[i * 6 + 4]);
  floor_s = MAX (YOLO_PARITY_E2E_MIN_SCORE, min_ref + YOLO_PARITY_SCORE_ATOL);

  for (i = 0; i < k; i++) {
    const float *r = ref + i * 6;
    gint64 best = -1;
    double best_v = INFINITY;

    if (!(r[4] > floor_s))
      continue;
    n_want++;
    for (j = 0; j < k; j++) {
      const float *g = got + j * 6;
      double be, se, v;
      if (used[j] || rint (g[5]) != rint (r[5]))
        continue;
      be = box_diff (g, r);
      se = fabs ((double) g[4] - r[4]);
      if (be > YOLO_PARITY_BOX_ATOL || se > YOLO_PARITY_SCORE_ATOL)
        continue;
      /* closest candidate, preferring the same index */
      v = be + (j != i) * 1e-9;
      if (v < best_v) {
        best_v = v;
        best = j;
      }
    }
    if (best >= 0) {
      const float *g = got + best * 6;
      used[best] = TRUE;
      res->box_err = MAX (res->box_err, box_diff (g, r));
      res->score_err = MAX (res->score_err, fabs ((double) g[4] - r[4]));
      continue;
    }
    n_unmatched++;
    res->n_bad++;
    if (n_unmatched <= 10) {
      gint64 c = 0;
      double cd = INFINITY;
      for (j = 0; j < k; j++) {
        double d = box_diff (got + j * 6, r);
        if (d < cd) {
          cd = d;
          c = j;
        }
      }
      g_string_append (res->log, "  end2end: ");
      row_str (res->log, "reference", i, r);
      g_string_append (res->log, " has no engine match; closest ");
      row_str (res->log, "engine", c, got + c * 6);
      g_string_append_c (res->log, '\n');
    }
  }
  g_string_append_printf (res->log, "  detections with score > %.4g: %"
      G_GINT64_FORMAT " reference rows, %" G_GINT64_FORMAT " matched; box "
      "max|err| %.3g px (atol %g), score max|err| %.3g (atol %g)\n", floor_s,
      n_want, n_want - n_unmatched, res->box_err, YOLO_PARITY_BOX_ATOL,
      res->score_err, YOLO_PARITY_SCORE_ATOL);

  for (j = 0; j < k; j++) {
    if (used[j] || !(got[j * 6 + 4] > floor_s + YOLO_PARITY_SCORE_ATOL))
      continue;
    n_extra++;
    res->n_bad++;
    if (n_extra <= 10) {
      g_string_append (res->log, "  end2end: ");
      row_str (res->log, "engine", j, got + j * 6);
      g_string_append (res->log, " is not in the reference\n");
    }
  }

  /* the confident head of the list must be in the same order, bar ties */
  for (i = 0; i < k && ref[i * 6 + 4] > YOLO_PARITY_E2E_CONFIDENT; i++) {
    const float *r = ref + i * 6, *g = got + i * 6;
    gboolean tie = (i > 0 && r[-6 + 4] - r[4] < 2 * YOLO_PARITY_SCORE_ATOL)
        || (i + 1 < k && r[4] - r[6 + 4] < 2 * YOLO_PARITY_SCORE_ATOL);
    gboolean same = rint (g[5]) == rint (r[5])
        && box_diff (g, r) <= YOLO_PARITY_BOX_ATOL
        && fabs ((double) g[4] - r[4]) <= YOLO_PARITY_SCORE_ATOL;
    n_top++;
    if (!same && !tie) {
      res->n_bad++;
      g_string_append (res->log, "  end2end: ");
      row_str (res->log, "reference", i, r);
      g_string_append (res->log, " differs from ");
      row_str (res->log, "engine", i, g);
      g_string_append_c (res->log, '\n');
    }
  }
  g_string_append_printf (res->log, "  top rows (score > %g): %"
      G_GINT64_FORMAT " checked in order\n", YOLO_PARITY_E2E_CONFIDENT, n_top);
  g_free (used);
}

gboolean
yolo_parity_compare (YoloFamily family, int ndim, const gint64 * dims,
    const float *ref, const float *got, YoloParity * res)
{
  gint64 a, b;

  memset (res, 0, sizeof *res);
  res->log = g_string_new (NULL);
  if (ndim != 3 || dims[0] != 1 || dims[1] < 1 || dims[2] < 1) {
    g_string_append_printf (res->log, "output 0 has %d dimensions, not "
        "[1, a, b]\n", ndim);
    return FALSE;
  }
  a = dims[1];
  b = dims[2];
  switch (family) {
    case YOLO_FAMILY_ULTRALYTICS:
      if (a < 5)
        break;
      section (res, "boxes cx,cy,w,h (px)", KIND_BOX, ref, got, b, 0, 4, 0,
          b, YOLO_PARITY_BOX_ATOL);
      section (res, "class scores", KIND_SCORE, ref, got, b, 4, a, 0, b,
          YOLO_PARITY_SCORE_ATOL);
      goto done;
    case YOLO_FAMILY_YOLOV5:
      if (b < 6)
        break;
      section (res, "boxes cx,cy,w,h (px)", KIND_BOX, ref, got, b, 0, a, 0,
          4, YOLO_PARITY_BOX_ATOL);
      section (res, "objectness", KIND_SCORE, ref, got, b, 0, a, 4, 5,
          YOLO_PARITY_SCORE_ATOL);
      section (res, "class scores", KIND_SCORE, ref, got, b, 0, a, 5, b,
          YOLO_PARITY_SCORE_ATOL);
      goto done;
    case YOLO_FAMILY_YOLOX:
      if (b < 6)
        break;
      section (res, "raw x,y offsets", KIND_BOX, ref, got, b, 0, a, 0, 2,
          YOLO_PARITY_YOLOX_RAW_ATOL);
      section (res, "raw log w,h", KIND_BOX, ref, got, b, 0, a, 2, 4,
          YOLO_PARITY_YOLOX_RAW_ATOL);
      section (res, "objectness", KIND_SCORE, ref, got, b, 0, a, 4, 5,
          YOLO_PARITY_SCORE_ATOL);
      section (res, "class scores", KIND_SCORE, ref, got, b, 0, a, 5, b,
          YOLO_PARITY_SCORE_ATOL);
      goto done;
    case YOLO_FAMILY_END2END:
      if (b != 6)
        break;
      compare_end2end (res, ref, got, a);
      goto done;
    default:
      g_string_append (res->log, "unknown head family\n");
      return FALSE;
  }
  g_string_append_printf (res->log, "output 0 [1, %" G_GINT64_FORMAT ", %"
      G_GINT64_FORMAT "] is not a %s output\n", a, b,
      yolo_family_name (family));
  return FALSE;

done:
  res->ok = res->n_bad == 0;
  return TRUE;
}

void
yolo_parity_clear (YoloParity * res)
{
  if (res->log)
    g_string_free (res->log, TRUE);
  res->log = NULL;
}
