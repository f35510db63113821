#!/usr/bin/env python3
"""yolodetect with an int8 model (onnxruntime quantize_dynamic) on an image:
the element's detections against onnxruntime's on the same file.

usage: test_int8_element.py DETECTIONS_PY SYSTEM_PYTHON MODEL IMAGE
                            [--qdq CACHE_DIR]

--qdq: MODEL is an fp32 model of $YOLO_TEST_DATA/models, quantised
statically (QDQ) by test_int8.py's make_qdq into CACHE_DIR (cached).

Runs pipelines/detections.py (PyGObject, SYSTEM_PYTHON) with
--model $YOLO_TEST_DATA/models/quantized/MODEL.onnx on
$YOLO_TEST_DATA/media/IMAGE, and onnxruntime on the letterboxed image
(tests/parity: OpenCV decode and resize; the element decodes with GStreamer
and letterboxes on the device, so its input differs by a few grey levels).
An int8 model amplifies that: one grey level moves some objects' scores by
0.3 (yolo26n-int8 on bus.jpg). So onnxruntime also runs on JITTER_RUNS
copies of its input with +-1 grey level of random noise; an object whose
detection those runs do not all reproduce (same class, IoU >= 0.8,
|dconf| <= 0.05) is unstable and exempt. Every stable onnxruntime
detection (conf > 0.25 + 0.05) must be found by the element with the same
class, IoU >= 0.8 and |dconf| <= 0.05; every element detection above 0.30
must sit (same class, IoU >= 0.8) on a detection of one of the onnxruntime
runs. Boxes are clipped to the frame as the element clips them. Looser
than test_int8.py, which feeds both the very same tensor.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'parity'))
import test_parity as tp  # noqa: E402
import test_int8 as ti  # noqa: E402

np, cv2, ort = tp.np, tp.cv2, tp.ort
IOU, DCONF, MARGIN = 0.8, 0.05, 0.05
JITTER_RUNS = 4


def main():
    script, system_python, model_name, image_name = sys.argv[1:5]
    data = os.environ.get('YOLO_TEST_DATA', '')
    qdq = sys.argv[6] if len(sys.argv) > 6 and sys.argv[5] == '--qdq' else None
    model = os.path.join(data, 'models', '' if qdq else 'quantized', model_name + '.onnx')
    image = os.path.join(data, 'media', image_name)
    if not os.path.exists(model) or not os.path.exists(image):
        print('YOLO_TEST_DATA missing: skipped')
        return 77
    if qdq:
        model = ti.make_qdq(model, qdq, False, data)
    family = tp.family_of(model)

    p = subprocess.run([system_python, script, image, '--model', model, '--json'],
                       capture_output=True, text=True, timeout=300)
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        print(f'FAIL: detections.py exited with {p.returncode}')
        return 1
    frames = [json.loads(line) for line in p.stdout.splitlines() if line]
    if len(frames) != 1:
        print(f'FAIL: expected one frame, got {len(frames)}')
        return 1
    got = [tuple(d['box']) + (d['confidence'], d['label_id']) for d in frames[0]['detections']]

    img = cv2.imread(image, cv2.IMREAD_COLOR)
    H, W = img.shape[:2]
    sess = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    inp = sess.get_inputs()[0]
    S = inp.shape[2]
    x = tp.make_input(image, family, inp.shape)
    out = sess.run(None, {inp.name: x})[0]
    r = min(S / H, S / W)
    px = int(round((S - int(round(W * r))) / 2 - 0.1))
    py = int(round((S - int(round(H * r))) / 2 - 0.1))

    def to_frame(out):
        return [(min(max((d[0] - px) / r, 0), W), min(max((d[1] - py) / r, 0), H),
                 min(max((d[2] - px) / r, 0), W), min(max((d[3] - py) / r, 0), H), d[4], d[5])
                for d in ti.detections(family, out)]

    def partner(d, dets, dconf=DCONF):
        return [j for j, e in enumerate(dets) if e[5] == d[5] and ti.iou(d, e) >= IOU
                and abs(e[4] - d[4]) <= dconf]

    ref = to_frame(out)
    rng = np.random.default_rng(1)
    jit = []
    for _ in range(JITTER_RUNS):
        xj = np.clip(x + rng.integers(-1, 2, x.shape) / 255.0 * (255.0 if family == 'yolox' else 1.0),
                     0, 255.0 if family == 'yolox' else 1.0).astype(np.float32)
        jit.append(to_frame(sess.run(None, {inp.name: xj})[0]))
    unstable = [d for d in ref if any(not partner(d, dj) for dj in jit)]

    fails = []
    used = set()
    for d in ref:
        ok = [j for j, e in enumerate(got) if j not in used and e[5] == d[5]
              and ti.iou(d, e) >= IOU and abs(e[4] - d[4]) <= DCONF]
        print('  ort    ' + ti.fmt(d) + ('  -> element ' + ti.fmt(got[ok[0]]) if ok else ''))
        if ok:
            used.add(ok[0])
        elif d in unstable:
            print('    unstable in onnxruntime under +-1 grey level (exempt)')
        elif d[4] > ti.CONF + MARGIN:
            fails.append('onnxruntime detection not found by the element: ' + ti.fmt(d))
    for j, e in enumerate(got):
        if j not in used and e[4] > ti.CONF + MARGIN and not any(
                partner(e, dets, 1.0) for dets in [ref] + jit):
            fails.append('element detection onnxruntime does not have: ' + ti.fmt(e))
    if len(got) == 0:
        fails.append('the element found nothing')
    if fails:
        for f in fails:
            print('FAIL: ' + f)
        return 1
    print(f'PASS: yolodetect with {model_name} on {image_name}: {len(got)} detections match onnxruntime')
    return 0


if __name__ == '__main__':
    sys.exit(main())
