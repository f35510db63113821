#!/usr/bin/env python3
"""Half-precision parity: $YOLO_TEST_DATA/models/zoo/yolo11n-fp16.onnx (float16
weights, activations, input and output) against onnxruntime.

usage: test_fp16.py [--images bus.jpg,zidane.jpg@0.05] [--engine PATH]
                   [--storage float|half]
       test_fp16.py --element [--images bus.jpg]   (yolodetect, gst-launch)

The engine's stage 1 of float16 (yolo-half.h): weights widened to float32 at
load, arithmetic and activations in float32, the float16 input and output
rounded to half (round-to-nearest-even). Three runs on the identical
letterboxed RGB/255 input tensor X (as test_parity.py makes it):

  fp32: onnxruntime on the float32 twin, made here with onnx + numpy from the
        fp16 file (every float16 initializer, Constant, Cast target, input,
        output and value_info widened to float32: a lossless conversion,
        the same network), fed X;
  ort16: onnxruntime on the fp16 file, fed X as float16;
  ours: `yolo-engine run` on the fp16 file, fed X as float32 (the engine
        rounds it to half as the file's float16 input requires).

First a small float16 model (check_small: the loader's float16 forms and
special values, Cast rounding, float16 input / output) bit for bit against
onnxruntime. Then, on output0 [1,84,8400], per section (rows 0-3 boxes in input
pixels, rows 4.. class scores): our error against fp32 is at most
onnxruntime fp16's (max and mean |err|; the issue's accuracy bar), and the
detections (conf 0.25, 0.05 on zidane.jpg where nothing scores 0.25;
class-aware NMS IoU 0.7) match onnxruntime fp16's and the float32 model's:
every detection whose score is not within 0.02 of the threshold is found
on both sides with the same class, box IoU >= 0.9 and |dconf| <= 0.02.
Against onnxruntime fp16 the float32 model arbitrates (onnxruntime fp16's
own rounding error, each case printed): a confidence further than 0.02
still matches when it is closer to the float32 model's score than
onnxruntime fp16's, and a detection on one side only is accepted when the
float32 model's detections agree with ours.

--element runs `filesrc ! jpegdec ! videoconvert ! RGB ! yolodetect !
yolojson` on the fp16 file (GST_PLUGIN_PATH set) and compares its
detections with onnxruntime fp16's the same way (boxes mapped to the frame
and clipped before NMS, as the element does; whole pixels).

--storage half runs the engine with float16 activations in device memory
(engine option storage, yolo-engine.h; arithmetic still float32): every
activation is rounded to half after each kernel, also in the float32
sections of a float16 model, while onnxruntime's CPU fp16 run keeps
float32 between the nodes it computes in float32. Its bars are therefore
stated apart: output0's max and mean error against the float32 model at
most HALF_ERR_FACTOR (2) times onnxruntime fp16's, detections with |dconf|
<= 0.03, and the small model's Cast float16 -> float32 -> x 1/3 -> float16
within one half ulp (its float32 intermediate and its float32 constant
1/3 are stored as half: double rounding); the other small outputs stay
bit-exact.

Exit status: 0 pass, 1 mismatch or error, 77 skipped (no model / device).
"""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_cli  # noqa: E402
from parity_cli import SKIP  # noqa: E402
from test_parity import letterbox  # noqa: E402

try:
    import cv2
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, numpy_helper
except ImportError as e:
    print(f'FAIL: {sys.executable} cannot import {e.name}: install the test '
          'requirements with scripts/install-deps.sh', file=sys.stderr)
    sys.exit(1)

CONF, IOU_NMS = 0.25, 0.7
MARGIN = 0.02       # detections this close to CONF may be on one side only
DCONF = 0.02        # |delta confidence| of a matched detection
MIN_IOU = 0.9
# --storage: extra `yolo-engine run` arguments, and the half storage bars
STORAGE = []
HALF_ERR_FACTOR = 2.0
HALF_DCONF = 0.03


def set_conf(arg):
    """IMAGE[@CONF]: sets CONF, returns IMAGE."""
    global CONF
    image, _, conf = arg.partition('@')
    CONF = float(conf) if conf else 0.25
    print(f'{image}: conf-threshold {CONF:g}')
    return image


