/* siagad: the edge server. One libuv loop drives sg_http (the HTTP API),
 * libwebsockets (console WebSockets, handed over by sg_http at the upgrade)
 * and the hiredis connections; Redis holds all state, so any number of siagad
 * processes can serve the same region. */
#include <errno.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "api/api.h"
#include "api/commands.h"
#include "citizen/citizen.h"
#include "core/error.h"
#include "core/log.h"
#include "siaga_version.h"
#include "core/hostport.h"
#include "dispatch/dispatch.h"
#include "http/router.h"
#include "http/server.h"
#include "api/assets.h"
#include "api/health.h"
#include "ws/admitted.h"
#include "ws/gate.h"
#include "ws/hub.h"
#include "ws/responder.h"
#include "store/cluster.h"
#include "store/ingest.h"
#include "store/keys.h"
#include "http/limit.h"
#include "http/listener.h"
#include "store/redisconn.h"
#include "sms/inbound.h"
#include "sms/outbound.h"
#include "siagad/options.h"
#include "triage/protocol.h"
#include "http/url.h"
#include "http/metrics_http.h"
#include "core/metrics.h"
#include "siagad/check.h"
#include "siagad/metrics.h"

#define DRAIN_MAX_MS 5000 /* a stop waits this long at most for clients to finish */
#define DRAIN_TICK_MS 20

typedef struct sg_siagad_options options;

typedef struct server {
  uv_loop_t *loop;
  struct lws_context *lws;
  sg_http *http;
  sg_listener *listener;
  sg_redis *redis;
  sg_redis *ingest_redis; /* with --min-replicas: ingest's own, for WAIT */
  sg_ingest *ingest;
  sg_hub *hub;
  sg_commands *commands;
  sg_dispatch *dispatch;
  sg_admitted *admitted;   /* identities from the gate, for the hub and the responders */
  sg_responder *responder; /* units' crews on /v1/responder */
  sg_sms *sms;
  sg_sms_outbound *smsout;
  sg_api *api;
  sg_health *health; /* GET /healthz */
  sg_auth *auth;
  sg_gate *gate;
  sg_assets *assets;
  sg_citizen *citizen;
  sg_http_router *router;            /* /v1/sms/ to sms, citizens' paths, the rest to api */
  sg_metrics *metrics;               /* every series of GET /metrics, outlives what counts */
  sg_metrics_http *metrics_http;     /* GET /metrics, and the request counters */
  sg_siagad_metrics *siagad_metrics; /* the hub's counting observer */
  sg_http_limit *limit;              /* per-address limits in front of the router */
  struct lws_protocols protocols[7]; /* lws keeps pointing at these */
  void *foreign_loops[1];
  uv_signal_t sigint, sigterm;
  int signals;               /* how many of sigint, sigterm are initialised */
  uv_timer_t shutdown_timer; /* the drain's ticks, then the shutdown's second step */
  int stopping;
  uint64_t drain_since; /* loop time the drain began */
} server;

/* lws sees only WebSocket upgrades (sg_http serves plain HTTP). protocols[0]
 * gets those that name no known subprotocol, and refuses them; an HTTP
 * request that still reaches lws is answered 404 by the dummy. */
