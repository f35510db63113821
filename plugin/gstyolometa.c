/* GStreamer YOLO plugin - detection metadata
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <math.h>

#include "gstyolometa.h"

#if HAVE_GST_ANALYTICS
#include <gst/analytics/analytics.h>
#endif

/* the companion meta (see gstyolometa.h), registered on first use */
static void
detections_meta_register (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done)) {
    static const gchar *tags[] = { NULL };
    gst_meta_register_custom (GST_YOLO_DETECTIONS_META_NAME, tags, NULL, NULL,
        NULL);
    g_once_init_leave (&done, 1);
  }
}

/* boxes may come from upstream metas or a tracker's prediction: NaN is 0,
 * the rest clamped into gint before the cast */
static inline gint
round_px (gdouble v)
{
  if (isnan (v))
    return 0;
  return (gint) floor (CLAMP (v, -1e9, 1e9) + 0.5);
}

static inline gdouble
unit_clamp (gdouble v)
{
  return isnan (v) ? 0.0 : CLAMP (v, 0.0, 1.0);
}

/* stores a copy of s in the companion custom meta under key */
static void
companion_set (GstBuffer * buf, const gchar * key, const GstStructure * s)
{
  GstCustomMeta *cm;

  detections_meta_register ();
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (!cm)
    cm = gst_buffer_add_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (cm)
    gst_structure_set (gst_custom_meta_get_structure (cm), key,
        GST_TYPE_STRUCTURE, s, NULL);
}

/* adds s (taken) as a parameter of roi, with its companion copy */
static void
add_named_param (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    GstStructure * s)
{
  gchar *key = g_strdup_printf (GST_YOLO_DETECTIONS_META_KEY "-%s", roi->id,
      gst_structure_get_name (s));
  companion_set (buf, key, s);
  g_free (key);
  gst_video_region_of_interest_meta_add_param (roi, s);
}

static GstVideoRegionOfInterestMeta *add_detection (GstBuffer * buf,
    guint frame_w, guint frame_h, const GstYoloDetection * det,
    const gdouble * rotated, const gdouble * hull);

GstVideoRegionOfInterestMeta *
gst_yolo_meta_add_detection (GstBuffer * buf, guint frame_w, guint frame_h,
    const GstYoloDetection * det)
{
  return add_detection (buf, frame_w, frame_h, det, NULL, NULL);
}

GstVideoRegionOfInterestMeta *
gst_yolo_meta_add_rotated_detection (GstBuffer * buf, guint frame_w,
    guint frame_h, const GstYoloDetection * det, gdouble cx, gdouble cy,
    gdouble w, gdouble h, gdouble rotation, GstYoloObbRoi roi_mode)
{
  gdouble r[5] = { cx, cy, w, h, rotation };
  gdouble hull[4] = { det->x1, det->y1, det->x2, det->y2 };
  GstYoloDetection d = *det;

  /* DL Streamer's oriented ROI: the unrotated box, turned by "rotation"
   * about its centre (clipped below, as DL Streamer clips it) */
  if (roi_mode == GST_YOLO_OBB_ROI_ORIENTED) {
    d.x1 = cx - w / 2;
    d.y1 = cy - h / 2;
    d.x2 = cx + w / 2;
    d.y2 = cy + h / 2;
  }
  return add_detection (buf, frame_w, frame_h, &d, r, hull);
}

/* rotated: NULL, or cx, cy, w, h, rotation of an oriented box, whose
 * axis-aligned bounding box is hull (x1, y1, x2, y2) */
