/* yolo-test-util.c - see yolo-test-util.h */
#include "yolo-test-util.h"
#include "yolo-half.h"

#include <math.h>
#include <string.h>

static guint32 rng_state = 0x12345678u;

void
yolo_test_seed (guint32 seed)
{
  rng_state = seed ? seed : 1;
}

float
yolo_test_rand (float lo, float hi)
{
  /* xorshift32 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return lo + (hi - lo) * ((rng_state >> 8) / 16777216.0f);
}

static int
make_tensor (YoloGraph * g, const char *name, YoloDType dtype, int ndim,
    const gint64 * dims, float lo, float hi)
{
  int idx = yolo_graph_tensor (g, name);
  YoloTensor *t = YOLO_T (g, idx);
  gint64 n;

  yolo_tensor_set_shape (t, dtype, ndim, dims);
  n = yolo_tensor_numel (t);
  yolo_tensor_alloc_data (t);
  for (gint64 i = 0; i < n; i++) {
    float v = yolo_test_rand (lo, hi);
    if (yolo_dtype_is_float (dtype))
      ((float *) t->data)[i] = v;
    else
      ((gint64 *) t->data)[i] = (gint64) floorf (v + 0.5f);
  }
  return idx;
}

int
yolo_test_input (YoloGraph * g, const char *name, YoloDType dtype, int ndim,
    const gint64 * dims, float lo, float hi)
{
  int idx = make_tensor (g, name, dtype, ndim, dims, lo, hi);

  YOLO_T (g, idx)->is_input = TRUE;
  g_array_append_val (g->inputs, idx);
  return idx;
}

int
yolo_test_const (YoloGraph * g, const char *name, YoloDType dtype, int ndim,
    const gint64 * dims, float lo, float hi)
{
  return make_tensor (g, name, dtype, ndim, dims, lo, hi);
}

int
yolo_test_const_ints (YoloGraph * g, const char *name, int ndim,
    const gint64 * dims, const gint64 * values)
{
  gint64 n = 1;
  for (int i = 0; i < ndim; i++)
    n *= dims[i];
  return yolo_graph_add_const (g, name, YOLO_DTYPE_INT64, ndim, dims,
      g_memdup2 (values, MAX (n, 1) * sizeof (gint64)));
}

YoloNode *
yolo_test_node (YoloGraph * g, const char *op, const char *ins,
    const char *outs)
{
  static int counter = 0;
  char **i = g_strsplit (ins, ",", -1), **o = g_strsplit (outs, ",", -1);
  char *name = g_strdup_printf ("%s_%d", op, counter++);
  int ni = g_strv_length (i), no = g_strv_length (o);
  for (int k = 0; k < ni; k++)
    if (!i[k][0])
      g_clear_pointer (&i[k], g_free);
  int idx = yolo_graph_add_node (g, op, name, ni, (const char *const *) i,
      no, (const char *const *) o);
  for (int k = 0; k < ni; k++)
    g_free (i[k]);
  g_free (i);
  g_strfreev (o);
  g_free (name);
  return YOLO_N (g, idx);
}

YoloGraph *
yolo_test_graph (gint64 opset)
{
  YoloGraph *g = yolo_graph_new ();
  g->opset = opset;
  return g;
}

void
yolo_test_attr_int (YoloNode * n, const char *name, gint64 v)
{
  yolo_node_add_attr (n, name, YOLO_ATTR_INT)->i = v;
}

void
yolo_test_attr_ints (YoloNode * n, const char *name, int cnt, const gint64 * v)
{
  yolo_node_set_ints (n, name, cnt, v);
}

void
yolo_test_attr_int_array (YoloNode * n, const char *name, int cnt, const int *v)
{
  gint64 *w = g_new (gint64, cnt);

  for (int i = 0; i < cnt; i++)
    w[i] = v[i];
  yolo_node_set_ints (n, name, cnt, w);
  g_free (w);
}

void
yolo_test_expect_infer_error (YoloGraph * g, int code, const char *node,
    const char *what)
{
  GError *err = NULL;
  gboolean ok = yolo_graph_sort (g, &err) && yolo_graph_infer (g, &err);

  g_assert_false (ok);
  g_assert_error (err, YOLO_ENGINE_ERROR, code);
  g_assert_nonnull (strstr (err->message, node));
  g_assert_null (strchr (err->message, '\n'));
  if (g_test_verbose ())
    g_printerr ("%s: %s\n", what, err->message);
  g_error_free (err);
  yolo_graph_free (g);
}

int
yolo_test_const_floats (YoloGraph * g, const char *name, int ndim,
    const gint64 * dims, const float *values)
{
  gint64 n = 1;
  for (int i = 0; i < ndim; i++)
    n *= dims[i];
  return yolo_graph_add_const (g, name, YOLO_DTYPE_FLOAT, ndim, dims,
      g_memdup2 (values, MAX (n, 1) * sizeof (float)));
}

void
yolo_test_output (YoloGraph * g, const char *name)
{
  int idx = yolo_graph_tensor (g, name);

  YOLO_T (g, idx)->is_output = TRUE;
  g_array_append_val (g->outputs, idx);
}

gboolean
yolo_test_have_device (void)
{
  static int have = -1;

  if (have < 0) {
    char *list = yolo_engine_list_devices (NULL);
    have = list != NULL;
    g_free (list);
  }
  return have;
}

/* Host reference: evaluates every node in order with its eval(). Returns
 * the outputs' data as float arrays (integers converted). */
static YoloEngineOptions test_options = {.tune = "off" };

static gboolean half_mode;

static gboolean
test_half (void)
{
  return test_options.storage && !strcmp (test_options.storage, "half");
}

/* t's float data rounded to float16 (round to nearest, ties to even). */
static void
round_half (YoloTensor * t)
{
  gint64 n;

  if (t->dtype != YOLO_DTYPE_FLOAT || !t->data)
    return;
  n = yolo_tensor_numel (t);
  for (gint64 k = 0; k < n; k++)
    ((float *) t->data)[k] = yolo_half_round (((float *) t->data)[k]);
}

/* Input j of op_type is an activation operand: with half storage a float
 * constant there is read as half (the ops whose kernels read their
 * parameters as float32 are not listed). */
static gboolean
half_operand (const char *op_type, int j)
{
  static const char *const all[] = { "Add", "Sub", "Mul", "Div", "Pow",
    "Mod", "Max", "Min", "Concat", "MatMul", "Gemm", NULL
  };

  if (g_strv_contains (all, op_type))
    return TRUE;
  return !strcmp (op_type, "Where") && j >= 1;
}

static gboolean
host_reference (YoloGraph * g, GPtrArray * refs, GError ** error)
{
  gboolean half = test_half ();
  gboolean *runtime = g_new0 (gboolean, g->tensors->len);

  if (!yolo_graph_sort (g, error)) {
    g_free (runtime);
    return FALSE;
  }
  /* Half storage: the device stores every float tensor computed at run
   * time as half, so the reference rounds the inputs and each output of a
   * node that reads one to half, at the same points. */
  for (guint i = 0; i < g->inputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->inputs, int, i));
    runtime[g_array_index (g->inputs, int, i)] = TRUE;
    if (half)
      round_half (t);
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def = yolo_ops_lookup (n->op_type);
    gboolean rt_node = FALSE;

    for (int j = 0; j < n->n_inputs; j++)
      rt_node |= n->inputs[j] >= 0 && runtime[n->inputs[j]];
    for (int j = 0; j < n->n_outputs; j++)
      runtime[n->outputs[j]] = rt_node;
    /* a float constant read as an activation operand is stored as half
     * too (yolo_args_tensor); parameters (weights...) stay float32 */
    for (int j = 0; j < n->n_inputs && half && rt_node; j++)
      if (n->inputs[j] >= 0 && !runtime[n->inputs[j]]
          && half_operand (n->op_type, j))
        round_half (YOLO_IN (g, n, j));

    if (!def) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "no op %s", n->op_type);
      return FALSE;
    }
    if (!def->infer (g, n, error) || !def->eval (g, n, error)) {
      g_free (runtime);
      return FALSE;
    }
    for (int j = 0; j < n->n_outputs && half && rt_node; j++)
      round_half (YOLO_OUT (g, n, j));
  }
  g_free (runtime);
  for (guint i = 0; i < g->outputs->len; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    gint64 n = yolo_tensor_numel (t);
    float *f = g_new (float, MAX (n, 1));
    /* uint64 is held as int64 bits: read back unsigned, as the engine */
    for (gint64 k = 0; k < n; k++)
      f[k] = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[k] :
          t->dtype == 13 ? (float) (guint64) ((gint64 *) t->data)[k] :
          (float) ((gint64 *) t->data)[k];
    g_ptr_array_add (refs, f);
  }
  return TRUE;
}

