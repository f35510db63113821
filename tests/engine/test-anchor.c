/* test-anchor.c - YOLOv5's anchor-based decode tail in one node (issue 12):
 *  - kernel: AnchorDecode nodes made by hand (1 to 4 levels, levels
 *    shorter than and not a multiple of the kernel's 16-cell blocks and
 *    64-cell work-items, 1 to 3 anchors per cell, 1 to 80 classes (rows
 *    of 6 to 85 values: shorter than, equal to and not a multiple of 16),
 *    xy offsets 0, -0.5 and 0.25, batches of 1 to 3, rank 3 and 4
 *    inputs) against the op's C reference, also with half storage;
 *  - invalid: hostile attributes and inputs give one error at load;
 *  - pass: the tails of YOLOv5 >= 6.1 (Split, grid with the -0.5 folded
 *    in) and 6.0 (Slices, xy * 2 - 0.5 + grid), one level or several, the
 *    5.0 anchor grid [1, na, 1, 1, 2], Split sizes as an input, batch 2,
 *    fused and run against the unfused reference; levels that do not agree fused one by one; and
 *    altered copies the pass must leave alone (still correct);
 *  - batch: a batch-3 graph gives each image bit for bit what the batch-1
 *    graph gives it (both fused), and so does yolov5n-640 at batch 2;
 *  - the pass on the real exports: one AnchorDecode on yolov5n-640, none
 *    on the anchor-free ones. */
#include "yolo-test-util.h"
#include "ops/anchor.h"

#include <math.h>
#include <string.h>

/* ---- kernel vs C reference ---- */

static YoloGraph *
kernel_graph (int N, int L, const gint64 * n, int na, int nc, float off,
    GString * label)
{
  YoloGraph *g = yolo_test_graph (12);
  GString *ins = g_string_new (NULL);
  int no = 5 + nc;
  gint64 A = 0;
  YoloNode *node;

  g_string_printf (label, "N %d na %d nc %d off %g levels", N, na, nc, off);
  for (int l = 0; l < L; l++) {
    char *nm = g_strdup_printf ("x%d", l);
    /* level 0 as [N, C, 2, n/2] when n is even, the others as [N, C, n] */
    if (l == 0 && n[l] % 2 == 0)
      yolo_test_input (g, nm, YOLO_DTYPE_FLOAT, 4, DIMS (N, na * no, 2,
              n[l] / 2), -6.0f, 6.0f);
    else
      yolo_test_input (g, nm, YOLO_DTYPE_FLOAT, 3, DIMS (N, na * no, n[l]),
          -6.0f, 6.0f);
    g_string_append_printf (ins, "%s,", nm);
    g_string_append_printf (label, " %" G_GINT64_FORMAT, n[l]);
    A += na * n[l];
    g_free (nm);
  }
  yolo_test_const (g, "grid", YOLO_DTYPE_FLOAT, 2, DIMS (2, A), -0.5f, 80.0f);
  yolo_test_const (g, "ag", YOLO_DTYPE_FLOAT, 2, DIMS (2, A), 4.0f, 400.0f);
  yolo_test_const (g, "str", YOLO_DTYPE_FLOAT, 1, DIMS (A), 8.0f, 32.0f);
  g_string_append (ins, "grid,ag,str");
  node = yolo_test_node (g, YOLO_ANCHOR_DECODE_OP, ins->str, "y");
  yolo_test_attr_int (node, "levels", L);
  yolo_test_attr_int (node, "anchors", na);
  yolo_test_attr_int (node, "classes", nc);
  yolo_node_add_attr (node, "xy_offset", YOLO_ATTR_FLOAT)->f = off;
  yolo_test_output (g, "y");
  g_string_free (ins, TRUE);
  return g;
}

