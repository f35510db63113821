/* test-onnx.c - the ONNX loader, model info / family detection and the
 * names parser: real models from $YOLO_TEST_DATA/models, hand-made models
 * (built with the protobuf-c API of our onnx.proto subset), corrupt files
 * and a fuzz smoke test. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "yolo-engine-private.h"
#include "yolo-model-info.h"
#include "onnx.pb-c.h"

static char *tmp_dir;

static const char *
data_dir (void)
{
  const char *d = g_getenv ("YOLO_TEST_DATA");
  return d && *d ? d : "../shared";
}

static char *
model_path (const char *name)
{
  return g_build_filename (data_dir (), "models", name, NULL);
}

static gboolean
require_model (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  g_test_skip_printf ("%s not found (set YOLO_TEST_DATA)", path);
  return FALSE;
}

static char *
tmp_file (const char *name, const void *data, gssize len)
{
  char *p = g_build_filename (tmp_dir, name, NULL);
  GError *error = NULL;

  g_file_set_contents (p, data, len, &error);
  g_assert_no_error (error);
  return p;
}

/* Loads a file expected to fail with domain/code; checks the message names
 * the path and each of the given words. */
static void
expect_load_error (const char *path, int code, const char *word1,
    const char *word2, const char *word3)
{
  GError *error = NULL;
  YoloGraph *g = yolo_onnx_load (path, &error);

  if (g) {
    yolo_graph_free (g);
    g_error ("%s: loaded, expected an error with '%s'", path,
        word1 ? word1 : "");
  }
  g_assert_nonnull (error);
  g_test_message ("%s -> %s", path, error->message);
  g_assert_true (error->domain == YOLO_ENGINE_ERROR);
  g_assert_cmpint (error->code, ==, code);
  g_assert_nonnull (strstr (error->message, path));
  if (word1)
    g_assert_nonnull (strstr (error->message, word1));
  if (word2)
    g_assert_nonnull (strstr (error->message, word2));
  if (word3)
    g_assert_nonnull (strstr (error->message, word3));
  g_error_free (error);
}

/* ------------------------------------------------------------------------ */
/* real models */

typedef struct
{
  const char *file;
  int size;
  const char *out_name;
  gint64 out[3];
  gint64 opset;
  YoloFamily family;
  int n_classes;
  gboolean has_names;
} RealModel;

static const RealModel real_models[] = {
  {"yolov8n-640.onnx", 640, "output0", {1, 84, 8400}, 20,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"yolov8n-320.onnx", 320, "output0", {1, 84, 2100}, 20,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"yolo11n-640.onnx", 640, "output0", {1, 84, 8400}, 19,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"yolo11n-320.onnx", 320, "output0", {1, 84, 2100}, 12,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"yolo26n-640.onnx", 640, "output0", {1, 300, 6}, 20,
      YOLO_FAMILY_END2END, 80, TRUE},
  {"yolov5n-640.onnx", 640, "output0", {1, 25200, 85}, 12,
      YOLO_FAMILY_YOLOV5, 80, TRUE},
  {"yolox-nano-416.onnx", 416, "output", {1, 3549, 85}, 11,
      YOLO_FAMILY_YOLOX, 80, FALSE},
  {"quantized/yolov8n-int8-640.onnx", 640, "output0", {1, 84, 8400}, 20,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"quantized/yolo11n-int8-640.onnx", 640, "output0", {1, 84, 8400}, 19,
      YOLO_FAMILY_ULTRALYTICS, 80, TRUE},
  {"quantized/yolo26n-int8-640.onnx", 640, "output0", {1, 300, 6}, 20,
      YOLO_FAMILY_END2END, 80, TRUE},
};

static void
check_real_model (const RealModel * rm)
{
  char *path = model_path (rm->file);
  GError *error = NULL;
  YoloGraph *g;
  YoloTensor *in, *out;
  YoloModelInfo *mi;
  char *reason = NULL;

  if (!require_model (path)) {
    g_free (path);
    return;
  }
  g = yolo_onnx_load (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g);

  g_assert_cmpint (g->opset, ==, rm->opset);
  g_assert_nonnull (g->producer_name);
  g_assert_cmpuint (g->inputs->len, ==, 1);
  in = YOLO_T (g, g_array_index (g->inputs, int, 0));
  g_assert_cmpstr (in->name, ==, "images");
  g_assert_true (in->is_input);
  g_assert_null (in->data);
  g_assert_cmpint (in->dtype, ==, YOLO_DTYPE_FLOAT);
  g_assert_cmpint (in->ndim, ==, 4);
  g_assert_cmpint (in->dims[0], ==, 1);
  g_assert_cmpint (in->dims[1], ==, 3);
  g_assert_cmpint (in->dims[2], ==, rm->size);
  g_assert_cmpint (in->dims[3], ==, rm->size);

  g_assert_cmpuint (g->outputs->len, ==, 1);
  out = YOLO_T (g, g_array_index (g->outputs, int, 0));
  g_assert_cmpstr (out->name, ==, rm->out_name);
  g_assert_true (out->is_output);
  g_assert_cmpint (out->ndim, ==, 3);
  g_assert_cmpint (out->dims[0], ==, rm->out[0]);
  g_assert_cmpint (out->dims[1], ==, rm->out[1]);
  g_assert_cmpint (out->dims[2], ==, rm->out[2]);
  g_assert_cmpint (out->producer, >=, 0);

  g_assert_cmpuint (g->nodes->len, >, 100);
  g_assert_cmpint (yolo_graph_find_tensor (g, "images"), >=, 0);
  if (rm->has_names) {
    g_assert_nonnull (g_hash_table_lookup (g->metadata, "names"));
    g_assert_cmpstr (g_hash_table_lookup (g->metadata, "stride"), ==, "32");
  } else {
    g_assert_cmpuint (g_hash_table_size (g->metadata), ==, 0);
  }

  /* family from the declared output shape and metadata */
  g_assert_cmpint (yolo_model_detect_family (g, &reason), ==, rm->family);
  g_assert_nonnull (reason);
  g_test_message ("%s: %s (%s)", rm->file, yolo_family_name (rm->family),
      reason);
  if (rm->family == YOLO_FAMILY_UNKNOWN)
    g_assert_nonnull (strstr (reason, "model-family=yolox"));
  g_free (reason);

  mi = yolo_model_info_new (g);
  g_assert_cmpint (mi->family, ==, rm->family);
  g_assert_cmpint (mi->n_classes, ==, rm->n_classes);
  g_assert_cmpint (mi->input_h, ==, rm->size);
  g_assert_cmpint (mi->input_w, ==, rm->size);
  g_assert_cmpint (mi->stride, ==, 32);
  g_assert_cmpint (mi->end2end, ==, rm->family == YOLO_FAMILY_END2END);
  if (rm->has_names) {
    g_assert_cmpuint (mi->names->len, ==, 80);
    g_assert_cmpstr (g_ptr_array_index (mi->names, 0), ==, "person");
    g_assert_cmpstr (g_ptr_array_index (mi->names, 79), ==, "toothbrush");
  } else {
    g_assert_cmpuint (mi->names->len, ==, 0);
  }
  g_assert_cmpint (mi->n_params, >, 500000);
  g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (mi->op_histogram,
              strstr (rm->file, "int8") ? "ConvInteger" : "Conv")), >, 20);
  yolo_model_info_free (mi);

  yolo_graph_free (g);
  g_free (path);
}

static void
test_real_models (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (real_models); i++)
    check_real_model (&real_models[i]);
}

/* Sort + shape inference on the fp32 models: the inferred output shape
 * matches the declared one; parameters and FLOPs are plausible. */
