#include "auth/password.h"

#include <sodium.h>
#include <string.h>

#include "core/error.h"

int sg_password_init(void) { return sodium_init() < 0 ? SG_ECRYPTO : 0; }

int sg_password_hash(const char *password, size_t len, char out[SG_PASSWORD_HASH_MAX]) {
  _Static_assert(SG_PASSWORD_HASH_MAX >= crypto_pwhash_STRBYTES, "hash buffer too small");
  if (crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return SG_ENOMEM;
  return 0;
}

int sg_password_verify(const char *hash, const char *password, size_t len) {
  if (memchr(hash, '\0', SG_PASSWORD_HASH_MAX) == NULL)
    return 0;
  return crypto_pwhash_str_verify(hash, password, len) == 0;
}
