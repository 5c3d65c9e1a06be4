/* sg_http_parse: see parse.h. Nothing here reads a socket or allocates. */
#include "http/parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int is_tchar(unsigned char ch) {
  if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
    return 1;
  return ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

static int token_eq(const char *s, size_t len, const char *lit) {
  return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

/* 1 if the comma-separated list s[0..len) holds token (case-insensitive). */
static int list_has(const char *s, size_t len, const char *token) {
  size_t i = 0;
  while (i < len) {
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == ','))
      i++;
    size_t start = i;
    while (i < len && s[i] != ',')
      i++;
    size_t end = i;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
      end--;
    if (token_eq(s + start, end - start, token))
      return 1;
  }
  return 0;
}

static int fail(sg_http_parse_error *e, int status, const char *code, const char *message) {
  e->status = status;
  e->code = code;
  e->message = message;
  return -1;
}

void sg_http_parse_reset(sg_http_parse_request *h) {
  memset(h, 0, offsetof(sg_http_parse_request, headers));
  h->content_length = -1;
}

size_t sg_http_parse_skip(const char *buf, size_t len) {
  size_t skip = 0;
  while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
    skip++;
  return skip;
}

int sg_http_parse_find_end(sg_http_parse_scan *s, const char *buf, size_t len, size_t *head_len,
                           sg_http_parse_error *e) {
  for (size_t i = s->scan; i < len; i++) {
    if (buf[i] != '\n')
      continue;
    size_t line = i - s->line_start;
    if (line == 0 || (line == 1 && buf[s->line_start] == '\r')) {
      *head_len = i + 1;
      if (*head_len > SG_HTTP_HEAD_MAX)
        return fail(e, 431, "headers_too_large", "request head over 8192 bytes");
      return 1;
    }
    s->line_start = i + 1;
  }
  s->scan = len;
  if (len >= SG_HTTP_HEAD_MAX)
    return fail(e, 431, "headers_too_large", "request head over 8192 bytes");
  return 0;
}

/* The end of the line starting at p (at its '\n'), and its length without
 * a final '\r'. */
static const char *line_end(const char *p, const char *end, size_t *len) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *len = (size_t)(nl - p);
  if (*len > 0 && p[*len - 1] == '\r')
    (*len)--;
  return nl;
}

static int parse_content_length(sg_http_parse_request *r, const char *v, size_t len,
                                sg_http_parse_error *e) {
  if (len == 0 || len > 18)
    return fail(e, 400, "bad_length", "Content-Length is not a number");
  int64_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (v[i] < '0' || v[i] > '9')
      return fail(e, 400, "bad_length", "Content-Length is not a number");
    n = n * 10 + (v[i] - '0');
  }
  if (r->content_length >= 0 && r->content_length != n)
    return fail(e, 400, "bad_length", "conflicting Content-Length headers");
  r->content_length = n;
  return 0;
}

/* Parses the head without changing a byte (an upgrade is handed on as it
 * came); sg_http_parse_terminate then cuts the strings. */
