import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that went through the proxy, as the upstream MCP server saw it. */
export interface ProxiedRequest {
  httpMethod: string;
  /** The JSON-RPC method of a POST's body (null for GET, DELETE, batches or bodies that are not JSON). */
  method: string | null;
  /** The names of its params (`name`, `arguments`, `inputResponses`...). */
  params: string[];
  /** `Mcp-Session-Id` the client sent, and the one the server answered with. */
  sessionSent: string | null;
  sessionIssued: string | null;
  protocolVersion: string | null;
  status: number;
}

/** How the proxy answers a POST of `server/discover` itself instead of passing it on. */
export type DiscoverRefusal = { status: 404 } | { methodNotFound: true };

export interface RecordingProxy {
  url: string;
  seen: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP proxy in front of a real MCP server that records what each request carried (its
 * JSON-RPC method, session ids both ways) and passes the bytes through untouched, streams included.
 * With `refuse`, it answers `server/discover` the way servers of the earlier protocol revisions do
 * (a 404, or a JSON-RPC "method not found"), so the server behind it looks like a legacy one.
 */
export async function startRecordingProxy(target: string, refuse: DiscoverRefusal | null = null): Promise<RecordingProxy> {
  const to = new URL(target);
  const seen: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: ProxiedRequest = {
        httpMethod: req.method ?? '', ...methodOf(body), sessionSent: one(req.headers['mcp-session-id']), sessionIssued: null,
        protocolVersion: one(req.headers['mcp-protocol-version']), status: 0,
      };
      seen.push(entry);
      if (refuse !== null && entry.method === 'server/discover') return answerRefusal(res, entry, refuse, body);
      const upstream = http.request(to, { method: req.method, headers: { ...req.headers, host: to.host } }, (up) => {
        entry.status = up.statusCode ?? 0;
        entry.sessionIssued = one(up.headers['mcp-session-id']);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      // A client that goes away (a listen stream closed, a cancelled call) closes the upstream request too.
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${to.pathname}`, seen,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function answerRefusal(res: http.ServerResponse, entry: ProxiedRequest, refuse: DiscoverRefusal, body: Buffer): void {
  if ('status' in refuse) {
    entry.status = refuse.status;
    res.writeHead(refuse.status, { 'content-type': 'text/plain' });
    res.end('Not Found');
    return;
  }
  entry.status = 200;
  let id: unknown = null;
  try {
    id = (JSON.parse(body.toString('utf8')) as { id?: unknown }).id ?? null;
  } catch { /* keep null */ }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: 'Method not found' } }));
}

function methodOf(body: Buffer): { method: string | null; params: string[] } {
  if (body.length === 0) return { method: null, params: [] };
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { method?: unknown; params?: unknown };
    const params = typeof parsed.params === 'object' && parsed.params !== null ? Object.keys(parsed.params) : [];
    return { method: typeof parsed.method === 'string' ? parsed.method : null, params };
  } catch {
    return { method: null, params: [] };
  }
}

function one(value: string | string[] | undefined): string | null {
  return Array.isArray(value) ? value[0] ?? null : value ?? null;
}
