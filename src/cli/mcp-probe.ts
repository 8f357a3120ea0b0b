import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '../config/index.js';
import { loadUpstreamProbe, loadUpstreamTransport, serverRuntime, type McpOAuthState } from '../mcp/index.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../model/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { CliIo } from './cli-io.js';

/** The most pages of tools read from one server (a server whose cursor never ends stops here). */
const MAX_PAGES = 1000;

/**
 * Connects to one configured MCP server the way the gateway does (same transport, secrets and
 * client capabilities, so conditional tools show up the same; a Streamable HTTP server probed with
 * `server/discover` first and, if it speaks 2026-07-28, asked statelessly) and lists all its tools.
 * Warnings, and with LOCALROUTER_DEBUG=1 the server's own stderr, go to the run's stderr. OAuth
 * tokens refreshed on the way (they were about to expire, or the server refused them) go to
 * `keepOAuth` as they come: a rotating authorization server has just spent the refresh token
 * stored with the login.
 */
export async function listServerTools(io: CliIo, server: McpServerConfig, secrets: SecretStore | null, keepOAuth?: (state: McpOAuthState) => void): Promise<Tool[]> {
  const runtime = serverRuntime(server, secrets, { warn: (_f, message) => io.stderr.write(`warning: ${message}\n`) });
  if (runtime.transport === 'streamable-http') {
    const modern = await listModernTools(runtime, keepOAuth);
    if (modern !== null) return modern;
  }
  const createUpstreamTransport = await loadUpstreamTransport();
  const transport = createUpstreamTransport(runtime, {
    onStderr: (line) => { if (io.env.LOCALROUTER_DEBUG === '1') io.stderr.write(`[${server.name}] ${line}\n`); },
    onSend: () => undefined,
    ...(keepOAuth === undefined ? {} : { onOAuthSaved: keepOAuth }),
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

/** The tools of a 2026-07-28 server, or null when the server is of an earlier revision. */
async function listModernTools(runtime: ReturnType<typeof serverRuntime>, keepOAuth: ((state: McpOAuthState) => void) | undefined): Promise<Tool[] | null> {
  const { probe, oauthOf } = await loadUpstreamProbe();
  const oauth = oauthOf(runtime, keepOAuth === undefined ? {} : { onOAuthSaved: keepOAuth });
  const probed = await probe(runtime, {
    changed: () => undefined, resourceUpdated: () => undefined, listenFailed: () => undefined, listenRecovered: () => undefined, log: () => undefined,
    input: (method) => Promise.reject(new Error(`the server asked for ${method} while listing tools`)),
  }, {
    version: '1', timeoutMs: runtime.timeoutMs, maxTotalTimeoutMs: 0, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH, perSession: false,
    token: oauth === undefined ? undefined : async () => (await oauth.tokens())?.access_token,
  });
  if (probed.era === 'legacy') return null;
  try {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await probed.upstream.request('tools/list', cursor === undefined ? {} : { cursor }, { call: null });
      if (Array.isArray(result.tools)) tools.push(...(result.tools as Tool[]));
      cursor = typeof result.nextCursor === 'string' && result.nextCursor.length > 0 ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return tools;
  } finally {
    await probed.upstream.close();
  }
}
