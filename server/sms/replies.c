#include "sms/replies.h"

#include <stdio.h>
#include <string.h>

#include "http/url.h"
#include "sms/gsm7.h"

/* ---- the sendsms target ---- */

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
  long n = sg_url_encode(dst + *o, size - *o, s, len);
  if (n < 0)
    return -1;
  *o += (size_t)n;
  return 0;
}

long sg_sms_replies_sendsms_target(char *dst, size_t size, const char *base_target, const char *to,
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
  if (!sg_gsm7_safe(text, text_len) && append(dst, size, &o, "&coding=2&charset=UTF-8") != 0)
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

/* ---- texts ---- */

long sg_sms_replies_text(char *dst, size_t size, sg_sms_replies_kind kind,
                         const char *incident_id) {
  /* Short, plain, GSM 7-bit only (no dashes or quotes from a word
   * processor): one SMS costs one unit and arrives on every handset. Every
   * text tells the citizen the reference to quote and that 112 still
   * answers calls. */
  const char *fmt;
  switch (kind) {
  case SG_SMS_REPLIES_ACK:
    fmt = "SIAGA 112: Laporan Anda diterima, nomor %s. Petugas sedang menilai. "
          "Balas pesan ini jika ada info tambahan.";
    break;
  case SG_SMS_REPLIES_ACK_DISPATCHED:
    fmt = "SIAGA 112: Laporan Anda diterima, nomor %s. Petugas sudah dalam perjalanan. "
          "Balas pesan ini jika ada info tambahan.";
    break;
  case SG_SMS_REPLIES_DISPATCHED:
    fmt = "SIAGA 112: Petugas sedang menuju lokasi laporan %s. Tetap di tempat aman. "
          "Jika keadaan memburuk, telepon 112.";
    break;
  case SG_SMS_REPLIES_ASK:
    /* One short question, for a report with no readable emergency or no
     * place ("tolong"): the reply joins the same incident by the number. */
    fmt = "SIAGA 112: Laporan %s diterima. Apa yang terjadi dan di mana? Balas pesan ini.";
    break;
  case SG_SMS_REPLIES_ASK_WHAT:
    fmt = "SIAGA 112: Laporan %s diterima. Apa yang terjadi? Balas pesan ini.";
    break;
  case SG_SMS_REPLIES_ASK_WHERE:
    fmt = "SIAGA 112: Laporan %s diterima. Di mana lokasinya (jalan, kelurahan atau patokan)? "
          "Balas pesan ini.";
    break;
  case SG_SMS_REPLIES_CLOSED:
    fmt = "SIAGA 112: Laporan %s telah selesai ditangani. Terima kasih. "
          "Jika masih ada bahaya, telepon 112.";
    break;
  default:
    return -1;
  }
  int n = snprintf(dst, size, fmt, incident_id);
  if (n < 0 || (size_t)n >= size)
    return -1;
  long septets = sg_gsm7_septets(dst, (size_t)n);
  if (septets < 0 || septets > SG_GSM7_SMS_SEPTETS)
    return -1;
  return n;
}

long sg_sms_replies_ack_link(char *dst, size_t size, sg_sms_replies_kind kind,
                             const char *incident_id, const char *link) {
  /* Shorter words than the plain acknowledgement, so the link fits in the
   * same one SMS; still the reference, and still the invitation to reply. */
  const char *fmt;
  if (kind == SG_SMS_REPLIES_ACK)
    fmt = "SIAGA 112: Laporan %s diterima. Pantau: %s Balas jika ada info.";
  else if (kind == SG_SMS_REPLIES_ACK_DISPATCHED)
    fmt = "SIAGA 112: Laporan %s, petugas menuju. Pantau: %s Balas jika ada info.";
  else
    return -1;
  int n = snprintf(dst, size, fmt, incident_id, link);
  if (n < 0 || (size_t)n >= size)
    return -1;
  long septets = sg_gsm7_septets(dst, (size_t)n);
  if (septets < 0 || septets > SG_GSM7_SMS_SEPTETS)
    return -1;
  return n;
}
