/* yolo-graph.h - the engine's graph IR: tensors, nodes, attributes.
 *
 * GStreamer-free. A YoloGraph is built by the ONNX loader (yolo-onnx.c) or by
 * hand (tests), then shape-inferred, constant-folded, fused and planned.
 *
 * Conventions:
 *  - Tensors and nodes are referred to by index into g->tensors / g->nodes.
 *  - Batch is 1; layouts are ONNX's (NCHW, row-major, contiguous).
 *  - Logical dtypes follow ONNX (t->dtype). On the device a tensor is stored
 *    as t->storage (its element type in device memory, set by the planner:
 *    yolo_tensor_storage): float tensors as `float` (YOLO_DTYPE_FLOAT) or,
 *    with half storage, `half` (YOLO_DTYPE_FLOAT16, read and written with
 *    vload_half / vstore_half, arithmetic in float); integer and bool
 *    tensors as `int` (YOLO_DTYPE_INT32). The arena, views and offsets are
 *    in bytes (yolo_dtype_size gives the width), so tensors of any width
 *    share one arena; kernels get element offsets in their storage type.
 *  - Host constant data (t->data): float* for FLOAT, gint64* for any integer
 *    or bool dtype (always widened to 64 bit on the host).
 */
#ifndef YOLO_GRAPH_H
#define YOLO_GRAPH_H

#include <glib.h>

G_BEGIN_DECLS
#define YOLO_MAX_DIMS 8
/* Memory budget for everything a model file asks the host to allocate
 * (initializers, Constant nodes, constant-folded values) and for the size of
 * any one tensor: 2 GiB. Shapes whose element count overflows or whose data
 * would not fit this budget are refused at load with an INVALID_MODEL error,
 * before anything is allocated. Device buffers are further bounded by
 * CL_DEVICE_MAX_MEM_ALLOC_SIZE and CL_DEVICE_GLOBAL_MEM_SIZE (yolo-runtime.c). */
#define YOLO_MAX_HOST_BYTES (G_GINT64_CONSTANT (2) << 30)
/* ONNX TensorProto.DataType values we know. */
    typedef enum
{
  YOLO_DTYPE_UNDEFINED = 0,
  YOLO_DTYPE_FLOAT = 1,
  YOLO_DTYPE_UINT8 = 2,
  YOLO_DTYPE_INT8 = 3,
  YOLO_DTYPE_INT32 = 6,
  YOLO_DTYPE_INT64 = 7,
  YOLO_DTYPE_BOOL = 9,
  YOLO_DTYPE_FLOAT16 = 10,
  YOLO_DTYPE_DOUBLE = 11,
} YoloDType;

/* Bytes per element of dtype t (bool: 1), 0 for UNDEFINED or unknown. */
static inline gsize
yolo_dtype_size (YoloDType t)
{
  switch (t) {
    case YOLO_DTYPE_UINT8:
    case YOLO_DTYPE_INT8:
    case YOLO_DTYPE_BOOL:
      return 1;
    case YOLO_DTYPE_FLOAT16:
      return 2;
    case YOLO_DTYPE_FLOAT:
    case YOLO_DTYPE_INT32:
      return 4;
    case YOLO_DTYPE_INT64:
    case YOLO_DTYPE_DOUBLE:
      return 8;
    default:
      return 0;
  }
}

static inline gboolean
yolo_dtype_is_float (YoloDType t)
{
  return t == YOLO_DTYPE_FLOAT || t == YOLO_DTYPE_FLOAT16
      || t == YOLO_DTYPE_DOUBLE;
}

const char *yolo_dtype_name (YoloDType t);

/* Quantisation parameters of a tensor (ONNX QuantizeLinear /
 * DequantizeLinear): real = (q - zero_point) * scale.
 *  - per-tensor: axis = -1, n = 1;
 *  - per-channel: axis = the quantised axis of the tensor (normalised,
 *    0 <= axis < ndim), n = dims[axis] scales (and zero points).
 * scale: n floats (> 0). zero_point: n values of zp_dtype's range (INT8:
 * -128..127, UINT8: 0..255, INT32 for int32 biases), or NULL for all zero.
 * Owned by the tensor (yolo_tensor_set_quant copies; freed with it). */
typedef struct
{
  gint axis;
  guint n;
  float *scale;
  gint32 *zero_point;
  YoloDType zp_dtype;
} YoloQuantParams;

