/* ops/matmul.c - MatMul (numpy batch broadcasting, 1-D operands) and Gemm
 * (alpha, beta, transA, transB, broadcast C): the front end (geometry,
 * shape inference, C reference). Operands are described by strides, so
 * transposes and broadcast batches need no copies in the backends.
 * Fused epilogue: act + residual. */
#include "misc-util.h"
#include "matmul.h"

gboolean
yolo_matmul_geom (YoloGraph * g, YoloNode * n, MMGeom * m, GError ** error)
{
  YoloTensor *A = YOLO_IN (g, n, 0), *B = YOLO_IN (g, n, 1);
  memset (m, 0, sizeof *m);
  m->alpha = 1.0f;
  if (!A || !B || n->n_outputs < 1 || A->ndim < 1 || B->ndim < 1) {
    yolo_op_error (error, n, "needs two inputs of rank >= 1");
    return FALSE;
  }
  if (!strcmp (n->op_type, "Gemm")) {
    gboolean ta = yolo_node_attr_int (n, "transA", 0) != 0;
    gboolean tb = yolo_node_attr_int (n, "transB", 0) != 0;
    if (A->ndim != 2 || B->ndim != 2) {
      yolo_op_error (error, n, "Gemm needs 2-D inputs");
      return FALSE;
    }
    m->M = A->dims[ta ? 1 : 0];
    m->K = A->dims[ta ? 0 : 1];
    m->N = B->dims[tb ? 0 : 1];
    if (B->dims[tb ? 1 : 0] != m->K) {
      yolo_op_error (error, n, "inner dimensions differ");
      return FALSE;
    }
    m->sam = ta ? 1 : m->K;
    m->sak = ta ? m->M : 1;
    m->sbk = tb ? 1 : m->N;
    m->sbn = tb ? m->K : 1;
    m->alpha = yolo_node_attr_float (n, "alpha", 1.0f);
    m->beta = yolo_node_attr_float (n, "beta", 1.0f);
    for (int i = 0; i < MM_BATCH; i++)
      m->bd[i] = 1;
    YoloTensor *C = YOLO_IN (g, n, 2);
    if (C && yolo_tensor_numel (C) > 0) {
      gint64 cm = C->ndim >= 2 ? C->dims[C->ndim - 2] : 1;
      gint64 cn = C->ndim >= 1 ? C->dims[C->ndim - 1] : 1;
      if (C->ndim > 2 || (cm != 1 && cm != m->M) || (cn != 1 && cn != m->N)) {
        yolo_op_error (error, n, "C does not broadcast to [M, N]");
        return FALSE;
      }
      m->has_c = TRUE;
      m->scn = cn == 1 ? 0 : 1;
      m->scm = cm == 1 ? 0 : cn;
    }
    m->ndim = 2;
    m->dims[0] = m->M;
    m->dims[1] = m->N;
    return TRUE;
  }

  /* MatMul: promote 1-D operands. */
  gint64 ad[YOLO_MAX_DIMS + 1], bdm[YOLO_MAX_DIMS + 1];
  int an = A->ndim, bn = B->ndim;
  memcpy (ad, A->dims, sizeof (gint64) * an);
  memcpy (bdm, B->dims, sizeof (gint64) * bn);
  if (an == 1) {
    ad[1] = ad[0];
    ad[0] = 1;
    an = 2;
  }
  if (bn == 1) {
    bdm[1] = 1;
    bn = 2;
  }
  m->M = ad[an - 2];
  m->K = ad[an - 1];
  m->N = bdm[bn - 1];
  if (bdm[bn - 2] != m->K) {
    yolo_op_error (error, n, "inner dimensions differ (%" G_GINT64_FORMAT
        " vs %" G_GINT64_FORMAT ")", m->K, bdm[bn - 2]);
    return FALSE;
  }
  m->sam = m->K;
  m->sak = 1;
  m->sbk = m->N;
  m->sbn = 1;
  int nbat;
  gint64 bat[YOLO_MAX_DIMS];
  if (!yolo_broadcast_shape (an - 2, ad, bn - 2, bdm, &nbat, bat)) {
    yolo_op_error (error, n, "batch dimensions do not broadcast");
    return FALSE;
  }
  m->ndim = 0;
  for (int i = 0; i < nbat; i++)
    m->dims[m->ndim++] = bat[i];
  if (A->ndim > 1)
    m->dims[m->ndim++] = m->M;
  if (B->ndim > 1)
    m->dims[m->ndim++] = m->N;
  if (m->ndim > YOLO_MAX_DIMS) {
    yolo_op_unsupported (error, n, "rank too large");
    return FALSE;
  }
  /* Batch strides: drop size-1 batch dims, keep at most MM_BATCH. */
  gint64 sa = m->M * m->K, sb = m->K * m->N;
  int j = MM_BATCH - 1;
  for (int i = 0; i < MM_BATCH; i++)
    m->bd[i] = 1;
  for (int i = nbat - 1; i >= 0; i--) {
    int ai = i - (nbat - (an - 2)), bi = i - (nbat - (bn - 2));
    gint64 da = ai >= 0 ? ad[ai] : 1, db = bi >= 0 ? bdm[bi] : 1;
    if (bat[i] != 1) {
      if (j < 0) {
        yolo_op_unsupported (error, n, "more than %d batch dims", MM_BATCH);
        return FALSE;
      }
      m->bd[j] = bat[i];
      m->sa[j] = da == 1 ? 0 : sa;
      m->sb[j] = db == 1 ? 0 : sb;
      j--;
    }
    sa *= da;
    sb *= db;
  }
  return TRUE;
}

