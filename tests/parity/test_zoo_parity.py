#!/usr/bin/env python3
"""Zoo parity: every model of $YOLO_TEST_DATA/models/zoo/ against onnxruntime,
on EVERY output, on bus.jpg and zidane.jpg.

usage: test_zoo_parity.py [--models a,b] [--images bus.jpg,zidane.jpg]
                          [--device SPEC] [--engine PATH] [--subset]

Both sides get the identical input tensor: the image letterboxed to the
model's 640x640 as in test_parity.py (OpenCV decode and resize, pad 114),
RGB / 255, written to IN.f32 and fed to onnxruntime and to
`$YOLO_ENGINE run MODEL --input IN.f32 --output OUT.f32 --output-index I`.
The reference is onnxruntime's CPU provider with graph optimisations off
(ORT_DISABLE_ALL: the zoo README notes that its result moves by up to 0.2
between optimisation levels on some graphs); how far its default level
(ORT_ENABLE_ALL) lands from that is printed as the noise floor.

What is compared, per output layout (from the model's metadata `task`,
`end2end`, `kpt_shape`, `names`), with these tolerances (|err| <= atol):

  [1,4+nc+E,N] (detect, segment, pose, obb heads, one column per anchor)
      rows 0-3   box cx,cy,w,h (input pixels)                   0.05
      rows 4..   class scores (sigmoid)                          1e-3
      segment: 32 mask coefficients (raw, |v| up to ~10)         2e-3
      pose:    keypoints x,y (input pixels)                      0.05
               keypoint visibility (sigmoid)                     1e-3
      obb:     angle (radians)                                   1e-3
  [1,32,H,W] segment mask prototypes (raw, |v| up to ~30)        5e-3
  [1,nc]     classify probabilities (softmax, ~1e-3 each)        1e-6
  [1,K,6+E]  end-to-end rows (x1,y1,x2,y2, score, class, E extra), sorted
             by score: every reference row scoring > 0.01 must match a
             distinct engine row of the same class with box <= 0.05 px and
             score <= 1e-3 (rows with near-equal scores may swap, as in
             test_parity.py); the engine may not have extra rows over
             0.01 + 1e-3; on matched rows the keypoints x,y <= 0.05 px and
             visibility <= 1e-3.

The engine's fp32 sums run in another order than onnxruntime's; the
tolerances leave room for that (measured errors are 3-20x below them, see
README) and nothing else.

Models the engine still refuses, or that another test compares in their
own way (nms=True, batch=2: tests/parity/test_exports.py), are listed in
REFUSED below, each with its reason (the README's model table says the
same); they are skipped with that reason. Every .onnx file of the folder must be in EXPECTED or REFUSED, so a
new file is never silently ignored.

On a slow device (YOLO_DEVICE naming rusticl, or --subset) a representative
subset runs: the models with the operators no other parity test covers,
yolo11n-seg (ConvTranspose, two outputs) and yolo11n-obb (Sin/Cos), on
bus.jpg only (with yolov6n these took 721 s under rusticl on a loaded
2-core machine, the whole list 77 s under PoCL; meson's timeout is 900 s,
times 4 in the rusticl setup; yolov6n's ConvTranspose is the same
k == stride case as the seg protos').

Exit status: 0 pass, 1 mismatch or error, 77 (meson: skipped) only when the
machine has no OpenCL device at all.
"""
import ast
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parity_cli  # noqa: E402
from test_parity import make_input  # noqa: E402

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
except ImportError as e:
    print(f'FAIL: {sys.executable} cannot import {e.name}: install the test '
          'requirements with scripts/install-deps.sh', file=sys.stderr)
    sys.exit(1)

BOX_ATOL = 0.05        # input pixels (boxes, keypoint x,y)
SCORE_ATOL = 1e-3      # sigmoid scores, keypoint visibility
MASK_COEF_ATOL = 2e-3  # raw mask coefficients
PROTO_ATOL = 5e-3      # raw mask prototypes
ANGLE_ATOL = 1e-3      # radians
PROB_ATOL = 1e-6       # softmax probabilities of the classifier
E2E_MIN_SCORE = 0.01

