/* yolo-engine-cli.c - the `yolo-engine` command.
 *
 *   yolo-engine devices
 *   yolo-engine info MODEL [--json] [--size HxW]
 *   yolo-engine run MODEL --input IN.f32 --output OUT.f32 [--device SPEC]
 *                         [--output-index N] [ENGINE OPTIONS]
 *   yolo-engine bench MODEL [--iterations N] [--warmup N] [--device SPEC]
 *                           [--json] [--profile] [ENGINE OPTIONS]
 *   yolo-engine compare MODEL REF.f32 OUT.f32 [--json]
 *   yolo-engine peak [--device SPEC] [--vector-width N] [--threads N]
 *                    [--ms MS] [--runs N] [--no-device] [--no-host] [--json]
 *
 * Errors go to stderr as "yolo-engine: <message>" with exit status 1.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yolo-engine-private.h"
#include "yolo-half.h"
#include "yolo-head.h"
#include "yolo-model-info.h"
#include "yolo-parity.h"
#include "yolo-peak.h"
#include "yolo-flops.h"
#include "yolo-runtime.h"
#include "yolo-nms-tail.h"
#include "yolo-memstat.h"

#define PROG "yolo-engine"

static const char usage_text[] =
    "Usage:\n"
    "  " PROG " devices\n"
    "  " PROG " info MODEL [--json] [--size HxW] [--batch N]\n"
    "  " PROG
    " run MODEL --input IN.f32 [--input IN2.f32 ...] --output OUT.f32\n"
    "          [--batch N] [--device SPEC] [--output-index N] [--size HxW]\n"
    "          [ENGINE OPTIONS]\n" "  " PROG
    " bench MODEL [--iterations N] [--warmup N] [--batch N] [--device SPEC]\n"
    "          [--json] [--profile] [--size HxW] [--peak-gflops G]\n"
    "          [ENGINE OPTIONS]\n" "  " PROG
    " compare MODEL REF.f32 OUT.f32 [--json]\n" "  " PROG
    " peak [--device SPEC] [--vector-width N] [--threads N]\n"
    "          [--ms MS] [--runs N] [--no-device] [--no-host] [--json]\n" "\n"
    "Runs YOLO ONNX models on OpenCL devices.\n"
    "  devices  list OpenCL platforms and devices\n"
    "  info     describe a model: inputs, outputs, opset, head layout,\n"
    "           classes, parameters, GFLOPs (no device needed; --batch N:\n"
    "           the shapes at N images per inference)\n"
    "  run      run one inference on raw little-endian float32 input\n"
    "           (--batch N: N images, one --input each or one repeated);\n"
    "           prints each image's detections (detection models)\n"
    "  bench    time bind_input + run + output_data (input and output 0\n"
    "           read where they lie: no copies on CPU devices); the\n"
    "           model's GFLOP/s\n"
    "           (--profile: per layer, with % of the device's peak)\n"
    "  compare  check output 0 of MODEL (OUT.f32, from run) against a\n"
    "           reference (REF.f32, e.g. onnxruntime's) with the parity\n"
    "           tolerances; exit status 0 within them, 2 outside them,\n"
    "           1 on errors (no device needed)\n"
    "  peak     measure the fp32 multiply-add peak (GFLOP/s) of the OpenCL\n"
    "           device (mad chains, its preferred vector width) and of the\n"
    "           host CPU (plain C, one thread per core)\n" "\n"
    "Device SPEC: gpu, cpu, an index N, P:D (platform:device) or a part of\n"
    "the device name; without --device, the YOLO_DEVICE environment\n"
    "variable, else the first GPU, else the first device.\n" "\n"
    "ENGINE OPTIONS (run, bench; for tests and benchmarks: each one left\n"
    "out takes the environment variable named with it, else the default):\n"
    "  --conv-kernel=auto|gpu|tiled|wino|direct|V1,V2...  (YOLO_CONV_KERNEL)\n"
    "      force conv kernels: gpu = scalar per-work-item, tiled = local-\n"
    "      memory tiled GEMM, wino / direct = always / never Winograd, or\n"
    "      variant names (conv-cpu-1x1, conv-wino4, conv-gpu-c8, ...: see\n"
    "      yolo-engine.h and the variant column of bench --profile)\n"
    "  --matmul-kernel=auto|tiled|tile|V1,V2...   (YOLO_MATMUL_KERNEL)\n"
    "  --tune=on|off|cached                       (YOLO_TUNE)\n"
    "      time the variants that compete for a node once at load and keep\n"
    "      the fastest, remembered per device in the cache directory (on,\n"
    "      the default; close or disturbed calls measured again on a few\n"
    "      later starts); only what the cache holds (cached); the static\n"
    "      preference order (off)\n"
    "  --wino-layout=auto|xi                      (YOLO_WINO_LAYOUT)\n"
    "  --max-work-group-size=N                    (YOLO_MAX_WORK_GROUP_SIZE)\n"
    "  --max-local-mem-size=BYTES                 (YOLO_MAX_LOCAL_MEM_SIZE)\n"
    "  --max-mem-alloc-size=BYTES                 (YOLO_MAX_MEM_ALLOC_SIZE)\n"
    "  --max-global-mem-size=BYTES                (YOLO_MAX_GLOBAL_MEM_SIZE)\n"
    "      emulate a smaller device (0 = the device's own limit)\n"
    "  --program-cache=auto|on|off, --no-cache    (YOLO_CL_NO_CACHE=0|1)\n"
    "      on-disk program binary cache (auto: off on PoCL, on elsewhere)\n"
    "  --prewarm=auto|on|off                      (YOLO_CL_PREWARM)\n"
    "      compile the plan's kernels on every core before the first run\n"
    "      when PoCL's kernel cache is cold (auto: on PoCL only)\n"
    "  --storage=auto|float|half                  (YOLO_STORAGE)\n"
    "      activations in float32 or float16 in device memory (arithmetic in\n"
    "      float32; auto: float32 for now)\n"
    "  --int8-compute=auto|float|integer          (YOLO_INT8_COMPUTE)\n"
    "      dynamically quantised convs as float convs of the fake-quantised\n"
    "      input (auto, float) or with exact int32 kernels (integer)\n";

/* The engine options every command that creates an engine takes (see
 * YoloEngineOptions): filled by g_option_context_parse, handed to
 * yolo_engine_new, which checks the values. */
typedef struct
{
  char *conv_kernel, *matmul_kernel, *wino_layout, *program_cache, *tune;
  char *prewarm, *storage, *int8_compute;
  gint64 max_work_group_size, max_local_mem_size;
  gint64 max_mem_alloc_size, max_global_mem_size;
  gboolean no_cache;
} EngineArgs;

static void
engine_args_add (GOptionContext * ctx, EngineArgs * a)
{
  GOptionEntry entries[] = {
    {"conv-kernel", 0, 0, G_OPTION_ARG_STRING, &a->conv_kernel,
          "Conv kernels: auto, gpu, tiled, wino, direct or variant names",
        "K"},
    {"matmul-kernel", 0, 0, G_OPTION_ARG_STRING, &a->matmul_kernel,
        "MatMul kernels: auto, tiled, tile or variant names", "K"},
    {"tune", 0, 0, G_OPTION_ARG_STRING, &a->tune,
        "Measured choice of kernel variants: on, off, cached", "T"},
    {"wino-layout", 0, 0, G_OPTION_ARG_STRING, &a->wino_layout,
        "Winograd scratch layout: auto, xi", "L"},
    {"max-work-group-size", 0, 0, G_OPTION_ARG_INT64,
          &a->max_work_group_size,
        "Cap the device's max work-group size", "N"},
    {"max-local-mem-size", 0, 0, G_OPTION_ARG_INT64, &a->max_local_mem_size,
        "Cap the device's local memory", "BYTES"},
    {"max-mem-alloc-size", 0, 0, G_OPTION_ARG_INT64, &a->max_mem_alloc_size,
        "Cap the device's largest buffer", "BYTES"},
    {"max-global-mem-size", 0, 0, G_OPTION_ARG_INT64,
          &a->max_global_mem_size,
        "Cap the device's memory", "BYTES"},
    {"program-cache", 0, 0, G_OPTION_ARG_STRING, &a->program_cache,
        "Program binary cache: auto, on, off", "C"},
    {"no-cache", 0, 0, G_OPTION_ARG_NONE, &a->no_cache,
        "No program binary cache (--program-cache=off)", NULL},
    {"prewarm", 0, 0, G_OPTION_ARG_STRING, &a->prewarm,
        "Compile kernels ahead on every core: auto, on, off", "P"},
    {"storage", 0, 0, G_OPTION_ARG_STRING, &a->storage,
        "Activation storage: auto, float, half", "S"},
    {"int8-compute", 0, 0, G_OPTION_ARG_STRING, &a->int8_compute,
        "Dynamic int8 convs: auto, float, integer", "M"},
    {NULL}
  };
  GOptionGroup *group = g_option_group_new ("engine", "Engine options "
      "(tests and benchmarks):", "Show the engine options", NULL, NULL);

  g_option_group_add_entries (group, entries);
  g_option_context_add_group (ctx, group);
}

