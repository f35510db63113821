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
}

# Valid models that must still load and run (finite output).
VALID = {
    "conv_weight_flt_max": conv_weight_flt_max,
}


def write_all(outdir, which=None):
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name, fn in list(ALL.items()) + list(VALID.items()):
        if which and name not in which:
            continue
        p = os.path.join(outdir, name + ".onnx")
        onnx.save(fn(), p)
        paths[name] = p
    return paths


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: hostile_models.py OUTDIR [NAME...]")
    for name, p in write_all(sys.argv[1], sys.argv[2:]).items():
        print(p)
