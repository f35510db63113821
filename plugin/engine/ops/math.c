/* ops/math.c - float unary math not in ops/eltwise.c: Sin, Cos (YOLO11-OBB
 * decodes its box angles with them) and Gelu (opset 20; approximate
 * "none": x * (1 + erf(x / sqrt 2)) / 2, "tanh": x * (1 + tanh(sqrt(2/pi)
 * * (x + 0.044715 x^3))) / 2). Erf is in ops/eltwise.c.
 *
 * Shapes: Y has X's shape; float32 only (an integer X is refused with
 * an error naming the node). Kernel: math_unary (backend-opencl/math.c,
 * ocl_kernels/math.cl),
 * one element per work-item, with the node's fused activation. */
#include <math.h>
#include <string.h>

#include "yolo-engine.h"
#include "ops/math.h"

gboolean
yolo_math_code (const YoloNode * n, int *code, GError ** error)
{
  if (!strcmp (n->op_type, "Sin"))
    *code = MATH_SIN;
  else if (!strcmp (n->op_type, "Cos"))
    *code = MATH_COS;
  else {
    const char *ap = yolo_node_attr_string (n, "approximate", "none");
    if (ap == NULL || !strcmp (ap, "none") || ap[0] == '\0')
      *code = MATH_GELU;
    else if (!strcmp (ap, "tanh"))
      *code = MATH_GELU_TANH;
    else {
      yolo_op_error (error, n, "unknown approximate '%s' (none, tanh)", ap);
      return FALSE;
    }
  }
  return TRUE;
}

static float
math_apply (int code, float x)
{
  switch (code) {
    case MATH_SIN:
      return sinf (x);
    case MATH_COS:
      return cosf (x);
    case MATH_GELU:
      return 0.5f * x * (1.0f + erff (x * (float) M_SQRT1_2));
    default:
      return 0.5f * x * (1.0f + tanhf (0.7978845608f * (x + 0.044715f * x
                  * x * x)));
  }
}

static gboolean
math_infer (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0);
  int code;

  if (!x || n->n_outputs < 1) {
    yolo_op_error (error, n, "expects an input and an output");
    return FALSE;
  }
  if (!yolo_dtype_is_float (x->dtype)) {
    yolo_op_error (error, n, "input must be a float tensor, got %s",
        yolo_dtype_name (x->dtype));
    return FALSE;
  }
  if (!yolo_math_code (n, &code, error))
    return FALSE;
  yolo_tensor_set_shape (YOLO_OUT (g, n, 0), YOLO_DTYPE_FLOAT, x->ndim,
      x->dims);
  return TRUE;
}

static gboolean
math_eval (YoloGraph * g, YoloNode * n, GError ** error)
{
  YoloTensor *x = YOLO_IN (g, n, 0), *y = YOLO_OUT (g, n, 0);
  gint64 total = yolo_tensor_numel (y);
  const float *xd = x->data;
  float *out;
  int code;

  if (!xd && total > 0) {
    yolo_op_error (error, n, "input has no host data");
    return FALSE;
  }
  if (n->residual >= 0)
    return yolo_op_unsupported (error, n, "fused residual");
  if (!yolo_math_code (n, &code, error))
    return FALSE;
  out = yolo_tensor_alloc_data (y);
  for (gint64 i = 0; i < total; i++)
    out[i] = yolo_act_apply (n->act, n->act_alpha, n->act_beta,
        math_apply (code, xd[i]));
  return TRUE;
}

#define MATH_OP(var, name) \
  static const YoloOpDef var = { name, 0, math_infer, math_eval }

MATH_OP (op_sin, "Sin");
MATH_OP (op_cos, "Cos");
MATH_OP (op_gelu, "Gelu");

const YoloOpDef *const yolo_ops_math[] = { &op_sin, &op_cos, &op_gelu, NULL };
