/* yolo-onnx.c - ONNX model file -> YoloGraph.
 *
 * The file is mapped, unpacked with protobuf-c (onnx.proto holds the subset
 * of the ONNX schema we read) and turned into the graph IR:
 *
 *  - initializers and Constant nodes become constant tensors with host data
 *    (float* for floating point dtypes, gint64* for integer/bool dtypes);
 *  - graph inputs that are not initializers become graph inputs, with -1 for
 *    dynamic dimensions (the engine resolves them);
 *  - graph outputs are recorded, with their declared shape when it is fully
 *    static (shape inference recomputes it anyway);
 *  - every other node is added with its FLOAT / INT / STRING / TENSOR /
 *    FLOATS / INTS attributes (others are ignored).
 *
 * Whatever the bytes, this never crashes: any inconsistency is a GError in
 * the YOLO_ENGINE_ERROR domain whose message starts with the file's path.
 */
#include <string.h>

#include "yolo-engine-private.h"
#include "yolo-half.h"
#include "onnx.pb-c.h"

#define ONNX_ATTR_FLOAT 1
#define ONNX_ATTR_INT 2
#define ONNX_ATTR_STRING 3
#define ONNX_ATTR_TENSOR 4
#define ONNX_ATTR_FLOATS 6
#define ONNX_ATTR_INTS 7

#define ONNX_DT_UINT16 4
#define ONNX_DT_INT16 5

#define ONNX_DATA_LOCATION_EXTERNAL 1

#define YOLO_ONNX_MAX_OPSET 21
#define YOLO_ONNX_MIN_TESTED_OPSET 11

/* No tensor in a YOLO model is anywhere near this many elements. */
#define YOLO_ONNX_MAX_NUMEL (G_GINT64_CONSTANT (1) << 40)

typedef struct
{
  const char *path;
  YoloGraph *g;
} Loader;

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 bits;
  float f;

  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {
      /* subnormal: normalise */
      exp = 127 - 15 + 1;
      while (!(mant & 0x400)) {
        mant <<= 1;
        exp--;
      }
      mant &= 0x3ff;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000 | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  memcpy (&f, &bits, sizeof f);
  return f;
}

/* Maps an ONNX element type to the engine's dtype for host constants:
 * floating point types become FLOAT, small integer types keep their kind
 * (data is gint64 anyway). Returns UNDEFINED for types we cannot hold. */
static YoloDType
const_dtype (int onnx_type)
{
  switch (onnx_type) {
    case YOLO_DTYPE_FLOAT:
    case YOLO_DTYPE_FLOAT16:
    case YOLO_DTYPE_DOUBLE:
      return YOLO_DTYPE_FLOAT;
    case YOLO_DTYPE_UINT8:
    case YOLO_DTYPE_INT8:
    case YOLO_DTYPE_INT32:
    case YOLO_DTYPE_INT64:
    case YOLO_DTYPE_BOOL:
      return (YoloDType) onnx_type;
    case ONNX_DT_UINT16:
    case ONNX_DT_INT16:
      return YOLO_DTYPE_INT32;
    default:
      return YOLO_DTYPE_UNDEFINED;
  }
}

/* Element type of a run-time tensor (input / output value info). */
static YoloDType
value_dtype (int onnx_type)
{
  switch (onnx_type) {
    case YOLO_DTYPE_FLOAT:
    case YOLO_DTYPE_UINT8:
    case YOLO_DTYPE_INT8:
    case YOLO_DTYPE_INT32:
    case YOLO_DTYPE_INT64:
    case YOLO_DTYPE_BOOL:
    case YOLO_DTYPE_FLOAT16:
    case YOLO_DTYPE_DOUBLE:
      return (YoloDType) onnx_type;
    default:
      return YOLO_DTYPE_UNDEFINED;
  }
}

static const char *
onnx_type_name (int onnx_type)
{
  static const char *const names[] = {
    "undefined", "float32", "uint8", "int8", "uint16", "int16", "int32",
    "int64", "string", "bool", "float16", "float64", "uint32", "uint64",
    "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
    "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1",
  };
  if (onnx_type >= 0 && onnx_type < (int) G_N_ELEMENTS (names))
    return names[onnx_type];
  return "unknown";
}

