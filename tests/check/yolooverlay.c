/* gst-yolo: yolooverlay unit tests
 *
 * Buffers and ROI metas are made here, so the tests need neither yolodetect
 * nor a model. The element is registered statically from the sources
 * compiled into this program.
 */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <math.h>

#include "gstyolooverlay.h"
#include "gstyolometa.h"

#define W 320
#define H 240

/* background: a colour that is not in the palette, nor black/white */
#define BG_R 0x20
#define BG_G 0x60
#define BG_B 0xA0
#define BG_Y 90
#define BG_U 140
#define BG_V 100

/* palette[0] (label_id 0), see gstyolooverlay.c */
#define C0_R 0xFF
#define C0_G 0x38
#define C0_B 0x38

static const guint32 palette[] = {
  0xFF3838, 0xFF9D97, 0xFF701F, 0xFFB21D, 0xCFD231, 0x48F90A, 0x92CC17,
  0x3DDB86, 0x1A9334, 0x00D4BB, 0x2C99A8, 0x00C2FF, 0x344593, 0x6473FF,
  0x0018EC, 0x8438FF, 0x520085, 0xCB38FF, 0xFF95C8, 0xFF37C7,
};

typedef struct
{
  guint8 r, g, b;
} Rgb;

static const gchar *rgb_formats[] = { "BGRx", "BGRA", "RGBx", "RGBA" };
static const gchar *yuv_formats[] = { "NV12", "I420", "NV21", "YV12" };

static gchar *
caps_str (const gchar * format)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,"
      "framerate=30/1,colorimetry=bt601", format, W, H);
}

static GstBuffer *
make_frame (const gchar * format)
{
  GstVideoInfo info;
  GstVideoFrame frame;
  GstBuffer *buf;
  GstMapInfo map;
  guint c, x, y;

  gst_video_info_set_format (&info, gst_video_format_from_string (format), W,
      H);
  info.colorimetry.matrix = GST_VIDEO_COLOR_MATRIX_BT601;
  buf = gst_buffer_new_allocate (NULL, info.size, NULL);
  gst_buffer_map (buf, &map, GST_MAP_WRITE);
  memset (map.data, 0xff, map.size);
  gst_buffer_unmap (buf, &map);

  fail_unless (gst_video_frame_map (&frame, &info, buf, GST_MAP_WRITE));
  for (c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&frame); c++) {
    guint8 v;
    if (GST_VIDEO_INFO_IS_YUV (&info))
      v = c == 0 ? BG_Y : (c == 1 ? BG_U : BG_V);
    else if (c == GST_VIDEO_COMP_R)
      v = BG_R;
    else if (c == GST_VIDEO_COMP_G)
      v = BG_G;
    else if (c == GST_VIDEO_COMP_B)
      v = BG_B;
    else
      v = 255;
    for (y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&frame, c); y++)
      for (x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&frame, c); x++)
        ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (&frame, c))[y *
            GST_VIDEO_FRAME_COMP_STRIDE (&frame, c) +
            x * GST_VIDEO_FRAME_COMP_PSTRIDE (&frame, c)] = v;
  }
  gst_video_frame_unmap (&frame);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

static GstVideoRegionOfInterestMeta *
add_detection (GstBuffer * buf, const gchar * label, gint label_id,
    gdouble conf, guint x, guint y, guint w, guint h)
{
  GstVideoRegionOfInterestMeta *roi;

  roi = gst_buffer_add_video_region_of_interest_meta (buf, label, x, y, w, h);
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection", "label", G_TYPE_STRING, label,
          "label_id", G_TYPE_INT, label_id,
          "confidence", G_TYPE_DOUBLE, conf,
          "x_min", G_TYPE_DOUBLE, (gdouble) x / W,
          "y_min", G_TYPE_DOUBLE, (gdouble) y / H,
          "x_max", G_TYPE_DOUBLE, (gdouble) (x + w) / W,
          "y_max", G_TYPE_DOUBLE, (gdouble) (y + h) / H, NULL));
  return roi;
}

static guint8
comp_at (GstVideoFrame * f, gint c, gint x, gint y)
{
  return ((guint8 *) GST_VIDEO_FRAME_COMP_DATA (f, c))[y *
      GST_VIDEO_FRAME_COMP_STRIDE (f, c) + x * GST_VIDEO_FRAME_COMP_PSTRIDE (f,
          c)];
}

static Rgb
rgb_at (GstVideoFrame * f, gint x, gint y)
{
  Rgb p;
  p.r = comp_at (f, GST_VIDEO_COMP_R, x, y);
  p.g = comp_at (f, GST_VIDEO_COMP_G, x, y);
  p.b = comp_at (f, GST_VIDEO_COMP_B, x, y);
  return p;
}

static gboolean
rgb_is (GstVideoFrame * f, gint x, gint y, guint8 r, guint8 g, guint8 b)
{
  Rgb p = rgb_at (f, x, y);
  if (p.r == r && p.g == g && p.b == b)
    return TRUE;
  GST_INFO ("pixel (%d,%d) = %02x%02x%02x, expected %02x%02x%02x", x, y,
      p.r, p.g, p.b, r, g, b);
  return FALSE;
}

#define assert_rgb(f, x, y, er, eg, eb) \
  fail_unless (rgb_is (f, x, y, er, eg, eb), \
      "pixel (%d,%d) = %06x, expected %06x", x, y, \
      (rgb_at (f, x, y).r << 16) | (rgb_at (f, x, y).g << 8) | \
      rgb_at (f, x, y).b, ((er) << 16) | ((eg) << 8) | (eb))
