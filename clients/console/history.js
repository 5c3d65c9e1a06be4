// siaga console: an incident's reports and audit trail in the detail panel.
//
// GET /v1/incidents/{id}/history (the session cookie signs it) gives every
// report as its sender wrote it (channel, time, text, number) and the audit
// trail (who did what, when). It is fetched when a detail opens and again
// when the incident's version moves, at most once a second; the panel
// shows the last answer meanwhile, so a busy incident does not flicker.
//
// Each report of an open incident with more than one can be split off into
// an incident of its own (a second emergency that joined by distance).
//
// window.SiagaHistory.create(hooks) -> api; hooks: el, int64, formatClock,
// scheduleRender(), sendCommand(what, body).
(function () {
  var T = window.SiagaI18n.T;
  // [Bahasa Indonesia, English]
  var CHANNEL = { CHANNEL_APP: ['aplikasi', 'app'], CHANNEL_SMS: ['SMS', 'SMS'],
                  CHANNEL_AML: ['AML (lokasi ponsel)', 'AML (handset location)'] };
  var KIND = {
    UPDATE_KIND_CREATED: ['insiden dibuat', 'created'],
    UPDATE_KIND_REPORT_ATTACHED: ['laporan bergabung', 'report joined'],
    UPDATE_KIND_STATUS_CHANGED: ['status diubah', 'status changed'],
    UPDATE_KIND_NOTE_ADDED: ['catatan', 'note'],
    UPDATE_KIND_PRIORITY_CHANGED: ['prioritas diubah', 'priority changed'],
    UPDATE_KIND_CATEGORY_CHANGED: ['kategori diubah', 'category changed'],
    UPDATE_KIND_UNIT_CHANGED: ['unit', 'unit'],
    UPDATE_KIND_UNIT_CONNECTED: ['aplikasi unit', 'unit app'],
    UPDATE_KIND_ASSIGNMENT_CHANGED: ['penugasan', 'assignment'],
    UPDATE_KIND_MERGED: ['digabung', 'merged'],
    UPDATE_KIND_UNMERGED: ['dipisahkan kembali', 'unmerged']
  };
  var STATUS = {
    INCIDENT_STATUS_OPEN: ['Baru', 'New'], INCIDENT_STATUS_ACKNOWLEDGED: ['Diterima', 'Acknowledged'],
    INCIDENT_STATUS_DISPATCHED: ['Diberangkatkan', 'Dispatched'], INCIDENT_STATUS_RESOLVED: ['Selesai', 'Resolved'],
    INCIDENT_STATUS_CLOSED: ['Ditutup', 'Closed']
  };
  function word(table, key) { return table[key] ? T(table[key][0], table[key][1]) : key; }

  function create(h) {
    var el = h.el;
    var got = null;        // {id, version, history}
    var wanted = null;     // {id, version} being fetched
    var lastFetch = 0;
    var timer = null;

    function fetchNow(id, version) {
      wanted = { id: id, version: version };
      lastFetch = Date.now();
      fetch('/v1/incidents/' + encodeURIComponent(id) + '/history', { credentials: 'same-origin', cache: 'no-store' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (!body || !wanted || wanted.id !== id) return;
          got = { id: id, version: version, history: body };
          h.scheduleRender();
        })
        .catch(function () { /* the panel keeps the last answer */ });
    }

    function want(inc) {
      var v = String(inc.version || 0);
      if (got && got.id === inc.id && got.version === v) return;
      if (wanted && wanted.id === inc.id && wanted.version === v) return;
      var wait = 1000 - (Date.now() - lastFetch);
      clearTimeout(timer);
      if (wait <= 0) fetchNow(inc.id, v);
      else timer = setTimeout(function () { fetchNow(inc.id, v); }, wait);
    }

    function when(ms) {
      var t = h.int64(ms);
      return t ? h.formatClock(new Date(t)) : '';
    }

    function reportItem(r, inc, splittable) {
      var li = el('li', 'rep-item');
      var head = [];
      head.push(word(CHANNEL, r.channel || '?'));
      if (r.receivedAtMs) head.push(when(r.receivedAtMs));
      li.appendChild(el('div', 'note-meta', head.join(' · ')));
      li.appendChild(el('div', 'rep-text', r.description || T('(tanpa teks)', '(no text)')));
      var phone = r.reporter && r.reporter.phone;
      var meta = el('div', 'note-meta');
      if (phone) {
        var a = el('a', 'phone', phone);
        a.href = 'tel:' + phone;
        meta.appendChild(a);
      }
      var loc = r.location || {};
      if (loc.address) meta.appendChild(document.createTextNode((phone ? ' · ' : '') + loc.address));
      if ((r.flags || []).length) meta.appendChild(el('span', 'flag', ' ⚑ ' + r.flags.join(', ')));
      li.appendChild(meta);
      li.appendChild(el('div', 'meta id', r.id || ''));
      if (splittable && r.id) {
        var b = el('button', 'btn-quiet split', T('Pisahkan ke insiden baru', 'Split into a new incident'));
        b.type = 'button';
        b.dataset.split = r.id;
        b.title = T('Laporan ini keadaan darurat lain: jadikan insiden sendiri',
                    'This report is another emergency: make it an incident of its own');
        b.addEventListener('click', function () {
          h.sendCommand({ done: T('Laporan dipisahkan ke insiden baru.', 'Report split into a new incident.') },
                        { split: { incidentId: inc.id, reportId: r.id, expectedVersion: String(inc.version || 0) } });
        });
        li.appendChild(b);
      }
      return li;
    }

    function trailItem(u) {
      var li = el('li');
      var inc = u.incident || {};
      var text = word(KIND, u.kind || '?');
      if (u.kind === 'UPDATE_KIND_STATUS_CHANGED' && inc.status) text += ': ' + word(STATUS, inc.status);
      if (u.kind === 'UPDATE_KIND_PRIORITY_CHANGED' && inc.priority) text += ': ' + inc.priority;
      if (u.kind === 'UPDATE_KIND_CATEGORY_CHANGED' && inc.category) text += ': ' + inc.category;
      if (u.kind === 'UPDATE_KIND_NOTE_ADDED' && inc.notes && inc.notes[0]) text += ': “' + inc.notes[0].text + '”';
      if (u.assignment && u.assignment.unitId) text += ': ' + u.assignment.unitId + ' ' +
        String(u.assignment.state || '').replace('ASSIGNMENT_STATE_', '').toLowerCase();
      if (u.reportId) text += ' · ' + u.reportId;
      li.appendChild(el('span', 'trail-at', when(u.atMs)));
      li.appendChild(el('span', 'trail-who', u.actor || '?'));
      li.appendChild(el('span', null, text));
      return li;
    }

    function render(inc, body) {
      want(inc);
      var hist = got && got.id === inc.id ? got.history : null;
      var reps = el('section');
      reps.appendChild(el('h3', null, T('Laporan', 'Reports')));
      if (!hist) {
        reps.appendChild(el('p', 'meta', T('Memuat…', 'Loading…')));
        body.appendChild(reps);
        return;
      }
      var list = hist.reports || [];
      if (list.length) {
        var ol = el('ol', 'reports');
        var open = inc.status !== 'INCIDENT_STATUS_RESOLVED' && inc.status !== 'INCIDENT_STATUS_CLOSED';
        var splittable = open && (inc.reportCount || 0) > 1 && !inc.mergedInto;
        list.forEach(function (r) { ol.appendChild(reportItem(r, inc, splittable)); });
        reps.appendChild(ol);
      }
      var total = inc.reportCount || (inc.reportIds || []).length;
      if (total > list.length) {
        reps.appendChild(el('p', 'meta', (total - list.length) +
          T(' laporan lain tidak ditampilkan: teksnya sudah tidak disimpan, atau lebih dari 200',
            ' more reports not shown: their text is no longer kept, or there are more than 200')));
      }
      body.appendChild(reps);

      var det = el('details', 'trail');
      det.appendChild(el('summary', null, T('Riwayat', 'Audit trail') + ' · ' + (hist.updates || []).length +
                                         (hist.more ? '+' : '') + T(' entri', ' entries')));
      var tl = el('ol', 'trail-list');
      (hist.updates || []).forEach(function (u) { tl.appendChild(trailItem(u)); });
      det.appendChild(tl);
      det.open = !!render.open;
      det.addEventListener('toggle', function () { render.open = det.open; });
      body.appendChild(det);
    }

    // The language switched: the next render redraws with the same answer.
    function relabel() { h.scheduleRender(); }

    return { render: render, relabel: relabel };
  }

  window.SiagaHistory = { create: create };
})();
