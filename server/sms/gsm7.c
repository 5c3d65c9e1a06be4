#include "sms/gsm7.h"

#include <stdint.h>

#include "core/utf8.h"

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

long sg_gsm7_septets(const char *text, size_t len) {
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

int sg_gsm7_safe(const char *text, size_t len) {
  return sg_gsm7_septets(text, len) >= 0;
}
