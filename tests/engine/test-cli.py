#!/usr/bin/env python3
"""Tests of the `yolo-engine` command: usage errors, info (text and JSON),
run (against onnxruntime when it is installed) and bench.

Environment: YOLO_ENGINE (the binary), YOLO_TEST_DATA (default ../shared).
Exit status 77 (skip) when the test models are missing."""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

ENGINE = os.environ.get("YOLO_ENGINE", "build/plugin/engine/yolo-engine")
DATA = os.environ.get("YOLO_TEST_DATA", "../shared")
MODELS = os.path.join(DATA, "models")
V8 = os.path.join(MODELS, "yolov8n-320.onnx")

failures = 0


def run(*args, timeout=600, env=None):
    p = subprocess.run([ENGINE, *args], capture_output=True, text=True,
                       timeout=timeout,
                       env=dict(os.environ, **env) if env else None)
    return p.returncode, p.stdout, p.stderr


def check(cond, what, detail=""):
    global failures
    if cond:
        print(f"ok - {what}")
    else:
        failures += 1
        print(f"not ok - {what}\n{detail}")


def expect_error(args, words, what):
    rc, out, err = run(*args)
    ok = rc == 1 and err.startswith("yolo-engine: ") and all(
        w in err for w in words)
    check(ok, what, f"rc={rc}\nstdout={out}\nstderr={err}")


def expect_one_line_error(args, words, what, env=None):
    """Exit status 1 and exactly one line on stderr naming `words`."""
    rc, out, err = run(*args, env=env)
    ok = rc == 1 and err.startswith("yolo-engine: ") \
        and err.count("\n") == 1 and all(w in err for w in words)
    check(ok, what, f"rc={rc}\nstdout={out}\nstderr={err}")


