#!/usr/bin/env python3
"""Many streams in one process: memory and frames per second, with and
without a shared model instance (yolodetect model-instance-id).

usage: scripts/bench-streams.py [--model M ...] [--streams 1,4,8]
                                [--frames F] [--modes separate,shared]
                                [--batch 1,4] [--batch-timeout MS]
                                [--device SPEC]

For each model, stream count N and mode it runs, in a fresh process
(Debian's /usr/bin/python3 with python3-gi), one pipeline of N branches

  filesrc people-walking.mp4 ! decodebin ! videoconvert
    ! identity eos-after=F ! yolodetect model=M [model-instance-id=bench]
    ! fakesink

(separate: each yolodetect loads its own engine; shared: all N share one;
with --batch B > 1, shared only: batch-size=B, the N streams' frames
gathered into batches of B).
It prerolls (every engine loaded, one frame through each branch), then
plays to EOS and reports:
  rss_mib   peak resident memory of the process (VmHWM), MiB; on a CPU
            OpenCL device (PoCL) this includes the device buffers
  dev_mib   device memory of the engines: the sum over distinct engines of
            the engine's own accounting (arena, weights, scratch), from
            yolodetect's INFO log line
  fps       frames per second over all streams, PLAYING to EOS (the
            prerolled frame of each stream not counted)
and prints a Markdown table, plus the ratio of each memory figure to the
one-stream figure of the same mode.

Defaults: yolov8n-640.onnx from $YOLO_TEST_DATA (default ../shared),
streams 1,4,8, 30 frames per stream, both modes.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = os.environ.get("YOLO_TEST_DATA", os.path.join(repo, "..", "shared"))


def child(args):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    branches = []
    for i in range(args.n):
        opts = "model=%s" % args.model[0]
        if args.device:
            opts += " device=%s" % args.device
        if args.mode == "shared":
            opts += " model-instance-id=bench"
        if args.batch > 1:
            opts += " batch-size=%d batch-timeout=%d" % (args.batch,
                                                         args.batch_timeout)
        branches.append(
            "filesrc location=%s ! decodebin ! videoconvert ! "
            "identity eos-after=%d ! yolodetect %s ! fakesink sync=false"
            % (args.video, args.frames, opts))
    pipe = Gst.parse_launch(" ".join(branches))
    bus = pipe.get_bus()

    def wait(types, timeout_s):
        msg = bus.timed_pop_filtered(timeout_s * Gst.SECOND,
                                     types | Gst.MessageType.ERROR)
        if msg is None:
            sys.exit("timeout")
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            sys.exit("error: %s (%s)" % (err.message, dbg))
        return msg

    pipe.set_state(Gst.State.PAUSED)
    wait(Gst.MessageType.ASYNC_DONE, 1800)
    t0 = time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    wait(Gst.MessageType.EOS, 3600)
    t1 = time.monotonic()
    hwm = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024.0
    pipe.set_state(Gst.State.NULL)
    frames = args.n * (args.frames - 1)
    print(json.dumps({"rss_mib": hwm, "fps": frames / (t1 - t0)}))


def run(args, model, n, mode, batch):
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "gst.log")
        env = dict(os.environ, GST_DEBUG="yolodetect:4", GST_DEBUG_FILE=log,
                   GST_DEBUG_NO_COLOR="1")
        env.setdefault("GST_PLUGIN_PATH",
                       os.path.join(repo, "build", "plugin"))
        cmd = ["/usr/bin/python3", os.path.abspath(__file__), "--child",
               "--model", model, "--n", str(n), "--mode", mode,
               "--frames", str(args.frames), "--video", args.video,
               "--batch", str(batch)]
        if args.device:
            cmd += ["--device", args.device]
        cmd += ["--batch-timeout", str(args.batch_timeout)]
        for attempt in range(3):
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            # separate engines in one process on PoCL 3.1 sometimes abort
            # in pocl_release_dlhandle_cache (concurrent program builds in
            # several contexts): say so and try again
            if p.returncode == 0 or "pocl_release_dlhandle_cache" not in \
                    p.stderr:
                break
            print("note: %s x%d %s: PoCL aborted (pocl_release_dlhandle_"
                  "cache), run again" % (os.path.basename(model), n, mode),
                  file=sys.stderr, flush=True)
        if p.returncode != 0:
            sys.exit("%s x%d %s failed: %s" % (model, n, mode,
                                               p.stderr.strip()[-2000:]))
        r = json.loads(p.stdout.strip().splitlines()[-1])
        engines = {}
        with open(log, errors="replace") as f:
            for line in f:
                m = re.search(r"engine (0x[0-9a-f]+|\(nil\)), (\d+) bytes of "
                              r"device memory", line)
                if m:
                    engines[m.group(1)] = int(m.group(2))
        r["dev_mib"] = sum(engines.values()) / 1048576.0
        r["engines"] = len(engines)
        return r


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", action="append")
    ap.add_argument("--video", default=os.path.join(
        data, "media", "people-walking.mp4"))
    ap.add_argument("--streams", default="1,4,8")
    ap.add_argument("--modes", default="separate,shared")
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--batch", default="1",
                    help="batch-size values, comma-separated (shared only)")
    ap.add_argument("--device", default="")
    ap.add_argument("--batch-timeout", type=int, default=50,
                    help="batch-timeout in ms (default 50)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.model:
        args.model = [os.path.join(data, "models", "yolov8n-640.onnx")]
    if args.frames < 2:
        sys.exit("--frames must be at least 2")
    if args.child:
        args.batch = int(args.batch)
        child(args)
        return
    print("| model | streams | mode | engines | RSS MiB | x 1 stream | "
          "device MiB | x 1 stream | fps (all streams) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for model in args.model:
        for mode, batch in [(m, int(b)) for m in args.modes.split(",")
                            for b in args.batch.split(",")
                            if m == "shared" or b == "1"]:
            base = None
            for n in [int(s) for s in args.streams.split(",")]:
                r = run(args, model, n, mode, batch)
                if base is None:
                    base = r
                print("| %s | %d | %s%s | %d | %.0f | %.2f | %.1f | %.2f | "
                      "%.1f |" % (os.path.basename(model), n, mode,
                                  "" if batch == 1 else
                                  ", batch-size %d" % batch, r["engines"],
                                  r["rss_mib"], r["rss_mib"] / base["rss_mib"],
                                  r["dev_mib"], r["dev_mib"] /
                                  max(base["dev_mib"], 1e-9), r["fps"]),
                      flush=True)


if __name__ == "__main__":
    main()
