/* Inbound SMS webhooks. Each request is read completely while its HTTP
 * request is valid (authentication, arguments, headers, body, decoding to UTF-8), then
 * the rest is asynchronous and owns only an sms_job: the per-number counter
 * and the prank list are read from Redis, the Report is built (AML or free
 * text), validated and handed to ingest; the gateway hears 2xx only once
 * ingest confirmed, so a gateway that retries on anything else loses nothing.
 * The query names, headers and answers are documented in README "SMS". */
#include "sms/inbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms/charset.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "store/keys.h"
#include "wire/pbjson.h"
#include "wire/report.h"
#include "sms/form.h"
#include "text/textscan.h"

#define SMS_TEXT_MAX 1600             /* bytes of UTF-8: ten concatenated parts */
#define SMS_RAW_MAX (4 * SMS_TEXT_MAX) /* bytes before decoding */
#define SMS_GATEWAY_UTC_OFFSET_MIN 420 /* Kannel times are Asia/Jakarta (WIB) */
#define SMS_RATE_WINDOW_S "600"
#define SMS_RATE_LIMIT 10 /* more in the window sets the rate_limited flag */
#define SMS_DLR_TTL_S "604800"
#define SMS_ID_MAX 100 /* gateway ids; "twilio:" + id stays within SG_REPORT_KEY_MAX */

#define CT_JSON "application/json"
#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

typedef enum sms_kind { SMS_NONE, SMS_KANNEL, SMS_TWILIO, SMS_INBOUND, SMS_DLR } sms_kind;

struct sg_sms {
  sg_ingest *ingest;
  sg_redis *redis;
  char region[32];
  char *webhook_secret, *twilio_token, *public_url;
  sg_textscan_gazetteer *gaz;
};

/* One webhook after its request was read: everything the asynchronous part
 * needs, copied. */
typedef struct sms_job {
  sg_sms *sms;
  sg_sms_reply_fn reply;
  void *ctx;
  int twiml; /* answer Twilio's way */
  int pending, failed;
  long long rate;
  int prank;
  char phone[SG_SMS_FORM_PHONE_MAX];
  char key[SG_REPORT_KEY_MAX + 1]; /* "" = no idempotency key */
  char gateway_id[SMS_ID_MAX + 1];
  int64_t sent_at_ms;
  size_t text_len;
  char text[SMS_TEXT_MAX + 1];
} sms_job;

/* The query arguments, URL-decoded ('+' a space, %XX a byte) with their real
 * lengths: a value may hold a decoded NUL. */
typedef struct args {
  sg_sms_form_form form;
  char *buf;
} args;

/* ---- answers ---- */

static void reply_error(sg_sms_reply_fn reply, void *ctx, int status, const char *code,
                        const char *message) {
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  e.code = (char *)code;
  e.message = (char *)message;
  char *json;
  size_t len;
  if (sg_pbjson_encode(&e.base, &json, &len) != 0) {
    static const char oom[] = "{\"code\":\"unavailable\",\"message\":\"out of memory\"}";
    reply(ctx, 503, CT_JSON, oom, sizeof(oom) - 1);
    return;
  }
  reply(ctx, status, CT_JSON, json, len);
  free(json);
}

static void job_error(sms_job *j, int status, const char *code, const char *message) {
  reply_error(j->reply, j->ctx, status, code, message);
  free(j);
}

/* ---- create / destroy ---- */

sg_sms *sg_sms_create(sg_ingest *ingest, sg_redis *redis, const sg_sms_options *o) {
  sg_sms *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->ingest = ingest;
  s->redis = redis;
  snprintf(s->region, sizeof(s->region), "%s", o->region != NULL ? o->region : SG_REGION_DEFAULT);
  int bad = 0;
  if (o->webhook_secret != NULL && o->webhook_secret[0] != '\0')
    bad |= (s->webhook_secret = strdup(o->webhook_secret)) == NULL;
  if (o->twilio_token != NULL && o->twilio_token[0] != '\0')
    bad |= (s->twilio_token = strdup(o->twilio_token)) == NULL;
  if (o->public_url != NULL)
    bad |= (s->public_url = strdup(o->public_url)) == NULL;
  int rc, line = 0;
  if (o->gazetteer_path != NULL) {
    rc = sg_textscan_gazetteer_load(o->gazetteer_path, &s->gaz, &line);
  } else {
    const sg_embedded_file *f = sg_embedded_find("palangka-raya.tsv");
    rc = f != NULL
             ? sg_textscan_gazetteer_load_buffer((const char *)f->data, f->size, &s->gaz, &line)
             : SG_EIO;
  }
  if (rc != 0)
    fprintf(stderr, "sms: gazetteer %s: %s (line %d)\n",
            o->gazetteer_path ? o->gazetteer_path : "(built in)", sg_strerror(rc), line);
  if (bad || rc != 0) {
    sg_sms_destroy(s);
    return NULL;
  }
  return s;
}

