/* yolo-attn-fuse.c - the attention pass: replaces
 *   S = MatMul (A, B)                      A [.., NQ, D], B [.., D, NK]
 *   [S = Mul (S, c) | Div (S, c)]          c a scalar constant
 *   P = Softmax (S, axis = last)
 *   O = MatMul (V, Transpose (P, swap the last two))   V [.., DV, NK]
 *       or MatMul (P, V)                                V [.., NK, DV]
 * as exported by Ultralytics for YOLO11's C2PSA Attention and YOLO12's
 * AAttn, by one ScaledDotProductAttention node (ops/attention.h) when S, P
 * and the Transpose feed nothing else.
 *
 * Views instead of copies: A, B and V are traced back through the
 * Transposes, Reshapes (and Flatten, Squeeze, Unsqueeze, Identity), Splits
 * and scalar Muls that made them (the Muls' factors go into the scale),
 * and O forward through the Transposes and Reshapes that it alone feeds,
 * and the fused node reads and writes those tensors through strides. Each
 * view is found by moving element numbers (an iota of the base tensor)
 * through the chain on the host and fitting strides that reproduce every
 * element exactly; the deepest chain that fits is taken, else the tensor
 * itself. Nodes left without consumers are pruned later. An Add of the
 * output and a tensor computed earlier (the positional conv) becomes the
 * node's fused residual.
 *
 * Anything else (broadcast batch dims, rank other than 3 or 4, another
 * softmax axis, a non-float tensor, an intermediate that is also used
 * elsewhere or is a graph output) is left as it is: the graph then runs
 * on the generic kernels as before. */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/attention.h"

#include <string.h>

/* Host work for the index tracing: tensors of at most this many elements. */
#define ATTN_TRACE_MAX (G_GINT64_CONSTANT (1) << 22)
#define ATTN_CHAIN_MAX 16

/* t feeds exactly one node input and is no graph output. */
static gboolean
single_use (YoloGraph * g, int t)
{
  return t >= 0 && YOLO_T (g, t)->n_uses == 1 && !YOLO_T (g, t)->is_output;
}

static gboolean
is_reshape_like (const YoloNode * n)
{
  static const char *const ops[] = { "Reshape", "Flatten", "Squeeze",
    "Unsqueeze", "Identity", NULL
  };
  for (int i = 0; ops[i]; i++)
    if (!strcmp (n->op_type, ops[i]))
      return TRUE;
  return FALSE;
}

/* The value of a float scalar constant, or FALSE. */
static gboolean
scalar_const (YoloGraph * g, int t, float *v)
{
  YoloTensor *tt = t >= 0 ? YOLO_T (g, t) : NULL;

  if (!tt || !yolo_tensor_is_const (tt) || tt->dtype != YOLO_DTYPE_FLOAT
      || yolo_tensor_numel (tt) != 1 || !tt->data)
    return FALSE;
  *v = ((float *) tt->data)[0];
  return TRUE;
}

/* A Mul or Div of a run-time tensor by a float scalar constant: the
 * tensor's index and the factor; -1 otherwise. */
static int
scalar_scaling (YoloGraph * g, const YoloNode * n, float *f)
{
  float c;

  if (n->n_inputs != 2 || n->n_outputs != 1 || n->act || n->residual >= 0)
    return -1;
  if (!strcmp (n->op_type, "Mul")) {
    if (scalar_const (g, n->inputs[1], &c)) {
      *f = c;
      return n->inputs[0];
    }
    if (scalar_const (g, n->inputs[0], &c)) {
      *f = c;
      return n->inputs[1];
    }
  } else if (!strcmp (n->op_type, "Div")
      && scalar_const (g, n->inputs[1], &c) && c != 0.0f) {
    *f = 1.0f / c;
    return n->inputs[0];
  }
  return -1;
}

/* Moves element numbers through node n (input tensor in, output tensor
 * out): returns the new array (freeing src) or NULL when n is not an index
 * op we follow. */
