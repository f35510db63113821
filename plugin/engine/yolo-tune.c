/* yolo-tune.c - measured choice among kernel variants (see yolo-tune.h).
 *
 * Where two or more impls flagged YOLO_IMPL_TUNABLE are candidates of a
 * node (Winograd vs the direct 3x3 kernel on PoCL, conv-tiled vs
 * conv-gpu-c8 on GPUs, the MatMul variants), each is prepared into a
 * trial, run once to warm up and TUNE_RUNS times on the bound arena, and
 * the one with the lowest best-of-TUNE_RUNS wall time is kept (the
 * minimum: on a shared machine other processes only ever add time, and a
 * median of 3 let one preempted trial decide a layer for good, since the
 * winner is cached); the others' launches,
 * buffers and scratch requests are dropped (yolo_rt_rollback).
 *
 * The winners are remembered in $XDG_CACHE_HOME/gst-yolo/tune-<hash>.txt,
 * one file per device (name, driver, platform), engine version (the
 * project version and the hash of every kernel unit) and file format, so
 * another device, driver, kernel source or format never reads it:
 *
 *   YOLOTUNE2
 *   # <device name> | <driver> | <platform> | <engine version>
 *   <sha256 of the node signature, 64 hex> <impl name> <margin> <spread> <load> <tries>
 *   ...
 *
 * margin: the runner-up's time over the winner's (1 to TUNE_MAX_VALUE;
 * 1 without a runner-up); spread: the most disturbed trial's median run
 * over its fastest (yolo_rt_time_trials; 1 to TUNE_MAX_VALUE); load: the
 * 1-minute load average when it was measured (informative; 0 where
 * unknown); tries: how many times the node was measured (1 to
 * TUNE_MAX_TRIES). A close call (margin below TUNE_CLOSE) is measured
 * again on later starts until it was measured TUNE_MAX_TRIES times; a
 * disturbed one (spread above TUNE_DISTURBED) once more; at most
 * TUNE_REMEASURE_PER_RUN nodes per start, then the entries are frozen. A
 * re-measure replaces the entry unless it looked more disturbed than the
 * one before (then only its count goes up). Nodes of one signature
 * measured in this start are not measured again in it.
 *
 * The node signature is the op type, the dtype and shape of every input
 * (and whether it is constant), the attributes and the fused epilogue. A
 * file that does not start with these two lines (an older format such as
 * YOLOTUNE1, corrupt, foreign) is ignored with one message, as are lines
 * that are not a key, a name and four values in range (one message
 * counting them) and names that are not among the node's candidates; the
 * file is rewritten whole (temporary file + rename) when something new
 * was measured. */
#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo-tune.h"
#include "yolo-kernels.h"

#define TUNE_MAGIC "YOLOTUNE2"
#define TUNE_RUNS 5
#define TUNE_MAX_BYTES (1 << 20)
/* a winner less than 5% faster than the runner-up is a close call */
#define TUNE_CLOSE 1.05
/* a median run 25% above the fastest: the measurement was disturbed */
#define TUNE_DISTURBED 1.25
#define TUNE_MAX_TRIES 3
#define TUNE_REMEASURE_PER_RUN 4
/* margins and spreads are stored clamped to this; larger ones in a file
 * are refused */
#define TUNE_MAX_VALUE 1000.0

#ifndef YOLO_ENGINE_VERSION
#define YOLO_ENGINE_VERSION "unknown"
#endif

typedef enum
{
  TUNE_OFF,
  TUNE_CACHED,
  TUNE_ON,
} TuneMode;

typedef struct
{
  char *impl;                   /* the winner's name */
  double margin, spread, load;
  guint tries;
} TuneEntry;

struct _YoloTuner
{
  TuneMode mode;
  char *path;
  char *device_line;
  GHashTable *winners;          /* key hex -> TuneEntry (owned) */
  GHashTable *fresh;            /* keys measured by this tuner (a node of
                                 * the same signature is not measured again
                                 * in the same start) */
  gboolean dirty;
  guint n_measured, n_cached, n_remeasured;
  YoloTunerTimesHook hook;
  gpointer hook_data;
};

