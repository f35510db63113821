/* GStreamer YOLO plugin - yolodetect on hostile models
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * Every model of tests/fuzz/hostile_models.py (written at test time by
 * $YOLO_TEST_PYTHON $YOLO_HOSTILE_SCRIPT DIR): huge or overflowing shapes,
 * folded constants over the memory budget, out-of-range constant indices,
 * names with control bytes, cycles... must make yolodetect post an ERROR
 * message with a one-line text when it starts, never abort the process.
 * So must the ELEMENT models: valid graphs whose task metadata (task,
 * kpt_shape, end2end) or task head shapes (pose channels, segment
 * prototypes, classify output) do not fit.
 *
 * test_hostile_metas: yolojson, yolooverlay and yolotrack fed ROI metas an
 * upstream element could attach: masks and keypoints whose dims have the
 * wrong type or disagree with the data, data of the wrong GVariant type,
 * NaN / inf / negative / huge boxes, keypoints and rotated boxes. No
 * critical (fatal in gst-check), no crash, no hang; malformed extras are
 * left out of the JSON.
 */
#include <string.h>

#include <glib/gstdio.h>

#include <math.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

static gchar *model_dir;

/* Writes the hostile models into model_dir; FALSE (test skipped) when
 * python3 with onnx is not available. */
static gboolean
write_models (void)
{
  const gchar *py = g_getenv ("YOLO_TEST_PYTHON");
  const gchar *script = g_getenv ("YOLO_HOSTILE_SCRIPT");
  gchar *argv[4];
  gchar *err_out = NULL;
  gint status = -1;
  GError *err = NULL;

  fail_unless (py && script, "YOLO_TEST_PYTHON / YOLO_HOSTILE_SCRIPT unset");
  model_dir = g_dir_make_tmp ("yolo-hostile-XXXXXX", NULL);
  fail_unless (model_dir != NULL);
  argv[0] = (gchar *) py;
  argv[1] = (gchar *) script;
  argv[2] = model_dir;
  argv[3] = NULL;
  fail_unless (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
          NULL, NULL, NULL, &err_out, &status, &err), "%s",
      err ? err->message : "");
  if (!g_spawn_check_wait_status (status, NULL)) {
    GST_WARNING ("hostile_models.py failed: %s", err_out);
    fail_unless (strstr (err_out, "ModuleNotFoundError") != NULL,
        "hostile_models.py failed: %s", err_out);
    g_free (err_out);
    return FALSE;
  }
  g_free (err_out);
  return TRUE;
}

