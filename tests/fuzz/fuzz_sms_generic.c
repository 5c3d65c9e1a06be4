/* The generic inbound JSON (POST /v1/sms/inbound): sg_sms_form_inbound_json
 * as sms/inbound.c's handle_inbound reads it, and the report of its text. */
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
  if (size > 65536)
    return 0;
  sg_sms_form_inbound in;
  char code[32], message[192];
  if (sg_sms_form_inbound_json((const char *)data, size, &in, code, message, sizeof(message)) !=
      0) {
    FUZZ_CHECK(code[0] != '\0' && message[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(in.from != NULL && in.text != NULL);
  char phone[SG_SMS_FORM_PHONE_MAX];
  size_t id_len = in.message_id ? strlen(in.message_id) : 0;
  if (sg_sms_form_phone(in.from, phone) == 0 &&
      (id_len == 0 || (id_len <= 100 && sg_report_key_valid(in.message_id, id_len))) &&
      in.text_len > 0 && in.text_len <= FUZZ_SMS_TEXT_MAX &&
      sg_utf8_valid(in.text, in.text_len) && strlen(in.text) == in.text_len)
    fuzz_sms_report(phone, in.text, in.text_len, in.message_id ? in.message_id : "",
                    in.received_at_ms);
  sg_sms_form_inbound_free(&in);
  return 0;
}
