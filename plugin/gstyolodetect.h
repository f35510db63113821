/* GStreamer YOLO plugin - yolodetect element
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_YOLO_DETECT_H__
#define __GST_YOLO_DETECT_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_YOLO_DETECT (gst_yolo_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstYoloDetect, gst_yolo_detect, GST, YOLO_DETECT,
    GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE (yolo_detect);

G_END_DECLS
#endif /* __GST_YOLO_DETECT_H__ */
