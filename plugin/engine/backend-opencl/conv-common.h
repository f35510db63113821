/* backend-opencl/conv-common.h - what the OpenCL Conv variants share:
 * the bias upload, the epilogue arguments, the blocked weight layout and
 * the launch of the direct (one-kernel) variants of conv_cpu.cl and
 * conv_gpu.cl. */
#ifndef YOLO_CL_CONV_COMMON_H
#define YOLO_CL_CONV_COMMON_H

#include "impls.h"
#include "ops/conv.h"

G_BEGIN_DECLS

/* Output channels per block of the blocked kernels and weight layouts. */
#define CONV_BLOCK 8

/* The direct kernels: one launch of one kernel per conv. */
typedef enum
{
  CONV_K_1X1,                   /* conv_cpu.cl conv_1x1_c8 */
  CONV_K_3X3S1,                 /* conv_cpu.cl conv_3x3s1_c8 */
  CONV_K_3X3S2,                 /* conv_cpu.cl conv_3x3s2_c8 */
  CONV_K_KXK,                   /* conv_cpu.cl conv_kxk_c8 */
  CONV_K_DW,                    /* conv_cpu.cl conv_dw */
  CONV_K_DW3X3S1,               /* conv_cpu.cl conv_dw3x3s1 */
  CONV_K_DW3X3S2,               /* conv_cpu.cl conv_dw3x3s2 */
  CONV_K_GENERIC,               /* conv_gpu.cl conv_generic */
  CONV_K_GPU_C8,                /* conv_gpu.cl conv_gpu_c8 */
} ConvKernel;

/* The node's ConvParams, or FALSE (no error) when they are invalid. */
gboolean yolo_conv_cl_params (YoloGraph * g, YoloNode * n, ConvParams * p);

/* Uploads the bias (zeros without one) padded to a multiple of
 * CONV_BLOCK; NULL on error. */
cl_mem yolo_conv_cl_bias (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, GError ** error);

/* The arguments after the bias of every conv kernel, in the order of
 * CONV_EPILOGUE_ARGS (common.cl): output, residual (the output again when
 * there is none), has_res, activation and its two parameters. */
void yolo_conv_cl_args_epilogue (YoloArgs * a, YoloRuntime * rt,
    YoloGraph * g, const YoloNode * n, YoloTensor * yt, YoloTensor * res);

/* Weights [M][Cg][kh][kw] -> [M/8][Cg][kh][kw][8], zero padded (g_free). */
float *yolo_conv_cl_repack_blocked (const float *w, const ConvParams * p,
    gsize * bytes);

/* Records the launch of the direct kernel `kind` for n. */
gboolean yolo_conv_cl_prepare_direct (YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, ConvKernel kind, GError ** error);

G_END_DECLS
#endif
