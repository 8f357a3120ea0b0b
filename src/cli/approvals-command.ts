import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { LocalRouterError } from '../errors/index.js';
import { gatewayOrigin } from './admin-client.js';
import { homeOf, printJson, printTable, readConfig, type CliIo } from './cli-io.js';

interface ApprovalView {
  id: string;
  kind: string;
  client: string;
  strategy: string;
  tool: string;
  arguments: Record<string, unknown> | null;
  expires_at: string;
}

/** How long the CLI waits for the gateway's answer. */
const TIMEOUT_MS = 10_000;

/**
 * `localrouter approvals list|approve|deny`: the MCP calls waiting for approval (tools a strategy
 * marks `ask`), answered through the running gateway's `/api/approvals` with the admin token.
 */
export function registerApprovalsCommand(program: Command, io: CliIo): void {
  const approvals = program.command('approvals').description('list and answer MCP tool calls and model requests waiting for approval (strategy ask)');

  approvals.command('list').description('list the calls waiting for approval, oldest first')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { data } = await callGateway<{ data: ApprovalView[] }>(io, cmd, 'GET', '/api/approvals');
      if (opts.json) return printJson(io, data);
      printTable(io, ['ID', 'CLIENT', 'STRATEGY', 'TOOL', 'ARGUMENTS', 'REFUSED AT'], data.map((a) => [
        a.id, a.client, a.strategy, a.kind === 'skill_step' ? `${a.tool} (skill step)` : a.kind === 'model' ? `model ${a.tool}` : a.tool,
        a.arguments === null ? '-' : short(JSON.stringify(a.arguments)), a.expires_at,
      ]), 'no calls wait for approval');
    });

  approvals.command('approve').description('let a waiting call run')
    .argument('<id>', 'the approval id (apr_...)')
    .option('--scope <scope>', 'once, session (the rest of its MCP session) or always (saved to the strategy\'s ask.allowed_tools or allowed_models)', parseScope, 'once')
    .option('--arguments <json>', 'run it with these arguments instead (a JSON object, checked against the tool\'s input schema)', parseArguments)
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { scope: string; arguments?: Record<string, unknown>; json?: boolean }, cmd: Command) => {
      const body = { decision: 'approve', scope: opts.scope, ...(opts.arguments === undefined ? {} : { arguments: opts.arguments }) };
      const { approval } = await callGateway<{ approval: ApprovalView }>(io, cmd, 'POST', `/api/approvals/${encodeURIComponent(id)}`, body);
      if (opts.json) return printJson(io, approval);
      io.stdout.write(`approved ${approval.tool} for ${approval.client} (${opts.scope})\n`);
    });

  approvals.command('deny').description('refuse a waiting call (the client gets LR_ERR_APPROVAL_DENIED)')
    .argument('<id>', 'the approval id (apr_...)')
    .option('--reason <text>', 'shown to the client with the denial')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { reason?: string; json?: boolean }, cmd: Command) => {
      const body = { decision: 'deny', ...(opts.reason === undefined ? {} : { reason: opts.reason }) };
      const { approval } = await callGateway<{ approval: ApprovalView }>(io, cmd, 'POST', `/api/approvals/${encodeURIComponent(id)}`, body);
      if (opts.json) return printJson(io, approval);
      io.stdout.write(`denied ${approval.tool} for ${approval.client}\n`);
    });
}

/** One admin call on the running gateway; its error message, or why it could not be reached, as an error. */
async function callGateway<T>(io: CliIo, cmd: Command, method: 'GET' | 'POST', apiPath: string, body?: unknown): Promise<T> {
  const home = homeOf(cmd, io);
  const origin = gatewayOrigin(readConfig(home), home, io.env);
  const tokenFile = path.join(home, 'admin-token');
  if (!existsSync(tokenFile)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no admin token in ${home}: start the gateway first (localrouter serve)`);
  let res: Response;
  try {
    res = await fetch(`${origin}${apiPath}`, {
      method, signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new LocalRouterError('LR_ERR_NOT_FOUND', `no gateway answers at ${origin} (${(err as Error).message}); approvals live in the running gateway`);
  }
  const answer = await res.json().catch(() => null) as { error?: { code?: string; message?: string } } | null;
  if (!res.ok) {
    const e = answer?.error;
    throw new LocalRouterError(res.status === 404 ? 'LR_ERR_NOT_FOUND' : 'LR_ERR_BAD_REQUEST', e?.message ?? `the gateway answered ${res.status}`);
  }
  return answer as T;
}

function parseScope(value: string): string {
  if (value !== 'once' && value !== 'session' && value !== 'always') throw new InvalidArgumentError('use once, session or always.');
  return value;
}

function parseArguments(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"path": "notes.md"}\'.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError('must be a JSON object.');
  return parsed as Record<string, unknown>;
}

function short(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
