/* Kannel's get-url (from=%p&text=%b or hex=%e&charset=%C&coding=%c&id=%I&
 * time=%t): the query decoded as sms/inbound.c's handle_kannel does, the
 * text converted from its charset, and the report built from it. */
#include "fuzz.h"
#include "sms/charset.h"
#include "sms_check.h"

#define RAW_MAX (4 * FUZZ_SMS_TEXT_MAX)

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_gazetteer();
  return 0;
}

/* A value copied into out when it fits and has no NUL, as handle_kannel. */
static void copy_arg(const sg_sms_form_form *form, const char *name, char *out, size_t size) {
  const sg_sms_form_pair *p = sg_sms_form_form_get(form, name);
  if (p != NULL && p->value_len < size && strlen(p->value) == p->value_len)
    memcpy(out, p->value, p->value_len + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384)
    return 0;
  static sg_sms_form_form form;
  static char buf[2 * 16384 + 2];
  static uint8_t hexbuf[RAW_MAX];
  static char text[FUZZ_SMS_TEXT_MAX + 1];
  if (sg_sms_form_form_parse((const char *)data, size, buf, sizeof(buf), &form) != 0)
    return 0;
  for (size_t i = 0; i < form.n; i++)
    FUZZ_CHECK(form.pairs[i].name_len <= size && form.pairs[i].value_len <= size);
  char from[64] = "", time_s[40] = "", coding[8] = "", phone[SG_SMS_FORM_PHONE_MAX];
  copy_arg(&form, "from", from, sizeof(from));
  copy_arg(&form, "time", time_s, sizeof(time_s));
  copy_arg(&form, "coding", coding, sizeof(coding));
  const sg_sms_form_pair *cs_arg = sg_sms_form_form_get(&form, "charset");
  const sg_sms_form_pair *hex = sg_sms_form_form_get(&form, "hex");
  const sg_sms_form_pair *txt = sg_sms_form_form_get(&form, "text");
  const sg_sms_form_pair *id = sg_sms_form_form_get(&form, "id");
  const uint8_t *raw = NULL;
  size_t raw_len = 0;
  if (hex != NULL) {
    long got = sg_sms_form_hex(hex->value, hex->value_len, hexbuf, sizeof(hexbuf));
    if (got < 0)
      return 0;
    FUZZ_CHECK((size_t)got == hex->value_len / 2);
    raw = hexbuf;
    raw_len = (size_t)got;
  } else if (txt != NULL) {
    raw = (const uint8_t *)txt->value;
    raw_len = txt->value_len;
  }
  if (sg_sms_form_phone(from, phone) != 0)
    return 0;
  FUZZ_CHECK(phone[0] == '+' && strlen(phone) >= 9 && strlen(phone) <= 16);
  if (id != NULL && (id->value_len > 100 || !sg_report_key_valid(id->value, id->value_len)))
    return 0;
  sg_charset cs;
  if (sg_charset_kannel(cs_arg ? cs_arg->value : NULL, cs_arg ? cs_arg->value_len : 0, coding,
                        &cs) != 0 ||
      raw == NULL || raw_len > RAW_MAX)
    return 0;
  size_t text_len;
  if (sg_charset_to_utf8(cs, raw, raw_len, text, sizeof(text), &text_len) != 0 || text_len == 0)
    return 0;
  FUZZ_CHECK(strlen(text) == text_len);
  int64_t sent_at_ms = 0;
  if (time_s[0] != '\0' && sg_sms_form_gateway_time(time_s, 420, &sent_at_ms) != 0)
    sent_at_ms = 0;
  fuzz_sms_report(phone, text, text_len, id ? id->value : "", sent_at_ms);
  return 0;
}
