#include "sms/form.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"
#include "core/utf8.h"
#include "sms/aml.h"
#include "wire/jsonread.h"
#include "wire/phone.h"
#include "wire/report.h"

/* ---- times ---- */

static int digits(const char *s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

static int leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), fields checked. */
static int days_since_epoch(int y, int m, int d, int64_t *days) {
  static const int month_days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
      d > month_days[m - 1] + (m == 2 && leap(y)))
    return -1;
  int64_t n = (int64_t)(y - 1970) * 365;
  n += ((y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
  for (int i = 0; i < m - 1; i++)
    n += month_days[i] + (i == 1 && leap(y));
  *days = n + d - 1;
  return 0;
}

/* Reads "YYYY-MM-DD?HH:MM" (sep one of seps), optionally ":SS"; returns the
 * bytes read or -1. */
static int civil(const char *s, const char *seps, int need_seconds, int64_t *ms) {
  int y, mo, d, h, mi, sec = 0, n = 16;
  if (strlen(s) < 16 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
      digits(s + 8, 2, &d) || strchr(seps, s[10]) == NULL || s[10] == '\0' ||
      digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi))
    return -1;
  if (s[16] == ':') {
    if (digits(s + 17, 2, &sec))
      return -1;
    n = 19;
  } else if (need_seconds) {
    return -1;
  }
  int64_t days;
  if (h > 23 || mi > 59 || sec > 60 || days_since_epoch(y, mo, d, &days) != 0)
    return -1;
  if (sec == 60)
    sec = 59; /* a leap second is the last second of its minute here */
  *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000;
  return n;
}

static int all_digits(const char *s, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

int sg_sms_form_gateway_time(const char *s, int utc_offset_min, int64_t *ms) {
  int64_t v;
  if (all_digits(s, 10)) {
    v = strtoll(s, NULL, 10) * 1000;
  } else {
    int n = civil(s, " T", 0, &v);
    if (n < 0 || s[n] != '\0')
      return -1;
    v -= (int64_t)utc_offset_min * 60000;
  }
  if (v < 946684800000LL || v >= 4102444800000LL) /* 2000-01-01 .. 2100-01-01 */
    return -1;
  *ms = v;
  return 0;
}

int sg_sms_form_rfc3339(const char *s, int64_t *ms) {
  if (all_digits(s, 15)) {
    *ms = strtoll(s, NULL, 10);
    return 0;
  }
  int64_t v;
  int n = civil(s, "Tt ", 1, &v);
  if (n < 0)
    return -1;
  const char *p = s + n;
  if (*p == '.') {
    int frac = 0, k = 0;
    for (p++; *p >= '0' && *p <= '9'; p++, k++) {
      if (k < 3)
        frac = frac * 10 + (*p - '0');
    }
    if (k == 0)
      return -1;
    for (; k < 3; k++)
      frac *= 10;
    v += frac;
  }
  if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
    *ms = v;
    return 0;
  }
  int oh, om;
  if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
      p[6] != '\0' || oh > 23 || om > 59)
    return -1;
  int64_t off = ((int64_t)oh * 60 + om) * 60000;
  *ms = *p == '+' ? v - off : v + off;
  return 0;
}

/* ---- phone numbers ---- */

int sg_sms_form_phone(const char *s, char out[SG_SMS_FORM_PHONE_MAX]) {
  return sg_phone_e164(s, out); /* the one normalisation, shared with the app */
}

/* ---- forms ---- */

/* Decodes src[0..len) into dst with a NUL after; returns the decoded length
 * or -1 on a bad escape. */
static long form_decode(const char *src, size_t len, char *dst) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (src[i] == '+') {
      dst[o++] = ' ';
    } else if (src[i] == '%') {
      if (i + 2 >= len)
        return -1;
      int hi = sg_hex_digit(src[i + 1]), lo = sg_hex_digit(src[i + 2]);
      if (hi < 0 || lo < 0)
        return -1;
      dst[o++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      dst[o++] = src[i];
    }
  }
  dst[o] = '\0';
  return (long)o;
}

