#!/usr/bin/env python3
"""Whole-model parity: our OpenCL engine against onnxruntime (CPU) on a real image.

usage: test_parity.py MODEL [--image bus.jpg] [--device SPEC] [--keep DIR]

MODEL is a name from $YOLO_TEST_DATA/models without .onnx (yolov8n-640,
yolov8n-320, yolo11n-640, yolo11n-320, yolo26n-640, yolov5n-640,
yolox-nano-416) or a path to an .onnx file (then --family is needed unless
the name starts like one of those).

The image ($YOLO_TEST_DATA/media/IMAGE) is letterboxed as in
reference/reference_detect.py (decoded with OpenCV here: both sides see the
same tensor, so the decoder does not matter). The tensor is written to IN.f32,
onnxruntime (CPUExecutionProvider) computes output 0, and
`$YOLO_ENGINE run MODEL --input IN.f32 --output OUT.f32` computes ours.
ALL of output 0 is compared:

  ultralytics [1,4+nc,N]  rows 0-3 (cx,cy,w,h, input pixels)  |err| <= 0.05 px
                          rows 4.. (class scores, sigmoid)    |err| <= 1e-3
  yolov5      [1,N,5+nc]  cols 0-3 boxes                      |err| <= 0.05 px
                          cols 4.. objectness, class scores   |err| <= 1e-3
  yolox       [1,N,5+nc]  cols 0-3 raw grid offsets / log w,h |err| <= 2e-3
                          cols 4.. objectness, class scores   |err| <= 1e-3
  end2end     [1,K,6]     rows are detections sorted by score; rows with
                          near-equal scores may swap, so every reference row
                          with score > 0.01 must match a distinct engine row
                          of the same class with box |err| <= 0.05 px and
                          score |err| <= 1e-3; the confident rows (> 0.25)
                          must sit at the same index unless their score ties
                          a neighbour's; and the engine may not have extra
                          rows scoring above 0.01 + 1e-3.

fp32 convolutions summed in another order differ by ~1e-3..1e-2 px on boxes
and ~1e-5 on scores; the tolerances above leave room for that and nothing else.

Exit status: 0 pass, 1 mismatch or error, 77 (meson: skipped) only when the
machine has no OpenCL device at all.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import parity_cli

try:
    import numpy as np
    import cv2
    import onnxruntime as ort
except ImportError as e:
    print(f'FAIL: {sys.executable} cannot import {e.name}: install the test '
          'requirements with scripts/install-deps.sh (onnxruntime, numpy, '
          'opencv-python-headless)', file=sys.stderr)
    sys.exit(1)

BOX_ATOL = 0.05      # input pixels
SCORE_ATOL = 1e-3    # probabilities
YOLOX_RAW_ATOL = 2e-3  # raw offsets and log sizes (exp-encoded w/h)
E2E_MIN_SCORE = 0.01
E2E_CONFIDENT = 0.25

FAMILIES = {
    'yolov8n': 'ultralytics', 'yolo11n': 'ultralytics', 'yolo26n': 'end2end',
    'yolov5n': 'yolov5', 'yolox': 'yolox',
}


def family_of(name):
    for prefix, fam in FAMILIES.items():
        if os.path.basename(name).startswith(prefix):
            return fam
    return None


def letterbox(img, S, centered):
    """Same arithmetic as reference_detect.py."""
    H, W = img.shape[:2]
    r = min(S / H, S / W)
    nw, nh = int(round(W * r)), int(round(H * r))
    if centered:
        px, py = int(round((S - nw) / 2 - 0.1)), int(round((S - nh) / 2 - 0.1))
    else:
        nw, nh = int(W * r), int(H * r)
        px = py = 0
    canvas = np.full((S, S, 3), 114, np.uint8)
    canvas[py:py + nh, px:px + nw] = cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR)
    return canvas


def make_input(image_path, family, shape):
    img = cv2.imread(image_path, cv2.IMREAD_COLOR)  # BGR
    if img is None:
        raise RuntimeError(f'cannot read image {image_path}')
    S = shape[2]
    if shape[2] != shape[3]:
        raise RuntimeError(f'non-square input {shape} not supported here')
    if family == 'yolox':
        x = letterbox(img, S, False).transpose(2, 0, 1)[None].astype(np.float32)
    else:
        x = letterbox(img, S, True)[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(x)


class Report:
    def __init__(self):
        self.failures = []

    def section(self, name, ref, got, atol):
        """Compare two arrays elementwise; print the max error and where it is."""
        ref = np.asarray(ref, np.float64)
        got = np.asarray(got, np.float64)
        err = np.abs(ref - got)
        bad = ~np.isfinite(got) | (err > atol)
        if err.size == 0:
            print(f'  {name:<28s} empty')
            return
        i = np.unravel_index(np.nanargmax(np.where(np.isfinite(err), err, np.inf)), err.shape)
        nbad = int(bad.sum())
        status = 'ok' if nbad == 0 else f'FAIL ({nbad} of {err.size} over {atol:g})'
        print(f'  {name:<28s} max|err| {err[i]:.3g} at {tuple(int(v) for v in i)} '
              f'(ref {ref[i]:.6g}, got {got[i]:.6g}), mean {np.nanmean(err):.2g}, atol {atol:g}: {status}')
        if nbad:
            self.failures.append(f'{name}: {nbad} of {err.size} elements differ by more than {atol:g} '
                                 f'(max {err[i]:.4g} at {tuple(int(v) for v in i)})')

    def fail(self, msg):
        print('  ' + msg)
        self.failures.append(msg)


def compare_end2end(rep, ref, got):
    ref = ref.reshape(-1, ref.shape[-1]).astype(np.float64)
    got = got.reshape(-1, got.shape[-1]).astype(np.float64)
    if not np.isfinite(got).all():
        rep.fail(f'end2end: {int((~np.isfinite(got)).sum())} non-finite values in engine output')
        return
    ref[:, 5] = np.rint(ref[:, 5])  # class ids are whole numbers stored as float
    got[:, 5] = np.rint(got[:, 5])
    # rows near the TopK cut-off may be replaced by other near-equal ones
    floor = max(E2E_MIN_SCORE, float(ref[:, 4].min()) + SCORE_ATOL)
    want = [i for i in range(len(ref)) if ref[i, 4] > floor]
    used = np.zeros(len(got), bool)
    box_err = []
    score_err = []
    unmatched = []
    for i in want:
        cand = np.where(~used & (got[:, 5] == ref[i, 5]))[0]
        if cand.size:
            be = np.abs(got[cand, :4] - ref[i, :4]).max(1)
            se = np.abs(got[cand, 4] - ref[i, 4])
            ok = cand[(be <= BOX_ATOL) & (se <= SCORE_ATOL)]
            if ok.size:
                # closest candidate, preferring the same index
                j = ok[np.argmin(np.abs(got[ok, :4] - ref[i, :4]).max(1) + (ok != i) * 1e-9)]
                used[j] = True
                box_err.append(np.abs(got[j, :4] - ref[i, :4]).max())
                score_err.append(abs(got[j, 4] - ref[i, 4]))
                continue
        unmatched.append(i)
    print(f'  detections with score > {floor:.4g}: {len(want)} reference rows, '
          f'{len(want) - len(unmatched)} matched')
    if box_err:
        print(f'  matched box max|err| {max(box_err):.3g} px (atol {BOX_ATOL:g}), '
              f'score max|err| {max(score_err):.3g} (atol {SCORE_ATOL:g})')
    for i in unmatched[:10]:
        j = int(np.argmin(np.abs(got[:, :4] - ref[i, :4]).max(1)))
        rep.fail(f'end2end: reference row {i} (class {int(ref[i, 5])}, score {ref[i, 4]:.4f}, '
                 f'box {np.round(ref[i, :4], 2).tolist()}) has no engine match; closest engine row {j}: '
                 f'class {int(got[j, 5])}, score {got[j, 4]:.4f}, box {np.round(got[j, :4], 2).tolist()}')
    if len(unmatched) > 10:
        rep.fail(f'end2end: ... {len(unmatched) - 10} more unmatched reference rows')
    extra = np.where(~used & (got[:, 4] > floor + SCORE_ATOL))[0]
    for j in extra[:10]:
        rep.fail(f'end2end: engine row {j} (class {int(got[j, 5])}, score {got[j, 4]:.4f}, '
                 f'box {np.round(got[j, :4], 2).tolist()}) is not in the reference')
    # the confident head of the list must be in the same order, bar near-ties
    s = ref[:, 4]
    for i in range(len(ref)):
        if s[i] <= E2E_CONFIDENT:
            break
        tie = (i > 0 and s[i - 1] - s[i] < 2 * SCORE_ATOL) or \
              (i + 1 < len(s) and s[i] - s[i + 1] < 2 * SCORE_ATOL)
        same = got[i, 5] == ref[i, 5] and np.abs(got[i, :4] - ref[i, :4]).max() <= BOX_ATOL \
            and abs(got[i, 4] - ref[i, 4]) <= SCORE_ATOL
        if not same and not tie:
            rep.fail(f'end2end: row {i} differs: reference class {int(ref[i, 5])} score {ref[i, 4]:.4f} '
                     f'box {np.round(ref[i, :4], 2).tolist()}, engine class {int(got[i, 5])} '
                     f'score {got[i, 4]:.4f} box {np.round(got[i, :4], 2).tolist()}')
    ntop = int((s > E2E_CONFIDENT).sum())
    print(f'  top rows (score > {E2E_CONFIDENT}): {ntop} checked in order')


def compare(family, ref, got):
    rep = Report()
    if family == 'ultralytics':
        r, g = ref[0], got[0]
        rep.section('boxes cx,cy,w,h (px)', r[:4], g[:4], BOX_ATOL)
        rep.section('class scores', r[4:], g[4:], SCORE_ATOL)
    elif family == 'yolov5':
        r, g = ref[0], got[0]
        rep.section('boxes cx,cy,w,h (px)', r[:, :4], g[:, :4], BOX_ATOL)
        rep.section('objectness', r[:, 4], g[:, 4], SCORE_ATOL)
        rep.section('class scores', r[:, 5:], g[:, 5:], SCORE_ATOL)
    elif family == 'yolox':
        r, g = ref[0], got[0]
        rep.section('raw x,y offsets', r[:, :2], g[:, :2], YOLOX_RAW_ATOL)
        rep.section('raw log w,h', r[:, 2:4], g[:, 2:4], YOLOX_RAW_ATOL)
        rep.section('objectness', r[:, 4], g[:, 4], SCORE_ATOL)
        rep.section('class scores', r[:, 5:], g[:, 5:], SCORE_ATOL)
    elif family == 'end2end':
        compare_end2end(rep, ref, got)
    else:
        rep.fail(f'unknown family {family}')
    return rep.failures


def main():
    ap = parity_cli.parser(__doc__)
    ap.add_argument('model', help='model name in $YOLO_TEST_DATA/models (no .onnx) or a path')
    ap.add_argument('--image', default='bus.jpg', help='image in $YOLO_TEST_DATA/media or a path')
    ap.add_argument('--family', choices=['ultralytics', 'end2end', 'yolov5', 'yolox'])
    ap.add_argument('--keep', metavar='DIR', help='keep IN.f32, OUT.f32 and REF.f32 in DIR')
    a = ap.parse_args()

    data = parity_cli.data_dir()
    model = a.model if a.model.endswith('.onnx') else os.path.join(data, 'models', a.model + '.onnx')
    image = a.image if os.sep in a.image else os.path.join(data, 'media', a.image)
    family = a.family or family_of(model)
    if not family:
        print(f'FAIL: cannot tell the head family of {model}; pass --family', file=sys.stderr)
        return 1
    engine = a.engine
    status = parity_cli.files_missing(model, image) or parity_cli.engine_unusable(engine)
    if status is not None:
        return status

    print(f'model {os.path.basename(model)} ({family}), image {os.path.basename(image)}')
    sess = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    inp = sess.get_inputs()[0]
    x = make_input(image, family, inp.shape)
    t0 = time.perf_counter()
    ref = sess.run(None, {inp.name: x})[0].astype(np.float32)
    t_ort = time.perf_counter() - t0
    print(f'input {list(x.shape)}, onnxruntime output 0 {list(ref.shape)} in {t_ort * 1000:.0f} ms')

    tmp = a.keep or tempfile.mkdtemp(prefix='yolo-parity-')
    os.makedirs(tmp, exist_ok=True)
    try:
        in_path = os.path.join(tmp, 'IN.f32')
        out_path = os.path.join(tmp, 'OUT.f32')
        x.tofile(in_path)
        if a.keep:
            ref.tofile(os.path.join(tmp, 'REF.f32'))
        if os.path.exists(out_path):
            os.unlink(out_path)
        cmd = parity_cli.run_command(engine, model, in_path, out_path, a.device)
        print('$ ' + ' '.join(cmd), flush=True)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        t_eng = time.perf_counter() - t0
        if p.stdout.strip():
            print(p.stdout.rstrip())
        if p.stderr.strip():
            print(p.stderr.rstrip())
        if p.returncode != 0:
            print(f'FAIL: yolo-engine run exited with status {p.returncode}')
            return 1
        print(f'yolo-engine run took {t_eng * 1000:.0f} ms (process, including model load and kernel build)')
        if not os.path.exists(out_path):
            print(f'FAIL: yolo-engine did not write {out_path}')
            return 1
        got = np.fromfile(out_path, np.float32)
        if got.size != ref.size:
            print(f'FAIL: engine output has {got.size} floats, onnxruntime output 0 {list(ref.shape)} has {ref.size}')
            return 1
        got = got.reshape(ref.shape)
        failures = compare(family, ref, got)
    finally:
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    name = f'{os.path.basename(model)} on {os.path.basename(image)}'
    return parity_cli.verdict(failures, f'FAIL: {name}: engine output 0 differs from onnxruntime:',
                              f'PASS: {name} matches onnxruntime')


if __name__ == '__main__':
    sys.exit(main())
