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
 * YOLOv10, [1,N,6]), YOLOv5 and YOLOX heads are recognised automatically
 * (YOLOX and YOLOv5 files without metadata by their anchor count).
 *
 * Each ROI meta is in frame pixels, its roi_type is the label, and it holds
 * a "detection" structure with label (string), label_id (int), confidence
 * (double) and x_min, y_min, x_max, y_max (double, normalised to 0..1).
 * The confidence is always within [0, 1] and label_id a class of the model
 * (its names metadata, else the head's class count): detections outside
 * that (a model-family that does not fit the model) are dropped with a
 * warning message.
 *
 * Segment, pose, obb and classify models (#GstYoloDetect:task) run too:
 * their ROI metas also carry a "mask" or "keypoints" structure, or
 * "rotation" and the rotated box in "detection"; a classify model gives one
 * full-frame ROI with a "classification" structure listing the top-k
 * classes (#GstYoloDetect:top-k). See gstyolometa.h and the README's
 * "Tasks" section for the fields.
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

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include <gst/video/video.h>

#include "gstyolodetect.h"
#include "gstyolometa.h"

/* the engine's public API only (no OpenCL, no private headers) */
#include "yolo-engine.h"
#include "yolo-engine-shared.h"
#include "yolo-family.h"
#include "yolo-head.h"
#include "yolo-labels.h"
#include "yolo-preproc.h"
#include "yolo-task.h"

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
#define GST_TYPE_YOLO_OBB_ROI (gst_yolo_obb_roi_get_type ())

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
  PROP_INPUT_SIZE,
  PROP_TASK,
  PROP_TOP_K,
  PROP_MODEL_INSTANCE_ID,
  PROP_BATCH_SIZE,
  PROP_BATCH_TIMEOUT,
  PROP_RETINA_MASKS,
  PROP_OBB_ROI,
};

#define DEFAULT_BATCH_TIMEOUT 50
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
#define DEFAULT_INPUT_SIZE NULL
#define DEFAULT_TOP_K 5
#define DEFAULT_RETINA_MASKS FALSE
#define DEFAULT_OBB_ROI GST_YOLO_OBB_ROI_ORIENTED
/* the most bytes one frame's masks hold (see retina-masks) */
#define MASK_FRAME_BUDGET (64u << 20)
#define MAX_INPUT_SIDE 8192

#define VIDEO_FORMATS "{ RGB, BGR, RGBA, BGRA, RGBx, BGRx, NV12, NV21, " \
    "I420, YV12, YUY2, UYVY, GRAY8 }"

/* A detection kept between frames (inference-interval), normalised. */
typedef struct
{
  double x1, y1, x2, y2;
  double confidence;
  int label_id;
} StoredDetection;

/* Properties that take effect at start only: set while the element runs,
 * they wait here (and read back the loaded value) until the next start. */
typedef enum
{
  PENDING_MODEL = 1 << 0,
  PENDING_DEVICE = 1 << 1,
  PENDING_LABELS_FILE = 1 << 2,
  PENDING_MODEL_FAMILY = 1 << 3,
  PENDING_INPUT_SIZE = 1 << 4,
  PENDING_MODEL_INSTANCE_ID = 1 << 5,
  PENDING_BATCH_SIZE = 1 << 6,
} PendingProps;

/* The head parameters the kept detections were decoded with. */
typedef struct
{
  gfloat conf_threshold;
  gfloat iou_threshold;
  gint max_detections;
  gboolean agnostic;
  guint class_mask_serial;
  gint top_k;
} DecodeKey;

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
  gchar *input_size;
  gchar *model_instance_id;
  guint batch_size;
  guint batch_timeout;
  gboolean classes_changed;
  gint top_k;
  YoloTask task;                /* of the loaded model (read-only "task") */

  /* start-only properties set while started (object lock) */
  gboolean started;
  guint pending;                /* PendingProps */
  gchar *pending_model;
  gchar *pending_device;
  gchar *pending_labels_file;
  gchar *pending_input_size;
  gchar *pending_model_instance_id;
  guint pending_batch_size;
  GstYoloModelFamily pending_model_family;

  /* streaming state, set up in start() */
  GstVideoInfo info;
  gboolean have_info;
  YoloEngine *engine;
  gboolean shared;              /* engine from yolo_engine_shared_acquire */
  gboolean batch_left;          /* shared: EOS told (not streaming) */
  GMutex shared_lock;           /* engine pointer vs FLUSH_START's thread */
  gint engine_batch;            /* images per inference of the engine */
  YoloPreproc *preproc;
  YoloHeadLayout layout;
  YoloFamily family;
  float *output;
  GPtrArray *labels;            /* gchar*, index = class id */
  guint8 *class_mask;           /* NULL = all classes */
  gint n_class_mask;
  guint class_mask_serial;      /* bumped when class_mask changes */
  gchar *active_classes;        /* the classes value class_mask is from */
  gint n_model_classes;         /* class ids are 0..n-1 (-1: unknown) */
  guint64 n_frames;
  /* the last inference: raw output in self->output, its letterbox and the
   * frame it ran on; the kept detections are decoded from it, again when
   * the head parameters change before the next inference */
  gboolean have_output;
  YoloLetterbox last_lb;
  GstVideoInfo inferred_info;
  GArray *last;                 /* StoredDetection, decoded with last_key */
  /* tasks other than detect: the task head, output 1 (segment
   * prototypes), and the kept results (frame pixels of the inferred
   * frame), decoded with last_key */
  YoloTaskLayout tlayout;
  float *output1;
  gint mask_h, mask_w, input_w, input_h;
  YoloTaskResult *tlast;
  GArray *class_last;           /* YoloClassScore (classify) */
  DecodeKey last_key;
  gboolean warned_invalid;
  gboolean retina_masks;
  gboolean warned_mask_budget;
  GstYoloObbRoi obb_roi;
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
gst_yolo_obb_roi_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {GST_YOLO_OBB_ROI_ORIENTED,
        "DL Streamer's oriented ROI: the unrotated box, turned by the "
          "detection's rotation about its centre", "oriented"},
    {GST_YOLO_OBB_ROI_AXIS_ALIGNED,
        "The rotated box's axis-aligned bounding box", "axis-aligned"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstYoloObbRoi", values);
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

/* Reads a labels file as people write them: UTF-8 with or without a byte
 * order mark, LF, CRLF or CR line ends, spaces around a label and blank
 * lines at the end ignored. Line n (from 0) is class n; a blank line in the
 * middle leaves its class without a label. */
#define MAX_LABELS_FILE_BYTES (16 << 20)

static GPtrArray *
read_labels_file (const gchar * path, GError ** error)
{
  gchar *contents = NULL, *text, *end = NULL;
  gchar **lines;
  GPtrArray *labels;
  gsize len = 0;
  GStatBuf st;

  /* a device or a FIFO (labels-file=/dev/zero) would be read without end */
  if (g_stat (path, &st) == 0 && !S_ISREG (st.st_mode)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a regular "
        "file (a labels file is a text file, one label per line)");
    return NULL;
  }
  if (g_stat (path, &st) == 0 && st.st_size > MAX_LABELS_FILE_BYTES) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%" G_GINT64_FORMAT
        " bytes, more than the %d MiB a labels file may have",
        (gint64) st.st_size, MAX_LABELS_FILE_BYTES >> 20);
    return NULL;
  }
  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  text = contents;
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0) {
    text += 3;
    len -= 3;
  }
  if (!g_utf8_validate (text, len, (const gchar **) &end)) {
    guint line = 1;
    for (const gchar * c = text; c < end; c++)
      line += *c == '\n';
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "line %u is not valid UTF-8 (or the file has a NUL byte); save the "
        "file as UTF-8", line);
    g_free (contents);
    return NULL;
  }
  /* CRLF and lone CR to LF */
  {
    gchar *w = text;
    for (const gchar * r = text; *r; r++) {
      if (*r == '\r') {
        *w++ = '\n';
        if (r[1] == '\n')
          r++;
      } else {
        *w++ = *r;
      }
    }
    *w = '\0';
  }
  labels = g_ptr_array_new_with_free_func (g_free);
  lines = g_strsplit (text, "\n", -1);
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