int sg_sms_form_form_parse(const char *body, size_t len, char *buf, size_t buf_size,
                           sg_sms_form_form *form) {
  form->n = 0;
  if (buf_size < 2 * len + 2)
    return -1;
  char *w = buf;
  size_t i = 0;
  while (i < len) {
    size_t start = i;
    while (i < len && body[i] != '&')
      i++;
    size_t seg = i - start;
    i++; /* past '&' */
    if (seg == 0)
      continue;
    if (form->n == SG_SMS_FORM_FORM_MAX_PAIRS)
      return -1;
    const char *eq = memchr(body + start, '=', seg);
    size_t name_raw = eq != NULL ? (size_t)(eq - (body + start)) : seg;
    sg_sms_form_pair *p = &form->pairs[form->n];
    long nl = form_decode(body + start, name_raw, w);
    if (nl < 0)
      return -1;
    p->name = w;
    p->name_len = (size_t)nl;
    w += nl + 1;
    long vl = eq != NULL ? form_decode(eq + 1, seg - name_raw - 1, w) : (w[0] = '\0', 0);
    if (vl < 0)
      return -1;
    p->value = w;
    p->value_len = (size_t)vl;
    w += vl + 1;
    form->n++;
  }
  return 0;
}

const sg_sms_form_pair *sg_sms_form_form_get(const sg_sms_form_form *form, const char *name) {
  size_t n = strlen(name);
  for (size_t i = 0; i < form->n; i++) {
    if (form->pairs[i].name_len == n && memcmp(form->pairs[i].name, name, n) == 0)
      return &form->pairs[i];
  }
  return NULL;
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, al < bl ? al : bl);
  if (c != 0)
    return c;
  return al < bl ? -1 : al > bl;
}

static int pair_cmp(const void *x, const void *y) {
  const sg_sms_form_pair *a = *(const sg_sms_form_pair *const *)x;
  const sg_sms_form_pair *b = *(const sg_sms_form_pair *const *)y;
  int c = bytes_cmp(a->name, a->name_len, b->name, b->name_len);
  return c != 0 ? c : bytes_cmp(a->value, a->value_len, b->value, b->value_len);
}

int sg_sms_form_twilio_signature(const char *token, const char *url, const sg_sms_form_form *form,
                                 char out[SG_SMS_FORM_TWILIO_SIG_LEN + 1]) {
  const sg_sms_form_pair *sorted[SG_SMS_FORM_FORM_MAX_PAIRS];
  for (size_t i = 0; i < form->n; i++)
    sorted[i] = &form->pairs[i];
  qsort(sorted, form->n, sizeof(sorted[0]), pair_cmp);

  int rc = -1;
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *ctx = hmac != NULL ? EVP_MAC_CTX_new(hmac) : NULL;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (ctx == NULL || !EVP_MAC_init(ctx, (const unsigned char *)token, strlen(token), params) ||
      !EVP_MAC_update(ctx, (const unsigned char *)url, strlen(url)))
    goto cleanup;
  for (size_t i = 0; i < form->n; i++) {
    if (!EVP_MAC_update(ctx, (const unsigned char *)sorted[i]->name, sorted[i]->name_len) ||
        !EVP_MAC_update(ctx, (const unsigned char *)sorted[i]->value, sorted[i]->value_len))
      goto cleanup;
  }
  if (!EVP_MAC_final(ctx, mac, &mac_len, sizeof(mac)) || mac_len != 20)
    goto cleanup;
  EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
  rc = 0;
cleanup:
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(hmac);
  return rc;
}

