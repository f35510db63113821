#!/usr/bin/env python3
"""Structured fuzzer for the engine's model loader, shape inference, constant
folding and (for small graphs) execution: mutates real models and small
synthetic graphs with the onnx package and runs `yolo-engine info` and
`yolo-engine run` on each.

A case passes when the command exits 0 or 1 within the timeout with no
sanitizer report (AddressSanitizer, LeakSanitizer, UBSan) on stderr and, on
exit 1, a one-line error message. Anything else (a signal, another exit
status, a hang, a sanitizer report) is a failure: the model is kept under
WORKDIR/failures/ with the command's output for reproduction.

Also runs every hand-written case of hostile_models.py (refused with exit 1;
the VALID and ELEMENT ones must run and give finite output).

  fuzz_models.py --engine build-asan/plugin/engine/yolo-engine \
      --cases 300 --seed 1 [--models DIR] [--workdir DIR] [--timeout 60] \
      [--jobs 2]

--jobs N runs N engine processes at a time (the cases are generated in
order by the one seeded generator, so the same seed gives the same cases
and the same checks whatever N; only the order of the output lines
differs).

Mutations: input/initializer dims (0, negative, huge, 2^31), dtypes,
initializer data sizes, attributes out of range (kernel 0, stride 0, negative
pads, group not dividing channels, dilations 0, axis out of range), cycles,
dangling inputs, duplicate names, impossible Reshape/Concat/Slice/TopK/
Resize/Gather/Expand/Tile/Pad parameters, opset 1 and 99, truncated files;
ConvTranspose (output_padding, output_shape, group, pads), LayerNormalization
axis/epsilon/Scale shapes, Where and comparison broadcasting, Sin/Cos/Erf/Gelu
on inf/NaN, and hostile Ultralytics metadata (task, kpt_shape, end2end,
names, imgsz, stride, args); the int8 dynamic-quantisation pattern with
hostile zero points, weight dtypes, scales and activations (syn_qconv).
Real models (yolov8n-320, yolox-nano-416) only go through `info` (no OpenCL);
synthetic graphs are small and also `run` (about one case in four).
"""
import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:  # meson: exit status 77 = skipped
    print("SKIP: %s (scripts/install-deps.sh installs onnx and numpy)" % e)
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hostile_models  # noqa: E402

F = TensorProto.FLOAT
I64 = TensorProto.INT64

HOSTILE_INTS = [0, -1, -2, 1, 2, 3, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 1,
                2 ** 40, 2 ** 62, -(2 ** 62), 2 ** 63 - 1, -(2 ** 63)]
HOSTILE_FLOATS = [0.0, -1.0, 1e-9, 0.5, 2.0, 1e9, 3.4e38, -3.4e38,
                  float("inf"), float("nan")]
ALL_DTYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 99]
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
               "UndefinedBehaviorSanitizer", "ERROR: Sanitizer")


def hostile_int(rng):
    if rng.random() < 0.6:
        return rng.choice(HOSTILE_INTS)
    return rng.randint(-10, 100)


# --------------------------------------------------------------------------
# synthetic graphs: one op with hostile parameters


def vi(name, dims, dtype=F):
    return helper.make_tensor_value_info(name, dtype, dims)


def i64(name, vals):
    return numpy_helper.from_array(np.array(vals, dtype=np.int64), name)


def f32(name, vals):
    return numpy_helper.from_array(np.array(vals, dtype=np.float32), name)


def small_dims(rng, rank=None):
    rank = rank if rank is not None else rng.randint(1, 4)
    dims = [rng.randint(1, 6) for _ in range(rank)]
    # a leading dim > 1 is a fixed batch, refused before anything else
    # (yolo-rebatch.c) unless the graph is an image model: mostly 1
    if rank > 1 and rng.random() < 0.9:
        dims[0] = 1
    return dims


