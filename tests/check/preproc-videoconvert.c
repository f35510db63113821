/* preproc-videoconvert.c - the pre-processing of YUV and grey frames against
 * GStreamer's own videoconvert.
 *
 * The promise of yolo-preproc.h: for every YUV / grey format the tensor
 * equals what `videoconvert ! video/x-raw,format=RGB` followed by the RGB
 * path gives. Each case here builds a frame in the layout GStreamer has for
 * its caps (GstVideoInfo: strides, plane offsets, odd sizes), converts it
 * with a real videoconvert, and compares the two tensors (host reference
 * of both; plus the OpenCL kernel on the YUV frame). Frames: random data in
 * every format at sizes from 1x1 up, with every matrix / range / chroma
 * siting, and bus.jpg / zidane.jpg as jpegdec hands them (I420, JPEG
 * colorimetry and siting), scaled to odd and large sizes (7680x4320) and
 * converted to the other formats.
 *
 * Differences are measured in levels (0..255) per channel; the tensors are
 * expected to be identical (mean and max 0) with GStreamer 1.22, whose
 * arithmetic the engine reproduces. Each case logs mean / max.
 */
#include "yolo-test-util.h"
#include "yolo-preproc.h"

#include <gst/gst.h>
#include <gst/video/video.h>

#include <math.h>
#include <string.h>

#define IN_W 96
#define IN_H 64

/* ---- GStreamer helpers --------------------------------------------------- */

/* Runs `appsrc ! <chain> ! appsink` on one buffer, returns the sample. */
static GstSample *
run_chain (GstBuffer * buf, GstCaps * caps, const gchar * chain)
{
  gchar *desc = g_strdup_printf ("appsrc name=src format=time ! %s ! "
      "appsink name=sink", chain);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  GstElement *src, *sink;
  GstSample *s = NULL;
  GstFlowReturn fr;

  g_assert_nonnull (pipe);
  src = gst_bin_get_by_name (GST_BIN (pipe), "src");
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  g_object_set (src, "caps", caps, NULL);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (src, "push-buffer", buf, &fr);
  g_assert_cmpint (fr, ==, GST_FLOW_OK);
  g_signal_emit_by_name (sink, "pull-preroll", &s);
  g_assert_nonnull (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  return s;
}

/* Decodes a JPEG of $YOLO_TEST_DATA/media as decodebin hands it (I420),
 * optionally scaled (videoscale keeps I420 and the caps' colorimetry). */
static GstSample *
decode_image (const gchar * name, int w, int h)
{
  const gchar *dir = g_getenv ("YOLO_TEST_DATA");
  gchar *path, *desc, *scale;
  GstElement *pipe, *sink;
  GstSample *s = NULL;

  if (!dir)
    return NULL;
  path = g_build_filename (dir, "media", name, NULL);
  if (!g_file_test (path, G_FILE_TEST_EXISTS)) {
    g_free (path);
    return NULL;
  }
  scale = w > 0 ? g_strdup_printf ("! videoscale ! video/x-raw,width=%d,"
      "height=%d ", w, h) : g_strdup ("");
  desc = g_strdup_printf ("filesrc location=\"%s\" ! decodebin %s! "
      "appsink name=sink", path, scale);
  pipe = gst_parse_launch (desc, NULL);
  g_assert_nonnull (pipe);
  sink = gst_bin_get_by_name (GST_BIN (pipe), "sink");
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  g_signal_emit_by_name (sink, "pull-preroll", &s);
  g_assert_nonnull (s);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipe);
  g_free (desc);
  g_free (scale);
  g_free (path);
  return s;
}