/* Where a tensor's data lives at run time (set by the planner). */
typedef enum
{
  YOLO_MEM_NONE = 0,            /* not planned / not needed on device */
  YOLO_MEM_ARENA,               /* the shared activation arena */
  YOLO_MEM_CONST,               /* uploaded constant (own buffer) */
} YoloMemKind;

typedef struct
{
  char *name;
  YoloDType dtype;
  int ndim;
  gint64 dims[YOLO_MAX_DIMS];

  /* Host data for constants (initializers, Constant nodes, folded values):
   * float* for FLOAT, gint64* for integers; NULL for run-time tensors. */
  gpointer data;
  /* A constant whose host data was freed once the engine was built
   * (yolo_engine_new): its values live only on the device, data is NULL. */
  gboolean host_released;

  int producer;                 /* producing node index, -1 if none */
  int n_uses;                   /* number of node inputs reading it */
  gboolean is_input;            /* graph input */
  gboolean is_output;           /* graph output */
  /* Graph inputs / outputs: the element type the file declares. The engine
   * holds float16 values in float32 (rounded to half, round-to-nearest-
   * even: yolo_graph_round_half_io in yolo-half.h); UNDEFINED for other
   * tensors. */
  YoloDType io_dtype;

  /* Quantisation parameters (scale, zero point, axis) of a quantised
   * tensor, or NULL. */
  YoloQuantParams *quant;

  /* Element type in device memory (yolo_tensor_storage; the planner sets
   * it, UNDEFINED before). */
  YoloDType storage;
  /* Memory plan (yolo-plan.c). A view shares the storage of view_of,
   * starting view_offset bytes into it. */
  int view_of;                  /* -1: owns its storage */
  gint64 view_offset;           /* bytes */
  YoloMemKind mem;
  gint64 mem_offset;            /* byte offset in the arena (resolved) */
  gpointer device_data;         /* YOLO_MEM_CONST: cl_mem, owned by runtime */
  gpointer device_half;         /* YOLO_MEM_CONST with half storage: the
                                 * float16 copy read as an activation */
  /* Graph inputs and outputs: the shape the file declares, symbolic
   * dimensions by name ("[batch,3,height,width]"); NULL otherwise. */
  char *declared_shape;
} YoloTensor;

typedef enum
{
  YOLO_ATTR_FLOAT = 1,
  YOLO_ATTR_INT = 2,
  YOLO_ATTR_STRING = 3,
  YOLO_ATTR_TENSOR = 4,
  YOLO_ATTR_FLOATS = 6,
  YOLO_ATTR_INTS = 7,
} YoloAttrType;

typedef struct
{
  char *name;
  YoloAttrType type;
  float f;
  gint64 i;
  char *s;
  int n;                        /* count for FLOATS / INTS */
  float *floats;
  gint64 *ints;
  int tensor;                   /* YOLO_ATTR_TENSOR: index of a constant tensor */
} YoloAttr;

/* Activation fused into an op's epilogue. */
typedef enum
{
  YOLO_ACT_NONE = 0,
  YOLO_ACT_SILU,                /* x * sigmoid(x) */
  YOLO_ACT_SIGMOID,
  YOLO_ACT_RELU,
  YOLO_ACT_LEAKY_RELU,          /* alpha */
  YOLO_ACT_HARD_SIGMOID,        /* max(0, min(1, alpha*x + beta)) */
  YOLO_ACT_HARD_SWISH,          /* x * max(0, min(1, x/6 + 0.5)) */
  YOLO_ACT_CLIP,                /* min(max(x, alpha), beta) */
} YoloAct;

/* act (x) on the host, as the kernels' yolo_act (common.cl) and
 * onnxruntime: Relu, Clip and HardSigmoid of NaN are NaN, Relu (-0.0) is
 * -0.0. */
float yolo_act_apply (YoloAct act, float alpha, float beta, float x);

/* min (max (x, lo), hi) keeping NaN (fmaxf / fminf return the operand that
 * is not NaN); a NaN bound is no bound; onnxruntime's Clip. */
static inline float
yolo_clipf (float x, float lo, float hi)
{
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}

