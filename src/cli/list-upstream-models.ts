import { Agent, request } from 'undici';
import type { ProviderConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { modelsUrl, parseModelList, type ProviderPreset } from '../providers/index.js';

export interface ModelListResult {
  models: string[];
  /** False when the preset has no list endpoint and the configured `models` were returned instead. */
  fetched: boolean;
}

/** Asks the provider for its model list (preset path and auth style), with the provider's headers. */
export async function listUpstreamModels(
  provider: ProviderConfig, preset: ProviderPreset, key: string | undefined,
  timeouts: { connectTimeoutMs: number; headersTimeoutMs: number },
): Promise<ModelListResult> {
  const baseUrl = provider.base_url ?? preset.base_url;
  if (baseUrl === null) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `provider "${provider.name}" has no base_url`);
  const url = modelsUrl(preset, baseUrl);
  if (url === null) return { models: provider.models, fetched: false };
  const headers: Record<string, string> = { accept: 'application/json', ...preset.default_headers, ...provider.headers };
  if (key !== undefined) {
    if (preset.auth === 'x-api-key' || preset.auth === 'x-goog-api-key') headers[preset.auth] = key;
    else headers.authorization = `Bearer ${key}`;
  }
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
      const timedOut = /TIMEOUT/i.test((err as { code?: string }).code ?? '');
      throw new LocalRouterError(timedOut ? 'LR_ERR_UPSTREAM_TIMEOUT' : 'LR_ERR_UPSTREAM_UNREACHABLE',
        `${label} failed: ${describe(err)}`, { cause: err });
    }
    const text = await res.body.text();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `${label} returned HTTP ${res.statusCode}${upstreamMessage(text)}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `${label} did not return JSON`);
    }
    const models = parseModelList(body);
    if (models === null) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `${label} returned no list of models`);
    return { models, fetched: true };
  } finally {
    await agent.close();
  }
}

/** The upstream's own error message when it sends a JSON error, else a short excerpt of the body. */
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
  const e = err as { code?: string; message?: string; cause?: { message?: string } };
  const inner = e.cause?.message ?? e.message ?? String(err);
  return e.code && !inner.includes(e.code) ? `${inner} (${e.code})` : inner;
}