static gint32 *
apply_index_op (YoloGraph * g, const YoloNode * n, int in, int out,
    gint32 * src)
{
  YoloTensor *ti = YOLO_T (g, in), *to = YOLO_T (g, out);
  gint64 numel = yolo_tensor_numel (to);
  gint32 *dst;

  if (is_reshape_like (n) || !strcmp (n->op_type, "Mul")
      || !strcmp (n->op_type, "Div"))
    return numel == yolo_tensor_numel (ti) ? src : (g_free (src), NULL);
  if (!strcmp (n->op_type, "Transpose")) {
    const YoloAttr *pa = yolo_node_attr (n, "perm");
    int r = ti->ndim, perm[YOLO_MAX_DIMS];
    gint64 sin[YOLO_MAX_DIMS], idx[YOLO_MAX_DIMS] = { 0 };
    if (r < 1 || to->ndim != r || (pa && (pa->type != YOLO_ATTR_INTS
                || pa->n != r)))
      goto fail;
    for (int i = 0; i < r; i++) {
      perm[i] = pa ? (int) pa->ints[i] : r - 1 - i;
      if (perm[i] < 0 || perm[i] >= r || to->dims[i] != ti->dims[perm[i]])
        goto fail;
    }
    sin[r - 1] = 1;
    for (int i = r - 2; i >= 0; i--)
      sin[i] = sin[i + 1] * ti->dims[i + 1];
    dst = g_new (gint32, MAX (numel, 1));
    for (gint64 p = 0; p < numel; p++) {
      gint64 o = 0;
      for (int i = 0; i < r; i++)
        o += idx[i] * sin[perm[i]];
      dst[p] = src[o];
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < to->dims[i])
          break;
        idx[i] = 0;
      }
    }
    g_free (src);
    return dst;
  }
  if (!strcmp (n->op_type, "Split")) {
    int r = ti->ndim, axis = (int) yolo_node_attr_int (n, "axis", 0);
    gint64 start = 0, outer = 1, inner = 1;
    int k = -1;
    if (axis < 0)
      axis += r;
    if (axis < 0 || axis >= r || to->ndim != r)
      goto fail;
    for (int j = 0; j < n->n_outputs; j++) {
      if (n->outputs[j] == out) {
        k = j;
        break;
      }
      start += YOLO_OUT (g, n, j)->dims[axis];
    }
    if (k < 0 || start + to->dims[axis] > ti->dims[axis])
      goto fail;
    for (int i = 0; i < axis; i++)
      outer *= ti->dims[i];
    for (int i = axis + 1; i < r; i++)
      inner *= ti->dims[i];
    dst = g_new (gint32, MAX (numel, 1));
    for (gint64 o = 0, p = 0; o < outer; o++)
      for (gint64 a = 0; a < to->dims[axis]; a++)
        for (gint64 i = 0; i < inner; i++)
          dst[p++] = src[(o * ti->dims[axis] + start + a) * inner + i];
    g_free (src);
    return dst;
  }
fail:
  g_free (src);
  return NULL;
}

/* Strides s[0..r-1] and offset with arr[p] == off + sum idx_i * s_i for
 * every element p of a tensor of dims (row-major), or FALSE. */
static gboolean
fit_strides (const gint32 * arr, int r, const gint64 * dims, gint64 * off,
    gint64 * s)
{
  gint64 numel = 1, idx[YOLO_MAX_DIMS] = { 0 }, unit = 1;

  for (int i = 0; i < r; i++)
    numel *= dims[i];
  if (numel < 1)
    return FALSE;
  *off = arr[0];
  for (int i = r - 1; i >= 0; i--) {
    s[i] = dims[i] > 1 ? arr[unit] - *off : 0;
    if (s[i] < 0)
      return FALSE;
    unit *= dims[i];
  }
  for (gint64 p = 0; p < numel; p++) {
    gint64 e = *off;
    for (int i = 0; i < r; i++)
      e += idx[i] * s[i];
    if (e != arr[p])
      return FALSE;
    for (int i = r - 1; i >= 0; i--) {
      if (++idx[i] < dims[i])
        break;
      idx[i] = 0;
    }
  }
  return TRUE;
}

