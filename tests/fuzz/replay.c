/* The fuzz targets without libFuzzer: feeds each file named on the command
 * line (or each file of a directory named there) to LLVMFuzzerTestOneInput
 * once, so the committed corpora, crash regressions with them, run in the
 * ordinary ASan+UBSan suite. A crash fails the test by itself; a target
 * that returns non-zero, or an empty corpus, fails it too. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_FILE_MAX (1 << 20)

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", path);
    return -1;
  }
  uint8_t *buf = malloc(REPLAY_FILE_MAX);
  size_t n = buf != NULL ? fread(buf, 1, REPLAY_FILE_MAX, f) : 0;
  int too_big = buf != NULL && n == REPLAY_FILE_MAX && fgetc(f) != EOF;
  fclose(f);
  if (buf == NULL || too_big) {
    fprintf(stderr, "replay: %s: %s\n", path, buf == NULL ? "out of memory" : "over 1 MiB");
    free(buf);
    return -1;
  }
  /* A copy of exactly n bytes, so ASan sees a read past the input. */
  uint8_t *exact = malloc(n > 0 ? n : 1);
  if (exact == NULL) {
    free(buf);
    return -1;
  }
  memcpy(exact, buf, n);
  free(buf);
  int rc = LLVMFuzzerTestOneInput(exact, n);
  free(exact);
  if (rc != 0)
    fprintf(stderr, "replay: %s: the target returned %d\n", path, rc);
  return rc == 0 ? 0 : -1;
}

static int replay_dir(const char *dir, int *count) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    fprintf(stderr, "replay: cannot open %s\n", dir);
    return -1;
  }
  int failed = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    failed |= replay_file(path) != 0;
    (*count)++;
  }
  closedir(d);
  return failed ? -1 : 0;
}

int main(int argc, char **argv) {
  int failed = 0, count = 0;
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      failed |= replay_dir(argv[i], &count) != 0;
    } else {
      failed |= replay_file(argv[i]) != 0;
      count++;
    }
  }
  printf("replay: %d inputs, %s\n", count, failed ? "FAILED" : "ok");
  return failed || count == 0 ? 1 : 0;
}
