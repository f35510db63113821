/* yolo-qdq-int.c - the static QDQ convs (quantize_static) on the integer
 * kernels; the last step of yolo_graph_fuse_qdq (yolo-qdq-fuse.c), where
 * int8_compute is "auto" on a device with integer dot products
 * (g->int8_dot: the VNNI kernels), or "integer" on any device (the plain
 * int32 kernels: rusticl, Intel's CPU runtime).
 *
 * A Conv whose input x is on the grid of a per-tensor fake quantisation
 * (scale s, codes k = clamp(round_half_even(x / s), qlo, qhi), x = k * s:
 * an FQ's output, a conv whose fused QDQ epilogue ends with an FQ, or data
 * movement of such tensors, the grids of yolo-qdq-fuse.c's step 1) and
 * whose weights are the folded DequantizeLinear of int8 / uint8 codes c
 * (w = (c - w_zp) * w_scale, per tensor or per output channel, the folded
 * values checked bit for bit) computes
 *   sum(k * s * (c - w_zp) * w_scale) + b
 *     = float(sum(k * (c - w_zp))) * (s * w_scale) + b
 * up to the float rounding of the products and the sum (the integer sum
 * is exact). It becomes
 *   ConvIntegerToFloat(u, c, u_zp, w_zp, m = s * w_scale, b)
 * with its activation, residual and fused QDQ epilogue kept, where u are
 * the codes as uint8: u = k - qlo, u_zp = -qlo (for an int8 FQ, q + 128
 * with zero point zp + 128: the same q - zp), written by a QuantizeLinear
 * node (scale s, uint8 zero point u_zp) reading x: x = k * s exactly, so
 * x / s rounds to k (yolo-qdq-fuse.c, step 1) and the codes are exact;
 * one QuantizeLinear per tensor, shared by its integer readers. When x is
 * an FQ's output read by nothing else, the QuantizeLinear reads the FQ's
 * input instead (the same codes) and the FQ goes; when x is an integer
 * conv's output read by nothing else and on its epilogue's last grid, that
 * conv writes the codes itself (YoloQdqEpilogue.codes: conv_int8.cl's
 * epilogue, round(v / s) - qlo, exact for v on the grid) and the
 * QuantizeLinear goes.
 *
 * Only convs that the integer dot-product kernels take (ops/quant-dot.h:
 * 1x1, 3x3 stride 1 with C % 4 == 0, 3x3 stride 2; one group, batch 1):
 * the other ConvInteger kernels have no QDQ epilogue
 * (backend-opencl/quant.c refuses one). */
#include "yolo-graph.h"
#include "yolo-ops.h"
#include "ops/qdq.h"
#include "ops/quant.h"
#include "ops/quant-dot.h"

#include <string.h>

/* The grid a tensor is on: a per-tensor FQ's packed record
 * (yolo_qdq_fq_pack: { s, 1 / s, xlo, xhi, qlo, qhi, 0, 0 }). */
typedef struct
{
  gboolean on;
  float rec[8];
} Grid;

static gboolean
is_fq (const YoloNode * n)
{
  return !n->removed && !strcmp (n->op_type, "QuantizeDequantizeLinear");
}

/* The packed record of per-tensor FQ f with 256 levels (uint8 / int8);
 * FALSE when per axis or not packable. */
static gboolean
fq_record (YoloGraph * g, YoloNode * f, float rec[8])
{
  int span = 0;

  return yolo_qdq_fq_node_pack (g, f, rec, NULL, &span) && span == 255;
}

/* The record of the FQ that a conv's fused QDQ epilogue applies last to
 * the value it writes, or -1 (its output is not on a grid). */
static int
qepi_last (const YoloNode * c)
{
  guint m = c->qepi->mask;

  if (c->residual >= 0)
    return m & YOLO_QEPI_RES ? 3 : -1;
  if (c->act == YOLO_ACT_SILU)
    return m & YOLO_QEPI_ACT ? 2 : -1;
  return c->act == YOLO_ACT_NONE && (m & YOLO_QEPI_OUT) ? 0 : -1;
}