/* Bytes per element in raw_data; 0 if unsupported. */
static gsize
raw_elem_size (int onnx_type)
{
  switch (onnx_type) {
    case YOLO_DTYPE_FLOAT:
    case YOLO_DTYPE_INT32:
      return 4;
    case YOLO_DTYPE_INT64:
    case YOLO_DTYPE_DOUBLE:
      return 8;
    case YOLO_DTYPE_FLOAT16:
    case ONNX_DT_UINT16:
    case ONNX_DT_INT16:
      return 2;
    case YOLO_DTYPE_UINT8:
    case YOLO_DTYPE_INT8:
    case YOLO_DTYPE_BOOL:
      return 1;
    default:
      return 0;
  }
}

/* Element k of little-endian raw data, widened to gint64 / float. */
static gint64
raw_int (const guint8 * p, int onnx_type, gsize k)
{
  switch (onnx_type) {
    case YOLO_DTYPE_INT64:{
      guint64 v;
      memcpy (&v, p + 8 * k, 8);
      return (gint64) GUINT64_FROM_LE (v);
    }
    case YOLO_DTYPE_INT32:{
      guint32 v;
      memcpy (&v, p + 4 * k, 4);
      return (gint32) GUINT32_FROM_LE (v);
    }
    case ONNX_DT_INT16:{
      guint16 v;
      memcpy (&v, p + 2 * k, 2);
      return (gint16) GUINT16_FROM_LE (v);
    }
    case ONNX_DT_UINT16:{
      guint16 v;
      memcpy (&v, p + 2 * k, 2);
      return GUINT16_FROM_LE (v);
    }
    case YOLO_DTYPE_INT8:
      return (gint8) p[k];
    case YOLO_DTYPE_BOOL:
      return p[k] != 0;
    case YOLO_DTYPE_UINT8:
    default:
      return p[k];
  }
}

static float
raw_float (const guint8 * p, int onnx_type, gsize k)
{
  switch (onnx_type) {
    case YOLO_DTYPE_FLOAT:{
      guint32 v;
      float f;
      memcpy (&v, p + 4 * k, 4);
      v = GUINT32_FROM_LE (v);
      memcpy (&f, &v, 4);
      return f;
    }
    case YOLO_DTYPE_FLOAT16:{
      guint16 v;
      memcpy (&v, p + 2 * k, 2);
      return half_to_float (GUINT16_FROM_LE (v));
    }
    case YOLO_DTYPE_DOUBLE:
    default:{
      guint64 v;
      double d;
      memcpy (&v, p + 8 * k, 8);
      v = GUINT64_FROM_LE (v);
      memcpy (&d, &v, 8);
      return (float) d;
    }
  }
}

/* Converts a TensorProto into a constant tensor called name. Returns its
 * index, or -1 with error set. */
