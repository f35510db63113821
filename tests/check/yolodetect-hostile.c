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
 */
#include <string.h>

#include <glib/gstdio.h>

#include <gst/gst.h>
#include <gst/check/gstcheck.h>

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
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PAUSED),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error message", name);
  gst_message_parse_error (msg, &err, &dbg);
  GST_INFO ("%s: %s", name, err->message);
  fail_unless (err->message && err->message[0], "%s: empty error", name);
  fail_if (has_control_bytes (err->message), "%s: error has control bytes: "
      "%s", name, err->message);
  fail_if (dbg && has_control_bytes (dbg), "%s: details have control bytes",
      name);
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
  };

  if (!write_models ()) {
    GST_WARNING ("no python3 with onnx: hostile models not tested");
    return;
  }
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_refused (cases[i].name, cases[i].expect);
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
  return s;
}

GST_CHECK_MAIN (yolodetect_hostile);
