/* yolo-cl-program.c - builds one embedded kernel unit (common.cl + one
 * .cl file of ocl_kernels/) into a program, caching the device binary on
 * disk.
 *
 * Cache: $XDG_CACHE_HOME/gst-yolo/<sha256>.bin where the key covers the
 * unit's source hash, build options, device name, driver and platform
 * version. An entry is
 *
 *   "YOLOCLB2" | payload length (8 bytes, little endian) |
 *   SHA-256 of the payload (32 bytes) | payload (the device binary)
 *
 * and is used only when the file length and the checksum match; anything
 * else (truncated, corrupt, an older format, unreadable) is rebuilt
 * silently. Writes go to a temporary file then rename(); a read-only, full
 * or impossible cache directory just means no caching. Disabled by
 * YoloEngineOptions.program_cache "off" (or no_cache, or YOLO_CL_NO_CACHE=1
 * when the option is unset).
 *
 * Off by default on PoCL (program_cache "on", or YOLO_CL_NO_CACHE=0, turns
 * it on there): asking PoCL
 * for a program binary (clGetProgramInfo CL_PROGRAM_BINARY_SIZES, in
 * pocl_driver_build_poclbinary) compiles the work-group function of every
 * kernel of the unit, used or not, and at the first launch PoCL compiles
 * the kernels it runs again for their local sizes: writing our entry for
 * conv_cpu.cl took more than half of a cold yolov8n-320 start. PoCL keeps
 * its own cache of both (POCL_CACHE_DIR), so a warm start is as fast
 * without ours. */
#include "yolo-cl.h"
#include "yolo-engine.h"
#include "yolo-kernels.h"

#include <glib/gstdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CACHE_MAGIC "YOLOCLB2"
#define CACHE_MAGIC_LEN 8
#define CACHE_SHA_LEN 32
#define CACHE_HEADER_LEN (CACHE_MAGIC_LEN + 8 + CACHE_SHA_LEN)
/* no device binary of our kernels is anywhere near this */
#define CACHE_MAX_BYTES (G_GINT64_CONSTANT (256) << 20)

static void
payload_sha256 (const guint8 * data, gsize len, guint8 * digest)
{
  GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
  gsize dlen = CACHE_SHA_LEN;

  g_checksum_update (ck, data, len);
  g_checksum_get_digest (ck, digest, &dlen);
  g_checksum_free (ck);
}

/* The payload of a valid entry, or NULL. */
static const guint8 *
entry_payload (const guint8 * data, gsize len, gsize * plen)
{
  guint64 n;
  guint8 digest[CACHE_SHA_LEN];

  if (len < CACHE_HEADER_LEN || memcmp (data, CACHE_MAGIC, CACHE_MAGIC_LEN))
    return NULL;
  memcpy (&n, data + CACHE_MAGIC_LEN, 8);
  n = GUINT64_FROM_LE (n);
  if (n == 0 || n != len - CACHE_HEADER_LEN)
    return NULL;
  payload_sha256 (data + CACHE_HEADER_LEN, n, digest);
  if (memcmp (digest, data + CACHE_MAGIC_LEN + 8, CACHE_SHA_LEN))
    return NULL;
  *plen = n;
  return data + CACHE_HEADER_LEN;
}

static char *
cache_path (cl_device_id dev, const YoloKernelUnit * unit, const char *options)
{
  GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
  cl_platform_id plat = NULL;
  char *parts[4];
  char *dir, *path;

  clGetDeviceInfo (dev, CL_DEVICE_PLATFORM, sizeof (plat), &plat, NULL);
  parts[0] = yolo_cl_device_string (dev, CL_DEVICE_NAME);
  parts[1] = yolo_cl_device_string (dev, CL_DRIVER_VERSION);
  parts[2] = yolo_cl_device_string (dev, CL_DEVICE_VERSION);
  parts[3] = plat ? yolo_cl_platform_string (plat, CL_PLATFORM_VERSION) :
      g_strdup ("");
  g_checksum_update (ck, (const guchar *) CACHE_MAGIC, -1);
  g_checksum_update (ck, (const guchar *) unit->hash, -1);
  g_checksum_update (ck, (const guchar *) (options ? options : ""), -1);
  for (int i = 0; i < 4; i++) {
    g_checksum_update (ck, (const guchar *) "\n", 1);
    g_checksum_update (ck, (const guchar *) parts[i], -1);
    g_free (parts[i]);
  }
  dir = g_build_filename (g_get_user_cache_dir (), "gst-yolo", NULL);
  path = g_strdup_printf ("%s/%s.bin", dir, g_checksum_get_string (ck));
  g_free (dir);
  g_checksum_free (ck);
  return path;
}

static cl_program
load_cached (cl_context ctx, cl_device_id dev, const char *path,
    const char *options)
{
  gchar *data = NULL;
  gsize len = 0;
  cl_program prog = NULL;
  cl_int err, status;

  const unsigned char *bin;
  size_t blen = 0;
  GStatBuf st;

  /* a directory, a huge or an unreadable file is no entry */
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)
      || st.st_size > CACHE_MAX_BYTES)
    return NULL;
  if (!g_file_get_contents (path, &data, &len, NULL))
    return NULL;
  bin = entry_payload ((const guint8 *) data, len, &blen);
  if (bin) {
    prog = clCreateProgramWithBinary (ctx, 1, &dev, &blen, &bin, &status, &err);
    if (err == CL_SUCCESS && status == CL_SUCCESS) {
      if (clBuildProgram (prog, 1, &dev, options, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram (prog);
        prog = NULL;
      }
    } else if (prog) {
      clReleaseProgram (prog);
      prog = NULL;
    }
  }
  g_free (data);
  if (!prog)
    g_debug ("ignoring stale or corrupt program cache %s", path);
  return prog;
}

