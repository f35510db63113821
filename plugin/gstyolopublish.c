/* gst-yolo
 * Copyright (C) 2025 gst-yolo authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Library General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */

/**
 * SECTION:element-yolopublish
 * @title: yolopublish
 *
 * Pass-through element that publishes the detections of every frame to an
 * MQTT broker: one message per frame on #GstYoloPublish:topic, whose payload
 * is the yolojson object of the frame (see #GstYoloJson; `frame` counts
 * buffers from 0 since the element started):
 *
 * |[
 * {"pts":40000000,"frame":1,"width":1280,"height":720,"objects":[
 *   {"label":"person","label_id":0,"confidence":0.91,
 *    "x":672,"y":374,"w":137,"h":505}]}
 * ]|
 *
 * The MQTT client is libmosquitto (MQTT 3.1.1) with its own network thread
 * (mosquitto_loop_start()); the streaming thread never waits for the
 * network. Each frame's message goes into a queue of at most
 * #GstYoloPublish:max-queue messages; when it is full the oldest message is
 * dropped and #GstYoloPublish:dropped counts it. Messages leave the queue
 * while the client is connected, at most 32 at a time not yet sent (QoS 0)
 * or acknowledged (QoS 1 and 2; libmosquitto sends those again after a
 * reconnect). With QoS 0, messages handed to libmosquitto but not yet
 * written when the connection drops are lost and counted in `dropped` too.
 *
 * A broker that cannot be reached, at start or later, is not an error: the
 * client reconnects with a growing delay from
 * #GstYoloPublish:reconnect-delay to #GstYoloPublish:reconnect-delay-max
 * seconds (mosquitto_reconnect_delay_set()) while frames keep flowing and
 * the queue keeps the newest messages. A broker that refuses the login
 * (CONNACK code) gives one element warning and the client keeps trying.
 * Settings that can never work (an invalid topic, an unreadable or non-PEM
 * TLS file, a certificate without its key, a password without a username,
 * a bad client id) fail the state change with an element error; so does a
 * failed TLS handshake (wrong CA, certificate not for the address, client
 * certificate refused), after which libmosquitto does not retry.
 * At end of stream the element waits up to #GstYoloPublish:flush-timeout
 * milliseconds for the queued messages to be sent (QoS 0) or acknowledged;
 * messages still undelivered then (no broker, or one that does not
 * acknowledge in time) are an element error naming their count, so the
 * pipeline does not end as if every frame had been published.
 *
 * Why a transform and not a sink: the video goes on (to a display, an
 * encoder, a recorder) without a tee; end the pipeline with fakesink to
 * use it as a sink.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e rtspsrc location=rtsp://camera/stream ! decodebin ! \
 *     videoconvert ! yolodetect model=yolov8n.onnx ! \
 *     yolopublish address=broker.local topic=site1/cam1/detections qos=1 ! \
 *     fakesink
 * ]|
 *
 * Since: 0.1
 */

#include "config.h"

#include "gstyolopublish.h"
#include "gstyolojsonframe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <mosquitto.h>

GST_DEBUG_CATEGORY_STATIC (gst_yolo_publish_debug);
#define GST_CAT_DEFAULT gst_yolo_publish_debug

/* messages handed to libmosquitto and not yet sent (QoS 0) or acknowledged
 * (QoS 1, 2); also libmosquitto's own in-flight limit */
#define YOLO_PUBLISH_WINDOW 32

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_TOPIC,
  PROP_QOS,
  PROP_RETAIN,
  PROP_CLIENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_TLS_CA_FILE,
  PROP_TLS_CERT_FILE,
  PROP_TLS_KEY_FILE,
  PROP_TLS_INSECURE,
  PROP_KEEP_ALIVE,
  PROP_MAX_QUEUE,
  PROP_RECONNECT_DELAY,
  PROP_RECONNECT_DELAY_MAX,
  PROP_FLUSH_TIMEOUT,
  PROP_DROPPED,
  PROP_CONNECTED,
};

#define DEFAULT_ADDRESS "localhost"
#define DEFAULT_PORT 1883
#define DEFAULT_TOPIC "gst-yolo/detections"
#define DEFAULT_QOS 0
#define DEFAULT_RETAIN FALSE
#define DEFAULT_KEEP_ALIVE 60
#define DEFAULT_MAX_QUEUE 100
#define DEFAULT_RECONNECT_DELAY 1
#define DEFAULT_RECONNECT_DELAY_MAX 30
#define DEFAULT_FLUSH_TIMEOUT 5000

typedef struct
{
  gchar *payload;
  gsize len;
} YoloPublishMessage;

struct _GstYoloPublish
{
  GstBaseTransform parent;

  /* properties, protected by the object lock */
  gchar *address;
  gint port;
  gchar *topic;
  gint qos;
  gboolean retain;
  gchar *client_id;
  gchar *username;
  gchar *password;
  gchar *tls_ca_file;
  gchar *tls_cert_file;
  gchar *tls_key_file;
  gboolean tls_insecure;
  gint keep_alive;
  gint max_queue;
  guint reconnect_delay;
  guint reconnect_delay_max;
  guint flush_timeout;

