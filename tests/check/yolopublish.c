/* gst-yolo: yolopublish tests against a real MQTT broker
 *
 * Each test starts its own `mosquitto` (YOLO_MOSQUITTO, Debian's broker) on
 * a free 127.0.0.1 port with a configuration in a temporary folder, and
 * subscribes with libmosquitto. Frames and their ROI metas are made here
 * (no model needed); the element is compiled in and registered statically.
 * The subscriber's session is persistent (clean session off, QoS 1) and the
 * broker's database is saved after it subscribed, so a broker that is
 * killed and started again still routes to it every message it gets, in
 * whatever order the two clients reconnect: the tests can then ask for
 * exactly the frames that must arrive.
 */

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <mosquitto.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gstyolopublish.h"

#define WIDTH 320
#define HEIGHT 240
#define CAPS "video/x-raw,format=RGBA,width=320,height=240,framerate=25/1"
#define TOPIC "gst-yolo/test/cam0"
#define FRAME_NS (40 * GST_MSECOND)

/* ---------------------------------------------------------------- broker */

typedef struct
{
  gchar *dir;
  gint port;
  gint tls_port;                /* 0: no TLS listener */
  gint auth_port;               /* 0: no listener with passwords */
  GPid pid;
} Broker;

/* a port nobody listens on now (the kernel's choice) */
static gint
free_port (void)
{
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof (a);
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gint port;

  fail_unless (fd >= 0);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (fd, (struct sockaddr *) &a, sizeof (a)) == 0);
  fail_unless (getsockname (fd, (struct sockaddr *) &a, &len) == 0);
  port = ntohs (a.sin_port);
  close (fd);
  return port;
}

static gboolean
port_open (gint port)
{
  struct sockaddr_in a = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  gboolean ok;

  a.sin_family = AF_INET;
  a.sin_port = htons (port);
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  ok = connect (fd, (struct sockaddr *) &a, sizeof (a)) == 0;
  close (fd);
  return ok;
}

static void
broker_init (Broker * b)
{
  gchar *conf, *path;

  b->dir = g_dir_make_tmp ("yolopublish-XXXXXX", NULL);
  fail_unless (b->dir != NULL);
  b->port = free_port ();
  b->tls_port = 0;
  b->auth_port = 0;
  b->pid = 0;
  /* persistence: the subscriber's session survives a restart (saved on
   * SIGUSR1 and SIGTERM); as root the broker would switch to the user
   * "mosquitto", who cannot write our folder */
  conf = g_strdup_printf ("per_listener_settings true\n"
      "listener %d 127.0.0.1\n" "allow_anonymous true\n"
      /* Debian 12's mosquitto 2.0.11 can leave QoS 1 messages queued for a
       * subscriber unsent once its in-flight limit (20) was reached while
       * QoS 2 messages came in; no limit here */
      "max_inflight_messages 0\n"
      "persistence true\n"
      "persistence_location %s/\n"
      "log_dest file %s/broker.log\n"
      "log_type all\n"
      "%s", b->port, b->dir, b->dir, getuid () == 0 ? "user root\n" : "");
  path = g_build_filename (b->dir, "mosquitto.conf", NULL);
  fail_unless (g_file_set_contents (path, conf, -1, NULL));
  g_free (path);
  g_free (conf);
}

/* A test CA, a broker certificate for 127.0.0.1 signed by it, a client
 * certificate signed by it, and an unrelated CA (openssl, EC keys); then a
 * second listener, on b->tls_port, that speaks only TLS and wants a client
 * certificate. */
static void
broker_add_tls (Broker * b)
{
  const gchar *script =
      "set -e\n"
      "key() { openssl genpkey -algorithm EC "
      "-pkeyopt ec_paramgen_curve:prime256v1 -out $1 2>/dev/null; }\n"
      "key ca.key; key other.key; key server.key; key client.key\n"
      "openssl req -x509 -new -key ca.key -out ca.pem -days 2 "
      "-subj /CN=gst-yolo-test-ca\n"
      "openssl req -x509 -new -key other.key -out other.pem -days 2 "
      "-subj /CN=gst-yolo-other-ca\n"
      "printf 'subjectAltName=IP:127.0.0.1\\n' > server.ext\n"
      "openssl req -new -key server.key -out server.csr -subj /CN=127.0.0.1\n"
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out server.pem -days 2 -extfile server.ext "
      "2>/dev/null\n"
      "openssl req -new -key client.key -out client.csr -subj /CN=client\n"
      "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out client.pem -days 2 2>/dev/null\n";
  gchar *argv[] = { (gchar *) "sh", (gchar *) "-c", (gchar *) script, NULL };
  gchar *conf_path = g_build_filename (b->dir, "mosquitto.conf", NULL);
  gchar *conf, *more, *err_out = NULL;
  gint status;
  GError *err = NULL;

  fail_unless (g_spawn_sync (b->dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, &err_out, &status, &err), "%s", err ? err->message : "");
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "openssl failed: %s", err_out);
  g_free (err_out);

  b->tls_port = free_port ();
  fail_unless (g_file_get_contents (conf_path, &conf, NULL, NULL));
  more = g_strdup_printf ("%slistener %d 127.0.0.1\n"
      "cafile %s/ca.pem\ncertfile %s/server.pem\nkeyfile %s/server.key\n"
      "require_certificate true\nallow_anonymous true\n", conf, b->tls_port,
      b->dir, b->dir, b->dir);
  fail_unless (g_file_set_contents (conf_path, more, -1, NULL));
  g_free (more);
  g_free (conf);
  g_free (conf_path);
}

