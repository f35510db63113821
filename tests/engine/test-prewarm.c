/* test-prewarm.c - on PoCL, the work-group function of every (kernel, local
 * size) a plan launches is compiled while the engine is created
 * (yolo-cl-prewarm.h), not at the first run, and the results are
 * bit-identical to an engine without the prewarm (YOLO_CL_PREWARM=0, the
 * prewarm option "off") and match the C reference. With the measured
 * choice (tune "on"), the trials' kernels are compiled by the prewarm
 * before the first trial runs (yolo_rt_prewarm_sync). The units after
 * the first are built ahead by the helpers (yolo_cl_prewarm_build_units).
 *
 * PoCL's kernel cache must be cold for the prewarm's helpers to start and
 * its compiled work-group functions can be counted there: main() points
 * POCL_CACHE_DIR at a fresh directory before the first OpenCL call.
 */
#include "yolo-test-util.h"
#include "yolo-cl.h"

#include <glib/gstdio.h>
#include <string.h>

static char *pocl_dir;

static void
add_conv (YoloGraph * g, const char *name, const char *x, const char *w,
    const char *y, int cin, int cout, int k, YoloAct act)
{
  gint64 wd[4] = { cout, cin, k, k };
  const char *ins[2] = { x, w }, *outs[1] = { y };
  int ks[2] = { k, k }, pads[4] = { k / 2, k / 2, k / 2, k / 2 };
  YoloNode *n;
  int ni;

  yolo_test_const (g, w, YOLO_DTYPE_FLOAT, 4, wd, -0.2f, 0.2f);
  /* (the index first: adding a node may move g->nodes->pdata) */
  ni = yolo_graph_add_node (g, "Conv", name, 2, ins, 1, outs);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, ks);
  yolo_test_attr_int_array (n, "pads", 4, pads);
  n->act = act;
  n->residual = -1;
}

/* Conv 3x3 + ReLU, Conv 1x1, their sum, a max pool: kernels of three
 * units (conv, eltwise, pool), built from the same seed every time. */
static YoloGraph *
build_graph (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, 16, 24, 40 };
  const char *add_in[2] = { "A", "B" }, *add_out[1] = { "S" };
  const char *pool_in[1] = { "S" }, *pool_out[1] = { "Y" };
  int ks[2] = { 2, 2 }, ni;
  YoloNode *n;

  yolo_test_seed (7);
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  add_conv (g, "conv3", "X", "W3", "A", 16, 16, 3, YOLO_ACT_RELU);
  add_conv (g, "conv1", "A", "W1", "B", 16, 16, 1, YOLO_ACT_NONE);
  yolo_graph_add_node (g, "Add", "add", 2, add_in, 1, add_out);
  ni = yolo_graph_add_node (g, "MaxPool", "pool", 1, pool_in, 1, pool_out);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, ks);
  yolo_test_attr_int_array (n, "strides", 2, ks);
  yolo_test_output (g, "Y");
  return g;
}

/* PoCL's compiled work-group functions: the .so files of its cache. */
static guint
count_so (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d))) {
    char *p = g_build_filename (dir, name, NULL);
    if (g_file_test (p, G_FILE_TEST_IS_DIR))
      n += count_so (p);
    else if (g_str_has_suffix (name, ".so"))
      n++;
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  return n;
}

/* One Conv 3x3 of 64 channels (Winograd and the direct kernel compete on
 * PoCL, see test-backend.c) + SiLU, from the same seed every time. */
static YoloGraph *
build_conv64 (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, 64, 20, 36 };

  yolo_test_seed (11);
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  add_conv (g, "conv64", "X", "W", "Y", 64, 64, 3, YOLO_ACT_SILU);
  yolo_test_output (g, "Y");
  return g;
}

/* Creates an engine for g with opt, runs it once on a fixed input and
 * returns the output (n floats); *so_created: .so files in PoCL's cache
 * after creating the engine, *so_run: after the run. */
static float *
run_engine_opt (YoloGraph * g, const YoloEngineOptions * opt, gsize * n,
    guint * so_created, guint * so_run)
{
  YoloTensor *x = YOLO_T (g, g_array_index (g->inputs, int, 0));
  gint64 nx = yolo_tensor_numel (x);
  float *in = g_memdup2 (x->data, nx * sizeof (float));
  GError *err = NULL;
  YoloEngine *e = yolo_engine_new_from_graph (g, opt, FALSE, &err);
  YoloTensorInfo info;
  float *out;

  g_assert_no_error (err);
  *so_created = count_so (pocl_dir);
  g_assert_true (yolo_engine_set_input (e, in, &err));
  g_assert_true (yolo_engine_run (e, &err));
  g_assert_no_error (err);
  *so_run = count_so (pocl_dir);
  g_assert_true (yolo_engine_output_info (e, 0, &info));
  *n = 1;
  for (int i = 0; i < info.ndim; i++)
    *n *= info.dims[i];
  out = g_new (float, *n);
  g_assert_true (yolo_engine_get_output (e, 0, out, &err));
  g_assert_no_error (err);
  yolo_engine_free (e);
  g_free (in);
  return out;
}

