/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-yolooverlay
 * @title: yolooverlay
 *
 * Draws every #GstVideoRegionOfInterestMeta of a frame onto the frame: the
 * box outline and a filled label tag such as `person 0.91` (`person #3 0.91`
 * when yolotrack gave the object an id), one colour per
 * class. It follows the DL Streamer convention used by yolodetect: the
 * label and confidence come from the "detection" parameter structure
 * (`label`, `label_id`, `confidence`); ROI metas without parameters are drawn
 * with the roi_type name as label and no confidence.
 *
 * Class colours come from a fixed 20-colour palette indexed by `label_id`,
 * or by a hash of the label when there is no `label_id`, so a class keeps its
 * colour across frames and runs. Text is rendered with pango/cairo.
 *
 * Packed RGB formats are drawn in place with cairo. Planar/semi-planar 4:2:0
 * YUV formats get solid box edges written straight into the planes (chroma
 * blended by coverage) and the label tag rendered into a small ARGB scratch
 * surface that is alpha-blended into the planes, using the stream's
 * colorimetry.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=video.mp4 ! decodebin ! videoconvert ! \
 *     yolodetect model-file=yolov8n.onnx ! yolooverlay thickness=3 ! \
 *     videoconvert ! autovideosink
 * ]|
 *
 * Since: 0.1
 */

#include "config.h"

#include "gstyolooverlay.h"
#include "gstyolometa.h"

#include <math.h>
#include <string.h>
#include <cairo.h>
#include <pango/pangocairo.h>

GST_DEBUG_CATEGORY_STATIC (gst_yolo_overlay_debug);
#define GST_CAT_DEFAULT gst_yolo_overlay_debug

enum
{
  PROP_0,
  PROP_THICKNESS,
  PROP_FONT,
  PROP_SHOW_CONFIDENCE,
  PROP_SHOW_LABELS,
};

#define DEFAULT_THICKNESS 2
#define DEFAULT_FONT "Sans 12"
#define DEFAULT_SHOW_CONFIDENCE TRUE
#define DEFAULT_SHOW_LABELS TRUE

#define MAX_THICKNESS 100
/* Largest label font size (points or pixels): FreeType fails on sizes in
 * the tens of thousands (pango warns on every frame) */
#define MAX_FONT_SIZE 1000
#define TAG_PAD_X 3
#define TAG_PAD_Y 1

/* Ultralytics' default 20-colour palette (0xRRGGBB) */
static const guint32 yolo_overlay_palette[] = {
  0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17,
  0x3DDB86, 0x1A9334, 0x00D4BB, 0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF,
  0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7,
};

#define PALETTE_SIZE G_N_ELEMENTS (yolo_overlay_palette)

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
/* cairo ARGB32/RGB24 are native-endian 32-bit words: BGRA in memory */
#define RGB_FORMATS "BGRx, BGRA, RGBx, RGBA"
#else
#define RGB_FORMATS "xRGB, ARGB, xBGR, ABGR"
#endif
#define YUV_FORMATS "NV12, NV21, I420, YV12"

#define OVERLAY_CAPS GST_VIDEO_CAPS_MAKE ("{ " RGB_FORMATS ", " YUV_FORMATS " }")

struct _GstYoloOverlay
{
  GstVideoFilter parent;

  /* properties, protected by the object lock */
  guint thickness;
  gchar *font;
  gboolean show_confidence;
  gboolean show_labels;
  gboolean font_dirty;

  /* streaming thread state */
  PangoFontMap *fontmap;
  PangoContext *pango_ctx;
  PangoLayout *layout;

  /* negotiated format */
  gboolean is_yuv;
  gboolean swap_rb;
  cairo_format_t cairo_format;
  /* RGB (0..255) -> Y'CbCr (0..255) for the YUV path */
  gdouble ky[3], ku[3], kv[3], y_off;
};

/* what to draw for one ROI, in frame pixels; rectangles are half-open */
typedef struct
{
  gint x0, y0, x1, y1;          /* box clamped to the frame */
  gint t;                       /* outline thickness */
  guint8 r, g, b;               /* class colour */
  gboolean has_tag;
  gint tx, ty, tw, th;          /* tag rectangle */
  gint text_x, text_y;          /* layout origin */
  gboolean dark_text;
  gboolean no_box;              /* obb, classification: no axis-aligned box */
} YoloOverlayRoi;

/* the task extras of one ROI (see gstyolometa.h), frame pixels */
typedef struct
{
  GBytes *mask;                 /* over the ROI rectangle */
  guint mw, mh;
  gint mx, my;
  gfloat *kp;                   /* n_kp x (x, y, confidence) */
  guint n_kp;
  GArray *pairs;                /* guint pairs: skeleton connections */
  gboolean rotated;
  gdouble corners[8];
  gint bx0, by0, bx1, by1;      /* what they cover, clamped to the frame */
} YoloOverlayExtras;

/* keypoints with a lower confidence are not drawn (as Ultralytics) */
#define KPT_MIN_CONFIDENCE 0.5

typedef struct
{
  gint x, y, w, h;
} YoloRect;

