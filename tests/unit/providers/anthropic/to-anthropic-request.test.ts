import type { ChatRequest } from '../../../../src/model/index.js';
import { describe, expect, it } from 'vitest';
import {
  claudeVersion, planReasoning, toAnthropicRequest, usesAdaptiveThinking,
} from '../../../../src/providers/anthropic/index.js';
import { validateMessagesRequest } from '../../../helpers/mock-anthropic-validate.js';

const MODEL = 'claude-sonnet-4-5-20250929';
const user = (content: unknown) => ({ role: 'user', content }) as ChatRequest['messages'][number];
const req = (extra: Record<string, unknown>, messages = [user('hi')]): ChatRequest => ({ model: MODEL, messages, ...extra });
const translate = (extra: Record<string, unknown>, messages?: ChatRequest['messages'], model = MODEL) =>
  toAnthropicRequest(req(extra, messages), model, false);
const rejection = (fn: () => unknown): { code?: string; param?: string; message?: string } => {
  try {
    fn();
  } catch (err) {
    return err as { code: string; param: string };
  }
  throw new Error('expected a rejection');
};

describe('toAnthropicRequest', () => {
  it('sends max_tokens 4096 when the client set none, and the client limit otherwise', () => {
    expect(translate({}).max_tokens).toBe(4096);
    expect(translate({ max_tokens: 100 }).max_tokens).toBe(100);
    expect(translate({ max_completion_tokens: 200, max_tokens: 100 }).max_tokens).toBe(200);
    expect(rejection(() => translate({ max_tokens: 0 })).code).toBe('LR_ERR_BAD_REQUEST');
  });

  it('merges consecutive same-role messages into one turn and puts tool results first', () => {
    const out = translate({}, [
      user('a'), user([{ type: 'text', text: 'b' }]),
      { role: 'assistant', content: null, tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '' } }] },
      user('after'),
      { role: 'tool', tool_call_id: 't1', content: 'r' },
    ]);
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'r' }, { type: 'text', text: 'after' }] },
    ]);
    expect(validateMessagesRequest(out)).toBeNull();
  });

  it('skips empty text and empty assistant turns, and rejects an empty user message', () => {
    const out = translate({}, [user([{ type: 'text', text: '' }, { type: 'text', text: 'x' }]), { role: 'assistant', content: '' }, user('y')]);
    expect(out.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'text', text: 'y' }] }]);
    expect(rejection(() => translate({}, [user('')]))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'messages[0].content' });
  });

  it('maps images: base64 data URLs and http(s) URLs; other types and encodings are rejected', () => {
    const img = (url: string) => translate({}, [user([{ type: 'image_url', image_url: { url } }])]).messages[0]!.content;
    expect(img('data:image/webp;base64,UklGRg==')).toEqual([{ type: 'image', source: { type: 'base64', media_type: 'image/webp', data: 'UklGRg==' } }]);
    expect(img('http://example.com/a.gif')).toEqual([{ type: 'image', source: { type: 'url', url: 'http://example.com/a.gif' } }]);
    expect(rejection(() => img('data:image/bmp;base64,Qk0='))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'messages[0].content[0].image_url.url' });
    expect(rejection(() => img('data:image/png,%89PNG'))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(rejection(() => img('ftp://x/y.png'))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST' });
  });

  it('maps inline PDF files to document blocks and rejects file ids', () => {
    const out = translate({}, [user([{ type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }])]);
    expect(out.messages[0]!.content).toEqual([{ type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' }]);
    expect(rejection(() => translate({}, [user([{ type: 'file', file: { file_id: 'file-1' } }])])).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
  });

  it('maps tool_choice and parallel_tool_calls', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    expect(translate({ tools, tool_choice: 'auto' }).tool_choice).toEqual({ type: 'auto' });
    expect(translate({ tools, tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(translate({ tools, tool_choice: 'none', parallel_tool_calls: false }).tool_choice).toEqual({ type: 'none' });
    expect(translate({ tools, parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(translate({ tools, parallel_tool_calls: true }).tool_choice).toBeUndefined();
    expect(translate({ tool_choice: 'none' }).tool_choice).toBeUndefined();
    expect(rejection(() => translate({ tools, tool_choice: { type: 'function', function: { name: 'g' } } })).param).toBe('tool_choice');
    expect(rejection(() => translate({ tools: [{ type: 'custom', custom: { name: 'x' } }] })).param).toBe('tools[0]');
    expect(rejection(() => translate({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }] })).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
  });

  it('rejects parameters with no Anthropic meaning only when they ask for something', () => {
    const fine = translate({ n: 1, logprobs: false, top_logprobs: 0, presence_penalty: 0, frequency_penalty: null, logit_bias: {}, seed: null, store: false, metadata: {}, modalities: ['text'] });
    expect(fine.model).toBe(MODEL);
    for (const [key, value] of [['n', 3], ['top_logprobs', 2], ['frequency_penalty', 1], ['logit_bias', { 1: 2 }], ['store', true], ['metadata', { a: 'b' }],
      ['prompt_cache_key', 'k'], ['verbosity', 'low'], ['functions', [{ name: 'f' }]], ['prediction', { type: 'content', content: 'x' }], ['made_up', 1],
      ['modalities', ['text', 'audio']], ['service_tier', 'flex']] as const) {
      expect(rejection(() => translate({ [key]: value }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: key });
    }
    expect(rejection(() => translate({}, [{ role: 'user', name: 'alice', content: 'x' }])).param).toBe('messages[0].name');
    expect(rejection(() => translate({}, [{ role: 'function', content: 'x' }])).param).toBe('messages[0].role');
  });

  it('maps sampling and caching extensions; temperatures above 1 are rejected', () => {
    const out = translate({ temperature: 1, top_p: 0.5, top_k: 40, cache_control: { type: 'ephemeral', ttl: '1h' }, service_tier: 'default' });
    expect(out).toMatchObject({ temperature: 1, top_p: 0.5, top_k: 40, cache_control: { type: 'ephemeral', ttl: '1h' }, service_tier: 'standard_only' });
    expect(rejection(() => translate({ temperature: 1.2 })).param).toBe('temperature');
    const cached = translate({}, [{ role: 'user', content: 'long doc', cache_control: { type: 'ephemeral' } }]);
    expect(cached.messages[0]!.content).toEqual([{ type: 'text', text: 'long doc', cache_control: { type: 'ephemeral' } }]);
  });

  it('rejects JSON mode without a schema and a schema description', () => {
    expect(rejection(() => translate({ response_format: { type: 'json_object' } })).param).toBe('response_format');
    expect(rejection(() => translate({ response_format: { type: 'json_schema', json_schema: { name: 'x', description: 'd', schema: { type: 'object' } } } })).param)
      .toBe('response_format.json_schema.description');
    expect(translate({ response_format: { type: 'text' } }).output_config).toBeUndefined();
  });

  it('takes an Anthropic thinking config as an extension, exclusive with reasoning_effort', () => {
    expect(translate({ thinking: { type: 'enabled', budget_tokens: 5000 } })).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 5000 }, max_tokens: 9096 });
    expect(rejection(() => translate({ thinking: { type: 'adaptive' }, reasoning_effort: 'low' })).param).toBe('thinking');
  });

  it('rejects malformed tool call arguments', () => {
    const bad = [user('x'), { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }] as ChatRequest['messages'];
    expect(rejection(() => translate({}, bad))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'messages[1].tool_calls[0].function.arguments' });
  });
});

describe('reasoning_effort → thinking', () => {
  it('reads Claude versions from both id styles', () => {
    expect(claudeVersion('claude-3-7-sonnet-20250219')).toEqual({ major: 3, minor: 7 });
    expect(claudeVersion('claude-sonnet-4-20250514')).toEqual({ major: 4, minor: 0 });
    expect(claudeVersion('claude-opus-4-1')).toEqual({ major: 4, minor: 1 });
    expect(claudeVersion('claude-sonnet-4-6')).toEqual({ major: 4, minor: 6 });
    expect(claudeVersion('claude-fable-5-1')).toEqual({ major: 5, minor: 1 });
    expect(claudeVersion('claude-mythos-preview')).toBeNull();
    expect(claudeVersion('gpt-4o')).toBeNull();
  });

  it('uses adaptive thinking from Claude 4.6 on and manual budgets before', () => {
    expect(['claude-sonnet-4-5', 'claude-3-7-sonnet-latest', 'claude-haiku-4-5-20251001', 'my-proxy-model'].map(usesAdaptiveThinking)).toEqual([false, false, false, false]);
    expect(['claude-sonnet-4-6', 'claude-opus-4-7', 'claude-opus-5', 'claude-mythos-preview'].map(usesAdaptiveThinking)).toEqual([true, true, true, true]);
  });

  it('plans budgets, efforts and token limits', () => {
    expect(planReasoning(undefined, 'claude-sonnet-4-5', null)).toEqual({ maxTokens: 4096 });
    expect(planReasoning('high', 'claude-sonnet-4-5', null)).toEqual({ thinking: { type: 'enabled', budget_tokens: 16384 }, maxTokens: 16384 + 4096 });
    expect(planReasoning('high', 'claude-sonnet-4-5', 10000)).toEqual({ thinking: { type: 'enabled', budget_tokens: 5000 }, maxTokens: 10000 });
    expect(planReasoning('none', 'claude-sonnet-4-5', null)).toEqual({ thinking: undefined, maxTokens: 4096 });
    expect(planReasoning('minimal', 'claude-opus-4-7', null)).toEqual({ thinking: { type: 'adaptive' }, effort: 'low', maxTokens: 1024 + 4096 });
    expect(planReasoning('xhigh', 'claude-opus-4-7', 64000)).toEqual({ thinking: { type: 'adaptive' }, effort: 'xhigh', maxTokens: 64000 });
    expect(planReasoning('none', 'claude-opus-4-7', null)).toEqual({ thinking: { type: 'disabled' }, maxTokens: 4096 });
    expect(rejection(() => planReasoning('low', 'claude-sonnet-4-5', 2000))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'max_tokens' });
    expect(rejection(() => planReasoning('extreme', 'claude-sonnet-4-5', null))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'reasoning_effort' });
  });

  it('produces requests the API accepts', () => {
    for (const effort of ['minimal', 'low', 'medium', 'high', 'xhigh', 'max']) {
      for (const model of ['claude-sonnet-4-5', 'claude-opus-4-7']) {
        expect(validateMessagesRequest(translate({ reasoning_effort: effort }, undefined, model))).toBeNull();
        expect(validateMessagesRequest(translate({ reasoning_effort: effort, max_tokens: 3000 }, undefined, model))).toBeNull();
      }
    }
  });
});
