/* yolo-engine.h - public API of the YOLO OpenCL engine.
 *
 * GStreamer-free (GLib only). Loads an ONNX model, plans it for one OpenCL
 * device and runs it:
 *
 *   YoloEngineOptions opt = { .device = "gpu" };
 *   YoloEngine *e = yolo_engine_new ("yolo11n.onnx", &opt, &error);
 *   yolo_engine_set_input (e, chw_floats, &error);
 *   yolo_engine_run (e, &error);
 *   yolo_engine_get_output (e, 0, out_floats, &error);
 *   yolo_engine_free (e);
 *
 * The public API is this header and the ones it names: yolo-family.h (head
 * families, class names), yolo-preproc.h (video frame -> input tensor on
 * the device), yolo-head.h (decoding and NMS) and yolo-labels.h (default
 * class names). Everything else in this folder (graph, runtime, ops,
 * OpenCL) is private to the engine; the GStreamer elements use only the
 * public headers (tests/check/public-api.sh checks it).
 */
#ifndef YOLO_ENGINE_H
#define YOLO_ENGINE_H

#include <glib.h>

#include "yolo-family.h"

G_BEGIN_DECLS

#define YOLO_ENGINE_ERROR (yolo_engine_error_quark ())
GQuark yolo_engine_error_quark (void);

typedef enum
{
  YOLO_ENGINE_ERROR_IO,         /* file missing / unreadable / empty */
  YOLO_ENGINE_ERROR_PARSE,      /* not an ONNX model, truncated, corrupt */
  YOLO_ENGINE_ERROR_INVALID_MODEL,      /* inconsistent graph, bad shapes */
  YOLO_ENGINE_ERROR_UNSUPPORTED,        /* op / dtype / feature we lack */
  YOLO_ENGINE_ERROR_NO_DEVICE,  /* no OpenCL platform / no matching device */
  YOLO_ENGINE_ERROR_OPENCL,     /* an OpenCL call failed */
  YOLO_ENGINE_ERROR_ARGUMENT,   /* caller error */
} YoloEngineError;

