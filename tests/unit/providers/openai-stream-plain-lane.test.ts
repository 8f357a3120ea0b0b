import { describe, expect, it } from 'vitest';
import { MAX_SSE_EVENT_CHARS, type Usage } from '../../../src/model/index.js';
import { createOpenAIStreamState, endOpenAIStream, passOpenAIStream } from '../../../src/providers/index.js';

// A text holding whole `data: ` events (LF only) goes through the relay's plain lane; the same text
// fed a character at a time never holds a whole event, so it goes through the generic SSE framing.
// Both must give the client the same bytes and leave the same state, for every shape of stream.

const ANSWER = { id: 'gen-018bcfe5680000000000000000000001', model: 'p/m' };
const costOf = (u: Usage | null): number | null => (u === null ? null : (u.input + u.output) / 1e6);

interface Outcome {
  out: string;
  error: string | null;
  usage: Usage | null;
  upstreamId: string | null;
  sawDone: boolean;
  sawFinish: boolean;
  /** The error came from a read (not from the stream's end): that read's text was not forwarded. */
  failedInRead: boolean;
}

function relay(pieces: string[], wantsUsage: boolean, answer: typeof ANSWER | null): Outcome {
  const state = createOpenAIStreamState(wantsUsage, 'p', answer, costOf);
  let out = '';
  let error: string | null = null;
  let failedInRead = true;
  try {
    for (const p of pieces) out += passOpenAIStream(state, p);
    failedInRead = false;
    out += endOpenAIStream(state);
  } catch (err) {
    error = `${(err as { code?: string }).code ?? ''}: ${(err as Error).message}`;
  }
  return { out, error, usage: state.usage, upstreamId: state.upstreamId, sawDone: state.sawDone, sawFinish: state.sawFinish, failedInRead: error !== null && failedInRead };
}

const chunk = (content: string, finish: string | null = null, extra = ',"usage":null', id = 'chatcmpl-1'): string =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]${extra}}\n\n`;
const usageChunk = 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}\n\n';
const done = 'data: [DONE]\n\n';

const STREAMS: Record<string, string> = {
  'usual stream with usage': chunk('He') + chunk('llo') + chunk('', 'stop') + usageChunk + done,
  'no usage:null members': chunk('a', null, '') + chunk('b', 'stop', '') + done,
  'text that looks like members inside strings': chunk('"usage":null, "error":{} "finish_reason":"stop" \\" \n') + chunk('naïve café 🚀', 'stop') + done,
  'the upstream id changes mid-stream': chunk('a') + chunk('b', null, ',"usage":null', 'chatcmpl-2') + chunk('c', 'stop') + done,
  'keep-alive comments and an event field': `${chunk('a')}: ping\n\nevent: message\n${chunk('b')}${chunk('', 'stop')}${done}`,
  'data: without its space': `${chunk('a')}${chunk('b').replace('data: ', 'data:')}${chunk('', 'stop')}${done}`,
  'usage before the model (the head is not resumed)': 'data: {"id":"c","usage":null,"model":"gpt","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n'.repeat(3) + done,
  'content and usage in one chunk': chunk('a') + chunk('b', 'stop', ',"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}') + done,
  'an error event, then the stream ends': chunk('a') + 'data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}\n\n',
  'an error object in a chunk of the usual head': chunk('a') + chunk('b', null, ',"error":{"message":"boom","type":"server_error"}'),
  'a broken event after good ones': chunk('a') + chunk('b') + 'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,\n\n',
  'an unterminated string in a chunk of the usual head': chunk('a') + chunk('b').replace('"b"', '"b'),
  'trailing data after the object': chunk('a') + chunk('b').replace('}\n\n', '} x\n\n'),
  'a stream cut short': chunk('a') + chunk('b'),
  'CRLF framing': (chunk('a') + chunk('', 'stop') + done).replace(/\n/g, '\r\n'),
  'no final blank line': chunk('a') + chunk('', 'stop') + 'data: [DONE]\n',
  'a pretty-printed event on several lines': `${chunk('a')}data: {"id":"chatcmpl-1",\ndata: "model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n${done}`,
  'NUL and raw control characters inside a chunk': chunk('a') + chunk('b').replace('"b"', '"b\u0000\u0001"') + chunk('', 'stop') + done,
  'a CR inside a chunk of LF-framed events': chunk('a') + chunk('b').replace('"b"', '"b\r"') + chunk('', 'stop') + done,
  'deep nesting after the usual head': chunk('a') + chunk('b', null, `,"x":${'['.repeat(5000)}${']'.repeat(5000)}`) + chunk('', 'stop') + done,
  'spaces inside the usual chunk': chunk('a') + chunk('b').replace('"choices":[', '"choices" : [ ') + chunk('', 'stop') + done,
};

describe('OpenAI stream relay: the plain lane gives what the generic framing gives', () => {
  for (const [name, text] of Object.entries(STREAMS)) {
    for (const wantsUsage of [true, false]) {
      for (const answer of [ANSWER, null]) {
        it(`${name} (usage ${wantsUsage ? 'asked' : 'not asked'}, ${answer ? 'gateway identity' : 'upstream identity'})`, () => {
          const byChar = relay([...text], wantsUsage, answer);
          // Split at every event boundary too: the lane resumes where a read ends.
          const byEvent = relay(text.split(/(?<=\n\n)/), wantsUsage, answer);
          expect(byEvent).toEqual(byChar);
          // A read that fails forwards none of its text, so whole, the text of a failing stream
          // gives the client nothing; everything else is the same.
          const whole = relay([text], wantsUsage, answer);
          expect(whole).toEqual(byChar.failedInRead ? { ...byChar, out: '' } : byChar);
        });
      }
    }
  }

  it('rewrites every chunk, removes usage:null when not asked, and prices the usage chunk', () => {
    const text = STREAMS['usual stream with usage']!;
    const asked = relay([text], true, ANSWER);
    const events = asked.out.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as Record<string, unknown>);
    expect(events.map((e) => [e.id, e.model])).toEqual(events.map(() => [ANSWER.id, 'p/m']));
    expect(events.at(-1)!.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, cost: 12 / 1e6 });
    expect(asked.upstreamId).toBe('chatcmpl-1');
    const notAsked = relay([text], false, ANSWER);
    expect(notAsked.out).not.toContain('usage');
    expect(notAsked.out.split('\n\n').filter((e) => e.startsWith('data: {'))).toHaveLength(3);
    expect(notAsked.usage).toEqual({ input: 9, output: 3, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('bounds an event that arrives whole but is larger than the framing allows, as the framing does', () => {
    const huge = chunk('x'.repeat(MAX_SSE_EVENT_CHARS));
    const state = createOpenAIStreamState(false, 'p', ANSWER, costOf);
    passOpenAIStream(state, chunk('a'));
    expect(() => passOpenAIStream(state, huge)).toThrow(/larger than 16 MiB/);
  });

  it('refuses a broken chunk that shares the usual head', () => {
    const r = relay(STREAMS['an unterminated string in a chunk of the usual head']!.split(/(?<=\n\n)/), false, ANSWER);
    expect(r.error).toMatch(/^LR_ERR_UPSTREAM_BAD_RESPONSE: provider "p" sent a stream event that is not a JSON object/);
    expect(r.out.split('\n\n').filter((e) => e.length > 0)).toHaveLength(1);
  });
});