/* The choices settled in this process, "device line\nnode key" -> impl
 * name: a later engine of the same device and node signature takes the
 * same variant (no re-measure, whatever the cache file says), so that two
 * engines of one model in one process (two streams, a batch-N engine next
 * to a batch-1 one) compute the same bits. */
G_LOCK_DEFINE_STATIC (settled);
static GHashTable *settled;

static char *
settled_key (YoloTuner * t, const char *key)
{
  return g_strconcat (t->device_line ? t->device_line : "", "\n", key, NULL);
}

static char *
settled_lookup (YoloTuner * t, const char *key)
{
  char *k = settled_key (t, key), *impl = NULL;

  G_LOCK (settled);
  if (settled)
    impl = g_strdup (g_hash_table_lookup (settled, k));
  G_UNLOCK (settled);
  g_free (k);
  return impl;
}

static void
settled_store (YoloTuner * t, const char *key, const char *impl)
{
  G_LOCK (settled);
  if (!settled)
    settled = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_replace (settled, settled_key (t, key), g_strdup (impl));
  G_UNLOCK (settled);
}

void
yolo_tuner_forget_settled (void)
{
  G_LOCK (settled);
  g_clear_pointer (&settled, g_hash_table_unref);
  G_UNLOCK (settled);
}

static void
entry_free (gpointer p)
{
  TuneEntry *e = p;

  g_free (e->impl);
  g_free (e);
}

static TuneEntry *
entry_new (const char *impl, double margin, double spread, double load,
    guint tries)
{
  TuneEntry *e = g_new0 (TuneEntry, 1);

  e->impl = g_strdup (impl);
  e->margin = margin;
  e->spread = spread;
  e->load = load;
  e->tries = tries;
  return e;
}

static char *
device_line (YoloRuntime * rt)
{
  const YoloDeviceInfo *d = yolo_rt_device (rt);
  GChecksum *ck = g_checksum_new (G_CHECKSUM_SHA256);
  char *line;

  for (const YoloKernelUnit * u = yolo_kernel_units; u->name; u++)
    g_checksum_update (ck, (const guchar *) u->hash, -1);
  line = g_strdup_printf ("# %s | %s | %s | %s-%.12s",
      d->name ? d->name : "", d->driver ? d->driver : "",
      d->platform ? d->platform : "", YOLO_ENGINE_VERSION,
      g_checksum_get_string (ck));
  g_checksum_free (ck);
  /* one line, whatever the driver strings hold */
  g_strdelimit (line, "\r\n", ' ');
  return line;
}

/* The file name hashes the format too: a build of another format (an
 * older engine sharing the cache directory) keeps its own file instead of
 * both rewriting one file, each measuring everything again at every start
 * (a file of another format found at this name is still refused with a
 * message). */
static char *
path_for (const char *dline)
{
  char *both = g_strconcat (TUNE_MAGIC "\n", dline, NULL);
  char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, both, -1);
  char *name = g_strdup_printf ("tune-%.32s.txt", hash);
  char *path = g_build_filename (g_get_user_cache_dir (), "gst-yolo", name,
      NULL);

  g_free (name);
  g_free (hash);
  g_free (both);
  return path;
}

char *
yolo_tuner_cache_path (YoloRuntime * rt)
{
  char *dline = device_line (rt);
  char *path = path_for (dline);

  g_free (dline);
  return path;
}

static gboolean
is_key (const char *s)
{
  if (strlen (s) != 64)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isxdigit (*s) || g_ascii_isupper (*s))
      return FALSE;
  return TRUE;
}

static gboolean
is_name (const char *s)
{
  gsize n = strlen (s);

  if (n == 0 || n > 64)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_islower (*s) && !g_ascii_isdigit (*s) && *s != '-')
      return FALSE;
  return TRUE;
}

