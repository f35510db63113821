/* GStreamer
 * Copyright (C) 2026 gst-yolo contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2 of the License, or (at your option) any later version.
 */
/* yolodetect's segmentation masks (yolo11n-seg, the real plugin):
 * retina-masks=false (default, Ultralytics' retina_masks=False) stores
 * masks at the network input's resolution, retina-masks=true at frame
 * resolution; the two agree once resampled onto the ROI
 * (gst_yolo_meta_get_roi_mask), yolooverlay draws about as much from
 * both, and a frame's masks stay within the 64 MiB budget on a 3840x5120
 * frame at conf-threshold=0.01 (300 detections). */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "gstyolometa.h"

#define MODEL "yolo11n-seg.onnx"
#define BUDGET (64u << 20)

static gchar *
data_path (const gchar * a, const gchar * b)
{
  return g_build_filename (g_getenv ("YOLO_TEST_DATA"), a, b, NULL);
}

static gboolean
have_model (void)
{
  gchar *p;
  gboolean ok;

  if (!g_getenv ("YOLO_TEST_DATA"))
    return FALSE;
  p = data_path ("models", "zoo/" MODEL);
  ok = g_file_test (p, G_FILE_TEST_EXISTS);
  g_free (p);
  return ok;
}

#define SKIP_WITHOUT_MODEL() G_STMT_START {                       \
    if (!have_model ()) {                                         \
      GST_WARNING ("YOLO_TEST_DATA or " MODEL " missing: skipped"); \
      return;                                                     \
    }                                                             \
  } G_STMT_END

/* media/NAME decoded to fmt at w x h */
static GstSample *
get_image_fmt (const gchar * name, const gchar * fmt, gint w, gint h)
{
  gchar *path = data_path ("media", name);
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! jpegdec ! "
      "videoconvert ! videoscale ! video/x-raw,format=%s,width=%d,"
      "height=%d ! appsink name=s", path, fmt, w, h);
  GstElement *p = gst_parse_launch (desc, NULL);
  GstElement *s;
  GstSample *sample = NULL;

  fail_unless (p != NULL);
  s = gst_bin_get_by_name (GST_BIN (p), "s");
  gst_element_set_state (p, GST_STATE_PLAYING);
  g_signal_emit_by_name (s, "pull-sample", &sample);
  fail_unless (sample != NULL);
  gst_element_set_state (p, GST_STATE_NULL);
  gst_object_unref (s);
  gst_object_unref (p);
  g_free (path);
  g_free (desc);
  return sample;
}

#define get_image(name, w, h) get_image_fmt (name, "RGB", w, h)

/* img through "yolodetect model=MODEL extra ! tail"; the output buffer */
static GstBuffer *
run (GstSample * img, const gchar * extra, const gchar * tail, gchar ** warn)
{
  gchar *path = data_path ("models", "zoo/" MODEL);
  gchar *desc = g_strdup_printf ("yolodetect model=\"%s\" %s%s%s", path,
      extra, tail ? " ! " : "", tail ? tail : "");
  GstHarness *h = gst_harness_new_parse (desc);
  GstBus *bus = gst_bus_new ();
  GstBuffer *out;
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps (h, gst_caps_copy (gst_sample_get_caps (img)));
  out = gst_harness_push_and_pull (h,
      gst_buffer_copy_deep (gst_sample_get_buffer (img)));
  fail_unless (out != NULL);
  if (warn)
    *warn = NULL;
  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING))) {
    GError *err = NULL;
    gst_message_parse_warning (msg, &err, NULL);
    if (warn && !*warn)
      *warn = g_strdup (err->message);
    g_clear_error (&err);
    gst_message_unref (msg);
  }
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  g_free (path);
  g_free (desc);
  return out;
}

typedef struct
{
  gint n, n_frame_res, n_smaller;
  guint64 bytes;
} MaskStats;

/* Walks out's ROI masks: every ROI has one, none larger than its ROI; with
 * in_w x in_h (the letterboxed image inside the input) > 0, every one at
 * exactly the ROI scaled by in_w / frame_w (rounded, >= 1) */
