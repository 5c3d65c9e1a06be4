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

int sg_key_id_valid(const char *id) {
  size_t n = strlen(id);
  if (n == 0 || n > SG_KEY_ID_MAX)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = id[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_'))
      return 0;
  }
  return 1;
}
