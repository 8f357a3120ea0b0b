import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LocalRouterError } from '../errors/index.js';
import type { CliIo } from './cli-io.js';

/** A run may take long; each step's progress notification restarts the wait. */
const STEP_WAIT_MS = 10 * 60_000;

/**
 * `localrouter skills run`: calls `skills__<name>` on the gateway's /mcp with the MCP SDK client as
 * the client of `key`. Each step is printed as its progress notification arrives (stdout; stderr
 * with `json`, where stdout carries only the result). Ctrl-C cancels the run (the gateway stops its
 * steps). Resolves true when the skill worked; a failed run's message goes to stderr.
 */
export async function runSkillThroughGateway(io: CliIo, url: URL, key: string, name: string, input: Record<string, unknown>, json: boolean): Promise<boolean> {
  const client = new Client({ name: 'localrouter-cli', version: '1' }, { capabilities: {} });
  try {
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  } catch (err) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_UNREACHABLE', `cannot reach the gateway at ${url.href} (is "localrouter serve" running?): ${(err as Error).message}`);
  }
  const abort = new AbortController();
  const stopSignals = io.onStopSignal(() => abort.abort());
  const steps = json ? io.stderr : io.stdout;
  try {
    const result = await client.callTool({ name: `skills__${name}`, arguments: input }, undefined, {
      signal: abort.signal, timeout: STEP_WAIT_MS, resetTimeoutOnProgress: true,
      onprogress: (p) => { steps.write(`[${p.progress}/${p.total ?? '?'}] ${p.message ?? ''}\n`); },
    });
    if (json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return result.isError !== true;
    }
    const text = ((result.content ?? []) as { type: string; text?: string }[]).filter((c) => c.type === 'text').map((c) => c.text ?? '').join('\n');
    if (result.isError === true) {
      io.stderr.write(`error: ${text}\n`);
      return false;
    }
    io.stdout.write(`${result.structuredContent !== undefined ? JSON.stringify(result.structuredContent, null, 2) : text}\n`);
    return true;
  } catch (err) {
    if (abort.signal.aborted) {
      io.stderr.write('cancelled\n');
      return false;
    }
    const message = (err as Error).message;
    if (/Unknown tool/.test(message)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no skill "${name}" for this client (not loaded, or denied by its strategy)`);
    throw new LocalRouterError('LR_ERR_INTERNAL', `the run failed: ${message}`);
  } finally {
    stopSignals();
    await client.close().catch(() => undefined);
  }
}
