#!/usr/bin/env python3
"""Hand-crafted hostile ONNX models (issue 8), one per failure kind.

Each builder returns an onnx.ModelProto. `python3 hostile_models.py OUTDIR`
writes them all as OUTDIR/<name>.onnx (used by tests/check/yolodetect-hostile.c
and by fuzz_models.py, which also runs every one of them).

Expected outcome for all of them: the engine refuses the model with a
one-line error (exit status 1 for the CLI, an element ERROR for yolodetect),
never a crash, an abort or a multi-GB allocation.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "hostile", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, dims, dtype=F):
    return helper.make_tensor_value_info(name, dtype, dims)


def i64(name, vals):
    return numpy_helper.from_array(np.array(vals, dtype=np.int64), name)


def huge_input():
    # [1,3,2^31,2^31]: the element count overflows 32 bits many times over
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [1, 3, 2 ** 31 - 1, 2 ** 31 - 1])], [vi("y", None)])


def huge_input_product():
    # every dim valid on its own, the product does not fit in int64
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [65536, 65536, 65536, 65536, 65536])],
                 [vi("y", None)])


def zero_batch():
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [0, 3, 32, 32])], [vi("y", None)])


def negative_dim():
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [1, -1, 32, 32])], [vi("y", None)])


def resize_huge_scale():
    scales = numpy_helper.from_array(
        np.array([1, 1, 1e9, 1e9], dtype=np.float32), "scales")
    return model([helper.make_node("Resize", ["x", "", "scales"], ["y"],
                                   mode="nearest")],
                 [vi("x", [1, 3, 8, 8])], [vi("y", None)], [scales])


def constant_of_shape_huge():
    # about 250 bytes asking for 2^60 floats
    return model([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                  helper.make_node("Add", ["x", "c"], ["y"])],
                 [vi("x", [1])], [vi("y", None)],
                 [i64("s", [1 << 30, 1 << 30])])


def constant_of_shape_big():
    # [1,3,20000,20000] = 4.8 GB of float: over the 2 GiB budget
    return model([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                  helper.make_node("Add", ["x", "c"], ["y"])],
                 [vi("x", [1])], [vi("y", None)],
                 [i64("s", [1, 3, 20000, 20000])])


def constant_of_shape_many():
    # many folded constants of 1 GiB each: each fits, together they do not
    nodes, inits = [], [i64("s", [1 << 28])]
    prev = "x"
    for k in range(4):
        nodes.append(helper.make_node("ConstantOfShape", ["s"], ["c%d" % k]))
        nodes.append(helper.make_node("Add", [prev, "c%d" % k], ["a%d" % k]))
        prev = "a%d" % k
    return model(nodes, [vi("x", [1])], [vi(prev, None)], inits)


def range_huge():
    lim = numpy_helper.from_array(np.array(1e18, dtype=np.float32), "limit")
    st = numpy_helper.from_array(np.array(0, dtype=np.float32), "start")
    de = numpy_helper.from_array(np.array(1, dtype=np.float32), "delta")
    return model([helper.make_node("Range", ["start", "limit", "delta"], ["r"]),
                  helper.make_node("Add", ["x", "r"], ["y"])],
                 [vi("x", [1])], [vi("y", None)], [st, lim, de])


def reshape_overflow():
    return model([helper.make_node("Reshape", ["x", "s"], ["y"])],
                 [vi("x", [1, 4])], [vi("y", None)],
                 [i64("s", [1 << 62, 1 << 62, -1])])


def expand_huge():
    return model([helper.make_node("Expand", ["x", "s"], ["y"])],
                 [vi("x", [1, 1])], [vi("y", None)],
                 [i64("s", [1 << 40, 1 << 40])])


def gather_index_oob():
    idx = i64("idx", [0, 7])
    return model([helper.make_node("Gather", ["x", "idx"], ["y"], axis=1)],
                 [vi("x", [1, 4, 8])], [vi("y", None)], [idx])


def gather_elements_oob():
    idx = numpy_helper.from_array(
        np.array([[[0], [-9], [1], [2]]], dtype=np.int64), "idx")
    return model([helper.make_node("GatherElements", ["x", "idx"], ["y"],
                                   axis=1)],
                 [vi("x", [1, 4, 1])], [vi("y", None)], [idx])


def name_with_newline():
    return model([helper.make_node("Foo\nBar", ["x"], ["y\n\x1b[31mred"],
                                   name="node\r\nname")],
                 [vi("x", [1, 3, 8, 8])], [vi("y\n\x1b[31mred", None)])


def conv_weight_flt_max():
    # 64 -> 64 channels, 3x3 s1 pad 1: the Winograd path on a CPU. Weights
    # near FLT_MAX, input of ones: direct convolution (and onnxruntime) stays
    # finite, the F(4x4,3x3) transforms overflow to inf - inf = NaN.
    w = np.zeros((64, 64, 3, 3), dtype=np.float32)
    big = np.finfo(np.float32).max
    w[0, 0, 1, 1] = big
    w[1, 1, 0, 0] = -big
    w[2, 3, 2, 2] = big / 2
    return model([helper.make_node("Conv", ["x", "w"], ["y"],
                                   kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
                 [vi("x", [1, 64, 16, 16])], [vi("y", None)],
                 [numpy_helper.from_array(w, "w")])


def conv_stride_zero():
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    return model([helper.make_node("Conv", ["x", "w"], ["y"],
                                   kernel_shape=[3, 3], strides=[0, 0])],
                 [vi("x", [1, 3, 16, 16])], [vi("y", None)], [w])


def attr_string_control():
    # a string attribute with control bytes, quoted by the error message
    return model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2],
                                   auto_pad="BAD\n\x1b[2J")],
                 [vi("x", [1, 3, 8, 8])], [vi("y", None)])


def cycle():
    return model([helper.make_node("Relu", ["b"], ["a"]),
                  helper.make_node("Add", ["x", "a"], ["b"])],
                 [vi("x", [1, 4])], [vi("b", None)])


# ---- ConvTranspose, LayerNormalization, Where (issue 11 ops)


def _convt(attrs, c=4, m=4, k=2, hw=8, group=1):
    w = numpy_helper.from_array(
        np.ones((c, m // group, k, k), np.float32), "w")
    return model([helper.make_node("ConvTranspose", ["x", "w"], ["y"],
                                   **attrs)],
                 [vi("x", [1, c, hw, hw])], [vi("y", None)], [w])


def convtranspose_output_padding_ge_stride():
    return _convt(dict(strides=[2, 2], output_padding=[2, 0]))


def convtranspose_huge_output_shape():
    # 2^30 x 2^30 output asked for by one attribute
    return _convt(dict(strides=[2, 2], output_shape=[1 << 30, 1 << 30]))


def convtranspose_output_shape_int_overflow():
    # output_shape beyond int64 (ONNX ints are int64)
    return _convt(dict(strides=[2, 2], output_shape=[2 ** 63 - 1, -(2 ** 63)]))


def convtranspose_group_not_dividing():
    return _convt(dict(group=3), c=4, m=3, group=3)


def convtranspose_negative_pads():
    return _convt(dict(strides=[2, 2], pads=[-1, 0, 0, -(2 ** 40)]))


def convtranspose_huge_stride():
    return _convt(dict(strides=[2 ** 31, 2 ** 31]))


def convtranspose_huge_dilation():
    return _convt(dict(dilations=[2 ** 30, 2 ** 30]))


def layernorm_axis_out_of_range():
    sc = numpy_helper.from_array(np.ones((8,), np.float32), "s")
    return model([helper.make_node("LayerNormalization", ["x", "s"], ["y"],
                                   axis=7)],
                 [vi("x", [1, 4, 8])], [vi("y", None)], [sc])


def layernorm_axis_very_negative():
    sc = numpy_helper.from_array(np.ones((8,), np.float32), "s")
    return model([helper.make_node("LayerNormalization", ["x", "s"], ["y"],
                                   axis=-(2 ** 63))],
                 [vi("x", [1, 4, 8])], [vi("y", None)], [sc])


def layernorm_scale_mismatch():
    sc = numpy_helper.from_array(np.ones((5,), np.float32), "s")
    return model([helper.make_node("LayerNormalization", ["x", "s"], ["y"],
                                   axis=-1)],
                 [vi("x", [1, 4, 8])], [vi("y", None)], [sc])


def where_broadcast_mismatch():
    c = numpy_helper.from_array(np.ones((1, 3, 5), np.bool_), "c")
    return model([helper.make_node("Where", ["c", "x", "x"], ["y"])],
                 [vi("x", [1, 4, 8])], [vi("y", None)], [c])


def greater_broadcast_mismatch():
    b = numpy_helper.from_array(np.ones((7,), np.float32), "b")
    return model([helper.make_node("Greater", ["x", "b"], ["y"])],
                 [vi("x", [1, 4, 8])], [vi("y", None, TensorProto.BOOL)], [b])


# ---- fixed batch > 1 (yolo-rebatch.c) that cannot be run as batch 1


def rebatch_shape_read_elsewhere():
    # the Reshape target [4, -1] (holding the batch) also feeds an Add
    return model([helper.make_node("Reshape", ["x", "s"], ["r"]),
                  helper.make_node("Cast", ["s"], ["sf"], to=F),
                  helper.make_node("ReduceSum", ["r"], ["y0"], keepdims=0),
                  helper.make_node("Add", ["y0", "sf"], ["y"])],
                 [vi("x", [4, 3, 32, 32])], [vi("y", None)],
                 [i64("s", [4, -1])])


def rebatch_batch_not_first():
    # a Transpose moves the batch away from axis 0 before the Reshape
    return model([helper.make_node("Transpose", ["x"], ["t"],
                                   perm=[1, 0, 2, 3]),
                  helper.make_node("Reshape", ["t", "s"], ["y"])],
                 [vi("x", [4, 3, 32, 32])], [vi("y", [4, 3072])],
                 [i64("s", [4, -1])])


def rebatch_huge_batch():
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [2 ** 31 - 1, 3, 8, 8])], [vi("y", None)])


def _with_meta(m, meta):
    for k, v in meta.items():
        e = m.metadata_props.add()
        e.key = k
        e.value = v
    return m


def _head(name, c, shape, nodes, inits, transpose=False):
    """images [1,3,32,32] -> 1x1 Conv to c channels -> Reshape to shape
    (with a [0,2,1] Transpose first when transpose) as output `name`."""
    w = numpy_helper.from_array(
        np.random.RandomState(c).standard_normal((c, 3, 1, 1))
        .astype(np.float32) * 0.1, name + "_w")
    inits += [w, i64(name + "_s", shape)]
    nodes.append(helper.make_node("Conv", ["images", name + "_w"],
                                  [name + "_c"]))
    src = name + "_c"
    if transpose:
        inits.append(i64(name + "_s0", [1, c, 1024]))
        nodes += [helper.make_node("Reshape", [src, name + "_s0"],
                                   [name + "_r"]),
                  helper.make_node("Transpose", [name + "_r"], [name + "_t"],
                                   perm=[0, 2, 1])]
        src = name + "_t"
    nodes.append(helper.make_node("Reshape", [src, name + "_s"], [name]))


def task_model(meta, c0, shape0, protos=None, transpose=False):
    nodes, inits = [], []
    _head("output0", c0, shape0, nodes, inits, transpose)
    outs = [vi("output0", None)]
    if protos:
        _head("output1", protos[0], protos[1], nodes, inits)
        outs.append(vi("output1", None))
    m = model(nodes, [vi("images", [1, 3, 32, 32])], outs, inits)
    meta = dict(meta)
    meta.setdefault("names", "{0: 'person'}")
    meta.setdefault("imgsz", "[32, 32]")
    return _with_meta(m, meta)


def _pose(kpt):
    return task_model({"task": "pose", "kpt_shape": kpt}, 56, [1, 56, 1024])


def pose_kpt_huge():
    return _pose("[1000000, 3]")


def pose_kpt_zero():
    return _pose("[0, 3]")


def pose_kpt_dims7():
    return _pose("[17, 7]")


def pose_kpt_negative():
    return _pose("[-17, 3]")


def pose_kpt_text():
    return _pose("[seventeen, three]")


def pose_kpt_overflow():
    return _pose("[99999999999999999999999, 3]")


def pose_channels_mismatch():
    # kpt_shape [17, 3] needs 4 + nc + 51 rows, the output has 20
    return task_model({"task": "pose", "kpt_shape": "[17, 3]"}, 20,
                      [1, 20, 1024])


def pose_end2end_columns_mismatch():
    # end-to-end pose: [1, N, 6 + 51] expected, [1, 1024, 20] given
    return task_model({"task": "pose", "kpt_shape": "[17, 3]",
                       "end2end": "True"}, 20, [1, 1024, 20], transpose=True)


def seg_protos_too_many_masks():
    return task_model({"task": "segment"}, 4 + 1 + 32, [1, 37, 1024],
                      protos=(4100, [1, 4100, 32, 32]))


def seg_protos_too_wide():
    # prototypes [1, 1, 1, 32768]: wider than any input
    return task_model({"task": "segment"}, 4 + 1 + 1, [1, 6, 1024],
                      protos=(32, [1, 1, 1, 32768]))


def seg_protos_3d():
    return task_model({"task": "segment"}, 4 + 1 + 32, [1, 37, 1024],
                      protos=(32, [1, 32, 1024]))


def seg_coefficients_mismatch():
    # 32 coefficients per box, 64 prototypes
    return task_model({"task": "segment"}, 4 + 1 + 32, [1, 37, 1024],
                      protos=(64, [1, 64, 32, 32]))


def seg_without_protos():
    return task_model({"task": "segment"}, 4 + 1 + 32, [1, 37, 1024])


def classify_3d_output():
    return task_model({"task": "classify"}, 10, [1, 10, 1024])


def pose_kpt_control():
    # control bytes and 100 kB in the metadata, quoted by the error message
    return _pose("[17,\n3]\x1b[2J" + "9" * 100000)


def task_unknown():
    return task_model({"task": "depth\n\x1b[2J"}, 84, [1, 84, 1024])


# ---- valid task models whose outputs hold hostile values: inf, -inf, NaN,
# +-1e30 and 0 scattered over boxes, scores, keypoints, angles, mask
# coefficients and prototypes. yolodetect must run them (ELEMENT_RUN).


def _scramble(m, out, shape, seed):
    """Multiplies graph output `out` (of `shape`) by a constant of hostile
    values (as computed: the Mul sits before the output)."""
    rs = np.random.RandomState(seed)
    vals = rs.choice([1.0, 1.0, 1.0, 50.0, 1e30, -1e30, np.inf, -np.inf,
                      np.nan, 0.0], size=shape).astype(np.float32)
    g = m.graph
    for nd in g.node:
        for k, o in enumerate(nd.output):
            if o == out:
                nd.output[k] = out + "_pre"
    g.initializer.append(numpy_helper.from_array(vals, out + "_bad"))
    g.node.append(helper.make_node("Mul", [out + "_pre", out + "_bad"], [out]))
    return m


def pose_hostile_values():
    m = task_model({"task": "pose", "kpt_shape": "[17, 3]"}, 56, [1, 56, 1024])
    return _scramble(m, "output0", [1, 56, 1024], 1)


def pose_end2end_hostile_values():
    m = task_model({"task": "pose", "kpt_shape": "[17, 3]",
                    "end2end": "True"}, 57, [1, 1024, 57], transpose=True)
    return _scramble(m, "output0", [1, 1024, 57], 2)


def obb_hostile_values():
    m = task_model({"task": "obb"}, 6, [1, 6, 1024])
    return _scramble(m, "output0", [1, 6, 1024], 3)


def segment_hostile_values():
    m = task_model({"task": "segment"}, 4 + 1 + 32, [1, 37, 1024],
                   protos=(32, [1, 32, 32, 32]))
    _scramble(m, "output0", [1, 37, 1024], 4)
    return _scramble(m, "output1", [1, 32, 32, 32], 5)


def classify_hostile_values():
    m = task_model({"task": "classify"}, 10, [1, 10 * 1024])
    return _scramble(m, "output0", [1, 10 * 1024], 6)


# ---- int8 dynamic quantisation (ops/quant.c, yolo-quant-fuse.c)

U8 = TensorProto.UINT8
I8 = TensorProto.INT8


def _qconv(w_dtype=U8, wzp=None, xzp_dtype=None, mscale=None, x_float=False,
           wvals=None, m=4, c=4, k=3, attrs=None, dql_input_add=None):
    """x [1,c,8,8] -> DynamicQuantizeLinear -> ConvInteger(w [m,c,k,k]) ->
    Cast(float) -> Mul(x_scale) -> Mul(mscale): onnxruntime's
    quantize_dynamic pattern, with the parts the caller makes hostile."""
    rs = np.random.RandomState(7)
    npt = {U8: np.uint8, I8: np.int8, TensorProto.INT32: np.int32,
           F: np.float32}[w_dtype]
    w = rs.randint(0, 200, (m, c, k, k)) if wvals is None else wvals
    inits = [numpy_helper.from_array(np.asarray(w).astype(npt), "w")]
    nodes = []
    src = "x"
    if dql_input_add is not None:
        inits.append(numpy_helper.from_array(
            np.asarray(dql_input_add, np.float32), "xa"))
        nodes.append(helper.make_node("Add", ["x", "xa"], ["xx"]))
        src = "xx"
    nodes.append(helper.make_node("DynamicQuantizeLinear", [src],
                                  ["q", "qs", "qz"]))
    ins = ["x" if x_float else "q", "w", "qz"]
    if xzp_dtype is not None:
        inits.append(helper.make_tensor("xzp", xzp_dtype, [], [3]))
        ins[2] = "xzp"
    if wzp is not None:
        inits.append(wzp)
        ins.append(wzp.name)
    nodes.append(helper.make_node("ConvInteger", ins, ["acc"],
                                  **(attrs or {"pads": [1, 1, 1, 1]})))
    nodes.append(helper.make_node("Cast", ["acc"], ["accf"], to=F))
    nodes.append(helper.make_node("Mul", ["accf", "qs"], ["y0"]))
    ms = np.float32(0.01) if mscale is None else mscale
    inits.append(numpy_helper.from_array(np.asarray(ms, np.float32), "ms"))
    nodes.append(helper.make_node("Mul", ["y0", "ms"], ["y"]))
    return model(nodes, [vi("x", [1, c, 8, 8])], [vi("y", None)], inits)


def _raw_tensor(name, dtype, dims, int32_data):
    """A TensorProto with int32_data as given (no range or count check)."""
    t = onnx.TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    t.int32_data.extend(int32_data)
    return t


def int8_wzp_length_mismatch():
    # per-channel zero points: 3 values for 4 output channels
    return _qconv(wzp=numpy_helper.from_array(
        np.array([1, 2, 3], np.uint8), "wzp"))


def int8_wzp_dtype_mismatch():
    return _qconv(wzp=numpy_helper.from_array(np.array(3, np.int8), "wzp"))


def int8_wzp_2d():
    return _qconv(wzp=numpy_helper.from_array(
        np.array([[1, 2], [3, 4]], np.uint8), "wzp"))


def int8_xzp_dtype_mismatch():
    # x is uint8 (from DynamicQuantizeLinear), its zero point int8
    return _qconv(xzp_dtype=I8)


def int8_convinteger_float_x():
    return _qconv(x_float=True)


def int8_convinteger_int32_w():
    return _qconv(w_dtype=TensorProto.INT32)


def int8_convinteger_float_w():
    return _qconv(w_dtype=F)


def int8_convinteger_huge_taps():
    # 4096 channels x 3x3: 36864 taps could overflow the int32 sum
    return _qconv(c=4096, m=1, wvals=np.full((1, 4096, 3, 3), 255))


def int8_convinteger_group_mismatch():
    return _qconv(attrs={"pads": [1, 1, 1, 1], "group": 3})


def int8_convinteger_stride_huge():
    return _qconv(attrs={"strides": [2 ** 31, 1]})


def int8_wzp_out_of_range():
    # a uint8 zero point of 300 in int32_data (ONNX stores 8-bit
    # integers there; the value must be taken modulo 256 as onnxruntime
    # reads it, or refused)
    return _qconv(wzp=_raw_tensor("wzp", U8, [], [300]))


def int8_weights_out_of_range():
    # uint8 weights of 1000 and -1000 in int32_data
    t = _raw_tensor("w", U8, [4, 4, 3, 3], [1000, -1000] * 72)
    m = _qconv()
    for i, init in enumerate(m.graph.initializer):
        if init.name == "w":
            m.graph.initializer[i].CopyFrom(t)
    return m


# scale 0 / NaN / Inf / negative: the result is what onnxruntime computes
# (checked by fuzz_models.py, EITHER)
def int8_scale_zero():
    return _qconv(mscale=np.float32(0.0))


def int8_scale_nan():
    return _qconv(mscale=np.float32(np.nan))


def int8_scale_inf():
    return _qconv(mscale=np.float32(np.inf))


def int8_scale_negative():
    return _qconv(mscale=np.float32(-3.0))


def int8_scale_per_channel_mismatch():
    # 3 per-channel scales for 4 output channels in a [1,3,1,1] Mul
    return _qconv(mscale=np.array([1, 2, 3], np.float32).reshape(1, 3, 1, 1))


def int8_scale_per_column():
    # 8 scales on the last axis (W = 8), not the channels (M = 8 too): as
    # many values as a per-channel scale, broadcast another way
    return _qconv(m=8, mscale=(np.arange(8, dtype=np.float32) + 1)
                  .reshape(1, 1, 1, 8) * 0.01)


def int8_scale_per_row():
    return _qconv(m=8, mscale=(np.arange(8, dtype=np.float32) + 1)
                  .reshape(1, 1, 8, 1) * 0.01)


def int8_dql_input_inf():
    # an activation of +inf / -inf / NaN reaches DynamicQuantizeLinear
    v = np.zeros((1, 4, 8, 8), np.float32)
    v[0, 0, 0, 0] = np.inf
    v[0, 1, 2, 2] = -np.inf
    return _qconv(dql_input_add=v)


def int8_dql_input_nan():
    v = np.zeros((1, 4, 8, 8), np.float32)
    v[0, 2, 3, 3] = np.nan
    return _qconv(dql_input_add=v)


def int8_dql_input_huge():
    # max - min overflows to inf: the scale is inf
    v = np.zeros((1, 4, 8, 8), np.float32)
    v[0, 0, 0, 0] = 3e38
    v[0, 1, 0, 0] = -3e38
    return _qconv(dql_input_add=v)


# ---- float16 models (yolo-half.c, the loader)

F16 = TensorProto.FLOAT16


def _f16_conv(w_tensor):
    return model([helper.make_node("Cast", ["x"], ["xh"], to=F16),
                  helper.make_node("Conv", ["xh", "w"], ["yh"],
                                   kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                  helper.make_node("Cast", ["yh"], ["y"], to=F)],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)], [w_tensor])


def fp16_raw_data_truncated():
    t = numpy_helper.from_array(np.ones((4, 4, 3, 3), np.float16), "w")
    t.raw_data = t.raw_data[:-3]
    return _f16_conv(t)


def fp16_raw_data_odd():
    t = numpy_helper.from_array(np.ones((4, 4, 3, 3), np.float16), "w")
    t.raw_data = t.raw_data + b"\0"
    return _f16_conv(t)


def fp16_int32_data_short():
    return _f16_conv(_raw_tensor("w", F16, [4, 4, 3, 3], [15360] * 100))


def fp16_nan_big_weights():
    # valid file; weights of NaN, 65504 (the half maximum) and sums beyond
    # it (inf in a float16 tensor): computed like onnxruntime (EITHER). No
    # inf weight: inf * a padding zero is NaN in ONNX's definition, and
    # onnxruntime's own float path skips the padding (no NaN) there.
    w = np.ones((4, 4, 3, 3), np.float16)
    w[1, 1, 1, 1] = np.nan
    w[2, 2, 2, 2] = np.float16(65504)
    w[3, :, 1, 1] = np.float16(30000)
    return _f16_conv(numpy_helper.from_array(w, "w"))


# ---- static QDQ (ops/qdq.c), low-bit types, MatMulInteger, Cast (issue:
# hostile quantised and half models). x [1,4,8,8] -> QuantizeLinear ->
# DequantizeLinear with the hostile part.


def _qdq(scale, zp=None, axis=None, opset=17, **attrs):
    s = scale if isinstance(scale, onnx.TensorProto) else \
        numpy_helper.from_array(np.asarray(scale, np.float32), "s")
    inits, ins = [s], ["x", "s"]
    if zp is not None:
        inits.append(zp)
        ins.append(zp.name)
    if axis is not None:
        attrs["axis"] = axis
    return model([helper.make_node("QuantizeLinear", ins, ["q"], **attrs),
                  helper.make_node("DequantizeLinear", ["q"] + ins[1:], ["y"],
                                   **{k: v for k, v in attrs.items()
                                      if k != "output_dtype"})],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)], inits, opset)


def _zp(vals, dtype=np.uint8, name="z"):
    return numpy_helper.from_array(np.asarray(vals, dtype), name)


def _typed(name, onnx_type, dims, raw):
    """A TensorProto of a type numpy_helper cannot write (int4, float8)."""
    t = onnx.TensorProto()
    t.name = name
    t.data_type = onnx_type
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def qdq_scale_zero():
    return _qdq(0.0)


def qdq_scale_negative():
    return _qdq(-0.1)


def qdq_scale_nan():
    return _qdq(np.nan)


def qdq_scale_inf():
    return _qdq(np.inf)


def qdq_scale_subnormal():
    # x / 1e-42 saturates; 255 * 1e-42 is subnormal again
    return _qdq(1e-42)


def qdq_zp_length_mismatch():
    return _qdq([0.1] * 4, _zp([1, 2, 3]), axis=1)


def qdq_zp_shape_mismatch():
    # as many values as the scale, in another shape
    return _qdq([0.1] * 4, _zp(np.ones((2, 2))), axis=1)


def qdq_zp_int16():
    return _qdq(0.1, _zp(3, np.int16))


def qdq_zp_uint16():
    return _qdq(0.1, _zp(3, np.uint16))


def qdq_zp_int4():
    return _qdq(0.1, _typed("z", TensorProto.INT4, [], b"\x01"), opset=21)


def qdq_zp_float8():
    return _qdq(0.1, _typed("z", TensorProto.FLOAT8E4M3FN, [], b"\x01"),
                opset=21)


def qdq_zp_out_of_range():
    # a uint8 zero point of 300 / -5 in int32_data: the low byte, as
    # onnxruntime reads it (EITHER)
    return _qdq(0.1, _raw_tensor("z", U8, [], [300]))


def qdq_zp_negative_uint8():
    return _qdq(0.1, _raw_tensor("z", U8, [], [-5]))


def qdq_axis_out_of_range():
    return _qdq([0.1] * 4, _zp([1] * 4), axis=7)


def qdq_axis_negative_beyond_rank():
    return _qdq([0.1] * 4, _zp([1] * 4), axis=-9)


def qdq_axis_int64_min():
    return _qdq([0.1] * 4, _zp([1] * 4), axis=-(2 ** 63))


def qdq_scale_channels_mismatch():
    return _qdq([0.1] * 3, _zp([1] * 3), axis=1)


def qdq_scale_2d():
    return _qdq(np.full((4, 1), 0.1, np.float32), _zp(np.ones((4, 1))),
                axis=1)


def qdq_scale_empty():
    return _qdq(np.zeros((0,), np.float32), _zp(np.zeros((0,))), axis=1)


def qdq_block_size():
    return model([helper.make_node("QuantizeLinear", ["x", "s"], ["q"],
                                   block_size=2, axis=1),
                  helper.make_node("DequantizeLinear", ["q", "s"], ["y"],
                                   block_size=2, axis=1)],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)],
                 [numpy_helper.from_array(np.full((1, 2, 8, 8), 0.1,
                                                  np.float32), "s")], 21)


def qdq_output_dtype_int8():
    # no zero point: output_dtype (int8) is the type, -128..127 (uint8
    # would clip the negative half to 0)
    return _qdq(0.01, opset=21, output_dtype=I8)


def qdq_scale_runtime():
    return model([helper.make_node("ReduceMax", ["x"], ["s"], keepdims=0),
                  helper.make_node("QuantizeLinear", ["x", "s"], ["q"]),
                  helper.make_node("DequantizeLinear", ["q", "s"], ["y"])],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)])


def qdq_empty():
    # a Slice leaves [1,0] for QuantizeLinear / DequantizeLinear
    return model([helper.make_node("Slice", ["x", "st", "en", "ax"], ["xs"]),
                  helper.make_node("QuantizeLinear", ["xs", "s"], ["q"]),
                  helper.make_node("DequantizeLinear", ["q", "s"], ["y"])],
                 [vi("x", [1, 4])], [vi("y", None)],
                 [i64("st", [2]), i64("en", [2]), i64("ax", [1]),
                  numpy_helper.from_array(np.array(0.1, np.float32), "s")])


def qdq_params_differ():
    # per-axis int8 Q and DQ with other scales and zero points (no fake-
    # quantisation pair: each runs alone), zero points at -128 and 127
    f = numpy_helper.from_array
    return model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"],
                                   axis=1),
                  helper.make_node("DequantizeLinear", ["q", "s2", "z2"],
                                   ["y"], axis=1)],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)],
                 [f(np.array([0.01, 0.02, 0.03, 0.04], np.float32), "s"),
                  f(np.array([0.02, 0.01, 0.05, 1e-3], np.float32), "s2"),
                  f(np.array([0, -128, 127, 5], np.int8), "z"),
                  f(np.array([3, -100, 100, -5], np.int8), "z2")])


def quantize_alone_saturating():
    # QuantizeLinear then Cast: uint8 values saturating at 255
    return model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
                  helper.make_node("Cast", ["q"], ["y"], to=F)],
                 [vi("x", [1, 4, 8, 8])], [vi("y", None)],
                 [numpy_helper.from_array(np.array(0.003, np.float32), "s"),
                  numpy_helper.from_array(np.array(200, np.uint8), "z")])


def _dq_const(w):
    """DequantizeLinear of the constant w (scale 0.1) added to x [4]."""
    return model([helper.make_node("DequantizeLinear", ["w", "s"], ["wf"]),
                  helper.make_node("Add", ["x", "wf"], ["y"])],
                 [vi("x", [4])], [vi("y", None)],
                 [w, numpy_helper.from_array(np.array(0.1, np.float32), "s")],
                 21)


def dq_int4_weights():
    return _dq_const(_typed("w", TensorProto.INT4, [4], b"\x12\x34"))


def dq_float8_weights():
    return _dq_const(_typed("w", TensorProto.FLOAT8E4M3FN, [4],
                            b"\x12\x34\x00\x01"))


def dq_int16_weights():
    return _dq_const(numpy_helper.from_array(
        np.array([-30000, 5, 7, 30000], np.int16), "w"))


def dq_int32_extremes():
    return _dq_const(numpy_helper.from_array(
        np.array([-2 ** 31, 5, 7, 2 ** 31 - 1], np.int32), "w"))


def dq_float_x():
    return _dq_const(numpy_helper.from_array(
        np.array([1, 5, 7, 2], np.float32), "w"))


def _dql(shape, pre=(), inits=(), src="x", outs=("q", "qs", "qz")):
    return model(list(pre) + [
        helper.make_node("DynamicQuantizeLinear", [src], list(outs)),
        helper.make_node("Cast", ["q"], ["qf"], to=F),
        helper.make_node("Add", ["qf", "qf"], ["y"])],
        [vi("x", shape)], [vi("y", None)], list(inits))


def dql_empty():
    # a Slice leaves [1,0]: onnxruntime gives an empty output
    return _dql([1, 4], [helper.make_node("Slice", ["x", "st", "en", "ax"],
                                          ["xs"])],
                [i64("st", [2]), i64("en", [2]), i64("ax", [1])], "xs")


def dql_huge():
    return _dql([1, 16, 16384, 16384])


def dql_one_output():
    return _dql([1, 4, 8, 8], outs=("q",))


def dql_int_input():
    return _dql([1, 4], [helper.make_node("Cast", ["x"], ["xi"],
                                          to=TensorProto.INT32)], (), "xi")


def _mmi(K=8, N=4, a_shape=(1, 3, 8), b=None, azp=None, bzp=None):
    """x -> DynamicQuantizeLinear -> MatMulInteger(B) -> Cast -> Mul(x_scale)
    (quantize_dynamic's MatMul pattern)."""
    if b is None:
        b = numpy_helper.from_array(np.random.RandomState(1).randint(
            0, 200, (K, N)).astype(np.uint8), "b")
    inits, ins = [b], ["q", "b", "qz"]
    if azp is not None:
        inits.append(azp)
        ins[2] = azp.name
    if bzp is not None:
        inits.append(bzp)
        ins.append(bzp.name)
    return model([helper.make_node("DynamicQuantizeLinear", ["x"],
                                   ["q", "qs", "qz"]),
                  helper.make_node("MatMulInteger", ins, ["acc"]),
                  helper.make_node("Cast", ["acc"], ["accf"], to=F),
                  helper.make_node("Mul", ["accf", "qs"], ["y"])],
                 [vi("x", list(a_shape))], [vi("y", None)], inits)


def mmi_bzp_length_mismatch():
    return _mmi(bzp=_zp([1, 2, 3], name="bz"))


def mmi_bzp_2d():
    return _mmi(bzp=_zp(np.ones((2, 2)), name="bz"))


def mmi_bzp_dtype_mismatch():
    return _mmi(bzp=_zp(1, np.int8, "bz"))


def mmi_azp_per_row():
    return _mmi(azp=_zp([1, 2, 3], name="az"))


def mmi_azp_dtype_mismatch():
    return _mmi(azp=_zp(1, np.int8, "az"))


def mmi_k_mismatch():
    return _mmi(K=7)


def mmi_huge_k():
    # 40000 products of up to 255 * 255 could overflow the int32 sum
    return _mmi(K=40000, a_shape=(1, 1, 40000))


def mmi_huge_output():
    # [1,65536,1] x [1,65536]: 2^32 int32 sums asked for by 64 kB of B
    return _mmi(K=1, N=65536, a_shape=(1, 65536, 1))


def mmi_b_3d():
    return _mmi(b=numpy_helper.from_array(np.ones((1, 8, 4), np.uint8), "b"))


def mmi_b_int32():
    return _mmi(b=numpy_helper.from_array(np.ones((8, 4), np.int32), "b"))


def mmi_a_1d():
    return _mmi(a_shape=(8,))


def mmi_bzp_per_column():
    return _mmi(bzp=_zp([1, 2, 3, 4], name="bz"))


def int8_xzp_per_channel():
    m = _qconv()
    for nd in m.graph.node:
        if nd.op_type == "ConvInteger":
            nd.input[2] = "xzp4"
    m.graph.initializer.append(_zp([1, 2, 3, 4], name="xzp4"))
    return m


def _f16_add(c):
    return model([helper.make_node("Cast", ["x"], ["xh"], to=F16),
                  helper.make_node("Add", ["xh", "c"], ["yh"]),
                  helper.make_node("Cast", ["yh"], ["y"], to=F)],
                 [vi("x", [1, 4])], [vi("y", None)], [c])


def fp16_const_inf_nan():
    return _f16_add(numpy_helper.from_array(
        np.array([[np.inf, -np.inf, np.nan, 65504]], np.float16), "c"))


def fp16_const_subnormal():
    return _f16_add(numpy_helper.from_array(
        np.array([[6e-8, -6e-8, 1e-5, 0]], np.float16), "c"))


def _cast_to(to):
    return model([helper.make_node("Cast", ["x"], ["c"], to=to),
                  helper.make_node("Cast", ["c"], ["y"], to=F)],
                 [vi("x", [1, 4])], [vi("y", None)])


def cast_to_string():
    return _cast_to(TensorProto.STRING)


def cast_to_complex64():
    return _cast_to(TensorProto.COMPLEX64)


def cast_to_float8():
    return _cast_to(TensorProto.FLOAT8E4M3FN)


def cast_to_int4():
    return _cast_to(TensorProto.INT4)


def cast_to_999():
    return _cast_to(999)


def cast_to_negative():
    return _cast_to(-1)


def cast_to_bfloat16():
    # rounds to bfloat16 (8 bits of mantissa), on the device
    return _cast_to(TensorProto.BFLOAT16)


def _cast_wrap_const(to, vals):
    """Constant int64 vals cast to `to` and back to float, plus x [4]: ONNX
    discards the higher bits (300 as uint8 is 44)."""
    return model([helper.make_node("Cast", ["k"], ["c"], to=to),
                  helper.make_node("Cast", ["c"], ["cf"], to=F),
                  helper.make_node("Add", ["x", "cf"], ["y"])],
                 [vi("x", [4])], [vi("y", None)], [i64("k", vals)])


def cast_wrap_uint8_const():
    return _cast_wrap_const(U8, [300, -1, 255, 256])


def cast_wrap_int8_const():
    return _cast_wrap_const(I8, [300, -1, 128, -129])


def cast_wrap_uint32_const():
    return _cast_wrap_const(TensorProto.UINT32, [-1, 2 ** 32 + 5, 7, 0])


def _cast_wrap_run(to):
    """The same on the device: int32(x * 100) + 200 in [100, 300], cast to
    `to` and back to float."""
    return model([helper.make_node("Mul", ["x", "h"], ["xh"]),
                  helper.make_node("Cast", ["xh"], ["xi"],
                                   to=TensorProto.INT32),
                  helper.make_node("Add", ["xi", "o"], ["xo"]),
                  helper.make_node("Cast", ["xo"], ["c"], to=to),
                  helper.make_node("Cast", ["c"], ["y"], to=F)],
                 [vi("x", [1, 64])], [vi("y", None)],
                 [numpy_helper.from_array(np.array(100, np.float32), "h"),
                  numpy_helper.from_array(np.array(200, np.int32), "o")])


def cast_wrap_uint8_run():
    return _cast_wrap_run(U8)


def cast_wrap_int8_run():
    return _cast_wrap_run(I8)


def input_uint16():
    return model([helper.make_node("Cast", ["x"], ["y"], to=F)],
                 [vi("x", [1, 4], TensorProto.UINT16)], [vi("y", None)])


def input_bfloat16():
    return model([helper.make_node("Cast", ["x"], ["y"], to=F)],
                 [vi("x", [1, 4], TensorProto.BFLOAT16)], [vi("y", None)])


# ---- graphs: duplicate names, huge initializers, batch -1


def duplicate_output_names():
    # two nodes write the same tensor
    return model([helper.make_node("Relu", ["x"], ["y"]),
                  helper.make_node("Sigmoid", ["x"], ["y"])],
                 [vi("x", [1, 4])], [vi("y", None)])


def duplicate_graph_outputs():
    # the graph lists one output twice
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [1, 4])], [vi("y", None), vi("y", None)])


