/* The one normalisation of a phone number, for every channel: an SMS
 * gateway's sender, the app's reporter.phone. A number is one reporter
 * whatever path it came by only if every path spells it the same way.
 *
 * Blanks, '-', '.', '(' and ')' are dropped; "00" becomes "+"; Indonesian
 * forms become +62: "0812..." and "62812..." give "+62812...", and the
 * common "+620812..." gives "+62812...". Other digit strings of 8 to 15
 * digits are taken as international numbers that lost their '+'. */
#ifndef SG_WIRE_PHONE_H
#define SG_WIRE_PHONE_H

#define SG_PHONE_MAX 17 /* "+" + 15 digits + NUL */

/* Writes '+' and 8 to 15 digits to out. Returns 0, or -1 if s is not a
 * phone number (letters, alphanumeric sender ids, short codes). */
int sg_phone_e164(const char *s, char out[SG_PHONE_MAX]);

#endif
