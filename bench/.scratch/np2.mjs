import http from 'node:http';
import { Pool } from 'undici';
const pool = new Pool(process.env.UP);
const variant = process.env.V;
http.createServer(async (req, res) => {
  let body = req;
  if (variant !== 'stream') { const parts=[]; for await (const c of req) parts.push(c); body = Buffer.concat(parts); }
  const h = {...req.headers}; delete h.host; delete h.connection;
  const up = await pool.request({ method: req.method, path: req.url, headers: h, body });
  const oh = {...up.headers}; delete oh['transfer-encoding']; delete oh.connection;
  res.writeHead(up.statusCode, oh);
  for await (const c of up.body) res.write(c);
  res.end();
}).listen(0, '127.0.0.1', function(){ console.log(this.address().port) });