static int
add_tensor_proto (Loader * L, const Onnx__TensorProto * tp, const char *name,
    GError ** error)
{
  YoloGraph *g = L->g;
  int onnx_type = tp->has_data_type ? tp->data_type : 0;
  YoloDType dtype;
  gint64 dims[YOLO_MAX_DIMS];
  gint64 numel = 1;
  gsize count = 0;
  gpointer data = NULL;
  gboolean is_float;
  gsize k;

  if (tp->has_data_location && tp->data_location == ONNX_DATA_LOCATION_EXTERNAL) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s: tensor '%s' keeps its data in an external file, which is not "
        "supported; save the model with all tensors inside the .onnx file "
        "(onnx.save_model (m, path, save_as_external_data=False))",
        L->path, name);
    return -1;
  }

  dtype = const_dtype (onnx_type);
  if (dtype == YOLO_DTYPE_UNDEFINED) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s: tensor '%s' has data type %s (%d), which is not supported",
        L->path, name, onnx_type_name (onnx_type), onnx_type);
    return -1;
  }
  is_float = dtype == YOLO_DTYPE_FLOAT;

  if (tp->n_dims > YOLO_MAX_DIMS) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s: tensor '%s' has %" G_GSIZE_FORMAT " dimensions (at most %d "
        "supported)", L->path, name, (gsize) tp->n_dims, YOLO_MAX_DIMS);
    return -1;
  }
  for (k = 0; k < tp->n_dims; k++) {
    if (tp->dims[k] < 0 || tp->dims[k] > YOLO_ONNX_MAX_NUMEL
        || (tp->dims[k] > 0 && numel > YOLO_ONNX_MAX_NUMEL / tp->dims[k])) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: tensor '%s' has an invalid dimension %" G_GINT64_FORMAT
          " (index %" G_GSIZE_FORMAT ")", L->path, name,
          (gint64) tp->dims[k], k);
      return -1;
    }
    dims[k] = tp->dims[k];
    numel *= dims[k];
  }
  {
    YoloTensor tmp = {.dtype = dtype,.ndim = (int) tp->n_dims };
    char *what = g_strdup_printf ("%s: tensor '%s'", L->path, name);
    gboolean ok;

    memcpy (tmp.dims, dims, tp->n_dims * sizeof (gint64));
    ok = yolo_tensor_check_size (&tmp, what, error)
        && yolo_graph_reserve (g, yolo_tensor_host_bytes (&tmp), what, error);
    g_free (what);
    if (!ok)
      return -1;
  }

  if (tp->has_raw_data) {
    gsize esize = raw_elem_size (onnx_type);
    const guint8 *p = tp->raw_data.data;

    if (esize == 0 || tp->raw_data.len % esize != 0
        || (gint64) (tp->raw_data.len / esize) != numel) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: tensor '%s' has %" G_GSIZE_FORMAT " bytes of data but its "
          "shape needs %" G_GINT64_FORMAT " elements of %s", L->path, name,
          (gsize) tp->raw_data.len, numel, onnx_type_name (onnx_type));
      return -1;
    }
    if (is_float) {
      float *f = g_new (float, MAX (numel, 1));
      for (k = 0; k < (gsize) numel; k++)
        f[k] = raw_float (p, onnx_type, k);
      data = f;
    } else {
      gint64 *v = g_new (gint64, MAX (numel, 1));
      for (k = 0; k < (gsize) numel; k++)
        v[k] = raw_int (p, onnx_type, k);
      data = v;
    }
  } else {
    /* Typed fields. */
    switch (onnx_type) {
      case YOLO_DTYPE_FLOAT:
        count = tp->n_float_data;
        break;
      case YOLO_DTYPE_INT64:
        count = tp->n_int64_data;
        break;
      case YOLO_DTYPE_DOUBLE:
        count = tp->n_double_data;
        break;
      default:                 /* int32, int16, uint16, int8, uint8, bool, float16 */
        count = tp->n_int32_data;
        break;
    }
    if ((gint64) count != numel) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: tensor '%s' has %" G_GSIZE_FORMAT " values but its shape "
          "needs %" G_GINT64_FORMAT, L->path, name, count, numel);
      return -1;
    }
    if (is_float) {
      float *f = g_new (float, MAX (numel, 1));
      for (k = 0; k < count; k++) {
        if (onnx_type == YOLO_DTYPE_FLOAT)
          f[k] = tp->float_data[k];
        else if (onnx_type == YOLO_DTYPE_DOUBLE)
          f[k] = (float) tp->double_data[k];
        else                    /* float16 bits in int32_data */
          f[k] = half_to_float ((guint16) tp->int32_data[k]);
      }
      data = f;
    } else {
      gint64 *v = g_new (gint64, MAX (numel, 1));
      for (k = 0; k < count; k++) {
        if (onnx_type == YOLO_DTYPE_INT64)
          v[k] = tp->int64_data[k];
        else if (onnx_type == YOLO_DTYPE_BOOL)
          v[k] = tp->int32_data[k] != 0;
        else if (onnx_type == YOLO_DTYPE_UINT8)
          v[k] = (guint8) tp->int32_data[k];
        else if (onnx_type == YOLO_DTYPE_INT8)
          v[k] = (gint8) tp->int32_data[k];
        else if (onnx_type == ONNX_DT_UINT16)
          v[k] = (guint16) tp->int32_data[k];
        else if (onnx_type == ONNX_DT_INT16)
          v[k] = (gint16) tp->int32_data[k];
        else
          v[k] = tp->int32_data[k];
      }
      data = v;
    }
  }

  if (numel == 0) {
    /* keep a valid pointer so the tensor still counts as constant */
    memset (data, 0, is_float ? sizeof (float) : sizeof (gint64));
  }

  if (yolo_graph_find_tensor (g, name) >= 0) {
    g_free (data);
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "%s: tensor '%s' is defined more than once", L->path, name);
    return -1;
  }
  return yolo_graph_add_const (g, name, dtype, (int) tp->n_dims, dims, data);
}

