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

#include <math.h>
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

/* Other per-object structures, DL Streamer's tensor conventions (each is a
 * parameter of the object's ROI meta, with a copy in the custom meta above
 * under "roi-<ROI id>-<structure name>"):
 *
 * "keypoints" (pose): format "keypoints", dims <K, 2> (uint array),
 *   precision 10 (FP32), data_buffer (GVariant "ay": K x 2 native-endian
 *   floats, each point relative to the object's box: x = x_min + px *
 *   (x_max - x_min) in the "detection" structure's normalised coordinates),
 *   confidence (float array, K), and for the 17 COCO keypoints point_names
 *   and point_connections (string arrays: pairs of names, the skeleton).
 * "mask" (segment): format "segmentation_mask", dims <W, H> (uint array:
 *   columns, rows), precision 40 (U8), data_buffer (GVariant "ay": W x H
 *   bytes, row-major, 1 = object), covering the ROI rectangle (x, y, w, h
 *   of the ROI meta) in W x H equal cells: W = w, H = h at frame
 *   resolution (yolodetect retina-masks=TRUE), smaller at the network
 *   input's (the default) or under the per-frame mask budget; read it at
 *   the ROI's size with gst_yolo_meta_get_roi_mask().
 * "detection" of an oriented box (obb) has a "rotation" field (radians,
 *   in [0, pi), clockwise on screen since y points down, w >= h as
 *   Ultralytics regularises it) and the rotated box's centre and sides in
 *   frame pixels, "rotated_cx", "rotated_cy", "rotated_w", "rotated_h"
 *   (doubles; w along the rotation's direction), with "frame_width",
 *   "frame_height" (ints: the frame those pixels are of, so that a reader
 *   after a videoscale scales them to its frame:
 *   gst_yolo_meta_get_rotated_box()). The ROI meta and x_min.. are, by
 *   GstYoloObbRoi (yolodetect's obb-roi):
 *   oriented (default): DL Streamer's oriented ROI, the unrotated box
 *     (centre +- w/2, h/2) that "rotation" turns about its centre, as DL
 *     Streamer 2024.1-2025.1's gvadetect writes it and gvawatermark /
 *     RegionOfInterest::rotation() read it; clipped to the frame like
 *     DL Streamer clips it (each side on its own: a box across the frame
 *     edge keeps its in-frame part, whose centre moves, so the exact box
 *     is the rotated_* fields);
 *   axis-aligned: the rotated box's axis-aligned bounding box, clipped to
 *     the frame (what covers the object; DL Streamer would draw it turned).
 *   With GStreamer >= 1.26 the analytics mtd of an obb detection is the
 *   oriented GstAnalyticsODMtd (unrotated box + rotation, unclipped:
 *   gst_analytics_od_mtd_get_oriented_location()) in either mode. */
#define GST_YOLO_KEYPOINTS_STRUCTURE_NAME "keypoints"
#define GST_YOLO_MASK_STRUCTURE_NAME "mask"
#define GST_YOLO_CLASSIFICATION_STRUCTURE_NAME "classification"

/* The two guint values of a "dims" array field (as upstream elements fill
 * it: anything may be there); FALSE when dv is not an array of 2 guints. */
static inline gboolean
gst_yolo_meta_get_dims (const GValue * dv, guint * a, guint * b)
{
  const GValue *va, *vb;

  if (!dv || !GST_VALUE_HOLDS_ARRAY (dv) || gst_value_array_get_size (dv) != 2)
    return FALSE;
  va = gst_value_array_get_value (dv, 0);
  vb = gst_value_array_get_value (dv, 1);
  if (!G_VALUE_HOLDS_UINT (va) || !G_VALUE_HOLDS_UINT (vb))
    return FALSE;
  *a = g_value_get_uint (va);
  *b = g_value_get_uint (vb);
  return TRUE;
}

/* Like gst_yolo_meta_find_params() for the structure called name. */
static inline GstStructure *
gst_yolo_meta_find_named_params (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, const gchar * name)
{
  GstStructure *s;
  GstCustomMeta *cm;
  const GValue *v;
  gchar *key;

  s = gst_video_region_of_interest_meta_get_param (roi, name);
  if (s || !buf)
    return s;
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (!cm)
    return NULL;
  key = g_strdup_printf (GST_YOLO_DETECTIONS_META_KEY "-%s", roi->id, name);
  v = gst_structure_get_value (gst_custom_meta_get_structure (cm), key);
  g_free (key);
  if (!v || !GST_VALUE_HOLDS_STRUCTURE (v))
    return NULL;
  return (GstStructure *) gst_value_get_structure (v);
}

