/* test-backend.c - the backend seam (yolo-backend.h): which impls support
 * a few nodes on the current device, the variant names the options take,
 * and the measured choice with its cache file (yolo-tune.c).
 *
 * main() points XDG_CACHE_HOME at a directory of its own, so the tuning
 * cache this test writes and corrupts is not the one other tests use. */
#include "yolo-test-util.h"
#include "yolo-backend.h"
#include "yolo-lower.h"
#include "yolo-tune.h"
#include "backend-opencl/conv-common.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* One Conv k x k, stride s, pad k/2, of [1, C, H, W] into M channels. */
static YoloGraph *
conv_graph (int C, int H, int W, int M, int k, int s, int group)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, C, H, W }, wd[4] = { M, C / group, k, k };
  gint64 bd[1] = { M }, ks[2] = { k, k }, st[2] = { s, s };
  gint64 pads[4] = { k / 2, k / 2, k / 2, k / 2 };
  const char *ins[3] = { "X", "W", "B" }, *outs[1] = { "Y" };
  float sc = 1.0f / sqrtf ((float) (C / group) * k * k);
  YoloNode *n;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -sc, sc);
  yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.5f, 0.5f);
  int ni = yolo_graph_add_node (g, "Conv", "conv0", 3, ins, 1, outs);

  n = YOLO_N (g, ni);
  yolo_test_attr_ints (n, "kernel_shape", 2, ks);
  yolo_test_attr_ints (n, "strides", 2, st);
  yolo_test_attr_ints (n, "pads", 4, pads);
  if (group != 1)
    yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = group;
  n->act = YOLO_ACT_SILU;
  n->residual = -1;
  yolo_test_output (g, "Y");
  return g;
}

static YoloNode *
find_node (YoloEngine * e, const char *op_type)
{
  for (guint i = 0; i < e->graph->nodes->len; i++) {
    YoloNode *n = YOLO_N (e->graph, i);
    if (!n->removed && !strcmp (n->op_type, op_type))
      return n;
  }
  g_assert_not_reached ();
  return NULL;
}

/* The impls of the OpenCL backend that implement op_type and support n,
 * and its candidates (automatic choice), as space-separated names. */
static void
list_impls (YoloEngine * e, YoloNode * n, char **supported, char **cands)
{
  GString *s = g_string_new (NULL), *c = g_string_new (NULL);
  GPtrArray *v;

  for (const YoloOpImpl * const *const *arr = yolo_backend_opencl.impls;
      *arr; arr++)
    for (const YoloOpImpl * const *i = *arr; *i; i++)
      if (yolo_impl_has_op (*i, n->op_type) && (!(*i)->supports
              || (*i)->supports (e->rt, e->graph, n)))
        g_string_append_printf (s, "%s%s", s->len ? " " : "", (*i)->name);
  v = yolo_backend_candidates (&yolo_backend_opencl, e->rt, e->graph, n, NULL);
  for (guint i = 0; i < v->len; i++)
    g_string_append_printf (c, "%s%s", i ? " " : "",
        ((const YoloOpImpl *) g_ptr_array_index (v, i))->name);
  g_ptr_array_unref (v);
  *supported = g_string_free (s, FALSE);
  *cands = g_string_free (c, FALSE);
}

/* An engine of g; after_other: as a later engine of the same process
 * (the variants settled by the earlier ones kept), else as a new start. */
static YoloEngine *
engine_in (YoloGraph * g, const YoloEngineOptions * opt, gboolean after_other)
{
  GError *err = NULL;
  YoloEngine *e;

  if (!after_other)
    yolo_tuner_forget_settled ();
  e = yolo_engine_new_from_graph (g, opt, FALSE, &err);
  g_assert_no_error (err);
  g_assert_nonnull (e);
  return e;
}

static YoloEngine *
engine_for (YoloGraph * g, const YoloEngineOptions * opt)
{
  return engine_in (g, opt, FALSE);
}

/* For a few nodes: which Conv impls support them here, and which are
 * candidates of the automatic choice; exact on the two CPU device classes
 * the suites run on (PoCL: wide vectors; rusticl/llvmpipe: scalar, no
 * dedicated local memory), printed everywhere. */