static gboolean
is_default_domain (const char *domain)
{
  return domain == NULL || domain[0] == '\0' || strcmp (domain, "ai.onnx") == 0;
}

static const char *
node_name (const Onnx__NodeProto * np, int index, char *buf, gsize len)
{
  if (np->name && np->name[0])
    return np->name;
  g_snprintf (buf, len, "%s_%d", np->op_type ? np->op_type : "node", index);
  return buf;
}

/* A Constant node: its output becomes a constant tensor. */
static gboolean
add_constant_node (Loader * L, const Onnx__NodeProto * np, const char *nname,
    GError ** error)
{
  YoloGraph *g = L->g;
  const char *out;
  gint64 scalar = 1;
  size_t a;

  if (np->n_output < 1 || np->output[0][0] == '\0') {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "%s: Constant node '%s' has no output", L->path, nname);
    return FALSE;
  }
  out = np->output[0];
  if (yolo_graph_find_tensor (g, out) >= 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "%s: tensor '%s' (output of Constant node '%s') is defined more than "
        "once", L->path, out, nname);
    return FALSE;
  }

  for (a = 0; a < np->n_attribute; a++) {
    const Onnx__AttributeProto *ap = np->attribute[a];
    const char *an = ap->name ? ap->name : "";

    if (strcmp (an, "value") == 0 && ap->t) {
      return add_tensor_proto (L, ap->t, out, error) >= 0;
    } else if (strcmp (an, "value_float") == 0) {
      float *f = g_new (float, 1);
      f[0] = ap->f;
      return yolo_graph_add_const (g, out, YOLO_DTYPE_FLOAT, 0, &scalar,
          f) >= 0;
    } else if (strcmp (an, "value_int") == 0) {
      gint64 *v = g_new (gint64, 1);
      v[0] = ap->i;
      return yolo_graph_add_const (g, out, YOLO_DTYPE_INT64, 0, &scalar,
          v) >= 0;
    } else if (strcmp (an, "value_floats") == 0) {
      gint64 dim = ap->n_floats;
      float *f = g_new (float, MAX (ap->n_floats, 1));
      if (ap->n_floats)
        memcpy (f, ap->floats, ap->n_floats * sizeof (float));
      else
        f[0] = 0;
      return yolo_graph_add_const (g, out, YOLO_DTYPE_FLOAT, 1, &dim, f) >= 0;
    } else if (strcmp (an, "value_ints") == 0) {
      gint64 dim = ap->n_ints;
      gint64 *v = g_new0 (gint64, MAX (ap->n_ints, 1));
      size_t k;
      for (k = 0; k < ap->n_ints; k++)
        v[k] = ap->ints[k];
      return yolo_graph_add_const (g, out, YOLO_DTYPE_INT64, 1, &dim, v) >= 0;
    }
  }

  g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
      "%s: Constant node '%s' has no supported value attribute (value, "
      "value_float, value_int, value_floats or value_ints)", L->path, nname);
  return FALSE;
}

