#include "citizen/status.h"

#include <stddef.h>

static const struct {
  const char *name, *id, *en;
} words[] = {
    [SG_CITIZEN_STATUS_RECEIVED] = {"received", "Laporan diterima pusat 112",
                                    "Report received by the 112 centre"},
    [SG_CITIZEN_STATUS_ASSESSING] = {"assessing", "Petugas sedang menilai laporan Anda",
                                     "An operator is assessing your report"},
    [SG_CITIZEN_STATUS_ON_THE_WAY] = {"on_the_way", "Bantuan sedang menuju lokasi",
                                      "Help is on the way"},
    [SG_CITIZEN_STATUS_ARRIVED] = {"arrived", "Petugas sudah tiba di lokasi",
                                   "Help has arrived"},
    [SG_CITIZEN_STATUS_HANDLED] = {"handled", "Laporan selesai ditangani",
                                   "Your report has been handled"},
};

/* A unit that took the job counts as help on the way even before a
 * dispatcher marks the incident DISPATCHED (the responder's app may be
 * faster than the console). */
static int unit_coming(const Siaga__V1__Incident *inc) {
  if (inc->times != NULL && (inc->times->accepted_at_ms > 0 || inc->times->en_route_at_ms > 0))
    return 1;
  for (size_t i = 0; i < inc->n_assignments; i++)
    if (inc->assignments[i]->state == SIAGA__V1__ASSIGNMENT_STATE__ASSIGNMENT_STATE_ACCEPTED)
      return 1;
  return 0;
}

sg_citizen_status sg_citizen_status_of(const Siaga__V1__Incident *inc) {
  if (inc == NULL)
    return SG_CITIZEN_STATUS_RECEIVED;
  switch (inc->status) {
  case SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED:
  case SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_CLOSED:
    return SG_CITIZEN_STATUS_HANDLED;
  default:
    break;
  }
  if (inc->times != NULL && inc->times->on_scene_at_ms > 0)
    return SG_CITIZEN_STATUS_ARRIVED;
  if (inc->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_DISPATCHED || unit_coming(inc))
    return SG_CITIZEN_STATUS_ON_THE_WAY;
  if (inc->status == SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_ACKNOWLEDGED)
    return SG_CITIZEN_STATUS_ASSESSING;
  return SG_CITIZEN_STATUS_RECEIVED;
}

const char *sg_citizen_status_name(sg_citizen_status s) {
  return words[s].name;
}

const char *sg_citizen_status_text_id(sg_citizen_status s) {
  return words[s].id;
}

const char *sg_citizen_status_text_en(sg_citizen_status s) {
  return words[s].en;
}

void sg_citizen_status_fill(Siaga__V1__ReportStatus *out, Siaga__V1__StatusText *text,
                            const char *report_id, const Siaga__V1__Incident *inc) {
  sg_citizen_status s = sg_citizen_status_of(inc);
  siaga__v1__report_status__init(out);
  siaga__v1__status_text__init(text);
  text->id = (char *)words[s].id;
  text->en = (char *)words[s].en;
  out->report_id = (char *)report_id;
  out->incident_id = inc != NULL ? inc->id : (char *)"";
  out->status = (char *)words[s].name;
  out->status_text = text;
  out->updated_at_ms = inc != NULL ? inc->updated_at_ms : 0;
}
