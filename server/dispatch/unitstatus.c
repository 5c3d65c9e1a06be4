#include "dispatch/unitstatus.h"

#include <string.h>
#include <strings.h>

enum {
  AV = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_AVAILABLE,
  AS = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ASSIGNED,
  ER = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_EN_ROUTE,
  OS = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_ON_SCENE,
  TR = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_TRANSPORTING,
  AH = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_AT_HOSPITAL,
  RT = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_RETURNING,
  OOS = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_OUT_OF_SERVICE,
  OFF = SIAGA__V1__UNIT_STATUS__UNIT_STATUS_OFFLINE,
  N_STATUS = OFF + 1
};

enum { C = SG_UNITSTATUS_CREW, D = SG_UNITSTATUS_DISPATCHER, X = SG_UNITSTATUS_DISPATCH };

/* allowed[from][to]: who may make the move. The crew moves itself along
 * the work (EN_ROUTE -> ON_SCENE -> TRANSPORTING -> AT_HOSPITAL ->
 * RETURNING -> AVAILABLE, skipping what did not happen) and in and out of
 * service; it never leaves ASSIGNED by a status (it accepts or declines);
 * assignments move it in and out of ASSIGNED and back to AVAILABLE when
 * cancelled; a dispatcher may take an idle unit out of service or put it
 * back. */
static const unsigned char allowed[N_STATUS][N_STATUS] = {
    [AV] = {[AS] = X, [OS] = C, [OOS] = C | D, [OFF] = C | D},
    [AS] = {[AV] = X, [ER] = X},
    [ER] = {[OS] = C, [AV] = X},
    [OS] = {[TR] = C, [RT] = C, [AV] = C | X},
    [TR] = {[AH] = C, [OS] = C, [AV] = X},
    [AH] = {[RT] = C, [AV] = C | X, [TR] = C},
    [RT] = {[AV] = C | D, [AS] = X, [OOS] = C | D, [OFF] = C},
    [OOS] = {[AV] = C | D, [OFF] = C | D},
    [OFF] = {[AV] = C | D, [OOS] = C | D},
};

int sg_unitstatus_allowed(sg_unitstatus from, sg_unitstatus to, sg_unitstatus_actor actor) {
  if ((int)from <= 0 || (int)from >= N_STATUS || (int)to <= 0 || (int)to >= N_STATUS)
    return 0;
  return (allowed[from][to] & actor) != 0;
}

static const char *const names[N_STATUS] = {"",
                                            "AVAILABLE",
                                            "ASSIGNED",
                                            "EN_ROUTE",
                                            "ON_SCENE",
                                            "TRANSPORTING",
                                            "AT_HOSPITAL",
                                            "RETURNING",
                                            "OUT_OF_SERVICE",
                                            "OFFLINE"};

const char *sg_unitstatus_name(sg_unitstatus s) {
  return (int)s > 0 && (int)s < N_STATUS ? names[s] : "";
}

sg_unitstatus sg_unitstatus_parse(const char *name) {
  if (strncasecmp(name, "UNIT_STATUS_", 12) == 0)
    name += 12;
  for (int i = 1; i < N_STATUS; i++)
    if (strcasecmp(name, names[i]) == 0)
      return (sg_unitstatus)i;
  return SIAGA__V1__UNIT_STATUS__UNIT_STATUS_UNSPECIFIED;
}

int sg_unitstatus_busy(sg_unitstatus status) {
  int s = (int)status;
  return s == ER || s == OS || s == TR || s == AH;
}

int sg_unitstatus_clears(sg_unitstatus from_status, sg_unitstatus to_status) {
  int from = (int)from_status, to = (int)to_status;
  return (from == OS || from == TR || from == AH) && (to == AV || to == RT);
}

int sg_unitstatus_assignable(sg_unitstatus status) {
  int s = (int)status;
  return s == AV || s == RT;
}
