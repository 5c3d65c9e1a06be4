#include "sms/replies.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"

/* ---- GSM 03.38 ---- */

/* The default alphabet's characters outside ASCII, as Unicode code points.
 * Its ASCII part is handled in gsm7_cost: printable ASCII except the
 * backtick and the extension characters, plus LF and CR. */
static const uint32_t gsm7_basic_non_ascii[] = {
    0x00A1, 0x00A3, 0x00A4, 0x00A5, 0x00A7, 0x00BF, 0x00C4, 0x00C5, 0x00C6, 0x00C7,
    0x00C9, 0x00D1, 0x00D6, 0x00D8, 0x00DC, 0x00DF, 0x00E0, 0x00E4, 0x00E5, 0x00E6,
    0x00E8, 0x00E9, 0x00EC, 0x00F1, 0x00F2, 0x00F6, 0x00F8, 0x00F9, 0x00FC, 0x0393,
    0x0394, 0x0398, 0x039B, 0x039E, 0x03A0, 0x03A3, 0x03A6, 0x03A8, 0x03A9};

/* Septets one code point takes: 1 in the default alphabet, 2 in the
 * extension table (escape + character), 0 if it cannot be sent as GSM. */
static int gsm7_cost(uint32_t cp) {
  if (cp == '\n' || cp == '\r')
    return 1;
  if (cp == '\f' || cp == '^' || cp == '{' || cp == '}' || cp == '\\' || cp == '[' || cp == '~' ||
      cp == ']' || cp == '|' || cp == 0x20AC)
    return 2;
  if (cp >= 0x20 && cp <= 0x7E)
    return cp == '`' ? 0 : 1;
  for (size_t i = 0; i < sizeof(gsm7_basic_non_ascii) / sizeof(gsm7_basic_non_ascii[0]); i++) {
    if (gsm7_basic_non_ascii[i] == cp)
      return 1;
  }
  return 0;
}

long sg_smsurl_gsm7_septets(const char *text, size_t len) {
  if (!sg_utf8_valid(text, len))
    return -1;
  long septets = 0;
  size_t i = 0;
  while (i < len) {
    long cp = sg_utf8_next(text, len, &i); /* never -1: checked above */
    int cost = cp < 0 ? 0 : gsm7_cost((uint32_t)cp);
    if (cost == 0)
      return -1;
    septets += cost;
  }
  return septets;
}

int sg_smsurl_gsm7_safe(const char *text, size_t len) {
  return sg_smsurl_gsm7_septets(text, len) >= 0;
}

/* ---- URLs ---- */

static int unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

long sg_smsurl_encode(char *dst, size_t size, const char *src, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    size_t need = unreserved(c) ? 1 : 3;
    if (o + need >= size)
      return -1;
    if (need == 1) {
      dst[o++] = (char)c;
    } else {
      dst[o++] = '%';
      dst[o++] = hex[c >> 4];
      dst[o++] = hex[c & 15];
    }
  }
  if (o >= size)
    return -1;
  dst[o] = '\0';
  return (long)o;
}

int sg_smsurl_parse(const char *url, sg_smsurl_parts *out) {
  static const char scheme[] = "http://";
  if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
    return -1;
  const char *p = url + sizeof(scheme) - 1;
  for (const char *q = url; *q != '\0'; q++) {
    unsigned char c = (unsigned char)*q;
    if (c <= 0x20 || c >= 0x7F || c == '#')
      return -1;
  }
  const char *host_end;
  const char *after;
  if (*p == '[') {
    host_end = strchr(p, ']');
    if (host_end == NULL)
      return -1;
    p++;
    after = host_end + 1;
  } else {
    host_end = p + strcspn(p, ":/?");
    after = host_end;
  }
  size_t host_len = (size_t)(host_end - p);
  if (host_len == 0 || host_len >= sizeof(out->host) || memchr(p, '@', host_len) != NULL)
    return -1;
  memcpy(out->host, p, host_len);
  out->host[host_len] = '\0';

  out->port = 80;
  if (*after == ':') {
    long port = 0;
    const char *d = after + 1;
    if (*d < '0' || *d > '9')
      return -1;
    while (*d >= '0' && *d <= '9') {
      port = port * 10 + (*d - '0');
      if (port > 65535)
        return -1;
      d++;
    }
    if (port == 0)
      return -1;
    out->port = (int)port;
    after = d;
  }
  if (*after != '\0' && *after != '/' && *after != '?')
    return -1;
  int n = snprintf(out->target, sizeof(out->target), "%s%s", *after == '/' ? "" : "/", after);
  return (n < 0 || (size_t)n >= sizeof(out->target)) ? -1 : 0;
}

/* Appends a literal string at dst[*o], keeping room for the NUL. */
static int append(char *dst, size_t size, size_t *o, const char *s) {
  size_t n = strlen(s);
  if (*o + n >= size)
    return -1;
  memcpy(dst + *o, s, n + 1);
  *o += n;
  return 0;
}

static int append_encoded(char *dst, size_t size, size_t *o, const char *s, size_t len) {
  long n = sg_smsurl_encode(dst + *o, size - *o, s, len);
  if (n < 0)
    return -1;
  *o += (size_t)n;
  return 0;
}