# Must load and match onnxruntime.
EXPECTED = ['yolov6n', 'yolov10n', 'yolo12n', 'yolo11n-seg', 'yolo11n-pose',
            'yolo26n-pose-e2e', 'yolo11n-obb', 'yolo11n-cls', 'yolo11n-dynamic']
# The one place that says which zoo models are skipped here, and why.
REFUSED = {
    'yolo11n-nms': 'nms=True export: compared by test_exports.py instead '
                   '(parity-export-nms-*: detections as sets, the NMS tail bit for bit)',
    'yolo11n-batch2': 'batch=2 export: compared by test_exports.py instead '
                      '(parity-export-batch2: slot 0 of onnxruntime\'s batch of two)',
    'yolo11n-fp16': 'half precision: compared by test_fp16.py instead '
                    '(parity-fp16: against onnxruntime fp16 and the float32 twin)',
}
SUBSET = ['yolo11n-seg', 'yolo11n-obb']


class Report:
    def __init__(self, label):
        self.label = label
        self.failures = []
        self.max_err = {}   # output name -> max |err|

    def section(self, out, name, ref, got, atol):
        ref = np.asarray(ref, np.float64)
        got = np.asarray(got, np.float64)
        if ref.size == 0:
            return
        err = np.abs(ref - got)
        err[~np.isfinite(got)] = np.inf
        bad = err > atol
        m = float(err.max())
        self.max_err[out] = max(self.max_err.get(out, 0.0), m)
        nbad = int(bad.sum())
        status = 'ok' if nbad == 0 else f'FAIL ({nbad} of {err.size} over {atol:g})'
        print(f'    {out} {name:<26s} max|err| {m:.3g} (atol {atol:g}): {status}')
        if nbad:
            i = np.unravel_index(int(np.argmax(err)), err.shape)
            self.failures.append(f'{self.label} {out} {name}: {nbad} of {err.size} values differ by '
                                 f'more than {atol:g} (max {m:.4g} at {tuple(int(v) for v in i)}: '
                                 f'reference {ref[i]:.6g}, engine {got[i]:.6g})')

    def fail(self, msg):
        print('    ' + msg)
        self.failures.append(f'{self.label}: {msg}')


def meta(path):
    m = onnx.load(path, load_external_data=False)
    md = {p.key: p.value for p in m.metadata_props}
    names = ast.literal_eval(md['names']) if 'names' in md else {}
    kpt = ast.literal_eval(md['kpt_shape']) if 'kpt_shape' in md else None
    return {'task': md.get('task', 'detect'), 'end2end': md.get('end2end') == 'True',
            'nc': len(names), 'kpt': kpt}


def extra_sections(rep, out, info, r, g, axis_rows):
    """The per-anchor values after the class scores. r, g: [E, N] (rows =
    values) when axis_rows, else [K, E]."""
    if not axis_rows:
        r, g = r.T, g.T
    task = info['task']
    if task == 'segment':
        rep.section(out, 'mask coefficients', r, g, MASK_COEF_ATOL)
    elif task == 'pose':
        nk, nd = info['kpt']
        r = r.reshape(nk, nd, -1)
        g = g.reshape(nk, nd, -1)
        rep.section(out, 'keypoints x,y (px)', r[:, :2], g[:, :2], BOX_ATOL)
        if nd == 3:
            rep.section(out, 'keypoint visibility', r[:, 2], g[:, 2], SCORE_ATOL)
    elif task == 'obb':
        rep.section(out, 'angle (rad)', r, g, ANGLE_ATOL)
    elif r.size:
        rep.fail(f'{out}: {r.shape[0]} unexpected values per anchor for task {task}')


