import { LocalRouterError } from '../errors/index.js';
import type { CliIo } from './cli-io.js';

/**
 * Reads one secret from stdin. Piped input is read to the end and trimmed (so `echo KEY |` works);
 * on a terminal the key is typed without echo and ends at Enter.
 */
export async function readSecretFromStdin(io: CliIo, prompt: string): Promise<string> {
  const { stdin } = io;
  const raw = stdin.isTTY && stdin.setRawMode !== undefined ? await readHidden(io, stdin.setRawMode.bind(stdin), prompt) : await readAll(io);
  const value = raw.trim();
  if (value === '') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'no API key on stdin');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(value)) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'the API key on stdin must be one line without spaces');
  }
  return value;
}

async function readAll(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readHidden(io: CliIo, setRawMode: (raw: boolean) => unknown, prompt: string): Promise<string> {
  const { stdin } = io;
  io.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new LocalRouterError('LR_ERR_BAD_REQUEST', 'cancelled'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
