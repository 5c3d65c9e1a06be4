/* Unit tests for the protobuf <-> JSON mapping: canonical output for the
 * siaga.v1 messages, every scalar type through a hand-written descriptor (no
 * siaga message has bytes, float or unsigned fields), hostile inputs and
 * allocator bookkeeping. Run under ASan to catch leaks and bad frees. */
#include "check.h"
#include "wire/pbjson.h"
#include "siaga/v1/siaga.pb-c.h"

#include <math.h>
#include <stddef.h>

/* ---- a message with every kind of scalar field ---- */

typedef struct {
  ProtobufCMessage base;
  int32_t int_val;
  int32_t sint_val;
  uint32_t uint_val;
  uint32_t fixed_val;
  int64_t sfixed64_val;
  uint64_t uint64_val;
  float float_val;
  protobuf_c_boolean flag;
  protobuf_c_boolean has_opt_num;
  int32_t opt_num;
  ProtobufCBinaryData data;
  size_t n_nums;
  int32_t *nums;
  size_t n_blobs;
  ProtobufCBinaryData *blobs;
} Scalars;

static void scalars_init(ProtobufCMessage *m);

#define SCALAR_FIELD(nm, id_, label_, type_, q, member)                                 \
  {                                                                                     \
    .name = nm, .id = id_, .label = PROTOBUF_C_LABEL_##label_, .type = PROTOBUF_C_TYPE_##type_, \
    .quantifier_offset = q, .offset = offsetof(Scalars, member)                         \
  }

static const ProtobufCFieldDescriptor scalars_fields[] = {
    SCALAR_FIELD("int_val", 1, NONE, INT32, 0, int_val),
    SCALAR_FIELD("sint_val", 2, NONE, SINT32, 0, sint_val),
    SCALAR_FIELD("uint_val", 3, NONE, UINT32, 0, uint_val),
    SCALAR_FIELD("fixed_val", 4, NONE, FIXED32, 0, fixed_val),
    SCALAR_FIELD("sfixed64_val", 5, NONE, SFIXED64, 0, sfixed64_val),
    SCALAR_FIELD("uint64_val", 6, NONE, UINT64, 0, uint64_val),
    SCALAR_FIELD("float_val", 7, NONE, FLOAT, 0, float_val),
    SCALAR_FIELD("flag", 8, NONE, BOOL, 0, flag),
    SCALAR_FIELD("opt_num", 9, OPTIONAL, INT32, offsetof(Scalars, has_opt_num), opt_num),
    SCALAR_FIELD("data", 10, NONE, BYTES, 0, data),
    SCALAR_FIELD("nums", 11, REPEATED, INT32, offsetof(Scalars, n_nums), nums),
    SCALAR_FIELD("blobs", 12, REPEATED, BYTES, offsetof(Scalars, n_blobs), blobs),
};
static const unsigned scalars_by_name[] = {11, 9, 3, 7, 6, 0, 10, 8, 4, 1, 5, 2};
static const ProtobufCIntRange scalars_ranges[] = {{1, 0}, {0, 12}};

static const ProtobufCMessageDescriptor scalars_descriptor = {
    .magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
    .name = "test.Scalars",
    .short_name = "Scalars",
    .c_name = "Scalars",
    .package_name = "test",
    .sizeof_message = sizeof(Scalars),
    .n_fields = 12,
    .fields = scalars_fields,
    .fields_sorted_by_name = scalars_by_name,
    .n_field_ranges = 1,
    .field_ranges = scalars_ranges,
    .message_init = scalars_init,
};

static void scalars_init(ProtobufCMessage *m)
{
  memset(m, 0, sizeof(Scalars));
  m->descriptor = &scalars_descriptor;
}

/* ---- helpers ---- */

static ProtobufCMessage *decode_ok(const ProtobufCMessageDescriptor *desc, const char *json)
{
  ProtobufCMessage *m = NULL;
  char err[256];
  if (sg_pbjson_decode(desc, json, strlen(json), NULL, &m, err, sizeof(err)) != 0) {
    fprintf(stderr, "decode of %s failed: %s\n", json, err);
    CHECK(0);
  }
  CHECK(m != NULL);
  return m;
}

static char *encode_ok(const ProtobufCMessage *m)
{
  char *s = NULL;
  size_t len = 0;
  CHECK_INT_EQ(sg_pbjson_encode(m, &s, &len), 0);
  CHECK_INT_EQ(len, strlen(s));
  return s;
}

