/* ops/pool.c - (to be written) */
#include "yolo-ops.h"

const YoloOpDef *const yolo_ops_pool[] = { NULL };
