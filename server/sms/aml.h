/* Advanced Mobile Location (AML) SMS: the text a handset sends on its own
 * when its user calls an emergency number, carrying the handset's position.
 *
 * Two forms are understood (see aml.c for what was followed and where):
 *  - AML v1 / ELS v1 (ETSI TS 103 625 style):
 *      A"ML=1;lt=-2.20960;lg=113.91360;rd=25;top=20261128083000;lc=68;pm=G;
 *      si=510101234567890;ei=358240051111110;mcc=510;mnc=10;ml=124
 *  - ELS beta, version 2 (Android Emergency Location Service):
 *      A"ML=2;en=112;et=1764318600;lo=-2.20960,113.91360,20.1;lt=5;lc=68;
 *      lz=30.5,10.0;ls=G;ei=358240051111110;...
 * Input is untrusted: any bytes, any length; parsing is bounded and never
 * allocates. */
#ifndef SG_AML_H
#define SG_AML_H

#include <stddef.h>
#include <stdint.h>

#define SG_AML_MAX_LEN 1024 /* longer input is refused as malformed */

typedef enum sg_aml_status {
  SG_AML_OK = 0,    /* a position */
  SG_AML_NO_FIX,    /* a well-formed message that says it has no position */
  SG_AML_TRUNCATED, /* shorter than its own ml=, or v1 without ml=; fields read so far are kept */
  SG_AML_MALFORMED, /* not AML, or a field that does not parse */
} sg_aml_status;

typedef enum sg_aml_method {
  SG_AML_METHOD_UNKNOWN = 0, /* absent, or 'U' */
  SG_AML_METHOD_GNSS,        /* 'G' */
  SG_AML_METHOD_WIFI,        /* 'W' */
  SG_AML_METHOD_CELL,        /* 'C' */
  SG_AML_METHOD_FUSED,       /* 'F' (ELS beta) */
  SG_AML_METHOD_NONE,        /* 'N': the handset has no position */
} sg_aml_method;

typedef struct sg_aml_location {
  int version;     /* 1 or 2 */
  int has_fix;     /* lat/lon hold a position */
  double lat, lon; /* WGS84 degrees */
  double radius_m; /* uncertainty radius; 0 = unknown */
  int confidence;  /* percent the handset is inside the radius; -1 = unknown */
  sg_aml_method method;
  int64_t time_s;      /* Unix seconds of the position; 0 = unknown */
  int64_t call_time_s; /* ELS beta "et": when the call began; 0 = unknown */
  int has_altitude;
  double altitude_m, vertical_accuracy_m; /* ELS beta "lz" */
  char imsi[16]; /* digits, often only the first 6 real, rest zeros; "" if absent */
  char imei[17];
  char mcc[4], mnc[4];
  char emergency_number[8]; /* ELS beta "en", e.g. "112" */
  long declared_length;     /* ml=, -1 if absent */
  size_t actual_length;     /* bytes of the message as received (trailing CR/LF trimmed) */
} sg_aml_location;

/* 1 if the text starts like an AML message (A"ML=), so a gateway handler can
 * route it here rather than to free-text scanning. */
int sg_aml_detect(const char *msg, size_t len);

/* Parses msg[0..len). Always fills *out (zeroed first, confidence -1,
 * declared_length -1) with whatever could be read. */
sg_aml_status sg_aml_parse(const char *msg, size_t len, sg_aml_location *out);

const char *sg_aml_status_name(sg_aml_status s); /* "ok", "no_fix", "truncated", "malformed" */
const char *sg_aml_method_name(sg_aml_method m); /* "gnss", "wifi", "cell", ... */

#endif
