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
  var STATUS = {
    UNIT_STATUS_AVAILABLE: ['Tersedia', 'available', 'ok'],
    UNIT_STATUS_ASSIGNED: ['Ditugaskan', 'assigned', 'wait'],
    UNIT_STATUS_EN_ROUTE: ['Menuju lokasi', 'en route', 'busy'],
    UNIT_STATUS_ON_SCENE: ['Di lokasi', 'on scene', 'busy'],
    UNIT_STATUS_TRANSPORTING: ['Membawa pasien', 'transporting', 'busy'],
    UNIT_STATUS_AT_HOSPITAL: ['Di rumah sakit', 'at hospital', 'busy'],
    UNIT_STATUS_RETURNING: ['Kembali', 'returning', 'ok'],
    UNIT_STATUS_OUT_OF_SERVICE: ['Tidak bertugas', 'out of service', 'off'],
    UNIT_STATUS_OFFLINE: ['Offline', 'offline', 'off'],
    UNIT_STATUS_UNSPECIFIED: ['?', 'unknown', 'off']
  };
  var STATE = {
    ASSIGNMENT_STATE_OFFERED: ['Ditawarkan', 'offered', 'wait'],
    ASSIGNMENT_STATE_DELIVERED: ['Terkirim ke unit', 'delivered', 'wait'],
    ASSIGNMENT_STATE_SEEN: ['Dibaca unit', 'seen', 'wait'],
    ASSIGNMENT_STATE_ACCEPTED: ['Diterima unit', 'accepted', 'ok'],
    ASSIGNMENT_STATE_DECLINED: ['Ditolak unit', 'declined', 'bad'],
    ASSIGNMENT_STATE_TIMED_OUT: ['Tidak dijawab', 'timed out', 'bad'],
    ASSIGNMENT_STATE_CANCELLED: ['Dibatalkan', 'cancelled', 'off'],
    ASSIGNMENT_STATE_CLEARED: ['Selesai', 'cleared', 'off']
  };
  var OPEN_STATES = { ASSIGNMENT_STATE_OFFERED: 1, ASSIGNMENT_STATE_DELIVERED: 1, ASSIGNMENT_STATE_SEEN: 1,
                      ASSIGNMENT_STATE_ACCEPTED: 1 };
  var PASSED = { busy: 'sedang bertugas (busy)', kind: 'jenis tidak sesuai (kind)',
                 out_of_service: 'tidak bertugas (out of service)', offline: 'offline',
                 disabled: 'dinonaktifkan (disabled)', no_position: 'posisi tak diketahui (no position)' };

  function create(h) {
    var el = h.el;
    var units = new Map();         // id -> Unit JSON
    var timedOut = new Map();      // assignment id -> {assignment, at}: alarm until someone acts
    var recommendation = null;     // last Recommendation, for the incident it names
    var recommendNext = new Set(); // incidents whose unit did not answer: recommend on opening
    var strip = document.getElementById('units');
    var unitMarkers = new Map();

    function statusOf(u) { return STATUS[u.status] || STATUS.UNIT_STATUS_UNSPECIFIED; }
    function stateOf(a) { return STATE[a.state] || ['?', a.state || '?', 'off']; }

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
          h.showBanner('Penugasan tidak dijawab: ' + a.unitId + ' untuk ' + a.incidentId +
                       '. Pilih unit lain. (Assignment unanswered: offer the next unit.)');
        } else {
          timedOut.delete(a.id);
        }
        if (a.state === 'ASSIGNMENT_STATE_DECLINED') {
          h.showBanner(a.unitId + ' menolak ' + a.incidentId + (a.reason ? ': “' + a.reason + '”' : '') +
                       ' (declined)');
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
        var b = el('div', 'unit-tag none', 'belum ada unit');
        b.title = 'Belum ada unit ditugaskan (nobody assigned)';
        return b;
      }
      var tag = el('div', 'unit-tag');
      open.forEach(function (a) {
        var s = stateOf(a);
        var chip = el('span', 'uchip ' + s[2], a.unitId);
        chip.title = a.unitId + ': ' + s[0] + ' (' + s[1] + ')';
        tag.appendChild(chip);
      });
      return tag;
    }

    function ageText(ms) {
      if (!ms) return '';
      var s = Math.max(0, Math.round((Date.now() - ms) / 1000));
      return s < 60 ? s + ' dtk' : s < 3600 ? Math.round(s / 60) + ' mnt' : Math.round(s / 3600) + ' jam';
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
        chip.appendChild(el('span', null, ' ' + s[0]));
        if (u.incidentId) chip.appendChild(el('span', 'meta', ' → ' + u.incidentId));
        chip.title = (u.name || u.id) + ' · ' + (u.kind || '?') + ' · ' + (u.station || '') + ' · ' + s[1] +
          (u.connected ? ' · aplikasi tersambung' : ' · aplikasi tidak tersambung (SMS)') +
          (Number(u.positionAtMs) ? ' · posisi ' + ageText(h.int64(u.positionAtMs)) + ' lalu' : '');
        if (u.incidentId) chip.addEventListener('click', function () { h.openDetail(u.incidentId); });
        strip.appendChild(chip);
      });
    }

    function assign(inc, unitId) {
      var share = document.getElementById('assign-share');
      h.sendCommand({ done: unitId + ' ditugaskan; menunggu jawaban unit. (Assigned: waiting for the crew.)' },
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
      if (c.etaS >= 0) facts.push('±' + Math.max(1, Math.round(c.etaS / 60)) + ' mnt');
      if (c.distanceM < 0) facts.push('posisi tak diketahui (no position yet)');
      else if (c.stale) facts.push('posisi lama (stale position)');
      if (passed) facts.push('dilewati: ' + (PASSED[c.passedOver] || c.passedOver));
      if (c.why) facts.push(c.why);
      li.appendChild(el('div', 'meta', facts.join(' · ')));
      if (!passed) {
        var b = el('button', 'btn-primary assign', 'Tugaskan');
        b.type = 'button';
        b.title = 'Tugaskan ' + u.id + ' ke ' + inc.id + ' (assign)';
        b.addEventListener('click', function () { assign(inc, u.id); });
        li.appendChild(b);
      }
      return li;
    }

    function renderDetail(inc, body) {
      var sec = el('section', 'assignments');
      sec.appendChild(el('h3', null, 'Unit (units)'));
      var list = inc.assignments || [];
      if (list.length) {
        var ol = el('ol', 'alist');
        list.forEach(function (a) {
          var s = stateOf(a);
          var li = el('li', 'a-' + s[2]);
          li.dataset.assignmentId = a.id;
          li.dataset.state = a.state;
          li.appendChild(el('b', null, a.unitId));
          li.appendChild(el('span', 'astate ' + s[2], s[0] + ' (' + s[1] + ')'));
          var u = units.get(a.unitId);
          if (u && OPEN_STATES[a.state]) li.appendChild(el('span', 'meta', ' · unit ' + statusOf(u)[0]));
          var meta = [];
          if (a.by) meta.push('oleh ' + a.by);
          if (a.answeredVia === 'sms') meta.push('dijawab via SMS');
          if (h.int64(a.smsSentAtMs)) meta.push('SMS terkirim');
          if (a.reason) meta.push('“' + a.reason + '”');
          if (h.int64(a.updatedAtMs)) meta.push(ageText(h.int64(a.updatedAtMs)) + ' lalu');
          if (meta.length) li.appendChild(el('div', 'meta', meta.join(' · ')));
          if (OPEN_STATES[a.state]) {
            var cancel = el('button', 'btn-quiet', 'Batalkan');
            cancel.type = 'button';
            cancel.title = 'Batalkan penugasan ' + a.unitId + ' (cancel)';
            cancel.addEventListener('click', function () {
              var reason = window.prompt('Alasan membatalkan ' + a.unitId + ' (reason):', '');
              if (reason === null) return;
              h.sendCommand({ done: 'Penugasan dibatalkan. (Cancelled.)' },
                            { cancelAssignment: { assignmentId: a.id, reason: reason.trim() } });
            });
            li.appendChild(cancel);
          }
          ol.appendChild(li);
        });
        sec.appendChild(ol);
      } else {
        sec.appendChild(el('p', 'meta', 'Belum ada unit ditugaskan. (Nobody assigned yet.)'));
      }
      var open = inc.status !== 'INCIDENT_STATUS_RESOLVED' && inc.status !== 'INCIDENT_STATUS_CLOSED';
      // Every unit that went has cleared: the dispatcher is offered to resolve it.
      var cleared = list.filter(function (a) { return a.state === 'ASSIGNMENT_STATE_CLEARED'; }).length;
      if (open && cleared > 0 && !list.some(function (a) { return OPEN_STATES[a.state]; })) {
        var done = el('div', 'all-cleared');
        done.appendChild(el('span', null, 'Semua unit sudah selesai di lokasi. (Every unit has cleared.) '));
        var res = el('button', 'btn-primary', 'Tandai selesai (resolve)');
        res.type = 'button';
        res.id = 'resolve-cleared';
        res.addEventListener('click', function () {
          h.sendCommand({ done: 'Tercatat: selesai ditangani (resolved)' },
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
        var rec = el('button', 'btn-quiet', 'Rekomendasi unit ');
        rec.type = 'button';
        rec.id = 'recommend';
        rec.appendChild(el('span', 'en', '(recommend) '));
        rec.appendChild(el('kbd', null, 'U'));
        rec.addEventListener('click', function () { recommend(inc); });
        row.appendChild(rec);
        var lab = el('label', 'f-check');
        var share = el('input');
        share.type = 'checkbox';
        share.id = 'assign-share';
        lab.appendChild(share);
        lab.appendChild(document.createTextNode(' bagikan nomor pelapor ke unit (share the callers’ numbers)'));
        row.appendChild(lab);
        sec.appendChild(row);
        if (recommendation && recommendation.incidentId === inc.id) {
          var cl = el('ol', 'cands');
          (recommendation.candidates || []).forEach(function (c) { cl.appendChild(candidateLine(inc, c, false)); });
          if (!(recommendation.candidates || []).length) {
            cl.appendChild(el('li', 'meta', 'Tidak ada unit tersedia yang sesuai. (No suitable unit available.)'));
          }
          sec.appendChild(cl);
          if ((recommendation.passedOver || []).length) {
            var det = el('details', 'passed-list');
            det.appendChild(el('summary', null, recommendation.passedOver.length + ' unit dilewati (passed over)'));
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
      h.sendCommand({ done: 'Rekomendasi diperbarui. (Recommendation updated.)' },
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
        var tip = u.id + ' · ' + s[0] + (u.incidentId ? ' → ' + u.incidentId : '');
        if (m.getTooltip()) m.setTooltipContent(tip); else m.bindTooltip(tip);
        m.off('click');
        if (u.incidentId) m.on('click', function () { h.openDetail(u.incidentId); });
      });
      unitMarkers.forEach(function (m, id) { if (!keep.has(id)) { m.remove(); unitMarkers.delete(id); } });
    }

    return {
      applyAll: applyAll, applyUpdate: applyUpdate, rowBadge: rowBadge, unassigned: unassigned,
      renderStrip: renderStrip, renderDetail: renderDetail, recommend: recommend, answered: answered,
      alarmTick: alarmTick, seen: seen, renderMap: renderMap
    };
  }

  window.SiagaUnits = { create: create };
})();
