#!/usr/bin/python3
"""Soak benchmark: resident memory of a long-running detection pipeline.

usage: scripts/soak.py [--model M] [--video V] [--frames N] [--every K]
                       [--json OUT.jsonl] [--max-growth MB]

Runs, in this process,

    filesrc location=V ! decodebin ! yolodetect model=M ! yolooverlay
      ! yolojson location=OUT ! fakesink sync=false

for N frames (default 5000), looping the video with segment seeks (one
pipeline, no restart: what leaks per frame or per loop accumulates). A pad
probe counts the frames leaving yolojson; every K frames (default 250) the
process's VmRSS (/proc/self/status) is sampled. Prints the table (frames,
seconds, RSS in MB, change since the first sample) and the growth between
the first sample (after warm-up: model loaded, kernels built, pools full)
and the last. Exits 1 if the growth is over --max-growth MB (default: no
limit), 2 if the pipeline fails.

Not a CI test: it takes minutes. Defaults: yolov8n-320, people-walking.mp4
(768x432 H.264), from $YOLO_TEST_DATA (default ../shared); the plugin from
build/plugin unless GST_PLUGIN_PATH is set. Needs Debian's python3-gi.
"""
import argparse
import os
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = os.environ.get("YOLO_TEST_DATA", os.path.join(repo, "..", "shared"))


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model",
                    default=os.path.join(data, "models", "yolov8n-320.onnx"))
    ap.add_argument("--video",
                    default=os.path.join(data, "media", "people-walking.mp4"))
    ap.add_argument("--frames", type=int, default=5000)
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--json", default="/dev/null",
                    help="yolojson location (default /dev/null)")
    ap.add_argument("--max-growth", type=float, default=None)
    args = ap.parse_args()

    if "GST_PLUGIN_PATH" not in os.environ and \
            os.path.isdir(os.path.join(repo, "build", "plugin")):
        os.environ["GST_PLUGIN_PATH"] = os.path.join(repo, "build", "plugin")
    Gst.init(None)
    for f in (args.model, args.video):
        if not os.path.exists(f):
            sys.exit("soak.py: %s is missing" % f)

    pipeline = Gst.parse_launch(
        "filesrc name=src ! decodebin ! yolodetect name=detect "
        "! yolooverlay ! yolojson name=json ! fakesink sync=false")
    pipeline.get_by_name("src").set_property("location", args.video)
    pipeline.get_by_name("detect").set_property("model", args.model)
    pipeline.get_by_name("json").set_property("location", args.json)
    loop = GLib.MainLoop()
    state = {"frames": 0, "loops": 0, "t0": None, "rc": 0}
    samples = []

    def on_buffer(pad, info):
        state["frames"] += 1
        n = state["frames"]
        if n == 1:
            state["t0"] = time.monotonic()
        if n % args.every == 0:
            samples.append((n, time.monotonic() - state["t0"], rss_mb()))
            print("%6d frames  %7.1f s  %7.1f MB" % samples[-1], flush=True)
        if n == args.frames:
            GLib.idle_add(loop.quit)
            return Gst.PadProbeReturn.REMOVE
        return Gst.PadProbeReturn.OK

    pipeline.get_by_name("json").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER, on_buffer)

    def seek(flags):
        return pipeline.seek_simple(Gst.Format.TIME, flags, 0)

    def on_message(bus, msg):
        t = msg.type
        if t == Gst.MessageType.ASYNC_DONE and state["loops"] == 0:
            # first preroll: switch to segment seeks, so that the end of the
            # file posts SEGMENT_DONE instead of EOS
            state["loops"] = 1
            if not seek(Gst.SeekFlags.FLUSH | Gst.SeekFlags.SEGMENT):
                print("soak.py: segment seek failed", file=sys.stderr)
                state["rc"] = 2
                loop.quit()
        elif t == Gst.MessageType.SEGMENT_DONE:
            state["loops"] += 1
            seek(Gst.SeekFlags.SEGMENT)
        elif t == Gst.MessageType.EOS:
            print("soak.py: EOS after %d frames" % state["frames"],
                  file=sys.stderr)
            state["rc"] = 2
            loop.quit()
        elif t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print("soak.py: ERROR from %s: %s" % (msg.src.get_name(),
                                                   err.message),
                  file=sys.stderr)
            state["rc"] = 2
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    print("soak: %d frames of %s with %s, RSS every %d frames"
          % (args.frames, os.path.basename(args.video),
             os.path.basename(args.model), args.every), flush=True)
    print("%6s %8s %10s" % ("frames", "time", "VmRSS"), flush=True)
    pipeline.set_state(Gst.State.PAUSED)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if state["rc"]:
        return state["rc"]
    if len(samples) < 2:
        print("soak.py: fewer than 2 samples", file=sys.stderr)
        return 2

    first, last = samples[0], samples[-1]
    growth = last[2] - first[2]
    peak = max(s[2] for s in samples)
    print("soak: %d frames (%d passes over the video) in %.0f s (%.1f fps); "
          "RSS %.1f MB at frame %d -> %.1f MB at frame %d: growth %+.1f MB "
          "(%+.2f kB/frame), peak %.1f MB"
          % (last[0], state["loops"], last[1], last[0] / last[1], first[2],
             first[0], last[2], last[0], growth,
             1024.0 * growth / (last[0] - first[0]), peak), flush=True)
    if args.max_growth is not None and growth > args.max_growth:
        print("soak.py: growth %.1f MB is over %.1f MB"
              % (growth, args.max_growth), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
