#!/usr/bin/env python3
"""yolodetect model-instance-id: several pipelines of one process, each
with its own streaming thread, on one shared engine.

- 4 pipelines (bus.jpg, zidane.jpg, bus.jpg, zidane.jpg; 5 frames each,
  imagefreeze) under model-instance-id=shared play at the same time; the
  yolojson lines of each equal, byte for byte, those of the same picture
  through an element with an engine of its own (no id), and every frame
  has detections;
- yolodetect's INFO log shows one engine for the four (and that the
  elements without an id each loaded their own);
- batch-size 2 with 4 pipelines and batch-size 4 with 3 (every batch
  then runs on batch-timeout) give each frame its own detections, equal
  to a private engine's; batch-size without an id and another batch-size
  under a loaded id are element errors;
- another model under a loaded id is an element error naming the id, and
  after every user of the id has stopped, the id loads the other model.

Needs Debian's python3-gi; YOLO_TEST_DATA and GST_PLUGIN_PATH from meson.
"""
import os
import re
import shutil
import sys
import tempfile
import time

tmp = tempfile.mkdtemp(prefix="yolo-instance-")
log_path = os.path.join(tmp, "gst.log")
os.environ["GST_DEBUG"] = "yolodetect:4"
os.environ["GST_DEBUG_FILE"] = log_path
os.environ["GST_DEBUG_NO_COLOR"] = "1"

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

data = os.environ.get("YOLO_TEST_DATA", "")
M320 = os.path.join(data, "models", "yolov8n-320.onnx")
M640 = os.path.join(data, "models", "yolov8n-640.onnx")
PICS = [os.path.join(data, "media", p) for p in ("bus.jpg", "zidane.jpg")]
for f in [M320, M640] + PICS:
    if not os.path.exists(f):
        print("SKIP: %s missing" % f)
        sys.exit(77)
Gst.init(None)
FRAMES = 5


def pipeline(pic, out, props):
    return Gst.parse_launch(
        'filesrc location="%s" ! jpegdec ! videoconvert ! imagefreeze '
        'num-buffers=%d ! yolodetect %s ! yolojson location="%s" ! fakesink'
        % (pic, FRAMES, props, out))


def play(pipes, expect_error=False):
    """Plays all at once, waits for each one's EOS (or ERROR)."""
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
    if not expect_error:
        assert not errors, errors
    return errors


def lines(path):
    with open(path) as f:
        return f.read().splitlines()


def engines_in_log():
    with open(log_path, errors="replace") as f:
        return re.findall(r"engine (0x[0-9a-f]+), \d+ bytes", f.read())


# references: an engine per element, one after the other
ref = []
for i, pic in enumerate(PICS):
    out = os.path.join(tmp, "ref%d.jsonl" % i)
    play([pipeline(pic, out, "model=%s" % M320)])
    ref.append(lines(out))
    assert len(ref[i]) == FRAMES and all('"label"' in ln for ln in ref[i]), \
        ref[i]
n_before = len(engines_in_log())
assert n_before == 2, engines_in_log()

# four pipelines at once on one instance
outs = [os.path.join(tmp, "shared%d.jsonl" % i) for i in range(4)]
pipes = [pipeline(PICS[i % 2], outs[i],
                  "model=%s model-instance-id=shared" % M320)
         for i in range(4)]
play(pipes)
for i in range(4):
    got = lines(outs[i])
    assert got == ref[i % 2], "pipeline %d differs:\n%s\nvs\n%s" % (
        i, "\n".join(got), "\n".join(ref[i % 2]))
shared = engines_in_log()[n_before:]
assert len(shared) == 4 and len(set(shared)) == 1, shared
print("4 pipelines, one engine (%s): detections equal to a private "
      "engine's" % shared[0])

