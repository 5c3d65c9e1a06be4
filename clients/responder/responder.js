// SIAGA 112 responder page: a unit's crew on a phone.
//
// Signs in with the unit's token (kept in localStorage on this phone) and
// holds WebSocket /v1/responder with subprotocol siaga.responder.v1.json
// (the proto3 JSON mapping of siaga.v1.ResponderServerMessage). A browser
// cannot set headers on a WebSocket, so the token goes as ?token=. On a
// dropped connection it comes back with ?resume=<last update id> and the
// server replays what was missed. No framework, no build step.
(function () {
  'use strict';

  var SUBPROTOCOL = 'siaga.responder.v1.json';
  var TOKEN_KEY = 'siaga.unit.token';
  var STATE_KEY = 'siaga.unit.state'; // what the page last knew, for a start with no network
  var POSITION_EVERY_MS = 5000;
  var PING_EVERY_MS = 25000;
  var BACKOFF_MIN_MS = 1000, BACKOFF_MAX_MS = 30000;

  var CATEGORY = {
    fire: 'Kebakaran', flood: 'Banjir', accident: 'Kecelakaan', medical: 'Medis',
    crime: 'Kriminal', rescue: 'Penyelamatan', land_fire: 'Karhutla', haze: 'Kabut asap',
    animal: 'Hewan', hazard: 'Bahaya (pohon, listrik, gas)', nonemergency: 'Bukan darurat',
    other: 'Lainnya', unknown: 'Tak diketahui'
  };
  var UNIT_STATUS = {
    UNIT_STATUS_AVAILABLE: 'Tersedia', UNIT_STATUS_ASSIGNED: 'Ditugaskan',
    UNIT_STATUS_EN_ROUTE: 'Berangkat', UNIT_STATUS_ON_SCENE: 'Di lokasi',
    UNIT_STATUS_TRANSPORTING: 'Bawa pasien', UNIT_STATUS_AT_HOSPITAL: 'Di RS',
    UNIT_STATUS_RETURNING: 'Kembali', UNIT_STATUS_OUT_OF_SERVICE: 'Tidak beroperasi',
    UNIT_STATUS_OFFLINE: 'Luring'
  };
  var ASSIGNMENT_STATE = {
    ASSIGNMENT_STATE_OFFERED: 'TUGAS BARU', ASSIGNMENT_STATE_DELIVERED: 'TUGAS BARU',
    ASSIGNMENT_STATE_SEEN: 'TUGAS BARU', ASSIGNMENT_STATE_ACCEPTED: 'Diterima'
  };
  var OPEN_STATES = ['ASSIGNMENT_STATE_OFFERED', 'ASSIGNMENT_STATE_DELIVERED',
                     'ASSIGNMENT_STATE_SEEN', 'ASSIGNMENT_STATE_ACCEPTED'];
  var SOURCE = {
    LOCATION_SOURCE_DEVICE: 'GPS pelapor', LOCATION_SOURCE_AML: 'AML',
    LOCATION_SOURCE_TEXT: 'dari teks', LOCATION_SOURCE_GAZETTEER: 'perkiraan wilayah'
  };

  var $ = function (id) { return document.getElementById(id); };

  // ---- state ----
  var token = localStorage.getItem(TOKEN_KEY) || '';
  var unit = null;         // siaga.v1.Unit as last told
  var assignment = null;   // the open one, or null
  var incident = null;     // its CrewIncident
  var lastUpdateId = '';   // sent back as ?resume=
  var ws = null, attempt = 0, reconnectTimer = null, pingTimer = null;
  var requestSeq = 0;
  var seenSent = {};       // assignment id -> 'delivered' | 'opened'
  var watchId = null, fix = null, fixSentAt = 0, positionTimer = null;
  var audio = null;

  // ---- sign-in ----
  function showSignIn(message) {
    $('app').hidden = true;
    $('signin').hidden = false;
    $('signin-error').hidden = !message;
    $('signin-error').textContent = message || '';
    setConn('off', 'belum masuk');
    $('token').focus();
  }

  $('signin-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('token').value.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(t)) {
      showSignIn('Token harus 64 digit heksadesimal. (The token is 64 hex digits.)');
      return;
    }
    token = t;
    forget();
    localStorage.setItem(TOKEN_KEY, token);
    unlockAudio();
    start();
  });

  function forget() {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(STATE_KEY);
    unit = assignment = incident = null;
  }

  // The last state and the update id it stands at go together: a page
  // opened again (with or without network) shows them, and resumes from
  // that id, so what changed meanwhile is replayed on top.
  function save() {
    try {
      localStorage.setItem(STATE_KEY, JSON.stringify({ unit: unit, assignment: assignment,
                                                       incident: incident, lastUpdateId: lastUpdateId }));
    } catch (e) { /* storage full or refused: the page still works online */ }
  }

  function restore() {
    try {
      var st = JSON.parse(localStorage.getItem(STATE_KEY) || 'null');
      if (!st) return;
      unit = st.unit || null;
      assignment = st.assignment || null;
      incident = st.incident || null;
      lastUpdateId = st.lastUpdateId || '';
    } catch (e) { localStorage.removeItem(STATE_KEY); }
  }

  $('signout').addEventListener('click', function () {
    forget();
    token = '';
    lastUpdateId = '';
    stopPosition();
    if (ws) { var s = ws; ws = null; s.close(1000, 'sign out'); }
    clearTimeout(reconnectTimer);
    showSignIn('');
  });

  function start() {
    $('signin').hidden = true;
    $('app').hidden = false;
    attempt = 0;
    connect();
  }

  // ---- the connection ----
  function setConn(state, text) {
    $('conn').dataset.state = state;
    $('conn-text').textContent = text;
  }

  function url() {
    var u = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
            '/v1/responder?token=' + encodeURIComponent(token);
    if (lastUpdateId) u += '&resume=' + encodeURIComponent(lastUpdateId);
    return u;
  }

  function connect() {
    clearTimeout(reconnectTimer);
    setConn('connecting', attempt ? 'menyambung ulang…' : 'menyambung…');
    var sock;
    try { sock = new WebSocket(url(), SUBPROTOCOL); } catch (e) { scheduleReconnect(); return; }
    ws = sock;
    var heard = false;
    sock.onopen = function () {
      if (ws !== sock) return;
      setConn('on', 'terhubung');
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ ping: {} }); }, PING_EVERY_MS);
    };
    sock.onmessage = function (ev) {
      if (ws !== sock || typeof ev.data !== 'string') return;
      heard = true;
      attempt = 0;
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      handle(m);
    };
    sock.onclose = function (ev) {
      if (ws !== sock) return;
      ws = null;
      clearInterval(pingTimer);
      if (ev.code === 4003) {
        stopPosition();
        forget();
        showSignIn('Token unit tidak berlaku lagi (diganti atau unit dinonaktifkan). ' +
                   '(The unit\'s token has been replaced or the unit disabled.)');
        return;
      }
      if (ev.code === 4001) lastUpdateId = ''; // the server lost its place: start afresh
      attempt++;
      if (heard || attempt < 3) {
        scheduleReconnect();
        return;
      }
      // Refused before a word, again: a page cannot read the upgrade's 401,
      // so ask whether the server is there at all. If it is, the token is
      // what it refuses; if not, the network is down and the page waits.
      fetch('/healthz', { cache: 'no-store' }).then(function (r) {
        if (r.ok && token) {
          forget();
          showSignIn('Tidak bisa masuk dengan token ini. (This token is not accepted.)');
        } else {
          scheduleReconnect();
        }
      }, scheduleReconnect);
    };
  }

  function scheduleReconnect() {
    var base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * Math.pow(2, Math.max(0, attempt - 1)));
    var delay = Math.round(base * (0.75 + Math.random() * 0.5));
    setConn('off', 'terputus');
    reconnectTimer = setTimeout(connect, delay);
  }

  window.addEventListener('online', function () {
    if (!ws && token) { attempt = 0; connect(); }
  });

  function send(action) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return null;
    var id = 'r' + (++requestSeq);
    var command = { requestId: id };
    for (var k in action) command[k] = action[k];
    ws.send(JSON.stringify({ command: command }));
    return id;
  }

  // ---- what the server says ----
  function handle(m) {
    if (m.hello) {
      var h = m.hello;
      unit = h.unit || unit;
      setAssignment(h.assignment, h.incident, false);
      if (h.lastUpdateId) lastUpdateId = h.lastUpdateId;
    } else if (m.assignment) {
      lastUpdateId = m.assignment.updateId || lastUpdateId;
      setAssignment(m.assignment.assignment, m.assignment.incident, true);
    } else if (m.assignmentCancelled) {
      var c = m.assignmentCancelled;
      lastUpdateId = c.updateId || lastUpdateId;
      if (assignment && c.assignment && c.assignment.id === assignment.id) {
        toast(c.assignment.state === 'ASSIGNMENT_STATE_TIMED_OUT'
              ? 'Tugas kedaluwarsa (timed out)' : 'Tugas dibatalkan dispatcher (cancelled)');
        setAssignment(null, null, false);
      }
    } else if (m.update) {
      var u = m.update;
      lastUpdateId = u.updateId || lastUpdateId;
      if (u.assignment) {
        setAssignment(u.assignment, u.incident || (assignment && u.assignment.id === assignment.id ? incident : null), false);
      } else if (u.incident && incident && u.incident.id === incident.id) {
        incident = u.incident;
      }
      if (u.unit) {
        unit = u.unit;
        // The unit itself says it has no assignment now (cleared).
        if (!unit.assignmentId && assignment && !u.assignment) setAssignment(null, null, false);
      }
    } else if (m.reply) {
      if (m.reply.unit) unit = m.reply.unit;
      if (!m.reply.ok && m.reply.error && m.reply.requestId.indexOf('ping') !== 0)
        toast('Ditolak: ' + m.reply.error.message);
    } else if (m.error) {
      toast(m.error.message || m.error.code);
    }
    save();
    render();
    positionForStatus();
  }

  function setAssignment(a, inc, fresh) {
    if (a && OPEN_STATES.indexOf(a.state) < 0) a = null;
    var isNew = a && (!assignment || assignment.id !== a.id);
    assignment = a || null;
    incident = a ? (inc || (incident && incident.id === a.incidentId ? incident : null)) : null;
    if (!a) return;
    if (a.state === 'ASSIGNMENT_STATE_OFFERED' && !seenSent[a.id]) {
      seenSent[a.id] = 'delivered';
      send({ seen: { assignmentId: a.id, opened: false } });
    }
    if (isNew && fresh) alarm();
    markOpened();
  }

  // SEEN once the offer is on a screen someone can see.
  function markOpened() {
    if (!assignment || document.visibilityState !== 'visible' || seenSent[assignment.id] === 'opened') return;
    if (assignment.state === 'ASSIGNMENT_STATE_ACCEPTED') return;
    seenSent[assignment.id] = 'opened';
    send({ seen: { assignmentId: assignment.id, opened: true } });
  }
  document.addEventListener('visibilitychange', markOpened);

  // ---- showing it ----
  function text(id, s) { $(id).textContent = s || ''; }

  function fillList(id, items, make) {
    var ul = $(id);
    ul.textContent = '';
    items.forEach(function (x) { ul.appendChild(make(x)); });
    $(id + '-box').hidden = items.length === 0;
  }

  function li(s) { var e = document.createElement('li'); e.textContent = s; return e; }

  function geoUrl() {
    var loc = incident && incident.location;
    if (!loc || (!loc.lat && !loc.lon)) return '#';
    var ll = loc.lat.toFixed(6) + ',' + loc.lon.toFixed(6);
    return 'geo:' + ll + '?q=' + ll;
  }

  function render() {
    text('unit-name', unit ? unit.id + (unit.name ? ' · ' + unit.name : '') : 'Unit');
    var st = unit && unit.status;
    text('unit-status', UNIT_STATUS[st] || '–');
    document.querySelectorAll('.st').forEach(function (b) {
      b.classList.toggle('current', b.dataset.status === st);
      b.setAttribute('aria-pressed', b.dataset.status === st ? 'true' : 'false');
    });
    $('idle').hidden = !!assignment;
    $('job').hidden = !assignment;
    if (!assignment) return;
    var inc = incident || {};
    var accepted = assignment.state === 'ASSIGNMENT_STATE_ACCEPTED';
    $('job').classList.toggle('offered', !accepted);
    var p = inc.priority && inc.priority !== 'PRIORITY_UNSPECIFIED' ? inc.priority : 'P?';
    $('job-priority').className = 'badge ' + p.toLowerCase();
    text('job-priority', p);
    text('job-category', CATEGORY[inc.category] || inc.category || 'Insiden');
    text('job-state', ASSIGNMENT_STATE[assignment.state] || '');
    var loc = inc.location || {};
    text('job-place', loc.address || (inc.location ? 'Lokasi di peta' : 'Lokasi belum diketahui'));
    text('job-coords', inc.location ? loc.lat.toFixed(5) + ', ' + loc.lon.toFixed(5) +
         (SOURCE[loc.source] ? ' · ' + SOURCE[loc.source] : '') +
         (loc.accuracyM ? ' · ±' + Math.round(loc.accuracyM) + ' m' : '') : '');
    // The summary is often the one text itself: said once.
    var texts = inc.texts || [];
    text('job-summary', texts.length === 1 && texts[0] === inc.summary ? '' : inc.summary);
    fillList('job-texts', texts, li);
    fillList('job-phones', inc.phones || [], function (ph) {
      var e = document.createElement('li'), a = document.createElement('a');
      a.href = 'tel:' + ph;
      a.textContent = ph;
      e.appendChild(a);
      return e;
    });
    fillList('job-notes', inc.notes || [], function (n) {
      return li((n.author ? n.author + ': ' : '') + n.text);
    });
    text('job-id', (inc.id || assignment.incidentId) + ' · ' + assignment.id);
    $('offer-actions').hidden = accepted;
    $('accepted-actions').hidden = !accepted;
    $('accept-nav').href = geoUrl();
    $('navigate').href = geoUrl();
  }

  var toastTimer = null;
  function toast(s) {
    var t = $('toast');
    t.textContent = s;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.hidden = true; }, 5000);
  }

  // ---- what the crew does ----
  function accept() {
    if (assignment) send({ accept: { assignmentId: assignment.id } });
  }
  $('accept').addEventListener('click', accept);
  // The link opens the phone's map app itself; the accept goes first.
  $('accept-nav').addEventListener('click', function (ev) {
    accept();
    if ($('accept-nav').getAttribute('href') === '#') ev.preventDefault();
  });
  $('decline').addEventListener('click', function () {
    $('decline-form').hidden = false;
  });
  $('decline-cancel').addEventListener('click', function () { $('decline-form').hidden = true; });
  $('decline-preset').addEventListener('change', function () {
    $('decline-reason').hidden = $('decline-preset').value !== '';
  });
  $('decline-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var reason = $('decline-preset').value || $('decline-reason').value.trim();
    if (!reason) { $('decline-reason').focus(); return; }
    if (assignment) send({ decline: { assignmentId: assignment.id, reason: reason } });
    $('decline-form').hidden = true;
  });
  $('note-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = $('note-text').value.trim();
    if (!t || !incident) return;
    send({ addNote: { incidentId: incident.id, text: t } });
    $('note-text').value = '';
  });
  document.querySelectorAll('.st').forEach(function (b) {
    b.addEventListener('click', function () {
      send({ setUnitStatus: { status: b.dataset.status } });
    });
  });

  // ---- the phone's position, every 5 s while en route ----
  function positionForStatus() {
    if (unit && unit.status === 'UNIT_STATUS_EN_ROUTE') startPosition();
    else stopPosition();
  }

  function startPosition() {
    if (watchId !== null || !navigator.geolocation) return;
    watchId = navigator.geolocation.watchPosition(function (p) {
      fix = p;
      if (Date.now() - fixSentAt >= POSITION_EVERY_MS) sendFix();
    }, function () {
      text('gps', 'Lokasi tidak tersedia (no position)');
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 20000 });
    positionTimer = setInterval(sendFix, POSITION_EVERY_MS);
  }

  function sendFix() {
    if (!fix) return;
    var c = fix.coords;
    if (send({ position: { lat: c.latitude, lon: c.longitude, accuracyM: c.accuracy || 0,
                           atMs: String(Math.round(fix.timestamp)) } })) {
      fixSentAt = Date.now();
      text('gps', 'Lokasi dibagikan ' + new Date().toLocaleTimeString('id-ID') + ' (position shared)');
    }
  }

  function stopPosition() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearInterval(positionTimer);
    positionTimer = null;
    fix = null;
    text('gps', 'Lokasi tidak dibagikan (position not shared)');
  }

  // ---- the sound of a new assignment ----
  function unlockAudio() {
    var A = window.AudioContext || window.webkitAudioContext;
    if (!A) return;
    if (!audio) audio = new A();
    if (audio.state === 'suspended') audio.resume();
  }
  document.addEventListener('pointerdown', unlockAudio);

  function alarm() {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300, 150, 300]);
    if (!audio) return;
    var t = audio.currentTime;
    for (var i = 0; i < 3; i++) {
      var o = audio.createOscillator(), g = audio.createGain();
      o.type = 'square';
      o.frequency.value = i % 2 ? 660 : 880;
      g.gain.setValueAtTime(0.0001, t + i * 0.35);
      g.gain.exponentialRampToValueAtTime(0.3, t + i * 0.35 + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.35 + 0.3);
      o.connect(g);
      g.connect(audio.destination);
      o.start(t + i * 0.35);
      o.stop(t + i * 0.35 + 0.32);
    }
  }

  // ---- installable, and there offline ----
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/responder-sw.js', { scope: '/responder' }).catch(function () {});
  }

  if (token) {
    restore();
    render();
    start();
  } else {
    showSignIn('');
  }
})();
