"""Network clients for the integration tests, standard library only: a
minimal RESP2 Redis client, HTTP helpers (http.client and raw sockets) and a
minimal RFC 6455 WebSocket client. Every read is bounded in time."""
import base64
import hashlib
import http.client as httplib
import json
import os
import socket
import ssl
import time


# ---------------------------------------------------------------- Redis (RESP2)

class RedisError(Exception):
    pass


class Redis:
    """Minimal blocking RESP2 client: r("XLEN", k) returns the parsed reply.
    Bulk strings come back as bytes, errors raise RedisError."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.rfile = self.sock.makefile("rb")

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, str):
                a = a.encode()
            elif isinstance(a, (int, float)):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _line(self):
        line = self.rfile.readline(1 << 20)
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis connection closed")
        return line[:-2]

    def _read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RedisError(rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            if len(data) != n + 2:
                raise ConnectionError("redis connection closed")
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RedisError("bad RESP type %r" % line[:40])

    def close(self):
        try:
            self.rfile.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<HTTP %s %s %r>" % (self.status, self.header("content-type"), self.body[:300])


def http(port, method, path, body=None, headers=None, timeout=10.0, tls=None, source=None):
    """One request. tls: an ssl.SSLContext to speak https; source: the
    local address to connect from (another 127.x is another client)."""
    src = (source, 0) if source else None
    if tls is not None:
        conn = httplib.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=tls,
                                       source_address=src)
    else:
        conn = httplib.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=src)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            headers = dict(headers or {})
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


def raw_http(port, data, timeout=10.0, shutdown_write=False):
    """Sends raw bytes and parses one response; None if the server closed the
    connection without answering. Tolerates a reset while sending (a server
    may answer 413 before reading the whole body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                chunk = b""
            if not chunk:
                break
            buf += chunk
        if b"\r\n\r\n" not in buf:
            return None
        head, body = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = [tuple(x.strip() for x in ln.split(":", 1)) for ln in lines[1:] if ":" in ln]
        resp = Response(status, headers, b"")
        n = resp.header("content-length")
        want = int(n) if n is not None else None
        while (want is None or len(body) < want) and time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            body += chunk
        resp.body = body[:want] if want is not None else body
        return resp
    finally:
        s.close()


# ---------------------------------------------------------------- WebSocket (RFC 6455)

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class Message:
    """kind: 'text' (data: str), 'binary' (bytes), 'pong' (bytes),
    'close' (code, reason; code None if the frame had no code), 'eof'."""

    def __init__(self, kind, data=None, code=None, reason=""):
        self.kind, self.data, self.code, self.reason = kind, data, code, reason

    def __repr__(self):
        if self.kind == "close":
            return "<close %s %r>" % (self.code, self.reason)
        return "<%s %r>" % (self.kind, self.data[:200] if self.data is not None else None)


class WebSocket:
    def __init__(self, sock, leftover, protocol):
        self.sock = sock
        self.buf = bytearray(leftover)
        self.protocol = protocol
        self.closed = False

    # -- sending (client frames are always masked)
    def send_frame(self, opcode, payload, fin=True):
        header = bytearray([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header.append(0x80 | n)
        elif n < 65536:
            header.append(0x80 | 126)
            header += n.to_bytes(2, "big")
        else:
            header.append(0x80 | 127)
            header += n.to_bytes(8, "big")
        mask = os.urandom(4)
        header += mask
        pl = bytearray(payload)
        for i in range(4):
            pl[i::4] = bytes(b ^ mask[i] for b in pl[i::4])
        self.sock.sendall(bytes(header) + bytes(pl))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def send_binary(self, data):
        self.send_frame(OP_BINARY, data)

    def send_ping(self, data=b""):
        self.send_frame(OP_PING, data)

    def send_close(self, code=1000, reason=b""):
        try:
            self.send_frame(OP_CLOSE, code.to_bytes(2, "big") + reason)
        except OSError:
            pass

    # -- receiving
    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("websocket recv timed out")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(1 << 16)
            except socket.timeout:
                raise TimeoutError("websocket recv timed out")
            except (ConnectionResetError, ssl.SSLError):  # a TLS peer gone without close_notify
                chunk = b""
            if not chunk:
                raise EOFError
            self.buf += chunk

    def _frame(self, deadline):
        """Parses one whole frame; consumes nothing until it is complete, so a
        timeout never loses bytes."""
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._fill(4, deadline)
            n, off = int.from_bytes(self.buf[2:4], "big"), 4
        elif n == 127:
            self._fill(10, deadline)
            n, off = int.from_bytes(self.buf[2:10], "big"), 10
        if b1 & 0x80:
            raise AssertionError("server sent a masked frame (RFC 6455 5.1)")
        self._fill(off + n, deadline)
        payload = bytes(self.buf[off:off + n])
        del self.buf[:off + n]
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv(self, timeout=5.0):
        """Next message; answers pings, joins fragments. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        parts, first_op = [], None
        for _ in range(100000):
            try:
                fin, op, payload = self._frame(deadline)
            except EOFError:
                self.closed = True
                return Message("eof")
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_PONG:
                return Message("pong", payload)
            if op == OP_CLOSE:
                self.closed = True
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                self.send_close(code or 1000)
                return Message("close", code=code, reason=payload[2:].decode(errors="replace"))
            if op in (OP_TEXT, OP_BINARY):
                first_op, parts = op, [payload]
            elif op == OP_CONT and first_op is not None:
                parts.append(payload)
            else:
                raise AssertionError("unexpected opcode %d" % op)
            if fin:
                data = b"".join(parts)
                if first_op == OP_TEXT:
                    return Message("text", data.decode("utf-8"))
                return Message("binary", data)
        raise AssertionError("too many frames")

    def recv_json(self, timeout=5.0):
        m = self.recv(timeout)
        if m.kind != "text":
            raise AssertionError("expected a JSON text message, got %r" % (m,))
        return json.loads(m.data)

    def close(self):
        if not self.closed:
            self.send_close(1000)
            self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def json_messages_until(ws, pred, timeout, what):
    """Reads JSON console messages until pred(msg) is true, within `timeout`
    seconds; returns every message read (the matching one last). Fails on a
    close, EOF, non-text frame or timeout."""
    seen = []
    deadline = time.monotonic() + timeout
    for _ in range(100000):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            m = ws.recv(left)
        except TimeoutError:
            break
        if m.kind != "text":
            raise AssertionError("waiting for %s: got %r after %d messages" % (what, m, len(seen)))
        msg = json.loads(m.data)
        seen.append(msg)
        if pred(msg):
            return seen
    raise AssertionError("timed out after %.1fs waiting for %s; got %d messages: %s" %
                         (timeout, what, len(seen), json.dumps(seen)[-1500:]))


class Handshake:
    def __init__(self, status, headers, ws):
        self.status, self.headers, self.ws = status, headers, ws


def ws_handshake(port, path, protocols=(), timeout=5.0, extra_headers=None, rcvbuf=None,
                 tls=None, source=None):
    """Performs the opening handshake. Returns Handshake(status, headers, ws):
    status None if the server closed without answering; ws set only on 101
    with a correct Sec-WebSocket-Accept. rcvbuf shrinks the client's receive
    buffer (set before connecting, so the TCP window stays small): a console
    on a slow link. tls (an ssl.SSLContext) speaks wss://; source is the
    local address to connect from."""
    if rcvbuf is None:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                        source_address=(source, 0) if source else None)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname="127.0.0.1")
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(timeout)
        sock.connect(("127.0.0.1", port))
    nonce = base64.b64encode(os.urandom(16))
    lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: " + nonce.decode(),
             "Sec-WebSocket-Version: 13"]
    if protocols:
        lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
    for k, v in (extra_headers or {}).items():
        lines.append("%s: %s" % (k, v))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf and time.monotonic() < deadline and len(buf) < 65536:
        try:
            chunk = sock.recv(4096)
        except (socket.timeout, ConnectionResetError, ssl.SSLError):
            chunk = b""
        if not chunk:
            break
        buf += chunk
    if b"\r\n\r\n" not in buf:
        sock.close()
        return Handshake(None, {}, None)
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if status != 101:
        sock.close()
        return Handshake(status, headers, None)
    want = base64.b64encode(hashlib.sha1(nonce + WS_GUID).digest()).decode()
    if headers.get("sec-websocket-accept") != want:
        sock.close()
        raise AssertionError("bad Sec-WebSocket-Accept %r" % headers.get("sec-websocket-accept"))
    return Handshake(status, headers, WebSocket(sock, rest, headers.get("sec-websocket-protocol")))
