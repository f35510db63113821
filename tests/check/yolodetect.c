/* GStreamer YOLO plugin - yolodetect element tests
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Runs the real plugin (GST_PLUGIN_PATH) on the models and images of
 * $YOLO_TEST_DATA and compares with reference/detections.jsonl
 * (onnxruntime + reference_detect.py).
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include "gstyolometa.h"
#include "yolo-labels.h"

/* the "small" model used by the behaviour tests */
#define SMALL_MODEL "yolov8n-320.onnx"

typedef struct
{
  gint label_id;
  gdouble conf;
  gdouble box[4];               /* frame pixels */
  gchar *label;
} Det;

typedef struct
{
  gchar *model, *image;
  GArray *dets;                 /* Det */
} RefEntry;

static GPtrArray *references;   /* RefEntry* */
static GHashTable *images;      /* "name/format" -> GstSample */

/* ---- helpers ------------------------------------------------------------ */

static const gchar *
data_dir (void)
{
  return g_getenv ("YOLO_TEST_DATA");
}

static gchar *
data_path (const gchar * a, const gchar * b)
{
  return g_build_filename (data_dir (), a, b, NULL);
}

static gboolean
have_data (void)
{
  gchar *p;
  gboolean ok;

  if (!data_dir ())
    return FALSE;
  p = data_path ("reference", "detections.jsonl");
  ok = g_file_test (p, G_FILE_TEST_EXISTS);
  g_free (p);
  return ok;
}

static void
det_clear (gpointer p)
{
  g_free (((Det *) p)->label);
}

static GArray *
det_array_new (void)
{
  GArray *a = g_array_new (FALSE, TRUE, sizeof (Det));
  g_array_set_clear_func (a, det_clear);
  return a;
}

static gchar *
json_string (const gchar * line, const gchar * key)
{
  gchar *pat = g_strdup_printf ("\"%s\": \"", key);
  const gchar *p = strstr (line, pat), *e;
  gchar *r = NULL;

  if (p) {
    p += strlen (pat);
    e = strchr (p, '"');
    if (e)
      r = g_strndup (p, e - p);
  }
  g_free (pat);
  return r;
}

/* A tiny parser for reference_detect.py's fixed output format. */
static void
load_references (void)
{
  gchar *path, *contents = NULL;
  gchar **lines;

  references = g_ptr_array_new ();
  path = data_path ("reference", "detections.jsonl");
  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (gchar ** l = lines; *l; l++) {
    const gchar *p;
    RefEntry *e;
    if (!strstr (*l, "\"detections\""))
      continue;
    e = g_new0 (RefEntry, 1);
    e->model = json_string (*l, "model");
    e->image = json_string (*l, "image");
    e->dets = det_array_new ();
    p = strstr (*l, "\"detections\"");
    while ((p = strstr (p, "\"label_id\":"))) {
      Det d = { 0 };
      gchar *end;
      d.label_id = (gint) g_ascii_strtoll (p + 11, &end, 10);
      p = strstr (end, "\"confidence\":");
      fail_unless (p != NULL);
      d.conf = g_ascii_strtod (p + 13, &end);
      p = strstr (end, "\"box\": [");
      fail_unless (p != NULL);
      end = (gchar *) p + 8;
      for (int i = 0; i < 4; i++) {
        d.box[i] = g_ascii_strtod (end, &end);
        while (*end == ',' || *end == ' ')
          end++;
      }
      g_array_append_val (e->dets, d);
      p = end;
    }
    g_ptr_array_add (references, e);
  }
  g_strfreev (lines);
  g_free (contents);
  g_free (path);
}

static RefEntry *
find_reference (const gchar * model, const gchar * image)
{
  if (!references)
    load_references ();
  for (guint i = 0; i < references->len; i++) {
    RefEntry *e = g_ptr_array_index (references, i);
    if (!g_strcmp0 (e->model, model) && !g_strcmp0 (e->image, image))
      return e;
  }
  return NULL;
}

/* Decodes a media image once per chain (elements after jpegdec, ending in
 * raw video), cached. */
static GstSample *
get_image_chain (const gchar * name, const gchar * chain)
{
  gchar *key = g_strdup_printf ("%s/%s", name, chain);
  GstSample *s = g_hash_table_lookup (images, key);
  gchar *path, *desc;
  GstElement *pipe, *sink;

  if (s) {
    g_free (key);
    return s;
  }
  path = data_path ("media", name);
  desc = g_strdup_printf ("filesrc location=\"%s\" ! jpegdec ! %s ! "
      "appsink name=sink", path, chain);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  g_signal_emit_by_name (sink, "pull-preroll", &s);
  fail_unless (s != NULL, "could not decode %s", path);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_hash_table_insert (images, key, s);
  g_free (path);
  g_free (desc);
  return s;
}

/* Decodes a media image once per format, as reference_detect.py does. */
static GstSample *
get_image (const gchar * name, const gchar * format)
{
  gchar *chain = g_strdup_printf ("videoconvert ! video/x-raw,format=%s",
      format);
  GstSample *s = get_image_chain (name, chain);
  g_free (chain);
  return s;
}

static void
sample_size (GstSample * s, gint * w, gint * h)
{
  GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
  fail_unless (gst_structure_get_int (st, "width", w));
  fail_unless (gst_structure_get_int (st, "height", h));
}

static gint
det_cmp_conf (gconstpointer a, gconstpointer b)
{
  gdouble x = ((const Det *) a)->conf, y = ((const Det *) b)->conf;
  return x > y ? -1 : x < y ? 1 : 0;
}

/* Reads back every ROI meta, checking the "detection" structure. */
static GArray *
buffer_dets (GstBuffer * buf, gint w, gint h)
{
  GArray *dets = det_array_new ();
  gpointer state = NULL;
  GstMeta *meta;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    GstStructure *s = gst_video_region_of_interest_meta_get_param (roi,
        "detection");
    const gchar *label;
    Det d = { 0 };
    gdouble v[4];

    fail_unless (s != NULL, "ROI meta without a detection structure");
    label = gst_structure_get_string (s, "label");
    fail_unless (label != NULL);
    fail_unless_equals_string (label, g_quark_to_string (roi->roi_type));
    fail_unless (gst_structure_get_int (s, "label_id", &d.label_id));
    fail_unless (gst_structure_get_double (s, "confidence", &d.conf));
    fail_unless (d.conf > 0.0 && d.conf <= 1.0);
    fail_unless (gst_structure_get (s, "x_min", G_TYPE_DOUBLE, &v[0],
            "y_min", G_TYPE_DOUBLE, &v[1], "x_max", G_TYPE_DOUBLE, &v[2],
            "y_max", G_TYPE_DOUBLE, &v[3], NULL));
    for (int i = 0; i < 4; i++)
      fail_unless (v[i] >= 0.0 && v[i] <= 1.0);
    fail_unless (v[0] <= v[2] && v[1] <= v[3]);
    d.box[0] = v[0] * w;
    d.box[1] = v[1] * h;
    d.box[2] = v[2] * w;
    d.box[3] = v[3] * h;
    /* the ROI rectangle is the same box in whole pixels */
    fail_unless (fabs (roi->x - d.box[0]) <= 1.0);
    fail_unless (fabs (roi->y - d.box[1]) <= 1.0);
    fail_unless (fabs ((gdouble) roi->x + roi->w - d.box[2]) <= 1.0);
    fail_unless (fabs ((gdouble) roi->y + roi->h - d.box[3]) <= 1.0);
    d.label = g_strdup (label);
    g_array_append_val (dets, d);
  }
  /* metas iterate in reverse order of addition: sort by confidence */
  g_array_sort (dets, det_cmp_conf);
  return dets;
}

static GstHarness *
new_harness (const gchar * model, const gchar * extra)
{
  gchar *path = data_path ("models", model);
  gchar *desc = g_strdup_printf ("yolodetect model=\"%s\" %s", path,
      extra ? extra : "");
  GstHarness *h = gst_harness_new_parse (desc);
  g_free (path);
  g_free (desc);
  return h;
}

/* The yolodetect inside a harness (h->element is the parsed bin). */
static GstElement *
detect_of (GstHarness * h)
{
  GstElement *e = gst_harness_find_element (h, "yolodetect");
  fail_unless (e != NULL);
  gst_object_unref (e);         /* the bin keeps it alive */
  return e;
}

/* Pushes one image through h and returns its detections. */
static GArray *
run_image (GstHarness * h, GstSample * img)
{
  GstBuffer *out;
  GArray *dets;
  gint w, hh;

  sample_size (img, &w, &hh);
  gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (img)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_ref (gst_sample_get_buffer (img)));
  fail_unless (out != NULL);
  dets = buffer_dets (out, w, hh);
  gst_buffer_unref (out);
  return dets;
}

static gdouble
iou (const gdouble * a, const gdouble * b)
{
  gdouble xx1 = MAX (a[0], b[0]), yy1 = MAX (a[1], b[1]);
  gdouble xx2 = MIN (a[2], b[2]), yy2 = MIN (a[3], b[3]);
  gdouble inter = MAX (xx2 - xx1, 0) * MAX (yy2 - yy1, 0);
  gdouble u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
      - inter;
  return u > 0 ? inter / u : 0;
}

static gchar *
dets_str (GArray * d)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    g_string_append_printf (s, "\n  %d %.4f [%.1f %.1f %.1f %.1f]",
        x->label_id, x->conf, x->box[0], x->box[1], x->box[2], x->box[3]);
  }
  return g_string_free (s, FALSE);
}

/* Same objects: every confident detection on one side has a partner of the
 * same class on the other with IoU >= min_iou and |dconf| <= max_dconf.
 * Detections below `weak` on either side may be missing. */
static void
compare_dets (const gchar * what, GArray * got, GArray * ref,
    gdouble min_iou, gdouble max_dconf, gdouble weak)
{
  gboolean *used = g_new0 (gboolean, got->len + 1);
  gboolean *ref_used = g_new0 (gboolean, ref->len + 1);
  gchar *gs = dets_str (got), *rs = dets_str (ref);

  for (guint i = 0; i < ref->len; i++) {
    Det *r = &g_array_index (ref, Det, i);
    gint best = -1;
    gdouble best_iou = 0;
    for (guint j = 0; j < got->len; j++) {
      Det *g = &g_array_index (got, Det, j);
      gdouble v = iou (r->box, g->box);
      if (!used[j] && g->label_id == r->label_id && v > best_iou) {
        best = j;
        best_iou = v;
      }
    }
    if (best >= 0 && best_iou >= min_iou) {
      Det *g = &g_array_index (got, Det, best);
      used[best] = ref_used[i] = TRUE;
      GST_INFO ("%s: class %d conf %.4f IoU %.4f dconf %+.4f", what,
          r->label_id, r->conf, best_iou, g->conf - r->conf);
      fail_unless (fabs (g->conf - r->conf) <= max_dconf,
          "%s: class %d confidence %.4f, expected %.4f\ngot:%s\nexpected:%s",
          what, r->label_id, g->conf, r->conf, gs, rs);
    } else {
      fail_unless (r->conf < weak, "%s: missing class %d conf %.4f box "
          "[%.1f %.1f %.1f %.1f] (best IoU %.3f)\ngot:%s\nexpected:%s", what,
          r->label_id, r->conf, r->box[0], r->box[1], r->box[2], r->box[3],
          best_iou, gs, rs);
    }
  }
  for (guint j = 0; j < got->len; j++) {
    Det *g = &g_array_index (got, Det, j);
    fail_unless (used[j] || g->conf < weak, "%s: extra detection class %d "
        "conf %.4f\ngot:%s\nexpected:%s", what, g->label_id, g->conf, gs, rs);
  }
  g_free (used);
  g_free (ref_used);
  g_free (gs);
  g_free (rs);
}

static GstBuffer *
sample_buffer (GstSample * s)
{
  return gst_sample_get_buffer (s);
}

#define SKIP_WITHOUT_DATA() G_STMT_START {                          \
    if (!have_data ()) {                                            \
      GST_WARNING ("YOLO_TEST_DATA not set or incomplete: skipped"); \
      return;                                                       \
    }                                                               \
  } G_STMT_END

/* ---- tests --------------------------------------------------------------- */

/* YOLO_TEST_MODELS (comma-separated file names, e.g. "yolov8n-320.onnx")
 * limits test_reference_detections to those models, for slow runs under
 * valgrind; unset: every model. */
static gboolean
model_selected (const gchar * name)
{
  const gchar *sel = g_getenv ("YOLO_TEST_MODELS");
  gchar **names;
  gboolean found;

  if (!sel || !sel[0])
    return TRUE;
  names = g_strsplit (sel, ",", -1);
  found = g_strv_contains ((const gchar * const *) names, name);
  g_strfreev (names);
  return found;
}

/* Every fp32 model (or YOLO_TEST_MODELS), bus.jpg and zidane.jpg, default
 * properties. */