/* protobuf-c packs deterministically, so equal bytes mean equal messages. */
static void check_same_message(const ProtobufCMessage *a, const ProtobufCMessage *b)
{
  size_t na = protobuf_c_message_get_packed_size(a), nb = protobuf_c_message_get_packed_size(b);
  CHECK_INT_EQ(na, nb);
  uint8_t *pa = malloc(na + 1), *pb = malloc(nb + 1);
  CHECK(pa && pb);
  protobuf_c_message_pack(a, pa);
  protobuf_c_message_pack(b, pb);
  CHECK(memcmp(pa, pb, na) == 0);
  free(pa);
  free(pb);
}

/* Decodes in, expects want as output, and checks that want decodes to the
 * same message and encodes to itself. */
static void check_round_trip(const ProtobufCMessageDescriptor *desc, const char *in,
                             const char *want)
{
  ProtobufCMessage *m1 = decode_ok(desc, in);
  char *s1 = encode_ok(m1);
  CHECK_STR_EQ(s1, want);
  ProtobufCMessage *m2 = decode_ok(desc, s1);
  char *s2 = encode_ok(m2);
  CHECK_STR_EQ(s2, want);
  if (desc != &scalars_descriptor)
    check_same_message(m1, m2);
  free(s1);
  free(s2);
  protobuf_c_message_free_unpacked(m1, NULL);
  protobuf_c_message_free_unpacked(m2, NULL);
}

/* ---- tests ---- */

static void test_contract_example(void)
{
  const char *in = "{\"category\":\"fire\",\"description\":\"Kebakaran di Jl. Tjilik Riwut\","
                   "\"location\":{\"lat\":-2.2096,\"lon\":113.9136},"
                   "\"reporter\":{\"phone\":\"+6281234567890\"}}";
  Siaga__V1__Report *r = (Siaga__V1__Report *)decode_ok(&siaga__v1__report__descriptor, in);
  CHECK_STR_EQ(r->category, "fire");
  CHECK_STR_EQ(r->description, "Kebakaran di Jl. Tjilik Riwut");
  CHECK(r->location != NULL && r->reporter != NULL);
  CHECK(r->location->lat == -2.2096);
  CHECK(r->location->lon == 113.9136);
  CHECK_STR_EQ(r->reporter->phone, "+6281234567890");
  CHECK_STR_EQ(r->reporter->name, "");
  CHECK_STR_EQ(r->id, "");
  protobuf_c_message_free_unpacked(&r->base, NULL);

  check_round_trip(&siaga__v1__report__descriptor, in,
                   "{\"reporter\":{\"phone\":\"+6281234567890\"},"
                   "\"location\":{\"lat\":-2.2096,\"lon\":113.9136},\"category\":\"fire\","
                   "\"description\":\"Kebakaran di Jl. Tjilik Riwut\"}");
}

struct round_trip_case {
  const char *name;
  const ProtobufCMessageDescriptor *desc;
  const char *in;
  const char *want;
};

