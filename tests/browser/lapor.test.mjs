// End-to-end test of the citizens' app /lapor on a phone-sized browser.
//
// Starts its own redis-server, siagad and siaga-worker on free loopback
// ports; one Chromium context is the citizen's phone (360x640, touch, a
// geolocation override), another a dispatcher signed in on the console. A
// report with the phone's location reaches the console; a report sent while
// the phone is offline is delivered once when it is back (same report id,
// one incident); the page follows the report through acknowledged and
// dispatched as the dispatcher works it, without reload. Then the page's
// size and its load time at 400 kbit/s (CDP network emulation) are measured
// and written to out/lapor-metrics.json.
//
//   SIAGA_BUILD=/path/to/build node --test lapor.test.mjs
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
import { BUILD, CHROMIUM, OUT, sleep, waitFor, freePort, logTail, startProc, addUser, startRedis, launchChromium, tearDown } from './harness.mjs';

// This test's logs are out/lapor-<name>.log.
const proc = (name, cmd, args) => startProc(name, cmd, args, 'lapor-');

const DISPATCHER = { name: 'wati', password: 'wati-password-112' };
const PHONE_AT = { latitude: -2.2096, longitude: 113.9136, accuracy: 25 };
const PAGE_BUDGET = 100 * 1024;

// ---------------------------------------------------------------- helpers










// The open incidents as the API gives them to a signed-in dispatcher.
async function openIncidents(base, token) {
  const r = await fetch(`${base}/v1/incidents`, { headers: { Authorization: `Bearer ${token}` },
                                                  signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200);
  return (await r.json()).incidents || [];
}

// What the phone keeps: the delivered reports of localStorage.
const delivered = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('siaga.reports') || '[]'));

// ---------------------------------------------------------------- the test