static gint32 *
iota (gint64 n)
{
  gint32 *a = g_new (gint32, MAX (n, 1));
  for (gint64 i = 0; i < n; i++)
    a[i] = (gint32) i;
  return a;
}

/* A strided view of tensor x (rank r): base tensor, offset and strides per
 * dim of x, and the product of the scalar factors on the way. */
typedef struct
{
  int base;
  gint64 off, s[YOLO_MAX_DIMS];
  float scale;
} AttnView;

/* Traces x back to the deepest base whose element numbers it reaches by
 * strides. with_scale: scalar Mul/Div may be passed (their factor kept). */
static void
trace_back (YoloGraph * g, int x, gboolean with_scale, AttnView * v)
{
  YoloNode *chain[ATTN_CHAIN_MAX];
  int tin[ATTN_CHAIN_MAX], tout[ATTN_CHAIN_MAX];
  float fac[ATTN_CHAIN_MAX];
  int len = 0, t = x;
  YoloTensor *tx = YOLO_T (g, x);

  while (len < ATTN_CHAIN_MAX) {
    YoloNode *p = yolo_graph_producer (g, t);
    int src = -1;
    float f = 1.0f;
    if (!p || p->act || p->residual >= 0)
      break;
    if (is_reshape_like (p) || !strcmp (p->op_type, "Transpose")
        || !strcmp (p->op_type, "Split"))
      src = p->inputs[0];
    else if (with_scale)
      src = scalar_scaling (g, p, &f);
    if (src < 0 || YOLO_T (g, src)->dtype != YOLO_DTYPE_FLOAT
        || yolo_tensor_is_const (YOLO_T (g, src))
        || yolo_tensor_numel (YOLO_T (g, src)) > ATTN_TRACE_MAX)
      break;
    chain[len] = p;
    tin[len] = src;
    tout[len] = t;
    fac[len] = f;
    len++;
    t = src;
  }
  for (int k = len; k > 0; k--) {
    int base = tin[k - 1];
    gint32 *arr = iota (yolo_tensor_numel (YOLO_T (g, base)));
    for (int i = k - 1; arr && i >= 0; i--)
      arr = apply_index_op (g, chain[i], tin[i], tout[i], arr);
    if (arr && fit_strides (arr, tx->ndim, tx->dims, &v->off, v->s)) {
      g_free (arr);
      v->base = base;
      v->scale = 1.0f;
      for (int i = 0; i < k; i++)
        v->scale *= fac[i];
      return;
    }
    g_free (arr);
  }
  v->base = x;
  v->scale = 1.0f;
  v->off = 0;
  for (int i = tx->ndim - 1, s = 1; i >= 0; s *= (int) tx->dims[i], i--)
    v->s[i] = tx->dims[i] > 1 ? s : 0;
}

/* Follows o forward through the Transposes and Reshapes it alone feeds;
 * fills *f with the final tensor, v->s with the strides (per dim of o) of
 * o's elements in it; the followed nodes in chain (count returned). */
