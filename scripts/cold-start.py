#!/usr/bin/env python3
"""Cold and warm start of `yolo-engine run`: time to the first result.

usage: scripts/cold-start.py [MODEL ...] [--device SPEC] [-n N] [--engine PATH]
                             [--json] [--log DIR]
                             [--program-cache default|on|off]
                             [--prewarm default|on|off|ab] [--baseline PATH]

  MODEL     names in $YOLO_TEST_DATA/models without .onnx, or .onnx paths
            (default: yolov8n-640 yolov8n-320)
  --device  passed to yolo-engine --device (e.g. rusticl; with rusticl set
            RUSTICL_ENABLE=swrast for llvmpipe); default: the engine's
  -n N      cold/warm pairs per model; medians are reported (default 3)
  --log DIR keep each run's output, with the time of each line, in DIR
  --program-cache default|on|off
            our program binary cache ($XDG_CACHE_HOME/gst-yolo): the engine's
            default (off on PoCL, on elsewhere), on (yolo-engine
            --program-cache=on: also on PoCL, as before the default changed)
            or off (--program-cache=off); the driver's own cache (PoCL's
            POCL_CACHE_DIR, Mesa's shader cache) is used either way
  --prewarm default|on|off|ab
            YOLO_CL_PREWARM for the runs: the engine's default (on on
            PoCL: its work-group functions compiled on all cores before the
            first run, see plugin/engine/yolo-cl-prewarm.h), on (=1), off
            (=0), or ab: each pair run with off then on, both reported
            (an A/B on the same machine state)
  --baseline PATH
            another yolo-engine binary (e.g. a build of the previous
            commit): each pair is run with it first, then with --engine,
            interleaved, both reported (an A/B of two builds)

Each pair: a fresh, empty XDG_CACHE_HOME and POCL_CACHE_DIR (temp dirs;
Mesa's shader cache lives under XDG_CACHE_HOME too), then
  cold: `yolo-engine run MODEL --input ZEROS --output OUT` (process start to
        exit: model load, kernel builds, the first inference, the output
        written)
  warm: the same command again with the caches the cold run filled.
Both run with G_MESSAGES_DEBUG=yoloengine; the engine's "<unit>.cl: built in
X s" lines say which kernel units were compiled (cold) and "loaded program
binary" which came from our cache (warm). The time of the last of those
lines splits the wall time into "until the programs are built" and "after"
(kernel objects, planning, the first run: PoCL compiles each kernel's
work-group function at its first launch, after clBuildProgram).
The machine's load average (/proc/loadavg) is printed before and after,
and each run's CPU time (user + system, all threads): on a busy machine
the wall times grow with the load, the CPU times much less.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BUILT = re.compile(r'(\S+\.cl): built in ([0-9.]+) s')
LOADED = re.compile(r'(\S+\.cl): loaded program binary')


def loadavg():
    try:
        with open('/proc/loadavg') as f:
            return ' '.join(f.read().split()[:3])
    except OSError:
        return '?'


def input_floats(engine, model):
    p = subprocess.run([engine, 'info', model, '--json'], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f'cold-start: yolo-engine info {model} failed: {p.stderr.strip()}')
    shape = json.loads(p.stdout)['inputs'][0]['shape']
    n = 1
    for d in shape:
        n *= max(int(d), 1)
    return n


def run_once(cmd, env, log_path):
    """Runs cmd; returns (wall s, cpu s, [(t, line)], returncode)."""
    lines = []
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, bufsize=1)
    for line in p.stdout:
        lines.append((time.perf_counter() - t0, line.rstrip('\n')))
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = rc = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    cpu = ru.ru_utime + ru.ru_stime
    if log_path:
        with open(log_path, 'w') as f:
            for t, line in lines:
                f.write(f'{t:9.3f} {line}\n')
            f.write(f'{wall:9.3f} (exit {rc}, {cpu:.2f} s CPU)\n')
    return wall, cpu, lines, rc


def summarise(lines):
    built = [(m.group(1), float(m.group(2)), t) for t, line in lines
             for m in [BUILT.search(line)] if m]
    loaded = [m.group(1) for t, line in lines for m in [LOADED.search(line)] if m]
    last = max([t for t, line in lines if BUILT.search(line) or LOADED.search(line)],
               default=0.0)
    return built, loaded, last


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('models', nargs='*', default=['yolov8n-640', 'yolov8n-320'])
    ap.add_argument('--device')
    ap.add_argument('-n', type=int, default=3)
    ap.add_argument('--engine', default=os.environ.get('YOLO_ENGINE'))
    ap.add_argument('--json', action='store_true', help='also print one JSON object')
    ap.add_argument('--log', metavar='DIR')
    ap.add_argument('--program-cache', choices=['default', 'on', 'off'], default='default')
    ap.add_argument('--prewarm', choices=['default', 'on', 'off', 'ab'], default='default')
    ap.add_argument('--baseline', metavar='PATH')
    a = ap.parse_args()
    if a.n < 1:
        ap.error('-n must be >= 1')

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    engine = a.engine or os.path.join(root, 'build', 'plugin', 'engine', 'yolo-engine')
    if not os.path.exists(engine):
        sys.exit(f'cold-start: {engine} not found (build first, or --engine)')
    if a.baseline and not os.path.exists(a.baseline):
        sys.exit(f'cold-start: {a.baseline} not found')
    engines = [('baseline', a.baseline), ('', engine)] if a.baseline else [('', engine)]
    data = os.environ.get('YOLO_TEST_DATA', os.path.join(root, '..', 'shared'))
    if a.log:
        os.makedirs(a.log, exist_ok=True)

    print(f'load average before: {loadavg()} ({os.cpu_count()} CPUs); program cache: {a.program_cache}; '
          f'prewarm: {a.prewarm}')
    results = []
    tmp = tempfile.mkdtemp(prefix='yolo-cold-')
    try:
        for name in a.models:
            model = name if name.endswith('.onnx') else os.path.join(data, 'models', name + '.onnx')
            label = os.path.basename(model)[:-5]
            if not os.path.exists(model):
                sys.exit(f'cold-start: {model} not found (set YOLO_TEST_DATA)')
            inp = os.path.join(tmp, label + '.in.f32')
            with open(inp, 'wb') as f:
                f.write(bytes(4 * input_floats(engine, model)))
            args = ['run', model, '--input', inp, '--output', os.path.join(tmp, 'out.f32')]
            if a.device:
                args += ['--device', a.device]
            if a.program_cache != 'default':
                args += ['--program-cache=' + a.program_cache]
            pws = {'default': [None], 'on': ['1'], 'off': ['0'], 'ab': ['0', '1']}[a.prewarm]
            # (engine label, prewarm) pairs, run one after the other
            variants = [(el, pw) for el, _ in engines for pw in pws]
            binary = dict(engines)
            acc = {v: {'cold': [], 'warm': [], 'cold_cpu': [], 'warm_cpu': [], 'split': [],
                       'units': None} for v in variants}
            device = '?'
            for i in range(a.n):
                for v in variants:
                    el, pw = v
                    cmd = [binary[el]] + args
                    tag = ('' if pw is None else f' prewarm={"on" if pw == "1" else "off"}') + \
                        (f' ({el})' if el else '')
                    cache = os.path.join(tmp, f'cache-{label}-{i}')
                    shutil.rmtree(cache, ignore_errors=True)
                    env = dict(os.environ, XDG_CACHE_HOME=cache, POCL_CACHE_DIR=os.path.join(cache, 'pocl'),
                               G_MESSAGES_DEBUG='yoloengine')
                    env.pop('YOLO_CL_NO_CACHE', None)
                    if pw is not None:
                        env['YOLO_CL_PREWARM'] = pw
                    r = acc[v]
                    for kind in ('cold', 'warm'):
                        log = os.path.join(a.log, f'{label}-{a.device or "default"}-cache{a.program_cache}'
                                           f'{"" if pw is None else "-prewarm" + pw}{"-" + el if el else ""}'
                                           f'-{kind}{i}.log') if a.log else None
                        wall, cpu, lines, rc = run_once(cmd, env, log)
                        if rc != 0:
                            tail = '\n'.join(line for _, line in lines[-10:])
                            sys.exit(f'cold-start: {" ".join(cmd)} exited with {rc}:\n{tail}')
                        built, loaded, last = summarise(lines)
                        for _, line in lines:
                            if ': wrote output' in line:
                                device = line.split(': wrote output')[0]
                        r[kind].append(wall)
                        r[kind + '_cpu'].append(cpu)
                        if kind == 'cold':
                            r['split'].append(last)
                            r['units'] = r['units'] or built
                            print(f'{label}{tag} #{i} cold {wall:7.2f} s, {cpu:6.2f} s CPU  (programs built by '
                                  f'{last:6.2f} s: ' + ', '.join(f'{u} {t:.2f} s' for u, t, _ in built) + ')',
                                  flush=True)
                        else:
                            print(f'{label}{tag} #{i} warm {wall:7.2f} s, {cpu:6.2f} s CPU  ({len(built)} built, '
                                  f'{len(loaded)} loaded from the cache, last by {last:.2f} s)', flush=True)
                    shutil.rmtree(cache, ignore_errors=True)
            for v in variants:
                r = acc[v]
                results.append({'model': label, 'device': device, 'n': a.n,
                                'engine': v[0] or 'this',
                                'prewarm': {None: 'default', '1': 'on', '0': 'off'}[v[1]],
                                'cold_s': statistics.median(r['cold']),
                                'cold_cpu_s': statistics.median(r['cold_cpu']),
                                'warm_s': statistics.median(r['warm']),
                                'warm_cpu_s': statistics.median(r['warm_cpu']),
                                'cold_programs_built_s': statistics.median(r['split']),
                                'units_built': [{'unit': u, 's': t} for u, t, _ in r['units'] or []]})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f'load average after: {loadavg()}')
    print()
    print(f'| {"model":<16s} | {"device":<34s} | {"engine":<8s} | {"prewarm":<7s} | {"cold s":>7s} | {"CPU s":>6s} | '
          f'{"builds done s":>13s} | {"warm s":>7s} | {"CPU s":>6s} | units built (cold, first run) |')
    print(f'|{"-" * 18}|{"-" * 36}|{"-" * 10}|{"-" * 9}|{"-" * 9}|{"-" * 8}|{"-" * 15}|{"-" * 9}|{"-" * 8}|{"-" * 31}|')
    for r in results:
        units = ', '.join(f'{u["unit"]} {u["s"]:.1f}' for u in r['units_built'])
        print(f'| {r["model"]:<16s} | {r["device"][:34]:<34s} | {r["engine"]:<8s} | {r["prewarm"]:<7s} | {r["cold_s"]:7.2f} | '
              f'{r["cold_cpu_s"]:6.2f} | {r["cold_programs_built_s"]:13.2f} | {r["warm_s"]:7.2f} | '
              f'{r["warm_cpu_s"]:6.2f} | {units} |')
    print(f'(medians of {a.n}; wall time of the whole `yolo-engine run` process; CPU s: its user + '
          'system time)')
    if a.json:
        print(json.dumps({'load_average': loadavg(), 'results': results}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
