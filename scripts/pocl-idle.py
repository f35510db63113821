#!/usr/bin/env python3
"""Where PoCL's worker threads sit idle in a chained run of yolo-engine.

  scripts/pocl-idle.py [--engine PATH] [--iterations N] MODEL...

--engine: the yolo-engine binary (default $YOLO_ENGINE, else
build/plugin/engine/yolo-engine).

Runs `yolo-engine bench MODEL` (every launch of a frame enqueued on the
in-order queue, one clFinish per frame) with a small LD_PRELOAD library,
built here with cc, that timestamps pthread_cond_wait (enter, leave),
pthread_cond_broadcast, clEnqueueNDRangeKernel and clFinish in every
thread. PoCL 3.1's pthread device (lib/CL/devices/pthread/
pthread_scheduler.c) has its workers sleep on one condition variable
(the one they wait on most) when no work-group is left, and broadcasts on
it when a command becomes ready (push_command: the worker that finished
the previous launch, from its completion) and when a kernel's work-groups
are (push_kernel). Per frame (medians over the timed frames):

  wall        the frame: first enqueue to clFinish's return, ms
  enqueue     the host thread's enqueue of every launch, ms
  sleep       the workers' time asleep while the frame runs, ms (idle
              core time, up to 2 x wall on 2 workers)
  tail        the part of it before the other worker's first broadcast:
              waiting for the other worker to finish the launch, ms
  handover    the rest: the other worker's completion of the launch, its
              broadcast (a futex wake of the sleeper), the next launch's
              preparation, and the sleeper's wake-up, ms
  sleeps      how many times the workers went to sleep
  complete    one hand-over's push_command -> the completed event's
              broadcast on the finishing worker, us (its cost on the
              critical path, the futex wake included)

MODEL: a name in $YOLO_TEST_DATA/models without .onnx, or a path. Needs
PoCL's CPU device; the figures move with the machine's load (compare runs
of one load, or at a raised priority)."""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np

SHIM = r"""
#define _GNU_SOURCE
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* one event: time (ns), thread id, kind, pointer (condvar or kernel) */
typedef struct { uint64_t t; uint32_t tid, kind; uint64_t p; } Ev;
enum { WAIT_IN, WAIT_OUT, BCAST, ENQ, FIN_IN, FIN_OUT };
#define NEV (1u << 24)
static Ev *evs;
static uint32_t nev;
static __thread uint32_t tid;

static void rec (uint32_t kind, const void *p)
{
  struct timespec ts;
  uint32_t i;
  if (!evs) return;
  if (!tid) tid = syscall (SYS_gettid);
  i = __atomic_fetch_add (&nev, 1, __ATOMIC_RELAXED);
  if (i >= NEV) return;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  evs[i].t = ts.tv_sec * 1000000000ull + ts.tv_nsec;
  evs[i].tid = tid; evs[i].kind = kind; evs[i].p = (uintptr_t) p;
}
__attribute__ ((constructor)) static void init (void)
{ evs = calloc (NEV, sizeof (Ev)); }
__attribute__ ((destructor)) static void fini (void)
{
  const char *f = getenv ("POCL_IDLE_TRACE");
  FILE *o = f ? fopen (f, "wb") : NULL;
  if (!o) return;
  fwrite (evs, sizeof (Ev), nev < NEV ? nev : NEV, o);
  fclose (o);
}
int pthread_cond_wait (pthread_cond_t *c, pthread_mutex_t *m)
{
  static int (*real) (pthread_cond_t *, pthread_mutex_t *);
  int r;
  if (!real) real = dlvsym (RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
  rec (WAIT_IN, c); r = real (c, m); rec (WAIT_OUT, c);
  return r;
}
int pthread_cond_broadcast (pthread_cond_t *c)
{
  static int (*real) (pthread_cond_t *);
  if (!real)
    real = dlvsym (RTLD_NEXT, "pthread_cond_broadcast", "GLIBC_2.3.2");
  rec (BCAST, c);
  return real (c);
}
cl_int clEnqueueNDRangeKernel (cl_command_queue q, cl_kernel k, cl_uint d,
    const size_t *o, const size_t *g, const size_t *l, cl_uint n,
    const cl_event *w, cl_event *e)
{
  static cl_int (*real) (cl_command_queue, cl_kernel, cl_uint,
      const size_t *, const size_t *, const size_t *, cl_uint,
      const cl_event *, cl_event *);
  if (!real) real = dlsym (RTLD_NEXT, "clEnqueueNDRangeKernel");
  rec (ENQ, k);
  return real (q, k, d, o, g, l, n, w, e);
}
cl_int clFinish (cl_command_queue q)
{
  static cl_int (*real) (cl_command_queue);
  cl_int r;
  if (!real) real = dlsym (RTLD_NEXT, "clFinish");
  rec (FIN_IN, q); r = real (q); rec (FIN_OUT, q);
  return r;
}
"""
WAIT_IN, WAIT_OUT, BCAST, ENQ, FIN_IN, FIN_OUT = range(6)
EV = np.dtype([("t", "u8"), ("tid", "u4"), ("kind", "u4"), ("p", "u8")])


