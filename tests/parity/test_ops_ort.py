#!/usr/bin/env python3
"""One-node models of the issue-11 operators against onnxruntime: the
semantics of our C references and kernels (ConvTranspose's pads,
output_padding, output_shape and auto_pad arithmetic, ConvInteger's pads
and auto_pad, LayerNormalization's
axis and broadcast scale, comparisons and Where with broadcasting, Sin /
Cos / Gelu) checked against the reference implementation, through
`$YOLO_ENGINE run`.

usage: test_ops_ort.py [--device SPEC] [--engine PATH]

Each case builds a model with one graph input X (float32, random), the
node's other inputs as initializers, and compares our output with
onnxruntime's (ORT_DISABLE_ALL) within |err| <= 1e-4 + 1e-4 |ref|
(bool outputs exactly). Exit status: 0 pass, 1 mismatch, 77 no device.
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_cli  # noqa: E402

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import onnxruntime as ort

rng = np.random.default_rng(11)


def model(op, x_shape, inits, attrs, out_type=TensorProto.FLOAT, opset=18):
    """op(X, *inits) -> Y."""
    names = ['X'] + [n for n, _ in inits]
    nodes = [helper.make_node(op, names, ['Y'], name='n0', **attrs)]
    g = helper.make_graph(
        nodes, 'g',
        [helper.make_tensor_value_info('X', TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info('Y', out_type, None)],
        [numpy_helper.from_array(v, n) for n, v in inits])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)])
    m.ir_version = 8
    return m


def ct(C, H, W, M, k, s, group=1, **attrs):
    w = (rng.standard_normal((C, M // group, k[0], k[1])) / np.sqrt(C)).astype(np.float32)
    b = rng.standard_normal(M).astype(np.float32)
    return model('ConvTranspose', [1, C, H, W], [('W', w), ('B', b)],
                 dict(kernel_shape=list(k), strides=list(s), group=group, **attrs))


def qconv(C, H, W, M, k, s, group=1, **attrs):
    """DynamicQuantizeLinear(X) -> ConvInteger (uint8 weights, zero point 3)
    -> Cast(float): the int8 convolution's geometry (pads, auto_pad)."""
    w = rng.integers(0, 256, (M, C // group, k[0], k[1])).astype(np.uint8)
    g = helper.make_graph(
        [helper.make_node('DynamicQuantizeLinear', ['X'], ['Q', 'S', 'Z']),
         helper.make_node('ConvInteger', ['Q', 'W', 'Z', 'WZ'], ['I'], name='n0',
                          kernel_shape=list(k), strides=list(s), group=group, **attrs),
         helper.make_node('Cast', ['I'], ['Y'], to=TensorProto.FLOAT)], 'g',
        [helper.make_tensor_value_info('X', TensorProto.FLOAT, [1, C, H, W])],
        [helper.make_tensor_value_info('Y', TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(np.array(3, np.uint8), 'WZ')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)])
    m.ir_version = 8
    return m


def dql_chain(reader):
    """Relu(X) -> A -> DynamicQuantizeLinear -> 1x1 ConvInteger -> Cast ->
    Mul(A's scale * w_scale), as quantize_dynamic writes it (the engine runs
    it as a float Conv of the fake-quantised A, yolo-quant-fuse.c). reader:
    None (A read by the quantisation only: its fake-quantised values may
    overwrite A, yolo-plan.c), 'after' (A also read by an Add after the
    quantisation: A must keep its values) or 'before' (A also read by a
    Sigmoid before it, whose output the Add reads)."""
    C = 8
    w = rng.integers(0, 256, (C, C, 1, 1)).astype(np.uint8)
    nodes = [helper.make_node('Relu', ['X'], ['A'])]
    if reader == 'before':
        nodes.append(helper.make_node('Sigmoid', ['A'], ['B']))
    nodes += [
        helper.make_node('DynamicQuantizeLinear', ['A'], ['Q', 'S', 'Z']),
        helper.make_node('ConvInteger', ['Q', 'W', 'Z', 'WZ'], ['I'], kernel_shape=[1, 1]),
        helper.make_node('Cast', ['I'], ['F'], to=TensorProto.FLOAT),
        helper.make_node('Mul', ['S', 'WS'], ['M']),
        helper.make_node('Mul', ['F', 'M'], ['Y' if reader is None else 'Y1'], name='n0')]
    if reader is not None:
        nodes.append(helper.make_node('Add', ['Y1', 'A' if reader == 'after' else 'B'], ['Y']))
    g = helper.make_graph(
        nodes, 'g',
        [helper.make_tensor_value_info('X', TensorProto.FLOAT, [1, C, 9, 21])],
        [helper.make_tensor_value_info('Y', TensorProto.FLOAT, None)],
        [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(np.array(128, np.uint8), 'WZ'),
         numpy_helper.from_array(np.array(1 / 4096, np.float32), 'WS')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)])
    m.ir_version = 8
    return m


CASES = [
    ('ConvTranspose 2x2s2 (yolov6n)', ct(16, 7, 9, 12, (2, 2), (2, 2))),
    ('ConvTranspose 3x3s2 pads 1 output_padding 1', ct(6, 5, 7, 4, (3, 3), (2, 2), pads=[1, 1, 1, 1], output_padding=[1, 1])),
    ('ConvTranspose asymmetric pads, dilation', ct(4, 6, 5, 6, (3, 2), (2, 3), pads=[0, 2, 1, 0], dilations=[2, 1])),
    ('ConvTranspose group 2', ct(8, 5, 6, 6, (3, 3), (2, 2), group=2, pads=[1, 0, 0, 1])),
    ('ConvTranspose output_shape (odd total)', ct(4, 5, 6, 3, (3, 3), (2, 2), output_shape=[10, 12])),
    ('ConvTranspose output_shape beyond natural', ct(4, 5, 6, 3, (3, 3), (2, 2), output_shape=[12, 14])),
    ('ConvTranspose 1x1 stride 3 SAME_UPPER', ct(4, 5, 6, 3, (1, 1), (3, 3), auto_pad='SAME_UPPER')),
    ('ConvTranspose SAME_UPPER (odd total)', ct(4, 5, 6, 3, (3, 3), (2, 2), auto_pad='SAME_UPPER')),
    ('ConvTranspose SAME_LOWER (odd total)', ct(4, 5, 6, 3, (3, 3), (2, 2), auto_pad='SAME_LOWER')),
    ('ConvTranspose VALID', ct(4, 5, 6, 3, (3, 3), (2, 2), auto_pad='VALID')),
    ('ConvInteger SAME_UPPER (odd total)', qconv(4, 9, 10, 5, (4, 3), (2, 2), auto_pad='SAME_UPPER')),
    ('ConvInteger SAME_LOWER (odd total)', qconv(4, 9, 10, 5, (4, 3), (2, 2), auto_pad='SAME_LOWER')),
    ('ConvInteger asymmetric pads, dilation, group 2', qconv(6, 8, 7, 4, (3, 2), (1, 2), group=2, pads=[0, 2, 1, 0], dilations=[2, 1])),
    ('ConvInteger VALID', qconv(3, 8, 9, 8, (3, 3), (2, 1), auto_pad='VALID')),
    ('DynamicQuantizeLinear -> ConvInteger float', dql_chain(None)),
    ('... its input read again after it', dql_chain('after')),
    ('... its input read before it only', dql_chain('before')),
    ('LayerNormalization axis -1', model('LayerNormalization', [2, 5, 7], [
        ('S', rng.standard_normal(7).astype(np.float32)),
        ('B', rng.standard_normal(7).astype(np.float32))], dict(axis=-1, epsilon=1e-5))),
    ('LayerNormalization axis 1 broadcast scale', model('LayerNormalization', [2, 5, 7], [
        ('S', rng.standard_normal((1, 7)).astype(np.float32))], dict(axis=1))),
    ('Sin', model('Sin', [3, 50], [], {})),
    ('Cos', model('Cos', [3, 50], [], {})),
    ('Gelu', model('Gelu', [3, 50], [], {}, opset=20)),
    ('Gelu tanh', model('Gelu', [3, 50], [], dict(approximate='tanh'), opset=20)),
]
for op in ['Greater', 'Less', 'Equal', 'GreaterOrEqual', 'LessOrEqual']:
    CASES.append((f'{op} broadcast', model(
        op, [2, 3, 4], [('B', np.round(rng.standard_normal((3, 1)) * 2).astype(np.float32))], {},
        out_type=TensorProto.BOOL)))
# Where(X > 0, X, 0.5 * X) with a scalar branch, and Not / And / Or / Xor
CASES.append(('Greater -> Where scalar branch', (lambda: (
    lambda g: helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)]))(
    helper.make_graph(
        [helper.make_node('Greater', ['X', 'Z'], ['C']),
         helper.make_node('Where', ['C', 'X', 'H'], ['Y'], name='n0')], 'g',
        [helper.make_tensor_value_info('X', TensorProto.FLOAT, [4, 9])],
        [helper.make_tensor_value_info('Y', TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.zeros((1, 9), np.float32), 'Z'),
         numpy_helper.from_array(np.array(0.5, np.float32), 'H')])))()))
