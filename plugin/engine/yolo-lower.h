/* yolo-lower.h - lowering of graph nodes onto a backend (yolo-lower.c). */
#ifndef YOLO_LOWER_H
#define YOLO_LOWER_H

#include "yolo-backend.h"
#include "yolo-tune.h"

G_BEGIN_DECLS

/* The impl names the options force for node n (conv_kernel for Conv,
 * matmul_kernel for MatMul / Gemm; their legacy values mapped, see
 * yolo-engine.h), or NULL. */
const char *yolo_lower_forced (YoloRuntime * rt, const YoloNode * n);

/* Picks the impl of n among its candidates (see yolo-backend.h): the
 * first one, or the measured choice of tuner (may be NULL, see
 * yolo-tune.h) unless an option names the variants; records its launches.
 * YOLO_ENGINE_ERROR_UNSUPPORTED naming the op and node when no impl
 * implements or supports it. */
gboolean yolo_lower_node (const YoloBackend * b, YoloRuntime * rt,
    YoloTuner * tuner, YoloGraph * g, YoloNode * n, GError ** error);

G_END_DECLS
#endif
