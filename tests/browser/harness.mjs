// What the browser tests share: the build and browser they use, and the
// processes they start (redis-server, siagad, siaga-worker) on loopback,
// each with its output in out/<prefix><name>.log, every wait bounded, and
// every child killed when the test runner exits, even cut short.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const BUILD = path.resolve(process.env.SIAGA_BUILD || path.join(HERE, '..', '..', 'build'));
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = path.join(HERE, 'out');

const children = new Set();
function killChildren() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
}
process.on('exit', killChildren);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { killChildren(); process.exit(128 + (sig === 'SIGINT' ? 2 : 15)); });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Resolves to fn()'s first truthy value, or fails after timeoutMs naming what.
export async function waitFor(what, timeoutMs, fn, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastErr = e;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                      (lastErr ? ` (last error: ${lastErr.message})` : ''));
    }
    await sleep(intervalMs);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export function logTail(file, lines = 30) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// Starts a process with its output in OUT/<prefix><name>.log; returns a
// handle {name, child, log, exited, code, done}.
export function startProc(name, cmd, args, prefix = '') {
  const log = path.join(OUT, `${prefix}${name}.log`);
  const fd = fs.openSync(log, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  children.add(child);
  const h = { name, child, log, exited: false, code: null };
  h.done = new Promise((resolve) => {
    const gone = (code) => { h.exited = true; h.code = code; children.delete(child); resolve(); };
    child.on('exit', (code, signal) => gone(code ?? signal));
    child.on('error', (e) => gone(e.message));
  });
  return h;
}

export async function stopProc(h) {
  if (!h || h.exited) return;
  h.child.kill('SIGTERM');
  const t = setTimeout(() => { if (!h.exited) h.child.kill('SIGKILL'); }, 5000);
  await Promise.race([h.done, sleep(7000)]);
  clearTimeout(t);
}

export function redisPing(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok) => { s.destroy(); resolve(ok); };
    s.setTimeout(1000, () => done(false));
    s.on('error', () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { buf += d; if (buf.includes('\r\n')) done(buf.startsWith('+PONG')); });
  });
}

// A private Kannel (bearerbox, smsbox, fakesmsc) through
// tests/integration/kannel_serve.py, the one way the tree runs Kannel: every
// citizen's SMS is POSTed to siagad's Kannel webhook on siagadPort with
// secret. Resolves to {sendsmsUrl, mo(from, to, text), mt(), stop()} once
// Kannel is up; mt() is every message Kannel delivered to fakesmsc so far.
export async function startKannel(dir, siagadPort, secret) {
  const script = path.join(HERE, '..', 'integration', 'kannel_serve.py');
  const log = path.join(OUT, 'kannel-serve.log');
  const errFd = fs.openSync(log, 'a');
  const child = spawn('python3', [script, '--dir', dir, '--siagad-port', String(siagadPort), '--secret', secret],
                      { stdio: ['pipe', 'pipe', errFd] });
  fs.closeSync(errFd);
  children.add(child);
  let exited = false;
  const done = new Promise((resolve) => child.on('exit', () => { exited = true; children.delete(child); resolve(); }));
  const waiting = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(JSON.parse(line));
    }
  });
  const next = (what, ms) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`kannel_serve.py: no answer to ${what} in ${ms} ms:\n${logTail(log)}`)), ms);
    waiting.push((v) => { clearTimeout(t); resolve(v); });
  });
  const ask = (req) => { const a = next(JSON.stringify(req), 10000); child.stdin.write(JSON.stringify(req) + '\n'); return a; };
  const started = await Promise.race([
    next('start', 45000),
    done.then(() => { throw new Error(`kannel_serve.py exited during start:\n${logTail(log)}`); }),
  ]);
  return {
    sendsmsUrl: started.sendsmsUrl,
    mo: (from, to, text) => ask({ mo: { from, to, text } }),
    mt: async () => (await ask({ mt: true })).mt,
    async stop() {
      if (exited) return;
      child.stdin.end();
      const t = setTimeout(() => { if (!exited) child.kill('SIGKILL'); }, 15000);
      await done;
      clearTimeout(t);
    },
  };
}

// An account made with siaga-admin on the Redis at redisPort.
export function addUser(redisPort, name, role, password) {
  const r = spawnSync(path.join(BUILD, 'siaga-admin'),
                      ['--redis', `127.0.0.1:${redisPort}`, 'user', 'add', name, '--role', role],
                      { input: `${password}\n`, encoding: 'utf8', timeout: 30000 });
  assert.equal(r.status, 0, `siaga-admin user add ${name}: ${r.stdout} ${r.stderr}`);
}

// A redis-server of the test's own on a free port, data in dir, nothing
// saved; resolves once it answers PING, with its port as h.port.
export async function startRedis(dir, prefix = '') {
  const port = await freePort();
  const h = startProc('redis', 'redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
    '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ], prefix);
  await waitFor('redis-server to answer PING', 10000, async () => {
    if (h.exited) throw new Error(`redis-server exited (${h.code}):\n${logTail(h.log)}`);
    return redisPing(port);
  });
  h.port = port;
  return h;
}

// Debian's Chromium, headless, without what would reach the network by itself.
export function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
}

// The end of a test file: the browser closed, then each process stopped in
// order (handles not started are skipped), then the temporary directory gone.
export async function tearDown(browser, procs, tmp) {
  try {
    if (browser) await browser.close();
  } finally {
    for (const p of procs) await stopProc(p);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
