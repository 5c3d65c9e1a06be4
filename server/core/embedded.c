#include "core/embedded.h"

#include <string.h>

const sg_embedded_file *sg_embedded_find(const char *name) {
  for (const sg_embedded_file *f = sg_embedded_files; f->name != NULL; f++) {
    if (strcmp(f->name, name) == 0)
      return f;
  }
  return NULL;
}