static const struct round_trip_case round_trips[] = {
    {"full report, snake_case and numbers in", &siaga__v1__report__descriptor,
     "{\"id\":\"r-1\",\"channel\":\"CHANNEL_SMS\",\"reporter\":{\"phone\":\"+6281234567890\","
     "\"name\":\"Siti\"},\"location\":{\"lat\":-2.2096,\"lon\":113.9136,\"accuracy_m\":35.5,"
     "\"address\":\"Jl. Tjilik Riwut km 5\",\"source\":3,\"confidence\":0.75},"
     "\"category\":\"fire\",\"description\":\"terjebak \\\"lantai 2\\\"\\n\","
     "\"received_at_ms\":1700000000123,\"idempotencyKey\":\"k-1\","
     "\"gatewayMessageId\":\"gw-9\",\"sentAtMs\":\"1699999999000\"}",
     "{\"id\":\"r-1\",\"channel\":\"CHANNEL_SMS\",\"reporter\":{\"phone\":\"+6281234567890\","
     "\"name\":\"Siti\"},\"location\":{\"lat\":-2.2096,\"lon\":113.9136,\"accuracyM\":35.5,"
     "\"address\":\"Jl. Tjilik Riwut km 5\",\"source\":\"LOCATION_SOURCE_TEXT\","
     "\"confidence\":0.75},\"category\":\"fire\",\"description\":\"terjebak \\\"lantai 2\\\"\\n\","
     "\"receivedAtMs\":\"1700000000123\",\"idempotencyKey\":\"k-1\","
     "\"gatewayMessageId\":\"gw-9\",\"sentAtMs\":\"1699999999000\"}"},
    {"incident with repeated fields", &siaga__v1__incident__descriptor,
     "{\"notes\":[{\"author\":\"budi\",\"text\":\"OTW\",\"atMs\":\"5\"}],\"id\":\"i-7\","
     "\"status\":\"INCIDENT_STATUS_OPEN\",\"priority\":\"P1\",\"score\":87,"
     "\"reasons\":[{\"rule\":\"category.fire\",\"points\":40},{\"rule\":\"kw.trapped\","
     "\"points\":30,\"detail\":\"kata kunci: terjebak\"},{\"rule\":\"night\",\"points\":-3}],"
     "\"category\":\"fire\",\"reportIds\":[\"r-1\",\"r-2\"],\"createdAtMs\":\"1\","
     "\"updatedAtMs\":\"2\",\"version\":\"3\"}",
     "{\"id\":\"i-7\",\"status\":\"INCIDENT_STATUS_OPEN\",\"priority\":\"P1\",\"score\":87,"
     "\"reasons\":[{\"rule\":\"category.fire\",\"points\":40},{\"rule\":\"kw.trapped\","
     "\"points\":30,\"detail\":\"kata kunci: terjebak\"},{\"rule\":\"night\",\"points\":-3}],"
     "\"category\":\"fire\",\"reportIds\":[\"r-1\",\"r-2\"],\"createdAtMs\":\"1\","
     "\"updatedAtMs\":\"2\",\"version\":\"3\",\"notes\":[{\"author\":\"budi\",\"text\":\"OTW\","
     "\"atMs\":\"5\"}]}"},
    {"server snapshot", &siaga__v1__console_server_message__descriptor,
     "{\"snapshot\":{\"incidents\":[{\"id\":\"i-1\",\"priority\":\"P2\"},{}],"
     "\"lastUpdateId\":\"1700-0\"}}",
     "{\"snapshot\":{\"incidents\":[{\"id\":\"i-1\",\"priority\":\"P2\"},{}],"
     "\"lastUpdateId\":\"1700-0\"}}"},
    {"server update", &siaga__v1__console_server_message__descriptor,
     "{\"update\":{\"id\":\"1700-1\",\"kind\":\"UPDATE_KIND_STATUS_CHANGED\",\"incident\":{"
     "\"id\":\"i-1\",\"status\":\"INCIDENT_STATUS_DISPATCHED\",\"version\":4},\"actor\":\"budi\","
     "\"atMs\":\"1700000000999\"}}",
     "{\"update\":{\"id\":\"1700-1\",\"kind\":\"UPDATE_KIND_STATUS_CHANGED\",\"incident\":{"
     "\"id\":\"i-1\",\"status\":\"INCIDENT_STATUS_DISPATCHED\",\"version\":\"4\"},"
     "\"actor\":\"budi\",\"atMs\":\"1700000000999\"}}"},
    {"server reply", &siaga__v1__console_server_message__descriptor,
     "{\"reply\":{\"request_id\":\"q1\",\"ok\":true,\"incident\":{\"id\":\"i-1\"}}}",
     "{\"reply\":{\"requestId\":\"q1\",\"ok\":true,\"incident\":{\"id\":\"i-1\"}}}"},
    {"server error", &siaga__v1__console_server_message__descriptor,
     "{\"error\":{\"code\":\"bad_request\",\"message\":\"x\"}}",
     "{\"error\":{\"code\":\"bad_request\",\"message\":\"x\"}}"},
    {"empty oneof member is present", &siaga__v1__console_server_message__descriptor,
     "{\"error\":{}}", "{\"error\":{}}"},
    {"command set_status, snake_case", &siaga__v1__console_client_message__descriptor,
     "{\"command\":{\"request_id\":\"q2\",\"actor\":\"budi\",\"set_status\":{\"incident_id\":"
     "\"i-2\",\"status\":2,\"expected_version\":3}}}",
     "{\"command\":{\"requestId\":\"q2\",\"actor\":\"budi\",\"setStatus\":{\"incidentId\":\"i-2\","
     "\"status\":\"INCIDENT_STATUS_ACKNOWLEDGED\",\"expectedVersion\":\"3\"}}}"},
    {"command add_note", &siaga__v1__console_client_message__descriptor,
     "{\"command\":{\"addNote\":{\"incidentId\":\"i-2\",\"text\":\"ok\"}}}",
     "{\"command\":{\"addNote\":{\"incidentId\":\"i-2\",\"text\":\"ok\"}}}"},
    {"command ping", &siaga__v1__console_client_message__descriptor,
     "{\"command\":{\"ping\":{}}}", "{\"command\":{\"ping\":{}}}"},
    {"defaults omitted", &siaga__v1__report__descriptor,
     "{\"id\":\"\",\"channel\":\"CHANNEL_UNSPECIFIED\",\"receivedAtMs\":\"0\","
     "\"location\":{\"lat\":0,\"lon\":-0.0,\"source\":0}}",
     "{\"location\":{}}"},
    {"defaults omitted, bool", &siaga__v1__command_reply__descriptor,
     "{\"ok\":false,\"requestId\":\"\",\"incident\":null}", "{}"},
    {"null is absent", &siaga__v1__report__descriptor,
     "{\"category\":null,\"reporter\":null,\"location\":{\"lat\":null}}", "{\"location\":{}}"},
    {"empty object", &siaga__v1__incident__descriptor, "{}", "{}"},
    {"empty arrays", &siaga__v1__incident__descriptor, "{\"reasons\":[],\"reportIds\":[]}", "{}"},
    {"integer spellings and limits", &siaga__v1__incident__descriptor,
     "{\"score\":\"-2147483648\",\"createdAtMs\":1e3,\"updatedAtMs\":-9223372036854775808,"
     "\"version\":\"9223372036854775807\",\"reasons\":[{\"points\":2147483647},"
     "{\"points\":-5.0}]}",
     "{\"score\":-2147483648,\"reasons\":[{\"points\":2147483647},{\"points\":-5}],"
     "\"createdAtMs\":\"1000\",\"updatedAtMs\":\"-9223372036854775808\","
     "\"version\":\"9223372036854775807\"}"},
    {"enum by number", &siaga__v1__incident__descriptor,
     "{\"priority\":1,\"status\":5}",
     "{\"status\":\"INCIDENT_STATUS_CLOSED\",\"priority\":\"P1\"}"},
    {"doubles round-trip", &siaga__v1__location__descriptor,
     "{\"lat\":0.1,\"lon\":1e-300,\"accuracyM\":123456789.123456789,\"confidence\":1.7976931348623157e308}",
     "{\"lat\":0.1,\"lon\":1e-300,\"accuracyM\":123456789.12345679,"
     "\"confidence\":1.7976931348623157e+308}"},
    {"string escapes and UTF-8", &siaga__v1__incident__descriptor,
     "{\"summary\":\"tab\\t q\\\" bs\\\\ ctl\\u0001\\u001f del\\u007f \\u00e9 \xe2\x9c\x93 "
     "\\ud83d\\ude00 /\"}",
     "{\"summary\":\"tab\\t q\\\" bs\\\\ ctl\\u0001\\u001f del\x7f \xc3\xa9 \xe2\x9c\x93 "
     "\xf0\x9f\x98\x80 /\"}"},
    {"all scalar types", &scalars_descriptor,
     "{\"intVal\":-5,\"sint_val\":\"-7\",\"uintVal\":4294967295,\"fixedVal\":7.0,"
     "\"sfixed64Val\":\"-9223372036854775808\",\"uint64Val\":\"18446744073709551615\","
     "\"floatVal\":1.1,\"flag\":true,\"optNum\":0,\"data\":\"-_-_\",\"nums\":[1,-2,3],"
     "\"blobs\":[\"\",\"AA\",\"/w==\",\"aGVsbG8\"]}",
     "{\"intVal\":-5,\"sintVal\":-7,\"uintVal\":4294967295,\"fixedVal\":7,"
     "\"sfixed64Val\":\"-9223372036854775808\",\"uint64Val\":\"18446744073709551615\","
     "\"floatVal\":1.1,\"flag\":true,\"optNum\":0,\"data\":\"+/+/\",\"nums\":[1,-2,3],"
     "\"blobs\":[\"\",\"AA==\",\"/w==\",\"aGVsbG8=\"]}"},
    {"scalar defaults omitted", &scalars_descriptor,
     "{\"intVal\":0,\"uint64Val\":\"0\",\"floatVal\":0,\"flag\":false,\"data\":\"\"}", "{}"},
};

