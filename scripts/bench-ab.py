#!/usr/bin/env python3
"""Interleaved A/B of two yolo-engine builds on the same models.

  scripts/bench-ab.py --base OLD/yolo-engine [--new build/plugin/engine/yolo-engine]
      [--rounds R] [--iterations N] [--batch B] MODEL...

Each round runs `yolo-engine bench MODEL --json` with both builds, one after
the other (the order alternates between rounds), and the report gives, per
model, the median over the rounds of each build's median wall time, CPU
time per inference (cpu_median_ms: all threads, steadier than wall time on
a loaded machine) and minimum, with the ratios new/base. MODEL: a name in
$YOLO_TEST_DATA/models without .onnx, or a path. --batch B runs both
builds with the engine's batch option (times per batch of B images). Run
each build once before (tuning and program caches: the engine version
changes with the kernel sources, so each build has its own)."""
import argparse
import json
import os
import statistics
import subprocess

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--base", required=True)
ap.add_argument("--new", default="build/plugin/engine/yolo-engine")
ap.add_argument("--rounds", type=int, default=4)
ap.add_argument("--iterations", type=int, default=15)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--batch", type=int, default=1)
ap.add_argument("models", nargs="+")
args = ap.parse_args()
data = os.environ.get("YOLO_TEST_DATA", "../shared")
res = {}
for r in range(args.rounds):
    for m in args.models:
        path = m if m.endswith(".onnx") else os.path.join(data, "models", m + ".onnx")
        for k in (("base", "new") if r % 2 == 0 else ("new", "base")):
            out = subprocess.run([getattr(args, k), "bench", path, "--json",
                                  "--iterations", str(args.iterations),
                                  "--warmup", str(args.warmup)]
                                 + (["--batch", str(args.batch)]
                                    if args.batch > 1 else []),
                                 capture_output=True, text=True, check=True)
            j = json.loads(out.stdout.strip().splitlines()[-1])
            res.setdefault((m, k), []).append(
                (j["median_ms"], j["cpu_median_ms"], j["min_ms"]))
print("| model | wall base | wall new | new/base | CPU base | CPU new | new/base | min base | min new | new/base |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for m in args.models:
    row = [m]
    for i in range(3):
        b = statistics.median(x[i] for x in res[(m, "base")])
        n = statistics.median(x[i] for x in res[(m, "new")])
        row += ["%.2f" % b, "%.2f" % n, "%.3f" % (n / b)]
    print("| " + " | ".join(row) + " |")
