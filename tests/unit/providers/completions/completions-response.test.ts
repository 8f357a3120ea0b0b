import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { completionsDialect } from '../../../../src/providers/completions/index.js';
import { dialectContext, openAIUpstream } from '../responses/dialect-context.js';

const dir = new URL('../../../golden/providers/completions/', import.meta.url);
const readText = (name: string): string => fs.readFileSync(new URL(name, dir), 'utf8');

const completion = (message: object, finish: string | null = 'stop'): string =>
  JSON.stringify({ id: 'c', object: 'chat.completion', created: 5, model: 'up', choices: [{ index: 0, message, finish_reason: finish }] });
const convert = (body: string): Record<string, unknown> => JSON.parse(openAIUpstream(completionsDialect, dialectContext({ stream: false })).response(body).body) as Record<string, unknown>;

describe('Completions dialect: chat.completion → text_completion', () => {
  it('converts text, finish reason, fingerprint and usage (golden)', () => {
    expect(convert(readText('chat-completion.json'))).toEqual(JSON.parse(readText('chat-completion.expected.json')));
  });

  it('maps finish reasons onto the legacy three', () => {
    const reason = (finish: string | null): unknown => (convert(completion({ content: 'x' }, finish)).choices as Array<{ finish_reason: unknown }>)[0]!.finish_reason;
    expect(reason('stop')).toBe('stop');
    expect(reason('length')).toBe('length');
    expect(reason('content_filter')).toBe('content_filter');
    expect(reason('tool_calls')).toBe('stop');
    expect(reason(null)).toBe('stop');
  });

  it('gives a refusal as empty text filtered by content', () => {
    expect(convert(completion({ content: null, refusal: 'No.' })).choices).toEqual([{ text: '', index: 0, logprobs: null, finish_reason: 'content_filter' }]);
  });

  it('omits usage when the upstream reported none', () => {
    const r = convert(completion({ content: 'x' }));
    expect(r).toMatchObject({ object: 'text_completion', created: 5, model: 'up' });
    expect(r.usage).toBeUndefined();
    expect(r.id).toMatch(/^cmpl-/);
  });

  it('passes a 2xx error body through unchanged', () => {
    const body = '{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}';
    expect(openAIUpstream(completionsDialect, dialectContext()).response(body).body).toBe(body);
  });
});