static int
trace_forward (YoloGraph * g, int o, AttnView * v, YoloNode ** chain)
{
  int tin[ATTN_CHAIN_MAX], tout[ATTN_CHAIN_MAX];
  int len = 0, t = o;
  YoloTensor *to = YOLO_T (g, o);
  gint64 numel = yolo_tensor_numel (to);

  while (len < ATTN_CHAIN_MAX && numel <= ATTN_TRACE_MAX) {
    int slot = -1;
    YoloNode *c = yolo_graph_sole_reader (g, t, &slot, NULL);
    if (!c || slot != 0 || c->n_outputs != 1 || c->act || c->residual >= 0
        || !(is_reshape_like (c) || !strcmp (c->op_type, "Transpose"))
        || YOLO_OUT (g, c, 0)->dtype != YOLO_DTYPE_FLOAT)
      break;
    chain[len] = c;
    tin[len] = t;
    tout[len] = c->outputs[0];
    t = c->outputs[0];
    len++;
  }
  for (int k = len; k > 0; k--) {
    gint32 *arr = iota (numel), *pos;
    gboolean ok;
    for (int i = 0; arr && i < k; i++)
      arr = apply_index_op (g, chain[i], tin[i], tout[i], arr);
    if (!arr)
      continue;
    /* arr[p] = the element of o at position p of the final tensor */
    pos = g_new (gint32, MAX (numel, 1));
    for (gint64 p = 0; p < numel; p++)
      pos[arr[p]] = (gint32) p;
    ok = fit_strides (pos, to->ndim, to->dims, &v->off, v->s);
    g_free (pos);
    g_free (arr);
    if (ok) {
      v->base = tout[k - 1];
      return k;
    }
  }
  v->base = o;
  v->off = 0;
  for (int i = to->ndim - 1, s = 1; i >= 0; s *= (int) to->dims[i], i--)
    v->s[i] = to->dims[i] > 1 ? s : 0;
  return 0;
}

/* A view's attribute: offset and the strides of the logical dims (b0, b1,
 * d|c, i|j) taken from dims (b0, b1, x, y) of a rank-r tensor (r = 3: no
 * b0); swap: the tensor holds (.., y, x). */
static void
set_view (YoloNode * n, const char *name, const AttnView * v, int r,
    gboolean swap)
{
  gint64 a[5];

  a[0] = v->off;
  a[1] = r == 4 ? v->s[0] : 0;
  a[2] = v->s[r - 3];
  a[3] = v->s[swap ? r - 1 : r - 2];
  a[4] = v->s[swap ? r - 2 : r - 1];
  yolo_node_set_ints (n, name, 5, a);
}

static gboolean
same_dims (const YoloTensor * a, const YoloTensor * b)
{
  return a->ndim == b->ndim
      && !memcmp (a->dims, b->dims, sizeof (gint64) * a->ndim);
}

static gboolean
same_batch (const YoloTensor * a, const YoloTensor * s)
{
  if (a->ndim != s->ndim || a->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  for (int i = 0; i < s->ndim - 2; i++)
    if (a->dims[i] != s->dims[i])
      return FALSE;
  return TRUE;
}

/* The fused node's output O feeding only Add (O, R), R of O's shape and
 * computed before the node (the positional conv of both blocks): R
 * becomes the node's residual and the Add goes. */
static void
try_residual (YoloGraph * g, YoloNode * n)
{
  int y = n->outputs[0], idx = -1;
  YoloTensor *ty = YOLO_T (g, y), *tr;
  YoloNode *add = NULL;
  int r;

  if (!single_use (g, y))
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *c = YOLO_N (g, i);
    if (c == n)
      idx = i;
    if (c->removed)
      continue;
    for (int j = 0; j < c->n_inputs; j++)
      if (c->inputs[j] == y)
        add = c;
  }
  if (!add || strcmp (add->op_type, "Add") || add->n_inputs != 2
      || add->n_outputs != 1 || add->act || add->residual >= 0
      || add->inputs[0] == add->inputs[1])
    return;
  r = add->inputs[add->inputs[0] == y ? 1 : 0];
  tr = YOLO_T (g, r);
  if (tr->dtype != YOLO_DTYPE_FLOAT || tr->ndim != ty->ndim
      || memcmp (tr->dims, ty->dims, sizeof (gint64) * ty->ndim)
      || !same_dims (YOLO_OUT (g, add, 0), ty))
    return;
  /* R must exist before the node runs */
  if (!yolo_tensor_is_const (tr) && !tr->is_input
      && (tr->producer < 0 || tr->producer >= idx))
    return;
  n->residual = r;
  n->outputs[0] = add->outputs[0];
  add->removed = TRUE;
  yolo_graph_update_uses (g);
}

