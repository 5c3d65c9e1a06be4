/* The shared half of the protobuf-JSON targets: a decoded message must
 * encode, the encoding decode to the same message (compared by their
 * protobuf bytes), and both protobuf forms pack and unpack. */
#ifndef SG_FUZZ_PBJSON_CHECK_H
#define SG_FUZZ_PBJSON_CHECK_H

#include <protobuf-c/protobuf-c.h>
#include <string.h>

#include "fuzz.h"
#include "wire/pbjson.h"

static inline uint8_t *fuzz_pack(const ProtobufCMessage *m, size_t *len) {
  *len = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(*len > 0 ? *len : 1);
  FUZZ_CHECK(buf != NULL);
  FUZZ_CHECK(protobuf_c_message_pack(m, buf) == *len);
  return buf;
}

/* Decodes json as desc; when it is taken, checks the round trip. Returns the
 * decoded message (caller frees with protobuf_c_message_free_unpacked) or
 * NULL. */
static inline ProtobufCMessage *fuzz_pbjson_round_trip(const ProtobufCMessageDescriptor *desc,
                                                       const uint8_t *data, size_t size) {
  ProtobufCMessage *m = NULL, *again = NULL;
  char err[192];
  err[0] = '\0';
  if (sg_pbjson_decode(desc, (const char *)data, size, NULL, &m, err, sizeof(err)) != 0) {
    FUZZ_CHECK(m == NULL && err[0] != '\0');
    return NULL;
  }
  FUZZ_CHECK(m != NULL);
  char *json;
  size_t json_len;
  FUZZ_CHECK(sg_pbjson_encode(m, &json, &json_len) == 0);
  FUZZ_CHECK(strlen(json) == json_len);
  if (sg_pbjson_decode(desc, json, json_len, NULL, &again, err, sizeof(err)) != 0) {
    fprintf(stderr, "re-decoding our own encoding failed: %s\n%s\n", err, json);
    abort();
  }
  size_t a_len, b_len;
  uint8_t *a = fuzz_pack(m, &a_len), *b = fuzz_pack(again, &b_len);
  FUZZ_CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
  ProtobufCMessage *unpacked = protobuf_c_message_unpack(desc, NULL, a_len, a);
  FUZZ_CHECK(unpacked != NULL);
  protobuf_c_message_free_unpacked(unpacked, NULL);
  free(a);
  free(b);
  free(json);
  protobuf_c_message_free_unpacked(again, NULL);
  return m;
}

#endif
