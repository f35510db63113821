/* yolo-cl-queue.c - engines' contexts and queues, shared on PoCL < 7, and
 * the launch lock (see yolo-cl-queue.h for PoCL's abort this avoids). */
#include "yolo-cl-queue.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  cl_device_id dev;
  cl_command_queue_properties props;
  cl_context ctx;
  cl_command_queue queue;
  guint users;
} SharedQueue;

/* GRecMutex: pthread mutexes, which ThreadSanitizer sees (GMutex is a
 * futex it does not) */
static GRecMutex shared_lock;   /* guards `shared` */
static GPtrArray *shared;       /* SharedQueue * */
/* held around each yolo_cl_enqueue_kernel and between
 * yolo_cl_exclusive_begin and _end */
static GRecMutex launch_lock;

/* PoCL's version from its platform's CL_PLATFORM_VERSION, "OpenCL 3.0
 * PoCL 3.1+debian  Linux, ...": the major number, or -1. */
static int
pocl_major (cl_device_id dev)
{
  cl_platform_id p = NULL;
  char *version, *at;
  int major = -1;

  if (clGetDeviceInfo (dev, CL_DEVICE_PLATFORM, sizeof (p), &p,
          NULL) != CL_SUCCESS)
    return -1;
  version = yolo_cl_platform_string (p, CL_PLATFORM_VERSION);
  at = version ? strstr (version, "PoCL ") : NULL;
  if (at && g_ascii_isdigit (at[5]))
    major = atoi (at + 5);
  g_free (version);
  return major;
}

gboolean
yolo_cl_queue_shared_for (cl_device_id dev)
{
  const char *env = g_getenv ("YOLO_CL_SHARED_QUEUE");
  int major;

  if (env && *env)
    return strcmp (env, "0") != 0;
  if (!yolo_cl_device_is_pocl (dev))
    return FALSE;
  major = pocl_major (dev);
  /* an unknown version: PoCL's fix is in 7.0 */
  return major < 7;
}

static gboolean
create_pair (cl_device_id dev, cl_command_queue_properties props,
    cl_context * ctx, cl_command_queue * queue, GError ** error)
{
  cl_int err;

  *queue = NULL;
  *ctx = clCreateContext (NULL, 1, &dev, NULL, NULL, &err);
  if (YOLO_CL_FAILED (err, error, "clCreateContext"))
    return FALSE;
  *queue = clCreateCommandQueue (*ctx, dev, props, &err);
  if (YOLO_CL_FAILED (err, error, "clCreateCommandQueue")) {
    clReleaseContext (*ctx);
    *ctx = NULL;
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_cl_queue_acquire (cl_device_id dev, cl_command_queue_properties props,
    cl_context * ctx, cl_command_queue * queue, GError ** error)
{
  SharedQueue *s = NULL;

  if (!yolo_cl_queue_shared_for (dev))
    return create_pair (dev, props, ctx, queue, error);
  g_rec_mutex_lock (&shared_lock);
  if (!shared)
    shared = g_ptr_array_new ();
  for (guint i = 0; i < shared->len && !s; i++) {
    SharedQueue *c = g_ptr_array_index (shared, i);
    if (c->dev == dev && c->props == props)
      s = c;
  }
  if (!s) {
    cl_context c;
    cl_command_queue q;

    if (!create_pair (dev, props, &c, &q, error)) {
      g_rec_mutex_unlock (&shared_lock);
      return FALSE;
    }
    s = g_new0 (SharedQueue, 1);
    s->dev = dev;
    s->props = props;
    s->ctx = c;
    s->queue = q;
    g_ptr_array_add (shared, s);
    g_debug ("one context and queue for the engines on this device "
        "(PoCL < 7: yolo-cl-queue.h)");
  }
  s->users++;
  clRetainContext (s->ctx);
  clRetainCommandQueue (s->queue);
  *ctx = s->ctx;
  *queue = s->queue;
  g_rec_mutex_unlock (&shared_lock);
  return TRUE;
}

void
yolo_cl_queue_release (cl_context ctx, cl_command_queue queue)
{
  SharedQueue *last = NULL;

  if (queue)
    clFinish (queue);
  g_rec_mutex_lock (&shared_lock);
  for (guint i = 0; shared && i < shared->len; i++) {
    SharedQueue *s = g_ptr_array_index (shared, i);

    if (s->queue == queue && queue) {
      if (--s->users == 0) {
        last = s;
        g_ptr_array_remove_index_fast (shared, i);
      }
      break;
    }
  }
  g_rec_mutex_unlock (&shared_lock);
  if (queue)
    clReleaseCommandQueue (queue);
  if (ctx)
    clReleaseContext (ctx);
  if (last) {
    /* the process's own references */
    clReleaseCommandQueue (last->queue);
    clReleaseContext (last->ctx);
    g_free (last);
  }
}

cl_int
yolo_cl_enqueue_kernel (cl_command_queue queue, cl_kernel k, cl_uint dim,
    const size_t *gws, const size_t *lws, cl_event * ev)
{
  cl_int err;

  g_rec_mutex_lock (&launch_lock);
  err = clEnqueueNDRangeKernel (queue, k, dim, NULL, gws, lws, 0, NULL, ev);
  g_rec_mutex_unlock (&launch_lock);
  return err;
}

void
yolo_cl_exclusive_begin (void)
{
  GPtrArray *queues = g_ptr_array_new ();

  g_rec_mutex_lock (&launch_lock);
  /* nothing is enqueued from here on: wait for what is */
  g_rec_mutex_lock (&shared_lock);
  for (guint i = 0; shared && i < shared->len; i++) {
    SharedQueue *s = g_ptr_array_index (shared, i);

    clRetainCommandQueue (s->queue);
    g_ptr_array_add (queues, s->queue);
  }
  g_rec_mutex_unlock (&shared_lock);
  for (guint i = 0; i < queues->len; i++) {
    clFinish (g_ptr_array_index (queues, i));
    clReleaseCommandQueue (g_ptr_array_index (queues, i));
  }
  g_ptr_array_unref (queues);
}

void
yolo_cl_exclusive_end (void)
{
  g_rec_mutex_unlock (&launch_lock);
}
