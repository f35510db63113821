#!/usr/bin/env bash
# file-to-json.sh: detect objects in a video (or image) file and write one
# JSON line per frame (yolojson: pts, frame, width, height, objects[] with
# label, label_id, confidence, x, y, w, h in frame pixels).
#
#   filesrc ! decodebin ! videoconvert ! yolodetect ! yolojson ! fakesink
#
# usage: pipelines/file-to-json.sh VIDEO [MODEL [OUT.jsonl|- [NUM_BUFFERS]]]
#   VIDEO        input file GStreamer can decode (env VIDEO; required)
#   MODEL        YOLO ONNX model (env MODEL; default, or "": yolodetect's
#                embedded model, YOLOX-Nano COCO)
#   OUT.jsonl    output file, "-" for stdout (env OUT; default -)
#   NUM_BUFFERS  process only the first N frames (env NUM_BUFFERS; default:
#                all). Counted on the demuxed stream (the first N in
#                decoding order), so it needs a container with one video
#                stream (mp4, mkv, ...).
# environment:
#   YOLO_PROPS   extra yolodetect properties, e.g.
#                YOLO_PROPS="conf-threshold=0.4 classes=person"
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# example:
#   pipelines/file-to-json.sh ../shared/media/people-walking.mp4 \
#       ../shared/models/yolo11n-320.onnx people.jsonl 50
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
VIDEO=${1:-${VIDEO:-}}
MODEL=${2:-${MODEL:-}}
OUT=${3:-${OUT:--}}
NUM_BUFFERS=${4:-${NUM_BUFFERS:-}}

die () { echo "file-to-json.sh: $*" >&2; exit 2; }
[ -n "$VIDEO" ] || die "usage: $0 VIDEO [MODEL [OUT.jsonl|- [NUM_BUFFERS]]] (-h: help)"
[[ "${NUM_BUFFERS:-0}" =~ ^(0|[1-9][0-9]{0,8})$ ]] ||
  die "NUM_BUFFERS must be a number of frames (0 = all), not '$NUM_BUFFERS'"
[ -r "$VIDEO" ] || die "cannot read video '$VIDEO'"
[ -z "$MODEL" ] || [ -r "$MODEL" ] || die "cannot read model '$MODEL'"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"

read -r -a yolo_props <<< "${YOLO_PROPS:-}"
if [ -n "$MODEL" ]; then yolo_props=(model="$MODEL" "${yolo_props[@]}"); fi

# parsebin + identity eos-after=N+1 stops after N access units (see
# file-to-mp4.sh); the decoder drains them all.
if [ -n "$NUM_BUFFERS" ] && [ "$NUM_BUFFERS" -gt 0 ]; then
  decode=(parsebin ! identity eos-after=$((NUM_BUFFERS + 1)) ! decodebin)
else
  decode=(decodebin)
fi

# -q keeps gst-launch's own chatter off stdout, where the JSON may go.
exec gst-launch-1.0 -q \
  filesrc location="$VIDEO" ! "${decode[@]}" ! videoconvert \
  ! yolodetect "${yolo_props[@]}" \
  ! yolojson location="$OUT" ! fakesink sync=false
