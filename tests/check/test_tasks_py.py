#!/usr/bin/env python3
"""yolodetect on pose, obb, segment and classify models against a plain
numpy decoding of onnxruntime's outputs on the identical input tensor.

The element runs in gst-launch-1.0 (filesrc ! jpegdec ! videoconvert !
video/x-raw,format=RGB ! yolodetect ! yolojson), so its letterbox is
bit-exact with OpenCV's on the same RGB pixels; the reference decodes the
image with the same GStreamer chain (reference_detect.decode_bgr), runs
onnxruntime and decodes the raw outputs as Ultralytics does. Checked from
yolojson's output (which reads the metas): every detection whose score is
not within 0.02 of the threshold is found on both sides with the same
class, box IoU >= 0.9, confidence within 0.01; keypoints within 1 px
(confidence within 0.01), angles within 0.01 rad, masks IoU >= 0.9 per
instance (inside the ROI rectangle the mask covers), classify's top-k
classes exactly. Masks: --retina-masks runs yolodetect retina-masks=true
against Ultralytics' retina_masks=True chain (scale_masks: bilinear to the
frame, > 0.5); without it (the element's default, Ultralytics'
retina_masks=False) against the mask at input resolution, letterbox cut
off, sampled over the ROI as yolodetect stores it and yolojson reads it
(input_res_roi).

usage: test_tasks_py.py MODEL_NAME [--retina-masks] IMAGE[@CONF] [IMAGE[@CONF]...]
(YOLO_TEST_DATA set; CONF: conf-threshold for that image, default 0.25)
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

data = os.environ.get("YOLO_TEST_DATA", "")
sys.path.insert(0, os.path.join(data, "reference"))
name = sys.argv[1]
RETINA = "--retina-masks" in sys.argv
if RETINA:
    sys.argv.remove("--retina-masks")
model = os.path.join(data, "models", "zoo", name + ".onnx")
if not os.path.exists(model):
    print("%s missing: skipped" % model)
    sys.exit(77)

import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from reference_detect import decode_bgr, letterbox, nms  # noqa: E402

CONF, IOU, TOPK = 0.25, 0.7, 5  # CONF: per image, see the end
MARGIN = 0.02


def meta(m, key):
    for p in m.metadata_props:
        if p.key == key:
            return p.value
    return None


def element(image):
    out = tempfile.mktemp(suffix=".jsonl")
    cmd = ["gst-launch-1.0", "-q", "filesrc", "location=" + image, "!",
           "jpegdec", "!", "videoconvert", "!", "video/x-raw,format=RGB", "!",
           "yolodetect", "model=" + model, "top-k=%d" % TOPK,
           "conf-threshold=%g" % CONF] + (["retina-masks=true"] if RETINA else []) + ["!",
           "yolojson", "location=" + out, "!", "fakesink"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0 and "unsupported operator" in p.stdout + p.stderr:
        # segment (ConvTranspose) and obb (Sin, Cos) need the ONNX ops of
        # issue 11 part 1
        print("the engine lacks an operator of %s: skipped\n%s" % (name, p.stdout + p.stderr))
        sys.exit(77)
    assert p.returncode == 0, (cmd, p.stdout, p.stderr)
    lines = open(out).read().splitlines()
    os.unlink(out)
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def probiou(a, b, eps=1e-7):
    """Ultralytics' metrics.probiou for two (cx, cy, w, h, r) boxes."""
    def cov(o):
        A, B = o[2] ** 2 / 12, o[3] ** 2 / 12
        c, s = math.cos(o[4]), math.sin(o[4])
        return A * c * c + B * s * s, A * s * s + B * c * c, (A - B) * c * s
    a1, b1, c1 = cov(a)
    a2, b2, c2 = cov(b)
    den = (a1 + a2) * (b1 + b2) - (c1 + c2) ** 2
    t1 = ((a1 + a2) * (a[1] - b[1]) ** 2 + (b1 + b2) * (a[0] - b[0]) ** 2) / (den + eps) * 0.25
    t2 = ((c1 + c2) * (b[0] - a[0]) * (a[1] - b[1])) / (den + eps) * 0.5
    t3 = math.log(den / (4 * math.sqrt(max(a1 * b1 - c1 ** 2, 0) * max(a2 * b2 - c2 ** 2, 0)) + eps) + eps) * 0.5
    bd = min(max(t1 + t2 + t3, eps), 100.0)
    return 1 - math.sqrt(1 - math.exp(-bd) + eps)


