/* Validation of a Report that arrived from outside (app JSON or protobuf,
 * SMS gateways), before anything is written. Limits are part of the API and
 * listed in README.md. */
#ifndef SG_REPORT_H
#define SG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "siaga/v1/siaga.pb-c.h"

#define SG_REPORT_BODY_MAX 65536      /* bytes of an HTTP body */
#define SG_REPORT_DESCRIPTION_MAX 4096 /* bytes of UTF-8 */
#define SG_REPORT_ADDRESS_MAX 512
#define SG_REPORT_NAME_MAX 128
#define SG_REPORT_PHONE_MAX 32
#define SG_REPORT_KEY_MAX 128          /* idempotency key, gateway message id */
#define SG_REPORT_ACCURACY_MAX 1e6     /* metres of location.accuracyM */

typedef struct sg_report_error {
  char code[32];     /* stable, e.g. "bad_location" */
  char message[192]; /* names the field and the limit */
} sg_report_error;

/* Decodes a protobuf Report from exactly len bytes. Refuses bodies over
 * SG_REPORT_BODY_MAX, bytes that do not parse, and unknown fields (a client
 * speaking another schema should hear so). Returns a message to free with
 * siaga__v1__report__free_unpacked(r, NULL), or NULL with err filled. */
Siaga__V1__Report *sg_report_decode_pb(const uint8_t *buf, size_t len, sg_report_error *err);

/* Checks every field a client may set: UTF-8, sizes, coordinates in range,
 * a known category (empty becomes "unknown" through sg_report_category),
 * every double finite and in range (accuracy 0..SG_REPORT_ACCURACY_MAX,
 * confidence 0..1), a location source the schema knows,
 * phone syntax, and that the report says something at all. Returns 0 if
 * valid, else -1 with err filled. */
int sg_report_validate(const Siaga__V1__Report *r, sg_report_error *err);

/* What a client writes the caller's number as ("0812-3456-7890", "+62 812
 * 3456 7890") becomes E.164 (wire/phone.h, the SMS path's normalisation),
 * so one number is one reporter on every channel. For reports from outside
 * only, before sg_report_validate (which takes E.164 only): r must have been unpacked or decoded with
 * the default allocator (the string is replaced with malloc/free). Returns
 * 0 (no number is fine), or -1 with err "bad_phone" for what is not a phone
 * number (letters, short codes): nothing is changed then. */
int sg_report_normalise_phone(Siaga__V1__Report *r, sg_report_error *err);

/* Sets what only the server may say of a report from the app, whatever the
 * body held: channel APP; the location's source (DEVICE for coordinates,
 * TEXT for an address alone) and confidence (0, unknown). A client claiming
 * an AML fix would otherwise move incidents and earn the location.aml
 * reason. */
void sg_report_from_app(Siaga__V1__Report *r);

/* 1 if the location carries coordinates (lat == 0 && lon == 0 means none). */
int sg_report_has_point(const Siaga__V1__Location *loc);

/* Checks an idempotency key: 1..SG_REPORT_KEY_MAX printable ASCII bytes. */
int sg_report_key_valid(const char *key, size_t len);

#endif
