#include "keys.h"

#include <stdio.h>

int sg_key(char *buf, size_t size, const char *region, const char *suffix) {
  int n = snprintf(buf, size, "siaga:{%s}:%s", region, suffix);
  return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int sg_key2(char *buf, size_t size, const char *region, const char *kind, const char *id) {
  int n = snprintf(buf, size, "siaga:{%s}:%s:%s", region, kind, id);
  return (n < 0 || (size_t)n >= size) ? -1 : n;
}
