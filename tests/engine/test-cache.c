/* test-cache.c - the on-disk program binary cache: an entry is written on the
 * first build, reused, and a corrupt or truncated entry (any length, flipped
 * bytes, an older format) is rebuilt silently; a cache directory that
 * cannot be written just means no caching (program_cache "on": on every
 * device, PoCL included). By default none is written on PoCL, whose own
 * cache makes ours redundant and whose program binaries cost a compilation
 * of every kernel. "off" (or no_cache) writes none, whatever
 * YOLO_CL_NO_CACHE says; that variable applies only when the option is
 * unset.
 */
#include "yolo-test-util.h"
#include "yolo-cl.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>

static char *cache_root;
static const YoloEngineOptions cache_on = {.program_cache = "on" };

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

/* Header: magic, payload length (LE 64 bit), SHA-256, payload. */
static gboolean
file_is_valid_entry (const char *path)
{
  gchar *data = NULL;
  gsize len = 0;
  guint64 n = 0;
  gboolean ok;

  if (!g_file_get_contents (path, &data, &len, NULL))
    return FALSE;
  if (len > 48)
    memcpy (&n, data + 8, 8);
  ok = len > 64 && !memcmp (data, "YOLOCLB2", 8)
      && GUINT64_FROM_LE (n) == len - 48;
  if (ok) {
    GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize dlen = 32;
    g_checksum_update (ck, (const guchar *) data + 48, len - 48);
    g_checksum_get_digest (ck, digest, &dlen);
    ok = !memcmp (digest, data + 16, 32);
    g_checksum_free (ck);
  }
  g_free (data);
  return ok;
}

static void
test_cache_written_and_repaired (void)
{
  char *path;
  gchar *junk, *good = NULL;
  gsize good_len = 0;
  const gsize cuts[] = { 0, 4, 8, 15, 16, 47, 48, 49, 1000 };

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  yolo_test_set_options (&cache_on);
  g_assert_true (run_tiny_model ());
  path = cache_file ();
  g_assert_nonnull (path);
  g_assert_true (file_is_valid_entry (path));
  g_assert_true (g_file_get_contents (path, &good, &good_len, NULL));

  /* Corrupt: right magic, garbage binary. */
  junk = g_strnfill (4096, 'x');
  memcpy (junk, "YOLOCLB2", 8);
  g_assert_true (g_file_set_contents (path, junk, 4096, NULL));
  g_free (junk);
  g_assert_true (run_tiny_model ());
  g_assert_true (file_is_valid_entry (path));

  /* Truncated at many lengths, including mid-header and one byte short. */
  for (guint i = 0; i <= G_N_ELEMENTS (cuts); i++) {
    gsize cut = i < G_N_ELEMENTS (cuts) ? MIN (cuts[i], good_len - 1) :
        good_len - 1;
    g_assert_true (g_file_set_contents (path, good, cut, NULL));
    g_assert_true (run_tiny_model ());
    g_assert_true (file_is_valid_entry (path));
  }
  for (guint i = 1; i < 8; i++) {
    gsize cut = good_len * i / 8;
    g_assert_true (g_file_set_contents (path, good, cut, NULL));
    g_assert_true (run_tiny_model ());
    g_assert_true (file_is_valid_entry (path));
  }

  /* Full length with flipped bytes: in the length, the checksum, the
   * payload's start, middle and end. */
  {
    const gsize at[] = { 9, 20, 48, good_len / 2, good_len - 1 };
    for (guint i = 0; i < G_N_ELEMENTS (at); i++) {
      gchar *bad = g_memdup2 (good, good_len);
      bad[at[i]] ^= 0x5a;
      g_assert_true (g_file_set_contents (path, bad, good_len, NULL));
      g_free (bad);
      g_assert_true (run_tiny_model ());
      g_assert_true (file_is_valid_entry (path));
    }
  }

  /* The previous format (magic YOLOCLB1 + raw binary) is ignored. */
  {
    gchar *old = g_malloc (good_len - 40);
    memcpy (old, "YOLOCLB1", 8);
    memcpy (old + 8, good + 48, good_len - 48);
    g_assert_true (g_file_set_contents (path, old, good_len - 40, NULL));
    g_free (old);
    g_assert_true (run_tiny_model ());
    g_assert_true (file_is_valid_entry (path));
  }

  /* A directory where the entry should be. */
  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_mkdir (path, 0755), ==, 0);
  g_assert_true (run_tiny_model ());
  g_assert_cmpint (g_rmdir (path), ==, 0);

  /* A valid entry is used again (the run still gives correct results). */
  g_assert_true (run_tiny_model ());
  g_assert_true (file_is_valid_entry (path));
  yolo_test_set_options (NULL);
  g_free (good);
  g_free (path);
}

/* The cache directory cannot be created (a regular file is in the way; this
 * works as root too, unlike chmod): runs still succeed, nothing cached. */
static void
test_cache_unwritable (void)
{
  char *dir = g_build_filename (cache_root, "gst-yolo", NULL);
  char *cmd = g_strdup_printf ("rm -rf '%s'", dir);
  char *path;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    g_free (cmd);
    g_free (dir);
    return;
  }
  yolo_test_set_options (&cache_on);
  g_assert_cmpint (system (cmd), ==, 0);
  g_assert_true (g_file_set_contents (dir, "not a directory", -1, NULL));
  g_assert_true (run_tiny_model ());
  g_assert_true (run_tiny_model ());
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_REGULAR));
  path = cache_file ();
  g_assert_null (path);
  g_assert_cmpint (g_unlink (dir), ==, 0);
  yolo_test_set_options (NULL);
  g_free (cmd);
  g_free (dir);
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

static void
clear_cache_dir (void)
{
  char *dir = g_build_filename (cache_root, "gst-yolo", NULL);
  char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

  g_assert_cmpint (system (cmd), ==, 0);
  g_free (cmd);
  g_free (dir);
}

/* "off" and no_cache write nothing, also where YOLO_CL_NO_CACHE=0 asks
 * for a cache; with the option unset, YOLO_CL_NO_CACHE=0 turns it on (on
 * PoCL too) and YOLO_CL_NO_CACHE=1 off. */
static void
test_cache_options (void)
{
  YoloEngineOptions off = {.program_cache = "off" };
  YoloEngineOptions no_cache = {.no_cache = TRUE };
  char *path;

  if (!yolo_test_have_device ()) {
    g_test_skip ("no OpenCL device");
    return;
  }
  g_setenv ("YOLO_CL_NO_CACHE", "0", TRUE);
  clear_cache_dir ();
  yolo_test_set_options (&off);
  g_assert_true (run_tiny_model ());
  g_assert_null (cache_file ());
  yolo_test_set_options (&no_cache);
  g_assert_true (run_tiny_model ());
  g_assert_null (cache_file ());

  g_setenv ("YOLO_CL_NO_CACHE", "1", TRUE);
  yolo_test_set_options (NULL);
  g_assert_true (run_tiny_model ());
  g_assert_null (cache_file ());

  g_setenv ("YOLO_CL_NO_CACHE", "0", TRUE);
  g_assert_true (run_tiny_model ());
  path = cache_file ();
  g_assert_true (path && file_is_valid_entry (path));
  g_free (path);
  g_unsetenv ("YOLO_CL_NO_CACHE");
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
  g_test_add_func ("/cache/unwritable", test_cache_unwritable);
  g_test_add_func ("/cache/default", test_cache_default);
  g_test_add_func ("/cache/options", test_cache_options);
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
