// Helpers of the browser tests: start and stop a cqdt server on a random port with its own
// temporary SQLite database, launch Debian's headless Chromium with a new empty profile, take a
// screenshot of every step and run axe-core on every page visited.
//
// Nothing here downloads a browser: Chromium is /usr/bin/chromium (or $CHROMIUM_PATH).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, after } from 'node:test';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

export const REPO_ROOT = path.resolve(here, '..', '..');
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'target', 'browser-screenshots');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const DEMO_PASSWORD = 'TayNinh@2019';
const AXE_PATH = require.resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa'];
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/** The cqdt binary: $CQDT_BIN, the shared cargo target, or target/debug in the repo. */
export function cqdtBinary() {
  const candidates = [
    process.env.CQDT_BIN,
    '/root/.cache/cqdt-target/debug/cqdt',
    path.join(REPO_ROOT, 'target', 'debug', 'cqdt'),
  ].filter(Boolean);
  for (const c of candidates) {
    if (fs.existsSync(c)) return c;
  }
  throw new Error(
    `no cqdt binary (looked at ${candidates.join(', ')}); build it with ` +
      '`CARGO_TARGET_DIR=/root/.cache/cqdt-target cargo build -p cqdt` or set CQDT_BIN',
  );
}

// ---------- the server ----------

const liveServers = new Set();

function killAllSync() {
  for (const srv of liveServers) {
    try {
      srv.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    try {
      fs.rmSync(srv.dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  liveServers.clear();
}
process.on('exit', killAllSync);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    killAllSync();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Keep only the last `max` characters of a growing log. */
class Tail {
  constructor(max = 64 * 1024) {
    this.max = max;
    this.text = '';
  }
  push(chunk) {
    this.text += chunk;
    if (this.text.length > this.max) this.text = this.text.slice(-this.max);
  }
  lines(n) {
    // eslint-disable-next-line no-control-regex
    return this.text.replace(/\x1b\[[0-9;]*m/g, '').trimEnd().split('\n').slice(-n).join('\n');
  }
}

/**
 * Start `cqdt serve --demo` in a new temporary directory with its own database, on a random
 * port. Resolves once the server printed its address.
 */
export async function startServer({ timeoutMs = 60_000 } = {}) {
  const bin = cqdtBinary();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cqdt-browser-'));
  const env = {
    ...process.env,
    CQDT__SERVER__METRICS_LISTEN: '',
    CQDT__DATABASE__URL: `sqlite://${dir}/cqdt.sqlite`,
    NO_COLOR: '1',
  };
  const child = spawn(bin, ['serve', '--demo', '--listen', '127.0.0.1:0'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout = new Tail();
  const stderr = new Tail();
  const srv = { child, dir, stdout, stderr, url: null, exited: null };
  liveServers.add(srv);
  srv.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => stderr.push(d));
  child.stdout.setEncoding('utf8');

  try {
    srv.url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`cqdt did not print its address within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.stdout.on('data', (d) => {
        stdout.push(d);
        const m = /cqdt đang chạy tại (http:\/\/[^\s]+)/.exec(stdout.text);
        if (m) {
          clearTimeout(timer);
          resolve(m[1].replace(/\/$/, ''));
        }
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      srv.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`cqdt exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  } catch (e) {
    await stopServer(srv);
    e.message += `\n--- cqdt stdout ---\n${stdout.lines(20)}\n--- cqdt stderr ---\n${stderr.lines(20)}`;
    throw e;
  }
  return srv;
}

/** Stop the server (SIGTERM, then SIGKILL after 10 s) and remove its directory. */
export async function stopServer(srv) {
  if (!srv) return;
  const { child } = srv;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await srv.exited;
    clearTimeout(timer);
  }
  liveServers.delete(srv);
  fs.rmSync(srv.dir, { recursive: true, force: true });
}

// ---------- the browser ----------

/** Launch Chromium with a new empty user data dir. */
export async function launchBrowser(contextOptions = {}) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cqdt-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    locale: 'vi-VN',
    viewport: { width: 1280, height: 900 },
    timeout: 60_000,
    ...contextOptions,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// ---------- axe-core ----------

/** Every violation of every page, for the summary printed at the end. */
const allViolations = [];

async function injectAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  try {
    await page.addScriptTag({ path: AXE_PATH });
    if (await page.evaluate(() => typeof window.axe === 'object')) return;
  } catch (e) {
    if (!/Content Security Policy/.test(String(e && e.message))) throw e;
  }
  // The pages' Content-Security-Policy (default-src 'self') blocks the inline script that
  // addScriptTag adds; keep the policy on (it is what people get) and evaluate the same file
  // through the DevTools protocol instead, which CSP does not govern.
  await page.evaluate(fs.readFileSync(AXE_PATH, 'utf8'));
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    throw new Error('could not load axe-core into the page');
  }
}

/** Run axe-core (WCAG 2.0 A/AA and 2.1 AA rules) on the page; returns the violations. */
export async function runAxe(page) {
  await injectAxe(page);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target.map(String),
        html: n.html.length > 200 ? `${n.html.slice(0, 200)}…` : n.html,
        summary: n.failureSummary,
      })),
    }));
  }, AXE_TAGS);
}

function formatViolation(v, where) {
  const nodes = v.nodes
    .map((n) => `      ${n.target.join(' ')}  ${n.html}\n        ${(n.summary || '').replace(/\n/g, '\n        ')}`)
    .join('\n');
  return `  [${v.impact}] ${v.id} on ${where}: ${v.help}\n    ${v.helpUrl}\n${nodes}`;
}

