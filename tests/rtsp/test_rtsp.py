#!/usr/bin/env python3
"""RTSP end-to-end test of yolodetect/yolojson, on loopback only.

For each case it starts tests/rtsp/rtsp_server.py as a separate process
(127.0.0.1, a free port) serving people-walking.mp4 in real time, runs the
client

    rtspsrc location=URL ! rtph264depay ! h264parse ! avdec_h264
      ! videoconvert ! yolodetect model=yolov8n-320.onnx
      ! yolojson location=FILE ! fakesink

and checks that JSON lines with "person" detections arrive (people walk in
from about 6 s into the video). Then it kills the server with SIGKILL in
mid-stream and checks that the client ends with an ERROR or EOS within
STOP_TIMEOUT seconds, printing what it got.

Cases: the client in this process (Gst.parse_launch, watching its bus) over
UDP and over TCP (protocols=tcp), and pipelines/rtsp-to-json.sh run as a
subprocess with its default timeouts, over UDP and TCP, for two faults in
mid-stream: the server killed (SIGKILL: over TCP a connection reset) and the
server frozen (SIGSTOP: no data, connections left open, as when the network
freezes). The script must exit with status 1 and exactly one line on stderr
saying what happened, within KILL_BOUND s of the kill and FREEZE_BOUND s of
the freeze, so that a supervisor can restart it (script-udp-kill also checks
the detections, like the in-process cases).

usage: test_rtsp.py [--script pipelines/rtsp-to-json.sh] [--case NAME ...]
Environment: YOLO_TEST_DATA (default ../shared next to the source tree),
GST_PLUGIN_PATH with the yolo plugin. Exits 77 (skip) when GstRtspServer or
a needed GStreamer element is missing. Needs Debian's python3-gi.
"""
import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
DATA = os.environ.get("YOLO_TEST_DATA",
                      os.path.join(SRCDIR, "..", "shared"))
MEDIA = os.path.join(DATA, "media", "people-walking.mp4")
MODEL = os.path.join(DATA, "models", "yolov8n-320.onnx")

READY_TIMEOUT = 30     # server start
PERSON_TIMEOUT = 150   # first "person" line (stream time ~6 s + model load)
STOP_TIMEOUT = 20      # ERROR/EOS after the server is killed
KILL_BOUND = 10        # rtsp-to-json.sh exit after the server is killed
FREEZE_BOUND = 30      # rtsp-to-json.sh exit after the server is frozen
SCRIPT_CASES = ["script-udp-kill", "script-tcp-kill", "script-udp-freeze",
                "script-tcp-freeze"]
SKIP = 77


def log(*args):
    print(*args, flush=True)


class Server:
    """rtsp_server.py in its own process, so it can be SIGKILLed."""

    def __init__(self):
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "rtsp_server.py"), MEDIA,
             "--address", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE, stderr=None, text=True)
        self.url = None
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if r:
                line = self.proc.stdout.readline()
                if not line:
                    break
                if line.startswith("READY "):
                    self.url = line.split()[1]
                    return
            if self.proc.poll() is not None:
                break
        self.kill()
        raise RuntimeError("RTSP server did not start (exit %s)"
                           % self.proc.poll())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def read_frames(path):
    """Complete JSON lines written so far (the last may be partial)."""
    frames = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    frames.append(json.loads(line))
    except FileNotFoundError:
        pass
    return frames


def n_person(frames):
    return sum(1 for fr in frames
               if any(o["label"] == "person" for o in fr["objects"]))


def check_frames(frames, name):
    """Sanity of the JSON lines themselves."""
    assert frames, "%s: no JSON lines" % name
    for fr in frames:
        assert fr["width"] == 768 and fr["height"] == 432, fr
        for o in fr["objects"]:
            assert 0.0 < o["confidence"] <= 1.0, o
            assert o["w"] > 0 and o["h"] > 0, o
            assert -2 <= o["x"] and o["x"] + o["w"] <= 770, o
    persons = [o for fr in frames for o in fr["objects"]
               if o["label"] == "person"]
    best = max(o["confidence"] for o in persons)
    assert best > 0.6, "%s: best person confidence only %.2f" % (name, best)


