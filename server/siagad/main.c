/* siagad: the edge server. One libuv loop drives libwebsockets (HTTP API,
 * console WebSockets) and the hiredis connections; Redis holds all state, so
 * any number of siagad processes can serve the same region. */
#include <getopt.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <uv.h>

#include "api.h"
#include "hub.h"
#include "ingest.h"
#include "keys.h"
#include "redisconn.h"

typedef struct options {
  char listen_host[128];
  int listen_port;
  char redis_host[128];
  int redis_port;
  const char *region;
} options;

typedef struct server {
  uv_loop_t *loop;
  struct lws_context *lws;
  sg_redis *redis;
  sg_ingest *ingest;
  sg_hub *hub;
  sg_api *api;
  uv_signal_t sigint, sigterm;
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
          "  --help              this text\n");
}

static int parse_hostport(const char *s, char *host, size_t host_size, int *port) {
  const char *colon = strrchr(s, ':');
  if (colon == NULL || colon == s || (size_t)(colon - s) >= host_size)
    return -1;
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (*end != '\0' || p <= 0 || p > 65535)
    return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = '\0';
  *port = (int)p;
  return 0;
}

static int region_valid(const char *r) {
  size_t n = strlen(r);
  if (n == 0 || n > 16)
    return 0;
  for (size_t i = 0; i < n; i++) {
    if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9')))
      return 0;
  }
  return 1;
}

static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                           {"redis", required_argument, NULL, 'r'},
                                           {"region", required_argument, NULL, 'g'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
  o->listen_port = 8080;
  snprintf(o->redis_host, sizeof(o->redis_host), "127.0.0.1");
  o->redis_port = 6379;
  o->region = SG_REGION_DEFAULT;
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'l':
      if (parse_hostport(optarg, o->listen_host, sizeof(o->listen_host), &o->listen_port) != 0) {
        fprintf(stderr, "siagad: --listen wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'r':
      if (parse_hostport(optarg, o->redis_host, sizeof(o->redis_host), &o->redis_port) != 0) {
        fprintf(stderr, "siagad: --redis wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'g':
      if (!region_valid(optarg)) {
        fprintf(stderr, "siagad: --region wants [a-z0-9]{1,16}, got \"%s\"\n", optarg);
        return -1;
      }
      o->region = optarg;
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

/* protocols[0] gets every HTTP request no mount claims and every WebSocket
 * upgrade that names no subprotocol: serve the former as 404, refuse the
 * latter. */
static int on_unclaimed(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len) {
  if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
    return 1;
  return lws_callback_http_dummy(wsi, reason, user, in, len);
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
  sg_redis_destroy(srv->redis);
  srv->redis = NULL;
  uv_close((uv_handle_t *)&srv->shutdown_timer, NULL);
}

static void on_signal(uv_signal_t *sig, int signum) {
  server *srv = sig->data;
  (void)signum;
  if (srv->stopping)
    return;
  srv->stopping = 1;
  fprintf(stderr, "siagad: stopping\n");
  uv_close((uv_handle_t *)&srv->sigint, on_close_signal);
  uv_close((uv_handle_t *)&srv->sigterm, on_close_signal);
  lws_context_destroy(srv->lws);
  uv_timer_start(&srv->shutdown_timer, on_shutdown_timer, 10, 0);
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

int main(int argc, char **argv) {
  options o;
  if (parse_options(argc, argv, &o) != 0)
    return 2;
  signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  lws_set_log_level(LLL_ERR | LLL_WARN, NULL);

  server srv;
  memset(&srv, 0, sizeof(srv));
  uv_loop_t loop;
  uv_loop_init(&loop);
  srv.loop = &loop;

  sg_redis_options ro = {.host = o.redis_host, .port = o.redis_port, .name = "commands"};
  sg_redis_options fo = {.host = o.redis_host, .port = o.redis_port, .name = "follow"};
  sg_hub_options ho = {.region = o.region};
  srv.redis = sg_redis_create(&loop, &ro);
  srv.ingest = srv.redis ? sg_ingest_create(srv.redis, o.region) : NULL;
  srv.hub = srv.redis ? sg_hub_create(&loop, srv.redis, &fo, &ho) : NULL;
  srv.api = srv.hub ? sg_api_create(srv.redis, srv.ingest, srv.hub, o.region) : NULL;
  if (srv.ingest == NULL || srv.api == NULL) {
    fprintf(stderr, "siagad: cannot start (out of memory or bad options)\n");
    return 1;
  }

  struct lws_protocols protocols[] = {
      {"http-only", on_unclaimed, 0, 0, 0, NULL, 0},
      {"siaga-http", sg_api_callback, sg_api_session_size(), 0, 0, srv.api, 0},
      {SG_HUB_PROTOCOL_PB, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv.hub, 65536},
      {SG_HUB_PROTOCOL_JSON, sg_hub_callback, sg_hub_session_size(), 4096, 0, srv.hub, 65536},
      {NULL, NULL, 0, 0, 0, NULL, 0}};
  struct lws_http_mount mount;
  memset(&mount, 0, sizeof(mount));
  mount.mountpoint = "/";
  mount.mountpoint_len = 1;
  mount.protocol = "siaga-http";
  mount.origin_protocol = LWSMPRO_CALLBACK;

  /* Consoles are pinged when quiet so dead peers are found and closed. */
  static const lws_retry_bo_t retry = {.secs_since_valid_ping = 30,
                                       .secs_since_valid_hangup = 40};
  void *foreign_loops[1] = {&loop};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
  info.foreign_loops = foreign_loops;
  info.port = o.listen_port;
  info.iface = o.listen_host;
  info.protocols = protocols;
  info.mounts = &mount;
  info.retry_and_idle_policy = &retry;
  info.timeout_secs = 10;
  info.keepalive_timeout = 30;
  info.pcontext = &srv.lws;
  srv.lws = lws_create_context(&info);
  if (srv.lws == NULL) {
    fprintf(stderr, "siagad: cannot serve on %s:%d\n", o.listen_host, o.listen_port);
    return 1;
  }

  uv_signal_init(&loop, &srv.sigint);
  uv_signal_init(&loop, &srv.sigterm);
  uv_timer_init(&loop, &srv.shutdown_timer);
  srv.sigint.data = srv.sigterm.data = srv.shutdown_timer.data = &srv;
  uv_signal_start(&srv.sigint, on_signal, SIGINT);
  uv_signal_start(&srv.sigterm, on_signal, SIGTERM);
  fprintf(stderr, "siagad: serving on http://%s:%d/ (region %s, redis %s:%d)\n", o.listen_host,
          o.listen_port, o.region, o.redis_host, o.redis_port);

  uv_run(&loop, UV_RUN_DEFAULT);
  sg_api_destroy(srv.api);
  sg_ingest_destroy(srv.ingest);
  int rc = uv_loop_close(&loop);
  if (rc != 0)
    fprintf(stderr, "siagad: loop closed with handles open: %s\n", uv_strerror(rc));
  return 0;
}
