/* The GSM 03.38 default alphabet, as far as outbound SMS needs it: how many
 * septets a UTF-8 text takes, and so whether Kannel may send it as GSM 7-bit
 * or must send UCS-2. Pure functions on caller-owned input; nothing here
 * allocates or keeps state. */
#ifndef SG_GSM7_H
#define SG_GSM7_H

#include <stddef.h>

#define SG_GSM7_SMS_SEPTETS 160 /* one SMS of the GSM 7-bit alphabet */

/* Counts the septets the UTF-8 text takes in the GSM 03.38 default alphabet
 * (its extension table characters, such as '[' or the euro sign, take two).
 * Returns -1 if any character is outside that alphabet or the UTF-8 is
 * invalid: such a text must go as UCS-2. */
long sg_gsm7_septets(const char *text, size_t len);

/* 1 if the text can go in the GSM 7-bit alphabet, 0 if not. */
int sg_gsm7_safe(const char *text, size_t len);

#endif
