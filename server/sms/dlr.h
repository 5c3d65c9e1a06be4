/* Kannel delivery reports for outbound messages, the /v1/sms/dlr webhook's
 * store: siaga:{R}:sms:dlr:<entry id> (status, at, to; 7 days). The
 * request itself (authorization, arguments) is sms/inbound's. */
#ifndef SG_SMS_DLR_H
#define SG_SMS_DLR_H

#include <stddef.h>

#include "store/redisconn.h"

typedef enum sg_sms_dlr_status {
  SG_SMS_DLR_STARTED,    /* cb will be called exactly once, maybe before the return */
  SG_SMS_DLR_BAD_ID,     /* not an outbound entry id (1 to 64 characters) */
  SG_SMS_DLR_BAD_STATUS, /* not Kannel's delivery value (%d) */
  SG_SMS_DLR_NOMEM
} sg_sms_dlr_status;

/* ok: Redis took both commands. */
typedef void (*sg_sms_dlr_cb)(void *data, int ok);

/* Validates and stores one report; the arguments are as decoded from the
 * query (to may be absent or not a phone number: then it is not stored). */
sg_sms_dlr_status sg_sms_dlr_store(sg_redis *redis, const char *region, const char *id,
                                   size_t id_len, const char *status, size_t status_len,
                                   const char *to, size_t to_len, sg_sms_dlr_cb cb, void *data);

#endif
