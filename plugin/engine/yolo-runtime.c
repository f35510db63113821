/* yolo-runtime.c - OpenCL state of one loaded model and its recorded list of
 * kernel launches (see yolo-runtime.h).
 *
 * Local sizes: yolo_rt_launch clamps an op's lws to the device's
 * CL_DEVICE_MAX_WORK_ITEM_SIZES, CL_DEVICE_MAX_WORK_GROUP_SIZE and the
 * kernel's own CL_KERNEL_WORK_GROUP_SIZE (lower than the device maximum on
 * GPUs when a kernel uses many registers), then rounds gws up to a
 * multiple of it. Such kernels may not depend on their local size (no
 * barriers or local memory sized by lws).
 *
 * Kernels that do (barriers and __local tiles sized for one work-group
 * shape, e.g. gemm_tiled.cl) go through yolo_rt_fits_fixed, then
 * yolo_rt_launch_fixed: the local size is never changed; when the device
 * cannot run it (CL_DEVICE_MAX_WORK_GROUP_SIZE, CL_DEVICE_MAX_WORK_ITEM_SIZES,
 * the kernel's CL_KERNEL_WORK_GROUP_SIZE, CL_DEVICE_LOCAL_MEM_SIZE against
 * CL_KERNEL_LOCAL_MEM_SIZE) the op takes another variant.
 *
 * Buffers larger than CL_DEVICE_MAX_MEM_ALLOC_SIZE (often a quarter of a
 * GPU's memory) fail with a clear error instead of an OpenCL error code.
 * Kernels index with 32-bit ints, so every tensor must end within
 * G_MAXINT32 elements of its storage type from the start of its buffer.
 *
 * Smaller devices are emulated (to test GPU constraints on a CPU device)
 * with YoloEngineOptions.max_work_group_size (caps the max work-group size
 * and max work-item sizes, e.g. 64 or 32 like small mobile GPUs, as if the
 * device reported that), max_local_mem_size, max_mem_alloc_size and
 * max_global_mem_size (all the engine's buffers together), or their
 * environment defaults YOLO_MAX_WORK_GROUP_SIZE, YOLO_MAX_LOCAL_MEM_SIZE,
 * YOLO_MAX_MEM_ALLOC_SIZE and YOLO_MAX_GLOBAL_MEM_SIZE. The runtime holds
 * the resolved options (yolo_rt_options) for the ops. */
#include "yolo-runtime.h"
#include "yolo-cl.h"
#include "yolo-cl-prewarm.h"
#include "yolo-cl-queue.h"
#include "yolo-cpu-clock.h"
#include "yolo-backend.h"
#include "yolo-engine-private.h"
#include "yolo-flops.h"
#include "yolo-half.h"
#include "ops/dwsep.h"
#include "yolo-kernels.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return g_get_monotonic_time ();
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Options every kernel unit is built with. */
#define YOLO_CL_BUILD_OPTIONS "-cl-mad-enable"
#define YOLO_CL_BUILD_OPTIONS_HALF "-cl-mad-enable -DYOLO_ACT_HALF=1"
/* ... with the static-QDQ conv epilogue (yolo_rt_set_qdq_epilogue) */
#define YOLO_CL_BUILD_OPTIONS_QDQ "-cl-mad-enable -DCONV_QDQ=1"
#define YOLO_CL_BUILD_OPTIONS_HALF_QDQ \
  "-cl-mad-enable -DYOLO_ACT_HALF=1 -DCONV_QDQ=1"
/* ... on a device with int8_dot_khr: OpenCL C 3.0, whose feature macro
 * __opencl_c_integer_dot_product_input_4x8bit_packed declares the
 * extension's built-ins (Intel's compiler declares them in no 1.x mode,
 * though it defines cl_khr_integer_dot_product there) */
#define YOLO_CL_STD_DOT " -cl-std=CL3.0"
/* ... on a device without fused multiply-add (YoloDeviceInfo.soft_fma) */
#define YOLO_CL_SOFT_FMA " -DYOLO_SOFT_FMA=1"

typedef struct
{
  cl_kernel k;
  guint dim;
  gsize gws[3];
  gsize lws[3];
  gboolean has_lws;
  char *label;                  /* node name */
  char *op_type;
  const char *variant;          /* impl name (static), or NULL */
  const YoloNode *node;         /* the node launched for (profile FLOPs) */
  GPtrArray *covers;            /* other nodes it computes (YoloNode *), or NULL */
  cl_event ev;
  /* profile on CPU devices, the least over the runs (0: none yet): CPU
   * ms of all threads, and of the busiest one (the launch's wall time
   * with a core per thread) */
  double cpu_ms, busy_ms;
} Launch;

typedef struct
{
  cl_kernel k;                  /* own reference */
  cl_uint idx;
  guint slot;
} ScratchArg;

/* A kernel argument (a cl_mem; the element offset is the next argument)
 * that addresses graph input `input`, rel elements past its start. */
typedef struct
{
  cl_kernel k;                  /* own reference */
  cl_uint idx;
  guint input;
  gint64 rel;
} InputArg;

struct _YoloRuntime
{
  YoloDeviceInfo info;
  cl_platform_id platform;
  cl_device_id device;
  cl_context ctx;
  cl_command_queue queue;
  cl_program *programs;         /* per kernel unit, built on first use */
  int n_programs;
  YoloEngineOptions opt;        /* resolved: see resolve_options */
  YoloDType act_storage;        /* FLOAT or FLOAT16 (yolo_rt_set_act_storage) */
  gboolean qdq_epilogue;        /* yolo_rt_set_qdq_epilogue */
  /* of every unit: YOLO_CL_BUILD_OPTIONS[_HALF][_QDQ], then
   * YOLO_CL_STD_DOT where the device has int8_dot_khr (owned) */
  char *build_options;
  cl_mem arena;
  gint64 arena_bytes;
  GPtrArray *buffers;           /* owned cl_mem */
  GPtrArray *const_buffers;     /* owned cl_mem of constant tensors */
  const char *variant;          /* impl whose launches are recorded */
  GArray *launches;             /* Launch */
  gboolean profile;
  /* profile on a CPU device: the threads' clocks, read around each launch
   * (created at the first profiled run, when the device's workers exist) */
  YoloCpuClock prof_clock;
  gboolean prof_clock_on;
  GArray *scratch_args;         /* ScratchArg, bound by bind_scratch */
  GArray *input_args;           /* InputArg, yolo_rt_bind_input */
  gsize scratch_size[YOLO_SCRATCH_SLOTS];
  cl_mem scratch[YOLO_SCRATCH_SLOTS];
  cl_ulong max_alloc;           /* CL_DEVICE_MAX_MEM_ALLOC_SIZE, 0: unknown */
  cl_ulong global_mem;          /* CL_DEVICE_GLOBAL_MEM_SIZE, 0: unknown */
  guint64 dev_bytes;            /* device memory reserved so far */
  /* cl_kernel -> GArray of YoloClArg: the arguments set through
   * yolo_args_*, kept for the prewarm while it is on */
  GHashTable *kargs;
  YoloClPrewarm *prewarm;       /* NULL: off, or finished */
  GHashTable *prewarm_seen;     /* "kernel dim lws" keys pushed */
  /* a unit build took yolo_cl_prewarm_cold_bound_us of the thread's CPU
   * time (PoCL's cache was cold; CPU time, unlike wall time, does not grow
   * with the machine's load): the prewarm runs the launches pushed */
  gboolean compiled;
  gboolean built;               /* a unit was built */
};

/* The runtime whose yolo_rt_kernel this thread called last while it was
 * recording: yolo_args_* record into its kargs (a YoloArgs does not know
 * its runtime). Runtimes record from their creation until
 * yolo_runtime_prewarm (or their end); `recording` holds those, so that a
 * thread's pointer to a runtime since freed is never followed. */
static GPrivate current_rt;
static GMutex recording_lock;
static GHashTable *recording;

static void
recording_set (YoloRuntime * rt, gboolean on)
{
  g_mutex_lock (&recording_lock);
  if (on) {
    if (!recording)
      recording = g_hash_table_new (NULL, NULL);
    g_hash_table_add (recording, rt);
  } else if (recording) {
    g_hash_table_remove (recording, rt);
  }
  g_mutex_unlock (&recording_lock);
  if (!on && g_private_get (&current_rt) == rt)
    g_private_set (&current_rt, NULL);
}

static void
free_args (gpointer p)
{
  g_array_unref (p);
}

/* Records argument idx of k when rt is recording and k is one of its
 * kernels, else nothing. */
static void
record_arg (YoloRuntime * rt, cl_kernel k, cl_uint idx, YoloClArgKind kind,
    gsize size, gconstpointer value)
{
  GArray *args = NULL;
  YoloClArg *a;

  if (!rt)
    return;
  g_mutex_lock (&recording_lock);
  if (recording && g_hash_table_contains (recording, rt))
    args = g_hash_table_lookup (rt->kargs, k);
  g_mutex_unlock (&recording_lock);
  if (!args)
    return;
  if (args->len <= idx)
    g_array_set_size (args, idx + 1);
  a = &g_array_index (args, YoloClArg, idx);
  memset (a, 0, sizeof (*a));
  a->kind = kind;
  a->size = size;
  if (kind == YOLO_CL_ARG_BYTES && size <= sizeof (a->value)) {
    memcpy (a->value, value, size);
  } else if (kind == YOLO_CL_ARG_BYTES) {
    return;                     /* too large to keep: left unset */
  }
  a->set = TRUE;
}

static void
record_mem (YoloRuntime * rt, cl_kernel k, cl_uint idx, cl_mem m)
{
  size_t size = 0;

  if (rt && clGetMemObjectInfo (m, CL_MEM_SIZE, sizeof (size), &size,
          NULL) == CL_SUCCESS)
    record_arg (rt, k, idx, YOLO_CL_ARG_MEM, size, NULL);
}