def fp32_twin(m16):
    """The same network in float32 (exact: every half is a float)."""
    m = onnx.ModelProto()
    m.CopyFrom(m16)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type == TensorProto.FLOAT16:
            a = numpy_helper.to_array(t).astype(np.float32)
            g.initializer[i].CopyFrom(numpy_helper.from_array(a, t.name))
    for n in g.node:
        for a in n.attribute:
            if n.op_type == 'Cast' and a.name == 'to' and a.i == TensorProto.FLOAT16:
                a.i = TensorProto.FLOAT
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT16:
                a.t.CopyFrom(numpy_helper.from_array(
                    numpy_helper.to_array(a.t).astype(np.float32), a.t.name))
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT16:
            v.type.tensor_type.elem_type = TensorProto.FLOAT
    return m


def session(model_bytes):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=['CPUExecutionProvider'])


def decode_image(path):
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise RuntimeError(f'cannot read image {path}')
    return img


def detect(y, frame=None):
    """Ultralytics decode of [1,4+nc,N]: (box x1y1x2y2, score, class, anchor)
    list. frame = (r, px, py, W, H): boxes mapped back by the letterbox and
    clipped to the frame before NMS, as the element does."""
    p = y[0].astype(np.float64).T
    sc = p[:, 4:]
    s, c = sc.max(1), sc.argmax(1)
    k = s > CONF
    b, s, c = p[k, :4], s[k], c[k]
    xyxy = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2,
                     b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    if frame:
        r, px, py, W, H = frame
        xyxy = np.clip((xyxy - np.array([px, py, px, py])) / r, 0, [W, H, W, H])
    off = xyxy + c[:, None] * 10000.0
    area = (off[:, 2] - off[:, 0]) * (off[:, 3] - off[:, 1])
    order = np.argsort(-s, kind='stable')
    keep = []
    while order.size:
        i = order[0]
        keep.append(int(i))
        o = order[1:]
        w = np.clip(np.minimum(off[i, 2], off[o, 2]) - np.maximum(off[i, 0], off[o, 0]), 0, None)
        h = np.clip(np.minimum(off[i, 3], off[o, 3]) - np.maximum(off[i, 1], off[o, 1]), 0, None)
        inter = w * h
        order = o[inter / (area[i] + area[o] - inter + 1e-9) <= IOU_NMS]
    out = []
    for i in keep:
        out.append((list(xyxy[i]), float(s[i]), int(c[i]), int(np.flatnonzero(k)[i])))
    return out


def iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / u if u > 0 else 0.0


def found(d, dets):
    """d (box, score, class, _) in dets: same class, IoU >= 0.9, |dconf| <= 0.02."""
    return any(c == d[2] and abs(s - d[1]) <= DCONF and iou(b, d[0]) >= MIN_IOU
               for b, s, c, _ in dets)


def match(label, ref, got, y32, failures, ref_name='onnxruntime fp16', alt=None):
    """Every detection of ref (onnxruntime fp16) in got and back. A
    confidence further than DCONF from onnxruntime fp16's still matches when
    it is closer to the float32 model's score of that anchor and class (y32)
    than onnxruntime fp16's is: the difference is then onnxruntime fp16's
    own rounding error (counted and printed). alt (the float32 model's
    detections): a detection on one side only is onnxruntime fp16's error,
    not ours, when the float32 model agrees with ours (printed)."""
    used = set()
    worst_iou, worst_dc, n, n_fp16 = 1.0, 0.0, 0, 0
    for b, s, c, k in ref:
        s32 = float(y32[0, 4 + c, k])
        cands = [(iou(b, gb), j) for j, (gb, gs, gc, _) in enumerate(got)
                 if j not in used and gc == c
                 and (abs(gs - s) <= DCONF or abs(gs - s32) < abs(s - s32))]
        best = max(cands, default=(0.0, -1))
        if best[0] < MIN_IOU:
            if alt is not None and not found((b, s, c, k), alt):
                print(f'  {label}: {ref_name} detection class {c} conf {s:.4f} is not in '
                      f'ours nor in the float32 model\'s (onnxruntime fp16 is off)')
            elif abs(s - CONF) >= MARGIN:
                failures.append(f'{label}: {ref_name} detection class {c} '
                                f'conf {s:.4f} box {[round(v, 1) for v in b]} not found')
            continue
        used.add(best[1])
        n += 1
        worst_iou = min(worst_iou, best[0])
        dc = abs(got[best[1]][1] - s)
        if dc > DCONF:
            n_fp16 += 1
            print(f'  {label}: class {c} conf: onnxruntime fp16 {s:.4f}, ours '
                  f'{got[best[1]][1]:.4f}, float32 model {s32:.4f} (onnxruntime fp16 is off)')
        else:
            worst_dc = max(worst_dc, dc)
    for j, (b, s, c, _) in enumerate(got):
        if j not in used and alt is not None and found((b, s, c, _), alt):
            print(f'  {label}: class {c} conf {s:.4f} is in ours and in the float32 '
                  f'model\'s, not in {ref_name}\'s (onnxruntime fp16 is off)')
        elif j not in used and abs(s - CONF) >= MARGIN:
            failures.append(f'{label}: detection class {c} conf {s:.4f} box '
                            f'{[round(v, 1) for v in b]} not in {ref_name}')
    if ref and n == 0:
        failures.append(f'{label}: no detection compared')
    print(f'  {label}: {len(ref)} {ref_name}, {len(got)} ours, {n} matched; '
          f'worst IoU {worst_iou:.4f}, worst |dconf| {worst_dc:.4f} '
          f'(+{n_fp16} where onnxruntime fp16 is further from float32)')


