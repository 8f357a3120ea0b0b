import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { responsesDialect } from '../../../../src/providers/responses/index.js';
import { dialectContext, everyByte, parseResponsesEvents, runDialectStream, openAIUpstream } from './dialect-context.js';

const dir = new URL('../../../golden/providers/responses/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));

const run = (bytes: Buffer, splits: number[]): string => runDialectStream(openAIUpstream(responsesDialect, dialectContext()).stream(), bytes, splits);

describe('Responses stream translation (golden)', () => {
  for (const name of ['reasoning-text', 'tool-calls', 'length-crlf-unterminated', 'error-mid-stream']) {
    it(`${name}: same events for the whole stream, every split point, and byte-at-a-time`, () => {
      const upstream = read(`${name}.upstream.sse`);
      const expected = read(`${name}.expected.sse`).toString('utf8');
      expect(run(upstream, [])).toBe(expected);
      for (let at = 1; at < upstream.length; at++) expect(run(upstream, [at])).toBe(expected);
      expect(run(upstream, everyByte(upstream))).toBe(expected);
    });
  }

  it('numbers events 0, 1, 2... and ends with exactly one terminal event', () => {
    for (const name of ['reasoning-text', 'tool-calls', 'length-crlf-unterminated', 'error-mid-stream']) {
      const events = parseResponsesEvents(read(`${name}.expected.sse`).toString('utf8'));
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      expect(events.slice(0, 2).map((e) => e.type)).toEqual(['response.created', 'response.in_progress']);
      const terminal = events.filter((e) => ['response.completed', 'response.incomplete', 'response.failed'].includes(e.type));
      expect(terminal).toHaveLength(1);
      expect(events.at(-1)).toBe(terminal[0]);
    }
  });

  it('carries the text, reasoning and usage into response.completed', () => {
    const events = parseResponsesEvents(read('reasoning-text.expected.sse').toString('utf8'));
    const deltas = events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');
    expect(deltas).toBe('Bonjour ! Ça va très bien, merci 😊 — 你好!');
    const done = events.at(-1)!.response as { status: string; output: Array<{ type: string; content: Array<{ text: string }> }>; usage: unknown };
    expect(done.status).toBe('completed');
    expect(done.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(done.output[0]!.content.map((c) => c.text).join('')).toBe('The user greets in French; answer warmly ☕.');
    expect(done.output[1]!.content[0]!.text).toBe(deltas);
    expect(done.usage).toEqual({
      input_tokens: 21, input_tokens_details: { cached_tokens: 8 }, output_tokens: 34, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 55,
    });
  });

  it('streams each tool call as its own function_call item with whole arguments at the end', () => {
    const events = parseResponsesEvents(read('tool-calls.expected.sse').toString('utf8'));
    const done = events.filter((e) => e.type === 'response.function_call_arguments.done');
    expect(done.map((e) => [e.name, e.arguments])).toEqual([
      ['get_weather', '{"city":"Paris","unit":"°C"}'],
      ['get_weather', '{"city":"東京"}'],
    ]);
    const final = events.at(-1)!.response as { output: Array<Record<string, unknown>> };
    expect(final.output.slice(1).map((o) => [o.type, o.call_id, o.status])).toEqual([
      ['function_call', 'call_paris', 'completed'], ['function_call', 'call_tokyo', 'completed'],
    ]);
  });

  it('reports a length stop as response.incomplete with reason max_output_tokens', () => {
    const last = parseResponsesEvents(read('length-crlf-unterminated.expected.sse').toString('utf8')).at(-1)!;
    expect(last.type).toBe('response.incomplete');
    expect(last.response).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, usage: { total_tokens: 9 } });
  });

  it('turns an error event mid-stream into response.failed, keeping the partial output', () => {
    const last = parseResponsesEvents(read('error-mid-stream.expected.sse').toString('utf8')).at(-1)!;
    expect(last.type).toBe('response.failed');
    expect(last.response).toMatchObject({
      status: 'failed', error: { code: 'server_error', message: 'The server is overloaded' },
      output: [{ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Partial answ€r' }] }],
    });
  });
});

describe('Responses stream translation (edge cases)', () => {
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

  it('an upstream that ends before a finish reason or [DONE] fails the stream (the ingress writes the error event)', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    expect(parseResponsesEvents(s.feed(chunk({ content: 'cut' }))).at(-1)!.type).toBe('response.output_text.delta');
    expect(() => s.end()).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });

  it('the encoder fails a response whose parts ended before the finish', () => {
    const enc = responsesDialect.encodeStream(dialectContext(), () => null);
    const events = parseResponsesEvents(enc.part({ type: 'text-delta', text: 'cut' }) + enc.end());
    expect(events.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error' } } });
  });

  it('completes an upstream that sent a finish reason but no [DONE]', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    const events = parseResponsesEvents(s.feed(chunk({ content: 'ok' }) + chunk({}, 'stop')) + s.end());
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: { status: 'completed' } });
  });

  it('emits nothing after the terminal event', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    s.feed(chunk({ content: 'a' }, 'stop') + 'data: [DONE]\n\n');
    expect(s.feed(chunk({ content: 'late' }))).toBe('');
    expect(s.end()).toBe('');
    const enc = responsesDialect.encodeStream(dialectContext(), () => null);
    enc.part({ type: 'finish', reason: 'stop', usage: null });
    expect(enc.part({ type: 'error', error: { code: 'LR_ERR_UPSTREAM_STATUS', message: 'late', status: 502 } })).toBe('');
    expect(enc.end()).toBe('');
  });

  it('an error before any other part still opens the response first, so SDKs can read it', () => {
    const enc = responsesDialect.encodeStream(dialectContext(), () => null);
    const events = parseResponsesEvents(enc.part({ type: 'error', error: { code: 'LR_ERR_UPSTREAM_STATUS', message: 'rate limited', status: 429 } }));
    expect(events.map((e) => e.type)).toEqual(['response.created', 'response.in_progress', 'response.failed']);
    expect(events[2]!.response).toMatchObject({ error: { code: 'rate_limit_exceeded', message: 'rate limited' } });
  });

  it('streams a refusal as a refusal part', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    const events = parseResponsesEvents(s.feed(chunk({ refusal: 'I can' }) + chunk({ refusal: 'not.' }, 'stop') + 'data: [DONE]\n\n'));
    expect(events.map((e) => e.type)).toContain('response.refusal.delta');
    expect(events.find((e) => e.type === 'response.refusal.done')).toMatchObject({ refusal: 'I cannot.' });
    expect(events.at(-1)!.response).toMatchObject({ output: [{ type: 'message', content: [{ type: 'refusal', refusal: 'I cannot.' }] }] });
  });

  it('opens a new message item for text after a tool call, and names a call whose name came late', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    const out = s.feed(chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { arguments: '{"a"' } }] })
      + chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: ':1}' } }] })
      + chunk({ content: 'done' }, 'tool_calls') + 'data: [DONE]\n\n');
    const final = parseResponsesEvents(out).at(-1)!.response as { output: Array<Record<string, unknown>> };
    expect(final.output.map((o) => o.type)).toEqual(['function_call', 'message']);
    expect(final.output[0]).toMatchObject({ name: 'f', arguments: '{"a":1}', call_id: 'call_1', status: 'completed' });
  });

  it('throws a coded error on a chunk that is not JSON (the engine ends the stream with it)', () => {
    const s = openAIUpstream(responsesDialect, dialectContext()).stream();
    expect(() => s.feed('data: {not json\n\n')).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });

  it('reports the echoed request settings in the snapshots', () => {
    const echo = { ...JSON.parse(fs.readFileSync(new URL('request.echo.expected.json', dir), 'utf8')) };
    const s = openAIUpstream(responsesDialect, dialectContext({ echo })).stream();
    const created = parseResponsesEvents(s.feed(chunk({ content: 'x' })))[0]!;
    expect(created.response).toMatchObject({
      instructions: 'You are a weather assistant.', temperature: 0.2, top_p: 0.9, max_output_tokens: 500,
      metadata: { ticket: '42' }, store: false, tools: [{ type: 'function', name: 'get_weather' }], reasoning: { effort: 'low' },
    });
  });
});
