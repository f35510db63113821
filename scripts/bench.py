#!/usr/bin/env python3
"""Benchmark our OpenCL engine against onnxruntime (CPU) on the same machine, in one run.

usage: scripts/bench.py [MODEL ...] [--all] [--iterations N] [--warmup W] [--repeat R]
                        [--device SPEC] [--threads T] [--engine PATH] [--json]

  MODEL         names in $YOLO_TEST_DATA/models without .onnx, or .onnx paths
                (default: yolov8n-640 yolo11n-640)
  --all         every fp32 model: yolov8n-640 yolov8n-320 yolo11n-640 yolo11n-320
                yolo26n-640 yolov5n-640 yolox-nano-416
  --iterations  timed inferences per measurement (default 50)
  --warmup      untimed inferences first (default 5)
  --repeat      repeat the whole comparison R times and report the median of
                the R medians (default 1)
  --device      passed to yolo-engine --device
  --threads     onnxruntime intra_op_num_threads (default: os.cpu_count())
  --engine      yolo-engine binary (default $YOLO_ENGINE, else build/plugin/engine/yolo-engine)
  --json        also print one JSON object with every measurement

Ours: `yolo-engine bench MODEL --json --iterations N --warmup W`, its median_ms
(the engine's own timing of one inference). onnxruntime: Python
InferenceSession, CPUExecutionProvider, ORT_ENABLE_ALL graph optimisations,
intra_op_num_threads = T, fed the letterboxed bus.jpg tensor the parity test
uses; the median wall time of session.run over N runs after W warm-ups.
The two are measured one after the other, never at the same time.

Example (quick smoke run):  scripts/bench.py --iterations 3 --warmup 1
Example (README figures):   scripts/bench.py --all --iterations 50 --repeat 3
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
sys.path.insert(0, os.path.join(SRCDIR, 'tests', 'parity'))
from test_parity import family_of, make_input  # noqa: E402

DEFAULT_MODELS = ['yolov8n-640', 'yolo11n-640']
ALL_MODELS = ['yolov8n-640', 'yolov8n-320', 'yolo11n-640', 'yolo11n-320',
              'yolo26n-640', 'yolov5n-640', 'yolox-nano-416']


def cpu_name():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def clinfo_devices():
    if not shutil.which('clinfo'):
        return None
    try:
        out = subprocess.run(['clinfo', '-l'], capture_output=True, text=True, timeout=60).stdout
    except (subprocess.SubprocessError, OSError):
        return None
    devs = [line.split(':', 1)[1].strip() for line in out.splitlines() if 'Device #' in line and ':' in line]
    return ', '.join(devs) or None


def bench_engine(engine, model, iterations, warmup, device):
    cmd = [engine, 'bench', model, '--json', '--iterations', str(iterations), '--warmup', str(warmup)]
    if device:
        cmd += ['--device', device]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} exited with {p.returncode}:\n{p.stdout}{p.stderr}')
    for line in reversed(p.stdout.splitlines()):
        line = line.strip()
        if line.startswith('{'):
            res = json.loads(line)
            if 'median_ms' not in res:
                raise RuntimeError(f'yolo-engine bench --json gave no median_ms: {line}')
            return res
    raise RuntimeError(f'no JSON line in the output of {" ".join(cmd)}:\n{p.stdout}{p.stderr}')


def bench_ort(model, iterations, warmup, threads, image):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=['CPUExecutionProvider'])
    inp = sess.get_inputs()[0]
    x = make_input(image, family_of(model) or 'ultralytics', inp.shape)
    feed = {inp.name: x}
    out0 = [sess.get_outputs()[0].name]
    for _ in range(warmup):
        sess.run(out0, feed)
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        sess.run(out0, feed)
        times.append((time.perf_counter() - t0) * 1000.0)
    return {'median_ms': statistics.median(times), 'min_ms': min(times)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('models', nargs='*')
    ap.add_argument('--all', action='store_true')
    ap.add_argument('--iterations', type=int, default=50)
    ap.add_argument('--warmup', type=int, default=5)
    ap.add_argument('--repeat', type=int, default=1)
    ap.add_argument('--device')
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--engine', default=os.environ.get('YOLO_ENGINE',
                                                       os.path.join(SRCDIR, 'build', 'plugin', 'engine', 'yolo-engine')))
    ap.add_argument('--image', default='bus.jpg')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    if a.iterations < 1 or a.warmup < 0 or a.repeat < 1:
        ap.error('--iterations and --repeat must be >= 1, --warmup >= 0')

    data = os.environ.get('YOLO_TEST_DATA', os.path.join(SRCDIR, '..', 'shared'))
    names = ALL_MODELS if a.all else (a.models or DEFAULT_MODELS)
    models = [(n, n if n.endswith('.onnx') else os.path.join(data, 'models', n + '.onnx')) for n in names]
    image = a.image if os.sep in a.image else os.path.join(data, 'media', a.image)
    for _, path in models + [('', image)]:
        if not os.path.exists(path):
            sys.exit(f'bench.py: {path} not found (set YOLO_TEST_DATA)')
    if not os.path.exists(a.engine):
        sys.exit(f'bench.py: yolo-engine not found at {a.engine} (build it, or pass --engine / set YOLO_ENGINE)')

    ours = {n: [] for n, _ in models}
    theirs = {n: [] for n, _ in models}
    device = None
    failed = set()
    for r in range(a.repeat):
        for name, path in models:
            if name in failed:
                continue
            try:
                e = bench_engine(a.engine, path, a.iterations, a.warmup, a.device)
            except (RuntimeError, ValueError, OSError) as err:
                print(f'bench.py: {name}: {err}', file=sys.stderr)
                failed.add(name)
                continue
            device = device or e.get('device')
            o = bench_ort(path, a.iterations, a.warmup, a.threads, image)
            ours[name].append(e)
            theirs[name].append(o)
            print(f'[{r + 1}/{a.repeat}] {name}: ours {e["median_ms"]:.2f} ms, '
                  f'onnxruntime {o["median_ms"]:.2f} ms', file=sys.stderr, flush=True)

    cpu = cpu_name()
    device = device or clinfo_devices() or 'unknown'
    print()
    print(f'CPU: {cpu} ({os.cpu_count()} logical cores)  ')
    print(f'OpenCL device: {device}  ')
    print(f'onnxruntime {ort.__version__} (CPUExecutionProvider, {a.threads} threads, ORT_ENABLE_ALL)  ')
    print(f'{a.iterations} timed iterations after {a.warmup} warm-up, '
          + (f'median of {a.repeat} repeats of the median' if a.repeat > 1 else 'median'))
    print()
    print('| model | ours median ms | onnxruntime median ms | ratio ours/ort |')
    print('|---|---:|---:|---:|')
    rows = []
    for name, _ in models:
        if name in failed:
            print(f'| {name} | failed | | |')
            continue
        om = statistics.median(x['median_ms'] for x in ours[name])
        tm = statistics.median(x['median_ms'] for x in theirs[name])
        rows.append({'model': name, 'ours_median_ms': om, 'ort_median_ms': tm, 'ratio': om / tm,
                     'ours_min_ms': min(x.get('min_ms', x['median_ms']) for x in ours[name]),
                     'ort_min_ms': min(x['min_ms'] for x in theirs[name]),
                     'ours_runs': ours[name], 'ort_runs': theirs[name]})
        print(f'| {name} | {om:.1f} | {tm:.1f} | {om / tm:.2f} |')
    if a.json:
        print(json.dumps({'cpu': cpu, 'cores': os.cpu_count(), 'device': device,
                          'onnxruntime': ort.__version__, 'threads': a.threads,
                          'iterations': a.iterations, 'warmup': a.warmup, 'repeat': a.repeat,
                          'results': rows, 'failed': sorted(failed)}))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
