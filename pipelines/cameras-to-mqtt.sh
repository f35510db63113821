#!/usr/bin/env bash
# cameras-to-mqtt.sh: detect objects in several RTSP cameras with one model
# loaded once, and publish each camera's detections to an MQTT broker, one
# message per processed frame (the yolojson object) on a topic per camera.
#
# One gst-launch-1.0 process, one pipeline branch per camera:
#   rtspsrc URL_i ! watchdog ! rtph264depay ! h264parse ! avdec_h264
#     ! videoconvert ! queue leaky=downstream
#     ! yolodetect model=MODEL model-instance-id=INSTANCE_ID
#     ! yolopublish topic=TOPIC_PREFIX/NAME_i/detections ! fakesink
# Every yolodetect has the same model-instance-id, so the process holds one
# engine (one copy of the weights, one compiled program) for all cameras;
# the cameras' inferences take turns on it.
#
# A camera that is behind drops its oldest frames (leaky queue) and never
# holds the others back. A lost camera (error, end of stream, or no data for
# STALL_TIMEOUT s) stops the whole process with exit status 1 and one line
# on stderr naming the camera, so that a supervisor (systemd Restart=, a
# container restart policy) restarts the set; Ctrl-C or SIGTERM stops it
# cleanly (EOS, queued messages flushed, exit status 0). The broker being
# away is not an error: yolopublish reconnects with back-off and keeps the
# newest messages.
#
# usage: pipelines/cameras-to-mqtt.sh MODEL URL [URL ...]
#   MODEL        YOLO ONNX model
#   URL          rtsp://host[:port]/path, one per camera
# environment:
#   BROKER       MQTT broker host (default localhost)
#   BROKER_PORT  broker port (default 1883)
#   TOPIC_PREFIX topic prefix (default gst-yolo): camera i publishes on
#                TOPIC_PREFIX/NAME_i/detections
#   NAMES        space-separated camera names for the topics (default
#                cam0 cam1 ...)
#   QOS          MQTT QoS 0, 1 or 2 (default 1)
#   INSTANCE_ID  the model-instance-id (default cameras-to-mqtt)
#   LATENCY      rtspsrc jitterbuffer latency in ms (default 200)
#   RTSP_PROPS   extra rtspsrc properties, e.g. "protocols=tcp"
#   CODEC        h264 (default) or h265
#   STALL_TIMEOUT  seconds without data before a camera counts as lost
#                (default 10; 0: never; needs watchdog, gst-plugins-bad)
#   YOLO_PROPS   extra yolodetect properties, e.g. "classes=person,car"
#   PUBLISH_PROPS  extra yolopublish properties, e.g. "username=u
#                password=p tls-ca-file=ca.pem"
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#                this source tree when that exists.
#
# example:
#   BROKER=broker.local NAMES="gate yard" pipelines/cameras-to-mqtt.sh \
#       yolo11n-320.onnx rtsp://10.0.0.11/stream1 rtsp://10.0.0.12/stream1
#   mosquitto_sub -h broker.local -t 'gst-yolo/+/detections'
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
die () { echo "cameras-to-mqtt.sh: $*" >&2; exit 2; }
[ $# -ge 2 ] || die "usage: $0 MODEL URL [URL ...]"
MODEL=$1; shift
BROKER=${BROKER:-localhost}
BROKER_PORT=${BROKER_PORT:-1883}
TOPIC_PREFIX=${TOPIC_PREFIX:-gst-yolo}
QOS=${QOS:-1}
INSTANCE_ID=${INSTANCE_ID:-cameras-to-mqtt}
LATENCY=${LATENCY:-200}
CODEC=${CODEC:-h264}
STALL_TIMEOUT=${STALL_TIMEOUT:-10}
read -r -a names <<< "${NAMES:-}"
read -r -a rtsp_props <<< "${RTSP_PROPS:-}"
read -r -a yolo_props <<< "${YOLO_PROPS:-}"
read -r -a publish_props <<< "${PUBLISH_PROPS:-}"

[ -r "$MODEL" ] || die "cannot read model '$MODEL'"
for e in yolodetect yolopublish; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 ||
    die "$e not found: build the plugin (ninja -C build; yolopublish needs libmosquitto-dev) or set GST_PLUGIN_PATH"
done
case "$CODEC" in h264|h265) ;; *) die "CODEC must be h264 or h265, not '$CODEC'" ;; esac
case "$QOS" in 0|1|2) ;; *) die "QOS must be 0, 1 or 2, not '$QOS'" ;; esac
case "$BROKER_PORT" in ''|*[!0-9]*) die "BROKER_PORT must be a port number, not '$BROKER_PORT'" ;; esac
case "$STALL_TIMEOUT" in
  ''|*[!0-9]*) die "STALL_TIMEOUT must be a whole number of seconds, not '$STALL_TIMEOUT'" ;;