/* Parses a classes value into a new mask (*mask NULL: keep all). Tokens
 * are class ids or label names (case-insensitive). *unknown gets the tokens
 * that name no class of the model, comma-separated (NULL if all are
 * known); they are left out of the mask. *n_empty counts the empty entries
 * (",,", a trailing comma, blanks only), which name no class either.
 * Returns the number of tokens that name a class (0 with an empty value). */
static guint
parse_class_mask (GstYoloDetect * self, const gchar * classes,
    guint8 ** mask, gint * n_mask, gchar ** unknown, guint * n_empty)
{
  gchar **tokens;
  gint n, known = known_classes (self);
  GString *bad = NULL;
  guint n_valid = 0;

  *mask = NULL;
  *n_mask = 0;
  *unknown = NULL;
  *n_empty = 0;
  if (!classes || !classes[0])
    return 0;

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

  for (gchar ** t = tokens; *t; t++) {
    gchar *s = *t, *end = NULL;
    gint64 id;
    gboolean found = FALSE;
    if (!s[0]) {
      (*n_empty)++;
      continue;
    }
    if (!*mask)
      *mask = g_new0 (guint8, MAX (n, 1));
    id = g_ascii_strtoll (s, &end, 10);
    if (end != s && end && *end == '\0' && id >= 0 && id < n) {
      (*mask)[id] = 1;
      n_valid++;
      continue;
    }
    for (guint i = 0; self->labels && i < self->labels->len && i < (guint) n;
        i++) {
      if (g_ascii_strcasecmp (g_ptr_array_index (self->labels, i), s) == 0) {
        (*mask)[i] = 1;
        found = TRUE;
      }
    }
    if (found) {
      n_valid++;
    } else {
      if (!bad)
        bad = g_string_new (NULL);
      g_string_append_printf (bad, "%s%s", bad->len ? ", " : "", s);
    }
  }
  g_strfreev (tokens);
  if (*mask)
    *n_mask = n;
  *unknown = bad ? g_string_free (bad, FALSE) : NULL;
  return n_valid;
}

static void
set_class_mask (GstYoloDetect * self, guint8 * mask, gint n_mask,
    const gchar * classes)
{
  g_free (self->class_mask);
  self->class_mask = mask;
  self->n_class_mask = n_mask;
  self->class_mask_serial++;
  g_free (self->active_classes);
  self->active_classes = mask ? g_strdup (classes) : NULL;
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

/* A start-only string property: set directly when stopped, else kept in
 * *pending until the next start. Returns TRUE when that deserves the
 * "applies at the next start" warning (a value other than the loaded
 * one). */
static gboolean
set_start_string (GstYoloDetect * self, gchar ** field, gchar ** pending,
    PendingProps flag, const GValue * value)
{
  const gchar *v = g_value_get_string (value);

  if (!self->started) {
    g_free (*field);
    *field = g_strdup (v);
    return FALSE;
  }
  g_clear_pointer (pending, g_free);
  if (g_strcmp0 (v, *field) == 0) {
    self->pending &= ~flag;     /* back to the loaded value */
    return FALSE;
  }
  *pending = g_strdup (v);
  self->pending |= flag;
  return TRUE;
}

/* Moves the values set while started to the properties (object lock). */
static void
apply_pending (GstYoloDetect * self)
{
  if (self->pending & PENDING_MODEL) {
    g_free (self->model);
    self->model = g_steal_pointer (&self->pending_model);
  }
  if (self->pending & PENDING_DEVICE) {
    g_free (self->device);
    self->device = g_steal_pointer (&self->pending_device);
  }
  if (self->pending & PENDING_LABELS_FILE) {
    g_free (self->labels_file);
    self->labels_file = g_steal_pointer (&self->pending_labels_file);
  }
  if (self->pending & PENDING_INPUT_SIZE) {
    g_free (self->input_size);
    self->input_size = g_steal_pointer (&self->pending_input_size);
  }
  if (self->pending & PENDING_MODEL_INSTANCE_ID) {
    g_free (self->model_instance_id);
    self->model_instance_id =
        g_steal_pointer (&self->pending_model_instance_id);
  }
  if (self->pending & PENDING_BATCH_SIZE)
    self->batch_size = self->pending_batch_size;
  if (self->pending & PENDING_MODEL_FAMILY)
    self->model_family = self->pending_model_family;
  self->pending = 0;
}

static void
gst_yolo_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloDetect *self = GST_YOLO_DETECT (object);
  gboolean deferred = FALSE;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      deferred = set_start_string (self, &self->model, &self->pending_model,
          PENDING_MODEL, value);
      break;
    case PROP_DEVICE:
      deferred = set_start_string (self, &self->device, &self->pending_device,
          PENDING_DEVICE, value);
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
    case PROP_TOP_K:
      self->top_k = g_value_get_int (value);
      break;
    case PROP_CLASSES:
      g_free (self->classes);
      self->classes = g_value_dup_string (value);
      self->classes_changed = TRUE;
      break;
    case PROP_LABELS_FILE:
      deferred = set_start_string (self, &self->labels_file,
          &self->pending_labels_file, PENDING_LABELS_FILE, value);
      break;
    case PROP_SCALE_MODE:
      self->scale_mode = g_value_get_enum (value);
      break;
    case PROP_MODEL_FAMILY:
      if (!self->started) {
        self->model_family = g_value_get_enum (value);
      } else if (g_value_get_enum (value) == (gint) self->model_family) {
        self->pending &= ~PENDING_MODEL_FAMILY;
      } else {
        self->pending_model_family = g_value_get_enum (value);
        self->pending |= PENDING_MODEL_FAMILY;
        deferred = TRUE;
      }
      break;
    case PROP_AGNOSTIC_NMS:
      self->agnostic_nms = g_value_get_boolean (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->inference_interval = g_value_get_uint (value);
      break;
    case PROP_INPUT_SIZE:
      deferred = set_start_string (self, &self->input_size,
          &self->pending_input_size, PENDING_INPUT_SIZE, value);
      break;
    case PROP_MODEL_INSTANCE_ID:
      deferred = set_start_string (self, &self->model_instance_id,
          &self->pending_model_instance_id, PENDING_MODEL_INSTANCE_ID, value);
      break;
    case PROP_BATCH_SIZE:
      if (!self->started) {
        self->batch_size = g_value_get_uint (value);
      } else if (g_value_get_uint (value) == self->batch_size) {
        self->pending &= ~PENDING_BATCH_SIZE;
      } else {
        self->pending_batch_size = g_value_get_uint (value);
        self->pending |= PENDING_BATCH_SIZE;
        deferred = TRUE;
      }
      break;
    case PROP_BATCH_TIMEOUT:
      self->batch_timeout = g_value_get_uint (value);
      break;
    case PROP_RETINA_MASKS:
      self->retina_masks = g_value_get_boolean (value);
      break;
    case PROP_OBB_ROI:
      self->obb_roi = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);

  /* posting takes the object lock: outside it */
  if (deferred)
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Property '%s' was set while the element is running: it applies at "
            "the next start", pspec->name),
        ("until then the element keeps the loaded value, which the property "
            "reads back; set it in the NULL or READY state"));
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
    case PROP_TASK:
      g_value_set_string (value, self->task == YOLO_TASK_UNKNOWN ? NULL :
          yolo_task_name (self->task));
      break;
    case PROP_TOP_K:
      g_value_set_int (value, self->top_k);
      break;
    case PROP_AGNOSTIC_NMS:
      g_value_set_boolean (value, self->agnostic_nms);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->inference_interval);
      break;
    case PROP_INPUT_SIZE:
      g_value_set_string (value, self->input_size);
      break;
    case PROP_MODEL_INSTANCE_ID:
      g_value_set_string (value, self->model_instance_id);
      break;
    case PROP_BATCH_SIZE:
      g_value_set_uint (value, self->batch_size);
      break;
    case PROP_RETINA_MASKS:
      g_value_set_boolean (value, self->retina_masks);
      break;
    case PROP_OBB_ROI:
      g_value_set_enum (value, self->obb_roi);
      break;
    case PROP_BATCH_TIMEOUT:
      g_value_set_uint (value, self->batch_timeout);
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
  g_free (self->input_size);
  g_free (self->pending_model);
  g_free (self->pending_device);
  g_free (self->pending_labels_file);
  g_free (self->pending_input_size);
  g_free (self->model_instance_id);
  g_free (self->pending_model_instance_id);
  g_free (self->active_classes);
  g_array_unref (self->last);
  g_mutex_clear (&self->shared_lock);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* ---- start / stop ------------------------------------------------------ */