def engine_run(engine, model, x, tmp, device):
    inp = os.path.join(tmp, 'in.f32')
    out = os.path.join(tmp, 'out.f32')
    x.astype('<f4').tofile(inp)
    cmd = parity_cli.run_command(engine, model, inp, out, device, STORAGE)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} failed: {p.stdout}{p.stderr}')
    return np.fromfile(out, '<f4').reshape(1, 84, 8400)


def check_engine(a, model, failures):
    m16 = onnx.load(model)
    s16 = session(m16.SerializeToString())
    s32 = session(fp32_twin(m16).SerializeToString())
    assert s16.get_inputs()[0].type == 'tensor(float16)', s16.get_inputs()[0].type
    name = s16.get_inputs()[0].name
    tmp = tempfile.mkdtemp(prefix='yolo-fp16-')
    try:
        for image in a.images.split(','):
            image = set_conf(image)
            img = decode_image(os.path.join(a.data, 'media', image))
            canvas = letterbox(img, 640, True)
            x = np.ascontiguousarray(canvas[:, :, ::-1].transpose(2, 0, 1)[None]
                                     .astype(np.float32) / 255.0)
            y32 = s32.run(None, {name: x})[0].astype(np.float64)
            y16 = s16.run(None, {name: x.astype(np.float16)})[0]
            assert y16.dtype == np.float16
            y16 = y16.astype(np.float64)
            ours = engine_run(a.engine, model, x, tmp, a.device).astype(np.float64)
            if not np.isfinite(ours).all():
                failures.append(f'{image}: non-finite values in our output')
                continue
            # a float16 output holds half values
            if not np.array_equal(ours, ours.astype(np.float16).astype(np.float64)):
                failures.append(f'{image}: output values are not float16 values')
            print(f'{image}: error against the float32 model (onnxruntime), output0')
            for sec, rows in (('boxes (px)', slice(0, 4)), ('scores', slice(4, 84))):
                e16 = np.abs(y16[0, rows] - y32[0, rows])
                eus = np.abs(ours[0, rows] - y32[0, rows])
                d = np.abs(ours[0, rows] - y16[0, rows])
                print(f'  {sec:<10s} onnxruntime fp16: max {e16.max():.4g} mean {e16.mean():.3g}; '
                      f'ours: max {eus.max():.4g} mean {eus.mean():.3g}; '
                      f'ours vs onnxruntime fp16: max {d.max():.4g}')
                k = HALF_ERR_FACTOR if STORAGE else 1.0
                if eus.max() > k * e16.max() or eus.mean() > k * e16.mean():
                    failures.append(f'{image} {sec}: ours further from fp32 than {k:g} x '
                                    f'onnxruntime fp16 (max {eus.max():.4g} > {e16.max():.4g} '
                                    f'or mean {eus.mean():.3g} > {e16.mean():.3g})')
            match(f'{image} detections', detect(y16), detect(ours), y32, failures,
                  alt=detect(y32))
            match(f'{image} detections', detect(y32), detect(ours), y32, failures,
                  'float32 model')
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


SPECIAL = np.array([0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8001,
                    0x03ff, 0x0400, 0x7bff, 0xfbff, 0x3c00, 0x2e66, 0x3555,
                    0x0200, 0xc000], np.uint16).view(np.float16)


