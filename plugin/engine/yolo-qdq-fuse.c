/* yolo-qdq-fuse.c - the static QDQ pass (quantize_static's QDQ format),
 * after yolo-quant-fuse.c made each QuantizeLinear -> DequantizeLinear
 * pair one QuantizeDequantizeLinear ("FQ", the fake quantisation
 * fq(x) = clamp(round_half_even(x / s), lo - zp, hi - zp) * s, ops/qdq.c).
 * Per-tensor FQs only (activations; weights were folded at load).
 *
 * 1. Exact no-ops dropped. A tensor is "on the grid" of FQ f when every
 *    value of it is fq_f of something: f's output, and the outputs of
 *    data movement (Split, Slice, Reshape, Flatten, Squeeze, Unsqueeze,
 *    Transpose, Identity, Concat, nearest Resize, and MaxPool whose every
 *    window holds an input element) of tensors all on the grid of FQs
 *    with the same scale, zero point and type: each output value is one
 *    of the input values. fq_f of a value on its own grid is that value:
 *    x = fl(k * s) with k an integer in [lo - zp, hi - zp]; x / s is k
 *    times (1 + d), |d| <= 2^-24, so |x / s - k| <= 256 * 2^-24 < 1/2
 *    and it rounds to k (whatever the rounding of the quotient), k is
 *    within the clamp, and k * s gives x again (-0.0 gives -0.0). So an
 *    FQ of a tensor on the grid of an FQ with the same parameters is
 *    dropped and its readers read its input (onnxruntime's quantize_static
 *    puts such FQs after MaxPool, Resize, Split and Concat: 22 of
 *    yolov8n's 208).
 *
 * 2. Conv epilogues (YoloQdqEpilogue, yolo-graph.h): a Conv (no fused
 *    activation or residual yet) whose output only feeds FQ0, then
 *      [Sigmoid(a) [-> FQ1] -> Mul(a, .) [-> FQ2]]   (a = FQ0's output:
 *                                                     quantize_static's
 *                                                     SiLU)
 *      [-> Add(., r) [-> FQ3]]
 *    becomes that Conv with act SILU (when the SiLU is there), residual r
 *    and the FQs in its epilogue, writing the chain's last tensor: one
 *    kernel instead of up to seven passes over the tensor, run where the
 *    chain's last node ran (so r exists by then). Each
 *    intermediate tensor must have no other reader and be no graph
 *    output (a, read by Sigmoid and Mul, none but those two).
 *
 * 3. The convs reading a tensor on a grid with folded int8 weights run
 *    on the integer kernels (yolo-qdq-int.c). */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/qdq.h"

#include <string.h>

static gboolean
is_fq (const YoloNode * n)
{
  return !n->removed && !strcmp (n->op_type, "QuantizeDequantizeLinear");
}

/* TRUE when FQs a and b are per tensor with the same parameters. */
static gboolean
same_fq (YoloGraph * g, YoloNode * a, YoloNode * b)
{
  float ra[8], rb[8];
  YoloDType ta, tb;

  return a == b || (yolo_qdq_fq_node_pack (g, a, ra, &ta, NULL)
      && yolo_qdq_fq_node_pack (g, b, rb, &tb, NULL)
      && ta == tb && !memcmp (ra, rb, sizeof (ra)));
}

/* TRUE when every window of MaxPool node n holds an input element (so
 * its outputs are input values, never the -inf of the padding). */
static gboolean
maxpool_copies (YoloGraph * g, YoloNode * n)
{
  int nk, np, nd;
  const gint64 *k = yolo_node_attr_ints (n, "kernel_shape", &nk);
  const gint64 *pads = yolo_node_attr_ints (n, "pads", &np);
  const gint64 *dil = yolo_node_attr_ints (n, "dilations", &nd);
  const char *ap = yolo_node_attr_string (n, "auto_pad", "NOTSET");

  if (n->n_outputs != 1 || !k || yolo_node_attr_int (n, "ceil_mode", 0)
      || (strcmp (ap, "NOTSET") && strcmp (ap, "VALID")))
    return FALSE;
  for (int i = 0; i < nd; i++)
    if (dil[i] != 1)
      return FALSE;
  if (np && np != 2 * nk)
    return FALSE;
  for (int i = 0; i < np; i++)
    if (pads[i] < 0 || pads[i] >= k[i % nk])
      return FALSE;
  return TRUE;
}