#define assert_bg(f, x, y) assert_rgb (f, x, y, BG_R, BG_G, BG_B)
#define assert_c0(f, x, y) assert_rgb (f, x, y, C0_R, C0_G, C0_B)

#define assert_near(v, e) fail_unless (ABS ((gint) (v) - (e)) <= 2, \
    "%s: got %d expected %d", #v, (gint) (v), (e))

/* BT.601 limited range, the caps' colorimetry */
static void
rgb_to_yuv (guint8 r, guint8 g, guint8 b, gint * y, gint * u, gint * v)
{
  gdouble kr = 0.299, kb = 0.114, kg = 1.0 - kr - kb;
  gdouble yf = (kr * r + kg * g + kb * b) / 255.0;
  *y = (gint) (16 + 219 * yf + 0.5);
  *u = (gint) (128 + 224 * (b / 255.0 - yf) / (2 * (1 - kb)) + 0.5);
  *v = (gint) (128 + 224 * (r / 255.0 - yf) / (2 * (1 - kr)) + 0.5);
}

static void
out_info (GstHarness * h, GstVideoInfo * info)
{
  GstCaps *caps = gst_pad_get_current_caps (h->sinkpad);

  fail_unless (caps != NULL);
  fail_unless (gst_video_info_from_caps (info, caps));
  gst_caps_unref (caps);
}

static GstHarness *
overlay_harness (const gchar * format, const gchar * props)
{
  gchar *launch = g_strdup_printf ("yolooverlay %s", props ? props : "");
  GstHarness *h = gst_harness_new_parse (launch);
  gchar *caps = caps_str (format);

  gst_harness_set_src_caps_str (h, caps);
  g_free (caps);
  g_free (launch);
  return h;
}

/* counts pixels in [x0,x1)x[y0,y1) near @c (RGB formats) */
static guint
count_rgb (GstVideoFrame * f, gint x0, gint y0, gint x1, gint y1,
    guint8 r, guint8 g, guint8 b, gint tol)
{
  guint n = 0;
  gint x, y;
  for (y = MAX (y0, 0); y < MIN (y1, H); y++)
    for (x = MAX (x0, 0); x < MIN (x1, W); x++) {
      Rgb p = rgb_at (f, x, y);
      if (ABS (p.r - r) <= tol && ABS (p.g - g) <= tol && ABS (p.b - b) <= tol)
        n++;
    }
  return n;
}

/* first row (from the top) above @y where column @x has colour c0, scanning
 * upward from @y - 1: returns the top of the tag */
static gint
tag_top (GstVideoFrame * f, gint x, gint y)
{
  while (y > 0 && rgb_is (f, x, y - 1, C0_R, C0_G, C0_B))
    y--;
  return y;
}

/* width of the tag: run of c0 pixels on row @y starting at @x */
static gint
tag_width (GstVideoFrame * f, gint x, gint y)
{
  gint x1 = x;
  while (x1 < W && rgb_is (f, x1, y, C0_R, C0_G, C0_B))
    x1++;
  return x1 - x;
}

/* the standard scene: one "person" (label_id 0) at 50,60 100x120 */
#define BX 50
#define BY 60
#define BW 100
#define BH 120

static void
check_box_rgb (GstVideoFrame * f, gint t)
{
  gint i;

  for (i = 0; i < t; i++) {
    assert_c0 (f, BX + i, BY + BH / 2); /* left */
    assert_c0 (f, BX + BW - 1 - i, BY + BH / 2);        /* right */
    assert_c0 (f, BX + BW / 2, BY + i); /* top */
    assert_c0 (f, BX + BW / 2, BY + BH - 1 - i);        /* bottom */
  }
  assert_bg (f, BX + t, BY + BH / 2);
  assert_bg (f, BX + BW - 1 - t, BY + BH / 2);
  assert_bg (f, BX + BW / 2, BY + t);
  assert_bg (f, BX + BW / 2, BY + BH - 1 - t);
  /* just outside the box */
  assert_bg (f, BX - 1, BY + BH / 2);
  assert_bg (f, BX + BW, BY + BH / 2);
  assert_bg (f, BX + BW / 2, BY + BH);
  /* inside: the whole interior away from the outline is untouched */
  fail_unless_equals_int (count_rgb (f, BX + t, BY + t, BX + BW - t,
          BY + BH - t, BG_R, BG_G, BG_B, 0), (BW - 2 * t) * (BH - 2 * t));
  /* far away */
  assert_bg (f, W - 1, H - 1);
  assert_bg (f, 0, 0);
}