static void
test_supports (void)
{
  static const struct
  {
    const char *label;
    int C, H, W, M, k, s, group;
    /* the scalar ones without the tiled variants, whose support depends
     * on the work-group size the driver allows */
    const char *wide_supported, *wide_cands, *scalar_supported, *scalar_cands;
  } cases[] = {
    {"1x1", 16, 8, 8, 32, 1, 1, 1,
          "conv-tiled conv-tiled-wg32 conv-cpu-1x1 conv-cpu-kxk conv-gpu-c8 "
          "conv-generic", "conv-cpu-1x1 conv-cpu-kxk conv-generic",
        "conv-gpu-c8 conv-generic", "conv-gpu-c8 conv-generic"},
    {"3x3s1 C64", 64, 8, 8, 64, 3, 1, 1,
          "conv-tiled conv-tiled-wg32 conv-wino4 conv-cpu-3x3s1 "
          "conv-cpu-3x3s1-flat conv-cpu-3x3s1-t32 conv-cpu-kxk conv-im2col "
          "conv-im2col-t conv-gpu-c8 conv-generic",
          "conv-wino4 conv-cpu-3x3s1 conv-cpu-3x3s1-flat conv-cpu-3x3s1-t32 "
          "conv-cpu-kxk conv-im2col conv-im2col-t conv-generic",
        "conv-gpu-c8 conv-generic", "conv-gpu-c8 conv-generic"},
    {"dw 3x3s2", 16, 9, 9, 16, 3, 2, 16,
          "conv-cpu-dw3x3s2 conv-cpu-dw conv-generic",
          "conv-cpu-dw3x3s2 conv-cpu-dw conv-generic", "conv-generic",
        "conv-generic"},
    {"group Mg 3", 6, 7, 7, 9, 3, 1, 3, "conv-generic", "conv-generic",
        "conv-generic", "conv-generic"},
  };
  YoloEngineOptions opt = {.tune = "off" };

  if (!yolo_test_have_device ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    YoloEngine *e = engine_for (conv_graph (cases[i].C, cases[i].H,
            cases[i].W, cases[i].M, cases[i].k, cases[i].s, cases[i].group),
        &opt);
    const YoloDeviceInfo *dev = yolo_rt_device (e->rt);
    char *sup, *cands;

    list_impls (e, find_node (e, "Conv"), &sup, &cands);
    g_test_message ("%s on %s: supported: %s; candidates: %s",
        cases[i].label, dev->name, sup, cands);
    if (dev->is_cpu && dev->wide_vectors) {
      g_assert_cmpstr (sup, ==, cases[i].wide_supported);
      g_assert_cmpstr (cands, ==, cases[i].wide_cands);
    } else if (dev->is_cpu && !dev->local_mem_dedicated) {
      char **v = g_strsplit (sup, " ", -1);
      GString *st = g_string_new (NULL);
      for (guint j = 0; v[j]; j++)
        if (!g_str_has_prefix (v[j], "conv-tiled"))
          g_string_append_printf (st, "%s%s", st->len ? " " : "", v[j]);
      g_assert_cmpstr (st->str, ==, cases[i].scalar_supported);
      g_string_free (st, TRUE);
      g_strfreev (v);
      g_assert_cmpstr (cands, ==, cases[i].scalar_cands);
    }
    /* everywhere: the last resort takes every conv */
    g_assert_nonnull (strstr (sup, "conv-generic"));
    g_assert_nonnull (strstr (cands, "conv-generic"));
    g_free (sup);
    g_free (cands);
    yolo_engine_free (e);
  }
}

/* The variant names the options take, the legacy values mapped onto them,
 * and the errors for names of no variant or of another op's. */
static void
test_names (void)
{
  static const char *const bad[] = {
    "conv-nope", "matmul-tile", "conv-cpu-1x1,", ",conv-generic", "CONV-GPU-C8",
  };
  YoloGraph *g;
  YoloEngine *e;
  GError *err = NULL;

  g_assert_true (yolo_backend_names_valid (&yolo_backend_opencl, "Conv",
          "conv-gpu-c8,conv-generic"));
  g_assert_true (yolo_backend_names_valid (&yolo_backend_opencl, "MatMul",
          "matmul-tile"));
  g_assert_true (yolo_backend_names_valid (&yolo_backend_opencl, "Gemm",
          "matmul-tiled-wg32,matmul-tile"));
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
    YoloEngineOptions opt = {.conv_kernel = bad[i] };

    g_assert_false (yolo_backend_names_valid (&yolo_backend_opencl, "Conv",
            bad[i]));
    yolo_tuner_forget_settled ();       /* a new start */
    e = yolo_engine_new_from_graph (conv_graph (8, 5, 5, 8, 3, 1, 1), &opt,
        FALSE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (err->message, "conv_kernel"));
    g_clear_error (&err);
  }
  {
    YoloEngineOptions opt = {.tune = "maybe" };
    yolo_tuner_forget_settled ();       /* a new start */
    e = yolo_engine_new_from_graph (conv_graph (8, 5, 5, 8, 3, 1, 1), &opt,
        FALSE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (err->message, "tune"));
    g_clear_error (&err);
  }
  if (!yolo_test_have_device ())
    return;
  /* a name forces its variant where it supports the node; "gpu" is the
   * list conv-gpu-c8,conv-generic */
  {
    static const struct
    {
      const char *opt, *kernel;
    } force[] = {
      {"conv-generic", "conv_generic"},
      {"gpu", "conv_gpu_c8"},
      {"conv-tiled-wg32", "conv_tiled_wg32"},
      {"conv-nope-is-not-here,conv-generic", NULL},
    };
    for (guint i = 0; i < G_N_ELEMENTS (force); i++) {
      YoloEngineOptions opt = {.conv_kernel = force[i].opt,.tune = "off" };
      char *names;

      g = conv_graph (16, 9, 9, 16, 3, 1, 1);
      yolo_tuner_forget_settled ();     /* a new start */
      e = yolo_engine_new_from_graph (g, &opt, FALSE, &err);
      if (!force[i].kernel) {
        g_assert_null (e);
        g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
        g_clear_error (&err);
        continue;
      }
      g_assert_no_error (err);
      names = yolo_runtime_kernel_names (e->rt);
      g_assert_cmpstr (names, ==, force[i].kernel);
      g_free (names);
      yolo_engine_free (e);
    }
  }
}

/* The kernels of the engine's launches, space-separated. */
static char *
kernels_of (YoloGraph * g, const YoloEngineOptions * opt)
{
  YoloEngine *e = engine_for (g, opt);
  char *names = yolo_runtime_kernel_names (e->rt);

  yolo_engine_free (e);
  return names;
}

static char *
read_file (const char *path)
{
  char *data = NULL;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return NULL;
  return data;
}

