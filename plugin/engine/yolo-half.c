/* yolo-half.c - float16 conversions and the rounding of float16 graph
 * inputs / outputs (see yolo-half.h). */
#include <string.h>

#include "yolo-half.h"

guint16
yolo_float_to_half (float f)
{
  guint32 x, ax, sign, e, mant, h, rem, half;
  int s;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  ax = x & 0x7fffffff;
  if (ax > 0x7f800000)          /* NaN: quiet, top payload bits kept */
    return sign | 0x7e00 | ((ax >> 13) & 0x3ff);
  if (ax >= 0x477ff000)         /* >= 65520 (and inf): inf */
    return sign | 0x7c00;
  e = ax >> 23;
  if (e < 113) {                /* below 2^-14: subnormal half or zero */
    if (e < 102)                /* below 2^-25 */
      return sign;
    /* value / 2^-24 = mant * 2^(e - 126), shift right by s = 126 - e */
    mant = (ax & 0x7fffff) | 0x800000;
    s = 126 - (int) e;
    h = mant >> s;
    rem = mant & ((1u << s) - 1);
    half = 1u << (s - 1);
    if (rem > half || (rem == half && (h & 1)))
      h++;
    return sign | h;
  }
  h = ((e - 112) << 10) | ((ax >> 13) & 0x3ff);
  rem = ax & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
    h++;                        /* a carry moves into the exponent */
  return sign | h;
}

float
yolo_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 e = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  float f;

  if (e == 0) {
    /* zero or subnormal: mant * 2^-24, exact in float32 */
    f = (float) mant *(1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (e == 0x1f)
    bits = sign | 0x7f800000 | (mant << 13);
  else
    bits = sign | ((e + 112) << 23) | (mant << 13);
  memcpy (&f, &bits, 4);
  return f;
}

float
yolo_half_round (float f)
{
  return yolo_half_to_float (yolo_float_to_half (f));
}

float
yolo_bfloat16_round (float f)
{
  guint32 u;

  memcpy (&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u)  /* NaN: quiet, sign and top bits */
    u |= 0x00400000u;
  else                          /* nearest, ties to even; FLT_MAX -> inf */
    u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  memcpy (&f, &u, 4);
  return f;
}

/* A tensor name not used yet: base + suffix (+ a counter). */
static int
new_tensor (YoloGraph * g, const char *base, const char *suffix)
{
  char *name = g_strconcat (base, suffix, NULL);
  int idx;

  for (int k = 2; yolo_graph_find_tensor (g, name) >= 0; k++) {
    g_free (name);
    name = g_strdup_printf ("%s%s%d", base, suffix, k);
  }
  idx = yolo_graph_tensor (g, name);
  g_free (name);
  return idx;
}

static void
add_round (YoloGraph * g, int from, int to)
{
  char *name = g_strconcat (YOLO_T (g, to)->name, "::round_fp16", NULL);
  const char *none = "";
  int ni = yolo_graph_add_node (g, "Cast", name, 1, &none, 0, NULL);
  YoloNode *n = YOLO_N (g, ni);
  YoloAttr *a = yolo_node_add_attr (n, "to", YOLO_ATTR_INT);

  /* wired by index: the names are stored escaped */
  a->i = YOLO_DTYPE_FLOAT16;
  n->inputs[0] = from;
  n->n_outputs = 1;
  n->outputs[0] = to;
  YOLO_T (g, to)->producer = ni;
  g_free (name);
}

void
yolo_graph_round_half_io (YoloGraph * g)
{
  guint n_nodes = g->nodes->len;

  for (guint i = 0; i < g->inputs->len; i++) {
    int x = g_array_index (g->inputs, int, i), r;

    if (YOLO_T (g, x)->io_dtype != YOLO_DTYPE_FLOAT16)
      continue;
    r = new_tensor (g, YOLO_T (g, x)->name, "::fp16");
    for (guint k = 0; k < n_nodes; k++) {
      YoloNode *n = YOLO_N (g, k);
      for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] == x)
          n->inputs[j] = r;
    }
    add_round (g, x, r);
  }
  for (guint i = 0; i < g->outputs->len; i++) {
    int y = g_array_index (g->outputs, int, i), u;
    YoloNode *p = NULL;
    int slot = -1;

    if (YOLO_T (g, y)->io_dtype != YOLO_DTYPE_FLOAT16)
      continue;
    for (guint k = 0; k < n_nodes && !p; k++) {
      YoloNode *n = YOLO_N (g, k);
      for (int j = 0; j < n->n_outputs; j++)
        if (n->outputs[j] == y) {
          p = n;
          slot = j;
          break;
        }
    }
    /* a constant: half already; a graph input: rounded as it is read
     * back (read_arena in yolo-engine.c) */
    if (!p)
      continue;
    u = new_tensor (g, YOLO_T (g, y)->name, "::fp32");
    p->outputs[slot] = u;
    add_round (g, u, y);
  }
}
