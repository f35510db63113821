/* yolo-plan.c - memory planning, once at load.
 *
 * 1. Views: view ops (Reshape, Flatten, ...) share their input's storage;
 *    a Split whose outer size is 1 makes each output a slice of its input;
 *    a Concat whose outer size is 1 makes each input's storage a slice of
 *    its output, so producers write straight into place (no copies).
 *    A view is made only between tensors of one storage type.
 * 2. Liveness: every storage root lives from the first step that writes any
 *    tensor in it to the last step that reads one; roots whose lifetimes
 *    overlap get disjoint ranges of one arena (greedy, largest first).
 *
 * Everything is in bytes: each tensor takes numel * yolo_dtype_size (its
 * storage type) bytes (yolo_tensor_storage_bytes), every block starts on a
 * 128-byte boundary, so each tensor's element offset (byte offset / width)
 * is exact.
 */
#include "yolo-engine-private.h"
#include "yolo-ops.h"

#include <string.h>

#define ALIGN_BYTES 128

static int
root_of (YoloGraph * g, int t, gint64 * off)
{
  gint64 o = 0;

  while (YOLO_T (g, t)->view_of >= 0) {
    o += YOLO_T (g, t)->view_offset;
    t = YOLO_T (g, t)->view_of;
  }
  if (off)
    *off = o;
  return t;
}

static gint64
outer_size (const YoloTensor * t, int axis)
{
  gint64 n = 1;
  for (int i = 0; i < axis; i++)
    n *= t->dims[i];
  return n;
}

static gboolean
is_runtime (const YoloTensor * t)
{
  return !yolo_tensor_is_const (t);
}

static gboolean
same_storage (const YoloTensor * a, const YoloTensor * b)
{
  return yolo_tensor_storage (a) == yolo_tensor_storage (b);
}

/* Bytes of a planned (inferred, size-checked) tensor. */
static gint64
nbytes (const YoloTensor * t)
{
  return MAX (yolo_tensor_storage_bytes (t), 0);
}

static void
plan_views (YoloGraph * g)
{
  /* Forward: view ops and splits. */
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    const YoloOpDef *def = yolo_ops_lookup (n->op_type);
    YoloTensor *x = YOLO_IN (g, n, 0);

    if (n->removed || !x || !is_runtime (x))
      continue;
    if (def && (def->flags & YOLO_OP_VIEW)) {
      if (!same_storage (x, YOLO_OUT (g, n, 0)))
        continue;
      YOLO_OUT (g, n, 0)->view_of = n->inputs[0];
      YOLO_OUT (g, n, 0)->view_offset = 0;
    } else if (!strcmp (n->op_type, "Split")) {
      int axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), x->ndim);
      gint64 off = 0;

      gboolean same = TRUE;

      for (int j = 0; j < n->n_outputs; j++)
        same = same && same_storage (x, YOLO_OUT (g, n, j));
      if (axis < 0 || outer_size (x, axis) != 1 || !same)
        continue;
      for (int j = 0; j < n->n_outputs; j++) {
        YoloTensor *o = YOLO_OUT (g, n, j);
        o->view_of = n->inputs[0];
        o->view_offset = off;
        off += nbytes (o);
      }
    }
  }

  /* Backward: concats, downstream first so nested concats chain. */
  for (gint i = g->nodes->len - 1; i >= 0; i--) {
    YoloNode *n = YOLO_N (g, i);
    YoloTensor *out;
    int axis, croot;
    gint64 coff, total;
    gint64 *slot;

    if (n->removed || strcmp (n->op_type, "Concat"))
      continue;
    out = YOLO_OUT (g, n, 0);
    axis = yolo_axis (yolo_node_attr_int (n, "axis", 0), out->ndim);
    if (axis < 0 || outer_size (out, axis) != 1)
      continue;
    total = nbytes (out);
    slot = g_new0 (gint64, n->n_inputs + 1);
    for (int j = 0; j < n->n_inputs; j++)
      slot[j + 1] = slot[j] + (n->inputs[j] >= 0 ?
          nbytes (YOLO_IN (g, n, j)) : 0);

    for (int j = 0; j < n->n_inputs; j++) {
      YoloTensor *t = YOLO_IN (g, n, j), *R;
      gint64 r, start;
      int root;
      gboolean ok = TRUE;

      if (!t || !is_runtime (t) || nbytes (t) == 0 || !same_storage (t, out))
        continue;
      croot = root_of (g, n->outputs[0], &coff);
      root = root_of (g, n->inputs[j], &r);
      if (root == croot)
        continue;               /* already in place (or not: prepare copies) */
      R = YOLO_T (g, root);
      if (R->is_input || !is_runtime (R) || !same_storage (R, out))
        continue;
      start = slot[j] - r;
      if (start < 0 || start + nbytes (R) > total)
        continue;
      /* Every other input overlapping R's extent must be a view of R at the
       * matching place, else two producers would write the same memory. */
      for (int k = 0; k < n->n_inputs && ok; k++) {
        gint64 rk;
        if (k == j || n->inputs[k] < 0 || slot[k + 1] <= start
            || slot[k] >= start + nbytes (R))
          continue;
        if (root_of (g, n->inputs[k], &rk) != root || rk != slot[k] - start)
          ok = FALSE;
      }
      if (!ok)
        continue;
      R->view_of = n->outputs[0];
      R->view_offset = start;
    }
    g_free (slot);
  }
}