/* FALSE with a clear error when one buffer of `bytes` exceeds the device's
 * CL_DEVICE_MAX_MEM_ALLOC_SIZE, or all buffers together its
 * CL_DEVICE_GLOBAL_MEM_SIZE; else accounts the buffer (called right before
 * every clCreateBuffer of the engine). */
static gboolean
check_alloc_size (YoloRuntime * rt, gsize bytes, const char *what,
    gboolean size_hint, GError ** error)
{
  if (rt->max_alloc != 0 && bytes > rt->max_alloc) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s needs a buffer of %" G_GSIZE_FORMAT " bytes (%.1f MiB) but %s "
        "allows at most %" G_GUINT64_FORMAT " bytes (%.1f MiB) per buffer "
        "(CL_DEVICE_MAX_MEM_ALLOC_SIZE)%s", what, bytes, bytes / 1048576.0,
        rt->info.name ? rt->info.name : "the device", (guint64) rt->max_alloc,
        rt->max_alloc / 1048576.0,
        size_hint ? "; try a smaller input size" : "");
    return FALSE;
  }
  if (rt->global_mem != 0 && (bytes > rt->global_mem
          || rt->dev_bytes > rt->global_mem - bytes)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s of %.1f MiB would bring the model's device memory to %.1f MiB, "
        "more than the %.1f MiB of %s (CL_DEVICE_GLOBAL_MEM_SIZE)%s", what,
        bytes / 1048576.0, (rt->dev_bytes + (double) bytes) / 1048576.0,
        rt->global_mem / 1048576.0,
        rt->info.name ? rt->info.name : "the device",
        size_hint ? "; try a smaller input size" : "");
    return FALSE;
  }
  rt->dev_bytes += bytes;
  return TRUE;
}

static void
release_mem (gpointer p)
{
  clReleaseMemObject ((cl_mem) p);
}

gboolean
yolo_rt_resolve_choice (const char *value, const char *option,
    const char *env_name, const char *const *choices, const char **out,
    GError ** error)
{
  const char *v = value && *value ? value : env_name ? g_getenv (env_name)
      : NULL;
  char *list;

  *out = choices[0];
  if (!v || !*v)
    return TRUE;
  for (guint i = 0; choices[i]; i++) {
    if (!strcmp (v, choices[i])) {
      *out = choices[i];
      return TRUE;
    }
  }
  list = g_strjoinv (", ", (char **) choices);
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
      "invalid %s%s \"%s\" (expected one of: %s)", value && *value ?
      option : env_name, value && *value ? " option" : "", v, list);
  g_free (list);
  return FALSE;
}

/* yolo_rt_resolve_choice for conv_kernel / matmul_kernel: also a
 * comma-separated list of the op's variant names (yolo-backend.h), kept interned. */
static gboolean
resolve_variants (const char *value, const char *option, const char *env_name,
    const char *const *choices, const char *op_type, const char **out,
    GError ** error)
{
  const char *v = value && *value ? value : g_getenv (env_name);

  if (v && *v && yolo_backend_names_valid (&yolo_backend_opencl, op_type, v)) {
    *out = g_intern_string (v);
    return TRUE;
  }
  return yolo_rt_resolve_choice (value, option, env_name, choices, out, error);
}

static gboolean
resolve_cap (gint64 value, const char *option, const char *env_name,
    gint64 * out, GError ** error)
{
  const char *env;

  *out = 0;
  if (value < 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "invalid %s option %" G_GINT64_FORMAT " (expected a size >= 0, "
        "0 = no cap)", option, value);
    return FALSE;
  }
  if (value > 0) {
    *out = value;
    return TRUE;
  }
  env = g_getenv (env_name);
  if (env && *env) {
    guint64 v;

    if (!g_ascii_string_to_unsigned (env, 10, 0, G_MAXINT64, &v, NULL)) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
          "invalid %s \"%s\" (expected a size >= 0, 0 = no cap)", env_name,
          env);
      return FALSE;
    }
    *out = (gint64) v;
  }
  return TRUE;
}

/* The prewarm option: "auto", "on" or "off"; unset, YOLO_CL_PREWARM, which
 * also takes "1" (on) and "0" (off), its values before the option. */
static gboolean
resolve_prewarm (const char *value, const char **out, GError ** error)
{
  static const char *const prewarm[] = { "auto", "on", "off", NULL };
  const char *env = g_getenv ("YOLO_CL_PREWARM");

  if (!(value && *value) && env && (!strcmp (env, "1")
          || !strcmp (env, "0"))) {
    *out = prewarm[env[0] == '1' ? 1 : 2];
    return TRUE;
  }
  return yolo_rt_resolve_choice (value, "prewarm", "YOLO_CL_PREWARM", prewarm,
      out, error);
}

/* YoloDeviceInfo.int8_dot: PoCL's CPU device (its compiler targets the
 * host CPU, AVX-512 when the float vectors are 16 wide) on an x86-64 host
 * with AVX512-VNNI. */
static gboolean
host_int8_dot (const YoloDeviceInfo * info)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  return info->is_cpu && info->preferred_vector_width_float >= 16
      && info->platform && strstr (info->platform, "Portable Computing")
      && __builtin_cpu_supports ("avx512f")
      && __builtin_cpu_supports ("avx512vnni");
#else
  return FALSE;
#endif
}

/* cl_khr_integer_dot_product's query and bit (cl_ext.h of 2021 on; the
 * values of the extension's specification where older headers lack them) */
#ifndef CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR
#define CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR 0x1073
#endif
#ifndef CL_DEVICE_INTEGER_DOT_PRODUCT_INPUT_4x8BIT_PACKED_KHR
#define CL_DEVICE_INTEGER_DOT_PRODUCT_INPUT_4x8BIT_PACKED_KHR (1 << 0)
#endif

/* YoloDeviceInfo.int8_dot_khr: cl_khr_integer_dot_product with the
 * packed 4x8-bit input (the extension string and its capability bits), on
 * a device that is not a CPU: on Intel's CPU runtime (which reports the
 * packed mixed-signedness form accelerated) the _dot kernels took 5x the
 * CPU time of the plain ones on yolov8n-int8-640 (README), as their int16
 * lanes leave it no vectorisation across work-items.
 * YOLO_CL_INT8_DOT_KHR=1 takes them on a CPU too (the tests), 0 nowhere
 * (A/B runs). */
static gboolean
device_int8_dot_khr (cl_device_id dev, gboolean is_cpu)
{
  cl_bitfield caps = 0;
  const char *env = g_getenv ("YOLO_CL_INT8_DOT_KHR");
  char *ext;
  gboolean has;

  if (env && !strcmp (env, "0"))
    return FALSE;
  if (is_cpu && !(env && !strcmp (env, "1")))
    return FALSE;
  ext = yolo_cl_device_string (dev, CL_DEVICE_EXTENSIONS);
  has = ext && strstr (ext, "cl_khr_integer_dot_product") != NULL;

  g_free (ext);
  if (!has
      || clGetDeviceInfo (dev, CL_DEVICE_INTEGER_DOT_PRODUCT_CAPABILITIES_KHR,
          sizeof (caps), &caps, NULL) != CL_SUCCESS)
    return FALSE;
  return (caps & CL_DEVICE_INTEGER_DOT_PRODUCT_INPUT_4x8BIT_PACKED_KHR) != 0;
}

/* YoloDeviceInfo.soft_fma: the device reports no IEEE fused multiply-add
 * for float. */
static gboolean
device_soft_fma (cl_device_id dev)
{
  cl_device_fp_config fp = 0;

  return clGetDeviceInfo (dev, CL_DEVICE_SINGLE_FP_CONFIG, sizeof (fp), &fp,
      NULL) == CL_SUCCESS && !(fp & CL_FP_FMA);
}

/* Fills *out from opt (may be NULL): every test / benchmark option unset
 * there takes its environment default, every choice becomes one of its
 * static strings ("auto" when unset), every cap a number (0: none);
 * device stays as given. FALSE with YOLO_ENGINE_ERROR_ARGUMENT on an
 * invalid value. */
