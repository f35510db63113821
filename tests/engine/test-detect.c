/* test-detect.c - the Detect head's tail in one node (issue 12):
 *  - kernel: DetectDecode nodes made by hand (1 to 4 levels, levels
 *    shorter than and not a multiple of the kernel's blocks of 16 anchors
 *    and work-items of 256, reg_max 1, 2 and 16, 1 to 80 classes (split:
 *    fewer than 16, 20 and 80), centre+size and corners, batches of 1 to
 *    4 images) against the op's C reference, also with half storage;
 *  - invalid: hostile attributes and inputs give one error at load;
 *  - pass: the tails of YOLOv8/v10 (Transpose + Softmax over axis 1),
 *    YOLO11 (two Transposes) and YOLO26 (no DFL, corners) as Ultralytics
 *    exports them, at batch 1 and N > 1, fused and run against the unfused
 *    reference, and perturbed copies the pass must leave alone (still
 *    correct);
 *  - the pass on the real exports, at batch 1 and with the engine's batch
 *    option: one DetectDecode, no Softmax left. */
#include "yolo-test-util.h"
#include "ops/detect.h"

#include <math.h>
#include <string.h>

/* anchors (cell centres of the levels' grids, x row then y row) and
 * strides as an export has them, for levels of n[l] = h[l] * w[l]; with
 * n_img > 1 the anchors are [n_img, 2, A], image i's shifted by i / 4 */
static void
grid_consts (YoloGraph * g, const char *anc, const char *anc2,
    const char *str, int L, const gint64 * h, const gint64 * w,
    gboolean shape3, float anc2_shift, gint64 n_img)
{
  gint64 A = 0, a = 0;
  float *an, *an2, *st;

  for (int l = 0; l < L; l++)
    A += h[l] * w[l];
  an = g_new (float, 2 * A * n_img);
  an2 = g_new (float, 2 * A);
  st = g_new (float, A);
  for (int l = 0; l < L; l++)
    for (gint64 y = 0; y < h[l]; y++)
      for (gint64 x = 0; x < w[l]; x++, a++) {
        an[a] = x + 0.5f;
        an[A + a] = y + 0.5f;
        st[a] = (float) (8 << l);
      }
  memcpy (an2, an, sizeof (float) * 2 * A);
  an2[A - 1] += anc2_shift;
  for (gint64 i = 1; i < n_img; i++)
    for (gint64 k = 0; k < 2 * A; k++)
      an[i * 2 * A + k] = an[k] + i * 0.25f;
  if (n_img > 1) {
    yolo_test_const_floats (g, anc, 3, DIMS (n_img, 2, A), an);
    if (anc2)
      yolo_test_const_floats (g, anc2, 3, DIMS (n_img, 2, A), an);
  } else if (shape3) {
    yolo_test_const_floats (g, anc, 3, DIMS (1, 2, A), an);
    if (anc2)
      yolo_test_const_floats (g, anc2, 3, DIMS (1, 2, A), an2);
  } else {
    yolo_test_const_floats (g, anc, 2, DIMS (2, A), an);
    if (anc2)
      yolo_test_const_floats (g, anc2, 2, DIMS (2, A), an2);
  }
  yolo_test_const_floats (g, str, 2, DIMS (1, A), st);
  g_free (an);
  g_free (an2);
  g_free (st);
}

/* ---- kernel vs C reference ---- */

