/* What a crew's SMS says: its answer to an assignment or a status word,
 * with or without the reference, in either order ("1", "TERIMA PLK-000042",
 * "plk-000042 2 ban bocor", "OTW", "tiba", "Selesai."). Pure. */
#ifndef SG_SMSWORD_H
#define SG_SMSWORD_H

#include <stddef.h>

#define SG_SMSWORD_REF_MAX 48     /* an incident or assignment id */
#define SG_SMSWORD_REASON_MAX 200 /* bytes of a decline's reason */

typedef enum sg_smsword_kind {
  SG_SMSWORD_NONE = 0, /* not a word the crew's SMS knows */
  SG_SMSWORD_ACCEPT,   /* 1, TERIMA */
  SG_SMSWORD_DECLINE,  /* 2, TOLAK */
  SG_SMSWORD_EN_ROUTE, /* OTW */
  SG_SMSWORD_ON_SCENE, /* TIBA */
  SG_SMSWORD_CLEAR     /* SELESAI */
} sg_smsword_kind;

typedef struct sg_smsword {
  sg_smsword_kind kind;
  char ref[SG_SMSWORD_REF_MAX + 1];       /* upper-cased, "" when none */
  char reason[SG_SMSWORD_REASON_MAX + 1]; /* the words after, for a decline; "" when none */
} sg_smsword;

/* Reads text[0..len) (UTF-8) into out. Returns out->kind. */
sg_smsword_kind sg_smsword_parse(const char *text, size_t len, sg_smsword *out);

#endif
