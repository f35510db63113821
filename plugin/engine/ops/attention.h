/* ops/attention.h - ScaledDotProductAttention, the fused attention node
 * made by the attention pass (yolo-attn-fuse.c) from YOLO11's C2PSA and
 * YOLO12's area attention, shared with the backends.
 *
 * With b = (b0, b1) in [B0] x [B1] (areas and heads), d < D, c < DV,
 * i < NQ (queries), j < NK (keys):
 *   S[b,i,j] = scale * sum_d Q[b,d,i] * K[b,d,j]
 *   O[b,c,i] = sum_j softmax_j (S[b,i,j]) * V[b,c,j]
 * Every operand is read and the output written through element strides
 * into its tensor (float32), so the Reshapes, Transposes and Splits around
 * the attention in an export cost nothing:
 *   Q[b,d,i] at q_view[0] + b0*q_view[1] + b1*q_view[2] + d*q_view[3]
 *            + i*q_view[4] of input 0, K (d, j) likewise of input 1, V (c, j)
 *   of input 2, O (c, i) of output 0.
 * Attributes: dims (INTS: B0, B1, D, DV, NQ, NK), q_view, k_view, v_view,
 * o_view (INTS, 5 each: offset and the strides above, > 0 where the dim
 * is larger than 1), scale
 * (FLOAT), shape (INTS: the output's shape; its element count is
 * B0*B1*DV*NQ, each element written once). A fused residual
 * (YoloNode.residual: a float tensor of the output's shape, set by the
 * attention pass for the Add that follows) is added to each element. */
#ifndef YOLO_OPS_ATTENTION_H
#define YOLO_OPS_ATTENTION_H

#include "yolo-ops.h"

G_BEGIN_DECLS
#define YOLO_ATTENTION_OP "ScaledDotProductAttention"
    typedef struct
{
  gint64 B0, B1, D, DV, NQ, NK;
  gint64 q[5], k[5], v[5], o[5];        /* offset, s_b0, s_b1, s_d|c, s_i|j */
  float scale;
} YoloAttnGeom;

/* The geometry of a ScaledDotProductAttention node, every view checked to
 * lie inside its tensor; error naming the node. */
gboolean yolo_attention_geom (YoloGraph * g, const YoloNode * n,
    YoloAttnGeom * a, GError ** error);

G_END_DECLS
#endif
