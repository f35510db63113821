/* yolo-peak.c - the OpenCL device's fp32 multiply-add peak (yolo-peak.h),
 * and what the device and host measurements share. */
#include "yolo-peak.h"
#include "yolo-engine-private.h"
#include "yolo-runtime.h"
#include "yolo-cl.h"
#include "yolo-cl-queue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y ? 1 : 0;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof (double), cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void
yolo_peak_summarise (YoloPeak * p, double *g, double *wall, guint n)
{
  p->runs = n;
  p->gflops = median (g, n);
  p->min_gflops = g[0];
  p->max_gflops = g[n - 1];
  p->wall_gflops = median (wall, n);
}

guint
yolo_peak_cores (const YoloDeviceInfo * info)
{
  guint n = MAX (g_get_num_processors (), 1);

  return info->compute_units > 0 ? MIN (info->compute_units, n) : n;
}

double
yolo_peak_cpu_seconds (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
yolo_peak_clear (YoloPeak * p)
{
  g_free (p->what);
  p->what = NULL;
}

/* Wall seconds of one launch of k with `iters` iterations, or < 0 (error
 * set). */
static double
time_launch (YoloRuntime * rt, cl_kernel k, gsize gws, int iters,
    double *cpu_s, GError ** error)
{
  cl_command_queue q = yolo_rt_queue (rt);
  double c0 = yolo_peak_cpu_seconds ();
  gint64 t0;
  cl_int err;

  err = clSetKernelArg (k, 1, sizeof (cl_int), &iters);
  if (YOLO_CL_FAILED (err, error, "setting the peak kernel's arguments"))
    return -1;
  t0 = g_get_monotonic_time ();
  err = yolo_cl_enqueue_kernel (q, k, 1, &gws, NULL, NULL);
  if (err == CL_SUCCESS)
    err = clFinish (q);
  if (YOLO_CL_FAILED (err, error, "running the peak kernel"))
    return -1;
  if (cpu_s)
    *cpu_s = yolo_peak_cpu_seconds () - c0;
  return (g_get_monotonic_time () - t0) / 1e6;
}

/* Independent mad chains per work-item in peak.cl. */
#define PEAK_CHAINS 24

/* What work-item gid of the peak kernel writes (each lane) after `iters`
 * iterations: the C reference of peak.cl (its start values and its
 * pairwise sum of groups of 4 chains). */
static float
peak_reference (gsize gid, int iters, float a, float b)
{
  float x[PEAK_CHAINS], s[PEAK_CHAINS / 4];

  for (int c = 0; c < PEAK_CHAINS; c++)
    x[c] = (float) (gid & 255) * 1e-3f + c / 64.0f;
  for (int i = 0; i < iters; i++)
    for (int c = 0; c < PEAK_CHAINS; c++)
      x[c] = x[c] * a + b;
  for (int q = 0; q < PEAK_CHAINS / 4; q++)
    s[q] = (x[4 * q] + x[4 * q + 1]) + (x[4 * q + 2] + x[4 * q + 3]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + (s[4] + s[5]);
}

/* Runs the kernel once with a few iterations and checks every lane of
 * every work-item against peak_reference: a figure from a kernel that
 * computed something else would mean nothing. */
static gboolean
check_result (YoloRuntime * rt, cl_kernel k, cl_mem buf, gsize gws,
    guint width, float a, float b, GError ** error)
{
  const int iters = 100;
  gsize n = gws * width;
  float *got = g_new (float, n);
  gboolean ok = FALSE;
  cl_int err;

  if (time_launch (rt, k, gws, iters, NULL, error) < 0)
    goto out;
  err = clEnqueueReadBuffer (yolo_rt_queue (rt), buf, CL_TRUE, 0,
      n * sizeof (float), got, 0, NULL, NULL);
  if (YOLO_CL_FAILED (err, error, "reading the peak kernel's result"))
    goto out;
  for (gsize i = 0; i < n; i++) {
    float want = peak_reference (i / width, iters, a, b);
    /* mad may round once or twice per step */
    if (!(fabsf (got[i] - want) <= 1e-4f * fabsf (want) + 1e-5f)) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
          "the peak kernel computed %g at %" G_GSIZE_FORMAT ", expected %g: "
          "the device's result is wrong", got[i], i, want);
      goto out;
    }
  }
  ok = TRUE;
out:
  g_free (got);
  return ok;
}

