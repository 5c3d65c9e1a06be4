// siaga dispatcher console: live list of open incidents.
//
// Talks to siagad over WebSocket /v1/console with subprotocol
// siaga.console.v1.json; each text frame is one siaga.v1.ConsoleServerMessage
// in the proto3 JSON mapping (fields at their default value are omitted,
// int64 arrives as a string, enums by name).
//
// State lives in `incidents` (id -> Incident JSON). The DOM is a keyed view of
// it: one <tr> per incident, rebuilt when that incident changes, reordered
// when the order changes. Server text only ever reaches the page through
// textContent, never innerHTML.
'use strict';

(function () {
  var SUBPROTOCOL = 'siaga.console.v1.json';
  var BACKOFF_MIN_MS = 500;
  var BACKOFF_MAX_MS = 15000;
  var PING_EVERY_MS = 20000;
  var SILENCE_LIMIT_MS = 50000; // enforced only once the server has answered a ping
  var FRESH_MS = 8000;          // how long a new or changed row stays highlighted

  var PRIORITY_RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };
  var PRIORITY_TITLE = {
    P1: 'P1: nyawa terancam (life at immediate risk)',
    P2: 'P2: serius, segera (serious, respond urgently)',
    P3: 'P3: tangani segera (respond soon)',
    P4: 'P4: tidak ada bahaya langsung (no immediate danger)',
    P0: 'Prioritas belum ditentukan (unscored)'
  };
  var CATEGORY_LABEL = {
    fire: 'Kebakaran',
    flood: 'Banjir',
    accident: 'Kecelakaan',
    medical: 'Medis',
    crime: 'Kriminal',
    rescue: 'Penyelamatan',
    other: 'Lainnya',
    unknown: 'Tak diketahui'
  };
  var STATUS_LABEL = {
    INCIDENT_STATUS_UNSPECIFIED: 'Baru',
    INCIDENT_STATUS_OPEN: 'Baru',
    INCIDENT_STATUS_ACKNOWLEDGED: 'Diterima',
    INCIDENT_STATUS_DISPATCHED: 'Diberangkatkan',
    INCIDENT_STATUS_RESOLVED: 'Selesai',
    INCIDENT_STATUS_CLOSED: 'Ditutup'
  };
  var SOURCE_LABEL = {
    LOCATION_SOURCE_DEVICE: 'GPS perangkat',
    LOCATION_SOURCE_AML: 'AML',
    LOCATION_SOURCE_TEXT: 'dari teks',
    LOCATION_SOURCE_GAZETTEER: 'perkiraan wilayah'
  };
  var KIND_LABEL = {
    UPDATE_KIND_CREATED: 'insiden baru',
    UPDATE_KIND_REPORT_ATTACHED: 'laporan tambahan',
    UPDATE_KIND_STATUS_CHANGED: 'status berubah',
    UPDATE_KIND_NOTE_ADDED: 'catatan baru'
  };

  // ---- state ----
  var incidents = new Map();   // id -> Incident JSON as last applied
  var gone = new Map();        // id -> version at which it left the list (resolved/closed)
  var rows = new Map();        // id -> <tr>
  var freshUntil = new Map();  // id -> epoch ms until which the row is highlighted
  var lastUpdateId = '';       // last stream id seen, sent back as ?after= on reconnect
  var haveData = false;        // a snapshot (or resumed stream) has been applied
  var renderQueued = false;
  var pages = null;            // incidents of a snapshot whose last page has not come yet

  var ws = null;
  var attempt = 0;             // consecutive failed connection attempts
  var reconnectTimer = null;
  var countdownTimer = null;
  var pingTimer = null;
  var lastMessageAt = 0;
  var serverAnswersPing = false;
  var pingSeq = 0;

  // ---- DOM ----
  var $ = function (id) { return document.getElementById(id); };
  var tbody = $('incidents');
  var connEl = $('conn-state');
  var connText = connEl.querySelector('.conn-text');
  var emptyEl = $('empty');
  var bannerEl = $('banner');
  var announcer = $('announcer');
  var lastUpdateEl = $('last-update');
  var clockEl = $('clock');
  var footNote = $('foot-note');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- value helpers (proto3 JSON: missing means default) ----
  function int64(v) {
    if (v === undefined || v === null || v === '') return 0;
    var n = Number(v);
    return isFinite(n) ? n : 0;
  }
  function bigVersion(v) {
    try { return BigInt(v === undefined || v === null || v === '' ? 0 : v); } catch (e) { return BigInt(0); }
  }
  function priorityOf(inc) {
    return PRIORITY_RANK[inc.priority] ? inc.priority : 'P0';
  }
  function rankOf(inc) {
    return PRIORITY_RANK[inc.priority] || 9;
  }
  function isOpen(inc) {
    return inc.status !== 'INCIDENT_STATUS_RESOLVED' && inc.status !== 'INCIDENT_STATUS_CLOSED';
  }
  // Redis stream ids "ms-seq": compare numerically, part by part.
  function streamIdLess(a, b) {
    if (!a) return !!b;
    if (!b) return false;
    var pa = a.split('-'), pb = b.split('-');
    try {
      var ma = BigInt(pa[0]), mb = BigInt(pb[0]);
      if (ma !== mb) return ma < mb;
      return BigInt(pa[1] || 0) < BigInt(pb[1] || 0);
    } catch (e) {
      return a < b;
    }
  }

  function formatAge(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return s + ' dtk';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' mnt';
    var h = Math.floor(m / 60);
    if (h < 24) return h + ' jam ' + (m % 60) + ' mnt';
    var d = Math.floor(h / 24);
    return d + ' hari ' + (h % 24) + ' jam';
  }
  function pad2(n) { return (n < 10 ? '0' : '') + n; }
  function formatClock(d) {
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }
  function formatCoord(x) { return (Math.round(x * 1e5) / 1e5).toFixed(5); }
  function placeText(loc) {
    loc = loc || {};
    if (loc.address) return loc.address;
    if (loc.lat || loc.lon) return formatCoord(loc.lat || 0) + ', ' + formatCoord(loc.lon || 0);
    return 'lokasi belum diketahui';
  }

  // ---- ordering: priority, then score, then newest ----
  function compareIncidents(a, b) {
    var r = rankOf(a) - rankOf(b);
    if (r) return r;
    var s = (b.score || 0) - (a.score || 0);
    if (s) return s;
    var t = int64(b.createdAtMs) - int64(a.createdAtMs);
    if (t) return t;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  }

  // ---- applying server messages ----
  // A snapshot comes in pages (more: true on all but the last): they are
  // gathered and the list is replaced only when the last one arrives, so a
  // connection lost between pages leaves the list and lastUpdateId as they
  // were, and the reconnect asks for what it really has.
  function applySnapshot(snap) {
    if (!pages) pages = [];
    Array.prototype.push.apply(pages, snap.incidents || []);
    if (snap.more) return false;
    var list = pages;
    pages = null;
    var before = new Set(incidents.keys());
    incidents.clear();
    gone.clear();
    list.forEach(function (inc) {
      if (!inc || !inc.id || !isOpen(inc)) return;
      incidents.set(inc.id, inc);
      // After a reconnect, rows that were not on screen before are news.
      if (haveData && !before.has(inc.id)) markFresh(inc.id);
    });
    lastUpdateId = snap.lastUpdateId || '';
    haveData = true;
    scheduleRender();
    return true;
  }

  // Applies one incident state; returns true when the shown list changed.
  function applyIncident(inc) {
    if (!inc || !inc.id) return false;
    var v = bigVersion(inc.version);
    var shown = incidents.get(inc.id);
    if (shown && v < bigVersion(shown.version)) return false; // stale
    if (!shown && gone.has(inc.id) && v <= gone.get(inc.id)) return false; // stale, already left
    if (!isOpen(inc)) {
      gone.set(inc.id, v);
      if (!shown) return false;
      incidents.delete(inc.id);
      freshUntil.delete(inc.id);
      return true;
    }
    gone.delete(inc.id);
    incidents.set(inc.id, inc);
    markFresh(inc.id);
    if (!shown && inc.priority === 'P1') {
      announce('Insiden P1 baru: ' + (CATEGORY_LABEL[inc.category] || inc.category || 'insiden') +
               ', ' + placeText(inc.location) + '. ' + (inc.summary || ''));
    } else if (shown && inc.priority === 'P1' && shown.priority !== 'P1') {
      announce('Insiden naik ke P1: ' + (CATEGORY_LABEL[inc.category] || inc.category || 'insiden') +
               ', ' + placeText(inc.location) + '.');
    }
    return true;
  }

  function applyUpdate(up) {
    if (up.id) {
      if (!streamIdLess(lastUpdateId, up.id)) {
        // Already seen (a resume may overlap); the version check makes a
        // replay harmless, but there is nothing new here.
        if (lastUpdateId) return;
      }
      lastUpdateId = up.id;
    }
    haveData = true;
    var at = int64(up.atMs);
    footNote.textContent = (KIND_LABEL[up.kind] || up.kind || 'pembaruan') +
      (up.incident && up.incident.id ? ' · ' + up.incident.id : '') +
      (up.actor ? ' · oleh ' + up.actor : '') +
      (at ? ' · ' + formatClock(new Date(at)) : '');
    if (applyIncident(up.incident)) scheduleRender();
    else updateFooter();
  }

  function handleMessage(data) {
    var msg;
    try { msg = JSON.parse(data); } catch (e) {
      console.warn('siaga: frame is not JSON', e);
      return;
    }
    lastMessageAt = Date.now();
    if (msg.snapshot) {
      if (applySnapshot(msg.snapshot)) setConn('connected');
    } else if (msg.update) {
      applyUpdate(msg.update);
      if (connEl.dataset.state !== 'connected') setConn('connected');
    } else if (msg.reply) {
      var rep = msg.reply;
      if (rep.requestId && rep.requestId.indexOf('ping-') === 0) {
        serverAnswersPing = true;
      } else if (rep.ok && rep.incident && applyIncident(rep.incident)) {
        scheduleRender();
      } else if (!rep.ok) {
        showBanner('Perintah ditolak (command refused): ' + (rep.errorCode || '') + ' ' + (rep.message || ''));
      }
    } else if (msg.error) {
      showBanner('Galat server (server error): ' + (msg.error.code || 'unknown') +
                 (msg.error.message ? ' — ' + msg.error.message : ''));
    }
  }

  // ---- rendering ----
  function markFresh(id) { freshUntil.set(id, Date.now() + FRESH_MS); }

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(function () { renderQueued = false; render(); }, 0);
  }

  function buildRow(inc) {
    var pri = priorityOf(inc);
    var tr = el('tr', 'inc ' + pri.toLowerCase());
    tr.dataset.incidentId = inc.id;
    tr.dataset.priority = pri;
    tr.dataset.version = inc.version || '0';

    // Priority badge + score + status
    var tdPri = el('td', 'pri');
    var badge = el('span', 'badge ' + pri.toLowerCase(), pri === 'P0' ? '–' : pri);
    badge.title = PRIORITY_TITLE[pri];
    tdPri.appendChild(badge);
    var score = el('span', 'score', String(inc.score || 0));
    score.title = 'Skor (score) 0–100';
    tdPri.appendChild(score);
    var st = inc.status || 'INCIDENT_STATUS_UNSPECIFIED';
    tdPri.appendChild(el('div', 'status s-' + (STATUS_LABEL[st] || st).toLowerCase(), STATUS_LABEL[st] || st));
    tr.appendChild(tdPri);

    // Category
    var tdCat = el('td', 'cat');
    var cat = inc.category || 'unknown';
    tdCat.appendChild(el('div', 'cat-id', CATEGORY_LABEL[cat] || cat));
    if (CATEGORY_LABEL[cat]) tdCat.appendChild(el('div', 'en', cat));
    tr.appendChild(tdCat);

    // Place
    var tdLoc = el('td', 'loc');
    var loc = inc.location || {};
    var place = el('div', 'place', placeText(loc));
    tdLoc.appendChild(place);
    var meta = [];
    if (loc.address && (loc.lat || loc.lon)) meta.push(formatCoord(loc.lat || 0) + ', ' + formatCoord(loc.lon || 0));
    if (loc.accuracyM) meta.push('±' + Math.round(loc.accuracyM) + ' m');
    if (SOURCE_LABEL[loc.source]) meta.push(SOURCE_LABEL[loc.source]);
    if (loc.confidence && loc.confidence < 0.5) meta.push('kurang pasti');
    if (meta.length) tdLoc.appendChild(el('div', 'meta', meta.join(' · ')));
    tr.appendChild(tdLoc);

    // Age (ticks)
    var tdAge = el('td', 'age num');
    var created = int64(inc.createdAtMs);
    var t = el('time', null, created ? formatAge(Date.now() - created) : '–');
    if (created) {
      t.dataset.created = String(created);
      t.dateTime = new Date(created).toISOString();
      t.title = 'Dibuat (created) ' + new Date(created).toLocaleString('id-ID');
    }
    tdAge.appendChild(t);
    tr.appendChild(tdAge);

    // Reports
    var n = inc.reportCount || (inc.reportIds || []).length;
    var tdRep = el('td', 'rep num', String(n));
    tdRep.title = n + ' laporan (reports)';
    if (n > 1) tdRep.classList.add('multi');
    tr.appendChild(tdRep);

    // Summary + id
    var tdSum = el('td', 'sum');
    tdSum.appendChild(el('div', 'summary', inc.summary || '(tanpa ringkasan)'));
    tdSum.appendChild(el('div', 'meta id', inc.id));
    tr.appendChild(tdSum);

    // Reasons
    var tdWhy = el('td', 'why');
    var reasons = (inc.reasons || []).slice().sort(function (a, b) {
      return Math.abs(b.points || 0) - Math.abs(a.points || 0);
    });
    if (reasons.length) {
      var ul = el('ul', 'reasons');
      reasons.forEach(function (r) {
        var li = el('li');
        var p = r.points || 0;
        li.appendChild(el('span', 'pts' + (p < 0 ? ' neg' : ''), (p < 0 ? '−' + (-p) : '+' + p)));
        li.appendChild(el('code', 'rule', r.rule || '?'));
        if (r.detail) li.appendChild(el('span', 'detail', r.detail));
        ul.appendChild(li);
      });
      tdWhy.appendChild(ul);
    } else {
      tdWhy.appendChild(el('span', 'meta', '–'));
    }
    tr.appendChild(tdWhy);
    return tr;
  }

  function render() {
    var sorted = Array.from(incidents.values()).sort(compareIncidents);
    var keep = new Set();
    var now = Date.now();
    sorted.forEach(function (inc, i) {
      keep.add(inc.id);
      var tr = rows.get(inc.id);
      if (!tr || tr._inc !== inc) {
        var fresh = buildRow(inc);
        fresh._inc = inc;
        if (tr) tbody.replaceChild(fresh, tr);
        tr = fresh;
        rows.set(inc.id, tr);
      }
      tr.classList.toggle('fresh', (freshUntil.get(inc.id) || 0) > now);
      // Move into place only when out of place, so focus and selection survive.
      var at = tbody.children[i];
      if (at !== tr) tbody.insertBefore(tr, at || null);
    });
    rows.forEach(function (tr, id) {
      if (!keep.has(id)) { tr.remove(); rows.delete(id); freshUntil.delete(id); }
    });

    var counts = { P1: 0, P2: 0, P3: 0, P4: 0 };
    sorted.forEach(function (inc) { if (counts[inc.priority] !== undefined) counts[inc.priority]++; });
    Object.keys(counts).forEach(function (p) {
      $('count-' + p).textContent = counts[p];
      $('count-' + p).parentNode.classList.toggle('zero', counts[p] === 0);
    });
    $('count-all').textContent = sorted.length;
    document.title = (counts.P1 ? '(' + counts.P1 + ' P1) ' : '') + 'SIAGA 112 · Konsol Dispatcher';

    if (!haveData) {
      emptyEl.hidden = false;
    } else if (sorted.length === 0) {
      emptyEl.textContent = 'Tidak ada insiden terbuka. (No open incidents.)';
      emptyEl.hidden = false;
    } else {
      emptyEl.hidden = true;
    }
    updateFooter();
  }

  function updateFooter() {
    lastUpdateEl.textContent = lastUpdateId || '–';
  }

  function tick() {
    var now = Date.now();
    clockEl.textContent = formatClock(new Date(now));
    clockEl.dateTime = new Date(now).toISOString();
    var times = tbody.querySelectorAll('time[data-created]');
    for (var i = 0; i < times.length; i++) {
      var txt = formatAge(now - Number(times[i].dataset.created));
      if (times[i].textContent !== txt) times[i].textContent = txt;
    }
    freshUntil.forEach(function (until, id) {
      if (until <= now) {
        freshUntil.delete(id);
        var tr = rows.get(id);
        if (tr) tr.classList.remove('fresh');
      }
    });
  }

  function announce(text) {
    // Clear first so that the same words twice are still read out.
    announcer.textContent = '';
    setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function showBanner(text) {
    bannerEl.textContent = text;
    bannerEl.hidden = false;
    clearTimeout(showBanner.t);
    showBanner.t = setTimeout(function () { bannerEl.hidden = true; }, 15000);
  }

  // ---- connection ----
  var CONN_EN = { connected: 'connected', connecting: 'connecting', disconnected: 'disconnected, reconnecting' };
  function setConn(state, text) {
    connEl.dataset.state = state;
    connEl.title = CONN_EN[state];
    connText.textContent = text || { connected: 'terhubung', connecting: 'menyambung…', disconnected: 'terputus' }[state];
    document.body.classList.toggle('offline', state !== 'connected');
  }

  function consoleUrl() {
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var url = scheme + '//' + location.host + '/v1/console';
    if (lastUpdateId) url += '?after=' + encodeURIComponent(lastUpdateId);
    return url;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    clearInterval(countdownTimer);
    setConn('connecting', attempt ? 'menyambung ulang…' : undefined);
    var sock;
    try {
      sock = new WebSocket(consoleUrl(), SUBPROTOCOL);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    var opened = false;
    sock.onopen = function () {
      if (ws !== sock) return;
      opened = true;
      lastMessageAt = Date.now();
      // "connected" once the server speaks; a resume with nothing missed may
      // send no frame at all, so an open socket counts too.
      setConn('connected');
      startPing(sock);
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) return;
      attempt = 0;
      if (typeof ev.data === 'string') handleMessage(ev.data);
    };
    sock.onerror = function () { /* onclose follows */ };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      pages = null; // a snapshot cut short is asked for again
      stopPing();
      // Backoff grows with every close that brought no message; a frame
      // received resets it (see onmessage).
      attempt++;
      if (opened) console.info('siaga: console socket closed', ev.code, ev.reason);
      // 4001: the server lost its place in the updates stream; our id means
      // nothing to it now, so start again from a snapshot.
      if (ev.code === 4001) lastUpdateId = '';
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, Math.max(0, attempt - 1)));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    var due = Date.now() + delay;
    var show = function () {
      var left = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      setConn('disconnected', 'terputus — menyambung ulang' + (left ? ' dalam ' + left + ' dtk' : '') + '…');
    };
    show();
    clearInterval(countdownTimer);
    countdownTimer = setInterval(show, 500);
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, delay);
  }

  function startPing(sock) {
    stopPing();
    pingTimer = setInterval(function () {
      if (sock.readyState !== WebSocket.OPEN) return;
      if (serverAnswersPing && Date.now() - lastMessageAt > SILENCE_LIMIT_MS) {
        // Half-open connection: the server answered pings before, not now.
        sock.close(4000, 'no reply');
        return;
      }
      pingSeq++;
      sock.send(JSON.stringify({ command: { requestId: 'ping-' + pingSeq, ping: {} } }));
    }, PING_EVERY_MS);
  }
  function stopPing() { clearInterval(pingTimer); pingTimer = null; }

  // Reconnect at once when the network or the tab comes back.
  window.addEventListener('online', function () { if (!ws) { attempt = 0; connect(); } });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !ws && reconnectTimer) { attempt = 0; connect(); }
  });

  // Test and debugging hook, read-only.
  window.siagaConsole = {
    get lastUpdateId() { return lastUpdateId; },
    get count() { return incidents.size; }
  };

  tick();
  setInterval(tick, 500);
  render();
  connect();
})();
