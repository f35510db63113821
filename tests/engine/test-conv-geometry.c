/* test-conv-geometry.c - the geometry that Conv, ConvTranspose and
 * ConvInteger share (plugin/engine/ops/conv-geometry.c), through each op's
 * shape inference: output sizes and resolved pads against the ONNX
 * formulas written out here, and every bad attribute or weight shape
 * refused by all three ops with an INVALID_MODEL error that names the node
 * and the attribute. Host only (no device). */
#include <string.h>

#include "yolo-test-util.h"
#include "ops/conv.h"
#include "ops/convtranspose.h"
#include "ops/quant.h"


typedef struct
{
  const char *op;
  YoloDType xt, wt;
  gboolean transposed;
} OpKind;

static const OpKind ops[] = {
  {"Conv", YOLO_DTYPE_FLOAT, YOLO_DTYPE_FLOAT, FALSE},
  {"ConvTranspose", YOLO_DTYPE_FLOAT, YOLO_DTYPE_FLOAT, TRUE},
  {"ConvInteger", YOLO_DTYPE_UINT8, YOLO_DTYPE_INT8, FALSE},
};

/* x [1, C, H, W] and weights wdims into a node of kind o. */
static YoloGraph *
build_w (const OpKind * o, int C, int H, int W, const gint64 * wdims,
    YoloNode ** n)
{
  YoloGraph *g = yolo_graph_new ();

  g->opset = 20;
  yolo_test_input (g, "x", o->xt, 4, DIMS (1, C, H, W), 0, 1);
  yolo_test_const (g, "w", o->wt, 4, wdims, 0, 1);
  *n = yolo_test_node (g, o->op, "x,w", "y");
  yolo_test_output (g, "y");
  return g;
}

/* The same with weights of kh x kw for M outputs, group 1. */
static YoloGraph *
build (const OpKind * o, int C, int H, int W, int M, int kh, int kw,
    YoloNode ** n)
{
  return build_w (o, C, H, W, o->transposed ? DIMS (C, M, kh, kw) :
      DIMS (M, C, kh, kw), n);
}

/* The op's own geometry of node n (inferred already). */
static void
node_geometry (const OpKind * o, YoloGraph * g, YoloNode * n,
    YoloConvGeometry * p)
{
  GError *err = NULL;
  gboolean ok;

  if (!strcmp (o->op, "Conv"))
    ok = yolo_conv_params (g, n, p, &err);
  else if (o->transposed)
    ok = yolo_convtranspose_params (g, n, p, &err);
  else
    ok = yolo_qconv_geom (g, n, p, &err);
  g_assert_no_error (err);
  g_assert_true (ok);
}

typedef struct
{
  int H, kh, s, d, p0, p1, op;  /* op: output_padding (transposed only) */
  const char *auto_pad;         /* NULL: pads p0, p1 */
} AxisCase;

/* Every case on the H axis, W the same with H + 3 and kernel + 1 where
 * that stays valid. */
static const AxisCase axis_cases[] = {
  {9, 3, 1, 1, 1, 1, 0, NULL},
  {10, 3, 2, 1, 0, 2, 1, NULL},
  {11, 4, 3, 2, 2, 0, 1, NULL},
  {9, 4, 2, 1, 0, 0, 0, "SAME_UPPER"},  /* forward total 3: odd */
  {9, 4, 2, 1, 0, 0, 0, "SAME_LOWER"},
  {8, 3, 3, 2, 0, 0, 0, "SAME_UPPER"},
  {8, 3, 1, 1, 0, 0, 0, "SAME_LOWER"},  /* total 2: even */
  {12, 5, 2, 1, 3, 3, 0, "VALID"},      /* pads ignored */
};

/* Output size and begin / end pads of one axis as the ONNX operator
 * documents write them. */
