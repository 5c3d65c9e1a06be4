// The responder page's service worker: keeps the page's own files so it
// opens with no network (a crew in a dead zone still sees the app, and it
// reconnects when the network is back). The page is served from the cache
// at once and refreshed from the network behind it; the API and the
// WebSocket are never cached.
'use strict';
var CACHE = 'siaga-responder-v1';
var FILES = ['/responder', '/responder.js', '/responder.css', '/responder.webmanifest',
             '/responder-icon.svg'];

self.addEventListener('install', function (ev) {
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(FILES); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (ev) {
  ev.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener('fetch', function (ev) {
  var url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== location.origin) return;
  var path = url.pathname === '/responder/' ? '/responder' : url.pathname;
  if (FILES.indexOf(path) < 0) return;
  ev.respondWith(caches.open(CACHE).then(function (c) {
    return c.match(path).then(function (hit) {
      var fresh = fetch(path).then(function (resp) {
        if (resp.ok) c.put(path, resp.clone());
        return resp;
      });
      if (hit) {
        fresh.catch(function () {});
        return hit;
      }
      return fresh;
    });
  }));
});