def case_inprocess(name, protocols):
    server = Server()
    log("%s: server %s (pid %d)" % (name, server.url, server.proc.pid))
    out = tempfile.NamedTemporaryFile(prefix="yolo-rtsp-", suffix=".jsonl",
                                      delete=False).name
    desc = ("rtspsrc name=src location=%s latency=200 protocols=%s "
            "timeout=5000000 tcp-timeout=5000000 do-rtsp-keep-alive=true "
            "! rtph264depay ! h264parse ! avdec_h264 ! videoconvert "
            "! yolodetect model=\"%s\" ! yolojson location=\"%s\" "
            "! fakesink sync=false" % (server.url, protocols, MODEL, out))
    pipeline = Gst.parse_launch(desc)
    bus = pipeline.get_bus()
    try:
        ret = pipeline.set_state(Gst.State.PLAYING)
        assert ret != Gst.StateChangeReturn.FAILURE, "cannot start client"

        # 1. detections with people arrive
        deadline = time.monotonic() + PERSON_TIMEOUT
        frames = []
        while time.monotonic() < deadline:
            msg = bus.timed_pop_filtered(
                200 * Gst.MSECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
            if msg is not None:
                raise AssertionError("%s: client ended before any person: %s"
                                     % (name, describe(msg)))
            frames = read_frames(out)
            if n_person(frames) >= 3:
                break
        assert n_person(frames) >= 3, (
            "%s: %d JSON lines, %d with a person after %d s"
            % (name, len(frames), n_person(frames), PERSON_TIMEOUT))
        log("%s: %d JSON lines, %d with a person" %
            (name, len(frames), n_person(frames)))
        check_frames(frames, name)

        # 2. kill the server mid-stream: the client must stop, bounded
        server.kill()
        t0 = time.monotonic()
        msg = None
        while msg is None and time.monotonic() - t0 < STOP_TIMEOUT:
            msg = bus.timed_pop_filtered(
                200 * Gst.MSECOND, Gst.MessageType.ERROR | Gst.MessageType.EOS)
        dt = time.monotonic() - t0
        assert msg is not None, ("%s: no ERROR/EOS %d s after the server was "
                                 "killed" % (name, STOP_TIMEOUT))
        log("%s: server killed; client got %s after %.1f s (%d JSON lines)"
            % (name, describe(msg), dt, len(read_frames(out))))
    finally:
        pipeline.set_state(Gst.State.NULL)
        server.kill()
        os.unlink(out)


def case_script(name, script):
    """rtsp-to-json.sh against a server that dies or freezes mid-stream."""
    _, protocols, fault = name.split("-")
    server = Server()
    log("%s: server %s (pid %d)" % (name, server.url, server.proc.pid))
    out = tempfile.NamedTemporaryFile(prefix="yolo-rtsp-", suffix=".jsonl",
                                      delete=False).name
    # only the transport is set: the script's own timeouts are under test
    env = dict(os.environ, RTSP_PROPS="protocols=%s" % protocols)
    env.pop("STALL_TIMEOUT", None)
    client = subprocess.Popen(["bash", script, server.url, MODEL, out],
                              env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              start_new_session=True)
    want_persons = fault == "kill" and protocols == "udp"
    stopped = False
    try:
        # 1. JSON lines flow (and, for one case, people are detected)
        deadline = time.monotonic() + PERSON_TIMEOUT
        frames = []
        while time.monotonic() < deadline and client.poll() is None:
            time.sleep(0.2)
            frames = read_frames(out)
            if (n_person(frames) >= 3 if want_persons else len(frames) >= 5):
                break
        assert client.poll() is None, ("%s: script ended early (%s): %s" % (
            name, client.returncode, client.communicate()))
        if want_persons:
            assert n_person(frames) >= 3, (
                "%s: %d JSON lines, %d with a person after %d s"
                % (name, len(frames), n_person(frames), PERSON_TIMEOUT))
            check_frames(frames, name)
        else:
            assert len(frames) >= 5, ("%s: %d JSON lines after %d s"
                                      % (name, len(frames), PERSON_TIMEOUT))
        log("%s: %d JSON lines, %d with a person" %
            (name, len(frames), n_person(frames)))

        # 2. the fault: the script must exit 1 with one line, in time
        if fault == "kill":
            server.kill()
            bound = KILL_BOUND
        else:
            server.proc.send_signal(signal.SIGSTOP)
            stopped = True
            bound = FREEZE_BOUND
        t0 = time.monotonic()
        try:
            stdout, stderr = client.communicate(timeout=bound + 10)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s: script still running %d s after the "
                                 "server was %s" % (name, bound + 10,
                                                    fault == "kill" and
                                                    "killed" or "frozen"))
        dt = time.monotonic() - t0
        rc = client.returncode
        log("%s: server %s; script exited with %d after %.1f s: %s"
            % (name, fault == "kill" and "killed" or "frozen", rc, dt,
               stderr.strip()))
        assert rc == 1, "%s: exit status %d, expected 1" % (name, rc)
        assert dt <= bound, "%s: exited after %.1f s, over %d s" % (
            name, dt, bound)
        assert stdout == "", "%s: stdout %r" % (name, stdout)
        lines = stderr.splitlines()
        assert len(lines) == 1, "%s: %d lines on stderr: %r" % (
            name, len(lines), stderr)
        prefix = "rtsp-to-json.sh: %s: " % server.url
        assert lines[0].startswith(prefix), lines[0]
        what = lines[0][len(prefix):]
        if fault == "freeze":
            assert what == ("no data for 10 s (stream frozen or network "
                            "down)"), what
        elif protocols == "tcp":
            assert what.startswith("the stream ended (the server closed the "
                                   "connection"), what
        else:
            # over UDP the RTSP connection fails: rtspsrc's error
            assert "no data" not in what and "ended" not in what, what
        # the JSON written so far is intact
        for fr in read_frames(out):
            assert fr["width"] == 768, fr
    finally:
        if client.poll() is None:
            os.killpg(client.pid, signal.SIGKILL)
            client.wait()
        if stopped:
            server.proc.send_signal(signal.SIGCONT)
        server.kill()
        os.unlink(out)


