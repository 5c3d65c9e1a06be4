/* siaga-responder's text: server messages as one line each, and the
 * crew's typed lines as commands. Pure, no I/O, so it is testable alone.
 *
 * Lines the crew types (words separated by spaces):
 *   accept [ASSIGNMENT]         the current assignment unless named
 *   decline REASON...           the current assignment, with the reason
 *   seen [ASSIGNMENT]           opened on screen
 *   status NAME                 EN_ROUTE, on_scene, UNIT_STATUS_AVAILABLE ...
 *   pos LAT LON [ACCURACY_M]    the unit's position now
 *   note TEXT...                a note on the current assignment's incident
 *   ping */
#ifndef SG_RESPONDER_LINES_H
#define SG_RESPONDER_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "siaga/v1/siaga.pb-c.h"

#define SGR_ID_MAX 64
#define SGR_TEXT_MAX 512

/* What the client knows of its unit, to fill in commands. */
typedef struct sgr_state {
  char assignment_id[SGR_ID_MAX];
  char incident_id[SGR_ID_MAX];
  char last_update_id[SGR_ID_MAX]; /* for ?resume= */
} sgr_state;

/* A command parsed from a line, with the storage its strings point into. */
typedef struct sgr_command {
  Siaga__V1__ResponderClientMessage msg;
  Siaga__V1__ResponderCommand cmd;
  union {
    Siaga__V1__Accept accept;
    Siaga__V1__Decline decline;
    Siaga__V1__Seen seen;
    Siaga__V1__SetUnitStatus status;
    Siaga__V1__Position position;
    Siaga__V1__AddNote note;
    Siaga__V1__Ping ping;
  } u;
  char request_id[24];
  char id[SGR_ID_MAX];
  char text[SGR_TEXT_MAX];
} sgr_command;

/* Parses line (no newline) into *out with request id "cN" for seq N.
 * Returns 1 with a command, 0 for an empty line, -1 with a reason in err
 * (usage, or nothing to accept). */
int sgr_parse_line(const char *line, const sgr_state *state, unsigned seq, sgr_command *out,
                   char *err, size_t err_size);

/* The server message as one human line (no newline) into buf; updates
 * state (the current assignment, the last update id). Returns the line's
 * length, truncated to size - 1. */
size_t sgr_format(const Siaga__V1__ResponderServerMessage *m, sgr_state *state, char *buf,
                  size_t size);

/* The id of an assignment just offered that should be marked DELIVERED,
 * or NULL. */
const char *sgr_delivered(const Siaga__V1__ResponderServerMessage *m);

#endif