GST_START_TEST (test_rgb_formats)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rgb_formats); i++) {
    GstHarness *h = overlay_harness (rgb_formats[i], NULL);
    GstBuffer *buf = make_frame (rgb_formats[i]);
    GstVideoFrame f;
    GstVideoInfo info;
    gint top, tw, th;
    guint n_tag, n_text;

    GST_INFO ("format %s", rgb_formats[i]);
    add_detection (buf, "person", 0, 0.91, BX, BY, BW, BH);
    buf = gst_harness_push_and_pull (h, buf);
    fail_unless (buf != NULL);
    fail_unless_equals_int (gst_buffer_get_n_meta (buf,
            GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE), 1);

    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    check_box_rgb (&f, 2);

    /* tag: above the box, left-aligned, filled with the class colour */
    top = tag_top (&f, BX, BY);
    th = BY - top;
    fail_unless (th >= 12 && th <= 40, "tag height %d", th);
    tw = tag_width (&f, BX, top);
    fail_unless (tw >= 40 && tw <= BW + 60, "tag width %d", tw);
    n_tag = count_rgb (&f, BX, top, BX + tw, BY, C0_R, C0_G, C0_B, 0);
    n_text = count_rgb (&f, BX, top, BX + tw, BY, 255, 255, 255, 40);
    GST_INFO ("tag %dx%d: %u tag px, %u text px", tw, th, n_tag, n_text);
    fail_unless (n_tag > (guint) (tw * th) / 3);
    fail_unless (n_text >= 20, "only %u text pixels", n_text);
    /* nothing drawn left of the tag or above it */
    assert_bg (&f, BX - 1, top + th / 2);
    assert_bg (&f, BX + 2, top - 1);
    /* alpha formats: drawn pixels are opaque */
    if (GST_VIDEO_INFO_HAS_ALPHA (&info)) {
      fail_unless_equals_int (comp_at (&f, GST_VIDEO_COMP_A, BX, BY + 5), 255);
      fail_unless_equals_int (comp_at (&f, GST_VIDEO_COMP_A, BX + 1, top + 1),
          255);
    }

    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_yuv_formats)
{
  guint i;
  gint cy, cu, cv, wy, wu, wv;

  rgb_to_yuv (C0_R, C0_G, C0_B, &cy, &cu, &cv);
  rgb_to_yuv (255, 255, 255, &wy, &wu, &wv);

  for (i = 0; i < G_N_ELEMENTS (yuv_formats); i++) {
    GstHarness *h = overlay_harness (yuv_formats[i], NULL);
    GstBuffer *buf = make_frame (yuv_formats[i]);
    GstVideoFrame f;
    GstVideoInfo info;
    gint x, y, n_tag = 0, n_text = 0, n_inside = 0;

    GST_INFO ("format %s", yuv_formats[i]);
    add_detection (buf, "person", 0, 0.91, BX, BY, BW, BH);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));

    /* edges (thickness 2 on even coordinates covers whole chroma samples) */
    for (y = 0; y < 2; y++) {
      assert_near (comp_at (&f, 0, BX + y, BY + BH / 2), cy);
      assert_near (comp_at (&f, 0, BX + BW - 1 - y, BY + BH / 2), cy);
      assert_near (comp_at (&f, 0, BX + BW / 2, BY + y), cy);
      assert_near (comp_at (&f, 0, BX + BW / 2, BY + BH - 1 - y), cy);
    }
    assert_near (comp_at (&f, 1, BX / 2, (BY + BH / 2) / 2), cu);
    assert_near (comp_at (&f, 2, BX / 2, (BY + BH / 2) / 2), cv);
    assert_near (comp_at (&f, 1, (BX + BW / 2) / 2, (BY + BH - 1) / 2), cu);
    assert_near (comp_at (&f, 2, (BX + BW / 2) / 2, (BY + BH - 1) / 2), cv);
    /* interior and outside untouched */
    for (y = BY + 2; y < BY + BH - 2; y++)
      for (x = BX + 2; x < BX + BW - 2; x++)
        n_inside += comp_at (&f, 0, x, y) == BG_Y;
    fail_unless_equals_int (n_inside, (BW - 4) * (BH - 4));
    fail_unless_equals_int (comp_at (&f, 1, (BX + 2) / 2, (BY + 10) / 2), BG_U);
    fail_unless_equals_int (comp_at (&f, 2, (BX + 2) / 2, (BY + 10) / 2), BG_V);
    fail_unless_equals_int (comp_at (&f, 0, BX - 1, BY + 10), BG_Y);
    fail_unless_equals_int (comp_at (&f, 0, BX + BW, BY + 10), BG_Y);
    fail_unless_equals_int (comp_at (&f, 0, W - 1, H - 1), BG_Y);
    /* tag above the box: class colour and white text */
    for (y = BY - 12; y < BY; y++)
      for (x = BX; x < BX + 40; x++) {
        gint v = comp_at (&f, 0, x, y);
        n_tag += ABS (v - cy) <= 2;
        n_text += ABS (v - wy) <= 20;
      }
    GST_INFO ("tag: %d tag px, %d text px", n_tag, n_text);
    fail_unless (n_tag > 100);
    fail_unless (n_text >= 10);
    fail_unless_equals_int (comp_at (&f, 0, BX - 1, BY - 5), BG_Y);

    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_yuv_odd_geometry)
{
  /* odd coordinates / thickness: partial chroma coverage blends, no crash
   * at the frame borders */
  GstHarness *h = overlay_harness ("NV12", "thickness=3");
  GstBuffer *buf = make_frame ("NV12");
  GstVideoFrame f;
  GstVideoInfo info;
  gint cy, cu, cv;

  rgb_to_yuv (C0_R, C0_G, C0_B, &cy, &cu, &cv);
  add_detection (buf, "person", 0, 0.5, 31, 41, 77, 55);
  add_detection (buf, "person", 0, 0.5, W - 21, H - 13, 50, 50);
  add_detection (buf, "person", 0, 0.5, 0, 0, W, H);
  buf = gst_harness_push_and_pull (h, buf);
  out_info (h, &info);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
  assert_near (comp_at (&f, 0, 31, 70), cy);
  assert_near (comp_at (&f, 0, 33, 70), cy);
  fail_unless_equals_int (comp_at (&f, 0, 34, 70), BG_Y);
  /* chroma sample (15,35) covers luma x 30..31: half covered */
  assert_near (comp_at (&f, 1, 15, 35), (cu + BG_U + 1) / 2);
  /* clipped box: right and bottom edge on the frame border */
  assert_near (comp_at (&f, 0, W - 1, H / 2), cy);
  assert_near (comp_at (&f, 0, W / 2, H - 1), cy);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* the task structures (gstyolometa.c): a mask blended at half opacity, the
 * skeleton and confident keypoints, a rotated box without its axis-aligned
 * box, a classification without a frame-sized box */
static void
add_task_metas (GstBuffer * buf)
{
  GstYoloDetection det = { 40, 40, 100, 100, 0.9, 0, "person" };
  GstYoloDetection obb = { 25, 160, 95, 200, 0.9, 0, "ship" };
  GstVideoRegionOfInterestMeta *roi;
  guint8 mask[60 * 60];
  gfloat kp[17 * 3] = { 0 };
  gint id = 0;
  gdouble conf = 0.5;
  const gchar *label = "cat";

  roi = gst_yolo_meta_add_detection (buf, W, H, &det);
  for (guint i = 0; i < 60 * 60; i++)
    mask[i] = (i % 60) < 30;    /* the left half */
  gst_yolo_meta_add_mask (buf, roi, 60, 60, mask);

  det.x1 = 150;
  det.y1 = 40;
  det.x2 = 250;
  det.y2 = 140;
  roi = gst_yolo_meta_add_detection (buf, W, H, &det);
  kp[0] = 170;                  /* nose, confident */
  kp[1] = 60;
  kp[2] = 0.9f;
  kp[3] = 230;                  /* eye_l, not confident */
  kp[4] = 60;
  kp[5] = 0.2f;
  kp[15] = 170;                 /* shoulder_l - shoulder_r: a limb */
  kp[16] = 120;
  kp[17] = 0.9f;
  kp[18] = 230;
  kp[19] = 120;
  kp[20] = 0.9f;
  gst_yolo_meta_add_keypoints (buf, roi, W, H, 17, kp);

  gst_yolo_meta_add_rotated_detection (buf, W, H, &obb, 60, 180, 60, 20, 0.3,
      GST_YOLO_OBB_ROI_AXIS_ALIGNED);
  gst_yolo_meta_add_classification (buf, W, H, 1, &id, &conf, &label);
}

GST_START_TEST (test_task_extras)
{
  for (guint i = 0; i < G_N_ELEMENTS (rgb_formats); i++) {
    GstHarness *h = overlay_harness (rgb_formats[i], "show-labels=false");
    GstBuffer *buf = make_frame (rgb_formats[i]);
    GstVideoFrame f;
    GstVideoInfo info;
    Rgb p;
    gdouble ex = 60 + 10 * -sin (0.3), ey = 180 + 10 * cos (0.3);

    add_task_metas (buf);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    /* mask: half-way to the class colour inside, untouched outside */
    p = rgb_at (&f, 55, 70);
    assert_near (p.r, (BG_R + C0_R) / 2);
    assert_near (p.g, (BG_G + C0_G) / 2);
    assert_near (p.b, (BG_B + C0_B) / 2);
    assert_bg (&f, 85, 70);
    /* its box outline is still drawn */
    assert_c0 (&f, 85, 40);
    /* keypoints: the confident ones and the limb between two of them */
    assert_c0 (&f, 170, 60);
    assert_c0 (&f, 200, 120);
    assert_bg (&f, 230, 60);
    assert_bg (&f, 200, 60);
    /* rotated box: its edge drawn, not the corners of its bounding box */
    fail_unless (count_rgb (&f, (gint) ex - 1, (gint) ey - 1, (gint) ex + 2,
            (gint) ey + 2, C0_R, C0_G, C0_B, 40) > 0);
    assert_bg (&f, 26, 161);
    assert_bg (&f, 93, 198);
    assert_bg (&f, 60, 180);
    /* classification: no frame-sized box, the tag is hidden here */
    assert_bg (&f, W / 2, H - 1);
    assert_bg (&f, W - 1, H / 2);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
  {
    /* the classification's tag at the top left */
    GstHarness *h = overlay_harness ("BGRx", NULL);
    GstBuffer *buf = make_frame ("BGRx");
    GstVideoFrame f;
    GstVideoInfo info;
    gint id = 0;
    gdouble conf = 0.5;
    const gchar *label = "cat";

    gst_yolo_meta_add_classification (buf, W, H, 1, &id, &conf, &label);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    fail_unless (count_rgb (&f, 0, 0, 60, 20, C0_R, C0_G, C0_B, 0) > 50);
    assert_bg (&f, W / 2, H - 1);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
  for (guint i = 0; i < G_N_ELEMENTS (yuv_formats); i++) {
    /* YUV: the same through the scratch surface */
    GstHarness *h = overlay_harness (yuv_formats[i], "show-labels=false");
    GstBuffer *buf = make_frame (yuv_formats[i]);
    GstVideoFrame f;
    GstVideoInfo info;
    gint y, u, v;

    add_task_metas (buf);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    rgb_to_yuv (C0_R, C0_G, C0_B, &y, &u, &v);
    assert_near (comp_at (&f, 0, 56, 70), (BG_Y + y) / 2);
    fail_unless_equals_int (comp_at (&f, 0, 86, 70), BG_Y);
    assert_near (comp_at (&f, 0, 170, 60), y);
    fail_unless_equals_int (comp_at (&f, 0, 230, 60), BG_Y);
    fail_unless_equals_int (comp_at (&f, 0, 26, 161), BG_Y);
    fail_unless_equals_int (comp_at (&f, 0, W / 2, H - 1), BG_Y);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

/* What videoscale does to the metas of a 2W x 2H frame scaled to W x H
 * (GstVideoFilter's transform_meta, GStreamer 1.22): the ROI metas get the
 * video "scale" transform (x, y, w, h halved; parameters dropped), the
 * tag-less companion meta is copied as it is; the pixels are out's. */
static GstBuffer *
videoscale_metas (GstBuffer * in, GstBuffer * out)
{
  GstVideoInfo in_info, out_info;
  GstVideoMetaTransform scale = { &in_info, &out_info };
  GstMetaTransformCopy copy = { FALSE, 0, -1 };
  gpointer state = NULL;
  GstMeta *meta;

  gst_video_info_set_format (&in_info, GST_VIDEO_FORMAT_BGRx, 2 * W, 2 * H);
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_BGRx, W, H);
  while ((meta = gst_buffer_iterate_meta (in, &state))) {
    if (meta->info->api == GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)
      fail_unless (meta->info->transform_func (out, meta, in,
              gst_video_meta_transform_scale_get_quark (), &scale));
    else if (meta->info->transform_func)
      fail_unless (meta->info->transform_func (out, meta, in,
              _gst_meta_transform_copy, &copy));
  }
  gst_buffer_unref (in);
  return out;
}

/* detections made on a frame twice the size, then a videoscale: the mask
 * covers the scaled ROI (was drawn at its own 120x120 size, over twice the
 * box) and the rotated box is drawn in this frame's pixels (was at twice
 * its coordinates, outside the frame) */
GST_START_TEST (test_extras_after_videoscale)
{
  GstHarness *h = overlay_harness ("BGRx", "show-labels=false");
  GstBuffer *big = gst_buffer_new ();
  GstBuffer *buf;
  GstYoloDetection det = { 80, 80, 200, 200, 0.9, 0, "person" };
  GstYoloDetection obb = { 50, 320, 190, 400, 0.9, 0, "ship" };
  GstVideoRegionOfInterestMeta *roi;
  GstVideoFrame f;
  GstVideoInfo info;
  Rgb p;
  guint8 *mask = g_malloc (120 * 120);
  gdouble ex = 60 + 10 * -sin (0.3), ey = 180 + 10 * cos (0.3);

  roi = gst_yolo_meta_add_detection (big, 2 * W, 2 * H, &det);
  for (guint i = 0; i < 120 * 120; i++)
    mask[i] = (i % 120) < 60;   /* the left half */
  gst_yolo_meta_add_mask (big, roi, 120, 120, mask);
  g_free (mask);
  gst_yolo_meta_add_rotated_detection (big, 2 * W, 2 * H, &obb, 120, 360,
      120, 40, 0.3, GST_YOLO_OBB_ROI_AXIS_ALIGNED);
  buf = videoscale_metas (big, make_frame ("BGRx"));
  buf = gst_harness_push_and_pull (h, buf);
  out_info (h, &info);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
  /* the mask's left half over the ROI 40..100, nothing right of it */
  p = rgb_at (&f, 55, 70);
  assert_near (p.r, (BG_R + C0_R) / 2);
  assert_near (p.g, (BG_G + C0_G) / 2);
  assert_near (p.b, (BG_B + C0_B) / 2);
  assert_bg (&f, 85, 70);
  assert_bg (&f, 110, 120);
  /* the rotated box's edge where it is on this frame */
  fail_unless (count_rgb (&f, (gint) ex - 1, (gint) ey - 1, (gint) ex + 2,
          (gint) ey + 2, C0_R, C0_G, C0_B, 40) > 0);
  assert_bg (&f, 60, 180);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

/* An oriented box is drawn the same whichever ROI rectangle yolodetect's
 * obb-roi gave it (the unrotated box, DL Streamer's, or the bounding box):
 * the rotated box, its label tag over its bounding box; also after a
 * videoscale and on a box across the frame's edge. */
static GstBuffer *
draw_obb (GstYoloObbRoi mode, gboolean scaled, gdouble cx)
{
  GstHarness *h = overlay_harness ("BGRx", "show-confidence=true");
  gint k = scaled ? 2 : 1;
  gdouble r = 0.5, bw = 120, bh = 40;
  gdouble ex = bw / 2 * cos (r) + bh / 2 * sin (r);
  gdouble ey = bw / 2 * sin (r) + bh / 2 * cos (r);
  GstYoloDetection obb = { MAX (k * (cx - ex), 0), k * (150 - ey),
    k * (cx + ex), k * (150 + ey), 0.9, 0, "ship"
  };
  GstBuffer *buf = scaled ? gst_buffer_new () : make_frame ("BGRx");

  gst_yolo_meta_add_rotated_detection (buf, k * W, k * H, &obb, k * cx,
      k * 150, k * bw, k * bh, r, mode);
  if (scaled)
    buf = videoscale_metas (buf, make_frame ("BGRx"));
  buf = gst_harness_push_and_pull (h, buf);
  gst_harness_teardown (h);
  return buf;
}

/* x and y hold the same bytes (the same frame drawn). */
static void
assert_same_bytes (GstBuffer * x, GstBuffer * y)
{
  GstMapInfo mx, my;

  fail_unless (gst_buffer_map (x, &mx, GST_MAP_READ));
  fail_unless (gst_buffer_map (y, &my, GST_MAP_READ));
  fail_unless_equals_int (mx.size, my.size);
  fail_unless (memcmp (mx.data, my.data, mx.size) == 0);
  gst_buffer_unmap (x, &mx);
  gst_buffer_unmap (y, &my);
}

GST_START_TEST (test_obb_roi_modes)
{
  for (guint i = 0; i < 4; i++) {
    gboolean scaled = i & 1;
    gdouble cx = i < 2 ? 160 : 30;
    GstBuffer *o = draw_obb (GST_YOLO_OBB_ROI_ORIENTED, scaled, cx);
    GstBuffer *a = draw_obb (GST_YOLO_OBB_ROI_AXIS_ALIGNED, scaled, cx);
    GstMapInfo mo, ma;
    guint n = 0;

    fail_unless (gst_buffer_map (o, &mo, GST_MAP_READ));
    fail_unless (gst_buffer_map (a, &ma, GST_MAP_READ));
    fail_unless_equals_int (mo.size, ma.size);
    fail_unless (memcmp (mo.data, ma.data, mo.size) == 0, "case %u", i);
    /* and something was drawn: the box outline and the tag */
    for (gsize j = 0; j < mo.size; j += 4)
      n += mo.data[j] != BG_B || mo.data[j + 1] != BG_G
          || mo.data[j + 2] != BG_R;
    fail_unless (n > 500, "case %u: %u pixels drawn", i, n);
    gst_buffer_unmap (o, &mo);
    gst_buffer_unmap (a, &ma);
    gst_buffer_unref (o);
    gst_buffer_unref (a);
  }
}

GST_END_TEST;

/* An oriented box from another producer, as DL Streamer's gvadetect writes
 * it: a plain ROI meta of the unrotated box with a "detection" structure
 * (x_min.. normalised, "rotation") and none of our rotated_* fields. It is
 * drawn like ours (was: no outline at all, the rotation hid the box and
 * no rotated box was read). With a "rotation" but no x_min.. the ROI
 * rectangle is drawn. */
static GstBuffer *
draw_foreign_obb (gboolean with_box)
{
  GstHarness *h = overlay_harness ("BGRx", "show-confidence=true");
  GstBuffer *buf = make_frame ("BGRx");
  GstVideoRegionOfInterestMeta *roi;
  GstStructure *s;

  /* the rotated box 160, 150, 120 x 40, 0.5 rad of draw_obb () */
  roi = gst_buffer_add_video_region_of_interest_meta (buf, "ship", 100, 130,
      120, 40);
  s = gst_structure_new (GST_YOLO_DETECTION_STRUCTURE_NAME, "label",
      G_TYPE_STRING, "ship", "label_id", G_TYPE_INT, 0, "confidence",
      G_TYPE_DOUBLE, 0.9, "rotation", G_TYPE_DOUBLE, 0.5, NULL);
  if (with_box)
    gst_structure_set (s, "x_min", G_TYPE_DOUBLE, 100.0 / W, "y_min",
        G_TYPE_DOUBLE, 130.0 / H, "x_max", G_TYPE_DOUBLE, 220.0 / W,
        "y_max", G_TYPE_DOUBLE, 170.0 / H, NULL);
  gst_video_region_of_interest_meta_add_param (roi, s);
  buf = gst_harness_push_and_pull (h, buf);
  gst_harness_teardown (h);
  return buf;
}

GST_START_TEST (test_foreign_obb)
{
  GstBuffer *o = draw_obb (GST_YOLO_OBB_ROI_ORIENTED, FALSE, 160);
  GstBuffer *f = draw_foreign_obb (TRUE);
  GstVideoFrame vf;
  GstVideoInfo info;

  assert_same_bytes (o, f);
  gst_buffer_unref (o);
  gst_buffer_unref (f);

  /* no x_min..: the ROI rectangle's outline (its left edge, mid-height) */
  f = draw_foreign_obb (FALSE);
  gst_video_info_set_format (&info, GST_VIDEO_FORMAT_BGRx, W, H);
  fail_unless (gst_video_frame_map (&vf, &info, f, GST_MAP_READ));
  assert_c0 (&vf, 100, 160);
  gst_video_frame_unmap (&vf);
  gst_buffer_unref (f);
}

GST_END_TEST;

GST_START_TEST (test_show_labels_false)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (rgb_formats); i++) {
    GstHarness *h = overlay_harness (rgb_formats[i], "show-labels=false");
    GstBuffer *buf = make_frame (rgb_formats[i]);
    GstVideoFrame f;
    GstVideoInfo info;

    add_detection (buf, "person", 0, 0.91, BX, BY, BW, BH);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    check_box_rgb (&f, 2);
    /* nothing at all above the box */
    fail_unless_equals_int (count_rgb (&f, 0, 0, W, BY, BG_R, BG_G, BG_B, 0),
        W * BY);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
  }
}

GST_END_TEST;

GST_START_TEST (test_thickness)
{
  guint t[] = { 1, 5, 9 };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (t); i++) {
    gchar *props = g_strdup_printf ("thickness=%u show-labels=false", t[i]);
    GstHarness *h = overlay_harness ("BGRx", props);
    GstBuffer *buf = make_frame ("BGRx");
    GstVideoFrame f;
    GstVideoInfo info;

    add_detection (buf, "person", 0, 0.91, BX, BY, BW, BH);
    buf = gst_harness_push_and_pull (h, buf);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));
    check_box_rgb (&f, t[i]);
    gst_video_frame_unmap (&f);
    gst_buffer_unref (buf);
    gst_harness_teardown (h);
    g_free (props);
  }
}

