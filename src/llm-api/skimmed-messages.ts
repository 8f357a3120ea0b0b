import { MessageRole, parseJsonSpan, type MessageSpans } from '../providers/index.js';
import { messageHasImages, userMessageText, type MessageFacts } from '../routing/index.js';

/**
 * A request's `messages` known from the skim of its bytes (see json-skim.ts): what the gateway asks
 * of them is answered by parsing only the messages concerned, so a long agent history goes
 * upstream without ever being built as objects.
 */
export class SkimmedMessages implements MessageFacts {
  readonly #raw: Buffer;
  readonly #spans: MessageSpans;

  constructor(raw: Buffer, spans: MessageSpans) {
    this.#raw = raw;
    this.#spans = spans;
  }

  get count(): number {
    return this.#spans.starts.length;
  }

  /** Index of the first message that is not an object with a string `role`, or -1. */
  firstWithoutRole(): number {
    const roles = this.#spans.roles;
    for (let i = 0; i < roles.length; i++) {
      const role = roles[i];
      if (role === MessageRole.Missing) return i;
      if (role === MessageRole.Unsure) {
        const m = this.#message(i) as { role?: unknown } | null;
        if (typeof m !== 'object' || m === null || Array.isArray(m) || typeof m.role !== 'string') return i;
      }
    }
    return -1;
  }

  lastUserText(): string {
    const roles = this.#spans.roles;
    for (let i = roles.length - 1; i >= 0; i--) {
      if (roles[i] === MessageRole.Other || roles[i] === MessageRole.Missing) continue;
      const text = userMessageText(this.#message(i));
      if (text !== null) return text;
    }
    return '';
  }

  hasImages(): boolean {
    const parts = this.#spans.partsContent;
    for (let i = 0; i < parts.length; i++) if (parts[i] && messageHasImages(this.#message(i))) return true;
    return false;
  }

  #message(i: number): unknown {
    return parseJsonSpan(this.#raw, this.#spans.starts[i]!, this.#spans.ends[i]!);
  }
}
