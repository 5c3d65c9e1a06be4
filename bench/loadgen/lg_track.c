/* Reports live in an array indexed by send order; keys live in an open
 * addressing hash table whose slots point into an entry array. Both are sized
 * once at start, so the hot path never allocates. */
#include "lg_track.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define KEY_MAX 40
/* Every delivery's latency goes into a histogram: 10 us steps below one
 * second, 1 ms steps up to 100 s (a million deliveries a second would not
 * fit a sorted array). */
#define HIST_FINE 100000   /* 10 us buckets: [0, 1 s) */
#define HIST_COARSE 100000 /* 1 ms buckets: [1 s, 101 s), the last one open-ended */

typedef struct entry {
  char key[KEY_MAX];
  uint8_t key_len;
  int64_t seq; /* -1 until an acknowledgement names this key */
  uint64_t first_ns, last_ns;
  uint32_t count;   /* distinct consoles that saw the key */
  uint8_t *seen_by; /* bit per console; NULL before the first delivery and
                       after the last console (count == consoles) */
  uint64_t *early;  /* times of the deliveries that came before the
                       acknowledgement (its intended send time unknown yet) */
  uint32_t n_early;
} entry;

enum report_state { REPORT_NONE = 0, REPORT_OFFERED, REPORT_ACKED, REPORT_FAILED };

typedef struct report {
  uint64_t intent_ns, ack_ns;
  int64_t entry; /* -1 until acknowledged */
  uint8_t state;
} report;

struct lg_track {
  /* Held by every public function: acknowledgements arrive on the HTTP
   * thread and deliveries on the console thread. Each call is short (no I/O,
   * at most one small allocation), so the other thread waits microseconds,
   * and the times recorded are taken by the callers before they lock. */
  uv_mutex_t mutex;
  size_t capacity, consoles;
  report *reports;
  entry *entries;
  size_t n_entries, max_entries;
  uint32_t *slots; /* entry index + 1; 0 = empty */
  size_t n_slots;  /* power of two */
  size_t bitmap_bytes;
  size_t offered, acked, failed, seen_first, seen_all, unmatched_dropped, duplicates, distinct_seen;
  size_t via_snapshot, untracked;
  uint64_t deliveries, last_delivery_ns;
  uint32_t *hist; /* HIST_FINE + HIST_COARSE buckets of delivery latency */
  uint64_t hist_count, hist_max_ns;
  size_t each_dropped; /* early deliveries with no room to wait for their ack */
};

static void hist_add(lg_track *t, uint64_t intent_ns, uint64_t now_ns) {
  uint64_t ns = now_ns > intent_ns ? now_ns - intent_ns : 0, us = ns / 1000;
  size_t i = us < 1000000 ? (size_t)(us / 10)
                          : HIST_FINE + (size_t)((us - 1000000) / 1000 < HIST_COARSE - 1
                                                     ? (us - 1000000) / 1000
                                                     : HIST_COARSE - 1);
  t->hist[i]++;
  t->hist_count++;
  if (ns > t->hist_max_ns)
    t->hist_max_ns = ns;
}

/* The upper edge of bucket i, in ms. */
static double hist_edge_ms(size_t i) {
  return i < HIST_FINE ? (double)(i + 1) * 0.01 : 1000.0 + (double)(i - HIST_FINE + 1);
}

static uint64_t hash_key(const char *k, size_t n) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < n; i++) {
    h ^= (uint8_t)k[i];
    h *= 1099511628211ULL;
  }
  return h;
}

lg_track *lg_track_create(size_t capacity, size_t consoles) {
  lg_track *t = calloc(1, sizeof(*t));
  if (t == NULL)
    return NULL;
  if (uv_mutex_init(&t->mutex) != 0) {
    free(t);
    return NULL;
  }
  t->capacity = capacity;
  t->consoles = consoles;
  t->bitmap_bytes = (consoles + 7) / 8;
  /* Room for every report plus as many keys that no acknowledgement of ours
   * names (a timed-out request the server did store). */
  t->max_entries = 2 * capacity + 1024;
  t->n_slots = 1024;
  while (t->n_slots < 2 * t->max_entries)
    t->n_slots <<= 1;
  t->reports = calloc(capacity ? capacity : 1, sizeof(report));
  t->entries = calloc(t->max_entries, sizeof(entry));
  t->slots = calloc(t->n_slots, sizeof(uint32_t));
  t->hist = calloc(HIST_FINE + HIST_COARSE, sizeof(uint32_t));
  if (t->reports == NULL || t->entries == NULL || t->slots == NULL || t->hist == NULL) {
    lg_track_destroy(t);
    return NULL;
  }
  for (size_t i = 0; i < capacity; i++)
    t->reports[i].entry = -1;
  return t;
}

