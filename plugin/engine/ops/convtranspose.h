/* ops/convtranspose.h - the ConvTranspose front end shared with the
 * backends (see ops/convtranspose.c for the semantics). */
#ifndef YOLO_OPS_CONVTRANSPOSE_H
#define YOLO_OPS_CONVTRANSPOSE_H

#include "yolo-ops.h"

G_BEGIN_DECLS
/* A 2-D transposed convolution of a [1, C, H, W] input by
 * [C, Mg, kh, kw] weights into [1, M = Mg * group, Ho, Wo]. */
    typedef struct
{
  int C, H, W;                  /* input */
  int M, Ho, Wo;                /* output */
  int group, Cg, Mg;            /* input / output channels per group */
  int kh, kw, sh, sw, dh, dw;
  int pt, pl, pb, pr;           /* pads: top, left, bottom, right (pb, pr
                                 * < 0: output_shape beyond the natural
                                 * size) */
  int oph, opw;                 /* output_padding */
} ConvTransposeParams;

/* Validates the inputs and attributes of ConvTranspose node n (constant
 * float weights and bias, 4-D input of batch 1, group, kernel_shape,
 * strides, dilations, pads / auto_pad / output_shape, output_padding) and
 * fills *p, the pads resolved; INVALID_MODEL or UNSUPPORTED error naming
 * the node. */
gboolean yolo_convtranspose_params (YoloGraph * g, YoloNode * n,
    ConvTransposeParams * p, GError ** error);
/* The fused residual of n (*res, NULL when none), checked against the
 * output [1, M, Ho, Wo]. */
gboolean yolo_convtranspose_residual_ok (YoloGraph * g, YoloNode * n,
    const ConvTransposeParams * p, YoloTensor ** res, GError ** error);
/* Kernel == stride, dilation 1, no pads, no output_padding, group 1: every
 * output pixel gets exactly one tap. */
gboolean yolo_convtranspose_is_k_eq_s (const ConvTransposeParams * p);

G_END_DECLS
#endif
