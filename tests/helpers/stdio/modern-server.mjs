// A STDIO MCP server built with the v2 server SDK (`serveStdio`: it speaks 2026-07-28 to a client
// that opens with `server/discover`, and 2025-era `initialize` sessions to the others). Tools:
// - `echo`: answers `modern echo: <message>`;
// - `interview`: asks for the caller's name (elicitation), then for a poem about it (sampling), and
//   answers `<name>: <poem>`; on 2026-07-28 each round is an `input_required` result whose request
//   state says which round it is, so concurrent calls of several clients stand alone;
// - `grow`: adds a tool `grown` and says the tool list changed;
// - `roots`: asks for the client's roots and answers their URIs;
// - `deep`: answers with structured content nested 300 levels deep.
// With `--start-delay-ms <ms>` it reads nothing for that long after it starts (a slow start); with
// `--modern-only` it refuses `initialize` (a connection is then 2026-07-28 or nothing).
import { inputRequired, Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

let grown = false;

function buildServer() {
  const server = new Server({ name: 'modern-stdio-server', version: '1.0.0' }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'echo', description: 'Echoes the message.', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
      { name: 'interview', description: 'Asks who you are, then writes you a poem.', inputSchema: { type: 'object' } },
      { name: 'grow', description: 'Adds a tool.', inputSchema: { type: 'object' } },
      { name: 'roots', description: 'Lists the client\'s roots.', inputSchema: { type: 'object' } },
      { name: 'deep', description: 'Answers nested 300 levels deep.', inputSchema: { type: 'object' } },
      ...(grown ? [{ name: 'grown', description: 'Added by grow.', inputSchema: { type: 'object' } }] : []),
    ],
  }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const { name, arguments: args } = request.params;
    if (name === 'echo') return { content: [{ type: 'text', text: `modern echo: ${String(args?.message)}` }] };
    if (name === 'grow') {
      grown = true;
      await server.notification({ method: 'notifications/tools/list_changed' });
      return { content: [{ type: 'text', text: 'grown' }] };
    }
    if (name === 'interview') return interview(ctx);
    if (name === 'roots') {
      const answer = ctx.mcpReq.inputResponses?.r;
      if (answer === undefined) return inputRequired({ inputRequests: { r: { method: 'roots/list', params: {} } }, requestState: 'asked-roots' });
      return { content: [{ type: 'text', text: `roots: ${(answer.roots ?? []).map((r) => r.uri).join(' ')}` }] };
    }
    if (name === 'deep') {
      let deep = { leaf: true };
      for (let i = 0; i < 300; i++) deep = { d: deep };
      return { content: [{ type: 'text', text: 'deep' }], structuredContent: deep };
    }
    return { content: [{ type: 'text', text: `no tool ${name}` }], isError: true };
  });
  return server;
}

function interview(ctx) {
  const state = ctx.mcpReq.requestState();
  const answers = ctx.mcpReq.inputResponses ?? {};
  if (state === undefined) {
    return inputRequired({
      inputRequests: {
        who: { method: 'elicitation/create', params: { mode: 'form', message: 'Who are you?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
      },
      requestState: 'asked-name',
    });
  }
  if (state === 'asked-name') {
    const who = answers.who?.content?.name;
    const person = typeof who === 'string' ? who : 'nobody';
    return inputRequired({
      inputRequests: {
        poem: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: `a poem for ${person}` } }], maxTokens: 50 } },
      },
      requestState: `name:${person}`,
    });
  }
  const poem = answers.poem?.content?.text;
  return { content: [{ type: 'text', text: `${String(state).slice('name:'.length)}: ${String(poem)}` }] };
}

const delay = process.argv.indexOf('--start-delay-ms');
if (delay >= 0) await new Promise((resolve) => setTimeout(resolve, Number(process.argv[delay + 1])));
serveStdio(() => buildServer(), { legacy: process.argv.includes('--modern-only') ? 'reject' : 'serve' });
