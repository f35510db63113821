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

/* How many references instance `id` has now (0: not loaded). */
guint yolo_engine_shared_users (const char *id);

G_END_DECLS
#endif /* YOLO_ENGINE_SHARED_H */
