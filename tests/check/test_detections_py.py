#!/usr/bin/env python3
"""Runs pipelines/detections.py (the PyGObject example) on bus.jpg and a few
frames of people-walking.mp4, and checks what it prints."""
import json
import os
import subprocess
import sys

script = sys.argv[1]
data = os.environ.get("YOLO_TEST_DATA", "")
model = os.path.join(data, "models", "yolov8n-320.onnx")
if not os.path.exists(model):
    print("YOLO_TEST_DATA missing: skipped")
    sys.exit(77)


def run(media, *extra):
    cmd = [sys.executable, script, os.path.join(data, "media", media),
           "--json"] + list(extra)
    if "--model" not in extra:
        cmd += ["--model", model]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    sys.stderr.write(p.stderr)
    assert p.returncode == 0, "%s exited with %d" % (cmd, p.returncode)
    return [json.loads(line) for line in p.stdout.splitlines() if line]


frames = run("bus.jpg")
assert len(frames) == 1, frames
f = frames[0]
assert (f["width"], f["height"]) == (810, 1080), f
labels = sorted(d["label"] for d in f["detections"])
assert labels.count("person") >= 3 and "bus" in labels, labels
for d in f["detections"]:
    x1, y1, x2, y2 = d["box"]
    assert 0 <= x1 <= x2 <= 810 and 0 <= y1 <= y2 <= 1080, d
    assert 0.25 < d["confidence"] <= 1.0, d

# the text form, and a video limited to 5 frames when H.264 decodes here
out = subprocess.run([sys.executable, script,
                      os.path.join(data, "media", "bus.jpg"), "--model", model,
                      "--prop", "classes=bus"],
                     capture_output=True, text=True, timeout=240)
assert out.returncode == 0 and "bus" in out.stdout and "person" not in out.stdout, out

# a --prop that cannot apply is an error naming it, not silently ignored
for prop, why in [("bogus=1", "no property 'bogus'"),
                  ("conf-threshold=abc", "not a valid"),
                  ("conf-threshold=7", "outside"),
                  ("scale-mode=zzz", "not a valid"),
                  ("noequals", "NAME=VALUE"),
                  ("task=pose", "read-only")]:
    out = subprocess.run([sys.executable, script,
                          os.path.join(data, "media", "bus.jpg"), "--model",
                          model, "--prop", prop],
                         capture_output=True, text=True, timeout=240)
    assert out.returncode == 2 and why in out.stderr and not out.stdout, \
        (prop, out)
# values of every kind that do parse apply
frames = run("bus.jpg", "--prop", "scale-mode=stretch", "--prop",
             "agnostic-nms=true", "--prop", "max-detections=2", "--prop",
             "conf-threshold=0.3")
assert len(frames[0]["detections"]) == 2, frames
assert min(d["confidence"] for d in frames[0]["detections"]) > 0.3, frames

# obb (yolo11n-obb, when the zoo is there): the ROI read from Python is
# DL Streamer's oriented ROI by default (the unrotated box about the rotated
# box's centre, clipped to the frame), the bounding box with
# obb-roi=axis-aligned; the rotated boxes are the same either way
obb = os.path.join(data, "models", "zoo", "yolo11n-obb.onnx")
if os.path.exists(obb):
    import math
    got = {}
    for mode in ("oriented", "axis-aligned"):
        frames = run("bus.jpg", "--model", obb, "--prop", "obb-roi=" + mode)
        got[mode] = frames[0]["detections"]
        assert len(got[mode]) >= 3, got[mode]
        for d in got[mode]:
            cx, cy, w, h = d["rotated_box"]
            r = d["rotation"]
            assert 0 <= r < math.pi and w >= h, d
            if mode == "oriented":
                ex, ey = w / 2, h / 2
            else:
                ex = abs(w / 2 * math.cos(r)) + abs(h / 2 * math.sin(r))
                ey = abs(w / 2 * math.sin(r)) + abs(h / 2 * math.cos(r))
            want = [min(max(v, 0), lim) for v, lim in
                    ((cx - ex, 810), (cy - ey, 1080), (cx + ex, 810), (cy + ey, 1080))]
            x, y, rw, rh = d["roi"]
            assert max(abs(a - b) for a, b in zip([x, y, x + rw, y + rh], want)) <= 1, (mode, d, want)
            assert max(abs(a - b) for a, b in zip(d["box"], want)) <= 0.01, (mode, d, want)
    assert [d["rotated_box"] for d in got["oriented"]] == \
        [d["rotated_box"] for d in got["axis-aligned"]]
    assert any(d["roi"] != e["roi"] for d, e in zip(got["oriented"], got["axis-aligned"]))

# classify (yolo11n-cls): no detections, the frame's best class (the
# full-frame ROI's "classification" structure), the one yolojson writes
cls = os.path.join(data, "models", "zoo", "yolo11n-cls.onnx")
if os.path.exists(cls):
    frames = run("bus.jpg", "--model", cls)
    f = frames[0]
    assert f["detections"] == [], f
    c = f["classification"]
    assert c["label"] == str(c["label_id"]) and 0 < c["confidence"] <= 1, c
    out = subprocess.run([sys.executable, script,
                          os.path.join(data, "media", "bus.jpg"),
                          "--model", cls], capture_output=True, text=True,
                         timeout=240).stdout
    assert "classification: %s %.2f" % (c["label"], c["confidence"]) in out, out

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402
Gst.init(None)
if Gst.ElementFactory.find("avdec_h264") or Gst.ElementFactory.find("openh264dec"):
    frames = run("people-walking.mp4", "--max-frames", "5")
    assert len(frames) == 5, len(frames)
    assert frames[1]["pts"] > frames[0]["pts"]
print("ok")
