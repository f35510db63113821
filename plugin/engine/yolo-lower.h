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

/* The kernel units (YoloOpImpl.unit) the lowering of g's nodes is
 * expected to use, in order of first use: the first candidate of each node
 * and, where the tuner chooses, the other tunable candidates. A new
 * NULL-terminated array of static strings (g_free it). A prediction for
 * building units ahead (yolo_runtime_prebuild_units), not a promise. */
const char **yolo_lower_expected_units (const YoloBackend * b,
    YoloRuntime * rt, YoloGraph * g);

G_END_DECLS
#endif