for op in ['And', 'Or', 'Xor']:
    CASES.append((f'Not, {op}', (lambda op: (
        lambda g: helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)]))(
        helper.make_graph(
            [helper.make_node('Less', ['X', 'Z'], ['A']),
             helper.make_node('Greater', ['X', 'Q'], ['B']),
             helper.make_node('Not', ['B'], ['NB']),
             helper.make_node(op, ['A', 'NB'], ['Y'], name='n0')], 'g',
            [helper.make_tensor_value_info('X', TensorProto.FLOAT, [5, 6])],
            [helper.make_tensor_value_info('Y', TensorProto.BOOL, None)],
            [numpy_helper.from_array(np.zeros(6, np.float32), 'Z'),
             numpy_helper.from_array(np.full((5, 1), -0.5, np.float32), 'Q')])))(op)))



def focus(C, H, W, M, order, w_first=False, one_slice=False, starts=None,
          ends=None, conv=None):
    """YOLOX's Focus stem: four (dh, dw) patches by Slices of step 2 on axes
    2 and 3, concatenated on axis 1 in `order`, then a 3x3 Conv: the Focus
    pass turns it into one 6x6 stride-2 Conv (or leaves it alone)."""
    big = np.iinfo(np.int64).max
    nodes, inits, cat = [], [], []
    for q, (dh, dw) in enumerate(order):
        sh, sw = (starts or {}).get((dh, dw), (dh, dw))
        e = ends if ends is not None else big
        if one_slice:
            inits += [numpy_helper.from_array(np.array(v, np.int64), f'{n}{q}') for n, v in
                      (('s', [sh, sw]), ('e', [e, e]), ('a', [-2, 3]), ('t', [2, 2]))]
            nodes.append(helper.make_node('Slice', ['X', f's{q}', f'e{q}', f'a{q}', f't{q}'], [f'P{q}']))
        else:
            steps = [(2, sh), (3, sw)][::-1 if w_first else 1]
            src = 'X'
            for k, (ax, st) in enumerate(steps):
                inits += [numpy_helper.from_array(np.array(v, np.int64), f'{n}{q}{k}') for n, v in
                          (('s', [st]), ('e', [e]), ('a', [ax]), ('t', [2]))]
                out = f'P{q}' if k else f'H{q}'
                nodes.append(helper.make_node('Slice', [src, f's{q}{k}', f'e{q}{k}', f'a{q}{k}', f't{q}{k}'], [out]))
                src = out
        cat.append(f'P{q}')
    nodes.append(helper.make_node('Concat', cat, ['S'], axis=1))
    w = (rng.standard_normal((M, 4 * C, 3, 3)) / np.sqrt(C)).astype(np.float32)
    b = rng.standard_normal(M).astype(np.float32)
    inits += [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(b, 'B')]
    nodes.append(helper.make_node('Conv', ['S', 'W', 'B'], ['Y'], name='n0',
                                  **(conv or dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]))))
    g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('X', TensorProto.FLOAT, [1, C, H, W])],
                          [helper.make_tensor_value_info('Y', TensorProto.FLOAT, None)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 8
    return m


YOLOX_ORDER = [(0, 0), (1, 0), (0, 1), (1, 1)]
CASES += [
    ('Focus -> Conv 3x3 (YOLOX order)', focus(3, 38, 42, 16, YOLOX_ORDER)),
    ('Focus -> Conv 3x3 (DCR order, W first)', focus(2, 10, 6, 5, [(0, 0), (0, 1), (1, 0), (1, 1)], w_first=True)),
    ('Focus -> Conv 3x3 (one Slice per patch)', focus(3, 8, 12, 7, [(1, 1), (0, 1), (1, 0), (0, 0)], one_slice=True)),
    ('Focus, ends short of the axes (not rewritten)', focus(3, 10, 12, 4, YOLOX_ORDER, ends=8)),
    ('Focus, a patch twice (not rewritten)', focus(1, 8, 8, 4, YOLOX_ORDER, starts={(1, 1): (0, 1)})),
    ('Focus -> Conv stride 2 (not rewritten)', focus(3, 12, 12, 4, YOLOX_ORDER,
                                                    conv=dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]))),
]