static void
engine_args_apply (const EngineArgs * a, YoloEngineOptions * opt)
{
  opt->conv_kernel = a->conv_kernel;
  opt->matmul_kernel = a->matmul_kernel;
  opt->tune = a->tune;
  opt->storage = a->storage;
  opt->int8_compute = a->int8_compute;
  opt->wino_layout = a->wino_layout;
  opt->program_cache = a->program_cache;
  opt->no_cache = a->no_cache;
  opt->prewarm = a->prewarm;
  opt->max_work_group_size = a->max_work_group_size;
  opt->max_local_mem_size = a->max_local_mem_size;
  opt->max_mem_alloc_size = a->max_mem_alloc_size;
  opt->max_global_mem_size = a->max_global_mem_size;
}

static void
engine_args_clear (EngineArgs * a)
{
  g_free (a->conv_kernel);
  g_free (a->matmul_kernel);
  g_free (a->tune);
  g_free (a->storage);
  g_free (a->int8_compute);
  g_free (a->wino_layout);
  g_free (a->program_cache);
  g_free (a->prewarm);
}

static int
usage_error (const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, PROG ": %s\n\n%s", msg, usage_text);
  g_free (msg);
  return 1;
}

static int
fail (GError * error)
{
  fprintf (stderr, PROG ": %s\n", error ? error->message : "unknown error");
  g_clear_error (&error);
  return 1;
}

/* Writes size bytes to path as it is: a file (created or truncated), a
 * symbolic link's target, a pipe or a device (/dev/stdout). Not
 * g_file_set_contents(): that writes a new file beside path and renames it
 * over path, which replaced a link, a FIFO or a device node itself (as root,
 * --output /dev/full left a regular file in /dev/full and reported
 * success). */
static gboolean
write_output (const char *path, gconstpointer data, gsize size, GError ** error)
{
  FILE *f = g_fopen (path, "wb");
  gboolean ok;
  int err;

  if (!f) {
    err = errno;
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot write %s: %s", path, g_strerror (err));
    return FALSE;
  }
  errno = 0;
  ok = fwrite (data, 1, size, f) == size && fflush (f) == 0;
  err = errno ? errno : EIO;    /* a short write need not set errno */
  if (fclose (f) != 0 && ok) {
    ok = FALSE;
    err = errno;
  }
  if (!ok)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (err),
        "cannot write %s: %s", path, g_strerror (err));
  return ok;
}

/* ------------------------------------------------------------------------ */
/* JSON helpers (plain printf; the engine has no JSON library) */

static void
json_str (GString * s, const char *str)
{
  char *valid;
  const char *p;

  if (str == NULL) {
    g_string_append (s, "null");
    return;
  }
  valid = g_utf8_make_valid (str, -1);
  g_string_append_c (s, '"');
  for (p = valid; *p; p++) {
    guchar c = (guchar) * p;
    switch (c) {
      case '"':
        g_string_append (s, "\\\"");
        break;
      case '\\':
        g_string_append (s, "\\\\");
        break;
      case '\n':
        g_string_append (s, "\\n");
        break;
      case '\r':
        g_string_append (s, "\\r");
        break;
      case '\t':
        g_string_append (s, "\\t");
        break;
      default:
        if (c < 0x20)
          g_string_append_printf (s, "\\u%04x", c);
        else
          g_string_append_c (s, (char) c);
        break;
    }
  }
  g_string_append_c (s, '"');
  g_free (valid);
}

static void
json_num (GString * s, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v)) {
    g_string_append (s, "null");
    return;
  }
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
json_dims (GString * s, int ndim, const gint64 * dims)
{
  int i;

  g_string_append_c (s, '[');
  for (i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? "," : "", dims[i]);
  g_string_append_c (s, ']');
}

static char *
dims_str (int ndim, const gint64 * dims)
{
  GString *s = g_string_new (NULL);
  json_dims (s, ndim, dims);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------------ */
/* devices */

static int
cmd_devices (int argc, char **argv)
{
  GError *error = NULL;
  char *list;

  if (argc > 2)
    return usage_error ("devices takes no arguments");
  list = yolo_engine_list_devices (&error);
  if (list == NULL)
    return fail (error);
  fputs (list, stdout);
  if (list[0] && list[strlen (list) - 1] != '\n')
    fputc ('\n', stdout);
  g_free (list);
  return 0;
}

/* FALSE, with a message, when --size H x W was given for an image input
 * of another fixed size (dims after the load: a dynamic model takes the
 * size, a fixed one keeps its own and would silently ignore it). */
static gboolean
size_applies (const char *model, int ndim, const gint64 * dims, int h, int w)
{
  if (h <= 0 || ndim != 4 || (dims[2] == h && dims[3] == w))
    return TRUE;
  fprintf (stderr, PROG ": %s has a fixed input size of %" G_GINT64_FORMAT
      "x%" G_GINT64_FORMAT " (HxW): --size %dx%d cannot change it (leave "
      "--size out, or export the model with imgsz=[%d, %d] or "
      "dynamic=True)\n", model, dims[2], dims[3], h, w, h, w);
  return FALSE;
}

static gboolean
parse_size (const char *str, int *h, int *w)
{
  char *end;
  gint64 a, b;

  if (str == NULL)
    return TRUE;
  a = g_ascii_strtoll (str, &end, 10);
  if (end == str || a <= 0 || a > 65536)
    return FALSE;
  if (*end == '\0') {
    *h = *w = (int) a;
    return TRUE;
  }
  if (*end != 'x' && *end != 'X' && *end != ',')
    return FALSE;
  str = end + 1;
  b = g_ascii_strtoll (str, &end, 10);
  if (end == str || *end != '\0' || b <= 0 || b > 65536)
    return FALSE;
  *h = (int) a;
  *w = (int) b;
  return TRUE;
}

/* The --batch of info, run and bench: 1 to 256 images per inference (the
 * engine's limit, YoloEngineOptions.batch). */
static gboolean
batch_ok (int batch)
{
  return batch >= 1 && batch <= 256;
}

/* ------------------------------------------------------------------------ */
/* info */

typedef struct
{
  const char *op;
  int count;
} OpCount;

static gint
op_count_cmp (gconstpointer a, gconstpointer b)
{
  const OpCount *x = a, *y = b;
  if (x->count != y->count)
    return y->count - x->count;
  return strcmp (x->op, y->op);
}

static GArray *
sorted_histogram (GHashTable * h)
{
  GArray *arr = g_array_new (FALSE, FALSE, sizeof (OpCount));
  GHashTableIter it;
  gpointer k, v;

  g_hash_table_iter_init (&it, h);
  while (g_hash_table_iter_next (&it, &k, &v)) {
    OpCount oc = { k, GPOINTER_TO_INT (v) };
    g_array_append_val (arr, oc);
  }
  g_array_sort (arr, op_count_cmp);
  return arr;
}

static GList *
sorted_keys (GHashTable * h)
{
  return g_list_sort (g_hash_table_get_keys (h), (GCompareFunc) strcmp);
}

/* How the declared shape of input t maps onto the one used: "batch=1,
 * height=640, width=640" for the symbolic dimensions; NULL when none. */
static char *
dynamic_dims (YoloTensor * t)
{
  char **names;
  GString *s = NULL;
  gsize len;

  if (!t->declared_shape || t->ndim < 0)
    return NULL;
  len = strlen (t->declared_shape);
  if (len < 2)
    return NULL;
  {
    char *inner = g_strndup (t->declared_shape + 1, len - 2);
    names = g_strsplit (inner, ",", -1);
    g_free (inner);
  }
  if (g_strv_length (names) == (guint) t->ndim) {
    for (int d = 0; d < t->ndim; d++) {
      if (g_ascii_isdigit (names[d][0]))
        continue;
      if (!s)
        s = g_string_new (NULL);
      else
        g_string_append (s, ", ");
      g_string_append_printf (s, "%s=%" G_GINT64_FORMAT, names[d], t->dims[d]);
    }
  }
  g_strfreev (names);
  return s ? g_string_free (s, FALSE) : NULL;
}

static void
info_tensors_text (GString * s, YoloGraph * g, GArray * idx)
{
  guint i;

  for (i = 0; i < idx->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (idx, int, i));
    char *d = dims_str (MAX (t->ndim, 0), t->dims);
    g_string_append_printf (s, "  %-16s %-8s %s", t->name,
        yolo_dtype_name (yolo_tensor_io_dtype (t)),
        t->ndim >= 0 ? d : "(unknown)");
    if (t->declared_shape && strcmp (t->declared_shape, d) != 0)
      g_string_append_printf (s, " (declared %s)", t->declared_shape);
    g_string_append_c (s, '\n');
    g_free (d);
  }
}