static void
test_real_infer (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (real_models); i++) {
    const RealModel *rm = &real_models[i];
    char *path = model_path (rm->file);
    GError *error = NULL;
    YoloGraph *g;
    YoloTensor *out;
    YoloModelInfo *mi;

    if (strstr (rm->file, "quantized") || !require_model (path)) {
      g_free (path);
      continue;
    }
    g = yolo_onnx_load (path, &error);
    g_assert_no_error (error);
    /* forget the declared shape: it must come back from inference */
    out = YOLO_T (g, g_array_index (g->outputs, int, 0));
    out->ndim = -1;
    g_assert_true (yolo_graph_sort (g, &error));
    g_assert_no_error (error);
    if (!yolo_graph_infer (g, &error))
      g_error ("%s: %s", rm->file, error->message);
    g_assert_cmpint (out->ndim, ==, 3);
    g_assert_cmpint (out->dims[1], ==, rm->out[1]);
    g_assert_cmpint (out->dims[2], ==, rm->out[2]);

    mi = yolo_model_info_new (g);
    g_test_message ("%s: %.3f M params, %.2f GFLOPs", rm->file,
        mi->n_params / 1e6, mi->flops / 1e9);
    g_assert_cmpint (mi->family, ==, rm->family);
    if (g_str_has_prefix (rm->file, "yolov8n")) {
      /* Ultralytics: 3.2 M params, 8.7 GFLOPs at 640 */
      double expect = 8.7e9 * (rm->size / 640.0) * (rm->size / 640.0);
      g_assert_cmpint (mi->n_params, >, 3000000);
      g_assert_cmpint (mi->n_params, <, 3400000);
      g_assert_cmpfloat (fabs (mi->flops - expect) / expect, <, 0.1);
    } else {
      g_assert_cmpfloat (mi->flops, >, 0.2e9);
    }
    yolo_model_info_free (mi);
    yolo_graph_free (g);
    g_free (path);
  }
}

/* ------------------------------------------------------------------------ */
/* bad files */

static void
test_bad_files (void)
{
  char *path = model_path ("yolov8n-320.onnx");
  char *missing = g_build_filename (tmp_dir, "does-not-exist.onnx", NULL);
  char *p;
  char *contents = NULL;
  gsize len = 0;
  guint8 junk[4096];
  static const guint8 not_a_model[] = { 0x08, 0x96, 0x01 };
  GRand *r;
  guint i;

  expect_load_error (missing, YOLO_ENGINE_ERROR_IO, "not found", NULL, NULL);
  expect_load_error (tmp_dir, YOLO_ENGINE_ERROR_IO, "directory", NULL, NULL);
  /* a device: not mapped (mmap() failed: Invalid argument) nor read */
  expect_load_error ("/dev/zero", YOLO_ENGINE_ERROR_IO, "not a regular file",
      NULL, NULL);

  p = tmp_file ("empty.onnx", "", 0);
  expect_load_error (p, YOLO_ENGINE_ERROR_IO, "empty", NULL, NULL);
  g_free (p);

  r = g_rand_new_with_seed (42);
  for (i = 0; i < sizeof junk; i++)
    junk[i] = g_rand_int (r) & 0xff;
  g_rand_free (r);
  p = tmp_file ("random.onnx", junk, sizeof junk);
  expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, "not", "ONNX model", NULL);
  g_free (p);

  p = tmp_file ("text.onnx", "hello, this is not a model\n", -1);
  expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, "ONNX model", NULL, NULL);
  g_free (p);

  /* valid protobuf (ir_version = 150), no graph */
  p = tmp_file ("not-a-model.onnx", not_a_model, sizeof not_a_model);
  expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, "not an ONNX model",
      "no graph", NULL);
  g_free (p);

  if (require_model (path)) {
    g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
    p = tmp_file ("trunc-1000.onnx", contents, 1000);
    expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, "ONNX model", NULL, NULL);
    g_free (p);
    p = tmp_file ("trunc-half.onnx", contents, len / 2);
    expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, "ONNX model", NULL, NULL);
    g_free (p);
    p = tmp_file ("trunc-1.onnx", contents, len - 1);
    expect_load_error (p, YOLO_ENGINE_ERROR_PARSE, NULL, NULL, NULL);
    g_free (p);
    g_free (contents);
  }
  g_free (path);
  g_free (missing);
}

/* ------------------------------------------------------------------------ */
/* hand-made models */

typedef struct
{
  Onnx__ModelProto m;
  Onnx__GraphProto g;
  Onnx__OperatorSetIdProto opset;
  Onnx__OperatorSetIdProto *opsets[1];
  Onnx__NodeProto *nodes[32];
  Onnx__TensorProto *inits[32];
  Onnx__ValueInfoProto *inputs[8];
  Onnx__ValueInfoProto *outputs[8];
  Onnx__StringStringEntryProto *props[8];
  GPtrArray *garbage;
} MB;

static gpointer
mb_keep (MB * mb, gpointer p)
{
  g_ptr_array_add (mb->garbage, p);
  return p;
}

static Onnx__TensorProto *
mb_tensor (MB * mb, const char *name, int dtype, int ndim, const gint64 * dims)
{
  Onnx__TensorProto *t = mb_keep (mb, g_new0 (Onnx__TensorProto, 1));
  onnx__tensor_proto__init (t);
  t->name = (char *) name;
  t->has_data_type = TRUE;
  t->data_type = dtype;
  t->n_dims = ndim;
  t->dims = mb_keep (mb, g_memdup2 (dims, sizeof (gint64) * MAX (ndim, 1)));
  return t;
}

static void
mb_raw (MB * mb, Onnx__TensorProto * t, const void *data, gsize len)
{
  t->has_raw_data = TRUE;
  t->raw_data.len = len;
  t->raw_data.data = mb_keep (mb, g_memdup2 (data, MAX (len, 1)));
}

static Onnx__TensorProto *
mb_init (MB * mb, const char *name, int dtype, int ndim, const gint64 * dims)
{
  Onnx__TensorProto *t = mb_tensor (mb, name, dtype, ndim, dims);
  mb->inits[mb->g.n_initializer++] = t;
  return t;
}