static gboolean
try_attention (YoloGraph * g, YoloNode * mm2)
{
  YoloNode *tp = NULL, *sm, *mul = NULL, *mm1, *fwd[ATTN_CHAIN_MAX];
  YoloTensor *S, *A, *B, *V, *O;
  int p, s, vi, r, nfwd;
  gboolean std_form;
  float scale = 1.0f, f;
  AttnView va, vb, vv, vo;
  gint64 dims[6];

  if (mm2->n_inputs != 2 || mm2->n_outputs != 1 || mm2->act
      || mm2->residual >= 0)
    return FALSE;
  /* O = MatMul (V, Transpose (P)) or MatMul (P, V) */
  tp = yolo_graph_producer (g, mm2->inputs[1]);
  if (tp && !strcmp (tp->op_type, "Transpose")
      && single_use (g, mm2->inputs[1])) {
    std_form = FALSE;
    p = tp->inputs[0];
    vi = mm2->inputs[0];
  } else {
    tp = NULL;
    std_form = TRUE;
    p = mm2->inputs[0];
    vi = mm2->inputs[1];
  }
  sm = yolo_graph_producer (g, p);
  if (!sm || strcmp (sm->op_type, "Softmax") || sm->n_outputs != 1
      || !single_use (g, p))
    return FALSE;
  S = YOLO_T (g, p);
  r = S->ndim;
  if (r < 3 || r > 4 || S->dtype != YOLO_DTYPE_FLOAT)
    return FALSE;
  {
    gint64 axis = yolo_node_attr_int (sm, "axis", -1);
    if (axis != -1 && axis != r - 1)
      return FALSE;
  }
  if (tp) {
    const YoloAttr *pa = yolo_node_attr (tp, "perm");
    if (!pa || pa->type != YOLO_ATTR_INTS || pa->n != r)
      return FALSE;
    for (int i = 0; i < r - 2; i++)
      if (pa->ints[i] != i)
        return FALSE;
    if (pa->ints[r - 2] != r - 1 || pa->ints[r - 1] != r - 2)
      return FALSE;
  }
  s = sm->inputs[0];
  mm1 = yolo_graph_producer (g, s);
  if (!single_use (g, s))
    return FALSE;
  if (mm1 && scalar_scaling (g, mm1, &f) >= 0) {
    mul = mm1;
    scale = f;
    s = scalar_scaling (g, mul, &f);
    mm1 = yolo_graph_producer (g, s);
    if (!single_use (g, s))
      return FALSE;
  }
  if (!mm1 || strcmp (mm1->op_type, "MatMul") || mm1->n_inputs != 2
      || mm1->act || mm1->residual >= 0)
    return FALSE;
  A = YOLO_IN (g, mm1, 0);
  B = YOLO_IN (g, mm1, 1);
  V = YOLO_T (g, vi);
  O = YOLO_OUT (g, mm2, 0);
  if (!A || !B || !same_batch (A, S) || !same_batch (B, S)
      || !same_batch (V, S) || !same_batch (YOLO_T (g, s), S)
      || O->ndim != r || O->dtype != YOLO_DTYPE_FLOAT
      || A->dims[r - 1] != B->dims[r - 2]
      || V->dims[std_form ? r - 2 : r - 1] != S->dims[r - 1])
    return FALSE;
  if (yolo_tensor_is_const (A) || yolo_tensor_is_const (B)
      || yolo_tensor_is_const (V))
    return FALSE;

  trace_back (g, mm1->inputs[0], TRUE, &va);
  trace_back (g, mm1->inputs[1], TRUE, &vb);
  trace_back (g, vi, FALSE, &vv);
  nfwd = trace_forward (g, mm2->outputs[0], &vo, fwd);
  scale *= va.scale * vb.scale;

  /* rewrite mm2 in place (its position keeps the order topological) */
  g_free (mm2->op_type);
  mm2->op_type = g_strdup (YOLO_ATTENTION_OP);
  mm2->inputs[0] = va.base;
  mm2->inputs[1] = vb.base;
  mm2->inputs = g_renew (int, mm2->inputs, 3);
  mm2->n_inputs = 3;
  mm2->inputs[2] = vv.base;
  mm2->outputs[0] = vo.base;
  dims[0] = r == 4 ? S->dims[0] : 1;
  dims[1] = S->dims[r - 3];
  dims[2] = A->dims[r - 1];
  dims[3] = V->dims[std_form ? r - 1 : r - 2];
  dims[4] = S->dims[r - 2];
  dims[5] = S->dims[r - 1];
  yolo_node_set_ints (mm2, "dims", 6, dims);
  set_view (mm2, "q_view", &va, r, TRUE);       /* A (.., i, d) */
  set_view (mm2, "k_view", &vb, r, FALSE);      /* B (.., d, j) */
  set_view (mm2, "v_view", &vv, r, std_form);   /* V (.., c, j) or (.., j, c) */
  set_view (mm2, "o_view", &vo, r, std_form);   /* O (.., c, i) or (.., i, c) */
  yolo_node_add_attr (mm2, "scale", YOLO_ATTR_FLOAT)->f = scale;
  yolo_node_set_ints (mm2, "shape", YOLO_T (g, vo.base)->ndim,
      YOLO_T (g, vo.base)->dims);
  mm1->removed = TRUE;
  sm->removed = TRUE;
  if (mul)
    mul->removed = TRUE;
  if (tp)
    tp->removed = TRUE;
  for (int i = 0; i < nfwd; i++)
    fwd[i]->removed = TRUE;
  yolo_graph_update_uses (g);
  try_residual (g, mm2);
  return TRUE;
}

