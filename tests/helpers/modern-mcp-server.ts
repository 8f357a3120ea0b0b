import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createMcpHandler, inputRequired, Server } from '@modelcontextprotocol/server';

type Item = Record<string, unknown>;

/** What a handler of the v2 server SDK reads of a retried request (the documented `ctx.mcpReq` accessors). */
interface RetryContext {
  mcpReq: {
    requestState(): unknown; inputResponses?: Record<string, unknown>;
    /** Aborted when the request is cancelled (over HTTP: the client gave up the request). */
    signal: AbortSignal;
    /** Sends a log line on the request's stream, when the request's envelope names a level it passes. */
    log(level: string, data: unknown, logger?: string): Promise<void>;
  };
}

/**
 * A 2026-07-28-only MCP server built with the v2 server SDK (`createMcpHandler`, legacy requests
 * refused), served over node:http. Its tools use the multi-round-trip pattern:
 * - `interview`: asks for the caller's name (elicitation), then for a poem about it (sampling), then
 *   answers `<name>: <poem>`; the rounds are told apart by the request state it minted;
 * - `forever`: answers `input_required` with only a request state, every time;
 * - `flood`: asks 50 questions at once; `deep`: answers with structured content nested 300 levels;
 * - `survey`: asks for a form whose `color` and `size` have defaults, then answers with the JSON of
 *   the content it got;
 * - `chatty`: logs one line at each of debug, info, warning and error while it runs (each sent only
 *   when the request's log level lets it through, as the SDK does), then answers `said what it had to`;
 * - `wait`: notes its `label` and waits until the call is cancelled (20 s at most), recording the
 *   reason; `seen` answers `{ started, cancelled }` (the labels begun, the cancels recorded).
 * Its resource `memo://one` is read with the cache hints of a public, hour-long entry. `port`: where
 * to listen (0: any free port), to bring a stopped server back where the gateway knows it.
 */
export async function startModernMcpServer(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  const handler = createMcpHandler(() => buildServer(), { legacy: 'reject' });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
      const hasBody = req.method === 'POST';
      // The client going away aborts the request, as a web server's would (handlers see it as cancellation).
      const gone = new AbortController();
      res.on('close', () => { if (!res.writableFinished) gone.abort(new Error('the client closed the request')); });
      const request = new Request(`http://${req.headers.host}${req.url ?? '/'}`, { method: req.method, headers, body: hasBody ? Buffer.concat(chunks) : undefined, signal: gone.signal });
      handler.fetch(request).then((response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body === null) return void res.end();
        const body = Readable.fromWeb(response.body as WebReadableStream);
        res.on('close', () => body.destroy());
        body.pipe(res);
      }, () => {
        res.writeHead(500);
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    close: async () => {
      await handler.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What `wait` and `seen` share (one per process: every server instance of the handler sees it). */
const waits: { started: string[]; cancelled: string[] } = { started: [], cancelled: [] };

function waitUntilCancelled(label: string, signal: AbortSignal): Promise<Item> {
  waits.started.push(label);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ content: [{ type: 'text', text: `${label}: not cancelled` }] }), 20_000);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      waits.cancelled.push(`${label}: ${String(signal.reason)}`);
      resolve({ content: [{ type: 'text', text: 'cancelled' }] });
    }, { once: true });
  });
}