static Onnx__ValueInfoProto *
mb_value (MB * mb, const char *name, int dtype, int ndim, const gint64 * dims,
    const char *const *params)
{
  Onnx__ValueInfoProto *vi = mb_keep (mb, g_new0 (Onnx__ValueInfoProto, 1));
  Onnx__TypeProto *tp = mb_keep (mb, g_new0 (Onnx__TypeProto, 1));
  Onnx__TypeProto__Tensor *tt = mb_keep (mb, g_new0 (Onnx__TypeProto__Tensor,
          1));
  Onnx__TensorShapeProto *sp = mb_keep (mb, g_new0 (Onnx__TensorShapeProto,
          1));
  Onnx__TensorShapeProto__Dimension **d =
      mb_keep (mb, g_new0 (Onnx__TensorShapeProto__Dimension *, MAX (ndim, 1)));
  int i;

  onnx__value_info_proto__init (vi);
  onnx__type_proto__init (tp);
  onnx__type_proto__tensor__init (tt);
  onnx__tensor_shape_proto__init (sp);
  for (i = 0; i < ndim; i++) {
    d[i] = mb_keep (mb, g_new0 (Onnx__TensorShapeProto__Dimension, 1));
    onnx__tensor_shape_proto__dimension__init (d[i]);
    if (params && params[i]) {
      d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      d[i]->dim_param = (char *) params[i];
    } else {
      d[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d[i]->dim_value = dims[i];
    }
  }
  sp->n_dim = ndim;
  sp->dim = d;
  tt->has_elem_type = TRUE;
  tt->elem_type = dtype;
  tt->shape = sp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->name = (char *) name;
  vi->type = tp;
  return vi;
}

static Onnx__NodeProto *
mb_node (MB * mb, const char *op, const char *name, const char *in0,
    const char *in1, const char *in2, const char *out)
{
  Onnx__NodeProto *n = mb_keep (mb, g_new0 (Onnx__NodeProto, 1));
  char **ins = mb_keep (mb, g_new0 (char *, 3));

  onnx__node_proto__init (n);
  n->op_type = (char *) op;
  n->name = (char *) name;
  if (in0)
    ins[n->n_input++] = (char *) in0;
  if (in1)
    ins[n->n_input++] = (char *) in1;
  if (in2)
    ins[n->n_input++] = (char *) in2;
  n->input = ins;
  n->n_output = 1;
  n->output = mb_keep (mb, g_new0 (char *, 1));
  n->output[0] = (char *) out;
  n->attribute = mb_keep (mb, g_new0 (Onnx__AttributeProto *, 16));
  mb->nodes[mb->g.n_node++] = n;
  return n;
}

static Onnx__AttributeProto *
mb_attr (MB * mb, Onnx__NodeProto * n, const char *name, int type)
{
  Onnx__AttributeProto *a = mb_keep (mb, g_new0 (Onnx__AttributeProto, 1));

  onnx__attribute_proto__init (a);
  a->name = (char *) name;
  a->has_type = TRUE;
  a->type = type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

/* Minimal valid model: x [1,2] -> Relu -> y. */
static void
mb_init_base (MB * mb)
{
  static const gint64 d12[] = { 1, 2 };

  memset (mb, 0, sizeof *mb);
  mb->garbage = g_ptr_array_new_with_free_func (g_free);
  onnx__model_proto__init (&mb->m);
  onnx__graph_proto__init (&mb->g);
  onnx__operator_set_id_proto__init (&mb->opset);
  mb->opset.domain = (char *) "";
  mb->opset.has_version = TRUE;
  mb->opset.version = 17;
  mb->opsets[0] = &mb->opset;
  mb->m.n_opset_import = 1;
  mb->m.opset_import = mb->opsets;
  mb->m.has_ir_version = TRUE;
  mb->m.ir_version = 8;
  mb->m.producer_name = (char *) "test-onnx";
  mb->m.graph = &mb->g;
  mb->g.name = (char *) "g";
  mb->g.node = mb->nodes;
  mb->g.initializer = mb->inits;
  mb->g.input = mb->inputs;
  mb->g.output = mb->outputs;
  mb->m.metadata_props = mb->props;

  mb->inputs[mb->g.n_input++] = mb_value (mb, "x", 1, 2, d12, NULL);
  mb_node (mb, "Relu", "relu0", "x", NULL, NULL, "y");
  mb->outputs[mb->g.n_output++] = mb_value (mb, "y", 1, 2, d12, NULL);
}

static char *
mb_write (MB * mb, const char *name)
{
  gsize len = onnx__model_proto__get_packed_size (&mb->m);
  guint8 *buf = g_malloc (MAX (len, 1));
  char *p;

  onnx__model_proto__pack (&mb->m, buf);
  p = tmp_file (name, buf, len);
  g_free (buf);
  g_ptr_array_unref (mb->garbage);
  mb->garbage = NULL;
  return p;
}

static void
test_handmade_valid (void)
{
  static const gint64 d22[] = { 2, 2 }, d2[] = { 2 }, d3[] = { 3 },
      d1[] = { 1 }, d0[] = { 0 }, dx[] = { 1, 0, 2 }, dz[] = { 1, 4, 2 };
  static const char *const xparams[] = { NULL, "H", NULL };
  static const float wf[] = { 1, 2, 3, 4 };
  static const gint32 h16[] = { 0x3c00, 0xc000 };
  static const guint8 r16[] = { 0x00, 0x3c, 0x00, 0xbc };
  static const gint32 i32[] = { -1, 2, 3 };
  static const guint8 i64raw[] = { 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xff, 0, 0, 0, 0, 0, 1, 0, 0
  };
  static const guint8 u8[] = { 200, 7 }, i8[] = { 0xff };
  static const gint32 b[] = { 5, 0 };
  static const float seven = 7.0f;
  static const float fl[] = { 1.5f, 2.5f };
  static const gint64 il[] = { 3, 4 }, ci[] = { 1, 2, 3 }, i42[] = { 42 };
  static const double dd[] = { 0.25, -8 };
  Onnx__StringStringEntryProto kv;
  Onnx__TensorProto *t;
  Onnx__NodeProto *n;
  Onnx__AttributeProto *a;
  GError *error = NULL;
  YoloGraph *g;
  YoloTensor *yt;
  YoloNode *yn = NULL;
  const YoloAttr *ya;
  MB mb;
  char *p;
  float *fd;
  gint64 *id;
  guint i;
  int n_ints;

  mb_init_base (&mb);
  mb.g.n_node = 0;
  mb.g.n_input = 0;
  mb.g.n_output = 0;
  onnx__string_string_entry_proto__init (&kv);
  kv.key = (char *) "names";
  kv.value = (char *) "{0: 'a', 2: \"b'c\"}";
  mb.props[mb.m.n_metadata_props++] = &kv;

  t = mb_init (&mb, "w", 1, 2, d22);
  t->n_float_data = 4;
  t->float_data = (float *) wf;
  t = mb_init (&mb, "h", 10, 1, d2);
  t->n_int32_data = 2;
  t->int32_data = (gint32 *) h16;
  t = mb_init (&mb, "r16", 10, 1, d2);
  mb_raw (&mb, t, r16, sizeof r16);
  t = mb_init (&mb, "i32", 6, 1, d3);
  t->n_int32_data = 3;
  t->int32_data = (gint32 *) i32;
  t = mb_init (&mb, "i64raw", 7, 1, d2);
  mb_raw (&mb, t, i64raw, sizeof i64raw);
  t = mb_init (&mb, "u8", 2, 1, d2);
  mb_raw (&mb, t, u8, sizeof u8);
  t = mb_init (&mb, "i8", 3, 1, d1);
  mb_raw (&mb, t, i8, sizeof i8);
  t = mb_init (&mb, "b", 9, 1, d2);
  t->n_int32_data = 2;
  t->int32_data = (gint32 *) b;
  t = mb_init (&mb, "dbl", 11, 1, d2);
  t->n_double_data = 2;
  t->double_data = (double *) dd;
  mb_init (&mb, "empty", 1, 1, d0);

  mb.inputs[mb.g.n_input++] = mb_value (&mb, "x", 1, 3, dx, xparams);
  /* an input that is also an initializer is a constant */
  mb.inputs[mb.g.n_input++] = mb_value (&mb, "w", 1, 2, d22, NULL);

  /* the consumer comes before the Constant nodes it reads */
  n = mb_node (&mb, "Resize", "rs", "x", "", "cf", "z");
  a = mb_attr (&mb, n, "alpha", 1);
  a->has_f = TRUE;
  a->f = 0.5f;
  a = mb_attr (&mb, n, "axis", 2);
  a->has_i = TRUE;
  a->i = -1;
  a = mb_attr (&mb, n, "mode", 3);
  a->has_s = TRUE;
  a->s.data = (guint8 *) "nearest";
  a->s.len = 7;
  a = mb_attr (&mb, n, "scales", 6);
  a->n_floats = 2;
  a->floats = (float *) fl;
  a = mb_attr (&mb, n, "pads", 7);
  a->n_ints = 2;
  a->ints = (int64_t *) il;
  a = mb_attr (&mb, n, "value", 4);
  a->t = mb_tensor (&mb, "", 7, 1, d1);
  a->t->n_int64_data = 1;
  a->t->int64_data = (int64_t *) i42;
  mb_attr (&mb, n, "body", 5);  /* a graph: ignored */
  a = mb_attr (&mb, n, "untyped", 0);   /* old file: type from field */
  a->has_i = TRUE;
  a->i = 77;

  n = mb_node (&mb, "Constant", "c1", NULL, NULL, NULL, "cf");
  a = mb_attr (&mb, n, "value_float", 1);
  a->has_f = TRUE;
  a->f = 2.5f;
  n = mb_node (&mb, "Constant", "c2", NULL, NULL, NULL, "ci");
  a = mb_attr (&mb, n, "value_ints", 7);
  a->n_ints = 3;
  a->ints = (int64_t *) ci;
  n = mb_node (&mb, "Constant", "c3", NULL, NULL, NULL, "ct");
  a = mb_attr (&mb, n, "value", 4);
  a->t = mb_tensor (&mb, "", 1, 1, d1);
  mb_raw (&mb, a->t, &seven, 4);
  n = mb_node (&mb, "Constant", "c4", NULL, NULL, NULL, "cint");
  a = mb_attr (&mb, n, "value_int", 2);
  a->has_i = TRUE;
  a->i = 9;
  n = mb_node (&mb, "Constant", "c5", NULL, NULL, NULL, "cfs");
  a = mb_attr (&mb, n, "value_floats", 6);
  a->n_floats = 2;
  a->floats = (float *) fl;
  mb_node (&mb, "Relu", "", "z", NULL, NULL, "out2");   /* unnamed node */

  mb.outputs[mb.g.n_output++] = mb_value (&mb, "z", 1, 3, dz, NULL);
  mb.outputs[mb.g.n_output++] = mb_value (&mb, "out2", 1, 3, dz, xparams);
  mb.opset.domain = (char *) "ai.onnx";

  p = mb_write (&mb, "valid.onnx");
  g = yolo_onnx_load (p, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g);

  g_assert_cmpint (g->opset, ==, 17);
  g_assert_cmpstr (g->producer_name, ==, "test-onnx");
  g_assert_cmpstr (g_hash_table_lookup (g->metadata, "names"), ==,
      "{0: 'a', 2: \"b'c\"}");

  /* only x is an input; its dynamic dim is -1 */
  g_assert_cmpuint (g->inputs->len, ==, 1);
  yt = YOLO_T (g, g_array_index (g->inputs, int, 0));
  g_assert_cmpstr (yt->name, ==, "x");
  g_assert_cmpint (yt->ndim, ==, 3);
  g_assert_cmpint (yt->dims[0], ==, 1);
  g_assert_cmpint (yt->dims[1], ==, -1);
  g_assert_cmpint (yt->dims[2], ==, 2);
  g_assert_true (yt->is_input);

  yt = YOLO_T (g, yolo_graph_find_tensor (g, "w"));
  g_assert_false (yt->is_input);
  g_assert_true (yolo_tensor_is_const (yt));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_FLOAT);
  g_assert_cmpint (yt->ndim, ==, 2);
  fd = yt->data;
  g_assert_cmpfloat (fd[3], ==, 4.0f);

  yt = YOLO_T (g, yolo_graph_find_tensor (g, "h"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_FLOAT);
  fd = yt->data;
  g_assert_cmpfloat (fd[0], ==, 1.0f);
  g_assert_cmpfloat (fd[1], ==, -2.0f);
  fd = YOLO_T (g, yolo_graph_find_tensor (g, "r16"))->data;
  g_assert_cmpfloat (fd[0], ==, 1.0f);
  g_assert_cmpfloat (fd[1], ==, -1.0f);
  fd = YOLO_T (g, yolo_graph_find_tensor (g, "dbl"))->data;
  g_assert_cmpfloat (fd[0], ==, 0.25f);
  g_assert_cmpfloat (fd[1], ==, -8.0f);

  yt = YOLO_T (g, yolo_graph_find_tensor (g, "i32"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_INT32);
  id = yt->data;
  g_assert_cmpint (id[0], ==, -1);
  g_assert_cmpint (id[2], ==, 3);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "i64raw"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_INT64);
  id = yt->data;
  g_assert_cmpint (id[0], ==, -5);
  g_assert_cmpint (id[1], ==, G_GINT64_CONSTANT (1) << 40);
  id = YOLO_T (g, yolo_graph_find_tensor (g, "u8"))->data;
  g_assert_cmpint (id[0], ==, 200);
  g_assert_cmpint (id[1], ==, 7);
  id = YOLO_T (g, yolo_graph_find_tensor (g, "i8"))->data;
  g_assert_cmpint (id[0], ==, -1);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "b"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_BOOL);
  id = yt->data;
  g_assert_cmpint (id[0], ==, 1);
  g_assert_cmpint (id[1], ==, 0);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "empty"));
  g_assert_true (yolo_tensor_is_const (yt));
  g_assert_cmpint (yt->ndim, ==, 1);
  g_assert_cmpint (yt->dims[0], ==, 0);

  /* Constant nodes -> constants, not nodes */
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "cf"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_FLOAT);
  g_assert_cmpint (yt->ndim, ==, 0);
  g_assert_cmpfloat (((float *) yt->data)[0], ==, 2.5f);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "ci"));
  g_assert_cmpint (yt->dtype, ==, YOLO_DTYPE_INT64);
  g_assert_cmpint (yt->ndim, ==, 1);
  g_assert_cmpint (yt->dims[0], ==, 3);
  g_assert_cmpint (((gint64 *) yt->data)[2], ==, 3);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "ct"));
  g_assert_cmpfloat (((float *) yt->data)[0], ==, 7.0f);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "cint"));
  g_assert_cmpint (yt->ndim, ==, 0);
  g_assert_cmpint (((gint64 *) yt->data)[0], ==, 9);
  yt = YOLO_T (g, yolo_graph_find_tensor (g, "cfs"));
  g_assert_cmpint (yt->dims[0], ==, 2);
  g_assert_cmpfloat (((float *) yt->data)[1], ==, 2.5f);

  g_assert_cmpuint (g->nodes->len, ==, 2);
  for (i = 0; i < g->nodes->len; i++)
    if (!strcmp (YOLO_N (g, i)->op_type, "Resize"))
      yn = YOLO_N (g, i);
  g_assert_nonnull (yn);
  g_assert_cmpstr (yn->name, ==, "rs");
  g_assert_cmpint (yn->n_inputs, ==, 3);
  g_assert_cmpint (yn->inputs[1], ==, -1);
  g_assert_cmpint (yn->inputs[2], ==, yolo_graph_find_tensor (g, "cf"));
  g_assert_cmpint (yn->n_attrs, ==, 7);
  g_assert_cmpfloat (yolo_node_attr_float (yn, "alpha", 0), ==, 0.5f);
  g_assert_cmpint (yolo_node_attr_int (yn, "axis", 0), ==, -1);
  g_assert_cmpint (yolo_node_attr_int (yn, "untyped", 0), ==, 77);
  g_assert_cmpstr (yolo_node_attr_string (yn, "mode", NULL), ==, "nearest");
  ya = yolo_node_attr (yn, "scales");
  g_assert_nonnull (ya);
  g_assert_cmpint (ya->type, ==, YOLO_ATTR_FLOATS);
  g_assert_cmpint (ya->n, ==, 2);
  g_assert_cmpfloat (ya->floats[1], ==, 2.5f);
  g_assert_nonnull (yolo_node_attr_ints (yn, "pads", &n_ints));
  g_assert_cmpint (n_ints, ==, 2);
  g_assert_cmpint (yolo_node_attr_ints (yn, "pads", &n_ints)[1], ==, 4);
  ya = yolo_node_attr (yn, "value");
  g_assert_nonnull (ya);
  g_assert_cmpint (ya->type, ==, YOLO_ATTR_TENSOR);
  g_assert_cmpint (ya->tensor, >=, 0);
  yt = YOLO_T (g, ya->tensor);
  g_assert_true (yolo_tensor_is_const (yt));
  g_assert_cmpint (((gint64 *) yt->data)[0], ==, 42);
  g_assert_null (yolo_node_attr (yn, "body"));

  /* outputs: the static declared shape is kept, the dynamic one is not */
  g_assert_cmpuint (g->outputs->len, ==, 2);
  yt = YOLO_T (g, g_array_index (g->outputs, int, 0));
  g_assert_cmpstr (yt->name, ==, "z");
  g_assert_true (yt->is_output);
  g_assert_cmpint (yt->ndim, ==, 3);
  g_assert_cmpint (yt->dims[1], ==, 4);
  yt = YOLO_T (g, g_array_index (g->outputs, int, 1));
  g_assert_cmpstr (yt->name, ==, "out2");
  g_assert_cmpint (yt->ndim, <, 0);

  g_assert_true (yolo_graph_sort (g, &error));
  g_assert_no_error (error);
  yolo_graph_free (g);
  g_free (p);
}

