/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * gst_yolo_json_frame_to_string:
 * @buf: the frame; its #GstVideoRegionOfInterestMeta (and their DL Streamer
 *   "detection" parameters) are the objects
 * @frame: the frame number written as `frame` (counted by the caller)
 * @width: frame width in pixels, written as `width` (0 when unknown)
 * @height: frame height in pixels, written as `height` (0 when unknown)
 * @len: (out): length of the returned text in bytes, without the NUL
 *
 * Serialises one frame as the yolojson object (one line, no newline):
 * `{"pts":...,"frame":...,"width":...,"height":...,"objects":[...]}`,
 * valid RFC 8259 JSON in UTF-8 whatever the locale. `pts` is null for a
 * buffer without a timestamp; each object has `label`, `label_id`,
 * `confidence` (rounded to 4 decimals, null when absent or not finite) and
 * `x`, `y`, `w`, `h` (ints, frame pixels); the task structures of
 * gstyolometa.h add `keypoints`, `rotation`/`rotated_box`, `mask` (COCO
 * uncompressed RLE) and `classes` (see SECTION:element-yolojson). Never
 * fails.
 *
 * Returns: (transfer full): the NUL-terminated JSON text; g_free() it.
 */
gchar *gst_yolo_json_frame_to_string (GstBuffer * buf, guint64 frame,
    gint width, gint height, gsize * len);

G_END_DECLS
