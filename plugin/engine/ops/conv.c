/* ops/conv.c - ONNX Conv (2D, fp32, batch 1) with a fused epilogue
 * out = act(conv + bias) [+ residual]: attributes, shape inference and the
 * C reference. The device variants are in backend-opencl/conv-*.c. */
#include <math.h>
#include <string.h>

#include "conv.h"
#include "qdq.h"
#include "yolo-engine.h"

static gboolean
conv_get_pair (const YoloNode * n, const char *name, int def, int *a, int *b,
    gboolean positive, GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, name, &cnt);

  *a = *b = def;
  if (v == NULL)
    return TRUE;
  if (cnt != 2) {
    yolo_op_error (error, n, "Conv attribute %s needs 2 values, got %d",
        name, cnt);
    return FALSE;
  }
  if ((positive && (v[0] < 1 || v[1] < 1)) || v[0] > 65536 || v[1] > 65536) {
    yolo_op_error (error, n, "Conv attribute %s has invalid values "
        "[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", name, v[0], v[1]);
    return FALSE;
  }
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

/* Output size and begin/end padding of one spatial dimension. */
static gboolean
conv_dim (const YoloNode * n, const char *auto_pad, int in, int k, int s,
    int d, int *pad0, int *pad1, int *out, GError ** error)
{
  gint64 ext = (gint64) d * (k - 1) + 1;
  gint64 o;

  if (strcmp (auto_pad, "NOTSET") == 0) {
    o = ((gint64) in + *pad0 + *pad1 - ext) / s + 1;
    if ((gint64) in + *pad0 + *pad1 < ext)
      o = 0;
  } else if (strcmp (auto_pad, "VALID") == 0) {
    *pad0 = *pad1 = 0;
    o = in < ext ? 0 : (in - ext) / s + 1;
  } else if (strcmp (auto_pad, "SAME_UPPER") == 0
      || strcmp (auto_pad, "SAME_LOWER") == 0) {
    gint64 total;
    o = (in + s - 1) / s;
    total = MAX (0, (o - 1) * s + ext - in);
    if (auto_pad[5] == 'U') {
      *pad0 = total / 2;
      *pad1 = total - total / 2;
    } else {
      *pad1 = total / 2;
      *pad0 = total - total / 2;
    }
  } else {
    yolo_op_error (error, n, "Conv: unknown auto_pad '%s'", auto_pad);
    return FALSE;
  }
  if (o < 1) {
    yolo_op_error (error, n, "Conv: kernel extent %" G_GINT64_FORMAT
        " larger than the padded input %d", ext, in + *pad0 + *pad1);
    return FALSE;
  }
  *out = (int) o;
  return TRUE;
}