/* Copies the graph's structure and constant / input data (not computed
 * data), so the device run starts from the same state. */
static YoloGraph *
graph_copy (YoloGraph * g)
{
  YoloGraph *c = yolo_graph_new ();

  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    int idx = yolo_graph_tensor (c, t->name);
    YoloTensor *u = YOLO_T (c, idx);
    if (t->data) {
      gint64 n = MAX (yolo_tensor_numel (t), 1);
      yolo_tensor_set_shape (u, t->dtype, t->ndim, t->dims);
      u->data = g_memdup2 (t->data, n * (yolo_dtype_is_float (t->dtype) ?
              sizeof (float) : sizeof (gint64)));
    }
    u->is_input = t->is_input;
    u->is_output = t->is_output;
  }
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i), *m;
    const char **ins = g_new0 (const char *, n->n_inputs + 1);
    const char **outs = g_new0 (const char *, n->n_outputs + 1);
    int idx;

    for (int j = 0; j < n->n_inputs; j++)
      ins[j] = n->inputs[j] >= 0 ? YOLO_T (g, n->inputs[j])->name : NULL;
    for (int j = 0; j < n->n_outputs; j++)
      outs[j] = YOLO_T (g, n->outputs[j])->name;
    idx = yolo_graph_add_node (c, n->op_type, n->name, n->n_inputs, ins,
        n->n_outputs, outs);
    g_free (ins);
    g_free (outs);
    m = YOLO_N (c, idx);
    for (int j = 0; j < n->n_attrs; j++) {
      YoloAttr *a = &n->attrs[j];
      YoloAttr *b = yolo_node_add_attr (m, a->name, a->type);
      b->f = a->f;
      b->i = a->i;
      b->s = g_strdup (a->s);
      b->n = a->n;
      b->floats = a->floats ? g_memdup2 (a->floats, a->n * sizeof (float)) :
          NULL;
      b->ints = a->ints ? g_memdup2 (a->ints, a->n * sizeof (gint64)) : NULL;
      b->tensor = a->tensor >= 0 ?
          yolo_graph_tensor (c, YOLO_T (g, a->tensor)->name) : -1;
    }
    m->act = n->act;
    m->act_alpha = n->act_alpha;
    m->act_beta = n->act_beta;
    m->residual = n->residual >= 0 ?
        yolo_graph_tensor (c, YOLO_T (g, n->residual)->name) : -1;
  }
  for (guint i = 0; i < g->inputs->len; i++) {
    int idx = yolo_graph_tensor (c,
        YOLO_T (g, g_array_index (g->inputs, int, i))->name);
    g_array_append_val (c->inputs, idx);
  }
  for (guint i = 0; i < g->outputs->len; i++) {
    int idx = yolo_graph_tensor (c,
        YOLO_T (g, g_array_index (g->outputs, int, i))->name);
    g_array_append_val (c->outputs, idx);
  }
  c->opset = g->opset;
  return c;
}

