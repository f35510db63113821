/* yolo-runtime.h - OpenCL state of one loaded model: context, queue,
 * program, the activation arena, uploaded constants and the recorded list of
 * kernel launches that make up one inference.
 *
 * The prepare() functions of backend impls (yolo-backend.h) use this API:
 *
 *   cl_kernel k = yolo_rt_kernel (rt, "conv2d_1x1_f16w", error);
 *   YoloArgs a = yolo_args (k);
 *   yolo_args_tensor (&a, rt, g, x);   // adds (global float *buf, int offset)
 *   yolo_args_int (&a, cin);
 *   ...
 *   if (!yolo_args_ok (&a, n, error)) return FALSE;
 *   return yolo_rt_launch (rt, n, k, 2, gws, lws, error);  // takes k
 *
 * yolo_args_tensor() passes TWO arguments: the cl_mem holding the tensor and
 * its element offset (int) within it. Kernels therefore take
 * `__global float *x, int x_off` (or `__global int *` for integer tensors)
 * and index x[x_off + i]. Constant tensors are uploaded on first use.
 *
 * Global sizes are rounded up by yolo_rt_launch to a multiple of lws when
 * lws != NULL; kernels must bounds-check. lws is clamped to the device's
 * limits. Pass lws = NULL to let the runtime choose.
 *
 * Kernels that need their exact local size (barriers, __local tiles) are
 * checked with yolo_rt_fits_fixed before anything is prepared for them and
 * launched with yolo_rt_launch_fixed; when they do not fit the device, the
 * op takes another variant.
 */
#ifndef YOLO_RUNTIME_H
#define YOLO_RUNTIME_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include "yolo-graph.h"
#include "yolo-engine.h"

G_BEGIN_DECLS

typedef struct _YoloRuntime YoloRuntime;

typedef struct
{
  /* Device properties ops may specialise on. */
  gboolean is_cpu;              /* CL_DEVICE_TYPE_CPU (e.g. PoCL) */
  /* CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT: 16 on PoCL's AVX-512 CPU
   * device, 1 on rusticl/llvmpipe and most GPUs (their compilers vectorise
   * across work-items instead). */
  guint preferred_vector_width_float;
  /* CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT: 16 on AVX-512 CPUs under both
   * PoCL and Intel's CPU runtime (whose preferred width is 1). */
  guint native_vector_width_float;
  /* A CPU whose compiler wants explicit wide vectors (is_cpu and a
   * preferred or native float width >= 8: PoCL, Intel's CPU runtime):
   * the float16 variants of conv_cpu.cl.
   * Elsewhere the scalar per-work-item variants of conv_gpu.cl. */
  gboolean wide_vectors;
  /* CL_DEVICE_LOCAL_MEM_TYPE is CL_LOCAL: __local tiles live in fast
   * on-chip memory (GPUs), so the local-memory tiled GEMM kernels
   * (gemm_tiled.cl) are the default there. FALSE where "local" memory is
   * global memory (PoCL, rusticl/llvmpipe). */
  gboolean local_mem_dedicated;
  /* Integer dot products of 4 bytes per lane run natively: PoCL on an
   * x86-64 host whose CPU has AVX-512 and AVX512-VNNI (conv_int8.cl's
   * vpdpbusd kernels; the device's compiler targets the host CPU). */
  gboolean int8_dot;
  /* A device other than a CPU (YOLO_CL_INT8_DOT_KHR=1: any) that reports
   * cl_khr_integer_dot_product's packed 4x8-bit capability
   * (CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR): the _dot kernels of
   * conv_int8.cl (dot_4x8packed_us_int), built as OpenCL C 3.0, where
   * int8_dot is not set (Intel's GPUs). */
  gboolean int8_dot_khr;
  /* CL_DEVICE_SINGLE_FP_CONFIG without CL_FP_FMA: fma () is a software
   * routine (Mesa's rusticl on llvmpipe: libclc's, some 100 instructions
   * with branches). Kernels are built with -DYOLO_SOFT_FMA=1, which
   * keeps fma out of their 16-lane code where it would be inlined many
   * times (common.cl: conv_int8_qdq_lanes). */
  gboolean soft_fma;
  gsize max_work_group_size;
  gsize max_work_item_sizes[3];
  gsize local_mem_size;
  guint compute_units;
  char *name;
  char *vendor;
  char *driver;
  char *platform;
} YoloDeviceInfo;

