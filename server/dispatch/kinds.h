/* Unit kinds and the incident categories each answers, read from
 * data/unit_kinds.tsv (its format is documented at the top of that file):
 * the recommendation's first filter. Pure: no I/O but the file read at load,
 * nothing kept between calls but the table. */
#ifndef SG_KINDS_H
#define SG_KINDS_H

#include <stddef.h>

#define SG_KINDS_NAME_MAX 15 /* bytes of a kind's name, [a-z_] */
#define SG_KINDS_MAX 64      /* kinds in one file */

typedef struct sg_kinds sg_kinds;

/* Parses the file's text buf[0..len). Returns 0 and *out (the caller
 * destroys it), or SG_EFORMAT with *line the 1-based line at fault,
 * SG_ENOMEM. */
int sg_kinds_load_buffer(const char *buf, size_t len, sg_kinds **out, int *line);

/* The same from a file; SG_EIO when it cannot be read. NULL path = the
 * built-in data/unit_kinds.tsv. */
int sg_kinds_load(const char *path, sg_kinds **out, int *line);

void sg_kinds_destroy(sg_kinds *kinds);

/* 1 if kind is in the table. */
int sg_kinds_known(const sg_kinds *kinds, const char *kind);

/* 1 if a unit of kind answers incidents of category. */
int sg_kinds_answers(const sg_kinds *kinds, const char *kind, const char *category);

/* "fire, ambulance, ..." of every kind, for messages. Writes into buf. */
const char *sg_kinds_list(const sg_kinds *kinds, char *buf, size_t size);

#endif