/* "HxW" (e.g. "480x640") or "N" (square). */
static gboolean
parse_input_size (const gchar * s, gint * h, gint * w)
{
  gchar *end = NULL;
  gint64 a, b;

  a = g_ascii_strtoll (s, &end, 10);
  if (end == s)
    return FALSE;
  if (*end == '\0') {
    b = a;
  } else if (*end == 'x' || *end == 'X') {
    const gchar *p = end + 1;
    if (!g_ascii_isdigit (*p))
      return FALSE;
    b = g_ascii_strtoll (p, &end, 10);
    if (*end != '\0')
      return FALSE;
  } else {
    return FALSE;
  }
  if (a < 1 || b < 1 || a > MAX_INPUT_SIDE || b > MAX_INPUT_SIDE)
    return FALSE;
  *h = (gint) a;
  *w = (gint) b;
  return TRUE;
}

static void set_batch_streaming_locked (GstYoloDetect * self, gboolean on);

static void
release_engine (GstYoloDetect * self)
{
  if (self->preproc) {
    /* a shared engine: other streams may be running on it */
    yolo_engine_lock (self->engine);
    g_clear_pointer (&self->preproc, yolo_preproc_free);
    yolo_engine_unlock (self->engine);
  }
  /* shared_lock: a FLUSH_START sent from another thread meanwhile must not
   * reach the engine being released */
  g_mutex_lock (&self->shared_lock);
  if (self->shared) {
    set_batch_streaming_locked (self, FALSE);
    self->batch_left = FALSE;
    yolo_engine_shared_release (self->engine);
  } else
    yolo_engine_free (self->engine);
  self->engine = NULL;
  self->shared = FALSE;
  g_mutex_unlock (&self->shared_lock);
  g_clear_pointer (&self->output, g_free);
  g_clear_pointer (&self->output1, g_free);
  g_clear_pointer (&self->tlast, yolo_task_result_free);
  g_clear_pointer (&self->class_last, g_array_unref);
  g_clear_pointer (&self->labels, g_ptr_array_unref);
  g_clear_pointer (&self->class_mask, g_free);
  g_clear_pointer (&self->active_classes, g_free);
  self->n_class_mask = 0;
  g_array_set_size (self->last, 0);
  self->have_output = FALSE;
}

/* The embedded default model (YOLOX-Nano, COCO-80): the installed copy,
 * else the source tree's (uninstalled builds); NULL if neither exists. */
static gchar *
default_model_path (void)
{
  if (g_file_test (YOLO_DEFAULT_MODEL, G_FILE_TEST_IS_REGULAR))
    return g_strdup (YOLO_DEFAULT_MODEL);
  if (g_file_test (YOLO_DEFAULT_MODEL_UNINSTALLED, G_FILE_TEST_IS_REGULAR))
    return g_strdup (YOLO_DEFAULT_MODEL_UNINSTALLED);
  return NULL;
}

/* A metadata value from the model file, for a one-line message: at most 64
 * bytes, control bytes and non-ASCII escaped. */
static gchar *
escape_metadata (const gchar * v)
{
  gchar *cut = g_strndup (v ? v : "", 64);
  gchar *e = g_strescape (cut, NULL);

  g_free (cut);
  if (v && strlen (v) > 64) {
    gchar *t = g_strconcat (e, "...", NULL);
    g_free (e);
    e = t;
  }
  return e;
}

/* The head of a segment, pose, obb or classify model: self->tlayout (and
 * self->layout.n_classes, for labels and class ids), output 1 for the
 * segment prototypes. Posts the error itself. */
static gboolean
task_setup (GstYoloDetect * self, const gchar * model,
    const YoloTensorInfo * out0, const gint64 * in_dims, GError ** err)
{
  const char *e2e = yolo_engine_metadata (self->engine, "end2end");
  gboolean end2end = e2e && (strcmp (e2e, "True") == 0
      || strcmp (e2e, "true") == 0);
  int k = 17, d = 3, n_masks = 0;

  if (self->task == YOLO_TASK_POSE) {
    const char *kpt = yolo_engine_metadata (self->engine, "kpt_shape");
    if (kpt && !yolo_parse_kpt_shape (kpt, &k, &d)) {
      gchar *v = escape_metadata (kpt);
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Model '%s' has a malformed kpt_shape metadata '%s' (expected "
              "[K, 2] or [K, 3], K from 1 to 10000)", model, v), (NULL));
      g_free (v);
      return FALSE;
    }
  }
  if (self->task == YOLO_TASK_SEGMENT) {
    YoloTensorInfo o1;
    if (yolo_engine_n_outputs (self->engine) >= 2
        && yolo_engine_output_info (self->engine, 1, &o1) && o1.ndim == 4
        && o1.dims[0] == self->engine_batch)
      o1.dims[0] = 1;           /* per image */
    if (yolo_engine_n_outputs (self->engine) < 2 || o1.ndim != 4
        || o1.dims[0] != 1 || o1.dims[1] < 1 || o1.dims[1] > 4096
        || o1.dims[2] < 1 || o1.dims[2] > MAX_INPUT_SIDE || o1.dims[3] < 1
        || o1.dims[3] > MAX_INPUT_SIDE
        || o1.dims[1] * o1.dims[2] * o1.dims[3] >
        (G_GINT64_CONSTANT (1) << 28)) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Model '%s' is a segmentation model without a [1, M, H, W] mask "
              "prototype output (M <= 4096, H and W <= %d, at most 2^28 "
              "values)", model, MAX_INPUT_SIDE), (NULL));
      return FALSE;
    }
    n_masks = (int) o1.dims[1];
    self->mask_h = (gint) o1.dims[2];
    self->mask_w = (gint) o1.dims[3];
    self->output1 = g_new (float, (gsize) n_masks * self->mask_h *
        self->mask_w);
  }
  if (!yolo_task_layout_init (&self->tlayout, self->task, end2end, k, d,
          n_masks, out0->ndim, out0->dims, err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' does not match the %s head: %s", model,
            yolo_task_name (self->task), (*err)->message), (NULL));
    return FALSE;
  }
  self->input_w = (gint) in_dims[3];
  self->input_h = (gint) in_dims[2];
  memset (&self->layout, 0, sizeof (self->layout));
  self->layout.family = YOLO_FAMILY_ULTRALYTICS;
  self->layout.n_classes = self->tlayout.n_classes;
  self->layout.n_boxes = self->tlayout.n_boxes;
  return TRUE;
}

