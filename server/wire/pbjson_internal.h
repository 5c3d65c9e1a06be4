/* Shared inside the pbjson module only (pbjson.c encodes, pbjson_decode.c
 * decodes): the per-type table and the field-name and presence helpers both
 * directions need. Not for other modules; their contract is pbjson.h. */
#ifndef SG_PBJSON_INTERNAL_H
#define SG_PBJSON_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* What each protobuf-c type needs here: its storage size, and for integers
 * whether they are signed ('s') or unsigned ('u') and their JSON range name. */
struct sg_pbjson__type_info {
  unsigned char size;
  char int_kind;
  const char *int_name;
};

/* Indexed by ProtobufCType. */
extern const struct sg_pbjson__type_info sg_pbjson__types[PROTOBUF_C_TYPE_MESSAGE + 1];

/* The standard base64 alphabet (64 characters and a NUL). */
extern const char sg_pbjson__b64_std[];

/* protobuf-c keeps no json_name, so it is derived here the way protoc does:
 * every '_' is dropped and the character after it upper-cased. Writes at most
 * size bytes (without a NUL) and returns the full length. */
size_t sg_pbjson__json_name(const char *name, char *out, size_t size);

/* sg_pbjson__json_name, NUL-terminated and cut to fit size. */
void sg_pbjson__json_name_z(const char *name, char *out, size_t size);

/* Whether key is the json_name of the field called name (snake_case name,
 * lowerCamelCase key). */
bool sg_pbjson__json_name_eq(const char *name, const char *key);

/* In protobuf-c, proto2 optional scalars and bytes carry a has_ flag at
 * quantifier_offset; strings and messages are present when non-NULL. */
bool sg_pbjson__has_flag(const ProtobufCFieldDescriptor *f);

#endif
