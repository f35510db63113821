#!/usr/bin/env bash
# webcam-display.sh: live object detection on a V4L2 camera, shown in a
# window with boxes, labels and confidences drawn by yolooverlay.
#
#   v4l2src ! videoconvert ! queue leaky=downstream ! yolodetect ! yolooverlay
#     ! videoconvert ! autovideosink sync=false
#
# The leaky queue drops camera frames while the model is busy, so the picture
# stays live even when inference is slower than the camera. Ctrl-C stops it.
#
# usage: pipelines/webcam-display.sh [DEVICE] [MODEL]
#   DEVICE       V4L2 device (env DEVICE; default /dev/video0). A single
#                argument ending in .onnx is taken as MODEL.
#   MODEL        YOLO ONNX model (env MODEL; default
#                ../shared/models/yolo11n-320.onnx next to the source tree)
# environment:
#   CAPS         caps to ask the camera for (default "video/x-raw,width=640,
#                height=480"; set CAPS= for the camera's default)
#   YOLO_PROPS   extra yolodetect properties, e.g. "device=gpu conf-threshold=0.4"
#   OVERLAY_PROPS extra yolooverlay properties, e.g. "thickness=3"
#   SOURCE       replaces "v4l2src device=DEVICE" (e.g. "videotestsrc
#                num-buffers=50" to try it without a camera)
#   VIDEO_SINK   replaces autovideosink (e.g. fakesink, ximagesink)
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# example:
#   pipelines/webcam-display.sh /dev/video0 ../shared/models/yolo11n-320.onnx
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
if [ $# = 1 ] && [[ "$1" == *.onnx ]]; then
  set -- "" "$1"
fi
DEVICE=${1:-${DEVICE:-/dev/video0}}
MODEL=${2:-${MODEL:-$repo/../shared/models/yolo11n-320.onnx}}
CAPS=${CAPS-video/x-raw,width=640,height=480}

die () { echo "webcam-display.sh: $*" >&2; exit 2; }
[ -r "$MODEL" ] || die "cannot read model '$MODEL' (usage: $0 [DEVICE] [MODEL])"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"

if [ -n "${SOURCE:-}" ]; then
  read -r -a source <<< "$SOURCE"
else
  [ -e "$DEVICE" ] || die "no camera at '$DEVICE'"
  source=(v4l2src device="$DEVICE")
fi
caps=()
if [ -n "$CAPS" ]; then caps=(! "$CAPS"); fi
read -r -a yolo_props <<< "${YOLO_PROPS:-}"
read -r -a overlay_props <<< "${OVERLAY_PROPS:-}"
read -r -a sink <<< "${VIDEO_SINK:-autovideosink}"

exec gst-launch-1.0 -e \
  "${source[@]}" "${caps[@]}" ! videoconvert \
  ! queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream \
  ! yolodetect model="$MODEL" "${yolo_props[@]}" \
  ! yolooverlay "${overlay_props[@]}" \
  ! videoconvert ! "${sink[@]}" sync=false