def main():
    if not os.path.exists(V8):
        print(f"SKIP: {V8} not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="test-cli-")

    # usage
    expect_error([], ["missing command", "Usage"], "no command")
    expect_error(["frobnicate"], ["unknown command", "Usage"],
                 "unknown command")
    expect_error(["info"], ["MODEL", "Usage"], "info without model")
    expect_error(["info", V8, "--bogus"], ["Usage"], "unknown option")
    expect_error(["run", V8], ["--input", "Usage"], "run without files")
    rc, out, _ = run("--help")
    check(rc == 0 and "bench" in out, "--help")
    check(all(f in out for f in ("--conv-kernel=", "--matmul-kernel=",
                                 "--max-work-group-size=",
                                 "--max-local-mem-size=",
                                 "--max-mem-alloc-size=",
                                 "--max-global-mem-size=", "--no-cache",
                                 "--tune=", "YOLO_TUNE",
                                 "--prewarm=", "YOLO_CL_PREWARM",
                                 "YOLO_CONV_KERNEL", "YOLO_DEVICE")),
          "--help lists the engine options and their variables", out)

    # info errors
    missing = os.path.join(tmp, "nope.onnx")
    expect_error(["info", missing], [missing, "not found"],
                 "info on a missing file")
    junk = os.path.join(tmp, "junk.onnx")
    with open(junk, "wb") as f:
        f.write(b"\x12\x34 not a model at all" * 10)
    expect_error(["info", junk], [junk, "ONNX"], "info on junk")

    # info --json
    rc, out, err = run("info", V8, "--json")
    check(rc == 0, "info --json exits 0", err)
    try:
        j = json.loads(out)
    except ValueError as e:
        j = None
        check(False, "info --json is JSON", f"{e}\n{out[:2000]}")
    if j is not None:
        check(j["inputs"][0]["name"] == "images"
              and j["inputs"][0]["shape"] == [1, 3, 320, 320],
              "info: input shape", json.dumps(j["inputs"]))
        check(j["outputs"][0]["shape"] == [1, 84, 2100],
              "info: output shape", json.dumps(j["outputs"]))
        check(j["family"] == "ultralytics" and j["n_classes"] == 80,
              "info: family", j["family_reason"])
        check(j["names"][0] == "person" and len(j["names"]) == 80,
              "info: names")
        check(j["opset"] == 20 and j["input_h"] == 320, "info: opset/size")
        check(3.0e6 < j["params"] < 3.4e6, "info: params", str(j["params"]))
        check(1.8 < j["gflops"] < 2.6, "info: gflops", str(j["gflops"]))
        check(j["ops"].get("Conv", 0) > 50, "info: op histogram",
              json.dumps(j["ops"]))
        check(j["metadata"]["task"] == "detect", "info: metadata")

    # info text, YOLOX (no metadata)
    yolox = os.path.join(MODELS, "yolox-nano-416.onnx")
    if os.path.exists(yolox):
        rc, out, err = run("info", yolox)
        check(rc == 0 and "head layout: yolox" in out
              and "one prediction per cell" in out
              and "[1,3549,85]" in out, "info: yolox text", out + err)

    # info: where an int8 model's convs run (issue 10 item 5), no device
    # needed: every conv of yolov8n-int8-640 on the integer kernels with
    # integer dot products, none without; the static QDQ files (written
    # by the parity-yolov8n-640-qdq* tests, when present) say so of their
    # QDQ epilogue and the codes; an fp32 model has no such line
    rc, out, err = run("info", V8)
    check(rc == 0 and "int8 convs:" not in out, "info: fp32, no int8 line",
          out + err)
    qdq_dir = os.path.join(os.path.dirname(os.path.abspath(ENGINE)),
                           os.pardir, os.pardir, "qdq-models")
    qdq = os.path.join(qdq_dir, "yolov8n-640-qdq-pc-ort1.32.0.onnx")
    for path, qepi in ((os.path.join(MODELS, "quantized",
                                     "yolov8n-int8-640.onnx"), False),
                       (qdq, True)):
        if not os.path.exists(path):
            print(f"# {path} not found: its int8 info line not tested")
            continue
        rc, out, err = run("info", path)
        line = [ln for ln in out.splitlines() if ln.startswith("int8 convs:")]
        ok = rc == 0 and len(line) == 1 and line[0].startswith(
            "int8 convs:  64 of 64 on the integer kernels") \
            and "0 of 64 elsewhere" in line[0] \
            and ("static QDQ epilogue" in line[0]) == qepi \
            and (" write uint8 codes" in line[0]) == qepi
        check(ok, f"info: int8 convs line of {os.path.basename(path)}",
              out + err)
        rc, out, err = run("info", path, "--json")
        try:
            c = json.loads(out)["int8_convs"]
            ok = rc == 0 and c["convs"] == 64 and c["integer_dot"] == 64 \
                and c["integer_no_dot"] == 0 \
                and c["qdq_epilogue"] == (64 if qepi else 0) \
                and (0 < c["codes"] < 64 if qepi else c["codes"] == 0)
        except (ValueError, KeyError, TypeError):
            ok = False
        check(ok, f"info --json: int8_convs of {os.path.basename(path)}",
              out + err)

    # run / bench need an OpenCL device
    rc, out, err = run("devices")
    if rc != 0:
        print(f"# no OpenCL device ({err.strip()}): run/bench not tested")
        return 1 if failures else 0
    check(out.strip() != "", "devices lists something")
    pocl_without_cache(out)

    import struct
    n_in = 3 * 320 * 320
    bad_in = os.path.join(tmp, "bad.f32")
    with open(bad_in, "wb") as f:
        f.write(b"\0" * 100)
    outp = os.path.join(tmp, "out.f32")
    expect_error(["run", V8, "--input", bad_in, "--output", outp],
                 ["100 bytes", str(n_in * 4)], "run: wrong input size")

    # a device as --input: refused in one line, not read without end (it
    # hung, growing memory)
    try:
        rc, out, err = run("run", V8, "--input", "/dev/zero", "--output",
                           outp, timeout=60)
        check(rc == 1 and err.startswith("yolo-engine: ")
              and "not a regular file" in err and err.count("\n") == 1,
              "run: a device as --input", err)
    except subprocess.TimeoutExpired:
        check(False, "run: a device as --input", "no answer in 60 s")

    good_in = os.path.join(tmp, "in.f32")
    vals = [((i * 2654435761) % 256) / 255.0 for i in range(n_in)]
    with open(good_in, "wb") as f:
        f.write(struct.pack(f"<{n_in}f", *vals))
    expect_error(["run", V8, "--input", good_in, "--output", outp,
                  "--output-index", "3"], ["output-index"],
                 "run: output index out of range")
    # --size on a fixed-size model: an error naming both sizes, not
    # silently ignored (it ran at 320 and said nothing); its own size is fine
    for cmd in (["info", V8], ["run", V8, "--input", good_in, "--output",
                               outp],
                ["bench", V8, "--iterations", "1", "--warmup", "0"]):
        expect_one_line_error(cmd + ["--size", "480x640"],
                              ["fixed input size of 320x320", "480x640",
                               "dynamic=True"], cmd[0] + " --size: fixed model")
    rc, out, err = run("info", V8, "--size", "320")
    check(rc == 0, "info --size: the model's own size", out + err)
    rc, out, err = run("run", V8, "--input", good_in, "--output", outp)
    check(rc == 0 and os.path.getsize(outp) == 84 * 2100 * 4, "run writes "
          "the output", out + err)
    output_kinds(tmp, good_in, outp)
    if rc == 0:
        try:
            import numpy as np
            import onnxruntime as ort
        except ImportError:
            print("# numpy/onnxruntime missing: output not compared")
        else:
            x = np.array(vals, dtype=np.float32).reshape(1, 3, 320, 320)
            sess = ort.InferenceSession(V8, providers=["CPUExecutionProvider"])
            ref = sess.run(None, {"images": x})[0].reshape(-1)
            got = np.fromfile(outp, dtype="<f4")
            boxes = np.abs(got[:4 * 2100] - ref[:4 * 2100]).max()
            scores = np.abs(got[4 * 2100:] - ref[4 * 2100:]).max()
            check(boxes < 1.0 and scores < 0.02, "run matches onnxruntime",
                  f"max box diff {boxes}, max score diff {scores}")

    rc, out, err = run("bench", V8, "--iterations", "3", "--warmup", "1",
                       "--json")
    try:
        b = json.loads(out)
        ok = rc == 0 and out.count("\n") == 1 and all(
            k in b for k in ("median_ms", "min_ms", "mean_ms", "max_ms",
                             "iterations", "device", "model"))
        ok = ok and b["iterations"] == 3 and b["min_ms"] <= b["median_ms"] \
            <= b["max_ms"]
        # the model's FLOPs (yolo-flops.h): 2 * MACs of the convolutions
        # (what info reports, 2.19 GFLOPs) plus the element-wise ops
        ok = ok and 2.18 < b["gflop"] < 2.25 and b["gflops"] > 0 \
            and "peak_pct" not in b
    except (ValueError, KeyError, TypeError):
        ok = False
    check(ok, "bench --json", out + err)

    # an int8 model counts its integer convs (ConvInteger lowered to the
    # fused ConvIntegerToFloat) like the float ones: yolov8n-int8-640's
    # GFLOP is its fp32 twin's 8.76, not the float-emulated rest (it read
    # 0.02 once every conv ran integer)
    q8 = os.path.join(MODELS, "quantized", "yolov8n-int8-640.onnx")
    if os.path.exists(q8):
        rc, out, err = run("bench", q8, "--iterations", "1", "--warmup", "0",
                           "--json")
        try:
            ok = rc == 0 and 8.7 < json.loads(out)["gflop"] < 8.9
        except (ValueError, KeyError, TypeError):
            ok = False
        check(ok, "bench --json: int8 GFLOP counts the integer convs",
              out + err)

    rc, out, err = run("bench", V8, "--iterations", "1", "--warmup", "0",
                       "--profile")
    check(rc == 0 and "median" in out, "bench --profile", out + err)
    profile_flops(out + err)
    expect_error(["bench", V8, "--iterations", "0"], ["iterations"],
                 "bench: bad iterations")
    expect_error(["run", V8, "--input", good_in, "--output", outp,
                  "--device", "no-such-device-xyz"],
                 ["no-such-device-xyz", "available: 0:0 "],
                 "run: unknown device")
    rc, out, err = run("run", V8, "--input", good_in, "--output", outp,
                       "--device", "no-such-device-xyz")
    check(err.count("\n") == 1 and "\\x0a" not in err,
          "run: unknown device is one line listing the devices", err)

    # Ultralytics export options (the task exports run since issue 11's
    # operators: tests/parity/test_zoo_parity.py)
    zoo = os.path.join(MODELS, "zoo")
    export_options(tmp, zoo)
    # a float16 model fed float16 bytes: the message says the file is
    # float32 whatever the model's input type
    fp16 = os.path.join(zoo, "yolo11n-fp16.onnx")
    if os.path.exists(fp16):
        half_in = os.path.join(tmp, "half.bin")
        with open(half_in, "wb") as f:
            f.write(b"\0" * (3 * 640 * 640 * 2))
        expect_one_line_error(
            ["run", fp16, "--input", half_in, "--output", outp],
            ["2457600 bytes", "4915200 bytes",
             "float32 for a float16 input too"],
            "run: a float16 model fed float16 bytes")
    # all device buffers together are bounded by CL_DEVICE_GLOBAL_MEM_SIZE
    # (here capped to 4 MB: yolov8n-320 needs more), by the flag or by its
    # environment default
    run_args = ["run", V8, "--input", good_in, "--output", outp]
    expect_one_line_error(run_args + ["--max-global-mem-size=4000000"],
                          ["CL_DEVICE_GLOBAL_MEM_SIZE"],
                          "--max-global-mem-size: device memory budget")
    expect_one_line_error(run_args, ["CL_DEVICE_GLOBAL_MEM_SIZE"],
                          "YOLO_MAX_GLOBAL_MEM_SIZE: device memory budget",
                          env={"YOLO_MAX_GLOBAL_MEM_SIZE": "4000000"})
    # one buffer is bounded by CL_DEVICE_MAX_MEM_ALLOC_SIZE (64 KiB: the
    # activation arena does not fit)
    expect_one_line_error(["bench", V8, "--iterations", "1",
                           "--max-mem-alloc-size=65536"],
                          ["CL_DEVICE_MAX_MEM_ALLOC_SIZE", "65536"],
                          "--max-mem-alloc-size: a clear error")

    engine_option_flags(tmp, good_in, outp)
    peak_command()

    info_run_agreement(tmp, good_in, outp)
    names_escaped(tmp)
    batch_flag(tmp, good_in)
    return 1 if failures else 0


def pocl_without_cache(devices_out):
    """PoCL reports no device when it cannot create its kernel cache (a
    read-only or missing home under a service manager): the error names
    the platforms and that cause, not "install an OpenCL driver"."""
    if "Portable Computing Language" not in devices_out:
        return
    rc, out, err = run("devices",
                       env={"POCL_CACHE_DIR": "/proc/no-such-dir/pocl"})
    if rc == 0:  # another implementation's device is still there
        print("# devices without PoCL's cache: another device remains")
        return
    check(rc == 1 and err.count("\n") == 1
          and "Portable Computing Language" in err
          and "POCL_CACHE_DIR" in err and "install an" not in err,
          "devices: PoCL without a writable cache names the cause",
          f"rc={rc}\nstderr={err}")


def same_floats(a, b, tol=1e-4):
    """Two float32 files hold the same values within tol (relative to the
    larger magnitude, absolute below 1)."""
    import array
    x, y = array.array("f"), array.array("f")
    with open(a, "rb") as f:
        x.frombytes(f.read())
    with open(b, "rb") as f:
        y.frombytes(f.read())
    return len(x) == len(y) and all(
        abs(u - v) <= tol * max(1.0, abs(u), abs(v)) for u, v in zip(x, y))


def output_kinds(tmp, good_in, outp):
    """--output is written where it points: through a symbolic link (it
    was replaced by a regular file, and so was a device: as root
    `--output /dev/full` turned /dev/full into a file and said it wrote),
    and a failed write is a one-line error, not "wrote"."""
    target = os.path.join(tmp, "target.f32")
    link = os.path.join(tmp, "link.f32")
    with open(target, "wb"):
        pass
    os.symlink(target, link)
    rc, out, err = run("run", V8, "--input", good_in, "--output", link)
    # the same values as the plain run's file, not the same bytes: the
    # tuner may pick another kernel variant for a close call in a later
    # process (last bits differ)
    check(rc == 0 and os.path.islink(link)
          and os.path.getsize(target) == os.path.getsize(outp)
          and same_floats(target, outp),
          "run --output through a symbolic link writes its target",
          f"rc={rc} link kept={os.path.islink(link)}\n{out}{err}")

    # a write that fails: /dev/full through a link in tmp (the old code
    # replaced the link, never touching /dev/full, and said "wrote")
    import stat
    if os.path.exists("/dev/full") and stat.S_ISCHR(os.stat("/dev/full").st_mode):
        full = os.path.join(tmp, "full.f32")
        os.symlink("/dev/full", full)
        rc, out, err = run("run", V8, "--input", good_in, "--output", full)
        check(rc == 1 and err.startswith("yolo-engine: ")
              and err.count("\n") == 1 and full in err and "wrote" not in out,
              "run: a failed write of --output is a one-line error",
              f"rc={rc}\nstdout={out}\nstderr={err}")


def detections(out):
    """`run`'s per-image detections: {image: [(class, score, box), ...]}."""
    dets, cur = {}, None
    for line in out.splitlines():
        m = re.match(r"image (\d+) \((.*)\): (\d+) detections? ", line)
        if m:
            cur = int(m.group(1))
            dets[cur] = {"file": m.group(2), "n": int(m.group(3)), "d": []}
            continue
        f = line.split()
        if cur is not None and line.startswith("  ") and len(f) == 4:
            dets[cur]["d"].append((int(f[0]), f[1], float(f[2]),
                                   [float(v) for v in f[3].split(",")]))
    return dets


def same_dets(a, b, tol=2e-3):
    return len(a) == len(b) and all(
        x[0] == y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= tol
        and all(abs(p - q) <= 0.2 for p, q in zip(x[3], y[3]))
        for x, y in zip(a, b))


def batch_flag(tmp, good_in):
    """--batch N on run (N images: one --input each, or one repeated; each
    image's detections printed, and the same as alone) and info (the shapes
    at that batch); bad values and input counts refused."""
    outp = os.path.join(tmp, "batch.f32")
    # images: bus.jpg and zidane.jpg letterboxed to 320 (the detections of
    # an image-like input; the hash pattern of good_in where cv2 is absent)
    ims = []
    try:
        import cv2
        import numpy as np
    except ImportError:
        ims = [good_in, good_in]
    else:
        for name in ("bus.jpg", "zidane.jpg"):
            src = os.path.join(DATA, "media", name)
            im = cv2.imread(src)
            if im is None:
                ims = [good_in, good_in]
                break
            h, w = im.shape[:2]
            r = min(320 / h, 320 / w)
            nw, nh = int(round(w * r)), int(round(h * r))
            can = np.full((320, 320, 3), 114, np.uint8)
            top, left = (320 - nh) // 2, (320 - nw) // 2
            can[top:top + nh, left:left + nw] = cv2.resize(im, (nw, nh))
            path = os.path.join(tmp, name + ".f32")
            (can[:, :, ::-1].transpose(2, 0, 1).astype("<f4") / 255.0) \
                .tofile(path)
            ims.append(path)
    off = ["--tune=off"]
    alone = []
    for im in ims:
        rc, out, err = run("run", V8, "--input", im, "--output", outp, *off)
        d = detections(out)
        check(rc == 0 and list(d) == [0] and d[0]["file"] == im
              and d[0]["n"] == len(d[0]["d"]),
              "run: the image's detections are printed", out + err)
        alone.append(d.get(0, {"d": None})["d"])
        with open(outp, "rb") as f:
            alone_out = f.read() if im == ims[0] else alone_out
    if ims[0] != good_in:
        check(alone[0] and any(x[1] == "bus" for x in alone[0])
              and alone[1] and all(x[1] == "person" for x in alone[1]),
              "run: bus.jpg has a bus, zidane.jpg persons", str(alone))

    # two images, one --input each: image k's detections as alone, and
    # the output is the images' outputs one after the other
    rc, out, err = run("run", V8, "--batch", "2", "--input", ims[0],
                       "--input", ims[1], "--output", outp, *off)
    d = detections(out)
    ok = rc == 0 and sorted(d) == [0, 1] and os.path.getsize(outp) == \
        2 * 84 * 2100 * 4 and "[2,84,2100]" in out
    check(ok and all(d[k]["file"] == ims[k] and same_dets(d[k]["d"],
                                                          alone[k])
                     for k in (0, 1)),
          "run --batch 2: per-image detections, as each alone", out + err)
    if ok:
        import struct
        with open(outp, "rb") as f:
            both = f.read()
        n = 84 * 2100
        a = struct.unpack(f"<{n}f", both[:4 * n])
        ref = struct.unpack(f"<{n}f", alone_out)
        check(max(abs(x - y) for x, y in zip(a, ref)) < 1e-3,
              "run --batch 2: image 0's output as alone")
    # one --input repeated
    rc, out, err = run("run", V8, "--batch", "3", "--input", ims[0],
                       "--output", outp, *off)
    d = detections(out)
    check(rc == 0 and sorted(d) == [0, 1, 2]
          and all(same_dets(d[k]["d"], alone[0]) for k in d)
          and os.path.getsize(outp) == 3 * 84 * 2100 * 4,
          "run --batch 3: one --input, repeated", out + err)
    # refused: an --input count that is neither 1 nor N, a batch out of
    # range, an input file of the wrong size (one image expected)
    expect_error(["run", V8, "--batch", "3", "--input", ims[0], "--input",
                  ims[1], "--output", outp],
                 ["--input given 2 times for --batch 3", "Usage"],
                 "run --batch 3 with two inputs")
    for b in ("0", "-2", "257"):
        expect_error(["run", V8, "--batch", b, "--input", ims[0],
                      "--output", outp], ["--batch " + b, "1 to 256"],
                     "run --batch " + b)
        expect_error(["info", V8, "--batch", b], ["--batch " + b,
                                                  "1 to 256"],
                     "info --batch " + b)
        expect_error(["bench", V8, "--batch", b, "-n", "1", "--warmup",
                      "0"], ["--batch " + b, "1 to 256"],
                     "bench --batch " + b)
    bad = os.path.join(tmp, "bad-batch.f32")
    with open(bad, "wb") as f:
        f.write(b"\0" * (2 * 3 * 320 * 320 * 4))
    expect_one_line_error(["run", V8, "--batch", "2", "--input", bad,
                           "--output", outp],
                          ["2457600 bytes", "(one image)", "1228800 bytes"],
                          "run --batch 2: a file of two images is refused")

    # a model whose head is not a detection head: one line saying so
    seg = os.path.join(MODELS, "zoo", "yolo11n-seg.onnx")
    if os.path.exists(seg):
        z = os.path.join(tmp, "zero640.f32")
        with open(z, "wb") as f:
            f.write(b"\0" * (3 * 640 * 640 * 4))
        rc, out, err = run("run", seg, "--input", z, "--output", outp, *off)
        check(rc == 0 and "detections: not decoded (metadata task is "
              "'segment'" in out and "image 0" not in out,
              "run: a segmentation model's detections are not decoded",
              out + err)

    # info at a batch: the shapes the engine runs
    rc, out, err = run("info", V8, "--batch", "4")
    check(rc == 0 and "images           float32  [4,3,320,320]" in out
          and "output0          float32  [4,84,2100]" in out
          and "4 images per inference" in out
          and "head layout: ultralytics" in out,
          "info --batch 4: shapes at batch 4", out + err)
    rc, out, err = run("info", V8, "--batch", "4", "--json")
    try:
        j = json.loads(out)
        ok = rc == 0 and j["batch"] == 4 \
            and j["inputs"][0]["shape"] == [4, 3, 320, 320] \
            and j["outputs"][0]["shape"] == [4, 84, 2100]
    except (ValueError, KeyError, TypeError, IndexError):
        ok = False
    check(ok, "info --batch 4 --json", out + err)
    rc, out, err = run("info", V8, "--json")
    check(rc == 0 and json.loads(out)["batch"] == 1, "info --json: batch 1")


def profile_flops(out):
    """bench --profile: per node its FLOPs, GFLOP/s and % of the device's
    peak (measured in the run); the first conv of yolov8n-320 is 3->16
    channels, 3x3, 320 -> 160: 2*16*160*160*3*9 = 22.1184 MFLOP, plus
    its fused SiLU (1 per output element, 0.4096 MFLOP)."""
    rows = [line.split() for line in out.splitlines()]
    conv0 = [r for r in rows if len(r) > 1 and r[0] == "0"
             and r[1] == "/model.0/conv/Conv"]
    # columns: # node op variant groups ms cpu-ms busy-ms node-ms MFLOP
    # GFLOP/s %peak
    ok = len(conv0) == 1 and len(conv0[0]) == 12 \
        and conv0[0][9] == "22.53" \
        and float(conv0[0][10]) > 0 and conv0[0][11].endswith("%")
    # on CPU devices the launch's CPU time of all threads >= that of the
    # busiest thread > 0; "-" elsewhere
    if ok and conv0[0][6] != "-":
        ok = float(conv0[0][6]) >= float(conv0[0][7]) > 0
    # work-groups: conv_3x3s2_c8's 2 blocks of 8 output channels x 80
    # row pairs x 10 segments of 16 pixels, 4 work-items a group; "-"
    # where the driver chose the local size
    if ok and conv0[0][3] == "conv-cpu-3x3s2":
        ok = conv0[0][4] == "400"
    elif ok:
        ok = conv0[0][4] == "-" or int(conv0[0][4]) > 0
    check(ok and "GFLOP/s" in out and "%peak" in out,
          "bench --profile: FLOPs, GFLOP/s, % of peak per node", out)
    check("of the device's peak" in out and re.search(
        r"kernel time [0-9.]+ ms for 2\.19[0-9] GFLOP", out) is not None,
        "bench --profile: the whole model's GFLOP/s and % of peak", out)


def peak_command():
    """yolo-engine peak: positive, finite figures (a tiny run: no timing
    is asserted), on the device's preferred and on other vector widths,
    and clear errors for bad values."""
    for extra in ([], ["--vector-width", "1"], ["--vector-width", "4"]):
        rc, out, err = run("peak", "--ms", "2", "--runs", "1", "--json",
                           *extra)
        try:
            p = json.loads(out)
            figs = [p["device"]["gflops"], p["device"]["wall_gflops"],
                    p["host"]["gflops"], p["host"]["wall_gflops"]]
            ok = rc == 0 and all(isinstance(f, (int, float)) and
                                 math.isfinite(f) and f > 0 for f in figs)
            ok = ok and p["device"]["vector_width"] in (1, 2, 4, 8, 16) \
                and p["host"]["parallel"] >= 1
            if extra:
                ok = ok and p["device"]["vector_width"] == int(extra[1])
        except (ValueError, KeyError, TypeError):
            ok = False
        check(ok, f"peak --json {' '.join(extra)}", out + err)
    rc, out, err = run("peak", "--ms", "2", "--runs", "3", "--no-device")
    check(rc == 0 and out.startswith("host:") and "GFLOP/s" in out
          and out.count("\n") == 1, "peak --no-device", out + err)
    expect_one_line_error(["peak", "--vector-width", "3"], ["vector width 3"],
                          "peak: bad vector width")
    expect_error(["peak", "--runs", "0"], ["runs"], "peak: bad run count")
    expect_error(["peak", "--no-device", "--no-host"], ["nothing"],
                 "peak: nothing to measure")
    expect_error(["peak", "extra"], ["positional"], "peak: no arguments")


def engine_option_flags(tmp, good_in, outp):
    """The engine options of run and bench (--conv-kernel, ...): invalid
    values are one-line errors; forced kernels give the default's output
    within the parity tolerances (`compare`); a flag wins over the
    environment variable it replaces."""
    run_args = ["run", V8, "--input", good_in]
    for args, words, what in [
            (["--conv-kernel=fast"], ["conv_kernel", "fast", "tiled"],
             "--conv-kernel: bad value"),
            (["--matmul-kernel=x"], ["matmul_kernel", "tile"],
             "--matmul-kernel: bad value"),
            (["--conv-kernel=matmul-tile"], ["conv_kernel", "matmul-tile"],
             "--conv-kernel: a variant of another op"),
            (["--tune=maybe"], ["tune", "on, off, cached"],
             "--tune: bad value"),
            (["--wino-layout=yx"], ["wino_layout", "xi"],
             "--wino-layout: bad value"),
            (["--program-cache=maybe"], ["program_cache", "on, off"],
             "--program-cache: bad value"),
            (["--prewarm=maybe"], ["prewarm", "auto, on, off"],
             "--prewarm: bad value"),
            (["--max-work-group-size=-1"], ["max_work_group_size", "-1"],
             "--max-work-group-size: negative"),
            (["--max-local-mem-size=-8"], ["max_local_mem_size"],
             "--max-local-mem-size: negative")]:
        expect_one_line_error(run_args + ["--output", outp] + args, words,
                              what)
    expect_one_line_error(["bench", V8, "--iterations", "1"],
                          ["YOLO_CONV_KERNEL", "bogus"],
                          "YOLO_CONV_KERNEL: bad value",
                          env={"YOLO_CONV_KERNEL": "bogus"})
    expect_one_line_error(["bench", V8, "--iterations", "1"],
                          ["YOLO_MAX_WORK_GROUP_SIZE", "lots"],
                          "YOLO_MAX_WORK_GROUP_SIZE: bad value",
                          env={"YOLO_MAX_WORK_GROUP_SIZE": "lots"})
    rc, out, err = run("bench", V8, "--iterations", "1", "--warmup", "0",
                       "--conv-kernel=auto", env={"YOLO_CONV_KERNEL": "bogus"})
    check(rc == 0, "--conv-kernel wins over YOLO_CONV_KERNEL", out + err)

    ref = os.path.join(tmp, "default.f32")
    rc, out, err = run(*run_args, "--output", ref)
    check(rc == 0, "run: default kernels", out + err)
    for flags in (["--conv-kernel=tiled"],
                  ["--conv-kernel=conv-generic", "--tune=off"],
                  ["--tune=on"], ["--tune=cached"], ["--prewarm=off"],
                  ["--conv-kernel=gpu", "--max-work-group-size=32"],
                  ["--conv-kernel=tiled", "--max-work-group-size=32",
                   "--max-local-mem-size=4096", "--no-cache"]):
        what = " ".join(flags)
        forced = os.path.join(tmp, "forced.f32")
        if os.path.exists(forced):
            os.unlink(forced)
        rc, out, err = run(*run_args, "--output", forced, *flags)
        check(rc == 0, f"run {what}", out + err)
        if rc == 0:
            rc, out, err = run("compare", V8, ref, forced)
            check(rc == 0, f"run {what} matches the default kernels",
                  out + err)
    rc, out, err = run("bench", V8, "--iterations", "1", "--warmup", "0",
                       "--conv-kernel=direct", "--matmul-kernel=tile",
                       "--max-work-group-size=64")
    check(rc == 0 and "median" in out, "bench with engine options", out + err)
    rc, out, err = run("bench", V8, "--iterations", "1", "--warmup", "0",
                       "--profile", "--conv-kernel=conv-generic")
    check(rc == 0 and "variant" in out and "conv-generic" in out,
          "bench --profile names the variants", out + err)


def names_escaped(tmp):
    """Class names from a file's metadata with control bytes are printed
    escaped by `info` (one line, no raw control bytes)."""
    try:
        import onnx
    except ImportError:
        print("# no onnx module: escaped names not tested")
        return
    m = onnx.load(V8)
    for p in m.metadata_props:
        if p.key == "names":
            p.value = "{0: 'per\\nson', 1: 'bi\\x07ke'}"
    path = os.path.join(tmp, "names-ctl.onnx")
    onnx.save(m, path)
    rc, out, err = run("info", path)
    line = [x for x in out.splitlines() if x.startswith("names (2):")]
    check(rc == 0 and line == ["names (2): 0=per\\nson, 1=bi\\x07ke"]
          and "\x07" not in out, "info: class names escaped", out + err)


def info_run_agreement(tmp, good_in, outp):
    """`info` and `run` accept and refuse the same models (issue 8)."""
    try:
        import onnx
    except ImportError:
        print("# no onnx module: info/run agreement not tested")
        return
    base = onnx.load(V8)

    def variant(name, dims, keep_imgsz=True):
        m = onnx.ModelProto()
        m.CopyFrom(base)
        shp = m.graph.input[0].type.tensor_type.shape
        for d, v in zip(shp.dim, dims):
            if isinstance(v, str):
                d.dim_param = v
            else:
                d.dim_value = v
        if not keep_imgsz:
            props = [p for p in m.metadata_props if p.key != "imgsz"]
            del m.metadata_props[:]
            m.metadata_props.extend(props)
        path = os.path.join(tmp, name + ".onnx")
        onnx.save(m, path)
        return path

    run_args = ["--input", good_in, "--output", outp]
    # a dynamic export with imgsz metadata: both accept it
    dyn = variant("dynamic", ["batch", 3, "height", "width"])
    rc, out, err = run("info", dyn)
    check(rc == 0 and "320x320" in out, "info accepts a dynamic export",
          out + err)
    rc, out, err = run("run", dyn, *run_args)
    check(rc == 0, "run accepts a dynamic export", out + err)
    # without imgsz: both need a size, and both take --size
    dyn2 = variant("dynamic-noimgsz", ["batch", 3, "height", "width"], False)
    expect_error(["info", dyn2], ["dynamic size"], "info: dynamic, no size")
    expect_error(["run", dyn2, *run_args], ["dynamic size"],
                 "run: dynamic, no size")
    rc, out, err = run("info", dyn2, "--size", "320x320")
    check(rc == 0 and "320x320" in out, "info --size", out + err)
    rc, out, err = run("run", dyn2, *run_args, "--size", "320x320")
    check(rc == 0, "run --size", out + err)
    # declared sizes that are no sizes: both refuse
    for name, dims in [("batch0", [0, 3, 320, 320]),
                       ("neg", [1, 3, -1, 320]),
                       ("huge", [1, 3, 1 << 40, 320]),
                       ("overflow", [1, 3, (1 << 31) - 1, (1 << 31) - 1])]:
        path = variant(name, dims)
        words = ["larger than"] if name == "overflow" else ["not a valid size"]
        expect_error(["info", path], words, "info refuses dims " + name)
        expect_error(["run", path, *run_args], words,
                     "run refuses dims " + name)


def export_options(tmp, zoo):
    """nms=True, batch=2 and dynamic=True exports: info describes them and
    what the engine makes of them; what it cannot run fails in one line
    naming the node and the export option."""
    nms = os.path.join(zoo, "yolo11n-nms.onnx")
    b2 = os.path.join(zoo, "yolo11n-batch2.onnx")
    dyn = os.path.join(zoo, "yolo11n-dynamic.onnx")
    if not all(os.path.exists(p) for p in (nms, b2, dyn)):
        print(f"# {zoo}: export models missing: skipped")
        return
    rc, out, err = run("info", nms)
    check(rc == 0 and "head layout: end2end" in out and "nms=True" in out
          and "output0          float32  [1,300,6]" in out
          and "nms:         the graph's NMS tail (53 nodes from "
          "\"/Transpose\") runs as the engine's NMS: score > 0.25, "
          "class-aware NMS IoU > 0.7, max_det 300" in out
          and "NonMaxSuppression" not in out,
          "info: nms=True export: its NMS tail and thresholds", out + err)
    rc, out, err = run("info", "--json", nms)
    j = json.loads(out) if rc == 0 else {}
    check(rc == 0 and "IoU > 0.7" in (j.get("nms_tail") or "")
          and j["outputs"][0]["shape"] == [1, 300, 6]
          and j["batch_from"] is None, "info --json: nms_tail", out + err)

    rc, out, err = run("info", b2)
    check(rc == 0 and "[1,3,640,640] (declared [2,3,640,640])" in out
          and "[1,84,8400] (declared [2,84,8400])" in out
          and "fixed batch of 2 (batch=2 export); run at batch 1" in out
          and "head layout: ultralytics" in out,
          "info: batch=2 export runs at batch 1", out + err)
    rc, out, err = run("info", "--json", b2)
    j = json.loads(out) if rc == 0 else {}
    check(rc == 0 and j["batch_from"] == 2
          and j["inputs"][0]["declared_shape"] == "[2,3,640,640]"
          and j["inputs"][0]["shape"] == [1, 3, 640, 640],
          "info --json: batch_from, declared_shape", out + err)

    rc, out, err = run("info", dyn)
    check(rc == 0 and "[1,3,640,640] (declared [batch,3,height,width])" in out
          and "[1,84,8400] (declared [batch,84,anchors])" in out
          and "dynamic:     batch=1, height=640, width=640" in out
          and "fixed batch" not in out,
          "info: dynamic export: symbolic dims by name and their values",
          out + err)
    rc, out, err = run("info", "--json", "--size", "320x480", dyn)
    j = json.loads(out) if rc == 0 else {}
    check(rc == 0 and j["dynamic_dims"] == "batch=1, height=320, width=480"
          and j["outputs"][0]["shape"] == [1, 84, 3150]
          and j["outputs"][0]["declared_shape"] == "[batch,84,anchors]",
          "info --json --size: dynamic_dims", out + err)

    import onnx
    from onnx import helper, TensorProto

    # a tail the recogniser does not know: one line naming op, node, option
    m = onnx.load(nms)
    for n in m.graph.node:
        if n.op_type == "Greater":
            n.op_type = "Less"
    p = os.path.join(tmp, "nms-less.onnx")
    onnx.save(m, p)
    expect_one_line_error(["info", p], ["Less node \"/Greater\"",
                                        "nms=True", "nms=False"],
                          "info: unknown op in an NMS tail")
    m = onnx.load(nms)
    for n in m.graph.node:
        if n.op_type == "NonMaxSuppression":
            n.attribute.extend([helper.make_attribute("center_point_box", 1)])
    p = os.path.join(tmp, "nms-cpb.onnx")
    onnx.save(m, p)
    expect_one_line_error(["bench", p, "--iterations", "1"],
                          ["NonMaxSuppression node", "center_point_box",
                           "nms=False"],
                          "bench: NMS tail with center boxes refused")

    # a batch the graph folds into another axis cannot become 1
    g = helper.make_graph(
        [helper.make_node("Reshape", ["x", "s1"], ["y"], name="r1"),
         helper.make_node("Reshape", ["y", "s2"], ["z"], name="r2")],
        "b2", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                             [2, 3, 32, 32])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [6144])],
        [helper.make_tensor("s1", TensorProto.INT64, [2], [2, 3072]),
         helper.make_tensor("s2", TensorProto.INT64, [1], [6144])])
    p = os.path.join(tmp, "batch-folded.onnx")
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
              p)
    expect_one_line_error(["info", p], ["batch=2", "batch=1"],
                          "info: a batch folded into features is refused")


if __name__ == "__main__":
    sys.exit(main())