def output_is_input():
    # an output named like the graph input, no node writes it
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [1, 4])], [vi("x", None)])


def initializer_shadows_input_node():
    # a node writes a tensor an initializer already defines
    c = numpy_helper.from_array(np.ones((1, 4), np.float32), "y")
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [1, 4])], [vi("y", None)], [c])


def huge_initializer_no_data():
    # dims ask for 2^40 floats, the data is 16 bytes
    t = onnx.TensorProto()
    t.name = "c"
    t.data_type = F
    t.dims.extend([1 << 20, 1 << 20])
    t.raw_data = b"\0" * 16
    return model([helper.make_node("Add", ["x", "c"], ["y"])],
                 [vi("x", [1])], [vi("y", None)], [t])


def huge_initializer_external():
    # external data on a path that escapes the model's directory
    t = onnx.TensorProto()
    t.name = "c"
    t.data_type = F
    t.dims.extend([1 << 14, 1 << 14])
    t.data_location = onnx.TensorProto.EXTERNAL
    for k, v in (("location", "../../../../../../dev/zero"),
                 ("length", str(4 << 28))):
        e = t.external_data.add()
        e.key = k
        e.value = v
    return model([helper.make_node("Add", ["x", "c"], ["y"])],
                 [vi("x", [1])], [vi("y", None)], [t])