/* "+NAME" (must run) or "-NAME" (must not), NAME: kernels separated by |;
 * NULL: none. */
static GPtrArray *expect_kernels;

void
yolo_test_set_options (const YoloEngineOptions * options)
{
  YoloEngineOptions none = { 0 };

  test_options = options ? *options : none;
  if (half_mode)
    test_options.storage = "half";
  /* the static choice, the same on every run (the measured one is
   * test-backend's business) */
  if (!test_options.tune)
    test_options.tune = "off";
}

void
yolo_test_expect_kernel (const char *name, gboolean used)
{
  if (name == NULL) {
    g_clear_pointer (&expect_kernels, g_ptr_array_unref);
    return;
  }
  if (expect_kernels == NULL)
    expect_kernels = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (expect_kernels, g_strdup_printf ("%c%s", used ? '+' : '-',
          name));
}

gboolean
yolo_test_check (YoloGraph * g, const char *label, float atol, float rtol,
    gboolean fuse)
{
  GPtrArray *refs = g_ptr_array_new_with_free_func (g_free);
  YoloGraph *dev_graph = graph_copy (g);
  GPtrArray *inputs = g_ptr_array_new_with_free_func (g_free);
  YoloEngine *e = NULL;
  GError *err = NULL;
  gboolean ok = FALSE;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    yolo_graph_free (dev_graph);
    ok = TRUE;
    goto out;
  }
  /* Keep the run-time inputs' data as floats for yolo_engine_set_input_n. */
  for (guint i = 0; i < dev_graph->inputs->len; i++) {
    YoloTensor *t = YOLO_T (dev_graph,
        g_array_index (dev_graph->inputs, int, i));
    gint64 n = yolo_tensor_numel (t);
    float *f = g_new (float, MAX (n, 1));
    for (gint64 k = 0; k < n; k++)
      f[k] = yolo_dtype_is_float (t->dtype) ? ((float *) t->data)[k] :
          (float) ((gint64 *) t->data)[k];
    g_ptr_array_add (inputs, f);
  }
  if (!host_reference (g, refs, &err)) {
    g_test_message ("%s: host reference failed: %s", label, err->message);
    g_test_fail ();
    yolo_graph_free (dev_graph);
    goto out;
  }
  e = yolo_engine_new_from_graph (dev_graph, &test_options, !fuse, &err);
  if (!e) {
    g_test_message ("%s: engine: %s", label, err->message);
    g_test_fail ();
    goto out;
  }
  if (test_half () && yolo_rt_act_storage (e->rt) != YOLO_DTYPE_FLOAT16) {
    g_test_message ("%s: storage half asked for, the engine stores float32 "
        "(an op without a half variant: run with G_MESSAGES_DEBUG=all)", label);
    g_test_fail ();
    goto out;
  }
  for (guint i = 0; i < inputs->len; i++)
    if (!yolo_engine_set_input_n (e, i, g_ptr_array_index (inputs, i), &err))
      goto fail_err;
  if (!yolo_engine_run (e, &err))
    goto fail_err;
  if (expect_kernels) {
    char *names = yolo_runtime_kernel_names (e->rt);
    char **v = g_strsplit (names, " ", -1);
    gboolean bad = FALSE;
    for (guint i = 0; i < expect_kernels->len && !bad; i++) {
      const char *want = g_ptr_array_index (expect_kernels, i);
      char **alt = g_strsplit (want + 1, "|", -1);
      gboolean used = FALSE;
      for (int j = 0; alt[j]; j++)
        used |= g_strv_contains ((const char *const *) v, alt[j]);
      g_strfreev (alt);
      if (used != (want[0] == '+')) {
        g_test_message ("%s: kernel %s %s (launches: %s)", label, want + 1,
            used ? "used, expected not" : "not used", names);
        g_test_fail ();
        bad = TRUE;
      }
    }
    g_strfreev (v);
    g_free (names);
    if (bad)
      goto out;
  }
  ok = TRUE;
  for (guint i = 0; i < g->outputs->len && ok; i++) {
    YoloTensor *t = YOLO_T (g, g_array_index (g->outputs, int, i));
    gint64 n = yolo_tensor_numel (t);
    float *dev = g_new (float, MAX (n, 1));
    const float *ref = g_ptr_array_index (refs, i);
    char shape[128];

    if (!yolo_engine_get_output (e, i, dev, &err)) {
      g_free (dev);
      goto fail_err;
    }
    if (test_half ()) {
      rtol += 2e-3f;
      atol += 1e-4f;
    }
    for (gint64 k = 0; k < n; k++) {
      float d = fabsf (dev[k] - ref[k]);
      if (!(d <= atol + rtol * fabsf (ref[k])) && dev[k] != ref[k]
          && !(isnan (dev[k]) && isnan (ref[k]))) {
        g_test_message ("%s: output %s %s mismatch at %" G_GINT64_FORMAT
            ": device %.7g, reference %.7g (|diff| %.3g > %.3g)", label,
            t->name, yolo_shape_str (t, shape, sizeof (shape)), k, dev[k],
            ref[k], d, atol + rtol * fabsf (ref[k]));
        g_test_fail ();
        ok = FALSE;
        break;
      }
    }
    g_free (dev);
  }
  goto out;

