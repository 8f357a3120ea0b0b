import { describe, expect, it } from 'vitest';
import {
  anthropicAdapter, anthropicErrorEvent, fromAnthropicModels, mapAnthropicError, mapAnthropicFinishReason, mapOpenAIFinishReason,
  anthropicUpstreamError, toAnthropicError,
} from '../../../../src/providers/anthropic/index.js';
import type { UpstreamErrorDetail } from '../../../../src/model/index.js';
import { anthropicDialect, mapStatusError, openAIChatDialect, type PassedError, type TranslateContext } from '../../../../src/providers/index.js';

const body = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });

describe('upstream errors → client answers', () => {
  it('passes 4xx through in the OpenAI shape, with an OpenAI type and the Anthropic type as code', () => {
    const cases: [number, string, string][] = [
      [400, 'invalid_request_error', 'invalid_request_error'],
      [401, 'authentication_error', 'authentication_error'],
      [402, 'billing_error', 'insufficient_quota'],
      [403, 'permission_error', 'permission_error'],
      [404, 'not_found_error', 'invalid_request_error'],
      [413, 'request_too_large', 'invalid_request_error'],
      [429, 'rate_limit_error', 'rate_limit_error'],
    ];
    for (const [status, type, openAIType] of cases) {
      const out = mapAnthropicError('claude', status, body(type, `msg ${status}`));
      const detail = { message: `msg ${status}`, type: openAIType, param: null, code: type };
      expect(out).toEqual({ status, body: JSON.stringify({ error: detail }), detail });
    }
    expect(mapAnthropicError('claude', 400, 'plain text')).toMatchObject({ status: 400, body: JSON.stringify({ error: { message: 'plain text', type: 'invalid_request_error', param: null, code: null } }) });
  });

  it('turns overload into a 503, timeouts into 504, other 5xx into 502, naming the provider', () => {
    expect(mapAnthropicError('claude', 529, body('overloaded_error', 'Overloaded'))).toEqual({
      code: 'LR_ERR_UPSTREAM_STATUS', status: 503, param: null, message: 'provider "claude" is overloaded (overloaded_error): Overloaded',
    });
    expect(mapAnthropicError('claude', 504, body('timeout_error', 'slow'))).toMatchObject({ code: 'LR_ERR_UPSTREAM_TIMEOUT', status: 504 });
    expect(mapAnthropicError('claude', 500, body('api_error', 'boom'))).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 502, message: 'provider "claude" returned api_error: boom' });
    expect(mapAnthropicError('claude', 502, '<html>bad gateway</html>')).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 502 });
  });

  it('through the adapter interface', () => {
    const ctx = { provider: { name: 'p' } } as unknown as TranslateContext;
    expect(anthropicAdapter.error(529, body('overloaded_error', 'x'), ctx)).toMatchObject({ status: 503 });
  });
});

describe('finish reasons', () => {
  it('maps both ways', () => {
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal', 'pause_turn', 'model_context_window_exceeded', null].map(mapAnthropicFinishReason))
      .toEqual(['stop', 'stop', 'length', 'tool_calls', 'content_filter', 'stop', 'length', 'stop']);
    expect(['stop', 'length', 'tool_calls', 'content_filter', 'function_call', null].map(mapOpenAIFinishReason))
      .toEqual(['end_turn', 'max_tokens', 'tool_use', 'refusal', 'tool_use', 'end_turn']);
  });
});

describe('model list', () => {
  it('turns Anthropic models into an OpenAI list with display names and limits', () => {
    const list = JSON.parse(fromAnthropicModels(JSON.stringify({
      data: [{ type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z', max_input_tokens: 200000, max_tokens: 64000 }],
      has_more: false, first_id: 'claude-sonnet-4-5', last_id: 'claude-sonnet-4-5',
    })));
    expect(list).toEqual({ object: 'list', data: [{ id: 'claude-sonnet-4-5', object: 'model', created: 1759104000, owned_by: 'anthropic', display_name: 'Claude Sonnet 4.5', context_length: 200000, max_output_tokens: 64000 }] });
  });
});

describe('gateway errors → Anthropic errors (the Anthropic-compatible ingress)', () => {
  const plain = (status: number) => ({ code: 'LR_ERR_BAD_REQUEST' as const, message: 'm', status });

  it('types errors by status as Anthropic does', () => {
    const types = [400, 401, 402, 403, 404, 413, 415, 429, 500, 502, 503, 504, 529].map((s) => toAnthropicError(plain(s)).error.type);
    expect(types).toEqual(['invalid_request_error', 'authentication_error', 'billing_error', 'permission_error', 'not_found_error', 'request_too_large',
      'invalid_request_error', 'rate_limit_error', 'api_error', 'api_error', 'overloaded_error', 'timeout_error', 'overloaded_error']);
    expect(toAnthropicError(plain(400))).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'm' } });
    expect(anthropicErrorEvent(plain(503))).toBe('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"m"}}\n\n');
  });

  it('encodes passed-through errors from their typed detail, keeping an Anthropic upstream type', () => {
    const fromAnthropic = mapAnthropicError('claude', 404, body('not_found_error', 'model: x')) as PassedError;
    expect(JSON.parse(anthropicDialect.encodeError(fromAnthropic))).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'model: x' } });
    const openAIBody = JSON.stringify({ error: { message: 'Incorrect API key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
    const fromOpenAI = mapStatusError('openai', 401, openAIBody) as PassedError;
    // An OpenAI client gets the upstream's own bytes; an Anthropic client the same error, typed by status.
    expect(openAIChatDialect.encodeError(fromOpenAI)).toBe(openAIBody);
    expect(JSON.parse(anthropicDialect.encodeError(fromOpenAI))).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'Incorrect API key' } });
    expect(JSON.parse(anthropicDialect.encodeError(mapStatusError('p', 429, 'slow down') as PassedError))).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    const detail = (type: string): UpstreamErrorDetail => ({ message: 'too fast', type, code: null, param: null });
    expect(JSON.parse(anthropicUpstreamError(0, detail('rate_limit_error'))).error.type).toBe('rate_limit_error');
    expect(JSON.parse(anthropicUpstreamError(0, detail('server_error'))).error.type).toBe('api_error');
  });
});
