/* ops/logic.h - the front end of the comparison / logical ops and Where
 * (ops/logic.c) shared with the backends. */
#ifndef YOLO_OPS_LOGIC_H
#define YOLO_OPS_LOGIC_H

#include "yolo-ops.h"

G_BEGIN_DECLS
/* Op codes (ocl_kernels/logic.cl LOGIC_*). */
    enum
{
  LOGIC_GT = 0,
  LOGIC_LT = 1,
  LOGIC_EQ = 2,
  LOGIC_GE = 3,
  LOGIC_LE = 4,
  LOGIC_AND = 5,
  LOGIC_OR = 6,
  LOGIC_XOR = 7,
};

/* ORed into a comparison's code when its operands are uint32 (the device
 * holds their bits in int32; logic.cl LOGIC_UNSIGNED). */
#define LOGIC_UNSIGNED 16
#define LOGIC_MAX_DIMS 6        /* collapsed dims the kernels take */
#define LOGIC_MAX_OPS 3

/* The broadcast of n_ops operands into y, with adjacent dims collapsed
 * where every operand stays linear across them and size-1 dims dropped;
 * s[o][k] is operand o's element stride along dim k (0: broadcast). */
typedef struct
{
  int nd;                       /* >= 1 */
  gint64 d[YOLO_MAX_DIMS];
  gint64 s[LOGIC_MAX_OPS][YOLO_MAX_DIMS];
} LogicBcast;

void yolo_logic_bcast_init (LogicBcast * bc, YoloTensor * const *ops,
    int n_ops, const YoloTensor * y);
/* LOGIC_* of a comparison / And / Or / Xor node, -1 for others. */
int yolo_logic_code (const YoloNode * n);

G_END_DECLS
#endif
