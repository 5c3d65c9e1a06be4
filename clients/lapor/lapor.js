// The citizens' app: report an emergency, keep the report on the phone until
// the centre has it (an Idempotency-Key makes every retry the same report),
// then follow it live over the WebSocket /v1/follow. No build step, no
// library, no account; everything it keeps is in this phone's localStorage.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const KEYS = { outbox: 'siaga.outbox', reports: 'siaga.reports', phone: 'siaga.phone',
                 current: 'siaga.current', sms: 'siaga.smsNumber' };
  const STEPS = ['received', 'assessing', 'on_the_way', 'arrived', 'handled'];
  const RETRY_MIN_MS = 2000;
  const RETRY_MAX_MS = 60000;
  const FOLLOW_PROTOCOL = 'siaga.follow.v1.json';

  // ---- what the phone keeps ----
  function load(k, dflt) {
    try {
      const v = JSON.parse(localStorage.getItem(k));
      return v === null || v === undefined ? dflt : v;
    } catch (e) { return dflt; }
  }
  function save(k, v) {
    try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) { /* full or private: kept in memory only */ }
  }
  function newKey() {
    if (crypto.randomUUID) return 'lapor-' + crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'lapor-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // ---- the form ----
  const form = { kind: '', loc: null, detailsOf: '' };

  function setKind(kind) {
    form.kind = form.kind === kind ? '' : kind;
    for (const b of document.querySelectorAll('.kind'))
      b.setAttribute('aria-pressed', String(b.dataset.kind === form.kind));
    if (form.kind && !form.loc) locate();
  }

  function showLoc(html) { $('loc-status').innerHTML = html; }

  function locate() {
    if (!navigator.geolocation) {
      showLoc('HP tidak memberi lokasi: tulis tempatnya <span class="en">No location: type the place</span>');
      return;
    }
    showLoc('Mencari lokasi… <span class="en">Finding your location…</span>');
    navigator.geolocation.getCurrentPosition((p) => {
      form.loc = { lat: p.coords.latitude, lon: p.coords.longitude,
                   accuracyM: Math.round(p.coords.accuracy || 0) };
      showLoc('Lokasi didapat, akurasi ±' + form.loc.accuracyM + ' m <span class="en">Location found, ±' +
              form.loc.accuracyM + ' m</span>');
    }, () => {
      showLoc('HP tidak memberi lokasi: tulis tempatnya di bawah <span class="en">No location: type the place below</span>');
      $('place').focus();
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function formError(text) {
    const e = $('form-error');
    e.hidden = !text;
    e.innerHTML = text || '';
  }

  function buildReport() {
    const desc = $('desc').value.trim();
    const place = $('place').value.trim();
    const phone = $('phone').value.trim();
    if (!form.kind && !desc && !form.loc && !place)
      return { error: 'Pilih jenis darurat atau tulis keterangan <span class="en">Pick a kind or write a few words</span>' };
    const digits = phone.replace(/[^0-9]/g, '');
    if (phone && (digits.length < 8 || digits.length > 15 || /[^0-9+\s().-]/.test(phone)))
      return { error: 'Nomor HP tidak dikenali, mis. 0812 3456 7890 <span class="en">Phone number not recognised</span>' };
    if (form.detailsOf && !phone)
      return { error: 'Isi nomor HP yang sama agar keterangan masuk ke laporan tadi <span class="en">Give the same number to add to your report</span>' };
    const r = { description: desc, sentAtMs: String(Date.now()) };
    if (form.kind) r.category = form.kind;
    if (form.loc || place) {
      r.location = {};
      if (form.loc) Object.assign(r.location, form.loc, { source: 'LOCATION_SOURCE_DEVICE' });
      if (place) r.location.address = place;
    }
    if (phone) r.reporter = { phone: phone };
    return { report: r, phone: phone };
  }

  function send() {
    const built = buildReport();
    if (built.error) { formError(built.error); return; }
    formError('');
    if (built.phone) save(KEYS.phone, built.phone);
    const entry = { key: newKey(), body: built.report, createdAt: Date.now(), attempts: 0, next: 0,
                    detailsOf: form.detailsOf };
    const outbox = load(KEYS.outbox, []);
    outbox.push(entry);
    save(KEYS.outbox, outbox);
    save(KEYS.current, { key: entry.key });
    resetForm();
    showStatus();
    pump();
  }

  function resetForm() {
    form.kind = '';
    form.detailsOf = '';
    $('desc').value = '';
    $('place').value = '';
    for (const b of document.querySelectorAll('.kind')) b.setAttribute('aria-pressed', 'false');
    $('details-of').hidden = true;
  }

  // ---- delivery: the outbox, retried with backoff until the centre has it ----
  let pumping = false;
  let pumpTimer = 0;

  function schedule(ms) {
    clearTimeout(pumpTimer);
    pumpTimer = setTimeout(pump, Math.max(0, ms));
  }

  async function deliver(entry) {
    let resp;
    try {
      resp = await fetch('/v1/reports', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': entry.key },
        body: JSON.stringify(entry.body),
        cache: 'no-store',
      });
    } catch (e) {
      return { retry: true };
    }
    if (resp.status === 202 || resp.status === 200) {
      const a = await resp.json().catch(() => null);
      return a && a.reportId ? { ok: a } : { retry: true };
    }
    if (resp.status === 429 || resp.status >= 500 || resp.status === 408) return { retry: true };
    const err = await resp.json().catch(() => ({}));
    return { refused: err.message || ('HTTP ' + resp.status) };
  }

  async function pump() {
    if (pumping) return;
    pumping = true;
    try {
      for (let guard = 0; guard < 50; guard++) {
        const outbox = load(KEYS.outbox, []);
        const now = Date.now();
        const entry = outbox.find((e) => e.next <= now);
        if (!entry) {
          if (outbox.length) schedule(Math.min(...outbox.map((e) => e.next)) - now);
          break;
        }
        const result = await deliver(entry);
        const fresh = load(KEYS.outbox, []);
        const i = fresh.findIndex((e) => e.key === entry.key);
        if (i < 0) continue;
        if (result.retry) {
          const e = fresh[i];
          e.attempts++;
          const wait = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(e.attempts - 1, 6));
          e.next = Date.now() + wait * (0.75 + Math.random() * 0.5);
          save(KEYS.outbox, fresh);
          renderDelivery();
          continue;
        }
        fresh.splice(i, 1);
        save(KEYS.outbox, fresh);
        const reports = load(KEYS.reports, []);
        if (result.ok) {
          reports.push({ key: entry.key, reportId: result.ok.reportId, token: result.ok.trackingToken,
                         sentAt: Date.now(), detailsOf: entry.detailsOf || '' });
        } else {
          reports.push({ key: entry.key, refused: result.refused, sentAt: Date.now() });
        }
        save(KEYS.reports, reports.slice(-20));
        if ((load(KEYS.current, {}) || {}).key === entry.key) {
          renderDelivery();
          follow();
        }
      }
    } finally {
      pumping = false;
    }
  }

  // ---- the status screen ----
  function currentReport() {
    const cur = load(KEYS.current, null);
    if (!cur) return null;
    const pending = load(KEYS.outbox, []).find((e) => e.key === cur.key);
    if (pending) return { pending: pending };
    return load(KEYS.reports, []).find((r) => r.key === cur.key) || null;
  }

  function showStatus() {
    $('screen-form').hidden = true;
    $('screen-status').hidden = false;
    // What this phone last heard of the report (none yet: no older report's status).
    const r = currentReport();
    renderStatus((r && r.last) || {});
    renderDelivery();
    window.scrollTo(0, 0);
    follow();
  }

  function showForm() {
    closeFollow();
    $('screen-status').hidden = true;
    $('screen-form').hidden = false;
  }

  function renderDelivery() {
    const d = $('delivery');
    const r = currentReport();
    if (!r) return;
    if (r.pending) {
      d.className = 'delivery waiting';
      d.dataset.state = 'waiting';
      d.innerHTML = 'BELUM SAMPAI ke pusat 112. Laporan disimpan di HP dan dikirim otomatis saat ada sinyal' +
        (r.pending.attempts ? ' (mencoba lagi…)' : '…') +
        ' Jika darurat, telepon 112.<span class="en">Not yet at the centre: kept on this phone and sent by ' +
        'itself when the network is back. In danger? Call 112.</span>';
    } else if (r.refused) {
      d.className = 'delivery failed';
      d.dataset.state = 'refused';
      d.innerHTML = 'Laporan ditolak: ' + escapeHtml(r.refused) +
        '. Telepon 112.<span class="en">The report was refused. Call 112.</span>';
    } else {
      d.className = 'delivery sent';
      d.dataset.state = 'sent';
      d.innerHTML = 'SUDAH SAMPAI di pusat 112 ✓<span class="en">Your report reached the 112 centre</span>';
    }
    $('add-details').hidden = !!r.pending || !!r.refused;
    $('steps').hidden = !!r.pending || !!r.refused; // no status before the centre has it
  }

  // Keeps the status with the report, so the page shows it with no network.
  function remember(reportId, st) {
    const reports = load(KEYS.reports, []);
    const r = reports.find((x) => x.reportId === reportId);
    if (!r) return;
    r.last = { status: st.status, statusText: st.statusText, incidentId: st.incidentId };
    save(KEYS.reports, reports);
  }

  function renderStatus(st) {
    const idx = STEPS.indexOf(st.status);
    document.querySelectorAll('#steps li').forEach((li, i) => {
      li.classList.toggle('done', idx >= 0 && i < idx);
      li.classList.toggle('now', i === idx);
    });
    $('steps').dataset.status = st.status || '';
    const t = st.statusText || {};
    $('status-text').innerHTML = escapeHtml(t.id || '') + '<span class="en">' + escapeHtml(t.en || '') + '</span>';
    $('incident-ref').textContent = st.incidentId ? 'Nomor laporan / reference: ' + st.incidentId : '';
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
  }

  // ---- following the report ----
  let ws = null;
  let followTimer = 0;
  let followDelay = 0;
  let following = '';

  function closeFollow() {
    clearTimeout(followTimer);
    following = '';
    if (ws) { ws.onclose = null; ws.close(); ws = null; }
  }

  function follow() {
    const r = currentReport();
    if (!r || !r.reportId) { closeFollow(); return; }
    if (following === r.reportId && ws) return;
    closeFollow();
    following = r.reportId;
    const q = '?report=' + encodeURIComponent(r.reportId) + '&token=' + encodeURIComponent(r.token);
    // A quick read first: the page shows the status even where WebSockets do
    // not pass. It may answer after the socket's first message, and be older
    // than it: the socket's word wins.
    let live = false;
    fetch('/v1/reports/' + encodeURIComponent(r.reportId) + q.replace(/^\?report=[^&]*&/, '?'),
          { cache: 'no-store' })
      .then((resp) => (resp.ok ? resp.json() : null))
      .then((st) => {
        if (st && !live && following === r.reportId) { renderStatus(st); remember(r.reportId, st); }
      })
      .catch(() => {});
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/v1/follow' + q;
    try {
      ws = new WebSocket(url, FOLLOW_PROTOCOL);
    } catch (e) {
      retryFollow();
      return;
    }
    ws.onmessage = (ev) => {
      followDelay = 0;
      live = true;
      try {
        const st = JSON.parse(ev.data);
        renderStatus(st);
        remember(r.reportId, st);
      } catch (e) { /* not ours */ }
    };
    ws.onclose = (ev) => {
      ws = null;
      if (ev.code === 4004) { following = ''; return; } // not (or no longer) known: nothing to follow
      retryFollow();
    };
  }

  function retryFollow() {
    const id = following;
    following = '';
    followDelay = Math.min(30000, followDelay ? followDelay * 2 : 2000);
    clearTimeout(followTimer);
    followTimer = setTimeout(() => { if (!following && id) follow(); }, followDelay);
  }

  // ---- start ----
  function start() {
    for (const b of document.querySelectorAll('.kind'))
      b.addEventListener('click', () => setKind(b.dataset.kind));
    $('locate').addEventListener('click', locate);
    $('send').addEventListener('click', send);
    $('new-report').addEventListener('click', () => { save(KEYS.current, null); resetForm(); showForm(); });
    $('add-details').addEventListener('click', () => {
      const r = currentReport();
      resetForm();
      form.detailsOf = r && r.reportId ? r.reportId : '';
      $('details-of').hidden = false;
      $('details-of').innerHTML = 'Keterangan tambahan untuk laporan tadi, dari nomor HP yang sama ' +
        '<span class="en">More details for your report, from the same number</span>';
      showForm();
      $('desc').focus();
    });
    $('phone').value = load(KEYS.phone, '');
    const sms = load(KEYS.sms, '112');
    setSms(sms);
    fetch('/lapor/config.json', { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : null))
      .then((c) => { if (c && c.smsNumber) { save(KEYS.sms, c.smsNumber); setSms(c.smsNumber); } })
      .catch(() => {});
    window.addEventListener('online', () => {
      const outbox = load(KEYS.outbox, []);
      for (const e of outbox) e.next = 0;
      save(KEYS.outbox, outbox);
      pump();
      if (!ws) follow();
    });
    takeLink();
    if (currentReport()) showStatus();
    pump();
    if ('serviceWorker' in navigator)
      navigator.serviceWorker.register('/lapor/sw.js', { scope: '/lapor/' }).catch(() => {});
  }

  // An SMS acknowledgement's link (/l/ID.TOKEN, sent here as #ID.TOKEN):
  // the report becomes this phone's current one, then the fragment is
  // dropped from the address bar.
  function takeLink() {
    const m = /^#(r-[A-Za-z0-9_-]{26})\.([A-Za-z0-9_-]{22})$/.exec(location.hash);
    if (!m) return;
    const reports = load(KEYS.reports, []);
    const key = 'link-' + m[1];
    if (!reports.some((r) => r.key === key))
      reports.push({ key: key, reportId: m[1], token: m[2], sentAt: Date.now() });
    save(KEYS.reports, reports.slice(-20));
    save(KEYS.current, { key: key });
    history.replaceState(null, '', location.pathname);
  }

  function setSms(n) {
    const a = $('sms-number');
    a.textContent = n;
    a.href = 'sms:' + n.replace(/\s/g, '');
  }

  start();
})();
