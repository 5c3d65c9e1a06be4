/* Redis replies built by hand, shaped as hiredis builds them, for the unit
 * tests of the reply readers (store/sentinel, store/cluster). Each value
 * points at what it was given: nothing to free. */
#ifndef SG_TEST_REPLY_FIXTURE_H
#define SG_TEST_REPLY_FIXTURE_H

#include <hiredis/hiredis.h>
#include <string.h>

static inline redisReply reply_integer(long long v) {
  redisReply r = {.type = REDIS_REPLY_INTEGER, .integer = v};
  return r;
}

static inline redisReply reply_str(const char *s) {
  redisReply r = {.type = REDIS_REPLY_STRING, .str = (char *)s, .len = strlen(s)};
  return r;
}

static inline redisReply reply_array(redisReply **items, size_t n) {
  redisReply r = {.type = REDIS_REPLY_ARRAY, .element = items, .elements = n};
  return r;
}

#endif