  /* settings of the running client (copied at start) */
  gchar *run_topic;
  gint run_qos;
  gboolean run_retain;

  /* streaming state */
  guint64 frame;
  gint width;
  gint height;
  struct mosquitto *mosq;

  /* shared with libmosquitto's thread, protected by lock */
  GMutex lock;
  GCond cond;                   /* signalled when a message leaves */
  GQueue queue;                 /* YoloPublishMessage, oldest first */
  GHashTable *in_flight;        /* message ids handed to libmosquitto */
  gboolean connected;
  gboolean refused_warned;
  gint tls_failed;              /* the TLS error was posted (atomic) */
  guint64 dropped;

  /* first connection when the broker was not there at start */
  GThread *connector;
  gboolean stopping;            /* protected by lock */
  guint run_delay, run_delay_max;
  /* the end-of-stream wait gives up: a stop or a flush (protected by lock) */
  gboolean flush_abort;
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

#define gst_yolo_publish_parent_class parent_class
G_DEFINE_TYPE (GstYoloPublish, gst_yolo_publish, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (yolo_publish, "yolopublish", GST_RANK_NONE,
    GST_TYPE_YOLO_PUBLISH);

static void gst_yolo_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_yolo_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static void gst_yolo_publish_finalize (GObject * object);
static gboolean gst_yolo_publish_start (GstBaseTransform * trans);
static gboolean gst_yolo_publish_stop (GstBaseTransform * trans);
static gboolean gst_yolo_publish_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_yolo_publish_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static GstStateChangeReturn gst_yolo_publish_change_state (GstElement *
    element, GstStateChange transition);
static GstFlowReturn gst_yolo_publish_transform_ip (GstBaseTransform * trans,
    GstBuffer * buf);

static gpointer
yolo_publish_lib_init (gpointer data)
{
  mosquitto_lib_init ();
  return NULL;
}

static void
gst_yolo_publish_class_init (GstYoloPublishClass * klass)
{
  static GOnce lib_once = G_ONCE_INIT;
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw_ready = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_yolo_publish_debug, "yolopublish", 0,
      "YOLO detections to an MQTT broker");
  g_once (&lib_once, yolo_publish_lib_init, NULL);

  gobject_class->set_property = gst_yolo_publish_set_property;
  gobject_class->get_property = gst_yolo_publish_get_property;
  gobject_class->finalize = gst_yolo_publish_finalize;

  /**
   * GstYoloPublish:address:
   *
   * Host name or IP address of the MQTT broker.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "Host name or IP address of the MQTT broker", DEFAULT_ADDRESS,
          rw_ready));
  /**
   * GstYoloPublish:port:
   *
   * TCP port of the broker (1883 plain, usually 8883 with TLS).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_int ("port", "Port", "TCP port of the MQTT broker",
          1, 65535, DEFAULT_PORT, rw_ready));
  /**
   * GstYoloPublish:topic:
   *
   * Topic of the messages (no `+` or `#` wildcards, valid UTF-8, at most
   * 65535 bytes); an invalid topic fails the state change.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TOPIC,
      g_param_spec_string ("topic", "Topic", "MQTT topic of the messages",
          DEFAULT_TOPIC, rw_ready));
  /**
   * GstYoloPublish:qos:
   *
   * MQTT quality of service: 0 at most once, 1 at least once, 2 exactly
   * once.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_QOS,
      g_param_spec_int ("qos", "QoS",
          "MQTT quality of service (0 at most once, 1 at least once, "
          "2 exactly once)", 0, 2, DEFAULT_QOS, rw_ready));
  /**
   * GstYoloPublish:retain:
   *
   * Publish with the MQTT retain flag (the broker keeps the last message
   * for new subscribers).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RETAIN,
      g_param_spec_boolean ("retain", "Retain",
          "Set the MQTT retain flag on the messages", DEFAULT_RETAIN,
          rw_ready));
  /**
   * GstYoloPublish:client-id:
   *
   * MQTT client identifier; NULL (default) lets libmosquitto make a random
   * one. Two clients with the same id on one broker disconnect each other.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CLIENT_ID,
      g_param_spec_string ("client-id", "Client ID",
          "MQTT client identifier (NULL: random)", NULL, rw_ready));
  /**
   * GstYoloPublish:username:
   *
   * User name for the broker (NULL: none).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_USERNAME,
      g_param_spec_string ("username", "User name",
          "User name for the broker (NULL: none)", NULL, rw_ready));
  /**
   * GstYoloPublish:password:
   *
   * Password for the broker, used with #GstYoloPublish:username.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_PASSWORD,
      g_param_spec_string ("password", "Password",
          "Password for the broker (with username)", NULL, rw_ready));
  /**
   * GstYoloPublish:tls-ca-file:
   *
   * PEM file of the certificate authorities that sign the broker's
   * certificate; setting it turns TLS on.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CA_FILE,
      g_param_spec_string ("tls-ca-file", "TLS CA file",
          "PEM file of the CA certificates (turns TLS on)", NULL, rw_ready));
  /**
   * GstYoloPublish:tls-cert-file:
   *
   * PEM file of this client's certificate (TLS client authentication;
   * needs #GstYoloPublish:tls-key-file and #GstYoloPublish:tls-ca-file).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_CERT_FILE,
      g_param_spec_string ("tls-cert-file", "TLS certificate file",
          "PEM file of the client certificate (with tls-key-file)", NULL,
          rw_ready));
  /**
   * GstYoloPublish:tls-key-file:
   *
   * PEM file of the private key of #GstYoloPublish:tls-cert-file (not
   * encrypted: there is no one to type a pass phrase).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS key file",
          "PEM file of the client's unencrypted private key", NULL, rw_ready));
  /**
   * GstYoloPublish:tls-insecure:
   *
   * Do not check that the broker's certificate names the host in
   * #GstYoloPublish:address (testing only: allows a man in the middle).
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_TLS_INSECURE,
      g_param_spec_boolean ("tls-insecure", "TLS insecure",
          "Do not check the broker certificate's host name", FALSE, rw_ready));
  /**
   * GstYoloPublish:keep-alive:
   *
   * MQTT keep-alive interval in seconds: the broker drops the client after
   * 1.5 times this without a packet, the client pings when idle.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_KEEP_ALIVE,
      g_param_spec_int ("keep-alive", "Keep alive",
          "MQTT keep-alive interval in seconds", 5, 65535,
          DEFAULT_KEEP_ALIVE, rw_ready));
  /**
   * GstYoloPublish:max-queue:
   *
   * Messages kept while they cannot be sent (broker away, slow network);
   * when the queue is full the oldest is dropped and counted in
   * #GstYoloPublish:dropped.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE,
      g_param_spec_int ("max-queue", "Max queue",
          "Messages kept while they cannot be sent (then the oldest is "
          "dropped)", 1, G_MAXINT, DEFAULT_MAX_QUEUE, rw_ready));
  /**
   * GstYoloPublish:reconnect-delay:
   *
   * Seconds before the first reconnection attempt; each further attempt
   * waits twice as long, up to #GstYoloPublish:reconnect-delay-max.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY,
      g_param_spec_uint ("reconnect-delay", "Reconnect delay",
          "Seconds before the first reconnection attempt (doubles each "
          "time)", 1, 3600, DEFAULT_RECONNECT_DELAY, rw_ready));
  /**
   * GstYoloPublish:reconnect-delay-max:
   *
   * Longest wait between reconnection attempts, in seconds.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY_MAX,
      g_param_spec_uint ("reconnect-delay-max", "Reconnect delay max",
          "Longest wait between reconnection attempts in seconds", 1, 3600,
          DEFAULT_RECONNECT_DELAY_MAX, rw_ready));
  /**
   * GstYoloPublish:flush-timeout:
   *
   * At end of stream, how long to wait for the queued messages to be sent
   * (QoS 0) or acknowledged (QoS 1, 2), in milliseconds.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_FLUSH_TIMEOUT,
      g_param_spec_uint ("flush-timeout", "Flush timeout",
          "Longest wait at end of stream for queued messages, in ms", 0,
          G_MAXUINT, DEFAULT_FLUSH_TIMEOUT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  /**
   * GstYoloPublish:dropped:
   *
   * Messages dropped since start: pushed out of a full queue, too large
   * for the broker, or (QoS 0) lost with a connection.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_DROPPED,
      g_param_spec_uint64 ("dropped", "Dropped",
          "Messages dropped since start", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  /**
   * GstYoloPublish:connected:
   *
   * Whether the client is connected to the broker now.
   *
   * Since: 0.1
   */
  g_object_class_install_property (gobject_class, PROP_CONNECTED,
      g_param_spec_boolean ("connected", "Connected",
          "Whether the client is connected to the broker", FALSE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "YOLO detections to MQTT", "Filter/Analyzer/Video",
      "Publishes region-of-interest metas as one JSON message per frame "
      "to an MQTT broker", "gst-yolo authors");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_yolo_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_yolo_publish_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_yolo_publish_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_yolo_publish_sink_event);
  element_class->change_state =
      GST_DEBUG_FUNCPTR (gst_yolo_publish_change_state);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_yolo_publish_transform_ip);
}

