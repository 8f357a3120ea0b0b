import { describe, expect, it } from 'vitest';
import { SESSION_IDLE_MS, SESSION_MAX_MS, UiSessions, type SessionRequest } from '../../../src/ingress/ui-sessions.js';

function clock(start = 1_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

function loggedIn(s: UiSessions): { cookie: string; csrf: string } {
  const id = s.redeemLoginCode(s.issueLoginCode())!;
  const cookie = `other=1; ${s.cookieName}=${id}`;
  return { cookie, csrf: s.view(cookie)!.csrf };
}

const req = (over: Partial<SessionRequest>): SessionRequest => ({
  cookie: '', method: 'get', host: '127.0.0.1:3625', origin: '', fetchSite: 'same-origin', csrf: '', ...over,
});

describe('dashboard sessions', () => {
  it('a login code works once, and not after it expired', () => {
    const c = clock();
    const s = new UiSessions(c.now);
    const code = s.issueLoginCode(60_000);
    expect(s.redeemLoginCode(code)).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(s.redeemLoginCode(code)).toBeNull();
    const late = s.issueLoginCode(60_000);
    c.advance(60_001);
    expect(s.redeemLoginCode(late)).toBeNull();
    expect(s.redeemLoginCode('')).toBeNull();
    expect(s.redeemLoginCode('x'.repeat(5000))).toBeNull();
  });

  it('the cookie is named after the port, HttpOnly and SameSite=Strict', () => {
    const s = new UiSessions();
    s.bindPort(4321);
    const set = s.setCookie('abc');
    expect(set).toMatch(/^lr_session_4321=abc; /);
    expect(set).toContain('HttpOnly');
    expect(set).toContain('SameSite=Strict');
    expect(s.clearCookie()).toContain('Max-Age=0');
    // Another gateway's cookie on the same host (another port) is not this one's.
    expect(s.sessionIdOf('lr_session_3625=abc')).toBeNull();
    expect(s.sessionIdOf('a=b; lr_session_4321=abc')).toBe('abc');
  });

  it('GET needs only the session; a change needs the session\'s own CSRF token', () => {
    const s = new UiSessions();
    const { cookie, csrf } = loggedIn(s);
    expect(() => s.check(req({ cookie }))).not.toThrow();
    expect(() => s.check(req({ cookie, method: 'post' }))).toThrow(/CSRF/);
    expect(() => s.check(req({ cookie, method: 'delete', csrf: 'wrong' }))).toThrow(/CSRF/);
    const other = loggedIn(s);
    expect(() => s.check(req({ cookie, method: 'post', csrf: other.csrf }))).toThrow(/CSRF/);
    expect(() => s.check(req({ cookie, method: 'post', csrf, origin: 'http://127.0.0.1:3625' }))).not.toThrow();
  });

  it('refuses the cookie from another origin or site, another port of the same host included', () => {
    const s = new UiSessions();
    const { cookie, csrf } = loggedIn(s);
    expect(() => s.check(req({ cookie, method: 'post', csrf, origin: 'http://127.0.0.1:8080' }))).toThrow(/another origin/);
    expect(() => s.check(req({ cookie, origin: 'http://localhost:3625' }))).toThrow(/another origin/);
    expect(() => s.check(req({ cookie, fetchSite: 'same-site' }))).toThrow(/another site/);
    expect(() => s.check(req({ cookie, fetchSite: 'cross-site' }))).toThrow(/another site/);
  });

  it('unknown, ended and expired sessions are refused with 401', () => {
    const c = clock();
    const s = new UiSessions(c.now);
    expect(() => s.check(req({ cookie: `${s.cookieName}=made-up` }))).toThrow(expect.objectContaining({ code: 'LR_ERR_UNAUTHORIZED' }));
    const a = loggedIn(s);
    s.endSession(a.cookie);
    expect(() => s.check(req({ cookie: a.cookie }))).toThrow(expect.objectContaining({ code: 'LR_ERR_UNAUTHORIZED' }));
    const b = loggedIn(s);
    c.advance(SESSION_IDLE_MS - 1);
    s.check(req({ cookie: b.cookie }));
    c.advance(SESSION_IDLE_MS - 1);
    s.check(req({ cookie: b.cookie }));
    c.advance(SESSION_IDLE_MS + 1);
    expect(s.view(b.cookie)).toBeNull();
    const d = loggedIn(s);
    for (let t = 0; t < SESSION_MAX_MS; t += SESSION_IDLE_MS / 2) {
      c.advance(SESSION_IDLE_MS / 2);
      if (s.view(d.cookie) !== null) s.check(req({ cookie: d.cookie }));
    }
    expect(s.view(d.cookie)).toBeNull();
  });

  it('keeps a bounded number of sessions and codes', () => {
    const s = new UiSessions();
    const first = loggedIn(s);
    for (let i = 0; i < 100; i++) s.createSession();
    expect(s.size).toBeLessThanOrEqual(64);
    expect(s.view(first.cookie)).toBeNull();
    const oldCode = s.issueLoginCode();
    for (let i = 0; i < 20; i++) s.issueLoginCode();
    expect(s.redeemLoginCode(oldCode)).toBeNull();
  });
});