function buildServer(): Server {
  const server = new Server({ name: 'modern-test-server', version: '1.0.0' }, {
    capabilities: { tools: {}, resources: {}, logging: {} },
    cacheHints: { 'resources/read': { ttlMs: 3_600_000, cacheScope: 'public' } },
  });
  server.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'interview', description: 'Asks who you are, then writes you a poem.', inputSchema: { type: 'object' } },
      { name: 'forever', description: 'Never has enough input.', inputSchema: { type: 'object' } },
      { name: 'flood', description: 'Asks 50 questions at once.', inputSchema: { type: 'object' } },
      { name: 'deep', description: 'Answers with structured content nested 300 levels deep.', inputSchema: { type: 'object' } },
      { name: 'chatty', description: 'Logs a line at four levels while it runs.', inputSchema: { type: 'object' } },
      { name: 'survey', description: 'Asks for a form with defaults and answers with what it got.', inputSchema: { type: 'object' } },
      { name: 'wait', description: 'Waits until cancelled (20 s at most).', inputSchema: { type: 'object', properties: { label: { type: 'string' } } } },
      { name: 'seen', description: 'The waits begun and the cancels seen so far.', inputSchema: { type: 'object' } },
    ],
  }));
  server.setRequestHandler('tools/call', async (request, ctx) => {
    const context = ctx as unknown as RetryContext;
    if (request.params.name === 'wait') return waitUntilCancelled(String(request.params.arguments?.label), context.mcpReq.signal) as never;
    if (request.params.name === 'seen') return { content: [{ type: 'text', text: JSON.stringify(waits) }] };
    if (request.params.name === 'chatty') {
      for (const level of ['debug', 'info', 'warning', 'error']) await context.mcpReq.log(level, `${level} line`, 'chatty');
      return { content: [{ type: 'text', text: 'said what it had to' }] };
    }
    return callTool(request.params.name, context) as never;
  });
  server.setRequestHandler('resources/list', () => ({ resources: [{ uri: 'memo://one', name: 'one' }] }));
  server.setRequestHandler('resources/read', (request) => ({ contents: [{ uri: request.params.uri, text: 'remember this' }] }));
  return server;
}

function callTool(name: string, ctx: RetryContext): Item {
  const state = ctx.mcpReq.requestState();
  const answers = ctx.mcpReq.inputResponses ?? {};
  if (name === 'forever') return inputRequired({ requestState: 'again' }) as unknown as Item;
  if (name === 'flood') {
    const inputRequests = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`q${i}`, { method: 'elicitation/create', params: { mode: 'form', message: `question ${i}`, requestedSchema: { type: 'object', properties: {} } } }]));
    return inputRequired({ inputRequests, requestState: 'flooded' } as never) as unknown as Item;
  }
  if (name === 'survey') {
    if (state === undefined) {
      const requestedSchema = {
        type: 'object',
        properties: { name: { type: 'string' }, color: { type: 'string', default: 'blue' }, size: { type: 'number', default: 3 } },
      };
      return inputRequired({ inputRequests: { form: { method: 'elicitation/create', params: { mode: 'form', message: 'Tell me', requestedSchema } } }, requestState: 'asked-survey' } as never) as unknown as Item;
    }
    return { content: [{ type: 'text', text: JSON.stringify((answers.form as { content?: unknown } | undefined)?.content ?? null) }] };
  }
  if (name === 'deep') {
    let deep: Item = { leaf: true };
    for (let i = 0; i < 300; i++) deep = { d: deep };
    return { content: [{ type: 'text', text: 'deep' }], structuredContent: deep };
  }
  if (state === undefined) {
    return inputRequired({
      inputRequests: {
        who: { method: 'elicitation/create', params: { mode: 'form', message: 'Who are you?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } } },
      },
      requestState: 'asked-name',
    } as never) as unknown as Item;
  }
  if (state === 'asked-name') {
    const who = ((answers.who as { content?: { name?: unknown } } | undefined)?.content?.name);
    const person = typeof who === 'string' ? who : 'nobody';
    return inputRequired({
      inputRequests: {
        poem: { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: `a poem for ${person}` } }], maxTokens: 50 } },
      },
      requestState: `name:${person}`,
    } as never) as unknown as Item;
  }
  const poem = (answers.poem as { content?: { text?: unknown } } | undefined)?.content?.text;
  return { content: [{ type: 'text', text: `${String(state).slice('name:'.length)}: ${String(poem)}` }] };
}
