/* A responder's text frame: the protobuf-JSON
 * mapping of ResponderClientMessage, with its round trip. */
#include "fuzz.h"
#include "pbjson_check.h"
#include "siaga/v1/siaga.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 16384) /* SG_RESPONDER__RX_MAX: bigger frames close the connection */
    return 0;
  ProtobufCMessage *m =
      fuzz_pbjson_round_trip(&siaga__v1__responder_client_message__descriptor, data, size);
  if (m != NULL)
    protobuf_c_message_free_unpacked(m, NULL);
  return 0;
}
