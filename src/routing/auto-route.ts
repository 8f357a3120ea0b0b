import { LocalRouterError } from '../errors/index.js';
import type { ClientPolicy } from './strategy-table.js';

/** The model ids that mean "let the strategy choose". */
export const AUTO_IDS: ReadonlySet<string> = new Set(['localrouter/auto', 'auto']);
/** RouteLLM-style ids: `router-<classifier>-<threshold>`, e.g. `router-hashlr-0.42`. */
const ROUTER_ID = /^router-([a-z0-9_]+(?:-[a-z0-9_]+)*?)-(0(?:\.\d+)?|1(?:\.0+)?)$/;
/** The threshold of a strategy that names neither `threshold` nor `strong_share`. */
const DEFAULT_THRESHOLD = 0.5;

/** Which side a classifier picked, as the generation record and metrics keep it. */
export interface AutoDecision {
  classifier: string;
  side: 'strong' | 'weak';
  /** P(strong model wins); null when the classifier timed out or failed (then the strong side is used). */
  score: number | null;
  threshold: number;
}

/**
 * The classifiers auto routing scores prompts with, by name. The thread owner (the ingress's
 * classifier pool) implements it; routing only decides.
 */
export interface PromptScorers {
  /** The named classifier, started on first use. */
  get(name: string): Promise<{ score(prompt: string): Promise<number> }>;
  /** The threshold that sends `share` of traffic to the strong side, from the classifier's model card. */
  thresholdForShare(name: string, share: number): Promise<number>;
}

/** What auto routing reads of the request: the model the client named and its messages. */
export interface AutoRequest {
  model: string;
  /** A chat request's `messages` are scored; a request without them (embeddings) scores as empty text. */
  body: object;
  /** What is known of `body.messages` without building it, when the body was skimmed (see `MessageFacts`). */
  messageFacts?: MessageFacts;
}

/**
 * The facts routing needs of a request's messages, for a body whose messages were not built (a
 * large one, skimmed on its bytes): each is answered by parsing only the messages it concerns.
 */
export interface MessageFacts {
  /** `lastUserText` of the messages. */
  lastUserText(): string;
  /** Some message has an `image_url` part. */
  hasImages(): boolean;
}

/** What auto routing reads of the client: its strategy's name and `auto` settings. */
export interface AutoClient {
  policy: Pick<ClientPolicy, 'strategy' | 'auto'>;
}

/** A request the classifier must see: `auto` with strong and weak lists and a classifier, or a `router-<name>-<t>` id. */
export function needsClassifier(request: { model: string }, client: AutoClient): boolean {
  const auto = client.policy.auto;
  if (ROUTER_ID.test(request.model)) return true;
  return AUTO_IDS.has(request.model) && auto.classifier !== undefined && auto.strong_models.length > 0 && auto.weak_models.length > 0;
}

/**
 * Scores the prompt (the last user message, as RouteLLM does) and returns the candidate ids: the
 * chosen side first, the other side after it as fallback. A classifier that times out or fails sends
 * the request to the strong side; it is still served.
 */
export async function routeByClassifier(request: AutoRequest, client: AutoClient, scorers: PromptScorers): Promise<{ ids: string[]; decision: AutoDecision }> {
  const auto = client.policy.auto;
  const m = ROUTER_ID.exec(request.model);
  const name = m ? m[1]! : auto.classifier!;
  if (auto.strong_models.length === 0 || auto.weak_models.length === 0) {
    throw new LocalRouterError('LR_ERR_MODEL_NOT_FOUND',
      `strategy "${client.policy.strategy}" needs auto.strong_models and auto.weak_models for ${request.model}`, { param: 'model' });
  }
  const threshold = m ? Number(m[2]) : auto.threshold
    ?? (auto.strong_share !== undefined ? await scorers.thresholdForShare(name, auto.strong_share) : DEFAULT_THRESHOLD);
  let score: number | null = null;
  try {
    const text = request.messageFacts !== undefined ? request.messageFacts.lastUserText() : lastUserText('messages' in request.body ? request.body.messages : undefined);
    score = await (await scorers.get(name)).score(text);
  } catch {
    score = null;
  }
  const side = chooseSide(score, threshold);
  return { ids: orderBySide(auto, side), decision: { classifier: name, side, score, threshold } };
}

/** The strong side when the score reaches the threshold, or when there is no score (a failed classifier). */
export function chooseSide(score: number | null, threshold: number): AutoDecision['side'] {
  return score === null || score >= threshold ? 'strong' : 'weak';
}

/** The chosen side's models first, then the other side's not already listed, as fallback. */
export function orderBySide(auto: Pick<ClientPolicy['auto'], 'strong_models' | 'weak_models'>, side: AutoDecision['side']): string[] {
  const first = side === 'strong' ? auto.strong_models : auto.weak_models;
  const second = side === 'strong' ? auto.weak_models : auto.strong_models;
  return [...first, ...second.filter((id) => !first.includes(id))];
}

/** The text of the last user message (string content, or its text parts joined). */
export function lastUserText(messages: unknown): string {
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const text = userMessageText(messages[i]);
    if (text !== null) return text;
  }
  return '';
}

/** The text of `message` when it is a user message (string content, or its text parts joined), else null. */
export function userMessageText(message: unknown): string | null {
  const m = message as { role?: unknown; content?: unknown } | null | undefined;
  if (m?.role !== 'user') return null;
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) {
    return m.content.filter((p: { type?: unknown }) => p?.type === 'text').map((p: { text?: unknown }) => String(p.text ?? '')).join('\n');
  }
  return '';
}