# batches: 4 pipelines, batch-size 2 (full batches) and 3 pipelines,
# batch-size 4 (never full: every batch runs on batch-timeout); each
# frame's detections are its own picture's
for n, bs in ((4, 2), (3, 4)):
    outs = [os.path.join(tmp, "batch%d-%d.jsonl" % (bs, i)) for i in range(n)]
    pipes = [pipeline(PICS[i % 2], outs[i],
                      "model=%s model-instance-id=batch%d batch-size=%d "
                      "batch-timeout=200" % (M320, bs, bs))
             for i in range(n)]
    play(pipes)
    for i in range(n):
        got = lines(outs[i])
        assert got == ref[i % 2], "batch-size %d, pipeline %d differs:\n%s" \
            % (bs, i, "\n".join(got))
    print("%d pipelines, batch-size %d: detections equal to a private "
          "engine's" % (n, bs))
# batch-size needs an id; one batch-size per id
errs = play([pipeline(PICS[0], os.path.join(tmp, "x.jsonl"),
                      "model=%s batch-size=2" % M320)], expect_error=True)
assert len(errs) == 1 and "needs a model-instance-id" in errs[0], errs
a = pipeline(PICS[0], os.path.join(tmp, "a.jsonl"),
             "model=%s model-instance-id=bs batch-size=2" % M320)
b = pipeline(PICS[1], os.path.join(tmp, "b.jsonl"),
             "model=%s model-instance-id=bs batch-size=3" % M320)
assert a.set_state(Gst.State.PAUSED) != Gst.StateChangeReturn.FAILURE
errs = play([b], expect_error=True)
assert len(errs) == 1 and "model-instance-id 'bs'" in errs[0], errs
a.set_state(Gst.State.NULL)

# another model under the loaded id
a = pipeline(PICS[0], os.path.join(tmp, "a.jsonl"),
             "model=%s model-instance-id=mixed" % M320)
b = pipeline(PICS[1], os.path.join(tmp, "b.jsonl"),
             "model=%s model-instance-id=mixed" % M640)
assert a.set_state(Gst.State.PAUSED) != Gst.StateChangeReturn.FAILURE
errs = play([b], expect_error=True)
assert len(errs) == 1 and "model-instance-id 'mixed'" in errs[0], errs
print("other model under a loaded id: %s" % errs[0])
play([a])
# every user gone: the id is free for the other model
play([pipeline(PICS[1], os.path.join(tmp, "c.jsonl"),
               "model=%s model-instance-id=mixed" % M640)])
assert len(lines(os.path.join(tmp, "c.jsonl"))) == FRAMES

# a frame waiting for its batch (the other user started, sends nothing,
# batch-timeout 60 s) neither holds a flushing seek nor a stop for the
# timeout: the waiting stream stops waiting first (both took the whole
# 60 s before)
def timed(what, f):
    t = time.monotonic()
    r = f()
    took = time.monotonic() - t
    print("%s: %.2f s" % (what, took))
    assert took < 15, "%s took %.1f s" % (what, took)
    return r


idle = Gst.parse_launch(
    "appsrc caps=video/x-raw,format=RGB,width=64,height=48,framerate=1/1 ! "
    "yolodetect model=%s model-instance-id=wait batch-size=2 "
    "batch-timeout=60000 ! fakesink async=false" % M320)
assert idle.set_state(Gst.State.PLAYING) != Gst.StateChangeReturn.FAILURE
a = pipeline(PICS[0], os.path.join(tmp, "w.jsonl"),
             "model=%s model-instance-id=wait batch-size=2 "
             "batch-timeout=60000" % M320)
a.set_state(Gst.State.PLAYING)
time.sleep(3)  # its first frame waits for the batch
assert timed("flushing seek while a frame waits for its batch",
             lambda: a.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH, 0))
time.sleep(2)
timed("stop while a frame waits for its batch",
      lambda: a.set_state(Gst.State.NULL))
idle.set_state(Gst.State.NULL)

shutil.rmtree(tmp, ignore_errors=True)
print("PASS")
