/* The HTTP API of siagad: report ingest, incident reads, health and the
 * console page, served as an sg_http handler (the SMS webhooks are
 * sms/inbound's own handler). Routes and
 * status codes are listed in README.md.
 *
 * Every request body is hostile until validated: bodies need a
 * Content-Length (411 otherwise, chunked included), at most 64 KiB (413), a
 * known Content-Type (415), and must decode and validate (400, with a JSON
 * body {"code","message"}). A report is answered 202 only after Redis
 * confirmed the append; Redis unavailable gives 503 with Retry-After. A
 * client that leaves before its answer does not stop its report from being
 * stored. */
#ifndef SG_API_H
#define SG_API_H

#include "api/assets.h"
#include "auth/auth.h"
#include "citizen/abuse.h"
#include "http/peer.h"
#include "http/server.h"
#include "ws/hub.h"
#include "store/ingest.h"
#include "store/redisconn.h"

typedef struct sg_api sg_api;

/* redis, ingest, hub and trust must outlive the api object. trust names the
 * proxies whose X-Forwarded-For and -Proto are believed (http/peer.h): the
 * address app reports are counted by, and the Secure of the session
 * cookie; NULL trusts none. Returns NULL on out of memory. */
sg_api *sg_api_create(sg_redis *redis, sg_ingest *ingest, sg_hub *hub, const char *region,
                      const sg_peer_trust *trust);
/* The sessions that GET /v1/incidents* are checked against, and that
 * /v1/auth/login and /v1/auth/logout open and end (README, "Signing in").
 * auth must outlive the api object. */
void sg_api_set_auth(sg_api *api, sg_auth *auth);
/* What the console page needs besides its own files: Leaflet (assets,
 * served under /vendor/), and the settings GET /v1/auth/session gives the
 * page. The tile template is at most SG_API_MAP_TILES_MAX bytes of printable
 * ASCII without '"' or '\\' (siagad checks its option). What it points to
 * must outlive the api object. */
#define SG_API_MAP_TILES_MAX 256
typedef struct sg_api_console {
  const sg_assets *assets;
  const char *map_tiles;    /* a tile URL template for the map, or "" */
  unsigned p1_escalate_s;   /* a P1 nobody acknowledged this long: tell the supervisors */
  unsigned ack_target_s[4]; /* P1..P4 to be acknowledged within, shown running */
} sg_api_console;
void sg_api_set_console(sg_api *api, const sg_api_console *console);
/* App reports are counted per number and address and flagged (never
 * refused) by abuse before they are stored. abuse must outlive the api. */
void sg_api_set_abuse(sg_api *api, sg_citizen_abuse *abuse);
/* After the sg_http serving it was destroyed (which aborts what is in flight). */
void sg_api_destroy(sg_api *api);

/* The handler to give sg_http: handler_data is the api object,
 * request_data_size is sg_api_request_size(). */
extern const sg_http_handler sg_api_handler;
size_t sg_api_request_size(void);

#endif
