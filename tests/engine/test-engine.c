/* test-engine.c - engine core passes on small graphs: dynamic input sizes,
 * Conv + SiLU + residual fusion, free Concat/Split views in the memory
 * plan, and that fused / planned graphs still match the C reference. */
#include "yolo-test-util.h"

#include <math.h>
#include <string.h>

static void
add_ints (YoloNode * n, const char *name, int cnt, const gint64 * v)
{
  YoloAttr *a = yolo_node_add_attr (n, name, YOLO_ATTR_INTS);
  a->n = cnt;
  a->ints = g_memdup2 (v, cnt * sizeof (gint64));
}

/* Conv name: X [1,C,H,W] -> Y [1,M,H,W], 3x3 pad 1 (or 1x1). */
static void
add_conv (YoloGraph * g, const char *x, const char *y, int C, int M, int k)
{
  static int serial;
  char wn[32], bn[32];
  gint64 wd[4] = { M, C, k, k }, bd[1] = { M };
  gint64 pads[4] = { k / 2, k / 2, k / 2, k / 2 }, ks[2] = { k, k };
  const char *ins[3] = { x, wn, bn }, *outs[1] = { y };
  int ni;

  g_snprintf (wn, sizeof (wn), "W%d", serial);
  g_snprintf (bn, sizeof (bn), "B%d", serial++);
  yolo_test_const (g, wn, YOLO_DTYPE_FLOAT, 4, wd, -0.3f, 0.3f);
  yolo_test_const (g, bn, YOLO_DTYPE_FLOAT, 1, bd, -0.1f, 0.1f);
  ni = yolo_graph_add_node (g, "Conv", y, 3, ins, 1, outs);
  add_ints (YOLO_N (g, ni), "pads", 4, pads);
  add_ints (YOLO_N (g, ni), "kernel_shape", 2, ks);
}

/* Sigmoid + Mul = SiLU after tensor x, into y. */
static void
add_silu (YoloGraph * g, const char *x, const char *y)
{
  char s[64];
  const char *in1[1] = { x }, *out1[1] = { s }, *in2[2] = { x, s };
  const char *out2[1] = { y };

  g_snprintf (s, sizeof (s), "%s_sig", x);
  yolo_graph_add_node (g, "Sigmoid", NULL, 1, in1, 1, out1);
  yolo_graph_add_node (g, "Mul", NULL, 2, in2, 1, out2);
}

static int
count_live (YoloGraph * g, const char *op)
{
  int c = 0;
  for (guint i = 0; i < g->nodes->len; i++)
    if (!YOLO_N (g, i)->removed && !strcmp (YOLO_N (g, i)->op_type, op))
      c++;
  return c;
}

/* A C2f-like block: conv -> split -> bottleneck (conv, SiLU, conv, SiLU,
 * + residual) -> concat(split0, split1, bottleneck) -> conv. */
static YoloGraph *
c2f_graph (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, 16, 13, 21 }, split[2] = { 8, 8 };
  const char *sin[2] = { "a", "split" }, *sout[2] = { "s0", "s1" };
  const char *cin[3] = { "s0", "s1", "r" }, *cout[1] = { "cat" };
  const char *ain[2] = { "s1", "b2" }, *aout[1] = { "r" };
  int ni;

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  add_conv (g, "x", "a0", 16, 16, 1);
  add_silu (g, "a0", "a");
  yolo_test_const_ints (g, "split", 1, (gint64[]) {
      2}, split);
  ni = yolo_graph_add_node (g, "Split", "split", 2, sin, 2, sout);
  yolo_node_add_attr (YOLO_N (g, ni), "axis", YOLO_ATTR_INT)->i = 1;
  add_conv (g, "s1", "b0", 8, 8, 3);
  add_silu (g, "b0", "b1");
  add_conv (g, "b1", "b1c", 8, 8, 3);
  add_silu (g, "b1c", "b2");
  yolo_graph_add_node (g, "Add", "res", 2, ain, 1, aout);
  ni = yolo_graph_add_node (g, "Concat", "cat", 3, cin, 1, cout);
  yolo_node_add_attr (YOLO_N (g, ni), "axis", YOLO_ATTR_INT)->i = 1;
  add_conv (g, "cat", "y0", 24, 12, 1);
  add_silu (g, "y0", "y");
  yolo_test_output (g, "y");
  return g;
}