typedef struct
{
  /* Device spec: NULL/"" = the YOLO_DEVICE environment variable when set
   * (how the test suites are pointed at another OpenCL implementation),
   * else the first GPU, else the first device; "gpu", "cpu", a global index
   * "N", "P:D" (platform:device), or a substring of the device name, else
   * of the platform name (case-insensitive: "llvmpipe", "rusticl"). */
  const char *device;
  /* For models with a dynamic input size: the H and W to use (0 = take them
   * from metadata imgsz, else fail). Ignored for static models. */
  int input_height;
  int input_width;
  /* Images per inference (0 = 1): the model's single image input [B, C,
   * H, W] and its outputs run with a leading dimension of `batch`
   * (yolo-rebatch.c rewrites the file's batch B, and the constant Reshape
   * shapes that hold it; a model where the batch cannot be rewritten is
   * refused with YOLO_ENGINE_ERROR_UNSUPPORTED). Each image's output is
   * what a batch-1 run gives for it: a Conv runs once per image, on the
   * kernels of batch 1. yolo_engine_set_input() then takes `batch`
   * images, yolo_engine_get_output() gives `batch` outputs, image after
   * image. At most 256; negative values fail with
   * YOLO_ENGINE_ERROR_ARGUMENT. */
  int batch;
  /* Record OpenCL events per launch for yolo_engine_profile(). */
  gboolean profile;
  /* Skip the on-disk program binary cache (same as program_cache "off"). */
  gboolean no_cache;

  /* The options below are for tests and benchmarks: they force kernel
   * variants the engine would not choose on this device, or make it behave
   * like a smaller device. Leave them NULL / 0 in applications. Each one
   * left unset falls back to the environment variable named with it (so
   * scripts can set them without a flag); an invalid value, from the
   * option or the variable, fails yolo_engine_new with
   * YOLO_ENGINE_ERROR_ARGUMENT. */

  /* On-disk program binary cache: NULL/"" = YOLO_CL_NO_CACHE ("1": off,
   * "0": on), else the default: off on PoCL (it caches its own builds),
   * on elsewhere; "on" (also on PoCL), "off". */
  const char *program_cache;
  /* Measured choice among kernel variants (yolo-backend.h): NULL/"" =
   * YOLO_TUNE, else "on": where two or more tunable variants can run a
   * node (e.g. Winograd and the direct 3x3 conv on PoCL, the tiled GEMM
   * and conv-gpu-c8 on GPUs), each is timed once at load on the real
   * shapes and the fastest kept, remembered in a cache file per device
   * and engine version under $XDG_CACHE_HOME/gst-yolo/ (tune-*.txt);
   * "cached": the cached winners only, nothing measured; "off": the
   * static preference order (the first variant that supports the node).
   * Nodes whose variant conv_kernel / matmul_kernel name are not tuned. */
  const char *tune;
  /* Conv kernels: NULL/"" = YOLO_CONV_KERNEL, else "auto" (chosen per
   * device and shape, see tune); or a comma-separated list of Conv
   * variant names (backend-opencl/conv-*.c: conv-tiled, conv-tiled-wg32,
   * conv-cpu-dw3x3s1, conv-cpu-dw3x3s2, conv-cpu-dw, conv-wino4,
   * conv-cpu-1x1, conv-cpu-3x3s1, conv-cpu-3x3s2, conv-cpu-kxk,
   * conv-im2col, conv-gpu-c8, conv-generic; for ConvInteger: conv-int8-1x1
   * and the conv-integer-* of backend-opencl/quant.c), taken in that order for every conv they
   * support on the device, the automatic choice for the others. The
   * older values name lists: "gpu" = "conv-gpu-c8,conv-generic" (the
   * scalar per-work-item kernels, on any device); "tiled" =
   * "conv-tiled,conv-tiled-wg32" (every group-1 conv the device runs them
   * for); "wino" = "conv-wino4" (every 3x3 stride-1 pad-1 group-1 conv on
   * wide-vector CPUs); "direct" = "conv-cpu-3x3s1" (never Winograd).
   * DepthwiseSeparableConv nodes (ops/dwsep.h) take a list of their own
   * variants only (conv-cpu-dwsep3x3s1, conv-cpu-dwsep3x3s1-split), else
   * the automatic choice. */
  const char *conv_kernel;
  /* Layout of the Winograd scratch planes: NULL/"" = YOLO_WINO_LAYOUT,
   * else "auto" ([c][xi][t]); "xi" = [xi][c][t], for comparison. */
  const char *wino_layout;
  /* MatMul / Gemm kernels: NULL/"" = YOLO_MATMUL_KERNEL, else "auto"; or
   * a comma-separated list of variant names (backend-opencl/matmul.c:
   * matmul-tiled, matmul-tiled-wg32, matmul-tile); "tiled" =
   * "matmul-tiled,matmul-tiled-wg32" (the local-memory tiled GEMM on any
   * device that runs it); "tile" = "matmul-tile". The fused attention
   * (ScaledDotProductAttention, backend-opencl/attention.c) takes the
   * same option: its variants attention-tiled and attention-f16 in the
   * list, "tiled" = attention-tiled, "tile" = attention-f16. */
  const char *matmul_kernel;
  /* Pre-processing (yolo-preproc.h) kernels: NULL/"" =
   * YOLO_PREPROC_KERNEL, else "auto" (16 pixels per work-item on wide-
   * vector CPUs, one elsewhere); "scalar", "wide". */
  const char *preproc_kernel;
  /* How pre-processing uploads frames: NULL/"" = YOLO_PREPROC_UPLOAD, else
   * "auto" (host pointer on CPU devices, copy elsewhere); "copy" = into a
   * device buffer; "host" = CL_MEM_USE_HOST_PTR. */
  const char *preproc_upload;
  /* Emulate a device with smaller limits (0 = YOLO_MAX_WORK_GROUP_SIZE,
   * YOLO_MAX_LOCAL_MEM_SIZE, YOLO_MAX_MEM_ALLOC_SIZE,
   * YOLO_MAX_GLOBAL_MEM_SIZE, else no cap; must not be negative): cap
   * CL_DEVICE_MAX_WORK_GROUP_SIZE and CL_DEVICE_MAX_WORK_ITEM_SIZES
   * (work-items), CL_DEVICE_LOCAL_MEM_SIZE, CL_DEVICE_MAX_MEM_ALLOC_SIZE
   * and CL_DEVICE_GLOBAL_MEM_SIZE (bytes) at the given value. */
  gint64 max_work_group_size;
  gint64 max_local_mem_size;
  gint64 max_mem_alloc_size;
  gint64 max_global_mem_size;
  /* Compiling ahead of the first inference (plugin/engine/yolo-cl-
   * prewarm.h: with PoCL's kernel cache cold, helper threads compile each
   * (kernel, local size) of the plan, and of the tuning trials, on every
   * core): NULL/"" = YOLO_CL_PREWARM (which also takes "1" and "0"), else
   * "auto" (on PoCL only, whose cache the helpers fill), "on", "off". */
  const char *prewarm;
  /* (An application option.) How activations are stored in device
   * memory: NULL/"" = YOLO_STORAGE, else "auto" (float32 for now: on
   * PoCL's CPU device half costs ~30% more CPU time, its accuracy on
   * float16 models is below onnxruntime fp16's, and GPUs are not measured
   * yet; see README "Half precision");
   * "float" (float32); "half" (float16 in the activation arena, read and
   * written with vload_half / vstore_half_rte, arithmetic in float32,
   * weights float32). Half storage is used only when every op of the plan
   * has a kernel variant for it on the device; otherwise the engine stores
   * float32 and says why in its info log. */
  const char *storage;
  /* How dynamically quantised convolutions (onnxruntime's
   * DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul) are computed:
   * NULL/"" = YOLO_INT8_COMPUTE, else "auto" or "float" (the default: a
   * float Conv of the fake-quantised input with the weights dequantised at
   * load, so Winograd and the fused epilogues apply; raw outputs within the
   * tolerances of README "int8"), "integer" (ConvInteger's exact int32
   * kernels, slower on CPUs without integer dot products). */
  const char *int8_compute;
} YoloEngineOptions;