void lg_track_destroy(lg_track *t) {
  if (t == NULL)
    return;
  free(t->reports);
  for (size_t i = 0; t->entries != NULL && i < t->n_entries; i++) {
    free(t->entries[i].seen_by);
    free(t->entries[i].early);
  }
  free(t->entries);
  free(t->slots);
  free(t->hist);
  uv_mutex_destroy(&t->mutex);
  free(t);
}

/* Finds key's entry, creating it if asked; NULL if absent or the table is
 * full (then the caller counts the key as unmatched). */
static entry *find_entry(lg_track *t, const char *key, size_t len, int create) {
  if (len == 0 || len >= KEY_MAX)
    return NULL;
  size_t mask = t->n_slots - 1;
  for (size_t i = hash_key(key, len) & mask;; i = (i + 1) & mask) {
    uint32_t s = t->slots[i];
    if (s == 0) {
      if (!create || t->n_entries == t->max_entries)
        return NULL;
      entry *e = &t->entries[t->n_entries++];
      memcpy(e->key, key, len);
      e->key_len = (uint8_t)len;
      e->seq = -1;
      t->slots[i] = (uint32_t)t->n_entries;
      return e;
    }
    entry *e = &t->entries[s - 1];
    if (e->key_len == len && memcmp(e->key, key, len) == 0)
      return e;
  }
}

static void offered_locked(lg_track *t, size_t seq, uint64_t intent_ns) {
  if (seq >= t->capacity)
    return;
  t->reports[seq].intent_ns = intent_ns;
  t->reports[seq].state = REPORT_OFFERED;
  t->offered++;
}

void lg_track_offered(lg_track *t, size_t seq, uint64_t intent_ns) {
  uv_mutex_lock(&t->mutex);
  offered_locked(t, seq, intent_ns);
  uv_mutex_unlock(&t->mutex);
}

static void failed_locked(lg_track *t, size_t seq) {
  if (seq >= t->capacity || t->reports[seq].state != REPORT_OFFERED)
    return;
  t->reports[seq].state = REPORT_FAILED;
  t->failed++;
}

void lg_track_failed(lg_track *t, size_t seq) {
  uv_mutex_lock(&t->mutex);
  failed_locked(t, seq);
  uv_mutex_unlock(&t->mutex);
}

static void acked_locked(lg_track *t, size_t seq, uint64_t now_ns, const char *key,
                         size_t key_len) {
  if (seq >= t->capacity || t->reports[seq].state != REPORT_OFFERED)
    return;
  entry *e = find_entry(t, key, key_len, 1);
  if (e == NULL || e->seq >= 0) {
    /* No key, or a key another report already got: the server broke its
     * contract; count it as a failure so it shows. */
    t->reports[seq].state = REPORT_FAILED;
    t->failed++;
    return;
  }
  report *r = &t->reports[seq];
  r->state = REPORT_ACKED;
  r->ack_ns = now_ns;
  r->entry = e - t->entries;
  e->seq = (int64_t)seq;
  for (uint32_t k = 0; k < e->n_early; k++)
    hist_add(t, r->intent_ns, e->early[k]);
  free(e->early);
  e->early = NULL;
  e->n_early = 0;
  t->acked++;
  if (e->count >= 1)
    t->seen_first++;
  if (e->count >= t->consoles)
    t->seen_all++;
}

void lg_track_acked(lg_track *t, size_t seq, uint64_t now_ns, const char *key, size_t key_len) {
  uv_mutex_lock(&t->mutex);
  acked_locked(t, seq, now_ns, key, key_len);
  uv_mutex_unlock(&t->mutex);
}

