/* The shared end of the SMS targets: a text that passed a gateway's checks
 * becomes a Report as sms/inbound.c builds it, and that report must pass
 * sg_report_validate. siagad never refuses a gateway's message for a field
 * it derived itself (issue 14: an AML rd over the limit lost the message). */
#ifndef SG_FUZZ_SMS_CHECK_H
#define SG_FUZZ_SMS_CHECK_H

#include <string.h>

#include "core/embedded.h"
#include "fuzz.h"
#include "sms/form.h"
#include "text/textscan.h"
#include "wire/report.h"

#define FUZZ_SMS_TEXT_MAX 1600 /* sms/inbound.c's SMS_TEXT_MAX */

/* The built-in gazetteer, loaded once per process (LLVMFuzzerInitialize). */
static inline const sg_textscan_gazetteer *fuzz_gazetteer(void) {
  static sg_textscan_gazetteer *gaz;
  if (gaz == NULL) {
    const sg_embedded_file *f = sg_embedded_find("palangka-raya.tsv");
    FUZZ_CHECK(f != NULL);
    FUZZ_CHECK(sg_textscan_gazetteer_load_buffer((const char *)f->data, f->size, &gaz, NULL) == 0);
  }
  return gaz;
}

/* phone: E.164 from sg_sms_form_phone; text: UTF-8 from sg_charset_to_utf8,
 * text_len bytes, 1..FUZZ_SMS_TEXT_MAX of them. */
static inline void fuzz_sms_report(const char *phone, const char *text, size_t text_len,
                                   const char *gateway_id, int64_t sent_at_ms) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  Siaga__V1__Reporter rep = SIAGA__V1__REPORTER__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  char address[SG_REPORT_ADDRESS_MAX + 1] = "", desc[FUZZ_SMS_TEXT_MAX + 128];
  rep.phone = (char *)phone;
  r.reporter = &rep;
  r.gateway_message_id = (char *)gateway_id;
  r.sent_at_ms = sent_at_ms;
  sg_sms_form_report(fuzz_gazetteer(), text, text_len, &r, &loc, address, sizeof(address), desc,
                     sizeof(desc));
  sg_report_error err;
  if (sg_report_validate(&r, &err) != 0) {
    fprintf(stderr, "a gateway's message was refused for what siagad derived: %s: %s\n", err.code,
            err.message);
    abort();
  }
}

#endif
