/**
 * The floor for any Node proxy: node:http in, undici Pool out, nothing else (no parse, no auth).
 * NULL_PROXY_UPSTREAM=http://127.0.0.1:<port> [NULL_PROXY_PORT=0]; prints `null-proxy listening on <port>`.
 * `pool.stream` writes the upstream body straight into the response; `request` + `pipeline` cost
 * twice the CPU per request here, which would flatter every gateway/null ratio.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool, type Dispatcher } from 'undici';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const pool = new Pool(process.env.NULL_PROXY_UPSTREAM ?? 'http://127.0.0.1:1');

function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in headers) if (headers[k] !== undefined && !HOP_BY_HOP.has(k)) out[k] = headers[k];
  return out;
}

const server = http.createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream(
    { method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: endToEnd(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => res.writeHead(statusCode, endToEnd(headers)),
    (err) => {
      if (!err) return;
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"null proxy: upstream failed","type":"server_error","param":null,"code":null}}');
    },
  );
});
server.keepAliveTimeout = 60_000;
// A listen backlog as deep as the kernel allows (Node's default is 511): P8 opens thousands of
// connections within seconds, and a shallow queue would fail them before the proxy saw them.
server.listen({ port: Number(process.env.NULL_PROXY_PORT ?? 0), host: '127.0.0.1', backlog: 65_535 }, () => {
  console.log(`null-proxy listening on ${(server.address() as AddressInfo).port}`);
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(0));
