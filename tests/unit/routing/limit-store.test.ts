import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { LimitStore, RateLimiter } from '../../../src/routing/index.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'burst-then-kill.ts');
const limits = [{ kind: 'requests' as const, window: 'minute' as const, max: 10 }];
const quiet = { warn: () => {} };
/** Past the journal's write delay (10 ms). */
const journalWritten = () => new Promise((r) => setTimeout(r, 40));

function burstThenKill(home: string, count: number): Promise<{ signal: string | null; out: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, home, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve) => child.on('exit', (_code, signal) => resolve({ signal, out })));
}

describe('LimitStore', () => {
  it('a burst followed by kill -9 does not give the quota back', { timeout: 30_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    const run = await burstThenKill(home, 10);
    expect(run.signal).toBe('SIGKILL');
    expect(run.out.trim()).toBe('10');
    // No snapshot was taken (the process never reached one): only the journal knows.
    expect(fs.existsSync(path.join(home, 'state', 'ratelimits.json'))).toBe(false);
    const limiter = new RateLimiter();
    new LimitStore(home, limiter, quiet).open();
    expect(limiter.admit('c_client', limits, { requests: 1 }).ok).toBe(false);
    expect(limiter.admit('c_other', limits, { requests: 1 }).ok).toBe(true);
  });

  it('charges within the write delay go to the journal in one write, each entry once with its last value', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    const limiter = new RateLimiter();
    const store = new LimitStore(home, limiter, quiet);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    try {
      store.open();
      const journal = path.join(home, 'state', 'ratelimits.journal');
      for (let i = 0; i < 5; i++) {
        limiter.admit('c_a', limits, { requests: 1 });
        vi.advanceTimersByTime(1);
        // Turns pass, nothing is written yet: a charge waits up to 10 ms.
        expect(fs.readFileSync(journal, 'utf8')).toBe('');
      }
      limiter.admit('c_b', limits, { requests: 1 });
      vi.advanceTimersByTime(10);
      expect(fs.readFileSync(journal, 'utf8').trim().split('\n')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
    const lines = fs.readFileSync(path.join(home, 'state', 'ratelimits.journal'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['c_a|requests|minute|10', 'c_b|requests|minute|10']);
    // What a start after a kill -9 would read: no snapshot yet, the journal only.
    const again = new RateLimiter();
    const reader = new LimitStore(home, again, quiet);
    reader.open();
    expect(Math.round(again.states('c_a', limits)[0]!.remaining)).toBe(5);
    reader.close();
    store.close();
  });

  it('a snapshot empties the journal and keeps the state; a torn last line is skipped', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    const limiter = new RateLimiter();
    const store = new LimitStore(home, limiter, quiet);
    store.open();
    for (let i = 0; i < 4; i++) limiter.admit('c_a', limits, { requests: 1 });
    store.snapshot();
    expect(fs.readFileSync(path.join(home, 'state', 'ratelimits.journal'), 'utf8')).toBe('');
    store.close();
    fs.appendFileSync(path.join(home, 'state', 'ratelimits.journal'), 'c_a|requests|minute|10\t17');
    const again = new RateLimiter();
    new LimitStore(home, again, quiet).open();
    expect(Math.round(again.states('c_a', limits)[0]!.remaining)).toBe(6);
  });

  it('writes nothing into the home directory itself, which the config watcher watches', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    const events: string[] = [];
    const watcher = fs.watch(home, (_e, name) => { if (name !== 'state') events.push(String(name)); });
    const limiter = new RateLimiter();
    const store = new LimitStore(home, limiter, quiet);
    store.open();
    for (let turn = 0; turn < 5; turn++) {
      limiter.admit('c_a', limits, { requests: 1 });
      await journalWritten();
    }
    store.snapshot();
    await new Promise((r) => setTimeout(r, 100));
    watcher.close();
    store.close();
    expect(events).toEqual([]);
    expect(fs.readdirSync(home)).toEqual(['state']);
  });

  it('takes over the state an older version kept in the home directory, then removes those files', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    const future = Date.now() + 30_000;
    fs.writeFileSync(path.join(home, 'ratelimits.json'), JSON.stringify({ 'c_a|requests|minute|10': future }));
    fs.writeFileSync(path.join(home, 'ratelimits.journal'), `c_b|requests|minute|10\t${future}\n`);
    const limiter = new RateLimiter();
    const store = new LimitStore(home, limiter, quiet);
    store.open();
    expect(Math.round(limiter.states('c_a', limits)[0]!.remaining)).toBe(5);
    expect(Math.round(limiter.states('c_b', limits)[0]!.remaining)).toBe(5);
    expect(fs.existsSync(path.join(home, 'ratelimits.json'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'ratelimits.journal'))).toBe(false);
    store.close();
    const again = new RateLimiter();
    new LimitStore(home, again, quiet).open();
    expect(Math.round(again.states('c_b', limits)[0]!.remaining)).toBe(5);
  });

  it('keeps serving, and keeps an older version\'s files, when <home>/state cannot be a directory', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-limits-'));
    fs.writeFileSync(path.join(home, 'state'), 'a file where the folder goes');
    fs.writeFileSync(path.join(home, 'ratelimits.json'), JSON.stringify({ 'c_a|requests|minute|10': Date.now() + 30_000 }));
    const warned: string[] = [];
    const limiter = new RateLimiter();
    const store = new LimitStore(home, limiter, { warn: (_o, msg) => warned.push(msg) });
    store.open();
    expect(Math.round(limiter.states('c_a', limits)[0]!.remaining)).toBe(5);
    expect(limiter.admit('c_a', limits, { requests: 1 }).ok).toBe(true);
    store.close();
    // The old state was not saved anywhere new, so it stays where it was.
    expect(fs.existsSync(path.join(home, 'ratelimits.json'))).toBe(true);
    expect(warned).toContain('cannot save the rate limiter state');
  });
});
