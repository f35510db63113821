/* yolo-cl.c - OpenCL error texts, device enumeration and selection. */
#include "yolo-cl.h"
#include "yolo-engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
yolo_cl_strerror (cl_int err)
{
  switch (err) {
#define E(x) case x: return #x;
      E (CL_SUCCESS) E (CL_DEVICE_NOT_FOUND) E (CL_DEVICE_NOT_AVAILABLE)
          E (CL_COMPILER_NOT_AVAILABLE) E (CL_MEM_OBJECT_ALLOCATION_FAILURE)
          E (CL_OUT_OF_RESOURCES) E (CL_OUT_OF_HOST_MEMORY)
          E (CL_PROFILING_INFO_NOT_AVAILABLE) E (CL_MEM_COPY_OVERLAP)
          E (CL_BUILD_PROGRAM_FAILURE) E (CL_MAP_FAILURE)
          E (CL_MISALIGNED_SUB_BUFFER_OFFSET) E (CL_INVALID_VALUE)
          E (CL_INVALID_DEVICE_TYPE) E (CL_INVALID_PLATFORM)
          E (CL_INVALID_DEVICE)
          E (CL_INVALID_CONTEXT) E (CL_INVALID_QUEUE_PROPERTIES)
          E (CL_INVALID_COMMAND_QUEUE) E (CL_INVALID_HOST_PTR)
          E (CL_INVALID_MEM_OBJECT) E (CL_INVALID_BUFFER_SIZE)
          E (CL_INVALID_BINARY) E (CL_INVALID_BUILD_OPTIONS)
          E (CL_INVALID_PROGRAM) E (CL_INVALID_PROGRAM_EXECUTABLE)
          E (CL_INVALID_KERNEL_NAME) E (CL_INVALID_KERNEL_DEFINITION)
          E (CL_INVALID_KERNEL) E (CL_INVALID_ARG_INDEX)
          E (CL_INVALID_ARG_VALUE)
          E (CL_INVALID_ARG_SIZE) E (CL_INVALID_KERNEL_ARGS)
          E (CL_INVALID_WORK_DIMENSION) E (CL_INVALID_WORK_GROUP_SIZE)
          E (CL_INVALID_WORK_ITEM_SIZE) E (CL_INVALID_GLOBAL_OFFSET)
          E (CL_INVALID_EVENT_WAIT_LIST) E (CL_INVALID_EVENT)
          E (CL_INVALID_OPERATION) E (CL_INVALID_GLOBAL_WORK_SIZE)
#undef E
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return "unknown OpenCL error";
  }
}

void
yolo_cl_error_to_g_error (cl_int err, GError ** error, const char *fmt, ...)
{
  va_list ap;
  char *what;

  va_start (ap, fmt);
  what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
      "%s: %s (%d)", what, yolo_cl_strerror (err), err);
  g_free (what);
}

