import http from "node:http";
import { pipeline } from "node:stream/promises";
import { Pool } from "undici";
const HOP_BY_HOP = /* @__PURE__ */ new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host"]);
const pool = new Pool(process.env.NULL_PROXY_UPSTREAM ?? "http://127.0.0.1:1");
function endToEnd(headers) {
  const out = {};
  for (const [k, v] of Object.entries(headers)) if (v !== void 0 && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}
const server = http.createServer(async (req, res) => {
  try {
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const up = await pool.request({
      method: req.method,
      path: req.url ?? "/",
      headers: endToEnd(req.headers),
      body: hasBody ? req : null
    });
    res.writeHead(up.statusCode, endToEnd(up.headers));
    await pipeline(up.body, res);
  } catch (err) {
    if (res.headersSent) res.destroy(err);
    else res.writeHead(502, { "content-type": "application/json" }).end('{"error":{"message":"null proxy: upstream failed","type":"server_error","param":null,"code":null}}');
  }
});
server.keepAliveTimeout = 6e4;
server.listen(Number(process.env.NULL_PROXY_PORT ?? 0), "127.0.0.1", () => {
  console.log(`null-proxy listening on ${server.address().port}`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => process.exit(0));
