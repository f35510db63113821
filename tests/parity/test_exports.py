#!/usr/bin/env python3
"""Parity of the Ultralytics export options nms=True, batch=2 and dynamic=True
(../shared/models/zoo/) between our engine and onnxruntime (CPU).

usage: test_exports.py nms|nms-tail|batch|dynamic [--image bus.jpg]
       [--size N] [--conf C]

The image is letterboxed as in test_parity.py (same tensor for both sides).

  nms      yolo11n-nms.onnx: onnxruntime runs the graph's own NMS tail, the
           engine replaces it by its host NMS (plugin/engine/yolo-nms-tail.h).
           Output [1,300,6]: the same set of detections -- every reference
           row with a score matches a distinct engine row of the same class
           with box IoU >= 0.99 and |score diff| <= 1e-3, no extra engine
           rows, and the rows after the last detection are exactly zero.
           Only a detection whose score is within 1e-3 of the graph's conf
           threshold may be on one side only (fp32 sums in another order).
           --conf C first rewrites the graph's threshold (more candidates).
  nms-tail the tail of yolo11n-nms.onnx alone, fed a made-up [1,84,3000]
           pre-NMS tensor (integer boxes, duplicates, zero widths, scores on
           a 1/64 grid: many exact ties), as exported, with
           max_output_boxes_per_class 7 / IoU 0.5 / score_threshold 0.5, and
           class-agnostic: the outputs must be identical bit for bit.
  batch    yolo11n-batch2.onnx: onnxruntime on the batch [image, image],
           slot 0 of its [2,84,8400] output against the engine's [1,84,8400]
           (the engine rewrites the batch to 1).
  dynamic  yolo11n-dynamic.onnx at --size N (default 640): onnxruntime on a
           [1,3,N,N] tensor, the engine with `run --size NxN`.
  batch and dynamic use test_parity.py's ultralytics tolerances (boxes
  0.05 px, scores 1e-3, on every element).

Exit status: 0 pass, 1 mismatch or error, 77 (meson: skipped) when the
machine has no OpenCL device.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_cli  # noqa: E402
import test_parity as tp  # noqa: E402  (exits with a message without numpy/cv2/ort)

np = tp.np
ort = tp.ort

IOU_MIN = 0.99
SCORE_ATOL = 1e-3


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else 0.0


def nms_conf(model):
    """The graph's Greater constant (the export's conf)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(model)
    consts = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == 'Constant':
            consts[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
    for n in m.graph.node:
        if n.op_type == 'Greater' and n.input[1] in consts:
            return float(consts[n.input[1]].reshape(-1)[0])
    raise RuntimeError('no Greater with a constant threshold in ' + model)


def with_conf(model, conf, tmp):
    """A copy of the nms=True model with its Greater threshold set to conf
    (more candidates: more NMS work to compare)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(model)
    names = {n.input[1] for n in m.graph.node if n.op_type == 'Greater'}
    done = 0
    for init in m.graph.initializer:
        if init.name in names:
            init.CopyFrom(numpy_helper.from_array(np.array(conf, np.float32).reshape(
                numpy_helper.to_array(init).shape), init.name))
            done += 1
    for n in m.graph.node:
        if n.op_type == 'Constant' and n.output[0] in names:
            t = n.attribute[0].t
            t.CopyFrom(numpy_helper.from_array(np.array(conf, np.float32).reshape(
                numpy_helper.to_array(t).shape), t.name))
            done += 1
    if done != 1:
        raise RuntimeError(f'{model}: {done} Greater thresholds found, expected 1')
    path = os.path.join(tmp, f'nms-conf{conf:g}.onnx')
    onnx.save(m, path)
    return path


def synthetic_tail(model, n, tmp, variant):
    """The nms=True model's NMS tail alone, fed by a graph input x
    [1,84,n] (through a Mul by 1, so that the tail reads a computed
    tensor). variant 'cap': NonMaxSuppression gets max_output_boxes_per_class
    7, iou_threshold 0.5 and a score_threshold 0.5; 'agnostic': no class
    offset on the NMS boxes."""
    import onnx
    from onnx import helper, numpy_helper, TensorProto
    m = onnx.load(model)
    g = m.graph
    tr = [k for k, nd in enumerate(g.node) if nd.op_type == 'Transpose' and
          list(onnx.helper.get_attribute_value(nd.attribute[0])) == [0, 2, 1]]
    start = tr[-1]
    pre = g.node[start].input[0]
    live = {pre}
    tail = []
    for nd in g.node[start:]:
        if nd.op_type != 'Constant' and any(i in live for i in nd.input):
            tail.append(nd)
            live.update(nd.output)
    used = {i for nd in tail for i in nd.input}
    consts = [nd for nd in g.node if nd.op_type == 'Constant' and nd.output[0] in used]
    inits = [i for i in g.initializer if i.name in used]
    extra = [numpy_helper.from_array(np.array([1.0], np.float32), 'one')]
    prod = {o: nd for nd in tail for o in nd.output}
    if variant == 'agnostic':
        # NMS on the normalised boxes without the class offset: what an
        # agnostic_nms=True export computes
        nms = [nd for nd in tail if nd.op_type == 'NonMaxSuppression'][0]
        u = prod[nms.input[0]]
        add = prod[u.input[0]]
        assert u.op_type == 'Unsqueeze' and add.op_type == 'Add'
        u.input[0] = [i for i in add.input if i in prod and prod[i].op_type == 'Slice'][0]
    if variant in ('cap-huge', 'cap-float'):
        # max_output_boxes_per_class 10^9 (int64, the reference) or 1e30 as a
        # float constant (a hostile file: an undefined cast to int64): the
        # same output, no cap
        big = (np.array([10 ** 9], np.int64) if variant == 'cap-huge'
               else np.array([1e30], np.float32))
        for nd in tail:
            if nd.op_type == 'NonMaxSuppression':
                extra += [numpy_helper.from_array(big, 'cap_max'),
                          numpy_helper.from_array(np.array([0.5], np.float32), 'cap_iou')]
                del nd.input[2:]
                nd.input.extend(['cap_max', 'cap_iou'])
    if variant == 'cap':
        for nd in tail:
            if nd.op_type == 'NonMaxSuppression':
                extra += [numpy_helper.from_array(np.array([7], np.int64), 'cap_max'),
                          numpy_helper.from_array(np.array([0.5], np.float32), 'cap_iou'),
                          numpy_helper.from_array(np.array([0.5], np.float32), 'cap_score')]
                del nd.input[2:]
                nd.input.extend(['cap_max', 'cap_iou', 'cap_score'])
    graph = helper.make_graph(
        [helper.make_node('Mul', ['x', 'one'], [pre], name='feed')] + consts + tail,
        'nms-tail', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 84, n])],
        list(g.output), inits + extra)
    out = helper.make_model(graph, opset_imports=list(m.opset_import))
    out.ir_version = m.ir_version
    path = os.path.join(tmp, f'nms-tail-{variant}.onnx')
    onnx.save(out, path)
    return path


def synthetic_input(n, seed):
    """Pre-NMS tensor [1,84,n] made to stress NMS: boxes on an integer grid
    around a few centres (exact duplicates, exact IoU values), some of zero
    width, scores on a 1/64 grid (many exact ties, across anchors and across
    classes of one anchor), four busy classes."""
    rng = np.random.default_rng(seed)
    x = np.zeros((1, 84, n), np.float32)
    centres = rng.integers(40, 600, size=(12, 2))
    c = centres[rng.integers(0, len(centres), n)] + rng.integers(-6, 7, size=(n, 2))
    wh = rng.integers(4, 80, size=(n, 2))
    wh[rng.random(n) < 0.03, 0] = 0
    x[0, 0], x[0, 1] = c[:, 0] - wh[:, 0] // 2, c[:, 1] - wh[:, 1] // 2
    x[0, 2], x[0, 3] = x[0, 0] + wh[:, 0], x[0, 1] + wh[:, 1]
    dup = rng.random(n) < 0.05
    x[0, :4, dup] = x[0, :4, 0][:, None].T
    scores = np.floor(rng.random((80, n)) ** 8 * 64) / 64
    busy = rng.integers(0, 80, 4)
    scores[busy] = np.floor(rng.random((4, n)) * 64) / 64
    x[0, 4:] = scores
    return x


def check_synthetic(a, model, engine):
    n = 3000
    tmp = tempfile.mkdtemp(prefix='yolo-exports-tail-')
    try:
        fails = []
        for variant in ('export', 'cap', 'agnostic', 'cap-float'):
            path = synthetic_tail(model, n, tmp, variant)
            # onnxruntime takes no float max_output_boxes_per_class
            ref_path = (synthetic_tail(model, n, tmp, 'cap-huge')
                        if variant == 'cap-float' else path)
            sess = ort.InferenceSession(ref_path, providers=['CPUExecutionProvider'])
            for seed in (1, 2):
                x = synthetic_input(n, seed)
                ref = sess.run(None, {'x': x})[0]
                got = run_engine(engine, path, x, [], a.device).reshape(ref.shape)
                nr = int((ref[0, :, 4] > 0).sum())
                same = np.array_equal(ref, got)
                print(f'  {variant} seed {seed}: onnxruntime {nr} detections, '
                      f'engine {int((got[0, :, 4] > 0).sum())}: '
                      f'{"identical" if same else "DIFFERENT"}')
                if not same:
                    k = int(np.argmax((ref != got).any(axis=2)[0]))
                    fails.append(f'{variant} seed {seed}: first different row {k}: '
                                 f'onnxruntime {ref[0, k].tolist()}, engine {got[0, k].tolist()}')
                if nr < 5:
                    fails.append(f'{variant} seed {seed}: only {nr} detections: tests little')
        return fails
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare_nms(ref, got, conf):
    """Detections of [1,K,6] outputs as sets; returns a list of failures."""
    fails = []
    ref = ref.reshape(-1, 6).astype(np.float64)
    got = got.reshape(-1, 6).astype(np.float64)
    if not np.isfinite(got).all():
        return ['engine output has non-finite values']
    nr = int((ref[:, 4] > 0).sum())
    ng = int((got[:, 4] > 0).sum())
    if (ref[nr:] != 0).any():
        fails.append('reference padding rows are not zero (unexpected export)')
    if (got[ng:] != 0).any():
        fails.append(f'engine rows after its {ng} detections are not all zero')
    used = np.zeros(ng, bool)
    worst_iou, worst_ds = 1.0, 0.0
    for i in range(nr):
        best = None
        for j in range(ng):
            if used[j] or int(round(got[j, 5])) != int(round(ref[i, 5])):
                continue
            v = iou(ref[i, :4], got[j, :4])
            ds = abs(ref[i, 4] - got[j, 4])
            if v >= IOU_MIN and ds <= SCORE_ATOL and (best is None or v > best[1]):
                best = (j, v, ds)
        if best is None:
            if ref[i, 4] <= conf + SCORE_ATOL:
                print(f'  reference row {i} (score {ref[i, 4]:.5f}) at the conf threshold: '
                      'allowed on one side only')
                continue
            fails.append(f'reference row {i} class {int(ref[i, 5])} score {ref[i, 4]:.4f} '
                         f'box {np.round(ref[i, :4], 2).tolist()}: no engine detection matches')
            continue
        used[best[0]] = True
        worst_iou = min(worst_iou, best[1])
        worst_ds = max(worst_ds, best[2])
    for j in np.where(~used)[0]:
        if got[j, 4] <= conf + SCORE_ATOL:
            continue
        fails.append(f'engine row {j} class {int(got[j, 5])} score {got[j, 4]:.4f} '
                     f'box {np.round(got[j, :4], 2).tolist()} is not in the reference')
    print(f'  detections: onnxruntime {nr}, engine {ng}, matched {int(used.sum())}; '
          f'worst box IoU {worst_iou:.5f} (>= {IOU_MIN}), worst |score diff| {worst_ds:.2g} '
          f'(<= {SCORE_ATOL})')
    if nr == 0:
        fails.append('the reference has no detection: the test would not test anything')
    return fails


def run_engine(engine, model, x, extra, device):
    tmp = tempfile.mkdtemp(prefix='yolo-exports-')
    try:
        inp = os.path.join(tmp, 'IN.f32')
        out = os.path.join(tmp, 'OUT.f32')
        x.tofile(inp)
        cmd = parity_cli.run_command(engine, model, inp, out, device, extra)
        print('$ ' + ' '.join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.stdout.strip() or p.stderr.strip():
            print((p.stdout + p.stderr).rstrip())
        if p.returncode != 0 or not os.path.exists(out):
            raise RuntimeError(f'yolo-engine run exited with status {p.returncode}')
        return np.fromfile(out, np.float32)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = parity_cli.parser(__doc__)
    ap.add_argument('which', choices=['nms', 'nms-tail', 'batch', 'dynamic'])
    ap.add_argument('--image', default='bus.jpg')
    ap.add_argument('--size', type=int, default=640)
    ap.add_argument('--conf', type=float, help='nms: rewrite the graph\'s conf threshold first')
    a = ap.parse_args()

    data = parity_cli.data_dir()
    model = os.path.join(data, 'models', 'zoo', {'nms': 'yolo11n-nms.onnx', 'nms-tail': 'yolo11n-nms.onnx',
                                                 'batch': 'yolo11n-batch2.onnx',
                                                 'dynamic': 'yolo11n-dynamic.onnx'}[a.which])
    image = a.image if os.sep in a.image else os.path.join(data, 'media', a.image)
    engine = a.engine
    status = parity_cli.files_missing(model, image) or parity_cli.engine_unusable(engine)
    if status is not None:
        return status

    keep = tempfile.mkdtemp(prefix='yolo-exports-model-')
    try:
        if a.conf is not None:
            model = with_conf(model, a.conf, keep)
        return check(a, model, image, engine)
    finally:
        shutil.rmtree(keep, ignore_errors=True)


def check(a, model, image, engine):
    if a.which == 'nms-tail':
        return parity_cli.verdict(
            check_synthetic(a, model, engine),
            'FAIL: the engine\'s NMS differs from the graph\'s tail in onnxruntime:',
            'PASS: the NMS tail alone: engine and onnxruntime outputs are identical')
    S = a.size if a.which == 'dynamic' else 640
    x = tp.make_input(image, 'ultralytics', [1, 3, S, S])
    sess = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    name = sess.get_inputs()[0].name
    print(f'{os.path.basename(model)} on {os.path.basename(image)}, input {list(x.shape)}')
    extra = []
    if a.which == 'batch':
        ref = sess.run(None, {name: np.concatenate([x, x])})[0][:1]
    else:
        ref = sess.run(None, {name: x})[0]
        if a.which == 'dynamic':
            extra = ['--size', f'{S}x{S}']
    ref = ref.astype(np.float32)
    try:
        got = run_engine(engine, model, x, extra, a.device)
    except RuntimeError as e:
        print(f'FAIL: {e}')
        return 1
    if got.size != ref.size:
        print(f'FAIL: engine output has {got.size} floats, the reference {list(ref.shape)}')
        return 1
    got = got.reshape(ref.shape)
    if a.which == 'nms':
        fails = compare_nms(ref, got, nms_conf(model))
    else:
        fails = tp.compare('ultralytics', ref, got)
    return parity_cli.verdict(fails, f'FAIL: {a.which} export differs from onnxruntime:',
                              f'PASS: {os.path.basename(model)} ({a.which}, {S}, '
                              f'{os.path.basename(image)}) matches onnxruntime')


if __name__ == '__main__':
    sys.exit(main())
