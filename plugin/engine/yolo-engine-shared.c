/* yolo-engine-shared.c - the process-wide registry of shared engines. */
#include "yolo-engine-shared.h"
#include "yolo-engine-private.h"

#include <string.h>

/* A frame waiting for its batch (on its thread's stack). */
typedef struct
{
  float *out0, *out1;
  gboolean done;
  GError *error;
} Slot;

/* The batch being gathered (batch.c: yolo_engine_shared_infer). */
typedef struct
{
  GMutex m;
  GCond c;
  int n, filled;
  int streaming;                /* users that send frames (not at EOS) */
  guint64 gen;
  gint64 deadline;              /* monotonic us: run what there is */
  Slot **slots;
  gint64 per0, per1;            /* values per image (per1 0: no output 1) */
} Batch;

typedef struct
{
  char *id;
  char *model;                  /* canonical path */
  YoloEngineOptions opt;        /* strings owned */
  YoloEngine *engine;
  guint users;
  Batch batch;
} Instance;

/* a GRecMutex (pthread_mutex_t), not a GMutex (a bare futex on Linux): the
 * thread sanitizer sees it */
static GRecMutex registry_lock;
static GHashTable *by_id;       /* id -> Instance */

#define OPT_STRINGS(X) X(device) X(program_cache) X(tune) X(conv_kernel) \
  X(wino_layout) X(matmul_kernel) X(preproc_kernel) X(preproc_upload)

static void
instance_free (Instance * in)
{
#define FREE_STR(f) g_free ((char *) in->opt.f);
  OPT_STRINGS (FREE_STR);
#undef FREE_STR
  g_free (in->batch.slots);
  g_mutex_clear (&in->batch.m);
  g_cond_clear (&in->batch.c);
  g_free (in->id);
  g_free (in->model);
  g_free (in);
}

static gboolean
same_str (const char *a, const char *b)
{
  return g_strcmp0 (a && *a ? a : NULL, b && *b ? b : NULL) == 0;
}

/* The first option that differs, or NULL. */
static const char *
options_differ (const YoloEngineOptions * a, const YoloEngineOptions * b)
{
#define CMP_STR(f) if (!same_str (a->f, b->f)) return #f;
  OPT_STRINGS (CMP_STR);
#undef CMP_STR
  if (a->input_height != b->input_height || a->input_width != b->input_width)
    return "input size";
  if (MAX (a->batch, 1) != MAX (b->batch, 1))
    return "batch";
  if (!a->profile != !b->profile)
    return "profile";
  if (!a->no_cache != !b->no_cache)
    return "no_cache";
  if (a->max_work_group_size != b->max_work_group_size
      || a->max_local_mem_size != b->max_local_mem_size
      || a->max_mem_alloc_size != b->max_mem_alloc_size
      || a->max_global_mem_size != b->max_global_mem_size)
    return "device limits";
  return NULL;
}

static char *
describe (const char *model, const YoloEngineOptions * o)
{
  return g_strdup_printf ("model %s, device '%s', input size %dx%d", model,
      o->device && *o->device ? o->device : "(default)", o->input_height,
      o->input_width);
}

static gint64
output_numel (YoloEngine * e, guint i)
{
  YoloTensorInfo t;
  gint64 n = 1;

  if (i >= yolo_engine_n_outputs (e) || !yolo_engine_output_info (e, i, &t))
    return 0;
  for (int k = 0; k < t.ndim; k++)
    n *= MAX (t.dims[k], 1);
  return n;
}

static void
batch_init (Batch * b, YoloEngine * e)
{
  YoloTensorInfo in;
  gint64 n0 = output_numel (e, 0), n1 = output_numel (e, 1);

  g_mutex_init (&b->m);
  g_cond_init (&b->c);
  b->n = 1;
  b->streaming = 1;
  if (yolo_engine_input_info (e, 0, &in) && in.ndim >= 1 && in.dims[0] > 1)
    b->n = (int) in.dims[0];
  b->slots = g_new0 (Slot *, b->n);
  b->per0 = n0 / b->n;
  b->per1 = n1 / b->n;
}

/* Runs the gathered images (b->m held), hands each its outputs (copied
 * from where the engine keeps them, yolo_engine_output_data, under its
 * lock). */
static void
batch_run (Batch * b, YoloEngine * e)
{
  GError *err = NULL;
  gboolean want1 = FALSE, ok;
  const float *all0 = NULL, *all1 = NULL;

  for (int i = 0; i < b->filled; i++)
    want1 |= b->slots[i]->out1 != NULL;
  want1 = want1 && b->per1 > 0;
  yolo_engine_lock (e);
  ok = yolo_engine_enqueue (e, &err)
      && (all0 = yolo_engine_output_data (e, 0, &err)) != NULL
      && (!want1 || (all1 = yolo_engine_output_data (e, 1, &err)) != NULL);
  if (!ok)
    yolo_engine_finish (e);
  for (int i = 0; i < b->filled; i++) {
    Slot *s = b->slots[i];
    if (!ok) {
      s->error = g_error_copy (err);
    } else {
      memcpy (s->out0, all0 + i * b->per0, b->per0 * sizeof (float));
      if (s->out1 && all1)
        memcpy (s->out1, all1 + i * b->per1, b->per1 * sizeof (float));
    }
    s->done = TRUE;
    b->slots[i] = NULL;
  }
  yolo_engine_unlock (e);
  g_clear_error (&err);
  b->filled = 0;
  b->gen++;
  g_cond_broadcast (&b->c);
}