def main():
    a = parity_cli.parser(__doc__).parse_args()
    status = parity_cli.engine_unusable(a.engine)
    if status is not None:
        return status
    failures = []
    with tempfile.TemporaryDirectory(prefix='yolo-ops-ort-') as tmp:
        for label, m in CASES:
            for o in m.graph.output:
                o.type.tensor_type.ClearField('shape')
            path = os.path.join(tmp, 'm.onnx')
            onnx.save(m, path)
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
            shape = [d for d in sess.get_inputs()[0].shape]
            x = rng.standard_normal(shape).astype(np.float32)
            if 'Equal' in label or 'Greater' in label or 'Less' in label:
                x = np.round(x * 2)            # ties for the comparisons
            ref = sess.run(None, {'X': x})[0]
            x.tofile(os.path.join(tmp, 'in.f32'))
            cmd = parity_cli.run_command(a.engine, path, os.path.join(tmp, 'in.f32'),
                                         os.path.join(tmp, 'out.f32'), a.device)
            p = subprocess.run(cmd, capture_output=True, text=True)
            if p.returncode != 0:
                failures.append(f'{label}: yolo-engine failed: {p.stderr.strip()}')
                print(f'  {label:<48s} FAIL (engine error)')
                continue
            got = np.fromfile(os.path.join(tmp, 'out.f32'), np.float32)
            ref = ref.astype(np.float32)
            if got.size != ref.size:
                failures.append(f'{label}: engine wrote {got.size} values, onnxruntime {list(ref.shape)}')
                print(f'  {label:<48s} FAIL (size)')
                continue
            got = got.reshape(ref.shape)
            err = np.abs(got.astype(np.float64) - ref)
            tol = 0 if m.graph.output[0].type.tensor_type.elem_type == TensorProto.BOOL \
                else 1e-4 + 1e-4 * np.abs(ref)
            ok = bool((err <= tol).all())
            print(f'  {label:<48s} {list(ref.shape)} max|err| {err.max():.3g}: {"ok" if ok else "FAIL"}')
            if not ok:
                failures.append(f'{label}: max |err| {err.max():.4g}')
    return parity_cli.verdict(failures, 'FAIL:',
                              f'PASS: {len(CASES)} one-node models match onnxruntime')


if __name__ == '__main__':
    sys.exit(main())
