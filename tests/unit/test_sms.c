/* The pure parts of the SMS webhooks (sg_sms_form): gateway times, phone
 * numbers, forms, Twilio signatures, the inbound JSON and text -> Report. */
#include "check.h"
#include "core/embedded.h"
#include "sms/form.h"
#include "wire/report.h"

static void test_gateway_time(void) {
  int64_t ms = 0;
  CHECK_INT_EQ(sg_sms_form_gateway_time("2026-11-28 15:30:00", 420, &ms), 0);
  CHECK_INT_EQ(ms, 1795854600000LL); /* 15:30 WIB is 08:30 UTC */
  CHECK_INT_EQ(sg_sms_form_gateway_time("2026-11-28 15:30", 420, &ms), 0);
  CHECK_INT_EQ(ms, 1795854600000LL);
  CHECK_INT_EQ(sg_sms_form_gateway_time("2024-03-01 06:59:59", 420, &ms), 0);
  CHECK_INT_EQ(ms, 1709251199000LL);                                 /* across a leap day */
  CHECK_INT_EQ(sg_sms_form_gateway_time("1795854600", 420, &ms), 0); /* %T */
  CHECK_INT_EQ(ms, 1795854600000LL);
  const char *bad[] = {"",
                       "2026-11-28",
                       "2026-13-01 00:00",
                       "2026-02-30 00:00",
                       "2026-11-28 24:00",
                       "2026-11-28 15:30:00Z",
                       "2026-11-28 15:30:0",
                       "1999-12-31 23:59",
                       "abcd-ef-gh ij:kl",
                       "99999999999",
                       "2026-11-28 15:61"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (sg_sms_form_gateway_time(bad[i], 420, &ms) != -1)
      CHECK_FAIL_("accepted bad time \"%s\"", bad[i]);
  }
}

static void test_rfc3339(void) {
  int64_t ms = 0;
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T08:30:00Z", &ms), 0);
  CHECK_INT_EQ(ms, 1795854600000LL);
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T15:30:00.25+07:00", &ms), 0);
  CHECK_INT_EQ(ms, 1795854600250LL);
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28t03:30:00-05:00", &ms), 0);
  CHECK_INT_EQ(ms, 1795854600000LL);
  CHECK_INT_EQ(sg_sms_form_rfc3339("1795854600000", &ms), 0);
  CHECK_INT_EQ(ms, 1795854600000LL);
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T08:30:00", &ms), -1); /* no zone */
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T08:30Z", &ms), -1);
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T08:30:00.Z", &ms), -1);
  CHECK_INT_EQ(sg_sms_form_rfc3339("2026-11-28T08:30:00+0700", &ms), -1);
  CHECK_INT_EQ(sg_sms_form_rfc3339("-5", &ms), -1);
}

static void test_phone(void) {
  const char *cases[][2] = {
      {"081234567890", "+6281234567890"},
      {"6281234567890", "+6281234567890"},
      {"+6281234567890", "+6281234567890"},
      {" 6281234567890", "+6281234567890"},
      {"+62 0812-3456-7890", "+6281234567890"},
      {"0062812345678", "+62812345678"},
      {"(0536) 322 1234", "+625363221234"},
      {"+14155550123", "+14155550123"},
      {"6591234567", "+6591234567"},
  };
  char out[SG_SMS_FORM_PHONE_MAX];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (sg_sms_form_phone(cases[i][0], out) != 0)
      CHECK_FAIL_("refused \"%s\"", cases[i][0]);
    CHECK_STR_EQ(out, cases[i][1]);
  }
  const char *bad[] = {"",
                       "112",
                       "3636",
                       "TELKOMSEL",
                       "+",
                       "++6281234567890",
                       "0812345678901234567",
                       "0812x4567890",
                       "00",
                       "0"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (sg_sms_form_phone(bad[i], out) != -1)
      CHECK_FAIL_("accepted \"%s\" as %s", bad[i], out);
  }
}

