/* GStreamer YOLO plugin - yolodetect element
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-yolodetect
 * @title: yolodetect
 *
 * Runs a YOLO object detector (an ONNX model) on each video frame with the
 * plugin's own OpenCL engine and attaches one #GstVideoRegionOfInterestMeta
 * per detected object. The video passes through unchanged.
 *
 * Pre-processing (colour conversion, letterbox or stretch resize,
 * normalisation) runs in an OpenCL kernel that writes the model input
 * directly. Ultralytics (YOLOv8/YOLO11, [1,4+nc,N]), end-to-end (YOLO26,
 * YOLOv10, [1,N,6]) and YOLOv5 heads are recognised automatically; YOLOX
 * needs model-family=yolox.
 *
 * Each ROI meta is in frame pixels, its roi_type is the label, and it holds
 * a "detection" structure with label (string), label_id (int), confidence
 * (double) and x_min, y_min, x_max, y_max (double, normalised to 0..1).
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! decodebin ! videoconvert ! \
 *     yolodetect model=yolo11n.onnx ! videoconvert ! autovideosink
 * ]|
 *
 * Since: 0.1
 */

#include "config.h"

#include <string.h>

#include <gst/video/video.h>

#include "gstyolodetect.h"
#include "gstyolometa.h"

#include "yolo-engine-private.h"
#include "yolo-head.h"
#include "yolo-model-info.h"
#include "yolo-preproc.h"

GST_DEBUG_CATEGORY_STATIC (yolo_detect_debug);
#define GST_CAT_DEFAULT yolo_detect_debug

typedef enum
{
  GST_YOLO_SCALE_MODE_LETTERBOX,
  GST_YOLO_SCALE_MODE_STRETCH,
} GstYoloScaleMode;

typedef enum
{
  GST_YOLO_MODEL_FAMILY_AUTO,
  GST_YOLO_MODEL_FAMILY_ULTRALYTICS,
  GST_YOLO_MODEL_FAMILY_END2END,
  GST_YOLO_MODEL_FAMILY_YOLOV5,
  GST_YOLO_MODEL_FAMILY_YOLOX,
} GstYoloModelFamily;

#define GST_TYPE_YOLO_SCALE_MODE (gst_yolo_scale_mode_get_type ())
#define GST_TYPE_YOLO_MODEL_FAMILY (gst_yolo_model_family_get_type ())

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_CONF_THRESHOLD,
  PROP_IOU_THRESHOLD,
  PROP_MAX_DETECTIONS,
  PROP_CLASSES,
  PROP_LABELS_FILE,
  PROP_SCALE_MODE,
  PROP_MODEL_FAMILY,
  PROP_AGNOSTIC_NMS,
  PROP_INFERENCE_INTERVAL,
};

#define DEFAULT_MODEL NULL
#define DEFAULT_DEVICE NULL
#define DEFAULT_CONF_THRESHOLD 0.25f
#define DEFAULT_IOU_THRESHOLD 0.7f
#define DEFAULT_MAX_DETECTIONS 300
#define DEFAULT_CLASSES NULL
#define DEFAULT_LABELS_FILE NULL
#define DEFAULT_SCALE_MODE GST_YOLO_SCALE_MODE_LETTERBOX
#define DEFAULT_MODEL_FAMILY GST_YOLO_MODEL_FAMILY_AUTO
#define DEFAULT_AGNOSTIC_NMS FALSE
#define DEFAULT_INFERENCE_INTERVAL 1

#define VIDEO_FORMATS "{ RGB, BGR, RGBA, BGRA, RGBx, BGRx, NV12, NV21, " \
    "I420, YV12, YUY2, UYVY, GRAY8 }"

/* A detection kept between frames (inference-interval), normalised. */
typedef struct
{
  double x1, y1, x2, y2;
  double confidence;
  int label_id;
} StoredDetection;

struct _GstYoloDetect
{
  GstBaseTransform parent;

  /* properties, protected by the object lock */
  gchar *model;
  gchar *device;
  gfloat conf_threshold;
  gfloat iou_threshold;
  gint max_detections;
  gchar *classes;
  gchar *labels_file;
  GstYoloScaleMode scale_mode;
  GstYoloModelFamily model_family;
  gboolean agnostic_nms;
  guint inference_interval;
  gboolean classes_changed;