static void
kernel_case (int N, int L, const gint64 * n, int na, int nc, float off)
{
  GString *label = g_string_new (NULL);
  YoloGraph *g = kernel_graph (N, L, n, na, nc, off, label);

  yolo_test_expect_kernel ("anchor_decode", TRUE);
  yolo_test_check (g, label->str, 1e-4f, 1e-5f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  g_string_free (label, TRUE);
}

static void
test_kernel (void)
{
  if (!yolo_test_have_device ())
    return;
  kernel_case (1, 1, DIMS (1), 1, 1, 0.0f);
  kernel_case (2, 1, DIMS (8), 3, 3, -0.5f);
  kernel_case (1, 3, DIMS (64, 16, 4), 3, 80, 0.0f);    /* a 64x64 input */
  kernel_case (3, 3, DIMS (13, 7, 1), 2, 2, -0.5f);
  kernel_case (2, 4, DIMS (17, 9, 8, 3), 3, 5, 0.0f);   /* P6 */
  kernel_case (1, 2, DIMS (24, 6), 1, 1, 0.25f);
  /* rows of 17 (the last column block overlaps the box columns) and of
   * exactly 16 values; levels of 64 + 32 + 4 cells */
  kernel_case (1, 2, DIMS (100, 36), 2, 12, -0.5f);
  kernel_case (2, 1, DIMS (48), 1, 11, 0.25f);
}

/* The kernel cases with the GPUs' span (16 grid cells per work-item; CPU
 * devices run more), forced by YOLO_DECODE_SPAN. */
static void
test_kernel_span16 (void)
{
  g_setenv ("YOLO_DECODE_SPAN", "16", TRUE);
  test_kernel ();
  g_unsetenv ("YOLO_DECODE_SPAN");
}

/* A node as a hostile file could give it: one error naming the op. */
static void
test_invalid (void)
{
  static const struct
  {
    const char *what;
    gint64 levels, anchors, classes, channels, grid, n1;
    float off;
  } cases[] = {
    {"5 levels", 5, 1, 1, 6, 12, 1, 0.0f},
    {"anchors 0", 1, 0, 1, 6, 12, 1, 0.0f},
    {"classes 0", 1, 1, 0, 6, 12, 1, 0.0f},
    {"channels not anchors * (5 + classes)", 1, 2, 1, 6, 24, 1, 0.0f},
    {"grid of another count", 1, 1, 1, 6, 10, 1, 0.0f},
    {"xy_offset NaN", 1, 1, 1, 6, 12, 1, NAN},
    {"levels of other batches", 2, 1, 1, 6, 24, 2, 0.0f},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloGraph *g = yolo_test_graph (12);
    GError *err = NULL;
    YoloNode *n;
    gint64 A = 6;

    yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 3,
        DIMS (1, cases[c].channels, A), -1, 1);
    yolo_test_input (g, "x1", YOLO_DTYPE_FLOAT, 3,
        DIMS (cases[c].n1, cases[c].channels, A), -1, 1);
    yolo_test_const (g, "grid", YOLO_DTYPE_FLOAT, 1, DIMS (cases[c].grid), 0,
        1);
    yolo_test_const (g, "ag", YOLO_DTYPE_FLOAT, 1, DIMS (cases[c].grid), 0, 1);
    yolo_test_const (g, "str", YOLO_DTYPE_FLOAT, 1, DIMS (cases[c].grid / 2),
        8, 8);
    n = yolo_test_node (g, YOLO_ANCHOR_DECODE_OP, cases[c].levels == 2 ?
        "x,x1,grid,ag,str" : "x,grid,ag,str", "y");
    yolo_test_attr_int (n, "levels", cases[c].levels);
    yolo_test_attr_int (n, "anchors", cases[c].anchors);
    yolo_test_attr_int (n, "classes", cases[c].classes);
    yolo_node_add_attr (n, "xy_offset", YOLO_ATTR_FLOAT)->f = cases[c].off;
    yolo_test_output (g, "y");
    g_assert_false (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_nonnull (err);
    g_test_message ("%s: %s", cases[c].what, err->message);
    g_assert_nonnull (strstr (err->message, YOLO_ANCHOR_DECODE_OP));
    g_clear_error (&err);
    yolo_graph_free (g);
  }
}

/* ---- the pass on YOLOv5's tails ---- */

typedef enum
{
  V61,                          /* Split, grid - 0.5 folded (>= 6.1) */
  V60,                          /* Slices, Sub (xy * 2, 0.5) (6.0) */
  V60_ADD,                      /* Slices, Add (xy * 2, -0.5), axis -1 */
  V50_AG,                       /* V61 with an anchor grid [1, na, 1, 1, 2],
                                 * Split sizes as an input */
  MIXED,                        /* level 0 V61, the others V60: one by one */
  P_TIMES3,                     /* xy * 3 */
  P_POW3,                       /* (wh * 2) ^ 3 */
  P_PERM,                       /* Transpose 0,1,4,3,2 (square grids) */
  P_ORDER,                      /* Concat (wh, xy, conf) */
  P_OUTPUT,                     /* the Sigmoid also a graph output */
  P_SUB_SWAP,                   /* 0.5 - xy * 2 */
  P_STRIDE_XY,                  /* strides [1, 1, 1, 1, 2] */
  P_CONF_END,                   /* conf = s[..., 4:no-1] */
} Variant;

static const char *const names[] = { "v6.1", "v6.0", "v6.0 add", "v5.0 ag",
  "mixed", "xy times 3", "pow 3", "perm", "order", "sigmoid an output",
  "sub swapped", "strides per xy", "conf short"
};

static YoloGraph *
v5_graph (int N, int L, const gint64 * h, const gint64 * w, int na, int nc,
    Variant v)
{
  YoloGraph *g = yolo_test_graph (12);
  GString *ys = g_string_new (NULL);
  int no = 5 + nc;
  YoloNode *n;

  yolo_test_const (g, "two", YOLO_DTYPE_FLOAT, 0, NULL, 2.0f, 2.0f);
  yolo_test_const (g, "three", YOLO_DTYPE_FLOAT, 0, NULL, 3.0f, 3.0f);
  yolo_test_const (g, "half", YOLO_DTYPE_FLOAT, 0, NULL, 0.5f, 0.5f);
  yolo_test_const (g, "mhalf", YOLO_DTYPE_FLOAT, 0, NULL, -0.5f, -0.5f);
  yolo_test_const_ints (g, "i0", 1, DIMS (1), DIMS (0));
  yolo_test_const_ints (g, "i1", 1, DIMS (1), DIMS (1));
  yolo_test_const_ints (g, "i2", 1, DIMS (1), DIMS (2));
  yolo_test_const_ints (g, "i4", 1, DIMS (1), DIMS (4));
  yolo_test_const_ints (g, "im1", 1, DIMS (1), DIMS (-1));
  yolo_test_const_ints (g, "ilast", 1, DIMS (1), DIMS (no - 1));
  yolo_test_const_ints (g, "big", 1, DIMS (1), DIMS (G_MAXINT64));
  yolo_test_const_ints (g, "sizes", 1, DIMS (3), DIMS (2, 2, no - 4));
  for (int l = 0; l < L; l++) {
    Variant lv = v == MIXED ? (l == 0 ? V61 : V60) : v;
    gboolean slices = lv == V60 || lv == V60_ADD || lv == P_SUB_SWAP
        || lv == P_CONF_END;
    gint64 H = h[l], W = w[l];
    float *grid = g_new (float, na * H * W * 2), *ag;
    char nm[16][32], ins[160];
    float stride = (float) (8 << l);

#define NM(i, fmt) g_snprintf (nm[i], 32, fmt "%d", l)
    NM (0, "x");
    NM (1, "r");
    NM (2, "t");
    NM (3, "s");
    NM (4, "xy");
    NM (5, "wh");
    NM (6, "cf");
    NM (7, "m1");
    NM (8, "o");
    NM (9, "a1");
    NM (10, "xyo");
    NM (11, "m3");
    NM (12, "p");
    NM (13, "who");
    NM (14, "c");
    NM (15, "y");
#undef NM
    yolo_test_input (g, nm[0], YOLO_DTYPE_FLOAT, 4, DIMS (N, na * no, H, W),
        -6.0f, 6.0f);
    g_snprintf (ins, sizeof ins, "shape5_%d", l);
    yolo_test_const_ints (g, ins, 1, DIMS (5), DIMS (N, na, no, H, W));
    g_snprintf (ins, sizeof ins, "%s,shape5_%d", nm[0], l);
    yolo_test_node (g, "Reshape", ins, nm[1]);
    n = yolo_test_node (g, "Transpose", nm[1], nm[2]);
    if (lv == P_PERM)
      ATTR_INTS (n, "perm", 0, 1, 4, 3, 2);
    else
      ATTR_INTS (n, "perm", 0, 1, 3, 4, 2);
    yolo_test_node (g, "Sigmoid", nm[2], nm[3]);
    if (lv == P_OUTPUT)
      yolo_test_output (g, nm[3]);
    if (slices) {
      const char *ax = lv == V60_ADD ? "im1" : "i4";
      g_snprintf (ins, sizeof ins, "%s,i0,i2,%s,i1", nm[3], ax);
      yolo_test_node (g, "Slice", ins, nm[4]);
      g_snprintf (ins, sizeof ins, "%s,i2,i4,%s", nm[3], ax);
      yolo_test_node (g, "Slice", ins, nm[5]);
      g_snprintf (ins, sizeof ins, "%s,i4,%s,%s", nm[3],
          lv == P_CONF_END ? "ilast" : "big", ax);
      yolo_test_node (g, "Slice", ins, nm[6]);
    } else if (lv == V50_AG) {
      /* the sizes as an input (opset >= 13), the axis as -1 */
      g_snprintf (ins, sizeof ins, "%s,%s,%s", nm[4], nm[5], nm[6]);
      char sp_in[48];
      g_snprintf (sp_in, sizeof sp_in, "%s,sizes", nm[3]);
      n = yolo_test_node (g, "Split", sp_in, ins);
      yolo_test_attr_int (n, "axis", -1);
    } else {
      g_snprintf (ins, sizeof ins, "%s,%s,%s", nm[4], nm[5], nm[6]);
      n = yolo_test_node (g, "Split", nm[3], ins);
      yolo_test_attr_int (n, "axis", 4);
      ATTR_INTS (n, "split", 2, 2, no - 4);
    }
    /* the grid (cell corners - 0.5 folded in for >= 6.1) and anchors */
    for (int j = 0; j < na; j++)
      for (gint64 y = 0; y < H; y++)
        for (gint64 x = 0; x < W; x++) {
          float *p = grid + ((j * H + y) * W + x) * 2;
          p[0] = x - (slices ? 0.0f : 0.5f);
          p[1] = y - (slices ? 0.0f : 0.5f);
        }
    g_snprintf (ins, sizeof ins, "grid%d", l);
    yolo_test_const_floats (g, ins, 5, DIMS (1, na, H, W, 2), grid);
    g_free (grid);
    ag = g_new (float, na * H * W * 2);
    for (int j = 0; j < na; j++)
      for (gint64 k = 0; k < H * W * 2; k++)
        ag[j * H * W * 2 + k] = (10.0f + 13 * j + (k % 2) * 7) * stride / 8;
    g_snprintf (ins, sizeof ins, "ag%d", l);
    if (lv == V50_AG)
      yolo_test_const_floats (g, ins, 5, DIMS (1, na, 1, 1, 2), ag);
    else
      yolo_test_const_floats (g, ins, 5, DIMS (1, na, H, W, 2), ag);
    g_free (ag);
    g_snprintf (ins, sizeof ins, "stride%d", l);
    if (lv == P_STRIDE_XY) {
      const float s2[2] = { stride, stride * 2 };
      yolo_test_const_floats (g, ins, 5, DIMS (1, 1, 1, 1, 2), s2);
    } else {
      yolo_test_const_floats (g, ins, 0, NULL, &stride);
    }

    /* xy */
    g_snprintf (ins, sizeof ins, "%s,%s", nm[4], lv == P_TIMES3 ? "three" :
        "two");
    yolo_test_node (g, "Mul", ins, nm[7]);
    if (slices) {
      if (lv == V60_ADD)
        g_snprintf (ins, sizeof ins, "mhalf,%s", nm[7]);
      else if (lv == P_SUB_SWAP)
        g_snprintf (ins, sizeof ins, "half,%s", nm[7]);
      else
        g_snprintf (ins, sizeof ins, "%s,half", nm[7]);
      yolo_test_node (g, lv == V60_ADD ? "Add" : "Sub", ins, nm[8]);
      g_snprintf (ins, sizeof ins, "grid%d,%s", l, nm[8]);
    } else {
      g_snprintf (ins, sizeof ins, "%s,grid%d", nm[7], l);
    }
    yolo_test_node (g, "Add", ins, nm[9]);
    g_snprintf (ins, sizeof ins, "%s,stride%d", nm[9], l);
    yolo_test_node (g, "Mul", ins, nm[10]);
    /* wh */
    g_snprintf (ins, sizeof ins, "two,%s", nm[5]);
    yolo_test_node (g, "Mul", ins, nm[11]);
    g_snprintf (ins, sizeof ins, "%s,%s", nm[11], lv == P_POW3 ? "three" :
        "two");
    yolo_test_node (g, "Pow", ins, nm[12]);
    g_snprintf (ins, sizeof ins, "%s,ag%d", nm[12], l);
    yolo_test_node (g, "Mul", ins, nm[13]);
    if (lv == P_ORDER)
      g_snprintf (ins, sizeof ins, "%s,%s,%s", nm[13], nm[10], nm[6]);
    else
      g_snprintf (ins, sizeof ins, "%s,%s,%s", nm[10], nm[13], nm[6]);
    yolo_test_attr_int (yolo_test_node (g, "Concat", ins, nm[14]), "axis",
        lv == V60_ADD ? -1 : 4);
    g_snprintf (ins, sizeof ins, "shape3_%d", l);
    yolo_test_const_ints (g, ins, 1, DIMS (3), DIMS (N, -1, lv == P_CONF_END ?
            no - 1 : no));
    g_snprintf (ins, sizeof ins, "%s,shape3_%d", nm[14], l);
    yolo_test_node (g, "Reshape", ins, L > 1 ? nm[15] : "y");
    g_string_append_printf (ys, "%s%s", l ? "," : "", nm[15]);
  }
  if (L > 1)
    yolo_test_attr_int (yolo_test_node (g, "Concat", ys->str, "y"), "axis", 1);
  yolo_test_output (g, "y");
  g_string_free (ys, TRUE);
  return g;
}

/* fused: 0 (left alone), 1 (one node), 2 (a node per level) */
static void
pass_case (const char *label, YoloGraph * g, int fused)
{
  yolo_test_expect_kernel ("anchor_decode", fused > 0);
  /* one node: no Transpose, Sigmoid, Split, Concat copy or element-wise
   * launch left */
  if (fused == 1)
    yolo_test_expect_kernel ("movement_transpose_tile|eltwise_unary|"
        "movement_copy_nd|eltwise_binary_same|eltwise_binary_rows|"
        "eltwise_binary_bcast", FALSE);
  yolo_test_check (g, label, 1e-4f, 1e-5f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

static void
test_pass (void)
{
  if (!yolo_test_have_device ())
    return;
  /* a 64x64 input (strides 8/16/32), 80 classes, and odd grids */
  for (Variant v = V61; v <= V50_AG; v++) {
    char *label = g_strdup_printf ("%s 64x64", names[v]);
    pass_case (label, v5_graph (1, 3, DIMS (8, 4, 2), DIMS (8, 4, 2), 3, 80,
            v), 1);
    g_free (label);
    label = g_strdup_printf ("%s odd", names[v]);
    pass_case (label, v5_graph (1, 3, DIMS (5, 3, 1), DIMS (7, 2, 1), 2, 3,
            v), 1);
    g_free (label);
  }
  pass_case ("v6.1 one level", v5_graph (1, 1, DIMS (3), DIMS (5), 3, 1, V61),
      TRUE);
  pass_case ("v6.0 batch 2", v5_graph (2, 3, DIMS (5, 3, 1), DIMS (7, 2, 1),
          3, 4, V60), 1);
  pass_case ("v6.1 P6 batch 2", v5_graph (2, 4, DIMS (9, 5, 3, 2),
          DIMS (11, 6, 3, 1), 3, 2, V61), 1);
  /* levels that disagree (xy offsets): each level its own node, the
   * level Concat stays */
  pass_case (names[MIXED], v5_graph (1, 3, DIMS (4, 2, 1), DIMS (4, 2, 1), 3,
          3, MIXED), 2);
  for (Variant v = P_TIMES3; v <= P_CONF_END; v++)
    pass_case (names[v], v5_graph (1, 3, DIMS (4, 2, 1), DIMS (4, 2, 1), 3,
            3, v), 0);
}

/* ---- batch N = N batch-1 runs, bit for bit ---- */

static YoloEngine *
fused_engine (YoloGraph * g)
{
  YoloEngineOptions o = {.tune = "off" };
  GError *err = NULL;
  YoloEngine *e = yolo_engine_new_from_graph (g, &o, FALSE, &err);
  char *k;

  g_assert_no_error (err);
  k = yolo_runtime_kernel_names (e->rt);
  g_assert_nonnull (strstr (k, "anchor_decode"));
  g_free (k);
  return e;
}

static void
test_batch (void)
{
  const int N = 3, L = 3;
  YoloGraph *gn, *g1;
  YoloEngine *en, *e1;
  GError *err = NULL;
  float *xs[3], *got, *want;
  gint64 xn[3], out1;
  YoloTensorInfo info;

  if (!yolo_test_have_device ())
    return;
  gn = v5_graph (N, L, DIMS (5, 3, 1), DIMS (7, 2, 1), 3, 4, V61);
  g1 = v5_graph (1, L, DIMS (5, 3, 1), DIMS (7, 2, 1), 3, 4, V61);
  for (int l = 0; l < L; l++) {
    YoloTensor *t = YOLO_T (gn, g_array_index (gn->inputs, int, l));
    xn[l] = yolo_tensor_numel (t) / N;
    xs[l] = g_memdup2 (t->data, sizeof (float) * N * xn[l]);
  }
  en = fused_engine (gn);
  e1 = fused_engine (g1);
  yolo_engine_output_info (e1, 0, &info);
  out1 = 1;
  for (int i = 0; i < info.ndim; i++)
    out1 *= info.dims[i];
  got = g_new (float, N * out1);
  want = g_new (float, out1);
  for (int l = 0; l < L; l++)
    g_assert_true (yolo_engine_set_input_n (en, l, xs[l], &err));
  g_assert_true (yolo_engine_run (en, &err)
      && yolo_engine_get_output (en, 0, got, &err));
  for (int b = 0; b < N; b++) {
    for (int l = 0; l < L; l++)
      g_assert_true (yolo_engine_set_input_n (e1, l, xs[l] + b * xn[l], &err));
    g_assert_true (yolo_engine_run (e1, &err)
        && yolo_engine_get_output (e1, 0, want, &err));
    g_assert_cmpint (memcmp (got + b * out1, want, sizeof (float) * out1), ==,
        0);
  }
  g_assert_no_error (err);
  for (int l = 0; l < L; l++)
    g_free (xs[l]);
  g_free (got);
  g_free (want);
  yolo_engine_free (en);
  yolo_engine_free (e1);
}

/* yolov5n-640 at batch 2 (random images): each image bit for bit its
 * batch-1 output (the convs are lowered once per image, the decode tail
 * is one AnchorDecode at either batch) */
static void
test_batch_model (void)
{
  const char *d = g_getenv ("YOLO_TEST_DATA");
  char *path = g_build_filename (d ? d : "../shared", "models",
      "yolov5n-640.onnx", NULL);
  YoloEngineOptions o1 = {.tune = "off" }, o2 = {.tune = "off",.batch = 2 };
  YoloEngine *e1, *e2;
  GError *err = NULL;
  YoloTensorInfo in1, outi;
  gint64 img = 1, out = 1;
  float *x, *got, *want;

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_test_skip_printf ("%s not found (set YOLO_TEST_DATA)", path);
    g_free (path);
    return;
  }
  if (!yolo_test_have_device ()) {
    g_free (path);
    return;
  }
  e1 = yolo_engine_new (path, &o1, &err);
  g_assert_no_error (err);
  e2 = yolo_engine_new (path, &o2, &err);
  g_assert_no_error (err);
  yolo_engine_input_info (e1, 0, &in1);
  yolo_engine_output_info (e1, 0, &outi);
  for (int i = 0; i < in1.ndim; i++)
    img *= in1.dims[i];
  for (int i = 0; i < outi.ndim; i++)
    out *= outi.dims[i];
  x = g_new (float, 2 * img);
  got = g_new (float, 2 * out);
  want = g_new (float, out);
  for (gint64 k = 0; k < 2 * img; k++)
    x[k] = yolo_test_rand (0.0f, 1.0f);
  g_assert_true (yolo_engine_set_input (e2, x, &err)
      && yolo_engine_run (e2, &err)
      && yolo_engine_get_output (e2, 0, got, &err));
  for (int b = 0; b < 2; b++) {
    g_assert_true (yolo_engine_set_input (e1, x + b * img, &err)
        && yolo_engine_run (e1, &err)
        && yolo_engine_get_output (e1, 0, want, &err));
    g_assert_cmpint (memcmp (got + b * out, want, sizeof (float) * out), ==, 0);
  }
  {
    char *k = yolo_runtime_kernel_names (e2->rt);
    g_assert_nonnull (strstr (k, "anchor_decode"));
    g_free (k);
  }
  g_free (x);
  g_free (got);
  g_free (want);
  g_free (path);
  yolo_engine_free (e1);
  yolo_engine_free (e2);
}

/* ---- the real exports ---- */

static void
model_case (const char *rel, int want)
{
  YoloGraph *g = yolo_test_load_fused (rel);
  int n_anchor = 0, n_left = 0;

  if (!g)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    n_anchor += !strcmp (n->op_type, YOLO_ANCHOR_DECODE_OP);
    n_left += !strcmp (n->op_type, "Pow") || !strcmp (n->op_type, "Split")
        || !strcmp (n->op_type, "Transpose");
  }
  g_test_message ("%s: %d AnchorDecode, %d Pow/Split/Transpose left", rel,
      n_anchor, n_left);
  g_assert_cmpint (n_anchor, ==, want);
  if (want)
    g_assert_cmpint (n_left, ==, 0);
  yolo_graph_free (g);
}

static void
test_models (void)
{
  model_case ("yolov5n-640.onnx", 1);
  /* anchor-free heads */
  model_case ("yolov8n-320.onnx", 0);
  model_case ("yolox-nano-416.onnx", 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (1234);
  g_test_add_func ("/anchor/kernel", test_kernel);
  g_test_add_func ("/anchor/kernel-span16", test_kernel_span16);
  yolo_test_add_half ("/anchor/half/kernel", test_kernel);
  g_test_add_func ("/anchor/invalid", test_invalid);
  g_test_add_func ("/anchor/pass", test_pass);
  g_test_add_func ("/anchor/batch", test_batch);
  g_test_add_func ("/anchor/batch-model", test_batch_model);
  g_test_add_func ("/anchor/models", test_models);
  return g_test_run ();
}