static gboolean
gst_yolo_detect_start (GstBaseTransform * trans)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);
  YoloEngineOptions opts = { 0 };
  YoloTensorInfo in_info, out_info;
  GError *err = NULL;
  gchar *model, *device, *labels_file, *classes, *reason = NULL;
  gchar *unknown, *input_size, *instance_id;
  guint batch_size, n_empty;
  guint8 *mask;
  gint n_mask;
  GstYoloModelFamily family_prop;
  gint64 n_out = 1;
  gint n_labels;
  gboolean ret = FALSE;

  GST_OBJECT_LOCK (self);
  apply_pending (self);
  model = g_strdup (self->model);
  device = g_strdup (self->device);
  labels_file = g_strdup (self->labels_file);
  classes = g_strdup (self->classes);
  input_size = g_strdup (self->input_size);
  instance_id = g_strdup (self->model_instance_id);
  batch_size = MAX (self->batch_size, 1);
  family_prop = self->model_family;
  self->classes_changed = FALSE;
  /* from here on start-only properties wait for the next start */
  self->started = TRUE;
  GST_OBJECT_UNLOCK (self);

  if (input_size && input_size[0]
      && !parse_input_size (input_size, &opts.input_height, &opts.input_width)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Invalid input-size '%s'", input_size),
        ("expected HxW (e.g. 480x640) or one number for a square input, "
            "each side 1..%d", MAX_INPUT_SIDE));
    goto done;
  }

  if (!model || !model[0]) {
    g_free (model);
    model = default_model_path ();
    if (!model) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
          ("No model set and the default model is not installed"),
          ("set the 'model' property; the default is looked up at %s "
              "(meson install) and %s", YOLO_DEFAULT_MODEL,
              YOLO_DEFAULT_MODEL_UNINSTALLED));
      goto done;
    }
    GST_INFO_OBJECT (self, "no model set: using the default model %s", model);
  }
  if (!g_file_test (model, G_FILE_TEST_EXISTS)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("Model file '%s' does not exist", model), (NULL));
    goto done;
  }

  opts.device = device;
  opts.batch = (int) batch_size;
  if (batch_size > 1 && !(instance_id && instance_id[0])) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("batch-size=%u needs a model-instance-id: a batch gathers frames of "
            "the elements that share one model instance", batch_size),
        ("set the same model-instance-id on the elements to batch"));
    goto done;
  }
  if (instance_id && instance_id[0]) {
    self->engine = yolo_engine_shared_acquire (instance_id, model, &opts, &err);
    self->shared = self->engine != NULL;
    if (self->shared)
      GST_INFO_OBJECT (self, "model instance '%s': %u users", instance_id,
          yolo_engine_shared_users (instance_id));
  } else {
    self->engine = yolo_engine_new (model, &opts, &err);
  }
  if (!self->engine) {
    if (instance_id && instance_id[0] && err
        && err->domain == YOLO_ENGINE_ERROR
        && err->code == YOLO_ENGINE_ERROR_ARGUMENT
        && yolo_engine_shared_users (instance_id) > 0) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("model-instance-id '%s' is shared by elements with other "
              "settings: give them the same model, device, input-size and "
              "batch-size, or another model-instance-id", instance_id),
          ("%s", err->message));
    } else if (err && err->domain == YOLO_ENGINE_ERROR
        && err->code == YOLO_ENGINE_ERROR_IO) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model '%s': %s", model, err->message), (NULL));
    } else if (err && err->domain == YOLO_ENGINE_ERROR
        && err->code == YOLO_ENGINE_ERROR_ARGUMENT && opts.input_height <= 0
        && strstr (err->message, "has a dynamic size")) {
      /* the only argument the element leaves to the model: its size (an
       * invalid YOLO_INT8_COMPUTE / YOLO_STORAGE is an ARGUMENT error too) */
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Model '%s' has a dynamic input size and no imgsz metadata: set "
              "the input-size property (e.g. input-size=640x640), or export "
              "it with dynamic=False and the imgsz you want", model),
          ("%s", err->message));
    } else if (err && err->domain == YOLO_ENGINE_ERROR
        && (err->code == YOLO_ENGINE_ERROR_NO_DEVICE
            || err->code == YOLO_ENGINE_ERROR_OPENCL)) {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not initialise OpenCL: %s",
              err ? err->message : "unknown error"), ("device '%s'",
              device ? device : "(default)"));
    } else if (opts.input_height > 0) {
      gboolean odd = opts.input_height % 32 || opts.input_width % 32;
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not load model '%s' with input-size=%s: %s", model,
              input_size, err ? err->message : "unknown error"),
          ("%s", odd ? "a dynamic model needs a size its strides divide "
              "(a multiple of the metadata stride, usually 32)" : ""));
    } else {
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not load model '%s': %s", model,
              err ? err->message : "unknown error"), (NULL));
    }
    goto done;
  }
  self->engine_batch = (gint) batch_size;
  GST_INFO_OBJECT (self, "loaded %s on %s: engine %p, %" G_GUINT64_FORMAT
      " bytes of device memory", model, yolo_engine_device_name (self->engine),
      self->engine, yolo_engine_device_bytes (self->engine));

  /* the task: metadata, else the outputs' shapes; model-family is for
   * detection heads only */
  {
    const char *task_meta = yolo_engine_metadata (self->engine, "task");
    guint n_outputs = yolo_engine_n_outputs (self->engine);
    YoloTensorInfo o0 = { 0 }, o1 = { 0 };
    YoloTask task;

    if (n_outputs >= 1)
      yolo_engine_output_info (self->engine, 0, &o0);
    if (n_outputs >= 2)
      yolo_engine_output_info (self->engine, 1, &o1);
    task = yolo_task_guess (task_meta, (int) n_outputs, o0.ndim, o1.ndim);
    if (task == YOLO_TASK_UNKNOWN) {
      gchar *v = escape_metadata (task_meta);
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Model '%s' is a task=%s model: yolodetect runs detect, segment, "
              "pose, obb and classify models", model, v), (NULL));
      g_free (v);
      goto done;
    }
    if (task != YOLO_TASK_DETECT && family_prop != GST_YOLO_MODEL_FAMILY_AUTO) {
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Model '%s' is a task=%s model: model-family applies to detection "
              "models (task=detect) only; leave model-family at auto", model,
              yolo_task_name (task)), (NULL));
      goto done;
    }
    GST_OBJECT_LOCK (self);
    self->task = task;
    GST_OBJECT_UNLOCK (self);
    GST_INFO_OBJECT (self, "task %s", yolo_task_name (task));
  }

  /* head family (detection; the other tasks' heads are Ultralytics') */
  self->family = family_from_property (family_prop);
  if (self->task != YOLO_TASK_DETECT)
    self->family = YOLO_FAMILY_ULTRALYTICS;
  if (self->family == YOLO_FAMILY_UNKNOWN) {
    self->family = yolo_engine_detect_family (self->engine, &reason);
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
  /* a batch of images (batch-size): the head decodes one image's part */
  if (batch_size > 1 && in_info.dims[0] == batch_size && out_info.ndim >= 1
      && out_info.dims[0] == batch_size) {
    in_info.dims[0] = 1;
    out_info.dims[0] = 1;
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
  if (opts.input_height > 0 && (in_info.dims[2] != opts.input_height
          || in_info.dims[3] != opts.input_width)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' has a fixed input size of %" G_GINT64_FORMAT "x%"
            G_GINT64_FORMAT " (HxW): input-size=%s cannot change it", model,
            in_info.dims[2], in_info.dims[3], input_size),
        ("remove input-size, or export the model with imgsz=[%d, %d] (or "
            "dynamic=True)", opts.input_height, opts.input_width));
    goto done;
  }
  if (self->task != YOLO_TASK_DETECT) {
    if (!task_setup (self, model, &out_info, in_info.dims, &err))
      goto done;
  } else if (!yolo_head_layout_init (&self->layout, self->family,
          out_info.ndim, out_info.dims, (int) in_info.dims[3],
          (int) in_info.dims[2], &err)) {
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Model '%s' does not match the %s head: %s", model,
            yolo_family_name (self->family), err->message), (NULL));
    goto done;
  }
  for (int i = 0; i < out_info.ndim; i++)
    n_out *= MAX (out_info.dims[i], 1);
  self->output = g_new (float, n_out);

  yolo_engine_lock (self->engine);
  self->preproc = yolo_preproc_new (self->engine, &err);
  yolo_engine_unlock (self->engine);
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
    if (self->labels && labels_file && labels_file[0])
      GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
          ("labels-file '%s' is not used: model '%s' names its %u classes "
              "in its metadata", labels_file, model, self->labels->len),
          ("labels-file applies to models without names metadata (YOLOX "
              "and YOLOv5 exports)"));
    if (!self->labels && labels_file && labels_file[0]) {
      self->labels = read_labels_file (labels_file, &err);
      if (!self->labels && g_error_matches (err, G_FILE_ERROR,
              G_FILE_ERROR_NOENT)) {
        GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
            ("Could not read labels file '%s': %s", labels_file,
                err->message), (NULL));
        goto done;
      } else if (!self->labels) {
        GST_ELEMENT_ERROR (self, RESOURCE, READ,
            ("Could not read labels file '%s': %s", labels_file,
                err->message), (NULL));
        goto done;
      }
      n_labels = self->labels->len;
      if (self->layout.n_classes > 0 && n_labels < self->layout.n_classes)
        GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
            ("labels-file '%s' has %d labels for the %d classes of model "
                "'%s': classes %d to %d are labelled by their number",
                labels_file, n_labels, self->layout.n_classes, model,
                n_labels, self->layout.n_classes - 1),
            ("one label per line, line n = class n"));
      else if (self->layout.n_classes > 0 && n_labels > self->layout.n_classes)
        GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
            ("labels-file '%s' has %d labels for the %d classes of model "
                "'%s': the lines after line %d are not used", labels_file,
                n_labels, self->layout.n_classes, model,
                self->layout.n_classes),
            ("one label per line, line n = class n"));
    }
    /* no names anywhere: COCO-80 for 80-class models (YOLOX, YOLOv5 from
     * other exporters), else class numbers */
    if (!self->labels)
      self->labels = yolo_default_labels (self->layout.n_classes);
    if (self->labels && self->layout.n_classes > 0
        && self->labels->len != (guint) self->layout.n_classes)
      GST_WARNING_OBJECT (self, "%u labels for %d classes",
          self->labels->len, self->layout.n_classes);
  }

  /* the class ids the model can mean: its names metadata, else the head's
   * class count (end2end without names: unknown, ids >= 0) */
  {
    const char *names = yolo_engine_metadata (self->engine, "names");
    GPtrArray *meta_names = names ? yolo_parse_names (names) : NULL;
    if (meta_names && meta_names->len > 0)
      self->n_model_classes = (gint) meta_names->len;
    else
      self->n_model_classes = self->layout.n_classes;
    if (meta_names)
      g_ptr_array_unref (meta_names);
  }

  /* a class that is not in the model is a configuration error at start
   * (a typo would otherwise silently drop every detection) */
  parse_class_mask (self, classes, &mask, &n_mask, &unknown, &n_empty);
  if (n_empty > 0 && !unknown) {
    gchar *hint = classes_hint (self);
    if (!mask)
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Invalid classes '%s': it names no class (leave the property "
              "unset to keep every class)", classes),
          ("classes takes comma-separated %s", hint));
    else
      GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
          ("Invalid classes '%s': an empty entry (two commas in a row, a "
              "comma at an end)", classes),
          ("classes takes comma-separated %s", hint));
    g_free (hint);
    g_free (mask);
    goto done;
  }
  if (unknown) {
    gchar *hint = classes_hint (self);
    GST_ELEMENT_ERROR (self, LIBRARY, SETTINGS,
        ("Unknown class '%s' in the classes property", unknown),
        ("classes takes %s", hint));
    g_free (hint);
    g_free (unknown);
    g_free (mask);
    goto done;
  }
  set_class_mask (self, mask, n_mask, classes);
  self->n_frames = 0;
  g_array_set_size (self->last, 0);
  self->have_output = FALSE;
  self->warned_invalid = FALSE;
  self->warned_mask_budget = FALSE;
  ret = TRUE;