  /* streaming state, set up in start() */
  GstVideoInfo info;
  gboolean have_info;
  YoloEngine *engine;
  YoloPreproc *preproc;
  YoloHeadLayout layout;
  YoloFamily family;
  float *output;
  GPtrArray *labels;            /* gchar*, index = class id */
  guint8 *class_mask;           /* NULL = all classes */
  gint n_class_mask;
  guint64 n_frames;
  GArray *last;                 /* StoredDetection of the last inference */
  gboolean have_last;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (VIDEO_FORMATS)));

#define gst_yolo_detect_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (GstYoloDetect, gst_yolo_detect,
    GST_TYPE_BASE_TRANSFORM,
    GST_DEBUG_CATEGORY_INIT (yolo_detect_debug, "yolodetect", 0,
        "YOLO object detection"));
GST_ELEMENT_REGISTER_DEFINE (yolo_detect, "yolodetect", GST_RANK_NONE,
    GST_TYPE_YOLO_DETECT);

static GType
gst_yolo_scale_mode_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_YOLO_SCALE_MODE_LETTERBOX,
        "Keep the aspect ratio and pad (value 114)", "letterbox"},
    {GST_YOLO_SCALE_MODE_STRETCH,
        "Stretch the frame to the model input", "stretch"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstYoloScaleMode", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GType
gst_yolo_model_family_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_YOLO_MODEL_FAMILY_AUTO,
        "Detect from the output shape and metadata", "auto"},
    {GST_YOLO_MODEL_FAMILY_ULTRALYTICS,
        "Ultralytics YOLOv8/YOLO11: [1,4+nc,N]", "ultralytics"},
    {GST_YOLO_MODEL_FAMILY_END2END,
        "End-to-end, NMS-free (YOLO26, YOLOv10): [1,N,6]", "end2end"},
    {GST_YOLO_MODEL_FAMILY_YOLOV5,
        "YOLOv5: [1,N,5+nc], score = objectness x class", "yolov5"},
    {GST_YOLO_MODEL_FAMILY_YOLOX,
        "YOLOX: raw grid outputs, BGR 0..255 input", "yolox"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstYoloModelFamily", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static YoloFamily
family_from_property (GstYoloModelFamily f)
{
  switch (f) {
    case GST_YOLO_MODEL_FAMILY_ULTRALYTICS:
      return YOLO_FAMILY_ULTRALYTICS;
    case GST_YOLO_MODEL_FAMILY_END2END:
      return YOLO_FAMILY_END2END;
    case GST_YOLO_MODEL_FAMILY_YOLOV5:
      return YOLO_FAMILY_YOLOV5;
    case GST_YOLO_MODEL_FAMILY_YOLOX:
      return YOLO_FAMILY_YOLOX;
    default:
      return YOLO_FAMILY_UNKNOWN;
  }
}

/* ---- labels and class filter ------------------------------------------ */

static GPtrArray *
read_labels_file (const gchar * path, GError ** error)
{
  gchar *contents = NULL;
  gchar **lines;
  GPtrArray *labels;

  if (!g_file_get_contents (path, &contents, NULL, error))
    return NULL;
  labels = g_ptr_array_new_with_free_func (g_free);
  lines = g_strsplit (contents, "\n", -1);
  for (gchar ** l = lines; *l; l++)
    g_ptr_array_add (labels, g_strdup (g_strstrip (*l)));
  /* drop trailing empty lines */
  while (labels->len > 0
      && ((gchar *) g_ptr_array_index (labels, labels->len - 1))[0] == '\0')
    g_ptr_array_remove_index (labels, labels->len - 1);
  g_strfreev (lines);
  g_free (contents);
  return labels;
}

static const gchar *
label_for (GstYoloDetect * self, gint id)
{
  if (self->labels && id >= 0 && (guint) id < self->labels->len) {
    const gchar *l = g_ptr_array_index (self->labels, id);
    if (l && l[0])
      return l;
  }
  return NULL;
}

/* Number of classes the model is known to have (-1: unknown, end2end
 * without labels). */
static gint
known_classes (GstYoloDetect * self)
{
  if (self->layout.n_classes > 0)
    return self->layout.n_classes;
  if (self->labels && self->labels->len > 0)
    return (gint) self->labels->len;
  return -1;
}

/* Parses the classes property into self->class_mask (NULL: keep all).
 * Tokens are class ids or label names (case-insensitive). Returns the
 * tokens that name no class of the model, comma-separated (NULL if all
 * are known); they are left out of the mask. */
static gchar *
update_class_mask (GstYoloDetect * self, const gchar * classes)
{
  gchar **tokens;
  gint n, known = known_classes (self);
  GString *bad = NULL;

  g_clear_pointer (&self->class_mask, g_free);
  self->n_class_mask = 0;
  if (!classes || !classes[0])
    return NULL;

  n = MAX (known, 0);
  tokens = g_strsplit (classes, ",", -1);
  /* ids beyond the known classes grow the mask (end2end: nc unknown) */
  for (gchar ** t = tokens; *t; t++) {
    gchar *s = g_strstrip (*t), *end = NULL;
    gint64 id;
    if (!s[0])
      continue;
    id = g_ascii_strtoll (s, &end, 10);
    if (end && *end == '\0' && id >= 0 && id < 100000 && known < 0)
      n = MAX (n, (gint) id + 1);
  }
  self->class_mask = g_new0 (guint8, MAX (n, 1));
  self->n_class_mask = n;

  for (gchar ** t = tokens; *t; t++) {
    gchar *s = *t, *end = NULL;
    gint64 id;
    gboolean found = FALSE;
    if (!s[0])
      continue;
    id = g_ascii_strtoll (s, &end, 10);
    if (end != s && end && *end == '\0' && id >= 0 && id < n) {
      self->class_mask[id] = 1;
      continue;
    }
    for (guint i = 0; self->labels && i < self->labels->len && i < (guint) n;
        i++) {
      if (g_ascii_strcasecmp (g_ptr_array_index (self->labels, i), s) == 0) {
        self->class_mask[i] = 1;
        found = TRUE;
      }
    }
    if (!found) {
      if (!bad)
        bad = g_string_new (NULL);
      g_string_append_printf (bad, "%s%s", bad->len ? ", " : "", s);
    }
  }
  g_strfreev (tokens);
  return bad ? g_string_free (bad, FALSE) : NULL;
}

/* What the classes property accepts for this model, for messages. */
static gchar *
classes_hint (GstYoloDetect * self)
{
  GString *s = g_string_new (NULL);
  gint known = known_classes (self);

  if (known > 0)
    g_string_append_printf (s, "class ids 0..%d", known - 1);
  else
    g_string_append (s, "class ids");
  if (self->labels && self->labels->len > 0) {
    g_string_append (s, " or the model's labels (");
    for (guint i = 0; i < self->labels->len && i < 5; i++)
      g_string_append_printf (s, "%s%s", i ? ", " : "",
          (const gchar *) g_ptr_array_index (self->labels, i));
    g_string_append (s, self->labels->len > 5 ? ", ...)" : ")");
  } else {
    g_string_append (s, "; the model has no labels (see labels-file)");
  }
  return g_string_free (s, FALSE);
}

/* ---- GObject ----------------------------------------------------------- */

static void
gst_yolo_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloDetect *self = GST_YOLO_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      break;
    case PROP_CONF_THRESHOLD:
      self->conf_threshold = g_value_get_float (value);
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_float (value);
      break;
    case PROP_MAX_DETECTIONS:
      self->max_detections = g_value_get_int (value);
      break;
    case PROP_CLASSES:
      g_free (self->classes);
      self->classes = g_value_dup_string (value);
      self->classes_changed = TRUE;
      break;
    case PROP_LABELS_FILE:
      g_free (self->labels_file);
      self->labels_file = g_value_dup_string (value);
      break;
    case PROP_SCALE_MODE:
      self->scale_mode = g_value_get_enum (value);
      break;
    case PROP_MODEL_FAMILY:
      self->model_family = g_value_get_enum (value);
      break;
    case PROP_AGNOSTIC_NMS:
      self->agnostic_nms = g_value_get_boolean (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_detect_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstYoloDetect *self = GST_YOLO_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_CONF_THRESHOLD:
      g_value_set_float (value, self->conf_threshold);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_float (value, self->iou_threshold);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_int (value, self->max_detections);
      break;
    case PROP_CLASSES:
      g_value_set_string (value, self->classes);
      break;
    case PROP_LABELS_FILE:
      g_value_set_string (value, self->labels_file);
      break;
    case PROP_SCALE_MODE:
      g_value_set_enum (value, self->scale_mode);
      break;
    case PROP_MODEL_FAMILY:
      g_value_set_enum (value, self->model_family);
      break;
    case PROP_AGNOSTIC_NMS:
      g_value_set_boolean (value, self->agnostic_nms);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_detect_finalize (GObject * object)
{
  GstYoloDetect *self = GST_YOLO_DETECT (object);

  g_free (self->model);
  g_free (self->device);
  g_free (self->classes);
  g_free (self->labels_file);
  g_array_unref (self->last);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- start / stop ------------------------------------------------------ */

static void
release_engine (GstYoloDetect * self)
{
  g_clear_pointer (&self->preproc, yolo_preproc_free);
  g_clear_pointer (&self->engine, yolo_engine_free);
  g_clear_pointer (&self->output, g_free);
  g_clear_pointer (&self->labels, g_ptr_array_unref);
  g_clear_pointer (&self->class_mask, g_free);
  self->n_class_mask = 0;
  g_array_set_size (self->last, 0);
  self->have_last = FALSE;
}

static gboolean
gst_yolo_detect_start (GstBaseTransform * trans)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);
  YoloEngineOptions opts = { 0 };
  YoloTensorInfo in_info, out_info;
  GError *err = NULL;
  gchar *model, *device, *labels_file, *classes, *reason = NULL;
  gchar *unknown;
  GstYoloModelFamily family_prop;
  gint64 n_out = 1;
  gboolean ret = FALSE;

  GST_OBJECT_LOCK (self);
  model = g_strdup (self->model);
  device = g_strdup (self->device);
  labels_file = g_strdup (self->labels_file);
  classes = g_strdup (self->classes);
  family_prop = self->model_family;
  self->classes_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (!model || !model[0]) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model set"), ("the 'model' property is required"));
    goto done;
  }
  if (!g_file_test (model, G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file '%s' does not exist", model), (NULL));
    goto done;
  }

  opts.device = device;
  self->engine = yolo_engine_new (model, &opts, &err);
  if (!self->engine) {
    if (err && err->domain == YOLO_ENGINE_ERROR
        && err->code == YOLO_ENGINE_ERROR_IO) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model '%s': %s", model, err->message), (NULL));
    } else if (err && err->domain == YOLO_ENGINE_ERROR
        && (err->code == YOLO_ENGINE_ERROR_NO_DEVICE
            || err->code == YOLO_ENGINE_ERROR_OPENCL)) {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not initialise OpenCL: %s",
              err ? err->message : "unknown error"), ("device '%s'",
              device ? device : "(default)"));
    } else {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not load model '%s': %s", model,
              err ? err->message : "unknown error"), (NULL));
    }
    goto done;
  }
  GST_INFO_OBJECT (self, "loaded %s on %s", model,
      yolo_engine_device_name (self->engine));

  /* head family */
  self->family = family_from_property (family_prop);
  if (self->family == YOLO_FAMILY_UNKNOWN) {
    self->family = yolo_model_detect_family (self->engine->graph, &reason);
    if (self->family == YOLO_FAMILY_UNKNOWN) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Cannot tell the model family of '%s'; set model-family "
              "(ultralytics, end2end, yolov5 or yolox)", model),
          ("%s", reason ? reason : "no reason given"));
      goto done;
    }
    GST_INFO_OBJECT (self, "model family %s (%s)",
        yolo_family_name (self->family), reason ? reason : "");
  }

  if (!yolo_engine_input_info (self->engine, 0, &in_info)
      || in_info.ndim != 4 || yolo_engine_n_outputs (self->engine) < 1
      || !yolo_engine_output_info (self->engine, 0, &out_info)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' does not look like an image detector", model),
        ("expected one [1,3,H,W] input and at least one output"));
    goto done;
  }
  if (in_info.dims[1] != 3) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' takes %" G_GINT64_FORMAT "-channel images ([1,%"
            G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT
            "]); only 3-channel (RGB or BGR) models are supported", model,
            in_info.dims[1], in_info.dims[1], in_info.dims[2],
            in_info.dims[3]), (NULL));
    goto done;
  }
  if (!yolo_head_layout_init (&self->layout, self->family, out_info.ndim,
          out_info.dims, (int) in_info.dims[3], (int) in_info.dims[2], &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' does not match the %s head: %s", model,
            yolo_family_name (self->family), err->message), (NULL));
    goto done;
  }
  for (int i = 0; i < out_info.ndim; i++)
    n_out *= MAX (out_info.dims[i], 1);
  self->output = g_new (float, n_out);

  self->preproc = yolo_preproc_new (self->engine, &err);
  if (!self->preproc) {
    GST_ELEMENT_ERROR (self, LIBRARY, INIT,
        ("Could not set up pre-processing: %s", err->message), (NULL));
    goto done;
  }

  /* labels: model metadata, else labels-file, else class numbers */
  {
    const char *names = yolo_engine_metadata (self->engine, "names");
    if (names)
      self->labels = yolo_parse_names (names);
    if (self->labels && self->labels->len == 0)
      g_clear_pointer (&self->labels, g_ptr_array_unref);
    if (!self->labels && labels_file && labels_file[0]) {
      self->labels = read_labels_file (labels_file, &err);
      if (!self->labels) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Could not read labels file '%s'", labels_file),
            ("%s", err->message));
        goto done;
      }
    }
    if (self->labels && self->layout.n_classes > 0
        && self->labels->len != (guint) self->layout.n_classes)
      GST_WARNING_OBJECT (self, "%u labels for %d classes",
          self->labels->len, self->layout.n_classes);
  }

  /* a class that is not in the model is a configuration error at start
   * (a typo would otherwise silently drop every detection) */
  unknown = update_class_mask (self, classes);
  if (unknown) {
    gchar *hint = classes_hint (self);
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Unknown class '%s' in the classes property", unknown),
        ("classes takes %s", hint));
    g_free (hint);
    g_free (unknown);
    goto done;
  }
  self->n_frames = 0;
  g_array_set_size (self->last, 0);
  self->have_last = FALSE;
  ret = TRUE;

