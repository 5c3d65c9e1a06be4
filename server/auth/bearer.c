#include "auth/bearer.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/hex.h"

void sg_bearer_new(char out[SG_BEARER_LEN + 1]) {
  unsigned char raw[SG_BEARER_LEN / 2];
  randombytes_buf(raw, sizeof(raw));
  sg_hex_encode(raw, sizeof(raw), out);
  sodium_memzero(raw, sizeof(raw));
}

int sg_bearer_valid(const char *s, size_t len) {
  if (len != SG_BEARER_LEN)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (sg_hex_digit((unsigned char)s[i]) < 0)
      return 0;
  return 1;
}

void sg_bearer_digest(const char *token, size_t len, char out[SG_DIGEST_LEN + 1]) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, (const unsigned char *)token, len);
  sg_hex_encode(d, sizeof(d), out);
}

static int take(const char *s, size_t len, char out[SG_BEARER_LEN + 1]) {
  if (!sg_bearer_valid(s, len))
    return -1;
  memcpy(out, s, len);
  out[len] = '\0';
  return 0;
}

/* "name=value; name2=value2": the value of name, by RFC 6265's grammar. */
static int from_cookie(const char *cookie, const char *name, char out[SG_BEARER_LEN + 1]) {
  size_t name_len = strlen(name);
  const char *p = cookie;
  while (*p != '\0') {
    while (*p == ' ' || *p == ';')
      p++;
    const char *end = strchr(p, ';');
    size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
    if (len > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=')
      return take(p + name_len + 1, len - name_len - 1, out);
    p += len;
  }
  return -1;
}

int sg_bearer_from_headers(const char *authorization, const char *cookie, const char *cookie_name,
                           char out[SG_BEARER_LEN + 1]) {
  if (authorization != NULL) {
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
      return -1;
    const char *t = authorization + 7;
    while (*t == ' ')
      t++;
    return take(t, strlen(t), out);
  }
  if (cookie != NULL)
    return from_cookie(cookie, cookie_name, out);
  return -1;
}

void sg_bearer_cookie(char *out, size_t cap, const char *name, const char *token,
                      unsigned long long max_age_s, int secure) {
  snprintf(out, cap, "%s=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%llu%s", name, token,
           max_age_s, secure ? "; Secure" : "");
}