int
yolo_graph_qdq_copied_inputs (YoloGraph * g, YoloNode * n)
{
  static const char *const movers[] = { "Split", "Slice", "Reshape",
    "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", NULL
  };

  if (!strcmp (n->op_type, "Concat"))
    return n->n_inputs;
  for (int i = 0; movers[i]; i++)
    if (!strcmp (n->op_type, movers[i]))
      return 1;
  if (!strcmp (n->op_type, "Resize")
      && !strcmp (yolo_node_attr_string (n, "mode", "nearest"), "nearest"))
    return 1;
  if (!strcmp (n->op_type, "MaxPool") && maxpool_copies (g, n))
    return 1;
  return 0;
}

/* Every reader of tensor `from` reads `to` instead. */
static void
redirect (YoloGraph * g, int from, int to)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] == from)
        n->inputs[j] = to;
    if (n->residual == from)
      n->residual = to;
  }
}

static void
drop_noop_fqs (YoloGraph * g)
{
  /* grid[t]: the FQ node whose grid tensor t is on, or NULL */
  YoloNode **grid = g_new0 (YoloNode *, g->tensors->len);

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    int copied;
    YoloNode *f0;

    if (n->removed)
      continue;
    if (is_fq (n) && n->n_inputs >= 1 && n->inputs[0] >= 0) {
      int x = n->inputs[0], y = n->outputs[0];
      if (grid[x] && !YOLO_T (g, y)->is_output && same_fq (g, grid[x], n)) {
        n->removed = TRUE;
        redirect (g, y, x);
      } else {
        grid[y] = n;
      }
      continue;
    }
    copied = yolo_graph_qdq_copied_inputs (g, n);
    if (copied == 0 || n->inputs[0] < 0 || !(f0 = grid[n->inputs[0]]))
      continue;
    for (int j = 1; j < copied && f0; j++)
      if (n->inputs[j] < 0 || !grid[n->inputs[j]]
          || !same_fq (g, f0, grid[n->inputs[j]]))
        f0 = NULL;
    for (int j = 0; f0 && j < n->n_outputs; j++)
      if (n->outputs[j] >= 0)
        grid[n->outputs[j]] = f0;
  }
  g_free (grid);
  yolo_graph_update_uses (g);
}

/* The FQ reading t alone, packed into rec; else NULL. */
static YoloNode *
fq_after (YoloGraph * g, int t, float rec[8])
{
  YoloNode *f = yolo_graph_sole_reader (g, t, NULL, NULL);

  return f && is_fq (f) && f->inputs[0] == t
      && yolo_qdq_fq_node_pack (g, f, rec, NULL, NULL) ? f : NULL;
}

/* The SiLU of quantize_static on a (a -> Sigmoid [-> FQ1] -> Mul(a, .)):
 * fills sig, fq1 (or NULL) and mul; FALSE when a is read otherwise. */
