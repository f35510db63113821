/* test-shared.c - shared engine instances (yolo-engine-shared.h): one
 * engine per id for the same model and options, its users counted, other
 * settings under a loaded id refused, and several threads running one
 * shared engine under its lock give, frame for frame, the outputs a
 * private engine gives for the same inputs. GLib only. */
#include "yolo-engine-shared.h"

#include <string.h>

static const char *model;

/* batched phase: frames of B_THREADS threads through one engine of batch
 * B_BATCH with yolo_engine_shared_infer (full batches and timeouts) */
#define B_THREADS 3
#define B_BATCH 2
#define B_FRAMES 3
#define IMG_W 64
#define IMG_H 48
static guint8 *images[B_THREADS];
static float *b_expected[B_THREADS];
static gint64 b_out_n;

typedef struct
{
  int index;
  int mismatches;
  char *error;
} BWorker;

static void
fill_image (YoloImage * img, const guint8 * rgb)
{
  memset (img, 0, sizeof (*img));
  img->format = YOLO_PIXEL_RGB;
  img->width = IMG_W;
  img->height = IMG_H;
  img->planes[0] = rgb;
  img->strides[0] = IMG_W * 3;
}

static gpointer
b_worker (gpointer data)
{
  BWorker *w = data;
  YoloEngineOptions opt = { 0 };
  YoloPreprocParams pp = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  GError *err = NULL;
  YoloEngine *e;
  YoloPreproc *pre;
  YoloImage img;
  YoloLetterbox lb;
  float *out = g_new (float, b_out_n);

  opt.batch = B_BATCH;
  e = yolo_engine_shared_acquire ("batched", model, &opt, &err);
  if (!e) {
    w->error = g_strdup (err->message);
    g_error_free (err);
    g_free (out);
    return NULL;
  }
  yolo_engine_lock (e);
  pre = yolo_preproc_new (e, &err);
  yolo_engine_unlock (e);
  g_assert_no_error (err);
  fill_image (&img, images[w->index]);
  for (int f = 0; f < B_FRAMES; f++) {
    if (!yolo_engine_shared_infer (e, pre, &img, &pp, &lb, 100, out, NULL,
            &err)) {
      w->error = g_strdup (err->message);
      g_clear_error (&err);
      break;
    }
    if (memcmp (out, b_expected[w->index], b_out_n * sizeof (float)))
      w->mismatches++;
  }
  yolo_engine_lock (e);
  yolo_preproc_free (pre);
  yolo_engine_unlock (e);
  yolo_engine_shared_release (e);
  g_free (out);
  return NULL;
}

#define N_THREADS 4
#define N_FRAMES 3

static gint64 in_n, out_n;
static float *inputs[N_THREADS][N_FRAMES];
static float *expected[N_THREADS][N_FRAMES];

typedef struct
{
  int index;
  YoloEngine *e;
  int mismatches;
  char *error;
} Worker;

static gpointer
worker (gpointer data)
{
  Worker *w = data;
  YoloEngineOptions opt = { 0 };
  GError *err = NULL;
  float *out = g_new (float, out_n);

  w->e = yolo_engine_shared_acquire ("test", model, &opt, &err);
  if (!w->e) {
    w->error = g_strdup (err->message);
    g_error_free (err);
    g_free (out);
    return NULL;
  }
  for (int f = 0; f < N_FRAMES; f++) {
    gboolean ok;
    yolo_engine_lock (w->e);
    ok = yolo_engine_set_input (w->e, inputs[w->index][f], &err)
        && yolo_engine_run (w->e, &err)
        && yolo_engine_get_output (w->e, 0, out, &err);
    yolo_engine_unlock (w->e);
    if (!ok) {
      w->error = g_strdup (err->message);
      g_error_free (err);
      break;
    }
    if (memcmp (out, expected[w->index][f], out_n * sizeof (float)))
      w->mismatches++;
  }
  g_free (out);
  return NULL;
}

static gint64
numel (const YoloTensorInfo * t)
{
  gint64 n = 1;
  for (int i = 0; i < t->ndim; i++)
    n *= t->dims[i];
  return n;
}

