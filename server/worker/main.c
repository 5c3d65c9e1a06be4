/* siaga-worker: the prioritization worker. Options, signals, the Redis
 * connection with reconnects, and the read/claim loop; the work itself is in
 * triage.c. One synchronous connection is enough: the worker does one thing
 * at a time, and more throughput comes from more worker processes in the
 * consumer group. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "core/hostport.h"
#include "core/log.h"
#include "store/keys.h"
#include "triage/protocol.h"
#include "siaga_version.h"
#include "store/cluster.h"
#include "store/sentinel.h"
#include "triage/triage.h"
#include "worker/metrics.h"

#define READ_BLOCK_MS 2000 /* also bounds how long SIGTERM waits */
#define CLAIM_EVERY_MS 5000
#define CLAIM_IDLE_DEFAULT_MS 15000
#define CONNECT_TIMEOUT_MS 2000
#define COMMAND_TIMEOUT_MS 10000 /* above READ_BLOCK_MS: a dead server, not a quiet stream */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define ERROR_PAUSE_MS 1000

static volatile sig_atomic_t stopping = 0;

static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static void on_dead(void *data, const char *entry_id, const char *reason) {
  sg_worker_metrics_dead(data);
  sg_log(SG_LOG_WARN, "report.dead", "entry=%s reason=%s", entry_id, reason);
}

static void on_done(void *data, const char *category, int priority, int64_t received_at_ms) {
  sg_worker_metrics_done(data, category, priority, received_at_ms);
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms, returning early when a signal asks us to stop. */
static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (!stopping && nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: siaga-worker --redis HOST:PORT\n"
          "                    | --sentinel HOST:PORT[,...] --sentinel-master NAME\n"
          "                    | --cluster HOST:PORT[,...]\n"
          "                    [--region REGION] [--consumer NAME]\n"
          "                    [--claim-idle-ms N] [--public-url URL]\n"
          "                    [--triage-protocol FILE]\n"
          "                    [--metrics-listen HOST:PORT [--metrics-allow ADDR,...]]\n"
          "\n"
          "Reads the region's reports stream as a member of the \"triage\" consumer group,\n"
          "scores each report and opens or updates incidents in Redis.\n"
          "\n"
          "  --redis HOST:PORT    Redis server (this or --sentinel is required)\n"
          "  --sentinel HOST:PORT[,HOST:PORT...]  ask these sentinels for the primary\n"
          "                       before every connect, and follow its failovers\n"
          "  --sentinel-master NAME  the name the sentinels monitor\n"
          "  --cluster HOST:PORT[,HOST:PORT...]  seed nodes of a Redis Cluster: the primary\n"
          "                       owning the region's slot, asked before every connect\n"
          "  --region REGION      region of the keys siaga:{REGION}:... (default %s)\n"
          "  --consumer NAME      consumer name in the group, unique per worker\n"
          "                       (default worker-HOSTNAME-PID)\n"
          "  --claim-idle-ms N    take over reports another worker left pending\n"
          "                       for N ms (default %d)\n"
          "  --public-url URL     siagad as citizens reach it: SMS acknowledgements\n"
          "                       carry a link to follow the report (URL/l/...)\n"
          "  --triage-protocol FILE  score with this protocol instead of the built-in\n"
          "                       one (format: data/protocol/triage-protocol.tsv);\n"
          "                       a bad file is refused at start\n"
          "  --metrics-listen HOST:PORT  serve GET /metrics (Prometheus text) there\n"
          "  --metrics-allow ADDR[,ADDR...]  the only peers it answers, exact; repeatable\n"
          "                       (default 127.0.0.1,::1)\n"
          "  --log-level LEVEL    debug, info, warn or error: the lowest level logged\n"
          "                       (default info)\n"
          "  --version            the version\n"
          "  --help               show this text\n",
          SG_REGION_DEFAULT, CLAIM_IDLE_DEFAULT_MS);
}

typedef struct options {
  char host[256];
  int port;
  sg_sentinel_list sentinels; /* n == 0: --redis */
  sg_sentinel_list seeds;     /* --cluster; n == 0 without */
  size_t sentinel_next;
  const char *sentinel_master;
  const char *region;
  char consumer[128];
  long claim_idle_ms;
  const char *public_url;
  const char *protocol_path;
  char metrics_host[128];
  int metrics_port; /* 0: no --metrics-listen */
  sg_metrics_http_allow metrics_allow;
  sg_log_level log_level;
} options;

