/* yolo-engine.c - load -> infer/fold -> fuse -> plan -> prepare, and run. */
#include "yolo-engine-private.h"
#include "yolo-ops.h"
#include "yolo-lower.h"
#include "yolo-cl.h"
#include "yolo-model-info.h"
#include "yolo-half.h"
#include "yolo-nms-tail.h"
#include "yolo-memstat.h"

#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

/* Written out rather than G_DEFINE_QUARK (yolo-engine-error-quark, ...):
 * gst-indent splits the macro's argument into "yolo - engine - ...". */
GQuark
yolo_engine_error_quark (void)
{
  return g_quark_from_static_string ("yolo-engine-error-quark");
}

static void
fill_info (YoloGraph * g, YoloTensor * t, YoloTensorInfo * info)
{
  info->name = t->name;
  info->dtype = yolo_dtype_name (yolo_tensor_io_dtype (t));
  info->ndim = MIN (t->ndim, 8);
  for (int i = 0; i < info->ndim; i++)
    info->dims[i] = t->dims[i];
}

/* Host constants of at least this many bytes are freed once the engine is
 * built; smaller ones (shapes, scalars, thresholds) are kept. */
#define RELEASE_MIN_BYTES 4096

/* Frees the host copies of the graph's constants (weights, biases) once
 * every node has been lowered: their values are on the device (uploaded
 * as they are, or repacked, Winograd-transformed, folded into a kernel's
 * own buffer), and nothing reads them on the host after this. On a CPU
 * device a buffer is host memory too, so the copy doubled the weights'
 * share of the resident memory (12.8 MB for yolov8n). Graph inputs and
 * outputs and small constants stay. Engines built with
 * yolo_engine_new_from_graph (tests, which inspect the graph and ask the
 * variants' supports() again afterwards) keep everything. Returns the
 * bytes freed. */
static gint64
release_one (YoloTensor * t)
{
  gint64 bytes;

  if (!t->data || t->is_input || t->is_output)
    return 0;
  bytes = yolo_tensor_host_bytes (t);
  if (bytes < RELEASE_MIN_BYTES)
    return 0;
  g_clear_pointer (&t->data, g_free);
  t->host_released = TRUE;
  return bytes;
}

static void
trim_heap (void)
{
#ifdef __GLIBC__
  /* most weights came from the heap (malloc's mmap threshold grows as
   * large blocks are freed): give its free pages back */
  malloc_trim (0);
#endif
}

static gint64
release_host_constants (YoloGraph * g)
{
  gint64 freed = 0;

  for (guint i = 0; i < g->tensors->len; i++)
    freed += release_one (YOLO_T (g, i));
  if (freed > 0)
    trim_heap ();
  return freed;
}

/* During lowering: how many live nodes still read each tensor (inputs and
 * residuals), so that a weight's host copy goes as soon as the last node
 * reading it is lowered: the host copies of the weights not lowered yet
 * and the device copies of those lowered then never add up. */
static guint *
count_readers (YoloGraph * g)
{
  guint *readers = g_new0 (guint, MAX (g->tensors->len, 1));

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] >= 0)
        readers[n->inputs[j]]++;
    if (n->residual >= 0)
      readers[n->residual]++;
  }
  return readers;
}

/* Node n is lowered: frees the constants no other node reads any more.
 * *pending counts the bytes freed since the heap was last trimmed. */
static void
release_after_node (YoloGraph * g, YoloNode * n, guint * readers,
    gint64 * pending)
{
  for (int j = 0; j <= n->n_inputs; j++) {
    int ti = j < n->n_inputs ? n->inputs[j] : n->residual;
    if (ti < 0 || readers[ti] == 0 || --readers[ti] > 0)
      continue;
    *pending += release_one (YOLO_T (g, ti));
  }
  if (*pending >= (1 << 20)) {
    trim_heap ();
    *pending = 0;
  }
}

/* A float16 model: float16 inputs / outputs, or Casts to float16
 * (keep_io_types exports). */
static gboolean
graph_is_fp16 (YoloGraph * g)
{
  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    if ((t->is_input || t->is_output) && t->io_dtype == YOLO_DTYPE_FLOAT16)
      return TRUE;
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Cast")
        && yolo_node_attr_int (n, "to", 0) == YOLO_DTYPE_FLOAT16)
      return TRUE;
  }
  return FALSE;
}

