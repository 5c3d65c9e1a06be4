/* Inbound SMS webhooks. Each request is read completely while its HTTP
 * request is valid (authentication, arguments, headers, body, decoding to UTF-8), then
 * the rest is asynchronous and owns only an sms_job, which answers through
 * a pending ticket (core/pending.h) so that a gateway that left is simply
 * not answered: the per-number counter
 * and the prank list are read from Redis, the Report is built (AML or free
 * text), validated and handed to ingest; the gateway hears 2xx only once
 * ingest confirmed, so a gateway that retries on anything else loses nothing.
 * The query names, headers and answers are documented in README "SMS". */
#include "sms/inbound.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "sms/charset.h"
#include "core/embedded.h"
#include "core/pending.h"
#include "store/keys.h"
#include "wire/pbjson.h"
#include "wire/report.h"
#include "sms/dlr.h"
#include "sms/form.h"
#include "text/textscan.h"

#define SMS_TEXT_MAX 1600              /* bytes of UTF-8: ten concatenated parts */
#define SMS_RAW_MAX (4 * SMS_TEXT_MAX) /* bytes before decoding */
#define SMS_GATEWAY_UTC_OFFSET_MIN 420 /* Kannel times are Asia/Jakarta (WIB) */
#define SMS_RATE_WINDOW_S "600"
#define SMS_RATE_LIMIT 10 /* more in the window sets the rate_limited flag */
#define SMS_ID_MAX 100    /* gateway ids; "twilio:" + id stays within SG_REPORT_KEY_MAX */

#define CT_JSON "application/json"
#define RETRY_AFTER_SECONDS "2"
#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

typedef enum sms_kind { SMS_NONE, SMS_KANNEL, SMS_TWILIO, SMS_INBOUND, SMS_DLR } sms_kind;

struct sg_sms {
  sg_ingest *ingest;
  sg_redis *redis;
  char region[32];
  char *webhook_secret, *twilio_token, *public_url;
  sg_textscan_gazetteer *gaz;
  const sg_peer_trust *trust; /* whose X-Forwarded-For is believed */
  sg_sms_unit_fn unit_fn;     /* a crew's phone is not a citizen's */
  void *unit_data;
};

/* sg_http's per-request memory, zeroed per request, valid until answered or aborted. */
typedef struct sms_session {
  sg_http_request *req;
  sg_pending *op;    /* the ticket of the webhook in progress, if any */
  const char *allow; /* an Allow header for a 405 */
} sms_session;

/* One webhook request as read from sg_http, valid until it is answered. */
typedef struct sms_request {
  sg_http_request *http;
  const char *path;
  int is_post;
  const uint8_t *body; /* the whole body (POST), NULL for GET */
  size_t body_len;
} sms_request;

