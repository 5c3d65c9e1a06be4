/* Placeholders until the commands land (step 2 of issue 12). */
#include "dispatch/dispatch_internal.h"

void sg_dispatch_start(sg_dispatch *d) {
  (void)d;
}

void sg_dispatch_console_command(sg_dispatch *d, const Siaga__V1__Command *c, const sg_identity *who,
                                 sg_dispatch_done_cb done, void *data) {
  (void)d;
  (void)who;
  sg_dispatch__refuse(done, data, c->request_id, "unsupported_command", "not yet");
}

void sg_dispatch_responder_command(sg_dispatch *d, const Siaga__V1__ResponderCommand *c,
                                   const sg_identity *who, sg_dispatch_done_cb done, void *data) {
  (void)d;
  (void)who;
  sg_dispatch__refuse(done, data, c->request_id, "unsupported_command", "not yet");
}

void sg_dispatch_sms(sg_dispatch *d, const char *from, const char *text, size_t len,
                     sg_dispatch_sms_cb cb, void *data) {
  (void)d;
  (void)from;
  (void)text;
  (void)len;
  cb(data, 0);
}
