/* auth: tokens, their digests, reading them from headers, Argon2id
 * passwords, names and roles (the pure half; the Redis half is exercised by
 * tests/integration/test_auth.py against a real Redis). */
#include "auth/auth.h"
#include "auth/bearer.h"
#include "auth/password.h"
#include "check.h"

static void test_token_shape_and_randomness(void) {
  CHECK_INT_EQ(sg_password_init(), 0);
  char a[SG_BEARER_LEN + 1], b[SG_BEARER_LEN + 1];
  sg_bearer_new(a);
  sg_bearer_new(b);
  CHECK_INT_EQ(strlen(a), 64);
  CHECK(sg_bearer_valid(a, strlen(a)));
  CHECK(strcmp(a, b) != 0);
  CHECK(!sg_bearer_valid(a, 63));
  a[10] = 'g';
  CHECK(!sg_bearer_valid(a, 64));
}

static void test_digest_is_sha256(void) {
  char d[SG_DIGEST_LEN + 1];
  sg_bearer_digest("abc", 3, d); /* FIPS 180-2 test vector */
  CHECK_STR_EQ(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_token_from_headers(void) {
  char t[SG_BEARER_LEN + 1], out[SG_BEARER_LEN + 1];
  sg_bearer_new(t);
  char auth[80], cookie[160];
  snprintf(auth, sizeof(auth), "Bearer %s", t);
  CHECK_INT_EQ(sg_bearer_from_headers(auth, NULL, SG_AUTH_COOKIE, out), 0);
  CHECK_STR_EQ(out, t);
  snprintf(auth, sizeof(auth), "bearer  %s", t); /* the scheme is case-insensitive */
  CHECK_INT_EQ(sg_bearer_from_headers(auth, NULL, SG_AUTH_COOKIE, out), 0);
  snprintf(cookie, sizeof(cookie), "theme=dark; siaga_session=%s; lang=id", t);
  CHECK_INT_EQ(sg_bearer_from_headers(NULL, cookie, SG_AUTH_COOKIE, out), 0);
  CHECK_STR_EQ(out, t);
  /* A cookie whose name only ends like ours is not ours. */
  snprintf(cookie, sizeof(cookie), "old_siaga_session=%s", t);
  CHECK_INT_EQ(sg_bearer_from_headers(NULL, cookie, SG_AUTH_COOKIE, out), -1);
  CHECK_INT_EQ(sg_bearer_from_headers("Basic dXNlcjpwYXNz", NULL, SG_AUTH_COOKIE, out), -1);
  CHECK_INT_EQ(sg_bearer_from_headers("Bearer short", NULL, SG_AUTH_COOKIE, out), -1);
  snprintf(auth, sizeof(auth), "Bearer %s0", t); /* one digit too many */
  CHECK_INT_EQ(sg_bearer_from_headers(auth, NULL, SG_AUTH_COOKIE, out), -1);
  CHECK_INT_EQ(sg_bearer_from_headers(NULL, NULL, SG_AUTH_COOKIE, out), -1);
  CHECK_INT_EQ(sg_bearer_from_headers(NULL, "siaga_session=", SG_AUTH_COOKIE, out), -1);
}

static void test_password_hash_and_verify(void) {
  CHECK_INT_EQ(sg_password_init(), 0);
  char h[SG_PASSWORD_HASH_MAX], h2[SG_PASSWORD_HASH_MAX];
  CHECK_INT_EQ(sg_password_hash("rahasia-112", 11, h), 0);
  CHECK(strncmp(h, "$argon2id$", 10) == 0);
  CHECK(strstr(h, "rahasia") == NULL);
  CHECK(sg_password_verify(h, "rahasia-112", 11));
  CHECK(!sg_password_verify(h, "rahasia-113", 11));
  CHECK(!sg_password_verify(h, "rahasia-11", 10));
  /* Salted: the same password hashes differently each time. */
  CHECK_INT_EQ(sg_password_hash("rahasia-112", 11, h2), 0);
  CHECK(strcmp(h, h2) != 0);
  CHECK(!sg_password_verify("not a hash", "x", 1));
}

static void test_names_and_roles(void) {
  CHECK(sg_auth_name_valid("sari"));
  CHECK(sg_auth_name_valid("dispatcher.2"));
  CHECK(sg_auth_name_valid("a"));
  CHECK(!sg_auth_name_valid(""));
  CHECK(!sg_auth_name_valid("Sari")); /* one spelling per name */
  CHECK(!sg_auth_name_valid(".sari"));
  CHECK(!sg_auth_name_valid("sa ri"));
  CHECK(!sg_auth_name_valid("sa}ri"));
  CHECK(!sg_auth_name_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
  CHECK_INT_EQ(sg_role_parse("supervisor"), SG_ROLE_SUPERVISOR);
  CHECK_INT_EQ(sg_role_parse("Supervisor"), SG_ROLE_NONE);
  CHECK_INT_EQ(sg_role_parse(""), SG_ROLE_NONE);
  CHECK_STR_EQ(sg_role_name(SG_ROLE_DISPATCHER), "dispatcher");
  CHECK(SG_ROLE_DISPATCHER < SG_ROLE_SUPERVISOR && SG_ROLE_SUPERVISOR < SG_ROLE_ADMIN);
}

int main(void) {
  RUN_TEST(test_token_shape_and_randomness);
  RUN_TEST(test_digest_is_sha256);
  RUN_TEST(test_token_from_headers);
  RUN_TEST(test_password_hash_and_verify);
  RUN_TEST(test_names_and_roles);
  CHECK_DONE();
}