/* a third listener, on b->auth_port, that wants user "pub", password
 * "secret" (mosquitto_passwd) */
static void
broker_add_auth (Broker * b)
{
  gchar *passwd = g_build_filename (b->dir, "passwd", NULL);
  gchar *argv[] = { (gchar *) "mosquitto_passwd", (gchar *) "-c",
    (gchar *) "-b", passwd, (gchar *) "pub", (gchar *) "secret", NULL
  };
  gchar *conf_path = g_build_filename (b->dir, "mosquitto.conf", NULL);
  gchar *conf, *more, *err_out = NULL;
  gint status;
  GError *err = NULL;

  fail_unless (g_spawn_sync (b->dir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL,
          NULL, NULL, &err_out, &status, &err), "%s", err ? err->message : "");
  fail_unless (WIFEXITED (status) && WEXITSTATUS (status) == 0,
      "mosquitto_passwd failed: %s", err_out);
  g_free (err_out);

  b->auth_port = free_port ();
  fail_unless (g_file_get_contents (conf_path, &conf, NULL, NULL));
  more = g_strdup_printf ("%slistener %d 127.0.0.1\nallow_anonymous false\n"
      "password_file %s\n", conf, b->auth_port, passwd);
  fail_unless (g_file_set_contents (conf_path, more, -1, NULL));
  g_free (more);
  g_free (conf);
  g_free (conf_path);
  g_free (passwd);
}

