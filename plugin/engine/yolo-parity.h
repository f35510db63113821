/* yolo-parity.h - compares a model's output 0 with a reference (onnxruntime)
 * by the rules of tests/parity/test_parity.py, without python, so that
 * scripts/device-check.sh can check parity on a machine that only has a C
 * runtime. GStreamer-free and device-free. */
#ifndef YOLO_PARITY_H
#define YOLO_PARITY_H

#include "yolo-family.h"

G_BEGIN_DECLS

/* Tolerances (same as tests/parity/test_parity.py). */
#define YOLO_PARITY_BOX_ATOL 0.05       /* input pixels */
#define YOLO_PARITY_SCORE_ATOL 1e-3     /* probabilities */
#define YOLO_PARITY_YOLOX_RAW_ATOL 2e-3 /* raw grid offsets, log sizes */
#define YOLO_PARITY_E2E_MIN_SCORE 0.01
#define YOLO_PARITY_E2E_CONFIDENT 0.25

typedef struct
{
  double box_err;               /* max |err| of box values (px; raw for yolox) */
  double score_err;             /* max |err| of scores and objectness */
  gint64 n_bad;                 /* values (or end2end rows) out of tolerance,
                                 * non-finite values included */
  gboolean ok;                  /* n_bad == 0 */
  GString *log;                 /* one line per section, then failures */
} YoloParity;

/* Compares GOT with REF, both float32 of shape DIMS (the model's output 0)
 * laid out as FAMILY: ultralytics [1,4+nc,N], yolov5 and yolox [1,N,5+nc],
 * end2end [1,K,6] (rows matched by class, box and score, as in
 * test_parity.py). Fills RES (free with yolo_parity_clear). Returns FALSE
 * with RES->log saying why when the shape does not fit the family. */
gboolean yolo_parity_compare (YoloFamily family, int ndim,
    const gint64 * dims, const float *ref, const float *got, YoloParity * res);
void yolo_parity_clear (YoloParity * res);

G_END_DECLS
#endif /* YOLO_PARITY_H */
