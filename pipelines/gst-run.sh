# shellcheck shell=bash disable=SC2034  # rc, interrupted, err, detail: for the caller
# pipelines/gst-run.sh - sourced by rtsp-to-json.sh and cameras-to-mqtt.sh
# (not run on its own): runs gst-launch-1.0 so that a lost stream gives
# one line and a non-zero exit status.
#
#   gst_run NAME GST-LAUNCH-ARGS...
#
# runs `gst-launch-1.0 -q -e GST-LAUNCH-ARGS...` in the background, so that
# SIGTERM can be turned into a clean stop (SIGINT: EOS, with -e); its
# stdout is the caller's, its stderr goes through a filter that passes
# everything on but condenses its ERROR report (several lines) into one.
# NAME names the temporary folder. Afterwards:
#   rc           gst-launch's exit status
#   interrupted  1 if SIGINT or SIGTERM stopped it, else 0
#   err, detail  the first error: "<element path>: <message>" and its
#                debug detail; both empty when there was none
# The script's INT, TERM and EXIT traps are set here.

interrupted=0
gst_pid=
# shellcheck disable=SC2317  # called by the traps
on_signal () {
  interrupted=1
  # Ctrl-C reaches gst-launch from the terminal too: send SIGINT only once
  if [ "$1" = TERM ] && [ -n "$gst_pid" ]; then kill -INT "$gst_pid" 2>/dev/null || true; fi
}

# ERROR: from element /GstPipeline:pipeline0/GstRTSPSrc:rtspsrc0: <message>
# Additional debug info:
# <file(line): function (): element path:>
# <detail>
# (then maybe "ERROR: pipeline doesn't want to preroll." and the like)
# -> the first error's element, message and detail go to file $1.
gst_run_filter_stderr () {
  awk -v out="$1" '
    /^ERROR: from element / {
      if (n++ == 0) { sub(/^ERROR: from element /, ""); err = $0; state = 1 }
      else state = 3            # later errors: consequences of the first
      next
    }
    /^ERROR: / && n > 0 { state = 3; next }
    state == 3 { next }
    state == 1 && /^Additional debug info:$/ { state = 2; next }
    state == 2 { detail = $0; next }
    { print > "/dev/stderr"; fflush("/dev/stderr") }
    END { if (n) { print err > out; print detail > out } }'
}

gst_run () {
  local name=$1 filter_pid
  shift
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  gst_run_tmp=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
  trap 'rm -rf "$gst_run_tmp"' EXIT
  mkfifo "$gst_run_tmp/stderr"

  set +e
  gst_run_filter_stderr "$gst_run_tmp/errors" < "$gst_run_tmp/stderr" &
  filter_pid=$!
  gst-launch-1.0 -q -e "$@" 2> "$gst_run_tmp/stderr" &
  gst_pid=$!
  rc=0
  wait "$gst_pid" || rc=$?
  # a trapped signal interrupts wait: wait again until gst-launch is gone
  while kill -0 "$gst_pid" 2>/dev/null; do
    rc=0
    wait "$gst_pid" || rc=$?
  done
  wait "$filter_pid"
  set -e

  err=''
  detail=''
  if [ -s "$gst_run_tmp/errors" ]; then
    { read -r err && read -r detail; } < "$gst_run_tmp/errors" || true
  fi
}
