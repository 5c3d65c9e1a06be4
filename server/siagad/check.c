/* siagad --check-config (check.h). Each file is read by the same loader
 * siagad uses at start, so a check that passes is a start that reads it. */
#include "siagad/check.h"

#include <errno.h>

#include "api/assets.h"
#include "core/error.h"
#include "dispatch/kinds.h"
#include "http/listener.h"
#include "text/textscan.h"
#include "triage/protocol.h"

/* " at line N" for a format error with a line, "" otherwise. */
static void where(char *buf, size_t size, int rc, int line) {
  if (rc == SG_EFORMAT && line > 0)
    snprintf(buf, size, " at line %d", line);
  else
    buf[0] = '\0';
}

int sg_siagad_check_config(const sg_siagad_options *o, FILE *out) {
  int bad = 0, line = 0, rc;
  char at[32];

  sg_textscan_gazetteer *gaz = NULL;
  if (o->gazetteer != NULL) {
    rc = sg_textscan_gazetteer_load(o->gazetteer, &gaz, &line);
    where(at, sizeof(at), rc, line);
    if (rc != 0) {
      fprintf(out, "siagad: --gazetteer %s: %s%s\n", o->gazetteer, sg_strerror(rc), at);
      bad = 1;
    }
    sg_textscan_gazetteer_destroy(gaz);
  }

  sg_kinds *kinds = NULL;
  line = 0;
  rc = sg_kinds_load(o->dispatch.kinds_path, &kinds, &line);
  where(at, sizeof(at), rc, line);
  if (rc != 0) {
    fprintf(out, "siagad: --unit-kinds %s: %s%s\n",
            o->dispatch.kinds_path != NULL ? o->dispatch.kinds_path : "(built in)",
            sg_strerror(rc), at);
    bad = 1;
  }
  sg_kinds_destroy(kinds);

  if (o->triage_protocol != NULL) {
    char why[512];
    if (sg_protocol_use_file(o->triage_protocol, why, sizeof(why)) != 0) {
      fprintf(out, "siagad: --triage-protocol %s\n", why);
      bad = 1;
    }
  }

  /* A port another siagad serves is a start refused, unless shared on purpose. */
  if (!o->reuse_port) {
    rc = sg_listener_probe(o->listen_host, o->listen_port);
    if (rc != 0) {
      fprintf(out, "siagad: --listen %s:%d: %s%s\n", o->listen_host, o->listen_port,
              sg_strerror(rc),
              rc == -EADDRINUSE ? " (another siagad? --reuse-port shares it on purpose)" : "");
      bad = 1;
    }
  }

  sg_assets *assets = sg_assets_load(o->leaflet_dir);
  if (assets != NULL && sg_assets_find(assets, "leaflet.js") == NULL)
    fprintf(out, "siagad: warning: --leaflet-dir %s has no leaflet.js: the console has no map\n",
            o->leaflet_dir);
  sg_assets_destroy(assets);
  if (o->kannel_sendsms == NULL)
    fprintf(out, "siagad: warning: no --kannel-sendsms: SMS replies wait in the outbound stream\n");

  fprintf(out, "siagad: configuration %s\n", bad ? "refused" : "ok");
  return bad ? 2 : 0;
}