/* What the ROI rectangle (and x_min..) of an oriented box is: see the
 * "detection" structure of an oriented box above. */
typedef enum
{
  GST_YOLO_OBB_ROI_ORIENTED,
  GST_YOLO_OBB_ROI_AXIS_ALIGNED,
} GstYoloObbRoi;

/* Adds an oriented box: as gst_yolo_meta_add_detection() with the ROI
 * rectangle by roi_mode: oriented: cx +- w/2, cy +- h/2 (det's box is not
 * used); axis-aligned: det's box, the rotated box's axis-aligned bounding
 * box. Plus "rotation" (radians) and the rotated box (frame pixels:
 * centre cx, cy, sides w, h). */
GstVideoRegionOfInterestMeta *gst_yolo_meta_add_rotated_detection (GstBuffer *
    buf, guint frame_w, guint frame_h, const GstYoloDetection * det,
    gdouble cx, gdouble cy, gdouble w, gdouble h, gdouble rotation,
    GstYoloObbRoi roi_mode);

/* Adds a "keypoints" structure to roi (a detection of buf): n points, xyc
 * = n x (x, y in frame pixels, confidence). */
void gst_yolo_meta_add_keypoints (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h, guint n,
    const gfloat * xyc);

/* Reads the keypoints of roi back: a new array of n x (x, y in frame
 * pixels, confidence) floats, NULL when roi has none or they are
 * malformed. Inline for yolooverlay / yolojson (see above). */
static inline gfloat *
gst_yolo_meta_get_keypoints (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h,
    guint * n_points)
{
  GstStructure *s = gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_KEYPOINTS_STRUCTURE_NAME);
  GstStructure *det = gst_yolo_meta_find_params (buf, roi);
  const GValue *dv, *cv;
  GVariant *var = NULL;
  const gfloat *pos;
  gsize n_bytes = 0;
  gdouble bx0, by0, bx1, by1;
  guint n, dims[2];
  gfloat *out;

  if (!s || !gst_structure_get (s, "data_buffer", G_TYPE_VARIANT, &var, NULL))
    return NULL;
  /* an upstream element may have put anything there */
  if (!g_variant_is_of_type (var, G_VARIANT_TYPE_BYTESTRING)) {
    g_variant_unref (var);
    return NULL;
  }
  pos = (const gfloat *) g_variant_get_fixed_array (var, &n_bytes, 1);
  n = (guint) (n_bytes / (2 * sizeof (gfloat)));
  dv = gst_structure_get_value (s, "dims");
  cv = gst_structure_get_value (s, "confidence");
  if (n == 0 || !gst_yolo_meta_get_dims (dv, &dims[0], &dims[1])
      || dims[0] != n || dims[1] != 2 || n_bytes != n * 2 * sizeof (gfloat)
      || ((gsize) pos & (G_ALIGNOF (gfloat) - 1)) != 0) {
    g_variant_unref (var);
    return NULL;
  }
  if (!det || !gst_structure_get (det, "x_min", G_TYPE_DOUBLE, &bx0,
          "y_min", G_TYPE_DOUBLE, &by0, "x_max", G_TYPE_DOUBLE, &bx1,
          "y_max", G_TYPE_DOUBLE, &by1, NULL)) {
    bx0 = (gdouble) roi->x / frame_w;
    by0 = (gdouble) roi->y / frame_h;
    bx1 = (gdouble) (roi->x + roi->w) / frame_w;
    by1 = (gdouble) (roi->y + roi->h) / frame_h;
  }
  out = g_new (gfloat, 3 * n);
  for (guint i = 0; i < n; i++) {
    out[3 * i] = (gfloat) ((bx0 + pos[2 * i] * (bx1 - bx0)) * frame_w);
    out[3 * i + 1] = (gfloat) ((by0 + pos[2 * i + 1] * (by1 - by0)) * frame_h);
    out[3 * i + 2] = 1.0f;
    if (cv && GST_VALUE_HOLDS_ARRAY (cv) && i < gst_value_array_get_size (cv)
        && G_VALUE_HOLDS_FLOAT (gst_value_array_get_value (cv, i)))
      out[3 * i + 2] = g_value_get_float (gst_value_array_get_value (cv, i));
  }
  g_variant_unref (var);
  *n_points = n;
  return out;
}

