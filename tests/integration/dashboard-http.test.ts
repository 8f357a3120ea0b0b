import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type GatewayFixture } from '../helpers/gateway-fixture.js';

/** A raw request (fetch cannot set Host, Origin or Sec-Fetch-Site). */
async function raw(port: number, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: Headers; text: string }> {
  const { request } = await import('undici');
  const r = await request(`http://127.0.0.1:${port}${p}`, { method: method as 'GET', headers, body });
  return { status: r.statusCode, headers: new Headers(r.headers as Record<string, string>), text: await r.body.text() };
}

describe('dashboard over HTTP: files, security headers, login and CSRF', () => {
  let fx: GatewayFixture;
  let port: number;
  let token: string;

  beforeAll(async () => {
    fx = await startTestGateway({ providers: [] , server: {} });
    port = fx.gw.port;
    token = fs.readFileSync(path.join(fx.home, 'admin-token'), 'utf8').trim();
  });
  afterAll(async () => { await fx?.close(); });

  const admin = (): Record<string, string> => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });

  async function login(): Promise<{ cookie: string; csrf: string }> {
    const url = fx.gw.dashboardLoginUrl();
    const r = await raw(port, 'GET', new URL(url).pathname + new URL(url).search);
    expect(r.status).toBe(303);
    const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
    const s = JSON.parse((await raw(port, 'GET', '/api/session', { cookie, 'sec-fetch-site': 'same-origin' })).text) as { csrf: string };
    return { cookie, csrf: s.csrf };
  }

  it('serves the page with a strict CSP, X-Frame-Options DENY and no inline script', async () => {
    const r = await raw(port, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    // Scripts and styles only from files of this origin.
    expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(r.text).not.toMatch(/style=/);
    expect(r.text).not.toMatch(/https?:\/\//);
  });

  it('serves hashed assets with their type, long caching, gzip and ETag revalidation', async () => {
    const page = (await raw(port, 'GET', '/')).text;
    const js = /src="(\/assets\/[^"]+\.js)"/.exec(page)![1]!;
    const css = /href="(\/assets\/[^"]+\.css)"/.exec(page)![1]!;
    const a = await raw(port, 'GET', js, { 'accept-encoding': 'gzip' });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(a.headers.get('content-encoding')).toBe('gzip');
    expect((await raw(port, 'GET', css)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const again = await raw(port, 'GET', js, { 'if-none-match': a.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect((await raw(port, 'GET', '/assets/nope.js')).status).toBe(404);
    expect((await raw(port, 'GET', '/assets/../admin-token')).status).toBe(404);
  });

  it('the Host guard covers the dashboard (DNS rebinding)', async () => {
    expect((await raw(port, 'GET', '/', { host: 'evil.example:3625' })).status).toBe(403);
  });

  it('a login link works once; the cookie is HttpOnly and SameSite=Strict', async () => {
    const url = new URL(fx.gw.dashboardLoginUrl());
    const first = await raw(port, 'GET', url.pathname + url.search);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    expect(first.headers.get('set-cookie')).toMatch(new RegExp(`^lr_session_${port}=[A-Za-z0-9_-]+; Path=/; HttpOnly; SameSite=Strict`));
    const second = await raw(port, 'GET', url.pathname + url.search);
    expect(second.headers.get('location')).toBe('/#login-failed');
    expect(second.headers.get('set-cookie')).toBeNull();
  });

  it('state-changing calls with the cookie need the CSRF token and this origin', async () => {
    const { cookie, csrf } = await login();
    const body = JSON.stringify({ name: 'csrf-test' });
    expect((await raw(port, 'GET', '/api/clients', { cookie, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await raw(port, 'POST', '/api/clients', { cookie, 'content-type': 'application/json' }, body)).status).toBe(403);
    expect((await raw(port, 'POST', '/api/clients', { cookie, 'x-csrf-token': csrf, origin: `http://127.0.0.1:${port + 1}` }, body)).status).toBe(403);
    expect((await raw(port, 'GET', '/api/clients', { cookie, 'sec-fetch-site': 'same-site' })).status).toBe(403);
    const ok = await raw(port, 'POST', '/api/clients', { cookie, 'x-csrf-token': csrf, origin: `http://127.0.0.1:${port}`, 'sec-fetch-site': 'same-origin' }, body);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text).key).toMatch(/^lr-/);
    // A wrong bearer token is not excused by a good cookie.
    expect((await raw(port, 'GET', '/api/clients', { cookie, authorization: 'Bearer lra-wrong' })).status).toBe(401);
    // Logout ends it.
    expect((await raw(port, 'POST', '/api/session/logout', { cookie, 'x-csrf-token': csrf })).status).toBe(200);
    expect((await raw(port, 'GET', '/api/clients', { cookie })).status).toBe(401);
  });

  it('the admin token logs in; a client key does not; wrong tokens are rate limited', async () => {
    const bad = await raw(port, 'POST', '/api/session', { 'content-type': 'application/json' }, JSON.stringify({ token: fx.key }));
    expect(bad.status).toBe(401);
    const good = await raw(port, 'POST', '/api/session', { 'content-type': 'application/json' }, JSON.stringify({ token }));
    expect(good.status).toBe(200);
    expect(good.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      const r = await raw(port, 'POST', '/api/session', {}, JSON.stringify({ token: 'lra-guess' }));
      if (r.status === 429) limited++;
    }
    expect(limited).toBeGreaterThan(0);
  });

  it('client calls: a client key gets 403, the admin token manages clients', async () => {
    expect((await raw(port, 'GET', '/api/clients', { authorization: `Bearer ${fx.key}` })).status).toBe(403);
    const made = JSON.parse((await raw(port, 'POST', '/api/clients', admin(), JSON.stringify({ name: 'via-token' }))).text) as { client: { id: string } };
    expect((await raw(port, 'POST', `/api/clients/${made.client.id}`, admin(), JSON.stringify({ strategy: 'nope' }))).status).toBe(400);
    expect((await raw(port, 'POST', '/api/clients', admin(), JSON.stringify({ name: 'Bad Name' }))).status).toBe(400);
    expect((await raw(port, 'POST', '/api/clients', admin(), '{not json')).status).toBe(400);
    expect((await raw(port, 'DELETE', `/api/clients/${made.client.id}`, admin())).status).toBe(200);
    expect((await raw(port, 'DELETE', `/api/clients/${made.client.id}`, admin())).status).toBe(404);
  });
});