/* The measured choice and its cache: written after measuring, reused
 * (a winner planted in the file is taken without measuring), "cached"
 * measures nothing and "off" reads nothing; a corrupt, binary, truncated
 * or foreign file, a directory in its place or bad lines are ignored (the
 * engine loads, measures again and rewrites the file). Needs a node with
 * two tunable candidates on the device: a 3x3 conv of 64 channels on
 * wide-vector CPUs (Winograd or the direct kernel). */
static void
test_tune_cache (void)
{
  YoloEngineOptions on = {.tune = "on" }, off = {.tune = "off" };
  YoloEngineOptions cached = {.tune = "cached" };
  YoloEngine *e;
  YoloNode *n;
  GPtrArray *cands;
  const YoloOpImpl *first, *other = NULL;
  char *path, *data, *names, *key_line, **lines;
  const char *want_first, *want_other;

  if (!yolo_test_have_device ())
    return;
  e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), &off);
  n = find_node (e, "Conv");
  cands = yolo_backend_candidates (&yolo_backend_opencl, e->rt, e->graph, n,
      NULL);
  first = g_ptr_array_index (cands, 0);
  for (guint i = 1; i < cands->len; i++) {
    const YoloOpImpl *c = g_ptr_array_index (cands, i);
    if (!other && (c->flags & YOLO_IMPL_TUNABLE))
      other = c;
  }
  g_ptr_array_unref (cands);
  path = yolo_tuner_cache_path (e->rt);
  yolo_engine_free (e);
  if (!(first->flags & YOLO_IMPL_TUNABLE) || !other
      || strcmp (first->name, "conv-wino4")
      || strcmp (other->name, "conv-cpu-3x3s1")) {
    g_test_skip ("no conv-wino4 / conv-cpu-3x3s1 choice on this device");
    g_free (path);
    return;
  }
  /* a 12x12 input: U kept from the load, no conv_wino4_wt (conv-wino.c) */
  want_first = "conv_wino4_in conv_wino_gemm conv_wino4_out";
  want_other = "conv_3x3s1_c8";
  g_test_message ("tuning cache: %s", path);

  /* measured and written */
  g_unlink (path);
  g_free (kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &on));
  data = read_file (path);
  g_assert_nonnull (data);
  lines = g_strsplit (data, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "YOLOTUNE2");
  g_assert_true (g_str_has_prefix (lines[1], "# "));
  g_assert_nonnull (lines[2]);
  g_assert_cmpuint (strlen (lines[2]), >, 65);
  {
    /* key, winner, margin, spread, load, tries */
    char **f = g_strsplit (lines[2], " ", -1);
    const char *names[] = { "conv-wino4", "conv-cpu-3x3s1",
      "conv-cpu-3x3s1-flat", "conv-cpu-3x3s1-t32", "conv-cpu-kxk",
      "conv-im2col", "conv-im2col-t"
    };
    gboolean known = FALSE;

    g_assert_cmpuint (g_strv_length (f), ==, 6);
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      known = known || !strcmp (f[1], names[i]);
    g_assert_true (known);
    g_assert_cmpfloat (g_ascii_strtod (f[2], NULL), >=, 1.0);
    g_assert_cmpfloat (g_ascii_strtod (f[3], NULL), >=, 1.0);
    g_assert_cmpfloat (g_ascii_strtod (f[4], NULL), >=, 0.0);
    g_assert_cmpstr (f[5], ==, "1");
    g_strfreev (f);
  }
  g_assert_cmpstr (lines[3], ==, "");
  key_line = g_strndup (lines[2], 64);
  g_free (data);

  /* reused: plant each winner in turn, the engine takes it */
  for (int w = 0; w < 2; w++) {
    char *planted = g_strdup_printf ("%s\n%s\n%s %s 2.0000 1.0000 0.00 1\n",
        lines[0], lines[1], key_line, w ? "conv-cpu-3x3s1" : "conv-wino4");
    g_assert_true (g_file_set_contents (path, planted, -1, NULL));
    names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &on);
    g_assert_cmpstr (names, ==, w ? want_other : want_first);
    g_free (names);
    /* "cached" takes it too */
    names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &cached);
    g_assert_cmpstr (names, ==, w ? want_other : want_first);
    g_free (names);
    /* nothing was measured: the file is as planted */
    data = read_file (path);
    g_assert_cmpstr (data, ==, planted);
    g_free (data);
    g_free (planted);
  }
  /* settled in this process: a later engine of the same node signature
   * takes the variant an earlier one took, whatever the file says now
   * (two streams of one model compute the same bits) */
  {
    char *planted = g_strdup_printf ("%s\n%s\n%s %s 2.0000 1.0000 0.00 1\n",
        lines[0], lines[1], key_line, "conv-wino4");
    YoloEngine *e1;

    g_assert_true (g_file_set_contents (path, planted, -1, NULL));
    names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &on);
    g_assert_cmpstr (names, ==, want_first);
    g_free (names);
    g_free (planted);
    planted = g_strdup_printf ("%s\n%s\n%s %s 2.0000 1.0000 0.00 1\n",
        lines[0], lines[1], key_line, "conv-cpu-3x3s1");
    g_assert_true (g_file_set_contents (path, planted, -1, NULL));
    e1 = engine_in (conv_graph (64, 12, 12, 64, 3, 1, 1), &on, TRUE);
    names = yolo_runtime_kernel_names (e1->rt);
    g_assert_cmpstr (names, ==, want_first);
    g_free (names);
    yolo_engine_free (e1);
    /* a new start reads the file */
    names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &on);
    g_assert_cmpstr (names, ==, want_other);
    g_free (names);
    g_free (planted);
  }
  /* "off" reads nothing: the static first choice despite the file */
  names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &off);
  g_assert_cmpstr (names, ==, want_first);
  g_free (names);
  /* "cached" without an entry: the static choice, no file written */
  g_unlink (path);
  names = kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &cached);
  g_assert_cmpstr (names, ==, want_first);
  g_free (names);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  /* corrupt / foreign files: ignored, measured again, rewritten valid */
  {
    char *foreign = g_strdup_printf ("YOLOTUNE2\n# another device\n%s "
        "conv-cpu-3x3s1 2 1 0 1\n", key_line);
    /* the previous format (no figures): ignored, measured again */
    char *old = g_strdup_printf ("YOLOTUNE1\n%s\n%s conv-cpu-3x3s1\n",
        lines[1], key_line);
    char *badlines = g_strdup_printf ("%s\n%s\n%s\n%s conv-\x01\n%s\n"
        "%.10s conv-cpu-3x3s1\n%s conv-no-such-variant 2 1 0 1\n", lines[0],
        lines[1], key_line, key_line, "garbage", key_line, key_line);
    /* hostile figures: each line refused, the node measured again */
    GString *hostile = g_string_new (NULL);
    const char *figs[] = {
      "", "2", "2 1 0", "2 1 0 1 9", "1e999 1 0 1", "nan 1 0 1",
      "inf 1 0 1", "-2 1 0 1", "0.5 1 0 1", "2 1e308 0 1", "2 1 -1 1",
      "2 1 0 0", "2 1 0 4", "2 1 0 -1", "2 1 0 99999999999999999999999",
      "2 1 0 1.5", "2x 1 0 1", "2 1 0 0x1", "2  1 0 1", " 2 1 0 1",
      "2 1 0 1 ", "2\t1 0 1", "1001 1 0 1",
      "1.00000000000000000000000000000000000000000001 1 0 1",
    };

    g_string_append_printf (hostile, "%s\n%s\n", lines[0], lines[1]);
    for (guint i = 0; i < G_N_ELEMENTS (figs); i++)
      g_string_append_printf (hostile, "%s conv-cpu-3x3s1 %s\n", key_line,
          figs[i]);
    const char *bodies[] = {
      "", "YOLOTUNE", "YOLOTUNE2\n", "\x00\x01\x02" "binary", foreign,
      badlines, "YOLOTUNE1\n", old, hostile->str, "YOLOTUNE99\n",
    };
    gsize lens[G_N_ELEMENTS (bodies)];

    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
      lens[i] = i == 3 ? 9 : strlen (bodies[i]);
    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++) {
      g_unlink (path);
      g_assert_true (g_file_set_contents (path, bodies[i], lens[i], NULL));
      e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), &on);
      g_assert_true (yolo_engine_run (e, NULL));
      yolo_engine_free (e);
      data = read_file (path);
      g_assert_nonnull (data);
      g_assert_true (g_str_has_prefix (data, "YOLOTUNE2\n# "));
      g_assert_nonnull (strstr (data, key_line));
      g_assert_null (strstr (data, "no-such"));
      /* measured again: the entry is new (one measurement) */
      g_assert_true (g_str_has_suffix (data, " 1\n"));
      g_free (data);
    }
    /* a directory where the file goes: no cache, no crash */
    g_unlink (path);
    g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
    e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), &on);
    yolo_engine_free (e);
    g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
    g_rmdir (path);
    g_free (foreign);
    g_free (badlines);
    g_free (old);
    g_string_free (hostile, TRUE);
  }
  g_free (key_line);
  g_strfreev (lines);
  g_free (path);
}

