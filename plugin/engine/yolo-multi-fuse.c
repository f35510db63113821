/* yolo-multi-fuse.c - independent Convs of one kind as one ConvMulti node
 * (ops/conv.h), which conv-cpu-1x1-multi / conv-cpu-dw3x3s1-multi run as
 * one launch on wide-vector devices (PoCL). On PoCL each launch costs
 * ~20 us of a core in hand-over between its worker threads (docs/
 * performance.md, "Idle cores between launches"), and the detection heads
 * are parallel chains of small convs: YOLOX's has a classification and a
 * regression branch per scale (1x1 stem, two depthwise 3x3 + 1x1 pairs,
 * the predictions) at three scales, Ultralytics' heads end in a 1x1 per
 * branch and scale.
 *
 * Which convs merge: Convs of one kind (1x1 stride 1 no padding group 1;
 * or depthwise 3x3 stride 1 pads 1), batch 1, float, no fused residual or
 * QDQ epilogue, input and output in the activation arena (not a graph
 * input or output), at the same height: the longest path from the node to
 * the end of the graph; ConvPairs (yolo-pair-fuse.c, which runs first:
 * its kernel is the faster for two convs of one input) of such 1x1s as
 * two convs. Nodes of one height are independent (a path from one to
 * another would make the first higher), so each set runs as one node
 * (sets over YOLO_CONV_MULTI_MAX convs split). The ConvMulti
 * takes the place of the set's first node; the nodes are then put back in
 * a topological order that keeps the old order wherever it can (a node
 * waits only for its inputs and fused residual), so the memory plan and
 * the launches follow it. Only when g->conv_pair (the engine: a
 * wide-vector device, batch 1, no conv_kernel option). */
#include <string.h>

#include "yolo-graph.h"
#include "ops/conv.h"

/* Whether Conv node n (or a ConvPair's half) may merge: its kind, else
 * -1. */
static int
conv_kind (YoloGraph * g, YoloNode * n)
{
  ConvParams p;
  YoloTensor *x, *y;

  if (n->n_inputs < 2 || n->n_inputs > 3 || n->n_outputs != 1
      || n->residual >= 0 || n->qepi || n->inputs[0] < 0)
    return -1;
  x = YOLO_IN (g, n, 0);
  y = YOLO_OUT (g, n, 0);
  if (x->dtype != YOLO_DTYPE_FLOAT || y->dtype != YOLO_DTYPE_FLOAT
      || x->is_input || x->is_output || y->is_output
      || yolo_tensor_is_const (x) || !yolo_conv_params (g, n, &p, NULL)
      || p.N != 1 || p.dh != 1 || p.dw != 1 || p.sh != 1 || p.sw != 1)
    return -1;
  if (yolo_conv_geometry_is_pointwise (&p))
    return YOLO_CONV_MULTI_1X1;
  if (p.kh == 3 && p.kw == 3 && p.group == p.C && p.M == p.C && p.pt == 1
      && p.pl == 1 && p.pb == 1 && p.pr == 1)
    return YOLO_CONV_MULTI_DW3X3S1;
  return -1;
}

/* n's kind when it may merge (a Conv, or a ConvPair whose halves are 1x1
 * convs that may), else -1; *convs the convs it holds. */
static int
mergeable (YoloGraph * g, YoloNode * n, int *convs)
{
  *convs = 1;
  if (n->removed)
    return -1;
  if (strcmp (n->op_type, YOLO_CONV_PAIR_OP) == 0 && n->n_inputs == 6
      && n->n_outputs == 2) {
    YoloNode h;

    *convs = 2;
    for (int k = 0; k < 2; k++) {
      yolo_conv_pair_half (n, k, &h);
      if (conv_kind (g, &h) != YOLO_CONV_MULTI_1X1)
        return -1;
    }
    return YOLO_CONV_MULTI_1X1;
  }
  if (strcmp (n->op_type, "Conv"))
    return -1;
  return conv_kind (g, n);
}

/* heights[i]: the longest path from node i to a node nothing reads
 * (nodes in topological order, so a node's readers come after it). */
static int *
node_heights (YoloGraph * g)
{
  guint nn = g->nodes->len;
  int *h = g_new0 (int, nn);

  for (guint i = nn; i-- > 0;) {
    YoloNode *n = YOLO_N (g, i);

    if (n->removed)
      continue;
    for (int j = -1; j < n->n_inputs; j++) {
      int t = j < 0 ? n->residual : n->inputs[j];
      int p = t >= 0 ? YOLO_T (g, t)->producer : -1;

      if (p >= 0 && (guint) p < i)
        h[p] = MAX (h[p], h[i] + 1);
    }
  }
  return h;
}

/* Replaces the nodes set[0 .. k - 1] (indices in order; Convs and
 * ConvPairs, `convs` convs in all) by one ConvMulti at set[0]'s place. */
