/* yolo-model-info.c - what a loaded YOLO graph is: head layout (family),
 * classes, input size, parameter count, FLOPs and op histogram.
 *
 * Family detection looks at output 0 ([1, a, b]) and the Ultralytics
 * metadata_props (names, stride, task, imgsz, end2end):
 *
 *   metadata end2end=True, args nms=True with [1, N, 6],
 *   or [1, N, 6] with N <= 1000                          -> end2end
 *   task=detect / names metadata, [1, 4+nc, N], N > 4+nc -> ultralytics
 *   names metadata, [1, N, 5+nc], N > 5+nc               -> yolov5
 *   anything else (YOLOX has no metadata)                 -> unknown + reason
 */
#include <stdlib.h>
#include <string.h>

#include "yolo-model-info.h"
#include "yolo-flops.h"

#define YOLO_END2END_MAX_DETS 1000
#define YOLO_NAMES_MAX_ID 100000

static const char *const family_names[] = {
  [YOLO_FAMILY_UNKNOWN] = "unknown",
  [YOLO_FAMILY_ULTRALYTICS] = "ultralytics",
  [YOLO_FAMILY_END2END] = "end2end",
  [YOLO_FAMILY_YOLOV5] = "yolov5",
  [YOLO_FAMILY_YOLOX] = "yolox",
};

const char *
yolo_family_name (YoloFamily f)
{
  if ((int) f >= 0 && (int) f < (int) G_N_ELEMENTS (family_names))
    return family_names[f];
  return "unknown";
}

gboolean
yolo_family_from_name (const char *name, YoloFamily * out)
{
  static const struct
  {
    const char *name;
    YoloFamily family;
  } aliases[] = {
    {"auto", YOLO_FAMILY_UNKNOWN},
    {"unknown", YOLO_FAMILY_UNKNOWN},
    {"ultralytics", YOLO_FAMILY_ULTRALYTICS},
    {"yolov8", YOLO_FAMILY_ULTRALYTICS},
    {"yolo11", YOLO_FAMILY_ULTRALYTICS},
    {"end2end", YOLO_FAMILY_END2END},
    {"yolo26", YOLO_FAMILY_END2END},
    {"yolov10", YOLO_FAMILY_END2END},
    {"yolov5", YOLO_FAMILY_YOLOV5},
    {"yolox", YOLO_FAMILY_YOLOX},
  };
  guint i;

  if (name == NULL)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (aliases); i++) {
    if (g_ascii_strcasecmp (name, aliases[i].name) == 0) {
      if (out)
        *out = aliases[i].family;
      return TRUE;
    }
  }
  return FALSE;
}

/* ------------------------------------------------------------------------ */
/* names dict literal */

static const char *
skip_ws (const char *p)
{
  while (*p && g_ascii_isspace (*p))
    p++;
  return p;
}

static gboolean
hex_value (const char *p, int n, gunichar * out)
{
  gunichar v = 0;
  int i;

  for (i = 0; i < n; i++) {
    if (!g_ascii_isxdigit (p[i]))
      return FALSE;
    v = v * 16 + g_ascii_xdigit_value (p[i]);
  }
  *out = v;
  return TRUE;
}

/* Parses a Python string literal ('...' or "...") at *pp; advances *pp. */
static char *
parse_py_string (const char **pp)
{
  const char *p = *pp;
  char quote = *p;
  GString *s;

  if (quote != '\'' && quote != '"')
    return NULL;
  p++;
  s = g_string_new (NULL);
  while (*p && *p != quote) {
    if (*p == '\\') {
      gunichar u;
      p++;
      switch (*p) {
        case '\0':
          goto fail;
        case 'n':
          g_string_append_c (s, '\n');
          p++;
          break;
        case 't':
          g_string_append_c (s, '\t');
          p++;
          break;
        case 'r':
          g_string_append_c (s, '\r');
          p++;
          break;
        case '\\':
        case '\'':
        case '"':
          g_string_append_c (s, *p);
          p++;
          break;
        case 'x':
        case 'u':
        case 'U':{
          int n = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
          int k;
          for (k = 1; k <= n; k++)
            if (p[k] == '\0')
              goto fail;
          if (!hex_value (p + 1, n, &u) || !g_unichar_validate (u))
            goto fail;
          g_string_append_unichar (s, u);
          p += 1 + n;
          break;
        }
        default:
          /* unknown escape: Python keeps the backslash */
          g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
          p++;
          break;
      }
    } else {
      g_string_append_c (s, *p);
      p++;
    }
  }
  if (*p != quote)
    goto fail;
  *pp = p + 1;
  return g_string_free (s, FALSE);

fail:
  g_string_free (s, TRUE);
  return NULL;
}

