/* Reading an incident's reasons in the incident-building tests. */
#ifndef SG_TEST_INCIDENT_CHECK_H
#define SG_TEST_INCIDENT_CHECK_H

#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "siaga/v1/siaga.pb-c.h"
#include "triage/incident.h"

/* The reason of that rule, or NULL. */
static inline const Siaga__V1__ScoreReason *reason(const Siaga__V1__Incident *inc,
                                                   const char *rule) {
  for (size_t i = 0; i < inc->n_reasons; i++)
    if (strcmp(inc->reasons[i]->rule, rule) == 0)
      return inc->reasons[i];
  return NULL;
}

/* The reasons' points as the rules make a score of them: clamped to 0..100. */
static inline int reasons_sum(const Siaga__V1__Incident *inc) {
  int sum = 0;
  for (size_t i = 0; i < inc->n_reasons; i++)
    sum += inc->reasons[i]->points;
  return sum < 0 ? 0 : sum > 100 ? 100 : sum;
}

/* An incident through the wire format, as the worker reads a candidate back
 * from Redis, so attach works on what unpack produces; in arena a. */
static inline Siaga__V1__Incident *incident_roundtrip(sg_arena *a, const Siaga__V1__Incident *inc) {
  size_t len;
  uint8_t *pb = sg_triage_pack(a, &inc->base, &len);
  CHECK(pb != NULL);
  Siaga__V1__Incident *back = siaga__v1__incident__unpack(&a->allocator, len, pb);
  CHECK(back != NULL);
  return back;
}

#endif
