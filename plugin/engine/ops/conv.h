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
 * (0 or 1) is a plain Conv: yolo_conv_pair_half. The up2 form
 * (yolo-upsample-fuse.c: YOLOX's and YOLOv5's CSP convs of the FPN's
 * Concat) has inputs [S, W1, B1, Z1, S, W2, B2, Z2]: each half a
 * ConvUpsampleAdd (below) of S with its own Z. */
#define YOLO_CONV_PAIR_OP "ConvPair"
#define YOLO_CONV_PAIR_ACT2 "activation2"
#define YOLO_CONV_PAIR_ACT2_PARAMS "activation2_params"

/* *half = the Conv node of half k of ConvPair node n (inputs n->inputs +
 * 3 k, output n->outputs[k], its activation; no attributes; of the up2
 * form a ConvUpsampleAdd, inputs n->inputs + 4 k): a view into n, valid
 * while n is. */
void yolo_conv_pair_half (const YoloNode * n, int k, YoloNode * half);
/* Whether ConvPair node n has the up2 form (8 inputs). */
gboolean yolo_conv_pair_is_up2 (const YoloNode * n);

/* ConvUpsampleAdd (yolo-upsample-fuse.c): the FPN's
 * Conv1x1 (Concat (Resize_nearest_2x (X), S)) with the upsampled part's
 * 1x1 run before the upsampling, at the low resolution (nearest
 * upsampling commutes with a 1x1 conv): a plain Conv computes
 * Z = W_up X [1, M, H/2, W/2] (no bias, no activation), then this node
 *   Y = act (Conv1x1 (S, W_S, B) + up2 (Z)) [+ residual]
 * with up2 (Z)[m][y][x] = Z[m][y / 2][x / 2]. Inputs [S [1, C, H, W]
 * (H, W even), W_S [M, C, 1, 1], B [M] or omitted (-1), Z], a 1x1 stride-1
 * unpadded group-1 Conv's attributes, its fused activation and residual;
 * no QDQ epilogue. Without Z (inputs 0-2) it reads as a plain Conv. */
#define YOLO_CONV_UP2_OP "ConvUpsampleAdd"
/* INT attribute of the low-resolution Conv or ConvPair (4): yolo-flops.c
 * counts its multiply-adds at the upsampled size, the model's FLOPs, not
 * ours. */
#define YOLO_CONV_UP2_FLOPS_SCALE "up2_flops_scale"

/* The geometry of ConvUpsampleAdd node n's Conv of S (*p, as
 * yolo_conv_params reads a Conv), checked to be what the node is for: a
 * 1x1 stride-1 unpadded group-1 conv of batch 1 over an even H x W, Z
 * float [1, M, H/2, W/2], no QDQ epilogue. INVALID_MODEL or UNSUPPORTED
 * error naming the node. */
gboolean yolo_conv_up2_params (YoloGraph * g, YoloNode * n, ConvParams * p,
    GError ** error);

/* ConvMulti (yolo-multi-fuse.c): K >= 2 independent Convs of one kind as
 * one node (one launch: conv-cpu-1x1-multi, conv-cpu-dw3x3s1-multi), each
 * with its own input, weights, bias, output and activation. Inputs
 * [X1, W1, B1, ..., XK, WK, BK] (a B may be omitted: -1; X's may repeat),
 * outputs [Y1, ..., YK], no residual or QDQ epilogue; attributes
 * YOLO_CONV_MULTI_KIND (INT, a YoloConvMultiKind), YOLO_CONV_MULTI_ACTS
 * (INTS, K YoloActs) and YOLO_CONV_MULTI_ACT_PARAMS (FLOATS, K alpha, beta
 * pairs). Member k is a plain Conv: yolo_conv_multi_member. */
#define YOLO_CONV_MULTI_OP "ConvMulti"
#define YOLO_CONV_MULTI_KIND "kind"
#define YOLO_CONV_MULTI_ACTS "activations"
#define YOLO_CONV_MULTI_ACT_PARAMS "activation_params"
#define YOLO_CONV_MULTI_MAX 16

typedef enum
{
  YOLO_CONV_MULTI_1X1 = 0,      /* 1x1, stride 1, no padding, group 1 */
  YOLO_CONV_MULTI_DW3X3S1 = 1,  /* depthwise 3x3, stride 1, pads 1 */
} YoloConvMultiKind;

/* Member k of a ConvMulti node as a Conv node view (inputs n->inputs +
 * 3 k, output n->outputs[k], its activation, the kind's attributes: group
 * M and pads 1 for YOLO_CONV_MULTI_DW3X3S1), valid while n and *m are. */
typedef struct
{
  YoloNode node;
  YoloAttr attrs[2];
  gint64 pads[4];
} YoloConvMultiMember;

/* The member count of ConvMulti node n (n_outputs when its inputs and
 * attributes agree with it, else 0). */
int yolo_conv_multi_count (const YoloNode * n);
void yolo_conv_multi_member (YoloGraph * g, const YoloNode * n, int k,
    YoloConvMultiMember * m);

G_END_DECLS
#endif
