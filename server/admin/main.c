/* siaga-admin: manages the accounts and units of a region and writes its
 * reports (admin/report.h), talking to Redis directly
 * (blocking hiredis: one command at a time is all a person at a terminal
 * needs). Passwords are read from standard input, never from the command
 * line (it is visible in ps and shell history), and only their Argon2id
 * hash is stored. Each change is one account.lua call. */
#include <getopt.h>
#include <hiredis/hiredis.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admin/admin.h"
#include "admin/report.h"
#include "auth/auth.h"
#include "auth/password.h"
#include "core/clock.h"
#include "core/embedded.h"
#include "core/hostport.h"
#include "store/keys.h"
#include "siaga_version.h"
#include "store/cluster.h"
#include "store/sentinel.h"

typedef sg_admin admin;

static void usage(FILE *out) {
  fprintf(out,
          "usage: siaga-admin [--redis HOST:PORT] [--region NAME] COMMAND\n"
          "\n"
          "  user add NAME --role ROLE [--generate-password]\n"
          "                     ROLE is dispatcher, supervisor or admin; the password is\n"
          "                     read from standard input (at least %d characters), or\n"
          "                     made up and printed once with --generate-password\n"
          "  user list          every account: name, role, enabled or disabled\n"
          "  user passwd NAME   a new password from standard input; ends its sessions\n"
          "  user disable NAME  refuses its sign-ins and ends its sessions at once\n"
          "  user enable NAME\n"
          "\n"
          "  unit add ID --kind K --name N --phone +62... --station S\n"
          "                     registers a unit (ID such as AMB-01; K one of the kinds\n"
          "                     of data/unit_kinds.tsv); prints its token once\n"
          "  unit list          every unit: id, kind, status, enabled, phone, name\n"
          "  unit disable ID    refuses its token at once\n"
          "  unit enable ID     (give it a token again with unit token)\n"
          "  unit token ID      a new token, printed once; the old one ends at once\n"
          "\n"
          "  report --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR]\n"
          "                     the centre's counts and response times for those days\n"
          "                     (both included; days in " SG_REPORT_TZ_NAME "): CSV files\n"
          "                     and report.svg in DIR (default: the current directory)\n"
          "\n"
          "  --redis HOST:PORT  Redis server holding the region (default 127.0.0.1:6379)\n"
          "  --sentinel HOST:PORT[,HOST:PORT...] --sentinel-master NAME\n"
          "                     instead of --redis: the primary these sentinels name\n"
          "  --cluster HOST:PORT[,HOST:PORT...]\n"
          "                     instead of --redis: seed nodes of a Redis Cluster; the\n"
          "                     primary owning the region's slot is used\n"
          "  --region NAME      region key tag (default " SG_REGION_DEFAULT ")\n"
          "  --version          the version\n",
          SG_PASSWORD_MIN);
}

/* Reads one line (without its newline) into buf, without echo when standard
 * input is a terminal. -1 if there is none or it is too long. */
static int read_password(char *buf, size_t size) {
  struct termios old, quiet;
  int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    fprintf(stderr, "password: ");
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  char *line = fgets(buf, (int)size, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fprintf(stderr, "\n");
  }
  if (line == NULL)
    return -1;
  size_t n = strlen(buf);
  if (n > 0 && buf[n - 1] == '\n')
    buf[--n] = '\0';
  else if (n == size - 1)
    return -1; /* longer than the buffer */
  if (n > 0 && buf[n - 1] == '\r')
    buf[--n] = '\0';
  return 0;
}

/* A password of 20 letters and digits without look-alikes (about 114
 * bits), easy to type from a printout. */
static void make_password(char out[21]) {
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  for (int i = 0; i < 20; i++)
    out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
  out[20] = '\0';
}

/* One account.lua call. Prints the error and returns -1 on failure. */
static int account(admin *a, const char *op, const char *name, const char *role, const char *pwhash,
                   long long *result) {
  char k_user[SG_KEY_MAX], k_sessions[SG_KEY_MAX], k_users[SG_KEY_MAX], k_epoch[SG_KEY_MAX];
  char now[24];
  const sg_embedded_file *f = sg_embedded_find("account.lua");
  if (f == NULL || sg_key2(k_user, sizeof(k_user), a->region, "user", name) < 0 ||
      sg_key2(k_sessions, sizeof(k_sessions), a->region, "sessions", name) < 0 ||
      sg_key(k_users, sizeof(k_users), a->region, "users") < 0 ||
      sg_key(k_epoch, sizeof(k_epoch), a->region, "auth:epoch") < 0) {
    fprintf(stderr, "siaga-admin: cannot build the keys\n");
    return -1;
  }
  snprintf(now, sizeof(now), "%llu", (unsigned long long)sg_clock_now_ms());
  const char *argv[] = {"EVAL",     (const char *)f->data,
                        "4",        k_user,
                        k_sessions, k_users,
                        k_epoch,    op,
                        name,       role,
                        pwhash,     now};
  redisReply *r = redisCommandArgv(a->c, 12, argv, NULL);
  if (r == NULL) {
    fprintf(stderr, "siaga-admin: Redis: %s\n", a->c->errstr);
    return -1;
  }
  int rc = 0;
  if (r->type == REDIS_REPLY_ERROR) {
    if (strstr(r->str, "exists") != NULL)
      fprintf(stderr, "siaga-admin: the account %s exists already\n", name);
    else if (strstr(r->str, "unknown") != NULL)
      fprintf(stderr, "siaga-admin: there is no account %s\n", name);
    else
      fprintf(stderr, "siaga-admin: Redis: %s\n", r->str);
    rc = -1;
  } else if (result != NULL) {
    *result = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
  }
  freeReplyObject(r);
  return rc;
}

