/* gst-yolo: yolojson unit tests
 *
 * Buffers and ROI metas are made here, so the tests need neither yolodetect
 * nor a model. The element is registered statically from the sources
 * compiled into this program.
 */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <locale.h>
#include <math.h>
#include <errno.h>
#include <string.h>

#include "config.h"
#include "gstyolojson.h"
#include "gstyolometa.h"

#if HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

#define CAPS "video/x-raw,format=RGBA,width=640,height=480,framerate=30/1"

static gchar *tmp_dir;

static void
setup (void)
{
  tmp_dir = g_dir_make_tmp ("yolojson-XXXXXX", NULL);
  fail_unless (tmp_dir != NULL);
}

static void
teardown (void)
{
  GDir *d = g_dir_open (tmp_dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (tmp_dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (tmp_dir);
  g_clear_pointer (&tmp_dir, g_free);
}

static GstBuffer *
make_buffer (GstClockTime pts)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 640 * 480 * 4, NULL);
  GST_BUFFER_PTS (buf) = pts;
  return buf;
}

static void
add_detection (GstBuffer * buf, const gchar * label, gint label_id,
    gdouble conf, guint x, guint y, guint w, guint h)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta (buf, label, x, y, w, h);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "label", G_TYPE_STRING, label,
          "label_id", G_TYPE_INT, label_id,
          "confidence", G_TYPE_DOUBLE, conf,
          "x_min", G_TYPE_DOUBLE, x / 640.0, "y_min", G_TYPE_DOUBLE, y / 480.0,
          "x_max", G_TYPE_DOUBLE, (x + w) / 640.0,
          "y_max", G_TYPE_DOUBLE, (y + h) / 480.0, NULL));
}

/* reads @path and returns its lines (the last, empty one dropped) */
static gchar **
read_lines (const gchar * path, guint * n)
{
  gchar *contents = NULL;
  gchar **lines;
  guint len;

  fail_unless (g_file_get_contents (path, &contents, NULL, NULL));
  fail_unless (g_str_has_suffix (contents, "\n") || contents[0] == '\0');
  lines = g_strsplit (contents, "\n", -1);
  g_free (contents);
  len = g_strv_length (lines);
  /* trailing "" after the final newline */
  fail_unless (len >= 1 && lines[len - 1][0] == '\0');
  g_free (lines[len - 1]);
  lines[len - 1] = NULL;
  *n = len - 1;
  return lines;
}

/* A strict RFC 8259 validator (json-glib's parser is lenient: it takes
 * "01", "1." and ".5"): @p points into a NUL-terminated line; each function
 * returns the end of what it accepted, or NULL. */
static const gchar *json_value (const gchar * p, gint depth);

static const gchar *
json_ws (const gchar * p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

static const gchar *
json_string (const gchar * p)
{
  if (*p++ != '"')
    return NULL;
  while (*p != '"') {
    if ((guchar) * p < 0x20)    /* control characters, and the NUL at end */
      return NULL;
    if (*p == '\\') {
      p++;
      if (*p == 'u') {
        for (gint i = 1; i <= 4; i++)
          if (!g_ascii_isxdigit (p[i]))
            return NULL;
        p += 5;
      } else if (*p && strchr ("\"\\/bfnrt", *p)) {
        p++;
      } else {
        return NULL;
      }
    } else {
      p++;
    }
  }
  return p + 1;
}

static const gchar *
json_number (const gchar * p)
{
  if (*p == '-')
    p++;
  if (*p == '0')
    p++;
  else if (*p >= '1' && *p <= '9')
    while (g_ascii_isdigit (*p))
      p++;
  else
    return NULL;
  if (*p == '.') {
    if (!g_ascii_isdigit (*++p))
      return NULL;
    while (g_ascii_isdigit (*p))
      p++;
  }
  if (*p == 'e' || *p == 'E') {
    p++;
    if (*p == '+' || *p == '-')
      p++;
    if (!g_ascii_isdigit (*p))
      return NULL;
    while (g_ascii_isdigit (*p))
      p++;
  }
  return p;
}

static const gchar *
json_value (const gchar * p, gint depth)
{
  const gchar *lits[] = { "null", "true", "false" };

  if (depth > 32)
    return NULL;
  p = json_ws (p);
  if (*p == '{' || *p == '[') {
    gchar close = *p == '{' ? '}' : ']';
    p = json_ws (p + 1);
    if (*p == close)
      return p + 1;
    for (;;) {
      if (close == '}') {
        if ((p = json_string (json_ws (p))) == NULL)
          return NULL;
        p = json_ws (p);
        if (*p++ != ':')
          return NULL;
      }
      if ((p = json_value (p, depth + 1)) == NULL)
        return NULL;
      p = json_ws (p);
      if (*p == close)
        return p + 1;
      if (*p++ != ',')
        return NULL;
    }
  }
  if (*p == '"')
    return json_string (p);
  for (guint i = 0; i < G_N_ELEMENTS (lits); i++)
    if (g_str_has_prefix (p, lits[i]))
      return p + strlen (lits[i]);
  return json_number (p);
}

/* TRUE if @line is one JSON text (RFC 8259) in valid UTF-8 */
static gboolean
json_is_valid (const gchar * line)
{
  const gchar *end;

  if (!g_utf8_validate (line, -1, NULL))
    return FALSE;
  end = json_value (line, 0);
  return end != NULL && *json_ws (end) == '\0';
}

static JsonObject *
parse_line (JsonParser * parser, const gchar * line)
{
  JsonNode *root;
  GError *err = NULL;

  fail_unless (json_is_valid (line), "not RFC 8259 JSON: '%s'", line);

  fail_unless (json_parser_load_from_data (parser, line, -1, &err),
      "bad JSON '%s': %s", line, err ? err->message : "");
  root = json_parser_get_root (parser);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

/* The "objects" of the one line yolojson wrote to path, which must be valid
 * JSON; *lines holds the file's lines (g_strfreev). */
static JsonArray *
single_line_objects (const gchar * path, JsonParser * parser, gchar *** lines)
{
  guint n;

  *lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  fail_unless (json_is_valid ((*lines)[0]), "%s", (*lines)[0]);
  return json_object_get_array_member (parse_line (parser, (*lines)[0]),
      "objects");
}

static void
check_frame_header (JsonObject * o, gint64 pts, gint64 frame)
{
  fail_unless (json_object_has_member (o, "pts"));
  if (pts < 0)
    fail_unless (json_object_get_null_member (o, "pts"));
  else
    fail_unless_equals_int64 (json_object_get_int_member (o, "pts"), pts);
  fail_unless_equals_int64 (json_object_get_int_member (o, "frame"), frame);
  fail_unless_equals_int64 (json_object_get_int_member (o, "width"), 640);
  fail_unless_equals_int64 (json_object_get_int_member (o, "height"), 480);
  fail_unless (JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "objects")));
}

