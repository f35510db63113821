#!/usr/bin/env python3
"""Print yolodetect's detections from Python (PyGObject).

Runs
    filesrc location=MEDIA ! decodebin ! videoconvert ! yolodetect model=MODEL
        ! appsink
and prints, for each frame, the detections read back from the buffer's
GstVideoRegionOfInterestMeta (the "detection" parameter structure; for a
classify model, the frame's best class from its "classification" one):

    frame 0 pts 0:00:00.000000000: 3 detections
      person     0.91  [672.4, 375.4, 809.9, 879.7]
      ...

usage: detections.py MEDIA --model MODEL [--max-frames N] [--json]
       [--prop name=value ...]

Needs python3-gi with the Gst and GstVideo typelibs, and the yolo plugin on
GST_PLUGIN_PATH.
"""
import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GObject, Gst, GstVideo  # noqa: E402


def buffer_detections(buf, width, height):
    """Detections on buf: one dict per ROI meta with a "detection" param.

    yolodetect numbers its ROI metas 0, 1, ... on each buffer, so we can
    walk them by id (iterating arbitrary metas is not introspectable).
    """
    api = GstVideo.VideoRegionOfInterestMeta.get_info().api
    n = buf.get_n_meta(api)
    dets = []
    for i in range(n):
        roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, i)
        if roi is None:
            continue
        s = roi.get_param("detection")
        if s is None:
            continue
        ok, label_id = s.get_int("label_id")
        ok, conf = s.get_double("confidence")
        box = [s.get_double(k)[1] for k in ("x_min", "y_min", "x_max", "y_max")]
        d = {
            "label": s.get_string("label") or GLib_quark_to_string(roi.roi_type),
            "label_id": label_id,
            "confidence": conf,
            "box": [box[0] * width, box[1] * height,
                    box[2] * width, box[3] * height],
            "roi": [roi.x, roi.y, roi.w, roi.h],
        }
        # obb: the rotated box (frame pixels: centre, sides; radians,
        # clockwise on screen). box and roi are yolodetect's obb-roi:
        # DL Streamer's unrotated box (oriented, the default) or the
        # axis-aligned bounding box, both clipped to the frame.
        ok, rotation = s.get_double("rotation")
        if ok:
            d["rotation"] = rotation
            rb = [s.get_double(k) for k in ("rotated_cx", "rotated_cy",
                                             "rotated_w", "rotated_h")]
            if all(ok for ok, _ in rb):
                d["rotated_box"] = [v for _, v in rb]
        dets.append(d)
    return dets


def buffer_classification(buf):
    """The frame's best class (classify models): yolodetect attaches it as a
    full-frame ROI with a "classification" structure. None if absent."""
    api = GstVideo.VideoRegionOfInterestMeta.get_info().api
    for i in range(buf.get_n_meta(api)):
        roi = GstVideo.buffer_get_video_region_of_interest_meta_id(buf, i)
        s = roi.get_param("classification") if roi is not None else None
        if s is None:
            continue
        # the best class; the top-k arrays (GstValueArray) need gst-python
        # to be read from PyGObject (yolojson writes them)
        return {"label": s.get_string("label"),
                "label_id": s.get_int("label_id")[1],
                "confidence": s.get_double("confidence")[1]}
    return None


