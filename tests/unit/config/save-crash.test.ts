import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/index.js';
import { spawnFixture, tempDir, waitExit } from './helpers.js';

const PROVIDERS = 200; // must match fixtures/save-loop.ts
let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('saveConfig under a crash', () => {
  it('readers see only complete files, and a writer killed mid-save leaves the old or the new one', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = tempDir();
      const file = path.join(dir, 'config.yaml');
      child = spawnFixture('save-loop.ts', [file]);
      const exited = waitExit(child);
      await new Promise<void>((resolve, reject) => {
        child!.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
        child!.on('exit', () => reject(new Error('save-loop exited early')));
      });
      // Readers racing the writer must only ever see a complete file (a plain truncate-and-write
      // fails this quickly); then the kill lands in a different phase of the save loop each round.
      const end = Date.now() + 80 + round * 37;
      const seen = new Set<string>();
      for (let reads = 1; Date.now() < end; reads++) {
        seen.add(fs.readFileSync(file, 'utf8'));
        if (reads % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      for (const text of seen) expect(parseConfig(text, file).providers).toHaveLength(PROVIDERS);

      const cfg = loadConfig(file);
      expect(cfg.providers).toHaveLength(PROVIDERS);
      expect(new Set(cfg.providers.map((p) => p.name.split('-')[0])).size).toBe(1);
      // Only the config, its backups and at most an orphaned temp file may be left behind.
      const others = fs.readdirSync(dir).filter((f) => f !== 'config.yaml' && !/^config\.yaml\.bak\.[1-3]$/.test(f));
      expect(others.every((f) => f.startsWith('config.yaml.tmp-'))).toBe(true);
    }
  });
});
