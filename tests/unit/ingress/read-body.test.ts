import { describe, expect, it } from 'vitest';
import type { HttpResponse } from 'uWebSockets.js';
import { readBody } from '../../../src/ingress/index.js';

/** A uWS response that delivers `chunks` to its onData handler the way uWS does (each ArrayBuffer valid only during the call). */
function feed(chunks: Buffer[]): { res: HttpResponse; run(): void } {
  let handler: ((chunk: ArrayBuffer, isLast: boolean) => void) | null = null;
  const res = { onData: (h: (chunk: ArrayBuffer, isLast: boolean) => void) => { handler = h; } } as unknown as HttpResponse;
  return {
    res,
    run() {
      chunks.forEach((c, i) => {
        const ab = c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer;
        handler!(ab, i === chunks.length - 1);
        new Uint8Array(ab).fill(0x21); // what uWS reuses the memory for next
      });
    },
  };
}

function read(chunks: Buffer[], limit: number, contentLength: number): { err: string | null; body: Buffer | null } {
  const out: { err: string | null; body: Buffer | null } = { err: null, body: null };
  const f = feed(chunks);
  readBody(f.res, limit, (err, body) => { out.err = err?.code ?? null; out.body = body; }, 60_000, contentLength);
  f.run();
  return out;
}

describe('readBody', () => {
  const text = Buffer.from(`{"model":"m","messages":[${'"x",'.repeat(30_000)}"y"]}`);
  const parts = [text.subarray(0, 1000), text.subarray(1000, 70_000), text.subarray(70_000)];

  it('gathers a body into one buffer sized by Content-Length, whatever the chunking', () => {
    for (const chunks of [[text], parts]) {
      const { err, body } = read(chunks, 1 << 20, text.length);
      expect(err).toBeNull();
      expect(body!.equals(text)).toBe(true);
    }
  });

  it('gives a large body a buffer of its own with room to spare (it is spliced and transferred later)', () => {
    const { body } = read(parts, 1 << 20, text.length);
    expect(body!.byteOffset).toBe(0);
    expect(body!.buffer.byteLength).toBeGreaterThan(text.length);
  });

  it('reads a body with no Content-Length, or longer than it said, in parts', () => {
    expect(read(parts, 1 << 20, 0).body!.equals(text)).toBe(true);
    expect(read(parts, 1 << 20, 50_000).body!.equals(text)).toBe(true);
    const short = read([Buffer.from('{"a":1}')], 1000, 3);
    expect(short.body!.toString()).toBe('{"a":1}');
  });

  it('refuses a body past the limit with 413, whatever its Content-Length said', () => {
    expect(read(parts, 60_000, text.length).err).toBe('LR_ERR_BODY_TOO_LARGE');
    expect(read(parts, 60_000, 100).err).toBe('LR_ERR_BODY_TOO_LARGE');
  });
});
