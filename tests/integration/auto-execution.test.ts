import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStats } from '../../src/model/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

/** Overlapping calls, whole and streamed (`slow-first` holds its answer back 450 ms, so they overlap for sure). */
async function overlappingCalls(fx: GatewayFixture): Promise<void> {
  const client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  const whole = Array.from({ length: 12 }, async (_, i) => {
    const res = await client.chat.completions.create({ model: 'mock/slow-first', messages: [{ role: 'user', content: `call ${i}` }] });
    expect(res.choices[0]!.message.content).toBeTruthy();
  });
  const streamed = Array.from({ length: 12 }, async (_, i) => {
    const stream = await client.chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: `stream ${i}` }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe(`echo: stream ${i}`);
  });
  await Promise.all([...whole, ...streamed]);
}

describe('execution: auto plans for the machine\'s cores', () => {
  let mock: MockOpenAI;
  beforeAll(async () => {
    mock = await startMockOpenAI();
  });
  afterAll(() => mock?.close());

  /** The engine's stats after overlapping calls through a gateway whose `auto` plans for `cores`. */
  async function statsAfterOverlap(cores: number): Promise<EngineStats> {
    const fx = await startGatewayFixture(mock.url, { cores });
    try {
      await overlappingCalls(fx);
      return fx.gw.state.engine.stats();
    } finally {
      await fx.close();
    }
  }

  it('on 2 cores every call runs on the main thread, however many overlap: no provider actor thread starts', async () => {
    expect(await statsAfterOverlap(2)).toMatchObject({ mode: 'auto', actors: 0, inflight: 0 });
  });

  it('on 8 cores the provider actors are there from the start, for the calls that overlap', async () => {
    expect(await statsAfterOverlap(8)).toMatchObject({ mode: 'auto', actors: 1, inflight: 0 });
  });
});