def compare_anchors(rep, out, info, ref, got):
    nc = info['nc']
    r, g = ref[0], got[0]
    rep.section(out, 'boxes cx,cy,w,h (px)', r[:4], g[:4], BOX_ATOL)
    rep.section(out, 'class scores', r[4:4 + nc], g[4:4 + nc], SCORE_ATOL)
    extra_sections(rep, out, info, r[4 + nc:], g[4 + nc:], True)


def compare_e2e(rep, out, info, ref, got):
    ref = ref.reshape(-1, ref.shape[-1]).astype(np.float64)
    got = got.reshape(-1, got.shape[-1]).astype(np.float64)
    if not np.isfinite(got).all():
        rep.fail(f'{out}: {int((~np.isfinite(got)).sum())} non-finite values')
        return
    rc, gc = np.rint(ref[:, 5]), np.rint(got[:, 5])
    # rows near the top-K cut-off may be replaced by near-equal ones
    floor = max(E2E_MIN_SCORE, float(ref[:, 4].min()) + SCORE_ATOL)
    want = [i for i in range(len(ref)) if ref[i, 4] > floor]
    used = np.zeros(len(got), bool)
    pairs = []
    for i in want:
        cand = np.where(~used & (gc == rc[i]))[0]
        if cand.size:
            be = np.abs(got[cand, :4] - ref[i, :4]).max(1)
            se = np.abs(got[cand, 4] - ref[i, 4])
            ok = cand[(be <= BOX_ATOL) & (se <= SCORE_ATOL)]
            if ok.size:
                j = ok[np.argmin(np.abs(got[ok, :4] - ref[i, :4]).max(1) + (ok != i) * 1e-9)]
                used[j] = True
                pairs.append((i, j))
                continue
        j = int(np.argmin(np.abs(got[:, :4] - ref[i, :4]).max(1)))
        rep.fail(f'{out}: reference row {i} (class {int(rc[i])}, score {ref[i, 4]:.4f}) has no '
                 f'engine match; closest engine row {j}: class {int(gc[j])}, score {got[j, 4]:.4f}')
    extra = np.where(~used & (got[:, 4] > floor + SCORE_ATOL))[0]
    for j in extra[:10]:
        rep.fail(f'{out}: engine row {j} (class {int(gc[j])}, score {got[j, 4]:.4f}) is not in the reference')
    print(f'    {out} rows scoring > {floor:.4g}: {len(want)} in the reference, {len(pairs)} matched')
    if pairs:
        ri = np.array([p[0] for p in pairs])
        gi = np.array([p[1] for p in pairs])
        rep.section(out, 'matched boxes (px)', ref[ri, :4], got[gi, :4], BOX_ATOL)
        rep.section(out, 'matched scores', ref[ri, 4], got[gi, 4], SCORE_ATOL)
        extra_sections(rep, out, info, ref[ri, 6:], got[gi, 6:], False)


def compare_output(rep, info, idx, name, ref, got):
    out = f'output {idx} {name} {list(ref.shape)}'
    task = info['task']
    if task == 'classify':
        rep.section(out, 'probabilities', ref, got, PROB_ATOL)
    elif task == 'segment' and ref.ndim == 4:
        rep.section(out, 'mask prototypes', ref, got, PROTO_ATOL)
    elif info['end2end'] and ref.ndim == 3:
        compare_e2e(rep, out, info, ref, got)
    elif ref.ndim == 3 and ref.shape[1] >= 4 + info['nc']:
        compare_anchors(rep, out, info, ref, got)
    else:
        rep.fail(f'{out}: no comparison rule for this layout (task {task})')


def run_engine(engine, device, model, in_path, out_path, index):
    if os.path.exists(out_path):
        os.unlink(out_path)
    cmd = parity_cli.run_command(engine, model, in_path, out_path, device,
                                 ['--output-index', str(index)])
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, (p.stderr.strip() or p.stdout.strip()).splitlines()