static void
remove_models (void)
{
  GDir *d = g_dir_open (model_dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (model_dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (model_dir);
  g_clear_pointer (&model_dir, g_free);
}

static gboolean
has_control_bytes (const gchar * s)
{
  for (; s && *s; s++)
    if ((guchar) * s < 0x20 || (guchar) * s == 0x7f)
      return TRUE;
  return FALSE;
}

/* Starts yolodetect on model `name`: the state change fails with an ERROR
 * message whose text is one line and contains `expect` (when not NULL). */
static void
expect_refused (const gchar * name, const gchar * expect)
{
  gchar *file = g_strdup_printf ("%s.onnx", name);
  gchar *path = g_build_filename (model_dir, file, NULL);
  GstElement *e = gst_element_factory_make ("yolodetect", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *dbg = NULL;

  fail_unless (e != NULL);
  fail_unless (g_file_test (path, G_FILE_TEST_EXISTS), "%s missing", path);
  g_object_set (e, "model", path, NULL);
  gst_element_set_bus (e, bus);
  fail_unless (gst_element_set_state (e, GST_STATE_PAUSED) ==
      GST_STATE_CHANGE_FAILURE, "%s: not refused", name);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", name);
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("%s: %s", name, err->message);
  fail_unless (err->message && err->message[0], "%s: empty error", name);
  fail_if (has_control_bytes (err->message), "%s: error has control bytes: "
      "%s", name, err->message);
  /* GStreamer writes "file(line): function (): object:\n" before the
   * element's own details: check what follows */
  fail_if (dbg && has_control_bytes (strchr (dbg, '\n') ? strchr (dbg,
              '\n') + 1 : dbg), "%s: details have control bytes: %s", name,
      dbg);
  if (expect)
    fail_unless (strstr (err->message, expect) != NULL,
        "%s: expected '%s' in: %s", name, expect, err->message);
  g_clear_error (&err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (path);
  g_free (file);
}

GST_START_TEST (test_hostile_models)
{
  static const struct
  {
    const gchar *name, *expect;
  } cases[] = {
    {"huge_input", "larger than the 2 GiB"},
    {"huge_input_product", "larger than the 2 GiB"},
    {"zero_batch", "not a valid size"},
    {"negative_dim", "not a valid size"},
    {"resize_huge_scale", "too large"},
    {"constant_of_shape_huge", "larger than the 2 GiB"},
    {"constant_of_shape_big", "larger than the 2 GiB"},
    {"constant_of_shape_many", "more than 2 GiB"},
    {"range_huge", "too many"},
    {"reshape_overflow", "overflows"},
    {"expand_huge", "Expand"},
    {"gather_index_oob", "index 7 out of range for axis of size 4"},
    {"gather_elements_oob", "index -9 out of range for axis of size 4"},
    {"name_with_newline", "Foo\\nBar"},
    {"conv_stride_zero", "strides"},
    {"cycle", "cycle"},
    {"attr_string_control", "auto_pad 'BAD\\x0a\\x1b[2J'"},
    {"convtranspose_output_padding_ge_stride", "output_padding [2,0]"},
    {"convtranspose_huge_output_shape", "output_shape has invalid values"},
    {"convtranspose_output_shape_int_overflow",
        "output_shape has invalid values"},
    {"convtranspose_group_not_dividing", "group 3 does not divide"},
    {"convtranspose_negative_pads", "pads has invalid value -1"},
    {"convtranspose_huge_stride", "strides has invalid values"},
    {"convtranspose_huge_dilation", "dilations has invalid values"},
    {"layernorm_axis_out_of_range", "axis 7 is out of range"},
    {"layernorm_axis_very_negative", "is out of range"},
    {"layernorm_scale_mismatch", "Scale [5] does not broadcast"},
    {"where_broadcast_mismatch", "cannot broadcast"},
    {"greater_broadcast_mismatch", "cannot broadcast"},
    {"rebatch_shape_read_elsewhere", "reads a Reshape target shape"},
    {"rebatch_batch_not_first", "not have the batch as its first"},
    {"rebatch_huge_batch", "larger than the 2 GiB"},
    /* quantised and float16 models */
    {"qdq_zp_shape_mismatch",
        "zero point [2,2] does not have the scale's shape [4]"},
    {"qdq_axis_out_of_range", "axis 7 is out of range for x of rank 4"},
    {"qdq_axis_negative_beyond_rank",
        "axis -9 is out of range for x of rank 4"},
    {"qdq_zp_float8", "has data type float8e4m3fn (17)"},
    {"dq_float_x", "only uint8 and int8 quantisation is supported, got "
          "float32"},
    {"dql_huge", "larger than the 2 GiB"},
    {"mmi_huge_output", "tensors are too large"},
    {"mmi_bzp_length_mismatch", "b_zero_point must be a constant uint8 "
          "scalar or [4]"},
    {"int8_xzp_per_channel", "x_zero_point must be one uint8 value"},
    {"cast_to_999", "unsupported target type to=999"},
    {"input_bfloat16", "has data type bfloat16, which is not supported"},
    /* hostile_models.ELEMENT */
    {"pose_kpt_huge", "malformed kpt_shape metadata '[1000000, 3]'"},
    {"pose_kpt_zero", "malformed kpt_shape"},
    {"pose_kpt_dims7", "malformed kpt_shape"},
    {"pose_kpt_negative", "malformed kpt_shape"},
    {"pose_kpt_text", "malformed kpt_shape"},
    {"pose_kpt_overflow", "malformed kpt_shape"},
    {"pose_channels_mismatch", "51 keypoint rows"},
    {"pose_end2end_columns_mismatch", "must have 6 + 51 columns"},
    {"seg_protos_too_many_masks", "mask prototype output"},
    {"seg_protos_too_wide", "mask prototype output"},
    {"seg_protos_3d", "mask prototype output"},
    {"seg_coefficients_mismatch", "64 mask coefficient rows"},
    {"seg_without_protos", "mask prototype output"},
    {"classify_3d_output", "expected an output of shape [1, classes]"},
    {"pose_kpt_control", "metadata '[17,\\n3]\\033[2J999"},
    {"task_unknown", "is a task=depth\\n\\033[2J model"},
  };

  if (!write_models ()) {
    GST_WARNING ("no python3 with onnx: hostile models not tested");
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_refused (cases[i].name, cases[i].expect);
  /* an invalid engine option from the environment is named, not taken for
   * a dynamic model without input-size */
  g_setenv ("YOLO_INT8_COMPUTE", "bogus", TRUE);
  expect_refused ("pose_hostile_values", "invalid YOLO_INT8_COMPUTE "
      "\"bogus\" (expected one of: auto, float, integer)");
  g_unsetenv ("YOLO_INT8_COMPUTE");
  remove_models ();
}

GST_END_TEST;


/* ---- hostile metas from upstream elements ---- */

#define META_W 64
#define META_H 48

static GstVideoRegionOfInterestMeta *
meta_detection (GstBuffer * buf, gint id, gdouble x0, gdouble y0, gdouble x1,
    gdouble y1)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta (buf, "person", 4, 4,
      16, 16);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "label", G_TYPE_STRING, "person",
          "label_id", G_TYPE_INT, id, "confidence", G_TYPE_DOUBLE, 0.9,
          "x_min", G_TYPE_DOUBLE, x0, "y_min", G_TYPE_DOUBLE, y0,
          "x_max", G_TYPE_DOUBLE, x1, "y_max", G_TYPE_DOUBLE, y1, NULL));
  return roi;
}

/* a "dims" array of two values of type t */
static void
set_dims (GstStructure * s, GType t, guint64 a, guint64 b)
{
  GValue arr = G_VALUE_INIT, v = G_VALUE_INIT;
  guint64 ab[2] = { a, b };

  gst_value_array_init (&arr, 2);
  for (guint i = 0; i < 2; i++) {
    g_value_init (&v, t);
    if (t == G_TYPE_UINT)
      g_value_set_uint (&v, (guint) ab[i]);
    else if (t == G_TYPE_INT)
      g_value_set_int (&v, (gint) ab[i]);
    else
      g_value_set_string (&v, "4");
    gst_value_array_append_and_take_value (&arr, &v);
  }
  gst_structure_take_value (s, "dims", &arr);
}

static void
set_data (GstStructure * s, GVariant * var)
{
  gst_structure_set (s, "data_buffer", G_TYPE_VARIANT,
      g_variant_ref_sink (var), NULL);
  g_variant_unref (var);
}

static GVariant *
bytes_variant (gconstpointer data, gsize n)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, n, 1);
}

