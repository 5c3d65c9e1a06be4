/* Dispatcher commands from a console (SetStatus, AddNote): each reads the
 * incident, checks the version the dispatcher saw, and applies the change
 * with transition.lua, the same atomic step the workers use, so the change
 * reaches every console as an update and the incident's audit trail.
 *
 * The actor of every command is the signed-in identity the console was
 * admitted with, never a name the client sends; each command checks the
 * role first, and a refused one writes nothing ("forbidden"). */
#ifndef SG_COMMANDS_H
#define SG_COMMANDS_H

#include "auth/auth.h"
#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_COMMANDS_NOTE_MAX 1000 /* bytes of a note */
#define SG_COMMANDS_NOTES_MAX 100 /* notes of one incident: another is refused, too_many_notes */
/* Bytes of an incident's protobuf: a note that would take it over is
 * refused, incident_too_large. */
#define SG_COMMANDS_INCIDENT_MAX 65536
#define SG_COMMANDS_ACTOR_MAX 64
/* Bytes of a command's requestId. A longer one is refused at the door
 * (bad_command) with the reply carrying sg_commands_request_id_cut's prefix,
 * so the client can still match it. */
#define SG_COMMANDS_REQUEST_ID_MAX 64
#define SG_COMMANDS_REASON_MAX 200 /* bytes of an override's reason */
#define SG_COMMANDS_SMS_MAX 300    /* bytes of a dispatcher's SMS to citizens */
#define SG_COMMANDS_CLAIM_GRACE_DEFAULT_MS 120000 /* another may take an acknowledged one */

typedef struct sg_commands sg_commands;

/* How many bytes of id a reply echoes: all of it up to
 * SG_COMMANDS_REQUEST_ID_MAX, else the first 64 bytes, shortened to end on
 * a whole UTF-8 character (the JSON reply must be able to carry it as is). */
size_t sg_commands_request_id_cut(const char *id);

/* reply and everything it points to live only during the call. */
typedef void (*sg_commands_done_cb)(void *data, const Siaga__V1__CommandReply *reply);

/* Answers a command: ok with incident (may be NULL) when code is NULL, else
 * refused with {code, message}, in both of the reply's shapes (error, and
 * error_code/message for older clients). What it points to is borrowed for
 * the call. The one way every console command is answered (commands, merge,
 * split). */
void sg_commands_answer(sg_commands_done_cb done, void *data, const char *request_id,
                        Siaga__V1__Incident *incident, const char *code, const char *message);

/* redis must outlive the object. Returns NULL on out of memory. */
sg_commands *sg_commands_create(sg_redis *redis, const char *region);
void sg_commands_destroy(sg_commands *commands);

/* How long after an incident is acknowledged another dispatcher may still
 * take it over without a supervisor (default 2 minutes). */
void sg_commands_set_claim_grace(sg_commands *commands, uint64_t ms);

/* Assign, CancelAssignment and Recommend go to dispatch (which must outlive
 * the object); without it they are refused as unsupported. */
struct sg_dispatch;
void sg_commands_set_dispatch(sg_commands *commands, struct sg_dispatch *dispatch);

/* Runs SetStatus, AddNote, SetPriority, SetCategory, ReplySms or MarkPrank. done is called exactly once, possibly before
 * this returns; the command is copied and need not outlive the call. */
void sg_commands_run(sg_commands *commands, const Siaga__V1__Command *command,
                     const sg_identity *who, sg_commands_done_cb done, void *data);

#endif
