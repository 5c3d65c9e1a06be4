/* Split, a console command: one report of an incident taken out into a new
 * incident (a second emergency that joined the first by distance or by
 * number). The new incident is opened from the report as triage would have
 * opened it (the same rules, the same pure builder); the incident it left
 * loses the report's id and count and keeps the rest; both get a note, and
 * split.lua writes both at once with the version check. */
#ifndef SG_SPLIT_H
#define SG_SPLIT_H

#include "api/commands.h"

typedef struct sg_split sg_split;

/* redis must outlive the object. NULL on out of memory. */
sg_split *sg_split_create(sg_redis *redis, const char *region);
void sg_split_destroy(sg_split *split);

/* Runs a Split command (the caller checked a dispatcher at least is signed
 * in). done is called exactly once, possibly before this returns. */
void sg_split_run(sg_split *split, const Siaga__V1__Command *command, const sg_identity *who,
                  sg_commands_done_cb done, void *data);

#endif
