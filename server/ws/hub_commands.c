/* What consoles send: frames gathered into one message, decoded, and run
 * as commands with the identity the console was admitted with; a command
 * that is JSON but no valid Command is answered, not closed on. */
#include <stdlib.h>
#include <string.h>

#include "api/commands.h"
#include "wire/jsonread.h"
#include "ws/cmdlog.h"
#include "wire/pbjson.h"
#include "ws/hub_internal.h"
#include "siaga/v1/siaga.pb-c.h"

/* ---- console commands ---- */

static void reply_to(hub_session *s, const Siaga__V1__CommandReply *r) {
  Siaga__V1__ConsoleServerMessage sm = SIAGA__V1__CONSOLE_SERVER_MESSAGE__INIT;
  Siaga__V1__CommandReply copy = *r;
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  if (!r->ok && r->error == NULL) { /* every refusal carries {code, message} */
    e.code = r->error_code;
    e.message = r->message;
    copy.error = &e;
  }
  sm.msg_case = SIAGA__V1__CONSOLE_SERVER_MESSAGE__MSG_REPLY;
  sm.reply = &copy;
  sg_hub__session_send(s, &sm);
}

static void on_command_done(void *data, const Siaga__V1__CommandReply *r) {
  hub_session *s = sg_pending_finish(data);
  if (s != NULL && s->hub != NULL)
    reply_to(s, r);
}

static void on_command(hub_session *s, const Siaga__V1__Command *c) {
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  r.request_id = c->request_id;
  size_t cut = sg_commands_request_id_cut(c->request_id);
  if (c->request_id[cut] != '\0') {
    /* Refused, not cut silently: the reply echoes the id's first 64 bytes,
     * which the client can still match. */
    char echo[SG_COMMANDS_REQUEST_ID_MAX + 1];
    memcpy(echo, c->request_id, cut);
    echo[cut] = '\0';
    r.request_id = echo;
    r.error_code = "bad_command";
    r.message = "requestId: at most 64 bytes (this reply carries its first 64)";
    sg_cmdlog_refused(&s->who, r.error_code);
    reply_to(s, &r);
    return;
  }
  if (c->action_case == SIAGA__V1__COMMAND__ACTION_PING || s->hub->commands_runner == NULL) {
    r.ok = c->action_case == SIAGA__V1__COMMAND__ACTION_PING;
    r.error_code = r.ok ? "" : "unsupported_command";
    r.message = r.ok ? "" : "this server does not take that command";
    reply_to(s, &r);
    return;
  }
  sg_pending *op = sg_pending_start(&s->ops, s);
  if (op == NULL) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  sg_commands_done_cb done = on_command_done;
  void *data = op;
  sg_cmdlog_start(SG_LOG_INFO, &c->base, &s->who, &done, &data);
  sg_commands_run(s->hub->commands_runner, c, &s->who, done, data);
}

/* A text frame that is JSON but no ConsoleClientMessage: answers it as a
 * refused command, with its requestId when it has one. 0 if the frame is
 * not even JSON (then it is a protocol error). */
static int reply_bad_command(hub_session *s, const char *why) {
  sg_jsonread_doc doc;
  if (sg_jsonread_parse(&doc, (const char *)s->rx, s->rx_len, 8, NULL) != 0)
    return 0;
  char request_id[SG_COMMANDS_REQUEST_ID_MAX + 1] = "";
  const sg_jsonread_value *v = doc.values;
  for (size_t i = 1; v[0].type == SG_JSONREAD_OBJECT && i < v[0].span; i += v[i].span) {
    if (strcmp(v[i].key, "command") != 0 || v[i].type != SG_JSONREAD_OBJECT)
      continue;
    for (size_t j = i + 1; j < i + v[i].span; j += v[j].span)
      if (strcmp(v[j].key, "requestId") == 0 && v[j].type == SG_JSONREAD_STRING) {
        size_t cut = sg_commands_request_id_cut(v[j].u.string.str);
        memcpy(request_id, v[j].u.string.str, cut);
        request_id[cut] = '\0';
      }
  }
  Siaga__V1__CommandReply r = SIAGA__V1__COMMAND_REPLY__INIT;
  r.request_id = request_id;
  r.error_code = "bad_command";
  r.message = (char *)why;
  sg_cmdlog_refused(&s->who, r.error_code);
  reply_to(s, &r);
  sg_jsonread_close(&doc);
  return 1;
}

void sg_hub__receive(hub_session *s, const void *in, size_t len) {
  struct lws *wsi = s->wsi;
  if (lws_is_first_fragment(wsi)) {
    s->rx_len = 0;
    s->rx_overflow = 0;
  }
  if (s->rx_overflow || s->state == SESSION_CLOSING)
    return;
  if (s->rx_len + len > SG_HUB__RX_MAX) {
    s->rx_overflow = 1;
    sg_hub__session_close(s, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "command larger than 64 KiB");
    return;
  }
  if (s->rx == NULL && (s->rx = malloc(SG_HUB__RX_MAX)) == NULL) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
    return;
  }
  memcpy(s->rx + s->rx_len, in, len);
  s->rx_len += len;
  if (!lws_is_final_fragment(wsi))
    return;
  int binary = lws_frame_is_binary(wsi);
  if (binary != (s->format == SG_MSG_PB)) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
                  binary ? "this subprotocol takes text frames" : "this subprotocol takes binary frames");
    return;
  }
  if (s->q.len > SG_HUB__PENDING_REPLIES_MAX) {
    sg_hub__session_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many unread replies");
    return;
  }
  Siaga__V1__ConsoleClientMessage *cm = NULL;
  char err[160] = "not a siaga.v1.ConsoleClientMessage";
  if (binary)
    cm = siaga__v1__console_client_message__unpack(NULL, s->rx_len, s->rx);
  else
    sg_pbjson_decode(&siaga__v1__console_client_message__descriptor, (const char *)s->rx,
                     s->rx_len, NULL, (ProtobufCMessage **)&cm, err, sizeof(err));
  if (cm == NULL && !binary && reply_bad_command(s, err)) {
    /* Well-formed JSON that is not a valid command (a misspelt enum, a
     * field of the wrong type): the console gets a reply and stays. */
  } else if (cm == NULL || cm->msg_case != SIAGA__V1__CONSOLE_CLIENT_MESSAGE__MSG_COMMAND) {
    sg_hub__session_send_error(s, "bad_message", err);
    sg_hub__session_close(s, LWS_CLOSE_STATUS_INVALID_PAYLOAD, "malformed message");
  } else {
    on_command(s, cm->command);
  }
  if (cm != NULL)
    protobuf_c_message_free_unpacked(&cm->base, NULL);
}