GST_START_TEST (test_reference_detections)
{
  gchar *dir_path;
  GDir *dir;
  const gchar *name;
  GPtrArray *models = g_ptr_array_new_with_free_func (g_free);
  const gchar *imgs[] = { "bus.jpg", "zidane.jpg" };

  SKIP_WITHOUT_DATA ();
  dir_path = data_path ("models", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".onnx") && model_selected (name))
      g_ptr_array_add (models, g_strdup (name));
  g_dir_close (dir);
  g_free (dir_path);
  fail_unless (models->len > 0);

  for (guint m = 0; m < models->len; m++) {
    const gchar *model = g_ptr_array_index (models, m);
    gboolean yolox = g_str_has_prefix (model, "yolox");
    GstHarness *h = new_harness (model, yolox ? "model-family=yolox" : NULL);
    gint64 t0 = g_get_monotonic_time ();

    for (guint i = 0; i < G_N_ELEMENTS (imgs); i++) {
      RefEntry *ref = find_reference (model, imgs[i]);
      gchar *what = g_strdup_printf ("%s on %s", model, imgs[i]);
      GArray *dets = run_image (h, get_image (imgs[i], "RGB"));
      if (ref)
        compare_dets (what, dets, ref->dets, 0.9, 0.02, 0.30);
      else
        GST_WARNING ("no reference for %s", what);
      g_array_unref (dets);
      g_free (what);
    }
    GST_INFO ("%s: %.2f s", model, (g_get_monotonic_time () - t0) / 1e6);
    gst_harness_teardown (h);
  }
  g_ptr_array_unref (models);
}

GST_END_TEST;

/* Every accepted format gives the same objects as its RGB equivalent:
 * packed RGB-like ones as the RGB image, YUV and grey ones as videoconvert's
 * RGB of that very frame (the promise of the pre-processing: identical
 * tensors, hence identical detections). Also the decoder's own I420,
 * scaled to odd and large sizes (the 3840x2160 bus.jpg). */
GST_START_TEST (test_formats)
{
  const gchar *formats[] = { "BGR", "RGBA", "BGRA", "RGBx", "BGRx", "NV12",
    "I420", "NV21", "YV12", "YUY2", "UYVY", "GRAY8"
  };
  const gchar *scaled[] = { "", "! videoscale ! video/x-raw,width=811,"
        "height=1081", "! videoscale ! video/x-raw,width=1279,height=719",
    "! videoscale ! video/x-raw,width=3840,height=2160"
  };
  GstHarness *h;
  GArray *rgb;

  SKIP_WITHOUT_DATA ();
  h = new_harness (SMALL_MODEL, NULL);
  rgb = run_image (h, get_image ("bus.jpg", "RGB"));
  fail_unless (rgb->len >= 4);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    gboolean packed_rgb = i < 5;
    gchar *what = g_strdup_printf ("bus.jpg as %s", formats[i]);
    GArray *d = run_image (h, get_image ("bus.jpg", formats[i]));
    if (packed_rgb) {
      compare_dets (what, d, rgb, 0.999, 1e-4, 0.0);
    } else {
      gchar *chain = g_strdup_printf ("videoconvert ! video/x-raw,format=%s"
          " ! videoconvert ! video/x-raw,format=RGB", formats[i]);
      GArray *e = run_image (h, get_image_chain ("bus.jpg", chain));
      compare_dets (what, d, e, 0.999, 1e-4, 0.0);
      /* and, in colour, the same objects as the decoder's RGB */
      if (!g_str_equal (formats[i], "GRAY8"))
        compare_dets (what, d, rgb, 0.9, 0.02, 0.30);
      g_array_unref (e);
      g_free (chain);
    }
    g_array_unref (d);
    g_free (what);
  }
  for (guint i = 0; i < G_N_ELEMENTS (scaled); i++) {
    const gchar *img = i % 2 ? "zidane.jpg" : "bus.jpg";
    gchar *chain = g_strdup_printf ("identity %s", scaled[i]);
    gchar *chain_rgb = g_strdup_printf ("%s ! videoconvert ! "
        "video/x-raw,format=RGB", chain);
    gchar *what = g_strdup_printf ("%s as I420 %s", img, scaled[i]);
    GstSample *s = get_image_chain (img, chain);
    GstStructure *st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
    GArray *d, *e;

    fail_unless_equals_string (gst_structure_get_string (st, "format"), "I420");
    d = run_image (h, s);
    e = run_image (h, get_image_chain (img, chain_rgb));
    fail_unless (e->len >= 2);
    compare_dets (what, d, e, 0.999, 1e-4, 0.0);
    g_array_unref (d);
    g_array_unref (e);
    g_free (what);
    g_free (chain);
    g_free (chain_rgb);
  }
  g_array_unref (rgb);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* The README's pipeline, `decodebin ! videoconvert ! yolodetect`, on
 * bus.jpg and zidane.jpg: I420 is negotiated (jpegdec's output passes
 * through), and every model (or YOLO_TEST_MODELS) meets the reference
 * detections with the same tolerance as RGB. */
GST_START_TEST (test_reference_detections_i420)
{
  gchar *dir_path;
  GDir *dir;
  const gchar *name;
  GPtrArray *models = g_ptr_array_new_with_free_func (g_free);
  const gchar *imgs[] = { "bus.jpg", "zidane.jpg" };

  SKIP_WITHOUT_DATA ();
  dir_path = data_path ("models", NULL);
  dir = g_dir_open (dir_path, 0, NULL);
  fail_unless (dir != NULL);
  while ((name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".onnx") && model_selected (name))
      g_ptr_array_add (models, g_strdup (name));
  g_dir_close (dir);
  g_free (dir_path);
  fail_unless (models->len > 0);

  for (guint m = 0; m < models->len; m++) {
    const gchar *model = g_ptr_array_index (models, m);
    gchar *model_path = data_path ("models", model);

    for (guint i = 0; i < G_N_ELEMENTS (imgs); i++) {
      RefEntry *ref = find_reference (model, imgs[i]);
      gchar *img_path = data_path ("media", imgs[i]);
      gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
          "videoconvert ! yolodetect model=\"%s\" %s ! appsink name=sink",
          img_path, model_path, g_str_has_prefix (model, "yolox") ?
          "model-family=yolox" : "");
      gchar *what = g_strdup_printf ("%s on %s (I420 pipeline)", model,
          imgs[i]);
      GstElement *pipe = gst_parse_launch (desc, NULL);
      GstElement *sink;
      GstSample *s = NULL;
      GstStructure *st;
      GArray *dets;
      gint w, hh;

      fail_unless (pipe != NULL);
      sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
      gst_element_set_state (pipe, GST_STATE_PLAYING);
      g_signal_emit_by_name (sink, "pull-preroll", &s);
      fail_unless (s != NULL, "%s: no frame", what);
      st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
      fail_unless_equals_string (gst_structure_get_string (st, "format"),
          "I420");
      sample_size (s, &w, &hh);
      dets = buffer_dets (gst_sample_get_buffer (s), w, hh);
      if (ref)
        compare_dets (what, dets, ref->dets, 0.9, 0.02, 0.30);
      else
        GST_WARNING ("no reference for %s", what);
      g_array_unref (dets);
      gst_sample_unref (s);
      gst_element_set_state (pipe, GST_STATE_NULL);
      gst_object_unref (sink);
      gst_object_unref (pipe);
      g_free (what);
      g_free (desc);
      g_free (img_path);
    }
    g_free (model_path);
  }
  g_ptr_array_unref (models);
}

GST_END_TEST;

/* Frames with padded strides and plane offsets (GstVideoMeta) give the
 * same detections as packed ones. */
static GstBuffer *
restride (GstSample * s, gint extra, gsize offset)
{
  GstVideoInfo info;
  GstVideoFrame in;
  GstBuffer *out;
  gsize offs[GST_VIDEO_MAX_PLANES] = { 0 }, total = offset;
  gint strides[GST_VIDEO_MAX_PLANES] = { 0 };
  GstMapInfo map;

  fail_unless (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
  fail_unless (gst_video_frame_map (&in, &info, sample_buffer (s),
          GST_MAP_READ));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&in); p++) {
    gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&in, p == 0 ? 0 : p);
    strides[p] = GST_VIDEO_FRAME_PLANE_STRIDE (&in, p) + extra;
    offs[p] = total;
    total += (gsize) strides[p] * rows + 64;
  }
  out = gst_buffer_new_allocate (NULL, total, NULL);
  fail_unless (gst_buffer_map (out, &map, GST_MAP_WRITE));
  memset (map.data, 0xAB, total);
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&in); p++) {
    gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&in, p == 0 ? 0 : p);
    gint row = MIN (GST_VIDEO_FRAME_PLANE_STRIDE (&in, p), strides[p]);
    for (gint y = 0; y < rows; y++)
      memcpy (map.data + offs[p] + (gsize) y * strides[p],
          (guint8 *) GST_VIDEO_FRAME_PLANE_DATA (&in, p) +
          (gsize) y * GST_VIDEO_FRAME_PLANE_STRIDE (&in, p), row);
  }
  gst_buffer_unmap (out, &map);
  gst_buffer_add_video_meta_full (out, GST_VIDEO_FRAME_FLAG_NONE,
      GST_VIDEO_INFO_FORMAT (&info), GST_VIDEO_INFO_WIDTH (&info),
      GST_VIDEO_INFO_HEIGHT (&info), GST_VIDEO_INFO_N_PLANES (&info), offs,
      strides);
  gst_video_frame_unmap (&in);
  return out;
}