/* Static fake quantisations (QuantizeLinear -> DequantizeLinear with
 * constant per-tensor parameters) fused into a Conv's epilogue
 * (yolo-qdq-fuse.c). fq[k] = { s, r, xlo, xhi, qlo, qhi, 0, 0 }
 * (yolo_qdq_fq_pack), applied where bit k of mask is set:
 *   YOLO_QEPI_OUT after the bias, YOLO_QEPI_SIG after SiLU's sigmoid,
 *   YOLO_QEPI_ACT after the activation, YOLO_QEPI_RES after the residual
 *   add.
 * The node's act is then NONE or SILU, computed as the separate Sigmoid
 * and Mul nodes compute it (yolo_qdq_epilogue_apply, ops/qdq.h). */
enum
{
  YOLO_QEPI_OUT = 1,
  YOLO_QEPI_SIG = 2,
  YOLO_QEPI_ACT = 4,
  YOLO_QEPI_RES = 8,
};

typedef struct
{
  guint mask;
  float fq[4][8];
  /* codes >= 0 (ConvIntegerToFloat only, yolo-qdq-int.c): the node writes
   * the uint8 codes of its value on the grid of record fq[codes] (k - qlo,
   * k the level; its output is then UINT8) instead of the value; -1: the
   * float value. */
  int codes;
} YoloQdqEpilogue;

typedef struct
{
  char *name;
  char *op_type;
  int n_inputs;
  int *inputs;                  /* tensor indices; -1 for an omitted optional input */
  int n_outputs;
  int *outputs;
  int n_attrs;
  YoloAttr *attrs;
  gboolean removed;             /* dropped by folding / fusion */

  /* Fused epilogue: out = act(op(...)) [+ residual]. */
  YoloAct act;
  float act_alpha, act_beta;
  int residual;                 /* tensor index, -1 for none */
  YoloQdqEpilogue *qepi;        /* fused fake quantisations or NULL */
} YoloNode;

/* An nms=True export's NMS tail replaced by host code (yolo-nms-tail.h). */
typedef struct _YoloNmsTail YoloNmsTail;

typedef struct
{
  GPtrArray *tensors;           /* YoloTensor* */
  GPtrArray *nodes;             /* YoloNode*, topologically sorted after yolo_graph_sort */
  GHashTable *tensor_by_name;   /* name -> GINT_TO_POINTER (index + 1) */
  GArray *inputs;               /* int tensor indices (non-constant graph inputs) */
  GArray *outputs;              /* int tensor indices */
  GHashTable *metadata;         /* metadata_props: char* -> char* */
  gint64 opset;
  char *producer_name;
  gint64 host_bytes;            /* constant data allocated so far (budget) */
  YoloNmsTail *nms_tail;        /* set by yolo_graph_prepare, or NULL */
  gint64 batch_from;            /* fixed batch the file declares when it was
                                 * rewritten to 1 (yolo-rebatch.h), else 0 */
  gint64 batch_to;              /* the batch to run (engine option batch):
                                 * set before yolo_graph_prepare; 0 = 1 */
  gboolean int8_integer;        /* engine option int8_compute "integer":
                                 * set before yolo_graph_fuse */
  gboolean int8_dot;            /* int8_compute "auto" on a device with
                                 * integer dot products (YoloDeviceInfo.
                                 * int8_dot): 1x1 ConvIntegers stay integer
                                 * (yolo-quant-fuse.c); before the fuse */
  gboolean conv_pair;           /* sibling 1x1 Convs of one input become
                                 * ConvPair nodes (yolo-pair-fuse.c):
                                 * set before yolo_graph_fuse */
  gboolean fuse_dwsep;          /* the device runs DepthwiseSeparableConv
                                 * (YoloDeviceInfo.wide_vectors: PoCL):
                                 * yolo_graph_fuse_dwsep; before the fuse */
  gboolean fuse_up2;            /* upsample + concat + 1x1 conv become a
                                 * low-resolution Conv and ConvUpsampleAdd
                                 * (yolo-upsample-fuse.c); before the fuse */
} YoloGraph;

#define YOLO_T(g, i) ((YoloTensor *) g_ptr_array_index ((g)->tensors, (i)))
#define YOLO_N(g, i) ((YoloNode *) g_ptr_array_index ((g)->nodes, (i)))
/* i-th input / output tensor of node n (input may be NULL when omitted). */
#define YOLO_IN(g, n, i) ((i) < (n)->n_inputs && (n)->inputs[i] >= 0 ? YOLO_T (g, (n)->inputs[i]) : NULL)
#define YOLO_OUT(g, n, i) (YOLO_T (g, (n)->outputs[i]))

YoloGraph *yolo_graph_new (void);
void yolo_graph_free (YoloGraph * g);

