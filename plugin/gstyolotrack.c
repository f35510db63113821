/* GStreamer YOLO plugin - yolotrack element
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-yolotrack
 * @title: yolotrack
 *
 * Gives the objects that yolodetect (or any producer of ROI metas with
 * DL Streamer's "detection" structure, such as gvadetect) finds an identity
 * from frame to frame. ByteTrack as Ultralytics implements it (its default
 * tracker): Kalman-filtered boxes, a first association of the high-score
 * detections, a second one of the low-score detections with the tracks
 * still unmatched, lost tracks kept #GstYoloTrack:track-buffer frames; or a
 * plain IoU association without motion model (#GstYoloTrack:tracker-type).
 *
 * Each detection that belongs to a confirmed track gets DL Streamer's
 * "object_id" structure (field `id`, int, from 1) among its ROI meta's
 * parameters (and in yolodetect's companion meta, so it survives
 * videoconvert); yolooverlay draws `person #3 0.91`, yolojson writes
 * `"id":3`. Detections no track took (a new object's first frame, low
 * scores) keep no id; tracks without a detection this frame (lost) are not
 * attached. On the frames between inferences of yolodetect
 * (inference-interval > 1), which repeat the last inference's detections,
 * the tracks move on by their Kalman prediction: each repeated detection of
 * a tracked object gets its id and its predicted box.
 *
 * A new frame size or a flush (seek) forgets every track; ids start again
 * at 1. The second association needs low-score detections: run yolodetect
 * with conf-threshold=0.1, as Ultralytics' track() does.
 *
 * |[
 * gst-launch-1.0 filesrc location=people.mp4 ! decodebin ! videoconvert ! \
 *   yolodetect conf-threshold=0.1 ! yolotrack ! yolooverlay ! videoconvert ! autovideosink
 * ]|
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <math.h>
#include <gst/video/video.h>

#include "gstyolotrack.h"
#include "gstyolometa.h"
#include "yolo-tracker.h"

GST_DEBUG_CATEGORY_STATIC (gst_yolo_track_debug);
#define GST_CAT_DEFAULT gst_yolo_track_debug

enum
{
  PROP_0,
  PROP_TRACKER_TYPE,
  PROP_TRACK_HIGH_THRESH,
  PROP_TRACK_LOW_THRESH,
  PROP_NEW_TRACK_THRESH,
  PROP_TRACK_BUFFER,
  PROP_MATCH_THRESH,
  PROP_FUSE_SCORE,
};

struct _GstYoloTrack
{
  GstBaseTransform parent;

  /* properties, protected by the object lock */
  YoloTrackerParams params;

  /* streaming state */
  YoloTracker *tracker;
  gint width, height;
  gdouble frame_rate;
  gboolean reset_pending;
  GArray *dets;                 /* YoloTrackerDet */
  GPtrArray *rois;              /* GstVideoRegionOfInterestMeta *, as dets */
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

GType
gst_yolo_tracker_type_get_type (void)
{
  static gsize id = 0;
  static const GEnumValue values[] = {
    {YOLO_TRACKER_BYTETRACK, "ByteTrack: Kalman filter, two-stage "
          "association of high and low score detections", "bytetrack"},
    {YOLO_TRACKER_IOU, "IoU association with the last boxes, no motion model",
        "iou"},
    {0, NULL, NULL}
  };

  if (g_once_init_enter (&id)) {
    GType t = g_enum_register_static ("GstYoloTrackerType", values);
    g_once_init_leave (&id, t);
  }
  return (GType) id;
}

