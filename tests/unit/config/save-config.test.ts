import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configPath, defaultConfig, loadConfig, loadOrCreateConfig, resolveHome, saveConfig, type Config,
} from '../../../src/config/index.js';
import { tempDir } from './helpers.js';

function withProvider(cfg: Config, name: string): Config {
  return {
    ...cfg,
    providers: [...cfg.providers, {
      name, type: 'openai-compatible', base_url: `http://127.0.0.1:1/${name}`, headers: {}, enabled: true, models: [],
    }],
  };
}

describe('paths', () => {
  it('resolves home from LOCALROUTER_HOME, else ~/.localrouter, always absolute', () => {
    expect(resolveHome({ LOCALROUTER_HOME: 'rel/dir' })).toBe(path.resolve('rel/dir'));
    expect(resolveHome({})).toMatch(/\/\.localrouter$/);
    expect(path.isAbsolute(resolveHome({}))).toBe(true);
    expect(configPath('/x/y')).toBe('/x/y/config.yaml');
  });
});

describe('loadOrCreateConfig', () => {
  it('creates the home (0700) and a commented default config (0600) on first run', () => {
    const home = path.join(tempDir(), 'nested', 'home');
    const cfg = loadOrCreateConfig(home);
    expect(cfg).toEqual(defaultConfig());
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    const file = configPath(home);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.startsWith('# ')).toBe(true);
    expect(loadConfig(file)).toEqual(defaultConfig());
  });

  it('never overwrites an existing config', () => {
    const home = tempDir();
    const file = configPath(home);
    saveConfig(file, withProvider(defaultConfig(), 'kept'));
    expect(loadOrCreateConfig(home).providers.map((p) => p.name)).toEqual(['kept']);
  });
});

describe('saveConfig', () => {
  it('round-trips and writes mode 0600 through a temp file that does not linger', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    const cfg = withProvider(defaultConfig(), 'one');
    saveConfig(file, cfg);
    expect(loadConfig(file)).toEqual(cfg);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['config.yaml']);
  });

  it('keeps the last 3 versions as .bak.1 (newest) to .bak.3, rotating', () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.yaml');
    let cfg = defaultConfig();
    const names: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      cfg = withProvider(cfg, name);
      names.push(name);
      saveConfig(file, cfg);
    }
    const providersIn = (f: string) => loadConfig(f).providers.map((p) => p.name).join(',');
    expect(providersIn(file)).toBe('a,b,c,d,e');
    expect(providersIn(`${file}.bak.1`)).toBe('a,b,c,d');
    expect(providersIn(`${file}.bak.2`)).toBe('a,b,c');
    expect(providersIn(`${file}.bak.3`)).toBe('a,b');
    expect(fs.readdirSync(dir).sort()).toEqual(['config.yaml', 'config.yaml.bak.1', 'config.yaml.bak.2', 'config.yaml.bak.3']);
  });

  it('does not rotate backups when the content is unchanged', () => {
    const file = path.join(tempDir(), 'config.yaml');
    saveConfig(file, defaultConfig());
    saveConfig(file, withProvider(defaultConfig(), 'x'));
    saveConfig(file, withProvider(defaultConfig(), 'x'));
    expect(loadConfig(`${file}.bak.1`)).toEqual(defaultConfig());
    expect(fs.existsSync(`${file}.bak.2`)).toBe(false);
  });

  it('refuses an invalid config with a readable error and leaves the file untouched', () => {
    const file = path.join(tempDir(), 'config.yaml');
    saveConfig(file, defaultConfig());
    const before = fs.readFileSync(file, 'utf8');
    const bad = withProvider(defaultConfig(), 'Bad Name');
    expect(() => saveConfig(file, bad)).toThrow(expect.objectContaining({
      code: 'LR_ERR_CONFIG_INVALID',
      message: expect.stringContaining(`${file}: providers[0].name: must be`),
    }));
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.existsSync(`${file}.bak.1`)).toBe(false);
  });

  it('reports a missing file as a readable I/O error', () => {
    const file = path.join(tempDir(), 'missing.yaml');
    expect(() => loadConfig(file)).toThrow(expect.objectContaining({
      code: 'LR_ERR_CONFIG_IO', message: `${file}: cannot read config: no such file or directory (ENOENT)`,
    }));
  });
});
