import { spawn } from 'node:child_process';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main, type CliIo } from '../../src/cli/index.js';

/** The real binary, for the tests whose point is the process itself. */
export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/localrouter');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** What the command reads on stdin (an API key, prompts); empty when not given. */
  input?: string;
  /** Added to the run's environment, which holds only LOCALROUTER_SECRETS_BACKEND=file otherwise. */
  env?: Record<string, string>;
}

/** A stream that keeps everything written to it as text. */
function textSink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

/** An io for in-process runs, with what it collected and a way to send it a stop signal. */
export interface TestIo {
  io: CliIo;
  stdout(): string;
  stderr(): string;
  /** What SIGINT or SIGTERM does to a real run. */
  sendStop(): void;
}

/** stdin from `input`, stdout and stderr collected, an environment of its own (the test process's is not read). */
export function testIo(opts: CliRunOptions = {}): TestIo {
  const stdout = textSink();
  const stderr = textSink();
  const listeners = new Set<() => void>();
  const io: CliIo = {
    stdin: Readable.from(opts.input === undefined ? [] : [Buffer.from(opts.input)]),
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: { LOCALROUTER_SECRETS_BACKEND: 'file', ...opts.env },
    onStopSignal(stop) {
      // Wrapped: the same function registered twice is two registrations, as with process.on.
      const listener = (): void => stop();
      listeners.add(listener);
      return () => { listeners.delete(listener); };
    },
  };
  return { io, stdout: stdout.text, stderr: stderr.text, sendStop: () => { for (const l of [...listeners]) l(); } };
}

/** Runs `localrouter ...args` in this process, through `main(argv, io)` with a {@link testIo}; resolves with the exit code main returned. */
export async function runCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliResult> {
  const t = testIo(opts);
  const code = await main(['node', 'localrouter', ...args], t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

/**
 * Runs `bin/localrouter ...args` as a child process with the file secret store, `input` piped to
 * its stdin; resolves with its exit code and output once it has closed.
 */
export function spawnCli(args: readonly string[], opts: CliRunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_HOME: '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