static void test_round_trips(void)
{
  for (size_t i = 0; i < sizeof(round_trips) / sizeof(round_trips[0]); i++) {
    printf("  round trip: %s\n", round_trips[i].name);
    check_round_trip(round_trips[i].desc, round_trips[i].in, round_trips[i].want);
  }
}

static void test_decoded_values(void)
{
  Siaga__V1__ConsoleClientMessage *cm = (Siaga__V1__ConsoleClientMessage *)decode_ok(
      &siaga__v1__console_client_message__descriptor,
      "{\"command\":{\"requestId\":\"q1\",\"actor\":\"budi\",\"setStatus\":{\"incidentId\":"
      "\"i-1\",\"status\":\"INCIDENT_STATUS_RESOLVED\",\"expectedVersion\":\"12\"}}}");
  CHECK_INT_EQ(cm->msg_case, SIAGA__V1__CONSOLE_CLIENT_MESSAGE__MSG_COMMAND);
  Siaga__V1__Command *c = cm->command;
  CHECK_STR_EQ(c->request_id, "q1");
  CHECK_STR_EQ(c->actor, "budi");
  CHECK_INT_EQ(c->action_case, SIAGA__V1__COMMAND__ACTION_SET_STATUS);
  CHECK_STR_EQ(c->set_status->incident_id, "i-1");
  CHECK_INT_EQ(c->set_status->status, SIAGA__V1__INCIDENT_STATUS__INCIDENT_STATUS_RESOLVED);
  CHECK_INT_EQ(c->set_status->expected_version, 12);
  protobuf_c_message_free_unpacked(&cm->base, NULL);

  static const struct {
    const char *json;
    int64_t want;
  } int64s[] = {
      {"{\"receivedAtMs\":1700000000123}", 1700000000123},
      {"{\"receivedAtMs\":\"1700000000123\"}", 1700000000123},
      {"{\"receivedAtMs\":\"-1\"}", -1},
      {"{\"received_at_ms\":\"9007199254740993\"}", 9007199254740993},
  };
  for (size_t i = 0; i < sizeof(int64s) / sizeof(int64s[0]); i++) {
    Siaga__V1__Report *r =
        (Siaga__V1__Report *)decode_ok(&siaga__v1__report__descriptor, int64s[i].json);
    CHECK_INT_EQ(r->received_at_ms, int64s[i].want);
    protobuf_c_message_free_unpacked(&r->base, NULL);
  }

  /* proto3 JSON lets a float or double come as a string. */
  Siaga__V1__Report *q = (Siaga__V1__Report *)decode_ok(
      &siaga__v1__report__descriptor,
      "{\"location\":{\"lat\":\"-2.2\",\"lon\":\"113.9e0\",\"accuracyM\":\"0\"}}");
  CHECK(q->location->lat == -2.2);
  CHECK(q->location->lon == 113.9);
  protobuf_c_message_free_unpacked(&q->base, NULL);

  Scalars *s = (Scalars *)decode_ok(&scalars_descriptor, "{\"optNum\":0,\"data\":\"aGk\"}");
  CHECK_INT_EQ(s->has_opt_num, 1);
  CHECK_INT_EQ(s->data.len, 2);
  CHECK(memcmp(s->data.data, "hi", 2) == 0);
  protobuf_c_message_free_unpacked(&s->base, NULL);
}