/* grid[t] for every tensor, in node order. */
static Grid *
find_grids (YoloGraph * g)
{
  Grid *grid = g_new0 (Grid, g->tensors->len);

  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    Grid *g0;
    int copied, k;

    if (n->removed || n->n_outputs < 1)
      continue;
    if (is_fq (n)) {
      Grid *o = &grid[n->outputs[0]];
      o->on = fq_record (g, n, o->rec);
      continue;
    }
    if (n->qepi && n->n_outputs == 1) {
      if ((k = qepi_last (n)) >= 0) {
        grid[n->outputs[0]].on = TRUE;
        memcpy (grid[n->outputs[0]].rec, n->qepi->fq[k], sizeof (float) * 8);
      }
      continue;
    }
    copied = yolo_graph_qdq_copied_inputs (g, n);
    if (copied == 0 || n->inputs[0] < 0 || !grid[n->inputs[0]].on)
      continue;
    g0 = &grid[n->inputs[0]];
    for (int j = 1; j < copied && g0; j++)
      if (n->inputs[j] < 0 || !grid[n->inputs[j]].on
          || memcmp (grid[n->inputs[j]].rec, g0->rec, sizeof (g0->rec)))
        g0 = NULL;
    for (int j = 0; g0 && j < n->n_outputs; j++)
      if (n->outputs[j] >= 0)
        grid[n->outputs[j]] = *g0;
  }
  return grid;
}

/* The removed (folded) DequantizeLinear node whose output is tensor t, or
 * NULL. */
static YoloNode *
folded_dq (YoloGraph * g, int t)
{
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed && !strcmp (n->op_type, "DequantizeLinear")
        && n->n_outputs >= 1 && n->outputs[0] == t)
      return n;
  }
  return NULL;
}

/* The codes of conv c's float weights w ([M, Cg, kh, kw], M = dims[0]):
 * the int8 / uint8 constant of the folded DequantizeLinear dq, per tensor
 * or along axis 0, whose values w are bit for bit. Fills *ws (M floats,
 * g_free) and returns the codes' tensor index, or -1. */
static int
weight_codes (YoloGraph * g, YoloNode * dq, YoloTensor * w, float **ws)
{
  QdqParams p;
  YoloTensor *c;
  gint64 M, per, n;
  gboolean ok;

  *ws = NULL;
  if (!dq || dq->n_inputs < 2 || !(c = YOLO_IN (g, dq, 0))
      || !yolo_tensor_is_const (c) || !c->data
      || (c->dtype != YOLO_DTYPE_INT8 && c->dtype != YOLO_DTYPE_UINT8)
      || !yolo_tensor_same_shape (c, w) || w->ndim != 4 || !w->data
      || w->dtype != YOLO_DTYPE_FLOAT || !yolo_qdq_params (g, dq, &p, NULL))
    return -1;
  M = w->dims[0];
  n = yolo_tensor_numel (w);
  per = M > 0 ? n / M : 0;
  ok = M > 0 && p.n == n && (p.channels == 1 || (p.channels == M
          && p.inner == per));
  for (gint64 i = 0; ok && i < n; i++) {
    int ch = (int) ((i / p.inner) % p.channels);
    float v = (float) (((const gint64 *) c->data)[i] - p.zero_point[ch])
        * p.scale[ch];
    ok = !memcmp (&v, (const float *) w->data + i, sizeof (float));
  }
  if (ok) {
    *ws = g_new (float, M);
    for (gint64 m = 0; m < M; m++)
      (*ws)[m] = p.scale[p.channels == 1 ? 0 : m];
  }
  yolo_qdq_params_clear (&p);
  return ok ? dq->inputs[0] : -1;
}

