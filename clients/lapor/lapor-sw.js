// The app's service worker: the page opens with no network (its few files
// are kept here), and reports wait in the page's outbox, not here. Only the
// app's own GETs are answered from the cache; /v1/ always goes to the
// network (a status must never be stale, a report never replayed here).
'use strict';
const CACHE = 'siaga-lapor-v1';
const SHELL = ['/lapor/', '/lapor/lapor.js', '/lapor/lapor.css', '/lapor/manifest.webmanifest',
               '/lapor/icon.svg'];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// Network first, so a new version is used at once when there is signal; the
// cache when there is none.
self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== 'GET' || url.origin !== location.origin || !SHELL.includes(url.pathname))
    return;
  e.respondWith(fetch(e.request).then((resp) => {
    if (resp.ok) {
      const copy = resp.clone();
      caches.open(CACHE).then((c) => c.put(e.request, copy));
    }
    return resp;
  }).catch(() => caches.match(e.request)));
});