static void
expected_axis (gboolean transposed, const AxisCase * c, int k, int in,
    int *out, int *p0, int *p1)
{
  int ext = c->d * (k - 1) + 1, total;
  gboolean same = c->auto_pad && g_str_has_prefix (c->auto_pad, "SAME_");
  gboolean valid = c->auto_pad && !strcmp (c->auto_pad, "VALID");

  *p0 = valid || same ? 0 : c->p0;
  *p1 = valid || same ? 0 : c->p1;
  if (!transposed) {
    if (same) {
      *out = (in + c->s - 1) / c->s;
      total = MAX (0, (*out - 1) * c->s + ext - in);
    } else {
      *out = (in + *p0 + *p1 - ext) / c->s + 1;
      return;
    }
  } else {
    int full = c->s * (in - 1) + c->op + ext;
    if (!same) {
      *out = full - *p0 - *p1;
      return;
    }
    *out = MIN (in * c->s, full);
    total = full - *out;
  }
  /* SAME_UPPER: the odd pad at the end */
  *p0 = !strcmp (c->auto_pad, "SAME_UPPER") ? total / 2 : total - total / 2;
  *p1 = total - *p0;
}

static void
test_output_sizes (void)
{
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    for (guint k = 0; k < G_N_ELEMENTS (axis_cases); k++) {
      const AxisCase *c = &axis_cases[k];
      int W = c->H + 3, kw = c->kh + 1, eh, ew, pt, pb, pl, pr;
      YoloConvGeometry p;
      YoloNode *n;
      YoloGraph *g = build (&ops[o], 4, c->H, W, 5, c->kh, kw, &n);
      GError *err = NULL;
      YoloTensor *y;

      yolo_test_attr_ints (n, "strides", 2, DIMS (c->s, c->s));
      yolo_test_attr_ints (n, "dilations", 2, DIMS (c->d, c->d));
      yolo_test_attr_ints (n, "pads", 4, DIMS (c->p0, c->p0, c->p1, c->p1));
      if (ops[o].transposed && c->op > 0)
        yolo_test_attr_ints (n, "output_padding", 2, DIMS (c->op, c->op));
      if (c->auto_pad)
        yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING)->s =
            g_strdup (c->auto_pad);
      expected_axis (ops[o].transposed, c, c->kh, c->H, &eh, &pt, &pb);
      expected_axis (ops[o].transposed, c, kw, W, &ew, &pl, &pr);
      g_test_message ("%s case %u: expect %dx%d pads %d,%d,%d,%d", ops[o].op,
          k, eh, ew, pt, pl, pb, pr);
      g_assert_true (yolo_graph_infer (g, &err));
      g_assert_no_error (err);
      y = YOLO_OUT (g, n, 0);
      g_assert_cmpint (y->ndim, ==, 4);
      g_assert_cmpint (y->dims[0], ==, 1);
      g_assert_cmpint (y->dims[1], ==, 5);
      g_assert_cmpint (y->dims[2], ==, eh);
      g_assert_cmpint (y->dims[3], ==, ew);
      node_geometry (&ops[o], g, n, &p);
      g_assert_cmpint (p.Ho, ==, eh);
      g_assert_cmpint (p.Wo, ==, ew);
      g_assert_cmpint (p.pt, ==, pt);
      g_assert_cmpint (p.pb, ==, pb);
      g_assert_cmpint (p.pl, ==, pl);
      g_assert_cmpint (p.pr, ==, pr);
      yolo_graph_free (g);
    }
  }
}

typedef enum
{ ATTR_INTS, ATTR_INT, ATTR_STRING } AttrKind;

typedef struct
{
  const char *name;
  AttrKind kind;
  int cnt;
  gint64 v[4];
  const char *s;
  const char *expect;           /* in the message */
  gboolean transposed_only;
} BadAttr;

