/* Pure helpers of the SMS webhooks (server/sms/inbound.c), kept apart so unit
 * tests reach them without a server: gateway times, phone numbers,
 * application/x-www-form-urlencoded bodies, Twilio request signatures, the
 * generic inbound JSON, and the small checks around them. Every input is
 * hostile: functions are bounded, never allocate (except where said), and
 * refuse rather than guess. */
#ifndef SG_SMS_FORM_H
#define SG_SMS_FORM_H

#include <stddef.h>
#include <stdint.h>

#include "siaga/v1/siaga.pb-c.h"
#include "text/textscan.h"

#define SG_SMS_FORM_PHONE_MAX 17      /* "+" + 15 digits + NUL */
#define SG_SMS_FORM_FORM_MAX_PAIRS 64 /* Twilio sends about 20 fields */
#define SG_SMS_FORM_TWILIO_SIG_LEN 28 /* base64 of a 20-byte HMAC-SHA1 */

/* A gateway time to Unix milliseconds. Accepts Kannel's "YYYY-MM-DD HH:MM:SS"
 * (X-Kannel-Time) and "YYYY-MM-DD HH:MM" (%t), both in the gateway's local
 * time, which is UTC + utc_offset_min (420 for Asia/Jakarta), and a plain
 * number of Unix seconds (%T). Returns 0, or -1 for anything else, including
 * out-of-range fields and years outside 2000..2099. */
int sg_sms_form_gateway_time(const char *s, int utc_offset_min, int64_t *ms);

/* An RFC 3339 date-time ("2026-11-28T08:30:00Z", "...08:30:00.250+07:00") or
 * Unix milliseconds as a decimal string, to Unix milliseconds. Returns 0 or
 * -1. */
int sg_sms_form_rfc3339(const char *s, int64_t *ms);

/* Normalises a sender to E.164 with wire/phone.h's sg_phone_e164 (the one
 * normalisation of every channel): blanks, '-', '.', '(' and ')' are dropped;
 * "00" becomes "+"; Indonesian forms become +62: "0812..." and "62812..."
 * give "+62812...", and the common "+620812..." gives "+62812...". Other
 * digit strings of 8 to 15 digits are taken as international numbers that
 * lost their '+'. The result is '+' and 8 to 15 digits, written to out
 * (SG_SMS_FORM_PHONE_MAX bytes). Returns 0, or -1 if s is not a phone number
 * (letters, alphanumeric sender ids, short codes). */
int sg_sms_form_phone(const char *s, char out[SG_SMS_FORM_PHONE_MAX]);

/* One name=value of a form, decoded ('+' is a space, %XX a byte). The
 * strings are NUL-terminated inside the caller's buffer; the lengths are the
 * real ones, so an embedded %00 shows as len != strlen. */
typedef struct sg_sms_form_pair {
  const char *name, *value;
  size_t name_len, value_len;
} sg_sms_form_pair;

typedef struct sg_sms_form_form {
  size_t n;
  sg_sms_form_pair pairs[SG_SMS_FORM_FORM_MAX_PAIRS];
} sg_sms_form_form;

/* Decodes an application/x-www-form-urlencoded body into form, the decoded
 * bytes going to buf, which must hold at least 2 * len + 2 bytes. Empty
 * segments ("a=1&&b=2") are skipped. Returns 0, or -1 on a bad %-escape or
 * more than SG_SMS_FORM_FORM_MAX_PAIRS pairs. */
int sg_sms_form_form_parse(const char *body, size_t len, char *buf, size_t buf_size,
                           sg_sms_form_form *form);

/* The first pair of that name, or NULL. */
const sg_sms_form_pair *sg_sms_form_form_get(const sg_sms_form_form *form, const char *name);

/* Twilio's X-Twilio-Signature of a form POST: base64(HMAC-SHA1(token, url +
 * each name and value, pairs sorted by name, then value, byte-wise)), where
 * url is the full URL Twilio requested, query included. Writes 28 chars and
 * a NUL to out. Returns 0, or -1 if the crypto library failed. */
