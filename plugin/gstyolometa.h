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
