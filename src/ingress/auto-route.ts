import path from 'node:path';
import type { Classifier } from '../classifier/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { AuthedClient } from './client-table.js';
import type { FrontRequest } from './llm-fronts.js';

const MODELS_DIR = path.resolve(new URL('../../models', import.meta.url).pathname);
/** The model ids that mean "let the strategy choose". */
export const AUTO_IDS: ReadonlySet<string> = new Set(['localrouter/auto', 'auto']);
/** RouteLLM-style ids: `router-<classifier>-<threshold>`, e.g. `router-hashlr-0.42`. */
const ROUTER_ID = /^router-([a-z0-9_]+(?:-[a-z0-9_]+)*?)-(0(?:\.\d+)?|1(?:\.0+)?)$/;

/** Which side a classifier picked, as the generation record and metrics keep it. */
export interface AutoDecision {
  classifier: string;
  side: 'strong' | 'weak';
  /** P(strong model wins); null when the classifier timed out or failed (then the strong side is used). */
  score: number | null;
  threshold: number;
}

/** The classifier module, loaded on first use: gateways that never auto-route do not pay for onnxruntime. */
type ClassifierModule = typeof import('../classifier/index.js');
let classifierModule: Promise<ClassifierModule> | null = null;
function loadClassifierModule(): Promise<ClassifierModule> {
  classifierModule ??= import('../classifier/index.js');
  return classifierModule;
}

/** Classifier actors by name, started on first use (`models/router-<name>.onnx`), shared by all requests. */
export class ClassifierPool {
  #started = new Map<string, Promise<Classifier>>();
  #cards = new Map<string, number[]>();
  #onEvent: (name: string, event: unknown) => void;
  #timeoutMs: number;

  constructor(timeoutMs: number, onEvent: (name: string, event: unknown) => void = () => {}) {
    this.#timeoutMs = timeoutMs;
    this.#onEvent = onEvent;
  }

  get(name: string): Promise<Classifier> {
    const existing = this.#started.get(name);
    if (existing) return existing;
    const started = loadClassifierModule().then((m) => m.startClassifier({
      modelPath: modelPath(name), timeoutMs: this.#timeoutMs, onEvent: (e: unknown) => this.#onEvent(name, e),
    }));
    // A failed start is retried by the next request instead of being remembered forever.
    started.catch(() => this.#started.delete(name));
    this.#started.set(name, started);
    return started;
  }

  /** Starts the classifiers the config names now, so the first auto request does not wait for a cold actor. */
  warm(names: Iterable<string>): void {
    for (const name of names) this.get(name).catch(() => {});
  }

  /** The threshold that sends `share` of traffic to the strong side, from the model card's score percentiles. */
  async thresholdForShare(name: string, share: number): Promise<number> {
    const m = await loadClassifierModule();
    let p = this.#cards.get(name);
    if (!p) {
      p = m.readModelCard(m.cardPathFor(modelPath(name))).calibration.percentiles;
      this.#cards.set(name, p);
    }
    return m.thresholdForShare(p, share);
  }

  async close(): Promise<void> {
    const all = [...this.#started.values()];
    this.#started.clear();
    await Promise.all(all.map(async (c) => (await c.catch(() => null))?.close()));
  }
}

function modelPath(name: string): string {
  return path.join(MODELS_DIR, `router-${name}.onnx`);
}

/** A request the classifier must see: `auto` with strong and weak lists and a classifier, or a `router-<name>-<t>` id. */
export function needsClassifier(request: FrontRequest, client: AuthedClient): boolean {
  const auto = client.policy.auto;
  if (ROUTER_ID.test(request.model)) return true;
  return AUTO_IDS.has(request.model) && auto.classifier !== undefined && auto.strong_models.length > 0 && auto.weak_models.length > 0;
}

/**
 * Scores the prompt (the last user message, as RouteLLM does) and returns the candidate ids: the
 * chosen side first, the other side after it as fallback. A classifier that times out or fails sends
 * the request to the strong side; it is still served.
 */
export async function routeByClassifier(request: FrontRequest, client: AuthedClient, pool: ClassifierPool): Promise<{ ids: string[]; decision: AutoDecision }> {
  const auto = client.policy.auto;
  const m = ROUTER_ID.exec(request.model);
  const name = m ? m[1]! : auto.classifier!;
  if (auto.strong_models.length === 0 || auto.weak_models.length === 0) {
    throw new LocalRouterError('LR_ERR_MODEL_NOT_FOUND',
      `strategy "${client.policy.strategy}" needs auto.strong_models and auto.weak_models for ${request.model}`, { param: 'model' });
  }
  const threshold = m ? Number(m[2]) : auto.threshold ?? (auto.strong_share !== undefined ? await pool.thresholdForShare(name, auto.strong_share) : 0.5);
  let score: number | null = null;
  try {
    score = await (await pool.get(name)).score(lastUserText(request.body.messages));
  } catch {
    score = null;
  }
  const side = score === null || score >= threshold ? 'strong' : 'weak';
  const first = side === 'strong' ? auto.strong_models : auto.weak_models;
  const second = side === 'strong' ? auto.weak_models : auto.strong_models;
  return { ids: [...first, ...second.filter((id) => !first.includes(id))], decision: { classifier: name, side, score, threshold } };
}

/** The text of the last user message (string content, or its text parts joined). */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as { role?: unknown; content?: unknown };
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) {
      return m.content.filter((p: { type?: unknown }) => p?.type === 'text').map((p: { text?: unknown }) => String(p.text ?? '')).join('\n');
    }
    return '';
  }
  return '';
}
