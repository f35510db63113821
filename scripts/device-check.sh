#!/usr/bin/env bash
# device-check.sh - runs the engine on an accelerator machine from a kit made
# by scripts/device-pack.sh: lists the OpenCL devices, checks every packed
# model's output 0 against onnxruntime's (computed when packing) and times
# it, then prints one table. Needs bash, coreutils and the machine's C
# runtime (glibc) and OpenCL driver; nothing else (no python, no GStreamer,
# no OpenCL ICD loader: the kit brings one).
#
# usage: device-check.sh [--kit DIR] [--device SPEC] [--iterations N]
#                        [--warmup N] [--no-bench] [--timeout S] [MODEL ...]
#
#   --kit DIR       the kit (default: the folder above this script when it
#                   lies in a kit's bin/, else device-kit beside scripts/)
#   --device SPEC   yolo-engine --device (default $YOLO_DEVICE, else the
#                   engine's default: the first GPU, else the first device)
#   --iterations N, --warmup N
#                   yolo-engine bench (default 20 and 3, as when packing)
#   --no-bench      parity only (no timings)
#   --timeout S     limit per yolo-engine command (default 600)
#   MODEL ...       a subset of the kit's models (default: all)
#
# OpenCL driver: OCL_ICD_VENDORS / OCL_ICD_FILENAMES are used as given; else
# the ICD files in /etc/OpenCL/vendors; else the script looks for a vendor
# library (libnvidia-opencl.so.1, AMD's, Intel's, ...) with `ldconfig -p` and
# in the usual driver folders and points OCL_ICD_FILENAMES at it.
#
# Models are read from the kit's models/, else $YOLO_TEST_DATA/models, else
# a shared/models folder beside or above the kit.
#
# Columns: device ms and CPU ms are `yolo-engine bench` medians (one
# inference: upload, run, download; CPU = the packing machine's run, see the
# kit's manifest.tsv), speed-up = CPU ms / device ms, ORT ms = onnxruntime
# (CPUExecutionProvider, all threads) on the packing machine, box and score errors
# are the largest differences to onnxruntime (box in input pixels; raw
# offsets for yolox), parity as in tests/parity/test_parity.py.
#
# Exit status: 0 all models pass, 1 a parity failure, a failed command or a
# missing model, 2 usage or kit errors.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=""
device="${YOLO_DEVICE:-}"
iterations=20
warmup=3
limit=600
bench=1
want=()

usage_die() {
  echo "device-check: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --kit) kit=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --no-bench) bench=0; shift ;;
    -h | --help)
      while IFS= read -r line; do
        case "$line" in
          '#!'*) ;;
          '#'*) line=${line#\#}; echo "${line# }" ;;
          *) break ;;
        esac
      done <"$0"
      exit 0 ;;
    -*) usage_die "unknown option '$1' (see --help)" ;;
    *) want+=("$1"); shift ;;
  esac
done
case "$iterations$warmup$limit" in
  *[!0-9]*) usage_die "--iterations, --warmup and --timeout take whole numbers" ;;
esac

if [ -z "$kit" ]; then
  if [ -x "$here/yolo-engine" ] && [ -f "$here/../manifest.tsv" ]; then
    kit="$here/.."
  else
    kit="$here/../device-kit"
  fi
fi
if [ ! -f "$kit/manifest.tsv" ] || [ ! -x "$kit/bin/yolo-engine" ]; then
  usage_die "no kit at $kit (make one with scripts/device-pack.sh)"
fi
kit=$(cd "$kit" && pwd)
engine="$kit/bin/yolo-engine"
export LD_LIBRARY_PATH="$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$kit/cache}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$XDG_CACHE_HOME/pocl}"
mkdir -p "$XDG_CACHE_HOME" || usage_die "cannot create $XDG_CACHE_HOME"
work=$(mktemp -d "${TMPDIR:-/tmp}/device-check.XXXXXX") || usage_die "mktemp failed"
trap 'rm -rf "$work"' EXIT

# --- the vendor driver -----------------------------------------------------
vendor_libs=(libnvidia-opencl.so.1 libamdocl64.so libamdocl-orca64.so
  libigdrcl.so libintelocl.so libmali.so libPVROCL.so.1 libpocl.so.2
  libRusticlOpenCL.so.1)