def batch_minus_one():
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", [-1, 3, 32, 32])], [vi("y", None)])


def batch_symbolic_no_size():
    # a symbolic batch (dynamic=True) on a graph that is not a detector
    return model([helper.make_node("Relu", ["x"], ["y"])],
                 [vi("x", ["batch", 3, 32, 32])], [vi("y", None)])


def batch_huge_conv():
    w = numpy_helper.from_array(np.ones((4, 3, 3, 3), np.float32), "w")
    return model([helper.make_node("Conv", ["x", "w"], ["y"],
                                   kernel_shape=[3, 3])],
                 [vi("x", [1 << 20, 3, 64, 64])], [vi("y", None)], [w])


# ---- nms=True look-alikes (yolo-nms-tail.c): the NMS tail of the zoo's
# yolo11n-nms.onnx alone, fed by x [1,84,64], with one change that keeps
# it a valid graph computing something else than the tail the engine
# replaces. The engine must refuse it or compute what onnxruntime does.


def _nms_tail(mutate):
    data = os.environ.get("YOLO_TEST_DATA", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
        "shared"))
    path = os.path.join(data, "models", "zoo", "yolo11n-nms.onnx")
    if not os.path.exists(path):
        return None
    m = onnx.load(path)
    g = m.graph
    start = [k for k, nd in enumerate(g.node) if nd.op_type == "Transpose"
             and list(helper.get_attribute_value(nd.attribute[0]))
             == [0, 2, 1]][-1]
    pre = g.node[start].input[0]
    live, tail = {pre}, []
    for nd in g.node[start:]:
        if nd.op_type != "Constant" and any(i in live for i in nd.input):
            tail.append(nd)
            live.update(nd.output)
    used = {i for nd in tail for i in nd.input}
    consts = [nd for nd in g.node
              if nd.op_type == "Constant" and nd.output[0] in used]
    inits = [i for i in g.initializer if i.name in used]
    inits.append(numpy_helper.from_array(np.array([1.0], np.float32), "one"))
    byname = {nd.name: nd for nd in tail}
    mutate(byname, inits)
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "one"], [pre], name="feed")]
        + consts + tail, "nms-tail", [vi("x", [1, 84, 64])],
        list(g.output), inits)
    out = helper.make_model(graph, opset_imports=list(m.opset_import))
    out.ir_version = m.ir_version
    return out


