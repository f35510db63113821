/* yolo-cpu-clock.h - CPU time spent by this process's threads, the
 * prewarm's helpers left out (yolo-cpu-clock.c).
 *
 * What a tuning trial on a CPU OpenCL device costs: PoCL's and
 * llvmpipe's worker threads live in this process, so the CPU time they
 * spend on a trial's kernels does not grow when other processes load the
 * machine (its wall time does: the workers wait for a core). The
 * prewarm's helper threads (named "yolo-prewarm", yolo-cl-prewarm.c),
 * which may still build kernel units of later layers in the background,
 * are left out. */
#ifndef YOLO_CPU_CLOCK_H
#define YOLO_CPU_CLOCK_H

#include <glib.h>
#include <time.h>

G_BEGIN_DECLS

typedef struct
{
  guint n;                      /* clocks in ids */
  clockid_t *ids;               /* per-thread CPU clocks (or the process's) */
  gint64 *start_ns;             /* their readings at yolo_cpu_clock_start,
                                 * -1 where a clock could not be read */
} YoloCpuClock;

/* The CPU clocks of the threads of this process that exist now, but those
 * whose name (/proc/self/task/TID/comm) starts with skip_prefix (NULL:
 * none left out); the process's CPU clock (CLOCK_PROCESS_CPUTIME_ID, every
 * thread) where the thread list cannot be read. Threads started later are
 * not counted. */
void yolo_cpu_clock_init (YoloCpuClock * c, const char *skip_prefix);
void yolo_cpu_clock_clear (YoloCpuClock * c);
/* Starts an interval: reads every clock. */
void yolo_cpu_clock_start (YoloCpuClock * c);
/* CPU time (ms) the clocks' threads spent since yolo_cpu_clock_start: the
 * sum of each clock's advance, a thread that ended meanwhile (its clock no
 * longer reads) left out. *busiest_ms (may be NULL) receives the largest
 * advance of one clock: the busiest thread's CPU time, which is the wall
 * time of work spread over threads that each had a core to themselves
 * (the last one to finish decides), without the time the threads waited
 * for a core. */
double yolo_cpu_clock_elapsed_ms (YoloCpuClock * c, double *busiest_ms);

G_END_DECLS
#endif /* YOLO_CPU_CLOCK_H */