/* ---- index chains as one Slice ----
 * A tensor T made from a base X by a chain of two or more Transposes (with
 * Reshapes and Splits between), as YOLO12 makes the positional conv's
 * input from the qkv conv: when T's elements are X's in a box of a
 * reshaped X (strides that nest, each dividing the next), the chain is
 * replaced by Reshape (X, box container) -> Slice (the box) -> Reshape
 * (T's shape): one copy instead of one per Transpose, and none when the
 * box is the whole container. */

#define ATTN_CONTAINER_MAX 6

/* Decomposes arr (T's elements as X's element numbers, n of them) into
 * nested strided dims, inner first: ext[i] elements at stride str[i].
 * Returns the count, or 0 when arr is no such box. */
static int
box_decompose (const gint32 * arr, gint64 n, gint64 * ext, gint64 * str)
{
  gint64 block = 1;
  int nd = 0;

  while (block < n) {
    gint64 s = arr[block] - arr[0], k = 1;
    if (s <= 0 || nd == ATTN_CONTAINER_MAX)
      return 0;
    while (block * (k + 1) <= n) {
      gboolean ok = TRUE;
      for (gint64 j = 0; ok && j < block; j++)
        ok = arr[k * block + j] == arr[j] + k * s;
      if (!ok)
        break;
      k++;
    }
    while (k > 1 && n % (block * k))
      k--;
    if (k < 2)
      return 0;
    ext[nd] = k;
    str[nd] = s;
    nd++;
    block *= k;
  }
  return nd;
}

static int
add_shape_const (YoloGraph * g, const char *name, int n, const gint64 * v)
{
  gint64 d = n;
  return yolo_graph_add_const (g, name, YOLO_DTYPE_INT64, 1, &d,
      g_memdup2 (v, sizeof (gint64) * n));
}

