/* ops/eltwise.h - the element-wise front end (binary ops with ONNX
 * broadcasting, unary ops, Cast) shared with the backends. */
#ifndef YOLO_OPS_ELTWISE_H
#define YOLO_OPS_ELTWISE_H

#include <math.h>
#include "yolo-ops.h"

G_BEGIN_DECLS
/* Binary op codes (ocl_kernels/eltwise.cl ELTWISE_*). */
    enum
{
  ELT_ADD = 0,
  ELT_SUB = 1,
  ELT_MUL = 2,
  ELT_DIV = 3,
  ELT_POW = 4,
  ELT_MOD = 5,                  /* sign of the divisor (ONNX fmod = 0) */
  ELT_FMOD = 6,                 /* C fmod (ONNX fmod = 1) */
  ELT_MAX = 7,
  ELT_MIN = 8,
};

/* ORed into the code of an integer binary op whose operands are uint32
 * (the device holds their bits in int32): Div, Mod, Max and Min compare
 * and divide unsigned (eltwise.cl ELTWISE_UNSIGNED). */
#define ELT_UNSIGNED 32

/* Unary op codes: YOLO_ACT_* (< 16) or these (eltwise.cl ELTWISE_U_*). */
enum
{
  ELT_U_EXP = 16,
  ELT_U_LOG = 17,
  ELT_U_NEG = 18,
  ELT_U_SQRT = 19,
  ELT_U_TANH = 20,
  ELT_U_ABS = 21,
  ELT_U_FLOOR = 22,
  ELT_U_CEIL = 23,
  ELT_U_RECIPROCAL = 24,
  ELT_U_ERF = 25,
};

#define ELT_MAX_KERNEL_DIMS 6

/* Broadcast of a and b into y, with adjacent dims collapsed where both
 * operands stay linear across them and size-1 dims dropped. */
typedef struct
{
  int nd;                       /* >= 1 */
  gint64 d[YOLO_MAX_DIMS];
  gint64 sa[YOLO_MAX_DIMS], sb[YOLO_MAX_DIMS];
} EltBcast;

typedef struct
{
  const char *op_type;
  int code;
  gboolean int_ok;              /* defined on integer tensors */
} EltUnary;

/* Element i of a host tensor as float / as int64 (floats truncated toward
 * zero, saturated; NaN -> 0). */
static inline float
elt_getf (const YoloTensor * t, gint64 i)
{
  if (yolo_dtype_is_float (t->dtype))
    return ((const float *) t->data)[i];
  return (float) ((const gint64 *) t->data)[i];
}

static inline gint64
elt_f2i (float v)
{
  if (isnan (v))
    return 0;
  if (v >= 9.2233720e18f)
    return G_MAXINT64;
  if (v <= -9.2233720e18f)
    return G_MININT64;
  return (gint64) v;            /* truncates toward zero */
}

static inline gint64
elt_geti (const YoloTensor * t, gint64 i)
{
  if (yolo_dtype_is_float (t->dtype))
    return elt_f2i (((const float *) t->data)[i]);
  return ((const gint64 *) t->data)[i];
}

/* A double saturated to int64. */
static inline gint64
elt_clamp_i (double v)
{
  if (v >= 9.2233720e18)
    return G_MAXINT64;
  if (v <= -9.2233720e18)
    return G_MININT64;
  return (gint64) v;
}

/* Clip's bound v (a float min / max: the next integer inside) as an
 * integer bound; NaN is no bound. */
static inline gint64
elt_clip_bound_i (double v, gboolean is_max)
{
  if (isnan (v))
    return is_max ? G_MAXINT64 : G_MININT64;
  return elt_clamp_i (is_max ? floor (v) : ceil (v));
}

/* The ELT_* code of a binary node, -1 for another op. */
int yolo_elt_binary_code (const YoloNode * n);
/* The broadcast of a and b into y, dims collapsed (see EltBcast). */
void yolo_elt_bcast_init (EltBcast * bc, const YoloTensor * a,
    const YoloTensor * b, const YoloTensor * y);
/* The unary op of n, or NULL. */
const EltUnary *yolo_elt_unary_lookup (const YoloNode * n);
/* alpha/beta of LeakyRelu / HardSigmoid, min/max of Clip (inputs 1 and 2
 * from opset 11, attributes before); error naming the node. */
gboolean yolo_elt_unary_params (YoloGraph * g, const YoloNode * n, int code,
    double *p0, double *p1, GError ** error);

G_END_DECLS
#endif
