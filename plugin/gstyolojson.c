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
#include "gstyolometa.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <math.h>
#include <glib/gstdio.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

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
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not open file \"%s\" for writing.", location),
          ("%s", g_strerror (errno)));
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

/* A finite confidence as a JSON number: rounded to 4 decimals, short form
 * ("0.91", "1.0", "0.0"); magnitudes of 1e15 and over (where 4 decimals mean
 * nothing) in the shortest "%g" form that reads back to the same double
 * ("1e+308"). Locale-independent (g_ascii_formatd). */
static gchar *
yolo_json_format_confidence (gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (isfinite (v), g_strdup ("null"));

  if (fabs (v) < 1e15) {
    gsize n;

    v = round (v * 1e4) / 1e4;
    if (v == 0.0)               /* no "-0.0" */
      v = 0.0;
    g_ascii_formatd (buf, sizeof (buf), "%.4f", v);
    n = strlen (buf);
    while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
      buf[--n] = '\0';
  } else {
    for (gint prec = 1; prec <= 17; prec++) {
      gchar fmt[8];

      g_snprintf (fmt, sizeof (fmt), "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof (buf), fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  }
  return g_strdup (buf);
}

/* Confidences are written by yolo_json_format_confidence(), not by
 * json-glib: json-glib 1.6 prints doubles as "%.17g" plus ".0" when there is
 * no '.', which gives 0.91000000000000003, "1e+308.0" (invalid) and
 * "nan.0"/"inf.0" (invalid). In the tree each confidence is an integer
 * placeholder (its index in @confs), replaced after generation. */
static void
yolo_json_add_roi (JsonBuilder * b, GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, GPtrArray * confs)
{
  GstStructure *s;
  const gchar *label = NULL;
  gchar *valid_label = NULL;
  gint label_id, object_id;
  gdouble conf;
  gboolean has_id = FALSE, has_conf = FALSE, has_object_id;

  /* also finds the parameters that videoconvert/videoscale dropped */
  s = gst_yolo_meta_find_params (buf, roi);
  if (s != NULL) {
    label = gst_structure_get_string (s, "label");
    has_id = gst_structure_get_int (s, "label_id", &label_id);
    has_conf = gst_structure_get_double (s, "confidence", &conf);
  }
  if (label == NULL && roi->roi_type != 0)
    label = g_quark_to_string (roi->roi_type);
  /* yolotrack's (or gvatrack's) object id */
  has_object_id = gst_yolo_meta_find_object_id (buf, roi, &object_id);
  /* JSON text is UTF-8; json-glib copies the bytes as they are */
  if (label != NULL && !g_utf8_validate (label, -1, NULL))
    label = valid_label = g_utf8_make_valid (label, -1);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "label");
  if (label != NULL)
    json_builder_add_string_value (b, label);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "label_id");
  if (has_id)
    json_builder_add_int_value (b, label_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "confidence");
  if (has_conf && isfinite (conf)) {
    json_builder_add_int_value (b, confs->len);
    g_ptr_array_add (confs, yolo_json_format_confidence (conf));
  } else {
    json_builder_add_null_value (b);
  }
  if (has_object_id) {
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, object_id);
  }
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, roi->x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, roi->y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, roi->w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, roi->h);
  json_builder_end_object (b);
  g_free (valid_label);
}

/* Replaces each "confidence":<placeholder index> in @str by confs[index].
 * Inside JSON strings every '"' is escaped, so the unescaped key below only
 * matches the object member. */
static gchar *
yolo_json_put_confidences (gchar * str, gsize * len, GPtrArray * confs)
{
  static const gchar key[] = "\"confidence\":";
  const gchar *p = str, *hit;
  GString *out;

  if (confs->len == 0)
    return str;

  out = g_string_sized_new (*len + 8 * confs->len);
  while ((hit = strstr (p, key)) != NULL) {
    gchar *end;
    guint64 i;

    hit += sizeof (key) - 1;
    g_string_append_len (out, p, hit - p);
    p = hit;
    i = g_ascii_strtoull (hit, &end, 10);
    if (end == hit)             /* null */
      continue;
    g_assert (i < confs->len);
    g_string_append (out, g_ptr_array_index (confs, i));
    p = end;
  }
  g_string_append (out, p);
  g_free (str);
  *len = out->len;
  return g_string_free (out, FALSE);
}

static gchar *
yolo_json_frame_to_string (GstYoloJson * self, GstBuffer * buf, gsize * len)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  GPtrArray *confs = g_ptr_array_new_with_free_func (g_free);
  gchar *str;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pts");
  if (GST_BUFFER_PTS_IS_VALID (buf))
    json_builder_add_int_value (b, (gint64) GST_BUFFER_PTS (buf));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, (gint64) self->frame);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, self->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, self->height);
  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    yolo_json_add_roi (b, buf, roi, confs);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, FALSE);
  json_generator_set_root (gen, root);
  str = json_generator_to_data (gen, len);
  str = yolo_json_put_confidences (str, len, confs);

  g_ptr_array_unref (confs);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return str;
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

  str = yolo_json_frame_to_string (self, buf, &len);

  if (self->file != NULL) {
    if (fwrite (str, 1, len, self->file) != len
        || fputc ('\n', self->file) == EOF || fflush (self->file) != 0) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("Error while writing JSON lines."), ("%s", g_strerror (errno)));
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