/* Finds or creates the tensor called name; returns its index. */
int yolo_graph_tensor (YoloGraph * g, const char *name);
int yolo_graph_find_tensor (YoloGraph * g, const char *name);   /* -1 if absent */
/* Adds a constant tensor (takes ownership of data: float* or gint64*).
 * Callers check its size first (yolo_graph_reserve). */
int yolo_graph_add_const (YoloGraph * g, const char *name, YoloDType dtype,
    int ndim, const gint64 * dims, gpointer data);
/* Adds a node (copies names; inputs/outputs are tensor names, NULL/"" for
 * omitted optional inputs). Returns the node index. Attributes are added
 * with yolo_node_add_attr. */
int yolo_graph_add_node (YoloGraph * g, const char *op_type, const char *name,
    int n_inputs, const char *const *inputs, int n_outputs,
    const char *const *outputs);
YoloAttr *yolo_node_add_attr (YoloNode * n, const char *name,
    YoloAttrType type);

/* Attribute lookup; return the default when absent. */
const YoloAttr *yolo_node_attr (const YoloNode * n, const char *name);
gint64 yolo_node_attr_int (const YoloNode * n, const char *name, gint64 def);
float yolo_node_attr_float (const YoloNode * n, const char *name, float def);
const char *yolo_node_attr_string (const YoloNode * n, const char *name,
    const char *def);
/* Returns the INTS attribute (count in *n_out) or NULL. */
const gint64 *yolo_node_attr_ints (const YoloNode * n, const char *name,
    int *n_out);
/* Sets n's attribute name to the INTS v[0 .. count - 1] (copied),
 * replacing an attribute of that name, whatever its type, or adding one.
 * What the fusions call when they rewrite a node's attributes. */
void yolo_node_set_ints (YoloNode * n, const char *name, int count,
    const gint64 * v);

/* The element type t has (or will have) in device memory: t->storage when
 * the planner set it, else the default for t->dtype (FLOAT for float
 * dtypes, INT32 for integer and bool ones). */
YoloDType yolo_tensor_storage (const YoloTensor * t);
/* Bytes t takes in device memory (numel * storage width), or -1 when the
 * shape is invalid or the size overflows. */
gint64 yolo_tensor_storage_bytes (const YoloTensor * t);
/* Attaches a copy of the quantisation parameters to t (replacing any):
 * axis -1 (per-tensor, n must be 1) or an axis of t (normalised; n must be
 * dims[axis]); zero_point may be NULL. FALSE (INVALID_MODEL, naming t)
 * when n, axis or a scale (not finite and > 0) or zero point (outside
 * zp_dtype's range) is invalid. */
gboolean yolo_tensor_set_quant (YoloTensor * t, gint64 axis, guint n,
    const float *scale, const gint32 * zero_point, YoloDType zp_dtype,
    GError ** error);

/* Element count; unchecked: valid for tensors that passed
 * yolo_tensor_check_size (all of them once inferred). */
gint64 yolo_tensor_numel (const YoloTensor * t);

/* *out = a * b for a, b >= 0; FALSE (and *out untouched) when either is
 * negative or the product exceeds G_MAXINT64. */
gboolean yolo_mul_checked (gint64 a, gint64 b, gint64 * out);
/* *out = a + b; FALSE on overflow. */
gboolean yolo_add_checked (gint64 a, gint64 b, gint64 * out);
/* Element count of a shape; FALSE when a dimension is negative or the
 * product overflows. */
gboolean yolo_dims_numel (int ndim, const gint64 * dims, gint64 * out);
/* Fails (INVALID_MODEL, naming `what`) unless t has a valid shape whose host
 * data (4 bytes per element on the device, 8 for integers on the host) fits
 * YOLO_MAX_HOST_BYTES. `what` is e.g. "Reshape node \"n\": output \"y\"". */
gboolean yolo_tensor_check_size (const YoloTensor * t, const char *what,
    GError ** error);
/* Host bytes of t's constant data (float: 4, integers: 8 per element), or -1
 * when the shape is invalid or too large. */
gint64 yolo_tensor_host_bytes (const YoloTensor * t);
/* TRUE when a shape of ndim dims (none negative) would pass
 * yolo_tensor_check_size as an integer tensor: ops call it before computing
 * strides of a shape built from a model's parameters. */
