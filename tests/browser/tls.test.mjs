// The console page over TLS, as a browser meets it behind nginx.
//
// Starts its own redis-server, siagad (--trusted-proxy 127.0.0.1) and
// siaga-worker, and nginx from config/nginx/siaga.conf with a certificate
// made here by openssl (all on free loopback ports, files in a temporary
// directory). Headless Chromium, told to accept that certificate, opens
// https://, signs in, and must get a Secure session cookie and a wss://
// console that shows a report the page posts over https.
//
//   SIAGA_BUILD=/path/to/build node --test tls.test.mjs
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { BUILD, CHROMIUM, OUT, waitFor, freePort, logTail, startProc, addUser, startRedis,
         launchChromium, tearDown } from './harness.mjs';

const NGINX_CONFIG = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'nginx');
// Debian installs nginx in /usr/sbin, which an ordinary user's PATH may lack.
const NGINX = fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const DISPATCHER = { name: 'wati', password: 'wati-password-112' };
const proc = (name, cmd, args) => startProc(name, cmd, args, 'tls-');

// A template of config/nginx with its @NAME@ placeholders filled.
function fill(template, values) {
  let text = fs.readFileSync(path.join(NGINX_CONFIG, template), 'utf8');
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`@${k}@`, v);
  return text;
}

// GET over https trusting only ca: the status, or 0 when nothing answers.
function httpsStatus(url, ca) {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, timeout: 1000 }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

describe('console over https through nginx', { timeout: 120000 }, () => {
  let tmp, redis, siagad, worker, nginx, browser, context, page, base;
  const pageErrors = [];
  const socketUrls = [];

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: apt-get install -y chromium`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'siaga-tls-'));
    fs.chmodSync(tmp, 0o711); // nginx's worker runs as nobody when the test runs as root
    redis = await startRedis(tmp, 'tls-');
    const redisPort = redis.port;
    addUser(redisPort, DISPATCHER.name, 'dispatcher', DISPATCHER.password);
    const port = await freePort();
    siagad = proc('siagad', path.join(BUILD, 'siagad'),
                  ['--listen', `127.0.0.1:${port}`, '--redis', `127.0.0.1:${redisPort}`,
                   '--trusted-proxy', '127.0.0.1']);
    worker = proc('worker', path.join(BUILD, 'siaga-worker'), ['--redis', `127.0.0.1:${redisPort}`]);

    const cert = path.join(tmp, 'cert.pem'), key = path.join(tmp, 'key.pem');
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                                      '-nodes', '-days', '2', '-subj', '/CN=localhost', '-keyout', key,
                                      '-out', cert, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                          { encoding: 'utf8', timeout: 30000 });
    assert.equal(ssl.status, 0, `openssl req: ${ssl.stderr}`);
    const tlsPort = await freePort();
    fs.writeFileSync(path.join(tmp, 'siaga.conf'), fill('siaga.conf', {
      LISTEN: `127.0.0.1:${tlsPort}`, SERVER_NAME: 'localhost', CERT: cert, KEY: key,
      UPSTREAM: `127.0.0.1:${port}`, ACCESS_LOG: path.join(tmp, 'access.log'),
    }));
    fs.writeFileSync(path.join(tmp, 'nginx.conf'),
                     fill('standalone.conf', { DIR: tmp, SITE: path.join(tmp, 'siaga.conf') }));
    nginx = proc('nginx', NGINX, ['-p', tmp, '-e', path.join(tmp, 'error.log'), '-c', path.join(tmp, 'nginx.conf')]);
    base = `https://127.0.0.1:${tlsPort}`;
    const ca = fs.readFileSync(cert);
    await waitFor('siagad /healthz through nginx', 20000, async () => {
      for (const p of [siagad, nginx]) {
        if (p.exited) throw new Error(`${p.name} exited (${p.code}):\n${logTail(p.log)}`);
      }
      return (await httpsStatus(`${base}/healthz`, ca)) === 200;
    }, 200);

    browser = await launchChromium();
    // The certificate is this test's own: the browser accepts it as a user
    // who added an exception would. The scheme is https all the same.
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 },
                                         locale: 'id-ID' });
    context.setDefaultTimeout(15000);
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('websocket', (ws) => socketUrls.push(ws.url()));
  });

  after(() => tearDown(browser, [nginx, worker, siagad, redis], tmp));

  test('signs in over https with a Secure cookie and works live over wss', async () => {
    const resp = await page.goto(`${base}/`, { waitUntil: 'load' });
    assert.equal(resp.status(), 200);
    await page.waitForSelector('#signin:not([hidden])');
    await page.fill('#signin-user', DISPATCHER.name);
    await page.fill('#signin-pass', DISPATCHER.password);
    await page.click('#signin-submit');
    await page.waitForSelector('#conn-state[data-state="connected"]');

    const session = (await context.cookies(base)).find((c) => c.name === 'siaga_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.secure, true, 'Secure under TLS');
    assert.equal(session.httpOnly, true);
    assert.ok(socketUrls.length > 0 && socketUrls.every((u) => u.startsWith(`wss://127.0.0.1:`)),
              `console sockets over wss: ${socketUrls}`);

    // A report posted by the page itself, over https, reaches its console.
    const status = await page.evaluate(async () => (await fetch('/v1/reports', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ category: 'fire', description: 'Kebakaran gudang lewat https',
                             location: { lat: -2.2096, lon: 113.9136 } }),
    })).status);
    assert.equal(status, 202);
    await page.waitForFunction(() => [...document.querySelectorAll('#incidents [data-incident-id]')]
      .some((tr) => tr.textContent.includes('Kebakaran gudang lewat https')), null, { timeout: 20000 });
    await page.screenshot({ path: path.join(OUT, 'tls-console.png') });
    assert.deepEqual(pageErrors, []);
  });
});