static void
check_object (JsonObject * d, const gchar * label, gint64 label_id,
    gdouble conf, gint64 x, gint64 y, gint64 w, gint64 h)
{
  fail_unless_equals_string (json_object_get_string_member (d, "label"), label);
  if (label_id < 0) {
    fail_unless (!json_object_has_member (d, "label_id")
        || json_object_get_null_member (d, "label_id"));
    fail_unless (!json_object_has_member (d, "confidence")
        || json_object_get_null_member (d, "confidence"));
  } else {
    fail_unless_equals_int64 (json_object_get_int_member (d, "label_id"),
        label_id);
    fail_unless (ABS (json_object_get_double_member (d, "confidence") -
            conf) < 1e-4);
  }
  fail_unless_equals_int64 (json_object_get_int_member (d, "x"), x);
  fail_unless_equals_int64 (json_object_get_int_member (d, "y"), y);
  fail_unless_equals_int64 (json_object_get_int_member (d, "w"), w);
  fail_unless_equals_int64 (json_object_get_int_member (d, "h"), h);
}

GST_START_TEST (test_file_lines)
{
  gchar *path = g_build_filename (tmp_dir, "dets.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBuffer *buf, *out;
  JsonParser *parser = json_parser_new ();
  JsonObject *o;
  JsonArray *objs;
  gchar **lines;
  guint n;

  gst_harness_set_src_caps_str (h, CAPS);

  /* frame 0: a detection with params and a plain ROI */
  buf = make_buffer (0);
  add_detection (buf, "person", 0, 0.91f, 320, 100, 137, 305);
  gst_buffer_add_video_region_of_interest_meta (buf, "car", 5, 6, 7, 8);
  out = gst_harness_push_and_pull (h, buf);
  /* passthrough: same buffer, metas intact */
  fail_unless (out == buf);
  fail_unless_equals_int (gst_buffer_get_n_meta (out,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE), 2);
  gst_buffer_unref (out);

  /* flushed per line: readable while still running */
  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  g_strfreev (lines);

  /* frame 1: nothing detected; frame 2: no timestamp */
  gst_buffer_unref (gst_harness_push_and_pull (h, make_buffer (33333333)));
  buf = make_buffer (GST_CLOCK_TIME_NONE);
  add_detection (buf, "dog", 16, 0.5, 0, 0, 640, 480);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 3);

  o = parse_line (parser, lines[0]);
  check_frame_header (o, 0, 0);
  objs = json_object_get_array_member (o, "objects");
  fail_unless_equals_int (json_array_get_length (objs), 2);
  check_object (json_array_get_object_element (objs, 0), "person", 0, 0.91,
      320, 100, 137, 305);
  /* float confidence is rounded, not printed as 0.910000026 */
  fail_unless (strstr (lines[0], "\"confidence\":0.91,") != NULL, "%s",
      lines[0]);
  check_object (json_array_get_object_element (objs, 1), "car", -1, 0, 5, 6,
      7, 8);

  o = parse_line (parser, lines[1]);
  check_frame_header (o, 33333333, 1);
  objs = json_object_get_array_member (o, "objects");
  fail_unless_equals_int (json_array_get_length (objs), 0);
  fail_unless (strstr (lines[1], "\"objects\":[]") != NULL);

  o = parse_line (parser, lines[2]);
  check_frame_header (o, -1, 2);
  objs = json_object_get_array_member (o, "objects");
  fail_unless_equals_int (json_array_get_length (objs), 1);
  check_object (json_array_get_object_element (objs, 0), "dog", 16, 0.5, 0, 0,
      640, 480);

  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

/* ROI metas whose "detection" parameters were dropped on the way
 * (videoconvert/videoscale in GStreamer 1.22): the copy that yolodetect
 * keeps in its custom meta, by ROI id, is used; a copy whose label does not
 * match the ROI is not. */
GST_START_TEST (test_params_from_companion_meta)
{
  static const gchar *tags[] = { NULL };
  gchar *path = g_build_filename (tmp_dir, "companion.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  JsonParser *parser = json_parser_new ();
  GstVideoRegionOfInterestMeta *roi;
  GstCustomMeta *cm;
  GstStructure *cs, *d;
  JsonArray *objs;
  GstBuffer *buf;
  gchar **lines;
  guint n;

  if (!gst_meta_get_info (GST_YOLO_DETECTIONS_META_NAME))
    gst_meta_register_custom (GST_YOLO_DETECTIONS_META_NAME, tags, NULL,
        NULL, NULL);
  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  cm = gst_buffer_add_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  cs = gst_custom_meta_get_structure (cm);
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "person", 10, 20,
      30, 40);
  roi->id = 0;
  d = gst_structure_new ("detection", "label", G_TYPE_STRING, "person",
      "label_id", G_TYPE_INT, 0, "confidence", G_TYPE_DOUBLE, 0.75, NULL);
  gst_structure_set (cs, "roi-0", GST_TYPE_STRUCTURE, d, NULL);
  gst_structure_free (d);
  /* id 1 has a copy for another object */
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "car", 1, 2, 3, 4);
  roi->id = 1;
  d = gst_structure_new ("detection", "label", G_TYPE_STRING, "bus",
      "label_id", G_TYPE_INT, 5, "confidence", G_TYPE_DOUBLE, 0.5, NULL);
  gst_structure_set (cs, "roi-1", GST_TYPE_STRUCTURE, d, NULL);
  gst_structure_free (d);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  objs = json_object_get_array_member (parse_line (parser, lines[0]),
      "objects");
  fail_unless_equals_int (json_array_get_length (objs), 2);
  check_object (json_array_get_object_element (objs, 0), "person", 0, 0.75,
      10, 20, 30, 40);
  check_object (json_array_get_object_element (objs, 1), "car", -1, 0, 1, 2,
      3, 4);
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

/* yolotrack's ids: DL Streamer's "object_id" structure on the ROI, or the
 * companion meta's copy (after videoconvert dropped the parameters), as
 * "id"; an object without one has no "id" member */
GST_START_TEST (test_object_id)
{
  static const gchar *tags[] = { NULL };
  gchar *path = g_build_filename (tmp_dir, "ids.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  JsonParser *parser = json_parser_new ();
  GstVideoRegionOfInterestMeta *roi;
  GstCustomMeta *cm;
  GstStructure *cs, *d, *oid;
  JsonArray *objs;
  JsonObject *o;
  GstBuffer *buf;
  gchar **lines;
  guint n;

  if (!gst_meta_get_info (GST_YOLO_DETECTIONS_META_NAME))
    gst_meta_register_custom (GST_YOLO_DETECTIONS_META_NAME, tags, NULL,
        NULL, NULL);
  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  add_detection (buf, "person", 0, 0.9, 10, 20, 30, 40);
  roi = gst_buffer_get_video_region_of_interest_meta (buf);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("object_id", "id", G_TYPE_INT, 7, NULL));
  add_detection (buf, "car", 2, 0.5, 100, 20, 30, 40);
  /* the third as after videoconvert: the companion copies only */
  cm = gst_buffer_add_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  cs = gst_custom_meta_get_structure (cm);
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "dog", 5, 6, 7, 8);
  roi->id = 2;
  d = gst_structure_new ("detection", "label", G_TYPE_STRING, "dog",
      "label_id", G_TYPE_INT, 16, "confidence", G_TYPE_DOUBLE, 0.5, NULL);
  oid = gst_structure_new ("object_id", "id", G_TYPE_INT, 12, NULL);
  gst_structure_set (cs, "roi-2", GST_TYPE_STRUCTURE, d, "roi-2-object_id",
      GST_TYPE_STRUCTURE, oid, NULL);
  gst_structure_free (oid);
  gst_structure_free (d);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  fail_unless (strstr (lines[0], "\"confidence\":0.9,\"id\":7,\"x\":10")
      != NULL, "%s", lines[0]);
  objs = json_object_get_array_member (parse_line (parser, lines[0]),
      "objects");
  fail_unless_equals_int (json_array_get_length (objs), 3);
  o = json_array_get_object_element (objs, 0);
  fail_unless_equals_int64 (json_object_get_int_member (o, "id"), 7);
  o = json_array_get_object_element (objs, 1);
  fail_if (json_object_has_member (o, "id"));
  o = json_array_get_object_element (objs, 2);
  fail_unless_equals_int64 (json_object_get_int_member (o, "id"), 12);
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_post_messages)
{
  gchar *path = g_build_filename (tmp_dir, "msgs.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson post-messages=true "
      "location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();
  JsonParser *parser = json_parser_new ();
  GstBuffer *buf;
  gchar **lines;
  guint i, n;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);

  for (i = 0; i < 3; i++) {
    buf = make_buffer (i * GST_SECOND);
    if (i != 1)
      add_detection (buf, "person", 0, 0.25 * (i + 1), 10 * i, 20, 30, 40);
    gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  }

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 3);

  for (i = 0; i < 3; i++) {
    GstMessage *msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
    const GstStructure *s;
    guint64 pts, frame;
    JsonObject *o;

    fail_unless (msg != NULL, "message %u missing", i);
    fail_unless (GST_IS_YOLO_JSON (GST_MESSAGE_SRC (msg)));
    s = gst_message_get_structure (msg);
    fail_unless (gst_structure_has_name (s, "yolojson"));
    fail_unless (gst_structure_get_uint64 (s, "pts", &pts));
    fail_unless (gst_structure_get_uint64 (s, "frame", &frame));
    fail_unless_equals_uint64 (pts, i * GST_SECOND);
    fail_unless_equals_uint64 (frame, i);
    fail_unless_equals_string (gst_structure_get_string (s, "json"), lines[i]);
    o = parse_line (parser, gst_structure_get_string (s, "json"));
    check_frame_header (o, i * GST_SECOND, i);
    fail_unless_equals_int (json_array_get_length
        (json_object_get_array_member (o, "objects")), i == 1 ? 0 : 1);
    gst_message_unref (msg);
  }
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);

  g_strfreev (lines);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_no_messages_by_default)
{
  gchar *path = g_build_filename (tmp_dir, "quiet.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  gst_buffer_unref (gst_harness_push_and_pull (h, make_buffer (0)));
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT) == NULL);
  gst_element_set_bus (h->element, NULL);
  gst_harness_teardown (h);
  gst_object_unref (bus);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_restart_truncates_and_resets)
{
  gchar *path = g_build_filename (tmp_dir, "restart.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  JsonParser *parser = json_parser_new ();
  gchar **lines;
  guint run, n;

  for (run = 0; run < 2; run++) {
    GstHarness *h = gst_harness_new_parse (launch);
    gst_harness_set_src_caps_str (h, CAPS);
    gst_buffer_unref (gst_harness_push_and_pull (h, make_buffer (0)));
    gst_buffer_unref (gst_harness_push_and_pull (h, make_buffer (1)));
    gst_harness_teardown (h);
  }
  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 2);
  check_frame_header (parse_line (parser, lines[0]), 0, 0);
  check_frame_header (parse_line (parser, lines[1]), 1, 1);
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_open_error)
{
  GstElement *e = gst_element_factory_make ("yolojson", NULL);
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;
  gchar *path = g_build_filename (tmp_dir, "no", "such", "dir.jsonl", NULL);

  g_object_set (e, "location", path, NULL);
  gst_element_set_bus (e, bus);
  fail_unless_equals_int (gst_element_set_state (e, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_error_matches (err, GST_RESOURCE_ERROR,
          GST_RESOURCE_ERROR_OPEN_WRITE), "%s", err->message);
  /* the main message names the file and says why */
  fail_unless (strstr (err->message, path)
      && strstr (err->message, g_strerror (ENOENT)), "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);

  gst_element_set_state (e, GST_STATE_NULL);
  gst_element_set_bus (e, NULL);
  gst_object_unref (bus);
  gst_object_unref (e);
  g_free (path);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("yolojson", NULL);
  gchar *loc;
  gboolean post;

  fail_unless (e != NULL);
  g_object_get (e, "location", &loc, "post-messages", &post, NULL);
  fail_unless_equals_string (loc, "-");
  fail_unless (!post);
  g_free (loc);
  gst_object_unref (e);
}

GST_END_TEST;

/* An oriented box from another producer (DL Streamer's gvadetect): a
 * plain ROI meta of the unrotated box, its "detection" structure with
 * x_min.. (normalised) and "rotation" but none of our rotated_* fields.
 * yolojson reads it as gvawatermark draws it: rotated_box is the ROI
 * turned by rotation (regularised: w >= h, rotation in [0, pi)) and x, y,
 * w, h its bounding box (was: no rotated_box and the unrotated ROI). */
GST_START_TEST (test_foreign_obb)
{
  gchar *path = g_build_filename (tmp_dir, "foreign.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  JsonParser *parser = json_parser_new ();
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *st;
  GstBuffer *buf;
  JsonArray *objs, *rb;
  JsonObject *o;
  gchar **lines;
  /* 40 wide, 120 tall about 320, 240, turned by -0.2 rad: the same box
   * as 120 x 40 at pi/2 - 0.2 */
  gdouble r = G_PI / 2 - 0.2;
  gdouble ex = 60 * cos (r) + 20 * sin (r), ey = 60 * sin (r) + 20 * cos (r);

  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "ship", 300, 180,
      40, 120);
  st = gst_structure_new (GST_YOLO_DETECTION_STRUCTURE_NAME, "label",
      G_TYPE_STRING, "ship", "label_id", G_TYPE_INT, 1, "confidence",
      G_TYPE_DOUBLE, 0.75, "rotation", G_TYPE_DOUBLE, -0.2, "x_min",
      G_TYPE_DOUBLE, 300.0 / 640, "y_min", G_TYPE_DOUBLE, 180.0 / 480,
      "x_max", G_TYPE_DOUBLE, 340.0 / 640, "y_max", G_TYPE_DOUBLE,
      300.0 / 480, NULL);
  gst_video_region_of_interest_meta_add_param (roi, st);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  objs = single_line_objects (path, parser, &lines);
  fail_unless_equals_int (json_array_get_length (objs), 1);
  o = json_array_get_object_element (objs, 0);
  fail_unless (fabs (json_object_get_double_member (o, "rotation") - r) <
      1e-5, "%s", lines[0]);
  rb = json_object_get_array_member (o, "rotated_box");
  fail_unless (rb != NULL, "%s", lines[0]);
  fail_unless (fabs (json_array_get_double_element (rb, 0) - 320) < 0.01);
  fail_unless (fabs (json_array_get_double_element (rb, 1) - 240) < 0.01);
  fail_unless (fabs (json_array_get_double_element (rb, 2) - 120) < 0.01);
  fail_unless (fabs (json_array_get_double_element (rb, 3) - 40) < 0.01);
  fail_unless_equals_int (json_object_get_int_member (o, "x"),
      (gint) floor (320 - ex + 0.5));
  fail_unless_equals_int (json_object_get_int_member (o, "y"),
      (gint) floor (240 - ey + 0.5));
  fail_unless_equals_int (json_object_get_int_member (o, "w"),
      (gint) floor (320 + ex + 0.5) - (gint) floor (320 - ex + 0.5));
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);

  {
    /* the reader itself: the angle folded into [0, pi); no box from a
     * NaN, an inverted box, a missing x_min or a 0 x 0 frame */
    GstStructure *d = gst_structure_new (GST_YOLO_DETECTION_STRUCTURE_NAME,
        "rotation", G_TYPE_DOUBLE, 3 * G_PI + 0.25, "x_min", G_TYPE_DOUBLE,
        0.25, "y_min", G_TYPE_DOUBLE, 0.5, "x_max", G_TYPE_DOUBLE, 0.75,
        "y_max", G_TYPE_DOUBLE, 0.625, NULL);
    gdouble b[5];

    fail_unless (gst_yolo_meta_get_rotated_box (d, 640, 480, b));
    fail_unless (fabs (b[0] - 320) < 1e-9 && fabs (b[1] - 270) < 1e-9);
    fail_unless (fabs (b[2] - 320) < 1e-9 && fabs (b[3] - 60) < 1e-9);
    fail_unless (fabs (b[4] - 0.25) < 1e-9, "%g", b[4]);
    fail_unless (gst_yolo_meta_get_rotated_bounds (d, 640, 480, b));
    fail_if (gst_yolo_meta_get_rotated_box (d, 0, 0, b));
    gst_structure_set (d, "rotation", G_TYPE_DOUBLE, NAN, NULL);
    fail_if (gst_yolo_meta_get_rotated_box (d, 640, 480, b));
    fail_if (gst_yolo_meta_get_rotated_bounds (d, 640, 480, b));
    gst_structure_set (d, "rotation", G_TYPE_DOUBLE, 0.5, "x_max",
        G_TYPE_DOUBLE, 0.125, NULL);
    fail_if (gst_yolo_meta_get_rotated_box (d, 640, 480, b));
    gst_structure_set (d, "x_max", G_TYPE_DOUBLE, 0.75, NULL);
    gst_structure_remove_field (d, "x_min");
    fail_if (gst_yolo_meta_get_rotated_box (d, 640, 480, b));
    fail_if (gst_yolo_meta_get_rotated_bounds (d, 640, 480, b));
    gst_structure_free (d);
  }
}

GST_END_TEST;

/* The task structures yolodetect attaches (gstyolometa.c): keypoints in
 * frame pixels, the rotation and rotated box of an oriented box, a mask as
 * COCO uncompressed RLE over the ROI, and a frame-level classification
 * with its top-k. */
GST_START_TEST (test_task_extras)
{
  gchar *path = g_build_filename (tmp_dir, "tasks.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  GstHarness *h = gst_harness_new_parse (launch);
  JsonParser *parser = json_parser_new ();
  GstVideoRegionOfInterestMeta *roi;
  GstBuffer *buf;
  JsonArray *objs, *kp, *counts, *classes;
  JsonObject *o, *mask;
  gchar **lines;
  guint pos = 0, v = 0;
  gfloat xyc[17 * 3];
  guint8 m[6 * 4];
  GstYoloDetection det = { 100, 50, 300, 250, 0.8, 0, "person" };
  GstYoloDetection obb = { 10, 20, 50, 40, 0.7, 3, "ship" };
  gint ids[3] = { 7, 2, 9 };
  gdouble confs[3] = { 0.6, 0.25, 0.125 };
  const gchar *labels[3] = { "cat", "dog", "cow" };

  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  /* pose: 17 points, one outside the box */
  roi = gst_yolo_meta_add_detection (buf, 640, 480, &det);
  for (guint i = 0; i < 17; i++) {
    xyc[3 * i] = 100.25f + 10 * i;
    xyc[3 * i + 1] = 60.5f + 5 * i;
    xyc[3 * i + 2] = i / 16.0f;
  }
  xyc[3 * 16] = 330.0f;
  gst_yolo_meta_add_keypoints (buf, roi, 640, 480, 17, xyc);
  /* obb */
  gst_yolo_meta_add_rotated_detection (buf, 640, 480, &obb, 30, 30, 40, 12,
      0.5, GST_YOLO_OBB_ROI_AXIS_ALIGNED);
  /* segment: a 6x4 mask */
  det.x1 = 400;
  det.y1 = 300;
  det.x2 = 406;
  det.y2 = 304;
  roi = gst_yolo_meta_add_detection (buf, 640, 480, &det);
  fail_unless_equals_int (roi->w, 6);
  for (guint i = 0; i < 24; i++)
    m[i] = (i % 6) >= 2 && (i / 6) >= 1;        /* columns 2.., rows 1.. */
  gst_yolo_meta_add_mask (buf, roi, 6, 4, m);
  /* classification */
  gst_yolo_meta_add_classification (buf, 640, 480, 3, ids, confs, labels);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  objs = single_line_objects (path, parser, &lines);
  fail_unless_equals_int (json_array_get_length (objs), 4);

  o = json_array_get_object_element (objs, 0);
  kp = json_object_get_array_member (o, "keypoints");
  fail_unless_equals_int (json_array_get_length (kp), 17);
  for (guint i = 0; i < 17; i++) {
    JsonArray *p = json_array_get_array_element (kp, i);
    fail_unless (fabs (json_array_get_double_element (p, 0) - xyc[3 * i])
        <= 0.01, "x %u", i);
    fail_unless (fabs (json_array_get_double_element (p, 1) -
            xyc[3 * i + 1]) <= 0.01);
    fail_unless (fabs (json_array_get_double_element (p, 2) -
            xyc[3 * i + 2]) <= 1e-4);
  }
  fail_if (json_object_has_member (o, "rotation"));

  o = json_array_get_object_element (objs, 1);
  fail_unless_equals_string (json_object_get_string_member (o, "label"),
      "ship");
  fail_unless (fabs (json_object_get_double_member (o, "rotation") - 0.5) <
      1e-6);
  fail_unless_equals_int (json_array_get_length (json_object_get_array_member
          (o, "rotated_box")), 4);
  fail_unless (fabs (json_array_get_double_element (json_object_get_array_member
              (o, "rotated_box"), 2) - 40.0) < 1e-6);
  fail_if (json_object_has_member (o, "keypoints"));

  o = json_array_get_object_element (objs, 2);
  mask = json_object_get_object_member (o, "mask");
  fail_unless_equals_int (json_array_get_int_element
      (json_object_get_array_member (mask, "size"), 0), 4);
  fail_unless_equals_int (json_array_get_int_element
      (json_object_get_array_member (mask, "size"), 1), 6);
  counts = json_object_get_array_member (mask, "counts");
  /* column-major runs, zeros first: decode and compare */
  for (guint i = 0; i < json_array_get_length (counts); i++) {
    gint64 c = json_array_get_int_element (counts, i);
    for (gint64 k = 0; k < c; k++, pos++) {
      guint x = pos / 4, y = pos % 4;
      fail_unless (pos < 24);
      fail_unless_equals_int (m[y * 6 + x], v);
    }
    v ^= 1;
  }
  fail_unless_equals_int (pos, 24);
  /* 8 zeros (columns 0, 1), then 3 ones, 1 zero, ... */
  fail_unless_equals_int (json_array_get_int_element (counts, 0), 9);

  o = json_array_get_object_element (objs, 3);
  fail_unless_equals_string (json_object_get_string_member (o, "label"), "cat");
  fail_unless_equals_int (json_object_get_int_member (o, "label_id"), 7);
  fail_unless_equals_int (json_object_get_int_member (o, "w"), 640);
  classes = json_object_get_array_member (o, "classes");
  fail_unless_equals_int (json_array_get_length (classes), 3);
  for (guint i = 0; i < 3; i++) {
    JsonObject *c = json_array_get_object_element (classes, i);
    fail_unless_equals_string (json_object_get_string_member (c, "label"),
        labels[i]);
    fail_unless_equals_int (json_object_get_int_member (c, "label_id"), ids[i]);
    fail_unless (fabs (json_object_get_double_member (c, "confidence") -
            confs[i]) < 1e-4);
  }
  /* numbers as plain decimals, no placeholder left */
  fail_unless (strstr (lines[0], "\\u0001") == NULL, "%s", lines[0]);
  fail_unless (strstr (lines[0], "\"rotation\":0.5,") != NULL, "%s", lines[0]);

  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

/* What videoscale does to the metas of a 640x480 frame scaled to w x h
 * (GstVideoFilter's transform_meta, GStreamer 1.22): the ROI metas get the
 * video "scale" transform (x, y, w, h scaled; parameters dropped), the
 * tag-less companion meta is copied as it is. */
static GstBuffer *
videoscale_metas (GstBuffer * in, gint w, gint h)
{
  GstBuffer *out = gst_buffer_new_allocate (NULL, (gsize) w * h * 4, NULL);
  GstVideoInfo in_info, out_info;
  GstVideoMetaTransform scale = { &in_info, &out_info };
  GstMetaTransformCopy copy = { FALSE, 0, -1 };
  gpointer state = NULL;
  GstMeta *meta;

  gst_video_info_set_format (&in_info, GST_VIDEO_FORMAT_RGBA, 640, 480);
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGBA, w, h);
  GST_BUFFER_PTS (out) = GST_BUFFER_PTS (in);
  while ((meta = gst_buffer_iterate_meta (in, &state))) {
    if (meta->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)
      fail_unless (meta->info->transform_func (out, meta, in,
              gst_video_meta_transform_scale_get_quark (), &scale));
    else if (meta->info->transform_func)
      fail_unless (meta->info->transform_func (out, meta, in,
              _gst_meta_transform_copy, &copy));
  }
  gst_buffer_unref (in);
  return out;
}

/* After a videoscale (which scales the ROI metas and copies the companion
 * meta as it is) the rotated box is in the scaled frame's pixels and the
 * mask covers the scaled ROI rectangle: was the detection frame's box and
 * the unscaled mask (size [4, 6] over a 3x2 ROI). */
static JsonArray *
scaled_objects (gint w, gint hh, GstYoloObbRoi mode, JsonParser * parser,
    gchar *** lines)
{
  gchar *path = g_build_filename (tmp_dir, "scaled.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  gchar *caps = g_strdup_printf ("video/x-raw,format=RGBA,width=%d,height=%d,"
      "framerate=30/1", w, hh);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBuffer *buf = make_buffer (0);
  /* the bounding box of the rotated box 30, 30, 40 x 12, 0.5 rad */
  gdouble ex = 20 * cos (0.5) + 6 * sin (0.5), ey = 20 * sin (0.5) +
      6 * cos (0.5);
  GstYoloDetection obb = { 30 - ex, 30 - ey, 30 + ex, 30 + ey, 0.7, 3, "ship" };
  GstYoloDetection det = { 400, 300, 406, 304, 0.8, 0, "person" };
  GstVideoRegionOfInterestMeta *roi;
  guint8 m[6 * 4];
  JsonArray *objs;

  gst_harness_set_src_caps_str (h, caps);
  gst_yolo_meta_add_rotated_detection (buf, 640, 480, &obb, 30, 30, 40, 12,
      0.5, mode);
  roi = gst_yolo_meta_add_detection (buf, 640, 480, &det);
  for (guint i = 0; i < 24; i++)
    m[i] = (i % 6) >= 2 && (i / 6) >= 1;        /* columns 2.., rows 1.. */
  gst_yolo_meta_add_mask (buf, roi, 6, 4, m);
  buf = videoscale_metas (buf, w, hh);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);
  objs = single_line_objects (path, parser, lines);
  g_free (launch);
  g_free (caps);
  g_free (path);
  return objs;
}

GST_START_TEST (test_extras_after_videoscale)
{
  JsonParser *parser = json_parser_new ();
  JsonArray *objs, *rb, *size, *counts;
  JsonObject *o, *mask;
  gchar **lines, **lines_aa;
  gdouble c = cos (0.5), s = sin (0.5);

  /* the oriented box's x, y, w, h are its bounding box in this frame
   * whatever ROI rectangle obb-roi gave it: the same lines either way */
  objs = scaled_objects (320, 240, GST_YOLO_OBB_ROI_AXIS_ALIGNED, parser,
      &lines_aa);
  o = json_array_get_object_element (objs, 0);
  /* 9.57..50.43 x 15.15..44.85 halved */
  fail_unless_equals_int (json_object_get_int_member (o, "x"), 5);
  fail_unless_equals_int (json_object_get_int_member (o, "y"), 8);
  fail_unless_equals_int (json_object_get_int_member (o, "w"), 20);
  fail_unless_equals_int (json_object_get_int_member (o, "h"), 14);
  /* half size: everything halves, the angle stays */
  objs = scaled_objects (320, 240, GST_YOLO_OBB_ROI_ORIENTED, parser, &lines);
  fail_unless_equals_string (lines[0], lines_aa[0]);
  g_strfreev (lines_aa);
  fail_unless_equals_int (json_array_get_length (objs), 2);
  o = json_array_get_object_element (objs, 0);
  rb = json_object_get_array_member (o, "rotated_box");
  fail_unless (fabs (json_array_get_double_element (rb, 0) - 15) < 1e-6,
      "%s", lines[0]);
  fail_unless (fabs (json_array_get_double_element (rb, 1) - 15) < 1e-6);
  fail_unless (fabs (json_array_get_double_element (rb, 2) - 20) < 1e-6);
  fail_unless (fabs (json_array_get_double_element (rb, 3) - 6) < 1e-6);
  fail_unless (fabs (json_object_get_double_member (o, "rotation") - 0.5) <
      1e-6);
  o = json_array_get_object_element (objs, 1);
  fail_unless_equals_int (json_object_get_int_member (o, "w"), 3);
  fail_unless_equals_int (json_object_get_int_member (o, "h"), 2);
  mask = json_object_get_object_member (o, "mask");
  size = json_object_get_array_member (mask, "size");
  fail_unless_equals_int (json_array_get_int_element (size, 0), 2);
  fail_unless_equals_int (json_array_get_int_element (size, 1), 3);
  /* nearest samples of columns 1, 3, 5 and rows 1, 3: column 0 empty */
  counts = json_object_get_array_member (mask, "counts");
  fail_unless_equals_int (json_array_get_length (counts), 2);
  fail_unless_equals_int (json_array_get_int_element (counts, 0), 2);
  fail_unless_equals_int (json_array_get_int_element (counts, 1), 4);
  g_strfreev (lines);

  /* half width only: the w side's direction and the sides' lengths */
  objs = scaled_objects (320, 480, GST_YOLO_OBB_ROI_AXIS_ALIGNED, parser,
      &lines_aa);
  objs = scaled_objects (320, 480, GST_YOLO_OBB_ROI_ORIENTED, parser, &lines);
  fail_unless_equals_string (lines[0], lines_aa[0]);
  g_strfreev (lines_aa);
  o = json_array_get_object_element (objs, 0);
  rb = json_object_get_array_member (o, "rotated_box");
  fail_unless (fabs (json_array_get_double_element (rb, 0) - 15) < 1e-6);
  fail_unless (fabs (json_array_get_double_element (rb, 1) - 30) < 1e-6);
  fail_unless (fabs (json_array_get_double_element (rb, 2) -
          40 * sqrt (0.25 * c * c + s * s)) < 0.01, "%s", lines[0]);
  fail_unless (fabs (json_array_get_double_element (rb, 3) -
          12 * sqrt (0.25 * s * s + c * c)) < 0.01);
  fail_unless (fabs (json_object_get_double_member (o, "rotation") -
          atan2 (s, 0.5 * c)) < 1e-6);
  g_strfreev (lines);
  g_object_unref (parser);
}

GST_END_TEST;

/* the 4 corners (x, y) of a w x h rectangle centred on cx, cy, turned by r
 * radians (clockwise on screen): Ultralytics' xywhr2xyxyxyxy, and what
 * DL Streamer's gvawatermark draws (a cv::RotatedRect) of an oriented ROI
 * x, y, w, h with the detection's "rotation" r */
static void
turned_corners (gdouble cx, gdouble cy, gdouble w, gdouble h, gdouble r,
    gdouble p[8])
{
  gdouble c = cos (r), s = sin (r);
  gint sx[4] = { -1, 1, 1, -1 }, sy[4] = { -1, -1, 1, 1 };

  for (guint i = 0; i < 4; i++) {
    p[2 * i] = cx + sx[i] * w / 2 * c - sy[i] * h / 2 * s;
    p[2 * i + 1] = cy + sx[i] * w / 2 * s + sy[i] * h / 2 * c;
  }
}

/* a and b are the same 4 points within tol, in any order */
static void
assert_same_corners (const gdouble a[8], const gdouble b[8], gdouble tol)
{
  for (guint i = 0; i < 4; i++) {
    gdouble best = G_MAXDOUBLE;
    for (guint j = 0; j < 4; j++)
      best = MIN (best, hypot (a[2 * i] - b[2 * j], a[2 * i + 1] -
              b[2 * j + 1]));
    fail_unless (best <= tol, "corner %u (%.3f, %.3f) off by %.3f", i,
        a[2 * i], a[2 * i + 1], best);
  }
}

/* x_min, y_min, x_max, y_max of roi's "detection" structure, and of the
 * companion meta's copy, are x, y, x + w, y + h over a 640 x 480 frame */
static void
assert_normalised_box (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    gdouble x, gdouble y, gdouble w, gdouble h)
{
  GstStructure *ss[2] = {
    gst_video_region_of_interest_meta_get_param (roi, "detection"), NULL
  };
  GstCustomMeta *cm = gst_buffer_get_custom_meta (buf,
      GST_YOLO_DETECTIONS_META_NAME);
  gchar key[32];

  g_snprintf (key, sizeof (key), GST_YOLO_DETECTIONS_META_KEY, roi->id);
  fail_unless (cm != NULL);
  ss[1] = (GstStructure *) gst_value_get_structure (gst_structure_get_value
      (gst_custom_meta_get_structure (cm), key));
  for (guint i = 0; i < 2; i++) {
    gdouble v[4];
    fail_unless (ss[i] && gst_structure_get (ss[i], "x_min", G_TYPE_DOUBLE,
            &v[0], "y_min", G_TYPE_DOUBLE, &v[1], "x_max", G_TYPE_DOUBLE,
            &v[2], "y_max", G_TYPE_DOUBLE, &v[3], NULL));
    fail_unless (fabs (v[0] - x / 640) < 1e-9, "x_min %f", v[0]);
    fail_unless (fabs (v[1] - y / 480) < 1e-9, "y_min %f", v[1]);
    fail_unless (fabs (v[2] - (x + w) / 640) < 1e-9, "x_max %f", v[2]);
    fail_unless (fabs (v[3] - (y + h) / 480) < 1e-9, "y_max %f", v[3]);
  }
}

/* The ROI rectangle of an oriented box (gstyolometa.h, yolodetect's
 * obb-roi). oriented: DL Streamer's, the unrotated box, which turned by
 * "rotation" about its centre (gvawatermark) has the rotated box's
 * corners; across the frame's edge clipped side by side as DL Streamer
 * clips it. axis-aligned: the rotated box's bounding box. yolojson
 * reports the bounding box either way. */
GST_START_TEST (test_obb_roi_geometry)
{
  const gdouble cx = 200, cy = 150, bw = 80, bh = 30, r = 0.6;
  gdouble ex = fabs (bw / 2 * cos (r)) + fabs (bh / 2 * sin (r));
  gdouble ey = fabs (bw / 2 * sin (r)) + fabs (bh / 2 * cos (r));
  GstYoloDetection hull = { cx - ex, cy - ey, cx + ex, cy + ey, 0.7, 3,
    "ship"
  };
  GstYoloDetection edge = hull;
  GstVideoRegionOfInterestMeta *o, *a, *e;
  GstBuffer *buf = make_buffer (0);
  GstStructure *det;
  GstHarness *h;
  JsonParser *parser = json_parser_new ();
  JsonArray *objs;
  gchar *path = g_build_filename (tmp_dir, "obb.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  gchar **lines;
  gdouble got[8], want[8], b[4], rb[5];
  guint n;

  o = gst_yolo_meta_add_rotated_detection (buf, 640, 480, &hull, cx, cy, bw,
      bh, r, GST_YOLO_OBB_ROI_ORIENTED);
  a = gst_yolo_meta_add_rotated_detection (buf, 640, 480, &hull, cx, cy, bw,
      bh, r, GST_YOLO_OBB_ROI_AXIS_ALIGNED);
  /* 20 px from the left edge: its unrotated box is -20..60 */
  edge.x1 = 0;
  edge.x2 = 20 + ex;
  e = gst_yolo_meta_add_rotated_detection (buf, 640, 480, &edge, 20, cy, bw,
      bh, r, GST_YOLO_OBB_ROI_ORIENTED);

  /* oriented: the unrotated box, its corners turned are the box's */
  fail_unless (o->x == 160 && o->y == 135 && o->w == 80 && o->h == 30,
      "%u %u %u %u", o->x, o->y, o->w, o->h);
  assert_normalised_box (buf, o, 160, 135, 80, 30);
  det = gst_video_region_of_interest_meta_get_param (o, "detection");
  fail_unless (gst_yolo_meta_get_rotated_box (det, 640, 480, rb));
  turned_corners (o->x + o->w / 2.0, o->y + o->h / 2.0, o->w, o->h, rb[4], got);
  turned_corners (cx, cy, bw, bh, r, want);
  assert_same_corners (got, want, 1e-9);
  /* the exact box and its bounding box, as yolojson / yolooverlay read it */
  fail_unless (rb[0] == cx && rb[1] == cy && rb[2] == bw && rb[3] == bh
      && rb[4] == r);
  fail_unless (gst_yolo_meta_get_rotated_bounds (det, 640, 480, b));
  fail_unless (fabs (b[0] - hull.x1) < 1e-9 && fabs (b[1] - hull.y1) < 1e-9
      && fabs (b[2] - hull.x2) < 1e-9 && fabs (b[3] - hull.y2) < 1e-9);

  /* axis-aligned: the bounding box 158.5..241.5 x 115.0..185.0 */
  fail_unless (a->x == 159 && a->y == 115 && a->w == 82 && a->h == 70,
      "%u %u %u %u", a->x, a->y, a->w, a->h);
  assert_normalised_box (buf, a, hull.x1, hull.y1, hull.x2 - hull.x1,
      hull.y2 - hull.y1);

  /* across the edge: DL Streamer's clip, x_min 0 and the rest in frame */
  fail_unless (e->x == 0 && e->y == 135 && e->w == 60 && e->h == 30,
      "%u %u %u %u", e->x, e->y, e->w, e->h);
  assert_normalised_box (buf, e, 0, 135, 60, 30);
  det = gst_video_region_of_interest_meta_get_param (e, "detection");
  fail_unless (gst_yolo_meta_get_rotated_bounds (det, 640, 480, b));
  fail_unless (b[0] == 0 && fabs (b[2] - (20 + ex)) < 1e-9);

#if HAVE_GST_ANALYTICS
  {
    /* GStreamer's analytics mtd: >= 1.26 the oriented location (the
     * unrotated box, unclipped, and r), whose get_location() is the
     * bounding box; 1.24 / 1.25 the bounding box */
    GstAnalyticsRelationMeta *rmeta = gst_buffer_get_analytics_relation_meta
        (buf);
    GstAnalyticsODMtd od;
    gpointer state = NULL;
    guint i = 0;
    gint x, y, w, hh, want_x[3] = { 160, 160, -20 };

    fail_unless (rmeta != NULL);
    while (gst_analytics_relation_meta_iterate (rmeta, &state,
            gst_analytics_od_mtd_get_mtd_type (), &od)) {
#if HAVE_GST_ANALYTICS_ORIENTED
      gfloat rot;
      fail_unless (gst_analytics_od_mtd_get_oriented_location (&od, &x, &y, &w,
              &hh, &rot, NULL));
      fail_unless (x == want_x[i] && y == 135 && w == 80 && hh == 30,
          "%d %d %d %d", x, y, w, hh);
      fail_unless (fabs (rot - r) < 1e-6);
#else
      fail_unless (gst_analytics_od_mtd_get_location (&od, &x, &y, &w, &hh,
              NULL));
      if (i < 2)
        fail_unless (x == 159 && y == 115 && w == 82 && hh == 70,
            "%d %d %d %d", x, y, w, hh);
      (void) want_x;
#endif
      i++;
    }
    fail_unless_equals_int (i, 3);
  }
#endif

  /* yolojson: the bounding box for both */
  h = gst_harness_new_parse (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);
  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  objs = json_object_get_array_member (parse_line (parser, lines[0]),
      "objects");
  fail_unless_equals_int (json_array_get_length (objs), 3);
  for (guint i = 0; i < 3; i++) {
    JsonObject *j = json_array_get_object_element (objs, i);
    gint want_x = i < 2 ? 159 : 0, want_w = i < 2 ? 82 : 61;

    fail_unless_equals_int (json_object_get_int_member (j, "x"), want_x);
    fail_unless_equals_int (json_object_get_int_member (j, "y"), 115);
    fail_unless_equals_int (json_object_get_int_member (j, "w"), want_w);
    fail_unless_equals_int (json_object_get_int_member (j, "h"), 70);
  }
  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

/* the validator itself: what it must refuse */
GST_START_TEST (test_strict_validator)
{
  const gchar *good[] = { "{}", "[]", "{\"a\":[1,-0.5,2e+308,1E-3,0,null]}",
    "{\"s\":\"\\u00e9\\n\\\"\"}", "{\"a\" : true , \"b\":false}",
    "{\"l\":\"\xc3\xa9\"}"
  };
  const gchar *bad[] = { "{\"c\":nan.0}", "{\"c\":inf.0}", "{\"c\":-inf.0}",
    "{\"c\":NaN}", "{\"c\":Infinity}", "{\"c\":1e+308.0}", "{\"c\":01}",
    "{\"c\":1.}", "{\"c\":.5}", "{\"c\":1e}", "{\"c\":-}", "{\"c\":+1}",
    "{\"l\":\"a\xff\"}", "{\"l\":\"a\x01\"}", "{\"l\":\"\\x\"}", "{\"a\":1,}",
    "{\"a\":1} x", "{a:1}", "[1 2]", ""
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    fail_unless (json_is_valid (good[i]), "%s", good[i]);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    fail_if (json_is_valid (bad[i]), "%s", bad[i]);
}

GST_END_TEST;

/* Confidences JSON cannot hold or json-glib prints badly, and labels that
 * are not UTF-8 or need escaping, from ROI metas another element made:
 * every line is still strict JSON. NaN and infinities are written as null
 * (the object is kept); huge and tiny finite values as numbers that read
 * back. */
GST_START_TEST (test_non_finite_and_odd_values)
{
  gchar *path = g_build_filename (tmp_dir, "odd.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\" "
      "post-messages=true", path);
  GstHarness *h = gst_harness_new_parse (launch);
  GstBus *bus = gst_bus_new ();
  JsonParser *parser = json_parser_new ();
  const struct
  {
    gdouble conf;
    gboolean null;
    gdouble expect;
  } cases[] = {
    {NAN, TRUE, 0}, {INFINITY, TRUE, 0}, {-INFINITY, TRUE, 0},
    {1e308, FALSE, 1e308}, {-1.7976931348623157e308, FALSE,
        -1.7976931348623157e308},
    {1e15, FALSE, 1e15}, {123456.78901, FALSE, 123456.789},
    {1e-320, FALSE, 0}, {-0.0, FALSE, 0}, {-0.00004, FALSE, 0},
    {0.91, FALSE, 0.91}, {1.0, FALSE, 1.0}, {0.99996, FALSE, 1.0},
  };
  /* (GstStructure refuses strings that are not UTF-8: those can only come
   * from a roi_type, below) */
  const gchar *labels[] = { "quote\"back\\slash\x01\t", "caf\xc3\xa9" };
  GstBuffer *buf;
  GstMessage *msg;
  JsonArray *objs;
  gchar **lines;
  guint n;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    add_detection (buf, "person", 0, cases[i].conf, i, i, 10, 10);
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    add_detection (buf, labels[i], 1, 0.5, 100 + i, 0, 10, 10);
  /* plain ROIs whose roi_type is not UTF-8 */
  gst_buffer_add_video_region_of_interest_meta (buf, "bad\xff\xfeutf8", 1, 2,
      3, 4);
  gst_buffer_add_video_region_of_interest_meta (buf, "roi\xc3", 1, 2, 3, 4);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));

  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  /* the bus message carries the same text */
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ELEMENT);
  fail_unless (msg != NULL);
  fail_unless_equals_string (gst_structure_get_string
      (gst_message_get_structure (msg), "json"), lines[0]);
  gst_message_unref (msg);
  gst_object_unref (bus);
  GST_INFO ("%s", lines[0]);
  fail_if (strstr (lines[0], "nan") || strstr (lines[0], "inf"), "%s",
      lines[0]);
  objs = json_object_get_array_member (parse_line (parser, lines[0]),
      "objects");
  fail_unless_equals_int (json_array_get_length (objs),
      G_N_ELEMENTS (cases) + G_N_ELEMENTS (labels) + 2);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    JsonObject *o = json_array_get_object_element (objs, i);

    fail_unless_equals_string (json_object_get_string_member (o, "label"),
        "person");
    fail_unless_equals_int64 (json_object_get_int_member (o, "x"), i);
    if (cases[i].null) {
      fail_unless (json_object_get_null_member (o, "confidence"), "case %u", i);
    } else {
      gdouble v = json_object_get_double_member (o, "confidence");
      fail_unless (v == cases[i].expect, "case %u: %.17g, expected %.17g",
          i, v, cases[i].expect);
    }
  }
  /* short forms, no "-0.0", no %.17g noise */
  fail_unless (strstr (lines[0], "\"confidence\":1e+308,") != NULL);
  fail_unless (strstr (lines[0], "\"confidence\":-0.0") == NULL);
  fail_unless (strstr (lines[0], "\"confidence\":0.91,") != NULL);
  fail_unless (strstr (lines[0], "\"confidence\":123456.789,") != NULL);
  for (guint i = 0; i < G_N_ELEMENTS (labels); i++) {
    JsonObject *o = json_array_get_object_element (objs,
        G_N_ELEMENTS (cases) + i);
    fail_unless_equals_string (json_object_get_string_member (o, "label"),
        labels[i]);
    fail_unless (json_object_get_double_member (o, "confidence") == 0.5);
  }
  n = json_array_get_length (objs);
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (objs, n - 2), "label"),
      "bad\xef\xbf\xbd\xef\xbf\xbdutf8");
  fail_unless_equals_string (json_object_get_string_member
      (json_array_get_object_element (objs, n - 1), "label"),
      "roi\xef\xbf\xbd");

  g_strfreev (lines);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