void sg_sms_destroy(sg_sms *s) {
  if (s == NULL)
    return;
  sg_textscan_gazetteer_destroy(s->gaz);
  free(s->webhook_secret);
  free(s->twilio_token);
  free(s->public_url);
  free(s);
}

static sms_kind kind_of(const char *path) {
  if (strcmp(path, "/v1/sms/kannel") == 0)
    return SMS_KANNEL;
  if (strcmp(path, "/v1/sms/twilio") == 0)
    return SMS_TWILIO;
  if (strcmp(path, "/v1/sms/inbound") == 0)
    return SMS_INBOUND;
  if (strcmp(path, "/v1/sms/dlr") == 0)
    return SMS_DLR;
  return SMS_NONE;
}

int sg_sms_route(const char *path) {
  return kind_of(path) != SMS_NONE;
}

/* ---- reading the request (valid during sg_sms_handle) ---- */

/* Decodes the query; -1 on a bad %-escape or too many arguments. */
static int args_read(sg_http_request *http, args *a) {
  const char *q = sg_http_request_query(http);
  size_t len = strlen(q), size = 2 * len + 2;
  a->form.n = 0;
  a->buf = malloc(size);
  if (a->buf == NULL)
    return -1;
  return sg_sms_form_form_parse(q, len, a->buf, size, &a->form);
}

/* The value of name, its length in *len; NULL if absent. */
static const char *arg(const args *a, const char *name, size_t *len) {
  const sg_sms_form_pair *p = sg_sms_form_form_get(&a->form, name);
  if (p == NULL)
    return NULL;
  *len = p->value_len;
  return p->value;
}

/* A header into buf; its length, 0 if absent, -1 if too long. */
static int header(sg_http_request *http, const char *name, char *buf, int size) {
  const char *v = sg_http_request_header(http, name);
  buf[0] = '\0';
  if (v == NULL)
    return 0;
  size_t n = strlen(v);
  if (n >= (size_t)size)
    return -1;
  memcpy(buf, v, n + 1);
  return (int)n;
}

/* 0 if the request may go on; else the answer is sent. */
static int authorize(sg_sms *s, sg_http_request *http, const args *a, sg_sms_reply_fn reply,
                     void *ctx) {
  if (s->webhook_secret != NULL) {
    char hdr[256];
    size_t len = 0;
    const char *got = arg(a, "secret", &len);
    if (got == NULL) {
      int n = header(http, "x-siaga-secret", hdr, sizeof(hdr));
      got = n > 0 ? hdr : NULL;
      len = n > 0 ? (size_t)n : 0;
    }
    if (got == NULL ||
        !sg_sms_form_secret_equal(got, len, s->webhook_secret, strlen(s->webhook_secret))) {
      reply_error(reply, ctx, 401, "unauthorized", "missing or wrong webhook secret");
      return -1;
    }
    return 0;
  }
  if (!sg_sms_form_loopback(sg_http_request_peer(http))) {
    reply_error(reply, ctx, 403, "forbidden",
                "no webhook secret is configured: only loopback gateways are accepted");
    return -1;
  }
  return 0;
}

/* Sets the sender; 0 or an answer sent (job freed). */
static int job_sender(sms_job *j, const char *from) {
  if (from == NULL || from[0] == '\0') {
    job_error(j, 400, "missing_sender", "the sender's number is required");
    return -1;
  }
  if (sg_sms_form_phone(from, j->phone) != 0) {
    job_error(j, 400, "bad_phone", "the sender is not a phone number");
    return -1;
  }
  return 0;
}

/* Sets the gateway id and idempotency key; 0 or an answer sent. */
static int job_id(sms_job *j, const char *prefix, const char *id, size_t len) {
  if (id == NULL || len == 0)
    return 0;
  if (len > SMS_ID_MAX || !sg_report_key_valid(id, len)) {
    job_error(j, 400, "bad_message_id", "message id: 1 to 100 printable ASCII characters");
    return -1;
  }
  memcpy(j->gateway_id, id, len);
  j->gateway_id[len] = '\0';
  snprintf(j->key, sizeof(j->key), "%s:%s", prefix, j->gateway_id);
  return 0;
}

