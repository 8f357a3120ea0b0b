import { describe, expect, it } from 'vitest';
import { CONFIG_VERSION, migrateConfig, parseConfig, type ConfigMigration } from '../../../src/config/index.js';

const FILE = '/home/u/.localrouter/config.yaml';

describe('config version migrations', () => {
  it('reads the current format, with or without `version`, unchanged', () => {
    expect(CONFIG_VERSION).toBe(1);
    expect(parseConfig('version: 1\nserver:\n  port: 4000\n', FILE).server.port).toBe(4000);
    expect(parseConfig('server:\n  port: 4000\n', FILE).version).toBe(1);
    const raw = { version: 1, providers: [] };
    expect(migrateConfig(raw, FILE)).toBe(raw);
  });

  it('refuses a file written by a newer LocalRouter, saying what to do', () => {
    expect(() => parseConfig('version: 2\nproviders: []\n', FILE)).toThrow(
      `${FILE}: version: 2 is a config format of a newer LocalRouter; this one (format 1) cannot read it. Upgrade LocalRouter, or restore an older copy (${FILE}.bak.1..3).`);
  });

  it('leaves a malformed version to the schema, which names it', () => {
    expect(() => parseConfig('version: "one"\n', FILE)).toThrow(/version/);
    expect(() => parseConfig('version: 0.5\n', FILE)).toThrow(/version/);
  });

  it('runs each step from an old format up to the current one, in order', () => {
    // A format history of three versions: 1 named the port `listen_port`, 2 kept providers as a map.
    const steps: Record<number, ConfigMigration> = {
      1: ({ listen_port, ...rest }) => ({ ...rest, server: { port: listen_port } }),
      2: ({ providers, ...rest }) => ({ ...rest, providers: Object.entries(providers as Record<string, object>).map(([name, p]) => ({ name, ...p })) }),
    };
    const v1 = { version: 1, listen_port: 4000, providers: { ollama: { type: 'ollama' } } };
    expect(migrateConfig(v1, FILE, 3, steps)).toEqual({ version: 3, server: { port: 4000 }, providers: [{ name: 'ollama', type: 'ollama' }] });
    expect(migrateConfig({ version: 2, providers: {} }, FILE, 3, steps)).toEqual({ version: 3, providers: [] });
    expect(() => migrateConfig({ version: 0 }, FILE, 3, steps)).toThrow(/version: 0 is too old to migrate \(no step from format 0\)/);
  });

});