static int on_unclaimed(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len) {
  if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
    return 1;
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* A WebSocket upgrade the gate admitted (ws/gate.h): the hub learns who it
 * is, then lws parses the handshake from the bytes as if it had just read
 * them, and owns the socket from now on (it closes it itself if adoption
 * fails). */
static void on_admitted(void *data, int fd, const char *bytes, size_t len, const sg_identity *who,
                        const char *token) {
  server *srv = data;
  struct lws_vhost *vhost = srv->lws != NULL ? lws_get_vhost_by_name(srv->lws, "default") : NULL;
  if (who == NULL && sg_http_limit_follow(srv->limit, fd) != 0) {
    close(fd); /* over the address's lookups: answered 429 */
    return;
  }
  /* who is NULL for a citizen's /v1/follow: no session to hand over. */
  int rc = who == NULL                      ? 0
           : who->role == SG_ROLE_RESPONDER ? sg_responder_admit(srv->responder, fd, who, token)
                                            : sg_hub_admit(srv->hub, fd, who);
  if (vhost == NULL || rc != 0) {
    close(fd);
    return;
  }
  lws_adopt_socket_vhost_readbuf(vhost, fd, bytes, len);
}

/* lws 4.1 logs every adoption with bytes already read at error level
 * ("adopt_socket_readbuf: calling service"): that line is routine here. */
static void on_lws_log(int level, const char *line) {
  if (strstr(line, "adopt_socket_readbuf: ") != NULL)
    return;
  int n = (int)strcspn(line, "\r\n");
  sg_log(level & LLL_ERR    ? SG_LOG_ERROR
         : level & LLL_WARN ? SG_LOG_WARN
                            : SG_LOG_INFO,
         "lws", "msg=%.*s", n, line);
}

static void on_close_signal(uv_handle_t *h) {
  (void)h;
}

/* lws on a foreign loop is destroyed in two steps on different loop turns;
 * the second step comes here. */
static void on_shutdown_timer(uv_timer_t *t) {
  server *srv = t->data;
  lws_context_destroy(srv->lws);
  srv->lws = NULL;
  sg_hub_destroy(srv->hub);
  srv->hub = NULL;
  sg_responder_destroy(srv->responder);
  srv->responder = NULL;
  sg_admitted_destroy(srv->admitted);
  srv->admitted = NULL;
  sg_auth_destroy(srv->auth); /* its calls in flight fail with the client below */
  srv->auth = NULL;
  sg_dispatch_destroy(srv->dispatch); /* the same, and its timer closes */
  srv->dispatch = NULL;
  sg_sms_outbound_destroy(srv->smsout);
  srv->smsout = NULL;
  sg_redis_destroy(srv->redis);
  srv->redis = NULL;
  sg_redis_destroy(srv->ingest_redis);
  srv->ingest_redis = NULL;
  uv_close((uv_handle_t *)&srv->shutdown_timer, NULL);
}

/* The first step of the shutdown, in the order that is safe: stop
 * accepting, abort requests in flight (before the api goes), then lws; the
 * timer finishes the job on a later loop turn. */
static void begin_shutdown(server *srv) {
  sg_listener_destroy(srv->listener);
  srv->listener = NULL;
  sg_http_destroy(srv->http); /* aborts requests in flight: before the api goes */
  srv->http = NULL;
  sg_gate_destroy(srv->gate); /* closes upgrades still being checked */
  srv->gate = NULL;
  lws_context_destroy(srv->lws);
  uv_timer_start(&srv->shutdown_timer, on_shutdown_timer, 10, 0);
}

static void close_signals(server *srv) {
  if (srv->signals > 0)
    uv_close((uv_handle_t *)&srv->sigint, on_close_signal);
  if (srv->signals > 1)
    uv_close((uv_handle_t *)&srv->sigterm, on_close_signal);
  srv->signals = 0;
}

/* A drained stop: no new connection, every WebSocket closed with 1001 so
 * it resumes on another siagad (or this one restarted) with what it missed,
 * and the HTTP requests in flight answered, each connection closing after
 * its answer; then the shutdown. Bounded by DRAIN_MAX_MS, for clients that
 * never finish their close. A second signal is not caught: it ends the
 * process at once. */
static void on_drain_tick(uv_timer_t *t) {
  server *srv = t->data;
  size_t left = sg_http_connections(srv->http) + sg_hub_sessions(srv->hub) +
                sg_responder_sessions(srv->responder) +
                sg_citizen_follow_count(sg_citizen_follower(srv->citizen));
  int late = uv_now(srv->loop) - srv->drain_since >= DRAIN_MAX_MS;
  if (left > 0 && !late)
    return;
  uv_timer_stop(t);
  if (left > 0)
    sg_log(SG_LOG_WARN, "drain.late", "open=%zu after_ms=%d msg=%s", left, DRAIN_MAX_MS,
           "closing them");
  begin_shutdown(srv);
}

static void on_signal(uv_signal_t *sig, int signum) {
  server *srv = sig->data;
  (void)signum;
  if (srv->stopping)
    return;
  srv->stopping = 1;
  sg_log(SG_LOG_INFO, "stopping", "msg=%s",
         "draining: consoles, responders and followers closed with 1001 to resume elsewhere, "
         "requests in flight answered");
  close_signals(srv);
  sg_listener_destroy(srv->listener);
  srv->listener = NULL;
  sg_http_drain(srv->http);
  sg_hub_close_all(srv->hub, SG_HUB_CLOSE_GOING_AWAY, "server restarting: reconnect");
  sg_responder_close_all(srv->responder, SG_HUB_CLOSE_GOING_AWAY, "server restarting: reconnect");
  sg_citizen_follow_close_all(sg_citizen_follower(srv->citizen), SG_HUB_CLOSE_GOING_AWAY,
                              "server restarting: reconnect");
  srv->drain_since = uv_now(srv->loop);
  uv_timer_start(&srv->shutdown_timer, on_drain_tick, 0, DRAIN_TICK_MS);
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* The URL gateways use to reach us, and Kannel's delivery-report URL under
 * it. -1 with a message if the secret does not fit. */
static int make_urls(const options *o, char *public_url, size_t public_size, char *dlr_url,
                     size_t dlr_size) {
  if (o->public_url != NULL)
    snprintf(public_url, public_size, "%s", o->public_url);
  else
    snprintf(public_url, public_size, "http://%s:%d", o->listen_host, o->listen_port);
  snprintf(dlr_url, dlr_size, "%s/v1/sms/dlr", public_url);
  if (o->webhook_secret != NULL) {
    /* Kannel calls the delivery-report URL like any webhook: it needs the
     * secret too. */
    char enc[128];
    size_t n = strlen(dlr_url);
    if (sg_url_encode(enc, sizeof(enc), o->webhook_secret, strlen(o->webhook_secret)) < 0 ||
        snprintf(dlr_url + n, dlr_size - n, "?secret=%s", enc) >= (int)(dlr_size - n)) {
      sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "sms", "--webhook-secret too long");
      return -1;
    }
  }
  return 0;
}

/* A connection's options: --redis, the sentinels, or the cluster. */
static sg_redis_options redis_options(const options *o, const char *name) {
  sg_redis_options ro = {.host = o->redis_host,
                         .port = o->redis_port,
                         .sentinels = o->sentinels,
                         .sentinel_master = o->sentinel_master,
                         .cluster = o->cluster,
                         .cluster_slot = sg_cluster_region_slot(o->region),
                         .name = name};
  return ro;
}

/* The Redis side: the commands connection and everything that uses it.
 * -1 with a message on failure; what was created is left in srv. */
static int create_store(server *srv, const options *o) {
  sg_redis_options ro = redis_options(o, "commands"), fo = redis_options(o, "follow"),
                   io = redis_options(o, "ingest");
  sg_hub_options ho = {
      .region = o->region, .max_lag = o->console_max_lag, .snapshot_page = o->snapshot_page};
  sg_responder_options rso = {.region = o->region};
  sg_auth_options ao = {.region = o->region, .idle_ms = o->session_idle_ms};
  sg_dispatch_options dpo = o->dispatch;
  dpo.region = o->region;
  const char *what = NULL;
  if ((srv->metrics = sg_metrics_create()) == NULL ||
      (srv->metrics_http = sg_metrics_http_create(srv->metrics, &o->metrics_allow)) == NULL)
    what = "the metrics";
  else if ((srv->admitted = ho.admitted = rso.admitted = sg_admitted_create()) == NULL)
    what = "the WebSocket gate";
  else if ((srv->redis = sg_redis_create(srv->loop, &ro)) == NULL)
    what = "the Redis client";
  /* WAIT holds its connection: reports wait for replicas on their own. */
  else if (o->min_replicas > 0 && (srv->ingest_redis = sg_redis_create(srv->loop, &io)) == NULL)
    what = "the Redis client";
  else if ((srv->ingest = sg_ingest_create(srv->ingest_redis ? srv->ingest_redis : srv->redis,
                                           o->region)) == NULL)
    what = "ingest";
  else if ((srv->hub = sg_hub_create(srv->loop, srv->redis, &fo, &ho)) == NULL)
    what = "the console hub";
  else if ((srv->commands = sg_commands_create(srv->redis, o->region)) == NULL)
    what = "commands";
  else if ((srv->auth = sg_auth_create(srv->loop, srv->redis, &ao)) == NULL)
    what = "sign-in (libsodium)";
  else if ((srv->dispatch = sg_dispatch_create(srv->loop, srv->redis, &dpo)) == NULL)
    what = "dispatch (--unit-kinds)";
  else if ((srv->responder = sg_responder_create(srv->loop, srv->redis, srv->dispatch, &rso)) ==
           NULL)
    what = "the responders' channel";
  else if (sg_dispatch_set_metrics(srv->dispatch, srv->metrics) != 0)
    what = "the metrics";
  if (what != NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", what, "out of memory or bad options");
    return -1;
  }
  if (o->min_replicas > 0)
    sg_ingest_set_min_replicas(srv->ingest, o->min_replicas, o->min_replicas_timeout_ms);
  sg_commands_set_claim_grace(srv->commands, o->claim_grace_ms);
  sg_commands_set_dispatch(srv->commands, srv->dispatch);
  sg_hub_set_commands(srv->hub, srv->commands);
  sg_hub_set_auth(srv->hub, srv->auth);
  sg_hub_add_observer(srv->hub, &sg_responder_observer, srv->responder);
  sg_dispatch_start(srv->dispatch);
  return 0;
}

/* A text from a crew's phone is dispatch's, not a citizen's report. */
static void unit_sms(void *dispatch, const char *from, const char *text, size_t len,
                     sg_sms_unit_done_cb done, void *data) {
  sg_dispatch_sms(dispatch, from, text, len, done, data);
}

/* SMS in and out, then the api over all of it. -1 with a message. */
static int create_sms_api(server *srv, const options *o) {
  char public_url[160], dlr_url[320], consumer[64];
  if (make_urls(o, public_url, sizeof(public_url), dlr_url, sizeof(dlr_url)) != 0)
    return -1;
  snprintf(consumer, sizeof(consumer), "siagad-%ld", (long)getpid());
  sg_sms_options so = {.region = o->region,
                       .webhook_secret = o->webhook_secret,
                       .trust = &o->trusted_proxies,
                       .twilio_token = o->twilio_token,
                       .public_url = public_url,
                       .gazetteer_path = o->gazetteer};
  if ((srv->sms = sg_sms_create(srv->ingest, srv->redis, &so)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s", "sms"); /* the reason was given above */
    return -1;
  }
  if (o->kannel_sendsms == NULL) {
    sg_log(SG_LOG_WARN, "sms.no_sender", "msg=%s",
           "no --kannel-sendsms: SMS replies wait in the outbound stream until a siagad with it "
           "runs (GET /healthz counts them)");
  } else {
    sg_redis_options sro = redis_options(o, "smsout");
    sg_sms_outbound_options soo = {.region = o->region,
                                   .sendsms_url = o->kannel_sendsms,
                                   .dlr_url = dlr_url,
                                   .consumer = consumer,
                                   .per_number_per_minute = o->sms_per_minute};
    if ((srv->smsout = sg_sms_outbound_create(srv->loop, &sro, &soo)) == NULL) {
      sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "sms-out",
             "bad --kannel-sendsms URL");
      return -1;
    }
  }
  srv->api = sg_api_create(srv->redis, srv->ingest, srv->hub, o->region, &o->trusted_proxies);
  if ((srv->citizen = sg_citizen_create(srv->redis, srv->ingest, o->region, o->sms_number)) ==
      NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "the citizens' routes",
           "out of memory");
    return -1;
  }
  sg_hub_add_observer(srv->hub, &sg_citizen_follow_observer, sg_citizen_follower(srv->citizen));
  srv->health = sg_health_create(srv->redis, srv->hub, o->region, o->kannel_sendsms != NULL);
  sg_http_route routes[5 + SG_CITIZEN_ROUTES] = {
      {SG_SMS_ROUTE_PREFIX, &sg_sms_handler, srv->sms, sg_sms_request_size()},
      {SG_ASSETS_RESPONDER_PREFIX, &sg_assets_responder_handler, NULL, 0},
      {SG_METRICS_HTTP_PATH, &sg_metrics_http_handler, srv->metrics_http, 0},
      {SG_HEALTH_PATH, &sg_health_handler, srv->health, sg_health_request_size()},
      {"/", &sg_api_handler, srv->api, sg_api_request_size()}};
  sg_citizen_routes(srv->citizen, routes + 5);
  if (srv->api == NULL || srv->health == NULL ||
      (srv->router = sg_http_router_create(routes, sizeof(routes) / sizeof(routes[0]))) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "the api", "out of memory");
    return -1;
  }
  sg_http_router_observe(srv->router, sg_metrics_http_observe, srv->metrics_http);
  sg_api_set_auth(srv->api, srv->auth);
  sg_api_set_abuse(srv->api, sg_citizen_abuse_of(srv->citizen));
  sg_sms_set_unit_hook(srv->sms, unit_sms, srv->dispatch);
  if ((srv->assets = sg_assets_load(o->leaflet_dir)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "assets", "out of memory");
    return -1;
  }
  if (sg_assets_find(srv->assets, "leaflet.js") == NULL)
    sg_log(SG_LOG_WARN, "assets.no_leaflet", "dir=%s msg=%s", o->leaflet_dir,
           "the console has no map (apt-get install libjs-leaflet)");
  sg_api_console console = {
      .assets = srv->assets, .map_tiles = o->map_tiles, .p1_escalate_s = o->p1_escalate_s};
  memcpy(console.ack_target_s, o->ack_target_s, sizeof(console.ack_target_s));
  sg_api_set_console(srv->api, &console);
  return 0;
}