/* A number in [lo, hi] (finite; the whole token). */
static gboolean
parse_value (const char *s, double lo, double hi, double *v)
{
  char *end = NULL;

  if (!s || !*s || strlen (s) > 32)
    return FALSE;
  *v = g_ascii_strtod (s, &end);
  return end && !*end && isfinite (*v) && *v >= lo && *v <= hi;
}

/* One entry line: key, name, margin, spread, load, tries. */
static gboolean
parse_entry (YoloTuner * t, const char *line)
{
  char **f = g_strsplit (line, " ", -1);
  double margin, spread, load;
  guint64 tries = 0;
  gboolean ok = g_strv_length (f) == 6 && is_key (f[0]) && is_name (f[1])
      && parse_value (f[2], 1.0, TUNE_MAX_VALUE, &margin)
      && parse_value (f[3], 1.0, TUNE_MAX_VALUE, &spread)
      && parse_value (f[4], 0.0, 1e6, &load)
      && g_ascii_string_to_unsigned (f[5], 10, 1, TUNE_MAX_TRIES, &tries,
      NULL);

  if (ok)
    g_hash_table_replace (t->winners, g_strdup (f[0]), entry_new (f[1],
            margin, spread, load, (guint) tries));
  g_strfreev (f);
  return ok;
}

static void
load (YoloTuner * t)
{
  GStatBuf st;
  char *data = NULL;
  gsize len = 0;
  char **lines;
  guint bad = 0;

  if (g_stat (t->path, &st) != 0)
    return;
  if (!S_ISREG (st.st_mode) || st.st_size > TUNE_MAX_BYTES
      || !g_file_get_contents (t->path, &data, &len, NULL)) {
    g_message ("tuning cache %s: not a readable file of at most %d bytes, "
        "ignored (the nodes are measured again)", t->path, TUNE_MAX_BYTES);
    return;
  }
  if (memchr (data, '\0', len)) {
    g_message ("tuning cache %s: binary data, ignored (the nodes are "
        "measured again)", t->path);
    g_free (data);
    return;
  }
  lines = g_strsplit (data, "\n", -1);
  if (lines[0] && g_str_has_prefix (lines[0], "YOLOTUNE")
      && strcmp (lines[0], TUNE_MAGIC)) {
    g_message ("tuning cache %s: older or unknown format \"%.16s\" (this "
        "engine writes %s), ignored (the nodes are measured again)",
        t->path, lines[0], TUNE_MAGIC);
  } else if (!lines[0] || strcmp (lines[0], TUNE_MAGIC) || !lines[1]
      || strcmp (lines[1], t->device_line)) {
    g_message ("tuning cache %s: not a tuning cache of this device and "
        "engine, ignored (the nodes are measured again)", t->path);
  } else {
    for (guint i = 2; lines[i]; i++)
      if (*lines[i] && !parse_entry (t, lines[i]))
        bad++;
    if (bad)
      g_message ("tuning cache %s: %u malformed line%s ignored (those "
          "nodes are measured again)", t->path, bad, bad > 1 ? "s" : "");
  }
  g_strfreev (lines);
  g_free (data);
}

YoloTuner *
yolo_tuner_new (YoloRuntime * rt)
{
  const char *mode = yolo_rt_options (rt)->tune;
  YoloTuner *t = g_new0 (YoloTuner, 1);

  t->mode = !g_strcmp0 (mode, "off") ? TUNE_OFF :
      !g_strcmp0 (mode, "cached") ? TUNE_CACHED : TUNE_ON;
  t->winners = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      entry_free);
  t->fresh = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  t->device_line = device_line (rt);
  t->path = path_for (t->device_line);
  if (t->mode != TUNE_OFF)
    load (t);
  return t;
}

