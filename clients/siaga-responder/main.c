/* siaga-responder: a unit's crew on a terminal (and the tests' responder).
 *
 *   siaga-responder --url ws://127.0.0.1:8080 --token TOKEN [--json]
 *   siaga-responder --url wss://112.example.go.id --token TOKEN [--ca FILE]
 *
 * Holds WebSocket /v1/responder (subprotocol siaga.responder.v1, binary
 * protobuf), prints each server message as one line on standard output
 * (--json: its proto3 JSON mapping instead), and reads commands from
 * standard input, one per line (lines.h). A dropped connection is resumed
 * with ?resume=<last update id>, so nothing is missed; the first connection
 * failing, or the unit's token ending (close 4003), ends the program. At the
 * end of standard input it waits (at most 5 s) for the replies owed, then
 * exits. Exit status: 0, 1 cannot connect or refused, 2 usage, 3 token
 * ended. */
#include <errno.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines.h"
#include "wire/pbjson.h"

#define PROTOCOL "siaga.responder.v1"
#define RX_MAX (1 << 20)
#define OUT_MAX 64 /* commands queued while not connected */
#define BACKOFF_MAX_S 30
#define DRAIN_S 5

typedef struct frame {
  unsigned char *buf; /* LWS_PRE headroom, then len bytes */
  size_t len;
  struct frame *next;
} frame;

typedef struct client {
  struct lws_context *ctx;
  struct lws *ws;
  char host[300], path[300], auth[128];
  int port, json, tls;
  const char *ca; /* PEM file of the authorities to trust, NULL: the system's */
  sgr_state state;
  frame *head, *tail;
  size_t n_out;
  unsigned seq, replies_due;
  unsigned char *rx;
  size_t rx_len;
  char line[4096];
  size_t line_len;
  int line_too_long;
  int ever_connected, got_hello, attempts, close_code, stdin_eof, done, status;
  lws_sorted_usec_list_t reconnect, drain;
} client;

static volatile sig_atomic_t interrupted;

static void usage(FILE *f) {
  fprintf(f, "usage: siaga-responder --url ws[s]://HOST[:PORT] --token TOKEN [--ca FILE] [--json]\n"
             "\n"
             "  --url URL      siagad's address: ws://, or wss:// through TLS (the path\n"
             "                 defaults to /v1/responder)\n"
             "  --token TOKEN  the unit's token (siaga-admin unit add / unit token)\n"
             "  --ca FILE      with wss://, trust the authorities in this PEM file\n"
             "                 (default: the system's, /etc/ssl/certs)\n"
             "  --json         print each message as JSON instead of a summary line\n"
             "\n"
             "Standard input, one command a line:\n"
             "  accept [ID] | decline REASON | seen [ID] | status EN_ROUTE | pos LAT LON [ACC]\n"
             "  note TEXT | ping\n");
}

static int parse_url(client *c, const char *url) {
  const char *h;
  if (strncmp(url, "ws://", 5) == 0)
    h = url + 5;
  else if (strncmp(url, "wss://", 6) == 0)
    h = url + 6, c->tls = 1;
  else
    return -1;
  const char *slash = strchr(h, '/');
  size_t hl = slash != NULL ? (size_t)(slash - h) : strlen(h);
  char hostport[300];
  if (hl == 0 || hl >= sizeof(hostport))
    return -1;
  memcpy(hostport, h, hl);
  hostport[hl] = '\0';
  char *colon = strrchr(hostport, ':');
  c->port = c->tls ? 443 : 80;
  if (colon != NULL) {
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 1 || p > 65535)
      return -1;
    c->port = (int)p;
    *colon = '\0';
  }
  snprintf(c->host, sizeof(c->host), "%s", hostport);
  snprintf(c->path, sizeof(c->path), "%s",
           slash != NULL && slash[1] != '\0' ? slash : "/v1/responder");
  return 0;
}

/* ---- sending ---- */

