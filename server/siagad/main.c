/* siagad: the edge server. One libuv loop drives sg_http (the HTTP API),
 * libwebsockets (console WebSockets, handed over by sg_http at the upgrade)
 * and the hiredis connections; Redis holds all state, so any number of siagad
 * processes can serve the same region. */
#include <errno.h>
#include <getopt.h>
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
#include "core/hostport.h"
#include "http/router.h"
#include "http/server.h"
#include "ws/gate.h"
#include "ws/hub.h"
#include "store/ingest.h"
#include "store/keys.h"
#include "http/listener.h"
#include "store/redisconn.h"
#include "sms/inbound.h"
#include "sms/outbound.h"
#include "http/url.h"

typedef struct options {
  char listen_host[128];
  int listen_port;
  char redis_host[128];
  int redis_port;
  const char *region;
  int processes;
  const char *webhook_secret;
  const char *twilio_token;
  const char *public_url;
  const char *kannel_sendsms;
  const char *gazetteer;
  unsigned sms_per_minute;
  size_t console_max_lag;
  uint64_t session_idle_ms;
  uint64_t claim_grace_ms;
  unsigned p1_escalate_s;
  const char *leaflet_dir;
  const char *map_tiles;
  const char *allowed_origins[8];
  size_t n_allowed_origins;
  size_t snapshot_page;
  const char *sms_number;
} options;

typedef struct server {
  uv_loop_t *loop;
  struct lws_context *lws;
  sg_http *http;
  sg_listener *listener;
  sg_redis *redis;
  sg_ingest *ingest;
  sg_hub *hub;
  sg_commands *commands;
  sg_sms *sms;
  sg_sms_outbound *smsout;
  sg_api *api;
  sg_auth *auth;
  sg_gate *gate;
  sg_assets *assets;
  sg_citizen *citizen;
  sg_http_router *router;            /* /v1/sms/ to sms, citizens' paths, the rest to api */
  struct lws_protocols protocols[5]; /* lws keeps pointing at these */
  void *foreign_loops[1];
  uv_signal_t sigint, sigterm;
  int signals; /* how many of sigint, sigterm are initialised */
  uv_timer_t shutdown_timer;
  int stopping;
} server;

static void usage(FILE *out) {
  fprintf(out,
          "usage: siagad [--listen HOST:PORT] [--redis HOST:PORT] [--region NAME]\n"
          "\n"
          "  --listen HOST:PORT  address to serve HTTP and WebSocket on (default 127.0.0.1:8080)\n"
          "  --redis HOST:PORT   Redis server holding the region (default 127.0.0.1:6379)\n"
          "  --region NAME       region key tag, [a-z0-9]{1,16} (default " SG_REGION_DEFAULT ")\n"
          "  --processes N       serve from N processes sharing the port (default 1)\n"
          "  --webhook-secret S  secret SMS gateways pass as ?secret= or X-Siaga-Secret\n"
          "                      (without it, webhooks are accepted from loopback only)\n"
          "  --twilio-token T    verify X-Twilio-Signature on /v1/sms/twilio with this token\n"
          "  --public-url URL    base URL gateways use to reach siagad (Twilio signatures,\n"
          "                      delivery report URLs); default http://LISTEN\n"
          "  --kannel-sendsms URL  send SMS replies through this Kannel sendsms URL\n"
          "                      (username and password in its query); without it, replies\n"
          "                      wait in the outbound stream\n"
          "  --sms-per-minute N  most SMS to one number per minute (default 5)\n"
          "  --gazetteer FILE    places for SMS text (default: the built-in Palangka Raya list)\n"
          "  --console-max-lag N updates a console may fall behind before it is closed\n"
          "                      (4000) to resume with ?after= (default 16384)\n"
          "  --p1-escalate S     seconds a P1 may wait unacknowledged before every\n"
          "                      supervisor's console says so (default 120)\n"
          "  --claim-grace S     seconds after an incident is acknowledged during which\n"
          "                      another dispatcher may take it over (default 120)\n"
          "  --session-idle MIN  minutes a signed-in session lives unused (default 720, a\n"
          "                      shift)\n"
          "  --map-tiles URL     tile URL template for the console's map, e.g.\n"
          "                      http://tiles.lan/{z}/{x}/{y}.png (default: none, the map\n"
          "                      shows the kelurahan names on a plain background)\n"
          "  --leaflet-dir DIR   where Leaflet is (default /usr/share/javascript/leaflet,\n"
          "                      Debian's libjs-leaflet)\n"
          "  --allowed-origin URL  a web origin besides siagad's own that may open the\n"
          "                      console WebSocket (e.g. https://112.example.go.id); repeatable\n"
          "  --snapshot-page N   open incidents per page of a console's snapshot (default 500)\n"
          "  --sms-number N      the number citizens text reports to, shown by /lapor (112)\n"
          "  --help              this text\n");
}

