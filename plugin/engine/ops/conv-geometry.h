/* ops/conv-geometry.h - the 2-D geometry of the convolution family (Conv,
 * ConvTranspose, ConvInteger / ConvIntegerToFloat): one reading and one
 * check of the attributes they share, and their output sizes. */
#ifndef YOLO_OPS_CONV_GEOMETRY_H
#define YOLO_OPS_CONV_GEOMETRY_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* A 2-D convolution of an [N, C, H, W] input into [N, M, Ho, Wo], by
 * [M, Cg, kh, kw] weights (Conv, ConvInteger) or [C, Mg, kh, kw] weights
 * (ConvTranspose). Every size is at least 1 (pads at least 0) and below
 * 2^31 / 4; the input N * C * H * W, the output N * M * Ho * Wo and the
 * weights M * Cg * kh * kw are at most G_MAXINT / 2 elements. */
typedef struct
{
  int N;                        /* batch (images) */
  int C, H, W;                  /* input (per image) */
  int M, Ho, Wo;                /* output */
  int group, Cg, Mg;            /* input / output channels per group */
  int kh, kw, sh, sw, dh, dw;   /* kernel, strides, dilations */
  int pt, pl, pb, pr;           /* pads: top, left, bottom, right, resolved
                                 * from auto_pad (ConvTranspose: pb, pr < 0
                                 * for an output_shape beyond the natural
                                 * size) */
  int oph, opw;                 /* output_padding (ConvTranspose; else 0) */
  gboolean transposed;          /* ConvTranspose's weights and arithmetic */
} YoloConvGeometry;

/* Reads and checks the shapes of input x (4-D, the caller has checked the
 * rank and the batch it supports) and weights w, and node n's attributes
 * group, kernel_shape, strides, dilations, pads, auto_pad and (transposed)
 * output_padding into *p; the output sizes are left to
 * yolo_conv_geometry_output. Checks: every dimension of x and w at least
 * 1, the kernel at most 1024, the channel counts below 2^31 / 4; group in
 * 1..C dividing C (and M unless transposed) and matching the weights'
 * channels; kernel_shape equal to the weights' kh x kw; 2 strides and
 * dilations in 1..65536, 2 output_padding values in 0..65536 and below
 * the stride or the dilation; 4 pads in 0..65536; auto_pad NOTSET (or
 * empty), VALID, SAME_UPPER or SAME_LOWER. INVALID_MODEL error naming the
 * node and the attribute or tensor. */
gboolean yolo_conv_geometry_parse (const YoloNode * n, const YoloTensor * x,
    const YoloTensor * w, gboolean transposed, YoloConvGeometry * p,
    GError ** error);

/* Ho, Wo and the pads of a geometry read by yolo_conv_geometry_parse, as
 * the ONNX specification gives them for auto_pad (and, transposed,
 * output_shape; see ops/convtranspose.c), then the total sizes checked.
 * INVALID_MODEL error naming the node: a kernel larger than the padded
 * input, an output_shape that does not fit, tensors too large. */
gboolean yolo_conv_geometry_output (const YoloNode * n, YoloConvGeometry * p,
    GError ** error);

/* TRUE for a pointwise conv: a 1x1 kernel, stride 1, no padding, group
 * 1 (what the 1x1 kernels and the 1x1 fusions take; dilation does not
 * matter to a 1x1 kernel). */
gboolean yolo_conv_geometry_is_pointwise (const YoloConvGeometry * p);

/* The output shape [N, M, Ho, Wo]. */
void yolo_conv_geometry_out_dims (const YoloConvGeometry * p,
    gint64 dims[4]);

/* The fused residual of n (*res, NULL when none), checked against the
 * output [N, M, Ho, Wo] (float32, as many elements). */
gboolean yolo_conv_residual_ok (YoloGraph * g, YoloNode * n,
    const YoloConvGeometry * p, YoloTensor ** res, GError ** error);

/* SAME_UPPER / SAME_LOWER padding of one axis of a (forward) convolution
 * or pooling of extent ext (dilation * (kernel - 1) + 1) and stride s
 * over in elements: *out = ceil(in / s); the total padding split begin /
 * end with the odd one at the end (upper) or at the begin (lower). */
void yolo_conv_same_pads (gboolean upper, gint64 in, gint64 ext, gint64 s,
    gint64 * out, gint64 * begin, gint64 * end);

G_END_DECLS
#endif
