#include "store/keys.h"

#include <stdio.h>
#include <string.h>

int sg_key(char *buf, size_t size, const char *region, const char *suffix) {
  int n = snprintf(buf, size, "siaga:{%s}:%s", region, suffix);
  return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int sg_key2(char *buf, size_t size, const char *region, const char *kind, const char *id) {
  int n = snprintf(buf, size, "siaga:{%s}:%s:%s", region, kind, id);
  return (n < 0 || (size_t)n >= size) ? -1 : n;
}

static int all_of(const char *s, size_t max, const char *extra, int upper) {
  size_t n = strlen(s);
  if (n == 0 || n > max)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (upper && c >= 'A' && c <= 'Z') ||
             strchr(extra, c) != NULL;
    if (!ok || c == '\0')
      return 0;
  }
  return 1;
}

int sg_key_region_valid(const char *region) {
  return all_of(region, SG_KEY_REGION_MAX, "", 0);
}

int sg_key_consumer_valid(const char *consumer) {
  return all_of(consumer, SG_KEY_CONSUMER_MAX, "._-", 1);
}

int sg_key_id_valid(const char *id) {
  return all_of(id, SG_KEY_ID_MAX, "_-", 1);
}
