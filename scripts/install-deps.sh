#!/usr/bin/env bash
# Install everything gst-yolo needs to build and run its tests on Debian 12
# (bookworm) or a close derivative: build tools, OpenCL (PoCL CPU device and
# Mesa's rusticl),
# protobuf-c, GStreamer 1.22 with the plugins the tests use, and the Python
# packages the parity tests and the benchmark use (onnxruntime, onnx, numpy,
# opencv-python-headless).
#
# usage: scripts/install-deps.sh [--no-apt] [--no-pip]
#
# Idempotent: re-running it is cheap. apt needs root (sudo is used when not
# root). Python packages go into the `python3` found on PATH. When that
# interpreter is externally managed (PEP 668, e.g. Debian's /usr/bin/python3),
# a virtual environment is made at $YOLO_VENV (default: .venv in the source
# tree, with --system-site-packages so python3-gi stays importable); meson
# picks .venv/bin/python3 for the parity tests when PATH's python3 cannot
# import onnxruntime.
set -euo pipefail

do_apt=1
do_pip=1
for arg in "$@"; do
  case "$arg" in
    --no-apt) do_apt=0 ;;
    --no-pip) do_pip=0 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "install-deps.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

srcdir=$(cd "$(dirname "$0")/.." && pwd)

APT_PACKAGES=(
  # build
  build-essential meson ninja-build pkg-config python3 python3-venv python3-pip
  indent                       # scripts/gst-indent (code style check)
  libglib2.0-dev
  # OpenCL: ICD loader + headers, PoCL CPU device, clinfo to show devices;
  # Mesa's rusticl (llvmpipe, RUSTICL_ENABLE=swrast) as the second, independent
  # implementation the kernel and parity suites also run on
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo mesa-opencl-icd
  # ONNX protobuf parsing
  libprotobuf-c-dev protobuf-c-compiler
  # GStreamer 1.22
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad     # h264parse and other parsers for the video/RTSP tests
  gstreamer1.0-plugins-ugly    # x264enc
  gstreamer1.0-libav           # avdec_h264 for the test videos
  gstreamer1.0-rtsp libgstrtspserver-1.0-dev gir1.2-gst-rtsp-server-1.0
  # overlay / JSON metadata
  libjson-glib-dev libcairo2-dev libpango1.0-dev
  # yolopublish: MQTT client library; the broker and clients for its tests
  # (the tests start their own broker on a free port)
  libmosquitto-dev mosquitto mosquitto-clients openssl
  # python GStreamer bindings (used by pipeline tests with Debian's python3)
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  time                         # GNU time: peak RSS per process in scripts/bench.py
)
PIP_PACKAGES=(onnxruntime onnx numpy opencv-python-headless)

if [ "$do_apt" = 1 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y "${APT_PACKAGES[@]}"
fi

if [ "$do_pip" = 1 ]; then
  check='import onnxruntime, onnx, numpy, cv2'
  if python3 -c "$check" 2>/dev/null; then
    echo "install-deps.sh: $(command -v python3) already has ${PIP_PACKAGES[*]}"
  elif python3 -m pip install --disable-pip-version-check "${PIP_PACKAGES[@]}"; then
    :
  else
    venv=${YOLO_VENV:-$srcdir/.venv}
    echo "install-deps.sh: pip into $(command -v python3) failed (externally managed?);" \
         "using a virtual environment at $venv" >&2
    python3 -m venv --system-site-packages "$venv"
    "$venv/bin/python3" -m pip install --disable-pip-version-check "${PIP_PACKAGES[@]}"
    echo "install-deps.sh: activate it with: . $venv/bin/activate"
  fi
fi
echo "install-deps.sh: done"
