// End-to-end test of the dispatcher console in a real browser.
//
// Starts its own redis-server, siagad and siaga-worker on free loopback ports,
// opens the console page in Debian's headless Chromium (driven by
// playwright-core), files reports over HTTP and checks that the page shows
// them live, in priority order, and that it resumes after siagad restarts.
//
//   SIAGA_BUILD=/path/to/build node --test console.test.mjs
//
// SIAGA_BUILD defaults to ../../build relative to this file; CHROMIUM to
// /usr/bin/chromium. Every wait is bounded; every process is stopped in the
// after hook (and killed on exit if the runner itself is cut short).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { BUILD, CHROMIUM, OUT, sleep, waitFor, freePort, logTail, startProc, stopProc, addUser, startRedis,
         launchChromium, tearDown, startKannel } from './harness.mjs';


const FIRE_REPORT = {
  category: 'fire',
  description: 'Kebakaran rumah, ada anak terjebak',
  location: { lat: -2.2096, lon: 113.9136, address: 'Jl. Tjilik Riwut km 5' },
  reporter: { phone: '+6281234567890' },
};
// Lower priority, and far enough from the fire (about 7 km) not to be merged into it.
const TREE_REPORT = {
  category: 'other',
  description: 'pohon tumbang menghalangi jalan',
  location: { lat: -2.1580, lon: 113.8720, address: 'Jl. G. Obos XII' },
  reporter: { phone: '+6281234567891' },
};
const FLOOD_REPORT = {
  category: 'flood',
  description: 'Banjir setinggi lutut, air masuk rumah warga',
  location: { lat: -2.2300, lon: 113.9600, address: 'Jl. Yos Sudarso ujung' },
  reporter: { phone: '+6281234567892' },
};

const DISPATCHER = { name: 'wati', password: 'wati-password-112' };
const SUPERVISOR = { name: 'kepala', password: 'kepala-password-112' };

// ---------------------------------------------------------------- helpers


// Fills the sign-in form; resolves once the form has answered.
async function signIn(page, name, password) {
  await page.waitForSelector('#signin:not([hidden])', { timeout: 10000 });
  await page.fill('#signin-user', name);
  await page.fill('#signin-pass', password);
  await page.click('#signin-submit');
}









// The citizens' SMS come through a real Kannel; siagad answers through it.
const SMS_SECRET = 'browser-test-secret';
let kannelArgs = [];

async function startSiagad(name, port, redisPort) {
  const h = startProc(name, path.join(BUILD, 'siagad'),
                      // Pages of one incident: every snapshot with two open comes in pages.
                      ['--listen', `127.0.0.1:${port}`, '--redis', `127.0.0.1:${redisPort}`, ...kannelArgs,
                       '--snapshot-page', '1',
                       // A P1 waiting 3 s is brought to the supervisors (120 s by default).
                       '--p1-escalate', '3',
                       // The centre's own acknowledgement targets, P1..P4.
                       '--ack-target', '45,180,600,1800',
                       // An unanswered assignment goes to SMS after 3 s, times out 3 s later.
                       '--assign-ack-s', '3', '--assign-ack-p1-s', '3']);
  h.port = port;
  h.base = `http://127.0.0.1:${port}`;
  await waitFor(`${name} GET /healthz = 200`, 15000, async () => {
    if (h.exited) throw new Error(`${name} exited (${h.code}):\n${logTail(h.log)}`);
    const r = await fetch(`${h.base}/healthz`, { signal: AbortSignal.timeout(1000) });
    return r.status === 200;
  }, 200);
  return h;
}

async function postReport(base, body) {
  const r = await fetch(`${base}/v1/reports`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await r.text();
  assert.equal(r.status, 202, `POST /v1/reports: ${r.status} ${text}`);
  return JSON.parse(text);
}

const RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };

// Rows of the incident list, in screen order.
function listRows(page) {
  return page.$$eval('#incidents [data-incident-id]', (trs) => trs.map((tr) => ({
    id: tr.dataset.incidentId,
    priority: tr.dataset.priority,
    text: tr.textContent,
  })));
}

async function waitForRow(page, needle, timeoutMs, procs = []) {
  return waitFor(`a row containing "${needle}"`, timeoutMs, async () => {
    for (const p of procs) {
      if (p.exited) throw new Error(`${p.name} exited (${p.code}):\n${logTail(p.log)}`);
    }
    const rows = await listRows(page);
    const i = rows.findIndex((r) => r.text.includes(needle));
    return i >= 0 ? { ...rows[i], index: i, rows } : null;
  }, 150);
}

// ---------------------------------------------------------------- the test