#define gst_yolo_track_parent_class parent_class
G_DEFINE_TYPE (GstYoloTrack, gst_yolo_track, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (yolo_track, "yolotrack", GST_RANK_NONE,
    GST_TYPE_YOLO_TRACK);

static void
gst_yolo_track_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloTrack *self = GST_YOLO_TRACK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TRACKER_TYPE:
      self->params.type = g_value_get_enum (value);
      break;
    case PROP_TRACK_HIGH_THRESH:
      self->params.track_high_thresh = g_value_get_double (value);
      break;
    case PROP_TRACK_LOW_THRESH:
      self->params.track_low_thresh = g_value_get_double (value);
      break;
    case PROP_NEW_TRACK_THRESH:
      self->params.new_track_thresh = g_value_get_double (value);
      break;
    case PROP_TRACK_BUFFER:
      self->params.track_buffer = g_value_get_uint (value);
      break;
    case PROP_MATCH_THRESH:
      self->params.match_thresh = g_value_get_double (value);
      break;
    case PROP_FUSE_SCORE:
      self->params.fuse_score = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_track_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstYoloTrack *self = GST_YOLO_TRACK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_TRACKER_TYPE:
      g_value_set_enum (value, self->params.type);
      break;
    case PROP_TRACK_HIGH_THRESH:
      g_value_set_double (value, self->params.track_high_thresh);
      break;
    case PROP_TRACK_LOW_THRESH:
      g_value_set_double (value, self->params.track_low_thresh);
      break;
    case PROP_NEW_TRACK_THRESH:
      g_value_set_double (value, self->params.new_track_thresh);
      break;
    case PROP_TRACK_BUFFER:
      g_value_set_uint (value, self->params.track_buffer);
      break;
    case PROP_MATCH_THRESH:
      g_value_set_double (value, self->params.match_thresh);
      break;
    case PROP_FUSE_SCORE:
      g_value_set_boolean (value, self->params.fuse_score);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_yolo_track_start (GstBaseTransform * trans)
{
  GstYoloTrack *self = GST_YOLO_TRACK (trans);
  YoloTrackerParams p;

  GST_OBJECT_LOCK (self);
  p = self->params;
  GST_OBJECT_UNLOCK (self);
  self->tracker = yolo_tracker_new (&p);
  self->width = self->height = 0;
  self->frame_rate = 0.0;
  self->reset_pending = FALSE;
  return TRUE;
}

static gboolean
gst_yolo_track_stop (GstBaseTransform * trans)
{
  GstYoloTrack *self = GST_YOLO_TRACK (trans);

  yolo_tracker_free (self->tracker);
  self->tracker = NULL;
  return TRUE;
}

static gboolean
gst_yolo_track_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstYoloTrack *self = GST_YOLO_TRACK (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);
  gint w = 0, h = 0, fn = 0, fd = 1;

  if (!gst_structure_get_int (s, "width", &w)
      || !gst_structure_get_int (s, "height", &h) || w <= 0 || h <= 0) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("caps without a valid width and height: %" GST_PTR_FORMAT, incaps));
    return FALSE;
  }
  /* boxes are in pixels of one geometry: a new one starts afresh */
  if (w != self->width || h != self->height)
    self->reset_pending = TRUE;
  self->width = w;
  self->height = h;
  if (gst_structure_get_fraction (s, "framerate", &fn, &fd) && fn > 0 && fd > 0)
    self->frame_rate = (gdouble) fn / fd;
  else
    self->frame_rate = 0.0;     /* the tracker takes 30 */
  return TRUE;
}

static gboolean
gst_yolo_track_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYoloTrack *self = GST_YOLO_TRACK (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    self->reset_pending = TRUE;
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* The frame's detections: ROI metas with a "detection" structure (or its
 * companion copy), boxes in frame pixels. */