int
main (void)
{
  const char *data = g_getenv ("YOLO_TEST_DATA");
  char *path;
  YoloEngine *ref, *a, *b;
  YoloEngineOptions opt = { 0 }, other = { 0 };
  YoloTensorInfo ii, oi;
  GError *err = NULL;
  GThread *th[N_THREADS];
  Worker w[N_THREADS];
  GRand *rng = g_rand_new_with_seed (9);
  int fails = 0;

#define CHECK(c, ...) do { if (!(c)) { fails++; \
      g_printerr ("FAIL %s:%d: ", __FILE__, __LINE__); \
      g_printerr (__VA_ARGS__); g_printerr ("\n"); } } while (0)

  path = g_build_filename (data ? data : "../shared", "models",
      "yolov8n-320.onnx", NULL);
  model = path;
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_print ("SKIP: %s missing\n", path);
    return 77;
  }

  /* the expected outputs, from an engine of our own */
  ref = yolo_engine_new (path, &opt, &err);
  g_assert_no_error (err);
  yolo_engine_input_info (ref, 0, &ii);
  yolo_engine_output_info (ref, 0, &oi);
  in_n = numel (&ii);
  out_n = numel (&oi);
  for (int t = 0; t < N_THREADS; t++)
    for (int f = 0; f < N_FRAMES; f++) {
      inputs[t][f] = g_new (float, in_n);
      expected[t][f] = g_new (float, out_n);
      for (gint64 k = 0; k < in_n; k++)
        inputs[t][f][k] = (float) g_rand_double (rng);
      g_assert (yolo_engine_set_input (ref, inputs[t][f], &err)
          && yolo_engine_run (ref, &err)
          && yolo_engine_get_output (ref, 0, expected[t][f], &err));
    }

  /* bad arguments */
  CHECK (!yolo_engine_shared_acquire ("", path, &opt, &err)
      && g_error_matches (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT),
      "empty id accepted");
  g_clear_error (&err);
  CHECK (!yolo_engine_shared_acquire ("x", "/nonexistent.onnx", &opt, &err)
      && g_error_matches (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO),
      "missing model: %s", err ? err->message : "no error");
  g_clear_error (&err);
  CHECK (yolo_engine_shared_users ("x") == 0, "a failed load is registered");

  /* N threads acquire the same id at once and run it concurrently */
  for (int t = 0; t < N_THREADS; t++) {
    memset (&w[t], 0, sizeof (w[t]));
    w[t].index = t;
    th[t] = g_thread_new ("worker", worker, &w[t]);
  }
  for (int t = 0; t < N_THREADS; t++)
    g_thread_join (th[t]);
  for (int t = 0; t < N_THREADS; t++) {
    CHECK (w[t].e != NULL && w[t].e == w[0].e, "thread %d: engine %p vs %p",
        t, w[t].e, w[0].e);
    CHECK (!w[t].error, "thread %d: %s", t, w[t].error);
    CHECK (w[t].mismatches == 0, "thread %d: %d of %d outputs differ from "
        "a private engine's", t, w[t].mismatches, N_FRAMES);
  }
  CHECK (yolo_engine_shared_users ("test") == N_THREADS, "users %u",
      yolo_engine_shared_users ("test"));
  /* the shared engine holds what one engine holds */
  CHECK (yolo_engine_device_bytes (w[0].e) == yolo_engine_device_bytes (ref)
      && yolo_engine_device_bytes (ref) > 0, "device bytes %" G_GUINT64_FORMAT
      " vs %" G_GUINT64_FORMAT, yolo_engine_device_bytes (w[0].e),
      yolo_engine_device_bytes (ref));
  g_print ("device memory of one engine: %.1f MiB\n",
      yolo_engine_device_bytes (ref) / 1048576.0);

  /* other settings under the loaded id: refused, naming the id */
  other.input_height = other.input_width = 640;
  CHECK (!yolo_engine_shared_acquire ("test", path, &other, &err)
      && g_error_matches (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT)
      && strstr (err->message, "'test'")
      && strstr (err->message, "input size"), "other input size: %s",
      err ? err->message : "accepted");
  g_clear_error (&err);
  other.input_height = other.input_width = 0;
  other.device = "no-such-device";
  CHECK (!yolo_engine_shared_acquire ("test", path, &other, &err)
      && g_error_matches (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT)
      && strstr (err->message, "device"), "other device: %s",
      err ? err->message : "accepted");
  g_clear_error (&err);
  {
    char *m640 = g_build_filename (data ? data : "../shared", "models",
        "yolov8n-640.onnx", NULL);
    CHECK (!yolo_engine_shared_acquire ("test", m640, &opt, &err)
        && strstr (err->message, "model differs"), "other model: %s",
        err ? err->message : "accepted");
    g_clear_error (&err);
    g_free (m640);
  }
  /* the same file by another path name is the same model */
  {
    char *dir = g_path_get_dirname (path);
    char *alt = g_build_filename (dir, ".", "yolov8n-320.onnx", NULL);
    a = yolo_engine_shared_acquire ("test", alt, &opt, &err);
    CHECK (a == w[0].e, "%s: not the same instance", alt);
    yolo_engine_shared_release (a);
    g_free (alt);
    g_free (dir);
  }
  CHECK (yolo_engine_shared_users ("test") == N_THREADS, "users %u",
      yolo_engine_shared_users ("test"));

  /* releases count down; the last frees, and the id loads anew */
  for (int t = 0; t < N_THREADS; t++)
    yolo_engine_shared_release (w[t].e);
  CHECK (yolo_engine_shared_users ("test") == 0, "users %u after release",
      yolo_engine_shared_users ("test"));
  a = yolo_engine_shared_acquire ("test", path, NULL, &err);
  b = yolo_engine_shared_acquire ("other-id", path, NULL, &err);
  CHECK (a && b && a != b, "two ids, one engine");
  CHECK (yolo_engine_shared_users ("test") == 1
      && yolo_engine_shared_users ("other-id") == 1, "users after reload");
  yolo_engine_shared_release (a);
  yolo_engine_shared_release (b);
  yolo_engine_shared_release (NULL);

  /* batched: each thread's frames through batches of B_BATCH give what a
   * batch-1 engine gives for its image (3 threads, batch 2: full batches
   * and batches run on the timeout) */
  {
    YoloPreproc *pre;
    YoloPreprocParams pp = YOLO_PREPROC_PARAMS_ULTRALYTICS;
    YoloImage img;
    GThread *bt[B_THREADS];
    BWorker bw[B_THREADS];

    b_out_n = out_n;
    pre = yolo_preproc_new (ref, &err);
    g_assert_no_error (err);
    for (int t = 0; t < B_THREADS; t++) {
      images[t] = g_new (guint8, IMG_W * IMG_H * 3);
      for (int k = 0; k < IMG_W * IMG_H * 3; k++)
        images[t][k] = (guint8) g_rand_int_range (rng, 0, 256);
      b_expected[t] = g_new (float, out_n);
      fill_image (&img, images[t]);
      g_assert (yolo_preproc_run (pre, &img, &pp, NULL, &err)
          && yolo_engine_enqueue (ref, &err)
          && yolo_engine_get_output (ref, 0, b_expected[t], &err));
    }
    yolo_preproc_free (pre);
    for (int t = 0; t < B_THREADS; t++) {
      memset (&bw[t], 0, sizeof (bw[t]));
      bw[t].index = t;
      bt[t] = g_thread_new ("batched", b_worker, &bw[t]);
    }
    for (int t = 0; t < B_THREADS; t++)
      g_thread_join (bt[t]);
    for (int t = 0; t < B_THREADS; t++) {
      CHECK (!bw[t].error, "batched thread %d: %s", t, bw[t].error);
      CHECK (bw[t].mismatches == 0, "batched thread %d: %d of %d outputs "
          "differ from a batch-1 engine's", t, bw[t].mismatches, B_FRAMES);
      g_free (bw[t].error);
      g_free (images[t]);
      g_free (b_expected[t]);
    }
    CHECK (yolo_engine_shared_users ("batched") == 0, "batched users left");
    g_print ("%d threads, batch %d: outputs equal to batch 1\n", B_THREADS,
        B_BATCH);
  }

  yolo_engine_free (ref);
  for (int t = 0; t < N_THREADS; t++)
    for (int f = 0; f < N_FRAMES; f++) {
      g_free (inputs[t][f]);
      g_free (expected[t][f]);
    }
  for (int t = 0; t < N_THREADS; t++)
    g_free (w[t].error);
  g_rand_free (rng);
  g_free (path);
  if (fails)
    return 1;
  g_print ("PASS\n");
  return 0;
}
