import Database from 'better-sqlite3';
import fs from 'node:fs';
const N = 50000, B = 5000;
const cols = 'id, ts, client, provider, model, op, status, ec, ecl, lat, ttft, p, c, ca, re, cost, streamed, attempts';
function setup(file, idx) {
  for (const s of ['', '-wal', '-shm']) fs.rmSync(file + s, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL'); db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE r (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts INTEGER NOT NULL, client TEXT, provider TEXT, model TEXT, op TEXT, status INTEGER, ec TEXT, ecl TEXT, lat REAL, ttft REAL, p INTEGER, c INTEGER, ca INTEGER, re INTEGER, cost REAL, streamed INTEGER, attempts TEXT, rb TEXT, sb TEXT)`);
  if (idx === 'unique') db.exec('CREATE UNIQUE INDEX ri ON r(id); CREATE INDEX rt ON r(ts);');
  if (idx === 'plain') db.exec('CREATE INDEX ri ON r(id); CREATE INDEX rt ON r(ts);');
  if (idx === 'ts') db.exec('CREATE INDEX rt ON r(ts);');
  return db;
}
const mk = (i) => ({ id: `gen-${Math.random().toString(36).slice(2)}${i}`, ts: Date.now(), client: 'bench', provider: 'mock', model: 'mock/bench-model', op: 'chat', status: 200, ec: null, ecl: null, lat: 1.234, ttft: 0.9, p: 38, c: 64, ca: 0, re: 0, cost: 0.000166, streamed: 1, attempts: [{ provider: 'mock', model: 'bench-model', status: 200, error_code: null, duration_ms: 0.8 }] });
function time(label, fn) {
  const t0 = process.hrtime.bigint();
  for (let b = 0; b < N; b += B) { const rows = []; for (let i = 0; i < B; i++) rows.push(mk(b + i)); fn(rows); }
  console.log(label.padEnd(44), (Number(process.hrtime.bigint() - t0) / N / 1000).toFixed(2), 'µs/row');
}
for (const idx of ['unique', 'plain', 'ts']) {
  let db = setup('/tmp/sb.db', idx);
  const ins = db.prepare(`INSERT OR IGNORE INTO r (${cols}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`);
  const tx = db.transaction((rows) => { for (const r of rows) ins.run(r.id, r.ts, r.client, r.provider, r.model, r.op, r.status, r.ec, r.ecl, r.lat, r.ttft, r.p, r.c, r.ca, r.re, r.cost, r.streamed, JSON.stringify(r.attempts)); });
  time(`params/row, ${idx}`, tx);
  db.close();
  db = setup('/tmp/sb.db', idx);
  const bulk = db.prepare(`INSERT OR IGNORE INTO r (${cols}) SELECT value->>'id', value->>'ts', value->>'client', value->>'provider', value->>'model', value->>'op', value->>'status', value->>'ec', value->>'ecl', value->>'lat', value->>'ttft', value->>'p', value->>'c', value->>'ca', value->>'re', value->>'cost', value->>'streamed', value->'attempts' FROM json_each(?)`);
  time(`json_each bulk, ${idx}`, (rows) => bulk.run(JSON.stringify(rows)));
  db.close();
}
for (const s of ['', '-wal', '-shm']) fs.rmSync('/tmp/sb.db' + s, { force: true });
