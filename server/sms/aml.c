/* AML SMS parsing.
 *
 * What was followed: the Android Emergency Location Service SMS
 * specification (developers.google.com/android/els/reference/sms-spec),
 * which states that its "ELS v1" follows the ETSI AML specification, with
 * keys A"ML (version), lt, lg (degrees), top (yyyyMMddHHmmss UTC), rd
 * (metres), lc (percent), pm (W, G, C, N), si (IMSI, often only 6 real
 * digits), ei (IMEI), mcc, mnc and ml (message length including header), and
 * its experimental "ELS beta" (A"ML=2) with en (emergency number), et (call
 * time, Unix seconds), lo (lat,lon,accuracy; accuracy 0 = unknown), lt
 * (location time relative to et, seconds), lc, lz (altitude,vertical
 * accuracy) and ls (W, G, C, F, U). The ETSI text itself was not available
 * to us; keys not listed above are skipped, not refused.
 *
 * Judgements made where the sources are loose:
 *  - ml: the published examples disagree with their own ml by up to three
 *    characters (one says ml=126 for 127 characters). So a message shorter
 *    than its ml is truncated, one longer by up to ML_SLACK is accepted, and
 *    one longer by more is truncated as well: ml is the last key, and
 *    "ml=12" left of "ml=127" is the usual way it comes out too small. A v1
 *    message without ml is truncated too.
 *  - ELS beta lt is read as seconds added to et; when et is absent the
 *    position time is unknown.
 *  - No fix: pm=N, or lt/lg absent or empty, or both exactly zero (the
 *    "no location" example sends lt=+00.00000;lg=+000.00000). */
#include "sms/aml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 8
#define ML_SLACK 3 /* characters a message may exceed its ml by, see above */
#define VALUE_MAX 64

static const char prefix[] = "A\"ML=";

int sg_aml_detect(const char *msg, size_t len) {
  size_t i = 0;
  if (!msg)
    return 0;
  while (i < len && (msg[i] == ' ' || msg[i] == '\r' || msg[i] == '\n'))
    i++;
  return len - i >= sizeof prefix - 1 && memcmp(msg + i, prefix, sizeof prefix - 1) == 0;
}

const char *sg_aml_status_name(sg_aml_status s) {
  switch (s) {
  case SG_AML_OK: return "ok";
  case SG_AML_NO_FIX: return "no_fix";
  case SG_AML_TRUNCATED: return "truncated";
  case SG_AML_MALFORMED: return "malformed";
  }
  return "malformed";
}

const char *sg_aml_method_name(sg_aml_method m) {
  static const char *const names[] = {"unknown", "gnss", "wifi", "cell", "fused", "none"};
  return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "unknown";
}

static int parse_number(const char *v, double lo, double hi, double *out) {
  char *end;
  if (!*v)
    return -1;
  errno = 0;
  double d = strtod(v, &end);
  if (errno || *end || !(d >= lo && d <= hi))
    return -1;
  *out = d;
  return 0;
}

static int parse_int(const char *v, long lo, long hi, long *out) {
  char *end;
  if (!*v || !((*v >= '0' && *v <= '9') || *v == '-' || *v == '+'))
    return -1;
  errno = 0;
  long n = strtol(v, &end, 10);
  if (errno || *end || n < lo || n > hi)
    return -1;
  *out = n;
  return 0;
}

static int copy_digits(char *dst, size_t size, const char *v, size_t min) {
  size_t n = strlen(v);
  if (n < min || n >= size || strspn(v, "0123456789") != n)
    return -1;
  memcpy(dst, v, n + 1);
  return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil algorithm, written from its description). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* yyyyMMddHHmmss (UTC) to Unix seconds. */
static int parse_top(const char *v, int64_t *out) {
  int f[6];
  static const int widths[6] = {4, 2, 2, 2, 2, 2};
  if (strlen(v) != 14 || strspn(v, "0123456789") != 14)
    return -1;
  for (int k = 0, o = 0; k < 6; o += widths[k], k++) {
    f[k] = 0;
    for (int j = 0; j < widths[k]; j++)
      f[k] = f[k] * 10 + (v[o + j] - '0');
  }
  static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] || f[3] > 23 ||
      f[4] > 59 || f[5] > 60)
    return -1;
  *out = days_from_civil(f[0], f[1], f[2]) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
  return 0;
}