static void
yolo_publish_message_free (gpointer data)
{
  YoloPublishMessage *m = data;

  g_free (m->payload);
  g_free (m);
}

static void
gst_yolo_publish_init (GstYoloPublish * self)
{
  self->address = g_strdup (DEFAULT_ADDRESS);
  self->port = DEFAULT_PORT;
  self->topic = g_strdup (DEFAULT_TOPIC);
  self->qos = DEFAULT_QOS;
  self->retain = DEFAULT_RETAIN;
  self->keep_alive = DEFAULT_KEEP_ALIVE;
  self->max_queue = DEFAULT_MAX_QUEUE;
  self->reconnect_delay = DEFAULT_RECONNECT_DELAY;
  self->reconnect_delay_max = DEFAULT_RECONNECT_DELAY_MAX;
  self->flush_timeout = DEFAULT_FLUSH_TIMEOUT;

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  self->in_flight = g_hash_table_new (g_direct_hash, g_direct_equal);

  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_yolo_publish_finalize (GObject * object)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (object);

  g_free (self->address);
  g_free (self->topic);
  g_free (self->client_id);
  g_free (self->username);
  g_free (self->password);
  g_free (self->tls_ca_file);
  g_free (self->tls_cert_file);
  g_free (self->tls_key_file);
  g_free (self->run_topic);
  g_queue_clear_full (&self->queue, yolo_publish_message_free);
  g_hash_table_unref (self->in_flight);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* an empty string means "not set" for the optional string properties */
static void
yolo_publish_set_string (gchar ** field, const GValue * value,
    const gchar * fallback)
{
  const gchar *s = g_value_get_string (value);

  g_free (*field);
  if (s == NULL || (*s == '\0' && fallback == NULL))
    *field = g_strdup (fallback);
  else
    *field = g_strdup (s);
}

static void
gst_yolo_publish_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      yolo_publish_set_string (&self->address, value, DEFAULT_ADDRESS);
      break;
    case PROP_PORT:
      self->port = g_value_get_int (value);
      break;
    case PROP_TOPIC:
      yolo_publish_set_string (&self->topic, value, DEFAULT_TOPIC);
      break;
    case PROP_QOS:
      self->qos = g_value_get_int (value);
      break;
    case PROP_RETAIN:
      self->retain = g_value_get_boolean (value);
      break;
    case PROP_CLIENT_ID:
      yolo_publish_set_string (&self->client_id, value, NULL);
      break;
    case PROP_USERNAME:
      yolo_publish_set_string (&self->username, value, NULL);
      break;
    case PROP_PASSWORD:
      yolo_publish_set_string (&self->password, value, NULL);
      break;
    case PROP_TLS_CA_FILE:
      yolo_publish_set_string (&self->tls_ca_file, value, NULL);
      break;
    case PROP_TLS_CERT_FILE:
      yolo_publish_set_string (&self->tls_cert_file, value, NULL);
      break;
    case PROP_TLS_KEY_FILE:
      yolo_publish_set_string (&self->tls_key_file, value, NULL);
      break;
    case PROP_TLS_INSECURE:
      self->tls_insecure = g_value_get_boolean (value);
      break;
    case PROP_KEEP_ALIVE:
      self->keep_alive = g_value_get_int (value);
      break;
    case PROP_MAX_QUEUE:
      self->max_queue = g_value_get_int (value);
      break;
    case PROP_RECONNECT_DELAY:
      self->reconnect_delay = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_DELAY_MAX:
      self->reconnect_delay_max = g_value_get_uint (value);
      break;
    case PROP_FLUSH_TIMEOUT:
      self->flush_timeout = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_yolo_publish_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (object);

  if (prop_id == PROP_DROPPED || prop_id == PROP_CONNECTED) {
    g_mutex_lock (&self->lock);
    if (prop_id == PROP_DROPPED)
      g_value_set_uint64 (value, self->dropped);
    else
      g_value_set_boolean (value, self->connected);
    g_mutex_unlock (&self->lock);
    return;
  }

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, self->address);
      break;
    case PROP_PORT:
      g_value_set_int (value, self->port);
      break;
    case PROP_TOPIC:
      g_value_set_string (value, self->topic);
      break;
    case PROP_QOS:
      g_value_set_int (value, self->qos);
      break;
    case PROP_RETAIN:
      g_value_set_boolean (value, self->retain);
      break;
    case PROP_CLIENT_ID:
      g_value_set_string (value, self->client_id);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    case PROP_TLS_CA_FILE:
      g_value_set_string (value, self->tls_ca_file);
      break;
    case PROP_TLS_CERT_FILE:
      g_value_set_string (value, self->tls_cert_file);
      break;
    case PROP_TLS_KEY_FILE:
      g_value_set_string (value, self->tls_key_file);
      break;
    case PROP_TLS_INSECURE:
      g_value_set_boolean (value, self->tls_insecure);
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_int (value, self->keep_alive);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_int (value, self->max_queue);
      break;
    case PROP_RECONNECT_DELAY:
      g_value_set_uint (value, self->reconnect_delay);
      break;
    case PROP_RECONNECT_DELAY_MAX:
      g_value_set_uint (value, self->reconnect_delay_max);
      break;
    case PROP_FLUSH_TIMEOUT:
      g_value_set_uint (value, self->flush_timeout);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* Hands queued messages to libmosquitto while connected and the window has
 * room. libmosquitto's threaded mode only queues the packet and wakes its
 * thread, so this never waits for the network. Called with self->lock. */
