import type { Command } from 'commander';
import { LocalRouterError } from '../errors/index.js';
import { CommandExit, homeOf, parsePort, type CliIo } from './cli-io.js';
import { dashboardLoginLine } from './dashboard-login-line.js';

/** What `serve` needs of the gateway once it listens. */
interface Closable {
  close(): Promise<void>;
}

export function registerServeCommand(program: Command, io: CliIo): void {
  program.command('serve').description('run the gateway (default 127.0.0.1:3625)')
    .option('--host <host>', 'address to bind (default: server.host from the config)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default: $LOCALROUTER_PORT, else server.port)', parsePort)
    .action(async (opts: { host?: string; port?: number }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const port = opts.port ?? portFromEnv(io.env.LOCALROUTER_PORT);
      // Loaded on demand so that the other commands never load uWebSockets.js or the workers.
      const { startGateway } = await import('../gateway/index.js');
      const gateway = await startGateway({ home, host: opts.host, port, lastResort: true });
      const host = gateway.host.includes(':') ? `[${gateway.host}]` : gateway.host;
      io.stdout.write(`localrouter listening on http://${host}:${gateway.port}\n`);
      // A notice, not data: stdout keeps the one address line scripts read.
      io.stderr.write(`${dashboardLoginLine(gateway.dashboardLoginUrl())}\n`);
      await closedOnStopSignal(gateway, io);
    });
}

/**
 * Resolves once a stop signal has closed the gateway. A second signal while it drains means "now":
 * the run ends at once with exit code 1, as it does when the shutdown fails.
 */
function closedOnStopSignal(gateway: Closable, io: CliIo): Promise<void> {
  return new Promise((resolve, reject) => {
    let closing = false;
    const off = io.onStopSignal(() => {
      if (closing) {
        off();
        reject(new CommandExit(1));
        return;
      }
      closing = true;
      gateway.close().then(() => {
        off();
        resolve();
      }, (err: unknown) => {
        off();
        io.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
        reject(new CommandExit(1));
      });
    });
  });
}

function portFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    return parsePort(value.trim());
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `LOCALROUTER_PORT must be a port number from 0 to 65535 (got "${value}")`);
  }
}