/* One webhook after its request was read: all the asynchronous part needs, copied. */
typedef struct sms_job {
  sg_sms *sms;
  sg_pending *op;
  int twiml; /* answer Twilio's way */
  int pending, failed;
  long long rate;
  int prank, unit_asked;
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

/* Every answer is no-store, and a 503 says when to retry. */
static void send_answer(sms_session *s, int status, const char *content_type, const char *body,
                        size_t len) {
  char headers[128];
  snprintf(headers, sizeof(headers), "cache-control: no-store\r\n%s%s%s%s",
           status == 503 ? "retry-after: " RETRY_AFTER_SECONDS "\r\n" : "",
           s->allow != NULL ? "allow: " : "", s->allow != NULL ? s->allow : "",
           s->allow != NULL ? "\r\n" : "");
  sg_http_response r = {.status = status,
                        .content_type = content_type,
                        .body = body,
                        .body_len = len,
                        .headers = headers};
  sg_http_respond(s->req, &r);
}

/* {"code","message"}, the same JSON as api/ errors. */
static void send_error(sms_session *s, int status, const char *code, const char *message) {
  Siaga__V1__ErrorBody e = SIAGA__V1__ERROR_BODY__INIT;
  e.code = (char *)code;
  e.message = (char *)message;
  char *json;
  size_t len;
  if (sg_pbjson_encode(&e.base, &json, &len) != 0) {
    static const char oom[] = "{\"code\":\"unavailable\",\"message\":\"out of memory\"}";
    send_answer(s, 503, CT_JSON, oom, sizeof(oom) - 1);
    return;
  }
  send_answer(s, status, CT_JSON, json, len);
  free(json);
}

/* The answer owed on ticket op; dropped if the gateway left. */
static void answer(sg_pending *op, int status, const char *content_type, const char *body,
                   size_t len) {
  sms_session *s = sg_pending_finish(op);
  if (s != NULL)
    send_answer(s, status, content_type, body, len);
}

static void reply_error(sg_pending *op, int status, const char *code, const char *message) {
  sms_session *s = sg_pending_finish(op);
  if (s != NULL)
    send_error(s, status, code, message);
}

static void job_error(sms_job *j, int status, const char *code, const char *message) {
  reply_error(j->op, status, code, message);
  free(j);
}

/* ---- create / destroy ---- */

sg_sms *sg_sms_create(sg_ingest *ingest, sg_redis *redis, const sg_sms_options *o) {
  sg_sms *s = calloc(1, sizeof(*s));
  if (s == NULL)
    return NULL;
  s->ingest = ingest;
  s->redis = redis;
  s->trust = o->trust;
  snprintf(s->region, sizeof(s->region), "%s", o->region != NULL ? o->region : SG_REGION_DEFAULT);
  int bad = 0;
  if (o->webhook_secret != NULL && o->webhook_secret[0] != '\0')
    bad |= (s->webhook_secret = strdup(o->webhook_secret)) == NULL;
  if (o->twilio_token != NULL && o->twilio_token[0] != '\0')
    bad |= (s->twilio_token = strdup(o->twilio_token)) == NULL;
  if (o->public_url != NULL)
    bad |= (s->public_url = strdup(o->public_url)) == NULL;
  int rc, line = 0;
  const sg_embedded_file *f = sg_embedded_find("palangka-raya.tsv"); /* unless a file is given */
  if (o->gazetteer_path != NULL)
    rc = sg_textscan_gazetteer_load(o->gazetteer_path, &s->gaz, &line);
  else
    rc = f != NULL
             ? sg_textscan_gazetteer_load_buffer((const char *)f->data, f->size, &s->gaz, &line)
             : SG_EIO;
  if (rc != 0)
    sg_log(SG_LOG_ERROR, "start.failed", "what=gazetteer file=%s reason=%s line=%.0d",
           o->gazetteer_path ? o->gazetteer_path : "(built in)", sg_strerror(rc), line);
  if (bad || rc != 0) {
    sg_sms_destroy(s);
    return NULL;
  }
  return s;
}

void sg_sms_set_unit_hook(sg_sms *s, sg_sms_unit_fn fn, void *hook_data) {
  s->unit_fn = fn;
  s->unit_data = hook_data;
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

/* ---- reading the request (valid until the webhook is answered) ---- */

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
static int authorize(sg_sms *s, sg_http_request *http, const args *a, sg_pending *op) {
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
      reply_error(op, 401, "unauthorized", "missing or wrong webhook secret");
      return -1;
    }
    return 0;
  }
  if (!sg_peer_client_loopback(s->trust, http)) {
    reply_error(op, 403, "forbidden",
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
  int rc = len > SMS_RAW_MAX
               ? SG_ETOOBIG
               : sg_charset_to_utf8(cs, raw, len, j->text, sizeof(j->text), &j->text_len);
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

static void start_checks(sms_job *j);

static void handle_kannel(sms_job *j, const sms_request *req, const args *a) {
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
        job_error(j, n / 2 > sizeof(hexbuf) ? 413 : 400,
                  n / 2 > sizeof(hexbuf) ? "too_long" : "bad_encoding",
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
  if (job_sender(j, from) != 0 || job_id(j, "kannel", id, id_len) != 0)
    return;
  if (sg_charset_kannel(cs_name, cs_len, coding, &cs) != 0) {
    job_error(j, 400, "bad_charset", "unknown charset");
    return;
  }
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

static void handle_twilio(sms_job *j, const sms_request *req) {
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

static void handle_inbound(sms_job *j, const sms_request *req) {
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

/* ---- delivery reports (sms/dlr) ---- */

static void on_dlr_stored(void *data, int ok) {
  if (ok)
    answer(data, 200, "text/plain", "ok", 2);
  else
    reply_error(data, 503, "unavailable", "store unavailable; retry later");
}

static void handle_dlr(sg_sms *s, const args *a, sg_pending *op) {
  size_t id_len = 0, st_len = 0, to_len = 0;
  const char *id = arg(a, "id", &id_len), *st = arg(a, "status", &st_len);
  const char *to = arg(a, "to", &to_len);
  sg_sms_dlr_status rc =
      sg_sms_dlr_store(s->redis, s->region, id, id_len, st, st_len, to, to_len, on_dlr_stored, op);
  if (rc == SG_SMS_DLR_BAD_ID)
    reply_error(op, 400, "bad_id", "id: the outbound entry id (1 to 64 characters)");
  else if (rc == SG_SMS_DLR_BAD_STATUS)
    reply_error(op, 400, "bad_status", "status: the Kannel delivery value (%d)");
  else if (rc == SG_SMS_DLR_NOMEM)
    reply_error(op, 503, "unavailable", "out of memory");
}

/* ---- the report ---- */

static void on_ingested(void *data, const sg_ingest_result *r) {
  sms_job *j = data;
  if (r->status != SG_INGEST_OK && r->status != SG_INGEST_DUPLICATE) {
    job_error(j, 503, "unavailable", "report store unavailable; retry with the same message id");
    return;
  }
  if (j->twiml) {
    answer(j->op, 200, "text/xml", TWIML_EMPTY, strlen(TWIML_EMPTY));
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
  answer(j->op, 202, CT_JSON, json, len);
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

static void on_rate(void *data, redisReply *reply) {
  sms_job *j = data;
  if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
    j->rate = reply->integer;
  else
    j->failed = 1;
  check_done(j);
}

static void on_expire(void *data, redisReply *reply) {
  sms_job *j = data;
  j->failed |= reply == NULL || reply->type != REDIS_REPLY_INTEGER;
  check_done(j);
}

static void on_prank(void *data, redisReply *reply) {
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

static void on_unit_sms(void *data, int matched) {
  sms_job *j = data;
  if (matched <= 0) {
    matched == 0 ? start_checks(j) : job_error(j, 503, "unavailable", "store unavailable; retry");
    return;
  }
  answer(j->op, j->twiml ? 200 : 202, j->twiml ? "text/xml" : CT_JSON,
         j->twiml ? TWIML_EMPTY : "{\"status\":\"unit\"}", j->twiml ? strlen(TWIML_EMPTY) : 17);
  free(j);
}

/* A unit's phone first; then the three commands are pipelined on the
 * shared connection, the report built when the last reply is in. EXPIRE NX
 * keeps a fixed 10-minute window that a steady stream cannot extend. */
static void start_checks(sms_job *j) {
  char k_rate[SG_KEY_MAX], k_prank[SG_KEY_MAX];
  if (j->sms->unit_fn != NULL && !j->unit_asked++) {
    j->sms->unit_fn(j->sms->unit_data, j->phone, j->text, j->text_len, on_unit_sms, j);
    return;
  }
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

/* ---- the HTTP handler ---- */

/* The webhook proper, on a ticket of its own. */
static void handle(sg_sms *s, sms_session *ss, int is_post) {
  sg_pending *op = sg_pending_start(&ss->op, ss);
  if (op == NULL) {
    send_error(ss, 503, "unavailable", "out of memory");
    return;
  }
  sms_request req = {.http = ss->req, .path = sg_http_request_path(ss->req), .is_post = is_post};
  if (is_post)
    req.body = sg_http_request_body(ss->req, &req.body_len);
  sms_kind kind = kind_of(req.path);
  args *a = malloc(sizeof(*a));
  sms_job *j = NULL;
  if (a == NULL) {
    reply_error(op, 503, "unavailable", "out of memory");
    return;
  }
  if (args_read(req.http, a) != 0) {
    reply_error(op, 400, "bad_query", "the query is not valid percent-encoding");
  } else if (authorize(s, req.http, a, op) != 0) {
    /* answered */
  } else if (kind == SMS_DLR) {
    handle_dlr(s, a, op);
  } else if ((j = calloc(1, sizeof(*j))) == NULL) {
    reply_error(op, 503, "unavailable", "out of memory");
  } else {
    j->sms = s;
    j->op = op;
    if (kind == SMS_KANNEL)
      handle_kannel(j, &req, a);
    else if (kind == SMS_TWILIO)
      handle_twilio(j, &req);
    else
      handle_inbound(j, &req);
  }
  free(a->buf);
  free(a);
}

/* Unknown paths, methods and lengths are answered as api/ answers them. */
static void on_request(void *data, sg_http_request *req) {
  sms_session *s = sg_http_request_data(req);
  s->req = req;
  int64_t cl = sg_http_request_content_length(req);
  sg_http_method method = sg_http_request_method(req);
  if (kind_of(sg_http_request_path(req)) == SMS_NONE) {
    send_error(s, 404, "not_found", "no such path");
  } else if (method == SG_HTTP_GET) {
    handle(data, s, 0);
  } else if (method != SG_HTTP_POST) {
    s->allow = "POST";
    send_error(s, 405, "method_not_allowed", "use POST");
  } else if (cl < 0) {
    send_error(s, 411, "length_required", "Content-Length is required");
  } else if (cl > SG_REPORT_BODY_MAX) {
    send_error(s, 413, "too_large", "bodies are limited to 65536 bytes");
  } else {
    sg_http_read_body(req);
  }
}

static void on_body(void *data, sg_http_request *req) {
  handle(data, sg_http_request_data(req), 1);
}

/* The gateway left: the webhook goes on (a report is stored all the same)
 * and its answer is dropped. */
static void on_abort(void *data, sg_http_request *req) {
  sms_session *s = sg_http_request_data(req);
  (void)data;
  sg_pending_orphan(&s->op);
}

const sg_http_handler sg_sms_handler = {on_request, on_body, on_abort};

size_t sg_sms_request_size(void) {
  return sizeof(sms_session);
}