static int
cmp_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static void
save (YoloTuner * t)
{
  GString *s = g_string_new (TUNE_MAGIC "\n");
  GPtrArray *keys = g_ptr_array_new ();
  char *dir = g_path_get_dirname (t->path);
  GError *err = NULL;

  GHashTableIter it;
  gpointer k;

  g_hash_table_iter_init (&it, t->winners);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (keys, k);
  g_string_append_printf (s, "%s\n", t->device_line);
  g_ptr_array_sort (keys, cmp_str);
  for (guint i = 0; i < keys->len; i++) {
    const char *k = g_ptr_array_index (keys, i);
    const TuneEntry *e = g_hash_table_lookup (t->winners, k);
    char m[G_ASCII_DTOSTR_BUF_SIZE], sp[G_ASCII_DTOSTR_BUF_SIZE];
    char ld[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append_printf (s, "%s %s %s %s %s %u\n", k, e->impl,
        g_ascii_formatd (m, sizeof (m), "%.4f", e->margin),
        g_ascii_formatd (sp, sizeof (sp), "%.4f", e->spread),
        g_ascii_formatd (ld, sizeof (ld), "%.2f", e->load), e->tries);
  }
  if (g_mkdir_with_parents (dir, 0755) != 0
      || !g_file_set_contents (t->path, s->str, s->len, &err))
    g_debug ("tuning cache %s not written: %s", t->path,
        err ? err->message : g_strerror (errno));
  g_clear_error (&err);
  g_free (dir);
  g_ptr_array_unref (keys);
  g_string_free (s, TRUE);
}

void
yolo_tuner_free (YoloTuner * t)
{
  if (!t)
    return;
  if (t->dirty)
    save (t);
  g_hash_table_unref (t->winners);
  g_hash_table_unref (t->fresh);
  g_free (t->device_line);
  g_free (t->path);
  g_free (t);
}

guint
yolo_tuner_n_measured (YoloTuner * t)
{
  return t ? t->n_measured : 0;
}

guint
yolo_tuner_n_cached (YoloTuner * t)
{
  return t ? t->n_cached : 0;
}

guint
yolo_tuner_n_remeasured (YoloTuner * t)
{
  return t ? t->n_remeasured : 0;
}

void
yolo_tuner_set_times_hook (YoloTuner * t, YoloTunerTimesHook hook,
    gpointer data)
{
  t->hook = hook;
  t->hook_data = data;
}

gboolean
yolo_tune_needs_remeasure (double margin, double spread, guint tries)
{
  if (tries >= TUNE_MAX_TRIES)
    return FALSE;
  return margin < TUNE_CLOSE || (spread > TUNE_DISTURBED && tries < 2);
}

static void
sig_tensor (GString * s, const YoloTensor * x)
{
  if (!x) {
    g_string_append (s, " -");
    return;
  }
  g_string_append_printf (s, " %d%s[", (int) x->dtype,
      yolo_tensor_is_const (x) ? "c" : "");
  for (int d = 0; d < x->ndim; d++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, d ? "," : "", x->dims[d]);
  g_string_append_c (s, ']');
}

/* SHA-256 (hex) of the node signature. */
static char *
node_key (YoloGraph * g, YoloNode * n)
{
  GString *s = g_string_new (n->op_type);
  char *key;

  for (int i = 0; i < n->n_inputs; i++)
    sig_tensor (s, YOLO_IN (g, n, i));
  g_string_append (s, " ->");
  for (int i = 0; i < n->n_outputs; i++)
    sig_tensor (s, YOLO_OUT (g, n, i));
  for (int i = 0; i < n->n_attrs; i++) {
    const YoloAttr *a = &n->attrs[i];
    g_string_append_printf (s, " %s=", a->name);
    switch (a->type) {
      case YOLO_ATTR_FLOAT:
        g_string_append_printf (s, "%.9g", a->f);
        break;
      case YOLO_ATTR_INT:
        g_string_append_printf (s, "%" G_GINT64_FORMAT, a->i);
        break;
      case YOLO_ATTR_STRING:
        g_string_append_printf (s, "'%s'", a->s ? a->s : "");
        break;
      case YOLO_ATTR_INTS:
        for (int k = 0; k < a->n; k++)
          g_string_append_printf (s, "%s%" G_GINT64_FORMAT, k ? "," : "",
              a->ints[k]);
        break;
      case YOLO_ATTR_FLOATS:
        for (int k = 0; k < a->n; k++)
          g_string_append_printf (s, "%s%.9g", k ? "," : "", a->floats[k]);
        break;
      default:
        break;
    }
  }
  g_string_append_printf (s, " act=%d,%.9g,%.9g res=%d", (int) n->act,
      n->act_alpha, n->act_beta, n->residual >= 0);
  if (n->qepi)                  /* a fused QDQ epilogue (yolo-qdq-fuse.c) */
    g_string_append_printf (s, " qdq=%u,%d", n->qepi->mask, n->qepi->codes);
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, s->str, s->len);
  g_string_free (s, TRUE);
  return key;
}

