/* yolo-preproc.h - frame -> model input tensor, on the device.
 *
 * GStreamer-free. Uploads one video frame (packed RGB-like, YUV 4:2:0
 * planar or semi-planar, packed YUV 4:2:2 or grey, with arbitrary
 * strides), resizes it with OpenCV's INTER_LINEAR fixed-point arithmetic
 * (bit-exact with cv2.resize for 8-bit RGB) into a centred letterbox
 * (padding 114), a top-left letterbox (YOLOX) or a plain stretch,
 * normalises it and writes the planar NCHW float tensor straight into the
 * engine's input 0, on the engine's queue.
 *
 * YUV and grey frames: every source pixel the resize reads is first
 * converted to the 8-bit RGB that GStreamer 1.22's `videoconvert ! video/
 * x-raw,format=RGB` gives for it (same chroma upsampling, same integer
 * matrix arithmetic), so the tensor is bit-exact with converting the frame
 * to RGB with videoconvert and then taking the RGB path. Chroma upsampling,
 * as videoconvert does it: I420/YV12 take the nearest chroma sample (its
 * I420 -> RGB fast path ignores the siting); NV12/NV21/YUY2/UYVY
 * interpolate per YoloImage.chroma_site (interstitial: 3:1 / 1:3 taps;
 * horizontally co-sited: copy / average; vertically co-sited: nearest row).
 * The matrix is videoconvert's too: it does not subtract the luma offset
 * of limited range (it scales Y - 128), so Y = 235 gives 253, not 255.
 *
 *   YoloPreproc *pp = yolo_preproc_new (engine, &error);
 *   yolo_preproc_run (pp, &image, &params, &letterbox, &error);
 *   yolo_engine_enqueue (engine, &error);
 *   yolo_engine_get_output (engine, 0, out, &error);   // the one sync
 *
 * The image memory must stay valid until that blocking read returns (the
 * frame upload is asynchronous; on CPU devices the kernel reads the planes
 * in place, through CL_MEM_USE_HOST_PTR buffers, instead of a copy).
 *
 * Two kernel variants compute the same bits: one output pixel per
 * work-item (GPUs and other devices), and 16 pixels of int16 vectors per
 * work-item on CPUs that want explicit wide vectors
 * (YoloDeviceInfo.wide_vectors: PoCL). The engine's options
 * preproc_kernel ("scalar" / "wide") and preproc_upload ("copy" / "host"),
 * or their environment defaults YOLO_PREPROC_KERNEL and
 * YOLO_PREPROC_UPLOAD, override the choices (tests,
 * tests/engine/bench-preproc.c).
 */
#ifndef YOLO_PREPROC_H
#define YOLO_PREPROC_H

#include "yolo-engine.h"

G_BEGIN_DECLS typedef enum
{
  YOLO_PIXEL_RGB = 0,
  YOLO_PIXEL_BGR,
  YOLO_PIXEL_RGBA,
  YOLO_PIXEL_BGRA,
  YOLO_PIXEL_RGBX,
  YOLO_PIXEL_BGRX,
  YOLO_PIXEL_NV12,              /* Y plane, interleaved U,V plane (4:2:0) */
  YOLO_PIXEL_I420,              /* Y, U, V planes (4:2:0) */
  YOLO_PIXEL_NV21,              /* Y plane, interleaved V,U plane (4:2:0) */
  YOLO_PIXEL_YV12,              /* Y, V, U planes (4:2:0) */
  YOLO_PIXEL_YUY2,              /* packed 4:2:2, bytes Y0 U Y1 V */
  YOLO_PIXEL_UYVY,              /* packed 4:2:2, bytes U Y0 V Y1 */
  YOLO_PIXEL_GRAY8,             /* luma only: R = G = B */
} YoloPixelFormat;

/* 8-bit YUV -> RGB with GStreamer 1.22 videoconvert's integer arithmetic:
 * 8.8 fixed-point coefficients (256 = 1.0): y = luma gain, rv = V -> R,
 * gu = U -> G, gv = V -> G, bu = U -> B. With X' = (X - 128) * 257 (+ 256
 * when negative) and mulh (a, b) = (a * b) >> 16:
 *   R = clamp (mulh (Y', y) + mulh (V', rv), -128, 127) + 128, likewise
 *   G = ... mulh (U', gu) + mulh (V', gv), B = ... mulh (U', bu). */
typedef struct
{
  int y, rv, gu, gv, bu;
} YoloYuvMatrix;

/* Fills m as videoconvert computes it (to RGB 0..255) from the luma
 * coefficients Kr, Kb (BT.601: 0.299, 0.114; BT.709: 0.2126, 0.0722;
 * BT.2020: 0.2627, 0.0593) and the range (full 0..255, or limited
 * 16..235 luma / 16..240 chroma). GRAY8 uses only the luma gain. */
void yolo_yuv_matrix_init (YoloYuvMatrix * m, double kr, double kb,
    gboolean full_range);

