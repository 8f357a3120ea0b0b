// Runs a STDIO MCP server script in this process and records, in the file named by its first
// argument, one line when the process starts (`start <pid>`) and one per request it is sent
// (`<pid> <method>`), so a test can count the processes a gateway spawned and see what each was
// asked, in order. Usage: node tap.mjs <log file> <server script> [server args...]
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [log, script, ...args] = process.argv.slice(2);
const record = (line) => fs.appendFileSync(log, `${line}\n`);
record(`start ${process.pid}`);

// The server reads a copy of stdin (its transport takes `process.stdin` when it is constructed);
// the copy buffers what arrives before the server listens, so nothing is lost.
const real = process.stdin;
const copy = new PassThrough();
let pending = '';
real.on('data', (chunk) => {
  pending += chunk.toString('utf8');
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    try {
      const message = JSON.parse(line);
      if (typeof message.method === 'string' && message.id !== undefined) record(`${process.pid} ${message.method}`);
    } catch { /* not JSON: the server says so itself */ }
  }
  copy.write(chunk);
});
real.on('end', () => copy.end());
Object.defineProperty(process, 'stdin', { value: copy, configurable: true });

process.argv = [process.argv[0], script, ...args];
await import(pathToFileURL(script).href);