/* the broker goes when the test process goes, whatever ends it */
static void
broker_child_setup (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
broker_start (Broker * b)
{
  const gchar *exe = g_getenv ("YOLO_MOSQUITTO");
  gchar *conf = g_build_filename (b->dir, "mosquitto.conf", NULL);
  gchar *argv[] = { (gchar *) (exe ? exe : "mosquitto"), (gchar *) "-c",
    conf, NULL
  };
  GError *err = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  fail_unless (b->pid == 0);
  fail_unless (g_spawn_async (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
          broker_child_setup, NULL, &b->pid, &err),
      "cannot start mosquitto: %s", err ? err->message : "");
  while (!port_open (b->port)) {
    int status;

    fail_if (waitpid (b->pid, &status, WNOHANG) == b->pid,
        "mosquitto exited (see %s/broker.log)", b->dir);
    fail_unless (g_get_monotonic_time () < deadline,
        "mosquitto does not listen on port %d", b->port);
    g_usleep (10000);
  }
  g_free (conf);
}

static void
broker_kill (Broker * b, int sig)
{
  int status;

  fail_unless (b->pid > 0);
  fail_unless (kill (b->pid, sig) == 0);
  fail_unless (waitpid (b->pid, &status, 0) == b->pid);
  g_spawn_close_pid (b->pid);
  b->pid = 0;
}

/* makes the broker write its database now and waits until it did */
static void
broker_save (Broker * b)
{
  gchar *db = g_build_filename (b->dir, "mosquitto.db", NULL);
  gint64 deadline = g_get_monotonic_time () + 5 * G_TIME_SPAN_SECOND;

  g_unlink (db);
  fail_unless (kill (b->pid, SIGUSR1) == 0);
  while (!g_file_test (db, G_FILE_TEST_EXISTS)) {
    fail_unless (g_get_monotonic_time () < deadline,
        "mosquitto did not save its database");
    g_usleep (10000);
  }
  g_free (db);
}

static void
broker_clear (Broker * b)
{
  GDir *d;
  const gchar *name;

  if (b->pid > 0)
    broker_kill (b, SIGTERM);
  d = g_dir_open (b->dir, 0, NULL);
  while (d && (name = g_dir_read_name (d))) {
    gchar *p = g_build_filename (b->dir, name, NULL);
    g_unlink (p);
    g_free (p);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (b->dir);
  g_clear_pointer (&b->dir, g_free);
}

/* ------------------------------------------------------------- frames */

/* The detections of frame @i: i % 4 objects with values made from i. */
static guint
expected_n_objects (guint64 i)
{
  return i % 4;
}

static void
expected_object (guint64 i, guint k, const gchar ** label, gint * label_id,
    gdouble * conf, gint * x, gint * y, gint * w, gint * h)
{
  *label = k % 2 ? "car" : "person";
  *label_id = k % 2 ? 2 : 0;
  *conf = 0.25 + 0.01 * ((i + k) % 70);
  *x = (gint) (i % 200) + 10 * k;
  *y = 5 + k;
  *w = 30 + k;
  *h = 40 + (gint) (i % 7);
}

static GstBuffer *
make_frame (guint64 i)
{
  GstBuffer *buf = gst_buffer_new_allocate (NULL, WIDTH * HEIGHT * 4, NULL);

  GST_BUFFER_PTS (buf) = i * FRAME_NS;
  GST_BUFFER_DURATION (buf) = FRAME_NS;
  for (guint k = 0; k < expected_n_objects (i); k++) {
    GstVideoRegionOfInterestMeta *roi;
    const gchar *label;
    gint id, x, y, w, h;
    gdouble conf;

    expected_object (i, k, &label, &id, &conf, &x, &y, &w, &h);
    roi = gst_buffer_add_video_region_of_interest_meta (buf, label, x, y, w, h);
    gst_video_region_of_interest_meta_add_param (roi,
        gst_structure_new ("detection", "label", G_TYPE_STRING, label,
            "label_id", G_TYPE_INT, id, "confidence", G_TYPE_DOUBLE, conf,
            NULL));
  }
  return buf;
}

/* NULL when @json is frame @i's message, else what is wrong */
static gchar *
check_message (const gchar * json, gint64 * frame_out)
{
  JsonParser *p = json_parser_new ();
  JsonObject *o;
  JsonArray *objects;
  gint64 i;
  gchar *err = NULL;

  *frame_out = -1;
  if (!json_parser_load_from_data (p, json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (p))) {
    err = g_strdup_printf ("not a JSON object: %s", json);
    goto out;
  }
  o = json_node_get_object (json_parser_get_root (p));
  if (!json_object_has_member (o, "frame") || !json_object_has_member (o,
          "objects") || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o,
              "objects"))) {
    err = g_strdup_printf ("no frame/objects: %s", json);
    goto out;
  }
  i = json_object_get_int_member (o, "frame");
  *frame_out = i;
  if (json_object_get_int_member (o, "pts") != (gint64) (i * FRAME_NS)
      || json_object_get_int_member (o, "width") != WIDTH
      || json_object_get_int_member (o, "height") != HEIGHT) {
    err = g_strdup_printf ("pts/width/height: %s", json);
    goto out;
  }
  objects = json_object_get_array_member (o, "objects");
  if (json_array_get_length (objects) != expected_n_objects (i)) {
    err = g_strdup_printf ("frame %" G_GINT64_FORMAT ": %u objects, "
        "expected %u: %s", i, json_array_get_length (objects),
        expected_n_objects (i), json);
    goto out;
  }
  for (guint k = 0; k < json_array_get_length (objects); k++) {
    JsonObject *d = json_array_get_object_element (objects, k);
    const gchar *label;
    gint id, x, y, w, h;
    gdouble conf;

    expected_object (i, k, &label, &id, &conf, &x, &y, &w, &h);
    if (g_strcmp0 (json_object_get_string_member (d, "label"), label) != 0
        || json_object_get_int_member (d, "label_id") != id
        || fabs (json_object_get_double_member (d, "confidence") - conf) >
        1e-4 || json_object_get_int_member (d, "x") != x
        || json_object_get_int_member (d, "y") != y
        || json_object_get_int_member (d, "w") != w
        || json_object_get_int_member (d, "h") != h) {
      err = g_strdup_printf ("frame %" G_GINT64_FORMAT " object %u: %s", i,
          k, json);
      goto out;
    }
  }
out:
  g_object_unref (p);
  return err;
}

/* --------------------------------------------------------- subscriber */

typedef struct
{
  struct mosquitto *mosq;
  GMutex lock;
  GCond cond;
  gboolean subscribed;
  GHashTable *frames;           /* frame -> number of messages */
  guint n_messages;
  gchar *error;                 /* the first bad message */
} Sub;

static void
sub_on_connect (struct mosquitto *mosq, void *obj, int rc)
{
  if (rc == 0)
    mosquitto_subscribe (mosq, NULL, TOPIC, 1);
}

static void
sub_on_subscribe (struct mosquitto *mosq, void *obj, int mid, int n,
    const int *granted)
{
  Sub *s = obj;

  g_mutex_lock (&s->lock);
  s->subscribed = TRUE;
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
}

static void
sub_on_message (struct mosquitto *mosq, void *obj,
    const struct mosquitto_message *msg)
{
  Sub *s = obj;
  gchar *json = g_strndup (msg->payload, msg->payloadlen);
  gint64 frame;
  gchar *err = check_message (json, &frame);

  g_mutex_lock (&s->lock);
  s->n_messages++;
  if (err != NULL && s->error == NULL)
    s->error = g_strdup (err);
  if (frame >= 0) {
    gpointer key = GSIZE_TO_POINTER ((gsize) frame);
    g_hash_table_insert (s->frames, key,
        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (s->frames,
                    key)) + 1));
  }
  g_cond_broadcast (&s->cond);
  g_mutex_unlock (&s->lock);
  g_free (err);
  g_free (json);
}