/* A new constant called <base>#<what>. */
static int
add_const (YoloGraph * g, const YoloTensor * base, const char *what,
    YoloDType dtype, int ndim, const gint64 * dims, gpointer data)
{
  char *name = g_strdup_printf ("%s#%s", base->name, what);
  int t = yolo_graph_add_const (g, name, dtype, ndim, dims, data);

  g_free (name);
  return t;
}

/* The uint8 codes of tensor x on grid gr: a new QuantizeLinear node
 * (scale s, zero point -qlo) placed right after x's producer; returns its
 * output tensor. */
static int
add_codes (YoloGraph * g, int x, const Grid * gr)
{
  YoloTensor *tx = YOLO_T (g, x);
  float *s = g_new (float, 1);
  gint64 *zp = g_new (gint64, 1);
  char *names[3], *out, *nname;
  int st, zt, ni, at, q;
  YoloNode *n;

  s[0] = gr->rec[0];
  zp[0] = (gint64) - gr->rec[4];
  st = add_const (g, tx, "qdq_scale", YOLO_DTYPE_FLOAT, 0, NULL, s);
  zt = add_const (g, tx, "qdq_zero_point", YOLO_DTYPE_UINT8, 0, NULL, zp);
  out = g_strdup_printf ("%s#qdq_codes", tx->name);
  nname = g_strdup_printf ("%s#quantize", tx->name);
  names[0] = tx->name;
  names[1] = YOLO_T (g, st)->name;
  names[2] = YOLO_T (g, zt)->name;
  ni = yolo_graph_add_node (g, "QuantizeLinear", nname, 3,
      (const char *const *) names, 1, (const char *const *) &out);
  g_free (nname);
  g_free (out);
  n = YOLO_N (g, ni);
  q = n->outputs[0];
  yolo_tensor_set_shape (YOLO_T (g, q), YOLO_DTYPE_UINT8, tx->ndim, tx->dims);
  /* run right after x's producer (first when x is a graph input) */
  at = tx->producer >= 0 ? tx->producer + 1 : 0;
  g_ptr_array_steal_index (g->nodes, ni);
  g_ptr_array_insert (g->nodes, at, n);
  yolo_graph_update_uses (g);
  return q;
}

/* Conv c as ConvIntegerToFloat on codes u (see the top of the file); its
 * old inputs back and FALSE when the integer kernels do not take it. */
static gboolean
lower_conv (YoloGraph * g, YoloNode * c, int u, const Grid * gr, int codes,
    YoloNode * dq, const float *ws)
{
  YoloTensor *w = YOLO_IN (g, c, 1);
  gint64 M = w->dims[0];
  int *old = c->inputs, n_old = c->n_inputs, *in;
  char *old_op = c->op_type;
  float *m;
  gint64 *xzp;

  if (!yolo_graph_reserve (g, (M + 1) * 8, "", NULL))
    return FALSE;
  m = g_new (float, M);
  for (gint64 i = 0; i < M; i++)
    m[i] = gr->rec[0] * ws[i];
  xzp = g_new (gint64, 1);
  xzp[0] = (gint64) - gr->rec[4];
  in = g_new (int, 6);
  in[0] = u;
  in[1] = codes;
  in[2] = add_const (g, w, "qdq_x_zero_point", YOLO_DTYPE_UINT8, 0, NULL, xzp);
  in[3] = dq->n_inputs > 2 ? dq->inputs[2] : -1;
  in[4] = add_const (g, w, "qdq_m", YOLO_DTYPE_FLOAT, 1, &M, m);
  in[5] = n_old > 2 ? old[2] : -1;
  c->inputs = in;
  c->n_inputs = 6;
  c->op_type = g_strdup ("ConvIntegerToFloat");
  if (!yolo_qdot_supported (g, c)) {
    g_free (c->inputs);
    g_free (c->op_type);
    c->inputs = old;
    c->n_inputs = n_old;
    c->op_type = old_op;
    return FALSE;
  }
  g_free (old);
  g_free (old_op);
  return TRUE;
}