/* split: the node writes boxes [N, A, 4] and scores [N, A, nc] */
static void
kernel_case_split (gint64 N, int L, const gint64 * n, gint64 R, gint64 nc,
    gboolean xywh, gboolean split)
{
  YoloGraph *g = yolo_test_graph (18);
  GString *ins = g_string_new (NULL), *label = g_string_new (NULL);
  gint64 h[YOLO_DETECT_MAX_LEVELS], w[YOLO_DETECT_MAX_LEVELS];
  YoloNode *node;

  g_string_printf (label, "N %" G_GINT64_FORMAT " R %" G_GINT64_FORMAT
      " nc %" G_GINT64_FORMAT " %s%s levels", N, R, nc, xywh ? "xywh" : "xyxy",
      split ? " split" : "");
  for (int l = 0; l < L; l++) {
    char *nm = g_strdup_printf ("b%d", l);
    /* level 0 as [N, C, H, W], the others as [N, C, n] */
    if (l == 0 && n[l] % 2 == 0)
      yolo_test_input (g, nm, YOLO_DTYPE_FLOAT, 4, DIMS (N, 4 * R, 2,
              n[l] / 2), -4.0f, 4.0f);
    else
      yolo_test_input (g, nm, YOLO_DTYPE_FLOAT, 3, DIMS (N, 4 * R, n[l]),
          -4.0f, 4.0f);
    g_string_append_printf (ins, "%s,", nm);
    g_string_append_printf (label, " %" G_GINT64_FORMAT, n[l]);
    h[l] = 1;
    w[l] = n[l];
    g_free (nm);
  }
  for (int l = 0; l < L; l++) {
    char *nm = g_strdup_printf ("c%d", l);
    yolo_test_input (g, nm, YOLO_DTYPE_FLOAT, 3, DIMS (N, nc, n[l]), -8.0f,
        8.0f);
    g_string_append_printf (ins, "%s,", nm);
    g_free (nm);
  }
  grid_consts (g, "anc", NULL, "str", L, h, w, FALSE, 0.0f, 1);
  g_string_append (ins, "anc,str");
  if (R > 1) {
    float *wt = g_new (float, R);
    for (int i = 0; i < R; i++)
      wt[i] = i;
    yolo_test_const_floats (g, "dfl", 4, DIMS (1, R, 1, 1), wt);
    g_free (wt);
    g_string_append (ins, ",dfl");
  }
  node = yolo_test_node (g, YOLO_DETECT_DECODE_OP, ins->str,
      split ? "yb,ys" : "y");
  yolo_test_attr_int (node, "levels", L);
  yolo_test_attr_int (node, "reg_max", R);
  yolo_test_attr_int (node, "classes", nc);
  yolo_test_attr_int (node, "xywh", xywh);
  if (split) {
    yolo_test_attr_int (node, "split", 1);
    yolo_test_output (g, "yb");
    yolo_test_output (g, "ys");
  } else {
    yolo_test_output (g, "y");
  }
  yolo_test_expect_kernel ("detect_decode", TRUE);
  yolo_test_check (g, label->str, 1e-4f, 1e-5f, FALSE);
  yolo_test_expect_kernel (NULL, FALSE);
  g_string_free (ins, TRUE);
  g_string_free (label, TRUE);
}

static void
kernel_case (gint64 N, int L, const gint64 * n, gint64 R, gint64 nc,
    gboolean xywh)
{
  kernel_case_split (N, L, n, R, nc, xywh, FALSE);
}

