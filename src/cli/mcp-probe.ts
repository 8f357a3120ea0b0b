import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../config/index.js';
import { loadUpstreamTransport, serverRuntime } from '../mcp/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { CliIo } from './cli-io.js';

/**
 * Connects to one configured MCP server the way the gateway does (same transport, secrets and
 * client capabilities, so conditional tools show up the same) and lists all its tools. Warnings, and
 * with LOCALROUTER_DEBUG=1 the server's own stderr, go to the run's stderr.
 */
export async function listServerTools(io: CliIo, server: McpServerConfig, secrets: SecretStore | null): Promise<Tool[]> {
  const runtime = serverRuntime(server, secrets, { warn: (_f, message) => io.stderr.write(`warning: ${message}\n`) });
  const createUpstreamTransport = await loadUpstreamTransport();
  const transport = createUpstreamTransport(runtime, {
    onStderr: (line) => { if (io.env.LOCALROUTER_DEBUG === '1') io.stderr.write(`[${server.name}] ${line}\n`); },
    onSend: () => undefined,
  });
  const client = new Client({ name: 'localrouter-cli', version: '1' }, { capabilities: { sampling: {}, elicitation: { form: {}, url: {} } } });
  await client.connect(transport, { timeout: runtime.timeoutMs });
  try {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: runtime.timeoutMs });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return tools;
  } finally {
    await client.close();
  }
}
