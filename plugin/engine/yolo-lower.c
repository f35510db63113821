/* yolo-lower.c - lowering of a node onto the backend: which impl records
 * its launches (see yolo-backend.h for the contract and yolo-engine.h for
 * the conv_kernel / matmul_kernel options). */
#include <string.h>

#include "yolo-lower.h"
#include "yolo-tune.h"
#include "yolo-ops.h"
#include "ops/quant.h"
#include "ops/dwsep.h"

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
  {"ScaledDotProductAttention", "tiled", "attention-tiled"},
  {"ScaledDotProductAttention", "tile", "attention-f16"},
};

const char *
yolo_lower_forced (YoloRuntime * rt, const YoloNode * n)
{
  const YoloEngineOptions *o = yolo_rt_options (rt);
  const char *op = n->op_type, *v;

  if (!strcmp (op, "Conv"))
    v = o->conv_kernel;
  else if (!strcmp (op, YOLO_DWSEP_OP)) {
    /* the fused depthwise + 1x1 takes conv_kernel's names of its own
     * variants (conv-cpu-dwsep3x3s1[-split]); anything else there leaves
     * it the automatic choice */
    v = o->conv_kernel;
    return v && yolo_backend_names_valid (&yolo_backend_opencl, op, v) ? v
        : NULL;
  } else if (!strcmp (op, "ConvInteger") || !strcmp (op, "ConvIntegerToFloat")) {
    /* the int8 convs take conv_kernel's "gpu" (their scalar kernels) */
    v = o->conv_kernel;
    op = "ConvInteger";
  } else if (!strcmp (op, "ScaledDotProductAttention")) {
    /* the fused attention takes matmul_kernel's "tiled" / "tile" and its
     * own variant names (attention-tiled, attention-f16) */
    v = o->matmul_kernel;
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
  /* the int8 convs take only their own variant names (conv-int8-1x1) */
  if (!strcmp (op, "ConvInteger"))
    return yolo_backend_names_valid (&yolo_backend_opencl, op, v) ? v : NULL;
  return v;
}

static gboolean lower_one (const YoloBackend * b, YoloRuntime * rt,
    YoloTuner * tuner, YoloGraph * g, YoloNode * n, GError ** error);

/* Tensor index of image i of arena tensor t (batch N): a [1, ...] tensor at
 * t's location + i images, made once per (t, i). */
static int
image_view (YoloGraph * g, int t, gint64 i)
{
  YoloTensor *src = YOLO_T (g, t), *v;
  char *name = g_strdup_printf ("%s#image%" G_GINT64_FORMAT, src->name, i);
  int idx = yolo_graph_tensor (g, name);

  g_free (name);
  src = YOLO_T (g, t);
  v = YOLO_T (g, idx);
  v->dtype = src->dtype;
  v->ndim = src->ndim;
  memcpy (v->dims, src->dims, sizeof (v->dims));
  v->dims[0] = 1;
  v->storage = yolo_tensor_storage (src);
  v->mem = src->mem;
  v->mem_offset = src->mem_offset + i * (yolo_tensor_storage_bytes (src) /
      src->dims[0]);
  return idx;
}

/* A node of batch N > 1 (the engine's batch option) run as N batch-1 ones,
 * one per image, on [1, ...] views at the image's offset of the tensors
 * slots[0..n_slots-1] point at (indices in n's inputs / outputs /
 * residual; -1: none); the variants (and their launches) are those of
 * batch 1. */
static gboolean
lower_per_image (const YoloBackend * b, YoloRuntime * rt, YoloTuner * tuner,
    YoloGraph * g, YoloNode * n, int **slots, int n_slots, GError ** error)
{
  gint64 batch = YOLO_T (g, n->inputs[0])->dims[0];
  int orig[8];
  gboolean ok = TRUE;

  g_assert (n_slots <= (int) G_N_ELEMENTS (orig));
  for (int s = 0; s < n_slots; s++) {
    orig[s] = *slots[s];
    if (orig[s] >= 0 && YOLO_T (g, orig[s])->mem != YOLO_MEM_ARENA) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s node \"%s\": a batch of %" G_GINT64_FORMAT " needs its "
          "tensors in the activation arena (\"%s\" is not)", n->op_type,
          n->name, batch, YOLO_T (g, orig[s])->name);
      return FALSE;
    }
  }
  for (gint64 i = 0; ok && i < batch; i++) {
    for (int s = 0; s < n_slots; s++)
      if (orig[s] >= 0)
        *slots[s] = image_view (g, orig[s], i);
    ok = lower_one (b, rt, tuner, g, n, error);
  }
  for (int s = 0; s < n_slots; s++)
    *slots[s] = orig[s];
  return ok;
}