def check_small(a, failures):
    """A small float16 model: initializers in both of ONNX's float16 forms
    (raw_data; bit patterns in int32_data) holding zeros of both signs,
    +-inf, NaN, subnormals, the largest half; a float16 input and outputs;
    Cast float16 -> float32 -> (times 1/3 in float32) -> float16. The
    engine's outputs must be onnxruntime's bit for bit (NaN where NaN)."""
    from onnx import helper
    X = helper.make_tensor_value_info('X', TensorProto.FLOAT16, [1, 2, 16])
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT16, [1, 2, 16])
            for n in ('Y_raw', 'Y_raw_mul', 'Y_int32', 'Y_cast')]
    w = np.stack([SPECIAL, SPECIAL[::-1]])[None]
    w_raw = numpy_helper.from_array(w, 'W_raw')
    assert w_raw.HasField('raw_data')
    w_i32 = helper.make_tensor('W_int32', TensorProto.FLOAT16, [1, 2, 16],
                               w.view(np.uint16).astype(np.int32).ravel().tolist())
    assert len(w_i32.int32_data) == 32 and not w_i32.HasField('raw_data')
    third = numpy_helper.from_array(np.array(1 / 3, np.float32), 'third')
    # products keep the subnormals and infinities of both forms exact
    nodes = [helper.make_node('Add', ['X', 'W_raw'], ['Y_raw']),
             helper.make_node('Mul', ['X', 'W_raw'], ['Y_raw_mul']),
             helper.make_node('Mul', ['X', 'W_int32'], ['Y_int32']),
             helper.make_node('Cast', ['X'], ['X32'], to=TensorProto.FLOAT),
             helper.make_node('Mul', ['X32', 'third'], ['T']),
             helper.make_node('Cast', ['T'], ['Y_cast'], to=TensorProto.FLOAT16)]
    g = helper.make_graph(nodes, 'fp16', [X], outs, [w_raw, w_i32, third])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)])
    m.ir_version = 9
    onnx.checker.check_model(m)
    rng = np.random.default_rng(7)
    # float32 input: the engine must round it to half itself (ties too)
    x = rng.uniform(-4, 4, (1, 2, 16)).astype(np.float32)
    x[0, 0, :4] = [1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520.0, 2 ** -25]
    with np.errstate(over='ignore'):   # 65520 -> inf, as intended
        x16 = x.astype(np.float16)
    ref = session(m.SerializeToString()).run(None, {'X': x16})
    tmp = tempfile.mkdtemp(prefix='yolo-fp16-small-')
    try:
        path = os.path.join(tmp, 'fp16.onnx')
        onnx.save(m, path)
        x.astype('<f4').tofile(os.path.join(tmp, 'in.f32'))
        for i, r in enumerate(ref):
            cmd = parity_cli.run_command(a.engine, path, os.path.join(tmp, 'in.f32'),
                                         os.path.join(tmp, 'out.f32'), a.device,
                                         ['--output-index', str(i), *STORAGE])
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
            if p.returncode != 0:
                failures.append(f'small fp16 model: {" ".join(cmd)} failed: {p.stdout}{p.stderr}')
                continue
            got = np.fromfile(os.path.join(tmp, 'out.f32'), '<f4').reshape(1, 2, 16)
            g16 = got.astype(np.float16)
            same = (g16.view(np.uint16) == r.view(np.uint16)) | (np.isnan(g16) & np.isnan(r))
            exact = np.array_equal(got, g16.astype(np.float32), equal_nan=True)
            print(f'small fp16 model {outs[i].name}: {int(same.sum())} of {same.size} '
                  f'bit-equal to onnxruntime, values are halves: {exact}')
            if STORAGE and outs[i].name == 'Y_cast':
                with np.errstate(invalid='ignore'):
                    ulp = np.abs(got.astype(np.float64) - r.astype(np.float64)) / np.maximum(
                        np.spacing(np.abs(r)).astype(np.float64), 2.0 ** -24)
                with np.errstate(invalid='ignore'):
                    close = ((got == r.astype(np.float32)) | (ulp <= 1)
                             | (np.isnan(g16) & np.isnan(r)))
                print(f'  (half storage: {int(close.sum())} of {close.size} within one '
                      f'half ulp)')
                same = close
            if not same.all() or not exact:
                j = int(np.argmin(same.ravel()))
                failures.append(f'small fp16 model {outs[i].name}: element {j}: ours '
                                f'{got.ravel()[j]!r}, onnxruntime {r.ravel()[j]!r}')
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


