/* Reading an incident's reasons in the incident-building tests. */
#ifndef SG_TEST_INCIDENT_CHECK_H
#define SG_TEST_INCIDENT_CHECK_H

#include <string.h>

#include "siaga/v1/siaga.pb-c.h"

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

#endif
