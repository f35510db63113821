/* yolo-lower.c - lowering of a node onto the backend: which impl records
 * its launches (see yolo-backend.h for the contract and yolo-engine.h for
 * the conv_kernel / matmul_kernel options). */
#include <string.h>

#include "yolo-lower.h"
#include "yolo-tune.h"

/* The legacy values of conv_kernel / matmul_kernel as impl names. */
static const struct
{
  const char *op_type, *value, *names;
} aliases[] = {
  {"Conv", "gpu", "conv-gpu-c8,conv-generic"},
  {"Conv", "tiled", "conv-tiled,conv-tiled-wg32"},
  {"Conv", "wino", "conv-wino4"},
  {"Conv", "direct", "conv-cpu-3x3s1"},
  {"ConvInteger", "gpu", "conv-integer-c8,conv-integer-generic"},
  {"MatMul", "tiled", "matmul-tiled,matmul-tiled-wg32"},
  {"MatMul", "tile", "matmul-tile"},
};

const char *
yolo_lower_forced (YoloRuntime * rt, const YoloNode * n)
{
  const YoloEngineOptions *o = yolo_rt_options (rt);
  const char *op = n->op_type, *v;

  if (!strcmp (op, "Conv"))
    v = o->conv_kernel;
  else if (!strcmp (op, "ConvInteger") || !strcmp (op, "ConvIntegerToFloat")) {
    /* the int8 convs take conv_kernel's "gpu" (their scalar kernels) */
    v = o->conv_kernel;
    op = "ConvInteger";
  } else if (!strcmp (op, "MatMul") || !strcmp (op, "Gemm")) {
    v = o->matmul_kernel;
    op = "MatMul";
  } else
    return NULL;
  if (!v || !strcmp (v, "auto"))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (!strcmp (aliases[i].op_type, op) && !strcmp (aliases[i].value, v))
      return aliases[i].names;
  return strcmp (op, "ConvInteger") ? v : NULL;
}

gboolean
yolo_lower_node (const YoloBackend * b, YoloRuntime * rt, YoloTuner * tuner,
    YoloGraph * g, YoloNode * n, GError ** error)
{
  GPtrArray *cands;
  const YoloOpImpl *impl;
  const char *forced;
  gboolean ok;

  if (!yolo_backend_implements (b, n->op_type)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s node \"%s\": this operator can only be computed on constants "
        "here, but its input is computed at run time", n->op_type, n->name);
    return FALSE;
  }
  forced = yolo_lower_forced (rt, n);
  cands = yolo_backend_candidates (b, rt, g, n, forced);
  if (cands->len == 0) {
    g_ptr_array_unref (cands);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s node \"%s\": no kernel variant of this operator supports it on "
        "%s", n->op_type, n->name, yolo_rt_device (rt)->name);
    return FALSE;
  }
  /* a variant named by an option is not tuned */
  ok = yolo_tuner_prepare (forced ? NULL : tuner, rt, g, n, cands, &impl,
      error);
  g_ptr_array_unref (cands);
  g_debug ("%s \"%s\": %s", n->op_type, n->name, impl->name);
  return ok;
}