static void queue_message(client *c, const Siaga__V1__ResponderClientMessage *m) {
  if (c->n_out >= OUT_MAX) {
    fprintf(stderr, "siaga-responder: too many commands waiting; dropped\n");
    return;
  }
  size_t len = siaga__v1__responder_client_message__get_packed_size(m);
  frame *f = calloc(1, sizeof(*f));
  if (f == NULL || (f->buf = malloc(LWS_PRE + len + 1)) == NULL) {
    free(f);
    fprintf(stderr, "siaga-responder: out of memory\n");
    return;
  }
  f->len = siaga__v1__responder_client_message__pack(m, f->buf + LWS_PRE);
  if (c->tail != NULL)
    c->tail->next = f;
  else
    c->head = f;
  c->tail = f;
  c->n_out++;
  if (m->command->action_case != SIAGA__V1__RESPONDER_COMMAND__ACTION_SEEN)
    c->replies_due++;
  if (c->ws != NULL)
    lws_callback_on_writable(c->ws);
}

static void send_line(client *c, const char *line) {
  sgr_command cmd;
  char err[160];
  int rc = sgr_parse_line(line, &c->state, ++c->seq, &cmd, err, sizeof(err));
  if (rc < 0)
    fprintf(stderr, "siaga-responder: %s\n", err);
  else if (rc > 0)
    queue_message(c, &cmd.msg);
}

static void send_delivered(client *c, const char *assignment_id) {
  char line[96];
  snprintf(line, sizeof(line), "seen %s", assignment_id);
  sgr_command cmd;
  char err[160];
  if (sgr_parse_line(line, &c->state, ++c->seq, &cmd, err, sizeof(err)) == 1) {
    cmd.u.seen.opened = 0; /* received, not yet opened by anyone */
    queue_message(c, &cmd.msg);
  }
}

/* ---- the end ---- */

static void finish(client *c, int status) {
  c->done = 1;
  c->status = status;
  lws_cancel_service(c->ctx);
}

static void on_drain_timeout(lws_sorted_usec_list_t *sul) {
  client *c = lws_container_of(sul, client, drain);
  finish(c, c->status);
}

/* At the end of input, once the unit was heard from and every command
 * answered (or the drain timer says enough). */
static void maybe_finish(client *c) {
  if (c->stdin_eof && c->got_hello && c->head == NULL && c->replies_due == 0)
    finish(c, 0);
}

/* ---- what arrives ---- */

static void on_message(client *c) {
  Siaga__V1__ResponderServerMessage *m =
      siaga__v1__responder_server_message__unpack(NULL, c->rx_len, c->rx);
  if (m == NULL) {
    fprintf(stderr, "siaga-responder: a message that does not decode (%zu bytes)\n", c->rx_len);
    return;
  }
  char line[8192];
  sgr_format(m, &c->state, line, sizeof(line)); /* also follows the assignment */
  if (c->json) {
    char *json;
    size_t len;
    if (sg_pbjson_encode(&m->base, &json, &len) == 0) {
      printf("%s\n", json);
      free(json);
    }
  } else {
    printf("%s\n", line);
  }
  fflush(stdout);
  if (m->msg_case == SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_HELLO)
    c->got_hello = 1;
  if (m->msg_case == SIAGA__V1__RESPONDER_SERVER_MESSAGE__MSG_REPLY && c->replies_due > 0)
    c->replies_due--;
  const char *delivered = sgr_delivered(m);
  if (delivered != NULL)
    send_delivered(c, delivered);
  siaga__v1__responder_server_message__free_unpacked(m, NULL);
  maybe_finish(c);
}

/* ---- connecting ---- */

static void connect_now(client *c);

static void on_reconnect_due(lws_sorted_usec_list_t *sul) {
  connect_now(lws_container_of(sul, client, reconnect));
}

