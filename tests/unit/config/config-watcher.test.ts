import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigWatcher, defaultConfig, saveConfig, updateConfig, type Config,
} from '../../../src/config/index.js';
import { tempDir, until } from './helpers.js';

let watcher: ConfigWatcher | undefined;
afterEach(() => watcher?.close());

function setup(): { file: string; changes: Config[]; errors: { code: string; message: string }[] } {
  const file = path.join(tempDir(), 'config.yaml');
  saveConfig(file, defaultConfig());
  const changes: Config[] = [];
  const errors: { code: string; message: string }[] = [];
  watcher = new ConfigWatcher(file, (cfg) => changes.push(cfg), (err) => errors.push(err));
  return { file, changes, errors };
}

/** What an editor does: write a sibling file, then rename it over the original. */
function editorSave(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), '.config.yaml.swp');
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ConfigWatcher', () => {
  it('measures changes against the config in force it was given: a comment-only edit is no change, a real one is', async () => {
    const file = path.join(tempDir(), 'config.yaml');
    saveConfig(file, defaultConfig());
    const inForce = defaultConfig();
    const changes: Config[] = [];
    watcher = new ConfigWatcher(file, (cfg) => changes.push(cfg), () => {}, inForce);
    fs.appendFileSync(file, '# a comment\n');
    await sleep(400);
    expect(changes).toHaveLength(0);
    fs.writeFileSync(file, 'server:\n  port: 4011\n');
    expect(await until(() => changes.length === 1, 1000)).toBe(true);
    expect(changes[0].server.port).toBe(4011);
  });

  it('delivers a hand edit (in place) within one second', async () => {
    const { file, changes, errors } = setup();
    const started = Date.now();
    fs.writeFileSync(file, 'server:\n  port: 4001\n');
    expect(await until(() => changes.length > 0, 1000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(changes[0].server.port).toBe(4001);
    expect(errors).toEqual([]);
  });

  it('follows an editor that replaces the file by rename, repeatedly', async () => {
    const { file, changes } = setup();
    editorSave(file, 'server:\n  port: 4002\n');
    expect(await until(() => changes.length === 1, 1000)).toBe(true);
    editorSave(file, 'server:\n  port: 4003\n');
    expect(await until(() => changes.length === 2, 1000)).toBe(true);
    expect(changes.map((c) => c.server.port)).toEqual([4002, 4003]);
  });

  it('sees saves made through updateConfig, once each', async () => {
    const { file, changes } = setup();
    updateConfig(file, (cfg) => { cfg.server.port = 4004; });
    expect(await until(() => changes.length === 1, 1000)).toBe(true);
    await sleep(200);
    expect(changes).toHaveLength(1);
    expect(changes[0].server.port).toBe(4004);
  });

  it('reports an invalid edit through onError and no change; a fix is then delivered', async () => {
    const { file, changes, errors } = setup();
    fs.writeFileSync(file, 'server:\n  port: "oops"\n');
    expect(await until(() => errors.length > 0, 1000)).toBe(true);
    expect(errors[0].code).toBe('LR_ERR_CONFIG_INVALID');
    expect(errors[0].message).toContain(`${file}: server.port: expected number`);
    expect(changes).toEqual([]);
    fs.writeFileSync(file, 'server:\n  port: 4005\n');
    expect(await until(() => changes.length === 1, 1000)).toBe(true);
    expect(changes[0].server.port).toBe(4005);
  });

  it('stays quiet when the config is unchanged and for temp, backup and lock files', async () => {
    const { file, changes, errors } = setup();
    const dir = path.dirname(file);
    fs.writeFileSync(path.join(dir, 'config.yaml.lock'), 'x');
    fs.writeFileSync(path.join(dir, 'config.yaml.bak.1'), 'not: [valid');
    fs.writeFileSync(path.join(dir, 'config.yaml.tmp-1-abc'), 'garbage: [');
    // Same config, different text (a comment): nothing to report.
    fs.appendFileSync(file, '# a comment\n');
    fs.utimesSync(file, new Date(), new Date());
    await sleep(400);
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('calls nothing after close()', async () => {
    const { file, changes, errors } = setup();
    watcher!.close();
    fs.writeFileSync(file, 'server:\n  port: 4006\n');
    await sleep(300);
    expect(changes).toEqual([]);
    expect(errors).toEqual([]);
  });

  describe('refuses files that would silently empty the gateway', () => {
    /** A config in force with one provider and one client, written through the CLI's path. */
    function populated(): { file: string; changes: Config[]; errors: { code: string; message: string }[] } {
      const file = path.join(tempDir(), 'config.yaml');
      updateConfig(file, (cfg) => {
        cfg.providers.push({ name: 'p1', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1', enabled: true, models: [], headers: {} } as unknown as Config['providers'][number]);
        cfg.clients.push({ id: 'c_abcdefgh12', name: 'a', key_hash: 'a'.repeat(64), key_prefix: 'lr-a', enabled: true, created_at: 'now', allowed_models: ['*'], limits: [] });
      });
      const changes: Config[] = [];
      const errors: { code: string; message: string }[] = [];
      watcher = new ConfigWatcher(file, (cfg) => changes.push(cfg), (err) => errors.push(err));
      return { file, changes, errors };
    }

    it('an emptied file (`: > config.yaml`) is reported and not loaded', async () => {
      const { file, changes, errors } = populated();
      fs.writeFileSync(file, '');
      expect(await until(() => errors.length > 0, 1500)).toBe(true);
      expect(errors[0].message).toContain('the file is empty');
      await sleep(200);
      expect(changes).toEqual([]);
    });

    it('a file that loses every client or provider needs allow_empty: true', async () => {
      const { file, changes, errors } = populated();
      fs.writeFileSync(file, 'server:\n  port: 4010\n');
      expect(await until(() => errors.length > 0, 1500)).toBe(true);
      expect(errors[0].message).toMatch(/removes all 1 providers and all 1 clients; set "allow_empty: true"/);
      expect(changes).toEqual([]);
      fs.writeFileSync(file, 'allow_empty: true\nserver:\n  port: 4010\n');
      expect(await until(() => changes.length === 1, 1500)).toBe(true);
      expect(changes[0].clients).toEqual([]);
    });

    it('the CLI path may remove the last client: it marks the file allow_empty, and drops the mark later', async () => {
      const { file, changes, errors } = populated();
      updateConfig(file, (cfg) => { cfg.clients = []; });
      expect(await until(() => changes.length === 1, 1500)).toBe(true);
      expect(changes[0].clients).toEqual([]);
      expect(errors).toEqual([]);
      expect(fs.readFileSync(file, 'utf8')).toContain('allow_empty: true');
      const saved = updateConfig(file, (cfg) => {
        cfg.clients.push({ id: 'c_abcdefgh13', name: 'b', key_hash: 'b'.repeat(64), key_prefix: 'lr-b', enabled: true, created_at: 'now', allowed_models: ['*'], limits: [] });
      });
      expect(saved.allow_empty).toBeUndefined();
      expect(fs.readFileSync(file, 'utf8')).not.toContain('allow_empty');
    });

    it('a write caught halfway is not loaded while it is still changing', async () => {
      const { file, changes } = populated();
      const full = fs.readFileSync(file, 'utf8');
      const edited = full.replace('port: 3625', 'port: 4011');
      // Half the file, then the rest 60 ms later: the watcher must only ever deliver the whole edit.
      const fd = fs.openSync(file, 'w');
      fs.writeSync(fd, edited.slice(0, Math.floor(edited.length / 2)));
      await sleep(60);
      fs.writeSync(fd, edited.slice(Math.floor(edited.length / 2)));
      fs.closeSync(fd);
      expect(await until(() => changes.length >= 1, 1500)).toBe(true);
      await sleep(300);
      expect(changes.map((c) => [c.server.port, c.clients.length, c.providers.length])).toEqual([[4011, 1, 1]]);
    });
  });
});
