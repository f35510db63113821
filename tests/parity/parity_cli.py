"""What the main() of every parity script (tests/parity/test_*.py) shares
around its own checks, in one place: its --device and --engine options,
the test data folder, the checks that the yolo-engine binary exists and that
the machine has an OpenCL device (a one-line FAIL or SKIP and the exit
status), the `yolo-engine run` command line, and the final PASS / FAIL
verdict. Standard library only, so a script can report a missing numpy or
onnxruntime itself.

Exit statuses: 0 pass, 1 mismatch or error, SKIP (77, meson: skipped) only
when the machine has no OpenCL device at all.
"""
import argparse
import os
import shutil
import subprocess

SKIP = 77


def data_dir():
    """The shared test data folder: $YOLO_TEST_DATA, else ../shared beside
    the repository."""
    return os.environ.get('YOLO_TEST_DATA', os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', 'shared'))


def parser(doc=None):
    """An ArgumentParser described by the first line of doc, with --device
    (yolo-engine's device spec, default $YOLO_TEST_DEVICE) and --engine
    (the yolo-engine binary, default $YOLO_ENGINE)."""
    ap = argparse.ArgumentParser(description=doc.split('\n')[0] if doc else None)
    ap.add_argument('--device', default=os.environ.get('YOLO_TEST_DEVICE'),
                    help='passed to yolo-engine --device (default $YOLO_TEST_DEVICE)')
    ap.add_argument('--engine', default=os.environ.get('YOLO_ENGINE'),
                    help='yolo-engine binary (default $YOLO_ENGINE)')
    return ap


def have_opencl_device(engine):
    """True/False when we can tell, None when we cannot."""
    if shutil.which('clinfo'):
        try:
            out = subprocess.run(['clinfo', '-l'], capture_output=True, text=True, timeout=60).stdout
            return 'Device' in out
        except (subprocess.SubprocessError, OSError):
            pass
    if engine:
        try:
            p = subprocess.run([engine, 'devices'], capture_output=True, text=True, timeout=120)
            if p.returncode == 0:
                return p.stdout.strip() != ''
        except (subprocess.SubprocessError, OSError):
            pass
    return None


def engine_unusable(engine):
    """None when the yolo-engine binary engine exists and the machine may
    have a device; else prints why and returns the exit status: 1 (FAIL: no
    binary) or SKIP (no OpenCL device)."""
    if not engine or not os.path.exists(engine):
        print(f'FAIL: yolo-engine binary not found (YOLO_ENGINE={engine!r})')
        return 1
    if have_opencl_device(engine) is False:
        print('SKIP: no OpenCL device on this machine')
        return SKIP
    return None


def files_missing(*paths):
    """None when every path exists; else prints a FAIL naming the first
    missing one and returns 1."""
    for path in paths:
        if not os.path.exists(path):
            print(f'FAIL: {path} not found (set YOLO_TEST_DATA to the shared test data folder)')
            return 1
    return None


def run_command(engine, model, inp, out, device=None, extra=()):
    """`yolo-engine run MODEL --input INP --output OUT [EXTRA...] [--device
    DEVICE]` as an argument list."""
    cmd = [engine, 'run', model, '--input', inp, '--output', out, *extra]
    if device:
        cmd += ['--device', device]
    return cmd


def verdict(failures, failed, passed):
    """The script's last word and exit status: with failures, the line
    failed and one '  - ' line per failure, 1; else the line passed, 0."""
    if failures:
        print(failed)
        for f in failures:
            print('  - ' + f)
        return 1
    print(passed)
    return 0