def nms_lookalike_columns_swapped():
    # the output rows are score, x1, y1, x2, y2, class
    def mut(nd, inits):
        c = nd["/Concat_3"]
        a = list(c.input)
        c.input[0], c.input[1] = a[1], a[0]
    return _nms_tail(mut)


def nms_lookalike_scores_skip_class0():
    # the scores are rows 5.. (class 0 left out, the class ids shifted)
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array([5], np.int64), "five"))
        nd["/Slice_1"].input[1] = "five"
    return _nms_tail(mut)


def nms_lookalike_scores_end_short():
    # the best class of classes 0..49 only
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array([54], np.int64), "e54"))
        nd["/Slice_1"].input[2] = "e54"
    return _nms_tail(mut)


def nms_lookalike_argmax_last():
    # ties go to the last class
    def mut(nd, inits):
        nd["/ArgMax"].attribute.append(
            helper.make_attribute("select_last_index", 1))
    return _nms_tail(mut)


def nms_lookalike_kept_class_column():
    # the kept rows are picked by the NMS output's class column, not its
    # box index column
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array([1], np.int64), "c1"))
        inits.append(numpy_helper.from_array(np.array([2], np.int64), "c2"))
        s = nd["/Slice_5"]
        s.input[1] = "c1"
        s.input[2] = "c2"
    return _nms_tail(mut)


