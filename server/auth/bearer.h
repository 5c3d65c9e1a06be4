/* Bearer tokens: the secrets that sessions (and later units) are held by.
 * A token is 32 random bytes as 64 lower-case hex digits; Redis keeps only
 * its SHA-256, so a copy of the database opens no session. */
#ifndef SG_BEARER_H
#define SG_BEARER_H

#include <stddef.h>

#define SG_BEARER_LEN 64 /* hex digits of 256 random bits */
#define SG_DIGEST_LEN 64 /* hex digits of a SHA-256 */

/* A new random token (libsodium's randombytes; sg_password_init first). */
void sg_bearer_new(char out[SG_BEARER_LEN + 1]);

/* 1 if s[0..len) has a token's shape (SG_BEARER_LEN hex digits). */
int sg_bearer_valid(const char *s, size_t len);

/* The SHA-256 of token[0..len), in hex: the name it is stored under. */
void sg_bearer_digest(const char *token, size_t len, char out[SG_DIGEST_LEN + 1]);

/* The token a request carries: "Authorization: Bearer T" first, else the
 * cookie called cookie_name in the Cookie header; either header may be NULL.
 * Copies it into out and returns 0, or -1 when there is no well-formed one. */
int sg_bearer_from_headers(const char *authorization, const char *cookie, const char *cookie_name,
                           char out[SG_BEARER_LEN + 1]);

/* The Set-Cookie value that keeps token under name for max_age_s seconds,
 * or clears the cookie (token "", max_age_s 0), into out[0..cap):
 * HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it), Path=/, and Secure when secure: a cookie set over TLS is never
 * sent in clear. */
void sg_bearer_cookie(char *out, size_t cap, const char *name, const char *token,
                      unsigned long long max_age_s, int secure);

#endif
