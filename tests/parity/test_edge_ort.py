#!/usr/bin/env python3
"""Edge inputs against onnxruntime, bit for bit, through `$YOLO_ENGINE run`:
DynamicQuantizeLinear on NaN / inf / all-equal tensors (its three outputs,
and DynamicQuantizeLinear -> ConvInteger -> Cast in the float emulation and
with --int8-compute=integer), a float16 graph input that is also a graph
output (the float16 rounding of what was fed), and run-time Casts between
integer types and from floats out of range (NaN, inf, beyond int32).

usage: test_edge_ort.py [--device SPEC] [--engine PATH]

Where ONNX leaves a result undefined (float -> int out of range, NaN in
DynamicQuantizeLinear's min/max), the reference is onnxruntime's x86-64 CPU
result. Known difference left out: int64 / uint64 values outside int32's
range (the device holds integers as int32). Exit status: 0 pass, 1
mismatch, 77 no device.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_cli  # noqa: E402

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper
import onnxruntime as ort

NAN, INF = float('nan'), float('inf')


def make(nodes, x_type, x_shape, outs, inits=(), opset=19):
    g = helper.make_graph(
        nodes, 'g', [helper.make_tensor_value_info('x', x_type, x_shape)],
        [helper.make_tensor_value_info(n, t, None) for n, t in outs],
        list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = 9
    return m


def dql(n):
    """DynamicQuantizeLinear's three outputs, as floats."""
    return make([helper.make_node('DynamicQuantizeLinear', ['x'], ['q', 's', 'z']),
                 helper.make_node('Cast', ['q'], ['qf'], to=T.FLOAT),
                 helper.make_node('Identity', ['s'], ['sf']),
                 helper.make_node('Cast', ['z'], ['zf'], to=T.FLOAT)],
                T.FLOAT, [n], [('qf', T.FLOAT), ('sf', T.FLOAT), ('zf', T.FLOAT)])


