#include "core/file.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/error.h"

int sg_file_read(const char *path, size_t max, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return SG_EIO;
  /* One byte more than allowed tells a file of exactly max from a longer one. */
  char *buf = malloc(max + 2);
  if (!buf) {
    fclose(f);
    return SG_ENOMEM;
  }
  size_t n = fread(buf, 1, max + 1, f);
  int err = ferror(f);
  fclose(f);
  if (err || n > max) {
    free(buf);
    return err ? SG_EIO : SG_ETOOBIG;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}