/* The first node no kernel variant runs with half storage, or NULL. */
static YoloNode *
half_unsupported (YoloGraph * g, YoloRuntime * rt)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def;
    GPtrArray *cands;
    gboolean ok;

    if (n->removed)
      continue;
    def = yolo_ops_lookup (n->op_type);
    if (def->flags & YOLO_OP_VIEW)
      continue;
    cands = yolo_backend_candidates (&yolo_backend_opencl, rt, g, n,
        yolo_lower_forced (rt, n));
    ok = cands->len > 0;
    g_ptr_array_unref (cands);
    if (!ok)
      return n;
  }
  return NULL;
}

/* Option storage: float32 or float16 activations (yolo_rt_set_act_storage);
 * half only where every node has a kernel variant for it. */
static YoloDType
choose_storage (YoloGraph * g, YoloRuntime * rt)
{
  const char *opt = yolo_rt_options (rt)->storage;
  YoloNode *n;

  if (!strcmp (opt, "float"))
    return YOLO_DTYPE_FLOAT;
  if (!strcmp (opt, "auto")) {
    /* Measured (README "Half precision"): on PoCL's CPU device half
     * storage costs ~30% more CPU time, and on yolo11n-fp16 its error
     * against the float32 model is up to 2x onnxruntime fp16's, outside
     * the bar; GPUs are not measured yet. So auto stores float32
     * everywhere for now. */
    if (graph_is_fp16 (g))
      g_info ("float16 model: activations stored as float32 on %s "
          "(storage auto; storage half stores them as float16)",
          yolo_rt_device (rt)->name);
    return YOLO_DTYPE_FLOAT;
  }
  yolo_rt_set_act_storage (rt, YOLO_DTYPE_FLOAT16);
  n = half_unsupported (g, rt);
  if (n) {
    yolo_rt_set_act_storage (rt, YOLO_DTYPE_FLOAT);
    g_info ("activations stored as float32, not half: %s node \"%s\" has "
        "no kernel variant for half storage on %s", n->op_type, n->name,
        yolo_rt_device (rt)->name);
    return YOLO_DTYPE_FLOAT;
  }
  g_debug ("activations stored as float16 (storage %s) on %s", opt,
      yolo_rt_device (rt)->name);
  return YOLO_DTYPE_FLOAT16;
}

/* YoloEngineOptions.int8_compute, else YOLO_INT8_COMPUTE: "auto"/"float"
 * (FALSE) or "integer" (TRUE); anything else is an argument error. *dot:
 * "auto" (the float emulation but for the convs the integer dot-product
 * kernels take, where the device has them). */
static gboolean
resolve_int8_compute (const YoloEngineOptions * opt, gboolean * integer,
    gboolean * dot, GError ** error)
{
  static const char *const modes[] = { "auto", "float", "integer", NULL };
  const char *mode;

  if (!yolo_rt_resolve_choice (opt ? opt->int8_compute : NULL,
          "int8_compute", "YOLO_INT8_COMPUTE", modes, &mode, error))
    return FALSE;
  *integer = mode == modes[2];
  *dot = mode == modes[0];
  return TRUE;
}

/* release: free the host copies of the constants as nodes are lowered
 * (yolo_engine_new; tests build from graphs they inspect afterwards). */