gboolean
yolo_peak_device (const YoloEngineOptions * options, guint vector_width,
    double target_ms, guint runs, YoloPeak * out, GError ** error)
{
  YoloRuntime *rt = NULL;
  const YoloDeviceInfo *info;
  cl_kernel k = NULL;
  cl_mem buf;
  char name[32];
  gsize gws;
  gint64 iters = 16;
  float a = 0.999f, b = 0.001f;
  double s = 0, *g = NULL;
  gboolean ok = FALSE;
  cl_int err;

  memset (out, 0, sizeof (*out));
  if (!(target_ms > 0 && target_ms <= 60000) || runs < 1 || runs > 1000) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "peak: run time must be in (0, 60000] ms and runs in 1..1000");
    return FALSE;
  }
  if (vector_width != 0 && vector_width != 1 && vector_width != 2
      && vector_width != 4 && vector_width != 8 && vector_width != 16) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "peak: vector width %u is not 0 (the device's), 1, 2, 4, 8 or 16",
        vector_width);
    return FALSE;
  }
  rt = yolo_runtime_new (options, error);
  if (!rt)
    return FALSE;
  info = yolo_rt_device (rt);
  if (vector_width == 0) {
    guint p = MAX (info->preferred_vector_width_float, 1);
    for (vector_width = 16; vector_width > p; vector_width /= 2);
  }
  g_snprintf (name, sizeof name, "fma_peak_%u", vector_width);
  k = yolo_rt_kernel (rt, name, error);
  if (!k)
    goto out;
  gws = (gsize) MAX (info->compute_units, 1) * 2048 / vector_width;
  gws = MAX (gws, 64);
  buf = yolo_rt_alloc (rt, gws * vector_width * sizeof (float), error);
  if (!buf)
    goto out;
  err = clSetKernelArg (k, 0, sizeof (cl_mem), &buf);
  if (err == CL_SUCCESS)
    err = clSetKernelArg (k, 2, sizeof (float), &a);
  if (err == CL_SUCCESS)
    err = clSetKernelArg (k, 3, sizeof (float), &b);
  if (YOLO_CL_FAILED (err, error, "setting the peak kernel's arguments"))
    goto out;

  /* the first launch compiles the work-group function on some drivers:
   * not timed */
  if (time_launch (rt, k, gws, 1, NULL, error) < 0)
    goto out;
  /* calibrate: grow until a run takes a quarter of the target, then scale */
  for (;;) {
    s = time_launch (rt, k, gws, (int) iters, NULL, error);
    if (s < 0)
      goto out;
    if (s * 1000.0 >= target_ms / 4 || iters >= G_MAXINT / 8)
      break;
    iters *= s * 1000.0 < target_ms / 64 ? 8 : 2;
  }
  if (s > 0)
    iters = CLAMP ((gint64) (iters * (target_ms / 1000.0) / s), 1, G_MAXINT);

  g = g_new (double, 2 * runs);
  out->flops_per_run = 2.0 * PEAK_CHAINS * vector_width * (double) iters *gws;
  for (guint r = 0; r < runs; r++) {
    double cpu = 0;
    s = time_launch (rt, k, gws, (int) iters, &cpu, error);
    if (s < 0)
      goto out;
    g[runs + r] = out->flops_per_run / MAX (s, 1e-9) / 1e9;
    /* CPU devices run the kernel on this process's threads */
    g[r] = info->is_cpu && cpu > 0 ? out->flops_per_run /
        (cpu / yolo_peak_cores (info)) / 1e9 : g[runs + r];
  }
  if (!check_result (rt, k, buf, gws, vector_width, a, b, error))
    goto out;
  yolo_peak_summarise (out, g, g + runs, runs);
  out->cpu_time = info->is_cpu;
  out->vector_width = vector_width;
  out->parallel = info->compute_units;
  out->work_items = gws;
  out->iterations = iters;
  out->what = g_strdup (info->name ? info->name : "OpenCL device");
  ok = TRUE;

out:
  g_free (g);
  if (k)
    clReleaseKernel (k);
  yolo_runtime_free (rt);
  return ok;
}
