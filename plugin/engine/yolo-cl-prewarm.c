/* yolo-cl-prewarm.c - runs each distinct (kernel, local size) of a plan once
 * before the first inference, from several threads (see yolo-cl-prewarm.h).
 *
 * Each run is one work-group (global size = local size) with the plan's own
 * by-value arguments (so every index the kernel computes from them stays
 * within the sizes of the real launch) and, for each buffer argument, a
 * stand-in buffer of at least the real buffer's size filled with zeros
 * right before the run (index buffers then hold index 0; integer division
 * in the kernels never traps). Stand-ins are distinct per argument
 * position, so no kernel reads what it writes through another argument. */
#include "yolo-cl-prewarm.h"
#include "yolo-cl-queue.h"
#include "yolo-kernels.h"

#include <string.h>
#include <time.h>

/* CPU time of the process, microseconds: the debug log's per-item figure
 * (unlike wall time it does not grow with the machine's load). PoCL
 * compiles on its own device threads, so the calling thread's CPU time
 * says nothing; the process's includes what other threads did meanwhile
 * (exact with one compute unit, POCL_CPU_MAX_CU_COUNT=1: no helper). */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static gint64
process_cpu_us (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
    return 0;
  return (gint64) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Items pass from the engine's thread to the helpers through a
 * GAsyncQueue, whose GMutex and GCond are futexes ThreadSanitizer does not
 * see: tell it about the hand-off, or every item read by a helper is
 * reported as a race with its writer. */
#if defined(__SANITIZE_THREAD__)
#define YOLO_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define YOLO_TSAN 1
#endif
#endif
#ifdef YOLO_TSAN
#include <sanitizer/tsan_interface.h>
#define HANDOFF_RELEASE(p) __tsan_release (p)
#define HANDOFF_ACQUIRE(p) __tsan_acquire (p)
#else
#define HANDOFF_RELEASE(p) ((void) (p))
#define HANDOFF_ACQUIRE(p) ((void) (p))
#endif

typedef struct
{
  cl_device_id dev;
  char *options;
  /* PoCL < 7 (yolo-cl-queue.h): a helper's launch must run with the
   * engines' shared queues idle */
  gboolean exclusive;
} Shared;

typedef struct
{
  Shared *sh;
  cl_context ctx;
  cl_command_queue queue;
  cl_program *programs;         /* per unit */
  gboolean own;                 /* ctx, queue and programs are ours */
  GAsyncQueue *items;           /* helpers: where items come from */
  struct _YoloClPrewarm *pw;    /* helpers: whose items they run */
  GPtrArray *pool;              /* cl_mem stand-ins, by buffer argument */
  GArray *pool_size;            /* gsize */
  guint ran;
} Worker;

static cl_program
worker_program (Worker * w, int unit)
{
  const YoloKernelUnit *u = &yolo_kernel_units[unit];
  const char *srcs[2] = { yolo_kernel_prelude_source, u->source };
  size_t lens[2] = { yolo_kernel_prelude_length, u->length };
  cl_int err;
  cl_program p;

  if (w->programs[unit] || !w->own)
    return w->programs[unit];
  /* The same sources and options as yolo_cl_build_program: PoCL keys its
   * kernel cache by them, so what this context compiles is found by the
   * engine's. */
  p = clCreateProgramWithSource (w->ctx, 2, srcs, lens, &err);
  if (err != CL_SUCCESS)
    return NULL;
  if (clBuildProgram (p, 1, &w->sh->dev, w->sh->options, NULL,
          NULL) != CL_SUCCESS) {
    clReleaseProgram (p);
    return NULL;
  }
  w->programs[unit] = p;
  return p;
}

/* A zero-filled stand-in of at least `size` bytes for buffer argument j. */
static cl_mem
worker_buffer (Worker * w, guint j, gsize size, cl_int * err)
{
  gsize bytes = MAX ((size + 3) & ~(gsize) 3, 4);
  cl_int zero = 0;

  while (w->pool->len <= j) {
    gsize none = 0;
    g_ptr_array_add (w->pool, NULL);
    g_array_append_val (w->pool_size, none);
  }
  if (g_array_index (w->pool_size, gsize, j) < bytes) {
    cl_mem m = g_ptr_array_index (w->pool, j);

    if (m)
      clReleaseMemObject (m);
    m = clCreateBuffer (w->ctx, CL_MEM_READ_WRITE, bytes, NULL, err);
    g_ptr_array_index (w->pool, j) = *err == CL_SUCCESS ? m : NULL;
    g_array_index (w->pool_size, gsize, j) = *err == CL_SUCCESS ? bytes : 0;
    if (*err != CL_SUCCESS)
      return NULL;
  }
  *err = clEnqueueFillBuffer (w->queue, g_ptr_array_index (w->pool, j),
      &zero, sizeof (zero), 0, bytes, 0, NULL, NULL);
  return *err == CL_SUCCESS ? g_ptr_array_index (w->pool, j) : NULL;
}

static void
worker_run (Worker * w, const YoloClPrewarmItem * it)
{
  gint64 t0 = g_get_monotonic_time (), c0 = process_cpu_us ();
  cl_program p = worker_program (w, it->unit);
  cl_int err = CL_SUCCESS;
  cl_kernel k;
  guint nmem = 0;

  if (!p) {
    g_debug ("prewarm %s: no program", it->kernel);
    return;
  }
  k = clCreateKernel (p, it->kernel, &err);
  if (err != CL_SUCCESS) {
    g_debug ("prewarm %s: %s", it->kernel, yolo_cl_strerror (err));
    return;
  }
  for (guint i = 0; i < it->n_args && err == CL_SUCCESS; i++) {
    const YoloClArg *a = &it->args[i];
    cl_mem m;

    switch (a->kind) {
      case YOLO_CL_ARG_BYTES:
        err = clSetKernelArg (k, i, a->size, a->value);
        break;
      case YOLO_CL_ARG_LOCAL:
        err = clSetKernelArg (k, i, a->size, NULL);
        break;
      case YOLO_CL_ARG_MEM:
        m = worker_buffer (w, nmem++, a->size, &err);
        if (err == CL_SUCCESS)
          err = clSetKernelArg (k, i, sizeof (m), &m);
        break;
    }
  }
  if (err == CL_SUCCESS && w->own) {
    /* a helper's own queue: alone in the process where PoCL needs it */
    if (w->sh->exclusive)
      yolo_cl_exclusive_begin ();
    err = clEnqueueNDRangeKernel (w->queue, k, it->dim, NULL, it->lws,
        it->lws, 0, NULL, NULL);
    if (err == CL_SUCCESS)
      err = clFinish (w->queue);
    if (w->sh->exclusive)
      yolo_cl_exclusive_end ();
  } else if (err == CL_SUCCESS) {
    err = yolo_cl_enqueue_kernel (w->queue, k, it->dim, it->lws, it->lws, NULL);
    if (err == CL_SUCCESS)
      err = clFinish (w->queue);
  }
  clReleaseKernel (k);
  if (err != CL_SUCCESS)
    g_debug ("prewarm %s: %s", it->kernel, yolo_cl_strerror (err));
  else
    w->ran++;
  g_debug ("prewarm %s (%" G_GSIZE_FORMAT "x%" G_GSIZE_FORMAT "x%"
      G_GSIZE_FORMAT ")%s: %.3f s (process CPU %.3f s)", it->kernel, it->lws[0],
      it->dim > 1 ? it->lws[1] : 1, it->dim > 2 ? it->lws[2] : 1,
      w->own ? " (helper)" : "", (g_get_monotonic_time () - t0) / 1e6,
      (process_cpu_us () - c0) / 1e6);
}

static void
worker_init (Worker * w, Shared * sh)
{
  memset (w, 0, sizeof (*w));
  w->sh = sh;
  w->pool = g_ptr_array_new ();
  w->pool_size = g_array_new (FALSE, TRUE, sizeof (gsize));
}

static void
worker_clear (Worker * w)
{
  if (w->queue)
    clFinish (w->queue);
  for (guint i = 0; i < w->pool->len; i++)
    if (g_ptr_array_index (w->pool, i))
      clReleaseMemObject (g_ptr_array_index (w->pool, i));
  g_ptr_array_unref (w->pool);
  g_array_unref (w->pool_size);
  if (!w->own)
    return;
  for (int u = 0; w->programs && yolo_kernel_units[u].name; u++)
    if (w->programs[u])
      clReleaseProgram (w->programs[u]);
  g_free (w->programs);
  if (w->queue)
    clReleaseCommandQueue (w->queue);
  if (w->ctx)
    clReleaseContext (w->ctx);
}

/* States of a unit handed to yolo_cl_prewarm_build_units */
enum
{
  UNIT_NONE,                    /* not handed over */
  UNIT_QUEUED,
  UNIT_BUILDING,                /* by a helper */
  UNIT_DONE,                    /* by a helper (or its build failed) */
  UNIT_TAKEN,                   /* claimed by the engine's thread first */
};

struct _YoloClPrewarm
{
  Shared sh;
  GAsyncQueue *queue;           /* YoloClPrewarmItem *, or STOP */
  guint n_helpers;
  Worker *helpers;
  GThread **threads;            /* NULL until started */
  gboolean launching;           /* launch items go to the helpers */
  GPtrArray *pending;           /* launch items pushed before that */
  gint64 t0;
  GMutex lock;
  GCond cond;                   /* signalled when done grows or a unit
                                 * build ends */
  guint pushed;                 /* launch items queued (under lock) */
  guint done;                   /* of those, run or dropped (under lock) */
  guint ran_here;               /* run by yolo_cl_prewarm_sync */
  guint8 *unit_state;           /* per unit (under lock) */
  gboolean cold;                /* a helper's unit build compiled */
  gboolean warm;                /* one came from PoCL's cache */
};

static void
count_done (YoloClPrewarm * pw)
{
  g_mutex_lock (&pw->lock);
  pw->done++;
  g_cond_broadcast (&pw->cond);
  g_mutex_unlock (&pw->lock);
}

/* Tells a helper to return. */
static YoloClPrewarmItem stop_item;
#define STOP (&stop_item)

static void
item_free (YoloClPrewarmItem * it)
{
  g_free (it->kernel);
  g_free (it->args);
  g_free (it);
}

/* A unit build item: builds the unit in the helper's context unless the
 * engine's thread claimed it first; PoCL caches the result (keyed by
 * source, options and device), where the engine's build of it finds it. */
static void
helper_build_unit (Worker * w, int unit)
{
  YoloClPrewarm *pw = w->pw;
  gint64 t0 = g_get_monotonic_time (), c0 = thread_cpu_us ();
  gboolean build;

  g_mutex_lock (&pw->lock);
  /* (once a build came from PoCL's cache, the engine's thread loads the
   * others itself: building them here too would only add work) */
  build = pw->unit_state[unit] == UNIT_QUEUED && !pw->warm;
  if (build)
    pw->unit_state[unit] = UNIT_BUILDING;
  g_mutex_unlock (&pw->lock);
  if (!build)
    return;
  worker_program (w, unit);
  c0 = thread_cpu_us () - c0;
  g_mutex_lock (&pw->lock);
  pw->unit_state[unit] = UNIT_DONE;
  if (c0 >= yolo_cl_prewarm_cold_bound_us (unit))
    pw->cold = TRUE;
  else
    pw->warm = TRUE;
  g_cond_broadcast (&pw->cond);
  g_mutex_unlock (&pw->lock);
  g_debug ("prewarm: %s built ahead in %.2f s (%.2f s CPU)%s",
      yolo_kernel_units[unit].name, (g_get_monotonic_time () - t0) / 1e6,
      c0 / 1e6, w->programs[unit] ? "" : ", failed");
}

gint64
yolo_cl_prewarm_cold_bound_us (int unit)
{
  return YOLO_CL_PREWARM_COLD_US + (gint64) YOLO_CL_PREWARM_COLD_US_PER_KB *
      (gint64) (yolo_kernel_units[unit].length / 1024);
}

static gpointer
helper_main (gpointer data)
{
  Worker *w = data;
  YoloClPrewarmItem *it;
  cl_int err;

  w->ctx = clCreateContext (NULL, 1, &w->sh->dev, NULL, NULL, &err);
  if (err == CL_SUCCESS)
    w->queue = clCreateCommandQueue (w->ctx, w->sh->dev, 0, &err);
  if (err != CL_SUCCESS)
    g_debug ("prewarm helper: no context: %s", yolo_cl_strerror (err));
  while ((it = g_async_queue_pop (w->items)) != STOP) {
    HANDOFF_ACQUIRE (it);
    if (!it->kernel) {
      if (err == CL_SUCCESS)
        helper_build_unit (w, it->unit);
      item_free (it);
      continue;
    }
    if (err == CL_SUCCESS)
      worker_run (w, it);
    item_free (it);
    count_done (w->pw);
  }
  return NULL;
}

YoloClPrewarm *
yolo_cl_prewarm_new (cl_device_id dev, const char *options, guint n_helpers)
{
  YoloClPrewarm *pw = g_new0 (YoloClPrewarm, 1);

  pw->sh.dev = dev;
  pw->sh.options = g_strdup (options);
  pw->sh.exclusive = yolo_cl_queue_shared_for (dev);
  pw->queue = g_async_queue_new ();
  pw->n_helpers = n_helpers;
  pw->pending = g_ptr_array_new ();
  pw->unit_state = g_new0 (guint8, yolo_cl_n_kernel_units ());
  g_mutex_init (&pw->lock);
  g_cond_init (&pw->cond);
  return pw;
}

void
yolo_cl_prewarm_set_options (YoloClPrewarm * pw, const char *options)
{
  g_return_if_fail (pw->helpers == NULL);
  g_free (pw->sh.options);
  pw->sh.options = g_strdup (options);
}

static void
start_helpers (YoloClPrewarm * pw)
{
  pw->t0 = g_get_monotonic_time ();
  pw->helpers = g_new0 (Worker, MAX (pw->n_helpers, 1));
  pw->threads = g_new0 (GThread *, MAX (pw->n_helpers, 1));
  for (guint i = 0; i < pw->n_helpers; i++) {
    GError *err = NULL;
    Worker *w = &pw->helpers[i];

    worker_init (w, &pw->sh);
    w->own = TRUE;
    w->items = pw->queue;
    w->pw = pw;
    w->programs = g_new0 (cl_program, yolo_cl_n_kernel_units ());
    pw->threads[i] = g_thread_try_new ("yolo-prewarm", helper_main, w, &err);
    if (!pw->threads[i]) {
      g_debug ("prewarm: no helper thread: %s", err->message);
      g_clear_error (&err);
    }
  }
}

static void
queue_item (YoloClPrewarm * pw, YoloClPrewarmItem * item)
{
  g_mutex_lock (&pw->lock);
  pw->pushed++;
  g_mutex_unlock (&pw->lock);
  HANDOFF_RELEASE (item);
  g_async_queue_push (pw->queue, item);
}

void
yolo_cl_prewarm_push (YoloClPrewarm * pw, YoloClPrewarmItem * item,
    gboolean start)
{
  if (!pw->launching && start) {
    if (!pw->threads)
      start_helpers (pw);
    pw->launching = TRUE;
    for (guint i = 0; i < pw->pending->len; i++)
      queue_item (pw, g_ptr_array_index (pw->pending, i));
    g_ptr_array_set_size (pw->pending, 0);
  }
  if (pw->launching)
    queue_item (pw, item);
  else
    g_ptr_array_add (pw->pending, item);
}

gboolean
yolo_cl_prewarm_started (YoloClPrewarm * pw)
{
  return pw && pw->launching;
}

void
yolo_cl_prewarm_build_units (YoloClPrewarm * pw, const int *units, guint n)
{
  for (guint i = 0; i < n; i++) {
    YoloClPrewarmItem *it;

    g_mutex_lock (&pw->lock);
    if (pw->unit_state[units[i]] != UNIT_NONE) {
      g_mutex_unlock (&pw->lock);
      continue;
    }
    pw->unit_state[units[i]] = UNIT_QUEUED;
    g_mutex_unlock (&pw->lock);
    if (!pw->threads)
      start_helpers (pw);
    it = g_new0 (YoloClPrewarmItem, 1);
    it->unit = units[i];
    HANDOFF_RELEASE (it);
    g_async_queue_push (pw->queue, it);
  }
}

void
yolo_cl_prewarm_claim_unit (YoloClPrewarm * pw, int unit)
{
  if (!pw)
    return;
  g_mutex_lock (&pw->lock);
  if (pw->unit_state[unit] == UNIT_QUEUED || pw->unit_state[unit] == UNIT_NONE)
    pw->unit_state[unit] = UNIT_TAKEN;
  while (pw->unit_state[unit] == UNIT_BUILDING)
    g_cond_wait (&pw->cond, &pw->lock);
  g_mutex_unlock (&pw->lock);
}

gboolean
yolo_cl_prewarm_cold (YoloClPrewarm * pw)
{
  gboolean cold;

  if (!pw)
    return FALSE;
  g_mutex_lock (&pw->lock);
  cold = pw->cold;
  g_mutex_unlock (&pw->lock);
  return cold;
}

/* A unit item popped by yolo_cl_prewarm_finish: dropped (the engine's
 * thread builds the unit itself if it still needs it). */
static void
drop_unit (YoloClPrewarm * pw, YoloClPrewarmItem * it)
{
  g_mutex_lock (&pw->lock);
  if (pw->unit_state[it->unit] == UNIT_QUEUED)
    pw->unit_state[it->unit] = UNIT_TAKEN;
  g_mutex_unlock (&pw->lock);
  item_free (it);
}

void
yolo_cl_prewarm_sync (YoloClPrewarm * pw, cl_context ctx,
    cl_command_queue queue, cl_program * programs)
{
  Worker main_w;
  YoloClPrewarmItem *it;
  GPtrArray *units;
  gint64 t0 = g_get_monotonic_time ();
  guint n = 0;

  if (!yolo_cl_prewarm_started (pw))
    return;
  worker_init (&main_w, &pw->sh);
  main_w.ctx = ctx;
  main_w.queue = queue;
  main_w.programs = programs;
  units = g_ptr_array_new ();
  while ((it = g_async_queue_try_pop (pw->queue)) != NULL) {
    if (!it->kernel) {
      /* a unit build: left to the helpers (put back in front below), who
       * build it while this thread compiles the launches */
      g_ptr_array_add (units, it);
      continue;
    }
    worker_run (&main_w, it);
    item_free (it);
    count_done (pw);
    n++;
  }
  for (guint i = units->len; i > 0; i--)
    g_async_queue_push_front (pw->queue, g_ptr_array_index (units, i - 1));
  g_ptr_array_unref (units);
  worker_clear (&main_w);
  pw->ran_here += main_w.ran;
  g_mutex_lock (&pw->lock);
  while (pw->done < pw->pushed)
    g_cond_wait (&pw->cond, &pw->lock);
  g_mutex_unlock (&pw->lock);
  g_debug ("prewarm: synchronised with %u pairs pushed (%u run here), "
      "%.3f s", pw->pushed, n, (g_get_monotonic_time () - t0) / 1e6);
}

void
yolo_cl_prewarm_finish (YoloClPrewarm * pw, cl_context ctx,
    cl_command_queue queue, cl_program * programs)
{
  Worker main_w;
  YoloClPrewarmItem *it;
  guint ran = 0;

  if (!pw)
    return;
  worker_init (&main_w, &pw->sh);
  main_w.ctx = ctx;
  main_w.queue = queue;
  main_w.programs = programs;
  while ((it = g_async_queue_try_pop (pw->queue)) != NULL) {
    if (!it->kernel) {
      drop_unit (pw, it);
      continue;
    }
    if (ctx && pw->launching)
      worker_run (&main_w, it);
    item_free (it);
  }
  for (guint i = 0; i < pw->pending->len; i++)
    item_free (g_ptr_array_index (pw->pending, i));
  g_ptr_array_unref (pw->pending);
  for (guint i = 0; pw->threads && i < pw->n_helpers; i++)
    if (pw->threads[i])
      g_async_queue_push (pw->queue, STOP);
  for (guint i = 0; pw->threads && i < pw->n_helpers; i++) {
    if (pw->threads[i])
      g_thread_join (pw->threads[i]);
    ran += pw->helpers[i].ran;
    worker_clear (&pw->helpers[i]);
  }
  ran += main_w.ran + pw->ran_here;
  worker_clear (&main_w);
  if (pw->launching)
    g_debug ("prewarm: %u of %u (kernel, local size) pairs ran, %.2f s "
        "from the first, %u helper thread(s)", ran, pw->pushed,
        (g_get_monotonic_time () - pw->t0) / 1e6, pw->n_helpers);
  g_free (pw->threads);
  g_free (pw->helpers);
  g_async_queue_unref (pw->queue);
  g_mutex_clear (&pw->lock);
  g_cond_clear (&pw->cond);
  g_free (pw->sh.options);
  g_free (pw->unit_state);
  g_free (pw);
}