static YoloEngine *
engine_build (YoloGraph * g, const YoloEngineOptions * opt,
    gboolean no_fuse, gboolean release, GError ** error)
{
  YoloEngine *e = g_new0 (YoloEngine, 1);
  YoloTuner *tuner = NULL;
  gint64 arena, t0, pending = 0;
  guint *readers = NULL;
  YoloDType storage;

  g_rec_mutex_init (&e->lock);
  e->graph = g;
  if (opt && (opt->batch < 0 || opt->batch > 256)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "batch %d: give 1 to 256 images per inference (0 = 1)", opt->batch);
    goto fail;
  }
  g->batch_to = opt ? MAX (opt->batch, 1) : 1;
  if (!resolve_int8_compute (opt, &g->int8_integer, &g->int8_dot, error))
    goto fail;
  /* before the fuse: yolo-quant-fuse.c asks for the device's int8 dot */
  e->rt = yolo_runtime_new (opt, error);
  if (!e->rt)
    goto fail;
  yolo_memstat_log ("OpenCL context and queue");
  g->int8_dot = g->int8_dot && yolo_rt_device (e->rt)->int8_dot;
  /* ConvPair (yolo-pair-fuse.c): conv-cpu-1x1-pair runs on wide-vector
   * devices only, batch 1; a conv_kernel option names the Convs' kernels */
  g->conv_pair = yolo_rt_device (e->rt)->wide_vectors && g->batch_to <= 1
      && !(opt && opt->conv_kernel && opt->conv_kernel[0]);
  /* YOLO_FUSE_DWSEP=0 keeps the two launches (A/B measurements) */
  g->fuse_dwsep = yolo_rt_device (e->rt)->wide_vectors
      && g_strcmp0 (g_getenv ("YOLO_FUSE_DWSEP"), "0") != 0;
  /* ConvUpsampleAdd (yolo-upsample-fuse.c): conv-cpu-1x1-up2 runs on
   * wide-vector devices, batch 1; YOLO_FUSE_UP2=0 keeps the Resize and
   * the Concat (A/B measurements) */
  g->fuse_up2 = g->conv_pair
      && g_strcmp0 (g_getenv ("YOLO_FUSE_UP2"), "0") != 0;
  if (!yolo_graph_prepare (g, opt ? opt->input_height : 0,
          opt ? opt->input_width : 0, error))
    goto fail;
  if (!no_fuse)
    yolo_graph_fuse (g);
  yolo_graph_prune (g);
  yolo_memstat_log ("graph prepare and fuse");
  for (guint i = 0; i < g->nodes->len; i++)
    if (!YOLO_N (g, i)->removed && YOLO_N (g, i)->qepi)
      yolo_rt_set_qdq_epilogue (e->rt, TRUE);
  storage = choose_storage (g, e->rt);
  yolo_rt_set_act_storage (e->rt, storage);
  yolo_plan_storage (g, storage);
  arena = yolo_plan_memory (g);
  if (!yolo_runtime_alloc_arena (e->rt, arena, error))
    goto fail;
  yolo_memstat_log ("memory plan and arena allocation");
  g_debug ("arena: %.1f MiB on %s", arena / (double) (1 << 20),
      yolo_rt_device (e->rt)->name);

  if (yolo_rt_prewarming (e->rt)) {
    /* The units after the first (which this thread builds at once) are
     * built ahead by the prewarm's helpers (on PoCL), beside the lowering
     * and the first unit's build. */
    const char **units = yolo_lower_expected_units (&yolo_backend_opencl,
        e->rt, g);

    if (units[0])
      yolo_runtime_prebuild_units (e->rt, units + 1);
    g_free (units);
  }
  tuner = yolo_tuner_new (e->rt);
  if (release)
    readers = count_readers (g);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def;

    if (n->removed)
      continue;
    def = yolo_ops_lookup (n->op_type);
    if (!(def->flags & YOLO_OP_VIEW)
        && !yolo_lower_node (&yolo_backend_opencl, e->rt, tuner, g, n, error))
      goto fail;
    if (readers)
      release_after_node (g, n, readers, &pending);
  }
  g_clear_pointer (&readers, g_free);
  g_debug ("lowering: %.1f ms, %u nodes tuned, %u from the tuning cache",
      (g_get_monotonic_time () - t0) / 1000.0, yolo_tuner_n_measured (tuner),
      yolo_tuner_n_cached (tuner));
  g_clear_pointer (&tuner, yolo_tuner_free);
  yolo_memstat_log ("lowering (weights uploaded, programs built, tuning)");
  if (!yolo_runtime_bind_scratch (e->rt, error))
    goto fail;
  yolo_runtime_prewarm (e->rt);
  yolo_memstat_log ("scratch binding and prewarm");
  g_debug ("device memory: %.1f MiB (arena, constants, scratch)",
      yolo_runtime_device_bytes (e->rt) / 1048576.0);

  e->in_info = g_new0 (YoloTensorInfo, g->inputs->len);
  for (guint i = 0; i < g->inputs->len; i++)
    fill_info (g, YOLO_T (g, g_array_index (g->inputs, int, i)),
        &e->in_info[i]);
  e->out_info = g_new0 (YoloTensorInfo, g->outputs->len);
  for (guint i = 0; i < g->outputs->len; i++)
    fill_info (g, YOLO_T (g, g_array_index (g->outputs, int, i)),
        &e->out_info[i]);
  return e;

