/* ops/matmul.h - the MatMul / Gemm front end shared with the backends. */
#ifndef YOLO_OPS_MATMUL_H
#define YOLO_OPS_MATMUL_H

#include "yolo-ops.h"

G_BEGIN_DECLS

/* The most batch dims (after dropping size-1 ones). */
#define MM_BATCH 4

/* Y[b][M][N] = alpha * A[b] x B[b] (+ beta * C), operands by strides:
 * A[r][k] at sa[batch] + r * sam + k * sak, B[k][c] at
 * sb[batch] + k * sbk + c * sbn (elements), C[r][c] at r * scm + c * scn. */
typedef struct
{
  gint64 M, N, K;
  gint64 sam, sak, sbk, sbn;
  gint64 bd[MM_BATCH], sa[MM_BATCH], sb[MM_BATCH];      /* batch dims */
  gboolean has_c;
  gint64 scm, scn;
  float alpha, beta;
  int ndim;                     /* output */
  gint64 dims[YOLO_MAX_DIMS];
} MMGeom;

/* The geometry of a MatMul or Gemm node; error naming the node. */
gboolean yolo_matmul_geom (YoloGraph * g, YoloNode * n, MMGeom * m,
    GError ** error);

G_END_DECLS
#endif