static gboolean
prepare_refused (YoloRuntime * rt, YoloGraph * g, YoloNode * n, GError ** error)
{
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
      "the driver refused the kernel (test)");
  return FALSE;
}

/* A cached winner whose prepare now fails (a driver update, a kernel that
 * no longer fits): the tuner falls back to the next tunable candidate
 * that prepares, in "cached" and "on" mode, and rewrites the node's entry
 * with it; when every candidate fails, the first failure is the error.
 * The failing winner is conv-wino4 with its prepare replaced by one that
 * fails (a real driver refusal cannot be provoked on demand). */
static void
test_tune_fallback (void)
{
  YoloEngineOptions on = {.tune = "on" }, off = {.tune = "off" };
  YoloEngineOptions cached = {.tune = "cached" };
  const YoloEngineOptions *modes[] = { &cached, &on };
  YoloEngine *e;
  GPtrArray *cands;
  YoloOpImpl broken, broken2;
  char *path, *data, **lines, *planted;

  if (!yolo_test_have_device ())
    return;
  e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), &off);
  cands = yolo_backend_candidates (&yolo_backend_opencl, e->rt, e->graph,
      find_node (e, "Conv"), NULL);
  path = yolo_tuner_cache_path (e->rt);
  yolo_engine_free (e);
  if (cands->len < 2
      || strcmp (((const YoloOpImpl *) g_ptr_array_index (cands, 0))->name,
          "conv-wino4")
      || strcmp (((const YoloOpImpl *) g_ptr_array_index (cands, 1))->name,
          "conv-cpu-3x3s1")) {
    g_test_skip ("no conv-wino4 / conv-cpu-3x3s1 choice on this device");
    g_ptr_array_unref (cands);
    g_free (path);
    return;
  }
  /* the node's key and the device line, from a measured file */
  g_unlink (path);
  g_free (kernels_of (conv_graph (64, 12, 12, 64, 3, 1, 1), &on));
  data = read_file (path);
  g_assert_nonnull (data);
  lines = g_strsplit (data, "\n", -1);
  g_free (data);
  g_assert_nonnull (lines[2]);
  planted = g_strdup_printf ("%s\n%s\n%.64s conv-wino4 2.0000 1.0000 "
      "0.00 1\n", lines[0], lines[1], lines[2]);
  broken = *(const YoloOpImpl *) g_ptr_array_index (cands, 0);
  broken.prepare = prepare_refused;
  g_ptr_array_index (cands, 0) = &broken;

  for (guint m = 0; m < G_N_ELEMENTS (modes); m++) {
    const YoloOpImpl *chosen = NULL;
    GError *err = NULL;
    YoloTuner *t;
    YoloRtMark mark;
    char *want;

    g_assert_true (g_file_set_contents (path, planted, -1, NULL));
    /* the real conv-wino4 still prepares: taken from the cache */
    e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), modes[m]);
    yolo_tuner_forget_settled ();       /* a new start */
    t = yolo_tuner_new (e->rt);
    yolo_rt_mark (e->rt, &mark);
    g_assert_true (yolo_tuner_prepare (t, e->rt, e->graph,
            find_node (e, "Conv"), cands, &chosen, &err));
    g_assert_no_error (err);
    g_assert_cmpstr (chosen->name, ==, "conv-cpu-3x3s1");
    g_assert_cmpuint (yolo_tuner_n_cached (t), ==, 1);
    yolo_rt_rollback (e->rt, &mark);
    yolo_tuner_free (t);
    yolo_engine_free (e);
    /* the entry now names the fallback */
    data = read_file (path);
    want = g_strdup_printf ("%s\n%s\n%.64s conv-cpu-3x3s1 1.0000 1.0000 "
        "0.00 1\n", lines[0], lines[1], lines[2]);
    g_assert_cmpstr (data, ==, want);
    g_free (want);
    g_free (data);
  }

  /* every tunable candidate fails: the first failure is the error */
  broken2 = *(const YoloOpImpl *) g_ptr_array_index (cands, 1);
  broken2.prepare = prepare_refused;
  g_ptr_array_index (cands, 1) = &broken2;
  g_ptr_array_set_size (cands, 2);
  g_assert_true (g_file_set_contents (path, planted, -1, NULL));
  e = engine_for (conv_graph (64, 12, 12, 64, 3, 1, 1), &cached);
  {
    const YoloOpImpl *chosen = NULL;
    GError *err = NULL;
    yolo_tuner_forget_settled ();       /* a new start */
    YoloTuner *t = yolo_tuner_new (e->rt);
    YoloRtMark mark;

    yolo_rt_mark (e->rt, &mark);
    g_assert_false (yolo_tuner_prepare (t, e->rt, e->graph,
            find_node (e, "Conv"), cands, &chosen, &err));
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL);
    g_assert_nonnull (strstr (err->message, "refused"));
    g_clear_error (&err);
    yolo_rt_rollback (e->rt, &mark);
    yolo_tuner_free (t);
  }
  yolo_engine_free (e);
  g_unlink (path);
  g_free (planted);
  g_strfreev (lines);
  g_ptr_array_unref (cands);
  g_free (path);
}

