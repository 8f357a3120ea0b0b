import { Agent, request } from 'undici';
import type { ProviderConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';

/** GET `<base_url>/models` with the provider's headers and key; returns the model ids. */
export async function listUpstreamModels(
  provider: ProviderConfig, key: string | undefined, timeouts: { connectTimeoutMs: number; headersTimeoutMs: number },
): Promise<string[]> {
  const url = `${provider.base_url.replace(/\/+$/, '')}/models`;
  const headers: Record<string, string> = { accept: 'application/json', ...provider.headers };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  // Own agent so the CLI can close its sockets and exit right away.
  const agent = new Agent({
    connect: { timeout: timeouts.connectTimeoutMs }, headersTimeout: timeouts.headersTimeoutMs, bodyTimeout: timeouts.headersTimeoutMs,
  });
  const label = `provider "${provider.name}": GET ${url}`;
  try {
    let res;
    try {
      res = await request(url, { method: 'GET', headers, dispatcher: agent });
    } catch (err) {
      const timedOut = /Timeout/.test((err as { code?: string }).code ?? '');
      throw new LocalRouterError(timedOut ? 'LR_ERR_UPSTREAM_TIMEOUT' : 'LR_ERR_UPSTREAM_UNREACHABLE',
        `${label} failed: ${describe(err)}`, { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `${label} returned HTTP ${res.statusCode}${upstreamMessage(text)}`);
    }
    return modelIds(text, label);
  } finally {
    await agent.close();
  }
}

function modelIds(text: string, label: string): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `${label} did not return JSON`);
  }
  const data = Array.isArray(body) ? body : (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `${label} returned no "data" list of models`);
  return data.map((m) => (m as { id?: unknown } | null)?.id).filter((id): id is string => typeof id === 'string');
}

/** The upstream's own error message when it sends the OpenAI error shape, else a short excerpt. */
function upstreamMessage(text: string): string {
  let message: unknown;
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    message = typeof body.error === 'string' ? body.error : body.error?.message ?? body.message;
  } catch {
    message = text;
  }
  const clean = typeof message === 'string' ? message.replace(/\s+/g, ' ').trim().slice(0, 300) : '';
  return clean === '' ? '' : `: ${clean}`;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const inner = e.cause?.message ?? e.message ?? String(err);
  return e.code && !inner.includes(e.code) ? `${inner} (${e.code})` : inner;
}