def nms_lookalike_iou_nan():
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array([np.nan], np.float32),
                                             "iou_nan"))
        nd["/NonMaxSuppression"].input[3] = "iou_nan"
    return _nms_tail(mut)


def nms_lookalike_conf_nan():
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array(np.nan, np.float32),
                                             "conf_nan"))
        nd["/Greater"].input[1] = "conf_nan"
    return _nms_tail(mut)


def nms_lookalike_box_scale_zero():
    def mut(nd, inits):
        inits.append(numpy_helper.from_array(np.array(0.0, np.float32),
                                             "s0"))
        nd["/Div"].input[1] = "s0"
    return _nms_tail(mut)


ALL = {
    "huge_input": huge_input,
    "huge_input_product": huge_input_product,
    "zero_batch": zero_batch,
    "negative_dim": negative_dim,
    "resize_huge_scale": resize_huge_scale,
    "constant_of_shape_huge": constant_of_shape_huge,
    "constant_of_shape_big": constant_of_shape_big,
    "constant_of_shape_many": constant_of_shape_many,
    "range_huge": range_huge,
    "reshape_overflow": reshape_overflow,
    "expand_huge": expand_huge,
    "gather_index_oob": gather_index_oob,
    "gather_elements_oob": gather_elements_oob,
    "name_with_newline": name_with_newline,
    "conv_stride_zero": conv_stride_zero,
    "cycle": cycle,
    "attr_string_control": attr_string_control,
    "convtranspose_output_padding_ge_stride":
        convtranspose_output_padding_ge_stride,
    "convtranspose_huge_output_shape": convtranspose_huge_output_shape,
    "convtranspose_output_shape_int_overflow":
        convtranspose_output_shape_int_overflow,
    "convtranspose_group_not_dividing": convtranspose_group_not_dividing,
    "convtranspose_negative_pads": convtranspose_negative_pads,
    "convtranspose_huge_stride": convtranspose_huge_stride,
    "convtranspose_huge_dilation": convtranspose_huge_dilation,
    "layernorm_axis_out_of_range": layernorm_axis_out_of_range,
    "layernorm_axis_very_negative": layernorm_axis_very_negative,
    "layernorm_scale_mismatch": layernorm_scale_mismatch,
    "where_broadcast_mismatch": where_broadcast_mismatch,
    "greater_broadcast_mismatch": greater_broadcast_mismatch,
    "rebatch_shape_read_elsewhere": rebatch_shape_read_elsewhere,
    "rebatch_batch_not_first": rebatch_batch_not_first,
    "rebatch_huge_batch": rebatch_huge_batch,
    "int8_wzp_length_mismatch": int8_wzp_length_mismatch,
    "int8_wzp_dtype_mismatch": int8_wzp_dtype_mismatch,
    "int8_wzp_2d": int8_wzp_2d,
    "int8_xzp_dtype_mismatch": int8_xzp_dtype_mismatch,
    "int8_convinteger_float_x": int8_convinteger_float_x,
    "int8_convinteger_int32_w": int8_convinteger_int32_w,
    "int8_convinteger_float_w": int8_convinteger_float_w,
    "int8_convinteger_huge_taps": int8_convinteger_huge_taps,
    "int8_convinteger_group_mismatch": int8_convinteger_group_mismatch,
    "int8_convinteger_stride_huge": int8_convinteger_stride_huge,
    "int8_scale_per_channel_mismatch": int8_scale_per_channel_mismatch,
    "fp16_raw_data_truncated": fp16_raw_data_truncated,
    "fp16_raw_data_odd": fp16_raw_data_odd,
    "fp16_int32_data_short": fp16_int32_data_short,
    "qdq_zp_length_mismatch": qdq_zp_length_mismatch,
    "qdq_zp_shape_mismatch": qdq_zp_shape_mismatch,
    "qdq_zp_int16": qdq_zp_int16,
    "qdq_zp_uint16": qdq_zp_uint16,
    "qdq_zp_float8": qdq_zp_float8,
    "qdq_axis_out_of_range": qdq_axis_out_of_range,
    "qdq_axis_negative_beyond_rank": qdq_axis_negative_beyond_rank,
    "qdq_axis_int64_min": qdq_axis_int64_min,
    "qdq_scale_channels_mismatch": qdq_scale_channels_mismatch,
    "qdq_scale_2d": qdq_scale_2d,
    "qdq_scale_empty": qdq_scale_empty,
    "dq_float_x": dq_float_x,
    "dql_huge": dql_huge,
    "dql_int_input": dql_int_input,
    "mmi_bzp_length_mismatch": mmi_bzp_length_mismatch,
    "mmi_bzp_2d": mmi_bzp_2d,
    "mmi_bzp_dtype_mismatch": mmi_bzp_dtype_mismatch,
    "mmi_azp_per_row": mmi_azp_per_row,
    "mmi_azp_dtype_mismatch": mmi_azp_dtype_mismatch,
    "mmi_k_mismatch": mmi_k_mismatch,
    "mmi_huge_output": mmi_huge_output,
    "mmi_b_int32": mmi_b_int32,
    "int8_xzp_per_channel": int8_xzp_per_channel,
    "cast_to_complex64": cast_to_complex64,
    "cast_to_float8": cast_to_float8,
    "cast_to_int4": cast_to_int4,
    "cast_to_999": cast_to_999,
    "cast_to_negative": cast_to_negative,
    "input_bfloat16": input_bfloat16,
    "duplicate_output_names": duplicate_output_names,
    "initializer_shadows_input_node": initializer_shadows_input_node,
    "huge_initializer_no_data": huge_initializer_no_data,
    "huge_initializer_external": huge_initializer_external,
    "batch_minus_one": batch_minus_one,
    "batch_huge_conv": batch_huge_conv,
}