static void test_form(void) {
  const char body[] = "From=%2B6281234567890&Body=ada+banjir%21&&Empty=&Flag&Nul=a%00b";
  char buf[2 * sizeof(body) + 2];
  sg_sms_form_form f;
  CHECK_INT_EQ(sg_sms_form_form_parse(body, strlen(body), buf, sizeof(buf), &f), 0);
  CHECK_INT_EQ(f.n, 5);
  CHECK_STR_EQ(sg_sms_form_form_get(&f, "From")->value, "+6281234567890");
  CHECK_STR_EQ(sg_sms_form_form_get(&f, "Body")->value, "ada banjir!");
  CHECK_INT_EQ(sg_sms_form_form_get(&f, "Empty")->value_len, 0);
  CHECK_INT_EQ(sg_sms_form_form_get(&f, "Flag")->value_len, 0);
  CHECK_INT_EQ(sg_sms_form_form_get(&f, "Nul")->value_len, 3);
  CHECK(sg_sms_form_form_get(&f, "body") == NULL);
  CHECK_INT_EQ(sg_sms_form_form_parse("a=%4", 4, buf, sizeof(buf), &f), -1);
  CHECK_INT_EQ(sg_sms_form_form_parse("a=%zz", 5, buf, sizeof(buf), &f), -1);
  CHECK_INT_EQ(sg_sms_form_form_parse("a=1", 3, buf, 7, &f), -1); /* buffer under 2 * len + 2 */
  char many[400] = "";
  for (int i = 0; i < 65; i++)
    strcat(many, "x=1&");
  char big[1000];
  CHECK_INT_EQ(sg_sms_form_form_parse(many, strlen(many), big, sizeof(big), &f), -1);
}

