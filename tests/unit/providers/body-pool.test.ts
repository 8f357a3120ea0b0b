import { MessageChannel } from 'node:worker_threads';
import { beforeEach, describe, expect, it } from 'vitest';
import { acceptBody, adoptBody, bodyPoolStats, dropFreeBodies, giveBack, takeBody, watchBodyWrites } from '../../../src/providers/body-pool.js';
import { parseJsonSpan } from '../../../src/providers/json-top-level.js';

/** A socket stand-in whose writes complete when the test says so. */
function fakeSocket(): { socket: { write(chunk: unknown, enc?: unknown, cb?: unknown): boolean }; finish(): void; written: Uint8Array[] } {
  const pending: ((err?: Error | null) => void)[] = [];
  const written: Uint8Array[] = [];
  const socket = {
    write(chunk: unknown, enc?: unknown, cb?: unknown): boolean {
      written.push(chunk as Uint8Array);
      const done = (typeof enc === 'function' ? enc : cb) as ((err?: Error | null) => void) | undefined;
      if (done) pending.push(done);
      return true;
    },
  };
  watchBodyWrites(socket);
  return { socket, written, finish: () => { for (const cb of pending.splice(0)) cb(null); } };
}

describe('body pool', () => {
  beforeEach(() => dropFreeBodies());

  it('lends memory given back to the next body of a similar size', () => {
    const a = takeBody(200_000);
    expect(a.length).toBe(200_000);
    a.fill(0x41);
    giveBack(a);
    const b = takeBody(200_500);
    expect(b.buffer === a.buffer).toBe(true);
    giveBack(b);
    // Twice the size or more gets its own memory: a small body never pins a large region.
    const c = takeBody(90_000);
    expect(c.buffer === a.buffer).toBe(false);
    giveBack(c);
  });

  it('lends agent-sized bodies (8 KB and up) memory sized in small steps, reused as a conversation grows', () => {
    const a = takeBody(20_000);
    expect(a.buffer.byteLength).toBe(20_480);
    giveBack(a);
    const b = takeBody(20_300);
    expect(b.buffer === a.buffer).toBe(true);
    giveBack(b);
    const c = takeBody(23_000);
    expect(c.buffer === a.buffer).toBe(false); // does not fit
    giveBack(c);
    const d = takeBody(10_300);
    expect(d.buffer === a.buffer).toBe(true); // fits, and not twice the body's size
    giveBack(d);
    expect(takeBody(8_192).buffer === a.buffer).toBe(false); // a region more than twice the body stays free
  });

  it('never lends memory again while a socket write of it is pending', () => {
    const { socket, finish } = fakeSocket();
    const a = takeBody(300_000);
    const spliced = a.subarray(0, 299_000); // the view that goes upstream
    let called = false;
    socket.write(spliced, () => { called = true; });
    giveBack(a);
    const b = takeBody(300_000);
    expect(b.buffer === a.buffer).toBe(false);
    finish();
    expect(called).toBe(true); // the writer's own callback still runs
    const c = takeBody(300_000);
    expect(c.buffer === a.buffer).toBe(true);
    giveBack(b);
    giveBack(c);
  });

  it('a write whose callback comes before the request is over does not free it early', () => {
    const { socket, finish } = fakeSocket();
    const a = takeBody(400_000);
    socket.write(a);
    finish();
    const b = takeBody(400_000);
    expect(b.buffer === a.buffer).toBe(false); // still held by its request
    giveBack(a);
    giveBack(b);
    const c = takeBody(400_000);
    expect(c.buffer === a.buffer || c.buffer === b.buffer).toBe(true);
    giveBack(c);
  });

  it('writes of other memory pass through untouched, with their arguments', () => {
    const { socket, written } = fakeSocket();
    socket.write('head', 'latin1', () => {});
    socket.write(Buffer.from('x'));
    expect(written.map(String)).toEqual(['head', 'x']);
  });

  it('memory transferred to another thread is not taken back', () => {
    const a = takeBody(500_000);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(a.buffer, [a.buffer as ArrayBuffer]);
    port1.close();
    port2.close();
    expect(a.buffer.byteLength).toBe(0);
    const before = bodyPoolStats().free;
    giveBack(a);
    expect(bodyPoolStats().free).toBe(before);
  });

  it("an actor sends a lent body home only once its call is over and its writes are done; the ingress lends it again", () => {
    const { socket, finish } = fakeSocket();
    const memory = new ArrayBuffer(256 * 1024);
    const body = new Uint8Array(memory, 0, 200_000);
    const home: ArrayBuffer[] = [];
    expect(adoptBody(body, (m) => home.push(m))).toBe(true);
    expect(adoptBody(body, (m) => home.push(m))).toBe(false); // one loan at a time
    expect(adoptBody(new Uint8Array(new ArrayBuffer(1024)), () => {})).toBe(false); // small: a copy, not lent memory
    socket.write(body);
    giveBack(body);
    expect(home).toEqual([]);
    finish();
    expect(home.length === 1 && home[0] === memory).toBe(true);
    acceptBody(memory);
    const next = takeBody(210_000);
    expect(next.buffer === memory).toBe(true);
    giveBack(next);
  });

  it("a lazy reader of a body given back fails instead of reading the next request's bytes", () => {
    const a = takeBody(70_000);
    const text = Buffer.from(JSON.stringify({ messages: [{ role: 'user', content: 'secret of request A' }] }));
    text.copy(a);
    const raw = a.subarray(0, text.length);
    expect(parseJsonSpan(raw, 0, raw.length)).toEqual(JSON.parse(text.toString()));
    giveBack(raw);
    expect(() => parseJsonSpan(raw, 0, raw.length)).toThrow(/after its request ended/);
    const b = takeBody(70_000);
    expect(b.buffer === a.buffer).toBe(true);
    giveBack(b);
  });
});
