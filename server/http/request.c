/* sg_http's request accessors (http/server.h): what a handler reads of a
 * request, all of it in the connection's buffer. */
#include "http/peer.h"
#include "http/server_internal.h"

sg_http_method sg_http_request_method(const sg_http_request *req) {
  return req->h.method;
}

const char *sg_http_request_path(const sg_http_request *req) {
  return req->h.path;
}

const char *sg_http_request_query(const sg_http_request *req) {
  return req->h.query;
}

const char *sg_http_request_header(const sg_http_request *req, const char *name) {
  return sg_http_parse_header_value(&req->h, name);
}

int64_t sg_http_request_content_length(const sg_http_request *req) {
  return req->h.content_length;
}

const char *sg_http_request_peer(const sg_http_request *req) {
  conn *c = CONN_OF(req);
  if (c->peer[0] == '\0')
    sg_peer_socket_addr(c->fd, c->peer, sizeof(c->peer));
  return c->peer;
}

const sg_http_parse_request *sg_http_request_head(const sg_http_request *req) {
  return &req->h;
}

void *sg_http_request_data(sg_http_request *req) {
  return req->data;
}

const uint8_t *sg_http_request_body(const sg_http_request *req, size_t *len) {
  *len = req->body != NULL ? req->body_len : 0;
  return req->body;
}
