/* yolo-flops.h - floating-point operations of a graph's nodes, counted from
 * their inferred shapes (no device, no timing). GStreamer-free.
 *
 * One multiply-add is 2 FLOPs; the batch dimension is included:
 *   Conv           2 * N*Cout*Ho*Wo * Cin/group * kh*kw   (weights [Cout,
 *                  Cin/group, kh, kw]; any number of spatial dims)
 *   ConvTranspose  2 * N*Cin*H*W * Cout/group * kh*kw     (per input element)
 *   MatMul, Gemm   2 * numel(Y) * K   (broadcast batch dims included)
 *   ConvInteger, MatMulInteger: as Conv, MatMul (integer operations)
 *   ScaledDotProductAttention (the fused attention, ops/attention.h):
 *                  2 * B * NQ * NK * (D + DV) + 4 * B * NQ * NK (its
 *                  MatMuls, scale and Softmax as they counted unfused)
 *   element-wise   1 per output element: Add Sub Mul Div Pow Max Min Mod,
 *                  Sqrt Reciprocal Exp Log Neg Abs Floor Ceil Round Erf
 *                  Sin Cos Tanh Sigmoid Relu LeakyRelu Elu HardSigmoid
 *                  HardSwish Clip PRelu Sign
 *   Softmax, LogSoftmax        3 per element (subtract max, exp, divide)
 *   BatchNormalization         2 per element (scale, shift)
 *   LayerNormalization,
 *   InstanceNormalization      5 per element (mean, variance, normalise,
 *                              scale, shift)
 *   MaxPool, AveragePool       kh*kw per output element
 *   GlobalAveragePool/MaxPool, ReduceSum/Mean/Max/Min/L2/SumSquare
 *                              1 per input element
 *   a fused epilogue (YoloNode.act, .residual) 1 per output element each
 * Every other op (data movement and indexing: Reshape, Transpose, Concat,
 * Slice, Split, Gather, Resize, Pad, ...; comparisons, logic, Where, Cast,
 * TopK) counts 0. Tensors of unknown or invalid shape count 0. */
#ifndef YOLO_FLOPS_H
#define YOLO_FLOPS_H

#include "yolo-graph.h"

G_BEGIN_DECLS

/* Multiply-adds of a Conv, ConvTranspose, MatMul or Gemm node (0 for any
 * other op): what `yolo-engine info` reports as the model's FLOPs / 2. */
double yolo_node_macs (YoloGraph * g, const YoloNode * n);

/* FLOPs of one node of an inferred graph, as listed above (a removed node
 * counts like any other: callers skip them). */
double yolo_node_flops (YoloGraph * g, const YoloNode * n);

/* Sum of yolo_node_flops over the graph's nodes that are not removed. */
double yolo_graph_flops (YoloGraph * g);

G_END_DECLS
#endif /* YOLO_FLOPS_H */