/* Values a decoder never produces but a program can still put in a message. */
static void test_encode_edge_cases(void)
{
  Siaga__V1__Location loc = SIAGA__V1__LOCATION__INIT;
  Siaga__V1__Report r = SIAGA__V1__REPORT__INIT;
  loc.lat = NAN;
  loc.lon = -INFINITY;
  r.channel = 99;
  r.category = "bad \xff\xc3 utf8 \xed\xa0\x80";
  r.location = &loc;
  char *s = encode_ok(&r.base);
  CHECK_STR_EQ(s, "{\"channel\":99,\"location\":{\"lat\":\"NaN\",\"lon\":\"-Infinity\"},"
                  "\"category\":\"bad \\ufffd\\ufffd utf8 \\ufffd\\ufffd\\ufffd\"}");
  free(s);

  Siaga__V1__IncidentList list = SIAGA__V1__INCIDENT_LIST__INIT;
  s = encode_ok(&list.base);
  CHECK_STR_EQ(s, "{}");
  free(s);
}

struct bad_case {
  const ProtobufCMessageDescriptor *desc;
  const char *json;
  size_t len; /* 0: strlen(json) */
  const char *want;
};

#define REPORT (&siaga__v1__report__descriptor)
#define INCIDENT (&siaga__v1__incident__descriptor)
#define CLIENT (&siaga__v1__console_client_message__descriptor)
#define SCALARS (&scalars_descriptor)

