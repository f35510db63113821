/* bench-preproc.c - times the frame pre-processing (yolo_preproc_run: the
 * frame upload and preproc.cl, then clFinish) for every pixel format and a
 * few frame sizes into 640x640 and 320x320 inputs. Not a test.
 *
 *   bench-preproc [repeats] [FORMAT,FORMAT,...] [VARIANT,VARIANT,...]
 *
 * A variant is KERNEL:UPLOAD, the engine options preproc_kernel (scalar:
 * one pixel per work-item, wide: 16) and preproc_upload (copy: the frame
 * copied into a device buffer, host: read in place), see yolo-preproc.c;
 * one engine per input size and variant; default all
 * four. scalar:copy is the code before the wide kernels (and what GPUs
 * run); wide:host is what PoCL runs now. All variants are timed in the
 * same process, and every repeat runs all (size, input, format, variant)
 * cases one after another, so load on the machine hits them alike. Prints
 * per variant the median over the repeats of the wall time in ms, its
 * ratio to RGB of the same size and variant, and the median CPU time of
 * all threads (steadier on a loaded machine); then first / last variant of
 * both. The device is YOLO_DEVICE's (default: the engine's choice).
 */
#include "yolo-test-util.h"
#include "yolo-preproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *format_names[] = {
  "RGB", "BGR", "RGBA", "BGRA", "RGBx", "BGRx", "NV12", "I420", "NV21",
  "YV12", "YUY2", "UYVY", "GRAY8"
};

static const int frame_sizes[][2] = { {768, 432}, {1920, 1080}, {3840, 2160} };
static const int input_sizes[] = { 640, 320 };

/* kernel variant, frame upload (yolo-preproc.c) */
static const char *all_variants[] = {
  "scalar:copy", "wide:copy", "scalar:host", "wide:host"
};

#define N_FRAMES G_N_ELEMENTS (frame_sizes)
#define N_INPUTS G_N_ELEMENTS (input_sizes)
#define MAX_VARIANTS G_N_ELEMENTS (all_variants)
#define N_FORMATS (YOLO_PIXEL_GRAY8 + 1)

typedef struct
{
  YoloImage img;
  guint8 *buf[3];
} BenchImage;

/* Random pixels, rows padded to 4 bytes as GStreamer lays them out. */
static void
bench_image_init (BenchImage * b, YoloPixelFormat f, int w, int h)
{
  int np = yolo_pixel_format_n_planes (f);

  memset (b, 0, sizeof (*b));
  b->img.format = f;
  b->img.width = w;
  b->img.height = h;
  for (int i = 0; i < np; i++) {
    int rows, stride =
        (yolo_pixel_format_plane_row (f, w, h, i, &rows) + 3) & ~3;
    gsize size = (gsize) stride * rows;
    b->buf[i] = g_malloc (size);
    for (gsize k = 0; k < size; k++)
      b->buf[i][k] = (guint8) g_random_int ();
    b->img.planes[i] = b->buf[i];
    b->img.strides[i] = stride;
  }
  yolo_yuv_matrix_init (&b->img.yuv, 0.2126, 0.0722, FALSE);
  b->img.chroma_site = 0;
}

static YoloEngine *
make_engine (int s, const char *variant)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 dims[4] = { 1, 3, s, s };
  const char *in[] = { "x" }, *out[] = { "y" };
  gchar **kv = g_strsplit (variant, ":", 2);
  YoloEngineOptions opt = {.preproc_kernel = kv[0],.preproc_upload = kv[1] };
  GError *err = NULL;
  YoloEngine *e;

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, dims, 0.0f, 1.0f);
  yolo_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
  yolo_test_output (g, "y");
  e = yolo_engine_new_from_graph (g, &opt, TRUE, &err);
  g_strfreev (kv);
  if (!e) {
    fprintf (stderr, "engine: %s\n", err->message);
    exit (1);
  }
  return e;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* CPU time of the whole process (all PoCL threads), ns. */
static gint64
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* One yolo_preproc_run + clFinish: wall ms (returned), CPU ms. */
static double
time_one (YoloEngine * e, YoloPreproc * pp, const YoloImage * img,
    double *cpu_ms)
{
  YoloPreprocParams params = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  GError *err = NULL;
  gint64 c0 = cpu_now ();
  gint64 t0 = g_get_monotonic_time ();

  if (!yolo_preproc_run (pp, img, &params, NULL, &err)) {
    fprintf (stderr, "preproc: %s\n", err->message);
    exit (1);
  }
  clFinish (yolo_rt_queue (e->rt));
  gint64 t1 = g_get_monotonic_time ();
  *cpu_ms = (cpu_now () - c0) / 1e6;
  return (t1 - t0) / 1e3;
}