/* Marks console c as having seen e. Returns 1 if that is news, 0 if c had
 * seen e before, -1 if it cannot tell (a console index beyond the table, or
 * no memory for the bitmap): such a delivery is not credited, so the run
 * reports a loss instead of vouching for a console it could not track. */
static int mark_console(lg_track *t, entry *e, size_t c) {
  if (e->count >= t->consoles)
    return 0; /* every console has it: anything more is a repeat */
  if (c >= t->consoles)
    return -1;
  if (e->seen_by == NULL) {
    e->seen_by = calloc(t->bitmap_bytes, 1);
    if (e->seen_by == NULL)
      return -1;
  }
  uint8_t bit = (uint8_t)(1u << (c % 8));
  if (e->seen_by[c / 8] & bit)
    return 0;
  e->seen_by[c / 8] |= bit;
  return 1;
}

/* A console saw e for the first time: the counts that follow from it. */
static void credit(lg_track *t, entry *e, uint64_t now_ns) {
  if (e->count == 0) {
    e->first_ns = now_ns;
    t->distinct_seen++;
  }
  e->last_ns = now_ns;
  if (e->seq >= 0) {
    hist_add(t, t->reports[e->seq].intent_ns, now_ns);
  } else {
    /* Each console once, so at most `consoles` of them. */
    if (e->early == NULL)
      e->early = malloc(t->consoles * sizeof(*e->early));
    if (e->early != NULL && e->n_early < t->consoles)
      e->early[e->n_early++] = now_ns;
    else
      t->each_dropped++;
  }
  e->count++;
  t->deliveries++;
  t->last_delivery_ns = now_ns;
  if (e->seq >= 0) {
    if (e->count == 1)
      t->seen_first++;
    if (e->count == t->consoles)
      t->seen_all++;
  }
  if (e->count >= t->consoles && e->seen_by != NULL) {
    /* Complete: a later delivery is a repeat whoever gets it, so the bitmap
     * has nothing left to tell. */
    free(e->seen_by);
    e->seen_by = NULL;
  }
}

static void delivered_locked(lg_track *t, size_t console, const char *key, size_t key_len,
                             uint64_t now_ns) {
  entry *e = find_entry(t, key, key_len, 1);
  if (e == NULL) {
    t->unmatched_dropped++;
    return;
  }
  int news = mark_console(t, e, console);
  if (news < 0) {
    t->untracked++;
    return;
  }
  if (news == 0) {
    t->duplicates++;
    t->deliveries++;
    t->last_delivery_ns = now_ns;
    return;
  }
  credit(t, e, now_ns);
}

void lg_track_delivered(lg_track *t, size_t console, const char *key, size_t key_len,
                        uint64_t now_ns) {
  uv_mutex_lock(&t->mutex);
  delivered_locked(t, console, key, key_len, now_ns);
  uv_mutex_unlock(&t->mutex);
}

static void delivered_snapshot_locked(lg_track *t, size_t console, const char *key, size_t key_len,
                                      uint64_t now_ns) {
  entry *e = find_entry(t, key, key_len, 0);
  if (e == NULL)
    return;
  int news = mark_console(t, e, console);
  if (news < 0)
    t->untracked++;
  if (news <= 0)
    return;
  t->via_snapshot++;
  credit(t, e, now_ns);
}

void lg_track_delivered_snapshot(lg_track *t, size_t console, const char *key, size_t key_len,
                                 uint64_t now_ns) {
  uv_mutex_lock(&t->mutex);
  delivered_snapshot_locked(t, console, key, key_len, now_ns);
  uv_mutex_unlock(&t->mutex);
}

size_t lg_track_backlog_offered(lg_track *t) {
  uv_mutex_lock(&t->mutex);
  size_t v = t->offered > t->distinct_seen ? t->offered - t->distinct_seen : 0;
  uv_mutex_unlock(&t->mutex);
  return v;
}

size_t lg_track_backlog_first(lg_track *t) {
  uv_mutex_lock(&t->mutex);
  size_t v = t->acked - t->seen_first;
  uv_mutex_unlock(&t->mutex);
  return v;
}