vendor_dirs=(/usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64
  /usr/lib /lib64 /lib /usr/local/nvidia/lib64 /usr/local/nvidia/lib
  /usr/local/cuda/lib64 /usr/local/cuda/compat /run/nvidia/driver/usr/lib/x86_64-linux-gnu
  /opt/rocm/lib /opt/rocm/opencl/lib /opt/intel/opencl)
icd_note=""
# DEVICE_CHECK_ICD_DIR: another folder instead of /etc/OpenCL/vendors (to try
# the library search on a machine that has ICD files)
icd_dir=${DEVICE_CHECK_ICD_DIR:-/etc/OpenCL/vendors}
if [ -n "${OCL_ICD_FILENAMES:-}" ] || [ -n "${OCL_ICD_VENDORS:-}" ]; then
  icd_note="as given: OCL_ICD_VENDORS=${OCL_ICD_VENDORS:-} OCL_ICD_FILENAMES=${OCL_ICD_FILENAMES:-}"
else
  icds=()
  for f in "$icd_dir"/*.icd; do
    [ -f "$f" ] && icds+=("$f")
  done
  if [ ${#icds[@]} -gt 0 ]; then
    icd_note="ICD files: ${icds[*]}"
  else
    found=()
    ldcache=""
    if command -v ldconfig >/dev/null 2>&1; then
      ldcache=$(ldconfig -p 2>/dev/null)
    elif [ -x /sbin/ldconfig ]; then
      ldcache=$(/sbin/ldconfig -p 2>/dev/null)
    fi
    for lib in "${vendor_libs[@]}"; do
      path=""
      while IFS= read -r line; do
        case "$line" in
          *"$lib "*"=> "*) path=${line##*=> }; break ;;
        esac
      done <<<"$ldcache"
      if [ -z "$path" ]; then
        for d in "${vendor_dirs[@]}"; do
          if [ -e "$d/$lib" ]; then
            path="$d/$lib"
            break
          fi
        done
      fi
      [ -n "$path" ] && found+=("$path")
    done
    if [ ${#found[@]} -eq 0 ]; then
      echo "device-check: no OpenCL driver found: no $icd_dir/*.icd and none of ${vendor_libs[*]}" >&2
      echo "device-check: point OCL_ICD_FILENAMES at the vendor's OpenCL library" >&2
      exit 1
    fi
    OCL_ICD_FILENAMES=$(IFS=:; echo "${found[*]}")
    export OCL_ICD_FILENAMES
    icd_note="no ICD files; OCL_ICD_FILENAMES=$OCL_ICD_FILENAMES"
  fi
fi

run_limited() { # runs "$@" under timeout(1) when present
  if command -v timeout >/dev/null 2>&1; then
    timeout "$limit" "$@"
  else
    "$@"
  fi
}

json_field() { # KEY JSON -> the value (number, string or literal)
  local re="\"$1\":(\"([^\"]*)\"|([^,}]*))"
  if [[ $2 =~ $re ]]; then
    echo "${BASH_REMATCH[2]}${BASH_REMATCH[3]}"
  fi
}

to_milli() { # decimal or exponent number -> thousandths, rounded
  local v
  printf -v v '%.3f' "$1" 2>/dev/null || return 1
  v=${v/./}
  echo $((10#$v))
}

echo "== kit: $kit"
[ -f "$kit/BUILD-INFO" ] && while IFS= read -r line; do echo "   $line"; done <"$kit/BUILD-INFO"
echo "== machine: $(uname -srm), $(nproc 2>/dev/null || echo '?') CPUs"
echo "== OpenCL driver: $icd_note"
echo "== yolo-engine devices"
if ! run_limited "$engine" devices; then
  echo "device-check: yolo-engine devices failed (missing C runtime symbols? see BUILD-INFO; no driver?)" >&2
  exit 1
fi
if [ -n "$device" ]; then
  echo "== device: $device"
else
  echo "== device: the engine default (first GPU, else first device)"
fi

find_model() {
  local d
  for d in "$kit/models" "${YOLO_TEST_DATA:+$YOLO_TEST_DATA/models}" \
    "$kit/../shared/models" "$kit/../../shared/models" "$kit/../../../shared/models"; do
    if [ -n "$d" ] && [ -f "$d/$1.onnx" ]; then
      echo "$d/$1.onnx"
      return 0
    fi
  done
  return 1
}

dev_args=()
[ -n "$device" ] && dev_args=(--device "$device")
rows=()
failed=0
n_checked=0
dev_name=""
while IFS=$'\t' read -r name family input ref cpu_ms ort_ms cpu_dev; do
  case "$name" in '#'* | '') continue ;; esac
  [ "$cpu_ms" = - ] && cpu_ms=""
  [ "$ort_ms" = - ] && ort_ms=""
  if [ ${#want[@]} -gt 0 ]; then
    hit=0
    for w in "${want[@]}"; do [ "$w" = "$name" ] && hit=1; done
    [ "$hit" = 1 ] || continue
  fi
  n_checked=$((n_checked + 1))
  ms="-" speed="-" box="-" score="-" verdict="FAIL"
  cpu_show=${cpu_ms:--} ort_show=${ort_ms:--}
  [ -n "$cpu_ms" ] && printf -v cpu_show '%.2f' "$cpu_ms"
  [ -n "$ort_ms" ] && printf -v ort_show '%.2f' "$ort_ms"
  if ! model=$(find_model "$name"); then
    echo "== $name: model not found (kit models/, \$YOLO_TEST_DATA/models, shared/models)" >&2
    rows+=("$name|-|$cpu_show|-|$ort_show|-|-|no model")
    failed=1
    continue
  fi
  echo "== $name ($family): run on bus.jpg, compare with onnxruntime"
  out="$work/$name.out.f32"
  if run_limited "$engine" run "$model" --input "$kit/data/$input" --output "$out" "${dev_args[@]}"; then
    j=$("$engine" compare "$model" "$kit/data/$ref" "$out" --json)
    rc=$?
    box=$(json_field box_err "$j")
    score=$(json_field score_err "$j")
    case "$rc" in
      0) verdict="ok" ;;
      2) verdict="FAIL ($(json_field n_bad "$j") bad)" ;;
      *) verdict="compare error" ;;
    esac
    [ -n "$box" ] && printf -v box '%.3g' "$box"
    [ -n "$score" ] && printf -v score '%.3g' "$score"
  else
    verdict="run failed"
  fi
  [ "$verdict" = ok ] || failed=1
  if [ "$bench" = 0 ]; then
    rows+=("$name|-|$cpu_show|-|$ort_show|${box:--}|${score:--}|$verdict")
    continue
  fi
  echo "== $name: yolo-engine bench --iterations $iterations --warmup $warmup"
  if j=$(run_limited "$engine" bench "$model" --json --iterations "$iterations" \
    --warmup "$warmup" "${dev_args[@]}"); then
    echo "$j"
    ms=$(json_field median_ms "$j")
    dev_name=$(json_field device "$j")
    if [ -n "$cpu_ms" ] && a=$(to_milli "$cpu_ms") && b=$(to_milli "$ms") && [ "$b" -gt 0 ]; then
      q=$((a * 100000 / b))
      printf -v q '%d.%05d' $((q / 100000)) $((q % 100000))
      printf -v speed '%.3g' "$q"
    fi
    printf -v ms '%.2f' "$ms"
  else
    echo "device-check: yolo-engine bench $name failed" >&2
    failed=1
  fi
  rows+=("$name|$ms|$cpu_show|$speed|$ort_show|${box:--}|${score:--}|$verdict")
done <"$kit/manifest.tsv"

if [ "$n_checked" = 0 ]; then
  echo "device-check: none of the requested models (${want[*]}) is in the kit" >&2
  exit 1
fi
cpu_dev=""
while IFS=$'\t' read -r name _ _ _ _ _ d; do
  case "$name" in '#'* | '') continue ;; esac
  [ "$d" != - ] && cpu_dev=$d
  break
done <"$kit/manifest.tsv"

echo
echo "device: ${dev_name:-?}"
echo "CPU:    ${cpu_dev:-not measured} (the packing machine)"
echo
fmt='| %-16s | %10s | %10s | %8s | %10s | %10s | %10s | %-12s |\n'
# shellcheck disable=SC2059 # one format for the header and the rows
printf "$fmt" model "device ms" "CPU ms" speed-up "ORT ms" "box err px" \
  "score err" parity
printf '|%s|%s|%s|%s|%s|%s|%s|%s|\n' ------------------ ------------ \
  ------------ ---------- ------------ ------------ ------------ --------------
for r in "${rows[@]}"; do
  IFS='|' read -r name ms cpu speed ort box score verdict <<<"$r"
  # shellcheck disable=SC2059
  printf "$fmt" "$name" "$ms" "$cpu" "$speed" "$ort" "$box" "$score" "$verdict"
done
exit "$failed"