const YoloDeviceInfo *yolo_rt_device (YoloRuntime * rt);
/* The engine options the runtime was created with, resolved: the test and
 * benchmark choices (conv_kernel, matmul_kernel, ...) are never NULL but
 * one of their values ("auto" when neither the option nor its environment
 * variable is set), the caps 0 or the cap applied to yolo_rt_device();
 * device is NULL. */
const YoloEngineOptions *yolo_rt_options (YoloRuntime * rt);
/* One string option of YoloEngineOptions: value if set and non-empty,
 * else the variable env_name (NULL: none), else choices[0]; *out is the
 * matching entry of the NULL-terminated choices. Anything else is
 * YOLO_ENGINE_ERROR_ARGUMENT "invalid OPTION option \"V\" (expected one
 * of: ...)" (or "invalid ENV_NAME \"V\"" when it came from the variable). */
gboolean yolo_rt_resolve_choice (const char *value, const char *option,
    const char *env_name, const char *const *choices, const char **out,
    GError ** error);
cl_context yolo_rt_context (YoloRuntime * rt);
cl_command_queue yolo_rt_queue (YoloRuntime * rt);

/* The storage type of float activations: YOLO_DTYPE_FLOAT (the default)
 * or YOLO_DTYPE_FLOAT16. With FLOAT16 every kernel unit is built with
 * -DYOLO_ACT_HALF=1: common.cl's ACT_T / LOAD_ACT / STORE_ACT then read
 * and write half (vload_half / vstore_half_rte), and only impls flagged
 * YOLO_IMPL_HALF are candidates (yolo-backend.h). Set it before anything
 * is recorded; changing it drops the programs built so far. */
void yolo_rt_set_act_storage (YoloRuntime * rt, YoloDType storage);
YoloDType yolo_rt_act_storage (YoloRuntime * rt);

/* With on, every kernel unit is built with -DCONV_QDQ=1: the conv_cpu.cl
 * kernels then take CONV_QDQ_ARGS (the fused static-QDQ epilogue of
 * yolo-qdq-fuse.c) at the end of their arguments. The engine sets it when
 * a node has one (fp32 models keep their kernels as they are). Set it
 * before anything is recorded; changing it drops the programs built. */
void yolo_rt_set_qdq_epilogue (YoloRuntime * rt, gboolean on);
gboolean yolo_rt_qdq_epilogue (YoloRuntime * rt);

/* A new kernel object for the named kernel of the embedded program. */
cl_kernel yolo_rt_kernel (YoloRuntime * rt, const char *name, GError ** error);

/* Records a launch for node n (used for profiling labels). Takes ownership
 * of k. */
gboolean yolo_rt_launch (YoloRuntime * rt, const YoloNode * n, cl_kernel k,
    guint work_dim, const gsize * gws, const gsize * lws, GError ** error);

/* The last recorded launch computes node n too (one launch for a group
 * of nodes, the others recording none): n's FLOPs count in that launch's
 * profile row. */
void yolo_rt_launch_covers (YoloRuntime * rt, const YoloNode * n);

/* TRUE when the device runs k with exactly the local size lws:
 * within CL_DEVICE_MAX_WORK_ITEM_SIZES and CL_DEVICE_MAX_WORK_GROUP_SIZE
 * (both capped by the max_work_group_size option), the kernel's
 * CL_KERNEL_WORK_GROUP_SIZE on this device, and its CL_KERNEL_LOCAL_MEM_SIZE
 * within CL_DEVICE_LOCAL_MEM_SIZE (capped by max_local_mem_size).
 * FALSE (logged at debug level, naming node n) otherwise: the caller
 * releases k and takes another variant. Local memory is counted as the
 * kernel declares it (static __local arrays; set __local arguments first). */
