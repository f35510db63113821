/* yolo-backend.c - impl lookup and the candidates of a node (see
 * yolo-backend.h). */
#include <string.h>

#include "yolo-backend.h"

gboolean
yolo_impl_has_op (const YoloOpImpl * impl, const char *op_type)
{
  for (const char *const *t = impl->op_types; *t; t++)
    if (!strcmp (*t, op_type))
      return TRUE;
  return FALSE;
}

const YoloOpImpl *
yolo_backend_find (const YoloBackend * b, const char *name)
{
  for (const YoloOpImpl * const *const *arr = b->impls; *arr; arr++)
    for (const YoloOpImpl * const *i = *arr; *i; i++)
      if (!strcmp ((*i)->name, name))
        return *i;
  return NULL;
}

gboolean
yolo_backend_names_valid (const YoloBackend * b, const char *op_type,
    const char *names)
{
  char **v = g_strsplit (names, ",", -1);
  char **ops = g_strsplit (op_type, "|", -1);
  gboolean ok = v[0] != NULL;

  for (guint i = 0; ok && v[i]; i++) {
    const YoloOpImpl *impl = yolo_backend_find (b, v[i]);
    ok = FALSE;
    for (guint j = 0; impl && !ok && ops[j]; j++)
      ok = yolo_impl_has_op (impl, ops[j]);
  }
  g_strfreev (ops);
  g_strfreev (v);
  return ok;
}

static gboolean
impl_supports (const YoloOpImpl * impl, YoloRuntime * rt, YoloGraph * g,
    YoloNode * n)
{
  if (yolo_rt_act_storage (rt) == YOLO_DTYPE_FLOAT16
      && !(impl->flags & YOLO_IMPL_HALF))
    return FALSE;
  return !impl->supports || impl->supports (rt, g, n);
}

GPtrArray *
yolo_backend_candidates (const YoloBackend * b, YoloRuntime * rt,
    YoloGraph * g, YoloNode * n, const char *force)
{
  GPtrArray *out = g_ptr_array_new ();

  if (force && *force) {
    char **v = g_strsplit (force, ",", -1);
    for (guint i = 0; v[i]; i++) {
      const YoloOpImpl *impl = yolo_backend_find (b, v[i]);
      if (impl && yolo_impl_has_op (impl, n->op_type)
          && impl_supports (impl, rt, g, n))
        g_ptr_array_add (out, (gpointer) impl);
    }
    g_strfreev (v);
    if (out->len > 0)
      return out;
  }
  for (const YoloOpImpl * const *const *arr = b->impls; *arr; arr++) {
    for (const YoloOpImpl * const *i = *arr; *i; i++) {
      const YoloOpImpl *impl = *i;
      if (yolo_impl_has_op (impl, n->op_type)
          && (!impl->preferred || impl->preferred (rt, g, n))
          && impl_supports (impl, rt, g, n))
        g_ptr_array_add (out, (gpointer) impl);
    }
  }
  /* half storage: a variant not preferred here rather than none */
  if (out->len == 0 && yolo_rt_act_storage (rt) == YOLO_DTYPE_FLOAT16)
    for (const YoloOpImpl * const *const *arr = b->impls; *arr; arr++)
      for (const YoloOpImpl * const *i = *arr; *i; i++)
        if (yolo_impl_has_op (*i, n->op_type) && impl_supports (*i, rt, g, n))
          g_ptr_array_add (out, (gpointer) * i);
  return out;
}

gboolean
yolo_backend_implements (const YoloBackend * b, const char *op_type)
{
  for (const YoloOpImpl * const *const *arr = b->impls; *arr; arr++)
    for (const YoloOpImpl * const *i = *arr; *i; i++)
      if (yolo_impl_has_op (*i, op_type))
        return TRUE;
  return FALSE;
}
