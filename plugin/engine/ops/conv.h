/* ops/conv.h - the Conv front end shared with the backends. */
#ifndef YOLO_OPS_CONV_H
#define YOLO_OPS_CONV_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* A 2-D convolution of a [1, C, H, W] input by [M, Cg, kh, kw] weights. */
typedef struct
{
  int N;                        /* batch (images) */
  int C, H, W;                  /* input (per image) */
  int M, Ho, Wo;                /* output */
  int group, Cg, Mg;            /* input / output channels per group */
  int kh, kw, sh, sw, dh, dw;
  int pt, pl, pb, pr;           /* pads: top, left, bottom, right */
} ConvParams;

/* Validates the inputs and attributes of Conv node n (constant float
 * weights and bias, 4-D input of any batch N, groups, kernel_shape, strides,
 * dilations, pads / auto_pad) and fills *p; INVALID_MODEL or UNSUPPORTED
 * error naming the node. */
gboolean yolo_conv_params (YoloGraph * g, YoloNode * n, ConvParams * p,
    GError ** error);
/* The fused residual of n (*res, NULL when none), checked against the
 * output [N, M, Ho, Wo]. */
gboolean yolo_conv_residual_ok (YoloGraph * g, YoloNode * n,
    const ConvParams * p, YoloTensor ** res, GError ** error);

G_END_DECLS
#endif