/* Trials timed taking turns (yolo_rt_time_trials) and the tuner's pick:
 * a candidate that records the first candidate's launches (conv-wino4 on
 * PoCL) five times over takes about five times as long as it (on a CPU
 * device by the busiest thread's CPU time, which other processes' load
 * does not stretch) and loses (asserted: 1.3 times; measured 1.55 to 3 with
 * three copies at load 9 to 19, so five give room); both trials roll back. */
static const YoloOpImpl *first_real;

static gboolean
prepare_five_over (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GError ** error)
{
  for (int i = 0; i < 5; i++)
    if (!first_real->prepare (rt, g, n, error))
      return FALSE;
  return TRUE;
}

static void
test_tune_trials (void)
{
  YoloEngineOptions on = {.tune = "on" }, off = {.tune = "off" };
  YoloEngine *e;
  GPtrArray *cands;
  YoloOpImpl first, five;
  YoloRtMark marks[2], end;
  YoloRtTrialTime tt[2];
  const YoloOpImpl *chosen = NULL;
  GError *err = NULL;
  YoloTuner *t;
  YoloNode *n;
  guint n_launches;
  char *path;
  double margin = 0;

  if (!yolo_test_have_device ())
    return;
  e = engine_for (conv_graph (32, 16, 16, 32, 3, 1, 1), &off);
  n = find_node (e, "Conv");
  cands = yolo_backend_candidates (&yolo_backend_opencl, e->rt, e->graph, n,
      NULL);
  first_real = g_ptr_array_index (cands, 0);
  first = *first_real;
  first.flags |= YOLO_IMPL_TUNABLE;
  five = first;
  five.name = "five-over";
  five.prepare = prepare_five_over;
  g_ptr_array_set_size (cands, 1);
  g_ptr_array_index (cands, 0) = &first;
  g_ptr_array_add (cands, &five);

  /* the runtime's trials: times of both, both dropped after */
  yolo_rt_mark (e->rt, &marks[0]);
  g_assert_true (first_real->prepare (e->rt, e->graph, n, &err));
  yolo_rt_mark (e->rt, &marks[1]);
  n_launches = marks[1].launches - marks[0].launches;
  g_assert_cmpuint (n_launches, >, 0);
  g_assert_true (five.prepare (e->rt, e->graph, n, &err));
  g_assert_no_error (err);
  g_assert_true (yolo_rt_time_trials (e->rt, marks, 2, 5, tt, &err));
  g_assert_no_error (err);
  for (int i = 0; i < 2; i++) {
    g_test_message ("trial %d: wall %.3f ms, CPU %.3f ms busiest thread, "
        "%.3f ms all, spread %.3f", i, tt[i].wall_ms, tt[i].cpu_ms,
        tt[i].cpu_total_ms, tt[i].spread);
    g_assert_cmpfloat (tt[i].wall_ms, >, 0);
    /* the median run over the fastest */
    g_assert_cmpfloat (tt[i].spread, >=, 1.0);
    if (yolo_rt_device (e->rt)->is_cpu) {
      g_assert_cmpfloat (tt[i].cpu_ms, >, 0);
      g_assert_cmpfloat (tt[i].cpu_ms, <=, tt[i].cpu_total_ms);
      /* one thread's CPU time cannot exceed the run's wall time (the
       * clocks are read just outside it: 0.2 ms of slack) */
      g_assert_cmpfloat (tt[i].cpu_ms, <=, tt[i].wall_ms + 0.2);
    } else {
      g_assert_cmpfloat (tt[i].cpu_ms, ==, -1);
    }
  }
  if (yolo_rt_device (e->rt)->is_cpu)
    g_assert_cmpfloat (tt[1].cpu_ms, >, 1.3 * tt[0].cpu_ms);
  g_assert_cmpint (yolo_tune_pick (tt, 2, &margin), ==, 0);
  g_assert_cmpfloat (margin, >, 1.3);
  yolo_rt_rollback (e->rt, &marks[0]);
  yolo_rt_mark (e->rt, &end);
  g_assert_cmpuint (end.launches, ==, marks[0].launches);
  g_assert_cmpuint (end.buffers, ==, marks[0].buffers);
  g_assert_cmpuint (end.scratch_args, ==, marks[0].scratch_args);
  yolo_engine_free (e);

  /* the tuner, with an empty cache, measures both and keeps the first
   * (the tuner compares tunable candidates only: both made tunable) */
  e = engine_for (conv_graph (32, 16, 16, 32, 3, 1, 1), &on);
  path = yolo_tuner_cache_path (e->rt);
  g_unlink (path);
  yolo_tuner_forget_settled (); /* a new start */
  t = yolo_tuner_new (e->rt);
  yolo_rt_mark (e->rt, &marks[0]);
  g_assert_true (yolo_tuner_prepare (t, e->rt, e->graph,
          find_node (e, "Conv"), cands, &chosen, &err));
  g_assert_no_error (err);
  g_assert_cmpstr (chosen->name, ==, first_real->name);
  g_assert_cmpuint (yolo_tuner_n_measured (t), ==, 1);
  yolo_rt_mark (e->rt, &end);
  /* only the winner's launches stay */
  g_assert_cmpuint (end.launches - marks[0].launches, ==, n_launches);
  yolo_rt_rollback (e->rt, &marks[0]);
  yolo_tuner_free (t);
  yolo_engine_free (e);
  g_unlink (path);
  g_free (path);
  g_ptr_array_unref (cands);
}