static void
yolo_publish_drain_locked (GstYoloPublish * self)
{
  while (self->connected && self->mosq != NULL
      && !g_queue_is_empty (&self->queue)
      && g_hash_table_size (self->in_flight) < YOLO_PUBLISH_WINDOW) {
    YoloPublishMessage *m = g_queue_peek_head (&self->queue);
    int mid = 0, rc;

    rc = mosquitto_publish (self->mosq, &mid, self->run_topic, (int) m->len,
        m->payload, self->run_qos, self->run_retain);
    if (rc == MOSQ_ERR_SUCCESS) {
      g_hash_table_add (self->in_flight, GINT_TO_POINTER (mid));
    } else if (rc == MOSQ_ERR_PAYLOAD_SIZE || rc == MOSQ_ERR_OVERSIZE_PACKET) {
      GST_WARNING_OBJECT (self, "message of %" G_GSIZE_FORMAT " bytes "
          "dropped: %s", m->len, mosquitto_strerror (rc));
      self->dropped++;
    } else {
      /* not connected after all (the disconnect callback follows), or out
       * of memory: keep the message, try again later */
      GST_DEBUG_OBJECT (self, "publish: %s", mosquitto_strerror (rc));
      break;
    }
    yolo_publish_message_free (g_queue_pop_head (&self->queue));
  }
  g_cond_broadcast (&self->cond);
}

