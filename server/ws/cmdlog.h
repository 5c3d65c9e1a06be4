/* The log line of every console and responder command, with who and why:
 *
 *   event=command actor=ana role=dispatcher command=setStatus incident=PLK-000001 \
 *     request=r1 result=ok                        (or result=error code=stale_version)
 *
 * incident= (assignment= for a crew's answer to one), request= and code=
 * are left out when there is none.
 *
 * sg_cmdlog_start puts a logging step in front of a command's done callback:
 * the line is written when the command is answered, then the answer goes on
 * to the original callback unchanged. */
#ifndef SG_CMDLOG_H
#define SG_CMDLOG_H

#include <protobuf-c/protobuf-c.h>

#include "api/commands.h"
#include "auth/auth.h"
#include "core/log.h"

/* command is a siaga.v1.Command or ResponderCommand: its oneof names the
 * command, and the chosen message's incident_id (or assignment_id) the
 * incident. Replaces *done and *data with the logging step, which frees
 * itself when called (done is called exactly once, as sg_commands_run
 * promises). Out of memory: the line is written at once with
 * result=unknown, and *done and *data are left as they were. */
void sg_cmdlog_start(sg_log_level level, const ProtobufCMessage *command, const sg_identity *who,
                     sg_commands_done_cb *done, void **data);

/* The line of a command refused before it could be read (a requestId too
 * long, a message that is no command): result=error with code. */
void sg_cmdlog_refused(const sg_identity *who, const char *code);

#endif
