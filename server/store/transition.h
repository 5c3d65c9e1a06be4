/* The one builder of a transition.lua call: its KEYS and ARGV from named
 * fields, so no caller counts positions. The console commands (api/) and
 * the worker's triage (triage/) both fill a sg_transition and issue the
 * argv this module writes, each on its own connection.
 *
 * The positions, as server/store/lua/transition.lua documents them at its
 * top (the script is the reference; this is the same list by field):
 *
 *   KEYS                                  ARGV
 *   1  incident:<incident_id>             1  expected_version
 *   2  open                               2  incident_id
 *   3  geo                                3  incident_pb
 *   4  updates                            4  update_pb
 *   5  audit:<incident_id>                5  status
 *   6  processed:<entry_id>   (report)    6  priority
 *   7  report:<report_id>     (report)    7  score
 *   8  reports                            8  created_at_ms
 *   9  sms:out                            9  lon  } "0" both without has_point
 *   10 incident:<incident_id>:sms         10 lat  }
 *   11 phone:<phone>          (phone)     11 entry_id, "" without a report
 *   12 incident:<incident_id>:phones      12 SG_GROUP_TRIAGE
 *                             (phone)     13 marker_ttl_s
 *                                         14 report_id
 *                                         15 SG_TRANSITION_UPDATES_MAXLEN
 *                                         16 updated_at_ms
 *                                         17 ack_to     18 ack_text
 *                                         19 status_text
 *                                         20 token      21 index_ttl_s (report)
 *                                         22 phone      23 phone_ttl_s
 *                                         24 phone_seen
 *                                         25 check radius  26 check count
 *                                         27.. check known (the opening check)
 *
 * Without a report (entry_id "" or NULL) KEYS 6-8 are the reports stream
 * three times (the script never touches them then). The call's shape is the
 * shortest the script accepts for what is set: 10 keys, or 12 with a phone;
 * 19 arguments without a report, 21 with one, 24 with a phone, and 26 plus
 * the known ids with an opening check (ARGV 22-24 then "" when there is no
 * phone). */
#ifndef SG_TRANSITION_H
#define SG_TRANSITION_H

#include <stddef.h>
#include <stdint.h>

#include "core/embedded.h"
#include "store/keys.h"

#define SG_TRANSITION_KEYS_MAX 12
#define SG_TRANSITION_ARGS_FIXED 26 /* ARGV 1-26; the known ids follow */
#define SG_TRANSITION_KNOWN_MAX 64  /* ids of one opening check */
#define SG_TRANSITION_ARGC_MAX                                                                     \
  (3 + SG_TRANSITION_KEYS_MAX + SG_TRANSITION_ARGS_FIXED + SG_TRANSITION_KNOWN_MAX)
#define SG_TRANSITION_UPDATES_MAXLEN 10000 /* the updates stream, approximate (~) */

/* The opening check (ARGV 25-27..): the open incidents the caller's
 * GEOSEARCH named near the report when it chose to open one; the script
 * refuses the opening if it finds another there. */
typedef struct sg_transition_check {
  int on;                   /* 0: no check (a join, a command, or no search made) */
  int radius_m;             /* of the caller's search */
  int count;                /* its COUNT */
  const char *const *known; /* incident ids, as the search answered them */
  size_t n_known;           /* at most SG_TRANSITION_KNOWN_MAX */
} sg_transition_check;

/* One transition of one incident. Strings are borrowed for the call of
 * sg_transition_build only; NULL strings are taken as "". */
typedef struct sg_transition {
  const char *region;
  const char *incident_id;
  int64_t expected_version; /* 0: the incident must not exist yet */
  /* Bytes, not strings: the Incident (already at expected_version + 1) and
   * the IncidentUpdate that carries it. */
  const uint8_t *incident_pb;
  size_t incident_pb_len;
  const uint8_t *update_pb;
  size_t update_pb_len;
  int status;   /* IncidentStatus number */
  int priority; /* Priority number */
  int score;    /* 0..100 */
  int64_t created_at_ms;
  int64_t updated_at_ms;
  int has_point; /* 0: lon and lat go as 0, out of the geo set */
  double lon, lat;

  /* The report the transition applies; all unset for a console command. */
  const char *entry_id;  /* reports stream entry, "" or NULL: no report */
  const char *report_id; /* report index key, "" for none */
  const char *token;     /* tracking token, "" for none */
  int marker_ttl_s;      /* processed marker */
  int index_ttl_s;       /* report index */

  /* SMS to citizens; "" for none. */
  const char *ack_to;      /* the reporter's number to acknowledge */
  const char *ack_text;    /* sent only with ack_to */
  const char *status_text; /* to the incident's SMS reporters on dispatch or close */

  /* The phone map, for a report linked by its number: phone NULL or "" for
   * none. */
  const char *phone;      /* E.164 */
  int phone_ttl_s;        /* also passed before an opening check */
  const char *phone_seen; /* the map's value the decision was made on, "" for none */

  sg_transition_check check;
} sg_transition;

/* A built call: argv[0..argc) with lens, pointing into this struct and into
 * the sg_transition's strings and bytes (which must outlive the call's
 * issue), for redisAppendCommandArgv or sg_redis_command, which copy them.
 * Large (about 5 KiB): meant for the stack. */
typedef struct sg_transition_call {
  int argc;
  const char *argv[SG_TRANSITION_ARGC_MAX];
  size_t lens[SG_TRANSITION_ARGC_MAX];
  char keys[SG_TRANSITION_KEYS_MAX][SG_KEY_MAX];
  char numbers[16][24]; /* the numeric arguments, as decimal text */
} sg_transition_call;

/* Builds tr's call: EVAL with the script's text when body is not NULL,
 * else EVALSHA sha. Returns 0, or SG_EINVAL when a key does not fit or the
 * check names more than SG_TRANSITION_KNOWN_MAX ids (call then unusable). */
int sg_transition_build(sg_transition_call *call, const sg_transition *tr, const char *sha,
                        const sg_embedded_file *body);

#endif
