import type { Command } from 'commander';
import { LocalRouterError } from '../errors/index.js';
import { homeOf, parsePort } from './cli-io.js';

export function registerServeCommand(program: Command): void {
  program.command('serve').description('run the gateway (default 127.0.0.1:3625)')
    .option('--host <host>', 'address to bind (default: server.host from the config)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default: $LOCALROUTER_PORT, else server.port)', parsePort)
    .action(async (opts: { host?: string; port?: number }, cmd: Command) => {
      const home = homeOf(cmd);
      const port = opts.port ?? portFromEnv(process.env.LOCALROUTER_PORT);
      // Loaded on demand so that the other commands never load uWebSockets.js or the workers.
      const { startGateway } = await import('../ingress/index.js');
      const gateway = await startGateway({ home, host: opts.host, port, lastResort: true });
      const host = gateway.host.includes(':') ? `[${gateway.host}]` : gateway.host;
      process.stdout.write(`localrouter listening on http://${host}:${gateway.port}\n`);

      let closing = false;
      const stop = (): void => {
        // A second signal while draining means "now".
        if (closing) process.exit(1);
        closing = true;
        gateway.close().then(() => process.exit(0), (err: unknown) => {
          process.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
          process.exit(1);
        });
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
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