/* One frame of hostile metas; the rois whose extras must be left out of
 * the JSON have label_id >= 100. */
static GstBuffer *
hostile_meta_buffer (void)
{
  static const guint8 mask16[16] = { 1, 1, 0, 0, 1, 1, 0, 0 };
  static const gint32 ints[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  const gfloat inf = INFINITY, nan = NAN;
  const gfloat kp_bad[8] = { nan, nan, inf, -inf, 1e30f, -1e30f, 0.5f, 0.5f };
  GstBuffer *buf = gst_buffer_new_allocate (NULL, META_W * META_H * 4, NULL);
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;

  /* masks: dims of type int / string (criticals in g_value_get_uint), a
   * 0 x 2^31 mask (a 2^31-step RLE walk), dims disagreeing with the data,
   * data of another GVariant type */
  for (guint k = 0; k < 5; k++) {
    roi = meta_detection (buf, 100 + k, 0.1, 0.1, 0.4, 0.4);
    s = gst_structure_new_empty ("mask");
    switch (k) {
      case 0:
        set_dims (s, G_TYPE_INT, 4, 4);
        set_data (s, bytes_variant (mask16, 16));
        break;
      case 1:
        set_dims (s, G_TYPE_STRING, 4, 4);
        set_data (s, bytes_variant (mask16, 16));
        break;
      case 2:
        set_dims (s, G_TYPE_UINT, 0, G_MAXINT32 + 1u);
        set_data (s, bytes_variant (mask16, 0));
        break;
      case 3:
        set_dims (s, G_TYPE_UINT, 1000, 1000);
        set_data (s, bytes_variant (mask16, 16));
        break;
      default:
        set_dims (s, G_TYPE_UINT, 2, 2);
        set_data (s, g_variant_new_string ("abc"));
        break;
    }
    gst_video_region_of_interest_meta_add_param (roi, s);
  }
  /* keypoints: data not "ay" (criticals in g_variant_get_fixed_array),
   * dims of type int, dims disagreeing with the data */
  for (guint k = 0; k < 4; k++) {
    roi = meta_detection (buf, 110 + k, 0.1, 0.1, 0.4, 0.4);
    s = gst_structure_new_empty ("keypoints");
    switch (k) {
      case 0:
        set_dims (s, G_TYPE_UINT, 4, 2);
        set_data (s, g_variant_new_string ("not points"));
        break;
      case 1:
        set_dims (s, G_TYPE_UINT, 4, 2);
        set_data (s, g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, ints,
                8, sizeof (gint32)));
        break;
      case 2:
        set_dims (s, G_TYPE_INT, 4, 2);
        set_data (s, bytes_variant (kp_bad, sizeof (kp_bad)));
        break;
      default:
        set_dims (s, G_TYPE_UINT, 400, 2);
        set_data (s, bytes_variant (kp_bad, sizeof (kp_bad)));
        break;
    }
    gst_video_region_of_interest_meta_add_param (roi, s);
  }
  /* well-formed keypoints at NaN, inf and +-1e30 (drawn: not at all) */
  roi = meta_detection (buf, 1, 0.1, 0.1, 0.4, 0.4);
  s = gst_structure_new_empty ("keypoints");
  set_dims (s, G_TYPE_UINT, 4, 2);
  set_data (s, bytes_variant (kp_bad, sizeof (kp_bad)));
  gst_video_region_of_interest_meta_add_param (roi, s);
  /* boxes at NaN, inf, negative, huge; rotated boxes at huge sizes */
  meta_detection (buf, 2, nan, nan, nan, nan);
  meta_detection (buf, 3, -inf, -inf, inf, inf);
  meta_detection (buf, 4, -5.0, -7.0, -1.0, -2.0);
  meta_detection (buf, 5, -1e300, -1e300, 1e300, 1e300);
  meta_detection (buf, 6, 0.9, 0.9, 0.1, 0.1);
  /* a label (ROI type) with invalid UTF-8 and control bytes (pango warns),
   * one of 100 kB */
  gst_buffer_add_video_region_of_interest_meta (buf, "bad\xff\xfe\n\x1b[2J",
      1, 2, 30, 20);
  roi = meta_detection (buf, 9, 0.2, 0.2, 0.3, 0.3);
  {
    gchar *big = g_strnfill (100000, 'W');
    gst_structure_set (gst_video_region_of_interest_meta_get_param (roi,
            "detection"), "label", G_TYPE_STRING, big, NULL);
    g_free (big);
  }
  roi = meta_detection (buf, 7, 0.2, 0.2, 0.3, 0.3);
  gst_structure_set (gst_video_region_of_interest_meta_get_param (roi,
          "detection"), "rotation", G_TYPE_DOUBLE, 1e300, "rotated_cx",
      G_TYPE_DOUBLE, 1e300, "rotated_cy", G_TYPE_DOUBLE, -1e300,
      "rotated_w", G_TYPE_DOUBLE, 1e300, "rotated_h", G_TYPE_DOUBLE, 1e300,
      NULL);
  return buf;
}

