import fs from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenSigner } from '../../src/ingress/index.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const CLIENT_ID = 'c_testclient01';

describe('OAuth client-credentials tokens', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let base: string;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url);
    base = `http://127.0.0.1:${fx.gw.port}`;
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  const tokenRequest = (body: string, headers: Record<string, string>): Promise<Response> =>
    fetch(`${base}/oauth/token`, { method: 'POST', headers, body });
  const chatWith = (token: string): Promise<Response> => fetch(`${fx.baseURL}/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const rewrite = (mutate: (cfg: any) => void): void => {
    const file = path.join(fx.home, 'config.yaml');
    const cfg = parse(fs.readFileSync(file, 'utf8'));
    mutate(cfg);
    fs.writeFileSync(`${file}.tmp`, stringify(cfg));
    fs.renameSync(`${file}.tmp`, file);
  };

  it('issues a bearer token for form fields, JSON and HTTP Basic, accepted like a key', async () => {
    const form = await tokenRequest(new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: fx.key }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    const body = await form.json() as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.access_token).toMatch(/^lrt-/);
    expect((await chatWith(body.access_token)).status).toBe(200);

    const json = await tokenRequest(JSON.stringify({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: fx.key }), { 'content-type': 'application/json' });
    expect(json.status).toBe(200);
    const basic = await tokenRequest('grant_type=client_credentials', {
      'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${fx.key}`).toString('base64')}`,
    });
    expect(basic.status).toBe(200);
  });

  it('refuses wrong secrets, unknown clients and other grants with RFC 6749 errors', async () => {
    const wrong = await tokenRequest(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${generateClientKey().key}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const unknown = await tokenRequest(`grant_type=client_credentials&client_id=c_nobody0000&client_secret=${fx.key}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(unknown.status).toBe(401);
    const grant = await tokenRequest(`grant_type=password&client_id=${CLIENT_ID}&client_secret=${fx.key}`, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    expect((await chatWith('lrt-forged.signature')).status).toBe(401);
  });

  it('tokens die with their client being disabled or its key rotated', async () => {
    const issue = async (): Promise<string> => ((await (await tokenRequest(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=${encodeURIComponent(fx.key)}`,
      { 'content-type': 'application/x-www-form-urlencoded' })).json()) as { access_token: string }).access_token;
    const token = await issue();
    rewrite((cfg) => { cfg.clients[0].enabled = false; });
    await expect.poll(async () => (await chatWith(token)).status, { timeout: 2000, interval: 50 }).toBe(401);
    rewrite((cfg) => { cfg.clients[0].enabled = true; });
    await expect.poll(async () => (await chatWith(token)).status, { timeout: 2000, interval: 50 }).toBe(200);
    const next = generateClientKey();
    rewrite((cfg) => { cfg.clients[0].key_hash = next.hash; cfg.clients[0].key_prefix = next.prefix; });
    await expect.poll(async () => (await chatWith(token)).status, { timeout: 2000, interval: 50 }).toBe(401);
    fx.key = next.key;
  });

  it('rate limits the token endpoint against guessing', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      statuses.push((await tokenRequest(`grant_type=client_credentials&client_id=${CLIENT_ID}&client_secret=lr-guess${i}`, { 'content-type': 'application/x-www-form-urlencoded' })).status);
    }
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
  });
});

describe('TokenSigner', () => {
  it('rejects expired and tampered tokens', () => {
    let now = 1_000_000;
    const signer = new TokenSigner(Buffer.alloc(32, 7), () => now);
    const { token } = signer.issue('c_abc', 'f'.repeat(64), 60);
    expect(signer.verify(token)).toMatchObject({ clientId: 'c_abc', keyHashPrefix: 'f'.repeat(16) });
    const [body, sig] = token.slice(4).split('.');
    const forged = `lrt-${Buffer.from(JSON.stringify({ c: 'c_other', k: 'f'.repeat(16), e: 9e9 })).toString('base64url')}.${sig}`;
    expect(signer.verify(forged)).toBeNull();
    expect(new TokenSigner(Buffer.alloc(32, 8), () => now).verify(token)).toBeNull();
    expect(body).toBeTruthy();
    now += 60_000;
    expect(signer.verify(token)).toBeNull();
  });
});