def mk(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "fuzz", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def maybe(rng, good, bad):
    """The good value most of the time, a hostile one otherwise."""
    return bad() if rng.random() < 0.5 else good


def syn_conv(rng):
    c = rng.choice([1, 2, 3, 4, 8])
    g = maybe(rng, 1, lambda: rng.choice([0, -1, 2, 3, 5, c, 2 ** 31]))
    m = rng.choice([1, 2, 4, 8])
    k = maybe(rng, 3, lambda: hostile_int(rng))
    kk = k if 0 < k < 8 else 3
    cg = max(c // g, 1) if isinstance(g, int) and g > 0 else c
    w = np.random.RandomState(rng.randint(0, 1 << 30)).randn(
        m, cg, kk, kk).astype(np.float32)
    attrs = {}
    if rng.random() < 0.7:
        attrs["kernel_shape"] = [k, maybe(rng, k, lambda: hostile_int(rng))]
    if rng.random() < 0.5:
        attrs["strides"] = [maybe(rng, 1, lambda: hostile_int(rng)) for _ in range(2)]
    if rng.random() < 0.5:
        attrs["pads"] = [maybe(rng, 1, lambda: hostile_int(rng)) for _ in range(4)]
    if rng.random() < 0.4:
        attrs["dilations"] = [maybe(rng, 1, lambda: hostile_int(rng)) for _ in range(2)]
    if rng.random() < 0.6:
        attrs["group"] = g
    if rng.random() < 0.2:
        attrs["auto_pad"] = rng.choice(["SAME_UPPER", "VALID", "BOGUS"])
    op = "Conv" if rng.random() < 0.85 else "ConvTranspose"
    ins = ["x", "w"]
    inits = [numpy_helper.from_array(w, "w")]
    if rng.random() < 0.4:
        ins.append("b")
        inits.append(f32("b", [0.5] * maybe(rng, m, lambda: rng.choice([0, 1, m + 1]))))
    h = maybe(rng, 8, lambda: rng.choice([1, 2, 3]))
    return mk([helper.make_node(op, ins, ["y"], **attrs)],
              [vi("x", [1, c, h, h])], [vi("y", None)], inits)


def syn_pool(rng):
    op = rng.choice(["MaxPool", "AveragePool", "GlobalAveragePool"])
    attrs = {}
    if op != "GlobalAveragePool":
        attrs["kernel_shape"] = [maybe(rng, 2, lambda: hostile_int(rng)) for _ in range(2)]
        if rng.random() < 0.5:
            attrs["strides"] = [maybe(rng, 2, lambda: hostile_int(rng)) for _ in range(2)]
        if rng.random() < 0.5:
            attrs["pads"] = [maybe(rng, 0, lambda: hostile_int(rng)) for _ in range(4)]
        if rng.random() < 0.3:
            attrs["ceil_mode"] = hostile_int(rng)
    return mk([helper.make_node(op, ["x"], ["y"], **attrs)],
              [vi("x", [1, 2, 8, 8])], [vi("y", None)])


def syn_reshape(rng):
    dims = small_dims(rng)
    shape = [maybe(rng, -1, lambda: hostile_int(rng)) for _ in range(rng.randint(0, 5))]
    attrs = {"allowzero": 1} if rng.random() < 0.2 else {}
    return mk([helper.make_node("Reshape", ["x", "s"], ["y"], **attrs)],
              [vi("x", dims)], [vi("y", None)], [i64("s", shape)])


def syn_concat(rng):
    a, b = small_dims(rng, 3), small_dims(rng, rng.choice([3, 3, 2]))
    axis = maybe(rng, 1, lambda: hostile_int(rng))
    return mk([helper.make_node("Concat", ["a", "b"], ["y"], axis=axis)],
              [vi("a", a), vi("b", b)], [vi("y", None)])


def syn_slice(rng):
    dims = small_dims(rng, 3)
    n = rng.randint(0, 4)
    starts = [hostile_int(rng) for _ in range(n)]
    ends = [hostile_int(rng) for _ in range(maybe(rng, n, lambda: rng.randint(0, 4)))]
    axes = [maybe(rng, i, lambda: hostile_int(rng)) for i in range(n)]
    steps = [maybe(rng, 1, lambda: hostile_int(rng)) for _ in range(n)]
    return mk([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
              [vi("x", dims)], [vi("y", None)],
              [i64("st", starts), i64("en", ends), i64("ax", axes),
               i64("sp", steps)])


def syn_topk(rng):
    dims = small_dims(rng, 2)
    k = maybe(rng, 2, lambda: hostile_int(rng))
    axis = maybe(rng, -1, lambda: hostile_int(rng))
    return mk([helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis)],
              [vi("x", dims)], [vi("v", None), vi("i", None, I64)],
              [i64("k", [k])])


def syn_resize(rng):
    mode = rng.choice(["nearest", "linear", "cubic", "bogus"])
    if rng.random() < 0.5:
        scales = [maybe(rng, 1.0, lambda: rng.choice(HOSTILE_FLOATS)) for _ in range(rng.choice([4, 4, 3, 0]))]
        ins, inits = ["x", "", "sc"], [f32("sc", scales)]
    else:
        sizes = [maybe(rng, 4, lambda: hostile_int(rng)) for _ in range(rng.choice([4, 4, 2]))]
        ins, inits = ["x", "", "", "sz"], [i64("sz", sizes)]
    op = "Resize"
    if rng.random() < 0.15:
        op, ins = "Upsample", ["x", "sc"]
        inits = [f32("sc", [1, 1] + [rng.choice(HOSTILE_FLOATS)] * 2)]
    return mk([helper.make_node(op, ins, ["y"], mode=mode)],
              [vi("x", [1, 2, 4, 4])], [vi("y", None)], inits,
              opset=9 if op == "Upsample" else 17)


def syn_gather(rng):
    dims = small_dims(rng, 3)
    op = rng.choice(["Gather", "GatherElements"])
    axis = maybe(rng, 1, lambda: hostile_int(rng))
    if op == "Gather":
        idx = [maybe(rng, 0, lambda: hostile_int(rng)) for _ in range(rng.randint(1, 3))]
        idx_t = i64("i", idx)
    else:
        idx_t = numpy_helper.from_array(np.array(
            [maybe(rng, 0, lambda: hostile_int(rng)) for _ in range(int(np.prod(dims)))],
            dtype=np.int64).reshape(dims), "i")
    return mk([helper.make_node(op, ["x", "i"], ["y"], axis=axis)],
              [vi("x", dims)], [vi("y", None)], [idx_t])


def syn_expand_tile(rng):
    op = rng.choice(["Expand", "Tile", "Pad", "ConstantOfShape", "Range"])
    dims = small_dims(rng, 2)
    if op == "Expand":
        return mk([helper.make_node(op, ["x", "s"], ["y"])], [vi("x", dims)],
                  [vi("y", None)],
                  [i64("s", [hostile_int(rng) for _ in range(rng.randint(0, 4))])])
    if op == "Tile":
        return mk([helper.make_node(op, ["x", "r"], ["y"])], [vi("x", dims)],
                  [vi("y", None)],
                  [i64("r", [hostile_int(rng) for _ in range(maybe(rng, 2, lambda: rng.randint(0, 4)))])])
    if op == "Pad":
        return mk([helper.make_node(op, ["x", "p"], ["y"],
                                    mode=rng.choice(["constant", "reflect", "edge", "x"]))],
                  [vi("x", dims)], [vi("y", None)],
                  [i64("p", [hostile_int(rng) for _ in range(maybe(rng, 4, lambda: rng.randint(0, 6)))])])
    if op == "ConstantOfShape":
        return mk([helper.make_node(op, ["s"], ["c"]),
                   helper.make_node("Add", ["x", "c"], ["y"])],
                  [vi("x", [1])], [vi("y", None)],
                  [i64("s", [hostile_int(rng) for _ in range(rng.randint(0, 4))])])
    vals = [rng.choice(HOSTILE_FLOATS + [0, 1, 10]) for _ in range(3)]
    dt = rng.choice([np.float32, np.int64])
    inits = [numpy_helper.from_array(np.array(v if dt == np.float32 else
                                              (int(v) if np.isfinite(v) and abs(v) < 9e18 else 7),
                                              dtype=dt), n)
             for v, n in zip(vals, ["a", "b", "c"])]
    return mk([helper.make_node("Range", ["a", "b", "c"], ["r"]),
               helper.make_node("Add", ["x", "r"], ["y"])],
              [vi("x", [1], F if dt == np.float32 else I64)], [vi("y", None)], inits)


def syn_misc(rng):
    op = rng.choice(["Transpose", "Softmax", "Split", "Squeeze", "Unsqueeze",
                     "Flatten", "ReduceMean", "MatMul", "Gemm", "Sigmoid"])
    dims = small_dims(rng, 3)
    attrs, ins, inits, outs = {}, ["x"], [], ["y"]
    if op == "Transpose":
        attrs["perm"] = [maybe(rng, i, lambda: hostile_int(rng)) for i in (2, 1, 0)]
    elif op in ("Softmax", "Flatten"):
        attrs["axis"] = hostile_int(rng)
    elif op == "Split":
        attrs["axis"] = maybe(rng, 0, lambda: hostile_int(rng))
        ins.append("s")
        inits.append(i64("s", [hostile_int(rng) for _ in range(2)]))
        outs = ["y", "y2"]
    elif op in ("Squeeze", "Unsqueeze"):
        ins.append("a")
        inits.append(i64("a", [hostile_int(rng) for _ in range(rng.randint(0, 3))]))
    elif op == "ReduceMean":
        attrs["axes"] = [hostile_int(rng) for _ in range(rng.randint(0, 3))]
        return mk([helper.make_node(op, ins, outs, **attrs)], [vi("x", dims)],
                  [vi("y", None)], inits, opset=13)
    elif op in ("MatMul", "Gemm"):
        ins.append("w")
        inits.append(numpy_helper.from_array(
            np.ones(small_dims(rng, rng.choice([1, 2, 3])), np.float32), "w"))
        if op == "Gemm":
            attrs["transB"] = rng.choice([0, 1, 7])
            dims = dims[:2]
    return mk([helper.make_node(op, ins, outs, **attrs)], [vi("x", dims)],
              [vi(o, None) for o in outs], inits)


def syn_convtranspose(rng):
    """ConvTranspose with hostile strides, dilations, pads, output_padding,
    output_shape, group and auto_pad."""
    c = rng.choice([1, 2, 4, 6])
    g = maybe(rng, 1, lambda: rng.choice([0, -1, 2, 3, 4, c, 2 ** 31]))
    mg = rng.choice([1, 2, 3])
    k = maybe(rng, rng.choice([1, 2, 3, 4]), lambda: hostile_int(rng))
    kk = k if 0 < k < 8 else 2
    w = np.random.RandomState(rng.randint(0, 1 << 30)).randn(
        maybe(rng, c, lambda: rng.choice([1, c + 1])), mg, kk, kk).astype(
        np.float32)
    attrs = {}
    s = maybe(rng, 2, lambda: hostile_int(rng))
    if rng.random() < 0.8:
        attrs["strides"] = [s, maybe(rng, s, lambda: hostile_int(rng))]
    if rng.random() < 0.5:
        attrs["output_padding"] = [maybe(rng, 1, lambda: hostile_int(rng))
                                   for _ in range(rng.choice([2, 2, 1, 3]))]
    if rng.random() < 0.4:
        attrs["output_shape"] = [maybe(rng, 16, lambda: hostile_int(rng))
                                 for _ in range(rng.choice([2, 2, 4, 1]))]
    if rng.random() < 0.5:
        attrs["pads"] = [maybe(rng, 0, lambda: hostile_int(rng))
                         for _ in range(rng.choice([4, 4, 2]))]
    if rng.random() < 0.3:
        attrs["dilations"] = [maybe(rng, 1, lambda: hostile_int(rng))
                              for _ in range(2)]
    if rng.random() < 0.5:
        attrs["group"] = g
    if rng.random() < 0.3:
        attrs["auto_pad"] = rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID",
                                        "NOTSET", "BOGUS"])
    if rng.random() < 0.3:
        attrs["kernel_shape"] = [k, maybe(rng, k, lambda: hostile_int(rng))]
    ins = ["x", "w"]
    inits = [numpy_helper.from_array(w, "w")]
    if rng.random() < 0.4:
        ins.append("b")
        gm = g if isinstance(g, int) and 0 < g < 64 else 1
        inits.append(f32("b", [0.5] * maybe(rng, mg * gm,
                                            lambda: rng.choice([0, 1, 99]))))
    h = maybe(rng, 8, lambda: rng.choice([1, 2, 3]))
    return mk([helper.make_node("ConvTranspose", ins, ["y"], **attrs)],
              [vi("x", [1, c, h, h])], [vi("y", None)], inits)