def GLib_quark_to_string(q):
    from gi.repository import GLib
    return GLib.quark_to_string(q)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("media", help="video or image file")
    ap.add_argument("--model", required=True, help="YOLO ONNX model")
    ap.add_argument("--max-frames", type=int, default=0,
                    help="stop after N frames (0 = all)")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object per frame")
    ap.add_argument("--prop", action="append", default=[],
                    help="extra yolodetect property, e.g. conf-threshold=0.4")
    a = ap.parse_args()

    Gst.init(None)
    if Gst.ElementFactory.find("yolodetect") is None:
        sys.exit("yolodetect not found: set GST_PLUGIN_PATH to the build's "
                 "plugin folder")

    pipeline = Gst.Pipeline.new("detections")
    src = Gst.ElementFactory.make("filesrc")
    src.set_property("location", a.media)
    decode = Gst.ElementFactory.make("decodebin")
    convert = Gst.ElementFactory.make("videoconvert")
    detect = Gst.ElementFactory.make("yolodetect")
    detect.set_property("model", a.model)
    for p in a.prop:
        error = set_property(detect, p)
        if error:
            print("detections.py: --prop %s: %s" % (p, error), file=sys.stderr)
            return 2
    sink = Gst.ElementFactory.make("appsink")
    sink.set_property("sync", False)
    sink.set_property("max-buffers", 4)
    for e in (src, decode, convert, detect, sink):
        pipeline.add(e)
    src.link(decode)
    convert.link(detect)
    detect.link(sink)

    def on_pad_added(_decode, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        if caps.get_structure(0).get_name().startswith("video/"):
            pad.link(convert.get_static_pad("sink"))

    decode.connect("pad-added", on_pad_added)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        bus_error(pipeline)
        pipeline.set_state(Gst.State.NULL)
        return 1

    frames = 0
    status = 0
    while a.max_frames <= 0 or frames < a.max_frames:
        # appsink's action signal, so GstApp's typelib is not needed
        sample = sink.emit("try-pull-sample", Gst.SECOND)
        if sample is None:
            if bus_error(pipeline):
                status = 1
                break
            if sink.get_property("eos"):
                break
            continue
        buf = sample.get_buffer()
        s = sample.get_caps().get_structure(0)
        width, height = s.get_int("width")[1], s.get_int("height")[1]
        dets = buffer_detections(buf, width, height)
        cls = buffer_classification(buf)
        pts = buf.pts
        if a.json:
            obj = {"frame": frames,
                   "pts": None if pts == Gst.CLOCK_TIME_NONE else pts,
                   "width": width, "height": height, "detections": dets}
            if cls is not None:
                obj["classification"] = cls
            print(json.dumps(obj), flush=True)
        else:
            t = "none" if pts == Gst.CLOCK_TIME_NONE else \
                "%d.%09d" % (pts // Gst.SECOND, pts % Gst.SECOND)
            print("frame %d pts %s: %d detections" % (frames, t, len(dets)))
            for d in dets:
                print("  %-12s %.2f  [%.1f, %.1f, %.1f, %.1f]" % (
                    d["label"], d["confidence"], *d["box"]), flush=True)
            if cls is not None:
                print("  classification: %s %.2f" % (
                    cls["label"], cls["confidence"]), flush=True)
        frames += 1

    pipeline.set_state(Gst.State.NULL)
    return status


def set_property(element, arg):
    """Sets element's property from NAME=VALUE (gst-launch-1.0's syntax);
    returns None, or why it cannot (no "=", no such property, a value that
    does not parse or is out of the property's range)."""
    name, eq, value = arg.partition("=")
    if not eq or not name:
        return "expected NAME=VALUE"
    pspec = element.find_property(name)
    if pspec is None:
        return "%s has no property '%s' (gst-inspect-1.0 %s lists them)" % (
            element.get_factory().get_name(), name,
            element.get_factory().get_name())
    if not pspec.flags & GObject.ParamFlags.WRITABLE:
        return "property '%s' is read-only" % name
    if pspec.value_type == GObject.TYPE_STRING:
        element.set_property(name, value)
        return None
    # gst_value_deserialize through a structure field of the property's type
    try:
        st = Gst.Structure.from_string("p, v=(%s)%s" % (
            GObject.type_name(pspec.value_type), value))[0]
    except TypeError:  # PyGObject: the constructor returned NULL
        st = None
    parsed = st.get_value("v") if st is not None and st.has_field("v") \
        else None
    if parsed is None:
        return "'%s' is not a valid %s value" % (
            value, GObject.type_name(pspec.value_type))
    lo, hi = getattr(pspec, "minimum", None), getattr(pspec, "maximum", None)
    if lo is not None and hi is not None and not lo <= parsed <= hi:
        return "%s is outside %s..%s" % (value, lo, hi)
    element.set_property(name, parsed)
    return None


def bus_error(pipeline):
    """Prints a pending error message from the bus; returns 1 if any."""
    bus = pipeline.get_bus()
    msg = bus.timed_pop_filtered(0, Gst.MessageType.ERROR)
    if msg:
        err, dbg = msg.parse_error()
        print("error: %s (%s)" % (err.message, dbg), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