static void
test_fused_c2f_matches_reference (void)
{
  g_assert_true (yolo_test_check (c2f_graph (), "c2f fused", 1e-4, 1e-4, TRUE));
  g_assert_true (yolo_test_check (c2f_graph (), "c2f unfused", 1e-4, 1e-4,
          FALSE));
}

static void
test_fusion_and_views (void)
{
  GError *err = NULL;
  YoloEngine *e;
  YoloGraph *g;
  YoloTensor *cat, *a, *r;
  int t;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  e = yolo_engine_new_from_graph (c2f_graph (), NULL, FALSE, &err);
  g_assert_no_error (err);
  g = e->graph;
  /* Every Sigmoid/Mul pair went into its conv, the Add into the second
   * bottleneck conv as a residual. */
  g_assert_cmpint (count_live (g, "Conv"), ==, 4);
  g_assert_cmpint (count_live (g, "Sigmoid"), ==, 0);
  g_assert_cmpint (count_live (g, "Mul"), ==, 0);
  g_assert_cmpint (count_live (g, "Add"), ==, 0);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Conv")) {
      g_assert_cmpint (n->act, ==, YOLO_ACT_SILU);
      if (!strcmp (n->name, "b1c"))
        g_assert_cmpstr (YOLO_T (g, n->residual)->name, ==, "s1");
    }
  }
  /* The concat is free: the first conv writes channels 0..15 of it (the
   * split halves are views), the bottleneck writes channels 16..23. */
  t = yolo_graph_find_tensor (g, "cat");
  cat = YOLO_T (g, t);
  a = YOLO_T (g, yolo_graph_find_tensor (g, "a"));
  r = YOLO_T (g, yolo_graph_find_tensor (g, "r"));
  g_assert_true (yolo_rt_same_location (g, a, cat, 0));
  g_assert_true (yolo_rt_same_location (g,
          YOLO_T (g, yolo_graph_find_tensor (g, "s1")), cat, 8 * 13 * 21));
  g_assert_true (yolo_rt_same_location (g, r, cat, 16 * 13 * 21));
  yolo_engine_free (e);
}

static YoloGraph *
dynamic_graph (const char *imgsz)
{
  YoloGraph *g = yolo_graph_new ();
  int x = yolo_graph_tensor (g, "x");
  const char *in[1] = { "x" }, *out[1] = { "y" };
  gint64 dims[4] = { -1, 3, -1, -1 };

  yolo_tensor_set_shape (YOLO_T (g, x), YOLO_DTYPE_FLOAT, 4, dims);
  YOLO_T (g, x)->is_input = TRUE;
  g_array_append_val (g->inputs, x);
  yolo_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
  yolo_test_output (g, "y");
  if (imgsz)
    g_hash_table_insert (g->metadata, g_strdup ("imgsz"), g_strdup (imgsz));
  return g;
}

static void
test_dynamic_input (void)
{
  YoloEngineOptions opt = { 0, };
  YoloTensorInfo info;
  GError *err = NULL;
  YoloEngine *e;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  /* No size anywhere: a clear error. */
  e = yolo_engine_new_from_graph (dynamic_graph (NULL), NULL, FALSE, &err);
  g_assert_null (e);
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (err->message, "dynamic"));
  g_clear_error (&err);

  /* The size from the options. */
  opt.input_height = 48;
  opt.input_width = 64;
  e = yolo_engine_new_from_graph (dynamic_graph (NULL), &opt, FALSE, &err);
  g_assert_no_error (err);
  g_assert_true (yolo_engine_output_info (e, 0, &info));
  g_assert_cmpint (info.dims[0], ==, 1);
  g_assert_cmpint (info.dims[2], ==, 48);
  g_assert_cmpint (info.dims[3], ==, 64);
  yolo_engine_free (e);

  /* The size from Ultralytics' imgsz metadata. */
  e = yolo_engine_new_from_graph (dynamic_graph ("[32, 40]"), NULL, FALSE,
      &err);
  g_assert_no_error (err);
  g_assert_true (yolo_engine_output_info (e, 0, &info));
  g_assert_cmpint (info.dims[2], ==, 32);
  g_assert_cmpint (info.dims[3], ==, 40);
  yolo_engine_free (e);
}