def describe(msg):
    if msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        return "ERROR from %s: %s (%s)" % (msg.src.get_name(), err.message,
                                            (dbg or "").splitlines()[-1:])
    return "EOS"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--script", help="pipelines/rtsp-to-json.sh to test too")
    ap.add_argument("--case", action="append",
                    choices=["udp", "tcp"] + SCRIPT_CASES)
    args = ap.parse_args()

    Gst.init(None)
    try:
        gi.require_version("GstRtspServer", "1.0")
        from gi.repository import GstRtspServer  # noqa: F401
    except (ValueError, ImportError) as e:
        log("SKIP: no GstRtspServer typelib (gir1.2-gst-rtsp-server-1.0): %s"
            % e)
        return SKIP
    for el in ["rtspsrc", "rtph264depay", "h264parse", "avdec_h264",
               "qtdemux", "rtph264pay", "yolodetect", "yolojson"]:
        if Gst.ElementFactory.find(el) is None:
            if el.startswith("yolo"):
                log("FAIL: %s not found (GST_PLUGIN_PATH=%s)"
                    % (el, os.environ.get("GST_PLUGIN_PATH")))
                return 1
            log("SKIP: GStreamer element %s is missing" % el)
            return SKIP
    for f in [MEDIA, MODEL]:
        if not os.path.exists(f):
            log("SKIP: %s is missing (set YOLO_TEST_DATA)" % f)
            return SKIP

    cases = args.case or (["udp", "tcp"]
                          + (SCRIPT_CASES if args.script else []))
    failed = 0
    for c in cases:
        try:
            if c.startswith("script"):
                if not args.script:
                    raise AssertionError("--case %s needs --script" % c)
                case_script(c, args.script)
            else:
                case_inprocess(c, c)
            log("ok - %s" % c)
        except Exception as e:  # report every case, then fail
            failed += 1
            log("not ok - %s: %s: %s" % (c, type(e).__name__, e))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