static void
info_tensors_json (GString * s, YoloGraph * g, GArray * idx)
{
  guint i;

  g_string_append_c (s, '[');
  for (i = 0; i < idx->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (idx, int, i));
    g_string_append (s, i ? ",{\"name\":" : "{\"name\":");
    json_str (s, t->name);
    g_string_append (s, ",\"dtype\":");
    json_str (s, yolo_dtype_name (yolo_tensor_io_dtype (t)));
    g_string_append (s, ",\"shape\":");
    if (t->ndim >= 0)
      json_dims (s, t->ndim, t->dims);
    else
      g_string_append (s, "null");
    g_string_append (s, ",\"declared_shape\":");
    json_str (s, t->declared_shape);
    g_string_append_c (s, '}');
  }
  g_string_append_c (s, ']');
}

/* An int8 model's convs after the engine's fusions (info; no device
 * needed): convs in all (Conv, ConvInteger, ConvIntegerToFloat), those on
 * the integer kernels (ConvInteger / ConvIntegerToFloat), those of them
 * with a static QDQ epilogue and those writing uint8 codes, with
 * int8_compute "auto" where the device has integer dot products
 * (g->int8_dot: PoCL on an AVX512-VNNI CPU; dot) or has none. */
typedef struct
{
  int convs, integer, qdq, codes;
} Int8Convs;

static gboolean
int8_convs (const char *path, int h, int w, int batch, gboolean dot,
    Int8Convs * c)
{
  YoloGraph *g = yolo_onnx_load (path, NULL);

  memset (c, 0, sizeof (*c));
  if (!g)
    return FALSE;
  g->batch_to = batch;
  g->int8_dot = dot;
  if (!yolo_graph_prepare (g, h, w, NULL)) {
    yolo_graph_free (g);
    return FALSE;
  }
  yolo_graph_fuse (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    gboolean integer;
    if (n->removed || (strcmp (n->op_type, "Conv")
            && strcmp (n->op_type, "ConvInteger")
            && strcmp (n->op_type, "ConvIntegerToFloat")))
      continue;
    integer = strcmp (n->op_type, "Conv") != 0;
    c->convs++;
    c->integer += integer;
    c->qdq += integer && n->qepi;
    c->codes += integer && n->qepi && n->qepi->codes >= 0;
  }
  yolo_graph_free (g);
  return TRUE;
}

/* The int8 line of info: where each precision path runs. */
static void
int8_line (GString * s, const Int8Convs * dot, const Int8Convs * none)
{
  g_string_append_printf (s, "int8 convs:  %d of %d on the integer kernels "
      "(uint8 x int8 -> int32 sums", dot->integer, dot->convs);
  if (dot->qdq)
    g_string_append_printf (s, ", the static QDQ epilogue in float; %d "
        "write uint8 codes", dot->codes);
  g_string_append_printf (s, ") where the device has integer dot products "
      "(int8_compute auto: PoCL on an AVX512-VNNI CPU), %d of %d elsewhere; "
      "the others: the float emulation (fake-quantised inputs, dequantised "
      "weights)\n", none->integer, none->convs);
}

static void
info_json (GString * s, const char *path, YoloGraph * g, YoloModelInfo * mi,
    const Int8Convs * i8, const char *infer_error)
{
  GArray *ops = sorted_histogram (mi->op_histogram);
  GList *keys, *l;
  guint i;
  int n_nodes = 0;

  for (i = 0; i < g->nodes->len; i++)
    if (!YOLO_N (g, i)->removed)
      n_nodes++;

  g_string_append (s, "{\"model\":");
  json_str (s, path);
  g_string_append (s, ",\"producer\":");
  json_str (s, g->producer_name);
  g_string_append_printf (s, ",\"opset\":%" G_GINT64_FORMAT, g->opset);
  g_string_append (s, ",\"inputs\":");
  info_tensors_json (s, g, g->inputs);
  g_string_append (s, ",\"outputs\":");
  info_tensors_json (s, g, g->outputs);
  g_string_append (s, ",\"family\":");
  json_str (s, yolo_family_name (mi->family));
  g_string_append (s, ",\"family_reason\":");
  json_str (s, mi->family_reason);
  g_string_append_printf (s, ",\"n_classes\":%d,\"names\":[", mi->n_classes);
  for (i = 0; i < mi->names->len; i++) {
    if (i)
      g_string_append_c (s, ',');
    json_str (s, g_ptr_array_index (mi->names, i));
  }
  g_string_append_printf (s, "],\"input_h\":%d,\"input_w\":%d,\"stride\":%d",
      mi->input_h, mi->input_w, mi->stride);
  g_string_append_printf (s, ",\"batch\":%" G_GINT64_FORMAT,
      MAX (g->batch_to, 1));
  g_string_append (s, ",\"batch_from\":");
  if (g->batch_from)
    g_string_append_printf (s, "%" G_GINT64_FORMAT, g->batch_from);
  else
    g_string_append (s, "null");
  {
    char *nt = g->nms_tail ? yolo_nms_tail_describe (g->nms_tail) : NULL;
    char *dd = g->inputs->len ? dynamic_dims (YOLO_T (g,
            g_array_index (g->inputs, int, 0))) : NULL;
    g_string_append (s, ",\"nms_tail\":");
    json_str (s, nt);
    g_string_append (s, ",\"dynamic_dims\":");
    json_str (s, dd);
    g_free (nt);
    g_free (dd);
  }
  g_string_append (s, ",\"task\":");
  json_str (s, mi->task);
  g_string_append_printf (s, ",\"end2end\":%s,\"params\":%" G_GINT64_FORMAT,
      mi->end2end ? "true" : "false", mi->n_params);
  g_string_append (s, ",\"precision\":");
  json_str (s, mi->precision);
  /* i8[0]: with integer dot products, i8[1]: without */
  if (i8)
    g_string_append_printf (s, ",\"int8_convs\":{\"convs\":%d,"
        "\"integer_dot\":%d,\"integer_no_dot\":%d,\"qdq_epilogue\":%d,"
        "\"codes\":%d}", i8[0].convs, i8[0].integer, i8[1].integer,
        i8[0].qdq, i8[0].codes);
  g_string_append (s, ",\"gflops\":");
  json_num (s, mi->flops / 1e9);
  g_string_append_printf (s, ",\"nodes\":%d,\"ops\":{", n_nodes);
  for (i = 0; i < ops->len; i++) {
    OpCount *oc = &g_array_index (ops, OpCount, i);
    if (i)
      g_string_append_c (s, ',');
    json_str (s, oc->op);
    g_string_append_printf (s, ":%d", oc->count);
  }
  g_string_append (s, "},\"metadata\":{");
  keys = sorted_keys (g->metadata);
  for (l = keys; l; l = l->next) {
    if (l != keys)
      g_string_append_c (s, ',');
    json_str (s, l->data);
    g_string_append_c (s, ':');
    json_str (s, g_hash_table_lookup (g->metadata, l->data));
  }
  g_list_free (keys);
  g_string_append (s, "},\"infer_error\":");
  json_str (s, infer_error);
  g_string_append (s, "}\n");
  g_array_free (ops, TRUE);
}

