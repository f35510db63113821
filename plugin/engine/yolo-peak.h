/* yolo-peak.h - the machine's fp32 multiply-add peak, measured: what
 * `yolo-engine peak` prints and what `bench --profile` divides by.
 *
 * Device (yolo-peak.c): the OpenCL kernels of ocl_kernels/peak.cl, 24
 * independent mad() chains per work-item (8 left PoCL on Zen 4 at 78% of
 * the host's figure) of the device's preferred float
 * vector width (CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT rounded down to
 * 1, 2, 4, 8 or 16: float16 on PoCL), compute units x 2048 / width
 * work-items, the work-group size left to the driver; after the timed
 * runs, one short run's result is checked against the C reference (an
 * error if the device computed something else).
 * Host (yolo-peak-host.c): plain C, 12 independent vector chains per
 * thread, the widest of AVX-512F / AVX2+FMA / SSE or NEON the CPU has,
 * one thread per core unless asked otherwise.
 *
 * Both calibrate the iteration count so that one run takes about
 * target_ms of wall time, then time `runs` runs; 2 FLOPs per multiply-add,
 * median of the runs. On the host and on CPU devices (PoCL, llvmpipe: the
 * kernel runs on this process's threads) the figure is FLOPs over the
 * process's CPU time per core (CLOCK_PROCESS_CPUTIME_ID divided by the
 * threads, or by yolo_peak_cores for a device): the
 * rate with the cores to ourselves, which other jobs on a shared machine
 * barely change; the wall-time figure (wall_gflops) falls with their
 * load. On other devices both are the wall-time figure. It is what this
 * code reaches, a lower bound of the hardware's peak. */
#ifndef YOLO_PEAK_H
#define YOLO_PEAK_H

#include "yolo-engine.h"
#include "yolo-runtime.h"

G_BEGIN_DECLS

typedef struct
{
  double gflops;                /* median over the runs, GFLOP/s */
  double min_gflops, max_gflops;
  double wall_gflops;           /* median by wall time alone */
  gboolean cpu_time;            /* gflops is per CPU time (see above) */
  guint runs;
  guint vector_width;           /* float lanes per chain */
  guint parallel;               /* device: compute units; host: threads */
  guint64 work_items;           /* device: global size; host: 0 */
  gint64 iterations;            /* multiply-adds per chain per run */
  double flops_per_run;
  char *what;                   /* device name / "ISA, N threads" */
} YoloPeak;

/* Measures the OpenCL device options->device selects (options as for
 * yolo_engine_new; NULL: defaults). vector_width 0 = the device's
 * preference, else 1, 2, 4, 8 or 16. target_ms in (0, 60000], runs in
 * 1..1000. FALSE with YOLO_ENGINE_ERROR_ARGUMENT for a bad value, else
 * the device's errors (NO_DEVICE, OPENCL). */
gboolean yolo_peak_device (const YoloEngineOptions * options,
    guint vector_width, double target_ms, guint runs, YoloPeak * out,
    GError ** error);

/* Measures the host CPU with `threads` threads (0 = one per logical
 * core, g_get_num_processors). Same limits as yolo_peak_device. */
gboolean yolo_peak_host (guint threads, double target_ms, guint runs,
    YoloPeak * out, GError ** error);

void yolo_peak_clear (YoloPeak * p);

/* Fills gflops (median), min_gflops, max_gflops and runs from n >= 1
 * per-run figures (sorts g), and wall_gflops from the wall-time ones
 * (sorts wall). */
void yolo_peak_summarise (YoloPeak * p, double *g, double *wall, guint n);

/* The cores a CPU device's work can use: its compute units, at most the
 * processors online (llvmpipe reports 8 on 2 cores). What CPU time is
 * divided by for a device's per-core-second figures. */
guint yolo_peak_cores (const YoloDeviceInfo * info);

/* CPU seconds this process has used, all threads (0 if unknown). */
double yolo_peak_cpu_seconds (void);

G_END_DECLS
#endif /* YOLO_PEAK_H */
