/* yolo-family.h - YOLO head families and class names (public API).
 *
 * GStreamer-free and graph-free: what applications and the elements need to
 * name a head layout and read the Ultralytics `names` metadata. */
#ifndef YOLO_FAMILY_H
#define YOLO_FAMILY_H

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  YOLO_FAMILY_UNKNOWN = 0,
  YOLO_FAMILY_ULTRALYTICS,      /* [1, 4+nc, N]: cx,cy,w,h + class scores */
  YOLO_FAMILY_END2END,          /* [1, N, 6]: x1,y1,x2,y2,score,class */
  YOLO_FAMILY_YOLOV5,           /* [1, N, 5+nc]: cx,cy,w,h,obj + classes */
  YOLO_FAMILY_YOLOX,            /* [1, N, 5+nc] raw grid offsets */
} YoloFamily;

const char *yolo_family_name (YoloFamily f);  /* "ultralytics", ... */
/* Parses "auto"/"ultralytics"/"end2end"/"yolov5"/"yolox"; FALSE if unknown. */
gboolean yolo_family_from_name (const char *name, YoloFamily * out);

/* Parses the Ultralytics names dict literal "{0: 'person', 1: 'bicycle'}"
 * into a new array of strings (index = class id). NULL on syntax error. */
GPtrArray *yolo_parse_names (const char *literal);

G_END_DECLS
#endif /* YOLO_FAMILY_H */
