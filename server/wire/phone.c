#include "wire/phone.h"

#include <string.h>

int sg_phone_e164(const char *s, char out[SG_PHONE_MAX]) {
  char d[24];
  size_t n = 0;
  int plus = 0;
  for (const char *p = s; *p != '\0'; p++) {
    if (*p == ' ' || *p == '-' || *p == '.' || *p == '(' || *p == ')' || *p == '\t')
      continue;
    if (*p == '+' && n == 0 && !plus) {
      plus = 1;
      continue;
    }
    if (*p < '0' || *p > '9' || n + 1 >= sizeof(d))
      return -1;
    d[n++] = *p;
  }
  d[n] = '\0';
  /* Rewritten in place: every rule below only shortens or keeps the length
   * except the national form, which the buffer has room for. */
  char e[sizeof(d) + 2];
  if (!plus && n >= 2 && d[0] == '0' && d[1] == '0')
    memcpy(e, d + 2, n - 1); /* international prefix */
  else if (!plus && n >= 1 && d[0] == '0')
    e[0] = '6', e[1] = '2', memcpy(e + 2, d + 1, n); /* Indonesian national form */
  else
    memcpy(e, d, n + 1);
  /* "+62 0812..." is how many people write it; the trunk 0 does not belong. */
  if (strncmp(e, "620", 3) == 0)
    memmove(e + 2, e + 3, strlen(e + 3) + 1);
  const char *digits_start = e;
  size_t len = strlen(digits_start);
  if (len < 8 || len > 15 || digits_start[0] == '0')
    return -1;
  out[0] = '+';
  memcpy(out + 1, digits_start, len + 1); /* len <= 15 fits SG_SMS_FORM_PHONE_MAX */
  return 0;
}
