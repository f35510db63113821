/* test-multiengine.c - several separate (non-shared) engines in one
 * process, created, run and freed from threads at once, must neither
 * abort nor compute differently from one engine alone.
 *
 * PoCL before 7.0 aborts in pocl_release_dlhandle_cache ("Assertion
 * `found->ref_count > 0' failed") when two command queues of one process
 * run the same kernel at the same local size while a launch with a wider
 * grid than any before loads a new work-group function (yolo-cl.h,
 * yolo_cl_shared_queue). That happens at the first runs of engines whose
 * layers have different sizes, so each check runs in a fresh child
 * process (PoCL's in-memory cache of work-group functions is per process)
 * with THREADS engines of different input sizes; CHILDREN children. With
 * YOLO_CL_SHARED_QUEUE=0 (the workaround off) about one child in ten
 * aborts on PoCL 3.1.
 *
 * Every engine's output is compared with the C reference
 * (yolo_test_check in the parent, per input size). */
#include "yolo-test-util.h"
#include "yolo-engine-private.h"
#include "yolo-cl-queue.h"

#include <glib/gstdio.h>
#include <string.h>

#define THREADS 8
#define ROUNDS 1
#define ENGINES (THREADS * ROUNDS)
#define RUNS 2
#define STAGES 16
#define CHILDREN 4
/* the launch check: L_THREADS threads, L_LAUNCHES launches each, in each
 * of L_CHILDREN children */
#define L_THREADS 8
#define L_LAUNCHES 150
#define L_CHILDREN 40

/* Engine i: X (1 x 256(i+1)), then STAGES times S = Concat (Add (S, S),
 * X): one element-wise kernel at one local size, launched at a grid that
 * grows with each stage and with i. */
static YoloGraph *
build_graph (int i)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[2] = { 1, 256 * (i + 1) };
  char prev[16] = "X";

  yolo_test_seed (11 + i);
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 2, xd, -1.0f, 1.0f);
  for (int st = 0; st < STAGES; st++) {
    char a[16], c[16];
    const char *add_in[2] = { prev, prev }, *add_out[1] = { a };
    const char *cat_in[2] = { a, "X" }, *cat_out[1] = { c };
    int ni;

    g_snprintf (a, sizeof (a), "A%d", st);
    g_snprintf (c, sizeof (c), "S%d", st);
    yolo_graph_add_node (g, "Add", a, 2, add_in, 1, add_out);
    ni = yolo_graph_add_node (g, "Concat", c, 2, cat_in, 1, cat_out);
    yolo_node_add_attr (YOLO_N (g, ni), "axis", YOLO_ATTR_INT)->i = 1;
    g_strlcpy (prev, c, sizeof (prev));
  }
  yolo_test_output (g, prev);
  return g;
}

typedef struct
{
  int index;
  char *error;
  GPtrArray *outs;              /* float *, per round: the last run's */
  GArray *n_outs;               /* gsize */
} Worker;

static GMutex graph_lock;       /* the test's random generator is global */
/* the engines of a round start running together */
static GCond start_cond;
static int start_waiting;

/* Engine i + THREADS * r for rounds r = 0, 1, ...: every thread's next
 * engine is larger than its last and the threads' sizes interleave, so
 * the kernels are launched at ever wider grids from several queues. */
static gpointer
worker (gpointer data)
{
  Worker *w = data;

  for (int r = 0; r < ROUNDS; r++) {
    YoloGraph *g;
    YoloTensor *x;
    float *in, *out;
    GError *err = NULL;
    YoloEngine *e;
    YoloTensorInfo info;
    gsize n = 1;

    g_mutex_lock (&graph_lock);
    g = build_graph (w->index + THREADS * r);
    g_mutex_unlock (&graph_lock);
    x = YOLO_T (g, g_array_index (g->inputs, int, 0));
    in = g_memdup2 (x->data, yolo_tensor_numel (x) * sizeof (float));
    e = yolo_engine_new_from_graph (g, NULL, FALSE, &err);
    g_mutex_lock (&graph_lock);
    if (++start_waiting == THREADS * (r + 1))
      g_cond_broadcast (&start_cond);
    while (start_waiting < THREADS * (r + 1))
      g_cond_wait (&start_cond, &graph_lock);
    g_mutex_unlock (&graph_lock);
    if (e) {
      g_assert_true (yolo_engine_output_info (e, 0, &info));
      n = yolo_test_info_numel (&info);
      out = g_new (float, n);
      for (int k = 0; k < RUNS && !err; k++)
        if (!yolo_engine_set_input (e, in, &err) || !yolo_engine_run (e, &err)
            || !yolo_engine_get_output (e, 0, out, &err))
          break;
      g_ptr_array_add (w->outs, out);
      g_array_append_val (w->n_outs, n);
      yolo_engine_free (e);
    }
    g_free (in);
    if (err) {
      w->error = g_strdup (err->message);
      g_error_free (err);
      return NULL;
    }
  }
  return NULL;
}