static MaskStats
mask_stats (GstBuffer * out, gint fw, gint fh, gint in_w, gint in_h)
{
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  MaskStats st = { 0, };

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    guint mw, mh;
    GBytes *m = gst_yolo_meta_get_mask (out, roi, &mw, &mh);

    fail_unless (m != NULL, "ROI %d has no mask", roi->id);
    fail_unless (mw <= MAX (roi->w, 1) && mh <= MAX (roi->h, 1),
        "mask %ux%u over a %ux%u ROI", mw, mh, roi->w, roi->h);
    if (in_w > 0) {
      guint ew = CLAMP ((gint) floor ((double) roi->w * in_w / fw + 0.5), 1,
          in_w);
      guint eh = CLAMP ((gint) floor ((double) roi->h * in_h / fh + 0.5), 1,
          in_h);
      fail_unless (mw == ew && mh == eh, "mask %ux%u, expected %ux%u (ROI "
          "%ux%u)", mw, mh, ew, eh, roi->w, roi->h);
    }
    st.n++;
    st.bytes += (guint64) mw *mh;
    if (mw == MAX (roi->w, 1) && mh == MAX (roi->h, 1))
      st.n_frame_res++;
    else
      st.n_smaller++;
    g_bytes_unref (m);
  }
  return st;
}

/* bus.jpg (810x1080) at 1620x2160 into the 640 model: the letterboxed
 * image is 480x640, 0.296 of the frame per side */
GST_START_TEST (test_default_input_resolution)
{
  GstSample *img;
  GstBuffer *out;
  MaskStats st;
  gboolean retina = TRUE;
  GstElement *e;

  SKIP_WITHOUT_MODEL ();
  e = gst_element_factory_make ("yolodetect", NULL);
  g_object_get (e, "retina-masks", &retina, NULL);
  fail_unless (!retina, "retina-masks defaults to FALSE, as Ultralytics");
  gst_object_unref (e);

  img = get_image ("bus.jpg", 1620, 2160);
  out = run (img, "", NULL, NULL);
  st = mask_stats (out, 1620, 2160, 480, 640);
  fail_unless (st.n >= 4, "%d objects", st.n);
  fail_unless (st.n_smaller == st.n, "%d of %d masks at frame resolution",
      st.n_frame_res, st.n);
  gst_buffer_unref (out);

  out = run (img, "retina-masks=true", NULL, NULL);
  st = mask_stats (out, 1620, 2160, 0, 0);
  fail_unless (st.n >= 4 && st.n_frame_res == st.n, "%d of %d masks at "
      "frame resolution", st.n_frame_res, st.n);
  gst_buffer_unref (out);
  gst_sample_unref (img);
}

GST_END_TEST;

/* the two modes' masks, read at the ROI's size, agree: the same objects,
 * the same share of object pixels (within 0.02 of the ROI) and IoU >= 0.6
 * (the zoo model's random weights give speckled masks: sampling at input
 * or frame resolution moves many small blobs' edges; the tasks-* tests
 * check each mode against its Ultralytics reference at IoU >= 0.9) */
