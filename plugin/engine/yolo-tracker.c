/* yolo-tracker.c - ByteTrack and IoU multi-object tracking (see the header)
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <math.h>
#include <string.h>

#include "yolo-tracker.h"

/* ---- linear assignment ------------------------------------------------ */

/* Shortest augmenting paths with row/column potentials (the Hungarian
 * method in its O(n^3) Jonker-Volgenant form), 1-based internally. */
gdouble
yolo_tracker_solve_assignment (const gdouble * cost, guint n, gint * assign)
{
  gdouble *u, *v, *minv, total = 0.0;
  gint *p, *way;
  gboolean *used;

  if (n == 0)
    return 0.0;
  u = g_new0 (gdouble, n + 1);
  v = g_new0 (gdouble, n + 1);
  minv = g_new (gdouble, n + 1);
  p = g_new0 (gint, n + 1);
  way = g_new0 (gint, n + 1);
  used = g_new (gboolean, n + 1);

  for (guint i = 1; i <= n; i++) {
    guint j0 = 0;

    p[0] = i;
    for (guint j = 0; j <= n; j++) {
      minv[j] = G_MAXDOUBLE;
      used[j] = FALSE;
    }
    do {
      guint i0 = p[j0], j1 = 0;
      gdouble delta = G_MAXDOUBLE;

      used[j0] = TRUE;
      for (guint j = 1; j <= n; j++) {
        gdouble cur;

        if (used[j])
          continue;
        cur = cost[(i0 - 1) * n + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (guint j = 0; j <= n; j++) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      guint j1 = way[j0];

      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }

  for (guint j = 1; j <= n; j++) {
    assign[p[j] - 1] = j - 1;
    total += cost[(p[j] - 1) * n + (j - 1)];
  }
  g_free (u);
  g_free (v);
  g_free (minv);
  g_free (p);
  g_free (way);
  g_free (used);
  return total;
}

guint
yolo_tracker_linear_assignment (const gdouble * cost, guint rows, guint cols,
    gdouble thresh, gint * row_to_col, gint * col_to_row)
{
  guint n = MAX (rows, cols), matches = 0;
  gdouble *sq;
  gint *assign;

  for (guint r = 0; r < rows; r++)
    row_to_col[r] = -1;
  for (guint c = 0; c < cols; c++)
    col_to_row[c] = -1;
  if (rows == 0 || cols == 0)
    return 0;

  /* square, padded with 0 = "left unmatched"; a pair gains cost - thresh
   * when that is negative, else it is no better than leaving both out */
  sq = g_new0 (gdouble, (gsize) n * n);
  for (guint r = 0; r < rows; r++)
    for (guint c = 0; c < cols; c++) {
      gdouble d = cost[r * cols + c];

      sq[r * n + c] = (isfinite (d) && d < thresh) ? d - thresh : 0.0;
    }
  assign = g_new (gint, n);
  yolo_tracker_solve_assignment (sq, n, assign);
  for (guint r = 0; r < rows; r++) {
    gint c = assign[r];

    if (c < (gint) cols && sq[r * n + c] < 0.0) {
      row_to_col[r] = c;
      col_to_row[c] = r;
      matches++;
    }
  }
  g_free (assign);
  g_free (sq);
  return matches;
}

/* ---- Kalman filter on (cx, cy, a = w/h, h) and their velocities -------- */

#define STD_WEIGHT_POSITION (1.0 / 20.0)
#define STD_WEIGHT_VELOCITY (1.0 / 160.0)

static void
kf_initiate (const gdouble xyah[4], gdouble mean[8], gdouble cov[64])
{
  gdouble h = xyah[3], wp = STD_WEIGHT_POSITION, wv = STD_WEIGHT_VELOCITY;
  gdouble std[8] = { 2 * wp * h, 2 * wp * h, 1e-2, 2 * wp * h,
    10 * wv * h, 10 * wv * h, 1e-5, 10 * wv * h
  };

  for (guint i = 0; i < 4; i++) {
    mean[i] = xyah[i];
    mean[i + 4] = 0.0;
  }
  memset (cov, 0, sizeof (gdouble) * 64);
  for (guint i = 0; i < 8; i++)
    cov[i * 8 + i] = std[i] * std[i];
}

/* x' = F x with F = [I I; 0 I] (dt = 1); P' = F P F^T + Q */
static void
kf_predict (gdouble mean[8], gdouble cov[64])
{
  gdouble h = mean[3], wp = STD_WEIGHT_POSITION, wv = STD_WEIGHT_VELOCITY;
  gdouble q[8] = { wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5,
    wv * h
  };
  gdouble fp[64], out[64];

  for (guint i = 0; i < 4; i++)
    mean[i] += mean[i + 4];
  /* F P: row i (< 4) += row i + 4 */
  for (guint i = 0; i < 8; i++)
    for (guint j = 0; j < 8; j++)
      fp[i * 8 + j] = cov[i * 8 + j] + (i < 4 ? cov[(i + 4) * 8 + j] : 0.0);
  /* (F P) F^T: column j (< 4) += column j + 4 */
  for (guint i = 0; i < 8; i++)
    for (guint j = 0; j < 8; j++)
      out[i * 8 + j] = fp[i * 8 + j] + (j < 4 ? fp[i * 8 + j + 4] : 0.0);
  for (guint i = 0; i < 8; i++)
    out[i * 8 + i] += q[i] * q[i];
  memcpy (cov, out, sizeof (out));
}

/* measurement z = H x + noise, H = [I 0] */
static void
kf_update (gdouble mean[8], gdouble cov[64], const gdouble z[4])
{
  gdouble h = mean[3], wp = STD_WEIGHT_POSITION;
  gdouble r[4] = { wp * h, wp * h, 1e-1, wp * h };
  gdouble s[16], l[16] = { 0 }, k[32], innov[4], ks[32];

  for (guint i = 0; i < 4; i++)
    for (guint j = 0; j < 4; j++)
      s[i * 4 + j] = cov[i * 8 + j] + (i == j ? r[i] * r[i] : 0.0);
  /* Cholesky S = L L^T (S is symmetric positive definite) */
  for (guint i = 0; i < 4; i++)
    for (guint j = 0; j <= i; j++) {
      gdouble sum = s[i * 4 + j];

      for (guint m = 0; m < j; m++)
        sum -= l[i * 4 + m] * l[j * 4 + m];
      if (i == j)
        l[i * 4 + i] = sqrt (MAX (sum, 1e-300));
      else
        l[i * 4 + j] = sum / l[j * 4 + j];
    }
  /* K = P H^T S^-1: each row k solves S x = (P H^T)[k]^T */
  for (guint row = 0; row < 8; row++) {
    gdouble y[4], x[4];

    for (guint i = 0; i < 4; i++) {
      gdouble sum = cov[row * 8 + i];

      for (guint m = 0; m < i; m++)
        sum -= l[i * 4 + m] * y[m];
      y[i] = sum / l[i * 4 + i];
    }
    for (gint i = 3; i >= 0; i--) {
      gdouble sum = y[i];

      for (guint m = i + 1; m < 4; m++)
        sum -= l[m * 4 + i] * x[m];
      x[i] = sum / l[i * 4 + i];
    }
    for (guint i = 0; i < 4; i++)
      k[row * 4 + i] = x[i];
  }
  for (guint i = 0; i < 4; i++)
    innov[i] = z[i] - mean[i];
  for (guint row = 0; row < 8; row++)
    for (guint i = 0; i < 4; i++)
      mean[row] += k[row * 4 + i] * innov[i];
  /* P -= K S K^T */
  for (guint row = 0; row < 8; row++)
    for (guint j = 0; j < 4; j++) {
      gdouble sum = 0.0;

      for (guint m = 0; m < 4; m++)
        sum += k[row * 4 + m] * s[m * 4 + j];
      ks[row * 4 + j] = sum;
    }
  for (guint row = 0; row < 8; row++)
    for (guint col = 0; col < 8; col++) {
      gdouble sum = 0.0;

      for (guint m = 0; m < 4; m++)
        sum += ks[row * 4 + m] * k[col * 4 + m];
      cov[row * 8 + col] -= sum;
    }
}

/* ---- tracks ------------------------------------------------------------ */

typedef enum
{
  TRACK_TRACKED,
  TRACK_LOST,
  TRACK_REMOVED,
} TrackState;

typedef struct
{
  gdouble mean[8];
  gdouble cov[64];
  TrackState state;
  gboolean activated;           /* confirmed */
  gint id;                      /* 0 until confirmed */
  gint64 frame_id;              /* last frame it was matched */
  gint64 start_frame;
  gint tracklet_len;
  gdouble score;
  gint label_id;
  gdouble det[4];               /* its last detection, x1 y1 x2 y2 */
  gint det_index;               /* its detection in this update, or -1 */
  gboolean output;              /* output by the last update */
  gboolean was_lost;            /* lost when this update began */
} Track;

struct _YoloTracker
{
  YoloTrackerParams p;
  GPtrArray *tracks;            /* Track *, TRACKED or LOST */
  gint64 frame_id;              /* frames since the reset (days of video
                                 * overflow a gint) */
  gint next_id;
  gboolean have_state;
};

YoloTracker *
yolo_tracker_new (const YoloTrackerParams * params)
{
  YoloTracker *t = g_new0 (YoloTracker, 1);

  t->p = *params;
  t->tracks = g_ptr_array_new_with_free_func (g_free);
  return t;
}

void
yolo_tracker_free (YoloTracker * t)
{
  if (!t)
    return;
  g_ptr_array_unref (t->tracks);
  g_free (t);
}

void
yolo_tracker_reset (YoloTracker * t)
{
  g_ptr_array_set_size (t->tracks, 0);
  t->frame_id = 0;
  t->next_id = 0;
  t->have_state = FALSE;
}

void
yolo_tracker_set_params (YoloTracker * t, const YoloTrackerParams * params)
{
  gboolean new_type = params->type != t->p.type;

  t->p = *params;
  if (new_type)
    yolo_tracker_reset (t);
}

gboolean
yolo_tracker_has_state (YoloTracker * t)
{
  return t->have_state;
}

static gint64
max_time_lost (YoloTracker * t)
{
  gdouble fps = t->p.frame_rate > 0.0 ? t->p.frame_rate : 30.0;

  /* int(frame_rate / 30 * track_buffer), bounded */
  return (gint64) MIN (fps / 30.0 * t->p.track_buffer, (gdouble) G_MAXINT);
}

static void
track_box (const Track * tr, gdouble box[4])
{
  gdouble w = tr->mean[2] * tr->mean[3], h = tr->mean[3];

  box[0] = tr->mean[0] - w / 2;
  box[1] = tr->mean[1] - h / 2;
  box[2] = box[0] + w;
  box[3] = box[1] + h;
}

static void
det_xyah (const YoloTrackerDet * d, gdouble xyah[4])
{
  gdouble w = d->x2 - d->x1, h = d->y2 - d->y1;

  xyah[0] = d->x1 + w / 2;
  xyah[1] = d->y1 + h / 2;
  xyah[2] = w / h;
  xyah[3] = h;
}

static gdouble
box_iou (const gdouble a[4], const gdouble b[4])
{
  gdouble iw = MIN (a[2], b[2]) - MAX (a[0], b[0]);
  gdouble ih = MIN (a[3], b[3]) - MAX (a[1], b[1]);
  gdouble inter, uni;

  if (iw <= 0.0 || ih <= 0.0)
    return 0.0;
  inter = iw * ih;
  uni = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

static gboolean
det_valid (const YoloTrackerDet * d)
{
  return isfinite (d->x1) && isfinite (d->y1) && isfinite (d->x2)
      && isfinite (d->y2) && isfinite (d->score) && d->x2 > d->x1
      && d->y2 > d->y1;
}

/* cost[i][j] = 1 - IoU(track i, det j) (x score of det j when fuse); the
 * track box is its Kalman state (ByteTrack) or its last detection (IoU) */
static gdouble *
iou_cost (YoloTracker * t, Track ** trs, guint nt, const YoloTrackerDet * dets,
    const guint * di, guint nd, gboolean fuse)
{
  gdouble *cost = g_new (gdouble, MAX ((gsize) nt * nd, 1));

  for (guint i = 0; i < nt; i++) {
    gdouble tb[4];

    if (t->p.type == YOLO_TRACKER_BYTETRACK)
      track_box (trs[i], tb);
    else
      memcpy (tb, trs[i]->det, sizeof (tb));
    for (guint j = 0; j < nd; j++) {
      const YoloTrackerDet *d = &dets[di[j]];
      gdouble db[4] = { d->x1, d->y1, d->x2, d->y2 };
      gdouble sim = box_iou (tb, db);

      if (fuse)
        sim *= d->score;
      cost[i * nd + j] = 1.0 - sim;
    }
  }
  return cost;
}

/* Associates trs with dets[di[]] (cost < thresh); matched tracks take
 * their detection. Unmatched tracks are left in t_left (if non-NULL),
 * unmatched detection indices in d_left (if non-NULL). */
static void
associate (YoloTracker * t, Track ** trs, guint nt, YoloTrackerDet * dets,
    const guint * di, guint nd, gboolean fuse, gdouble thresh,
    GPtrArray * t_left, GArray * d_left)
{
  gdouble *cost = iou_cost (t, trs, nt, dets, di, nd, fuse);
  gint *r2c = g_new (gint, MAX (nt, 1)), *c2r = g_new (gint, MAX (nd, 1));

  yolo_tracker_linear_assignment (cost, nt, nd, thresh, r2c, c2r);
  for (guint i = 0; i < nt; i++) {
    Track *tr = trs[i];

    if (r2c[i] < 0) {
      if (t_left)
        g_ptr_array_add (t_left, tr);
      continue;
    }
    {
      const YoloTrackerDet *d = &dets[di[r2c[i]]];

      if (t->p.type == YOLO_TRACKER_BYTETRACK) {
        gdouble z[4];

        det_xyah (d, z);
        kf_update (tr->mean, tr->cov, z);
        /* re_activate() of a lost track restarts its tracklet */
        tr->tracklet_len = tr->state == TRACK_TRACKED ? tr->tracklet_len + 1
            : 0;
      }
      tr->state = TRACK_TRACKED;
      tr->activated = TRUE;
      tr->frame_id = t->frame_id;
      tr->score = d->score;
      tr->label_id = d->label_id;
      tr->det[0] = d->x1;
      tr->det[1] = d->y1;
      tr->det[2] = d->x2;
      tr->det[3] = d->y2;
      tr->det_index = di[r2c[i]];
    }
  }
  if (d_left)
    for (guint j = 0; j < nd; j++)
      if (c2r[j] < 0)
        g_array_append_val (d_left, di[j]);
  g_free (cost);
  g_free (r2c);
  g_free (c2r);
}

static Track *
track_new (YoloTracker * t, const YoloTrackerDet * d, guint index)
{
  Track *tr = g_new0 (Track, 1);
  gdouble z[4];

  det_xyah (d, z);
  kf_initiate (z, tr->mean, tr->cov);
  tr->state = TRACK_TRACKED;
  tr->frame_id = tr->start_frame = t->frame_id;
  tr->score = d->score;
  tr->label_id = d->label_id;
  tr->det[0] = d->x1;
  tr->det[1] = d->y1;
  tr->det[2] = d->x2;
  tr->det[3] = d->y2;
  tr->det_index = index;
  g_ptr_array_add (t->tracks, tr);
  return tr;
}

/* remove_duplicate_stracks(): a tracked and a lost track on the same spot
 * (1 - IoU < 0.15): the younger one goes */
static void
remove_duplicates (YoloTracker * t)
{
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *a = g_ptr_array_index (t->tracks, i);
    gdouble ba[4];

    if (a->state != TRACK_TRACKED)
      continue;
    track_box (a, ba);
    for (guint j = 0; j < t->tracks->len; j++) {
      Track *b = g_ptr_array_index (t->tracks, j);
      gdouble bb[4];

      if (a->state != TRACK_TRACKED)
        break;
      if (b->state != TRACK_LOST)
        continue;
      track_box (b, bb);
      if (1.0 - box_iou (ba, bb) < 0.15) {
        if (a->frame_id - a->start_frame > b->frame_id - b->start_frame)
          b->state = TRACK_REMOVED;
        else
          a->state = TRACK_REMOVED;
      }
    }
  }
}

static void
update_bytetrack (YoloTracker * t, YoloTrackerDet * dets, guint n)
{
  GArray *high = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *low = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *high_left = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *high_left2 = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *pool = g_ptr_array_new (), *unconfirmed = g_ptr_array_new ();
  GPtrArray *pool_left = g_ptr_array_new (), *r_tracked = g_ptr_array_new ();
  GPtrArray *r_left = g_ptr_array_new (), *unconf_left = g_ptr_array_new ();
  gint64 max_lost = max_time_lost (t);

  for (guint i = 0; i < n; i++) {
    if (!det_valid (&dets[i]))
      continue;
    if (dets[i].score >= t->p.track_high_thresh)
      g_array_append_val (high, i);
    else if (dets[i].score > t->p.track_low_thresh)
      g_array_append_val (low, i);
  }

  /* the pool: confirmed tracked tracks, then lost ones */
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    tr->was_lost = tr->state == TRACK_LOST;
    if (tr->state == TRACK_TRACKED && !tr->activated)
      g_ptr_array_add (unconfirmed, tr);
    else if (tr->state == TRACK_TRACKED)
      g_ptr_array_add (pool, tr);
  }
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    if (tr->state == TRACK_LOST)
      g_ptr_array_add (pool, tr);
  }
  for (guint i = 0; i < pool->len; i++) {
    Track *tr = g_ptr_array_index (pool, i);

    if (tr->state != TRACK_TRACKED)
      tr->mean[7] = 0.0;
    kf_predict (tr->mean, tr->cov);
  }

  /* first association: high-score detections */
  associate (t, (Track **) pool->pdata, pool->len, dets,
      (guint *) high->data, high->len, t->p.fuse_score, t->p.match_thresh,
      pool_left, high_left);

  /* second: the tracked ones left, with the low-score detections */
  for (guint i = 0; i < pool_left->len; i++) {
    Track *tr = g_ptr_array_index (pool_left, i);

    if (tr->state == TRACK_TRACKED)
      g_ptr_array_add (r_tracked, tr);
  }
  associate (t, (Track **) r_tracked->pdata, r_tracked->len, dets,
      (guint *) low->data, low->len, FALSE, 0.5, r_left, NULL);
  for (guint i = 0; i < r_left->len; i++) {
    Track *tr = g_ptr_array_index (r_left, i);

    tr->state = TRACK_LOST;
  }

  /* unconfirmed tracks (one frame old) with the high ones left */
  associate (t, (Track **) unconfirmed->pdata, unconfirmed->len, dets,
      (guint *) high_left->data, high_left->len, t->p.fuse_score, 0.7,
      unconf_left, high_left2);
  for (guint i = 0; i < unconf_left->len; i++) {
    Track *tr = g_ptr_array_index (unconf_left, i);

    tr->state = TRACK_REMOVED;
  }

  /* new tracks; confirmed at once on the first frame */
  for (guint i = 0; i < high_left2->len; i++) {
    guint di = g_array_index (high_left2, guint, i);
    Track *tr;

    if (dets[di].score < t->p.new_track_thresh)
      continue;
    tr = track_new (t, &dets[di], di);
    tr->activated = t->frame_id == 1;
  }

  /* lost too long */
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    if (tr->was_lost && tr->state == TRACK_LOST
        && t->frame_id - tr->frame_id > max_lost)
      tr->state = TRACK_REMOVED;
  }
  remove_duplicates (t);

  g_array_unref (high);
  g_array_unref (low);
  g_array_unref (high_left);
  g_array_unref (high_left2);
  g_ptr_array_unref (pool);
  g_ptr_array_unref (unconfirmed);
  g_ptr_array_unref (pool_left);
  g_ptr_array_unref (r_tracked);
  g_ptr_array_unref (r_left);
  g_ptr_array_unref (unconf_left);
}

