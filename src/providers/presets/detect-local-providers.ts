import { LOCAL_PROVIDER_TYPES, PRESETS, modelsUrl, type LocalProviderType } from './presets.js';
import { listOwners, parseModelList } from './parse-model-list.js';

export interface DetectOptions {
  /** Per-probe budget (connect, headers and body); probes run concurrently. Default 1000 ms. */
  timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetchImpl?: typeof fetch;
  /** Base URLs to probe instead of the presets' defaults, e.g. `{ ollama: 'http://127.0.0.1:5555' }`. */
  hosts?: Partial<Record<LocalProviderType, string>>;
  /** Which local types to probe; default all of them. */
  types?: readonly LocalProviderType[];
}

/** A local server that answered its preset's model-list request. */
export interface DetectedProvider {
  type: LocalProviderType;
  base_url: string;
  /** Model ids it listed; empty when it wants a key (`auth_required`). */
  models: string[];
  /** The server answered 401/403: it is there, but the user must give it a key. */
  auth_required: boolean;
  /**
   * Other local types on the same URL that the answer could not rule out (llama.cpp and LocalAI
   * share port 8080); empty when the answer identified the server.
   */
  also: LocalProviderType[];
  latency_ms: number;
}

type Probe =
  | { kind: 'list'; models: string[]; owners: string[]; ms: number }
  | { kind: 'auth'; ms: number }
  | { kind: 'none' };

/**
 * Probes the local presets' model-list endpoints (on 127.0.0.1 by default) concurrently and returns
 * the servers that answered, in preset order. A refused connection fails at once; a silent port
 * costs at most `timeoutMs`. A URL shared by several presets is probed once.
 */
export async function detectLocalProviders(options: DetectOptions = {}): Promise<DetectedProvider[]> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const fetchImpl = options.fetchImpl ?? fetch;
  const groups = new Map<string, { baseUrl: string; types: LocalProviderType[] }>();
  for (const type of options.types ?? LOCAL_PROVIDER_TYPES) {
    const preset = PRESETS[type];
    const baseUrl = options.hosts?.[type] ?? preset.base_url;
    const url = modelsUrl(preset, baseUrl);
    if (url === null) continue;
    const group = groups.get(url);
    if (group) group.types.push(type);
    else groups.set(url, { baseUrl, types: [type] });
  }

  const found = await Promise.all([...groups].map(async ([url, group]) => {
    const probe = await probeOnce(fetchImpl, url, timeoutMs);
    return probe.kind === 'none' ? null : describe(group.baseUrl, group.types, probe);
  }));
  const order = new Map(LOCAL_PROVIDER_TYPES.map((t, i) => [t, i]));
  return found.filter((d): d is DetectedProvider => d !== null).sort((a, b) => order.get(a.type)! - order.get(b.type)!);
}

async function probeOnce(fetchImpl: typeof fetch, url: string, timeoutMs: number): Promise<Probe> {
  const started = performance.now();
  try {
    const res = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      return { kind: 'auth', ms: elapsed(started) };
    }
    if (res.status < 200 || res.status > 299) {
      await res.body?.cancel();
      return { kind: 'none' };
    }
    const body: unknown = JSON.parse(await res.text());
    const models = parseModelList(body);
    if (models === null) return { kind: 'none' };
    return { kind: 'list', models, owners: listOwners(body), ms: elapsed(started) };
  } catch {
    // Refused, reset, timed out or not JSON: nothing we know is listening there.
    return { kind: 'none' };
  }
}

/** Picks which preset answered when several share the URL, using their `detect_owned_by` marks. */
function describe(baseUrl: string, types: LocalProviderType[], probe: Exclude<Probe, { kind: 'none' }>): DetectedProvider {
  let candidates = types;
  if (types.length > 1 && probe.kind === 'list') {
    const marked = types.filter((t) => {
      const mark = PRESETS[t].detect_owned_by;
      return mark !== null && probe.owners.includes(mark);
    });
    const unmarked = types.filter((t) => PRESETS[t].detect_owned_by === null);
    if (marked.length > 0) candidates = marked;
    else if (unmarked.length > 0) candidates = unmarked;
  }
  return {
    type: candidates[0],
    base_url: baseUrl,
    models: probe.kind === 'list' ? probe.models : [],
    auth_required: probe.kind === 'auth',
    also: candidates.slice(1),
    latency_ms: probe.ms,
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