GST_END_TEST;

GST_START_TEST (test_show_confidence)
{
  GstHarness *h1 = overlay_harness ("RGBx", NULL);
  GstHarness *h2 = overlay_harness ("RGBx", "show-confidence=false");
  GstBuffer *b1 = make_frame ("RGBx"), *b2 = make_frame ("RGBx");
  GstVideoFrame f1, f2;
  GstVideoInfo info;
  gint w1, w2;

  add_detection (b1, "person", 0, 0.91, BX, BY, BW, BH);
  add_detection (b2, "person", 0, 0.91, BX, BY, BW, BH);
  b1 = gst_harness_push_and_pull (h1, b1);
  b2 = gst_harness_push_and_pull (h2, b2);
  out_info (h1, &info);
  fail_unless (gst_video_frame_map (&f1, &info, b1, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&f2, &info, b2, GST_MAP_READ));
  w1 = tag_width (&f1, BX, tag_top (&f1, BX, BY));
  w2 = tag_width (&f2, BX, tag_top (&f2, BX, BY));
  GST_INFO ("tag width with confidence %d, without %d", w1, w2);
  fail_unless (w2 >= 20);
  fail_unless (w1 > w2 + 15, "%d vs %d", w1, w2);
  gst_video_frame_unmap (&f1);
  gst_video_frame_unmap (&f2);
  gst_buffer_unref (b1);
  gst_buffer_unref (b2);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

/* yolotrack's id (DL Streamer's "object_id") is drawn as "#id" after the
 * label: the tag of "person" with id 12 is exactly as wide as the tag of a
 * "person #12" label, and wider than plain "person" */
GST_START_TEST (test_object_id)
{
  GstHarness *h = overlay_harness ("RGBx", "show-confidence=false");
  GstBuffer *b[3];
  GstVideoFrame f;
  GstVideoInfo info;
  gint w[3];

  for (gint i = 0; i < 3; i++)
    b[i] = make_frame ("RGBx");
  add_detection (b[0], "person", 0, 0.91, BX, BY, BW, BH);
  gst_video_region_of_interest_meta_add_param
      (gst_buffer_get_video_region_of_interest_meta (b[0]),
      gst_structure_new ("object_id", "id", G_TYPE_INT, 12, NULL));
  add_detection (b[1], "person #12", 0, 0.91, BX, BY, BW, BH);
  add_detection (b[2], "person", 0, 0.91, BX, BY, BW, BH);
  for (gint i = 0; i < 3; i++) {
    b[i] = gst_harness_push_and_pull (h, b[i]);
    out_info (h, &info);
    fail_unless (gst_video_frame_map (&f, &info, b[i], GST_MAP_READ));
    w[i] = tag_width (&f, BX, tag_top (&f, BX, BY));
    gst_video_frame_unmap (&f);
    gst_buffer_unref (b[i]);
  }
  GST_INFO ("tag widths: with id %d, literal %d, without %d", w[0], w[1], w[2]);
  fail_unless_equals_int (w[0], w[1]);
  fail_unless (w[0] > w[2] + 15, "%d vs %d", w[0], w[2]);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_plain_roi_and_classes)
{
  /* ROI metas without params: colour from the roi_type name; label_id
   * picks the palette entry */
  GstHarness *h = overlay_harness ("BGRA", NULL);
  GstBuffer *buf = make_frame ("BGRA");
  GstVideoFrame f;
  GstVideoInfo info;
  guint32 car = palette[g_str_hash ("car") % G_N_ELEMENTS (palette)];
  guint32 c5 = palette[5];
  gint top, tw, th;

  gst_buffer_add_video_region_of_interest_meta (buf, "car", 200, 100, 80, 60);
  add_detection (buf, "dog", 5, 0.3, 20, 200, 40, 30);
  add_detection (buf, "cat", 25, 0.3, 100, 200, 40, 30);        /* 25 % 20 */
  buf = gst_harness_push_and_pull (h, buf);
  out_info (h, &info);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));

  assert_rgb (&f, 200, 130, car >> 16, (car >> 8) & 0xff, car & 0xff);
  assert_rgb (&f, 279, 130, car >> 16, (car >> 8) & 0xff, car & 0xff);
  assert_bg (&f, 240, 130);
  /* the plain ROI still gets a tag (label only) */
  top = 100;
  while (top > 0 && rgb_is (&f, 201, top - 1, car >> 16, (car >> 8) & 0xff,
          car & 0xff))
    top--;
  th = 100 - top;
  fail_unless (th >= 12, "plain roi tag height %d", th);
  tw = 0;
  while (rgb_is (&f, 200 + tw, top, car >> 16, (car >> 8) & 0xff, car & 0xff))
    tw++;
  fail_unless (tw >= 15 && tw < 60, "plain roi tag width %d", tw);

  assert_rgb (&f, 20, 215, c5 >> 16, (c5 >> 8) & 0xff, c5 & 0xff);
  assert_rgb (&f, 100, 215, c5 >> 16, (c5 >> 8) & 0xff, c5 & 0xff);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_tag_stays_inside)
{
  GstHarness *h = overlay_harness ("BGRx", NULL);
  GstBuffer *buf = make_frame ("BGRx");
  GstVideoFrame f;
  GstVideoInfo info;
  guint n_text;

  /* box at the top: the tag goes below the box top, inside the box */
  add_detection (buf, "person", 0, 0.91, 10, 0, 150, 100);
  /* box at the right border, narrower than its tag */
  add_detection (buf, "person", 0, 0.91, W - 20, 150, 20, 60);
  /* box entirely outside the frame: ignored */
  add_detection (buf, "person", 0, 0.91, W + 10, H + 10, 20, 20);
  buf = gst_harness_push_and_pull (h, buf);
  out_info (h, &info);
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READ));

  /* tag fill inside the first box, just below its top edge */
  fail_unless (count_rgb (&f, 12, 2, 148, 12, C0_R, C0_G, C0_B, 0) > 200);
  n_text = count_rgb (&f, 10, 0, 160, 30, 255, 255, 255, 40);
  fail_unless (n_text >= 20, "only %u text px", n_text);
  assert_bg (&f, 100, 60);

  /* second tag shifted left to stay in the frame, right-aligned at W */
  assert_c0 (&f, W - 1, 149);
  assert_c0 (&f, W - 30, 149);
  assert_bg (&f, W - 10, 180);
  gst_video_frame_unmap (&f);
  gst_buffer_unref (buf);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_no_meta_passthrough)
{
  GstHarness *h = overlay_harness ("I420", NULL);
  GstBuffer *in = make_frame ("I420"), *ref = gst_buffer_copy_deep (in);
  GstBuffer *out;

  out = gst_harness_push_and_pull (h, in);
  assert_same_bytes (out, ref);
  gst_buffer_unref (out);
  gst_buffer_unref (ref);
  gst_harness_teardown (h);
}

