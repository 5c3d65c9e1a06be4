/* A responder's binary frame (the protobuf subprotocol): protobuf-c
 * unpacking of ResponderClientMessage as the responder door does it, then what the server
 * does with a message it took: pack it (to the size it claims) and write it
 * as JSON (the audit and the logs do). A JSON
 * round trip is not required: protobuf may carry enum numbers and bytes the
 * JSON mapping refuses on input. */
#include "fuzz.h"
#include "pbjson_check.h"
#include "siaga/v1/siaga.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) /* SG_RESPONDER__RX_MAX */
    return 0;
  ProtobufCMessage *m =
      protobuf_c_message_unpack(&siaga__v1__responder_client_message__descriptor, NULL, size, data);
  if (m == NULL)
    return 0;
  /* Packing gives the bytes it claims. They need not unpack again: protobuf-c
   * keeps unknown fields and packs them back in a form it may then refuse
   * (found by this target: regress-unknown-field-repack in the corpus); siagad never packs a
   * client's message again, it reads its fields. */
  size_t a_len;
  uint8_t *a = fuzz_pack(m, &a_len);
  ProtobufCMessage *again = protobuf_c_message_unpack(m->descriptor, NULL, a_len, a);
  if (again != NULL) {
    size_t b_len;
    uint8_t *b = fuzz_pack(again, &b_len);
    FUZZ_CHECK(a_len == b_len && memcmp(a, b, a_len) == 0);
    free(b);
    protobuf_c_message_free_unpacked(again, NULL);
  }
  char *json;
  size_t json_len;
  FUZZ_CHECK(sg_pbjson_encode(m, &json, &json_len) == 0 && strlen(json) == json_len);
  free(json);
  free(a);
  protobuf_c_message_free_unpacked(m, NULL);
  return 0;
}