/* The YoloImage of a mapped frame, as gstyolodetect.c fills it. */
static void
image_from_frame (const GstVideoFrame * f, YoloImage * img)
{
  static const struct
  {
    GstVideoFormat gst;
    YoloPixelFormat yolo;
  } map[] = {
    {GST_VIDEO_FORMAT_RGB, YOLO_PIXEL_RGB},
    {GST_VIDEO_FORMAT_I420, YOLO_PIXEL_I420},
    {GST_VIDEO_FORMAT_YV12, YOLO_PIXEL_YV12},
    {GST_VIDEO_FORMAT_NV12, YOLO_PIXEL_NV12},
    {GST_VIDEO_FORMAT_NV21, YOLO_PIXEL_NV21},
    {GST_VIDEO_FORMAT_YUY2, YOLO_PIXEL_YUY2},
    {GST_VIDEO_FORMAT_UYVY, YOLO_PIXEL_UYVY},
    {GST_VIDEO_FORMAT_GRAY8, YOLO_PIXEL_GRAY8},
  };
  const GstVideoInfo *info = &f->info;
  gboolean found = FALSE;

  memset (img, 0, sizeof (*img));
  for (guint i = 0; i < G_N_ELEMENTS (map); i++) {
    if (map[i].gst == GST_VIDEO_INFO_FORMAT (info)) {
      img->format = map[i].yolo;
      found = TRUE;
    }
  }
  g_assert_true (found);
  img->width = GST_VIDEO_FRAME_WIDTH (f);
  img->height = GST_VIDEO_FRAME_HEIGHT (f);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (f); i++) {
    img->planes[i] = GST_VIDEO_FRAME_PLANE_DATA (f, i);
    img->strides[i] = GST_VIDEO_FRAME_PLANE_STRIDE (f, i);
  }
  if (img->format != YOLO_PIXEL_RGB) {
    gdouble kr = 0.299, kb = 0.114;
    gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb);
    yolo_yuv_matrix_init (&img->yuv, kr, kb,
        info->colorimetry.range != GST_VIDEO_COLOR_RANGE_16_235);
    if (info->chroma_site & GST_VIDEO_CHROMA_SITE_H_COSITED)
      img->chroma_site |= YOLO_CHROMA_SITE_H_COSITED;
    if (info->chroma_site & GST_VIDEO_CHROMA_SITE_V_COSITED)
      img->chroma_site |= YOLO_CHROMA_SITE_V_COSITED;
  }
}

/* ---- comparison ---------------------------------------------------------- */

static YoloEngine *engine;      /* input [1,3,IN_H,IN_W], NULL: no device */
static YoloPreproc *preproc;

/* Tensor of a sample (host reference; device too when dev != NULL). */
static void
sample_tensor (GstSample * s, float *ref, float *dev)
{
  YoloPreprocParams p = YOLO_PREPROC_PARAMS_ULTRALYTICS;
  GstVideoInfo info;
  GstVideoFrame f;
  YoloImage img;
  GError *err = NULL;

  p.scale = 1.0f;               /* levels */
  g_assert_true (gst_video_info_from_caps (&info, gst_sample_get_caps (s)));
  g_assert_true (gst_video_frame_map (&f, &info, gst_sample_get_buffer (s),
          GST_MAP_READ));
  image_from_frame (&f, &img);
  g_assert_true (yolo_preproc_reference (&img, &p, IN_W, IN_H, ref, NULL,
          &err));
  g_assert_no_error (err);
  if (dev) {
    cl_mem mem;
    gint64 off;
    g_assert_true (yolo_preproc_run (preproc, &img, &p, NULL, &err));
    g_assert_no_error (err);
    g_assert_true (yolo_engine_input_mem (engine, 0, &mem, &off, &err));
    g_assert_cmpint (clEnqueueReadBuffer (yolo_rt_queue (engine->rt), mem,
            CL_TRUE, off * sizeof (float), 3 * IN_W * IN_H * sizeof (float),
            dev, 0, NULL, NULL), ==, CL_SUCCESS);
  }
  gst_video_frame_unmap (&f);
}

