/* Abuse on the citizens' app path, without losing an emergency: like the SMS
 * path (README "Abuse"), an app report is never refused or slowed for who
 * sent it; it carries flags the dispatcher sees.
 *
 *   rate_limited          the number sent more than SG_CITIZEN_ABUSE_PHONE_MAX
 *                         reports (any channel's counter: the SMS one) in
 *                         the 10-minute window
 *   rate_limited_address  more than SG_CITIZEN_ABUSE_ADDRESS_MAX app reports
 *                         from one address in the window (higher than the
 *                         number's: mobile operators put many phones behind
 *                         one address)
 *   prank_history         the number is in siaga:{R}:prank
 *
 * Counters: siaga:{R}:sms:rate:<e164> (shared with SMS: one number, one
 * reporter) and siaga:{R}:app:rate:<address>, 10 minutes from the first. */
#ifndef SG_CITIZEN_ABUSE_H
#define SG_CITIZEN_ABUSE_H

#include "store/ingest.h"
#include "store/redisconn.h"
#include "siaga/v1/siaga.pb-c.h"

#define SG_CITIZEN_ABUSE_PHONE_MAX 10
#define SG_CITIZEN_ABUSE_ADDRESS_MAX 30
#define SG_CITIZEN_ABUSE_WINDOW_S 600

typedef struct sg_citizen_abuse sg_citizen_abuse;

/* redis and ingest must outlive it. NULL on out of memory or a bad region. */
sg_citizen_abuse *sg_citizen_abuse_create(sg_redis *redis, sg_ingest *ingest, const char *region);
void sg_citizen_abuse_destroy(sg_citizen_abuse *abuse);

/* Counts the report against its number and peer address, adds the flags
 * that apply, then submits it (sg_ingest_submit with key, which may be
 * NULL; copied). Takes r (unpacked with the default allocator; it must
 * carry no flags) and frees it. cb is called exactly once, as ingest calls
 * it. Redis failing the counters does not stop the report: it goes
 * unflagged, and ingest says whether Redis took it. */
void sg_citizen_abuse_submit(sg_citizen_abuse *abuse, Siaga__V1__Report *r, const char *peer,
                             const char *key, sg_ingest_cb cb, void *data);

#endif