static void
update_iou (YoloTracker * t, YoloTrackerDet * dets, guint n)
{
  GArray *cand = g_array_new (FALSE, FALSE, sizeof (guint));
  GArray *left = g_array_new (FALSE, FALSE, sizeof (guint));
  GPtrArray *t_left = g_ptr_array_new ();
  gint64 max_lost = max_time_lost (t);

  for (guint i = 0; i < n; i++)
    if (det_valid (&dets[i]) && dets[i].score > t->p.track_low_thresh)
      g_array_append_val (cand, i);
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    tr->was_lost = tr->state == TRACK_LOST;
  }
  associate (t, (Track **) t->tracks->pdata, t->tracks->len, dets,
      (guint *) cand->data, cand->len, t->p.fuse_score, t->p.match_thresh,
      t_left, left);
  for (guint i = 0; i < t_left->len; i++) {
    Track *tr = g_ptr_array_index (t_left, i);

    tr->state = TRACK_LOST;
  }
  for (guint i = 0; i < left->len; i++) {
    guint di = g_array_index (left, guint, i);

    if (dets[di].score >= t->p.new_track_thresh)
      track_new (t, &dets[di], di)->activated = TRUE;
  }
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    if (tr->was_lost && tr->state == TRACK_LOST
        && t->frame_id - tr->frame_id > max_lost)
      tr->state = TRACK_REMOVED;
  }
  g_array_unref (cand);
  g_array_unref (left);
  g_ptr_array_unref (t_left);
}