/* Where chroma samples sit relative to luma (GStreamer's chroma-site
 * flags); 0 = interstitial on both axes ("jpeg", also GStreamer's unknown). */
typedef enum
{
  YOLO_CHROMA_SITE_H_COSITED = 1 << 0,  /* on even luma columns ("mpeg2") */
  YOLO_CHROMA_SITE_V_COSITED = 1 << 1,  /* on even luma rows */
} YoloChromaSite;

/* Planes of a frame of format f: 3 (I420, YV12), 2 (NV12, NV21), else 1. */
int yolo_pixel_format_n_planes (YoloPixelFormat f);

/* Plane i of a w x h frame of format f: returns the bytes of pixel data in
 * one row (without any stride padding) and sets *rows to its row count
 * (4:2:0 chroma planes: ceil(w/2) samples, ceil(h/2) rows). */
int yolo_pixel_format_plane_row (YoloPixelFormat f, int w, int h, int i,
    int *rows);

typedef struct
{
  YoloPixelFormat format;
  int width, height;
  /* Plane starts (offsets already applied) and strides in bytes, in
   * memory order as GStreamer has them. Packed formats (RGB-like, YUY2,
   * UYVY, GRAY8) use plane 0; NV12/NV21 planes 0 (Y) and 1 (UV / VU);
   * I420 0 (Y), 1 (U), 2 (V); YV12 0 (Y), 1 (V), 2 (U). Chroma planes of
   * 4:2:0 have ceil (width / 2) x ceil (height / 2) samples; a packed 4:2:2
   * row has ceil (width / 2) 4-byte macropixels. */
  const guint8 *planes[3];
  int strides[3];
  YoloYuvMatrix yuv;            /* YUV and GRAY8 only */
  YoloChromaSite chroma_site;   /* NV12, NV21, YUY2, UYVY only */
} YoloImage;

typedef enum
{
  YOLO_RESIZE_LETTERBOX = 0,    /* keep the aspect ratio, pad */
  YOLO_RESIZE_STRETCH,          /* fill the input, aspect ratio lost */
} YoloResizeMode;

typedef struct
{
  YoloResizeMode mode;
  gboolean centered;            /* letterbox centred (else top-left, YOLOX) */
  gboolean bgr;                 /* the model wants B,G,R planes */
  float scale;                  /* 0..255 values are multiplied by this */
  int pad_value;                /* 0..255, before scaling */
} YoloPreprocParams;

/* Ultralytics / YOLOv5: centred letterbox, RGB, 1/255. */
#define YOLO_PREPROC_PARAMS_ULTRALYTICS \
  { YOLO_RESIZE_LETTERBOX, TRUE, FALSE, 1.0f / 255.0f, 114 }
/* YOLOX: top-left letterbox, BGR, 0..255. */
#define YOLO_PREPROC_PARAMS_YOLOX \
  { YOLO_RESIZE_LETTERBOX, FALSE, TRUE, 1.0f, 114 }

/* Where the frame lands in the model input:
 *   input_x = frame_x * scale_x + pad_x  (same for y).
 * The frame is resized to new_w x new_h at (pad_x, pad_y). */
typedef struct
{
  int frame_w, frame_h;
  int input_w, input_h;
  int new_w, new_h;
  int pad_x, pad_y;
  double scale_x, scale_y;
} YoloLetterbox;

/* Geometry as reference_detect.py computes it (Python rounding). */
void yolo_letterbox_compute (int frame_w, int frame_h, int input_w,
    int input_h, YoloResizeMode mode, gboolean centered, YoloLetterbox * lb);

typedef struct _YoloPreproc YoloPreproc;

/* Binds to input 0 of e, which must be a float [N,3,H,W] tensor (N: the
 * engine's batch option; the runs write image 0 unless
 * yolo_preproc_set_slot() says otherwise); a [N,C,H,W] input with C != 3 (e.g. a greyscale-trained 1-channel model)
 * fails with YOLO_ENGINE_ERROR_UNSUPPORTED and a message naming C. */
YoloPreproc *yolo_preproc_new (YoloEngine * e, GError ** error);
void yolo_preproc_free (YoloPreproc * p);

/* Enqueues the upload and the kernel (does not wait). lb (may be NULL)
 * receives the geometry for mapping boxes back. */
gboolean yolo_preproc_run (YoloPreproc * p, const YoloImage * img,
    const YoloPreprocParams * params, YoloLetterbox * lb, GError ** error);

/* Which image of a batched input (YoloEngineOptions.batch) the next runs
 * write: 0 (the default) to batch - 1; another value fails with
 * YOLO_ENGINE_ERROR_ARGUMENT. */
gboolean yolo_preproc_set_slot (YoloPreproc * p, int slot, GError ** error);

/* Plain C reference of the same computation on the host: writes the
 * [3, input_h, input_w] float tensor into dst. */
gboolean yolo_preproc_reference (const YoloImage * img,
    const YoloPreprocParams * params, int input_w, int input_h, float *dst,
    YoloLetterbox * lb, GError ** error);

G_END_DECLS
#endif /* YOLO_PREPROC_H */
