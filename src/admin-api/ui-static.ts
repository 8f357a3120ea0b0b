import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LocalRouterError } from '../errors/index.js';
import { statusLine, writeError, type HeaderPairs, type RouteHandler, type Routes, type UiSessions } from '../ingress/index.js';

/** One built file of the dashboard, held in memory (the whole build is a few hundred KB). */
interface UiFile {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  /** Vite's hashed assets never change under their name. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json', '.woff2': 'font/woff2',
};

/**
 * Headers of every dashboard file. The policy allows nothing but this origin: no inline script or
 * style (style attributes set through the CSSOM, as uPlot does, are not inline styles), no frames,
 * no form posts elsewhere, no referrer (the login code is in the first URL).
 */
export const UI_SECURITY_HEADERS: HeaderPairs = [
  ['content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
    + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"],
  ['x-frame-options', 'DENY'],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
];

/**
 * The built dashboard (`dist/ui`), read and compressed on the first request for any of its files
 * (about 30 ms of gzip at level 9 that a gateway start would otherwise wait for), then held in
 * memory; `built` is false when there is no build.
 */
export class UiAssets {
  readonly #files = new Map<string, UiFile>();
  readonly dir: string;
  readonly built: boolean;
  #loaded = false;

  constructor(dir: string) {
    this.dir = dir;
    this.built = existsSync(path.join(dir, 'index.html'));
  }

  get(urlPath: string): UiFile | undefined {
    if (!this.#loaded && this.built) {
      this.#loaded = true;
      this.#load(this.dir, '');
    }
    return this.#files.get(urlPath);
  }

  #load(dir: string, prefix: string): void {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const url = `${prefix}/${name}`;
      if (statSync(full).isDirectory()) {
        this.#load(full, url);
        continue;
      }
      const ext = path.extname(name);
      const type = TYPES[ext];
      if (type === undefined || ext === '.map') continue;
      const body = readFileSync(full);
      const compressible = type.startsWith('text/') || type === 'image/svg+xml' || type === 'application/json';
      const gzip = compressible && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      this.#files.set(url, { body, gzip, type, etag, immutable: url.startsWith('/assets/') });
    }
  }
}

/**
 * `GET /` (the dashboard page, and `/?login=<code>`: spends a one-time login code, sets the session
 * cookie and redirects to `/` so the code leaves the address bar and history), `/assets/*` and
 * `/favicon.svg`. Client-side views are hash routes, so no other path needs the page.
 */
export function uiRoutes(assets: UiAssets, sessions: UiSessions): Routes {
  const file: RouteHandler = (_state, res, req) => serveFile(res, req, assets, req.getUrl());
  const page: RouteHandler = (_state, res, req) => {
    const login = new URLSearchParams(req.getQuery() ?? '').get('login');
    if (login !== null) {
      const id = sessions.redeemLoginCode(login);
      const headers: HeaderPairs = id === null ? [['location', '/#login-failed']] : [['location', '/'], ['set-cookie', sessions.setCookie(id)]];
      res.cork(() => {
        res.writeStatus(statusLine(303));
        for (const [k, v] of [...headers, ...UI_SECURITY_HEADERS, ['cache-control', 'no-store']]) res.writeHeader(k, v);
        res.end();
      });
      return;
    }
    serveFile(res, req, assets, '/index.html');
  };
  return { '/': { get: page }, '/assets/*': { get: file }, '/favicon.svg': { get: file } };
}

function serveFile(res: HttpResponse, req: HttpRequest, assets: UiAssets, urlPath: string): void {
  if (!assets.built) {
    writeError(res, new LocalRouterError('LR_ERR_NOT_FOUND', `the dashboard is not built (no ${path.join(assets.dir, 'index.html')}); run: npm run build`));
    return;
  }
  const f = assets.get(urlPath);
  if (f === undefined) {
    writeError(res, new LocalRouterError('LR_ERR_NOT_FOUND', `no dashboard file ${urlPath.slice(0, 200)}`));
    return;
  }
  const cache = f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache';
  const notModified = req.getHeader('if-none-match') === f.etag;
  const gzip = f.gzip !== null && /\bgzip\b/.test(req.getHeader('accept-encoding'));
  res.cork(() => {
    res.writeStatus(statusLine(notModified ? 304 : 200));
    res.writeHeader('content-type', f.type);
    res.writeHeader('cache-control', cache);
    res.writeHeader('etag', f.etag);
    res.writeHeader('vary', 'accept-encoding');
    for (const [k, v] of UI_SECURITY_HEADERS) res.writeHeader(k, v);
    if (notModified) {
      res.endWithoutBody();
      return;
    }
    if (gzip) res.writeHeader('content-encoding', 'gzip');
    res.end(gzip ? f.gzip! : f.body);
  });
}