/* TRUE when tensor t is y or a view of y (through any chain of views). */
static gboolean
views_of (YoloGraph * g, int t, int y)
{
  for (; t >= 0; t = YOLO_T (g, t)->view_of)
    if (t == y)
      return TRUE;
  return FALSE;
}

/* TRUE when no node after step `after`, and nothing after the run, reads
 * a tensor in the storage root `root` other than y and views of y. */
static gboolean
root_dead_after (YoloGraph * g, int root, guint after, int y)
{
  for (guint t = 0; t < g->tensors->len; t++)
    if (YOLO_T (g, t)->is_output && root_of (g, t, NULL) == root
        && !views_of (g, t, y))
      return FALSE;
  for (guint i = after + 1; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    for (int j = -1; j < n->n_inputs; j++) {
      int t = j < 0 ? n->residual : n->inputs[j];
      if (t >= 0 && root_of (g, t, NULL) == root && !views_of (g, t, y))
        return FALSE;
    }
  }
  return TRUE;
}

/* In place: a DynamicQuantizeDequantizeLinear (the float emulation of
 * dynamic int8, yolo-quant-fuse.c) writes its fake-quantised y over its
 * input x when nothing reads x's storage after it (x is then read by this
 * node only, and by nothing else sharing its memory: no other Split
 * output, Concat or graph output). Every element of y depends on its own
 * element of x only and the min / max pass has finished reading x before
 * the quantising pass writes, so the values are the same; the pass then
 * writes over lines it has just read, and x and y take one block. */
static void
plan_dql_in_place (YoloGraph * g)
{
  int all = 0, done = 0;

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    YoloTensor *x, *y;
    int root;

    if (n->removed || n->n_inputs < 1 || n->n_outputs < 1
        || strcmp (n->op_type, "DynamicQuantizeDequantizeLinear"))
      continue;
    all++;
    x = YOLO_IN (g, n, 0);
    y = YOLO_OUT (g, n, 0);
    if (!x || !is_runtime (x) || !is_runtime (y) || !same_storage (x, y)
        || nbytes (x) != nbytes (y) || y->view_of >= 0 || y->is_output)
      continue;
    root = root_of (g, n->inputs[0], NULL);
    if (YOLO_T (g, root)->is_input
        || !root_dead_after (g, root, i, n->outputs[0]))
      continue;
    y->view_of = n->inputs[0];
    y->view_offset = 0;
    done++;
  }
  if (all > 0)
    g_debug ("memory plan: %d of %d DynamicQuantizeDequantizeLinear in "
        "place", done, all);
}

typedef struct
{
  int root;
  gint64 size, first, last, offset;
} Block;

static gint
block_cmp (gconstpointer a, gconstpointer b)
{
  const Block *x = a, *y = b;
  if (x->size != y->size)
    return x->size < y->size ? 1 : -1;
  return x->first < y->first ? -1 : x->first > y->first;
}

/* Other orders for the greedy placement (largest first is not always the
 * tightest): longest lifetime first, then the largest size x lifetime. */
static gint
block_cmp_life (gconstpointer a, gconstpointer b)
{
  const Block *x = a, *y = b;
  gint64 lx = x->last - x->first, ly = y->last - y->first;

  if (lx != ly)
    return lx < ly ? 1 : -1;
  return block_cmp (a, b);
}

static gint
block_cmp_area (gconstpointer a, gconstpointer b)
{
  const Block *x = a, *y = b;
  double ax = (double) x->size * (MIN (x->last, G_MAXINT32) - x->first + 1);
  double ay = (double) y->size * (MIN (y->last, G_MAXINT32) - y->first + 1);

  if (ax != ay)
    return ax < ay ? 1 : -1;
  return block_cmp (a, b);
}

/* Greedy: each block, in the array's order, at the lowest offset free
 * during its lifetime. Returns the arena size (bytes). */
static gint64
place_blocks (GArray * blocks)
{
  gint64 arena = 0;

  for (guint i = 0; i < blocks->len; i++) {
    Block *b = &g_array_index (blocks, Block, i);
    gint64 off = 0;
    gboolean moved = TRUE;

    while (moved) {
      moved = FALSE;
      for (guint j = 0; j < i; j++) {
        Block *p = &g_array_index (blocks, Block, j);
        if (p->last < b->first || b->last < p->first)
          continue;
        if (off < p->offset + p->size && p->offset < off + b->size) {
          off = p->offset + p->size;
          moved = TRUE;
        }
      }
    }
    b->offset = off;
    arena = MAX (arena, off + b->size);
  }
  return arena;
}