gboolean yolo_dims_fit (int ndim, const gint64 * dims);
/* Accounts `bytes` more constant data against YOLO_MAX_HOST_BYTES for the
 * whole graph; fails (INVALID_MODEL, naming `what`) when over budget. */
gboolean yolo_graph_reserve (YoloGraph * g, gint64 bytes, const char *what,
    GError ** error);

/* A name from a model file made printable on one line: control bytes,
 * backslashes and (in invalid UTF-8) bytes >= 0x80 become C escapes. Returns
 * NULL when s needs no escaping. */
char *yolo_escape_name (const char *s);
/* Replaces control bytes in an error message by escapes, in place. */
void yolo_error_escape (GError * error);
gboolean yolo_tensor_is_const (const YoloTensor * t);
/* Whether a and b have the same rank and dims (dtype not compared). */
gboolean yolo_tensor_same_shape (const YoloTensor * a, const YoloTensor * b);
/* Whether t (NULL: no) has rank ndim and dims d[0..ndim). */
gboolean yolo_tensor_dims_are (const YoloTensor * t, int ndim,
    const gint64 * d);
/* Normalises a possibly negative axis; -1 if out of range. */
int yolo_axis (gint64 axis, int ndim);
/* "[1,3,640,640]" into buf. */
const char *yolo_shape_str (const YoloTensor * t, char *buf, gsize len);

/* Sets output shape/dtype helper used by infer functions. */
void yolo_tensor_set_shape (YoloTensor * t, YoloDType dtype, int ndim,
    const gint64 * dims);

/* Multidirectional (numpy) broadcasting of a and b into out dims.
 * Returns FALSE when the shapes are incompatible. */
gboolean yolo_broadcast_shape (int na, const gint64 * a, int nb,
    const gint64 * b, int *n_out, gint64 * out);

/* What the engine and `yolo-engine info` both do before anything else:
 * checks the graph has inputs and outputs, gives dynamic input dimensions a
 * size (batch 1; H/W from input_h/input_w when > 0, else the imgsz
 * metadata), rewrites a fixed batch > 1 to 1 (yolo-rebatch.h), checks the
 * input sizes, sorts, replaces an nms=True NMS tail (yolo-nms-tail.h),
 * infers + folds. */
gboolean yolo_graph_prepare (YoloGraph * g, int input_h, int input_w,
    GError ** error);

/* Passes (yolo-graph.c / yolo-fuse.c) */
gboolean yolo_graph_sort (YoloGraph * g, GError ** error);
/* Shape inference + constant folding over the sorted graph. */
gboolean yolo_graph_infer (YoloGraph * g, GError ** error);
/* Fusions: Conv+Sigmoid*Mul -> Conv(SiLU), +Add residual, etc. */
void yolo_graph_fuse (YoloGraph * g);
/* ConvInteger -> Cast -> Mul [-> Add] => ConvIntegerToFloat
 * (yolo-quant-fuse.c); called by yolo_graph_fuse first. */
void yolo_graph_fuse_quant (YoloGraph * g);
/* The static QDQ pass (yolo-qdq-fuse.c): drops fake quantisations that
 * are exact no-ops and folds the rest around a Conv into its epilogue
 * (YoloQdqEpilogue); called by yolo_graph_fuse after yolo_graph_fuse_quant. */
void yolo_graph_fuse_qdq (YoloGraph * g);
/* How many leading inputs of node n are data that its outputs only copy
 * (Concat, Split, Slice, Reshape..., nearest Resize, MaxPool whose every
 * window holds an input element); 0 when n computes new values
 * (yolo-qdq-fuse.c). */
int yolo_graph_qdq_copied_inputs (YoloGraph * g, YoloNode * n);
/* The static QDQ convs whose input is on a fake quantisation's grid and
 * whose weights are folded int8 codes as ConvIntegerToFloat on the
 * integer dot-product kernels, when g->int8_dot or g->int8_integer
 * (yolo-qdq-int.c); the last step of yolo_graph_fuse_qdq. */
void yolo_graph_qdq_integer (YoloGraph * g);
/* The attention pass: ScaledDotProductAttention nodes for the attention
 * blocks of YOLO11 / YOLO12 exports (yolo-attn-fuse.c); called by
 * yolo_graph_fuse before the conv fusions. */
void yolo_graph_fuse_attention (YoloGraph * g);
/* The Focus pass: Slice x8 -> Concat -> 3x3 Conv (space-to-depth stem)
 * => one 6x6 stride-2 Conv (yolo-focus-fuse.c); called by yolo_graph_fuse
 * before the conv fusions. */
