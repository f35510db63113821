/* test-batch.c - the engine's batch option: a batch-1 export run with
 * batch N (the graph's batch rewritten to N, each Conv lowered once per
 * image) gives for every image exactly what a batch-1 engine gives for it,
 * on yolov8n-320 and yolo11n-320 (attention: batched MatMuls and Reshapes
 * that hold the batch), with random images; invalid batches are
 * refused. With --folded: yolo12n and yolo26n-640 at batch 2 (exports
 * that fold the batch: the area attention's areas into the batch axis, the
 * top-k tail's per-image Gather offsets). With --int8: the dynamic int8
 * models of models/quantized at batch 3 and 2 in both int8 compute modes
 * (each image quantised as alone: DynamicQuantizeLinear per image). With
 * MODEL BATCH...: those only, every output. The images of a batch differ
 * in range (image b in [0, 1 - b / 4)), so a quantisation over the whole
 * batch would not give the batch-1 result. GLib only. */
#include "yolo-engine.h"

#include <stdlib.h>
#include <string.h>

static int fails;

#define CHECK(c, ...) do { if (!(c)) { fails++; \
      g_printerr ("FAIL %s:%d: ", __FILE__, __LINE__); \
      g_printerr (__VA_ARGS__); g_printerr ("\n"); } } while (0)

static gint64
numel (const YoloTensorInfo * t, int from)
{
  gint64 n = 1;
  for (int i = from; i < t->ndim; i++)
    n *= t->dims[i];
  return n;
}

static void
check_model_int8 (const char *path, int batch, const char *int8_compute,
    GRand * rng)
{
  YoloEngineOptions o1 = { 0 }, on = { 0 };
  YoloEngine *e1, *en;
  YoloTensorInfo i1, iN;
  GError *err = NULL;
  gint64 img_n;
  float *in;

  /* the static variant order: both engines choose alike */
  o1.tune = on.tune = "off";
  o1.int8_compute = on.int8_compute = int8_compute;
  on.batch = batch;
  e1 = yolo_engine_new (path, &o1, &err);
  g_assert_no_error (err);
  en = yolo_engine_new (path, &on, &err);
  CHECK (en != NULL, "%s batch %d: %s", path, batch, err ? err->message : "");
  if (!en) {
    g_clear_error (&err);
    yolo_engine_free (e1);
    return;
  }
  yolo_engine_input_info (e1, 0, &i1);
  yolo_engine_input_info (en, 0, &iN);
  CHECK (iN.dims[0] == batch && numel (&iN, 1) == numel (&i1, 1)
      && yolo_engine_n_outputs (en) == yolo_engine_n_outputs (e1),
      "%s: shapes at batch %d", path, batch);
  img_n = numel (&i1, 0);
  in = g_new (float, img_n * batch);
  for (gint64 k = 0; k < img_n * batch; k++)
    in[k] = (float) (g_rand_double (rng) * (1.0 - (k / img_n) % 4 / 4.0));
  g_assert (yolo_engine_set_input (en, in, &err) && yolo_engine_run (en, &err));
  /* every output (segment models: the protos too) */
  for (guint o = 0; o < yolo_engine_n_outputs (e1); o++) {
    YoloTensorInfo out1, outN;
    gint64 out_n;
    float *got, *want;
    double maxdiff = 0;

    yolo_engine_output_info (e1, o, &out1);
    yolo_engine_output_info (en, o, &outN);
    CHECK (outN.dims[0] == batch && numel (&outN, 1) == numel (&out1, 1),
        "%s: output %u's shape at batch %d", path, o, batch);
    out_n = numel (&out1, 0);
    got = g_new (float, out_n * batch);
    want = g_new (float, out_n);
    g_assert (yolo_engine_get_output (en, o, got, &err));
    for (int b = 0; b < batch; b++) {
      g_assert (yolo_engine_set_input (e1, in + b * img_n, &err)
          && yolo_engine_run (e1, &err)
          && yolo_engine_get_output (e1, o, want, &err));
      for (gint64 k = 0; k < out_n; k++) {
        double d = ABS ((double) got[b * out_n + k] - want[k]);
        if (d > maxdiff || d != d)
          maxdiff = d != d ? G_MAXDOUBLE : d;
      }
    }
    /* the same kernels on the same values: bit for bit */
    CHECK (maxdiff == 0, "%s batch %d%s%s: output %u's images differ from "
        "batch 1 by up to %g", path, batch, int8_compute ? " int8_compute=" :
        "", int8_compute ? int8_compute : "", o, maxdiff);
    g_print ("%s%s%s: output %u: batch %d = %d batch-1 runs (max difference "
        "%g)\n", path, int8_compute ? " int8_compute=" : "",
        int8_compute ? int8_compute : "", o, batch, batch, maxdiff);
    g_free (got);
    g_free (want);
  }
  g_free (in);
  yolo_engine_free (e1);
  yolo_engine_free (en);
}

