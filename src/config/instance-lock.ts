import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import { errCode } from './io-error.js';

/** What `gateway.pid` in the data directory says about the gateway that runs on it. */
export interface InstanceInfo {
  pid: number;
  /** Empty until the gateway listens. */
  host: string;
  port: number;
  startedAt: string;
}

export interface InstanceLock {
  /** Records where the gateway listens, for the CLI and for a second `serve` to name. */
  listening(host: string, port: number): void;
  /** Removes the pid file if it is still this process's. */
  release(): void;
}

const PID_FILE = 'gateway.pid';
/** Data directories locked by this process (a second gateway in the same process is refused too). */
const heldHere = new Set<string>();

/**
 * One gateway per data directory: a pid file created exclusively, with a liveness check of the pid
 * it names so that a file left by a killed gateway does not block the next start.
 */
export function acquireInstanceLock(home: string): InstanceLock {
  const file = path.join(path.resolve(home), PID_FILE);
  const info: InstanceInfo = { pid: process.pid, host: '', port: 0, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try { writeSync(fd, JSON.stringify(info)); } finally { closeSync(fd); }
      heldHere.add(file);
      return lockOn(file, info);
    } catch (err) {
      if (errCode(err) !== 'EEXIST') {
        throw new LocalRouterError('LR_ERR_CONFIG_IO', `${file}: cannot create the pid file: ${(err as Error).message}`, { cause: err });
      }
    }
    const other = readInstanceFile(file);
    if (other !== null && isRunning(other.pid, file)) {
      const where = other.port > 0 ? ` on ${originOf(other)}` : '';
      throw new LocalRouterError('LR_ERR_ALREADY_RUNNING', `LocalRouter is already running (pid ${other.pid})${where} with the data directory ${path.dirname(file)}`);
    }
    rmSync(file, { force: true });
  }
  throw new LocalRouterError('LR_ERR_ALREADY_RUNNING', `${file}: another process keeps creating the pid file`);
}

/** The running gateway of a data directory, or null when none runs there. */
export function runningInstance(home: string): InstanceInfo | null {
  const file = path.join(path.resolve(home), PID_FILE);
  const info = readInstanceFile(file);
  return info !== null && isRunning(info.pid, file) ? info : null;
}

/** `http://host:port` of a listening instance; a wildcard bind is reached on loopback. */
export function originOf(info: InstanceInfo): string {
  const host = info.host === '0.0.0.0' || info.host === '::' || info.host === '' ? '127.0.0.1' : info.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
}

function lockOn(file: string, info: InstanceInfo): InstanceLock {
  return {
    listening(host, port) {
      info.host = host;
      info.port = port;
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
      renameSync(tmp, file);
    },
    release() {
      if (!heldHere.delete(file)) return;
      if (readInstanceFile(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}

function readInstanceFile(file: string): InstanceInfo | null {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<InstanceInfo>;
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return null;
    return { pid: v.pid, host: typeof v.host === 'string' ? v.host : '', port: typeof v.port === 'number' ? v.port : 0, startedAt: String(v.startedAt ?? '') };
  } catch {
    return null;
  }
}

/**
 * Is the process `pid` alive and plausibly a gateway? This process counts only while it holds the
 * lock itself; another pid counts when signal 0 reaches it and, where /proc exists, it is a node
 * process (a pid reused by an unrelated program after a crash does not block the start).
 */
function isRunning(pid: number, file: string): boolean {
  if (pid === process.pid) return heldHere.has(file);
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errCode(err) !== 'EPERM') return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return /node|localrouter/.test(cmdline);
  } catch {
    return true;
  }
}
