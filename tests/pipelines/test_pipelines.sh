#!/usr/bin/env bash
# Tests of the example scripts in pipelines/ on short inputs (no camera or
# display needed): one case per run.
#
# usage: tests/pipelines/test_pipelines.sh CASE
#   quick-start     pipelines/file-to-mp4.sh with no arguments, with no test
#                   data at all (YOLO_TEST_DATA unset, run from an empty
#                   folder): the repository's clip and embedded default model
#                   -> out.mp4 of 100 frames of 768x432; the default model
#                   finds a person in every frame of the clip
#   file-to-mp4     20 frames of people-walking.mp4 with yolo11n-320 -> MP4;
#                   the MP4 must decode to 20 frames of 768x432
#   file-to-json    20 frames with yolov8n-320 -> 20 valid JSON lines, and
#                   "-" writes the JSON to stdout
#   benchmark       30 frames: the last line is "29 frames in S s = F fps"
#   webcam-display  with SOURCE=videotestsrc and VIDEO_SINK=fakesink
#   usage-errors    missing arguments / files give exit status 2
# environment: YOLO_TEST_DATA (default ../shared next to the source tree),
# GST_PLUGIN_PATH (the scripts default to build/plugin).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/../.." && pwd)
data=${YOLO_TEST_DATA:-$srcdir/../shared}
media=$data/media/people-walking.mp4
case_name=${1:?usage: $0 CASE}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/yolo-pipelines.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

fail () { echo "FAIL ($case_name): $*" >&2; exit 1; }

# frames WIDTHxHEIGHT: decode a video file and count its frames
count_frames () {
  gst-launch-1.0 -v filesrc location="$1" ! decodebin ! videoconvert \
    ! video/x-raw,format=I420 ! fakesink name=count sync=false silent=false 2>&1 |
    awk '/count: last-message = chain/ { n++ }
         /count.GstPad:sink: caps = / && match($0, /width=\(int\)[0-9]+, height=\(int\)[0-9]+/) {
           s = substr($0, RSTART, RLENGTH); gsub(/[^0-9,]/, "", s); sub(/,/, "x", s); size = s }
         END { print n + 0, size }'
}

# The README's first command needs nothing but the repository.
if [ "$case_name" = quick-start ]; then
  (cd "$tmp" && env -u YOLO_TEST_DATA "$srcdir/pipelines/file-to-mp4.sh") ||
    fail "file-to-mp4.sh with no arguments failed"
  got=$(count_frames "$tmp/out.mp4")
  echo "decoded out.mp4: $got (frames, size)"
  [ "$got" = "100 768x432" ] || fail "expected 100 frames of 768x432, got '$got'"
  env -u YOLO_TEST_DATA "$srcdir/pipelines/file-to-json.sh" \
    "$srcdir/data/media/people-walking-10s.mp4" "" "$tmp/default.jsonl"
  python3 - "$tmp/default.jsonl" <<'PY'
import json, sys
frames = [json.loads(l) for l in open(sys.argv[1])]
assert len(frames) == 100, len(frames)
people = [sum(1 for o in f["objects"] if o["label"] == "person" and o["confidence"] > 0.5)
          for f in frames]
print("frames with a person (confidence > 0.5): %d of %d" % (sum(p > 0 for p in people), len(frames)))
assert all(p >= 1 for p in people), people
PY
  echo "PASS ($case_name)"
  exit 0
fi
for f in "$media" "$data/models/yolov8n-320.onnx" "$data/models/yolo11n-320.onnx"; do
  [ -r "$f" ] || { echo "SKIP: $f missing (set YOLO_TEST_DATA)"; exit 77; }
done
# system elements (gstreamer1.0-plugins-good/-bad/-ugly, gstreamer1.0-libav)
for e in qtdemux h264parse avdec_h264 x264enc mp4mux videotestsrc; do
  gst-inspect-1.0 "$e" > /dev/null 2>&1 ||
    { echo "SKIP: GStreamer element $e missing (scripts/install-deps.sh)"; exit 77; }