/* a persistent QoS 1 subscription to TOPIC, subscribed when this returns */
static Sub *
sub_new (Broker * b, const gchar * id)
{
  Sub *s = g_new0 (Sub, 1);
  gint64 deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->frames = g_hash_table_new (g_direct_hash, g_direct_equal);
  s->mosq = mosquitto_new (id, FALSE, s);
  fail_unless (s->mosq != NULL);
  mosquitto_connect_callback_set (s->mosq, sub_on_connect);
  mosquitto_subscribe_callback_set (s->mosq, sub_on_subscribe);
  mosquitto_message_callback_set (s->mosq, sub_on_message);
  mosquitto_reconnect_delay_set (s->mosq, 1, 1, FALSE);
  fail_unless_equals_int (mosquitto_connect_async (s->mosq, "127.0.0.1",
          b->port, 60), MOSQ_ERR_SUCCESS);
  fail_unless_equals_int (mosquitto_loop_start (s->mosq), MOSQ_ERR_SUCCESS);
  g_mutex_lock (&s->lock);
  while (!s->subscribed && g_cond_wait_until (&s->cond, &s->lock, deadline));
  fail_unless (s->subscribed, "subscriber not subscribed");
  g_mutex_unlock (&s->lock);
  return s;
}

/* waits until @n distinct frames arrived (or @seconds passed); returns the
 * number of distinct frames */
static guint
sub_wait (Sub * s, guint n, gint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  guint got;

  g_mutex_lock (&s->lock);
  while (g_hash_table_size (s->frames) < n
      && g_cond_wait_until (&s->cond, &s->lock, deadline));
  got = g_hash_table_size (s->frames);
  g_mutex_unlock (&s->lock);
  return got;
}

static gboolean
sub_has (Sub * s, guint64 frame)
{
  gboolean has;

  g_mutex_lock (&s->lock);
  has = g_hash_table_contains (s->frames, GSIZE_TO_POINTER ((gsize) frame));
  g_mutex_unlock (&s->lock);
  return has;
}

static void
sub_free (Sub * s)
{
  mosquitto_disconnect (s->mosq);
  mosquitto_loop_stop (s->mosq, FALSE);
  mosquitto_destroy (s->mosq);
  g_hash_table_unref (s->frames);
  g_free (s->error);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

/* ------------------------------------------------------------- element */

/* the element in the harness (the harness' element is a bin around it) */
static GstElement *
pub (GstHarness * h)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (h->element), "pub");

  fail_unless (e != NULL);
  gst_object_unref (e);         /* the bin keeps it */
  return e;
}

static GstHarness *
publisher_new (Broker * b, gint qos, gint max_queue, guint flush_timeout)
{
  gchar *launch = g_strdup_printf ("yolopublish address=127.0.0.1 port=%d "
      "topic=" TOPIC " qos=%d max-queue=%d reconnect-delay=1 "
      "reconnect-delay-max=1 flush-timeout=%u client-id=pub-%d name=pub",
      b->port, qos, max_queue, flush_timeout, b->port);
  GstHarness *h = gst_harness_new_parse (launch);

  g_free (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  return h;
}

static gboolean
wait_connected (GstHarness * h, gboolean want, gint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  gboolean c;

  do {
    g_object_get (pub (h), "connected", &c, NULL);
    if (c == want)
      return TRUE;
    g_usleep (10000);
  } while (g_get_monotonic_time () < deadline);
  return FALSE;
}

/* pushes frames @first..@last-1; returns the longest push in seconds */
static gdouble
push_frames (GstHarness * h, guint64 first, guint64 last)
{
  gdouble longest = 0;

  for (guint64 i = first; i < last; i++) {
    gint64 t0 = g_get_monotonic_time ();

    fail_unless_equals_int (gst_harness_push (h, make_frame (i)), GST_FLOW_OK);
    longest = MAX (longest, (g_get_monotonic_time () - t0) / 1e6);
    gst_buffer_unref (gst_harness_pull (h));
  }
  return longest;
}

static guint64
get_dropped (GstHarness * h)
{
  guint64 dropped;

  g_object_get (pub (h), "dropped", &dropped, NULL);
  return dropped;
}

/* --------------------------------------------------------------- tests */

GST_START_TEST (test_properties)
{
  GstElement *e = gst_element_factory_make ("yolopublish", NULL);
  gchar *address, *topic, *client_id;
  gint port, qos, keep_alive, max_queue;
  guint64 dropped;
  gboolean connected;
  GParamSpec *ps;

  fail_unless (e != NULL);
  g_object_get (e, "address", &address, "port", &port, "topic", &topic,
      "qos", &qos, "client-id", &client_id, "keep-alive", &keep_alive,
      "max-queue", &max_queue, "dropped", &dropped, "connected", &connected,
      NULL);
  fail_unless_equals_string (address, "localhost");
  fail_unless_equals_int (port, 1883);
  fail_unless_equals_string (topic, "gst-yolo/detections");
  fail_unless_equals_int (qos, 0);
  fail_unless (client_id == NULL);
  fail_unless_equals_int (keep_alive, 60);
  fail_unless_equals_int (max_queue, 100);
  fail_unless_equals_uint64 (dropped, 0);
  fail_unless (!connected);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "qos");
  fail_unless_equals_int (G_PARAM_SPEC_INT (ps)->maximum, 2);
  ps = g_object_class_find_property (G_OBJECT_GET_CLASS (e), "dropped");
  fail_if (ps->flags & G_PARAM_WRITABLE);
  g_free (address);
  g_free (topic);
  gst_object_unref (e);
}

