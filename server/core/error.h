/* The one error table. Every function of siaga that can fail returns 0 (or
 * a count) on success and a negative code on failure, and sg_strerror names
 * any such code in words an operator can act on.
 *
 * One int carries either kind of failure: a libuv or system error (libuv's
 * UV_E* codes, which are negated errno values on Linux, e.g. UV_EMFILE) or
 * one of siaga's own below, which start at -30000 so they never meet a
 * libuv or errno code. A module documents which codes it returns; it does
 * not invent a table of its own. */
#ifndef SG_ERROR_H
#define SG_ERROR_H

#define SG_ERROR_MAP(X)                                                                            \
  X(ENOMEM, "out of memory")                                                                       \
  X(EINVAL, "invalid argument")                                                                    \
  X(ESYNTAX, "malformed input")                                                                    \
  X(EDEPTH, "input nested too deeply")                                                             \
  X(ETOOBIG, "input too large")                                                                    \
  X(EIO, "cannot read the file")                                                                   \
  X(EFORMAT, "a line of the file is not in the documented format")                                 \
  X(EUNSUPPORTED, "not supported")                                                                 \
  X(EUNAVAIL, "Redis is not connected")                                                            \
  X(EBUSY, "too many requests in flight")                                                          \
  X(ETIMEDOUT, "timed out")                                                                        \
  X(EREPLY, "Redis answered something unexpected")                                                 \
  X(ESCRIPT, "a Lua script is not built into the binary")                                          \
  X(ECONFLICT, "the record kept changing under us")                                                \
  X(EFULL, "the connection limit is reached")                                                      \
  X(ENOSPC, "no room left for another")                                                      \
  X(ECLOSED, "the connection is closed")                                                           \
  X(ECRYPTO, "the cryptography library failed")

#define SG_ERROR_BASE (-30000)

typedef enum sg_error {
  SG_OK = 0,
  SG_ERROR__FIRST = SG_ERROR_BASE, /* not an error: the codes follow it */
#define SG_ERROR_ENUM(name, text) SG_##name,
  SG_ERROR_MAP(SG_ERROR_ENUM)
#undef SG_ERROR_ENUM
} sg_error;

/* A static string for any negative code, siaga's or libuv's; "ok" for 0 and
 * non-negative values. Never NULL. */
const char *sg_strerror(int err);

/* "ENOMEM" for SG_ENOMEM and libuv's name (e.g. "EMFILE") for its codes: the
 * stable name to log. */
const char *sg_errname(int err);

#endif
