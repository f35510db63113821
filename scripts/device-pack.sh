#!/usr/bin/env bash
# device-pack.sh - packs what scripts/device-check.sh needs on a machine that
# has a GPU and its vendor's OpenCL driver but none of our build or test
# dependencies (no GStreamer, no onnxruntime, no numpy, no apt).
#
# usage: scripts/device-pack.sh [--out DIR] [--build DIR] [--models A,B,...]
#                               [--copy-models] [--iterations N] [--warmup N]
#                               [--device SPEC] [--no-bench]
#
#   --out DIR       the kit (default device-kit in the repository root;
#                   git-ignored); rewritten from scratch
#   --build DIR     meson build folder with plugin/engine/yolo-engine
#                   (default build; set up and built when missing)
#   --models LIST   comma-separated model names from $YOLO_TEST_DATA/models
#                   (default: every fp32 model there, *.onnx)
#   --copy-models   copy the .onnx files into the kit (else device-check.sh
#                   reads them from $YOLO_TEST_DATA/models or a shared/models
#                   folder beside or above the kit)
#   --iterations N, --warmup N
#                   `yolo-engine bench` of the CPU reference run (20, 3)
#   --device SPEC   device of the CPU reference run (default: the engine's
#                   default, i.e. $YOLO_DEVICE or PoCL here)
#   --no-bench      leave the CPU column empty (faster packing)
#
# The kit holds:
#   bin/yolo-engine, bin/device-check.sh
#   lib/        every shared library yolo-engine needs except glibc's
#               (from ldd: the ICD loader libOpenCL.so.1, libglib-2.0,
#               libpcre2-8, libprotobuf-c, ...); the OpenCL kernels are
#               compiled into yolo-engine
#   data/       per model: onnxruntime's output 0 for bus.jpg (REF), and the
#               letterboxed bus.jpg tensors (one per input size and
#               pre-processing, shared by the models that use the same one),
#               made exactly as tests/parity/test_parity.py makes them
#   manifest.tsv  model, family, input, reference, CPU ms (yolo-engine bench
#               median here), onnxruntime ms here, CPU device name ("-": none)
#   models/     with --copy-models
# Needs: the python3 that runs tests/parity (onnxruntime, numpy, opencv;
# .venv/bin/python3 when present), ldd, and a built or buildable tree.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
out="$root/device-kit"
build="$root/build"
models=""
copy_models=0
iterations=20
warmup=3
device=""
bench=1
data="${YOLO_TEST_DATA:-$root/../shared}"

die() {
  echo "device-pack: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --copy-models) copy_models=1; shift ;;
    --iterations) iterations=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --no-bench) bench=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
case "$iterations$warmup" in *[!0-9]*) die "--iterations and --warmup take whole numbers" ;; esac
[ -d "$data/models" ] || die "no test data at $data (set YOLO_TEST_DATA)"
[ -f "$data/media/bus.jpg" ] || die "$data/media/bus.jpg not found"

python=python3
[ -x "$root/.venv/bin/python3" ] && python="$root/.venv/bin/python3"
"$python" -c 'import onnxruntime, numpy, cv2' 2>/dev/null ||
  die "$python cannot import onnxruntime, numpy, cv2 (scripts/install-deps.sh)"

