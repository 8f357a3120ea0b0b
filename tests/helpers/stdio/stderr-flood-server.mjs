// A 1.x-SDK STDIO server that first writes --flood-mb MB of stderr with no newline (then a newline and one
// short line), then serves one tool, `hello`.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const i = process.argv.indexOf('--flood-mb');
const mb = i >= 0 ? Number(process.argv[i + 1]) : 50;
const block = Buffer.alloc(1024 * 1024, 'x');
const write = (data) => new Promise((resolve) => { if (process.stderr.write(data)) resolve(); else process.stderr.once('drain', resolve); });
for (let k = 0; k < mb; k++) await write(block);
await write('\nafter the flood\n');
const server = new Server({ name: 'stderr-flood', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [{ name: 'hello', inputSchema: { type: 'object' } }] }));
server.setRequestHandler(CallToolRequestSchema, () => ({ content: [{ type: 'text', text: 'still here' }] }));
await server.connect(new StdioServerTransport());