int sg_http_parse_head(sg_http_parse_request *r, const char *buf, size_t head_len,
                       sg_http_parse_error *e) {
  sg_http_parse_reset(r);
  const char *p = buf;
  const char *head_end = buf + head_len;
  size_t len;
  const char *nl = line_end(p, head_end, &len);

  /* request line: method SP target SP HTTP/1.x */
  const char *sp1 = memchr(p, ' ', len);
  if (sp1 == NULL || sp1 == p)
    return fail(e, 400, "bad_request", "malformed request line");
  for (const char *q = p; q < sp1; q++) {
    if (!is_tchar((unsigned char)*q))
      return fail(e, 400, "bad_request", "malformed method");
  }
  size_t mlen = (size_t)(sp1 - p);
  /* Methods are case-sensitive. */
  r->method = mlen == 3 && memcmp(p, "GET", 3) == 0    ? SG_HTTP_GET
              : mlen == 4 && memcmp(p, "POST", 4) == 0 ? SG_HTTP_POST
              : mlen == 4 && memcmp(p, "HEAD", 4) == 0 ? SG_HTTP_HEAD
                                                       : SG_HTTP_OTHER;
  const char *target = sp1 + 1, *end = p + len;
  const char *sp2 = memchr(target, ' ', (size_t)(end - target));
  if (sp2 == NULL || sp2 == target)
    return fail(e, 400, "bad_request", "malformed request line");
  for (const char *q = target; q < sp2; q++) {
    if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
      return fail(e, 400, "bad_request", "invalid character in the request target");
  }
  const char *version = sp2 + 1;
  size_t vlen = (size_t)(end - version);
  if (vlen != 8 || memcmp(version, "HTTP/", 5) != 0 || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(e, 400, "bad_request", "malformed request line");
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
    return fail(e, 505, "version_not_supported", "HTTP/1.0 and HTTP/1.1 only");
  r->minor_version = version[7] - '0';
  /* The asterisk-form is for OPTIONS only (RFC 9112 3.2.4); found by the
   * fuzzer as "POST *". */
  int asterisk = sp2 - target == 1 && target[0] == '*';
  if (asterisk && !(mlen == 7 && memcmp(p, "OPTIONS", 7) == 0))
    return fail(e, 400, "bad_request", "malformed request target");
  if (target[0] != '/' && !asterisk) {
    /* absolute-form: the path starts after scheme://authority */
    const char *q = target;
    while (q < sp2 && *q != ':')
      q++;
    if (q + 3 > sp2 || q[1] != '/' || q[2] != '/')
      return fail(e, 400, "bad_request", "malformed request target");
    q += 3;
    while (q < sp2 && *q != '/' && *q != '?')
      q++;
    if (q == sp2 || *q != '/')
      return fail(e, 400, "bad_request", "malformed request target");
    target = q;
  }
  r->path = target;

  /* headers */
  int connection_close = 0, connection_keep_alive = 0;
  r->content_length = -1;
  for (p = nl + 1; p < head_end; p = nl + 1) {
    nl = line_end(p, head_end, &len);
    if (len == 0)
      break; /* the blank line */
    if (p[0] == ' ' || p[0] == '\t')
      return fail(e, 400, "bad_header", "folded header lines are not accepted");
    const char *colon = memchr(p, ':', len);
    if (colon == NULL || colon == p)
      return fail(e, 400, "bad_header", "malformed header line");
    for (const char *q = p; q < colon; q++) {
      if (!is_tchar((unsigned char)*q))
        return fail(e, 400, "bad_header", "malformed header name");
    }
    const char *v = colon + 1, *vend = p + len;
    while (v < vend && (*v == ' ' || *v == '\t'))
      v++;
    while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
      vend--;
    for (const char *q = v; q < vend; q++) {
      unsigned char ch = (unsigned char)*q;
      if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
        return fail(e, 400, "bad_header", "invalid character in a header value");
    }
    if (r->n_headers == SG_HTTP_HEADERS_MAX)
      return fail(e, 431, "headers_too_large", "too many header lines");
    sg_http_parse_header *h = &r->headers[r->n_headers++];
    h->name = p;
    h->name_len = (size_t)(colon - p);
    h->value = v;
    h->value_len = (size_t)(vend - v);
    if (token_eq(h->name, h->name_len, "content-length")) {
      if (parse_content_length(r, v, h->value_len, e) != 0)
        return -1;
    } else if (token_eq(h->name, h->name_len, "transfer-encoding")) {
      r->transfer_encoding = 1;
    } else if (token_eq(h->name, h->name_len, "connection")) {
      connection_close |= list_has(v, h->value_len, "close");
      connection_keep_alive |= list_has(v, h->value_len, "keep-alive");
    } else if (token_eq(h->name, h->name_len, "upgrade")) {
      r->upgrade |= list_has(v, h->value_len, "websocket");
    } else if (token_eq(h->name, h->name_len, "expect")) {
      r->expect_continue = token_eq(v, h->value_len, "100-continue");
    }
  }
  r->keep_alive = !connection_close && (r->minor_version == 1 || connection_keep_alive);
  return 0;
}

void sg_http_parse_terminate(sg_http_parse_request *r) {
  char *path = (char *)r->path;
  char *sp = strchr(path, ' ');
  *sp = '\0';
  char *q = strchr(path, '?');
  if (q != NULL) {
    *q = '\0';
    r->query = q + 1;
  } else {
    r->query = "";
  }
  for (size_t i = 0; i < r->n_headers; i++) {
    sg_http_parse_header *h = &r->headers[i];
    ((char *)h->name)[h->name_len] = '\0';
    ((char *)h->value)[h->value_len] = '\0';
  }
}
int sg_http_parse_framing(const sg_http_parse_request *h, sg_http_parse_error *e) {
  if (h->transfer_encoding)
    return fail(e, 411, "length_required", "chunked bodies are not accepted; send Content-Length");
  return 0;
}

const char *sg_http_parse_header_value(const sg_http_parse_request *h, const char *name) {
  size_t len = strlen(name);
  for (size_t i = 0; i < h->n_headers; i++) {
    const sg_http_parse_header *hd = &h->headers[i];
    if (hd->name_len == len && strcasecmp(hd->name, name) == 0)
      return hd->value;
  }
  return NULL;
}

size_t sg_http_parse_header_values(const sg_http_parse_request *h, const char *name,
                                   const char **values, size_t max) {
  size_t len = strlen(name), n = 0;
  for (size_t i = 0; i < h->n_headers && n < max; i++) {
    const sg_http_parse_header *hd = &h->headers[i];
    if (hd->name_len == len && strcasecmp(hd->name, name) == 0)
      values[n++] = hd->value;
  }
  return n;
}

const char *sg_http_parse_reason(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 408:
    return "Request Timeout";
  case 411:
    return "Length Required";
  case 413:
    return "Content Too Large";
  case 414:
    return "URI Too Long";
  case 415:
    return "Unsupported Media Type";
  case 426:
    return "Upgrade Required";
  case 429:
    return "Too Many Requests";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 501:
    return "Not Implemented";
  case 503:
    return "Service Unavailable";
  case 505:
    return "HTTP Version Not Supported";
  default:
    return "Status";
  }
}

size_t sg_http_parse_response_size(const sg_http_response *resp) {
  return 200 + (resp->content_type ? strlen(resp->content_type) : 0) +
         (resp->headers ? strlen(resp->headers) : 0);
}

size_t sg_http_parse_response_head(char *out, size_t cap, const sg_http_response *resp, int close,
                                   int minor_version) {
  int n =
      snprintf(out, cap, "HTTP/1.1 %d %s\r\n%s%s%scontent-length: %zu\r\n%s%s\r\n", resp->status,
               sg_http_parse_reason(resp->status), resp->content_type ? "content-type: " : "",
               resp->content_type ? resp->content_type : "", resp->content_type ? "\r\n" : "",
               resp->body_len, resp->headers ? resp->headers : "",
               close                ? "connection: close\r\n"
               : minor_version == 0 ? "connection: keep-alive\r\n"
                                    : "");
  return (size_t)n;
}

size_t sg_http_parse_error_body(char *out, size_t cap, const char *code, const char *message) {
  int n = snprintf(out, cap, "{\"code\":\"%s\",\"message\":\"%s\"}", code, message);
  if (n < 0 || (size_t)n >= cap)
    n = snprintf(out, cap, "{\"code\":\"%s\",\"message\":\"error\"}", "error");
  return (size_t)n;
}
