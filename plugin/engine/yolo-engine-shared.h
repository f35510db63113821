/* yolo-engine-shared.h - one loaded engine for many users of a process.
 *
 * GStreamer-free (GLib only). A process-wide registry of engines by
 * instance id (DL Streamer's model-instance-id): the first
 * yolo_engine_shared_acquire() of an id loads the model; later ones with
 * the same id, the same model file and the same options get the same
 * YoloEngine (one set of weights and one activation arena on the device,
 * one compiled program) and count one more user; the last
 * yolo_engine_shared_release() frees it. The registry is guarded by one
 * mutex (loading a model holds it, so acquiring another id waits for that
 * load); acquire and release may be called from any thread.
 *
 * The engine itself is not re-entrant: users of a shared engine serialise
 * their runs with yolo_engine_lock() / yolo_engine_unlock() (see
 * yolo-engine.h), e.g. one GStreamer streaming thread per stream, each
 * holding the lock from pre-processing to its last output read.
 *
 *   YoloEngine *e = yolo_engine_shared_acquire ("cams", "yolov8n.onnx",
 *       &opt, &error);
 *   yolo_engine_lock (e);  ... run one frame ...  yolo_engine_unlock (e);
 *   yolo_engine_shared_release (e);
 */
#ifndef YOLO_ENGINE_SHARED_H
#define YOLO_ENGINE_SHARED_H

#include "yolo-engine.h"
#include "yolo-preproc.h"

G_BEGIN_DECLS
/* The engine of instance `id` (a non-empty string) for model_path and
 * options (NULL: all defaults), loaded on the first call. Another model
 * file (paths compared after g_canonicalize_filename(): made absolute, "."
 * and ".." resolved, symbolic links not followed) or other options (any field of
 * YoloEngineOptions; NULL and "" strings are equal) under an id that is
 * loaded fail with YOLO_ENGINE_ERROR_ARGUMENT, the message naming the id
 * and both settings; loading errors are yolo_engine_new()'s. Returns a
 * reference the caller gives back with yolo_engine_shared_release(), never
 * with yolo_engine_free(). */
YoloEngine *yolo_engine_shared_acquire (const char *id,
    const char *model_path, const YoloEngineOptions * options,
    GError ** error);

/* Gives back one reference from yolo_engine_shared_acquire(); the last one
 * frees the engine and forgets the id. NULL is ignored. */
void yolo_engine_shared_release (YoloEngine * e);

/* One frame through shared engine e (from yolo_engine_shared_acquire),
 * from any thread: pre-processes img with pp (the caller's, made for e)
 * into a free image of the engine's batch (YoloEngineOptions.batch; 1:
 * every call runs at once) and waits until that batch has run, then
 * copies the frame's own outputs: output 0 into out0 and, when out1 is
 * not NULL, output 1 into out1 (each the per-image part of the output,
 * its size over the batch). A batch runs when its last image arrives, or
 * timeout_ms after its first one did (then with the images it has; the
 * others' outputs are not used), so a slow stream delays the others by at
 * most timeout_ms. *lb receives the frame's letterbox. img's memory must
 * stay valid until this returns (it does: the call waits). Errors: those
 * of pre-processing and of the run (every frame of a failed batch gets
 * the run's error). */
gboolean yolo_engine_shared_infer (YoloEngine * e, YoloPreproc * pp,
    const YoloImage * img, const YoloPreprocParams * params,
    YoloLetterbox * lb, guint timeout_ms, float *out0, float *out1,
    GError ** error);

/* Tells shared engine e that one of its users stops sending frames (on =
 * FALSE: an end of stream, or before yolo_engine_shared_release) or sends
 * them again (TRUE: a flush, a new stream). Each acquire counts as
 * streaming. A batch runs as soon as it holds a frame of every user still
 * streaming (at most the engine's batch), so a stream that ended does not
 * make the others wait for batch-timeout on every frame. NULL and an
 * engine that is not shared are ignored. */
void yolo_engine_shared_streaming (YoloEngine * e, gboolean on);

/* How many references instance `id` has now (0: not loaded). */
guint yolo_engine_shared_users (const char *id);

G_END_DECLS
#endif /* YOLO_ENGINE_SHARED_H */