void yolo_graph_fuse_focus (YoloGraph * g);
/* Transpose (Concat (X_j, axis 2), perm 0 2 1) of [1, C, n_j] inputs as
 * Concat (Transpose (X_j), axis 1) (yolo-concat-fuse.c). */
void yolo_graph_fuse_transposed_concat (YoloGraph * g);
/* The tail of an Ultralytics Detect head (DFL, box decode, class sigmoid,
 * the anchor-axis Concats) -> one DetectDecode node (yolo-head-fuse.c);
 * called by yolo_graph_fuse. */
void yolo_graph_fuse_head (YoloGraph * g);
/* YOLO26's end-to-end selection tail (ReduceMax, two TopKs, the Tile /
 * GatherElements / Gather picks, Concat) -> one DetectTopK node
 * (yolo-topk-fuse.c); called by yolo_graph_fuse after the head pass. */
void yolo_graph_fuse_topk (YoloGraph * g);
/* The anchor-based decode tail of a YOLOv5 Detect head -> one AnchorDecode
 * node (yolo-anchor-fuse.c); called by yolo_graph_fuse. */
void yolo_graph_fuse_anchor (YoloGraph * g);
/* Sibling 1x1 Convs of one input -> one ConvPair node, when g->conv_pair
 * (yolo-pair-fuse.c); the last step of yolo_graph_fuse. */
void yolo_graph_fuse_conv_pairs (YoloGraph * g);
/* Independent 1x1 / depthwise 3x3 Convs at one height -> one ConvMulti
 * node (yolo-multi-fuse.c), then the nodes in a topological order again;
 * when g->conv_pair. */
void yolo_graph_fuse_conv_multi (YoloGraph * g);
/* A depthwise 3x3 stride-1 pad-1 Conv whose output only a 1x1 group-1
 * Conv reads -> one DepthwiseSeparableConv node (yolo-dwsep-fuse.c),
 * when g->fuse_dwsep; called by yolo_graph_fuse after the epilogue
 * fusions. */
void yolo_graph_fuse_dwsep (YoloGraph * g);
/* Resize (nearest x2) -> Concat -> 1x1 Conv -> a Conv at the low
 * resolution and a ConvUpsampleAdd (ops/conv.h), when g->fuse_up2;
 * called by yolo_graph_fuse after the epilogue fusions, before the
 * ConvPairs (yolo-upsample-fuse.c). */
void yolo_graph_fuse_upsample_conv (YoloGraph * g);
/* Recomputes n_uses and producer over non-removed nodes. */
void yolo_graph_update_uses (YoloGraph * g);
/* Removes nodes whose outputs are never used (not graph outputs). */
void yolo_graph_prune (YoloGraph * g);
/* The one node that reads tensor t, when nothing else sees t: t is no
 * graph output and, over the non-removed nodes, exactly one input slot
 * reads it and no fused residual does. Returns that node, with *slot its
 * input index and *index its index in g->nodes (either may be NULL);
 * else NULL: for a graph output (even with one reader), a tensor read
 * twice (by two nodes, by one node in two slots as Mul(x, x), or as an
 * input and a residual), read by no node, read only as a residual, and
 * for t < 0. Counts the reads itself (n_uses need not be current). What
 * the fusions ask before folding a tensor's producer into its reader. */
YoloNode *yolo_graph_sole_reader (YoloGraph * g, int t, int *slot,
    guint * index);
/* The node that produces tensor t, when it is not removed: from t's
 * producer field (yolo_graph_update_uses and yolo_graph_add_node set it).
 * NULL for t < 0, for a graph input or constant (no producer) and for a
 * removed producer. What the fusions ask when they walk a chain back from
 * a tensor. */
YoloNode *yolo_graph_producer (YoloGraph * g, int t);
/* yolo_graph_producer (g, t) when that node is of type op_type with one
 * output and no fused epilogue (activation, residual, QDQ), and t is a
 * float tensor, no graph output, read by exactly uses node inputs (t's
 * n_uses: yolo_graph_update_uses must be current); else NULL. What the
 * head fusions ask of each link of the chain they fold. */
YoloNode *yolo_graph_plain_producer (YoloGraph * g, int t,
    const char *op_type, int uses);

G_END_DECLS
#endif /* YOLO_GRAPH_H */