def build_shim(dir):
    src, lib = os.path.join(dir, "shim.c"), os.path.join(dir, "shim.so")
    with open(src, "w") as f:
        f.write(SHIM)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", lib, src, "-ldl"],
                   check=True)
    return lib


def analyse(ev, skip):
    ev = ev[np.argsort(ev["t"], kind="stable")]
    t = ev["t"].astype(np.int64)
    host = collections.Counter(ev["tid"][ev["kind"] == ENQ]).most_common(1)[0][0]
    waits = ev[(ev["kind"] == WAIT_IN) & (ev["tid"] != host)]
    # no worker ever slept (not PoCL's pthread device): nothing matches
    pool = (collections.Counter(waits["p"]).most_common(1)[0][0]
            if len(waits) else None)
    fin = np.where((ev["kind"] == FIN_OUT) & (ev["tid"] == host))[0]
    enq = np.where((ev["kind"] == ENQ) & (ev["tid"] == host))[0]
    bc = np.where((ev["kind"] == BCAST) & (ev["p"] == pool))[0]
    sleep_in = np.where((ev["kind"] == WAIT_IN) & (ev["p"] == pool)
                        & (ev["tid"] != host))[0]
    rows = collections.defaultdict(list)
    for a, b in list(zip(fin[:-1], fin[1:]))[skip:]:
        es = enq[(enq > a) & (enq < b)]
        if len(es) == 0:
            continue
        t0, t1 = t[es[0]], t[b]
        tail = hand = n = 0
        for j in sleep_in[(sleep_in > es[0]) & (sleep_in < b)]:
            w = ev["tid"][j]
            k = j + 1
            while not (ev["kind"][k] == WAIT_OUT and ev["tid"][k] == w):
                k += 1
            # the first broadcast by another thread after falling asleep
            m = np.searchsorted(t[bc], t[j])
            while m < len(bc) and ev["tid"][bc[m]] == w:
                m += 1
            b1 = min(t[bc[m]], t[k]) if m < len(bc) else t[k]
            tail += b1 - t[j]
            hand += t[k] - b1
            n += 1
        rows["wall"].append((t1 - t0) / 1e6)
        rows["enqueue"].append((t[es[-1]] - t0) / 1e6)
        rows["sleep"].append((tail + hand) / 1e6)
        rows["tail"].append(tail / 1e6)
        rows["handover"].append(hand / 1e6)
        rows["sleeps"].append(n)
        rows["launches"].append(len(es))
    # push_command, then the completed event's broadcast (another condvar)
    # by the same worker
    wb = np.where((ev["kind"] == BCAST) & (ev["tid"] != host))[0]
    comp = [t[y] - t[x] for x, y in zip(wb[:-1], wb[1:])
            if ev["tid"][x] == ev["tid"][y] and ev["p"][x] == pool
            and ev["p"][y] != pool and len(fin) > skip and x > fin[skip]]
    if not rows:
        sys.exit("pocl-idle.py: no timed frame in the trace")
    out = {k: statistics.median(v) for k, v in rows.items()}
    out["complete_us"] = float(np.median(comp)) / 1e3 if comp else 0.0
    out["frames"] = len(rows["wall"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", default=os.environ.get(
        "YOLO_ENGINE", "build/plugin/engine/yolo-engine"))
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    data = os.environ.get("YOLO_TEST_DATA", "../shared")
    print("| model | launches | wall ms | enqueue ms | sleep ms | tail ms "
          "| handover ms | sleeps | complete us | CPU ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as dir:
        shim = build_shim(dir)
        for m in args.models:
            path = m if m.endswith(".onnx") else os.path.join(
                data, "models", m + ".onnx")
            trace = os.path.join(dir, "trace.bin")
            env = dict(os.environ, LD_PRELOAD=shim, POCL_IDLE_TRACE=trace)
            out = subprocess.run([args.engine, "bench", path, "--json",
                                  "--iterations", str(args.iterations),
                                  "--warmup", "3"], env=env, check=True,
                                 capture_output=True, text=True)
            j = json.loads(out.stdout.strip().splitlines()[-1])
            r = analyse(np.fromfile(trace, dtype=EV), 3)
            print("| %s | %d | %.2f | %.3f | %.3f | %.3f | %.3f | %d | %.1f "
                  "| %.2f |" % (m, r["launches"], r["wall"], r["enqueue"],
                                r["sleep"], r["tail"], r["handover"],
                                r["sleeps"], r["complete_us"],
                                j["cpu_median_ms"]))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