fail:
  g_free (readers);
  yolo_tuner_free (tuner);
  if (error)
    yolo_error_escape (*error);
  yolo_engine_free (e);
  return NULL;
}

YoloEngine *
yolo_engine_new_from_graph (YoloGraph * g, const YoloEngineOptions * opt,
    gboolean no_fuse, GError ** error)
{
  return engine_build (g, opt, no_fuse, FALSE, error);
}

YoloEngine *
yolo_engine_new (const char *model_path, const YoloEngineOptions * options,
    GError ** error)
{
  YoloGraph *g;
  YoloEngine *e;
  char *hint;

  if (!model_path || !*model_path) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no model file given");
    return NULL;
  }
  g = yolo_onnx_load (model_path, error);
  if (!g)
    return NULL;
  yolo_memstat_log ("ONNX parse");
  /* an export option we do not handle (nms=True, batch=2, a pose model)
   * fails on an op or a shape: say which option, after the op and node */
  hint = yolo_model_export_hint (g);
  e = engine_build (g, options, FALSE, TRUE, error);
  if (e) {
    gint64 freed = release_host_constants (g);
    g_debug ("host copies of the constants freed after lowering: %.1f MiB "
        "(the others as the last node reading them was lowered)",
        freed / 1048576.0);
    yolo_memstat_log ("freeing the host constants");
#ifdef __GLIBC__
    /* The load's freed blocks (host weights, parse and tuning buffers)
     * stay resident in malloc's arenas; give their pages back (2.9 MiB
     * on yolov8n-640). */
    malloc_trim (0);
    yolo_memstat_log ("malloc_trim");
#endif
    e->model_path = g_strdup (model_path);
  } else if (error && *error && (*error)->domain == YOLO_ENGINE_ERROR
      && ((*error)->code == YOLO_ENGINE_ERROR_INVALID_MODEL
          || (*error)->code == YOLO_ENGINE_ERROR_UNSUPPORTED)) {
    g_prefix_error (error, "%s: ", model_path); /* name the model */
    /* (unless the message already says which export option to change) */
    if (hint && !strstr ((*error)->message, ": export it with ")) {
      char *m = g_strdup_printf ("%s; %s", (*error)->message, hint);
      g_free ((*error)->message);
      (*error)->message = m;
    }
  }
  g_free (hint);
  return e;
}

void
yolo_engine_free (YoloEngine * e)
{
  if (!e)
    return;
  if (e->rt && e->out_map) {
    yolo_engine_release_outputs (e);
    clFinish (yolo_rt_queue (e->rt));
  }
  if (e->in_wrap)
    clReleaseMemObject (e->in_wrap);
  if (e->out_host)
    for (guint i = 0; i < e->graph->outputs->len; i++)
      g_free (e->out_host[i]);
  g_free (e->out_host);
  g_free (e->out_map);
  yolo_runtime_free (e->rt);
  yolo_graph_free (e->graph);
  g_free (e->in_info);
  g_free (e->out_info);
  g_free (e->model_path);
  g_rec_mutex_clear (&e->lock);
  g_free (e);
}

void
yolo_engine_lock (YoloEngine * e)
{
  g_rec_mutex_lock (&e->lock);
}

void
yolo_engine_unlock (YoloEngine * e)
{
  g_rec_mutex_unlock (&e->lock);
}

guint64
yolo_engine_device_bytes (YoloEngine * e)
{
  return yolo_runtime_device_bytes (e->rt);
}

guint
yolo_engine_n_inputs (YoloEngine * e)
{
  return e->graph->inputs->len;
}

guint
yolo_engine_n_outputs (YoloEngine * e)
{
  return e->graph->outputs->len;
}

gboolean
yolo_engine_input_info (YoloEngine * e, guint i, YoloTensorInfo * info)
{
  if (i >= e->graph->inputs->len)
    return FALSE;
  *info = e->in_info[i];
  return TRUE;
}

gboolean
yolo_engine_output_info (YoloEngine * e, guint i, YoloTensorInfo * info)
{
  if (i >= e->graph->outputs->len)
    return FALSE;
  *info = e->out_info[i];
  return TRUE;
}