typedef struct _YoloEngine YoloEngine;

typedef struct
{
  const char *name;
  /* the element type the model file declares, ONNX's name: "float32",
   * "float16", "int64"... Data always crosses this API as float32: a
   * "float16" input is rounded to half (round-to-nearest-even) by the
   * engine on the device, after yolo_engine_set_input or the
   * pre-processing wrote it, so callers write plain float; a "float16"
   * output holds half values, read back as float. */
  const char *dtype;
  int ndim;
  gint64 dims[8];
} YoloTensorInfo;

YoloEngine *yolo_engine_new (const char *model_path,
    const YoloEngineOptions * options, GError ** error);
void yolo_engine_free (YoloEngine * e);

guint yolo_engine_n_inputs (YoloEngine * e);
guint yolo_engine_n_outputs (YoloEngine * e);
gboolean yolo_engine_input_info (YoloEngine * e, guint i, YoloTensorInfo * info);
gboolean yolo_engine_output_info (YoloEngine * e, guint i,
    YoloTensorInfo * info);
/* ONNX metadata_props value, or NULL. */
const char *yolo_engine_metadata (YoloEngine * e, const char *key);
const char *yolo_engine_device_name (YoloEngine * e);

/* Copies input 0 (float32, in the input's shape) to the device. For a
 * float16 input (YoloTensorInfo.dtype) too: the engine rounds it to half
 * (round-to-nearest-even) on the device before the first layer. */
gboolean yolo_engine_set_input (YoloEngine * e, const float *data,
    GError ** error);
/* Input 0 read where it lies, without the copy of yolo_engine_set_input,
 * where the device allows: on CPU devices the model's first layers read
 * data itself (wrapped as a CL_MEM_USE_HOST_PTR buffer), as onnxruntime
 * reads the array it is given. data must stay valid and unchanged until
 * the inference that follows has finished (yolo_engine_run returned, or
 * its output was read); the next yolo_engine_set_input or
 * yolo_preproc_run returns to the engine's own copy. Elsewhere (other
 * devices, a float16 or integer input, an input that is also an output)
 * it copies, as yolo_engine_set_input. */
