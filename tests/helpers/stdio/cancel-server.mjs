// A v1-SDK STDIO server that shows what reaches it of a cancel: its `wait` tool notes that it started,
// waits until the call is cancelled (or 20 s) and records the cancel's reason; `seen` answers
// `{ started, cancelled }`: the labels of the waits begun and the cancels recorded so far.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const started = [];
const reasons = [];
const server = new McpServer({ name: 'cancel-server', version: '1.0.0' });
server.registerTool('wait', { description: 'Waits until cancelled.', inputSchema: { label: z.string() } }, ({ label }, extra) => new Promise((resolve) => {
  started.push(label);
  const timer = setTimeout(() => resolve({ content: [{ type: 'text', text: `${label}: not cancelled` }] }), 20_000);
  extra.signal.addEventListener('abort', () => {
    clearTimeout(timer);
    reasons.push(`${label}: ${String(extra.signal.reason)}`);
    resolve({ content: [{ type: 'text', text: 'cancelled' }] });
  }, { once: true });
}));
server.registerTool('seen', { description: 'The waits begun and the cancels seen so far.', inputSchema: {} }, () => ({ content: [{ type: 'text', text: JSON.stringify({ started, cancelled: reasons }) }] }));
await server.connect(new StdioServerTransport());
