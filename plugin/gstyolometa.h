/* gstyolometa.h - detections as GStreamer metadata.
 *
 * Each detection is a GstVideoRegionOfInterestMeta in frame pixels whose
 * roi_type is the label quark, with a "detection" parameter structure
 * (DL Streamer's convention):
 *   label (string), label_id (int), confidence (double),
 *   x_min, y_min, x_max, y_max (double, normalised 0..1).
 * With GStreamer >= 1.24 an analytics object-detection mtd is added too.
 */
#ifndef __GST_YOLO_META_H__
#define __GST_YOLO_META_H__

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_YOLO_DETECTION_STRUCTURE_NAME "detection"

typedef struct
{
  /* frame pixels */
  gdouble x1, y1, x2, y2;
  gdouble confidence;
  gint label_id;
  const gchar *label;           /* may be NULL: the class number is used */
} GstYoloDetection;

/* Adds the ROI meta (and its "detection" structure) for det on a frame of
 * frame_w x frame_h pixels. Its id is its index among the buffer's ROI
 * metas (0, 1, ...), so gst_buffer_get_video_region_of_interest_meta_id()
 * can walk them (handy from Python). */
GstVideoRegionOfInterestMeta *gst_yolo_meta_add_detection (GstBuffer * buf,
    guint frame_w, guint frame_h, const GstYoloDetection * det);

/* yolodetect also keeps a copy of every "detection" structure in a
 * tag-less custom meta on the buffer, field "roi-<ROI id>": videoconvert
 * and videoscale transform ROI metas with the video "scale" transform,
 * which in GStreamer 1.22 drops their parameters, and copy tag-less metas
 * as they are (the normalised boxes stay right). */
#define GST_YOLO_DETECTIONS_META_NAME "GstYoloDetectionsMeta"
#define GST_YOLO_DETECTIONS_META_KEY "roi-%d"

/* The "detection" structure of roi (a ROI meta of buf): its own parameter,
 * else the copy in the custom meta above. buf may be NULL. Transfer none;
 * NULL if there is none. Inline, so that yolooverlay and yolojson (built
 * alone in their unit tests) need no other object file. */
static inline GstStructure *
gst_yolo_meta_find_params (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *s;
  GstCustomMeta *cm;
  const GValue *v;
  gchar key[32];

  s = gst_video_region_of_interest_meta_get_param (roi,
      GST_YOLO_DETECTION_STRUCTURE_NAME);
  if (s || !buf)
    return s;
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (!cm)
    return NULL;
  g_snprintf (key, sizeof (key), GST_YOLO_DETECTIONS_META_KEY, roi->id);
  v = gst_structure_get_value (gst_custom_meta_get_structure (cm), key);
  if (!v || !GST_VALUE_HOLDS_STRUCTURE (v))
    return NULL;
  s = (GstStructure *) gst_value_get_structure (v);
  /* the same object: the same label (ids are only unique per producer) */
  if (roi->roi_type != 0 && g_strcmp0 (gst_structure_get_string (s, "label"),
          g_quark_to_string (roi->roi_type)) != 0)
    return NULL;
  return s;
}

/* Tracking (yolotrack): DL Streamer's "object_id" structure (field "id",
 * int) is added to the ROI meta's parameters; the companion meta keeps a
 * copy under "object_id-<ROI id>" (int), for the same reason as above. */
#define GST_YOLO_OBJECT_ID_STRUCTURE_NAME "object_id"
#define GST_YOLO_OBJECT_ID_META_KEY "object_id-%d"

/* The companion meta's boolean "inferred": FALSE on a frame whose
 * detections repeat the last inference's (yolodetect inference-interval),
 * TRUE on a frame that was inferred. Absent: inferred. */
#define GST_YOLO_INFERRED_FIELD "inferred"

/* The object id of roi (a ROI meta of buf): its "object_id" parameter,
 * else the companion meta's copy. buf may be NULL. FALSE if it has none. */
static inline gboolean
gst_yolo_meta_find_object_id (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, gint * id)
{
  GstStructure *s;
  GstCustomMeta *cm;
  gchar key[40];

  s = gst_video_region_of_interest_meta_get_param (roi,
      GST_YOLO_OBJECT_ID_STRUCTURE_NAME);
  if (s)
    return gst_structure_get_int (s, "id", id);
  /* the copy only belongs to roi if its detection copy does */
  if (!buf || gst_video_region_of_interest_meta_get_param (roi,
          GST_YOLO_DETECTION_STRUCTURE_NAME)
      || !gst_yolo_meta_find_params (buf, roi))
    return FALSE;
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  g_snprintf (key, sizeof (key), GST_YOLO_OBJECT_ID_META_KEY, roi->id);
  return cm && gst_structure_get_int (gst_custom_meta_get_structure (cm), key,
      id);
}

/* Sets (replaces) the object id of roi, a ROI meta of buf. */
void gst_yolo_meta_set_object_id (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, gint id);

/* Moves roi (a detection ROI meta of buf, frame frame_w x frame_h) to the
 * box x1,y1 - x2,y2 in frame pixels: its rectangle, its "detection"
 * structure and the companion copy. */
void gst_yolo_meta_set_box (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h,
    gdouble x1, gdouble y1, gdouble x2, gdouble y2);

/* Marks buf as an inferred frame or not (GST_YOLO_INFERRED_FIELD). */
void gst_yolo_meta_mark_inferred (GstBuffer * buf, gboolean inferred);

/* FALSE only when buf is marked as not inferred. */
static inline gboolean
gst_yolo_meta_is_inferred (GstBuffer * buf)
{
  GstCustomMeta *cm;
  gboolean inferred;

  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (!cm || !gst_structure_get_boolean (gst_custom_meta_get_structure (cm),
          GST_YOLO_INFERRED_FIELD, &inferred))
    return TRUE;
  return inferred;
}

/* Reads a detection back from a ROI meta; label points into the meta (or
 * the quark table). Boxes come from the normalised fields when present
 * (frame_w/h scale them), else from the ROI rectangle. FALSE if the meta
 * has no "detection" structure. */
gboolean gst_yolo_meta_get_detection (GstVideoRegionOfInterestMeta * roi,
    guint frame_w, guint frame_h, GstYoloDetection * det);

/* Number of detection ROI metas on buf. */
guint gst_yolo_meta_count_detections (GstBuffer * buf);

G_END_DECLS
#endif /* __GST_YOLO_META_H__ */