done


case "$case_name" in
  file-to-mp4)
    out=$tmp/out.mp4
    "$srcdir/pipelines/file-to-mp4.sh" "$media" "$data/models/yolo11n-320.onnx" "$out" 20
    [ -s "$out" ] || fail "no $out"
    got=$(count_frames "$out")
    echo "decoded $out: $got (frames, size)"
    [ "$got" = "20 768x432" ] || fail "expected 20 frames of 768x432, got '$got'"
    ;;
  file-to-json)
    out=$tmp/out.jsonl
    "$srcdir/pipelines/file-to-json.sh" "$media" "$data/models/yolov8n-320.onnx" "$out" 20
    python3 - "$out" 20 <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == int(sys.argv[2]), "%d lines" % len(lines)
for line in lines:
    fr = json.loads(line)
    assert (fr["width"], fr["height"]) == (768, 432), fr
    assert isinstance(fr["objects"], list), fr
print("%d JSON lines, %d objects" % (len(lines), sum(len(json.loads(l)["objects"]) for l in lines)))
PY
    # "-" (the default) writes to stdout, and nothing else goes there
    MODEL=$data/models/yolov8n-320.onnx NUM_BUFFERS=3 \
      "$srcdir/pipelines/file-to-json.sh" "$media" > "$tmp/stdout.jsonl"
    python3 -c 'import json, sys; l = open(sys.argv[1]).read().splitlines(); assert len(l) == 3, l; [json.loads(x) for x in l]' \
      "$tmp/stdout.jsonl" || fail "stdout output: $(head -c 300 "$tmp/stdout.jsonl")"
    ;;
  benchmark)
    "$srcdir/pipelines/benchmark.sh" "$media" "$data/models/yolov8n-320.onnx" 30 | tee "$tmp/log"
    last=$(tail -n 1 "$tmp/log")
    [[ "$last" =~ ^29\ frames\ in\ [0-9]+\.[0-9]+\ s\ =\ [0-9]+\.[0-9]+\ fps$ ]] ||
      fail "last line is '$last'"
    ;;
  webcam-display)
    SOURCE="videotestsrc num-buffers=10 pattern=ball" VIDEO_SINK=fakesink \
      "$srcdir/pipelines/webcam-display.sh" "$data/models/yolov8n-320.onnx"
    ;;
  usage-errors)
    for cmd in "file-to-json.sh" "benchmark.sh" "rtsp-to-json.sh" \
               "file-to-mp4.sh $media /nonexistent.onnx $tmp/x.mp4" \
               "benchmark.sh /nonexistent.mp4" \
               "benchmark.sh $media $data/models/yolov8n-320.onnx abc" \
               "file-to-json.sh $media $data/models/yolov8n-320.onnx - 10x" \
               "file-to-json.sh $media $data/models/yolov8n-320.onnx - 08" \
               "file-to-mp4.sh $media $data/models/yolov8n-320.onnx $tmp/x.mp4 -3" \
               "webcam-display.sh /nonexistent-video0 $data/models/yolov8n-320.onnx" \
               "cameras-to-mqtt.sh $data/models/yolov8n-320.onnx" \
               "cameras-to-mqtt.sh /nonexistent.onnx rtsp://127.0.0.1:1/x"; do
      rc=0
      # shellcheck disable=SC2086
      MODEL=/nonexistent.onnx "$srcdir"/pipelines/$cmd > "$tmp/out" 2>&1 || rc=$?
      [ "$rc" = 2 ] || fail "'$cmd' exited with $rc, not 2: $(cat "$tmp/out")"
      echo "ok: $cmd -> 2: $(head -n 1 "$tmp/out")"
    done
    ;;
  *) fail "unknown case" ;;
esac
echo "PASS ($case_name)"