typedef struct
{
  gint64 id;
  char *name;
} NameEntry;

GPtrArray *
yolo_parse_names (const char *literal)
{
  GArray *entries;
  GPtrArray *names = NULL;
  const char *p;
  gboolean dict;
  char close;
  gint64 max_id = -1, next_id = 0;
  guint i;

  if (literal == NULL)
    return NULL;
  p = skip_ws (literal);
  if (*p == '{')
    dict = TRUE;
  else if (*p == '[')
    dict = FALSE;
  else
    return NULL;
  close = dict ? '}' : ']';
  p++;

  entries = g_array_new (FALSE, FALSE, sizeof (NameEntry));
  for (;;) {
    NameEntry e;

    p = skip_ws (p);
    if (*p == close)
      break;
    if (dict) {
      char *end;
      guint64 v;
      if (!g_ascii_isdigit (*p))
        goto fail;
      v = g_ascii_strtoull (p, &end, 10);
      if (end == p || v > YOLO_NAMES_MAX_ID)
        goto fail;
      e.id = (gint64) v;
      p = skip_ws (end);
      if (*p != ':')
        goto fail;
      p = skip_ws (p + 1);
    } else {
      if (next_id > YOLO_NAMES_MAX_ID)
        goto fail;
      e.id = next_id++;
    }
    e.name = parse_py_string (&p);
    if (e.name == NULL)
      goto fail;
    /* raw bytes from the file: labels end up in GStreamer structures,
     * JSON and pango, which all take UTF-8 only */
    if (!g_utf8_validate (e.name, -1, NULL)) {
      char *valid = g_utf8_make_valid (e.name, -1);
      g_free (e.name);
      e.name = valid;
    }
    g_array_append_val (entries, e);
    max_id = MAX (max_id, e.id);
    p = skip_ws (p);
    if (*p == ',')
      p++;
    else if (*p != close)
      goto fail;
  }
  p = skip_ws (p + 1);
  if (*p != '\0')
    goto fail;

  names = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_set_size (names, (guint) (max_id + 1));
  for (i = 0; i < entries->len; i++) {
    NameEntry *e = &g_array_index (entries, NameEntry, i);
    g_free (g_ptr_array_index (names, e->id));
    g_ptr_array_index (names, e->id) = e->name;
    e->name = NULL;
  }
  for (i = 0; i < names->len; i++) {
    if (g_ptr_array_index (names, i) == NULL)
      g_ptr_array_index (names, i) = g_strdup_printf ("class %u", i);
  }
  g_array_free (entries, TRUE);
  return names;

fail:
  for (i = 0; i < entries->len; i++)
    g_free (g_array_index (entries, NameEntry, i).name);
  g_array_free (entries, TRUE);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* family detection */

static const char *
meta (YoloGraph * g, const char *key)
{
  if (g->metadata == NULL)
    return NULL;
  return g_hash_table_lookup (g->metadata, key);
}

static gboolean
meta_is_true (const char *v)
{
  return v && (g_ascii_strcasecmp (v, "true") == 0 || strcmp (v, "1") == 0);
}

static gboolean
meta_is_false (const char *v)
{
  return v && (g_ascii_strcasecmp (v, "false") == 0 || strcmp (v, "0") == 0);
}

/* Output 0 as [1, a, b]; dims < 0 are unknown. FALSE if not rank 3 (or 2). */
static gboolean
output_ab (YoloGraph * g, gint64 * a, gint64 * b, char *shape, gsize len)
{
  YoloTensor *t;

  if (g->outputs == NULL || g->outputs->len == 0)
    return FALSE;
  t = YOLO_T (g, g_array_index (g->outputs, int, 0));
  yolo_shape_str (t, shape, len);
  /* (or the batch the engine runs, YoloEngineOptions.batch) */
  if (t->ndim == 3 && (t->dims[0] == 1 || t->dims[0] < 0
          || (g->batch_to > 1 && t->dims[0] == g->batch_to))) {
    *a = t->dims[1];
    *b = t->dims[2];
    return TRUE;
  }
  if (t->ndim == 2) {
    *a = t->dims[0];
    *b = t->dims[1];
    return TRUE;
  }
  return FALSE;
}

static int
names_count (YoloGraph * g)
{
  GPtrArray *names = yolo_parse_names (meta (g, "names"));
  int n = names ? (int) names->len : -1;

  if (names)
    g_ptr_array_unref (names);
  return n;
}

/* Cells of the stride 8, 16 and 32 output grids of a fixed [1,C,H,W] input
 * (as YOLOX and YOLOv5 heads lay them out); -1 when the size is unknown. */
static gint64
grid_cells (YoloGraph * g)
{
  static const int strides[] = { 8, 16, 32 };
  YoloTensor *t;
  gint64 n = 0;
  int i;

  if (g->inputs == NULL || g->inputs->len == 0)
    return -1;
  t = YOLO_T (g, g_array_index (g->inputs, int, 0));
  if (t->ndim != 4 || t->dims[2] <= 0 || t->dims[3] <= 0
      || t->dims[2] > 65536 || t->dims[3] > 65536)
    return -1;
  for (i = 0; i < (int) G_N_ELEMENTS (strides); i++)
    n += ((t->dims[2] + strides[i] - 1) / strides[i])
        * ((t->dims[3] + strides[i] - 1) / strides[i]);
  return n;
}

/* TRUE if the Ultralytics "args" metadata (a Python dict literal of the
 * export options) sets key to True. */
static gboolean
export_arg_true (YoloGraph * g, const char *key)
{
  const char *args = meta (g, "args");
  char *pat;
  gboolean ret;

  if (args == NULL)
    return FALSE;
  pat = g_strdup_printf ("'%s': True", key);
  ret = strstr (args, pat) != NULL;
  g_free (pat);
  return ret;
}

static YoloFamily
detect (YoloGraph * g, char **reason)
{
  const char *names = meta (g, "names");
  const char *task = meta (g, "task");
  const char *e2e = meta (g, "end2end");
  gboolean have_meta = names || meta (g, "stride") || task;
  int n_names = names_count (g);
  char shape[128];
  gint64 a = -1, b = -1;

  if (g->outputs == NULL || g->outputs->len == 0) {
    *reason = g_strdup ("the model has no outputs");
    return YOLO_FAMILY_UNKNOWN;
  }
  if (!output_ab (g, &a, &b, shape, sizeof shape)) {
    *reason = g_strdup_printf ("output 0 has shape %s, not [1, a, b] as a "
        "YOLO detection head", shape);
    return YOLO_FAMILY_UNKNOWN;
  }
  if (task && strcmp (task, "detect") != 0) {
    *reason = g_strdup_printf ("metadata task is '%s': not a detection "
        "head (task=detect); yolodetect decodes it with the %s head", task,
        task);
    return YOLO_FAMILY_UNKNOWN;
  }

  /* nms=True: the graph ends in NMS and gives [1, max_det, 6] boxes like an
   * end-to-end head (end2end metadata False) */
  if (export_arg_true (g, "nms") && b == 6) {
    *reason = g_strdup_printf ("exported with nms=True, output %s: "
        "x1,y1,x2,y2,score,class per detection after the graph's NMS", shape);
    return YOLO_FAMILY_END2END;
  }
  if (meta_is_true (e2e)) {
    if (b > 0 && b != 6) {
      *reason = g_strdup_printf ("metadata says end2end=True but output 0 %s "
          "is not [1, N, 6]", shape);
      return YOLO_FAMILY_UNKNOWN;
    }
    *reason = g_strdup_printf ("metadata end2end=True, output %s: "
        "x1,y1,x2,y2,score,class per detection, no NMS needed", shape);
    return YOLO_FAMILY_END2END;
  }
  if (b == 6 && a > 0 && a <= YOLO_END2END_MAX_DETS && !meta_is_false (e2e)) {
    *reason = g_strdup_printf ("output %s looks like end-to-end detections "
        "(x1,y1,x2,y2,score,class)", shape);
    return YOLO_FAMILY_END2END;
  }

  if (have_meta) {
    /* the names say which axis holds the classes where the anchors are
     * fewer than the rows (a small input, many classes: yolo11n at 64x64
     * is [1,84,84], at 32x32 [1,84,21]): an Ultralytics export (it writes
     * task) has 4 + nc rows, a YOLOv5 one (names, no task) 5 + nc columns */
    if (n_names > 0 && task && a == 4 + n_names && b > 0) {
      *reason = g_strdup_printf ("Ultralytics metadata, output %s = "
          "4 box rows + %d class rows (the metadata's names) per anchor",
          shape, n_names);
      return YOLO_FAMILY_ULTRALYTICS;
    }
    if (n_names > 0 && !task && b == 5 + n_names && a > 0) {
      *reason = g_strdup_printf ("names metadata without task (YOLOv5 "
          "export), output %s = 4 box + objectness + %d classes (the "
          "metadata's names) per anchor (YOLOv5 layout)", shape, n_names);
      return YOLO_FAMILY_YOLOV5;
    }
    if (a > 4 && (b < 0 || b > a)) {
      if (n_names > 0 && n_names != a - 4)
        *reason = g_strdup_printf ("Ultralytics metadata, output %s = "
            "4 box rows + %" G_GINT64_FORMAT " classes (but metadata names "
            "has %d)", shape, a - 4, n_names);
      else
        *reason = g_strdup_printf ("Ultralytics metadata, output %s = "
            "4 box rows + %" G_GINT64_FORMAT " class rows per anchor",
            shape, a - 4);
      return YOLO_FAMILY_ULTRALYTICS;
    }
    if (b > 5 && (a < 0 || a > b)) {
      *reason = g_strdup_printf ("names metadata%s, output %s = "
          "4 box + objectness + %" G_GINT64_FORMAT " classes per anchor "
          "(YOLOv5 layout)", task ? "" : " without task (YOLOv5 export)",
          shape, b - 5);
      return YOLO_FAMILY_YOLOV5;
    }
    *reason = g_strdup_printf ("output %s matches no known detection head "
        "layout", shape);
    return YOLO_FAMILY_UNKNOWN;
  }

  /* No metadata, [1, N, 5+nc]: YOLOX has one prediction per grid cell of
   * the stride 8, 16 and 32 maps, YOLOv5 three (one per anchor). */
  if (b > 5 && a > b) {
    gint64 cells = grid_cells (g);

    if (cells > 0 && a == cells) {
      *reason = g_strdup_printf ("no metadata, output %s = one prediction "
          "per cell of the stride 8/16/32 grids, 5 + %" G_GINT64_FORMAT
          " values each (YOLOX layout)", shape, b - 5);
      return YOLO_FAMILY_YOLOX;
    }
    if (cells > 0 && a == 3 * cells) {
      *reason = g_strdup_printf ("no metadata, output %s = three anchors "
          "per cell of the stride 8/16/32 grids, 5 + %" G_GINT64_FORMAT
          " values each (YOLOv5 layout)", shape, b - 5);
      return YOLO_FAMILY_YOLOV5;
    }
  }
  if (b > 5 && a > b)
    *reason = g_strdup_printf ("no metadata: output %s is a YOLOX or YOLOv5 "
        "layout [1, N, 5+nc]; pass model-family=yolox for YOLOX models "
        "(or model-family=yolov5)", shape);
  else if (a > 4 && b > a)
    *reason = g_strdup_printf ("no metadata: output %s looks like the "
        "Ultralytics layout [1, 4+nc, N]; pass model-family=ultralytics",
        shape);
  else
    *reason = g_strdup_printf ("no metadata and output %s matches no known "
        "detection head layout", shape);
  return YOLO_FAMILY_UNKNOWN;
}

YoloFamily
yolo_model_detect_family (YoloGraph * g, char **reason)
{
  char *r = NULL;
  YoloFamily f = detect (g, &r);

  if (reason)
    *reason = r;
  else
    g_free (r);
  return f;
}

char *
yolo_model_export_hint (YoloGraph * g)
{
  const char *task = meta (g, "task");
  const char *batch = meta (g, "batch");
  gint64 n = 0;

  if (task && task[0] && strcmp (task, "detect") != 0) {
    const char *what = strcmp (task, "segment") == 0 ? "instance segmentation"
        : strcmp (task, "pose") == 0 ? "pose estimation"
        : strcmp (task, "obb") == 0 ? "oriented boxes"
        : strcmp (task, "classify") == 0 ? "image classification" : NULL;
    return g_strdup_printf ("the model was exported for task=%s%s%s%s, "
        "whose head needs an operator this engine does not run yet; "
        "detection models (task=detect) do not", task, what ? " (" : "",
        what ? what : "", what ? ")" : "");
  }
  /* (nms=True tails the engine replaces and fixed batches it rewrites to
   * 1 run: see yolo-nms-tail.h, yolo-rebatch.h) */
  if (export_arg_true (g, "nms") && !g->nms_tail)
    return g_strdup ("the model was exported with nms=True (NMS inside the "
        "graph): export it with nms=False (the detector does the NMS "
        "itself)");
  if (g->inputs && g->inputs->len > 0) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, 0));
    /* images: NCHW (a [4] vector is not a batch of 4 images); the batch
     * the engine runs (its batch option) is not the export's */
    if (t->ndim == 4 && t->dims[0] > MAX (g->batch_to, 1))
      n = t->dims[0];
  }
  if (n <= 1 && batch && !g->batch_from)
    n = g_ascii_strtoll (batch, NULL, 10);
  if (n > 1)
    return g_strdup_printf ("the model was exported with batch=%"
        G_GINT64_FORMAT " (a fixed batch of %" G_GINT64_FORMAT " images); "
        "one image is processed at a time: export it with batch=1", n, n);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* statistics */

