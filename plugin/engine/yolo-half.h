/* yolo-half.h - float16 (IEEE 754 binary16) models, stage 1: the engine
 * stores and computes every float tensor in float32; float16 appears only
 * where ONNX semantics round to it.
 *
 *  - float16 initializers are widened to float32 at load (exact,
 *    yolo-onnx.c);
 *  - Cast (to = FLOAT16) rounds to the nearest half, ties to even, and keeps
 *    the result in float32 (ops/eltwise.c: the C reference
 *    yolo_half_round; the kernel eltwise_cast_f2h);
 *  - a float16 graph input is fed float32 (yolo_engine_set_input, the
 *    pre-processing) and rounded to half by a Cast inserted after it; a
 *    float16 graph output is rounded by a Cast inserted before it
 *    (yolo_graph_round_half_io), so the network sees exactly the input
 *    onnxruntime sees and the output holds half values read back as float.
 */
#ifndef YOLO_HALF_H
#define YOLO_HALF_H

#include "yolo-graph.h"

G_BEGIN_DECLS
/* float32 -> binary16 bits, round to nearest, ties to even: magnitudes of
 * 65520 and above give infinity, below 2^-25 (and 2^-25 itself) a signed
 * zero, in between a subnormal half; NaN stays NaN (quiet, sign kept). */
guint16 yolo_float_to_half (float f);
/* binary16 bits -> float32 (exact; subnormals, infinities and NaN too). */
float yolo_half_to_float (guint16 h);
/* f rounded to the nearest float16 value, as float32. */
float yolo_half_round (float f);
/* f rounded to the nearest bfloat16 value (the top 16 bits of a float32,
 * ties to even; NaN stays NaN, above the largest bfloat16 inf), as
 * float32: Cast (to = BFLOAT16); the kernel eltwise_cast_f2bf. */
float yolo_bfloat16_round (float f);

/* For every graph input and output whose io_dtype is FLOAT16: inserts a
 * Cast (to = FLOAT16) after the input (its readers read the rounded copy)
 * and before the output (its producer writes an unrounded copy). Call on a
 * loaded graph before yolo_graph_prepare (it sorts). */
void yolo_graph_round_half_io (YoloGraph * g);

/* The element type the file declares for a graph input / output
 * (t->io_dtype when set, else t->dtype). */
static inline YoloDType
yolo_tensor_io_dtype (const YoloTensor * t)
{
  return t->io_dtype != YOLO_DTYPE_UNDEFINED ? t->io_dtype : t->dtype;
}

G_END_DECLS
#endif /* YOLO_HALF_H */