/* warnings of libraries gst-check does not make fatal (Pango) */
static guint n_lib_warnings;

static GLogWriterOutput
count_warning (GLogLevelFlags level, const GLogField * fields, gsize n,
    gpointer data)
{
  for (gsize i = 0; i < n; i++)
    if (!strcmp (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0
        && !g_strcmp0 (fields[i].value, "Pango")
        && (level & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL)))
      n_lib_warnings++;
  return g_log_writer_default (level, fields, n, data);
}

static void
push_hostile_metas (const gchar * launch, const gchar * caps, guint frames)
{
  GstHarness *h = gst_harness_new_parse (launch);

  gst_harness_set_src_caps_str (h, caps);
  for (guint i = 0; i < frames; i++) {
    GstBuffer *buf = hostile_meta_buffer ();
    GST_BUFFER_PTS (buf) = i * GST_SECOND / 30;
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  }
  gst_harness_teardown (h);
}

GST_START_TEST (test_hostile_metas)
{
  gchar *dir = g_dir_make_tmp ("yolo-hostile-json-XXXXXX", NULL);
  gchar *path = g_build_filename (dir, "out.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGBA,width=%d,"
      "height=%d,framerate=30/1", META_W, META_H);
  gchar *contents = NULL, **lines;
  gint64 t0 = g_get_monotonic_time ();

  push_hostile_metas (launch, caps, 2);
  /* a 0 x 2^31 mask took seconds to encode (far more under ASan) */
  fail_unless (g_get_monotonic_time () - t0 < 20 * G_USEC_PER_SEC,
      "yolojson took %" G_GINT64_FORMAT " ms",
      (g_get_monotonic_time () - t0) / 1000);
  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  fail_unless (g_strv_length (lines) == 3, "%s", contents);
  /* no malformed mask / keypoints in the output; the good keypoints' NaN
   * positions as null (valid JSON) */
  fail_if (strstr (contents, "\"mask\"") != NULL, "%s", contents);
  fail_if (strstr (contents, "nan") || strstr (contents, "inf"), "%s",
      contents);
  for (guint i = 0; i < 2; i++) {
    const gchar *p = lines[i];
    guint n_kp = 0;
    while ((p = strstr (p, "\"keypoints\""))) {
      n_kp++;
      p++;
    }
    fail_unless_equals_int (n_kp, 1);
  }
  g_strfreev (lines);
  g_free (contents);
  g_unlink (path);
  g_rmdir (dir);
  g_free (launch);
  g_free (path);
  g_free (dir);

  g_log_set_writer_func (count_warning, NULL, NULL);
  push_hostile_metas ("yolooverlay", caps, 2);
  g_free (caps);
  caps = g_strdup_printf ("video/x-raw,format=I420,width=%d,height=%d,"
      "framerate=30/1", META_W, META_H);
  push_hostile_metas ("yolooverlay", caps, 1);
  fail_unless_equals_int (n_lib_warnings, 0);
  push_hostile_metas ("yolotrack", caps, 5);
  push_hostile_metas ("yolotrack tracker-type=iou", caps, 5);
  g_free (caps);
}

