/* ops/pool.c - MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool over
 * 1-D ([N,C,W]) and 2-D ([N,C,H,W]) inputs: the front end (geometry, shape
 * inference, C reference; the OpenCL variants are in
 * backend-opencl/pool.c). The Indices output of MaxPool is not
 * supported. */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "pool.h"
#include "ops/conv-geometry.h"


gboolean
yolo_pool_is_global (const YoloNode * n)
{
  return g_str_has_prefix (n->op_type, "Global");
}

/* Reads an INTS attribute of ns values (or def when absent). */
static gboolean
pool_ints (const YoloNode * n, const char *name, int ns, gint64 def,
    gint64 * out, GError ** error)
{
  int cnt = 0;
  const gint64 *v = yolo_node_attr_ints (n, name, &cnt);

  for (int i = 0; i < ns; i++)
    out[i] = def;
  if (!v)
    return TRUE;
  if (cnt != ns) {
    yolo_op_error (error, n, "attribute %s has %d values, expected %d",
        name, cnt, ns);
    return FALSE;
  }
  for (int i = 0; i < ns; i++)
    out[i] = v[i];
  return TRUE;
}

/* Output length and pads of one spatial dim. */
static gboolean
pool_dim (const YoloNode * n, const char *auto_pad, gboolean ceil_mode,
    gint64 in, gint64 k, gint64 s, gint64 d, gint64 * pb, gint64 * pe,
    gint64 * out, GError ** error)
{
  gint64 eff;

  /* 32-bit bounds keep every product and sum below in 64 bits */
  if (k < 1 || s < 1 || d < 1 || k > G_MAXINT32 || s > G_MAXINT32
      || d > G_MAXINT32) {
    yolo_op_error (error, n, "invalid kernel/stride/dilation");
    return FALSE;
  }
  if (*pb > G_MAXINT32 || *pe > G_MAXINT32) {
    yolo_op_error (error, n, "pads out of range");
    return FALSE;
  }
  eff = (k - 1) * d + 1;
  if (!strcmp (auto_pad, "SAME_UPPER") || !strcmp (auto_pad, "SAME_LOWER")) {
    yolo_conv_same_pads (auto_pad[5] == 'U', in, eff, s, out, pb, pe);
    return TRUE;
  }
  if (!strcmp (auto_pad, "VALID")) {
    *pb = *pe = 0;
  } else if (strcmp (auto_pad, "NOTSET") != 0 && auto_pad[0] != '\0') {
    yolo_op_error (error, n, "unknown auto_pad '%s'", auto_pad);
    return FALSE;
  }
  if (*pb < 0 || *pe < 0 || in + *pb + *pe < eff) {
    yolo_op_error (error, n, "kernel larger than the padded input");
    return FALSE;
  }
  if (ceil_mode) {
    *out = (in + *pb + *pe - eff + s - 1) / s + 1;
    /* the last window must start inside the input or the begin pad */
    if ((*out - 1) * s >= in + *pb)
      (*out)--;
  } else {
    *out = (in + *pb + *pe - eff) / s + 1;
  }
  return TRUE;
}

gboolean
yolo_pool_geom (YoloGraph * g, const YoloNode * n, PoolGeom * pg,
    GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 k[2], s[2], d[2], p[4], in[2], out[2];
  gboolean ceil_mode;
  const char *auto_pad;
  int ns;

  memset (pg, 0, sizeof *pg);
  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (!yolo_dtype_is_float (x->dtype))
    return yolo_op_unsupported (error, n, "non-float input");
  if (x->ndim != 3 && x->ndim != 4)
    return yolo_op_unsupported (error, n, "only 1-D and 2-D pooling");
  ns = x->ndim - 2;
  pg->planes = x->dims[0] * x->dims[1];
  pg->H = ns == 2 ? x->dims[2] : 1;
  pg->W = x->dims[x->ndim - 1];

  if (!strcmp (n->op_type, "MaxPool"))
    pg->mode = POOL_MAX;
  else
    pg->mode = yolo_node_attr_int (n, "count_include_pad", 0)
        ? POOL_AVG_INCL_PAD : POOL_AVG;

  if (yolo_pool_is_global (n)) {
    pg->kh = pg->H;
    pg->kw = pg->W;
    pg->sh = pg->sw = pg->dh = pg->dw = 1;
    pg->OH = pg->OW = 1;
    return TRUE;
  }

  if (n->n_outputs > 1 && n->outputs[1] >= 0)
    return yolo_op_unsupported (error, n, "Indices output");
  if (!yolo_node_attr (n, "kernel_shape")) {
    yolo_op_error (error, n, "missing kernel_shape");
    return FALSE;
  }
  if (!pool_ints (n, "kernel_shape", ns, 1, k, error)
      || !pool_ints (n, "strides", ns, 1, s, error)
      || !pool_ints (n, "dilations", ns, 1, d, error)
      || !pool_ints (n, "pads", 2 * ns, 0, p, error))
    return FALSE;
  ceil_mode = yolo_node_attr_int (n, "ceil_mode", 0) != 0;
  auto_pad = yolo_node_attr_string (n, "auto_pad", "NOTSET");
  in[0] = pg->H;
  in[1] = pg->W;
  if (ns == 1) {
    /* 1-D: H = 1 with a 1-tall kernel; pads were [begin, end] */
    k[1] = k[0];
    s[1] = s[0];
    d[1] = d[0];
    p[3] = p[1];
    p[1] = p[0];
    k[0] = s[0] = d[0] = 1;
    p[0] = p[2] = 0;
    out[0] = 1;
  }
  for (int i = 2 - ns; i < 2; i++) {
    if (!pool_dim (n, auto_pad, ceil_mode, in[i], k[i], s[i], d[i], &p[i],
            &p[i + 2], &out[i], error))
      return FALSE;
  }
  pg->kh = k[0];
  pg->kw = k[1];
  pg->sh = s[0];
  pg->sw = s[1];
  pg->dh = d[0];
  pg->dw = d[1];
  pg->ph = p[0];
  pg->pw = p[1];
  pg->peh = p[2];
  pg->pew = p[3];
  pg->OH = out[0];
  pg->OW = out[1];
  if (pg->OH < 1 || pg->OW < 1) {
    yolo_op_error (error, n, "empty output");
    return FALSE;
  }
  return TRUE;
}