const char *
yolo_engine_metadata (YoloEngine * e, const char *key)
{
  return g_hash_table_lookup (e->graph->metadata, key);
}

void
yolo_engine_finish (YoloEngine * e)
{
  if (e && e->rt)
    clFinish (yolo_rt_queue (e->rt));
}

YoloFamily
yolo_engine_detect_family (YoloEngine * e, char **reason)
{
  return yolo_model_detect_family (e->graph, reason);
}

char *
yolo_engine_export_hint (YoloEngine * e)
{
  return yolo_model_export_hint (e->graph);
}

const char *
yolo_engine_device_name (YoloEngine * e)
{
  return yolo_rt_device (e->rt)->name;
}

gboolean
yolo_engine_input_mem (YoloEngine * e, guint i, cl_mem * mem,
    gint64 * elem_offset, GError ** error)
{
  YoloTensor *t;

  if (i >= e->graph->inputs->len) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no input %u", i);
    return FALSE;
  }
  t = YOLO_T (e->graph, g_array_index (e->graph->inputs, int, i));
  if (t->mem != YOLO_MEM_ARENA) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "input \"%s\" is not used by the model", t->name);
    return FALSE;
  }
  *mem = yolo_runtime_arena (e->rt);
  *elem_offset = t->mem_offset / yolo_dtype_size (yolo_tensor_storage (t));
  return TRUE;
}

/* n floats as t's storage type (half, int32 or float): a new buffer, or
 * data itself for float storage. */
static gpointer
to_storage (const YoloTensor * t, const float *data, gint64 n)
{
  switch (yolo_tensor_storage (t)) {
    case YOLO_DTYPE_FLOAT16:{
      guint16 *hv = g_new (guint16, MAX (n, 1));
      for (gint64 k = 0; k < n; k++)
        hv[k] = yolo_float_to_half (data[k]);
      return hv;
    }
    case YOLO_DTYPE_INT32:{
      gint32 *iv = g_new (gint32, MAX (n, 1));
      for (gint64 k = 0; k < n; k++)
        iv[k] = (gint32) data[k];
      return iv;
    }
    default:
      return (gpointer) data;
  }
}

/* Reads t (n elements) from the arena into dst as floats. */
static cl_int
read_arena (YoloEngine * e, const YoloTensor * t, gint64 n, float *dst)
{
  YoloDType st = yolo_tensor_storage (t);
  gsize size = yolo_dtype_size (st);
  gpointer buf = st == YOLO_DTYPE_FLOAT16 ? g_malloc (MAX (n, 1) * size) :
      (gpointer) dst;
  cl_int err;

  err = clEnqueueReadBuffer (yolo_rt_queue (e->rt),
      yolo_runtime_arena (e->rt), CL_TRUE, t->mem_offset, n * size, buf, 0,
      NULL, NULL);
  if (err == CL_SUCCESS && st == YOLO_DTYPE_FLOAT16) {
    for (gint64 k = 0; k < n; k++)
      dst[k] = yolo_half_to_float (((guint16 *) buf)[k]);
  } else if (err == CL_SUCCESS && st == YOLO_DTYPE_INT32) {
    /* uint32 tensors hold their bits, uint64 ones sign-extended
     * (eltwise_cast_f2i) */
    for (gint64 k = 0; k < n; k++) {
      gint32 v = ((gint32 *) dst)[k];
      dst[k] = t->dtype == 12 ? (float) (guint32) v : t->dtype == 13
          && v < 0 ? 18446744073709551616.0f : (float) v;
    }
  } else if (err == CL_SUCCESS && t->is_input
      && t->io_dtype == YOLO_DTYPE_FLOAT16) {
    /* a float16 graph input read back (it is also a graph output): the
     * floats as fed, which its consumers see rounded to half (the Cast of
     * yolo_graph_round_half_io); the output is the rounded value too, as
     * onnxruntime returns the float16 it was fed */
    for (gint64 k = 0; k < n; k++)
      dst[k] = yolo_half_round (dst[k]);
  }
  if (buf != dst)
    g_free (buf);
  return err;
}