/* libmosquitto's thread */
static void
yolo_publish_on_connect (struct mosquitto *mosq, void *obj, int rc)
{
  GstYoloPublish *self = obj;
  gboolean warn = FALSE;

  g_mutex_lock (&self->lock);
  if (rc == 0) {
    self->connected = TRUE;
    self->refused_warned = FALSE;
    yolo_publish_drain_locked (self);
  } else if (!self->refused_warned) {
    self->refused_warned = warn = TRUE;
  }
  g_mutex_unlock (&self->lock);

  if (rc == 0) {
    GST_INFO_OBJECT (self, "connected to the broker");
  } else if (warn) {
    GST_ELEMENT_WARNING (self, RESOURCE, OPEN_WRITE,
        ("The MQTT broker refused the connection: %s.",
            mosquitto_connack_string (rc)), ("CONNACK code %d", rc));
  } else {
    GST_DEBUG_OBJECT (self, "refused again: %s", mosquitto_connack_string (rc));
  }
}

/* a TLS setup or handshake failure: the files or the broker's certificate
 * do not fit (wrong CA, host name, client certificate refused); libmosquitto
 * does not retry after one */
static void
yolo_publish_tls_error (GstYoloPublish * self)
{
  /* once: from the failed handshake's log line or the disconnect (atomic,
   * not the lock: libmosquitto may log while the lock is held) */
  if (!g_atomic_int_compare_and_exchange (&self->tls_failed, 0, 1))
    return;
  GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
      ("TLS with the MQTT broker failed."),
      ("Does tls-ca-file hold the CA of the broker's certificate, and does "
          "the certificate name the address (or set tls-insecure)? Do "
          "tls-cert-file and tls-key-file hold a client certificate and key "
          "the broker accepts?"));
}

static void
yolo_publish_on_disconnect (struct mosquitto *mosq, void *obj, int rc)
{
  GstYoloPublish *self = obj;
  guint lost = 0;

  g_mutex_lock (&self->lock);
  self->connected = FALSE;
  if (self->run_qos == 0) {
    /* libmosquitto discards QoS 0 packets it has not written */
    lost = g_hash_table_size (self->in_flight);
    self->dropped += lost;
    g_hash_table_remove_all (self->in_flight);
  }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  switch (rc) {
    case MOSQ_ERR_TLS:
      /* libmosquitto's thread stops after a failed handshake: no retries */
      yolo_publish_tls_error (self);
      return;
      /* the others after which mosquitto_loop_forever() returns */
    case MOSQ_ERR_NOMEM:
    case MOSQ_ERR_PROTOCOL:
    case MOSQ_ERR_INVAL:
    case MOSQ_ERR_NOT_FOUND:
    case MOSQ_ERR_PAYLOAD_SIZE:
    case MOSQ_ERR_NOT_SUPPORTED:
    case MOSQ_ERR_AUTH:
    case MOSQ_ERR_ACL_DENIED:
    case MOSQ_ERR_UNKNOWN:
    case MOSQ_ERR_EAI:
    case MOSQ_ERR_PROXY:
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
          ("The MQTT connection failed for good: %s",
              mosquitto_strerror (rc)),
          ("libmosquitto does not reconnect after this error (code %d); is "
              "the peer an MQTT 3.1.1 broker?", rc));
      return;
    default:
      break;
  }
  if (rc != 0)
    GST_WARNING_OBJECT (self, "lost the broker (%s), %u QoS 0 messages "
        "lost; reconnecting", mosquitto_strerror (rc), lost);
  else
    GST_INFO_OBJECT (self, "disconnected");
}

static void
yolo_publish_on_publish (struct mosquitto *mosq, void *obj, int mid)
{
  GstYoloPublish *self = obj;

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->in_flight, GINT_TO_POINTER (mid));
  yolo_publish_drain_locked (self);
  g_mutex_unlock (&self->lock);
}