static void
info_text (GString * s, const char *path, YoloGraph * g, YoloModelInfo * mi,
    const Int8Convs * i8, const char *infer_error)
{
  GArray *ops = sorted_histogram (mi->op_histogram);
  GList *keys, *l;
  guint i;
  int n_nodes = 0;

  for (i = 0; i < g->nodes->len; i++)
    if (!YOLO_N (g, i)->removed)
      n_nodes++;

  g_string_append_printf (s, "model:       %s\n", path);
  {
    char *pn = yolo_escape_name (g->producer_name);
    g_string_append_printf (s, "producer:    %s\n", pn ? pn :
        g->producer_name && g->producer_name[0] ? g->producer_name : "-");
    g_free (pn);
  }
  g_string_append_printf (s, "opset:       %" G_GINT64_FORMAT "\n", g->opset);
  g_string_append (s, "inputs:\n");
  info_tensors_text (s, g, g->inputs);
  g_string_append (s, "outputs:\n");
  info_tensors_text (s, g, g->outputs);
  g_string_append_printf (s, "head layout: %s (%s)\n",
      yolo_family_name (mi->family), mi->family_reason);
  if (mi->task)
    g_string_append_printf (s, "task:        %s%s\n", mi->task,
        mi->end2end ? " (end2end)" : "");
  g_string_append_printf (s, "input size:  %dx%d (HxW), stride %d\n",
      mi->input_h, mi->input_w, mi->stride);
  if (g->inputs->len) {
    char *dd = dynamic_dims (YOLO_T (g, g_array_index (g->inputs, int, 0)));
    if (dd)
      g_string_append_printf (s, "dynamic:     %s (symbolic dimensions of "
          "the input as run: batch %" G_GINT64_FORMAT " (--batch), %s; "
          "height and width from --size / yolodetect's input-size, else the "
          "imgsz metadata)\n", dd, MAX (g->batch_to, 1),
          g->batch_to > 1 ? "images per run" : "one image per run");
    g_free (dd);
  }
  if (g->batch_from && !infer_error)
    g_string_append_printf (s, "batch:       the file has a fixed batch of %"
        G_GINT64_FORMAT " (batch=%" G_GINT64_FORMAT " export); run at batch "
        "%" G_GINT64_FORMAT " (input and Reshape constants rewritten: each "
        "image gives what slot 0 of a batch gives)\n", g->batch_from,
        g->batch_from, MAX (g->batch_to, 1));
  else if (g->batch_to > 1 && !infer_error)
    g_string_append_printf (s, "batch:       %" G_GINT64_FORMAT " images per "
        "inference (--batch): the shapes above are at that batch\n",
        g->batch_to);
  if (g->nms_tail) {
    char *nt = yolo_nms_tail_describe (g->nms_tail);
    g_string_append_printf (s, "nms:         %s\n", nt);
    g_free (nt);
  }
  if (mi->n_classes >= 0)
    g_string_append_printf (s, "classes:     %d\n", mi->n_classes);
  else
    g_string_append (s, "classes:     unknown\n");
  if (mi->names->len > 0) {
    g_string_append_printf (s, "names (%u):", mi->names->len);
    for (i = 0; i < mi->names->len; i++) {
      /* class names come from the file: control bytes escaped */
      const char *raw = g_ptr_array_index (mi->names, i);
      /* NULL when the name needs no escaping */
      char *name = yolo_escape_name (raw);

      g_string_append_printf (s, "%s%u=%s", i ? ", " : " ", i,
          name ? name : raw);
      g_free (name);
    }
    g_string_append_c (s, '\n');
  } else {
    g_string_append (s, "names:       none in metadata\n");
  }
  g_string_append_printf (s, "parameters:  %.3f M (%" G_GINT64_FORMAT ")\n",
      mi->n_params / 1e6, mi->n_params);
  g_string_append_printf (s, "precision:   %s\n", mi->precision);
  if (i8)
    int8_line (s, &i8[0], &i8[1]);
  g_string_append_printf (s, "GFLOPs:      %.2f\n", mi->flops / 1e9);
  g_string_append_printf (s, "ops:         %d nodes after constant folding:",
      n_nodes);
  for (i = 0; i < ops->len; i++) {
    OpCount *oc = &g_array_index (ops, OpCount, i);
    g_string_append_printf (s, "%s%s %d", i ? ", " : " ", oc->op, oc->count);
  }
  g_string_append_c (s, '\n');
  keys = sorted_keys (g->metadata);
  if (keys)
    g_string_append (s, "metadata:\n");
  for (l = keys; l; l = l->next) {
    /* model-provided text: escaped to keep one entry per line */
    char *k = yolo_escape_name (l->data);
    char *v = yolo_escape_name (g_hash_table_lookup (g->metadata, l->data));
    const char *kk = k ? k : l->data;
    const char *vv = v ? v : g_hash_table_lookup (g->metadata, l->data);
    if (strlen (vv) > 100)
      g_string_append_printf (s, "  %s: %.100s...\n", kk, vv);
    else
      g_string_append_printf (s, "  %s: %s\n", kk, vv);
    g_free (k);
    g_free (v);
  }
  g_list_free (keys);
  if (infer_error)
    g_string_append_printf (s, "shape inference failed: %s\n", infer_error);
  g_array_free (ops, TRUE);
}

static int
cmd_info (int argc, char **argv)
{
  gboolean json = FALSE;
  char *size = NULL;
  int size_h = 0, size_w = 0, batch = 1;
  GOptionEntry entries[] = {
    {"json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
    {"size", 's', 0, G_OPTION_ARG_STRING, &size,
        "Input size for dynamic models", "HxW"},
    {"batch", 'b', 0, G_OPTION_ARG_INT, &batch,
        "Images per inference: the shapes at that batch (default 1)", "N"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  YoloGraph *g;
  YoloModelInfo *mi;
  GString *s;
  char *infer_error = NULL;
  Int8Convs i8[2];
  gboolean have_i8;
  int ret;

  ctx = g_option_context_new ("MODEL - describe a model");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_option_context_free (ctx);
    ret = usage_error ("%s", error->message);
    g_clear_error (&error);
    g_free (size);
    return ret;
  }
  g_option_context_free (ctx);
  if (argc != 3) {
    g_free (size);
    return usage_error ("info needs exactly one MODEL");
  }
  if (!parse_size (size, &size_h, &size_w)) {
    ret = usage_error ("invalid --size '%s' (expected HxW or N)", size);
    g_free (size);
    return ret;
  }
  g_free (size);
  if (!batch_ok (batch))
    return usage_error ("--batch %d: give 1 to 256 images per inference",
        batch);

  g = yolo_onnx_load (argv[2], &error);
  if (g == NULL)
    return fail (error);
  /* the same checks and passes as `run` and the element (at the batch
   * the engine would run, as yolo_engine_new sets it) */
  g->batch_to = batch;
  if (!yolo_graph_prepare (g, size_h, size_w, &error)) {
    infer_error = g_strdup (error->message);
    g_clear_error (&error);
  }
  if (!infer_error && g->inputs->len) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, 0));
    if (!size_applies (argv[2], t->ndim, t->dims, size_h, size_w)) {
      yolo_graph_free (g);
      return 1;
    }
  }
  mi = yolo_model_info_new (g);
  /* an int8 model: its convs after the fusions, with and without integer
   * dot products */
  have_i8 = !infer_error && g_str_has_prefix (mi->precision, "int8")
      && int8_convs (argv[2], size_h, size_w, batch, TRUE, &i8[0])
      && int8_convs (argv[2], size_h, size_w, batch, FALSE, &i8[1]);
  s = g_string_new (NULL);
  if (json)
    info_json (s, argv[2], g, mi, have_i8 ? i8 : NULL, infer_error);
  else
    info_text (s, argv[2], g, mi, have_i8 ? i8 : NULL, infer_error);
  fputs (s->str, stdout);
  g_string_free (s, TRUE);
  if (infer_error)
    fprintf (stderr, PROG ": %s\n", infer_error);
  ret = infer_error ? 1 : 0;
  g_free (infer_error);
  yolo_model_info_free (mi);
  yolo_graph_free (g);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* run / bench */

