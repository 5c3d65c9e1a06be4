/* siagad's command line: the options, their defaults and the usage text. */
#ifndef SG_SIAGAD_OPTIONS_H
#define SG_SIAGAD_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/log.h"
#include "dispatch/dispatch.h"
#include "http/metrics_http.h"
#include "http/limit.h"
#include "http/peer.h"

typedef struct sg_siagad_options {
  char listen_host[128];
  int listen_port;
  char redis_host[128];
  int redis_port;
  const char *sentinels;       /* --sentinel, instead of --redis; NULL without */
  const char *sentinel_master; /* --sentinel-master */
  const char *cluster;         /* --cluster seed nodes, instead of --redis; NULL without */
  unsigned min_replicas;       /* a report is acknowledged once on this many replicas */
  unsigned min_replicas_timeout_ms;
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
  unsigned ack_target_s[4]; /* P1..P4: acknowledged within, shown on the console */
  const char *leaflet_dir;
  const char *map_tiles;
  const char *allowed_origins[8];
  size_t n_allowed_origins;
  sg_peer_trust trusted_proxies; /* --trusted-proxy; empty: none */
  size_t snapshot_page;
  sg_dispatch_options dispatch; /* region filled in at start */
  const char *sms_number;       /* the number citizens text reports to, shown by /lapor */
  const char *triage_protocol;  /* scores a Split and settles a Merge; NULL: built in */
  /* Peers that may GET /metrics (canonical, sg_metrics_http_address). */
  sg_metrics_http_allow metrics_allow;
  sg_http_limit_options limit;  /* per-address limits on the citizens' doors */
  int reuse_port;               /* share the port with another siagad on purpose */
  int check_config;             /* --check-config: check, say, exit */
  sg_log_level log_level;       /* --log-level: the lowest level written */
} sg_siagad_options;

/* Prints the usage text. */
void sg_siagad_usage(FILE *out);

/* Fills o from argv (defaults first); -1 with a message on a bad option.
 * --help prints the usage and exits, --version the version. Strings point into argv. */
int sg_siagad_options_parse(int argc, char **argv, sg_siagad_options *o);

#endif