static void
yolo_publish_on_log (struct mosquitto *mosq, void *obj, int level,
    const char *str)
{
  GstYoloPublish *self = obj;

  if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
    GST_WARNING_OBJECT (self, "libmosquitto: %s", str);
  else
    GST_LOG_OBJECT (self, "libmosquitto: %s", str);
  /* A failed TLS handshake (wrong CA, certificate refused) is logged as an
   * OpenSSL error, but libmosquitto 2.0 does not always call on_disconnect
   * with MOSQ_ERR_TLS after it: it may stop without any callback, and the
   * element would wait for a connection that never comes. */
  if ((level & MOSQ_LOG_ERR) && g_str_has_prefix (str, "OpenSSL Error")
      && !g_atomic_int_get (&self->connected))
    yolo_publish_tls_error (self);
}

/* An encrypted key would make OpenSSL ask on the terminal: give no pass
 * phrase, so loading such a key fails instead. */
static int
yolo_publish_no_passphrase (char *buf, int size, int rwflag, void *userdata)
{
  return 0;
}

/* TLS files must be readable PEM files (OpenSSL loads all three as PEM);
 * libmosquitto only parses them when it connects. */
static gboolean
yolo_publish_check_pem (GstYoloPublish * self, const gchar * prop,
    const gchar * path)
{
  /* "-----BEGIN " must come within the first 64 KiB (a CA bundle may
   * start with comments; a PEM block is never that far down) */
  gchar head[64 * 1024 + 1];
  GStatBuf st;
  FILE *f = NULL;
  gsize n;

  errno = 0;
  /* not /dev/zero, a FIFO (opening one would wait) or a folder */
  if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode)
      || (f = g_fopen (path, "rb")) == NULL) {
    const gchar *why = errno != 0 ? g_strerror (errno) : "not a regular file";

    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
        ("Could not read %s \"%s\": %s.", prop, path, why), ("%s", why));
    return FALSE;
  }
  n = fread (head, 1, sizeof (head) - 1, f);
  fclose (f);
  head[n] = '\0';
  if (memchr (head, '\0', n) != NULL
      || g_strstr_len (head, n, "-----BEGIN ") == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("%s \"%s\" is not a PEM file.", prop, path),
        ("no \"-----BEGIN \" line in its first %" G_GSIZE_FORMAT " bytes",
            sizeof (head) - 1));
    return FALSE;
  }
  return TRUE;
}

/* libmosquitto's network thread takes over reconnecting once a connection
 * was set up (also one still in progress); until then, when the broker
 * was not there at start (refused, host not found), this thread tries
 * again with the same back-off. */
static gpointer
yolo_publish_connector (gpointer data)
{
  GstYoloPublish *self = data;
  guint delay = self->run_delay;
  guint tries = 0;

  g_mutex_lock (&self->lock);
  while (!self->stopping) {
    gint64 deadline = g_get_monotonic_time () +
        (gint64) delay * G_TIME_SPAN_SECOND;
    int rc;

    while (!self->stopping
        && g_cond_wait_until (&self->cond, &self->lock, deadline));
    if (self->stopping)
      break;
    g_mutex_unlock (&self->lock);
    rc = mosquitto_reconnect_async (self->mosq);
    tries++;
    g_mutex_lock (&self->lock);
    if (rc == MOSQ_ERR_SUCCESS) {
      GST_DEBUG_OBJECT (self, "connecting after %u tries", tries);
      break;
    }
    GST_DEBUG_OBJECT (self, "broker still not reachable (%s), next try in "
        "%u s", rc == MOSQ_ERR_ERRNO ? g_strerror (errno) :
        mosquitto_strerror (rc), delay);
    delay = MIN (delay * 2, self->run_delay_max);
  }
  g_mutex_unlock (&self->lock);
  return NULL;
}