esac
if [ ${#names[@]} -gt 0 ] && [ ${#names[@]} -ne $# ]; then
  die "NAMES has ${#names[@]} names for $# cameras"
fi
for n in "${names[@]}"; do
  case "$n" in *[/+#]*) die "camera name '$n' may not contain /, + or #" ;; esac
done
if [ "$STALL_TIMEOUT" -gt 0 ]; then
  gst-inspect-1.0 watchdog >/dev/null 2>&1 ||
    die "the watchdog element (gst-plugins-bad) is missing: install it or set STALL_TIMEOUT=0"
fi

# one branch per camera, named camI so that errors say which camera
branches=()
urls=("$@")
for i in "${!urls[@]}"; do
  name=${names[$i]:-cam$i}
  branches+=(rtspsrc name="cam$i" location="${urls[$i]}" latency="$LATENCY" "${rtsp_props[@]}")
  if [ "$STALL_TIMEOUT" -gt 0 ]; then
    branches+=(! watchdog name="cam$i-watchdog" timeout=$((STALL_TIMEOUT * 1000)))
  fi
  branches+=(! "rtp${CODEC}depay" ! "${CODEC}parse" ! "avdec_${CODEC}" ! videoconvert
    ! queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream
    ! yolodetect name="cam$i-detect" model="$MODEL" model-instance-id="$INSTANCE_ID" "${yolo_props[@]}"
    ! yolopublish name="cam$i-publish" address="$BROKER" port="$BROKER_PORT"
      topic="$TOPIC_PREFIX/$name/detections" qos="$QOS" "${publish_props[@]}"
    ! fakesink sync=false)
done

# shellcheck source=pipelines/gst-run.sh
. "$repo/pipelines/gst-run.sh"
gst_run cameras-to-mqtt "${branches[@]}"

say () { echo "cameras-to-mqtt.sh: $*" >&2; }
camera () {   # "camI" -> "camera I (URL)"
  local i=${1#cam}
  echo "camera ${names[$i]:-cam$i} (${urls[$i]})"
}
if [ -n "$err" ]; then
  elem=${err%%: *}
  msg=${err#*: }
  # /GstPipeline:pipeline0/GstRTSPSrc:cam1 or .../GstWatchdog:cam1-watchdog
  who=$(sed -n 's|.*/Gst[A-Za-z]*:\(cam[0-9][0-9]*\)[^/]*$|\1|p' <<< "$elem")
  where=${who:+$(camera "$who"): }
  case "$elem" in
    */GstWatchdog:*)
      say "${where}no data for $STALL_TIMEOUT s (stream frozen or network down)" ;;
    *)
      say "${where}${msg%.}${detail:+ ($detail)}" ;;
  esac
  exit 1
elif [ "$rc" -ne 0 ]; then
  say "gst-launch-1.0 failed (exit status $rc)"
  exit 1
elif [ "$interrupted" = 0 ]; then
  say "the streams ended (a server closed the connection or stopped the stream)"
  exit 1
fi
exit 0
