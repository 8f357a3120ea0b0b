import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

interface Approval { id: string; kind: string; tool: string; client: string; arguments: unknown }

let mock: MockOpenAI;
let fx: GatewayFixture;
let origin: string;
let openai: OpenAI;

beforeAll(async () => {
  mock = await startMockOpenAI();
  fx = await startGatewayFixture(mock.url, { strategies: [{ name: 'default', ask: { models: ['mock/*'], allowed_models: ['mock/gpt-test'], timeout_ms: 60_000 } }] });
  origin = fx.baseURL.replace(/\/v1$/, '');
  openai = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await mock?.close();
});

function admin(p: string, body?: unknown): Promise<Response> {
  return fetch(`${origin}${p}`, {
    method: body === undefined ? 'GET' : 'POST', body: body === undefined ? undefined : JSON.stringify(body),
    headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}`, 'content-type': 'application/json' },
  });
}

async function waitPending(n: number): Promise<Approval[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const list = ((await (await admin('/api/approvals')).json()) as { data: Approval[] }).data;
    if (n === 0 ? list.length === 0 : list.length >= n) return list;
    if (Date.now() > until) throw new Error(`expected ${n} pending approvals, have ${list.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function chat(model: string, signal?: AbortSignal): Promise<string> {
  return openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { signal }).then((r) => r.choices[0]!.message.content ?? '');
}

describe('LLM requests for a model that asks wait for approval', () => {
  it('a request waits until approved, then reaches the upstream; allowed_models never ask', async () => {
    expect(await chat('mock/gpt-test')).toBeTruthy();
    const before = mock.seen.length;
    const answer = chat('mock/echo');
    const [a] = await waitPending(1);
    expect(a).toMatchObject({ kind: 'model', tool: 'mock/echo', arguments: null });
    // Nothing went upstream while it waited.
    expect(mock.seen.length).toBe(before);
    expect((await admin(`/api/approvals/${a!.id}`, { decision: 'approve', scope: 'session' })).status).toBe(400);
    expect((await admin(`/api/approvals/${a!.id}`, { decision: 'approve', arguments: { model: 'x' } })).status).toBe(400);
    expect((await admin(`/api/approvals/${a!.id}`, { decision: 'approve' })).status).toBe(200);
    expect(await answer).toBe('echo: hi');
  });

  it('a model that asks cannot be reached around the rule: a bare id, an OpenRouter fallback list', async () => {
    for (const body of [
      { model: 'echo', messages: [{ role: 'user', content: 'hi' }] },
      { model: 'nowhere/none', models: ['nowhere/none', 'mock/echo'], messages: [{ role: 'user', content: 'hi' }] },
    ]) {
      const before = mock.seen.length;
      const answer = openai.chat.completions.create(body as Parameters<typeof openai.chat.completions.create>[0]) as Promise<OpenAI.ChatCompletion>;
      const [a] = await waitPending(1);
      expect(a, JSON.stringify(body)).toMatchObject({ kind: 'model', tool: 'mock/echo' });
      expect(mock.seen.length).toBe(before);
      expect((await admin(`/api/approvals/${a!.id}`, { decision: 'approve' })).status).toBe(200);
      expect((await answer).choices[0]!.message.content).toBe('echo: hi');
      await waitPending(0);
    }
  });

  it('a denied request is an OpenAI-shaped 403 with LR_ERR_APPROVAL_DENIED; a stream waits the same way', async () => {
    const refused = chat('mock/echo').then(() => null, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    const [a] = await waitPending(1);
    expect((await admin(`/api/approvals/${a!.id}`, { decision: 'deny', reason: 'too pricey' })).status).toBe(200);
    const err = await refused;
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err?.status).toBe(403);
    expect(err?.code).toBe('LR_ERR_APPROVAL_DENIED');
    expect(err?.message).toMatch(/request for model "mock\/echo" was denied by an approver: too pricey/);
    const stream = (async () => {
      let text = '';
      for await (const chunk of await openai.chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'hi' }] })) {
        text += chunk.choices[0]?.delta.content ?? '';
      }
      return text;
    })();
    const [b] = await waitPending(1);
    expect((await admin(`/api/approvals/${b!.id}`, { decision: 'approve' })).status).toBe(200);
    expect(await stream).toBe('echo: hi');
  });

  it('a client that gives up leaves no pending approval', async () => {
    const abort = new AbortController();
    const gone = chat('mock/echo', abort.signal).catch(() => 'aborted');
    await waitPending(1);
    abort.abort();
    expect(await gone).toBe('aborted');
    await waitPending(0);
  });

  it('"always" writes the model into ask.allowed_models', async () => {
    const answer = chat('mock/echo');
    const [a] = await waitPending(1);
    expect((await admin(`/api/approvals/${a!.id}`, { decision: 'approve', scope: 'always' })).status).toBe(200);
    expect(await answer).toBe('echo: hi');
    const saved = parse(fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8')) as { strategies: { name: string; ask: { allowed_models: string[] } }[] };
    expect(saved.strategies.find((s) => s.name === 'default')!.ask.allowed_models).toEqual(['mock/gpt-test', 'mock/echo']);
    expect(await chat('mock/echo')).toBe('echo: hi');
    expect(((await (await admin('/api/approvals')).json()) as { data: unknown[] }).data).toEqual([]);
  });
});
