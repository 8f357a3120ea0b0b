// cancel-server.mjs built with the v2 server SDK (`serveStdio`: 2026-07-28 for a client that opens
// with `server/discover`, so the gateway reaches it through its v2 client): `wait` notes that it
// started and waits until cancelled (or 20 s), recording the reason; `seen` answers `{ started, cancelled }`.
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

const started = [];
const reasons = [];

function buildServer() {
  const server = new Server({ name: 'cancel-server-v2', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [
    { name: 'wait', description: 'Waits until cancelled.', inputSchema: { type: 'object', properties: { label: { type: 'string' } } } },
    { name: 'seen', description: 'The waits begun and the cancels seen so far.', inputSchema: { type: 'object' } },
  ] }));
  server.setRequestHandler('tools/call', (request, ctx) => {
    if (request.params.name === 'seen') return { content: [{ type: 'text', text: JSON.stringify({ started, cancelled: reasons }) }] };
    const label = String(request.params.arguments?.label);
    const signal = ctx.mcpReq.signal;
    started.push(label);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve({ content: [{ type: 'text', text: `${label}: not cancelled` }] }), 20_000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reasons.push(`${label}: ${String(signal.reason)}`);
        resolve({ content: [{ type: 'text', text: 'cancelled' }] });
      }, { once: true });
    });
  });
  return server;
}
serveStdio(() => buildServer(), { legacy: 'serve' });