GST_END_TEST;

/* every frame's message arrives, once, with its detections, at QoS 0, 1
 * and 2; EOS waits until they are sent, so stopping right after loses
 * none */
GST_START_TEST (test_every_frame)
{
  for (gint qos = 0; qos <= 2; qos++) {
    Broker b;
    Sub *s;
    GstHarness *h;
    const guint n = 60;

    broker_init (&b);
    broker_start (&b);
    s = sub_new (&b, "sub-every");
    h = publisher_new (&b, qos, 1000, 10000);
    fail_unless (wait_connected (h, TRUE, 10), "qos %d: not connected", qos);
    push_frames (h, 0, n);
    fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
    gst_harness_teardown (h);   /* stops: disconnects from the broker */

    fail_unless (sub_wait (s, n, 10) == n, "qos %d: %u of %u frames", qos,
        sub_wait (s, n, 0), n);
    fail_unless (s->error == NULL, "qos %d: %s", qos, s->error);
    fail_unless_equals_int (s->n_messages, n);
    for (guint i = 0; i < n; i++)
      fail_unless (sub_has (s, i), "qos %d: frame %u missing", qos, i);
    sub_free (s);
    broker_clear (&b);
  }
}

GST_END_TEST;

/* The broker is killed mid-stream and started again on the same port:
 * frames keep flowing without waiting, the queue keeps the newest
 * max-queue messages, the rest are counted in `dropped`, and the messages
 * resume after the reconnect. */
GST_START_TEST (test_broker_restart)
{
  const gint max_queue = 5;
  Broker b;
  Sub *s;
  GstHarness *h;
  gdouble longest;

  broker_init (&b);
  broker_start (&b);
  s = sub_new (&b, "sub-restart");
  broker_save (&b);             /* the subscription survives the kill */
  h = publisher_new (&b, 1, max_queue, 10000);
  fail_unless (wait_connected (h, TRUE, 10));

  push_frames (h, 0, 10);
  fail_unless_equals_int (sub_wait (s, 10, 10), 10);

  broker_kill (&b, SIGKILL);
  fail_unless (wait_connected (h, FALSE, 10), "disconnect not seen");
  longest = push_frames (h, 10, 30);
  fail_unless (longest < 0.5, "a push took %.3f s with the broker away",
      longest);
  /* frames 10..24 pushed out of the queue, 25..29 kept */
  fail_unless_equals_uint64 (get_dropped (h), 30 - 10 - max_queue);

  broker_start (&b);
  fail_unless (wait_connected (h, TRUE, 10), "no reconnect");
  push_frames (h, 30, 40);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (get_dropped (h), 15);

  fail_unless_equals_int (sub_wait (s, 25, 15), 25);
  fail_unless (s->error == NULL, "%s", s->error);
  for (guint i = 0; i < 40; i++)
    fail_unless (sub_has (s, i) == (i < 10 || i >= 25),
        "frame %u %s", i, sub_has (s, i) ? "arrived" : "missing");
  gst_harness_teardown (h);
  sub_free (s);
  broker_clear (&b);
}

GST_END_TEST;

/* No broker when the element starts: not an error; the messages wait in
 * the queue and go out once the broker is there. */
