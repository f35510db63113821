/* yolo-ops.h - the operator interface.
 *
 * Every ONNX operator we support is one YoloOpDef. An op family lives in one
 * file under plugin/engine/ops/ and exports a NULL-terminated array of defs
 * (e.g. `const YoloOpDef *const yolo_ops_eltwise[]`), listed in yolo-ops.c.
 *
 *  infer   (required) sets the dtype and shape of every output from the
 *          inputs (whose shapes are known; constant inputs carry host data).
 *          Fails with a GError naming the node when the input is invalid.
 *  eval    (required for all ops) the plain C reference: computes the outputs
 *          on the host from the inputs' host data (t->data), allocating each
 *          output's t->data (g_malloc; float* or gint64*). It honours the
 *          node's fused epilogue (act, residual). Used for constant folding
 *          and as the reference the OpenCL kernels are tested against.
 * Running a node on a device is the backends' business (yolo-backend.h:
 * the impls of backend-opencl/); attribute and parameter structs they
 * need come from small per-family headers (ops/conv.h, ops/matmul.h, ...).
 * An op no backend implements can only be computed on constants.
 *
 * Flags:
 *  YOLO_OP_VIEW     output 0 is input 0 with another shape (Reshape, Flatten,
 *                   Squeeze, Unsqueeze, Identity): no launch, no copy.
 */
#ifndef YOLO_OPS_H
#define YOLO_OPS_H

#include "yolo-graph.h"
#include "yolo-runtime.h"

G_BEGIN_DECLS

typedef enum
{
  YOLO_OP_VIEW = 1 << 0,
} YoloOpFlags;

typedef struct
{
  const char *op_type;
  YoloOpFlags flags;
  gboolean (*infer) (YoloGraph * g, YoloNode * n, GError ** error);
  gboolean (*eval) (YoloGraph * g, YoloNode * n, GError ** error);
} YoloOpDef;

const YoloOpDef *yolo_ops_lookup (const char *op_type);

/* Helpers for op implementations. */

/* Sets a YOLO_ENGINE_ERROR_INVALID_MODEL error naming the node. */
void yolo_op_error (GError ** error, const YoloNode * n, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

/* Sets a YOLO_ENGINE_ERROR_UNSUPPORTED error naming the node; returns
 * FALSE so callers can `return yolo_op_unsupported (...)`. */
gboolean yolo_op_unsupported (GError ** error, const YoloNode * n,
    const char *fmt, ...) G_GNUC_PRINTF (3, 4);

/* Requires the input at index i to be present and constant; else error. */
gboolean yolo_op_require_const (YoloGraph * g, const YoloNode * n, int i,
    GError ** error);

/* Reads element k of a constant integer (or float) tensor as gint64. */
gint64 yolo_const_int (const YoloTensor * t, gint64 k);

/* Allocates host data for t (zeroed), of the right element type. */
gpointer yolo_tensor_alloc_data (YoloTensor * t);

/* Family arrays (NULL-terminated), one per file in ops/. */
extern const YoloOpDef *const yolo_ops_conv[];
extern const YoloOpDef *const yolo_ops_eltwise[];
extern const YoloOpDef *const yolo_ops_pool[];
extern const YoloOpDef *const yolo_ops_resize[];
extern const YoloOpDef *const yolo_ops_shape[];
extern const YoloOpDef *const yolo_ops_movement[];
extern const YoloOpDef *const yolo_ops_reduce[];
extern const YoloOpDef *const yolo_ops_matmul[];
extern const YoloOpDef *const yolo_ops_index[];
extern const YoloOpDef *const yolo_ops_convtranspose[];
extern const YoloOpDef *const yolo_ops_logic[];
extern const YoloOpDef *const yolo_ops_norm[];
extern const YoloOpDef *const yolo_ops_math[];
extern const YoloOpDef *const yolo_ops_quant[];
extern const YoloOpDef *const yolo_ops_qdq[];
extern const YoloOpDef *const yolo_ops_attention[];
extern const YoloOpDef *const yolo_ops_detect[];
extern const YoloOpDef *const yolo_ops_anchor[];
extern const YoloOpDef *const yolo_ops_detect_topk[];
extern const YoloOpDef *const yolo_ops_dwsep[];

G_END_DECLS
#endif /* YOLO_OPS_H */
