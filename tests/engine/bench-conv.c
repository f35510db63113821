/* bench-conv.c - times the Conv kernels on typical YOLOv8n layers (with a
 * fused SiLU) and prints GFLOP/s. Not a test.
 *
 *   bench-conv [device-spec] [min-seconds-per-layer]
 *
 * Reports the best run of each layer and the mean CPU time per run of
 * all threads (GFLOP per CPU-second is steadier on a loaded machine).
 * Reports the best run of each layer (includes one launch + sync).
 * BENCH_LAYER=C,H,W,M,k,s,group times one layer of that shape.
 * BENCH_ACT=<YoloAct number> changes the fused activation (0: none).
 */
#include "yolo-test-util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct
{
  int C, H, W, M, k, s, group;
} BenchLayer;

static const BenchLayer layers[] = {
  {3, 640, 640, 16, 3, 2, 1},
  {16, 320, 320, 32, 3, 2, 1},
  {32, 160, 160, 32, 1, 1, 1},
  {16, 160, 160, 16, 3, 1, 1},
  {48, 160, 160, 32, 1, 1, 1},
  {32, 160, 160, 64, 3, 2, 1},
  {64, 80, 80, 64, 1, 1, 1},
  {32, 80, 80, 32, 3, 1, 1},
  {64, 80, 80, 64, 3, 1, 1},
  {64, 80, 80, 128, 3, 2, 1},
  {128, 40, 40, 128, 1, 1, 1},
  {64, 40, 40, 64, 3, 1, 1},
  {128, 40, 40, 256, 3, 2, 1},
  {256, 20, 20, 256, 1, 1, 1},
  {128, 20, 20, 128, 3, 1, 1},
  {64, 80, 80, 80, 3, 1, 1},
  {80, 80, 80, 80, 1, 1, 1},
  {64, 80, 80, 64, 3, 1, 64},
  {3, 640, 640, 16, 6, 2, 1},   /* YOLOv5n's first conv */
};

/* CPU time of the whole process (all PoCL threads), ns. */
static gint64
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static double
bench_layer (const BenchLayer * L, const char *device, double min_s,
    double *ms_out, double *cpu_ms)
{
  YoloGraph *g = yolo_graph_new ();
  gint64 xd[4] = { 1, L->C, L->H, L->W };
  gint64 wd[4] = { L->M, L->C / L->group, L->k, L->k };
  gint64 bd[1] = { L->M };
  const char *ins[3] = { "X", "W", "B" };
  const char *outs[1] = { "Y" };
  YoloEngineOptions opt = { 0 };
  YoloEngine *e;
  GError *err = NULL;
  YoloNode *n;
  int ni;
  YoloAttr *a;
  float *in;
  int p = (L->k - 1) / 2, Ho, Wo, iters = 0;    /* 6x6: pads 2 (YOLOv5) */
  gint64 t0, t1, best, c0;
  double flop;

  yolo_test_input (g, "X", YOLO_DTYPE_FLOAT, 4, xd, -1, 1);
  yolo_test_const (g, "W", YOLO_DTYPE_FLOAT, 4, wd, -0.1f, 0.1f);
  yolo_test_const (g, "B", YOLO_DTYPE_FLOAT, 1, bd, -0.1f, 0.1f);
  ni = yolo_graph_add_node (g, "Conv", "conv", 3, ins, 1, outs);
  n = YOLO_N (g, ni);
  a = yolo_node_add_attr (n, "strides", YOLO_ATTR_INTS);
  a->n = 2;
  a->ints = g_new (gint64, 2);
  a->ints[0] = a->ints[1] = L->s;
  a = yolo_node_add_attr (n, "pads", YOLO_ATTR_INTS);
  a->n = 4;
  a->ints = g_new (gint64, 4);
  a->ints[0] = a->ints[1] = a->ints[2] = a->ints[3] = p;
  if (L->group > 1)
    yolo_node_add_attr (n, "group", YOLO_ATTR_INT)->i = L->group;
  n->act = g_getenv ("BENCH_ACT") ? atoi (g_getenv ("BENCH_ACT")) :
      YOLO_ACT_SILU;
  n->residual = -1;
  yolo_test_output (g, "Y");

  opt.device = device;
  e = yolo_engine_new_from_graph (g, &opt, TRUE, &err);
  if (e == NULL) {
    fprintf (stderr, "engine: %s\n", err->message);
    exit (1);
  }
  in = g_new (float, (gsize) L->C * L->H * L->W);
  for (gsize i = 0; i < (gsize) L->C * L->H * L->W; i++)
    in[i] = yolo_test_rand (-1, 1);
  if (!yolo_engine_set_input (e, in, &err) || !yolo_engine_run (e, &err)
      || !yolo_engine_run (e, &err)) {
    fprintf (stderr, "run: %s\n", err->message);
    exit (1);
  }
  /* Best of many runs: robust against other load on the machine. */
  best = G_MAXINT64;
  c0 = cpu_now ();
  t0 = g_get_monotonic_time ();
  do {
    gint64 ts = g_get_monotonic_time ();
    if (!yolo_engine_run (e, &err)) {
      fprintf (stderr, "run: %s\n", err->message);
      exit (1);
    }
    t1 = g_get_monotonic_time ();
    best = MIN (best, t1 - ts);
    iters++;
  } while (t1 - t0 < min_s * 1e6 || iters < 5);
  *cpu_ms = (cpu_now () - c0) / 1e6 / iters;
  g_free (in);
  yolo_engine_free (e);

  Ho = (L->H + 2 * p - L->k) / L->s + 1;
  Wo = (L->W + 2 * p - L->k) / L->s + 1;
  flop = 2.0 * L->M * Ho * Wo * (L->C / L->group) * L->k * L->k;
  *ms_out = best / 1e3;
  return flop / (*ms_out * 1e-3) / 1e9;
}

int
main (int argc, char **argv)
{
  const char *device = argc > 1 ? argv[1] : NULL;
  double min_s = argc > 2 ? atof (argv[2]) : 0.5;
  double total_ms = 0;

  const BenchLayer *list = layers;
  gsize n_layers = G_N_ELEMENTS (layers);
  BenchLayer custom;

  /* BENCH_LAYER=C,H,W,M,k,s,group times just that layer. */
  if (g_getenv ("BENCH_LAYER")
      && sscanf (g_getenv ("BENCH_LAYER"), "%d,%d,%d,%d,%d,%d,%d", &custom.C,
          &custom.H, &custom.W, &custom.M, &custom.k, &custom.s,
          &custom.group) == 7) {
    list = &custom;
    n_layers = 1;
  }
  yolo_test_seed (1);
  printf ("%-28s %9s %9s %9s %12s\n", "layer", "best ms", "GFLOP/s",
      "cpu ms", "GFLOP/cpu-s");
  for (gsize i = 0; i < n_layers; i++) {
    const BenchLayer *L = &list[i];
    double ms, cpu_ms, gf = bench_layer (L, device, min_s, &ms, &cpu_ms);
    char name[64];
    g_snprintf (name, sizeof (name), "%dx%d%s %d->%d @%dx%d%s", L->k, L->k,
        L->s == 2 ? "s2" : "", L->C, L->M, L->H, L->W,
        L->group > 1 ? " dw" : "");
    printf ("%-28s %9.3f %9.1f %9.3f %12.1f\n", name, ms, gf, cpu_ms,
        gf * ms / cpu_ms);
    fflush (stdout);
    total_ms += ms;
  }
  printf ("total %.2f ms\n", total_ms);
  return 0;
}
