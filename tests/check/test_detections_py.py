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
           "--model", model, "--json"] + list(extra)
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

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402
Gst.init(None)
if Gst.ElementFactory.find("avdec_h264") or Gst.ElementFactory.find("openh264dec"):
    frames = run("people-walking.mp4", "--max-frames", "5")
    assert len(frames) == 5, len(frames)
    assert frames[1]["pts"] > frames[0]["pts"]
print("ok")
