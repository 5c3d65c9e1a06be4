/* The unit statuses, the moves allowed between them and who may make each:
 * one table (unitstatus.c), documented in README "Units". Pure.
 *
 * Three kinds of actor move a unit:
 *   the crew (SetUnitStatus from its app, OTW/TIBA/SELESAI by SMS),
 *   a dispatcher (console), and
 *   dispatch itself, as the effect of an assignment's change (Assign puts a
 *   unit ASSIGNED, Accept EN_ROUTE, Decline, TIMED_OUT and a cancel put it
 *   back AVAILABLE). */
#ifndef SG_UNITSTATUS_H
#define SG_UNITSTATUS_H

#include "siaga/v1/siaga.pb-c.h"

typedef enum sg_unitstatus_actor {
  SG_UNITSTATUS_CREW = 1,
  SG_UNITSTATUS_DISPATCHER = 2,
  SG_UNITSTATUS_DISPATCH = 4
} sg_unitstatus_actor;

typedef Siaga__V1__UnitStatus sg_unitstatus;

/* 1 if actor may move a unit from `from` to `to` (never the same status). */
int sg_unitstatus_allowed(sg_unitstatus from, sg_unitstatus to, sg_unitstatus_actor actor);

/* "AVAILABLE", ... ("" for an unknown value). */
const char *sg_unitstatus_name(sg_unitstatus status);
/* The status of that name (with or without the UNIT_STATUS_ prefix),
 * UNSPECIFIED if none. */
sg_unitstatus sg_unitstatus_parse(const char *name);

/* 1 for the statuses of a unit at work on an accepted assignment
 * (EN_ROUTE, ON_SCENE, TRANSPORTING, AT_HOSPITAL). */
int sg_unitstatus_busy(sg_unitstatus status);

/* 1 if a unit moving from `from` to `to` has finished with its incident:
 * back AVAILABLE or RETURNING once it was there (ON_SCENE, TRANSPORTING,
 * AT_HOSPITAL). Its assignment is then CLEARED. */
int sg_unitstatus_clears(sg_unitstatus from, sg_unitstatus to);

/* 1 if a unit in this status may be assigned (AVAILABLE or RETURNING). */
int sg_unitstatus_assignable(sg_unitstatus status);

#endif
