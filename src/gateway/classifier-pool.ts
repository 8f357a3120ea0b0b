import path from 'node:path';
import { installRoot } from '../config/index.js';
import type { Classifier } from '../classifier/index.js';
import type { PromptScorers } from '../routing/index.js';

const MODELS_DIR = path.join(installRoot(), 'models');

/** The classifier module, loaded on first use: gateways that never auto-route do not load it. */
type ClassifierModule = typeof import('../classifier/index.js');
let classifierModule: Promise<ClassifierModule> | null = null;
function loadClassifierModule(): Promise<ClassifierModule> {
  classifierModule ??= import('../classifier/index.js');
  return classifierModule;
}

/**
 * Classifier actors by name, started on first use (`models/router-<name>.bin`), shared by all
 * requests: the threads auto routing (src/routing) scores prompts with.
 */
export class ClassifierPool implements PromptScorers {
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

  /** The threshold that sends `share` of traffic to the strong side, from the model card's chat-mix score percentiles. */
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
  return path.join(MODELS_DIR, `router-${name}.bin`);
}
