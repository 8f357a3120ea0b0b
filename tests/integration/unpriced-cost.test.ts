import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-run.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

// mock/echo has a price override; mock/gpt-test has no catalog price and no override: its cost is unknown.
const PRICED = 'mock/echo';
const UNPRICED = 'mock/gpt-test';
/** The mock reports 11 prompt and 7 completion tokens on every answer. */
const PROMPT = 11;
const COMPLETION = 7;

/** Sum of the samples of `name` whose labels include every pair of `where`. */
function promSum(text: string, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += Number(m[3]);
  }
  return total;
}

describe('answers from a model with no known price', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let client: OpenAI;
  let token: string;
  const unpricedIds: string[] = [];
  let pricedCost = 0;
  const base = (): string => `http://127.0.0.1:${fx.gw.port}`;
  const adminJson = async (p: string): Promise<any> => {
    const res = await fetch(`${base()}${p}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      priceOverrides: { [PRICED]: { input_per_mtok: 1, output_per_mtok: 2 } },
      config: { monitoring: { flush_interval_ms: 100 } },
    });
    token = fs.readFileSync(path.join(fx.home, 'admin-token'), 'utf8').trim();
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
    for (let i = 0; i < 2; i++) {
      const { data, response } = await client.chat.completions.create({ model: UNPRICED, messages: [{ role: 'user', content: 'x' }] }).withResponse();
      expect(data.usage).not.toHaveProperty('cost');
      unpricedIds.push(response.headers.get('x-localrouter-generation-id')!);
    }
    const priced = await client.chat.completions.create({ model: PRICED, messages: [{ role: 'user', content: 'x' }] });
    pricedCost = (priced.usage as unknown as { cost: number }).cost;
    expect(pricedCost).toBeGreaterThan(0);
    await fx.gw.metrics.monitoring!.sync();
    // Every record in the store's rollups (a record's second is folded in once 2 s old): the CLI reads only those.
    const deadline = Date.now() + 15_000;
    while (JSON.parse((await runCli(['stats', '--json', '--home', fx.home])).stdout).rows[0]?.requests !== 3) {
      if (Date.now() > deadline) throw new Error('the rollups never held the 3 requests');
      await new Promise((r) => setTimeout(r, 300));
    }
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('/metrics counts them in localrouter_unpriced_requests_total, with their tokens, and gives their model no cost sample', async () => {
    const text = await (await fetch(`${base()}/metrics`)).text();
    expect(text).toContain('# TYPE localrouter_unpriced_requests_total counter');
    expect(promSum(text, 'localrouter_unpriced_requests_total')).toBe(2);
    expect(promSum(text, 'localrouter_unpriced_requests_total', { client: 'test', provider: 'mock', model: UNPRICED })).toBe(2);
    expect(promSum(text, 'localrouter_tokens_total', { model: UNPRICED, kind: 'prompt' })).toBe(2 * PROMPT);
    expect(text.split('\n').filter((l) => l.startsWith('localrouter_cost_usd_total{') && l.includes(`model="${UNPRICED}"`))).toEqual([]);
    expect(promSum(text, 'localrouter_cost_usd_total', { model: PRICED })).toBeCloseTo(pricedCost, 12);
  });

  it('the stats API counts them apart from the priced cost', async () => {
    const summary = await adminJson('/api/stats/summary?range=1h');
    expect(summary.totals).toMatchObject({ requests: 3, unpriced_requests: 2, unpriced_prompt_tokens: 2 * PROMPT, unpriced_completion_tokens: 2 * COMPLETION });
    expect(summary.totals.cost_usd).toBeCloseTo(pricedCost, 12);
    expect(summary.since_start.unpriced_requests).toBe(2);
    const byModel = Object.fromEntries(summary.by_model.map((r: any) => [r.key, r]));
    expect(byModel[UNPRICED]).toMatchObject({ requests: 2, cost_usd: 0, unpriced_requests: 2 });
    expect(byModel[PRICED]).toMatchObject({ requests: 1, unpriced_requests: 0 });
    const series = await adminJson('/api/stats/timeseries?metric=unpriced_requests&range=10m&step=10m');
    expect(series.points.reduce((n: number, p: any) => n + p.value, 0)).toBe(2);
  });

  it('/api/v1/generation keeps OpenRouter\'s number in total_cost and says the answer is unpriced; /v1/generation has cost_usd null', async () => {
    const auth = { authorization: `Bearer ${fx.key}` };
    const or = (await (await fetch(`${base()}/api/v1/generation?id=${unpricedIds[0]}`, { headers: auth })).json()) as any;
    expect(or.data).toMatchObject({ total_cost: 0, usage: 0, upstream_inference_cost: null, unpriced: true, tokens_prompt: PROMPT });
    const own = (await (await fetch(`${base()}/v1/generation?id=${unpricedIds[0]}`, { headers: auth })).json()) as any;
    expect(own.data.cost_usd).toBeNull();
    expect(own.data.usage.prompt_tokens).toBe(PROMPT);
    const key = (await (await fetch(`${base()}/api/v1/key`, { headers: auth })).json()) as any;
    expect(key.data.unpriced_requests).toBe(2);
    expect(key.data.usage).toBeCloseTo(pricedCost, 12);
  });

  it('localrouter stats shows "-" for a model whose answers were all unpriced, and "n unpriced" beside a priced cost', async () => {
    const byModel = await runCli(['stats', '--by', 'model', '--home', fx.home]);
    expect(byModel.code, byModel.stderr).toBe(0);
    const rows = Object.fromEntries(byModel.stdout.trim().split('\n').slice(1).map((l) => [l.split(/\s+/)[0], l]));
    // KEY REQUESTS ERRORS ERR% PROMPT COMPL COST P50 P99 TTFT
    expect(rows[UNPRICED]!.split(/\s{2,}/)[6]).toBe('-');
    expect(rows[PRICED]!).not.toContain('unpriced');
    expect(byModel.stderr).toMatch(/no known price/);
    const total = await runCli(['stats', '--home', fx.home]);
    expect(total.code, total.stderr).toBe(0);
    expect(total.stdout.split('\n')[1]).toMatch(new RegExp(`^all\\s+3\\s+0\\s+0\\.0%\\s+33\\s+21\\s+${pricedCost.toFixed(6).replace('.', '\\.')} \\+ 2 unpriced\\s`));
    const json = JSON.parse((await runCli(['stats', '--json', '--home', fx.home])).stdout);
    expect(json.rows[0]).toMatchObject({ requests: 3, unpriced_requests: 2 });
  });
});