static gboolean
prepare_one (YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    const YoloOpImpl * impl, GError ** error)
{
  gboolean ok;

  yolo_rt_set_variant (rt, impl->name);
  ok = impl->prepare (rt, g, n, error);
  yolo_rt_set_variant (rt, NULL);
  return ok;
}

/* Prepares *chosen (the cached or measured winner, else the static first
 * choice); when that fails (a driver that now refuses what it built when
 * the winner was cached, a kernel that no longer fits), rolls it back and
 * prepares the next tunable candidate that works instead, and rewrites
 * the node's cache entry with it, so that the next start does not try the
 * failing one first. The error of the first failure is returned when none
 * works. */
static gboolean
prepare_fallback (YoloTuner * t, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, GPtrArray * comp, const char *key,
    const YoloOpImpl ** chosen, GError ** error)
{
  const YoloOpImpl *failed = *chosen;
  GError *first_err = NULL;
  YoloRtMark mark;

  yolo_rt_mark (rt, &mark);
  if (prepare_one (rt, g, n, failed, &first_err))
    return TRUE;
  yolo_rt_rollback (rt, &mark);
  for (guint i = 0; i < comp->len; i++) {
    const YoloOpImpl *c = g_ptr_array_index (comp, i);
    GError *err = NULL;

    if (c == failed)
      continue;
    if (prepare_one (rt, g, n, c, &err)) {
      g_debug ("%s \"%s\": %s failed (%s), %s instead", n->op_type, n->name,
          failed->name, first_err->message, c->name);
      {
        TuneEntry *e = g_hash_table_lookup (t->winners, key);

        /* the measured figures were not this one's: measured again on a
         * later start where tries allow */
        g_hash_table_replace (t->winners, g_strdup (key), entry_new (c->name,
                1.0, 1.0, e ? e->load : 0, e ? e->tries : 1));
      }
      t->dirty = TRUE;
      g_error_free (first_err);
      *chosen = c;
      return TRUE;
    }
    g_clear_error (&err);
    yolo_rt_rollback (rt, &mark);
  }
  g_propagate_error (error, first_err);
  return FALSE;
}

int
yolo_tune_pick (const YoloRtTrialTime * tt, guint n, double *margin)
{
  gboolean cpu = n > 0;
  int best = -1;
  double b = 0, second = -1;

  for (guint i = 0; i < n; i++)
    cpu = cpu && tt[i].cpu_ms >= 0;
  for (guint i = 0; i < n; i++) {
    double s = cpu ? tt[i].cpu_ms : tt[i].wall_ms;

    if (s < 0)
      continue;
    if (best < 0 || s < b) {
      if (best >= 0)
        second = b;
      best = i;
      b = s;
    } else if (second < 0 || s < second) {
      second = s;
    }
  }
  if (margin)
    *margin = best < 0 || second < 0 ? 1 : b > 0 ? second / b : G_MAXDOUBLE;
  return best;
}

/* The 1-minute load average, 0 where unknown. */
static double
load_average (void)
{
  double l[1] = { 0 };

  return getloadavg (l, 1) == 1 && isfinite (l[0]) && l[0] >= 0 ?
      MIN (l[0], 1e6) : 0;
}

