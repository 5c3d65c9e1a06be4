/* The pure parts of outbound SMS: the GSM 7-bit alphabet (sms/gsm7.h), the
 * sendsms request target and the texts (sms/replies.h). */
#include <string.h>

#include "check.h"
#include "sms/gsm7.h"
#include "sms/replies.h"

static void test_gsm7(void) {
  CHECK_INT_EQ(sg_gsm7_septets("", 0), 0);
  const char *plain = "Kebakaran di Jl. Tjilik Riwut km 5, ada orang terjebak!";
  CHECK_INT_EQ(sg_gsm7_septets(plain, strlen(plain)), (long)strlen(plain));
  /* Basic-alphabet letters outside ASCII count one septet each. */
  const char *accents = "\xC3\xA9\xC3\xA8 \xC3\x84\xC3\x96 \xC2\xA3 \xCE\x94"; /* éè ÄÖ £ Δ */
  CHECK_INT_EQ(sg_gsm7_septets(accents, strlen(accents)), 9);
  /* Extension table: escape + character. */
  CHECK_INT_EQ(sg_gsm7_septets("[x]", 3), 5);
  CHECK_INT_EQ(sg_gsm7_septets("\xE2\x82\xAC", 3), 2); /* euro sign */
  CHECK_INT_EQ(sg_gsm7_septets("a\nb", 3), 3);
  /* Outside the alphabet: must go as UCS-2. */
  CHECK(!sg_gsm7_safe("`", 1));
  CHECK(!sg_gsm7_safe("a\xE2\x80\x94"
                      "b",
                      5));                     /* em dash */
  CHECK(!sg_gsm7_safe("\xF0\x9F\x94\xA5", 4)); /* emoji */
  CHECK(!sg_gsm7_safe("\xC3\xA1", 2));         /* á is not in GSM */
  CHECK(!sg_gsm7_safe("\t", 1));
  CHECK(!sg_gsm7_safe("\xC3", 1)); /* truncated UTF-8 */
  CHECK(!sg_gsm7_safe("a\0b", 3));
  CHECK(sg_gsm7_safe("@$_#%&", 6));
}

static void test_sendsms_target(void) {
  char buf[1024];
  const char *ack = "SIAGA 112: nomor PLK-000042.";
  long n = sg_sms_replies_sendsms_target(buf, sizeof(buf), "/cgi-bin/sendsms?username=u&password=p",
                                         "+6281234567890", ack, strlen(ack), NULL, "1-0");
  CHECK_INT_EQ(n, (long)strlen(buf));
  CHECK_STR_EQ(buf, "/cgi-bin/sendsms?username=u&password=p&to=%2B6281234567890"
                    "&text=SIAGA%20112%3A%20nomor%20PLK-000042.");

  /* A non-GSM text asks for UCS-2; a delivery report URL carries the
   * entry id and Kannel's escapes, encoded as one parameter value. */
  n = sg_sms_replies_sendsms_target(buf, sizeof(buf), "/s", "0812",
                                    "a\xE2\x80\x94"
                                    "b",
                                    5, "http://10.0.0.5:8080/v1/sms/dlr", "1700000000000-3");
  CHECK(n > 0);
  CHECK_STR_EQ(buf, "/s?to=0812&text=a%E2%80%94b&coding=2&charset=UTF-8&dlr-mask=31"
                    "&dlr-url=http%3A%2F%2F10.0.0.5%3A8080%2Fv1%2Fsms%2Fdlr%3Fid%3D1700000000000-3"
                    "%26status%3D%25d%26to%3D%25p");

  /* A configured query ending in '&' gets no second separator; a DLR URL
   * with a query of its own gets '&'. */
  n = sg_sms_replies_sendsms_target(buf, sizeof(buf), "/s?user=u&", "1", "x", 1, "http://h/d?k=v",
                                    "9-9");
  CHECK(n > 0);
  CHECK_STR_EQ(buf, "/s?user=u&to=1&text=x&dlr-mask=31"
                    "&dlr-url=http%3A%2F%2Fh%2Fd%3Fk%3Dv%26id%3D9-9%26status%3D%25d%26to%3D%25p");

  /* Too small a buffer is refused, never cut. */
  CHECK_INT_EQ(
      sg_sms_replies_sendsms_target(buf, 20, "/cgi-bin/sendsms?u=1", "+62", "x", 1, NULL, "1"), -1);
  CHECK_INT_EQ(sg_sms_replies_sendsms_target(buf, 0, "/", "+62", "x", 1, NULL, "1"), -1);
}

static void test_texts(void) {
  char buf[256];
  static const sg_sms_replies_kind kinds[] = {SG_SMS_REPLIES_ACK, SG_SMS_REPLIES_ACK_DISPATCHED,
                                              SG_SMS_REPLIES_DISPATCHED, SG_SMS_REPLIES_CLOSED};
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    long n = sg_sms_replies_text(buf, sizeof(buf), kinds[i], "PLK-000042");
    CHECK(n > 0);
    CHECK(strstr(buf, "PLK-000042") != NULL);
    CHECK(strncmp(buf, "SIAGA 112: ", 11) == 0);
    long septets = sg_gsm7_septets(buf, (size_t)n);
    CHECK(septets > 0 && septets < SG_GSM7_SMS_SEPTETS);
    /* Room for incident ids far longer than today's. */
    CHECK(sg_sms_replies_text(buf, sizeof(buf), kinds[i], "PLK-000000000042") > 0);
  }
  sg_sms_replies_text(buf, sizeof(buf), SG_SMS_REPLIES_ACK, "PLK-000042");
  CHECK_STR_EQ(buf, "SIAGA 112: Laporan Anda diterima, nomor PLK-000042. Petugas sedang menilai. "
                    "Balas pesan ini jika ada info tambahan.");
  /* An id that would push the text past one SMS, or out of the buffer. */
  char long_id[100];
  memset(long_id, 'X', sizeof(long_id) - 1);
  long_id[sizeof(long_id) - 1] = '\0';
  CHECK_INT_EQ(sg_sms_replies_text(buf, sizeof(buf), SG_SMS_REPLIES_ACK, long_id), -1);
  CHECK_INT_EQ(sg_sms_replies_text(buf, 20, SG_SMS_REPLIES_CLOSED, "PLK-1"), -1);
}

int main(void) {
  RUN_TEST(test_gsm7);
  RUN_TEST(test_sendsms_target);
  RUN_TEST(test_texts);
  CHECK_DONE();
}
