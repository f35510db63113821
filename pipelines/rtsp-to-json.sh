#!/usr/bin/env bash
# rtsp-to-json.sh: detect objects in an RTSP camera / server stream and write
# one JSON line per processed frame (yolojson: pts, frame, width, height,
# objects[] with label, label_id, confidence, x, y, w, h in frame pixels).
#
#   rtspsrc ! watchdog ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert
#     ! queue leaky=downstream ! yolodetect ! yolojson ! fakesink
#
# When inference is slower than the stream, the leaky queue drops the oldest
# frames so the output stays live (set DROP=0 to process every frame and let
# the stream back up instead). Ctrl-C or SIGTERM stops it cleanly (EOS,
# exit status 0).
#
# A live stream does not end, so for a supervisor to restart it the script
# exits with status 1 and one line on stderr whenever the stream is lost:
#   - the stream ends or the server closes the connection (a crashed server
#     over TCP): "rtsp-to-json.sh: URL: the stream ended (the server closed
#     the connection or stopped the stream)", at once;
#   - no data for STALL_TIMEOUT seconds (a frozen server or network, any
#     transport): "rtsp-to-json.sh: URL: no data for 10 s (stream frozen or
#     network down)", after STALL_TIMEOUT s (10-13 s measured with 10);
#   - any other error (server gone over UDP, refused connection, bad
#     stream...): "rtsp-to-json.sh: URL: <error> (<detail>)".
#
# usage: pipelines/rtsp-to-json.sh URL MODEL [OUT.jsonl|-]
#   URL          rtsp://host[:port]/path (env URL; required)
#   MODEL        YOLO ONNX model (env MODEL; default
#                ../shared/models/yolo11n-640.onnx next to the source tree)
#   OUT.jsonl    output file, "-" for stdout (env OUT; default -)
# environment:
#   LATENCY      rtspsrc jitterbuffer latency in ms (default 200)
#   RTSP_PROPS   extra rtspsrc properties, e.g. "protocols=tcp user-id=admin
#                user-pw=secret tcp-timeout=5000000"
#   CODEC        h264 (default) or h265: the stream's video codec
#   DROP         1 (default): drop frames when behind; 0: keep every frame
#   STALL_TIMEOUT  seconds without RTP data before giving up (default 10;
#                0: never; needs the watchdog element, gst-plugins-bad)
#   YOLO_PROPS   extra yolodetect properties, e.g. "classes=person,car"
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# example:
#   pipelines/rtsp-to-json.sh rtsp://192.168.1.10:554/stream1 \
#       ../shared/models/yolo11n-320.onnx detections.jsonl
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
URL=${1:-${URL:-}}
MODEL=${2:-${MODEL:-$repo/../shared/models/yolo11n-640.onnx}}
OUT=${3:-${OUT:--}}
LATENCY=${LATENCY:-200}
CODEC=${CODEC:-h264}
DROP=${DROP:-1}
STALL_TIMEOUT=${STALL_TIMEOUT:-10}

die () { echo "rtsp-to-json.sh: $*" >&2; exit 2; }
[ -n "$URL" ] || die "usage: $0 URL MODEL [OUT.jsonl|-]"
[ -r "$MODEL" ] || die "cannot read model '$MODEL'"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"
case "$CODEC" in
  h264|h265) ;;
  *) die "CODEC must be h264 or h265, not '$CODEC'" ;;
esac
case "$STALL_TIMEOUT" in
  ''|*[!0-9]*) die "STALL_TIMEOUT must be a whole number of seconds, not '$STALL_TIMEOUT'" ;;
esac
watchdog=()
if [ "$STALL_TIMEOUT" -gt 0 ]; then
  gst-inspect-1.0 watchdog >/dev/null 2>&1 ||
    die "the watchdog element (gst-plugins-bad) is missing: install it or set STALL_TIMEOUT=0"
  watchdog=(! watchdog "timeout=$((STALL_TIMEOUT * 1000))")
fi

read -r -a rtsp_props <<< "${RTSP_PROPS:-}"
read -r -a yolo_props <<< "${YOLO_PROPS:-}"
if [ "$DROP" = 1 ]; then
  queue=(queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream)
else
  queue=(queue)
fi

# shellcheck source=pipelines/gst-run.sh
. "$repo/pipelines/gst-run.sh"
gst_run rtsp-to-json \
  rtspsrc location="$URL" latency="$LATENCY" "${rtsp_props[@]}" \
  "${watchdog[@]}" \
  ! "rtp${CODEC}depay" ! "${CODEC}parse" ! "avdec_${CODEC}" ! videoconvert \
  ! "${queue[@]}" ! yolodetect model="$MODEL" "${yolo_props[@]}" \
  ! yolojson location="$OUT" ! fakesink sync=false

say () { echo "rtsp-to-json.sh: $URL: $*" >&2; }
if [ -n "$err" ]; then
  elem=${err%%: *}
  msg=${err#*: }
  case "$elem" in
    */GstWatchdog:*)
      say "no data for $STALL_TIMEOUT s (stream frozen or network down)" ;;
    *)
      # "Could not read from resource." + "(detail)"
      say "${msg%.}${detail:+ ($detail)}" ;;
  esac
  exit 1
elif [ "$rc" -ne 0 ]; then
  say "gst-launch-1.0 failed (exit status $rc)"
  exit 1
elif [ "$interrupted" = 0 ]; then
  say "the stream ended (the server closed the connection or stopped the stream)"
  exit 1
fi
exit 0
