/* The request parser of sg_http (http/server.h): request line, headers, the
 * Content-Length / Transfer-Encoding checks and the target's path and query,
 * with no I/O and no allocation, so it can be tested on plain byte arrays.
 *
 * Use: sg_http_parse_skip tells how many empty lines precede a request (the
 * caller drops them); sg_http_parse_find_end is called as bytes arrive until
 * it finds the blank line; sg_http_parse_head then parses the head in place
 * without changing a byte (an upgrade can be handed on as it came);
 * sg_http_parse_terminate cuts the strings with NULs; sg_http_parse_framing
 * refuses what cannot be framed with Content-Length. The answer's text
 * (reason phrase, status line and headers, the JSON error body) is written
 * here too, into the caller's buffer.
 *
 * Ownership: the parser owns nothing. A sg_http_parse_request points into the
 * caller's buffer, which must not move or change while the head is used;
 * after sg_http_parse_terminate its strings are NUL-terminated there. Error
 * texts are static. */
#ifndef SG_HTTP_PARSE_H
#define SG_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "http/server.h"

typedef struct sg_http_parse_header {
  const char *name, *value; /* in the caller's buffer; NUL-terminated once terminated */
  size_t name_len, value_len;
} sg_http_parse_header;

/* A parsed request head. headers is last: sg_http_parse_reset leaves it. */
typedef struct sg_http_parse_request {
  sg_http_method method;
  int minor_version;      /* HTTP/1.<minor> */
  const char *path;       /* the target from its '/' (after scheme://authority) */
  const char *query;      /* after '?', "" if none; set by sg_http_parse_terminate */
  int64_t content_length; /* -1: none */
  int keep_alive, upgrade, expect_continue, transfer_encoding;
  size_t n_headers;
  sg_http_parse_header headers[SG_HTTP_HEADERS_MAX];
} sg_http_parse_request;

/* Why a request is refused: the status to answer, a code and a message for
 * the {"code","message"} body. */
typedef struct sg_http_parse_error {
  int status;
  const char *code, *message;
} sg_http_parse_error;

/* Where the search for the end of the head stopped; zero it for each head,
 * and again whenever the bytes before it move. */
typedef struct sg_http_parse_scan {
  size_t scan, line_start; /* next byte to look at, start of its line */
} sg_http_parse_scan;

/* Clears every field but the headers array; content_length becomes -1. */
void sg_http_parse_reset(sg_http_parse_request *h);

/* How many '\r' and '\n' bytes start buf[0..len) (RFC 9112, 2.2: empty
 * lines before a request are ignored). */
size_t sg_http_parse_skip(const char *buf, size_t len);

/* Looks for the blank line ending the head in buf[0..len), going on from
 * where the last call stopped. Returns 1 with *head_len set (the bytes up to
 * and with the blank line), 0 if more bytes are needed, -1 with *e set (431)
 * if the head is or would be over SG_HTTP_HEAD_MAX. */
int sg_http_parse_find_end(sg_http_parse_scan *s, const char *buf, size_t len, size_t *head_len,
                           sg_http_parse_error *e);

/* Parses buf[0..head_len), a head found by sg_http_parse_find_end, into h
 * without changing a byte. Returns 0, or -1 with *e set (400 malformed,
 * 431 too many header lines, 505 not HTTP/1.0 or 1.1). */
int sg_http_parse_head(sg_http_parse_request *h, const char *buf, size_t head_len,
                       sg_http_parse_error *e);

/* Cuts the path, the query and the header names and values of a parsed head
 * with NULs, writing into its buffer (each string is followed by a byte of
 * the head no longer needed). */
void sg_http_parse_terminate(sg_http_parse_request *h);

/* 0 if the body can be read by Content-Length, -1 with *e set (411) if the
 * request has a Transfer-Encoding. */
int sg_http_parse_framing(const sg_http_parse_request *h, sg_http_parse_error *e);

/* The value of the first header of that name (case-insensitive), NULL if
 * absent. Only after sg_http_parse_terminate. */
const char *sg_http_parse_header_value(const sg_http_parse_request *h, const char *name);

/* The values of every header of that name, in the order they came, into
 * values[0..max); returns how many were stored. For a header that a proxy
 * may repeat rather than append to (HAProxy adds its own X-Forwarded-For
 * line). Only after sg_http_parse_terminate. */
size_t sg_http_parse_header_values(const sg_http_parse_request *h, const char *name,
                                   const char **values, size_t max);

/* ---- the answer's text (sg_http_respond) ---- */

/* The reason phrase of a status ("Not Found"), "Status" if unknown. */
const char *sg_http_parse_reason(int status);

/* At most how many bytes the head of resp takes (for sg_http_parse_response_head). */
size_t sg_http_parse_response_size(const sg_http_response *resp);

/* Writes the status line and headers of resp into out[0..cap), cap from
 * sg_http_parse_response_size: Content-Length, then "connection: close" if
 * close, or "connection: keep-alive" for an HTTP/1.0 client. Returns the
 * length written. */
size_t sg_http_parse_response_head(char *out, size_t cap, const sg_http_response *resp, int close,
                                   int minor_version);

/* {"code":code,"message":message} into out[0..cap) (code and message need
 * no JSON escaping); {"code":"error","message":"error"} if it would not fit.
 * Returns its length. */
size_t sg_http_parse_error_body(char *out, size_t cap, const char *code, const char *message);

#endif