GST_START_TEST (test_broker_absent_at_start)
{
  Broker b;
  Sub *s;
  GstHarness *h;
  GstState state;

  broker_init (&b);
  broker_start (&b);
  s = sub_new (&b, "sub-absent");
  broker_kill (&b, SIGTERM);    /* saves the subscriber's session */

  h = publisher_new (&b, 1, 100, 10000);
  fail_unless_equals_int (gst_element_get_state (pub (h), &state, NULL,
          0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  fail_unless (push_frames (h, 0, 5) < 0.5);
  fail_unless (wait_connected (h, FALSE, 0));

  broker_start (&b);
  fail_unless (wait_connected (h, TRUE, 10), "no connection");
  push_frames (h, 5, 10);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_uint64 (get_dropped (h), 0);
  fail_unless_equals_int (sub_wait (s, 10, 15), 10);
  fail_unless (s->error == NULL, "%s", s->error);
  gst_harness_teardown (h);
  sub_free (s);
  broker_clear (&b);
}

GST_END_TEST;

/* EOS with no broker waits flush-timeout, not longer, then posts an
 * element error saying how many frames' messages were not delivered (the
 * pipeline must not end as if they were) */
GST_START_TEST (test_eos_wait_bounded)
{
  Broker b;
  GstHarness *h;
  gint64 t0;
  gdouble waited;
  GstBus *bus = gst_bus_new ();
  GstMessage *msg;
  GError *err = NULL;

  broker_init (&b);             /* never started */
  h = publisher_new (&b, 1, 100, 300);
  gst_element_set_bus (h->element, bus);
  push_frames (h, 0, 3);
  t0 = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  waited = (g_get_monotonic_time () - t0) / 1e6;
  fail_unless (waited >= 0.25 && waited < 3.0, "EOS took %.3f s", waited);
  msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error for the undelivered messages");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "3 detection messages were not "
          "delivered to the MQTT broker 127.0.0.1:") != NULL, "%s",
      err->message);
  fail_unless (strstr (err->message, "not connected") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  t0 = g_get_monotonic_time ();
  gst_harness_teardown (h);
  waited = (g_get_monotonic_time () - t0) / 1e6;
  fail_unless (waited < 3.0, "stop took %.3f s", waited);
  broker_clear (&b);
}

GST_END_TEST;

static gpointer
push_eos_thread (gpointer h)
{
  return GINT_TO_POINTER (gst_harness_push_event ((GstHarness *) h,
          gst_event_new_eos ()));
}

/* A stop (to NULL) while the end of stream waits for undelivered messages
 * (no broker, flush-timeout 60 s) ends that wait at once: no 60 s hang,
 * no error for messages the stop drops anyway */
GST_START_TEST (test_stop_during_eos_wait)
{
  Broker b;
  GstHarness *h;
  GThread *t;
  gint64 t0;
  gdouble waited;
  GstBus *bus = gst_bus_new ();

  broker_init (&b);             /* never started */
  h = publisher_new (&b, 1, 100, 60000);
  gst_element_set_bus (h->element, bus);
  push_frames (h, 0, 3);
  t = g_thread_new ("eos", push_eos_thread, h);
  g_usleep (500 * 1000);        /* in the wait */
  t0 = g_get_monotonic_time ();
  gst_element_set_state (h->element, GST_STATE_NULL);
  waited = (g_get_monotonic_time () - t0) / 1e6;
  g_thread_join (t);
  fail_unless (waited < 5.0, "stop during the EOS wait took %.3f s", waited);
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  broker_clear (&b);
}

GST_END_TEST;

/* A flushing seek (FLUSH_START from another thread) during the same wait
 * ends it at once too, without an error; after FLUSH_STOP the element
 * takes frames again */
GST_START_TEST (test_flush_during_eos_wait)
{
  Broker b;
  GstHarness *h;
  GThread *t;
  gint64 t0;
  gdouble waited;
  GstBus *bus = gst_bus_new ();

  broker_init (&b);             /* never started */
  h = publisher_new (&b, 1, 100, 60000);
  gst_element_set_bus (h->element, bus);
  push_frames (h, 0, 3);
  t = g_thread_new ("eos", push_eos_thread, h);
  g_usleep (500 * 1000);        /* in the wait */
  t0 = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_start ()));
  g_thread_join (t);
  waited = (g_get_monotonic_time () - t0) / 1e6;
  fail_unless (waited < 5.0, "flush during the EOS wait took %.3f s", waited);
  fail_unless (gst_harness_push_event (h, gst_event_new_flush_stop (TRUE)));
  fail_unless (gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) == NULL);
  gst_element_set_bus (h->element, NULL);
  gst_object_unref (bus);
  gst_harness_teardown (h);
  broker_clear (&b);
}

GST_END_TEST;

/* retain: a subscriber that comes later gets the last frame's message;
 * client-id and keep-alive reach the broker (its log) */