int
main (int argc, char **argv)
{
  int repeats = argc > 1 ? atoi (argv[1]) : 7;
  gboolean use[N_FORMATS];
  static BenchImage images[N_FRAMES][N_FORMATS];
  YoloEngine *engines[N_INPUTS][MAX_VARIANTS];
  YoloPreproc *pp[N_INPUTS][MAX_VARIANTS];
  const char *variants[MAX_VARIANTS];
  guint nv = 0;
  double *t, *tc;
  GError *err = NULL;

  if (repeats < 1)
    repeats = 1;
  for (int f = 0; f < N_FORMATS; f++) {
    use[f] = argc <= 2 || strcmp (argv[2], "all") == 0;
    if (!use[f]) {
      gchar **names = g_strsplit (argv[2], ",", -1);
      for (gchar ** n = names; *n; n++)
        if (g_ascii_strcasecmp (*n, format_names[f]) == 0)
          use[f] = TRUE;
      g_strfreev (names);
    }
  }
  use[YOLO_PIXEL_RGB] = TRUE;   /* the ratios' reference */
  for (guint v = 0; v < MAX_VARIANTS; v++) {
    gboolean want = argc <= 3;
    if (!want) {
      gchar **names = g_strsplit (argv[3], ",", -1);
      want = g_strv_contains ((const gchar * const *) names, all_variants[v]);
      g_strfreev (names);
    }
    if (want)
      variants[nv++] = all_variants[v];
  }
  if (nv == 0) {
    fprintf (stderr, "no such variant (scalar:copy, wide:copy, scalar:host, "
        "wide:host)\n");
    return 1;
  }

  g_random_set_seed (1);
  for (guint s = 0; s < N_FRAMES; s++)
    for (int f = 0; f < N_FORMATS; f++)
      if (use[f])
        bench_image_init (&images[s][f], f, frame_sizes[s][0],
            frame_sizes[s][1]);
  for (guint i = 0; i < N_INPUTS; i++) {
    for (guint v = 0; v < nv; v++) {
      engines[i][v] = make_engine (input_sizes[i], variants[v]);
      pp[i][v] = yolo_preproc_new (engines[i][v], &err);
      if (!pp[i][v]) {
        fprintf (stderr, "preproc: %s\n", err->message);
        return 1;
      }
    }
  }

  /* t[((s * N_INPUTS + i) * N_FORMATS + f) * nv + v][r] */
#define CASE(s, i, f, v) ((((s) * N_INPUTS + (i)) * N_FORMATS + (f)) * nv + (v))
  gsize n_cases = N_FRAMES * N_INPUTS * N_FORMATS * nv;
  t = g_new0 (double, n_cases * repeats);
  tc = g_new0 (double, n_cases * repeats);
  for (int r = -1; r < repeats; r++) {
    for (guint s = 0; s < N_FRAMES; s++)
      for (guint i = 0; i < N_INPUTS; i++)
        for (int f = 0; f < N_FORMATS; f++)
          for (guint v = 0; v < nv && use[f]; v++) {
            gsize c = CASE (s, i, f, v);
            /* r = -1: warm-up (kernel builds, buffers, tables) */
            double cpu, ms = time_one (engines[i][v], pp[i][v],
                &images[s][f].img, &cpu);
            if (r >= 0) {
              t[c * repeats + r] = ms;
              tc[c * repeats + r] = cpu;
            }
          }
  }
  for (gsize c = 0; c < n_cases; c++) {
    qsort (t + c * repeats, repeats, sizeof (double), cmp_double);
    qsort (tc + c * repeats, repeats, sizeof (double), cmp_double);
  }

  printf ("device: %s; medians of %d runs (frame upload + kernel + "
      "finish): wall ms, its ratio to RGB, CPU ms of all threads\n",
      yolo_rt_device (engines[0][0]->rt)->name, repeats);
  printf ("%-5s %-9s %-3s", "fmt", "frame", "in");
  for (guint v = 0; v < nv; v++)
    printf (" | %-20s", variants[v]);
  if (nv > 1)
    printf (" | first/last wall cpu");
  printf ("\n");
  for (guint s = 0; s < N_FRAMES; s++)
    for (guint i = 0; i < N_INPUTS; i++)
      for (int f = 0; f < N_FORMATS; f++) {
        double med[MAX_VARIANTS], cpu[MAX_VARIANTS];
        char frame[32];
        if (!use[f])
          continue;
        g_snprintf (frame, sizeof (frame), "%dx%d", frame_sizes[s][0],
            frame_sizes[s][1]);
        printf ("%-5s %-9s %-3d", format_names[f], frame, input_sizes[i]);
        for (guint v = 0; v < nv; v++) {
          gsize c = CASE (s, i, f, v), c0 = CASE (s, i, YOLO_PIXEL_RGB, v);
          med[v] = t[c * repeats + repeats / 2];
          cpu[v] = tc[c * repeats + repeats / 2];
          printf (" | %6.2f %5.2f %6.2f", med[v],
              med[v] / t[c0 * repeats + repeats / 2], cpu[v]);
        }
        if (nv > 1)
          printf (" | %14.2f %4.1f", med[0] / med[nv - 1],
              cpu[0] / cpu[nv - 1]);
        printf ("\n");
      }
#undef CASE

  for (guint i = 0; i < N_INPUTS; i++) {
    for (guint v = 0; v < nv; v++) {
      yolo_preproc_free (pp[i][v]);
      yolo_engine_free (engines[i][v]);
    }
  }
  for (guint s = 0; s < N_FRAMES; s++)
    for (int f = 0; f < N_FORMATS; f++)
      for (int k = 0; k < 3; k++)
        g_free (images[s][f].buf[k]);
  g_free (t);
  g_free (tc);
  return 0;
}
