/* The one protobuf <-> JSON mapping, driven by protobuf-c descriptors, used by
 * every JSON surface (HTTP API, console JSON subprotocol). It follows the
 * proto3 JSON mapping: lowerCamelCase field names (the original snake_case
 * names are accepted on input too), enums by value name (numbers accepted on
 * input), 64-bit integers as strings (numbers accepted on input), bytes as
 * base64, repeated fields as arrays, nested messages as objects, fields at
 * their default value omitted on output. Two deliberate departures: enum
 * numbers unknown to the descriptor are refused on input (they are still
 * written as numbers on output), and NaN/Infinity are refused on input (they
 * are written as the mapping's "NaN"/"Infinity" strings on output). No global
 * state: safe to call from any thread. */
#ifndef SG_PBJSON_H
#define SG_PBJSON_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#define SG_PBJSON_MAX_DEPTH 16

/* Encodes msg as compact JSON, keys in field-number order, so equal messages
 * give equal bytes. Strings that are not valid UTF-8 (binary protobuf is not
 * checked) get U+FFFD for each bad byte. On success returns 0 and sets *out to
 * a malloc'd NUL-terminated string (caller frees) and *len to its length.
 * Returns -1 on allocation failure. */
int sg_pbjson_encode(const ProtobufCMessage *msg, char **out, size_t *len);

/* Decodes JSON text of at most len bytes into a new message of type desc.
 * Input is hostile: invalid JSON or UTF-8, wrong types, unknown fields,
 * out-of-range numbers, unknown enum names and nesting deeper than
 * SG_PBJSON_MAX_DEPTH are refused. On success returns 0 and sets *out to a
 * message allocated with allocator (NULL = malloc) that the caller frees with
 * protobuf_c_message_free_unpacked(*out, allocator). On failure returns -1,
 * sets *out to NULL and writes a one-line reason naming the field (e.g.
 * "location.lat: expected a number") into err. */
int sg_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                     ProtobufCAllocator *allocator, ProtobufCMessage **out, char *err,
                     size_t err_size);

#endif