static void
test_kernel (void)
{
  if (!yolo_test_have_device ())
    return;
  kernel_case (1, 1, DIMS (1), 2, 1, TRUE);
  kernel_case (1, 1, DIMS (8), 16, 3, TRUE);
  kernel_case (1, 3, DIMS (64, 16, 4), 16, 80, TRUE);   /* a 32x32 input */
  kernel_case (1, 3, DIMS (100, 25, 9), 16, 5, FALSE);
  kernel_case (1, 3, DIMS (13, 7, 1), 1, 7, FALSE);     /* YOLO26: no DFL */
  kernel_case (1, 4, DIMS (17, 9, 8, 3), 5, 2, TRUE);   /* P6 */
  kernel_case (1, 2, DIMS (24, 6), 1, 1, TRUE);
  /* batches: images of whole chunks, of a last chunk only, one anchor */
  kernel_case (2, 3, DIMS (64, 16, 4), 16, 80, TRUE);
  kernel_case (3, 3, DIMS (100, 25, 9), 16, 5, FALSE);
  kernel_case (4, 1, DIMS (1), 2, 1, TRUE);
  kernel_case (2, 3, DIMS (13, 7, 1), 1, 7, FALSE);
  kernel_case (3, 4, DIMS (17, 9, 8, 3), 5, 2, TRUE);
  /* split outputs (YOLO26's one-to-one tail): whole chunks, last chunks
   * anchor by anchor, one anchor, one class, batches */
  kernel_case_split (1, 3, DIMS (64, 16, 4), 1, 80, FALSE, TRUE);
  kernel_case_split (1, 3, DIMS (13, 7, 1), 1, 7, FALSE, TRUE);
  kernel_case_split (1, 3, DIMS (100, 25, 9), 16, 5, TRUE, TRUE);
  kernel_case_split (1, 1, DIMS (1), 2, 1, TRUE, TRUE);
  kernel_case_split (2, 3, DIMS (64, 16, 4), 1, 80, FALSE, TRUE);
  kernel_case_split (3, 4, DIMS (17, 9, 8, 3), 5, 2, TRUE, TRUE);
  /* 20 classes: the last block of 16 overlaps the first */
  kernel_case_split (2, 2, DIMS (48, 20), 16, 20, TRUE, TRUE);
  kernel_case_split (1, 2, DIMS (48, 20), 1, 20, FALSE, TRUE);
  /* a level of two work-items: 256 + 2 blocks of 16 + 12 anchors */
  kernel_case_split (1, 2, DIMS (300, 20), 16, 20, TRUE, TRUE);
  kernel_case (2, 2, DIMS (300, 20), 16, 80, TRUE);
}

/* The kernel cases with the GPUs' span (16 anchors per work-item; CPU
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
    gint64 levels, reg_max, classes, box_rows, cls_rows, anchors;
    gint64 box_n, cls_n;        /* batches (0: 1; cls -1: a 1-d input) */
  } cases[] = {
    {"5 levels", 5, 1, 1, 4, 1, 6},
    {"reg_max 0", 1, 0, 1, 4, 1, 6},
    {"box rows not 4 * reg_max", 1, 2, 1, 4, 1, 6},
    {"class rows not classes", 1, 1, 2, 4, 3, 6},
    {"anchors of another count", 1, 1, 1, 4, 1, 5},
    {"box batch 2, class batch 1", 1, 1, 1, 4, 1, 6, 2, 1},
    {"box batch 1, class batch 3", 1, 1, 1, 4, 1, 6, 1, 3},
    {"class input without a batch", 1, 1, 1, 4, 1, 6, 1, -1},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloGraph *g = yolo_test_graph (18);
    GError *err = NULL;
    YoloNode *n;
    gint64 A = 6;

    yolo_test_input (g, "b", YOLO_DTYPE_FLOAT, 3,
        DIMS (MAX (cases[c].box_n, 1), cases[c].box_rows, A), -1, 1);
    if (cases[c].cls_n < 0)
      yolo_test_input (g, "c", YOLO_DTYPE_FLOAT, 1,
          DIMS (cases[c].cls_rows * A), -1, 1);
    else
      yolo_test_input (g, "c", YOLO_DTYPE_FLOAT, 3,
          DIMS (MAX (cases[c].cls_n, 1), cases[c].cls_rows, A), -1, 1);
    yolo_test_const (g, "anc", YOLO_DTYPE_FLOAT, 2,
        DIMS (2, cases[c].anchors), 0, 1);
    yolo_test_const (g, "str", YOLO_DTYPE_FLOAT, 1, DIMS (A), 8, 8);
    yolo_test_const (g, "dfl", YOLO_DTYPE_FLOAT, 1, DIMS (2), 0, 1);
    n = yolo_test_node (g, YOLO_DETECT_DECODE_OP,
        cases[c].reg_max == 2 ? "b,c,anc,str,dfl" : "b,c,anc,str", "y");
    yolo_test_attr_int (n, "levels", cases[c].levels);
    yolo_test_attr_int (n, "reg_max", cases[c].reg_max);
    yolo_test_attr_int (n, "classes", cases[c].classes);
    yolo_test_output (g, "y");
    g_assert_false (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_nonnull (err);
    g_test_message ("%s: %s", cases[c].what, err->message);
    g_assert_nonnull (strstr (err->message, YOLO_DETECT_DECODE_OP));
    g_clear_error (&err);
    yolo_graph_free (g);
  }
}