static int parse_method(const char *v, sg_aml_method *out) {
  if (strlen(v) != 1)
    return -1;
  switch (v[0]) {
  case 'G': *out = SG_AML_METHOD_GNSS; return 0;
  case 'W': *out = SG_AML_METHOD_WIFI; return 0;
  case 'C': *out = SG_AML_METHOD_CELL; return 0;
  case 'F': *out = SG_AML_METHOD_FUSED; return 0;
  case 'N': *out = SG_AML_METHOD_NONE; return 0;
  case 'U': *out = SG_AML_METHOD_UNKNOWN; return 0;
  default: return -1;
  }
}

/* "a,b[,c]" into up to n doubles; returns how many, or -1. */
static int parse_list(const char *v, double *out, int n) {
  char buf[VALUE_MAX + 1];
  int k = 0;
  snprintf(buf, sizeof buf, "%s", v);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (k >= n || parse_number(t, -1e7, 1e7, &out[k]) < 0)
      return -1;
    k++;
  }
  return k;
}

/* Which keys were seen, to refuse duplicates (two different lt= in one
 * message cannot both be believed). */
enum {
  SEEN_LT = 1,
  SEEN_LG = 2,
  SEEN_RD = 4,
  SEEN_TOP = 8,
  SEEN_LC = 16,
  SEEN_PM = 32,
  SEEN_LO = 64,
  SEEN_ET = 128,
  SEEN_ML = 256
};

static int field(sg_aml_location *o, const char *k, const char *v, unsigned *seen, int *has_lt,
                 int *has_lg, long *rel_lt) {
  double d, list[3];
  long n;
  unsigned bit = 0;
#define KEY(name, b) (strcmp(k, name) == 0 && (bit = (b), 1))
  if (o->version == 1 && KEY("lt", SEEN_LT)) {
    if (*v && parse_number(v, -90, 90, &o->lat) < 0)
      return -1;
    *has_lt = *v != 0;
  } else if (o->version == 1 && KEY("lg", SEEN_LG)) {
    if (*v && parse_number(v, -180, 180, &o->lon) < 0)
      return -1;
    *has_lg = *v != 0;
  } else if (KEY("rd", SEEN_RD)) {
    if (strcmp(v, "N") != 0 && *v) {
      if (parse_number(v, 0, 1e7, &d) < 0)
        return -1;
      o->radius_m = d;
    }
  } else if (KEY("top", SEEN_TOP)) {
    if (parse_top(v, &o->time_s) < 0)
      return -1;
  } else if (KEY("lc", SEEN_LC)) {
    if (parse_int(v, 0, 100, &n) < 0)
      return -1;
    o->confidence = (int)n;
  } else if (KEY("pm", SEEN_PM) || (o->version == 2 && KEY("ls", SEEN_PM))) {
    if (parse_method(v, &o->method) < 0)
      return -1;
  } else if (o->version == 2 && KEY("lo", SEEN_LO)) {
    if (parse_list(v, list, 3) != 3 || list[0] < -90 || list[0] > 90 || list[1] < -180 ||
        list[1] > 180 || list[2] < 0)
      return -1;
    o->lat = list[0], o->lon = list[1], o->radius_m = list[2];
    *has_lt = *has_lg = 1;
  } else if (o->version == 2 && KEY("et", SEEN_ET)) {
    if (parse_int(v, 0, 1L << 40, &n) < 0)
      return -1;
    o->call_time_s = n;
  } else if (o->version == 2 && strcmp(k, "lt") == 0) {
    if (parse_int(v, -86400, 86400, rel_lt) < 0)
      return -1;
  } else if (o->version == 2 && strcmp(k, "lz") == 0) {
    if (parse_list(v, list, 2) != 2)
      return -1;
    o->altitude_m = list[0], o->vertical_accuracy_m = list[1], o->has_altitude = 1;
  } else if (strcmp(k, "si") == 0) {
    return copy_digits(o->imsi, sizeof o->imsi, v, 5);
  } else if (strcmp(k, "ei") == 0) {
    return copy_digits(o->imei, sizeof o->imei, v, 14);
  } else if (strcmp(k, "mcc") == 0) {
    return copy_digits(o->mcc, sizeof o->mcc, v, 3);
  } else if (strcmp(k, "mnc") == 0) {
    return copy_digits(o->mnc, sizeof o->mnc, v, 2);
  } else if (strcmp(k, "en") == 0) {
    return copy_digits(o->emergency_number, sizeof o->emergency_number, v, 2);
  } else if (KEY("ml", SEEN_ML)) {
    if (parse_int(v, 1, SG_AML_MAX_LEN * 4, &n) < 0)
      return -1;
    o->declared_length = n;
  }
#undef KEY
  if (bit) {
    if (*seen & bit)
      return -1;
    *seen |= bit;
  }
  return 0;
}

