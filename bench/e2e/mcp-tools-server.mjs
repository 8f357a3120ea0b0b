#!/usr/bin/env node
// A minimal MCP server for the MCP benchmarks: `node mcp-tools-server.mjs <tools> [stdio|http <port>]`.
// Serves <tools> tools named tool_0.. (each echoes its `text` argument). Plain JS so ten of them start fast.
import http from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const count = Number(process.argv[2] ?? 50);
const mode = process.argv[3] ?? 'stdio';

function build() {
  const server = new McpServer({ name: 'bench-tools', version: '1.0.0' });
  for (let i = 0; i < count; i++) {
    server.registerTool(`tool_${i}`, {
      title: `Tool ${i}`, description: `Benchmark tool number ${i}; echoes its text argument back.`,
      inputSchema: { text: z.string().describe('text to echo') }, annotations: { readOnlyHint: true },
    }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
  }
  return server;
}

if (mode === 'stdio') {
  await build().connect(new StdioServerTransport());
} else {
  const sessions = new Map();
  const srv = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const sid = req.headers['mcp-session-id'];
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => crypto.randomUUID(), onsessioninitialized: (id) => sessions.set(id, transport) });
      await build().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  srv.listen(Number(process.argv[4] ?? 0), '127.0.0.1', () => process.stderr.write(`listening ${srv.address().port}\n`));
}