describe('citizens app /lapor on a phone', { timeout: 240000 }, () => {
  let tmp, redis, siagad, worker, browser, phoneCtx, phone, consoleCtx, consolePage, token, base;
  const pageErrors = [];

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    for (const f of fs.readdirSync(OUT)) if (f.startsWith('lapor-') && f.endsWith('.log')) fs.rmSync(path.join(OUT, f));
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siaga-lapor-'));
    redis = await startRedis(tmp, 'lapor-');
    const redisPort = redis.port;
    addUser(redisPort, DISPATCHER.name, 'dispatcher', DISPATCHER.password);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    siagad = proc('siagad', path.join(BUILD, 'siagad'),
                       ['--listen', `127.0.0.1:${port}`, '--redis', `127.0.0.1:${redisPort}`,
                        '--sms-number', '1 1 2']);
    await waitFor('siagad /healthz', 15000, async () => {
      if (siagad.exited) throw new Error(`siagad exited:\n${logTail(siagad.log)}`);
      return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
    }, 200);
    worker = proc('worker', path.join(BUILD, 'siaga-worker'), ['--redis', `127.0.0.1:${redisPort}`]);
    const login = await fetch(`${base}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: DISPATCHER.name, password: DISPATCHER.password }),
    });
    token = (await login.json()).token;

    browser = await launchChromium();
    phoneCtx = await browser.newContext({
      viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      locale: 'id-ID', timezoneId: 'Asia/Jakarta', geolocation: PHONE_AT, permissions: ['geolocation'],
    });
    phoneCtx.setDefaultTimeout(15000);
    phone = await phoneCtx.newPage();
    phone.on('pageerror', (e) => pageErrors.push(e.message));
    consoleCtx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'id-ID' });
    consoleCtx.setDefaultTimeout(15000);
    consolePage = await consoleCtx.newPage();
  });

  after(() => tearDown(browser, [worker, siagad, redis], tmp));

  test('a report with the phone\'s location reaches a signed-in console', async () => {
    await consolePage.goto(`${base}/`);
    await consolePage.fill('#signin-user', DISPATCHER.name);
    await consolePage.fill('#signin-pass', DISPATCHER.password);
    await consolePage.click('#signin-submit');
    await consolePage.waitForSelector('#conn-state[data-state="connected"]');

    const resp = await phone.goto(`${base}/lapor`);
    assert.equal(resp.status(), 200);
    assert.equal(await phone.getAttribute('#call112', 'href'), 'tel:112');
    await phone.waitForFunction(() => document.querySelector('#sms-number').textContent === '1 1 2');
    assert.equal(await phone.getAttribute('#sms-number', 'href'), 'sms:112');
    await phone.screenshot({ path: path.join(OUT, 'lapor-form.png') });

    await phone.tap('.kind[data-kind="fire"]');
    await phone.waitForFunction(() => /±25 m/.test(document.querySelector('#loc-status').textContent));
    await phone.fill('#desc', 'Kebakaran dapur warung, asap tebal');
    await phone.fill('#phone', '0812 3456 7001');
    await phone.screenshot({ path: path.join(OUT, 'lapor-filled.png') });
    await phone.tap('#send');
    await phone.waitForSelector('#delivery[data-state="sent"]');
    assert.match(await phone.textContent('#delivery'), /SUDAH SAMPAI/);

    const row = await waitFor('the report on the console', 20000, async () => {
      if (worker.exited) throw new Error(`worker exited:\n${logTail(worker.log)}`);
      const rows = await consolePage.$$eval('#incidents [data-incident-id]',
        (trs) => trs.map((tr) => ({ id: tr.dataset.incidentId, text: tr.textContent })));
      return rows.find((r) => r.text.includes('Kebakaran dapur warung'));
    }, 200);
    const inc = (await openIncidents(base, token)).find((i) => i.id === row.id);
    assert.ok(inc, 'the incident is open');
    assert.ok(Math.abs(inc.location.lat - PHONE_AT.latitude) < 1e-6, JSON.stringify(inc.location));
    assert.ok(Math.abs(inc.location.lon - PHONE_AT.longitude) < 1e-6, JSON.stringify(inc.location));
    assert.equal(inc.location.accuracyM, 25);
    assert.deepEqual(inc.phones, ['+6281234567001'], 'the number is stored in E.164');
    assert.equal(await phone.evaluate(() => localStorage.getItem('siaga.phone')), '"0812 3456 7001"');
    await phone.waitForSelector('#steps[data-status="received"]');
    await phone.screenshot({ path: path.join(OUT, 'lapor-sent.png') });
  });

  test('a report sent offline is delivered once when the network is back', async () => {
    await phone.tap('#new-report');
    await phone.waitForSelector('#screen-form:not([hidden])');
    const before = (await openIncidents(base, token)).length;
    await phoneCtx.setOffline(true);
    await phone.tap('.kind[data-kind="flood"]');
    await phone.fill('#desc', 'Banjir masuk rumah, air setinggi lutut');
    await phone.fill('#place', 'Jl. Mendawai ujung, dekat masjid');
    // Another caller on this phone: the same number would join the fire
    // (one number, one reporter).
    await phone.fill('#phone', '0813 5555 0002');
    await phone.tap('#send');
    await phone.waitForSelector('#delivery[data-state="waiting"]');
    assert.match(await phone.textContent('#delivery'), /BELUM SAMPAI/);
    // Let the page try (and fail) a few times while offline.
    await phone.waitForFunction(() => (JSON.parse(localStorage.getItem('siaga.outbox') || '[]')[0] || {}).attempts >= 1);
    await phone.screenshot({ path: path.join(OUT, 'lapor-offline.png') });
    assert.equal((await openIncidents(base, token)).length, before, 'nothing reached the centre');
    const pending = await phone.evaluate(() => JSON.parse(localStorage.getItem('siaga.outbox'))[0]);

    await phoneCtx.setOffline(false);
    await phone.waitForSelector('#delivery[data-state="sent"]', { timeout: 30000 });
    const mine = (await delivered(phone)).find((r) => r.key === pending.key);
    assert.ok(mine && mine.reportId, 'delivered with a report id');
    assert.equal(await phone.evaluate(() => localStorage.getItem('siaga.outbox')), '[]');

    // A retry whose answer was lost (the same Idempotency-Key) is the same report.
    const again = await fetch(`${base}/v1/reports`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': pending.key },
      body: JSON.stringify(pending.body),
    });
    assert.equal(again.status, 202);
    assert.equal((await again.json()).reportId, mine.reportId);
    const incidents = await waitFor('the flood incident', 20000, async () => {
      const list = await openIncidents(base, token);
      return list.some((i) => (i.reportIds || []).includes(mine.reportId)) ? list : null;
    }, 200);
    const withIt = incidents.filter((i) => (i.reportIds || []).includes(mine.reportId));
    assert.equal(withIt.length, 1, 'one incident');
    assert.equal(withIt[0].reportCount, 1, 'one report: delivered exactly once');
    assert.equal(incidents.length, before + 1);
  });

  test('the page follows the report through acknowledged and dispatched without reload', async () => {
    await phone.evaluate(() => { window.__noReload = true; });
    const mine = (await delivered(phone)).at(-1);
    const got = await waitFor('the report filed', 15000, async () => {
      const r = await fetch(`${base}/v1/reports/${mine.reportId}?token=${mine.token}`);
      const j = r.status === 200 ? await r.json() : null;
      return j && j.incidentId ? j : null;
    }, 200);
    await phone.waitForSelector('#steps[data-status="received"]');

    // The dispatcher works it on the console: open the row, A, then D.
    const row = consolePage.locator(`#incidents [data-incident-id="${got.incidentId}"]`);
    await row.waitFor();
    await row.click();
    await consolePage.waitForSelector('#detail:not([hidden])');
    await consolePage.keyboard.press('a');
    await phone.waitForSelector('#steps[data-status="assessing"]', { timeout: 15000 });
    assert.match(await phone.textContent('#status-text'), /Petugas sedang menilai/);
    await phone.screenshot({ path: path.join(OUT, 'lapor-assessing.png') });
    await consolePage.keyboard.press('d');
    await phone.waitForSelector('#steps[data-status="on_the_way"]', { timeout: 15000 });
    assert.match(await phone.textContent('#status-text'), /Bantuan sedang menuju lokasi/);
    assert.match(await phone.textContent('#status-text'), /Help is on the way/);
    assert.equal(await phone.evaluate(() => window.__noReload), true, 'no reload');
    assert.match(await phone.textContent('#incident-ref'), new RegExp(got.incidentId));
    await phone.screenshot({ path: path.join(OUT, 'lapor-on-the-way.png') });
    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  });

  test('"add details" is a new report from the same number that joins the incident', async () => {
    const first = (await delivered(phone)).at(-1);
    const was = await (await fetch(`${base}/v1/reports/${first.reportId}?token=${first.token}`)).json();
    await phone.tap('#add-details');
    await phone.waitForSelector('#screen-form:not([hidden])');
    assert.equal(await phone.inputValue('#phone'), '0813 5555 0002', 'the number is remembered');
    await phone.fill('#desc', 'Air terus naik, ada lansia di dalam rumah');
    await phone.tap('#send');
    await phone.waitForSelector('#delivery[data-state="sent"]');
    const added = (await delivered(phone)).at(-1);
    assert.notEqual(added.reportId, first.reportId, 'a report of its own');
    const now = await waitFor('the details filed', 15000, async () => {
      const j = await (await fetch(`${base}/v1/reports/${added.reportId}?token=${added.token}`)).json();
      return j.incidentId ? j : null;
    }, 200);
    assert.equal(now.incidentId, was.incidentId, 'joined the same incident by its number');
    // Help is already on the way for that incident, and the page says so.
    await phone.waitForSelector('#steps[data-status="on_the_way"]');
    const inc = (await openIncidents(base, token)).find((i) => i.id === was.incidentId);
    assert.equal(inc.reportCount, 2);
    assert.ok(!inc.reasons.some((r) => r.rule === 'corroboration'), 'the same caller corroborates nothing');
  });

  test('the page opens with no network (service worker), with what it kept', async () => {
    await phone.waitForFunction(async () => {
      const reg = await navigator.serviceWorker.getRegistration('/lapor/');
      return !!(reg && reg.active);
    }, null, { timeout: 15000 });
    const kept = (await delivered(phone)).length;
    await phoneCtx.setOffline(true);
    try {
      await phone.reload({ waitUntil: 'load' });
      await phone.waitForSelector('#call112');
      assert.equal(await phone.getAttribute('#call112', 'href'), 'tel:112');
      assert.equal((await delivered(phone)).length, kept, 'the reports are still on the phone');
      await phone.waitForSelector('#screen-status:not([hidden])'); // back on the current report
      // With its last known status, though nothing can be asked now.
      await phone.waitForSelector('#steps[data-status="on_the_way"]');
      await phone.screenshot({ path: path.join(OUT, 'lapor-offline-reload.png') });
    } finally {
      await phoneCtx.setOffline(false);
    }
  });

  test('the page is small and loads fast on a slow network', async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    // 400 kbit/s both ways, 150 ms round trip: a weak 3G cell outside town.
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 150, downloadThroughput: 400000 / 8, uploadThroughput: 400000 / 8,
    });
    let bytes = 0;
    const sizes = {};
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
    cdp.on('Network.responseReceived', (e) => { sizes[e.requestId] = new URL(e.response.url).pathname; });
    const t0 = Date.now();
    await page.goto(`${base}/lapor/`, { waitUntil: 'load', timeout: 60000 });
    const loadMs = Date.now() - t0;
    await sleep(300); // the manifest and the config come after load
    const files = {};
    for (const f of ['lapor.html', 'lapor.js', 'lapor.css', 'lapor.webmanifest', 'lapor-sw.js', 'lapor-icon.svg'])
      files[f] = fs.statSync(path.join(HERE, '..', '..', 'clients', 'lapor', f)).size;
    const pageBytes = Object.values(files).reduce((a, b) => a + b, 0);
    const metrics = { pageBytes, files, transferredBytes: bytes, loadMs, network: '400 kbit/s, 150 ms RTT' };
    fs.writeFileSync(path.join(OUT, 'lapor-metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    console.log(`lapor: ${pageBytes} bytes of files, ${bytes} bytes transferred, load ${loadMs} ms at 400 kbit/s`);
    assert.ok(pageBytes < PAGE_BUDGET, `the whole page is ${pageBytes} bytes`);
    assert.ok(bytes < PAGE_BUDGET, `${bytes} bytes transferred`);
    await ctx.close();
  });
});