/* Prepares every candidate of comp into a trial, times them and rolls
 * them all back; the winner (NULL when none could be timed) with its
 * margin and spread. */
static const YoloOpImpl *
measure (YoloTuner * t, YoloRuntime * rt, YoloGraph * g, YoloNode * n,
    GPtrArray * comp, double *margin, double *spread)
{
  /* Every candidate is prepared, one after the other, then all are
   * timed taking turns (yolo_rt_time_trials); with PoCL's cache cold
   * the prewarm has received all their (kernel, local size) pairs
   * and compiles them at once on every core before the first run. */
  YoloRtMark *marks = g_new (YoloRtMark, comp->len);
  YoloRtTrialTime *tt = g_new (YoloRtTrialTime, comp->len);
  const YoloOpImpl **trial = g_new (const YoloOpImpl *, comp->len);
  const YoloOpImpl *best = NULL;
  guint nt = 0;
  GError *err = NULL;
  int w;

  *margin = *spread = 1;
  for (guint i = 0; i < comp->len; i++) {
    const YoloOpImpl *c = g_ptr_array_index (comp, i);

    yolo_rt_mark (rt, &marks[nt]);
    if (prepare_one (rt, g, n, c, &err)) {
      trial[nt++] = c;
    } else {
      g_debug ("%s \"%s\": trial of %s failed: %s", n->op_type, n->name,
          c->name, err->message);
      g_clear_error (&err);
      yolo_rt_rollback (rt, &marks[nt]);
    }
  }
  if (nt > 0 && yolo_rt_time_trials (rt, marks, nt, TUNE_RUNS, tt, &err)) {
    if (t->hook) {
      const char **names = g_new0 (const char *, nt + 1);

      for (guint i = 0; i < nt; i++)
        names[i] = trial[i]->name;
      t->hook (names, tt, nt, t->hook_data);
      g_free (names);
    }
    for (guint i = 0; i < nt; i++) {
      g_debug ("%s \"%s\": %s %.3f ms (CPU %.3f ms busiest thread, "
          "%.3f ms all), spread %.2f", n->op_type, n->name, trial[i]->name,
          tt[i].wall_ms, tt[i].cpu_ms, tt[i].cpu_total_ms, tt[i].spread);
      if (isfinite (tt[i].spread))
        *spread = MAX (*spread, tt[i].spread);
    }
    w = yolo_tune_pick (tt, nt, margin);
    best = w >= 0 ? trial[w] : NULL;
  } else if (nt > 0) {
    g_debug ("%s \"%s\": trials failed: %s", n->op_type, n->name,
        err ? err->message : "?");
    g_clear_error (&err);
  }
  if (nt > 0)
    yolo_rt_rollback (rt, &marks[0]);
  g_free (trial);
  g_free (tt);
  g_free (marks);
  *margin = isfinite (*margin) ? CLAMP (*margin, 1.0, TUNE_MAX_VALUE) : 1.0;
  *spread = CLAMP (*spread, 1.0, TUNE_MAX_VALUE);
  return best;
}

