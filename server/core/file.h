/* Reading a small data file whole (a lexicon, a gazetteer, the triage
 * protocol), bounded so that a path to a huge file fails cleanly. */
#ifndef SG_FILE_H
#define SG_FILE_H

#include <stddef.h>

/* Reads path into a new buffer of at most max bytes, NUL-terminated
 * (*out is the caller's, free with free(); *len without the NUL). Returns
 * 0; SG_EIO if it cannot be opened or read, SG_ETOOBIG if it is longer than
 * max, SG_ENOMEM; then *out is NULL. */
int sg_file_read(const char *path, size_t max, char **out, size_t *len);

#endif
