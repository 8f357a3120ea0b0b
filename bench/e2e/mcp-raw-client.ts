/**
 * A bare Streamable HTTP MCP client for the MCP benchmark: one keep-alive connection (undici Pool),
 * hand-written JSON-RPC, no schema parsing. Its own cost is small and the same for every target, so
 * what differs between two targets is the server side.
 */
import { Pool } from 'undici';

const PROTOCOL = '2025-11-25';

export class RawMcp {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  #nextId = 1;

  constructor(url: string, headers: Record<string, string> = {}) {
    const u = new URL(url);
    this.#pool = new Pool(u.origin, { connections: 1, pipelining: 1 });
    this.#path = `${u.pathname}${u.search}`;
    this.#headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
  }

  async initialize(): Promise<void> {
    const res = await this.#pool.request({
      path: this.#path, method: 'POST', headers: this.#headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
    });
    await res.body.text();
    const sid = res.headers['mcp-session-id'];
    if (res.statusCode !== 200 || typeof sid !== 'string') throw new Error(`initialize failed: ${res.statusCode}`);
    this.#headers['mcp-session-id'] = sid;
    this.#headers['mcp-protocol-version'] = PROTOCOL;
    const ack = await this.#pool.request({ path: this.#path, method: 'POST', headers: this.#headers, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
    await ack.body.text();
  }

  /** One request; returns the JSON text of its response (from a JSON body or the SSE event carrying it). */
  async request(method: string, params: Record<string, unknown> = {}): Promise<string> {
    const id = this.#nextId++;
    const res = await this.#pool.request({ path: this.#path, method: 'POST', headers: this.#headers, body: JSON.stringify({ jsonrpc: '2.0', id, method, params }) });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${method}: HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const json = String(res.headers['content-type']).startsWith('text/event-stream') ? lastData(text) : text;
    if (!json.includes('"result"')) throw new Error(`${method}: no result: ${json.slice(0, 200)}`);
    return json;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function lastData(sse: string): string {
  const at = sse.lastIndexOf('\ndata: ');
  const start = at < 0 ? sse.indexOf('data: ') : at + 1;
  if (start < 0) return '';
  const end = sse.indexOf('\n', start);
  return sse.slice(start + 6, end < 0 ? undefined : end);
}
