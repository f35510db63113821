/* ops/conv-geometry.c - attributes and output sizes of the 2-D
 * convolutions (Conv, ConvTranspose, ConvInteger / ConvIntegerToFloat),
 * see conv-geometry.h. Every value read from the file is bounded here
 * before it takes part in a product: kernels to 1024, strides, dilations,
 * pads and output_padding to 65536, channel and spatial sizes below
 * 2^31 / 4, whole tensors to G_MAXINT / 2 elements. */
#include <string.h>

#include "yolo-engine.h"
#include "ops/conv-geometry.h"

#define GEOM_MAX_K 1024
#define GEOM_MAX_ATTR 65536

/* Two values of INTS attribute name in lo..GEOM_MAX_ATTR (def, def when
 * absent). */
static gboolean
geom_pair (const YoloNode * n, const char *name, int def, int lo, int *a,
    int *b, GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, name, &cnt);

  *a = *b = def;
  if (v == NULL)
    return TRUE;
  if (cnt != 2) {
    yolo_op_error (error, n, "attribute %s needs 2 values, got %d", name, cnt);
    return FALSE;
  }
  if (v[0] < lo || v[1] < lo || v[0] > GEOM_MAX_ATTR || v[1] > GEOM_MAX_ATTR) {
    yolo_op_error (error, n, "attribute %s has invalid values [%"
        G_GINT64_FORMAT ",%" G_GINT64_FORMAT "]", name, v[0], v[1]);
    return FALSE;
  }
  *a = (int) v[0];
  *b = (int) v[1];
  return TRUE;
}

/* The shapes of x and w and the channel counts (group, C, M, Cg, Mg). */
static gboolean
geom_shapes (const YoloNode * n, const YoloTensor * x, const YoloTensor * w,
    YoloConvGeometry * p, GError ** error)
{
  char buf[128];
  gint64 group;

  for (int i = 0; i < 4; i++) {
    if (x->dims[i] < 1 || x->dims[i] > G_MAXINT / 4) {
      yolo_op_error (error, n, "input has invalid shape %s",
          yolo_shape_str (x, buf, sizeof (buf)));
      return FALSE;
    }
  }
  if (w->ndim != 4 || w->dims[0] < 1 || w->dims[1] < 1 || w->dims[2] < 1
      || w->dims[3] < 1 || w->dims[2] > GEOM_MAX_K || w->dims[3] > GEOM_MAX_K
      || w->dims[0] > G_MAXINT / 4 || w->dims[1] > G_MAXINT / 4) {
    yolo_op_error (error, n, "weights have invalid shape %s (expected %s)",
        yolo_shape_str (w, buf, sizeof (buf)), p->transposed ?
        "[C, M/group, kH, kW]" : "[M, C/group, kH, kW]");
    return FALSE;
  }
  p->N = x->dims[0];
  p->C = x->dims[1];
  p->H = x->dims[2];
  p->W = x->dims[3];
  p->kh = w->dims[2];
  p->kw = w->dims[3];

  group = yolo_node_attr_int (n, "group", 1);
  if (group < 1 || group > p->C || p->C % group != 0) {
    yolo_op_error (error, n, "group %" G_GINT64_FORMAT " does not divide "
        "the %d input channels", group, p->C);
    return FALSE;
  }
  p->group = group;
  p->Cg = p->C / p->group;
  if (p->transposed) {
    if (w->dims[0] != p->C) {
      yolo_op_error (error, n, "weights %s: expected %d input channels "
          "(dimension 0)", yolo_shape_str (w, buf, sizeof (buf)), p->C);
      return FALSE;
    }
    if (w->dims[1] * group > G_MAXINT / 4) {
      yolo_op_error (error, n, "too many output channels");
      return FALSE;
    }
    p->Mg = w->dims[1];
    p->M = p->Mg * p->group;
  } else {
    if (w->dims[0] % group != 0) {
      yolo_op_error (error, n, "group %" G_GINT64_FORMAT " does not divide "
          "the %" G_GINT64_FORMAT " output channels", group, w->dims[0]);
      return FALSE;
    }
    if (w->dims[1] != p->Cg) {
      yolo_op_error (error, n, "weights %s: expected %d input channels "
          "per group (C=%d, group=%d)", yolo_shape_str (w, buf,
              sizeof (buf)), p->Cg, p->C, p->group);
      return FALSE;
    }
    p->M = w->dims[0];
    p->Mg = p->M / p->group;
  }
  return TRUE;
}

