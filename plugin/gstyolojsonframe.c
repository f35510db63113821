/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/* The per-frame JSON object shared by yolojson (JSON lines) and yolopublish
 * (one MQTT message per frame). The format is documented in
 * gstyolojson.c (SECTION:element-yolojson) and in the README. */

#include "config.h"

#include "gstyolojsonframe.h"
#include "gstyolometa.h"

#include <math.h>
#include <string.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

/* A finite confidence as a JSON number: rounded to 4 decimals, short form
 * ("0.91", "1.0", "0.0"); magnitudes of 1e15 and over (where 4 decimals mean
 * nothing) in the shortest "%g" form that reads back to the same double
 * ("1e+308"). Locale-independent (g_ascii_formatd). */
static gchar *
yolo_json_format_confidence (gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (isfinite (v), g_strdup ("null"));

  if (fabs (v) < 1e15) {
    gsize n;

    v = round (v * 1e4) / 1e4;
    if (v == 0.0)               /* no "-0.0" */
      v = 0.0;
    g_ascii_formatd (buf, sizeof (buf), "%.4f", v);
    n = strlen (buf);
    while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
      buf[--n] = '\0';
  } else {
    for (gint prec = 1; prec <= 17; prec++) {
      gchar fmt[8];

      g_snprintf (fmt, sizeof (fmt), "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof (buf), fmt, v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  }
  return g_strdup (buf);
}

/* Other numbers (keypoints, rotation) the same way: a string placeholder
 * "\x01\x02<index>\x03" (json-glib writes it as "\u0001\u0002<index>\u0003")
 * replaced by nums[index], @decimals decimals, trailing zeros dropped;
 * non-finite values are null. */
static void
yolo_json_add_number (JsonBuilder * b, GPtrArray * nums, gdouble v,
    gint decimals)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE], fmt[8], *ph;
  gsize n;

  if (!isfinite (v) || fabs (v) >= 1e15) {
    json_builder_add_null_value (b);
    return;
  }
  v = round (v * pow (10, decimals)) / pow (10, decimals);
  if (v == 0.0)
    v = 0.0;
  g_snprintf (fmt, sizeof (fmt), "%%.%df", decimals);
  g_ascii_formatd (buf, sizeof (buf), fmt, v);
  n = strlen (buf);
  while (n > 2 && buf[n - 1] == '0' && buf[n - 2] != '.')
    buf[--n] = '\0';
  ph = g_strdup_printf ("\x01\x02%u\x03", nums->len);
  json_builder_add_string_value (b, ph);
  g_free (ph);
  g_ptr_array_add (nums, g_strdup (buf));
}

static gchar *
yolo_json_put_numbers (gchar * str, gsize * len, GPtrArray * nums)
{
  static const gchar key[] = "\"\\u0001\\u0002";
  const gchar *p = str, *hit;
  GString *out;

  if (nums->len == 0)
    return str;
  out = g_string_sized_new (*len);
  while ((hit = strstr (p, key)) != NULL) {
    gchar *end;
    guint64 i;

    g_string_append_len (out, p, hit - p);
    i = g_ascii_strtoull (hit + sizeof (key) - 1, &end, 10);
    if (end == hit + sizeof (key) - 1 || !g_str_has_prefix (end, "\\u0003\"")
        || i >= nums->len) {
      /* not ours (a label with these control characters) */
      g_string_append_len (out, hit, sizeof (key) - 1);
      p = hit + sizeof (key) - 1;
      continue;
    }
    g_string_append (out, g_ptr_array_index (nums, i));
    p = end + strlen ("\\u0003\"");
  }
  g_string_append (out, p);
  g_free (str);
  *len = out->len;
  return g_string_free (out, FALSE);
}

/* COCO's uncompressed RLE of a w x h mask (row-major bytes, non-zero =
 * object): column-major runs, the first one of zeros. */
static void
yolo_json_add_rle (JsonBuilder * b, const guint8 * m, guint w, guint h)
{
  guint8 cur = 0;
  guint64 run = 0;

  json_builder_begin_array (b);
  for (guint x = 0; x < w; x++) {
    for (guint y = 0; y < h; y++) {
      guint8 v = m[(gsize) y * w + x] != 0;
      if (v != cur) {
        json_builder_add_int_value (b, (gint64) run);
        run = 0;
        cur = v;
      }
      run++;
    }
  }
  json_builder_add_int_value (b, (gint64) run);
  json_builder_end_array (b);
}

/* The task extras of an object: rotation, keypoints, mask, classes. */
static void
yolo_json_add_extras (JsonBuilder * b, GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, GstStructure * det, guint frame_w,
    guint frame_h, GPtrArray * confs, GPtrArray * nums)
{
  GstStructure *cls;
  gdouble r, rb[5];
  gfloat *kp;
  guint n, mw, mh;
  GBytes *mask;

  if (det && gst_structure_get_double (det, "rotation", &r)) {
    /* the rotated box in this frame's pixels (scaled after a videoscale) */
    gboolean boxed = gst_yolo_meta_get_rotated_box (det, frame_w, frame_h, rb);

    json_builder_set_member_name (b, "rotation");
    yolo_json_add_number (b, nums, boxed ? rb[4] : r, 6);
    if (boxed) {
      json_builder_set_member_name (b, "rotated_box");
      json_builder_begin_array (b);
      for (guint i = 0; i < 4; i++)
        yolo_json_add_number (b, nums, rb[i], 2);
      json_builder_end_array (b);
    }
  }
  if (frame_w > 0 && frame_h > 0
      && (kp = gst_yolo_meta_get_keypoints (buf, roi, frame_w, frame_h, &n))) {
    json_builder_set_member_name (b, "keypoints");
    json_builder_begin_array (b);
    for (guint i = 0; i < n; i++) {
      json_builder_begin_array (b);
      yolo_json_add_number (b, nums, kp[3 * i], 2);
      yolo_json_add_number (b, nums, kp[3 * i + 1], 2);
      yolo_json_add_number (b, nums, kp[3 * i + 2], 4);
      json_builder_end_array (b);
    }
    json_builder_end_array (b);
    g_free (kp);
  }
  /* over the ROI rectangle: resampled to it after a videoscale */
  if ((mask = gst_yolo_meta_get_roi_mask (buf, roi, frame_w, frame_h, &mw,
              &mh))) {
    json_builder_set_member_name (b, "mask");
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "size");
    json_builder_begin_array (b);
    json_builder_add_int_value (b, mh);
    json_builder_add_int_value (b, mw);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "counts");
    yolo_json_add_rle (b, g_bytes_get_data (mask, NULL), mw, mh);
    json_builder_end_object (b);
    g_bytes_unref (mask);
  }
  cls = gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_CLASSIFICATION_STRUCTURE_NAME);
  if (cls) {
    const GValue *l = gst_structure_get_value (cls, "labels");
    const GValue *ids = gst_structure_get_value (cls, "label_ids");
    const GValue *cf = gst_structure_get_value (cls, "confidences");
    if (l && ids && cf && GST_VALUE_HOLDS_ARRAY (l) && GST_VALUE_HOLDS_ARRAY
        (ids) && GST_VALUE_HOLDS_ARRAY (cf)
        && gst_value_array_get_size (l) == gst_value_array_get_size (ids)
        && gst_value_array_get_size (l) == gst_value_array_get_size (cf)) {
      json_builder_set_member_name (b, "classes");
      json_builder_begin_array (b);
      for (guint i = 0; i < gst_value_array_get_size (l); i++) {
        const GValue *lv = gst_value_array_get_value (l, i);
        const GValue *iv = gst_value_array_get_value (ids, i);
        const GValue *cv = gst_value_array_get_value (cf, i);
        const gchar *label = G_VALUE_HOLDS_STRING (lv) ?
            g_value_get_string (lv) : NULL;
        gchar *valid = label && !g_utf8_validate (label, -1, NULL) ?
            g_utf8_make_valid (label, -1) : NULL;
        json_builder_begin_object (b);
        json_builder_set_member_name (b, "label");
        if (label)
          json_builder_add_string_value (b, valid ? valid : label);
        else
          json_builder_add_null_value (b);
        json_builder_set_member_name (b, "label_id");
        if (G_VALUE_HOLDS_INT (iv))
          json_builder_add_int_value (b, g_value_get_int (iv));
        else
          json_builder_add_null_value (b);
        json_builder_set_member_name (b, "confidence");
        if (G_VALUE_HOLDS_DOUBLE (cv) && isfinite (g_value_get_double (cv))) {
          json_builder_add_int_value (b, confs->len);
          g_ptr_array_add (confs,
              yolo_json_format_confidence (g_value_get_double (cv)));
        } else {
          json_builder_add_null_value (b);
        }
        json_builder_end_object (b);
        g_free (valid);
      }
      json_builder_end_array (b);
    }
  }
}