# Valid (or borderline) graphs with hostile values: the engine either
# refuses them with a one-line error or computes what onnxruntime computes
# (fuzz_models.py compares the output, NaN where onnxruntime has NaN).
EITHER = {
    "int8_wzp_out_of_range": int8_wzp_out_of_range,
    "int8_weights_out_of_range": int8_weights_out_of_range,
    "int8_scale_zero": int8_scale_zero,
    "int8_scale_nan": int8_scale_nan,
    "int8_scale_inf": int8_scale_inf,
    "int8_scale_negative": int8_scale_negative,
    "int8_scale_per_column": int8_scale_per_column,
    "int8_scale_per_row": int8_scale_per_row,
    "int8_dql_input_inf": int8_dql_input_inf,
    "int8_dql_input_nan": int8_dql_input_nan,
    "int8_dql_input_huge": int8_dql_input_huge,
    "fp16_nan_big_weights": fp16_nan_big_weights,
    "qdq_scale_zero": qdq_scale_zero,
    "qdq_scale_negative": qdq_scale_negative,
    "qdq_scale_nan": qdq_scale_nan,
    "qdq_scale_inf": qdq_scale_inf,
    "qdq_scale_subnormal": qdq_scale_subnormal,
    "qdq_zp_int4": qdq_zp_int4,
    "qdq_zp_out_of_range": qdq_zp_out_of_range,
    "qdq_zp_negative_uint8": qdq_zp_negative_uint8,
    "qdq_block_size": qdq_block_size,
    "qdq_output_dtype_int8": qdq_output_dtype_int8,
    "qdq_scale_runtime": qdq_scale_runtime,
    "qdq_empty": qdq_empty,
    "qdq_params_differ": qdq_params_differ,
    "quantize_alone_saturating": quantize_alone_saturating,
    "dq_int4_weights": dq_int4_weights,
    "dq_float8_weights": dq_float8_weights,
    "dq_int16_weights": dq_int16_weights,
    "dq_int32_extremes": dq_int32_extremes,
    "dql_empty": dql_empty,
    "dql_one_output": dql_one_output,
    "mmi_huge_k": mmi_huge_k,
    "mmi_b_3d": mmi_b_3d,
    "mmi_a_1d": mmi_a_1d,
    "mmi_bzp_per_column": mmi_bzp_per_column,
    "fp16_const_inf_nan": fp16_const_inf_nan,
    "fp16_const_subnormal": fp16_const_subnormal,
    "cast_to_string": cast_to_string,
    "cast_to_bfloat16": cast_to_bfloat16,
    "cast_wrap_uint8_const": cast_wrap_uint8_const,
    "cast_wrap_int8_const": cast_wrap_int8_const,
    "cast_wrap_uint32_const": cast_wrap_uint32_const,
    "cast_wrap_uint8_run": cast_wrap_uint8_run,
    "cast_wrap_int8_run": cast_wrap_int8_run,
    "input_uint16": input_uint16,
    "duplicate_graph_outputs": duplicate_graph_outputs,
    "output_is_input": output_is_input,
    "nms_lookalike_columns_swapped": nms_lookalike_columns_swapped,
    "nms_lookalike_scores_skip_class0": nms_lookalike_scores_skip_class0,
    "nms_lookalike_kept_class_column": nms_lookalike_kept_class_column,
    "nms_lookalike_scores_end_short": nms_lookalike_scores_end_short,
    "nms_lookalike_argmax_last": nms_lookalike_argmax_last,
    "nms_lookalike_iou_nan": nms_lookalike_iou_nan,
    "nms_lookalike_conf_nan": nms_lookalike_conf_nan,
    "nms_lookalike_box_scale_zero": nms_lookalike_box_scale_zero,
    "batch_symbolic_no_size": batch_symbolic_no_size,
}

