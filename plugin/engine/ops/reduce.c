/* ops/reduce.c - (to be written) */
#include "yolo-ops.h"

const YoloOpDef *const yolo_ops_reduce[] = { NULL };