GST_START_TEST (test_strides)
{
  const gchar *formats[] = { "RGB", "BGRx", "NV12", "I420" };
  GstHarness *h;

  SKIP_WITHOUT_DATA ();
  h = new_harness (SMALL_MODEL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++) {
    GstSample *s = get_image ("bus.jpg", formats[i]);
    GArray *packed = run_image (h, s);
    GstBuffer *buf = restride (s, 52, 4096 + 8), *out;
    gint w, hh;
    GArray *strided;
    gchar *what = g_strdup_printf ("strided %s", formats[i]);

    sample_size (s, &w, &hh);
    out = gst_harness_push_and_pull (h, buf);
    strided = buffer_dets (out, w, hh);
    compare_dets (what, strided, packed, 0.999, 1e-4, 0.0);
    fail_unless_equals_int (strided->len, packed->len);
    gst_buffer_unref (out);
    g_array_unref (strided);
    g_array_unref (packed);
    g_free (what);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A frame with a GstVideoCropMeta (videocrop, decoders with coded
 * padding, when downstream accepts the meta): the detections are those of
 * the visible region, the same as when the crop is copied out. */
GST_START_TEST (test_crop_meta)
{
  GstSample *s;
  GArray *d[2];
  gchar *path, *desc;

  SKIP_WITHOUT_DATA ();
  s = get_image ("bus.jpg", "RGB");
  path = data_path ("models", SMALL_MODEL);
  desc = g_strdup_printf ("videocrop left=300 top=200 right=10 bottom=30 ! "
      "yolodetect model=\"%s\"", path);
  for (guint k = 0; k < 2; k++) {
    GstHarness *h = gst_harness_new_parse (desc);
    GstBuffer *out;

    /* k = 1: downstream takes crop metas (as display sinks do) */
    if (k == 1) {
      gst_harness_add_propose_allocation_meta (h, GST_VIDEO_META_API_TYPE,
          NULL);
      gst_harness_add_propose_allocation_meta (h,
          GST_VIDEO_CROP_META_API_TYPE, NULL);
    }
    gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (s)));
    out = gst_harness_push_and_pull (h,
        gst_buffer_ref (gst_sample_get_buffer (s)));
    fail_unless (out != NULL);
    d[k] = buffer_dets (out, 500, 850);
    gst_buffer_unref (out);
    gst_harness_teardown (h);
  }
  fail_unless (d[0]->len > 0);
  compare_dets ("crop meta", d[1], d[0], 0.999, 1e-4, 0.0);
  fail_unless_equals_int (d[1]->len, d[0]->len);
  g_array_unref (d[0]);
  g_array_unref (d[1]);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* Labels, ids and ROI rectangles: checked in buffer_dets; here the labels
 * come from the model's names metadata. */
GST_START_TEST (test_meta)
{
  GstHarness *h;
  GArray *d;
  gboolean bus = FALSE, person = FALSE;

  SKIP_WITHOUT_DATA ();
  h = new_harness (SMALL_MODEL, NULL);
  d = run_image (h, get_image ("bus.jpg", "RGB"));
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    if (x->label_id == 5) {
      fail_unless_equals_string (x->label, "bus");
      bus = TRUE;
    } else if (x->label_id == 0) {
      fail_unless_equals_string (x->label, "person");
      person = TRUE;
    }
  }
  fail_unless (bus && person);
  g_array_unref (d);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* videoconvert/videoscale transform ROI metas with the video "scale"
 * transform, which drops their parameters in GStreamer 1.22: yolodetect's
 * tag-less companion meta (GstYoloDetectionsMeta, "roi-<id>" fields) must
 * get through with every detection structure, matching the ROI's label and
 * its (rescaled) rectangle. yolooverlay and yolojson read it. */
GST_START_TEST (test_meta_through_convert_scale)
{
  GstHarness *h;
  GstBuffer *out;
  GstSample *img;
  GstCustomMeta *cm;
  gpointer state = NULL;
  GstMeta *meta;
  gchar *path, *desc;
  guint n = 0;

  SKIP_WITHOUT_DATA ();
  img = get_image ("bus.jpg", "RGB");
  path = data_path ("models", SMALL_MODEL);
  desc = g_strdup_printf ("yolodetect model=\"%s\" ! videoconvert ! "
      "capsfilter caps=video/x-raw,format=BGRx ! videoscale ! "
      "capsfilter caps=video/x-raw,width=405,height=540", path);
  h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (img)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_ref (gst_sample_get_buffer (img)));
  fail_unless (out != NULL);
  cm = gst_buffer_get_custom_meta (out, "GstYoloDetectionsMeta");
  fail_unless (cm != NULL, "companion meta lost in videoconvert/videoscale");
  while ((meta = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    gchar key[32];
    const GValue *v;
    const GstStructure *d;
    gdouble x0, y0, x1, y1, conf;

    g_snprintf (key, sizeof (key), "roi-%d", roi->id);
    v = gst_structure_get_value (gst_custom_meta_get_structure (cm), key);
    fail_unless (v != NULL && GST_VALUE_HOLDS_STRUCTURE (v), "no %s", key);
    d = gst_value_get_structure (v);
    fail_unless (gst_structure_has_name (d, "detection"));
    fail_unless_equals_string (gst_structure_get_string (d, "label"),
        g_quark_to_string (roi->roi_type));
    fail_unless (gst_structure_get (d, "confidence", G_TYPE_DOUBLE, &conf,
            "x_min", G_TYPE_DOUBLE, &x0, "y_min", G_TYPE_DOUBLE, &y0,
            "x_max", G_TYPE_DOUBLE, &x1, "y_max", G_TYPE_DOUBLE, &y1, NULL));
    fail_unless (conf > 0.25 && conf <= 1.0);
    fail_unless (fabs (x0 * 405 - roi->x) <= 2.0 && fabs (y0 * 540 - roi->y)
        <= 2.0, "%s: %f,%f vs %u,%u", key, x0 * 405, y0 * 540, roi->x, roi->y);
    fail_unless (fabs (x1 * 405 - (roi->x + roi->w)) <= 2.0);
    fail_unless (fabs (y1 * 540 - (roi->y + roi->h)) <= 2.0);
    n++;
  }
  fail_unless (n >= 3);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* The warnings (message and details, one per line) a bare yolodetect with
 * model and labels-file posts when it starts; "" if none. */
static gchar *
start_warnings (const gchar * model, const gchar * labels_file)
{
  GstElement *e = gst_element_factory_make ("yolodetect", NULL);
  GstBus *bus = gst_bus_new ();
  GString *out = g_string_new (NULL);
  GstMessage *msg;
  gchar *path = data_path ("models", model);

  g_object_set (e, "model", path, "labels-file", labels_file, NULL);
  gst_element_set_bus (e, bus);
  fail_unless (gst_element_set_state (e, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;
    gchar *dbg = NULL;
    gst_message_parse_warning (msg, &err, &dbg);
    g_string_append_printf (out, "%s\n%s\n", err->message, dbg ? dbg : "");
    g_clear_error (&err);
    g_free (dbg);
    gst_message_unref (msg);
  }
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (path);
  return g_string_free (out, FALSE);
}

/* YOLOX has no names: labels-file, else the class number. */
GST_START_TEST (test_labels_file)
{
  gchar *names, *text;
  gchar *extra;
  GstHarness *h;
  GArray *d;

  SKIP_WITHOUT_DATA ();
  /* no names metadata, 80 classes: the COCO names */
  h = new_harness ("yolox-nano-416.onnx", "model-family=yolox");
  d = run_image (h, get_image ("zidane.jpg", "RGB"));
  fail_unless (d->len > 0);
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    fail_unless (x->label_id >= 0 && x->label_id < YOLO_COCO_N_CLASSES);
    fail_unless_equals_string (x->label, yolo_coco_names ()[x->label_id]);
  }
  g_array_unref (d);
  gst_harness_teardown (h);

  /* a labels file wins over the COCO default: one label per line, here
   * "class0".."class79" */
  {
    GString *txt = g_string_new (NULL);
    gint fd;

    for (guint i = 0; i < YOLO_COCO_N_CLASSES; i++)
      g_string_append_printf (txt, "class%u\n", i);
    fd = g_file_open_tmp ("yolodetect-labels-XXXXXX.txt", &names, NULL);
    fail_unless (fd >= 0);
    close (fd);
    fail_unless (g_file_set_contents (names, txt->str, -1, NULL));
    g_string_free (txt, TRUE);
  }
  extra = g_strdup_printf ("model-family=yolox labels-file=\"%s\"", names);
  h = new_harness ("yolox-nano-416.onnx", extra);
  d = run_image (h, get_image ("zidane.jpg", "RGB"));
  fail_unless (d->len > 0);
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    gchar *want = g_strdup_printf ("class%d", x->label_id);
    fail_unless_equals_string (x->label, want);
    g_free (want);
  }
  g_array_unref (d);
  gst_harness_teardown (h);
  /* a file with as many labels as classes: no warning */
  text = start_warnings ("yolox-nano-416.onnx", names);
  fail_unless_equals_string (text, "");
  g_free (text);
  /* a model with names metadata does not use the file: a warning says so */
  text = start_warnings (SMALL_MODEL, names);
  fail_unless (strstr (text, "is not used") && strstr (text, "80 classes"),
      "%s", text);
  g_free (text);
  /* fewer or more labels than classes: a warning naming the counts */
  fail_unless (g_file_set_contents (names, "human\nbike\n", -1, NULL));
  text = start_warnings ("yolox-nano-416.onnx", names);
  fail_unless (strstr (text, "has 2 labels for the 80 classes")
      && strstr (text, "classes 2 to 79"), "%s", text);
  g_free (text);
  {
    GString *txt = g_string_new (NULL);
    for (guint i = 0; i < 81; i++)
      g_string_append_printf (txt, "c%u\n", i);
    fail_unless (g_file_set_contents (names, txt->str, -1, NULL));
    g_string_free (txt, TRUE);
  }
  text = start_warnings ("yolox-nano-416.onnx", names);
  fail_unless (strstr (text, "has 81 labels for the 80 classes")
      && strstr (text, "after line 80"), "%s", text);
  g_free (text);
  g_unlink (names);
  g_free (names);
  g_free (extra);
}

GST_END_TEST;

/* The video passes through: data, timestamps and flags are kept. */
GST_START_TEST (test_passthrough)
{
  GstHarness *h;
  GstSample *s;
  GstBuffer *in, *out;
  GstMapInfo a, b;
  const GstBufferFlags flags = GST_BUFFER_FLAG_DISCONT |
      GST_BUFFER_FLAG_MARKER | GST_BUFFER_FLAG_DELTA_UNIT;

  SKIP_WITHOUT_DATA ();
  h = new_harness (SMALL_MODEL, NULL);
  s = get_image ("zidane.jpg", "I420");
  gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (s)));
  in = gst_buffer_copy (sample_buffer (s));
  GST_BUFFER_PTS (in) = 5 * GST_SECOND;
  GST_BUFFER_DTS (in) = 4 * GST_SECOND;
  GST_BUFFER_DURATION (in) = 40 * GST_MSECOND;
  GST_BUFFER_OFFSET (in) = 125;
  GST_BUFFER_FLAG_SET (in, flags);
  out = gst_harness_push_and_pull (h, gst_buffer_ref (in));
  fail_unless_equals_uint64 (GST_BUFFER_PTS (out), 5 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (out), 4 * GST_SECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DURATION (out), 40 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_OFFSET (out), 125);
  fail_unless ((GST_BUFFER_FLAGS (out) & flags) == flags);
  fail_unless (gst_buffer_get_n_meta (out,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) > 0);
  fail_unless (gst_buffer_map (in, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_uint64 (a.size, b.size);
  fail_unless (memcmp (a.data, b.data, a.size) == 0);
  gst_buffer_unmap (in, &a);
  gst_buffer_unmap (out, &b);
  gst_buffer_unref (in);
  gst_buffer_unref (out);
  gst_harness_teardown (h);
}

GST_END_TEST;

static gboolean
only_classes (GArray * d, gint a, gint b)
{
  for (guint i = 0; i < d->len; i++) {
    gint c = g_array_index (d, Det, i).label_id;
    if (c != a && c != b)
      return FALSE;
  }
  return TRUE;
}

static gboolean
has_class (GArray * d, gint c)
{
  for (guint i = 0; i < d->len; i++)
    if (g_array_index (d, Det, i).label_id == c)
      return TRUE;
  return FALSE;
}

GST_START_TEST (test_classes)
{
  GstHarness *h;
  GArray *d;
  GstSample *bus;
  gchar *kept;

  SKIP_WITHOUT_DATA ();
  bus = get_image ("bus.jpg", "RGB");
  h = new_harness (SMALL_MODEL, "classes=bus");
  d = run_image (h, bus);
  fail_unless (d->len >= 1 && only_classes (d, 5, 5));
  g_array_unref (d);

  /* changed while playing; ids and names mixed */
  g_object_set (detect_of (h), "classes", "0", NULL);
  d = run_image (h, bus);
  fail_unless (d->len >= 3 && only_classes (d, 0, 0));
  g_array_unref (d);

  g_object_set (detect_of (h), "classes", " person , 5 ", NULL);
  d = run_image (h, bus);
  fail_unless (only_classes (d, 0, 5) && has_class (d, 0) && has_class (d, 5));
  g_array_unref (d);

  g_object_set (detect_of (h), "classes", "", NULL);
  d = run_image (h, bus);
  fail_unless (has_class (d, 0) && has_class (d, 5));
  g_array_unref (d);

  /* a class that is not in the picture */
  g_object_set (detect_of (h), "classes", "giraffe", NULL);
  d = run_image (h, bus);
  fail_unless_equals_int (d->len, 0);
  g_array_unref (d);

  /* naming no class of the model keeps the previous filter (every class) */
  g_object_set (detect_of (h), "classes", "", NULL);
  d = run_image (h, bus);
  g_array_unref (d);
  g_object_set (detect_of (h), "classes", "okapi", NULL);
  d = run_image (h, bus);
  fail_unless (has_class (d, 0) && has_class (d, 5));
  g_array_unref (d);
  g_object_get (detect_of (h), "classes", &kept, NULL);
  fail_unless (kept == NULL || kept[0] == '\0', "classes reads '%s'", kept);
  g_free (kept);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* classes naming no class of the model: an error at start (a typo must
 * not silently drop every detection), a warning while running */
GST_START_TEST (test_classes_unknown)
{
  GstElement *e;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  gchar *path, *dbg = NULL;
  GstHarness *h;
  GArray *d;
  GstSample *img;
  const gchar *bad[] = { "persn", "person,carr", "80", "-1" };

  SKIP_WITHOUT_DATA ();
  path = data_path ("models", SMALL_MODEL);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    e = gst_element_factory_make ("yolodetect", NULL);
    bus = gst_bus_new ();
    g_object_set (e, "model", path, "classes", bad[i], NULL);
    gst_element_set_bus (e, bus);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL, "classes=%s: no error", bad[i]);
    gst_message_parse_error (msg, &err, &dbg);
    fail_unless (g_error_matches (err, GST_LIBRARY_ERROR,
            GST_LIBRARY_ERROR_SETTINGS), "classes=%s: %s", bad[i],
        err->message);
    fail_unless (strstr (err->message, "Unknown class") != NULL);
    /* the details say what is accepted */
    fail_unless (dbg && strstr (dbg, "0..79") && strstr (dbg, "person"),
        "%s", dbg);
    g_clear_error (&err);
    g_clear_pointer (&dbg, g_free);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
  }
  g_free (path);

  /* while running: a warning, the known classes still apply */
  img = get_image ("bus.jpg", "RGB");
  h = new_harness (SMALL_MODEL, NULL);
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  d = run_image (h, img);
  g_array_unref (d);
  g_object_set (detect_of (h), "classes", "bus,nosuchclass", NULL);
  d = run_image (h, img);
  fail_unless (d->len >= 1 && only_classes (d, 5, 5));
  g_array_unref (d);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for an unknown class");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "nosuchclass") != NULL);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_max_detections)
{
  GstHarness *h;
  GArray *all, *two;
  GstSample *bus;

  SKIP_WITHOUT_DATA ();
  bus = get_image ("bus.jpg", "RGB");
  h = new_harness (SMALL_MODEL, NULL);
  all = run_image (h, bus);
  fail_unless (all->len >= 3);
  g_object_set (detect_of (h), "max-detections", 2, NULL);
  two = run_image (h, bus);
  fail_unless_equals_int (two->len, 2);
  /* the best two */
  for (guint i = 0; i < 2; i++) {
    fail_unless_equals_int (g_array_index (two, Det, i).label_id,
        g_array_index (all, Det, i).label_id);
    fail_unless (fabs (g_array_index (two, Det, i).conf -
            g_array_index (all, Det, i).conf) < 1e-9);
  }
  g_array_unref (two);

  g_object_set (detect_of (h), "max-detections", 0, "conf-threshold", 0.8f,
      NULL);
  two = run_image (h, bus);
  fail_unless (two->len >= 1 && two->len < all->len);
  for (guint i = 0; i < two->len; i++)
    fail_unless (g_array_index (two, Det, i).conf > 0.8);
  g_array_unref (two);
  g_array_unref (all);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* A grey frame of the sample's size and format. */
static GstBuffer *
grey_like (GstSample * s, gint w, gint h)
{
  GstVideoInfo info;
  GstBuffer *b;

  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_RGB, w, h);
  b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (b, 0, 128, GST_VIDEO_INFO_SIZE (&info));
  return b;
}

static GstCaps *
rgb_caps (gint w, gint h)
{
  return gst_caps_new_simple ("video/x-raw", "format", G_TYPE_STRING, "RGB",
      "width", G_TYPE_INT, w, "height", G_TYPE_INT, h, "framerate",
      GST_TYPE_FRACTION, 30, 1, NULL);
}

/* the companion meta's "inferred" mark (for yolotrack); -1 if absent */
static gint
inferred_mark (GstBuffer * buf)
{
  GstCustomMeta *cm = gst_buffer_get_custom_meta (buf,
      "GstYoloDetectionsMeta");
  gboolean v;

  if (!cm || !gst_structure_get_boolean (gst_custom_meta_get_structure (cm),
          "inferred", &v))
    return -1;
  return v;
}

/* inference-interval=3: frames 1 and 2 get frame 0's detections, marked
 * as not inferred, frame 3 is inferred again (and marked so, also without
 * detections). */
GST_START_TEST (test_inference_interval)
{
  GstHarness *h;
  GstSample *bus;
  GstBuffer *out;
  GArray *d0, *d;
  gint w, hh;

  SKIP_WITHOUT_DATA ();
  bus = get_image ("bus.jpg", "RGB");
  sample_size (bus, &w, &hh);
  h = new_harness (SMALL_MODEL, "inference-interval=3");

  d0 = run_image (h, bus);      /* frame 0: inferred */
  fail_unless (d0->len >= 3);

  for (int f = 1; f <= 2; f++) {        /* frames 1, 2: kept */
    gst_harness_set_src_caps (h, rgb_caps (w, hh));
    out = gst_harness_push_and_pull (h, grey_like (bus, w, hh));
    d = buffer_dets (out, w, hh);
    compare_dets ("interval frame 1-2", d, d0, 0.999, 1e-9, 0.0);
    fail_unless_equals_int (d->len, d0->len);
    fail_unless_equals_int (inferred_mark (out), 0);
    g_array_unref (d);
    gst_buffer_unref (out);
  }

  /* frame 3: inferred on a grey frame: nothing */
  out = gst_harness_push_and_pull (h, grey_like (bus, w, hh));
  d = buffer_dets (out, w, hh);
  fail_unless_equals_int (d->len, 0);
  fail_unless_equals_int (inferred_mark (out), 1);
  g_array_unref (d);
  gst_buffer_unref (out);
  g_array_unref (d0);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_scale_mode_and_nms)
{
  GstHarness *h;
  GArray *d, *agn;
  GstSample *bus;

  SKIP_WITHOUT_DATA ();
  bus = get_image ("bus.jpg", "RGB");
  h = new_harness ("yolov8n-640.onnx", "scale-mode=stretch");
  d = run_image (h, bus);
  fail_unless (has_class (d, 5) && has_class (d, 0));
  g_array_unref (d);

  g_object_set (detect_of (h), "scale-mode", 0, "conf-threshold", 0.05f, NULL);
  d = run_image (h, bus);
  g_object_set (detect_of (h), "agnostic-nms", TRUE, NULL);
  agn = run_image (h, bus);
  fail_unless (agn->len <= d->len);
  /* agnostic: no two boxes overlap by more than the IoU threshold */
  for (guint i = 0; i < agn->len; i++)
    for (guint j = i + 1; j < agn->len; j++)
      fail_unless (iou (g_array_index (agn, Det, i).box,
              g_array_index (agn, Det, j).box) <= 0.7 + 1e-6);
  g_array_unref (d);
  g_array_unref (agn);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* ---- errors and lifecycle -------------------------------------------------- */

/* Sets up a standalone yolodetect, goes to PAUSED: must fail with an error
 * message in the given domain / code on the bus. */
static void
expect_start_error (const gchar * model, const gchar * device,
    const gchar * family, GQuark domain, gint code, const gchar * what)
{
  GstElement *e = gst_element_factory_make ("yolodetect", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (e != NULL);
  if (model)
    g_object_set (e, "model", model, NULL);
  if (device)
    g_object_set (e, "device", device, NULL);
  if (family)
    gst_util_set_object_arg (G_OBJECT (e), "model-family", family);
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", what);
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("%s: %s (%s)", what, err->message, dbg);
  fail_unless (err->domain == domain && err->code == code,
      "%s: unexpected error %s %d: %s", what, g_quark_to_string (err->domain),
      err->code, err->message);
  fail_unless (err->message && err->message[0]);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
}

/* A minimal ONNX protobuf, written by hand: one node of an op nobody
 * implements between an image input and a detection-shaped output. */
static void
pb_varint (GByteArray * b, guint64 v)
{
  guint8 c;
  while (v >= 0x80) {
    c = (guint8) ((v & 0x7f) | 0x80);
    g_byte_array_append (b, &c, 1);
    v >>= 7;
  }
  c = (guint8) v;
  g_byte_array_append (b, &c, 1);
}

static void
pb_int (GByteArray * b, guint field, guint64 v)
{
  pb_varint (b, (field << 3) | 0);
  pb_varint (b, v);
}

static void
pb_bytes (GByteArray * b, guint field, const void *data, gsize n)
{
  pb_varint (b, (field << 3) | 2);
  pb_varint (b, n);
  g_byte_array_append (b, data, n);
}

static void
pb_str (GByteArray * b, guint field, const gchar * s)
{
  pb_bytes (b, field, s, strlen (s));
}

/* appends message m as field (and frees it) */
static void
pb_msg (GByteArray * b, guint field, GByteArray * m)
{
  pb_bytes (b, field, m->data, m->len);
  g_byte_array_unref (m);
}

/* A float tensor's ValueInfoProto; dims <= 0 are symbolic (dim_param
 * "batch", "channels", "height", "width" by position). */
static GByteArray *
pb_value_info (const gchar * name, gint n, const gint64 * dims)
{
  static const gchar *params[] = { "batch", "channels", "height", "width" };
  GByteArray *shape = g_byte_array_new (), *tt = g_byte_array_new ();
  GByteArray *tp = g_byte_array_new (), *vi = g_byte_array_new ();
  for (gint i = 0; i < n; i++) {
    GByteArray *d = g_byte_array_new ();
    if (dims[i] > 0)
      pb_int (d, 1, dims[i]);   /* dim_value */
    else
      pb_str (d, 2, params[i % 4]);     /* dim_param */
    pb_msg (shape, 1, d);
  }
  pb_int (tt, 1, 1);            /* elem_type FLOAT */
  pb_msg (tt, 2, shape);
  pb_msg (tp, 1, tt);           /* tensor_type */
  pb_str (vi, 1, name);
  pb_msg (vi, 2, tp);
  return vi;
}

/* Writes the ModelProto (ir_version 8, opset 17) of graph to path, with
 * one metadata_props entry when key is not NULL. Frees graph. */
static void
pb_write_model (const gchar * path, GByteArray * graph, const gchar * key,
    const gchar * value)
{
  GByteArray *opset = g_byte_array_new (), *model = g_byte_array_new ();

  pb_int (model, 1, 8);         /* ir_version */
  pb_str (opset, 1, "");
  pb_int (opset, 2, 17);
  pb_msg (model, 8, opset);
  pb_msg (model, 7, graph);
  if (key) {
    GByteArray *kv = g_byte_array_new ();
    pb_str (kv, 1, key);
    pb_str (kv, 2, value);
    pb_msg (model, 14, kv);
  }
  fail_unless (g_file_set_contents (path, (const gchar *) model->data,
          model->len, NULL));
  g_byte_array_unref (model);
}

/* A model of one node op_type (named node) from "images" to "output0". */
static void
write_one_node_model (const gchar * path, const gchar * node_name,
    const gchar * op_type, gint in_n, const gint64 * in_dims, gint out_n,
    const gint64 * out_dims)
{
  GByteArray *node = g_byte_array_new (), *graph = g_byte_array_new ();

  pb_str (node, 1, "images");
  pb_str (node, 2, "output0");
  pb_str (node, 3, node_name);
  pb_str (node, 4, op_type);
  pb_msg (graph, 1, node);
  pb_str (graph, 2, "g");
  pb_msg (graph, 11, pb_value_info ("images", in_n, in_dims));
  pb_msg (graph, 12, pb_value_info ("output0", out_n, out_dims));
  pb_write_model (path, graph, NULL, NULL);
}

static void
write_unsupported_op_model (const gchar * path)
{
  static const gint64 in_dims[] = { 1, 3, 64, 64 }, out_dims[] = { 1, 84, 84 };

  write_one_node_model (path, "mystery", "NoSuchOperatorXyz", 4, in_dims, 3,
      out_dims);
}

/* No model property: the embedded default model (YOLOX-Nano, COCO), its
 * family and names found without any property; same detections as the same
 * file given explicitly. */
GST_START_TEST (test_default_model)
{
  GstHarness *h;
  GArray *d, *ref;
  guint people = 0;

  SKIP_WITHOUT_DATA ();
  h = gst_harness_new_parse ("yolodetect");
  d = run_image (h, get_image ("zidane.jpg", "RGB"));
  gst_harness_teardown (h);
  h = new_harness ("yolox-nano-416.onnx", "model-family=yolox");
  ref = run_image (h, get_image ("zidane.jpg", "RGB"));
  gst_harness_teardown (h);

  fail_unless_equals_int (d->len, ref->len);
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    Det *r = &g_array_index (ref, Det, i);
    fail_unless_equals_int (x->label_id, r->label_id);
    fail_unless_equals_string (x->label, r->label);
    fail_unless (fabs (x->conf - r->conf) < 1e-6);
    if (g_str_equal (x->label, "person") && x->conf > 0.5)
      people++;
  }
  /* zidane.jpg: two people */
  fail_unless_equals_int (people, 2);
  g_array_unref (d);
  g_array_unref (ref);
}

GST_END_TEST;

/* A valid one-node model (Relu) whose image input has `channels`
 * channels. */
static void
write_channels_model (const gchar * path, gint channels)
{
  const gint64 dims[] = { 1, channels, 64, 64 };

  write_one_node_model (path, "relu", "Relu", 4, dims, 4, dims);
}

/* Models whose input is not 3 channels (a grey-trained 1-channel model)
 * are refused at start with a message that names the channel count. */
GST_START_TEST (test_channels)
{
  for (gint c = 1; c <= 4; c += 3) {
    GstElement *e = gst_element_factory_make ("yolodetect", NULL);
    GstBus *bus = gst_bus_new ();
    GError *err = NULL;
    gchar *path, *want;
    GstMessage *msg;
    gint fd;

    fd = g_file_open_tmp ("yolodetect-XXXXXX.onnx", &path, &err);
    fail_unless (fd >= 0);
    close (fd);
    write_channels_model (path, c);
    g_object_set (e, "model", path, NULL);
    gst_util_set_object_arg (G_OBJECT (e), "model-family", "ultralytics");
    gst_element_set_bus (e, bus);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &err, NULL);
    want = g_strdup_printf ("takes %d-channel images", c);
    fail_unless (err->domain == GST_LIBRARY_ERROR
        && err->code == GST_LIBRARY_ERROR_SETTINGS, "%s", err->message);
    fail_unless (strstr (err->message, want) != NULL, "%s", err->message);
    fail_unless (strstr (err->message, "3-channel") != NULL);
    fail_unless (strstr (err->message, "not an image tensor") == NULL);
    g_clear_error (&err);
    g_free (want);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (bus);
    gst_object_unref (e);
    g_unlink (path);
    g_free (path);
  }
}

GST_END_TEST;

GST_START_TEST (test_errors)
{
  gchar *bad, *small, *yolox;
  GError *err = NULL;
  gint fd;

  /* missing file (no model at all runs the default model:
   * test_default_model) */
  expect_start_error ("/nonexistent/dir/model.onnx", NULL, NULL,
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "missing file");

  /* not an ONNX model */
  fd = g_file_open_tmp ("yolodetect-XXXXXX.onnx", &bad, &err);
  fail_unless (fd >= 0);
  fail_unless (g_file_set_contents (bad, "this is not a protobuf\n\1\2\3",
          -1, NULL));
  close (fd);
  expect_start_error (bad, NULL, NULL, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_INIT, "bad model");
  /* a valid ONNX file with an operator the engine lacks */
  write_unsupported_op_model (bad);
  expect_start_error (bad, NULL, NULL, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_INIT, "unsupported op");
  /* empty file */
  fail_unless (g_file_set_contents (bad, "", 0, NULL));
  expect_start_error (bad, NULL, NULL, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_OPEN_READ, "empty model");
  g_unlink (bad);
  g_free (bad);

  if (!have_data ())
    return;
  small = data_path ("models", SMALL_MODEL);
  expect_start_error (small, "nonexistent-device-xyz", NULL,
      GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT, "no device");
  /* a head that does not fit the model */
  expect_start_error (small, NULL, "yolox", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "wrong family");
  expect_start_error (small, NULL, "end2end", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "wrong family");
  /* transposed layouts are refused, not decoded into garbage */
  expect_start_error (small, NULL, "yolov5", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "ultralytics model as yolov5");
  yolox = data_path ("models", "yolov5n-640.onnx");
  expect_start_error (yolox, NULL, "ultralytics", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "yolov5 model as ultralytics");
  g_free (yolox);
  yolox = data_path ("models", "yolo26n-640.onnx");
  expect_start_error (yolox, NULL, "ultralytics", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "end2end model as ultralytics");
  g_free (yolox);
  yolox = data_path ("models", "yolox-nano-416.onnx");
  expect_start_error (yolox, NULL, "yolov5", GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS, "yolox model as yolov5");
  g_free (yolox);
  g_free (small);
}

GST_END_TEST;

/* NULL <-> PLAYING cycles of a full pipeline; caps with odd sizes. */
GST_START_TEST (test_state_cycles)
{
  gchar *path, *desc;
  GstElement *pipe;

  SKIP_WITHOUT_DATA ();
  path = data_path ("models", SMALL_MODEL);
  desc = g_strdup_printf ("videotestsrc num-buffers=3 pattern=ball ! "
      "video/x-raw,format=NV12,width=333,height=187 ! "
      "yolodetect model=\"%s\" ! fakesink", path);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  for (int i = 0; i < 3; i++) {
    GstBus *bus = gst_element_get_bus (pipe);
    GstMessage *msg;
    fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_timed_pop_filtered (bus, 300 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    fail_unless (msg != NULL && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
    gst_message_unref (msg);
    /* a READY round in between */
    gst_element_set_state (pipe, i == 1 ? GST_STATE_READY : GST_STATE_NULL);
    gst_object_unref (bus);
  }
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (pipe);
  g_free (path);
  g_free (desc);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("yolodetect", NULL);
  gfloat conf, iou_thr;
  gint maxd;
  guint interval;
  gboolean agn;
  gchar *model, *classes;

  fail_unless (e != NULL);
  g_object_get (e, "conf-threshold", &conf, "iou-threshold", &iou_thr,
      "max-detections", &maxd, "inference-interval", &interval,
      "agnostic-nms", &agn, "model", &model, "classes", &classes, NULL);
  fail_unless (fabs (conf - 0.25) < 1e-6);
  fail_unless (fabs (iou_thr - 0.7) < 1e-6);
  fail_unless_equals_int (maxd, 300);
  fail_unless_equals_int (interval, 1);
  fail_unless (!agn);
  fail_unless (model == NULL);
  fail_unless (classes == NULL);
  g_object_get (e, "input-size", &model, NULL);
  fail_unless (model == NULL);
  /* stopped: set directly, read back at once */
  g_object_set (e, "input-size", "480x640", NULL);
  g_object_get (e, "input-size", &model, NULL);
  fail_unless_equals_string (model, "480x640");
  g_free (model);
  gst_util_set_object_arg (G_OBJECT (e), "scale-mode", "stretch");
  gst_util_set_object_arg (G_OBJECT (e), "model-family", "yolov5");
  gst_object_unref (e);
}

GST_END_TEST;


/* ---- stream state, start-only properties, labels, model meaning ---------- */

/* A grey frame of the given format and size. */
static GstBuffer *
grey_frame (GstVideoFormat format, gint w, gint h, GstCaps ** caps)
{
  GstVideoInfo info;
  GstBuffer *b;

  gst_video_info_set_format (&info, format, w, h);
  b = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info), NULL);
  gst_buffer_memset (b, 0, 128, GST_VIDEO_INFO_SIZE (&info));
  if (caps)
    *caps = gst_video_info_to_caps (&info);
  return b;
}

/* Pushes a grey frame (after setting its caps) and returns its
 * detections. */
static GArray *
run_grey (GstHarness * h, GstVideoFormat format, gint w, gint hh)
{
  GstCaps *caps;
  GstBuffer *in = grey_frame (format, w, hh, &caps), *out;
  GArray *d;

  gst_caps_set_simple (caps, "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
  gst_harness_set_src_caps (h, caps);
  out = gst_harness_push_and_pull (h, in);
  fail_unless (out != NULL);
  d = buffer_dets (out, w, hh);
  gst_buffer_unref (out);
  return d;
}

/* The same detections (same order, classes, confidences, boxes). */
static void
assert_same_dets (const gchar * what, GArray * a, GArray * b)
{
  gchar *as = dets_str (a), *bs = dets_str (b);

  fail_unless_equals_int (a->len, b->len);
  for (guint i = 0; i < a->len; i++) {
    Det *x = &g_array_index (a, Det, i), *y = &g_array_index (b, Det, i);
    fail_unless (x->label_id == y->label_id && fabs (x->conf - y->conf) < 1e-6,
        "%s: detection %u differs\ngot:%s\nexpected:%s", what, i, as, bs);
    for (int k = 0; k < 4; k++)
      fail_unless (fabs (x->box[k] - y->box[k]) < 1e-3,
          "%s: box %u differs\ngot:%s\nexpected:%s", what, i, as, bs);
  }
  g_free (as);
  g_free (bs);
}

/* The detections of d that a filter keeps. */
static GArray *
filter_dets (GArray * d, gdouble conf, gint only_class, guint max)
{
  GArray *out = det_array_new ();
  for (guint i = 0; i < d->len; i++) {
    Det x = g_array_index (d, Det, i);
    if (x.conf <= conf || (only_class >= 0 && x.label_id != only_class))
      continue;
    if (max > 0 && out->len >= max)
      break;
    x.label = g_strdup (x.label);
    g_array_append_val (out, x);
  }
  return out;
}

/* Pops the next warning on bus (NULL if none); *text gets message and
 * details. */
static gboolean
pop_warning (GstBus * bus, gchar ** text)
{
  GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  GError *err = NULL;
  gchar *dbg = NULL;

  if (!msg)
    return FALSE;
  gst_message_parse_warning (msg, &err, &dbg);
  *text = g_strdup_printf ("%s\n%s", err->message, dbg ? dbg : "");
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  return TRUE;
}

/* A caps change (size or format) while inference is skipped: the next
 * frame is inferred, detections of the old geometry are never carried
 * over (rescaled) to it. */
GST_START_TEST (test_interval_caps_change)
{
  GstHarness *h;
  GstSample *bus;
  GArray *d0, *d;
  gint w, hh;

  SKIP_WITHOUT_DATA ();
  bus = get_image ("bus.jpg", "RGB");
  sample_size (bus, &w, &hh);
  h = new_harness (SMALL_MODEL, "inference-interval=100");

  d0 = run_image (h, bus);      /* inferred */
  fail_unless (d0->len >= 3);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);        /* kept */
  assert_same_dets ("same caps", d, d0);
  g_array_unref (d);

  /* half size: inferred on the grey frame, nothing */
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w / 2, hh / 2);
  fail_unless_equals_int (d->len, 0);
  g_array_unref (d);

  /* back to the bus at full size: inferred again, same objects */
  d = run_image (h, bus);
  assert_same_dets ("bus again", d, d0);
  g_array_unref (d);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);        /* kept */
  assert_same_dets ("kept again", d, d0);
  g_array_unref (d);

  /* format only (same size): inferred, nothing on grey */
  d = run_grey (h, GST_VIDEO_FORMAT_BGRx, w, hh);
  fail_unless_equals_int (d->len, 0);
  g_array_unref (d);
  g_array_unref (d0);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* conf-threshold, classes and max-detections changed between inferences
 * apply to the kept detections from the very next frame, exactly as an
 * inference with the new values would; classes naming no class keeps the
 * previous filter with a warning. */
