/* The citizens' HTTP routes (README "Following a report", "The citizens'
 * app"), an sg_http handler the router gives the prefixes
 * SG_CITIZEN_TRACK_PREFIX and SG_CITIZEN_APP_PREFIX:
 *
 *   GET /v1/reports/{reportId}?token=T   200 siaga.v1.ReportStatus (JSON)
 *                                        404 not_found: unknown report or
 *                                        wrong token, alike
 *   GET /l/{reportId}.{token}            the short link of an SMS
 *                                        acknowledgement: 302 to the app,
 *                                        which follows that report
 *   GET /lapor, /lapor/...               the app's files (clients/lapor/),
 *                                        and /lapor/config.json with the
 *                                        SMS number to show
 * No account: the token is the only credential, and only what the reporter
 * may know is answered. */
#ifndef SG_CITIZEN_TRACK_H
#define SG_CITIZEN_TRACK_H

#include <stddef.h>

#include "citizen/lookup.h"
#include "http/server.h"

#define SG_CITIZEN_TRACK_PREFIX "/v1/reports/"
#define SG_CITIZEN_APP_PREFIX "/lapor"
#define SG_CITIZEN_LINK_PREFIX "/l/"
#define SG_CITIZEN_SMS_NUMBER_MAX 20

typedef struct sg_citizen_track sg_citizen_track;

/* lookup must outlive the object; sms_number (what the page shows for
 * reporting by SMS, e.g. "112"; at most SG_CITIZEN_SMS_NUMBER_MAX of
 * [0-9+ ]) is copied. NULL on out of memory or a bad number. */
sg_citizen_track *sg_citizen_track_create(sg_citizen_lookup *lookup, const char *sms_number);
/* After the sg_http serving it was destroyed. NULL-safe. */
void sg_citizen_track_destroy(sg_citizen_track *track);

extern const sg_http_handler sg_citizen_track_handler;
size_t sg_citizen_track_request_size(void);

#endif
