#!/usr/bin/env python3
"""Whole-pipeline throughput next to the engine alone, in one run.

usage: scripts/bench-pipeline.py [--model M] [--video V] [--frames N]
                                 [--repeat R] [--device SPEC]

Runs, R times each and alternating:
  pipeline: pipelines/benchmark.sh VIDEO MODEL N
            (filesrc ! decodebin ! videoconvert ! queue ! yolodetect ! fakesink;
             steady-state frames per second after the first frame)
  engine:   yolo-engine bench MODEL --json (set input + run + read output)
and prints the medians: ms per frame for each, and the element's overhead
(decoding, colour conversion, upload, pre-processing, head decoding, NMS,
metas) = pipeline ms / engine ms - 1.

Defaults: yolov8n-640, people-walking.mp4, 60 frames, 3 repeats, from
$YOLO_TEST_DATA (default ../shared).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
data = os.environ.get("YOLO_TEST_DATA", os.path.join(repo, "..", "shared"))

ap = argparse.ArgumentParser(description=__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--model", default=os.path.join(data, "models", "yolov8n-640.onnx"))
ap.add_argument("--video", default=os.path.join(data, "media", "people-walking.mp4"))
ap.add_argument("--frames", type=int, default=60)
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--device", default="")
ap.add_argument("--engine", default=os.environ.get(
    "YOLO_ENGINE", os.path.join(repo, "build", "plugin", "engine", "yolo-engine")))
args = ap.parse_args()

env = dict(os.environ)
if args.device:
    env["YOLO_PROPS"] = (env.get("YOLO_PROPS", "") + " device=" + args.device).strip()

pipe_ms, eng_ms = [], []
for r in range(args.repeat):
    out = subprocess.run([os.path.join(repo, "pipelines", "benchmark.sh"), args.video,
                          args.model, str(args.frames)], env=env, capture_output=True,
                         text=True)
    m = re.search(r"(\d+) frames in ([\d.]+) s = ([\d.]+) fps", out.stdout)
    if out.returncode != 0 or not m:
        sys.exit("pipeline failed:\n" + out.stdout + out.stderr)
    pipe_ms.append(1000.0 * float(m.group(2)) / int(m.group(1)))
    cmd = [args.engine, "bench", args.model, "--json", "--iterations", str(args.frames),
           "--warmup", "3"] + (["--device", args.device] if args.device else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("yolo-engine bench failed:\n" + out.stderr)
    eng_ms.append(json.loads(out.stdout.strip().splitlines()[-1])["median_ms"])
    print("run %d: pipeline %.1f ms/frame, engine %.1f ms" % (r + 1, pipe_ms[-1], eng_ms[-1]),
          file=sys.stderr)

p, e = statistics.median(pipe_ms), statistics.median(eng_ms)
print("| what | ms per frame | fps |")
print("|---|---:|---:|")
print("| pipeline (decode + yolodetect), %s | %.1f | %.1f |" % (os.path.basename(args.model), p, 1000 / p))
print("| engine alone (yolo-engine bench) | %.1f | %.1f |" % (e, 1000 / e))
print("| element overhead (pipeline / engine - 1) | %+.1f%% | |" % (100 * (p / e - 1)))