/* Invalid test / benchmark options (and invalid values of the
 * environment variables they fall back to) are one-line argument errors
 * naming the option (or variable) and the value. */
static void
test_bad_options (void)
{
  static const struct
  {
    YoloEngineOptions opt;
    const char *words[2];
  } bad[] = {
    {{.conv_kernel = "fastest"}, {"conv_kernel", "fastest"}},
    {{.conv_kernel = "TILED"}, {"conv_kernel", "TILED"}},
    {{.matmul_kernel = "tiles"}, {"matmul_kernel", "tiles"}},
    {{.wino_layout = "cx"}, {"wino_layout", "cx"}},
    {{.preproc_kernel = "w16"}, {"preproc_kernel", "w16"}},
    {{.preproc_upload = "map"}, {"preproc_upload", "map"}},
    {{.program_cache = "1"}, {"program_cache", "\"1\""}},
    {{.max_work_group_size = -1}, {"max_work_group_size", "-1"}},
    {{.max_local_mem_size = -2}, {"max_local_mem_size", "-2"}},
    {{.max_mem_alloc_size = -3}, {"max_mem_alloc_size", "-3"}},
    {{.max_global_mem_size = -4}, {"max_global_mem_size", "-4"}},
    {{.storage = "fp16"}, {"storage", "fp16"}},
    {{.int8_compute = "int4"}, {"int8_compute", "int4"}},
  };
  /* A variable, a bad value, the option it is the default of (-1: not
   * tested). */
  static const struct
  {
    const char *name, *value;
    glong option;
  } env[] = {
    {"YOLO_CONV_KERNEL", "bogus",
        G_STRUCT_OFFSET (YoloEngineOptions, conv_kernel)},
    {"YOLO_MATMUL_KERNEL", "bogus",
        G_STRUCT_OFFSET (YoloEngineOptions, matmul_kernel)},
    {"YOLO_PREPROC_UPLOAD", "bogus",
        G_STRUCT_OFFSET (YoloEngineOptions, preproc_upload)},
    {"YOLO_STORAGE", "double", G_STRUCT_OFFSET (YoloEngineOptions, storage)},
    {"YOLO_INT8_COMPUTE", "int4",
        G_STRUCT_OFFSET (YoloEngineOptions, int8_compute)},
    {"YOLO_MAX_LOCAL_MEM_SIZE", "8k", -1},
    {"YOLO_MAX_MEM_ALLOC_SIZE", "-5", -1},
  };
  GError *err = NULL;
  YoloEngine *e;

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++) {
    e = yolo_engine_new_from_graph (c2f_graph (), &bad[i].opt, FALSE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_test_message ("%s", err->message);
    for (int w = 0; w < 2; w++)
      g_assert_nonnull (strstr (err->message, bad[i].words[w]));
    g_assert_null (strchr (err->message, '\n'));
    g_clear_error (&err);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (env); i++) {
    g_setenv (env[i].name, env[i].value, TRUE);
    e = yolo_engine_new_from_graph (c2f_graph (), NULL, FALSE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_test_message ("%s", err->message);
    g_assert_nonnull (strstr (err->message, env[i].name));
    g_assert_nonnull (strstr (err->message, env[i].value));
    g_clear_error (&err);
    if (env[i].option >= 0 && yolo_test_have_device ()) {
      /* The option, when set, wins over the variable. */
      YoloEngineOptions opt = { 0 };

      G_STRUCT_MEMBER (const char *, &opt, env[i].option) = "auto";
      e = yolo_engine_new_from_graph (c2f_graph (), &opt, FALSE, &err);
      g_assert_no_error (err);
      yolo_engine_free (e);
    }
    g_unsetenv (env[i].name);
  }
}

/* The runtime holds the options resolved: a set option as given, an
 * unset one from its environment variable, else "auto" / no cap; the caps
 * lower the device limits the ops see. */
static void
test_options_resolved (void)
{
  YoloEngineOptions opt = {.conv_kernel = "gpu",.max_work_group_size = 32,
    .max_local_mem_size = 4096
  };
  const YoloEngineOptions *r;
  const YoloDeviceInfo *dev;
  GError *err = NULL;
  YoloEngine *e;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  g_setenv ("YOLO_CONV_KERNEL", "tiled", TRUE);
  g_setenv ("YOLO_MATMUL_KERNEL", "tile", TRUE);
  g_setenv ("YOLO_MAX_WORK_GROUP_SIZE", "16", TRUE);
  e = yolo_engine_new_from_graph (c2f_graph (), &opt, FALSE, &err);
  g_assert_no_error (err);
  r = yolo_rt_options (e->rt);
  dev = yolo_rt_device (e->rt);
  g_assert_cmpstr (r->conv_kernel, ==, "gpu");
  g_assert_cmpstr (r->matmul_kernel, ==, "tile");
  g_assert_cmpstr (r->wino_layout, ==, "auto");
  g_assert_cmpstr (r->preproc_kernel, ==, "auto");
  g_assert_cmpint (r->max_work_group_size, ==, 32);
  g_assert_cmpint (r->max_mem_alloc_size, ==, 0);
  g_assert_cmpuint (dev->max_work_group_size, <=, 32);
  g_assert_cmpuint (dev->max_work_item_sizes[0], <=, 32);
  g_assert_cmpuint (dev->local_mem_size, <=, 4096);
  yolo_engine_free (e);

  /* Unset options take the variables. */
  e = yolo_engine_new_from_graph (c2f_graph (), NULL, FALSE, &err);
  g_assert_no_error (err);
  r = yolo_rt_options (e->rt);
  g_assert_cmpstr (r->conv_kernel, ==, "tiled");
  g_assert_cmpint (r->max_work_group_size, ==, 16);
  g_assert_cmpuint (yolo_rt_device (e->rt)->max_work_group_size, <=, 16);
  yolo_engine_free (e);
  g_unsetenv ("YOLO_CONV_KERNEL");
  g_unsetenv ("YOLO_MATMUL_KERNEL");
  g_unsetenv ("YOLO_MAX_WORK_GROUP_SIZE");
}

/* yolo_engine_new frees the host copies of the weights once they are on
 * the device: more than 10 MB of yolov8n-320's 12.6 MB, every released
 * tensor still a constant, no graph input or output released, and the
 * outputs bit-identical to an engine built from the same file's graph with
 * yolo_engine_new_from_graph, which keeps every host copy. */
static void
test_host_constants_released (void)
{
  const char *data = g_getenv ("YOLO_TEST_DATA");
  char *path = g_build_filename (data ? data : "../shared", "models",
      "yolov8n-320.onnx", NULL);
  YoloEngineOptions opt = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e, *ref;
  YoloGraph *g;
  YoloTensorInfo ii, oi;
  gint64 released = 0, in_n, out_n;
  float *in, *out, *out_ref;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    g_free (path);
    return;
  }
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip ("yolov8n-320.onnx missing (YOLO_TEST_DATA)");
    g_free (path);
    return;
  }
  e = yolo_engine_new (path, &opt, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < e->graph->tensors->len; i++) {
    YoloTensor *t = YOLO_T (e->graph, i);
    if (!t->host_released)
      continue;
    g_assert_null (t->data);
    g_assert_true (yolo_tensor_is_const (t));
    g_assert_false (t->is_input || t->is_output);
    released += yolo_tensor_numel (t) * 4;
  }
  g_assert_cmpint (released, >, 10 << 20);

  g = yolo_onnx_load (path, &err);
  g_assert_no_error (err);
  ref = yolo_engine_new_from_graph (g, &opt, FALSE, &err);
  g_assert_no_error (err);
  for (guint i = 0; i < ref->graph->tensors->len; i++)
    g_assert_false (YOLO_T (ref->graph, i)->host_released);

  g_assert_true (yolo_engine_input_info (e, 0, &ii));
  g_assert_true (yolo_engine_output_info (e, 0, &oi));
  in_n = yolo_test_info_numel (&ii);
  out_n = yolo_test_info_numel (&oi);
  in = g_new (float, in_n);
  out = g_new (float, out_n);
  out_ref = g_new (float, out_n);
  /* image-like values in 0..1, not from yolo_test_rand: the later tests'
   * random graphs stay the same */
  for (gint64 k = 0; k < in_n; k++)
    in[k] = (float) ((k * 2654435761u) % 256) / 255.0f;
  g_assert_true (yolo_engine_set_input (e, in, &err));
  g_assert_true (yolo_engine_run (e, &err));
  g_assert_true (yolo_engine_get_output (e, 0, out, &err));
  g_assert_true (yolo_engine_set_input (ref, in, &err));
  g_assert_true (yolo_engine_run (ref, &err));
  g_assert_true (yolo_engine_get_output (ref, 0, out_ref, &err));
  g_assert_no_error (err);
  g_assert_cmpmem (out, out_n * sizeof (float), out_ref,
      out_n * sizeof (float));

  yolo_engine_free (e);
  yolo_engine_free (ref);
  g_free (in);
  g_free (out);
  g_free (out_ref);
  g_free (path);
}

