/* ops/quant-dot.h - which ConvInteger / ConvIntegerToFloat nodes the
 * integer dot-product kernels take (backend-opencl/conv-int8.c), shared
 * with the pass that keeps them integer (yolo-quant-fuse.c). Every rule
 * below also needs uint8 x: the kernels pack four codes per int as
 * unsigned bytes, so int8 activations run on the other kernels. */
#ifndef YOLO_OPS_QUANT_DOT_H
#define YOLO_OPS_QUANT_DOT_H

#include "ops/quant.h"

G_BEGIN_DECLS
/* TRUE when node n (a ConvInteger or ConvIntegerToFloat that passes
 * yolo_qconv_geom, filled into *p) is 1x1, stride 1, unpadded, one group,
 * any batch (yolo-lower.c runs a batch per image), with H * W <= G_MAXINT / 4. */
    gboolean yolo_qdot_1x1 (YoloGraph * g, YoloNode * n, QConvGeom * p);

/* TRUE when node n is 3x3, stride 1, pads 1, dilation 1, one group, any
 * batch, C % 4 == 0, H * W <= G_MAXINT / 4 (fills *p); any width
 * (conv-int8-3x3s1 takes W >= 32, conv-int8-3x3s1-flat every plane). */
gboolean yolo_qdot_3x3s1 (YoloGraph * g, YoloNode * n, QConvGeom * p);

/* TRUE when node n is 3x3, stride 2, pads 1, dilation 1, one group, any
 * batch, any C, H and W (output (H - 1) / 2 + 1 by (W - 1) / 2 + 1),
 * H * W <= G_MAXINT / 4 (fills *p). */
gboolean yolo_qdot_3x3s2 (YoloGraph * g, YoloNode * n, QConvGeom * p);

/* The per-output-channel offsets d[m] (p->M values) that bring the int32
 * weights w - w_zp ([M][C], yolo_qconv_weights) into signed bytes:
 * 0 when every w - w_zp of channel m is in [-128, 127], else the
 * channel's minimum + 128. FALSE when a channel's values span more than
 * 256 integers (not for weights of one 8-bit type). */
gboolean yolo_qdot_offsets (const gint32 * w, const QConvGeom * p, gint32 * d);

/* yolo_qdot_1x1, yolo_qdot_3x3s1 or yolo_qdot_3x3s2, and yolo_qdot_offsets, hold for
 * node n. */
gboolean yolo_qdot_supported (YoloGraph * g, YoloNode * n);

G_END_DECLS
#endif
