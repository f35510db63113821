#!/usr/bin/env python3
"""Benchmark our OpenCL engine against onnxruntime (CPU) on the same machine, in one run.

usage: scripts/bench.py [MODEL ...] [--all] [--iterations N] [--warmup W] [--repeat R]
                        [--device SPEC] [--threads T] [--engine PATH] [--no-peak] [--json]
                        [--cold]

  MODEL         names in $YOLO_TEST_DATA/models without .onnx (zoo/yolov10n for the
                zoo), or .onnx paths (default: yolov8n-640 yolo11n-640)
  --all         every fp32 detection model: yolov8n-640 yolov8n-320 yolo11n-640
                yolo11n-320 yolo26n-640 yolov5n-640 yolox-nano-416, and the zoo's
                detection exports zoo/yolov10n zoo/yolo12n zoo/yolov6n (each first
                checked with `yolo-engine info`; one the engine refuses is skipped
                with the reason printed)
  --iterations  timed inferences per measurement (default 50)
  --warmup      untimed inferences first (default 5)
  --repeat      repeat the whole comparison R times and report the median of
                the R medians (default 1); the ratio column is the median of
                the R paired ratios (ours/onnxruntime of the same repeat, run
                back to back), which a slow phase of a shared machine
                distorts less than a ratio of medians; odd repeats run
                onnxruntime first, even ones ours, so a machine that speeds
                up or slows down over a run favours neither side
  --device      passed to yolo-engine --device
  --threads     onnxruntime intra_op_num_threads (default: os.cpu_count())
  --engine      yolo-engine binary (default $YOLO_ENGINE, else build/plugin/engine/yolo-engine)
  --no-peak     skip `yolo-engine peak` (no % of peak columns)
  --no-openvino skip the OpenVINO column (it is skipped, with the reason
                printed, when the openvino package is not installed)
  --openvino-precision default|f32|bf16|f16
                OpenVINO's INFERENCE_PRECISION_HINT (default: the plugin's
                own choice, which is bf16 on CPUs with AVX-512 BF16 or AMX:
                the header line prints the precision it ran in)
  --json        also print one JSON object with every measurement
  --cold        run each `yolo-engine bench` with empty program caches (a new
                POCL_CACHE_DIR and XDG_CACHE_HOME per run): the peak RSS then
                includes compiling the kernels (LLVM); default: the caches the
                environment names, warm after the first run

Time. Ours: `yolo-engine bench MODEL --json --iterations N --warmup W`, its
median_ms (the engine's own timing of one inference: since 2026-12-07 the
input read where it lies, the run, output 0 on the host where the engine
keeps it, as session.run reads its input array in place and returns a
view of its own output buffer; before, an input and an output copy more).
onnxruntime: Python
InferenceSession, CPUExecutionProvider, ORT_ENABLE_ALL graph optimisations,
intra_op_num_threads = T, fed the letterboxed bus.jpg tensor the parity test
uses; the median wall time of session.run over N runs after W warm-ups.
The two run one after the other in separate processes, never at the same time.
OpenVINO (optional column; `pip install openvino`): its Python API reads the
ONNX file directly, CPU plugin, INFERENCE_NUM_THREADS = T, PERFORMANCE_HINT
LATENCY, same input, same median of N runs after W warm-ups, in a third
process after the other two.

% of peak. `yolo-engine peak --json` once at the start gives the OpenCL
device's and the host's fp32 multiply-add peak; on a CPU device both are
per core-second of CPU time (see plugin/engine/yolo-peak.h), which other
jobs on a shared machine barely change. Each model's figure is its FLOPs
(`yolo-engine bench`'s gflop: 2 * multiply-adds of Conv/MatMul/Gemm plus 1
per element-wise output; the direct algorithm's count, so Winograd layers
can beat 100%) over the median CPU time of one inference per core (ours:
the bench's cpu_median_ms; onnxruntime: process CPU time / T), divided by
the device's peak (ours) or the host's (onnxruntime). On a GPU ours is per
wall time.

Memory. Peak RSS (GNU time's %M: ru_maxrss of that process alone; install
`time`, else an upper bound is printed) of the `yolo-engine bench` process
and of the onnxruntime process (Python,
numpy and onnxruntime loaded, the session, the runs; the input tensor
comes from a .npy file, so OpenCV is not loaded there). The RSS of a
Python process that only imports numpy and onnxruntime is printed too.
Ours is measured with warm program caches unless --cold (the output says
which). `G_MESSAGES_DEBUG=yoloengine yolo-engine bench MODEL` logs VmRSS
and VmHWM after each stage of the load (parse, OpenCL context, lowering,
first inference) and the memory plan (arena against the largest set of
tensors live at one step).

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
import tempfile
import time

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))

DEFAULT_MODELS = ['yolov8n-640', 'yolo11n-640']
ALL_MODELS = ['yolov8n-640', 'yolov8n-320', 'yolo11n-640', 'yolo11n-320',
              'yolo26n-640', 'yolov5n-640', 'yolox-nano-416',
              'zoo/yolov10n', 'zoo/yolo12n', 'zoo/yolov6n']


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


GNU_TIME = '/usr/bin/time'


def run_measured(cmd, env=None):
    """Runs cmd; returns (exit status, stdout, stderr, peak RSS in MiB) of
    that process alone. Through GNU time (%M): wait4's ru_maxrss of a child
    of this Python process would start from this process's own RSS (Linux
    keeps the larger of the pre-exec and the new image's RSS), time's own
    is a few MiB. Without GNU time, that upper bound is returned."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(mode='r') as rss:
        use_time = os.access(GNU_TIME, os.X_OK)
        full = [GNU_TIME, '-f', '%M', '-o', rss.name] + cmd if use_time else cmd
        p = subprocess.Popen(full, stdout=out, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        kib = ru.ru_maxrss
        if use_time:
            lines = [x for x in rss.read().split() if x.isdigit()]
            kib = int(lines[-1]) if lines else kib
        return (p.returncode, out.read().decode(errors='replace'),
                err.read().decode(errors='replace'), kib / 1024.0)


def last_json(text):
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith('{'):
            return json.loads(line)
    return None


def engine_check(engine, model):
    """None when `yolo-engine info` accepts the model as a detector, else
    the reason."""
    p = subprocess.run([engine, 'info', model, '--json'], capture_output=True, text=True)
    if p.returncode != 0:
        return (p.stderr.strip().splitlines() or [f'info exited with {p.returncode}'])[-1]
    try:
        task = (last_json(p.stdout) or {}).get('task')
    except ValueError:
        task = None
    if task not in (None, 'detect'):
        return f'task {task}, not a detection model'
    return None


def peak(engine, device):
    cmd = [engine, 'peak', '--json']
    if device:
        cmd += ['--device', device]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f'{" ".join(cmd)} exited with {p.returncode}:\n{p.stdout}{p.stderr}')
    return last_json(p.stdout)