/* Whether the gathered images make a batch (b->m held): one from each
 * user still streaming, at most the engine's batch. */
static gboolean
batch_full (const Batch * b)
{
  return b->filled > 0 && b->filled >= MIN (b->n, MAX (b->streaming, 1));
}

void
yolo_engine_shared_streaming (YoloEngine * e, gboolean on)
{
  Instance *in = e ? e->shared : NULL;
  Batch *b;

  if (!in)
    return;
  b = &in->batch;
  g_mutex_lock (&b->m);
  b->streaming += on ? 1 : -1;
  if (!on && batch_full (b))
    batch_run (b, e);           /* the others need not wait for this one */
  g_mutex_unlock (&b->m);
}

gboolean
yolo_engine_shared_infer (YoloEngine * e, YoloPreproc * pp,
    const YoloImage * img, const YoloPreprocParams * params,
    YoloLetterbox * lb, guint timeout_ms, float *out0, float *out1,
    GError ** error)
{
  Instance *in = e->shared;
  Batch *b;
  Slot me = { out0, out1, FALSE, NULL };
  guint64 gen;
  gboolean ok;

  if (!in) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "yolo_engine_shared_infer: the engine is not shared");
    return FALSE;
  }
  b = &in->batch;
  g_mutex_lock (&b->m);
  yolo_engine_lock (e);
  ok = yolo_preproc_set_slot (pp, b->filled, error)
      && yolo_preproc_run (pp, img, params, lb, error);
  if (!ok)
    yolo_engine_finish (e);     /* the upload may still read img */
  yolo_engine_unlock (e);
  if (!ok) {
    g_mutex_unlock (&b->m);
    return FALSE;
  }
  if (b->filled == 0)
    b->deadline = g_get_monotonic_time () + (gint64) timeout_ms *1000;
  b->slots[b->filled++] = &me;
  gen = b->gen;
  if (batch_full (b))
    batch_run (b, e);
  while (!me.done) {
    if (!g_cond_wait_until (&b->c, &b->m, b->deadline) && !me.done
        && b->gen == gen)
      batch_run (b, e);         /* the timeout: run what there is */
  }
  g_mutex_unlock (&b->m);
  if (me.error) {
    g_propagate_error (error, me.error);
    return FALSE;
  }
  return TRUE;
}

YoloEngine *
yolo_engine_shared_acquire (const char *id, const char *model_path,
    const YoloEngineOptions * options, GError ** error)
{
  YoloEngineOptions none = { 0 };
  const YoloEngineOptions *opt = options ? options : &none;
  Instance *in;
  char *model;
  YoloEngine *e = NULL;

  if (!id || !*id) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no instance id given");
    return NULL;
  }
  if (!model_path || !*model_path) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
        "no model file given");
    return NULL;
  }
  model = g_canonicalize_filename (model_path, NULL);

  g_rec_mutex_lock (&registry_lock);
  if (!by_id)
    by_id = g_hash_table_new (g_str_hash, g_str_equal);
  in = g_hash_table_lookup (by_id, id);
  if (in) {
    const char *what = strcmp (in->model, model) ? "model" :
        options_differ (&in->opt, opt);
    if (what) {
      char *have = describe (in->model, &in->opt);
      char *want = describe (model, opt);
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_ARGUMENT,
          "instance '%s' is loaded with other settings (%s differs): it has "
          "%s; asked for %s", id, what, have, want);
      g_free (have);
      g_free (want);
    } else {
      in->users++;
      e = in->engine;
      g_mutex_lock (&in->batch.m);
      in->batch.streaming++;
      g_mutex_unlock (&in->batch.m);
    }
  } else {
    e = yolo_engine_new (model_path, opt, error);
    if (e) {
      in = g_new0 (Instance, 1);
      in->id = g_strdup (id);
      in->model = g_strdup (model);
      in->opt = *opt;
#define DUP_STR(f) in->opt.f = g_strdup (opt->f);
      OPT_STRINGS (DUP_STR);
#undef DUP_STR
      in->engine = e;
      in->users = 1;
      batch_init (&in->batch, e);
      e->shared = in;
      g_hash_table_insert (by_id, in->id, in);
    }
  }
  g_rec_mutex_unlock (&registry_lock);
  g_free (model);
  return e;
}

void
yolo_engine_shared_release (YoloEngine * e)
{
  GHashTableIter it;
  gpointer v;
  Instance *found = NULL;

  if (!e)
    return;
  g_rec_mutex_lock (&registry_lock);
  if (by_id) {
    g_hash_table_iter_init (&it, by_id);
    while (g_hash_table_iter_next (&it, NULL, &v)) {
      Instance *in = v;
      if (in->engine == e) {
        found = in;
        break;
      }
    }
  }
  if (found && --found->users == 0) {
    g_hash_table_remove (by_id, found->id);
    if (g_hash_table_size (by_id) == 0)
      g_clear_pointer (&by_id, g_hash_table_unref);
  } else {
    if (!found)
      g_critical ("yolo_engine_shared_release: engine %p is not shared", e);
    found = NULL;
  }
  g_rec_mutex_unlock (&registry_lock);
  /* freed outside the registry lock: the last user's runs are over */
  if (found) {
    yolo_engine_free (found->engine);
    instance_free (found);
  }
}

guint
yolo_engine_shared_users (const char *id)
{
  Instance *in;
  guint n = 0;

  g_rec_mutex_lock (&registry_lock);
  if (by_id && id && (in = g_hash_table_lookup (by_id, id)))
    n = in->users;
  g_rec_mutex_unlock (&registry_lock);
  return n;
}