after(() => {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  fs.writeFileSync(path.join(SCREENSHOT_DIR, 'axe-report.json'), JSON.stringify(allViolations, null, 2));
  // One line per rule and page, minor/moderate ones first as a summary.
  const byRule = new Map();
  for (const v of allViolations) {
    const key = `${v.impact} ${v.id}`;
    const e = byRule.get(key) || { impact: v.impact, id: v.id, help: v.help, pages: new Set(), nodes: 0 };
    e.pages.add(v.page);
    e.nodes += v.nodes.length;
    byRule.set(key, e);
  }
  const rows = [...byRule.values()].sort((a, b) => a.id.localeCompare(b.id));
  const lines = ['axe-core summary (wcag2a, wcag2aa, wcag21aa):'];
  for (const blocking of [false, true]) {
    const some = rows.filter((r) => BLOCKING_IMPACTS.has(r.impact) === blocking);
    lines.push(blocking ? ' serious/critical (these fail the tests):' : ' minor/moderate (reported only):');
    if (some.length === 0) lines.push('   none');
    for (const r of some) {
      lines.push(`   [${r.impact}] ${r.id}: ${r.help} — ${r.nodes} element(s) on ${[...r.pages].sort().join(', ')}`);
    }
  }
  lines.push(` full report: ${path.relative(REPO_ROOT, path.join(SCREENSHOT_DIR, 'axe-report.json'))}`);
  console.log(lines.join('\n'));
});

// ---------- one test = one server + one browser ----------

function slug(s) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80) || 'home';
}

export class Session {
  constructor(t, name, id, server, browser, page) {
    this.t = t;
    this.name = name;
    this.id = id;
    this.server = server;
    this.browser = browser;
    this.page = page;
    this.steps = 0;
    this.blocking = []; // serious/critical axe violations of this test
    this.lastStatus = null;
    this.checkedA11y = new Set();
    page.on('response', (r) => {
      const req = r.request();
      if (req.isNavigationRequest() && r.frame() === page.mainFrame()) this.lastStatus = r.status();
    });
  }

  get url() {
    return this.server.url;
  }

  /** The current page's path and query, e.g. "/dang-nhap?registered". */
  where() {
    const u = new URL(this.page.url());
    return u.pathname + u.search;
  }

  /** Screenshot of the current page, named by test and step. */
  async screenshot(step) {
    this.steps += 1;
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(
      SCREENSHOT_DIR,
      `${this.id}--${String(this.steps).padStart(2, '0')}-${slug(step)}.png`,
    );
    // The whole page, cut at 4000 CSS pixels (the agency list is 15 000 px tall on a phone).
    const size = await this.page.evaluate(() => ({
      width: document.documentElement.scrollWidth,
      height: document.documentElement.scrollHeight,
    }));
    await this.page.screenshot({
      path: file,
      fullPage: true,
      clip: { x: 0, y: 0, width: size.width, height: Math.min(size.height, 4000) },
    });
    return file;
  }

  /** A step: screenshot, then axe-core on the page as it is now. */
  async step(name) {
    await this.page.waitForLoadState('load');
    await this.screenshot(name);
    const where = this.where();
    const violations = await runAxe(this.page);
    for (const v of violations) {
      allViolations.push({ test: this.name, step: name, page: where, ...v });
      const key = `${where} ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(',')}`;
      if (BLOCKING_IMPACTS.has(v.impact) && !this.checkedA11y.has(key)) {
        this.checkedA11y.add(key);
        this.blocking.push(formatViolation(v, `${where} (step "${name}")`));
      }
    }
  }

  /** Open a path of the server; returns the final response status. Runs `step`. */
  async goto(p, stepName = p) {
    const res = await this.page.goto(this.url + p, { waitUntil: 'load' });
    await this.step(stepName);
    return res ? res.status() : this.lastStatus;
  }

  /** Do something that navigates (click, Enter), wait for the new page, run `step`. */
  async navigating(action, stepName) {
    const page = this.page;
    const navigated = page.waitForEvent('framenavigated', {
      predicate: (f) => f === page.mainFrame(),
      timeout: 30_000,
    });
    await action();
    await navigated;
    await page.waitForLoadState('load');
    await this.step(stepName || this.where());
    return this.lastStatus;
  }

  async close() {
    await this.browser.close();
    await stopServer(this.server);
  }

  a11yError() {
    if (this.blocking.length === 0) return null;
    return new Error(
      `axe-core found ${this.blocking.length} serious/critical accessibility violation(s):\n` +
        this.blocking.join('\n'),
    );
  }
}

/** Multi-line text as diagnostics, one line each (the TAP output escapes newlines). */
function diagnostics(t, text) {
  for (const line of text.split('\n')) t.diagnostic(line);
}

/**
 * A test with its own server (own database, random port) and its own browser. After the body
 * the test fails on any serious or critical axe-core violation met on the way. `id` names the
 * test's screenshots (target/browser-screenshots/ID--NN-step.png).
 */
export function browserTest(name, fn, { id = slug(name), context = {}, timeout = 180_000 } = {}) {
  test(name, { timeout }, async (t) => {
    const server = await startServer();
    let browser;
    let session;
    let bodyError = null;
    try {
      browser = await launchBrowser(context);
      const page = browser.context.pages()[0] || (await browser.context.newPage());
      session = new Session(t, name, id, server, browser, page);
      await fn(session, t);
    } catch (e) {
      bodyError = e;
      if (session) {
        await session.screenshot('failure').catch(() => {});
        t.diagnostic(`failed at ${session.page.url()}`);
      }
      diagnostics(t, `cqdt stderr (last lines):\n${server.stderr.lines(15)}`);
    } finally {
      if (browser) await browser.close();
      await stopServer(server);
    }
    const a11y = session ? session.a11yError() : null;
    if (bodyError) {
      if (a11y) diagnostics(t, a11y.message);
      throw bodyError;
    }
    if (a11y) throw a11y;
  });
}
