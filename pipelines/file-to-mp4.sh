#!/usr/bin/env bash
# file-to-mp4.sh: detect objects in a video (or image) file and write an
# annotated H.264 MP4: boxes, labels and confidences drawn by yolooverlay.
#
#   filesrc ! decodebin ! videoconvert ! yolodetect ! yolooverlay
#     ! videoconvert ! x264enc ! h264parse ! mp4mux ! filesink
#
# usage: pipelines/file-to-mp4.sh [VIDEO [MODEL [OUT.mp4 [NUM_BUFFERS]]]]
#   VIDEO        input file GStreamer can decode (env VIDEO; default
#                data/media/people-walking-10s.mp4 of this repository)
#   MODEL        YOLO ONNX model (env MODEL; default: yolodetect's embedded
#                model, YOLOX-Nano COCO, data/models/yolox-nano-416.onnx)
#   OUT.mp4      output file (env OUT; default out.mp4)
#   NUM_BUFFERS  process only the first N frames (env NUM_BUFFERS; default:
#                all). Counted on the demuxed stream (the first N in
#                decoding order), so it needs a container with one video
#                stream (mp4, mkv, ...).
# environment:
#   YOLO_PROPS   extra yolodetect properties, e.g.
#                YOLO_PROPS="conf-threshold=0.4 classes=person,car device=gpu"
#   OVERLAY_PROPS extra yolooverlay properties, e.g. "thickness=3"
#   X264_PROPS   extra x264enc properties (default "speed-preset=veryfast")
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# examples:
#   pipelines/file-to-mp4.sh          # the repository's clip -> out.mp4
#   pipelines/file-to-mp4.sh ../shared/media/people-walking.mp4 \
#       ../shared/models/yolo11n-640.onnx people.mp4 100
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
VIDEO=${1:-${VIDEO:-$repo/data/media/people-walking-10s.mp4}}
MODEL=${2:-${MODEL:-}}
OUT=${3:-${OUT:-out.mp4}}
NUM_BUFFERS=${4:-${NUM_BUFFERS:-}}

die () { echo "file-to-mp4.sh: $*" >&2; exit 2; }
[ -n "$VIDEO" ] || die "usage: $0 [VIDEO [MODEL [OUT.mp4 [NUM_BUFFERS]]]] (-h: help)"
[[ "${NUM_BUFFERS:-0}" =~ ^(0|[1-9][0-9]{0,8})$ ]] ||
  die "NUM_BUFFERS must be a number of frames (0 = all), not '$NUM_BUFFERS'"
[ -r "$VIDEO" ] || die "cannot read video '$VIDEO'"
[ -z "$MODEL" ] || [ -r "$MODEL" ] || die "cannot read model '$MODEL'"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"

read -r -a yolo_props <<< "${YOLO_PROPS:-}"
if [ -n "$MODEL" ]; then yolo_props=(model="$MODEL" "${yolo_props[@]}"); fi
read -r -a overlay_props <<< "${OVERLAY_PROPS:-}"
read -r -a x264_props <<< "${X264_PROPS:-speed-preset=veryfast}"

# With NUM_BUFFERS, parsebin demuxes and parses the stream and identity stops
# it after N access units (identity's eos-after=K lets K-1 buffers through);
# the decoder then drains, so exactly N frames come out.
if [ -n "$NUM_BUFFERS" ] && [ "$NUM_BUFFERS" -gt 0 ]; then
  decode=(parsebin ! identity eos-after=$((NUM_BUFFERS + 1)) ! decodebin)
else
  decode=(decodebin)
fi

exec gst-launch-1.0 -e \
  filesrc location="$VIDEO" ! "${decode[@]}" ! videoconvert \
  ! yolodetect "${yolo_props[@]}" \
  ! yolooverlay "${overlay_props[@]}" \
  ! videoconvert ! queue ! x264enc "${x264_props[@]}" ! h264parse \
  ! mp4mux ! filesink location="$OUT"