#define gst_yolo_overlay_parent_class parent_class
G_DEFINE_TYPE (GstYoloOverlay, gst_yolo_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (yolo_overlay, "yolooverlay", GST_RANK_NONE,
    GST_TYPE_YOLO_OVERLAY);

static void gst_yolo_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_yolo_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_yolo_overlay_finalize (GObject * object);
static gboolean gst_yolo_overlay_start (GstBaseTransform * trans);
static gboolean gst_yolo_overlay_stop (GstBaseTransform * trans);
static gboolean gst_yolo_overlay_set_info (GstVideoFilter * filter,
    GstCaps * incaps, GstVideoInfo * in_info, GstCaps * outcaps,
    GstVideoInfo * out_info);
static GstFlowReturn gst_yolo_overlay_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

static void
gst_yolo_overlay_class_init (GstYoloOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *vfilter_class = GST_VIDEO_FILTER_CLASS (klass);
  GstCaps *caps;

  GST_DEBUG_CATEGORY_INIT (gst_yolo_overlay_debug, "yolooverlay", 0,
      "YOLO detection overlay");

  gobject_class->set_property = gst_yolo_overlay_set_property;
  gobject_class->get_property = gst_yolo_overlay_get_property;
  gobject_class->finalize = gst_yolo_overlay_finalize;

  /**
   * GstYoloOverlay:thickness:
   *
   * Width in pixels of the box outline, drawn inside the box.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_THICKNESS,
      g_param_spec_uint ("thickness", "Thickness",
          "Box outline width in pixels", 1, MAX_THICKNESS, DEFAULT_THICKNESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_CONTROLLABLE));

  /**
   * GstYoloOverlay:font:
   *
   * Pango font description of the label text, e.g. "Sans Bold 16".
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FONT,
      g_param_spec_string ("font", "Font",
          "Pango font description of the label text", DEFAULT_FONT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));

  /**
   * GstYoloOverlay:show-confidence:
   *
   * Append the confidence (two decimals) to the label when the meta has one.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_CONFIDENCE,
      g_param_spec_boolean ("show-confidence", "Show confidence",
          "Append the confidence to the label", DEFAULT_SHOW_CONFIDENCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_CONTROLLABLE));

  /**
   * GstYoloOverlay:show-labels:
   *
   * Draw the label tag. When FALSE only the boxes are drawn.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean ("show-labels", "Show labels",
          "Draw a label tag above each box", DEFAULT_SHOW_LABELS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_CONTROLLABLE));

  gst_element_class_set_static_metadata (element_class,
      "YOLO detection overlay", "Filter/Effect/Video",
      "Draws region-of-interest metas (boxes and labels) onto video frames",
      "gst-yolo authors");

  caps = gst_caps_from_string (OVERLAY_CAPS);
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template (element_class,
      gst_pad_template_new ("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref (caps);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolo_overlay_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolo_overlay_stop);
  vfilter_class->set_info = GST_DEBUG_FUNCPTR (gst_yolo_overlay_set_info);
  vfilter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_yolo_overlay_transform_frame_ip);
}

static void
gst_yolo_overlay_init (GstYoloOverlay * self)
{
  self->thickness = DEFAULT_THICKNESS;
  self->font = g_strdup (DEFAULT_FONT);
  self->show_confidence = DEFAULT_SHOW_CONFIDENCE;
  self->show_labels = DEFAULT_SHOW_LABELS;
  self->font_dirty = TRUE;
}

static void
gst_yolo_overlay_finalize (GObject * object)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (object);

  g_clear_object (&self->layout);
  g_clear_object (&self->pango_ctx);
  g_clear_object (&self->fontmap);
  g_free (self->font);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
gst_yolo_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THICKNESS:
      self->thickness = g_value_get_uint (value);
      break;
    case PROP_FONT:
      g_free (self->font);
      self->font = g_value_dup_string (value);
      if (self->font == NULL)
        self->font = g_strdup (DEFAULT_FONT);
      self->font_dirty = TRUE;
      break;
    case PROP_SHOW_CONFIDENCE:
      self->show_confidence = g_value_get_boolean (value);
      break;
    case PROP_SHOW_LABELS:
      self->show_labels = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THICKNESS:
      g_value_set_uint (value, self->thickness);
      break;
    case PROP_FONT:
      g_value_set_string (value, self->font);
      break;
    case PROP_SHOW_CONFIDENCE:
      g_value_set_boolean (value, self->show_confidence);
      break;
    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_yolo_overlay_start (GstBaseTransform * trans)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (trans);
  cairo_font_options_t *options;

  /* A private font map: pango's default one is per thread, and the layout is
   * only ever used from the streaming thread. */
  self->fontmap = pango_cairo_font_map_new ();
  self->pango_ctx = pango_font_map_create_context (self->fontmap);
  pango_cairo_context_set_resolution (self->pango_ctx, 96.0);

  /* greyscale antialiasing: subpixel rendering would put colour fringes on
   * the text, and hinting keeps stems crisp */
  options = cairo_font_options_create ();
  cairo_font_options_set_antialias (options, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style (options, CAIRO_HINT_STYLE_SLIGHT);
  cairo_font_options_set_hint_metrics (options, CAIRO_HINT_METRICS_ON);
  pango_cairo_context_set_font_options (self->pango_ctx, options);
  cairo_font_options_destroy (options);

  self->layout = pango_layout_new (self->pango_ctx);
  pango_layout_set_single_paragraph_mode (self->layout, TRUE);

  GST_OBJECT_LOCK (self);
  self->font_dirty = TRUE;
  GST_OBJECT_UNLOCK (self);

  return TRUE;
}

static gboolean
gst_yolo_overlay_stop (GstBaseTransform * trans)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (trans);

  g_clear_object (&self->layout);
  g_clear_object (&self->pango_ctx);
  g_clear_object (&self->fontmap);

  return TRUE;
}

static gboolean
gst_yolo_overlay_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (filter);
  gdouble kr, kb, kg, ys, cs;

  self->is_yuv = GST_VIDEO_INFO_IS_YUV (in_info);
  self->swap_rb = FALSE;

  switch (GST_VIDEO_INFO_FORMAT (in_info)) {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
    case GST_VIDEO_FORMAT_RGBx:
      self->swap_rb = TRUE;
      /* fall through */
    case GST_VIDEO_FORMAT_BGRx:
      self->cairo_format = CAIRO_FORMAT_RGB24;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      self->swap_rb = TRUE;
      /* fall through */
    case GST_VIDEO_FORMAT_BGRA:
      self->cairo_format = CAIRO_FORMAT_ARGB32;
      break;
#else
    case GST_VIDEO_FORMAT_xBGR:
      self->swap_rb = TRUE;
      /* fall through */
    case GST_VIDEO_FORMAT_xRGB:
      self->cairo_format = CAIRO_FORMAT_RGB24;
      break;
    case GST_VIDEO_FORMAT_ABGR:
      self->swap_rb = TRUE;
      /* fall through */
    case GST_VIDEO_FORMAT_ARGB:
      self->cairo_format = CAIRO_FORMAT_ARGB32;
      break;
#endif
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_NV21:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_YV12:
      break;
    default:
      GST_ERROR_OBJECT (self, "unsupported format %s",
          gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)));
      return FALSE;
  }

  if (self->is_yuv) {
    if (!gst_video_color_matrix_get_Kr_Kb (in_info->colorimetry.matrix, &kr,
            &kb)) {
      kr = 0.299;
      kb = 0.114;
    }
    kg = 1.0 - kr - kb;
    if (in_info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
      ys = 1.0;
      cs = 1.0;
      self->y_off = 0.0;
    } else {
      ys = 219.0 / 255.0;
      cs = 224.0 / 255.0;
      self->y_off = 16.0;
    }
    self->ky[0] = kr * ys;
    self->ky[1] = kg * ys;
    self->ky[2] = kb * ys;
    self->ku[0] = -kr / (2.0 * (1.0 - kb)) * cs;
    self->ku[1] = -kg / (2.0 * (1.0 - kb)) * cs;
    self->ku[2] = 0.5 * cs;
    self->kv[0] = 0.5 * cs;
    self->kv[1] = -kg / (2.0 * (1.0 - kr)) * cs;
    self->kv[2] = -kb / (2.0 * (1.0 - kr)) * cs;
  }

  GST_DEBUG_OBJECT (self, "format %s, yuv %d, swap_rb %d",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
      self->is_yuv, self->swap_rb);
  return TRUE;
}