static gboolean
resolve_options (const YoloEngineOptions * opt, YoloEngineOptions * out,
    GError ** error)
{
  static const char *const cache[] = { "auto", "on", "off", NULL };
  static const char *const tune[] = { "on", "off", "cached", NULL };
  static const char *const conv[] =
      { "auto", "gpu", "tiled", "wino", "direct", NULL };
  static const char *const wino[] = { "auto", "xi", NULL };
  static const char *const matmul[] = { "auto", "tiled", "tile", NULL };
  static const char *const pre[] = { "auto", "scalar", "wide", NULL };
  static const char *const upload[] = { "auto", "copy", "host", NULL };
  static const char *const storage[] = { "auto", "float", "half", NULL };
  YoloEngineOptions none = { 0 };

  if (!opt)
    opt = &none;
  *out = *opt;
  if (!yolo_rt_resolve_choice (opt->program_cache, "program_cache", NULL,
          cache, &out->program_cache, error))
    return FALSE;
  if (opt->no_cache) {
    out->program_cache = cache[2];
  } else if (!strcmp (out->program_cache, "auto")) {
    /* YOLO_CL_NO_CACHE: "0" writes the cache (also on PoCL), any other
     * non-empty value disables it. */
    const char *env = g_getenv ("YOLO_CL_NO_CACHE");
    if (env && *env)
      out->program_cache = strcmp (env, "0") ? cache[2] : cache[1];
  }
  out->no_cache = !strcmp (out->program_cache, "off");
  if (!resolve_prewarm (opt->prewarm, &out->prewarm, error))
    return FALSE;
  return yolo_rt_resolve_choice (opt->tune, "tune", "YOLO_TUNE", tune,
      &out->tune, error)
      && resolve_variants (opt->conv_kernel, "conv_kernel", "YOLO_CONV_KERNEL",
      conv, "Conv|ConvInteger|" YOLO_DWSEP_OP, &out->conv_kernel, error)
      && yolo_rt_resolve_choice (opt->wino_layout, "wino_layout",
      "YOLO_WINO_LAYOUT", wino, &out->wino_layout, error)
      && resolve_variants (opt->matmul_kernel, "matmul_kernel",
      "YOLO_MATMUL_KERNEL", matmul, "MatMul|ScaledDotProductAttention",
      &out->matmul_kernel, error)
      && yolo_rt_resolve_choice (opt->preproc_kernel, "preproc_kernel",
      "YOLO_PREPROC_KERNEL", pre, &out->preproc_kernel, error)
      && yolo_rt_resolve_choice (opt->preproc_upload, "preproc_upload",
      "YOLO_PREPROC_UPLOAD", upload, &out->preproc_upload, error)
      && yolo_rt_resolve_choice (opt->storage, "storage", "YOLO_STORAGE",
      storage, &out->storage, error)
      && resolve_cap (opt->max_work_group_size, "max_work_group_size",
      "YOLO_MAX_WORK_GROUP_SIZE", &out->max_work_group_size, error)
      && resolve_cap (opt->max_local_mem_size, "max_local_mem_size",
      "YOLO_MAX_LOCAL_MEM_SIZE", &out->max_local_mem_size, error)
      && resolve_cap (opt->max_mem_alloc_size, "max_mem_alloc_size",
      "YOLO_MAX_MEM_ALLOC_SIZE", &out->max_mem_alloc_size, error)
      && resolve_cap (opt->max_global_mem_size, "max_global_mem_size",
      "YOLO_MAX_GLOBAL_MEM_SIZE", &out->max_global_mem_size, error);
}

YoloRuntime *
yolo_runtime_new (const YoloEngineOptions * options, GError ** error)
{
  YoloRuntime *rt = g_new0 (YoloRuntime, 1);
  cl_device_type type = 0;
  size_t wgs = 0, items[3] = { 0, 0, 0 };
  cl_ulong lmem = 0;
  cl_uint cu = 0;

  rt->buffers = g_ptr_array_new_with_free_func (release_mem);
  rt->const_buffers = g_ptr_array_new_with_free_func (release_mem);
  rt->launches = g_array_new (FALSE, TRUE, sizeof (Launch));
  rt->scratch_args = g_array_new (FALSE, TRUE, sizeof (ScratchArg));
  rt->input_args = g_array_new (FALSE, TRUE, sizeof (InputArg));
  rt->kargs = g_hash_table_new_full (NULL, NULL, NULL, free_args);
  if (!resolve_options (options, &rt->opt, error))
    goto fail;
  rt->opt.device = NULL;        /* not kept: the caller's string */
  rt->profile = rt->opt.profile;
  if (!yolo_cl_select_device (options ? options->device : NULL,
          &rt->platform, &rt->device, error))
    goto fail;

  clGetDeviceInfo (rt->device, CL_DEVICE_TYPE, sizeof (type), &type, NULL);
  clGetDeviceInfo (rt->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof (wgs),
      &wgs, NULL);
  clGetDeviceInfo (rt->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof (items),
      items, NULL);
  clGetDeviceInfo (rt->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof (lmem), &lmem,
      NULL);
  clGetDeviceInfo (rt->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof (cu), &cu,
      NULL);
  if (clGetDeviceInfo (rt->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE,
          sizeof (rt->max_alloc), &rt->max_alloc, NULL) != CL_SUCCESS)
    rt->max_alloc = 0;
  if (clGetDeviceInfo (rt->device, CL_DEVICE_GLOBAL_MEM_SIZE,
          sizeof (rt->global_mem), &rt->global_mem, NULL) != CL_SUCCESS)
    rt->global_mem = 0;
  rt->info.is_cpu = (type & CL_DEVICE_TYPE_CPU) != 0;
  if (clGetDeviceInfo (rt->device, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT,
          sizeof (cl_uint), &rt->info.preferred_vector_width_float,
          NULL) != CL_SUCCESS)
    rt->info.preferred_vector_width_float = 1;
  {
    /* Intel's CPU runtime reports a preferred float width of 1 (its
     * compiler vectorises across work-items) but a native one of 16 on
     * AVX-512: either width counts. */
    cl_uint native = 1;

    if (clGetDeviceInfo (rt->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT,
            sizeof (native), &native, NULL) != CL_SUCCESS)
      native = 1;
    rt->info.native_vector_width_float = native;
    rt->info.wide_vectors = rt->info.is_cpu
        && MAX (rt->info.preferred_vector_width_float, native) >= 8;
  }
  {
    cl_device_local_mem_type lt = CL_GLOBAL;

    if (clGetDeviceInfo (rt->device, CL_DEVICE_LOCAL_MEM_TYPE, sizeof (lt),
            &lt, NULL) != CL_SUCCESS)
      lt = CL_GLOBAL;
    rt->info.local_mem_dedicated = lt == CL_LOCAL;
  }
  rt->info.max_work_group_size = wgs ? wgs : 1;
  for (int i = 0; i < 3; i++)
    rt->info.max_work_item_sizes[i] = items[i] ? items[i] : 1;
  {
    /* Emulate a device with smaller limits (see the top). */
    gint64 cap = rt->opt.max_work_group_size;
    if (cap > 0) {
      rt->info.max_work_group_size = MIN (rt->info.max_work_group_size,
          (gsize) cap);
      for (int i = 0; i < 3; i++)
        rt->info.max_work_item_sizes[i] =
            MIN (rt->info.max_work_item_sizes[i], (gsize) cap);
      g_debug ("max_work_group_size: max work-group size %" G_GSIZE_FORMAT,
          rt->info.max_work_group_size);
    }
    cap = rt->opt.max_mem_alloc_size;
    if (cap > 0) {
      rt->max_alloc = rt->max_alloc ? MIN (rt->max_alloc, (cl_ulong) cap)
          : (cl_ulong) cap;
      g_debug ("max_mem_alloc_size: max buffer size %" G_GUINT64_FORMAT,
          (guint64) rt->max_alloc);
    }
    cap = rt->opt.max_global_mem_size;
    if (cap > 0) {
      rt->global_mem = rt->global_mem ? MIN (rt->global_mem, (cl_ulong) cap)
          : (cl_ulong) cap;
      g_debug ("max_global_mem_size: device memory %" G_GUINT64_FORMAT,
          (guint64) rt->global_mem);
    }
  }
  rt->info.local_mem_size = lmem;
  if (rt->opt.max_local_mem_size > 0) {
    rt->info.local_mem_size = MIN (rt->info.local_mem_size,
        (gsize) rt->opt.max_local_mem_size);
    g_debug ("max_local_mem_size: local memory %" G_GSIZE_FORMAT " bytes",
        rt->info.local_mem_size);
  }
  rt->info.compute_units = cu;
  rt->info.name = yolo_cl_device_string (rt->device, CL_DEVICE_NAME);
  rt->info.vendor = yolo_cl_device_string (rt->device, CL_DEVICE_VENDOR);
  rt->info.driver = yolo_cl_device_string (rt->device, CL_DRIVER_VERSION);
  rt->info.platform = yolo_cl_platform_string (rt->platform, CL_PLATFORM_NAME);
  rt->info.int8_dot = host_int8_dot (&rt->info);
  rt->info.int8_dot_khr = device_int8_dot_khr (rt->device, rt->info.is_cpu);
  rt->info.soft_fma = device_soft_fma (rt->device);

  /* on PoCL < 7 one context and queue shared by the process's engines
   * (yolo-cl-queue.h) */
  if (!yolo_cl_queue_acquire (rt->device,
          rt->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &rt->ctx, &rt->queue,
          error)) {
    g_prefix_error (error, "%s: ", rt->info.name);
    goto fail;
  }
  /* Programs are built per kernel unit when a plan first asks for one of
   * its kernels (yolo_rt_kernel): only what the plan uses is compiled. */
  rt->act_storage = YOLO_DTYPE_FLOAT;
  rt->build_options = g_strconcat (YOLO_CL_BUILD_OPTIONS,
      rt->info.int8_dot_khr ? YOLO_CL_STD_DOT : "",
      rt->info.soft_fma ? YOLO_CL_SOFT_FMA : "", NULL);
  rt->n_programs = yolo_cl_n_kernel_units ();
  rt->programs = g_new0 (cl_program, rt->n_programs);
  {
    /* PoCL compiles per (kernel, local size) at the first launch: start
     * the prewarm (yolo-cl-prewarm.h; option prewarm: auto = on PoCL
     * only). */
    if (!strcmp (rt->opt.prewarm, "auto") ?
        yolo_cl_device_is_pocl (rt->device) : !strcmp (rt->opt.prewarm, "on")) {
      rt->prewarm = yolo_cl_prewarm_new (rt->device, rt->build_options,
          CLAMP (rt->info.compute_units, 1, 8) - 1);
      rt->prewarm_seen = g_hash_table_new_full (g_str_hash, g_str_equal,
          g_free, NULL);
      recording_set (rt, TRUE);
    }
  }
  return rt;

fail:
  yolo_runtime_free (rt);
  return NULL;
}