GST_END_TEST;

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("yolooverlay", NULL);
  guint t;
  gchar *font;
  gboolean sc, sl;

  fail_unless (e != NULL);
  g_object_get (e, "thickness", &t, "font", &font, "show-confidence", &sc,
      "show-labels", &sl, NULL);
  fail_unless_equals_int (t, 2);
  fail_unless_equals_string (font, "Sans 12");
  fail_unless (sc);
  fail_unless (sl);
  g_free (font);

  g_object_set (e, "font", "Sans Bold 20", "thickness", 4, NULL);
  g_object_get (e, "thickness", &t, "font", &font, NULL);
  fail_unless_equals_int (t, 4);
  fail_unless_equals_string (font, "Sans Bold 20");
  g_free (font);
  gst_object_unref (e);
}

GST_END_TEST;

GST_START_TEST (test_font_size)
{
  GstHarness *h1 = overlay_harness ("BGRx", "font=\"Sans 8\"");
  GstHarness *h2 = overlay_harness ("BGRx", "font=\"Sans 20\"");
  GstBuffer *b1 = make_frame ("BGRx"), *b2 = make_frame ("BGRx");
  GstVideoFrame f1, f2;
  GstVideoInfo info;
  gint th1, th2;

  add_detection (b1, "person", 0, 0.91, BX, BY, BW, BH);
  add_detection (b2, "person", 0, 0.91, BX, BY, BW, BH);
  b1 = gst_harness_push_and_pull (h1, b1);
  b2 = gst_harness_push_and_pull (h2, b2);
  out_info (h1, &info);
  fail_unless (gst_video_frame_map (&f1, &info, b1, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&f2, &info, b2, GST_MAP_READ));
  th1 = BY - tag_top (&f1, BX, BY);
  th2 = BY - tag_top (&f2, BX, BY);
  fail_unless (th2 > th1 + 8, "tag heights %d %d", th1, th2);
  gst_video_frame_unmap (&f1);
  gst_video_frame_unmap (&f2);
  gst_buffer_unref (b1);
  gst_buffer_unref (b2);
  gst_harness_teardown (h1);
  gst_harness_teardown (h2);
}

