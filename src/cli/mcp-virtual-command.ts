import { InvalidArgumentError, type Command } from 'commander';
import { configPath, updateConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { gatewayOrigin } from './admin-client.js';
import { homeOf, parseName, printJson, printTable, readConfig, type CliIo } from './cli-io.js';

interface AddOptions {
  server: string[];
  tool: string[];
  json?: boolean;
}

/**
 * `localrouter mcp virtual add|list|remove`: named subsets of the MCP servers and tools, each served
 * at its own endpoint `/mcp/<name>` (config `mcp.virtual_servers`).
 */
export function registerMcpVirtualCommand(mcp: Command, io: CliIo): void {
  const virtual = mcp.command('virtual').description('manage virtual MCP servers: named subsets of servers and tools, each at /mcp/<name>');

  virtual.command('add').description('add or replace a virtual server')
    .argument('<name>', 'endpoint name (/mcp/<name>)', parseVirtualName)
    .option('--server <pattern>', 'server name pattern to include (repeatable; default: every server)', collect, [] as string[])
    .option('--tool <pattern>', 'tool pattern <server>/<tool> to include, upstream names, * wildcards (repeatable; default: every tool)', collect, [] as string[])
    .option('--json', 'print JSON')
    .action((name: string, opts: AddOptions, cmd: Command) => {
      const home = homeOf(cmd, io);
      const entry = { name, servers: opts.server.length > 0 ? opts.server : ['*'], tools: opts.tool.length > 0 ? opts.tool : ['*'] };
      let replaced = false;
      updateConfig(configPath(home), (cfg) => {
        const list = cfg.mcp.virtual_servers;
        const i = list.findIndex((v) => v.name === name);
        replaced = i >= 0;
        if (replaced) list[i] = entry;
        else list.push(entry);
      });
      if (opts.json) return printJson(io, entry);
      const url = `${gatewayOrigin(readConfig(home), home, io.env)}/mcp/${name}`;
      io.stdout.write(`${replaced ? 'replaced' : 'added'} virtual MCP server "${name}" at ${url}\n`);
    });

  virtual.command('list').description('list virtual servers')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const list = readConfig(homeOf(cmd, io)).mcp.virtual_servers;
      if (opts.json) return printJson(io, list);
      printTable(io, ['NAME', 'SERVERS', 'TOOLS'], list.map((v) => [v.name, v.servers.join(','), v.tools.join(',')]),
        'no virtual MCP servers (add one with: localrouter mcp virtual add <name> --server <pattern> --tool <server>/<tool>)');
    });

  virtual.command('remove').description('remove a virtual server')
    .argument('<name>', 'endpoint name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        const i = cfg.mcp.virtual_servers.findIndex((v) => v.name === name);
        if (i < 0) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no virtual MCP server named "${name}"`);
        cfg.mcp.virtual_servers.splice(i, 1);
      });
      if (opts.json) return printJson(io, { removed: name });
      io.stdout.write(`removed virtual MCP server "${name}"\n`);
    });
}

function parseVirtualName(value: string): string {
  parseName(value);
  if (value === 'sse' || value === 'messages') throw new InvalidArgumentError('"sse" and "messages" are the legacy endpoints under /mcp.');
  return value;
}

function collect(value: string, previous: string[]): string[] {
  const v = value.trim();
  if (v.length === 0 || v.length > 500) throw new InvalidArgumentError('a pattern is 1-500 characters.');
  return [...previous, v];
}
