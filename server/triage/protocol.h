/* The triage protocol as data: chief complaints (categories) with their base
 * points, determinants (the cues of text/cue.h) with their level, points and
 * the complaints where they do not count, the priority thresholds and
 * corroboration. Read from a TSV file whose format is documented at the top
 * of data/protocol/triage-protocol.tsv (built in). rules.c scores with the
 * active protocol; the cue phrases stay in the lexicon (text/lexicon.c).
 *
 * A protocol is immutable once loaded and may be read by any thread. */
#ifndef SG_PROTOCOL_H
#define SG_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "text/textscan.h"

typedef struct sg_protocol sg_protocol;

/* Complaint flags (the file's flags column). */
enum {
  SG_PROTOCOL_VICTIM = 1u << 0,   /* as a second complaint, its graver base counts */
  SG_PROTOCOL_UNSCORED = 1u << 1, /* determinants shown, scoring nothing */
};

/* One determinant row, in file order. Owned by its protocol. */
typedef struct sg_protocol_determinant {
  uint32_t cue;      /* one SG_CUE_* bit */
  const char *name;  /* its stable name, "trapped" */
  const char *level; /* "DELTA" */
  int points;
  uint32_t not_in; /* bit (1 << sg_textscan_category) per complaint where it scores 0 */
  const char *id;  /* Bahasa Indonesia */
  const char *en;
} sg_protocol_determinant;

/* Parses a protocol from buf[0..len). On success *out owns a new protocol
 * (free with sg_protocol_destroy). On failure returns SG_EFORMAT (a bad row
 * or a missing complaint or determinant), SG_ETOOBIG or SG_ENOMEM, *out is
 * NULL, *bad_line the 1-based line (the last line for what is missing) and
 * *why a static reason. bad_line and why may be NULL. */
int sg_protocol_load_buffer(const char *buf, size_t len, sg_protocol **out, int *bad_line,
                            const char **why);

/* Same, from a file; also SG_EIO (then *bad_line is 0). */
int sg_protocol_load(const char *path, sg_protocol **out, int *bad_line, const char **why);

void sg_protocol_destroy(sg_protocol *p);

/* The built-in protocol, parsed once on first use; never NULL (a unit test
 * loads the same file, so a bad one never ships). */
const sg_protocol *sg_protocol_builtin(void);

/* The protocol triage scores with: the one passed to sg_protocol_use, else
 * the built-in. sg_protocol_use is called at start, before any thread
 * scores; p stays owned by the caller and must outlive its use (NULL goes
 * back to the built-in). */
const sg_protocol *sg_protocol_active(void);
void sg_protocol_use(const sg_protocol *p);

/* Loads path (sg_protocol_load) and makes it the active protocol for the
 * rest of the process, kept until exit as the built-in one is: the
 * --triage-protocol option of siaga-worker and siagad, called at start.
 * On failure returns the error and writes "PATH:LINE: reason" (or "PATH:
 * reason") into err. */
int sg_protocol_use_file(const char *path, char *err, size_t err_size);

int sg_protocol_complaint_points(const sg_protocol *p, sg_textscan_category c);
int sg_protocol_complaint_is(const sg_protocol *p, sg_textscan_category c, unsigned flag);
const char *sg_protocol_complaint_id(const sg_protocol *p, sg_textscan_category c);
const char *sg_protocol_complaint_en(const sg_protocol *p, sg_textscan_category c);

/* Determinants in file order, k < SG_CUE_COUNT (each cue is listed once). */
const sg_protocol_determinant *sg_protocol_determinant_at(const sg_protocol *p, size_t k);

/* A determinant's points in a complaint: 0 where it does not count or the
 * complaint is unscored. */
int sg_protocol_determinant_points(const sg_protocol *p, const sg_protocol_determinant *d,
                                   sg_textscan_category c);

/* The minimum score of priority level 1..3 (P1..P3). */
int sg_protocol_priority_min(const sg_protocol *p, int level);

/* Corroboration points for n_more further distinct reports. */
int sg_protocol_corroboration(const sg_protocol *p, size_t n_more);

int sg_protocol_unclear_plea(const sg_protocol *p);

/* Confidence (0..1) above which the text may contradict the app. */
double sg_protocol_text_disagrees(const sg_protocol *p);

#endif