/* Decodes the text to UTF-8 into the job; 0 or an answer sent. */
static int job_text(sms_job *j, sg_charset cs, const uint8_t *raw, size_t len) {
  int rc = len > SMS_RAW_MAX ? SG_ETOOBIG
                             : sg_charset_to_utf8(cs, raw, len, j->text, sizeof(j->text),
                                                  &j->text_len);
  if (rc == SG_ETOOBIG) {
    job_error(j, 413, "too_long", "SMS text over 1600 bytes of UTF-8");
    return -1;
  }
  if (rc != 0) {
    char m[96];
    snprintf(m, sizeof(m), "text is not valid %s", sg_charset_name(cs));
    job_error(j, 400, cs == SG_CHARSET_UTF8 ? "bad_utf8" : "bad_encoding", m);
    return -1;
  }
  if (j->text_len == 0) {
    job_error(j, 400, "empty_text", "the text is empty");
    return -1;
  }
  return 0;
}

/* The charset of a Kannel message: by name if given, else by coding. */
static int kannel_charset(sms_job *j, const char *name, size_t name_len, const char *coding,
                          sg_charset *cs) {
  if (name != NULL && name_len > 0) {
    if (sg_charset_from_name(name, name_len, cs) == 0)
      return 0;
    job_error(j, 400, "bad_charset", "unknown charset");
    return -1;
  }
  *cs = coding != NULL && strcmp(coding, "2") == 0 ? SG_CHARSET_UTF16BE : SG_CHARSET_UTF8;
  return 0;
}

static void start_checks(sms_job *j);

static void handle_kannel(sms_job *j, const sg_sms_request *req, const args *a) {
  char from[64] = "", time_s[40] = "", coding[8] = "", ct[128] = "", charset[40] = "";
  const char *cs_name = NULL;
  size_t cs_len = 0, len = 0, id_len = 0;
  const char *id = arg(a, "id", &id_len);
  const uint8_t *raw = NULL;
  uint8_t hexbuf[SMS_RAW_MAX];
  if (req->is_post) {
    /* post-url: X-Kannel-* headers (send-sender = true), the body is the text */
    if (header(req->http, "x-kannel-from", from, sizeof(from)) < 0 ||
        header(req->http, "x-kannel-time", time_s, sizeof(time_s)) < 0 ||
        header(req->http, "x-kannel-coding", coding, sizeof(coding)) < 0) {
      job_error(j, 400, "bad_header", "an X-Kannel header is too long");
      return;
    }
    if (header(req->http, "content-type", ct, sizeof(ct)) > 0) {
      int n = sg_sms_form_content_type_charset(ct, charset, sizeof(charset));
      cs_name = n > 0 ? charset : NULL;
      cs_len = n > 0 ? (size_t)n : 0;
    }
    raw = req->body;
    len = req->body_len;
  } else {
    /* get-url: from=%p&text=%b (or hex=%e)&charset=%C&coding=%c&id=%I&time=%t */
    size_t n;
    const char *v;
    if ((v = arg(a, "from", &n)) != NULL && n < sizeof(from) && strlen(v) == n)
      memcpy(from, v, n + 1);
    if ((v = arg(a, "time", &n)) != NULL && n < sizeof(time_s) && strlen(v) == n)
      memcpy(time_s, v, n + 1);
    if ((v = arg(a, "coding", &n)) != NULL && n < sizeof(coding) && strlen(v) == n)
      memcpy(coding, v, n + 1);
    cs_name = arg(a, "charset", &cs_len);
    if ((v = arg(a, "hex", &n)) != NULL) {
      long got = sg_sms_form_hex(v, n, hexbuf, sizeof(hexbuf));
      if (got < 0) {
        job_error(j, n / 2 > sizeof(hexbuf) ? 413 : 400, n / 2 > sizeof(hexbuf) ? "too_long"
                                                                                : "bad_encoding",
                  "hex: expected pairs of hex digits (Kannel %e)");
        return;
      }
      raw = hexbuf;
      len = (size_t)got;
    } else if ((v = arg(a, "text", &n)) != NULL) {
      raw = (const uint8_t *)v;
      len = n;
    }
  }
  sg_charset cs;
  if (job_sender(j, from) != 0 || job_id(j, "kannel", id, id_len) != 0 ||
      kannel_charset(j, cs_name, cs_len, coding, &cs) != 0)
    return;
  if (raw == NULL) {
    job_error(j, 400, "empty_text", "no text (text=%b or hex=%e)");
    return;
  }
  if (job_text(j, cs, raw, len) != 0)
    return;
  /* A time we cannot read is dropped, not refused: the message matters more. */
  if (time_s[0] != '\0' &&
      sg_sms_form_gateway_time(time_s, SMS_GATEWAY_UTC_OFFSET_MIN, &j->sent_at_ms) != 0)
    j->sent_at_ms = 0;
  start_checks(j);
}

