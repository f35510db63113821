/* ops/quant.h - the front end of the int8 ops (ops/quant.c) shared with
 * the backends. */
#ifndef YOLO_OPS_QUANT_H
#define YOLO_OPS_QUANT_H

#include "yolo-ops.h"
#include "ops/conv-geometry.h"

G_BEGIN_DECLS

/* The 2-D geometry of a ConvInteger / ConvIntegerToFloat node: a
 * [N, C, H, W] input by [M, Cg, kh, kw] weights (ops/conv-geometry.h). */
typedef YoloConvGeometry QConvGeom;

/* The number of parts a DynamicQuantizeLinear (or its fake-quantising
 * form) node quantises apart: x's batch N when it has the internal
 * attribute per_image = 1 (yolo-rebatch.c: a batch-1 export run at batch
 * N; y_scale and y_zero_point are then [N, 1, .., 1]), else 1 (one scale
 * and zero point over the whole tensor, as onnxruntime). */
gint64 yolo_dql_images (YoloGraph * g, YoloNode * n);

/* The most scale products one DynamicQuantizeLinear node writes (see
 * ops/quant.c: extra inputs w_1..w_k, float constants, and extra outputs
 * y_scale * w_j, made by yolo-quant-fuse.c from the Muls of quantize_
 * dynamic's x_scale * w_scale). */
#define YOLO_DQL_MAX_PRODUCTS 4

/* TRUE when t holds one value (channels 1) or one per output channel
 * (channels M) for each image of a batch > 1: [batch, channels, 1, 1]
 * (a per-image x_zero_point, or scale m of ConvIntegerToFloat, made by a
 * per_image DynamicQuantizeLinear). */
gboolean yolo_qconv_per_image (const YoloTensor * t, gint64 batch,
    gint64 channels);

/* TRUE for ConvIntegerToFloat (float output, scale, bias, fused
 * epilogue), FALSE for ConvInteger (int32 output). */
gboolean yolo_qconv_to_float (const YoloNode * n);

/* Validates the inputs and attributes of a ConvInteger or
 * ConvIntegerToFloat node (uint8 / int8 x and constant w, scalar zero
 * points (x_zero_point and the scale m also per image, see
 * yolo_qconv_per_image), per-tensor or per-channel w_zero_point, scale
 * and bias of the fused form, at most 33025 taps per output so the int32
 * sum cannot overflow) and fills *p; INVALID_MODEL or UNSUPPORTED error
 * naming the node. */
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
 * scalar or per-image (yolo_qmatmul_per_image) a_zero_point,
 * b_zero_point scalar or [N], K <= 33025) and fills *p; INVALID_MODEL or
 * UNSUPPORTED error naming the node and pattern. */
gboolean yolo_qmatmul_geom (YoloGraph * g, YoloNode * n, QMatMulGeom * p,
    GError ** error);
/* TRUE when az (MatMulInteger's a_zero_point) holds one value per image
 * of A's batch > 1: [batch, 1, .., 1] of A's rank (a per_image
 * DynamicQuantizeLinear's zero point). */
gboolean yolo_qmatmul_per_image (const YoloTensor * a, const YoloTensor * az);
/* B - b_zero_point, int32 [K][N], g_free. */
gint32 *yolo_qmatmul_weights (YoloGraph * g, YoloNode * n,
    const QMatMulGeom * p);

G_END_DECLS
#endif