int sg_sms_form_twilio_url(const char *base, const char *path, int n, const char *const *frag,
                           const int *len, char *out, size_t size) {
  int w = snprintf(out, size, "%s%s", base, path);
  if (w < 0 || (size_t)w >= size)
    return -1;
  size_t o = (size_t)w;
  for (int i = 0; i < n; i++) {
    if (o + 1 >= size)
      return -1;
    out[o++] = i == 0 ? '?' : '&';
    int seen_eq = 0;
    for (int k = 0; k < len[i]; k++) {
      unsigned char c = (unsigned char)frag[i][k];
      if (o + 4 >= size)
        return -1;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.' || c == '_' || c == '~' || (c == '=' && !seen_eq)) {
        seen_eq |= c == '=';
        out[o++] = (char)c;
      } else {
        o += (size_t)snprintf(out + o, size - o, "%%%02X", c);
      }
    }
  }
  out[o] = '\0';
  return 0;
}

int sg_sms_form_secret_equal(const char *a, size_t a_len, const char *b, size_t b_len) {
  unsigned char ha[32], hb[32];
  unsigned int la = 0, lb = 0;
  if (!EVP_Digest(a, a_len, ha, &la, EVP_sha256(), NULL) ||
      !EVP_Digest(b, b_len, hb, &lb, EVP_sha256(), NULL) || la != 32 || lb != 32)
    return 0;
  return CRYPTO_memcmp(ha, hb, 32) == 0 && a_len == b_len;
}

int sg_sms_form_content_type_charset(const char *ct, char *out, size_t size) {
  const char *p = ct;
  out[0] = '\0';
  while ((p = strchr(p, ';')) != NULL) {
    p++;
    while (*p == ' ' || *p == '\t')
      p++;
    if (strncasecmp(p, "charset=", 8) != 0)
      continue;
    p += 8;
    int quoted = *p == '"';
    p += quoted;
    size_t n = 0;
    while (p[n] != '\0' && (quoted ? p[n] != '"' : (p[n] != ';' && p[n] != ' ')))
      n++;
    if (n + 1 > size)
      return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return (int)n;
  }
  return 0;
}

