#!/usr/bin/env bash
# The GStreamer elements (plugin/*.c, plugin/*.h) use only the engine's
# public API: they include no engine header but the public ones, and make
# no OpenCL call.
#
# usage: tests/check/public-api.sh SRCDIR
set -euo pipefail
src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
public='yolo-engine.h yolo-engine-shared.h yolo-family.h yolo-preproc.h yolo-head.h yolo-task.h yolo-labels.h yolo-tracker.h'
status=0
shopt -s nullglob
for f in "$src"/plugin/*.c "$src"/plugin/*.h; do
  while IFS= read -r inc; do
    h=${inc#*\"}; h=${h%\"*}
    case "$h" in yolo-*)
      case " $public " in *" $h "*) ;;
        *) echo "FAIL: ${f#$src/} includes the engine's private header $h"; status=1 ;;
      esac ;;
    esac
  done < <(grep -E '^#include "' "$f" || true)
  if grep -nE '\bcl[A-Z][A-Za-z]+ *\(|<CL/|cl_(mem|command_queue|context|kernel)\b' "$f"; then
    echo "FAIL: ${f#$src/} uses OpenCL directly (lines above)"; status=1
  fi
done
[ "$status" = 0 ] && echo "PASS: plugin/*.c and *.h use only $public"
exit $status
