/* yolo-peak-host.c - the host CPU's fp32 multiply-add peak with plain C
 * (yolo-peak.h). Built on its own with -O3 (plugin/engine/meson.build);
 * each loop exists in versions for AVX-512F, AVX2+FMA and plain C (SSE on
 * x86-64, NEON on AArch64), chosen at run time from what the CPU supports,
 * so the binary runs on any CPU of its architecture while the compiler
 * emits the widest FMA instructions there are. The chains are GCC/Clang
 * vector types (one register each); 12 independent chains cover an FMA
 * latency of up to 6 cycles on two FMA pipelines. */
#include "yolo-peak.h"

#include <string.h>

#define CHAINS 12

typedef float v4sf __attribute__((vector_size (16)));
typedef float v8sf __attribute__((vector_size (32)));
typedef float v16sf __attribute__((vector_size (64)));

/* x = x * a + b on CHAINS vectors for `iters` iterations; returns the sum
 * of every lane so that the loop cannot be removed. -ffp-contract=fast
 * makes each x * a + b one FMA instruction where the target has one. */
#define FMA_LOOP(VT, LANES)                                                   \
  VT x[CHAINS], va, vb;                                                       \
  float s = 0;                                                                \
  for (int c = 0; c < CHAINS; c++)                                            \
    for (int l = 0; l < LANES; l++)                                           \
      x[c][l] = seed + 0.01f * c + 0.001f * l;                                \
  for (int l = 0; l < LANES; l++) {                                           \
    va[l] = a;                                                                \
    vb[l] = b;                                                                \
  }                                                                           \
  for (gint64 i = 0; i < iters; i++)                                          \
    for (int c = 0; c < CHAINS; c++)                                          \
      x[c] = x[c] * va + vb;                                                  \
  for (int c = 0; c < CHAINS; c++)                                            \
    for (int l = 0; l < LANES; l++)                                           \
      s += x[c][l];                                                           \
  return s

/* Under AddressSanitizer / UBSan the chains would live in instrumented stack
 * memory instead of registers. */
#if defined(__GNUC__)
#define NO_ASAN __attribute__((no_sanitize ("address", "undefined")))
#else
#define NO_ASAN
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#define HAVE_X86_VERSIONS 1
NO_ASAN __attribute__((target ("avx512f")))
     static float fma_avx512 (gint64 iters, float a, float b, float seed)
{
  FMA_LOOP (v16sf, 16);
}

NO_ASAN __attribute__((target ("avx2,fma")))
     static float fma_avx2 (gint64 iters, float a, float b, float seed)
{
  FMA_LOOP (v8sf, 8);
}
#endif

NO_ASAN static float
fma_plain (gint64 iters, float a, float b, float seed)
{
  FMA_LOOP (v4sf, 4);
}

typedef float (*FmaFunc) (gint64 iters, float a, float b, float seed);

static FmaFunc
pick (const char **isa, guint * lanes)
{
#ifdef HAVE_X86_VERSIONS
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f")) {
    *isa = "AVX-512F";
    *lanes = 16;
    return fma_avx512;
  }
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")) {
    *isa = "AVX2+FMA";
    *lanes = 8;
    return fma_avx2;
  }
  *isa = "SSE (no FMA)";
#elif defined(__aarch64__)
  *isa = "NEON";
#else
  *isa = "generic C";
#endif
  *lanes = 4;
  return fma_plain;
}

typedef struct
{
  FmaFunc f;
  gint64 iters;
  float seed;
  volatile float result;
} Job;

static gpointer
run_job (gpointer p)
{
  Job *j = p;

  j->result = j->f (j->iters, 0.999f, 0.001f, j->seed);
  return NULL;
}

/* Wall seconds for `threads` threads each running f for iters; *cpu_s:
 * the process's CPU seconds meanwhile. */
static double
run_threads (FmaFunc f, guint threads, gint64 iters, double *cpu_s)
{
  GThread **th = g_new0 (GThread *, threads);
  Job *jobs = g_new0 (Job, threads);
  double c0 = yolo_peak_cpu_seconds ();
  gint64 t0 = g_get_monotonic_time ();
  double s;

  for (guint i = 0; i < threads; i++) {
    jobs[i].f = f;
    jobs[i].iters = iters;
    jobs[i].seed = 0.1f * i;
    th[i] = i ? g_thread_new ("yolo-peak", run_job, &jobs[i]) : NULL;
  }
  run_job (&jobs[0]);
  for (guint i = 1; i < threads; i++)
    g_thread_join (th[i]);
  s = (g_get_monotonic_time () - t0) / 1e6;
  *cpu_s = yolo_peak_cpu_seconds () - c0;
  g_free (th);
  g_free (jobs);
  return s;
}

gboolean
yolo_peak_host (guint threads, double target_ms, guint runs, YoloPeak * out,
    GError ** error)
{
  const char *isa;
  guint lanes;
  FmaFunc f = pick (&isa, &lanes);
  gint64 iters = 64;
  double *g, s, cpu;

  memset (out, 0, sizeof (*out));
  if (threads == 0)
    threads = g_get_num_processors ();
  if (!(target_ms > 0 && target_ms <= 60000) || runs < 1 || runs > 1000
      || threads > 4096) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "peak: run time must be in (0, 60000] ms, runs in 1..1000 and "
        "threads in 0..4096");
    return FALSE;
  }
  /* calibrate on all threads: double until a run takes a quarter of the
   * target, then scale to the target */
  for (;;) {
    s = run_threads (f, threads, iters, &cpu);
    if (s * 1000.0 >= target_ms / 4 || iters >= G_GINT64_CONSTANT (1) << 40)
      break;
    iters *= s * 1000.0 < target_ms / 64 ? 8 : 2;
  }
  if (s > 0)
    iters = MAX (1, (gint64) (iters * (target_ms / 1000.0) / s));

  g = g_new (double, 2 * runs);
  out->flops_per_run = 2.0 * CHAINS * lanes * (double) iters *threads;
  for (guint r = 0; r < runs; r++) {
    s = run_threads (f, threads, iters, &cpu);
    g[runs + r] = out->flops_per_run / MAX (s, 1e-9) / 1e9;
    g[r] = cpu > 0 ? out->flops_per_run / (cpu / threads) / 1e9 : g[runs + r];
  }
  yolo_peak_summarise (out, g, g + runs, runs);
  g_free (g);
  out->cpu_time = TRUE;
  out->parallel = threads;
  out->vector_width = lanes;
  out->iterations = iters;
  out->what = g_strdup_printf ("%s, %u thread%s", isa, threads,
      threads == 1 ? "" : "s");
  return TRUE;
}