/* split out of range, or outputs not matching it: one error naming the
 * op */
static void
test_invalid_split (void)
{
  static const struct
  {
    gint64 split;
    const char *outs;
  } cases[] = {
    {2, "yb,ys"}, {-1, "y"}, {1, "y"}, {0, "yb,ys"},
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    YoloGraph *g = yolo_test_graph (18);
    GError *err = NULL;
    YoloNode *n;

    yolo_test_input (g, "b", YOLO_DTYPE_FLOAT, 3, DIMS (1, 4, 6), -1, 1);
    yolo_test_input (g, "c", YOLO_DTYPE_FLOAT, 3, DIMS (1, 2, 6), -1, 1);
    yolo_test_const (g, "anc", YOLO_DTYPE_FLOAT, 2, DIMS (2, 6), 0, 1);
    yolo_test_const (g, "str", YOLO_DTYPE_FLOAT, 1, DIMS (6), 8, 8);
    n = yolo_test_node (g, YOLO_DETECT_DECODE_OP, "b,c,anc,str", cases[c].outs);
    yolo_test_attr_int (n, "levels", 1);
    yolo_test_attr_int (n, "reg_max", 1);
    yolo_test_attr_int (n, "classes", 2);
    yolo_test_attr_int (n, "split", cases[c].split);
    yolo_test_output (g, strchr (cases[c].outs, ',') ? "yb" : "y");
    g_assert_false (yolo_graph_prepare (g, 0, 0, &err));
    g_assert_nonnull (err);
    g_test_message ("split %" G_GINT64_FORMAT ", outputs %s: %s",
        cases[c].split, cases[c].outs, err->message);
    g_assert_nonnull (strstr (err->message, YOLO_DETECT_DECODE_OP));
    g_clear_error (&err);
    yolo_graph_free (g);
  }
}

/* ---- the pass on Ultralytics' tails ---- */

typedef enum
{
  V8,                           /* Transpose 0,2,1,3 + Softmax axis 1 */
  V11,                          /* Transpose 0,3,1,2 + axis 3 + 0,3,2,1 */
  V26,                          /* reg_max 1, corners */
  V8_SPLIT,                     /* older exports: per level Concat (box,
                                 * cls), Reshape, Concat, Split */
  P_AXIS,                       /* V8 with the Softmax over the 4 sides */
  P_DIV3,                       /* (x1y1 + x2y2) / 3 */
  P_SLICE,                      /* lt = dist[1:3] */
  P_OUTPUT,                     /* wh also a graph output */
  P_ANCHORS,                    /* Sub and Add with different anchors */
  P_WEIGHT,                     /* the DFL conv with a bias */
  P_SIGMOID_CONV,               /* boxes not multiplied by strides */
  P_IMAGE_ANCHORS,              /* N > 1: anchors [N, 2, A], per image */
  V26_TAIL,                     /* V26 read by Transpose 0,2,1 + Split
                                 * [4, nc] (the one-to-one tail's start) */
  V26_TAIL_Y,                   /* the same with y a graph output too */
  V26_TAIL_PERM,                /* Transpose 0,1,2 (no split) */
} Variant;

#define IS_V26(v) ((v) == V26 || (v) >= V26_TAIL)