def bench_engine(engine, model, iterations, warmup, device, peak_gflops, cold=False):
    cmd = [engine, 'bench', model, '--json', '--iterations', str(iterations), '--warmup', str(warmup)]
    if device:
        cmd += ['--device', device]
    if peak_gflops:
        cmd += ['--peak-gflops', f'{peak_gflops:.6g}']
    env = None
    caches = None
    if cold:
        caches = tempfile.mkdtemp(prefix='bench-cold-')
        env = dict(os.environ, POCL_CACHE_DIR=os.path.join(caches, 'pocl'),
                   XDG_CACHE_HOME=os.path.join(caches, 'xdg'))
    try:
        rc, out, err, rss = run_measured(cmd, env)
    finally:
        if caches:
            shutil.rmtree(caches, ignore_errors=True)
    if rc != 0:
        raise RuntimeError(f'{" ".join(cmd)} exited with {rc}:\n{out}{err}')
    res = last_json(out)
    if res is None or 'median_ms' not in res:
        raise RuntimeError(f'no JSON line with median_ms in the output of {" ".join(cmd)}:\n{out}{err}')
    res['rss_mib'] = rss
    return res


ORT_CHILD = r'''
import json, sys, time, statistics
import numpy as np
import onnxruntime as ort
model, npy, iterations, warmup, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
so = ort.SessionOptions()
so.intra_op_num_threads = threads
so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
sess = ort.InferenceSession(model, so, providers=['CPUExecutionProvider'])
inp = sess.get_inputs()[0]
x = np.load(npy)
if inp.type == 'tensor(float16)':  # half=True exports take float16 input
    x = x.astype(np.float16)
feed = {inp.name: x}
out0 = [sess.get_outputs()[0].name]
for _ in range(warmup):
    sess.run(out0, feed)
times, cpu = [], []
for _ in range(iterations):
    t0, c0 = time.perf_counter(), time.process_time()
    sess.run(out0, feed)
    times.append((time.perf_counter() - t0) * 1000.0)
    cpu.append((time.process_time() - c0) * 1000.0)
print(json.dumps({'median_ms': statistics.median(times), 'min_ms': min(times),
                  'cpu_median_ms': statistics.median(cpu), 'version': ort.__version__}))
'''


