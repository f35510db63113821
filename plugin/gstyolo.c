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
#include "gstyolotrack.h"
#if HAVE_CAIRO
#include "gstyolooverlay.h"
#endif
#if HAVE_JSON_GLIB
#include "gstyolojson.h"
#endif
#if HAVE_MQTT
#include "gstyolopublish.h"
#endif

GST_DEBUG_CATEGORY_STATIC (yolo_engine_debug);

/* The engine is GStreamer-free and logs through GLib (domain
 * "yoloengine"); route those messages into the `yoloengine` debug category
 * (GST_DEBUG=yoloengine:5). */
static void
yolo_engine_log (const gchar * domain, GLogLevelFlags level,
    const gchar * message, gpointer user_data)
{
  GstDebugLevel l;

  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    l = GST_LEVEL_ERROR;
  else if (level & G_LOG_LEVEL_WARNING)
    l = GST_LEVEL_WARNING;
  else if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    l = GST_LEVEL_INFO;
  else
    l = GST_LEVEL_DEBUG;
  GST_CAT_LEVEL_LOG (yolo_engine_debug, l, NULL, "%s", message);
}

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  GST_DEBUG_CATEGORY_INIT (yolo_engine_debug, "yoloengine", 0,
      "YOLO OpenCL engine (model loading, planning, kernels)");
  g_log_set_handler ("yoloengine", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL
      | G_LOG_FLAG_RECURSION, yolo_engine_log, NULL);

  ret |= GST_ELEMENT_REGISTER (yolo_detect, plugin);
  ret |= GST_ELEMENT_REGISTER (yolo_track, plugin);
#if HAVE_CAIRO
  ret |= GST_ELEMENT_REGISTER (yolo_overlay, plugin);
#endif
#if HAVE_JSON_GLIB
  ret |= GST_ELEMENT_REGISTER (yolo_json, plugin);
#endif
#if HAVE_MQTT
  ret |= GST_ELEMENT_REGISTER (yolo_publish, plugin);
#endif

  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, yolo,
    "YOLO object detection on OpenCL", plugin_init, VERSION, GST_LICENSE,
    GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
