#!/usr/bin/env python3
"""pipelines/cameras-to-mqtt.sh end to end, on loopback only.

Starts two loopback RTSP servers (tests/rtsp/rtsp_server.py, each serving
people-walking.mp4 in real time) and a real MQTT broker (Debian's
mosquitto, its own configuration, a free 127.0.0.1 port), subscribes with
mosquitto_sub to TOPIC_PREFIX/+/detections, and runs

    cameras-to-mqtt.sh yolov8n-320.onnx URL1 URL2   (NAMES="gate yard")

Checks: messages arrive on both cameras' topics (gate, yard), each a
yolojson object of the 768x432 frames, with "person" detections on both
(people walk in about 6 s into the video); the process loaded one engine
for both cameras (yolodetect's INFO log: one engine, two elements started);
SIGTERM stops it with exit status 0 within STOP_BOUND s. Then it runs the
script again and kills one RTSP server: the script exits with status 1 and
one line on stderr naming that camera.

Environment: YOLO_TEST_DATA, GST_PLUGIN_PATH with the plugin,
YOLO_MOSQUITTO (the broker; default /usr/sbin/mosquitto). Exits 77 (skip)
when the broker, mosquitto_sub, GstRtspServer or yolopublish is missing.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import test_rtsp  # noqa: E402  (Server, MODEL, the Gst checks)

SCRIPT = os.path.join(SRCDIR, "pipelines", "cameras-to-mqtt.sh")
PERSON_TIMEOUT = 180
STOP_BOUND = 20
KILL_BOUND = 20
SKIP = 77


def log(*a):
    print(*a, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    def __init__(self, exe, tmp):
        self.port = free_port()
        conf = os.path.join(tmp, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\n"
                    "persistence false\n" % self.port)
        self.proc = subprocess.Popen([exe, "-c", conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(tmp, "broker.log"),
                                                 "w"))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("mosquitto does not listen on %d" % self.port)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_script(urls, broker, debug_log, tmp, names="gate yard"):
    env = dict(os.environ, BROKER="127.0.0.1", BROKER_PORT=str(broker.port),
               TOPIC_PREFIX="test", NAMES=names, QOS="1",
               GST_DEBUG="yolodetect:4", GST_DEBUG_FILE=debug_log,
               GST_DEBUG_NO_COLOR="1")
    err = open(os.path.join(tmp, "script.stderr"), "w+")
    p = subprocess.Popen([SCRIPT, test_rtsp.MODEL] + urls, env=env,
                         stdout=subprocess.DEVNULL, stderr=err, text=True)
    return p, err


def main():
    exe = os.environ.get("YOLO_MOSQUITTO", "/usr/sbin/mosquitto")
    if not os.access(exe, os.X_OK) or not shutil.which("mosquitto_sub"):
        log("SKIP: mosquitto / mosquitto_sub missing")
        return SKIP
    if subprocess.run(["gst-inspect-1.0", "yolopublish"],
                      capture_output=True).returncode != 0:
        log("SKIP: yolopublish not built")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="yolo-cams-")
    broker = Broker(exe, tmp)
    servers = [test_rtsp.Server(), test_rtsp.Server()]
    sub_out = open(os.path.join(tmp, "sub.txt"), "w+")
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                            str(broker.port), "-q", "1", "-v", "-t",
                            "test/+/detections"], stdout=sub_out)
    debug_log = os.path.join(tmp, "gst.log")
    script, err = start_script([s.url for s in servers], broker, debug_log,
                               tmp)
    ok = False
    try:
        # both cameras' topics, with people
        deadline = time.monotonic() + PERSON_TIMEOUT
        counts = {}
        persons = {}
        while time.monotonic() < deadline and script.poll() is None:
            time.sleep(1)
            counts, persons = {}, {}
            # a file object of our own: seeking sub_out would move the
            # offset mosquitto_sub writes at (one shared open file) and
            # interleave its next message into an earlier one
            with open(sub_out.name) as sub_read:
                lines = sub_read.readlines()
            for line in lines:
                if not line.endswith("\n"):
                    continue
                topic, payload = line.rstrip("\n").split(" ", 1)
                fr = json.loads(payload)
                assert fr["width"] == 768 and fr["height"] == 432, fr
                counts[topic] = counts.get(topic, 0) + 1
                if any(o["label"] == "person" for o in fr["objects"]):
                    persons[topic] = persons.get(topic, 0) + 1
            if len(persons) == 2:
                break
        log("messages per topic: %s; with a person: %s" % (counts, persons))
        assert script.poll() is None, "script exited (%s): %s" % (
            script.returncode, open(err.name).read())
        assert set(persons) == {"test/gate/detections",
                                "test/yard/detections"}, persons
        # one engine for both cameras
        with open(debug_log, errors="replace") as f:
            text = f.read()
        engines = set(re.findall(r"engine (0x[0-9a-f]+), \d+ bytes", text))
        starts = len(re.findall(r"model instance 'cameras-to-mqtt': \d+ users",
                                text))
        log("engines loaded: %d, yolodetect started: %d" % (len(engines),
                                                           starts))
        assert len(engines) == 1 and starts == 2, (engines, starts)
        # clean stop
        t0 = time.monotonic()
        script.send_signal(signal.SIGTERM)
        rc = script.wait(timeout=STOP_BOUND + 10)
        log("SIGTERM: exit status %d after %.1f s" % (rc,
                                                      time.monotonic() - t0))
        assert rc == 0 and time.monotonic() - t0 < STOP_BOUND, open(
            err.name).read()

        # a lost camera: exit 1, one line naming it
        script, err = start_script([s.url for s in servers], broker,
                                   os.path.join(tmp, "gst2.log"), tmp)
        n0 = sum(1 for _ in open(sub_out.name))
        deadline = time.monotonic() + PERSON_TIMEOUT
        while time.monotonic() < deadline and script.poll() is None:
            time.sleep(1)
            if sum(1 for _ in open(sub_out.name)) > n0 + 4:
                break
        servers[1].kill()
        t0 = time.monotonic()
        rc = script.wait(timeout=KILL_BOUND + 30)
        lines = [ln for ln in open(err.name).read().splitlines()
                 if ln.startswith("cameras-to-mqtt.sh:")]
        log("server of yard killed: exit status %d after %.1f s: %s"
            % (rc, time.monotonic() - t0, lines))
        assert rc == 1 and len(lines) == 1, lines
        assert "camera yard (%s)" % servers[1].url in lines[0], lines
        assert time.monotonic() - t0 < KILL_BOUND
        ok = True
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
        sub.terminate()
        sub.wait()
        for s in servers:
            s.kill()
        broker.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            log("kept %s" % tmp)
    log("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
