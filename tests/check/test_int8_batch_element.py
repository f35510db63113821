#!/usr/bin/env python3
"""yolodetect with a dynamic int8 model (onnxruntime's quantize_dynamic,
models/quantized/yolov8n-int8-640.onnx) at batch-size 2: two pipelines
(bus.jpg, zidane.jpg) under one model-instance-id give each frame, byte for
byte, the yolojson lines of the same picture through a private batch-1
engine. Each image is quantised as alone (DynamicQuantizeLinear per image
at the engine's batch), so a frame's detections do not depend on the other
frame of its batch (the two pictures' ranges differ).

Needs Debian's python3-gi; YOLO_TEST_DATA and GST_PLUGIN_PATH from meson.
"""
import os
import shutil
import sys
import tempfile

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

data = os.environ.get("YOLO_TEST_DATA", "")
MODEL = os.path.join(data, "models", "quantized", "yolov8n-int8-640.onnx")
PICS = [os.path.join(data, "media", p) for p in ("bus.jpg", "zidane.jpg")]
for f in [MODEL] + PICS:
    if not os.path.exists(f):
        print("SKIP: %s missing" % f)
        sys.exit(77)
Gst.init(None)
FRAMES = 3
tmp = tempfile.mkdtemp(prefix="yolo-int8-batch-")


def pipeline(pic, out, props):
    return Gst.parse_launch(
        'filesrc location="%s" ! jpegdec ! videoconvert ! imagefreeze '
        'num-buffers=%d ! yolodetect model="%s" %s ! yolojson location="%s" '
        '! fakesink' % (pic, FRAMES, MODEL, props, out))


def play(pipes):
    for p in pipes:
        p.set_state(Gst.State.PLAYING)
    errors = []
    for p in pipes:
        msg = p.get_bus().timed_pop_filtered(
            300 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        assert msg is not None, "timeout"
        if msg.type == Gst.MessageType.ERROR:
            errors.append(msg.parse_error()[0].message)
    for p in pipes:
        p.set_state(Gst.State.NULL)
    assert not errors, errors


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


try:
    ref = []
    for i, pic in enumerate(PICS):
        out = os.path.join(tmp, "ref%d.jsonl" % i)
        play([pipeline(pic, out, "")])
        ref.append(lines(out))
        assert len(ref[i]) == FRAMES and all('"label"' in ln
                                             for ln in ref[i]), ref[i]
    outs = [os.path.join(tmp, "batch%d.jsonl" % i) for i in range(2)]
    play([pipeline(PICS[i], outs[i], "model-instance-id=int8 batch-size=2 "
                   "batch-timeout=2000") for i in range(2)])
    for i in range(2):
        got = lines(outs[i])
        assert got == ref[i], "pipeline %d differs:\n%s\nvs\n%s" % (
            i, "\n".join(got), "\n".join(ref[i]))
    print("yolov8n-int8 at batch-size 2: each frame's detections equal "
          "to a private batch-1 engine's")
finally:
    shutil.rmtree(tmp)