/* ---- per-ROI description ---- */

static void
yolo_overlay_roi_info (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    const gchar ** label, gint * label_id, gdouble * confidence,
    gint * object_id)
{
  GstStructure *s;
  const gchar *l = NULL;
  gint id = -1;
  gdouble conf = -1.0;

  /* also finds the parameters that videoconvert/videoscale dropped */
  s = gst_yolo_meta_find_params (buf, roi);
  if (s == NULL)
    s = gst_yolo_meta_find_named_params (buf, roi,
        GST_YOLO_CLASSIFICATION_STRUCTURE_NAME);
  if (s != NULL) {
    l = gst_structure_get_string (s, "label");
    if (!gst_structure_get_int (s, "label_id", &id))
      id = -1;
    if (!gst_structure_get_double (s, "confidence", &conf))
      conf = -1.0;
  }
  if (l == NULL || *l == '\0')
    l = roi->roi_type != 0 ? g_quark_to_string (roi->roi_type) : NULL;

  *label = l;
  *label_id = id;
  *confidence = conf;
  /* yolotrack's (or gvatrack's) object id */
  if (!gst_yolo_meta_find_object_id (buf, roi, object_id))
    *object_id = -1;
}

static guint32
yolo_overlay_class_colour (const gchar * label, gint label_id)
{
  guint idx;

  if (label_id >= 0)
    idx = (guint) label_id % PALETTE_SIZE;
  else if (label != NULL)
    idx = g_str_hash (label) % PALETTE_SIZE;
  else
    idx = 0;
  return yolo_overlay_palette[idx];
}

