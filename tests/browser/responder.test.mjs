// End-to-end test of the responder page (/responder) on a phone-sized
// Chromium: a unit signs in with its token, gets the assignment a console
// makes, accepts it, moves through its statuses, and its position (from
// Chromium's geolocation override) reaches the console and Redis while en
// route; the page is installable and opens again with no network.
//
//   SIAGA_BUILD=/path/to/build node --test responder.test.mjs
//
// Starts its own redis-server, siagad and siaga-worker on free loopback
// ports; every wait is bounded; every process is stopped in the after hook.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { BUILD, CHROMIUM, OUT, sleep, waitFor, freePort, logTail, startProc, redisPing, tearDown } from './harness.mjs';

// This test's logs are out/responder-<name>.log.
const proc = (name, cmd, args) => startProc(name, cmd, args, 'responder-');

const DISPATCHER = { name: 'rina', password: 'rina-password-112' };
const PHONE_AT = { latitude: -2.2161, longitude: 113.9135, accuracy: 12 };








// One Redis command over RESP; resolves to the raw reply text.
function redis(port, ...args) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.setTimeout(2000, () => { s.destroy(); reject(new Error('redis timeout')); });
    s.on('error', reject);
    s.on('connect', () => s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')));
    s.on('data', (d) => { buf += d; if (buf.endsWith('\r\n')) { s.destroy(); resolve(buf); } });
  });
}

