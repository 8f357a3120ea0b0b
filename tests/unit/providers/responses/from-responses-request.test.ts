import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromResponsesRequest } from '../../../../src/providers/responses/index.js';

const golden = new URL('../../../golden/providers/responses/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(fs.readFileSync(new URL(name, golden), 'utf8'));

/** The coded error a conversion throws (fails the test when it does not throw). */
function rejection(body: unknown): { code: string; status: number; param: string | null; message: string } {
  try {
    fromResponsesRequest(body);
  } catch (err) {
    return err as { code: string; status: number; param: string | null; message: string };
  }
  throw new Error('expected the request to be rejected');
}

const base = { model: 'mock/m', input: 'hi' };

describe('fromResponsesRequest', () => {
  it('converts a full request (golden): roles, images, tool round trip, tools, format, reasoning', () => {
    const { chat, echo } = fromResponsesRequest(readJson('request.json'));
    expect(chat).toEqual(readJson('request.chat.expected.json'));
    expect(echo).toEqual(readJson('request.echo.expected.json'));
  });

  it('turns a string input into one user message, after the instructions', () => {
    const { chat } = fromResponsesRequest({ model: 'm', input: 'Hello', instructions: 'Be brief.' });
    expect(chat).toEqual({ model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hello' }] });
  });

  it('does not stream or ask usage unless stream is true', () => {
    expect(fromResponsesRequest({ ...base, stream: false }).chat.stream).toBeUndefined();
    expect(fromResponsesRequest({ ...base, stream: true }).chat.stream_options).toEqual({ include_usage: true });
  });

  it('starts a new assistant message for a function call with no text turn before it', () => {
    const { chat } = fromResponsesRequest({
      model: 'm',
      input: [
        { role: 'user', content: 'weather?' },
        { type: 'function_call', call_id: 'c1', name: 'w', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
        { role: 'assistant', content: 'Sunny.' },
        { role: 'user', content: [{ type: 'input_text', text: 'and ' }, { type: 'input_text', text: 'tomorrow?' }] },
      ],
    });
    expect(chat.messages).toEqual([
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'w', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      { role: 'assistant', content: 'Sunny.' },
      { role: 'user', content: 'and tomorrow?' },
    ]);
  });

  it('keeps an assistant refusal as the chat refusal field', () => {
    const { chat } = fromResponsesRequest({
      model: 'm', input: [{ type: 'message', role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] }, { role: 'user', content: 'why' }],
    });
    expect(chat.messages[0]).toEqual({ role: 'assistant', content: null, refusal: 'No.' });
  });

  it('maps json_object, named tool choice, and tools without strict (left non-strict, echoed strict: false)', () => {
    const { chat, echo } = fromResponsesRequest({
      ...base,
      text: { format: { type: 'json_object' } },
      tools: [{ type: 'function', name: 'f', parameters: null }],
      tool_choice: { type: 'function', name: 'f' },
    });
    expect(chat.response_format).toEqual({ type: 'json_object' });
    expect(chat.tools).toEqual([{ type: 'function', function: { name: 'f' } }]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(echo.tools).toEqual([{ type: 'function', name: 'f', description: null, parameters: null, strict: false }]);
    expect(echo.tool_choice).toEqual({ type: 'function', name: 'f' });
  });

  it('leaves tool_choice auto/none and parallel_tool_calls out when there are no tools (chat APIs reject them there)', () => {
    const { chat, echo } = fromResponsesRequest({ ...base, tools: [], tool_choice: 'auto', parallel_tool_calls: false });
    expect(chat).toEqual({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] });
    expect(echo).toMatchObject({ tool_choice: 'auto', parallel_tool_calls: false });
    expect(fromResponsesRequest({ ...base, tool_choice: 'required' }).chat.tool_choice).toBe('required');
  });

  it('accepts store (any value), background false, harmless include values, and reports defaults in the echo', () => {
    for (const store of [true, false, null]) {
      const { chat, echo } = fromResponsesRequest({ ...base, store, background: false, include: ['reasoning.encrypted_content'], truncation: 'disabled' });
      expect(chat).toEqual({ model: 'mock/m', messages: [{ role: 'user', content: 'hi' }] });
      expect(echo.metadata).toEqual({});
      expect(echo.tools).toEqual([]);
    }
  });

  it('gives every conversion its own echo (defaults are never shared)', () => {
    const a = fromResponsesRequest({ ...base, reasoning: { effort: 'high' }, text: { verbosity: 'high' } }).echo;
    const b = fromResponsesRequest(base).echo;
    expect(a.reasoning.effort).toBe('high');
    expect(b.reasoning).toEqual({ effort: null, summary: null });
    expect(b.text).toEqual({ format: { type: 'text' } });
  });

  const cases: Array<[string, unknown, string, string]> = [
    ['previous_response_id (stateless)', { ...base, previous_response_id: 'resp_1' }, 'LR_ERR_UNSUPPORTED_PARAM', 'previous_response_id'],
    ['conversation (stateless)', { ...base, conversation: 'conv_1' }, 'LR_ERR_UNSUPPORTED_PARAM', 'conversation'],
    ['prompt templates', { ...base, prompt: { id: 'pmpt_1' } }, 'LR_ERR_UNSUPPORTED_PARAM', 'prompt'],
    ['background: true', { ...base, background: true }, 'LR_ERR_UNSUPPORTED_PARAM', 'background'],
    ['built-in web_search tool', { ...base, tools: [{ type: 'web_search' }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'tools[0].type'],
    ['file_search tool', { ...base, tools: [{ type: 'function', name: 'f' }, { type: 'file_search', vector_store_ids: [] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'tools[1].type'],
    ['image by file_id', { ...base, input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].file_id'],
    ['image detail original', { ...base, input: [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/y.png', detail: 'original' }] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].detail'],
    ['image in a system message', { ...base, input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].type'],
    ['image in a function output', { ...base, input: [{ type: 'function_call_output', call_id: 'c', output: [{ type: 'input_image', image_url: 'https://x' }] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].output[0].type'],
    ['input_file', { ...base, input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'x' }] }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].content[0].type'],
    ['item_reference', { ...base, input: [{ type: 'item_reference', id: 'msg_1' }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].type'],
    ['built-in tool call item', { ...base, input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'LR_ERR_UNSUPPORTED_PARAM', 'input[0].type'],
    ['allowed_tools choice', { ...base, tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [] } }, 'LR_ERR_UNSUPPORTED_PARAM', 'tool_choice'],
    ['logprobs via include', { ...base, include: ['reasoning.encrypted_content', 'message.output_text.logprobs'] }, 'LR_ERR_UNSUPPORTED_PARAM', 'include[1]'],
    ['top_logprobs', { ...base, top_logprobs: 3 }, 'LR_ERR_UNSUPPORTED_PARAM', 'top_logprobs'],
    ['max_tool_calls', { ...base, max_tool_calls: 2 }, 'LR_ERR_UNSUPPORTED_PARAM', 'max_tool_calls'],
    ['truncation auto', { ...base, truncation: 'auto' }, 'LR_ERR_UNSUPPORTED_PARAM', 'truncation'],
    ['reasoning over all turns', { ...base, reasoning: { context: 'all_turns' } }, 'LR_ERR_UNSUPPORTED_PARAM', 'reasoning.context'],
    ['an unknown field', { ...base, frobnicate: 1 }, 'LR_ERR_UNSUPPORTED_PARAM', 'frobnicate'],
    ['missing model', { input: 'hi' }, 'LR_ERR_BAD_REQUEST', 'model'],
    ['missing input', { model: 'm' }, 'LR_ERR_BAD_REQUEST', 'input'],
    ['empty input', { model: 'm', input: [] }, 'LR_ERR_BAD_REQUEST', 'input'],
    ['a bad role', { ...base, input: [{ role: 'robot', content: 'x' }] }, 'LR_ERR_BAD_REQUEST', 'input[0].role'],
    ['function_call without call_id', { ...base, input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }, 'LR_ERR_BAD_REQUEST', 'input[0].call_id'],
    ['max_output_tokens 0', { ...base, max_output_tokens: 0 }, 'LR_ERR_BAD_REQUEST', 'max_output_tokens'],
    ['temperature as a string', { ...base, temperature: 'hot' }, 'LR_ERR_BAD_REQUEST', 'temperature'],
    ['json_schema without schema', { ...base, text: { format: { type: 'json_schema', name: 'x' } } }, 'LR_ERR_BAD_REQUEST', 'text.format.schema'],
    ['an unknown effort', { ...base, reasoning: { effort: 'extreme' } }, 'LR_ERR_BAD_REQUEST', 'reasoning.effort'],
    ['a non-object body', [1, 2], 'LR_ERR_BAD_REQUEST', 'body'],
  ];
  it.each(cases)('rejects %s with a 400 naming the field', (_name, body, code, param) => {
    const err = rejection(body);
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('explains the stateless rejection', () => {
    expect(rejection({ ...base, previous_response_id: 'resp_1' }).message).toMatch(/whole conversation in "input"/);
  });
});
