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
 * client capabilities, so conditional tools show up the same; a Streamable HTTP or STDIO server
 * probed with `server/discover` first, unless `protocol: legacy`, and, if it speaks 2026-07-28,
 * asked statelessly; a STDIO server on one process either way) and lists all its tools.
 * Warnings, and with LOCALROUTER_DEBUG=1 the server's own stderr, go to the run's stderr. OAuth
 * tokens refreshed on the way (they were about to expire, or the server refused them) go to
 * `keepOAuth` as they come: a rotating authorization server has just spent the refresh token
 * stored with the login.
 */
export async function listServerTools(io: CliIo, server: McpServerConfig, secrets: SecretStore | null, keepOAuth?: (state: McpOAuthState) => void): Promise<Tool[]> {
  const runtime = serverRuntime(server, secrets, { warn: (_f, message) => io.stderr.write(`warning: ${message}\n`) });
  const probe = runtime.protocol !== 'legacy';
  if (runtime.transport === 'streamable-http' && probe) {
    const modern = await listModernTools(runtime, keepOAuth);
    if (modern !== null) return modern;
  }
  const createUpstreamTransport = await loadUpstreamTransport();
  const newTransport = (): ReturnType<typeof createUpstreamTransport> => createUpstreamTransport(runtime, {
    onStderr: (line) => { if (io.env.LOCALROUTER_DEBUG === '1') io.stderr.write(`[${server.name}] ${line}\n`); },
    onSend: () => undefined,
    ...(keepOAuth === undefined ? {} : { onOAuthSaved: keepOAuth }),
  });
  return sessionTools(runtime, newTransport, runtime.transport === 'stdio' && probe ? 'probe' : 'initialize');
}

/**
 * The tools of a server over a 1.x session, a STDIO server probed first on the same process (see
 * `UpstreamInstance#connect`: one that exits on the probe is started again without it; a
 * 2026-07-28-only one that started too slowly for the probe, and so refuses `initialize`, is probed
 * again with its whole timeout).
 */
async function sessionTools(runtime: Runtime, newTransport: () => ObservedTransportOf, how: 'probe' | 'slow-probe' | 'initialize'): Promise<Tool[]> {
  let transport = newTransport();
  const probes = how === 'initialize' ? null : await loadUpstreamProbe();
  if (probes !== null) {
    const probed = await probes.probeStdio(transport, NO_EVENTS, modernOptions(runtime), {
      onExit: () => undefined, boundMs: how === 'slow-probe' ? runtime.timeoutMs : undefined,
    });
    if (probed.era === 'modern') return toolsOf(probed.upstream);
    if (probed.era === 'exited') transport = newTransport();
  }
  const client = new Client({ name: 'localrouter-cli', version: '1' }, { capabilities: { sampling: {}, elicitation: { form: {}, url: {} } } });
  try {
    await client.connect(transport, { timeout: runtime.timeoutMs });
  } catch (err) {
    await client.close().catch(() => undefined);
    if (how === 'probe' && probes?.refusesInitializeFor2026(err) === true) return sessionTools(runtime, newTransport, 'slow-probe');
    throw err;
  }
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

type Runtime = ReturnType<typeof serverRuntime>;
type ObservedTransportOf = ReturnType<Awaited<ReturnType<typeof loadUpstreamTransport>>>;
type Probes = Awaited<ReturnType<typeof loadUpstreamProbe>>;
type ModernUpstreamOf = Extract<Awaited<ReturnType<Probes['probe']>>, { era: 'modern' }>['upstream'];

/** A listing asks the server nothing it would ask back: no lists to watch, no client to relay to. */
const NO_EVENTS: Parameters<Probes['probe']>[1] = {
  changed: () => undefined, resourceUpdated: () => undefined, listenFailed: () => undefined, listenRecovered: () => undefined, log: () => undefined,
  input: (method) => Promise.reject(new Error(`the server asked for ${method} while listing tools`)),
};

function modernOptions(runtime: Runtime, token?: () => Promise<string | undefined>): Parameters<Probes['probe']>[2] {
  return { version: '1', timeoutMs: runtime.timeoutMs, maxTotalTimeoutMs: 0, maxJsonDepth: DEFAULT_MAX_JSON_DEPTH, perSession: false, token };
}

/** The tools of a 2026-07-28 server, or null when the server is of an earlier revision. */
async function listModernTools(runtime: Runtime, keepOAuth: ((state: McpOAuthState) => void) | undefined): Promise<Tool[] | null> {
  const { probe, oauthOf } = await loadUpstreamProbe();
  const oauth = oauthOf(runtime, keepOAuth === undefined ? {} : { onOAuthSaved: keepOAuth });
  const probed = await probe(runtime, NO_EVENTS, modernOptions(runtime, oauth === undefined ? undefined : async () => (await oauth.tokens())?.access_token));
  return probed.era === 'legacy' ? null : toolsOf(probed.upstream);
}

/** Every page of a modern server's tools; the connection is closed after. */
async function toolsOf(upstream: ModernUpstreamOf): Promise<Tool[]> {
  try {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await upstream.request('tools/list', cursor === undefined ? {} : { cursor }, { call: null });
      if (Array.isArray(result.tools)) tools.push(...(result.tools as Tool[]));
      cursor = typeof result.nextCursor === 'string' && result.nextCursor.length > 0 ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return tools;
  } finally {
    await upstream.close();
  }
}