static int
attr_type (const Onnx__AttributeProto * ap)
{
  if (ap->has_type && ap->type != 0)
    return ap->type;
  /* very old files leave the type out: guess from the field set */
  if (ap->t)
    return ONNX_ATTR_TENSOR;
  if (ap->n_floats)
    return ONNX_ATTR_FLOATS;
  if (ap->n_ints)
    return ONNX_ATTR_INTS;
  if (ap->has_s)
    return ONNX_ATTR_STRING;
  if (ap->has_i)
    return ONNX_ATTR_INT;
  if (ap->has_f)
    return ONNX_ATTR_FLOAT;
  return 0;
}

static gboolean
add_attributes (Loader * L, const Onnx__NodeProto * np, int node_index,
    const char *nname, GError ** error)
{
  YoloGraph *g = L->g;
  size_t a;

  for (a = 0; a < np->n_attribute; a++) {
    const Onnx__AttributeProto *ap = np->attribute[a];
    YoloNode *n;
    YoloAttr *attr;
    int type = attr_type (ap);
    int tensor = -1;
    size_t k;

    if (ap->name == NULL || ap->name[0] == '\0')
      continue;

    switch (type) {
      case ONNX_ATTR_FLOAT:
      case ONNX_ATTR_INT:
      case ONNX_ATTR_STRING:
      case ONNX_ATTR_FLOATS:
      case ONNX_ATTR_INTS:
        break;
      case ONNX_ATTR_TENSOR:{
        char *tname;
        if (ap->t == NULL) {
          g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
              "%s: tensor attribute '%s' of node '%s' has no tensor",
              L->path, ap->name, nname);
          return FALSE;
        }
        tname = g_strdup_printf ("%s::%s#%d", nname, ap->name, node_index);
        tensor = add_tensor_proto (L, ap->t, tname, error);
        g_free (tname);
        if (tensor < 0)
          return FALSE;
        break;
      }
      default:
        continue;               /* graphs, string lists, ...: ignored */
    }

    n = YOLO_N (g, node_index);
    attr = yolo_node_add_attr (n, ap->name, (YoloAttrType) type);
    switch (type) {
      case ONNX_ATTR_FLOAT:
        attr->f = ap->f;
        break;
      case ONNX_ATTR_INT:
        attr->i = ap->i;
        break;
      case ONNX_ATTR_STRING:
        attr->s = g_strndup ((const char *) ap->s.data, ap->s.len);
        break;
      case ONNX_ATTR_TENSOR:
        attr->tensor = tensor;
        break;
      case ONNX_ATTR_FLOATS:
        attr->n = (int) ap->n_floats;
        attr->floats = g_new0 (float, MAX (ap->n_floats, 1));
        if (ap->n_floats)
          memcpy (attr->floats, ap->floats, ap->n_floats * sizeof (float));
        break;
      case ONNX_ATTR_INTS:
        attr->n = (int) ap->n_ints;
        attr->ints = g_new0 (gint64, MAX (ap->n_ints, 1));
        for (k = 0; k < ap->n_ints; k++)
          attr->ints[k] = ap->ints[k];
        break;
      default:
        break;
    }
  }
  return TRUE;
}

static const Onnx__TypeProto__Tensor *
value_tensor_type (const Onnx__ValueInfoProto * vi)
{
  if (vi->type == NULL
      || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
    return NULL;
  return vi->type->tensor_type;
}

/* Fills dims from a value info; -1 for dynamic dimensions (dim_param or
 * no value). Returns the rank, -1 if no shape is given, -2 if the rank is too
 * large, -3 if dimension *bad declares a size <= 0 or > G_MAXINT32. */
static int
value_dims (const Onnx__ValueInfoProto * vi, gint64 * dims,
    gboolean * all_static, int *bad)
{
  const Onnx__TypeProto__Tensor *tt = value_tensor_type (vi);
  size_t k;

  *all_static = TRUE;
  if (tt == NULL || tt->shape == NULL)
    return -1;
  if (tt->shape->n_dim > YOLO_MAX_DIMS)
    return -2;
  for (k = 0; k < tt->shape->n_dim; k++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      if (d->dim_value <= 0 || d->dim_value > G_MAXINT32) {
        dims[k] = d->dim_value;
        *bad = (int) k;
        return -3;
      }
      dims[k] = d->dim_value;
    } else {
      dims[k] = -1;
      *all_static = FALSE;
    }
  }
  return (int) tt->shape->n_dim;
}