describe('dispatcher console', { timeout: 180000 }, () => {
  let tmp, redis, siagad, siagadB, worker, browser, page, kannel;
  const pageErrors = [];
  const socketUrls = [];

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    for (const f of fs.readdirSync(OUT)) if (f.endsWith('.log')) fs.rmSync(path.join(OUT, f));
    for (const bin of ['siagad', 'siaga-worker', 'siaga-admin']) {
      assert.ok(fs.existsSync(path.join(BUILD, bin)),
                `${path.join(BUILD, bin)} not found: build first or set SIAGA_BUILD`);
    }
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium`);

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siaga-browser-'));
    redis = await startRedis(tmp);
    addUser(redis.port, DISPATCHER.name, 'dispatcher', DISPATCHER.password);
    addUser(redis.port, SUPERVISOR.name, 'supervisor', SUPERVISOR.password);
    const siagadPort = await freePort();
    kannel = await startKannel(tmp, siagadPort, SMS_SECRET);
    kannelArgs = ['--kannel-sendsms', kannel.sendsmsUrl, '--webhook-secret', SMS_SECRET];
    siagad = await startSiagad('siagad', siagadPort, redis.port);
    worker = startProc('siaga-worker', path.join(BUILD, 'siaga-worker'),
                       ['--redis', `127.0.0.1:${redis.port}`]);

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1440, height: 810 }, locale: 'id-ID',
                                               timezoneId: 'Asia/Jakarta' });
    context.setDefaultTimeout(15000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('websocket', (ws) => socketUrls.push(ws.url()));
  });

  after(async () => {
    try {
      if (kannel) await kannel.stop();
    } finally {
      await tearDown(browser, [worker, siagadB, siagad, redis], tmp);
    }
  });

  test('asks for a sign-in, refuses a wrong password, then connects', async () => {
    const resp = await page.goto(`${siagad.base}/`, { waitUntil: 'load', timeout: 15000 });
    assert.equal(resp.status(), 200, 'GET / serves the console');
    await signIn(page, DISPATCHER.name, 'not-the-password');
    await page.waitForSelector('#signin-error:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#signin-error'), /salah/);
    assert.equal(socketUrls.length, 0, 'no console socket before signing in');
    await page.screenshot({ path: path.join(OUT, 'console-signin.png'), fullPage: false });
    await signIn(page, DISPATCHER.name, DISPATCHER.password);
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: 10000 });
    assert.equal(await page.textContent('#who-name'), DISPATCHER.name);
    assert.equal(await page.textContent('#who-role'), 'dispatcher');
    assert.equal(await page.isHidden('#signin'), true);
    // The token is in an HttpOnly cookie: the page's scripts cannot read it.
    assert.equal(await page.evaluate(() => document.cookie.includes('siaga_session')), false);
  });

  test('shows reports as live incidents, highest priority first', async () => {
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: 10000 });
    assert.match(await page.textContent('#conn-state'), /terhubung/);
    assert.ok(socketUrls.some((u) => u.endsWith('/v1/console')), `socket urls: ${socketUrls}`);
    // Set a marker: if the page reloaded, it would be gone.
    await page.evaluate(() => { window.__noReload = true; });
    assert.equal((await listRows(page)).length, 0, 'fresh Redis: no incidents yet');

    await postReport(siagad.base, FIRE_REPORT);
    const fire = await waitForRow(page, 'Tjilik Riwut', 20000, [siagad, worker]);
    assert.ok(fire.priority === 'P1' || fire.priority === 'P2',
              `fire with a trapped child is P1 or P2, got ${fire.priority}`);

    await postReport(siagad.base, TREE_REPORT);
    const tree = await waitForRow(page, 'G. Obos', 20000, [siagad, worker]);
    const rows = await listRows(page);
    const fireAt = rows.findIndex((r) => r.id === fire.id);
    const treeAt = rows.findIndex((r) => r.id === tree.id);
    assert.notEqual(fire.id, tree.id, 'two reports far apart make two incidents');
    assert.ok(fireAt >= 0 && treeAt > fireAt, `fire above fallen tree: ${JSON.stringify(rows.map((r) => r.priority))}`);
    assert.ok(RANK[tree.priority] >= RANK[rows[fireAt].priority],
              `tree (${tree.priority}) is not more urgent than fire (${rows[fireAt].priority})`);
    assert.equal(await page.evaluate(() => window.__noReload), true, 'rows arrived without reload');

    // The score is explained, and the age ticks.
    const fireRow = page.locator(`#incidents [data-incident-id="${fire.id}"]`);
    assert.ok(await fireRow.locator('.reasons li').count() > 0, 'fire row lists the reasons for its score');
    const age = await fireRow.locator('time[data-created]').textContent();
    assert.match(age, /^\d+ (dtk|mnt)$/);
    await page.waitForFunction(
      ({ id, before }) => document.querySelector(`#incidents [data-incident-id="${id}"] time`).textContent !== before,
      { id: fire.id, before: age }, { timeout: 5000 });

    // A console opened now gets both in a snapshot of two pages, and shows both.
    const second = await page.context().newPage(); // signed in: the same cookie
    await second.goto(`${siagad.base}/`, { waitUntil: 'load', timeout: 15000 });
    await second.waitForFunction(
      (ids) => ids.every((id) => document.querySelector(`#incidents [data-incident-id="${id}"]`)),
      [fire.id, tree.id], { timeout: 10000 });
    assert.equal(await second.evaluate(() => window.siagaConsole.count), rows.length,
                 'the paged snapshot shows every open incident');
    await second.close();

    await page.screenshot({ path: path.join(OUT, 'console.png'), fullPage: false });

    // Filters narrow the list, the tallies still count everything.
    await page.fill('#f-search', 'obos');
    await page.waitForFunction(() => document.querySelectorAll('#incidents [data-incident-id]').length === 1);
    assert.equal((await listRows(page))[0].id, tree.id);
    assert.equal(await page.textContent('#count-all'), '2');
    await page.fill('#f-search', '');
    await page.selectOption('#f-priority', fire.priority);
    await page.waitForFunction(() => document.querySelectorAll('#incidents [data-incident-id]').length === 1);
    assert.equal((await listRows(page))[0].id, fire.id);
    await page.selectOption('#f-priority', '');
    await page.waitForFunction(() => document.querySelectorAll('#incidents [data-incident-id]').length === 2);

    // The map (Leaflet from Debian, served by siagad; no tiles given, so the
    // kelurahan names on a plain background) has a marker per incident.
    await page.click('#map-toggle');
    await page.waitForSelector('#map.leaflet-container', { timeout: 5000 });
    await page.waitForFunction(() => document.querySelectorAll('#map path.leaflet-interactive').length === 2);
    assert.ok(await page.locator('#map .place-label').count() >= 30, 'kelurahan names orient the map');
    await page.screenshot({ path: path.join(OUT, 'console-map.png'), fullPage: false });
    await page.locator(`#map path.leaflet-interactive[data-incident-id="${fire.id}"]`).click({ force: true });
    await page.waitForSelector('#detail:not([hidden])');
    assert.match(await page.textContent('#detail-title'), new RegExp(fire.id));
    await page.keyboard.press('Escape');
    await page.locator('body').press('m'); // the shortcut hides it again
    await page.waitForSelector('#map', { state: 'hidden' });
    assert.deepEqual(pageErrors, []);
  });

  test('resumes with ?after= when siagad restarts, missing nothing', async () => {
    // A second siagad on the same Redis stays up, so a report can be filed
    // while the page's own siagad is down; a second page on it proves the
    // update exists before the first page reconnects.
    siagadB = await startSiagad('siagad-b', await freePort(), redis.port);
    const pageB = await page.context().newPage();
    await pageB.goto(`${siagadB.base}/`, { waitUntil: 'load', timeout: 15000 });
    await pageB.waitForSelector('#conn-state[data-state="connected"]', { timeout: 10000 });

    const port = siagad.port;
    const socketsBefore = socketUrls.length;
    await stopProc(siagad);
    await page.waitForSelector('#conn-state[data-state="disconnected"]', { timeout: 10000 });
    assert.match(await page.textContent('#conn-state'), /terputus/);

    await postReport(siagadB.base, FLOOD_REPORT);
    await waitForRow(pageB, 'Yos Sudarso', 20000, [siagadB, worker]);
    assert.equal((await listRows(page)).some((r) => r.text.includes('Yos Sudarso')), false,
                 'the disconnected page cannot know yet');

    siagad = await startSiagad('siagad', port, redis.port);
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: 30000 });
    const flood = await waitForRow(page, 'Yos Sudarso', 15000, [siagad]);
    const resumed = socketUrls.slice(socketsBefore);
    assert.ok(resumed.some((u) => /\/v1\/console\?after=\d+-\d+$/.test(u)),
              `reconnected with ?after=<last update id>: ${resumed.join(' ')}`);
    // Same list on both pages, same order.
    const a = (await listRows(page)).map((r) => r.id);
    const b = (await listRows(pageB)).map((r) => r.id);
    assert.deepEqual(a, b);
    assert.equal(a.length, 3);
    assert.ok(a.includes(flood.id));
    assert.equal(await page.evaluate(() => window.__noReload), true, 'resumed without reload');
    await page.screenshot({ path: path.join(OUT, 'console-resumed.png'), fullPage: false });
    await pageB.close();
    assert.deepEqual(pageErrors, []);
  });

  test('works an incident from arrival to close on the page', async () => {
    const fire = await waitForRow(page, 'Tjilik Riwut', 5000, [siagad]);
    await page.click(`#incidents [data-incident-id="${fire.id}"] .summary`);
    await page.waitForSelector('#detail:not([hidden])');
    assert.match(await page.textContent('#detail-title'), new RegExp(fire.id));
    assert.match(await page.textContent('#detail-body'), /Kebakaran rumah, ada anak terjebak/);
    assert.ok(await page.locator('#detail-body .reasons li').count() > 0, 'the reasons are in the detail');
    // Every report as its sender wrote it, with the caller's number, from the incident's history.
    await page.waitForSelector('#detail-body ol.reports li', { timeout: 5000 });
    assert.match(await page.textContent('#detail-body ol.reports'), /Kebakaran rumah, ada anak terjebak/);
    assert.match(await page.textContent('#detail-body ol.reports'), new RegExp(FIRE_REPORT.reporter.phone.replace('+', '\\+')));

    // A P1 nobody has acknowledged rings and says so.
    assert.equal(fire.priority, 'P1', 'a house fire with a child trapped is P1');
    await page.waitForSelector('#alarm:not([hidden])', { timeout: 5000 });
    assert.match(await page.textContent('#alarm-text'), new RegExp(fire.id));
    // A P1 is to be acknowledged within a minute: the time left runs on the row.
    assert.match(await page.textContent(`#incidents [data-incident-id="${fire.id}"] .target`), /^(sisa|lewat) \d+:\d\d$/);
    // ... the centre's target for a P1 (siagad --ack-target), not the page's default.
    assert.equal(await page.evaluate((id) => {
      const row = document.querySelector(`#incidents [data-incident-id="${id}"]`);
      return Number(row.querySelector('.target').dataset.due) - Number(row.querySelector('time[data-created]').dataset.created);
    }, fire.id), 45000);
    // Acknowledge by keyboard, as a dispatcher on a shift would: the alarm stops.
    await page.keyboard.press('a');
    await page.waitForFunction((id) => /Diterima/.test(
      document.querySelector(`#incidents [data-incident-id="${id}"] .status`).textContent), fire.id);
    assert.match(await page.textContent('#detail-msg'), /diterima/);
    await page.waitForSelector('#alarm', { state: 'hidden', timeout: 5000 });
    assert.match(await page.textContent(`#incidents [data-incident-id="${fire.id}"] .target`), /^diterima \d+:\d\d$/);

    await page.keyboard.press('n');
    await page.keyboard.type('Damkar Pahandut berangkat 2 unit');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /Damkar Pahandut berangkat 2 unit/.test(
      document.querySelector('#detail-body .notes')?.textContent || ''));
    assert.match(await page.textContent('#detail-body .notes'), new RegExp(DISPATCHER.name),
                 'the note is signed by the signed-in dispatcher');
    assert.equal(await page.inputValue('#note-text'), '', 'the note field is cleared once written');
    // The caller's number is there for a call-back.
    assert.equal(await page.getAttribute('#detail-body a.phone', 'href'), `tel:${FIRE_REPORT.reporter.phone}`);
    assert.match(await page.textContent('#detail-body'), new RegExp(`ditangani ${DISPATCHER.name}`));

    // A priority override needs a reason, and shows who made it and why.
    await page.selectOption('#override-priority', 'P2');
    await page.click('#override-form button[type="submit"]');
    assert.match(await page.textContent('#detail-msg'), /alasan/i);
    await page.fill('#override-reason', 'Anak sudah keluar, dikonfirmasi RT');
    await page.click('#override-form button[type="submit"]');
    await page.waitForFunction((id) => document.querySelector(
      `#incidents [data-incident-id="${id}"]`)?.dataset.priority === 'P2', fire.id);
    assert.match(await page.textContent('#detail-body'), /Anak sudah keluar, dikonfirmasi RT/);
    assert.equal(await page.locator(`#incidents [data-incident-id="${fire.id}"] .override-tag`).count(), 1);
    // The audit trail names who did what.
    await page.click('#detail-body details.trail summary');
    await page.waitForFunction((name) => [...document.querySelectorAll('#detail-body .trail-list li')]
      .some((li) => li.textContent.includes(name) && /prioritas diubah/.test(li.textContent)), DISPATCHER.name,
      { timeout: 5000 });
    await page.screenshot({ path: path.join(OUT, 'console-detail.png'), fullPage: false });

    // An app report has no SMS reporter to text: the refusal is said in words.
    await page.fill('#sms-text', 'Petugas menuju lokasi');
    await page.click('#sms-form button[type="submit"]');
    await page.waitForFunction(() => /Tidak ada pelapor lewat SMS/.test(document.querySelector('#detail-msg').textContent));

    await page.click('#detail .act[data-status="INCIDENT_STATUS_DISPATCHED"]');
    await page.waitForSelector('#detail .act.current[data-status="INCIDENT_STATUS_DISPATCHED"]');
    // Backwards is disabled on the page (and refused by the server for a dispatcher).
    assert.equal(await page.isDisabled('#detail .act[data-status="INCIDENT_STATUS_ACKNOWLEDGED"]'), true);
    await page.keyboard.press('c');
    await page.waitForFunction((id) => !document.querySelector(`#incidents [data-incident-id="${id}"]`), fire.id);
    // The panel keeps the closed incident in view, with nothing left to do
    // for a dispatcher (reopening is a supervisor's).
    assert.match(await page.textContent('#detail-body'), /Ditutup/);
    assert.equal(await page.isDisabled('#detail .act[data-status="INCIDENT_STATUS_CLOSED"]'), true);
    assert.equal(await page.isHidden('#reopen'), true);
    // It is in the day's closed list.
    await page.click('#closed-toggle');
    await page.waitForSelector(`#closed-list li[data-incident-id="${fire.id}"]`);
    await page.keyboard.press('Escape');
    await page.waitForSelector('#detail', { state: 'hidden' });
    assert.deepEqual(pageErrors, []);
  });

  test('answers an SMS reporter from the page, and the text reaches the handset through Kannel', async () => {
    const phone = '+6281255501234';
    await kannel.mo(phone, '112', 'ada ular kobra masuk rumah di jalan rajawali, anak2 sudah keluar');
    const row = await waitForRow(page, 'ular kobra', 20000, [siagad, worker]);
    await page.click(`#incidents [data-incident-id="${row.id}"] .summary`);
    await page.waitForFunction((id) => new RegExp(id).test(document.querySelector('#detail-title').textContent), row.id);
    // The caller's number is offered as a recipient (or every SMS caller).
    await page.waitForSelector(`#sms-to option[value="${phone}"]`, { state: 'attached' });
    await page.selectOption('#sms-to', phone);
    const text = 'Petugas Damkar menuju lokasi, jauhi ular dan tutup pintu kamar';
    await page.evaluate(() => document.activeElement.blur()); // out of the select: S is a shortcut again
    await page.keyboard.press('s');
    await page.keyboard.type(text);
    await page.click('#sms-form button[type="submit"]');
    await page.waitForFunction(() => /SMS dikirim/.test(document.querySelector('#detail-msg').textContent));
    assert.equal(await page.inputValue('#sms-text'), '', 'the SMS field is cleared once sent');
    const got = await waitFor('the reply at fakesmsc', 20000, async () =>
      (await kannel.mt()).find((m) => m.to.replace(/^\+/, '') === phone.replace(/^\+/, '') && m.text.includes('jauhi ular')));
    assert.equal(got.text, text, 'the handset gets the dispatcher\'s words, whole');
    // The reply is on the incident's record, signed by the dispatcher: one conversation per incident.
    await page.waitForFunction((name) => [...document.querySelectorAll('#detail-body .notes li')]
      .some((li) => li.textContent.includes(name) && /SMS ke .*jauhi ular/.test(li.textContent)), DISPATCHER.name,
      { timeout: 5000 });
    // Done with it: acknowledged and closed, so the later tests see their own.
    await page.keyboard.press('a');
    await page.waitForSelector('#detail .act.current[data-status="INCIDENT_STATUS_ACKNOWLEDGED"]');
    await page.keyboard.press('c');
    await page.waitForFunction((id) => !document.querySelector(`#incidents [data-incident-id="${id}"]`), row.id);
    await page.keyboard.press('Escape');
  });

  test('merges two incidents that are one emergency, then unmerges them', async () => {
    const tree = await waitForRow(page, 'G. Obos XII', 5000, [siagad]);
    // A second caller about the fallen tree, placed 3 km off: it opens an incident of its own.
    await postReport(siagad.base, { ...TREE_REPORT, description: 'pohon besar tumbang, jalan tertutup total',
                                    location: { lat: -2.1580, lon: 113.8990, address: 'Jl. G. Obos ujung' },
                                    reporter: { phone: '+6281234567893' } });
    const second = await waitForRow(page, 'G. Obos ujung', 20000, [siagad, worker]);
    assert.notEqual(second.id, tree.id);
    await page.click(`#incidents [data-incident-id="${second.id}"] .summary`);
    await page.waitForSelector('#merge-into');
    // The nearest other incident is offered first.
    assert.equal(await page.evaluate(() => document.querySelector('#merge-into').options[1].value), tree.id);
    await page.selectOption('#merge-into', tree.id);
    await page.click('#merge-go');
    await page.waitForFunction((id) => !document.querySelector(`#incidents [data-incident-id="${id}"]`), second.id);
    // The one that carries on counts both reports, and its detail says what came in.
    await page.waitForFunction((id) => document.querySelector(
      `#incidents [data-incident-id="${id}"] .rep`)?.textContent === '2', tree.id);
    await page.waitForFunction((id) => new RegExp(id).test(document.querySelector('#detail-title').textContent), tree.id);
    assert.match(await page.textContent('#detail-body .merge'), new RegExp(`${second.id} digabung ke sini oleh ${DISPATCHER.name}`));
    // Both callers' words are in its reports.
    await page.waitForFunction(() => /pohon besar tumbang/.test(document.querySelector('#detail-body ol.reports')?.textContent || ''));
    await page.screenshot({ path: path.join(OUT, 'console-merged.png'), fullPage: false });
    await page.click(`#detail-body button[data-unmerge="${second.id}"]`);
    await page.waitForSelector(`#incidents [data-incident-id="${second.id}"]`, { timeout: 5000 });
    await page.waitForFunction((id) => document.querySelector(
      `#incidents [data-incident-id="${id}"] .rep`)?.textContent === '1', tree.id);

    // Merged again, then the second caller's report split off into an incident of its own.
    await page.click(`#incidents [data-incident-id="${second.id}"] .summary`);
    await page.waitForFunction((id) => new RegExp(id).test(document.querySelector('#detail-title').textContent), second.id);
    await page.selectOption('#merge-into', tree.id);
    await page.click('#merge-go');
    await page.waitForFunction((id) => document.querySelector(
      `#incidents [data-incident-id="${id}"] .rep`)?.textContent === '2', tree.id);
    await page.waitForSelector('#detail-body button[data-split]', { timeout: 5000 });
    const rows = (await listRows(page)).length;
    await page.click('#detail-body li:has-text("pohon besar tumbang") button[data-split]');
    await page.waitForFunction((n) => document.querySelectorAll('#incidents [data-incident-id]').length === n + 1, rows);
    await page.waitForFunction((id) => document.querySelector(
      `#incidents [data-incident-id="${id}"] .rep`)?.textContent === '1', tree.id);
    assert.match(await page.textContent('#detail-msg'), /dipisahkan/);
    await page.keyboard.press('Escape');
    assert.deepEqual(pageErrors, []);
  });

  test('a version conflict between two dispatchers is explained, and the panel shows what won', async () => {
    const flood = await waitForRow(page, 'Yos Sudarso', 5000, [siagad]);
    addUser(redis.port, 'sari', 'dispatcher', 'sari-password-112');
    const ctxB = await browser.newContext({ viewport: { width: 1440, height: 810 }, locale: 'id-ID',
                                            timezoneId: 'Asia/Jakarta' });
    ctxB.setDefaultTimeout(15000);
    const pageB = await ctxB.newPage();
    const errorsB = [];
    pageB.on('pageerror', (e) => errorsB.push(e.message));
    // Sari's updates are held back while Wati acts, as on a slow link: her
    // panel still shows the version she saw when she clicks.
    let hold = false;
    await pageB.routeWebSocket(/\/v1\/console/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => { if (!(hold && String(m).includes('"update"'))) ws.send(m); });
      ws.onMessage((m) => server.send(m));
    });
    try {
      await pageB.goto(`${siagad.base}/`, { waitUntil: 'load' });
      await signIn(pageB, 'sari', 'sari-password-112');
      await pageB.waitForSelector('#conn-state[data-state="connected"]');
      await pageB.click(`#incidents [data-incident-id="${flood.id}"] .summary`);
      await pageB.waitForSelector('#detail:not([hidden])');
      hold = true;
      await page.click(`#incidents [data-incident-id="${flood.id}"] .summary`);
      await page.waitForFunction((id) => new RegExp(id).test(document.querySelector('#detail-title').textContent), flood.id);
      await page.keyboard.press('a');
      await page.waitForFunction((id) => /Diterima/.test(
        document.querySelector(`#incidents [data-incident-id="${id}"] .status`).textContent), flood.id);
      // Sari acknowledges the version she saw: refused, explained, and her
      // panel shows that Wati has it now.
      await pageB.click('#detail .act[data-status="INCIDENT_STATUS_ACKNOWLEDGED"]');
      await pageB.waitForFunction(() => /berubah sejak Anda melihatnya/.test(document.querySelector('#detail-msg').textContent));
      await pageB.waitForFunction((name) => new RegExp(`ditangani ${name}`).test(
        document.querySelector('#detail-body').textContent), DISPATCHER.name);
      await pageB.screenshot({ path: path.join(OUT, 'console-conflict.png'), fullPage: false });
      hold = false;
      assert.deepEqual(errorsB, []);
    } finally {
      await ctxB.close();
    }
    await page.keyboard.press('Escape');
  });

  test('recommends units for an incident, assigns one and cancels it', async () => {
    for (const [id, kind, phone] of [['DMK-01', 'fire', '+6281300000101'], ['SAR-01', 'sar_boat', '+6281300000102'],
                                     ['AMB-01', 'ambulance', '+6281300000103']]) {
      const r = spawnSync(path.join(BUILD, 'siaga-admin'),
                          ['--redis', `127.0.0.1:${redis.port}`, 'unit', 'add', id, '--kind', kind, '--name', `Unit ${id}`,
                           '--phone', phone, '--station', 'Pos Pahandut'], { encoding: 'utf8', timeout: 30000 });
      assert.equal(r.status, 0, `unit add ${id}: ${r.stdout} ${r.stderr}`);
    }
    // New units reach the open console live.
    await page.waitForFunction(() => document.querySelectorAll('#units .ustrip').length === 3);
    // No app holds these units' sockets: the strip says an offer goes by SMS.
    assert.equal(await page.textContent('#units [data-unit-id="SAR-01"] .app'), 'tidak tersambung (SMS)');
    const flood = await waitForRow(page, 'Yos Sudarso', 5000, [siagad]);
    await page.click(`#incidents [data-incident-id="${flood.id}"] .summary`);
    await page.waitForFunction((id) => new RegExp(id).test(document.querySelector('#detail-title').textContent), flood.id);
    await page.keyboard.press('u');
    // A boat answers a flood; the fire truck and the ambulance are passed over, and why.
    await page.waitForSelector('#detail-body .cands li[data-unit-id="SAR-01"] button.assign');
    assert.equal(await page.locator('#detail-body .cands li.cand:not(.passed)').count(), 1);
    assert.match(await page.textContent('#detail-body .passed-list'), /DMK-01[\s\S]*jenis tidak sesuai/);
    await page.click('#detail-body .cands li[data-unit-id="SAR-01"] button.assign');
    await page.waitForSelector('#detail-body .alist li[data-state="ASSIGNMENT_STATE_OFFERED"]');
    // ... and so it went, with the offer.
    const offered = '#detail-body .alist li[data-state="ASSIGNMENT_STATE_OFFERED"]';
    assert.equal(await page.textContent(`${offered} .app`), 'tidak tersambung (SMS)');
    assert.match(await page.textContent(offered), /SMS terkirim/);
    await page.waitForFunction(() => /Ditugaskan/.test(document.querySelector('#units [data-unit-id="SAR-01"]')?.textContent || ''));
    assert.match(await page.textContent(`#incidents [data-incident-id="${flood.id}"] .unit-tag`), /SAR-01/);
    await page.screenshot({ path: path.join(OUT, 'console-assigned.png'), fullPage: false });
    // Cancelled with a reason: the incident is nobody's again.
    page.once('dialog', (d) => d.accept('Salah unit'));
    await page.click('#detail-body .alist li[data-state="ASSIGNMENT_STATE_OFFERED"] button');
    await page.waitForSelector('#detail-body .alist li[data-state="ASSIGNMENT_STATE_CANCELLED"]');
    await page.waitForFunction((id) => /belum ada unit/.test(
      document.querySelector(`#incidents [data-incident-id="${id}"] .unit-tag`)?.textContent || ''), flood.id);
    // Assigned again and nobody answers (no app, no SMS reply): it times out,
    // the console rings until someone acts, and the next units are offered.
    await page.keyboard.press('u');
    await page.click('#detail-body .cands li[data-unit-id="SAR-01"] button.assign');
    await page.waitForSelector('#detail-body .alist li[data-state="ASSIGNMENT_STATE_OFFERED"]');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => /Penugasan tidak dijawab: SAR-01/.test(document.querySelector('#alarm-text')?.textContent || ''),
                               null, { timeout: 20000 });
    assert.equal(await page.isHidden('#alarm'), false);
    await page.screenshot({ path: path.join(OUT, 'console-unanswered.png'), fullPage: false });
    await page.click('#alarm-open');
    await page.waitForSelector('#detail-body .alist li[data-state="ASSIGNMENT_STATE_TIMED_OUT"]');
    await page.waitForSelector('#detail-body .cands li[data-unit-id="SAR-01"] button.assign');
    await page.waitForSelector('#alarm', { state: 'hidden', timeout: 5000 });
    await page.keyboard.press('Escape');
    assert.deepEqual(pageErrors, []);
  });

  test('switches between Bahasa Indonesia and English, and keeps the choice', async () => {
    await page.waitForSelector('#conn-state[data-state="connected"]');
    const rowsBefore = await listRows(page);
    assert.ok(rowsBefore.length > 0, 'some incidents are open for the switch to redraw');
    await page.click('.lang-switch [data-lang="en"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal(await page.getAttribute('.lang-switch [data-lang="en"]', 'aria-pressed'), 'true');
    assert.equal((await page.textContent('#signout')).trim(), 'Sign out');
    assert.equal((await page.textContent('.board thead th')).trim(), 'Priority');
    assert.match(await page.textContent('#conn-state'), /connected/);
    assert.equal(await page.getAttribute('#f-search', 'placeholder'), 'Search: id, place, text… ( / )');
    // What the scripts drew is redrawn: statuses and ages in the rows.
    const statuses = await page.$$eval('#incidents .status', (els) => els.map((e) => e.textContent));
    for (const st of statuses) assert.match(st, /^(New|Acknowledged|Dispatched)$/, `a status in English: ${st}`);
    // The detail panel, opened in English.
    await page.click(`#incidents [data-incident-id="${rowsBefore[0].id}"] .summary`);
    await page.waitForSelector('#detail:not([hidden])');
    const terms = await page.$$eval('#detail-body dt', (els) => els.map((e) => e.textContent));
    assert.ok(terms.includes('Place') && terms.includes('Score'), `the detail in English: ${terms}`);
    // No Indonesian left in the page's own words (the citizens' texts and the
    // server's bilingual reasons aside).
    const chrome = await page.evaluate(() => ['.bar', '.filters', '.board thead', '.panel-actions', '#override-form',
      '#sms-form label', '#note-form', '.foot', '#detail-body dt', '#detail-body h3']
      .map((sel) => [...document.querySelectorAll(sel)].map((e) => e.innerText).join(' ')).join(' '));
    for (const word of ['Terima', 'Prioritas', 'Semua', 'Keluar', 'Catatan', 'Lokasi', 'Alasan', 'Tutup', 'Simpan', 'Kirim']) {
      assert.ok(!chrome.includes(word), `"${word}" left untranslated in: ${chrome.slice(0, 400)}`);
    }
    await page.screenshot({ path: path.join(OUT, 'console-english.png'), fullPage: false });
    // The choice is the dispatcher's on this browser: it survives a reload.
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#conn-state[data-state="connected"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.equal((await page.textContent('.board thead th')).trim(), 'Priority');
    await page.click('.lang-switch [data-lang="id"]');
    assert.equal(await page.getAttribute('html', 'lang'), 'id');
    assert.equal((await page.textContent('#signout')).trim(), 'Keluar');
    assert.equal((await page.textContent('.board thead th')).trim(), 'Prioritas');
    assert.match(await page.textContent('#conn-state'), /terhubung/);
    assert.deepEqual(pageErrors, []);
  });

  test('signing out closes the console and brings the form back', async () => {
    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])', { timeout: 10000 });
    assert.equal((await listRows(page)).length, 0, 'no incident stays on screen after signing out');
    // The old session is over: a reload asks for the sign-in again.
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('#signin:not([hidden])', { timeout: 10000 });

    // A supervisor reopens the incident closed today.
    await signIn(page, SUPERVISOR.name, SUPERVISOR.password);
    await page.waitForSelector('#conn-state[data-state="connected"]', { timeout: 10000 });
    // The units come with the snapshot to a console that connects after them.
    await page.waitForFunction(() => document.querySelectorAll('#units .ustrip').length === 3);
    const before = (await listRows(page)).length;
    await page.click('#closed-toggle');
    await page.click('#closed-list li[data-incident-id]');
    await page.waitForSelector('#reopen:not([hidden])');
    await page.click('#reopen');
    await page.waitForFunction((n) => document.querySelectorAll('#incidents [data-incident-id]').length === n + 1, before);
    await page.screenshot({ path: path.join(OUT, 'console-reopened.png'), fullPage: false });

    // A new P1 that nobody acknowledges is brought to the supervisor.
    await postReport(siagad.base, { ...FIRE_REPORT, description: 'Kebakaran gudang, ada orang terjebak di dalam',
                                    location: { lat: -2.1900, lon: 113.9000, address: 'Jl. RTA Milono km 3' },
                                    reporter: { phone: '+6281234567899' } });
    await waitForRow(page, 'RTA Milono', 20000, [siagad, worker]);
    await page.waitForSelector('#alarm:not([hidden])', { timeout: 5000 });
    assert.equal(await page.evaluate(() => window.siagaConsole.escalated), false, 'not yet overdue');
    await page.waitForFunction(() => window.siagaConsole.escalated, null, { timeout: 10000 });
    assert.match(await page.textContent('#alarm-text'), /^SUPERVISOR: 1 insiden P1/);
    await page.screenshot({ path: path.join(OUT, 'console-escalated.png'), fullPage: false });
    assert.deepEqual(pageErrors, []);
  });
});
