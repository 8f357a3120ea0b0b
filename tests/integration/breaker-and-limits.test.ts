import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-run.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

let mock: MockOpenAI | undefined;
let fx: GatewayFixture | undefined;
afterEach(async () => {
  await fx?.close();
  await mock?.close();
  fx = undefined;
  mock = undefined;
});

function sender(f: GatewayFixture) {
  return (body: object): Promise<Response> => fetch(`${f.baseURL}/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${f.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
}

describe('circuit breaker per (provider, model)', () => {
  it("opens after N failures of one model, skips that model only, half-opens after the cool-down and reopens on a failed probe", async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      server: { breaker_failure_threshold: 2, breaker_cooldown_ms: 3000 },
      providers: [{ name: 'backup', type: 'openai-compatible', base_url: mock.url }],
    });
    const send = sender(fx);
    expect((await send({ model: 'mock/error-500' })).status).toBe(502);
    expect((await send({ model: 'mock/error-500' })).status).toBe(502);
    expect(fx.gw.state.breakers.state('mock', 'error-500')).toBe('open');
    expect(fx.gw.state.breakers.state('mock')).toBe('closed');

    // Open: mock/error-500 is skipped without a call, the fallback candidate answers.
    const before = mock.seen.length;
    const res = await send({ model: 'mock/error-500', models: ['backup/echo'] });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-localrouter-provider')).toBe('backup');
    expect(mock.seen.length).toBe(before + 1);
    // The provider's other models are not affected.
    expect((await send({ model: 'mock/echo' })).status).toBe(200);

    // Open and no other candidate: 503 with Retry-After.
    const refused = await send({ model: 'mock/error-500' });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('LR_ERR_NO_PROVIDER_AVAILABLE');

    // The admin API and `providers list` show the open breaker under its model.
    const token = fs.readFileSync(path.join(fx.home, 'admin-token'), 'utf8').trim();
    const status = await (await fetch(`http://127.0.0.1:${fx.gw.port}/api/providers`, { headers: { authorization: `Bearer ${token}` } })).json() as {
      providers: { name: string; breaker: string; models: { model: string; breaker: string }[] }[];
    };
    const listedMock = status.providers.find((p) => p.name === 'mock')!;
    expect(listedMock.breaker).toBe('closed');
    expect(listedMock.models).toContainEqual(expect.objectContaining({ model: 'error-500', breaker: 'open' }));
    expect((await fetch(`http://127.0.0.1:${fx.gw.port}/api/providers`, { headers: { authorization: `Bearer ${fx.key}` } })).status).toBe(403);
    // The CLI asks the gateway over HTTP (GET /api/providers), both running in this process.
    const cliEnv = { env: { LOCALROUTER_PORT: String(fx.gw.port) } };
    const listed = await runCli(['--home', fx.home, 'providers', 'list', '--json'], cliEnv);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = JSON.parse(listed.stdout) as { name: string; state: string; models: { model: string; breaker: string }[] }[];
    expect(rows.find((r) => r.name === 'mock')!.state).toBe('closed');
    // On a loaded machine the cool-down may have run out by the time the CLI asks.
    expect(rows.find((r) => r.name === 'mock')!.models).toContainEqual(expect.objectContaining({ model: 'error-500', breaker: expect.stringMatching(/^(open|half_open)$/) }));
    expect(rows.find((r) => r.name === 'backup')!.state).toBe('closed');
    const table = await runCli(['--home', fx.home, 'providers', 'list'], cliEnv);
    expect(table.stdout).toMatch(/closed \(models: error-500 (open \d+s|half_open)\)/);

    const waitMs = Math.max(0, fx.gw.state.breakers.retryInMs('mock', 'error-500')) + 50;
    await new Promise((r) => setTimeout(r, waitMs));
    expect(fx.gw.state.breakers.state('mock', 'error-500')).toBe('half_open');
    const probe = await send({ model: 'mock/error-500' });
    expect(probe.status).toBe(502);
    expect(fx.gw.state.breakers.state('mock', 'error-500')).toBe('open');
  });

  it('an upstream 429 with Retry-After opens that model\'s breaker for that long, and the client is told', async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, { server: { breaker_failure_threshold: 5, breaker_cooldown_ms: 100 } });
    const res = await sender(fx)({ model: 'mock/error-429' });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(fx.gw.state.breakers.state('mock', 'error-429')).toBe('open');
    expect(fx.gw.state.breakers.retryInMs('mock', 'error-429')).toBeGreaterThan(6000); // the mock says retry-after: 7
    expect(fx.gw.state.breakers.state('mock', 'echo')).toBe('closed');
  });
});

describe('rate limits', () => {
  it('64 concurrent requests against 10/minute admit exactly 10; the rest get 429 with Retry-After and x-ratelimit headers', async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, { strategies: [{ name: 'default', limits: [{ kind: 'requests', window: 'minute', max: 10 }] }] });
    const send = sender(fx);
    const results = await Promise.all(Array.from({ length: 64 }, () => send({ model: 'mock/echo' })));
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(10);
    expect(limited).toHaveLength(54);
    const one = limited[0]!;
    expect(Number(one.headers.get('retry-after'))).toBe(6);
    expect(one.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(one.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(((await one.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'LR_ERR_RATE_LIMITED', type: 'rate_limit_error' });
    expect(ok[9]!.headers.get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('charges real token usage and cost after the answer, and keeps the state across a restart', async () => {
    mock = await startMockOpenAI();
    // The mock reports 11 prompt + 7 completion tokens: two answers spend 36 of a 30-token budget.
    const strategies = [{ name: 'default', limits: [{ kind: 'total_tokens', window: 'hour', max: 30 }] }];
    fx = await startGatewayFixture(mock.url, { strategies });
    const send = sender(fx);
    expect((await send({ model: 'mock/echo' })).status).toBe(200);
    expect((await send({ model: 'mock/echo' })).status).toBe(200);
    const third = await send({ model: 'mock/echo' });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { error: { message: string } }).error.message).toContain('total tokens per hour');

    const home = fx.home;
    const key = fx.key;
    await fx.gw.close();
    const { startGateway } = await import('../../src/gateway/index.js');
    const again = await startGateway({ home, host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${again.port}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(429);
    } finally {
      await again.close();
    }
  });
});
