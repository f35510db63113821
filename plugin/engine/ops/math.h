/* ops/math.h - the front end of Sin, Cos, Gelu (ops/math.c) shared with
 * the backends. */
#ifndef YOLO_OPS_MATH_H
#define YOLO_OPS_MATH_H

#include "yolo-ops.h"

G_BEGIN_DECLS
/* Op codes (ocl_kernels/math.cl MATH_*). */
    enum
{
  MATH_SIN = 0,
  MATH_COS = 1,
  MATH_GELU = 2,
  MATH_GELU_TANH = 3,
};

/* The MATH_* code of node n (Gelu: from its approximate attribute);
 * INVALID_MODEL error naming the node for an unknown approximation. */
gboolean yolo_math_code (const YoloNode * n, int *code, GError ** error);

G_END_DECLS
#endif