static void
store_cached (cl_program prog, const char *path)
{
  size_t blen = 0;
  unsigned char *bin;
  char *dir, *tmp;
  GString *buf;

  if (clGetProgramInfo (prog, CL_PROGRAM_BINARY_SIZES, sizeof (blen), &blen,
          NULL) != CL_SUCCESS || blen == 0 || blen > CACHE_MAX_BYTES)
    return;
  bin = g_malloc (blen);
  if (clGetProgramInfo (prog, CL_PROGRAM_BINARIES, sizeof (bin), &bin,
          NULL) != CL_SUCCESS) {
    g_free (bin);
    return;
  }
  dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0755);
  tmp = g_strdup_printf ("%s.tmp.%d", path, (int) getpid ());
  buf = g_string_new_len (CACHE_MAGIC, CACHE_MAGIC_LEN);
  {
    guint64 n = GUINT64_TO_LE ((guint64) blen);
    guint8 digest[CACHE_SHA_LEN];

    payload_sha256 (bin, blen, digest);
    g_string_append_len (buf, (const char *) &n, 8);
    g_string_append_len (buf, (const char *) digest, CACHE_SHA_LEN);
  }
  g_string_append_len (buf, (const char *) bin, blen);
  /* errors (read-only or full directory, a file in the way) just mean the
   * program is not cached */
  if (g_file_set_contents (tmp, buf->str, buf->len, NULL)) {
    if (g_rename (tmp, path) != 0)
      g_unlink (tmp);
  } else {
    g_debug ("cannot write the program cache %s", path);
  }
  g_string_free (buf, TRUE);
  g_free (tmp);
  g_free (dir);
  g_free (bin);
}

/* PoCL names itself in CL_DEVICE_VERSION ("OpenCL 3.0 PoCL HSTR: ..."). */
gboolean
yolo_cl_device_is_pocl (cl_device_id dev)
{
  char *version = yolo_cl_device_string (dev, CL_DEVICE_VERSION);
  gboolean pocl = version && strstr (version, "PoCL") != NULL;

  g_free (version);
  return pocl;
}

cl_program
yolo_cl_build_program (cl_context ctx, cl_device_id dev,
    const YoloKernelUnit * unit, const char *options, const char *cache,
    GError ** error)
{
  gboolean no_cache = g_strcmp0 (cache, "off") == 0;
  char *path = NULL;
  cl_program prog = NULL;
  const char *srcs[2];
  size_t lens[2];
  cl_int err;
  gint64 t0 = g_get_monotonic_time ();
  struct timespec c0, c1;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c0);
  if (!no_cache && g_strcmp0 (cache, "on") != 0 && yolo_cl_device_is_pocl (dev)) {
    g_debug ("%s: PoCL: no program binary cache (PoCL caches its builds in "
        "POCL_CACHE_DIR; program_cache \"on\" or YOLO_CL_NO_CACHE=0 to "
        "write ours)", unit->name);
    no_cache = TRUE;
  }
  if (!no_cache) {
    path = cache_path (dev, unit, options);
    prog = load_cached (ctx, dev, path, options);
    if (prog) {
      g_debug ("%s: loaded program binary from %s", unit->name, path);
      g_free (path);
      return prog;
    }
  }

  srcs[0] = yolo_kernel_prelude_source;
  lens[0] = yolo_kernel_prelude_length;
  srcs[1] = unit->source;
  lens[1] = unit->length;
  prog = clCreateProgramWithSource (ctx, 2, srcs, lens, &err);
  if (YOLO_CL_FAILED (err, error, "clCreateProgramWithSource (%s)", unit->name)) {
    g_free (path);
    return NULL;
  }
  err = clBuildProgram (prog, 1, &dev, options, NULL, NULL);
  if (err != CL_SUCCESS) {
    size_t loglen = 0;
    char *log;

    clGetProgramBuildInfo (prog, dev, CL_PROGRAM_BUILD_LOG, 0, NULL, &loglen);
    log = g_malloc0 (loglen + 1);
    clGetProgramBuildInfo (prog, dev, CL_PROGRAM_BUILD_LOG, loglen, log, NULL);
    /* the build log goes to the debug log: the error stays one line */
    g_debug ("%s: build log:\n%s", unit->name, log);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_OPENCL,
        "building the OpenCL kernels of %s failed: %s (%d); run with "
        "G_MESSAGES_DEBUG=yoloengine for the compiler's log", unit->name,
        yolo_cl_strerror (err), err);
    g_free (log);
    clReleaseProgram (prog);
    g_free (path);
    return NULL;
  }
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &c1);
  g_debug ("%s: built in %.2f s (%.2f s CPU)", unit->name,
      (g_get_monotonic_time () - t0) / 1e6, (c1.tv_sec - c0.tv_sec)
      + (c1.tv_nsec - c0.tv_nsec) / 1e9);
  if (path) {
    t0 = g_get_monotonic_time ();
    store_cached (prog, path);
    g_debug ("%s: program binary cached in %.2f s", unit->name,
        (g_get_monotonic_time () - t0) / 1e6);
  }
  g_free (path);
  return prog;
}

const YoloKernelUnit *
yolo_cl_kernel_unit (const char *kernel, int *index)
{
  for (int i = 0; yolo_kernel_units[i].name; i++)
    for (int k = 0; yolo_kernel_units[i].kernels[k]; k++)
      if (strcmp (yolo_kernel_units[i].kernels[k], kernel) == 0) {
        if (index)
          *index = i;
        return &yolo_kernel_units[i];
      }
  return NULL;
}

int
yolo_cl_n_kernel_units (void)
{
  int n = 0;

  while (yolo_kernel_units[n].name)
    n++;
  return n;
}
