#!/bin/sh
# intel-opencl.sh - Intel's OpenCL CPU runtime (from PyPI: intel-opencl-rt
# and the two runtime libraries it links) as a third OpenCL implementation
# for the tests, next to PoCL and Mesa rusticl. It runs on any x86-64 CPU
# with SSE4.2 (AMD's included) and offers what the other two lack here:
# cl_khr_integer_dot_product, cl_intel_subgroups, cl_khr_fp16, OpenCL C 3.0.
#
#   scripts/intel-opencl.sh env          print the environment (sh exports)
#   scripts/intel-opencl.sh exec CMD...  run CMD in it (meson's test setup
#                                        'intel' uses this as exe_wrapper)
#   eval "$(scripts/intel-opencl.sh env)"; build/plugin/engine/yolo-engine ...
#
# On first use it downloads the pinned wheels with pip (--require-hashes:
# pip checks each against the sha256 below) and unpacks them into
# $INTEL_OPENCL_DIR (default ~/.cache/gst-yolo-intel-opencl/VERSION), under
# a lock, so parallel tests share one download. Offline: INTEL_OPENCL_WHEELS
# names a folder holding the same wheels (still hash-checked). The
# environment makes Intel's the only ICD (OCL_ICD_VENDORS: a folder with
# one .icd naming libintelocl.so by absolute path) and puts its libraries
# (its own libOpenCL.so loader, TBB, the compiler runtime) on
# LD_LIBRARY_PATH.
set -eu

VERSION=2026.2.0
DIR=${INTEL_OPENCL_DIR:-${HOME:-/tmp}/.cache/gst-yolo-intel-opencl/$VERSION}

usage () {
  echo "usage: $0 env | exec COMMAND [ARGS...]" >&2
  exit 2
}

# sha256 of each wheel as pip download fetched it (2026-12-07)
requirements () {
  cat <<EOF
intel-opencl-rt==2026.2.0 --hash=sha256:6b6215a420598b4999ee01caca6d5cbe106aa4155c46c52377619c5aafce9f67
tbb==2023.2.0 --hash=sha256:7d80615b6e970f11671fa05b6eaa9483ac864fbfe525ac280271a78b37870b7c
intel-cmplr-lib-rt==2026.2.0 --hash=sha256:9f713083073a820d2496a6da8e8d4f3482aba6640f74521d25ea48dcebe72748
EOF
}

LIBS="$DIR/x/intel_opencl_rt-2026.2.0.data/data/lib"
LIBS="$LIBS:$DIR/x/tbb-2023.2.0.data/data/lib"
LIBS="$LIBS:$DIR/x/intel_cmplr_lib_rt-2026.2.0.data/data/lib"

install () {
  [ -f "$DIR/.ready" ] && return 0
  mkdir -p "$DIR"
  (
    flock 9
    if [ ! -f "$DIR/.ready" ]; then
      rm -rf "$DIR/wheels" "$DIR/x" "$DIR/vendors"
      requirements > "$DIR/requirements.txt"
      set -- --no-deps --only-binary=:all: --require-hashes \
          -r "$DIR/requirements.txt" -d "$DIR/wheels" -q
      if [ -n "${INTEL_OPENCL_WHEELS:-}" ]; then
        set -- "$@" --no-index --find-links "$INTEL_OPENCL_WHEELS"
      fi
      python3 -m pip download "$@" >&2
      for w in "$DIR"/wheels/*.whl; do
        python3 -m zipfile -e "$w" "$DIR/x" >&2
      done
      lib="$DIR/x/intel_opencl_rt-2026.2.0.data/data/lib/libintelocl.so"
      if [ ! -f "$lib" ]; then
        echo "$0: $lib missing after unpacking" >&2
        exit 1
      fi
      mkdir -p "$DIR/vendors"
      echo "$lib" > "$DIR/vendors/intel.icd"
      touch "$DIR/.ready"
    fi
  ) 9> "$DIR/.lock"
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case "$cmd" in
  env)
    install
    echo "export OCL_ICD_VENDORS='$DIR/vendors'"
    echo "export LD_LIBRARY_PATH='$LIBS'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
    ;;
  exec)
    [ $# -ge 1 ] || usage
    install
    OCL_ICD_VENDORS="$DIR/vendors"
    LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export OCL_ICD_VENDORS LD_LIBRARY_PATH
    exec "$@"
    ;;
  *)
    usage
    ;;
esac
