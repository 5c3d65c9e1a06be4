/* The consumer side of the outbound SMS stream siaga:{R}:sms:out, for
 * sms/outbound: membership of the consumer group (created when missing, and
 * again if Redis comes back without it), the blocking XREADGROUP on a Redis
 * connection of its own, and every 5 s the housekeeping that lets several
 * siagad processes share the stream: XAUTOCLAIM takes over entries a dead
 * process left idle, a keep-alive XCLAIM stops the entries this process
 * holds from looking dead (and tells which of them were acknowledged
 * elsewhere), and XTRIM drops what nobody needs any more.
 *
 * It holds no messages: what it reads or claims goes to its owner's list of
 * held entries through sg_sms_outstream_held, and the owner decides what to
 * keep, sends, and acknowledges (with SG_SMS_OUTSTREAM_GROUP). */
#ifndef SG_SMS_OUTSTREAM_H
#define SG_SMS_OUTSTREAM_H

#include <stddef.h>
#include <uv.h>

#include "store/redisconn.h"

#define SG_SMS_OUTSTREAM_GROUP "smsout" /* shared by every siagad process */

#define SG_SMS_OUTSTREAM_ID_MAX 48
#define SG_SMS_OUTSTREAM_TO_MAX 24
#define SG_SMS_OUTSTREAM_FIELD_MAX 64
#define SG_SMS_OUTSTREAM_TEXT_MAX                                                                  \
  1024 /* bytes; Kannel splits long texts, more is a                                               \
          writer's bug */

typedef struct sg_sms_outstream sg_sms_outstream;

/* An entry read or claimed, decoded (the fields are in outbound.h). */
typedef struct sg_sms_outstream_entry {
  char id[SG_SMS_OUTSTREAM_ID_MAX];
  int deleted; /* trimmed or deleted while pending: no fields */
  char to[SG_SMS_OUTSTREAM_TO_MAX];
  char kind[SG_SMS_OUTSTREAM_FIELD_MAX];
  char incident[SG_SMS_OUTSTREAM_FIELD_MAX];
  char report[SG_SMS_OUTSTREAM_FIELD_MAX];
  const char *text; /* valid UTF-8, not terminated; NULL if missing or bad */
  size_t text_len;
  const char *invalid; /* why the entry can never be sent (a static string), or NULL */
} sg_sms_outstream_entry;

/* The owner's list of held entries, as the stream sees it. Each callback
 * gets held_data; none is called after sg_sms_outstream_destroy. */
typedef struct sg_sms_outstream_held {
  /* How many more entries may be held now; 0 stops reading and claiming. */
  size_t (*room)(void *data);
  /* An entry read or claimed; it and its text are gone when the call
   * returns. Returns 1 if the entry is now held (it was new). */
  int (*take)(void *data, const sg_sms_outstream_entry *entry);
  /* Time to send what is due: after entries were taken, and every tick
   * (250 ms) for those waiting on a backoff. */
  void (*pump)(void *data);
  /* The keep-alive claim is being sent: fills ids with the ids of held
   * entries (at most max, each valid until the call returns) and remembers
   * which were asked for. Returns how many; 0 sends nothing. */
  size_t (*ask)(void *data, const char **ids, size_t max);
  /* Its answer: the array of those ids still pending for this consumer.
   * Asked entries missing from it were acknowledged elsewhere or trimmed. */
  void (*answer)(void *data, const redisReply *ids);
} sg_sms_outstream_held;

typedef struct sg_sms_outstream_options {
  const char *key;                   /* the stream, siaga:{R}:sms:out; copied */
  const char *consumer;              /* this process's name in the group; copied */
  sg_redis *cmd;                     /* the owner's command connection, for claims and trims */
  const sg_sms_outstream_held *held; /* must outlive the object */
  void *held_data;
} sg_sms_outstream_options;

/* Opens the reading connection (read_options, named "<name>-read") and
 * starts: the group is made on every connect, then reading and the 250 ms
 * tick go on until destroy. Returns NULL on out of memory or a key or
 * consumer too long. */
sg_sms_outstream *sg_sms_outstream_create(uv_loop_t *loop, const sg_redis_options *read_options,
                                          const sg_sms_outstream_options *options);

/* Room was made in the held list: read on if reading had stopped. */
void sg_sms_outstream_read(sg_sms_outstream *stream);

/* Stops and closes the reading connection. Call it before destroying cmd:
 * the object is freed by its timer's close callback on a later loop turn,
 * so replies still due on cmd (answered with NULL when cmd goes) find it
 * marked and do nothing. NULL is a no-op. */
void sg_sms_outstream_destroy(sg_sms_outstream *stream);

#endif
