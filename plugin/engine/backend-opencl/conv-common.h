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
/* Output channels per work-item of conv_gemm_t16 (the vector lanes). */
#define CONV_BLOCK16 16

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
  CONV_K_DW7X7S1,               /* conv_cpu.cl conv_dw7x7s1 */
  CONV_K_3X3S1_FLAT,            /* conv_cpu.cl conv_3x3s1_flat_c8 */
} ConvKernel;

/* The node's ConvParams, or FALSE (no error) when they are invalid. */
gboolean yolo_conv_cl_params (YoloGraph * g, YoloNode * n, ConvParams * p);

/* Uploads the [n] floats of the constant t (zeros when t is NULL) padded
 * to a multiple of CONV_BLOCK16; NULL on error. */
cl_mem yolo_conv_cl_upload_bias (YoloRuntime * rt, const YoloTensor * t,
    int n, GError ** error);

/* yolo_conv_cl_upload_bias of the node's bias (input 2, p->M floats). */
cl_mem yolo_conv_cl_bias (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const ConvParams * p, GError ** error);

/* The arguments after the bias of every conv kernel, in the order of
 * CONV_EPILOGUE_ARGS (common.cl): output, residual (the output again when
 * there is none), has_res, activation and its two parameters. */
void yolo_conv_cl_args_epilogue (YoloArgs * a, YoloRuntime * rt,
    YoloGraph * g, const YoloNode * n, YoloTensor * yt, YoloTensor * res);

/* The window arguments of the conv kernels that take them (conv_kxk_c8,
 * conv_dw, conv_generic, conv_gpu_c8, conv_im2col, conv_tiled, the
 * ConvInteger kernels of quant.cl, convtranspose_generic), eight ints in
 * this order: kernel height and width, strides (h, w), the top and left
 * pads, dilations (h, w). */
void yolo_conv_cl_args_window (YoloArgs * a, const YoloConvGeometry * p);

/* The arguments CONV_QDQ_ARGS (conv_cpu.cl) at the end of the conv_cpu.cl
 * kernels' lists when the runtime builds them with -DCONV_QDQ=1
 * (yolo_rt_set_qdq_epilogue; else none): n's fused QDQ epilogue (node
 * qepi, uploaded) and its mask, or `dummy` (any buffer) and 0 without
 * one. FALSE on error. */
gboolean yolo_conv_cl_args_qdq (YoloArgs * a, YoloRuntime * rt,
    const YoloNode * n, cl_mem dummy, GError ** error);

/* Weights [M][Cg][kh][kw] -> [M/8][Cg][kh][kw][8], zero padded (g_free). */
float *yolo_conv_cl_repack_blocked (const float *w, const ConvParams * p,
    gsize * bytes);

/* The same with blk output channels per block: [M/blk][Cg][kh][kw][blk]. */
float *yolo_conv_cl_repack_block (const float *w, const ConvParams * p,
    int blk, gsize * bytes);

/* Uploads the weights w repacked with yolo_conv_cl_repack_block (blk
 * output channels per block); the cl_mem (the runtime owns it), or NULL
 * on error. */
cl_mem yolo_conv_cl_upload_block (YoloRuntime * rt, const float *w,
    const ConvParams * p, int blk, GError ** error);

/* Records conv_gemm_t16 (conv_cpu.cl) for n: out = act (W . x + b)
 * [+ residual] over x = R rows of HW elements, the node's input when
 * col_bytes is 0, else scratch slot 1 (col_bytes long: the patches of
 * conv_im2col). Group 1 only. (A 1x1 variant on the input directly,
 * conv-cpu-1x1-t, measured 0.75-1.4x the CPU time of conv-cpu-1x1 on
 * YOLOv8n-320's 1x1 layers: not offered.) */
gboolean yolo_conv_cl_launch_gemm_t16 (YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, const ConvParams * p, gsize col_bytes, int HW, int R,
    GError ** error);

/* The local size in dimension 1 (4 or 1; dimension 0: 1) of a launch
 * of nb x items work-items on a CPU device of `units` compute units, item
 * i of dimension 1 covering `span` of `total` elements (the last one
 * fewer): the one whose work-groups PoCL's pthread scheduler shares most
 * evenly between the units. Its threads take runs of consecutive
 * work-groups (dimension 0 fastest), a first run of ceil(n / units) that
 * nothing rebalances, so with {1, 4} a small plane gives one thread the
 * full 4-item groups and the other the short last ones (13x13 under 1x1:
 * 128 against 41 pixels a block of channels, 0.67 of two threads). Each
 * size's longest thread is simulated (cost: the elements covered, plus an
 * eighth of a span an item and a sixteenth a group); the fastest wins,
 * the larger size on ties; 4 with one unit or more than 256 groups a
 * unit. Also the depthwise kernels' rows (span: rows per item). */
gsize yolo_conv_cl_balanced_lws (guint units, gsize nb, gsize items,
    gsize span, gsize total);

/* Records the launch of the direct kernel `kind` for n. */
gboolean yolo_conv_cl_prepare_direct (YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, ConvKernel kind, GError ** error);

G_END_DECLS
#endif