/* Fills @d for one ROI. Returns FALSE when nothing is visible. */
static gboolean
yolo_overlay_layout_roi (GstYoloOverlay * self, GstBuffer * buf,
    GstVideoRegionOfInterestMeta * roi, gint width, gint height,
    guint thickness, gboolean show_labels, gboolean show_confidence,
    YoloOverlayRoi * d)
{
  const gchar *label;
  gint label_id;
  gdouble conf;
  gint object_id;
  guint32 rgb;
  gint64 x1, y1;
  GString *text;
  PangoRectangle logical;
  GstStructure *det;
  gdouble hull[4];
  gboolean rotated;

  det = gst_yolo_meta_find_params (buf, roi);
  rotated = gst_yolo_meta_get_rotated_bounds (det, width, height, hull);
  if (rotated) {
    /* an oriented box: the region it covers, whichever ROI rectangle
     * yolodetect's obb-roi gave it (DL Streamer's is the unrotated box) */
    d->x0 = (gint) floor (hull[0] + 0.5);
    d->y0 = (gint) floor (hull[1] + 0.5);
    d->x1 = (gint) floor (hull[2] + 0.5);
    d->y1 = (gint) floor (hull[3] + 0.5);
  } else {
    x1 = (gint64) roi->x + roi->w;
    y1 = (gint64) roi->y + roi->h;
    d->x0 = (gint) MIN ((gint64) roi->x, width);
    d->y0 = (gint) MIN ((gint64) roi->y, height);
    d->x1 = (gint) MIN (x1, width);
    d->y1 = (gint) MIN (y1, height);
  }
  if (d->x1 <= d->x0 || d->y1 <= d->y0)
    return FALSE;
  d->t = thickness;

  yolo_overlay_roi_info (buf, roi, &label, &label_id, &conf, &object_id);
  /* a "rotation" without a readable box (no x_min.. either) keeps the
   * ROI rectangle: an object is never drawn without an outline */
  d->no_box = rotated || gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_CLASSIFICATION_STRUCTURE_NAME) != NULL;
  rgb = yolo_overlay_class_colour (label, label_id);
  d->r = (rgb >> 16) & 0xff;
  d->g = (rgb >> 8) & 0xff;
  d->b = rgb & 0xff;
  d->dark_text = (0.299 * d->r + 0.587 * d->g + 0.114 * d->b) > 150.0;

  d->has_tag = FALSE;
  if (!show_labels)
    return TRUE;

  text = g_string_new (NULL);
  if (label != NULL)
    g_string_append (text, label);
  else if (label_id >= 0)
    g_string_append_printf (text, "%d", label_id);
  if (object_id >= 0) {
    if (text->len > 0)
      g_string_append_c (text, ' ');
    g_string_append_printf (text, "#%d", object_id);
  }
  if (show_confidence && conf >= 0.0) {
    if (text->len > 0)
      g_string_append_c (text, ' ');
    g_string_append_printf (text, "%.2f", conf);
  }
  if (text->len == 0) {
    g_string_free (text, TRUE);
    return TRUE;
  }

  /* labels come from model files and upstream metas: pango warns on
   * invalid UTF-8 (and would lay out a megabyte label) */
  if (text->len > 256)
    g_string_truncate (text, 256);
  if (!g_utf8_validate (text->str, text->len, NULL)) {
    gchar *valid = g_utf8_make_valid (text->str, text->len);
    g_string_assign (text, valid);
    g_free (valid);
  }
  pango_layout_set_text (self->layout, text->str, text->len);
  g_string_free (text, TRUE);
  pango_layout_get_pixel_extents (self->layout, NULL, &logical);

  d->has_tag = TRUE;
  d->tw = MIN (logical.width + 2 * TAG_PAD_X, width);
  d->th = MIN (logical.height + 2 * TAG_PAD_Y, height);

  /* left-aligned on the box, kept inside the frame */
  d->tx = d->x0;
  if (d->tx + d->tw > width)
    d->tx = width - d->tw;
  /* above the box; below the box top when that would leave the frame */
  d->ty = d->y0 - d->th;
  if (d->ty < 0)
    d->ty = d->y0;
  if (d->ty + d->th > height)
    d->ty = height - d->th;
  d->tx = MAX (d->tx, 0);
  d->ty = MAX (d->ty, 0);

  d->text_x = d->tx + TAG_PAD_X - logical.x;
  d->text_y = d->ty + TAG_PAD_Y - logical.y;

  return TRUE;
}

/* The outline as up to four non-overlapping rectangles inside the box. */
static guint
yolo_overlay_edges (const YoloOverlayRoi * d, YoloRect * r)
{
  gint top_end, bot_start, left_end, right_start;
  guint n = 0;

  top_end = MIN (d->y0 + d->t, d->y1);
  bot_start = MAX (d->y1 - d->t, top_end);
  left_end = MIN (d->x0 + d->t, d->x1);
  right_start = MAX (d->x1 - d->t, left_end);

  r[n++] = (YoloRect) {
  d->x0, d->y0, d->x1 - d->x0, top_end - d->y0};
  if (d->y1 > bot_start)
    r[n++] = (YoloRect) {
    d->x0, bot_start, d->x1 - d->x0, d->y1 - bot_start};
  if (bot_start > top_end) {
    r[n++] = (YoloRect) {
    d->x0, top_end, left_end - d->x0, bot_start - top_end};
    if (d->x1 > right_start)
      r[n++] = (YoloRect) {
      right_start, top_end, d->x1 - right_start, bot_start - top_end};
  }
  return n;
}

static void
yolo_overlay_set_colour (cairo_t * cr, gboolean swap_rb, guint8 r, guint8 g,
    guint8 b)
{
  if (swap_rb)
    cairo_set_source_rgb (cr, b / 255.0, g / 255.0, r / 255.0);
  else
    cairo_set_source_rgb (cr, r / 255.0, g / 255.0, b / 255.0);
}

/* Draws the tag (fill + text) of @d with cairo in frame coordinates. */
static void
yolo_overlay_draw_tag (GstYoloOverlay * self, cairo_t * cr,
    const YoloOverlayRoi * d, gboolean swap_rb)
{
  guint8 tc = d->dark_text ? 0 : 255;

  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  yolo_overlay_set_colour (cr, swap_rb, d->r, d->g, d->b);
  cairo_rectangle (cr, d->tx, d->ty, d->tw, d->th);
  cairo_fill (cr);

  cairo_save (cr);
  cairo_rectangle (cr, d->tx, d->ty, d->tw, d->th);
  cairo_clip (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_DEFAULT);
  yolo_overlay_set_colour (cr, swap_rb, tc, tc, tc);
  cairo_move_to (cr, d->text_x, d->text_y);
  pango_cairo_show_layout (cr, self->layout);
  cairo_restore (cr);
}

/* ---- packed RGB: draw in place with cairo ---- */

static void
yolo_overlay_draw_rgb (GstYoloOverlay * self, GstVideoFrame * frame,
    cairo_t * cr, const YoloOverlayRoi * d)
{
  YoloRect e[4];
  guint i, n;

  n = d->no_box ? 0 : yolo_overlay_edges (d, e);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_NONE);
  yolo_overlay_set_colour (cr, self->swap_rb, d->r, d->g, d->b);
  for (i = 0; i < n; i++)
    cairo_rectangle (cr, e[i].x, e[i].y, e[i].w, e[i].h);
  cairo_fill (cr);

  if (d->has_tag)
    yolo_overlay_draw_tag (self, cr, d, self->swap_rb);
}

