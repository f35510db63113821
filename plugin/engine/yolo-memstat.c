/* yolo-memstat.c - VmRSS/VmHWM at stages of a load (debug log). */
#include "yolo-memstat.h"

#include <stdio.h>
#include <string.h>
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
#include <malloc.h>
#define HAVE_MALLINFO2 1
#endif

gboolean
yolo_memstat_read (guint64 * rss, guint64 * hwm)
{
  char line[256];
  FILE *f = fopen ("/proc/self/status", "r");
  int found = 0;

  *rss = *hwm = 0;
  if (!f)
    return FALSE;
  while (found < 2 && fgets (line, sizeof line, f)) {
    unsigned long long kib;

    if (sscanf (line, "VmRSS: %llu kB", &kib) == 1) {
      *rss = kib * 1024;
      found++;
    } else if (sscanf (line, "VmHWM: %llu kB", &kib) == 1) {
      *hwm = kib * 1024;
      found++;
    }
  }
  fclose (f);
  return found == 2;
}

/* one "Name:   N kB" field of /proc/self/status, in MiB; -1 if missing */
static double
status_mib (const char *status, const char *field)
{
  const char *p = strstr (status, field);
  unsigned long long kib;

  if (!p || sscanf (p + strlen (field), ": %llu kB", &kib) != 1)
    return -1;
  return kib / 1024.0;
}

void
yolo_memstat_log (const char *stage)
{
  char *status = NULL;

  if (g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN))
    return;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  {
#ifdef HAVE_MALLINFO2
    /* every malloc arena: blocks in use, free blocks (part of them may be
     * resident) */
    struct mallinfo2 mi = mallinfo2 ();
    char *heap = g_strdup_printf ("; malloc: %.1f MiB in use, %.1f MiB free, "
        "%.1f MiB mmapped", mi.uordblks / 1048576.0,
        mi.fordblks / 1048576.0, mi.hblkhd / 1048576.0);
#else
    char *heap = g_strdup ("");
#endif
    g_debug ("memory after %s: VmRSS %.1f MiB (anonymous %.1f, files %.1f), "
        "VmHWM %.1f MiB%s", stage, status_mib (status, "\nVmRSS"),
        status_mib (status, "\nRssAnon"), status_mib (status, "\nRssFile"),
        status_mib (status, "\nVmHWM"), heap);
    g_free (heap);
  }
  g_free (status);
}
