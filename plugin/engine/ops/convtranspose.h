/* ops/convtranspose.h - the ConvTranspose front end shared with the
 * backends (see ops/convtranspose.c for the semantics). */
#ifndef YOLO_OPS_CONVTRANSPOSE_H
#define YOLO_OPS_CONVTRANSPOSE_H

#include "yolo-ops.h"
#include "ops/conv-geometry.h"

G_BEGIN_DECLS
/* A 2-D transposed convolution of a [1, C, H, W] input by
 * [C, Mg, kh, kw] weights into [1, M = Mg * group, Ho, Wo]
 * (ops/conv-geometry.h: pb, pr < 0 for an output_shape beyond the natural
 * size; oph, opw: output_padding). */
typedef YoloConvGeometry ConvTransposeParams;

/* Validates the inputs and attributes of ConvTranspose node n (constant
 * float weights and bias, 4-D input of batch 1, group, kernel_shape,
 * strides, dilations, pads / auto_pad / output_shape, output_padding) and
 * fills *p, the pads resolved; INVALID_MODEL or UNSUPPORTED error naming
 * the node. The fused residual: yolo_conv_residual_ok. */
gboolean yolo_convtranspose_params (YoloGraph * g, YoloNode * n,
    ConvTransposeParams * p, GError ** error);
/* Kernel == stride, dilation 1, no pads, no output_padding, group 1: every
 * output pixel gets exactly one tap. */
gboolean yolo_convtranspose_is_k_eq_s (const ConvTransposeParams * p);

G_END_DECLS
#endif
