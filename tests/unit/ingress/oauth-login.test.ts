import { describe, expect, it } from 'vitest';
import { CODE_TTL_MS, CONSENT_TTL_MS, LoginGrants, pkceMatches, redirectAllowed, type LoginRequest } from '../../../src/ingress/oauth-login.js';

const request: LoginRequest = {
  clientId: 'c_desk0001', redirectUri: 'http://127.0.0.1:9/cb', state: 's', codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', resource: null, issuer: 'http://127.0.0.1:3625',
};

describe('the browser login state', () => {
  it('a consent and a code each work once', () => {
    const grants = new LoginGrants();
    const id = grants.pend(request);
    expect(grants.takePending(id)).toEqual(request);
    expect(grants.takePending(id)).toBeNull();
    const code = grants.issueCode({ ...request, keyHash: 'ab' });
    expect(grants.redeemCode(code)).toMatchObject({ clientId: 'c_desk0001', keyHash: 'ab' });
    expect(grants.redeemCode(code)).toBeNull();
    expect(grants.redeemCode('')).toBeNull();
    expect(grants.takePending('x'.repeat(500))).toBeNull();
  });

  it('consents and codes expire', () => {
    let now = 1_000_000;
    const grants = new LoginGrants(() => now);
    const id = grants.pend(request);
    const code = grants.issueCode({ ...request, keyHash: 'ab' });
    now += CODE_TTL_MS;
    expect(grants.redeemCode(code)).toBeNull();
    now += CONSENT_TTL_MS;
    expect(grants.takePending(id)).toBeNull();
  });

  it('keeps a bounded number of open consents, dropping the oldest', () => {
    const grants = new LoginGrants();
    const first = grants.pend(request);
    const ids = Array.from({ length: 40 }, () => grants.pend(request));
    expect(grants.takePending(first)).toBeNull();
    expect(grants.takePending(ids.at(-1)!)).toEqual(request);
  });
});

describe('PKCE S256', () => {
  it('matches the RFC 7636 appendix B example and nothing else', () => {
    expect(pkceMatches('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(true);
    expect(pkceMatches('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
    // The plain method (verifier = challenge) is not S256.
    expect(pkceMatches('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
    expect(pkceMatches('short', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM')).toBe(false);
  });
});

describe('redirect URIs', () => {
  it('allows loopback IP literals over http on any port and the listed ones exactly', () => {
    for (const ok of ['http://127.0.0.1:53682/callback', 'http://[::1]:8080/cb', 'http://127.0.0.1:1/x?y=1']) expect(redirectAllowed(ok, []), ok).toBe(true);
    expect(redirectAllowed('https://app.example/cb', ['https://app.example/cb'])).toBe(true);
    for (const bad of ['https://app.example/cb2', 'https://127.0.0.1:9/cb', 'http://127.0.0.2:9/cb', 'http://localhost.evil.example/cb', 'http://a:b@127.0.0.1:9/', 'http://127.0.0.1:9/#x', 'javascript:alert(1)', '']) {
      expect(redirectAllowed(bad, ['https://app.example/cb']), bad).toBe(false);
    }
  });

  it('refuses localhost (a name, not a loopback IP literal: RFC 8252 §8.3) unless listed; listed with a port, only that port', () => {
    expect(redirectAllowed('http://localhost:8123/cb', [])).toBe(false);
    expect(redirectAllowed('http://localhost:8123/cb', ['http://127.0.0.1/cb'])).toBe(false);
    expect(redirectAllowed('http://localhost:8123/cb', ['http://localhost:8123/cb'])).toBe(true);
    expect(redirectAllowed('http://localhost:8124/cb', ['http://localhost:8123/cb'])).toBe(false);
  });

  it('accepts localhost on any port where the client lists it without a port (Claude Code, MCP Inspector: http://localhost:<port>/callback)', () => {
    const listed = ['http://localhost/callback', 'https://app.example/cb'];
    for (const ok of ['http://localhost:53682/callback', 'http://localhost:6274/callback', 'http://localhost/callback']) expect(redirectAllowed(ok, listed), ok).toBe(true);
    for (const bad of ['http://localhost:53682/other', 'http://localhost:53682/callback?x=1', 'https://localhost:53682/callback', 'http://user@localhost:53682/callback',
      'http://localhost.evil.example:53682/callback']) {
      expect(redirectAllowed(bad, listed), bad).toBe(false);
    }
    expect(redirectAllowed('http://localhost:1/cb?a=b', ['http://localhost/cb?a=b'])).toBe(true);
  });

  it('binds a loopback redirect to the path of the loopback redirect URIs the client lists, on any port (RFC 8252 §7.3)', () => {
    const listed = ['http://127.0.0.1/oauth/callback', 'https://app.example/cb'];
    expect(redirectAllowed('http://127.0.0.1:53682/oauth/callback', listed)).toBe(true);
    expect(redirectAllowed('http://127.0.0.1/oauth/callback', listed)).toBe(true);
    for (const bad of ['http://127.0.0.1:53682/elsewhere', 'http://127.0.0.1:53682/oauth/callback?x=1', 'http://[::1]:53682/oauth/callback', 'http://127.0.0.1:53682/oauth/callback/']) {
      expect(redirectAllowed(bad, listed), bad).toBe(false);
    }
  });
});