static const struct bad_case bad_cases[] = {
    {REPORT, "", 0, "empty input"},
    {REPORT, "[1,2]", 0, "expected a JSON object"},
    {REPORT, "42", 0, "expected a JSON object"},
    {REPORT, "null", 0, "expected a JSON object"},
    {REPORT, " ", 0, "invalid JSON at line 1"},
    {REPORT, "{\"category\":\"fi", 0, "invalid JSON at line 1 column"},
    {REPORT, "{\"category\":\"fire\"} x", 0, "invalid JSON"},
    {REPORT, "{\"category\":\"a\",\"category\":\"b\"}", 0, "invalid JSON"},
    {REPORT, "{\"category\":\"\xff\"}", 0, "invalid JSON"},
    {REPORT, "{\"category\":\"\xc0\xaf\"}", 0, "invalid JSON"},
    {REPORT, "{\"category\":\"a\\u0000b\"}", 0, "invalid JSON"},
    {REPORT, "{\"category\":\"a\0b\"}", 18, "invalid JSON"},
    {REPORT, "{\"location\":{\"lat\":NaN}}", 0, "invalid JSON"},
    {REPORT, "{\"location\":{\"lat\":1e999}}", 0, "invalid JSON"},
    {REPORT, "{\"location\":{\"lat\":\"NaN\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"-2.2x\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\" 1\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"0x10\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"Infinity\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"1.\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"\"}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"location\":{\"lat\":\"1e999\"}}", 0, "location.lat: expected a finite number"},
    {REPORT, "{\"location\":{\"lat\":true}}", 0, "location.lat: expected a number"},
    {REPORT, "{\"category\":{}}", 0, "category: expected a string"},
    {REPORT, "{\"category\":5}", 0, "category: expected a string"},
    {REPORT, "{\"reporter\":[]}", 0, "reporter: expected an object"},
    {REPORT, "{\"reporter\":\"x\"}", 0, "reporter: expected an object"},
    {REPORT, "{\"foo\":1}", 0, "unknown field \"foo\""},
    {REPORT, "{\"reporter\":{\"foo\":1}}", 0, "reporter: unknown field \"foo\""},
    {REPORT, "{\"Category\":\"fire\"}", 0, "unknown field \"Category\""},
    {REPORT, "{\"receivedAtMS\":1}", 0, "unknown field \"receivedAtMS\""},
    {REPORT, "{\"channel\":\"CHANNEL_FAX\"}", 0, "channel: unknown enum value \"CHANNEL_FAX\""},
    {REPORT, "{\"channel\":\"channel_sms\"}", 0, "channel: unknown enum value"},
    {REPORT, "{\"channel\":42}", 0, "channel: unknown enum number 42"},
    {REPORT, "{\"channel\":[]}", 0, "channel: expected an enum name or number"},
    {INCIDENT, "{\"score\":2147483648}", 0, "score: out of range for int32"},
    {INCIDENT, "{\"score\":-2147483649}", 0, "score: out of range for int32"},
    {INCIDENT, "{\"score\":1.5}", 0, "score: expected an integer"},
    {INCIDENT, "{\"score\":\"1.0\"}", 0, "score: expected an integer"},
    {INCIDENT, "{\"score\":true}", 0, "score: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\"12abc\"}", 0, "receivedAtMs: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\"\"}", 0, "receivedAtMs: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\"-\"}", 0, "receivedAtMs: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\" 1\"}", 0, "receivedAtMs: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\"+1\"}", 0, "receivedAtMs: expected an integer"},
    {REPORT, "{\"receivedAtMs\":\"9223372036854775808\"}", 0, "out of range for int64"},
    {REPORT, "{\"receivedAtMs\":\"99999999999999999999\"}", 0, "out of range for int64"},
    {REPORT, "{\"receivedAtMs\":1e19}", 0, "receivedAtMs: out of range for int64"},
    {CLIENT, "{\"command\":{\"setStatus\":{},\"ping\":{}}}", 0,
     "command.ping: conflicts with \"setStatus\" (same oneof)"},
    {CLIENT, "{\"command\":{\"requestId\":\"a\",\"request_id\":\"b\"}}", 0,
     "command.requestId: field given twice"},
    {CLIENT, "{\"command\":{\"setStatus\":{\"status\":\"P1\"}}}", 0,
     "command.setStatus.status: unknown enum value \"P1\""},
    {REPORT,
     "{\"reporter\":{\"phone\":[[[[[[[[[[[[[[[[\"x\"]]]]]]]]]]]]]]]]}}", 0,
     "nested deeper than 16 levels"},
    {INCIDENT, "{\"reasons\":[null]}", 0, "reasons[0]: null array element"},
    {INCIDENT, "{\"reportIds\":[\"a\",null]}", 0, "reportIds[1]: null array element"},
    {INCIDENT, "{\"reportIds\":\"a\"}", 0, "reportIds: expected an array"},
    {INCIDENT, "{\"reasons\":[{\"rule\":\"a\"},{\"points\":\"x\"}]}", 0,
     "reasons[1].points: expected an integer"},
    {INCIDENT, "{\"reasons\":[{\"rule\":\"a\"},[]]}", 0, "reasons[1]: expected an object"},
    {SCALARS, "{\"uintVal\":-1}", 0, "uintVal: out of range for uint32"},
    {SCALARS, "{\"uintVal\":4294967296}", 0, "uintVal: out of range for uint32"},
    {SCALARS, "{\"uint64Val\":\"18446744073709551616\"}", 0, "uint64Val: out of range for uint64"},
    {SCALARS, "{\"uint64Val\":\"-1\"}", 0, "uint64Val: out of range for uint64"},
    {SCALARS, "{\"floatVal\":1e39}", 0, "floatVal: out of range for float"},
    {SCALARS, "{\"flag\":1}", 0, "flag: expected true or false"},
    {SCALARS, "{\"data\":\"a\"}", 0, "data: invalid base64"},
    {SCALARS, "{\"data\":\"ab*d\"}", 0, "data: invalid base64"},
    {SCALARS, "{\"data\":\"ab=\"}", 0, "data: invalid base64"},
    {SCALARS, "{\"data\":\"a===\"}", 0, "data: invalid base64"},
    {SCALARS, "{\"data\":5}", 0, "data: expected a base64 string"},
    {SCALARS, "{\"blobs\":[\"AA\",\"A\"]}", 0, "blobs[1]: invalid base64"},
    {SCALARS, "{\"nums\":[1,null]}", 0, "nums[1]: null array element"},
    /* The reader's refusals, with where and why. */
    {REPORT, "{\"category\":\"a\",\"category\":\"b\"}", 0,
     "invalid JSON at line 1 column 17: duplicate object key"},
    {REPORT, "{\"receivedAtMs\":9223372036854775808}", 0,
     "invalid JSON at line 1 column 17: integer outside the 64-bit range"},
    {REPORT, "{\n\"location\":{\"lat\":-1e400}}", 0,
     "invalid JSON at line 2 column 19: number too large for a double"},
    {REPORT, "{\"category\":\"\\ud800\"}", 0,
     "invalid JSON at line 1 column 14: unpaired surrogate"},
    {REPORT, "{\"category\":\"\xed\xa0\x80\"}", 0,
     "invalid JSON at line 1 column 14: invalid UTF-8"},
    {REPORT, "{\"category\":\"fire\"}\n{}", 0, "invalid JSON at line 2 column 1: unexpected text"},
    {REPORT, "{\"location\":{\"lat\":01}}", 0, "invalid JSON at line 1 column 21: leading zero"},
    {REPORT, "{\"location\":{\"lat\":.5}}", 0, "invalid JSON"},
    {REPORT, "{\"location\":{\"lat\":1.}}", 0, "invalid JSON"},
    {REPORT, "{\"location\":{\"lat\":+1}}", 0, "invalid JSON"},
    {REPORT, "{\"foo\":[[[[[[[[[[[[[[[[\"x\"]]]]]]]]]]]]]]]]}", 0, "nested deeper than 16 levels"},
};