static void handle_twilio(sms_job *j, const sg_sms_request *req) {
  char ct[128] = "";
  j->twiml = 1;
  if (!req->is_post) {
    job_error(j, 405, "method_not_allowed", "use POST");
    return;
  }
  if (header(req->http, "content-type", ct, sizeof(ct)) <= 0 ||
      strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
    job_error(j, 415, "unsupported_media_type", "Content-Type must be form-urlencoded");
    return;
  }
  size_t buf_size = 2 * req->body_len + 2;
  char *buf = malloc(buf_size);
  sg_sms_form_form *form = malloc(sizeof(*form));
  if (buf == NULL || form == NULL) {
    job_error(j, 503, "unavailable", "out of memory");
    goto done;
  }
  if (sg_sms_form_form_parse((const char *)req->body, req->body_len, buf, buf_size, form) != 0) {
    job_error(j, 400, "bad_form", "body is not application/x-www-form-urlencoded");
    goto done;
  }
  if (j->sms->twilio_token != NULL) {
    char url[1024], want[SG_SMS_FORM_TWILIO_SIG_LEN + 1], got[128];
    /* Twilio signs the URL it requested, so the query goes in as it came. */
    const char *query = sg_http_request_query(req->http);
    int n = header(req->http, "x-twilio-signature", got, sizeof(got));
    int u = snprintf(url, sizeof(url), "%s%s%s%s", j->sms->public_url ? j->sms->public_url : "",
                     req->path, query[0] != '\0' ? "?" : "", query);
    if (n <= 0 || u < 0 || (size_t)u >= sizeof(url) ||
        sg_sms_form_twilio_signature(j->sms->twilio_token, url, form, want) != 0 ||
        !sg_sms_form_secret_equal(got, (size_t)n, want, strlen(want))) {
      job_error(j, 401, "unauthorized", "missing or wrong X-Twilio-Signature");
      goto done;
    }
  }
  const sg_sms_form_pair *from = sg_sms_form_form_get(form, "From");
  const sg_sms_form_pair *body = sg_sms_form_form_get(form, "Body");
  const sg_sms_form_pair *sid = sg_sms_form_form_get(form, "MessageSid");
  if (sid == NULL)
    sid = sg_sms_form_form_get(form, "SmsSid");
  if (job_sender(j, from != NULL && from->value_len == strlen(from->value) ? from->value : NULL) !=
          0 ||
      job_id(j, "twilio", sid ? sid->value : NULL, sid ? sid->value_len : 0) != 0)
    goto done;
  if (body == NULL) {
    job_error(j, 400, "empty_text", "Body is required");
    goto done;
  }
  if (job_text(j, SG_CHARSET_UTF8, (const uint8_t *)body->value, body->value_len) == 0)
    start_checks(j);
done:
  free(form);
  free(buf);
}

static void handle_inbound(sms_job *j, const sg_sms_request *req) {
  char code[32], message[192];
  sg_sms_form_inbound in;
  if (!req->is_post) {
    job_error(j, 405, "method_not_allowed", "use POST");
    return;
  }
  if (sg_sms_form_inbound_json((const char *)req->body, req->body_len, &in, code, message,
                               sizeof(message)) != 0) {
    job_error(j, strcmp(code, "unavailable") == 0 ? 503 : 400, code, message);
    return;
  }
  if (job_sender(j, in.from) == 0 &&
      job_id(j, "inbound", in.message_id, in.message_id ? strlen(in.message_id) : 0) == 0 &&
      job_text(j, SG_CHARSET_UTF8, (const uint8_t *)in.text, in.text_len) == 0) {
    j->sent_at_ms = in.received_at_ms;
    start_checks(j);
  }
  sg_sms_form_inbound_free(&in);
}