/* The declared shape as text, symbolic dimensions by name (escaped):
 * "[batch,3,height,width]"; "?" for a dimension with neither. */
static char *
declared_shape (const Onnx__ValueInfoProto * vi)
{
  const Onnx__TypeProto__Tensor *tt = value_tensor_type (vi);
  GString *s;

  if (tt == NULL || tt->shape == NULL || tt->shape->n_dim > YOLO_MAX_DIMS)
    return NULL;
  s = g_string_new ("[");
  for (size_t k = 0; k < tt->shape->n_dim; k++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
    if (k)
      g_string_append_c (s, ',');
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
      g_string_append_printf (s, "%" G_GINT64_FORMAT, (gint64) d->dim_value);
    } else if (d->value_case ==
        ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param
        && d->dim_param[0]) {
      char *e = yolo_escape_name (d->dim_param);
      g_string_append_len (s, e ? e : d->dim_param, MIN (strlen (e ? e :
                  d->dim_param), 64));
      g_free (e);
    } else {
      g_string_append_c (s, '?');
    }
  }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
load_model (Loader * L, const Onnx__ModelProto * m, GError ** error)
{
  YoloGraph *g = L->g;
  const Onnx__GraphProto *gp = m->graph;
  GHashTable *produced = NULL;
  gboolean have_opset = FALSE;
  gboolean ok = FALSE;
  char buf[128];
  size_t i, j;

  if (gp == NULL) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
        "%s: not an ONNX model: no graph", L->path);
    return FALSE;
  }
  if (gp->n_node == 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
        "%s: the model's graph has no nodes: nothing to run", L->path);
    return FALSE;
  }

  for (i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = m->opset_import[i];
    if (is_default_domain (op->domain) && op->has_version) {
      g->opset = op->version;
      have_opset = TRUE;
    }
  }
  if (!have_opset) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
        "%s: the model declares no opset version for the default ONNX "
        "domain", L->path);
    return FALSE;
  }
  if (g->opset > YOLO_ONNX_MAX_OPSET) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
        "%s: opset %" G_GINT64_FORMAT " is newer than the newest supported "
        "(%d); re-export the model with opset <= %d", L->path, g->opset,
        YOLO_ONNX_MAX_OPSET, YOLO_ONNX_MAX_OPSET);
    return FALSE;
  }
  if (g->opset < YOLO_ONNX_MIN_TESTED_OPSET)
    g_message ("%s: opset %" G_GINT64_FORMAT " is older than %d; operator "
        "semantics of the newer opsets are assumed", L->path, g->opset,
        YOLO_ONNX_MIN_TESTED_OPSET);

  g_free (g->producer_name);
  g->producer_name = g_strdup (m->producer_name ? m->producer_name : "");

  if (g->metadata == NULL)
    g->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
        g_free);
  for (i = 0; i < m->n_metadata_props; i++) {
    const Onnx__StringStringEntryProto *e = m->metadata_props[i];
    if (e->key == NULL)
      continue;
    g_hash_table_replace (g->metadata, g_strdup (e->key),
        g_strdup (e->value ? e->value : ""));
  }

  /* Initializers. */
  for (i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    if (tp->name == NULL || tp->name[0] == '\0') {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: initializer %" G_GSIZE_FORMAT " has no name", L->path, i);
      return FALSE;
    }
    if (add_tensor_proto (L, tp, tp->name, error) < 0)
      return FALSE;
  }

  /* Domains, then Constant nodes (so every constant exists before a node
   * refers to it). */
  for (i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *nname = node_name (np, (int) i, buf, sizeof buf);

    if (np->op_type == NULL || np->op_type[0] == '\0') {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: node '%s' has no operator type", L->path, nname);
      return FALSE;
    }
    if (!is_default_domain (np->domain)) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s: operator %s of domain '%s' (node '%s') is not supported; "
          "only standard ONNX operators are", L->path, np->op_type,
          np->domain, nname);
      return FALSE;
    }
    if (strcmp (np->op_type, "Constant") == 0
        && !add_constant_node (L, np, nname, error))
      return FALSE;
  }

  /* Graph inputs that are not initializers. */
  for (i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    const Onnx__TypeProto__Tensor *tt = value_tensor_type (vi);
    gint64 dims[YOLO_MAX_DIMS];
    gboolean all_static;
    YoloTensor *t;
    int idx, ndim, bad = 0;

    if (vi->name == NULL || vi->name[0] == '\0') {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: graph input %" G_GSIZE_FORMAT " has no name", L->path, i);
      return FALSE;
    }
    idx = yolo_graph_find_tensor (g, vi->name);
    if (idx >= 0 && (yolo_tensor_is_const (YOLO_T (g, idx))
            || YOLO_T (g, idx)->is_input))
      continue;
    if (tt == NULL) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s: graph input '%s' is not a tensor", L->path, vi->name);
      return FALSE;
    }
    ndim = value_dims (vi, dims, &all_static, &bad);
    if (ndim == -3) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "%s: graph input '%s' declares dimension %d as %" G_GINT64_FORMAT
          ", which is not a valid size (1 to %d; use a named dimension for a "
          "dynamic size)", L->path, vi->name, bad, dims[bad], G_MAXINT32);
      return FALSE;
    }
    if (ndim == -1) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s: graph input '%s' has no shape", L->path, vi->name);
      return FALSE;
    }
    if (ndim < 0) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s: graph input '%s' has more than %d dimensions", L->path,
          vi->name, YOLO_MAX_DIMS);
      return FALSE;
    }
    if (value_dtype (tt->has_elem_type ? tt->elem_type : 0) ==
        YOLO_DTYPE_UNDEFINED) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_UNSUPPORTED,
          "%s: graph input '%s' has data type %s, which is not supported",
          L->path, vi->name, onnx_type_name (tt->elem_type));
      return FALSE;
    }
    idx = yolo_graph_tensor (g, vi->name);
    t = YOLO_T (g, idx);
    t->dtype = value_dtype (tt->elem_type);
    t->io_dtype = t->dtype;
    t->ndim = ndim;
    memcpy (t->dims, dims, ndim * sizeof (gint64));
    t->is_input = TRUE;
    t->declared_shape = declared_shape (vi);
    g_array_append_val (g->inputs, idx);
  }

  /* Operator nodes. */
  produced = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *np = gp->node[i];
    const char *nname = node_name (np, (int) i, buf, sizeof buf);
    int ni;

    if (strcmp (np->op_type, "Constant") == 0) {
      if (np->n_output > 0)
        g_hash_table_add (produced, np->output[0]);
      continue;
    }
    for (j = 0; j < np->n_output; j++) {
      const char *o = np->output[j];
      int ti;
      if (o[0] == '\0')
        continue;
      ti = yolo_graph_find_tensor (g, o);
      if (g_hash_table_contains (produced, o) || (ti >= 0
              && (yolo_tensor_is_const (YOLO_T (g, ti))
                  || YOLO_T (g, ti)->is_input))) {
        g_set_error (error, YOLO_ENGINE_ERROR,
            YOLO_ENGINE_ERROR_INVALID_MODEL,
            "%s: tensor '%s' (output of node '%s') is defined more than once",
            L->path, o, nname);
        goto out;
      }
      g_hash_table_add (produced, (gpointer) o);
    }
    ni = yolo_graph_add_node (g, np->op_type, nname, (int) np->n_input,
        (const char *const *) np->input, (int) np->n_output,
        (const char *const *) np->output);
    if (!add_attributes (L, np, ni, nname, error))
      goto out;
  }

  /* Graph outputs. */
  if (gp->n_output == 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
        "%s: the graph has no outputs", L->path);
    goto out;
  }
  for (i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    const Onnx__TypeProto__Tensor *tt;
    gint64 dims[YOLO_MAX_DIMS];
    gboolean all_static;
    YoloTensor *t;
    int idx, ndim, bad = 0;

    if (vi->name == NULL || vi->name[0] == '\0') {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
          "%s: graph output %" G_GSIZE_FORMAT " has no name", L->path, i);
      goto out;
    }
    idx = yolo_graph_find_tensor (g, vi->name);
    if (!g_hash_table_contains (produced, vi->name) && !(idx >= 0
            && (yolo_tensor_is_const (YOLO_T (g, idx))
                || YOLO_T (g, idx)->is_input))) {
      g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_INVALID_MODEL,
          "%s: graph output '%s' is not produced by any node", L->path,
          vi->name);
      goto out;
    }
    idx = yolo_graph_tensor (g, vi->name);
    t = YOLO_T (g, idx);
    if (t->is_output)
      continue;
    t->is_output = TRUE;
    g_free (t->declared_shape);
    t->declared_shape = declared_shape (vi);
    g_array_append_val (g->outputs, idx);

    /* Declared shape, when fully known and the tensor is not a constant:
     * lets callers look at the head layout before inference. */
    tt = value_tensor_type (vi);
    if (tt && tt->has_elem_type && !t->is_input)
      t->io_dtype = value_dtype (tt->elem_type);
    ndim = value_dims (vi, dims, &all_static, &bad);
    if (tt && ndim >= 0 && all_static && !yolo_tensor_is_const (t)
        && t->ndim < 0) {
      YoloDType dt = value_dtype (tt->has_elem_type ? tt->elem_type : 0);
      t->dtype = dt != YOLO_DTYPE_UNDEFINED ? dt : YOLO_DTYPE_FLOAT;
      t->ndim = ndim;
      memcpy (t->dims, dims, ndim * sizeof (gint64));
    }
  }
  ok = TRUE;

