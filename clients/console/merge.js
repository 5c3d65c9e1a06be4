// siaga console: merging two incidents that are one emergency, and undoing it.
//
// In an open incident's detail: "Gabungkan ke…" lists the other open
// incidents, nearest first (the usual case is two callers about one fire
// opened apart), and merges this one into the chosen one, which carries on.
// A merged incident says where it went; the one it went into lists what came
// in, each with "Batalkan penggabungan" (unmerge).
//
// window.SiagaMerge.create(hooks) -> api; hooks: el, sendCommand(what, body),
// openIncidents() -> [Incident], openDetail(id), label(inc) -> text.
(function () {
  var T = window.SiagaI18n.T;
  function distanceM(a, b) {
    if (!a || !b || (!a.lat && !a.lon) || (!b.lat && !b.lon)) return Infinity;
    var r = 6371000, rad = Math.PI / 180;
    var dLat = (b.lat - a.lat) * rad, dLon = (b.lon - a.lon) * rad;
    var x = Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 2 * r * Math.asin(Math.sqrt(x));
  }

  function create(h) {
    var el = h.el;

    function unmergeButton(id, text) {
      var b = el('button', 'btn-quiet unmerge', text);
      b.type = 'button';
      b.dataset.unmerge = id;
      b.addEventListener('click', function () {
        h.sendCommand({ done: id + T(' dipisahkan kembali.', ' unmerged.') }, { unmerge: { incidentId: id } });
      });
      return b;
    }

    function render(inc, body) {
      var sec = el('section', 'merge');
      if (inc.mergedInto) {
        sec.appendChild(el('h3', null, T('Digabung', 'Merged')));
        var p = el('p', null, T('Insiden ini digabung ke ', 'This incident was merged into '));
        var a = el('a', 'incident-link', inc.mergedInto);
        a.href = '#';
        a.addEventListener('click', function (ev) { ev.preventDefault(); h.openDetail(inc.mergedInto); });
        p.appendChild(a);
        p.appendChild(document.createTextNode(T(': tangani di sana.', ': work it there.')));
        sec.appendChild(p);
        sec.appendChild(unmergeButton(inc.id, T('Batalkan penggabungan', 'Undo the merge')));
        body.appendChild(sec);
        return;
      }
      var open = inc.status !== 'INCIDENT_STATUS_RESOLVED' && inc.status !== 'INCIDENT_STATUS_CLOSED';
      if (!open && !(inc.merged || []).length) return;
      sec.appendChild(el('h3', null, T('Gabungkan', 'Merge')));
      (inc.merged || []).forEach(function (m) {
        var row = el('div', 'merged-row');
        row.appendChild(el('span', null, m.incidentId + T(' digabung ke sini oleh ', ' merged in here by ') + (m.by || '?') +
                                         ' · ' + (m.reportCount || 0) + T(' laporan ', ' reports ')));
        row.appendChild(unmergeButton(m.incidentId, T('Pisahkan', 'Unmerge')));
        sec.appendChild(row);
      });
      if (open) {
        var others = h.openIncidents().filter(function (o) { return o.id !== inc.id && !o.mergedInto; });
        others.sort(function (x, y) { return distanceM(inc.location, x.location) - distanceM(inc.location, y.location); });
        var form = el('div', 'override-row');
        var sel = el('select');
        sel.id = 'merge-into';
        sel.setAttribute('aria-label', T('Gabungkan ke', 'Merge into'));
        var first = el('option', null, others.length ? T('gabungkan ke…', 'merge into…') : T('tidak ada insiden lain', 'no other incident'));
        first.value = '';
        sel.appendChild(first);
        others.slice(0, 30).forEach(function (o) {
          var d = distanceM(inc.location, o.location);
          var opt = el('option', null, o.id + ' · ' + h.label(o) + (isFinite(d) ? ' · ' + (d / 1000).toFixed(1) + ' km' : ''));
          opt.value = o.id;
          sel.appendChild(opt);
        });
        form.appendChild(sel);
        var go = el('button', 'btn-quiet', T('Gabungkan', 'Merge'));
        go.type = 'button';
        go.id = 'merge-go';
        go.addEventListener('click', function () {
          var into = sel.value;
          if (!into) return;
          var target = others.filter(function (o) { return o.id === into; })[0];
          h.sendCommand({ done: inc.id + T(' digabung ke ', ' merged into ') + into + '.', openAfter: into },
                        { merge: { incidentId: inc.id, intoIncidentId: into,
                                   expectedVersion: String(inc.version || 0),
                                   intoExpectedVersion: String((target && target.version) || 0) } });
        });
        form.appendChild(go);
        sec.appendChild(form);
      }
      body.appendChild(sec);
    }

    return { render: render };
  }

  window.SiagaMerge = { create: create };
})();