def check_element(a, model, failures):
    m16 = onnx.load(model)
    s16 = session(m16.SerializeToString())
    s32 = session(fp32_twin(m16).SerializeToString())
    name = s16.get_inputs()[0].name
    sys.path.insert(0, os.path.join(a.data, 'reference'))
    from reference_detect import decode_bgr  # noqa: E402
    for image in a.images.split(','):
        image = set_conf(image)
        path = os.path.join(a.data, 'media', image)
        img = decode_bgr(path)   # the same GStreamer decode as the element
        H, W = img.shape[:2]
        canvas = letterbox(img, 640, True)
        r = min(640 / H, 640 / W)
        nw, nh = int(round(W * r)), int(round(H * r))
        px, py = int(round((640 - nw) / 2 - 0.1)), int(round((640 - nh) / 2 - 0.1))
        x = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
        y16 = s16.run(None, {name: np.ascontiguousarray(x).astype(np.float16)})[0]
        ref = detect(y16, (r, px, py, W, H))
        # the element's ROI metas are in whole pixels
        ref = [([math.floor(v + 0.5) for v in b], s, c, k) for b, s, c, k in ref]
        y32 = s32.run(None, {name: np.ascontiguousarray(x)})[0]
        fd, out = tempfile.mkstemp(suffix='.jsonl')
        os.close(fd)
        cmd = ['gst-launch-1.0', '-q', 'filesrc', 'location=' + path, '!', 'jpegdec', '!',
               'videoconvert', '!', 'video/x-raw,format=RGB', '!', 'yolodetect',
               'model=' + model, 'conf-threshold=%g' % CONF, '!', 'yolojson',
               'location=' + out, '!', 'fakesink']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        lines = open(out).read().splitlines()
        os.unlink(out)
        if p.returncode != 0 or len(lines) != 1:
            failures.append(f'{image}: {" ".join(cmd)} failed: {p.stdout}{p.stderr}')
            continue
        objs = json.loads(lines[0])['objects']
        got = [([o['x'], o['y'], o['x'] + o['w'], o['y'] + o['h']], o['confidence'],
                o['label_id'], -1) for o in objs]
        ref32 = [([math.floor(v + 0.5) for v in b], s, c, k)
                 for b, s, c, k in detect(y32, (r, px, py, W, H))]
        match(f'{image} yolodetect', ref, got, y32, failures, alt=ref32)


def main():
    ap = parity_cli.parser(__doc__)
    # zidane.jpg: the random weights score nothing above 0.25 there
    ap.add_argument('--images', default='bus.jpg,zidane.jpg@0.05')
    ap.add_argument('--element', action='store_true')
    ap.add_argument('--storage', choices=('float', 'half'), default=None,
                    help='engine option storage (default: the engine\'s auto)')
    a = ap.parse_args()
    global DCONF
    if a.storage:
        STORAGE[:] = ['--storage', a.storage]
    if a.storage == 'half':
        DCONF = HALF_DCONF
        print(f'half storage: error bar {HALF_ERR_FACTOR:g} x onnxruntime fp16\'s, '
              f'|dconf| <= {DCONF}')

    a.data = parity_cli.data_dir()
    model = os.path.join(a.data, 'models', 'zoo', 'yolo11n-fp16.onnx')
    if not os.path.exists(model):
        print(f'SKIP: {model} missing (set YOLO_TEST_DATA)')
        return SKIP
    failures = []
    if a.element:
        check_element(a, model, failures)
    else:
        status = parity_cli.engine_unusable(a.engine)
        if status is not None:
            return status
        p = subprocess.run([a.engine, 'info', model, '--json'], capture_output=True,
                           text=True, timeout=300)
        info = json.loads(p.stdout) if p.returncode == 0 else {}
        got = (info.get('precision'), [t['dtype'] for t in info.get('inputs', [])],
               [t['dtype'] for t in info.get('outputs', [])])
        print(f'yolo-engine info: precision, input and output dtypes: {got}')
        if got != ('fp16', ['float16'], ['float16']):
            failures.append(f'yolo-engine info --json: {got} ({p.stderr.strip()})')
        check_small(a, failures)
        check_engine(a, model, failures)
    for f in failures:
        print('FAIL: ' + f)
    print('ok' if not failures else f'{len(failures)} failure(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