static gboolean
pool_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  gint64 dims[YOLO_MAX_DIMS];
  PoolGeom pg;

  if (yolo_pool_is_global (n)) {
    if (!x || n->n_outputs < 1 || x->ndim < 3) {
      yolo_op_error (error, n, "expects an [N,C,...] input");
      return FALSE;
    }
    if (!yolo_dtype_is_float (x->dtype))
      return yolo_op_unsupported (error, n, "non-float input");
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 2; i < x->ndim; i++)
      dims[i] = 1;
    yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, x->ndim, dims);
    return TRUE;
  }
  if (!yolo_pool_geom (g, n, &pg, error))
    return FALSE;
  dims[0] = x->dims[0];
  dims[1] = x->dims[1];
  if (x->ndim == 4) {
    dims[2] = pg.OH;
    dims[3] = pg.OW;
  } else {
    dims[2] = pg.OW;
  }
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, x->ndim, dims);
  return TRUE;
}

static gboolean
pool_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  const float *xd = x->data;
  float *yd;
  PoolGeom pg;

  if (!xd) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (yolo_pool_is_global (n)) {
    gint64 hw = 1;
    gint64 planes = x->dims[0] * x->dims[1];
    for (int i = 2; i < x->ndim; i++)
      hw *= x->dims[i];
    gboolean is_max = !strcmp (n->op_type, "GlobalMaxPool");
    yd = yolo_tensor_alloc_data (y);
    for (gint64 p = 0; p < planes; p++) {
      const float *src = xd + p * hw;
      float r = is_max ? -INFINITY : 0.0f;
      for (gint64 i = 0; i < hw; i++)
        r = is_max ? fmaxf (r, src[i]) : r + src[i];
      yd[p] = is_max ? r : r / (float) hw;
    }
    return TRUE;
  }

  if (!yolo_pool_geom (g, n, &pg, error))
    return FALSE;
  yd = yolo_tensor_alloc_data (y);
  for (gint64 p = 0; p < pg.planes; p++) {
    const float *src = xd + p * pg.H * pg.W;
    for (gint64 oh = 0; oh < pg.OH; oh++) {
      for (gint64 ow = 0; ow < pg.OW; ow++) {
        gint64 hs = oh * pg.sh - pg.ph, ws = ow * pg.sw - pg.pw;
        float m = -INFINITY, s = 0.0f, r;
        gint64 cnt = 0, cnt_pad = 0;
        for (gint64 ky = 0; ky < pg.kh; ky++) {
          gint64 iy = hs + ky * pg.dh;
          if (iy >= pg.H + pg.peh)
            break;
          for (gint64 kx = 0; kx < pg.kw; kx++) {
            gint64 ix = ws + kx * pg.dw;
            float v;
            if (ix >= pg.W + pg.pew)
              break;
            cnt_pad++;
            if (iy < 0 || iy >= pg.H || ix < 0 || ix >= pg.W)
              continue;
            v = src[iy * pg.W + ix];
            m = fmaxf (m, v);
            s += v;
            cnt++;
          }
        }
        if (pg.mode == POOL_MAX)
          r = m;
        else if (pg.mode == POOL_AVG_INCL_PAD)
          r = cnt_pad > 0 ? s / (float) cnt_pad : 0.0f;
        else
          r = cnt > 0 ? s / (float) cnt : 0.0f;
        yd[(p * pg.OH + oh) * pg.OW + ow] = r;
      }
    }
  }
  return TRUE;
}

static const YoloOpDef op_max_pool = { "MaxPool", 0, pool_infer, pool_eval };

static const YoloOpDef op_average_pool = { "AveragePool", 0, pool_infer,
  pool_eval
};

static const YoloOpDef op_global_average_pool = { "GlobalAveragePool", 0,
  pool_infer, pool_eval
};

static const YoloOpDef op_global_max_pool = { "GlobalMaxPool", 0,
  pool_infer, pool_eval
};

const YoloOpDef *const yolo_ops_pool[] = {
  &op_max_pool, &op_average_pool, &op_global_average_pool,
  &op_global_max_pool, NULL
};