function admin(redisPort, args, input) {
  const r = spawnSync(path.join(BUILD, 'siaga-admin'), ['--redis', `127.0.0.1:${redisPort}`, ...args],
                      { input, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `siaga-admin ${args.join(' ')}: ${r.stdout} ${r.stderr}`);
  return r.stdout;
}

describe('responder page', { timeout: 180000 }, () => {
  let tmp, redisP, siagad, worker, browser, phone, consolePage, base, unitToken;
  const pageErrors = [];

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siaga-responder-'));
    const rport = await freePort();
    redisP = proc('redis', 'redis-server', ['--port', String(rport), '--bind', '127.0.0.1',
                                                 '--dir', tmp, '--save', '', '--appendonly', 'no']);
    redisP.port = rport;
    await waitFor('redis PING', 10000, () => redisPing(rport));
    admin(rport, ['user', 'add', DISPATCHER.name, '--role', 'dispatcher'], `${DISPATCHER.password}\n`);
    const out = admin(rport, ['unit', 'add', 'AMB-07', '--kind', 'ambulance', '--name', 'Ambulans Tujuh',
                              '--phone', '+6281300000707', '--station', 'RSUD Doris Sylvanus']);
    unitToken = out.match(/token: ([0-9a-f]{64})/)[1];
    const hport = await freePort();
    base = `http://127.0.0.1:${hport}`;
    siagad = proc('siagad', path.join(BUILD, 'siagad'), ['--listen', `127.0.0.1:${hport}`,
                                                              '--redis', `127.0.0.1:${rport}`]);
    worker = proc('worker', path.join(BUILD, 'siaga-worker'), ['--redis', `127.0.0.1:${rport}`]);
    await waitFor('siagad /healthz', 15000, async () => {
      if (siagad.exited) throw new Error(`siagad exited:\n${logTail(siagad.log)}`);
      return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200;
    }, 200);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             '--autoplay-policy=no-user-gesture-required'],
      timeout: 30000,
    });
    const phoneCtx = await browser.newContext({
      viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
      locale: 'id-ID', timezoneId: 'Asia/Jakarta', geolocation: PHONE_AT,
      permissions: ['geolocation'],
    });
    phoneCtx.setDefaultTimeout(15000);
    phone = await phoneCtx.newPage();
    phone.on('pageerror', (e) => { pageErrors.push(e.message); fs.appendFileSync(path.join(OUT, 'responder-frames.log'), `!! ${e.stack}\n`); });
    // Every frame of the phone's sockets, for when something fails.
    const frames = path.join(OUT, 'responder-frames.log');
    fs.writeFileSync(frames, '');
    phone.on('websocket', (ws) => {
      fs.appendFileSync(frames, `-- open ${ws.url().replace(/token=[0-9a-f]+/, 'token=...')}\n`);
      ws.on('framesent', (f) => fs.appendFileSync(frames, `> ${f.payload}\n`));
      ws.on('framereceived', (f) => fs.appendFileSync(frames, `< ${f.payload}\n`));
      ws.on('close', () => fs.appendFileSync(frames, '-- closed\n'));
    });
    phone.on('dialog', (d) => d.dismiss());

    // The dispatcher's console, in its own context: its scripts open the
    // console socket with the session cookie and record what comes.
    const deskCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    consolePage = await deskCtx.newPage();
    await consolePage.goto(`${base}/healthz`);
    const login = await consolePage.evaluate(async (who) => {
      const r = await fetch('/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                body: JSON.stringify({ username: who.name, password: who.password }) });
      return r.status;
    }, DISPATCHER);
    assert.equal(login, 200);
    await consolePage.evaluate(() => new Promise((resolve, reject) => {
      window.msgs = [];
      window.ws = new WebSocket(`ws://${location.host}/v1/console`, 'siaga.console.v1.json');
      window.ws.onmessage = (ev) => window.msgs.push(JSON.parse(ev.data));
      window.ws.onopen = () => resolve();
      window.ws.onerror = () => reject(new Error('console socket refused'));
    }));
  });

  after(() => tearDown(browser, [worker, siagad, redisP], tmp));

  // What the console was sent that pred(m, arg) likes, waiting for it (pred
  // runs in the page: it sees only its arguments).
  function consoleSees(what, pred, timeoutMs = 10000, arg = null) {
    return waitFor(what, timeoutMs, () => consolePage.evaluate(({ src, arg }) => {
      const f = new Function('m', 'arg', `return (${src})(m, arg)`);
      return window.msgs.find((m) => f(m, arg)) || null;
    }, { src: pred.toString(), arg }));
  }

  test('signs in with the unit token on a 360x640 screen', async () => {
    const resp = await phone.goto(`${base}/responder`, { waitUntil: 'load' });
    assert.equal(resp.status(), 200);
    await phone.waitForSelector('#signin:not([hidden])');
    await phone.screenshot({ path: path.join(OUT, 'responder-signin.png') });
    // A token the server refuses: the page cannot read the 401, but tells it
    // from a dead network (the server answers /healthz) and asks again.
    await phone.fill('#token', 'ab'.repeat(32));
    await phone.click('#signin-form button[type=submit]');
    await phone.waitForSelector('#signin-error:not([hidden])', { timeout: 30000 });
    assert.match(await phone.textContent('#signin-error'), /Tidak bisa masuk/);
    assert.equal(await phone.evaluate(() => localStorage.getItem('siaga.unit.token')), null);
    await phone.screenshot({ path: path.join(OUT, 'responder-refused.png') });
    await phone.fill('#token', unitToken);
    await phone.click('#signin-form button[type=submit]');
    await phone.waitForSelector('#conn[data-state="on"]');
    await phone.waitForFunction(() => document.querySelector('#unit-name').textContent.includes('AMB-07'));
    assert.equal(await phone.textContent('#unit-status'), 'Tersedia');
    assert.equal(await phone.isVisible('#idle'), true);
    assert.equal(await phone.evaluate(() => localStorage.getItem('siaga.unit.token')), unitToken);
    // Nothing wider than the phone.
    assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= 360));
    await phone.screenshot({ path: path.join(OUT, 'responder-idle.png') });
  });

  test('the console assigns, the page shows it big, the crew accepts', async () => {
    const r = await fetch(`${base}/v1/reports`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ category: 'medical', description: 'Ibu hamil pendarahan, butuh ambulans segera',
                             location: { lat: -2.2089, lon: 113.9213, address: 'Jl. RTA Milono km 2' },
                             reporter: { phone: '+6281234500001' } }),
    });
    assert.equal(r.status, 202);
    const created = await consoleSees('the incident on the console', (m) => m.update && m.update.incident &&
                                      m.update.kind === 'UPDATE_KIND_CREATED', 20000);
    const incidentId = created.update.incident.id;
    await consolePage.evaluate((id) => window.ws.send(JSON.stringify(
      { command: { requestId: 'as-1', assign: { incidentId: id, unitId: 'AMB-07' } } })), incidentId);
    await phone.waitForSelector('#job:not([hidden])').catch(async (e) => {
      await phone.screenshot({ path: path.join(OUT, 'responder-offer-missing.png') });
      const st = await phone.evaluate(() => [localStorage.getItem('siaga.unit.state'),
                                             document.querySelector('#job').outerHTML.slice(0, 300)]);
      throw new Error(`${e.message}; the page's state: ${st}`);
    });
    assert.match(await phone.textContent('#job-category'), /Medis/);
    assert.match(await phone.textContent('#job-place'), /RTA Milono/);
    assert.match(await phone.textContent('#job-texts'), /pendarahan/);
    assert.match(await phone.textContent('#job-state'), /TUGAS BARU/);
    assert.match(await phone.getAttribute('#accept-nav', 'href'), /^geo:-2\.208900,113\.921300/);
    // The page said it received it, and that it is on screen.
    await consoleSees('DELIVERED', (m) => m.update && m.update.assignment &&
                      m.update.assignment.state === 'ASSIGNMENT_STATE_DELIVERED');
    await consoleSees('SEEN', (m) => m.update && m.update.assignment &&
                      m.update.assignment.state === 'ASSIGNMENT_STATE_SEEN');
    await phone.screenshot({ path: path.join(OUT, 'responder-offer.png') });

    await phone.click('#accept');
    await consoleSees('ACCEPTED', (m) => m.update && m.update.assignment &&
                      m.update.assignment.state === 'ASSIGNMENT_STATE_ACCEPTED');
    await phone.waitForSelector('#accepted-actions:not([hidden])');
    await phone.waitForFunction(() => document.querySelector('#unit-status').textContent === 'Berangkat');
    assert.match(await phone.getAttribute('#navigate', 'href'), /^geo:/);
  });

  test('en route, the phone position reaches the console and Redis', async () => {
    const pos = await consoleSees('a position from the phone', (m) => m.update && m.update.unit &&
                                  m.update.unit.id === 'AMB-07' && m.update.unit.position, 15000);
    assert.ok(Math.abs(pos.update.unit.position.lat - PHONE_AT.latitude) < 1e-4, JSON.stringify(pos.update.unit));
    assert.ok(Math.abs(pos.update.unit.position.lon - PHONE_AT.longitude) < 1e-4);
    const geo = await redis(redisP.port, 'GEOPOS', 'siaga:{plk}:unitgeo', 'AMB-07');
    assert.match(geo, /113\.913/);
    await phone.waitForFunction(() => /dibagikan \d/.test(document.querySelector('#gps').textContent));
    await phone.screenshot({ path: path.join(OUT, 'responder-en-route.png'), fullPage: true });
  });

  test('status buttons move the unit, and the console sees each', async () => {
    for (const [status, label] of [['UNIT_STATUS_ON_SCENE', 'Di lokasi'],
                                   ['UNIT_STATUS_TRANSPORTING', 'Bawa pasien']]) {
      await phone.click(`.st[data-status="${status}"]`);
      await phone.waitForFunction((l) => document.querySelector('#unit-status').textContent === l, label);
      await consoleSees(`${status} on the console`, (m, st) => m.update && m.update.unit &&
                        m.update.unit.status === st, 10000, status);
    }
    await phone.screenshot({ path: path.join(OUT, 'responder-transporting.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });

  test('is installable and opens with no network', async () => {
    const manifest = await (await fetch(`${base}/responder.webmanifest`)).json();
    assert.equal(manifest.start_url, '/responder');
    assert.equal(manifest.display, 'standalone');
    await waitFor('the service worker to control the page', 10000, () =>
      phone.evaluate(async () => {
        const reg = await navigator.serviceWorker.getRegistration('/responder');
        return !!(reg && reg.active);
      }));
    await phone.context().setOffline(true);
    await phone.reload({ waitUntil: 'load' });
    await phone.waitForSelector('#app:not([hidden])');
    assert.match(await phone.textContent('#conn-text'), /menyambung|terputus/);
    await phone.screenshot({ path: path.join(OUT, 'responder-offline.png') });
    await phone.context().setOffline(false);
    await phone.waitForSelector('#conn[data-state="on"]', { timeout: 40000 });
  });
});