static void
check_model (const char *path, int batch, GRand * rng)
{
  check_model_int8 (path, batch, NULL, rng);
}

/* The dynamic int8 models (onnxruntime's quantize_dynamic) at batch 3 and
 * 2, float emulation and integer kernels. */
static int
check_int8 (const char *data, GRand * rng)
{
  static const char *const names[] = { "yolov8n-int8-640.onnx",
    "yolo11n-int8-640.onnx", "yolo26n-int8-640.onnx"
  };
  static const char *const modes[] = { "float", "integer" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
    char *path = g_build_filename (data, "models", "quantized", names[i],
        NULL);
    if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
      g_print ("SKIP: %s missing\n", path);
      g_free (path);
      return 77;
    }
    for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
      check_model_int8 (path, i == 0 && m == 0 ? 2 : 3, modes[m], rng);
    g_free (path);
  }
  return fails ? 1 : 0;
}

int
main (int argc, char **argv)
{
  const char *data = g_getenv ("YOLO_TEST_DATA");
  char *v8 = g_build_filename (data ? data : "../shared", "models",
      "yolov8n-320.onnx", NULL);
  char *v11 = g_build_filename (data ? data : "../shared", "models",
      "yolo11n-320.onnx", NULL);
  char *v12 = g_build_filename (data ? data : "../shared", "models", "zoo",
      "yolo12n.onnx", NULL);
  char *v26 = g_build_filename (data ? data : "../shared", "models",
      "yolo26n-640.onnx", NULL);
  GRand *rng = g_rand_new_with_seed (11);
  YoloEngineOptions bad = { 0 };
  GError *err = NULL;

  if (argc > 1) {
    if (!strcmp (argv[1], "--int8")) {
      int rc = check_int8 (data ? data : "../shared", rng);
      g_rand_free (rng);
      g_free (v8);
      g_free (v11);
      g_free (v12);
      g_free (v26);
      if (!rc)
        g_print ("PASS\n");
      return rc;
    }
    if (!strcmp (argv[1], "--folded")) {
      /* exports that fold the batch: YOLO12's area attention into the
       * batch axis (4 areas), YOLO26's top-k tail its per-image offsets
       * of a Gather over the flattened batch */
      if (!g_file_test (v12, G_FILE_TEST_EXISTS)
          || !g_file_test (v26, G_FILE_TEST_EXISTS)) {
        g_print ("SKIP: %s or %s missing\n", v12, v26);
        return 77;
      }
      check_model (v12, 2, rng);
      check_model (v26, 2, rng);
    } else {
      /* test-batch MODEL BATCH...: those models only */
      for (int i = 1; i + 1 < argc; i += 2)
        check_model (argv[i], atoi (argv[i + 1]), rng);
    }
    g_rand_free (rng);
    g_free (v8);
    g_free (v11);
    g_free (v12);
    g_free (v26);
    if (fails)
      return 1;
    g_print ("PASS\n");
    return 0;
  }
  if (!g_file_test (v8, G_FILE_TEST_EXISTS)) {
    g_print ("SKIP: %s missing\n", v8);
    return 77;
  }
  check_model (v8, 3, rng);
  check_model (v8, 2, rng);
  if (g_file_test (v11, G_FILE_TEST_EXISTS))
    check_model (v11, 2, rng);
  for (int i = 0; i < 2; i++) {
    bad.batch = i ? 257 : -1;
    CHECK (!yolo_engine_new (v8, &bad, &err)
        && g_error_matches (err, YOLO_ENGINE_ERROR,
            YOLO_ENGINE_ERROR_ARGUMENT), "batch %d accepted", bad.batch);
    g_clear_error (&err);
  }
  g_rand_free (rng);
  g_free (v8);
  g_free (v11);
  g_free (v12);
  g_free (v26);
  if (fails)
    return 1;
  g_print ("PASS\n");
  return 0;
}
