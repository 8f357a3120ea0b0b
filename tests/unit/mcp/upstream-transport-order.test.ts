import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { LATEST_PROTOCOL_VERSION, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { ObservedTransport } from '../../../src/mcp/upstream-transport.js';

/**
 * An upstream that answers a tool call with its progress notifications and the result in one go,
 * as a STDIO server's back-to-back writes arrive in one read of its stdout.
 */
class OneReadUpstream implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  constructor(private readonly steps: number) {}
  async start(): Promise<void> {}
  async close(): Promise<void> {}
  async send(message: JSONRPCMessage): Promise<void> {
    if (!('method' in message) || !('id' in message)) return;
    const id = message.id;
    if (message.method === 'initialize') {
      const result = { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: { tools: {} }, serverInfo: { name: 'up', version: '1' } };
      queueMicrotask(() => this.onmessage?.({ jsonrpc: '2.0', id, result }));
      return;
    }
    const token = (message.params as { _meta?: { progressToken?: string | number } })._meta?.progressToken;
    const read: JSONRPCMessage[] = [];
    for (let step = 1; step <= this.steps; step++) {
      read.push({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token!, progress: step, total: this.steps } });
    }
    read.push({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'done' }] } });
    queueMicrotask(() => { for (const m of read) this.onmessage?.(m); });
  }
}

describe('ObservedTransport: progress read together with the response', () => {
  it('reaches the SDK client\'s onprogress before the response settles the call', async () => {
    const observed = new ObservedTransport(new OneReadUpstream(3), { onStderr: () => undefined, onSend: () => undefined }, () => null, 'up');
    const client = new Client({ name: 'localrouter', version: '1' });
    const errors: string[] = [];
    client.onerror = (err) => errors.push(err.message);
    await client.connect(observed);
    const progress: number[] = [];
    const seenAtResult: number[][] = [];
    for (let call = 0; call < 3; call++) {
      progress.length = 0;
      await client.callTool({ name: 't', arguments: {} }, undefined, { onprogress: (p) => progress.push(p.progress) });
      seenAtResult.push([...progress]);
    }
    expect(seenAtResult).toEqual([[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
    expect(errors).toEqual([]);
    await client.close();
  });
});