/* The tail of a Detect head for a batch of N images */
static YoloGraph *
head_graph (gint64 N, int L, const gint64 * h, const gint64 * w, gint64 R,
    gint64 nc, Variant v)
{
  YoloGraph *g = yolo_test_graph (18);
  GString *bs = g_string_new (NULL), *cs = g_string_new (NULL);
  gint64 A = 0;
  YoloNode *n;
  char nm[4][32];

  for (int l = 0; l < L; l++) {
    gint64 hw = h[l] * w[l];
    char ins[80], out[32];

    A += hw;
    g_snprintf (nm[0], 32, "b%d", l);
    g_snprintf (nm[1], 32, "c%d", l);
    g_snprintf (nm[2], 32, "sb%d", l);
    g_snprintf (nm[3], 32, "sc%d", l);
    yolo_test_input (g, nm[0], YOLO_DTYPE_FLOAT, 4,
        DIMS (N, 4 * R, h[l], w[l]), -5.0f, 5.0f);
    yolo_test_input (g, nm[1], YOLO_DTYPE_FLOAT, 4, DIMS (N, nc, h[l], w[l]),
        -8.0f, 8.0f);
    yolo_test_const_ints (g, nm[2], 1, DIMS (3), DIMS (N, 4 * R, hw));
    yolo_test_const_ints (g, nm[3], 1, DIMS (3), DIMS (N, nc, hw));
    if (v == V8_SPLIT) {
      g_snprintf (ins, sizeof ins, "%s,%s", nm[0], nm[1]);
      g_snprintf (out, sizeof out, "x%d", l);
      yolo_test_attr_int (yolo_test_node (g, "Concat", ins, out), "axis", 1);
      g_snprintf (nm[2], 32, "sx%d", l);
      yolo_test_const_ints (g, nm[2], 1, DIMS (3), DIMS (N, 4 * R + nc, hw));
      g_snprintf (ins, sizeof ins, "x%d,%s", l, nm[2]);
      g_snprintf (out, sizeof out, "rx%d", l);
      yolo_test_node (g, "Reshape", ins, out);
      g_string_append_printf (bs, "%s%s", l ? "," : "", out);
      continue;
    }
    g_snprintf (ins, sizeof ins, "%s,%s", nm[0], nm[2]);
    g_snprintf (out, sizeof out, "r%s", nm[0]);
    yolo_test_node (g, "Reshape", ins, out);
    g_string_append_printf (bs, "%s%s", l ? "," : "", out);
    g_snprintf (ins, sizeof ins, "%s,%s", nm[1], nm[3]);
    g_snprintf (out, sizeof out, "r%s", nm[1]);
    yolo_test_node (g, "Reshape", ins, out);
    g_string_append_printf (cs, "%s%s", l ? "," : "", out);
  }
  if (v == V8_SPLIT) {
    yolo_test_attr_int (yolo_test_node (g, "Concat", bs->str, "xc"), "axis", 2);
    yolo_test_const_ints (g, "sp", 1, DIMS (2), DIMS (4 * R, nc));
    yolo_test_attr_int (yolo_test_node (g, "Split", "xc,sp", "bc,cc"), "axis",
        1);
  } else {
    /* R = 1: the Slices read the box concat (YOLO26) */
    yolo_test_attr_int (yolo_test_node (g, "Concat", bs->str,
            R > 1 ? "bc" : "dist"), "axis", -1);
    yolo_test_attr_int (yolo_test_node (g, "Concat", cs->str, "cc"), "axis",
        -1);
  }
  g_string_free (bs, TRUE);
  g_string_free (cs, TRUE);
  if (R > 1) {
    float *wt = g_new (float, R);
    yolo_test_const_ints (g, "s4", 1, DIMS (4), DIMS (N, 4, R, A));
    yolo_test_node (g, "Reshape", "bc,s4", "r4");
    if (v == V11) {
      n = yolo_test_node (g, "Transpose", "r4", "t0");
      ATTR_INTS (n, "perm", 0, 3, 1, 2);
      yolo_test_attr_int (yolo_test_node (g, "Softmax", "t0", "sm0"), "axis",
          3);
      n = yolo_test_node (g, "Transpose", "sm0", "sm");
      ATTR_INTS (n, "perm", 0, 3, 2, 1);
    } else {
      n = yolo_test_node (g, "Transpose", "r4", "t0");
      ATTR_INTS (n, "perm", 0, 2, 1, 3);
      yolo_test_attr_int (yolo_test_node (g, "Softmax", "t0", "sm"), "axis",
          v == P_AXIS ? 2 : 1);
    }
    for (int i = 0; i < R; i++)
      wt[i] = i;
    yolo_test_const_floats (g, "wt", 4, DIMS (1, R, 1, 1), wt);
    g_free (wt);
    if (v == P_WEIGHT) {
      yolo_test_const (g, "bias", YOLO_DTYPE_FLOAT, 1, DIMS (1), 0.5f, 0.5f);
      yolo_test_node (g, "Conv", "sm,wt,bias", "cv");
    } else {
      yolo_test_node (g, "Conv", "sm,wt", "cv");
    }
    yolo_test_const_ints (g, "s3", 1, DIMS (3), DIMS (N, 4, A));
    yolo_test_node (g, "Reshape", "cv,s3", "dist");
  }
  yolo_test_const_ints (g, "i0", 1, DIMS (1), DIMS (0));
  yolo_test_const_ints (g, "i1", 1, DIMS (1), DIMS (1));
  yolo_test_const_ints (g, "i2", 1, DIMS (1), DIMS (2));
  yolo_test_const_ints (g, "i3", 1, DIMS (1), DIMS (3));
  yolo_test_const_ints (g, "big", 1, DIMS (1), DIMS (G_MAXINT64));
  yolo_test_node (g, "Slice", v == P_SLICE ? "dist,i1,i3,i1" : "dist,i0,i2,i1",
      "lt");
  yolo_test_node (g, "Slice", "dist,i2,big,i1", "rb");
  {
    gint64 hh[YOLO_DETECT_MAX_LEVELS], ww[YOLO_DETECT_MAX_LEVELS];
    memcpy (hh, h, sizeof (gint64) * L);
    memcpy (ww, w, sizeof (gint64) * L);
    grid_consts (g, "anc", "anc2", "str", L, hh, ww, !IS_V26 (v),
        v == P_ANCHORS ? 1.0f : 0.0f, v == P_IMAGE_ANCHORS ? N : 1);
  }
  yolo_test_node (g, "Sub", "anc,lt", "x1y1");
  yolo_test_node (g, "Add", "anc2,rb", "x2y2");
  if (IS_V26 (v)) {
    yolo_test_attr_int (yolo_test_node (g, "Concat", "x1y1,x2y2", "db"), "axis",
        1);
  } else {
    yolo_test_const (g, "two", YOLO_DTYPE_FLOAT, 0, NULL,
        v == P_DIV3 ? 3.0f : 2.0f, v == P_DIV3 ? 3.0f : 2.0f);
    yolo_test_node (g, "Add", "x1y1,x2y2", "s2");
    yolo_test_node (g, "Div", "s2,two", "cxy");
    yolo_test_node (g, "Sub", "x2y2,x1y1", "wh");
    yolo_test_attr_int (yolo_test_node (g, "Concat", "cxy,wh", "db"), "axis",
        1);
  }
  if (v == P_SIGMOID_CONV)
    yolo_test_node (g, "Sigmoid", "db", "boxes");
  else
    yolo_test_node (g, "Mul", "db,str", "boxes");
  yolo_test_node (g, "Sigmoid", "cc", "scores");
  yolo_test_attr_int (yolo_test_node (g, "Concat", "boxes,scores", "y"), "axis",
      1);
  if (v >= V26_TAIL) {
    n = yolo_test_node (g, "Transpose", "y", "yt");
    if (v == V26_TAIL_PERM)
      yolo_test_attr_ints (n, "perm", 3, DIMS (0, 1, 2));
    else
      yolo_test_attr_ints (n, "perm", 3, DIMS (0, 2, 1));
    /* perm 0,1,2: the last axis is the anchors' */
    yolo_test_const_ints (g, "sizes", 1, DIMS (2), v == V26_TAIL_PERM ?
        DIMS (4, A - 4) : DIMS (4, nc));
    yolo_test_attr_int (yolo_test_node (g, "Split", "yt,sizes", "yb,ys"),
        "axis", -1);
    yolo_test_output (g, "yb");
    yolo_test_output (g, "ys");
  }
  if (v < V26_TAIL || v == V26_TAIL_Y)
    yolo_test_output (g, "y");
  if (v == P_OUTPUT)
    yolo_test_output (g, "wh");
  return g;
}