static gint64
info_numel (const YoloTensorInfo * ti)
{
  gint64 n = 1;
  int i;

  for (i = 0; i < ti->ndim; i++)
    n *= MAX (ti->dims[i], 0);
  return n;
}

/* g_file_get_contents, but only of a regular file: a device or a pipe
 * (--input /dev/zero) would be read without end. */
static gboolean
read_regular_file (const char *path, char **data, gsize * len, GError ** error)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS)
      && !g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not a regular "
        "file (raw little-endian float32 values expected)", path);
    return FALSE;
  }
  return g_file_get_contents (path, data, len, error);
}

/* Prints the detections of each image of output 0 (out: batch images'
 * outputs, one after the other; in: their files) with the default
 * thresholds of yolo-head.h, boxes in model-input pixels. Models whose
 * head is not a detection head (another task, an unknown layout) get one
 * line saying why. */
static void
print_detections (YoloEngine * e, const YoloTensorInfo * oi, const float *out,
    int batch, char **inputs, guint n_inputs, const YoloTensorInfo * ii)
{
  YoloHeadParams hp = YOLO_HEAD_PARAMS_DEFAULT;
  YoloHeadLayout layout;
  YoloLetterbox lb;
  YoloModelInfo *mi;
  GError *err = NULL;
  char *why = NULL;
  YoloFamily family = yolo_engine_detect_family (e, &why);
  gint64 dims[G_N_ELEMENTS (oi->dims)], per = 1;
  int in_h = ii->ndim == 4 ? (int) ii->dims[2] : 0;
  int in_w = ii->ndim == 4 ? (int) ii->dims[3] : 0;

  memcpy (dims, oi->dims, sizeof (gint64) * oi->ndim);
  if (oi->ndim >= 1 && dims[0] == batch)
    dims[0] = 1;
  for (int d = 0; d < oi->ndim; d++)
    per *= MAX (dims[d], 0);
  if (family == YOLO_FAMILY_UNKNOWN || ii->ndim != 4
      || !yolo_head_layout_init (&layout, family, oi->ndim, dims, in_w, in_h,
          &err)) {
    printf ("detections: not decoded (%s)\n", err ? err->message : why ?
        why : "no detection head");
    g_clear_error (&err);
    g_free (why);
    return;
  }
  g_free (why);
  /* (NMS is quadratic in the candidates: a model of 1280x1280 input has
   * 33600 boxes; far more means a broken output, not a detector) */
  if (layout.n_boxes > 200000) {
    printf ("detections: not decoded (%d boxes per image: more than a "
        "detector's 200000)\n", layout.n_boxes);
    return;
  }
  yolo_letterbox_compute (in_w, in_h, in_w, in_h, YOLO_RESIZE_LETTERBOX,
      TRUE, &lb);
  mi = yolo_model_info_new (e->graph);
  for (int b = 0; b < batch; b++) {
    GArray *dets = yolo_head_decode (&layout, &hp, out + b * per, &lb);
    const char *in = inputs[n_inputs == 1 ? 0 : b];
    char *ein = g_strescape (in, NULL);

    printf ("image %d (%s): %u detection%s (score > %.2f, IoU %.2f; boxes "
        "x1,y1,x2,y2 in input pixels)\n", b, ein, dets->len,
        dets->len == 1 ? "" : "s", hp.conf_threshold, hp.iou_threshold);
    for (guint i = 0; i < dets->len; i++) {
      const YoloDetection *d = &g_array_index (dets, YoloDetection, i);
      const char *raw = d->class_id >= 0
          && (guint) d->class_id < mi->names->len ?
          g_ptr_array_index (mi->names, d->class_id) : NULL;
      char *name = raw ? yolo_escape_name (raw) : NULL;

      printf ("  %3d %-14s %.3f  %.1f,%.1f,%.1f,%.1f\n", d->class_id,
          name ? name : raw ? raw : "-", d->score, d->x1, d->y1, d->x2, d->y2);
      g_free (name);
    }
    g_free (ein);
    g_array_unref (dets);
  }
  yolo_model_info_free (mi);
}

