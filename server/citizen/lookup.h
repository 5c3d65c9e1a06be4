/* The Redis half of following a report: from a report id and the tracking
 * token handed out with it, the incident the report is in now (through
 * merges), read by report_status.lua in one round trip.
 *
 * A wrong token is answered exactly as an unknown report (NOT_FOUND), after
 * the same Redis work and a constant-time comparison, so a guesser learns
 * nothing about which report ids exist. */
#ifndef SG_CITIZEN_LOOKUP_H
#define SG_CITIZEN_LOOKUP_H

#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

typedef struct sg_citizen_lookup sg_citizen_lookup;

typedef enum sg_citizen_lookup_status {
  SG_CITIZEN_LOOKUP_OK,
  SG_CITIZEN_LOOKUP_NOT_FOUND,  /* unknown report, or the token is not its own */
  SG_CITIZEN_LOOKUP_UNAVAILABLE /* Redis down or the reply unusable */
} sg_citizen_lookup_status;

/* incident is NULL when the report is known but not yet filed into an
 * incident; it lives only during the call. */
typedef void (*sg_citizen_lookup_cb)(void *data, sg_citizen_lookup_status status,
                                     const Siaga__V1__Incident *incident);

/* redis must outlive the object. NULL on out of memory or a bad region. */
sg_citizen_lookup *sg_citizen_lookup_create(sg_redis *redis, const char *region);
void sg_citizen_lookup_destroy(sg_citizen_lookup *lookup);

/* 1 if report_id and token look like ours (checked before any key is built
 * from them). */
int sg_citizen_lookup_args_valid(const char *report_id, const char *token);

/* Returns 0 and calls cb exactly once later, or -1 (Redis cannot take it;
 * cb is not called). report_id and token must pass
 * sg_citizen_lookup_args_valid; they are copied. */
int sg_citizen_lookup_report(sg_citizen_lookup *lookup, const char *report_id, const char *token,
                             sg_citizen_lookup_cb cb, void *data);

#endif