static void test_twilio_signature(void) {
  /* The example of Twilio's webhook security documentation. */
  const char body[] = "CallSid=CA1234567890ABCDE&Caller=%2B12349013030&Digits=1234&"
                      "From=%2B12349013030&To=%2B18005551212";
  char buf[2 * sizeof(body) + 2], sig[SG_SMS_FORM_TWILIO_SIG_LEN + 1];
  sg_sms_form_form f;
  CHECK_INT_EQ(sg_sms_form_form_parse(body, strlen(body), buf, sizeof(buf), &f), 0);
  CHECK_INT_EQ(
      sg_sms_form_twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", &f, sig),
      0);
  CHECK_STR_EQ(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");

  const char *frag[] = {"secret=a b", "x=1=2"};
  int len[] = {10, 5};
  char url[128];
  CHECK_INT_EQ(
      sg_sms_form_twilio_url("https://h", "/v1/sms/twilio", 2, frag, len, url, sizeof(url)), 0);
  CHECK_STR_EQ(url, "https://h/v1/sms/twilio?secret=a%20b&x=1%3D2");
  CHECK_INT_EQ(sg_sms_form_twilio_url("https://h", "/v1/sms/twilio", 2, frag, len, url, 30), -1);
}

static void test_small_checks(void) {
  CHECK(sg_sms_form_secret_equal("abc", 3, "abc", 3));
  CHECK(!sg_sms_form_secret_equal("abc", 3, "abd", 3));
  CHECK(!sg_sms_form_secret_equal("abc", 3, "abcd", 4));
  CHECK(!sg_sms_form_secret_equal("", 0, "a", 1));
  char cs[16];
  CHECK_INT_EQ(sg_sms_form_content_type_charset("text/plain; charset=\"UTF-16BE\"", cs, sizeof(cs)),
               8);
  CHECK_STR_EQ(cs, "UTF-16BE");
  CHECK_INT_EQ(sg_sms_form_content_type_charset("text/plain;Charset=utf-8; x=y", cs, sizeof(cs)),
               5);
  CHECK_STR_EQ(cs, "utf-8");
  CHECK_INT_EQ(sg_sms_form_content_type_charset("text/plain", cs, sizeof(cs)), 0);
  CHECK_INT_EQ(sg_sms_form_content_type_charset("a; charset=0123456789abcdefgh", cs, sizeof(cs)),
               -1);
  uint8_t b[4];
  CHECK_INT_EQ(sg_sms_form_hex("00Af", 4, b, sizeof(b)), 2);
  CHECK_INT_EQ(b[1], 0xAF);
  CHECK_INT_EQ(sg_sms_form_hex("0", 1, b, sizeof(b)), -1);
  CHECK_INT_EQ(sg_sms_form_hex("0g", 2, b, sizeof(b)), -1);
  CHECK_INT_EQ(sg_sms_form_hex("0011223344", 10, b, sizeof(b)), -1);
}

static void test_inbound_json(void) {
  sg_sms_form_inbound in;
  char code[32], msg[192];
  const char ok[] = "{\"from\":\"+6281234567890\",\"to\":\"112\",\"text\":\"tolong \\u2014\","
                    "\"messageId\":\"m-1\",\"receivedAt\":\"2026-11-28T08:30:00Z\"}";
  CHECK_INT_EQ(sg_sms_form_inbound_json(ok, strlen(ok), &in, code, msg, sizeof(msg)), 0);
  CHECK_STR_EQ(in.text, "tolong \xE2\x80\x94");
  CHECK_INT_EQ(in.text_len, 10);
  CHECK_STR_EQ(in.message_id, "m-1");
  CHECK_INT_EQ(in.received_at_ms, 1795854600000LL);
  sg_sms_form_inbound_free(&in);
  const char *bad[][2] = {
      {"{\"from\":\"1\",\"text\":\"x\",\"x\":1}", "bad_json"},
      {"{\"from\":1,\"text\":\"x\"}", "bad_json"},
      {"{\"from\":\"1\",\"text\":\"x\",\"receivedAt\":1.5}", "bad_time"},
      {"{\"from\":\"1\",\"from\":\"2\",\"text\":\"x\"}", "bad_json"},
      {"{\"text\":\"x\"}", "missing_sender"},
      {"{\"from\":\"1\"}", "empty_text"},
      {"{\"from\":\"1\",\"text\":\"a\\u0000b\"}", "bad_json"},
      {"{\"from\":\"1\",\"text\":\"\xC3(\"}", "bad_utf8"},
      {"{\"fr\xFFom\":\"1\",\"text\":\"x\"}", "bad_utf8"}, /* in a key */
      {"{\"from\":\xC3\xA9}", "bad_json"},                 /* valid UTF-8, not JSON */
      {"{\"from\":\xFF}", "bad_utf8"},                     /* outside a string */
      {"{\"from\" \"1\",\"text\":\"\xC3(\"}", "bad_json"}, /* the syntax fails first */
      {"{\"from\":\"1\",\"text\":\"x\",\"receivedAt\":-1}", "bad_time"},
      {"[1]", "bad_json"},
      {"", "bad_json"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (sg_sms_form_inbound_json(bad[i][0], strlen(bad[i][0]), &in, code, msg, sizeof(msg)) != -1)
      CHECK_FAIL_("accepted %s", bad[i][0]);
    CHECK_STR_EQ(code, bad[i][1]);
    CHECK(in.from == NULL && in.text == NULL);
  }
}

static sg_textscan_gazetteer *gazetteer(void) {
  const sg_embedded_file *f = sg_embedded_find("palangka-raya.tsv");
  sg_textscan_gazetteer *g = NULL;
  CHECK(f != NULL);
  CHECK_INT_EQ(sg_textscan_gazetteer_load_buffer((const char *)f->data, f->size, &g, NULL), 0);
  return g;
}

static void report_of(sg_textscan_gazetteer *g, const char *text, Siaga__V1__Report *r,
                      Siaga__V1__Location *loc, char *addr, char *desc) {
  Siaga__V1__Report r0 = SIAGA__V1__REPORT__INIT;
  Siaga__V1__Location l0 = SIAGA__V1__LOCATION__INIT;
  *r = r0;
  *loc = l0;
  sg_sms_form_report(g, text, strlen(text), r, loc, addr, 512, desc, 2048);
}

/* Issue 14: a gateway's message is never refused for a field siagad
 * derived: an AML radius over the limit is the limit, and the report
 * validates. */
static void test_report_aml_clamped(void) {
  sg_textscan_gazetteer *g = gazetteer();
  Siaga__V1__Report r;
  Siaga__V1__Location loc;
  char addr[512], desc[2048];
  sg_report_error err;
  report_of(g,
            "A\"ML=1;lt=-2.20960;lg=113.91360;rd=2000000;top=20261128083000;lc=68;pm=G;"
            "si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=132",
            &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_AML);
  CHECK(r.location == &loc);
  CHECK_DBL_NEAR(loc.accuracy_m, SG_REPORT_ACCURACY_MAX, 1e-9);
  CHECK_DBL_NEAR(loc.confidence, 0.68, 1e-9);
  CHECK_INT_EQ(sg_report_validate(&r, &err), 0);
  sg_textscan_gazetteer_destroy(g);
}

/* Issue 14: the IMSI and IMEI of an AML message never reach a description,
 * whether the message is truncated (quoted) or malformed (read as text). */
static void test_report_aml_ids_left_out(void) {
  sg_textscan_gazetteer *g = gazetteer();
  Siaga__V1__Report r;
  Siaga__V1__Location loc;
  char addr[512], desc[2048];
  report_of(g,
            "A\"ML=1;lt=-2.20960;lg=113.91360;rd=25;si=510101234567890;ei=358240051111110;ml=124",
            &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_AML);
  CHECK(strstr(r.description, "truncated") != NULL);
  CHECK(strstr(r.description, "lt=-2.20960") != NULL);
  CHECK(strstr(r.description, "510101234567890") == NULL);
  CHECK(strstr(r.description, "358240051111110") == NULL);
  CHECK(strstr(r.description, ";si=;ei=;ml=124") != NULL);
  report_of(g, "A\"ML=1;lt=banjir;si=510101234567890;ei=358240051111110;tolong", &r, &loc, addr,
            desc);
  CHECK(strstr(r.description, "510101234567890") == NULL);
  CHECK(strstr(r.description, "358240051111110") == NULL);
  report_of(g, "A\"ML=9 si=510101234567890;ei=358240051111110", &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_SMS);
  CHECK_STR_EQ(r.description, "A\"ML=9 si=;ei=");
  sg_textscan_gazetteer_destroy(g);
}

static void test_report(void) {
  sg_textscan_gazetteer *g = gazetteer();
  Siaga__V1__Report r;
  Siaga__V1__Location loc;
  char addr[512], desc[2048];

  report_of(g, "kebakaran rumah di Panarung, api besar", &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_SMS);
  CHECK_STR_EQ(r.category, "fire");
  CHECK(r.location == &loc);
  CHECK_INT_EQ(loc.source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_GAZETTEER);
  CHECK_DBL_NEAR(loc.lat, -2.228, 1e-6);
  CHECK_DBL_NEAR(loc.accuracy_m, 1500, 1e-9);
  CHECK(loc.confidence > 0);

  /* (Was "halo apa kabar": a greeting reads as nonemergency since issue 13.) */
  report_of(g, "selamat pagi semua", &r, &loc, addr, desc);
  CHECK_STR_EQ(r.category, "");
  CHECK(r.location == NULL);
  CHECK_STR_EQ(r.description, "selamat pagi semua");

  report_of(g, "tolong di Jl. Tjilik Riwut km 5", &r, &loc, addr, desc);
  CHECK(r.location == &loc);
  CHECK_INT_EQ(loc.source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT);
  CHECK(loc.lat == 0 && loc.lon == 0);
  CHECK(strstr(loc.address, "Tjilik Riwut") != NULL);

  const char *aml = "A\"ML=1;lt=-2.20960;lg=113.91360;rd=25;top=20261128083000;lc=68;pm=G;"
                    "si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=124";
  report_of(g, aml, &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_AML);
  CHECK_STR_EQ(r.category, "");
  CHECK_INT_EQ(loc.source, SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML);
  CHECK_DBL_NEAR(loc.lat, -2.2096, 1e-9);
  CHECK_DBL_NEAR(loc.confidence, 0.68, 1e-9);
  CHECK_DBL_NEAR(loc.accuracy_m, 25, 1e-9);
  CHECK_INT_EQ(r.sent_at_ms, 1795854600000LL);

  char cut[61];
  memcpy(cut, aml, 60);
  cut[60] = '\0';
  report_of(g, cut, &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_AML);
  CHECK(r.location == NULL);
  CHECK(strstr(r.description, "truncated") != NULL);

  report_of(g, "A\"ML=garbage; kebakaran", &r, &loc, addr, desc);
  CHECK_INT_EQ(r.channel, SIAGA__V1__CHANNEL__CHANNEL_SMS);
  sg_textscan_gazetteer_destroy(g);
}

int main(void) {
  RUN_TEST(test_gateway_time);
  RUN_TEST(test_rfc3339);
  RUN_TEST(test_phone);
  RUN_TEST(test_form);
  RUN_TEST(test_twilio_signature);
  RUN_TEST(test_small_checks);
  RUN_TEST(test_inbound_json);
  RUN_TEST(test_report);
  RUN_TEST(test_report_aml_clamped);
  RUN_TEST(test_report_aml_ids_left_out);
  CHECK_DONE();
}