GST_START_TEST (test_retain_client_id_keep_alive)
{
  Broker b;
  Sub *s;
  GstHarness *h;
  gchar *launch, *log_path, *log = NULL, *expect;

  broker_init (&b);
  broker_start (&b);
  launch = g_strdup_printf ("yolopublish address=127.0.0.1 port=%d "
      "topic=" TOPIC " qos=1 retain=true client-id=camera-7 keep-alive=17 "
      "name=pub", b.port);
  h = gst_harness_new_parse (launch);
  g_free (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless (wait_connected (h, TRUE, 10));
  push_frames (h, 0, 3);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  gst_harness_teardown (h);

  s = sub_new (&b, "sub-retain");
  fail_unless_equals_int (sub_wait (s, 1, 10), 1);
  g_usleep (200000);            /* nothing else comes */
  fail_unless (s->error == NULL, "%s", s->error);
  fail_unless_equals_int (s->n_messages, 1);
  fail_unless (sub_has (s, 2), "the retained message is not the last frame");
  sub_free (s);

  log_path = g_build_filename (b.dir, "broker.log", NULL);
  fail_unless (g_file_get_contents (log_path, &log, NULL, NULL));
  expect = g_strdup (" as camera-7 (p2, c1, k17)");
  fail_unless (strstr (log, expect) != NULL, "no \"%s\" in %s", expect,
      log_path);
  g_free (expect);
  g_free (log);
  g_free (log_path);
  broker_clear (&b);
}

GST_END_TEST;

/* TLS with a client certificate; a CA that did not sign the broker's
 * certificate is an element error */
GST_START_TEST (test_tls)
{
  Broker b;
  Sub *s;
  GstHarness *h;
  gchar *launch;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  broker_init (&b);
  broker_add_tls (&b);
  broker_start (&b);
  s = sub_new (&b, "sub-tls");  /* on the plain listener */

  launch = g_strdup_printf ("yolopublish address=127.0.0.1 port=%d "
      "topic=" TOPIC " qos=1 tls-ca-file=%s/ca.pem tls-cert-file=%s/client.pem "
      "tls-key-file=%s/client.key name=pub", b.tls_port, b.dir, b.dir, b.dir);
  h = gst_harness_new_parse (launch);
  g_free (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless (wait_connected (h, TRUE, 10), "no TLS connection");
  push_frames (h, 0, 5);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (sub_wait (s, 5, 10), 5);
  fail_unless (s->error == NULL, "%s", s->error);
  gst_harness_teardown (h);

  launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=25/1 ! yolopublish "
      "address=127.0.0.1 port=%d tls-ca-file=%s/other.pem "
      "tls-cert-file=%s/client.pem tls-key-file=%s/client.key ! fakesink",
      b.tls_port, b.dir, b.dir, b.dir);
  pipe = gst_parse_launch (launch, NULL);
  g_free (launch);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error with the wrong CA");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "TLS with the MQTT broker failed") != NULL,
      "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);

  sub_free (s);
  broker_clear (&b);
}

GST_END_TEST;

/* username and password; a refused connection is a warning (the broker
 * may accept later), not an error, and the frames keep flowing */
GST_START_TEST (test_username_password)
{
  Broker b;
  Sub *s;
  GstHarness *h;
  gchar *launch;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;
  GstState state;

  broker_init (&b);
  broker_add_auth (&b);
  broker_start (&b);
  s = sub_new (&b, "sub-auth"); /* on the anonymous listener */

  launch = g_strdup_printf ("yolopublish address=127.0.0.1 port=%d "
      "topic=" TOPIC " qos=1 username=pub password=secret name=pub",
      b.auth_port);
  h = gst_harness_new_parse (launch);
  g_free (launch);
  gst_harness_set_src_caps_str (h, CAPS);
  fail_unless (wait_connected (h, TRUE, 10), "not connected with password");
  push_frames (h, 0, 5);
  fail_unless (gst_harness_push_event (h, gst_event_new_eos ()));
  fail_unless_equals_int (sub_wait (s, 5, 10), 5);
  fail_unless (s->error == NULL, "%s", s->error);
  gst_harness_teardown (h);

  launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=25/1 ! yolopublish "
      "address=127.0.0.1 port=%d username=pub password=wrong "
      "reconnect-delay-max=1 ! fakesink", b.auth_port);
  pipe = gst_parse_launch (launch, NULL);
  g_free (launch);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_WARNING | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no warning with the wrong password");
  fail_unless_equals_int (GST_MESSAGE_TYPE (msg), GST_MESSAGE_WARNING);
  gst_message_parse_warning (msg, &err, NULL);
  fail_unless (strstr (err->message, "refused the connection") != NULL, "%s",
      err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  /* still running, and no error after further refusals */
  msg = gst_bus_timed_pop_filtered (bus, 2500 * GST_MSECOND, GST_MESSAGE_ERROR);
  fail_unless (msg == NULL);
  fail_unless_equals_int (gst_element_get_state (pipe, &state, NULL, 0),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);

  sub_free (s);
  broker_clear (&b);
}

GST_END_TEST;

/* A peer that answers garbage instead of CONNACK: an element error, no
 * crash, no silent stop of the publishing */
static gpointer
garbage_peer (gpointer data)
{
  int lfd = GPOINTER_TO_INT (data), fd;
  gchar buf[256];

  fd = accept (lfd, NULL, NULL);
  if (fd >= 0) {
    /* the CONNECT, then packet type 0 (reserved) */
    if (read (fd, buf, sizeof (buf)) > 0 && write (fd, "\0\0", 2) == 2)
      g_usleep (3 * G_USEC_PER_SEC);
    close (fd);
  }
  return NULL;
}

GST_START_TEST (test_garbage_peer)
{
  struct sockaddr_in a = { 0 };
  socklen_t len = sizeof (a);
  int lfd = socket (AF_INET, SOCK_STREAM, 0);
  GThread *t;
  gchar *launch;
  GstElement *pipe;
  GstBus *bus;
  GstMessage *msg;
  GError *err = NULL;

  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (lfd, (struct sockaddr *) &a, sizeof (a)) == 0);
  fail_unless (listen (lfd, 1) == 0);
  fail_unless (getsockname (lfd, (struct sockaddr *) &a, &len) == 0);
  t = g_thread_new ("garbage", garbage_peer, GINT_TO_POINTER (lfd));

  launch = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=64,height=48,framerate=25/1 ! yolopublish "
      "address=127.0.0.1 port=%d ! fakesink", ntohs (a.sin_port));
  pipe = gst_parse_launch (launch, NULL);
  g_free (launch);
  fail_unless (pipe != NULL);
  bus = gst_element_get_bus (pipe);
  gst_element_set_state (pipe, GST_STATE_PLAYING);
  msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error from a garbage-speaking peer");
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (strstr (err->message, "MQTT connection failed for good") !=
      NULL, "%s", err->message);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_thread_join (t);
  close (lfd);
}

