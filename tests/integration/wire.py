"""A tiny hand-written protobuf encoder/decoder for the siaga.v1 messages the
integration tests need. Field numbers follow proto/siaga/v1/siaga.proto; the
tests deliberately do not use generated code, so they check the wire format
itself."""
import struct

# Report field numbers
REPORT_ID, REPORT_CHANNEL, REPORT_REPORTER, REPORT_LOCATION = 1, 2, 3, 4
REPORT_CATEGORY, REPORT_DESCRIPTION = 5, 6
REPORTER_PHONE = 1
LOCATION_LAT, LOCATION_LON = 1, 2
CHANNEL_APP = 1

WT_VARINT, WT_I64, WT_LEN, WT_I32 = 0, 1, 2, 5


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, n):
    return varint(field << 3 | WT_VARINT) + varint(n)


def f_bytes(field, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return varint(field << 3 | WT_LEN) + varint(len(data)) + data


def f_double(field, x):
    return varint(field << 3 | WT_I64) + struct.pack("<d", x)


def encode_report(category, description, lat, lon, phone=None, channel=CHANNEL_APP):
    """Report bytes with description written last (so cutting the tail cuts
    inside a length-delimited field)."""
    out = f_varint(REPORT_CHANNEL, channel)
    if phone:
        out += f_bytes(REPORT_REPORTER, f_bytes(REPORTER_PHONE, phone))
    out += f_bytes(REPORT_LOCATION, f_double(LOCATION_LAT, lat) + f_double(LOCATION_LON, lon))
    out += f_bytes(REPORT_CATEGORY, category)
    out += f_bytes(REPORT_DESCRIPTION, description)
    return out


def _read_varint(buf, i):
    n, shift = 0, 0
    for _ in range(10):
        if i >= len(buf):
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            return n, i
        shift += 7
    raise ValueError("varint too long")


def pb_decode(buf):
    """Returns {field: [values]}: ints for varint/fixed, bytes for
    length-delimited. Raises ValueError on malformed input."""
    fields, i = {}, 0
    while i < len(buf):
        tag, i = _read_varint(buf, i)
        field, wt = tag >> 3, tag & 7
        if field == 0:
            raise ValueError("field number 0")
        if wt == WT_VARINT:
            v, i = _read_varint(buf, i)
        elif wt == WT_I64:
            if i + 8 > len(buf):
                raise ValueError("truncated fixed64")
            v, i = buf[i:i + 8], i + 8
        elif wt == WT_LEN:
            n, i = _read_varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated length-delimited field")
            v, i = bytes(buf[i:i + n]), i + n
        elif wt == WT_I32:
            if i + 4 > len(buf):
                raise ValueError("truncated fixed32")
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        fields.setdefault(field, []).append(v)
    return fields


def pb_first(fields, n, default=None):
    v = fields.get(n)
    return v[-1] if v else default


def decode_incident(buf):
    f = pb_decode(buf)
    return {"id": pb_first(f, 1, b"").decode(),
            "status": pb_first(f, 2, 0),
            "priority": pb_first(f, 3, 0),
            "reasons": f.get(5, []),
            "report_ids": [x.decode() for x in f.get(9, [])],
            "report_count": pb_first(f, 14, 0),
            "version": pb_first(f, 12, 0)}


def decode_update(buf):
    """IncidentUpdate bytes (the "u" field of the updates stream) -> dict."""
    f = pb_decode(buf)
    inc = pb_first(f, 3)
    return {"id": pb_first(f, 1, b"").decode(),
            "kind": pb_first(f, 2, 0),
            "incident": decode_incident(inc) if inc is not None else None,
            "report_id": pb_first(f, 6, b"").decode()}


def decode_server_message(buf):
    """ConsoleServerMessage bytes -> (which, payload bytes): which is one of
    snapshot, update, reply, error."""
    f = pb_decode(buf)
    names = {1: "snapshot", 2: "update", 3: "reply", 4: "error"}
    present = [n for n in names if n in f]
    if len(present) != 1:
        raise ValueError("expected exactly one oneof member, got fields %r" % sorted(f))
    return names[present[0]], pb_first(f, present[0])