GST_END_TEST;


/* hostile_models.ELEMENT_RUN: valid pose, end-to-end pose, obb, segment and
 * classify models whose outputs hold inf, NaN and +-1e30 values run
 * through yolodetect, yolooverlay (RGBA and I420) and yolojson to EOS. */
GST_START_TEST (test_hostile_values)
{
  static const gchar *const names[] = {
    "pose_hostile_values", "pose_end2end_hostile_values",
    "obb_hostile_values", "segment_hostile_values",
    "classify_hostile_values",
  };

  if (!write_models ()) {
    GST_WARNING ("no python3 with onnx: hostile models not tested");
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    for (guint f = 0; f < 2; f++) {
      gchar *file = g_strdup_printf ("%s.onnx", names[i]);
      gchar *path = g_build_filename (model_dir, file, NULL);
      gchar *json = g_build_filename (model_dir, "out.jsonl", NULL);
      gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 "
          "pattern=ball ! video/x-raw,format=%s,width=64,height=48 ! "
          "yolodetect model=\"%s\" conf-threshold=0.01 ! yolooverlay ! "
          "yolojson location=\"%s\" ! fakesink", f ? "I420" : "RGBA", path,
          json);
      GstElement *pipe = gst_parse_launch (desc, NULL);
      GstBus *bus;
      GstMessage *msg;

      fail_unless (pipe != NULL);
      bus = gst_element_get_bus (pipe);
      fail_if (gst_element_set_state (pipe, GST_STATE_PLAYING) ==
          GST_STATE_CHANGE_FAILURE, "%s: does not start", names[i]);
      msg = gst_bus_timed_pop_filtered (bus, 120 * GST_SECOND,
          GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      fail_unless (msg != NULL, "%s: no EOS", names[i]);
      if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gst_message_parse_error (msg, &err, NULL);
        fail ("%s: %s", names[i], err->message);
      }
      gst_message_unref (msg);
      gst_element_set_state (pipe, GST_STATE_NULL);
      gst_object_unref (bus);
      gst_object_unref (pipe);
      g_unlink (json);
      g_free (desc);
      g_free (json);
      g_free (path);
      g_free (file);
    }
  }
  remove_models ();
}

GST_END_TEST;

static Suite *
yolodetect_hostile_suite (void)
{
  Suite *s = suite_create ("yolodetect-hostile");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 300);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_hostile_models);
  tcase_add_test (tc, test_hostile_metas);
  tcase_add_test (tc, test_hostile_values);
  return s;
}

GST_CHECK_MAIN (yolodetect_hostile);