/* Close and disturbed calls measured again on later starts (yolo-tune.c):
 * each node's two tunable candidates record the same launches (the real
 * first candidate and a copy of it named "again"), and a hook on the
 * tuner's trials sets the times and spread the decision sees, so the
 * outcome does not depend on the machine's load. A "start" is a new tuner
 * preparing the nodes and writing the cache file. */
typedef struct
{
  double first_ms, again_ms, spread;
  guint calls;
} TimesPlan;

static void
plan_times (const char *const *names, YoloRtTrialTime * tt, guint n,
    gpointer data)
{
  TimesPlan *p = data;

  p->calls++;
  for (guint i = 0; i < n; i++) {
    tt[i].wall_ms = tt[i].cpu_ms = tt[i].cpu_total_ms =
        !strcmp (names[i], "again") ? p->again_ms : p->first_ms;
    tt[i].spread = p->spread;
  }
}

#define MARGIN_NODES 6

typedef struct
{
  YoloEngine *e[MARGIN_NODES];
  YoloOpImpl first[MARGIN_NODES], again[MARGIN_NODES];
  GPtrArray *cands[MARGIN_NODES];
  char *path;
} MarginNodes;

/* One start over the first n nodes: the chosen impls' names (space-
 * separated) and the tuner's counts. */
static char *
margin_start (MarginNodes * m, guint n, TimesPlan * plan, guint * measured,
    guint * remeasured, guint * cached)
{
  yolo_tuner_forget_settled (); /* a new start */
  YoloTuner *t = yolo_tuner_new (m->e[0]->rt);
  GString *s = g_string_new (NULL);

  plan->calls = 0;
  yolo_tuner_set_times_hook (t, plan_times, plan);
  for (guint i = 0; i < n; i++) {
    const YoloOpImpl *chosen = NULL;
    GError *err = NULL;
    YoloRtMark mark;

    yolo_rt_mark (m->e[i]->rt, &mark);
    g_assert_true (yolo_tuner_prepare (t, m->e[i]->rt, m->e[i]->graph,
            find_node (m->e[i], "Conv"), m->cands[i], &chosen, &err));
    g_assert_no_error (err);
    g_string_append_printf (s, "%s%s", i ? " " : "",
        !strcmp (chosen->name, "again") ? "again" : "first");
    yolo_rt_rollback (m->e[i]->rt, &mark);
  }
  *measured = yolo_tuner_n_measured (t);
  *remeasured = yolo_tuner_n_remeasured (t);
  *cached = yolo_tuner_n_cached (t);
  g_assert_cmpuint (plan->calls, ==, *measured);
  yolo_tuner_free (t);
  return g_string_free (s, FALSE);
}

