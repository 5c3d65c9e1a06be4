/* siagad's command line (options.h). */
#include "siagad/options.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/commands.h"
#include "citizen/citizen.h"
#include "core/hostport.h"
#include "store/keys.h"
#include "siaga_version.h"
#include "store/sentinel.h"

/* Long options without a short letter. */
enum {
  OPT_SENTINEL = 1000,
  OPT_SENTINEL_MASTER,
  OPT_MIN_REPLICAS,
  OPT_MIN_REPLICAS_TIMEOUT,
  OPT_CLUSTER,
  OPT_LOG_LEVEL
};

void sg_siagad_usage(FILE *out) {
  fprintf(out,
          "usage: siagad [--listen HOST:PORT] [--redis HOST:PORT] [--region NAME]\n"
          "\n"
          "  --listen HOST:PORT  address to serve HTTP and WebSocket on (default 127.0.0.1:8080)\n"
          "  --redis HOST:PORT   Redis server holding the region (default 127.0.0.1:6379)\n"
          "  --sentinel HOST:PORT[,HOST:PORT...]  instead of --redis: ask these Redis\n"
          "                      sentinels for the primary, and follow its failovers\n"
          "  --sentinel-master NAME  the name the sentinels monitor (with --sentinel)\n"
          "  --cluster HOST:PORT[,HOST:PORT...]  instead of --redis: seed nodes of a Redis\n"
          "                      Cluster; the primary owning the region's slot is used\n"
          "  --min-replicas N    acknowledge a report (202, or a gateway's 2xx) only once\n"
          "                      N replicas have it, else 503 (default 0: once the\n"
          "                      primary has it)\n"
          "  --min-replicas-timeout-ms MS  how long to wait for them (default 500)\n"
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
          "  --ack-target S1,S2,S3,S4  seconds within which a P1..P4 is to be acknowledged,\n"
          "                      shown running on the console (default 60,180,600,1800)\n"
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
          "  --trusted-proxy ADDR[,ADDR...]  proxies (IP addresses, at most 16) whose\n"
          "                      X-Forwarded-For and X-Forwarded-Proto are believed: the\n"
          "                      TLS proxy in front of siagad (default: none)\n"
          "  --snapshot-page N   open incidents per page of a console's snapshot (default 500)\n"
          "  --unit-kinds FILE   unit kinds and the categories they answer (default built in)\n"
          "  --triage-protocol FILE  the triage protocol a Split and a Merge score with, the\n"
          "                      workers' (default built in)\n"
          "  --sms-number N      the number citizens text reports to, shown by /lapor (112)\n"
          "  --assign-ack-s S    seconds an assignment waits for the unit's answer before\n"
          "                      it goes by SMS, and again before it times out (default 60)\n"
          "  --assign-ack-p1-s S the same for P1 incidents (default 30)\n"
          "  --unit-speed-kmh N  speed of the arrival estimate (default 40)\n"
          "  --unit-stale-s S    a unit position older than this ranks lower (default 300)\n"
          "  --unit-connected-s S  a unit's app stays connected this long after its siagad\n"
          "                      was last heard (a killed one's; refreshed every S/3; 45)\n"
          "  --metrics-allow ADDR[,ADDR...]  the only peer addresses GET /metrics answers,\n"
          "                      exact; repeatable, at most 16 (default 127.0.0.1,::1)\n"
          "  --report-rate N[/min|/s]  POST /v1/reports per client address (default 600/min;\n"
          "                      0: no limit); beyond it 429 with Retry-After\n"
          "  --report-burst N    reports an address may send at once (default: the rate)\n"
          "  --lookup-rate N[/min|/s]  citizens' lookups (GET /v1/reports/..., /l/) per\n"
          "                      address (default 6000/min)\n"
          "  --lookup-burst N    lookups at once (default: the rate)\n"
          "  --conns-per-address N  open connections one address may hold (default 256;\n"
          "                      0: no cap); beyond it 429 and closed\n"
          "  --limit-table N     client addresses remembered for the limits (default 65536)\n"
          "  --limit-loopback    apply the limits to loopback clients too (default: exempt)\n"
          "  --reuse-port        share the port with a siagad already serving it\n"
          "                      (default: refuse to start on a port in use)\n"
          "  --log-level LEVEL   debug, info, warn or error: the lowest level logged\n"
          "                      (default info; README \"Logs\")\n"
          "  --version           the version\n"
          "  --check-config      check the options and the files they name, say what is\n"
          "                      wrong (exit 2) or ok (exit 0), and start nothing\n"
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

/* "60,180,600,1800": four times in seconds, P1 first, each 1..86400. */
static int parse_targets(const char *arg, unsigned out[4]) {
  const char *p = arg;
  for (int i = 0; i < 4; i++) {
    char *end;
    long n = strtol(p, &end, 10);
    if (end == p || n < 1 || n > 86400 || *end != (i < 3 ? ',' : '\0')) {
      fprintf(stderr,
              "siagad: --ack-target wants four seconds for P1..P4, e.g. 60,180,600,1800; "
              "got \"%s\"\n",
              arg);
      return -1;
    }
    out[i] = (unsigned)n;
    p = end + 1;
  }
  return 0;
}

/* "N", "N/min" or "N/s": a rate, as per minute; -1 with a message if not. */
static int parse_rate(const char *name, const char *arg, unsigned *per_min) {
  char *end;
  long n = strtol(arg, &end, 10);
  long scale = strcmp(end, "/s") == 0 ? 60 : (*end == '\0' || strcmp(end, "/min") == 0) ? 1 : 0;
  if (end == arg || n < 0 || scale == 0 || n > 6000000 / scale) {
    fprintf(stderr, "siagad: --%s wants N, N/min or N/s (at most 6000000/min), got \"%s\"\n", name,
            arg);
    return -1;
  }
  *per_min = (unsigned)(n * scale);
  return 0;
}

int sg_siagad_options_parse(int argc, char **argv, sg_siagad_options *o) {
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, 'l'},
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
      {"ack-target", required_argument, NULL, 'Q'},
      {"allowed-origin", required_argument, NULL, 'o'},
      {"trusted-proxy", required_argument, NULL, 'F'},
      {"map-tiles", required_argument, NULL, 'T'},
      {"leaflet-dir", required_argument, NULL, 'L'},
      {"snapshot-page", required_argument, NULL, 'P'},
      {"unit-kinds", required_argument, NULL, 'K'},
      {"triage-protocol", required_argument, NULL, 'W'},
      {"sms-number", required_argument, NULL, 'N'},
      {"assign-ack-s", required_argument, NULL, 'A'},
      {"assign-ack-p1-s", required_argument, NULL, '1'},
      {"unit-speed-kmh", required_argument, NULL, 'V'},
      {"unit-stale-s", required_argument, NULL, 'S'},
      {"unit-connected-s", required_argument, NULL, 'H'},
      {"metrics-allow", required_argument, NULL, 'M'},
      {"report-rate", required_argument, NULL, 'R'},
      {"report-burst", required_argument, NULL, 'B'},
      {"lookup-rate", required_argument, NULL, 'U'},
      {"lookup-burst", required_argument, NULL, 'b'},
      {"conns-per-address", required_argument, NULL, 'C'},
      {"limit-table", required_argument, NULL, 'X'},
      {"limit-loopback", no_argument, NULL, 'O'},
      {"reuse-port", no_argument, NULL, 'Y'},
      {"version", no_argument, NULL, 'v'},
      {"check-config", no_argument, NULL, 'Z'},
      {"sentinel", required_argument, NULL, OPT_SENTINEL},
      {"cluster", required_argument, NULL, OPT_CLUSTER},
      {"sentinel-master", required_argument, NULL, OPT_SENTINEL_MASTER},
      {"min-replicas", required_argument, NULL, OPT_MIN_REPLICAS},
      {"min-replicas-timeout-ms", required_argument, NULL, OPT_MIN_REPLICAS_TIMEOUT},
      {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
  o->listen_port = 8080;
  snprintf(o->redis_host, sizeof(o->redis_host), "127.0.0.1");
  o->redis_port = 6379;
  o->sentinels = o->sentinel_master = o->cluster = NULL;
  o->min_replicas = 0;
  o->min_replicas_timeout_ms = 500;
  o->log_level = SG_LOG_INFO;
  int redis_given = 0;
  sg_sentinel_list sentinels;
  o->region = SG_REGION_DEFAULT;
  o->processes = 1;
  o->webhook_secret = o->twilio_token = o->public_url = o->kannel_sendsms = o->gazetteer = NULL;
  o->sms_per_minute = 5;
  o->console_max_lag = 0;
  o->session_idle_ms = 0;
  o->claim_grace_ms = SG_COMMANDS_CLAIM_GRACE_DEFAULT_MS;
  o->p1_escalate_s = 120;
  o->ack_target_s[0] = 60, o->ack_target_s[1] = 180, o->ack_target_s[2] = 600,
  o->ack_target_s[3] = 1800;
  o->n_allowed_origins = 0;
  o->trusted_proxies.n = 0;
  o->leaflet_dir = "/usr/share/javascript/leaflet";
  o->map_tiles = "";
  o->snapshot_page = 0;
  o->sms_number = "112";
  o->triage_protocol = NULL;
  memset(&o->dispatch, 0, sizeof(o->dispatch));
  o->dispatch.ack_s[0] = SG_DISPATCH_ACK_DEFAULT_S;
  o->dispatch.ack_s[1] = 30;
  sg_metrics_http_allow_init(&o->metrics_allow);
  o->limit = (sg_http_limit_options){.report_per_min = SG_HTTP_LIMIT_REPORT_PER_MIN,
                                     .lookup_per_min = SG_HTTP_LIMIT_LOOKUP_PER_MIN,
                                     .conns_per_address = SG_HTTP_LIMIT_CONNS,
                                     .exempt_loopback = 1};
  o->reuse_port = 0;
  o->check_config = 0;
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
      redis_given = 1;
      break;
    case OPT_SENTINEL:
      if (sg_sentinel_parse(optarg, &sentinels) != 0) {
        fprintf(stderr,
                "siagad: --sentinel wants HOST:PORT[,HOST:PORT...] (at most %d), got "
                "\"%s\"\n",
                SG_SENTINEL_MAX, optarg);
        return -1;
      }
      o->sentinels = optarg;
      break;
    case OPT_CLUSTER:
      if (sg_sentinel_parse(optarg, &sentinels) != 0) {
        fprintf(stderr,
                "siagad: --cluster wants HOST:PORT[,HOST:PORT...] (at most %d), got \"%s\"\n",
                SG_SENTINEL_MAX, optarg);
        return -1;
      }
      o->cluster = optarg;
      break;
    case OPT_SENTINEL_MASTER:
      if (!sg_sentinel_name_valid(optarg)) {
        fprintf(stderr, "siagad: --sentinel-master wants [A-Za-z0-9._-]{1,64}, got \"%s\"\n",
                optarg);
        return -1;
      }
      o->sentinel_master = optarg;
      break;
    case OPT_MIN_REPLICAS:
      if (parse_count("min-replicas", optarg, 0, 16, &n) != 0)
        return -1;
      o->min_replicas = (unsigned)n;
      break;
    case OPT_MIN_REPLICAS_TIMEOUT:
      if (parse_count("min-replicas-timeout-ms", optarg, 1, 60000, &n) != 0)
        return -1;
      o->min_replicas_timeout_ms = (unsigned)n;
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
      /* Twilio signs it and citizens' SMS link to it: it must be a URL they reach. */
      if ((strncmp(optarg, "http://", 7) != 0 && strncmp(optarg, "https://", 8) != 0) ||
          strlen(optarg) > 200 || strpbrk(optarg, " \"\\<>") != NULL) {
        fprintf(stderr,
                "siagad: --public-url wants an http(s):// URL (at most 200 bytes), "
                "got \"%s\"\n",
                optarg);
        return -1;
      }
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
    case 'Q':
      if (parse_targets(optarg, o->ack_target_s) != 0)
        return -1;
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
    case 'F':
      if (sg_peer_trust_parse(&o->trusted_proxies, optarg) != 0) {
        fprintf(stderr,
                "siagad: --trusted-proxy wants IP addresses separated by commas, at most %d, "
                "got \"%s\"\n",
                SG_PEER_TRUSTED_MAX, optarg);
        return -1;
      }
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
    case 'K':
      o->dispatch.kinds_path = optarg;
      break;
    case 'W':
      o->triage_protocol = optarg;
      break;
    case 'N':
      if (strlen(optarg) == 0 || strlen(optarg) > SG_CITIZEN_SMS_NUMBER_MAX ||
          strspn(optarg, "0123456789+ ") != strlen(optarg)) {
        fprintf(stderr, "siagad: --sms-number wants digits, '+' and spaces (at most 20)\n");
        return -1;
      }
      o->sms_number = optarg;
      break;
    case 'A':
    case '1':
      if (parse_count(c == 'A' ? "assign-ack-s" : "assign-ack-p1-s", optarg, 1, 3600, &n) != 0)
        return -1;
      o->dispatch.ack_s[c == 'A' ? 0 : 1] = (unsigned)n;
      break;
    case 'V':
    case 'S':
      if (parse_count(c == 'V' ? "unit-speed-kmh" : "unit-stale-s", optarg, 1, 86400, &n) != 0)
        return -1;
      if (c == 'V')
        o->dispatch.speed_kmh = (double)n;
      else
        o->dispatch.stale_s = (unsigned)n;
      break;
    case 'H':
      if (parse_count("unit-connected-s", optarg, 3, 3600, &n) != 0)
        return -1;
      o->dispatch.connected_s = (unsigned)n;
      break;
    case 'M':
      if (sg_metrics_http_allow_option(&o->metrics_allow, optarg) != 0) {
        fprintf(stderr, "siagad: " SG_METRICS_HTTP_ALLOW_USAGE "; got \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'R':
    case 'U':
      if (parse_rate(c == 'R' ? "report-rate" : "lookup-rate", optarg,
                     c == 'R' ? &o->limit.report_per_min : &o->limit.lookup_per_min) != 0)
        return -1;
      break;
    case 'B':
    case 'b':
      if (parse_count(c == 'B' ? "report-burst" : "lookup-burst", optarg, 1, 1000000, &n) != 0)
        return -1;
      *(c == 'B' ? &o->limit.report_burst : &o->limit.lookup_burst) = (unsigned)n;
      break;
    case 'C':
      if (parse_count("conns-per-address", optarg, 0, 1000000, &n) != 0)
        return -1;
      o->limit.conns_per_address = (unsigned)n;
      break;
    case 'X':
      if (parse_count("limit-table", optarg, 16, 16 * 1024 * 1024, &n) != 0)
        return -1;
      o->limit.table_max = (size_t)n;
      break;
    case 'O':
      o->limit.exempt_loopback = 0;
      break;
    case 'Y':
      o->reuse_port = 1;
      break;
    case 'v':
      printf("siagad %s\n", SG_VERSION);
      exit(0);
    case 'Z':
      o->check_config = 1;
      break;
    case OPT_LOG_LEVEL:
      if (sg_log_level_parse(optarg, &o->log_level) != 0) {
        fprintf(stderr, "siagad: --log-level is debug, info, warn or error, not \"%s\"\n", optarg);
        return -1;
      }
      break;
    case 'h':
      sg_siagad_usage(stdout);
      exit(0);
    default:
      sg_siagad_usage(stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "siagad: unexpected argument \"%s\"\n", argv[optind]);
    return -1;
  }
  if ((o->sentinels == NULL) != (o->sentinel_master == NULL) ||
      (o->sentinels != NULL && redis_given)) {
    fprintf(stderr, "siagad: --sentinel and --sentinel-master go together, instead of --redis\n");
    return -1;
  }
  if (o->cluster != NULL && (redis_given || o->sentinels != NULL)) {
    fprintf(stderr, "siagad: --cluster is instead of --redis and --sentinel\n");
    return -1;
  }
  return 0;
}