typedef enum
{
  BAD_FOREIGN_DOMAIN,
  BAD_RAW_SIZE,
  BAD_TYPED_COUNT,
  BAD_NEGATIVE_DIM,
  BAD_HUGE_DIMS,
  BAD_EXTERNAL,
  BAD_OPSET_NEW,
  BAD_NO_OPSET,
  BAD_DTYPE,
  BAD_OUTPUT_NOT_PRODUCED,
  BAD_NO_OUTPUTS,
  BAD_NO_NODES,
  BAD_DUP_INIT,
  BAD_DUP_OUTPUT,
  BAD_CONSTANT,
  BAD_INPUT_RANK,
} BadKind;

static void
check_bad (BadKind kind, int code, const char *w1, const char *w2,
    const char *w3)
{
  static const gint64 d4[] = { 4 }, dneg[] = { 2, -3 };
  static const gint64 dhuge[] = { G_GINT64_CONSTANT (1) << 31,
    G_GINT64_CONSTANT (1) << 31, G_GINT64_CONSTANT (1) << 31
  };
  static const gint64 d9[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 };
  static const float f2[] = { 1, 2 };
  Onnx__TensorProto *t;
  Onnx__NodeProto *n;
  MB mb;
  char *name, *p;

  mb_init_base (&mb);
  switch (kind) {
    case BAD_FOREIGN_DOMAIN:
      n = mb_node (&mb, "FusedConv", "fc1", "y", NULL, NULL, "q");
      n->domain = (char *) "com.microsoft";
      break;
    case BAD_RAW_SIZE:
      t = mb_init (&mb, "bad_w", 1, 1, d4);
      mb_raw (&mb, t, f2, sizeof f2);
      break;
    case BAD_TYPED_COUNT:
      t = mb_init (&mb, "short_w", 1, 1, d4);
      t->n_float_data = 2;
      t->float_data = (float *) f2;
      break;
    case BAD_NEGATIVE_DIM:
      t = mb_init (&mb, "neg_w", 1, 2, dneg);
      mb_raw (&mb, t, f2, sizeof f2);
      break;
    case BAD_HUGE_DIMS:
      t = mb_init (&mb, "huge_w", 1, 3, dhuge);
      mb_raw (&mb, t, f2, sizeof f2);
      break;
    case BAD_EXTERNAL:
      t = mb_init (&mb, "ext_w", 1, 1, d4);
      t->has_data_location = TRUE;
      t->data_location = 1;
      break;
    case BAD_OPSET_NEW:
      mb.opset.version = 99;
      break;
    case BAD_NO_OPSET:
      mb.opset.domain = (char *) "ai.onnx.ml";
      break;
    case BAD_DTYPE:
      t = mb_init (&mb, "str_w", 8, 1, d4);
      break;
    case BAD_OUTPUT_NOT_PRODUCED:
      mb.outputs[mb.g.n_output++] = mb_value (&mb, "ghost", 1, 1, d4, NULL);
      break;
    case BAD_NO_OUTPUTS:
      mb.g.n_output = 0;
      break;
    case BAD_NO_NODES:
      mb.g.n_node = 0;
      break;
    case BAD_DUP_INIT:
      t = mb_init (&mb, "dup", 1, 1, d4 + 0);
      t->dims[0] = 2;
      mb_raw (&mb, t, f2, sizeof f2);
      t = mb_init (&mb, "dup", 1, 1, d4);
      t->dims[0] = 2;
      mb_raw (&mb, t, f2, sizeof f2);
      break;
    case BAD_DUP_OUTPUT:
      mb_node (&mb, "Relu", "relu_again", "x", NULL, NULL, "y");
      break;
    case BAD_CONSTANT:
      mb_node (&mb, "Constant", "cstr", NULL, NULL, NULL, "s");
      break;
    case BAD_INPUT_RANK:
      mb.inputs[mb.g.n_input++] = mb_value (&mb, "x9", 1, 9, d9, NULL);
      break;
  }
  name = g_strdup_printf ("bad-%d.onnx", kind);
  p = mb_write (&mb, name);
  expect_load_error (p, code, w1, w2, w3);
  g_free (p);
  g_free (name);
}