/* ---- delivery reports ---- */

typedef struct dlr_job {
  sg_sms_reply_fn reply;
  void *ctx;
  int pending, failed;
} dlr_job;

static void dlr_done(dlr_job *d) {
  if (--d->pending > 0)
    return;
  if (d->failed)
    reply_error(d->reply, d->ctx, 503, "unavailable", "store unavailable; retry later");
  else
    d->reply(d->ctx, 200, "text/plain", "ok", 2);
  free(d);
}

static void on_dlr(redisReply *reply, void *data) {
  dlr_job *d = data;
  d->failed |= reply == NULL || reply->type == REDIS_REPLY_ERROR;
  dlr_done(d);
}

static void handle_dlr(sg_sms *s, const args *a, sg_sms_reply_fn reply, void *ctx) {
  size_t id_len = 0, st_len = 0, to_len = 0;
  const char *id = arg(a, "id", &id_len), *st = arg(a, "status", &st_len);
  const char *to = arg(a, "to", &to_len);
  char key[SG_KEY_MAX], now[24];
  if (id == NULL || id_len == 0 || id_len > 64 || !sg_report_key_valid(id, id_len) ||
      sg_key2(key, sizeof(key), s->region, "sms:dlr", id) < 0) {
    reply_error(reply, ctx, 400, "bad_id", "id: the outbound entry id (1 to 64 characters)");
    return;
  }
  char *end;
  long status = st != NULL ? strtol(st, &end, 10) : -1;
  if (st == NULL || st_len == 0 || st_len > 4 || *end != '\0' || status < 0) {
    reply_error(reply, ctx, 400, "bad_status", "status: the Kannel delivery value (%d)");
    return;
  }
  char phone[SG_SMS_FORM_PHONE_MAX] = "";
  if (to != NULL && to_len == strlen(to))
    sg_sms_form_phone(to, phone);
  snprintf(now, sizeof(now), "%llu", (unsigned long long)sg_clock_now_ms());
  dlr_job *d = calloc(1, sizeof(*d));
  if (d == NULL) {
    reply_error(reply, ctx, 503, "unavailable", "out of memory");
    return;
  }
  d->reply = reply;
  d->ctx = ctx;
  d->pending = 1;
  const char *hset[] = {"HSET", key, "status", st, "at", now, "to", phone};
  const char *expire[] = {"EXPIRE", key, SMS_DLR_TTL_S};
  size_t hl[8], el[3];
  for (int i = 0; i < 8; i++)
    hl[i] = strlen(hset[i]);
  for (int i = 0; i < 3; i++)
    el[i] = strlen(expire[i]);
  int argc = phone[0] != '\0' ? 8 : 6;
  if (sg_redis_command(s->redis, on_dlr, d, argc, hset, hl) == 0) {
    d->pending++;
    if (sg_redis_command(s->redis, on_dlr, d, 3, expire, el) == 0)
      d->pending++;
    else
      d->failed = 1;
  } else {
    d->failed = 1;
  }
  dlr_done(d); /* drops the guard: answers now if nothing was queued */
}

/* ---- the report ---- */

static void on_ingested(const sg_ingest_result *r, void *data) {
  sms_job *j = data;
  if (r->status != SG_INGEST_OK && r->status != SG_INGEST_DUPLICATE) {
    job_error(j, 503, "unavailable", "report store unavailable; retry with the same message id");
    return;
  }
  if (j->twiml) {
    j->reply(j->ctx, 200, "text/xml", TWIML_EMPTY, strlen(TWIML_EMPTY));
    free(j);
    return;
  }
  Siaga__V1__ReportAccepted a = SIAGA__V1__REPORT_ACCEPTED__INIT;
  a.report_id = (char *)r->report_id;
  a.tracking_token = (char *)r->token;
  a.status = "accepted";
  char *json;
  size_t len;
  if (sg_pbjson_encode(&a.base, &json, &len) != 0) {
    job_error(j, 503, "unavailable", "out of memory");
    return;
  }
  j->reply(j->ctx, 202, CT_JSON, json, len);
  free(json);
  free(j);
}

