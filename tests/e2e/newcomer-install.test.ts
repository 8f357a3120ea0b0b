import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface LockEntry {
  version: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [field: string]: unknown;
}

/**
 * A project that depends on the packed tarball, with a lock file made from LocalRouter's own (its
 * production packages, with the registry URLs npm derives anyway): `npm ci --offline` then installs
 * exactly those versions from the npm cache, as a user's `npm install -g` would from the registry.
 */
function writeInstallProject(dir: string, tarball: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = { name: 'lr-newcomer', version: '0.0.0', private: true, dependencies: { localrouter: `file:${tarball}` }, allowScripts: pkg.allowScripts };
  const packages: Record<string, unknown> = {
    '': root,
    'node_modules/localrouter': { version: pkg.version, resolved: `file:${tarball}`, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.dev || entry.link || !key.startsWith('node_modules/')) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    packages[key] = { ...entry, resolved: entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').at(-1)}-${entry.version}.tgz` };
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(root, null, 2));
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: root.name, version: root.version, lockfileVersion: 3, requires: true, packages }, null, 2));
}

/**
 * better-sqlite3 installs a prebuilt binary downloaded from GitHub, else compiles itself for minutes.
 * Offline, the binary this checkout already built stands in for the download, found where
 * prebuild-install looks for a local prebuild (its install script still runs); without one, it compiles.
 */
function localPrebuilds(dir: string): Record<string, string> {
  const addon = path.join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  if (!fs.existsSync(addon)) return {};
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string }).version;
  const staging = path.join(dir, 'staging');
  fs.mkdirSync(path.join(staging, 'build/Release'), { recursive: true });
  fs.copyFileSync(addon, path.join(staging, 'build/Release/better_sqlite3.node'));
  fs.mkdirSync(path.join(dir, 'prebuilds'));
  const tarball = path.join(dir, 'prebuilds', `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
  expect(spawnSync('tar', ['-czf', tarball, '-C', staging, 'build'], { stdio: 'inherit' }).status).toBe(0);
  return { npm_config_better_sqlite3_local_prebuilds: path.join(dir, 'prebuilds') };
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: 900_000 });
}

describe('a newcomer installs the package and follows the README', () => {
  const temps: string[] = [];
  let mock: MockOpenAI | undefined;
  let server: ChildProcess | undefined;
  afterAll(async () => {
    server?.kill('SIGTERM');
    await mock?.close();
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  it('npm pack, an offline install from the npm cache, serve from the PATH with a fresh home, the quick start with the OpenAI SDK', { timeout: 1_200_000 }, async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-install-'));
    temps.push(work);
    // Offline: nothing may come from the network, only from the npm cache.
    const npmEnv: NodeJS.ProcessEnv = { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', ONNXRUNTIME_NODE_INSTALL: 'skip' };
    delete npmEnv.npm_lifecycle_event;

    const packed = npm(['pack', '--pack-destination', work, '--json'], ROOT, npmEnv);
    expect(packed.status, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
    const files = info!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['bin/localrouter', 'dist/localrouter.js', 'dist/.built', 'models/router-hashlr.bin', 'package.json', 'README.md']));
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('tests/'))).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).private).toBeUndefined();

    const project = path.join(work, 'prefix');
    fs.mkdirSync(project);
    writeInstallProject(project, path.join(work, info!.filename));
    const installed = npm(['ci', '--offline'], project, { ...npmEnv, ...localPrebuilds(work) });
    expect(installed.status, installed.stderr).toBe(0);
    expect(installed.stderr).not.toMatch(/EBADENGINE|install-scripts/);
    const binDir = path.join(project, 'node_modules', '.bin');
    // What the package needs at run time is there; its sources and the build step are not.
    expect(fs.existsSync(path.join(project, 'node_modules/localrouter/src'))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules/tsx'))).toBe(false);

    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    const { LOCALROUTER_HOME: _h, LOCALROUTER_PORT: _p, npm_lifecycle_event: _e, ...base } = process.env;
    const env = { ...base, HOME: home, PATH: `${binDir}${path.delimiter}${process.env.PATH}`, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'warn' };
    expect(spawnSync('sh', ['-c', 'command -v localrouter'], { env, encoding: 'utf8' }).stdout.trim()).toBe(path.join(binDir, 'localrouter'));

    // Terminal 1 of the README: the gateway, from the PATH, with a fresh ~/.localrouter.
    server = spawn('localrouter', ['serve', '--port', '0'], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    server.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const port = await new Promise<number>((resolve, reject) => {
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server!.on('exit', () => reject(new Error(`serve exited: ${err}`)));
    });
    await expect.poll(() => err, { timeout: 10_000 }).toMatch(/next, in another terminal/);
    expect(err).toMatch(/^LocalRouter \S+ \(compiled build\) is running$/m);
    expect(err).toContain(`config         ${path.join(home, '.localrouter', 'config.yaml')}`);

    // Terminal 2: a provider (the mock upstream in place of api.openai.com) and a client, as the README writes them.
    mock = await startMockOpenAI();
    const sh = (script: string) => spawnSync('sh', ['-c', script], { env: { ...env, OPENAI_API_KEY: 'sk-upstream-test' }, cwd: home, encoding: 'utf8', timeout: 60_000 });
    const added = sh(`printf %s "$OPENAI_API_KEY" | localrouter providers add openai --type openai --base-url ${mock.url} --api-key-stdin`);
    expect(added.status, added.stderr).toBe(0);
    const created = sh('KEY=$(localrouter clients create my-app 2>/dev/null) && printf %s "$KEY"');
    expect(created.status, created.stderr).toBe(0);
    const key = created.stdout;
    expect(key).toMatch(/^lr-[A-Za-z0-9_-]{43}$/);

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
    let answer: Awaited<ReturnType<typeof client.chat.completions.create>> | null = null;
    // The running gateway picks up the CLI's changes within a second.
    await expect.poll(async () => {
      answer = await client.chat.completions.create({ model: 'openai/echo', messages: [{ role: 'user', content: 'hi' }] }).catch(() => null);
      return answer?.choices[0]?.message.content ?? null;
    }, { timeout: 10_000, interval: 200 }).toBe('echo: hi');

    // The generation record of that request, by the id of the answer's body (the gateway's `gen-` id).
    // Assigned inside the poll above, so the compiler still sees the initial null here.
    const genId = (answer as OpenAI.ChatCompletion | null)?.id;
    expect(genId).toMatch(/^gen-/);
    const record = async () => fetch(`http://127.0.0.1:${port}/v1/generation?id=${genId}`, { headers: { authorization: `Bearer ${key}` } });
    await expect.poll(async () => (await record()).status, { timeout: 10_000, interval: 200 }).toBe(200);
    expect(((await (await record()).json()) as { data: { id: string } }).data.id).toBe(genId);

    // OpenRouter's fallback list alone, without `model`: the first listed model answers.
    const raw = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['openai/echo'], messages: [{ role: 'user', content: 'again' }] }),
    });
    expect(raw.status).toBe(200);
    const viaModels = (await raw.json()) as { id: string; model: string; choices: { message: { content: string } }[] };
    expect(viaModels.choices[0]!.message.content).toBe('echo: again');
    expect(viaModels.model).toBe('openai/echo');
    expect(viaModels.id).toBe(raw.headers.get('x-localrouter-generation-id'));

    server.kill('SIGTERM');
    expect(await new Promise((r) => server!.on('exit', r))).toBe(0);
    server = undefined;
  });
});
