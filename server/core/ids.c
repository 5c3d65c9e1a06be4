#include "core/ids.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Randomness is read from the kernel in blocks: one getrandom() call per
 * report would cost a system call on the ingest hot path. */
#define POOL_SIZE 4096

struct sg_ids {
  unsigned char pool[POOL_SIZE];
  size_t used;
};

static int refill(sg_ids *ids) {
  size_t got = 0;
  while (got < POOL_SIZE) {
    ssize_t n = getrandom(ids->pool + got, POOL_SIZE - got, 0);
    if (n <= 0)
      return -1;
    got += (size_t)n;
  }
  ids->used = 0;
  return 0;
}

static void take(sg_ids *ids, unsigned char *out, size_t n) {
  if (ids->used + n > POOL_SIZE && refill(ids) != 0)
    abort(); /* the kernel stopped giving randomness: ids would no longer be unique */
  memcpy(out, ids->pool + ids->used, n);
  ids->used += n;
}

sg_ids *sg_ids_create(void) {
  sg_ids *ids = malloc(sizeof(*ids));
  if (ids == NULL)
    return NULL;
  if (refill(ids) != 0) {
    free(ids);
    return NULL;
  }
  return ids;
}

void sg_ids_destroy(sg_ids *ids) {
  free(ids);
}

void sg_ids_report(sg_ids *ids, uint64_t now_ms, char out[SG_REPORT_ID_LEN + 1]) {
  static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  unsigned char rnd[10];
  take(ids, rnd, sizeof(rnd));
  out[0] = 'r';
  out[1] = '-';
  /* 48 bits of time in 10 characters (top 2 bits zero), then 80 random bits
   * in 16: ids sort by arrival, like ULIDs. */
  for (int i = 9; i >= 0; i--) {
    out[2 + i] = crockford[now_ms & 31];
    now_ms >>= 5;
  }
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 5; i++) {
    hi = (hi << 8) | rnd[i];
    lo = (lo << 8) | rnd[5 + i];
  }
  for (int i = 7; i >= 0; i--) {
    out[12 + i] = crockford[hi & 31];
    hi >>= 5;
    out[20 + i] = crockford[lo & 31];
    lo >>= 5;
  }
  out[SG_REPORT_ID_LEN] = '\0';
}

void sg_ids_token(sg_ids *ids, char out[SG_TOKEN_LEN + 1]) {
  static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  unsigned char rnd[16];
  take(ids, rnd, sizeof(rnd));
  /* 22 characters of 6 bits carry 132 bits; the last 4 are zero. */
  unsigned int acc = 0, bits = 0;
  size_t o = 0, i = 0;
  while (o < SG_TOKEN_LEN) {
    if (bits < 6) {
      acc = (acc << 8) | (i < sizeof(rnd) ? rnd[i] : 0);
      i++;
      bits += 8;
    }
    out[o++] = b64url[(acc >> (bits - 6)) & 63];
    bits -= 6;
  }
  out[SG_TOKEN_LEN] = '\0';
}
