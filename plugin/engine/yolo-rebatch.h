/* yolo-rebatch.h - fixed-batch exports (Ultralytics batch=B, B > 1) run at
 * batch 1. GStreamer-free, private to the engine.
 *
 * A graph whose input declares a fixed batch B > 1 is rewritten before
 * shape inference to the batch T the engine runs (1, or the engine's batch
 * option): the input's batch becomes T, and so does the batch in the
 * leading element of every constant target shape of a Reshape of a tensor
 * that carries the batch (yolo_rebatch_carries): Ultralytics' exporter
 * folds x.shape[0] into these constants, as B (the head's and the
 * attention's Reshapes) or as B * area (YOLO12's area attention folds its
 * areas into the batch axis: [4,400,..] at B = 1), so a leading K * B
 * becomes K * T. A model exported at batch 1 run at batch T is rewritten
 * the same way (B = 1). After shape inference yolo_rebatch_check()
 * verifies the rewrite was sound: no Transpose moves the batch axis of a
 * tensor that carries it, at T > 1 T divides its first dimension and no
 * Concat or Split works along it (images stay contiguous blocks, computed
 * independently), and every graph output has batch T and otherwise the
 * shape the file declares. A Gather along that axis of a batch-1 export
 * run at T > 1 (data [T*m, ..], indices [T, ..]: YOLO26's top-k tail,
 * whose per-image index offsets b * m the export folded to 0) gets
 * Mod (indices, m) + [0, m, 2m, ..] as its indices. A
 * DynamicQuantizeLinear of a tensor that carries the batch gets the
 * internal attribute per_image = 1 in a batch-1 export run at T > 1 (one
 * scale and zero point per image, ops/quant.h); in a fixed batch B > 1
 * (one scale over the B images, as onnxruntime) the rewrite is refused
 * naming it, and the graph runs as declared at T = B.
 * Each image then gives exactly what it gives alone (or slot 0 of a batch
 * of B). A graph where any of that fails (a constant hard-coding B
 * elsewhere, a Reshape mixing the batch into another axis) is refused with
 * a one-line error naming the node (and, for B > 1 run at 1, the export
 * option batch=1).
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

/* Which tensors carry the batch: those computed from tensor input (the
 * image) by any node but Shape and Size (whose outputs are shape data, not
 * image data), in the graph's sorted node order, skipping removed nodes.
 * A newly allocated array indexed by tensor (g_free it). */
gboolean *yolo_rebatch_carries (YoloGraph * g, int input);

/* After shape inference: verifies the rewrite and frees state (NULL: no-op). */
gboolean yolo_rebatch_check (YoloGraph * g, YoloRebatch * state,
    GError ** error);

/* Shape inference failed after the rewrite: appends to *error that the
 * batch could not be made 1 and the export option to use; frees state. */
void yolo_rebatch_fail (YoloRebatch * state, GError ** error);

G_END_DECLS
#endif /* YOLO_REBATCH_H */
