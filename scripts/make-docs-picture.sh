#!/usr/bin/env bash
# make-docs-picture.sh: make docs/detections.png, the annotated example frame
# for the documentation: a photo run through
#
#   filesrc ! decodebin ! videoconvert ! yolodetect ! yolooverlay
#     ! videoconvert ! pngenc ! filesink
#
# and print the frame's detections (yolojson) on stdout.
#
# The photo is basketball1.png from OpenCV's sample data as Debian ships it:
# package opencv-doc (4.6.0+dfsg-12 in bookworm),
# /usr/share/doc/opencv-doc/examples/data/basketball1.png, 640x480, two
# people passing a ball in an office. Licence (debian/copyright, "Files: *"
# of OpenCV, which covers samples/data): Apache-2.0 AND BSD-3-Clause,
# Copyright Intel Corporation, Willow Garage Inc. and others. The script
# fetches the package with `apt-get download opencv-doc` (about 96 MB; needs
# apt's package lists) and extracts only that file. (messi5.jpg from the
# same folder has more objects but carries a press agency's watermark, so it
# is not used.)
#
# usage: scripts/make-docs-picture.sh [MODEL] [OUT.png]
#   MODEL    YOLO ONNX model (env MODEL; default
#            ../shared/models/yolo11n-640.onnx next to the source tree)
#   OUT.png  output (env OUT; default docs/detections.png in the source tree)
# environment:
#   IMAGE       use this picture instead of downloading opencv-doc
#   YOLO_PROPS  extra yolodetect properties; OVERLAY_PROPS for yolooverlay
#   GST_PLUGIN_PATH  where the yolo plugin is; defaults to build/plugin of
#               this source tree when that exists.
#
# example:
#   scripts/make-docs-picture.sh ../shared/models/yolo11n-640.onnx
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -d "$repo/build/plugin" ]; then
  export GST_PLUGIN_PATH="${GST_PLUGIN_PATH:-$repo/build/plugin}"
fi

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0
fi
MODEL=${1:-${MODEL:-$repo/../shared/models/yolo11n-640.onnx}}
OUT=${2:-${OUT:-$repo/docs/detections.png}}
member=./usr/share/doc/opencv-doc/examples/data/basketball1.png

die () { echo "make-docs-picture.sh: $*" >&2; exit 2; }
[ -r "$MODEL" ] || die "cannot read model '$MODEL'"
gst-inspect-1.0 yolodetect >/dev/null 2>&1 ||
  die "yolodetect not found: build the plugin (ninja -C build) or set GST_PLUGIN_PATH"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/yolo-docs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ -z "${IMAGE:-}" ]; then
  # apt's sandbox user (_apt) has to be able to write the download folder
  chmod 0755 "$tmp" && mkdir "$tmp/deb" && chmod 0777 "$tmp/deb"
  (cd "$tmp/deb" && apt-get download opencv-doc) ||
    die "apt-get download opencv-doc failed (run apt-get update?)"
  deb=$(ls "$tmp"/deb/opencv-doc_*.deb)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" "$member"
  IMAGE=$tmp/$member
  echo "make-docs-picture.sh: $(basename "$deb"): $member" >&2
fi
[ -r "$IMAGE" ] || die "cannot read image '$IMAGE'"

read -r -a yolo_props <<< "${YOLO_PROPS:-}"
read -r -a overlay_props <<< "${OVERLAY_PROPS:-}"
mkdir -p "$(dirname "$OUT")"
gst-launch-1.0 -q \
  filesrc location="$IMAGE" ! decodebin ! videoconvert \
  ! yolodetect model="$MODEL" "${yolo_props[@]}" \
  ! yolojson location=- ! yolooverlay "${overlay_props[@]}" \
  ! videoconvert ! pngenc compression-level=9 ! filesink location="$OUT"
size=$(stat -c %s "$OUT")
echo "make-docs-picture.sh: wrote $OUT ($size bytes)" >&2
[ "$size" -lt 1048576 ] || echo "make-docs-picture.sh: warning: $OUT is over 1 MB" >&2