fail_err:
  g_test_message ("%s: %s", label, err->message);
  g_test_fail ();
  ok = FALSE;
out:
  g_clear_error (&err);
  yolo_engine_free (e);
  yolo_graph_free (g);
  g_ptr_array_unref (refs);
  g_ptr_array_unref (inputs);
  return ok;
}

static void
run_half (gconstpointer data)
{
  YoloEngineOptions saved = test_options;

  half_mode = TRUE;
  test_options.storage = "half";
  ((GTestFunc) data) ();
  half_mode = FALSE;
  test_options = saved;
  test_options.storage = NULL;
}

void
yolo_test_add_half (const char *path, GTestFunc func)
{
  g_test_add_data_func (path, (gconstpointer) func, run_half);
}

gboolean
yolo_test_half (void)
{
  return half_mode;
}

static YoloGraph *load_fused (const char *rel, int batch, gboolean conv_pair);

YoloGraph *
yolo_test_load_fused (const char *rel)
{
  return yolo_test_load_fused_batch (rel, 1);
}

YoloGraph *
yolo_test_load_fused_batch (const char *rel, int batch)
{
  return load_fused (rel, batch, FALSE);
}

YoloGraph *
yolo_test_load_fused_conv_pair (const char *rel, gboolean conv_pair)
{
  return load_fused (rel, 1, conv_pair);
}

static YoloGraph *
load_fused (const char *rel, int batch, gboolean conv_pair)
{
  const char *d = g_getenv ("YOLO_TEST_DATA");
  char *path = g_build_filename (d ? d : "../shared", "models", rel, NULL);
  GError *err = NULL;
  YoloGraph *g;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip_printf ("%s not found (set YOLO_TEST_DATA)", path);
    g_free (path);
    return NULL;
  }
  g = yolo_onnx_load (path, &err);
  g_assert_no_error (err);
  g->batch_to = batch;
  g_assert_true (yolo_graph_prepare (g, 0, 0, &err));
  g_assert_no_error (err);
  g->conv_pair = conv_pair;
  yolo_graph_fuse (g);
  yolo_graph_prune (g);
  g_free (path);
  return g;
}

gint64
yolo_test_info_numel (const YoloTensorInfo * info)
{
  gint64 n = 1;

  for (int d = 0; d < info->ndim; d++)
    n *= info->dims[d];
  return n;
}