static void schedule_reconnect(client *c) {
  int s = 1 << (c->attempts < 5 ? c->attempts : 5);
  if (s > BACKOFF_MAX_S)
    s = BACKOFF_MAX_S;
  c->attempts++;
  fprintf(stderr, "siaga-responder: reconnecting in %d s\n", s);
  lws_sul_schedule(c->ctx, 0, &c->reconnect, on_reconnect_due, (lws_usec_t)s * LWS_US_PER_SEC);
}

static void connect_now(client *c) {
  char path[400 + SGR_ID_MAX];
  if (c->state.last_update_id[0] != '\0')
    snprintf(path, sizeof(path), "%s?resume=%s", c->path, c->state.last_update_id);
  else
    snprintf(path, sizeof(path), "%s", c->path);
  struct lws_client_connect_info i;
  memset(&i, 0, sizeof(i));
  i.context = c->ctx;
  i.address = c->host;
  i.port = c->port;
  i.path = path;
  i.host = c->host;
  i.protocol = PROTOCOL;
  i.local_protocol_name = PROTOCOL;
  i.pwsi = &c->ws;
  i.userdata = c;
  /* The certificate must be valid for the host and signed by a trusted
   * authority: a crew's token is not for whoever answers. */
  i.ssl_connection = c->tls ? LCCSCF_USE_SSL : 0;
  c->close_code = 0;
  if (lws_client_connect_via_info(&i) == NULL && !c->ever_connected)
    finish(c, 1);
}

static int on_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len) {
  client *c = lws_context_user(lws_get_context(wsi));
  (void)user;
  switch (reason) {
  case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
    unsigned char **p = (unsigned char **)in, *end = (*p) + len;
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
                                    (const unsigned char *)c->auth, (int)strlen(c->auth), p, end))
      return -1;
    return 0;
  }
  case LWS_CALLBACK_CLIENT_ESTABLISHED:
    c->ever_connected = 1;
    c->attempts = 0;
    c->ws = wsi;
    fprintf(stderr, "siaga-responder: connected\n");
    if (c->head != NULL)
      lws_callback_on_writable(wsi);
    return 0;
  case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    c->ws = NULL;
    fprintf(stderr, "siaga-responder: cannot connect: %s\n", in != NULL ? (const char *)in : "?");
    if (!c->ever_connected)
      finish(c, 1);
    else if (!c->done)
      schedule_reconnect(c);
    return 0;
  case LWS_CALLBACK_CLIENT_RECEIVE:
    if (lws_is_first_fragment(wsi))
      c->rx_len = 0;
    if (c->rx_len + len > RX_MAX)
      return -1;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (lws_is_final_fragment(wsi))
      on_message(c);
    return 0;
  case LWS_CALLBACK_CLIENT_WRITEABLE: {
    frame *f = c->head;
    if (f == NULL)
      return 0;
    if (lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_BINARY) < 0)
      return -1;
    c->head = f->next;
    if (c->head == NULL)
      c->tail = NULL;
    c->n_out--;
    free(f->buf);
    free(f);
    if (c->head != NULL)
      lws_callback_on_writable(wsi);
    maybe_finish(c);
    return 0;
  }
  case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    if (len >= 2) {
      const unsigned char *b = in;
      c->close_code = (b[0] << 8) | b[1];
      fprintf(stderr, "siaga-responder: closed by the server: %d %.*s\n", c->close_code,
              (int)(len - 2), (const char *)in + 2);
    }
    return 0;
  case LWS_CALLBACK_CLIENT_CLOSED:
    c->ws = NULL;
    if (c->done)
      return 0;
    if (c->close_code == 4003) {
      fprintf(stderr, "siaga-responder: the unit's token has ended\n");
      finish(c, 3);
    } else if (c->stdin_eof) {
      finish(c, 0);
    } else {
      if (c->close_code == 4001)
        c->state.last_update_id[0] = '\0'; /* the server lost its place: start afresh */
      schedule_reconnect(c);
    }
    return 0;
  default:
    return 0;
  }
}

/* ---- standard input ---- */

