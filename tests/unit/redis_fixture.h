/* The redis-server of a unit test run: started by start_redis on a free
 * loopback port in a temporary directory, stopped (and its directory
 * removed) by stop_redis; fresh() connects to it with an empty database.
 * For the tests of the Redis half of a module (test_*_store.c); one per
 * test program, which includes this once. redis-server is taken from
 * SIAGA_REDIS_SERVER (CMake sets it) or PATH. */
#ifndef SG_TEST_REDIS_FIXTURE_H
#define SG_TEST_REDIS_FIXTURE_H

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int redis_port;
static pid_t redis_pid;
static char redis_dir[64];
/* Set before start_redis: the server runs with --cluster-enabled (for the
 * CLUSTER commands; no slot is assigned). */
static int redis_cluster_mode;

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    perror("free_port");
    exit(2);
  }
  close(fd);
  return ntohs(a.sin_port);
}

static void start_redis(void) {
  snprintf(redis_dir, sizeof(redis_dir), "/tmp/siaga-unit-redis-XXXXXX");
  if (mkdtemp(redis_dir) == NULL) {
    perror("mkdtemp");
    exit(2);
  }
  redis_port = free_port();
  char port[16], bus_port[16];
  snprintf(port, sizeof(port), "%d", redis_port);
  snprintf(bus_port, sizeof(bus_port), "%d", free_port()); /* port + 10000 may not exist */
  const char *bin = getenv("SIAGA_REDIS_SERVER");
  if (bin == NULL || bin[0] == '\0')
    bin = "redis-server";
  redis_pid = fork();
  if (redis_pid < 0) {
    perror("fork");
    exit(2);
  }
  if (redis_pid == 0) {
    /* Redis goes when this runner goes, even if it is killed. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    execlp(bin, bin, "--port", port, "--bind", "127.0.0.1", "--dir", redis_dir, "--save", "",
           "--appendonly", "no", "--logfile", "redis.log", "--cluster-enabled",
           redis_cluster_mode ? "yes" : "no", "--cluster-port", bus_port, (char *)NULL);
    fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
    _exit(127);
  }
  for (int i = 0; i < 200; i++) { /* 10 s */
    redisContext *c = redisConnect("127.0.0.1", redis_port);
    redisReply *reply = c != NULL && c->err == 0 ? redisCommand(c, "PING") : NULL;
    int up = reply != NULL && reply->type == REDIS_REPLY_STATUS;
    freeReplyObject(reply);
    redisFree(c);
    if (up)
      return;
    int status;
    if (waitpid(redis_pid, &status, WNOHANG) == redis_pid) {
      fprintf(stderr, "redis-server exited before answering PING\n");
      exit(2);
    }
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
  }
  fprintf(stderr, "redis-server did not answer PING in 10 s\n");
  kill(redis_pid, SIGKILL);
  exit(2);
}

static void stop_redis(void) {
  kill(redis_pid, SIGTERM);
  int status;
  waitpid(redis_pid, &status, 0);
  DIR *d = opendir(redis_dir);
  struct dirent *e;
  while (d != NULL && (e = readdir(d)) != NULL) {
    char path[512];
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", redis_dir, e->d_name);
    unlink(path);
  }
  if (d != NULL)
    closedir(d);
  rmdir(redis_dir);
}

/* A connection to an empty database. */
static redisContext *fresh(void) {
  redisContext *c = redisConnect("127.0.0.1", redis_port);
  CHECK(c != NULL && c->err == 0);
  redisReply *reply = redisCommand(c, "FLUSHALL");
  CHECK(reply != NULL && reply->type == REDIS_REPLY_STATUS);
  freeReplyObject(reply);
  return c;
}

/* A command's integer answer. */
static long long int_of(redisContext *c, const char *fmt, const char *arg) {
  redisReply *reply = redisCommand(c, fmt, arg);
  CHECK(reply != NULL && reply->type == REDIS_REPLY_INTEGER);
  long long v = reply->integer;
  freeReplyObject(reply);
  return v;
}

#endif