GST_START_TEST (test_interval_property_changes)
{
  GstHarness *h, *h_low;
  GstSample *img;
  GstBus *gbus;
  GArray *all, *low, *d, *want;
  GstElement *e;
  gchar *text = NULL, *classes = NULL;
  gint w, hh;

  SKIP_WITHOUT_DATA ();
  img = get_image ("bus.jpg", "RGB");
  sample_size (img, &w, &hh);

  /* what an inference at conf-threshold 0.05 gives */
  h_low = new_harness (SMALL_MODEL, "conf-threshold=0.05");
  low = run_image (h_low, img);
  gst_harness_teardown (h_low);

  h = new_harness (SMALL_MODEL, "inference-interval=1000");
  e = detect_of (h);
  gbus = gst_bus_new ();
  gst_element_set_bus (h->element, gbus);
  all = run_image (h, img);     /* the only inference */
  fail_unless (all->len >= 4 && has_class (all, 0) && has_class (all, 5));
  fail_unless (low->len > all->len);

  /* higher threshold: a subset */
  g_object_set (e, "conf-threshold", 0.8f, NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  want = filter_dets (all, 0.8, -1, 0);
  fail_unless (want->len >= 1 && want->len < all->len);
  assert_same_dets ("conf 0.8", d, want);
  g_array_unref (d);
  g_array_unref (want);

  /* lower threshold than at the inference: what that inference gives */
  g_object_set (e, "conf-threshold", 0.05f, NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  assert_same_dets ("conf 0.05", d, low);
  g_array_unref (d);

  /* classes and max-detections */
  g_object_set (e, "conf-threshold", 0.25f, "classes", "person", NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  want = filter_dets (all, 0.25, 0, 0);
  fail_unless (want->len >= 2);
  assert_same_dets ("classes=person", d, want);
  g_array_unref (d);
  g_array_unref (want);

  g_object_set (e, "max-detections", 1, NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  want = filter_dets (all, 0.25, 0, 1);
  assert_same_dets ("max-detections=1", d, want);
  g_array_unref (d);
  g_array_unref (want);
  fail_if (pop_warning (gbus, &text), "unexpected warning: %s", text);

  /* no valid class: the previous filter stays, with a warning */
  g_object_set (e, "max-detections", 0, "classes", "okapi,99", NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  want = filter_dets (all, 0.25, 0, 0);
  assert_same_dets ("classes=okapi", d, want);
  g_array_unref (d);
  g_array_unref (want);
  fail_unless (pop_warning (gbus, &text), "no warning for classes=okapi");
  fail_unless (strstr (text, "okapi") && strstr (text, "previous filter")
      && strstr (text, "person"), "%s", text);
  g_free (text);
  g_object_get (e, "classes", &classes, NULL);
  fail_unless_equals_string (classes, "person");
  g_free (classes);

  /* back to every class */
  g_object_set (e, "classes", "", NULL);
  d = run_grey (h, GST_VIDEO_FORMAT_RGB, w, hh);
  assert_same_dets ("classes=''", d, all);
  g_array_unref (d);

  g_array_unref (all);
  g_array_unref (low);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (gbus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* model, device, labels-file, model-family and input-size set while
 * running: a warning, the loaded value reads back until the next start. */
GST_START_TEST (test_start_only_properties)
{
  const gchar *props[] = { "model", "device", "labels-file", "input-size" };
  GstHarness *h;
  GstElement *e;
  GstBus *gbus;
  GstSample *img;
  GArray *d;
  gchar *small, *other, *v = NULL, *text = NULL;
  gint fam;

  SKIP_WITHOUT_DATA ();
  small = data_path ("models", SMALL_MODEL);
  other = data_path ("models", "yolov8n-640.onnx");
  img = get_image ("bus.jpg", "RGB");
  h = new_harness (SMALL_MODEL, NULL);
  e = detect_of (h);
  gbus = gst_bus_new ();
  gst_element_set_bus (h->element, gbus);
  d = run_image (h, img);
  g_array_unref (d);

  /* the same value as loaded: nothing to say */
  g_object_set (e, "model", small, NULL);
  fail_if (pop_warning (gbus, &text), "%s", text);

  for (guint i = 0; i < G_N_ELEMENTS (props); i++) {
    g_object_set (e, props[i], g_str_equal (props[i], "model") ? other :
        g_str_equal (props[i], "input-size") ? "640x640" : "whatever", NULL);
    fail_unless (pop_warning (gbus, &text), "no warning for %s", props[i]);
    fail_unless (strstr (text, props[i]) && strstr (text, "next start"),
        "%s", text);
    g_free (text);
  }
  gst_util_set_object_arg (G_OBJECT (e), "model-family", "yolox");
  fail_unless (pop_warning (gbus, &text));
  fail_unless (strstr (text, "model-family"), "%s", text);
  g_free (text);

  /* the loaded values read back, and still run */
  g_object_get (e, "model", &v, NULL);
  fail_unless_equals_string (v, small);
  g_free (v);
  g_object_get (e, "device", &v, NULL);
  fail_unless (v == NULL);
  g_object_get (e, "labels-file", &v, NULL);
  fail_unless (v == NULL);
  g_object_get (e, "input-size", &v, NULL);
  fail_unless (v == NULL);
  g_object_get (e, "model-family", &fam, NULL);
  fail_unless_equals_int (fam, 0);
  d = run_image (h, img);
  fail_unless (has_class (d, 5));
  g_array_unref (d);

  /* stopped: the new values apply and read back */
  fail_unless (gst_element_set_state (e, GST_STATE_NULL) ==
      GST_STATE_CHANGE_SUCCESS);
  g_object_get (e, "model", &v, NULL);
  fail_unless_equals_string (v, other);
  g_free (v);
  g_object_get (e, "input-size", &v, NULL);
  fail_unless_equals_string (v, "640x640");
  g_free (v);
  g_object_get (e, "model-family", &fam, NULL);
  fail_unless_equals_int (fam, 4);
  /* set while stopped: no warning */
  g_object_set (e, "model", small, NULL);
  g_object_get (e, "model", &v, NULL);
  fail_unless_equals_string (v, small);
  g_free (v);
  fail_if (pop_warning (gbus, &text), "%s", text);

  gst_element_set_bus (h->element, NULL);
  gst_object_unref (gbus);
  gst_harness_teardown (h);
  g_free (small);
  g_free (other);
}

GST_END_TEST;

static gchar *
write_temp (const gchar * tmpl, const gchar * contents, gssize len)
{
  GError *err = NULL;
  gchar *path;
  gint fd = g_file_open_tmp (tmpl, &path, &err);

  fail_unless (fd >= 0, "%s", err ? err->message : "");
  close (fd);
  fail_unless (g_file_set_contents (path, contents, len, NULL));
  return path;
}

/* Labels files as people write them: a UTF-8 BOM, CRLF (or CR) line ends,
 * spaces around labels, blank lines at the end. */
GST_START_TEST (test_labels_file_formats)
{
  gchar *coco_path, *coco, **lines, *path, *extra;
  const gchar *eol[] = { "\r\n", "\r", "\n" };
  GString *f;
  GstHarness *h;
  GArray *d;

  SKIP_WITHOUT_DATA ();
  coco_path = data_path ("models", "coco.names");
  fail_unless (g_file_get_contents (coco_path, &coco, NULL, NULL));
  lines = g_strsplit (g_strchomp (coco), "\n", -1);
  fail_unless_equals_int (g_strv_length (lines), 80);

  for (guint k = 0; k < G_N_ELEMENTS (eol); k++) {
    /* BOM, spaces around labels, the line ends, blank lines and spaces at
     * the end */
    f = g_string_new ("\xef\xbb\xbf");
    for (guint i = 0; lines[i]; i++)
      g_string_append_printf (f, "%s%s%s%s", i % 2 ? "  " : "", lines[i],
          i % 3 ? " \t" : "", eol[k]);
    g_string_append_printf (f, "%s  %s%s", eol[k], eol[k], eol[k]);
    path = write_temp ("yolodetect-labels-XXXXXX.txt", f->str, f->len);
    g_string_free (f, TRUE);

    extra = g_strdup_printf ("model-family=yolox labels-file=\"%s\" "
        "classes=person", path);
    h = new_harness ("yolox-nano-416.onnx", extra);
    d = run_image (h, get_image ("zidane.jpg", "RGB"));
    fail_unless (d->len >= 1);
    for (guint i = 0; i < d->len; i++) {
      Det *x = &g_array_index (d, Det, i);
      fail_unless_equals_int (x->label_id, 0);
      fail_unless_equals_string (x->label, "person");
    }
    g_array_unref (d);
    /* the last label, spaces stripped, is a valid class name too */
    g_object_set (detect_of (h), "classes", "toothbrush,tie", NULL);
    d = run_image (h, get_image ("zidane.jpg", "RGB"));
    fail_unless (d->len >= 1);
    for (guint i = 0; i < d->len; i++)
      fail_unless_equals_string (g_array_index (d, Det, i).label, "tie");
    g_array_unref (d);
    gst_harness_teardown (h);
    g_unlink (path);
    g_free (path);
    g_free (extra);
  }

  /* not UTF-8: an error that says so; a device (read without end before)
   * or a directory: an error saying it is not a regular file; a missing
   * file: GLib's reason. The main message names the file and the reason
   * (not only the details) */
  path = write_temp ("yolodetect-labels-XXXXXX.txt",
      "person\nbicycle\n\xff\xfe car\n", -1);
  for (guint k = 0; k < 4; k++) {
    const gchar *bad[] = { path, "/dev/zero", "/tmp",
      "/nonexistent-dir/labels.txt"
    };
    const gchar *want[] = { "line 3", "not a regular file",
      "not a regular file", g_strerror (ENOENT)
    };
    GstElement *e = gst_element_factory_make ("yolodetect", NULL);
    GstBus *gbus = gst_bus_new ();
    GstMessage *msg;
    GError *err = NULL;
    gchar *model = data_path ("models", "yolox-nano-416.onnx");

    g_object_set (e, "model", model, "labels-file", bad[k], NULL);
    gst_util_set_object_arg (G_OBJECT (e), "model-family", "yolox");
    gst_element_set_bus (e, gbus);
    fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
        GST_STATE_CHANGE_FAILURE);
    msg = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR);
    fail_unless (msg != NULL);
    gst_message_parse_error (msg, &err, NULL);
    fail_unless (strstr (err->message, want[k]) && (k > 0
            || strstr (err->message, "UTF-8")), "%s", err->message);
    fail_unless (strstr (err->message, bad[k]) != NULL, "%s", err->message);
    fail_unless (k < 3 || g_error_matches (err, GST_RESOURCE_ERROR,
            GST_RESOURCE_ERROR_NOT_FOUND), "%s", err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
    gst_element_set_state (e, GST_STATE_NULL);
    gst_element_set_bus (e, NULL);
    gst_object_unref (gbus);
    gst_object_unref (e);
    g_free (model);
  }
  g_unlink (path);
  g_free (path);
  g_strfreev (lines);
  g_free (coco);
  g_free (coco_path);
}

GST_END_TEST;

/* A model-family forced onto a model it does not fit decodes nonsense
 * (YOLO26's class id read as a class score: confidence 4.5): none of it is
 * attached, and a warning says why. */
GST_START_TEST (test_values_within_meaning)
{
  GstHarness *h;
  GstBus *gbus;
  GArray *d;
  gchar *text = NULL;

  SKIP_WITHOUT_DATA ();
  h = new_harness ("yolo26n-640.onnx", "model-family=yolov5");
  gbus = gst_bus_new ();
  gst_element_set_bus (h->element, gbus);
  /* buffer_dets checks 0 < confidence <= 1 and boxes within the frame */
  d = run_image (h, get_image ("bus.jpg", "RGB"));
  for (guint i = 0; i < d->len; i++) {
    Det *x = &g_array_index (d, Det, i);
    fail_unless (x->label_id >= 0 && x->label_id < 80);
    fail_unless (isfinite (x->conf) && x->conf >= 0.0 && x->conf <= 1.0);
  }
  g_array_unref (d);
  fail_unless (pop_warning (gbus, &text), "no warning for invalid values");
  fail_unless (strstr (text, "outside [0, 1]") && strstr (text,
          "model-family"), "%s", text);
  g_free (text);
  /* said once, not per frame */
  d = run_image (h, get_image ("bus.jpg", "RGB"));
  g_array_unref (d);
  fail_if (pop_warning (gbus, &text), "%s", text);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (gbus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static GByteArray *
pb_tensor (const gchar * name, gint n, const gint64 * dims, gint dtype,
    const void *raw, gsize raw_len)
{
  GByteArray *t = g_byte_array_new ();
  for (gint i = 0; i < n; i++)
    pb_int (t, 1, dims[i]);     /* dims */
  pb_int (t, 2, dtype);         /* data_type */
  pb_str (t, 8, name);
  pb_bytes (t, 9, raw, raw_len);        /* raw_data */
  return t;
}

static GByteArray *
pb_node (const gchar * op, const gchar * a, const gchar * b, const gchar * out)
{
  GByteArray *n = g_byte_array_new ();
  pb_str (n, 1, a);
  pb_str (n, 1, b);
  pb_str (n, 2, out);
  pb_str (n, 3, out);
  pb_str (n, 4, op);
  return n;
}

#define VALUES_N 2048

/* A 64x64 "detector" whose output [1, 4+2, 2048] is a constant (the image
 * times 0, reshaped, plus C): Ultralytics layout, names metadata with one
 * class. C holds one sound candidate and candidates with an infinite, NaN
 * or > 1 score, a NaN box and a class the names do not have. */
static void
write_values_model (const gchar * path)
{
  static const gint64 in_dims[] = { 1, 3, 64, 64 };
  static const gint64 out_dims[] = { 1, 6, VALUES_N };
  static const gint64 one = 1, three = 3;
  const gint64 shape[] = { 1, 6, VALUES_N };
  const float zero = 0.0f;
  float *c = g_new0 (float, 6 * VALUES_N);
  GByteArray *graph = g_byte_array_new ();
  /* cx, cy, w, h, score class 0, score class 1 */
  const float cand[][6] = {
    {20, 20, 10, 10, 0.9f, 0},  /* sound */
    {40, 40, 10, 10, INFINITY, 0},
    {10, 40, 8, 8, 5.0f, 0},
    {NAN, 30, 10, 10, 0.8f, 0},
    {50, 10, 6, 6, 0, 0.95f},   /* class 1: not in names */
    {30, 50, 4, 4, NAN, 0},
    {50, 50, 4, 4, -INFINITY, 0},
  };

  for (guint i = 0; i < G_N_ELEMENTS (cand); i++)
    for (guint r = 0; r < 6; r++)
      c[r * VALUES_N + i] = cand[i][r];

  pb_msg (graph, 1, pb_node ("Mul", "images", "zero", "x"));
  pb_msg (graph, 1, pb_node ("Reshape", "x", "shape", "r"));
  pb_msg (graph, 1, pb_node ("Add", "r", "c", "output0"));
  pb_str (graph, 2, "g");
  pb_msg (graph, 5, pb_tensor ("zero", 1, &one, 1, &zero, sizeof zero));
  pb_msg (graph, 5, pb_tensor ("shape", 1, &three, 7, shape, sizeof shape));
  pb_msg (graph, 5, pb_tensor ("c", 3, out_dims, 1, c,
          6 * VALUES_N * sizeof (float)));
  pb_msg (graph, 11, pb_value_info ("images", 4, in_dims));
  pb_msg (graph, 12, pb_value_info ("output0", 3, out_dims));
  pb_write_model (path, graph, "names", "{0: 'thing'}");
  g_free (c);
}

/* Whatever the network outputs, only finite boxes with a confidence in
 * [0, 1] and a class of the model are attached. */
GST_START_TEST (test_values_nonfinite)
{
  gchar *path, *desc, *text = NULL;
  GstHarness *h;
  GstBus *gbus;
  GArray *d;
  Det *x;

  path = write_temp ("yolodetect-values-XXXXXX.onnx", "", 0);
  write_values_model (path);
  desc = g_strdup_printf ("yolodetect model=\"%s\"", path);
  h = gst_harness_new_parse (desc);
  gbus = gst_bus_new ();
  gst_element_set_bus (h->element, gbus);
  for (int f = 0; f < 2; f++) {
    d = run_grey (h, GST_VIDEO_FORMAT_RGB, 64, 64);
    fail_unless_equals_int (d->len, 1);
    x = &g_array_index (d, Det, 0);
    fail_unless_equals_int (x->label_id, 0);
    fail_unless_equals_string (x->label, "thing");
    fail_unless (fabs (x->conf - 0.9) < 1e-6);
    fail_unless (fabs (x->box[0] - 15) < 0.01 && fabs (x->box[1] - 15) < 0.01
        && fabs (x->box[2] - 25) < 0.01 && fabs (x->box[3] - 25) < 0.01);
    g_array_unref (d);
    /* one warning, at the first frame */
    if (f == 0) {
      fail_unless (pop_warning (gbus, &text), "no warning");
      /* the decoder already drops the non-finite candidates (the NaN
       * score, the NaN box); the element drops the rest and says so */
      fail_unless (strstr (text, "2 detections"), "%s", text);
      g_free (text);
    } else {
      fail_if (pop_warning (gbus, &text), "%s", text);
    }
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (gbus);
  gst_harness_teardown (h);
  g_unlink (path);
  g_free (path);
  g_free (desc);
}

GST_END_TEST;

/* Starts a yolodetect with "name=value" properties; it must fail with an
 * error in domain/code. Returns "message\ndetails". */
static gchar *
start_error (const gchar * model, const gchar * const *props, GQuark domain,
    gint code)
{
  GstElement *e = gst_element_factory_make ("yolodetect", NULL);
  GstBus *gbus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL, *text;

  g_object_set (e, "model", model, NULL);
  for (guint i = 0; props && props[i]; i += 2)
    gst_util_set_object_arg (G_OBJECT (e), props[i], props[i + 1]);
  gst_element_set_bus (e, gbus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error", model);
  gst_message_parse_error (msg, &err, &dbg);
  text = g_strdup_printf ("%s\n%s", err->message, dbg ? dbg : "");
  GST_INFO ("%s: %s", model, text);
  fail_unless (err->domain == domain && err->code == code,
      "%s: unexpected error %s %d: %s", model, g_quark_to_string (err->domain),
      err->code, text);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (gbus);
  gst_object_unref (e);
  return text;
}

/* A classes value with empty entries (",,,", "bus,", blanks) is an error
 * at start like an unknown class; while running it keeps the previous
 * filter (nothing named) or applies the named classes, with a warning. */
GST_START_TEST (test_classes_empty_entries)
{
  const gchar *all_empty[] = { ",,,", " ", " , ," };
  const gchar *some_empty[] = { "bus,", "person,,car", ",bus" };
  gchar *path, *text, *kept = NULL;
  GstHarness *h;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  GArray *d;
  GstSample *img;

  SKIP_WITHOUT_DATA ();
  path = data_path ("models", SMALL_MODEL);
  for (guint i = 0; i < G_N_ELEMENTS (all_empty) * 2; i++) {
    gboolean some = i >= G_N_ELEMENTS (all_empty);
    const gchar *v = some ? some_empty[i - G_N_ELEMENTS (all_empty)] :
        all_empty[i];
    const gchar *props[] = { "classes", v, NULL };

    text = start_error (path, props, GST_LIBRARY_ERROR,
        GST_LIBRARY_ERROR_SETTINGS);
    fail_unless (g_str_has_prefix (text, "Invalid classes '")
        && strstr (text, v) && strstr (text, some ? "empty entry" :
            "names no class") && strstr (text, "0..79"), "%s", text);
    g_free (text);
  }
  g_free (path);

  img = get_image ("bus.jpg", "RGB");
  h = new_harness (SMALL_MODEL, "classes=bus");
  bus = gst_bus_new ();
  gst_element_set_bus (h->element, bus);
  d = run_image (h, img);
  fail_unless (d->len >= 1 && only_classes (d, 5, 5));
  g_array_unref (d);
  /* nothing named: the previous filter stays, and reads back */
  g_object_set (detect_of (h), "classes", ",,", NULL);
  d = run_image (h, img);
  fail_unless (d->len >= 1 && only_classes (d, 5, 5));
  g_array_unref (d);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for classes=,,");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "names no class") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  g_object_get (detect_of (h), "classes", &kept, NULL);
  fail_unless_equals_string (kept, "bus");
  g_free (kept);
  /* a class and an empty entry: the class applies, with a warning */
  g_object_set (detect_of (h), "classes", "person,", NULL);
  d = run_image (h, img);
  fail_unless (d->len >= 1 && only_classes (d, 0, 0));
  g_array_unref (d);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for classes=person,");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "Empty entry") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Two streams batched on one model instance (batch-size=2, the longest
 * batch-timeout, 60 s): when one ends, the other's frames run at once
 * instead of each waiting 60 s for a partner that will not come. */
GST_START_TEST (test_batch_stream_ends)
{
  gchar *path, *desc;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  gint64 t0;

  SKIP_WITHOUT_DATA ();
  path = data_path ("models", SMALL_MODEL);
  desc = g_strdup_printf ("videotestsrc num-buffers=2 ! video/x-raw,width=160,"
      "height=120 ! yolodetect model=\"%s\" model-instance-id=ends "
      "batch-size=2 batch-timeout=60000 ! fakesink videotestsrc "
      "num-buffers=5 ! video/x-raw,width=160,height=120 ! yolodetect "
      "model=\"%s\" model-instance-id=ends batch-size=2 batch-timeout=60000 "
      "! fakesink", path, path);
  pipe = gst_parse_launch (desc, NULL);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  t0 = g_get_monotonic_time ();
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 50 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no EOS after %.0f s: the stream left waits "
      "for its ended partner", (g_get_monotonic_time () - t0) / 1e6);
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* zoo model path, NULL (test skipped) if absent */
static gchar *
zoo_model (const gchar * name)
{
  gchar *p = g_build_filename (data_dir ()? data_dir () : "", "models", "zoo",
      name, NULL);
  if (!data_dir () || !g_file_test (p, G_FILE_TEST_EXISTS)) {
    GST_WARNING ("%s not found: skipped", p);
    g_free (p);
    return NULL;
  }
  return p;
}

/* The task metas on real frames: a pose model's ROIs carry 17 keypoints
 * (also in the companion meta), kept on the frames between inferences; a
 * classify model gives one full-frame ROI whose top-k follows top-k, also
 * changed while playing. (Their values against onnxruntime: tasks-*.) */
GST_START_TEST (test_task_metas)
{
  GstSample *img;
  gchar *path;
  gint w, hh;

  if (!have_data () || !(img = get_image ("bus.jpg", "RGB")))
    return;
  sample_size (img, &w, &hh);
  if ((path = zoo_model ("yolo11n-pose.onnx"))) {
    gchar *desc = g_strdup_printf ("yolodetect model=\"%s\" "
        "inference-interval=2", path);
    GstHarness *h = gst_harness_new_parse (desc);
    gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (img)));
    for (guint f = 0; f < 2; f++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          gst_buffer_ref (gst_sample_get_buffer (img)));
      GstVideoRegionOfInterestMeta *roi;
      gpointer state = NULL;
      guint n_roi = 0;

      while ((roi = (GstVideoRegionOfInterestMeta *)
              gst_buffer_iterate_meta_filtered (out, &state,
                  GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
        GstStructure *k = gst_video_region_of_interest_meta_get_param (roi,
            "keypoints");
        gfloat *kp;
        guint n = 0;
        fail_unless (k != NULL);
        fail_unless_equals_string (gst_structure_get_string (k, "format"),
            "keypoints");
        fail_unless (gst_yolo_meta_find_named_params (out, roi,
                "keypoints") == k);
        kp = gst_yolo_meta_get_keypoints (out, roi, w, hh, &n);
        fail_unless_equals_int (n, 17);
        for (guint i = 0; i < n; i++) {
          fail_unless (kp[3 * i] >= 0 && kp[3 * i] <= w + 0.01);
          fail_unless (kp[3 * i + 1] >= 0 && kp[3 * i + 1] <= hh + 0.01);
          fail_unless (kp[3 * i + 2] >= 0 && kp[3 * i + 2] <= 1);
        }
        g_free (kp);
        n_roi++;
      }
      fail_unless (n_roi > 0, "frame %u", f);
      /* frame 1 repeats frame 0's inference: marked so, as detections */
      fail_unless_equals_int (gst_yolo_meta_is_inferred (out), f == 0);
      gst_buffer_unref (out);
    }
    {
      gchar *task = NULL;
      g_object_get (detect_of (h), "task", &task, NULL);
      fail_unless_equals_string (task, "pose");
      g_free (task);
    }
    gst_harness_teardown (h);
    g_free (desc);
    g_free (path);
  }
  if ((path = zoo_model ("yolo11n-cls.onnx"))) {
    gchar *desc = g_strdup_printf ("yolodetect model=\"%s\" top-k=3", path);
    GstHarness *h = gst_harness_new_parse (desc);
    gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (img)));
    for (guint f = 0; f < 2; f++) {
      GstBuffer *out = gst_harness_push_and_pull (h,
          gst_buffer_ref (gst_sample_get_buffer (img)));
      GstVideoRegionOfInterestMeta *roi;
      GstStructure *c;
      const GValue *ids, *confs;

      fail_unless_equals_int (gst_buffer_get_n_meta (out,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE), 1);
      roi = gst_buffer_get_video_region_of_interest_meta (out);
      fail_unless (gst_video_region_of_interest_meta_get_param (roi,
              "detection") == NULL);
      fail_unless (roi->x == 0 && roi->y == 0 && (gint) roi->w == w
          && (gint) roi->h == hh);
      c = gst_video_region_of_interest_meta_get_param (roi, "classification");
      fail_unless (c != NULL);
      ids = gst_structure_get_value (c, "label_ids");
      confs = gst_structure_get_value (c, "confidences");
      fail_unless_equals_int (gst_value_array_get_size (ids), f ? 2 : 3);
      for (guint i = 1; i < gst_value_array_get_size (confs); i++)
        fail_unless (g_value_get_double (gst_value_array_get_value (confs,
                    i)) <= g_value_get_double (gst_value_array_get_value
                (confs, i - 1)));
      gst_buffer_unref (out);
      g_object_set (detect_of (h), "top-k", 2, NULL);
    }
    gst_harness_teardown (h);
    g_free (desc);
    g_free (path);
  }
}

GST_END_TEST;

/* Checks the oriented ROIs of out (a w x hh frame) against their rotated
 * boxes under obb-roi mode (gstyolometa.h): oriented, DL Streamer's
 * unrotated box clipped to the frame, whose corners turned by "rotation"
 * about its centre (gvawatermark) are the rotated box's wherever it lies
 * in the frame; axis-aligned, the rotated box's bounding box. Returns the
 * number of ROIs; *n_inside counts the oriented ones inside the frame
 * and *n_apart those whose two rectangles differ by > 4 px. */
static guint
check_obb_rois (GstBuffer * out, gint w, gint hh, const gchar * mode,
    guint * n_inside, guint * n_apart)
{
  gboolean oriented = g_str_equal (mode, "oriented");
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  guint n = 0;

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstStructure *det = gst_video_region_of_interest_meta_get_param (roi,
        "detection");
    gdouble rb[5], v[4], c, s, ex, ey, hx, hy, e[4];
    gint x1, y1, x2, y2;

    fail_unless (det != NULL);
    fail_unless (gst_yolo_meta_get_rotated_box (det, w, hh, rb));
    fail_unless (rb[4] >= 0 && rb[4] < G_PI && rb[2] >= rb[3], "%f", rb[4]);
    c = cos (rb[4]);
    s = sin (rb[4]);
    hx = fabs (rb[2] / 2 * c) + fabs (rb[3] / 2 * s);
    hy = fabs (rb[2] / 2 * s) + fabs (rb[3] / 2 * c);
    ex = oriented ? rb[2] / 2 : hx;
    ey = oriented ? rb[3] / 2 : hy;
    /* the ROI rectangle and x_min..: that box, clipped to the frame */
    e[0] = CLAMP (rb[0] - ex, 0, w);
    e[1] = CLAMP (rb[1] - ey, 0, hh);
    e[2] = CLAMP (rb[0] + ex, 0, w);
    e[3] = CLAMP (rb[1] + ey, 0, hh);
    x1 = (gint) floor (e[0] + 0.5);
    y1 = (gint) floor (e[1] + 0.5);
    x2 = (gint) floor (e[2] + 0.5);
    y2 = (gint) floor (e[3] + 0.5);
    fail_unless (ABS ((gint) roi->x - x1) <= 1 && ABS ((gint) roi->y - y1) <= 1
        && ABS ((gint) (roi->x + roi->w) - x2) <= 1
        && ABS ((gint) (roi->y + roi->h) - y2) <= 1,
        "%s: ROI %u,%u %ux%u, box %f,%f %fx%f r %f", mode, roi->x, roi->y,
        roi->w, roi->h, rb[0], rb[1], rb[2], rb[3], rb[4]);
    fail_unless (gst_structure_get (det, "x_min", G_TYPE_DOUBLE, &v[0],
            "y_min", G_TYPE_DOUBLE, &v[1], "x_max", G_TYPE_DOUBLE, &v[2],
            "y_max", G_TYPE_DOUBLE, &v[3], NULL));
    for (guint i = 0; i < 4; i++)
      fail_unless (fabs (v[i] * (i % 2 ? hh : w) - e[i]) < 0.01, "%s %u: %f",
          mode, i, v[i]);
    if (oriented && rb[0] - ex >= 0 && rb[1] - ey >= 0 && rb[0] + ex <= w
        && rb[1] + ey <= hh) {
      /* DL Streamer's reading: the ROI's centre and sides, turned */
      gdouble rx = roi->x + roi->w / 2.0, ry = roi->y + roi->h / 2.0;
      for (gint k = 0; k < 4; k++) {
        gdouble px = (k & 1 ? 0.5 : -0.5), py = (k & 2 ? 0.5 : -0.5);
        gdouble gx = rx + px * roi->w * c - py * roi->h * s;
        gdouble gy = ry + px * roi->w * s + py * roi->h * c;
        gdouble wx = rb[0] + px * rb[2] * c - py * rb[3] * s;
        gdouble wy = rb[1] + px * rb[2] * s + py * rb[3] * c;
        fail_unless (hypot (gx - wx, gy - wy) <= 1.5, "corner %d off by %f",
            k, hypot (gx - wx, gy - wy));
      }
      (*n_inside)++;
    }
    if (fabs (rb[2] / 2 - hx) > 4 || fabs (rb[3] / 2 - hy) > 4)
      (*n_apart)++;
    n++;
  }
  return n;
}

/* An obb model on a real frame: the ROI rectangles follow obb-roi (the
 * default, DL Streamer's oriented ROI, then axis-aligned set while
 * playing), the rotated boxes do not; the geometry against the rotated
 * box's corners (the values against onnxruntime: tasks-yolo11n-obb). */
GST_START_TEST (test_obb_roi)
{
  const gchar *modes[2] = { "oriented", "axis-aligned" };
  GstSample *img;
  gchar *path, *desc;
  GstHarness *h;
  GstBuffer *out[2];
  GParamSpec *ps;
  GValue def = G_VALUE_INIT;

  if (!have_data () || !(path = zoo_model ("yolo11n-obb.onnx")))
    return;
  if (!(img = get_image ("bus.jpg", "RGB"))) {
    g_free (path);
    return;
  }
  desc = g_strdup_printf ("yolodetect model=\"%s\" conf-threshold=0.05", path);
  h = gst_harness_new_parse (desc);
  gst_harness_set_src_caps (h, gst_caps_ref (gst_sample_get_caps (img)));
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (detect_of (h)),
      "obb-roi");
  fail_unless (ps != NULL);
  g_value_init (&def, ps->value_type);
  g_param_value_set_default (ps, &def);
  fail_unless_equals_string (g_enum_get_value (g_type_class_peek
          (ps->value_type), g_value_get_enum (&def))->value_nick, "oriented");
  g_value_unset (&def);
  for (guint m = 0; m < 2; m++) {
    guint n, n_inside = 0, n_apart = 0;
    gint w, hh;

    if (m)
      gst_util_set_object_arg (G_OBJECT (detect_of (h)), "obb-roi", modes[m]);
    out[m] = gst_harness_push_and_pull (h,
        gst_buffer_ref (gst_sample_get_buffer (img)));
    sample_size (img, &w, &hh);
    n = check_obb_rois (out[m], w, hh, modes[m], &n_inside, &n_apart);
    GST_INFO ("%s: %u ROIs, %u inside, %u apart", modes[m], n, n_inside,
        n_apart);
    fail_unless (n >= 10, "%u", n);
    /* the test means something: turned boxes, in and across the frame */
    fail_unless (n_apart >= 5, "%u", n_apart);
    if (m == 0)
      fail_unless (n_inside >= 5 && n_inside < n, "%u of %u", n_inside, n);
  }
  /* the same rotated boxes either way */
  {
    guint n[2] = { 0, 0 };
    GstVideoRegionOfInterestMeta *roi;
    GArray *rbs = g_array_new (FALSE, FALSE, sizeof (gdouble));

    for (guint m = 0; m < 2; m++) {
      gpointer state = NULL;
      while ((roi = (GstVideoRegionOfInterestMeta *)
              gst_buffer_iterate_meta_filtered (out[m], &state,
                  GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
        gdouble rb[5];
        fail_unless (gst_yolo_meta_get_rotated_box
            (gst_yolo_meta_find_params (out[m], roi), 0, 0, rb));
        if (m == 0)
          g_array_append_vals (rbs, rb, 5);
        else
          for (guint i = 0; i < 5; i++)
            fail_unless (n[1] * 5 + i < rbs->len
                && g_array_index (rbs, gdouble, n[1] * 5 + i) == rb[i]);
        n[m]++;
      }
    }
    fail_unless_equals_int (n[0], n[1]);
    g_array_unref (rbs);
  }
  {
    gint v = -1;
    g_object_get (detect_of (h), "obb-roi", &v, NULL);
    fail_unless_equals_int (v, 1);      /* axis-aligned, as set */
  }
  gst_buffer_unref (out[0]);
  gst_buffer_unref (out[1]);
  gst_harness_teardown (h);
  g_free (desc);
  g_free (path);
}

GST_END_TEST;

/* task reads the loaded model's task; after a failed start (no model
 * loaded) NULL, not the previous model's */
GST_START_TEST (test_task_after_failed_start)
{
  GstElement *e;
  gchar *path, *task = NULL;
  GstBus *bus = gst_bus_new ();

  if (!(path = zoo_model ("yolo11n-pose.onnx")))
    return;
  e = gst_element_factory_make ("yolodetect", NULL);
  gst_element_set_bus (e, bus);
  g_object_set (e, "model", path, NULL);
  fail_unless (gst_element_set_state (e, GST_STATE_PAUSED) !=
      GST_STATE_CHANGE_FAILURE);
  g_object_get (e, "task", &task, NULL);
  fail_unless_equals_string (task, "pose");
  g_free (task);
  gst_element_set_state (e, GST_STATE_NULL);
  g_object_set (e, "model", "/nonexistent/model.onnx", NULL);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  g_object_get (e, "task", &task, NULL);
  fail_unless (task == NULL, "task '%s' after a failed start", task);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (path);
}

GST_END_TEST;

/* Pose, segmentation, OBB and classification exports start with
 * model-family=auto (segment and obb: unless the engine lacks their
 * operators, then the load error names the operator, its node and the
 * task), and are refused with a forced model-family, naming the task;
 * nms=True and batch=2 exports run. */
GST_START_TEST (test_task_and_export_errors)
{
  static const struct
  {
    const gchar *file, *task;
  } tasks[] = {
    {"yolo11n-pose.onnx", "pose"}, {"yolo11n-cls.onnx", "classify"},
    {"yolo11n-seg.onnx", "segment"}, {"yolo11n-obb.onnx", "obb"},
  };
  const gchar *forced[] = { "model-family", "ultralytics", NULL };
  gchar *path, *want;

  for (guint i = 0; i < G_N_ELEMENTS (tasks); i++) {
    if (!(path = zoo_model (tasks[i].file)))
      continue;
    want = g_strdup_printf ("task=%s", tasks[i].task);
    for (guint f = 0; f < 2; f++) {
      GstElement *probe = NULL;
      GstBus *gbus = gst_bus_new ();
      GstMessage *msg;
      GError *err = NULL;
      gchar *dbg = NULL;
      GstStateChangeReturn ret;

      probe = gst_element_factory_make ("yolodetect", NULL);
      g_object_set (probe, "model", path, NULL);
      if (f)
        gst_util_set_object_arg (G_OBJECT (probe), forced[0], forced[1]);
      gst_element_set_bus (probe, gbus);
      ret = gst_element_set_state (probe, GST_STATE_PAUSED);
      msg = gst_bus_pop_filtered (gbus, GST_MESSAGE_ERROR);
      if (!f && ret != GST_STATE_CHANGE_FAILURE) {
        /* runs: the task property names it */
        gchar *task = NULL;
        fail_unless (msg == NULL);
        g_object_get (probe, "task", &task, NULL);
        fail_unless_equals_string (task, tasks[i].task);
        g_free (task);
      } else {
        fail_unless_equals_int (ret, GST_STATE_CHANGE_FAILURE);
        fail_unless (msg != NULL);
        gst_message_parse_error (msg, &err, &dbg);
        GST_INFO ("%s: %s (%s)", tasks[i].file, err->message, dbg);
        fail_unless (err->domain == GST_LIBRARY_ERROR);
        fail_unless (strstr (err->message, want) != NULL, "%s: %s",
            tasks[i].file, err->message);
        fail_unless (strstr (err->message, "detect") != NULL);
        if (err->code == GST_LIBRARY_ERROR_INIT) {
          /* refused by the loader for an operator (seg, obb) */
          fail_unless (strstr (err->message, "unsupported operator")
              && strstr (err->message, "node"), "%s", err->message);
        } else {
          fail_unless (f);
          fail_unless_equals_int (err->code, GST_LIBRARY_ERROR_SETTINGS);
          fail_unless (strstr (err->message, "model-family") != NULL);
        }
        g_clear_error (&err);
        g_free (dbg);
      }
      if (msg)
        gst_message_unref (msg);
      gst_element_set_state (probe, GST_STATE_NULL);
      gst_element_set_bus (probe, NULL);
      gst_object_unref (gbus);
      gst_object_unref (probe);
    }
    g_free (want);
    g_free (path);
  }

  /* nms=True (the graph's NMS tail replaced by the engine's) and batch=2
   * (run at batch 1) exports run; their detections against onnxruntime:
   * tests/check/test_nms_element.py, tests/parity/test_exports.py */
  if ((path = zoo_model ("yolo11n-nms.onnx"))) {
    GstHarness *h = new_harness ("zoo/yolo11n-nms.onnx", NULL);
    GArray *d = run_image (h, get_image ("bus.jpg", "RGB"));
    fail_unless (d->len > 0 && d->len <= 300, "%u detections", d->len);
    g_array_unref (d);
    gst_harness_teardown (h);
    g_free (path);
  }
  if ((path = zoo_model ("yolo11n-batch2.onnx"))) {
    GstHarness *h = new_harness ("zoo/yolo11n-batch2.onnx", NULL);
    GArray *d = run_image (h, get_image ("bus.jpg", "RGB"));
    g_array_unref (d);
    gst_harness_teardown (h);
    g_free (path);
  }
}

GST_END_TEST;

/* [1,3,H,W] (H, W symbolic, no imgsz metadata) -> an op nobody has. */
static void
write_dynamic_model (const gchar * path)
{
  static const gint64 in_dims[] = { 1, 3, -1, -1 }, out_dims[] = { 1, 84, 84 };

  write_one_node_model (path, "mystery", "NoSuchOperatorXyz", 4, in_dims, 3,
      out_dims);
}

/* input-size: parsed, passed to dynamic models, an error where a fixed
 * model has another size; a dynamic model without a size says to set it. */
GST_START_TEST (test_input_size)
{
  const gchar *bad_syntax[] = { "input-size", "640x", NULL };
  const gchar *bad_fixed[] = { "input-size", "640x640", NULL };
  const gchar *size64[] = { "input-size", "64x64", NULL };
  const gchar *size100[] = { "input-size", "100x100", NULL };
  gchar *path, *text, *dyn;
  GstHarness *h;
  GArray *d;

  /* dynamic H/W, no imgsz: say which property sets the size */
  dyn = write_temp ("yolodetect-dynamic-XXXXXX.onnx", "", 0);
  write_dynamic_model (dyn);
  text = start_error (dyn, NULL, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_SETTINGS);
  fail_unless (strstr (text, "input-size") && strstr (text, "dynamic"),
      "%s", text);
  g_free (text);
  /* with a size it goes on to the (unsupported) operator */
  text = start_error (dyn, size64, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT);
  fail_unless (strstr (text, "NoSuchOperatorXyz") != NULL, "%s", text);
  g_free (text);
  g_unlink (dyn);
  g_free (dyn);

  SKIP_WITHOUT_DATA ();
  path = data_path ("models", SMALL_MODEL);
  text = start_error (path, bad_syntax, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS);
  fail_unless (strstr (text, "Invalid input-size") != NULL, "%s", text);
  g_free (text);
  text = start_error (path, bad_fixed, GST_LIBRARY_ERROR,
      GST_LIBRARY_ERROR_SETTINGS);
  fail_unless (strstr (text, "fixed input size of 320x320")
      && strstr (text, "imgsz"), "%s", text);
  g_free (text);
  g_free (path);
  /* the model's own size is fine */
  h = new_harness (SMALL_MODEL, "input-size=320");
  d = run_image (h, get_image ("bus.jpg", "RGB"));
  fail_unless (has_class (d, 5));
  g_array_unref (d);
  gst_harness_teardown (h);

  if (!(path = zoo_model ("yolo11n-dynamic.onnx")))
    return;
  /* a size the model's strides do not divide fails, naming input-size */
  text = start_error (path, size100, GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT);
  fail_unless (strstr (text, "input-size=100x100") != NULL, "%s", text);
  g_free (text);
  g_free (path);
  /* and a non-square one runs */
  h = new_harness ("zoo/yolo11n-dynamic.onnx", "input-size=256x320");
  d = run_image (h, get_image ("bus.jpg", "RGB"));
  g_array_unref (d);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
yolodetect_suite (void)
{
  Suite *s = suite_create ("yolodetect");
  TCase *tc = tcase_create ("general");

  images = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      (GDestroyNotify) gst_sample_unref);
  tcase_set_timeout (tc, 900);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_errors);
  tcase_add_test (tc, test_default_model);
  tcase_add_test (tc, test_channels);
  tcase_add_test (tc, test_reference_detections);
  tcase_add_test (tc, test_reference_detections_i420);
  tcase_add_test (tc, test_formats);
  tcase_add_test (tc, test_strides);
  tcase_add_test (tc, test_crop_meta);
  tcase_add_test (tc, test_meta);
  tcase_add_test (tc, test_meta_through_convert_scale);
  tcase_add_test (tc, test_labels_file);
  tcase_add_test (tc, test_passthrough);
  tcase_add_test (tc, test_classes);
  tcase_add_test (tc, test_classes_unknown);
  tcase_add_test (tc, test_max_detections);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_scale_mode_and_nms);
  tcase_add_test (tc, test_state_cycles);
  tcase_add_test (tc, test_interval_caps_change);
  tcase_add_test (tc, test_interval_property_changes);
  tcase_add_test (tc, test_start_only_properties);
  tcase_add_test (tc, test_labels_file_formats);
  tcase_add_test (tc, test_values_within_meaning);
  tcase_add_test (tc, test_values_nonfinite);
  tcase_add_test (tc, test_task_and_export_errors);
  tcase_add_test (tc, test_task_metas);
  tcase_add_test (tc, test_obb_roi);
  tcase_add_test (tc, test_task_after_failed_start);
  tcase_add_test (tc, test_input_size);
  tcase_add_test (tc, test_classes_empty_entries);
  tcase_add_test (tc, test_batch_stream_ends);
  return s;
}

GST_CHECK_MAIN (yolodetect);