static void
pass_case (const char *label, YoloGraph * g, gboolean fused)
{
  yolo_test_expect_kernel ("detect_decode", fused);
  /* fused: no Softmax, Sigmoid, Concat copy or element-wise launch left */
  if (fused)
    yolo_test_expect_kernel ("reduce_softmax_rows|movement_copy_nd|"
        "eltwise_binary_same|eltwise_binary_rows|eltwise_binary_bcast", FALSE);
  yolo_test_check (g, label, 1e-4f, 1e-5f, TRUE);
  yolo_test_expect_kernel (NULL, FALSE);
}

static void
test_pass (void)
{
  static const char *const names[] = { "v8", "11", "26", "v8 split",
    "softmax over sides",
    "divided by 3", "slice 1:3", "wh an output", "other anchors",
    "DFL conv bias", "no strides", "anchors per image"
  };
  char label[64];

  if (!yolo_test_have_device ())
    return;
  /* a 64x64 input (strides 8/16/32) with 80 classes, and odd grids, at
   * batch 1 and (the engine's batch option) 2 and 3 */
  for (gint64 N = 1; N <= 3; N++) {
#define PASS_CASE(name, ...) do { \
      g_snprintf (label, sizeof label, "%s, batch %" G_GINT64_FORMAT, name, \
          N); \
      pass_case (label, head_graph (N, __VA_ARGS__), TRUE); } while (0)
    PASS_CASE ("v8 64x64", 3, DIMS (8, 4, 2), DIMS (8, 4, 2), 16, 80, V8);
    PASS_CASE ("11 64x64", 3, DIMS (8, 4, 2), DIMS (8, 4, 2), 16, 80, V11);
    PASS_CASE ("26 64x64", 3, DIMS (8, 4, 2), DIMS (8, 4, 2), 1, 80, V26);
    PASS_CASE ("v8 odd", 3, DIMS (5, 3, 1), DIMS (7, 2, 1), 4, 3, V8);
    PASS_CASE ("11 P6", 4, DIMS (9, 5, 3, 2), DIMS (11, 6, 3, 1), 16, 2, V11);
    PASS_CASE ("v8 split 64x64", 3, DIMS (8, 4, 2), DIMS (8, 4, 2), 16, 80,
        V8_SPLIT);
    PASS_CASE ("v8 split odd", 3, DIMS (5, 3, 1), DIMS (7, 2, 1), 4, 3,
        V8_SPLIT);
    PASS_CASE ("26 one level", 1, DIMS (3), DIMS (5), 1, 1, V26);
#undef PASS_CASE
  }
  /* YOLO26's one-to-one tail: the node writes the Split's outputs (no
   * Transpose, no copy left); not when y is also a graph output or the
   * Transpose is another one */
  for (gint64 N = 1; N <= 3; N++) {
    static const struct
    {
      Variant v;
      const char *name;
      gboolean split;
    } tails[] = {
      {V26_TAIL, "26 tail", TRUE},
      {V26_TAIL_Y, "26 tail, y an output", FALSE},
      {V26_TAIL_PERM, "26 tail, perm 0,1,2", FALSE},
    };
    for (guint t = 0; t < G_N_ELEMENTS (tails); t++) {
      YoloGraph *g = head_graph (N, 3, DIMS (4, 2, 1), DIMS (4, 2, 1), 1, 3,
          tails[t].v);
      g_snprintf (label, sizeof label, "%s, batch %" G_GINT64_FORMAT,
          tails[t].name, N);
      yolo_test_expect_kernel ("detect_decode", TRUE);
      yolo_test_expect_kernel ("movement_transpose_tile|movement_copy_nd",
          !tails[t].split);
      yolo_test_check (g, label, 1e-4f, 1e-5f, TRUE);
      yolo_test_expect_kernel (NULL, FALSE);
    }
  }
  /* altered tails, at batch 1 and 2 (per-image anchors: batch 2 only) */
  for (gint64 N = 1; N <= 2; N++)
    for (Variant v = P_AXIS; v <= (N > 1 ? P_IMAGE_ANCHORS : P_SIGMOID_CONV);
        v++) {
      g_snprintf (label, sizeof label, "%s, batch %" G_GINT64_FORMAT,
          names[v], N);
      pass_case (label, head_graph (N, 3, DIMS (4, 2, 1), DIMS (4, 2, 1), 4,
              3, v), FALSE);
    }
}

