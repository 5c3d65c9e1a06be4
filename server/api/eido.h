/* GET /v1/incidents/{id}/eido: one incident as an Emergency Incident Data
 * Object, the JSON document of NENA-STA-021.1a-2022, for handing an
 * incident to another centre's system. Only the components issue 14 names
 * are written (README "EIDO" lists each field and where it comes from):
 * incident, call (one per report), location, person (one per caller),
 * agent (each account that acted on it), emergency resource (one per
 * assignment), and merge (what was merged into it, or what it was merged
 * into).
 *
 * The document is written here directly, not through wire/pbjson: it is
 * NENA's schema, not a siaga message, and its "$id"/"$ref" keys are no
 * proto3 JSON names. Every string goes through one escaper that writes
 * valid JSON whatever bytes the store held. */
#ifndef SG_EIDO_H
#define SG_EIDO_H

#include <stddef.h>

#include "siaga/v1/siaga.pb-c.h"
#include "store/history.h"
#include "store/incidents.h"

/* json is the document (valid during the call) when status is
 * SG_HISTORY_OK, else NULL; NOT_FOUND: no such incident. */
typedef void (*sg_eido_cb)(void *data, sg_history_status status, const char *json, size_t len);

/* Reads incident id and its history (the reports that joined it, merges
 * included) and builds its EIDO. Returns 0 and calls cb exactly once later,
 * or a negative SG_E* code without calling it. incidents and history must
 * outlive the call. */
int sg_eido_read(sg_incidents *incidents, sg_history *history, const char *id, sg_eido_cb cb,
                 void *data);

/* The document for inc and the reports of its history (h may be NULL),
 * malloc'd into *out (the caller frees). 0, or SG_ENOMEM. */
int sg_eido_encode(const Siaga__V1__Incident *inc, const Siaga__V1__IncidentHistory *h, char **out,
                   size_t *len);

#endif