void
yolo_tracker_update (YoloTracker * t, YoloTrackerDet * dets, guint n)
{
  t->frame_id++;
  t->have_state = TRUE;
  for (guint i = 0; i < n; i++)
    dets[i].track_id = 0;
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    tr->det_index = -1;
    tr->output = FALSE;
  }

  if (t->p.type == YOLO_TRACKER_IOU)
    update_iou (t, dets, n);
  else
    update_bytetrack (t, dets, n);

  /* drop the removed tracks; ids for the newly confirmed ones, in the
   * order the tracks were made */
  for (guint i = 0; i < t->tracks->len;) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    if (tr->state == TRACK_REMOVED) {
      g_ptr_array_remove_index (t->tracks, i);
      continue;
    }
    if (tr->state == TRACK_TRACKED && tr->activated) {
      if (tr->id == 0)          /* ids are ints (DL Streamer's object_id) */
        tr->id = t->next_id = t->next_id == G_MAXINT ? 1 : t->next_id + 1;
      if (tr->det_index >= 0) {
        dets[tr->det_index].track_id = tr->id;
        tr->output = TRUE;
      }
    }
    i++;
  }
}

void
yolo_tracker_predict (YoloTracker * t, YoloTrackerDet * dets, guint n)
{
  GPtrArray *out = g_ptr_array_new ();
  GArray *di = g_array_new (FALSE, FALSE, sizeof (guint));
  gdouble *cost;
  gint *r2c, *c2r;

  t->frame_id++;
  for (guint i = 0; i < n; i++)
    dets[i].track_id = 0;
  for (guint i = 0; i < t->tracks->len; i++) {
    Track *tr = g_ptr_array_index (t->tracks, i);

    /* as the next update's pool: confirmed tracks (a lost one without
     * height velocity) */
    if (t->p.type == YOLO_TRACKER_BYTETRACK && tr->activated) {
      if (tr->state != TRACK_TRACKED)
        tr->mean[7] = 0.0;
      kf_predict (tr->mean, tr->cov);
    }
    if (tr->output)
      g_ptr_array_add (out, tr);
  }
  for (guint i = 0; i < n; i++)
    if (det_valid (&dets[i]))
      g_array_append_val (di, i);

  /* each repeated detection back to the track that took it */
  cost = g_new (gdouble, MAX ((gsize) out->len * di->len, 1));
  for (guint i = 0; i < out->len; i++) {
    Track *tr = g_ptr_array_index (out, i);

    for (guint j = 0; j < di->len; j++) {
      const YoloTrackerDet *d = &dets[g_array_index (di, guint, j)];
      gdouble db[4] = { d->x1, d->y1, d->x2, d->y2 };

      cost[i * di->len + j] = 1.0 - box_iou (tr->det, db);
    }
  }
  r2c = g_new (gint, MAX (out->len, 1));
  c2r = g_new (gint, MAX (di->len, 1));
  yolo_tracker_linear_assignment (cost, out->len, di->len, 0.5, r2c, c2r);
  for (guint i = 0; i < out->len; i++) {
    Track *tr = g_ptr_array_index (out, i);
    YoloTrackerDet *d;

    if (r2c[i] < 0)
      continue;
    d = &dets[g_array_index (di, guint, r2c[i])];
    d->track_id = tr->id;
    if (t->p.type == YOLO_TRACKER_BYTETRACK) {
      gdouble b[4];

      track_box (tr, b);
      d->x1 = b[0];
      d->y1 = b[1];
      d->x2 = b[2];
      d->y2 = b[3];
    }
  }
  g_free (cost);
  g_free (r2c);
  g_free (c2r);
  g_array_unref (di);
  g_ptr_array_unref (out);
}