/* The child: THREADS threads, each creating, running and freeing ROUNDS
 * engines; writes engine j's output to DIR/j.f32. */
static int
child_main (const char *dir)
{
  Worker w[THREADS];
  GThread *t[THREADS];
  int rc = 0;

  memset (w, 0, sizeof (w));
  for (int i = 0; i < THREADS; i++) {
    w[i].index = i;
    w[i].outs = g_ptr_array_new_with_free_func (g_free);
    w[i].n_outs = g_array_new (FALSE, FALSE, sizeof (gsize));
    t[i] = g_thread_new ("engine", worker, &w[i]);
  }
  for (int i = 0; i < THREADS; i++) {
    g_thread_join (t[i]);
    if (w[i].error) {
      g_printerr ("engine thread %d: %s\n", i, w[i].error);
      rc = 1;
    }
    for (guint r = 0; r < w[i].outs->len; r++) {
      char name[16], *path;

      g_snprintf (name, sizeof (name), "%u.f32", i + THREADS * r);
      path = g_build_filename (dir, name, NULL);
      if (!g_file_set_contents (path, g_ptr_array_index (w[i].outs, r),
              g_array_index (w[i].n_outs, gsize, r) * sizeof (float), NULL))
        rc = 1;
      g_free (path);
    }
    g_ptr_array_unref (w[i].outs);
    g_array_unref (w[i].n_outs);
    g_free (w[i].error);
  }
  return rc;
}

/* The launch child: L_THREADS threads each get a context and queue from
 * yolo_cl_queue_acquire (the engines' way: shared on PoCL < 7), build the
 * element-wise unit and launch eltwise_unary with local size 4 and a grid
 * wider at each launch, the threads' widths interleaved: every launch can
 * load a new work-group function in PoCL while the others run. */
static cl_device_id l_dev;
static const YoloKernelUnit *l_unit;

static gpointer
launcher (gpointer data)
{
  int id = GPOINTER_TO_INT (data);
  gsize max = 64 * (1 + id + L_THREADS * L_LAUNCHES);
  cl_context ctx;
  cl_command_queue q;
  cl_program p;
  cl_kernel k;
  cl_mem x, y;
  cl_int err, zero = 0, n = 16 * (cl_int) max, op = 0;
  cl_float f = 0.0f;
  GError *error = NULL;

  g_assert_true (yolo_cl_queue_acquire (l_dev, 0, &ctx, &q, &error));
  g_assert_no_error (error);
  p = yolo_cl_build_program (ctx, l_dev, l_unit, "-cl-mad-enable", "off",
      &error);
  g_assert_no_error (error);
  k = clCreateKernel (p, "eltwise_unary", &err);
  g_assert_cmpint (err, ==, CL_SUCCESS);
  x = clCreateBuffer (ctx, CL_MEM_READ_WRITE, n * sizeof (float), NULL, &err);
  g_assert_cmpint (err, ==, CL_SUCCESS);
  y = clCreateBuffer (ctx, CL_MEM_READ_WRITE, n * sizeof (float), NULL, &err);
  g_assert_cmpint (err, ==, CL_SUCCESS);
  g_assert_cmpint (clEnqueueFillBuffer (q, x, &f, sizeof (f), 0,
          n * sizeof (float), 0, NULL, NULL), ==, CL_SUCCESS);
  clSetKernelArg (k, 0, sizeof (x), &x);
  clSetKernelArg (k, 1, sizeof (zero), &zero);
  clSetKernelArg (k, 2, sizeof (y), &y);
  clSetKernelArg (k, 3, sizeof (zero), &zero);
  clSetKernelArg (k, 4, sizeof (n), &n);
  clSetKernelArg (k, 5, sizeof (op), &op);
  clSetKernelArg (k, 6, sizeof (f), &f);
  clSetKernelArg (k, 7, sizeof (f), &f);
  clSetKernelArg (k, 8, sizeof (zero), &zero);
  clSetKernelArg (k, 9, sizeof (f), &f);
  clSetKernelArg (k, 10, sizeof (f), &f);
  for (int i = 0; i < L_LAUNCHES; i++) {
    size_t gws = 64 * (1 + id + L_THREADS * i), lws = 4;

    g_assert_cmpint (yolo_cl_enqueue_kernel (q, k, 1, &gws, &lws, NULL), ==,
        CL_SUCCESS);
    g_assert_cmpint (clFinish (q), ==, CL_SUCCESS);
  }
  clReleaseMemObject (x);
  clReleaseMemObject (y);
  clReleaseKernel (k);
  clReleaseProgram (p);
  yolo_cl_queue_release (ctx, q);
  return NULL;
}

