import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { installRoot } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { homeOf, printJson, readConfig, type CliIo } from './cli-io.js';
import {
  LAUNCHD_LABEL, launchdPlist, launchdPlistPath, SYSTEMD_UNIT, systemdUnit, systemdUnitPath, type ServiceSpec,
} from './service-unit.js';

type Platform = 'linux' | 'darwin';

interface ServiceOptions {
  platform?: Platform;
  start: boolean;
  print?: boolean;
  json?: boolean;
}

/** Where each platform keeps a login service and how it is told about it. */
interface ServiceManager {
  kind: 'systemd' | 'launchd';
  file: string;
  render(spec: ServiceSpec): string;
  /** Commands that load and start the service now (also at every login, once installed). */
  startCommands: string[][];
  stopCommands: string[][];
  statusCommand: string[];
}

function managerFor(platform: Platform, env: NodeJS.ProcessEnv): ServiceManager {
  if (platform === 'linux') {
    return {
      kind: 'systemd', file: systemdUnitPath(env), render: systemdUnit,
      startCommands: [['systemctl', '--user', 'daemon-reload'], ['systemctl', '--user', 'enable', '--now', SYSTEMD_UNIT]],
      stopCommands: [['systemctl', '--user', 'disable', '--now', SYSTEMD_UNIT]],
      statusCommand: ['systemctl', '--user', 'is-active', SYSTEMD_UNIT],
    };
  }
  const file = launchdPlistPath(env);
  const domain = `gui/${process.getuid?.() ?? 501}`;
  return {
    kind: 'launchd', file, render: launchdPlist,
    startCommands: [['launchctl', 'bootstrap', domain, file]],
    stopCommands: [['launchctl', 'bootout', `${domain}/${LAUNCHD_LABEL}`]],
    statusCommand: ['launchctl', 'print', `${domain}/${LAUNCHD_LABEL}`],
  };
}

/**
 * `localrouter service install|uninstall|status`: a systemd user unit (Linux) or a launchd agent
 * (macOS) that starts `localrouter serve` at login, like the desktop app does.
 */
export function registerServiceCommand(program: Command, io: CliIo): void {
  const service = program.command('service').description('start the gateway at login: a systemd user unit (Linux) or a launchd agent (macOS)');
  const platformOption = () => new Option('--platform <os>', 'write for this OS instead of the one running').choices(['linux', 'darwin']).hideHelp();

  service.command('install').description('write the service file and start the gateway (now and at every login)')
    .addOption(platformOption())
    .option('--no-start', 'only write the file; do not load or start it')
    .option('--print', 'print the service file instead of writing it')
    .option('--json', 'print JSON')
    .action((opts: ServiceOptions, cmd: Command) => {
      const home = homeOf(cmd, io);
      const manager = managerFor(platformOf(opts), io.env);
      const text = manager.render(specFor(home, io));
      if (opts.print) {
        io.stdout.write(text);
        return;
      }
      mkdirSync(path.dirname(manager.file), { recursive: true });
      writeFileSync(manager.file, text, { mode: 0o644 });
      const started = opts.start ? runAll(io, manager.startCommands) : null;
      if (opts.json) return printJson(io, { kind: manager.kind, file: manager.file, started });
      io.stdout.write(`${manager.file}\n`);
      io.stderr.write(`wrote the ${manager.kind} service for ${home}\n`);
      if (started === false || started === null) {
        io.stderr.write(`${started === null ? 'to start it now and at every login' : 'could not start it here; to start it'}, run:\n`
          + manager.startCommands.map((c) => `  ${c.join(' ')}\n`).join(''));
      }
    });

  service.command('uninstall').description('stop the gateway service and remove its file')
    .addOption(platformOption())
    .option('--json', 'print JSON')
    .action((opts: ServiceOptions) => {
      const manager = managerFor(platformOf(opts), io.env);
      if (!existsSync(manager.file)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no ${manager.kind} service installed (${manager.file} does not exist)`);
      const stopped = runAll(io, manager.stopCommands);
      rmSync(manager.file);
      if (opts.json) return printJson(io, { kind: manager.kind, file: manager.file, removed: true, stopped });
      io.stdout.write(`removed ${manager.file}\n`);
      if (!stopped) io.stderr.write(`could not stop it here; if it still runs: ${manager.stopCommands.map((c) => c.join(' ')).join('; ')}\n`);
    });

  service.command('status').description('whether the service is installed and running')
    .addOption(platformOption())
    .option('--json', 'print JSON')
    .action((opts: ServiceOptions) => {
      const manager = managerFor(platformOf(opts), io.env);
      const installed = existsSync(manager.file);
      const state = installed ? serviceState(manager) : 'not installed';
      const home = installed ? /--home"? "?([^"\n<]+)/.exec(readFileSync(manager.file, 'utf8'))?.[1] ?? null : null;
      if (opts.json) return printJson(io, { kind: manager.kind, file: manager.file, installed, state, home });
      io.stdout.write(`${manager.kind} service ${manager.file}: ${state}\n`);
    });
}

function platformOf(opts: ServiceOptions): Platform {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux' && platform !== 'darwin') {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `no login service for ${platform}: LocalRouter writes systemd user units (Linux) and launchd agents (macOS)`);
  }
  return platform;
}

/** What the service runs: this installation's bin/localrouter with this Node, on this data dir. */
function specFor(home: string, io: CliIo): ServiceSpec {
  const grace = readConfig(home).server.shutdown_grace_ms;
  return {
    node: process.execPath, bin: path.join(installRoot(), 'bin', 'localrouter'), home,
    pathEnv: io.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', stopTimeoutS: Math.ceil(grace / 1000) + 5,
  };
}

/** Runs each command in turn; false at the first that fails or cannot run (no systemd user session, no launchctl). */
function runAll(io: CliIo, commands: string[][]): boolean {
  for (const [cmd, ...args] of commands) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) {
      io.stderr.write(`warning: ${[cmd, ...args].join(' ')} failed: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`}\n`);
      return false;
    }
  }
  return true;
}

function serviceState(manager: ServiceManager): string {
  const [cmd, ...args] = manager.statusCommand;
  const r = spawnSync(cmd!, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error !== undefined) return `installed (${cmd} not available to ask whether it runs)`;
  if (manager.kind === 'systemd') {
    const state = r.stdout.trim();
    return state !== '' ? `installed, ${state}` : `installed (${cmd} could not tell: ${r.stderr.trim().split('\n')[0] || `exit ${r.status}`})`;
  }
  return r.status === 0 ? 'installed, loaded' : 'installed, not loaded';
}
