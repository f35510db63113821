/* yolo-test-util.h - build small graphs and check the OpenCL result of every
 * op against its plain C reference (the op's eval function). */
#ifndef YOLO_TEST_UTIL_H
#define YOLO_TEST_UTIL_H

#include "yolo-engine-private.h"
#include "yolo-ops.h"

/* An empty graph of ONNX opset `opset`. */
YoloGraph *yolo_test_graph (gint64 opset);

/* Seeds the deterministic RNG used for random data. */
void yolo_test_seed (guint32 seed);
float yolo_test_rand (float lo, float hi);

/* A run-time graph input of the given shape, filled with uniform random
 * data in [lo, hi] (integers rounded). Returns the tensor index. */
int yolo_test_input (YoloGraph * g, const char *name, YoloDType dtype,
    int ndim, const gint64 * dims, float lo, float hi);
/* A constant (initializer) with random data in [lo, hi]. */
int yolo_test_const (YoloGraph * g, const char *name, YoloDType dtype,
    int ndim, const gint64 * dims, float lo, float hi);
/* A constant with the given values (copied; n = numel). */
int yolo_test_const_ints (YoloGraph * g, const char *name, int ndim,
    const gint64 * dims, const gint64 * values);
int yolo_test_const_floats (YoloGraph * g, const char *name, int ndim,
    const gint64 * dims, const float *values);
/* Marks a tensor as a graph output. */
void yolo_test_output (YoloGraph * g, const char *name);
/* Adds node op named "<op>_<n>" (n counts the nodes added this way); ins /
 * outs: comma-separated tensor names, an empty name for an omitted
 * optional input. */
YoloNode *yolo_test_node (YoloGraph * g, const char *op, const char *ins,
    const char *outs);
/* Adds the INT attribute name = v to n. */
void yolo_test_attr_int (YoloNode * n, const char *name, gint64 v);
/* Sets the INTS attribute name of n to the cnt values v (copied). */
void yolo_test_attr_ints (YoloNode * n, const char *name, int cnt,
    const gint64 * v);
/* The same from int values. */
void yolo_test_attr_int_array (YoloNode * n, const char *name, int cnt,
    const int *v);
/* A gint64 array literal, DIMS (1, 3, 8, 8), and its length, NDIMS (...);
 * ATTR_INTS (n, "pads", 0, 1, 0, 1) sets an INTS attribute from a list. */
#define DIMS(...) ((const gint64[]) { __VA_ARGS__ })
#define NDIMS(...) \
  ((int) (sizeof ((gint64[]) { __VA_ARGS__ }) / sizeof (gint64)))
#define ATTR_INTS(n, name, ...) \
  yolo_test_attr_ints (n, name, NDIMS (__VA_ARGS__), DIMS (__VA_ARGS__))

/* Sorts g and infers its shapes, which must fail with YOLO_ENGINE_ERROR
 * code and a one-line message naming the node `node`; frees g. `what`
 * labels the message printed with --verbose. */
void yolo_test_expect_infer_error (YoloGraph * g, int code, const char *node,
    const char *what);

/* TRUE when an OpenCL device is available (else tests g_test_skip). */
/* $YOLO_TEST_DATA/models/REL (default ../shared) loaded, prepared at its
 * own input size, fused and pruned, as the engine would before lowering;
 * NULL (the test case skipped, with the path) when the file is missing. A
 * load or prepare error fails the test. Free with yolo_graph_free. */
YoloGraph *yolo_test_load_fused (const char *rel);
/* The same with g->conv_pair set to conv_pair before the fusions (as the
 * engine sets it on wide-vector devices: ConvPair, ConvMulti). */
YoloGraph *yolo_test_load_fused_conv_pair (const char *rel,
    gboolean conv_pair);
/* The same with the engine's batch option (batch_to) set to batch >= 1
 * before prepare: the graph's batch rewritten to batch (yolo-rebatch.h). */
YoloGraph *yolo_test_load_fused_batch (const char *rel, int batch);

gboolean yolo_test_have_device (void);

/* The element count of a tensor an engine reports (the product of its
 * dims; 1 for a scalar). */
gint64 yolo_test_info_numel (const YoloTensorInfo * info);

/* Runs g on the host (each node's eval: the reference) and on the OpenCL
 * device, compares every graph output elementwise:
 *   |dev - ref| <= atol + rtol * |ref|
 * and fails the current GTest test (g_test_fail + message naming `label`,
 * the output and the first mismatching index) otherwise. fuse: run the
 * fusion pass for the device run. Takes ownership of g.
 * Returns TRUE when everything matched (or the test was skipped). */
gboolean yolo_test_check (YoloGraph * g, const char *label, float atol,
    float rtol, gboolean fuse);

/* From now on, yolo_test_check creates its engines with these options
 * (copied; their strings must outlive the checks; NULL: all defaults;
 * tune NULL: "off", the static variant choice).
 * How the tests force kernel variants and emulate smaller devices. */
void yolo_test_set_options (const YoloEngineOptions * options);

/* From now on, yolo_test_check also fails unless the engine's launches
 * include (used) or do not include (!used) the kernel `name` (or, for
 * "a|b", one of those kernels). Expectations add up; name NULL clears
 * them all. */
void yolo_test_expect_kernel (const char *name, gboolean used);

/* Registers func as a GTest test run with half storage (the engine option
 * storage "half", also through yolo_test_set_options while it runs):
 * yolo_test_check then fails unless the engine stores half, its reference
 * rounds the graph inputs and every output of a node computed at run time
 * to float16 (round to nearest, ties to even) as the device stores them,
 * and it widens the tolerance by rtol 2e-3 + atol 1e-4 (a value on
 * either side of a half rounding boundary: one half ulp, 2^-10 relative,
 * and what later nodes make of it). */
void yolo_test_add_half (const char *path, GTestFunc func);
/* TRUE while a test registered with yolo_test_add_half runs. */
gboolean yolo_test_half (void);

#endif