static void
make_multi (YoloGraph * g, const guint * set, int k, int convs, int kind)
{
  YoloNode *a = YOLO_N (g, set[0]);
  int *in = g_new (int, 3 * convs), *out = g_new (int, convs);
  gint64 *av = g_new (gint64, convs);
  float *pv = g_new (float, 2 * convs);
  YoloAttr *params;
  int c = 0;

  for (int m = 0; m < k; m++) {
    YoloNode *b = YOLO_N (g, set[m]);
    gboolean pair = strcmp (b->op_type, YOLO_CONV_PAIR_OP) == 0;

    for (int half = 0; half < (pair ? 2 : 1); half++, c++) {
      YoloNode h;

      if (pair)
        yolo_conv_pair_half (b, half, &h);
      else
        h = *b;
      for (int j = 0; j < 3; j++)
        in[3 * c + j] = j < h.n_inputs ? h.inputs[j] : -1;
      out[c] = h.outputs[0];
      av[c] = h.act;
      pv[2 * c] = h.act_alpha;
      pv[2 * c + 1] = h.act_beta;
    }
    if (m > 0)
      b->removed = TRUE;
  }
  g_free (a->inputs);
  g_free (a->outputs);
  a->inputs = in;
  a->n_inputs = 3 * convs;
  a->outputs = out;
  a->n_outputs = convs;
  g_free (a->op_type);
  a->op_type = g_strdup (YOLO_CONV_MULTI_OP);
  a->act = YOLO_ACT_NONE;
  a->act_alpha = a->act_beta = 0;
  yolo_node_add_attr (a, YOLO_CONV_MULTI_KIND, YOLO_ATTR_INT)->i = kind;
  yolo_node_set_ints (a, YOLO_CONV_MULTI_ACTS, convs, av);
  params = yolo_node_add_attr (a, YOLO_CONV_MULTI_ACT_PARAMS, YOLO_ATTR_FLOATS);
  params->n = 2 * convs;
  params->floats = pv;
  g_free (av);
}

/* Puts the nodes back in a topological order: repeatedly the first node
 * (in the current order) whose inputs and residual all exist; removed
 * nodes at the end. The current order is one except where a ConvMulti
 * now stands before the producers of its later members' inputs. */
static void
reorder (YoloGraph * g)
{
  guint nn = g->nodes->len, placed = 0;
  GPtrArray *sorted = g_ptr_array_new_full (nn, NULL);
  gboolean *ready = g_new0 (gboolean, g->tensors->len);
  gboolean *done = g_new0 (gboolean, nn);

  for (guint i = 0; i < g->tensors->len; i++) {
    YoloTensor *t = YOLO_T (g, i);
    ready[i] = t->producer < 0;
  }
  for (guint i = 0; i < nn; i++)
    if (YOLO_N (g, i)->removed) {
      done[i] = TRUE;
      placed++;
    }
  while (placed < nn) {
    guint i;

    for (i = 0; i < nn; i++) {
      YoloNode *n = YOLO_N (g, i);
      gboolean ok = !done[i];

      for (int j = -1; j < n->n_inputs && ok; j++) {
        int t = j < 0 ? n->residual : n->inputs[j];
        ok = t < 0 || ready[t];
      }
      if (ok)
        break;
    }
    if (i == nn)
      break;                    /* not reached: the graph was sorted */
    for (int j = 0; j < YOLO_N (g, i)->n_outputs; j++)
      ready[YOLO_N (g, i)->outputs[j]] = TRUE;
    done[i] = TRUE;
    placed++;
    g_ptr_array_add (sorted, YOLO_N (g, i));
  }
  for (guint i = 0; i < nn; i++)
    if (!done[i] || YOLO_N (g, i)->removed)
      g_ptr_array_add (sorted, YOLO_N (g, i));
  g_free (ready);
  g_free (done);
  /* swap in the new order (the new array takes over freeing the nodes) */
  g_free (g_ptr_array_steal (g->nodes, NULL));
  for (guint i = 0; i < sorted->len; i++)
    g_ptr_array_add (g->nodes, g_ptr_array_index (sorted, i));
  g_ptr_array_unref (sorted);
  yolo_graph_update_uses (g);
}

void
yolo_graph_fuse_conv_multi (YoloGraph * g)
{
  guint nn = g->nodes->len;
  int *kind, *height, *convs;
  guint *set;
  gboolean *taken, merged = FALSE;

  if (!g->conv_pair)
    return;
  yolo_graph_update_uses (g);
  height = node_heights (g);
  kind = g_new (int, nn);
  convs = g_new (int, nn);
  taken = g_new0 (gboolean, nn);
  set = g_new (guint, nn);
  for (guint i = 0; i < nn; i++)
    kind[i] = mergeable (g, YOLO_N (g, i), &convs[i]);
  for (guint i = 0; i < nn; i++) {
    int k = 0;

    if (kind[i] < 0 || taken[i])
      continue;
    /* the nodes of i's kind and height, in runs of at most
     * YOLO_CONV_MULTI_MAX convs */
    for (guint j = i; j < nn; j++) {
      if (taken[j] || kind[j] != kind[i] || height[j] != height[i])
        continue;
      taken[j] = TRUE;
      set[k++] = j;
    }
    for (int s = 0; s < k;) {
      int e = s, c = 0;

      while (e < k && c + convs[set[e]] <= YOLO_CONV_MULTI_MAX)
        c += convs[set[e++]];
      if (e - s >= 2) {
        g_debug ("ConvMulti: %d %s convs at height %d from \"%s\"", c,
            kind[i] == YOLO_CONV_MULTI_1X1 ? "1x1" : "depthwise 3x3",
            height[i], YOLO_N (g, set[s])->name);
        make_multi (g, set + s, e - s, c, kind[i]);
        merged = TRUE;
      }
      s = e;
    }
  }
  g_free (kind);
  g_free (convs);
  g_free (height);
  g_free (taken);
  g_free (set);
  if (merged)
    reorder (g);
}