/* ---- the real exports ---- */

static void
model_case_at (const char *rel, int want, int batch)
{
  YoloGraph *g = yolo_test_load_fused_batch (rel, batch);
  int n_det = 0, n_softmax = 0, n_sigmoid = 0, n_split = 0;

  if (!g)
    return;
  for (guint i = 0; i < g->nodes->len; i++) {
    YoloNode *n = YOLO_N (g, i);
    if (n->removed)
      continue;
    n_det += !strcmp (n->op_type, YOLO_DETECT_DECODE_OP);
    n_split += !strcmp (n->op_type, YOLO_DETECT_DECODE_OP)
        && yolo_node_attr_int (n, "split", 0) == 1;
    n_softmax += !strcmp (n->op_type, "Softmax");
    n_sigmoid += !strcmp (n->op_type, "Sigmoid");
  }
  g_test_message ("%s at batch %d: %d DetectDecode, %d Softmax, %d Sigmoid "
      "left", rel, batch, n_det, n_softmax, n_sigmoid);
  g_assert_cmpint (n_det, ==, want);
  /* YOLO26 (one-to-one tail): the node writes the Split's outputs */
  g_assert_cmpint (n_split, ==, strstr (rel, "yolo26n") ? want : 0);
  if (want) {
    g_assert_cmpint (n_softmax, ==, 0);
    g_assert_cmpint (n_sigmoid, ==, 0);
  }
  yolo_graph_free (g);
}

