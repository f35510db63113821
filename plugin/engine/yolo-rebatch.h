/* yolo-rebatch.h - fixed-batch exports (Ultralytics batch=B, B > 1) run at
 * batch 1. GStreamer-free, private to the engine.
 *
 * The engine runs one image per inference. A graph whose input declares a
 * fixed batch B > 1 is rewritten before shape inference: the input's batch
 * becomes 1, and so does the leading element of every constant target shape
 * of a Reshape that equals B (Ultralytics' exporter folds x.shape[0] into
 * these constants: the attention and the head's Reshapes). After shape
 * inference yolo_rebatch_check() verifies the rewrite was sound: every
 * rewritten Reshape read a tensor of batch 1, and every graph output has
 * batch 1 and otherwise the shape the file declares. Each image then gives
 * exactly what slot 0 of a batch of B gives (the network computes images
 * independently). A graph where any of that fails (a constant hard-coding
 * B elsewhere, a Reshape mixing batch into another axis) is refused with a
 * one-line error naming the node and the export option (batch=1).
 */
#ifndef YOLO_REBATCH_H
#define YOLO_REBATCH_H

#include "yolo-graph.h"

G_BEGIN_DECLS

typedef struct _YoloRebatch YoloRebatch;

/* Before shape inference (input sizes resolved). Sets *state to NULL when
 * no input has a fixed batch > 1, else rewrites g (g->batch_from = B) and
 * returns the state yolo_rebatch_check() needs. FALSE with an error when
 * the graph cannot be rewritten. */
gboolean yolo_rebatch (YoloGraph * g, YoloRebatch ** state, GError ** error);

/* After shape inference: verifies the rewrite and frees state (NULL: no-op). */
gboolean yolo_rebatch_check (YoloGraph * g, YoloRebatch * state,
    GError ** error);

/* Shape inference failed after the rewrite: appends to *error that the
 * batch could not be made 1 and the export option to use; frees state. */
void yolo_rebatch_fail (YoloRebatch * state, GError ** error);

G_END_DECLS
#endif /* YOLO_REBATCH_H */
