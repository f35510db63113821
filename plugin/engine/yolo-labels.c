/* yolo-labels.c - the COCO-80 class names, the labels of models that carry
 * none.
 *
 * Copyright (C) 2025 gst-yolo authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "yolo-labels.h"

/* The 80 categories of the COCO 2017 detection task in the order every YOLO
 * family trains them (class id = index): Ultralytics' coco.yaml, YOLOX's
 * COCO_CLASSES, YOLOv5's data/coco.yaml. */
static const char *const coco80[YOLO_COCO_N_CLASSES] = {
  "person",
  "bicycle",
  "car",
  "motorcycle",
  "airplane",
  "bus",
  "train",
  "truck",
  "boat",
  "traffic light",
  "fire hydrant",
  "stop sign",
  "parking meter",
  "bench",
  "bird",
  "cat",
  "dog",
  "horse",
  "sheep",
  "cow",
  "elephant",
  "bear",
  "zebra",
  "giraffe",
  "backpack",
  "umbrella",
  "handbag",
  "tie",
  "suitcase",
  "frisbee",
  "skis",
  "snowboard",
  "sports ball",
  "kite",
  "baseball bat",
  "baseball glove",
  "skateboard",
  "surfboard",
  "tennis racket",
  "bottle",
  "wine glass",
  "cup",
  "fork",
  "knife",
  "spoon",
  "bowl",
  "banana",
  "apple",
  "sandwich",
  "orange",
  "broccoli",
  "carrot",
  "hot dog",
  "pizza",
  "donut",
  "cake",
  "chair",
  "couch",
  "potted plant",
  "bed",
  "dining table",
  "toilet",
  "tv",
  "laptop",
  "mouse",
  "remote",
  "keyboard",
  "cell phone",
  "microwave",
  "oven",
  "toaster",
  "sink",
  "refrigerator",
  "book",
  "clock",
  "vase",
  "scissors",
  "teddy bear",
  "hair drier",
  "toothbrush"
};

const char *const *
yolo_coco_names (void)
{
  return coco80;
}

GPtrArray *
yolo_default_labels (int n_classes)
{
  GPtrArray *labels;
  int i;

  if (n_classes != YOLO_COCO_N_CLASSES)
    return NULL;
  labels = g_ptr_array_new_full (n_classes, g_free);
  for (i = 0; i < n_classes; i++)
    g_ptr_array_add (labels, g_strdup (coco80[i]));
  return labels;
}
