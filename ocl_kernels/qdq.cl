/* qdq.cl - the fused static-QDQ conv epilogue (YoloQdqEpilogue,
 * yolo-qdq-fuse.c) as a pass of its own, for the conv kernels that do not
 * have it (conv_gpu.cl; conv_cpu.cl has it in its epilogue): y holds
 * conv + bias and becomes, in place,
 *   [fq0] -> [SiLU as Sigmoid [-> fq1] and Mul] -> [fq2] -> [+ r [-> fq3]]
 * qe: 4 records of 8 floats { s, r, xlo, xhi, qlo, qhi, -, - }
 * (yolo_qdq_fq_pack), record k applied where bit k of qmask is set. One
 * element per work-item. */

#define QDQ_FQ(v, k) yolo_fq ((v), qe[8 * (k)], qe[8 * (k) + 1], \
    qe[8 * (k) + 2], qe[8 * (k) + 3], qe[8 * (k) + 4], qe[8 * (k) + 5])

__kernel void
qdq_conv_epilogue (__global ACT_T *y, int y_off, __global const ACT_T *r,
    int r_off, int has_res, __global const float *qe, int qmask, int act,
    int n)
{
  int i = get_global_id (0);
  if (i >= n)
    return;
  float v = LOAD_ACT (y, y_off + i);
  if (qmask & 1)
    v = QDQ_FQ (v, 0);
  if (act == YOLO_ACT_SILU) {
    float sg = 1.0f / (1.0f + exp (-v));
    if (qmask & 2)
      sg = QDQ_FQ (sg, 1);
    v = v * sg;
  }
  if (qmask & 4)
    v = QDQ_FQ (v, 2);
  if (has_res) {
    v = v + LOAD_ACT (r, r_off + i);
    if (qmask & 8)
      v = QDQ_FQ (v, 3);
  }
  STORE_ACT (y, y_off + i, v);
}
