/* math.cl - float unary math of ops/math.c: Sin, Cos, Gelu; then the
 * fused activation (act, alpha, beta). */

#define MATH_SIN 0
#define MATH_COS 1
#define MATH_GELU 2
#define MATH_GELU_TANH 3

__kernel void
math_unary (__global const float *x, int x_off, __global float *y,
    int y_off, int n, int op, int act, float alpha, float beta)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  float v = x[x_off + i], r;
  switch (op) {
    case MATH_SIN:
      r = sin (v);
      break;
    case MATH_COS:
      r = cos (v);
      break;
    case MATH_GELU:
      r = 0.5f * v * (1.0f + erf (v * 0.70710678118654752f));
      break;
    default:
      r = 0.5f * v * (1.0f + tanh (0.7978845608f * (v + 0.044715f * v * v
                  * v)));
      break;
  }
  y[y_off + i] = yolo_act (act, alpha, beta, r);
}