/* Drops the launches from index `from` on. */
static void
truncate_launches (YoloRuntime * rt, guint from)
{
  for (guint i = from; i < rt->launches->len; i++) {
    Launch *l = &g_array_index (rt->launches, Launch, i);
    clReleaseKernel (l->k);
    if (l->ev)
      clReleaseEvent (l->ev);
    g_free (l->label);
    g_free (l->op_type);
    if (l->covers)
      g_ptr_array_unref (l->covers);
  }
  g_array_set_size (rt->launches, MIN (from, rt->launches->len));
}

void
yolo_rt_launch_covers (YoloRuntime * rt, const YoloNode * n)
{
  Launch *l;

  g_return_if_fail (rt->launches->len > 0);
  l = &g_array_index (rt->launches, Launch, rt->launches->len - 1);
  if (!l->covers)
    l->covers = g_ptr_array_new ();
  g_ptr_array_add (l->covers, (gpointer) n);
}

void
yolo_runtime_free (YoloRuntime * rt)
{
  if (!rt)
    return;
  recording_set (rt, FALSE);
  yolo_cl_prewarm_finish (rt->prewarm, NULL, NULL, NULL);
  if (rt->prewarm_seen)
    g_hash_table_unref (rt->prewarm_seen);
  if (rt->queue)
    clFinish (rt->queue);
  truncate_launches (rt, 0);
  g_array_unref (rt->launches);
  if (rt->prof_clock_on)
    yolo_cpu_clock_clear (&rt->prof_clock);
  for (guint i = 0; i < rt->scratch_args->len; i++)
    clReleaseKernel (g_array_index (rt->scratch_args, ScratchArg, i).k);
  g_array_unref (rt->scratch_args);
  for (guint i = 0; i < rt->input_args->len; i++)
    clReleaseKernel (g_array_index (rt->input_args, InputArg, i).k);
  g_array_unref (rt->input_args);
  for (guint i = 0; i < YOLO_SCRATCH_SLOTS; i++)
    if (rt->scratch[i])
      clReleaseMemObject (rt->scratch[i]);
  g_ptr_array_unref (rt->buffers);
  g_hash_table_unref (rt->kargs);
  g_ptr_array_unref (rt->const_buffers);
  if (rt->arena)
    clReleaseMemObject (rt->arena);
  for (int i = 0; i < rt->n_programs; i++)
    if (rt->programs[i])
      clReleaseProgram (rt->programs[i]);
  g_free (rt->programs);
  g_free (rt->build_options);
  yolo_cl_queue_release (rt->ctx, rt->queue);
  g_free (rt->info.name);
  g_free (rt->info.vendor);
  g_free (rt->info.driver);
  g_free (rt->info.platform);
  g_free (rt);
}

const YoloDeviceInfo *
yolo_rt_device (YoloRuntime * rt)
{
  return &rt->info;
}

const YoloEngineOptions *
yolo_rt_options (YoloRuntime * rt)
{
  return &rt->opt;
}

cl_context
yolo_rt_context (YoloRuntime * rt)
{
  return rt->ctx;
}

cl_command_queue
yolo_rt_queue (YoloRuntime * rt)
{
  return rt->queue;
}

guint64
yolo_runtime_device_bytes (YoloRuntime * rt)
{
  return rt->dev_bytes;
}

cl_mem
yolo_runtime_arena (YoloRuntime * rt)
{
  return rt->arena;
}

gboolean
yolo_runtime_alloc_arena (YoloRuntime * rt, gint64 arena_bytes, GError ** error)
{
  cl_int err;
  gsize bytes;

  if (arena_bytes < 0 || (guint64) arena_bytes > G_MAXSIZE - 64) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "the activations need %" G_GINT64_FORMAT " bytes, more than this "
        "host addresses", arena_bytes);
    return FALSE;
  }
  bytes = MAX ((gsize) arena_bytes, 64);
  if (!check_alloc_size (rt, bytes, "the activation arena", TRUE, error))
    return FALSE;
  rt->arena = clCreateBuffer (rt->ctx, CL_MEM_READ_WRITE, bytes, NULL, &err);
  if (YOLO_CL_FAILED (err, error, "allocating %" G_GSIZE_FORMAT
          " bytes of device memory", bytes))
    return FALSE;
  rt->arena_bytes = arena_bytes;
  return TRUE;
}

/* rt->build_options for its storage and QDQ epilogue; drops the programs
 * built so far. */
static void
set_build_options (YoloRuntime * rt)
{
  gboolean half = rt->act_storage == YOLO_DTYPE_FLOAT16;

  g_free (rt->build_options);
  rt->build_options = g_strconcat (rt->qdq_epilogue ? (half ?
          YOLO_CL_BUILD_OPTIONS_HALF_QDQ : YOLO_CL_BUILD_OPTIONS_QDQ) :
      (half ? YOLO_CL_BUILD_OPTIONS_HALF : YOLO_CL_BUILD_OPTIONS),
      rt->info.int8_dot_khr ? YOLO_CL_STD_DOT : "",
      rt->info.soft_fma ? YOLO_CL_SOFT_FMA : "", NULL);
  for (int i = 0; i < rt->n_programs; i++)
    g_clear_pointer (&rt->programs[i], clReleaseProgram);
  if (rt->prewarm)
    yolo_cl_prewarm_set_options (rt->prewarm, rt->build_options);
}

void
yolo_rt_set_act_storage (YoloRuntime * rt, YoloDType storage)
{
  g_return_if_fail (storage == YOLO_DTYPE_FLOAT
      || storage == YOLO_DTYPE_FLOAT16);
  if (storage == rt->act_storage)
    return;
  g_return_if_fail (rt->launches->len == 0);
  rt->act_storage = storage;
  set_build_options (rt);
}

void
yolo_rt_set_qdq_epilogue (YoloRuntime * rt, gboolean on)
{
  if (on == rt->qdq_epilogue)
    return;
  g_return_if_fail (rt->launches->len == 0);
  rt->qdq_epilogue = on;
  set_build_options (rt);
}

gboolean
yolo_rt_qdq_epilogue (YoloRuntime * rt)
{
  return rt->qdq_epilogue;
}

YoloDType
yolo_rt_act_storage (YoloRuntime * rt)
{
  return rt->act_storage;
}

cl_kernel
yolo_rt_kernel (YoloRuntime * rt, const char *name, GError ** error)
{
  cl_int err;
  cl_kernel k;
  int u = -1;
  const YoloKernelUnit *unit = yolo_cl_kernel_unit (name, &u);

  if (!unit) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "internal error: no kernel unit defines %s", name);
    return NULL;
  }
  if (!rt->programs[u]) {
    gint64 t0;

    /* (a helper building it ahead: wait, then take it from PoCL's cache) */
    yolo_cl_prewarm_claim_unit (rt->prewarm, u);
    t0 = thread_cpu_us ();
    rt->programs[u] = yolo_cl_build_program (rt->ctx, rt->device, unit,
        rt->build_options, rt->opt.program_cache, error);
    if (!rt->programs[u])
      return NULL;
    if (thread_cpu_us () - t0 >= yolo_cl_prewarm_cold_bound_us (u))
      rt->compiled = TRUE;
    rt->built = TRUE;
  }
  k = clCreateKernel (rt->programs[u], name, &err);
  if (YOLO_CL_FAILED (err, error, "creating kernel %s", name))
    return NULL;
  if (rt->prewarm) {
    /* (replaces the record of a released kernel at the same address) */
    g_hash_table_insert (rt->kargs, k, g_array_new (FALSE, TRUE,
            sizeof (YoloClArg)));
    g_private_set (&current_rt, rt);
  }
  return k;
}

static char *kernel_name (cl_kernel k);

/* Queues launch l for the prewarm when its (kernel, local size) is new and
 * every argument of its kernel was recorded. */
static void
prewarm_push (YoloRuntime * rt, const Launch * l)
{
  GArray *args = g_hash_table_lookup (rt->kargs, l->k);
  YoloClPrewarmItem *it;
  cl_uint nargs = 0;
  gboolean complete;
  char *name, *key;
  int u = -1;

  /* (a tuning trial's launches too: yolo_rt_time_trials has them compiled
   * by the prewarm before it runs them; the item keeps its own copy of
   * the arguments when the rollback drops the launch) */
  if (!rt->prewarm || !l->has_lws)
    return;
  name = kernel_name (l->k);
  key = g_strdup_printf ("%s %u %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %"
      G_GSIZE_FORMAT, name, l->dim, l->lws[0], l->lws[1], l->lws[2]);
  if (g_hash_table_contains (rt->prewarm_seen, key)
      || !yolo_cl_kernel_unit (name, &u)) {
    g_free (key);
    g_free (name);
    return;
  }
  g_hash_table_add (rt->prewarm_seen, key);
  clGetKernelInfo (l->k, CL_KERNEL_NUM_ARGS, sizeof (nargs), &nargs, NULL);
  complete = args && nargs > 0 && args->len == nargs;
  for (guint a = 0; complete && a < nargs; a++)
    complete = g_array_index (args, YoloClArg, a).set;
  if (!complete) {
    g_debug ("prewarm: %s: arguments not all known, left to the first run",
        name);
    g_free (name);
    return;
  }
  it = g_new0 (YoloClPrewarmItem, 1);
  it->unit = u;
  it->kernel = name;
  it->dim = l->dim;
  memcpy (it->lws, l->lws, sizeof (it->lws));
  it->n_args = nargs;
  it->args = g_memdup2 (args->data, nargs * sizeof (YoloClArg));
  yolo_cl_prewarm_push (rt->prewarm, it, rt->compiled
      || yolo_cl_prewarm_cold (rt->prewarm));
}

