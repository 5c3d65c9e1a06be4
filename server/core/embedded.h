/* Files built into the binaries (Lua scripts, the console page).
 * The table is generated at build time by cmake/embed.cmake; data is static
 * and NUL-terminated, owned by the program, never freed. */
#ifndef SG_EMBEDDED_H
#define SG_EMBEDDED_H

#include <stddef.h>

typedef struct sg_embedded_file {
  const char *name; /* base name, e.g. "transition.lua" */
  const unsigned char *data;
  size_t size; /* without the trailing NUL */
} sg_embedded_file;

extern const sg_embedded_file sg_embedded_files[];

/* Returns the file of that base name, or NULL. */
const sg_embedded_file *sg_embedded_find(const char *name);

#endif