/* lws on our loop for the consoles. -1 with a message. */
static int create_lws(server *srv) {
  struct lws_protocols protocols[] = {
      {"http-only", on_unclaimed, 0, 0, 0, NULL, 0},
      {SG_HUB_PROTOCOL_PB, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv->hub, 65536},
      {SG_HUB_PROTOCOL_JSON, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv->hub, 65536},
      {SG_RESPONDER_PROTOCOL_PB, sg_responder_callback, sg_responder_session_size(), 4096, 0,
       srv->responder, 16384},
      {SG_RESPONDER_PROTOCOL_JSON, sg_responder_callback, sg_responder_session_size(), 4096, 0,
       srv->responder, 16384},
      sg_citizen_protocol(srv->citizen),
      {NULL, NULL, 0, 0, 0, NULL, 0}};
  memcpy(srv->protocols, protocols, sizeof(protocols));
  /* Consoles are pinged when quiet so dead peers are found and closed. */
  static const lws_retry_bo_t retry = {.secs_since_valid_ping = 30, .secs_since_valid_hangup = 40};
  srv->foreign_loops[0] = srv->loop;
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.foreign_loops = srv->foreign_loops;
  info.port = CONTEXT_PORT_NO_LISTEN_SERVER; /* we accept, see listener.h */
  info.protocols = srv->protocols;
  info.retry_and_idle_policy = &retry;
  info.timeout_secs = 10; /* a WebSocket handshake lws has not finished */
  info.pcontext = &srv->lws;
  if ((srv->lws = lws_create_context(&info)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "lws", "lws context failed");
    return -1;
  }
  return 0;
}

