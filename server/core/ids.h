/* Identifiers handed out by siagad: report ids and tracking tokens.
 * A generator is a small opaque object seeded from the kernel once; it is
 * not thread-safe (one per loop). */
#ifndef SG_IDS_H
#define SG_IDS_H

#include <stddef.h>
#include <stdint.h>

#define SG_REPORT_ID_LEN 28 /* "r-" + 26 characters, ULID-like, sorts by time */
#define SG_TOKEN_LEN 22     /* 128 random bits, base64url without padding */

typedef struct sg_ids sg_ids;

/* Returns NULL if the kernel gives no randomness or memory is short. */
sg_ids *sg_ids_create(void);
void sg_ids_destroy(sg_ids *ids);

/* Writes a report id (SG_REPORT_ID_LEN chars + NUL) for time now_ms. */
void sg_ids_report(sg_ids *ids, uint64_t now_ms, char out[SG_REPORT_ID_LEN + 1]);

/* Writes an unguessable tracking token (SG_TOKEN_LEN chars + NUL). */
void sg_ids_token(sg_ids *ids, char out[SG_TOKEN_LEN + 1]);

#endif