/* A Conv, ConvTranspose, ConvInteger or ConvIntegerToFloat of batch N > 1:
 * per image on its input, output and fused residual, and on an int8
 * conv's x_zero_point and scale where they hold one per image (those of a
 * per_image DynamicQuantizeLinear); a DynamicQuantizeLinear (or its
 * fake-quantising form) with per_image (ops/quant.h): per image on all its
 * tensors; a MatMulInteger with one a_zero_point per image: per image on
 * A, a_zero_point and the output. Other nodes: FALSE (lowered as they
 * are). */
static gboolean
lower_batch (const YoloBackend * b, YoloRuntime * rt, YoloTuner * tuner,
    YoloGraph * g, YoloNode * n, gboolean * ok, GError ** error)
{
  YoloTensor *x = n->n_inputs > 0 && n->inputs[0] >= 0 ? YOLO_IN (g, n, 0) :
      NULL;
  int *slots[8], n_slots = 0;
  gboolean q = !strcmp (n->op_type, "ConvInteger")
      || !strcmp (n->op_type, "ConvIntegerToFloat");

  if (!x || x->ndim < 1 || x->dims[0] < 2)
    return FALSE;
  if (!strcmp (n->op_type, "DynamicQuantizeLinear")
      || !strcmp (n->op_type, "DynamicQuantizeDequantizeLinear")) {
    if (yolo_dql_images (g, n) < 2)
      return FALSE;
    slots[n_slots++] = &n->inputs[0];
    for (int k = 0; k < n->n_outputs && k < 3; k++)
      slots[n_slots++] = &n->outputs[k];
  } else if (q || !strcmp (n->op_type, "Conv")
      || !strcmp (n->op_type, "ConvTranspose")) {
    if (x->ndim != 4 || n->n_outputs < 1)
      return FALSE;
    slots[n_slots++] = &n->inputs[0];
    slots[n_slots++] = &n->outputs[0];
    slots[n_slots++] = &n->residual;
    for (int k = 2; q && k <= 4; k += 2)
      if (k < n->n_inputs && n->inputs[k] >= 0
          && YOLO_IN (g, n, k)->ndim == 4
          && YOLO_IN (g, n, k)->dims[0] == x->dims[0])
        slots[n_slots++] = &n->inputs[k];
  } else if (!strcmp (n->op_type, "MatMulInteger") && n->n_inputs > 2
      && n->inputs[2] >= 0 && yolo_qmatmul_per_image (x, YOLO_IN (g, n, 2))) {
    slots[n_slots++] = &n->inputs[0];
    slots[n_slots++] = &n->inputs[2];
    slots[n_slots++] = &n->outputs[0];
  } else
    return FALSE;
  *ok = lower_per_image (b, rt, tuner, g, n, slots, n_slots, error);
  return TRUE;
}

gboolean
yolo_lower_node (const YoloBackend * b, YoloRuntime * rt, YoloTuner * tuner,
    YoloGraph * g, YoloNode * n, GError ** error)
{
  gboolean ok;

  if (lower_batch (b, rt, tuner, g, n, &ok, error))
    return ok;
  return lower_one (b, rt, tuner, g, n, error);
}

static gboolean
lower_one (const YoloBackend * b, YoloRuntime * rt, YoloTuner * tuner,
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

static void
add_unit (GPtrArray * units, const char *unit)
{
  if (!unit)
    return;
  for (guint i = 0; i < units->len; i++)
    if (!strcmp (g_ptr_array_index (units, i), unit))
      return;
  g_ptr_array_add (units, (gpointer) unit);
}

const char **
yolo_lower_expected_units (const YoloBackend * b, YoloRuntime * rt,
    YoloGraph * g)
{
  GPtrArray *units = g_ptr_array_new ();

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def;
    const char *forced;
    GPtrArray *cands;

    if (n->removed || !yolo_backend_implements (b, n->op_type))
      continue;
    def = yolo_ops_lookup (n->op_type);
    if (!def || (def->flags & YOLO_OP_VIEW))
      continue;
    forced = yolo_lower_forced (rt, n);
    cands = yolo_backend_candidates (b, rt, g, n, forced);
    for (guint c = 0; c < cands->len; c++) {
      const YoloOpImpl *impl = g_ptr_array_index (cands, c);

      if (c == 0 || (!forced && (impl->flags & YOLO_IMPL_TUNABLE)))
        add_unit (units, impl->unit);
    }
    g_ptr_array_unref (cands);
  }
  g_ptr_array_add (units, NULL);
  return (const char **) g_ptr_array_free (units, FALSE);
}
