/* GStreamer YOLO plugin
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <gst/gst.h>

#include "gstyolodetect.h"
#if HAVE_CAIRO
#include "gstyolooverlay.h"
#endif
#if HAVE_JSON_GLIB
#include "gstyolojson.h"
#endif

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (yolo_detect, plugin);
#if HAVE_CAIRO
  ret |= GST_ELEMENT_REGISTER (yolo_overlay, plugin);
#endif
#if HAVE_JSON_GLIB
  ret |= GST_ELEMENT_REGISTER (yolo_json, plugin);
#endif

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, yolo,
    "YOLO object detection on OpenCL", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