def main():
    ap = parity_cli.parser(__doc__)
    ap.add_argument('--models', help='comma-separated subset of the zoo (names without .onnx)')
    ap.add_argument('--images', default='bus.jpg,zidane.jpg')
    ap.add_argument('--subset', action='store_true',
                    help='the representative subset (default on rusticl)')
    a = ap.parse_args()

    data = parity_cli.data_dir()
    zoo = os.path.join(data, 'models', 'zoo')
    engine = a.engine
    status = parity_cli.files_missing(zoo) or parity_cli.engine_unusable(engine)
    if status is not None:
        return status

    files = sorted(f[:-5] for f in os.listdir(zoo) if f.endswith('.onnx'))
    unknown = [f for f in files if f not in EXPECTED and f not in REFUSED]
    missing = [m for m in EXPECTED if m not in files]
    failures = []
    if unknown:
        failures.append(f'zoo models neither in EXPECTED nor REFUSED: {unknown}')
    if missing:
        failures.append(f'expected zoo models missing from {zoo}: {missing}')
    images = a.images.split(',')
    models = EXPECTED
    slow = a.subset or 'rusticl' in (os.environ.get('YOLO_DEVICE', '') + (a.device or '')).lower()
    if a.models:
        models = a.models.split(',')
    elif slow:
        models = SUBSET
        images = images[:1]
        print(f'slow device: the representative subset {SUBSET} on {images[0]}')
    for m in sorted(REFUSED):
        if m in files and not a.models:
            print(f'SKIP {m}: {REFUSED[m]}')

    summary = []
    tmp = tempfile.mkdtemp(prefix='yolo-zoo-')
    try:
        for m in models:
            path = os.path.join(zoo, m + '.onnx')
            if not os.path.exists(path):
                continue
            info = meta(path)
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
            sess = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
            sess_opt = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
            inp = sess.get_inputs()[0]
            shape = [d if isinstance(d, int) else None for d in inp.shape]
            shape = [1, 3, shape[2] or 640, shape[3] or 640]
            for image in images:
                rep = Report(f'{m} on {image}')
                print(f'{m} ({info["task"]}{", end2end" if info["end2end"] else ""}) on {image}')
                x = make_input(os.path.join(data, 'media', image), 'ultralytics', shape)
                refs = sess.run(None, {inp.name: x})
                refs_opt = sess_opt.run(None, {inp.name: x})
                in_path = os.path.join(tmp, 'IN.f32')
                out_path = os.path.join(tmp, 'OUT.f32')
                x.tofile(in_path)
                for i, (o, ref) in enumerate(zip(sess.get_outputs(), refs)):
                    ref = ref.astype(np.float32)
                    floor = float(np.abs(refs_opt[i].astype(np.float64) - ref).max())
                    rc, log = run_engine(engine, a.device, path, in_path, out_path, i)
                    if rc != 0:
                        rep.fail(f'yolo-engine run --output-index {i} exited with status {rc}: '
                                 + ' / '.join(log[-3:]))
                        break
                    got = np.fromfile(out_path, np.float32)
                    if got.size != ref.size:
                        rep.fail(f'output {i}: engine wrote {got.size} floats, onnxruntime {list(ref.shape)}')
                        continue
                    compare_output(rep, info, i, o.name, ref, got.reshape(ref.shape))
                    if not (info['end2end'] and ref.ndim == 3):  # e2e rows reorder
                        print(f'    output {i}: onnxruntime ENABLE_ALL vs DISABLE_ALL max|diff| {floor:.3g}')
                errs = ', '.join(f'{k.split(" ")[2]} {v:.3g}' for k, v in rep.max_err.items())
                summary.append(f'  {m:<18s} {image:<10s} max|err| {errs}'
                               f'{"" if not rep.failures else "  FAIL"}')
                failures += rep.failures
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print('summary (max |err| per output, all sections):')
    print('\n'.join(summary))
    if failures:
        print('FAIL: the zoo models differ from onnxruntime:')
        for f in failures:
            print('  - ' + f)
        return 1
    print(f'PASS: {len(models)} zoo models match onnxruntime on {", ".join(images)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