/* Confidences are written by yolo_json_format_confidence(), not by
 * json-glib: json-glib 1.6 prints doubles as "%.17g" plus ".0" when there is
 * no '.', which gives 0.91000000000000003, "1e+308.0" (invalid) and
 * "nan.0"/"inf.0" (invalid). In the tree each confidence is an integer
 * placeholder (its index in @confs), replaced after generation. */
static void
yolo_json_add_roi (JsonBuilder * b, GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, guint frame_w, guint frame_h,
    GPtrArray * confs, GPtrArray * nums)
{
  GstStructure *s;
  const gchar *label = NULL;
  gchar *valid_label = NULL;
  gint label_id, object_id;
  gdouble conf;
  gboolean has_id = FALSE, has_conf = FALSE, has_object_id;
  gdouble hull[4];
  gint64 x, y, w, h;

  /* also finds the parameters that videoconvert/videoscale dropped */
  s = gst_yolo_meta_find_params (buf, roi);
  /* a frame-level classification: its best class */
  if (s == NULL)
    s = gst_yolo_meta_find_named_params (buf, roi,
        GST_YOLO_CLASSIFICATION_STRUCTURE_NAME);
  if (s != NULL) {
    label = gst_structure_get_string (s, "label");
    has_id = gst_structure_get_int (s, "label_id", &label_id);
    has_conf = gst_structure_get_double (s, "confidence", &conf);
  }
  if (label == NULL && roi->roi_type != 0)
    label = g_quark_to_string (roi->roi_type);
  /* yolotrack's (or gvatrack's) object id */
  has_object_id = gst_yolo_meta_find_object_id (buf, roi, &object_id);
  /* JSON text is UTF-8; json-glib copies the bytes as they are */
  if (label != NULL && !g_utf8_validate (label, -1, NULL))
    label = valid_label = g_utf8_make_valid (label, -1);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "label");
  if (label != NULL)
    json_builder_add_string_value (b, label);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "label_id");
  if (has_id)
    json_builder_add_int_value (b, label_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "confidence");
  if (has_conf && isfinite (conf)) {
    json_builder_add_int_value (b, confs->len);
    g_ptr_array_add (confs, yolo_json_format_confidence (conf));
  } else {
    json_builder_add_null_value (b);
  }
  if (has_object_id) {
    json_builder_set_member_name (b, "id");
    json_builder_add_int_value (b, object_id);
  }
  /* an oriented box: the region it covers, whichever ROI rectangle
   * yolodetect's obb-roi gave it (DL Streamer's is the unrotated box) */
  if (frame_w > 0 && frame_h > 0
      && gst_yolo_meta_get_rotated_bounds (s, frame_w, frame_h, hull)) {
    x = (gint64) floor (hull[0] + 0.5);
    y = (gint64) floor (hull[1] + 0.5);
    w = (gint64) floor (hull[2] + 0.5) - x;
    h = (gint64) floor (hull[3] + 0.5) - y;
  } else {
    x = roi->x;
    y = roi->y;
    w = roi->w;
    h = roi->h;
  }
  json_builder_set_member_name (b, "x");
  json_builder_add_int_value (b, x);
  json_builder_set_member_name (b, "y");
  json_builder_add_int_value (b, y);
  json_builder_set_member_name (b, "w");
  json_builder_add_int_value (b, w);
  json_builder_set_member_name (b, "h");
  json_builder_add_int_value (b, h);
  yolo_json_add_extras (b, buf, roi, gst_yolo_meta_find_params (buf, roi),
      frame_w, frame_h, confs, nums);
  json_builder_end_object (b);
  g_free (valid_label);
}