/* Returns 0 to run, 1 to exit successfully (--help), -1 on a usage error. */
static int parse_options(int argc, char **argv, options *o) {
  static const struct option longopts[] = {{"redis", required_argument, NULL, 'r'},
                                           {"region", required_argument, NULL, 'g'},
                                           {"consumer", required_argument, NULL, 'c'},
                                           {"claim-idle-ms", required_argument, NULL, 'i'},
                                           {"public-url", required_argument, NULL, 'u'},
                                           {"help", no_argument, NULL, 'h'},
                                           {"metrics-listen", required_argument, NULL, 'm'},
                                           {"metrics-allow", required_argument, NULL, 'M'},
                                           {"triage-protocol", required_argument, NULL, 'p'},
                                           {"version", no_argument, NULL, 'v'},
                                           {"sentinel", required_argument, NULL, 's'},
                                           {"sentinel-master", required_argument, NULL, 'S'},
                                           {"cluster", required_argument, NULL, 'C'},
                                           {"log-level", required_argument, NULL, 'L'},
                                           {NULL, 0, NULL, 0}};
  memset(o, 0, sizeof(*o));
  o->region = SG_REGION_DEFAULT;
  o->claim_idle_ms = CLAIM_IDLE_DEFAULT_MS;
  o->log_level = SG_LOG_INFO;
  sg_metrics_http_allow_init(&o->metrics_allow);
  int have_redis = 0, opt;
  char *end;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'r':
      if (sg_hostport_parse(optarg, o->host, sizeof(o->host), &o->port) != 0) {
        fprintf(stderr, "siaga-worker: --redis wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      have_redis = 1;
      break;
    case 's':
      if (sg_sentinel_parse(optarg, &o->sentinels) != 0) {
        fprintf(stderr, "siaga-worker: --sentinel wants HOST:PORT[,HOST:PORT...], got \"%s\"\n",
                optarg);
        return -1;
      }
      break;
    case 'C':
      if (sg_sentinel_parse(optarg, &o->seeds) != 0) {
        fprintf(stderr, "siaga-worker: --cluster wants HOST:PORT[,HOST:PORT...], got \"%s\"\n",
                optarg);
        return -1;
      }
      break;
    case 'S':
      if (!sg_sentinel_name_valid(optarg)) {
        fprintf(stderr, "siaga-worker: bad --sentinel-master \"%s\"\n", optarg);
        return -1;
      }
      o->sentinel_master = optarg;
      break;
    case 'g':
      o->region = optarg;
      break;
    case 'c':
      snprintf(o->consumer, sizeof(o->consumer), "%s", optarg);
      break;
    case 'i':
      errno = 0;
      o->claim_idle_ms = strtol(optarg, &end, 10);
      if (errno != 0 || *end != '\0' || o->claim_idle_ms < 1 || o->claim_idle_ms > INT_MAX) {
        fprintf(stderr, "siaga-worker: --claim-idle-ms wants a positive number of ms\n");
        return -1;
      }
      break;
    case 'u':
      /* Into an SMS as it is: printable ASCII, no blank, and short. */
      if ((strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) ||
          strlen(optarg) > 100 || strpbrk(optarg, " \"<>") != NULL) {
        fprintf(stderr,
                "siaga-worker: --public-url wants an http(s):// URL of at most 100 chars\n");
        return -1;
      }
      o->public_url = optarg;
      break;
    case 'p':
      o->protocol_path = optarg;
      break;
    case 'm':
      if (sg_hostport_parse(optarg, o->metrics_host, sizeof(o->metrics_host), &o->metrics_port) !=
          0) {
        fprintf(stderr, "siaga-worker: --metrics-listen wants HOST:PORT, got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'M':
      if (sg_metrics_http_allow_option(&o->metrics_allow, optarg) != 0) {
        fprintf(stderr, "siaga-worker: " SG_METRICS_HTTP_ALLOW_USAGE "; got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'L':
      if (sg_log_level_parse(optarg, &o->log_level) != 0) {
        fprintf(stderr, "siaga-worker: --log-level is debug, info, warn or error\n");
        return -1;
      }
      break;
    case 'h':
      usage(stdout);
      return 1;
    case 'v':
      printf("siaga-worker %s\n", SG_VERSION);
      return 1;
    default:
      usage(stderr);
      return -1;
    }
  }
  int have_sentinel = o->sentinels.n > 0, have_cluster = o->seeds.n > 0;
  if (optind < argc || have_redis + have_sentinel + have_cluster != 1 ||
      have_sentinel != (o->sentinel_master != NULL)) {
    usage(stderr);
    return -1;
  }
  if (have_sentinel)
    snprintf(o->host, sizeof(o->host), "(%s)", o->sentinel_master); /* until one answers */
  if (have_cluster)
    snprintf(o->host, sizeof(o->host), "(slot %u)", sg_cluster_region_slot(o->region));
  if (o->consumer[0] == '\0') {
    /* Host and pid make the default unique, so two workers never share a
     * pending list by accident. */
    char host[64] = "host";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    for (char *p = host; *p != '\0'; p++) {
      if (*p == '.')
        *p = '\0'; /* the short name is enough */
    }
    snprintf(o->consumer, sizeof(o->consumer), "worker-%s-%ld", host, (long)getpid());
  }
  return 0;
}

static redisContext *connect_redis(options *o, char *err, size_t err_size) {
  struct timeval tv = {CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000};
  redisContext *c;
  if (o->seeds.n > 0) {
    c = sg_cluster_connect(&o->seeds, &o->sentinel_next, sg_cluster_region_slot(o->region),
                           CONNECT_TIMEOUT_MS, o->host, sizeof(o->host), &o->port, err, err_size);
    if (c == NULL)
      return NULL;
  } else if (o->sentinels.n > 0) {
    c = sg_sentinel_connect(&o->sentinels, &o->sentinel_next, o->sentinel_master,
                            CONNECT_TIMEOUT_MS, o->host, sizeof(o->host), &o->port, err, err_size);
    if (c == NULL)
      return NULL;
  } else {
    c = redisConnectWithTimeout(o->host, o->port, tv);
  }
  if (c == NULL) {
    snprintf(err, err_size, "out of memory");
    return NULL;
  }
  tv.tv_sec = COMMAND_TIMEOUT_MS / 1000;
  tv.tv_usec = (COMMAND_TIMEOUT_MS % 1000) * 1000;
  if (c->err == 0)
    redisSetTimeout(c, tv);
  if (c->err != 0) {
    snprintf(err, err_size, "%s", c->errstr);
    redisFree(c);
    return NULL;
  }
  /* For GET /healthz (store/keys.h); a Redis refusing it only loses that. */
  freeReplyObject(
      redisCommand(c, "CLIENT SETNAME %s%s:%s", SG_CLIENT_NAME_WORKER, o->region, o->consumer));
  return c;
}

/* With sentinels, an error may mean the primary became a replica
 * (READONLY): then the sentinels are asked again. */
static int still_primary(redisContext *c) {
  redisReply *r = redisCommand(c, "ROLE");
  int master = sg_sentinel_role_is_master(r);
  freeReplyObject(r);
  return master;
}

/* With a cluster, an error may be a MOVED (the region's slot went to
 * another primary, or a failover): then the seeds are asked again. ASK and
 * TRYAGAIN during a migration leave this node the owner: the report stays
 * pending and is retried here. */
static int still_owner(redisContext *c, const options *o) {
  if (!still_primary(c))
    return 0;
  redisReply *r = redisCommand(c, "CLUSTER SLOTS");
  char host[sizeof(o->host)];
  int port = 0;
  int owner = sg_cluster_slots_reply(r, sg_cluster_region_slot(o->region), o->host, host,
                                     sizeof(host), &port) == 0 &&
              strcmp(host, o->host) == 0 && port == o->port;
  freeReplyObject(r);
  return owner;
}

/* Serves a started connection until it fails or we are asked to stop.
 * Returns the error that ended it (0 when stopping). */
static int serve(sg_triage *t, redisContext *c, const options *o, sg_worker_metrics *wm) {
  int64_t next_claim = mono_ms() + CLAIM_EVERY_MS;
  while (!stopping) {
    size_t n_done;
    int rc = sg_triage_read(t, READ_BLOCK_MS, &n_done);
    sg_worker_metrics_batch(wm, n_done);
    sg_worker_metrics_poll(wm); /* a scrape waits at most one read */
    if (rc == 0 && mono_ms() >= next_claim) {
      rc = sg_triage_claim(t, &n_done);
      next_claim = mono_ms() + CLAIM_EVERY_MS;
    }
    if (rc == SG_EUNAVAIL)
      return rc;
    if (rc != 0 && o->seeds.n > 0 && !still_owner(c, o)) {
      sg_log(SG_LOG_WARN, "redis.not_owner", "host=%s port=%d msg=%s", o->host, o->port,
             "no longer serves the region's slot; asking the cluster");
      return SG_EUNAVAIL;
    }
    if (rc != 0 && o->sentinels.n > 0 && !still_primary(c)) {
      sg_log(SG_LOG_WARN, "redis.not_primary", "host=%s port=%d msg=%s", o->host, o->port,
             "asking the sentinels");
      return SG_EUNAVAIL;
    }
    if (rc != 0) {
      /* The entry stays pending and is claimed again later; pause so a
       * persistent problem does not turn into a busy loop of log lines. */
      sg_log(SG_LOG_WARN, "report.retry", "reason=%s msg=%s", sg_strerror(rc),
             "the report stays pending and is retried");
      sleep_ms(ERROR_PAUSE_MS);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  options o;
  int prc = parse_options(argc, argv, &o);
  if (prc != 0)
    return prc > 0 ? EXIT_SUCCESS : 2;
  sg_log_set_level(o.log_level);
  sg_log_init(); /* from now on every line on stderr is logfmt (core/log.h) */

  /* No SA_RESTART is needed: hiredis retries reads interrupted by a signal,
   * so a stop takes effect when the current blocking read returns. */
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN); /* a dropped connection is an error return, not a death */

  srand((unsigned)getpid() ^ (unsigned)mono_ms()); /* jitter differs per worker */

  /* Read before any report is scored; a protocol that does not load is a
   * start-up error, never a silent fallback to the built-in one. */
  if (o.protocol_path) {
    char why[512];
    if (sg_protocol_use_file(o.protocol_path, why, sizeof(why)) != 0) {
      sg_log(SG_LOG_ERROR, "start.failed", "what=triage-protocol reason=%s", why);
      return 2;
    }
    sg_log(SG_LOG_INFO, "triage.protocol", "file=%s", o.protocol_path);
  }

  int err;
  sg_worker_metrics *wm = NULL;
  if (o.metrics_port != 0 && (wm = sg_worker_metrics_create(o.metrics_host, o.metrics_port,
                                                            &o.metrics_allow, &err)) == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=metrics host=%s port=%d reason=%s", o.metrics_host,
           o.metrics_port, sg_strerror(err));
    return 2;
  }
  sg_triage_options topts = {o.region, o.consumer, o.claim_idle_ms, o.public_url,
                             on_dead,  wm,         on_done};
  sg_triage *t = sg_triage_create(&topts, &err);
  if (t == NULL) {
    sg_log(SG_LOG_ERROR, "start.failed", "what=triage reason=%s", sg_strerror(err));
    sg_worker_metrics_destroy(wm);
    return 2;
  }
  if (o.seeds.n > 0)
    sg_log(SG_LOG_INFO, "serving", "consumer=%s slot=%u cluster_seeds=%zu region=%s", o.consumer,
           sg_cluster_region_slot(o.region), o.seeds.n, o.region);
  else if (o.sentinels.n > 0)
    sg_log(SG_LOG_INFO, "serving", "consumer=%s sentinel_master=%s sentinels=%zu region=%s",
           o.consumer, o.sentinel_master, o.sentinels.n, o.region);
  else
    sg_log(SG_LOG_INFO, "serving", "consumer=%s redis_host=%s redis_port=%d region=%s", o.consumer,
           o.host, o.port, o.region);

  /* Redis going away is weather, not a reason to exit: log once per outage
   * and keep trying with a growing pause. */
  int in_outage = 0;
  long backoff = BACKOFF_MIN_MS;
  while (!stopping) {
    char why[256];
    redisContext *c = connect_redis(&o, why, sizeof(why));
    if (c != NULL) {
      int rc = sg_triage_start(t, c);
      if (rc == 0) {
        if (in_outage)
          sg_log(SG_LOG_INFO, "redis.back", "host=%s port=%d", o.host, o.port);
        in_outage = 0;
        backoff = BACKOFF_MIN_MS;
        sg_worker_metrics_redis(wm, 1);
        rc = serve(t, c, &o, wm);
        sg_worker_metrics_redis(wm, 0);
      }
      if (rc != 0)
        snprintf(why, sizeof(why), "%s", c->err != 0 ? c->errstr : sg_strerror(rc));
      sg_triage_stop(t);
      redisFree(c);
      if (rc == 0)
        break; /* asked to stop */
    }
    if (stopping)
      break;
    if (!in_outage) {
      sg_log(SG_LOG_WARN, "redis.unavailable", "host=%s port=%d reason=%s msg=%s", o.host, o.port,
             why, "retrying until it is back");
      in_outage = 1;
    }
    sg_worker_metrics_poll(wm);
    sleep_ms(backoff);
    backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
  }

  sg_log(SG_LOG_INFO, "stopping", "consumer=%s", o.consumer);
  sg_triage_destroy(t);
  sg_worker_metrics_destroy(wm);
  return EXIT_SUCCESS;
}