static float *
run_engine (gsize * n, guint * so_created, guint * so_run)
{
  return run_engine_opt (build_graph (), NULL, n, so_created, so_run);
}

static gboolean
on_pocl (void)
{
  GError *err = NULL;
  char *list = yolo_engine_list_devices (&err);
  gboolean pocl;

  g_assert_no_error (err);
  pocl = strstr (list, "PoCL") || strstr (list, "pthread");
  g_free (list);
  return pocl && !g_getenv ("YOLO_DEVICE");
}

static void
test_prewarm_ahead (void)
{
  GError *err = NULL;
  char *list;
  gboolean pocl;
  guint created, ran, created_off, ran_off;
  gsize n, n_off;
  float *out, *out_off;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  list = yolo_engine_list_devices (&err);
  g_assert_no_error (err);
  pocl = strstr (list, "PoCL") || strstr (list, "pthread");
  g_free (list);
  if (!pocl || g_getenv ("YOLO_DEVICE")) {
    g_test_skip ("the prewarm runs on PoCL only");
    return;
  }
  g_assert_cmpuint (count_so (pocl_dir), ==, 0);
  /* cold cache: the helpers start and everything is compiled before the
   * first run, which compiles nothing */
  out = run_engine (&n, &created, &ran);
  g_test_message ("prewarm on: %u work-group functions after creating the "
      "engine, %u after its first run", created, ran);
  g_assert_cmpuint (created, >=, 3);
  g_assert_cmpuint (ran, ==, created);

  /* without the prewarm the same results, bit for bit (its kernels are in
   * the cache now: nothing new is compiled either way) */
  g_setenv ("YOLO_CL_PREWARM", "0", TRUE);
  out_off = run_engine (&n_off, &created_off, &ran_off);
  g_unsetenv ("YOLO_CL_PREWARM");
  g_assert_cmpuint (n_off, ==, n);
  g_assert_true (memcmp (out, out_off, n * sizeof (float)) == 0);
  g_assert_cmpuint (ran_off, ==, ran);
  g_free (out);
  g_free (out_off);

  /* and they match the C reference */
  g_assert_true (yolo_test_check (build_graph (), "prewarm", 1e-4f, 1e-4f,
          TRUE));
}

/* The prewarm never changes what an engine computes when PoCL's cache is
 * warm either (the helpers do not start: the first run loads what it
 * needs). */
static void
test_prewarm_warm (void)
{
  g_assert_true (yolo_test_check (build_graph (), "prewarm warm", 1e-4f,
          1e-4f, TRUE));
}

/* Tuning trials with a cold cache (in a subprocess: main gives it a PoCL
 * cache of its own, so the helpers start): the prewarm compiles every
 * trial's work-group functions, synchronised before the first trial runs,
 * nothing is left to the first run, and the results are bit-identical to
 * the prewarm off and match the C reference. */
static void
test_prewarm_tuning (void)
{
  YoloEngineOptions on = {.tune = "on",.prewarm = "on" };
  YoloEngineOptions off = {.tune = "on",.prewarm = "off" };
  guint created, ran, created_off, ran_off;
  gsize n, n_off;
  float *out, *out_off;

  if (!g_test_subprocess ()) {
    if (!yolo_test_have_device () || !on_pocl ()) {
      g_test_skip ("the prewarm runs on PoCL only");
      return;
    }
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    return;
  }
  g_assert_cmpuint (count_so (pocl_dir), ==, 0);
  /* All six candidates (Winograd: 3 kernels, U kept from the load on
   * this small input, conv-wino.c; direct: 1, flat direct: 1, t32: 1,
   * im2col: 2, im2col-t: 1 more, its im2col shared) are prepared before
   * the first trial, so the first synchronisation has all 9 pairs (debug
   * messages that do not match are let through). */
  g_test_expect_message ("yoloengine", G_LOG_LEVEL_DEBUG,
      "prewarm: synchronised with 9 pairs pushed*");
  out = run_engine_opt (build_conv64 (), &on, &n, &created, &ran);
  g_test_assert_expected_messages ();
  g_test_message ("tuning with the prewarm: %u work-group functions after "
      "creating the engine, %u after its first run", created, ran);
  g_assert_cmpuint (created, ==, 9);
  g_assert_cmpuint (ran, ==, created);

  out_off = run_engine_opt (build_conv64 (), &off, &n_off, &created_off,
      &ran_off);
  g_assert_cmpuint (n_off, ==, n);
  g_assert_true (memcmp (out, out_off, n * sizeof (float)) == 0);
  g_assert_cmpuint (ran_off, ==, ran);
  g_free (out);
  g_free (out_off);
  g_assert_true (yolo_test_check (build_conv64 (), "prewarm tuning", 1e-4f,
          1e-4f, TRUE));
}

