/* ops/quant.h - the front end of the int8 ops (ops/quant.c) shared with
 * the backends. */
#ifndef YOLO_OPS_QUANT_H
#define YOLO_OPS_QUANT_H

#include "yolo-ops.h"
#include "ops/conv-geometry.h"

G_BEGIN_DECLS

/* The 2-D geometry of a ConvInteger / ConvIntegerToFloat node: a
 * [1, C, H, W] input by [M, Cg, kh, kw] weights (ops/conv-geometry.h). */
typedef YoloConvGeometry QConvGeom;

/* TRUE for ConvIntegerToFloat (float output, scale, bias, fused
 * epilogue), FALSE for ConvInteger (int32 output). */
gboolean yolo_qconv_to_float (const YoloNode * n);

/* Validates the inputs and attributes of a ConvInteger or
 * ConvIntegerToFloat node (uint8 / int8 x and constant w, scalar zero
 * points, per-tensor or per-channel w_zero_point, scale and bias of the
 * fused form, at most 33025 taps per output so the int32 sum cannot
 * overflow) and fills *p; INVALID_MODEL or UNSUPPORTED error naming the
 * node. */
gboolean yolo_qconv_geom (YoloGraph * g, YoloNode * n, QConvGeom * p,
    GError ** error);
/* w - w_zero_point for every weight of a node that passed
 * yolo_qconv_geom: int32, ONNX layout [M][Cg][kh][kw], g_free. */
gint32 *yolo_qconv_weights (YoloGraph * g, YoloNode * n,
    const QConvGeom * p);

/* A MatMulInteger node: rows x K (A, the leading dims flattened) by a
 * constant K x N (B). */
typedef struct
{
  int rows, K, N;
} QMatMulGeom;

/* Validates a MatMulInteger node (uint8 / int8 A and constant 2-D B,
 * scalar a_zero_point, b_zero_point scalar or [N], K <= 33025) and fills
 * *p; INVALID_MODEL or UNSUPPORTED error naming the node and pattern. */
gboolean yolo_qmatmul_geom (YoloGraph * g, YoloNode * n, QMatMulGeom * p,
    GError ** error);
/* B - b_zero_point, int32 [K][N], g_free. */
gint32 *yolo_qmatmul_weights (YoloGraph * g, YoloNode * n,
    const QMatMulGeom * p);

G_END_DECLS
#endif
