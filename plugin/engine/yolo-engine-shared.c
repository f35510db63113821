/* yolo-engine-shared.c - the process-wide registry of shared engines. */
#include "yolo-engine-shared.h"

#include <string.h>

typedef struct
{
  char *id;
  char *model;                  /* canonical path */
  YoloEngineOptions opt;        /* strings owned */
  YoloEngine *engine;
  guint users;
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