done:
  if (!ret) {
    release_engine (self);
    GST_OBJECT_LOCK (self);
    self->started = FALSE;
    /* no model is loaded: not the previous start's task */
    self->task = YOLO_TASK_UNKNOWN;
    GST_OBJECT_UNLOCK (self);
  }
  g_clear_error (&err);
  g_free (input_size);
  g_free (instance_id);
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
  /* what was set while running applies now, and reads back so */
  GST_OBJECT_LOCK (self);
  self->started = FALSE;
  apply_pending (self);
  GST_OBJECT_UNLOCK (self);
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
  guint idx;

  GST_BASE_TRANSFORM_CLASS (parent_class)->propose_allocation (trans,
      decide_query, query);
  if (!gst_query_find_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL))
    gst_query_add_allocation_meta (query, GST_VIDEO_META_API_TYPE, NULL);
  /* the network sees the whole buffer: a downstream element that takes
   * crop metas (a display sink) must not make upstream (videocrop, a
   * decoder with coded padding) send the uncropped frame with a
   * GstVideoCropMeta, whose hidden part would be detected on and the
   * boxes placed in the wrong frame; without it upstream crops itself */
  while (gst_query_find_allocation_meta (query, GST_VIDEO_CROP_META_API_TYPE,
          &idx))
    gst_query_remove_nth_allocation_meta (query, idx);
  return TRUE;
}

/* Tells a shared engine (model-instance-id) that this element sends frames
 * (on) or stopped sending them (EOS, flush, stop), once per change: a
 * batch then runs with the frames of the streams still sending. Called
 * from the streaming thread (EOS, FLUSH_STOP, STREAM_START), the thread
 * that seeks (FLUSH_START) and the state-change thread (stop); shared_lock
 * keeps the engine from being released (stop) while it is told. The
 * _locked form is for a caller holding shared_lock. */
static void
set_batch_streaming_locked (GstYoloDetect * self, gboolean on)
{
  gboolean change;

  if (!self->shared || !self->engine)
    return;
  GST_OBJECT_LOCK (self);
  change = self->batch_left == on;
  self->batch_left = !on;
  GST_OBJECT_UNLOCK (self);
  if (change)
    yolo_engine_shared_streaming (self->engine, on);
}

static void
set_batch_streaming (GstYoloDetect * self, gboolean on)
{
  g_mutex_lock (&self->shared_lock);
  set_batch_streaming_locked (self, on);
  g_mutex_unlock (&self->shared_lock);
}

static GstStateChangeReturn
gst_yolo_detect_change_state (GstElement * element, GstStateChange transition)
{
  GstYoloDetect *self = GST_YOLO_DETECT (element);

  /* a frame of this element waiting for a batch (model-instance-id,
   * batch-size > 1) holds the streaming thread, which the pads'
   * deactivation waits for: stop waiting for the others first, or going
   * to READY or NULL would take up to batch-timeout */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    set_batch_streaming (self, FALSE);
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_yolo_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);

  /* after a flush (seek) the kept detections are stale: infer at once */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP) {
    self->n_frames = 0;
    self->have_output = FALSE;
    g_array_set_size (self->last, 0);
  }
  /* a shared batch stops waiting for this stream at its end and while it
   * flushes (a frame of ours waiting for the batch then runs, so the flush
   * does not wait batch-timeout for the streaming thread), and waits for
   * it again when it sends frames again */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS
      || GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    set_batch_streaming (self, FALSE);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP
      || GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
    set_batch_streaming (self, TRUE);
  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

/* The classes property changed while running: unknown names are ignored
 * with a warning; a value that names no class at all keeps the previous
 * filter (and the property reads it back). */
static void
update_classes_running (GstYoloDetect * self, const gchar * classes)
{
  guint8 *mask;
  gint n_mask;
  gchar *unknown, *hint, *prev;
  guint n_valid, n_empty;
  gboolean reverted;

  n_valid = parse_class_mask (self, classes, &mask, &n_mask, &unknown,
      &n_empty);
  if (!unknown && (n_empty == 0 || n_valid > 0)) {
    set_class_mask (self, mask, n_mask, classes);
    if (n_empty > 0)
      GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
          ("Empty entry in classes='%s'; ignored", classes), (NULL));
    return;
  }
  hint = classes_hint (self);
  if (n_valid > 0) {
    set_class_mask (self, mask, n_mask, classes);
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("Unknown class '%s' in the classes property; ignored", unknown),
        ("classes takes %s", hint));
  } else {
    g_free (mask);
    prev = g_strdup (self->active_classes);
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("classes='%s' names no class of the model; the previous filter "
            "(%s%s%s) is kept", classes, prev ? "classes='" : "every class",
            prev ? prev : "", prev ? "'" : ""), ("classes takes %s", hint));
    /* read back what applies, unless set again meanwhile */
    GST_OBJECT_LOCK (self);
    reverted = !self->classes_changed;
    if (reverted) {
      g_free (self->classes);
      self->classes = g_steal_pointer (&prev);
    }
    GST_OBJECT_UNLOCK (self);
    if (reverted)
      g_object_notify (G_OBJECT (self), "classes");
    g_free (prev);
  }
  g_free (hint);
  g_free (unknown);
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