static gboolean
gst_yolo_publish_start (GstBaseTransform * trans)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (trans);
  gchar *address, *client_id, *username, *password, *ca, *cert, *key;
  gint port, keep_alive;
  guint delay, delay_max;
  gboolean insecure, ok = FALSE;
  int rc;

  GST_OBJECT_LOCK (self);
  address = g_strdup (self->address);
  port = self->port;
  g_free (self->run_topic);
  self->run_topic = g_strdup (self->topic);
  self->run_qos = self->qos;
  self->run_retain = self->retain;
  client_id = g_strdup (self->client_id);
  username = g_strdup (self->username);
  password = g_strdup (self->password);
  ca = g_strdup (self->tls_ca_file);
  cert = g_strdup (self->tls_cert_file);
  key = g_strdup (self->tls_key_file);
  insecure = self->tls_insecure;
  keep_alive = self->keep_alive;
  delay = self->reconnect_delay;
  delay_max = MAX (self->reconnect_delay_max, delay);
  GST_OBJECT_UNLOCK (self);

  self->frame = 0;
  self->width = 0;
  self->height = 0;
  self->dropped = 0;
  self->connected = FALSE;
  self->refused_warned = FALSE;
  g_atomic_int_set (&self->tls_failed, 0);
  self->stopping = FALSE;
  self->flush_abort = FALSE;
  self->run_delay = delay;
  self->run_delay_max = delay_max;

  rc = mosquitto_pub_topic_check (self->run_topic);
  if (*self->run_topic == '\0' || rc != MOSQ_ERR_SUCCESS) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid MQTT topic \"%s\".", self->run_topic),
        ("%s", *self->run_topic == '\0' ? "empty topic" :
            "a topic to publish to has no '+' or '#' and is valid UTF-8"));
    goto out;
  }
  if (self->run_qos < 0 || self->run_qos > 2) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("MQTT qos %d is out of range (0-2).", self->run_qos), (NULL));
    goto out;
  }
  if (*address == '\0') {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("No MQTT broker address."), (NULL));
    goto out;
  }
  if ((cert != NULL) != (key != NULL)) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("tls-cert-file and tls-key-file go together: set both or neither."),
        (NULL));
    goto out;
  }
  if (cert != NULL && ca == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("TLS client certificates need tls-ca-file."), (NULL));
    goto out;
  }
  if (password != NULL && username == NULL) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("A password needs a username."), (NULL));
    goto out;
  }
  if ((ca != NULL && !yolo_publish_check_pem (self, "tls-ca-file", ca))
      || (cert != NULL && !yolo_publish_check_pem (self, "tls-cert-file", cert))
      || (key != NULL && !yolo_publish_check_pem (self, "tls-key-file", key)))
    goto out;

  self->mosq = mosquitto_new (client_id, TRUE, self);
  if (self->mosq == NULL) {
    if (errno == EINVAL)
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Invalid MQTT client-id \"%s\".", client_id ? client_id : ""),
          ("must be valid UTF-8, at most 65535 bytes"));
    else
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not create the MQTT client."), ("%s", g_strerror (errno)));
    goto out;
  }
  mosquitto_connect_callback_set (self->mosq, yolo_publish_on_connect);
  mosquitto_disconnect_callback_set (self->mosq, yolo_publish_on_disconnect);
  mosquitto_publish_callback_set (self->mosq, yolo_publish_on_publish);
  mosquitto_log_callback_set (self->mosq, yolo_publish_on_log);
  mosquitto_reconnect_delay_set (self->mosq, delay, delay_max, TRUE);
  mosquitto_max_inflight_messages_set (self->mosq, YOLO_PUBLISH_WINDOW);

  if (username != NULL
      && (rc = mosquitto_username_pw_set (self->mosq, username,
              password)) != MOSQ_ERR_SUCCESS) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Invalid MQTT username or password."), ("%s",
            mosquitto_strerror (rc)));
    goto out;
  }
  if (ca != NULL) {
    rc = mosquitto_tls_set (self->mosq, ca, NULL, cert, key,
        yolo_publish_no_passphrase);
    if (rc == MOSQ_ERR_SUCCESS)
      rc = mosquitto_tls_insecure_set (self->mosq, insecure);
    if (rc != MOSQ_ERR_SUCCESS) {
      GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
          ("Could not use the TLS files (tls-ca-file \"%s\", tls-cert-file "
              "\"%s\", tls-key-file \"%s\").", ca, cert ? cert : "",
              key ? key : ""), ("%s", mosquitto_strerror (rc)));
      goto out;
    }
  }

  /* a broker that is not there yet is not an error: the network thread
   * reconnects with back-off */
  rc = mosquitto_connect_async (self->mosq, address, port, keep_alive);
  if (rc == MOSQ_ERR_TLS) {
    yolo_publish_tls_error (self);
    goto out;
  } else if (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_NOMEM) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not set up the MQTT connection to %s:%d.", address, port),
        ("%s", mosquitto_strerror (rc)));
    goto out;
  }
  if (rc != MOSQ_ERR_SUCCESS)
    GST_WARNING_OBJECT (self, "broker %s:%d not reachable (%s), will retry "
        "every %u to %u s", address, port, rc == MOSQ_ERR_ERRNO ?
        g_strerror (errno) : mosquitto_strerror (rc), delay, delay_max);
  {
    int lrc = mosquitto_loop_start (self->mosq);

    if (lrc != MOSQ_ERR_SUCCESS) {
      GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
          ("Could not start the MQTT network thread."), ("%s",
              mosquitto_strerror (lrc)));
      goto out;
    }
  }
  /* libmosquitto's thread waits for a first connection set up by someone
   * else: keep trying */
  if (rc != MOSQ_ERR_SUCCESS)
    self->connector = g_thread_new ("yolopublish-connect",
        yolo_publish_connector, self);
  GST_DEBUG_OBJECT (self, "publishing to %s:%d topic \"%s\" qos %d",
      address, port, self->run_topic, self->run_qos);
  ok = TRUE;

out:
  if (!ok && self->mosq != NULL) {
    mosquitto_destroy (self->mosq);
    self->mosq = NULL;
  }
  g_free (address);
  g_free (client_id);
  g_free (username);
  g_free (password);
  g_free (ca);
  g_free (cert);
  g_free (key);
  return ok;
}

