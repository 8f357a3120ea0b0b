// A v2-SDK STDIO server (both eras) with logging: its `chatty` tool logs one line for the call, then answers.
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

function buildServer() {
  const server = new Server({ name: 'logging-stdio-server', version: '1.0.0' }, { capabilities: { tools: {}, logging: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: [{ name: 'chatty', description: 'Logs, then answers.', inputSchema: { type: 'object' } }] }));
  server.setRequestHandler('tools/call', async (_request, ctx) => {
    await ctx.mcpReq.log('info', 'hello from chatty');
    return { content: [{ type: 'text', text: 'said hello' }] };
  });
  return server;
}
serveStdio(() => buildServer(), { legacy: process.argv.includes('--modern-only') ? 'reject' : 'serve' });