gboolean
yolo_engine_set_input_n (YoloEngine * e, guint i, const float *data,
    GError ** error)
{
  YoloTensor *t;
  cl_mem mem;
  gint64 off, n;
  gpointer buf = (gpointer) data;
  cl_int err;

  if (!yolo_engine_input_mem (e, i, &mem, &off, error)
      || (i == 0 && !yolo_engine_unbind_input (e, error)))
    return FALSE;
  yolo_engine_release_outputs (e);
  t = YOLO_T (e->graph, g_array_index (e->graph->inputs, int, i));
  n = yolo_tensor_numel (t);
  buf = to_storage (t, data, n);
  err = clEnqueueWriteBuffer (yolo_rt_queue (e->rt), mem, CL_TRUE,
      t->mem_offset, n * yolo_dtype_size (yolo_tensor_storage (t)), buf, 0,
      NULL, NULL);
  if (buf != data)
    g_free (buf);
  if (err != CL_SUCCESS) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "writing input \"%s\" failed (OpenCL error %d)", t->name, err);
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_engine_set_input (YoloEngine * e, const float *data, GError ** error)
{
  return yolo_engine_set_input_n (e, 0, data, error);
}

gboolean
yolo_engine_unbind_input (YoloEngine * e, GError ** error)
{
  gboolean ok;

  if (!e->in_wrap)
    return TRUE;
  ok = yolo_rt_bind_input (e->rt, e->graph, 0, NULL, error);
  /* the launches queued with it keep it until they have run */
  clReleaseMemObject (e->in_wrap);
  e->in_wrap = NULL;
  return ok;
}

/* Whether a graph output is input 0 or a view of it (read back from the
 * arena by yolo_engine_get_output). */
static gboolean
input_is_output (YoloEngine * e)
{
  int in = g_array_index (e->graph->inputs, int, 0);

  for (guint i = 0; i < e->graph->outputs->len; i++) {
    const YoloTensor *t = YOLO_T (e->graph,
        g_array_index (e->graph->outputs, int, i));
    while (t->view_of >= 0 && t->view_of != in)
      t = YOLO_T (e->graph, t->view_of);
    if (t->view_of == in || t == YOLO_T (e->graph, in))
      return TRUE;
  }
  return FALSE;
}

gboolean
yolo_engine_bind_input (YoloEngine * e, const float *data, GError ** error)
{
  YoloTensor *t;
  cl_mem mem, wrap;
  gint64 off;
  cl_int err;

  if (!yolo_engine_input_mem (e, 0, &mem, &off, error))
    return FALSE;
  t = YOLO_T (e->graph, g_array_index (e->graph->inputs, int, 0));
  if (!yolo_rt_device (e->rt)->is_cpu
      || yolo_tensor_storage (t) != YOLO_DTYPE_FLOAT || input_is_output (e))
    return yolo_engine_set_input (e, data, error);
  yolo_engine_release_outputs (e);
  wrap = clCreateBuffer (yolo_rt_context (e->rt),
      CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR,
      MAX (yolo_tensor_numel (t), 1) * sizeof (float), (gpointer) data, &err);
  if (err != CL_SUCCESS || !wrap) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "wrapping input \"%s\" failed (OpenCL error %d)", t->name, err);
    return FALSE;
  }
  if (!yolo_rt_bind_input (e->rt, e->graph, 0, wrap, error)) {
    clReleaseMemObject (wrap);
    yolo_engine_unbind_input (e, NULL);
    return FALSE;
  }
  if (e->in_wrap)
    clReleaseMemObject (e->in_wrap);
  e->in_wrap = wrap;
  return TRUE;
}

gboolean
yolo_engine_enqueue (YoloEngine * e, GError ** error)
{
  yolo_engine_release_outputs (e);
  return yolo_runtime_enqueue_all (e->rt, error);
}

gboolean
yolo_engine_run (YoloEngine * e, GError ** error)
{
  cl_int err;

  yolo_engine_release_outputs (e);
  if (!yolo_runtime_enqueue_all (e->rt, error))
    return FALSE;
  err = clFinish (yolo_rt_queue (e->rt));
  if (err != CL_SUCCESS) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "running the model failed (OpenCL error %d)", err);
    return FALSE;
  }
  return TRUE;
}

