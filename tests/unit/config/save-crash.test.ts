import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/index.js';
import { spawnFixture, tempDir, waitExit } from './helpers.js';

describe('saveConfig under a crash', () => {
  it('leaves the old or the new complete file when the writer is killed mid-save', async () => {
    for (let round = 0; round < 4; round++) {
      const dir = tempDir();
      const file = path.join(dir, 'config.yaml');
      const child = spawnFixture('save-loop.ts', [file]);
      const exited = waitExit(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
        child.on('exit', () => reject(new Error('save-loop exited early')));
      });
      // Readers racing the writer must only ever see a complete file; then the kill lands in a
      // different phase of the save loop each round.
      const end = Date.now() + 60 + round * 37;
      const seen = new Set<string>();
      for (let reads = 1; Date.now() < end; reads++) {
        seen.add(fs.readFileSync(file, 'utf8'));
        if (reads % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      for (const text of seen) expect(parseConfig(text, file).providers).toHaveLength(200);
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');

      const cfg = loadConfig(file);
      expect(cfg.providers).toHaveLength(200);
      const tags = new Set(cfg.providers.map((p) => p.name.split('-')[0]));
      expect(tags.size).toBe(1);
      // Only the config, its backups and at most one orphaned temp file may exist.
      const others = fs.readdirSync(dir).filter((f) => f !== 'config.yaml' && !/^config\.yaml\.bak\.[1-3]$/.test(f));
      expect(others.every((f) => f.startsWith('config.yaml.tmp-'))).toBe(true);
    }
  });
});