long sg_sms_form_hex(const char *hex, size_t len, uint8_t *out, size_t size) {
  if (len % 2 != 0 || len / 2 > size)
    return -1;
  for (size_t i = 0; i < len; i += 2) {
    int hi = sg_hex_digit(hex[i]), lo = sg_hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    out[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  return (long)(len / 2);
}

/* ---- generic inbound JSON ---- */

static int fail(char code[32], char *message, size_t size, const char *c, const char *m,
                const char *field) {
  snprintf(code, 32, "%s", c);
  snprintf(message, size, "%s%s%s", field ? field : "", field ? ": " : "", m);
  return -1;
}

static int take_string(const sg_jsonread_value *v, const char *field, char **dst, size_t *len,
                       char code[32], char *message, size_t size) {
  if (v->type != SG_JSONREAD_STRING)
    return fail(code, message, size, "bad_json", "expected a string", field);
  free(*dst);
  *dst = strdup(v->u.string.str);
  if (*dst == NULL)
    return fail(code, message, size, "unavailable", "out of memory", field);
  if (len != NULL)
    *len = v->u.string.len;
  return 0;
}

/* 1 if a malformed UTF-8 sequence starts in text[0..len) at or before
 * offset: the reader stopped there because of the encoding, not the JSON. */
static int bad_utf8_before(const char *text, size_t len, size_t offset) {
  for (size_t i = 0; i < len && i <= offset;) {
    size_t n = sg_utf8_seq_len(text + i, len - i);
    if (n == 0)
      return 1;
    i += n;
  }
  return 0;
}

int sg_sms_form_inbound_json(const char *text, size_t len, sg_sms_form_inbound *out, char code[32],
                             char *message, size_t message_size) {
  memset(out, 0, sizeof(*out));
  sg_jsonread_doc doc;
  sg_jsonread_error jerr;
  int prc = sg_jsonread_parse(&doc, text, len, SG_JSONREAD_DEPTH_LIMIT, &jerr);
  if (prc != 0) {
    if (prc == SG_JSONREAD_ENOMEM)
      return fail(code, message, message_size, "unavailable", "out of memory", NULL);
    if (prc != SG_JSONREAD_ESYNTAX)
      return fail(code, message, message_size, "bad_json", sg_jsonread_strerror(prc), NULL);
    int utf8 = bad_utf8_before(text, len, jerr.offset);
    return fail(code, message, message_size, utf8 ? "bad_utf8" : "bad_json", jerr.reason, NULL);
  }
  int rc = -1;
  const sg_jsonread_value *root = &doc.values[0], *v;
  size_t i;
  if (root->type != SG_JSONREAD_OBJECT) {
    fail(code, message, message_size, "bad_json", "expected a JSON object", NULL);
    goto done;
  }
  SG_JSONREAD_FOREACH(root, i, v) {
    const char *k = v->key;
    if (strcmp(k, "from") == 0) {
      if (take_string(v, k, &out->from, NULL, code, message, message_size) != 0)
        goto done;
    } else if (strcmp(k, "to") == 0) {
      if (take_string(v, k, &out->to, NULL, code, message, message_size) != 0)
        goto done;
    } else if (strcmp(k, "text") == 0) {
      if (take_string(v, k, &out->text, &out->text_len, code, message, message_size) != 0)
        goto done;
    } else if (strcmp(k, "messageId") == 0) {
      if (take_string(v, k, &out->message_id, NULL, code, message, message_size) != 0)
        goto done;
    } else if (strcmp(k, "receivedAt") == 0) {
      if (v->type == SG_JSONREAD_INTEGER && v->u.integer >= 0) {
        out->received_at_ms = v->u.integer;
      } else if (v->type != SG_JSONREAD_STRING ||
                 sg_sms_form_rfc3339(v->u.string.str, &out->received_at_ms) != 0) {
        fail(code, message, message_size, "bad_time",
             "expected an RFC 3339 date-time or epoch milliseconds", k);
        goto done;
      }
    } else {
      char field[64];
      snprintf(field, sizeof(field), "%.48s", k);
      fail(code, message, message_size, "bad_json",
           "unknown field (expected from, to, text, messageId, receivedAt)", field);
      goto done;
    }
  }
  if (out->from == NULL) {
    fail(code, message, message_size, "missing_sender", "required", "from");
    goto done;
  }
  if (out->text == NULL) {
    fail(code, message, message_size, "empty_text", "required", "text");
    goto done;
  }
  rc = 0;
done:
  sg_jsonread_close(&doc);
  if (rc != 0)
    sg_sms_form_inbound_free(out);
  return rc;
}

void sg_sms_form_inbound_free(sg_sms_form_inbound *in) {
  free(in->from);
  free(in->to);
  free(in->text);
  free(in->message_id);
  memset(in, 0, sizeof(*in));
}

/* ---- the report of a text ---- */

#define CATEGORY_MIN_CONFIDENCE 0.5
#define KELURAHAN_RADIUS_M 1500.0
#define KECAMATAN_RADIUS_M 5000.0

/* Writes an AML text into out with the values of its si= (IMSI) and ei=
 * (IMEI) fields left out: they identify the handset and its owner, and
 * have no use on a console, so they never leave the SMS path. The rest is
 * copied as it came (valid UTF-8 in, valid UTF-8 out, cut on a character
 * when out is short). Returns the length written. */
static size_t aml_without_ids(const char *text, size_t len, char *out, size_t size) {
  size_t o = 0;
  if (size == 0)
    return 0;
  for (size_t i = 0; i < len && o + 1 < size;) {
    unsigned char before = i > 0 ? (unsigned char)text[i - 1] : ';';
    int field_start = !(before >= '0' && before <= '9') && !(before >= 'a' && before <= 'z') &&
                      !(before >= 'A' && before <= 'Z');
    if (field_start && i + 3 <= len && (text[i] == 's' || text[i] == 'e') && text[i + 1] == 'i' &&
        text[i + 2] == '=') {
      if (o + 4 >= size)
        break;
      memcpy(out + o, text + i, 3);
      o += 3;
      i += 3;
      while (i < len && text[i] != ';')
        i++;
      continue;
    }
    out[o++] = text[i++];
  }
  /* Only a cut at the end can break a character (what is left out is
   * ASCII-delimited): drop its lead and continuation bytes, at most 3. */
  for (int k = 0; k < 4 && o > 0 && !sg_utf8_valid(out, o); k++)
    o--;
  out[o] = '\0';
  return o;
}

static int aml_report(const char *text, size_t len, Siaga__V1__Report *r, Siaga__V1__Location *loc,
                      char *desc, size_t desc_size) {
  sg_aml_location aml;
  if (!sg_aml_detect(text, len))
    return -1;
  sg_aml_status st = sg_aml_parse(text, len, &aml);
  if (st == SG_AML_MALFORMED) {
    /* Starts like AML but is not: read as a person's text, without the
     * handset's identities it may carry all the same. */
    aml_without_ids(text, len, desc, desc_size);
    return -1;
  }
  r->channel = SIAGA__V1__CHANNEL__CHANNEL_AML;
  if (st == SG_AML_OK && aml.has_fix) {
    loc->lat = aml.lat;
    loc->lon = aml.lon;
    /* The handset's figures are kept but bounded: a gateway's message is
     * never refused for a field siagad derived (a radius over the limit is
     * the limit, a confidence over 100 % is 100 %). */
    loc->accuracy_m = aml.radius_m < SG_REPORT_ACCURACY_MAX ? aml.radius_m : SG_REPORT_ACCURACY_MAX;
    loc->confidence = aml.confidence <= 0     ? 0.0
                      : aml.confidence >= 100 ? 1.0
                                              : aml.confidence / 100.0;
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_AML;
    r->location = loc;
    snprintf(desc, desc_size, "AML location (%s)", sg_aml_method_name(aml.method));
  } else if (st == SG_AML_TRUNCATED) {
    int n =
        snprintf(desc, desc_size,
                 "AML message truncated (%zu of %ld bytes), position not used: ", aml.actual_length,
                 aml.declared_length);
    if (n > 0 && (size_t)n < desc_size)
      aml_without_ids(text, len, desc + n, desc_size - (size_t)n);
  } else {
    snprintf(desc, desc_size, "AML: the handset had no position");
  }
  r->description = desc;
  if (r->sent_at_ms == 0 && aml.time_s > 0)
    r->sent_at_ms = aml.time_s * 1000;
  return 0;
}

void sg_sms_form_report(const sg_textscan_gazetteer *gaz, const char *text, size_t text_len,
                        Siaga__V1__Report *r, Siaga__V1__Location *loc, char *address,
                        size_t address_size, char *desc, size_t desc_size) {
  desc[0] = '\0';
  if (aml_report(text, text_len, r, loc, desc, desc_size) == 0)
    return;
  if (desc[0] != '\0') { /* an AML look-alike, its identities left out */
    text = desc;
    text_len = strlen(desc);
  }
  sg_textscan_result ts;
  sg_textscan_scan(gaz, text, text_len, &ts);
  r->channel = SIAGA__V1__CHANNEL__CHANNEL_SMS;
  r->description = (char *)text;
  if (ts.category != SG_TEXTSCAN_UNKNOWN && ts.category_confidence >= CATEGORY_MIN_CONFIDENCE)
    r->category = (char *)sg_textscan_category_name(ts.category);
  size_t n = sg_textscan_format_address(&ts, address, address_size);
  if (ts.place_confidence > 0 && (ts.lat != 0 || ts.lon != 0)) {
    loc->lat = ts.lat;
    loc->lon = ts.lon;
    loc->accuracy_m = ts.kelurahan[0] != '\0' ? KELURAHAN_RADIUS_M : KECAMATAN_RADIUS_M;
    loc->confidence = ts.place_confidence;
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_GAZETTEER;
  } else if (n > 0) {
    loc->source = SIAGA__V1__LOCATION_SOURCE__LOCATION_SOURCE_TEXT;
  } else {
    return;
  }
  loc->address = address;
  r->location = loc;
}