static int
launch_child_main (void)
{
  GThread *t[L_THREADS];
  cl_platform_id platform;
  GError *error = NULL;

  g_assert_true (yolo_cl_select_device (NULL, &platform, &l_dev, &error));
  l_unit = yolo_cl_kernel_unit ("eltwise_unary", NULL);
  g_assert_nonnull (l_unit);
  for (int i = 0; i < L_THREADS; i++)
    t[i] = g_thread_new ("launcher", launcher, GINT_TO_POINTER (i));
  for (int i = 0; i < L_THREADS; i++)
    g_thread_join (t[i]);
  return 0;
}

static const char *self;

static void
test_multiengine_threads (void)
{
  char *dir = g_dir_make_tmp ("yolo-multiengine-XXXXXX", NULL);
  gchar *first[ENGINES] = { NULL };
  gsize first_len[ENGINES] = { 0 };
  guint failed = 0;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  for (int c = 0; c < CHILDREN; c++) {
    const char *argv[] = { self, "--child", dir, NULL };
    GError *err = NULL;
    char *out = NULL, *errs = NULL;
    int status = 0;

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL,
            &out, &errs, &status, &err));
    g_assert_no_error (err);
    if (!g_spawn_check_wait_status (status, NULL)) {
      g_test_message ("child %d: status 0x%x: %s", c, status, errs);
      failed++;
    } else {
      /* each engine's output is the same in every child */
      for (int i = 0; i < ENGINES; i++) {
        char name[16], *path, *data;
        gsize len;

        g_snprintf (name, sizeof (name), "%d.f32", i);
        path = g_build_filename (dir, name, NULL);
        g_assert_true (g_file_get_contents (path, &data, &len, NULL));
        if (!first[i]) {
          first[i] = data;
          first_len[i] = len;
        } else {
          g_assert_cmpuint (len, ==, first_len[i]);
          g_assert_true (memcmp (data, first[i], len) == 0);
          g_free (data);
        }
        g_unlink (path);
        g_free (path);
      }
    }
    g_free (out);
    g_free (errs);
  }
  g_test_message ("%u of %d children with %d engines each failed", failed,
      CHILDREN, THREADS);
  g_assert_cmpuint (failed, ==, 0);
  /* and each engine computes what the C reference does */
  for (int i = 0; i < ENGINES; i++) {
    char label[32];

    g_snprintf (label, sizeof (label), "multiengine %d", i);
    g_assert_true (yolo_test_check (build_graph (i), label, 1e-4f, 1e-4f,
            TRUE));
    g_free (first[i]);
  }
  g_rmdir (dir);
  g_free (dir);
}

/* The launch pattern in L_CHILDREN processes: none may abort. */
static void
test_multiengine_launches (void)
{
  guint failed = 0;
  cl_platform_id platform;
  cl_device_id dev;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  /* PoCL's bug; elsewhere (rusticl on llvmpipe) only slow */
  if (!yolo_cl_select_device (NULL, &platform, &dev, NULL)
      || !yolo_cl_device_is_pocl (dev)) {
    g_test_skip ("the launch pattern checks PoCL");
    return;
  }
  for (int c = 0; c < L_CHILDREN; c++) {
    const char *argv[] = { self, "--launch-child", NULL };
    GError *err = NULL;
    char *errs = NULL;
    int status = 0;

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL,
            G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errs, &status,
            &err));
    g_assert_no_error (err);
    if (!g_spawn_check_wait_status (status, NULL)) {
      g_test_message ("child %d: status 0x%x: %s", c, status, errs);
      failed++;
    }
    g_free (errs);
  }
  g_test_message ("%u of %d children with %d launching threads each failed",
      failed, L_CHILDREN, L_THREADS);
  g_assert_cmpuint (failed, ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "--launch-child") == 0)
    return launch_child_main ();
  if (argc == 3 && strcmp (argv[1], "--child") == 0)
    return child_main (argv[2]);
  self = argv[0];
  /* a fresh PoCL kernel cache, shared by the children (the first child
   * compiles, the others load): the abort needs no compiler, only
   * PoCL's in-memory cache of loaded work-group functions */
  if (!g_getenv ("YOLO_TEST_KEEP_POCL_CACHE")) {
    char *pocl_dir = g_dir_make_tmp ("yolo-multiengine-pocl-XXXXXX", NULL);
    g_setenv ("POCL_CACHE_DIR", pocl_dir, TRUE);
  }
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/multiengine/launches", test_multiengine_launches);
  g_test_add_func ("/multiengine/threads", test_multiengine_threads);
  return g_test_run ();
}