/* Runs the model on the frame into self->output (decoded later). */
static gboolean
infer_frame (GstYoloDetect * self, GstBuffer * buf, GstYoloScaleMode scale_mode)
{
  GstVideoFrame frame;
  YoloImage img;
  YoloLetterbox lb;
  YoloPreprocParams pp;
  GError *err = NULL;
  gboolean ok;
  guint timeout;

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

  /* The frame upload is asynchronous (on CPU devices the kernel reads the
   * mapped planes in place): keep the frame mapped until the blocking
   * output read has returned. */
  /* a shared engine (model-instance-id) runs one stream's frame at a
   * time: its input, arena and queue are the instance's */
  if (self->shared) {
    /* gathered into a batch of the sharing elements' frames (batch-size),
     * or run at once (batch-size 1); waits for this frame's outputs */
    GST_OBJECT_LOCK (self);
    timeout = self->batch_timeout;
    GST_OBJECT_UNLOCK (self);
    ok = yolo_engine_shared_infer (self->engine, self->preproc, &img, &pp,
        &lb, timeout, self->output, self->output1, &err);
  } else {
    yolo_engine_lock (self->engine);
    ok = yolo_preproc_run (self->preproc, &img, &pp, &lb, &err)
        && yolo_engine_enqueue (self->engine, &err)
        && yolo_engine_get_output (self->engine, 0, self->output, &err)
        && (!self->output1
        || yolo_engine_get_output (self->engine, 1, self->output1, &err));
    /* on failure the non-blocking frame upload or the kernel may still be
     * reading the mapped planes: drain the queue before unmapping */
    if (!ok)
      yolo_engine_finish (self->engine);
    yolo_engine_unlock (self->engine);
  }
  gst_video_frame_unmap (&frame);
  if (!ok) {
    GST_ELEMENT_ERROR (self, STREAM, FAILED, ("Inference failed: %s",
            err ? err->message : "unknown error"), (NULL));
    g_clear_error (&err);
    return FALSE;
  }

  self->last_lb = lb;
  self->inferred_info = self->info;
  self->have_output = TRUE;
  return TRUE;
}

/* TRUE if a detection means something: a finite box, a confidence in
 * [0, 1] and a class of the model. A forced model-family that does not
 * fit the model can decode anything (objectness x class id = 600). */
static gboolean
detection_valid (GstYoloDetect * self, const YoloDetection * d)
{
  return isfinite (d->x1) && isfinite (d->y1) && isfinite (d->x2)
      && isfinite (d->y2) && d->x1 <= d->x2 && d->y1 <= d->y2
      && isfinite (d->score) && d->score >= 0.0f && d->score <= 1.0f
      && d->class_id >= 0 && (self->n_model_classes <= 0
      || d->class_id < self->n_model_classes);
}

/* decode_kept() for the segment, pose, obb and classify heads: the kept
 * results in frame pixels of the inferred frame. */
static void
decode_task (GstYoloDetect * self, const YoloHeadParams * hp,
    const DecodeKey * key)
{
  YoloHeadParams p = *hp;
  YoloTaskResult *r;
  guint n_keep = 0, n_invalid = 0;
  YoloDetection bad = { 0 };

  self->last_key = *key;
  g_clear_pointer (&self->tlast, yolo_task_result_free);
  g_clear_pointer (&self->class_last, g_array_unref);
  if (self->task == YOLO_TASK_CLASSIFY) {
    self->class_last = yolo_classify_top_k (self->output,
        self->tlayout.n_classes, key->top_k, hp);
    return;
  }
  /* the limit counts valid detections only */
  p.max_detections = 0;
  r = yolo_task_decode (&self->tlayout, &p, self->output, &self->last_lb);
  for (guint i = 0; i < r->dets->len; i++) {
    YoloTaskDetection *d = &g_array_index (r->dets, YoloTaskDetection, i);
    if (!detection_valid (self, &d->box)) {
      if (n_invalid++ == 0)
        bad = d->box;
      continue;
    }
    if (hp->max_detections > 0 && n_keep >= (guint) hp->max_detections)
      continue;
    g_array_index (r->dets, YoloTaskDetection, n_keep++) = *d;
  }
  g_array_set_size (r->dets, n_keep);
  self->tlast = r;
  if (n_invalid > 0 && !self->warned_invalid) {
    self->warned_invalid = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The model's output does not fit the %s head: %u detections with a "
            "confidence outside [0, 1], a class outside the model's %d "
            "classes or a non-finite box were dropped",
            yolo_task_name (self->task), n_invalid, self->n_model_classes),
        ("e.g. confidence %g, class %d", bad.score, bad.class_id));
  }
}

/* Adds the mask of det (a segment detection) to roi: at frame resolution
 * (retina-masks) or at the input's (see yolo_segment_mask_input), within
 * the frame's mask budget: *used bytes are taken, n_after detections
 * still to come keep at least 1 byte each. A retina mask past the budget
 * is stored at input resolution, an input one past it on a coarser grid
 * scaled to what is left (one warning per start). */
static void
add_mask (GstYoloDetect * self, GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, const YoloTaskDetection * d,
    guint n_after, guint64 * used)
{
  guint64 left = MASK_FRAME_BUDGET - MIN (*used + n_after, MASK_FRAME_BUDGET);
  gint w = MAX (roi->w, 1), h = MAX (roi->h, 1), mw, mh;
  gboolean over = FALSE;
  guint8 *mask;

  if (self->retina_masks && (guint64) w * h <= left) {
    mask = g_malloc ((gsize) w * h);
    yolo_segment_mask (&self->tlayout, self->tlast, d, self->output1,
        self->mask_h, self->mask_w, self->input_w, self->input_h,
        &self->last_lb, roi->x, roi->y, w, h, mask);
    gst_yolo_meta_add_mask (buf, roi, w, h, mask);
    *used += (guint64) w *h;
    g_free (mask);
    return;
  }
  over = self->retina_masks;
  yolo_segment_mask_input_size (&self->last_lb, self->input_w,
      self->input_h, w, h, &mw, &mh);
  if (mw <= 0 || mh <= 0)
    return;
  if ((guint64) mw * mh > left) {
    /* a coarser grid over the same rectangle, at least 1 x 1 */
    double f = sqrt ((double) MAX (left, 1) / ((double) mw * mh));
    mw = CLAMP ((gint) (mw * f), 1, mw);
    mh = CLAMP ((gint) (mh * f), 1, mh);
    while ((guint64) mw * mh > MAX (left, 1) && (mw > 1 || mh > 1)) {
      if (mw >= mh)
        mw--;
      else
        mh--;
    }
    over = TRUE;
  }
  mask = g_malloc ((gsize) mw * mh);
  yolo_segment_mask_input (&self->tlayout, self->tlast, d, self->output1,
      self->mask_h, self->mask_w, self->input_w, self->input_h,
      &self->last_lb, roi->x, roi->y, w, h, mw, mh, mask);
  gst_yolo_meta_add_mask (buf, roi, mw, mh, mask);
  *used += (guint64) mw *mh;
  g_free (mask);
  if (over && !self->warned_mask_budget) {
    self->warned_mask_budget = TRUE;
    GST_ELEMENT_WARNING (self, RESOURCE, NO_SPACE_LEFT,
        ("A frame's masks would pass the budget of %u MiB: masks past it "
            "are stored at a lower resolution", MASK_FRAME_BUDGET >> 20),
        ("retina-masks=%d, a %dx%d ROI's mask stored as %dx%d",
            self->retina_masks, w, h, mw, mh));
  }
}

/* Attaches the kept results of a segment, pose, obb or classify model to
 * buf (a frame of w x h, the inferred frame's geometry). */
static void
attach_task (GstYoloDetect * self, GstBuffer * buf, guint w, guint h)
{
  guint64 mask_bytes = 0;
  GstYoloObbRoi obb_roi;

  GST_OBJECT_LOCK (self);
  obb_roi = self->obb_roi;
  GST_OBJECT_UNLOCK (self);
  if (self->task == YOLO_TASK_CLASSIFY) {
    guint n = self->class_last ? self->class_last->len : 0;
    gint *ids;
    gdouble *confs;
    const gchar **labels;

    if (n == 0)
      return;
    ids = g_new (gint, n);
    confs = g_new (gdouble, n);
    labels = g_new (const gchar *, n);
    for (guint i = 0; i < n; i++) {
      const YoloClassScore *c = &g_array_index (self->class_last,
          YoloClassScore, i);
      ids[i] = c->class_id;
      confs[i] = c->score;
      labels[i] = label_for (self, c->class_id);
      if (!labels[i])
        labels[i] = "";
    }
    gst_yolo_meta_add_classification (buf, w, h, n, ids, confs, labels);
    g_free (ids);
    g_free (confs);
    g_free (labels);
    return;
  }
  if (!self->tlast)
    return;
  for (guint i = 0; i < self->tlast->dets->len; i++) {
    const YoloTaskDetection *d = &g_array_index (self->tlast->dets,
        YoloTaskDetection, i);
    GstYoloDetection det = {
      d->box.x1, d->box.y1, d->box.x2, d->box.y2, d->box.score,
      d->box.class_id, label_for (self, d->box.class_id)
    };
    const float *values = (const float *) self->tlast->values->data +
        d->values_offset;
    GstVideoRegionOfInterestMeta *roi;

    if (self->task == YOLO_TASK_OBB)
      roi = gst_yolo_meta_add_rotated_detection (buf, w, h, &det, d->cx,
          d->cy, d->w, d->h, d->angle, obb_roi);
    else
      roi = gst_yolo_meta_add_detection (buf, w, h, &det);
    if (!roi)
      continue;
    if (self->task == YOLO_TASK_POSE) {
      gst_yolo_meta_add_keypoints (buf, roi, w, h,
          self->tlayout.n_keypoints, values);
    } else if (self->task == YOLO_TASK_SEGMENT) {
      add_mask (self, buf, roi, d, self->tlast->dets->len - i - 1, &mask_bytes);
    }
  }
}

