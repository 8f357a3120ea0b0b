import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { stringify } from 'yaml';
import { openSecretStore } from '../../src/secrets/index.js';
import { BIN } from './cli-run.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A gateway started the way users start it (`bin/localrouter serve`), with its one-time login link. */
export interface ServedGateway {
  home: string;
  origin: string;
  port: number;
  loginUrl: string;
  adminToken: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Writes `config` (and provider keys into the file secret store) into a fresh data dir and runs `serve --port 0`. */
export async function startServedGateway(config: Record<string, unknown>, keys: Record<string, string> = {}): Promise<ServedGateway> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-ui-'));
  const env = { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'warn' };
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  const store = openSecretStore(home);
  for (const [name, key] of Object.entries(keys)) store.set(name, key);
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  // The address is on stdout, the login link (a notice) on stderr.
  const { port, loginUrl } = await new Promise<{ port: number; loginUrl: string }>((resolve, reject) => {
    const check = (): void => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      const l = /dashboard: open (http:\/\/\S+\?login=\S+)/.exec(err);
      if (m && l) resolve({ port: Number(m[1]), loginUrl: l[1]! });
    };
    child.stdout!.on('data', (d) => { out += d; check(); });
    child.stderr!.on('data', (d) => { err += d; check(); });
    void exit.then(() => reject(new Error(`serve exited: ${err}`)));
  });
  return {
    home, port, loginUrl, origin: `http://127.0.0.1:${port}`, child, stderr: () => err,
    adminToken: fs.readFileSync(path.join(home, 'admin-token'), 'utf8').trim(),
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exit;
      fs.rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}

/** A browser with a fresh profile that records every request and every CSP violation of its pages. */
export interface RecordingBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL any page or worker of the context requested. */
  requests: string[];
  /** CSP violations (from `securitypolicyviolation` events and console reports). */
  cspViolations: string[];
  consoleErrors: string[];
  close(): Promise<void>;
}

export async function launchRecordingBrowser(): Promise<RecordingBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  const requests: string[] = [];
  const cspViolations: string[] = [];
  const consoleErrors: string[] = [];
  // A step that hangs fails with its own message, well before the test's timeout.
  context.setDefaultTimeout(10_000);
  context.on('request', (r) => requests.push(r.url()));
  await context.exposeBinding('__lrCspViolation', (_src, text: string) => { cspViolations.push(text); });
  await context.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    window.__lrCspViolation(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
  });`);
  const watch = (page: Page): void => {
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspViolations.push(m.text());
    });
  };
  context.on('page', watch);
  const page = context.pages()[0] ?? await context.newPage();
  watch(page);
  return {
    context, page, requests, cspViolations, consoleErrors,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Screenshots the page. With `LOCALROUTER_SCREENSHOTS=1` it goes into docs/screenshots/<name>.png
 * (shown in the README); otherwise into the temp directory, so the test command leaves a clone's
 * tracked files as they were.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.LOCALROUTER_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : path.join(os.tmpdir(), 'localrouter-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  // A blank or failed capture would still pass silently otherwise.
  const bytes = fs.statSync(file).size;
  if (bytes < 1_000) throw new Error(`screenshot ${name} is ${bytes} bytes`);
}
