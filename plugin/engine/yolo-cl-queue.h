/* yolo-cl-queue.h - the OpenCL context and command queue of an engine, and
 * its kernel launches, with the workaround for PoCL's dlhandle-cache abort.
 *
 * PoCL before 7.0 (fixed upstream by commit c9ac4c0c3, "fix dlhandle
 * cache") keeps one in-memory entry per loaded work-group function, keyed
 * by (kernel hash, local size, widest grid dimension, ...), and releases a
 * finished launch's entry by the first one with its (kernel hash, local
 * size) only. When another command queue of the process loads a new entry
 * for the same kernel and local size (a grid wider than any before) while
 * a launch is in flight, that launch's release lands on the new entry and
 * PoCL aborts ("pocl_release_dlhandle_cache: Assertion `found->ref_count >
 * 0' failed"). Several separate engines in one process (their first runs,
 * models or input sizes of different widths) hit it; one in-order queue
 * never does.
 *
 * So on PoCL < 7 every engine of a device shares one context and one
 * in-order queue (yolo_cl_queue_acquire), and the prewarm's helper threads
 * (their own contexts, yolo-cl-prewarm.c) run each launch with the shared
 * queues drained and no launch enqueued meanwhile
 * (yolo_cl_exclusive_begin/end). YOLO_CL_SHARED_QUEUE=0 turns this off,
 * =1 on for any implementation. */
#ifndef YOLO_CL_QUEUE_H
#define YOLO_CL_QUEUE_H

#include "yolo-cl.h"

/* TRUE when engines on `dev` must share one context and queue: PoCL older
 * than 7.0, unless YOLO_CL_SHARED_QUEUE says otherwise. */
gboolean yolo_cl_queue_shared_for (cl_device_id dev);

/* A context with one device and an in-order queue with properties
 * `props` (0 or CL_QUEUE_PROFILING_ENABLE): the process's shared pair
 * for (dev, props) when yolo_cl_queue_shared_for (dev), else a new one.
 * Both are retained for the caller: give them back with
 * yolo_cl_queue_release. FALSE with an error (OpenCL's code in the
 * message) when OpenCL fails. */
gboolean yolo_cl_queue_acquire (cl_device_id dev,
    cl_command_queue_properties props, cl_context * ctx,
    cl_command_queue * queue, GError ** error);
/* Finishes the queue's work and releases both (NULL: nothing). */
void yolo_cl_queue_release (cl_context ctx, cl_command_queue queue);

/* clEnqueueNDRangeKernel (no global offset, no events waited on), under
 * the process's launch lock (see yolo_cl_exclusive_begin). */
cl_int yolo_cl_enqueue_kernel (cl_command_queue queue, cl_kernel k,
    cl_uint dim, const size_t * gws, const size_t * lws, cl_event * ev);

/* Between begin and end no kernel is enqueued through
 * yolo_cl_enqueue_kernel and every shared queue is idle (begin waits for
 * them): a launch on a private queue then runs alone. */
void yolo_cl_exclusive_begin (void);
void yolo_cl_exclusive_end (void);

#endif
