/* Redis key names. Every key of a region carries the region as hash tag,
 * siaga:{REGION}:..., so Redis Cluster keeps a region on one slot and every
 * Lua script touches one slot. The layout is documented in README.md. */
#ifndef SG_KEYS_H
#define SG_KEYS_H

#include <stddef.h>

#define SG_KEY_MAX 256
#define SG_REGION_DEFAULT "plk"

/* Fixed keys of a region. */
#define SG_KEY_REPORTS "reports"           /* stream, field "r" = Report protobuf */
#define SG_KEY_UPDATES "updates"           /* stream, field "u" = IncidentUpdate protobuf */
#define SG_KEY_OPEN "open"                 /* zset: open incident ids by score */
#define SG_KEY_CLOSED "closed"             /* zset: ids closed in the last day, by when */
#define SG_KEY_GEO "geo"                   /* geo set: open incident ids by location */
#define SG_KEY_INCIDENT_SEQ "seq:incident" /* counter for incident ids */

#define SG_GROUP_TRIAGE "triage" /* consumer group on the reports stream */
/* A worker names its Redis connection "siaga-worker:REGION:CONSUMER", so
 * GET /healthz counts the workers connected (a consumer group keeps the
 * names of consumers long gone, and Redis 7.0 refreshes their idle time
 * only when it delivers). */
#define SG_CLIENT_NAME_WORKER "siaga-worker:"

#define SG_KEY_ID_MAX 48 /* longest id (incident, report) taken into a key name */

#define SG_KEY_REGION_MAX 16   /* longest region name ("plk") */
#define SG_KEY_CONSUMER_MAX 63 /* longest consumer name in a group ("siagad-1234", "w1") */

/* The one check of the names every binary takes from its options, so siagad,
 * the worker and the SMS sender agree on what a region is: a region is
 * 1..SG_KEY_REGION_MAX characters of [a-z0-9] (it becomes the hash tag); a
 * consumer 1..SG_KEY_CONSUMER_MAX of [A-Za-z0-9._-]. */
int sg_key_region_valid(const char *region);
int sg_key_consumer_valid(const char *consumer);

/* 1 if id may become part of a key name: 1..SG_KEY_ID_MAX characters of
 * [A-Za-z0-9_-]. Ids from outside (URLs, commands) are checked with this
 * before any key is built from them. */
int sg_key_id_valid(const char *id);

/* Writes "siaga:{region}:suffix" into buf; returns its length, or -1 if it
 * does not fit. */
int sg_key(char *buf, size_t size, const char *region, const char *suffix);

/* Same with a second part: "siaga:{region}:kind:id". */
int sg_key2(char *buf, size_t size, const char *region, const char *kind, const char *id);

#endif
