/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-yolojson
 * @title: yolojson
 *
 * Passthrough element that writes the detections of every frame as one JSON
 * object per line (JSON Lines):
 *
 * |[
 * {"pts":40000000,"frame":1,"width":1280,"height":720,"objects":[
 *   {"label":"person","label_id":0,"confidence":0.91,
 *    "x":672,"y":374,"w":137,"h":505}]}
 * ]|
 *
 * (one line in the output). Objects are the frame's
 * #GstVideoRegionOfInterestMeta in frame pixels; `label`, `label_id` and
 * `confidence` come from the DL Streamer "detection" parameter structure
 * when present, otherwise `label` is the roi_type name and `label_id` and
 * `confidence` are null. Objects that yolotrack (or DL Streamer's gvatrack)
 * gave an id have `"id"` (int, DL Streamer's "object_id" structure) after
 * `confidence`. `confidence` is rounded to 4 decimals (magnitudes
 * of 1e15 and more are written in full, e.g. `1e+308`); a non-finite
 * confidence (NaN or infinity, which JSON cannot represent; yolodetect never
 * attaches one, other elements might) is written as null, the object is
 * kept. A label that is not valid UTF-8 has its bad bytes replaced by
 * U+FFFD. Every line is valid JSON (RFC 8259), whatever the locale.
 * `pts` is null for buffers without a timestamp,
 * `frame` counts buffers from 0 since the element started. Frames without
 * detections still produce a line with an empty `objects` list.
 *
 * The task structures of gstyolometa.h add members to an object:
 * `keypoints` ([[x, y, confidence], ...] in frame pixels), `rotation`
 * (radians) and `rotated_box` ([cx, cy, w, h]), `mask` ({"size": [h, w],
 * "counts": [...]}: COCO's uncompressed RLE, column-major, zeros first,
 * over the object's x, y, w, h rectangle) and `classes` (a classification's
 * top-k: [{"label", "label_id", "confidence"}, ...]). All are in the pixels
 * of the frame this element sees: after a videoscale the rotated box is
 * scaled and the mask resampled onto the scaled rectangle.
 *
 * The file is flushed after every line, so `tail -f` follows it live.
 * With #GstYoloJson:post-messages the same text is also posted on the bus
 * as an element message named "yolojson" with fields `json` (string), `pts`
 * (guint64) and `frame` (guint64).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -q filesrc location=video.mp4 ! decodebin ! videoconvert ! \
 *     yolodetect model-file=yolov8n.onnx ! yolojson location=dets.jsonl ! \
 *     fakesink
 * ]|
 *
 * Since: 0.1
 */

#include "config.h"

#include "gstyolojson.h"
#include "gstyolojsonframe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>

GST_DEBUG_CATEGORY_STATIC (gst_yolo_json_debug);
#define GST_CAT_DEFAULT gst_yolo_json_debug

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_POST_MESSAGES,
};

#define DEFAULT_LOCATION "-"
#define DEFAULT_POST_MESSAGES FALSE

struct _GstYoloJson
{
  GstBaseTransform parent;

  /* properties, protected by the object lock */
  gchar *location;
  gboolean post_messages;