def syn_layernorm(rng):
    dims = small_dims(rng, rng.choice([2, 3, 4]))
    axis = maybe(rng, -1, lambda: hostile_int(rng))
    a = axis if -len(dims) <= axis < len(dims) else -1
    nd = dims[a:] if a < 0 else dims[a:]
    sdims = maybe(rng, nd, lambda: small_dims(rng))
    attrs = {"axis": axis}
    if rng.random() < 0.5:
        attrs["epsilon"] = rng.choice(HOSTILE_FLOATS)
    ins = ["x", "s"]
    inits = [numpy_helper.from_array(np.ones(sdims, np.float32), "s")]
    if rng.random() < 0.5:
        ins.append("b")
        inits.append(numpy_helper.from_array(
            np.zeros(maybe(rng, nd, lambda: small_dims(rng)), np.float32), "b"))
    return mk([helper.make_node("LayerNormalization", ins, ["y"], **attrs)],
              [vi("x", dims)], [vi("y", None)], inits)


def syn_where_compare(rng):
    """Where and comparisons with broadcasting shapes that may not fit."""
    rank = rng.choice([1, 2, 3, 4])
    a = small_dims(rng, rank)
    b = [maybe(rng, d, lambda: rng.choice([1, 2, 7, 0])) for d in a]
    b = b[rng.randint(0, len(b)):] if rng.random() < 0.3 else b
    op = rng.choice(["Greater", "Less", "Equal", "GreaterOrEqual",
                     "LessOrEqual"])
    vals = np.random.RandomState(rng.randint(0, 1 << 30)).choice(
        [0.0, 1.0, -1.0, np.inf, -np.inf, np.nan], size=b).astype(np.float32)
    c = [maybe(rng, d, lambda: rng.choice([1, 3, 0])) for d in a]
    nodes = [helper.make_node(op, ["x", "b"], ["m"]),
             helper.make_node("Where", ["m", "x", "z"], ["y"])]
    inits = [numpy_helper.from_array(vals, "b"),
             numpy_helper.from_array(np.full(c, 2.0, np.float32), "z")]
    return mk(nodes, [vi("x", a)], [vi("y", None)], inits)