int sg_sms_form_twilio_signature(const char *token, const char *url, const sg_sms_form_form *form,
                                 char out[SG_SMS_FORM_TWILIO_SIG_LEN + 1]);

/* The URL Twilio signed, rebuilt from our public base URL, the path and the
 * query arguments as lws hands them over (n fragments "name=value", already
 * decoded, with their lengths). They are encoded again, keeping unreserved
 * characters and the first '=' and writing %XX for the rest, which is exact
 * when the configured webhook URL's query uses unreserved characters only.
 * Returns 0, or -1 if out is too small. */
int sg_sms_form_twilio_url(const char *base, const char *path, int n, const char *const *frag,
                           const int *len, char *out, size_t size);

/* Compares two secrets in time that does not depend on where they differ
 * (both are hashed first, so not on their lengths either). 1 if equal. */
int sg_sms_form_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len);

/* The charset parameter of a Content-Type value, quotes removed, into out.
 * Returns its length, 0 if there is none, -1 if it does not fit. */
int sg_sms_form_content_type_charset(const char *content_type, char *out, size_t size);

/* Decodes hex digits (Kannel's %e) into out. Returns the byte count, or -1
 * for an odd count, a non-hex digit, or out too small. */
long sg_sms_form_hex(const char *hex, size_t len, uint8_t *out, size_t size);

/* The generic inbound JSON (see README "SMS"):
 *   {"from": "+62...", "to": "112", "text": "...", "messageId": "...",
 *    "receivedAt": "RFC 3339" | epoch milliseconds}
 * "from" and "text" are required; unknown fields, wrong types, duplicate keys
 * and invalid UTF-8 are refused. The strings are malloc'd: free with
 * sg_sms_form_inbound_free. Returns 0, or -1 with a stable code and a message
 * naming the field. */
typedef struct sg_sms_form_inbound {
  char *from, *to, *text, *message_id;
  size_t text_len;
  int64_t received_at_ms; /* 0 if absent */
} sg_sms_form_inbound;

int sg_sms_form_inbound_json(const char *json, size_t len, sg_sms_form_inbound *out, char code[32],
                             char *message, size_t message_size);
void sg_sms_form_inbound_free(sg_sms_form_inbound *in);

/* Reads an SMS text (UTF-8, text_len bytes) into r's channel, description,
 * category and location; reporter, ids, times and flags stay the caller's.
 *  - AML (sg_aml_parse says ok, no_fix or truncated): CHANNEL_AML, no
 *    category. A fix gives a location (source AML, accuracy rd, confidence
 *    lc/100); no fix gives the description "AML: the handset had no
 *    position"; a truncated message may have lost digits of a coordinate, so
 *    its position is not used and the description says so and quotes the
 *    text: the number still reaches a dispatcher. An AML look-alike that
 *    does not parse is read as any other text. Either way the values of
 *    si= (IMSI) and ei= (IMEI) are left out: they never leave the SMS path. sent_at_ms, when 0,
 * gets the AML position time.
 *  - Anything else: CHANNEL_SMS, description = text, category from textscan
 *    only when its confidence is at least 0.5, and a location when textscan
 *    found a place: address from sg_textscan_format_address; the centroid of
 *    a named kelurahan (accuracy 1500 m) or kecamatan (5000 m) with source
 *    GAZETTEER and textscan's confidence, else source TEXT and no point.
 * r's strings then point into text, address, desc or static storage; loc is
 * used as r->location when there is one. gaz may be NULL. */
void sg_sms_form_report(const sg_textscan_gazetteer *gaz, const char *text, size_t text_len,
                        Siaga__V1__Report *r, Siaga__V1__Location *loc, char *address,
                        size_t address_size, char *desc, size_t desc_size);

#endif