# Valid graphs the engine loads and runs, with task metadata or head
# shapes that yolodetect must refuse (tests/check/yolodetect-hostile.c).
ELEMENT = {
    "pose_kpt_huge": pose_kpt_huge,
    "pose_kpt_zero": pose_kpt_zero,
    "pose_kpt_dims7": pose_kpt_dims7,
    "pose_kpt_negative": pose_kpt_negative,
    "pose_kpt_text": pose_kpt_text,
    "pose_kpt_overflow": pose_kpt_overflow,
    "pose_kpt_control": pose_kpt_control,
    "pose_channels_mismatch": pose_channels_mismatch,
    "pose_end2end_columns_mismatch": pose_end2end_columns_mismatch,
    "seg_protos_too_many_masks": seg_protos_too_many_masks,
    "seg_protos_too_wide": seg_protos_too_wide,
    "seg_protos_3d": seg_protos_3d,
    "seg_coefficients_mismatch": seg_coefficients_mismatch,
    "seg_without_protos": seg_without_protos,
    "classify_3d_output": classify_3d_output,
    "task_unknown": task_unknown,
}

# Valid task models with inf / NaN / huge outputs: yolodetect (and
# yolooverlay, yolojson after it) run them without an error.
ELEMENT_RUN = {
    "pose_hostile_values": pose_hostile_values,
    "pose_end2end_hostile_values": pose_end2end_hostile_values,
    "obb_hostile_values": obb_hostile_values,
    "segment_hostile_values": segment_hostile_values,
    "classify_hostile_values": classify_hostile_values,
}

# Valid models that must still load and run (finite output).
VALID = {
    "conv_weight_flt_max": conv_weight_flt_max,
}


def write_all(outdir, which=None):
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name, fn in (list(ALL.items()) + list(ELEMENT.items())
                     + list(ELEMENT_RUN.items()) + list(VALID.items())
                     + list(EITHER.items())):
        if which and name not in which:
            continue
        p = os.path.join(outdir, name + ".onnx")
        m = fn()
        if m is None:  # needs the test data (YOLO_TEST_DATA)
            continue
        onnx.save(m, p)
        paths[name] = p
    return paths


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: hostile_models.py OUTDIR [NAME...]")
    for name, p in write_all(sys.argv[1], sys.argv[2:]).items():
        print(p)
