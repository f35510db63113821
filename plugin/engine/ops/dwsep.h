/* ops/dwsep.h - DepthwiseSeparableConv: a depthwise Conv and the 1x1
 * Conv that is its only reader, in one node (YOLOX's DWConv, the
 * DWConv -> Conv pairs of the Ultralytics heads), made by the pass of
 * yolo-dwsep-fuse.c and shared with the backends.
 *
 * Inputs:
 *   X   float [1, C, H, W]
 *   W   float constant [Cd, 1, kh, kw]: the depthwise weights (group C,
 *       Cd = C * multiplier)
 *   B   float constant [Cd] or omitted: the depthwise bias
 *   WP  float constant [M, Cd, 1, 1]: the pointwise (1x1, group 1)
 *       weights
 *   BP  float constant [M] or omitted: the pointwise bias
 * Attributes: those of the depthwise Conv (group, kernel_shape, strides,
 * pads, dilations, auto_pad), and its fused activation as
 * depthwise_activation (INT, a YoloAct), depthwise_alpha and
 * depthwise_beta (FLOAT). The node's own epilogue (act, residual) is the
 * pointwise Conv's; no QDQ epilogue.
 * Output [1, M, Ho, Wo] float:
 *   D = depthwise_activation (Conv (X, W, B))    [1, Cd, Ho, Wo]
 *   Y = act (Conv (D, WP, BP)) [+ residual]
 * the two Convs' arithmetic, D never stored. */
#ifndef YOLO_OPS_DWSEP_H
#define YOLO_OPS_DWSEP_H

#include "ops/conv.h"

G_BEGIN_DECLS

#define YOLO_DWSEP_OP "DepthwiseSeparableConv"

/* The depthwise geometry of DepthwiseSeparableConv node n (*dw, as
 * yolo_conv_params reads a Conv) and the pointwise one (*pw: input Cd x
 * Ho x Wo, M output channels, 1x1, group 1); the depthwise activation
 * in *act, *alpha, *beta (any of them may be NULL). INVALID_MODEL or
 * UNSUPPORTED error naming the node. */
gboolean yolo_dwsep_params (YoloGraph * g, YoloNode * n, ConvParams * dw,
    ConvParams * pw, YoloAct * act, float *alpha, float *beta,
    GError ** error);

G_END_DECLS
#endif
