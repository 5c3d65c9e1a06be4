/* Files siagad serves from the machine rather than from its own build:
 * Leaflet, from Debian's libjs-leaflet (/usr/share/javascript/leaflet), so
 * the console's map works on a centre's LAN with no internet and no copy
 * of third-party code lives in this tree. Read once at start (a few hundred
 * KB), served from memory: no file I/O on the loop. */
#ifndef SG_ASSETS_H
#define SG_ASSETS_H

#include <stddef.h>

#include "http/server.h"

typedef struct sg_assets sg_assets;

typedef struct sg_asset {
  const char *name;         /* "leaflet.js" */
  const char *content_type;
  const char *data;
  size_t size;
} sg_asset;

/* Loads leaflet.js and leaflet.css from dir. Files that are missing are
 * left out (the page then shows the list without a map); NULL only when out
 * of memory. */
sg_assets *sg_assets_load(const char *dir);
void sg_assets_destroy(sg_assets *assets);

/* The asset of that name, or NULL. */
const sg_asset *sg_assets_find(const sg_assets *assets, const char *name);

/* The console page's own files (clients/console, built in): the built-in
 * file's name for a path of the page ("/" is index.html, /gazetteer.tsv
 * the map's place names) and its content type, or NULL for another path. */
const char *sg_assets_console_file(const char *path, const char **content_type);

/* How many were found (for the start-up line). */
size_t sg_assets_count(const sg_assets *assets);

/* The responder's page (clients/responder, built into the binary like the
 * console's): a router handler for the paths under this prefix, GET only:
 * /responder (the page), /responder.js, /responder.css, /responder-sw.js
 * (its service worker, whose scope is /responder), /responder.webmanifest
 * and /responder-icon.svg. handler_data NULL, request_data_size 0. */
#define SG_ASSETS_RESPONDER_PREFIX "/responder"
extern const sg_http_handler sg_assets_responder_handler;

#endif
