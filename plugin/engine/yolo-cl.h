/* yolo-cl.h - OpenCL helpers: error texts, device enumeration/selection,
 * program build with an on-disk binary cache. */
#ifndef YOLO_CL_H
#define YOLO_CL_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <glib.h>

#include "yolo-kernels.h"

G_BEGIN_DECLS

const char *yolo_cl_strerror (cl_int err);
/* Sets a YOLO_ENGINE_ERROR_OPENCL error "what: CL_ERROR_NAME (code)". */
void yolo_cl_error_to_g_error (cl_int err, GError ** error, const char *fmt,
    ...) G_GNUC_PRINTF (3, 4);

/* Returns TRUE and sets the error on failure. */
#define YOLO_CL_FAILED(err, error, ...) \
  ((err) != CL_SUCCESS ? (yolo_cl_error_to_g_error ((err), (error), __VA_ARGS__), TRUE) : FALSE)

char *yolo_cl_device_string (cl_device_id dev, cl_device_info what);
char *yolo_cl_platform_string (cl_platform_id p, cl_platform_info what);

/* Picks a device by spec (see YoloEngineOptions.device). */
gboolean yolo_cl_select_device (const char *spec, cl_platform_id * platform,
    cl_device_id * device, GError ** error);
char *yolo_cl_list_devices (GError ** error);

/* Builds kernel unit `unit` (common.cl + its .cl file) for dev, or loads
 * it from the binary cache: cache is YoloEngineOptions.program_cache
 * resolved ("auto": not on PoCL, see yolo-cl-program.c; "on"; "off"). */
cl_program yolo_cl_build_program (cl_context ctx, cl_device_id dev,
    const YoloKernelUnit * unit, const char *options, const char *cache,
    GError ** error);

/* TRUE for PoCL (it names itself in CL_DEVICE_VERSION). */
gboolean yolo_cl_device_is_pocl (cl_device_id dev);

/* The unit that defines kernel `kernel` (and its index in
 * yolo_kernel_units), NULL when no unit does. */
const YoloKernelUnit *yolo_cl_kernel_unit (const char *kernel, int *index);
int yolo_cl_n_kernel_units (void);

G_END_DECLS
#endif