out:
  g_hash_table_destroy (produced);
  return ok;
}

YoloGraph *
yolo_onnx_load (const char *path, GError ** error)
{
  GMappedFile *mf = NULL;
  GError *err = NULL;
  Onnx__ModelProto *m = NULL;
  YoloGraph *g = NULL;
  Loader L;
  gsize len;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO,
        "%s: model file not found", path);
    goto fail;
  }
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO,
        "%s: is a directory, not a model file", path);
    goto fail;
  }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR)) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO,
        "%s: not a regular file (a device or a pipe), not a model file", path);
    goto fail;
  }
  mf = g_mapped_file_new (path, FALSE, &err);
  if (mf == NULL) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO,
        "%s: cannot read the model: %s", path, err->message);
    g_clear_error (&err);
    goto fail;
  }
  len = g_mapped_file_get_length (mf);
  if (len == 0) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_IO,
        "%s: the model file is empty", path);
    goto fail;
  }

  m = onnx__model_proto__unpack (NULL, len,
      (const uint8_t *) g_mapped_file_get_contents (mf));
  /* the parsed message owns copies of everything: unmap right away */
  g_clear_pointer (&mf, g_mapped_file_unref);
  if (m == NULL) {
    g_set_error (error, YOLO_ENGINE_ERROR, YOLO_ENGINE_ERROR_PARSE,
        "%s: not a valid ONNX model (protobuf parse failed)", path);
    goto fail;
  }

  g = yolo_graph_new ();
  L.path = path;
  L.g = g;
  if (!load_model (&L, m, error))
    goto fail;
  yolo_graph_round_half_io (g);

  onnx__model_proto__free_unpacked (m, NULL);
  return g;

fail:
  if (error)
    yolo_error_escape (*error);
  if (m)
    onnx__model_proto__free_unpacked (m, NULL);
  if (mf)
    g_mapped_file_unref (mf);
  if (g)
    yolo_graph_free (g);
  return NULL;
}