/* The figures of the cache file's only entry: "margin spread tries". */
static char *
margin_entry (MarginNodes * m)
{
  char *data = read_file (m->path), **lines, **f, *r;

  g_assert_nonnull (data);
  lines = g_strsplit (data, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "YOLOTUNE2");
  g_assert_nonnull (lines[2]);
  g_assert_cmpstr (lines[3], ==, "");
  f = g_strsplit (lines[2], " ", -1);
  g_assert_cmpuint (g_strv_length (f), ==, 6);
  r = g_strdup_printf ("%s %s %s %s",
      !strcmp (f[1], "again") ? "again" : "first", f[2], f[3], f[5]);
  g_strfreev (f);
  g_strfreev (lines);
  g_free (data);
  return r;
}

#define START(n, first_, again_, spread_, want, w_meas, w_re)             \
  G_STMT_START {                                                          \
    TimesPlan plan = { first_, again_, spread_, 0 };                      \
    guint me, re, ca;                                                     \
    char *got = margin_start (&m, n, &plan, &me, &re, &ca);               \
    g_assert_cmpstr (got, ==, want);                                      \
    g_assert_cmpuint (me, ==, w_meas);                                    \
    g_assert_cmpuint (re, ==, w_re);                                      \
    g_assert_cmpuint (ca, ==, n - me);                                    \
    g_free (got);                                                         \
  } G_STMT_END
#define ENTRY(want)                                                       \
  G_STMT_START {                                                          \
    char *got = margin_entry (&m);                                        \
    g_assert_cmpstr (got, ==, want);                                      \
    g_free (got);                                                         \
  } G_STMT_END

static void
test_tune_margin (void)
{
  YoloEngineOptions on = {.tune = "on" }, cached = {.tune = "cached" };
  MarginNodes m = { 0, };

  if (!yolo_test_have_device ())
    return;
  for (guint i = 0; i < MARGIN_NODES; i++) {
    const YoloOpImpl *real;

    m.e[i] = engine_for (conv_graph (32, 16 + 4 * i, 16, 32, 3, 1, 1), &on);
    m.cands[i] = yolo_backend_candidates (&yolo_backend_opencl, m.e[i]->rt,
        m.e[i]->graph, find_node (m.e[i], "Conv"), NULL);
    real = g_ptr_array_index (m.cands[i], 0);
    m.first[i] = *real;
    m.first[i].flags |= YOLO_IMPL_TUNABLE;
    m.again[i] = m.first[i];
    m.again[i].name = "again";
    g_ptr_array_set_size (m.cands[i], 1);
    g_ptr_array_index (m.cands[i], 0) = &m.first[i];
    g_ptr_array_add (m.cands[i], &m.again[i]);
  }
  m.path = yolo_tuner_cache_path (m.e[0]->rt);
  g_test_message ("tuning cache: %s", m.path);

  /* a close call (2%) is measured again on the next start, which finds
   * "again" 25% faster and keeps it; then it is frozen */
  g_unlink (m.path);
  START (1, 1.0, 1.02, 1.0, "first", 1, 0);
  ENTRY ("first 1.0200 1.0000 1");
  START (1, 1.0, 0.8, 1.0, "again", 1, 1);
  ENTRY ("again 1.2500 1.0000 2");
  START (1, 1.0, 0.8, 1.0, "again", 0, 0);
  ENTRY ("again 1.2500 1.0000 2");

  /* a close call that stays close: measured three times, then frozen */
  g_unlink (m.path);
  START (1, 1.0, 1.01, 1.0, "first", 1, 0);
  START (1, 1.01, 1.0, 1.0, "again", 1, 1);
  START (1, 1.0, 1.03, 1.0, "first", 1, 1);
  ENTRY ("first 1.0300 1.0000 3");
  START (1, 1.0, 0.5, 1.0, "first", 0, 0);
  ENTRY ("first 1.0300 1.0000 3");

  /* two nodes of one signature in one start: the second takes the
   * first's fresh entry, close call or not */
  g_unlink (m.path);
  {
    TimesPlan plan = { 1.0, 1.01, 2.0, 0 };
    yolo_tuner_forget_settled ();       /* a new start */
    YoloTuner *t = yolo_tuner_new (m.e[0]->rt);

    yolo_tuner_set_times_hook (t, plan_times, &plan);
    for (int k = 0; k < 2; k++) {
      const YoloOpImpl *chosen = NULL;
      GError *err = NULL;
      YoloRtMark mark;

      yolo_rt_mark (m.e[0]->rt, &mark);
      g_assert_true (yolo_tuner_prepare (t, m.e[0]->rt, m.e[0]->graph,
              find_node (m.e[0], "Conv"), m.cands[0], &chosen, &err));
      g_assert_no_error (err);
      yolo_rt_rollback (m.e[0]->rt, &mark);
    }
    g_assert_cmpuint (plan.calls, ==, 1);
    g_assert_cmpuint (yolo_tuner_n_measured (t), ==, 1);
    g_assert_cmpuint (yolo_tuner_n_cached (t), ==, 1);
    g_assert_cmpuint (yolo_tuner_n_remeasured (t), ==, 0);
    yolo_tuner_free (t);
  }
  ENTRY ("first 1.0100 2.0000 1");

  /* a clear call is not measured again */
  g_unlink (m.path);
  START (1, 1.0, 1.2, 1.0, "first", 1, 0);
  START (1, 1.0, 0.5, 1.0, "first", 0, 0);

  /* a clear call under a disturbed measurement (median run 1.5 times
   * the fastest): measured once more; the calmer result replaces it */
  g_unlink (m.path);
  START (1, 1.0, 2.0, 1.5, "first", 1, 0);
  ENTRY ("first 2.0000 1.5000 1");
  START (1, 1.0, 0.5, 1.1, "again", 1, 1);
  ENTRY ("again 2.0000 1.1000 2");
  START (1, 1.0, 2.0, 1.0, "again", 0, 0);

  /* a re-measure more disturbed than the first: the first winner kept,
   * only its count goes up; then frozen */
  g_unlink (m.path);
  START (1, 1.0, 2.0, 1.3, "first", 1, 0);
  START (1, 1.0, 0.5, 1.6, "first", 1, 1);
  ENTRY ("first 2.0000 1.3000 2");
  START (1, 1.0, 0.5, 1.0, "first", 0, 0);

  /* "cached" never measures, close call or not */
  g_unlink (m.path);
  START (1, 1.0, 1.01, 1.0, "first", 1, 0);
  {
    YoloEngine *ec = engine_for (conv_graph (32, 16, 16, 32, 3, 1, 1),
        &cached);
    YoloEngine *keep = m.e[0];
    m.e[0] = ec;
    START (1, 1.0, 0.5, 1.0, "first", 0, 0);
    m.e[0] = keep;
    yolo_engine_free (ec);
  }
  ENTRY ("first 1.0100 1.0000 1");

  /* six close calls: at most four measured again per start, each three
   * times in all, then frozen */
  g_unlink (m.path);
  START (MARGIN_NODES, 1.0, 1.01, 1.0, "first first first first first first",
      6, 0);
  START (MARGIN_NODES, 1.0, 1.01, 1.0, "first first first first first first",
      4, 4);
  START (MARGIN_NODES, 1.0, 1.01, 1.0, "first first first first first first",
      4, 4);
  START (MARGIN_NODES, 1.0, 1.01, 1.0, "first first first first first first",
      2, 2);
  START (MARGIN_NODES, 1.0, 1.01, 1.0, "first first first first first first",
      2, 2);
  START (MARGIN_NODES, 1.0, 0.5, 1.0, "first first first first first first",
      0, 0);

  g_unlink (m.path);
  g_free (m.path);
  for (guint i = 0; i < MARGIN_NODES; i++) {
    g_ptr_array_unref (m.cands[i]);
    yolo_engine_free (m.e[i]);
  }
}

