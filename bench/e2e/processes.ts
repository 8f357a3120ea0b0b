import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const TAIL_LINES = 40;

/** A child this run started, with the last lines it printed (for error messages). */
export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  tail: () => string;
}

export interface SpawnReadyOptions {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
  /** Matched against each stdout/stderr line; group 1 is returned. */
  ready: RegExp;
  timeoutMs?: number;
}

/**
 * Every process the rig starts goes through here, so SIGINT, a crash or the end of the run kills
 * exactly those pids and nothing else.
 */
export class ChildSet {
  #children = new Set<Child>();

  /** Starts `node <args>` and resolves once a line matches `ready`; rejects loudly on exit or timeout. */
  spawnReady(opts: SpawnReadyOptions): Promise<{ child: Child; match: string }> {
    const proc = spawn(process.execPath, opts.args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let onLine: (line: string) => void = () => {};
    const child = this.#track(opts.name, proc, (line) => onLine(line));
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        void this.kill(child);
        reject(new Error(`${opts.name} did not start: ${why}\n--- last output of ${opts.name} ---\n${child.tail()}`));
      };
      const timer = setTimeout(() => fail(`no line matching ${opts.ready} within ${opts.timeoutMs ?? 20_000} ms`), opts.timeoutMs ?? 20_000);
      onLine = (line: string): void => {
        const m = opts.ready.exec(line);
        if (m && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve({ child, match: m[1] ?? '' });
        }
      };
      proc.once('error', (err) => fail(err.message));
      proc.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
    });
  }

  /** Forks a TypeScript module with an IPC channel (the load generator). */
  forkTs(name: string, modulePath: string, cwd: string): Child {
    const proc = fork(modulePath, [], { cwd, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    return this.#track(name, proc);
  }

  #track(name: string, proc: ChildProcess, onLine?: (line: string) => void): Child {
    const lines: string[] = [];
    // Always drain the pipes: a child blocked on a full stdout pipe would stall mid-benchmark.
    for (const stream of [proc.stdout, proc.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        onLine?.(line);
      });
    }
    if (proc.pid === undefined) throw new Error(`${name}: spawn failed`);
    const child: Child = { name, proc, pid: proc.pid, tail: () => lines.join('\n') };
    this.#children.add(child);
    proc.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
  async kill(child: Child, graceMs = 3000): Promise<void> {
    const { proc } = child;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.kill(c)));
  }

  /** For `process.on('exit')`, where nothing async runs any more. */
  killAllSync(): void {
    for (const c of this.#children) {
      try {
        c.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

let clockTicks: number | undefined;

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat (almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Process CPU time (user + system) in microseconds. /proc/<pid>/stat sums every thread of the
 * process, so worker threads are included.
 */
export function processCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may contain spaces and parentheses; fields resume after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1e6) / clockTicksPerSecond();
}

/** Resident set size in bytes (VmRSS). */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}