static GstVideoRegionOfInterestMeta *
add_detection (GstBuffer * buf, guint frame_w, guint frame_h,
    const GstYoloDetection * det, const gdouble * rotated, const gdouble * hull)
{
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  gchar num[16];
  const gchar *label = det->label;
  gint x1, y1, x2, y2, id;

  g_return_val_if_fail (GST_IS_BUFFER (buf), NULL);
  g_return_val_if_fail (frame_w > 0 && frame_h > 0, NULL);

  if (!label) {
    g_snprintf (num, sizeof (num), "%d", det->label_id);
    label = num;
  }

  x1 = CLAMP (round_px (det->x1), 0, (gint) frame_w);
  y1 = CLAMP (round_px (det->y1), 0, (gint) frame_h);
  x2 = CLAMP (round_px (det->x2), x1, (gint) frame_w);
  y2 = CLAMP (round_px (det->y2), y1, (gint) frame_h);

  /* id = index among the buffer's ROI metas (like the analytics mtd id),
   * so gst_buffer_get_video_region_of_interest_meta_id() can walk them */
  id = (gint) gst_buffer_get_n_meta (buf,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  roi = gst_buffer_add_video_region_of_interest_meta (buf, label, x1, y1,
      x2 - x1, y2 - y1);
  if (!roi)
    return NULL;
  roi->id = id;
  roi->parent_id = -1;

  s = gst_structure_new (GST_YOLO_DETECTION_STRUCTURE_NAME,
      "label", G_TYPE_STRING, label,
      "label_id", G_TYPE_INT, det->label_id,
      "confidence", G_TYPE_DOUBLE, det->confidence,
      "x_min", G_TYPE_DOUBLE, unit_clamp (det->x1 / frame_w),
      "y_min", G_TYPE_DOUBLE, unit_clamp (det->y1 / frame_h),
      "x_max", G_TYPE_DOUBLE, unit_clamp (det->x2 / frame_w),
      "y_max", G_TYPE_DOUBLE, unit_clamp (det->y2 / frame_h), NULL);
  if (rotated)
    gst_structure_set (s, "rotation", G_TYPE_DOUBLE, rotated[4],
        "rotated_cx", G_TYPE_DOUBLE, rotated[0], "rotated_cy", G_TYPE_DOUBLE,
        rotated[1], "rotated_w", G_TYPE_DOUBLE, rotated[2], "rotated_h",
        G_TYPE_DOUBLE, rotated[3], "frame_width", G_TYPE_INT,
        (gint) frame_w, "frame_height", G_TYPE_INT, (gint) frame_h, NULL);
  {
    gchar key[32];

    g_snprintf (key, sizeof (key), GST_YOLO_DETECTIONS_META_KEY, id);
    companion_set (buf, key, s);
  }
  gst_video_region_of_interest_meta_add_param (roi, s);

#if HAVE_GST_ANALYTICS
  {
    GstAnalyticsRelationMeta *rmeta;
    GstAnalyticsODMtd od;
    GQuark type = g_quark_from_string (label);
    gfloat conf = (gfloat) det->confidence;

    rmeta = gst_buffer_get_analytics_relation_meta (buf);
    if (!rmeta)
      rmeta = gst_buffer_add_analytics_relation_meta (buf);
    if (rmeta && rotated) {
#if HAVE_GST_ANALYTICS_ORIENTED
      /* GStreamer 1.26's oriented location: the unrotated box (upper-left
       * corner, sides) and the angle, unclipped (gint holds it) */
      gint ox = round_px (rotated[0] - rotated[2] / 2);
      gint oy = round_px (rotated[1] - rotated[3] / 2);

      (void) hull;
      gst_analytics_relation_meta_add_oriented_od_mtd (rmeta, type, ox, oy,
          round_px (rotated[0] + rotated[2] / 2) - ox,
          round_px (rotated[1] + rotated[3] / 2) - oy,
          isfinite (rotated[4]) ? (gfloat) rotated[4] : 0.0f, conf, &od);
#else
      /* no angle there: the box that covers the object */
      gint hx1 = CLAMP (round_px (hull[0]), 0, (gint) frame_w);
      gint hy1 = CLAMP (round_px (hull[1]), 0, (gint) frame_h);

      gst_analytics_relation_meta_add_od_mtd (rmeta, type, hx1, hy1,
          CLAMP (round_px (hull[2]), hx1, (gint) frame_w) - hx1,
          CLAMP (round_px (hull[3]), hy1, (gint) frame_h) - hy1, conf, &od);
#endif
    } else if (rmeta) {
      gst_analytics_relation_meta_add_od_mtd (rmeta, type, x1, y1, x2 - x1,
          y2 - y1, conf, &od);
    }
  }
#else
  (void) hull;
#endif

  return roi;
}

static GstCustomMeta *
companion_meta (GstBuffer * buf)
{
  GstCustomMeta *cm;

  detections_meta_register ();
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  if (!cm)
    cm = gst_buffer_add_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  return cm;
}

void
gst_yolo_meta_set_object_id (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, gint id)
{
  GstCustomMeta *cm;
  GstStructure *s;
  gchar key[48];

  g_return_if_fail (GST_IS_BUFFER (buf) && roi != NULL);

  /* replace: the params list holds at most one "object_id" */
  for (GList * l = roi->params; l; l = l->next) {
    if (gst_structure_has_name (l->data, GST_YOLO_OBJECT_ID_STRUCTURE_NAME)) {
      gst_structure_free (l->data);
      roi->params = g_list_delete_link (roi->params, l);
      break;
    }
  }
  s = gst_structure_new (GST_YOLO_OBJECT_ID_STRUCTURE_NAME, "id", G_TYPE_INT,
      id, NULL);
  cm = companion_meta (buf);
  if (cm) {
    g_snprintf (key, sizeof (key), GST_YOLO_OBJECT_ID_META_KEY, roi->id);
    gst_structure_set (gst_custom_meta_get_structure (cm), key,
        GST_TYPE_STRUCTURE, s, NULL);
  }
  gst_video_region_of_interest_meta_add_param (roi, s);
}

static void
set_normalised_box (GstStructure * s, guint frame_w, guint frame_h,
    gdouble x1, gdouble y1, gdouble x2, gdouble y2)
{
  gst_structure_set (s,
      "x_min", G_TYPE_DOUBLE, unit_clamp (x1 / frame_w),
      "y_min", G_TYPE_DOUBLE, unit_clamp (y1 / frame_h),
      "x_max", G_TYPE_DOUBLE, unit_clamp (x2 / frame_w),
      "y_max", G_TYPE_DOUBLE, unit_clamp (y2 / frame_h), NULL);
}

void
gst_yolo_meta_set_box (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    guint frame_w, guint frame_h, gdouble x1, gdouble y1, gdouble x2,
    gdouble y2)
{
  GstStructure *s;
  GstCustomMeta *cm;
  gint ix1, iy1, ix2, iy2;

  g_return_if_fail (GST_IS_BUFFER (buf) && roi != NULL);
  g_return_if_fail (frame_w > 0 && frame_h > 0);

  ix1 = CLAMP (round_px (x1), 0, (gint) frame_w);
  iy1 = CLAMP (round_px (y1), 0, (gint) frame_h);
  ix2 = CLAMP (round_px (x2), ix1, (gint) frame_w);
  iy2 = CLAMP (round_px (y2), iy1, (gint) frame_h);
  roi->x = ix1;
  roi->y = iy1;
  roi->w = ix2 - ix1;
  roi->h = iy2 - iy1;

  s = gst_video_region_of_interest_meta_get_param (roi,
      GST_YOLO_DETECTION_STRUCTURE_NAME);
  if (s)
    set_normalised_box (s, frame_w, frame_h, x1, y1, x2, y2);
  cm = gst_buffer_get_custom_meta (buf, GST_YOLO_DETECTIONS_META_NAME);
  s = gst_yolo_meta_find_params (buf, roi);
  if (cm && s) {
    gchar key[32];
    const GValue *v;

    g_snprintf (key, sizeof (key), GST_YOLO_DETECTIONS_META_KEY, roi->id);
    v = gst_structure_get_value (gst_custom_meta_get_structure (cm), key);
    if (v && GST_VALUE_HOLDS_STRUCTURE (v)) {
      GstStructure *copy = gst_structure_copy (gst_value_get_structure (v));

      set_normalised_box (copy, frame_w, frame_h, x1, y1, x2, y2);
      gst_structure_set (gst_custom_meta_get_structure (cm), key,
          GST_TYPE_STRUCTURE, copy, NULL);
      gst_structure_free (copy);
    }
  }
}

void
gst_yolo_meta_mark_inferred (GstBuffer * buf, gboolean inferred)
{
  GstCustomMeta *cm;

  g_return_if_fail (GST_IS_BUFFER (buf));
  cm = companion_meta (buf);
  if (cm)
    gst_structure_set (gst_custom_meta_get_structure (cm),
        GST_YOLO_INFERRED_FIELD, G_TYPE_BOOLEAN, inferred, NULL);
}

gboolean
gst_yolo_meta_get_detection (GstVideoRegionOfInterestMeta * roi,
    guint frame_w, guint frame_h, GstYoloDetection * det)
{
  GstStructure *s;
  gdouble v[4];

  g_return_val_if_fail (roi != NULL && det != NULL, FALSE);

  s = gst_video_region_of_interest_meta_get_param (roi,
      GST_YOLO_DETECTION_STRUCTURE_NAME);
  if (!s)
    return FALSE;

  det->label = gst_structure_get_string (s, "label");
  if (!det->label)
    det->label = g_quark_to_string (roi->roi_type);
  if (!gst_structure_get_int (s, "label_id", &det->label_id))
    det->label_id = -1;
  if (!gst_structure_get_double (s, "confidence", &det->confidence))
    det->confidence = 0.0;

  if (frame_w > 0 && frame_h > 0
      && gst_structure_get (s, "x_min", G_TYPE_DOUBLE, &v[0],
          "y_min", G_TYPE_DOUBLE, &v[1], "x_max", G_TYPE_DOUBLE, &v[2],
          "y_max", G_TYPE_DOUBLE, &v[3], NULL)) {
    det->x1 = v[0] * frame_w;
    det->y1 = v[1] * frame_h;
    det->x2 = v[2] * frame_w;
    det->y2 = v[3] * frame_h;
  } else {
    det->x1 = roi->x;
    det->y1 = roi->y;
    det->x2 = (gdouble) roi->x + roi->w;
    det->y2 = (gdouble) roi->y + roi->h;
  }
  return TRUE;
}

guint
gst_yolo_meta_count_detections (GstBuffer * buf)
{
  GstMeta *meta;
  gpointer state = NULL;
  guint n = 0;

  while ((meta = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    if (gst_video_region_of_interest_meta_get_param (
            (GstVideoRegionOfInterestMeta *) meta,
            GST_YOLO_DETECTION_STRUCTURE_NAME))
      n++;
  }
  return n;
}

/* a GST_TYPE_ARRAY field of n values of type t read from vals */
static void
set_array (GstStructure * s, const gchar * field, GType t, guint n,
    gconstpointer vals)
{
  GValue arr = G_VALUE_INIT;

  gst_value_array_init (&arr, n);
  for (guint i = 0; i < n; i++) {
    GValue v = G_VALUE_INIT;
    g_value_init (&v, t);
    if (t == G_TYPE_UINT)
      g_value_set_uint (&v, ((const guint *) vals)[i]);
    else if (t == G_TYPE_INT)
      g_value_set_int (&v, ((const gint *) vals)[i]);
    else if (t == G_TYPE_FLOAT)
      g_value_set_float (&v, ((const gfloat *) vals)[i]);
    else if (t == G_TYPE_DOUBLE)
      g_value_set_double (&v, ((const gdouble *) vals)[i]);
    else
      g_value_set_string (&v, ((const gchar * const *) vals)[i]);
    gst_value_array_append_and_take_value (&arr, &v);
  }
  gst_structure_take_value (s, field, &arr);
}

static void
set_data_buffer (GstStructure * s, gconstpointer data, gsize size)
{
  GVariant *v = g_variant_ref_sink (g_variant_new_fixed_array
      (G_VARIANT_TYPE_BYTE, data, size, 1));
  gst_structure_set (s, "data_buffer", G_TYPE_VARIANT, v, NULL);
  g_variant_unref (v);
}

/* COCO keypoints, named as DL Streamer's YOLOv8 pose converter names them */
static const gchar *const coco_points[17] = {
  "nose", "eye_l", "eye_r", "ear_l", "ear_r", "shoulder_l", "shoulder_r",
  "elbow_l", "elbow_r", "wrist_l", "wrist_r", "hip_l", "hip_r", "knee_l",
  "knee_r", "ankle_l", "ankle_r"
};

/* Ultralytics' COCO skeleton (pairs of point indices) */
static const guint8 coco_skeleton[][2] = {
  {15, 13}, {13, 11}, {16, 14}, {14, 12}, {11, 12}, {5, 11}, {6, 12},
  {5, 6}, {5, 7}, {6, 8}, {7, 9}, {8, 10}, {1, 2}, {0, 1}, {0, 2}, {1, 3},
  {2, 4}, {3, 5}, {4, 6}
};

void
gst_yolo_meta_add_keypoints (GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h, guint n,
    const gfloat * xyc)
{
  GstStructure *det, *s;
  gdouble bx0, by0, bx1, by1, bw, bh;
  gfloat *pos, *conf;
  guint dims[2] = { n, 2 };

  g_return_if_fail (roi != NULL && n > 0 && frame_w > 0 && frame_h > 0);

  det = gst_video_region_of_interest_meta_get_param (roi,
      GST_YOLO_DETECTION_STRUCTURE_NAME);
  if (!det || !gst_structure_get (det, "x_min", G_TYPE_DOUBLE, &bx0,
          "y_min", G_TYPE_DOUBLE, &by0, "x_max", G_TYPE_DOUBLE, &bx1,
          "y_max", G_TYPE_DOUBLE, &by1, NULL)) {
    bx0 = (gdouble) roi->x / frame_w;
    by0 = (gdouble) roi->y / frame_h;
    bx1 = (gdouble) (roi->x + roi->w) / frame_w;
    by1 = (gdouble) (roi->y + roi->h) / frame_h;
  }
  /* a degenerate box: positions relative to a 1e-9 wide one */
  bw = MAX (bx1 - bx0, 1e-9);
  bh = MAX (by1 - by0, 1e-9);
  pos = g_new (gfloat, 2 * n);
  conf = g_new (gfloat, n);
  for (guint i = 0; i < n; i++) {
    pos[2 * i] = (gfloat) ((xyc[3 * i] / frame_w - bx0) / bw);
    pos[2 * i + 1] = (gfloat) ((xyc[3 * i + 1] / frame_h - by0) / bh);
    conf[i] = xyc[3 * i + 2];
  }
  s = gst_structure_new (GST_YOLO_KEYPOINTS_STRUCTURE_NAME,
      "format", G_TYPE_STRING, "keypoints", "precision", G_TYPE_INT, 10, NULL);
  set_array (s, "dims", G_TYPE_UINT, 2, dims);
  set_data_buffer (s, pos, 2 * n * sizeof (gfloat));
  set_array (s, "confidence", G_TYPE_FLOAT, n, conf);
  if (n == G_N_ELEMENTS (coco_points)) {
    const gchar *conn[2 * G_N_ELEMENTS (coco_skeleton)];
    for (guint i = 0; i < G_N_ELEMENTS (coco_skeleton); i++) {
      conn[2 * i] = coco_points[coco_skeleton[i][0]];
      conn[2 * i + 1] = coco_points[coco_skeleton[i][1]];
    }
    set_array (s, "point_names", G_TYPE_STRING, n, coco_points);
    set_array (s, "point_connections", G_TYPE_STRING, G_N_ELEMENTS (conn),
        conn);
  }
  g_free (pos);
  g_free (conf);
  add_named_param (buf, roi, s);
}

void
gst_yolo_meta_add_mask (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    guint mask_w, guint mask_h, const guint8 * mask)
{
  GstStructure *s;
  guint dims[2] = { mask_w, mask_h };

  g_return_if_fail (roi != NULL && (mask || mask_w * mask_h == 0));

  s = gst_structure_new (GST_YOLO_MASK_STRUCTURE_NAME,
      "format", G_TYPE_STRING, "segmentation_mask",
      "precision", G_TYPE_INT, 40, NULL);
  set_array (s, "dims", G_TYPE_UINT, 2, dims);
  set_data_buffer (s, mask, (gsize) mask_w * mask_h);
  add_named_param (buf, roi, s);
}

GstVideoRegionOfInterestMeta *
gst_yolo_meta_add_classification (GstBuffer * buf, guint frame_w,
    guint frame_h, guint n, const gint * label_ids,
    const gdouble * confidences, const gchar * const *labels)
{
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;
  gint id;

  g_return_val_if_fail (GST_IS_BUFFER (buf) && n > 0, NULL);

  id = (gint) gst_buffer_get_n_meta (buf,
      GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE);
  roi = gst_buffer_add_video_region_of_interest_meta (buf, labels[0], 0, 0,
      frame_w, frame_h);
  if (!roi)
    return NULL;
  roi->id = id;
  roi->parent_id = -1;
  s = gst_structure_new (GST_YOLO_CLASSIFICATION_STRUCTURE_NAME,
      "label", G_TYPE_STRING, labels[0],
      "label_id", G_TYPE_INT, label_ids[0],
      "confidence", G_TYPE_DOUBLE, confidences[0], NULL);
  set_array (s, "labels", G_TYPE_STRING, n, labels);
  set_array (s, "label_ids", G_TYPE_INT, n, label_ids);
  set_array (s, "confidences", G_TYPE_DOUBLE, n, confidences);
  add_named_param (buf, roi, s);
  return roi;
}
