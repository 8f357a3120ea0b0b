/**
 * The floor for any Node proxy: node:http in, undici Pool out, nothing else (no parse, no auth).
 * NULL_PROXY_UPSTREAM=http://127.0.0.1:<port> [NULL_PROXY_PORT=0]; prints `null-proxy listening on <port>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const pool = new Pool(process.env.NULL_PROXY_UPSTREAM ?? 'http://127.0.0.1:1');

function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

const server = http.createServer(async (req, res) => {
  try {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const up = await pool.request({
      method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: endToEnd(req.headers), body: hasBody ? req : null,
    });
    res.writeHead(up.statusCode, endToEnd(up.headers));
    await pipeline(up.body, res);
  } catch (err) {
    if (res.headersSent) res.destroy(err as Error);
    else res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"null proxy: upstream failed","type":"server_error","param":null,"code":null}}');
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.NULL_PROXY_PORT ?? 0), '127.0.0.1', () => {
  console.log(`null-proxy listening on ${(server.address() as AddressInfo).port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(0));