def bench_ort(model, iterations, warmup, threads, image, tmpdir):
    import onnx
    from test_parity import family_of, make_input
    m = onnx.load(model, load_external_data=False)
    dims = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    x = make_input(image, family_of(model) or 'ultralytics', dims)
    npy = os.path.join(tmpdir, 'input.npy')
    import numpy as np
    np.save(npy, x)
    cmd = [sys.executable, '-c', ORT_CHILD, model, npy, str(iterations), str(warmup), str(threads)]
    rc, out, err, rss = run_measured(cmd)
    if rc != 0:
        raise RuntimeError(f'onnxruntime on {model} exited with {rc}:\n{out}{err}')
    res = last_json(out)
    res['rss_mib'] = rss
    return res


OV_CHILD = r'''
import json, sys, time, statistics
import numpy as np
import openvino as ov
model, npy, iterations, warmup, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
precision = sys.argv[6]
core = ov.Core()
config = {'INFERENCE_NUM_THREADS': threads, 'PERFORMANCE_HINT': 'LATENCY'}
if precision != 'default':
    config['INFERENCE_PRECISION_HINT'] = precision
cm = core.compile_model(model, 'CPU', config)
req = cm.create_infer_request()
x = np.load(npy)
for _ in range(warmup):
    req.infer({0: x})
times = []
for _ in range(iterations):
    t0 = time.perf_counter()
    req.infer({0: x})
    times.append((time.perf_counter() - t0) * 1000.0)
print(json.dumps({'median_ms': statistics.median(times), 'min_ms': min(times), 'version': ov.__version__,
                  'precision': cm.get_property('INFERENCE_PRECISION_HINT').to_string()}))
'''


def openvino_missing():
    """None when the openvino package imports, else the reason."""
    p = subprocess.run([sys.executable, '-c', 'import openvino'], capture_output=True, text=True)
    if p.returncode == 0:
        return None
    return (p.stderr.strip().splitlines() or ['import openvino failed'])[-1]


def bench_ov(model, iterations, warmup, threads, tmpdir, precision='default'):
    """OpenVINO's CPU plugin on the input bench_ort saved (input.npy)."""
    npy = os.path.join(tmpdir, 'input.npy')
    cmd = [sys.executable, '-c', OV_CHILD, model, npy, str(iterations), str(warmup), str(threads), precision]
    rc, out, err, rss = run_measured(cmd)
    if rc != 0:
        raise RuntimeError(f'openvino on {model} exited with {rc}:\n{out}{err}')
    res = last_json(out)
    res['rss_mib'] = rss
    return res


def ort_base_rss():
    rc, _, _, rss = run_measured([sys.executable, '-c', 'import numpy, onnxruntime'])
    return rss if rc == 0 else None


