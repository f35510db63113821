/* backend-opencl/quant-args.h - the kernel arguments the ConvInteger /
 * ConvIntegerToFloat kernels share (quant.cl's conv_integer* kernels,
 * conv_int8.cl's dot-product kernels; defined in quant.c). */
#ifndef YOLO_CL_QUANT_ARGS_H
#define YOLO_CL_QUANT_ARGS_H

#include "yolo-runtime.h"

G_BEGIN_DECLS

/* x (input 0) and its zero point (input 2; an omitted one: a buffer
 * holding one int32 0, uploaded here). FALSE with error when that upload
 * fails, a's kernel then released (as yolo_args_ok does). */
gboolean yolo_cl_qconv_args_x (YoloArgs * a, YoloRuntime * rt,
    YoloGraph * g, YoloNode * n, GError ** error);

/* The epilogue's arguments, from the output on: y, to_float, the scale m
 * (input 4) and whether it is per channel, the bias buffer (bias, or NULL:
 * none) and its flag, the residual and its flag, the activation and its
 * alpha / beta. An int32 ConvInteger's unused tensors point at y, its
 * unused bias at spare (any buffer of the launch). */
void yolo_cl_qconv_args_epilogue (YoloArgs * a, YoloRuntime * rt,
    YoloGraph * g, YoloNode * n, cl_mem bias, cl_mem spare);

G_END_DECLS
#endif