/* X [1,3,5,7] -> Relu -> A, A -> Sigmoid -> B, Concat (A, B; axis 1) -> C:
 * the concat is free (A and B are slices of C). */
static YoloGraph *
concat_graph (void)
{
  YoloGraph *g = yolo_graph_new ();
  const gint64 dims[4] = { 1, 3, 5, 7 };
  const char *x[] = { "X" }, *a[] = { "A" }, *b[] = { "B" };
  const char *ab[] = { "A", "B" }, *c[] = { "C" };
  int n;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, dims, -1.0f, 1.0f);
  yolo_graph_add_node (g, "Relu", "relu", 1, x, 1, a);
  yolo_graph_add_node (g, "Sigmoid", "sigmoid", 1, a, 1, b);
  n = yolo_graph_add_node (g, "Concat", "cat", 2, ab, 1, c);
  yolo_node_add_attr (YOLO_N (g, n), "axis", YOLO_ATTR_INT)->i = 1;
  yolo_test_output (g, "C");
  return g;
}

/* The memory plan in bytes: each tensor takes numel * the width of its
 * storage type, blocks start on 128 bytes, views are byte offsets, and
 * tensors of different widths share one arena. */
static void
test_plan_bytes (void)
{
  static const struct
  {
    YoloDType storage, x_storage;
    gint64 arena, b_offset;
  } cases[] = {
    /* X: 105 x 4 = 420 -> 512 bytes; C: 210 x 4 = 840 -> 896 bytes */
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_FLOAT, 512 + 896, 105 * 4},
    /* half: X 210 -> 256, C 420 -> 512 */
    {YOLO_DTYPE_FLOAT16, YOLO_DTYPE_FLOAT16, 256 + 512, 105 * 2},
    /* an 8-bit X (105 -> 128 bytes) next to float C */
    {YOLO_DTYPE_FLOAT, YOLO_DTYPE_INT8, 128 + 896, 105 * 4},
  };
  GError *err = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    YoloGraph *g = concat_graph ();
    YoloTensor *X, *A, *B, *C;
    gint64 arena;

    g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_no_error (err);
    yolo_plan_storage (g, cases[i].storage);
    X = YOLO_T (g, yolo_graph_find_tensor (g, "X"));
    A = YOLO_T (g, yolo_graph_find_tensor (g, "A"));
    B = YOLO_T (g, yolo_graph_find_tensor (g, "B"));
    C = YOLO_T (g, yolo_graph_find_tensor (g, "C"));
    X->storage = cases[i].x_storage;
    g_assert_cmpint (yolo_tensor_storage (C), ==, cases[i].storage);
    g_assert_cmpint (yolo_tensor_storage_bytes (C), ==,
        210 * (gint64) yolo_dtype_size (cases[i].storage));
    arena = yolo_plan_memory (g);
    g_assert_cmpint (arena, ==, cases[i].arena);
    /* A and B are slices of C at byte offsets; X is not in C's block */
    g_assert_cmpint (A->view_of, ==, yolo_graph_find_tensor (g, "C"));
    g_assert_cmpint (B->view_offset, ==, cases[i].b_offset);
    g_assert_cmpint (B->mem_offset, ==, C->mem_offset + cases[i].b_offset);
    g_assert_true (yolo_rt_same_location (g, B, C, 105));
    g_assert_false (yolo_rt_same_location (g, B, C, 104));
    g_assert_cmpint (C->mem_offset % 128, ==, 0);
    g_assert_cmpint (X->mem_offset % 128, ==, 0);
    g_assert_true (X->mem_offset >= C->mem_offset + 210 *
        (gint64) yolo_dtype_size (cases[i].storage)
        || X->mem_offset + yolo_tensor_storage_bytes (X) <= C->mem_offset);
    yolo_graph_free (g);
  }

  /* widths and checked sizes */
  {
    YoloTensor t = {.dtype = YOLO_DTYPE_FLOAT,.ndim = 2,.dims =
          {G_MAXINT64 / 4, 3}
    };
    g_assert_cmpuint (yolo_dtype_size (YOLO_DTYPE_FLOAT16), ==, 2);
    g_assert_cmpuint (yolo_dtype_size (YOLO_DTYPE_BOOL), ==, 1);
    g_assert_cmpuint (yolo_dtype_size (YOLO_DTYPE_INT64), ==, 8);
    g_assert_cmpuint (yolo_dtype_size (YOLO_DTYPE_UNDEFINED), ==, 0);
    g_assert_cmpint (yolo_tensor_storage_bytes (&t), ==, -1);
    t.dtype = YOLO_DTYPE_INT64;
    t.dims[0] = 5;
    /* integers are int32 on the device */
    g_assert_cmpint (yolo_tensor_storage (&t), ==, YOLO_DTYPE_INT32);
    g_assert_cmpint (yolo_tensor_storage_bytes (&t), ==, 60);
  }
}

