/* Twilio's webhook: a form body as sms/inbound.c's handle_twilio reads it,
 * its X-Twilio-Signature computed (a real token makes siagad compute it for
 * every request, so it sees every form), and the report of its Body. */
#include "core/utf8.h"
#include "fuzz.h"
#include "sms_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_gazetteer();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384)
    return 0;
  static sg_sms_form_form form;
  static char buf[2 * 16384 + 2];
  if (sg_sms_form_form_parse((const char *)data, size, buf, sizeof(buf), &form) != 0)
    return 0;
  char sig[SG_SMS_FORM_TWILIO_SIG_LEN + 1];
  FUZZ_CHECK(sg_sms_form_twilio_signature("fuzz-token", "https://siaga.example/v1/sms/twilio",
                                          &form, sig) == 0);
  FUZZ_CHECK(strlen(sig) == SG_SMS_FORM_TWILIO_SIG_LEN);
  const sg_sms_form_pair *from = sg_sms_form_form_get(&form, "From");
  const sg_sms_form_pair *body = sg_sms_form_form_get(&form, "Body");
  const sg_sms_form_pair *sid = sg_sms_form_form_get(&form, "MessageSid");
  if (sid == NULL)
    sid = sg_sms_form_form_get(&form, "SmsSid");
  char phone[SG_SMS_FORM_PHONE_MAX];
  if (from == NULL || from->value_len != strlen(from->value) ||
      sg_sms_form_phone(from->value, phone) != 0)
    return 0;
  if (sid != NULL && (sid->value_len > 100 || !sg_report_key_valid(sid->value, sid->value_len)))
    return 0;
  if (body == NULL || body->value_len == 0 || body->value_len > FUZZ_SMS_TEXT_MAX ||
      !sg_utf8_valid(body->value, body->value_len) || strlen(body->value) != body->value_len)
    return 0;
  fuzz_sms_report(phone, body->value, body->value_len, sid ? sid->value : "", 0);
  return 0;
}