static void
collect_detections (GstYoloTrack * self, GstBuffer * buf)
{
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;

  g_array_set_size (self->dets, 0);
  g_ptr_array_set_size (self->rois, 0);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstStructure *s = gst_yolo_meta_find_params (buf, roi);
    YoloTrackerDet d = { 0 };
    gdouble v[4];

    if (!s)
      continue;
    if (!gst_structure_get_double (s, "confidence", &d.score))
      d.score = 1.0;
    if (!gst_structure_get_int (s, "label_id", &d.label_id))
      d.label_id = -1;
    /* an oriented box: the region it covers, whichever ROI rectangle
     * yolodetect's obb-roi gave it (DL Streamer's is the unrotated box) */
    if (gst_yolo_meta_get_rotated_bounds (s, self->width, self->height, v)) {
      d.x1 = v[0];
      d.y1 = v[1];
      d.x2 = v[2];
      d.y2 = v[3];
    } else if (gst_structure_get (s, "x_min", G_TYPE_DOUBLE, &v[0],
            "y_min", G_TYPE_DOUBLE, &v[1], "x_max", G_TYPE_DOUBLE, &v[2],
            "y_max", G_TYPE_DOUBLE, &v[3], NULL)) {
      d.x1 = v[0] * self->width;
      d.y1 = v[1] * self->height;
      d.x2 = v[2] * self->width;
      d.y2 = v[3] * self->height;
    } else {
      d.x1 = roi->x;
      d.y1 = roi->y;
      d.x2 = (gdouble) roi->x + roi->w;
      d.y2 = (gdouble) roi->y + roi->h;
    }
    g_array_append_val (self->dets, d);
    g_ptr_array_add (self->rois, roi);
  }
}

/* TRUE if roi carries a shape tied to its box (pose keypoints, a mask, a
 * rotated box): moving the box alone would part it from that shape, so
 * such boxes stay the detector's between inferences. */
static gboolean
has_shape (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *det = gst_yolo_meta_find_params (buf, roi);

  return gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_KEYPOINTS_STRUCTURE_NAME) != NULL
      || gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_MASK_STRUCTURE_NAME) != NULL
      || (det && gst_structure_has_field (det, "rotation"));
}

static GstFlowReturn
gst_yolo_track_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYoloTrack *self = GST_YOLO_TRACK (trans);
  YoloTrackerParams p;
  gboolean inferred;
  guint n;

  if (!self->tracker || self->width <= 0) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("not started or no caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GST_OBJECT_LOCK (self);
  p = self->params;
  GST_OBJECT_UNLOCK (self);
  p.frame_rate = self->frame_rate;
  yolo_tracker_set_params (self->tracker, &p);
  if (self->reset_pending) {
    GST_DEBUG_OBJECT (self, "new geometry or flush: tracks forgotten");
    yolo_tracker_reset (self->tracker);
    self->reset_pending = FALSE;
  }

  collect_detections (self, buf);
  n = self->dets->len;
  inferred = gst_yolo_meta_is_inferred (buf)
      || !yolo_tracker_has_state (self->tracker);
  if (inferred)
    yolo_tracker_update (self->tracker, (YoloTrackerDet *) self->dets->data, n);
  else
    yolo_tracker_predict (self->tracker, (YoloTrackerDet *) self->dets->data,
        n);

  for (guint i = 0; i < n; i++) {
    const YoloTrackerDet *d = &g_array_index (self->dets, YoloTrackerDet, i);
    GstVideoRegionOfInterestMeta *roi = g_ptr_array_index (self->rois, i);

    if (d->track_id <= 0)
      continue;
    if (!inferred && !has_shape (buf, roi))
      gst_yolo_meta_set_box (buf, roi, self->width, self->height, d->x1,
          d->y1, d->x2, d->y2);
    gst_yolo_meta_set_object_id (buf, roi, d->track_id);
  }
  GST_LOG_OBJECT (self, "%s frame, %u detections", inferred ? "inferred" :
      "predicted", n);
  return GST_FLOW_OK;
}