done:
  if (!ret)
    release_engine (self);
  g_clear_error (&err);
  g_free (reason);
  g_free (model);
  g_free (device);
  g_free (labels_file);
  g_free (classes);
  return ret;
}

static gboolean
gst_yolo_detect_stop (GstBaseTransform * trans)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);

  release_engine (self);
  self->have_info = FALSE;
  return TRUE;
}

static gboolean
gst_yolo_detect_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);
  GstVideoInfo info;

  if (!gst_video_info_from_caps (&info, incaps)) {
    GST_WARNING_OBJECT (self, "invalid caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
  self->info = info;
  self->have_info = TRUE;
  return TRUE;
}

static gboolean
gst_yolo_detect_propose_allocation (GstBaseTransform * trans,
    GstQuery * decide_query, GstQuery * query)
{
  /* in place: the query goes downstream; whatever it says, we also honour
   * strides and plane offsets */
  GST_BASE_TRANSFORM_CLASS (parent_class)->propose_allocation (trans,
      decide_query, query);
  if (!gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  return TRUE;
}

static gboolean
gst_yolo_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);

  /* after a flush (seek) the kept detections are stale: infer at once */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    self->n_frames = 0;
    self->have_last = FALSE;
    g_array_set_size (self->last, 0);
  }
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* ---- per frame ----------------------------------------------------------- */