/* ---- YUV: solid edges into the planes, tag via an ARGB scratch ---- */

static inline guint8 *
yolo_overlay_comp (GstVideoFrame * f, gint c, gint x, gint y)
{
  return (guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, c) +
      y * GST_VIDEO_FRAME_COMP_STRIDE (f, c) +
      x * GST_VIDEO_FRAME_COMP_PSTRIDE (f, c);
}

static inline guint8
yolo_overlay_clamp_u8 (gdouble v)
{
  return (guint8) CLAMP (v + 0.5, 0.0, 255.0);
}

static void
yolo_overlay_rgb_to_yuv (GstYoloOverlay * self, gdouble r, gdouble g,
    gdouble b, gdouble * y, gdouble * u, gdouble * v)
{
  *y = self->ky[0] * r + self->ky[1] * g + self->ky[2] * b;
  *u = self->ku[0] * r + self->ku[1] * g + self->ku[2] * b;
  *v = self->kv[0] * r + self->kv[1] * g + self->kv[2] * b;
}

/* Fills a rectangle with a solid colour; chroma samples that the rectangle
 * only partly covers are blended by coverage. */
static void
yolo_overlay_fill_yuv (GstYoloOverlay * self, GstVideoFrame * frame,
    const YoloRect * r, guint8 cr_, guint8 cg, guint8 cb)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  gint ws = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
  gint hs = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
  gdouble yf, uf, vf;
  guint8 yv, uv, vv;
  gint x, y, cx, cy;

  if (r->w <= 0 || r->h <= 0)
    return;

  yolo_overlay_rgb_to_yuv (self, cr_, cg, cb, &yf, &uf, &vf);
  yv = yolo_overlay_clamp_u8 (yf + self->y_off);
  uv = yolo_overlay_clamp_u8 (uf + 128.0);
  vv = yolo_overlay_clamp_u8 (vf + 128.0);

  for (y = r->y; y < r->y + r->h; y++) {
    guint8 *p = yolo_overlay_comp (frame, 0, r->x, y);
    gint ps = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, 0);
    for (x = 0; x < r->w; x++)
      p[x * ps] = yv;
  }

  for (cy = r->y / hs; cy <= (r->y + r->h - 1) / hs; cy++) {
    gint by0 = cy * hs, by1 = MIN (by0 + hs, height);
    gint oy = MIN (by1, r->y + r->h) - MAX (by0, r->y);
    for (cx = r->x / ws; cx <= (r->x + r->w - 1) / ws; cx++) {
      gint bx0 = cx * ws, bx1 = MIN (bx0 + ws, width);
      gint ox = MIN (bx1, r->x + r->w) - MAX (bx0, r->x);
      gint total = (bx1 - bx0) * (by1 - by0);
      gint cov = ox * oy;
      guint8 *pu = yolo_overlay_comp (frame, 1, cx, cy);
      guint8 *pv = yolo_overlay_comp (frame, 2, cx, cy);
      if (cov >= total) {
        *pu = uv;
        *pv = vv;
      } else {
        *pu = (uv * cov + *pu * (total - cov) + total / 2) / total;
        *pv = (vv * cov + *pv * (total - cov) + total / 2) / total;
      }
    }
  }
}

/* Alpha-blends a premultiplied ARGB32 surface whose origin is at (sx, sy)
 * in frame pixels, (sx, sy) aligned to the chroma subsampling. */
static void
yolo_overlay_blend_yuv (GstYoloOverlay * self, GstVideoFrame * frame,
    cairo_surface_t * surf, gint sx, gint sy)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  gint ws = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
  gint hs = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
  const guint8 *data = cairo_image_surface_get_data (surf);
  gint sstride = cairo_image_surface_get_stride (surf);
  gint sw = cairo_image_surface_get_width (surf);
  gint sh = cairo_image_surface_get_height (surf);
  gint ex = MIN (sx + sw, width), ey = MIN (sy + sh, height);
  gint x, y, cx, cy;

  /* luma */
  for (y = sy; y < ey; y++) {
    const guint32 *s = (const guint32 *) (data + (y - sy) * sstride);
    for (x = sx; x < ex; x++) {
      guint32 p = s[x - sx];
      guint a = p >> 24;
      gdouble yf, uf, vf;
      guint8 *d;
      if (a == 0)
        continue;
      yolo_overlay_rgb_to_yuv (self, (p >> 16) & 0xff, (p >> 8) & 0xff,
          p & 0xff, &yf, &uf, &vf);
      d = yolo_overlay_comp (frame, 0, x, y);
      *d = yolo_overlay_clamp_u8 (yf + self->y_off * a / 255.0 +
          *d * (255 - a) / 255.0);
    }
  }

  /* chroma: premultiplied colours are linear, so average them per sample */
  for (cy = sy / hs; cy * hs < ey; cy++) {
    gint by1 = MIN (cy * hs + hs, ey);
    for (cx = sx / ws; cx * ws < ex; cx++) {
      gint bx1 = MIN (cx * ws + ws, ex);
      gdouble su = 0.0, sv = 0.0, sa = 0.0;
      gint n = 0;
      guint8 *pu, *pv;
      for (y = cy * hs; y < by1; y++) {
        const guint32 *s = (const guint32 *) (data + (y - sy) * sstride);
        for (x = cx * ws; x < bx1; x++) {
          guint32 p = s[x - sx];
          guint a = p >> 24;
          n++;
          if (a != 0) {
            gdouble yf, uf, vf;
            yolo_overlay_rgb_to_yuv (self, (p >> 16) & 0xff,
                (p >> 8) & 0xff, p & 0xff, &yf, &uf, &vf);
            su += uf;
            sv += vf;
            sa += a / 255.0;
          }
        }
      }
      if (sa == 0.0)
        continue;
      pu = yolo_overlay_comp (frame, 1, cx, cy);
      pv = yolo_overlay_comp (frame, 2, cx, cy);
      *pu = yolo_overlay_clamp_u8 ((su + 128.0 * sa + *pu * (n - sa)) / n);
      *pv = yolo_overlay_clamp_u8 ((sv + 128.0 * sa + *pv * (n - sa)) / n);
    }
  }
}