GST_START_TEST (test_modes_agree)
{
  GstSample *img;
  GstBuffer *a, *b;
  GstVideoRegionOfInterestMeta *ra, *rb;
  gpointer sa = NULL, sb = NULL;
  gint n = 0;

  SKIP_WITHOUT_MODEL ();
  img = get_image ("bus.jpg", 810, 1080);
  a = run (img, "", NULL, NULL);
  b = run (img, "retina-masks=true", NULL, NULL);
  while ((ra = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (a, &sa,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    guint aw, ah, bw, bh;
    GBytes *ma, *mb;
    const guint8 *pa, *pb;
    guint64 inter = 0, uni = 0, na = 0, nb = 0, area;

    rb = (GstVideoRegionOfInterestMeta *)
        gst_buffer_iterate_meta_filtered (b, &sb,
        GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
    fail_unless (rb != NULL);
    fail_unless (ra->x == rb->x && ra->y == rb->y && ra->w == rb->w
        && ra->h == rb->h);
    ma = gst_yolo_meta_get_roi_mask (a, ra, 810, 1080, &aw, &ah);
    mb = gst_yolo_meta_get_roi_mask (b, rb, 810, 1080, &bw, &bh);
    fail_unless (ma && mb);
    fail_unless (aw == ra->w && ah == ra->h && bw == ra->w && bh == ra->h);
    pa = g_bytes_get_data (ma, NULL);
    pb = g_bytes_get_data (mb, NULL);
    area = (guint64) aw *ah;
    for (gsize i = 0; i < area; i++) {
      inter += pa[i] && pb[i];
      uni += pa[i] || pb[i];
      na += pa[i];
      nb += pb[i];
    }
    fail_unless (fabs ((double) na - nb) <= 0.02 * area, "%" G_GUINT64_FORMAT
        " vs %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " px", na, nb, area);
    if (uni >= 1000) {
      fail_unless (inter >= 0.6 * uni, "IoU %g over %ux%u",
          (double) inter / uni, ra->w, ra->h);
      n++;
    }
    g_bytes_unref (ma);
    g_bytes_unref (mb);
  }
  fail_unless (gst_buffer_iterate_meta_filtered (b, &sb,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) == NULL);
  fail_unless (n >= 4, "%d objects compared", n);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  gst_sample_unref (img);
}

GST_END_TEST;

/* yolooverlay draws from either mode's masks (many pixels changed) about
 * as many pixels (within 3%), most of them the same */
GST_START_TEST (test_overlay_both_modes)
{
  GstSample *img;
  GstBuffer *a, *b;
  GstMapInfo ma, mb, mi;
  gsize n_diff = 0, n_drawn = 0, n_drawn_b = 0, n;

  SKIP_WITHOUT_MODEL ();
  img = get_image_fmt ("bus.jpg", "RGBx", 810, 1080);
  a = run (img, "", "yolooverlay", NULL);
  b = run (img, "retina-masks=true", "yolooverlay", NULL);
  fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
  fail_unless (gst_buffer_map (b, &mb, GST_MAP_READ));
  fail_unless (gst_buffer_map (gst_sample_get_buffer (img), &mi, GST_MAP_READ));
  n = MIN (ma.size, mb.size) / 4;
  fail_unless (ma.size == mb.size && ma.size == mi.size);
  for (gsize i = 0; i < n; i++) {
    n_drawn += memcmp (ma.data + 4 * i, mi.data + 4 * i, 3) != 0;
    n_drawn_b += memcmp (mb.data + 4 * i, mi.data + 4 * i, 3) != 0;
    n_diff += memcmp (ma.data + 4 * i, mb.data + 4 * i, 3) != 0;
  }
  fail_unless (n_drawn > n / 20, "%" G_GSIZE_FORMAT " pixels drawn", n_drawn);
  fail_unless (n_drawn_b > n_drawn * 0.97 && n_drawn_b < n_drawn * 1.03,
      "%" G_GSIZE_FORMAT " vs %" G_GSIZE_FORMAT " pixels drawn", n_drawn,
      n_drawn_b);
  fail_unless (n_diff < n_drawn / 3, "%" G_GSIZE_FORMAT " of %"
      G_GSIZE_FORMAT " drawn pixels differ", n_diff, n_drawn);
  gst_buffer_unmap (gst_sample_get_buffer (img), &mi);
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  gst_sample_unref (img);
}

GST_END_TEST;

/* 3840x5120 bus.jpg at conf-threshold=0.01 (300 detections): at frame
 * resolution the masks would hold ~1.2 GB; retina-masks=true keeps the
 * first at frame resolution, the rest smaller, all within 64 MiB, with a
 * warning; the default stays at input resolution (1/8 per side), within
 * the budget without a warning */
GST_START_TEST (test_budget_huge_frame)
{
  GstSample *img;
  GstBuffer *out;
  MaskStats st;
  gchar *warn;

  SKIP_WITHOUT_MODEL ();
  img = get_image ("bus.jpg", 3840, 5120);
  out = run (img, "retina-masks=true conf-threshold=0.01", NULL, &warn);
  st = mask_stats (out, 3840, 5120, 0, 0);
  GST_INFO ("retina: %d masks, %d at frame resolution, %" G_GUINT64_FORMAT
      " bytes", st.n, st.n_frame_res, st.bytes);
  fail_unless (st.n == 300, "%d objects", st.n);
  fail_unless (st.bytes <= BUDGET, "%" G_GUINT64_FORMAT " bytes", st.bytes);
  fail_unless (st.n_frame_res >= 1 && st.n_smaller >= 1, "%d of %d at frame "
      "resolution", st.n_frame_res, st.n);
  fail_unless (warn && strstr (warn, "budget"), "warning: %s", warn);
  g_free (warn);
  gst_buffer_unref (out);

  out = run (img, "conf-threshold=0.01", NULL, &warn);
  st = mask_stats (out, 3840, 5120, 480, 640);
  fail_unless (st.n == 300 && st.bytes <= BUDGET);
  fail_unless (warn == NULL, "warning: %s", warn);
  gst_buffer_unref (out);
  gst_sample_unref (img);
}

GST_END_TEST;

static Suite *
yolodetect_masks_suite (void)
{
  Suite *s = suite_create ("yolodetect-masks");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_set_timeout (tc, 600);
  tcase_add_test (tc, test_default_input_resolution);
  tcase_add_test (tc, test_modes_agree);
  tcase_add_test (tc, test_overlay_both_modes);
  tcase_add_test (tc, test_budget_huge_frame);
  return s;
}

GST_CHECK_MAIN (yolodetect_masks);
