/* A strict JSON reader for hostile input: RFC 8259 and nothing more, read in
 * one pass into a compact tree of values held in two blocks (the values and
 * their strings), not one allocation per value. It refuses what jansson with
 * JSON_REJECT_DUPLICATES refuses: invalid UTF-8 (overlongs, surrogates,
 * code points above U+10FFFF, cut sequences), control characters in strings,
 * invalid escapes, lone surrogates in \u escapes, \u0000, duplicate keys in
 * one object, leading zeros, "+1", ".5", "1.", integer literals outside the
 * int64 range, reals that overflow a double, and anything after the value.
 * Nesting is bounded while reading, so a deep document cannot exhaust the
 * stack. No global state: safe to call from any thread.
 *
 * The tree is flat: a document is an array of values in document order, and
 * an array or object is followed by its children, each child spanning its own
 * subtree. Walk children with SG_JSONREAD_FOREACH. */
#ifndef SG_JSONREAD_H
#define SG_JSONREAD_H

#include <stddef.h>
#include <stdint.h>

/* Containers nest at most this deep whatever the caller asks: the reader
 * recurses once per level. */
#define SG_JSONREAD_DEPTH_LIMIT 256

/* Error codes, all negative; sg_jsonread_strerror names them. */
enum sg_jsonread_status {
  SG_JSONREAD_OK = 0,
  SG_JSONREAD_ESYNTAX = -1, /* not JSON, or JSON this reader refuses */
  SG_JSONREAD_EDEPTH = -2,  /* nested deeper than the caller's limit */
  SG_JSONREAD_ENOMEM = -3,
  SG_JSONREAD_ETOOBIG = -4, /* input of 4 GiB or more */
};

enum sg_jsonread_type {
  SG_JSONREAD_NULL,
  SG_JSONREAD_FALSE,
  SG_JSONREAD_TRUE,
  SG_JSONREAD_INTEGER, /* a literal with no fraction and no exponent */
  SG_JSONREAD_REAL,    /* any other number, always finite */
  SG_JSONREAD_STRING,
  SG_JSONREAD_ARRAY,
  SG_JSONREAD_OBJECT,
};

typedef struct sg_jsonread_value {
  enum sg_jsonread_type type;
  uint32_t span; /* values in this value's subtree, itself included */
  /* For a member of an object, its key (NUL-terminated, valid UTF-8, no NUL
   * inside); NULL for array elements and the root. */
  const char *key;
  uint32_t key_len;
  uint32_t key_offset; /* byte offset of the key's opening quote in the input */
  union {
    int64_t integer;
    double real;
    struct {
      const char *str; /* NUL-terminated, valid UTF-8, no NUL inside */
      size_t len;
    } string;
    size_t count; /* elements of an array, members of an object */
  } u;
} sg_jsonread_value;

/* A parsed document. Everything it points to lives until
 * sg_jsonread_close. */
typedef struct sg_jsonread_doc {
  sg_jsonread_value *values; /* values[0] is the root */
  size_t n_values;
  char *strings; /* the unescaped keys and strings, owned here */
} sg_jsonread_doc;

/* Where and why a document was refused. line and column count from 1;
 * column counts characters, not bytes. reason is a static English phrase. */
typedef struct sg_jsonread_error {
  size_t line, column, offset;
  const char *reason;
} sg_jsonread_error;

/* Reads exactly len bytes of json (which need not be NUL-terminated; nothing
 * past len is read) into doc. Arrays and objects may nest max_depth deep
 * (the root container is at depth 1), capped at SG_JSONREAD_DEPTH_LIMIT. On
 * success returns 0 and the caller must sg_jsonread_close(doc). On failure
 * returns a negative sg_jsonread_status, leaves doc empty (closing it is
 * allowed and does nothing) and fills err if it is not NULL. */
int sg_jsonread_parse(sg_jsonread_doc *doc, const char *json, size_t len, unsigned max_depth,
                      sg_jsonread_error *err);

/* Frees what sg_jsonread_parse allocated and empties doc. */
void sg_jsonread_close(sg_jsonread_doc *doc);

const char *sg_jsonread_strerror(int status);

/* The string member name of the object obj (its bytes and *len), or NULL
 * when obj is no object or has no such member of type string. */
const char *sg_jsonread_member_string(const sg_jsonread_value *obj, const char *name, size_t *len);

/* The value after v and its subtree: v's next sibling, when it has one. */
static inline const sg_jsonread_value *sg_jsonread_skip(const sg_jsonread_value *v) {
  return v + v->span;
}

/* Visits each element of an array or member of an object parent, as child,
 * with i counting from 0. */
#define SG_JSONREAD_FOREACH(parent, i, child)                                                      \
  for ((i) = 0, (child) = (parent) + 1; (i) < (parent)->u.count;                                   \
       (i)++, (child) = sg_jsonread_skip(child))

#endif
