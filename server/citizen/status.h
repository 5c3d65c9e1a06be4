/* What a citizen is told about their report: the incident's state in five
 * words a reporter understands, Bahasa Indonesia first, English second.
 * Pure (no I/O), so the HTTP route and the follow WebSocket say the same.
 *
 *   received    filed, nobody at the centre has taken it in hand yet (or not
 *               yet filed into an incident at all)
 *   assessing   a dispatcher acknowledged it
 *   on_the_way  DISPATCHED, or a unit accepted an assignment or is en route
 *   arrived     a unit is on scene (Incident.times.on_scene_at_ms)
 *   handled     RESOLVED or CLOSED
 * A reopened incident goes back to what its status says. */
#ifndef SG_CITIZEN_STATUS_H
#define SG_CITIZEN_STATUS_H

#include "siaga/v1/siaga.pb-c.h"

typedef enum sg_citizen_status {
  SG_CITIZEN_STATUS_RECEIVED,
  SG_CITIZEN_STATUS_ASSESSING,
  SG_CITIZEN_STATUS_ON_THE_WAY,
  SG_CITIZEN_STATUS_ARRIVED,
  SG_CITIZEN_STATUS_HANDLED
} sg_citizen_status;

/* inc NULL: a report not yet filed into an incident. */
sg_citizen_status sg_citizen_status_of(const Siaga__V1__Incident *inc);

/* The stable word ("on_the_way") and the two texts of a status. */
const char *sg_citizen_status_name(sg_citizen_status s);
const char *sg_citizen_status_text_id(sg_citizen_status s);
const char *sg_citizen_status_text_en(sg_citizen_status s);

/* Fills out (and text, which out points to) for report_id and its incident
 * (NULL if not filed). out borrows the strings: report_id and inc must
 * outlive it. Nothing else of the incident is copied. */
void sg_citizen_status_fill(Siaga__V1__ReportStatus *out, Siaga__V1__StatusText *text,
                            const char *report_id, const Siaga__V1__Incident *inc);

#endif
