import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/index.js';

const FILE = '/home/u/.localrouter/config.yaml';

function errorOf(text: string): { code: string; message: string } {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error('expected parseConfig to throw');
}

describe('parseConfig', () => {
  it('fills every default for an empty or comment-only file', () => {
    const cfg = parseConfig('# nothing here\n', FILE);
    expect(cfg.server).toMatchObject({ host: '127.0.0.1', port: 3625, execution: 'auto' });
    expect(cfg.providers).toEqual([]);
    expect(cfg.clients).toEqual([]);
  });

  it('names the file, the path and the reason of a schema error', () => {
    const err = errorOf([
      'providers:',
      '  - name: openai',
      '    type: openai-compatible',
      '    base_url: ftp://example.com',
    ].join('\n'));
    expect(err.code).toBe('LR_ERR_CONFIG_INVALID');
    expect(err.message).toBe(`${FILE}: providers[0].base_url: must be an http(s) URL (line 4)`);
  });

  it('reports one line per issue', () => {
    const err = errorOf('server:\n  port: "3625"\n  host: ""\n');
    const lines = err.message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines).toContain(`${FILE}: server.port: expected number, received string (line 2)`);
    expect(lines.some((l) => l.startsWith(`${FILE}: server.host: `))).toBe(true);
  });

  it('says which key is unknown, with a suggestion for a typo', () => {
    const err = errorOf('providers:\n  - name: a\n    type: openai-compatible\n    base-url: http://x\n');
    expect(err.message).toContain(`${FILE}: providers[0]: unknown key "base-url" (did you mean "base_url"?)`);
    expect(errorOf('telemetry: true\n').message).toMatch(/^\S+config\.yaml: unknown key "telemetry" \(allowed: version, server, providers, clients, strategies, default_strategy, price_overrides, monitoring, mcp_servers, mcp, skills, allow_empty\)/);
  });

  it('says a missing field is required rather than malformed', () => {
    const err = errorOf('providers:\n  - name: a\n    type: openai-compatible\n');
    expect(err.message).toContain('providers[0].base_url: is required');
  });

  it('rejects duplicate names', () => {
    const p = (n: string) => `  - {name: ${n}, type: openai-compatible, base_url: "http://x"}\n`;
    expect(errorOf(`providers:\n${p('a')}${p('a')}`).message).toContain('providers[1].name: duplicate name "a"');
  });

  it('gives line and column for YAML syntax errors', () => {
    const err = errorOf('server:\n  port: [1, 2\nproviders: []\n');
    expect(err.code).toBe('LR_ERR_CONFIG_INVALID');
    expect(err.message).toMatch(/^\/home\/u\/\.localrouter\/config\.yaml:\d+:\d+: YAML syntax error: \S/);
    expect(err.message).not.toContain('^'); // no multi-line source excerpt
  });

  it('treats duplicate YAML keys as an error instead of silently keeping one', () => {
    expect(errorOf('server:\n  port: 1\n  port: 2\n').message).toMatch(/config\.yaml:3:3: YAML syntax error: Map keys must be unique/);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(errorOf('- a\n- b\n').message).toBe(`${FILE}: the top level must be a mapping of keys (got a list)`);
  });
});