/* Quantisation parameters attached to a tensor: checked, copied, freed
 * with the graph (ASan / LSan see a leak or a double free). */
static void
test_quant_params (void)
{
  YoloGraph *g = yolo_graph_new ();
  const gint64 dims[4] = { 4, 3, 3, 3 };
  const float scale4[4] = { 0.5f, 0.25f, 1.0f, 2.0f };
  const gint32 zp4[4] = { 0, -128, 127, 3 };
  const float bad_scale[4] = { 0.5f, 0.0f, 1.0f, 2.0f };
  const float nan_scale[1] = { NAN };
  const gint32 zp_bad[4] = { 0, 0, 128, 0 }, zp_neg[1] = { -1 };
  const float one = 0.125f;
  GError *err = NULL;
  YoloTensor *t;
  int w;

  w = yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, dims, -1, 1);
  t = YOLO_T (g, w);
  /* per-tensor */
  g_assert_true (yolo_tensor_set_quant (t, -1, 1, &one, NULL,
          YOLO_DTYPE_UINT8, &err));
  g_assert_no_error (err);
  g_assert_cmpint (t->quant->axis, ==, -1);
  g_assert_cmpuint (t->quant->n, ==, 1);
  g_assert_null (t->quant->zero_point);
  /* per-channel, negative axis normalised; replaces the first */
  g_assert_true (yolo_tensor_set_quant (t, -4, 4, scale4, zp4,
          YOLO_DTYPE_INT8, &err));
  g_assert_no_error (err);
  g_assert_cmpint (t->quant->axis, ==, 0);
  g_assert_cmpuint (t->quant->n, ==, 4);
  g_assert_true (t->quant->scale != scale4);    /* a copy */
  g_assert_cmpfloat (t->quant->scale[3], ==, 2.0f);
  g_assert_cmpint (t->quant->zero_point[1], ==, -128);
  g_assert_cmpint (t->quant->zp_dtype, ==, YOLO_DTYPE_INT8);

  /* refused: the parameters stay as they were */
  g_assert_false (yolo_tensor_set_quant (t, 1, 4, scale4, NULL, YOLO_DTYPE_INT8, &err));        /* dims[1] is 3 */
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL);
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, 4, 4, scale4, NULL, YOLO_DTYPE_INT8, &err));        /* no axis 4 */
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, 0, 4, bad_scale, NULL,
          YOLO_DTYPE_INT8, &err));
  g_assert_nonnull (strstr (err->message, "scale 1"));
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, -1, 1, nan_scale, NULL,
          YOLO_DTYPE_INT8, &err));
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, 0, 4, scale4, zp_bad,
          YOLO_DTYPE_INT8, &err));
  g_assert_nonnull (strstr (err->message, "zero point 2 is 128"));
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, -1, 1, &one, zp_neg,
          YOLO_DTYPE_UINT8, &err));
  g_clear_error (&err);
  g_assert_false (yolo_tensor_set_quant (t, -1, 0, &one, NULL,
          YOLO_DTYPE_UINT8, &err));
  g_clear_error (&err);
  g_assert_cmpuint (t->quant->n, ==, 4);
  g_assert_cmpfloat (t->quant->scale[1], ==, 0.25f);
  yolo_graph_free (g);
}

