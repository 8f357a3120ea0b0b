/**
 * The "client" the conformance suite's client scenarios run: LocalRouter's upstream side. The suite
 * starts a scenario server and runs this with its URL as the last argument (and the scenario in
 * MCP_CONFORMANCE_SCENARIO, credentials in MCP_CONFORMANCE_CONTEXT). This puts a gateway in front of
 * that server, as a user would: a config naming it as a Streamable HTTP MCP server, `localrouter mcp
 * login` first for the auth scenarios (following the printed URL as a browser would, or with the
 * client credentials of the context), then a gateway whose /mcp an SDK client uses to list the
 * server's tools and call each one. A call that fails because the server wants a new login (it asked
 * for more scope: step-up) is retried once after `localrouter mcp login` again, as its error message
 * tells a user to do. What reaches the scenario server is the gateway's doing: the
 * harness adds nothing of its own (it answers an elicitation with an empty form, so defaults are
 * the gateway's to apply).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { main as cli } from '../../src/cli/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { testIo } from '../helpers/cli-run.js';

const serverUrl = process.argv.at(-1)!;
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
const context = JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}') as {
  client_id?: string; client_secret?: string; private_key_pem?: string; signing_algorithm?: string;
  /** Cross-app access (SEP-990): the enterprise identity provider and the user's ID token from it. */
  idp_issuer?: string; idp_token_endpoint?: string; idp_client_id?: string; idp_id_token?: string;
};
/** The URL the suite's client ID metadata document scenario expects as the client id. */
const CIMD_URL = 'https://conformance-test.local/client-metadata.json';

/** Arguments for the scenarios' tools (the suite checks what reaches them). */
const TOOL_ARGS: Record<string, Record<string, unknown>> = { add_numbers: { a: 5, b: 3 } };

function log(line: string): void {
  process.stderr.write(`[harness] ${line}\n`);
}

async function login(home: string): Promise<void> {
  if (context.idp_id_token !== undefined && context.client_id !== undefined) {
    const idToken = path.join(home, 'id-token');
    fs.writeFileSync(idToken, context.idp_id_token, { mode: 0o600 });
    const t = testIo({ input: `${context.client_secret ?? ''}\n` });
    const code = await cli(['node', 'localrouter', '--home', home, 'mcp', 'login', 'conf', '--cross-app-access', '--client-id', context.client_id,
      '--idp-issuer', context.idp_issuer ?? '', '--idp-token-endpoint', context.idp_token_endpoint ?? '', '--idp-client-id', context.idp_client_id ?? '',
      '--id-token-file', idToken], t.io);
    log(`mcp login --cross-app-access: exit ${code}\n${t.stderr()}`);
    return;
  }
  if (context.client_id !== undefined && scenario.startsWith('auth/client-credentials')) {
    const t = testIo({ input: `${context.client_secret ?? ''}\n` });
    const key = context.private_key_pem !== undefined ? path.join(home, 'client-key.pem') : null;
    if (key !== null) fs.writeFileSync(key, context.private_key_pem!, { mode: 0o600 });
    const jwt = key !== null ? ['--private-key-file', key, '--jwt-algorithm', context.signing_algorithm ?? 'RS256'] : [];
    const code = await cli(['node', 'localrouter', '--home', home, 'mcp', 'login', 'conf', '--client-credentials', '--client-id', context.client_id, ...jwt], t.io);
    log(`mcp login --client-credentials: exit ${code}\n${t.stderr()}`);
    return;
  }
  const extra = context.client_id !== undefined ? ['--client-id', context.client_id, ...(context.client_secret !== undefined ? ['--client-secret-stdin'] : [])] : [];
  if (scenario === 'auth/basic-cimd') extra.push('--client-metadata-url', CIMD_URL);
  const t = testIo({ input: context.client_secret !== undefined ? `${context.client_secret}\n` : undefined });
  const run = cli(['node', 'localrouter', '--home', home, 'mcp', 'login', 'conf', ...extra], t.io);
  // The browser's part: open the printed URL (the suite's authorization server approves at once) and follow the redirect.
  const url = await waitFor(() => /Open this URL in a browser to log in:\n\s+(\S+)/.exec(t.stderr())?.[1], run);
  if (url !== undefined) {
    const approved = await fetch(url, { redirect: 'manual' });
    const location = approved.headers.get('location');
    if (location !== null) await (await fetch(location)).text();
  }
  const code = await run;
  log(`mcp login: exit ${code}\n${t.stderr()}`);
}

/** `probe`'s value once it has one, or undefined when `done` settles first. */
async function waitFor(probe: () => string | undefined, done: Promise<unknown>): Promise<string | undefined> {
  let settled = false;
  void done.finally(() => { settled = true; });
  for (;;) {
    const v = probe();
    if (v !== undefined || settled) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The tools the gateway lists, once the server's are there (up to 30 s on a loaded machine; none for a server that never comes up). */
async function toolsOnceListed(client: Client): Promise<{ name: string }[]> {
  const until = Date.now() + 30_000;
  for (;;) {
    const tools = (await client.listTools()).tools;
    if (tools.length > 0 || Date.now() > until) return tools;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function run(): Promise<void> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-conformance-client-'));
  const key = generateClientKey();
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify({
    server: { shutdown_grace_ms: 200 },
    monitoring: { enabled: false },
    mcp_servers: [{ name: 'conf', transport: 'streamable-http', url: serverUrl }],
    mcp: { prefix: 'never' },
    clients: [{ id: 'c_harness001', name: 'harness', key_hash: key.hash, key_prefix: key.prefix, enabled: true, created_at: new Date().toISOString() }],
  }), { mode: 0o600 });
  try {
    if (scenario.startsWith('auth/')) await login(home);
    const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
    try {
      const client = new Client({ name: 'conformance-harness', version: '1' }, { capabilities: { elicitation: { form: {} } } });
      client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: {} }));
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${gw.port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key.key}` } } }));
      // The gateway connects the server on the first list and announces its tools with list_changed: a client waits for them.
      const tools = await toolsOnceListed(client);
      log(`tools: ${tools.map((t) => t.name).join(', ') || '(none)'}`);
      const call = async (name: string): Promise<string> => {
        const result = await client.callTool({ name, arguments: TOOL_ARGS[name] ?? {} }).catch((err: Error) => ({ error: err.message }));
        const text = JSON.stringify(result);
        log(`${name}: ${text.slice(0, 300)}`);
        return text;
      };
      const wantLogin: string[] = [];
      for (const tool of tools) if ((await call(tool.name)).includes('localrouter mcp login')) wantLogin.push(tool.name);
      if (wantLogin.length > 0 && scenario.startsWith('auth/')) {
        await login(home);
        for (const name of wantLogin) await call(name);
      }
      await client.close();
    } finally {
      await gw.close();
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

run().then(() => process.exit(0), (err: unknown) => {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