/* A WebSocket upgrade leaves sg_http, and the connection cap with it (as
 * the fd is handed on: a number lws frees may be accepted again at once). */
static void on_upgrade(void *data, int fd, const char *bytes, size_t len) {
  server *srv = data;
  sg_http_limit_conn_closed(srv->limit, fd);
  if (srv->stopping) {
    close(fd); /* draining: the client tries again and reaches another siagad */
    return;
  }
  sg_gate_upgrade(srv->gate, fd, bytes, len);
}

static void listen_failed(const options *o, int err) {
  sg_log(SG_LOG_ERROR, "start.failed", "what=listen host=%s port=%d reason=%s hint=%s",
         o->listen_host, o->listen_port, sg_strerror(err),
         err == -EADDRINUSE ? "another siagad? --reuse-port shares the port on purpose" : "");
}

/* sg_http and the listening socket. -1 with a message. */
static int create_http(server *srv, const options *o) {
  sg_gate_options go = {.auth = srv->auth,
                        .dispatch = srv->dispatch,
                        .allowed_origins = o->allowed_origins,
                        .n_allowed_origins = o->n_allowed_origins,
                        .trust = &o->trusted_proxies,
                        .admit = on_admitted,
                        .admit_follow = on_admitted,
                        .admit_data = srv};
  if ((srv->gate = sg_gate_create(&go)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "the WebSocket gate",
           "out of memory");
    return -1;
  }
  sg_http_limit_options lo = o->limit;
  lo.trust = &o->trusted_proxies; /* behind nginx, each client counts for itself */
  if ((srv->limit = sg_http_limit_create(&lo, &sg_http_router_handler, srv->router)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "the limits",
           "out of memory; --limit-table?");
    return -1;
  }
  sg_http_options hto = {.handler = &sg_http_limit_handler,
                         .handler_data = srv->limit,
                         .request_data_size = sg_http_router_request_size(srv->router),
                         .on_upgrade = on_upgrade,
                         .upgrade_data = srv,
                         .head_timeout_ms = 10000, /* lws had timeout_secs 10 */
                         .body_timeout_ms = 10000,
                         .idle_timeout_ms = 30000, /* and keepalive_timeout 30 */
                         .on_close = sg_http_limit_conn_closed,
                         .close_data = srv->limit};
  int err = SG_ENOMEM;
  /* The processes of one siagad share the port; anyone else only when asked. */
  if ((srv->http = sg_http_create(srv->loop, &hto)) != NULL)
    srv->listener = sg_listener_create(srv->loop, srv->http, o->listen_host, o->listen_port,
                                       o->reuse_port || o->processes > 1, &err);
  if (srv->listener == NULL) {
    listen_failed(o, err);
    return -1;
  }
  sg_listener_set_limit(srv->listener, srv->limit);
  sg_siagad_metrics_sources ms = {.http = srv->http,
                                  .hub = srv->hub,
                                  .responder = srv->responder,
                                  .follow = sg_citizen_follower(srv->citizen),
                                  .redis = srv->redis,
                                  .follow_redis = sg_hub_follow_redis(srv->hub),
                                  .smsout = srv->smsout};
  if ((srv->siagad_metrics = sg_siagad_metrics_create(srv->metrics, &ms)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=%s reason=%s", "the metrics", "out of memory");
    return -1;
  }
  return 0;
}

static int start_signals(server *srv) {
  srv->sigint.data = srv->sigterm.data = srv;
  int err = uv_signal_init(srv->loop, &srv->sigint);
  if (err == 0) {
    srv->signals = 1;
    err = uv_signal_init(srv->loop, &srv->sigterm);
  }
  if (err == 0) {
    srv->signals = 2;
    err = uv_signal_start(&srv->sigint, on_signal, SIGINT);
  }
  if (err == 0)
    err = uv_signal_start(&srv->sigterm, on_signal, SIGTERM);
  if (err != 0) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=signals reason=%s", sg_strerror(err));
    return -1;
  }
  return 0;
}

