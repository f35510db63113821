/* logic.cl - comparisons, And / Or / Xor / Not and Where of ops/logic.c.
 * Bool is int 0 / 1 (any non-zero int reads as true). One element per
 * work-item over up to 6 collapsed broadcast dims d0..d5 (outermost
 * first, padded with 1s) with per-operand element strides (0 where
 * broadcast). */

/* Op codes (must match ops/logic.c). */
#define LOGIC_GT 0
#define LOGIC_LT 1
#define LOGIC_EQ 2
#define LOGIC_GE 3
#define LOGIC_LE 4
#define LOGIC_AND 5
#define LOGIC_OR 6
#define LOGIC_XOR 7
/* ORed into a comparison of uint32 operands (their bits in int): the sign
 * bits flipped, signed order is unsigned order */
#define LOGIC_UNSIGNED 16

#define LOGIC_BCAST_ARGS                                                    \
    int n, int d0, int d1, int d2, int d3, int d4, int d5,                  \
    int sa0, int sa1, int sa2, int sa3, int sa4, int sa5,                   \
    int sb0, int sb1, int sb2, int sb3, int sb4, int sb5,                   \
    int sc0, int sc1, int sc2, int sc3, int sc4, int sc5

#define LOGIC_STEP(D, K)                                                    \
  t = r % D; r /= D; ia += t * sa##K; ib += t * sb##K; ic += t * sc##K;

#define LOGIC_BCAST_INDEX                                                   \
  int i = get_global_id (0);                                                \
  if (i >= n)                                                               \
    return;                                                                 \
  int r = i, t, ia = 0, ib = 0, ic = 0;                                     \
  LOGIC_STEP (d5, 5) LOGIC_STEP (d4, 4) LOGIC_STEP (d3, 3)                  \
  LOGIC_STEP (d2, 2) LOGIC_STEP (d1, 1)                                     \
  ia += r * sa0; ib += r * sb0; ic += r * sc0;

__kernel void
logic_compare_float (__global const float *a, int a_off,
    __global const float *b, int b_off, __global int *y, int y_off,
    LOGIC_BCAST_ARGS, int op)
{
  LOGIC_BCAST_INDEX;
  float va = a[a_off + ia], vb = b[b_off + ib];
  int v;
  switch (op) {
    case LOGIC_GT:
      v = va > vb;
      break;
    case LOGIC_LT:
      v = va < vb;
      break;
    case LOGIC_EQ:
      v = va == vb;
      break;
    case LOGIC_GE:
      v = va >= vb;
      break;
    default:
      v = va <= vb;
      break;
  }
  y[y_off + i] = v;
}

__kernel void
logic_binary_int (__global const int *a, int a_off, __global const int *b,
    int b_off, __global int *y, int y_off, LOGIC_BCAST_ARGS, int op)
{
  LOGIC_BCAST_INDEX;
  int va = a[a_off + ia], vb = b[b_off + ib];
  int v;
  if (op & LOGIC_UNSIGNED) {
    va ^= INT_MIN;
    vb ^= INT_MIN;
    op &= ~LOGIC_UNSIGNED;
  }
  switch (op) {
    case LOGIC_GT:
      v = va > vb;
      break;
    case LOGIC_LT:
      v = va < vb;
      break;
    case LOGIC_EQ:
      v = va == vb;
      break;
    case LOGIC_GE:
      v = va >= vb;
      break;
    case LOGIC_LE:
      v = va <= vb;
      break;
    case LOGIC_AND:
      v = va != 0 && vb != 0;
      break;
    case LOGIC_OR:
      v = va != 0 || vb != 0;
      break;
    default:
      v = (va != 0) != (vb != 0);
      break;
  }
  y[y_off + i] = v;
}

__kernel void
logic_not (__global const int *x, int x_off, __global int *y, int y_off,
    int n)
{
  int i = get_global_id (0);
  if (i < n)
    y[y_off + i] = x[x_off + i] == 0;
}

/* z = c ? x : y, 32-bit words (float or int alike). */
__kernel void
logic_where (__global const int *c, int c_off, __global const uint *x,
    int x_off, __global const uint *y, int y_off, __global uint *z,
    int z_off, LOGIC_BCAST_ARGS)
{
  LOGIC_BCAST_INDEX;
  z[z_off + i] = c[c_off + ia] != 0 ? x[x_off + ib] : y[y_off + ic];
}