/* The password to set: made up and printed, or read and checked. */
static int new_password_hash(int generate, char hash[SG_PASSWORD_HASH_MAX]) {
  char pw[SG_PASSWORD_MAX + 2];
  if (generate) {
    make_password(pw);
  } else if (read_password(pw, sizeof(pw)) != 0) {
    fprintf(stderr, "siaga-admin: no password on standard input (at most %d bytes)\n",
            SG_PASSWORD_MAX);
    return -1;
  } else if (strlen(pw) < SG_PASSWORD_MIN) {
    fprintf(stderr, "siaga-admin: a password needs at least %d characters\n", SG_PASSWORD_MIN);
    return -1;
  }
  int rc = sg_password_hash(pw, strlen(pw), hash);
  if (rc == 0 && generate)
    printf("password: %s\n", pw);
  memset(pw, 0, sizeof(pw));
  if (rc != 0)
    fprintf(stderr, "siaga-admin: cannot hash the password: %s\n", sg_strerror(rc));
  return rc == 0 ? 0 : -1;
}

static int user_list(admin *a) {
  char k_users[SG_KEY_MAX];
  sg_key(k_users, sizeof(k_users), a->region, "users");
  redisReply *names = redisCommand(a->c, "SORT %s ALPHA", k_users);
  if (names == NULL || names->type != REDIS_REPLY_ARRAY) {
    fprintf(stderr, "siaga-admin: Redis: %s\n", names ? names->str : a->c->errstr);
    freeReplyObject(names);
    return -1;
  }
  for (size_t i = 0; i < names->elements; i++) {
    char k_user[SG_KEY_MAX];
    if (sg_key2(k_user, sizeof(k_user), a->region, "user", names->element[i]->str) < 0)
      continue;
    redisReply *u = redisCommand(a->c, "HMGET %s role disabled", k_user);
    if (u != NULL && u->type == REDIS_REPLY_ARRAY && u->elements == 2)
      printf("%-32s %-11s %s\n", names->element[i]->str,
             u->element[0]->str ? u->element[0]->str : "?",
             u->element[1]->str && strcmp(u->element[1]->str, "1") == 0 ? "disabled" : "enabled");
    freeReplyObject(u);
  }
  freeReplyObject(names);
  return 0;
}

