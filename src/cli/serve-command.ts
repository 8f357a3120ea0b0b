import type { Command } from 'commander';
import { configPath, packageVersion } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { accessLogLine } from './access-log.js';
import { CommandExit, homeOf, parsePort, type CliIo } from './cli-io.js';
import { startBanner } from './start-banner.js';
import { dashboardLoginLine } from './dashboard-login-line.js';

/** What `serve` needs of the gateway once it listens. */
interface Closable {
  close(): Promise<void>;
}

interface ServeOptions {
  host?: string;
  port?: number;
  accessLog?: boolean;
  exitWithParent?: boolean;
}

/** How often a `serve` started by a parent it must not outlive checks that the parent is still there. */
const PARENT_POLL_MS = 1000;

export function registerServeCommand(program: Command, io: CliIo): void {
  program.command('serve').description('run the gateway (default 127.0.0.1:3625)')
    .option('--host <host>', 'address to bind (default: server.host from the config)')
    .option('--port <port>', 'port to listen on; 0 picks a free one (default: $LOCALROUTER_PORT, else server.port)', parsePort)
    .option('--access-log', 'print one line per finished request on stdout (never bodies)')
    .option('--exit-with-parent', 'shut down when the process that started serve ends (on by default under an npm script)')
    .addHelpText('after', '\nstdout: the "listening" line, then the access log if on. stderr: the start banner (addresses, '
      + 'config file, data dir, admin token file, what is configured, what to do next) and the log.')
    .action(async (opts: ServeOptions, cmd: Command) => {
      // Read before anything slow: a parent that dies while the gateway starts must still be noticed.
      const parent = opts.exitWithParent === true || io.env.npm_lifecycle_event !== undefined ? process.ppid : null;
      const home = homeOf(cmd, io);
      const port = opts.port ?? portFromEnv(io.env.LOCALROUTER_PORT);
      // Loaded on demand so that the other commands never load uWebSockets.js or the workers.
      const { startGateway } = await import('../gateway/index.js');
      const onRequestDone = opts.accessLog ? (o: Parameters<typeof accessLogLine>[0]) => { io.stdout.write(accessLogLine(o)); } : undefined;
      const gateway = await startGateway({ home, host: opts.host, port, lastResort: true, onRequestDone });
      // Stop signals are handled from here on, before anyone is told the address and may send one.
      const closed = closedOnStopSignal(gateway, io, parent);
      const host = gateway.host.includes(':') ? `[${gateway.host}]` : gateway.host;
      const origin = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${gateway.port}`;
      io.stdout.write(`localrouter listening on http://${host}:${gateway.port}\n`);
      const config = gateway.config;
      io.stderr.write(startBanner({
        version: packageVersion(), runs: io.env.LOCALROUTER_RUNS ?? 'src', origin, configFile: configPath(home), home,
        adminTokenFile: gateway.adminTokenFile, secretsBackend: gateway.secretsBackend,
        providers: config.providers.length, clients: config.clients.length, mcpServers: config.mcp_servers.length,
        dashboard: `${origin}/`, accessLog: opts.accessLog === true,
      }));
      // A notice, not data: stdout keeps the one address line scripts read.
      io.stderr.write(`${dashboardLoginLine(gateway.dashboardLoginUrl())}\n`);
      await closed;
    });
}

/**
 * Resolves once a stop signal has closed the gateway. A second signal while it drains means "now":
 * the run ends at once with exit code 1, as it does when the shutdown fails. With a `parent` pid, that
 * process going away (`npm start` killed, its terminal closed) counts as a stop signal: a
 * gateway nobody can stop any more must not keep the port and the data dir.
 */
function closedOnStopSignal(gateway: Closable, io: CliIo, parent: number | null): Promise<void> {
  return new Promise((resolve, reject) => {
    let closing = false;
    let parentTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (closing) {
        off();
        reject(new CommandExit(1));
        return;
      }
      closing = true;
      clearInterval(parentTimer);
      gateway.close().then(() => {
        off();
        resolve();
      }, (err: unknown) => {
        off();
        io.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
        reject(new CommandExit(1));
      });
    };
    const off = io.onStopSignal(stop);
    if (parent !== null) {
      parentTimer = setInterval(() => {
        if (process.ppid === parent || closing) return;
        io.stderr.write(`localrouter: the parent process (pid ${parent}) ended; shutting down\n`);
        stop();
      }, PARENT_POLL_MS);
      parentTimer.unref();
    }
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