static void
yolo_overlay_draw_yuv (GstYoloOverlay * self, GstVideoFrame * frame,
    const YoloOverlayRoi * d)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint ws = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
  gint hs = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
  YoloRect e[4];
  guint i, n;
  gint sx, sy, sw, sh;
  cairo_surface_t *surf;
  cairo_t *cr;

  n = d->no_box ? 0 : yolo_overlay_edges (d, e);
  for (i = 0; i < n; i++)
    yolo_overlay_fill_yuv (self, frame, &e[i], d->r, d->g, d->b);

  if (!d->has_tag)
    return;

  /* scratch covering the tag, grown to whole chroma samples */
  sx = d->tx - d->tx % ws;
  sy = d->ty - d->ty % hs;
  sw = d->tx + d->tw - sx;
  sh = d->ty + d->th - sy;
  sw += (ws - sw % ws) % ws;
  sh += (hs - sh % hs) % hs;

  surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sw, sh);
  if (cairo_surface_status (surf) != CAIRO_STATUS_SUCCESS) {
    GST_WARNING_OBJECT (self, "cannot allocate %dx%d scratch surface", sw, sh);
    cairo_surface_destroy (surf);
    return;
  }
  cr = cairo_create (surf);
  cairo_translate (cr, -sx, -sy);
  yolo_overlay_draw_tag (self, cr, d, FALSE);
  cairo_destroy (cr);
  cairo_surface_flush (surf);

  yolo_overlay_blend_yuv (self, frame, surf, sx, sy);
  cairo_surface_destroy (surf);
}

/* ---- task extras: masks, keypoints, rotated boxes ---- */

static void
yolo_overlay_extras_clear (YoloOverlayExtras * x)
{
  if (x->mask)
    g_bytes_unref (x->mask);
  g_free (x->kp);
  if (x->pairs)
    g_array_unref (x->pairs);
  memset (x, 0, sizeof (*x));
}

static gint
yolo_overlay_string_index (const GValue * arr, const gchar * name)
{
  for (guint i = 0; i < gst_value_array_get_size (arr); i++) {
    const GValue *v = gst_value_array_get_value (arr, i);
    if (G_VALUE_HOLDS_STRING (v) && g_strcmp0 (g_value_get_string (v),
            name) == 0)
      return (gint) i;
  }
  return -1;
}

static void
yolo_overlay_grow (YoloOverlayExtras * x, gdouble x0, gdouble y0, gdouble x1,
    gdouble y1)
{
  gint a, b, c, e;

  /* coordinates from upstream metas: NaN, inf or beyond gint */
  if (!isfinite (x0) || !isfinite (y0) || !isfinite (x1) || !isfinite (y1))
    return;
  a = (gint) floor (CLAMP (x0, -1e9, 1e9));
  b = (gint) floor (CLAMP (y0, -1e9, 1e9));
  c = (gint) ceil (CLAMP (x1, -1e9, 1e9));
  e = (gint) ceil (CLAMP (y1, -1e9, 1e9));
  if (x->bx1 <= x->bx0 || x->by1 <= x->by0) {
    x->bx0 = a;
    x->by0 = b;
    x->bx1 = c;
    x->by1 = e;
    return;
  }
  x->bx0 = MIN (x->bx0, a);
  x->by0 = MIN (x->by0, b);
  x->bx1 = MAX (x->bx1, c);
  x->by1 = MAX (x->by1, e);
}

