/* Hexadecimal digits, for escapes in JSON ("\u00e9") and forms ("%C3%A9")
 * and for printing digests. */
#ifndef SG_HEX_H
#define SG_HEX_H

#include <stddef.h>
#include <stdint.h>

/* The value 0..15 of one hex digit (either case), or -1 if c is none. */
int sg_hex_digit(int c);

/* Writes 2 * len lower-case hex digits of bytes[0..len) and a NUL into out,
 * which has room for 2 * len + 1 bytes. */
void sg_hex_encode(const uint8_t *bytes, size_t len, char *out);

#endif
