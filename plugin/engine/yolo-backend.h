/* yolo-backend.h - the seam between the operators' device-independent front
 * end (yolo-ops.h: attributes, shape inference, the C reference eval) and
 * the code that runs them on a device (a backend).
 *
 * A backend is a list of op implementations (YoloOpImpl), in preference
 * order. An implementation is one kernel variant of one or more ONNX ops
 * (e.g. "conv-wino4", "conv-cpu-1x1", "conv-tiled", "matmul-tile"): a
 * small vtable saying whether it can run a node on the runtime's device
 * (supports) and recording the node's launches (prepare). The OpenCL
 * backend lives in backend-opencl/, one file per op family or variant
 * group, each exporting a NULL-terminated array of impls that
 * backend-opencl/registry.c lists. A second backend, or a device-specific
 * variant set, is a matter of adding files and listing them.
 *
 * Contract of an implementation:
 *  op_types  NULL-terminated list of the ONNX op types it implements.
 *  name      the variant name, unique in the backend: shown by profiling
 *            (yolo-engine bench --profile), logged, and selectable by the
 *            conv_kernel / matmul_kernel options (yolo-engine.h).
 *  unit      the ocl_kernels/ unit (file name without .cl) its kernels
 *            live in, for docs and diagnostics, or NULL (no kernel).
 *  preferred (NULL = always) whether the automatic choice takes it for
 *            this node on this device, from cheap checks only (device
 *            properties, shapes; no kernel objects): FALSE for a variant
 *            that computes the node correctly but is slower here by
 *            measurement or design, so only an option naming it selects
 *            it (tests, benchmarks).
 *  supports  (NULL = always) whether it computes this node correctly on
 *            this device: shapes and attributes it handles, and for a
 *            kernel with a fixed local size or local memory whether the
 *            device runs it (yolo_rt_fits_fixed: a variant that does not
 *            fit answers FALSE here, and the next candidate is taken). It
 *            may create (and must release) kernel objects, so it is only
 *            asked of impls that are candidates (named, or preferred); it
 *            records no launch and allocates no device memory.
 *  prepare   records the node's launches into the runtime (kernel
 *            arguments bound, weights uploaded), once, at load time.
 *            A failure is an error of the whole load (no fallback).
 *  flags     YOLO_IMPL_TUNABLE: competes in the measured choice (see
 *            yolo-lower.c) with the other tunable candidates.
 *
 * Lowering of a node (yolo_backend_candidates): the impls named by the
 * option for its op (conv_kernel, matmul_kernel), in the option's order,
 * that support it; then the impls that are preferred and support it, in
 * backend order; with half storage only impls flagged YOLO_IMPL_HALF, and
 * when none of them is preferred, those that support the node. An op
 * with no such impl fails with
 * YOLO_ENGINE_ERROR_UNSUPPORTED naming the op and node. Without tuning
 * the first candidate is prepared.
 */
#ifndef YOLO_BACKEND_H
#define YOLO_BACKEND_H

#include "yolo-graph.h"
#include "yolo-runtime.h"

G_BEGIN_DECLS

typedef enum
{
  YOLO_IMPL_TUNABLE = 1 << 0,
  /* its kernels read and write float activations through common.cl's
   * ACT_T / LOAD_ACT / STORE_ACT: it runs with half storage too
   * (yolo_rt_set_act_storage); impls without it are no candidates then */
  YOLO_IMPL_HALF = 1 << 1,
} YoloImplFlags;

typedef struct
{
  const char *const *op_types;
  const char *name;
  const char *unit;
  gboolean (*preferred) (YoloRuntime * rt, YoloGraph * g, YoloNode * n);
  gboolean (*supports) (YoloRuntime * rt, YoloGraph * g, YoloNode * n);
  gboolean (*prepare) (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
      GError ** error);
  guint flags;
} YoloOpImpl;

typedef struct
{
  const char *name;
  /* NULL-terminated list of NULL-terminated impl arrays, each in
   * preference order; earlier arrays are preferred. */
  const YoloOpImpl *const *const *impls;
} YoloBackend;

/* The OpenCL backend (backend-opencl/registry.c). */
extern const YoloBackend yolo_backend_opencl;

/* TRUE when impl implements op_type. */
gboolean yolo_impl_has_op (const YoloOpImpl * impl, const char *op_type);

/* The impl named name, or NULL. */
const YoloOpImpl *yolo_backend_find (const YoloBackend * b, const char *name);

/* TRUE when names is a comma-separated list of impls of b, each
 * implementing op_type or one of several op types given as "A|B" (the
 * form of the conv_kernel / matmul_kernel options). */
gboolean yolo_backend_names_valid (const YoloBackend * b,
    const char *op_type, const char *names);

/* TRUE when some impl of b implements op_type. */
gboolean yolo_backend_implements (const YoloBackend * b, const char *op_type);

/* The candidate impls of node n on the runtime's device, best first (see
 * the contract above): a new array of const YoloOpImpl *, empty when none
 * supports the node. force (may be NULL) lists impl names separated by
 * commas, preferred in that order. */
GPtrArray *yolo_backend_candidates (const YoloBackend * b, YoloRuntime * rt,
    YoloGraph * g, YoloNode * n, const char *force);

G_END_DECLS
#endif /* YOLO_BACKEND_H */
