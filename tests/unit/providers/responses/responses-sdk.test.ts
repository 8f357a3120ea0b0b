import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromResponsesRequest, responsesDialect } from '../../../../src/providers/responses/index.js';
import { dialectContext, runDialectStream, openAIUpstream } from './dialect-context.js';

const dir = new URL('../../../golden/providers/responses/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));

/** Recorded upstream answers, picked by the last user text of the request. */
const SCENARIOS: Record<string, { stream: string; body: string }> = {
  text: { stream: 'reasoning-text.upstream.sse', body: 'chat-completion.json' },
  tools: { stream: 'tool-calls.upstream.sse', body: 'chat-completion.json' },
  error: { stream: 'error-mid-stream.upstream.sse', body: 'chat-completion.json' },
  length: { stream: 'length-crlf-unterminated.upstream.sse', body: 'chat-completion.json' },
};

/**
 * A loopback server standing in for the gateway's path: the SDK's request goes through
 * `fromResponsesRequest`, a recorded chat answer through the dialect, and the result back to the SDK
 * in 7-byte writes (so multi-byte characters and events are split on the wire too).
 */
let server: http.Server;
let client: OpenAI;
const seen: Array<{ path: string; chat: ReturnType<typeof fromResponsesRequest>['chat'] }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { raw += c; });
    req.on('end', () => {
      let conversion;
      try {
        conversion = fromResponsesRequest(JSON.parse(raw));
      } catch (err) {
        const e = err as { status: number; message: string; param: string | null; code: string };
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: e.message, type: 'invalid_request_error', param: e.param, code: e.code } }));
        return;
      }
      const { chat, echo } = conversion;
      seen.push({ path: req.url ?? '', chat });
      const last = chat.messages.at(-1)!;
      const key = last.role === 'tool' ? 'text' : String(last.content);
      const scenario = SCENARIOS[key] ?? SCENARIOS.text!;
      const ctx = dialectContext({ stream: chat.stream === true, echo });
      if (chat.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(openAIUpstream(responsesDialect, ctx).response(read(scenario.body).toString('utf8')).body);
        return;
      }
      const upstream = read(scenario.stream);
      const out = Buffer.from(runDialectStream(openAIUpstream(responsesDialect, ctx).stream(), upstream, [5, 77, 300, 301, 302]), 'utf8');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < out.length; i += 7) res.write(out.subarray(i, i + 7));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const weatherTool = {
  type: 'function' as const, name: 'get_weather', description: 'Current weather', strict: false,
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
};

describe('Responses dialect with the official openai SDK (v6)', () => {
  it('responses.create (non-stream): output_text, reasoning, tool call, usage', async () => {
    const r = await client.responses.create({ model: 'mock/m', input: 'text', instructions: 'Be nice.', temperature: 0.5 });
    expect(seen.at(-1)!.path).toBe('/v1/responses');
    expect(r.output_text).toBe('Il fait 21 °C à Paris ☀️.');
    expect(r.output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call']);
    expect(r.usage).toMatchObject({ input_tokens: 120, output_tokens: 30, total_tokens: 150, input_tokens_details: { cached_tokens: 64 } });
    expect(r).toMatchObject({ instructions: 'Be nice.', temperature: 0.5, store: false, status: 'completed' });
  });

  it('responses.stream: text deltas, snapshot, final response with usage', async () => {
    const stream = client.responses.stream({ model: 'mock/m', input: 'text' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.join('')).toBe('Bonjour ! Ça va très bien, merci 😊 — 你好!');
    expect(final.output_text).toBe('Bonjour ! Ça va très bien, merci 😊 — 你好!');
    expect(final.status).toBe('completed');
    expect(final.usage).toEqual({
      input_tokens: 21, input_tokens_details: { cached_tokens: 8 }, output_tokens: 34, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 55,
    });
    const reasoning = final.output[0]!;
    expect(reasoning.type === 'reasoning' && reasoning.content?.map((c) => c.text).join('')).toBe('The user greets in French; answer warmly ☕.');
  });

  it('responses.create({stream: true}): function calls, then a tool round trip with the output echoed back', async () => {
    const stream = await client.responses.create({ model: 'mock/m', input: 'tools', tools: [weatherTool], stream: true });
    const types: string[] = [];
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.function_call_arguments.delta');
    const calls = completed!.output.filter((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    expect(calls.map((c) => [c.call_id, c.name, JSON.parse(c.arguments)])).toEqual([
      ['call_paris', 'get_weather', { city: 'Paris', unit: '°C' }],
      ['call_tokyo', 'get_weather', { city: '東京' }],
    ]);
    expect(seen.at(-1)!.chat.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather', strict: false, parameters: weatherTool.parameters } }]);

    // The documented pattern: send the whole output back, plus one output per call.
    const input: OpenAI.Responses.ResponseInput = [
      { role: 'user', content: 'tools' },
      ...(completed!.output as OpenAI.Responses.ResponseInputItem[]),
      ...calls.map((c) => ({ type: 'function_call_output' as const, call_id: c.call_id, output: '{"temp":20}' })),
    ];
    const second = await client.responses.create({ model: 'mock/m', input, tools: [weatherTool] });
    expect(second.output_text).toBe('Il fait 21 °C à Paris ☀️.');
    expect(seen.at(-1)!.chat.messages).toEqual([
      { role: 'user', content: 'tools' },
      { role: 'assistant', content: 'Checking both cities.', tool_calls: [
        { id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"°C"}' } },
        { id: 'call_tokyo', type: 'function', function: { name: 'get_weather', arguments: '{"city":"東京"}' } },
      ] },
      { role: 'tool', tool_call_id: 'call_paris', content: '{"temp":20}' },
      { role: 'tool', tool_call_id: 'call_tokyo', content: '{"temp":20}' },
    ]);
  });

  it('an upstream error mid-stream reaches the SDK as a failed response with the partial text', async () => {
    const final = await client.responses.stream({ model: 'mock/m', input: 'error' }).finalResponse();
    expect(final.status).toBe('failed');
    expect(final.error).toEqual({ code: 'server_error', message: 'The server is overloaded' });
    expect(final.output_text).toBe('Partial answ€r');
  });

  it('a length stop reaches the SDK as an incomplete response', async () => {
    const final = await client.responses.stream({ model: 'mock/m', input: 'length', max_output_tokens: 4 }).finalResponse();
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(final.output_text).toBe('Once upon a time');
    expect(seen.at(-1)!.chat.max_completion_tokens).toBe(4);
  });

  it('a rejected request reaches the SDK as a 400 naming the parameter', async () => {
    await expect(client.responses.create({ model: 'mock/m', input: 'text', previous_response_id: 'resp_1' }))
      .rejects.toMatchObject({ status: 400, param: 'previous_response_id' });
  });
});
