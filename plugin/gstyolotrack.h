/* GStreamer YOLO plugin - yolotrack element
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __GST_YOLO_TRACK_H__
#define __GST_YOLO_TRACK_H__

#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>

G_BEGIN_DECLS

#define GST_TYPE_YOLO_TRACK (gst_yolo_track_get_type ())
G_DECLARE_FINAL_TYPE (GstYoloTrack, gst_yolo_track, GST, YOLO_TRACK,
    GstBaseTransform)

#define GST_TYPE_YOLO_TRACKER_TYPE (gst_yolo_tracker_type_get_type ())
GType gst_yolo_tracker_type_get_type (void);

GST_ELEMENT_REGISTER_DECLARE (yolo_track);

G_END_DECLS
#endif /* __GST_YOLO_TRACK_H__ */
