/* yolo-cl-prewarm.h - compiles PoCL's work-group functions of a plan's
 * kernel launches ahead of the first inference, on all CPU cores.
 *
 * PoCL compiles one work-group function per (kernel, local size) when a
 * kernel first runs, on its device thread, one after the other on an
 * in-order queue, and under a per-context compiler lock: a cold yolov8n-640
 * start spent about 10 s there on one core. A prewarm runs each distinct
 * (kernel, local size) once as a single work-group on zero-filled
 * stand-in buffers: from helper threads with contexts of their own while
 * the ops are still being prepared (each launch is pushed as it is
 * recorded), then also from the engine's thread in its context. The
 * helpers' builds land in PoCL's kernel cache (POCL_CACHE_DIR), keyed by
 * program source, build options and device, where the engine's context
 * finds them at its first launch (with that cache turned off,
 * POCL_KERNEL_CACHE=0, their work is lost and the first run compiles
 * again). Nothing the engine computes reads these runs' results. */
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

typedef struct _YoloClPrewarm YoloClPrewarm;

/* A unit build taking at least this much CPU time of the building thread
 * compiled: PoCL's cache was cold (0.1 to 1.4 s on a 2.6 GHz EPYC; a build
 * from PoCL's cache takes 20 to 50 ms for the small units). Loading a
 * large unit from PoCL's cache takes longer (conv_cpu.cl, 60 KB: 90 ms),
 * so the bound grows by YOLO_CL_PREWARM_COLD_US_PER_KB per KB of source:
 * yolo_cl_prewarm_cold_bound_us. */
#define YOLO_CL_PREWARM_COLD_US 80000
#define YOLO_CL_PREWARM_COLD_US_PER_KB 3000

/* The CPU time (us) from which a build of `unit` (index in
 * yolo_kernel_units) counts as a compile, not a load from PoCL's cache. */
gint64 yolo_cl_prewarm_cold_bound_us (int unit);

/* A prewarm whose n_helpers threads (started at the first push that asks
 * for them, each with a context of its own on dev) run items as they are
 * pushed, building the units they need with `options`. */
/* Replaces the build options (the engine's choice of activation storage),
 * before anything was handed to the prewarm. */
void yolo_cl_prewarm_set_options (YoloClPrewarm * pw, const char *options);
YoloClPrewarm *yolo_cl_prewarm_new (cl_device_id dev, const char *options,
    guint n_helpers);
/* Queues an item (takes ownership of it and its strings); start: start
 * the helpers now if not yet started (the caller saw PoCL compile, so its
 * cache is cold). */
void yolo_cl_prewarm_push (YoloClPrewarm * pw, YoloClPrewarmItem * item,
    gboolean start);
/* Whether the helpers run the items pushed (PoCL's cache is cold and the
 * items pushed are being compiled). FALSE for a NULL pw. */
gboolean yolo_cl_prewarm_started (YoloClPrewarm * pw);
/* Builds units[0..n) (indices in yolo_kernel_units), in that order, on the
 * helpers (started now), each in a helper's context: the units a plan is
 * expected to need, handed over before the engine's thread needs them, so
 * that their builds (clBuildProgram from source, 0.1 to 1 s each with a
 * cold PoCL cache) run beside the engine's work; the engine's own build of
 * such a unit then comes from PoCL's cache. A unit already handed over or
 * claimed is skipped. Launch items still wait for `start`
 * (yolo_cl_prewarm_push). */
void yolo_cl_prewarm_build_units (YoloClPrewarm * pw, const int *units,
    guint n);
/* Called by the engine's thread before it builds `unit`: a helper that is
 * building it is waited for (the engine's build then comes from PoCL's
 * cache), and a queued build of it is dropped. NULL pw: nothing. */
void yolo_cl_prewarm_claim_unit (YoloClPrewarm * pw, int unit);
/* Whether a helper's unit build took yolo_cl_prewarm_cold_bound_us of CPU time
 * (PoCL's cache is cold). FALSE for a NULL pw. */
gboolean yolo_cl_prewarm_cold (YoloClPrewarm * pw);
/* When the helpers were started: runs the items still queued from the
 * calling thread on `queue` of ctx with `programs` (as
 * yolo_cl_prewarm_finish), then waits until the helpers have run every
 * item pushed so far; pw stays in use. Does nothing otherwise. A tuning
 * trial calls it before its first run, so that the kernels it times were
 * compiled on every core rather than by its warm-up run on one. */
void yolo_cl_prewarm_sync (YoloClPrewarm * pw, cl_context ctx,
    cl_command_queue queue, cl_program * programs);
/* Runs the items still queued from the calling thread on `queue` of ctx
 * with `programs` (per unit; every queued item's unit built), waits for
 * the helpers and frees pw. With ctx NULL, or when no helper was started
 * (PoCL's cache was warm: the first run only loads what it needs), drops
 * the queued items instead (helpers finish the one they run). Failures are not errors (logged
 * at debug level): the first inference compiles what was not prepared. */
void yolo_cl_prewarm_finish (YoloClPrewarm * pw, cl_context ctx,
    cl_command_queue queue, cl_program * programs);

G_END_DECLS
#endif /* YOLO_CL_PREWARM_H */