/* Option storage: "half" stores float activations as float16 when every
 * op has a half kernel; an op without one (Sin) keeps float32; "auto"
 * stores float32, for a float16 model too (yolo-engine.h). */
static void
test_storage_choice (void)
{
  YoloEngineOptions half = {.storage = "half" }, autos = {.storage = "auto" };
  const gint64 dims[2] = { 3, 37 };
  const char *x[] = { "X" }, *y[] = { "Y" };
  GError *err = NULL;
  YoloEngine *e;
  YoloGraph *g;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  e = yolo_engine_new_from_graph (concat_graph (), &half, FALSE, &err);
  g_assert_no_error (err);
  g_assert_cmpint (yolo_rt_act_storage (e->rt), ==, YOLO_DTYPE_FLOAT16);
  g_assert_cmpint (yolo_tensor_storage (YOLO_T (e->graph,
              yolo_graph_find_tensor (e->graph, "C"))), ==, YOLO_DTYPE_FLOAT16);
  yolo_engine_free (e);

  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, dims, -3.0f, 3.0f);
  yolo_graph_add_node (g, "Sin", "sin", 1, x, 1, y);
  yolo_test_output (g, "Y");
  e = yolo_engine_new_from_graph (g, &half, FALSE, &err);
  g_assert_no_error (err);
  g_assert_cmpint (yolo_rt_act_storage (e->rt), ==, YOLO_DTYPE_FLOAT);
  yolo_engine_free (e);

  e = yolo_engine_new_from_graph (concat_graph (), &autos, FALSE, &err);
  g_assert_no_error (err);
  g_assert_cmpint (yolo_rt_act_storage (e->rt), ==, YOLO_DTYPE_FLOAT);
  yolo_engine_free (e);
  /* a float16 model: its input declared float16 */
  g = concat_graph ();
  YOLO_T (g, yolo_graph_find_tensor (g, "X"))->io_dtype = YOLO_DTYPE_FLOAT16;
  e = yolo_engine_new_from_graph (g, &autos, FALSE, &err);
  g_assert_no_error (err);
  g_assert_cmpint (yolo_rt_act_storage (e->rt), ==, YOLO_DTYPE_FLOAT);
  yolo_engine_free (e);
}