gboolean
yolo_conv_params (YoloGraph * g, YoloNode * n, ConvParams * p, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  YoloTensor *w = YOLO_IN (g, n, 1);
  YoloTensor *b = YOLO_IN (g, n, 2);
  const char *auto_pad;
  const gint64 *ks;
  int nks = 0, i;
  gint64 group;
  const gint64 *pads;
  int npads = 0;
  char buf[128];

  memset (p, 0, sizeof (*p));
  if (x == NULL || w == NULL || n->n_outputs < 1) {
    yolo_op_error (error, n, "Conv needs inputs X and W and one output");
    return FALSE;
  }
  if (!yolo_tensor_is_const (w))
    return yolo_op_unsupported (error, n, "the weights W must be a constant");
  if (b != NULL && !yolo_tensor_is_const (b))
    return yolo_op_unsupported (error, n, "the bias B must be a constant");
  if (x->dtype != YOLO_DTYPE_FLOAT || w->dtype != YOLO_DTYPE_FLOAT
      || (b != NULL && b->dtype != YOLO_DTYPE_FLOAT))
    return yolo_op_unsupported (error, n, "only float32 tensors are supported");
  if (x->ndim != 4)
    return yolo_op_unsupported (error, n, "only 2D convolution (4D input) is "
        "supported");
  /* a batch N > 1 (yolo_engine batch option) is lowered as N batch-1
   * convolutions at image offsets (yolo-lower.c); the kernels see N = 1 */
  for (i = 0; i < 4; i++) {
    if (x->dims[i] < 1 || x->dims[i] > G_MAXINT / 4) {
      yolo_op_error (error, n, "Conv input has invalid shape %s",
          yolo_shape_str (x, buf, sizeof (buf)));
      return FALSE;
    }
  }
  if (w->ndim != 4 || w->dims[0] < 1 || w->dims[1] < 1 || w->dims[2] < 1
      || w->dims[3] < 1 || w->dims[2] > 1024 || w->dims[3] > 1024
      || w->dims[0] > G_MAXINT / 4 || w->dims[1] > G_MAXINT / 4) {
    yolo_op_error (error, n, "Conv weights have invalid shape %s "
        "(expected [M, C/group, kH, kW])",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  p->C = x->dims[1];
  p->H = x->dims[2];
  p->W = x->dims[3];
  p->M = w->dims[0];
  p->kh = w->dims[2];
  p->kw = w->dims[3];

  group = yolo_node_attr_int (n, "group", 1);
  if (group < 1 || group > p->C || p->C % group != 0 || p->M % group != 0) {
    yolo_op_error (error, n, "Conv group %" G_GINT64_FORMAT " does not "
        "divide input channels %d and output channels %d", group, p->C, p->M);
    return FALSE;
  }
  p->group = group;
  p->Cg = p->C / p->group;
  p->Mg = p->M / p->group;
  if (w->dims[1] != p->Cg) {
    yolo_op_error (error, n, "Conv weights %s: expected %d input channels "
        "per group (C=%d, group=%d)", yolo_shape_str (w, buf, sizeof (buf)),
        p->Cg, p->C, p->group);
    return FALSE;
  }
  if (b != NULL && (b->ndim != 1 || b->dims[0] != p->M)) {
    yolo_op_error (error, n, "Conv bias %s: expected [%d]",
        yolo_shape_str (b, buf, sizeof (buf)), p->M);
    return FALSE;
  }

  ks = yolo_node_attr_ints (n, "kernel_shape", &nks);
  if (ks != NULL && (nks != 2 || ks[0] != p->kh || ks[1] != p->kw)) {
    yolo_op_error (error, n, "Conv kernel_shape does not match weights %s",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  if (!conv_get_pair (n, "strides", 1, &p->sh, &p->sw, TRUE, error)
      || !conv_get_pair (n, "dilations", 1, &p->dh, &p->dw, TRUE, error))
    return FALSE;

  pads = yolo_node_attr_ints (n, "pads", &npads);
  if (pads != NULL) {
    if (npads != 4) {
      yolo_op_error (error, n, "Conv pads needs 4 values, got %d", npads);
      return FALSE;
    }
    for (i = 0; i < 4; i++) {
      if (pads[i] < 0 || pads[i] > 65536) {
        yolo_op_error (error, n, "Conv pads has invalid value %"
            G_GINT64_FORMAT, pads[i]);
        return FALSE;
      }
    }
    p->pt = pads[0];
    p->pl = pads[1];
    p->pb = pads[2];
    p->pr = pads[3];
  }
  auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  if (auto_pad == NULL || auto_pad[0] == '\0')
    auto_pad = "NOTSET";
  if (!conv_dim (n, auto_pad, p->H, p->kh, p->sh, p->dh, &p->pt, &p->pb,
          &p->Ho, error)
      || !conv_dim (n, auto_pad, p->W, p->kw, p->sw, p->dw, &p->pl, &p->pr,
          &p->Wo, error))
    return FALSE;
  p->N = (int) x->dims[0];
  if ((gint64) p->N * p->M * p->Ho * p->Wo > G_MAXINT / 2
      || (gint64) p->N * p->C * p->H * p->W > G_MAXINT / 2) {
    yolo_op_error (error, n, "Conv tensors are too large");
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_conv_residual_ok (YoloGraph * g, YoloNode * n, const ConvParams * p,
    YoloTensor ** res, GError ** error)
{
  *res = NULL;
  if (n->residual < 0)
    return TRUE;
  *res = YOLO_T (g, n->residual);
  if (yolo_tensor_numel (*res) != (gint64) p->N * p->M * p->Ho * p->Wo
      || (*res)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_error (error, n, "Conv fused residual does not match the output "
        "[%d,%d,%d,%d]", p->N, p->M, p->Ho, p->Wo);
    return FALSE;
  }
  return TRUE;
}

static gboolean
conv_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  gint64 dims[4];

  if (!yolo_conv_params (g, n, &p, error))
    return FALSE;
  dims[0] = p.N;
  dims[1] = p.M;
  dims[2] = p.Ho;
  dims[3] = p.Wo;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, 4, dims);
  return TRUE;
}

static gboolean
conv_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  ConvParams p;
  YoloTensor *xt = YOLO_IN (g, n, 0), *wt = YOLO_IN (g, n, 1);
  YoloTensor *bt = YOLO_IN (g, n, 2), *rt, *yt = YOLO_OUT (g, n, 0);
  const float *x, *w, *bias, *res;
  float *y;
  int m, oy, ox, c, ky, kx, img;

  if (!yolo_conv_params (g, n, &p, error)
      || !yolo_conv_residual_ok (g, n, &p, &rt, error))
    return FALSE;
  x = xt->data;
  w = wt->data;
  bias = bt ? bt->data : NULL;
  res = rt ? rt->data : NULL;
  if (x == NULL || w == NULL || (bt && bias == NULL) || (rt && res == NULL)) {
    yolo_op_error (error, n, "Conv eval: input data is missing");
    return FALSE;
  }
  y = yolo_tensor_alloc_data (yt);

  for (img = 0; img < p.N; img++, x += (gsize) p.C * p.H * p.W,
      y += (gsize) p.M * p.Ho * p.Wo,
      res = res ? res + (gsize) p.M * p.Ho * p.Wo : NULL)
    for (m = 0; m < p.M; m++) {
      const float *xg = x + (gsize) (m / p.Mg) * p.Cg * p.H * p.W;
      const float *wm = w + (gsize) m * p.Cg * p.kh * p.kw;
      for (oy = 0; oy < p.Ho; oy++) {
        for (ox = 0; ox < p.Wo; ox++) {
          double acc = bias ? bias[m] : 0.0;
          gsize o = ((gsize) m * p.Ho + oy) * p.Wo + ox;
          float v;
          for (c = 0; c < p.Cg; c++) {
            for (ky = 0; ky < p.kh; ky++) {
              int iy = oy * p.sh - p.pt + ky * p.dh;
              if (iy < 0 || iy >= p.H)
                continue;
              for (kx = 0; kx < p.kw; kx++) {
                int ix = ox * p.sw - p.pl + kx * p.dw;
                if (ix < 0 || ix >= p.W)
                  continue;
                acc += (double) xg[((gsize) c * p.H + iy) * p.W + ix]
                    * wm[(c * p.kh + ky) * p.kw + kx];
              }
            }
          }
          if (n->qepi) {
            y[o] = yolo_qdq_epilogue_apply (n->qepi, n->act, (float) acc,
                res ? &res[o] : NULL);
            continue;
          }
          v = yolo_act_apply (n->act, n->act_alpha, n->act_beta, (float) acc);
          if (res)
            v += res[o];
          y[o] = v;
        }
      }
    }
  return TRUE;
}

static const YoloOpDef conv_def = { "Conv", 0, conv_infer, conv_eval };

const YoloOpDef *const yolo_ops_conv[] = { &conv_def, NULL };
