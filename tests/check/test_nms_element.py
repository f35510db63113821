#!/usr/bin/env python3
"""yolodetect on an nms=True export (models/zoo/yolo11n-nms.onnx) against a
numpy decoding of onnxruntime's [1,300,6] output (the graph's own NMS).

The image is decoded with OpenCV and written as a PNG, so the element gets
RGB frames (pngdec) and letterboxes exactly the tensor OpenCV's letterbox
gives onnxruntime (test_parity.make_input). The reference keeps the rows
with score > 0.25 (the element's default conf-threshold), maps the boxes
from input to frame pixels (undoing the letterbox) and clips them to the
frame. The element's detections (pipelines/detections.py --json, run with
/usr/bin/python3 for PyGObject) must be the same set: same class, box IoU
>= 0.99, |score diff| <= 1e-3 (only a detection within 1e-3 of 0.25 may be
on one side only).

usage: test_nms_element.py DETECTIONS_PY [--image bus.jpg] [--conf 0.25]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'parity'))
import test_parity as tp  # noqa: E402
import test_exports as te  # noqa: E402

np, cv2, ort = tp.np, tp.cv2, tp.ort


def reference(model, img_bgr, conf):
    H, W = img_bgr.shape[:2]
    S = 640
    lb = tp.letterbox(img_bgr, S, True)  # as test_parity.make_input
    x = np.ascontiguousarray(lb[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0)
    sess = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    out = sess.run(None, {sess.get_inputs()[0].name: x})[0].reshape(-1, 6)
    r = min(S / H, S / W)
    nw, nh = int(round(W * r)), int(round(H * r))
    px, py = int(round((S - nw) / 2 - 0.1)), int(round((S - nh) / 2 - 0.1))
    dets = []
    for row in out:
        if not row[4] > conf:
            continue
        b = [(row[0] - px) / r, (row[1] - py) / r, (row[2] - px) / r, (row[3] - py) / r]
        b = [min(max(b[0], 0), W), min(max(b[1], 0), H), min(max(b[2], 0), W), min(max(b[3], 0), H)]
        dets.append((int(round(row[5])), float(row[4]), b))
    return dets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('detections_py')
    ap.add_argument('--image', default='bus.jpg')
    ap.add_argument('--conf', type=float, default=0.25)
    a = ap.parse_args()
    data = os.environ.get('YOLO_TEST_DATA', '')
    model = os.path.join(data, 'models', 'zoo', 'yolo11n-nms.onnx')
    image = os.path.join(data, 'media', a.image)
    if not (os.path.exists(model) and os.path.exists(image)):
        print(f'SKIP: {model} or {image} missing')
        return 77
    gi_python = '/usr/bin/python3'
    if subprocess.run([gi_python, '-c', 'import gi'], capture_output=True).returncode != 0:
        print('SKIP: /usr/bin/python3 has no PyGObject')
        return 77
    img = cv2.imread(image, cv2.IMREAD_COLOR)
    ref = reference(model, img, a.conf)
    tmp = tempfile.mkdtemp(prefix='yolo-nms-element-')
    try:
        png = os.path.join(tmp, 'frame.png')
        cv2.imwrite(png, img)
        cmd = [gi_python, a.detections_py, png, '--model', model, '--json',
               '--prop', f'conf-threshold={a.conf}']
        print('$ ' + ' '.join(cmd), flush=True)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        sys.stderr.write(p.stderr)
        if p.returncode != 0:
            print(f'FAIL: detections.py exited with {p.returncode}')
            return 1
        frames = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if len(frames) != 1:
        print(f'FAIL: {len(frames)} frames, expected 1')
        return 1
    got = [(d['label_id'], d['confidence'], d['box']) for d in frames[0]['detections']]
    fails = []
    used = [False] * len(got)
    worst = 1.0
    for c, s, b in ref:
        best = None
        for j, (gc, gs, gb) in enumerate(got):
            v = te.iou(b, gb)
            if not used[j] and gc == c and abs(gs - s) <= te.SCORE_ATOL and v >= te.IOU_MIN \
                    and (best is None or v > best[1]):
                best = (j, v)
        if best is None:
            if s > a.conf + te.SCORE_ATOL:
                fails.append(f'reference class {c} score {s:.4f} box {np.round(b, 1).tolist()}: '
                             'not attached by yolodetect')
            continue
        used[best[0]] = True
        worst = min(worst, best[1])
    for j, (gc, gs, gb) in enumerate(got):
        if not used[j] and gs > a.conf + te.SCORE_ATOL:
            fails.append(f'yolodetect class {gc} score {gs:.4f} box {np.round(gb, 1).tolist()}: '
                         'not in the reference')
    print(f'reference {len(ref)} detections, yolodetect {len(got)}, matched {sum(used)}, '
          f'worst IoU {worst:.4f}')
    if not ref:
        fails.append('no reference detection: the test would test nothing')
    if fails:
        print('FAIL:\n  - ' + '\n  - '.join(fails))
        return 1
    print('PASS: yolodetect on the nms=True export matches onnxruntime')
    return 0


if __name__ == '__main__':
    sys.exit(main())