def qconv(C, H, W):
    """DynamicQuantizeLinear -> ConvInteger -> Cast -> Mul(scale): the
    pattern the engine runs fused (float emulation or integer)."""
    rng = np.random.default_rng(5)
    w = rng.integers(0, 256, (4, C, 3, 3)).astype(np.uint8)
    return make([helper.make_node('DynamicQuantizeLinear', ['x'], ['q', 's', 'z']),
                 helper.make_node('ConvInteger', ['q', 'W', 'z', 'WZ'], ['i'],
                                  kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                 helper.make_node('Cast', ['i'], ['f'], to=T.FLOAT),
                 helper.make_node('Mul', ['f', 's'], ['y'])],
                T.FLOAT, [1, C, H, W], [('y', T.FLOAT)],
                [numpy_helper.from_array(w, 'W'),
                 numpy_helper.from_array(np.array(3, np.uint8), 'WZ')])


def casts(chain):
    """x (float) -> Cast(t) for t in chain -> Cast(float)."""
    nodes, prev = [], 'x'
    for i, t in enumerate(chain + [T.FLOAT]):
        nodes.append(helper.make_node('Cast', [prev], [f'c{i}'], to=t))
        prev = f'c{i}'
    return make(nodes, T.FLOAT, [None], [(prev, T.FLOAT)])


def half_io(first):
    """A float16 input that is a graph output too (first or second)."""
    outs = [('x', T.FLOAT16), ('y', T.FLOAT16)]
    return make([helper.make_node('Abs', ['x'], ['y'])], T.FLOAT16, [10],
                outs if first else outs[::-1], opset=17)


def cases():
    rng = np.random.default_rng(18)
    f32 = lambda v: np.array(v, np.float32)  # noqa: E731
    lin = np.linspace(-3, 5, 64).astype(np.float32)
    for label, v in [
            ('all NaN, 5 elements', [NAN] * 5),
            ('all NaN, 7 elements', [NAN] * 7),
            ('all NaN, 8 elements', [NAN] * 8),
            ('all NaN, 1000 elements', [NAN] * 1000),
            ('one NaN among 5', [1, NAN, -2, 3, 0.5]),
            ('+inf', [1, INF, -2, 3, 0]),
            ('-inf', [1, -INF, 2, 3, 0]),
            ('+inf and -inf', [INF, -INF, 1, 2, 3]),
            ('all +inf', [INF] * 9),
            ('all -inf', [-INF] * 9),
            ('inf and NaN', [INF, NAN, 1, 2, 3]),
            ('all equal, positive', [2.5] * 5),
            ('all equal, negative', [-2.5] * 40),
            ('all zero', [0.0] * 5),
            ('range overflows to inf', [3e38, -3e38, 1, 2, 3]),
            ('NaN first of 64', np.concatenate([[NAN], lin[1:]])),
            ('NaN in the middle of 1000', np.where(np.arange(1000) == 500, NAN,
                                                   np.linspace(-3, 5, 1000)))]:
        x = f32(v)
        yield f'DynamicQuantizeLinear {label}', dql(x.size), x, 3, None
    for label, fill in [('all NaN', NAN), ('+inf', INF), ('-inf', -INF)]:
        x = rng.standard_normal((1, 3, 6, 7)).astype(np.float32)
        if label == 'all NaN':
            x[:] = NAN
        else:
            x[0, 1, 2, 3] = fill
        for mode in ('float', 'integer'):
            yield (f'DQL -> ConvInteger {label} ({mode})', qconv(3, 6, 7), x,
                   1, mode)
    half = f32([1.0001, 3.14159265, 65519.0, 70000.0, 1e-8, -2.0000001,
                NAN, -INF, 6.1e-5, 1 / 3])
    yield 'float16 input as output 0', half_io(True), half, 2, None
    yield 'float16 input as output 1', half_io(False), half, 2, None
    wide = f32([-1, -2, 3, -129, 255, 256, -32769, 65535, 65536, 2 ** 31 - 128,
                -2 ** 31, 0, 127, -128, 2 ** 24])
    odd = f32([NAN, INF, -INF, -2147483904.0, 2147483520.0, 4294967040.0,
               -0.9, 1e20, 1e10, -1e10, 3.7, -3.7, -0.5, 2.5, 4294967296.0,
               2 ** 31])
    ints = [T.INT8, T.UINT8, T.INT16, T.UINT16, T.INT32, T.UINT32, T.INT64,
            T.UINT64]
    name = {T.INT8: 'int8', T.UINT8: 'uint8', T.INT16: 'int16',
            T.UINT16: 'uint16', T.INT32: 'int32', T.UINT32: 'uint32',
            T.INT64: 'int64', T.UINT64: 'uint64', T.BOOL: 'bool'}
    for t in ints[:6] + [T.BOOL]:
        yield f'Cast float -> {name[t]} (NaN, inf, out of range)', casts([t]), odd, 1, None
    # int64 / uint64 from floats within int32's range (the device's integers)
    for t in ints[6:]:
        yield f'Cast float -> {name[t]}', casts([t]), wide, 1, None
    for a in (T.INT32, T.INT64, T.INT8, T.INT16, T.UINT8, T.UINT16):
        for b in ints + [T.BOOL]:
            yield f'Cast {name[a]} -> {name[b]}', casts([a, b]), wide, 1, None
    yield 'Cast int64 -> uint32 -> int32', casts([T.INT64, T.UINT32, T.INT32]), wide, 1, None
    yield 'Cast int32 -> uint64 -> int8', casts([T.INT32, T.UINT64, T.INT8]), wide, 1, None


def main():
    a = parity_cli.parser(__doc__).parse_args()
    status = parity_cli.engine_unusable(a.engine)
    if status is not None:
        return status
    failures, count = [], 0
    with tempfile.TemporaryDirectory(prefix='yolo-edge-ort-') as tmp:
        path, inp, out = (os.path.join(tmp, f) for f in ('m.onnx', 'in.f32', 'out.f32'))
        for label, m, x, n_out, int8 in cases():
            count += 1
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            so.intra_op_num_threads = 1
            feed = x.astype(np.float16) if m.graph.input[0].type.tensor_type.elem_type == T.FLOAT16 else x
            if m.graph.input[0].type.tensor_type.shape.dim[0].dim_param or \
                    not m.graph.input[0].type.tensor_type.shape.dim[0].HasField('dim_value'):
                m.graph.input[0].type.tensor_type.shape.dim[0].dim_value = x.size
            onnx.save(m, path)
            with np.errstate(all='ignore'):
                refs = ort.InferenceSession(path, so, providers=['CPUExecutionProvider']).run(
                    None, {'x': feed})
            x.astype(np.float32).tofile(inp)
            env = dict(os.environ)
            if int8:
                env['YOLO_INT8_COMPUTE'] = int8
            bad = None
            for i in range(n_out):
                cmd = parity_cli.run_command(a.engine, path, inp, out, a.device,
                                             ['--output-index', str(i)])
                p = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if p.returncode != 0:
                    bad = f'yolo-engine failed: {p.stderr.strip()}'
                    break
                got = np.fromfile(out, np.float32)
                ref = np.asarray(refs[i]).astype(np.float32).ravel()
                if not np.array_equal(got, ref, equal_nan=True):
                    k = int(np.flatnonzero(~((got == ref) | (np.isnan(got) & np.isnan(ref))))[0]) \
                        if got.size == ref.size else -1
                    bad = (f'output {i}: ours {got.tolist()[:12]}, onnxruntime '
                           f'{ref.tolist()[:12]} (first difference at {k})')
                    break
            print(f'  {label:<52s} {"FAIL" if bad else "ok"}')
            if bad:
                failures.append(f'{label}: {bad}')
    return parity_cli.verdict(failures, 'FAIL:',
                              f'PASS: {count} edge-input models match onnxruntime bit for bit')


if __name__ == '__main__':
    sys.exit(main())