gboolean
yolo_tuner_prepare (YoloTuner * t, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, GPtrArray * cands, const YoloOpImpl ** chosen,
    GError ** error)
{
  const YoloOpImpl *first = g_ptr_array_index (cands, 0), *best = NULL;
  GPtrArray *comp;
  TuneEntry *cached;
  char *key;
  gboolean ok, again = FALSE;

  *chosen = first;
  if (!t || t->mode == TUNE_OFF || !(first->flags & YOLO_IMPL_TUNABLE))
    return prepare_one (rt, g, n, first, error);
  comp = g_ptr_array_new ();
  for (guint i = 0; i < cands->len; i++) {
    const YoloOpImpl *c = g_ptr_array_index (cands, i);
    if (c->flags & YOLO_IMPL_TUNABLE)
      g_ptr_array_add (comp, (gpointer) c);
  }
  if (comp->len < 2) {
    g_ptr_array_unref (comp);
    return prepare_one (rt, g, n, first, error);
  }

  key = node_key (g, n);
  cached = g_hash_table_lookup (t->winners, key);
  for (guint i = 0; cached && i < comp->len; i++)
    if (!strcmp (((const YoloOpImpl *) g_ptr_array_index (comp, i))->name,
            cached->impl))
      best = g_ptr_array_index (comp, i);
  /* settled by an earlier engine of this process: the same variant */
  {
    char *impl = settled_lookup (t, key);

    for (guint i = 0; impl && i < comp->len; i++)
      if (!strcmp (((const YoloOpImpl *) g_ptr_array_index (comp, i))->name,
              impl)) {
        const YoloOpImpl *s = g_ptr_array_index (comp, i);

        g_free (impl);
        t->n_cached++;
        g_debug ("%s \"%s\": %s (settled earlier in this process)",
            n->op_type, n->name, s->name);
        *chosen = s;
        ok = prepare_fallback (t, rt, g, n, comp, key, chosen, error);
        if (ok)
          settled_store (t, key, (*chosen)->name);
        g_free (key);
        g_ptr_array_unref (comp);
        return ok;
      }
    g_free (impl);
  }
  /* a close or disturbed call of an earlier start: measured again, a few
   * nodes per start */
  if (best && t->mode == TUNE_ON
      && t->n_remeasured < TUNE_REMEASURE_PER_RUN
      && !g_hash_table_contains (t->fresh, key)
      && yolo_tune_needs_remeasure (cached->margin, cached->spread,
          cached->tries)) {
    again = TRUE;
    t->n_remeasured++;
  }
  if (best && !again) {
    t->n_cached++;
    g_debug ("%s \"%s\": %s (tuning cache, margin %.3f, spread %.2f, "
        "measured %u time%s)", n->op_type, n->name, best->name,
        cached->margin, cached->spread, cached->tries,
        cached->tries > 1 ? "s" : "");
  } else if (t->mode == TUNE_ON) {
    double margin, spread;
    const YoloOpImpl *m = measure (t, rt, g, n, comp, &margin, &spread);

    if (m)
      g_hash_table_add (t->fresh, g_strdup (key));

    if (m && again) {
      guint tries = cached->tries + 1;

      t->n_measured++;
      if (spread > TUNE_DISTURBED && spread > cached->spread) {
        /* more disturbed than the measurement it would replace */
        g_debug ("%s \"%s\": measured again, %s (margin %.3f) under a "
            "spread of %.2f against %.2f: %s kept", n->op_type, n->name,
            m->name, margin, spread, cached->spread, best->name);
        cached->tries = tries;
      } else {
        g_debug ("%s \"%s\": measured again (was %s, margin %.3f, spread "
            "%.2f): %s, margin %.3f, spread %.2f", n->op_type, n->name,
            best->name, cached->margin, cached->spread, m->name, margin,
            spread);
        g_hash_table_replace (t->winners, g_strdup (key), entry_new (m->name,
                margin, spread, load_average (), tries));
        best = m;
      }
      t->dirty = TRUE;
    } else if (m) {
      best = m;
      t->n_measured++;
      g_hash_table_replace (t->winners, g_strdup (key), entry_new (m->name,
              margin, spread, load_average (), 1));
      t->dirty = TRUE;
      g_debug ("%s \"%s\": %s (measured, margin %.3f, spread %.2f)",
          n->op_type, n->name, best->name, margin, spread);
    } else if (best) {
      t->n_cached++;            /* the trials failed: the cached one */
    }
  }
  if (best)
    *chosen = best;
  ok = prepare_fallback (t, rt, g, n, comp, key, chosen, error);
  if (ok && best)
    settled_store (t, key, (*chosen)->name);
  g_free (key);
  g_ptr_array_unref (comp);
  return ok;
}
