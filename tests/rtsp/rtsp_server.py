#!/usr/bin/env python3
"""Minimal RTSP server for the RTSP tests: serves an H.264 MP4 file.

usage: rtsp_server.py MEDIA.mp4 [--address 127.0.0.1] [--port 0]
       [--mount /test]

Serves MEDIA at rtsp://ADDRESS:PORT/MOUNT (a fresh media per client, played
in real time from the start) with the launch line
    ( filesrc location=MEDIA ! qtdemux ! h264parse
      ! rtph264pay name=pay0 pt=96 config-interval=1 )
Port 0 (the default) picks a free port. When the server listens it prints
one line, "READY rtsp://ADDRESS:PORT/MOUNT", and flushes stdout; it then runs
until killed. Needs Debian's python3-gi and gir1.2-gst-rtsp-server-1.0.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("media")
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mount", default="/test")
    args = ap.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    location = args.media.replace("\\", "\\\\").replace('"', '\\"')
    factory.set_launch(
        '( filesrc location="%s" ! qtdemux ! h264parse '
        "! rtph264pay name=pay0 pt=96 config-interval=1 )" % location)
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.mount, factory)
    if server.attach(None) == 0:
        print("rtsp_server.py: cannot listen on %s:%d"
              % (args.address, args.port), file=sys.stderr)
        return 1
    print("READY rtsp://%s:%d%s"
          % (args.address, server.get_bound_port(), args.mount), flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
