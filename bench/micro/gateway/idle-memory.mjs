// Idle memory and start time of `localrouter serve`: launch → first /health 200, then RSS and thread
// count read from /proc at given points after that. Usage:
//   node bench/micro/gateway/idle-memory.mjs [--starts N] [--at 2000,30000] [--root dir[,dir2...]]
//     [--config a.yaml[,b.yaml...]]   (put as config.yaml into the fresh LOCALROUTER_HOME; default: none)
//     [--node-args '--flag ...']
// Every root runs with every config; starts are interleaved (A B A B ...) so all see the same load.
// Prints one line per start and the medians per root. Linux only (/proc).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const starts = Number(opt('starts', '5'));
const at = opt('at', '2000,30000').split(',').map(Number);
const roots = opt('root', new URL('../../../', import.meta.url).pathname).split(',');
const configs = (opt('config', '') || '').split(',').map((c) => c || null);
const extraArgs = opt('node-args', '').split(' ').filter(Boolean);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procStatus(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, threads: kb('Threads'), anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
}

/** Polls /health 5 ms apart (it answers before the gateway prints its address); true on the first 200. */
async function waitHealth(port, deadline) {
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.status === 200) return true;
    } catch { /* not yet */ }
    await sleep(5);
  }
  return false;
}

/** A port free right now (the OS picks it; released before the gateway binds it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function once(root, configFile) {
  const home = mkdtempSync(path.join(tmpdir(), 'lr-mem-'));
  const env = { ...process.env, LOCALROUTER_HOME: home, LOCALROUTER_LOG_LEVEL: 'warn' };
  if (configFile) writeFileSync(path.join(home, 'config.yaml'), readFileSync(configFile));
  const t0 = performance.now();
  const port = await freePort();
  const child = spawn(process.execPath, [...extraArgs, path.join(root, 'bin/localrouter'), 'serve', '--port', String(port)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const ok = await waitHealth(port, Date.now() + 15000);
  const healthMs = performance.now() - t0;
  if (!ok) { child.kill('SIGKILL'); throw new Error(`no /health from ${root}: ${stderr}`); }
  const tHealth = performance.now();
  const points = [];
  for (const ms of at) {
    await sleep(Math.max(0, ms - (performance.now() - tHealth)));
    points.push(procStatus(child.pid));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(home, { recursive: true, force: true });
  return { healthMs, points };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const variants = roots.flatMap((root) => configs.map((config) => ({ root, config, label: `${path.basename(root.replace(/\/$/, ''))}${config ? ` ${path.basename(config)}` : ''}` })));
const results = new Map(variants.map((v) => [v.label, []]));
for (let i = 0; i < starts; i++) {
  for (const v of variants) {
    const r = await once(v.root, v.config);
    results.get(v.label).push(r);
    console.log(`${v.label} #${i + 1}: health ${r.healthMs.toFixed(0)} ms; ${r.points.map((p, j) => `@${at[j]}ms rss ${p.rssMb.toFixed(1)} MB (anon ${p.anonMb.toFixed(1)}) threads ${p.threads}`).join('; ')}`);
  }
}
for (const [label, rs] of results) {
  console.log(`median ${label}: health ${median(rs.map((r) => r.healthMs)).toFixed(0)} ms; ${at.map((ms, j) => `@${ms}ms rss ${median(rs.map((r) => r.points[j].rssMb)).toFixed(1)} MB threads ${median(rs.map((r) => r.points[j].threads))}`).join('; ')}`);
}
