/* yolo-preproc.h - frame -> model input tensor, on the device.
 *
 * GStreamer-free. Uploads one video frame (packed RGB-like or NV12/I420
 * planes with arbitrary strides), resizes it with OpenCV's INTER_LINEAR
 * fixed-point arithmetic (bit-exact with cv2.resize for 8-bit RGB) into a
 * centred letterbox (padding 114), a top-left letterbox (YOLOX) or a plain
 * stretch, converts it to RGB (4:2:0 YUV is resized per Y/U/V plane, each
 * luma tap with its nearest chroma sample, then converted once per pixel),
 * normalises it and writes the planar NCHW float tensor straight into the
 * engine's input 0, on the engine's queue:
 *
 *   YoloPreproc *pp = yolo_preproc_new (engine, &error);
 *   yolo_preproc_run (pp, &image, &params, &letterbox, &error);
 *   yolo_engine_enqueue (engine, &error);
 *   yolo_engine_get_output (engine, 0, out, &error);   // the one sync
 *
 * The image memory must stay valid until that blocking read returns (the
 * frame upload is asynchronous).
 */
#ifndef YOLO_PREPROC_H
#define YOLO_PREPROC_H

#include "yolo-engine.h"

G_BEGIN_DECLS

typedef enum
{
  YOLO_PIXEL_RGB = 0,
  YOLO_PIXEL_BGR,
  YOLO_PIXEL_RGBA,
  YOLO_PIXEL_BGRA,
  YOLO_PIXEL_RGBX,
  YOLO_PIXEL_BGRX,
  YOLO_PIXEL_NV12,
  YOLO_PIXEL_I420,
} YoloPixelFormat;

/* YUV -> RGB: R = Y' + rv V', G = Y' + gu U' + gv V', B = Y' + bu U' with
 * Y' = (Y - y_offset) * y_scale and U' = (U - 128) * c_scale (8-bit). */
typedef struct
{
  float y_offset, y_scale, c_scale;
  float rv, gu, gv, bu;
} YoloYuvMatrix;

/* Fills m from the luma coefficients Kr, Kb (BT.601: 0.299, 0.114; BT.709:
 * 0.2126, 0.0722) and the range (full 0..255 or limited 16..235/240). */
void yolo_yuv_matrix_init (YoloYuvMatrix * m, double kr, double kb,
    gboolean full_range);

typedef struct
{
  YoloPixelFormat format;
  int width, height;
  /* Plane starts (offsets already applied) and strides in bytes. Packed
   * formats use plane 0; NV12 planes 0 (Y) and 1 (UV); I420 0, 1 (U), 2 (V). */
  const guint8 *planes[3];
  int strides[3];
  YoloYuvMatrix yuv;            /* NV12/I420 only */
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

/* Binds to input 0 of e, which must be a float [1,3,H,W] tensor. */
YoloPreproc *yolo_preproc_new (YoloEngine * e, GError ** error);
void yolo_preproc_free (YoloPreproc * p);

/* Enqueues the upload and the kernel (does not wait). lb (may be NULL)
 * receives the geometry for mapping boxes back. */
gboolean yolo_preproc_run (YoloPreproc * p, const YoloImage * img,
    const YoloPreprocParams * params, YoloLetterbox * lb, GError ** error);

/* Plain C reference of the same computation on the host: writes the
 * [3, input_h, input_w] float tensor into dst. */
gboolean yolo_preproc_reference (const YoloImage * img,
    const YoloPreprocParams * params, int input_w, int input_h, float *dst,
    YoloLetterbox * lb, GError ** error);

G_END_DECLS
#endif /* YOLO_PREPROC_H */
