/* yolo-memstat.h - the process's resident memory at stages of a load. */
#ifndef YOLO_MEMSTAT_H
#define YOLO_MEMSTAT_H

#include <glib.h>

G_BEGIN_DECLS

/* Reads VmRSS and VmHWM (peak RSS) of this process from /proc/self/status,
 * in bytes. FALSE (both 0) where the file or the fields are missing (not
 * Linux). */
gboolean yolo_memstat_read (guint64 * rss, guint64 * hwm);

/* g_debug ("memory after STAGE: VmRSS %.1f MiB, VmHWM %.1f MiB") in the
 * yoloengine domain; reads /proc only when that debug message is shown
 * (G_MESSAGES_DEBUG=yoloengine or all). */
void yolo_memstat_log (const char *stage);

G_END_DECLS
#endif