sg_aml_status sg_aml_parse(const char *msg, size_t len, sg_aml_location *out) {
  memset(out, 0, sizeof *out);
  out->confidence = -1;
  out->declared_length = -1;
  if (!msg || len > SG_AML_MAX_LEN || !sg_aml_detect(msg, len))
    return SG_AML_MALFORMED;
  /* Gateways may add line ends or spaces around the text: they are not
   * part of the message ml counts. */
  while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n' || msg[len - 1] == ' '))
    len--;
  while (len > 0 && (msg[0] == '\r' || msg[0] == '\n' || msg[0] == ' '))
    msg++, len--;
  out->actual_length = len;
  if (memchr(msg, '\0', len))
    return SG_AML_MALFORMED;

  size_t i = sizeof prefix - 1;
  size_t vend = i;
  while (vend < len && msg[vend] != ';')
    vend++;
  if (vend - i != 1 || (msg[i] != '1' && msg[i] != '2'))
    return SG_AML_MALFORMED;
  out->version = msg[i] - '0';

  int bad = 0, has_lt = 0, has_lg = 0;
  unsigned seen = 0;
  long rel_lt = 0;
  for (i = vend + 1; i < len;) {
    size_t end = i;
    while (end < len && msg[end] != ';')
      end++;
    const char *eq = memchr(msg + i, '=', end - i);
    char k[KEY_MAX + 1], v[VALUE_MAX + 1];
    if (end == i) { /* ";;" or a trailing ';' */
      i = end + 1;
      continue;
    }
    if (!eq || (size_t)(eq - (msg + i)) == 0 || (size_t)(eq - (msg + i)) > KEY_MAX ||
        (size_t)(msg + end - eq - 1) > VALUE_MAX) {
      bad = 1;
    } else {
      size_t kl = (size_t)(eq - (msg + i)), vl = (size_t)(msg + end - eq - 1);
      memcpy(k, msg + i, kl);
      k[kl] = '\0';
      memcpy(v, eq + 1, vl);
      v[vl] = '\0';
      if (field(out, k, v, &seen, &has_lt, &has_lg, &rel_lt) < 0)
        bad = 1;
    }
    i = end + 1;
  }
  if (out->version == 2 && out->call_time_s)
    out->time_s = out->call_time_s + rel_lt;

  /* Truncation first: a cut message usually ends in a half field, which is
   * "bad" only because it was cut. */
  if ((out->declared_length >= 0 && len < (size_t)out->declared_length) ||
      (out->declared_length >= 0 && len > (size_t)out->declared_length + ML_SLACK) ||
      (out->version == 1 && out->declared_length < 0))
    return SG_AML_TRUNCATED;
  if (bad) {
    out->lat = out->lon = 0.0; /* a position beside a broken field is not trusted */
    return SG_AML_MALFORMED;
  }
  if (out->method == SG_AML_METHOD_NONE || !has_lt || !has_lg ||
      (out->lat == 0.0 && out->lon == 0.0)) {
    out->lat = out->lon = 0.0;
    return SG_AML_NO_FIX;
  }
  out->has_fix = 1;
  return SG_AML_OK;
}