static void submit(sms_job *j) {
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  Siaga__V1__Reporter rep = SIAGA__V1__REPORTER__INIT;
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  char address[SG_REPORT_ADDRESS_MAX + 1] = "", desc[SMS_TEXT_MAX + 128];
  char *flags[2];
  rep.phone = j->phone;
  r.reporter = &rep;
  r.gateway_message_id = j->gateway_id;
  r.sent_at_ms = j->sent_at_ms;
  if (j->rate > SMS_RATE_LIMIT)
    flags[r.n_flags++] = "rate_limited";
  if (j->prank)
    flags[r.n_flags++] = "prank_history";
  r.flags = flags;
  sg_sms_form_report(j->sms->gaz, j->text, j->text_len, &r, &loc, address, sizeof(address), desc,
                     sizeof(desc));
  sg_report_error err;
  if (sg_report_validate(&r, &err) != 0) {
    job_error(j, 400, err.code, err.message);
    return;
  }
  sg_ingest_submit(j->sms->ingest, &r, j->key[0] != '\0' ? j->key : NULL, on_ingested, j);
}

/* ---- abuse checks: counted and flagged, never refused ---- */

static void check_done(sms_job *j) {
  if (--j->pending > 0)
    return;
  if (j->failed)
    job_error(j, 503, "unavailable", "store unavailable; retry with the same message id");
  else
    submit(j);
}

static void on_rate(redisReply *reply, void *data) {
  sms_job *j = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    j->rate = reply->integer;
  else
    j->failed = 1;
  check_done(j);
}

static void on_expire(redisReply *reply, void *data) {
  sms_job *j = data;
  j->failed |= reply == NULL || reply->type != REDIS_REPLY_INTEGER;
  check_done(j);
}

static void on_prank(redisReply *reply, void *data) {
  sms_job *j = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    j->prank = reply->integer == 1;
  else
    j->failed = 1;
  check_done(j);
}

static void queue(sms_job *j, sg_redis_reply_cb cb, int argc, const char **argv) {
  size_t lens[4];
  for (int i = 0; i < argc; i++)
    lens[i] = strlen(argv[i]);
  if (sg_redis_command(j->sms->redis, cb, j, argc, argv, lens) == 0)
    j->pending++;
  else
    j->failed = 1;
}

/* The three commands are pipelined on the shared connection; the report is
 * built when the last reply is in. EXPIRE NX keeps a fixed 10-minute window
 * that a steady stream of messages cannot extend for ever. */
static void start_checks(sms_job *j) {
  char k_rate[SG_KEY_MAX], k_prank[SG_KEY_MAX];
  if (sg_key2(k_rate, sizeof(k_rate), j->sms->region, "sms:rate", j->phone) < 0 ||
      sg_key(k_prank, sizeof(k_prank), j->sms->region, "prank") < 0) {
    job_error(j, 400, "bad_phone", "sender too long");
    return;
  }
  const char *incr[] = {"INCR", k_rate};
  const char *expire[] = {"EXPIRE", k_rate, SMS_RATE_WINDOW_S, "NX"};
  const char *prank[] = {"SISMEMBER", k_prank, j->phone};
  j->pending = 1;
  queue(j, on_rate, 2, incr);
  if (!j->failed)
    queue(j, on_expire, 4, expire);
  if (!j->failed)
    queue(j, on_prank, 3, prank);
  check_done(j);
}

/* ---- entry ---- */

void sg_sms_handle(sg_sms *s, const sg_sms_request *req, sg_sms_reply_fn reply, void *ctx) {
  sms_kind kind = kind_of(req->path);
  args *a = malloc(sizeof(*a));
  sms_job *j = NULL;
  if (a == NULL) {
    reply_error(reply, ctx, 503, "unavailable", "out of memory");
    return;
  }
  if (args_read(req->http, a) != 0) {
    reply_error(reply, ctx, 400, "bad_query", "the query is not valid percent-encoding");
  } else if (kind == SMS_NONE) {
    reply_error(reply, ctx, 404, "not_found", "no such path");
  } else if (authorize(s, req->http, a, reply, ctx) != 0) {
    /* answered */
  } else if (kind == SMS_DLR) {
    handle_dlr(s, a, reply, ctx);
  } else if ((j = calloc(1, sizeof(*j))) == NULL) {
    reply_error(reply, ctx, 503, "unavailable", "out of memory");
  } else {
    j->sms = s;
    j->reply = reply;
    j->ctx = ctx;
    if (kind == SMS_KANNEL)
      handle_kannel(j, req, a);
    else if (kind == SMS_TWILIO)
      handle_twilio(j, req);
    else
      handle_inbound(j, req);
  }
  free(a->buf);
  free(a);
}
