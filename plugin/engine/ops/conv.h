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

/* ConvPair (yolo-pair-fuse.c): two Convs of one input X as one node,
 * inputs [X, W1, B1, X, W2, B2] (B1, B2 may be omitted: -1), outputs
 * [Y1, Y2], no residual or QDQ epilogue. Fused activations: Y1 the node's
 * act, Y2 attributes YOLO_CONV_PAIR_ACT2 (INT, a YoloAct; absent: the
 * node's) and YOLO_CONV_PAIR_ACT2_PARAMS (FLOATS alpha, beta). Half k
 * (0 or 1) is a plain Conv: yolo_conv_pair_half. */
#define YOLO_CONV_PAIR_OP "ConvPair"
#define YOLO_CONV_PAIR_ACT2 "activation2"
#define YOLO_CONV_PAIR_ACT2_PARAMS "activation2_params"

/* *half = the Conv node of half k of ConvPair node n (inputs n->inputs +
 * 3 k, output n->outputs[k], its activation; no attributes): a view
 * into n, valid while n is. */
void yolo_conv_pair_half (const YoloNode * n, int k, YoloNode * half);

G_END_DECLS
#endif
