import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfig, loadConfig, saveConfig, updateConfig } from '../../../src/config/index.js';
import { spawnFixture, tempDir, waitExit } from './helpers.js';

describe('updateConfig', () => {
  it('starts from the defaults when the file is missing and returns what it saved', () => {
    const file = path.join(tempDir(), 'config.yaml');
    const saved = updateConfig(file, (cfg) => { cfg.server.port = 4100; });
    expect(saved.server.port).toBe(4100);
    expect(loadConfig(file)).toEqual(saved);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('accepts a returned object instead of an in-place edit', () => {
    const file = path.join(tempDir(), 'config.yaml');
    const saved = updateConfig(file, (cfg) => ({ ...cfg, server: { ...cfg.server, host: '::1' } }));
    expect(loadConfig(file).server.host).toBe('::1');
    expect(saved.server.host).toBe('::1');
  });

  it('saves nothing and releases the lock when the mutation throws or is invalid', () => {
    const file = path.join(tempDir(), 'config.yaml');
    saveConfig(file, defaultConfig());
    const before = fs.readFileSync(file, 'utf8');
    expect(() => updateConfig(file, () => { throw new Error('boom'); })).toThrow('boom');
    expect(() => updateConfig(file, (cfg) => { cfg.server.port = -1; })).toThrow(expect.objectContaining({
      code: 'LR_ERR_CONFIG_INVALID', message: expect.stringContaining('server.port'),
    }));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('refuses to overwrite a hand-broken file', () => {
    const file = path.join(tempDir(), 'config.yaml');
    fs.writeFileSync(file, 'server: [\n');
    expect(() => updateConfig(file, () => {})).toThrow(expect.objectContaining({ code: 'LR_ERR_CONFIG_INVALID' }));
    expect(fs.readFileSync(file, 'utf8')).toBe('server: [\n');
  });

  it('loses no update when several processes update at the same time', async () => {
    const file = path.join(tempDir(), 'config.yaml');
    saveConfig(file, defaultConfig());
    const writers = ['p0', 'p1', 'p2', 'p3'];
    const results = await Promise.all(writers.map((w) => waitExit(spawnFixture('add-providers.ts', [file, w, '5']))));
    for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    const names = loadConfig(file).providers.map((p) => p.name).sort();
    expect(names).toEqual(writers.flatMap((w) => [0, 1, 2, 3, 4].map((i) => `${w}-${i}`)).sort());
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('takes over a lock left by a dead process at once', () => {
    const file = path.join(tempDir(), 'config.yaml');
    // Pid far above any default pid_max: certainly not running.
    fs.writeFileSync(`${file}.lock`, `99999999 ${os.hostname()} deadbeef`);
    const started = Date.now();
    updateConfig(file, (cfg) => { cfg.server.port = 4200; });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(loadConfig(file).server.port).toBe(4200);
  });

  it('takes over a lock older than 10 s even if its holder cannot be checked', () => {
    const file = path.join(tempDir(), 'config.yaml');
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, `${process.pid} some-other-host cafebabe`);
    const old = new Date(Date.now() - 11_000);
    fs.utimesSync(lock, old, old);
    updateConfig(file, (cfg) => { cfg.server.port = 4300; });
    expect(loadConfig(file).server.port).toBe(4300);
  });

  it('waits for a live lock holder instead of breaking its lock', async () => {
    const file = path.join(tempDir(), 'config.yaml');
    const lock = `${file}.lock`;
    fs.writeFileSync(lock, `${process.pid} some-other-host cafebabe`);
    // The lock is fresh and held: a child updater must wait until we release it.
    const child = spawnFixture('add-providers.ts', [file, 'late', '1']);
    const exited = waitExit(child);
    await new Promise((r) => setTimeout(r, 1200));
    expect(child.exitCode).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
    fs.rmSync(lock);
    expect((await exited).code).toBe(0);
    expect(loadConfig(file).providers.map((p) => p.name)).toEqual(['late-0']);
  });

  it('rejects a nested update of the same file instead of deadlocking', () => {
    const file = path.join(tempDir(), 'config.yaml');
    expect(() => updateConfig(file, () => { updateConfig(file, () => {}); })).toThrow(/already updating/);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });
});