def pct(x):
    return f'{x:.0f}%' if x is not None else '-'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split('\n\n', 2)[2])
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
    ap.add_argument('--no-peak', action='store_true')
    ap.add_argument('--json', action='store_true')
    ap.add_argument('--cold', action='store_true')
    ap.add_argument('--no-openvino', action='store_true')
    ap.add_argument('--openvino-precision', default='default', choices=['default', 'f32', 'bf16', 'f16'])
    a = ap.parse_args()
    if a.iterations < 1 or a.warmup < 0 or a.repeat < 1:
        ap.error('--iterations and --repeat must be >= 1, --warmup >= 0')

    sys.path.insert(0, os.path.join(SRCDIR, 'tests', 'parity'))
    import onnxruntime as ort

    data = os.environ.get('YOLO_TEST_DATA', os.path.join(SRCDIR, '..', 'shared'))
    names = ALL_MODELS if a.all else (a.models or DEFAULT_MODELS)
    models = [(n, n if n.endswith('.onnx') else os.path.join(data, 'models', n + '.onnx')) for n in names]
    image = a.image if os.sep in a.image else os.path.join(data, 'media', a.image)
    if not os.path.exists(a.engine):
        sys.exit(f'bench.py: yolo-engine not found at {a.engine} (build it, or pass --engine / set YOLO_ENGINE)')
    if not os.path.exists(image):
        sys.exit(f'bench.py: {image} not found (set YOLO_TEST_DATA)')
    skipped = {}
    for name, path in models:
        if not os.path.exists(path):
            if a.all and name.startswith('zoo/'):
                skipped[name] = f'{path} not found'
                continue
            # a file named by the user: YOLO_TEST_DATA has nothing to do with it
            hint = '' if name.endswith('.onnx') else ' (set YOLO_TEST_DATA)'
            sys.exit(f'bench.py: {path} not found{hint}')
        why = engine_check(a.engine, path)
        if why:
            skipped[name] = why
    for name, why in skipped.items():
        print(f'bench.py: skipping {name}: {why}', file=sys.stderr)
    models = [(n, p) for n, p in models if n not in skipped]

    load0 = os.getloadavg()
    pk = None
    if not a.no_peak:
        pk = peak(a.engine, a.device)
        print(f'peak: device {pk["device"]["gflops"]:.1f} GFLOP/s, host {pk["host"]["gflops"]:.1f} GFLOP/s',
              file=sys.stderr, flush=True)
    dev_peak = pk['device']['gflops'] if pk else None
    host_peak = pk['host']['gflops'] if pk else None

    ov_why = 'disabled with --no-openvino' if a.no_openvino else openvino_missing()
    if ov_why:
        print(f'bench.py: no OpenVINO column: {ov_why}', file=sys.stderr)
    ovs = {n: [] for n, _ in models}
    ours = {n: [] for n, _ in models}
    theirs = {n: [] for n, _ in models}
    device = None
    failed = set()
    tmpdir = tempfile.mkdtemp(prefix='bench-')
    if not a.cold:
        # warm caches for real: one untimed load of each model first, so
        # the measured runs neither compile kernels nor tune (a PoCL
        # compile in the process raises its peak RSS by 100 MiB or more)
        for name, path in models:
            try:
                bench_engine(a.engine, path, 1, 0, a.device, dev_peak)
            except (RuntimeError, ValueError, OSError):
                pass  # reported by the measured run below
    for r in range(a.repeat):
        for name, path in models:
            if name in failed:
                continue
            try:
                # ABAB...: the order flips each repeat (a drift of the
                # machine's speed within a pair then cancels over pairs)
                if r % 2:
                    o = bench_ort(path, a.iterations, a.warmup, a.threads, image, tmpdir)
                    e = bench_engine(a.engine, path, a.iterations, a.warmup, a.device, dev_peak, a.cold)
                else:
                    e = bench_engine(a.engine, path, a.iterations, a.warmup, a.device, dev_peak, a.cold)
                    o = bench_ort(path, a.iterations, a.warmup, a.threads, image, tmpdir)
            except (RuntimeError, ValueError, OSError) as err:
                print(f'bench.py: {name}: {err}', file=sys.stderr)
                failed.add(name)
                continue
            device = device or e.get('device')
            ours[name].append(e)
            theirs[name].append(o)
            v = None
            if not ov_why:
                try:
                    v = bench_ov(path, a.iterations, a.warmup, a.threads, tmpdir, a.openvino_precision)
                    v['ours_same_repeat_ms'] = e['median_ms']
                    ovs[name].append(v)
                except (RuntimeError, ValueError, OSError) as err:
                    print(f'bench.py: {name}: OpenVINO: {err}', file=sys.stderr)
            print(f'[{r + 1}/{a.repeat}] {name}: ours {e["median_ms"]:.2f} ms, {e["rss_mib"]:.0f} MiB; '
                  f'onnxruntime {o["median_ms"]:.2f} ms, {o["rss_mib"]:.0f} MiB'
                  + (f'; OpenVINO {v["median_ms"]:.2f} ms' if v else ''), file=sys.stderr, flush=True)
    shutil.rmtree(tmpdir, ignore_errors=True)
    base_rss = ort_base_rss()
    load1 = os.getloadavg()

    cpu = cpu_name()
    device = device or clinfo_devices() or 'unknown'
    print()
    print(f'CPU: {cpu} ({os.cpu_count()} logical cores)  ')
    print(f'OpenCL device: {device}  ')
    print(f'onnxruntime {ort.__version__} (CPUExecutionProvider, {a.threads} threads, ORT_ENABLE_ALL)  ')
    if pk:
        basis = 'per core-second of CPU time' if pk['device'].get('basis') == 'cpu-time' else 'wall time'
        print(f'fp32 FMA peak (`yolo-engine peak`): device {dev_peak:.1f} GFLOP/s ({basis}), '
              f'host {host_peak:.1f} GFLOP/s (plain C, {pk["host"]["name"]}, per core-second)  ')
    print(f'load average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end  ')
    print(f'{a.iterations} timed iterations after {a.warmup} warm-up, '
          + (f'median of {a.repeat} repeats of the median; ratio: median of the {a.repeat} '
             'paired ratios (ours/onnxruntime run back to back, the order alternating)'
             if a.repeat > 1 else 'median'))
    if not ov_why:
        used = sorted({v.get('precision', '?') for vs in ovs.values() for v in vs})
        print(f'OpenVINO CPU plugin ({a.threads} threads, PERFORMANCE_HINT LATENCY, '
              f'inference precision {"/".join(used) or "?"}'
              + (' (the plugin\'s default on this CPU)' if a.openvino_precision == 'default' else '')
              + '): last two columns  ')
    if base_rss:
        print(f'(a Python process with only numpy and onnxruntime imported: {base_rss:.0f} MiB RSS)')
    print('ours: ' + ('cold caches (empty POCL_CACHE_DIR and XDG_CACHE_HOME per run: '
                      'the kernels compiled and the variants tuned in the measured process)'
                      if a.cold else 'warm caches (the kernels and tuning choices cached by an untimed first run of each model)'))
    print()
    print('| model | GFLOP | ours median ms | onnxruntime median ms | ratio ours/ort '
          '| ours % of device peak | ort % of host peak | ours peak RSS MiB | ort peak RSS MiB | RSS ours/ort |'
          + (' OpenVINO median ms | ratio ours/OpenVINO |' if not ov_why else ''))
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|' + ('---:|---:|' if not ov_why else ''))
    rows = []
    for name, _ in models:
        if name in failed:
            print(f'| {name} | failed | | | | | | | | |')
            continue
        om = statistics.median(x['median_ms'] for x in ours[name])
        tm = statistics.median(x['median_ms'] for x in theirs[name])
        gflop = ours[name][0].get('gflop')
        o_pct = statistics.median(x['peak_pct'] for x in ours[name]) if dev_peak and all(
            'peak_pct' in x for x in ours[name]) else None
        t_pct = None
        if host_peak and gflop:
            tcpu = statistics.median(x['cpu_median_ms'] for x in theirs[name])
            t_pct = 100.0 * gflop / (tcpu / 1000.0 / a.threads) / host_peak if tcpu > 0 else None
        orss = max(x['rss_mib'] for x in ours[name])
        trss = max(x['rss_mib'] for x in theirs[name])
        # The ratio is the median over the repeats of ours/onnxruntime within
        # each repeat: the two run back to back, so a slow phase of a shared
        # machine (speed drifts by up to 1.5x within minutes on our VMs)
        # slows both sides of one pair, where a ratio of medians would pair a
        # slow run of one side with a fast run of the other.
        paired = [x['median_ms'] / y['median_ms'] for x, y in zip(ours[name], theirs[name])]
        ratio = statistics.median(paired)
        rows.append({'model': name, 'gflop': gflop, 'ours_median_ms': om, 'ort_median_ms': tm, 'ratio': ratio,
                     'paired_ratios': paired,
                     'ours_peak_pct': o_pct, 'ort_host_peak_pct': t_pct,
                     'ours_rss_mib': orss, 'ort_rss_mib': trss, 'rss_ratio': orss / trss,
                     'ours_min_ms': min(x.get('min_ms', x['median_ms']) for x in ours[name]),
                     'ort_min_ms': min(x['min_ms'] for x in theirs[name]),
                     'ours_runs': ours[name], 'ort_runs': theirs[name]})
        vm = statistics.median(x['median_ms'] for x in ovs[name]) if ovs[name] else None
        rows[-1]['openvino_median_ms'] = vm
        rov = statistics.median(x['ours_same_repeat_ms'] / x['median_ms'] for x in ovs[name]) if vm else None
        rows[-1]['ratio_openvino'] = rov
        ov_cols = '' if ov_why else (f' {vm:.1f} | {rov:.2f} |' if vm else ' failed | |')
        print(f'| {name} | {gflop:.2f} | {om:.1f} | {tm:.1f} | {ratio:.2f} | {pct(o_pct)} | {pct(t_pct)} '
              f'| {orss:.0f} | {trss:.0f} | {orss / trss:.2f} |' + ov_cols)
    for name, why in skipped.items():
        print(f'| {name} | skipped: {why} | | | | | | | | |')
    if a.json:
        print(json.dumps({'cpu': cpu, 'cores': os.cpu_count(), 'device': device,
                          'onnxruntime': ort.__version__, 'threads': a.threads,
                          'iterations': a.iterations, 'warmup': a.warmup, 'repeat': a.repeat, 'cold': a.cold,
                          'peak': pk, 'load_start': load0, 'load_end': load1,
                          'ort_base_rss_mib': base_rss, 'openvino_skipped': ov_why,
                          'results': rows, 'failed': sorted(failed), 'skipped': skipped}))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