void
yolo_runtime_prebuild_units (YoloRuntime * rt, const char *const *units)
{
  GArray *idx = g_array_new (FALSE, FALSE, sizeof (int));

  if (!rt->prewarm)
    return;
  for (guint i = 0; units[i]; i++)
    for (int u = 0; yolo_kernel_units[u].name; u++) {
      const char *name = yolo_kernel_units[u].name;
      gsize len = strlen (units[i]);

      /* (impls name a unit without ".cl") */
      if (!rt->programs[u] && !strncmp (name, units[i], len)
          && !strcmp (name + len, ".cl"))
        g_array_append_val (idx, u);
    }
  yolo_cl_prewarm_build_units (rt->prewarm, (const int *) idx->data, idx->len);
  g_array_unref (idx);
}

gboolean
yolo_rt_launch (YoloRuntime * rt, const YoloNode * n, cl_kernel k,
    guint work_dim, const gsize * gws, const gsize * lws, GError ** error)
{
  Launch l = { 0, };

  if (work_dim < 1 || work_dim > 3) {
    clReleaseKernel (k);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "internal error: bad work dimension for node %s", n ? n->name : "?");
    return FALSE;
  }
  l.k = k;
  l.dim = work_dim;
  l.label = g_strdup (n && n->name ? n->name : "");
  l.op_type = g_strdup (n && n->op_type ? n->op_type : "");
  l.variant = rt->variant;
  l.node = n;
  if (lws) {
    gsize total, max_group = rt->info.max_work_group_size, kwg = 0;

    /* The kernel's own limit (register pressure on GPUs). */
    if (clGetKernelWorkGroupInfo (k, rt->device, CL_KERNEL_WORK_GROUP_SIZE,
            sizeof (kwg), &kwg, NULL) == CL_SUCCESS && kwg > 0)
      max_group = MIN (max_group, kwg);
    l.has_lws = TRUE;
    for (guint i = 0; i < work_dim; i++)
      l.lws[i] = MAX (1, MIN (lws[i], rt->info.max_work_item_sizes[i]));
    /* Shrink the largest dimension until the group fits the device. */
    for (;;) {
      guint big = 0;
      total = 1;
      for (guint i = 0; i < work_dim; i++) {
        total *= l.lws[i];
        if (l.lws[i] > l.lws[big])
          big = i;
      }
      if (total <= max_group || l.lws[big] == 1)
        break;
      l.lws[big] = (l.lws[big] + 1) / 2;
    }
  }
  for (guint i = 0; i < work_dim; i++) {
    gsize g = MAX (gws[i], 1);
    if (l.has_lws)
      g = yolo_div_up (g, l.lws[i]) * l.lws[i];
    l.gws[i] = g;
  }
  g_array_append_val (rt->launches, l);
  prewarm_push (rt, &l);
  return TRUE;
}

/* Why k cannot run with exactly lws here, or NULL when it can. */
static char *
fixed_misfit (YoloRuntime * rt, cl_kernel k, guint work_dim, const gsize * lws)
{
  gsize total = 1, kwg = 0;
  cl_ulong klmem = 0;

  if (work_dim < 1 || work_dim > 3)
    return g_strdup ("bad work dimension");
  for (guint i = 0; i < work_dim; i++) {
    if (lws[i] < 1 || lws[i] > rt->info.max_work_item_sizes[i])
      return g_strdup_printf ("local size %" G_GSIZE_FORMAT " in dimension "
          "%u exceeds CL_DEVICE_MAX_WORK_ITEM_SIZES (%" G_GSIZE_FORMAT ")",
          lws[i], i, rt->info.max_work_item_sizes[i]);
    total *= lws[i];
  }
  if (total > rt->info.max_work_group_size)
    return g_strdup_printf ("work-group of %" G_GSIZE_FORMAT " exceeds "
        "CL_DEVICE_MAX_WORK_GROUP_SIZE (%" G_GSIZE_FORMAT ")", total,
        rt->info.max_work_group_size);
  if (clGetKernelWorkGroupInfo (k, rt->device, CL_KERNEL_WORK_GROUP_SIZE,
          sizeof (kwg), &kwg, NULL) == CL_SUCCESS && kwg > 0 && total > kwg)
    return g_strdup_printf ("work-group of %" G_GSIZE_FORMAT " exceeds the "
        "kernel's CL_KERNEL_WORK_GROUP_SIZE (%" G_GSIZE_FORMAT ")", total, kwg);
  if (clGetKernelWorkGroupInfo (k, rt->device, CL_KERNEL_LOCAL_MEM_SIZE,
          sizeof (klmem), &klmem, NULL) == CL_SUCCESS
      && klmem > rt->info.local_mem_size)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes of local memory "
        "(CL_KERNEL_LOCAL_MEM_SIZE) exceed CL_DEVICE_LOCAL_MEM_SIZE (%"
        G_GSIZE_FORMAT ")", (guint64) klmem, rt->info.local_mem_size);
  return NULL;
}

static char *
kernel_name (cl_kernel k)
{
  char buf[128] = "";

  clGetKernelInfo (k, CL_KERNEL_FUNCTION_NAME, sizeof (buf) - 1, buf, NULL);
  return g_strdup (buf);
}

gboolean
yolo_rt_fits_fixed (YoloRuntime * rt, const YoloNode * n, cl_kernel k,
    guint work_dim, const gsize * lws)
{
  char *why = fixed_misfit (rt, k, work_dim, lws);
  char *name;

  if (!why)
    return TRUE;
  name = kernel_name (k);
  g_debug ("node %s: %s does not fit %s: %s; taking another variant",
      n && n->name ? n->name : "?", name, rt->info.name ? rt->info.name :
      "the device", why);
  g_free (name);
  g_free (why);
  return FALSE;
}

gboolean
yolo_rt_launch_fixed (YoloRuntime * rt, const YoloNode * n, cl_kernel k,
    guint work_dim, const gsize * gws, const gsize * lws, GError ** error)
{
  Launch l = { 0, };
  char *why = fixed_misfit (rt, k, work_dim, lws);

  if (why) {
    char *name = kernel_name (k);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "internal error: node %s: kernel %s needs a fixed local size that "
        "%s cannot run (%s); check yolo_rt_fits_fixed first",
        n && n->name ? n->name : "?", name, rt->info.name ? rt->info.name :
        "the device", why);
    g_free (name);
    g_free (why);
    clReleaseKernel (k);
    return FALSE;
  }
  l.k = k;
  l.dim = work_dim;
  l.label = g_strdup (n && n->name ? n->name : "");
  l.op_type = g_strdup (n && n->op_type ? n->op_type : "");
  l.variant = rt->variant;
  l.node = n;
  l.has_lws = TRUE;
  for (guint i = 0; i < work_dim; i++) {
    l.lws[i] = lws[i];
    l.gws[i] = yolo_div_up (MAX (gws[i], 1), lws[i]) * lws[i];
  }
  g_array_append_val (rt->launches, l);
  prewarm_push (rt, &l);
  return TRUE;
}

char *
yolo_runtime_kernel_names (YoloRuntime * rt)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < rt->launches->len; i++) {
    char *name = kernel_name (g_array_index (rt->launches, Launch, i).k);
    g_string_append_printf (s, "%s%s", i ? " " : "", name);
    g_free (name);
  }
  return g_string_free (s, FALSE);
}

/* Enqueues launches [from, to), with profiling events when asked. */
static gboolean
enqueue_range (YoloRuntime * rt, guint from, guint to, gboolean events,
    GError ** error)
{
  for (guint i = from; i < to; i++) {
    Launch *l = &g_array_index (rt->launches, Launch, i);
    cl_int err;

    if (l->ev) {
      clReleaseEvent (l->ev);
      l->ev = NULL;
    }
    err = yolo_cl_enqueue_kernel (rt->queue, l->k, l->dim, l->gws,
        l->has_lws ? l->lws : NULL, events ? &l->ev : NULL);
    if (YOLO_CL_FAILED (err, error, "running %s (%s)", l->label, l->op_type))
      return FALSE;
  }
  return TRUE;
}

void
yolo_runtime_prewarm (YoloRuntime * rt)
{
  yolo_cl_prewarm_finish (rt->prewarm, rt->ctx, rt->queue, rt->programs);
  rt->prewarm = NULL;
  /* nothing more to record */
  recording_set (rt, FALSE);
  g_hash_table_remove_all (rt->kargs);
}

/* Profile on a CPU device: each launch alone (waited for), its CPU time
 * of all threads and of the busiest read around it, the least over the
 * runs kept: how evenly the device's threads share it (all / busiest is
 * the threads kept busy: 2 on 2 threads is perfect), without the time
 * they waited for a core while other processes load the machine. */
static gboolean
enqueue_cpu_profiled (YoloRuntime * rt, GError ** error)
{
  if (!rt->prof_clock_on) {
    /* the workers start with the first kernel the device runs */
    cl_int err = clFinish (rt->queue);
    if (YOLO_CL_FAILED (err, error, "waiting for the device"))
      return FALSE;
    yolo_cpu_clock_init (&rt->prof_clock, "yolo-prewarm");
    rt->prof_clock_on = TRUE;
  }
  for (guint i = 0; i < rt->launches->len; i++) {
    Launch *l = &g_array_index (rt->launches, Launch, i);
    double all, busy;
    cl_int err;

    yolo_cpu_clock_start (&rt->prof_clock);
    if (!enqueue_range (rt, i, i + 1, TRUE, error))
      return FALSE;
    err = clFinish (rt->queue);
    if (YOLO_CL_FAILED (err, error, "running %s (%s)", l->label, l->op_type))
      return FALSE;
    all = yolo_cpu_clock_elapsed_ms (&rt->prof_clock, &busy);
    if (l->cpu_ms <= 0 || all < l->cpu_ms)
      l->cpu_ms = all;
    if (l->busy_ms <= 0 || busy < l->busy_ms)
      l->busy_ms = busy;
  }
  return TRUE;
}