GST_END_TEST;

/* A font size FreeType cannot render (pango warned on every frame, a
 * fatal warning here) is drawn at the largest size, with one warning. */
GST_START_TEST (test_font_too_large)
{
  GstHarness *h = overlay_harness ("BGRx", "font=\"Sans 100000\"");
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  gst_element_set_bus (h->element, bus);
  for (int i = 0; i < 2; i++) {
    GstBuffer *b = make_frame ("BGRx");
    add_detection (b, "person", 0, 0.91, BX, BY, BW, BH);
    gst_buffer_unref (gst_harness_push_and_pull (h, b));
  }
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING);
  fail_unless (msg != NULL, "no warning for a font of 100000");
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "Sans 100000") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  /* once, not per frame */
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_WARNING) == NULL);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
}

GST_END_TEST;

static Suite *
yolooverlay_suite (void)
{
  Suite *s = suite_create ("yolooverlay");
  TCase *tc = tcase_create ("general");

  if (!GST_ELEMENT_REGISTER (yolo_overlay, NULL))
    g_error ("cannot register yolooverlay");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_rgb_formats);
  tcase_add_test (tc, test_yuv_formats);
  tcase_add_test (tc, test_yuv_odd_geometry);
  tcase_add_test (tc, test_show_labels_false);
  tcase_add_test (tc, test_task_extras);
  tcase_add_test (tc, test_extras_after_videoscale);
  tcase_add_test (tc, test_obb_roi_modes);
  tcase_add_test (tc, test_foreign_obb);
  tcase_add_test (tc, test_thickness);
  tcase_add_test (tc, test_show_confidence);
  tcase_add_test (tc, test_object_id);
  tcase_add_test (tc, test_plain_roi_and_classes);
  tcase_add_test (tc, test_tag_stays_inside);
  tcase_add_test (tc, test_no_meta_passthrough);
  tcase_add_test (tc, test_font_size);
  tcase_add_test (tc, test_font_too_large);
  return s;
}

GST_CHECK_MAIN (yolooverlay);
