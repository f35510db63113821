/* gst-yolo: yolotrack unit tests
 *
 * The element in a GstHarness on synthetic moving boxes (ROI metas made
 * here, as yolodetect makes them): crossings, occlusions, objects entering
 * and leaving, low-score association, frames between inferences. The
 * element is registered statically from the sources compiled into this
 * program, so no model and no plugin library are needed. The tracker
 * itself (assignment vs brute force, Kalman) is tested in
 * tests/engine/test-tracker.c.
 */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>
#include <string.h>

#include "gstyolotrack.h"
#include "gstyolometa.h"
#include "yolo-tracker.h"

#define W 640
#define H 480
#define CAPS "video/x-raw,format=RGB,width=640,height=480,framerate=30/1"

/* ---- the element on synthetic boxes ----------------------------------- */

typedef struct
{
  gdouble x1, y1, x2, y2, score;
} Box;

/* what came out for one input box */
typedef struct
{
  gint id;                      /* -1: none */
  gdouble x1, y1, x2, y2;       /* the ROI's "detection" box, pixels */
} Out;

static GstHarness *
new_harness (const gchar * props)
{
  gchar *launch = g_strdup_printf ("yolotrack %s", props ? props : "");
  GstHarness *h = gst_harness_new_parse (launch);

  gst_harness_set_src_caps_str (h, CAPS);
  g_free (launch);
  return h;
}

/* Pushes one frame with boxes b[n] (as yolodetect attaches them; inferred
 * < 0: no mark, else the companion meta's "inferred") and fills out[n],
 * in input order. */
static void
push_frame (GstHarness * h, const Box * b, guint n, gint inferred, Out * out)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  guint i = 0;

  for (guint k = 0; k < n; k++) {
    GstYoloDetection d = { b[k].x1, b[k].y1, b[k].x2, b[k].y2, b[k].score,
      0, "person"
    };
    gst_yolo_meta_add_detection (buf, W, H, &d);
  }
  if (inferred >= 0)
    gst_yolo_meta_mark_inferred (buf, inferred);
  buf = gst_harness_push_and_pull (h, buf);
  fail_unless (buf != NULL);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstYoloDetection d;

    fail_unless (i < n);
    if (!gst_yolo_meta_find_object_id (buf, roi, &out[i].id))
      out[i].id = -1;
    fail_unless (gst_yolo_meta_get_detection (roi, W, H, &d));
    out[i].x1 = d.x1;
    out[i].y1 = d.y1;
    out[i].x2 = d.x2;
    out[i].y2 = d.y2;
    i++;
  }
  fail_unless_equals_int (i, n);
  gst_buffer_unref (buf);
}

static Box
box_at (gdouble cx, gdouble cy, gdouble w, gdouble h, gdouble score)
{
  Box b = { cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, score };
  return b;
}

/* Two people walk towards each other along nearly the same line, their
 * boxes overlap for several frames (IoU up to 0.6) and they part: each
 * keeps its id, also through the crossing. */