static gboolean
gst_yolo_publish_stop (GstBaseTransform * trans)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (trans);
  struct mosquitto *mosq = self->mosq;

  if (self->connector != NULL) {
    g_mutex_lock (&self->lock);
    self->stopping = TRUE;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
    g_thread_join (self->connector);
    self->connector = NULL;
  }
  if (mosq != NULL) {
    /* marks the client disconnecting, so the network thread ends (also out
     * of a reconnect wait) */
    mosquitto_disconnect (mosq);
    mosquitto_loop_stop (mosq, FALSE);
  }
  g_mutex_lock (&self->lock);
  self->mosq = NULL;
  self->connected = FALSE;
  if (!g_queue_is_empty (&self->queue))
    GST_INFO_OBJECT (self, "%u messages not sent at stop",
        g_queue_get_length (&self->queue));
  g_queue_clear_full (&self->queue, yolo_publish_message_free);
  g_hash_table_remove_all (self->in_flight);
  g_mutex_unlock (&self->lock);
  if (mosq != NULL)
    mosquitto_destroy (mosq);
  return TRUE;
}

static gboolean
gst_yolo_publish_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (trans);
  GstStructure *s = gst_caps_get_structure (incaps, 0);

  self->width = 0;
  self->height = 0;
  gst_structure_get_int (s, "width", &self->width);
  gst_structure_get_int (s, "height", &self->height);
  return TRUE;
}

/* waits, up to flush-timeout, until every message is sent or acknowledged */
static void
yolo_publish_flush (GstYoloPublish * self)
{
  gint64 deadline;
  guint timeout, queued, in_flight;
  gboolean connected, aborted;
  gchar *address;
  gint port;

  GST_OBJECT_LOCK (self);
  timeout = self->flush_timeout;
  address = g_strdup (self->address);
  port = self->port;
  GST_OBJECT_UNLOCK (self);
  deadline =
      g_get_monotonic_time () + (gint64) timeout *G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&self->lock);
  while ((!g_queue_is_empty (&self->queue)
          || g_hash_table_size (self->in_flight) > 0) && !self->flush_abort
      && g_cond_wait_until (&self->cond, &self->lock, deadline));
  queued = g_queue_get_length (&self->queue);
  in_flight = g_hash_table_size (self->in_flight);
  connected = self->connected;
  aborted = self->flush_abort;
  g_mutex_unlock (&self->lock);

  /* stopped or flushed meanwhile: what is left is dropped by the stop or
   * sent after the flush; no error */
  if (aborted) {
    GST_INFO_OBJECT (self, "end-of-stream wait ended by a stop or a flush "
        "with %u messages queued, %u not acknowledged", queued, in_flight);
    g_free (address);
    return;
  }

  /* the detections of these frames are lost: an error, so that the
   * pipeline (gst-launch-1.0) ends with a non-zero status, not silently */
  if (queued + in_flight > 0)
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE,
        ("%u detection messages were not delivered to the MQTT broker "
            "%s:%d by the end of the stream (%s).", queued + in_flight,
            address, port, connected ? "the broker did not acknowledge them "
            "in time" : "not connected to it"),
        ("%u queued, %u sent but not acknowledged after flush-timeout %u ms",
            queued, in_flight, timeout));
  else
    GST_DEBUG_OBJECT (self, "end of stream: all messages sent");
  g_free (address);
}

/* Ends (abort) or allows again the end-of-stream wait for the queue. */
static void
yolo_publish_set_flush_abort (GstYoloPublish * self, gboolean abort)
{
  g_mutex_lock (&self->lock);
  self->flush_abort = abort;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static GstStateChangeReturn
gst_yolo_publish_change_state (GstElement * element, GstStateChange transition)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (element);

  /* the end-of-stream wait (up to flush-timeout) holds the streaming
   * thread, which the pads' deactivation waits for: end it first */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    yolo_publish_set_flush_abort (self, TRUE);
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_yolo_publish_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (trans);

  /* a flush (seek) ends an end-of-stream wait; the stream goes on after */
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START)
    yolo_publish_set_flush_abort (self, TRUE);
  else if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    yolo_publish_set_flush_abort (self, FALSE);

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->mosq != NULL)
    yolo_publish_flush (self);

  return GST_BASE_TRANSFORM_CLASS (parent_class)->sink_event (trans, event);
}

static GstFlowReturn
gst_yolo_publish_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstYoloPublish *self = GST_YOLO_PUBLISH (trans);
  YoloPublishMessage *m = g_new (YoloPublishMessage, 1);
  gint max_queue;

  GST_OBJECT_LOCK (self);
  max_queue = self->max_queue;
  GST_OBJECT_UNLOCK (self);

  m->payload = gst_yolo_json_frame_to_string (buf, self->frame, self->width,
      self->height, &m->len);
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %s", self->frame,
      m->payload);

  g_mutex_lock (&self->lock);
  g_queue_push_tail (&self->queue, m);
  while (g_queue_get_length (&self->queue) > (guint) max_queue) {
    yolo_publish_message_free (g_queue_pop_head (&self->queue));
    self->dropped++;
  }
  yolo_publish_drain_locked (self);
  g_mutex_unlock (&self->lock);

  self->frame++;
  return GST_FLOW_OK;
}
