import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EVERYTHING } from '../helpers/mcp-fixture.js';
import { runCli, type CliResult } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const homes: string[] = [];
function tempHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-guide-'));
  homes.push(home);
  return home;
}
afterAll(() => { for (const h of homes) fs.rmSync(h, { recursive: true, force: true }); });

function run(home: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(['--home', home, ...args], opts);
}

async function ok(home: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await run(home, args, opts);
  expect(r.code, `localrouter ${args.join(' ')}\n${r.stderr}`).toBe(0);
  return r;
}

function configOf(home: string): Record<string, any> {
  return parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8'));
}

function onPath(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

describe('commands check what they can up front', () => {
  it('mcp add refuses a STDIO command that does not exist, unless --no-check', async () => {
    const home = tempHome();
    const missing = await run(home, ['mcp', 'add', 'ghost', '--stdio', 'no-such-mcp-server-xyz --flag'], { env: { PATH: '/usr/bin:/bin' } });
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toMatch(/^error: cannot run the MCP server's command: "no-such-mcp-server-xyz" is not an executable on PATH/);
    const badPath = await run(home, ['mcp', 'add', 'ghost', '--stdio', './bin/nothing-here']);
    expect(badPath.stderr).toMatch(/no executable file .*bin\/nothing-here/);
    expect(fs.existsSync(path.join(home, 'config.yaml')) ? configOf(home).mcp_servers : []).toEqual([]);
    await ok(home, ['mcp', 'add', 'ghost', '--stdio', 'no-such-mcp-server-xyz', '--no-check']);
    await ok(home, ['mcp', 'add', 'sh', '--stdio', 'sh -c true'], { env: { PATH: '/usr/bin:/bin' } });
    expect(configOf(home).mcp_servers.map((m: { name: string }) => m.name)).toEqual(['ghost', 'sh']);
  });

  it('providers add warns on stderr when the key variable is not set, and not when it is', async () => {
    const home = tempHome();
    const unset = await ok(home, ['providers', 'add', 'openai', '--type', 'openai']);
    expect(unset.stdout).toMatch(/^added provider "openai"/);
    expect(unset.stderr).toMatch(/^warning: \$OPENAI_API_KEY is not set in this shell/);
    expect(unset.stderr).toContain('printf %s "$OPENAI_API_KEY" | localrouter providers add openai --type openai --api-key-stdin');
    const named = await ok(home, ['providers', 'add', 'work', '--type', 'openai', '--api-key-env', 'WORK_KEY']);
    expect(named.stderr).toMatch(/\$WORK_KEY is not set/);
    const set = await ok(home, ['providers', 'add', 'groq', '--type', 'groq'], { env: { GROQ_API_KEY: 'gsk-x' } });
    expect(set.stderr).toBe('');
    const stored = await ok(home, ['providers', 'add', 'anth', '--type', 'anthropic', '--api-key-stdin'], { input: 'sk-ant\n' });
    expect(stored.stderr).toBe('');
  });
});

describe('config fields users used to edit by hand', () => {
  it('strategies set the auto strong/weak split, classifier, threshold or share', async () => {
    const home = tempHome();
    await ok(home, ['strategies', 'create', 'smart', '--strong-models', 'openai/gpt-4o', '--weak-models', 'ollama/qwen2.5:7b,groq/llama-3.1-8b']);
    expect(configOf(home).strategies[0].auto).toEqual({
      models: [], strong_models: ['openai/gpt-4o'], weak_models: ['ollama/qwen2.5:7b', 'groq/llama-3.1-8b'], classifier: 'hashlr',
    });
    await ok(home, ['strategies', 'update', 'smart', '--threshold', '0.42']);
    expect(configOf(home).strategies[0].auto).toMatchObject({ threshold: 0.42, classifier: 'hashlr' });
    await ok(home, ['strategies', 'update', 'smart', '--strong-share', '0.3']);
    const auto = configOf(home).strategies[0].auto;
    expect(auto.strong_share).toBe(0.3);
    expect(auto.threshold).toBeUndefined();
    expect((await ok(home, ['strategies', 'show', 'smart'])).stdout).toMatch(/^classifier: +hashlr \(strong share 0\.3\)$/m);

    const noSplit = await run(home, ['strategies', 'create', 'half', '--threshold', '0.5']);
    expect(noSplit).toMatchObject({ code: 1, stderr: expect.stringMatching(/needs --strong-models and --weak-models/) });
    const oneSide = await run(home, ['strategies', 'create', 'half', '--strong-models', 'a/b']);
    expect(oneSide.stderr).toMatch(/needs both --strong-models and --weak-models/);
    expect((await run(home, ['strategies', 'update', 'smart', '--threshold', '1.5'])).code).toBe(2);
    const unknown = await run(home, ['strategies', 'update', 'smart', '--classifier', 'nosuch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no classifier "nosuch" in .*models; available: .*hashlr/);

    await ok(home, ['strategies', 'update', 'smart', '--clear-auto-split']);
    expect(configOf(home).strategies[0].auto).toEqual({ models: [], strong_models: [], weak_models: [] });
  });

  it('prices set, list and remove price overrides of configured providers', async () => {
    const home = tempHome();
    await ok(home, ['providers', 'add', 'lan', '--base-url', 'http://127.0.0.1:9/v1']);
    const set = await ok(home, ['prices', 'set', 'lan/qwen2.5-32b', '--input', '0.1', '--output', '0.3', '--cached-input', '0.05']);
    expect(set.stdout).toBe('price of lan/qwen2.5-32b: 0.1 USD per million input tokens, 0.3 per million output tokens\n');
    expect(configOf(home).price_overrides).toEqual({ 'lan/qwen2.5-32b': { input_per_mtok: 0.1, output_per_mtok: 0.3, cached_input_per_mtok: 0.05 } });
    expect(JSON.parse((await ok(home, ['prices', 'list', '--json'])).stdout)).toEqual(configOf(home).price_overrides);
    expect((await ok(home, ['prices', 'list'])).stdout).toMatch(/^lan\/qwen2\.5-32b\s+0\.1\s+0\.3\s+0\.05\s+-\s+-$/m);
    expect(await run(home, ['prices', 'set', 'nope/x', '--input', '1', '--output', '1'])).toMatchObject({ code: 1, stderr: 'error: no provider named "nope" (see: localrouter providers list)\n' });
    expect((await run(home, ['prices', 'set', 'lan/x', '--input', '-1', '--output', '1'])).code).toBe(2);
    expect((await run(home, ['prices', 'set', 'lan/x', '--input', '1'])).code).toBe(2);
    await ok(home, ['prices', 'remove', 'lan/qwen2.5-32b']);
    expect(configOf(home).price_overrides).toEqual({});
    expect((await run(home, ['prices', 'remove', 'lan/qwen2.5-32b'])).code).toBe(1);
  });
});

describe('localrouter doctor', () => {
  let mock: MockOpenAI;
  beforeAll(async () => { mock = await startMockOpenAI(); });
  afterAll(async () => { await mock.close(); });

  it('on a fresh data dir: everything needed is ok, with the next step for the missing provider', async () => {
    const home = tempHome();
    const r = await run(home, ['doctor'], { env: { LOCALROUTER_PORT: '0' } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^OK +Node\.js +v20\.\d+\.\d+$/m);
    expect(r.stdout).toMatch(/^OK +uWebSockets\.js +native binary loaded$/m);
    expect(r.stdout).toMatch(/^OK +secret store +encrypted file in .* \(LOCALROUTER_SECRETS_BACKEND=file\)$/m);
    expect(r.stdout).toMatch(/^OK +config +.*config\.yaml does not exist yet/m);
    expect(r.stdout).toMatch(/^OK +port +127\.0\.0\.1:0 is free$/m);
    expect(r.stdout).toMatch(/^WARN +upstreams +no providers configured\n +fix: .*providers add openai/m);
    expect(r.stdout).toMatch(/^SKIP +classifier/m);
    expect(fs.existsSync(path.join(home, 'config.yaml'))).toBe(false);
  });

  it('fails with fixes for an unreachable upstream, a taken port and an MCP server that does not start; passes the good ones', { timeout: 120_000 }, async () => {
    const home = tempHome();
    await ok(home, ['providers', 'add', 'mock', '--base-url', mock.url, '--api-key-stdin'], { input: 'sk-upstream-test\n' });
    await ok(home, ['providers', 'add', 'down', '--base-url', 'http://127.0.0.1:9/v1']);
    await ok(home, ['mcp', 'add', 'every', '--stdio', `"${process.execPath}" ${EVERYTHING} stdio`]);
    await ok(home, ['mcp', 'add', 'broken', '--stdio', `"${process.execPath}" -e process.exit(3)`, '--timeout-ms', '5000']);
    await ok(home, ['strategies', 'create', 'smart', '--strong-models', 'mock/gpt-test', '--weak-models', 'mock/echo']);
    const r = await run(home, ['doctor', '--json'], { env: { LOCALROUTER_PORT: String(mock.port) } });
    expect(r.code).toBe(1);
    const checks = JSON.parse(r.stdout) as { name: string; status: string; detail: string; fix?: string }[];
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('config')).toMatchObject({ status: 'ok' });
    expect(byName.get('port')).toMatchObject({ status: 'fail', detail: `127.0.0.1:${mock.port}: in use by another process`, fix: expect.stringContaining('--port') });
    expect(byName.get('upstream mock')).toMatchObject({ status: 'ok', detail: 'reachable, 2 model(s)' });
    expect(byName.get('upstream down')).toMatchObject({ status: 'fail', fix: expect.stringContaining('localrouter providers test down') });
    expect(byName.get('classifier hashlr')).toMatchObject({ status: 'ok' });
    expect(byName.get('MCP every')).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^starts and lists \d+ tool\(s\)$/) });
    expect(byName.get('MCP broken')).toMatchObject({ status: 'fail', fix: expect.stringContaining('localrouter mcp tools broken') });

    const offline = JSON.parse((await run(home, ['doctor', '--json', '--offline'], { env: { LOCALROUTER_PORT: '0' } })).stdout) as { name: string; status: string }[];
    expect(offline.filter((c) => c.status === 'fail')).toEqual([]);
    expect(offline.find((c) => c.name === 'upstreams')).toMatchObject({ status: 'skip' });
  });

  it('names the problem of an invalid config and exits 1', async () => {
    const home = tempHome();
    fs.writeFileSync(path.join(home, 'config.yaml'), 'server:\n  port: "x"\n');
    const r = await run(home, ['doctor']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL +config +.*config\.yaml: server\.port: expected number/m);
    expect(r.stdout).toMatch(/fix: edit .*config\.yaml \(localrouter config validate lists every problem\)/);
  });
});

describe('shell completions', () => {
  /** What bash offers after `line` (completing its last word), from the generated script. */
  function bashComplete(script: string, line: string): string[] {
    const words = line.split(' ');
    const program = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _localrouter; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter((w) => w !== '');
  }

  it('bash completes commands, subcommands, options and option choices from the command tree', async () => {
    const script = (await ok(tempHome(), ['completion', 'bash'])).stdout;
    expect(script).toContain('complete -F _localrouter localrouter');
    expect(bashComplete(script, 'localrouter pr').sort()).toEqual(['prices', 'providers']);
    expect(bashComplete(script, 'localrouter providers ')).toEqual(expect.arrayContaining(['add', 'list', 'remove', 'test', 'detect']));
    expect(bashComplete(script, 'localrouter --home /tmp/x providers add x --ty')).toEqual(['--type']);
    expect(bashComplete(script, 'localrouter providers add x --type open')).toEqual(expect.arrayContaining(['openai', 'openai-compatible']));
    expect(bashComplete(script, 'localrouter completion ')).toEqual(expect.arrayContaining(['-h', '--help']));
    expect(bashComplete(script, 'localrouter service ')).toEqual(expect.arrayContaining(['install', 'uninstall', 'status']));
  });

  it('zsh loads the same completion through bashcompinit; fish gets one complete line per candidate', async (ctx) => {
    const zsh = (await ok(tempHome(), ['completion', 'zsh'])).stdout;
    expect(zsh.split('\n').slice(0, 2)).toEqual(['#compdef localrouter', 'autoload -U +X bashcompinit && bashcompinit']);
    const fish = (await ok(tempHome(), ['completion', 'fish'])).stdout;
    expect(fish).toContain("complete -c localrouter -f -n '__localrouter_path_is '\\'''\\''' -a 'providers'");
    expect(fish).toMatch(/-n '__localrouter_path_is '\\''providers add'\\''' -l type -x -a '[^']*openai-compatible[^']*'/);
    expect((await run(tempHome(), ['completion', 'tcsh'])).code).toBe(2);
    for (const shell of ['zsh', 'fish'] as const) {
      if (!onPath(shell)) continue;
      const file = path.join(tempHome(), `c.${shell}`);
      fs.writeFileSync(file, shell === 'zsh' ? zsh : fish);
      const r = spawnSync(shell, shell === 'zsh' ? ['-n', file] : ['--no-execute', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    if (!onPath('zsh') || !onPath('fish')) ctx.annotate(`syntax not checked by the shell itself for: ${['zsh', 'fish'].filter((s) => !onPath(s)).join(', ')} (not installed)`);
  });
});

describe('localrouter service', () => {
  it('writes, reports and removes a systemd user unit that systemd-analyze accepts', async (ctx) => {
    const home = tempHome();
    const xdg = path.join(home, 'xdg');
    const env = { XDG_CONFIG_HOME: xdg, PATH: '/usr/local/bin:/usr/bin:/bin' };
    const unitFile = path.join(xdg, 'systemd', 'user', 'localrouter.service');
    const installed = await ok(home, ['service', 'install', '--platform', 'linux', '--no-start'], { env });
    expect(installed.stdout).toBe(`${unitFile}\n`);
    expect(installed.stderr).toContain('systemctl --user enable --now localrouter.service');
    const unit = fs.readFileSync(unitFile, 'utf8');
    expect(unit).toContain(`ExecStart="${process.execPath}" "${path.resolve('bin/localrouter')}" "--home" "${home}" "serve"\n`);
    expect(unit).toContain('Environment="PATH=/usr/local/bin:/usr/bin:/bin"\n');
    expect(unit).toMatch(/^WantedBy=default\.target$/m);
    const status = JSON.parse((await ok(home, ['service', 'status', '--platform', 'linux', '--json'], { env })).stdout);
    expect(status).toMatchObject({ kind: 'systemd', file: unitFile, installed: true, home });
    if (onPath('systemd-analyze')) {
      const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr).not.toMatch(/localrouter\.service:\d+:/);
    } else {
      ctx.skip('systemd-analyze is not installed here (Debian: apt-get install systemd), so the unit was not verified by systemd');
    }
    expect((await ok(home, ['service', 'uninstall', '--platform', 'linux'], { env })).stdout).toBe(`removed ${unitFile}\n`);
    expect(fs.existsSync(unitFile)).toBe(false);
    expect((await run(home, ['service', 'uninstall', '--platform', 'linux'], { env })).code).toBe(1);
  });

  it('writes a launchd agent with the same command, escaped for XML', async (ctx) => {
    const home = path.join(tempHome(), 'a & b');
    const env = { HOME: path.join(tempHome(), 'user'), PATH: '/usr/bin:/bin' };
    const printed = (await ok(home, ['service', 'install', '--platform', 'darwin', '--print'], { env })).stdout;
    expect(printed).toContain('<key>Label</key>\n  <string>dev.localrouter.gateway</string>');
    expect(printed).toContain(`<string>${home.replace('&', '&amp;')}</string>`);
    expect(printed).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    await ok(home, ['service', 'install', '--platform', 'darwin', '--no-start'], { env });
    const file = path.join(env.HOME, 'Library', 'LaunchAgents', 'dev.localrouter.gateway.plist');
    expect(fs.readFileSync(file, 'utf8')).toBe(printed);
    if (onPath('plutil')) {
      const lint = spawnSync('plutil', ['-lint', file], { encoding: 'utf8' });
      expect(lint.status, lint.stdout).toBe(0);
    } else {
      ctx.annotate('plutil (macOS) is not available here: the plist was checked by these assertions only');
    }
  });
});
