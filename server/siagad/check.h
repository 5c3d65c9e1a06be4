/* siagad --check-config: every option parsed as siagad would take it (a bad
 * one was refused already, by sg_siagad_options_parse), then what the
 * options name is read as siagad would read it at start: the gazetteer, the
 * unit kinds, the triage protocol, Leaflet, and the listening port. Nothing
 * is started and Redis is not asked: a configuration is checked before the
 * store is up, as nginx -t does. */
#ifndef SG_SIAGAD_CHECK_H
#define SG_SIAGAD_CHECK_H

#include <stdio.h>

#include "siagad/options.h"

/* Writes one line per problem (what, which option, why) and a last line
 * saying the verdict to out. 0 when siagad would start with o, 2 otherwise;
 * a warning (no Leaflet, no --kannel-sendsms) does not fail it. */
int sg_siagad_check_config(const sg_siagad_options *o, FILE *out);

#endif