long sg_smsurl_sendsms_target(char *dst, size_t size, const char *base_target, const char *to,
                              const char *text, size_t text_len, const char *dlr_url,
                              const char *entry_id) {
  size_t o = 0;
  if (size == 0 || append(dst, size, &o, base_target) != 0)
    return -1;
  /* The configured URL may or may not have a query already. */
  const char *sep = strchr(base_target, '?') == NULL                      ? "?"
                    : (o > 0 && (dst[o - 1] == '?' || dst[o - 1] == '&')) ? ""
                                                                          : "&";
  if (append(dst, size, &o, sep) != 0 || append(dst, size, &o, "to=") != 0 ||
      append_encoded(dst, size, &o, to, strlen(to)) != 0 || append(dst, size, &o, "&text=") != 0 ||
      append_encoded(dst, size, &o, text, text_len) != 0)
    return -1;
  /* Without coding=2, Kannel turns every non-GSM character into '?'. */
  if (!sg_smsurl_gsm7_safe(text, text_len) && append(dst, size, &o, "&coding=2&charset=UTF-8") != 0)
    return -1;
  if (dlr_url != NULL) {
    /* %d and %p stay literal inside the encoded value: Kannel decodes the
     * dlr-url parameter, then substitutes them when the report comes. */
    char dlr[1024];
    int n = snprintf(dlr, sizeof(dlr), "%s%sid=%s&status=%%d&to=%%p", dlr_url,
                     strchr(dlr_url, '?') == NULL ? "?" : "&", entry_id);
    if (n < 0 || (size_t)n >= sizeof(dlr))
      return -1;
    if (append(dst, size, &o, "&dlr-mask=31&dlr-url=") != 0 ||
        append_encoded(dst, size, &o, dlr, (size_t)n) != 0)
      return -1;
  }
  return (long)o;
}

/* ---- HTTP responses ---- */

/* Finds "\r\n" from buf[from]; returns the index of '\r' or -1. */
static long find_crlf(const char *buf, size_t len, size_t from) {
  for (size_t i = from; i + 1 < len; i++) {
    if (buf[i] == '\r' && buf[i + 1] == '\n')
      return (long)i;
  }
  return -1;
}

int sg_smsurl_parse_status(const char *buf, size_t len, int *status) {
  size_t pos = 0;
  for (;;) {
    /* "HTTP/1.x SSS" with an optional reason phrase. Check what has arrived
     * so far, so garbage is refused without waiting for a line end. */
    static const char proto[] = "HTTP/1.";
    size_t avail = len - pos;
    size_t cmp = avail < sizeof(proto) - 1 ? avail : sizeof(proto) - 1;
    if (memcmp(buf + pos, proto, cmp) != 0)
      return -1;
    long eol = find_crlf(buf, len, pos);
    if (eol < 0)
      return 0;
    const char *line = buf + pos;
    size_t line_len = (size_t)eol - pos;
    if (line_len < 12 || (line[7] != '0' && line[7] != '1') || line[8] != ' ' ||
        (line_len > 12 && line[12] != ' '))
      return -1;
    int code = 0;
    for (int i = 9; i < 12; i++) {
      if (line[i] < '0' || line[i] > '9')
        return -1;
      code = code * 10 + (line[i] - '0');
    }
    if (code < 100 || code > 599)
      return -1;
    if (code >= 200) {
      *status = code;
      return 1;
    }
    /* An interim response (100 Continue, 103 Early Hints): its header block
     * ends with an empty line, and the real response follows. */
    size_t i = (size_t)eol + 2;
    for (;;) {
      long next = find_crlf(buf, len, i);
      if (next < 0)
        return 0;
      if ((size_t)next == i) {
        pos = i + 2;
        break;
      }
      i = (size_t)next + 2;
    }
    if (pos >= len)
      return 0;
  }
}

/* ---- texts ---- */

long sg_smsurl_reply_text(char *dst, size_t size, sg_smsurl_reply kind, const char *incident_id) {
  /* Short, plain, GSM 7-bit only (no dashes or quotes from a word
   * processor): one SMS costs one unit and arrives on every handset. Every
   * text tells the citizen the reference to quote and that 112 still
   * answers calls. */
  const char *fmt;
  switch (kind) {
  case SG_SMSURL_REPLY_ACK:
    fmt = "SIAGA 112: Laporan Anda diterima, nomor %s. Petugas sedang menilai. "
          "Balas pesan ini jika ada info tambahan.";
    break;
  case SG_SMSURL_REPLY_ACK_DISPATCHED:
    fmt = "SIAGA 112: Laporan Anda diterima, nomor %s. Petugas sudah dalam perjalanan. "
          "Balas pesan ini jika ada info tambahan.";
    break;
  case SG_SMSURL_REPLY_DISPATCHED:
    fmt = "SIAGA 112: Petugas sedang menuju lokasi laporan %s. Tetap di tempat aman. "
          "Jika keadaan memburuk, telepon 112.";
    break;
  case SG_SMSURL_REPLY_CLOSED:
    fmt = "SIAGA 112: Laporan %s telah selesai ditangani. Terima kasih. "
          "Jika masih ada bahaya, telepon 112.";
    break;
  default:
    return -1;
  }
  int n = snprintf(dst, size, fmt, incident_id);
  if (n < 0 || (size_t)n >= size)
    return -1;
  long septets = sg_smsurl_gsm7_septets(dst, (size_t)n);
  if (septets < 0 || septets > SG_SMSURL_SMS_SEPTETS)
    return -1;
  return n;
}