/* The QuantizeLinear q reads its FQ producer's input instead when that
 * FQ's output is read by q alone (the same codes); the FQ goes. */
static void
skip_fq (YoloGraph * g, YoloNode * q)
{
  YoloTensor *x = YOLO_IN (g, q, 0);
  YoloNode *f = x->producer >= 0 ? YOLO_N (g, x->producer) : NULL;

  if (!f || !is_fq (f) || x->n_uses != 1 || x->is_output
      || f->inputs[0] < 0 || YOLO_IN (g, f, 0)->dtype != YOLO_DTYPE_FLOAT)
    return;
  q->inputs[0] = f->inputs[0];
  f->removed = TRUE;
  yolo_graph_update_uses (g);
}

/* The conv producing q's input x writes the codes itself when q is x's
 * only reader and x is its epilogue's grid value (qepi_last): q goes. */
static void
codes_from_conv (YoloGraph * g, YoloNode * q)
{
  YoloTensor *x = YOLO_IN (g, q, 0);
  YoloNode *c = x->producer >= 0 ? YOLO_N (g, x->producer) : NULL;
  float rec[8];
  int k;

  /* the same grid as q's (x may be another grid's FQ input, skip_fq) */
  if (!c || strcmp (c->op_type, "ConvIntegerToFloat") || !c->qepi
      || c->qepi->codes >= 0 || (k = qepi_last (c)) < 0 || x->n_uses != 1
      || x->is_output || c->n_outputs != 1 || !fq_record (g, q, rec)
      || memcmp (rec, c->qepi->fq[k], 6 * sizeof (float)))
    return;
  c->qepi->codes = k;
  c->outputs[0] = q->outputs[0];
  q->removed = TRUE;
  yolo_graph_update_uses (g);
}

void
yolo_graph_qdq_integer (YoloGraph * g)
{
  Grid *grid;
  int *codes_of;
  GPtrArray *quants;
  guint nt;

  if (!g->int8_dot && !g->int8_integer)
    return;
  yolo_graph_update_uses (g);
  grid = find_grids (g);
  nt = g->tensors->len;
  codes_of = g_new (int, nt);
  for (guint t = 0; t < nt; t++)
    codes_of[t] = -1;
  quants = g_ptr_array_new ();
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *c = YOLO_N (g, i), *dq;
    YoloTensor *w;
    float *ws;
    int x, codes, u;

    if (c->removed || strcmp (c->op_type, "Conv") || c->n_inputs < 2
        || c->n_outputs != 1 || (x = c->inputs[0]) < 0 || (guint) x >= nt
        || !grid[x].on || !(w = YOLO_IN (g, c, 1))
        || !yolo_tensor_is_const (w))
      continue;
    dq = folded_dq (g, c->inputs[1]);
    if ((codes = weight_codes (g, dq, w, &ws)) < 0)
      continue;
    u = codes_of[x];
    if (u < 0) {
      u = codes_of[x] = add_codes (g, x, &grid[x]);
      g_ptr_array_add (quants, YOLO_N (g, YOLO_T (g, u)->producer));
      /* the node moved the ones after it: find c again */
      while (YOLO_N (g, i) != c)
        i++;
    }
    lower_conv (g, c, u, &grid[x], codes, dq, ws);
    g_free (ws);
  }
  yolo_graph_update_uses (g);
  for (guint i = 0; i < quants->len; i++) {
    YoloNode *q = g_ptr_array_index (quants, i);
    if (YOLO_OUT (g, q, 0)->n_uses == 0) {
      q->removed = TRUE;
    } else {
      skip_fq (g, q);
      codes_from_conv (g, q);
    }
  }
  yolo_graph_update_uses (g);
  g_ptr_array_free (quants, TRUE);
  g_free (codes_of);
  g_free (grid);
}
