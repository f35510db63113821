/* yolo-tune.h - the measured choice among kernel variants, and its cache
 * (yolo-tune.c). */
#ifndef YOLO_TUNE_H
#define YOLO_TUNE_H

#include "yolo-backend.h"

G_BEGIN_DECLS

typedef struct _YoloTuner YoloTuner;

/* A tuner for the runtime's device, in the mode of the runtime's tune
 * option ("off": never measures nor reads the cache; "cached": takes the
 * winners the cache holds, measures nothing; "on": takes them, and
 * measures and remembers the others). Reads the cache file. */
YoloTuner *yolo_tuner_new (YoloRuntime * rt);
/* Writes the cache file when something was measured (atomically; a cache
 * directory that cannot be written just means no cache), then frees. */
void yolo_tuner_free (YoloTuner * t);

/* Chooses among cands (candidates of node n, best first, see
 * yolo-backend.h) and records the winner's launches: where the first
 * candidate and at least one other are YOLO_IMPL_TUNABLE, the tunable
 * ones compete (the cached winner, or each prepared into a trial and
 * timed on the real shapes, the fastest kept and the others' kernels and
 * buffers released); otherwise the first candidate. t may be NULL (no
 * tuning). *chosen receives the impl prepared. */
gboolean yolo_tuner_prepare (YoloTuner * t, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n, GPtrArray * cands, const YoloOpImpl ** chosen,
    GError ** error);

/* The decision rule: the index of the fastest of n trials' times
 * (yolo_rt_time_trials), by the least CPU time of the busiest thread
 * where every trial has one (a CPU device: the wall time the trial takes
 * when its workers have the cores to themselves, without the time other
 * processes' load made them wait), else by the least wall time; trials without a time (< 0) are skipped. *margin
 * (may be NULL) receives the runner-up's time over the winner's (>= 1;
 * 1 without a runner-up). -1 when no trial has a time. */
int yolo_tune_pick (const YoloRtTrialTime * tt, guint n, double *margin);

/* Number of nodes measured (re-measures included) / taken from the cache
 * so far; how many re-measures were started because a cache entry was a
 * close call or a disturbed measurement (at most 4 per start; one whose
 * trials all failed counts too, and its node takes the cached choice). */
guint yolo_tuner_n_measured (YoloTuner * t);
guint yolo_tuner_n_cached (YoloTuner * t);
guint yolo_tuner_n_remeasured (YoloTuner * t);

/* Whether a cache entry is measured again (in mode "on", within the few
 * re-measures a start allows): a close call (margin, the runner-up's time
 * over the winner's, below 1.05) measured fewer than 3 times, or a
 * disturbed measurement (spread, the most disturbed trial's median run
 * over its fastest, above 1.25) measured once. */
gboolean yolo_tune_needs_remeasure (double margin, double spread,
    guint tries);

/* For tests: called with the trials' times (names[i] is trial i's impl,
 * NULL-terminated) after they are measured and before the pick, so that a
 * test can set the times the decision sees; NULL removes it. */
typedef void (*YoloTunerTimesHook) (const char *const *names,
    YoloRtTrialTime * tt, guint n, gpointer data);
void yolo_tuner_set_times_hook (YoloTuner * t, YoloTunerTimesHook hook,
    gpointer data);

/* Forgets the choices settled in this process (a later engine of the same
 * device and node signature takes the variant an earlier one took, with
 * no re-measure): for tests that play several starts in one process. */
void yolo_tuner_forget_settled (void);

/* The cache file of the runtime's device (newly allocated). */
char *yolo_tuner_cache_path (YoloRuntime * rt);

G_END_DECLS
#endif
