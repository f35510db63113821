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

CPU time too (on a shared machine wall time follows the other jobs):
the pipeline's CPU time per frame is (CPU time of an N-frame run - CPU
time of a --short-frame run) / (N - short): the process tree's user+sys
(RUSAGE_CHILDREN), so loading the model, compiling and the first frames cancel
out (run-to-run differences of those fixed costs spread over N - short
frames: keep it at 50 or more for figures); the engine's is
`yolo-engine bench`'s cpu_median_ms. On a CPU device
this counts the decoder's thread, which the wall time may hide on an idle
machine with cores to spare.

Defaults: yolov8n-640, people-walking.mp4, 60 frames, 3 repeats, from
$YOLO_TEST_DATA (default ../shared).
"""
import argparse
import json
import os
import re
import resource
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
ap.add_argument("--short", type=int, default=10,
                help="frames of the run whose CPU time is subtracted (0: no CPU figures)")
ap.add_argument("--device", default="")
ap.add_argument("--engine", default=os.environ.get(
    "YOLO_ENGINE", os.path.join(repo, "build", "plugin", "engine", "yolo-engine")))
args = ap.parse_args()

env = dict(os.environ)
if args.device:
    env["YOLO_PROPS"] = (env.get("YOLO_PROPS", "") + " device=" + args.device).strip()


def become_subreaper():
    """Linux: orphaned descendants (benchmark.sh runs gst-launch in a process
    substitution, which bash may leave running when it exits) are
    re-parented to this process, so reap_orphans() can wait for them and
    their CPU time counts in RUSAGE_CHILDREN. FALSE where unavailable."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans():
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def run_pipeline(frames):
    """The steady-state ms per frame (pipelines/benchmark.sh's figure)."""
    p = subprocess.Popen([os.path.join(repo, "pipelines", "benchmark.sh"), args.video,
                          args.model, str(frames)], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    stdout, stderr = p.communicate()
    reap_orphans()
    m = re.search(r"(\d+) frames in ([\d.]+) s = ([\d.]+) fps", stdout)
    if p.returncode != 0 or not m:
        sys.exit("pipeline failed:\n" + stdout + stderr)
    return 1000.0 * float(m.group(2)) / int(m.group(1))


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


if args.short and args.short >= args.frames:
    sys.exit("--short must be below --frames")
if args.short and not become_subreaper():
    print("no PR_SET_CHILD_SUBREAPER: no CPU figures", file=sys.stderr)
    args.short = 0
pipe_ms, eng_ms, pipe_cpu, eng_cpu = [], [], [], []
for r in range(args.repeat):
    c0 = children_cpu()
    ms = run_pipeline(args.frames)
    c1 = children_cpu()
    pipe_ms.append(ms)
    if args.short:
        run_pipeline(args.short)
        c2 = children_cpu()
        pipe_cpu.append(1000.0 * ((c1 - c0) - (c2 - c1)) / (args.frames - args.short))
        if pipe_cpu[-1] <= 0:
            sys.exit("bench-pipeline.py: the pipeline's CPU time per frame came out as "
                     "%.2f ms: its processes' CPU time was not counted" % pipe_cpu[-1])
    cmd = [args.engine, "bench", args.model, "--json", "--iterations", str(args.frames),
           "--warmup", "3"] + (["--device", args.device] if args.device else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("yolo-engine bench failed:\n" + out.stderr)
    res = json.loads(out.stdout.strip().splitlines()[-1])
    eng_ms.append(res["median_ms"])
    eng_cpu.append(res.get("cpu_median_ms", 0.0))
    print("run %d: pipeline %.1f ms/frame, engine %.1f ms" % (r + 1, pipe_ms[-1], eng_ms[-1])
          + ("; CPU ms per frame: pipeline %.1f, engine %.1f" % (pipe_cpu[-1], eng_cpu[-1])
             if pipe_cpu else ""), file=sys.stderr)

p, e = statistics.median(pipe_ms), statistics.median(eng_ms)
print("| what | ms per frame | fps |")
print("|---|---:|---:|")
print("| pipeline (decode + yolodetect), %s | %.1f | %.1f |" % (os.path.basename(args.model), p, 1000 / p))
print("| engine alone (yolo-engine bench) | %.1f | %.1f |" % (e, 1000 / e))
print("| element overhead (pipeline / engine - 1) | %+.1f%% | |" % (100 * (p / e - 1)))
if pipe_cpu:
    pc, ec = statistics.median(pipe_cpu), statistics.median(eng_cpu)
    print()
    print("| CPU time (user+sys) | ms per frame |")
    print("|---|---:|")
    print("| pipeline (decode + yolodetect), per frame of the steady state | %.1f |" % pc)
    print("| engine alone (yolo-engine bench, cpu_median_ms) | %.1f |" % ec)
    print("| element overhead in CPU time (pipeline / engine - 1) | %+.1f%% |" % (100 * (pc / ec - 1)))
print("(load average %.1f at the end)" % os.getloadavg()[0])