static void test_bad_inputs(void)
{
  for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const struct bad_case *c = &bad_cases[i];
    ProtobufCMessage *m = (ProtobufCMessage *)&m; /* must be reset to NULL */
    char err[256];
    size_t len = c->len ? c->len : strlen(c->json);
    int rc = sg_pbjson_decode(c->desc, c->json, len, NULL, &m, err, sizeof(err));
    if (rc != -1 || strstr(err, c->want) == NULL) {
      fprintf(stderr, "case %zu %s: rc %d, error \"%s\", want \"%s\"\n", i, c->json, rc, err,
              c->want);
      CHECK(0);
    }
    CHECK(m == NULL);
    CHECK(strchr(err, '\n') == NULL);
  }
}

static void test_error_buffer(void)
{
  ProtobufCMessage *m = NULL;
  char small[8];
  const char *bad = "{\"reporter\":{\"foo\":1}}";
  CHECK_INT_EQ(sg_pbjson_decode(REPORT, bad, strlen(bad), NULL, &m, small, sizeof(small)), -1);
  CHECK_STR_EQ(small, "reporte");
  CHECK_INT_EQ(sg_pbjson_decode(REPORT, bad, strlen(bad), NULL, &m, NULL, 0), -1);
  CHECK(m == NULL);

  /* Hostile key text is quoted back, made printable and cut short. */
  char err[256];
  const char *ctl = "{\"\\u0007\\n\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":1}";
  CHECK_INT_EQ(sg_pbjson_decode(REPORT, ctl, strlen(ctl), NULL, &m, err, sizeof(err)), -1);
  CHECK(strncmp(err, "unknown field \"??\xc3\xa9xxx", 22) == 0);
  CHECK(strlen(err) < 100);
}

static size_t live_blocks;

static void *counting_alloc(void *data, size_t size)
{
  (void)data;
  live_blocks++;
  return malloc(size);
}

static void counting_free(void *data, void *p)
{
  (void)data;
  if (p != NULL)
    live_blocks--;
  free(p);
}