static int on_stdin(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len) {
  client *c = lws_context_user(lws_get_context(wsi));
  (void)user;
  (void)in;
  (void)len;
  switch (reason) {
  case LWS_CALLBACK_RAW_RX_FILE: {
    char buf[4096];
    ssize_t n = read(lws_get_socket_fd(wsi), buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return 0;
    if (n <= 0)
      return -1; /* closes the descriptor's wsi: RAW_CLOSE_FILE */
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] != '\n') {
        if (c->line_len + 1 < sizeof(c->line))
          c->line[c->line_len++] = buf[i];
        else
          c->line_too_long = 1;
        continue;
      }
      c->line[c->line_len] = '\0';
      if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
        c->line[c->line_len - 1] = '\0';
      if (c->line_too_long)
        fprintf(stderr, "siaga-responder: line too long; ignored\n");
      else if (strcmp(c->line, "quit") == 0)
        finish(c, 0);
      else
        send_line(c, c->line);
      c->line_len = 0;
      c->line_too_long = 0;
    }
    return 0;
  }
  case LWS_CALLBACK_RAW_CLOSE_FILE: /* the end of input, read or hung up */
    if (!c->stdin_eof) {
      c->stdin_eof = 1;
      lws_sul_schedule(c->ctx, 0, &c->drain, on_drain_timeout,
                       (lws_usec_t)DRAIN_S * LWS_US_PER_SEC);
      maybe_finish(c);
    }
    return 0;
  default:
    return 0;
  }
}

static void on_signal(int sig) {
  (void)sig;
  interrupted = 1;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {{"url", required_argument, NULL, 'u'},
                                           {"token", required_argument, NULL, 't'},
                                           {"json", no_argument, NULL, 'j'},
                                           {"ca", required_argument, NULL, 'c'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};
  static client c;
  const char *url = NULL, *token = NULL;
  int opt;
  while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (opt) {
    case 'u':
      url = optarg;
      break;
    case 't':
      token = optarg;
      break;
    case 'j':
      c.json = 1;
      break;
    case 'c':
      c.ca = optarg;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (url == NULL || token == NULL || optind < argc || parse_url(&c, url) != 0 || (c.ca && !c.tls) ||
      strlen(token) > 96 || strpbrk(token, "\r\n") != NULL) {
    usage(stderr);
    return 2;
  }
  snprintf(c.auth, sizeof(c.auth), "Bearer %s", token);
  if ((c.rx = malloc(RX_MAX)) == NULL)
    return 1;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  lws_set_log_level(LLL_ERR, NULL);

  static const struct lws_protocols protocols[] = {{PROTOCOL, on_ws, 0, 65536, 0, NULL, 0},
                                                   {"stdin", on_stdin, 0, 0, 0, NULL, 0},
                                                   {NULL, NULL, 0, 0, 0, NULL, 0}};
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof(info));
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = protocols;
  info.user = &c;
  info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
  if (c.tls) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = c.ca;
  }
  if ((c.ctx = lws_create_context(&info)) == NULL) {
    fprintf(stderr, "siaga-responder: cannot start libwebsockets\n");
    return 1;
  }
  struct lws_vhost *vh = lws_create_vhost(c.ctx, &info);
  lws_sock_file_fd_type fd = {.filefd = 0};
  if (vh == NULL ||
      lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "stdin", NULL) == NULL) {
    fprintf(stderr, "siaga-responder: cannot read standard input\n");
    lws_context_destroy(c.ctx);
    return 1;
  }
  connect_now(&c);
  /* Bounded by the signals, the end of input (with its drain timer) and a
   * refused first connection. */
  while (!c.done && !interrupted && lws_service(c.ctx, 0) >= 0)
    ;
  c.done = 1; /* the closes the context makes are no reason to reconnect */
  lws_context_destroy(c.ctx);
  while (c.head != NULL) {
    frame *f = c.head;
    c.head = f->next;
    free(f->buf);
    free(f);
  }
  free(c.rx);
  return c.status;
}
