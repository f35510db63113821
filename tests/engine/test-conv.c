/* test-conv.c - the Conv kernels against the C reference (conv eval). */
#include "yolo-test-util.h"
#include "yolo-backend.h"

#include <float.h>
#include <math.h>
#include <string.h>

typedef struct
{
  const char *label;
  int C, H, W, M;
  int kh, kw;
  int sh, sw;
  int pads[4];                  /* top, left, bottom, right */
  int dh, dw;
  int group;
  gboolean bias;
  YoloAct act;
  gboolean residual;
  const char *auto_pad;         /* NULL: NOTSET */
} ConvCase;

/* Output size for NOTSET / VALID / SAME_*, like the op. */
static int
out_dim (const char *auto_pad, int in, int k, int s, int d, int p0, int p1)
{
  int ext = d * (k - 1) + 1;
  if (auto_pad == NULL)
    return (in + p0 + p1 - ext) / s + 1;
  if (!strcmp (auto_pad, "VALID"))
    return (in - ext) / s + 1;
  return (in + s - 1) / s;
}

static YoloGraph *
build_case (const ConvCase * c, float act_alpha, float act_beta)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, c->C, c->H, c->W };
  gint64 wd[4] = { c->M, c->C / c->group, c->kh, c->kw };
  gint64 bd[1] = { c->M };
  const char *ins[3] = { "X", "W", c->bias ? "B" : NULL };
  const char *outs[1] = { "Y" };
  YoloNode *n;
  int ni, k[2] = { c->kh, c->kw }, s[2] = { c->sh, c->sw };
  int d[2] = { c->dh, c->dw };
  float scale = 1.0f / sqrtf ((float) (c->C / c->group) * c->kh * c->kw);

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -2.0f * scale,
      2.0f * scale);
  if (c->bias)
    yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.5f, 0.5f);
  ni = yolo_graph_add_node (g, "Conv", "conv0", 3, ins, 1, outs);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, k);
  if (c->sh != 1 || c->sw != 1)
    yolo_test_attr_int_array (n, "strides", 2, s);
  if (c->dh != 1 || c->dw != 1)
    yolo_test_attr_int_array (n, "dilations", 2, d);
  if (c->auto_pad) {
    YoloAttr *a = yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING);
    a->s = g_strdup (c->auto_pad);
  } else {
    yolo_test_attr_int_array (n, "pads", 4, c->pads);
  }
  if (c->group != 1) {
    YoloAttr *a = yolo_node_add_attr (n, "group", YOLO_ATTR_INT);
    a->i = c->group;
  }
  n->act = c->act;
  n->act_alpha = act_alpha;
  n->act_beta = act_beta;
  n->residual = -1;
  if (c->residual) {
    int ho = out_dim (c->auto_pad, c->H, c->kh, c->sh, c->dh, c->pads[0],
        c->pads[2]);
    int wo = out_dim (c->auto_pad, c->W, c->kw, c->sw, c->dw, c->pads[1],
        c->pads[3]);
    gint64 rd[4] = { 1, c->M, ho, wo };
    /* Set after the input is created: the node pointer stays valid since
     * nodes are stored by pointer. */
    n->residual = yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4, rd, -1.0f,
        1.0f);
  }
  yolo_test_output (g, "Y");
  return g;
}

static void
act_params (YoloAct act, float *alpha, float *beta)
{
  *alpha = 0.0f;
  *beta = 0.0f;
  if (act == YOLO_ACT_LEAKY_RELU)
    *alpha = 0.1f;
  else if (act == YOLO_ACT_HARD_SIGMOID) {
    *alpha = 0.2f;
    *beta = 0.5f;
  } else if (act == YOLO_ACT_CLIP) {
    *alpha = -0.5f;
    *beta = 0.75f;
  }
}

static void
run_case (const ConvCase * c)
{
  float alpha, beta;
  char *label;

  act_params (c->act, &alpha, &beta);
  label = g_strdup_printf ("%s: C%d %dx%d -> M%d k%dx%d s%d,%d "
      "p%d,%d,%d,%d d%d,%d g%d act%d res%d %s", c->label, c->C, c->H, c->W,
      c->M, c->kh, c->kw, c->sh, c->sw, c->pads[0], c->pads[1], c->pads[2],
      c->pads[3], c->dh, c->dw, c->group, c->act, c->residual,
      c->auto_pad ? c->auto_pad : "");
  yolo_test_check (build_case (c, alpha, beta), label, 1e-4f, 1e-4f, FALSE);
  g_free (label);
}

static void
run_cases (const ConvCase * cases, gsize n)
{
  for (gsize i = 0; i < n; i++)
    run_case (&cases[i]);
}

/* Runs cases with the conv_kernel option `variant`. */
static void
run_with (const ConvCase * cases, gsize n, const char *variant)
{
  YoloEngineOptions opt = {.conv_kernel = variant };

  yolo_test_set_options (&opt);
  run_cases (cases, n);
  yolo_test_set_options (NULL);
}

/* Every activation, with and without a residual, on each of the shapes
 * (with the options set). */
static void
run_activations (const ConvCase * shapes, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    for (int act = YOLO_ACT_NONE; act <= YOLO_ACT_CLIP; act++) {
      for (int res = 0; res < 2; res++) {
        ConvCase c = shapes[i];
        c.act = act;
        c.residual = res;
        run_case (&c);
      }
    }
  }
}

#define P0 { 0, 0, 0, 0 }
#define P1 { 1, 1, 1, 1 }

static void
test_conv_1x1 (void)
{
  static const ConvCase cases[] = {
    {"1x1", 16, 20, 20, 16, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"1x1", 32, 16, 16, 32, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"1x1", 3, 7, 5, 5, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_RELU},
    {"1x1", 12, 5, 5, 20, 1, 1, 1, 1, P0, 1, 1, 1, FALSE, YOLO_ACT_SIGMOID},
    {"1x1", 24, 1, 1, 24, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"1x1", 32, 13, 17, 12, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"1x1", 64, 40, 40, 24, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_NONE,
        TRUE},
    {"1x1", 5, 33, 1, 3, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"1x1 group", 16, 9, 11, 16, 1, 1, 1, 1, P0, 1, 1, 2, TRUE,
        YOLO_ACT_SILU},
    {"1x1 group", 24, 6, 12, 48, 1, 1, 1, 1, P0, 1, 1, 3, TRUE,
        YOLO_ACT_NONE, TRUE},
    /* 10x10: conv_1x1_c8's last tile is one vector (pixels 84..99) */
    {"1x1", 24, 10, 10, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
  /* Random shapes: last tiles of 1..32 new pixels, partial channel
   * blocks, every activation, with and without residual. */
  yolo_test_seed (1414);
  for (int i = 0; i < 16; i++) {
    ConvCase c = { "1x1 random", 1 + (int) yolo_test_rand (0, 63.99f),
      1 + (int) yolo_test_rand (0, 23.99f), 1 + (int) yolo_test_rand (0,
          23.99f), 1 + (int) yolo_test_rand (0, 39.99f), 1, 1, 1, 1, P0, 1,
      1, 1, i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)), i % 2 == 0
    };
    run_case (&c);
  }
}