/* Replaces each "confidence":<placeholder index> in @str by confs[index].
 * Inside JSON strings every '"' is escaped, so the unescaped key below only
 * matches the object member. */
static gchar *
yolo_json_put_confidences (gchar * str, gsize * len, GPtrArray * confs)
{
  static const gchar key[] = "\"confidence\":";
  const gchar *p = str, *hit;
  GString *out;

  if (confs->len == 0)
    return str;

  out = g_string_sized_new (*len + 8 * confs->len);
  while ((hit = strstr (p, key)) != NULL) {
    gchar *end;
    guint64 i;

    hit += sizeof (key) - 1;
    g_string_append_len (out, p, hit - p);
    p = hit;
    i = g_ascii_strtoull (hit, &end, 10);
    if (end == hit)             /* null */
      continue;
    g_assert (i < confs->len);
    g_string_append (out, g_ptr_array_index (confs, i));
    p = end;
  }
  g_string_append (out, p);
  g_free (str);
  *len = out->len;
  return g_string_free (out, FALSE);
}

gchar *
gst_yolo_json_frame_to_string (GstBuffer * buf, guint64 frame, gint width,
    gint height, gsize * len)
{
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  GPtrArray *confs = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *nums = g_ptr_array_new_with_free_func (g_free);
  gchar *str;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pts");
  if (GST_BUFFER_PTS_IS_VALID (buf))
    json_builder_add_int_value (b, (gint64) GST_BUFFER_PTS (buf));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, (gint64) frame);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, height);
  json_builder_set_member_name (b, "objects");
  json_builder_begin_array (b);
  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)))
    yolo_json_add_roi (b, buf, roi, width, height, confs, nums);
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, FALSE);
  json_generator_set_root (gen, root);
  str = json_generator_to_data (gen, len);
  str = yolo_json_put_confidences (str, len, confs);
  str = yolo_json_put_numbers (str, len, nums);

  g_ptr_array_unref (confs);
  g_ptr_array_unref (nums);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return str;
}
