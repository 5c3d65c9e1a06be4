#include "http/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPTS_PER_WAKE 64 /* bounded, so a connection flood cannot starve the loop */
#define BACKLOG 4096

struct sg_listener {
  uv_poll_t poll;
  sg_http *http;
  sg_http_limit *limit; /* the per-address connection cap, or NULL */
  int fd;
  int spare_fd; /* held for when descriptors run out; -1 while given up */
};

/* Out of descriptors (EMFILE, ENFILE): a connection left in the listen queue
 * keeps the socket readable, and the loop would spin at full CPU for as long
 * as the flood lasts. So the spare descriptor is given up, the connection
 * taken with it and closed at once (its client sees the close and may come
 * back later), and the spare taken again. Returns 0 if one was shed. */
static int shed_one(sg_listener *l) {
  if (l->spare_fd < 0)
    return -1;
  close(l->spare_fd);
  int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0)
    close(fd);
  l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd >= 0 ? 0 : -1;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  sg_listener *l = poll->data;
  (void)events;
  if (status < 0)
    return;
  for (int i = 0; i < ACCEPTS_PER_WAKE; i++) {
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof(peer);
    int fd = accept4(l->fd, (struct sockaddr *)&peer, &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && shed_one(l) == 0)
      continue;
    if (fd < 0)
      return; /* EAGAIN, or an error of the connection: try again on the next wake */
    /* An answer goes out in one send, but one that waited for the socket
     * to drain, or a console's frames, would otherwise wait for the
     * client's delayed ACK. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (l->limit != NULL && sg_http_limit_conn_open(l->limit, fd, (struct sockaddr *)&peer) != 0) {
      sg_http_limit_refuse_fd(fd);
      close(fd);
      continue;
    }
    if (sg_http_adopt(l->http, fd) != 0) {
      sg_http_limit_conn_closed(l->limit, fd); /* NULL-safe */
      close(fd);                               /* at the connection limit, or out of memory */
    }
  }
}

static int bind_listen(const char *host, int port, int reuse_port, int do_listen) {
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof(ss));
  struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    len = sizeof(*in4);
  } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons((uint16_t)port);
    len = sizeof(*in6);
  } else if (strcmp(host, "localhost") == 0) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons((uint16_t)port);
    in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*in4);
  } else {
    return -EINVAL;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
      (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
      bind(fd, (struct sockaddr *)&ss, len) != 0 || (do_listen && listen(fd, BACKLOG) != 0)) {
    int e = -errno;
    close(fd);
    return e;
  }
  return fd;
}

int sg_listener_probe(const char *host, int port) {
  int fd = bind_listen(host, port, 0, 0);
  if (fd < 0)
    return fd;
  close(fd);
  return 0;
}

sg_listener *sg_listener_create(uv_loop_t *loop, sg_http *http, const char *host, int port,
                                int reuse_port, int *err) {
  int fd = bind_listen(host, port, reuse_port, 1);
  if (fd < 0) {
    *err = fd;
    return NULL;
  }
  sg_listener *l = calloc(1, sizeof(*l));
  if (l == NULL || uv_poll_init(loop, &l->poll, fd) != 0) {
    free(l);
    close(fd);
    *err = -ENOMEM;
    return NULL;
  }
  l->fd = fd;
  l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  l->http = http;
  l->poll.data = l;
  uv_poll_start(&l->poll, UV_READABLE, on_readable);
  return l;
}

void sg_listener_set_limit(sg_listener *l, sg_http_limit *limit) {
  l->limit = limit;
}

static void on_closed(uv_handle_t *h) {
  sg_listener *l = h->data;
  close(l->fd);
  if (l->spare_fd >= 0)
    close(l->spare_fd);
  free(l);
}

void sg_listener_destroy(sg_listener *l) {
  if (l != NULL)
    uv_close((uv_handle_t *)&l->poll, on_closed);
}
