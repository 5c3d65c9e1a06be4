// siaga console: units and assignments (issue 12).
//
// console.js owns the connection, the incident list and the detail panel;
// this file keeps the units the snapshot and the updates carry, and draws
// what a dispatcher needs to send help: the unit strip under the filters,
// the incident's assignments with their states as they happen, the
// recommendation (nearest available units whose kind answers the category,
// and why others were passed over), the units on the map, and an alarm that
// repeats until someone acts when an assignment went unanswered.
//
// window.SiagaUnits.create(hooks) -> api; hooks: el, sendCommand(what, body),
// openDetail(id), beep(), scheduleRender(), showBanner(text), int64(v).
(function () {
  var T = window.SiagaI18n.T;
  // [Bahasa Indonesia, English, style]
  var STATUS = {
    UNIT_STATUS_AVAILABLE: ['Tersedia', 'Available', 'ok'],
    UNIT_STATUS_ASSIGNED: ['Ditugaskan', 'Assigned', 'wait'],
    UNIT_STATUS_EN_ROUTE: ['Menuju lokasi', 'En route', 'busy'],
    UNIT_STATUS_ON_SCENE: ['Di lokasi', 'On scene', 'busy'],
    UNIT_STATUS_TRANSPORTING: ['Membawa pasien', 'Transporting', 'busy'],
    UNIT_STATUS_AT_HOSPITAL: ['Di rumah sakit', 'At hospital', 'busy'],
    UNIT_STATUS_RETURNING: ['Kembali', 'Returning', 'ok'],
    UNIT_STATUS_OUT_OF_SERVICE: ['Tidak bertugas', 'Out of service', 'off'],
    UNIT_STATUS_OFFLINE: ['Offline', 'Offline', 'off'],
    UNIT_STATUS_UNSPECIFIED: ['?', '?', 'off']
  };
  var STATE = {
    ASSIGNMENT_STATE_OFFERED: ['Ditawarkan', 'Offered', 'wait'],
    ASSIGNMENT_STATE_DELIVERED: ['Terkirim ke unit', 'Delivered to the unit', 'wait'],
    ASSIGNMENT_STATE_SEEN: ['Dibaca unit', 'Seen by the crew', 'wait'],
    ASSIGNMENT_STATE_ACCEPTED: ['Diterima unit', 'Accepted', 'ok'],
    ASSIGNMENT_STATE_DECLINED: ['Ditolak unit', 'Declined', 'bad'],
    ASSIGNMENT_STATE_TIMED_OUT: ['Tidak dijawab', 'Not answered', 'bad'],
    ASSIGNMENT_STATE_CANCELLED: ['Dibatalkan', 'Cancelled', 'off'],
    ASSIGNMENT_STATE_CLEARED: ['Selesai', 'Cleared', 'off']
  };
  var OPEN_STATES = { ASSIGNMENT_STATE_OFFERED: 1, ASSIGNMENT_STATE_DELIVERED: 1, ASSIGNMENT_STATE_SEEN: 1,
                      ASSIGNMENT_STATE_ACCEPTED: 1 };
  var PASSED = { busy: ['sedang bertugas', 'busy'], kind: ['jenis tidak sesuai', 'wrong kind'],
                 out_of_service: ['tidak bertugas', 'out of service'], offline: ['offline', 'offline'],
                 disabled: ['dinonaktifkan', 'disabled'], no_position: ['posisi tak diketahui', 'no position'] };
  function word(entry) { return T(entry[0], entry[1]); }

  function create(h) {
    var el = h.el;
    var units = new Map();         // id -> Unit JSON
    var timedOut = new Map();      // assignment id -> {assignment, at}: alarm until someone acts
    var recommendation = null;     // last Recommendation, for the incident it names
    var recommendNext = new Set(); // incidents whose unit did not answer: recommend on opening
    var strip = document.getElementById('units');
    var unitMarkers = new Map();

    function statusOf(u) { return STATUS[u.status] || STATUS.UNIT_STATUS_UNSPECIFIED; }
    function stateOf(a) { return STATE[a.state] || [a.state || '?', a.state || '?', 'off']; }

    function put(u) {
      if (!u || !u.id) return;
      var had = units.get(u.id);
      // Positions do not bump the version: a later one with the same
      // version is still news; an older version is not.
      if (had && Number(had.version || 0) > Number(u.version || 0)) return;
      units.set(u.id, u);
    }

    function applyAll(list) {
      if (!list) return;
      units.clear();
      list.forEach(put);
      h.scheduleRender();
    }

    function applyUpdate(up) {
      if (up.unit) put(up.unit);
      var a = up.assignment;
      if (a && a.id) {
        if (a.state === 'ASSIGNMENT_STATE_TIMED_OUT' || a.state === 'ASSIGNMENT_STATE_DECLINED') {
          recommendNext.add(a.incidentId);
        }
        if (a.state === 'ASSIGNMENT_STATE_TIMED_OUT') {
          timedOut.set(a.id, { assignment: a, at: Date.now() });
          h.showBanner(T('Penugasan tidak dijawab: ' + a.unitId + ' untuk ' + a.incidentId + '. Pilih unit lain.',
                         'Assignment not answered: ' + a.unitId + ' for ' + a.incidentId + '. Offer another unit.'));
        } else {
          timedOut.delete(a.id);
        }
        if (a.state === 'ASSIGNMENT_STATE_DECLINED') {
          h.showBanner(a.unitId + T(' menolak ', ' declined ') + a.incidentId + (a.reason ? ': “' + a.reason + '”' : ''));
        }
      }
      if (up.unit || a) h.scheduleRender();
    }

    // Incidents a dispatcher still has to send someone to.
    function unassigned(inc) {
      return !(inc.assignments || []).some(function (a) { return OPEN_STATES[a.state]; });
    }

    function rowBadge(inc) {
      var open = (inc.assignments || []).filter(function (a) { return OPEN_STATES[a.state]; });
      if (!open.length) {
        var b = el('div', 'unit-tag none', T('belum ada unit', 'no unit yet'));
        b.title = T('Belum ada unit ditugaskan', 'Nobody assigned');
        return b;
      }
      var tag = el('div', 'unit-tag');
      open.forEach(function (a) {
        var s = stateOf(a);
        var chip = el('span', 'uchip ' + s[2], a.unitId);
        chip.title = a.unitId + ': ' + word(s);
        tag.appendChild(chip);
      });
      return tag;
    }

    function ageText(ms) {
      if (!ms) return '';
      var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
      return s < 60 ? s + T(' dtk', ' s') : s < 3600 ? Math.round(s / 60) + T(' mnt', ' min') : Math.round(s / 3600) + T(' jam', ' h');
    }

    // Whether the crew's app holds its socket now (Unit.connected): if not,
    // an offer goes to the unit's phone by SMS at once.
    function appTag(u) {
      var tag = el('span', 'app ' + (u.connected ? 'on' : 'off'),
                   u.connected ? T('aplikasi tersambung', 'app connected') : T('tidak tersambung (SMS)', 'not connected (SMS)'));
      tag.dataset.connected = u.connected ? '1' : '0';
      return tag;
    }

    function renderStrip() {
      if (!strip) return;
      strip.textContent = '';
      strip.hidden = units.size === 0;
      if (!units.size) return;
      strip.appendChild(el('span', 'units-label', 'Unit'));
      Array.from(units.values()).sort(function (a, b) { return a.id < b.id ? -1 : 1; }).forEach(function (u) {
        if (u.disabled) return;
        var s = statusOf(u);
        var chip = el('button', 'ustrip ' + s[2]);
        chip.type = 'button';
        chip.dataset.unitId = u.id;
        chip.appendChild(el('b', null, u.id));
        chip.appendChild(el('span', null, ' ' + word(s)));
        if (u.incidentId) chip.appendChild(el('span', 'meta', ' → ' + u.incidentId));
        chip.appendChild(appTag(u));
        chip.title = (u.name || u.id) + ' · ' + (u.kind || '?') + ' · ' + (u.station || '') +
          (Number(u.positionAtMs) ? T(' · posisi ', ' · position ') + ageText(h.int64(u.positionAtMs)) + T(' lalu', ' ago') : '');
        if (u.incidentId) chip.addEventListener('click', function () { h.openDetail(u.incidentId); });
        strip.appendChild(chip);
      });
    }

    function assign(inc, unitId) {
      var share = document.getElementById('assign-share');
      h.sendCommand({ done: unitId + T(' ditugaskan; menunggu jawaban unit.', ' assigned: waiting for the crew to answer.') },
                    { assign: { incidentId: inc.id, unitId: unitId, shareCaller: !!(share && share.checked) } });
      timedOut.forEach(function (t, id) { if (t.assignment.incidentId === inc.id) timedOut.delete(id); });
    }

    function candidateLine(inc, c, passed) {
      var u = c.unit || {};
      var li = el('li', 'cand' + (passed ? ' passed' : '') + (c.stale ? ' stale' : ''));
      li.dataset.unitId = u.id || '';
      var head = el('div', 'cand-head');
      head.appendChild(el('b', null, u.id || '?'));
      head.appendChild(document.createTextNode(' ' + (u.name || '') + ' · ' + (u.kind || '')));
      li.appendChild(head);
      var facts = [];
      if (c.distanceM >= 0) facts.push((c.distanceM / 1000).toFixed(1) + ' km');
      if (c.etaS >= 0) facts.push('±' + Math.max(1, Math.round(c.etaS / 60)) + T(' mnt', ' min'));
      if (c.distanceM < 0) facts.push(T('posisi tak diketahui', 'no position yet'));
      else if (c.stale) facts.push(T('posisi lama', 'stale position'));
      if (passed) facts.push(T('dilewati: ', 'passed over: ') + (PASSED[c.passedOver] ? word(PASSED[c.passedOver]) : c.passedOver));
      if (c.why) facts.push(c.why);
      li.appendChild(el('div', 'meta', facts.join(' · ')));
      if (!passed) {
        var b = el('button', 'btn-primary assign', T('Tugaskan', 'Assign'));
        b.type = 'button';
        b.title = T('Tugaskan ' + u.id + ' ke ' + inc.id, 'Assign ' + u.id + ' to ' + inc.id);
        b.addEventListener('click', function () { assign(inc, u.id); });
        li.appendChild(b);
      }
      return li;
    }

    function renderDetail(inc, body) {
      var sec = el('section', 'assignments');
      sec.appendChild(el('h3', null, T('Unit', 'Units')));
      var list = inc.assignments || [];
      if (list.length) {
        var ol = el('ol', 'alist');
        list.forEach(function (a) {
          var s = stateOf(a);
          var li = el('li', 'a-' + s[2]);
          li.dataset.assignmentId = a.id;
          li.dataset.state = a.state;
          li.appendChild(el('b', null, a.unitId));
          li.appendChild(el('span', 'astate ' + s[2], word(s)));
          var u = units.get(a.unitId);
          if (u && OPEN_STATES[a.state]) {
            li.appendChild(el('span', 'meta', ' · unit ' + word(statusOf(u))));
            li.appendChild(appTag(u));
          }
          var meta = [];
          if (a.by) meta.push(T('oleh ', 'by ') + a.by);
          if (a.answeredVia === 'sms') meta.push(T('dijawab via SMS', 'answered by SMS'));
          if (h.int64(a.smsSentAtMs)) meta.push(T('SMS terkirim', 'SMS sent'));
          if (a.reason) meta.push('“' + a.reason + '”');
          if (h.int64(a.updatedAtMs)) meta.push(ageText(h.int64(a.updatedAtMs)) + T(' lalu', ' ago'));
          if (meta.length) li.appendChild(el('div', 'meta', meta.join(' · ')));
          if (OPEN_STATES[a.state]) {
            var cancel = el('button', 'btn-quiet', T('Batalkan', 'Cancel'));
            cancel.type = 'button';
            cancel.title = T('Batalkan penugasan ', 'Cancel the assignment of ') + a.unitId;
            cancel.addEventListener('click', function () {
              var reason = window.prompt(T('Alasan membatalkan ', 'Why cancel ') + a.unitId + ':', '');
              if (reason === null) return;
              h.sendCommand({ done: T('Penugasan dibatalkan.', 'Cancelled.') },
                            { cancelAssignment: { assignmentId: a.id, reason: reason.trim() } });
            });
            li.appendChild(cancel);
          }
          ol.appendChild(li);
        });
        sec.appendChild(ol);
      } else {
        sec.appendChild(el('p', 'meta', T('Belum ada unit ditugaskan.', 'Nobody assigned yet.')));
      }
      var open = inc.status !== 'INCIDENT_STATUS_RESOLVED' && inc.status !== 'INCIDENT_STATUS_CLOSED';
      // Every unit that went has cleared: the dispatcher is offered to resolve it.
      var cleared = list.filter(function (a) { return a.state === 'ASSIGNMENT_STATE_CLEARED'; }).length;
      if (open && cleared > 0 && !list.some(function (a) { return OPEN_STATES[a.state]; })) {
        var done = el('div', 'all-cleared');
        done.appendChild(el('span', null, T('Semua unit sudah selesai di lokasi. ', 'Every unit has cleared the scene. ')));
        var res = el('button', 'btn-primary', T('Tandai selesai', 'Mark resolved'));
        res.type = 'button';
        res.id = 'resolve-cleared';
        res.addEventListener('click', function () {
          h.sendCommand({ done: T('Tercatat: selesai ditangani', 'Resolved') },
                        { setStatus: { incidentId: inc.id, status: 'INCIDENT_STATUS_RESOLVED',
                                       expectedVersion: String(inc.version || 0) } });
        });
        done.appendChild(res);
        sec.appendChild(done);
      }
      // The unit did not answer or declined: the next ones, at once.
      if (open && recommendNext.has(inc.id)) {
        recommendNext.delete(inc.id);
        recommend(inc);
      }
      if (open) {
        var row = el('div', 'rec-row');
        var rec = el('button', 'btn-quiet', T('Rekomendasi unit ', 'Recommend units '));
        rec.type = 'button';
        rec.id = 'recommend';
        rec.appendChild(el('kbd', null, 'U'));
        rec.addEventListener('click', function () { recommend(inc); });
        row.appendChild(rec);
        var lab = el('label', 'f-check');
        var share = el('input');
        share.type = 'checkbox';
        share.id = 'assign-share';
        lab.appendChild(share);
        lab.appendChild(document.createTextNode(T(' bagikan nomor pelapor ke unit', ' share the callers’ numbers with the unit')));
        row.appendChild(lab);
        sec.appendChild(row);
        if (recommendation && recommendation.incidentId === inc.id) {
          var cl = el('ol', 'cands');
          (recommendation.candidates || []).forEach(function (c) { cl.appendChild(candidateLine(inc, c, false)); });
          if (!(recommendation.candidates || []).length) {
            cl.appendChild(el('li', 'meta', T('Tidak ada unit tersedia yang sesuai.', 'No suitable unit available.')));
          }
          sec.appendChild(cl);
          if ((recommendation.passedOver || []).length) {
            var det = el('details', 'passed-list');
            det.appendChild(el('summary', null, recommendation.passedOver.length + T(' unit dilewati', ' units passed over')));
            var pl = el('ol', 'cands');
            recommendation.passedOver.forEach(function (c) { pl.appendChild(candidateLine(inc, c, true)); });
            det.appendChild(pl);
            sec.appendChild(det);
          }
        }
      }
      body.appendChild(sec);
    }

    function recommend(inc) {
      h.sendCommand({ done: T('Rekomendasi diperbarui.', 'Recommendation updated.') },
                    { recommend: { incidentId: inc.id } });
    }

    function answered(rep) {
      if (rep.ok && rep.recommendation) {
        recommendation = rep.recommendation;
        h.scheduleRender();
      }
      if (rep.ok && rep.assignment) {
        recommendation = null; // it named this unit as free: ask again for the next one
        h.scheduleRender();
      }
    }

    // The alarm: one repeating beep and a highlight while an assignment
    // nobody answered waits for a dispatcher (opening the incident, or
    // assigning another unit, silences it).
    function alarmTick() {
      if (!timedOut.size) return [];
      h.beep();
      return Array.from(timedOut.values()).map(function (t) { return t.assignment; });
    }
    function seen(incidentId) {
      timedOut.forEach(function (t, id) { if (t.assignment.incidentId === incidentId) timedOut.delete(id); });
    }

    function renderMap(map) {
      if (!map || typeof L === 'undefined') return;
      var keep = new Set();
      units.forEach(function (u) {
        var p = u.position;
        if (!p || (!p.lat && !p.lon) || u.disabled) return;
        keep.add(u.id);
        var s = statusOf(u);
        var html = '<span class="umark ' + s[2] + '">' + u.id.replace(/[^A-Za-z0-9-]/g, '') + '</span>';
        var m = unitMarkers.get(u.id);
        if (!m) {
          m = L.marker([p.lat, p.lon], { icon: L.divIcon({ className: 'unit-marker', html: html, iconSize: null }),
                                         keyboard: false }).addTo(map);
          unitMarkers.set(u.id, m);
        } else {
          m.setLatLng([p.lat, p.lon]);
          m.setIcon(L.divIcon({ className: 'unit-marker', html: html, iconSize: null }));
        }
        var tip = u.id + ' · ' + word(s) + (u.incidentId ? ' → ' + u.incidentId : '');
        if (m.getTooltip()) m.setTooltipContent(tip); else m.bindTooltip(tip);
        m.off('click');
        if (u.incidentId) m.on('click', function () { h.openDetail(u.incidentId); });
      });
      unitMarkers.forEach(function (m, id) { if (!keep.has(id)) { m.remove(); unitMarkers.delete(id); } });
    }

    // The language switched: what is drawn is redrawn by the next render.
    function relabel() { h.scheduleRender(); }

    return {
      relabel: relabel,
      applyAll: applyAll, applyUpdate: applyUpdate, rowBadge: rowBadge, unassigned: unassigned,
      renderStrip: renderStrip, renderDetail: renderDetail, recommend: recommend, answered: answered,
      alarmTick: alarmTick, seen: seen, renderMap: renderMap
    };
  }

  window.SiagaUnits = { create: create };
})();