static gboolean
fill_image (const GstVideoFrame * frame, YoloImage * img)
{
  const GstVideoInfo *info = &frame->info;

  memset (img, 0, sizeof (*img));
  switch (GST_VIDEO_INFO_FORMAT (info)) {
    case GST_VIDEO_FORMAT_RGB:
      img->format = YOLO_PIXEL_RGB;
      break;
    case GST_VIDEO_FORMAT_BGR:
      img->format = YOLO_PIXEL_BGR;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      img->format = YOLO_PIXEL_RGBA;
      break;
    case GST_VIDEO_FORMAT_BGRA:
      img->format = YOLO_PIXEL_BGRA;
      break;
    case GST_VIDEO_FORMAT_RGBx:
      img->format = YOLO_PIXEL_RGBX;
      break;
    case GST_VIDEO_FORMAT_BGRx:
      img->format = YOLO_PIXEL_BGRX;
      break;
    case GST_VIDEO_FORMAT_NV12:
      img->format = YOLO_PIXEL_NV12;
      break;
    case GST_VIDEO_FORMAT_I420:
      img->format = YOLO_PIXEL_I420;
      break;
    case GST_VIDEO_FORMAT_NV21:
      img->format = YOLO_PIXEL_NV21;
      break;
    case GST_VIDEO_FORMAT_YV12:
      img->format = YOLO_PIXEL_YV12;
      break;
    case GST_VIDEO_FORMAT_YUY2:
      img->format = YOLO_PIXEL_YUY2;
      break;
    case GST_VIDEO_FORMAT_UYVY:
      img->format = YOLO_PIXEL_UYVY;
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      img->format = YOLO_PIXEL_GRAY8;
      break;
    default:
      return FALSE;
  }
  img->width = GST_VIDEO_FRAME_WIDTH (frame);
  img->height = GST_VIDEO_FRAME_HEIGHT (frame);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (frame) && i < 3; i++) {
    img->planes[i] = GST_VIDEO_FRAME_PLANE_DATA (frame, i);
    img->strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (frame, i);
  }
  /* as videoconvert reads the caps: matrix and range of the colorimetry
   * (defaults by frame height when absent), chroma-site flags */
  if (GST_VIDEO_INFO_IS_YUV (info) || GST_VIDEO_INFO_IS_GRAY (info)) {
    gdouble kr = 0.299, kb = 0.114;
    if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
      kr = 0.299;
      kb = 0.114;
    }
    /* videoconvert takes any range but 16-235 as full */
    yolo_yuv_matrix_init (&img->yuv, kr, kb,
        info->colorimetry.range != GST_VIDEO_COLOR_RANGE_16_235);
    if (info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED)
      img->chroma_site |= YOLO_CHROMA_SITE_H_COSITED;
    if (info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED)
      img->chroma_site |= YOLO_CHROMA_SITE_V_COSITED;
  }
  return TRUE;
}