static void test_allocator(void)
{
  ProtobufCAllocator a = {counting_alloc, counting_free, NULL};
  ProtobufCMessage *m = NULL;
  char err[256];
  const char *ok = round_trips[1].in;
  CHECK_INT_EQ(sg_pbjson_decode(INCIDENT, ok, strlen(ok), &a, &m, err, sizeof(err)), 0);
  CHECK(live_blocks > 10);
  protobuf_c_message_free_unpacked(m, &a);
  CHECK_INT_EQ(live_blocks, 0);

  /* A late failure leaves a half-built message that must be freed whole. */
  const char *late =
      "{\"id\":\"i\",\"reasons\":[{\"rule\":\"a\"},{\"rule\":\"b\",\"points\":\"x\"}]}";
  CHECK_INT_EQ(sg_pbjson_decode(INCIDENT, late, strlen(late), &a, &m, err, sizeof(err)), -1);
  CHECK_INT_EQ(live_blocks, 0);

  const char *oneof = "{\"command\":{\"actor\":\"x\",\"addNote\":{\"text\":\"t\"},\"ping\":{}}}";
  CHECK_INT_EQ(sg_pbjson_decode(CLIENT, oneof, strlen(oneof), &a, &m, err, sizeof(err)), -1);
  CHECK_INT_EQ(live_blocks, 0);

  const char *blobs = "{\"data\":\"aGk\",\"blobs\":[\"AA\",\"AA\",\"!\"]}";
  CHECK_INT_EQ(sg_pbjson_decode(SCALARS, blobs, strlen(blobs), &a, &m, err, sizeof(err)), -1);
  CHECK_INT_EQ(live_blocks, 0);
}

/* A document far deeper than any stack allows recursing into fails fast
 * with the depth error, closed or not. */
static void test_depth_bomb(void)
{
  size_t n = 100000, head = strlen("{\"foo\":");
  char *bomb = malloc(head + 2 * n + 1);
  CHECK(bomb != NULL);
  memcpy(bomb, "{\"foo\":", head);
  memset(bomb + head, '[', n);
  ProtobufCMessage *m = NULL;
  char err[256];
  CHECK_INT_EQ(sg_pbjson_decode(REPORT, bomb, head + n, NULL, &m, err, sizeof(err)), -1);
  CHECK_STR_EQ(err, "nested deeper than 16 levels");
  memset(bomb + head + n, ']', n);
  bomb[head + 2 * n] = '}';
  CHECK_INT_EQ(sg_pbjson_decode(REPORT, bomb, head + 2 * n + 1, NULL, &m, err, sizeof(err)), -1);
  CHECK_STR_EQ(err, "nested deeper than 16 levels");
  CHECK(m == NULL);
  free(bomb);
}

static uint64_t rng_state = 0x2545f4914f6cdd1du;

static uint32_t rng(void)
{
  /* xorshift64*: deterministic, so a failure reproduces. */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

/* Mutated copies of valid documents through the whole decoder: whatever the
 * outcome, no crash, no leak (counted and under ASan), no read past len
 * (each input is an exact-size heap copy), and a one-line error. */
static void test_fuzz(void)
{
  static const char pieces[] = "{}[]:,\"\\u0123456789.eE+-tfn \n\xc3\xa9\xed\xa0\xff";
  ProtobufCAllocator a = {counting_alloc, counting_free, NULL};
  char buf[1024];
  size_t ok = 0, iterations = 20000;

  for (size_t iter = 0; iter < iterations; iter++) {
    size_t pick = rng() % (sizeof(round_trips) / sizeof(round_trips[0]));
    const struct round_trip_case *c = &round_trips[pick];
    size_t len = strlen(c->in);
    CHECK(len < sizeof(buf));
    memcpy(buf, c->in, len);
    for (int e = 1 + (int)(rng() % 3); e > 0 && len > 0; e--) {
      size_t at = rng() % len;
      char ch = rng() % 2 ? pieces[rng() % (sizeof(pieces) - 1)] : (char)rng();
      switch (rng() % 4) {
      case 0:
        buf[at] = ch;
        break;
      case 1:
        if (len + 1 < sizeof(buf)) {
          memmove(buf + at + 1, buf + at, len - at);
          buf[at] = ch;
          len++;
        }
        break;
      case 2:
        memmove(buf + at, buf + at + 1, len - at - 1);
        len--;
        break;
      default:
        len = at;
        break;
      }
    }
    char *in = malloc(len ? len : 1);
    CHECK(in != NULL);
    memcpy(in, buf, len);
    ProtobufCMessage *m = NULL;
    char err[256] = "";
    if (sg_pbjson_decode(c->desc, in, len, &a, &m, err, sizeof(err)) == 0) {
      ok++;
      char *s = encode_ok(m);
      free(s);
      protobuf_c_message_free_unpacked(m, &a);
    } else {
      CHECK(m == NULL);
      CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
    }
    CHECK_INT_EQ(live_blocks, 0);
    free(in);
  }
  printf("  fuzz: %zu of %zu mutated documents decoded\n", ok, iterations);
  CHECK(ok > 0);
}

int main(void)
{
  RUN_TEST(test_contract_example);
  RUN_TEST(test_round_trips);
  RUN_TEST(test_decoded_values);
  RUN_TEST(test_encode_edge_cases);
  RUN_TEST(test_bad_inputs);
  RUN_TEST(test_error_buffer);
  RUN_TEST(test_allocator);
  RUN_TEST(test_depth_bomb);
  RUN_TEST(test_fuzz);
  CHECK_DONE();
}
