/* yolo-engine-private.h - engine internals shared by engine files, the CLI,
 * the pre-processing code and the tests. Not a public API. */
#ifndef YOLO_ENGINE_PRIVATE_H
#define YOLO_ENGINE_PRIVATE_H

#include "yolo-engine.h"
#include "yolo-graph.h"
#include "yolo-runtime.h"

G_BEGIN_DECLS

struct _YoloEngine
{
  YoloGraph *graph;
  YoloRuntime *rt;
  YoloTensorInfo *in_info, *out_info;
  char *model_path;
  /* yolo_engine_lock(): one user at a time (a GRecMutex, i.e. a
   * pthread_mutex_t the thread sanitizer sees; GMutex is a bare futex) */
  GRecMutex lock;
  gpointer shared;              /* yolo-engine-shared.c: its instance */
  /* yolo_engine_output_data, per output: the arena mapped for reading
   * (unmapped by yolo_engine_release_outputs), or a host copy */
  gpointer *out_map;
  float **out_host;
  /* yolo_engine_bind_input: the caller's input 0 (CL_MEM_USE_HOST_PTR),
   * which the input's readers address, or NULL: its place in the arena */
  cl_mem in_wrap;
};

/* Builds an engine from a graph (takes ownership of g, also on failure):
 * sort, infer + fold, fuse (unless no_fuse), prune, plan, upload, prepare. */
YoloEngine *yolo_engine_new_from_graph (YoloGraph * g,
    const YoloEngineOptions * options, gboolean no_fuse, GError ** error);

/* yolo_engine_profile_table with each node's GFLOP/s also given as % of
 * peak_gflops (the device's fp32 peak, yolo-peak.h; <= 0: no %). */
char *yolo_engine_profile_table_peak (YoloEngine * e, double peak_gflops);

/* Copies float data into graph input i (converted to int32 when the input
 * is an integer tensor). */
gboolean yolo_engine_set_input_n (YoloEngine * e, guint i, const float *data,
    GError ** error);

/* Unmaps the outputs yolo_engine_output_data mapped (non-blocking, in
 * queue order): called by every function that queues work on the engine's
 * queue (set_input, enqueue, run, yolo_preproc_run) and by free. */
void yolo_engine_release_outputs (YoloEngine * e);

/* Points the readers of input 0 back at its place in the arena after a
 * yolo_engine_bind_input: called by set_input and yolo_preproc_run, which
 * write it there. */
gboolean yolo_engine_unbind_input (YoloEngine * e, GError ** error);

/* Location of graph input i on the device, for kernels (pre-processing)
 * that write it directly on the engine's queue. */
gboolean yolo_engine_input_mem (YoloEngine * e, guint i, cl_mem * mem,
    gint64 * elem_offset, GError ** error);


/* Loads an ONNX file into a graph (no passes run; see yolo-onnx.c). */
YoloGraph *yolo_onnx_load (const char *path, GError ** error);

/* Creates the runtime for options->device (options may be NULL), with the
 * options resolved against their environment defaults (yolo-runtime.c):
 * YOLO_ENGINE_ERROR_ARGUMENT for an invalid value. */
YoloRuntime *yolo_runtime_new (const YoloEngineOptions * options,
    GError ** error);
void yolo_runtime_free (YoloRuntime * rt);
/* Allocates the arena (elements) and uploads nothing else. */
gboolean yolo_runtime_alloc_arena (YoloRuntime * rt, gint64 bytes,
    GError ** error);
/* Device memory of the engine's buffers, in bytes: the activation arena,
 * weights and other constants, scratch and op-private buffers (what
 * CL_DEVICE_GLOBAL_MEM_SIZE is checked against). */
guint64 yolo_runtime_device_bytes (YoloRuntime * rt);
cl_mem yolo_runtime_arena (YoloRuntime * rt);
/* Allocates the shared scratch buffers and binds the scratch arguments
 * (after all ops are prepared). */
gboolean yolo_runtime_bind_scratch (YoloRuntime * rt, GError ** error);
/* On PoCL, waits until the work-group function of every distinct (kernel,
 * local size) of the recorded launches is compiled: helper threads started
 * at the first launch recorded, and now also this thread
 * (yolo-cl-prewarm.h); YOLO_CL_PREWARM=0 turns it off, =1 on elsewhere.
 * Never fails: what it leaves out is compiled at the first run. */
void yolo_runtime_prewarm (YoloRuntime * rt);
/* Enqueues every recorded launch. */
gboolean yolo_runtime_enqueue_all (YoloRuntime * rt, GError ** error);
/* The profile table of the last run: per launch its time, per node (on
 * its first launch) the time of all its launches, its FLOPs
 * (yolo_node_flops over g), GFLOP/s and % of peak_gflops (no % when
 * peak_gflops <= 0); per op type and in total the same sums. */
char *yolo_runtime_profile_table (YoloRuntime * rt, YoloGraph * g,
    double peak_gflops);
/* The kernel function names of the recorded launches, in order, separated
 * by spaces (for tests: which variant an op chose). */
char *yolo_runtime_kernel_names (YoloRuntime * rt);

/* Memory planner (yolo-plan.c): views for Concat/Split/view ops, liveness
 * based offsets, in bytes (t->mem_offset, t->view_offset). Returns the
 * arena size in bytes. Storage types are those yolo_tensor_storage gives:
 * call yolo_plan_storage first to choose them. */
gint64 yolo_plan_memory (YoloGraph * g);
/* Sets t->storage of every tensor: float_storage (YOLO_DTYPE_FLOAT or
 * YOLO_DTYPE_FLOAT16) for float run-time tensors, the default of
 * yolo_tensor_storage for the others (constants stay float32 / int32). */
void yolo_plan_storage (YoloGraph * g, YoloDType float_storage);

G_END_DECLS
#endif
