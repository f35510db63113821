/* ops/movement.h - the Concat / Split / Slice / Transpose / Expand / Tile /
 * Pad front end shared with the backends: every op is a strided copy
 * described by boxes (or, for Pad / Tile, a PadSpec). */
#ifndef YOLO_OPS_MOVEMENT_H
#define YOLO_OPS_MOVEMENT_H

#include "yolo-ops.h"

G_BEGIN_DECLS

#define MOVE_DIMS 6
#define MOVE_CHUNK 32           /* MOVEMENT_CHUNK in movement.cl */

/* A strided copy: dims[i] with source / destination strides (elements). */
typedef struct
{
  int ndim;
  gint64 d[YOLO_MAX_DIMS], ss[YOLO_MAX_DIMS], ds[YOLO_MAX_DIMS];
  gint64 sbase, dbase;
} MoveBox;

enum
{ PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct
{
  int ndim;
  int mode;
  gint64 in[YOLO_MAX_DIMS], out[YOLO_MAX_DIMS], pb[YOLO_MAX_DIMS];
  double value;
} PadSpec;

/* The box of a Slice / Transpose / Expand node, the PadSpec of a Pad /
 * Tile node. */
typedef gboolean (*BoxFunc) (YoloGraph * g, YoloNode * n, MoveBox * b,
    GError ** error);
typedef gboolean (*PadFunc) (YoloGraph * g, YoloNode * n, PadSpec * p,
    GError ** error);

/* Box copying Concat input i (starting at `at` along axis) into place. */
void yolo_concat_box (YoloGraph * g, YoloNode * n, int axis, int i,
    gint64 at, MoveBox * b);
/* Box copying the part of the Split input that is output j. */
void yolo_split_box (YoloGraph * g, YoloNode * n, int axis, int j, gint64 at,
    MoveBox * b);
/* Slice / Transpose / Expand as one box; error naming the node. */
gboolean yolo_slice_box (YoloGraph * g, YoloNode * n, MoveBox * b,
    GError ** error);
gboolean yolo_transpose_box (YoloGraph * g, YoloNode * n, MoveBox * b,
    GError ** error);
gboolean yolo_expand_box (YoloGraph * g, YoloNode * n, MoveBox * b,
    GError ** error);
/* Pad / Tile as a PadSpec; error naming the node. */
gboolean yolo_pad_spec (YoloGraph * g, YoloNode * n, PadSpec * p,
    GError ** error);
gboolean yolo_tile_spec (YoloGraph * g, YoloNode * n, PadSpec * p,
    GError ** error);

G_END_DECLS
#endif
