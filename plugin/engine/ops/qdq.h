/* ops/qdq.h - the front end of the static-quantisation ops (ops/qdq.c)
 * shared with the backends. */
#ifndef YOLO_OPS_QDQ_H
#define YOLO_OPS_QDQ_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* The parameters of a QuantizeLinear / DequantizeLinear /
 * QuantizeDequantizeLinear node: element i of the data tensor uses scale
 * and zero point (i / inner) % channels (channels 1: per tensor). */
typedef struct
{
  gint64 n;                     /* elements of x */
  gint64 inner;                 /* elements after the quantisation axis */
  int channels;                 /* 1 or dims[axis] */
  int lo, hi;                   /* 0..255 (uint8) or -128..127 (int8) */
  YoloDType qtype;              /* UINT8 / INT8 (INT32: DequantizeLinear of
                                 * an int32 constant, e.g. a bias) */
  float *scale;                 /* channels values, g_free */
  gint32 *zero_point;           /* channels values, g_free */
} QdqParams;

/* Validates node n (one of the three ops: constant scale > 0 and zero
 * point, per tensor or along `axis`, no block_size, uint8 / int8 data) and
 * fills *p; INVALID_MODEL or UNSUPPORTED error naming the node. Free with
 * yolo_qdq_params_clear. */
gboolean yolo_qdq_params (YoloGraph * g, YoloNode * n, QdqParams * p,
    GError ** error);
void yolo_qdq_params_clear (QdqParams * p);

/* The parameters of the division-free fake quantisation of the OpenCL
 * kernels (yolo_fq / yolo_fq16, ocl_kernels/common.cl) for scale s > 0 and
 * zero point zp of the range [lo, hi]: p = { s, 1 / s (correctly rounded),
 * (lo - zp - 1) * s, (hi - zp + 1) * s, lo - zp, hi - zp }. FALSE when one
 * of them is not a normal finite float (the division form must run). */
gboolean yolo_qdq_fq_pack (float s, int zp, int lo, int hi, float p[6]);

/* The packed record (yolo_qdq_fq_pack, zeroed to 8 floats) of the per-
 * tensor fake quantisation node f (QuantizeDequantizeLinear); its type in
 * *qtype and its number of levels minus one (hi - lo) in *span when not
 * NULL. FALSE when per axis, invalid or not packable. */
gboolean yolo_qdq_fq_node_pack (YoloGraph * g, YoloNode * f, float rec[8],
    YoloDType * qtype, int *span);

/* The reference of a fused QDQ epilogue (YoloQdqEpilogue, yolo-graph.h)
 * on v = conv + bias: the fake quantisations in division form (as
 * QuantizeDequantizeLinear), act NONE or SILU (sigmoid 1 / (1 + exp(-x))
 * then the product, as the Sigmoid and Mul nodes), the residual *r added
 * when r is not NULL. */
float yolo_qdq_epilogue_apply (const YoloQdqEpilogue * e, YoloAct act,
    float v, const float *r);

/* The uint8 code of v, a value on the grid of e->fq[e->codes] (e->codes
 * >= 0): round_half_even(v / s) - qlo. */
gint64 yolo_qdq_epilogue_code (const YoloQdqEpilogue * e, float v);

G_END_DECLS
#endif