gboolean yolo_rt_fits_fixed (YoloRuntime * rt, const YoloNode * n,
    cl_kernel k, guint work_dim, const gsize * lws);
/* Records a launch of k with exactly the local size lws (gws rounded up
 * to a multiple of it). A kernel that does not fit (yolo_rt_fits_fixed) is
 * an internal error. Takes ownership of k. */
gboolean yolo_rt_launch_fixed (YoloRuntime * rt, const YoloNode * n,
    cl_kernel k, guint work_dim, const gsize * gws, const gsize * lws,
    GError ** error);

/* Uploads host data into a new read-only buffer owned by the runtime. */
cl_mem yolo_rt_upload (YoloRuntime * rt, gconstpointer data, gsize bytes,
    GError ** error);
/* A new scratch buffer owned by the runtime (for op-private temporaries). */
cl_mem yolo_rt_alloc (YoloRuntime * rt, gsize bytes, GError ** error);

/* Location of a tensor: its buffer and offset in elements of its storage
 * type (yolo_tensor_storage). Uploads constants (converted to float /
 * int32) on first use. Fails (UNSUPPORTED) when the tensor ends beyond
 * G_MAXINT32 elements into its buffer. */
gboolean yolo_rt_tensor_mem (YoloRuntime * rt, YoloGraph * g, YoloTensor * t,
    cl_mem * mem, gint64 * offset, GError ** error);

/* TRUE when tensor a lives at exactly (b's location + elem_offset elements
 * of b's storage type) and both have the same storage type. */
gboolean yolo_rt_same_location (YoloGraph * g, const YoloTensor * a,
    const YoloTensor * b, gint64 elem_offset);

typedef struct
{
  cl_kernel k;
  cl_uint idx;
  cl_int err;
  GError *gerr;
} YoloArgs;

static inline YoloArgs
yolo_args (cl_kernel k)
{
  YoloArgs a = { k, 0, CL_SUCCESS, NULL };
  return a;
}

void yolo_args_mem (YoloArgs * a, cl_mem m);
void yolo_args_int (YoloArgs * a, cl_int v);
void yolo_args_float (YoloArgs * a, cl_float v);
void yolo_args_local (YoloArgs * a, gsize bytes);
void yolo_args_tensor (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    YoloTensor * t);
/* Like yolo_args_tensor for a tensor a kernel reads as `const float *`
 * whatever the activation storage (weights, biases, scales: parameters):
 * a float constant is passed as float32 also with half storage, where
 * yolo_args_tensor passes its float16 copy (an activation operand, read
 * through LOAD_ACT). A run-time tensor is passed as it is stored. */
void yolo_args_param (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    YoloTensor * t);
/* TRUE when t can be passed with yolo_args_param: anything with float
 * storage; with half storage a constant or a non-float tensor (a run-time
 * float tensor is half then, not float). Half impls check their
 * parameters with it in supports(). */
gboolean yolo_rt_param_ok (YoloRuntime * rt, const YoloTensor * t);
/* A `__global float *` scratch argument of at least `bytes`, shared by all
 * ops: every op's scratch of one slot (0..YOLO_SCRATCH_SLOTS-1) is the same
 * buffer, which is safe because launches run one after the other on one
 * in-order queue. Use different slots for scratch buffers one op needs at
 * the same time. The buffer is allocated and bound once every op is
 * prepared, at the largest size asked for. */
#define YOLO_SCRATCH_SLOTS 4
void yolo_args_scratch (YoloArgs * a, YoloRuntime * rt, guint slot,
    gsize bytes);
/* FALSE (and releases a->k) if any argument failed to be set. */
gboolean yolo_args_ok (YoloArgs * a, const YoloNode * n, GError ** error);

/* The impl (yolo-backend.h) whose launches are recorded next, for the
 * profile table; a static string, or NULL. */
void yolo_rt_set_variant (YoloRuntime * rt, const char *name);