static const BadAttr bad_attrs[] = {
  {"strides", ATTR_INTS, 2, {0, 1}, NULL, "strides has invalid values [0,1]"},
  {"strides", ATTR_INTS, 3, {1, 1, 1}, NULL, "strides needs 2 values, got 3"},
  {"strides", ATTR_INTS, 2, {1, 65537}, NULL, "strides has invalid values"},
  {"dilations", ATTR_INTS, 2, {-4, 1}, NULL, "dilations has invalid values"},
  {"dilations", ATTR_INTS, 2, {1, G_MAXINT64}, NULL,
      "dilations has invalid values"},
  {"pads", ATTR_INTS, 3, {1, 1, 1}, NULL, "pads needs 4 values, got 3"},
  {"pads", ATTR_INTS, 4, {0, -1, 0, 0}, NULL, "pads has invalid value -1"},
  {"pads", ATTR_INTS, 4, {0, 0, 65537, 0}, NULL,
      "pads has invalid value 65537"},
  {"kernel_shape", ATTR_INTS, 2, {3, 5}, NULL, "kernel_shape does not match"},
  {"kernel_shape", ATTR_INTS, 1, {3}, NULL, "kernel_shape does not match"},
  {"group", ATTR_INT, 0, {3}, NULL, "group 3 does not divide the 4 input"},
  {"group", ATTR_INT, 0, {0}, NULL, "group 0 does not divide"},
  {"group", ATTR_INT, 0, {-G_MAXINT64}, NULL, "does not divide"},
  {"auto_pad", ATTR_STRING, 0, {0}, "SIDEWAYS", "unknown auto_pad 'SIDEWAYS'"},
  {"output_padding", ATTR_INTS, 2, {2, 0}, NULL,
      "output_padding [2,0] must be smaller", TRUE},
  {"output_padding", ATTR_INTS, 2, {-1, 0}, NULL,
      "output_padding has invalid values", TRUE},
};

/* Infers g, which must fail with INVALID_MODEL naming node n and saying
 * expect. */
static void
expect_error (YoloGraph * g, YoloNode * n, const char *expect)
{
  GError *err = NULL;

  g_assert_false (yolo_graph_infer (g, &err));
  g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL);
  g_test_message ("%s", err->message);
  g_assert_nonnull (strstr (err->message, n->name));
  g_assert_nonnull (strstr (err->message, n->op_type));
  g_assert_nonnull (strstr (err->message, expect));
  g_assert_null (strchr (err->message, '\n'));
  g_error_free (err);
  yolo_graph_free (g);
}

static void
test_bad_attributes (void)
{
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    for (guint k = 0; k < G_N_ELEMENTS (bad_attrs); k++) {
      const BadAttr *b = &bad_attrs[k];
      YoloNode *n;
      YoloGraph *g;

      if (b->transposed_only && !ops[o].transposed)
        continue;
      g = build (&ops[o], 4, 9, 9, 8, 3, 3, &n);
      if (b->kind == ATTR_INTS)
        yolo_test_attr_ints (n, b->name, b->cnt, b->v);
      else if (b->kind == ATTR_INT)
        yolo_node_add_attr (n, b->name, YOLO_ATTR_INT)->i = b->v[0];
      else
        yolo_node_add_attr (n, b->name, YOLO_ATTR_STRING)->s = g_strdup (b->s);
      expect_error (g, n, b->expect);
    }
  }
}

/* Weights and input shapes every op refuses, and the forward ops' kernel
 * larger than the padded input. */
static void
test_bad_shapes (void)
{
  for (guint o = 0; o < G_N_ELEMENTS (ops); o++) {
    YoloNode *n;
    YoloGraph *g;

    /* a kernel over 1024 */
    g = build (&ops[o], 4, 9, 9, 8, 1025, 1, &n);
    expect_error (g, n, "weights have invalid shape [");
    /* weights' input channels != C (group 1) */
    g = build_w (&ops[o], 4, 9, 9, ops[o].transposed ? DIMS (3, 8, 3, 3) :
        DIMS (8, 3, 3, 3), &n);
    expect_error (g, n, "expected 4 input channels");
    /* group 2 not dividing the 3 output channels (forward) */
    if (!ops[o].transposed) {
      g = build_w (&ops[o], 4, 9, 9, DIMS (3, 2, 3, 3), &n);
      yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = 2;
      expect_error (g, n, "group 2 does not divide the 3 output channels");
      g = build (&ops[o], 4, 4, 4, 8, 5, 5, &n);
      expect_error (g, n, "kernel extent 5 larger than the padded input 4");
    }
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/conv-geometry/output-sizes", test_output_sizes);
  g_test_add_func ("/conv-geometry/bad-attributes", test_bad_attributes);
  g_test_add_func ("/conv-geometry/bad-shapes", test_bad_shapes);
  return g_test_run ();
}
