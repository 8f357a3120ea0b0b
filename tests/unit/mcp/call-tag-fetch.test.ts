import { describe, expect, it } from 'vitest';
import { CALL_TAG_HEADER, callTaggingFetch } from '../../../src/mcp/call-tag-fetch.js';
import { takeRelated } from '../../../src/mcp/annotate-related.js';

/** The tagging fetch of a modern upstream's transport, over a stand-in server answering with an SSE stream. */
function serverAnswering(body: string, type = 'text/event-stream'): { fetch: (url: string | URL, init?: RequestInit) => Promise<Response>; sent: Headers[] } {
  const sent: Headers[] = [];
  return {
    sent,
    fetch: async (_url, init) => {
      sent.push(new Headers(init?.headers));
      // Split in small chunks, as a network would.
      const bytes = new TextEncoder().encode(body);
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 7) c.enqueue(bytes.slice(i, i + 7));
          c.close();
        },
      });
      return new Response(stream, { status: 200, headers: { 'content-type': type } });
    },
  };
}

const LOG = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'hello' } };
const PROGRESS = { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } };
const RESULT = { jsonrpc: '2.0', id: 3, result: { content: [] } };
const SSE = [LOG, PROGRESS, RESULT].map((m, i) => `id: e${i}\ndata: ${JSON.stringify(m)}\n\n`).join('');

async function events(res: Response): Promise<Array<Record<string, unknown>>> {
  const text = await res.text();
  return text.split('\n\n').filter((e) => e.length > 0).map((e) => JSON.parse(e.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as Record<string, unknown>);
}

describe('callTaggingFetch', () => {
  it('takes the tag off the request and stamps the notifications of the answer with it (progress and the response unchanged)', async () => {
    const server = serverAnswering(SSE);
    const res = await callTaggingFetch(server.fetch)('http://x/mcp', { method: 'POST', headers: { [CALL_TAG_HEADER]: '7', accept: 'text/event-stream' }, body: '{}' });
    expect(server.sent[0]!.has(CALL_TAG_HEADER)).toBe(false);
    expect(server.sent[0]!.get('accept')).toBe('text/event-stream');
    const [log, progress, result] = await events(res);
    const params = log!.params as Record<string, unknown>;
    expect(takeRelated(params)).toBe('7');
    expect(params).toEqual(LOG.params);
    expect(progress).toEqual(PROGRESS);
    expect(result).toEqual(RESULT);
  });

  it('leaves untagged requests and answers that are not SSE as they are', async () => {
    const plain = serverAnswering(SSE);
    expect(await events(await callTaggingFetch(plain.fetch)('http://x/mcp', { method: 'POST', headers: { accept: 'x' }, body: '{}' }))).toEqual([LOG, PROGRESS, RESULT]);
    const json = serverAnswering(JSON.stringify(RESULT), 'application/json');
    const res = await callTaggingFetch(json.fetch)('http://x/mcp', { method: 'POST', headers: { [CALL_TAG_HEADER]: '1' }, body: '{}' });
    expect(json.sent[0]!.has(CALL_TAG_HEADER)).toBe(false);
    expect(await res.json()).toEqual(RESULT);
  });

  it('passes on events whose data is JSON but no message (null, a number, a string, an array, bad params) unchanged, and the call keeps its answer', async () => {
    const odd = ['null', '5', '"text"', '[1,2]', '{"jsonrpc":"2.0","method":"notifications/message","params":7}', '{"jsonrpc":"2.0","method":"notifications/message","params":{"_meta":null}}'];
    const body = [...odd.map((d) => `data: ${d}\n\n`), `data: ${JSON.stringify(LOG)}\n\n`, `data: ${JSON.stringify(RESULT)}\n\n`].join('');
    const res = await callTaggingFetch(serverAnswering(body).fetch)('http://x/mcp', { method: 'POST', headers: { [CALL_TAG_HEADER]: 't' }, body: '{}' });
    const got = await events(res);
    expect(got.slice(0, odd.length)).toEqual(odd.map((d) => JSON.parse(d) as unknown));
    expect(takeRelated(got[odd.length]!.params as Record<string, unknown>)).toBe('t');
    expect(got[odd.length + 1]).toEqual(RESULT);
  });
});