/* Units built ahead (in a subprocess, with a cold cache of its own): the
 * helper builds the plan's units after the first (here pool.cl: the Add
 * is fused into the second Conv) while the engine's thread builds
 * conv_cpu.cl, the engine's own
 * build of it then comes from PoCL's cache, and the results are
 * bit-identical to the prewarm off. */
static void
test_prewarm_units (void)
{
  YoloEngineOptions on = {.prewarm = "on" };
  YoloEngineOptions off = {.prewarm = "off" };
  guint created, ran, created_off, ran_off;
  gsize n, n_off;
  float *out, *out_off;

  if (!g_test_subprocess ()) {
    if (!yolo_test_have_device () || !on_pocl ()) {
      g_test_skip ("the prewarm runs on PoCL only");
      return;
    }
    g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_test_trap_assert_passed ();
    return;
  }
  g_assert_cmpuint (count_so (pocl_dir), ==, 0);
  g_test_expect_message ("yoloengine", G_LOG_LEVEL_DEBUG,
      "prewarm: pool.cl built ahead in *");
  out = run_engine_opt (build_graph (), &on, &n, &created, &ran);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (created, >=, 3);
  g_assert_cmpuint (ran, ==, created);
  out_off = run_engine_opt (build_graph (), &off, &n_off, &created_off,
      &ran_off);
  g_assert_cmpuint (n_off, ==, n);
  g_assert_true (memcmp (out, out_off, n * sizeof (float)) == 0);
  g_free (out);
  g_free (out_off);
}

/* The prewarm option: its values, YOLO_CL_PREWARM's "0" / "1" as before,
 * an invalid value a one-line argument error naming it. */
static void
test_prewarm_option (void)
{
  const char *bad[] = { "maybe", "1" };
  YoloEngineOptions opt = { 0 };
  GError *err = NULL;
  YoloEngine *e;

  for (guint i = 0; i < 2; i++) {
    opt.prewarm = bad[i];
    e = yolo_engine_new_from_graph (build_graph (), &opt, FALSE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
    g_assert_nonnull (strstr (err->message, "prewarm"));
    g_assert_null (strchr (err->message, '\n'));
    g_clear_error (&err);
  }
  g_setenv ("YOLO_CL_PREWARM", "sometimes", TRUE);
  e = yolo_engine_new_from_graph (build_graph (), NULL, FALSE, &err);
  g_assert_null (e);
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT);
  g_assert_nonnull (strstr (err->message, "YOLO_CL_PREWARM"));
  g_clear_error (&err);
  if (!yolo_test_have_device ()) {
    g_unsetenv ("YOLO_CL_PREWARM");
    return;
  }
  /* an option overrides the variable; "0" and "1" are still taken */
  opt.prewarm = "off";
  e = yolo_engine_new_from_graph (build_graph (), &opt, FALSE, &err);
  g_assert_no_error (err);
  yolo_engine_free (e);
  for (guint i = 0; i < 2; i++) {
    g_setenv ("YOLO_CL_PREWARM", i ? "1" : "0", TRUE);
    e = yolo_engine_new_from_graph (build_graph (), NULL, FALSE, &err);
    g_assert_no_error (err);
    yolo_engine_free (e);
  }
  g_unsetenv ("YOLO_CL_PREWARM");
}

int
main (int argc, char **argv)
{
  char *xdg;
  int rc;

  /* before any OpenCL call: PoCL reads POCL_CACHE_DIR once */
  pocl_dir = g_dir_make_tmp ("yolo-prewarm-pocl-XXXXXX", NULL);
  xdg = g_dir_make_tmp ("yolo-prewarm-xdg-XXXXXX", NULL);
  g_assert_nonnull (pocl_dir);
  g_assert_nonnull (xdg);
  g_setenv ("POCL_CACHE_DIR", pocl_dir, TRUE);
  g_setenv ("XDG_CACHE_HOME", xdg, TRUE);
  g_unsetenv ("YOLO_CL_PREWARM");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/prewarm/ahead", test_prewarm_ahead);
  g_test_add_func ("/prewarm/warm", test_prewarm_warm);
  g_test_add_func ("/prewarm/tuning", test_prewarm_tuning);
  g_test_add_func ("/prewarm/units", test_prewarm_units);
  g_test_add_func ("/prewarm/option", test_prewarm_option);
  rc = g_test_run ();
  {
    char *argv_rm[] = { (char *) "rm", (char *) "-rf", pocl_dir, xdg, NULL };
    g_spawn_sync (NULL, argv_rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
        NULL, NULL, NULL);
  }
  g_free (pocl_dir);
  g_free (xdg);
  return rc;
}