/* Adds a "mask" structure to roi: mask_w x mask_h bytes (1 = object),
 * covering the ROI rectangle in mask_w x mask_h equal cells (any size:
 * the ROI's w x h at frame resolution, or smaller). */
void gst_yolo_meta_add_mask (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint mask_w, guint mask_h,
    const guint8 * mask);

/* The mask of roi: a new reference to its bytes (W x H, row-major, over the
 * ROI rectangle), NULL when there is none or it is malformed. */
static inline GBytes *
gst_yolo_meta_get_mask (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    guint * mask_w, guint * mask_h)
{
  GstStructure *s = gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_MASK_STRUCTURE_NAME);
  GVariant *var = NULL;
  const GValue *dv;
  GBytes *bytes;
  guint w, h;

  if (!s || !gst_structure_get (s, "data_buffer", G_TYPE_VARIANT, &var, NULL))
    return NULL;
  dv = gst_structure_get_value (s, "dims");
  /* an empty mask is none (a 0 x 4e9 one would cost 4e9 steps to walk) */
  if (!g_variant_is_of_type (var, G_VARIANT_TYPE_BYTESTRING)
      || !gst_yolo_meta_get_dims (dv, &w, &h) || w == 0 || h == 0) {
    g_variant_unref (var);
    return NULL;
  }
  bytes = g_variant_get_data_as_bytes (var);
  g_variant_unref (var);
  if (g_bytes_get_size (bytes) != (gsize) w * h) {
    g_bytes_unref (bytes);
    return NULL;
  }
  *mask_w = w;
  *mask_h = h;
  return bytes;
}

/* The mask of roi at the size of its ROI rectangle now: the mask as
 * stored when its W x H is the ROI meta's w x h, else resampled (nearest)
 * onto w x h, as after a videoscale, which scales the ROI meta but not the
 * mask (a ROI larger than the frame_w x frame_h frame is not resampled:
 * its mask comes back as stored). A new reference, NULL when roi has no
 * well-formed mask. */
static inline GBytes *
gst_yolo_meta_get_roi_mask (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h,
    guint * mask_w, guint * mask_h)
{
  GBytes *bytes = gst_yolo_meta_get_mask (buf, roi, mask_w, mask_h);
  const guint8 *src;
  guint8 *dst;
  guint w = roi->w, h = roi->h, *col;

  if (!bytes || (*mask_w == w && *mask_h == h) || w == 0 || h == 0
      || (guint64) w * h > (guint64) frame_w * frame_h)
    return bytes;
  src = (const guint8 *) g_bytes_get_data (bytes, NULL);
  dst = (guint8 *) g_malloc ((gsize) w * h);
  col = g_new (guint, w);
  for (guint x = 0; x < w; x++)
    col[x] = (guint) (((guint64) 2 * x + 1) * *mask_w / (2 * (guint64) w));
  for (guint y = 0; y < h; y++) {
    const guint8 *row = src + (gsize) ((((guint64) 2 * y + 1) * *mask_h) /
        (2 * (guint64) h)) * *mask_w;
    for (guint x = 0; x < w; x++)
      dst[(gsize) y * w + x] = row[col[x]];
  }
  g_free (col);
  g_bytes_unref (bytes);
  *mask_w = w;
  *mask_h = h;
  return g_bytes_new_take (dst, (gsize) w * h);
}

/* The oriented box of a "detection" structure with a "rotation" but
 * without our rotated_* fields, as another producer writes it (DL
 * Streamer's gvadetect: x_min..y_max, normalised, are the unrotated box
 * that "rotation", radians, turns about its centre; gvawatermark draws it
 * so), in pixels of a frame_w x frame_h frame: rb = centre x, y, sides w,
 * h, rotation, regularised like ours (w >= h, rotation in [0, pi)). FALSE
 * when det lacks one of those fields, the frame size is 0, a value is not
 * finite or the box is inverted. */