size_t lg_track_backlog_all(lg_track *t) {
  uv_mutex_lock(&t->mutex);
  size_t v = t->acked - t->seen_all;
  uv_mutex_unlock(&t->mutex);
  return v;
}

size_t lg_track_acked_count(lg_track *t) {
  uv_mutex_lock(&t->mutex);
  size_t v = t->acked;
  uv_mutex_unlock(&t->mutex);
  return v;
}

uint64_t lg_track_last_delivery_ns(lg_track *t) {
  uv_mutex_lock(&t->mutex);
  uint64_t v = t->last_delivery_ns;
  uv_mutex_unlock(&t->mutex);
  return v;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles, so p99.9 of 1000 values is the largest but one,
 * not an interpolation that no request actually had. */
static void distribution(uint64_t *v, size_t n, lg_track_dist *d) {
  memset(d, 0, sizeof(*d));
  d->count = n;
  if (n == 0)
    return;
  qsort(v, n, sizeof(*v), cmp_u64);
  const double q[4] = {0.50, 0.90, 0.99, 0.999};
  double *out[4] = {&d->p50, &d->p90, &d->p99, &d->p999};
  for (int i = 0; i < 4; i++) {
    size_t rank = (size_t)(q[i] * (double)n + 0.999999);
    if (rank < 1)
      rank = 1;
    if (rank > n)
      rank = n;
    *out[i] = (double)v[rank - 1] / 1e6;
  }
  d->max = (double)v[n - 1] / 1e6;
}

static void summarize_locked(lg_track *t, lg_track_summary *out) {
  memset(out, 0, sizeof(*out));
  out->offered = t->offered;
  out->acked = t->acked;
  out->failed = t->failed;
  out->seen_first = t->seen_first;
  out->seen_all = t->seen_all;
  out->duplicates = t->duplicates;
  out->via_snapshot = t->via_snapshot;
  out->untracked = t->untracked;
  out->deliveries = t->deliveries;
  uint64_t *ack = malloc((t->acked + 1) * sizeof(uint64_t));
  uint64_t *first = malloc((t->acked + 1) * sizeof(uint64_t));
  uint64_t *all = malloc((t->acked + 1) * sizeof(uint64_t));
  size_t na = 0, nf = 0, nl = 0;
  for (size_t i = 0; i < t->capacity && ack && first && all; i++) {
    report *r = &t->reports[i];
    if (r->state != REPORT_ACKED)
      continue;
    entry *e = &t->entries[r->entry];
    ack[na++] = r->ack_ns - r->intent_ns;
    if (e->count == 0) {
      out->lost_any++;
      out->lost_some++;
      continue;
    }
    first[nf++] = e->first_ns > r->intent_ns ? e->first_ns - r->intent_ns : 0;
    if (e->count < t->consoles)
      out->lost_some++;
    else
      all[nl++] = e->last_ns > r->intent_ns ? e->last_ns - r->intent_ns : 0;
  }
  for (size_t i = 0; i < t->n_entries; i++) {
    if (t->entries[i].seq < 0)
      out->unmatched++;
  }
  out->unmatched += t->unmatched_dropped;
  out->each_dropped = t->each_dropped;
  memset(&out->each, 0, sizeof(out->each));
  out->each.count = (size_t)t->hist_count;
  if (t->hist_count > 0) {
    const double q[4] = {0.50, 0.90, 0.99, 0.999};
    double *at[4] = {&out->each.p50, &out->each.p90, &out->each.p99, &out->each.p999};
    uint64_t seen = 0;
    int k = 0;
    for (size_t i = 0; i < HIST_FINE + HIST_COARSE && k < 4; i++) {
      seen += t->hist[i];
      while (k < 4 && (double)seen >= q[k] * (double)t->hist_count) {
        *at[k] = hist_edge_ms(i);
        k++;
      }
    }
    out->each.max = (double)t->hist_max_ns / 1e6;
  }
  distribution(ack, na, &out->ack);
  distribution(first, nf, &out->first);
  distribution(all, nl, &out->all);
  free(ack);
  free(first);
  free(all);
}

void lg_track_summarize(lg_track *t, lg_track_summary *out) {
  uv_mutex_lock(&t->mutex);
  summarize_locked(t, out);
  uv_mutex_unlock(&t->mutex);
}
