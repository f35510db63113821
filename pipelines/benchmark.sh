#!/usr/bin/env bash
# benchmark.sh: measure yolodetect's throughput on a video file (decode +
# pre-processing + inference + decode/NMS; nothing is drawn or encoded).
#
#   filesrc ! decodebin ! videoconvert ! queue ! yolodetect ! fakesink sync=false
#
# Prints the time to the first frame (model load, OpenCL build, first
# inference), then, as its last line (machine-readable):
#   N frames in S s = F fps
# where N counts the frames after the first one and S is the wall time from
# the first frame leaving yolodetect to the last one (steady state).
#
# usage: pipelines/benchmark.sh VIDEO MODEL [NUM_BUFFERS]
#   VIDEO        input file GStreamer can decode (env VIDEO; required)
#   MODEL        YOLO ONNX model (env MODEL; default
#                ../shared/models/yolo11n-640.onnx next to the source tree)
#   NUM_BUFFERS  frames to run (env NUM_BUFFERS; default 100; 0 = all).
#                Counted on the demuxed stream (the first N in decoding
#                order), so it needs a container with one video stream.
# environment:
#   YOLO_PROPS   extra yolodetect properties, e.g. "device=gpu"
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# example:
#   pipelines/benchmark.sh ../shared/media/people-walking.mp4 \
#       ../shared/models/yolov8n-640.onnx 200
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
VIDEO=${1:-${VIDEO:-}}
MODEL=${2:-${MODEL:-$repo/../shared/models/yolo11n-640.onnx}}
NUM_BUFFERS=${3:-${NUM_BUFFERS:-100}}

die () { echo "benchmark.sh: $*" >&2; exit 2; }
[ -n "$VIDEO" ] || die "usage: $0 VIDEO MODEL [NUM_BUFFERS]"
[[ "${NUM_BUFFERS:-0}" =~ ^(0|[1-9][0-9]{0,8})$ ]] ||
  die "NUM_BUFFERS must be a number of frames (0 = all), not '$NUM_BUFFERS'"
[ -r "$VIDEO" ] || die "cannot read video '$VIDEO'"
[ -r "$MODEL" ] || die "cannot read model '$MODEL'"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"

read -r -a yolo_props <<< "${YOLO_PROPS:-}"

if [ "$NUM_BUFFERS" -gt 0 ]; then
  decode=(parsebin ! identity eos-after=$((NUM_BUFFERS + 1)) ! decodebin)
else
  decode=(decodebin)
fi

# fakesink silent=false with -v prints one "chain" line per frame as it
# leaves the pipeline; time-stamp those lines here. stdbuf makes
# gst-launch's stdout line-buffered so that each line arrives when printed.
linebuf=()
if command -v stdbuf >/dev/null 2>&1; then linebuf=(stdbuf -oL); fi
log=$(mktemp "${TMPDIR:-/tmp}/yolo-benchmark.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$EPOCHREALTIME
first="" last="" frames=0
while IFS= read -r line; do
  case "$line" in
    *":bench: last-message = chain"*)
      last=$EPOCHREALTIME
      [ -n "$first" ] || first=$last
      frames=$((frames + 1)) ;;
    *) printf '%s\n' "$line" >> "$log" ;;
  esac
done < <("${linebuf[@]}" gst-launch-1.0 -v \
  filesrc location="$VIDEO" ! "${decode[@]}" ! videoconvert ! queue \
  ! yolodetect model="$MODEL" "${yolo_props[@]}" \
  ! fakesink name=bench sync=false silent=false 2>&1; echo "gst-launch exit status $?")
end=$EPOCHREALTIME

if ! grep -q "^gst-launch exit status 0$" "$log" || [ "$frames" = 0 ]; then
  grep -v -e "^/GstPipeline" "$log" >&2 || true
  die "pipeline failed after $frames frames"
fi

echo "model: $MODEL ${YOLO_PROPS:-}"
echo "video: $VIDEO"
awk -v s="$start" -v f="$first" -v e="$end" -v n="$frames" 'BEGIN {
  printf "first frame after %.2f s; whole run %d frames in %.2f s\n", f - s, n, e - s }'
if [ "$frames" -lt 2 ]; then
  die "only $frames frame(s): nothing to time after the first"
fi
awk -v f="$first" -v l="$last" -v n="$frames" 'BEGIN {
  printf "%d frames in %.3f s = %.2f fps\n", n - 1, l - f, (n - 1) / (l - f) }'