/* Runs the model on frame and stores its detections (normalised). */
static gboolean
infer_frame (GstYoloDetect * self, GstBuffer * buf,
    const YoloHeadParams * hp, GstYoloScaleMode scale_mode)
{
  GstVideoFrame frame;
  YoloImage img;
  YoloLetterbox lb;
  YoloPreprocParams pp;
  GError *err = NULL;
  GArray *dets;
  gboolean ok;

  if (self->family == YOLO_FAMILY_YOLOX) {
    YoloPreprocParams yolox = YOLO_PREPROC_PARAMS_YOLOX;
    pp = yolox;
  } else {
    YoloPreprocParams ultra = YOLO_PREPROC_PARAMS_ULTRALYTICS;
    pp = ultra;
  }
  if (scale_mode == GST_YOLO_SCALE_MODE_STRETCH)
    pp.mode = YOLO_RESIZE_STRETCH;

  if (!gst_video_frame_map (&frame, &self->info, buf, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Could not map the frame"),
        (NULL));
    return FALSE;
  }
  if (!fill_image (&frame, &img)) {
    gst_video_frame_unmap (&frame);
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("Unsupported video format"),
        (NULL));
    return FALSE;
  }

  /* The frame upload is asynchronous: keep the frame mapped until the
   * blocking output read has returned. */
  ok = yolo_preproc_run (self->preproc, &img, &pp, &lb, &err)
      && yolo_engine_enqueue (self->engine, &err)
      && yolo_engine_get_output (self->engine, 0, self->output, &err);
  /* on failure the non-blocking frame upload may still be reading the
   * mapped planes: drain the queue before unmapping */
  if (!ok)
    clFinish (yolo_rt_queue (self->engine->rt));
  gst_video_frame_unmap (&frame);
  if (!ok) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed"),
        ("%s", err ? err->message : "unknown error"));
    g_clear_error (&err);
    return FALSE;
  }

  dets = yolo_head_decode (&self->layout, hp, self->output, &lb);
  g_array_set_size (self->last, 0);
  for (guint i = 0; i < dets->len; i++) {
    const YoloDetection *d = &g_array_index (dets, YoloDetection, i);
    StoredDetection s = {
      d->x1 / lb.frame_w, d->y1 / lb.frame_h,
      d->x2 / lb.frame_w, d->y2 / lb.frame_h,
      d->score, d->class_id
    };
    g_array_append_val (self->last, s);
  }
  self->have_last = TRUE;
  GST_LOG_OBJECT (self, "%u detections", dets->len);
  g_array_unref (dets);
  return TRUE;
}