static void
gst_yolo_track_finalize (GObject * object)
{
  GstYoloTrack *self = GST_YOLO_TRACK (object);

  yolo_tracker_free (self->tracker);
  g_array_unref (self->dets);
  g_ptr_array_unref (self->rois);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_yolo_track_class_init (GstYoloTrackClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const YoloTrackerParams def = YOLO_TRACKER_PARAMS_DEFAULT;
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (gst_yolo_track_debug, "yolotrack", 0,
      "YOLO object tracker (ByteTrack, IoU)");

  gobject_class->set_property = gst_yolo_track_set_property;
  gobject_class->get_property = gst_yolo_track_get_property;
  gobject_class->finalize = gst_yolo_track_finalize;

  /**
   * GstYoloTrack:tracker-type:
   *
   * `bytetrack` (Kalman filter, two-stage association) or `iou` (each
   * frame's detections matched to the tracks' last boxes by IoU, no motion
   * model; every detection above track-low-thresh takes part). A change
   * while playing forgets every track.
   */
  g_object_class_install_property (gobject_class, PROP_TRACKER_TYPE,
      g_param_spec_enum ("tracker-type", "Tracker type",
          "Tracking algorithm", GST_TYPE_YOLO_TRACKER_TYPE, def.type, flags));
  /**
   * GstYoloTrack:track-high-thresh:
   *
   * Detections with a confidence of at least this take part in the first
   * association (and can start tracks).
   */
  g_object_class_install_property (gobject_class, PROP_TRACK_HIGH_THRESH,
      g_param_spec_double ("track-high-thresh", "Track high threshold",
          "Confidence of the first association's detections", 0.0, 1.0,
          def.track_high_thresh, flags));
  /**
   * GstYoloTrack:track-low-thresh:
   *
   * Detections with a confidence above this (and below track-high-thresh)
   * take part in the second association, with the tracked objects the
   * first one left unmatched; lower ones are ignored.
   */
  g_object_class_install_property (gobject_class, PROP_TRACK_LOW_THRESH,
      g_param_spec_double ("track-low-thresh", "Track low threshold",
          "Confidence above which detections take part in the second "
          "association", 0.0, 1.0, def.track_low_thresh, flags));
  /**
   * GstYoloTrack:new-track-thresh:
   *
   * A detection no track took starts a new track if its confidence is at
   * least this. The track is confirmed (gets an id) when a detection
   * continues it in the next frame (at once on the first frame).
   */
  g_object_class_install_property (gobject_class, PROP_NEW_TRACK_THRESH,
      g_param_spec_double ("new-track-thresh", "New track threshold",
          "Confidence needed to start a new track", 0.0, 1.0,
          def.new_track_thresh, flags));
  /**
   * GstYoloTrack:track-buffer:
   *
   * Frames a lost track (no detection) is kept, so that the object gets
   * its id back when it reappears; scaled by the frame rate / 30 (as
   * Ultralytics does: 60 frames at 60 fps).
   */
  g_object_class_install_property (gobject_class, PROP_TRACK_BUFFER,
      g_param_spec_uint ("track-buffer", "Track buffer",
          "Frames (at 30 fps) a lost track is kept", 0, G_MAXINT / 8,
          def.track_buffer, flags));
  /**
   * GstYoloTrack:match-thresh:
   *
   * Largest cost (1 - IoU, or 1 - IoU x confidence with fuse-score) of a
   * track-detection match in the first association.
   */
  g_object_class_install_property (gobject_class, PROP_MATCH_THRESH,
      g_param_spec_double ("match-thresh", "Match threshold",
          "Largest (1 - IoU) cost of a match", 0.0, 1.0, def.match_thresh,
          flags));
  /**
   * GstYoloTrack:fuse-score:
   *
   * Weigh the IoU with the detection's confidence in the association cost
   * (1 - IoU x confidence).
   */
  g_object_class_install_property (gobject_class, PROP_FUSE_SCORE,
      g_param_spec_boolean ("fuse-score", "Fuse score",
          "Association cost 1 - IoU x confidence instead of 1 - IoU",
          def.fuse_score, flags));

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "YOLO object tracker", "Filter/Analyzer/Video",
      "Gives detections (ROI metas) an identity from frame to frame with "
      "ByteTrack or IoU tracking (DL Streamer object_id)", "gst-yolo authors");

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolo_track_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolo_track_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_yolo_track_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_yolo_track_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_yolo_track_transform_ip);
  trans_class->passthrough_on_same_caps = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_TRACKER_TYPE, 0);
}

static void
gst_yolo_track_init (GstYoloTrack * self)
{
  const YoloTrackerParams def = YOLO_TRACKER_PARAMS_DEFAULT;

  self->params = def;
  self->dets = g_array_new (FALSE, FALSE, sizeof (YoloTrackerDet));
  self->rois = g_ptr_array_new ();
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