engine="$build/plugin/engine/yolo-engine"
if [ ! -x "$engine" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$root" -Dtest_data="$data" >&2
  fi
  ninja -C "$build" plugin/engine/yolo-engine >&2
fi
[ -x "$engine" ] || die "$engine was not built"

if [ -z "$models" ]; then
  for f in "$data"/models/*.onnx; do
    n=$(basename "$f" .onnx)
    models="${models:+$models,}$n"
  done
fi
IFS=, read -r -a model_list <<<"$models"
for m in "${model_list[@]}"; do
  [ -f "$data/models/$m.onnx" ] || die "$data/models/$m.onnx not found"
done

case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
# only ever delete an earlier kit (or an empty folder)
if [ -e "$out" ] && [ ! -f "$out/manifest.tsv" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
  die "$out exists and is not a kit: not overwriting it"
fi
rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/data"
cp "$engine" "$out/bin/yolo-engine"
cp "$here/device-check.sh" "$out/bin/device-check.sh"

# Shared libraries: everything ldd resolves except the C runtime (glibc's
# libraries and the dynamic loader, which must come from the machine).
deps=$(ldd "$engine") || die "ldd $engine failed"
while read -r name arrow path _; do
  [ "$arrow" = "=>" ] || continue
  case "$name" in
    libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libresolv.so.* | ld-linux*) continue ;;
  esac
  [ -f "$path" ] || die "ldd: $name not found ($path)"
  cp -L "$path" "$out/lib/$name"
done <<<"$deps"
[ -f "$out/lib/libOpenCL.so.1" ] ||
  die "yolo-engine does not link libOpenCL.so.1: the kit would have no ICD loader"

# Reference tensors: the same letterbox and onnxruntime session as
# tests/parity/test_parity.py (its functions, imported).
echo "device-pack: onnxruntime references for ${model_list[*]}" >&2
"$python" - "$root/tests/parity" "$data" "$out/data" "${model_list[@]}" >"$out/refs.tsv" <<'EOF'
import hashlib, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
import test_parity as tp          # exits with a message without its imports
import onnxruntime as ort

data, outdir = sys.argv[2], sys.argv[3]
image = os.path.join(data, 'media', 'bus.jpg')
inputs = {}
for name in sys.argv[4:]:
    model = os.path.join(data, 'models', name + '.onnx')
    family = tp.family_of(model)
    if family is None:
        sys.exit(f'device-pack: cannot tell the head family of {model}')
    sess = ort.InferenceSession(model, providers=['CPUExecutionProvider'])
    inp = sess.get_inputs()[0]
    x = tp.make_input(image, family, inp.shape)
    key = hashlib.sha256(x.tobytes()).hexdigest()
    if key not in inputs:
        prep = 'bgr255' if family == 'yolox' else 'rgb01'
        inputs[key] = f'bus-{x.shape[2]}x{x.shape[3]}-{prep}.f32'
        x.tofile(os.path.join(outdir, inputs[key]))
    ref = sess.run(None, {inp.name: x})[0].astype('<f4')
    ref.tofile(os.path.join(outdir, name + '.ref.f32'))
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        sess.run(None, {inp.name: x})
        times.append((time.perf_counter() - t0) * 1000)
    print(f'{name}\t{family}\t{inputs[key]}\t{name}.ref.f32\t{statistics.median(times):.3f}')
EOF

# CPU reference timing: yolo-engine bench here, the same command
# device-check.sh runs there.
json_field() { # KEY JSON -> value
  sed -n "s/.*\"$1\":\\(\"\\([^\"]*\\)\"\\|[^,}]*\\).*/\\1/p" <<<"$2" | tr -d '"'
}
{
  printf '# model\tfamily\tinput\treference\tcpu_ms\tort_ms\tcpu_device\n'
  while IFS=$'\t' read -r name family input ref ort_ms; do
    cpu_ms="-" # tabs are IFS white space: empty fields would merge
    cpu_dev="-"
    if [ "$bench" = 1 ]; then
      echo "device-pack: yolo-engine bench $name (CPU reference)" >&2
      args=(bench "$data/models/$name.onnx" --json --iterations "$iterations" --warmup "$warmup")
      [ -n "$device" ] && args+=(--device "$device")
      j=$("$engine" "${args[@]}") || die "yolo-engine bench $name failed"
      cpu_ms=$(json_field median_ms "$j")
      cpu_dev=$(json_field device "$j")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$family" "$input" "$ref" \
      "$cpu_ms" "$ort_ms" "$cpu_dev"
  done <"$out/refs.tsv"
} >"$out/manifest.tsv"
rm -f "$out/refs.tsv"

if [ "$copy_models" = 1 ]; then
  mkdir -p "$out/models"
  for m in "${model_list[@]}"; do
    cp "$data/models/$m.onnx" "$out/models/"
  done
fi

{
  echo "built from $(git -C "$root" describe --always --dirty 2>/dev/null || echo '?') on $(uname -n), $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "glibc here: $(ldd --version 2>&1 | head -n 1)"
  echo "needs GLIBC symbol versions up to: $(cat "$out/bin/yolo-engine" "$out"/lib/* |
    tr -c '[:print:]' '\n' | grep -o '^GLIBC_[0-9.]*$' | sort -uV | tail -n 1)"
} >"$out/BUILD-INFO"

size=$(du -sm "$out" | cut -f1)
echo "device-pack: wrote $out (${size} MiB): ${#model_list[@]} models, $(cd "$out/lib" && echo *)" >&2
if [ "$size" -gt 60 ]; then
  echo "device-pack: warning: the kit is over 60 MiB; a device machine that takes 64 MiB in all will not take it (fewer --models, or no --copy-models)" >&2
fi
