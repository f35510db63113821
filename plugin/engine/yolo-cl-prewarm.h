/* yolo-cl-prewarm.h - compiles PoCL's work-group functions of a plan's
 * kernel launches ahead of the first inference, on all CPU cores.
 *
 * PoCL compiles one work-group function per (kernel, local size) when a
 * kernel first runs, on its device thread, one after the other on an
 * in-order queue, and under a per-context compiler lock: a cold yolov8n-640
 * start spent about 10 s there on one core. yolo_cl_prewarm runs each
 * distinct (kernel, local size) once as a single work-group on zero-filled
 * stand-in buffers, from the calling thread (in the engine's context) and
 * from helper threads with their own contexts. The helpers' builds land in
 * PoCL's kernel cache (POCL_CACHE_DIR), keyed by program source, build
 * options and device, where the engine's context finds them at its first
 * launch. Nothing the engine computes reads these runs' results. */
#ifndef YOLO_CL_PREWARM_H
#define YOLO_CL_PREWARM_H

#include "yolo-cl.h"

G_BEGIN_DECLS

typedef enum
{
  YOLO_CL_ARG_BYTES,            /* a by-value argument: value[0..size) */
  YOLO_CL_ARG_MEM,              /* a buffer of size bytes (a stand-in is
                                 * passed, zero-filled) */
  YOLO_CL_ARG_LOCAL,            /* __local memory of size bytes */
} YoloClArgKind;

typedef struct
{
  gboolean set;
  YoloClArgKind kind;
  gsize size;
  guint8 value[16];
} YoloClArg;

/* One distinct (kernel, local size) to compile. */
typedef struct
{
  int unit;                     /* index in yolo_kernel_units */
  char *kernel;
  guint dim;
  gsize lws[3];
  guint n_args;
  YoloClArg *args;              /* n_args, all set */
} YoloClPrewarmItem;

/* Runs every item once (global size = local size), in order, on `queue`
 * (of ctx, the engine's) with the programs of `programs` (indexed by unit;
 * every item's unit built with `options`), and from up to
 * max_threads - 1 helper threads with contexts of their own once the
 * first item has shown that compiling is slow (a warm PoCL cache makes
 * each item a few milliseconds: then no helper starts). Failures are not
 * errors (logged at debug level): the first inference compiles what was
 * not prepared. Returns after every item ran or failed. */
void yolo_cl_prewarm (cl_context ctx, cl_device_id dev,
    cl_command_queue queue, cl_program * programs, const char *options,
    const YoloClPrewarmItem * items, guint n_items, guint max_threads);

G_END_DECLS
#endif /* YOLO_CL_PREWARM_H */