static GstFlowReturn
gst_yolo_detect_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);
  YoloHeadParams hp = YOLO_HEAD_PARAMS_DEFAULT;
  GstYoloScaleMode scale_mode;
  guint interval;
  gchar *classes = NULL;
  gboolean classes_changed;
  guint w, h;

  if (!self->engine || !self->have_info) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (NULL),
        ("not started or no caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }

  GST_OBJECT_LOCK (self);
  hp.conf_threshold = self->conf_threshold;
  hp.iou_threshold = self->iou_threshold;
  hp.max_detections = self->max_detections;
  hp.agnostic = self->agnostic_nms;
  scale_mode = self->scale_mode;
  interval = MAX (self->inference_interval, 1);
  classes_changed = self->classes_changed;
  if (classes_changed)
    classes = g_strdup (self->classes);
  self->classes_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (classes_changed) {
    /* changed while running: warn, keep the known classes */
    gchar *unknown = update_class_mask (self, classes);
    if (unknown) {
      gchar *hint = classes_hint (self);
      GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
          ("Unknown class '%s' in the classes property; ignored", unknown),
          ("classes takes %s", hint));
      g_free (hint);
      g_free (unknown);
    }
    g_free (classes);
  }
  hp.class_mask = self->class_mask;
  hp.n_class_mask = self->n_class_mask;

  if (!self->have_last || self->n_frames % interval == 0) {
    if (!infer_frame (self, buf, &hp, scale_mode))
      return GST_FLOW_ERROR;
  }
  self->n_frames++;

  w = GST_VIDEO_INFO_WIDTH (&self->info);
  h = GST_VIDEO_INFO_HEIGHT (&self->info);
  for (guint i = 0; i < self->last->len; i++) {
    const StoredDetection *s = &g_array_index (self->last, StoredDetection,
        i);
    GstYoloDetection det = {
      s->x1 * w, s->y1 * h, s->x2 * w, s->y2 * h,
      s->confidence, s->label_id, label_for (self, s->label_id)
    };
    gst_yolo_meta_add_detection (buf, w, h, &det);
  }
  return GST_FLOW_OK;
}