static inline gboolean
gst_yolo_meta_get_unrotated_roi_box (const GstStructure * det, guint frame_w,
    guint frame_h, gdouble rb[5])
{
  gdouble x0, y0, x1, y1;

  if (!det || frame_w == 0 || frame_h == 0
      || !gst_structure_get (det, "rotation", G_TYPE_DOUBLE, &rb[4],
          "x_min", G_TYPE_DOUBLE, &x0, "y_min", G_TYPE_DOUBLE, &y0,
          "x_max", G_TYPE_DOUBLE, &x1, "y_max", G_TYPE_DOUBLE, &y1, NULL)
      || !isfinite (rb[4]) || fabs (rb[4]) > 1e9 || !isfinite (x0)
      || !isfinite (y0) || !isfinite (x1) || !isfinite (y1) || x1 < x0
      || y1 < y0 || fabs (x0) > 1e6 || fabs (y0) > 1e6 || fabs (x1) > 1e6
      || fabs (y1) > 1e6)
    return FALSE;
  rb[0] = (x0 + x1) / 2 * frame_w;
  rb[1] = (y0 + y1) / 2 * frame_h;
  rb[2] = (x1 - x0) * frame_w;
  rb[3] = (y1 - y0) * frame_h;
  if (rb[2] < rb[3]) {          /* w >= h, as Ultralytics regularises */
    gdouble t = rb[2];
    rb[2] = rb[3];
    rb[3] = t;
    rb[4] += G_PI / 2;
  }
  rb[4] = fmod (rb[4], G_PI);
  if (rb[4] < 0)
    rb[4] += G_PI;
  return TRUE;
}

/* The oriented box of an obb "detection" structure in pixels of a
 * frame_w x frame_h frame: rb = centre x, y, sides w, h, rotation
 * (radians). The stored box is in pixels of the frame named by its
 * "frame_width" / "frame_height" (yolodetect's frame); on another frame
 * size (a videoscale between) it is scaled: exactly for a uniform scale;
 * for a non-uniform one the w side's direction and both sides' lengths
 * along their scaled directions (the exact image is a parallelogram). No
 * frame size stored: taken as it is. No rotated_* fields (another
 * producer, DL Streamer's gvadetect): its unrotated box x_min..y_max
 * turned by "rotation", gst_yolo_meta_get_unrotated_roi_box(). FALSE when
 * det has no rotated box. The values may be non-finite. */
static inline gboolean
gst_yolo_meta_get_rotated_box (const GstStructure * det, guint frame_w,
    guint frame_h, gdouble rb[5])
{
  gint fw = 0, fh = 0;

  if (!det)
    return FALSE;
  if (!gst_structure_get (det, "rotation", G_TYPE_DOUBLE, &rb[4],
          "rotated_cx", G_TYPE_DOUBLE, &rb[0], "rotated_cy", G_TYPE_DOUBLE,
          &rb[1], "rotated_w", G_TYPE_DOUBLE, &rb[2], "rotated_h",
          G_TYPE_DOUBLE, &rb[3], NULL))
    return gst_yolo_meta_get_unrotated_roi_box (det, frame_w, frame_h, rb);
  if (gst_structure_get_int (det, "frame_width", &fw)
      && gst_structure_get_int (det, "frame_height", &fh) && fw > 0 && fh > 0
      && frame_w > 0 && frame_h > 0
      && ((guint) fw != frame_w || (guint) fh != frame_h)) {
    gdouble sx = (gdouble) frame_w / fw, sy = (gdouble) frame_h / fh;
    gdouble c = cos (rb[4]), s = sin (rb[4]);
    gdouble w = rb[2] * sqrt (sx * sx * c * c + sy * sy * s * s);
    gdouble h = rb[3] * sqrt (sx * sx * s * s + sy * sy * c * c);
    gdouble r = sx == sy ? rb[4] : atan2 (sy * s, sx * c);

    if (w < h) {                /* w >= h, as Ultralytics regularises */
      gdouble t = w;
      w = h;
      h = t;
      r += G_PI / 2;
    }
    r = fmod (r, G_PI);
    if (r < 0)
      r += G_PI;
    rb[0] *= sx;
    rb[1] *= sy;
    rb[2] = w;
    rb[3] = h;
    rb[4] = r;
  }
  return TRUE;
}

