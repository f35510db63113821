/* norm.cl - LayerNormalization (ops/norm.c): one row of `inner` elements
 * per work-item; mean, then the mean squared deviation (two passes, in
 * float), y = act((x - mean) * rsqrt(var + eps) * s[j] + b[j]). */
__kernel void
layer_norm (__global const float *x, int x_off, __global const float *s,
    __global const float *b, __global float *y, int y_off, int outer,
    int inner, float eps, int act, float alpha, float beta)
{
  int r = get_global_id (0);
  if (r >= outer)
    return;
  __global const float *row = x + x_off + (size_t) r * inner;
  __global float *out = y + y_off + (size_t) r * inner;
  float mean = 0.0f, var = 0.0f;
  for (int j = 0; j < inner; j++)
    mean += row[j];
  mean /= (float) inner;
  for (int j = 0; j < inner; j++) {
    float d = row[j] - mean;
    var += d * d;
  }
  var /= (float) inner;
  float inv = 1.0f / sqrt (var + eps);
  for (int j = 0; j < inner; j++)
    out[j] = yolo_act (act, alpha, beta, (row[j] - mean) * inv * s[j] + b[j]);
}
