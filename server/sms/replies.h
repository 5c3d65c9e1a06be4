/* The pure parts of outbound SMS, kept apart from the I/O so they can be
 * unit-tested: the texts citizens receive and the Kannel sendsms request
 * target. The alphabet check lives in sms/gsm7.h, URL splitting and
 * percent-encoding in http/url.h.
 *
 * Nothing here allocates: every function writes into a buffer the caller
 * owns and reports when it does not fit. */
#ifndef SG_SMS_REPLIES_H
#define SG_SMS_REPLIES_H

#include <stddef.h>

/* Builds the sendsms request target: base_target (the configured URL's path
 * and query, with username and password) followed by to, text, coding=2 and
 * charset=UTF-8 when the text is not GSM-7 safe, and, when dlr_url is not
 * NULL, dlr-mask=31 and a dlr-url of dlr_url?id=<entry_id>&status=%d&to=%p
 * (Kannel fills in %d and %p when it calls back). Returns the length, or -1
 * if it does not fit in size bytes. */
long sg_sms_replies_sendsms_target(char *dst, size_t size, const char *base_target, const char *to,
                                   const char *text, size_t text_len, const char *dlr_url,
                                   const char *entry_id);

/* What a citizen who reported by SMS is told. */
typedef enum sg_sms_replies_kind {
  SG_SMS_REPLIES_ACK,            /* report received, being assessed */
  SG_SMS_REPLIES_ACK_DISPATCHED, /* report received, help already on the way */
  SG_SMS_REPLIES_DISPATCHED,     /* help has been sent */
  SG_SMS_REPLIES_CLOSED,         /* the incident is resolved or closed */
  /* Received, and a question for what the report lacks (issue 13). */
  SG_SMS_REPLIES_ASK,      /* what happened and where? */
  SG_SMS_REPLIES_ASK_WHAT, /* what happened? (the place is known) */
  SG_SMS_REPLIES_ASK_WHERE /* where? (what happened is known) */
} sg_sms_replies_kind;

/* Writes the Bahasa Indonesia text of a reply about incident_id. Every text
 * is GSM 7-bit only and one SMS long; returns the length, or -1 if the text
 * would not fit in size bytes or in one SMS (an absurdly long id). */
long sg_sms_replies_text(char *dst, size_t size, sg_sms_replies_kind kind, const char *incident_id);

/* The acknowledgement (SG_SMS_REPLIES_ACK or _ACK_DISPATCHED) with a link
 * to follow the report in the app (README "Following a report"): the same
 * rules, one SMS of GSM 7-bit; -1 when it does not fit (a long public URL),
 * and the caller sends sg_sms_replies_text instead. */
long sg_sms_replies_ack_link(char *dst, size_t size, sg_sms_replies_kind kind,
                             const char *incident_id, const char *link);

#endif