static gboolean
match_silu (YoloGraph * g, int a, YoloNode ** sig, YoloNode ** fq1,
    float rec1[8], YoloNode ** mul)
{
  YoloTensor *ta = YOLO_T (g, a);
  int s;

  *sig = *fq1 = *mul = NULL;
  if (ta->is_output || ta->n_uses != 2)
    return FALSE;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && n->residual == a)
      return FALSE;
    if (!n->removed && !strcmp (n->op_type, "Sigmoid") && n->n_inputs == 1
        && n->inputs[0] == a && n->act == YOLO_ACT_NONE && n->residual < 0)
      *sig = n;
  }
  if (!*sig)
    return FALSE;
  s = (*sig)->outputs[0];
  *fq1 = fq_after (g, s, rec1);
  if (*fq1)
    s = (*fq1)->outputs[0];
  *mul = yolo_graph_sole_reader (g, s, NULL, NULL);
  if (!*mul || strcmp ((*mul)->op_type, "Mul") || (*mul)->n_inputs != 2
      || (*mul)->act != YOLO_ACT_NONE || (*mul)->residual >= 0
      || !(((*mul)->inputs[0] == a && (*mul)->inputs[1] == s)
          || ((*mul)->inputs[1] == a && (*mul)->inputs[0] == s)))
    return FALSE;
  return TRUE;
}

static void
fuse_conv (YoloGraph * g, guint ci)
{
  YoloNode *conv = YOLO_N (g, ci), *f0, *sig, *fq1, *mul, *f2, *add, *f3;
  YoloQdqEpilogue e;
  YoloTensor *ty;
  int v, r = -1, last;

  memset (&e, 0, sizeof (e));
  e.codes = -1;
  if (conv->act != YOLO_ACT_NONE || conv->residual >= 0 || conv->qepi
      || conv->n_outputs != 1
      || !(f0 = fq_after (g, conv->outputs[0], e.fq[0])))
    return;
  e.mask = YOLO_QEPI_OUT;
  v = f0->outputs[0];
  sig = fq1 = mul = f2 = add = f3 = NULL;
  if (match_silu (g, v, &sig, &fq1, e.fq[1], &mul)) {
    if (fq1)
      e.mask |= YOLO_QEPI_SIG;
    v = mul->outputs[0];
    if ((f2 = fq_after (g, v, e.fq[2]))) {
      e.mask |= YOLO_QEPI_ACT;
      v = f2->outputs[0];
    }
  } else {
    sig = fq1 = mul = NULL;
  }
  /* the residual Add (any r: the fused conv runs where the chain's last
   * node ran, after r's producer) */
  ty = YOLO_T (g, v);
  add = yolo_graph_sole_reader (g, v, NULL, NULL);
  if (add && !strcmp (add->op_type, "Add") && add->n_inputs == 2
      && add->inputs[0] != add->inputs[1] && add->act == YOLO_ACT_NONE
      && add->residual < 0) {
    YoloTensor *tr;
    r = add->inputs[add->inputs[0] == v ? 1 : 0];
    tr = YOLO_T (g, r);
    if (!yolo_tensor_same_shape (tr, ty) || tr->dtype != YOLO_DTYPE_FLOAT) {
      r = -1;
      add = NULL;
    } else {
      v = add->outputs[0];
      if ((f3 = fq_after (g, v, e.fq[3]))) {
        e.mask |= YOLO_QEPI_RES;
        v = f3->outputs[0];
      }
    }
  } else {
    add = NULL;
  }
  f0->removed = TRUE;
  if (mul) {
    sig->removed = TRUE;
    mul->removed = TRUE;
    conv->act = YOLO_ACT_SILU;
  }
  if (fq1)
    fq1->removed = TRUE;
  if (f2)
    f2->removed = TRUE;
  if (add)
    add->removed = TRUE;
  if (f3)
    f3->removed = TRUE;
  conv->residual = r;
  conv->outputs[0] = v;
  conv->qepi = g_memdup2 (&e, sizeof (e));
  /* the fused conv runs where the chain's last node ran (its inputs are
   * ready there; nothing in between reads the chain's tensors) */
  last = YOLO_T (g, v)->producer;
  if (last > (int) ci) {
    g_ptr_array_index (g->nodes, ci) = YOLO_N (g, last);
    g_ptr_array_index (g->nodes, last) = conv;
  }
  yolo_graph_update_uses (g);
}

void
yolo_graph_fuse_qdq (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  drop_noop_fqs (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "Conv"))
      fuse_conv (g, i);
  }
  yolo_graph_update_uses (g);
  yolo_graph_qdq_integer (g);
}