/* Inserts a node at position pos (before the node now there). */
static YoloNode *
insert_node (YoloGraph * g, guint pos, const char *op, const char *name,
    int n_in, const char *const *ins, const char *out)
{
  int idx = yolo_graph_add_node (g, op, name, n_in, ins, 1, &out);
  YoloNode *n = g_ptr_array_steal_index (g->nodes, idx);
  g_ptr_array_insert (g->nodes, pos, n);
  return n;
}

static gboolean
collapse_chain (YoloGraph * g, int t)
{
  YoloTensor *tt = YOLO_T (g, t), *tx;
  YoloNode *chain[ATTN_CHAIN_MAX], *last;
  int tin[ATTN_CHAIN_MAX], tout[ATTN_CHAIN_MAX];
  int len = 0, n_transpose = 0, cur = t, x;
  gint64 ext[ATTN_CONTAINER_MAX + 1], str[ATTN_CONTAINER_MAX + 1];
  gint64 cont[ATTN_CONTAINER_MAX + 1], start[ATTN_CONTAINER_MAX + 1];
  gint64 numel = yolo_tensor_numel (tt), off, rest;
  gint32 *arr;
  int nd;
  gboolean whole = TRUE;

  while (len < ATTN_CHAIN_MAX) {
    YoloNode *p = yolo_graph_producer (g, cur);
    if (!p || p->act || p->residual >= 0 || !(is_reshape_like (p)
            || !strcmp (p->op_type, "Transpose")
            || !strcmp (p->op_type, "Split")))
      break;
    if (YOLO_T (g, p->inputs[0])->dtype != YOLO_DTYPE_FLOAT
        || yolo_tensor_is_const (YOLO_T (g, p->inputs[0])))
      break;
    n_transpose += !strcmp (p->op_type, "Transpose");
    chain[len] = p;
    tin[len] = p->inputs[0];
    tout[len] = cur;
    cur = p->inputs[0];
    len++;
  }
  /* (the node making T is replaced: it must make nothing else) */
  if (n_transpose < 2 || tt->dtype != YOLO_DTYPE_FLOAT
      || chain[0]->n_outputs != 1)
    return FALSE;
  x = cur;
  tx = YOLO_T (g, x);
  if (yolo_tensor_numel (tx) > ATTN_TRACE_MAX || numel < 2)
    return FALSE;
  arr = iota (yolo_tensor_numel (tx));
  for (int i = len - 1; arr && i >= 0; i--)
    arr = apply_index_op (g, chain[i], tin[i], tout[i], arr);
  if (!arr)
    return FALSE;
  off = arr[0];
  nd = box_decompose (arr, numel, ext, str);
  g_free (arr);
  if (nd == 0)
    return FALSE;
  /* an inner stride > 1: a container dim of that many, one taken */
  if (str[0] != 1) {
    if (nd == ATTN_CONTAINER_MAX)
      return FALSE;
    memmove (ext + 1, ext, sizeof (gint64) * nd);
    memmove (str + 1, str, sizeof (gint64) * nd);
    ext[0] = 1;
    str[0] = 1;
    nd++;
  }
  /* container dims (inner first): each stride divides the next */
  for (int i = 0; i < nd; i++) {
    gint64 next = i + 1 < nd ? str[i + 1] : yolo_tensor_numel (tx);
    if (next % str[i])
      return FALSE;
    cont[i] = next / str[i];
  }
  rest = off;
  for (int i = nd - 1; i >= 0; i--) {
    start[i] = rest / str[i];
    rest -= start[i] * str[i];
    if (start[i] + ext[i] > cont[i])
      return FALSE;
    whole = whole && start[i] == 0 && ext[i] == cont[i];
  }
  if (rest != 0)
    return FALSE;

  /* the chain's last node gives way to Reshape -> Slice -> Reshape */
  last = chain[0];
  {
    guint pos = 0;
    gint64 cdims[ATTN_CONTAINER_MAX + 1];
    gint64 starts[ATTN_CONTAINER_MAX + 1], ends[ATTN_CONTAINER_MAX + 1];
    gint64 axes[ATTN_CONTAINER_MAX + 1];
    char *cn = g_strdup_printf ("%s#box", tt->name);
    char *sn = g_strdup_printf ("%s#slice", tt->name);
    char *shc = g_strdup_printf ("%s#box_shape", tt->name);
    char *shs = g_strdup_printf ("%s#shape", tt->name);
    char *stn = g_strdup_printf ("%s#starts", tt->name);
    char *enn = g_strdup_printf ("%s#ends", tt->name);
    char *axn = g_strdup_printf ("%s#axes", tt->name);
    char *nm[3];
    const char *ins[4];
    YoloNode *nodes[3];
    int k = 0;
    gboolean ok = TRUE;

    while (YOLO_N (g, pos) != last)
      pos++;
    for (int i = 0; i < 3; i++)
      nm[i] = g_strdup_printf ("%s#collapsed%d", last->name, i);
    for (int i = 0; i < nd; i++) {
      cdims[i] = cont[nd - 1 - i];
      starts[i] = start[nd - 1 - i];
      ends[i] = starts[i] + ext[nd - 1 - i];
      axes[i] = i;
    }
    add_shape_const (g, shc, nd, cdims);
    add_shape_const (g, shs, tt->ndim, tt->dims);
    ins[0] = tx->name;
    ins[1] = shc;
    nodes[k] = insert_node (g, pos + 1 + k, "Reshape", nm[k], 2, ins,
        whole ? sn : cn);
    k++;
    if (!whole) {
      add_shape_const (g, stn, nd, starts);
      add_shape_const (g, enn, nd, ends);
      add_shape_const (g, axn, nd, axes);
      ins[0] = cn;
      ins[1] = stn;
      ins[2] = enn;
      ins[3] = axn;
      nodes[k] = insert_node (g, pos + 1 + k, "Slice", nm[k], 4, ins, sn);
      k++;
    }
    ins[0] = sn;
    ins[1] = shs;
    /* the old producer of T stops producing it */
    last->removed = TRUE;
    nodes[k] = insert_node (g, pos + 1 + k, "Reshape", nm[k], 2, ins, tt->name);
    k++;
    yolo_graph_update_uses (g);
    for (int i = 0; ok && i < k; i++)
      ok = yolo_ops_lookup (nodes[i]->op_type)->infer (g, nodes[i], NULL);
    if (!ok) {
      /* cannot happen by construction; if it did, the chain stays */
      g_warning ("attention pass: the collapsed chain of %s does not infer; "
          "left as it is", tt->name);
      for (int i = 0; i < k; i++)
        nodes[i]->removed = TRUE;
      last->removed = FALSE;
      yolo_graph_update_uses (g);
    }
    g_free (cn);
    g_free (sn);
    g_free (shc);
    g_free (shs);
    g_free (stn);
    g_free (enn);
    g_free (axn);
    for (int i = 0; i < 3; i++)
      g_free (nm[i]);
    return ok;
  }
}

void
yolo_graph_fuse_attention (YoloGraph * g)
{
  yolo_graph_update_uses (g);
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (!n->removed && !strcmp (n->op_type, "MatMul") && try_attention (g, n))
      g_debug ("attention fused into \"%s\": q %s k %s v %s -> %s",
          n->name, YOLO_IN (g, n, 0)->name, YOLO_IN (g, n, 1)->name,
          YOLO_IN (g, n, 2)->name, YOLO_OUT (g, n, 0)->name);
  }
  /* then the inputs of the other nodes made by Transpose chains */
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed || is_reshape_like (n) || !strcmp (n->op_type, "Transpose")
        || !strcmp (n->op_type, "Split"))
      continue;
    for (int j = 0; j < n->n_inputs; j++)
      if (n->inputs[j] >= 0 && collapse_chain (g, n->inputs[j]))
        g_debug ("index chain to \"%s\" collapsed into one Slice",
            YOLO_T (g, n->inputs[j])->name);
  }
}