/* Decodes the last inference's output with hp into the kept detections
 * (normalised), dropping those that mean nothing. */
static void
decode_kept (GstYoloDetect * self, const YoloHeadParams * hp,
    const DecodeKey * key)
{
  YoloHeadParams p = *hp;
  const YoloLetterbox *lb = &self->last_lb;
  GArray *dets;
  guint n_invalid = 0;
  YoloDetection bad = { 0 };

  if (self->task != YOLO_TASK_DETECT) {
    decode_task (self, hp, key);
    return;
  }
  /* the limit counts valid detections only */
  p.max_detections = 0;
  dets = yolo_head_decode (&self->layout, &p, self->output, lb);
  g_array_set_size (self->last, 0);
  for (guint i = 0; i < dets->len; i++) {
    const YoloDetection *d = &g_array_index (dets, YoloDetection, i);
    StoredDetection s;
    if (!detection_valid (self, d)) {
      if (n_invalid++ == 0)
        bad = *d;
      continue;
    }
    if (hp->max_detections > 0 && self->last->len >= (guint)
        hp->max_detections)
      continue;
    s.x1 = d->x1 / lb->frame_w;
    s.y1 = d->y1 / lb->frame_h;
    s.x2 = d->x2 / lb->frame_w;
    s.y2 = d->y2 / lb->frame_h;
    s.confidence = d->score;
    s.label_id = d->class_id;
    g_array_append_val (self->last, s);
  }
  self->last_key = *key;
  GST_LOG_OBJECT (self, "%u detections (%u dropped as invalid)",
      self->last->len, n_invalid);
  g_array_unref (dets);

  if (n_invalid > 0 && !self->warned_invalid) {
    self->warned_invalid = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, DECODE,
        ("The model's output does not fit the %s head: %u detections with a "
            "confidence outside [0, 1], a class outside the model's %d "
            "classes or a non-finite box were dropped",
            yolo_family_name (self->family), n_invalid,
            self->n_model_classes),
        ("e.g. confidence %g, class %d; check the model-family property "
            "(auto detects the family from the model)", bad.score,
            bad.class_id));
  }
}

static gboolean
same_key (const DecodeKey * a, const DecodeKey * b)
{
  return a->conf_threshold == b->conf_threshold
      && a->iou_threshold == b->iou_threshold
      && a->max_detections == b->max_detections
      && a->agnostic == b->agnostic
      && a->class_mask_serial == b->class_mask_serial && a->top_k == b->top_k;
}

/* TRUE if the current caps still describe the frame of the last inference
 * (its detections are in that frame's geometry and colours: format, size,
 * and for YUV the matrix and range). */
static gboolean
same_frame_geometry (const GstVideoInfo * a, const GstVideoInfo * b)
{
  return GST_VIDEO_INFO_FORMAT (a) == GST_VIDEO_INFO_FORMAT (b)
      && GST_VIDEO_INFO_WIDTH (a) == GST_VIDEO_INFO_WIDTH (b)
      && GST_VIDEO_INFO_HEIGHT (a) == GST_VIDEO_INFO_HEIGHT (b)
      && (!GST_VIDEO_INFO_IS_YUV (a)
      || (a->colorimetry.matrix == b->colorimetry.matrix
          && a->colorimetry.range == b->colorimetry.range));
}

