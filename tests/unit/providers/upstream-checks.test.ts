import { describe, expect, it } from 'vitest';
import { createOpenAIStreamState, endOpenAIStream, openAIChatDialect, passOpenAIStream } from '../../../src/providers/index.js';
import { openAIAdapter } from '../../../src/providers/openai-compatible/openai-adapter.js';
import { SCAN, scanOpenAIBody } from '../../../src/providers/openai-compatible/scan-body.js';
import { redactExact, redactSecret } from '../../../src/providers/redact-secret.js';
import { parseRetryAfter } from '../../../src/providers/retry-after.js';
import { testContext } from '../../helpers/translate-context.js';
import { chatPipeline } from './parts-harness.js';

const COMPLETION = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'a "quoted" {brace} [and] \\ backslash "usage": {"x":1}' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11, prompt_tokens_details: { cached_tokens: 1 }, completion_tokens_details: { reasoning_tokens: 2 } },
});

describe('Retry-After', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds, HTTP-dates and retry-after-ms', () => {
    expect(parseRetryAfter('7', undefined, now)).toBe(7000);
    expect(parseRetryAfter('86400', undefined, now)).toBe(86_400_000);
    expect(parseRetryAfter('99999999999', undefined, now)).toBe(99_999_999_999_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', undefined, now)).toBe(60_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', undefined, now)).toBe(0);
    expect(parseRetryAfter('7', '1500', now)).toBe(1500);
    expect(parseRetryAfter(['3', '9'], undefined, now)).toBe(3000);
  });

  it('ignores what it cannot read, and never returns more than a safe integer', () => {
    expect(parseRetryAfter(undefined, undefined, now)).toBe(0);
    expect(parseRetryAfter('soon', undefined, now)).toBe(0);
    expect(parseRetryAfter('-5', undefined, now)).toBe(0);
    expect(parseRetryAfter('0x10', undefined, now)).toBe(0);
    expect(parseRetryAfter('9'.repeat(400), undefined, now)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('secret redaction', () => {
  const key = 'sk-proj-abcdefghijklmnop1234';
  it('removes the key and any Bearer token from error text', () => {
    const body = JSON.stringify({ error: { message: `bad request; headers: {"authorization":"Bearer ${key}"}` } });
    const out = redactSecret(body, key);
    expect(out).not.toContain(key);
    expect(out).toContain('Bearer [redacted]');
    expect(redactSecret('token BEARER abc.def-ghi_jkl echoed', null)).toBe('token BEARER [redacted] echoed');
    expect(redactSecret(`key=${key}&x=1`, key)).toBe('key=[redacted]&x=1');
  });

  it('leaves short placeholder keys and text without secrets alone', () => {
    expect(redactSecret('the ollama server said no', 'ollama')).toBe('the ollama server said no');
    const plain = 'nothing to see';
    expect(redactExact(plain, key)).toBe(plain);
  });
});

describe('OpenAI body scan', () => {
  it('accepts a whole body and reads its top-level usage (not a "usage" inside a string)', () => {
    expect(scanOpenAIBody(COMPLETION)).toEqual({ ok: true, usage: { input: 5, output: 6, cacheRead: 1, cacheWrite: 0, reasoning: 2 }, found: SCAN.FINISH | SCAN.USAGE_OBJECT });
    expect(scanOpenAIBody('  {"object":"list","data":[]}\n')).toEqual({ ok: true, usage: null, found: 0 });
    expect(scanOpenAIBody('{"usage":null,"x":{"a":1}}')).toEqual({ ok: true, usage: null, found: SCAN.USAGE_NULL });
  });

  it('notes the members a stream relay acts on as members, never as text inside a string or at the wrong depth', () => {
    const found = (text: string) => { const r = scanOpenAIBody(text); return r.ok ? r.found : -1; };
    expect(found('{"choices":[{"delta":{},"finish_reason":"stop"}]}')).toBe(SCAN.FINISH);
    expect(found('{"choices":[{"delta":{},"finish_reason" :\n "length"}]}')).toBe(SCAN.FINISH);
    expect(found('{"choices":[{"delta":{},"finish_reason":null}]}')).toBe(0);
    expect(found('{"choices":[{"delta":{"content":"\\"finish_reason\\":\\"stop\\" \\"usage\\":{} \\"error\\":{}"}}]}')).toBe(0);
    expect(found('{"error": {"message":"overloaded"}}')).toBe(SCAN.ERROR_OBJECT);
    expect(found('{"error":null,"choices":[]}')).toBe(0);
    expect(found('{"x":{"error":{"message":"nested"},"usage":{"prompt_tokens":1}}}')).toBe(0);
    expect(found('{"choices":[],"usage" : {"prompt_tokens":1,"completion_tokens":2}}')).toBe(SCAN.USAGE_OBJECT);
    expect(found('{"choices":[],"usage": null}')).toBe(SCAN.USAGE_NULL);
    expect(found('{"note":"usage","other":"error","k":"finish_reason"}')).toBe(0);
  });

  it('refuses empty, HTML, truncated and trailing-garbage bodies', () => {
    for (const bad of ['', '   ', '<html><body>Bad gateway</body></html>', COMPLETION.slice(0, -1), COMPLETION.slice(0, 60),
      `${COMPLETION}<!-- injected -->`, '{"a": <b>}', '{"a":"\\"}']) {
      expect(scanOpenAIBody(bad).ok, bad.slice(0, 40)).toBe(false);
    }
  });

  it('a broken body is LR_ERR_UPSTREAM_BAD_RESPONSE, passed through or read into a result', () => {
    const ctx = testContext('openai', { stream: false });
    const pass = chatPipeline(openAIAdapter, openAIChatDialect, ctx);
    expect(() => pass.response(COMPLETION.slice(0, 100))).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
    expect(pass.response(COMPLETION).usage).toEqual({ input: 5, output: 6, cacheRead: 1, cacheWrite: 0, reasoning: 2 });
    expect(() => openAIAdapter.chatResult(COMPLETION.slice(0, 100), ctx)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
    expect(openAIAdapter.chatResult(COMPLETION, ctx).usage).toEqual({ input: 5, output: 6, cacheRead: 1, cacheWrite: 0, reasoning: 2 });
  });

  it('the adapter names content types that cannot be the answer asked for', () => {
    const check = openAIAdapter.contentTypeProblem!;
    expect(check('application/json; charset=utf-8', false)).toBeNull();
    expect(check('application/vnd.api+json', false)).toBeNull();
    expect(check('', false)).toBeNull();
    expect(check('text/html; charset=utf-8', false)).toContain('text/html');
    expect(check('text/event-stream', true)).toBeNull();
    expect(check('application/json', true)).toContain('text/event-stream');
  });
});

describe('OpenAI stream end', () => {
  const chunk = (finish: string | null) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;

  it('a stream with a finish_reason or [DONE] ends cleanly', () => {
    const finished = createOpenAIStreamState(true, 'p');
    passOpenAIStream(finished, chunk(null) + chunk('stop'));
    expect(() => endOpenAIStream(finished)).not.toThrow();
    const done = createOpenAIStreamState(true, 'p');
    passOpenAIStream(done, `${chunk(null)}data: [DONE]\n\n`);
    expect(() => endOpenAIStream(done)).not.toThrow();
  });

  it('a stream cut before either is an error naming the provider', () => {
    const cut = createOpenAIStreamState(true, 'mock');
    passOpenAIStream(cut, chunk(null) + chunk(null));
    expect(() => endOpenAIStream(cut)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', message: expect.stringContaining('"mock"') }));
  });
});
