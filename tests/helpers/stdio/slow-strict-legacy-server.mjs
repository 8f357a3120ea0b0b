// A 1.x-SDK STDIO server (server-everything's tools are not needed: one `ping`-able echo tool) that starts
// slowly (reads nothing for --start-delay-ms) and, like servers of SDKs that are strict about the
// lifecycle, exits when its first message is anything but `initialize`.
import { createInterface } from 'node:readline';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const i = process.argv.indexOf('--start-delay-ms');
const delay = i >= 0 ? Number(process.argv[i + 1]) : 0;
process.stdin.pause();
await new Promise((r) => setTimeout(r, delay));
// Peek at the first line: not initialize -> exit (as a strict server would).
const first = await new Promise((resolve) => {
  let buf = '';
  const onData = (chunk) => {
    buf += chunk.toString('utf8');
    const nl = buf.indexOf('\n');
    if (nl >= 0) { process.stdin.off('data', onData); process.stdin.pause(); resolve(buf); }
  };
  process.stdin.on('data', onData);
  process.stdin.resume();
});
const msg = JSON.parse(first.slice(0, first.indexOf('\n')));
if (msg.method !== 'initialize') { process.stderr.write(`strict server: ${msg.method} before initialize, exiting\n`); process.exit(1); }
const server = new Server({ name: 'slow-strict', version: '1.0.0' }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [{ name: 'hello', inputSchema: { type: 'object' } }] }));
const transport = new StdioServerTransport();
await server.connect(transport);
// Hand the already-read bytes to the SDK's transport.
process.stdin.unshift(Buffer.from(first, 'utf8'));
process.stdin.resume();
