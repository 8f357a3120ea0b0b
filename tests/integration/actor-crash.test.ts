import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

describe('a provider actor that dies', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;

  beforeAll(async () => {
    process.env.LOCALROUTER_TEST_HOOKS = '1';
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, { execution: 'workers' });
  });
  afterAll(async () => {
    delete process.env.LOCALROUTER_TEST_HOOKS;
    await fx?.close();
    await mock?.close();
  });

  const send = (headers: Record<string, string> = {}, model = 'mock/echo', stream = false): Promise<Response> => fetch(`${fx.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

  it('fails its in-flight requests cleanly, is restarted, and the next request succeeds', async () => {
    // A stream in flight on the same actor when it dies gets a clean error event, not a hang.
    const streaming = await send({}, 'mock/slow-stream', true);
    expect(streaming.status).toBe(200);
    const reader = streaming.body!.getReader();
    await reader.read();

    const res = await send({ 'x-localrouter-test-crash': '1' });
    expect(res.status).toBe(502);
    const body = await res.json() as { error: { code: string; message: string } };
    expect(body.error.code).toBe('LR_ERR_ACTOR_CRASHED');

    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    expect(rest).toContain('"code":"LR_ERR_ACTOR_CRASHED"');
    expect(rest).not.toContain('[DONE]');

    expect(fx.gw.state.engine.stats().restarts).toBe(1);
    const next = await send();
    expect(next.status).toBe(200);
    expect(((await next.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: hi');
  });

  it('survives repeated crashes in a row', async () => {
    for (let i = 0; i < 3; i++) expect((await send({ 'x-localrouter-test-crash': '1' })).status).toBe(502);
    await expect.poll(async () => (await send()).status, { timeout: 5000, interval: 100 }).toBe(200);
  });

  it('the crash hook is inert without LOCALROUTER_TEST_HOOKS', async () => {
    delete process.env.LOCALROUTER_TEST_HOOKS;
    const plain = await startGatewayFixture(mock.url);
    try {
      const res = await fetch(`${plain.baseURL}/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${plain.key}`, 'content-type': 'application/json', 'x-localrouter-test-crash': '1' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(plain.gw.state.engine.stats().restarts).toBe(0);
    } finally {
      process.env.LOCALROUTER_TEST_HOOKS = '1';
      await plain.close();
    }
  });
});