gboolean
yolo_runtime_enqueue_all (YoloRuntime * rt, GError ** error)
{
  if (rt->profile && rt->info.is_cpu)
    return enqueue_cpu_profiled (rt, error);
  return enqueue_range (rt, 0, rt->launches->len, rt->profile, error);
}

void
yolo_rt_set_variant (YoloRuntime * rt, const char *name)
{
  rt->variant = name;
}

gboolean
yolo_rt_prewarming (YoloRuntime * rt)
{
  return rt->prewarm && (rt->compiled || !rt->built
      || yolo_cl_prewarm_cold (rt->prewarm));
}

void
yolo_rt_prewarm_sync (YoloRuntime * rt)
{
  yolo_cl_prewarm_sync (rt->prewarm, rt->ctx, rt->queue, rt->programs);
}

void
yolo_rt_mark (YoloRuntime * rt, YoloRtMark * m)
{
  m->launches = rt->launches->len;
  m->buffers = rt->buffers->len;
  m->scratch_args = rt->scratch_args->len;
  m->input_args = rt->input_args->len;
  for (guint i = 0; i < YOLO_SCRATCH_SLOTS; i++)
    m->scratch_size[i] = rt->scratch_size[i];
}

/* Trials of different nodes, of this runtime or another in the process,
 * are timed one at a time: on a CPU device the CPU time of the process's
 * threads is what is compared. */
static GMutex trial_lock;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

gboolean
yolo_rt_time_trials (YoloRuntime * rt, const YoloRtMark * marks, guint n,
    guint runs, YoloRtTrialTime * times, GError ** error)
{
  cl_mem tmp[YOLO_SCRATCH_SLOTS] = { NULL, };
  gboolean ok = n > 0;
  cl_int err = CL_SUCCESS;
  YoloCpuClock clk = { 0, };
  gboolean cpu = rt->info.is_cpu;
  double *run_ms;

  /* The trials' scratch arguments get temporary buffers of the sizes asked
   * so far, the largest of all trials (yolo_runtime_bind_scratch binds the
   * real ones at the end). */
  for (guint i = n ? marks[0].scratch_args : 0; ok
      && i < rt->scratch_args->len; i++) {
    ScratchArg *sa = &g_array_index (rt->scratch_args, ScratchArg, i);
    if (!tmp[sa->slot]) {
      tmp[sa->slot] = clCreateBuffer (rt->ctx, CL_MEM_READ_WRITE,
          MAX (rt->scratch_size[sa->slot], 4), NULL, &err);
      ok = !YOLO_CL_FAILED (err, error, "allocating trial scratch");
    }
    if (ok) {
      err = clSetKernelArg (sa->k, sa->idx, sizeof (cl_mem), &tmp[sa->slot]);
      ok = !YOLO_CL_FAILED (err, error, "binding trial scratch");
    }
  }
  /* PoCL compiles a work-group function at the first launch of each
   * (kernel, local size): with a cold cache the prewarm compiles those of
   * every trial prepared so far on all cores first, then one run of each
   * warms up (loading them) and the timed ones follow */
  if (ok)
    yolo_rt_prewarm_sync (rt);
  g_mutex_lock (&trial_lock);
  if (cpu)
    yolo_cpu_clock_init (&clk, "yolo-prewarm");
  for (guint i = 0; i < n; i++) {
    times[i].wall_ms = times[i].cpu_ms = times[i].cpu_total_ms = -1;
    times[i].spread = 0;
  }
  /* each timed run's time on the deciding clock, for the spread */
  run_ms = g_new0 (double, (gsize) n * MAX (runs, 1));
  /* Run r < 0 warms up. The trials take turns (A B B A A B ...: each
   * round reverses the order), so that a load that comes and goes touches
   * them all alike; each keeps its fastest run: other work on the machine
   * only ever adds time. */
  for (int r = -1; ok && r < (int) runs; r++) {
    for (guint j = 0; ok && j < n; j++) {
      guint i = (r & 1) ? n - 1 - j : j;
      guint to = i + 1 < n ? marks[i + 1].launches : rt->launches->len;
      gint64 t0;
      double wall, cpu_ms = -1, total_ms = -1;

      if (cpu)
        yolo_cpu_clock_start (&clk);
      t0 = g_get_monotonic_time ();
      ok = enqueue_range (rt, marks[i].launches, to, FALSE, error);
      if (ok) {
        err = clFinish (rt->queue);
        ok = !YOLO_CL_FAILED (err, error, "running a trial");
      }
      wall = (g_get_monotonic_time () - t0) / 1000.0;
      if (cpu)
        total_ms = yolo_cpu_clock_elapsed_ms (&clk, &cpu_ms);
      if (!ok || r < 0)
        continue;
      run_ms[(gsize) i * runs + r] = cpu ? cpu_ms : wall;
      if (times[i].wall_ms < 0 || wall < times[i].wall_ms)
        times[i].wall_ms = wall;
      if (cpu && (times[i].cpu_ms < 0 || cpu_ms < times[i].cpu_ms))
        times[i].cpu_ms = cpu_ms;
      if (cpu && (times[i].cpu_total_ms < 0
              || total_ms < times[i].cpu_total_ms))
        times[i].cpu_total_ms = total_ms;
    }
  }
  g_mutex_unlock (&trial_lock);
  for (guint i = 0; ok && runs > 0 && i < n; i++) {
    double *v = run_ms + (gsize) i * runs;

    qsort (v, runs, sizeof (double), cmp_double);
    times[i].spread = v[0] > 0 ? MAX (v[(runs - 1) / 2] / v[0], 1.0) : 1.0;
  }
  g_free (run_ms);
  yolo_cpu_clock_clear (&clk);
  for (guint i = 0; i < YOLO_SCRATCH_SLOTS; i++)
    if (tmp[i])
      clReleaseMemObject (tmp[i]);
  return ok;
}

void
yolo_rt_rollback (YoloRuntime * rt, const YoloRtMark * m)
{
  clFinish (rt->queue);
  truncate_launches (rt, m->launches);
  for (guint i = m->buffers; i < rt->buffers->len; i++) {
    size_t sz = 0;
    if (clGetMemObjectInfo (g_ptr_array_index (rt->buffers, i), CL_MEM_SIZE,
            sizeof (sz), &sz, NULL) == CL_SUCCESS)
      rt->dev_bytes -= MIN (rt->dev_bytes, sz);
  }
  if (rt->buffers->len > m->buffers)
    g_ptr_array_remove_range (rt->buffers, m->buffers,
        rt->buffers->len - m->buffers);
  for (guint i = m->scratch_args; i < rt->scratch_args->len; i++)
    clReleaseKernel (g_array_index (rt->scratch_args, ScratchArg, i).k);
  g_array_set_size (rt->scratch_args, MIN (m->scratch_args,
          rt->scratch_args->len));
  for (guint i = m->input_args; i < rt->input_args->len; i++)
    clReleaseKernel (g_array_index (rt->input_args, InputArg, i).k);
  g_array_set_size (rt->input_args, MIN (m->input_args, rt->input_args->len));
  for (guint i = 0; i < YOLO_SCRATCH_SLOTS; i++)
    rt->scratch_size[i] = m->scratch_size[i];
}

typedef struct
{
  char *key;
  double ms;
  double flops;
  guint count;
} ProfRow;

