/* Passwords, hashed with Argon2id (libsodium's crypto_pwhash at its
 * "interactive" cost: 64 MiB and a few tenths of a second, on purpose). The
 * hash is a self-describing string ("$argon2id$v=19$m=65536,t=2,p=1$..."), so
 * the cost can be raised later without breaking old accounts.
 *
 * Hashing and verifying are slow and memory-hungry by design: a server calls
 * them from libuv's thread pool, never on its loop (auth.c). */
#ifndef SG_PASSWORD_H
#define SG_PASSWORD_H

#include <stddef.h>

#define SG_PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define SG_PASSWORD_MIN 8        /* shortest password an account may have */
#define SG_PASSWORD_MAX 256      /* longest password read from anyone */

/* Initialises libsodium; call once before any other function here (it is
 * safe to call again). 0 or SG_ECRYPTO. */
int sg_password_init(void);

/* Writes the hash of password[0..len) into out. 0, or SG_ENOMEM when the
 * memory for Argon2id cannot be had. */
int sg_password_hash(const char *password, size_t len, char out[SG_PASSWORD_HASH_MAX]);

/* 1 if password[0..len) is the one hashed into hash, else 0 (also for a
 * malformed hash). Takes the same time for any wrong password. */
int sg_password_verify(const char *hash, const char *password, size_t len);

#endif
