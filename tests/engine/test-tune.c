/* test-tune.c - the tuner's decision rule on synthetic timings
 * (yolo_tune_pick) and the CPU clock its trials read on CPU devices
 * (yolo-cpu-clock.c: the process's threads, the prewarm's helpers left
 * out). No device needed; the tuner on a device: test-backend.c. */
#include "yolo-test-util.h"
#include "yolo-cpu-clock.h"
#include "yolo-tune.h"

#include <time.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* The least CPU time (of the busiest thread) wins where every trial has
 * one, whatever the wall times say (a loaded machine stretched the
 * winner's runs); wall time
 * decides where one has none (not a CPU device); trials without any time
 * are skipped; the margin is the runner-up's time over the winner's. */
static void
test_pick (void)
{
  double margin = 0;
  const YoloRtTrialTime loaded[] = {
    {9.0, 2.0}, {3.0, 2.5}, {4.0, 3.0},
  };
  const YoloRtTrialTime mixed[] = {
    {9.0, 2.0}, {3.0, -1}, {4.0, 3.0},
  };
  const YoloRtTrialTime skip[] = {
    {-1, -1}, {5.0, -1}, {4.0, -1}, {-1, -1},
  };
  const YoloRtTrialTime none[] = { {-1, -1}, {-1, -1} };
  const YoloRtTrialTime alone[] = { {-1, -1}, {2.0, 1.0} };
  const YoloRtTrialTime tie[] = { {1.0, 2.0}, {1.0, 2.0} };
  const YoloRtTrialTime zero[] = { {0, 0}, {1.0, 2.0} };
  const YoloRtTrialTime later[] = { {5, 5}, {4, 4}, {3, 3}, {6, 6} };

  g_assert_cmpint (yolo_tune_pick (loaded, 3, &margin), ==, 0);
  g_assert_cmpfloat_with_epsilon (margin, 1.25, 1e-12);
  g_assert_cmpint (yolo_tune_pick (mixed, 3, &margin), ==, 1);
  g_assert_cmpfloat_with_epsilon (margin, 4.0 / 3.0, 1e-12);
  g_assert_cmpint (yolo_tune_pick (skip, 4, &margin), ==, 2);
  g_assert_cmpfloat_with_epsilon (margin, 1.25, 1e-12);
  g_assert_cmpint (yolo_tune_pick (none, 2, &margin), ==, -1);
  g_assert_cmpfloat (margin, ==, 1);
  g_assert_cmpint (yolo_tune_pick (alone, 2, &margin), ==, 1);
  g_assert_cmpfloat (margin, ==, 1);
  g_assert_cmpint (yolo_tune_pick (none, 0, NULL), ==, -1);
  /* a tie keeps the earlier (preferred) candidate */
  g_assert_cmpint (yolo_tune_pick (tie, 2, &margin), ==, 0);
  g_assert_cmpfloat (margin, ==, 1);
  g_assert_cmpint (yolo_tune_pick (zero, 2, &margin), ==, 0);
  g_assert_cmpfloat (margin, >, 1e6);
  /* the runner-up is found wherever it stands */
  g_assert_cmpint (yolo_tune_pick (later, 4, &margin), ==, 2);
  g_assert_cmpfloat_with_epsilon (margin, 4.0 / 3.0, 1e-12);
}

/* Which cache entries are measured again: close calls (margin below
 * 1.05) until measured three times, disturbed measurements (spread above
 * 1.25) once more; clear, calm calls never. */
static void
test_remeasure (void)
{
  g_assert_true (yolo_tune_needs_remeasure (1.0, 1.0, 1));
  g_assert_true (yolo_tune_needs_remeasure (1.049, 1.0, 1));
  g_assert_true (yolo_tune_needs_remeasure (1.049, 1.0, 2));
  g_assert_false (yolo_tune_needs_remeasure (1.049, 1.0, 3));
  g_assert_false (yolo_tune_needs_remeasure (1.05, 1.0, 1));
  g_assert_false (yolo_tune_needs_remeasure (3.0, 1.25, 1));
  g_assert_true (yolo_tune_needs_remeasure (3.0, 1.26, 1));
  g_assert_false (yolo_tune_needs_remeasure (3.0, 1.26, 2));
  g_assert_true (yolo_tune_needs_remeasure (1.01, 2.0, 2));
  g_assert_false (yolo_tune_needs_remeasure (1.01, 2.0, 3));
  g_assert_false (yolo_tune_needs_remeasure (1.01, 2.0, 1000));
}

static double
thread_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Spins until the calling thread has used ms of CPU time. */
static void
spin_ms (double ms)
{
  double end = thread_cpu_ms () + ms;
  volatile guint64 x = 0;

  while (thread_cpu_ms () < end)
    for (int i = 0; i < 10000; i++)
      x += i;
}

typedef struct
{
  GMutex lock;
  GCond cond;
  gboolean go, done, quit;
  long tid;                     /* the helper's thread id (Linux), 0 unknown */
} Helper;

static gpointer
helper_main (gpointer data)
{
  Helper *h = data;

#ifdef __linux__
  h->tid = syscall (SYS_gettid);
#endif
  g_mutex_lock (&h->lock);
  while (!h->go)
    g_cond_wait (&h->cond, &h->lock);
  g_mutex_unlock (&h->lock);
  spin_ms (60);
  g_mutex_lock (&h->lock);
  h->done = TRUE;
  g_cond_broadcast (&h->cond);
  while (!h->quit)
    g_cond_wait (&h->cond, &h->lock);
  g_mutex_unlock (&h->lock);
  return NULL;
}

/* CPU time is counted per thread, whatever the wall time: a busy helper
 * named "yolo-prewarm" is left out, this thread is counted; without a
 * prefix both are, and the busiest thread is the helper. */
static void
test_cpu_clock (void)
{
  for (int skip = 1; skip >= 0; skip--) {
    Helper h = { 0, };
    GThread *th;
    YoloCpuClock c;
    double ms, busiest;

    g_mutex_init (&h.lock);
    g_cond_init (&h.cond);
    th = g_thread_new ("yolo-prewarm", helper_main, &h);
    /* the thread's name is set from the thread itself: wait for it */
    g_usleep (50000);
    yolo_cpu_clock_init (&c, skip ? "yolo-prewarm" : NULL);
    g_assert_cmpuint (c.n, >=, 1);
    yolo_cpu_clock_start (&c);
    g_mutex_lock (&h.lock);
    h.go = TRUE;
    g_cond_signal (&h.cond);
    g_mutex_unlock (&h.lock);
    spin_ms (20);
    g_mutex_lock (&h.lock);
    while (!h.done)
      g_cond_wait (&h.cond, &h.lock);
    g_mutex_unlock (&h.lock);
    ms = yolo_cpu_clock_elapsed_ms (&c, &busiest);
    g_test_message ("skip %d: %.1f ms of CPU counted, busiest thread %.1f",
        skip, ms, busiest);
    g_assert_cmpfloat (ms, >=, 20);
    if (skip) {
      g_assert_cmpfloat (ms, <, 50);
      g_assert_cmpfloat (busiest, >=, 20);
      g_assert_cmpfloat (busiest, <=, ms);
    } else {
      /* both threads; the busiest is the helper alone */
      g_assert_cmpfloat (ms, >=, 80);
      g_assert_cmpfloat (busiest, >=, 60);
      g_assert_cmpfloat (busiest, <, ms - 15);
    }
    g_mutex_lock (&h.lock);
    h.quit = TRUE;
    g_cond_broadcast (&h.cond);
    g_mutex_unlock (&h.lock);
    g_thread_join (th);
    /* pthread_join returns when the kernel clears the thread's id, a
     * moment before the task is released: until then its clock still
     * reads (CI, at load, counted the helper's 60 ms after the join).
     * Wait, at most 2 s, until the thread is gone from /proc. */
    if (h.tid > 0) {
      char *task = g_strdup_printf ("/proc/self/task/%ld", h.tid);
      for (int i = 0; i < 2000 && g_file_test (task, G_FILE_TEST_EXISTS); i++)
        g_usleep (1000);
      g_free (task);
    }
    /* the helper has ended: its clock no longer reads and its time is
     * left out, the rest still counts */
    ms = yolo_cpu_clock_elapsed_ms (&c, &busiest);
    g_assert_cmpfloat (ms, >=, 20);
    g_assert_cmpfloat (ms, <, 50);
    g_assert_cmpfloat (busiest, <, 50);
    yolo_cpu_clock_clear (&c);
    g_assert_cmpuint (c.n, ==, 0);
    g_mutex_clear (&h.lock);
    g_cond_clear (&h.cond);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tune/pick", test_pick);
  g_test_add_func ("/tune/remeasure", test_remeasure);
  g_test_add_func ("/tune/cpu-clock", test_cpu_clock);
  return g_test_run ();
}