static int serve(const options *opts) {
  options o = *opts;
  server srv;
  memset(&srv, 0, sizeof(srv));
  uv_loop_t loop;
  int rc = uv_loop_init(&loop);
  if (rc != 0) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=loop reason=%s", sg_strerror(rc));
    return 1;
  }
  srv.loop = &loop;
  uv_timer_init(&loop, &srv.shutdown_timer);
  srv.shutdown_timer.data = &srv;

  int status = 1;
  /* lws comes last: an lws context destroyed before the loop ever ran it
   * crashes in lws 4.1 (its libuv plugin is unloaded with close callbacks
   * still pending), so nothing may fail after it. Nothing reaches lws before
   * uv_run: the listener only accepts then. */
  if (create_store(&srv, &o) != 0 || create_sms_api(&srv, &o) != 0 || create_http(&srv, &o) != 0 ||
      start_signals(&srv) != 0 || create_lws(&srv) != 0)
    goto cleanup;
  if (o.cluster != NULL)
    sg_log(SG_LOG_INFO, "serving", "host=%s port=%d region=%s slot=%u cluster=%s version=%s",
           o.listen_host, o.listen_port, o.region, sg_cluster_region_slot(o.region), o.cluster,
           SG_VERSION);
  else if (o.sentinels != NULL)
    sg_log(SG_LOG_INFO, "serving",
           "host=%s port=%d region=%s sentinel_master=%s sentinels=%s min_replicas=%u version=%s",
           o.listen_host, o.listen_port, o.region, o.sentinel_master, o.sentinels, o.min_replicas,
           SG_VERSION);
  else
    sg_log(SG_LOG_INFO, "serving",
           "host=%s port=%d region=%s redis_host=%s redis_port=%d version=%s", o.listen_host,
           o.listen_port, o.region, o.redis_host, o.redis_port, SG_VERSION);
  status = 0;
  uv_run(&loop, UV_RUN_DEFAULT);