gboolean yolo_engine_bind_input (YoloEngine * e, const float *data,
    GError ** error);
/* Same as yolo_engine_run but does not wait: the caller syncs later with
 * yolo_engine_get_output (blocking read), e.g. after yolo_preproc_run()
 * queued the frame's pre-processing on the same queue. */
gboolean yolo_engine_enqueue (YoloEngine * e, GError ** error);
/* Enqueues one inference and waits for it (one host sync). */
gboolean yolo_engine_run (YoloEngine * e, GError ** error);
/* Reads output i (float32; integer outputs are converted) into dst. */
gboolean yolo_engine_get_output (YoloEngine * e, guint i, float *dst,
    GError ** error);

/* Output i as float32 where it lies, without a copy where the device
 * allows: after yolo_engine_run (or yolo_engine_enqueue; this call waits),
 * the activation arena mapped for reading (no copy on CPU devices: PoCL
 * maps its buffers in place); a float16 or integer output, or one not in
 * the arena, is read into a buffer the engine owns (as
 * yolo_engine_get_output). The data (yolo_engine_output_info's shape) stay
 * valid until the next call that queues work on the engine
 * (yolo_engine_set_input, yolo_engine_enqueue / run, yolo_preproc_run) or
 * yolo_engine_free, under the engine's lock. NULL with an error when the
 * map or read fails or there is no output i. */
const float *yolo_engine_output_data (YoloEngine * e, guint i,
    GError ** error);

/* Per-launch timings of the last run (options.profile must be set):
 * returns a newly allocated human-readable table: per launch node, op,
 * kernel variant and ms; per node (on its first launch) the ms of all its
 * launches, its FLOPs (counted from its shapes) and GFLOP/s; sums per op
 * type and in total. */
char *yolo_engine_profile_table (YoloEngine * e);

/* Blocks until all work queued on the engine's device queue (frame
 * uploads, pre-processing, inference) has finished. Call it before freeing
 * or unmapping host memory an asynchronous upload may still read, e.g.
 * after a failed yolo_engine_enqueue(). */
void yolo_engine_finish (YoloEngine * e);

/* The detection head family of the loaded model, from its metadata and
 * output shape (YOLO_FAMILY_UNKNOWN when undecidable). *reason (may be
 * NULL) receives a newly allocated sentence saying why, for messages. */
YoloFamily yolo_engine_detect_family (YoloEngine * e, char **reason);

/* Why the loaded model is not one the detector decodes, in terms of the
 * Ultralytics export option that made it (task other than detect,
 * nms=True, batch > 1): a newly allocated sentence naming the option and
 * the fix, or NULL when none applies. */
char *yolo_engine_export_hint (YoloEngine * e);

/* Device memory the engine holds, in bytes: the activation arena, the
 * weights and other constant tensors, scratch and op-private buffers (the
 * engine's own accounting of its clCreateBuffer calls; pre-processing
 * buffers of a YoloPreproc are not counted). */
guint64 yolo_engine_device_bytes (YoloEngine * e);

/* An engine is not re-entrant: it has one input, one activation arena and
 * one device queue. Several threads may use one engine (a shared instance,
 * yolo-engine-shared.h) when each holds the engine's lock from its first
 * call that queues work (yolo_preproc_run, yolo_engine_set_input,
 * yolo_engine_enqueue / run) to the last output it reads, and around
 * yolo_preproc_new / yolo_preproc_free. The lock is recursive (one thread
 * may take it again); the engine's calls do not take it themselves. Calls that only read what
 * loading fixed (info, metadata, device name, family) need no lock. */
void yolo_engine_lock (YoloEngine * e);
void yolo_engine_unlock (YoloEngine * e);

/* Lists platforms and devices, one per line, into a new string. */
char *yolo_engine_list_devices (GError ** error);

G_END_DECLS
#endif /* YOLO_ENGINE_H */
