/* yolo-cpu-clock.c - CPU time of this process's threads, the prewarm's
 * helpers left out (see yolo-cpu-clock.h).
 *
 * Linux names the CPU clock of any thread of the process by its thread id
 * (the kernel's MAKE_THREAD_CPUCLOCK: (~tid << 3) | CPUCLOCK_PERTHREAD |
 * CPUCLOCK_SCHED), read with clock_gettime to the nanosecond, so the
 * device's worker threads (PoCL's, llvmpipe's), which are not ours, can be
 * read without their pthread_t. Elsewhere, or where /proc/self/task cannot
 * be read, the process's clock is used. */
#include <stdlib.h>
#include <string.h>

#include "yolo-cpu-clock.h"

#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>

static clockid_t
thread_clock (long tid)
{
  return (clockid_t) ((~(unsigned long) tid) << 3) | 4 | 2;
}

static gboolean
name_starts (const char *tid, const char *prefix)
{
  char *path = g_build_filename ("/proc/self/task", tid, "comm", NULL);
  char *comm = NULL;
  gboolean yes = FALSE;

  if (g_file_get_contents (path, &comm, NULL, NULL))
    yes = g_str_has_prefix (comm, prefix);
  g_free (comm);
  g_free (path);
  return yes;
}

/* Whether per-thread clocks work here: this thread's, named by its id,
 * reads. */
static gboolean
thread_clocks_work (void)
{
  struct timespec ts;

  return clock_gettime (thread_clock (syscall (SYS_gettid)), &ts) == 0;
}
#endif

void
yolo_cpu_clock_init (YoloCpuClock * c, const char *skip_prefix)
{
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (clockid_t));
#ifdef __linux__
  GDir *dir = thread_clocks_work ()? g_dir_open ("/proc/self/task", 0,
      NULL) : NULL;
  const char *name;

  while (dir && (name = g_dir_read_name (dir))) {
    char *end;
    long tid = strtol (name, &end, 10);
    clockid_t id;

    if (*end || tid <= 0 || (skip_prefix && name_starts (name, skip_prefix)))
      continue;
    id = thread_clock (tid);
    g_array_append_val (ids, id);
  }
  if (dir)
    g_dir_close (dir);
#endif
  if (ids->len == 0) {
    clockid_t id = CLOCK_PROCESS_CPUTIME_ID;
    g_array_append_val (ids, id);
  }
  c->n = ids->len;
  c->ids = (clockid_t *) g_array_free (ids, FALSE);
  c->start_ns = g_new0 (gint64, c->n);
}

void
yolo_cpu_clock_clear (YoloCpuClock * c)
{
  g_clear_pointer (&c->ids, g_free);
  g_clear_pointer (&c->start_ns, g_free);
  c->n = 0;
}

static gint64
read_ns (clockid_t id)
{
  struct timespec ts;

  if (clock_gettime (id, &ts) != 0)
    return -1;
  return (gint64) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
yolo_cpu_clock_start (YoloCpuClock * c)
{
  for (guint i = 0; i < c->n; i++)
    c->start_ns[i] = read_ns (c->ids[i]);
}

double
yolo_cpu_clock_elapsed_ms (YoloCpuClock * c, double *busiest_ms)
{
  gint64 sum = 0, most = 0;

  for (guint i = 0; i < c->n; i++) {
    gint64 now = c->start_ns[i] >= 0 ? read_ns (c->ids[i]) : -1;
    if (now >= c->start_ns[i]) {
      sum += now - c->start_ns[i];
      most = MAX (most, now - c->start_ns[i]);
    }
  }
  if (busiest_ms)
    *busiest_ms = most / 1e6;
  return sum / 1e6;
}