static gint
prof_cmp (gconstpointer a, gconstpointer b)
{
  const ProfRow *x = a, *y = b;
  return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

/* " MFLOP GFLOP/s %peak" columns for `flops` done in `ms` */
static void
append_rate (GString * s, double flops, double ms, double peak_gflops)
{
  double gflops = ms > 0 ? flops / (ms * 1e6) : 0;

  g_string_append_printf (s, " %10.2f", flops / 1e6);
  if (flops > 0 && ms > 0) {
    g_string_append_printf (s, " %8.2f", gflops);
    if (peak_gflops > 0)
      g_string_append_printf (s, " %6.1f%%", 100.0 * gflops / peak_gflops);
    else
      g_string_append_printf (s, " %7s", "-");
  } else {
    g_string_append_printf (s, " %8s %7s", "-", "-");
  }
}

/* The number of work-groups of a launch with a local size. */
static gsize
launch_groups (const Launch * l)
{
  gsize groups = 1;

  for (guint i = 0; i < l->dim; i++)
    groups *= l->gws[i] / l->lws[i];
  return groups;
}

char *
yolo_runtime_profile_table (YoloRuntime * rt, YoloGraph * g, double peak_gflops)
{
  GString *s = g_string_new (NULL);
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (ProfRow));
  GHashTable *by_op = g_hash_table_new (g_str_hash, g_str_equal);
  /* node -> index of its first launch + 1 */
  GHashTable *first = g_hash_table_new (NULL, NULL);
  double *ms = g_new0 (double, MAX (rt->launches->len, 1));
  double *node_ms = g_new0 (double, MAX (rt->launches->len, 1));
  double total = 0, total_flops = 0;

  if (!rt->profile) {
    g_string_append (s, "(profiling was not enabled)\n");
    goto out;
  }
  for (guint i = 0; i < rt->launches->len; i++) {
    Launch *l = &g_array_index (rt->launches, Launch, i);
    cl_ulong t0 = 0, t1 = 0;
    gpointer f;

    if (!l->ev)
      continue;
    clGetEventProfilingInfo (l->ev, CL_PROFILING_COMMAND_START, sizeof (t0),
        &t0, NULL);
    clGetEventProfilingInfo (l->ev, CL_PROFILING_COMMAND_END, sizeof (t1),
        &t1, NULL);
    ms[i] = t1 > t0 ? (t1 - t0) / 1e6 : 0;
    total += ms[i];
    if (!l->node)
      continue;
    if (!(f = g_hash_table_lookup (first, l->node)))
      g_hash_table_insert (first, (gpointer) l->node,
          f = GUINT_TO_POINTER (i + 1));
    node_ms[GPOINTER_TO_UINT (f) - 1] += ms[i];
  }

  g_string_append_printf (s,
      "%-5s %-60s %-16s %-18s %7s %9s %8s %8s %9s %10s %8s %7s\n", "#",
      "node", "op", "variant", "groups", "ms", "cpu ms", "busy ms",
      "node ms", "MFLOP", "GFLOP/s", "%peak");
  for (guint i = 0; i < rt->launches->len; i++) {
    Launch *l = &g_array_index (rt->launches, Launch, i);
    gboolean node_row = l->node && GPOINTER_TO_UINT (g_hash_table_lookup
        (first, l->node)) == i + 1;
    double flops = node_row && g ? yolo_node_flops (g, l->node) : 0;
    gpointer idx;

    for (guint j = 0; node_row && g && l->covers && j < l->covers->len; j++)
      flops += yolo_node_flops (g, g_ptr_array_index (l->covers, j));

    if (!l->ev)
      continue;
    g_string_append_printf (s, "%-5u %-60.60s %-16s %-18s", i,
        l->label, l->op_type, l->variant ? l->variant : "-");
    /* work-groups of the launch (how the device's threads share it), "-"
     * where the driver chose the local size */
    if (l->has_lws)
      g_string_append_printf (s, " %7" G_GSIZE_FORMAT, launch_groups (l));
    else
      g_string_append_printf (s, " %7s", "-");
    g_string_append_printf (s, " %9.3f", ms[i]);
    /* CPU devices: CPU time of all threads and of the busiest */
    if (l->cpu_ms > 0 && l->busy_ms > 0)
      g_string_append_printf (s, " %8.3f %8.3f", l->cpu_ms, l->busy_ms);
    else
      g_string_append_printf (s, " %8s %8s", "-", "-");
    /* a node's FLOPs and rate on its first launch, over all its launches */
    if (node_row) {
      g_string_append_printf (s, " %9.3f", node_ms[i]);
      append_rate (s, flops, node_ms[i], peak_gflops);
    }
    g_string_append_c (s, '\n');
    total_flops += flops;
    if (g_hash_table_lookup_extended (by_op, l->op_type, NULL, &idx)) {
      ProfRow *r = &g_array_index (rows, ProfRow, GPOINTER_TO_UINT (idx));
      r->ms += ms[i];
      r->flops += flops;
      r->count++;
    } else {
      ProfRow r = { l->op_type, ms[i], flops, 1 };
      g_hash_table_insert (by_op, l->op_type, GUINT_TO_POINTER (rows->len));
      g_array_append_val (rows, r);
    }
  }
  g_array_sort (rows, prof_cmp);
  g_string_append_printf (s, "\n%-16s %7s %9s %6s %10s %8s %7s\n", "op",
      "launches", "ms", "%", "MFLOP", "GFLOP/s", "%peak");
  for (guint i = 0; i < rows->len; i++) {
    ProfRow *r = &g_array_index (rows, ProfRow, i);
    g_string_append_printf (s, "%-16s %7u %9.3f %5.1f%%", r->key, r->count,
        r->ms, total > 0 ? 100.0 * r->ms / total : 0.0);
    append_rate (s, r->flops, r->ms, peak_gflops);
    g_string_append_c (s, '\n');
  }
  g_string_append_printf (s, "%-16s %7u %9.3f %6s", "total",
      rt->launches->len, total, "");
  append_rate (s, total_flops, total, peak_gflops);
  g_string_append_c (s, '\n');
  g_string_append_printf (s, "\nkernel time %.3f ms for %.3f GFLOP: %.2f "
      "GFLOP/s", total, total_flops / 1e9,
      total > 0 ? total_flops / (total * 1e6) : 0.0);
  if (peak_gflops > 0)
    g_string_append_printf (s, ", %.1f%% of the device's peak %.1f GFLOP/s",
        total > 0 ? 100.0 * total_flops / (total * 1e6) / peak_gflops : 0.0,
        peak_gflops);
  g_string_append (s, "\n");
out:
  g_hash_table_unref (by_op);
  g_hash_table_unref (first);
  g_array_unref (rows);
  g_free (ms);
  g_free (node_ms);
  return g_string_free (s, FALSE);
}

cl_mem
yolo_rt_upload (YoloRuntime * rt, gconstpointer data, gsize bytes,
    GError ** error)
{
  cl_int err;
  cl_mem m;

  if (bytes == 0)
    return yolo_rt_alloc (rt, 4, error);
  if (!check_alloc_size (rt, bytes, "a constant", FALSE, error))
    return NULL;
  m = clCreateBuffer (rt->ctx, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
      bytes, (gpointer) data, &err);
  if (YOLO_CL_FAILED (err, error, "uploading %" G_GSIZE_FORMAT " bytes", bytes))
    return NULL;
  g_ptr_array_add (rt->buffers, m);
  return m;
}

cl_mem
yolo_rt_alloc (YoloRuntime * rt, gsize bytes, GError ** error)
{
  cl_int err;
  cl_mem m;

  if (!check_alloc_size (rt, bytes, "a scratch buffer", TRUE, error))
    return NULL;
  m = clCreateBuffer (rt->ctx, CL_MEM_READ_WRITE, MAX (bytes, 4), NULL, &err);
  if (YOLO_CL_FAILED (err, error, "allocating %" G_GSIZE_FORMAT " bytes",
          bytes))
    return NULL;
  g_ptr_array_add (rt->buffers, m);
  return m;
}

/* Follows the view chain to the storage-owning tensor. */
static const YoloTensor *
root_of (YoloGraph * g, const YoloTensor * t, gint64 * off)
{
  *off = 0;
  while (t->view_of >= 0) {
    *off += t->view_offset;
    t = YOLO_T (g, t->view_of);
  }
  return t;
}

gboolean
yolo_rt_same_location (YoloGraph * g, const YoloTensor * a,
    const YoloTensor * b, gint64 elem_offset)
{
  gint64 oa, ob;
  const YoloTensor *ra = root_of (g, a, &oa);
  const YoloTensor *rb = root_of (g, b, &ob);
  YoloDType sa = yolo_tensor_storage (a), sb = yolo_tensor_storage (b);

  return ra == rb && sa == sb
      && oa == ob + elem_offset * (gint64) yolo_dtype_size (sb);
}

static gboolean tensor_mem (YoloRuntime * rt, YoloGraph * g,
    YoloTensor * t, gboolean param, cl_mem * mem, gint64 * offset,
    GError ** error);

gboolean
yolo_rt_tensor_mem (YoloRuntime * rt, YoloGraph * g, YoloTensor * t,
    cl_mem * mem, gint64 * offset, GError ** error)
{
  return tensor_mem (rt, g, t, FALSE, mem, offset, error);
}

/* A float constant read as an activation with half storage: its float16
 * copy (t->device_half). */
static gboolean
const_half_mem (YoloRuntime * rt, YoloTensor * t, cl_mem * mem, GError ** error)
{
  if (!t->device_half) {
    gint64 n = yolo_tensor_numel (t);
    guint16 *hv = g_new (guint16, MAX (n, 1));
    cl_mem m;

    for (gint64 i = 0; i < n; i++)
      hv[i] = yolo_float_to_half (((const float *) t->data)[i]);
    m = yolo_rt_upload (rt, hv, n * 2, error);
    g_free (hv);
    if (!m)
      return FALSE;
    g_ptr_array_steal_index (rt->buffers, rt->buffers->len - 1);
    g_ptr_array_add (rt->const_buffers, m);
    t->device_half = m;
    t->mem = YOLO_MEM_CONST;
  }
  *mem = (cl_mem) t->device_half;
  return TRUE;
}

/* The device holds integer tensors as int32: an integer constant a kernel
 * reads must fit, or the result would be computed from another value
 * (saturated, before). Refused naming a node that reads it. */
static gboolean
const_ints_fit_int32 (YoloGraph * g, const YoloTensor * t, GError ** error)
{
  gint64 n = yolo_tensor_numel (t);
  const gint64 *v = t->data;
  const char *reader = "?";

  for (gint64 i = 0; i < n; i++) {
    if (v[i] >= G_MININT32 && v[i] <= G_MAXINT32)
      continue;
    for (guint k = 0; k < g->nodes->len && reader[0] == '?'; k++) {
      YoloNode *nd = YOLO_N (g, k);
      for (int j = 0; j < nd->n_inputs; j++)
        if (!nd->removed && YOLO_IN (g, nd, j) == t)
          reader = nd->name ? nd->name : nd->op_type;
    }
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "node %s: the %s constant %s holds %" G_GINT64_FORMAT " (element %"
        G_GINT64_FORMAT "), outside the 32-bit integers the device computes "
        "with", reader, yolo_dtype_name (t->dtype), t->name, v[i], i);
    return FALSE;
  }
  return TRUE;
}

