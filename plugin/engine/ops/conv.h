/* ops/conv.h - the Conv front end shared with the backends. */
#ifndef YOLO_OPS_CONV_H
#define YOLO_OPS_CONV_H

#include "yolo-ops.h"
#include "ops/conv-geometry.h"

G_BEGIN_DECLS

/* A 2-D convolution of an [N, C, H, W] input by [M, Cg, kh, kw] weights
 * (ops/conv-geometry.h). */
typedef YoloConvGeometry ConvParams;

/* Validates the inputs and attributes of Conv node n (constant float
 * weights and bias, 4-D input of any batch N, groups, kernel_shape, strides,
 * dilations, pads / auto_pad) and fills *p; INVALID_MODEL or UNSUPPORTED
 * error naming the node. The fused residual: yolo_conv_residual_ok. */
gboolean yolo_conv_params (YoloGraph * g, YoloNode * n, ConvParams * p,
    GError ** error);

/* The same for Conv (transposed FALSE) or ConvTranspose (TRUE, batch 1):
 * X, constant W [and B], all float32, X 4-D, B [M]. */
gboolean yolo_conv_float_params (YoloGraph * g, YoloNode * n,
    gboolean transposed, YoloConvGeometry * p, GError ** error);

G_END_DECLS
#endif