/* Reads the extras of roi; FALSE when it has none. */
static gboolean
yolo_overlay_get_extras (GstBuffer * buf, GstVideoRegionOfInterestMeta * roi,
    gint width, gint height, guint thickness, YoloOverlayExtras * x)
{
  GstStructure *det = gst_yolo_meta_find_params (buf, roi), *ks;
  gdouble rb[5], r, m = thickness + 4.0;

  memset (x, 0, sizeof (*x));
  /* over the ROI rectangle: resampled to it after a videoscale */
  x->mask = gst_yolo_meta_get_roi_mask (buf, roi, width, height, &x->mw,
      &x->mh);
  if (x->mask) {
    x->mx = roi->x;
    x->my = roi->y;
    yolo_overlay_grow (x, x->mx, x->my, x->mx + x->mw, x->my + x->mh);
  }
  x->kp = gst_yolo_meta_get_keypoints (buf, roi, width, height, &x->n_kp);
  /* a point at NaN or inf is not drawn (cairo would stop drawing at all) */
  for (guint i = 0; x->kp && i < x->n_kp; i++)
    if (!isfinite (x->kp[3 * i]) || !isfinite (x->kp[3 * i + 1]))
      x->kp[3 * i + 2] = -1.0f;
  ks = gst_yolo_meta_find_named_params (buf, roi,
      GST_YOLO_KEYPOINTS_STRUCTURE_NAME);
  if (x->kp && ks) {
    const GValue *names = gst_structure_get_value (ks, "point_names");
    const GValue *conn = gst_structure_get_value (ks, "point_connections");
    for (guint i = 0; i < x->n_kp; i++)
      if (x->kp[3 * i + 2] >= KPT_MIN_CONFIDENCE)
        yolo_overlay_grow (x, x->kp[3 * i] - m, x->kp[3 * i + 1] - m,
            x->kp[3 * i] + m, x->kp[3 * i + 1] + m);
    x->pairs = g_array_new (FALSE, FALSE, sizeof (guint));
    if (names && conn && GST_VALUE_HOLDS_ARRAY (names)
        && GST_VALUE_HOLDS_ARRAY (conn)) {
      for (guint i = 0; i + 1 < gst_value_array_get_size (conn); i += 2) {
        const GValue *a = gst_value_array_get_value (conn, i);
        const GValue *b = gst_value_array_get_value (conn, i + 1);
        gint ia, ib;
        if (!G_VALUE_HOLDS_STRING (a) || !G_VALUE_HOLDS_STRING (b))
          continue;
        ia = yolo_overlay_string_index (names, g_value_get_string (a));
        ib = yolo_overlay_string_index (names, g_value_get_string (b));
        if (ia >= 0 && ib >= 0 && (guint) ia < x->n_kp && (guint) ib < x->n_kp) {
          guint p[2] = { ia, ib };
          g_array_append_vals (x->pairs, p, 2);
        }
      }
    }
  }
  /* in this frame's pixels (scaled after a videoscale) */
  if (gst_yolo_meta_get_rotated_box (det, width, height, rb)
      && isfinite (r = rb[4]) && isfinite (rb[0]) && isfinite (rb[1])
      && isfinite (rb[2]) && isfinite (rb[3])) {
    gdouble v1x = rb[2] / 2 * cos (r), v1y = rb[2] / 2 * sin (r);
    gdouble v2x = -rb[3] / 2 * sin (r), v2y = rb[3] / 2 * cos (r);
    gdouble sx[4] = { 1, 1, -1, -1 }, sy[4] = { 1, -1, -1, 1 };
    x->rotated = TRUE;
    for (guint i = 0; i < 4; i++) {
      x->corners[2 * i] = rb[0] + sx[i] * v1x + sy[i] * v2x;
      x->corners[2 * i + 1] = rb[1] + sx[i] * v1y + sy[i] * v2y;
      yolo_overlay_grow (x, x->corners[2 * i] - m, x->corners[2 * i + 1] - m,
          x->corners[2 * i] + m, x->corners[2 * i + 1] + m);
    }
  }
  x->bx0 = CLAMP (x->bx0, 0, width);
  x->by0 = CLAMP (x->by0, 0, height);
  x->bx1 = CLAMP (x->bx1, 0, width);
  x->by1 = CLAMP (x->by1, 0, height);
  if (x->bx1 <= x->bx0 || x->by1 <= x->by0) {
    yolo_overlay_extras_clear (x);
    return FALSE;
  }
  return TRUE;
}

/* Draws the extras with cairo in frame coordinates: the mask blended at
 * half opacity, the rotated box outline, the skeleton and the keypoints,
 * in the class colour. */
static void
yolo_overlay_draw_extras (const YoloOverlayExtras * x, cairo_t * cr,
    const YoloOverlayRoi * d, gboolean swap_rb, guint thickness)
{
  guint8 r = swap_rb ? d->b : d->r, b = swap_rb ? d->r : d->b;

  if (x->mask && x->mw > 0 && x->mh > 0) {
    cairo_surface_t *ms = cairo_image_surface_create (CAIRO_FORMAT_ARGB32,
        x->mw, x->mh);
    if (cairo_surface_status (ms) == CAIRO_STATUS_SUCCESS) {
      const guint8 *m = g_bytes_get_data (x->mask, NULL);
      guint8 *dst = cairo_image_surface_get_data (ms);
      gint stride = cairo_image_surface_get_stride (ms);
      /* premultiplied, alpha 1/2 */
      guint32 px = (128u << 24) | ((r / 2u) << 16) | ((d->g / 2u) << 8) |
          (b / 2u);
      cairo_surface_flush (ms);
      for (guint j = 0; j < x->mh; j++) {
        guint32 *row = (guint32 *) (dst + (gsize) j * stride);
        for (guint i = 0; i < x->mw; i++)
          row[i] = m[(gsize) j * x->mw + i] ? px : 0;
      }
      cairo_surface_mark_dirty (ms);
      cairo_save (cr);
      cairo_set_source_surface (cr, ms, x->mx, x->my);
      cairo_paint (cr);
      cairo_restore (cr);
    }
    cairo_surface_destroy (ms);
  }
  cairo_save (cr);
  cairo_set_antialias (cr, CAIRO_ANTIALIAS_DEFAULT);
  cairo_set_source_rgb (cr, r / 255.0, d->g / 255.0, b / 255.0);
  cairo_set_line_width (cr, MAX (thickness, 1));
  if (x->rotated) {
    cairo_move_to (cr, x->corners[0], x->corners[1]);
    for (guint i = 1; i < 4; i++)
      cairo_line_to (cr, x->corners[2 * i], x->corners[2 * i + 1]);
    cairo_close_path (cr);
    cairo_stroke (cr);
  }
  if (x->kp) {
    for (guint i = 0; x->pairs && i + 1 < x->pairs->len; i += 2) {
      guint a = g_array_index (x->pairs, guint, i);
      guint c = g_array_index (x->pairs, guint, i + 1);
      if (x->kp[3 * a + 2] < KPT_MIN_CONFIDENCE
          || x->kp[3 * c + 2] < KPT_MIN_CONFIDENCE)
        continue;
      cairo_move_to (cr, x->kp[3 * a], x->kp[3 * a + 1]);
      cairo_line_to (cr, x->kp[3 * c], x->kp[3 * c + 1]);
      cairo_stroke (cr);
    }
    for (guint i = 0; i < x->n_kp; i++) {
      if (x->kp[3 * i + 2] < KPT_MIN_CONFIDENCE)
        continue;
      cairo_new_sub_path (cr);
      cairo_arc (cr, x->kp[3 * i], x->kp[3 * i + 1], thickness + 2.0, 0,
          2 * G_PI);
      cairo_fill (cr);
    }
  }
  cairo_restore (cr);
}