def syn_unary_new(rng):
    """Sin, Cos, Erf, Gelu (opset 20) on inputs that include inf / NaN."""
    op = rng.choice(["Sin", "Cos", "Erf", "Gelu"])
    dims = small_dims(rng)
    attrs = {}
    opset = 20 if op == "Gelu" else 17
    if op == "Gelu" and rng.random() < 0.5:
        attrs["approximate"] = rng.choice(["none", "tanh", "bogus\n"])
    vals = np.random.RandomState(rng.randint(0, 1 << 30)).choice(
        [0.0, 1e30, -1e30, np.inf, -np.inf, np.nan, 3.0], size=dims).astype(
        np.float32)
    return mk([helper.make_node("Add", ["x", "c"], ["t"]),
               helper.make_node(op, ["t"], ["y"], **attrs)],
              [vi("x", dims)], [vi("y", None)],
              [numpy_helper.from_array(vals, "c")], opset=opset)


def syn_qconv(rng):
    """onnxruntime's dynamic int8 pattern (DynamicQuantizeLinear ->
    ConvInteger -> Cast -> Mul -> Mul) with hostile zero points (dtype,
    length, values beyond 8 bits), weight dtypes, scales (0, NaN, inf,
    negative, wrong length), attributes and inf/NaN activations."""
    U8, I8 = TensorProto.UINT8, TensorProto.INT8
    c = rng.choice([1, 2, 3, 4, 8])
    m = rng.choice([1, 2, 4, 6])
    k = maybe(rng, rng.choice([1, 3]), lambda: rng.choice([0, 2, 5, 9]))
    wdt = maybe(rng, U8, lambda: rng.choice([I8, TensorProto.INT32, F]))
    kw = {}
    if rng.random() < 0.5:
        n = maybe(rng, rng.choice([1, m]), lambda: rng.choice([0, 2, 3, 7]))
        vals = [maybe(rng, rng.randint(0, 255),
                      lambda: rng.choice([-1, 256, 300, 2 ** 31 - 1]))
                for _ in range(n)]
        t = onnx.TensorProto()
        t.name = "wzp"
        t.data_type = maybe(rng, wdt, lambda: rng.choice([U8, I8, F]))
        if n != 1 or rng.random() < 0.5:
            t.dims.extend([n])
        if t.data_type == F:
            t.float_data.extend(float(v) for v in vals)
        else:
            t.int32_data.extend(vals)
        kw["wzp"] = t
    if rng.random() < 0.2:
        kw["xzp_dtype"] = rng.choice([I8, TensorProto.INT32])
    if rng.random() < 0.5:
        kw["mscale"] = maybe(
            rng, np.float32(rng.choice(HOSTILE_FLOATS)),
            lambda: np.full(rng.choice([[m], [1, m, 1, 1], [3], [1, 3, 1, 1]]),
                            rng.choice(HOSTILE_FLOATS), np.float32))
    if rng.random() < 0.3:
        v = np.zeros((1, c, 8, 8), np.float32)
        v.reshape(-1)[rng.randrange(v.size)] = rng.choice(
            [np.inf, -np.inf, np.nan, 3e38, -3e38])
        kw["dql_input_add"] = v
    attrs = {"pads": [k // 2] * 4}
    if rng.random() < 0.4:
        attrs["strides"] = [maybe(rng, 1, lambda: hostile_int(rng))
                            for _ in range(2)]
    if rng.random() < 0.3:
        attrs["group"] = maybe(rng, 1, lambda: hostile_int(rng))
    if rng.random() < 0.3:
        attrs["dilations"] = [maybe(rng, 1, lambda: hostile_int(rng))
                              for _ in range(2)]
    if rng.random() < 0.2:
        attrs["pads"] = [hostile_int(rng) for _ in range(4)]
    wv = np.random.RandomState(rng.randint(0, 1 << 30)).randint(
        0, 255, (m, c, max(k, 1), max(k, 1)))
    return hostile_models._qconv(w_dtype=wdt, m=m, c=c, k=max(k, 1),
                                 attrs=attrs, wvals=wv, **kw)


SYNTHETIC = [syn_conv, syn_pool, syn_reshape, syn_concat, syn_slice, syn_topk,
             syn_resize, syn_gather, syn_expand_tile, syn_misc,
             syn_convtranspose, syn_layernorm, syn_where_compare,
             syn_unary_new, syn_qconv]


# --------------------------------------------------------------------------
# generic mutations (real and synthetic models)


def set_dims(vi_proto, dims):
    shp = vi_proto.type.tensor_type.shape
    del shp.dim[:]
    for d in dims:
        dd = shp.dim.add()
        if d is None:
            dd.dim_param = "dyn"
        else:
            dd.dim_value = d


def mut_input_dims(m, rng):
    inp = [i for i in m.graph.input
           if i.name not in {t.name for t in m.graph.initializer}]
    if not inp:
        return "noop"
    v = rng.choice(inp)
    dims = [d.dim_value for d in v.type.tensor_type.shape.dim]
    if not dims or rng.random() < 0.2:
        dims = [rng.choice([0, 1, 3, None]) for _ in range(rng.randint(0, 9))]
    else:
        k = rng.randrange(len(dims))
        dims[k] = rng.choice(HOSTILE_INTS + [None])
    set_dims(v, dims)
    return "input_dims"


def mut_input_dtype(m, rng):
    if not m.graph.input:
        return "noop"
    rng.choice(m.graph.input).type.tensor_type.elem_type = rng.choice(ALL_DTYPES)
    return "input_dtype"


def pick_init(m, rng):
    if not m.graph.initializer:
        return None
    return rng.choice(m.graph.initializer)


def mut_init_dims(m, rng):
    t = pick_init(m, rng)
    if t is None:
        return "noop"
    if t.dims and rng.random() < 0.7:
        t.dims[rng.randrange(len(t.dims))] = rng.choice(HOSTILE_INTS)
    else:
        del t.dims[:]
        t.dims.extend([rng.choice(HOSTILE_INTS) for _ in range(rng.randint(0, 10))])
    return "init_dims"


def mut_init_dtype(m, rng):
    t = pick_init(m, rng)
    if t is None:
        return "noop"
    t.data_type = rng.choice(ALL_DTYPES)
    return "init_dtype"


def mut_init_data(m, rng):
    t = pick_init(m, rng)
    if t is None:
        return "noop"
    if t.raw_data:
        n = len(t.raw_data)
        t.raw_data = t.raw_data[:rng.randint(0, max(n - 1, 0))] if rng.random() < 0.7 \
            else t.raw_data + b"\0" * rng.randint(1, 9)
    elif rng.random() < 0.5:
        t.raw_data = b"\x7f\x7f\xff\xff" * rng.randint(0, 5)
    else:
        t.float_data.extend([3.4e38] * rng.randint(1, 3))
    if rng.random() < 0.2:
        t.data_location = 1
    return "init_data"


HOSTILE_META = {
    "task": ["pose", "segment", "obb", "classify", "detect", "", "depth",
             "pose\n\x1b[2J", "x" * 100000],
    "kpt_shape": ["[17, 3]", "[1000000, 3]", "[0, 3]", "[17, 7]", "[-1, 3]",
                  "[a, b]", "[17, 3]\n", "[" * 100000, ""],
    "end2end": ["True", "False", "true", "yes", "\x00", ""],
    "names": ["{0: 'a', 99999999999: 'b'}", "{0: 'a\n\x1b'}", "[" * 50000,
              "{" + ", ".join("%d: 'c%d'" % (i, i) for i in range(5000)) + "}",
              "{0: '\\x'}", "['a', 'b'", "{-1: 'a'}", "\xff\xfe"],
    "imgsz": ["[640, 640]", "[0, 0]", "[-1, 99999999999999]", "[a]", "[" * 1000],
    "stride": ["32", "-1", "0", "99999999999999999999", "nan"],
    "args": ["{'nms': True, 'batch': 99999999999}", "{", "{'nms': 'x'}"],
}


def mut_metadata(m, rng):
    """Ultralytics metadata set to hostile values (info prints it)."""
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(sorted(HOSTILE_META))
        val = rng.choice(HOSTILE_META[key])
        for p in list(m.metadata_props):
            if p.key == key:
                m.metadata_props.remove(p)
        e = m.metadata_props.add()
        e.key = key
        e.value = val
    return "metadata"


def mutate(m, rng):
    """One random mutation; a mutation the protobuf refuses counts as none."""
    fn = rng.choice(MUTATIONS)
    try:
        return fn(m, rng)
    except (ValueError, TypeError, IndexError, OverflowError):
        return "noop"


def pick_node(m, rng, ops=None):
    nodes = [n for n in m.graph.node if ops is None or n.op_type in ops]
    return rng.choice(nodes) if nodes else None


def mut_attr(m, rng):
    n = pick_node(m, rng)
    if n is None:
        return "noop"
    names = ["kernel_shape", "strides", "pads", "dilations", "group", "axis",
             "perm", "mode", "ceil_mode", "axes", "keepdims", "alpha"]
    if n.attribute and rng.random() < 0.7:
        a = rng.choice(n.attribute)
    else:
        a = n.attribute.add()
        a.name = rng.choice(names)
        a.type = rng.choice([1, 2, 3, 6, 7])
    if a.type == onnx.AttributeProto.INTS or a.ints:
        vals = list(a.ints) or [1, 1]
        vals[rng.randrange(len(vals))] = rng.choice(HOSTILE_INTS)
        if rng.random() < 0.2:
            vals = vals[:rng.randint(0, len(vals))] + [rng.choice(HOSTILE_INTS)] * rng.randint(0, 70)
        del a.ints[:]
        a.ints.extend(vals)
    elif a.type == onnx.AttributeProto.INT:
        a.i = rng.choice(HOSTILE_INTS)
    elif a.type == onnx.AttributeProto.FLOAT:
        a.f = rng.choice(HOSTILE_FLOATS)
    elif a.type == onnx.AttributeProto.STRING:
        a.s = rng.choice([b"", b"bogus", b"\n\x1b", b"nearest"])
    else:
        a.type = rng.choice([0, 5, 8, 13])
    return "attr"


def mut_cycle(m, rng):
    if len(m.graph.node) < 2:
        n = m.graph.node[0]
        if n.input and n.output:
            n.input[0] = n.output[0]
        return "cycle"
    i = rng.randrange(len(m.graph.node) - 1)
    j = rng.randrange(i + 1, len(m.graph.node))
    a, b = m.graph.node[i], m.graph.node[j]
    if a.input and b.output:
        a.input[rng.randrange(len(a.input))] = b.output[0]
    return "cycle"


def mut_dangling(m, rng):
    n = pick_node(m, rng)
    if n is None or not n.input:
        return "noop"
    n.input[rng.randrange(len(n.input))] = rng.choice(["nowhere", "", "x\n"])
    return "dangling"


def mut_remove_node(m, rng):
    if len(m.graph.node) < 1:
        return "noop"
    del m.graph.node[rng.randrange(len(m.graph.node))]
    return "remove_node"


def mut_duplicate(m, rng):
    n = pick_node(m, rng)
    if n is None:
        return "noop"
    r = rng.random()
    if r < 0.4 and len(m.graph.node) > 1:
        other = pick_node(m, rng)
        if other.output and n.output:
            n.output[0] = other.output[0]
    elif r < 0.7 and m.graph.initializer and n.output:
        n.output[0] = m.graph.initializer[0].name
    elif m.graph.input and n.output:
        n.output[0] = m.graph.input[0].name
    return "duplicate"


def mut_opset(m, rng):
    del m.opset_import[:]
    if rng.random() < 0.9:
        m.opset_import.extend([helper.make_opsetid("", rng.choice([1, 6, 99, -1, 2 ** 40]))])
    return "opset"


def mut_names(m, rng):
    n = pick_node(m, rng)
    if n is None:
        return "noop"
    evil = rng.choice(["a\nb", "\x1b[31m", "\\x", "\xff", "", "t" * 5000])
    if rng.random() < 0.5:
        n.name = evil
    else:
        n.op_type = rng.choice([evil, "Conv", "Loop", "If", "Foo"])
    return "names"


def mut_params(m, rng):
    """Impossible shape parameters for Reshape/Concat/Slice/Resize/...:
    rewrite a small int64 initializer feeding one of them."""
    small = [t for t in m.graph.initializer
             if t.data_type == I64 and len(t.dims) <= 1
             and (not t.dims or t.dims[0] <= 8)]
    if not small:
        return mut_attr(m, rng)
    t = rng.choice(small)
    arr = numpy_helper.to_array(t).copy().reshape(-1)
    if arr.size == 0 or rng.random() < 0.2:
        arr = np.array([hostile_int(rng) for _ in range(rng.randint(0, 6))],
                       dtype=np.int64)
    else:
        arr[rng.randrange(arr.size)] = hostile_int(rng)
    t.CopyFrom(numpy_helper.from_array(arr.astype(np.int64), t.name))
    return "params"


def mut_float_params(m, rng):
    small = [t for t in m.graph.initializer
             if t.data_type == F and len(t.dims) <= 1
             and (not t.dims or t.dims[0] <= 8)]
    if not small:
        return mut_init_data(m, rng)
    t = rng.choice(small)
    arr = numpy_helper.to_array(t).copy().reshape(-1)
    if arr.size:
        arr[rng.randrange(arr.size)] = rng.choice(HOSTILE_FLOATS)
    t.CopyFrom(numpy_helper.from_array(arr.astype(np.float32), t.name))
    return "float_params"


MUTATIONS = [mut_input_dims, mut_input_dtype, mut_init_dims, mut_init_dtype,
             mut_init_data, mut_attr, mut_attr, mut_cycle, mut_dangling,
             mut_remove_node, mut_duplicate, mut_opset, mut_names, mut_params,
             mut_params, mut_float_params, mut_metadata, mut_metadata]


# --------------------------------------------------------------------------
# running


CACHE_ENV = {}


def san_env(leaks_full_stack):
    env = dict(os.environ)
    env.update(CACHE_ENV)
    # distinct exit statuses: a sanitizer report is never mistaken for the
    # engine's own exit 1
    env["ASAN_OPTIONS"] = ("detect_leaks=1:exitcode=86:abort_on_error=0"
                           + (":fast_unwind_on_malloc=0" if leaks_full_stack else ""))
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1:exitcode=87"
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "lsan.supp")
    # print_suppressions=0: the suppressed system-library leaks (PoCL,
    # rusticl) are not listed after the engine's one-line error
    env["LSAN_OPTIONS"] = ("suppressions=" + os.path.abspath(supp)
                           + ":print_suppressions=0")
    env["G_DEBUG"] = ""
    return env


def run_cmd(cmd, timeout, env):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout, env=env)
        return p.returncode, p.stdout.decode("utf-8", "replace"), \
            p.stderr.decode("utf-8", "replace"), time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = (e.stderr or b"").decode("utf-8", "replace")
        return "timeout", "", out, time.time() - t0