static int
cmd_run (int argc, char **argv)
{
  char **inputs = NULL, *output = NULL, *device = NULL, *size = NULL;
  int out_index = 0, batch = 1;
  GOptionEntry entries[] = {
    {"input", 'i', 0, G_OPTION_ARG_FILENAME_ARRAY, &inputs,
          "Raw little-endian float32 input of one image in the model's input "
          "shape (with --batch: given once, repeated, or once per image)",
        "IN"},
    {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
        "Where to write the output as raw float32", "OUT"},
    {"batch", 'b', 0, G_OPTION_ARG_INT, &batch,
        "Images per inference (default 1)", "N"},
    {"device", 'd', 0, G_OPTION_ARG_STRING, &device, "OpenCL device", "SPEC"},
    {"output-index", 'n', 0, G_OPTION_ARG_INT, &out_index,
        "Which output to write (default 0)", "N"},
    {"size", 's', 0, G_OPTION_ARG_STRING, &size,
        "Input size for dynamic models", "HxW"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  YoloEngineOptions opt = { 0 };
  EngineArgs eargs = { 0 };
  YoloEngine *e = NULL;
  YoloTensorInfo in_info, out_info, out0_info;
  char **in_data = NULL;
  gsize *in_len = NULL;
  guint n_inputs;
  float *in_f = NULL, *out_f = NULL, *out0_f = NULL;
  gint64 in_n, img_n, out_n, k;
  int ret = 1;

  ctx = g_option_context_new ("MODEL - run one inference");
  g_option_context_add_main_entries (ctx, entries, NULL);
  engine_args_add (ctx, &eargs);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error ("%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 3) {
    ret = usage_error ("run needs exactly one MODEL");
    goto out;
  }
  if (inputs == NULL || output == NULL) {
    ret = usage_error ("run needs --input and --output");
    goto out;
  }
  if (!parse_size (size, &opt.input_height, &opt.input_width)) {
    ret = usage_error ("invalid --size '%s' (expected HxW or N)", size);
    goto out;
  }
  if (!batch_ok (batch)) {
    ret = usage_error ("--batch %d: give 1 to 256 images per inference", batch);
    goto out;
  }
  n_inputs = g_strv_length (inputs);
  if (n_inputs != 1 && n_inputs != (guint) batch) {
    ret = usage_error ("--input given %u times for --batch %d: give one "
        "file (every image) or one per image", n_inputs, batch);
    goto out;
  }

  in_data = g_new0 (char *, n_inputs);
  in_len = g_new0 (gsize, n_inputs);
  for (guint i = 0; i < n_inputs; i++)
    if (!read_regular_file (inputs[i], &in_data[i], &in_len[i], &error)) {
      ret = fail (error);
      goto out;
    }

  opt.device = device;
  opt.batch = batch;
  engine_args_apply (&eargs, &opt);
  e = yolo_engine_new (argv[2], &opt, &error);
  if (e == NULL) {
    ret = fail (error);
    goto out;
  }
  if (out_index < 0 || (guint) out_index >= yolo_engine_n_outputs (e)) {
    fprintf (stderr, PROG ": --output-index %d out of range (the model has "
        "%u outputs)\n", out_index, yolo_engine_n_outputs (e));
    goto out;
  }
  if (!yolo_engine_input_info (e, 0, &in_info)
      || !yolo_engine_output_info (e, out_index, &out_info)
      || !yolo_engine_output_info (e, 0, &out0_info)) {
    fprintf (stderr, PROG ": the model has no input or output\n");
    goto out;
  }
  if (!size_applies (argv[2], in_info.ndim, in_info.dims, opt.input_height,
          opt.input_width))
    goto out;
  in_n = info_numel (&in_info);
  img_n = in_n / batch;
  out_n = info_numel (&out_info);
  for (guint i = 0; i < n_inputs; i++)
    if ((gint64) in_len[i] != img_n * 4) {
      char *d;
      gboolean half = !g_strcmp0 (in_info.dtype, "float16");

      if (batch > 1)
        in_info.dims[0] = 1;
      d = dims_str (in_info.ndim, in_info.dims);
      fprintf (stderr, PROG ": %s has %" G_GSIZE_FORMAT " bytes, but input "
          "'%s' %s%s needs %" G_GINT64_FORMAT " float32 values (%"
          G_GINT64_FORMAT " bytes)%s\n", inputs[i], in_len[i], in_info.name,
          d, batch > 1 ? " (one image)" : "", img_n, img_n * 4,
          half ? "; float32 for a float16 input too (the engine rounds it)" :
          "");
      g_free (d);
      goto out;
    }

  in_f = g_new (float, MAX (in_n, 1));
  for (int b = 0; b < batch; b++) {
    const char *src = in_data[n_inputs == 1 ? 0 : b];

    for (k = 0; k < img_n; k++) {
      guint32 v;
      memcpy (&v, src + 4 * k, 4);
      v = GUINT32_FROM_LE (v);
      memcpy (&in_f[b * img_n + k], &v, 4);
    }
  }
  out_f = g_new0 (float, MAX (out_n, 1));
  if (!yolo_engine_set_input (e, in_f, &error)
      || !yolo_engine_run (e, &error)
      || !yolo_engine_get_output (e, out_index, out_f, &error)) {
    ret = fail (error);
    goto out;
  }
  /* each image's detections, from output 0 */
  if (out_index == 0) {
    print_detections (e, &out_info, out_f, batch, inputs, n_inputs, &in_info);
  } else {
    out0_f = g_new0 (float, MAX (info_numel (&out0_info), 1));
    if (!yolo_engine_get_output (e, 0, out0_f, &error)) {
      ret = fail (error);
      goto out;
    }
    print_detections (e, &out0_info, out0_f, batch, inputs, n_inputs, &in_info);
  }
  for (k = 0; k < out_n; k++) {
    guint32 v;
    memcpy (&v, &out_f[k], 4);
    v = GUINT32_TO_LE (v);
    memcpy (&out_f[k], &v, 4);
  }
  if (!write_output (output, out_f, (gsize) out_n * 4, &error)) {
    ret = fail (error);
    goto out;
  }
  {
    char *d = dims_str (out_info.ndim, out_info.dims);
    printf ("%s: wrote output %d '%s' %s (%" G_GINT64_FORMAT " float32%s) to "
        "%s\n", yolo_engine_device_name (e), out_index, out_info.name, d,
        out_n, batch > 1 ? ", the images one after the other" : "", output);
    g_free (d);
  }
  ret = 0;

out:
  g_option_context_free (ctx);
  if (e)
    yolo_engine_free (e);
  for (guint i = 0; in_data && i < g_strv_length (inputs); i++)
    g_free (in_data[i]);
  g_free (in_data);
  g_free (in_len);
  g_free (in_f);
  g_free (out_f);
  g_free (out0_f);
  g_strfreev (inputs);
  g_free (output);
  g_free (device);
  g_free (size);
  engine_args_clear (&eargs);
  return ret;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static int
cmd_bench (int argc, char **argv)
{
  int iterations = 20, warmup = 3, batch = 1;
  gboolean json = FALSE, profile = FALSE;
  double peak_gflops = 0, model_flops = 0;
  const YoloDeviceInfo *dev;
  char *device = NULL, *size = NULL;
  GOptionEntry entries[] = {
    {"iterations", 'n', 0, G_OPTION_ARG_INT, &iterations,
        "Timed iterations (default 20)", "N"},
    {"batch", 'b', 0, G_OPTION_ARG_INT, &batch,
        "Images per inference (default 1; fps counts images)", "N"},
    {"warmup", 'w', 0, G_OPTION_ARG_INT, &warmup,
        "Untimed warm-up iterations (default 3)", "N"},
    {"device", 'd', 0, G_OPTION_ARG_STRING, &device, "OpenCL device", "SPEC"},
    {"json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print one JSON line", NULL},
    {"profile", 'p', 0, G_OPTION_ARG_NONE, &profile,
        "Print per-kernel timings of the last run", NULL},
    {"size", 's', 0, G_OPTION_ARG_STRING, &size,
        "Input size for dynamic models", "HxW"},
    {"peak-gflops", 0, 0, G_OPTION_ARG_DOUBLE, &peak_gflops,
        "The device's fp32 peak (yolo-engine peak) for % of peak; with "
          "--profile and without it, measured after the timed runs", "G"},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  YoloEngineOptions opt = { 0 };
  EngineArgs eargs = { 0 };
  YoloEngine *e = NULL;
  YoloTensorInfo in_info, out_info;
  float *in_f = NULL;
  double *times = NULL, *cpu_ms = NULL;
  gint64 in_n, k;
  int i, ret = 1;

  ctx = g_option_context_new ("MODEL - time inferences");
  g_option_context_add_main_entries (ctx, entries, NULL);
  engine_args_add (ctx, &eargs);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error ("%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 3) {
    ret = usage_error ("bench needs exactly one MODEL");
    goto out;
  }
  if (iterations < 1 || iterations > 1000000 || warmup < 0 || warmup > 1000000) {
    ret = usage_error ("--iterations must be >= 1 and --warmup >= 0");
    goto out;
  }
  if (!parse_size (size, &opt.input_height, &opt.input_width)) {
    ret = usage_error ("invalid --size '%s' (expected HxW or N)", size);
    goto out;
  }
  if (!(peak_gflops >= 0 && peak_gflops < 1e12)) {
    ret = usage_error ("--peak-gflops must be a positive figure");
    goto out;
  }
  if (!batch_ok (batch)) {
    ret = usage_error ("--batch %d: give 1 to 256 images per inference", batch);
    goto out;
  }

  opt.device = device;
  opt.profile = profile;
  opt.batch = batch;
  engine_args_apply (&eargs, &opt);
  e = yolo_engine_new (argv[2], &opt, &error);
  if (e == NULL) {
    ret = fail (error);
    goto out;
  }
  if (!yolo_engine_input_info (e, 0, &in_info)
      || !yolo_engine_output_info (e, 0, &out_info)) {
    fprintf (stderr, PROG ": the model has no input or output\n");
    goto out;
  }
  if (!size_applies (argv[2], in_info.ndim, in_info.dims, opt.input_height,
          opt.input_width))
    goto out;
  in_n = info_numel (&in_info);
  in_f = g_new (float, MAX (in_n, 1));
  for (k = 0; k < in_n; k++)    /* deterministic image-like values in 0..1 */
    in_f[k] = (float) ((k * 2654435761u) % 256) / 255.0f;
  times = g_new0 (double, iterations);
  cpu_ms = g_new0 (double, iterations);

  for (i = 0; i < warmup + iterations; i++) {
    double c0 = yolo_peak_cpu_seconds ();
    gint64 t0 = g_get_monotonic_time ();
    /* the input and output as onnxruntime takes and hands them over: the
     * input read where it lies, the output on the host where the engine
     * keeps it (on CPU devices, neither copied) */
    if (!yolo_engine_bind_input (e, in_f, &error)
        || !yolo_engine_run (e, &error)
        || !yolo_engine_output_data (e, 0, &error)) {
      ret = fail (error);
      goto out;
    }
    if (i == 0)
      yolo_memstat_log ("the first inference");
    if (i >= warmup) {
      times[i - warmup] = (g_get_monotonic_time () - t0) / 1000.0;
      cpu_ms[i - warmup] = (yolo_peak_cpu_seconds () - c0) * 1000.0;
    }
  }
  model_flops = yolo_graph_flops (e->graph);
  /* the device's peak, measured right after the model's runs (a loaded
   * machine gives both the same share) */
  if (profile && peak_gflops <= 0) {
    YoloPeak pk;
    if (!yolo_peak_device (&opt, 0, 50, 5, &pk, &error)) {
      ret = fail (error);
      goto out;
    }
    peak_gflops = pk.gflops;
    yolo_peak_clear (&pk);
  }
  dev = yolo_rt_device (e->rt);

  {
    double sum = 0, median, mn, mx, mean, gflops, cpu_median, rate;
    qsort (times, iterations, sizeof (double), cmp_double);
    for (i = 0; i < iterations; i++)
      sum += times[i];
    mean = sum / iterations;
    mn = times[0];
    mx = times[iterations - 1];
    median = iterations % 2 ? times[iterations / 2]
        : (times[iterations / 2 - 1] + times[iterations / 2]) / 2;
    gflops = median > 0 ? model_flops / (median * 1e6) : 0;
    qsort (cpu_ms, iterations, sizeof (double), cmp_double);
    cpu_median = iterations % 2 ? cpu_ms[iterations / 2]
        : (cpu_ms[iterations / 2 - 1] + cpu_ms[iterations / 2]) / 2;
    /* % of peak on the peak's own basis (yolo-peak.h): on CPU devices
     * FLOPs per core-second of this process, elsewhere per wall second */
    rate = !dev->is_cpu ? gflops : cpu_median > 0 ?
        model_flops / (cpu_median / yolo_peak_cores (dev) * 1e6) : 0;

    if (json) {
      GString *s = g_string_new ("{\"model\":");
      json_str (s, argv[2]);
      g_string_append (s, ",\"device\":");
      json_str (s, yolo_engine_device_name (e));
      g_string_append_printf (s, ",\"iterations\":%d,\"warmup\":%d,"
          "\"batch\":%d", iterations, warmup, MAX (batch, 1));
      g_string_append (s, ",\"median_ms\":");
      json_num (s, median);
      g_string_append (s, ",\"min_ms\":");
      json_num (s, mn);
      g_string_append (s, ",\"mean_ms\":");
      json_num (s, mean);
      g_string_append (s, ",\"max_ms\":");
      json_num (s, mx);
      g_string_append (s, ",\"fps\":");
      json_num (s, median > 0 ? 1000.0 * MAX (batch, 1) / median : 0);
      g_string_append (s, ",\"gflop\":");
      json_num (s, model_flops / 1e9);
      g_string_append (s, ",\"gflops\":");
      json_num (s, gflops);
      g_string_append (s, ",\"cpu_median_ms\":");
      json_num (s, cpu_median);
      g_string_append (s, ",\"peak_basis_gflops\":");
      json_num (s, rate);
      g_string_append_printf (s, ",\"peak_basis\":\"%s\"",
          dev->is_cpu ? "cpu-time" : "wall");
      if (peak_gflops > 0) {
        g_string_append (s, ",\"peak_gflops\":");
        json_num (s, peak_gflops);
        g_string_append (s, ",\"peak_pct\":");
        json_num (s, 100.0 * rate / peak_gflops);
      }
      g_string_append (s, "}\n");
      fputs (s->str, stdout);
      g_string_free (s, TRUE);
    } else {
      printf ("model:      %s\n", argv[2]);
      printf ("device:     %s\n", yolo_engine_device_name (e));
      printf ("iterations: %d (warm-up %d)\n", iterations, warmup);
      if (batch > 1)
        printf ("batch:      %d images per inference\n", batch);
      printf ("median %.3f ms, min %.3f ms, mean %.3f ms, max %.3f ms "
          "(%.1f fps)\n", median, mn, mean, mx,
          median > 0 ? 1000.0 * MAX (batch, 1) / median : 0.0);
      printf ("model:      %.3f GFLOP, %.2f GFLOP/s at the median", model_flops
          / 1e9, gflops);
      if (dev->is_cpu)
        printf ("; CPU time %.3f ms per run (median), %.2f GFLOP/s per core"
            "-second", cpu_median, rate);
      if (peak_gflops > 0)
        printf (", %.1f%% of the device's peak %.1f GFLOP/s",
            100.0 * rate / peak_gflops, peak_gflops);
      printf ("\n");
    }
  }
  if (profile) {
    char *table = yolo_engine_profile_table_peak (e, peak_gflops);
    /* keep stdout a single JSON line with --json */
    fputs (table ? table : "(no profile)\n", json ? stderr : stdout);
    g_free (table);
  }
  fflush (stdout);
  ret = 0;

out:
  g_option_context_free (ctx);
  if (e)
    yolo_engine_free (e);
  g_free (in_f);
  g_free (times);
  g_free (cpu_ms);
  g_free (device);
  g_free (size);
  engine_args_clear (&eargs);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* compare */

/* Reads raw little-endian float32 values; NULL (error set) unless the file
 * holds exactly N of them. */
static float *
read_f32 (const char *path, gint64 n, GError ** error)
{
  char *data = NULL;
  gsize len = 0;
  float *f;
  gint64 k;

  if (!read_regular_file (path, &data, &len, error))
    return NULL;
  if ((gint64) len != n * 4) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s has %"
        G_GSIZE_FORMAT " bytes, but output 0 has %" G_GINT64_FORMAT
        " float32 values (%" G_GINT64_FORMAT " bytes)", path, len, n, n * 4);
    g_free (data);
    return NULL;
  }
  f = g_new (float, MAX (n, 1));
  for (k = 0; k < n; k++) {
    guint32 v;
    memcpy (&v, data + 4 * k, 4);
    v = GUINT32_FROM_LE (v);
    memcpy (&f[k], &v, 4);
  }
  g_free (data);
  return f;
}

static int
cmd_compare (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    {"json", 'j', 0, G_OPTION_ARG_NONE, &json,
        "Print one JSON line (the details go to stderr)", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  YoloGraph *g = NULL;
  YoloModelInfo *mi = NULL;
  YoloTensor *t;
  YoloParity res = { 0 };
  float *ref = NULL, *got = NULL;
  int ret = 1;

  ctx = g_option_context_new ("MODEL REF.f32 OUT.f32 - check output 0 "
      "against a reference");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error ("%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 5) {
    ret = usage_error ("compare needs MODEL, REF.f32 and OUT.f32");
    goto out;
  }
  g = yolo_onnx_load (argv[2], &error);
  if (g == NULL || !yolo_graph_sort (g, &error)
      || !yolo_graph_infer (g, &error)) {
    ret = fail (error);
    goto out;
  }
  mi = yolo_model_info_new (g);
  if (mi->family == YOLO_FAMILY_UNKNOWN || g->outputs->len == 0) {
    fprintf (stderr, PROG ": %s: cannot tell the head layout (%s)\n",
        argv[2], mi->family_reason ? mi->family_reason : "no output");
    goto out;
  }
  t = YOLO_T (g, g_array_index (g->outputs, int, 0));
  {
    gint64 n = 1;
    int i;
    for (i = 0; i < t->ndim; i++)
      n *= MAX (t->dims[i], 0);
    if (t->ndim < 0 || (ref = read_f32 (argv[3], n, &error)) == NULL
        || (got = read_f32 (argv[4], n, &error)) == NULL) {
      if (error == NULL)
        g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
            "output 0 of %s has no known shape", argv[2]);
      ret = fail (error);
      goto out;
    }
  }
  if (!yolo_parity_compare (mi->family, t->ndim, t->dims, ref, got, &res)) {
    fprintf (stderr, PROG ": %s", res.log->str);
    goto out;
  }
  {
    FILE *f = json ? stderr : stdout;
    char *d = dims_str (t->ndim, t->dims);
    fprintf (f, "model %s (%s), output 0 '%s' %s\n%s", argv[2],
        yolo_family_name (mi->family), t->name, d, res.log->str);
    fprintf (f, "%s: %s\n", res.ok ? "PASS" : "FAIL", res.ok ?
        "output 0 matches the reference" : "output 0 differs from the "
        "reference");
    g_free (d);
  }
  if (json) {
    GString *s = g_string_new ("{\"model\":");
    json_str (s, argv[2]);
    g_string_append (s, ",\"family\":");
    json_str (s, yolo_family_name (mi->family));
    g_string_append (s, ",\"box_err\":");
    json_num (s, res.box_err);
    g_string_append (s, ",\"score_err\":");
    json_num (s, res.score_err);
    g_string_append_printf (s, ",\"n_bad\":%" G_GINT64_FORMAT ",\"ok\":%s}\n",
        res.n_bad, res.ok ? "true" : "false");
    fputs (s->str, stdout);
    g_string_free (s, TRUE);
  }
  fflush (stdout);
  ret = res.ok ? 0 : 2;

out:
  g_option_context_free (ctx);
  yolo_parity_clear (&res);
  if (mi)
    yolo_model_info_free (mi);
  if (g)
    yolo_graph_free (g);
  g_free (ref);
  g_free (got);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* peak */

/* The CPU's model name (/proc/cpuinfo), or NULL. */
static char *
cpu_model (void)
{
  char *text = NULL, *name = NULL;

  if (g_file_get_contents ("/proc/cpuinfo", &text, NULL, NULL)) {
    char **lines = g_strsplit (text, "\n", -1);
    for (guint i = 0; lines[i] && !name; i++)
      if (g_str_has_prefix (lines[i], "model name")
          && strchr (lines[i], ':'))
        name = g_strstrip (g_strdup (strchr (lines[i], ':') + 1));
    g_strfreev (lines);
    g_free (text);
  }
  return name;
}

static void
peak_json (GString * s, const YoloPeak * p)
{
  g_string_append (s, "{\"name\":");
  json_str (s, p->what);
  g_string_append (s, ",\"gflops\":");
  json_num (s, p->gflops);
  g_string_append (s, ",\"min_gflops\":");
  json_num (s, p->min_gflops);
  g_string_append (s, ",\"max_gflops\":");
  json_num (s, p->max_gflops);
  g_string_append (s, ",\"wall_gflops\":");
  json_num (s, p->wall_gflops);
  g_string_append_printf (s, ",\"basis\":\"%s\"", p->cpu_time ? "cpu-time"
      : "wall");
  g_string_append_printf (s, ",\"runs\":%u,\"vector_width\":%u,"
      "\"parallel\":%u,\"work_items\":%" G_GUINT64_FORMAT
      ",\"iterations\":%" G_GINT64_FORMAT "}", p->runs, p->vector_width,
      p->parallel, p->work_items, p->iterations);
}

static int
cmd_peak (int argc, char **argv)
{
  int vector_width = 0, threads = 0, runs = 5;
  double ms = 100;
  gboolean json = FALSE, no_device = FALSE, no_host = FALSE;
  char *device = NULL, *cpu = NULL;
  GOptionEntry entries[] = {
    {"device", 'd', 0, G_OPTION_ARG_STRING, &device, "OpenCL device", "SPEC"},
    {"vector-width", 0, 0, G_OPTION_ARG_INT, &vector_width,
        "Device kernel's float width: 1, 2, 4, 8, 16 (default: the "
          "device's preference)", "N"},
    {"threads", 't', 0, G_OPTION_ARG_INT, &threads,
        "Host threads (default: one per core)", "N"},
    {"ms", 0, 0, G_OPTION_ARG_DOUBLE, &ms,
        "Wall time of one timed run (default 100)", "MS"},
    {"runs", 'n', 0, G_OPTION_ARG_INT, &runs,
        "Timed runs; the median is reported (default 5)", "N"},
    {"no-device", 0, 0, G_OPTION_ARG_NONE, &no_device,
        "Skip the OpenCL device", NULL},
    {"no-host", 0, 0, G_OPTION_ARG_NONE, &no_host, "Skip the host CPU", NULL},
    {"json", 'j', 0, G_OPTION_ARG_NONE, &json, "Print one JSON line", NULL},
    {NULL}
  };
  GOptionContext *ctx;
  GError *error = NULL;
  YoloEngineOptions opt = { 0 };
  YoloPeak dev = { 0 }, host = { 0 };
  int ret = 1;

  ctx = g_option_context_new ("- measure the fp32 FMA peak");
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    ret = usage_error ("%s", error->message);
    g_clear_error (&error);
    goto out;
  }
  if (argc != 2) {
    ret = usage_error ("peak takes no positional arguments");
    goto out;
  }
  if (threads < 0 || vector_width < 0) {
    ret = usage_error ("--threads and --vector-width must be >= 0");
    goto out;
  }
  if (no_device && no_host) {
    ret = usage_error ("--no-device and --no-host leave nothing to measure");
    goto out;
  }
  opt.device = device;
  if (!no_device && !yolo_peak_device (&opt, (guint) vector_width, ms,
          (guint) MAX (runs, 0), &dev, &error)) {
    ret = fail (error);
    goto out;
  }
  if (!no_host && !yolo_peak_host ((guint) threads, ms, (guint) MAX (runs, 0),
          &host, &error)) {
    ret = fail (error);
    goto out;
  }
  cpu = cpu_model ();
  if (json) {
    GString *s = g_string_new ("{\"cpu\":");
    json_str (s, cpu);
    g_string_append (s, ",\"device\":");
    if (no_device)
      g_string_append (s, "null");
    else
      peak_json (s, &dev);
    g_string_append (s, ",\"host\":");
    if (no_host)
      g_string_append (s, "null");
    else
      peak_json (s, &host);
    g_string_append (s, "}\n");
    fputs (s->str, stdout);
    g_string_free (s, TRUE);
  } else {
    if (!no_device) {
      char vtype[16] = "float";
      if (dev.vector_width > 1)
        g_snprintf (vtype, sizeof vtype, "float%u", dev.vector_width);
      printf ("device: %s: %.1f GFLOP/s fp32%s (median of %u runs, %.1f to "
          "%.1f; by wall time %.1f; 24 mad chains of %s per work-item, %"
          G_GUINT64_FORMAT " work-items, %u compute units)\n", dev.what,
          dev.gflops, dev.cpu_time ? " per CPU time" : "", dev.runs,
          dev.min_gflops, dev.max_gflops, dev.wall_gflops, vtype,
          dev.work_items, dev.parallel);
    }
    if (!no_host)
      printf ("host:   %s (%s): %.1f GFLOP/s fp32 per CPU time (median of "
          "%u runs, %.1f to %.1f; by wall time %.1f; 12 FMA chains of %u "
          "floats per thread)\n", cpu ? cpu : "unknown CPU", host.what,
          host.gflops, host.runs, host.min_gflops, host.max_gflops,
          host.wall_gflops, host.vector_width);
  }
  fflush (stdout);
  ret = 0;

out:
  g_option_context_free (ctx);
  yolo_peak_clear (&dev);
  yolo_peak_clear (&host);
  g_free (device);
  g_free (cpu);
  return ret;
}

int
main (int argc, char **argv)
{
  const char *cmd;

  if (argc < 2)
    return usage_error ("missing command");
  cmd = argv[1];
  if (!strcmp (cmd, "-h") || !strcmp (cmd, "--help") || !strcmp (cmd, "help")) {
    fputs (usage_text, stdout);
    return 0;
  }
  if (!strcmp (cmd, "devices"))
    return cmd_devices (argc, argv);
  if (!strcmp (cmd, "info"))
    return cmd_info (argc, argv);
  if (!strcmp (cmd, "run"))
    return cmd_run (argc, argv);
  if (!strcmp (cmd, "bench"))
    return cmd_bench (argc, argv);
  if (!strcmp (cmd, "compare"))
    return cmd_compare (argc, argv);
  if (!strcmp (cmd, "peak"))
    return cmd_peak (argc, argv);
  return usage_error ("unknown command '%s'", cmd);
}