GST_START_TEST (test_crossing)
{
  GstHarness *h = new_harness (NULL);

  for (guint f = 0; f < 60; f++) {
    Box b[2] = {
      box_at (100 + 8.0 * f, 240, 60, 140, 0.9),
      box_at (572 - 8.0 * f, 250, 60, 140, 0.85),
    };
    Out o[2];

    push_frame (h, b, 2, -1, o);
    fail_unless_equals_int (o[0].id, 1);
    fail_unless_equals_int (o[1].id, 2);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Occlusion: an object walks behind a pillar (no detection for 6 frames)
 * and comes out where its motion puts it: the same id. A second object
 * enters meanwhile: no id on its first frame (unconfirmed), id 2 from its
 * second. */
GST_START_TEST (test_occlusion_and_new_object)
{
  GstHarness *h = new_harness (NULL);
  Out o[2];

  for (guint f = 0; f < 40; f++) {
    Box a = box_at (80 + 10.0 * f, 200, 50, 120, 0.8);
    Box c = box_at (500, 380, 80, 80, 0.7);
    gboolean hidden = f >= 15 && f < 21;
    Box b[2];
    guint n = 0;

    if (!hidden)
      b[n++] = a;
    if (f >= 18)
      b[n++] = c;
    push_frame (h, b, n, -1, o);
    if (!hidden)
      fail_unless_equals_int (o[0].id, 1);
    if (f >= 18)
      fail_unless_equals_int (o[n - 1].id, f == 18 ? -1 : 2);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Leaving: an object gone longer than track-buffer frames is forgotten;
 * the next one at the same spot gets a new id. Within the buffer it gets
 * its id back (the lost track stays where it was: no height velocity, and
 * here no motion). */
GST_START_TEST (test_leaving_and_track_buffer)
{
  GstHarness *h = new_harness ("track-buffer=5");
  Box b = box_at (300, 200, 60, 120, 0.9);
  Out o;

  for (guint f = 0; f < 5; f++) {
    push_frame (h, &b, 1, -1, &o);
    fail_unless_equals_int (o.id, 1);
  }
  /* away 5 frames (= track-buffer at 30 fps): kept */
  for (guint f = 0; f < 5; f++)
    push_frame (h, NULL, 0, -1, NULL);
  push_frame (h, &b, 1, -1, &o);
  fail_unless_equals_int (o.id, 1);
  /* away 7 frames: removed, a new track (unconfirmed on its first frame) */
  for (guint f = 0; f < 7; f++)
    push_frame (h, NULL, 0, -1, NULL);
  push_frame (h, &b, 1, -1, &o);
  fail_unless_equals_int (o.id, -1);
  push_frame (h, &b, 1, -1, &o);
  fail_unless_equals_int (o.id, 2);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* track-buffer counts frames at 30 fps: at 60 fps 5 means 10 frames */
GST_START_TEST (test_track_buffer_scaled_by_frame_rate)
{
  GstHarness *h = gst_harness_new_parse ("yolotrack track-buffer=5");
  Box b = box_at (300, 200, 60, 120, 0.9);
  Out o;

  gst_harness_set_src_caps_str (h,
      "video/x-raw,format=RGB,width=640,height=480,framerate=60/1");
  push_frame (h, &b, 1, -1, &o);
  fail_unless_equals_int (o.id, 1);
  for (guint f = 0; f < 9; f++)
    push_frame (h, NULL, 0, -1, NULL);
  push_frame (h, &b, 1, -1, &o);
  fail_unless_equals_int (o.id, 1);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Second association: a tracked object whose confidence drops between
 * track-low-thresh and track-high-thresh keeps its id; below
 * track-low-thresh it is ignored (the track is lost, then found again). A
 * new object with low scores only never gets a track. */
GST_START_TEST (test_low_score_second_stage)
{
  GstHarness *h = new_harness (NULL);
  Out o[2];

  for (guint f = 0; f < 30; f++) {
    gdouble s = (f >= 10 && f < 15) ? 0.15 : (f >= 20 && f < 23) ? 0.05 : 0.9;
    Box b[2] = {
      box_at (100 + 6.0 * f, 200, 60, 120, s),
      box_at (500, 100, 50, 50, 0.2),
    };

    push_frame (h, b, 2, -1, o);
    fail_unless_equals_int (o[0].id, (f >= 20 && f < 23) ? -1 : 1);
    fail_unless_equals_int (o[1].id, -1);
  }
  /* without the second stage (track-low-thresh at track-high-thresh) the
   * low-score frames lose the object */
  gst_harness_teardown (h);
  h = new_harness ("track-low-thresh=0.25");
  for (guint f = 0; f < 12; f++) {
    Box b = box_at (100 + 6.0 * f, 200, 60, 120, f >= 10 ? 0.15 : 0.9);

    push_frame (h, &b, 1, -1, o);
    fail_unless_equals_int (o[0].id, f >= 10 ? -1 : 1);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Frames between inferences (yolodetect inference-interval=3): they repeat
 * the last inference's boxes; the tracker moves them to the Kalman
 * prediction, keeps the ids, and the next inference continues the tracks.
 * The predicted box is nearer the true position than the stale one. */
GST_START_TEST (test_between_inferences)
{
  GstHarness *h = new_harness (NULL);
  Box last[2];
  Out o[2];
  gdouble err_pred = 0.0, err_stale = 0.0;
  guint n_err = 0;

  for (guint f = 0; f < 60; f++) {
    Box truth[2] = {
      box_at (60 + 7.0 * f, 200, 60, 120, 0.9),
      box_at (580 - 5.0 * f, 320, 70, 130, 0.8),
    };
    gboolean inferred = f % 3 == 0;

    if (inferred)
      memcpy (last, truth, sizeof (last));
    push_frame (h, last, 2, inferred, o);
    fail_unless_equals_int (o[0].id, 1);
    fail_unless_equals_int (o[1].id, 2);
    if (!inferred && f > 30) {
      for (guint k = 0; k < 2; k++) {
        err_pred += fabs ((o[k].x1 + o[k].x2) / 2 - (truth[k].x1 +
                truth[k].x2) / 2);
        err_stale += fabs ((last[k].x1 + last[k].x2) / 2 - (truth[k].x1 +
                truth[k].x2) / 2);
        n_err++;
      }
    } else if (inferred) {
      /* inferred frames keep the detector's boxes */
      g_assert_cmpfloat_with_epsilon (o[0].x1, truth[0].x1, 1e-6);
    }
  }
  GST_INFO ("mean centre error over %u boxes: predicted %.3f px, stale "
      "%.3f px", n_err, err_pred / n_err, err_stale / n_err);
  fail_unless (err_pred < 0.25 * err_stale, "predicted %f, stale %f",
      err_pred, err_stale);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Between inferences a box that carries a shape tied to it (pose
 * keypoints, a rotated box) stays the detector's, so that box and shape
 * still agree; it keeps its id. A plain box moves with its track. */
/* A rotated box is tracked by the region it covers, whatever ROI
 * rectangle yolodetect's obb-roi gave it: a thin upright box (100 x 10 at
 * pi/2 rad) falling 30 px a frame keeps one id in both modes. Its
 * unrotated box (obb-roi=oriented, 100 wide, 10 high) does not overlap
 * from one frame to the next; its bounding box (10 x 100) does. Mode 2:
 * the same box from another producer (DL Streamer's gvadetect: a plain ROI
 * of the unrotated box, "rotation" and x_min.. but no rotated_* fields),
 * which was tracked by its unrotated box and lost its id. */
GST_START_TEST (test_rotated_box_tracked_by_bounds)
{
  for (guint m = 0; m < 3; m++) {
    GstHarness *h = new_harness (NULL);

    for (guint f = 0; f < 12; f++) {
      gdouble cx = 300, cy = 80 + 30.0 * f, r = G_PI / 2;
      GstYoloDetection d = { cx - 5, cy - 50, cx + 5, cy + 50, 0.9, 0,
        "ship"
      };
      GstBuffer *buf = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
      GstVideoRegionOfInterestMeta *roi;
      gint id = -1;

      if (m == 2) {
        roi = gst_buffer_add_video_region_of_interest_meta (buf, "ship",
            (guint) (cx - 50), (guint) (cy - 5), 100, 10);
        gst_video_region_of_interest_meta_add_param (roi,
            gst_structure_new (GST_YOLO_DETECTION_STRUCTURE_NAME, "label",
                G_TYPE_STRING, "ship", "label_id", G_TYPE_INT, 0,
                "confidence", G_TYPE_DOUBLE, 0.9, "rotation", G_TYPE_DOUBLE,
                r, "x_min", G_TYPE_DOUBLE, (cx - 50) / W, "y_min",
                G_TYPE_DOUBLE, (cy - 5) / H, "x_max", G_TYPE_DOUBLE,
                (cx + 50) / W, "y_max", G_TYPE_DOUBLE, (cy + 5) / H, NULL));
      } else {
        gst_yolo_meta_add_rotated_detection (buf, W, H, &d, cx, cy, 100, 10,
            r, m ? GST_YOLO_OBB_ROI_AXIS_ALIGNED : GST_YOLO_OBB_ROI_ORIENTED);
      }
      if (m == 0) {
        roi = gst_buffer_get_video_region_of_interest_meta (buf);
        fail_unless (roi->w == 100 && roi->h == 10);
      }
      buf = gst_harness_push_and_pull (h, buf);
      roi = gst_buffer_get_video_region_of_interest_meta (buf);
      fail_unless (roi != NULL);
      /* confirmed on the second detection, the same id from then on */
      if (f > 0)
        fail_unless (gst_yolo_meta_find_object_id (buf, roi, &id) && id == 1,
            "mode %u frame %u: id %d", m, f, id);
      gst_buffer_unref (buf);
    }
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_shapes_between_inferences)
{
  GstHarness *h = new_harness (NULL);
  Box last[3] = { {0}
  };

  for (guint f = 0; f < 30; f++) {
    Box truth[3] = {
      box_at (60 + 7.0 * f, 100, 60, 120, 0.9),
      box_at (580 - 5.0 * f, 300, 70, 130, 0.8),
      box_at (100 + 6.0 * f, 400, 50, 50, 0.85),
    };
    gboolean inferred = f % 3 == 0;
    GstBuffer *buf = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
    GstVideoRegionOfInterestMeta *roi;
    gpointer state = NULL;
    guint i = 0;

    if (inferred)
      memcpy (last, truth, sizeof (last));
    for (guint k = 0; k < 3; k++) {
      GstYoloDetection d = { last[k].x1, last[k].y1, last[k].x2, last[k].y2,
        last[k].score, 0, "person"
      };
      if (k == 1) {
        roi = gst_yolo_meta_add_rotated_detection (buf, W, H, &d,
            (d.x1 + d.x2) / 2, (d.y1 + d.y2) / 2, d.x2 - d.x1, d.y2 - d.y1,
            0.0, GST_YOLO_OBB_ROI_AXIS_ALIGNED);
      } else {
        roi = gst_yolo_meta_add_detection (buf, W, H, &d);
      }
      if (k == 0) {
        gfloat kp[3] = { (d.x1 + d.x2) / 2, (d.y1 + d.y2) / 2, 0.9f };
        gst_yolo_meta_add_keypoints (buf, roi, W, H, 1, kp);
      }
    }
    gst_yolo_meta_mark_inferred (buf, inferred);
    buf = gst_harness_push_and_pull (h, buf);
    while ((roi = (GstVideoRegionOfInterestMeta *)
            gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      GstYoloDetection d;
      gint id = -1;

      fail_unless (gst_yolo_meta_get_detection (roi, W, H, &d));
      if (f > 0)
        fail_unless (gst_yolo_meta_find_object_id (buf, roi, &id)
            && id == (gint) i + 1, "frame %u box %u: id %d", f, i, id);
      if (i < 2 || inferred)
        g_assert_cmpfloat_with_epsilon (d.x1, last[i].x1, 1e-3);
      else if (f >= 9)
        fail_unless (fabs (d.x1 - last[i].x1) > 3.0,
            "frame %u: the plain box was not moved (%f)", f, d.x1);
      i++;
    }
    fail_unless_equals_int (i, 3);
    gst_buffer_unref (buf);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* tracker-type=iou: no motion model; slow objects keep their ids, an
 * object that jumps further than its box is a new track */
GST_START_TEST (test_iou_tracker)
{
  GstHarness *h = new_harness ("tracker-type=iou");
  Out o[2];

  for (guint f = 0; f < 20; f++) {
    Box b[2] = {
      box_at (100 + 3.0 * f, 200, 60, 120, 0.9),
      box_at (400, 300 - 2.0 * f, 80, 80, 0.6),
    };

    push_frame (h, b, 2, -1, o);
    fail_unless_equals_int (o[0].id, 1);
    fail_unless_equals_int (o[1].id, 2);
  }
  /* a frame between inferences: ids, boxes as they were (no motion) */
  {
    Box b[2] = {
      box_at (100 + 3.0 * 19, 200, 60, 120, 0.9),
      box_at (400, 300 - 2.0 * 19, 80, 80, 0.6),
    };

    push_frame (h, b, 2, FALSE, o);
    fail_unless_equals_int (o[0].id, 1);
    fail_unless_equals_int (o[1].id, 2);
    g_assert_cmpfloat_with_epsilon (o[0].x1, b[0].x1, 1e-6);
    g_assert_cmpfloat_with_epsilon (o[1].y2, b[1].y2, 1e-6);
  }
  {
    Box b = box_at (500, 60, 60, 120, 0.9);

    push_frame (h, &b, 1, -1, o);
    fail_unless_equals_int (o[0].id, 3);
  }
  gst_harness_teardown (h);
}

GST_END_TEST;

/* the id also lands in the companion meta (for after videoconvert), and
 * the first frame after a flush starts again at 1 */
GST_START_TEST (test_companion_and_flush)
{
  GstHarness *h = new_harness (NULL);
  Box b = box_at (300, 200, 60, 120, 0.9);
  GstBuffer *buf;
  GstVideoRegionOfInterestMeta *roi;
  GstCustomMeta *cm;
  GstStructure *s;
  gint id = 0;
  Out o;

  for (guint f = 0; f < 3; f++)
    push_frame (h, &b, 1, -1, &o);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  {
    GstSegment seg;

    gst_segment_init (&seg, GST_FORMAT_TIME);
    fail_unless (gst_harness_push_event (h, gst_event_new_segment (&seg)));
  }
  b.x1 += 200;
  b.x2 += 200;
  buf = gst_buffer_new_allocate (NULL, W * H * 3, NULL);
  {
    GstYoloDetection d = { b.x1, b.y1, b.x2, b.y2, 0.9, 0, "person" };
    gst_yolo_meta_add_detection (buf, W, H, &d);
  }
  buf = gst_harness_push_and_pull (h, buf);
  roi = gst_buffer_get_video_region_of_interest_meta (buf);
  fail_unless (roi != NULL);
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  fail_unless (cm != NULL);
  /* the companion copy, named like the other per-object structures */
  fail_unless (gst_structure_get (gst_custom_meta_get_structure (cm),
          "roi-0-object_id", GST_TYPE_STRUCTURE, &s, NULL));
  fail_unless (gst_structure_has_name (s, "object_id"));
  fail_unless (gst_structure_get_int (s, "id", &id));
  gst_structure_free (s);
  fail_unless_equals_int (id, 1);
  /* DL Streamer's structure on the ROI */
  fail_unless (gst_structure_get_int
      (gst_video_region_of_interest_meta_get_param (roi, "object_id"), "id",
          &id));
  fail_unless_equals_int (id, 1);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* Hostile input: degenerate, inverted and non-finite boxes and NaN scores
 * get no id and do not disturb the others; frames without any meta pass. */
GST_START_TEST (test_bad_boxes)
{
  GstHarness *h = new_harness (NULL);
  Out o[4];

  for (guint f = 0; f < 10; f++) {
    Box b[4] = {
      box_at (100 + 5.0 * f, 200, 60, 120, 0.9),
      {300, 300, 300, 350, 0.9},
      {400, 300, 350, 250, 0.9},
      {10, 10, 50, 50, NAN},
    };

    push_frame (h, b, 4, -1, o);
    fail_unless_equals_int (o[0].id, 1);
    fail_unless_equals_int (o[1].id, -1);
    fail_unless_equals_int (o[2].id, -1);
    fail_unless_equals_int (o[3].id, -1);
  }
  gst_buffer_unref (gst_harness_push_and_pull (h,
          gst_buffer_new_allocate (NULL, W * H * 3, NULL)));
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("yolotrack", NULL);
  gdouble hi, lo, nt, mt;
  guint buf;
  gboolean fuse;
  gint type;

  fail_unless (e != NULL);
  g_object_get (e, "track-high-thresh", &hi, "track-low-thresh", &lo,
      "new-track-thresh", &nt, "match-thresh", &mt, "track-buffer", &buf,
      "fuse-score", &fuse, "tracker-type", &type, NULL);
  g_assert_cmpfloat_with_epsilon (hi, 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (lo, 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (nt, 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (mt, 0.8, 1e-12);
  fail_unless_equals_int (buf, 30);
  fail_unless (fuse);
  fail_unless_equals_int (type, YOLO_TRACKER_BYTETRACK);
  gst_util_set_object_arg (G_OBJECT (e), "tracker-type", "iou");
  g_object_set (e, "track-buffer", 90, "match-thresh", 0.5, NULL);
  g_object_get (e, "tracker-type", &type, "track-buffer", &buf,
      "match-thresh", &mt, NULL);
  fail_unless_equals_int (type, YOLO_TRACKER_IOU);
  fail_unless_equals_int (buf, 90);
  g_assert_cmpfloat_with_epsilon (mt, 0.5, 1e-12);
  gst_object_unref (e);
}

GST_END_TEST;

/* caps without a size: refused with an element error, no crash */
GST_START_TEST (test_caps_without_size)
{
  GstHarness *h = gst_harness_new ("yolotrack");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;

  gst_element_set_bus (h->element, bus);
  gst_harness_set_src_caps_str (h, "video/x-raw,format=RGB");
  fail_unless (gst_harness_push (h, gst_buffer_new_allocate (NULL, 16,
              NULL)) != GST_FLOW_OK);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
yolotrack_suite (void)
{
  Suite *s = suite_create ("yolotrack");
  TCase *tc = tcase_create ("general");

  if (!GST_ELEMENT_REGISTER (yolo_track, NULL))
    g_error ("cannot register yolotrack");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_crossing);
  tcase_add_test (tc, test_rotated_box_tracked_by_bounds);
  tcase_add_test (tc, test_occlusion_and_new_object);
  tcase_add_test (tc, test_leaving_and_track_buffer);
  tcase_add_test (tc, test_track_buffer_scaled_by_frame_rate);
  tcase_add_test (tc, test_low_score_second_stage);
  tcase_add_test (tc, test_between_inferences);
  tcase_add_test (tc, test_shapes_between_inferences);
  tcase_add_test (tc, test_iou_tracker);
  tcase_add_test (tc, test_companion_and_flush);
  tcase_add_test (tc, test_bad_boxes);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_caps_without_size);
  return s;
}

GST_CHECK_MAIN (yolotrack);