/* yolo_engine_output_data: output 0 where the engine keeps it (mapped, for
 * float32 storage; a host copy for float16 storage) equals
 * yolo_engine_get_output's copy, run after run (each new input unmaps the
 * last map: the second run's values are seen, not the first's); no
 * output 1. */
static void
test_output_data (void)
{
  YoloEngineOptions opts[2] = { {.storage = "auto"}, {.storage = "half"} };
  float in[3 * 5 * 7], out[2 * 3 * 5 * 7];
  GError *err = NULL;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (int o = 0; o < 2; o++) {
    YoloEngine *e = yolo_engine_new_from_graph (concat_graph (), &opts[o],
        FALSE, &err);
    g_assert_no_error (err);
    for (int run = 0; run < 3; run++) {
      const float *d;
      for (int k = 0; k < 3 * 5 * 7; k++)
        in[k] = (float) ((k * 7 + run * 13) % 19) / 9.0f - 1.0f;
      g_assert_true (yolo_engine_set_input (e, in, &err));
      g_assert_true (yolo_engine_run (e, &err));
      d = yolo_engine_output_data (e, 0, &err);
      g_assert_no_error (err);
      g_assert_nonnull (d);
      /* asked again before the next run: the same data */
      g_assert_true (yolo_engine_output_data (e, 0, &err) == d);
      g_assert_true (yolo_engine_get_output (e, 0, out, &err));
      g_assert_cmpmem (d, sizeof (out), out, sizeof (out));
      /* C = (Relu (X), Sigmoid (Relu (X))) */
      g_assert_cmpfloat (d[0], ==, out[0]);
      g_assert_cmpfloat_with_epsilon (d[1], MAX (in[1], 0.0f), 2e-3);
    }
    g_assert_null (yolo_engine_output_data (e, 1, &err));
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_clear_error (&err);
    /* freed while mapped */
    g_assert_nonnull (yolo_engine_output_data (e, 0, &err));
    yolo_engine_free (e);
  }
}