static void
test_conv_3x3s1 (void)
{
  static const ConvCase cases[] = {
    {"3x3s1", 16, 20, 20, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s1", 16, 32, 32, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s1", 5, 13, 13, 12, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"3x3s1", 8, 17, 33, 24, 3, 3, 1, 1, P1, 1, 1, 1, FALSE, YOLO_ACT_RELU},
    {"3x3s1", 3, 1, 1, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"3x3s1", 20, 2, 16, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s1", 12, 15, 15, 5, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s1", 24, 7, 40, 32, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s1", 64, 10, 20, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s1 group", 8, 11, 19, 16, 3, 3, 1, 1, P1, 1, 1, 2, TRUE,
        YOLO_ACT_SILU},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_conv_3x3s2 (void)
{
  static const ConvCase cases[] = {
    {"3x3s2", 3, 64, 64, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s2", 16, 33, 33, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s2", 8, 13, 17, 12, 3, 3, 2, 2, P1, 1, 1, 1, FALSE, YOLO_ACT_NONE},
    {"3x3s2", 4, 40, 64, 8, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s2", 5, 1, 1, 8, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_RELU},
    {"3x3s2", 12, 2, 3, 20, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"3x3s2", 32, 40, 40, 64, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s2", 16, 31, 34, 24, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

/* conv-im2col (forced; on wide-vector CPUs, else the automatic choice):
 * the small-output shapes it is tuned for (YOLOv8n-320's 20 -> 10 stride 2
 * and 10x10 stride 1 layers), outputs under the GEMM's 32 pixels, odd
 * sizes, channels off the block of 8, residual, other kernels / strides /
 * dilations. */
static void
test_conv_im2col (void)
{
  static const ConvCase cases[] = {
    {"im2col 3x3s2", 128, 20, 20, 256, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"im2col 3x3s1", 80, 10, 10, 80, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"im2col 3x3s2", 5, 9, 7, 12, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"im2col 3x3s1", 7, 13, 13, 20, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"im2col 3x3s2", 16, 33, 31, 24, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"im2col 1x1", 3, 1, 1, 9, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"im2col 5x5 dil2", 6, 17, 19, 8, 5, 5, 1, 2, {4, 3, 2, 1}, 2, 1, 1,
        TRUE, YOLO_ACT_NONE},
  };

  run_with (cases, G_N_ELEMENTS (cases), "conv-im2col");
}

/* Whether the engine for c runs on a wide-vector CPU (PoCL), where the
 * conv_cpu.cl variants exist. */
static gboolean
wide_device (const ConvCase * c)
{
  YoloEngineOptions off = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e;
  gboolean wide;

  if (!yolo_test_have_device ())
    return FALSE;
  e = yolo_engine_new_from_graph (build_case (c, 0, 0), &off, TRUE, &err);
  g_assert_no_error (err);
  wide = yolo_rt_device (e->rt)->wide_vectors;
  yolo_engine_free (e);
  return wide;
}

/* Runs cases with the Conv variant `variant` forced; on wide-vector CPUs
 * asserts that `kernel` ran (elsewhere: the automatic choice). */
static void
run_forced (const ConvCase * cases, gsize n, const char *variant,
    const char *kernel)
{
  if (wide_device (&cases[0]))
    yolo_test_expect_kernel (kernel, TRUE);
  run_with (cases, n, variant);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* conv-cpu-3x3s1-flat: the 10x10 / 20x20 / 13x13 layers it is for,
 * exactly 32 pixels, one input channel (the first channel is also the
 * last: gathers on both sides), tiles that all touch the first or last
 * row, one-pixel rows, the widest rows it takes (interior tiles), channels
 * off the block of 8, groups, residual, no bias. */
static void
test_conv_3x3s1_flat (void)
{
  static const ConvCase cases[] = {
    {"flat 10x10", 64, 10, 10, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"flat 13x13", 5, 13, 13, 12, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"flat 32 px", 1, 8, 4, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"flat 33 px", 3, 3, 11, 16, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_SILU, TRUE},
    {"flat W1", 2, 40, 1, 9, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_RELU},
    {"flat 20x20", 16, 20, 20, 24, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"flat W40", 12, 33, 40, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"flat group", 8, 11, 19, 16, 3, 3, 1, 1, P1, 1, 1, 2, TRUE,
        YOLO_ACT_SILU, TRUE},
  };

  ConvCase rnd[12];

  run_forced (cases, G_N_ELEMENTS (cases), "conv-cpu-3x3s1-flat",
      "conv_3x3s1_flat_c8");
  /* Random planes of W <= 40 and H * W >= 32: last tiles of 1..32 new
   * pixels (one vector or shifted), partial channel blocks. */
  yolo_test_seed (1515);
  for (int i = 0; i < (int) G_N_ELEMENTS (rnd); i++) {
    int W = 1 + (int) yolo_test_rand (0, 39.99f);
    int H = 1 + (int) yolo_test_rand (0, 23.99f);
    /* (MAX evaluates its arguments twice) */
    H = MAX (H, (32 + W - 1) / W);
    ConvCase c = { "flat random", 1 + (int) yolo_test_rand (0, 23.99f), H,
      W, 1 + (int) yolo_test_rand (0, 31.99f), 3, 3, 1, 1, P1, 1, 1, 1,
      i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)), i % 2 == 0
    };
    rnd[i] = c;
  }
  run_forced (rnd, G_N_ELEMENTS (rnd), "conv-cpu-3x3s1-flat",
      "conv_3x3s1_flat_c8");
}

/* conv-cpu-3x3s2-flat (phase planes + the flattened conv): the 80 -> 40,
 * 40 -> 20 and 20 -> 10 layers it is for, odd input sizes (phases past
 * the image), exactly 32 output pixels, outputs one pixel wide, channels
 * off the block of 8, one input channel, residual, no bias. */
static void
test_conv_3x3s2_flat (void)
{
  static const ConvCase cases[] = {
    {"s2 flat 20->10", 128, 20, 20, 256, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 flat 40->20", 32, 40, 40, 64, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s2 flat 80->40", 16, 80, 80, 24, 3, 3, 2, 2, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"s2 flat odd", 5, 13, 13, 12, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"s2 flat 32 px", 1, 16, 7, 8, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"s2 flat W1", 3, 80, 1, 9, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 flat 33x65", 7, 33, 65, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
  };

  run_forced (cases, G_N_ELEMENTS (cases), "conv-cpu-3x3s2-flat",
      "conv_3x3s2_flat_c8");
}

/* conv-cpu-3x3s2-c16 (16 output channels per work-item, few input
 * channels): the 640 -> 320 and 320 -> 160 stems (smaller planes, same
 * tiling), odd input sizes (the last segment's 32-float load passes the
 * row end: over / gathers), outputs narrower than 16 and not a multiple of
 * 16, one output row, one input channel, 48 channels, residual, no bias;
 * then random shapes. */
static void
test_conv_3x3s2_c16 (void)
{
  static const ConvCase cases[] = {
    {"s2 c16 stem", 3, 64, 64, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s2 c16 16->32", 16, 64, 96, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 c16 odd", 5, 33, 35, 16, 3, 3, 2, 2, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU},
    {"s2 c16 narrow", 1, 9, 13, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE, TRUE},
    {"s2 c16 one row", 7, 2, 40, 48, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s2 c16 W34", 32, 31, 34, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
  };
  ConvCase rnd[10];

  run_forced (cases, G_N_ELEMENTS (cases), "conv-cpu-3x3s2-c16",
      "conv_3x3s2_c16");
  for (int i = 0; i < (int) G_N_ELEMENTS (rnd); i++) {
    ConvCase c = { "s2 c16 random", 1 + (int) yolo_test_rand (0, 31.99f),
      1 + (int) yolo_test_rand (0, 70.99f),
      1 + (int) yolo_test_rand (0, 90.99f),
      16 * (1 + (int) yolo_test_rand (0, 2.99f)), 3, 3, 2, 2, P1, 1, 1, 1,
      i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)), i % 2 == 0
    };
    rnd[i] = c;
  }
  run_forced (rnd, G_N_ELEMENTS (rnd), "conv-cpu-3x3s2-c16", "conv_3x3s2_c16");
}

/* conv-cpu-3x3s2-stem and conv-cpu-6x6s2-stem (one output row x 16 output
 * channels per work-item, at most 4 input channels): the 640 -> 320 and
 * 320 -> 160 stems, odd input sizes (the last tile's 32 floats pass the
 * row end: out of line), rows of 17 outputs (a shifted last tile), input
 * widths around 2 Wo + 32 (the 6x6's right neighbours inside or past the
 * row), outputs narrower than 16, one output row, one and four input
 * channels, 32 and 48 output channels, residual, no bias; then random
 * shapes. */
static void
test_conv_stem (void)
{
  static const ConvCase c3[] = {
    {"stem 640", 3, 640, 640, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"stem 320", 3, 320, 320, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"stem odd", 3, 33, 35, 16, 3, 3, 2, 2, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU},
    {"stem W34", 4, 31, 34, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"stem W33", 2, 20, 33, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"stem narrow", 1, 9, 13, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"stem one row", 3, 2, 40, 48, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"stem 1x1", 3, 1, 1, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SIGMOID},
  };
  static const ConvCase c6[] = {
    {"stem6 640", 3, 640, 640, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"stem6 odd", 3, 37, 45, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, FALSE,
        YOLO_ACT_RELU},
    {"stem6 W34", 3, 20, 34, 32, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"stem6 W35", 4, 19, 35, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"stem6 W36", 1, 18, 36, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"stem6 narrow", 3, 9, 13, 48, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"stem6 one row", 3, 3, 64, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1,
        TRUE, YOLO_ACT_SILU},
  };
  ConvCase rnd[12];

  run_forced (c3, G_N_ELEMENTS (c3), "conv-cpu-3x3s2-stem", "conv_3x3s2_stem");
  run_forced (c6, G_N_ELEMENTS (c6), "conv-cpu-6x6s2-stem", "conv_6x6s2_stem");
  yolo_test_seed (2417);
  for (int i = 0; i < (int) G_N_ELEMENTS (rnd); i++) {
    int k = i % 2 ? 6 : 3, p = (k - 1) / 2;
    ConvCase c = { "stem random", 1 + (int) yolo_test_rand (0, 3.99f),
      k - 2 * p + (int) yolo_test_rand (0, 70.99f),
      k - 2 * p + (int) yolo_test_rand (0, 90.99f),
      16 * (1 + (int) yolo_test_rand (0, 2.99f)), k, k, 2, 2, {p, p, p, p},
      1, 1, 1, i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)), i % 3 == 0
    };
    rnd[i] = c;
  }
  for (int i = 0; i < (int) G_N_ELEMENTS (rnd); i++)
    run_forced (&rnd[i], 1, rnd[i].kh == 3 ? "conv-cpu-3x3s2-stem" :
        "conv-cpu-6x6s2-stem", rnd[i].kh == 3 ? "conv_3x3s2_stem" :
        "conv_6x6s2_stem");
}

/* Ten random 3x3 pad-1 convs at stride s (1 to 40 input channels, H and
 * W from 1 to hmax / wmax, 17 to 64 output channels, with and without
 * bias, every activation, residual on every other) with `variant` forced
 * (seed: yolo_test_seed), as run_forced. */
static void
run_t32_random (const char *label, guint32 seed, int s, float hmax,
    float wmax, const char *variant, const char *kernel)
{
  ConvCase rnd[10];

  yolo_test_seed (seed);
  for (int i = 0; i < (int) G_N_ELEMENTS (rnd); i++) {
    ConvCase c = { label, 1 + (int) yolo_test_rand (0, 39.99f),
      1 + (int) yolo_test_rand (0, hmax),
      1 + (int) yolo_test_rand (0, wmax),
      17 + (int) yolo_test_rand (0, 47.99f), 3, 3, s, s, P1, 1, 1, 1,
      i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)), i % 2 == 0
    };
    rnd[i] = c;
  }
  run_forced (rnd, G_N_ELEMENTS (rnd), variant, kernel);
}

/* conv-cpu-3x3s2-t32 (32 output channels as the lanes x 8 pixels of a
 * row): the 160 -> 80, 80 -> 40 and 40 -> 20 layers it is for, rows of 9
 * to 31 outputs (a shifted last tile; one of 4 pixels where it has at
 * most 4 new ones: rows of 10, 12, 17, 18, 20), odd input widths (the last tile
 * out of line) and heights (the last output row's third kernel row past
 * the image), outputs narrower than a tile and one pixel wide, one output
 * row, one input channel, channels off the block of 32 (17, 20, 24, 48:
 * the second vector partly or wholly past M), residual, no bias; then
 * random shapes. */
static void
test_conv_3x3s2_t32 (void)
{
  static const ConvCase cases[] = {
    {"s2 t32 80->40", 64, 80, 80, 64, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 t32 40->20", 32, 40, 40, 48, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s2 t32 W34", 16, 31, 34, 24, 3, 3, 2, 2, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"s2 t32 odd", 5, 33, 35, 17, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"s2 t32 narrow", 3, 9, 13, 20, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 t32 W1", 2, 17, 1, 24, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SIGMOID},
    {"s2 t32 one row", 1, 2, 64, 17, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s2 t32 160->80", 8, 160, 160, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    /* last tiles of 4 pixels: rows of 10 and 12 (2 and 4 new pixels) */
    {"s2 t32 20->10", 64, 20, 20, 40, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s2 t32 24->12", 16, 7, 24, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
  };

  run_forced (cases, G_N_ELEMENTS (cases), "conv-cpu-3x3s2-t32",
      "conv_3x3s2_t32");
  run_t32_random ("s2 t32 random", 2216, 2, 70.99f, 90.99f,
      "conv-cpu-3x3s2-t32", "conv_3x3s2_t32");
}

/* conv-cpu-3x3s1-t32 (conv_3x3s2_t32's work-item at stride 1): the
 * 40x40 / 80x80 / 20x20 layers it is for (a residual), rows of 9 to 31
 * pixels (a shifted last tile: its right padding column read), rows of
 * exactly 8 (one tile, both padding columns), narrower rows (out of
 * line), one pixel wide, one row, channels off the block of 32 (17, 20,
 * 24, 48), no bias; then random shapes. */
static void
test_conv_3x3s1_t32 (void)
{
  static const ConvCase cases[] = {
    {"s1 t32 40x40", 32, 40, 40, 32, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s1 t32 20x20", 64, 20, 20, 48, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s1 t32 W17", 16, 11, 17, 24, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"s1 t32 W8", 5, 9, 8, 17, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"s1 t32 narrow", 3, 7, 5, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s1 t32 W1", 2, 9, 1, 24, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SIGMOID},
    {"s1 t32 one row", 1, 1, 33, 17, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"s1 t32 80x80", 8, 80, 80, 32, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    /* last tiles of 4 pixels: rows of 10 and 12 */
    {"s1 t32 10x10", 64, 10, 10, 40, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"s1 t32 W12", 16, 5, 12, 32, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
  };

  run_forced (cases, G_N_ELEMENTS (cases), "conv-cpu-3x3s1-t32",
      "conv_3x3s1_t32");
  run_t32_random ("s1 t32 random", 2217, 1, 50.99f, 60.99f,
      "conv-cpu-3x3s1-t32", "conv_3x3s1_t32");
}

/* conv-im2col-t (the patches through conv_gemm_t16): the 20 -> 10 stride
 * 2 and 10x10 layers it is for, outputs under 16 pixels, of 16 and 17
 * (a shifted last tile), odd sizes,
 * channels off the block of 16, residual, other kernels / dilations. */
static void
test_conv_im2col_t (void)
{
  static const ConvCase cases[] = {
    {"im2col-t 3x3s2", 128, 20, 20, 256, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"im2col-t 3x3s1", 80, 10, 10, 80, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"im2col-t 3x3s2", 5, 9, 7, 12, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"im2col-t 3x3s1", 7, 13, 13, 20, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"im2col-t 3x3s2", 16, 33, 31, 24, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"im2col-t 1x1", 3, 1, 1, 9, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"im2col-t 16 px", 9, 8, 8, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SIGMOID, TRUE},
    {"im2col-t 17 px", 4, 17, 1, 17, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_SILU, TRUE},
    {"im2col-t 5x5 dil2", 6, 17, 19, 8, 5, 5, 1, 2, {4, 3, 2, 1}, 2, 1, 1,
        TRUE, YOLO_ACT_NONE},
  };

  run_forced (cases, G_N_ELEMENTS (cases), "conv-im2col-t", "conv_gemm_t16");
}

static void
test_conv_kxk (void)
{
  static const ConvCase cases[] = {
    {"3x3 pad0", 8, 13, 17, 8, 3, 3, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"5x5 pad2", 6, 20, 21, 12, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"3x3 dil2", 8, 17, 33, 16, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 1, TRUE,
        YOLO_ACT_RELU, TRUE},
    {"1x1 s2", 16, 20, 20, 24, 1, 1, 2, 2, P0, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"6x6 s2 p2", 3, 64, 64, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"6x6 s2 p2", 3, 37, 45, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"7x7 s2 p3", 4, 23, 37, 8, 7, 7, 2, 2, {3, 3, 3, 3}, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"3x3 asym pads", 5, 12, 19, 8, 3, 3, 1, 1, {0, 1, 1, 0}, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"3x3 s3", 4, 20, 50, 8, 3, 3, 3, 3, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"2x4 s(1,2)", 7, 9, 37, 9, 2, 4, 1, 2, {1, 0, 0, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_LEAKY_RELU},
    {"1x1 pad1", 4, 5, 18, 8, 1, 1, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"SAME_UPPER", 8, 17, 17, 8, 3, 3, 2, 2, P0, 1, 1, 1, TRUE,
        YOLO_ACT_NONE, FALSE, "SAME_UPPER"},
    {"SAME_LOWER", 8, 18, 17, 8, 4, 4, 2, 2, P0, 1, 1, 1, TRUE,
        YOLO_ACT_NONE, TRUE, "SAME_LOWER"},
    {"VALID", 8, 18, 19, 8, 3, 3, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_NONE,
        FALSE, "VALID"},
    {"SAME_UPPER s1", 8, 18, 19, 16, 3, 3, 1, 1, P0, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE, "SAME_UPPER"},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_conv_depthwise (void)
{
  static const ConvCase cases[] = {
    {"dw", 16, 20, 20, 16, 3, 3, 1, 1, P1, 1, 1, 16, TRUE, YOLO_ACT_SILU},
    {"dw", 24, 17, 17, 24, 3, 3, 2, 2, P1, 1, 1, 24, TRUE, YOLO_ACT_NONE},
    {"dw", 5, 13, 33, 5, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, 5, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"dw mult2", 8, 12, 7, 16, 3, 3, 1, 1, P1, 1, 1, 8, TRUE,
        YOLO_ACT_SILU},
    {"dw dil2", 12, 19, 21, 12, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 12, TRUE,
        YOLO_ACT_NONE, TRUE},
    {"dw 1x1", 3, 1, 1, 3, 3, 3, 1, 1, P1, 1, 1, 3, TRUE, YOLO_ACT_NONE},
    {"dw", 16, 9, 40, 16, 3, 3, 1, 1, P1, 1, 1, 16, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"dw", 8, 5, 16, 8, 3, 3, 1, 1, P1, 1, 1, 8, FALSE, YOLO_ACT_NONE},
    {"dw", 32, 13, 13, 32, 3, 3, 1, 1, P1, 1, 1, 32, TRUE, YOLO_ACT_SILU},
    {"dw 7x7", 24, 20, 20, 24, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 24, TRUE,
        YOLO_ACT_NONE, TRUE},
    /* conv_dw3x3s1's 8 rows per work-item: rows not a multiple of 8 (and
     * fewer than 8), rows narrower than 16 (the out of line tile, in the
     * tensor's last channel too), widths not a multiple of 16 (a shifted
     * last segment), channel multiplier 2 */
    {"dw rows", 6, 7, 13, 6, 3, 3, 1, 1, P1, 1, 1, 6, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"dw rows", 4, 2, 5, 4, 3, 3, 1, 1, P1, 1, 1, 4, FALSE, YOLO_ACT_NONE},
    {"dw rows", 3, 18, 1, 3, 3, 3, 1, 1, P1, 1, 1, 3, TRUE, YOLO_ACT_RELU},
    {"dw rows", 8, 10, 33, 8, 3, 3, 1, 1, P1, 1, 1, 8, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"dw rows", 5, 3, 17, 5, 3, 3, 1, 1, P1, 1, 1, 5, TRUE, YOLO_ACT_NONE},
    {"dw rows", 4, 17, 52, 4, 3, 3, 1, 1, P1, 1, 1, 4, TRUE, YOLO_ACT_SILU},
    {"dw rows mult2", 3, 9, 15, 6, 3, 3, 1, 1, P1, 1, 1, 3, TRUE,
        YOLO_ACT_NONE, TRUE},
    /* conv_dw7x7s1 edges: rows not a multiple of its 4, a shifted last
     * tile, rows narrower than 16 and than the kernel, channel
     * multiplier 2 */
    {"dw 7x7", 32, 40, 40, 32, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 32, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"dw 7x7", 5, 13, 37, 5, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 5, FALSE,
        YOLO_ACT_NONE},
    {"dw 7x7", 3, 6, 9, 3, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 3, TRUE,
        YOLO_ACT_RELU, TRUE},
    {"dw 7x7", 2, 3, 2, 2, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 2, TRUE,
        YOLO_ACT_NONE},
    {"dw 7x7 mult2", 4, 11, 17, 8, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 4, TRUE,
        YOLO_ACT_SILU},
    {"dw 5x5 s2", 8, 19, 45, 8, 5, 5, 2, 2, {2, 2, 2, 2}, 1, 1, 8, TRUE,
        YOLO_ACT_SILU},
    {"dw s2", 16, 26, 26, 16, 3, 3, 2, 2, P1, 1, 1, 16, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"dw s2", 8, 10, 35, 8, 3, 3, 2, 2, P1, 1, 1, 8, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"dw s2", 12, 21, 64, 12, 3, 3, 2, 2, P1, 1, 1, 12, TRUE, YOLO_ACT_NONE},
    {"dw s2 pad0", 4, 9, 40, 4, 3, 3, 2, 2, P0, 1, 1, 4, TRUE,
        YOLO_ACT_NONE},
    /* conv_dw3x3s2's 8 rows per work-item: output rows not a multiple of
     * 8 (and fewer), odd widths (the last segment out of line), narrow
     * rows, channel multiplier 2 */
    {"dw s2 rows", 6, 27, 64, 6, 3, 3, 2, 2, P1, 1, 1, 6, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"dw s2 rows", 4, 5, 33, 4, 3, 3, 2, 2, P1, 1, 1, 4, FALSE,
        YOLO_ACT_NONE},
    {"dw s2 rows", 3, 2, 3, 3, 3, 3, 2, 2, P1, 1, 1, 3, TRUE, YOLO_ACT_RELU},
    {"dw s2 rows mult2", 3, 11, 40, 6, 3, 3, 2, 2, P1, 1, 1, 3, TRUE,
        YOLO_ACT_SILU, TRUE},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

static void
test_conv_groups (void)
{
  static const ConvCase cases[] = {
    {"group2", 6, 11, 13, 10, 3, 3, 1, 1, P1, 1, 1, 2, TRUE, YOLO_ACT_SILU},
    {"group4", 8, 12, 17, 12, 3, 3, 2, 2, P1, 1, 1, 4, TRUE, YOLO_ACT_NONE,
        TRUE},
    {"group2 dil2", 4, 9, 9, 6, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 2, FALSE,
        YOLO_ACT_RELU},
    {"group2 1x1", 12, 5, 33, 12, 1, 1, 1, 1, P0, 1, 1, 2, TRUE,
        YOLO_ACT_NONE},
  };
  run_cases (cases, G_N_ELEMENTS (cases));
}

/* A depthwise 3x3 pad-1 Conv (stride s, channel multiplier mult, its
 * activation dact) whose output D only a 1x1 Conv reads (M outputs,
 * activation act, residual): DepthwiseSeparableConv. */
typedef struct
{
  const char *label;
  int C, H, W, mult, M, s;
  YoloAct dact, act;
  gboolean dbias, bias, residual;
} DwsepCase;

/* The two Convs; d_output: D is also a graph output. */
static YoloGraph *
build_dwsep (const DwsepCase * c, gboolean d_output)
{
  YoloGraph *g = yolo_graph_new ();
  int Cd = c->C * c->mult, Ho = (c->H - 1) / c->s + 1;
  int Wo = (c->W - 1) / c->s + 1;
  gint64 xd[4] = { 1, c->C, c->H, c->W }, wd[4] = { Cd, 1, 3, 3 };
  gint64 bd[1] = { Cd }, wpd[4] = { c->M, Cd, 1, 1 }, bpd[1] = { c->M };
  gint64 rd[4] = { 1, c->M, Ho, Wo };
  const char *ins0[3] = { "X", "W", c->dbias ? "B" : NULL };
  const char *ins1[3] = { "D", "WP", c->bias ? "BP" : NULL };
  const char *outs0[1] = { "D" }, *outs1[1] = { "Y" };
  int k3[2] = { 3, 3 }, k1[2] = { 1, 1 }, st[2] = { c->s, c->s };
  int pads[4] = { 1, 1, 1, 1 };
  float ws = 2.0f / sqrtf ((float) Cd);
  YoloNode *n;
  int ni;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -0.6f, 0.6f);
  if (c->dbias)
    yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.5f, 0.5f);
  yolo_test_const (g, "WP", YOLO_DTYPE_FLOAT, 4, wpd, -ws, ws);
  if (c->bias)
    yolo_test_const (g, "BP", YOLO_DTYPE_FLOAT, 1, bpd, -0.5f, 0.5f);
  ni = yolo_graph_add_node (g, "Conv", "dw", 3, ins0, 1, outs0);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, k3);
  yolo_test_attr_int_array (n, "strides", 2, st);
  yolo_test_attr_int_array (n, "pads", 4, pads);
  yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = c->C;
  n->act = c->dact;
  act_params (c->dact, &n->act_alpha, &n->act_beta);
  n->residual = -1;
  ni = yolo_graph_add_node (g, "Conv", "pw", 3, ins1, 1, outs1);
  n = YOLO_N (g, ni);
  yolo_test_attr_int_array (n, "kernel_shape", 2, k1);
  n->act = c->act;
  act_params (c->act, &n->act_alpha, &n->act_beta);
  n->residual = c->residual ? yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4,
      rd, -1.0f, 1.0f) : -1;
  if (d_output)
    yolo_test_output (g, "D");
  yolo_test_output (g, "Y");
  return g;
}

static void
run_dwsep (const DwsepCase * c, gboolean d_output)
{
  char *label = g_strdup_printf ("%s: C%d %dx%d x%d -> M%d s%d act%d,%d "
      "bias%d,%d res%d%s", c->label, c->C, c->H, c->W, c->mult, c->M, c->s,
      c->dact, c->act, c->dbias, c->bias, c->residual,
      d_output ? " D output" : "");

  /* with half storage the reference rounds D (the depthwise output) to
   * half where the fused kernel keeps it in float registers: 2^-11 of |D|
   * (up to about 2 here) through the pointwise sums */
  float tol = yolo_test_half ()? 1e-3f : 1e-4f;

  yolo_test_check (build_dwsep (c, d_output), label, tol, tol, TRUE);
  g_free (label);
}

/* DepthwiseSeparableConv (yolo-dwsep-fuse.c, conv-cpu-dwsep3x3s1) against
 * the two Convs' reference: the sizes of YOLOX and the Ultralytics heads
 * (52x52, 26x26, 13x13, 20x20), planes of fewer than 32 pixels, exactly
 * 32, one row, one column, one pixel (every tile touching the first and
 * the last row: the out of line loads), channel counts off the block of
 * 8, channel multiplier 2, no biases, residual, every activation on
 * either conv. On wide-vector CPUs the fused kernel must run (and, forced,
 * conv-cpu-dwsep3x3s1-split's two launches); elsewhere
 * (and for what the pass leaves: stride 2, D a graph output) the two
 * Convs. */
static void
test_conv_dwsep (void)
{
  static const DwsepCase cases[] = {
    {"dwsep", 16, 13, 13, 1, 24, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE},
    {"dwsep", 24, 52, 52, 1, 40, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE,
        TRUE},
    {"dwsep", 64, 26, 26, 1, 64, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE},
    {"dwsep", 40, 20, 20, 1, 80, 1, YOLO_ACT_SILU, YOLO_ACT_NONE, TRUE, TRUE},
    {"dwsep", 5, 7, 11, 1, 3, 1, YOLO_ACT_NONE, YOLO_ACT_RELU, FALSE, FALSE},
    {"dwsep", 17, 1, 1, 1, 9, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE,
        TRUE},
    {"dwsep", 3, 1, 40, 1, 19, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, FALSE},
    {"dwsep", 6, 40, 1, 1, 8, 1, YOLO_ACT_RELU, YOLO_ACT_SILU, FALSE, TRUE},
    {"dwsep", 9, 5, 6, 1, 33, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE,
        TRUE},
    {"dwsep", 12, 8, 4, 1, 16, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE},
    {"dwsep", 7, 3, 37, 1, 12, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE},
    {"dwsep", 10, 33, 17, 1, 21, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE, TRUE,
        TRUE},
    {"dwsep mult2", 4, 9, 17, 2, 12, 1, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE,
        TRUE},
  };
  static const DwsepCase unfused[] = {
    {"dwsep s2", 16, 26, 26, 1, 24, 2, YOLO_ACT_SILU, YOLO_ACT_SILU, TRUE,
        TRUE},
    {"dwsep s2", 5, 13, 13, 1, 7, 2, YOLO_ACT_NONE, YOLO_ACT_SILU, FALSE,
        TRUE, TRUE},
  };
  static const ConvCase probe = { "probe", 4, 4, 4, 4, 1, 1, 1, 1, P0, 1, 1,
    1, TRUE
  };
  DwsepCase a = { "dwsep act", 6, 9, 11, 1, 10, 1, 0, 0, TRUE, TRUE };

  gboolean wide = wide_device (&probe);

  yolo_test_expect_kernel ("conv_dwsep3x3s1", wide);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    run_dwsep (&cases[i], FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  if (wide) {
    /* its tunable rival, the two launches, forced */
    YoloEngineOptions split = {.conv_kernel = "conv-cpu-dwsep3x3s1-split" };

    yolo_test_set_options (&split);
    yolo_test_expect_kernel ("conv_dwsep3x3s1", FALSE);
    yolo_test_expect_kernel ("conv_dw3x3s1", TRUE);
    yolo_test_expect_kernel ("conv_1x1_c8", TRUE);
    for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
      run_dwsep (&cases[i], FALSE);
    yolo_test_set_options (NULL);
    yolo_test_expect_kernel (NULL, FALSE);
  }
  yolo_test_expect_kernel ("conv_dwsep3x3s1", wide);
  /* each activation on either conv, the other SiLU */
  for (int act = YOLO_ACT_NONE; act <= YOLO_ACT_CLIP; act++)
    for (int which = 0; which < 2; which++) {
      a.dact = which ? act : YOLO_ACT_SILU;
      a.act = which ? YOLO_ACT_SILU : act;
      a.residual = (act + which) % 2;
      run_dwsep (&a, FALSE);
    }
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_expect_kernel ("conv_dwsep3x3s1", FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (unfused); i++)
    run_dwsep (&unfused[i], FALSE);
  run_dwsep (&cases[0], TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* The FPN's Resize (nearest x2, X [1, Cu, h, w]) -> Concat with S
 * [1, Cs, 2h, 2w] (U first or S first) -> 1x1 Conv (M outputs, its
 * activation, bias, residual): ConvUpsampleAdd where the pass applies
 * (yolo-upsample-fuse.c). extra: 0 none, 1 the Concat also a graph
 * output, 2 a second 1x1 Conv reads the Concat, 3 linear mode, 4 the
 * graph already holds a tensor named as one the pass would add. M2 > 0:
 * a second 1x1 Conv of the Concat (M2 outputs, act2, its bias where the
 * first has one), which with the first makes a ConvPair, its up2 form
 * where the first has no residual. */
typedef struct
{
  const char *label;
  int Cu, h, w, Cs, M;
  gboolean up_first;
  YoloAct act;
  gboolean bias, residual;
  int extra;
  int M2;
  YoloAct act2;
} Up2Case;

static YoloGraph *
build_up2 (const Up2Case * c)
{
  YoloGraph *g = yolo_graph_new ();
  int H = 2 * c->h, W = 2 * c->w, C = c->Cu + c->Cs;
  gint64 xd[4] = { 1, c->Cu, c->h, c->w }, sd[4] = { 1, c->Cs, H, W };
  gint64 wd[4] = { c->M, C, 1, 1 }, bd[1] = { c->M };
  gint64 rd[4] = { 1, c->M, H, W }, nd[1] = { 4 };
  float scales[4] = { 1, 1, 2, 2 }, ws = 2.0f / sqrtf ((float) C);
  YoloNode *n;
  char *ins;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1.0f, 1.0f);
  yolo_test_input (g, "S", YOLO_DTYPE_FLOAT, 4, sd, -1.0f, 1.0f);
  yolo_test_const_floats (g, "scales", 1, nd, scales);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -ws, ws);
  if (c->bias)
    yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.5f, 0.5f);
  n = yolo_test_node (g, "Resize", "X,,scales", "U");
  yolo_node_add_attr (n, "mode", YOLO_ATTR_STRING)->s =
      g_strdup (c->extra == 3 ? "linear" : "nearest");
  n = yolo_test_node (g, "Concat", c->up_first ? "U,S" : "S,U", "T");
  yolo_test_attr_int (n, "axis", 1);
  ins = g_strdup_printf ("T,W,%s", c->bias ? "B" : "");
  n = yolo_test_node (g, "Conv", ins, "Y");
  g_free (ins);
  n->act = c->act;
  act_params (c->act, &n->act_alpha, &n->act_beta);
  n->residual = c->residual ? yolo_test_input (g, "R", YOLO_DTYPE_FLOAT, 4,
      rd, -1.0f, 1.0f) : -1;
  if (c->extra == 4) {
    /* the single conv's weight slice, or the pair's second Z */
    char *taken = g_strdup_printf ("%s:%s", n->name, c->M2 > 0 ? "low2" :
        "up2_w_skip");
    yolo_test_node (g, "Relu", "Y", taken);
    yolo_test_output (g, taken);
    g_free (taken);
  }
  if (c->extra == 1)
    yolo_test_output (g, "T");
  if (c->extra == 2 || c->M2 > 0) {
    gint64 w2d[4] = { c->M2 > 0 ? c->M2 : 8, C, 1, 1 };
    gint64 b2d[1] = { w2d[0] };
    yolo_test_const (g, "W2", YOLO_DTYPE_FLOAT, 4, w2d, -ws, ws);
    if (c->bias && c->M2 > 0)
      yolo_test_const (g, "B2", YOLO_DTYPE_FLOAT, 1, b2d, -0.5f, 0.5f);
    n = yolo_test_node (g, "Conv", c->bias && c->M2 > 0 ? "T,W2,B2" : "T,W2",
        "Y2");
    n->residual = -1;
    n->act = c->act2;
    act_params (c->act2, &n->act_alpha, &n->act_beta);
    yolo_test_output (g, "Y2");
  }
  yolo_test_output (g, "Y");
  return g;
}

static void
run_up2 (const Up2Case * c)
{
  char *label = g_strdup_printf ("%s: X %dx%dx%d S %d M%d %s act%d bias%d "
      "res%d extra%d M2 %d act2 %d", c->label, c->Cu, c->h, c->w, c->Cs,
      c->M, c->up_first ? "U,S" : "S,U", c->act, c->bias, c->residual,
      c->extra, c->M2, c->act2);

  /* with half storage Z (the upsampled part's low-resolution sums, no
   * tensor of the reference) is rounded to half once more: 2^-11 of |Z|
   * (up to about 2 here) */
  float tol = yolo_test_half ()? 2e-3f : 1e-4f;

  yolo_test_check (build_up2 (c), label, tol, tol, TRUE);
  g_free (label);
}

/* ConvUpsampleAdd (yolo-upsample-fuse.c, conv-cpu-1x1-up2) against the
 * Resize, Concat and Conv's reference: the FPN sizes of YOLOv8n / YOLO11n
 * / YOLO26n at 640 and 320 (20 -> 40 with 256 + 128 channels, 40 -> 80),
 * the concat either way round (S first: other rounding than the unfused
 * sums), rows of 10 and 2 pixels (the lanes gathered: a 16-pixel segment
 * wraps), planes under 32 pixels, M off the block of 8, every
 * activation, residual, no bias; the ConvPair's up2 form
 * (conv_1x1_pair_up2_c8: YOLOX-nano's and YOLOv5n's CSP convs of the
 * Concat, the same edge cases, each activation on either half); then the
 * graphs the pass leaves alone (the Concat a graph output, read by a
 * second Conv while the first has a residual, a linear Resize), where
 * neither kernel must run. */
static void
test_conv_up2 (void)
{
  static const Up2Case cases[] = {
    {"up2 v8 p4", 256, 20, 20, 128, 128, TRUE, YOLO_ACT_SILU, TRUE, FALSE},
    {"up2 v8 p3", 128, 40, 40, 64, 64, TRUE, YOLO_ACT_SILU, TRUE, FALSE},
    {"up2 S first", 64, 10, 10, 32, 48, FALSE, YOLO_ACT_SILU, TRUE, FALSE},
    {"up2 W10", 16, 3, 5, 8, 20, TRUE, YOLO_ACT_RELU, TRUE, TRUE},
    {"up2 W2", 5, 7, 1, 3, 9, FALSE, YOLO_ACT_NONE, FALSE, TRUE},
    {"up2 2x2", 3, 1, 1, 4, 12, TRUE, YOLO_ACT_SIGMOID, TRUE, FALSE},
    {"up2 4x36", 7, 2, 18, 5, 17, FALSE, YOLO_ACT_SILU, TRUE, TRUE},
    {"up2 odd h", 12, 5, 20, 12, 24, TRUE, YOLO_ACT_SILU, FALSE, FALSE},
  };
  static const Up2Case pairs[] = {
    {"pair yolox p4", 128, 13, 13, 128, 64, TRUE, YOLO_ACT_SILU, TRUE, FALSE,
        0, 64, YOLO_ACT_SILU},
    {"pair yolox p3", 64, 26, 26, 64, 32, TRUE, YOLO_ACT_SILU, TRUE, FALSE,
        0, 32, YOLO_ACT_SILU},
    {"pair v5n p4", 128, 20, 20, 128, 64, TRUE, YOLO_ACT_SILU, TRUE, FALSE,
        0, 64, YOLO_ACT_SILU},
    {"pair S first", 24, 10, 10, 40, 21, FALSE, YOLO_ACT_SILU, TRUE, FALSE,
        0, 11, YOLO_ACT_RELU},
    {"pair W10", 16, 3, 5, 8, 20, TRUE, YOLO_ACT_NONE, FALSE, FALSE, 0, 5,
        YOLO_ACT_SILU},
    {"pair 2x2", 3, 1, 1, 4, 12, FALSE, YOLO_ACT_SIGMOID, TRUE, FALSE, 0, 9,
        YOLO_ACT_NONE},
    {"pair 4x36", 7, 2, 18, 5, 17, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 0, 3,
        YOLO_ACT_SILU},
    {"pair read twice", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 2},
  };
  static const Up2Case unfused[] = {
    {"up2 T output", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 1},
    {"up2 T output pair", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE,
        1, 8, YOLO_ACT_SILU},
    {"up2 T read twice", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, TRUE,
        2},
    {"up2 linear", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 3},
    {"up2 linear pair", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 3,
        8, YOLO_ACT_SILU},
    {"up2 name taken", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE, 4},
    {"up2 name taken pair", 16, 4, 4, 8, 16, TRUE, YOLO_ACT_SILU, TRUE, FALSE,
        4, 8, YOLO_ACT_SILU},
  };
  static const ConvCase probe = { "probe", 4, 4, 4, 4, 1, 1, 1, 1, P0, 1, 1,
    1, TRUE
  };
  Up2Case a = { "up2 act", 12, 6, 7, 8, 16, TRUE, 0, TRUE, FALSE };
  gboolean wide = wide_device (&probe);

  yolo_test_expect_kernel ("conv_1x1_up2_c8", wide);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    run_up2 (&cases[i]);
  for (int act = YOLO_ACT_NONE; act <= YOLO_ACT_CLIP; act++) {
    a.act = act;
    a.residual = act % 2;
    a.up_first = act % 3 != 0;
    run_up2 (&a);
  }
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_expect_kernel ("conv_1x1_pair_up2_c8", wide);
  yolo_test_expect_kernel ("conv_1x1_up2_c8", FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (pairs); i++)
    run_up2 (&pairs[i]);
  for (int act = YOLO_ACT_NONE; act <= YOLO_ACT_CLIP; act++) {
    a.M2 = 8 + act;
    a.act = act % 2 ? act : YOLO_ACT_SILU;
    a.act2 = act % 2 ? YOLO_ACT_SILU : act;
    a.residual = FALSE;
    a.up_first = act % 3 != 0;
    run_up2 (&a);
  }
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_expect_kernel ("conv_1x1_up2_c8", FALSE);
  yolo_test_expect_kernel ("conv_1x1_pair_up2_c8", FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (unfused); i++)
    run_up2 (&unfused[i]);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Every activation (with and without residual) on each fast kernel. */
static void
test_conv_activations (void)
{
  static const ConvCase shapes[] = {
    {"act 1x1", 12, 9, 9, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE},
    {"act 3x3s1", 12, 9, 18, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE},
    {"act 3x3s2", 12, 9, 35, 20, 3, 3, 2, 2, P1, 1, 1, 1, TRUE},
    {"act kxk", 12, 9, 18, 20, 3, 3, 1, 1, P0, 1, 1, 1, TRUE},
    {"act dw", 12, 9, 18, 12, 3, 3, 1, 1, P1, 1, 1, 12, TRUE},
    {"act generic", 12, 9, 18, 6, 3, 3, 1, 1, P1, 1, 1, 3, TRUE},
  };
  run_activations (shapes, G_N_ELEMENTS (shapes));
}

/* The GPU kernel choice (conv_gpu_c8 / conv_generic), forced on any
 * device. */
static void
test_conv_gpu_path (void)
{
  static const ConvCase cases[] = {
    {"gpu 1x1", 12, 9, 11, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"gpu 3x3s1", 16, 13, 33, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"gpu 3x3s2", 3, 32, 31, 16, 3, 3, 2, 2, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU, TRUE},
    {"gpu dil2", 8, 17, 17, 8, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 1, TRUE,
        YOLO_ACT_HARD_SWISH},
    {"gpu group", 16, 9, 11, 16, 3, 3, 1, 1, P1, 1, 1, 2, TRUE,
        YOLO_ACT_CLIP},
    {"gpu dw", 12, 9, 18, 12, 3, 3, 2, 2, P1, 1, 1, 12, TRUE, YOLO_ACT_SILU,
        TRUE},
  };

  run_with (cases, G_N_ELEMENTS (cases), "gpu");
}

/* The tiled local-memory implicit GEMM (conv_tiled), forced on any device
 * for every group-1 conv: 1x1 and 3x3 s1/s2 (what GPUs take it for), other
 * kernel sizes, strides, pads and dilations, odd sizes, channel counts and
 * pixel counts not multiples of the 64x64 tile or of the K step of 16,
 * several tiles in each dimension, every activation with and without
 * residual, and random shapes. Asserts that one of the kernels `expect`
 * ran. */
static void
tiled_cases (const char *expect, gint64 max_work_group_size)
{
  static const ConvCase cases[] = {
    {"tiled 1x1", 16, 20, 20, 16, 1, 1, 1, 1, P0, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"tiled 1x1", 3, 7, 5, 5, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_RELU},
    {"tiled 1x1", 70, 13, 17, 130, 1, 1, 1, 1, P0, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"tiled 1x1", 256, 10, 10, 64, 1, 1, 1, 1, P0, 1, 1, 1, FALSE,
        YOLO_ACT_NONE, TRUE},
    {"tiled 1x1", 24, 1, 1, 24, 1, 1, 1, 1, P0, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"tiled 1x1 s2", 16, 21, 20, 24, 1, 1, 2, 2, P0, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"tiled 3x3s1", 16, 32, 32, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"tiled 3x3s1", 5, 13, 13, 12, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"tiled 3x3s1", 3, 1, 1, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"tiled 3x3s1", 64, 10, 20, 80, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"tiled 3x3s1", 33, 9, 130, 65, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU},
    {"tiled 3x3s2", 3, 64, 64, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"tiled 3x3s2", 16, 33, 33, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"tiled 3x3s2", 12, 2, 3, 20, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"tiled 3x3s2", 40, 31, 34, 72, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"tiled 5x5 pad2", 6, 20, 21, 12, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, 1,
        TRUE, YOLO_ACT_NONE},
    {"tiled 3x3 dil2", 8, 17, 33, 16, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 1,
        TRUE, YOLO_ACT_RELU, TRUE},
    {"tiled 6x6 s2 p2", 3, 64, 64, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1,
        TRUE, YOLO_ACT_SILU},
    {"tiled asym pads", 5, 12, 19, 8, 3, 3, 1, 1, {0, 1, 1, 0}, 1, 1, 1,
        TRUE, YOLO_ACT_NONE},
    {"tiled 2x4 s(1,2)", 7, 9, 37, 9, 2, 4, 1, 2, {1, 0, 0, 2}, 1, 1, 1,
        TRUE, YOLO_ACT_LEAKY_RELU},
    {"tiled SAME_LOWER", 8, 18, 17, 8, 4, 4, 2, 2, P0, 1, 1, 1, TRUE,
        YOLO_ACT_NONE, TRUE, "SAME_LOWER"},
  };
  static const ConvCase act_shapes[] = {
    {"tiled act 1x1", 12, 9, 9, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE},
    {"tiled act 3x3s1", 12, 9, 18, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE},
    {"tiled act 3x3s2", 12, 9, 35, 20, 3, 3, 2, 2, P1, 1, 1, 1, TRUE},
  };

  YoloEngineOptions opt = {.conv_kernel = "tiled",
    .max_work_group_size = max_work_group_size
  };

  yolo_test_set_options (&opt);
  yolo_test_expect_kernel (expect, TRUE);
  run_cases (cases, G_N_ELEMENTS (cases));
  run_activations (act_shapes, G_N_ELEMENTS (act_shapes));
  /* Random 1x1 / 3x3 s1 / 3x3 s2 convs. */
  yolo_test_seed (1313);
  for (int i = 0; i < 24; i++) {
    int kind = i % 3;
    ConvCase c = { "tiled random", 1 + (int) yolo_test_rand (0, 99.99f),
      1 + (int) yolo_test_rand (0, 40.99f), 1 + (int) yolo_test_rand (0,
          70.99f), 1 + (int) yolo_test_rand (0, 149.99f),
      kind ? 3 : 1, kind ? 3 : 1, kind == 2 ? 2 : 1, kind == 2 ? 2 : 1,
      P0, 1, 1, 1, i % 4 != 3, (YoloAct) (i % (YOLO_ACT_CLIP + 1)),
      i % 2 == 0
    };
    if (kind) {
      for (int j = 0; j < 4; j++)
        c.pads[j] = 1;
    }
    run_case (&c);
  }
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_set_options (NULL);
}

/* conv_tiled, or conv_tiled_wg32 where the device allows only 32
 * work-items per group for it (rusticl on llvmpipe). */
static void
test_conv_tiled (void)
{
  tiled_cases ("conv_tiled|conv_tiled_wg32", 0);
}

/* The 32-work-item geometry (conv_tiled_wg32), forced by a device limit
 * of 32..255 work-items per group. */
static void
test_conv_tiled_wg32 (void)
{
  tiled_cases ("conv_tiled_wg32", 32);
  tiled_cases ("conv_tiled_wg32", 255);
}

/* conv_tiled needs its 16x16 work-group and 8 KiB of local memory,
 * conv_tiled_wg32 8x4 and 4 KiB (as the device counts it): on a device
 * that allows less (emulated with the max_work_group_size /
 * max_local_mem_size options) the conv falls
 * back to the next variant with the same results, and the tiled kernel
 * that does not fit is not run; with exactly enough the tiled kernels do
 * run. */
static void
test_conv_tiled_fallback (void)
{
  static const ConvCase cases[] = {
    {"fallback 1x1", 12, 9, 11, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"fallback 3x3s1", 16, 13, 33, 70, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"fallback 3x3s2", 8, 21, 35, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE, TRUE},
  };
  /* Limit, value, whether conv_tiled_wg32 still fits (-1: depends on the
   * device: Mesa 22's rusticl reports a CL_KERNEL_LOCAL_MEM_SIZE of 8 KiB
   * for it, PoCL the 4 KiB it declares). */
  static const struct
  {
    gint64 max_work_group_size, max_local_mem_size;
    int wg32;
  } limits[] = {
    {64, 0, TRUE},
    {255, 0, TRUE},
    {31, 0, FALSE},
    {0, 8191, -1},
    {0, 4095, FALSE},
  };
  YoloEngineOptions opt = {.conv_kernel = "tiled" };

  for (gsize i = 0; i < G_N_ELEMENTS (limits); i++) {
    opt.max_work_group_size = limits[i].max_work_group_size;
    opt.max_local_mem_size = limits[i].max_local_mem_size;
    yolo_test_set_options (&opt);
    yolo_test_expect_kernel ("conv_tiled", FALSE);
    if (limits[i].wg32 >= 0)
      yolo_test_expect_kernel ("conv_tiled_wg32", limits[i].wg32);
    run_cases (cases, G_N_ELEMENTS (cases));
    yolo_test_expect_kernel (NULL, FALSE);
  }
  /* Exactly what they need is enough. */
  opt.max_work_group_size = 256;
  opt.max_local_mem_size = 8192;
  yolo_test_set_options (&opt);
  yolo_test_expect_kernel ("conv_tiled|conv_tiled_wg32", TRUE);
  run_cases (cases, G_N_ELEMENTS (cases));
  opt.max_work_group_size = 32;
  yolo_test_set_options (&opt);
  yolo_test_expect_kernel (NULL, FALSE);
  yolo_test_expect_kernel ("conv_tiled_wg32", TRUE);
  run_cases (cases, G_N_ELEMENTS (cases));
  yolo_test_set_options (NULL);
  yolo_test_expect_kernel (NULL, FALSE);
}

/* Winograd F(4x4, 3x3) (3x3 s1 pad 1 group 1): chosen by shape on CPUs,
 * forced on every such shape with the conv_kernel option "wino". Odd sizes, H / W
 * not multiples of the 4x4 tile, tile rows narrower and wider than 16
 * tiles, channel counts not multiples of 8, views of one row, layers run
 * in bands of tile rows. */
static void
test_conv_winograd (void)
{
  static const ConvCase cases[] = {
    {"wino", 32, 20, 20, 32, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"wino", 64, 40, 40, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"wino", 32, 80, 80, 80, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"wino", 33, 13, 17, 21, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"wino", 40, 65, 67, 36, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_NONE},
    {"wino", 35, 9, 130, 13, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_RELU,
        TRUE},
    {"wino", 5, 1, 1, 3, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"wino", 7, 3, 2, 9, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU, TRUE},
    {"wino", 8, 30, 5, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"wino", 16, 6, 63, 24, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"wino", 12, 16, 64, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE,
        TRUE},
    {"wino", 9, 31, 15, 17, 3, 3, 1, 1, P1, 1, 1, 1, FALSE, YOLO_ACT_SILU},
    {"wino", 128, 20, 20, 128, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    /* at most 16 tiles: planes of 16, the GEMM's one-vector path (the 320
     * models' 10x10 layers) */
    {"wino", 64, 10, 10, 72, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"wino", 24, 13, 16, 16, 3, 3, 1, 1, P1, 1, 1, 1, FALSE, YOLO_ACT_NONE},
    /* in bands of tile rows (V or O above WINO_BAND_BYTES): 32x80x80 -> 80
     * above in 3 bands (7, 7, 6 rows), rows narrower than 16 tiles in 3
     * (17, 17, 16), odd sizes in 2 */
    {"wino band", 64, 200, 40, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"wino band", 48, 70, 90, 56, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_RELU},
  };
  static const ConvCase act_shapes[] = {
    {"wino act", 12, 9, 18, 20, 3, 3, 1, 1, P1, 1, 1, 1, TRUE},
    {"wino act", 10, 7, 70, 11, 3, 3, 1, 1, P1, 1, 1, 1, TRUE},
  };

  /* By shape (the wide ones take Winograd on CPUs). */
  YoloEngineOptions opt = {.conv_kernel = "wino" };
  /* U transformed per frame by conv_wino4_wt from the 9 taps, and kept
   * from the load (conv-wino.c's wino4_keep_u: these small inputs keep it
   * by default) */
  static const char *const keep_u[] = { "frame", "load" };
  gboolean wide = wide_device (&cases[0]);

  for (guint i = 0; i < G_N_ELEMENTS (keep_u); i++) {
    g_test_message ("YOLO_WINO_U=%s", keep_u[i]);
    g_setenv ("YOLO_WINO_U", keep_u[i], TRUE);
    yolo_test_set_options (NULL);
    run_cases (cases, G_N_ELEMENTS (cases));
    yolo_test_set_options (&opt);
    yolo_test_expect_kernel ("conv_wino4_wt", wide
        && !strcmp (keep_u[i], "frame"));
    if (wide)
      yolo_test_expect_kernel ("conv_wino_gemm", TRUE);
    run_cases (cases, G_N_ELEMENTS (cases));
    run_activations (act_shapes, G_N_ELEMENTS (act_shapes));
    yolo_test_expect_kernel (NULL, FALSE);
  }
  g_unsetenv ("YOLO_WINO_U");
  yolo_test_set_options (NULL);
}

/* Weights near FLT_MAX (issue 8): Winograd's transforms would overflow to
 * inf - inf = NaN where a direct convolution (the reference, and
 * onnxruntime) stays finite; such convs take the direct kernel. */
static void
test_conv_wino_huge_weights (void)
{
  static const ConvCase c =
      { "wino huge w", 64, 12, 12, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
    YOLO_ACT_NONE
  };

  for (int force = 0; force < 2; force++) {
    YoloGraph *g;
    float *w;

    YoloEngineOptions opt = {.conv_kernel = force ? "wino" : NULL };

    yolo_test_set_options (&opt);
    yolo_test_seed (7);
    g = build_case (&c, 0.0f, 0.0f);
    w = YOLO_T (g, yolo_graph_find_tensor (g, "W"))->data;
    w[4] = FLT_MAX;             /* filter 0, channel 0, centre */
    w[9 * 64 + 9] = -FLT_MAX;   /* filter 1, channel 1, corner */
    w[9 * 64 * 5 + 13] = FLT_MAX / 2;
    yolo_test_check (g, c.label, 1e-4f, 1e-3f, TRUE);
    yolo_test_set_options (NULL);
  }
}

/* SiLU epilogue at extreme pre-activations: the fused x * sigmoid (x) of
 * the CPU kernels (yolo_silu_fast16: exp2 by range reduction, vscalefps
 * and a refined reciprocal) against the reference's x / (1 + exp (-x)) for
 * values past exp's range and around its ends, zero and denormals; on a
 * 1x1 conv (one input channel, weights 1, bias 0: y = silu (x)) also
 * +inf and NaN (-inf: the kernels give -inf, the reference -inf / inf =
 * NaN; left to the open question of NaN and inf through activations). The 3x3 and depthwise 3x3 convs take the centre tap only
 * (finite inputs: 0 * inf would make their neighbours NaN), on the direct
 * kernels (Winograd's transforms lose small values next to 1e30). */
static void
test_conv_silu_extremes (void)
{
  static const float v[] = { -1e30f, -200.0f, -88.7f, -87.3f, -87.0f,
    -20.0f, -1e-3f, 0.0f, 1e-3f, 20.0f, 87.0f, 87.3f, 88.7f, 200.0f, 1e30f,
    4e-39f, -4e-39f, INFINITY, NAN
  };
  static const ConvCase cases[] = {
    {"silu 1x1", 1, 2, 40, 8, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"silu dw3x3", 8, 5, 40, 8, 3, 3, 1, 1, P1, 1, 1, 8, TRUE,
        YOLO_ACT_SILU},
    {"silu 3x3", 1, 6, 40, 8, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
  };
  YoloEngineOptions opt = {.conv_kernel = "direct" };

  yolo_test_set_options (&opt);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++) {
    const ConvCase *c = &cases[i];
    YoloGraph *g = build_case (c, 0.0f, 0.0f);
    YoloTensor *x = YOLO_T (g, yolo_graph_find_tensor (g, "X"));
    YoloTensor *w = YOLO_T (g, yolo_graph_find_tensor (g, "W"));
    YoloTensor *b = YOLO_T (g, yolo_graph_find_tensor (g, "B"));
    gsize nv = G_N_ELEMENTS (v) - (c->kh == 1 ? 0 : 2);

    for (gint64 k = 0; k < yolo_tensor_numel (x); k++)
      ((float *) x->data)[k] = v[k % nv];
    for (gint64 k = 0; k < yolo_tensor_numel (w); k++)
      ((float *) w->data)[k] = c->kh == 1 || k % 9 == 4 ? 1.0f : 0.0f;
    memset (b->data, 0, c->M * sizeof (float));
    yolo_test_check (g, c->label, 1e-4f, 1e-4f, FALSE);
  }
  yolo_test_set_options (NULL);
}

/* GPU device limits emulated on any device (yolo-runtime.c): small
 * work-group limits (the runtime shrinks every local size; no kernel may
 * depend on it) and a small CL_DEVICE_MAX_MEM_ALLOC_SIZE (a clear error,
 * not an OpenCL error code). */
static void
test_conv_device_limits (void)
{
  static const ConvCase cases[] = {
    {"wg 1x1", 12, 9, 11, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"wg 3x3s1", 16, 13, 33, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"wg 3x3s2", 8, 21, 35, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE,
        YOLO_ACT_NONE},
    {"wg wino", 64, 10, 70, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"wg dw", 12, 9, 18, 12, 3, 3, 2, 2, P1, 1, 1, 12, TRUE, YOLO_ACT_SILU},
    {"wg group", 6, 11, 13, 9, 3, 3, 1, 1, P1, 1, 1, 3, TRUE, YOLO_ACT_NONE},
  };
  static const gint64 caps[] = { 32, 1 };
  static const char *const kinds[] = { NULL, "gpu" };

  for (gsize c = 0; c < G_N_ELEMENTS (caps); c++) {
    for (gsize k = 0; k < G_N_ELEMENTS (kinds); k++) {
      YoloEngineOptions opt = {.conv_kernel = kinds[k],
        .max_work_group_size = caps[c]
      };

      yolo_test_set_options (&opt);
      run_cases (cases, G_N_ELEMENTS (cases));
    }
  }
  yolo_test_set_options (NULL);

  if (yolo_test_have_device ()) {
    /* 64 KiB per buffer: the weights (147 KiB) do not fit. */
    ConvCase big = { "big", 64, 8, 8, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE,
      YOLO_ACT_NONE
    };
    YoloEngineOptions opt = {.max_mem_alloc_size = 65536 };
    GError *err = NULL;
    YoloEngine *e;

    e = yolo_engine_new_from_graph (build_case (&big, 0, 0), &opt, TRUE, &err);
    g_assert_null (e);
    g_assert_error (err, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED);
    g_assert_nonnull (strstr (err->message, "CL_DEVICE_MAX_MEM_ALLOC_SIZE"));
    if (g_test_verbose ())
      g_printerr ("max alloc: %s\n", err->message);
    g_error_free (err);
  }
}

/* Every Conv variant of the backend, forced by name (the conv_kernel
 * option), on every case here it supports on this device, against the C
 * reference; asserts the variant's kernel ran. On wide-vector CPUs
 * (PoCL) every variant runs on some case; elsewhere at least the scalar
 * ones. */
static void
test_conv_variants (void)
{
  static const ConvCase cases[] = {
    {"1x1", 12, 9, 11, 20, 1, 1, 1, 1, P0, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"1x1", 32, 13, 17, 12, 1, 1, 1, 1, P0, 1, 1, 1, FALSE, YOLO_ACT_NONE},
    {"1x1 group", 24, 6, 12, 48, 1, 1, 1, 1, P0, 1, 1, 3, TRUE,
        YOLO_ACT_NONE, TRUE},
    {"3x3s1", 16, 20, 20, 16, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"3x3s1", 64, 10, 20, 64, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s1", 64, 7, 70, 72, 3, 3, 1, 1, P1, 1, 1, 1, FALSE,
        YOLO_ACT_LEAKY_RELU},
    {"3x3s1", 5, 13, 13, 12, 3, 3, 1, 1, P1, 1, 1, 1, TRUE, YOLO_ACT_NONE},
    {"3x3s1 group", 8, 11, 19, 16, 3, 3, 1, 1, P1, 1, 1, 2, TRUE,
        YOLO_ACT_SILU},
    {"3x3s2", 16, 33, 33, 32, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU,
        TRUE},
    {"3x3s2", 3, 64, 64, 16, 3, 3, 2, 2, P1, 1, 1, 1, TRUE, YOLO_ACT_SILU},
    {"6x6 s2", 3, 37, 45, 16, 6, 6, 2, 2, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_SILU},
    {"5x5 pad2", 6, 20, 21, 12, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, 1, TRUE,
        YOLO_ACT_HARD_SWISH},
    {"3x3 dil2", 8, 17, 33, 16, 3, 3, 1, 1, {2, 2, 2, 2}, 2, 2, 1, TRUE,
        YOLO_ACT_RELU, TRUE},
    {"1x1 s2", 16, 20, 20, 24, 1, 1, 2, 2, P0, 1, 1, 1, TRUE, YOLO_ACT_CLIP},
    {"dw 3x3s1", 16, 20, 20, 16, 3, 3, 1, 1, P1, 1, 1, 16, TRUE,
        YOLO_ACT_SILU, TRUE},
    {"dw 3x3s2", 24, 17, 17, 24, 3, 3, 2, 2, P1, 1, 1, 24, TRUE,
        YOLO_ACT_NONE},
    {"dw 5x5", 5, 13, 33, 5, 5, 5, 1, 1, {2, 2, 2, 2}, 1, 1, 5, FALSE,
        YOLO_ACT_SIGMOID},
    {"dw x2", 6, 9, 9, 12, 3, 3, 1, 1, P1, 1, 1, 6, TRUE, YOLO_ACT_NONE},
    {"dw 7x7", 16, 20, 20, 16, 7, 7, 1, 1, {3, 3, 3, 3}, 1, 1, 16, TRUE,
        YOLO_ACT_NONE, TRUE},
    {"group Mg3", 6, 11, 13, 9, 3, 3, 1, 1, P1, 1, 1, 3, TRUE,
        YOLO_ACT_NONE},
    /* the window arguments (yolo_conv_cl_args_window): kernel, strides,
     * top / left pads and dilations all differ, so any two swapped give
     * other results */
    {"window", 5, 14, 17, 12, 4, 3, 1, 2, {2, 0, 1, 1}, 2, 1, 1, TRUE,
        YOLO_ACT_NONE, TRUE},
    {"dw window", 6, 14, 17, 6, 4, 3, 1, 2, {2, 0, 1, 1}, 2, 1, 6, TRUE,
        YOLO_ACT_SILU},
  };
  /* the kernel that shows a variant ran */
  static const struct
  {
    const char *variant, *kernel;
  } kernels[] = {
    {"conv-tiled", "conv_tiled"},
    {"conv-tiled-wg32", "conv_tiled_wg32"},
    {"conv-cpu-dw3x3s1", "conv_dw3x3s1"},
    {"conv-cpu-dw3x3s2", "conv_dw3x3s2"},
    {"conv-cpu-dw7x7s1", "conv_dw7x7s1"},
    {"conv-cpu-dw", "conv_dw"},
    {"conv-wino4", "conv_wino_gemm"},
    {"conv-cpu-1x1", "conv_1x1_c8"},
    {"conv-cpu-3x3s1", "conv_3x3s1_c8"},
    {"conv-cpu-3x3s1-flat", "conv_3x3s1_flat_c8"},
    {"conv-cpu-3x3s2-flat", "conv_3x3s2_flat_c8"},
    {"conv-cpu-3x3s2", "conv_3x3s2_c8"},
    {"conv-cpu-3x3s2-c16", "conv_3x3s2_c16"},
    {"conv-cpu-3x3s2-t32", "conv_3x3s2_t32"},
    {"conv-cpu-3x3s1-t32", "conv_3x3s1_t32"},
    {"conv-cpu-3x3s2-stem", "conv_3x3s2_stem"},
    {"conv-cpu-6x6s2-stem", "conv_6x6s2_stem"},
    {"conv-cpu-kxk", "conv_kxk_c8"},
    {"conv-im2col", "conv_im2col"},
    {"conv-im2col-t", "conv_gemm_t16"},
    {"conv-gpu-c8", "conv_gpu_c8"},
    {"conv-generic", "conv_generic"},
  };
  guint tested[G_N_ELEMENTS (kernels)] = { 0 };
  gboolean wide = FALSE;
  guint n_impls = 0;

  if (!yolo_test_have_device ()) {
    run_cases (cases, G_N_ELEMENTS (cases));
    return;
  }
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloEngineOptions off = {.tune = "off" };
    GError *err = NULL;
    YoloEngine *e = yolo_engine_new_from_graph (build_case (&cases[c], 0, 0),
        &off, TRUE, &err);
    YoloNode *n = NULL;

    g_assert_no_error (err);
    wide = yolo_rt_device (e->rt)->wide_vectors;
    for (guint i = 0; i < e->graph->nodes->len; i++)
      if (!strcmp (YOLO_N (e->graph, i)->op_type, "Conv"))
        n = YOLO_N (e->graph, i);
    g_assert_nonnull (n);
    n_impls = 0;
    for (const YoloOpImpl * const *const *arr = yolo_backend_opencl.impls;
        *arr; arr++) {
      for (const YoloOpImpl * const *i = *arr; *i; i++) {
        const YoloOpImpl *impl = *i;
        YoloEngineOptions opt = {.conv_kernel = impl->name };
        guint k;

        if (!yolo_impl_has_op (impl, "Conv"))
          continue;
        n_impls++;
        for (k = 0; k < G_N_ELEMENTS (kernels); k++)
          if (!strcmp (kernels[k].variant, impl->name))
            break;
        /* a new variant needs its kernel in the table above */
        g_assert_cmpuint (k, <, G_N_ELEMENTS (kernels));
        if (impl->supports && !impl->supports (e->rt, e->graph, n))
          continue;
        tested[k]++;
        yolo_test_set_options (&opt);
        yolo_test_expect_kernel (kernels[k].kernel, TRUE);
        run_case (&cases[c]);
        yolo_test_expect_kernel (NULL, FALSE);
      }
    }
    yolo_engine_free (e);
  }
  yolo_test_set_options (NULL);
  g_assert_cmpuint (n_impls, ==, G_N_ELEMENTS (kernels));
  for (guint k = 0; k < G_N_ELEMENTS (kernels); k++) {
    g_test_message ("%s: %u cases", kernels[k].variant, tested[k]);
    if (wide || !strcmp (kernels[k].variant, "conv-gpu-c8")
        || !strcmp (kernels[k].variant, "conv-generic"))
      g_assert_cmpuint (tested[k], >, 0);
  }
}

static void
test_conv_errors (void)
{
  gint64 xd[4] = { 1, 4, 8, 8 }, wd[4] = { 8, 4, 3, 3 };
  gint64 wbad[4] = { 8, 3, 3, 3 }, bbad[1] = { 5 };
  const char *ins[3] = { "X", "W", "B" };
  const char *outs[1] = { "Y" };
  YoloGraph *g;
  YoloNode *n;
  int ni;

  /* Non-constant weights: unsupported. */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_input (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
  yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
  yolo_test_output (g, "Y");
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_UNSUPPORTED, "conv0",
      "dynamic W");

  /* Weights with the wrong input channel count. */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wbad, -1, 1);
  yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
  yolo_test_output (g, "Y");
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
      "bad W");

  /* Bias of the wrong size. */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
  yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bbad, -1, 1);
  yolo_graph_add_node (g, "Conv", "conv0", 3, ins, 1, outs);
  yolo_test_output (g, "Y");
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
      "bad B");

  /* Group that does not divide the channels. */
  g = yolo_graph_new ();
  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
  ni = yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
  n = YOLO_N (g, ni);
  yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = 3;
  yolo_test_output (g, "Y");
  yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
      "bad group");

  /* Kernel larger than the padded input. */
  {
    gint64 wbig[4] = { 8, 4, 11, 11 };
    g = yolo_graph_new ();
    yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
    yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wbig, -1, 1);
    yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
    yolo_test_output (g, "Y");
    yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
        "big kernel");
  }

  /* Bad strides / pads / auto_pad. */
  {
    int bad_s[2] = { 0, 1 }, bad_p[3] = { 1, 1, 1 };
    g = yolo_graph_new ();
    yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
    yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
    ni = yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
    n = YOLO_N (g, ni);
    yolo_test_attr_int_array (n, "strides", 2, bad_s);
    yolo_test_output (g, "Y");
    yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
        "bad strides");

    g = yolo_graph_new ();
    yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
    yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
    ni = yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
    n = YOLO_N (g, ni);
    yolo_test_attr_int_array (n, "pads", 3, bad_p);
    yolo_test_output (g, "Y");
    yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
        "bad pads");

    g = yolo_graph_new ();
    yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
    yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -1, 1);
    ni = yolo_graph_add_node (g, "Conv", "conv0", 2, ins, 1, outs);
    n = YOLO_N (g, ni);
    yolo_node_add_attr (n, "auto_pad", YOLO_ATTR_STRING)->s =
        g_strdup ("SIDEWAYS");
    yolo_test_output (g, "Y");
    yolo_test_expect_infer_error (g, YOLO_ENGINE_ERROR_INVALID_MODEL, "conv0",
        "bad auto_pad");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (1234);
  g_test_add_func ("/conv/errors", test_conv_errors);
  g_test_add_func ("/conv/1x1", test_conv_1x1);
  g_test_add_func ("/conv/3x3s1", test_conv_3x3s1);
  g_test_add_func ("/conv/wino-huge-weights", test_conv_wino_huge_weights);
  g_test_add_func ("/conv/3x3s2", test_conv_3x3s2);
  g_test_add_func ("/conv/kxk", test_conv_kxk);
  g_test_add_func ("/conv/im2col", test_conv_im2col);
  g_test_add_func ("/conv/3x3s1-flat", test_conv_3x3s1_flat);
  g_test_add_func ("/conv/im2col-t", test_conv_im2col_t);
  g_test_add_func ("/conv/3x3s2-flat", test_conv_3x3s2_flat);
  g_test_add_func ("/conv/3x3s2-c16", test_conv_3x3s2_c16);
  g_test_add_func ("/conv/3x3s2-t32", test_conv_3x3s2_t32);
  g_test_add_func ("/conv/3x3s1-t32", test_conv_3x3s1_t32);
  g_test_add_func ("/conv/up2", test_conv_up2);
  g_test_add_func ("/conv/stem", test_conv_stem);
  g_test_add_func ("/conv/depthwise", test_conv_depthwise);
  g_test_add_func ("/conv/dwsep", test_conv_dwsep);
  g_test_add_func ("/conv/groups", test_conv_groups);
  g_test_add_func ("/conv/activations", test_conv_activations);
  g_test_add_func ("/conv/silu-extremes", test_conv_silu_extremes);
  g_test_add_func ("/conv/gpu-path", test_conv_gpu_path);
  g_test_add_func ("/conv/tiled", test_conv_tiled);
  g_test_add_func ("/conv/tiled-wg32", test_conv_tiled_wg32);
  g_test_add_func ("/conv/tiled-fallback", test_conv_tiled_fallback);
  g_test_add_func ("/conv/winograd", test_conv_winograd);
  g_test_add_func ("/conv/device-limits", test_conv_device_limits);
  g_test_add_func ("/conv/variants", test_conv_variants);
  /* half storage (yolo_test_add_half) */
  yolo_test_add_half ("/conv/half/1x1", test_conv_1x1);
  yolo_test_add_half ("/conv/half/3x3s1", test_conv_3x3s1);
  yolo_test_add_half ("/conv/half/3x3s1-flat", test_conv_3x3s1_flat);
  yolo_test_add_half ("/conv/half/3x3s2-flat", test_conv_3x3s2_flat);
  yolo_test_add_half ("/conv/half/3x3s2", test_conv_3x3s2);
  yolo_test_add_half ("/conv/half/3x3s2-t32", test_conv_3x3s2_t32);
  yolo_test_add_half ("/conv/half/3x3s1-t32", test_conv_3x3s1_t32);
  yolo_test_add_half ("/conv/half/up2", test_conv_up2);
  yolo_test_add_half ("/conv/half/kxk", test_conv_kxk);
  yolo_test_add_half ("/conv/half/depthwise", test_conv_depthwise);
  yolo_test_add_half ("/conv/half/dwsep", test_conv_dwsep);
  yolo_test_add_half ("/conv/half/groups", test_conv_groups);
  yolo_test_add_half ("/conv/half/activations", test_conv_activations);
  yolo_test_add_half ("/conv/half/gpu-path", test_conv_gpu_path);
  yolo_test_add_half ("/conv/half/winograd", test_conv_winograd);
  yolo_test_add_half ("/conv/half/tiled", test_conv_tiled);
  yolo_test_add_half ("/conv/half/tiled-wg32", test_conv_tiled_wg32);
  return g_test_run ();
}