static gint64
numel_known (const YoloTensor * t)
{
  gint64 n = 1;

  /* -1 also when the count overflows (info describes models that failed
   * inference too) */
  if (t == NULL || !yolo_dims_numel (t->ndim, t->dims, &n))
    return -1;
  return n;
}

static int
parse_imgsz (const char *s, int *h, int *w)
{
  gint64 v[2];
  int n = 0;
  const char *p = s;

  if (s == NULL)
    return 0;
  while (*p && n < 2) {
    if (g_ascii_isdigit (*p)) {
      char *end;
      v[n++] = g_ascii_strtoll (p, &end, 10);
      p = end;
    } else {
      p++;
    }
  }
  if (n == 0)
    return 0;
  *h = (int) CLAMP (v[0], 0, G_MAXINT);
  *w = (int) CLAMP (n > 1 ? v[1] : v[0], 0, G_MAXINT);
  return n;
}

static const char *
model_precision (YoloGraph * g, GHashTable * ops)
{
  gboolean dql = g_hash_table_contains (ops, "DynamicQuantizeLinear");
  gboolean conv = g_hash_table_contains (ops, "ConvInteger");
  gboolean mm = g_hash_table_contains (ops, "MatMulInteger");

  if (g_hash_table_contains (ops, "QuantizeLinear")
      || g_hash_table_contains (ops, "DequantizeLinear")
      || g_hash_table_contains (ops, "QLinearConv"))
    return "int8 QDQ (QuantizeLinear / DequantizeLinear)";
  if (dql || conv || mm)
    return conv && mm ? "int8 dynamic (DynamicQuantizeLinear + ConvInteger "
        "+ MatMulInteger)" : mm ? "int8 dynamic (DynamicQuantizeLinear + "
        "MatMulInteger)" : "int8 dynamic (DynamicQuantizeLinear + "
        "ConvInteger)";
  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    if ((t->is_input || t->is_output) && t->io_dtype == YOLO_DTYPE_FLOAT16)
      return "fp16";
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Cast")
        && yolo_node_attr_int (n, "to", 0) == YOLO_DTYPE_FLOAT16)
      return "fp16";
  }
  return "fp32";
}