/* The variant of every node shows in the profile table. */
static void
test_profile_variant (void)
{
  YoloEngineOptions opt = {.tune = "off",.profile = TRUE };
  YoloEngine *e;
  char *table;

  if (!yolo_test_have_device ())
    return;
  e = engine_for (conv_graph (16, 9, 9, 16, 3, 1, 1), &opt);
  g_assert_true (yolo_engine_run (e, NULL));
  table = yolo_engine_profile_table (e);
  g_test_message ("%s", table);
  g_assert_nonnull (strstr (table, "variant"));
  g_assert_true (strstr (table, "conv-cpu-3x3s1")
      || strstr (table, "conv-gpu-c8") || strstr (table, "conv-tiled"));
  g_free (table);
  yolo_engine_free (e);
}

/* The local size of the flattened-pixel conv launches on PoCL: the one
 * whose work-groups its pthread scheduler splits most evenly. */
static void
test_balanced_lws (void)
{
  /* 13x13 plane, 1x1 conv of 128 outputs (16 blocks): 6 items of 32
   * pixels; {1, 4} gives one thread 128 pixels a block, the other 41 */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 16, 6, 32, 169), ==, 1);
  /* 26x26, 64 outputs: 22 items; {1, 1} splits them at 11 */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 8, 22, 32, 676), ==, 1);
  /* 10x10: 4 items, one group of 4 a block splits evenly; {1, 1} would
   * give one thread the first two (full) items of every block */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 16, 4, 32, 100), ==, 4);
  /* 20x20 under conv_gemm_t16 (16 pixels an item): 25 items */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 4, 25, 16, 400), ==, 1);
  /* depthwise 3x3, 52 rows of a 52x52 plane, 8 rows an item, 64
   * channels: {1, 4} splits each channel 32 / 20 rows */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 64, 7, 8, 52), ==, 1);
  /* one unit, or a large plane (160x160: 800 items, 4 blocks): 4 */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (1, 16, 6, 32, 169), ==, 4);
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 4, 800, 32, 25600), ==, 4);
  /* degenerate sizes do not crash: 0 blocks or items count as 1 */
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (2, 0, 0, 32, 0), >=, 1);
  g_assert_cmpuint (yolo_conv_cl_balanced_lws (64, 1, 1, 32, 5), >=, 1);
}

int
main (int argc, char **argv)
{
  char *dir = g_dir_make_tmp ("yolo-test-backend-XXXXXX", NULL);
  int ret;

  g_assert_nonnull (dir);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (11);
  g_test_add_func ("/backend/supports", test_supports);
  g_test_add_func ("/backend/names", test_names);
  g_test_add_func ("/backend/tune-cache", test_tune_cache);
  g_test_add_func ("/backend/tune-fallback", test_tune_fallback);
  g_test_add_func ("/backend/tune-trials", test_tune_trials);
  g_test_add_func ("/backend/tune-margin", test_tune_margin);
  g_test_add_func ("/backend/profile-variant", test_profile_variant);
  g_test_add_func ("/backend/balanced-lws", test_balanced_lws);
  ret = g_test_run ();
  {
    char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", dir);
    g_free (cmd);
  }
  g_free (dir);
  return ret;
}