  /* streaming state */
  FILE *file;
  gboolean owns_file;
  guint64 frame;
  gint width;
  gint height;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define gst_yolo_json_parent_class parent_class
G_DEFINE_TYPE (GstYoloJson, gst_yolo_json, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (yolo_json, "yolojson", GST_RANK_NONE,
    GST_TYPE_YOLO_JSON);

static void gst_yolo_json_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_yolo_json_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_yolo_json_finalize (GObject * object);
static gboolean gst_yolo_json_start (GstBaseTransform * trans);
static gboolean gst_yolo_json_stop (GstBaseTransform * trans);
static gboolean gst_yolo_json_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_yolo_json_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstFlowReturn gst_yolo_json_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static void
gst_yolo_json_class_init (GstYoloJsonClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_yolo_json_debug, "yolojson", 0,
      "YOLO detections to JSON lines");

  gobject_class->set_property = gst_yolo_json_set_property;
  gobject_class->get_property = gst_yolo_json_get_property;
  gobject_class->finalize = gst_yolo_json_finalize;

  /**
   * GstYoloJson:location:
   *
   * File to write the JSON lines to (truncated on start), or "-" for
   * standard output.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File to write JSON lines to, \"-\" for stdout", DEFAULT_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloJson:post-messages:
   *
   * Also post each frame's JSON as an element message named "yolojson"
   * (fields `json`, `pts`, `frame`) on the bus.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post each frame's JSON as an element message on the bus",
          DEFAULT_POST_MESSAGES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "YOLO detections to JSON", "Filter/Analyzer/Video",
      "Writes region-of-interest metas as one JSON object per frame",
      "gst-yolo authors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolo_json_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolo_json_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_yolo_json_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_yolo_json_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_yolo_json_transform_ip);
}

static void
gst_yolo_json_init (GstYoloJson * self)
{
  self->location = g_strdup (DEFAULT_LOCATION);
  self->post_messages = DEFAULT_POST_MESSAGES;

  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_yolo_json_finalize (GObject * object)
{
  GstYoloJson *self = GST_YOLO_JSON (object);

  g_free (self->location);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_yolo_json_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloJson *self = GST_YOLO_JSON (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      if (self->location == NULL)
        self->location = g_strdup (DEFAULT_LOCATION);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_json_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstYoloJson *self = GST_YOLO_JSON (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_yolo_json_start (GstBaseTransform * trans)
{
  GstYoloJson *self = GST_YOLO_JSON (trans);
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);

  if (location == NULL || *location == '\0' || g_str_equal (location, "-")) {
    self->file = stdout;
    self->owns_file = FALSE;
  } else {
    self->file = g_fopen (location, "w");
    if (self->file == NULL) {
      const gchar *why = g_strerror (errno);
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not open file \"%s\" for writing: %s.", location, why),
          ("%s", why));
      g_free (location);
      return FALSE;
    }
    self->owns_file = TRUE;
  }
  GST_DEBUG_OBJECT (self, "writing to %s", location);
  g_free (location);

  self->frame = 0;
  self->width = 0;
  self->height = 0;
  return TRUE;
}

static gboolean
gst_yolo_json_stop (GstBaseTransform * trans)
{
  GstYoloJson *self = GST_YOLO_JSON (trans);

  if (self->file != NULL) {
    if (self->owns_file)
      fclose (self->file);
    else
      fflush (self->file);
  }
  self->file = NULL;
  self->owns_file = FALSE;
  return TRUE;
}

static gboolean
gst_yolo_json_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstYoloJson *self = GST_YOLO_JSON (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);

  self->width = 0;
  self->height = 0;
  gst_structure_get_int (s, "width", &self->width);
  gst_structure_get_int (s, "height", &self->height);
  return TRUE;
}

static gboolean
gst_yolo_json_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYoloJson *self = GST_YOLO_JSON (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->file != NULL)
    fflush (self->file);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_yolo_json_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYoloJson *self = GST_YOLO_JSON (trans);
  gboolean post;
  gchar *str;
  gsize len = 0;

  GST_OBJECT_LOCK (self);
  post = self->post_messages;
  GST_OBJECT_UNLOCK (self);

  str = gst_yolo_json_frame_to_string (buf, self->frame, self->width,
      self->height, &len);

  if (self->file != NULL) {
    if (fwrite (str, 1, len, self->file) != len
        || fputc ('\n', self->file) == EOF || fflush (self->file) != 0) {
      const gchar *why = g_strerror (errno);
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Error while writing JSON lines: %s.", why), ("%s", why));
      g_free (str);
      return GST_FLOW_ERROR;
    }
  }

  if (post) {
    GstStructure *s = gst_structure_new ("yolojson",
        "json", G_TYPE_STRING, str,
        "pts", G_TYPE_UINT64, GST_BUFFER_PTS (buf),
        "frame", G_TYPE_UINT64, self->frame, NULL);
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_element (GST_OBJECT (self), s));
  }

  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %s", self->frame, str);
  g_free (str);
  self->frame++;
  return GST_FLOW_OK;
}