cleanup:
  if (status != 0) {
    /* The same steps as a stop signal, in the same order; the loop runs
     * until every handle is closed. */
    close_signals(&srv);
    begin_shutdown(&srv);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  sg_http_limit_destroy(srv.limit);
  sg_http_router_destroy(srv.router);
  sg_api_destroy(srv.api);
  sg_health_destroy(srv.health);
  sg_citizen_destroy(srv.citizen);
  sg_assets_destroy(srv.assets);
  sg_ingest_destroy(srv.ingest);
  sg_commands_destroy(srv.commands);
  sg_sms_destroy(srv.sms);
  sg_siagad_metrics_destroy(srv.siagad_metrics);
  sg_metrics_http_destroy(srv.metrics_http);
  sg_metrics_destroy(srv.metrics);
  rc = uv_loop_close(&loop);
  if (rc != 0)
    sg_log(SG_LOG_ERROR, "stop.unclean", "reason=%s", sg_strerror(rc));
  return status;
}

/* Several processes, each with its own loop, share the listening port: one
 * loop saturates one core, and the processes share nothing but Redis. The
 * parent only forwards stop signals and waits. */
static volatile sig_atomic_t stop_signal;

static void on_parent_signal(int signum) {
  stop_signal = signum;
}

static int supervise(const options *o) {
  pid_t children[64];
  int n = 0;
  /* The children bind with SO_REUSEPORT: whether another siagad holds the
   * port is asked before, without it. */
  int err = o->reuse_port ? 0 : sg_listener_probe(o->listen_host, o->listen_port);
  if (err != 0) {
    listen_failed(o, err);
    return 1;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_parent_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  for (; n < o->processes; n++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("siagad: fork");
      break;
    }
    if (pid == 0) {
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      exit(serve(o));
    }
    children[n] = pid;
  }
  int alive = n, rc = 0, forwarded = 0;
  while (alive > 0) {
    int status;
    pid_t pid = waitpid(-1, &status, 0);
    if (pid < 0) {
      if (stop_signal && !forwarded) {
        for (int i = 0; i < n; i++)
          kill(children[i], SIGTERM);
        forwarded = 1;
      }
      continue;
    }
    alive--;
    if (!forwarded) {
      /* One edge process died: stop the rest so a supervisor restarts all. */
      sg_log(SG_LOG_ERROR, "process.exited", "pid=%d msg=%s", (int)pid, "stopping");
      rc = 1;
      for (int i = 0; i < n; i++)
        kill(children[i], SIGTERM);
      forwarded = 1;
    }
  }
  return rc;
}

int main(int argc, char **argv) {
  options o;
  if (sg_siagad_options_parse(argc, argv, &o) != 0)
    return 2;
  if (o.check_config)
    return sg_siagad_check_config(&o, stderr);
  sg_log_set_level(o.log_level);
  sg_log_init(); /* from now on every line on stderr is logfmt (core/log.h) */
  char why[512];
  if (o.triage_protocol && sg_protocol_use_file(o.triage_protocol, why, sizeof(why)) != 0) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=triage-protocol reason=%s",
           why); /* before any process is forked */
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  lws_set_log_level(LLL_ERR | LLL_WARN, on_lws_log);
  return o.processes > 1 ? supervise(&o) : serve(&o);
}
