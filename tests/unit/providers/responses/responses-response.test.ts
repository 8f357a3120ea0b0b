import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromResponsesRequest, responsesDialect } from '../../../../src/providers/responses/index.js';
import { dialectContext, openAIUpstream } from './dialect-context.js';

const dir = new URL('../../../golden/providers/responses/', import.meta.url);
const readText = (name: string): string => fs.readFileSync(new URL(name, dir), 'utf8');

const completion = (message: object, finish = 'stop', usage: object | null = { prompt_tokens: 3, completion_tokens: 2 }): string =>
  JSON.stringify({ id: 'c', object: 'chat.completion', created: 1767225600, model: 'up-model', choices: [{ index: 0, message, finish_reason: finish }], usage });

const convert = (body: string, echo?: ReturnType<typeof fromResponsesRequest>['echo']): Record<string, unknown> =>
  JSON.parse(openAIUpstream(responsesDialect, dialectContext({ stream: false, echo })).response(body).body) as Record<string, unknown>;

describe('Responses dialect: chat.completion → Response object', () => {
  it('converts reasoning, text, a tool call and usage, echoing the request (golden)', () => {
    const { echo } = fromResponsesRequest(JSON.parse(readText('request.json')));
    expect(convert(readText('chat-completion.json'), echo)).toEqual(JSON.parse(readText('chat-completion.expected.json')));
  });

  it('reports the API defaults and store: false without an echo', () => {
    const r = convert(completion({ role: 'assistant', content: 'hi' }));
    expect(r).toMatchObject({
      object: 'response', status: 'completed', model: 'up-model', store: false, instructions: null, tools: [], tool_choice: 'auto',
      parallel_tool_calls: true, metadata: {}, error: null, incomplete_details: null, previous_response_id: null,
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi', annotations: [] }] }],
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    });
    expect(r.id).toMatch(/^resp_/);
  });

  it('refuses a completion without a choice as a bad upstream response, as the Anthropic dialect does', () => {
    const empty = JSON.stringify({ id: 'c', object: 'chat.completion', created: 1767225600, model: 'up-model', choices: [], usage: null });
    expect(() => convert(empty)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', message: 'the upstream sent a completion without a choice' }));
  });

  it('marks a length stop incomplete (response and message)', () => {
    const r = convert(completion({ role: 'assistant', content: 'Once' }, 'length'));
    expect(r).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [{ status: 'incomplete' }] });
    expect(r.completed_at).toBeUndefined();
  });

  it('marks a content filter stop incomplete with reason content_filter', () => {
    expect(convert(completion({ role: 'assistant', content: '' }, 'content_filter'))).toMatchObject({
      status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output: [],
    });
  });

  it('returns a refusal as a refusal part, and reads `reasoning` (OpenRouter/Ollama naming) too', () => {
    const r = convert(completion({ role: 'assistant', content: null, refusal: 'No.', reasoning: 'policy' }));
    expect(r.output).toEqual([
      { id: 'rs_2', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'policy' }] },
      { id: 'msg_3', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
    ]);
  });

  it('emits only function_call items when the model only called tools', () => {
    const r = convert(completion({ role: 'assistant', content: null, tool_calls: [
      { id: 'call_a', type: 'function', function: { name: 'a', arguments: '{}' } },
      { id: 'call_b', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
    ] }, 'tool_calls'));
    expect(r.output).toEqual([
      { id: 'fc_2', type: 'function_call', status: 'completed', arguments: '{}', call_id: 'call_a', name: 'a' },
      { id: 'fc_3', type: 'function_call', status: 'completed', arguments: '{"x":1}', call_id: 'call_b', name: 'b' },
    ]);
  });

  it('leaves usage null when the upstream reported none', () => {
    expect(convert(completion({ role: 'assistant', content: 'x' }, 'stop', null)).usage).toBeNull();
  });

  it('passes a 2xx error body through unchanged (same error shape in both APIs)', () => {
    const body = '{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}';
    expect(openAIUpstream(responsesDialect, dialectContext()).response(body).body).toBe(body);
  });
});