def reference(image):
    m = onnx.load(model, load_external_data=False)
    task = meta(m, "task")
    e2e = meta(m, "end2end") == "True"
    img = decode_bgr(image)
    H, W = img.shape[:2]
    S = m.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    canvas, r, px, py = letterbox(img, S, True)
    x = canvas[:, :, ::-1].transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    outs = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(x)})
    y = outs[0]
    if task == "classify":
        s = y[0]
        order = sorted(range(len(s)), key=lambda i: (-s[i], i))[:TOPK]
        return task, W, H, [{"label_id": i, "confidence": float(s[i])} for i in order]
    K, D = json.loads(meta(m, "kpt_shape") or "[0, 3]")
    extra = {"pose": K * D, "obb": 1, "segment": outs[1].shape[1] if len(outs) > 1 else 0}[task]
    if e2e:
        p = y[0]
        s, c = p[:, 4], p[:, 5].astype(int)
        if task == "obb":
            b = p[:, :4]
        else:
            b = np.stack([(p[:, 0] + p[:, 2]) / 2, (p[:, 1] + p[:, 3]) / 2,
                          p[:, 2] - p[:, 0], p[:, 3] - p[:, 1]], 1)
        ex = p[:, 6:]
    else:
        p = y[0].T
        nc = p.shape[1] - 4 - extra
        sc = p[:, 4:4 + nc]
        s, c, b, ex = sc.max(1), sc.argmax(1), p[:, :4], p[:, 4 + nc:]
    k = s > CONF
    b, s, c, ex = b[k], s[k], c[k], ex[k]
    order = np.argsort(-s, kind="stable")
    b, s, c, ex = b[order], s[order], c[order], ex[order]
    dets = []
    if task == "obb":
        # Ultralytics' Fast-NMS with probiou (class-aware), then
        # regularize_rboxes and scale_boxes(xywh=True)
        keep = []
        for j in range(len(s)):
            if e2e or not any(c[i] == c[j] and probiou(list(b[i]) + [ex[i, 0]], list(b[j]) + [ex[j, 0]]) >= IOU
                              for i in range(j)):
                keep.append(j)
        for j in keep:
            cx, cy, w, h = b[j]
            a = float(ex[j, 0])
            if w < h:
                w, h, a = h, w, a + math.pi / 2
            a = a % math.pi
            cx, cy, w, h = (cx - px) / r, (cy - py) / r, w / r, h / r
            co, si = math.cos(a), math.sin(a)
            exx = abs(w / 2 * co) + abs(h / 2 * si)
            eyy = abs(w / 2 * si) + abs(h / 2 * co)
            box = np.clip([cx - exx, cy - eyy, cx + exx, cy + eyy], 0, [W, H, W, H])
            dets.append({"label_id": int(c[j]), "confidence": float(s[j]), "box": box,
                         "rotation": a, "rotated_box": [cx, cy, w, h]})
        return task, W, H, dets[:300]
    xyxy = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2,
                     b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    xyxy = np.clip((xyxy - np.array([px, py, px, py])) / r, 0, [W, H, W, H])
    idx = list(range(len(s))) if e2e else nms(xyxy, s, c, IOU)
    for i in idx[:300]:
        d = {"label_id": int(c[i]), "confidence": float(s[i]), "box": xyxy[i]}
        if task == "pose":
            kp = ex[i].reshape(K, D)
            kx = np.clip((kp[:, 0] - px) / r, 0, W)
            ky = np.clip((kp[:, 1] - py) / r, 0, H)
            kc = kp[:, 2] if D == 3 else np.ones(K)
            d["keypoints"] = np.stack([kx, ky, kc], 1)
        if task == "segment":
            # Ultralytics' process_mask + scale_masks: sigmoid(coeffs @
            # protos) cropped to the box at prototype resolution, bilinear
            # up to the input, letterbox cut off, bilinear to the frame
            import cv2
            protos = outs[1][0]
            M, mh, mw = protos.shape
            lm = (ex[i] @ protos.reshape(M, -1)).reshape(mh, mw)
            bb = np.array([b[i, 0] - b[i, 2] / 2, b[i, 1] - b[i, 3] / 2,
                           b[i, 0] + b[i, 2] / 2, b[i, 1] + b[i, 3] / 2]) * mw / S
            cols, rows = np.arange(mw)[None, :], np.arange(mh)[:, None]
            lm = lm * ((cols >= bb[0]) & (cols < bb[2]) & (rows >= bb[1]) & (rows < bb[3]))
            up = cv2.resize(lm.astype(np.float32), (S, S), interpolation=cv2.INTER_LINEAR) > 0
            nh, nw = int(round(H * r)), int(round(W * r))
            cut = up[py:py + nh, px:px + nw].astype(np.float32)
            if RETINA:
                d["mask"] = cv2.resize(cut, (W, H), interpolation=cv2.INTER_LINEAR) > 0.5
            else:
                d["cut"] = cut > 0.5  # retina_masks=False: input resolution
        dets.append(d)
    return task, W, H, dets


def iou(a, b):
    xx1, yy1 = max(a[0], b[0]), max(a[1], b[1])
    xx2, yy2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(xx2 - xx1, 0) * max(yy2 - yy1, 0)
    ua = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / ua if ua > 0 else float(a == b)