/* ---- class ------------------------------------------------------------- */

static void
gst_yolo_detect_class_init (GstYoloDetectClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  gobject_class->set_property = gst_yolo_detect_set_property;
  gobject_class->get_property = gst_yolo_detect_get_property;
  gobject_class->finalize = gst_yolo_detect_finalize;

  /**
   * GstYoloDetect:model:
   *
   * Path of the ONNX model file. Required.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of the YOLO ONNX model file (required)", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:device:
   *
   * OpenCL device: empty for the first GPU (else the first device), "gpu",
   * "cpu", a global index "N", "P:D" (platform:device) or a substring of
   * the device name.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "OpenCL device: empty = first GPU else first device; \"gpu\", "
          "\"cpu\", an index \"N\", \"P:D\" (platform:device) or part of "
          "the device name", DEFAULT_DEVICE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:conf-threshold:
   *
   * Detections need a score above this.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CONF_THRESHOLD,
      g_param_spec_float ("conf-threshold", "Confidence threshold",
          "Keep detections whose confidence is above this", 0.0f, 1.0f,
          DEFAULT_CONF_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:iou-threshold:
   *
   * Non-maximum suppression drops a box overlapping a better one of the
   * same class (any class with agnostic-nms) by more than this IoU.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_float ("iou-threshold", "IoU threshold",
          "Non-maximum suppression IoU threshold", 0.0f, 1.0f,
          DEFAULT_IOU_THRESHOLD,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:max-detections:
   *
   * At most this many detections (the best ones) per frame; 0 = no limit.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_int ("max-detections", "Max detections",
          "Maximum number of detections per frame (0 = no limit)", 0,
          G_MAXINT, DEFAULT_MAX_DETECTIONS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:classes:
   *
   * Comma-separated class ids or labels to keep, e.g. "0,2" or
   * "person,car" (labels are matched case-insensitively). Empty keeps every
   * class. A token that is neither a class id of the model nor one of its
   * labels is an error (LIBRARY/SETTINGS) when the element starts; set
   * while running, it is ignored with a warning message.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CLASSES,
      g_param_spec_string ("classes", "Classes",
          "Comma-separated class ids or labels to keep (empty = all); "
          "an unknown class is an error at start, a warning while running",
          DEFAULT_CLASSES,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:labels-file:
   *
   * Text file with one label per line (line n = class n), used when the
   * model carries no "names" metadata (e.g. YOLOX). Without labels the
   * class number is the label.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_LABELS_FILE,
      g_param_spec_string ("labels-file", "Labels file",
          "File with one label per line, used when the model has no "
          "names metadata", DEFAULT_LABELS_FILE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:scale-mode:
   *
   * How frames are fitted to the model input.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SCALE_MODE,
      g_param_spec_enum ("scale-mode", "Scale mode",
          "How frames are fitted to the model input",
          GST_TYPE_YOLO_SCALE_MODE, DEFAULT_SCALE_MODE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:model-family:
   *
   * Layout of the model's output (and its pre-processing). auto works for
   * Ultralytics, end-to-end and YOLOv5 exports; YOLOX needs yolox.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_FAMILY,
      g_param_spec_enum ("model-family", "Model family",
          "Output layout of the model (auto = detect from shape/metadata)",
          GST_TYPE_YOLO_MODEL_FAMILY, DEFAULT_MODEL_FAMILY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:agnostic-nms:
   *
   * Suppress overlapping boxes across classes, not only within a class.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_AGNOSTIC_NMS,
      g_param_spec_boolean ("agnostic-nms", "Class-agnostic NMS",
          "Non-maximum suppression across classes", DEFAULT_AGNOSTIC_NMS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:inference-interval:
   *
   * Run the model on every Nth frame only; the frames in between get the
   * latest detections (scaled to their size).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run inference on every Nth frame (1 = every frame); frames in "
          "between get the latest detections", 1, G_MAXUINT,
          DEFAULT_INFERENCE_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "YOLO object detector", "Filter/Analyzer/Video",
      "Detects objects with a YOLO ONNX model on OpenCL and attaches "
      "region-of-interest metadata", "gst-yolo authors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolo_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolo_detect_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_yolo_detect_set_caps);
  trans_class->propose_allocation =
      GST_DEBUG_FUNCPTR (gst_yolo_detect_propose_allocation);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_yolo_detect_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_yolo_detect_sink_event);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_SCALE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_MODEL_FAMILY, 0);
}

static void
gst_yolo_detect_init (GstYoloDetect * self)
{
  self->conf_threshold = DEFAULT_CONF_THRESHOLD;
  self->iou_threshold = DEFAULT_IOU_THRESHOLD;
  self->max_detections = DEFAULT_MAX_DETECTIONS;
  self->scale_mode = DEFAULT_SCALE_MODE;
  self->model_family = DEFAULT_MODEL_FAMILY;
  self->agnostic_nms = DEFAULT_AGNOSTIC_NMS;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->last = g_array_new (FALSE, FALSE, sizeof (StoredDetection));
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}
