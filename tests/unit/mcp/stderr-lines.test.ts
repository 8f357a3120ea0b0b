import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_STDERR_LINE, StderrLineSplitter } from '../../../src/mcp/stderr-lines.js';
import { createUpstreamTransport } from '../../../src/mcp/upstream-transport.js';
import type { McpServerRuntime } from '../../../src/workers/index.js';

/** A STDIO server's stderr, line by line, with no line held beyond the cap however long the server writes. */
describe('StderrLineSplitter', () => {
  it('splits LF and CRLF lines across chunks, and reports a last line without newline at the end', () => {
    const lines: string[] = [];
    const s = new StderrLineSplitter((l) => lines.push(l));
    for (const c of ['one\r', '\ntw', 'o\n\nthr', 'ee']) s.push(Buffer.from(c));
    expect(lines).toEqual(['one', 'two', '']);
    s.end();
    expect(lines).toEqual(['one', 'two', '', 'three']);
  });

  it('keeps a multibyte character split over two chunks whole', () => {
    const lines: string[] = [];
    const s = new StderrLineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('héllo\n');
    s.push(bytes.subarray(0, 2));
    s.push(bytes.subarray(2));
    expect(lines).toEqual(['héllo']);
  });

  it('cuts a 50 MB line at the cap, holding no more than the cap, and counts what it dropped', () => {
    const lines: string[] = [];
    const s = new StderrLineSplitter((l) => lines.push(l));
    const chunk = Buffer.alloc(64 * 1024 + 7, 'x');
    let total = 0;
    while (total < 50 * 1024 * 1024) {
      s.push(chunk);
      total += chunk.length;
    }
    s.push(Buffer.from('\nnext\n'));
    expect(s.maxHeld).toBe(MAX_STDERR_LINE);
    expect(s.dropped).toBe(total - MAX_STDERR_LINE);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(`${'x'.repeat(MAX_STDERR_LINE)} [… line cut by LocalRouter at ${MAX_STDERR_LINE} bytes; the rest of it is dropped]`);
    expect(lines[1]).toBe(`[… LocalRouter dropped ${total - MAX_STDERR_LINE} more bytes of the cut line]`);
    expect(lines[2]).toBe('next');
  });
});

describe('STDIO transport stderr', () => {
  it('reports a real server\'s 50 MB stderr line cut, then its next line, and the server still answers', async () => {
    const server = {
      name: 'flood', transport: 'stdio', command: process.execPath,
      args: [path.resolve('tests/helpers/stdio/stderr-flood-server.mjs'), '--flood-mb', '50'], env: {}, headers: {},
    } as unknown as McpServerRuntime;
    const lines: string[] = [];
    let after: () => void;
    const flooded = new Promise<void>((r) => { after = r; });
    const transport = createUpstreamTransport(server, {
      onStderr: (l) => { lines.push(l); if (l === 'after the flood') after(); },
      onSend: () => undefined,
    });
    const answers: unknown[] = [];
    transport.onmessage = (m) => answers.push(m);
    await transport.start();
    await flooded;
    expect(lines).toEqual([
      `${'x'.repeat(MAX_STDERR_LINE)} [… line cut by LocalRouter at ${MAX_STDERR_LINE} bytes; the rest of it is dropped]`,
      `[… LocalRouter dropped ${50 * 1024 * 1024 - MAX_STDERR_LINE} more bytes of the cut line]`,
      'after the flood',
    ]);
    await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBe(1);
    await transport.close();
  }, 60_000);
});