/* Compares the tensor of s with the tensor of videoconvert(s) as RGB. */
static void
check_sample (const gchar * what, GstSample * s, gboolean on_device)
{
  gsize n = 3 * IN_W * IN_H, plane = IN_W * IN_H;
  float *yuv = g_new (float, n), *rgb = g_new (float, n);
  float *dev = on_device && engine ? g_new (float, n) : NULL;
  GstSample *conv = run_chain (gst_buffer_ref (gst_sample_get_buffer (s)),
      gst_sample_get_caps (s), "videoconvert ! video/x-raw,format=RGB");
  gchar *caps = gst_caps_to_string (gst_sample_get_caps (s));
  double mean[3], worst_mean = 0;
  float max[3], worst_max = 0;

  sample_tensor (s, yuv, dev);
  sample_tensor (conv, rgb, NULL);
  for (int c = 0; c < 3; c++) {
    double sum = 0;
    max[c] = 0;
    for (gsize i = 0; i < plane; i++) {
      float d = fabsf (yuv[c * plane + i] - rgb[c * plane + i]);
      sum += d;
      max[c] = MAX (max[c], d);
    }
    mean[c] = sum / plane;
    worst_mean = MAX (worst_mean, mean[c]);
    worst_max = MAX (worst_max, max[c]);
  }
  g_test_message ("%s: mean |diff| R %.4f G %.4f B %.4f, max %g %g %g "
      "levels (%s)", what, mean[0], mean[1], mean[2], max[0], max[1], max[2],
      caps);
  /* the bound is a mean of 1 level; GStreamer 1.22 gives 0 */
  if (worst_mean > 1.0 || worst_max > 0) {
    g_test_message ("%s: differs from videoconvert", what);
    g_test_fail ();
  }
  if (dev) {
    for (gsize i = 0; i < n; i++) {
      if (dev[i] != yuv[i]) {
        g_test_message ("%s: kernel %g, reference %g at %" G_GSIZE_FORMAT,
            what, dev[i], yuv[i], i);
        g_test_fail ();
        break;
      }
    }
  }
  g_free (caps);
  g_free (yuv);
  g_free (rgb);
  g_free (dev);
  gst_sample_unref (conv);
}

/* ---- tests --------------------------------------------------------------- */

/* Random frames in every format, sizes from 1x1, every matrix / range /
 * siting (colorimetry and chroma-site in the caps, or none: defaults). */
static void
test_random (void)
{
  static const char *formats[] = {
    "I420", "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8"
  };
  static const int sizes[][2] = {
    {1, 1}, {2, 2}, {3, 5}, {5, 3}, {1, 9}, {17, 1}, {31, 17}, {64, 48},
    {811, 1081}, {1280, 721},
  };
  static const char *colorimetry[] = {
    ",colorimetry=bt601", ",colorimetry=bt709", ",colorimetry=bt2020",
    ",colorimetry=1:4:0:0", ",colorimetry=1:3:5:1", ",colorimetry=1:6:0:0",
    "",
  };
  static const char *sites[] = {
    ",chroma-site=jpeg", ",chroma-site=mpeg2", ",chroma-site=cosited",
    ",chroma-site=v-cosited", "",
  };
  int k = 0;

  yolo_test_seed (11);
  for (guint f = 0; f < G_N_ELEMENTS (formats); f++) {
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++, k++) {
      const char *cm = colorimetry[k % G_N_ELEMENTS (colorimetry)];
      const char *site = sites[k % G_N_ELEMENTS (sites)];
      gchar *str = g_strdup_printf ("video/x-raw,format=%s,width=%d,"
          "height=%d,framerate=0/1%s%s", formats[f], sizes[s][0],
          sizes[s][1], strcmp (formats[f], "GRAY8") ? cm :
          (k & 1 ? ",colorimetry=2:4:0:0" : ""),
          strcmp (formats[f], "GRAY8") ? site : "");
      GstCaps *caps = gst_caps_from_string (str);
      GstVideoInfo info;
      GstBuffer *buf;
      GstMapInfo map;
      GstSample *sample;

      g_assert_true (gst_video_info_from_caps (&info, caps));
      buf = gst_buffer_new_allocate (NULL, info.size, NULL);
      gst_buffer_map (buf, &map, GST_MAP_WRITE);
      for (gsize i = 0; i < map.size; i++)
        map.data[i] = (guint8) yolo_test_rand (0.0f, 255.99f);
      gst_buffer_unmap (buf, &map);
      sample = gst_sample_new (buf, caps, NULL, NULL);
      check_sample (str, sample, sizes[s][0] * sizes[s][1] < 100000);
      gst_sample_unref (sample);
      gst_buffer_unref (buf);
      gst_caps_unref (caps);
      g_free (str);
    }
  }
}