/* yolo_engine_bind_input: the first layers read the caller's array where it
 * lies; the outputs equal those of yolo_engine_set_input's copy, run after
 * run, with the array changed in place, another array, and back to
 * set_input (which points the readers back at the arena: its new values
 * are seen, not the bound array's). yolov8n-320 (its stem conv reads the
 * input) and concat_graph (a Relu). */
static void
test_bind_input (void)
{
  const char *data = g_getenv ("YOLO_TEST_DATA");
  char *path = g_build_filename (data ? data : "../shared", "models",
      "yolov8n-320.onnx", NULL);
  YoloEngineOptions opt = {.tune = "off" };
  GError *err = NULL;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    g_free (path);
    return;
  }
  for (int m = 0; m < 2; m++) {
    YoloEngine *e;
    YoloTensorInfo ii, oi;
    gint64 in_n, out_n;
    float *a, *b, *ref, *out;

    if (m == 0 && !g_file_test (path, G_FILE_TEST_EXISTS))
      continue;
    e = m == 0 ? yolo_engine_new (path, &opt, &err)
        : yolo_engine_new_from_graph (concat_graph (), &opt, FALSE, &err);
    g_assert_no_error (err);
    g_assert_true (yolo_engine_input_info (e, 0, &ii));
    g_assert_true (yolo_engine_output_info (e, 0, &oi));
    in_n = yolo_test_info_numel (&ii);
    out_n = yolo_test_info_numel (&oi);
    a = g_new (float, in_n);
    b = g_new (float, in_n);
    ref = g_new (float, out_n);
    out = g_new (float, out_n);
    for (int step = 0; step < 4; step++) {
      const float *src;
      for (gint64 k = 0; k < in_n; k++) {
        a[k] = (float) ((k * 2654435761u + step * 7919u) % 256) / 255.0f;
        b[k] = 1.0f - a[k];
      }
      src = step == 2 ? b : a;
      g_assert_true (yolo_engine_set_input (e, src, &err));
      g_assert_true (yolo_engine_run (e, &err));
      g_assert_true (yolo_engine_get_output (e, 0, ref, &err));
      if (step < 3) {
        /* the arena's copy of the input differs from the bound array: a
         * reader left on the arena fails the comparison */
        g_assert_true (yolo_engine_set_input (e, src == a ? b : a, &err));
        g_assert_true (yolo_engine_bind_input (e, src, &err));
      } else {
        /* set_input after a bind: its values are read, not the array's */
        g_assert_true (yolo_engine_bind_input (e, src == a ? b : a, &err));
        g_assert_true (yolo_engine_set_input (e, src, &err));
      }
      g_assert_true (yolo_engine_run (e, &err));
      g_assert_true (yolo_engine_get_output (e, 0, out, &err));
      g_assert_no_error (err);
      g_assert_cmpmem (out, out_n * sizeof (float), ref,
          out_n * sizeof (float));
    }
    g_assert_no_error (err);
    g_assert_true (yolo_engine_bind_input (e, a, &err));
    yolo_engine_free (e);
    g_free (a);
    g_free (b);
    g_free (ref);
    g_free (out);
  }
  g_free (path);
}

/* GError domain string: what applications match on (g_quark_from_string). */
static void
test_error_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (YOLO_ENGINE_ERROR), ==,
      "yolo-engine-error-quark");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (7);
  g_test_add_func ("/engine/fused-c2f-matches-reference",
      test_fused_c2f_matches_reference);
  g_test_add_func ("/engine/fusion-and-views", test_fusion_and_views);
  g_test_add_func ("/engine/dynamic-input", test_dynamic_input);
  g_test_add_func ("/engine/bad-options", test_bad_options);
  g_test_add_func ("/engine/options-resolved", test_options_resolved);
  g_test_add_func ("/engine/error-quark", test_error_quark);
  g_test_add_func ("/engine/host-constants-released",
      test_host_constants_released);
  g_test_add_func ("/engine/plan-bytes", test_plan_bytes);
  g_test_add_func ("/engine/quant-params", test_quant_params);
  g_test_add_func ("/engine/storage-choice", test_storage_choice);
  yolo_test_add_half ("/engine/half/fused-c2f-matches-reference",
      test_fused_c2f_matches_reference);
  /* after the half suite, whose random graph they would change */
  g_test_add_func ("/engine-io/output-data", test_output_data);
  g_test_add_func ("/engine-io/bind-input", test_bind_input);
  return g_test_run ();
}