/* Trials of the measured choice (yolo-tune.c): a mark of what the
 * runtime holds; the launches recorded since a mark can be timed, and
 * everything recorded since dropped (launches, buffers of yolo_rt_upload
 * and yolo_rt_alloc, scratch requests; constant tensors uploaded since
 * stay, their tensors hold them). */
typedef struct
{
  guint launches, buffers, scratch_args, input_args;
  gsize scratch_size[YOLO_SCRATCH_SLOTS];
} YoloRtMark;

void yolo_rt_mark (YoloRuntime * rt, YoloRtMark * m);
/* Hands the kernel units the plan is expected to need (names as
 * YoloOpImpl.unit, NULL-terminated, in order of first use) to the prewarm,
 * whose helpers build them ahead, beside the engine's thread (see
 * yolo_cl_prewarm_build_units). Does nothing when the prewarm is off. */
void yolo_runtime_prebuild_units (YoloRuntime * rt, const char *const *units);
/* Whether the prewarm (yolo-cl-prewarm.h) compiles, or may: it is on, and
 * PoCL's kernel cache was cold (a unit build compiled) or no unit was
 * built yet. Every launch recorded, a trial's too, is handed to it; a
 * tuner that prepares (and rolls back) all candidates of a node before
 * timing any has them all compiled at once on all cores. */
gboolean yolo_rt_prewarming (YoloRuntime * rt);
/* Has the prewarm compile everything handed to it so far, from this
 * thread and its helpers, and waits for it (nothing when it is not
 * compiling). yolo_rt_time_trials calls it first. */
void yolo_rt_prewarm_sync (YoloRuntime * rt);
/* One trial's times (ms), see yolo_rt_time_trials. */
typedef struct
{
  double wall_ms;               /* the fastest run's wall time */
  /* On a CPU device (YoloDeviceInfo.is_cpu), CPU time of this process's
   * threads, the prewarm's helpers left out (yolo-cpu-clock.h): PoCL's
   * and llvmpipe's workers live in the process, and a thread that waits
   * for a core while other processes load the machine accumulates none;
   * -1 elsewhere. */
  double cpu_ms;                /* the least, over the runs, of the busiest
                                 * thread's CPU time: the run's wall time
                                 * had every worker had a core of its own */
  double cpu_total_ms;          /* the least, over the runs, of all the
                                 * threads' CPU time together */
  /* How disturbed the runs look: the median run over the fastest (>= 1;
   * 0 when not timed), on the clock that decides (cpu_ms on a CPU device,
   * else wall_ms). A load that comes and goes makes it large. */
  double spread;
} YoloRtTrialTime;

/* Times n trials prepared one after the other: trial i is the launches
 * recorded from marks[i] up to marks[i + 1] (the last one: up to now).
 * Each runs once to warm up, then `runs` times (each run followed by
 * clFinish), taking turns with the others (each round in the reverse order
 * of the one before), on the arena as it is, with temporary scratch
 * buffers; times[i] receives trial i's fastest run (the minimum, since
 * other work on a shared machine only adds time). Trials in the process
 * are timed one at a time. */
gboolean yolo_rt_time_trials (YoloRuntime * rt, const YoloRtMark * marks,
    guint n, guint runs, YoloRtTrialTime * times, GError ** error);
/* Drops everything recorded since m (after the queue is idle). */
void yolo_rt_rollback (YoloRuntime * rt, const YoloRtMark * m);

/* Points every recorded kernel argument that addresses graph input `input`
 * (of g; yolo_args_tensor / yolo_args_param on the input or a view of it)
 * at mem, the input's first element at element 0 of mem; mem NULL: back at
 * the input's place in the arena. For yolo_engine_bind_input. */
gboolean yolo_rt_bind_input (YoloRuntime * rt, YoloGraph * g, guint input,
    cl_mem mem, GError ** error);

/* Integer division rounded up. */
static inline gsize
yolo_div_up (gsize a, gsize b)
{
  return (a + b - 1) / b;
}

G_END_DECLS
#endif /* YOLO_RUNTIME_H */