def cells(x0, w, n_in, size):
    """For each of w ROI pixels from x0 on a frame side of size pixels: the
    input pixel (of n_in, letterbox cut off) yolodetect's input-resolution
    mask holds there: the ROI in round(w * n_in / size) cells, each the
    input pixel under its centre, read back at the ROI's size (nearest, as
    gst_yolo_meta_get_roi_mask)."""
    n = min(max(int(math.floor(w * n_in / size + 0.5)), 1), n_in)
    px = np.clip(np.floor((x0 + (np.arange(n) + 0.5) * w / n) * n_in / size).astype(int), 0, n_in - 1)
    return px[((2 * np.arange(w) + 1) * n) // (2 * w)]


def input_res_roi(cut, W, H, x, y, w, h):
    """Ultralytics' retina_masks=False mask (cut: input resolution,
    letterbox cut off) over the ROI, as yolodetect stores it"""
    nh, nw = cut.shape
    return cut[cells(y, h, nh, H)][:, cells(x, w, nw, W)]


def rle_decode(counts, h, w):
    flat = np.zeros(h * w, np.uint8)
    pos, v = 0, 0
    for n in counts:
        flat[pos:pos + n] = v
        pos += n
        v ^= 1
    assert pos == h * w, (pos, h, w)
    return flat.reshape(w, h).T  # column-major


def check(image):
    task, W, H, ref = reference(image)
    got = element(image)
    assert (got["width"], got["height"]) == (W, H), got
    objs = got["objects"]
    print("%s %s: %d reference, %d element" % (name, os.path.basename(image), len(ref), len(objs)))
    if task == "classify":
        assert len(objs) == 1, objs
        o = objs[0]
        assert (o["x"], o["y"], o["w"], o["h"]) == (0, 0, W, H), o
        got_ids = [cl["label_id"] for cl in o["classes"]]
        ref_ids = [d["label_id"] for d in ref]
        assert got_ids == ref_ids, (got_ids, ref_ids)
        for cl, d in zip(o["classes"], ref):
            assert abs(cl["confidence"] - d["confidence"]) < 1e-3, (cl, d)
        assert o["label_id"] == ref_ids[0]
        return
    for o in objs:
        o["box"] = [o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"]]
    used = set()
    n_checked = 0
    worst = {"box IoU": 1.0}
    for d in ref:
        # the ROI meta is in whole pixels: round the reference box the same
        rb = [math.floor(v + 0.5) for v in d["box"]]
        cands = [(iou(rb, o["box"]), j) for j, o in enumerate(objs)
                 if j not in used and o["label_id"] == d["label_id"]
                 and abs(o["confidence"] - d["confidence"]) < 0.01]
        best = max(cands, default=(0, -1))
        if best[0] < 0.9:
            assert abs(d["confidence"] - CONF) < MARGIN, ("reference detection not found", d["label_id"],
                                                           d["confidence"], list(d["box"]))
            continue
        o = objs[best[1]]
        used.add(best[1])
        worst["box IoU"] = min(worst["box IoU"], best[0])
        n_checked += 1
        if task == "pose":
            kp = np.array(o["keypoints"])
            assert kp.shape == d["keypoints"].shape, (kp.shape, d["keypoints"].shape)
            err = np.abs(kp[:, :2] - d["keypoints"][:, :2]).max()
            assert err <= 1.0, ("keypoints off by %.3f px" % err, kp, d["keypoints"])
            worst["keypoint px"] = max(worst.get("keypoint px", 0), err)
            assert np.abs(kp[:, 2] - d["keypoints"][:, 2]).max() < 0.01
        if task == "obb":
            da = abs(o["rotation"] - d["rotation"])
            da = min(da, math.pi - da)  # an angle of ~0 and ~pi is the same box
            assert da <= 0.01, ("angle", o, d)
            worst["angle rad"] = max(worst.get("angle rad", 0), da)
            assert np.abs(np.array(o["rotated_box"]) - d["rotated_box"]).max() <= 1.0, (o, d)
        if task == "segment":
            # the mask structure covers the ROI rectangle: Ultralytics'
            # mask, cropped at prototype resolution, leaks a few pixels out
            # of the box; compare inside it
            sub = rle_decode(o["mask"]["counts"], *o["mask"]["size"]).astype(bool)
            assert sub.shape == (o["h"], o["w"]), (sub.shape, o)
            if RETINA:
                ref = d["mask"][o["y"]:o["y"] + o["h"], o["x"]:o["x"] + o["w"]]
            else:
                ref = input_res_roi(d["cut"], W, H, o["x"], o["y"], o["w"], o["h"])
            inter, union = (sub & ref).sum(), (sub | ref).sum()
            mi = inter / union if union else 1.0
            assert mi >= 0.9, ("mask IoU %.3f" % mi, o["box"], d["box"])
            worst["mask IoU"] = min(worst.get("mask IoU", 1.0), mi)
    for j, o in enumerate(objs):
        if j not in used:
            assert abs(o["confidence"] - CONF) < MARGIN, ("element detection not in the reference", o)
    assert n_checked > 0 or not ref, "nothing compared"
    print("  %d detections compared; worst: %s" % (n_checked, ", ".join(
        "%s %.4f" % kv for kv in sorted(worst.items()))))


for arg in sys.argv[2:]:
    im, _, conf = arg.partition("@")
    CONF = float(conf) if conf else 0.25
    check(os.path.join(data, "media", im))
print("ok")