static void
test_handmade_bad (void)
{
  check_bad (BAD_FOREIGN_DOMAIN, YOLO_ENGINE_ERROR_UNSUPPORTED, "FusedConv",
      "com.microsoft", "fc1");
  check_bad (BAD_RAW_SIZE, YOLO_ENGINE_ERROR_PARSE, "bad_w", "8 bytes", NULL);
  check_bad (BAD_TYPED_COUNT, YOLO_ENGINE_ERROR_PARSE, "short_w", NULL, NULL);
  check_bad (BAD_NEGATIVE_DIM, YOLO_ENGINE_ERROR_PARSE, "neg_w", "-3", NULL);
  check_bad (BAD_HUGE_DIMS, YOLO_ENGINE_ERROR_PARSE, "huge_w", NULL, NULL);
  check_bad (BAD_EXTERNAL, YOLO_ENGINE_ERROR_UNSUPPORTED, "ext_w",
      "external", NULL);
  check_bad (BAD_OPSET_NEW, YOLO_ENGINE_ERROR_UNSUPPORTED, "opset 99", NULL,
      NULL);
  check_bad (BAD_NO_OPSET, YOLO_ENGINE_ERROR_PARSE, "opset", NULL, NULL);
  check_bad (BAD_DTYPE, YOLO_ENGINE_ERROR_UNSUPPORTED, "str_w", "string", NULL);
  check_bad (BAD_OUTPUT_NOT_PRODUCED, YOLO_ENGINE_ERROR_INVALID_MODEL,
      "ghost", NULL, NULL);
  check_bad (BAD_NO_OUTPUTS, YOLO_ENGINE_ERROR_INVALID_MODEL, "no outputs",
      NULL, NULL);
  check_bad (BAD_NO_NODES, YOLO_ENGINE_ERROR_PARSE, "has no nodes", NULL, NULL);
  check_bad (BAD_DUP_INIT, YOLO_ENGINE_ERROR_INVALID_MODEL, "dup", NULL, NULL);
  check_bad (BAD_DUP_OUTPUT, YOLO_ENGINE_ERROR_INVALID_MODEL, "relu_again",
      NULL, NULL);
  check_bad (BAD_CONSTANT, YOLO_ENGINE_ERROR_UNSUPPORTED, "cstr", NULL, NULL);
  check_bad (BAD_INPUT_RANK, YOLO_ENGINE_ERROR_UNSUPPORTED, "x9", NULL, NULL);
}

/* An unknown operator in the default domain loads; the engine's passes
 * reject it by name. */
