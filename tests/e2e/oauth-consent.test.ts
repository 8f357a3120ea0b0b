import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchRecordingBrowser, type RecordingBrowser } from '../helpers/dashboard-fixture.js';
import { EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * The consent page of the gateway's browser login, driven by a real browser (Debian's chromium):
 * the admin, signed in to the dashboard, presses Approve, and the browser lands on the MCP client's
 * loopback redirect with a code that the token endpoint exchanges. The browser's own form post is
 * what the origin checks see (a page with `Referrer-Policy: no-referrer` would send `Origin: null`).
 */
let fx: McpGatewayFixture;
let browser: RecordingBrowser;
let callback: http.Server;
let redirectUri: string;
const landed: URL[] = [];
const DESK = 'c_mcpclient01';

beforeAll(async () => {
  callback = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (url.pathname === '/callback') landed.push(url);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('logged in; you can close this window');
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  redirectUri = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/callback`;
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    clients: [{ name: 'desk', oauthLogin: { redirect_uris: [] } }],
  });
  browser = await launchRecordingBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fx?.close();
  callback?.close();
});

describe('the browser login\'s consent page in a real browser', () => {
  it('the signed-in admin approves; the browser lands on the client\'s redirect with a code that exchanges for a token', async () => {
    const page = browser.page;
    const signIn = await page.request.post(`${fx.origin}/api/session`, { data: { token: fx.gw.metrics.adminToken } });
    expect(signIn.status()).toBe(200);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const query = new URLSearchParams({
      response_type: 'code', client_id: DESK, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 'st-42',
    });
    await page.goto(`${fx.origin}/oauth/authorize?${query.toString()}`);
    await page.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => landed.length, { timeout: 10_000 }).toBe(1);
    const back = landed[0]!;
    expect(back.pathname).toBe('/callback');
    expect(back.searchParams.get('state')).toBe('st-42');
    expect(back.searchParams.get('iss')).toBe(fx.origin);
    const code = back.searchParams.get('code');
    expect(code).toBeTruthy();
    const token = await fetch(`${fx.origin}/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, client_id: DESK, code_verifier: verifier }).toString(),
    });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { access_token?: string }).access_token).toBeTruthy();
    expect(browser.cspViolations).toEqual([]);
  });
});