/* The axis-aligned bounding box of an obb "detection" structure's rotated
 * box in pixels of a frame_w x frame_h frame, clipped to it: box = x1, y1,
 * x2, y2 (what obb-roi=axis-aligned puts in the ROI meta, whichever
 * obb-roi wrote det; readers that want the region an object covers use
 * it, not the ROI rectangle). Taken in the frame the box was stored for
 * and scaled to this one, which is exact after any videoscale (a rotated
 * box scaled unevenly is a parallelogram with the scaled bounding box).
 * Another producer's box (no rotated_* fields): the bounding box of its
 * unrotated box turned by "rotation" (gst_yolo_meta_get_rotated_box()).
 * FALSE when det has no rotated box or a non-finite one. */
static inline gboolean
gst_yolo_meta_get_rotated_bounds (const GstStructure * det, guint frame_w,
    guint frame_h, gdouble box[4])
{
  gdouble rb[5], sx = 1.0, sy = 1.0, ex, ey;
  gint fw = 0, fh = 0;
  gboolean own;

  if (!det)
    return FALSE;
  own = gst_structure_get (det, "rotation", G_TYPE_DOUBLE, &rb[4],
      "rotated_cx", G_TYPE_DOUBLE, &rb[0], "rotated_cy", G_TYPE_DOUBLE,
      &rb[1], "rotated_w", G_TYPE_DOUBLE, &rb[2], "rotated_h",
      G_TYPE_DOUBLE, &rb[3], NULL);
  if (!own && !gst_yolo_meta_get_unrotated_roi_box (det, frame_w, frame_h, rb))
    return FALSE;
  for (guint i = 0; i < 5; i++)
    if (!isfinite (rb[i]) || fabs (rb[i]) > 1e9)
      return FALSE;
  if (own && gst_structure_get_int (det, "frame_width", &fw)
      && gst_structure_get_int (det, "frame_height", &fh) && fw > 0 && fh > 0
      && frame_w > 0 && frame_h > 0) {
    sx = (gdouble) frame_w / fw;
    sy = (gdouble) frame_h / fh;
  }
  ex = fabs (rb[2] / 2 * cos (rb[4])) + fabs (rb[3] / 2 * sin (rb[4]));
  ey = fabs (rb[2] / 2 * sin (rb[4])) + fabs (rb[3] / 2 * cos (rb[4]));
  box[0] = CLAMP ((rb[0] - ex) * sx, 0.0, (gdouble) frame_w);
  box[1] = CLAMP ((rb[1] - ey) * sy, 0.0, (gdouble) frame_h);
  box[2] = CLAMP ((rb[0] + ex) * sx, box[0], (gdouble) frame_w);
  box[3] = CLAMP ((rb[1] + ey) * sy, box[1], (gdouble) frame_h);
  return TRUE;
}

/* Frame-level classification (classify models): one ROI meta covering the
 * whole frame, roi_type the best class's label, with a "classification"
 * structure: label, label_id, confidence (the best class, DL Streamer's
 * classification fields) and the top-k as labels (string array),
 * label_ids (int array), confidences (double array), best first. It has
 * no "detection" structure (overlays draw it as a tag, not a box). */
GstVideoRegionOfInterestMeta *gst_yolo_meta_add_classification (GstBuffer *
    buf, guint frame_w, guint frame_h, guint n, const gint * label_ids,
    const gdouble * confidences, const gchar * const *labels);

/* Tracking (yolotrack): DL Streamer's "object_id" structure (field "id",
 * int) is added to the ROI meta's parameters; the companion meta keeps a
 * copy of the structure under "roi-<ROI id>-object_id", like the other
 * per-object structures, for the same reason as above. */
#define GST_YOLO_OBJECT_ID_STRUCTURE_NAME "object_id"
#define GST_YOLO_OBJECT_ID_META_KEY "roi-%d-" GST_YOLO_OBJECT_ID_STRUCTURE_NAME

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
  const GValue *v;
  gchar key[48];

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
  if (!cm)
    return FALSE;
  g_snprintf (key, sizeof (key), GST_YOLO_OBJECT_ID_META_KEY, roi->id);
  v = gst_structure_get_value (gst_custom_meta_get_structure (cm), key);
  return v && GST_VALUE_HOLDS_STRUCTURE (v)
      && gst_structure_get_int (gst_value_get_structure (v), "id", id);
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