static void
remove_tree (const gchar * path)
{
  GDir *d = g_dir_open (path, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (path, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      remove_tree (p);
    else
      g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (path);
}

/* Sets LC_NUMERIC to a locale whose decimal separator is a comma: de_DE
 * when installed, else one compiled with localedef into @dir (LOCPATH).
 * FALSE when neither works. */
static gboolean
set_comma_locale (const gchar * dir)
{
  gchar *localedef, *out;
  gboolean ok = FALSE;

  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL)
    return TRUE;
  localedef = g_find_program_in_path ("localedef");
  if (localedef == NULL)
    return FALSE;
  out = g_build_filename (dir, "de_DE.UTF-8", NULL);
  {
    gchar *argv[] = { localedef, (gchar *) "-i", (gchar *) "de_DE",
      (gchar *) "-f", (gchar *) "UTF-8", out, NULL
    };
    if (g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL |
            G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, NULL, NULL)) {
      g_setenv ("LOCPATH", dir, TRUE);
      ok = setlocale (LC_NUMERIC, "de_DE.UTF-8") != NULL;
    }
  }
  g_free (out);
  g_free (localedef);
  return ok;
}

/* Numbers are written with '.' whatever LC_NUMERIC says. */
GST_START_TEST (test_locale_independent)
{
  gchar *path = g_build_filename (tmp_dir, "locale.jsonl", NULL);
  gchar *launch = g_strdup_printf ("yolojson location=\"%s\"", path);
  gchar *locdir = g_dir_make_tmp ("yolojson-locale-XXXXXX", NULL);
  gchar *old = g_strdup (setlocale (LC_NUMERIC, NULL));
  JsonParser *parser = json_parser_new ();
  GstHarness *h;
  GstBuffer *buf;
  JsonArray *objs;
  gchar **lines, *probe;
  guint n;

  if (!set_comma_locale (locdir)) {
    GST_WARNING ("no de_DE locale and no localedef: not tested");
    g_printerr ("test_locale_independent: no de_DE locale and no "
        "localedef, not tested\n");
    goto done;
  }
  /* the locale is in effect: printf would write a comma */
  probe = g_strdup_printf ("%.2f", 0.25);
  fail_unless_equals_string (probe, "0,25");
  g_free (probe);

  h = gst_harness_new_parse (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  buf = make_buffer (0);
  add_detection (buf, "person", 0, 0.25, 1, 2, 3, 4);
  add_detection (buf, "person", 0, 1.5e300, 1, 2, 3, 4);
  gst_buffer_unref (gst_harness_push_and_pull (h, buf));
  gst_harness_teardown (h);

  lines = read_lines (path, &n);
  fail_unless_equals_int (n, 1);
  fail_unless (strstr (lines[0], "\"confidence\":0.25,") != NULL, "%s",
      lines[0]);
  fail_unless (strstr (lines[0], "\"confidence\":1.5e+300,") != NULL, "%s",
      lines[0]);
  objs = json_object_get_array_member (parse_line (parser, lines[0]),
      "objects");
  fail_unless (json_object_get_double_member (json_array_get_object_element
          (objs, 1), "confidence") == 1.5e300);
  g_strfreev (lines);

done:
  setlocale (LC_NUMERIC, old);
  remove_tree (locdir);
  g_free (locdir);
  g_free (old);
  g_object_unref (parser);
  g_free (launch);
  g_free (path);
}

GST_END_TEST;

static Suite *
yolojson_suite (void)
{
  Suite *s = suite_create ("yolojson");
  TCase *tc = tcase_create ("general");

  if (!GST_ELEMENT_REGISTER (yolo_json, NULL))
    g_error ("cannot register yolojson");

  suite_add_tcase (s, tc);
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_file_lines);
  tcase_add_test (tc, test_params_from_companion_meta);
  tcase_add_test (tc, test_object_id);
  tcase_add_test (tc, test_post_messages);
  tcase_add_test (tc, test_no_messages_by_default);
  tcase_add_test (tc, test_restart_truncates_and_resets);
  tcase_add_test (tc, test_open_error);
  tcase_add_test (tc, test_strict_validator);
  tcase_add_test (tc, test_task_extras);
  tcase_add_test (tc, test_extras_after_videoscale);
  tcase_add_test (tc, test_obb_roi_geometry);
  tcase_add_test (tc, test_foreign_obb);
  tcase_add_test (tc, test_non_finite_and_odd_values);
  tcase_add_test (tc, test_locale_independent);
  return s;
}

GST_CHECK_MAIN (yolojson);
