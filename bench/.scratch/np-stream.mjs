import http from 'node:http';
import { Pool } from 'undici';
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);
const pool = new Pool(process.env.NULL_PROXY_UPSTREAM);
function e2e(h) { const o = {}; for (const k in h) if (h[k] !== undefined && !HOP.has(k)) o[k] = h[k]; return o; }
http.createServer((req, res) => {
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  pool.stream({ method: req.method, path: req.url, headers: e2e(req.headers), body: hasBody ? req : null },
    ({ statusCode, headers }) => { res.writeHead(statusCode, e2e(headers)); return res; },
    (err) => { if (err) { if (res.headersSent) res.destroy(err); else res.writeHead(502).end(); } });
}).listen(0, '127.0.0.1', function () { console.log(`null-proxy listening on ${this.address().port}`); });