static void
test_unknown_op (void)
{
  GError *error = NULL;
  YoloGraph *g;
  MB mb;
  char *p;

  mb_init_base (&mb);
  mb.nodes[0]->op_type = (char *) "FrobnicateV2";
  p = mb_write (&mb, "unknown-op.onnx");
  g = yolo_onnx_load (p, &error);
  g_assert_no_error (error);
  g_assert_true (yolo_graph_sort (g, &error));
  g_assert_false (yolo_graph_infer (g, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "FrobnicateV2"));
  g_assert_nonnull (strstr (error->message, "relu0"));
  g_clear_error (&error);
  yolo_graph_free (g);
  g_free (p);
}

/* ------------------------------------------------------------------------ */
/* names / family */

static void
test_parse_names (void)
{
  GPtrArray *n;

  n = yolo_parse_names ("{0: 'person', 1: 'bicycle', 2: 'car'}");
  g_assert_nonnull (n);
  g_assert_cmpuint (n->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (n, 0), ==, "person");
  g_assert_cmpstr (g_ptr_array_index (n, 2), ==, "car");
  g_ptr_array_unref (n);

  /* double quotes, escapes, odd spacing, trailing comma, gaps */
  n = yolo_parse_names ("  {0:\"it's\" , 3 : 'say \\'hi\\'',"
      "\n 1: 'back\\\\slash', 5: 'caf\\xe9',}  ");
  g_assert_nonnull (n);
  g_assert_cmpuint (n->len, ==, 6);
  g_assert_cmpstr (g_ptr_array_index (n, 0), ==, "it's");
  g_assert_cmpstr (g_ptr_array_index (n, 1), ==, "back\\slash");
  g_assert_cmpstr (g_ptr_array_index (n, 2), ==, "class 2");
  g_assert_cmpstr (g_ptr_array_index (n, 3), ==, "say 'hi'");
  g_assert_cmpstr (g_ptr_array_index (n, 4), ==, "class 4");
  g_assert_cmpstr (g_ptr_array_index (n, 5), ==, "caf\xc3\xa9");
  g_ptr_array_unref (n);

  /* UTF-8 kept as is; a list literal */
  n = yolo_parse_names ("['人', \"b\"]");
  g_assert_nonnull (n);
  g_assert_cmpuint (n->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (n, 0), ==, "人");
  g_ptr_array_unref (n);

  /* raw invalid UTF-8 from the file: made valid (U+FFFD) */
  n = yolo_parse_names ("{0: 'a\xff\xfe" "b', 1: 'c'}");
  g_assert_nonnull (n);
  g_assert_cmpuint (n->len, ==, 2);
  g_assert_true (g_utf8_validate (g_ptr_array_index (n, 0), -1, NULL));
  g_assert_cmpstr (g_ptr_array_index (n, 0), ==,
      "a\xef\xbf\xbd\xef\xbf\xbd" "b");
  g_assert_cmpstr (g_ptr_array_index (n, 1), ==, "c");
  g_ptr_array_unref (n);

  n = yolo_parse_names ("{}");
  g_assert_nonnull (n);
  g_assert_cmpuint (n->len, ==, 0);
  g_ptr_array_unref (n);

  g_assert_null (yolo_parse_names (NULL));
  g_assert_null (yolo_parse_names (""));
  g_assert_null (yolo_parse_names ("{0: 'a'"));
  g_assert_null (yolo_parse_names ("{0: 'a}"));
  g_assert_null (yolo_parse_names ("{0 'a'}"));
  g_assert_null (yolo_parse_names ("{a: 'a'}"));
  g_assert_null (yolo_parse_names ("{-1: 'a'}"));
  g_assert_null (yolo_parse_names ("{0: 5}"));
  g_assert_null (yolo_parse_names ("{0: 'a' 1: 'b'}"));
  g_assert_null (yolo_parse_names ("{0: 'a'} extra"));
  g_assert_null (yolo_parse_names ("{99999999999: 'a'}"));
  g_assert_null (yolo_parse_names ("{0: 'a\\"));
  g_assert_null (yolo_parse_names ("{0: 'a\\x4'}"));
}

static void
test_family_names (void)
{
  YoloFamily f = YOLO_FAMILY_YOLOX;

  g_assert_cmpstr (yolo_family_name (YOLO_FAMILY_ULTRALYTICS), ==,
      "ultralytics");
  g_assert_cmpstr (yolo_family_name (YOLO_FAMILY_YOLOX), ==, "yolox");
  g_assert_cmpstr (yolo_family_name ((YoloFamily) 99), ==, "unknown");
  g_assert_true (yolo_family_from_name ("auto", &f));
  g_assert_cmpint (f, ==, YOLO_FAMILY_UNKNOWN);
  g_assert_true (yolo_family_from_name ("YOLOX", &f));
  g_assert_cmpint (f, ==, YOLO_FAMILY_YOLOX);
  g_assert_true (yolo_family_from_name ("end2end", &f));
  g_assert_cmpint (f, ==, YOLO_FAMILY_END2END);
  g_assert_true (yolo_family_from_name ("yolov5", &f));
  g_assert_cmpint (f, ==, YOLO_FAMILY_YOLOV5);
  g_assert_false (yolo_family_from_name ("yolov99", &f));
  g_assert_false (yolo_family_from_name (NULL, &f));
}

/* Family detection from shapes and metadata on a synthetic graph. */
static void
test_family_synthetic (void)
{
  static const struct
  {
    gint64 a, b;
    const char *names, *task, *e2e;
    YoloFamily expect;
    gint64 in_h, in_w;          /* graph input [1,3,H,W]; 0 = none declared */
    int n_names;                /* > 0: names of that many classes */
  } cases[] = {
    {84, 8400, "{0: 'a'}", "detect", NULL, YOLO_FAMILY_ULTRALYTICS},
    {6, 8400, "{0: 'a', 1: 'b'}", "detect", "False", YOLO_FAMILY_ULTRALYTICS},
    {300, 6, "{0: 'a'}", "detect", "True", YOLO_FAMILY_END2END},
    {100, 6, NULL, NULL, NULL, YOLO_FAMILY_END2END},
    {25200, 85, "{0: 'a'}", NULL, NULL, YOLO_FAMILY_YOLOV5},
    {3549, 85, NULL, NULL, NULL, YOLO_FAMILY_UNKNOWN},
    {84, 8400, NULL, NULL, NULL, YOLO_FAMILY_UNKNOWN},
    {116, 8400, "{0: 'a'}", "segment", NULL, YOLO_FAMILY_UNKNOWN},
    {84, 8400, "{0: 'a'}", "detect", "True", YOLO_FAMILY_UNKNOWN},
    /* no metadata: one prediction per stride 8/16/32 cell is YOLOX, three
     * (anchors) is YOLOv5; anything else stays unknown */
    {3549, 85, NULL, NULL, NULL, YOLO_FAMILY_YOLOX, 416, 416},
    {3 * 3549, 85, NULL, NULL, NULL, YOLO_FAMILY_YOLOV5, 416, 416},
    {2100 + 1050, 7, NULL, NULL, NULL, YOLO_FAMILY_UNKNOWN, 320, 320},
    {5040, 85, NULL, NULL, NULL, YOLO_FAMILY_YOLOX, 384, 640},
    {3500, 85, NULL, NULL, NULL, YOLO_FAMILY_UNKNOWN, 416, 416},
    /* fewer anchors than 4 + nc rows (a small input, many classes): the
     * names say which axis holds the classes. An Ultralytics export (task)
     * at 32x32 (21 anchors) and 64x64 (84), Open Images V7's 601 classes
     * at 160x160 (525); a YOLOv5 export (names, no task) at 32x32 (63
     * anchors, 85 columns) */
    {84, 21, NULL, "detect", NULL, YOLO_FAMILY_ULTRALYTICS, 32, 32, 80},
    {84, 84, NULL, "detect", NULL, YOLO_FAMILY_ULTRALYTICS, 64, 64, 80},
    {605, 525, NULL, "detect", NULL, YOLO_FAMILY_ULTRALYTICS, 160, 160, 601},
    {63, 85, NULL, NULL, NULL, YOLO_FAMILY_YOLOV5, 32, 32, 80},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    YoloGraph *g = yolo_graph_new ();
    const char *in = "x";
    const char *out = "y";
    gint64 dims[3] = { 1, cases[i].a, cases[i].b };
    YoloTensor *t;
    char *reason = NULL;
    int idx;

    yolo_graph_add_node (g, "Relu", "r", 1, &in, 1, &out);
    if (cases[i].in_h > 0) {
      gint64 in_dims[4] = { 1, 3, cases[i].in_h, cases[i].in_w };

      idx = yolo_graph_find_tensor (g, "x");
      yolo_tensor_set_shape (YOLO_T (g, idx), YOLO_DTYPE_FLOAT, 4, in_dims);
      g_array_append_val (g->inputs, idx);
    }
    idx = yolo_graph_find_tensor (g, "y");
    t = YOLO_T (g, idx);
    yolo_tensor_set_shape (t, YOLO_DTYPE_FLOAT, 3, dims);
    t->is_output = TRUE;
    g_array_append_val (g->outputs, idx);
    if (cases[i].names)
      g_hash_table_insert (g->metadata, g_strdup ("names"),
          g_strdup (cases[i].names));
    if (cases[i].n_names > 0) {
      GString *names = g_string_new ("{");

      for (int c = 0; c < cases[i].n_names; c++)
        g_string_append_printf (names, "%s%d: 'c%d'", c ? ", " : "", c, c);
      g_string_append_c (names, '}');
      g_hash_table_insert (g->metadata, g_strdup ("names"),
          g_string_free (names, FALSE));
    }
    if (cases[i].task)
      g_hash_table_insert (g->metadata, g_strdup ("task"),
          g_strdup (cases[i].task));
    if (cases[i].e2e)
      g_hash_table_insert (g->metadata, g_strdup ("end2end"),
          g_strdup (cases[i].e2e));
    g_assert_cmpint (yolo_model_detect_family (g, &reason), ==,
        cases[i].expect);
    g_test_message ("[1,%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]: %s",
        cases[i].a, cases[i].b, reason);
    g_assert_nonnull (reason);
    g_free (reason);
    yolo_graph_free (g);
  }
}