/* bus.jpg and zidane.jpg as the decoder gives them (I420), at their size,
 * scaled to odd sizes, to 3840x2160 and (once) to 7680x4320, and converted
 * by videoconvert to each other format. */
static void
test_images (void)
{
  static const struct
  {
    const char *name;
    int w, h;
  } cases[] = {
    {"bus.jpg", 0, 0}, {"zidane.jpg", 0, 0},
    {"bus.jpg", 811, 1081}, {"zidane.jpg", 1279, 719},
    {"zidane.jpg", 3, 5}, {"bus.jpg", 1, 1},
    {"bus.jpg", 3840, 2160}, {"zidane.jpg", 7680, 4320},
  };
  static const char *others[] = {
    "YV12", "NV12", "NV21", "YUY2", "UYVY", "GRAY8"
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
    GstSample *s = decode_image (cases[i].name, cases[i].w, cases[i].h);
    GstStructure *st;
    gchar *what;

    if (!s) {
      g_test_skip ("YOLO_TEST_DATA not set or incomplete");
      return;
    }
    st = gst_caps_get_structure (gst_sample_get_caps (s), 0);
    g_assert_cmpstr (gst_structure_get_string (st, "format"), ==, "I420");
    what = g_strdup_printf ("%s %dx%d I420", cases[i].name, cases[i].w,
        cases[i].h);
    check_sample (what, s, TRUE);
    g_free (what);
    /* the other formats: the big frames once, in NV12 */
    for (guint f = 0; f < G_N_ELEMENTS (others); f++) {
      gchar *chain;
      GstSample *o;
      if (cases[i].w >= 3840 && strcmp (others[f], "NV12"))
        continue;
      chain = g_strdup_printf ("videoconvert ! video/x-raw,format=%s",
          others[f]);
      o = run_chain (gst_buffer_ref (gst_sample_get_buffer (s)),
          gst_sample_get_caps (s), chain);
      what = g_strdup_printf ("%s %dx%d %s", cases[i].name, cases[i].w,
          cases[i].h, others[f]);
      check_sample (what, o, cases[i].w < 3840);
      g_free (what);
      g_free (chain);
      gst_sample_unref (o);
    }
    gst_sample_unref (s);
  }
}

int
main (int argc, char **argv)
{
  int ret;

  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  if (yolo_test_have_device ()) {
    YoloGraph *g = yolo_graph_new ();
    gint64 dims[4] = { 1, 3, IN_H, IN_W };
    const char *in[] = { "x" }, *out[] = { "y" };
    YoloEngineOptions opt = { 0 };
    GError *err = NULL;

    yolo_test_input (g, "x", YOLO_DTYPE_FLOAT, 4, dims, 0.0f, 1.0f);
    yolo_graph_add_node (g, "Relu", "relu", 1, in, 1, out);
    yolo_test_output (g, "y");
    engine = yolo_engine_new_from_graph (g, &opt, TRUE, &err);
    g_assert_no_error (err);
    preproc = yolo_preproc_new (engine, &err);
    g_assert_no_error (err);
  }
  g_test_add_func ("/preproc-videoconvert/random", test_random);
  g_test_add_func ("/preproc-videoconvert/images", test_images);
  ret = g_test_run ();
  yolo_preproc_free (preproc);
  yolo_engine_free (engine);
  return ret;
}
