import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionsDialect, fromCompletionsRequest, type CompletionsConversion } from '../../../../src/providers/completions/index.js';
import { dialectContext, runDialectStream, openAIUpstream } from '../responses/dialect-context.js';

const dir = new URL('../../../golden/providers/completions/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));

/**
 * A loopback server standing in for the gateway's path: the SDK's request goes through
 * `fromCompletionsRequest`, a recorded chat answer through the dialect, and the result back to the
 * SDK in 5-byte writes.
 */
let server: http.Server;
let client: OpenAI;
const seen: Array<{ path: string; conversion: CompletionsConversion }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { raw += c; });
    req.on('end', () => {
      const conversion = fromCompletionsRequest(JSON.parse(raw));
      seen.push({ path: req.url ?? '', conversion });
      const { chat, clientWantsUsage } = conversion;
      const ctx = dialectContext({ stream: chat.stream === true, clientWantsUsage });
      if (chat.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(openAIUpstream(completionsDialect, ctx).response(read('chat-completion.json').toString('utf8')).body);
        return;
      }
      const upstream = read(chat.messages[0]!.content === 'fail' ? 'error-mid-stream.upstream.sse' : 'text.upstream.sse');
      const out = Buffer.from(runDialectStream(openAIUpstream(completionsDialect, ctx).stream(), upstream, [3, 100, 101]), 'utf8');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < out.length; i += 5) res.write(out.subarray(i, i + 5));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('Completions dialect with the official openai SDK (v6)', () => {
  it('completions.create (non-stream): text, finish reason, usage', async () => {
    const r = await client.completions.create({ model: 'mock/llama', prompt: 'Write a haiku about the sea', max_tokens: 19 });
    expect(seen.at(-1)!.path).toBe('/v1/completions');
    expect(seen.at(-1)!.conversion.chat).toEqual({ model: 'mock/llama', messages: [{ role: 'user', content: 'Write a haiku about the sea' }], max_tokens: 19 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]).toEqual({ text: "Waves fold into foam\nsalt wind writes on the dune's face\nthe tide erases", index: 0, logprobs: null, finish_reason: 'length' });
    expect(r.usage).toEqual({ prompt_tokens: 14, completion_tokens: 19, total_tokens: 33 });
  });

  it('completions.create({stream: true}) with include_usage: text chunks, then a usage chunk', async () => {
    const stream = await client.completions.create({ model: 'mock/llama', prompt: 'go', stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        text += c.text;
        finish = c.finish_reason ?? finish;
      }
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe('Straße, naïve café 🚀 日本');
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 });
  });

  it('an upstream error mid-stream reaches the SDK as a thrown APIError', async () => {
    const stream = await client.completions.create({ model: 'mock/llama', prompt: 'fail', stream: true });
    let text = '';
    await expect((async () => {
      for await (const chunk of stream) text += chunk.choices.map((c) => c.text).join('');
    })()).rejects.toMatchObject({ message: expect.stringContaining('model crashed') });
    expect(text).toBe('Half');
  });
});
