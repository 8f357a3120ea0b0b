// A 1.x SDK STDIO server that, like some servers of other SDKs, silently drops every request that
// comes before `initialize` (it answers nothing, so a client probing it only learns by waiting);
// with `--exit-early` it exits on such a request instead. Tools: `echo`.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const server = new Server({ name: 'quiet-legacy', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({
  tools: [{ name: 'echo', description: 'Echoes the message.', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } }],
}));
server.setRequestHandler(CallToolRequestSchema, (request) => ({ content: [{ type: 'text', text: `quiet echo: ${String(request.params.arguments?.message)}` }] }));
const transport = new StdioServerTransport();
await server.connect(transport);
const handle = transport.onmessage;
let initialized = false;
transport.onmessage = (message, extra) => {
  if ('method' in message && message.method === 'initialize') initialized = true;
  if (!initialized && 'method' in message && 'id' in message) {
    if (process.argv.includes('--exit-early')) process.exit(3);
    return;
  }
  handle?.(message, extra);
};
