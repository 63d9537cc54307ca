// Starts what the end-to-end tests need (redis-server, Herald from target/herald.jar, Chromium) and stops it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e-secret';
export const SCREENSHOTS = path.join(root, 'target', 'e2e-screenshots');
mkdirSync(SCREENSHOTS, { recursive: true });

const java = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Waits for `check()` to be truthy, polling every 50 ms, failing after `ms`. */
export async function until(what, check, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function pingRedis(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.on('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.on('error', () => resolve(false));
  });
}

export async function startRedis() {
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
                     { stdio: 'ignore' });
  await until(`redis on ${port}`, () => pingRedis(port));
  return { url: `redis://127.0.0.1:${port}`, stop: () => stopProcess(proc) };
}

/** Starts Herald from the built jar; `env` and `-D` options on top of dev mode with a fixed secret. */
export async function startHerald({ port, env = {}, props = {} } = {}) {
  const listen = port ?? await freePort();
  if (!existsSync(path.join(root, 'target', 'herald.jar'))) throw new Error('build target/herald.jar first (mvn package)');
  const args = [...Object.entries({ 'herald.sse.heartbeat': 'PT1S', ...props }).map(([k, v]) => `-D${k}=${v}`),
                '-jar', path.join(root, 'target', 'herald.jar')];
  const proc = spawn(java, args, {
    cwd: root,
    env: { ...process.env, SERVER_PORT: String(listen), HERALD_DEV_MODE: 'true', HERALD_JWT_SECRET: SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  await until(`Herald on ${listen}`, () => log.includes('Herald listening') || proc.exitCode !== null, 30000);
  if (proc.exitCode !== null) throw new Error(`Herald exited: ${log}`);
  return { port: listen, log: () => log, stop: () => stopProcess(proc) };
}

async function stopProcess(proc) {
  if (proc.exitCode !== null) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(timer);
}

/** A self-signed PKCS12 keystore for localhost, made with the JDK's keytool. */
export function keystore() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'herald-e2e-'));
  const file = path.join(dir, 'server.p12');
  const keytool = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'keytool') : 'keytool';
  execFileSync(keytool, ['-genkeypair', '-alias', 'server', '-keyalg', 'EC', '-groupname', 'secp256r1',
                         '-dname', 'CN=localhost', '-validity', '2', '-storetype', 'PKCS12', '-keystore', file,
                         '-storepass', 'changeit', '-keypass', 'changeit', '-ext', 'SAN=dns:localhost,ip:127.0.0.1']);
  return { file, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the demo page and signs in as `name`. */
export async function signIn(browser, baseUrl, name, contextOptions = {}) {
  const context = await browser.newContext({ acceptDownloads: true, ...contextOptions });
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.fill('#name', name);
  await page.click('#signin button');
  await page.waitForSelector('#status[data-status="open"]');
  return { context, page };
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Texts of the chat messages shown on the page. */
export async function messages(page) {
  return page.$$eval('#messages li.message .content', (items) => items.map((li) => li.textContent));
}

export async function onlineNames(page) {
  return page.$$eval('#presence li', (items) => items.map((li) => li.textContent));
}

/** A token from the pod's dev-mode endpoint (`POST /dev/token`): `{ userId, name?, roles?, ttlSeconds? }`. */
export async function devToken(base, body) {
  const res = await fetch(`${base}/dev/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`POST /dev/token answered ${res.status}: ${await res.text()}`);
  return (await res.json()).token;
}
