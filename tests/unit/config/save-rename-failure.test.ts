import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Lets a test make the final rename onto config.yaml fail, as a full or failing disk would.
const failRename = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const renameSync: typeof real.renameSync = (from, to) => {
    if (failRename.on && String(to).endsWith('config.yaml')) {
      throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
    }
    real.renameSync(from, to);
  };
  return { ...real, renameSync, default: { ...real, renameSync } };
});

const { defaultConfig, loadConfig, saveConfig, updateConfig } = await import('../../../src/config/index.js');
const { tempDir } = await import('./helpers.js');

afterEach(() => { failRename.on = false; });

describe('saveConfig when the rename fails', () => {
  it('keeps the old file intact, reports the error and removes its temp file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    saveConfig(file, defaultConfig());
    const before = fs.readFileSync(file, 'utf8');

    failRename.on = true;
    const next = { ...defaultConfig(), server: { ...defaultConfig().server, port: 4000 } };
    expect(() => saveConfig(file, next)).toThrow(expect.objectContaining({
      code: 'LR_ERR_CONFIG_IO', message: expect.stringContaining(`${file}: cannot save config:`),
    }));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(loadConfig(file).server.port).toBe(3625);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('releases the lock when an update fails, so the next update works', () => {
    const file = path.join(tempDir(), 'config.yaml');
    failRename.on = true;
    expect(() => updateConfig(file, (c) => { c.server.port = 1; })).toThrow(expect.objectContaining({ code: 'LR_ERR_CONFIG_IO' }));
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    failRename.on = false;
    expect(updateConfig(file, (c) => { c.server.port = 2; }).server.port).toBe(2);
  });
});
