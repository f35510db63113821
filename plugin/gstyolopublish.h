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
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_YOLO_PUBLISH (gst_yolo_publish_get_type ())
G_DECLARE_FINAL_TYPE (GstYoloPublish, gst_yolo_publish, GST, YOLO_PUBLISH,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (yolo_publish);

G_END_DECLS
