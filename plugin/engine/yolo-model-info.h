/* yolo-model-info.h - what a loaded YOLO graph is: family / head layout,
 * classes, input size, parameter count and FLOPs. GStreamer-free. */
#ifndef YOLO_MODEL_INFO_H
#define YOLO_MODEL_INFO_H

#include "yolo-family.h"
#include "yolo-graph.h"

G_BEGIN_DECLS


typedef struct
{
  YoloFamily family;            /* detected (UNKNOWN if undecidable) */
  char *family_reason;          /* why / why not, for messages */
  int n_classes;                /* from the output shape (-1 unknown) */
  GPtrArray *names;             /* char*, from metadata "names"; may be empty */
  int input_h, input_w;         /* model input size */
  int stride;                   /* metadata "stride" or 32 */
  gboolean end2end;             /* metadata end2end == True */
  char *task;                   /* metadata task or NULL */
  gint64 n_params;              /* elements in float and int8 weights */
  double flops;                 /* 2*MACs of Conv/MatMul/Gemm */
  GHashTable *op_histogram;     /* op_type -> count (GINT_TO_POINTER) */
  /* "fp32", "int8 dynamic (DynamicQuantizeLinear + ConvInteger)" (what
   * onnxruntime's quantize_dynamic writes; MatMulInteger is named when
   * present) or "int8 QDQ (QuantizeLinear / DequantizeLinear)"; static. */
  const char *precision;
} YoloModelInfo;

/* Describes an inferred graph (shapes known). Never fails. */
YoloModelInfo *yolo_model_info_new (YoloGraph * g);
void yolo_model_info_free (YoloModelInfo * info);

/* Decides the family for an output shape [1,a,b] and metadata; used by
 * yolo_model_info_new and by the element with its model-family property. */
YoloFamily yolo_model_detect_family (YoloGraph * g, char **reason);

/* Why a graph is not a model the detector runs, in terms of the Ultralytics
 * export that made it (task other than detect; nms=True when the NMS tail
 * was not replaced, yolo-nms-tail.h; a batch > 1 not rewritten to 1,
 * yolo-rebatch.h), as a newly allocated sentence naming the option and the
 * fix; NULL when no such export option applies. Used to complete load
 * errors (a segmentation export fails on ConvTranspose) and by the
 * element. */
char *yolo_model_export_hint (YoloGraph * g);


G_END_DECLS
#endif
