/* test-cache.c - the on-disk program binary cache: an entry is written on the
 * first build, reused, and a corrupt or truncated entry is rebuilt silently
 * (YOLO_CL_NO_CACHE=0: on every device, PoCL included); by default none is
 * written on PoCL, whose own cache makes ours redundant and whose program
 * binaries cost a compilation of every kernel.
 */
#include "yolo-test-util.h"
#include "yolo-cl.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static char *cache_root;

/* One Relu node: enough to build the whole embedded program. */
static gboolean
run_tiny_model (void)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 dims[4] = { 1, 3, 5, 7 };
  const char *in[] = { "x" }, *out[] = { "y" };

  yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, dims, -1, 1);
  yolo_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
  yolo_test_output (g, "y");
  return yolo_test_check (g, "cache", 0, 0, FALSE);
}

/* The single cache file (there is one program per device). */
static char *
cache_file (void)
{
  char *dir = g_build_filename (cache_root, "gst-yolo", NULL);
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  char *found = NULL;

  while (d && (name = g_dir_read_name (d)))
    if (g_str_has_suffix (name, ".bin") && !found)
      found = g_build_filename (dir, name, NULL);
  if (d)
    g_dir_close (d);
  g_free (dir);
  return found;
}

static gboolean
file_is_valid_entry (const char *path)
{
  gchar *data = NULL;
  gsize len = 0;
  gboolean ok;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  ok = len > 64 && !memcmp (data, "YOLOCLB1", 8);
  g_free (data);
  return ok;
}

static void
test_cache_written_and_repaired (void)
{
  char *path;
  gchar *junk;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  g_setenv ("YOLO_CL_NO_CACHE", "0", TRUE);
  g_assert_true (run_tiny_model ());
  path = cache_file ();
  g_assert_nonnull (path);
  g_assert_true (file_is_valid_entry (path));

  /* Corrupt: right magic, garbage binary. */
  junk = g_strnfill (4096, 'x');
  memcpy (junk, "YOLOCLB1", 8);
  g_assert_true (g_file_set_contents (path, junk, 4096, NULL));
  g_free (junk);
  g_assert_true (run_tiny_model ());
  g_assert_true (file_is_valid_entry (path));

  /* Truncated to a few bytes, then empty. */
  g_assert_true (g_file_set_contents (path, "YOLO", 4, NULL));
  g_assert_true (run_tiny_model ());
  g_assert_true (file_is_valid_entry (path));

  /* A valid entry is used again (the run still gives correct results). */
  g_assert_true (run_tiny_model ());
  g_free (path);
}

/* Whether the default device (what run_tiny_model uses) is PoCL's. */
static gboolean
default_device_is_pocl (void)
{
  cl_platform_id plat;
  cl_device_id dev;
  char *version;
  gboolean pocl;

  g_assert_true (yolo_cl_select_device (NULL, &plat, &dev, NULL));
  version = yolo_cl_device_string (dev, CL_DEVICE_VERSION);
  pocl = version && strstr (version, "PoCL") != NULL;
  g_free (version);
  return pocl;
}

/* Default: an entry on every device but PoCL. */
static void
test_cache_default (void)
{
  char *path, *dir, *cmd;
  gboolean pocl;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  dir = g_build_filename (cache_root, "gst-yolo", NULL);
  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  g_assert_cmpint (system (cmd), ==, 0);
  g_free (cmd);
  g_unsetenv ("YOLO_CL_NO_CACHE");
  g_assert_true (run_tiny_model ());
  pocl = default_device_is_pocl ();
  path = cache_file ();
  g_test_message ("device is %sPoCL, cache entry: %s", pocl ? "" : "not ",
      path ? path : "none");
  if (pocl)
    g_assert_null (path);
  else
    g_assert_true (path && file_is_valid_entry (path));
  g_free (path);
  g_free (dir);
}

int
main (int argc, char **argv)
{
  int ret;

  /* Before any GLib call caches the user cache directory. */
  cache_root = g_dir_make_tmp ("yolo-cache-XXXXXX", NULL);
  g_setenv ("XDG_CACHE_HOME", cache_root, TRUE);
  g_unsetenv ("YOLO_CL_NO_CACHE");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cache/written-and-repaired",
      test_cache_written_and_repaired);
  g_test_add_func ("/cache/default", test_cache_default);
  ret = g_test_run ();
  {
    char *cmd = g_strdup_printf ("rm -rf '%s'", cache_root);
    if (system (cmd) != 0)
      g_printerr ("could not remove %s\n", cache_root);
    g_free (cmd);
  }
  g_free (cache_root);
  return ret;
}
