// siaga dispatcher console: live list of open incidents.
//
// Signed in: the page asks GET /v1/auth/session (the HttpOnly cookie
// siaga_session goes with it); without a session it shows the sign-in form,
// which POSTs /v1/auth/login and gets the cookie. The WebSocket upgrade then
// carries the cookie too. A close with 4003 (the session ended: signed out,
// disabled, expired) brings the form back.
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
  var T = window.SiagaI18n.T;
  // The labels in the chosen language, rebuilt on a switch.
  var PRIORITY_TITLE, CATEGORY_LABEL, STATUS_LABEL, SOURCE_LABEL, KIND_LABEL;
  function setLabels() {
    PRIORITY_TITLE = {
      P1: T('P1: nyawa terancam', 'P1: life at immediate risk'),
      P2: T('P2: serius, segera', 'P2: serious, respond urgently'),
      P3: T('P3: tangani segera', 'P3: respond soon'),
      P4: T('P4: tidak ada bahaya langsung', 'P4: no immediate danger'),
      P0: T('Prioritas belum ditentukan', 'Not scored yet')
    };
    CATEGORY_LABEL = {
      fire: T('Kebakaran', 'Fire'),
      flood: T('Banjir', 'Flood'),
      accident: T('Kecelakaan', 'Accident'),
      medical: T('Medis', 'Medical'),
      crime: T('Kriminal', 'Crime'),
      rescue: T('Penyelamatan', 'Rescue'),
      land_fire: T('Karhutla', 'Land fire'),
      haze: T('Kabut asap', 'Haze'),
      animal: T('Hewan', 'Animal'),
      hazard: T('Bahaya (pohon, listrik, gas)', 'Hazard (tree, wire, gas)'),
      nonemergency: T('Bukan darurat', 'Not an emergency'),
      other: T('Lainnya', 'Other'),
      unknown: T('Tak diketahui', 'Unknown')
    };
    STATUS_LABEL = {
      INCIDENT_STATUS_UNSPECIFIED: T('Baru', 'New'),
      INCIDENT_STATUS_OPEN: T('Baru', 'New'),
      INCIDENT_STATUS_ACKNOWLEDGED: T('Diterima', 'Acknowledged'),
      INCIDENT_STATUS_DISPATCHED: T('Diberangkatkan', 'Dispatched'),
      INCIDENT_STATUS_RESOLVED: T('Selesai', 'Resolved'),
      INCIDENT_STATUS_CLOSED: T('Ditutup', 'Closed')
    };
    SOURCE_LABEL = {
      LOCATION_SOURCE_DEVICE: T('GPS perangkat', 'device GPS'),
      LOCATION_SOURCE_AML: 'AML',
      LOCATION_SOURCE_TEXT: T('dari teks', 'from the text'),
      LOCATION_SOURCE_GAZETTEER: T('perkiraan wilayah', 'area estimate')
    };
    KIND_LABEL = {
      UPDATE_KIND_CREATED: T('insiden baru', 'new incident'),
      UPDATE_KIND_REPORT_ATTACHED: T('laporan tambahan', 'report joined'),
      UPDATE_KIND_STATUS_CHANGED: T('status berubah', 'status changed'),
      UPDATE_KIND_NOTE_ADDED: T('catatan baru', 'new note'),
      UPDATE_KIND_PRIORITY_CHANGED: T('prioritas diubah', 'priority changed'),
      UPDATE_KIND_CATEGORY_CHANGED: T('kategori diubah', 'category changed'),
      UPDATE_KIND_UNIT_CHANGED: T('unit berubah', 'unit changed'),
      UPDATE_KIND_UNIT_CONNECTED: T('aplikasi unit', 'unit app'),
      UPDATE_KIND_ASSIGNMENT_CHANGED: T('penugasan berubah', 'assignment changed'),
      UPDATE_KIND_MERGED: T('digabung', 'merged'),
      UPDATE_KIND_UNMERGED: T('dipisahkan kembali', 'unmerged')
    };
  }
  setLabels();

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
  // Shortcut keys are letters: not while the dispatcher types in a field.
  function isTyping() {
    return /^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement && document.activeElement.tagName);
  }
  // A <select> of the categories, "Label" or "Label (id)"; called again after
  // a language switch, it relabels the options it made.
  function fillCategorySelect(sel, withId) {
    Object.keys(CATEGORY_LABEL).forEach(function (c) {
      var o = sel.querySelector('option[value="' + c + '"]');
      if (!o) {
        o = document.createElement('option');
        o.value = c;
        sel.appendChild(o);
      }
      o.textContent = CATEGORY_LABEL[c] + (withId ? ' (' + c + ')' : '');
    });
  }
  var tbody = $('incidents');
  var connEl = $('conn-state');
  var connText = connEl.querySelector('.conn-text');
  var emptyEl = $('empty');
  var bannerEl = $('banner');
  var signinEl = $('signin');
  var signinForm = $('signin-form');
  var signinError = $('signin-error');
  var signinSubmit = $('signin-submit');
  var whoEl = $('who');
  var ROLE_LABEL = { dispatcher: 'dispatcher', supervisor: 'supervisor', admin: 'admin' };
  var signedIn = null; // {name, role} once the session is known
  var detailEl = $('detail');
  var detailBody = $('detail-body');
  var detailMsg = $('detail-msg');
  var noteText = $('note-text');
  var selectedId = null;   // the incident open in the detail panel
  var selectedInc = null;  // its latest state, kept when it leaves the open list
  var commandSeq = 0;
  var commandsInFlight = new Map(); // requestId -> what it was, for its reply
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
    if (s < 60) return s + T(' dtk', ' s');
    var m = Math.floor(s / 60);
    if (m < 60) return m + T(' mnt', ' min');
    var h = Math.floor(m / 60);
    if (h < 24) return h + T(' jam ', ' h ') + (m % 60) + T(' mnt', ' min');
    var d = Math.floor(h / 24);
    return d + T(' hari ', ' d ') + (h % 24) + T(' jam', ' h');
  }
  // Targets for acknowledging an incident, per priority, in seconds (the
  // centre's own may differ: change them here).
  // The centre's targets come with the session (siagad --ack-target); these
  // are the defaults until then.
  var ACK_TARGET_S = { P1: 60, P2: 180, P3: 600, P4: 1800 };
  function formatSpan(s) {
    s = Math.max(0, Math.round(s));
    return Math.floor(s / 60) + ':' + (s % 60 < 10 ? '0' : '') + (s % 60);
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
    return T('lokasi belum diketahui', 'place not known yet');
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
    if (snap.units && snap.units.length) units.applyAll(snap.units);
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
    noteSelected(inc);
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
      announce(T('Insiden P1 baru: ', 'New P1 incident: ') + (CATEGORY_LABEL[inc.category] || inc.category || '') +
               ', ' + placeText(inc.location) + '. ' + (inc.summary || ''));
    } else if (shown && inc.priority === 'P1' && shown.priority !== 'P1') {
      announce(T('Insiden naik ke P1: ', 'Incident raised to P1: ') + (CATEGORY_LABEL[inc.category] || inc.category || '') +
               ', ' + placeText(inc.location) + '.');
    }
    return true;
  }

  // The footer's last change, in words; kept to be said again after a language switch.
  var lastUpdate = null;
  function footText(up) {
    var at = int64(up.atMs);
    return (KIND_LABEL[up.kind] || up.kind || T('pembaruan', 'update')) +
      (up.incident && up.incident.id ? ' · ' + up.incident.id : '') +
      (up.actor ? T(' · oleh ', ' · by ') + up.actor : '') +
      (at ? ' · ' + formatClock(new Date(at)) : '');
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
    lastUpdate = up;
    footNote.textContent = footText(up);
    units.applyUpdate(up);
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
      } else {
        if (rep.ok && rep.incident && applyIncident(rep.incident)) scheduleRender();
        if (rep.incident) noteSelected(rep.incident);
        units.answered(rep);
        var what = commandsInFlight.get(rep.requestId);
        commandsInFlight.delete(rep.requestId);
        if (what) commandAnswered(what, rep);
        else if (!rep.ok) showBanner(T('Perintah ditolak: ', 'Command refused: ') + (rep.errorCode || '') + ' ' + (rep.message || ''));
      }
    } else if (msg.error) {
      showBanner(T('Galat server: ', 'Server error: ') + (msg.error.code || 'unknown') +
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

  // A score's reasons: points, rule, and what the rule saw.
  function reasonList(reasons) {
    var ul = el('ul', 'reasons');
    reasons.forEach(function (r) {
      var li = el('li');
      var p = r.points || 0;
      li.appendChild(el('span', 'pts' + (p < 0 ? ' neg' : ''), (p < 0 ? '−' + (-p) : '+' + p)));
      li.appendChild(el('code', 'rule', r.rule || '?'));
      if (r.detail) li.appendChild(el('span', 'detail', r.detail));
      ul.appendChild(li);
    });
    return ul;
  }

  function buildRow(inc) {
    var pri = priorityOf(inc);
    var tr = el('tr', 'inc ' + pri.toLowerCase());
    tr.dataset.incidentId = inc.id;
    tr.dataset.priority = pri;
    tr.dataset.version = inc.version || '0';
    tr.tabIndex = 0;
    if (inc.id === selectedId) tr.classList.add('selected');

    // Priority badge + score + status
    var tdPri = el('td', 'pri');
    var badge = el('span', 'badge ' + pri.toLowerCase(), pri === 'P0' ? '–' : pri);
    badge.title = PRIORITY_TITLE[pri];
    tdPri.appendChild(badge);
    var score = el('span', 'score', String(inc.score || 0));
    score.title = T('Skor 0–100', 'Score 0–100');
    tdPri.appendChild(score);
    var st = inc.status || 'INCIDENT_STATUS_UNSPECIFIED';
    tdPri.appendChild(el('div', 'status s-' + st.replace('INCIDENT_STATUS_', '').toLowerCase(), STATUS_LABEL[st] || st));
    if (inc.handler) tdPri.appendChild(el('div', 'handler', inc.handler));
    if (isOpen(inc)) tdPri.appendChild(units.rowBadge(inc));
    if (inc.priorityOverride) {
      var tag = el('span', 'override-tag', 'manual');
      tag.title = T('Prioritas diubah oleh ', 'Priority set by ') + (inc.priorityOverride.by || '?') + ': ' + (inc.priorityOverride.reason || '');
      tdPri.appendChild(tag);
    }
    tr.appendChild(tdPri);

    // Category
    var tdCat = el('td', 'cat');
    var cat = inc.category || 'unknown';
    tdCat.appendChild(el('div', 'cat-id', CATEGORY_LABEL[cat] || cat));
    if (CATEGORY_LABEL[cat]) tdCat.appendChild(el('div', 'cat-code', cat));
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
    if (loc.confidence && loc.confidence < 0.5) meta.push(T('kurang pasti', 'uncertain'));
    if (meta.length) tdLoc.appendChild(el('div', 'meta', meta.join(' · ')));
    tr.appendChild(tdLoc);

    // Age (ticks)
    var tdAge = el('td', 'age num');
    var created = int64(inc.createdAtMs);
    var t = el('time', null, created ? formatAge(Date.now() - created) : '–');
    if (created) {
      t.dataset.created = String(created);
      t.dateTime = new Date(created).toISOString();
      t.title = T('Dibuat ', 'Created ') + new Date(created).toLocaleString(window.SiagaI18n.locale());
    }
    tdAge.appendChild(t);
    // The time target: acknowledged within ACK_TARGET_S of arrival.
    var target = ACK_TARGET_S[pri];
    if (created && target && (inc.status || 'INCIDENT_STATUS_OPEN') === 'INCIDENT_STATUS_OPEN') {
      var due = el('div', 'target');
      due.dataset.due = String(created + target * 1000);
      tdAge.appendChild(due);
    } else if (created && int64(inc.acknowledgedAtMs)) {
      var took = (int64(inc.acknowledgedAtMs) - created) / 1000;
      var ok = el('div', 'target ' + (target && took > target ? 'late' : 'met'),
                  T('diterima ', 'acked ') + formatSpan(took));
      ok.title = T('Diterima dalam ', 'Acknowledged in ') + formatSpan(took) + ' (target ' + formatSpan(target || 0) + ')';
      tdAge.appendChild(ok);
    }
    tr.appendChild(tdAge);

    // Reports
    var n = inc.reportCount || (inc.reportIds || []).length;
    var tdRep = el('td', 'rep num', String(n));
    tdRep.title = n + T(' laporan', n === 1 ? ' report' : ' reports');
    if (n > 1) tdRep.classList.add('multi');
    tr.appendChild(tdRep);

    // Summary + id
    var tdSum = el('td', 'sum');
    tdSum.appendChild(el('div', 'summary', inc.summary || T('(tanpa ringkasan)', '(no summary)')));
    tdSum.appendChild(el('div', 'meta id', inc.id));
    tr.appendChild(tdSum);

    // Reasons
    var tdWhy = el('td', 'why');
    var reasons = (inc.reasons || []).slice().sort(function (a, b) {
      return Math.abs(b.points || 0) - Math.abs(a.points || 0);
    });
    if (reasons.length) {
      tdWhy.appendChild(reasonList(reasons));
    } else {
      tdWhy.appendChild(el('span', 'meta', '–'));
    }
    tr.appendChild(tdWhy);
    return tr;
  }

  // ---- filters: what the list shows (the tallies always count everything) ----
  var NON_EMERGENCY = { nonemergency: true };
  function filterOf() {
    return {
      q: $('f-search').value.trim().toLowerCase(),
      priority: $('f-priority').value,
      category: $('f-category').value,
      status: $('f-status').value,
      nonemergency: $('f-nonemergency').checked
    };
  }
  function shown(inc, f) {
    if (!f.nonemergency && NON_EMERGENCY[inc.category] && f.category !== inc.category) return false;
    if (f.priority && inc.priority !== f.priority) return false;
    if (f.category && inc.category !== f.category) return false;
    if (f.status && (inc.status || 'INCIDENT_STATUS_OPEN') !== f.status) return false;
    if (f.q) {
      var hay = [inc.id, inc.summary, placeText(inc.location), inc.category, CATEGORY_LABEL[inc.category],
                 inc.handler].concat(inc.phones || []).join(' ').toLowerCase();
      if (hay.indexOf(f.q) < 0) return false;
    }
    return true;
  }
  ['f-search', 'f-priority', 'f-category', 'f-status', 'f-nonemergency'].forEach(function (id) {
    $(id).addEventListener(id === 'f-search' ? 'input' : 'change', scheduleRender);
  });
  document.addEventListener('keydown', function (ev) {
    var typing = isTyping();
    if (ev.key === '/' && !typing) { $('f-search').focus(); ev.preventDefault(); }
  });
  fillCategorySelect($('f-category'), false);

  // ---- the map: Leaflet from Debian's libjs-leaflet, served by siagad ----
  // Tiles only when siagad was given --map-tiles (a centre's own tile
  // server); otherwise a plain grid with the gazetteer's kelurahan names,
  // which still orients a dispatcher with no internet.
  var PRIORITY_COLOUR = { P1: '#da3633', P2: '#f0883e', P3: '#e3b341', P4: '#6e7681', P0: '#6e7681' };
  var mapEl = $('map');
  var map = null;
  var mapTiles = '';
  var markers = new Map(); // id -> circle marker
  function ensureMap() {
    if (map || typeof L === 'undefined') return map;
    map = L.map(mapEl, { zoomControl: true, attributionControl: !!mapTiles });
    if (mapTiles) {
      L.tileLayer(mapTiles, { maxZoom: 19, attribution: T('peta pusat 112', 'the centre\'s map') }).addTo(map);
    } else {
      mapEl.classList.add('plain');
      loadPlaces();
    }
    map.setView([-2.2, 113.9], 12);
    return map;
  }
  function loadPlaces() {
    fetch('/gazetteer.tsv', { cache: 'force-cache' }).then(function (r) { return r.ok ? r.text() : ''; })
      .then(function (text) {
        text.split('\n').forEach(function (line) {
          var f = line.split('\t');
          if (line[0] === '#' || f.length < 5 || (f[0] !== 'kelurahan' && f[0] !== 'kecamatan')) return;
          var lat = Number(f[3]), lon = Number(f[4]);
          if (!isFinite(lat) || !isFinite(lon)) return;
          var label = el('span', null, f[1].split('|')[0]);
          L.marker([lat, lon], {
            icon: L.divIcon({ className: 'place-label ' + f[0], html: label, iconSize: null }),
            interactive: false, keyboard: false
          }).addTo(map);
        });
      }).catch(function () { /* the markers still show */ });
  }
  function renderMap(list) {
    if (!map || mapEl.hidden) return;
    var keep = new Set();
    list.forEach(function (inc) {
      var loc = inc.location || {};
      if (!loc.lat && !loc.lon) return;
      keep.add(inc.id);
      var pri = priorityOf(inc);
      var style = { radius: pri === 'P1' ? 10 : pri === 'P2' ? 8 : 6, color: '#0d1117', weight: 1,
                    fillColor: PRIORITY_COLOUR[pri], fillOpacity: 0.9 };
      var m = markers.get(inc.id);
      if (!m) {
        m = L.circleMarker([loc.lat, loc.lon], style).addTo(map);
        m.on('click', function () { openDetail(inc.id); });
        markers.set(inc.id, m);
      } else {
        m.setLatLng([loc.lat, loc.lon]);
        m.setStyle(style);
        m.setRadius(style.radius);
      }
      m.off('click');
      m.on('click', function () { openDetail(inc.id); });
      var tip = pri + ' · ' + inc.id + ' · ' + (CATEGORY_LABEL[inc.category] || inc.category || '?');
      if (m.getTooltip()) m.setTooltipContent(tip); else m.bindTooltip(tip);
      m.getElement && m.getElement() && m.getElement().setAttribute('data-incident-id', inc.id);
    });
    markers.forEach(function (m, id) { if (!keep.has(id)) { m.remove(); markers.delete(id); } });
  }
  function toggleMap() {
    if (typeof L === 'undefined') {
      showBanner(T('Peta tidak tersedia: Leaflet tidak terpasang di server', 'No map: Leaflet is not installed on the server') +
                 ' (apt-get install libjs-leaflet).');
      return;
    }
    mapEl.hidden = !mapEl.hidden;
    $('map-toggle').setAttribute('aria-pressed', String(!mapEl.hidden));
    if (!mapEl.hidden) { ensureMap(); map.invalidateSize(); }
    scheduleRender();
  }
  $('map-toggle').addEventListener('click', toggleMap);
  document.addEventListener('keydown', function (ev) {
    var typing = isTyping();
    if (!typing && !ev.ctrlKey && !ev.metaKey && !ev.altKey && ev.key.toLowerCase() === 'm' && signedIn) {
      toggleMap();
      ev.preventDefault();
    }
  });

  function render() {
    var all = Array.from(incidents.values()).sort(compareIncidents);
    var f = filterOf();
    var sorted = all.filter(function (inc) { return shown(inc, f); });
    $('f-count').textContent = sorted.length === all.length ? '' :
      T(sorted.length + ' dari ' + all.length + ' ditampilkan', sorted.length + ' of ' + all.length + ' shown');
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
    all.forEach(function (inc) { if (counts[inc.priority] !== undefined) counts[inc.priority]++; });
    Object.keys(counts).forEach(function (p) {
      $('count-' + p).textContent = counts[p];
      $('count-' + p).parentNode.classList.toggle('zero', counts[p] === 0);
    });
    $('count-all').textContent = all.length;
    renderDetail();
    renderMap(sorted);
    units.renderStrip();
    if (map && !mapEl.hidden) units.renderMap(map);
    document.title = (counts.P1 ? '(' + counts.P1 + ' P1) ' : '') + T('SIAGA 112 · Konsol Dispatcher', 'SIAGA 112 · Dispatcher console');

    if (!haveData) {
      emptyEl.textContent = T('Belum ada data. Menunggu server…', 'No data yet. Waiting for the server…');
      emptyEl.hidden = false;
    } else if (sorted.length === 0) {
      emptyEl.textContent = all.length ? T('Tidak ada yang cocok dengan saringan.', 'Nothing matches the filters.')
                                       : T('Tidak ada insiden terbuka.', 'No open incidents.');
      emptyEl.hidden = false;
    } else {
      emptyEl.hidden = true;
    }
    updateFooter();
  }

  // The time of the last change the page has, not its stream id (which
  // means nothing to a dispatcher; it is kept for ?after= and in the title).
  function updateFooter() {
    var ms = /^(\d+)-\d+$/.exec(lastUpdateId || '');
    lastUpdateEl.textContent = ms ? formatClock(new Date(Number(ms[1]))) : '–';
    lastUpdateEl.title = lastUpdateId || '';
  }

  function tick() {
    var now = Date.now();
    var dues = tbody.querySelectorAll('.target[data-due]');
    for (var d = 0; d < dues.length; d++) {
      var left = (Number(dues[d].dataset.due) - now) / 1000;
      var text = left >= 0 ? T('sisa ', 'left ') + formatSpan(left) : T('lewat ', 'over ') + formatSpan(-left);
      if (dues[d].textContent !== text) dues[d].textContent = text;
      var late = left < 0;
      dues[d].classList.toggle('late', late);
      dues[d].title = late ? T('Target penerimaan terlewati', 'Acknowledgement target breached')
                           : T('Sisa waktu target penerimaan', 'Time left to acknowledge');
      var row = dues[d].closest('tr');
      if (row) row.classList.toggle('breach', late);
    }
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

  // ---- the P1 alarm ----
  // A P1 nobody has acknowledged yet rings, generated here (no audio file),
  // every ALARM_EVERY_MS until a dispatcher acknowledges it. Muting lasts a
  // minute and is for this page only.
  var ALARM_EVERY_MS = 2500;
  var audio = null;
  var mutedUntil = 0;
  var alarmIds = [];
  function unacknowledgedP1() {
    var ids = [];
    incidents.forEach(function (inc) {
      if (inc.priority === 'P1' && (inc.status || 'INCIDENT_STATUS_OPEN') === 'INCIDENT_STATUS_OPEN') ids.push(inc.id);
    });
    return ids;
  }
  function beep() {
    try {
      if (!audio) audio = new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
      var t = audio.currentTime;
      [0, 0.25].forEach(function (dt, i) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = 'square';
        o.frequency.value = i ? 660 : 880;
        g.gain.setValueAtTime(0.0001, t + dt);
        g.gain.exponentialRampToValueAtTime(0.2, t + dt + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + dt + 0.2);
        o.connect(g).connect(audio.destination);
        o.start(t + dt);
        o.stop(t + dt + 0.22);
      });
    } catch (e) { /* no audio device: the banner still shows */ }
  }
  // A supervisor is told of a P1 nobody has acknowledged for p1EscalateS
  // (siagad --p1-escalate): the banner says so, and mute does not hide it.
  function overdueP1(ids) {
    var limit = ((signedIn && signedIn.p1EscalateS) || 120) * 1000, now = Date.now();
    return ids.filter(function (id) {
      var created = int64((incidents.get(id) || {}).createdAtMs);
      return created && now - created > limit;
    });
  }
  function spanWords(s) { return s < 60 ? s + T(' detik', ' s') : Math.round(s / 6) / 10 + T(' menit', ' min'); }
  function alarmTick() {
    alarmIds = signedIn ? unacknowledgedP1() : [];
    var unanswered = signedIn ? units.alarmTick() : [];
    var alarmEl = $('alarm');
    if (!alarmIds.length && unanswered.length) {
      alarmIds = unanswered.map(function (a) { return a.incidentId; });
      alarmEl.hidden = false;
      alarmEl.classList.add('escalated');
      $('alarm-text').textContent = T('Penugasan tidak dijawab: ', 'Assignment unanswered: ') + unanswered.map(function (a) {
        return a.unitId + ' → ' + a.incidentId; }).join(', ') + T(' — tawarkan unit berikutnya', ' — offer the next unit');
      return;
    }
    alarmEl.hidden = alarmIds.length === 0;
    if (alarmIds.length) {
      var supervisor = signedIn.role === 'supervisor' || signedIn.role === 'admin';
      var overdue = supervisor ? overdueP1(alarmIds) : [];
      alarmEl.classList.toggle('escalated', overdue.length > 0);
      $('alarm-text').textContent = overdue.length
        ? 'SUPERVISOR: ' + overdue.length + T(' insiden P1 belum diterima lebih dari ', ' P1 incidents not acknowledged for over ') +
          spanWords(signedIn.p1EscalateS || 120) + ' (' + overdue.join(', ') + ')'
        : alarmIds.length + T(' insiden P1 belum diterima (', ' P1 not acknowledged yet (') + alarmIds.join(', ') + ')';
      if (Date.now() >= mutedUntil || overdue.length) beep();
    }
  }
  $('alarm-mute').addEventListener('click', function () { mutedUntil = Date.now() + 60000; });
  $('alarm-open').addEventListener('click', function () { if (alarmIds[0]) openDetail(alarmIds[0]); });
  setInterval(alarmTick, ALARM_EVERY_MS);

  // ---- units and assignments (units.js) ----
  var units = window.SiagaUnits.create({
    el: el, int64: int64, beep: beep, showBanner: showBanner, scheduleRender: scheduleRender,
    openDetail: function (id) { openDetail(id); },
    sendCommand: function (what, body) { sendCommand(what, body); }
  });

  var incidentHistory = window.SiagaHistory.create({
    el: el, int64: int64, formatClock: formatClock, scheduleRender: scheduleRender,
    sendCommand: function (what, body) { sendCommand(what, body); }
  });

  var merging = window.SiagaMerge.create({
    el: el,
    sendCommand: function (what, body) { sendCommand(what, body); },
    openIncidents: function () { return Array.from(incidents.values()); },
    openDetail: function (id) { openDetail(id); },
    label: function (inc) { return (CATEGORY_LABEL[inc.category] || inc.category || '?') + ', ' + placeText(inc.location); }
  });

  // ---- an incident's detail and the dispatcher's commands ----
  var STATUS_ORDER = ['INCIDENT_STATUS_OPEN', 'INCIDENT_STATUS_ACKNOWLEDGED', 'INCIDENT_STATUS_DISPATCHED',
                      'INCIDENT_STATUS_RESOLVED', 'INCIDENT_STATUS_CLOSED'];
  var STATUS_DONE, REFUSAL;
  function setCommandLabels() {
  STATUS_DONE = {
    INCIDENT_STATUS_ACKNOWLEDGED: T('Insiden diterima', 'Acknowledged'),
    INCIDENT_STATUS_DISPATCHED: T('Tercatat: bantuan diberangkatkan', 'Dispatched'),
    INCIDENT_STATUS_RESOLVED: T('Tercatat: selesai ditangani', 'Resolved'),
    INCIDENT_STATUS_CLOSED: T('Insiden ditutup', 'Closed')
  };
  REFUSAL = {
    version_conflict: T('Insiden ini berubah sejak Anda melihatnya (oleh petugas lain atau laporan baru). ' +
                        'Panel sudah menampilkan versi terbaru: periksa, lalu ulangi bila masih perlu.',
                        'This incident changed since you saw it (another dispatcher or a new report). ' +
                        'The panel now shows the latest version: check it, then retry if still needed.'),
    forbidden: T('Peran Anda tidak boleh melakukan ini (mis. mengambil alih setelah masa tenggang: minta supervisor).',
                 'Your role may not do this (e.g. taking over after the grace period: ask a supervisor).'),
    no_change: T('Status itu sudah berlaku.', 'It already has that status.'),
    not_found: T('Insiden tidak ditemukan.', 'No such incident.'),
    unavailable: T('Server sibuk atau terputus dari penyimpanan; coba lagi.', 'Store unavailable: retry.'),
    no_phones: T('Tidak ada pelapor lewat SMS di insiden ini.', 'Nobody reported it by SMS.'),
    unknown_phone: T('Nomor itu tidak melapor lewat SMS ke insiden ini.', 'That number did not report it by SMS.'),
    unit_busy: T('Unit itu sedang bertugas atau tidak tersedia. Pilih unit lain.', 'That unit is not available.'),
    unit_not_found: T('Unit tidak ditemukan.', 'No such unit.'),
    unit_disabled: T('Unit itu dinonaktifkan.', 'That unit is disabled.'),
    incident_closed: T('Insiden itu sudah selesai atau ditutup.', 'The incident is closed.'),
    not_active: T('Penugasan itu sudah berakhir.', 'That assignment is over.'),
    already_assigned: T('Unit itu sudah ditugaskan ke insiden ini.', 'Already assigned.'),
    bad_state: T('Penugasan itu sudah tidak terbuka.', 'That assignment is no longer open.'),
    not_open: T('Insiden itu sudah ditutup atau digabung; buka lagi dulu.', 'Closed or merged: reopen it first.'),
    not_merged: T('Insiden itu tidak sedang digabung.', 'It is not merged.'),
    only_report: T('Itu satu-satunya laporan insiden ini.', 'Its only report: nothing to split.'),
    not_in_incident: T('Laporan itu sudah tidak di insiden ini.', 'That report is no longer in it.')
  };
  }
  setCommandLabels();

  function noteSelected(inc) {
    if (inc && inc.id === selectedId &&
        (!selectedInc || bigVersion(inc.version) >= bigVersion(selectedInc.version))) {
      selectedInc = inc;
      if (detailEl.hidden === false) scheduleRender();
    }
  }

  function openDetail(id, given) {
    var inc = given || incidents.get(id);
    if (!inc) return;
    // A draft belongs to the incident it was written for: an unsent SMS or
    // note must not be sent to the next incident's callers by mistake.
    if (id !== selectedId) {
      $('sms-text').value = '';
      noteText.value = '';
      $('override-reason').value = '';
    }
    selectedId = id;
    selectedInc = inc;
    detailMsg.hidden = true;
    detailEl.hidden = false;
    document.body.classList.add('with-panel');
    rows.forEach(function (tr, rid) { tr.classList.toggle('selected', rid === id); });
    units.seen(id);
    renderDetail();
  }

  function closeDetail() {
    selectedId = null;
    selectedInc = null;
    detailEl.hidden = true;
    document.body.classList.remove('with-panel');
    rows.forEach(function (tr) { tr.classList.remove('selected'); });
  }

  function dlRow(dl, term, value) {
    dl.appendChild(el('dt', null, term));
    var dd = el('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = value;
    dl.appendChild(dd);
  }

  function renderDetail() {
    if (detailEl.hidden || !selectedInc) return;
    var inc = selectedInc;
    var pri = priorityOf(inc);
    var title = $('detail-title');
    title.textContent = '';
    title.appendChild(el('span', 'badge ' + pri.toLowerCase(), pri === 'P0' ? '–' : pri));
    title.appendChild(document.createTextNode(' ' + inc.id + ' · ' + (CATEGORY_LABEL[inc.category] || inc.category || '?')));

    detailBody.textContent = '';
    detailBody.appendChild(el('p', 'summary-big', inc.summary || T('(tanpa ringkasan)', '(no summary)')));
    var dl = el('dl');
    var st = inc.status || 'INCIDENT_STATUS_OPEN';
    dlRow(dl, 'Status', (STATUS_LABEL[st] || st) + (inc.handler ? T(' · ditangani ', ' · in the hands of ') + inc.handler : ''));
    if (inc.priorityOverride) {
      var po = inc.priorityOverride;
      dlRow(dl, T('Prioritas diubah', 'Priority override'), po.value + T(' oleh ', ' by ') + (po.by || '?') + ': “' + (po.reason || '') + '”');
    }
    if (inc.categoryOverride) {
      var co = inc.categoryOverride;
      dlRow(dl, T('Kategori diubah', 'Category override'), (CATEGORY_LABEL[co.value] || co.value) + T(' oleh ', ' by ') + (co.by || '?') + ': “' + (co.reason || '') + '”');
    }
    dlRow(dl, T('Skor', 'Score'), String(inc.score || 0));
    var loc = inc.location || {};
    var where = placeText(loc);
    if (loc.lat || loc.lon) where += ' (' + formatCoord(loc.lat || 0) + ', ' + formatCoord(loc.lon || 0) + ')';
    dlRow(dl, T('Lokasi', 'Place'), where);
    var how = [];
    if (SOURCE_LABEL[loc.source]) how.push(SOURCE_LABEL[loc.source]);
    if (loc.accuracyM) how.push('±' + Math.round(loc.accuracyM) + ' m');
    if (loc.confidence) how.push(T('keyakinan ', 'confidence ') + Math.round(loc.confidence * 100) + '%');
    if (how.length) dlRow(dl, T('Cara ditemukan', 'Found by'), how.join(' · '));
    var created = int64(inc.createdAtMs);
    if (created) dlRow(dl, T('Dibuat', 'Created'), new Date(created).toLocaleString(window.SiagaI18n.locale()) + ' · ' +
                       formatAge(Date.now() - created) + T(' lalu', ' ago'));
    dlRow(dl, T('Laporan', 'Reports'), String(inc.reportCount || (inc.reportIds || []).length));
    if ((inc.phones || []).length) {
      var ph = el('span');
      inc.phones.forEach(function (p, i) {
        if (i) ph.appendChild(document.createTextNode(', '));
        var a = el('a', 'phone', p);
        a.href = 'tel:' + p;
        ph.appendChild(a);
      });
      dlRow(dl, T('Nomor pelapor', 'Callers\' numbers'), ph);
    } else {
      dlRow(dl, T('Nomor pelapor', 'Callers\' numbers'), T('– (tidak ada)', '– (none)'));
    }
    dlRow(dl, T('Versi', 'Version'), String(inc.version || 0));
    detailBody.appendChild(dl);

    var why = el('section');
    why.appendChild(el('h3', null, T('Alasan skor', 'Why this score')));
    why.appendChild(reasonList(inc.reasons || []));
    detailBody.appendChild(why);
    units.renderDetail(inc, detailBody);
    merging.render(inc, detailBody);

    var notes = el('section');
    notes.appendChild(el('h3', null, T('Catatan', 'Notes')));
    if ((inc.notes || []).length) {
      var ol = el('ol', 'notes');
      inc.notes.forEach(function (n) {
        var li = el('li');
        li.appendChild(el('div', null, n.text || ''));
        var at = int64(n.atMs);
        li.appendChild(el('div', 'note-meta', (n.author || '?') + (at ? ' · ' + formatClock(new Date(at)) : '')));
        ol.appendChild(li);
      });
      notes.appendChild(ol);
    } else {
      notes.appendChild(el('p', 'meta', T('Belum ada catatan.', 'No notes yet.')));
    }
    detailBody.appendChild(notes);
    incidentHistory.render(inc, detailBody);

    var to = $('sms-to');
    var want = (inc.phones || []).join(',');
    if (to.dataset.phones !== want) {
      to.dataset.phones = want;
      while (to.options.length > 1) to.remove(1);
      (inc.phones || []).forEach(function (p) {
        var o = document.createElement('option');
        o.value = p;
        o.textContent = p;
        to.appendChild(o);
      });
    }

    var reopen = $('reopen');
    reopen.hidden = !((st === 'INCIDENT_STATUS_RESOLVED' || st === 'INCIDENT_STATUS_CLOSED') && signedIn &&
                      (signedIn.role === 'supervisor' || signedIn.role === 'admin'));
    reopen.disabled = !ws;

    var at = STATUS_ORDER.indexOf(st);
    var acts = detailEl.querySelectorAll('.act[data-status]');
    // Acknowledging one another dispatcher has in hand takes it over.
    var others = st === 'INCIDENT_STATUS_ACKNOWLEDGED' && inc.handler && signedIn && inc.handler !== signedIn.name;
    for (var i = 0; i < acts.length; i++) {
      var to = acts[i].dataset.status;
      var takeover = others && to === 'INCIDENT_STATUS_ACKNOWLEDGED';
      acts[i].classList.toggle('current', to === st && !takeover);
      acts[i].classList.toggle('takeover', !!takeover);
      acts[i].title = takeover ? T('Ambil alih dari ', 'Take over from ') + inc.handler : '';
      acts[i].disabled = (STATUS_ORDER.indexOf(to) <= at && !takeover) || !ws;
    }
  }

  function sendCommand(what, body) {
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      showDetailMsg(T('Tidak terhubung; perintah tidak dikirim.', 'Not connected: not sent.'), true);
      return;
    }
    commandSeq++;
    var id = 'cmd-' + commandSeq;
    commandsInFlight.set(id, what);
    body.requestId = id;
    ws.send(JSON.stringify({ command: body }));
  }

  function showDetailMsg(text, bad) {
    detailMsg.textContent = text;
    detailMsg.classList.toggle('bad', !!bad);
    detailMsg.hidden = false;
  }

  function commandAnswered(what, rep) {
    if (rep.ok) {
      if (what.note) noteText.value = '';
      if (!closedEl.hidden) loadClosed();
      if (what.sms) $('sms-text').value = '';
      if (what.override) {
        $('override-priority').value = '';
        $('override-category').value = '';
        $('override-reason').value = '';
      }
      showDetailMsg(what.done, false);
      if (what.openAfter) openDetail(what.openAfter);
      return;
    }
    showDetailMsg(REFUSAL[rep.errorCode] || (T('Ditolak: ', 'Refused: ') + (rep.errorCode || '') + ' ' + (rep.message || '')), true);
    // Another change won: bring the panel to the latest version at once
    // (the update may still be on its way), so the dispatcher decides again
    // on what is true now.
    if (rep.errorCode === 'version_conflict' && selectedId) {
      var id = selectedId;
      fetch('/v1/incidents/' + encodeURIComponent(id), { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (inc) {
          if (!inc || inc.id !== id) return;
          if (applyIncident(inc)) scheduleRender();
          noteSelected(inc);
        })
        .catch(function () { /* the next update brings it */ });
    }
  }

  function setStatus(to) {
    if (!selectedInc) return;
    var body = { incidentId: selectedInc.id, status: to, expectedVersion: String(selectedInc.version || 0) };
    var inc = selectedInc;
    if (to === 'INCIDENT_STATUS_ACKNOWLEDGED' && inc.status === to && inc.handler && signedIn &&
        inc.handler !== signedIn.name) {
      // Taking over: past the grace it is a supervisor's, with a reason.
      if (signedIn.role === 'supervisor' || signedIn.role === 'admin') {
        var reason = window.prompt(T('Alasan mengambil alih dari ', 'Why take it over from ') + inc.handler + ':', '');
        if (reason === null) return;
        body.reason = reason.trim();
      }
      sendCommand({ done: T('Insiden diambil alih.', 'Taken over.') }, { setStatus: body });
      return;
    }
    sendCommand({ done: STATUS_DONE[to] || 'OK' }, { setStatus: body });
  }

  tbody.addEventListener('click', function (ev) {
    var tr = ev.target.closest('tr[data-incident-id]');
    if (tr) openDetail(tr.dataset.incidentId);
  });
  tbody.addEventListener('keydown', function (ev) {
    var tr = ev.target.closest('tr[data-incident-id]');
    if (!tr) return;
    if (ev.key === 'Enter') { openDetail(tr.dataset.incidentId); ev.preventDefault(); }
    if (ev.key === 'ArrowDown' && tr.nextElementSibling) { tr.nextElementSibling.focus(); ev.preventDefault(); }
    if (ev.key === 'ArrowUp' && tr.previousElementSibling) { tr.previousElementSibling.focus(); ev.preventDefault(); }
  });
  $('detail-close').addEventListener('click', closeDetail);
  $('reopen').addEventListener('click', function () {
    if (!selectedInc) return;
    sendCommand({ done: T('Insiden dibuka lagi.', 'Reopened.'), reopened: true },
                { setStatus: { incidentId: selectedInc.id, status: 'INCIDENT_STATUS_OPEN',
                               expectedVersion: String(selectedInc.version || 0) } });
  });

  // ---- closed in the last 24 hours (GET /v1/incidents?status=closed) ----
  var closedEl = $('closed');
  function loadClosed() {
    fetch('/v1/incidents?status=closed&limit=200', { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) { return r.ok ? r.json() : { incidents: [] }; })
      .then(function (list) {
        var ul = $('closed-list');
        ul.textContent = '';
        (list.incidents || []).forEach(function (inc) {
          var li = el('li');
          li.dataset.incidentId = inc.id;
          li.appendChild(el('span', 'cl-id', inc.id));
          li.appendChild(el('span', 'badge ' + priorityOf(inc).toLowerCase(), priorityOf(inc)));
          li.appendChild(el('span', null, (CATEGORY_LABEL[inc.category] || inc.category || '?') + ' · ' +
                                         (inc.summary || '')));
          var at = int64(inc.updatedAtMs);
          li.appendChild(el('span', 'cl-when', (inc.mergedInto ? T('Digabung ke ', 'Merged into ') + inc.mergedInto : (STATUS_LABEL[inc.status] || '')) +
                                               (at ? ' ' + formatClock(new Date(at)) : '')));
          li.addEventListener('click', function () { openDetail(inc.id, inc); });
          ul.appendChild(li);
        });
        if (!ul.children.length) ul.appendChild(el('li', 'meta', T('Belum ada.', 'None yet.')));
      }).catch(function () { /* shown again on the next toggle */ });
  }
  $('closed-toggle').addEventListener('click', function () {
    closedEl.hidden = !closedEl.hidden;
    $('closed-toggle').setAttribute('aria-pressed', String(!closedEl.hidden));
    if (!closedEl.hidden) loadClosed();
  });
  Array.prototype.forEach.call(detailEl.querySelectorAll('.act[data-status]'), function (b) {
    b.addEventListener('click', function () { setStatus(b.dataset.status); });
  });
  fillCategorySelect($('override-category'), true);
  $('override-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!selectedInc) return;
    var pri = $('override-priority').value, cat = $('override-category').value;
    var reason = $('override-reason').value.trim();
    if (!pri && !cat) { showDetailMsg(T('Pilih prioritas atau kategori.', 'Choose a priority or a category.'), true); return; }
    if (!reason) { showDetailMsg(T('Tulis alasannya: dispatcher lain akan membacanya.', 'Say why.'), true); $('override-reason').focus(); return; }
    var done = { done: T('Perubahan disimpan.', 'Override saved.'), override: true };
    if (pri) sendCommand(done, { setPriority: { incidentId: selectedInc.id, priority: pri, reason: reason,
                                                expectedVersion: String(selectedInc.version || 0) } });
    if (cat) sendCommand(done, { setCategory: { incidentId: selectedInc.id, category: cat, reason: reason } });
  });
  $('sms-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = $('sms-text').value.trim();
    if (!text || !selectedInc) return;
    sendCommand({ done: T('SMS dikirim ke antrean keluar.', 'SMS queued to send.'), sms: true },
                { replySms: { incidentId: selectedInc.id, text: text, phone: $('sms-to').value } });
  });
  $('note-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = noteText.value.trim();
    if (!text || !selectedInc) return;
    sendCommand({ done: T('Catatan ditambahkan.', 'Note added.'), note: true },
                { addNote: { incidentId: selectedInc.id, text: text } });
  });
  // Shortcuts while a detail is open and the dispatcher is not typing.
  var SHORTCUT = { a: 'INCIDENT_STATUS_ACKNOWLEDGED', d: 'INCIDENT_STATUS_DISPATCHED',
                   r: 'INCIDENT_STATUS_RESOLVED', c: 'INCIDENT_STATUS_CLOSED' };
  document.addEventListener('keydown', function (ev) {
    if (detailEl.hidden || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    var typing = isTyping();
    if (ev.key === 'Escape') { if (typing) document.activeElement.blur(); else closeDetail(); return; }
    if (typing) return;
    var k = ev.key.toLowerCase();
    if (k === 'n') { noteText.focus(); ev.preventDefault(); return; }
    if (k === 'p') { $('override-priority').focus(); ev.preventDefault(); return; }
    if (k === 's') { $('sms-text').focus(); ev.preventDefault(); return; }
    if (k === 'u' && selectedInc) { units.recommend(selectedInc); ev.preventDefault(); return; }
    if (SHORTCUT[k]) {
      var b = detailEl.querySelector('.act[data-status="' + SHORTCUT[k] + '"]');
      if (b && !b.disabled) setStatus(SHORTCUT[k]);
      ev.preventDefault();
    }
  });
  noteText.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && !ev.shiftKey) { ev.preventDefault(); $('note-form').requestSubmit(); }
  });

  // ---- connection ----
  function setConn(state, text) {
    connEl.dataset.state = state;
    connText.textContent = text || { connected: T('terhubung', 'connected'), connecting: T('menyambung…', 'connecting…'),
                                     disconnected: T('terputus', 'disconnected') }[state];
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
    setConn('connecting', attempt ? T('menyambung ulang…', 'reconnecting…') : undefined);
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
      if (ev.code === 4003) {
        showSignIn(T('Sesi Anda berakhir. Silakan masuk lagi.', 'Your session has ended: sign in again.'));
        return;
      }
      if (!opened) {
        // A refused upgrade looks like any failure here: ask whether the
        // session is still there before trying again.
        attempt++;
        checkSession(function () { scheduleReconnect(); }, scheduleReconnect);
        return;
      }
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
      setConn('disconnected', T('terputus — menyambung ulang', 'disconnected — reconnecting') +
              (left ? T(' dalam ', ' in ') + left + T(' dtk', ' s') : '') + '…');
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
  window.addEventListener('online', function () { if (!ws && signedIn) { attempt = 0; connect(); } });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && !ws && reconnectTimer && signedIn) { attempt = 0; connect(); }
  });

  // ---- signing in ----
  function onSignedIn(who) {
    signedIn = who;
    if (who.mapTiles) mapTiles = who.mapTiles;
    if (who.ackTargetS) {
      Object.keys(ACK_TARGET_S).forEach(function (p) {
        if (who.ackTargetS[p] > 0) ACK_TARGET_S[p] = who.ackTargetS[p];
      });
    }
    $('who-name').textContent = who.name;
    $('who-role').textContent = ROLE_LABEL[who.role] || who.role;
    whoEl.hidden = false;
    signinEl.hidden = true;
    attempt = 0;
    if (!ws) connect();
  }

  function showSignIn(message) {
    signedIn = null;
    closeDetail();
    clearTimeout(reconnectTimer);
    clearInterval(countdownTimer);
    reconnectTimer = null;
    if (ws) { var s = ws; ws = null; s.close(1000, 'signed out'); }
    stopPing();
    incidents.clear();
    gone.clear();
    lastUpdateId = '';
    haveData = false;
    scheduleRender();
    whoEl.hidden = true;
    setConn('disconnected', T('belum masuk', 'not signed in'));
    signinError.hidden = !message;
    signinError.textContent = message || '';
    signinEl.hidden = false;
    signinSubmit.disabled = false;
    $('signin-user').focus();
  }

  // GET /v1/auth/session: signed in (ok(who)), 401/403 (the form), or the
  // server is away (otherwise(), by default ask again in 2 s).
  function checkSession(ok, otherwise) {
    fetch('/v1/auth/session', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.ok) return r.json().then(ok);
      if (r.status === 401 || r.status === 403) return showSignIn(signedIn ? T('Sesi Anda berakhir.', 'Your session has ended.') : '');
      throw new Error('status ' + r.status);
    }).catch(function () {
      if (otherwise) otherwise(); else setTimeout(function () { checkSession(ok); }, 2000);
    });
  }

  signinForm.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var name = $('signin-user').value.trim().toLowerCase();
    var password = $('signin-pass').value;
    signinSubmit.disabled = true;
    signinError.hidden = true;
    fetch('/v1/auth/login', {
      method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: name, password: password })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        signinSubmit.disabled = false;
        if (r.ok) {
          $('signin-pass').value = '';
          // The session's settings (map tiles, escalation) come with it.
          checkSession(onSignedIn, function () { onSignedIn({ name: name, role: body.role }); });
          return;
        }
        var text;
        if (r.status === 401) text = T('Nama pengguna atau kata sandi salah.', 'Wrong username or password.');
        else if (r.status === 429) {
          var min = Math.max(1, Math.ceil((Number(r.headers.get('Retry-After')) || 60) / 60));
          text = T('Terlalu banyak percobaan gagal. Coba lagi dalam ' + min + ' menit.',
                   'Too many failed attempts: try again in ' + min + ' min.');
        } else text = T('Server tidak dapat dihubungi, coba lagi.', 'The server is unavailable, try again.');
        signinError.textContent = text;
        signinError.hidden = false;
        $('signin-pass').select();
      });
    }).catch(function () {
      signinSubmit.disabled = false;
      signinError.textContent = T('Jaringan terputus, coba lagi.', 'No network, try again.');
      signinError.hidden = false;
    });
  });

  $('signout').addEventListener('click', function () {
    fetch('/v1/auth/logout', { method: 'POST', credentials: 'same-origin', cache: 'no-store' })
      .catch(function () {}).then(function () { showSignIn(''); });
  });

  // Test and debugging hook, read-only.
  window.siagaConsole = {
    get signedIn() { return signedIn; },
    get escalated() { return $('alarm').classList.contains('escalated') && !$('alarm').hidden; },
    get alarming() { return unacknowledgedP1().length > 0 && !$('alarm').hidden; },
    get lastUpdateId() { return lastUpdateId; },
    get count() { return incidents.size; }
  };

  // A language switch redraws everything the scripts wrote; the static page
  // has already been switched by i18n.js.
  window.SiagaI18n.onChange(function () {
    setLabels();
    setCommandLabels();
    fillCategorySelect($('f-category'), false);
    fillCategorySelect($('override-category'), true);
    rows.forEach(function (tr) { tr._inc = null; });
    setConn(connEl.dataset.state);
    if (connEl.dataset.state === 'disconnected' && !signedIn) setConn('disconnected', T('belum masuk', 'not signed in'));
    if (!closedEl.hidden) loadClosed();
    units.relabel();
    incidentHistory.relabel();
    detailMsg.hidden = true;
    bannerEl.hidden = true;
    if (lastUpdate) footNote.textContent = footText(lastUpdate);
    render();
    alarmTick();
  });

  tick();
  setInterval(tick, 500);
  render();
  checkSession(onSignedIn);
})();