char *
yolo_cl_device_string (cl_device_id dev, cl_device_info what)
{
  size_t n = 0;
  char *s;

  if (clGetDeviceInfo (dev, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
    return g_strdup ("");
  s = g_malloc0 (n + 1);
  clGetDeviceInfo (dev, what, n, s, NULL);
  return g_strstrip (s);
}

char *
yolo_cl_platform_string (cl_platform_id p, cl_platform_info what)
{
  size_t n = 0;
  char *s;

  if (clGetPlatformInfo (p, what, 0, NULL, &n) != CL_SUCCESS || n == 0)
    return g_strdup ("");
  s = g_malloc0 (n + 1);
  clGetPlatformInfo (p, what, n, s, NULL);
  return g_strstrip (s);
}

typedef struct
{
  cl_platform_id platform;
  cl_device_id device;
  guint pi, di;
  cl_device_type type;
} DevEntry;

/* The error of np > 0 platforms that report no device. It names them, and
 * for PoCL the usual cause: PoCL reports no device (CL_DEVICE_NOT_FOUND,
 * silently unless POCL_DEBUG is set) when it cannot create its kernel cache
 * directory, $POCL_CACHE_DIR, else $XDG_CACHE_HOME/pocl, else
 * ~/.cache/pocl (a read-only or missing home, as under a service manager). */
static void
set_no_device_error (cl_platform_id * plats, cl_uint np, GError ** error)
{
  GString *names = g_string_new (NULL);
  gboolean pocl = FALSE, rusticl = FALSE;

  for (cl_uint p = 0; p < np; p++) {
    char *pn = yolo_cl_platform_string (plats[p], CL_PLATFORM_NAME);

    pocl |= strstr (pn, "Portable Computing Language") != NULL;
    rusticl |= g_strcmp0 (pn, "rusticl") == 0;
    g_string_append_printf (names, "%s%s", p ? ", " : "", pn[0] ? pn : "?");
    g_free (pn);
  }
  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_NO_DEVICE,
      "no OpenCL device found: the OpenCL platform%s installed (%s) report%s "
      "no device%s%s", np == 1 ? "" : "s", names->str, np == 1 ? "s" : "",
      pocl ? "; PoCL reports none when it cannot create its kernel cache "
      "directory: make $POCL_CACHE_DIR (else $XDG_CACHE_HOME/pocl, else "
      "~/.cache/pocl) a writable directory" : "",
      rusticl ? "; rusticl lists devices only with RUSTICL_ENABLE set "
      "(e.g. RUSTICL_ENABLE=llvmpipe)" : "");
  g_string_free (names, TRUE);
}

static GArray *
enumerate (GError ** error)
{
  cl_uint np = 0;
  cl_platform_id *plats;
  GArray *arr;
  cl_int err;

  err = clGetPlatformIDs (0, NULL, &np);
  if (err == -1001 || (err == CL_SUCCESS && np == 0)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_NO_DEVICE,
        "no OpenCL platform found: install an OpenCL driver (ICD), e.g. "
        "pocl-opencl-icd for the CPU or your GPU vendor's ICD");
    return NULL;
  }
  if (YOLO_CL_FAILED (err, error, "clGetPlatformIDs"))
    return NULL;
  plats = g_new0 (cl_platform_id, np);
  clGetPlatformIDs (np, plats, NULL);
  arr = g_array_new (FALSE, TRUE, sizeof (DevEntry));
  for (guint p = 0; p < np; p++) {
    cl_uint nd = 0;
    cl_device_id *devs;

    if (clGetDeviceIDs (plats[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd)
        != CL_SUCCESS || nd == 0)
      continue;
    devs = g_new0 (cl_device_id, nd);
    clGetDeviceIDs (plats[p], CL_DEVICE_TYPE_ALL, nd, devs, NULL);
    for (guint d = 0; d < nd; d++) {
      DevEntry e = { plats[p], devs[d], p, d, 0 };
      clGetDeviceInfo (devs[d], CL_DEVICE_TYPE, sizeof (e.type), &e.type, NULL);
      g_array_append_val (arr, e);
    }
    g_free (devs);
  }
  if (arr->len == 0) {
    g_array_unref (arr);
    set_no_device_error (plats, np, error);
    g_free (plats);
    return NULL;
  }
  g_free (plats);
  return arr;
}

static const char *
type_name (cl_device_type t)
{
  if (t & CL_DEVICE_TYPE_GPU)
    return "GPU";
  if (t & CL_DEVICE_TYPE_CPU)
    return "CPU";
  if (t & CL_DEVICE_TYPE_ACCELERATOR)
    return "accelerator";
  return "other";
}

char *
yolo_cl_list_devices (GError ** error)
{
  GArray *arr = enumerate (error);
  GString *s;
  gint last_p = -1;

  if (!arr)
    return NULL;
  s = g_string_new (NULL);
  for (guint i = 0; i < arr->len; i++) {
    DevEntry *e = &g_array_index (arr, DevEntry, i);
    char *name = yolo_cl_device_string (e->device, CL_DEVICE_NAME);
    char *drv = yolo_cl_device_string (e->device, CL_DRIVER_VERSION);
    char *ver = yolo_cl_device_string (e->device, CL_DEVICE_VERSION);
    cl_uint cu = 0;
    cl_ulong mem = 0;

    if ((gint) e->pi != last_p) {
      char *pn = yolo_cl_platform_string (e->platform, CL_PLATFORM_NAME);
      char *pv = yolo_cl_platform_string (e->platform, CL_PLATFORM_VERSION);
      g_string_append_printf (s, "platform %u: %s (%s)\n", e->pi, pn, pv);
      g_free (pn);
      g_free (pv);
      last_p = e->pi;
    }
    clGetDeviceInfo (e->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof (cu), &cu,
        NULL);
    clGetDeviceInfo (e->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof (mem), &mem,
        NULL);
    g_string_append_printf (s,
        "  [%u] %u:%u  %s  %s, %u compute units, %" G_GUINT64_FORMAT
        " MiB, %s, driver %s\n", i, e->pi, e->di, type_name (e->type), name,
        cu, (guint64) (mem >> 20), ver, drv);
    g_free (name);
    g_free (drv);
    g_free (ver);
  }
  g_array_unref (arr);
  return g_string_free (s, FALSE);
}

gboolean
yolo_cl_select_device (const char *spec, cl_platform_id * platform,
    cl_device_id * device, GError ** error)
{
  GArray *arr = enumerate (error);
  DevEntry *found = NULL;
  guint a, b;
  char *end;

  if (!arr)
    return FALSE;
  if (spec && *spec == '\0')
    spec = NULL;
  if (!spec)
    spec = g_getenv ("YOLO_DEVICE");
  if (spec && *spec == '\0')
    spec = NULL;

  if (!spec) {
    for (guint i = 0; i < arr->len && !found; i++)
      if (g_array_index (arr, DevEntry, i).type & CL_DEVICE_TYPE_GPU)
        found = &g_array_index (arr, DevEntry, i);
    if (!found)
      found = &g_array_index (arr, DevEntry, 0);
  } else if (!g_ascii_strcasecmp (spec, "gpu") || !g_ascii_strcasecmp (spec,
          "cpu")) {
    cl_device_type want = !g_ascii_strcasecmp (spec, "gpu") ?
        CL_DEVICE_TYPE_GPU : CL_DEVICE_TYPE_CPU;
    for (guint i = 0; i < arr->len && !found; i++)
      if (g_array_index (arr, DevEntry, i).type & want)
        found = &g_array_index (arr, DevEntry, i);
  } else if (sscanf (spec, "%u:%u", &a, &b) == 2 && strchr (spec, ':')
      && g_ascii_isdigit (spec[0])) {
    for (guint i = 0; i < arr->len && !found; i++) {
      DevEntry *e = &g_array_index (arr, DevEntry, i);
      if (e->pi == a && e->di == b)
        found = e;
    }
  } else if ((a = strtoul (spec, &end, 10), *end == '\0')
      && g_ascii_isdigit (spec[0])) {
    if (a < arr->len)
      found = &g_array_index (arr, DevEntry, a);
  } else {
    /* part of a device name, else of a platform name ("rusticl",
     * "portable computing language", "nvidia cuda") */
    char *want = g_ascii_strdown (spec, -1);
    for (int pass = 0; pass < 2 && !found; pass++) {
      for (guint i = 0; i < arr->len && !found; i++) {
        DevEntry *e = &g_array_index (arr, DevEntry, i);
        char *name = pass == 0 ?
            yolo_cl_device_string (e->device, CL_DEVICE_NAME) :
            yolo_cl_platform_string (e->platform, CL_PLATFORM_NAME);
        char *low = g_ascii_strdown (name, -1);
        if (strstr (low, want))
          found = e;
        g_free (name);
        g_free (low);
      }
    }
    g_free (want);
  }

  if (!found) {
    /* one line: "0:0 pthread-... (Portable Computing Language), 1:0 ..." */
    GString *list = g_string_new (NULL);

    for (guint i = 0; i < arr->len; i++) {
      DevEntry *e = &g_array_index (arr, DevEntry, i);
      char *name = yolo_cl_device_string (e->device, CL_DEVICE_NAME);
      char *plat = yolo_cl_platform_string (e->platform, CL_PLATFORM_NAME);

      g_string_append_printf (list, "%s%u:%u %s (%s)", i ? ", " : "", e->pi,
          e->di, name, plat);
      g_free (name);
      g_free (plat);
    }
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_NO_DEVICE,
        "no OpenCL device matches \"%s\" (use \"gpu\", \"cpu\", an index, "
        "\"P:D\" or part of a device or platform name); available: %s",
        spec, list->str);
    g_string_free (list, TRUE);
    g_array_unref (arr);
    return FALSE;
  }
  *platform = found->platform;
  *device = found->device;
  g_array_unref (arr);
  return TRUE;
}
