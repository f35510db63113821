#!/usr/bin/env python3
"""Edge inputs against onnxruntime, bit for bit, through `$YOLO_ENGINE run`:
DynamicQuantizeLinear on NaN / inf / all-equal tensors (its three outputs,
and DynamicQuantizeLinear -> ConvInteger -> Cast in the float emulation and
with --int8-compute=integer), a float16 graph input that is also a graph
output (the float16 rounding of what was fed), run-time Casts between
integer types and from floats out of range (NaN, inf, beyond int32), the
activations, Max and Min on NaN, +-inf and -0.0 (standalone and fused
into a Conv), uint32 arithmetic and comparisons beyond 2^31, and int64
constants outside int32 (refused, naming the node).

usage: test_edge_ort.py [--device SPEC] [--engine PATH]

Where ONNX leaves a result undefined (float -> int out of range, NaN in
DynamicQuantizeLinear's min/max), the reference is onnxruntime's x86-64 CPU
result. Known difference left out: int64 / uint64 values outside int32's
range computed at run time (the device holds integers as int32). Exit status: 0 pass, 1
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
    yield from act_cases()
    yield from unsigned_cases()
    yield from int64_cases()


# Labels of models the engine must refuse: the expected part of its one
# line message (the device computes integers in 32 bits).
REFUSE = {}


def int64_cases():
    """An int64 constant outside int32 read by a kernel: refused with a
    message naming the node (it was saturated to 2^31 - 1 before); one
    inside runs."""
    for v, refuse in ((2 ** 33 + 5, True), (-2 ** 31 - 1, True),
                      (2 ** 31 - 100, False)):
        m = make([helper.make_node('Cast', ['x'], ['xi'], to=T.INT64),
                  helper.make_node('Add', ['xi', 'c'], ['r'], name='add_big'),
                  helper.make_node('Cast', ['r'], ['y'], to=T.FLOAT)],
                 T.FLOAT, [None], [('y', T.FLOAT)],
                 [numpy_helper.from_array(np.array([v], np.int64), 'c')])
        label = f'int64 Add of the constant {v}'
        if refuse:
            REFUSE[label] = ('node add_big: the int64 constant c holds '
                             f'{v} (element 0), outside the 32-bit integers')
        yield label, m, np.array([-3, 0, 5], np.float32), 1, None


def int_binary(op, t, n, swap=False):
    """x (float, 2n) -> its halves Cast(t) -> op -> Cast(float): integer
    inputs computed at run time (initializers of unsigned types are refused
    at load)."""
    i64 = lambda n_, v: numpy_helper.from_array(np.array([v], np.int64), n_)  # noqa: E731
    ins = ['b', 'a'] if swap else ['a', 'b']
    return make([helper.make_node('Slice', ['x', 's0', 'e0'], ['x0']),
                 helper.make_node('Slice', ['x', 'e0', 'e1'], ['x1']),
                 helper.make_node('Cast', ['x0'], ['a'], to=t),
                 helper.make_node('Cast', ['x1'], ['b'], to=t),
                 helper.make_node(op, ins, ['r']),
                 helper.make_node('Cast', ['r'], ['y'], to=T.FLOAT)],
                T.FLOAT, [None], [('y', T.FLOAT)],
                [i64('s0', 0), i64('e0', n), i64('e1', 2 * n)])


def unsigned_cases():
    """uint32 arithmetic and comparisons on values from 2^31 on (the
    device's int32 holds their bits): unsigned, as onnxruntime."""
    a = [11, 1, 3e9, 4294967040.0, 2147483648.0, -1, 7, 2147483520.0, -2, 100,
         65536, 4e9, 5, 2 ** 31 + 256, 1e9, 3, 9, 2147483648.0]
    b = [3e9, 1, 5, 7, 2, 3, -1, 2147483520.0, 2147483648.0, 9, 65536, 1,
         4e9, 5, 3, 1000, 2, 2147483648.0]
    x = np.array(a + b, np.float32)
    for op in ('Add', 'Sub', 'Mul', 'Div', 'Mod', 'Max', 'Min', 'Less',
               'Greater', 'Equal', 'LessOrEqual', 'GreaterOrEqual'):
        for swap in (False, True):
            label = f'uint32 {op} ({"b, a" if swap else "a, b"})'
            yield label, int_binary(op, T.UINT32, len(a), swap), x, 1, None


# Labels whose outputs are compared with the sign of zero too (bits; NaN
# matches NaN): the activations that keep -0.0. Max / Min of two zeros
# return one or the other depending on the SIMD lane in onnxruntime, and a
# convolution's bias turns -0.0 into 0.0, so those compare -0.0 == 0.0.
SIGNED = set()

# Special values through the activations: NaN, +-inf, +-0, and values
# whose result is exact in float32 (products by powers of two, multiples
# of 1.5 for HardSwish's x / 6), 40 elements so the 16-wide kernels'
# vector body and scalar tail both see them.
SPECIAL = [NAN, INF, -INF, -0.0, 0.0]


def act_values(exact):
    base = SPECIAL + ([1.5, -1.5, 3.0, -3.0, 4.5, -4.5, 6.0, -6.0, 7.5, -7.5,
                       9.0, -9.0, 0.75, -0.75, 1e30, -1e30] if exact
                      else [1000.0, -1000.0, 1e30, -1e30])
    v = (base * 8)[:37] + [NAN, -0.0, -INF]
    return np.array(v, np.float32)


def unary(op, inits=(), opset=19, **attrs):
    names = ['x'] + [n if n else '' for n, _ in inits]
    return make([helper.make_node(op, names, ['y'], **attrs)], T.FLOAT, [None],
                [('y', T.FLOAT)], [numpy_helper.from_array(np.array(v, np.float32), n)
                                   for n, v in inits if n], opset=opset)


def conv_act(act, bias=True, **attrs):
    """1x1 Conv of one input channel into 16 (weights 1, -1, 2, 0.5, bias
    0, 0, 1.5, -3 or 0: exact) -> act, fused by the engine into the conv's
    epilogue; act 'Silu' is Sigmoid + Mul."""
    w = np.resize(np.array([1, -1, 2, 0.5], np.float32), 16).reshape(16, 1, 1, 1)
    b = np.resize(np.array([0, 0, 1.5, -3] if bias else [0], np.float32), 16)
    nodes = [helper.make_node('Conv', ['x', 'W', 'B'], ['c'], kernel_shape=[1, 1])]
    inits = [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(b, 'B')]
    if act == 'Silu':
        nodes += [helper.make_node('Sigmoid', ['c'], ['s']),
                  helper.make_node('Mul', ['c', 's'], ['y'])]
    elif act == 'Clip':
        nodes.append(helper.make_node('Clip', ['c', 'lo', 'hi'], ['y']))
        inits += [numpy_helper.from_array(np.array(0, np.float32), 'lo'),
                  numpy_helper.from_array(np.array(6, np.float32), 'hi')]
    else:
        nodes.append(helper.make_node(act, ['c'], ['y'], **attrs))
    return make(nodes, T.FLOAT, [1, 1, 5, 8], [('y', T.FLOAT)], inits)


def act_cases():
    ex, sp = act_values(True), act_values(False)
    for label, m, x in [
            ('Relu', unary('Relu'), ex),
            ('LeakyRelu', unary('LeakyRelu', alpha=0.25), ex),
            ('HardSigmoid', unary('HardSigmoid', alpha=0.25, beta=0.5), ex),
            ('HardSwish', unary('HardSwish'), ex),
            ('Sigmoid', unary('Sigmoid'), sp),
            ('Clip [0, 6]', unary('Clip', [('lo', 0), ('hi', 6)]), ex),
            ('Clip [-0, 0]', unary('Clip', [('lo', -0.0), ('hi', 0)]), ex),
            ('Clip [0, -0]', unary('Clip', [('lo', 0), ('hi', -0.0)]), ex),
            ('Clip [2, 1] (min > max)', unary('Clip', [('lo', 2), ('hi', 1)]), ex),
            ('Clip [NaN, 1]', unary('Clip', [('lo', NAN), ('hi', 1)]), ex),
            ('Clip [-1, NaN]', unary('Clip', [('lo', -1), ('hi', NAN)]), ex),
            ('Clip, no bounds', unary('Clip'), ex),
            ('Clip, max only', unary('Clip', [('', 0), ('hi', 1)]), ex),
            ('Clip opset 6, min 0', unary('Clip', opset=6, min=0.0), ex),
            ('Clip opset 6, no bounds', unary('Clip', opset=6), ex)]:
        SIGNED.add(f'{label} of NaN, inf, -0.0')
        yield f'{label} of NaN, inf, -0.0', m, x, 1, None
    # Max / Min: NaN in either input is NaN
    other = ex[::-1].copy()
    other[5] = NAN
    for op in ('Max', 'Min'):
        yield (f'{op} (x, y) with NaN, inf', make(
            [helper.make_node(op, ['x', 'o'], ['y'])], T.FLOAT, [None],
            [('y', T.FLOAT)], [numpy_helper.from_array(other, 'o')]), ex, 1, None)
        for c in (0.0, -0.0, NAN, INF, -INF):
            for first in (False, True):
                ins = ['c', 'x'] if first else ['x', 'c']
                yield (f'{op} ({", ".join(ins)}), c = {c}', make(
                    [helper.make_node(op, ins, ['y'])], T.FLOAT, [None],
                    [('y', T.FLOAT)],
                    [numpy_helper.from_array(np.array(c, np.float32), 'c')]),
                    ex, 1, None)
    # fused into a convolution's epilogue
    cx = lambda v: v[:40].reshape(1, 1, 5, 8)  # noqa: E731
    for label, m, x in [
            ('Relu', conv_act('Relu'), ex),
            ('LeakyRelu', conv_act('LeakyRelu', alpha=0.25), ex),
            ('HardSigmoid', conv_act('HardSigmoid', alpha=0.25, beta=0.5), ex),
            ('HardSwish', conv_act('HardSwish'), ex),
            ('Clip [0, 6]', conv_act('Clip'), ex),
            ('Sigmoid', conv_act('Sigmoid', bias=False), sp),
            ('SiLU', conv_act('Silu', bias=False), sp)]:
        yield f'Conv -> {label} of NaN, inf', m, cx(x), 1, None


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
                if label in REFUSE:
                    err = p.stderr.strip()
                    if p.returncode == 0 or REFUSE[label] not in err \
                            or '\n' in err:
                        bad = (f'expected a one-line refusal saying '
                               f'"{REFUSE[label]}", got status '
                               f'{p.returncode}: {err!r}')
                    break
                if p.returncode != 0:
                    bad = f'yolo-engine failed: {p.stderr.strip()}'
                    break
                got = np.fromfile(out, np.float32)
                ref = np.asarray(refs[i]).astype(np.float32).ravel()
                if label in SIGNED and got.size == ref.size:
                    # -0.0 != 0.0 here: equal bits, or both NaN
                    same = (got.view(np.uint32) == ref.view(np.uint32)) | \
                        (np.isnan(got) & np.isnan(ref))
                    if not same.all():
                        k = int(np.flatnonzero(~same)[0])
                        bad = (f'output {i}: ours {got[k]!r} (bits {got.view(np.uint32)[k]:#x}), '
                               f'onnxruntime {ref[k]!r} (bits {ref.view(np.uint32)[k]:#x}) '
                               f'at {k}, input {x.ravel()[k]!r}')
                        break
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