static gboolean
tensor_mem (YoloRuntime * rt, YoloGraph * g, YoloTensor * t, gboolean param,
    cl_mem * mem, gint64 * offset, GError ** error)
{
  if (t->mem == YOLO_MEM_ARENA) {
    gint64 size = (gint64) yolo_dtype_size (yolo_tensor_storage (t));

    if (size <= 0 || t->mem_offset < 0 || t->mem_offset % size) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "internal error: tensor %s (%s) at byte %" G_GINT64_FORMAT
          " of the arena", t->name,
          yolo_dtype_name (yolo_tensor_storage (t)), t->mem_offset);
      return FALSE;
    }
    if (t->mem_offset / size > G_MAXINT32 - yolo_tensor_numel (t)) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "tensor %s ends %" G_GINT64_FORMAT " elements into the activation "
          "arena, more than the 32-bit indices of the kernels address",
          t->name, t->mem_offset / size + yolo_tensor_numel (t));
      return FALSE;
    }
    *mem = rt->arena;
    *offset = t->mem_offset / size;
    return TRUE;
  }
  if (yolo_tensor_is_const (t) && !param && t->dtype == YOLO_DTYPE_FLOAT
      && rt->act_storage == YOLO_DTYPE_FLOAT16) {
    *offset = 0;
    return const_half_mem (rt, t, mem, error);
  }
  if (yolo_tensor_is_const (t)) {
    if (!t->device_data && !t->data) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "internal error: constant %s was released from host memory "
          "before it was uploaded", t->name);
      return FALSE;
    }
    if (!t->device_data) {
      gint64 n = yolo_tensor_numel (t);
      gpointer buf;
      cl_mem m;

      if (yolo_dtype_is_float (t->dtype)) {
        buf = g_memdup2 (t->data, n * sizeof (float));
      } else {
        gint32 *iv;
        if (!const_ints_fit_int32 (g, t, error))
          return FALSE;
        iv = g_new (gint32, MAX (n, 1));
        for (gint64 i = 0; i < n; i++)
          iv[i] = (gint32) ((gint64 *) t->data)[i];
        buf = iv;
      }
      m = yolo_rt_upload (rt, buf, n * 4, error);
      g_free (buf);
      if (!m)
        return FALSE;
      /* kept by yolo_rt_rollback: the tensor holds it */
      g_ptr_array_steal_index (rt->buffers, rt->buffers->len - 1);
      g_ptr_array_add (rt->const_buffers, m);
      t->device_data = m;
      t->mem = YOLO_MEM_CONST;
    }
    *mem = (cl_mem) t->device_data;
    *offset = 0;
    return TRUE;
  }
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
      "internal error: tensor %s has no device memory", t->name);
  return FALSE;
}

void
yolo_args_mem (YoloArgs * a, cl_mem m)
{
  if (a->err == CL_SUCCESS && !a->gerr) {
    a->err = clSetKernelArg (a->k, a->idx, sizeof (cl_mem), &m);
    if (a->err == CL_SUCCESS)
      record_mem (g_private_get (&current_rt), a->k, a->idx, m);
  }
  a->idx++;
}

/* Sets argument a->idx to size bytes at value (NULL: __local) unless an
 * earlier argument failed, records it (record_arg) and moves on. */
static void
args_set (YoloArgs * a, YoloClArgKind kind, gsize size, gconstpointer value)
{
  if (a->err == CL_SUCCESS && !a->gerr) {
    a->err = clSetKernelArg (a->k, a->idx, size, value);
    if (a->err == CL_SUCCESS)
      record_arg (g_private_get (&current_rt), a->k, a->idx, kind, size, value);
  }
  a->idx++;
}

void
yolo_args_int (YoloArgs * a, cl_int v)
{
  args_set (a, YOLO_CL_ARG_BYTES, sizeof (cl_int), &v);
}

void
yolo_args_float (YoloArgs * a, cl_float v)
{
  args_set (a, YOLO_CL_ARG_BYTES, sizeof (cl_float), &v);
}

void
yolo_args_local (YoloArgs * a, gsize bytes)
{
  args_set (a, YOLO_CL_ARG_LOCAL, bytes, NULL);
}

void
yolo_args_scratch (YoloArgs * a, YoloRuntime * rt, guint slot, gsize bytes)
{
  if (a->err == CL_SUCCESS && !a->gerr) {
    if (slot >= YOLO_SCRATCH_SLOTS) {
      a->err = CL_INVALID_ARG_VALUE;
    } else {
      ScratchArg sa = { a->k, a->idx, slot };
      /* the prewarm's stand-in needs only what this kernel asked for */
      record_arg (g_private_get (&current_rt), a->k, a->idx,
          YOLO_CL_ARG_MEM, bytes, NULL);
      clRetainKernel (a->k);
      g_array_append_val (rt->scratch_args, sa);
      rt->scratch_size[slot] = MAX (rt->scratch_size[slot], bytes);
    }
  }
  a->idx++;
}

gboolean
yolo_runtime_bind_scratch (YoloRuntime * rt, GError ** error)
{
  for (guint s = 0; s < YOLO_SCRATCH_SLOTS; s++) {
    if (rt->scratch_size[s] == 0 || rt->scratch[s])
      continue;
    rt->scratch[s] = yolo_rt_alloc (rt, rt->scratch_size[s], error);
    if (!rt->scratch[s])
      return FALSE;
    g_debug ("scratch slot %u: %.1f MiB", s, rt->scratch_size[s] / 1048576.0);
    /* yolo_rt_alloc keeps it in rt->buffers; take our own reference. */
    clRetainMemObject (rt->scratch[s]);
  }
  for (guint i = 0; i < rt->scratch_args->len; i++) {
    ScratchArg *sa = &g_array_index (rt->scratch_args, ScratchArg, i);
    cl_int err = clSetKernelArg (sa->k, sa->idx, sizeof (cl_mem),
        &rt->scratch[sa->slot]);
    if (YOLO_CL_FAILED (err, error, "binding scratch argument %u", sa->idx))
      return FALSE;
  }
  return TRUE;
}

/* Records argument a->idx (about to be set to t's place at element off of
 * the arena) when t is a graph input or a view of one (yolo_rt_bind_input
 * moves it). */
static void
note_input_arg (YoloArgs * a, YoloRuntime * rt, YoloGraph * g,
    const YoloTensor * t, cl_mem m, gint64 off)
{
  gint64 voff;
  const YoloTensor *r;

  if (a->err != CL_SUCCESS || a->gerr || m != rt->arena)
    return;
  r = root_of (g, t, &voff);
  if (!r->is_input || r->mem != YOLO_MEM_ARENA
      || yolo_tensor_storage (r) != yolo_tensor_storage (t))
    return;
  for (guint i = 0; i < g->inputs->len; i++) {
    if (YOLO_T (g, g_array_index (g->inputs, int, i)) == r) {
      InputArg ia = { a->k, a->idx, i,
        off - r->mem_offset / (gint64) yolo_dtype_size (yolo_tensor_storage (r))
      };
      clRetainKernel (a->k);
      g_array_append_val (rt->input_args, ia);
      return;
    }
  }
}

gboolean
yolo_rt_bind_input (YoloRuntime * rt, YoloGraph * g, guint input, cl_mem mem,
    GError ** error)
{
  const YoloTensor *r;
  gint64 base = 0;

  if (input >= g->inputs->len)
    return TRUE;
  r = YOLO_T (g, g_array_index (g->inputs, int, input));
  if (!mem) {
    mem = rt->arena;
    base = r->mem_offset / (gint64) yolo_dtype_size (yolo_tensor_storage (r));
  }
  for (guint i = 0; i < rt->input_args->len; i++) {
    const InputArg *ia = &g_array_index (rt->input_args, InputArg, i);
    cl_int off = (cl_int) (base + ia->rel), err;

    if (ia->input != input)
      continue;
    err = clSetKernelArg (ia->k, ia->idx, sizeof (cl_mem), &mem);
    if (err == CL_SUCCESS)
      err = clSetKernelArg (ia->k, ia->idx + 1, sizeof (cl_int), &off);
    if (YOLO_CL_FAILED (err, error, "binding input \"%s\"", r->name))
      return FALSE;
  }
  return TRUE;
}

void
yolo_args_tensor (YoloArgs * a, YoloRuntime * rt, YoloGraph * g, YoloTensor * t)
{
  cl_mem m = NULL;
  gint64 off = 0;

  if (!a->gerr && a->err == CL_SUCCESS && !t)
    g_set_error (&a->gerr, YOLO_ENGINE_ERROR,
        YOLO_ENGINE_ERROR_INVALID_MODEL, "internal error: missing tensor");
  if (!a->gerr && a->err == CL_SUCCESS
      && yolo_rt_tensor_mem (rt, g, t, &m, &off, &a->gerr))
    note_input_arg (a, rt, g, t, m, off);
  yolo_args_mem (a, m);
  yolo_args_int (a, (cl_int) off);
}

gboolean
yolo_rt_param_ok (YoloRuntime * rt, const YoloTensor * t)
{
  return !t || rt->act_storage != YOLO_DTYPE_FLOAT16
      || yolo_tensor_is_const (t) || !yolo_dtype_is_float (t->dtype);
}

void
yolo_args_param (YoloArgs * a, YoloRuntime * rt, YoloGraph * g, YoloTensor * t)
{
  cl_mem m = NULL;
  gint64 off = 0;

  if (!a->gerr && a->err == CL_SUCCESS && !t)
    g_set_error (&a->gerr, YOLO_ENGINE_ERROR,
        YOLO_ENGINE_ERROR_INVALID_MODEL, "internal error: missing tensor");
  if (!a->gerr && a->err == CL_SUCCESS
      && tensor_mem (rt, g, t, TRUE, &m, &off, &a->gerr))
    note_input_arg (a, rt, g, t, m, off);
  yolo_args_mem (a, m);
  yolo_args_int (a, (cl_int) off);
}

gboolean
yolo_args_ok (YoloArgs * a, const YoloNode * n, GError ** error)
{
  if (a->gerr) {
    g_propagate_error (error, a->gerr);
    a->gerr = NULL;
  } else if (a->err != CL_SUCCESS) {
    yolo_cl_error_to_g_error (a->err, error,
        "setting argument %u of a kernel for node %s", a->idx - 1,
        n && n->name ? n->name : "?");
  } else {
    return TRUE;
  }
  if (a->k)
    clReleaseKernel (a->k);
  a->k = NULL;
  return FALSE;
}
