/* yolo-tracker.h - multi-object tracking of detections (ByteTrack, IoU):
 * the engine's tracker, used by the yolotrack element.
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * GStreamer-free (GLib only). ByteTrack as Ultralytics implements it
 * (ultralytics/trackers/byte_tracker.py): a constant-velocity Kalman
 * filter on (centre x, centre y, aspect w/h, height) per track, a first
 * association of the high-score detections with the tracked and lost tracks
 * (IoU distance, optionally fused with the score), a second one of the
 * remaining tracked tracks with the low-score detections, unconfirmed
 * tracks (born this frame) confirmed by a second detection, lost tracks
 * kept `track_buffer` frames (scaled by frame_rate / 30). The IoU mode
 * associates detections with the tracks' last boxes, no motion model.
 *
 * Differences from Ultralytics, on purpose: ids start at 1 and are given
 * when a track is confirmed (first output), so they are consecutive (a
 * detection seen once burns no id); association is optimal (our own
 * Hungarian solver, the cost of lap.lapjv with cost_limit).
 */
#ifndef __YOLO_TRACKER_H__
#define __YOLO_TRACKER_H__

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YOLO_TRACKER_BYTETRACK = 0,
  YOLO_TRACKER_IOU = 1,
} YoloTrackerType;

typedef struct
{
  YoloTrackerType type;
  /* first association: score >= track_high_thresh; second: score in
   * (track_low_thresh, track_high_thresh) */
  gdouble track_high_thresh;
  gdouble track_low_thresh;
  /* a detection left unmatched starts a track if score >= this */
  gdouble new_track_thresh;
  /* frames (at 30 fps) a lost track is kept */
  guint track_buffer;
  /* largest (1 - IoU) cost of a first-stage match */
  gdouble match_thresh;
  /* cost = 1 - IoU * score instead of 1 - IoU */
  gboolean fuse_score;
  /* frames per second (<= 0: 30) */
  gdouble frame_rate;
} YoloTrackerParams;

#define YOLO_TRACKER_PARAMS_DEFAULT \
  { YOLO_TRACKER_BYTETRACK, 0.25, 0.1, 0.25, 30, 0.8, TRUE, 30.0 }

/* One detection of a frame, in frame pixels (x2 > x1, y2 > y1; others are
 * not tracked). track_id is written by the tracker: > 0 the id of the
 * track it belongs to this frame, 0 none. */
typedef struct
{
  gdouble x1, y1, x2, y2;
  gdouble score;
  gint label_id;
  gint track_id;
} YoloTrackerDet;

typedef struct _YoloTracker YoloTracker;

YoloTracker *yolo_tracker_new (const YoloTrackerParams * params);
void yolo_tracker_free (YoloTracker * tracker);

/* New parameters; a new type or frame rate applies from the next frame,
 * a new type also forgets every track. */
void yolo_tracker_set_params (YoloTracker * tracker,
    const YoloTrackerParams * params);

/* Forgets every track; ids start again at 1. */
void yolo_tracker_reset (YoloTracker * tracker);

/* TRUE once yolo_tracker_update() ran since the last reset. */
gboolean yolo_tracker_has_state (YoloTracker * tracker);

/* A frame with fresh detections (n may be 0): associates them, sets each
 * dets[i].track_id. Boxes are left as they are. */
void yolo_tracker_update (YoloTracker * tracker, YoloTrackerDet * dets,
    guint n);

/* A frame without inference, whose dets repeat the last update's
 * detections: every track moves one frame on (Kalman prediction; the IoU
 * mode has no motion), and each det that is the detection of a track
 * output by the last update gets that track's id and its predicted box
 * (in place). Others get track_id 0. */
void yolo_tracker_predict (YoloTracker * tracker, YoloTrackerDet * dets,
    guint n);

/* Optimal assignment on a square n x n cost matrix (row-major, finite):
 * assign[row] = column, minimising the sum. Returns the minimum. */
gdouble yolo_tracker_solve_assignment (const gdouble * cost, guint n,
    gint * assign);

/* Linear assignment as ByteTrack uses it (lap.lapjv with cost_limit):
 * among the pairs whose cost < thresh, the matching minimising
 * sum(cost - thresh). cost is rows x cols, row-major. Writes
 * row_to_col[rows] and col_to_row[cols] (-1: unmatched); returns the
 * number of matches. */
guint yolo_tracker_linear_assignment (const gdouble * cost, guint rows,
    guint cols, gdouble thresh, gint * row_to_col, gint * col_to_row);

G_END_DECLS
#endif /* __YOLO_TRACKER_H__ */