/* nms=True export: the graph's NMS tail on the host, from its input. */
static gboolean
get_nms_output (YoloEngine * e, float *dst, GError ** error)
{
  const YoloNmsTail *nt = e->graph->nms_tail;
  YoloTensor *p = YOLO_T (e->graph, nt->pre);
  gint64 n = yolo_tensor_numel (p);
  float *pre = g_new (float, n);
  cl_int err;

  err = read_arena (e, p, n, pre);
  if (err != CL_SUCCESS) {
    g_free (pre);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "reading \"%s\" (the input of the NMS tail) failed (OpenCL error "
        "%d)", p->name, err);
    return FALSE;
  }
  yolo_nms_tail_run (nt, pre, (int) p->dims[1] - 4, (int) p->dims[2], dst);
  g_free (pre);
  return TRUE;
}

gboolean
yolo_engine_get_output (YoloEngine * e, guint i, float *dst, GError ** error)
{
  YoloTensor *t;
  gint64 n;
  cl_int err;

  if (i >= e->graph->outputs->len) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no output %u", i);
    return FALSE;
  }
  t = YOLO_T (e->graph, g_array_index (e->graph->outputs, int, i));
  n = yolo_tensor_numel (t);
  if (e->graph->nms_tail && e->graph->nms_tail->out ==
      g_array_index (e->graph->outputs, int, i))
      return get_nms_output (e, dst, error);
  if (t->mem != YOLO_MEM_ARENA) {
    if (!t->data) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "output \"%s\" has no data", t->name);
      return FALSE;
    }
    for (gint64 k = 0; k < n; k++)
      dst[k] = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[k] :
          (float) ((gint64 *) t->data)[k];
    return TRUE;
  }
  err = read_arena (e, t, n, dst);
  if (err != CL_SUCCESS) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "reading output \"%s\" failed (OpenCL error %d)", t->name, err);
    return FALSE;
  }
  return TRUE;
}

void
yolo_engine_release_outputs (YoloEngine * e)
{
  if (!e->out_map)
    return;
  for (guint i = 0; i < e->graph->outputs->len; i++) {
    if (e->out_map[i])
      clEnqueueUnmapMemObject (yolo_rt_queue (e->rt),
          yolo_runtime_arena (e->rt), e->out_map[i], 0, NULL, NULL);
    e->out_map[i] = NULL;
  }
}

const float *
yolo_engine_output_data (YoloEngine * e, guint i, GError ** error)
{
  YoloTensor *t;
  gint64 n;
  cl_int err = CL_SUCCESS;
  gpointer p;

  if (i >= e->graph->outputs->len) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no output %u", i);
    return NULL;
  }
  if (!e->out_map) {
    e->out_map = g_new0 (gpointer, e->graph->outputs->len);
    e->out_host = g_new0 (float *, e->graph->outputs->len);
  }
  if (e->out_map[i])
    return e->out_map[i];
  t = YOLO_T (e->graph, g_array_index (e->graph->outputs, int, i));
  n = yolo_tensor_numel (t);
  /* float32 storage in the arena, read back as it lies (read_arena
   * converts the others) */
  if (t->mem == YOLO_MEM_ARENA && n > 0
      && yolo_tensor_storage (t) == YOLO_DTYPE_FLOAT
      && !(t->is_input && t->io_dtype == YOLO_DTYPE_FLOAT16)
      && !(e->graph->nms_tail && e->graph->nms_tail->out ==
          g_array_index (e->graph->outputs, int, i)))
  {
    p = clEnqueueMapBuffer (yolo_rt_queue (e->rt),
        yolo_runtime_arena (e->rt), CL_TRUE, CL_MAP_READ, t->mem_offset,
        n * sizeof (float), 0, NULL, NULL, &err);
    if (err != CL_SUCCESS || !p) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
          "mapping output \"%s\" failed (OpenCL error %d)", t->name, err);
      return NULL;
    }
    e->out_map[i] = p;
    return p;
  }
  if (!e->out_host[i])
    e->out_host[i] = g_new (float, MAX (n, 1));
  if (!yolo_engine_get_output (e, i, e->out_host[i], error))
    return NULL;
  return e->out_host[i];
}

char *
yolo_engine_profile_table (YoloEngine * e)
{
  return yolo_runtime_profile_table (e->rt, e->graph, 0);
}

char *
yolo_engine_profile_table_peak (YoloEngine * e, double peak_gflops)
{
  return yolo_runtime_profile_table (e->rt, e->graph, peak_gflops);
}

char *
yolo_engine_list_devices (GError ** error)
{
  return yolo_cl_list_devices (error);
}
