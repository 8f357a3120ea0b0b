import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromCompletionsRequest } from '../../../../src/providers/completions/index.js';

const golden = new URL('../../../golden/providers/completions/', import.meta.url);
const readJson = (name: string): unknown => JSON.parse(fs.readFileSync(new URL(name, golden), 'utf8'));

function rejection(body: unknown): { code: string; status: number; param: string | null } {
  try {
    fromCompletionsRequest(body);
  } catch (err) {
    return err as { code: string; status: number; param: string | null };
  }
  throw new Error('expected the request to be rejected');
}

const base = { model: 'mock/m', prompt: 'Say hi' };

describe('fromCompletionsRequest', () => {
  it('converts a full request (golden): one user message, sampling settings copied, usage wanted', () => {
    expect(fromCompletionsRequest(readJson('request.json'))).toEqual(readJson('request.chat.expected.json'));
  });

  it('maps a plain prompt without streaming', () => {
    expect(fromCompletionsRequest(base)).toEqual({
      chat: { model: 'mock/m', messages: [{ role: 'user', content: 'Say hi' }] }, clientWantsUsage: false,
    });
  });

  it('always asks the upstream for usage when streaming, but only reports the client wants it when it asked', () => {
    const r = fromCompletionsRequest({ ...base, stream: true });
    expect(r.chat.stream_options).toEqual({ include_usage: true });
    expect(r.clientWantsUsage).toBe(false);
  });

  it('accepts the neutral values of unsupported features', () => {
    expect(() => fromCompletionsRequest({ ...base, n: 1, best_of: 1, echo: false, suffix: '', logprobs: null })).not.toThrow();
  });

  const cases: Array<[string, unknown, string, string]> = [
    ['several prompts', { ...base, prompt: ['a', 'b'] }, 'LR_ERR_UNSUPPORTED_PARAM', 'prompt'],
    ['a token prompt', { ...base, prompt: [1, 2, 3] }, 'LR_ERR_UNSUPPORTED_PARAM', 'prompt'],
    ['token prompts', { ...base, prompt: [[1, 2]] }, 'LR_ERR_UNSUPPORTED_PARAM', 'prompt'],
    ['n above 1', { ...base, n: 2 }, 'LR_ERR_UNSUPPORTED_PARAM', 'n'],
    ['best_of above 1', { ...base, best_of: 3 }, 'LR_ERR_UNSUPPORTED_PARAM', 'best_of'],
    ['echo', { ...base, echo: true }, 'LR_ERR_UNSUPPORTED_PARAM', 'echo'],
    ['suffix', { ...base, suffix: '}' }, 'LR_ERR_UNSUPPORTED_PARAM', 'suffix'],
    ['logprobs', { ...base, logprobs: 2 }, 'LR_ERR_UNSUPPORTED_PARAM', 'logprobs'],
    ['logprobs 0', { ...base, logprobs: 0 }, 'LR_ERR_UNSUPPORTED_PARAM', 'logprobs'],
    ['an unknown field', { ...base, messages: [] }, 'LR_ERR_UNSUPPORTED_PARAM', 'messages'],
    ['a missing prompt', { model: 'm' }, 'LR_ERR_BAD_REQUEST', 'prompt'],
    ['an empty prompt list', { ...base, prompt: [] }, 'LR_ERR_BAD_REQUEST', 'prompt'],
    ['a missing model', { prompt: 'x' }, 'LR_ERR_BAD_REQUEST', 'model'],
    ['n of 0', { ...base, n: 0 }, 'LR_ERR_BAD_REQUEST', 'n'],
    ['a non-boolean stream', { ...base, stream: 'yes' }, 'LR_ERR_BAD_REQUEST', 'stream'],
  ];
  it.each(cases)('rejects %s with a 400 naming the field', (_name, body, code, param) => {
    const err = rejection(body);
    expect(err.code).toBe(code);
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });
});