gboolean
yolo_conv_geometry_parse (const YoloNode * n, const YoloTensor * x,
    const YoloTensor * w, gboolean transposed, YoloConvGeometry * p,
    GError ** error)
{
  const gint64 *ks, *pads;
  int nks = 0, npads = 0;
  const char *auto_pad;
  char buf[128];

  memset (p, 0, sizeof (*p));
  p->transposed = transposed;
  if (!geom_shapes (n, x, w, p, error))
    return FALSE;
  ks = yolo_node_attr_ints (n, "kernel_shape", &nks);
  if (ks != NULL && (nks != 2 || ks[0] != p->kh || ks[1] != p->kw)) {
    yolo_op_error (error, n, "kernel_shape does not match weights %s",
        yolo_shape_str (w, buf, sizeof (buf)));
    return FALSE;
  }
  if (!geom_pair (n, "strides", 1, 1, &p->sh, &p->sw, error)
      || !geom_pair (n, "dilations", 1, 1, &p->dh, &p->dw, error))
    return FALSE;
  if (transposed) {
    if (!geom_pair (n, "output_padding", 0, 0, &p->oph, &p->opw, error))
      return FALSE;
    if (p->oph >= MAX (p->sh, p->dh) || p->opw >= MAX (p->sw, p->dw)) {
      yolo_op_error (error, n, "output_padding [%d,%d] must be smaller than "
          "the stride or the dilation", p->oph, p->opw);
      return FALSE;
    }
  }
  pads = yolo_node_attr_ints (n, "pads", &npads);
  if (pads != NULL) {
    if (npads != 4) {
      yolo_op_error (error, n, "pads needs 4 values, got %d", npads);
      return FALSE;
    }
    for (int i = 0; i < 4; i++) {
      if (pads[i] < 0 || pads[i] > GEOM_MAX_ATTR) {
        yolo_op_error (error, n, "pads has invalid value %" G_GINT64_FORMAT,
            pads[i]);
        return FALSE;
      }
    }
    p->pt = pads[0];
    p->pl = pads[1];
    p->pb = pads[2];
    p->pr = pads[3];
  }
  auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  if (auto_pad[0] != '\0' && strcmp (auto_pad, "NOTSET") != 0
      && strcmp (auto_pad, "VALID") != 0
      && strcmp (auto_pad, "SAME_UPPER") != 0
      && strcmp (auto_pad, "SAME_LOWER") != 0) {
    yolo_op_error (error, n, "unknown auto_pad '%s'", auto_pad);
    return FALSE;
  }
  return TRUE;
}

/* total split begin / end: the odd one at the end (upper) or the begin. */
static void
geom_split (gboolean upper, gint64 total, gint64 * begin, gint64 * end)
{
  *begin = upper ? total / 2 : total - total / 2;
  *end = total - *begin;
}

void
yolo_conv_same_pads (gboolean upper, gint64 in, gint64 ext, gint64 s,
    gint64 * out, gint64 * begin, gint64 * end)
{
  *out = (in + s - 1) / s;
  geom_split (upper, MAX (0, (*out - 1) * s + ext - in), begin, end);
}

/* Output size and begin / end pads of one spatial axis of a convolution
 * (auto_pad checked by yolo_conv_geometry_parse). */
static gboolean
geom_axis (const YoloNode * n, const char *auto_pad, int in, int k, int s,
    int d, int *pad0, int *pad1, int *out, GError ** error)
{
  gint64 ext = (gint64) d * (k - 1) + 1;
  gint64 o, b, e;

  if (g_str_has_prefix (auto_pad, "SAME_")) {
    yolo_conv_same_pads (auto_pad[5] == 'U', in, ext, s, &o, &b, &e);
    *pad0 = b;
    *pad1 = e;
  } else {
    if (strcmp (auto_pad, "VALID") == 0)
      *pad0 = *pad1 = 0;
    o = (gint64) in + *pad0 + *pad1 < ext ? 0
        : ((gint64) in + *pad0 + *pad1 - ext) / s + 1;
  }
  if (o < 1) {
    yolo_op_error (error, n, "kernel extent %" G_GINT64_FORMAT
        " larger than the padded input %d", ext, in + *pad0 + *pad1);
    return FALSE;
  }
  *out = (int) o;
  return TRUE;
}

/* Output size and pads of one axis of a transposed convolution (the
 * arithmetic is described in ops/convtranspose.c). out_req: the
 * output_shape value or -1. */