static gboolean
matmul_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  MMGeom m;
  if (!yolo_matmul_geom (g, n, &m, error))
    return FALSE;
  if (YOLO_IN (g, n, 0)->dtype != YOLO_DTYPE_FLOAT
      || YOLO_IN (g, n, 1)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_unsupported (error, n, "only float inputs are supported");
    return FALSE;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, m.ndim, m.dims);
  return TRUE;
}

static gboolean
matmul_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  MMGeom m;
  YoloTensor *y = YOLO_OUT (g, n, 0);
  YoloTensor *C = YOLO_IN (g, n, 2);
  YoloTensor *R = n->residual >= 0 ? YOLO_T (g, n->residual) : NULL;
  if (!misc_have_data (g, n, error) || !yolo_matmul_geom (g, n, &m, error))
    return FALSE;
  if (R && !R->data) {
    yolo_op_error (error, n, "residual has no host data");
    return FALSE;
  }
  const float *a = YOLO_IN (g, n, 0)->data, *b = YOLO_IN (g, n, 1)->data;
  float *d = misc_alloc (y);
  gint64 nb = misc_prod (m.bd, 0, MM_BATCH);
  for (gint64 bi = 0; bi < nb; bi++) {
    gint64 t = bi, ao = 0, bo = 0;
    for (int i = MM_BATCH - 1; i >= 0; i--) {
      gint64 c = t % m.bd[i];
      t /= m.bd[i];
      ao += c * m.sa[i];
      bo += c * m.sb[i];
    }
    for (gint64 r = 0; r < m.M; r++)
      for (gint64 c = 0; c < m.N; c++) {
        float acc = 0.0f;
        for (gint64 k = 0; k < m.K; k++)
          acc += a[ao + r * m.sam + k * m.sak] * b[bo + k * m.sbk + c * m.sbn];
        float v = m.alpha * acc;
        if (m.has_c)
          v += m.beta * ((float *) C->data)[r * m.scm + c * m.scn];
        v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, v);
        gint64 o = (bi * m.M + r) * m.N + c;
        if (R)
          v += ((float *) R->data)[o];
        d[o] = v;
      }
  }
  return TRUE;
}

static const YoloOpDef op_matmul = { "MatMul", 0, matmul_infer, matmul_eval };
static const YoloOpDef op_gemm = { "Gemm", 0, matmul_infer, matmul_eval };

const YoloOpDef *const yolo_ops_matmul[] = { &op_matmul, &op_gemm, NULL };