void
yolo_plan_storage (YoloGraph * g, YoloDType float_storage)
{
  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);

    t->storage = YOLO_DTYPE_UNDEFINED;
    if (yolo_dtype_is_float (t->dtype) && is_runtime (t))
      t->storage = float_storage;
    t->storage = yolo_tensor_storage (t);
  }
}

gint64
yolo_plan_memory (YoloGraph * g)
{
  guint nt = g->tensors->len;
  gint64 *first = g_new (gint64, nt), *last = g_new (gint64, nt);
  gboolean *used = g_new0 (gboolean, nt);
  GArray *blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  gint64 step = 0, arena = 0;
  const gint64 END = G_MAXINT64 / 4;

  for (guint i = 0; i < nt; i++) {
    YoloTensor *t = YOLO_T (g, i);
    t->view_of = -1;
    t->view_offset = 0;
    t->mem = YOLO_MEM_NONE;
    t->mem_offset = -1;
    first[i] = END;
    last[i] = -1;
  }
  plan_views (g);
  plan_dql_in_place (g);

#define TOUCH(ti, s) G_STMT_START {                                     \
    int r_ = root_of (g, (ti), NULL);                                    \
    if (is_runtime (YOLO_T (g, (ti)))) {                                 \
      used[r_] = TRUE;                                                   \
      first[r_] = MIN (first[r_], (s));                                  \
      last[r_] = MAX (last[r_], (s));                                    \
    }                                                                    \
  } G_STMT_END

  for (guint i = 0; i < g->inputs->len; i++)
    TOUCH (g_array_index (g->inputs, int, i), (gint64) 0);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    step++;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] >= 0)
        TOUCH (n->inputs[j], step);
    if (n->residual >= 0)
      TOUCH (n->residual, step);
    for (int j = 0; j < n->n_outputs; j++)
      TOUCH (n->outputs[j], step);
  }
  for (guint i = 0; i < g->outputs->len; i++)
    TOUCH (g_array_index (g->outputs, int, i), END);
  /* tensors read after the run that are no graph outputs (the input of an
   * nms=True tail computed on the host, yolo-nms-tail.h) */
  for (guint i = 0; i < nt; i++)
    if (YOLO_T (g, i)->is_output)
      TOUCH ((int) i, END);
#undef TOUCH

  for (guint i = 0; i < nt; i++) {
    if (!used[i] || YOLO_T (g, i)->view_of >= 0)
      continue;
    Block b = { i, nbytes (YOLO_T (g, i)), first[i], last[i], 0 };
    /* each tensor <= YOLO_MAX_HOST_BYTES (checked at inference): no
     * overflow here nor in the sums below */
    b.size = (MAX (b.size, 1) + ALIGN_BYTES - 1) / ALIGN_BYTES * ALIGN_BYTES;
    g_array_append_val (blocks, b);
  }
  /* The smallest arena of the greedy placement in each order (ties: the
   * first order, largest first). */
  {
    GCompareFunc orders[] = { block_cmp, block_cmp_life, block_cmp_area };
    GArray *best = NULL;

    for (guint o = 0; o < G_N_ELEMENTS (orders); o++) {
      GArray *try = g_array_copy (blocks);
      gint64 size;

      g_array_sort (try, orders[o]);
      size = place_blocks (try);
      if (!best || size < arena) {
        if (best)
          g_array_unref (best);
        best = try;
        arena = size;
      } else {
        g_array_unref (try);
      }
    }
    g_array_unref (blocks);
    blocks = best;
  }
  for (guint i = 0; i < blocks->len; i++) {
    const Block *b = &g_array_index (blocks, Block, i);
    YOLO_T (g, b->root)->mem = YOLO_MEM_ARENA;
    YOLO_T (g, b->root)->mem_offset = b->offset;
  }

  /* The lower bound of any placement: the largest sum of the blocks live
   * at one step (the greedy placement above can only do worse). */
  if (!g_log_writer_default_would_drop (G_LOG_LEVEL_DEBUG, G_LOG_DOMAIN)) {
    gint64 best = 0, best_step = 0;
    for (gint64 s = 0; s <= step; s++) {
      gint64 live = 0;
      for (guint i = 0; i < blocks->len; i++) {
        const Block *b = &g_array_index (blocks, Block, i);
        if (b->first <= s && s <= b->last)
          live += b->size;
      }
      if (live > best) {
        best = live;
        best_step = s;
      }
    }
    g_debug ("memory plan: arena %.2f MiB, largest set of tensors live at "
        "one step %.2f MiB (step %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
        ")", arena / 1048576.0, best / 1048576.0, best_step, step);
  }

  /* Resolve views. */
  for (guint i = 0; i < nt; i++) {
    YoloTensor *t = YOLO_T (g, i);
    gint64 off;
    int r;

    if (t->view_of < 0)
      continue;
    r = root_of (g, i, &off);
    if (YOLO_T (g, r)->mem == YOLO_MEM_ARENA) {
      t->mem = YOLO_MEM_ARENA;
      t->mem_offset = YOLO_T (g, r)->mem_offset + off;
    }
  }

  g_array_unref (blocks);
  g_free (first);
  g_free (last);
  g_free (used);
  return arena;
}