static gboolean
geom_axis_transposed (const YoloNode * n, const char *auto_pad, int in,
    int k, int s, int d, int op, gint64 out_req, int *p0, int *p1,
    int *out, GError ** error)
{
  gint64 full = (gint64) s * (in - 1) + op + (gint64) d * (k - 1) + 1;
  gint64 o;

  if (g_str_has_prefix (auto_pad, "SAME_")) {
    /* input * stride, but never beyond the natural size (a kernel extent
     * smaller than the stride), as onnxruntime */
    if (out_req < 0)
      out_req = MIN ((gint64) in * s, full);
  } else if (strcmp (auto_pad, "VALID") == 0) {
    *p0 = *p1 = 0;
  }
  if (out_req >= 0) {
    gint64 total = full - out_req, b, e;
    /* onnxruntime takes an output up to stride - 1 beyond the natural size
     * (no pads; the extra rows / columns at the end hold the bias) */
    if (total < 0 && -total < s) {
      *p0 = 0;
      *p1 = (int) total;
      *out = (int) out_req;
      return TRUE;
    }
    if (total < 0 || total > GEOM_MAX_ATTR) {
      yolo_op_error (error, n, "output size %" G_GINT64_FORMAT " does not "
          "fit the input: the natural output size is %" G_GINT64_FORMAT
          " (input %d, kernel %d, stride %d, output_padding %d)", out_req,
          full, in, k, s, op);
      return FALSE;
    }
    geom_split (strcmp (auto_pad, "SAME_UPPER") == 0, total, &b, &e);
    *p0 = b;
    *p1 = e;
  }
  o = full - *p0 - *p1;
  if (o < 1 || o > G_MAXINT / 4) {
    yolo_op_error (error, n, "output size %" G_GINT64_FORMAT " is invalid "
        "(input %d, kernel %d, stride %d, pads %d+%d)", o, in, k, s, *p0, *p1);
    return FALSE;
  }
  *out = (int) o;
  return TRUE;
}

/* ConvTranspose's output_shape: [Ho, Wo], or the whole [N, M, Ho, Wo]
 * some exporters write; -1, -1 when absent. */
static gboolean
geom_output_shape (const YoloNode * n, gint64 * oh, gint64 * ow,
    GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, "output_shape", &cnt);

  *oh = *ow = -1;
  if (v == NULL)
    return TRUE;
  if (cnt != 2 && cnt != 4) {
    yolo_op_error (error, n, "output_shape needs 2 values, got %d", cnt);
    return FALSE;
  }
  *oh = v[cnt - 2];
  *ow = v[cnt - 1];
  if (*oh < 1 || *ow < 1 || *oh > G_MAXINT / 4 || *ow > G_MAXINT / 4) {
    yolo_op_error (error, n, "output_shape has invalid values");
    return FALSE;
  }
  return TRUE;
}

gboolean
yolo_conv_geometry_output (const YoloNode * n, YoloConvGeometry * p,
    GError ** error)
{
  const char *auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  gint64 oh, ow;

  if (auto_pad[0] == '\0')
    auto_pad = "NOTSET";
  if (p->transposed) {
    if (!geom_output_shape (n, &oh, &ow, error)
        || !geom_axis_transposed (n, auto_pad, p->H, p->kh, p->sh, p->dh,
            p->oph, oh, &p->pt, &p->pb, &p->Ho, error)
        || !geom_axis_transposed (n, auto_pad, p->W, p->kw, p->sw, p->dw,
            p->opw, ow, &p->pl, &p->pr, &p->Wo, error))
      return FALSE;
  } else if (!geom_axis (n, auto_pad, p->H, p->kh, p->sh, p->dh, &p->pt,
          &p->pb, &p->Ho, error)
      || !geom_axis (n, auto_pad, p->W, p->kw, p->sw, p->dw, &p->pl, &p->pr,
          &p->Wo, error)) {
    return FALSE;
  }
  if ((gint64) p->N * p->M * p->Ho * p->Wo > G_MAXINT / 2
      || (gint64) p->N * p->C * p->H * p->W > G_MAXINT / 2
      || (gint64) p->M * p->Cg * p->kh * p->kw > G_MAXINT / 2) {
    yolo_op_error (error, n, "tensors are too large");
    return FALSE;
  }
  return TRUE;
}

void
yolo_conv_geometry_out_dims (const YoloConvGeometry * p, gint64 dims[4])
{
  dims[0] = p->N;
  dims[1] = p->M;
  dims[2] = p->Ho;
  dims[3] = p->Wo;
}

gboolean
yolo_conv_geometry_is_pointwise (const YoloConvGeometry * p)
{
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->pt == 0
      && p->pl == 0 && p->pb == 0 && p->pr == 0 && p->group == 1;
}

gboolean
yolo_conv_residual_ok (YoloGraph * g, YoloNode * n,
    const YoloConvGeometry * p, YoloTensor ** res, GError ** error)
{
  *res = NULL;
  if (n->residual < 0)
    return TRUE;
  *res = YOLO_T (g, n->residual);
  if (yolo_tensor_numel (*res) != (gint64) p->N * p->M * p->Ho * p->Wo
      || (*res)->dtype != YOLO_DTYPE_FLOAT) {
    yolo_op_error (error, n, "fused residual does not match the output "
        "[%d,%d,%d,%d]", p->N, p->M, p->Ho, p->Wo);
    return FALSE;
  }
  return TRUE;
}
