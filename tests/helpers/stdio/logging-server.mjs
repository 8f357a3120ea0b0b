// A v2-SDK STDIO server (both eras) with logging: its `chatty` tool logs one line for the call, then answers;
// its `together` tool waits until two calls of it are under way, then each logs one line and answers.
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

let waiting = [];
function bothArrived() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (waiting.length === 2) { for (const r of waiting) r(); waiting = []; }
  });
}

function buildServer() {
  const server = new Server({ name: 'logging-stdio-server', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [
    { name: 'chatty', description: 'Logs, then answers.', inputSchema: { type: 'object' } },
    { name: 'together', description: 'Waits for a second call, logs, then answers.', inputSchema: { type: 'object' } },
  ] }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    if (request.params.name === 'together') {
      await bothArrived();
      await ctx.mcpReq.log('info', 'hello from together');
      return { content: [{ type: 'text', text: 'said hello together' }] };
    }
    await ctx.mcpReq.log('info', 'hello from chatty');
    return { content: [{ type: 'text', text: 'said hello' }] };
  });
  return server;
}
serveStdio(() => buildServer(), { legacy: process.argv.includes('--modern-only') ? 'reject' : 'serve' });
