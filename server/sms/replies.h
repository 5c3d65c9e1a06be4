/* The pure parts of outbound SMS, kept apart from the I/O so they can be
 * unit-tested: the texts citizens receive, the GSM 03.38 alphabet check that
 * decides whether Kannel must send UCS-2, percent-encoding, the sendsms
 * request target, and reading an HTTP status line.
 *
 * Nothing here allocates: every function writes into a buffer the caller
 * owns and reports when it does not fit. */
#ifndef SG_SMSURL_H
#define SG_SMSURL_H

#include <stddef.h>

#define SG_SMSURL_HOST_MAX 256
#define SG_SMSURL_TARGET_MAX 2048
#define SG_SMSURL_SMS_SEPTETS 160 /* one SMS of the GSM 7-bit alphabet */

/* An http:// URL split for a client: host (name or IPv4/IPv6 literal, no
 * brackets), port (80 if absent) and the request target (path and query,
 * "/" if the URL has no path). */
typedef struct sg_smsurl_parts {
  char host[SG_SMSURL_HOST_MAX];
  int port;
  char target[SG_SMSURL_TARGET_MAX];
} sg_smsurl_parts;

/* Splits an http:// URL. Refuses other schemes, user info, fragments,
 * control characters and spaces, and anything too long. Returns 0 or -1. */
int sg_smsurl_parse(const char *url, sg_smsurl_parts *out);

/* Counts the septets the UTF-8 text takes in the GSM 03.38 default alphabet
 * (its extension table characters, such as '[' or the euro sign, take two).
 * Returns -1 if any character is outside that alphabet or the UTF-8 is
 * invalid: such a text must go as UCS-2. */
long sg_smsurl_gsm7_septets(const char *text, size_t len);

/* 1 if the text can go in the GSM 7-bit alphabet, 0 if not. */
int sg_smsurl_gsm7_safe(const char *text, size_t len);

/* Percent-encodes len bytes of src for a query value: everything except the
 * RFC 3986 unreserved characters, so '+' and '&' survive any decoder.
 * Writes a NUL-terminated string and returns its length, or -1 if it does
 * not fit in size bytes. */
long sg_smsurl_encode(char *dst, size_t size, const char *src, size_t len);

/* Builds the sendsms request target: base_target (the configured URL's path
 * and query, with username and password) followed by to, text, coding=2 and
 * charset=UTF-8 when the text is not GSM-7 safe, and, when dlr_url is not
 * NULL, dlr-mask=31 and a dlr-url of dlr_url?id=<entry_id>&status=%d&to=%p
 * (Kannel fills in %d and %p when it calls back). Returns the length, or -1
 * if it does not fit in size bytes. */
long sg_smsurl_sendsms_target(char *dst, size_t size, const char *base_target, const char *to,
                              const char *text, size_t text_len, const char *dlr_url,
                              const char *entry_id);

/* Reads the start of an HTTP/1.x response: skips interim 1xx responses and
 * stores the final status code. Returns 1 when *status is known, 0 when more
 * bytes are needed, -1 when the bytes are not an HTTP/1.x response. */
int sg_smsurl_parse_status(const char *buf, size_t len, int *status);

/* What a citizen who reported by SMS is told. */
typedef enum sg_smsurl_reply {
  SG_SMSURL_REPLY_ACK,            /* report received, being assessed */
  SG_SMSURL_REPLY_ACK_DISPATCHED, /* report received, help already on the way */
  SG_SMSURL_REPLY_DISPATCHED,     /* help has been sent */
  SG_SMSURL_REPLY_CLOSED          /* the incident is resolved or closed */
} sg_smsurl_reply;

/* Writes the Bahasa Indonesia text of a reply about incident_id. Every text
 * is GSM 7-bit only and one SMS long; returns the length, or -1 if the text
 * would not fit in size bytes or in one SMS (an absurdly long id). */
long sg_smsurl_reply_text(char *dst, size_t size, sg_smsurl_reply kind, const char *incident_id);

#endif