/* YUV: the extras into an ARGB scratch, blended into the planes */
static void
yolo_overlay_draw_extras_yuv (GstYoloOverlay * self, GstVideoFrame * frame,
    const YoloOverlayExtras * x, const YoloOverlayRoi * d, guint thickness)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  gint ws = 1 << GST_VIDEO_FORMAT_INFO_W_SUB (finfo, 1);
  gint hs = 1 << GST_VIDEO_FORMAT_INFO_H_SUB (finfo, 1);
  gint sx = x->bx0 - x->bx0 % ws, sy = x->by0 - x->by0 % hs;
  gint sw = x->bx1 - sx, sh = x->by1 - sy;
  cairo_surface_t *surf;
  cairo_t *cr;

  sw += (ws - sw % ws) % ws;
  sh += (hs - sh % hs) % hs;
  surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sw, sh);
  if (cairo_surface_status (surf) != CAIRO_STATUS_SUCCESS) {
    GST_WARNING_OBJECT (self, "cannot allocate %dx%d scratch surface", sw, sh);
    cairo_surface_destroy (surf);
    return;
  }
  cr = cairo_create (surf);
  cairo_translate (cr, -sx, -sy);
  yolo_overlay_draw_extras (x, cr, d, FALSE, thickness);
  cairo_destroy (cr);
  cairo_surface_flush (surf);
  yolo_overlay_blend_yuv (self, frame, surf, sx, sy);
  cairo_surface_destroy (surf);
}

static GstFlowReturn
gst_yolo_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstYoloOverlay *self = GST_YOLO_OVERLAY (filter);
  gint width = GST_VIDEO_FRAME_WIDTH (frame);
  gint height = GST_VIDEO_FRAME_HEIGHT (frame);
  GstVideoRegionOfInterestMeta *roi;
  gpointer state = NULL;
  guint thickness;
  gboolean show_labels, show_confidence;
  cairo_surface_t *surf = NULL;
  cairo_t *cr = NULL;
  guint count = 0;
  gchar *font_clamped = NULL;

  if (gst_buffer_get_n_meta (frame->buffer,
          GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE) == 0)
    return GST_FLOW_OK;

  if (self->layout == NULL) {
    GST_ELEMENT_ERROR (self, CORE, STATE_CHANGE, (NULL),
        ("transform called before start"));
    return GST_FLOW_ERROR;
  }

  GST_OBJECT_LOCK (self);
  thickness = self->thickness;
  show_labels = self->show_labels;
  show_confidence = self->show_confidence;
  if (self->font_dirty) {
    PangoFontDescription *desc = pango_font_description_from_string
        (self->font);
    if (pango_font_description_get_size (desc) > MAX_FONT_SIZE * PANGO_SCALE) {
      font_clamped = g_strdup (self->font);
      if (pango_font_description_get_size_is_absolute (desc))
        pango_font_description_set_absolute_size (desc,
            MAX_FONT_SIZE * PANGO_SCALE);
      else
        pango_font_description_set_size (desc, MAX_FONT_SIZE * PANGO_SCALE);
    }
    pango_layout_set_font_description (self->layout, desc);
    pango_font_description_free (desc);
    self->font_dirty = FALSE;
  }
  GST_OBJECT_UNLOCK (self);
  if (font_clamped) {
    GST_ELEMENT_WARNING (self, LIBRARY, SETTINGS,
        ("font '%s' is larger than %d: drawn at %d", font_clamped,
            MAX_FONT_SIZE, MAX_FONT_SIZE), (NULL));
    g_free (font_clamped);
  }

  if (!self->is_yuv) {
    surf = cairo_image_surface_create_for_data (GST_VIDEO_FRAME_PLANE_DATA
        (frame, 0), self->cairo_format, width, height,
        GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
    if (cairo_surface_status (surf) != CAIRO_STATUS_SUCCESS) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, (NULL),
          ("cannot wrap frame in a cairo surface: %s",
              cairo_status_to_string (cairo_surface_status (surf))));
      cairo_surface_destroy (surf);
      return GST_FLOW_ERROR;
    }
    cr = cairo_create (surf);
  }

  while ((roi = (GstVideoRegionOfInterestMeta *)
          gst_buffer_iterate_meta_filtered (frame->buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    YoloOverlayRoi d;
    YoloOverlayExtras x;

    if (!yolo_overlay_layout_roi (self, frame->buffer, roi, width, height,
            thickness, show_labels, show_confidence, &d))
      continue;
    /* masks, skeletons and rotated boxes under the tags */
    if (yolo_overlay_get_extras (frame->buffer, roi, width, height, thickness,
            &x)) {
      if (cr != NULL)
        yolo_overlay_draw_extras (&x, cr, &d, self->swap_rb, thickness);
      else
        yolo_overlay_draw_extras_yuv (self, frame, &x, &d, thickness);
      yolo_overlay_extras_clear (&x);
    }
    if (cr != NULL)
      yolo_overlay_draw_rgb (self, frame, cr, &d);
    else
      yolo_overlay_draw_yuv (self, frame, &d);
    count++;
  }

  if (cr != NULL) {
    cairo_destroy (cr);
    cairo_surface_flush (surf);
    cairo_surface_destroy (surf);
  }

  GST_LOG_OBJECT (self, "drew %u regions", count);
  return GST_FLOW_OK;
}