static GstFlowReturn
gst_yolo_detect_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYoloDetect *self = GST_YOLO_DETECT (trans);
  YoloHeadParams hp = YOLO_HEAD_PARAMS_DEFAULT;
  DecodeKey key;
  GstYoloScaleMode scale_mode;
  guint interval;
  gint top_k;
  gchar *classes = NULL;
  gboolean classes_changed, inferred;
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
  top_k = self->top_k;
  classes_changed = self->classes_changed;
  if (classes_changed)
    classes = g_strdup (self->classes);
  self->classes_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  if (classes_changed)
    update_classes_running (self, classes);
  g_free (classes);
  hp.class_mask = self->class_mask;
  hp.n_class_mask = self->n_class_mask;

  key.conf_threshold = hp.conf_threshold;
  key.iou_threshold = hp.iou_threshold;
  key.max_detections = hp.max_detections;
  key.agnostic = hp.agnostic;
  key.class_mask_serial = self->class_mask_serial;
  key.top_k = top_k;

  /* new caps (size, format, colours): the kept detections belong to a
   * frame of the old geometry; never rescale them, infer now */
  if (self->have_output && !same_frame_geometry (&self->info,
          &self->inferred_info)) {
    GST_DEBUG_OBJECT (self, "caps changed since the last inference");
    self->have_output = FALSE;
    g_array_set_size (self->last, 0);
    self->n_frames = 0;
  }

  inferred = !self->have_output || self->n_frames % interval == 0;
  if (inferred) {
    if (!infer_frame (self, buf, scale_mode))
      return GST_FLOW_ERROR;
    decode_kept (self, &hp, &key);
  } else if (!same_key (&key, &self->last_key)) {
    /* thresholds or classes changed between inferences: decode the kept
     * output again, as the next inference would */
    decode_kept (self, &hp, &key);
  }
  self->n_frames++;

  w = GST_VIDEO_INFO_WIDTH (&self->info);
  h = GST_VIDEO_INFO_HEIGHT (&self->info);
  if (self->task != YOLO_TASK_DETECT) {
    attach_task (self, buf, w, h);
    /* as for detections: yolotrack and applications tell the frames that
     * repeat an inference (inference-interval) from inferred ones */
    gst_yolo_meta_mark_inferred (buf, inferred);
    return GST_FLOW_OK;
  }
  for (guint i = 0; i < self->last->len; i++) {
    const StoredDetection *s = &g_array_index (self->last, StoredDetection,
        i);
    GstYoloDetection det = {
      s->x1 * w, s->y1 * h, s->x2 * w, s->y2 * h,
      s->confidence, s->label_id, label_for (self, s->label_id)
    };
    gst_yolo_meta_add_detection (buf, w, h, &det);
  }
  /* yolotrack predicts on the frames that repeat an inference */
  gst_yolo_meta_mark_inferred (buf, inferred);
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
   * Path of the ONNX model file. Unset: the embedded default model,
   * YOLOX-Nano 416x416 trained on COCO (Apache-2.0), installed with the
   * plugin. Set while the element runs
   * (PAUSED or PLAYING), the new value applies at the next start, with a
   * warning message; until then the property reads back the loaded model.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Path of the YOLO ONNX model file (unset: the embedded YOLOX-Nano "
          "COCO model)", DEFAULT_MODEL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:device:
   *
   * OpenCL device: empty for the first GPU (else the first device), "gpu",
   * "cpu", a global index "N", "P:D" (platform:device) or a substring of
   * the device name. Like model, it applies at the next start.
   *
   * Since: 0.1
   */
  /**
   * GstYoloDetect:model-instance-id:
   *
   * Elements of one process with the same model-instance-id (DL
   * Streamer's name) share one loaded engine: one copy of the weights and
   * one activation arena on the device, one compiled program. They must
   * have the same model, device and input-size; another setting under a
   * loaded id is an element error at start. The shared engine runs one
   * frame at a time (the streams' inferences are serialised, each
   * stream's pre-processing, inference and output read under the
   * engine's lock). Empty (the default): the element loads its own
   * engine. Like model, it applies at the next start.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_MODEL_INSTANCE_ID,
      g_param_spec_string ("model-instance-id", "Model instance id",
          "Elements with the same id share one loaded model (same model, "
          "device, input-size and batch-size required); empty = a model of "
          "its own",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:batch-size:
   *
   * Images per inference of the shared model instance (DL Streamer's
   * property): the frames of the elements that share model-instance-id
   * are gathered into one batched inference of this many images (the
   * engine runs the model with this batch; each frame gets its own
   * detections). Needs model-instance-id, and the same value on every
   * element of the id. 1 (the default): every frame runs at once. Like
   * model, it applies at the next start.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint ("batch-size", "Batch size",
          "Frames of the elements sharing model-instance-id per inference",
          1, 256, 1, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:batch-timeout:
   *
   * With batch-size > 1: the longest a frame waits for the batch to fill,
   * in milliseconds from the batch's first frame; then the batch runs with
   * the frames it has, so a slow or stopped stream delays the others by
   * at most this. Applies from the next frame.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_BATCH_TIMEOUT,
      g_param_spec_uint ("batch-timeout", "Batch timeout",
          "Longest wait for a batch to fill, ms (batch-size > 1)", 0, 60000,
          DEFAULT_BATCH_TIMEOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

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
   * Detections need a score above this. A change applies from the next
   * frame, also to the detections kept between inferences
   * (inference-interval).
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
   * A change applies from the next frame, also to kept detections.
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
   * labels is an error (LIBRARY/SETTINGS) when the element starts. Set
   * while running, the value applies from the next frame (also to the
   * detections kept between inferences); unknown tokens are ignored with a
   * warning message, and a value that names no class at all keeps the
   * previous filter (with a warning; the property reads it back).
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
   * class number is the label. UTF-8 (a byte order mark is skipped), LF,
   * CRLF or CR line ends; spaces around a label and blank lines at the end
   * are ignored. Applies at the next start, like model.
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
   * Ultralytics, end-to-end and YOLOv5 exports; YOLOX needs yolox. It
   * applies to detection models only: segment, pose, obb and classify
   * models (see #GstYoloDetect:task) have Ultralytics' heads, and a
   * model-family other than auto on them is an error at start. Applies at
   * the next start, like model.
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
   * GstYoloDetect:retina-masks:
   *
   * Segment models: the resolution of the masks (Ultralytics' option of
   * that name). FALSE (default, as Ultralytics): each mask covers its ROI
   * rectangle at the network input's resolution (Ultralytics' chain up to
   * "bilinear to the input, > 0.5, letterbox cut off", then the ROI's
   * region in input pixels: at most the input size per side), so its
   * dims are smaller than the ROI's on a frame larger than the input.
   * TRUE: at frame resolution (dims = the ROI's w x h), bilinear to the
   * frame as Ultralytics' scale_masks. Either way a frame's masks hold at
   * most 64 MiB: a mask past that budget is stored at input resolution
   * (retina-masks=TRUE), or on a coarser grid over its ROI, with one
   * warning per start. Readers get a mask at the ROI's size with
   * gst_yolo_meta_get_roi_mask() (gstyolometa.h).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RETINA_MASKS,
      g_param_spec_boolean ("retina-masks", "Retina masks",
          "Segment models: masks at frame resolution (TRUE) or at the "
          "network input's (FALSE); a frame's masks hold at most 64 MiB",
          DEFAULT_RETINA_MASKS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  /**
   * GstYoloDetect:obb-roi:
   *
   * Obb models: what the GstVideoRegionOfInterestMeta rectangle (and the
   * "detection" structure's x_min, y_min, x_max, y_max) of an oriented box
   * is. oriented (default): DL Streamer's convention, the unrotated box
   * (its own width and height about the same centre) that the structure's
   * "rotation" turns, so gvawatermark and
   * RegionOfInterest::rect()/rotation() of DL Streamer 2024.1-2025.1 read
   * the right box; clipped to the frame as DL Streamer clips it.
   * axis-aligned: the rotated box's axis-aligned bounding box, clipped to
   * the frame, for readers that take the ROI as the region the object
   * covers and ignore "rotation". Either way the exact rotated box is in
   * rotated_cx, rotated_cy, rotated_w, rotated_h (gstyolometa.h), which
   * yolooverlay, yolojson and yolotrack read, so their output does not
   * depend on it; with GStreamer >= 1.26 the analytics mtd is the oriented
   * GstAnalyticsODMtd in both modes.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_OBB_ROI,
      g_param_spec_enum ("obb-roi", "Oriented box ROI",
          "Obb models: the ROI rectangle of a rotated box, DL Streamer's "
          "unrotated box + rotation (oriented) or the axis-aligned "
          "bounding box (axis-aligned)", GST_TYPE_YOLO_OBB_ROI,
          DEFAULT_OBB_ROI,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

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
   * latest detections. New caps (size, format or colorimetry) make the
   * next frame an inferred one: detections are never carried over to a
   * frame of another geometry. After a flush (seek) the next frame is
   * inferred too.
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

  /**
   * GstYoloDetect:input-size:
   *
   * Model input size as "HxW" (e.g. "480x640") or one number for a square,
   * for models exported with dynamic=True. Empty: the model's imgsz
   * metadata; a dynamic model without it needs this property. A fixed-size
   * model runs at its own size: an input-size that differs from it is an
   * error at start (export with another imgsz instead). Applies at the
   * next start, like model.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_INPUT_SIZE,
      g_param_spec_string ("input-size", "Input size",
          "Model input size HxW (e.g. 480x640) for dynamic-size models "
          "(empty = the model's imgsz); must match a fixed-size model",
          DEFAULT_INPUT_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  /**
   * GstYoloDetect:task:
   *
   * The loaded model's task, Ultralytics' name for it: "detect", "segment"
   * (boxes + a "mask" structure per object), "pose" (boxes + a "keypoints"
   * structure), "obb" (rotated boxes: "rotation" in the "detection"
   * structure, ROI rectangle by #GstYoloDetect:obb-roi) or "classify" (one full-frame ROI with a "classification"
   * structure, see #GstYoloDetect:top-k). From the model's task metadata,
   * else from its outputs ([1, nc]: classify, a second 4-D output: segment,
   * else detect). NULL until the element has started once. Read-only.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TASK,
      g_param_spec_string ("task", "Task",
          "Task of the loaded model: detect, segment, pose, obb or classify "
          "(NULL before the first start and after a failed one)", NULL,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstYoloDetect:top-k:
   *
   * Classify models: how many of the best classes the frame's
   * "classification" structure lists (0 = all). conf-threshold does not
   * apply to them; classes does. A change applies from the next frame.
   *
   * Since: 0.2
   */
  g_object_class_install_property (gobject_class, PROP_TOP_K,
      g_param_spec_int ("top-k", "Top k",
          "Classify models: number of best classes attached per frame "
          "(0 = all)", 0, G_MAXINT, DEFAULT_TOP_K,
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
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_yolo_detect_change_state);
  trans_class->passthrough_on_same_caps = FALSE;
  trans_class->transform_ip_on_passthrough = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_SCALE_MODE, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_MODEL_FAMILY, 0);
  gst_type_mark_as_plugin_api (GST_TYPE_YOLO_OBB_ROI, 0);
}

static void
gst_yolo_detect_init (GstYoloDetect * self)
{
  g_mutex_init (&self->shared_lock);
  self->conf_threshold = DEFAULT_CONF_THRESHOLD;
  self->iou_threshold = DEFAULT_IOU_THRESHOLD;
  self->max_detections = DEFAULT_MAX_DETECTIONS;
  self->scale_mode = DEFAULT_SCALE_MODE;
  self->model_family = DEFAULT_MODEL_FAMILY;
  self->top_k = DEFAULT_TOP_K;
  self->agnostic_nms = DEFAULT_AGNOSTIC_NMS;
  self->retina_masks = DEFAULT_RETINA_MASKS;
  self->obb_roi = DEFAULT_OBB_ROI;
  self->inference_interval = DEFAULT_INFERENCE_INTERVAL;
  self->batch_size = 1;
  self->batch_timeout = DEFAULT_BATCH_TIMEOUT;
  self->last = g_array_new (FALSE, FALSE, sizeof (StoredDetection));
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), FALSE);
}
