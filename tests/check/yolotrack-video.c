/* gst-yolo: yolotrack on a real video
 *
 * people-walking.mp4 (test data, 768x432, 10 fps, 1394 frames): six people
 * walk in one after the other, stand at the table and walk out (counted by
 * looking at every 20th frame: they enter around frames 70, 230, 510, 750,
 * 930 and 1240). yolodetect (yolov8n-320, classes=person) ! yolotrack must
 * give at least one id per person and at most 1.5 ids per person, with
 * inference on every frame (conf-threshold=0.1, as Ultralytics' track())
 * and on every third frame (the tracker predicts in between). The figures
 * found are printed and stated in the README.
 */

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include "gstyolometa.h"

#define PEOPLE 6

static GstPadProbeReturn
collect_ids (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GHashTable *ids = user_data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    gint id;

    if (gst_yolo_meta_find_object_id (buf, roi, &id)) {
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (ids,
              GINT_TO_POINTER (id)));

      g_hash_table_insert (ids, GINT_TO_POINTER (id), GUINT_TO_POINTER (n + 1));
    }
  }
  return GST_PAD_PROBE_OK;
}

/* distinct ids on the whole clip; -1 without test data (skipped) */
static gint
count_ids (const gchar * detect_props, const gchar * tracker_type)
{
  const gchar *data = g_getenv ("YOLO_TEST_DATA");
  gchar *video, *model, *launch;
  GstElement *pipe, *sink;
  GstPad *pad;
  GstMessage *msg;
  GHashTable *ids;
  gint n, max_id = 0;

  if (!data)
    return -1;
  video = g_build_filename (data, "media", "people-walking.mp4", NULL);
  model = g_build_filename (data, "models", "yolov8n-320.onnx", NULL);
  if (!g_file_test (video, G_FILE_TEST_EXISTS)
      || !g_file_test (model, G_FILE_TEST_EXISTS)) {
    GST_WARNING ("%s or %s missing: skipped", video, model);
    g_free (video);
    g_free (model);
    return -1;
  }
  launch = g_strdup_printf ("filesrc location=\"%s\" ! decodebin ! "
      "videoconvert ! yolodetect model=\"%s\" classes=person %s ! "
      "yolotrack tracker-type=%s ! fakesink name=sink sync=false", video,
      model, detect_props, tracker_type);
  pipe = gst_parse_launch (launch, NULL);
  fail_unless (pipe != NULL, "%s", launch);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  pad = gst_element_get_static_pad (sink, "sink");
  ids = g_hash_table_new (NULL, NULL);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, collect_ids, ids, NULL);
  fail_unless (gst_element_set_state (pipe, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipe),
      GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS,
      "pipeline error: %" GST_PTR_FORMAT, msg);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);

  n = g_hash_table_size (ids);
  {
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init (&it, ids);
    while (g_hash_table_iter_next (&it, &k, &v)) {
      GST_INFO ("%s, %s: id %d on %u frames", detect_props, tracker_type,
          GPOINTER_TO_INT (k), GPOINTER_TO_UINT (v));
      max_id = MAX (max_id, GPOINTER_TO_INT (k));
    }
  }
  /* ids are consecutive from 1 */
  fail_unless_equals_int (max_id, n);
  g_print ("yolodetect %s ! yolotrack tracker-type=%s: %d distinct ids for "
      "%d people\n", detect_props, tracker_type, n, PEOPLE);

  g_hash_table_unref (ids);
  gst_object_unref (pad);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (launch);
  g_free (video);
  g_free (model);
  return n;
}

static void
check_count (const gchar * detect_props, const gchar * tracker_type)
{
  gint n = count_ids (detect_props, tracker_type);

  if (n < 0)
    return;
  fail_unless (n >= PEOPLE, "%d ids for %d people", n, PEOPLE);
  fail_unless (2 * n <= 3 * PEOPLE, "%d ids for %d people (> 1.5x)", n, PEOPLE);
}

GST_START_TEST (test_people_walking_every_frame)
{
  /* the detection threshold of Ultralytics' track(): low-score detections
   * reach the second association */
  check_count ("conf-threshold=0.1", "bytetrack");
}

GST_END_TEST;

GST_START_TEST (test_people_walking_interval_3)
{
  check_count ("inference-interval=3", "bytetrack");
}

GST_END_TEST;

static Suite *
yolotrack_video_suite (void)
{
  Suite *s = suite_create ("yolotrack-video");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_people_walking_every_frame);
  tcase_add_test (tc, test_people_walking_interval_3);
  return s;
}

GST_CHECK_MAIN (yolotrack_video);