/* rel loaded at batch 1 and (batched) with the engine's batch option at
 * 3: want DetectDecode nodes at both */
static void
model_case (const char *rel, int want, gboolean batched)
{
  model_case_at (rel, want, 1);
  if (batched)
    model_case_at (rel, want, 3);
}

static void
test_models (void)
{
  model_case ("yolov8n-320.onnx", 1, TRUE);
  model_case ("yolov8n-640.onnx", 1, TRUE);
  model_case ("yolo11n-640.onnx", 1, TRUE);
  model_case ("yolo11n-320.onnx", 1, TRUE);
  model_case ("yolo26n-640.onnx", 1, TRUE);
  model_case ("zoo/yolov10n.onnx", 1, TRUE);
  /* its area attention's Reshapes fold the batch: batch 1 only */
  model_case ("zoo/yolo12n.onnx", 1, FALSE);
  model_case ("zoo/yolo11n-batch2.onnx", 1, TRUE);      /* batch=2 export */
  /* other heads keep their nodes */
  model_case ("yolov5n-640.onnx", 0, TRUE);
  model_case ("yolox-nano-416.onnx", 0, TRUE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  yolo_test_seed (1234);
  g_test_add_func ("/detect/kernel", test_kernel);
  g_test_add_func ("/detect/kernel-span16", test_kernel_span16);
  yolo_test_add_half ("/detect/half/kernel", test_kernel);
  g_test_add_func ("/detect/invalid", test_invalid);
  g_test_add_func ("/detect/invalid-split", test_invalid_split);
  g_test_add_func ("/detect/pass", test_pass);
  g_test_add_func ("/detect/models", test_models);
  return g_test_run ();
}
