/* yolo-labels.h - default class names for models that carry none.
 *
 * Copyright (C) 2025 gst-yolo authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef YOLO_LABELS_H
#define YOLO_LABELS_H

#include <glib.h>

G_BEGIN_DECLS

#define YOLO_COCO_N_CLASSES 80

/* The COCO-80 names, index = class id ("person", "bicycle", ...). */
const char *const *yolo_coco_names (void);

/* Labels for a model with n_classes classes and no "names" metadata (YOLOX
 * and other non-Ultralytics exports): the COCO-80 names when n_classes is
 * 80, the class count of every COCO-trained YOLO; NULL otherwise. Returns a
 * new GPtrArray of gchar* (free with g_ptr_array_unref). */
GPtrArray *yolo_default_labels (int n_classes);

G_END_DECLS
#endif /* YOLO_LABELS_H */