def lsan_tool_failure(stderr):
    """True when the only sanitizer output is LeakSanitizer's tracer failing
    (`Tracer caught signal` / `LeakSanitizer has encountered a fatal
    error`), not a report of a leak or an error in the program."""
    return ("LeakSanitizer has encountered a fatal error" in stderr
            and "ERROR: " not in stderr and "runtime error:" not in stderr)


def classify(rc, stderr):
    """'ok0', 'ok1' or a failure reason."""
    if rc == "timeout":
        return "hang"
    if any(mk in stderr for mk in SAN_MARKERS):
        return "sanitizer"
    if rc == 0:
        return "ok0"
    if rc == 1:
        errs = [l for l in stderr.splitlines() if l.startswith("yolo-engine: ")]
        if not errs:
            return "no-error-message"
        return "ok1"
    if rc < 0:
        return "signal %d" % -rc
    return "exit %d" % rc


def input_numel(m):
    inits = {t.name for t in m.graph.initializer}
    for i in m.graph.input:
        if i.name in inits:
            continue
        n = 1
        for d in i.type.tensor_type.shape.dim:
            if d.dim_param:
                continue  # a symbolic dimension runs as 1
            if d.dim_value <= 0 or d.dim_value > 1 << 20:
                return 16
            n *= d.dim_value
        return min(n, 1 << 22)
    return 16


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = args.workdir
        self.fail_dir = os.path.join(self.work, "failures")
        os.makedirs(self.fail_dir, exist_ok=True)
        self.counts = {}
        self.no_leak_check = 0  # runs checked without LeakSanitizer
        self.failures = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=max(1, args.jobs))
        self.pending = []
        self.real = []
        for name in args.real_models:
            p = os.path.join(args.models, name)
            if os.path.exists(p):
                self.real.append((name, onnx.load(p)))
            else:
                print("note: %s not found, skipped" % p)

    def record(self, key, outcome):
        with self.lock:
            d = self.counts.setdefault(key, {})
            d[outcome] = d.get(outcome, 0) + 1

    def fail(self, entry):
        with self.lock:
            self.failures.append(entry)

    def io_paths(self, slot):
        """The input and output files of one check (one per case, so that
        --jobs checks never share them)."""
        return (os.path.join(self.work, "in-%s.f32" % slot),
                os.path.join(self.work, "out-%s.f32" % slot))

    def submit(self, fn, *args):
        """Runs fn(*args) on the pool, keeping at most 2 x --jobs checks
        queued (the models wait on disk, not in memory)."""
        while len(self.pending) >= 2 * max(1, self.args.jobs):
            self.pending.pop(0).result()
        fut = self.pool.submit(fn, *args)
        self.pending.append(fut)
        return fut

    def drain(self):
        while self.pending:
            self.pending.pop(0).result()

    def check(self, case, label, path, do_run, raw=None, slot=None):
        """Runs `info` (and `run` when do_run) on path; the input and
        output files are io_paths(slot) (default: the case number)."""
        env = san_env(do_run)
        results = []
        cmds = [[self.args.engine, "info", path]]
        if do_run:
            inp, outp = self.io_paths(case if slot is None else slot)
            n = input_numel(raw) if raw is not None else 16
            np.random.RandomState(abs(case)).uniform(-1, 1, n).astype(
                np.float32).tofile(inp)
            cmds.append([self.args.engine, "run", path, "--input", inp,
                         "--output", outp])
        for cmd in cmds:
            rc, out, err, dt = run_cmd(cmd, self.args.timeout, env)
            outcome = classify(rc, err)
            tries = 1
            while outcome == "sanitizer" and lsan_tool_failure(err) and tries < 3:
                # LeakSanitizer's own tracer crashed while stopping the
                # threads (CI, at load; never reproduced here in hundreds of
                # runs): the tool failed, it reported nothing about us. Run
                # again, after a pause.
                print("note: case %d %s %s: LeakSanitizer's tracer failed, "
                      "run again" % (case, label, cmd[1]), flush=True)
                time.sleep(1.0)
                rc, out, err, dt = run_cmd(cmd, self.args.timeout, env)
                outcome = classify(rc, err)
                tries += 1
            if outcome == "sanitizer" and lsan_tool_failure(err):
                # three tracer failures in a row: check everything but leaks
                # (AddressSanitizer and UBSan stay on; a leak in this one case
                # goes unseen, the run says so)
                print("note: case %d %s %s: LeakSanitizer's tracer failed 3 "
                      "times, checked without leak detection"
                      % (case, label, cmd[1]), flush=True)
                env2 = dict(env)
                env2["ASAN_OPTIONS"] = env["ASAN_OPTIONS"].replace(
                    "detect_leaks=1", "detect_leaks=0")
                rc, out, err, dt = run_cmd(cmd, self.args.timeout, env2)
                outcome = classify(rc, err)
                self.no_leak_check += 1
            self.record(label + ":" + cmd[1], outcome)
            results.append((cmd, rc, outcome, err, dt))
            if not outcome.startswith("ok"):
                keep = os.path.join(self.fail_dir, "case%05d-%s.onnx" % (case, label))
                shutil.copy(path, keep)
                with open(keep + ".txt", "w") as f:
                    f.write("command: %s\nexit: %s\noutcome: %s\n--- stderr\n%s"
                            % (" ".join(cmd), rc, outcome, err[-20000:]))
                self.fail((case, label, outcome, keep))
                print("FAIL case %d %s %s: %s (%s)" % (case, label, cmd[1],
                                                      outcome, keep), flush=True)
        return results

    def check_case(self, case, label, path, do_run, raw=None):
        """check(), then the case's files removed (a failing model is
        kept under failures/)."""
        try:
            return self.check(case, label, path, do_run, raw)
        finally:
            for f in (path,) + self.io_paths(case):
                if os.path.exists(f):
                    os.unlink(f)

    def one(self, case):
        """Generates case number `case` (on this thread: the generator's
        draws stay in order) and queues its check."""
        rng = self.rng
        path = os.path.join(self.work, "case%05d.onnx" % case)
        r = rng.random()
        do_run = False
        if r < 0.06:
            # raw byte damage of a small synthetic model
            try:
                m = rng.choice(SYNTHETIC)(rng)
            except (ValueError, TypeError, OverflowError):
                m = syn_misc(rng)
            data = bytearray(m.SerializeToString())
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
            if rng.random() < 0.5:
                data = data[:rng.randint(0, len(data))]
            with open(path, "wb") as f:
                f.write(bytes(data))
            self.submit(self.check_case, case, "bytes", path,
                        rng.random() < 0.3)
            return
        if r < 0.35 and self.real:
            name, base = rng.choice(self.real)
            m = onnx.ModelProto()
            m.CopyFrom(base)
            labels = [mutate(m, rng)
                      for _ in range(rng.choice([1, 1, 1, 2, 3]))]
            label = "real-" + "+".join(sorted(set(labels)))
        else:
            gen = rng.choice(SYNTHETIC)
            try:
                m = gen(rng)
            except (ValueError, TypeError, OverflowError):
                m = syn_misc(rng)
            labels = [gen.__name__]
            if rng.random() < 0.4:
                labels.append(mutate(m, rng))
            label = "+".join(labels)
            do_run = rng.random() < self.args.run_fraction
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        self.submit(self.check_case, case, label, path, do_run, m)

    def hostile(self):
        hdir = os.path.join(self.work, "hostile")
        paths = hostile_models.write_all(hdir)
        futures = []
        # every model's commands first (--jobs at a time), then the
        # verdicts in name order
        for name, p in sorted(paths.items()):
            m = onnx.load(p, load_external_data=False)
            for f in self.io_paths("h-" + name):
                if os.path.exists(f):  # (a --workdir used before)
                    os.unlink(f)
            futures.append(self.submit(self.check, -1, "hostile-" + name, p,
                                       True, m, "h-" + name))
        for (name, p), fut in zip(sorted(paths.items()), futures):
            # ELEMENT: valid graphs, refused by yolodetect's task heads
            valid = name in hostile_models.VALID or \
                name in hostile_models.ELEMENT or \
                name in hostile_models.ELEMENT_RUN
            either = name in hostile_models.EITHER
            res = fut.result()
            inp, outp = self.io_paths("h-" + name)
            if either:
                self.check_either(name, p, res, inp, outp)
                continue
            for cmd, rc, outcome, err, dt in res:
                want = 0 if valid else 1
                if outcome.startswith("ok") and rc != want:
                    msg = "exit %s, expected %d" % (rc, want)
                    self.fail((-1, name, msg, p))
                    print("FAIL hostile %s %s: %s" % (name, cmd[1], msg))
                # the whole of stderr is the one-line error (a raw newline
                # or control byte from a name would break it)
                if rc == 1 and not valid and (
                        len(err.strip().splitlines()) != 1
                        or any(ord(c) < 0x20 for c in err.strip())):
                    self.fail((-1, name, "multi-line error", p))
                    print("FAIL hostile %s: error is not one line: %r" % (name, err))
            if name in hostile_models.VALID and os.path.exists(outp):
                out = np.fromfile(outp, np.float32)
                if not np.all(np.isfinite(out)):
                    self.fail((-1, name, "non-finite output", p))
                    print("FAIL hostile %s: %d non-finite outputs"
                          % (name, int((~np.isfinite(out)).sum())))

    def check_either(self, name, path, res, inp, outp):
        """EITHER: refused with a one-line error, or run with the output
        onnxruntime computes for the same input (NaN where it has NaN)."""
        for cmd, rc, outcome, err, dt in res:
            if rc == 1 and (len(err.strip().splitlines()) != 1
                            or any(ord(c) < 0x20 for c in err.strip())):
                self.fail((-1, name, "multi-line error", path))
                print("FAIL hostile %s: error is not one line: %r"
                      % (name, err))
        last = res[-1]
        if last[0][1] != "run" or last[1] != 0:
            print("hostile %s: refused: %s" % (name, last[3].strip()[:200]))
            return
        try:
            import onnxruntime as ort
            # no graph optimisation: float16 tensors stay float16 (the
            # optimiser computes Cast -> Conv -> Cast in float32)
            so = ort.SessionOptions()
            so.graph_optimization_level = \
                ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(path, so,
                                        providers=["CPUExecutionProvider"])
            node = sess.get_inputs()[0]
            n = input_numel(onnx.load(path, load_external_data=False))
            x = np.fromfile(inp, np.float32)[:n]
            shape = [d if isinstance(d, int) and d > 0 else 1
                     for d in node.shape]
            want = sess.run(None, {node.name: x.reshape(shape)})[0]
        except Exception as e:  # onnxruntime refuses it: no reference
            print("hostile %s: ran; onnxruntime has no result (%s)"
                  % (name, str(e).splitlines()[0][:120]))
            return
        got = np.fromfile(outp, np.float32)
        want = want.astype(np.float32).reshape(-1)
        # float16: onnxruntime drops a Cast(float16) pair that the engine
        # rounds, so values that cancel differ by the half rounding of
        # their largest terms (2^-11 relative)
        rtol = 4e-3 if name.startswith("fp16") else 1e-4
        big = max(1.0, float(np.max(
            np.abs(np.where(np.isfinite(want), want, 0)), initial=0)))
        atol = (2e-3 if name.startswith("fp16") else 1e-5) * big
        ok = got.size == want.size and np.allclose(
            got, want, rtol=rtol, atol=atol, equal_nan=True)
        if not ok:
            bad = int((~np.isclose(got, want, rtol=rtol, atol=atol,
                                   equal_nan=True)).sum()) \
                if got.size == want.size else -1
            self.fail((-1, name, "differs from onnxruntime", path))
            print("FAIL hostile %s: ran but differs from onnxruntime "
                  "(%d of %d values; got %s want %s)"
                  % (name, bad, want.size, got[:6], want[:6]))
        else:
            print("hostile %s: ran, equal to onnxruntime" % name)

    def warm_up(self):
        """Builds the OpenCL program once (slow under ASan), so that the
        program binary cache serves every timed run."""
        p = os.path.join(self.work, "warm.onnx")
        onnx.save(hostile_models.model(
            [helper.make_node("Relu", ["x"], ["y"])],
            [hostile_models.vi("x", [1, 4])], [hostile_models.vi("y", None)]), p)
        inp = os.path.join(self.work, "in.f32")
        np.zeros(4, np.float32).tofile(inp)
        rc, out, err, dt = run_cmd(
            [self.args.engine, "run", p, "--input", inp, "--output",
             os.path.join(self.work, "out.f32")], 1200, san_env(True))
        outcome = classify(rc, err)
        print("warm-up run: %s in %.0f s" % (outcome, dt), flush=True)
        if outcome != "ok0":
            self.fail((-1, "warm-up", outcome, p))
            print(err[-5000:])

    def main(self):
        t0 = time.time()
        self.warm_up()
        if not self.args.no_hostile:
            self.hostile()
        for case in range(self.args.cases):
            self.one(case)
            if self.args.verbose and case % 50 == 49:
                print("%d cases, %.0f s" % (case + 1, time.time() - t0), flush=True)
        self.drain()
        self.pool.shutdown()
        total = sum(sum(d.values()) for d in self.counts.values())
        summary = {}
        for d in self.counts.values():
            for k, v in d.items():
                summary[k] = summary.get(k, 0) + v
        print("fuzz: seed %d, %d cases, %d engine runs in %.0f s (%d jobs): "
              "%s; %d failures"
              % (self.args.seed, self.args.cases, total, time.time() - t0,
                 max(1, self.args.jobs),
                 json.dumps(summary, sort_keys=True), len(self.failures)))
        if self.no_leak_check:
            print("fuzz: %d runs checked without leak detection (LeakSanitizer's "
                  "tracer failed 3 times)" % self.no_leak_check)
        if self.args.verbose:
            for k in sorted(self.counts):
                print("  %-40s %s" % (k, json.dumps(self.counts[k], sort_keys=True)))
        return 1 if self.failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--engine", default=os.environ.get("YOLO_ENGINE"),
                    help="yolo-engine binary (default $YOLO_ENGINE)")
    ap.add_argument("--models", default=os.path.join(
        os.environ.get("YOLO_TEST_DATA", "../shared"), "models"))
    ap.add_argument("--real-models", nargs="*",
                    default=["yolov8n-320.onnx", "yolox-nano-416.onnx"])
    ap.add_argument("--cases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("-j", "--jobs", type=int, default=1,
                    help="engine processes at a time (same cases and checks "
                    "for any number)")
    ap.add_argument("--run-fraction", type=float, default=0.25,
                    help="share of synthetic cases also run (OpenCL)")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--no-hostile", action="store_true")
    ap.add_argument("--xdg-cache-home", default=None,
                    help="XDG_CACHE_HOME for the engine: reuse another "
                    "build's program binary cache (.ci/run passes the plain "
                    "build's, so the ASan build need not compile the kernels)")
    ap.add_argument("--pocl-cache-dir", default=None,
                    help="POCL_CACHE_DIR for the engine")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not args.engine:
        ap.error("no --engine and no $YOLO_ENGINE")
    if args.xdg_cache_home:
        CACHE_ENV["XDG_CACHE_HOME"] = os.path.abspath(args.xdg_cache_home)
    if args.pocl_cache_dir:
        CACHE_ENV["POCL_CACHE_DIR"] = os.path.abspath(args.pocl_cache_dir)
    tmp = None
    if args.workdir is None:
        tmp = args.workdir = tempfile.mkdtemp(prefix="yolo-fuzz-")
    os.makedirs(args.workdir, exist_ok=True)
    ret = Fuzzer(args).main()
    if tmp and ret == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    elif ret:
        print("failing models kept in %s" % os.path.join(args.workdir, "failures"))
    return ret


if __name__ == "__main__":
    sys.exit(main())
