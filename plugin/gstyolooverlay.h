/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

#pragma once

#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_YOLO_OVERLAY (gst_yolo_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstYoloOverlay, gst_yolo_overlay, GST, YOLO_OVERLAY,
    GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE (yolo_overlay);

G_END_DECLS