YoloModelInfo *
yolo_model_info_new (YoloGraph * g)
{
  YoloModelInfo *info = g_new0 (YoloModelInfo, 1);
  GHashTable *node_outputs;
  const char *v;
  gint64 a = -1, b = -1;
  char shape[128];
  guint i;
  int j;

  info->family = yolo_model_detect_family (g, &info->family_reason);
  info->n_classes = -1;
  if (output_ab (g, &a, &b, shape, sizeof shape)) {
    if (info->family == YOLO_FAMILY_ULTRALYTICS && a > 4)
      info->n_classes = (int) (a - 4);
    else if ((info->family == YOLO_FAMILY_YOLOV5
            || info->family == YOLO_FAMILY_YOLOX) && b > 5)
      info->n_classes = (int) (b - 5);
  }

  info->names = yolo_parse_names (meta (g, "names"));
  if (info->names == NULL)
    info->names = g_ptr_array_new_with_free_func (g_free);
  if (info->family == YOLO_FAMILY_END2END && info->names->len > 0)
    info->n_classes = (int) info->names->len;

  if (g->inputs && g->inputs->len > 0) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, 0));
    if (t->ndim == 4) {
      info->input_h = t->dims[2] > 0 ? (int) t->dims[2] : 0;
      info->input_w = t->dims[3] > 0 ? (int) t->dims[3] : 0;
    }
  }
  if (info->input_h <= 0 || info->input_w <= 0) {
    int h = 0, w = 0;
    if (parse_imgsz (meta (g, "imgsz"), &h, &w) > 0) {
      info->input_h = h;
      info->input_w = w;
    }
  }

  info->stride = 32;
  v = meta (g, "stride");
  if (v) {
    gint64 s = g_ascii_strtoll (v, NULL, 10);
    if (s > 0 && s <= 1024)
      info->stride = (int) s;
  }
  info->end2end = meta_is_true (meta (g, "end2end"));
  info->task = g_strdup (meta (g, "task"));

  info->op_histogram = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
  node_outputs = g_hash_table_new (NULL, NULL);
  for (i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    for (j = 0; j < n->n_outputs; j++)
      g_hash_table_add (node_outputs, GINT_TO_POINTER (n->outputs[j] + 1));
    if (n->removed)
      continue;
    {
      gpointer old = g_hash_table_lookup (info->op_histogram, n->op_type);
      g_hash_table_replace (info->op_histogram, g_strdup (n->op_type),
          GINT_TO_POINTER (GPOINTER_TO_INT (old) + 1));
    }
    info->flops += 2.0 * yolo_node_macs (g, n);
  }

  /* parameters: float (and 8-bit quantized weight) constants that no node
   * computed (initializers, Constant nodes), not folded intermediate values */
  for (i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    gint64 ne;
    if (t->data == NULL || t->is_input || !(yolo_dtype_is_float (t->dtype)
            || t->dtype == YOLO_DTYPE_UINT8 || t->dtype == YOLO_DTYPE_INT8)
        || g_hash_table_contains (node_outputs, GINT_TO_POINTER (i + 1)))
      continue;
    ne = numel_known (t);
    if (ne > 0)
      info->n_params += ne;
  }
  g_hash_table_destroy (node_outputs);
  info->precision = model_precision (g, info->op_histogram);
  return info;
}

void
yolo_model_info_free (YoloModelInfo * info)
{
  if (info == NULL)
    return;
  g_free (info->family_reason);
  if (info->names)
    g_ptr_array_unref (info->names);
  g_free (info->task);
  if (info->op_histogram)
    g_hash_table_destroy (info->op_histogram);
  g_free (info);
}