GST_END_TEST;

/* settings that can never work fail the start with a clear element error */
static void
check_start_error (const gchar * props, const gchar * expected)
{
  gchar *launch = g_strdup_printf ("fakesrc num-buffers=1 ! yolopublish %s "
      "! fakesink", props);
  GError *err = NULL;
  GstElement *pipe = gst_parse_launch (launch, &err);
  GstBus *bus;
  GstMessage *msg;

  fail_unless (pipe != NULL && err == NULL, "%s: %s", launch,
      err ? err->message : "");
  bus = gst_element_get_bus (pipe);
  fail_unless_equals_int (gst_element_set_state (pipe, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "%s: no error", props);
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (g_str_has_prefix (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
          "yolopublish"));
  fail_unless (strstr (err->message, expected) != NULL,
      "%s: error \"%s\" does not say \"%s\"", props, err->message, expected);
  g_clear_error (&err);
  gst_message_unref (msg);
  gst_element_set_state (pipe, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipe);
  g_free (launch);
}

GST_START_TEST (test_bad_config)
{
  gchar *dir = g_dir_make_tmp ("yolopublish-XXXXXX", NULL);
  gchar *text = g_build_filename (dir, "ca.txt", NULL);
  gchar *pem = g_build_filename (dir, "ca.pem", NULL);
  gchar *props;

  fail_unless (g_file_set_contents (text, "not a certificate\n", -1, NULL));
  fail_unless (g_file_set_contents (pem, "-----BEGIN CERTIFICATE-----\n"
          "-----END CERTIFICATE-----\n", -1, NULL));

  check_start_error ("topic=a/+/b", "Invalid MQTT topic \"a/+/b\"");
  check_start_error ("topic=cam/#", "Invalid MQTT topic");
  check_start_error ("topic=\"\"", "Invalid MQTT topic");
  check_start_error ("address=\"\"", "No MQTT broker address");
  props = g_strdup_printf ("Could not read tls-ca-file \"/nonexistent/ca.pem\""
      ": %s", g_strerror (ENOENT));
  check_start_error ("tls-ca-file=/nonexistent/ca.pem", props);
  g_free (props);
  props = g_strdup_printf ("tls-ca-file=%s", text);
  check_start_error (props, "is not a PEM file");
  g_free (props);
  check_start_error ("tls-ca-file=/dev/zero",
      "Could not read tls-ca-file \"/dev/zero\": not a regular file");
  props = g_strdup_printf ("tls-ca-file=%s", dir);
  check_start_error (props, "Could not read tls-ca-file");
  g_free (props);
  props = g_strdup_printf ("tls-ca-file=%s tls-cert-file=%s", pem, pem);
  check_start_error (props, "tls-cert-file and tls-key-file go together");
  g_free (props);
  props = g_strdup_printf ("tls-cert-file=%s tls-key-file=%s", pem, pem);
  check_start_error (props, "need tls-ca-file");
  g_free (props);
  check_start_error ("password=secret", "A password needs a username");

  g_unlink (text);
  g_unlink (pem);
  g_rmdir (dir);
  g_free (text);
  g_free (pem);
  g_free (dir);
}

GST_END_TEST;

static Suite *
yolopublish_suite (void)
{
  Suite *s = suite_create ("yolopublish");
  TCase *tc = tcase_create ("general");

  if (!GST_ELEMENT_REGISTER (yolo_publish, NULL))
    g_error ("cannot register yolopublish");
  mosquitto_lib_init ();

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_bad_config);
  tcase_add_test (tc, test_every_frame);
  tcase_add_test (tc, test_broker_restart);
  tcase_add_test (tc, test_broker_absent_at_start);
  tcase_add_test (tc, test_eos_wait_bounded);
  tcase_add_test (tc, test_stop_during_eos_wait);
  tcase_add_test (tc, test_flush_during_eos_wait);
  tcase_add_test (tc, test_retain_client_id_keep_alive);
  tcase_add_test (tc, test_tls);
  tcase_add_test (tc, test_garbage_peer);
  tcase_add_test (tc, test_username_password);
  return s;
}

GST_CHECK_MAIN (yolopublish);
