/* backend-opencl/impls.h - the impl arrays of the OpenCL backend, one per
 * file (or variant group), listed in preference order by registry.c. */
#ifndef YOLO_CL_IMPLS_H
#define YOLO_CL_IMPLS_H

#include "yolo-backend.h"

G_BEGIN_DECLS extern const YoloOpImpl *const yolo_impls_conv_tiled[];
extern const YoloOpImpl *const yolo_impls_conv_cpu_dw[];
extern const YoloOpImpl *const yolo_impls_conv_dwsep[];
extern const YoloOpImpl *const yolo_impls_conv_wino[];
extern const YoloOpImpl *const yolo_impls_conv_cpu[];
extern const YoloOpImpl *const yolo_impls_conv_im2col[];
extern const YoloOpImpl *const yolo_impls_conv_gpu[];
extern const YoloOpImpl *const yolo_impls_matmul[];
extern const YoloOpImpl *const yolo_impls_eltwise[];
extern const YoloOpImpl *const yolo_impls_pool[];
extern const YoloOpImpl *const yolo_impls_resize[];
extern const YoloOpImpl *const yolo_impls_movement[];
extern const YoloOpImpl *const yolo_impls_reduce[];
extern const YoloOpImpl *const yolo_impls_index[];
extern const YoloOpImpl *const yolo_impls_convtranspose[];
extern const YoloOpImpl *const yolo_impls_logic[];
extern const YoloOpImpl *const yolo_impls_norm[];
extern const YoloOpImpl *const yolo_impls_math[];
extern const YoloOpImpl *const yolo_impls_conv_int8[];
extern const YoloOpImpl *const yolo_impls_quant[];
extern const YoloOpImpl *const yolo_impls_qdq[];
extern const YoloOpImpl *const yolo_impls_attention[];
extern const YoloOpImpl *const yolo_impls_detect[];
extern const YoloOpImpl *const yolo_impls_anchor[];
extern const YoloOpImpl *const yolo_impls_detect_topk[];

/* Anchors (grid cells) per work-item of the decode tails (detect.c,
 * anchor.c): cpu_span on CPU devices, gpu_span elsewhere; the environment
 * variable YOLO_DECODE_SPAN (a multiple of 16 from 16 to max_span)
 * overrides both, so the tests run the GPUs' setting on CPU devices.
 * Another non-empty value: 0 and an error naming node n. */
int yolo_cl_decode_span (YoloRuntime * rt, const YoloNode * n, int cpu_span,
    int gpu_span, int max_span, GError ** error);

G_END_DECLS
#endif