static int user_command(admin *a, int argc, char **argv) {
  if (argc < 1)
    return 2;
  const char *verb = argv[0];
  if (strcmp(verb, "list") == 0)
    return argc == 1 ? (user_list(a) == 0 ? 0 : 1) : 2;
  if (argc < 2)
    return 2;
  const char *name = argv[1];
  if (!sg_auth_name_valid(name)) {
    fprintf(stderr,
            "siaga-admin: a name is 1..%d of a-z 0-9 . _ - (starting with a letter or "
            "digit), not \"%s\"\n",
            SG_AUTH_NAME_MAX, name);
    return 1;
  }
  char hash[SG_PASSWORD_HASH_MAX] = "";
  long long ended = 0;
  if (strcmp(verb, "add") == 0) {
    const char *role = NULL;
    int generate = 0;
    for (int i = 2; i < argc; i++) {
      if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
        role = argv[++i];
      else if (strcmp(argv[i], "--generate-password") == 0)
        generate = 1;
      else
        return 2;
    }
    sg_role r = role != NULL ? sg_role_parse(role) : SG_ROLE_NONE;
    if (r != SG_ROLE_DISPATCHER && r != SG_ROLE_SUPERVISOR && r != SG_ROLE_ADMIN) {
      fprintf(stderr, "siaga-admin: --role is dispatcher, supervisor or admin\n");
      return 1;
    }
    if (new_password_hash(generate, hash) != 0 || account(a, "add", name, role, hash, NULL) != 0)
      return 1;
    printf("added %s (%s)\n", name, role);
    return 0;
  }
  if (argc != 2)
    return 2;
  if (strcmp(verb, "passwd") == 0) {
    if (new_password_hash(0, hash) != 0 || account(a, "passwd", name, "", hash, &ended) != 0)
      return 1;
    printf("changed the password of %s; %lld session(s) ended\n", name, ended);
  } else if (strcmp(verb, "disable") == 0) {
    if (account(a, "disable", name, "", "", &ended) != 0)
      return 1;
    printf("disabled %s; %lld session(s) ended\n", name, ended);
  } else if (strcmp(verb, "enable") == 0) {
    if (account(a, "enable", name, "", "", NULL) != 0)
      return 1;
    printf("enabled %s\n", name);
  } else {
    return 2;
  }
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {{"redis", required_argument, NULL, 'r'},
                                           {"sentinel", required_argument, NULL, 's'},
                                           {"sentinel-master", required_argument, NULL, 'm'},
                                           {"cluster", required_argument, NULL, 'C'},
                                           {"region", required_argument, NULL, 'g'},
                                           {"help", no_argument, NULL, 'h'},
                                           {"version", no_argument, NULL, 'v'},
                                           {NULL, 0, NULL, 0}};
  char host[256] = "127.0.0.1";
  int port = 6379;
  sg_sentinel_list sentinels = {.n = 0}, seeds = {.n = 0};
  const char *master = NULL;
  admin a = {.region = SG_REGION_DEFAULT};
  int c;
  /* "+": options stop at the first command word, so "user add x --role r"
   * keeps its own. */
  while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
    if (c == 'r' && sg_hostport_parse(optarg, host, sizeof(host), &port) == 0)
      continue;
    if (c == 's' && sg_sentinel_parse(optarg, &sentinels) == 0)
      continue;
    if (c == 'C' && sg_sentinel_parse(optarg, &seeds) == 0)
      continue;
    if (c == 'm' && sg_sentinel_name_valid(optarg)) {
      master = optarg;
      continue;
    }
    if (c == 'g' && sg_key_region_valid(optarg)) {
      a.region = optarg;
      continue;
    }
    if (c == 'h') {
      usage(stdout);
      return 0;
    }
    if (c == 'v') {
      printf("siaga-admin %s\n", SG_VERSION);
      return 0;
    }
    if (c == 'r' || c == 'g' || c == 's' || c == 'm' || c == 'C')
      fprintf(stderr, "siaga-admin: bad --%s \"%s\"\n",
              c == 'r'   ? "redis"
              : c == 'g' ? "region"
              : c == 's' ? "sentinel"
              : c == 'C' ? "cluster"
                         : "sentinel-master",
              optarg);
    usage(stderr);
    return 2;
  }
  const char *what = optind < argc ? argv[optind] : "";
  int is_unit = strcmp(what, "unit") == 0, is_report = strcmp(what, "report") == 0;
  if ((strcmp(what, "user") != 0 && !is_unit && !is_report) ||
      (sentinels.n > 0) != (master != NULL) || (seeds.n > 0 && sentinels.n > 0)) {
    usage(stderr);
    return 2;
  }
  if (sg_password_init() != 0) {
    fprintf(stderr, "siaga-admin: libsodium failed to start\n");
    return 1;
  }
  if (seeds.n > 0) {
    char err[256];
    size_t next = 0;
    a.c = sg_cluster_connect(&seeds, &next, sg_cluster_region_slot(a.region), 5000, host,
                             sizeof(host), &port, err, sizeof(err));
    if (a.c == NULL) {
      fprintf(stderr, "siaga-admin: no primary for region %s from the cluster: %s\n", a.region,
              err);
      return 1;
    }
  } else if (sentinels.n > 0) {
    char err[256];
    size_t next = 0;
    a.c = sg_sentinel_connect(&sentinels, &next, master, 5000, host, sizeof(host), &port, err,
                              sizeof(err));
    if (a.c == NULL) {
      fprintf(stderr, "siaga-admin: no primary \"%s\" from the sentinels: %s\n", master, err);
      return 1;
    }
  } else {
    a.c = redisConnectWithTimeout(host, port, (struct timeval){5, 0});
  }
  if (a.c == NULL || a.c->err) {
    fprintf(stderr, "siaga-admin: cannot reach Redis at %s:%d: %s\n", host, port,
            a.c ? a.c->errstr : "out of memory");
    redisFree(a.c);
    return 1;
  }
  redisSetTimeout(a.c, (struct timeval){10, 0});
  int rest = argc - optind - 1;
  char **args = argv + optind + 1;
  int rc = is_unit     ? sg_admin_unit_command(&a, rest, args)
           : is_report ? sg_admin_report_command(&a, rest, args)
                       : user_command(&a, rest, args);
  redisFree(a.c);
  if (rc == 2)
    usage(stderr);
  return rc;
}