/* A whole number in [min, max] given to option name; -1 with a message if not. */
static int parse_count(const char *name, const char *arg, long min, long max, long *out) {
  char *end;
  long n = strtol(arg, &end, 10);
  if (arg[0] == '\0' || *end != '\0' || n < min || n > max) {
    fprintf(stderr, "siagad: --%s wants %ld..%ld, got \"%s\"\n", name, min, max, arg);
    return -1;
  }
  *out = n;
  return 0;
}

static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                           {"redis", required_argument, NULL, 'r'},
                                           {"region", required_argument, NULL, 'g'},
                                           {"processes", required_argument, NULL, 'p'},
                                           {"webhook-secret", required_argument, NULL, 's'},
                                           {"twilio-token", required_argument, NULL, 't'},
                                           {"public-url", required_argument, NULL, 'u'},
                                           {"kannel-sendsms", required_argument, NULL, 'k'},
                                           {"sms-per-minute", required_argument, NULL, 'm'},
                                           {"gazetteer", required_argument, NULL, 'z'},
                                           {"console-max-lag", required_argument, NULL, 'c'},
                                           {"session-idle", required_argument, NULL, 'i'},
                                           {"claim-grace", required_argument, NULL, 'G'},
                                           {"p1-escalate", required_argument, NULL, 'E'},
                                           {"allowed-origin", required_argument, NULL, 'o'},
                                           {"map-tiles", required_argument, NULL, 'T'},
                                           {"leaflet-dir", required_argument, NULL, 'L'},
                                           {"snapshot-page", required_argument, NULL, 'P'},
                                           {"sms-number", required_argument, NULL, 'N'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
  o->listen_port = 8080;
  snprintf(o->redis_host, sizeof(o->redis_host), "127.0.0.1");
  o->redis_port = 6379;
  o->region = SG_REGION_DEFAULT;
  o->processes = 1;
  o->webhook_secret = o->twilio_token = o->public_url = o->kannel_sendsms = o->gazetteer = NULL;
  o->sms_per_minute = 5;
  o->console_max_lag = 0;
  o->session_idle_ms = 0;
  o->claim_grace_ms = SG_COMMANDS_CLAIM_GRACE_DEFAULT_MS;
  o->p1_escalate_s = 120;
  o->n_allowed_origins = 0;
  o->leaflet_dir = "/usr/share/javascript/leaflet";
  o->map_tiles = "";
  o->snapshot_page = 0;
  o->sms_number = "112";
  int c;
  long n;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'l':
      if (sg_hostport_parse(optarg, o->listen_host, sizeof(o->listen_host), &o->listen_port) != 0) {
        fprintf(stderr, "siagad: --listen wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'r':
      if (sg_hostport_parse(optarg, o->redis_host, sizeof(o->redis_host), &o->redis_port) != 0) {
        fprintf(stderr, "siagad: --redis wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'g':
      if (!sg_key_region_valid(optarg)) {
        fprintf(stderr, "siagad: --region wants [a-z0-9]{1,16}, got \"%s\"\n", optarg);
        return -1;
      }
      o->region = optarg;
      break;
    case 'p':
      if (parse_count("processes", optarg, 1, 64, &n) != 0)
        return -1;
      o->processes = (int)n;
      break;
    case 's':
      o->webhook_secret = optarg;
      break;
    case 't':
      o->twilio_token = optarg;
      break;
    case 'u':
      o->public_url = optarg;
      break;
    case 'k':
      if (strncmp(optarg, "http://", 7) != 0) {
        fprintf(stderr, "siagad: --kannel-sendsms wants an http:// URL\n");
        return -1;
      }
      o->kannel_sendsms = optarg;
      break;
    case 'm':
      if (parse_count("sms-per-minute", optarg, 1, 1000, &n) != 0)
        return -1;
      o->sms_per_minute = (unsigned)n;
      break;
    case 'z':
      o->gazetteer = optarg;
      break;
    case 'c':
      if (parse_count("console-max-lag", optarg, 16, 1000000, &n) != 0)
        return -1;
      o->console_max_lag = (size_t)n;
      break;
    case 'E':
      if (parse_count("p1-escalate", optarg, 1, 3600, &n) != 0)
        return -1;
      o->p1_escalate_s = (unsigned)n;
      break;
    case 'G':
      if (parse_count("claim-grace", optarg, 0, 3600, &n) != 0)
        return -1;
      o->claim_grace_ms = (uint64_t)n * 1000;
      break;
    case 'i':
      if (parse_count("session-idle", optarg, 1, 7 * 24 * 60, &n) != 0)
        return -1;
      o->session_idle_ms = (uint64_t)n * 60 * 1000;
      break;
    case 'o':
      if (o->n_allowed_origins == sizeof(o->allowed_origins) / sizeof(o->allowed_origins[0]) ||
          (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)) {
        fprintf(stderr, "siagad: --allowed-origin wants http(s)://HOST[:PORT], at most 8\n");
        return -1;
      }
      o->allowed_origins[o->n_allowed_origins++] = optarg;
      break;
    case 'T':
      if (strlen(optarg) > SG_API_MAP_TILES_MAX || strpbrk(optarg, "\"\\ ") != NULL ||
          (strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0)) {
        fprintf(stderr, "siagad: --map-tiles wants an http(s):// URL template without quotes\n");
        return -1;
      }
      o->map_tiles = optarg;
      break;
    case 'L':
      o->leaflet_dir = optarg;
      break;
    case 'P':
      if (parse_count("snapshot-page", optarg, 1, 100000, &n) != 0)
        return -1;
      o->snapshot_page = (size_t)n;
      break;
    case 'N':
      if (strlen(optarg) == 0 || strlen(optarg) > SG_CITIZEN_SMS_NUMBER_MAX ||
          strspn(optarg, "0123456789+ ") != strlen(optarg)) {
        fprintf(stderr, "siagad: --sms-number wants digits, '+' and spaces (at most 20)\n");
        return -1;
      }
      o->sms_number = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "siagad: unexpected argument \"%s\"\n", argv[optind]);
    return -1;
  }
  return 0;
}

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
static void on_admitted(void *data, int fd, const char *bytes, size_t len, const sg_identity *who) {
  server *srv = data;
  struct lws_vhost *vhost = srv->lws != NULL ? lws_get_vhost_by_name(srv->lws, "default") : NULL;
  /* who is NULL for a citizen's /v1/follow: no session to hand over. */
  if (vhost == NULL || (who != NULL && sg_hub_admit(srv->hub, fd, who) != 0)) {
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
  lwsl_emit_stderr(level, line);
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
  sg_auth_destroy(srv->auth); /* its calls in flight fail with the client below */
  srv->auth = NULL;
  sg_sms_outbound_destroy(srv->smsout);
  srv->smsout = NULL;
  sg_redis_destroy(srv->redis);
  srv->redis = NULL;
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

static void on_signal(uv_signal_t *sig, int signum) {
  server *srv = sig->data;
  (void)signum;
  if (srv->stopping)
    return;
  srv->stopping = 1;
  fprintf(stderr, "siagad: stopping\n");
  close_signals(srv);
  begin_shutdown(srv);
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
      fprintf(stderr, "siagad: --webhook-secret too long\n");
      return -1;
    }
  }
  return 0;
}

/* The Redis side: the commands connection and everything that uses it.
 * -1 with a message on failure; what was created is left in srv. */
static int create_store(server *srv, const options *o) {
  sg_redis_options ro = {.host = o->redis_host, .port = o->redis_port, .name = "commands"};
  sg_redis_options fo = {.host = o->redis_host, .port = o->redis_port, .name = "follow"};
  sg_hub_options ho = {
      .region = o->region, .max_lag = o->console_max_lag, .snapshot_page = o->snapshot_page};
  sg_auth_options ao = {.region = o->region, .idle_ms = o->session_idle_ms};
  const char *what = NULL;
  if ((srv->redis = sg_redis_create(srv->loop, &ro)) == NULL)
    what = "the Redis client";
  else if ((srv->ingest = sg_ingest_create(srv->redis, o->region)) == NULL)
    what = "ingest";
  else if ((srv->hub = sg_hub_create(srv->loop, srv->redis, &fo, &ho)) == NULL)
    what = "the console hub";
  else if ((srv->commands = sg_commands_create(srv->redis, o->region)) == NULL)
    what = "commands";
  else if ((srv->auth = sg_auth_create(srv->loop, srv->redis, &ao)) == NULL)
    what = "sign-in (libsodium)";
  if (what != NULL) {
    fprintf(stderr, "siagad: cannot start %s (out of memory or bad options)\n", what);
    return -1;
  }
  sg_commands_set_claim_grace(srv->commands, o->claim_grace_ms);
  sg_hub_set_commands(srv->hub, srv->commands);
  sg_hub_set_auth(srv->hub, srv->auth);
  return 0;
}

/* SMS in and out, then the api over all of it. -1 with a message. */
static int create_sms_api(server *srv, const options *o) {
  char public_url[160], dlr_url[320], consumer[64];
  if (make_urls(o, public_url, sizeof(public_url), dlr_url, sizeof(dlr_url)) != 0)
    return -1;
  snprintf(consumer, sizeof(consumer), "siagad-%ld", (long)getpid());
  sg_sms_options so = {.region = o->region,
                       .webhook_secret = o->webhook_secret,
                       .twilio_token = o->twilio_token,
                       .public_url = public_url,
                       .gazetteer_path = o->gazetteer};
  if ((srv->sms = sg_sms_create(srv->ingest, srv->redis, &so)) == NULL) {
    fprintf(stderr, "siagad: cannot start SMS (out of memory or unreadable gazetteer)\n");
    return -1;
  }
  if (o->kannel_sendsms != NULL) {
    sg_redis_options sro = {.host = o->redis_host, .port = o->redis_port, .name = "smsout"};
    sg_sms_outbound_options soo = {.region = o->region,
                                   .sendsms_url = o->kannel_sendsms,
                                   .dlr_url = dlr_url,
                                   .consumer = consumer,
                                   .per_number_per_minute = o->sms_per_minute};
    if ((srv->smsout = sg_sms_outbound_create(srv->loop, &sro, &soo)) == NULL) {
      fprintf(stderr, "siagad: bad --kannel-sendsms URL\n");
      return -1;
    }
  }
  srv->api = sg_api_create(srv->redis, srv->ingest, srv->hub, o->region);
  if ((srv->citizen = sg_citizen_create(srv->redis, srv->ingest, o->region, o->sms_number)) == NULL) {
    fprintf(stderr, "siagad: cannot start the citizens' routes (out of memory)\n");
    return -1;
  }
  sg_hub_set_tap(srv->hub, &sg_citizen_follow_tap, sg_citizen_follower(srv->citizen));
  sg_http_route routes[2 + SG_CITIZEN_ROUTES] = {
      {SG_SMS_ROUTE_PREFIX, &sg_sms_handler, srv->sms, sg_sms_request_size()},
      {"/", &sg_api_handler, srv->api, sg_api_request_size()}};
  sg_citizen_routes(srv->citizen, routes + 2);
  if (srv->api == NULL ||
      (srv->router = sg_http_router_create(routes, sizeof(routes) / sizeof(routes[0]))) == NULL) {
    fprintf(stderr, "siagad: cannot start the api (out of memory)\n");
    return -1;
  }
  sg_api_set_auth(srv->api, srv->auth);
  sg_api_set_abuse(srv->api, sg_citizen_abuse_of(srv->citizen));
  if ((srv->assets = sg_assets_load(o->leaflet_dir)) == NULL) {
    fprintf(stderr, "siagad: out of memory\n");
    return -1;
  }
  if (sg_assets_find(srv->assets, "leaflet.js") == NULL)
    fprintf(stderr, "siagad: no Leaflet in %s: the console has no map (apt-get install "
                    "libjs-leaflet)\n", o->leaflet_dir);
  sg_api_set_console(srv->api, srv->assets, o->map_tiles, o->p1_escalate_s);
  return 0;
}

/* lws on our loop for the consoles. -1 with a message. */
static int create_lws(server *srv) {
  struct lws_protocols protocols[] = {
      {"http-only", on_unclaimed, 0, 0, 0, NULL, 0},
      {SG_HUB_PROTOCOL_PB, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv->hub, 65536},
      {SG_HUB_PROTOCOL_JSON, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv->hub, 65536},
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
    fprintf(stderr, "siagad: cannot start: lws context failed\n");
    return -1;
  }
  return 0;
}

/* sg_http and the listening socket. -1 with a message. */
static int create_http(server *srv, const options *o) {
  sg_gate_options go = {.auth = srv->auth,
                        .allowed_origins = o->allowed_origins,
                        .n_allowed_origins = o->n_allowed_origins,
                        .admit = on_admitted,
                        .admit_follow = on_admitted,
                        .admit_data = srv};
  if ((srv->gate = sg_gate_create(&go)) == NULL) {
    fprintf(stderr, "siagad: cannot start the WebSocket gate (out of memory)\n");
    return -1;
  }
  sg_http_options hto = {.handler = &sg_http_router_handler,
                         .handler_data = srv->router,
                         .request_data_size = sg_http_router_request_size(srv->router),
                         .on_upgrade = sg_gate_upgrade,
                         .upgrade_data = srv->gate,
                         .head_timeout_ms = 10000, /* lws had timeout_secs 10 */
                         .body_timeout_ms = 10000,
                         .idle_timeout_ms = 30000}; /* and keepalive_timeout 30 */
  int err = SG_ENOMEM;
  if ((srv->http = sg_http_create(srv->loop, &hto)) != NULL)
    srv->listener = sg_listener_create(srv->loop, srv->http, o->listen_host, o->listen_port, &err);
  if (srv->listener == NULL) {
    fprintf(stderr, "siagad: cannot serve on %s:%d: %s\n", o->listen_host, o->listen_port,
            sg_strerror(err));
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
    fprintf(stderr, "siagad: cannot catch signals: %s\n", sg_strerror(err));
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
    fprintf(stderr, "siagad: cannot start the loop: %s\n", sg_strerror(rc));
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
  if (create_store(&srv, &o) != 0 || create_sms_api(&srv, &o) != 0 ||
      create_http(&srv, &o) != 0 || start_signals(&srv) != 0 || create_lws(&srv) != 0)
    goto cleanup;
  fprintf(stderr, "siagad: serving on http://%s:%d/ (region %s, redis %s:%d)\n", o.listen_host,
          o.listen_port, o.region, o.redis_host, o.redis_port);
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
  sg_http_router_destroy(srv.router);
  sg_api_destroy(srv.api);
  sg_citizen_destroy(srv.citizen);
  sg_assets_destroy(srv.assets);
  sg_ingest_destroy(srv.ingest);
  sg_commands_destroy(srv.commands);
  sg_sms_destroy(srv.sms);
  rc = uv_loop_close(&loop);
  if (rc != 0)
    fprintf(stderr, "siagad: loop closed with handles open: %s\n", sg_strerror(rc));
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
      fprintf(stderr, "siagad: process %d exited; stopping\n", (int)pid);
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
  if (parse_options(argc, argv, &o) != 0)
    return 2;
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  lws_set_log_level(LLL_ERR | LLL_WARN, on_lws_log);
  return o.processes > 1 ? supervise(&o) : serve(&o);
}