/* ------------------------------------------------------------------------ */
/* fuzz smoke test */

static void
pwrite_all (int fd, const void *buf, gsize len, goffset off)
{
  const guint8 *p = buf;

  while (len > 0) {
    gssize n = pwrite (fd, p, len, off);
    if (n < 0 && errno == EINTR)
      continue;
    g_assert_cmpint (n, >, 0);
    p += n;
    len -= n;
    off += n;
  }
}

static void
test_fuzz (void)
{
  char *path = model_path ("yolov8n-320.onnx");
  char *fpath;
  char *orig = NULL;
  gsize len = 0;
  GRand *r;
  int fd, iter, n_ok = 0, n_err = 0;
  const char *env_iter = g_getenv ("YOLO_FUZZ_ITERATIONS");
  int n_iter = env_iter ? atoi (env_iter) : g_test_slow ()? 2000 : 300;

  if (!require_model (path)) {
    g_free (path);
    return;
  }
  g_assert_true (g_file_get_contents (path, &orig, &len, NULL));
  fpath = g_build_filename (tmp_dir, "fuzz.onnx", NULL);
  fd = g_open (fpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
  g_assert_cmpint (fd, >=, 0);
  pwrite_all (fd, orig, len, 0);

  r = g_rand_new_with_seed (20240611);
  for (iter = 0; iter < n_iter; iter++) {
    int mode = g_rand_int_range (r, 0, 3);
    gsize cut = len;
    gsize pos[16];
    int n_flip = 0, k;
    GError *error = NULL;
    YoloGraph *g;

    if (mode != 1) {
      /* truncation: often inside the node list at the start */
      cut = g_rand_boolean (r) ? (gsize) g_rand_int_range (r, 0, 200000)
          : (gsize) g_rand_double_range (r, 0, len);
      if (ftruncate (fd, cut) != 0)
        g_error ("ftruncate: %s", g_strerror (errno));
    }
    if (mode != 0 && cut > 0) {
      n_flip = g_rand_int_range (r, 1, 17);
      for (k = 0; k < n_flip; k++) {
        gsize area = g_rand_int_range (r, 0, 4);
        guint8 v;
        /* structure lives at the start (nodes) and the end (graph inputs,
         * outputs, metadata); raw weights in between */
        if (area == 0)
          pos[k] = g_rand_int_range (r, 0, MIN (cut, 150000));
        else if (area == 1)
          pos[k] = cut - 1 - g_rand_int_range (r, 0, MIN (cut, 20000));
        else
          pos[k] = (gsize) g_rand_double_range (r, 0, cut);
        v = g_rand_boolean (r) ? (guint8) g_rand_int (r)
            : (guint8) (orig[pos[k]] ^ (1u << g_rand_int_range (r, 0, 8)));
        pwrite_all (fd, &v, 1, pos[k]);
      }
    }

    g = yolo_onnx_load (fpath, &error);
    if (g) {
      YoloModelInfo *mi;
      char *reason = NULL;
      n_ok++;
      yolo_model_detect_family (g, &reason);
      g_free (reason);
      mi = yolo_model_info_new (g);
      yolo_model_info_free (mi);
      if (!yolo_graph_sort (g, &error))
        g_clear_error (&error);
      yolo_graph_free (g);
    } else {
      g_assert_nonnull (error);
      g_assert_true (error->domain == YOLO_ENGINE_ERROR);
      g_assert_nonnull (strstr (error->message, fpath));
      g_clear_error (&error);
      n_err++;
    }

    /* restore */
    for (k = 0; k < n_flip; k++)
      pwrite_all (fd, orig + pos[k], 1, pos[k]);
    if (cut < len)
      pwrite_all (fd, orig + cut, len - cut, cut);
  }
  g_test_message ("fuzz: %d loaded, %d rejected", n_ok, n_err);
  if (n_iter >= 100)
    g_assert_cmpint (n_err, >, 0);
  g_rand_free (r);
  close (fd);
  g_unlink (fpath);
  g_free (fpath);
  g_free (orig);
  g_free (path);
}

static void
rm_tmp_dir (void)
{
  GDir *d = g_dir_open (tmp_dir, 0, NULL);
  const char *name;

  if (d) {
    while ((name = g_dir_read_name (d))) {
      char *p = g_build_filename (tmp_dir, name, NULL);
      g_unlink (p);
      g_free (p);
    }
    g_dir_close (d);
  }
  g_rmdir (tmp_dir);
}

/* Issue 8: the checked arithmetic every shape computation uses. */
static void
test_checked_sizes (void)
{
  gint64 r = -7, dims[5] = { 65536, 65536, 65536, 65536, 65536 };
  YoloTensor t = {.dtype = YOLO_DTYPE_FLOAT,.ndim = 4 };
  YoloGraph *g = yolo_graph_new ();
  GError *err = NULL;

  g_assert_true (yolo_mul_checked (G_GINT64_CONSTANT (1) << 31,
          G_GINT64_CONSTANT (1) << 31, &r));
  g_assert_cmpint (r, ==, G_GINT64_CONSTANT (1) << 62);
  r = -7;
  g_assert_false (yolo_mul_checked (G_GINT64_CONSTANT (1) << 32,
          G_GINT64_CONSTANT (1) << 31, &r));
  g_assert_false (yolo_mul_checked (-1, 2, &r));
  g_assert_cmpint (r, ==, -7);  /* untouched on failure */
  g_assert_true (yolo_mul_checked (0, G_MAXINT64, &r) && r == 0);
  g_assert_false (yolo_add_checked (G_MAXINT64, 1, &r));
  g_assert_false (yolo_add_checked (G_MININT64, -1, &r));
  g_assert_true (yolo_add_checked (5, -7, &r) && r == -2);
  g_assert_true (yolo_dims_numel (3, dims, &r));
  g_assert_cmpint (r, ==, G_GINT64_CONSTANT (1) << 48);
  g_assert_false (yolo_dims_numel (4, dims, &r));       /* 2^64 */
  g_assert_false (yolo_dims_numel (5, dims, &r));

  /* [1,3,2^31-1,2^31-1]: fits int64, not the 2 GiB budget */
  t.dims[0] = 1;
  t.dims[1] = 3;
  t.dims[2] = t.dims[3] = G_MAXINT32;
  g_assert_cmpint (yolo_tensor_host_bytes (&t), ==, -1);
  g_assert_false (yolo_tensor_check_size (&t, "x", &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL);
  g_assert_nonnull (strstr (err->message, "larger than the 2 GiB"));
  g_clear_error (&err);
  /* a zero dimension does not hide an overflowing rest */
  t.dims[0] = 0;
  t.dims[2] = t.dims[3] = G_GINT64_CONSTANT (1) << 40;
  g_assert_cmpint (yolo_tensor_host_bytes (&t), ==, -1);
  t.dims[2] = t.dims[3] = 8;
  g_assert_cmpint (yolo_tensor_host_bytes (&t), ==, 0);
  t.dims[0] = 1;
  g_assert_cmpint (yolo_tensor_host_bytes (&t), ==, 3 * 8 * 8 * 4);
  t.dtype = YOLO_DTYPE_INT64;
  g_assert_cmpint (yolo_tensor_host_bytes (&t), ==, 3 * 8 * 8 * 8);
  t.dims[1] = -3;
  g_assert_false (yolo_tensor_check_size (&t, "x", &err));
  g_assert_nonnull (strstr (err->message, "negative"));
  g_clear_error (&err);

  /* the budget is for all constants together */
  g_assert_true (yolo_graph_reserve (g, YOLO_MAX_HOST_BYTES / 2, "a", &err));
  g_assert_true (yolo_graph_reserve (g, YOLO_MAX_HOST_BYTES / 2, "b", &err));
  g_assert_false (yolo_graph_reserve (g, 1, "c", &err));
  g_assert_nonnull (strstr (err->message, "c: "));
  g_clear_error (&err);
  g_assert_false (yolo_graph_reserve (g, -1, "d", NULL));
  yolo_graph_free (g);
}

/* Issue 8: names with control bytes are escaped, consistently. */
static void
test_escape_names (void)
{
  char *e;
  YoloGraph *g = yolo_graph_new ();
  GError *err;
  int a, b;

  g_assert_null (yolo_escape_name ("plain name/with:colon"));
  g_assert_null (yolo_escape_name ("caf\xc3\xa9"));     /* valid UTF-8 */
  e = yolo_escape_name ("a\nb\r\t\x1b[31m\\");
  g_assert_cmpstr (e, ==, "a\\nb\\r\\t\\x1b[31m\\\\");
  g_free (e);
  e = yolo_escape_name ("bad \xff utf8");
  g_assert_cmpstr (e, ==, "bad \\xff utf8");
  g_free (e);
  /* stored escaped, found under the raw name; "a\n" and "a\\n" differ */
  a = yolo_graph_tensor (g, "a\n");
  b = yolo_graph_tensor (g, "a\\n");
  g_assert_cmpint (a, !=, b);
  g_assert_cmpint (yolo_graph_find_tensor (g, "a\n"), ==, a);
  g_assert_cmpstr (YOLO_T (g, a)->name, ==, "a\\n");
  g_assert_cmpstr (YOLO_T (g, b)->name, ==, "a\\\\n");
  yolo_graph_free (g);
  err = g_error_new (YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE, "x\ny\x7f");
  yolo_error_escape (err);
  g_assert_cmpstr (err->message, ==, "x\\x0ay\\x7f");
  g_error_free (err);
}

/* Issue 8: constant Gather / GatherElements indices outside the axis are
 * refused when the graph is prepared (the kernels would clamp them). */
static void
test_gather_const_oob (void)
{
  for (int el = 0; el < 2; el++) {
    for (int bad = 0; bad < 3; bad++) {
      YoloGraph *g = yolo_graph_new ();
      gint64 xd[3] = { 1, 4, 1 }, id[3] = { 1, 2, 1 };
      gint64 *iv = g_new (gint64, 2);
      const char *in[] = { "x", "i" }, *out[] = { "y" };
      GError *err = NULL;
      int xi = yolo_graph_tensor (g, "x");
      YoloTensor *x = YOLO_T (g, xi);
      gboolean ok;

      x->dtype = YOLO_DTYPE_FLOAT;
      x->ndim = 3;
      memcpy (x->dims, xd, sizeof xd);
      x->is_input = TRUE;
      g_array_append_val (g->inputs, xi);
      iv[0] = 0;
      iv[1] = bad == 0 ? -4 : bad == 1 ? 4 : -5;
      if (el)
        yolo_graph_add_const (g, "i", YOLO_DTYPE_INT64, 3, id, iv);
      else
        yolo_graph_add_const (g, "i", YOLO_DTYPE_INT64, 1, &id[1], iv);
      yolo_graph_add_node (g, el ? "GatherElements" : "Gather", "gath", 2,
          in, 1, out);
      yolo_node_add_attr (YOLO_N (g, 0), "axis", YOLO_ATTR_INT)->i = 1;
      {
        int yi = yolo_graph_tensor (g, "y");
        YOLO_T (g, yi)->is_output = TRUE;
        g_array_append_val (g->outputs, yi);
      }
      ok = yolo_graph_prepare (g, 0, 0, &err);
      if (bad == 0) {
        g_assert_no_error (err);
        g_assert_true (ok);
      } else {
        char *want = g_strdup_printf ("index %d out of range for axis of "
            "size 4", bad == 1 ? 4 : -5);
        g_assert_false (ok);
        g_assert_error (err, YOLO_ENGINE_ERROR,
            YOLO_ENGINE_ERROR_INVALID_MODEL);
        g_assert_nonnull (strstr (err->message, want));
        g_assert_nonnull (strstr (err->message, "\"gath\""));
        g_free (want);
        g_clear_error (&err);
      }
      yolo_graph_free (g);
    }
  }
}

int
main (int argc, char **argv)
{
  GError *error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  /* opset < 11 models log a message; not fatal */
  tmp_dir = g_dir_make_tmp ("test-onnx-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/onnx/real-models", test_real_models);
  g_test_add_func ("/onnx/real-infer", test_real_infer);
  g_test_add_func ("/onnx/bad-files", test_bad_files);
  g_test_add_func ("/onnx/handmade-valid", test_handmade_valid);
  g_test_add_func ("/onnx/handmade-bad", test_handmade_bad);
  g_test_add_func ("/onnx/unknown-op", test_unknown_op);
  g_test_add_func ("/onnx/parse-names", test_parse_names);
  g_test_add_func ("/onnx/family-names", test_family_names);
  g_test_add_func ("/onnx/family-synthetic", test_family_synthetic);
  g_test_add_func ("/onnx/fuzz", test_fuzz);
  g_test_add_func ("/onnx/checked-sizes", test_checked_sizes);
  g_test_add_func ("/onnx/escape-names", test_escape_names);
  g_test_add_func ("/onnx/gather-const-oob", test_gather_const_oob);
  ret = g_test_run ();
  rm_tmp_dir ();
  g_free (tmp_dir);
  return ret;
}
