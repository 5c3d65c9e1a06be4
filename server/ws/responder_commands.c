/* What crews send: frames gathered into one ResponderClientMessage,
 * decoded, and run by sg_dispatch as the unit the connection was admitted
 * as (never a unit the message names); each command is answered with a
 * CommandReply carrying its request id. */
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "wire/jsonread.h"
#include "ws/cmdlog.h"
#include "wire/pbjson.h"
#include "ws/responder_internal.h"
#include "siaga/v1/siaga.pb-c.h"

static void send_reply(session *s, const Siaga__V1__CommandReply *r) {
  Siaga__V1__CommandReply copy = *r;
  Siaga__V1__Unit unit;
  if (r->unit != NULL) { /* the crew's own phone number is the consoles' business */
    unit = *r->unit;
    unit.phone = "";
    copy.unit = &unit;
  }
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  if (!r->ok && r->error == NULL) { /* every refusal carries {code, message} */
    e.code = r->error_code;
    e.message = r->message;
    copy.error = &e;
  }
  Siaga__V1__ResponderServerMessage sm = SIAGA__V1__RESPONDER_SERVER_MESSAGE__INIT;
  sm.msg_case = SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_REPLY;
  sm.reply = &copy;
  sg_responder__reply(s, &sm);
}

static void on_command_done(void *data, const Siaga__V1__CommandReply *r) {
  session *s = sg_pending_finish(data);
  if (s == NULL || s->r == NULL)
    return;
  s->replies_due--;
  send_reply(s, r);
}

static void on_command(session *s, const Siaga__V1__ResponderCommand *c) {
  size_t cut = sg_commands_request_id_cut(c->request_id);
  int long_id = c->request_id[cut] != '\0';
  if (long_id || c->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION_PING ||
      c->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION__NOT_SET) {
    /* A requestId over 64 bytes is refused with its first 64 echoed, which
     * the crew's app can still match. */
    char echo[SG_COMMANDS_REQUEST_ID_MAX + 1];
    memcpy(echo, c->request_id, cut);
    echo[cut] = '\0';
    Siaga__V1__CommandReply reply = SIAGA__V1__COMMAND_REPLY__INIT;
    reply.request_id = echo;
    reply.ok = !long_id && c->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION_PING;
    reply.error_code = reply.ok ? "" : "bad_command";
    reply.message = reply.ok       ? ""
                    : long_id      ? "requestId: at most 64 bytes (this reply carries its first 64)"
                                   : "the command names no action";
    if (!reply.ok)
      sg_cmdlog_refused(&s->who, reply.error_code);
    send_reply(s, &reply);
    return;
  }
  sg_pending *op = sg_pending_start(&s->ops, s);
  if (op == NULL) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  s->replies_due++;
  sg_commands_done_cb done = on_command_done;
  void *data = op;
  /* a crew's position and seen marks come often: debug, not info */
  sg_cmdlog_start(c->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION_POSITION ||
                          c->action_case == SIAGA__V1__RESPONDER_COMMAND__ACTION_SEEN
                      ? SG_LOG_DEBUG
                      : SG_LOG_INFO,
                  &c->base, &s->who, &done, &data);
  sg_dispatch_responder_command(s->r->dispatch, c, &s->who, done, data);
}

/* A text frame that is JSON but no ResponderClientMessage (a misspelt
 * status, a field of the wrong type): answered as a refused command, with
 * its requestId when it has one, and the crew stays connected, as consoles
 * do. 0 if the frame is not even JSON (then it is a protocol error). */
static int reply_bad_command(session *s, const char *why) {
  sg_jsonread_doc doc;
  if (sg_jsonread_parse(&doc, (const char *)s->rx, s->rx_len, 8, NULL) != 0)
    return 0;
  const char *request_id = "";
  const sg_jsonread_value *v = doc.values;
  for (size_t i = 1; v[0].type == SG_JSONREAD_OBJECT && i < v[0].span; i += v[i].span) {
    if (strcmp(v[i].key, "command") != 0 || v[i].type != SG_JSONREAD_OBJECT)
      continue;
    for (size_t j = i + 1; j < i + v[i].span; j += v[j].span)
      if (strcmp(v[j].key, "requestId") == 0 && v[j].type == SG_JSONREAD_STRING &&
          v[j].u.string.len < 64)
        request_id = v[j].u.string.str;
  }
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  r.request_id = (char *)request_id;
  r.error_code = "bad_command";
  r.message = (char *)why;
  sg_cmdlog_refused(&s->who, r.error_code);
  send_reply(s, &r);
  sg_jsonread_close(&doc);
  return 1;
}

void sg_responder__receive(session *s, const void *in, size_t len) {
  struct lws *wsi = s->wsi;
  if (s->r == NULL)
    return; /* the channel is going; lws closes the connection */
  if (lws_is_first_fragment(wsi)) {
    s->rx_len = 0;
    s->rx_overflow = 0;
  }
  if (s->rx_overflow || s->state == SESSION_CLOSING)
    return;
  if (s->rx_len + len > SG_RESPONDER__RX_MAX) {
    s->rx_overflow = 1;
    sg_responder__close(s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "command larger than 16 KiB");
    return;
  }
  if (s->rx == NULL && (s->rx = malloc(SG_RESPONDER__RX_MAX)) == NULL) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  memcpy(s->rx + s->rx_len, in, len);
  s->rx_len += len;
  if (!lws_is_final_fragment(wsi))
    return;
  int binary = lws_frame_is_binary(wsi);
  if (binary != (s->format == SG_MSG_PB)) {
    sg_responder__close(s, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                        binary ? "this subprotocol takes text frames"
                               : "this subprotocol takes binary frames");
    return;
  }
  if (s->replies_due >= SG_RESPONDER__REPLIES_MAX || s->q.len >= s->r->max_queue / 2) {
    sg_responder__close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many unanswered commands");
    return;
  }
  Siaga__V1__ResponderClientMessage *cm = NULL;
  char err[160] = "not a siaga.v1.ResponderClientMessage";
  if (binary)
    cm = siaga__v1__responder_client_message__unpack(NULL, s->rx_len, s->rx);
  else
    sg_pbjson_decode(&siaga__v1__responder_client_message__descriptor, (const char *)s->rx,
                     s->rx_len, NULL, (ProtobufCMessage **)&cm, err, sizeof(err));
  if (cm == NULL && !binary && reply_bad_command(s, err)) {
    /* answered; the connection stays */
  } else if (cm == NULL || cm->msg_case != SIAGA__V1__RESPONDER_CLIENT_MESSAGE__MSG_COMMAND) {
    sg_responder__send_error(s, "bad_message", err);
    sg_responder__close(s, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "malformed message");
  } else {
    on_command(s, cm->command);
  }
  if (cm != NULL)
    protobuf_c_message_free_unpacked(&cm->base, NULL);
}
